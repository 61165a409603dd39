// libpng 1.6 (Debian libpng-dev). libpng reports errors by longjmp; these shim functions own
// the setjmp, so an error comes back to Swift as a return code plus a message, never a jump.
#include <png.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} thorax_png_source;

typedef struct {
    char message[256];
} thorax_png_error;

static void thorax_png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    thorax_png_source *source = (thorax_png_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) {
        png_error(png, "file is truncated (read past the end of the data)");
    }
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void thorax_png_on_error(png_structp png, png_const_charp message) {
    thorax_png_error *error = (thorax_png_error *)png_get_error_ptr(png);
    if (error) {
        strncpy(error->message, message ? message : "unknown libpng error", sizeof(error->message) - 1);
        error->message[sizeof(error->message) - 1] = 0;
    }
    png_longjmp(png, 1);
}

static void thorax_png_on_warning(png_structp png, png_const_charp message) {
    (void)png; (void)message;  // warnings (e.g. unknown chunks) do not stop decoding
}

/// Decodes a PNG held in memory to its own channel layout: palette expanded to RGB(A), gray
/// below 8 bits expanded to 8, tRNS to alpha, 16-bit samples in host (little-endian) order.
/// On success returns 0 and sets *pixels (malloc'd, caller frees), width, height, channels
/// (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) and bit depth (8 or 16). On failure returns -1 and
/// fills `message` — also when width × height exceeds maxPixels, checked before allocating.
static inline int thorax_png_decode(const unsigned char *data, size_t size, size_t maxPixels,
                                    unsigned char **pixels, int *width, int *height,
                                    int *channels, int *bitDepth,
                                    char *message, size_t messageCapacity) {
    thorax_png_error error;
    error.message[0] = 0;
    *pixels = NULL;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(message, messageCapacity, "not a PNG file (bad signature)");
        return -1;
    }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error,
                                             thorax_png_on_error, thorax_png_on_warning);
    if (!png) { snprintf(message, messageCapacity, "out of memory"); return -1; }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(message, messageCapacity, "out of memory");
        return -1;
    }
    thorax_png_source source = { data, size, 0 };
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(message, messageCapacity, "%s", error.message[0] ? error.message : "corrupt PNG data");
        return -1;
    }
    png_set_read_fn(png, &source, thorax_png_read_from_memory);
    // Text and ICC chunks are never read; libpng would otherwise inflate compressed ones (zTXt,
    // iTXt, iCCP) in full: a 72-byte file with a deflate bomb in iTXt took 4 s and 1 GB.
    static const png_byte ignored[] = { 't', 'E', 'X', 't', 0, 'z', 'T', 'X', 't', 0, 'i', 'T', 'X', 't', 0,
                                        'i', 'C', 'C', 'P', 0 };
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, 4);
    // Any other ancillary chunk libpng decompresses is capped at 8 MB.
    png_set_chunk_malloc_max(png, 8u << 20);
    png_read_info(png, info);
    png_set_expand(png);                       // palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha
    if (png_get_bit_depth(png, info) == 16) {
        png_set_swap(png);                     // keep all 16 bits, in host order
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 w = png_get_image_width(png, info);
    png_uint_32 h = png_get_image_height(png, info);
    int c = png_get_channels(png, info);
    int d = png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    if (w == 0 || h == 0 || rowBytes != (size_t)w * (size_t)c * (size_t)(d / 8)) {
        png_error(png, "unsupported PNG layout");
    }
    if ((size_t)w * (size_t)h > maxPixels) {
        char reason[128];
        snprintf(reason, sizeof(reason), "a %ux%u image is over the limit of %zu pixels",
                 (unsigned)w, (unsigned)h, maxPixels);
        png_error(png, reason);
    }
    buffer = (unsigned char *)malloc(rowBytes * h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (!buffer || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++) rows[y] = buffer + (size_t)y * rowBytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    *pixels = buffer;
    *width = (int)w;
    *height = (int)h;
    *channels = c;
    *bitDepth = d;
    return 0;
}

/// Encodes 8-bit gray (channels 1), RGB (3) or RGBA (4) rows to PNG in memory with the
/// simplified API (no longjmp), compressing once into a buffer of libpng's worst-case size.
/// `fast` sets PNG_IMAGE_FLAG_FAST: libpng trades file size for speed (figures, served images).
/// Returns 0 and a malloc'd buffer in *out / *outSize, or -1 and a message.
static inline int thorax_png_encode(const void *pixels, int width, int height, int channels, int fast,
                                    unsigned char **out, size_t *outSize,
                                    char *message, size_t messageCapacity) {
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    if (fast) image.flags |= PNG_IMAGE_FLAG_FAST;
    switch (channels) {
    case 1: image.format = PNG_FORMAT_GRAY; break;
    case 3: image.format = PNG_FORMAT_RGB; break;
    case 4: image.format = PNG_FORMAT_RGBA; break;
    default: snprintf(message, messageCapacity, "cannot encode %d channels", channels); return -1;
    }
    png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
    unsigned char *buffer = (unsigned char *)malloc(size);
    if (!buffer) { snprintf(message, messageCapacity, "out of memory"); return -1; }
    if (!png_image_write_to_memory(&image, buffer, &size, 0, pixels, 0, NULL)) {
        snprintf(message, messageCapacity, "%s", image.message);
        free(buffer);
        png_image_free(&image);
        return -1;
    }
    *out = buffer;
    *outSize = (size_t)size;
    return 0;
}
