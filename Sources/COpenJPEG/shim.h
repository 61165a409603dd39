// OpenJPEG 2.5 (Debian libopenjp2-7-dev), JPEG 2000 for DICOM 1.2.840.10008.1.2.4.90 / .91.
// Error codes only (no longjmp); this shim decodes from memory and keeps the last message.
#include <openjpeg-2.5/openjpeg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *data;
    size_t size;
    size_t offset;
} thorax_opj_source;

static OPJ_SIZE_T thorax_opj_read(void *buffer, OPJ_SIZE_T count, void *user) {
    thorax_opj_source *source = (thorax_opj_source *)user;
    size_t left = source->size - source->offset;
    if (left == 0) return (OPJ_SIZE_T)-1;
    if (count > left) count = left;
    memcpy(buffer, source->data + source->offset, count);
    source->offset += count;
    return count;
}

static OPJ_OFF_T thorax_opj_skip(OPJ_OFF_T count, void *user) {
    thorax_opj_source *source = (thorax_opj_source *)user;
    if (count < 0) {
        if ((size_t)(-count) > source->offset) return -1;
    } else if ((size_t)count > source->size - source->offset) {
        count = (OPJ_OFF_T)(source->size - source->offset);
    }
    source->offset += count;
    return count;
}

static OPJ_BOOL thorax_opj_seek(OPJ_OFF_T position, void *user) {
    thorax_opj_source *source = (thorax_opj_source *)user;
    if (position < 0 || (size_t)position > source->size) return OPJ_FALSE;
    source->offset = (size_t)position;
    return OPJ_TRUE;
}

static void thorax_opj_on_error(const char *text, void *user) {
    char *message = (char *)user;
    if (message[0] == 0) {
        snprintf(message, 256, "%s", text);
        size_t n = strlen(message);
        if (n && message[n - 1] == '\n') message[n - 1] = 0;
    }
}

static void thorax_opj_quiet(const char *text, void *user) { (void)text; (void)user; }

/// Decodes a JPEG 2000 codestream (or JP2 file) held in memory. Returns 0 with a malloc'd
/// int32 buffer of width*height*components samples, interleaved (caller frees), the precision
/// and signedness of component 0; or -1 with a message.
/// Frames over maxPixels are refused after reading the header, before OpenJPEG allocates them.
/// Reads the SIZ marker segment of the codestream (at the start of a J2K stream, or after the
/// first "jp2c" box header of a JP2 file) and refuses, before OpenJPEG sees the stream, an image
/// over maxPixels, more than 4 components or more tiles than pixels: OpenJPEG's header reader
/// allocates its per-tile structures first, so a 1 KB frame declaring 64 x 2,097,206 pixels in
/// 64 x 48 tiles cost 680 MB and a second before any limit could be applied. Hand-written:
/// OpenJPEG 2.5 has no option that bounds its header allocations. Returns 0 when acceptable (or
/// when no SIZ is found: OpenJPEG then fails on its own), -1 with `text` filled otherwise.
static inline int thorax_j2k_check_size(const unsigned char *data, size_t size, size_t maxPixels,
                                        char *text, size_t textCapacity) {
    size_t start = 0;
    if (!(size >= 4 && data[0] == 0xFF && data[1] == 0x4F)) {
        start = size;
        for (size_t i = 4; i + 6 <= size; i++) {
            if (data[i] == 'j' && data[i + 1] == 'p' && data[i + 2] == '2' && data[i + 3] == 'c') { start = i + 4; break; }
        }
    }
    // SOC (2) + SIZ marker (2) + Lsiz (2) + Rsiz (2) + 8 x 4 bytes + Csiz (2) = 42 bytes.
    if (start + 42 > size || data[start] != 0xFF || data[start + 1] != 0x4F || data[start + 2] != 0xFF
        || data[start + 3] != 0x51) return 0;
    const unsigned char *p = data + start + 8;
    unsigned long long v[8];
    for (int k = 0; k < 8; k++) {
        v[k] = ((unsigned long long)p[4 * k] << 24) | ((unsigned long long)p[4 * k + 1] << 16)
             | ((unsigned long long)p[4 * k + 2] << 8) | (unsigned long long)p[4 * k + 3];
    }
    unsigned components = ((unsigned)p[32] << 8) | p[33];
    // v: Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz
    if (v[0] <= v[2] || v[1] <= v[3] || v[4] == 0 || v[5] == 0) {
        snprintf(text, textCapacity, "JPEG 2000 SIZ declares an empty image or tile");
        return -1;
    }
    unsigned long long width = v[0] - v[2], height = v[1] - v[3];
    if (width * height > maxPixels) {
        snprintf(text, textCapacity, "a %llux%llu frame is over the limit of %zu pixels", width, height, maxPixels);
        return -1;
    }
    if (components == 0 || components > 4) {
        snprintf(text, textCapacity, "a frame with %u components (at most 4)", components);
        return -1;
    }
    if (v[6] > v[2] || v[7] > v[3]) return 0;  // invalid tile origin: OpenJPEG refuses it itself
    unsigned long long across = (v[0] - v[6] + v[4] - 1) / v[4], down = (v[1] - v[7] + v[5] - 1) / v[5];
    if (across * down > width * height) {
        snprintf(text, textCapacity, "a %llux%llu frame split into %llu tiles", width, height, across * down);
        return -1;
    }
    return 0;
}

