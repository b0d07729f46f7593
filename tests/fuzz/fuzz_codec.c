/*
 * Fuzz page decompression. The first byte picks the codec, the next three
 * the expected uncompressed size (20 bits, little-endian: up to 1 MiB); the rest
 * is the compressed page. Decompression must succeed or fail with a
 * message, and never write past the size asked for. The same bytes are
 * then compressed and must come back unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/common.h>
#include <vitals/store.h>

#include "store/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 32

static const int32_t codecs[] = {VITALS_CODEC_NONE, VITALS_CODEC_SNAPPY, VITALS_CODEC_GZIP,
                                 VITALS_CODEC_ZSTD, VITALS_CODEC_LZ4_RAW};

static struct codec_state state;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytebuf out = BYTEBUF_INIT;
	const uint8_t *src;
	uint8_t *dst, *back;
	size_t n, want;
	int32_t c;
	char err[128];
	int rc;

	if (size < 4 || size > 1 << 20)
		return 0;
	c = codecs[data[0] % 5];
	want = (size_t)data[1] | (size_t)data[2] << 8 | (size_t)(data[3] & 0x0f) << 16;
	src = data + 4;
	n = size - 4;

	dst = malloc(want + GUARD);
	if (!dst)
		abort();
	memset(dst, 0xa5, want + GUARD);
	err[0] = 0;
	rc = codec_decompress(&state, c, src, n, dst, want, err, sizeof(err));
	if (rc != 0 && (rc != VITALS_E_PARSE || !err[0] || !memchr(err, 0, sizeof(err))))
		abort();
	for (size_t i = 0; i < GUARD; i++)
		if (dst[want + i] != 0xa5)
			abort();
	if (rc == 0 && c == VITALS_CODEC_NONE && (n != want || memcmp(dst, src, n) != 0))
		abort();
	free(dst);

	if (codec_compress(&state, c, data[1] % 4, src, n, &out) != 0)
		abort();
	back = malloc(n + 1);
	if (!back)
		abort();
	if (codec_decompress(&state, c, out.p, out.len, back, n, err, sizeof(err)) != 0 ||
	    (n && memcmp(back, src, n) != 0))
		abort();
	free(back);
	bytebuf_release(&out);
	return 0;
}
