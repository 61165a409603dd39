// zlib (Debian zlib1g-dev), for deflated DICOM (transfer syntax 1.2.840.10008.1.2.1.99).
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

/// Inflates a raw deflate stream (no zlib header, as DICOM stores it). Returns 0 with a
/// malloc'd buffer in *out / *outSize (caller frees), or -1 with a message — also when the
/// output would exceed maxSize bytes (a deflate bomb), checked before the buffer grows past it.
static inline int thorax_inflate_raw(const unsigned char *data, size_t size, size_t maxSize,
                                     unsigned char **out, size_t *outSize,
                                     char *message, size_t messageCapacity) {
    z_stream stream;
    memset(&stream, 0, sizeof(stream));
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) {
        snprintf(message, messageCapacity, "zlib initialization failed");
        return -1;
    }
    size_t capacity = size * 4 + 1024, length = 0;
    if (capacity > maxSize + 1) capacity = maxSize + 1;
    unsigned char *buffer = (unsigned char *)malloc(capacity);
    if (!buffer) { inflateEnd(&stream); snprintf(message, messageCapacity, "out of memory"); return -1; }
    stream.next_in = (Bytef *)data;
    stream.avail_in = (uInt)size;
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        if (length == capacity) {
            if (length > maxSize) {
                snprintf(message, messageCapacity, "inflates to more than %zu bytes (the limit)", maxSize);
                free(buffer); inflateEnd(&stream); return -1;
            }
            capacity *= 2;
            if (capacity > maxSize + 1) capacity = maxSize + 1;
            unsigned char *grown = (unsigned char *)realloc(buffer, capacity);
            if (!grown) { free(buffer); inflateEnd(&stream); snprintf(message, messageCapacity, "out of memory"); return -1; }
            buffer = grown;
        }
        stream.next_out = buffer + length;
        stream.avail_out = (uInt)(capacity - length);
        status = inflate(&stream, Z_NO_FLUSH);
        length = capacity - stream.avail_out;
        if (status == Z_STREAM_END) break;
        if (status != Z_OK) {
            snprintf(message, messageCapacity, "deflate stream is corrupt (%s)", stream.msg ? stream.msg : "zlib error");
            free(buffer); inflateEnd(&stream); return -1;
        }
        if (stream.avail_in == 0 && stream.avail_out != 0) {
            snprintf(message, messageCapacity, "deflate stream is truncated");
            free(buffer); inflateEnd(&stream); return -1;
        }
    }
    inflateEnd(&stream);
    if (length > maxSize) {
        snprintf(message, messageCapacity, "inflates to more than %zu bytes (the limit)", maxSize);
        free(buffer); return -1;
    }
    *out = buffer;
    *outSize = length;
    return 0;
}
