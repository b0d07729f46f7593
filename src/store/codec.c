/*
 * Page compression in the framings other Parquet readers expect: a zstd
 * frame, raw snappy (no framing format), one gzip member, a raw LZ4 block
 * (LZ4_RAW, not the Hadoop framed LZ4). Decompression always targets a
 * buffer of exactly the page header's uncompressed size and checks that
 * the data fills it, no more and no less.
 */
#include "store/codec.h"

#define ZLIB_CONST
#include <limits.h>
#include <lz4.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <vitals/common.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#define GZIP_WINDOW_BITS 15

__attribute__((format(printf, 4, 5))) static int cfail(char *err, size_t errlen, int status,
                                                       const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

void codec_state_release(struct codec_state *s)
{
	if (!s)
		return;
	ZSTD_freeCCtx(s->zstd_cctx);
	ZSTD_freeDCtx(s->zstd_dctx);
	s->zstd_cctx = NULL;
	s->zstd_dctx = NULL;
}

int codec_supported(int32_t c)
{
	switch (c) {
	case VITALS_CODEC_NONE:
	case VITALS_CODEC_SNAPPY:
	case VITALS_CODEC_GZIP:
	case VITALS_CODEC_ZSTD:
	case VITALS_CODEC_LZ4_RAW:
		return 1;
	default:
		return 0;
	}
}

/* ---- compression ------------------------------------------------------- */

static int snappy_put(const uint8_t *src, size_t n, struct bytebuf *out)
{
	static const char none;
	size_t bound = snappy_max_compressed_length(n);
	size_t used = bound;

	if (bytebuf_reserve(out, bound) < 0)
		return VITALS_E_NOMEM;
	if (snappy_compress(n ? (const char *)src : &none, n, (char *)out->p + out->len, &used) !=
	    SNAPPY_OK)
		return VITALS_E_NOMEM;
	out->len += used;
	return 0;
}

static int gzip_put(int level, const uint8_t *src, size_t n, struct bytebuf *out)
{
	size_t in_left = n;
	z_stream z;
	int ret, status = 0;

	if (level == 0)
		level = Z_DEFAULT_COMPRESSION;
	else if (level < 1)
		level = 1;
	else if (level > 9)
		level = 9;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, GZIP_WINDOW_BITS + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return VITALS_E_NOMEM;
	if (bytebuf_reserve(out, deflateBound(&z, n)) < 0) {
		status = VITALS_E_NOMEM;
		goto out_end;
	}
	z.next_in = src;
	do {
		size_t room = out->cap - out->len;
		uInt in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
		uInt avail;

		if (room == 0) {
			if (bytebuf_reserve(out, 1 << 16) < 0) {
				status = VITALS_E_NOMEM;
				goto out_end;
			}
			room = out->cap - out->len;
		}
		avail = room > UINT_MAX ? UINT_MAX : (uInt)room;
		z.avail_in = in;
		z.next_out = out->p + out->len;
		z.avail_out = avail;
		ret = deflate(&z, in == in_left ? Z_FINISH : Z_NO_FLUSH);
		if (ret == Z_STREAM_ERROR) {
			status = VITALS_E_NOMEM;
			goto out_end;
		}
		in_left -= in - z.avail_in;
		out->len += avail - z.avail_out;
	} while (ret != Z_STREAM_END);
out_end:
	deflateEnd(&z);
	return status;
}

static int clamp_zstd_level(int level)
{
	if (level == 0)
		return ZSTD_CLEVEL_DEFAULT;
	if (level < ZSTD_minCLevel())
		return ZSTD_minCLevel();
	if (level > ZSTD_maxCLevel())
		return ZSTD_maxCLevel();
	return level;
}

static int zstd_put(struct codec_state *s, int level, const uint8_t *src, size_t n,
                    struct bytebuf *out)
{
	ZSTD_CCtx *cctx = s ? s->zstd_cctx : NULL;
	size_t bound = ZSTD_compressBound(n);
	size_t r;
	int status = 0;

	if (ZSTD_isError(bound) || bytebuf_reserve(out, bound) < 0)
		return VITALS_E_NOMEM;
	if (!cctx) {
		cctx = ZSTD_createCCtx();
		if (!cctx)
			return VITALS_E_NOMEM;
		if (s)
			s->zstd_cctx = cctx;
	}
	r = ZSTD_compressCCtx(cctx, out->p + out->len, bound, src, n, clamp_zstd_level(level));
	if (ZSTD_isError(r))
		status = VITALS_E_NOMEM;
	else
		out->len += r;
	if (!s)
		ZSTD_freeCCtx(cctx);
	return status;
}

static int lz4_put(const uint8_t *src, size_t n, struct bytebuf *out)
{
	static const char none;
	int bound, r;

	if (n > LZ4_MAX_INPUT_SIZE)
		return VITALS_E_NOMEM;
	bound = LZ4_compressBound((int)n);
	if (bound <= 0 || bytebuf_reserve(out, (size_t)bound) < 0)
		return VITALS_E_NOMEM;
	r = LZ4_compress_default(n ? (const char *)src : &none, (char *)out->p + out->len, (int)n,
	                         bound);
	if (r <= 0)
		return VITALS_E_NOMEM;
	out->len += (size_t)r;
	return 0;
}

int codec_compress(struct codec_state *s, int32_t c, int level, const uint8_t *src, size_t n,
                   struct bytebuf *out)
{
	if (out->error)
		return out->error;
	switch (c) {
	case VITALS_CODEC_NONE:
		return bytebuf_append(out, src, n);
	case VITALS_CODEC_SNAPPY:
		return snappy_put(src, n, out);
	case VITALS_CODEC_GZIP:
		return gzip_put(level, src, n, out);
	case VITALS_CODEC_ZSTD:
		return zstd_put(s, level, src, n, out);
	case VITALS_CODEC_LZ4_RAW:
		return lz4_put(src, n, out);
	default:
		return VITALS_E_UNSUPPORTED;
	}
}

/* ---- decompression ----------------------------------------------------- */

static int snappy_get(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, char *err,
                      size_t errlen)
{
	static char none[1];
	size_t declared, got;

	if (snappy_uncompressed_length((const char *)src, n, &declared) != SNAPPY_OK)
		return cfail(err, errlen, VITALS_E_PARSE, "snappy: corrupt length header");
	if (declared != dst_len)
		return cfail(err, errlen, VITALS_E_PARSE,
		             "snappy: data holds %zu bytes, expected %zu", declared, dst_len);
	got = dst_len;
	if (snappy_uncompress((const char *)src, n, dst ? (char *)dst : none, &got) != SNAPPY_OK)
		return cfail(err, errlen, VITALS_E_PARSE, "snappy: corrupt data");
	if (got != dst_len)
		return cfail(err, errlen, VITALS_E_PARSE,
		             "snappy: data holds %zu bytes, expected %zu", got, dst_len);
	return 0;
}

/* One gzip member, or several back to back; a zlib stream is accepted too. */
static int gzip_get(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, char *err,
                    size_t errlen)
{
	static uint8_t none[1];
	size_t in_left = n, out_left = dst_len;
	z_stream z;
	int ret, status = 0;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, GZIP_WINDOW_BITS + 32) != Z_OK)
		return cfail(err, errlen, VITALS_E_NOMEM, "gzip: out of memory");
	z.next_in = src;
	z.next_out = dst ? dst : none;
	for (;;) {
		uInt in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
		uInt out = out_left > UINT_MAX ? UINT_MAX : (uInt)out_left;

		z.avail_in = in;
		z.avail_out = out;
		ret = inflate(&z, Z_NO_FLUSH);
		in_left -= in - z.avail_in;
		out_left -= out - z.avail_out;
		if (ret == Z_STREAM_END) {
			if (out_left == 0)
				break; /* bytes after the last member are ignored, as gzip does */
			if (in_left == 0) {
				status = cfail(err, errlen, VITALS_E_PARSE,
				               "gzip: data holds %zu bytes, expected %zu",
				               dst_len - out_left, dst_len);
				goto out_end;
			}
			if (inflateReset(&z) != Z_OK) {
				status = cfail(err, errlen, VITALS_E_PARSE, "gzip: corrupt data");
				goto out_end;
			}
			continue;
		}
		if (ret == Z_OK && (in != z.avail_in || out != z.avail_out))
			continue;
		if (ret == Z_MEM_ERROR)
			status = cfail(err, errlen, VITALS_E_NOMEM, "gzip: out of memory");
		else if (ret == Z_NEED_DICT)
			status =
			    cfail(err, errlen, VITALS_E_PARSE, "gzip: needs a preset dictionary");
		else if (ret == Z_DATA_ERROR)
			status = cfail(err, errlen, VITALS_E_PARSE, "gzip: %s",
			               z.msg ? z.msg : "corrupt data");
		else if (out_left == 0)
			status = cfail(err, errlen, VITALS_E_PARSE,
			               "gzip: data holds more than %zu bytes", dst_len);
		else if (in_left == 0)
			status = cfail(err, errlen, VITALS_E_PARSE, "gzip: truncated data");
		else
			status = cfail(err, errlen, VITALS_E_PARSE, "gzip: corrupt data");
		goto out_end;
	}
