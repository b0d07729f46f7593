/*
 * Page compression for Parquet: ZSTD, SNAPPY, GZIP and LZ4_RAW through
 * Debian's libzstd, libsnappy (its C API), zlib and liblz4, plus none.
 */
#ifndef VITALS_STORE_CODEC_H
#define VITALS_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/store.h>

#include "util/bytebuf.h"

/*
 * Contexts kept between calls (zstd's are costly to create); zero it to
 * start. Every function below accepts NULL for a one-off call.
 */
struct codec_state {
	void *zstd_cctx;
	void *zstd_dctx;
};

void codec_state_release(struct codec_state *s);

/* Whether this build can compress and decompress C (NONE always). */
int codec_supported(int32_t c);

/*
 * Append SRC (N bytes) compressed with C at LEVEL (0: the codec's
 * default) to OUT. 0, VITALS_E_NOMEM, or VITALS_E_UNSUPPORTED.
 */
int codec_compress(struct codec_state *s, int32_t c, int level, const uint8_t *src, size_t n,
                   struct bytebuf *out);

/*
 * Decompress SRC (N bytes) with C into DST, which must come out exactly
 * DST_LEN bytes long (the page header's uncompressed size). 0, or
 * VITALS_E_PARSE when the data is corrupt or has another size (with a
 * short reason in ERR, e.g. "zstd: corrupted block"), or
 * VITALS_E_UNSUPPORTED for a codec this build lacks. Never writes past
 * DST_LEN, whatever SRC holds.
 */
int codec_decompress(struct codec_state *s, int32_t c, const uint8_t *src, size_t n, uint8_t *dst,
                     size_t dst_len, char *err, size_t errlen);

#endif
