/*
 * Page codecs: round trips of every codec over empty, tiny, incompressible
 * and large inputs; the framing other Parquet readers expect (zstd frame,
 * raw snappy, gzip member, raw LZ4 block), checked against the libraries
 * directly and against pages DuckDB wrote; corrupted, truncated and
 * mis-sized input refused without a byte written past the destination.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <lz4.h>
#include <snappy-c.h>
#include <vitals/common.h>
#include <vitals/store.h>
#include <zlib.h>
#include <zstd.h>

#include "store/codec.h"
#include "store/pqmeta.h"
#include "testutil.h"

#define GUARD      64
#define GUARD_BYTE 0xa5

static const int32_t codecs[] = {VITALS_CODEC_NONE, VITALS_CODEC_SNAPPY, VITALS_CODEC_GZIP,
                                 VITALS_CODEC_ZSTD, VITALS_CODEC_LZ4_RAW};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint8_t *random_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
	return p;
}

/* Something shaped like a trace page: timestamps, small counters and repeated names. */
static uint8_t *trace_bytes(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	int64_t t = 1700000000000000;
	size_t i = 0;

	assert_non_null(p);
	while (i < n) {
		char line[96];
		int len = snprintf(line, sizeof(line), "%lld,proc-%u,%u,%.3f\n", (long long)t,
		                   (unsigned)(rng() % 40), (unsigned)(rng() % 1000),
		                   (double)(rng() % 10000) / 100);

		t += 1000000 + (int64_t)(rng() % 100);
		for (int k = 0; k < len && i < n; k++)
			p[i++] = (uint8_t)line[k];
	}
	return p;
}

/* A destination of N bytes followed by a guard. */
static uint8_t *guarded(size_t n)
{
	uint8_t *p = malloc(n + GUARD);

	assert_non_null(p);
	memset(p, GUARD_BYTE, n + GUARD);
	return p;
}

static void assert_guard(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < GUARD; i++)
		if (p[n + i] != GUARD_BYTE)
			fail_msg("byte %zu past the destination was written", i);
}

static void round_trip(struct codec_state *s, int32_t c, int level, const uint8_t *src, size_t n)
{
	struct bytebuf out = BYTEBUF_INIT;
	uint8_t *dst = guarded(n);
	char err[128] = "";

	assert_int_equal(codec_compress(s, c, level, src, n, &out), 0);
	if (c == VITALS_CODEC_NONE)
		assert_int_equal(out.len, n);
	assert_int_equal(codec_decompress(s, c, out.p, out.len, dst, n, err, sizeof(err)), 0);
	if (n)
		assert_memory_equal(dst, src, n);
	assert_guard(dst, n);
	free(dst);
	bytebuf_release(&out);
}

static void test_round_trip(void **state)
{
	const size_t large = 6u << 20;
	uint8_t *tiny = random_bytes(1);
	uint8_t *noise = random_bytes(100000);
	uint8_t *text = trace_bytes(large);
	struct codec_state s = {0};

	(void)state;
	for (size_t i = 0; i < NCODECS; i++) {
		int32_t c = codecs[i];

		assert_true(codec_supported(c));
		for (int with_state = 0; with_state < 2; with_state++) {
			struct codec_state *sp = with_state ? &s : NULL;

			round_trip(sp, c, 0, NULL, 0);
			round_trip(sp, c, 0, tiny, 1);
			round_trip(sp, c, 0, (const uint8_t *)"hello, hello, hello", 19);
			round_trip(sp, c, 0, noise, 100000);
			round_trip(sp, c, 0, text, large);
		}
	}
	/* Levels: the extremes and beyond are accepted (clamped). */
	for (int level = -200; level <= 200; level += 50) {
		round_trip(&s, VITALS_CODEC_ZSTD, level, text, 100000);
		round_trip(&s, VITALS_CODEC_GZIP, level, text, 100000);
	}
	round_trip(&s, VITALS_CODEC_ZSTD, 19, text, 100000);
	round_trip(&s, VITALS_CODEC_GZIP, 9, text, 100000);

	/* The large trace-like page compresses well, as it should. */
	{
		struct bytebuf out = BYTEBUF_INIT;

		assert_int_equal(codec_compress(&s, VITALS_CODEC_ZSTD, 0, text, large, &out), 0);
		assert_true(out.len < large / 2);
		bytebuf_release(&out);
	}
	/* Compression appends to what the buffer holds. */
	{
		struct bytebuf out = BYTEBUF_INIT;
		char err[128];
		uint8_t back[19];

		bytebuf_append(&out, "HDR", 3);
		assert_int_equal(codec_compress(&s, VITALS_CODEC_SNAPPY, 0,
		                                (const uint8_t *)"hello, hello, hello", 19, &out),
		                 0);
		assert_memory_equal(out.p, "HDR", 3);
		assert_int_equal(codec_decompress(&s, VITALS_CODEC_SNAPPY, out.p + 3, out.len - 3,
		                                  back, 19, err, sizeof(err)),
		                 0);
		assert_memory_equal(back, "hello, hello, hello", 19);
		bytebuf_release(&out);
	}
	codec_state_release(&s);
	assert_null(s.zstd_cctx);
	assert_null(s.zstd_dctx);
	codec_state_release(&s);
	codec_state_release(NULL);
	free(tiny);
	free(noise);
	free(text);
}