out_end:
	inflateEnd(&z);
	return status;
}

static int zstd_get(struct codec_state *s, const uint8_t *src, size_t n, uint8_t *dst,
                    size_t dst_len, char *err, size_t errlen)
{
	static uint8_t none[1];
	ZSTD_DCtx *dctx = s ? s->zstd_dctx : NULL;
	size_t r;
	int status = 0;

	if (!dctx) {
		dctx = ZSTD_createDCtx();
		if (!dctx)
			return cfail(err, errlen, VITALS_E_NOMEM, "zstd: out of memory");
		if (s)
			s->zstd_dctx = dctx;
	}
	r = ZSTD_decompressDCtx(dctx, dst ? dst : none, dst_len, src, n);
	if (ZSTD_isError(r)) {
		if (ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall)
			status = cfail(err, errlen, VITALS_E_PARSE,
			               "zstd: data holds more than %zu bytes", dst_len);
		else if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
			status = cfail(err, errlen, VITALS_E_NOMEM, "zstd: out of memory");
		else
			status =
			    cfail(err, errlen, VITALS_E_PARSE, "zstd: %s", ZSTD_getErrorName(r));
	} else if (r != dst_len) {
		status = cfail(err, errlen, VITALS_E_PARSE,
		               "zstd: data holds %zu bytes, expected %zu", r, dst_len);
	}
	if (!s)
		ZSTD_freeDCtx(dctx);
	return status;
}

