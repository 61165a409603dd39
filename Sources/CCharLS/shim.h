// CharLS 2.4 (Debian libcharls-dev), JPEG-LS for DICOM 1.2.840.10008.1.2.4.80 / .81. Its C
// API returns error codes (no exceptions cross it); this shim folds the calls into one.
#include <charls/charls.h>
#include <stdio.h>
#include <stdlib.h>

/// Decodes a JPEG-LS stream. Returns 0 with a malloc'd buffer in *pixels (caller frees):
/// samples of `bitsPerSample` bits, one byte each up to 8 bits, else two (host order);
/// interleaved when components > 1. Returns -1 with a message on failure.
/// Frames over maxPixels are refused after reading the header, before allocating.
static inline int thorax_jpegls_decode(const void *data, size_t size, size_t maxPixels, void **pixels,
                                       int *width, int *height, int *bitsPerSample, int *components,
                                       char *message, size_t messageCapacity) {
    *pixels = NULL;
    charls_jpegls_decoder *decoder = charls_jpegls_decoder_create();
    if (!decoder) { snprintf(message, messageCapacity, "out of memory"); return -1; }
    charls_jpegls_errc status = charls_jpegls_decoder_set_source_buffer(decoder, data, size);
    if (status == CHARLS_JPEGLS_ERRC_SUCCESS) status = charls_jpegls_decoder_read_header(decoder);
    charls_frame_info info;
    if (status == CHARLS_JPEGLS_ERRC_SUCCESS) status = charls_jpegls_decoder_get_frame_info(decoder, &info);
    if (status == CHARLS_JPEGLS_ERRC_SUCCESS && (size_t)info.width * (size_t)info.height > maxPixels) {
        charls_jpegls_decoder_destroy(decoder);
        snprintf(message, messageCapacity, "a %ux%u frame is over the limit of %zu pixels", info.width, info.height, maxPixels);
        return -1;
    }
    size_t destinationSize = 0;
    if (status == CHARLS_JPEGLS_ERRC_SUCCESS) status = charls_jpegls_decoder_get_destination_size(decoder, 0, &destinationSize);
    void *buffer = NULL;
    if (status == CHARLS_JPEGLS_ERRC_SUCCESS) {
        buffer = malloc(destinationSize ? destinationSize : 1);
        if (!buffer) { charls_jpegls_decoder_destroy(decoder); snprintf(message, messageCapacity, "out of memory"); return -1; }
        status = charls_jpegls_decoder_decode_to_buffer(decoder, buffer, destinationSize, 0);
    }
    charls_jpegls_decoder_destroy(decoder);
    if (status != CHARLS_JPEGLS_ERRC_SUCCESS) {
        free(buffer);
        snprintf(message, messageCapacity, "%s", charls_get_error_message(status));
        return -1;
    }
    *pixels = buffer;
    *width = (int)info.width;
    *height = (int)info.height;
    *bitsPerSample = info.bits_per_sample;
    *components = info.component_count;
    return 0;
}