/* What other readers decode: each codec's output checked by its library alone. */
static void test_framing(void **state)
{
	uint8_t *text = trace_bytes(200000);
	uint8_t *back = malloc(200000);
	struct bytebuf out = BYTEBUF_INIT;
	size_t n = 200000;

	(void)state;
	assert_non_null(back);
	/* ZSTD: one frame, with its magic and the content size. */
	assert_int_equal(codec_compress(NULL, VITALS_CODEC_ZSTD, 0, text, n, &out), 0);
	assert_memory_equal(out.p, "\x28\xb5\x2f\xfd", 4);
	assert_int_equal(ZSTD_getFrameContentSize(out.p, out.len), n);
	assert_int_equal(ZSTD_findFrameCompressedSize(out.p, out.len), out.len);
	assert_int_equal(ZSTD_decompress(back, n, out.p, out.len), n);
	assert_memory_equal(back, text, n);
	/* SNAPPY: the raw format, starting with the length varint, no stream framing. */
	bytebuf_clear(&out);
	assert_int_equal(codec_compress(NULL, VITALS_CODEC_SNAPPY, 0, text, n, &out), 0);
	assert_memory_equal(out.p, "\xc0\x9a\x0c", 3); /* 200000 */
	{
		size_t len = n;

		assert_int_equal(
		    snappy_uncompress((const char *)out.p, out.len, (char *)back, &len), SNAPPY_OK);
		assert_int_equal(len, n);
		assert_memory_equal(back, text, n);
	}
	/* GZIP: one gzip member (magic 1f 8b, deflate), read by a strict gzip inflater. */
	bytebuf_clear(&out);
	assert_int_equal(codec_compress(NULL, VITALS_CODEC_GZIP, 0, text, n, &out), 0);
	assert_memory_equal(out.p, "\x1f\x8b\x08", 3);
	{
		z_stream z;

		memset(&z, 0, sizeof(z));
		assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
		z.next_in = out.p;
		z.avail_in = (uInt)out.len;
		z.next_out = back;
		z.avail_out = (uInt)n;
		assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
		assert_int_equal(z.total_out, n);
		assert_int_equal(z.avail_in, 0);
		inflateEnd(&z);
		assert_memory_equal(back, text, n);
	}
	/* LZ4_RAW: a bare block, no frame header. */
	bytebuf_clear(&out);
	assert_int_equal(codec_compress(NULL, VITALS_CODEC_LZ4_RAW, 0, text, n, &out), 0);
	assert_int_equal(
	    LZ4_decompress_safe((const char *)out.p, (char *)back, (int)out.len, (int)n), (int)n);
	assert_memory_equal(back, text, n);
	bytebuf_release(&out);
	free(back);
	free(text);
}