static int lz4_get(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len, char *err,
                   size_t errlen)
{
	static char none[1];
	int r;

	if (n > INT_MAX || dst_len > INT_MAX)
		return cfail(err, errlen, VITALS_E_PARSE, "lz4: page of %zu bytes is too large",
		             n > dst_len ? n : dst_len);
	r = LZ4_decompress_safe(n ? (const char *)src : none, dst ? (char *)dst : none, (int)n,
	                        (int)dst_len);
	if (r < 0)
		return cfail(err, errlen, VITALS_E_PARSE, "lz4: corrupt data");
	if ((size_t)r != dst_len)
		return cfail(err, errlen, VITALS_E_PARSE, "lz4: data holds %d bytes, expected %zu",
		             r, dst_len);
	return 0;
}

int codec_decompress(struct codec_state *s, int32_t c, const uint8_t *src, size_t n, uint8_t *dst,
                     size_t dst_len, char *err, size_t errlen)
{
	static const uint8_t none[1];

	if (!src)
		src = none;
	switch (c) {
	case VITALS_CODEC_NONE:
		if (n != dst_len)
			return cfail(err, errlen, VITALS_E_PARSE,
			             "uncompressed data of %zu bytes, expected %zu", n, dst_len);
		if (n)
			memcpy(dst, src, n);
		return 0;
	case VITALS_CODEC_SNAPPY:
		return snappy_get(src, n, dst, dst_len, err, errlen);
	case VITALS_CODEC_GZIP:
		return gzip_get(src, n, dst, dst_len, err, errlen);
	case VITALS_CODEC_ZSTD:
		return zstd_get(s, src, n, dst, dst_len, err, errlen);
	case VITALS_CODEC_LZ4_RAW:
		return lz4_get(src, n, dst, dst_len, err, errlen);
	default:
		return cfail(err, errlen, VITALS_E_UNSUPPORTED, "codec %d is not supported",
		             (int)c);
	}
}
