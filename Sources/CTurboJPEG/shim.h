// libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev, 2.1: 8-bit JPEG only; 12-bit and
// lossless JPEG need libjpeg-turbo 3). TurboJPEG owns libjpeg's setjmp error handling, so
// nothing here jumps; these shims only fold header + decode (or an encode) into one call with a message.
#include <turbojpeg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Decodes an 8-bit JPEG (baseline or progressive, any colour space) to one gray channel
/// (the luma of colour images). Returns 0 with a malloc'd width*height buffer in *pixels
/// (caller frees), or -1 with a message. Warnings (e.g. a truncated stream) count as errors.
/// Images over maxPixels are refused after reading the header, before allocating.
static inline int thorax_jpeg_decode_gray(const unsigned char *data, unsigned long size, size_t maxPixels,
                                          unsigned char **pixels, int *width, int *height,
                                          char *message, size_t messageCapacity) {
    *pixels = NULL;
    tjhandle handle = tjInitDecompress();
    if (!handle) { snprintf(message, messageCapacity, "%s", tjGetErrorStr2(NULL)); return -1; }
    int w = 0, h = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(handle, data, size, &w, &h, &subsampling, &colorspace) != 0) {
        snprintf(message, messageCapacity, "%s", tjGetErrorStr2(handle));
        tjDestroy(handle);
        return -1;
    }
    if (w <= 0 || h <= 0) {
        snprintf(message, messageCapacity, "invalid JPEG dimensions %dx%d", w, h);
        tjDestroy(handle);
        return -1;
    }
    if ((size_t)w * (size_t)h > maxPixels) {
        snprintf(message, messageCapacity, "a %dx%d image is over the limit of %zu pixels", w, h, maxPixels);
        tjDestroy(handle);
        return -1;
    }
    unsigned char *buffer = (unsigned char *)malloc((size_t)w * (size_t)h);
    if (!buffer) { snprintf(message, messageCapacity, "out of memory"); tjDestroy(handle); return -1; }
    if (tjDecompress2(handle, data, size, buffer, w, 0, h, TJPF_GRAY, TJFLAG_ACCURATEDCT) != 0) {
        snprintf(message, messageCapacity, "%s", tjGetErrorStr2(handle));
        free(buffer);
        tjDestroy(handle);
        return -1;
    }
    tjDestroy(handle);
    *pixels = buffer;
    *width = w;
    *height = h;
    return 0;
}

/// Encodes an 8-bit gray image (width*height bytes, row-major) as a baseline JPEG at `quality`
/// (1–100). Returns 0 with a malloc'd buffer of *size bytes in *output (caller frees), or -1
/// with a message.
static inline int thorax_jpeg_encode_gray(const unsigned char *pixels, int width, int height, int quality,
                                          unsigned char **output, unsigned long *size,
                                          char *message, size_t messageCapacity) {
    *output = NULL;
    *size = 0;
    tjhandle handle = tjInitCompress();
    if (!handle) { snprintf(message, messageCapacity, "%s", tjGetErrorStr2(NULL)); return -1; }
    unsigned char *encoded = NULL;
    unsigned long encodedSize = 0;
    if (tjCompress2(handle, pixels, width, 0, height, TJPF_GRAY, &encoded, &encodedSize, TJSAMP_GRAY, quality,
                    TJFLAG_ACCURATEDCT) != 0) {
        snprintf(message, messageCapacity, "%s", tjGetErrorStr2(handle));
        if (encoded) tjFree(encoded);
        tjDestroy(handle);
        return -1;
    }
    tjDestroy(handle);
    // The caller frees with free(): copy out of TurboJPEG's own allocation.
    unsigned char *copy = (unsigned char *)malloc(encodedSize);
    if (!copy) { tjFree(encoded); snprintf(message, messageCapacity, "out of memory"); return -1; }
    memcpy(copy, encoded, encodedSize);
    tjFree(encoded);
    *output = copy;
    *size = encodedSize;
    return 0;
}