static inline int thorax_j2k_decode(const unsigned char *data, size_t size, size_t maxPixels, int **pixels,
                                    int *width, int *height, int *components, int *precision, int *isSigned,
                                    char *message, size_t messageCapacity) {
    char text[256];
    text[0] = 0;
    *pixels = NULL;
    if (size < 12) { snprintf(message, messageCapacity, "JPEG 2000 stream is %zu bytes", size); return -1; }
    if (thorax_j2k_check_size(data, size, maxPixels, text, sizeof(text)) != 0) {
        snprintf(message, messageCapacity, "%s", text);
        return -1;
    }
    OPJ_CODEC_FORMAT format = (data[0] == 0xFF && data[1] == 0x4F) ? OPJ_CODEC_J2K : OPJ_CODEC_JP2;
    opj_codec_t *codec = opj_create_decompress(format);
    opj_set_error_handler(codec, thorax_opj_on_error, text);
    opj_set_warning_handler(codec, thorax_opj_quiet, NULL);
    opj_set_info_handler(codec, thorax_opj_quiet, NULL);
    opj_dparameters_t parameters;
    opj_set_default_decoder_parameters(&parameters);
    opj_image_t *image = NULL;
    thorax_opj_source source = { data, size, 0 };
    opj_stream_t *stream = opj_stream_default_create(OPJ_TRUE);
    opj_stream_set_user_data(stream, &source, NULL);
    opj_stream_set_user_data_length(stream, size);
    opj_stream_set_read_function(stream, thorax_opj_read);
    opj_stream_set_skip_function(stream, thorax_opj_skip);
    opj_stream_set_seek_function(stream, thorax_opj_seek);
    int ok = opj_setup_decoder(codec, &parameters)
          && opj_read_header(stream, codec, &image);
    if (ok && image && (size_t)(image->x1 - image->x0) * (size_t)(image->y1 - image->y0) > maxPixels) {
        snprintf(text, sizeof(text), "a %ux%u frame is over the limit of %zu pixels",
                 image->x1 - image->x0, image->y1 - image->y0, maxPixels);
        ok = 0;
    }
    // DICOM frames have 1 to 4 samples per pixel, and a sane codestream has fewer tiles than
    // pixels: a 1 KB file declaring thousands of components or tiles made OpenJPEG allocate
    // 680 MB and spend over a second before failing.
    if (ok && image && image->numcomps > 4) {
        snprintf(text, sizeof(text), "a frame with %u components (at most 4)", image->numcomps);
        ok = 0;
    }
    if (ok && image) {
        opj_codestream_info_v2_t *info = opj_get_cstr_info(codec);
        if (info) {
            size_t tiles = (size_t)info->tw * (size_t)info->th;
            size_t pixels = (size_t)(image->x1 - image->x0) * (size_t)(image->y1 - image->y0);
            if (tiles == 0 || tiles > pixels) {
                snprintf(text, sizeof(text), "a %ux%u frame split into %zu tiles", image->x1 - image->x0,
                         image->y1 - image->y0, tiles);
                ok = 0;
            }
            opj_destroy_cstr_info(&info);
        }
    }
    ok = ok && opj_decode(codec, stream, image) && opj_end_decompress(codec, stream);
    opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    if (!ok || !image || image->numcomps == 0) {
        snprintf(message, messageCapacity, "%s", text[0] ? text : "corrupt or truncated JPEG 2000 stream");
        if (image) opj_image_destroy(image);
        return -1;
    }
    int w = (int)image->comps[0].w, h = (int)image->comps[0].h, c = (int)image->numcomps;
    for (int k = 0; k < c; k++) {
        if ((int)image->comps[k].w != w || (int)image->comps[k].h != h || !image->comps[k].data) {
            snprintf(message, messageCapacity, "JPEG 2000 components of different sizes are not supported");
            opj_image_destroy(image);
            return -1;
        }
    }
    int *buffer = (int *)malloc(sizeof(int) * (size_t)w * (size_t)h * (size_t)c);
    if (!buffer) { opj_image_destroy(image); snprintf(message, messageCapacity, "out of memory"); return -1; }
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        for (int k = 0; k < c; k++) buffer[i * c + k] = image->comps[k].data[i];
    *pixels = buffer;
    *width = w;
    *height = h;
    *components = c;
    *precision = (int)image->comps[0].prec;
    *isSigned = (int)image->comps[0].sgnd;
    opj_image_destroy(image);
    return 0;
}