/* Streams made by the libraries (as other writers make them) decode. */
static void test_foreign_streams(void **state)
{
	char err[128];
	uint8_t out[64];
	uint8_t *text = trace_bytes(100000);
	uint8_t *back = malloc(100000);
	uint8_t *comp = malloc(200000);

	(void)state;
	assert_non_null(back);
	assert_non_null(comp);
	/* Hand-made blocks: a snappy literal and an LZ4 literal run. */
	assert_int_equal(codec_decompress(NULL, VITALS_CODEC_SNAPPY,
	                                  (const uint8_t *)"\x05\x10hello", 7, out, 5, err,
	                                  sizeof(err)),
	                 0);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(codec_decompress(NULL, VITALS_CODEC_LZ4_RAW, (const uint8_t *)"\x50hello",
	                                  6, out, 5, err, sizeof(err)),
	                 0);
	assert_memory_equal(out, "hello", 5);
	/* A zlib stream where gzip is declared: older writers did this. */
	{
		uLongf len = 200000;

		assert_int_equal(compress2(comp, &len, text, 100000, 6), Z_OK);
		assert_int_equal(codec_decompress(NULL, VITALS_CODEC_GZIP, comp, len, back, 100000,
		                                  err, sizeof(err)),
		                 0);
		assert_memory_equal(back, text, 100000);
	}
	/* Two gzip members back to back make one page. */
	{
		struct bytebuf two = BYTEBUF_INIT;

		assert_int_equal(codec_compress(NULL, VITALS_CODEC_GZIP, 1, text, 40000, &two), 0);
		assert_int_equal(
		    codec_compress(NULL, VITALS_CODEC_GZIP, 1, text + 40000, 60000, &two), 0);
		assert_int_equal(codec_decompress(NULL, VITALS_CODEC_GZIP, two.p, two.len, back,
		                                  100000, err, sizeof(err)),
		                 0);
		assert_memory_equal(back, text, 100000);
		bytebuf_release(&two);
	}
	/* A zstd frame with a checksum and without the content size, and two frames. */
	{
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		size_t a, b;

		assert_non_null(cc);
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
		assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0)));
		a = ZSTD_compress2(cc, comp, 200000, text, 100000);
		assert_false(ZSTD_isError(a));
		assert_int_equal(codec_decompress(NULL, VITALS_CODEC_ZSTD, comp, a, back, 100000,
		                                  err, sizeof(err)),
		                 0);
		assert_memory_equal(back, text, 100000);
		a = ZSTD_compress(comp, 100000, text, 30000, 1);
		b = ZSTD_compress(comp + a, 200000 - a, text + 30000, 70000, 1);
		assert_false(ZSTD_isError(a) || ZSTD_isError(b));
		assert_int_equal(codec_decompress(NULL, VITALS_CODEC_ZSTD, comp, a + b, back,
		                                  100000, err, sizeof(err)),
		                 0);
		assert_memory_equal(back, text, 100000);
		ZSTD_freeCCtx(cc);
	}
	free(comp);
	free(back);
	free(text);
}

