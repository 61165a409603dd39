// Intel ISA-L (Debian libisal-dev): its inflate is 2-3x faster than zlib's on PNG image data
// (2.0 ms vs 4.5 ms on a 1024x1024 NIH image on this host), and its CRC-32 uses carry-less
// multiplication. Used by Imaging's direct PNG path.
#include <isa-l/igzip_lib.h>
#include <isa-l/crc.h>
#include <stdlib.h>
#include <string.h>

/// Inflates a zlib stream (header, deflate data, Adler-32 trailer, checked) into exactly
/// `capacity` bytes at `out`. Returns ISA-L's status (ISAL_DECOMP_OK = 0 on success, negative on
/// corrupt data, ISAL_END_INPUT when the input ends early, ISAL_OUT_OVERFLOW when it holds more),
/// and the number of bytes written in *written. Returns -100 when the state cannot be allocated.
static inline int thorax_isal_inflate_zlib(const unsigned char *data, size_t size,
                                           unsigned char *out, size_t capacity, size_t *written) {
    struct inflate_state *state = (struct inflate_state *)malloc(sizeof(struct inflate_state));
    if (!state) return -100;
    isal_inflate_init(state);
    state->crc_flag = ISAL_ZLIB;
    state->next_in = (uint8_t *)data;
    state->avail_in = (uint32_t)size;
    state->next_out = out;
    state->avail_out = (uint32_t)capacity;
    int status = isal_inflate_stateless(state);
    *written = capacity - state->avail_out;
    free(state);
    return status;
}

/// CRC-32 (IEEE, as PNG and zlib define it) of `size` bytes, continuing from `crc` (0 to start).
static inline uint32_t thorax_isal_crc32(uint32_t crc, const unsigned char *data, size_t size) {
    return crc32_gzip_refl(crc, data, (uint64_t)size);
}

/// Deflates `size` bytes as one zlib stream (header, deflate data, Adler-32 trailer) at ISA-L's
/// `level` (0 to ISAL_DEF_MAX_LEVEL) into `out` (at most `capacity` bytes). Returns ISA-L's
/// status (COMP_OK = 0; STATELESS_OVERFLOW when `out` is too small) and the bytes written in
/// *written; -100 when the state cannot be allocated. Used by Imaging's direct PNG encoder.
static inline int thorax_isal_deflate_zlib(const unsigned char *data, size_t size, int level,
                                           unsigned char *out, size_t capacity, size_t *written) {
    struct isal_zstream *stream = (struct isal_zstream *)malloc(sizeof(struct isal_zstream));
    size_t levelSize = level == 0 ? 0 : level == 1 ? ISAL_DEF_LVL1_DEFAULT : level == 2 ? ISAL_DEF_LVL2_DEFAULT
                                                                                     : ISAL_DEF_LVL3_DEFAULT;
    unsigned char *levelBuffer = levelSize ? (unsigned char *)malloc(levelSize) : NULL;
    if (!stream || (levelSize && !levelBuffer)) { free(stream); free(levelBuffer); return -100; }
    isal_deflate_stateless_init(stream);
    stream->next_in = (uint8_t *)data;
    stream->avail_in = (uint32_t)size;
    stream->next_out = out;
    stream->avail_out = (uint32_t)capacity;
    stream->end_of_stream = 1;
    stream->flush = NO_FLUSH;
    stream->level = (uint32_t)level;
    stream->level_buf = levelBuffer;
    stream->level_buf_size = (uint32_t)levelSize;
    stream->gzip_flag = IGZIP_ZLIB;
    int status = isal_deflate_stateless(stream);
    *written = capacity - stream->avail_out;
    free(levelBuffer);
    free(stream);
    return status;
}