static uint8_t *read_fixture(const char *name, size_t *len)
{
	FILE *f = fopen(tu_fixture(name), "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/*
 * Pages DuckDB wrote with each codec: COPY (SELECT i::BIGINT AS id FROM
 * range(300)) with DICTIONARY_SIZE_LIMIT 1, so PLAIN values 0..299 after
 * the definition levels.
 */
static void test_duckdb_pages(void **state)
{
	static const struct {
		const char *name;
		int32_t codec;
	} pages[] = {
	    {"duckdb_uncompressed", VITALS_CODEC_NONE}, {"duckdb_snappy", VITALS_CODEC_SNAPPY},
	    {"duckdb_gzip", VITALS_CODEC_GZIP},         {"duckdb_zstd", VITALS_CODEC_ZSTD},
	    {"duckdb_lz4_raw", VITALS_CODEC_LZ4_RAW},
	};
	struct codec_state s = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		struct pq_page_header h;
		char name[96], err[128] = "";
		size_t len, used;
		uint8_t *buf, *dst;
		const uint8_t *values;

		snprintf(name, sizeof(name), "parquet/pages/%s.page", pages[i].name);
		buf = read_fixture(name, &len);
		assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
		dst = guarded((size_t)h.uncompressed_size);
		assert_int_equal(codec_decompress(&s, pages[i].codec, buf + used,
		                                  (size_t)h.compressed_size, dst,
		                                  (size_t)h.uncompressed_size, err, sizeof(err)),
		                 0);
		assert_guard(dst, (size_t)h.uncompressed_size);
		values = dst + h.uncompressed_size - 300 * 8;
		for (int64_t v = 0; v < 300; v++) {
			int64_t got;

			memcpy(&got, values + v * 8, 8);
			assert_int_equal(got, v);
		}
		free(dst);
		free(buf);
	}
	/* A dictionary page (zstd) of the 13 names "name1".."name12", "name0". */
	{
		struct pq_page_header h;
		char err[128] = "";
		size_t len, used;
		uint8_t *buf = read_fixture("parquet/pages/duckdb_dictionary_zstd.page", &len);
		uint8_t *dst;
		uint32_t first;

		assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
		dst = guarded((size_t)h.uncompressed_size);
		assert_int_equal(codec_decompress(&s, VITALS_CODEC_ZSTD, buf + used,
		                                  (size_t)h.compressed_size, dst,
		                                  (size_t)h.uncompressed_size, err, sizeof(err)),
		                 0);
		memcpy(&first, dst, 4);
		assert_int_equal(first, 5);
		assert_memory_equal(dst + 4, "name1", 5);
		free(dst);
		free(buf);
	}
	/* hyparquet-writer's DATA_PAGE_V2: levels stored plain, values snappy. */
	{
		struct pq_page_header h;
		char err[128] = "";
		size_t len, used, levels;
		uint8_t *buf = read_fixture("parquet/pages/hyparquet_v2_snappy.page", &len);
		uint8_t *dst;

		assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
		levels = (size_t)h.def_levels_byte_length + (size_t)h.rep_levels_byte_length;
		dst = guarded((size_t)h.uncompressed_size - levels);
		assert_int_equal(codec_decompress(&s, VITALS_CODEC_SNAPPY, buf + used + levels,
		                                  (size_t)h.compressed_size - levels, dst,
		                                  (size_t)h.uncompressed_size - levels, err,
		                                  sizeof(err)),
		                 0);
		assert_guard(dst, (size_t)h.uncompressed_size - levels);
		assert_int_equal(dst[0], 5); /* RLE_DICTIONARY: bit width of 17 entries */
		free(dst);
		free(buf);
	}
	codec_state_release(&s);
}

static void test_wrong_size(void **state)
{
	uint8_t *text = trace_bytes(50000);
	struct codec_state s = {0};

	(void)state;
	for (size_t i = 0; i < NCODECS; i++) {
		struct bytebuf out = BYTEBUF_INIT;
		int32_t c = codecs[i];

		assert_int_equal(codec_compress(&s, c, 0, text, 50000, &out), 0);
		for (int delta = -1; delta <= 1; delta += 2) {
			size_t want = (size_t)(50000 + delta);
			uint8_t *dst = guarded(want);
			char err[128] = "";

			assert_int_equal(
			    codec_decompress(&s, c, out.p, out.len, dst, want, err, sizeof(err)),
			    VITALS_E_PARSE);
			assert_true(err[0] != 0);
			assert_guard(dst, want);
			free(dst);
		}
		/* Nothing at all where bytes are expected, and bytes where none are. */
		{
			uint8_t dst[GUARD + 8];
			char err[128] = "";

			memset(dst, GUARD_BYTE, sizeof(dst));
			assert_int_equal(
			    codec_decompress(&s, c, out.p, out.len, dst, 0, err, sizeof(err)),
			    VITALS_E_PARSE);
			assert_guard(dst, 0);
			assert_int_equal(codec_decompress(&s, c, NULL, 0, dst, 8, err, sizeof(err)),
			                 VITALS_E_PARSE);
			assert_true(err[0] != 0);
			assert_guard(dst, 8);
		}
		bytebuf_release(&out);
	}
	/* The messages say what happened. */
	{
		struct bytebuf out = BYTEBUF_INIT;
		uint8_t *dst = guarded(50001);
		char err[128];

		assert_int_equal(codec_compress(&s, VITALS_CODEC_SNAPPY, 0, text, 50000, &out), 0);
		codec_decompress(&s, VITALS_CODEC_SNAPPY, out.p, out.len, dst, 50001, err,
		                 sizeof(err));
		assert_string_equal(err, "snappy: data holds 50000 bytes, expected 50001");
		bytebuf_clear(&out);
		assert_int_equal(codec_compress(&s, VITALS_CODEC_ZSTD, 0, text, 50000, &out), 0);
		codec_decompress(&s, VITALS_CODEC_ZSTD, out.p, out.len, dst, 49999, err,
		                 sizeof(err));
		assert_string_equal(err, "zstd: data holds more than 49999 bytes");
		codec_decompress(&s, VITALS_CODEC_ZSTD, out.p, out.len, dst, 50001, err,
		                 sizeof(err));
		assert_string_equal(err, "zstd: data holds 50000 bytes, expected 50001");
		bytebuf_clear(&out);
		assert_int_equal(codec_compress(&s, VITALS_CODEC_GZIP, 0, text, 50000, &out), 0);
		codec_decompress(&s, VITALS_CODEC_GZIP, out.p, out.len, dst, 49999, err,
		                 sizeof(err));
		assert_string_equal(err, "gzip: data holds more than 49999 bytes");
		codec_decompress(&s, VITALS_CODEC_GZIP, out.p, out.len, dst, 50001, err,
		                 sizeof(err));
		assert_string_equal(err, "gzip: data holds 50000 bytes, expected 50001");
		codec_decompress(&s, VITALS_CODEC_GZIP, out.p, out.len / 2, dst, 50000, err,
		                 sizeof(err));
		assert_string_equal(err, "gzip: truncated data");
		codec_decompress(&s, VITALS_CODEC_NONE, text, 50000, dst, 50001, err, sizeof(err));
		assert_string_equal(err, "uncompressed data of 50000 bytes, expected 50001");
		free(dst);
		bytebuf_release(&out);
	}
	codec_state_release(&s);
	free(text);
}

/* Truncated, bit-flipped and random input: an error or (checksum-less codecs) other bytes, never an
 * overrun. */
static void test_corrupt(void **state)
{
	const size_t n = 100000;
	uint8_t *text = trace_bytes(n);
	uint8_t *noise = random_bytes(n);
	uint8_t *dst = guarded(n);
	struct codec_state s = {0};

	(void)state;
	for (size_t i = 1; i < NCODECS; i++) {
		struct bytebuf out = BYTEBUF_INIT;
		int32_t c = codecs[i];
		char err[128];
		int rc;

		assert_int_equal(codec_compress(&s, c, 0, text, n, &out), 0);
		/* Truncated anywhere: never the full page back. */
		for (size_t cut = 0; cut < out.len; cut += 1 + out.len / 97) {
			err[0] = 0;
			rc = codec_decompress(&s, c, out.p, cut, dst, n, err, sizeof(err));
			assert_int_equal(rc, VITALS_E_PARSE);
			assert_true(err[0] != 0);
			assert_guard(dst, n);
		}
		/* Flipped bytes. */
		for (int k = 0; k < 300; k++) {
			size_t at = (size_t)(rng() % out.len);
			uint8_t bit = (uint8_t)(1u << (rng() % 8));

			out.p[at] ^= bit;
			err[0] = 0;
			rc = codec_decompress(&s, c, out.p, out.len, dst, n, err, sizeof(err));
			assert_true(rc == 0 || rc == VITALS_E_PARSE);
			if (rc)
				assert_true(err[0] != 0);
			assert_guard(dst, n);
			out.p[at] ^= bit;
		}
		/* The gzip and zstd checksums catch a flip in the data. */
		if (c == VITALS_CODEC_GZIP) {
			out.p[out.len / 2] ^= 0x10;
			assert_int_equal(
			    codec_decompress(&s, c, out.p, out.len, dst, n, err, sizeof(err)),
			    VITALS_E_PARSE);
			out.p[out.len / 2] ^= 0x10;
		}
		/* Random bytes. */
		for (size_t len = 1; len < n; len *= 7) {
			rc = codec_decompress(&s, c, noise, len, dst, n, err, sizeof(err));
			assert_int_equal(rc, VITALS_E_PARSE);
			assert_guard(dst, n);
		}
		bytebuf_release(&out);
	}
	/* A snappy header declaring 4 GiB. */
	{
		char err[128];

		assert_int_equal(codec_decompress(&s, VITALS_CODEC_SNAPPY,
		                                  (const uint8_t *)"\xff\xff\xff\xff\x0f\x00", 6,
		                                  dst, n, err, sizeof(err)),
		                 VITALS_E_PARSE);
		assert_string_equal(err, "snappy: data holds 4294967295 bytes, expected 100000");
		assert_guard(dst, n);
	}
	codec_state_release(&s);
	free(dst);
	free(noise);
	free(text);
}

static void test_unsupported(void **state)
{
	static const int32_t others[] = {3, 4, 5, 8, -1, 1000};
	struct bytebuf out = BYTEBUF_INIT;
	uint8_t dst[4];
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_false(codec_supported(others[i]));
		assert_int_equal(
		    codec_compress(NULL, others[i], 0, (const uint8_t *)"abcd", 4, &out),
		    VITALS_E_UNSUPPORTED);
		assert_int_equal(codec_decompress(NULL, others[i], (const uint8_t *)"abcd", 4, dst,
		                                  4, err, sizeof(err)),
		                 VITALS_E_UNSUPPORTED);
	}
	assert_string_equal(err, "codec 1000 is not supported");
	assert_int_equal(out.len, 0);
	/* A full buffer refuses and stays unchanged. */
	{
		struct bytebuf small;
		uint8_t *noise = random_bytes(1000);

		bytebuf_init(&small, 100);
		for (size_t i = 0; i < NCODECS; i++) {
			bytebuf_clear(&small);
			assert_int_equal(codec_compress(NULL, codecs[i], 0, noise, 1000, &small),
			                 VITALS_E_NOMEM);
		}
		bytebuf_release(&small);
		free(noise);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_framing),
	    cmocka_unit_test(test_foreign_streams), cmocka_unit_test(test_duckdb_pages),
	    cmocka_unit_test(test_wrong_size),      cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_unsupported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
