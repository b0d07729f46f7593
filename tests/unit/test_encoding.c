/*
 * Parquet encodings: the specification's own examples byte for byte,
 * round trips over random and extreme data checking every value, every
 * truncation of a valid encoding failing cleanly, malformed inputs, and
 * the writer's dictionary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vitals/common.h>

#include "store/encoding.h"

/* Timing bounds only hold in optimized builds without sanitizers. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif

static const size_t sizes[] = {0, 1, 7, 8, 9, 127, 128, 129, 10000};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	assert_non_null(p);
	return p;
}

static void assert_bytes(const struct bytebuf *b, const uint8_t *want, size_t n)
{
	assert_int_equal(b->len, n);
	assert_memory_equal(b->p, want, n);
}

/* ---- bit widths ---- */

static void test_bit_width(void **state)
{
	(void)state;
	assert_int_equal(enc_bit_width(0), 0);
	assert_int_equal(enc_bit_width(1), 1);
	assert_int_equal(enc_bit_width(2), 2);
	assert_int_equal(enc_bit_width(3), 2);
	assert_int_equal(enc_bit_width(255), 8);
	assert_int_equal(enc_bit_width(256), 9);
	assert_int_equal(enc_bit_width(UINT32_MAX), 32);
	assert_int_equal(enc_bit_width(UINT64_MAX), 64);
}

/* ---- RLE / bit-packed hybrid ---- */

static void test_rle_spec_vectors(void **state)
{
	struct bytebuf b;
	uint32_t v[32], out[32];
	uint8_t v8[16], out8[16];

	(void)state;
	bytebuf_init(&b, 0);

	/* The specification's bit-packing example: 0..7 in 3 bits, one group. */
	{
		static const uint8_t want[] = {0x03, 0x88, 0xc6, 0xfa};

		for (uint32_t i = 0; i < 8; i++)
			v[i] = i;
		assert_int_equal(enc_rle_encode(&b, v, 8, 3), 0);
		assert_bytes(&b, want, sizeof(want));
		memset(out, 0xff, sizeof(out));
		assert_int_equal(enc_rle_decode(want, sizeof(want), 3, out, 8), 0);
		assert_memory_equal(out, v, 8 * sizeof(*v));
		/* Only what is asked is written. */
		memset(out, 0xff, sizeof(out));
		assert_int_equal(enc_rle_decode(want, sizeof(want), 3, out, 5), 0);
		assert_int_equal(out[4], 4);
		assert_int_equal(out[5], 0xffffffff);
	}
	/* An RLE run: 100 times 5 in 3 bits is varint(200), then one byte. */
	{
		static const uint8_t want[] = {0xc8, 0x01, 0x05};

		bytebuf_clear(&b);
		for (int i = 0; i < 16; i++)
			v8[i] = 5;
		{
			uint32_t big[100];

			for (int i = 0; i < 100; i++)
				big[i] = 5;
			assert_int_equal(enc_rle_encode(&b, big, 100, 3), 0);
			assert_bytes(&b, want, sizeof(want));
		}
		/* A run longer than what is asked is cut. */
		memset(out, 0, sizeof(out));
		assert_int_equal(enc_rle_decode(want, sizeof(want), 3, out, 10), 0);
		for (int i = 0; i < 10; i++)
			assert_int_equal(out[i], 5);
		assert_int_equal(out[10], 0);
		assert_int_equal(enc_rle_decode_u8(want, sizeof(want), 3, out8, 16), 0);
		assert_memory_equal(out8, v8, 16);
	}
	/* Three literals borrow five values of the run to fill their group. */
	{
		static const uint8_t want[] = {0x03, 0x21, 0x93, 0x99, 0x99, 0x1e, 0x09};

		bytebuf_clear(&b);
		v[0] = 1, v[1] = 2, v[2] = 3;
		for (int i = 3; i < 23; i++)
			v[i] = 9;
		assert_int_equal(enc_rle_encode(&b, v, 23, 4), 0);
		assert_bytes(&b, want, sizeof(want));
		assert_int_equal(enc_rle_decode(want, sizeof(want), 4, out, 23), 0);
		assert_memory_equal(out, v, 23 * sizeof(*v));
	}
	/* A value of 12 bits takes two little-endian bytes in an RLE run. */
	{
		static const uint8_t want[] = {0x12, 0xbc, 0x0a};

		bytebuf_clear(&b);
		for (int i = 0; i < 9; i++)
			v[i] = 0xabc;
		assert_int_equal(enc_rle_encode(&b, v, 9, 12), 0);
		assert_bytes(&b, want, sizeof(want));
	}
	/* A partial last group is padded with zeros: 1,0,1 in 1 bit. */
	{
		static const uint8_t want[] = {0x03, 0x05};

		bytebuf_clear(&b);
		v8[0] = 1, v8[1] = 0, v8[2] = 1;
		assert_int_equal(enc_rle_encode_u8(&b, v8, 3, 1), 0);
		assert_bytes(&b, want, sizeof(want));
	}
	/* Width 0: nothing is read, zeros come out. */
	memset(out, 0xff, sizeof(out));
	assert_int_equal(enc_rle_decode(NULL, 0, 0, out, 32), 0);
	for (int i = 0; i < 32; i++)
		assert_int_equal(out[i], 0);
	bytebuf_release(&b);
}

static void test_rle_malformed(void **state)
{
	uint32_t out[64];
	uint8_t out8[64];
	struct bytebuf b;

	(void)state;
	/* An RLE value that does not fit the width. */
	{
		static const uint8_t in[] = {0x02, 0x08};

		assert_int_equal(enc_rle_decode(in, sizeof(in), 3, out, 1), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode(in, sizeof(in), 4, out, 1), 0);
		assert_int_equal(out[0], 8);
	}
	/* Two groups claimed, one present: fails even when one would do. */
	{
		static const uint8_t in[] = {0x05, 0x88, 0xc6, 0xfa};

		assert_int_equal(enc_rle_decode(in, sizeof(in), 3, out, 16), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode(in, sizeof(in), 3, out, 8), VITALS_E_PARSE);
	}
	/* A group count that would overflow when multiplied. */
	{
		static const uint8_t in[] = {0xff, 0xff, 0xff, 0xff, 0xff,
		                             0xff, 0xff, 0xff, 0xff, 0x01};

		assert_int_equal(enc_rle_decode(in, sizeof(in), 32, out, 8), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode_u8(in, sizeof(in), 8, out8, 8), VITALS_E_PARSE);
	}
	/* Varints that run off the end or past 64 bits. */
	{
		static const uint8_t in[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		                             0x80, 0x80, 0x80, 0x80, 0x80, 0x01};

		assert_int_equal(enc_rle_decode(in, 3, 1, out, 1), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode(in, sizeof(in), 1, out, 1), VITALS_E_PARSE);
	}
	/* Input used up before the values are. */
	{
		static const uint8_t in[] = {0x06, 0x01};

		assert_int_equal(enc_rle_decode(in, sizeof(in), 1, out, 3), 0);
		assert_int_equal(enc_rle_decode(in, sizeof(in), 1, out, 4), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode(in, 0, 1, out, 1), VITALS_E_PARSE);
	}
	/* Zero-length runs are skipped, not looped on. */
	{
		static const uint8_t in[] = {0x00, 0x01, 0x01, 0x04, 0x01};

		assert_int_equal(enc_rle_decode(in, sizeof(in), 1, out, 2), 0);
		assert_int_equal(out[0], 1);
		assert_int_equal(out[1], 1);
	}
	/* Widths out of range. */
	assert_int_equal(enc_rle_decode((const uint8_t *)"\x02\x01", 2, 33, out, 1),
	                 VITALS_E_PARSE);
	assert_int_equal(enc_rle_decode_u8((const uint8_t *)"\x02\x01", 2, 9, out8, 1),
	                 VITALS_E_PARSE);
	assert_int_equal(enc_rle_decode((const uint8_t *)"\x02\x01", 2, -1, out, 1),
	                 VITALS_E_PARSE);

	/* Encoders refuse values wider than the width, appending nothing. */
	bytebuf_init(&b, 0);
	out[0] = 1, out[1] = 8;
	assert_int_equal(enc_rle_encode(&b, out, 2, 3), VITALS_E_INVAL);
	assert_int_equal(enc_rle_encode(&b, out, 2, 33), VITALS_E_INVAL);
	out8[0] = 2;
	assert_int_equal(enc_rle_encode_u8(&b, out8, 1, 1), VITALS_E_INVAL);
	assert_int_equal(enc_rle_encode_u8(&b, out8, 1, 9), VITALS_E_INVAL);
	assert_int_equal(b.len, 0);
	/* A full buffer reports VITALS_E_NOMEM. */
	bytebuf_release(&b);
	bytebuf_init(&b, 4);
	for (int i = 0; i < 64; i++)
		out[i] = (uint32_t)i;
	assert_int_equal(enc_rle_encode(&b, out, 64, 6), VITALS_E_NOMEM);
	bytebuf_release(&b);
}

enum pattern { PAT_RANDOM, PAT_RUNS, PAT_EQUAL, PAT_ALTERNATE, PAT_COUNT };

static void fill_levels(uint32_t *v, size_t n, int w, enum pattern pat)
{
	uint32_t max = w == 32 ? UINT32_MAX : (uint32_t)((1ULL << w) - 1);

	for (size_t i = 0; i < n;) {
		switch (pat) {
		case PAT_RANDOM:
			v[i++] = (uint32_t)rnd() & max;
			break;
		case PAT_RUNS: {
			/* Runs of 1..20, some of them long enough for RLE. */
			size_t len = 1 + rnd() % 20;
			uint32_t x = (uint32_t)rnd() & max;

			for (size_t k = 0; k < len && i < n; k++)
				v[i++] = x;
			break;
		}
		case PAT_EQUAL:
			v[i++] = max;
			break;
		default:
			v[i] = i % 2 ? max : 0;
			i++;
			break;
		}
	}
}

static void test_rle_roundtrip(void **state)
{
	size_t maxn = sizes[NSIZES - 1];
	uint32_t *v = xmalloc(maxn * sizeof(*v)), *out = xmalloc((maxn + 1) * sizeof(*out));
	uint8_t *v8 = xmalloc(maxn), *out8 = xmalloc(maxn + 1);
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	for (int w = 0; w <= 32; w++) {
		for (size_t si = 0; si < NSIZES; si++) {
			size_t n = sizes[si];

			for (int pat = 0; pat < PAT_COUNT; pat++) {
				fill_levels(v, n, w, (enum pattern)pat);
				bytebuf_clear(&b);
				assert_int_equal(enc_rle_encode(&b, v, n, w), 0);
				out[n] = 0xdeadbeef;
				assert_int_equal(enc_rle_decode(b.p, b.len, w, out, n), 0);
				assert_memory_equal(out, v, n * sizeof(*v));
				assert_int_equal(out[n], 0xdeadbeef);
				/* A prefix of the values decodes alike. */
				if (n > 3) {
					assert_int_equal(enc_rle_decode(b.p, b.len, w, out, n - 3),
					                 0);
					assert_memory_equal(out, v, (n - 3) * sizeof(*v));
				}
				if (w > 8)
					continue;
				for (size_t i = 0; i < n; i++)
					v8[i] = (uint8_t)v[i];
				bytebuf_clear(&b);
				assert_int_equal(enc_rle_encode_u8(&b, v8, n, w), 0);
				out8[n] = 0xa5;
				assert_int_equal(enc_rle_decode_u8(b.p, b.len, w, out8, n), 0);
				assert_memory_equal(out8, v8, n);
				assert_int_equal(out8[n], 0xa5);
				/* Both variants read each other's output. */
				assert_int_equal(enc_rle_decode(b.p, b.len, w, out, n), 0);
				assert_memory_equal(out, v, n * sizeof(*v));
			}
		}
	}
	bytebuf_release(&b);
	free(v);
	free(out);
	free(v8);
	free(out8);
}

/* Exactly the bytes of each encoding, so a read past the end is caught. */
static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *q = xmalloc(n);

	if (n)
		memcpy(q, p, n);
	return q;
}

static void test_rle_truncated(void **state)
{
	uint32_t v[300], out[300];
	uint8_t out8[300];
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	for (int w = 1; w <= 32; w++) {
		fill_levels(v, 300, w, PAT_RUNS);
		bytebuf_clear(&b);
		assert_int_equal(enc_rle_encode(&b, v, 300, w), 0);
		for (size_t cut = 0; cut < b.len; cut++) {
			uint8_t *in = dup_bytes(b.p, cut);

			assert_int_equal(enc_rle_decode(in, cut, w, out, 300), VITALS_E_PARSE);
			if (w <= 8)
				assert_int_equal(enc_rle_decode_u8(in, cut, w, out8, 300),
				                 VITALS_E_PARSE);
			free(in);
		}
	}
	bytebuf_release(&b);
}

/*
 * M ascending positions below N (M <= N): every one, every K-th, random
 * ones (with repeats), or a few near the end.
 */
static size_t pick_positions(uint32_t *pos, size_t n, int how)
{
	size_t m = 0;

	if (n == 0)
		return 0;
	switch (how) {
	case 0:
		for (size_t i = 0; i < n; i++)
			pos[m++] = (uint32_t)i;
		break;
	case 1:
		for (size_t i = rnd() % 7; i < n; i += 1 + rnd() % 300)
			pos[m++] = (uint32_t)i;
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			if (rnd() % 8 == 0) {
				pos[m++] = (uint32_t)i;
				if (rnd() % 4 == 0)
					pos[m++] = (uint32_t)i;
			}
		break;
	default:
		pos[m++] = (uint32_t)(n - 1);
		break;
	}
	return m;
}

/* Values at some positions, and runs one by one, against the whole decode. */
static void test_rle_decode_at(void **state)
{
	size_t maxn = sizes[NSIZES - 1];
	uint32_t *v = xmalloc(maxn * sizeof(*v)), *all = xmalloc(maxn * sizeof(*all));
	uint32_t *pos = xmalloc(2 * maxn * sizeof(*pos)), tmp[64];
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	for (int w = 0; w <= 32; w++) {
		for (size_t si = 0; si < NSIZES; si++) {
			size_t n = sizes[si];

			for (int pat = 0; pat < PAT_COUNT; pat++) {
				struct enc_rle_runs it;
				struct enc_rle_run run;
				size_t at = 0;
				uint8_t *in;
				int rc;

				fill_levels(v, n, w, (enum pattern)pat);
				bytebuf_clear(&b);
				assert_int_equal(enc_rle_encode(&b, v, n, w), 0);
				in = dup_bytes(b.p, b.len);
				assert_int_equal(enc_rle_decode(in, b.len, w, all, n), 0);
				for (int how = 0; how < 4; how++) {
					size_t m = pick_positions(pos, n, how);
					/* Exactly M values, so a write past them is caught. */
					uint32_t *out = xmalloc((m ? m : 1) * sizeof(*out));

					assert_int_equal(
					    enc_rle_decode_at(in, b.len, w, n, pos, m, out), 0);
					for (size_t t = 0; t < m; t++)
						if (out[t] != all[pos[t]])
							fail_msg(
							    "width %d, %zu values, pattern %d: "
							    "value %" PRIu32 " is %" PRIu32
							    ", expected %" PRIu32,
							    w, n, pat, pos[t], out[t], all[pos[t]]);
					free(out);
				}
				/* The runs cover the N values, and unpack to them. */
				assert_int_equal(enc_rle_runs_init(&it, in, b.len, w, n), 0);
				while ((rc = enc_rle_runs_next(&it, &run)) > 0) {
					assert_true(run.count <= n - at);
					for (size_t j = 0; j < run.count; j += 64) {
						size_t k = run.count - j < 64 ? run.count - j : 64;

						if (!run.packed) {
							for (size_t q = 0; q < k; q++)
								assert_int_equal(all[at + j + q],
								                 run.value);
							continue;
						}
						enc_rle_run_unpack(&run, j, tmp, k);
						assert_memory_equal(tmp, all + at + j,
						                    k * sizeof(*tmp));
					}
					at += run.count;
				}
				assert_int_equal(rc, 0);
				assert_int_equal(at, n);
				free(in);
			}
		}
	}
	bytebuf_release(&b);
	free(v);
	free(all);
	free(pos);
}

/* Levels at some positions, with the ones before each, against the whole decode. */
static void test_rle_levels_at(void **state)
{
	size_t maxn = sizes[NSIZES - 1];
	uint32_t *v = xmalloc(maxn * sizeof(*v)), *pos = xmalloc(2 * maxn * sizeof(*pos));
	uint8_t *v8 = xmalloc(maxn), *all = xmalloc(maxn);
	size_t *ones_before = xmalloc((maxn + 1) * sizeof(size_t));
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	for (size_t si = 0; si < NSIZES; si++) {
		size_t n = sizes[si];

		for (int pat = 0; pat < PAT_COUNT + 1; pat++) {
			uint8_t *in;

			if (pat < PAT_COUNT) {
				fill_levels(v, n, 1, (enum pattern)pat);
			} else {
				/* Mostly nulls, a value now and then: a trace's metric column. */
				for (size_t i = 0; i < n; i++)
					v[i] = rnd() % 37 == 0;
			}
			for (size_t i = 0; i < n; i++)
				v8[i] = (uint8_t)v[i];
			bytebuf_clear(&b);
			assert_int_equal(enc_rle_encode_u8(&b, v8, n, 1), 0);
			in = dup_bytes(b.p, b.len);
			assert_int_equal(enc_rle_decode_u8(in, b.len, 1, all, n), 0);
			ones_before[0] = 0;
			for (size_t i = 0; i < n; i++)
				ones_before[i + 1] = ones_before[i] + all[i];
			for (int how = 0; how < 4; how++) {
				size_t m = pick_positions(pos, n, how), ones = 12345;
				uint8_t *level = xmalloc(m ? m : 1);
				uint32_t *before = xmalloc((m ? m : 1) * sizeof(*before));

				assert_int_equal(
				    enc_rle_levels_at(in, b.len, n, pos, m, level, before, &ones),
				    0);
				assert_int_equal(ones, ones_before[n]);
				for (size_t t = 0; t < m; t++) {
					assert_int_equal(level[t], all[pos[t]]);
					assert_int_equal(before[t], ones_before[pos[t]]);
				}
				free(level);
				free(before);
			}
			free(in);
		}
	}
	bytebuf_release(&b);
	free(v);
	free(pos);
	free(v8);
	free(all);
	free(ones_before);
}

/* Cut short, damaged or asked wrongly, the partial decoders fail as the whole one does. */
static void test_rle_at_bad_input(void **state)
{
	/* An RLE run of 20 threes, a bit-packed group, an RLE run of 5 fives (width 3). */
	static const uint8_t hybrid[] = {0x28, 0x03, 0x03, 0x88, 0xc6, 0xfa, 0x0a, 0x05};
	uint32_t v[300], all[300], out[300], pos[300], before[300];
	uint8_t level[300], junk[64];
	const uint32_t bad_order[] = {5, 3}, past[] = {299, 300};
	struct bytebuf b;
	size_t ones;

	(void)state;
	/* The hand-made stream: runs and a group, values read at every position. */
	for (uint32_t i = 0; i < 33; i++)
		pos[i] = i;
	assert_int_equal(enc_rle_decode(hybrid, sizeof(hybrid), 3, all, 33), 0);
	assert_int_equal(enc_rle_decode_at(hybrid, sizeof(hybrid), 3, 33, pos, 33, out), 0);
	assert_memory_equal(out, all, 33 * sizeof(*out));
	for (uint32_t i = 0; i < 20; i++)
		assert_int_equal(out[i], 3);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(out[20 + i], i);
	for (uint32_t i = 28; i < 33; i++)
		assert_int_equal(out[i], 5);
	/* A run whose value does not fit the width, as enc_rle_decode() says. */
	{
		static const uint8_t wide[] = {0x10, 0x09};
		assert_int_equal(enc_rle_decode(wide, 2, 3, all, 8), VITALS_E_PARSE);
		assert_int_equal(enc_rle_decode_at(wide, 2, 3, 8, pos, 1, out), VITALS_E_PARSE);
	}

	bytebuf_init(&b, 0);
	for (int w = 1; w <= 32; w++) {
		fill_levels(v, 300, w, PAT_RUNS);
		bytebuf_clear(&b);
		assert_int_equal(enc_rle_encode(&b, v, 300, w), 0);
		/* Every cut fails, whatever the positions asked: all headers are read. */
		for (size_t cut = 0; cut < b.len; cut++) {
			uint8_t *in = dup_bytes(b.p, cut);

			assert_int_equal(enc_rle_decode_at(in, cut, w, 300, pos, 1, out),
			                 VITALS_E_PARSE);
			assert_int_equal(enc_rle_decode_at(in, cut, w, 300, pos, 0, out),
			                 VITALS_E_PARSE);
			if (w == 1)
				assert_int_equal(
				    enc_rle_levels_at(in, cut, 300, pos, 1, level, before, &ones),
				    VITALS_E_PARSE);
			free(in);
		}
		/* Positions out of order, or past the values. */
		assert_int_equal(enc_rle_decode_at(b.p, b.len, w, 300, bad_order, 2, out),
		                 VITALS_E_INVAL);
		assert_int_equal(enc_rle_decode_at(b.p, b.len, w, 300, past, 2, out),
		                 VITALS_E_INVAL);
		if (w == 1) {
			assert_int_equal(
			    enc_rle_levels_at(b.p, b.len, 300, bad_order, 2, level, before, &ones),
			    VITALS_E_INVAL);
			assert_int_equal(
			    enc_rle_levels_at(b.p, b.len, 300, past, 2, level, before, &ones),
			    VITALS_E_INVAL);
		}
	}
	/* Random bytes: the partial decode succeeds exactly when the whole one does, alike. */
	for (int round = 0; round < 2000; round++) {
		int w = (int)(rnd() % 34);
		size_t len = rnd() % sizeof(junk), n = rnd() % 300, m = 0;
		uint8_t *in;
		int whole, part;

		for (size_t i = 0; i < len; i++)
			junk[i] = (uint8_t)rnd();
		in = dup_bytes(junk, len);
		for (size_t i = 0; i < n; i++)
			if (rnd() % 3 == 0)
				pos[m++] = (uint32_t)i;
		whole = enc_rle_decode(in, len, w, all, n);
		part = enc_rle_decode_at(in, len, w, n, pos, m, out);
		assert_int_equal(part, whole);
		for (size_t t = 0; whole == 0 && t < m; t++)
			assert_int_equal(out[t], all[pos[t]]);
		if (w == 1) {
			uint8_t all8[300];

			whole = enc_rle_decode_u8(in, len, 1, all8, n);
			part = enc_rle_levels_at(in, len, n, pos, m, level, before, &ones);
			assert_int_equal(part, whole);
			for (size_t t = 0; whole == 0 && t < m; t++)
				assert_int_equal(level[t], all8[pos[t]]);
		}
		free(in);
	}
	bytebuf_release(&b);
}

/* ---- PLAIN ---- */

static void test_plain_bool(void **state)
{
	static const uint8_t v[] = {1, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1};
	static const uint8_t want[] = {0x0d, 0x81, 0x01};
	/* Any nonzero byte is true. */
	static const uint8_t loose[] = {0x80, 0, 0xff, 2, 0, 0, 0, 0x7f};
	uint8_t out[32], *rv, *rout;
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	assert_int_equal(enc_plain_encode_bool(&b, v, sizeof(v)), 0);
	assert_bytes(&b, want, sizeof(want));
	memset(out, 0xee, sizeof(out));
	assert_int_equal(enc_plain_decode_bool(want, sizeof(want), out, sizeof(v)), 0);
	assert_memory_equal(out, v, sizeof(v));
	assert_int_equal(out[sizeof(v)], 0xee);
	assert_int_equal(enc_plain_decode_bool(want, 2, out, sizeof(v)), VITALS_E_PARSE);
	assert_int_equal(enc_plain_decode_bool(want, 2, out, 16), 0);

	bytebuf_clear(&b);
	assert_int_equal(enc_plain_encode_bool(&b, loose, 8), 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.p[0], 0x8d);

	rv = xmalloc(10000);
	rout = xmalloc(10000);
	for (size_t si = 0; si < NSIZES; si++) {
		size_t n = sizes[si];

		for (size_t i = 0; i < n; i++)
			rv[i] = rnd() & 1;
		bytebuf_clear(&b);
		assert_int_equal(enc_plain_encode_bool(&b, rv, n), 0);
		assert_int_equal(b.len, (n + 7) / 8);
		assert_int_equal(enc_plain_decode_bool(b.p, b.len, rout, n), 0);
		assert_memory_equal(rout, rv, n);
	}
	free(rv);
	free(rout);
	bytebuf_release(&b);
}

static void test_plain_bytes(void **state)
{
	static const uint8_t want[] = {0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c', 1, 0, 0, 0, 0};
	size_t long_len = 100000, used;
	uint8_t *big = xmalloc(long_len);
	struct pq_bytes out[4];
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	assert_int_equal(enc_plain_encode_bytes(&b, (const uint8_t *)"", 0), 0);
	assert_int_equal(enc_plain_encode_bytes(&b, (const uint8_t *)"abc", 3), 0);
	assert_int_equal(enc_plain_encode_bytes(&b, (const uint8_t *)"\0", 1), 0);
	assert_bytes(&b, want, sizeof(want));
	assert_int_equal(enc_plain_decode_bytes(want, sizeof(want), out, 3, &used), 0);
	assert_int_equal(used, sizeof(want));
	assert_int_equal(out[0].len, 0);
	assert_int_equal(out[1].len, 3);
	assert_ptr_equal(out[1].p, want + 8);
	assert_int_equal(out[2].len, 1);
	assert_int_equal(out[2].p[0], 0);
	/* Fewer values use fewer bytes. */
	assert_int_equal(enc_plain_decode_bytes(want, sizeof(want), out, 2, &used), 0);
	assert_int_equal(used, 11);
	for (size_t cut = 0; cut < sizeof(want); cut++) {
		uint8_t *in = dup_bytes(want, cut);

		assert_int_equal(enc_plain_decode_bytes(in, cut, out, 3, &used), VITALS_E_PARSE);
		free(in);
	}
	/* A length claiming more than what is left. */
	assert_int_equal(
	    enc_plain_decode_bytes((const uint8_t *)"\xff\xff\xff\xff", 4, out, 1, &used),
	    VITALS_E_PARSE);

	for (size_t i = 0; i < long_len; i++)
		big[i] = (uint8_t)rnd();
	bytebuf_clear(&b);
	assert_int_equal(enc_plain_encode_bytes(&b, big, long_len), 0);
	assert_int_equal(enc_plain_encode_bytes(&b, big, 1), 0);
	assert_int_equal(enc_plain_decode_bytes(b.p, b.len, out, 2, &used), 0);
	assert_int_equal(used, b.len);
	assert_int_equal(out[0].len, long_len);
	assert_memory_equal(out[0].p, big, long_len);
	assert_int_equal(out[1].len, 1);
	assert_int_equal(out[1].p[0], big[0]);
	free(big);
	bytebuf_release(&b);
}

/* ---- DELTA_BINARY_PACKED ---- */

static void test_delta_spec_vectors(void **state)
{
	/* Example 1 (1..5), with one miniblock of 128 as real blocks need. */
	static const uint8_t ex1[] = {0x80, 0x01, 0x01, 0x05, 0x02, 0x02, 0x00};
	/* Example 2 (7,5,3,1,2,3,4,5) with the writer's shape, 4 miniblocks of 32. */
	static const uint8_t ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00,
	                              0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	static const int64_t v2[] = {7, 5, 3, 1, 2, 3, 4, 5};
	uint8_t odd[sizeof(ex2)];
	int64_t out[8];
	int32_t out32[8];
	struct bytebuf b;
	size_t used;

	(void)state;
	assert_int_equal(enc_delta_decode_i64(ex1, sizeof(ex1), out, 5, &used), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(out[i], i + 1);
	assert_int_equal(used, sizeof(ex1));

	bytebuf_init(&b, 0);
	assert_int_equal(enc_delta_encode_i64(&b, v2, 8), 0);
	assert_bytes(&b, ex2, sizeof(ex2));
	assert_int_equal(enc_delta_decode_i64(ex2, sizeof(ex2), out, 8, &used), 0);
	assert_memory_equal(out, v2, sizeof(v2));
	assert_int_equal(used, sizeof(ex2));
	assert_int_equal(enc_delta_decode_i32(ex2, sizeof(ex2), out32, 8, &used), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(out32[i], v2[i]);
	{
		int32_t v32[8];

		for (int i = 0; i < 8; i++)
			v32[i] = (int32_t)v2[i];
		bytebuf_clear(&b);
		assert_int_equal(enc_delta_encode_i32(&b, v32, 8), 0);
		assert_bytes(&b, ex2, sizeof(ex2));
	}

	/* Widths of unneeded miniblocks and padding bits may hold anything. */
	memcpy(odd, ex2, sizeof(ex2));
	odd[7] = 0xff, odd[8] = 65, odd[9] = 200;
	odd[17] = 0xff;
	assert_int_equal(enc_delta_decode_i64(odd, sizeof(odd), out, 8, &used), 0);
	assert_memory_equal(out, v2, sizeof(v2));
	assert_int_equal(used, sizeof(ex2));
	/* A needed miniblock wider than 64 bits is not. */
	odd[6] = 65;
	assert_int_equal(enc_delta_decode_i64(odd, sizeof(odd), out, 8, &used), VITALS_E_PARSE);

	/* Fewer values than the header's count are fine, more are not. */
	assert_int_equal(enc_delta_decode_i64(ex2, sizeof(ex2), out, 3, NULL), 0);
	assert_int_equal(out[2], 3);
	assert_int_equal(enc_delta_decode_i64(ex2, sizeof(ex2), out, 3, &used), 0);
	assert_int_equal(used, sizeof(ex2));
	{
		int64_t more[9];

		assert_int_equal(enc_delta_decode_i64(ex2, sizeof(ex2), more, 9, &used),
		                 VITALS_E_PARSE);
	}

	/* Header shapes the specification forbids. */
	{
		static const uint8_t bad[][5] = {
		    {0x40, 0x01, 0x01, 0x00},       /* block of 64 */
		    {0x80, 0x01, 0x00, 0x01, 0x00}, /* no miniblocks */
		    {0x80, 0x01, 0x03, 0x01, 0x00}, /* 3 does not divide 128 */
		    {0x80, 0x01, 0x08, 0x01, 0x00}, /* miniblocks of 16 */
		    {0x00, 0x01, 0x01, 0x00},       /* block of 0 */
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(enc_delta_decode_i64(bad[i], sizeof(bad[i]), out, 1, NULL),
			                 VITALS_E_PARSE);
	}
	bytebuf_release(&b);
}

/* A writer using 64-bit deltas for INT32 needs 33 bits; readers truncate. */
static void test_delta_i32_wide_deltas(void **state)
{
	static const int64_t v[] = {INT32_MAX, INT32_MIN, INT32_MAX, 0, INT32_MIN};
	int32_t out[5];
	struct bytebuf b;
	size_t used;

	(void)state;
	bytebuf_init(&b, 0);
	assert_int_equal(enc_delta_encode_i64(&b, v, 5), 0);
	/* Header (7 bytes) + min delta: the first miniblock is 33 bits wide. */
	assert_int_equal(b.p[4 + 5 + 5], 33);
	assert_int_equal(enc_delta_decode_i32(b.p, b.len, out, 5, &used), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(out[i], (int32_t)v[i]);
	assert_int_equal(used, b.len);

	/* The INT32 encoder itself stays within 32 bits. */
	{
		int32_t v32[5];
		int32_t back[5];

		for (int i = 0; i < 5; i++)
			v32[i] = (int32_t)v[i];
		bytebuf_clear(&b);
		assert_int_equal(enc_delta_encode_i32(&b, v32, 5), 0);
		assert_int_equal(b.p[4 + 5 + 5], 32);
		assert_int_equal(enc_delta_decode_i32(b.p, b.len, back, 5, &used), 0);
		assert_memory_equal(back, v32, sizeof(v32));
		assert_int_equal(used, b.len);
	}
	bytebuf_release(&b);
}

enum { DP_RANDOM, DP_SMALL, DP_EXTREMES, DP_EQUAL, DP_ALTERNATE, DP_TIME, DP_COUNT };

static void fill_i64(int64_t *v, size_t n, int pat)
{
	int64_t t = 1700000000000000;

	for (size_t i = 0; i < n; i++) {
		switch (pat) {
		case DP_RANDOM:
			v[i] = (int64_t)rnd();
			break;
		case DP_SMALL:
			v[i] = (int64_t)(rnd() % 2001) - 1000;
			break;
		case DP_EXTREMES: {
			static const int64_t x[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1};

			v[i] = x[rnd() % 6];
			break;
		}
		case DP_EQUAL:
			v[i] = INT64_MIN;
			break;
		case DP_ALTERNATE:
			v[i] = i % 2 ? INT64_MAX : INT64_MIN;
			break;
		default:
			t += 1000000 + (int64_t)(rnd() % 2000) - 1000;
			v[i] = t;
			break;
		}
	}
}

static void test_delta_roundtrip(void **state)
{
	size_t maxn = sizes[NSIZES - 1];
	int64_t *v = xmalloc(maxn * sizeof(*v)), *out = xmalloc((maxn + 1) * sizeof(*out));
	int32_t *v32 = xmalloc(maxn * sizeof(*v32)), *out32 = xmalloc((maxn + 1) * sizeof(*out32));
	struct bytebuf b;
	size_t used;

	(void)state;
	bytebuf_init(&b, 0);
	for (size_t si = 0; si < NSIZES; si++) {
		size_t n = sizes[si];

		for (int pat = 0; pat < DP_COUNT; pat++) {
			fill_i64(v, n, pat);
			bytebuf_clear(&b);
			assert_int_equal(enc_delta_encode_i64(&b, v, n), 0);
			/* Bytes after the run must not count in *used. */
			bytebuf_append(&b, "tail", 4);
			out[n] = 42;
			assert_int_equal(enc_delta_decode_i64(b.p, b.len, out, n, &used), 0);
			assert_memory_equal(out, v, n * sizeof(*v));
			assert_int_equal(out[n], 42);
			assert_int_equal(used, b.len - 4);
			if (n > 5) {
				assert_int_equal(
				    enc_delta_decode_i64(b.p, b.len, out, n - 5, &used), 0);
				assert_memory_equal(out, v, (n - 5) * sizeof(*v));
				assert_int_equal(used, b.len - 4);
				assert_int_equal(enc_delta_decode_i64(b.p, b.len, out, n - 5, NULL),
				                 0);
				assert_memory_equal(out, v, (n - 5) * sizeof(*v));
			}

			/* The same pattern through INT32 (extremes become INT32's). */
			for (size_t i = 0; i < n; i++)
				v32[i] =
				    pat == DP_EXTREMES || pat == DP_ALTERNATE || pat == DP_EQUAL
				        ? (v[i] < 0   ? INT32_MIN
				           : v[i] > 0 ? INT32_MAX
				                      : 0)
				        : (int32_t)(uint32_t)(uint64_t)v[i];
			bytebuf_clear(&b);
			assert_int_equal(enc_delta_encode_i32(&b, v32, n), 0);
			out32[n] = 42;
			assert_int_equal(enc_delta_decode_i32(b.p, b.len, out32, n, &used), 0);
			assert_memory_equal(out32, v32, n * sizeof(*v32));
			assert_int_equal(out32[n], 42);
			assert_int_equal(used, b.len);
		}
	}
	bytebuf_release(&b);
	free(v);
	free(out);
	free(v32);
	free(out32);
}

/* Deltas of every bit width 0..64, so each miniblock unpacker runs. */
static void test_delta_every_width(void **state)
{
	int64_t v[1000], out[1000];
	struct bytebuf b;
	size_t used;

	(void)state;
	bytebuf_init(&b, 0);
	for (int w = 0; w <= 64; w++) {
		uint64_t mask = w == 64 ? UINT64_MAX : (UINT64_C(1) << w) - 1;
		int seen = 0;

		v[0] = (int64_t)rnd();
		for (int i = 1; i < 1000; i++)
			v[i] = (int64_t)((uint64_t)v[i - 1] + (rnd() & mask));
		bytebuf_clear(&b);
		assert_int_equal(enc_delta_encode_i64(&b, v, 1000), 0);
		/* Past the header's 4 varints and the first block's min delta: its widths. */
		{
			const uint8_t *p = b.p;
			uint64_t x;

			for (int k = 0; k < 5; k++)
				assert_int_equal(uleb_get(&p, b.p + b.len, &x), 0);
			for (int k = 0; k < 4; k++)
				seen = p[k] > seen ? p[k] : seen;
			assert_int_equal(seen, w);
		}
		assert_int_equal(enc_delta_decode_i64(b.p, b.len, out, 1000, &used), 0);
		assert_memory_equal(out, v, sizeof(v));
		assert_int_equal(used, b.len);
	}
	bytebuf_release(&b);
}

/* Other writers' shapes: a block of 256 in 2 miniblocks of 128, built by hand. */
static void test_delta_other_shapes(void **state)
{
	int64_t v[300], out[300];
	struct bytebuf b;
	size_t used;

	(void)state;
	for (int i = 0; i < 300; i++)
		v[i] = (int64_t)i * i;
	bytebuf_init(&b, 0);
	bytebuf_put_uleb(&b, 256);
	bytebuf_put_uleb(&b, 2);
	bytebuf_put_uleb(&b, 300);
	bytebuf_put_uleb(&b, 0); /* zigzag(0) */
	for (int start = 1; start < 300; start += 256) {
		int cnt = 300 - start < 256 ? 300 - start : 256;
		uint64_t rel[256] = {0};
		int64_t min = INT64_MAX;
		uint8_t w[2] = {0, 0};

		for (int j = 0; j < cnt; j++)
			if (v[start + j] - v[start + j - 1] < min)
				min = v[start + j] - v[start + j - 1];
		for (int j = 0; j < cnt; j++)
			rel[j] = (uint64_t)(v[start + j] - v[start + j - 1] - min);
		for (int m = 0; m < 2; m++)
			for (int j = 0; j < 128; j++)
				if (enc_bit_width(rel[m * 128 + j]) > w[m])
					w[m] = (uint8_t)enc_bit_width(rel[m * 128 + j]);
		bytebuf_put_uleb(&b, (uint64_t)min << 1);
		bytebuf_append(&b, w, 2);
		for (int m = 0; m < 2 && m * 128 < cnt; m++) {
			/* Bit by bit, LSB first. */
			size_t bytes = (size_t)128 * w[m] / 8;
			uint8_t *p;

			bytebuf_reserve(&b, bytes);
			p = b.p + b.len;
			memset(p, 0, bytes);
			for (int j = 0; j < 128; j++)
				for (int k = 0; k < w[m]; k++)
					if (rel[m * 128 + j] >> k & 1) {
						size_t bit = (size_t)j * w[m] + (size_t)k;

						p[bit / 8] |= (uint8_t)(1u << (bit % 8));
					}
			b.len += bytes;
		}
	}
	assert_int_equal(enc_delta_decode_i64(b.p, b.len, out, 300, &used), 0);
	assert_memory_equal(out, v, sizeof(v));
	assert_int_equal(used, b.len);
	bytebuf_release(&b);
}

static void test_delta_truncated(void **state)
{
	int64_t v[300], out[300];
	int32_t out32[300];
	struct bytebuf b;
	size_t used;

	(void)state;
	bytebuf_init(&b, 0);
	for (int pat = 0; pat < DP_COUNT; pat++) {
		fill_i64(v, 300, pat);
		bytebuf_clear(&b);
		assert_int_equal(enc_delta_encode_i64(&b, v, 300), 0);
		for (size_t cut = 0; cut < b.len; cut++) {
			uint8_t *in = dup_bytes(b.p, cut);

			assert_int_equal(enc_delta_decode_i64(in, cut, out, 300, &used),
			                 VITALS_E_PARSE);
			assert_int_equal(enc_delta_decode_i64(in, cut, out, 300, NULL),
			                 VITALS_E_PARSE);
			assert_int_equal(enc_delta_decode_i32(in, cut, out32, 300, &used),
			                 VITALS_E_PARSE);
			free(in);
		}
	}
	/* Empty input is zero values. */
	assert_int_equal(enc_delta_decode_i64(NULL, 0, out, 0, &used), 0);
	assert_int_equal(used, 0);
	bytebuf_release(&b);
}

/* ---- byte arrays ---- */

static struct pq_bytes bv(const char *s)
{
	struct pq_bytes x = {(const uint8_t *)s, (uint32_t)strlen(s)};

	return x;
}

static void assert_values(const struct pq_bytes *got, const struct pq_bytes *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(got[i].len, want[i].len);
		if (want[i].len)
			assert_memory_equal(got[i].p, want[i].p, want[i].len);
		else
			assert_non_null(got[i].p);
	}
}

static void test_delta_length_spec(void **state)
{
	struct pq_bytes v[4] = {bv("Hello"), bv("World"), bv("Foobar"), bv("ABCDEF")};
	static const int32_t lens[] = {5, 5, 6, 6};
	static const char text[] = "HelloWorldFoobarABCDEF";
	struct pq_bytes out[4];
	struct bytebuf b, want;

	(void)state;
	bytebuf_init(&b, 0);
	bytebuf_init(&want, 0);
	assert_int_equal(enc_delta_encode_i32(&want, lens, 4), 0);
	bytebuf_append(&want, text, strlen(text));
	assert_int_equal(enc_delta_length_encode(&b, v, 4), 0);
	assert_bytes(&b, want.p, want.len);
	assert_int_equal(enc_delta_length_decode(b.p, b.len, out, 4), 0);
	assert_values(out, v, 4);
	/* Views into the input. */
	assert_true(out[0].p >= b.p && out[3].p + 6 == b.p + b.len);
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *in = dup_bytes(b.p, cut);

		assert_int_equal(enc_delta_length_decode(in, cut, out, 4), VITALS_E_PARSE);
		free(in);
	}
	/* A negative length. */
	{
		static const int32_t neg[] = {1, -1};

		bytebuf_clear(&b);
		enc_delta_encode_i32(&b, neg, 2);
		bytebuf_append(&b, "xyz", 3);
		assert_int_equal(enc_delta_length_decode(b.p, b.len, out, 2), VITALS_E_PARSE);
	}
	bytebuf_release(&b);
	bytebuf_release(&want);
}

static void test_delta_byte_array_spec(void **state)
{
	struct pq_bytes v[4] = {bv("axis"), bv("axle"), bv("babble"), bv("babyhood")};
	static const int32_t prefix[] = {0, 2, 0, 3}, suffix[] = {4, 2, 6, 5};
	static const char text[] = "axislebabbleyhood";
	struct pq_bytes out[4];
	struct bytebuf b, want, scratch;

	(void)state;
	bytebuf_init(&b, 0);
	bytebuf_init(&want, 0);
	bytebuf_init(&scratch, 0);
	enc_delta_encode_i32(&want, prefix, 4);
	enc_delta_encode_i32(&want, suffix, 4);
	bytebuf_append(&want, text, strlen(text));
	assert_int_equal(enc_delta_byte_array_encode(&b, v, 4), 0);
	assert_bytes(&b, want.p, want.len);
	assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 4, &scratch), 0);
	assert_values(out, v, 4);
	assert_int_equal(scratch.len, 4 + 4 + 6 + 8);
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *in = dup_bytes(b.p, cut);

		assert_int_equal(enc_delta_byte_array_decode(in, cut, out, 4, &scratch),
		                 VITALS_E_PARSE);
		free(in);
	}

	/* A prefix longer than the value before it. */
	{
		static const int32_t pre[] = {0, 3}, suf[] = {2, 1};

		bytebuf_clear(&b);
		enc_delta_encode_i32(&b, pre, 2);
		enc_delta_encode_i32(&b, suf, 2);
		bytebuf_append(&b, "abc", 3);
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 2, &scratch),
		                 VITALS_E_PARSE);
		/* A prefix on the first value. */
		bytebuf_clear(&b);
		static const int32_t pre0[] = {1, 0};
		enc_delta_encode_i32(&b, pre0, 2);
		enc_delta_encode_i32(&b, suf, 2);
		bytebuf_append(&b, "abc", 3);
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 2, &scratch),
		                 VITALS_E_PARSE);
		/* Suffixes longer than the data. */
		static const int32_t pre1[] = {0, 2}, suf1[] = {2, 4};
		bytebuf_clear(&b);
		enc_delta_encode_i32(&b, pre1, 2);
		enc_delta_encode_i32(&b, suf1, 2);
		bytebuf_append(&b, "abc", 3);
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 2, &scratch),
		                 VITALS_E_PARSE);
		/* The same with enough data works. */
		bytebuf_append(&b, "def", 3);
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 2, &scratch), 0);
		assert_int_equal(out[1].len, 6);
		assert_memory_equal(out[1].p, "abcdef", 6);
	}
	bytebuf_release(&b);
	bytebuf_release(&want);
	bytebuf_release(&scratch);
}

/* Random strings drawn from a few stems, so prefixes are shared; some empty, some long. */
static void make_strings(struct pq_bytes *v, size_t n, uint8_t *pool, size_t pool_len)
{
	size_t at = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len, r = rnd() % 100;

		if (r < 10)
			len = 0;
		else if (r < 12)
			len = 1000 + rnd() % 5000;
		else
			len = 1 + rnd() % 40;
		if (at + len > pool_len)
			at = 0;
		v[i].p = pool + at;
		v[i].len = (uint32_t)len;
		at += rnd() % 4 == 0 ? len : 0;
	}
}

static void test_byte_arrays_roundtrip(void **state)
{
	size_t maxn = sizes[NSIZES - 1], pool_len = 1 << 16;
	struct pq_bytes *v = xmalloc(maxn * sizeof(*v)), *out = xmalloc((maxn + 1) * sizeof(*out));
	uint8_t *pool = xmalloc(pool_len);
	struct bytebuf b, scratch;
	size_t used;

	(void)state;
	for (size_t i = 0; i < pool_len; i++)
		pool[i] = (uint8_t)("abcd"[rnd() % 4]);
	bytebuf_init(&b, 0);
	bytebuf_init(&scratch, 0);
	for (size_t si = 0; si < NSIZES; si++) {
		size_t n = sizes[si];

		make_strings(v, n, pool, pool_len);

		bytebuf_clear(&b);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(enc_plain_encode_bytes(&b, v[i].p, v[i].len), 0);
		assert_int_equal(enc_plain_decode_bytes(b.p, b.len, out, n, &used), 0);
		assert_int_equal(used, b.len);
		assert_values(out, v, n);

		bytebuf_clear(&b);
		assert_int_equal(enc_delta_length_encode(&b, v, n), 0);
		assert_int_equal(enc_delta_length_decode(b.p, b.len, out, n), 0);
		assert_values(out, v, n);

		bytebuf_clear(&b);
		assert_int_equal(enc_delta_byte_array_encode(&b, v, n), 0);
		out[n].len = 77;
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, n, &scratch), 0);
		assert_values(out, v, n);
		assert_int_equal(out[n].len, 77);
	}
	/* Identical values: all prefix, no suffix. */
	for (size_t i = 0; i < 1000; i++)
		v[i] = bv("same value, every row");
	bytebuf_clear(&b);
	assert_int_equal(enc_delta_byte_array_encode(&b, v, 1000), 0);
	assert_true(b.len < 300);
	assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 1000, &scratch), 0);
	assert_values(out, v, 1000);
	/* Only empty values. */
	for (size_t i = 0; i < 10; i++)
		v[i] = bv("");
	bytebuf_clear(&b);
	assert_int_equal(enc_delta_byte_array_encode(&b, v, 10), 0);
	assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 10, &scratch), 0);
	assert_values(out, v, 10);
	bytebuf_clear(&b);
	assert_int_equal(enc_delta_length_encode(&b, v, 10), 0);
	assert_int_equal(enc_delta_length_decode(b.p, b.len, out, 10), 0);
	assert_values(out, v, 10);

	/* The scratch buffer's cap bounds what a tiny input can make us build. */
	{
		struct bytebuf small;

		bytebuf_init(&small, 64);
		for (size_t i = 0; i < 100; i++)
			v[i] = bv("0123456789");
		bytebuf_clear(&b);
		assert_int_equal(enc_delta_byte_array_encode(&b, v, 100), 0);
		assert_int_equal(enc_delta_byte_array_decode(b.p, b.len, out, 100, &small),
		                 VITALS_E_NOMEM);
		bytebuf_release(&small);
	}
	bytebuf_release(&b);
	bytebuf_release(&scratch);
	free(v);
	free(out);
	free(pool);
}

/* ---- BYTE_STREAM_SPLIT ---- */

static void test_bss(void **state)
{
	static const uint8_t v[] = {0xaa, 0xbb, 0xcc, 0xdd, 0x00, 0x11,
	                            0x22, 0x33, 0xa3, 0xb4, 0xc5, 0xd6};
	static const uint8_t want[] = {0xaa, 0x00, 0xa3, 0xbb, 0x11, 0xb4,
	                               0xcc, 0x22, 0xc5, 0xdd, 0x33, 0xd6};
	uint8_t out[12], *rv, *rout;
	struct bytebuf b;

	(void)state;
	bytebuf_init(&b, 0);
	assert_int_equal(enc_bss_encode(&b, v, 3, 4), 0);
	assert_bytes(&b, want, sizeof(want));
	assert_int_equal(enc_bss_decode(want, sizeof(want), 4, out, 3), 0);
	assert_memory_equal(out, v, sizeof(v));
	assert_int_equal(enc_bss_decode(want, sizeof(want) - 1, 4, out, 3), VITALS_E_PARSE);
	assert_int_equal(enc_bss_decode(want, sizeof(want), 4, out, 2), VITALS_E_PARSE);
	assert_int_equal(enc_bss_decode(want, sizeof(want), 0, out, 3), VITALS_E_INVAL);
	assert_int_equal(enc_bss_decode(want, sizeof(want), 17, out, 3), VITALS_E_INVAL);
	assert_int_equal(enc_bss_encode(&b, v, 3, 17), VITALS_E_INVAL);

	rv = xmalloc(10000 * 16);
	rout = xmalloc(10000 * 16 + 1);
	for (size_t w = 1; w <= 16; w++) {
		for (size_t si = 0; si < NSIZES; si++) {
			size_t n = sizes[si];

			for (size_t i = 0; i < n * w; i++)
				rv[i] = (uint8_t)rnd();
			bytebuf_clear(&b);
			assert_int_equal(enc_bss_encode(&b, rv, n, w), 0);
			assert_int_equal(b.len, n * w);
			/* Stream k holds byte k of every value. */
			for (size_t i = 0; i < n; i++)
				assert_int_equal(b.p[(w - 1) * n + i], rv[i * w + w - 1]);
			rout[n * w] = 0x5a;
			assert_int_equal(enc_bss_decode(b.p, b.len, w, rout, n), 0);
			assert_memory_equal(rout, rv, n * w);
			assert_int_equal(rout[n * w], 0x5a);
		}
	}
	/* Doubles survive bit for bit, NaN payloads and -0.0 included. */
	{
		double d[4] = {-0.0, NAN, INFINITY, 1e-310}, back[4];

		bytebuf_clear(&b);
		assert_int_equal(enc_bss_encode(&b, d, 4, 8), 0);
		assert_int_equal(enc_bss_decode(b.p, b.len, 8, back, 4), 0);
		assert_memory_equal(back, d, sizeof(d));
	}
	free(rv);
	free(rout);
	bytebuf_release(&b);
}

/* ---- dictionaries ---- */

static uint64_t dbits(double x)
{
	uint64_t u;

	memcpy(&u, &x, 8);
	return u;
}

static void test_dict_keys(void **state)
{
	struct enc_dict d;
	uint64_t nan2 = dbits(NAN) | 1;

	(void)state;
	enc_dict_init(&d, 0, 1 << 20);
	assert_int_equal(enc_dict_add_key(&d, 42, 8), 0);
	assert_int_equal(enc_dict_add_key(&d, 7, 8), 1);
	assert_int_equal(enc_dict_add_key(&d, 42, 8), 0);
	assert_int_equal(enc_dict_add_key(&d, dbits(0.0), 8), 2);
	assert_int_equal(enc_dict_add_key(&d, dbits(-0.0), 8), 3);
	assert_int_equal(enc_dict_add_key(&d, dbits(NAN), 8), 4);
	assert_int_equal(enc_dict_add_key(&d, nan2, 8), 5);
	assert_int_equal(enc_dict_add_key(&d, dbits(-0.0), 8), 3);
	assert_int_equal(enc_dict_add_key(&d, dbits(NAN), 8), 4);
	assert_int_equal(d.count, 6);
	assert_int_equal(d.plain_bytes, 48);
	assert_int_equal(d.keys[0], 42);
	assert_int_equal(d.keys[1], 7);
	assert_int_equal(d.keys[3], dbits(-0.0));

	/* Many distinct keys, growing the table; then every one found again. */
	for (uint64_t i = 0; i < 100000; i++)
		assert_int_equal(enc_dict_add_key(&d, i << 40, 4), i == 0 ? 2 : (int64_t)(i + 5));
	for (uint64_t i = 1; i < 100000; i++)
		assert_int_equal(enc_dict_add_key(&d, i << 40, 4), (int64_t)(i + 5));
	assert_int_equal(d.count, 100005);
	assert_int_equal(d.plain_bytes, 48 + 99999 * 4);
	assert_true(d.slot_count >= d.count * 10 / 7);
	assert_int_equal(d.slot_count & (d.slot_count - 1), 0);

	/* Cleared: same memory, no values. */
	enc_dict_clear(&d);
	assert_int_equal(d.count, 0);
	assert_int_equal(d.plain_bytes, 0);
	assert_int_equal(enc_dict_add_key(&d, 7, 8), 0);
	assert_int_equal(enc_dict_add_key(&d, 42, 8), 1);
	enc_dict_release(&d);

	/* Refusal at max_bytes leaves the dictionary as it was. */
	enc_dict_init(&d, 0, 20);
	assert_int_equal(enc_dict_add_key(&d, 1, 8), 0);
	assert_int_equal(enc_dict_add_key(&d, 2, 8), 1);
	assert_int_equal(enc_dict_add_key(&d, 3, 8), -1);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.plain_bytes, 16);
	assert_int_equal(enc_dict_add_key(&d, 2, 8), 1);
	assert_int_equal(enc_dict_add_key(&d, 3, 4), 2);
	assert_int_equal(d.plain_bytes, 20);
	assert_int_equal(enc_dict_add_key(&d, 4, 1), -1);
	assert_int_equal(enc_dict_add_key(&d, 1, 8), 0);
	enc_dict_release(&d);
}

static void test_dict_strings(void **state)
{
	struct enc_dict d;
	char buf[64];

	(void)state;
	enc_dict_init(&d, 1, 1 << 22);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"", 0), 0);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"a", 1), 1);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"a\0", 2), 2);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"ab", 2), 3);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"a", 1), 1);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"", 0), 0);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"a\0", 2), 2);
	assert_int_equal(d.count, 4);
	assert_int_equal(d.plain_bytes, 4 * 4 + 0 + 1 + 2 + 2);
	assert_int_equal(d.off[0], 0);
	assert_int_equal(d.off[4], 5);
	assert_memory_equal(d.data, "aa\0ab", 5);

	/* Growth of the table and the data, then every value found again. */
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(buf, sizeof(buf), "process-%d-with-a-longer-name", i);

		assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)buf, (size_t)n), i + 4);
	}
	for (int i = 0; i < 50000; i++) {
		int n = snprintf(buf, sizeof(buf), "process-%d-with-a-longer-name", i);

		assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)buf, (size_t)n), i + 4);
		assert_int_equal(d.off[i + 5] - d.off[i + 4], n);
		assert_memory_equal(d.data + d.off[i + 4], buf, (size_t)n);
	}
	enc_dict_clear(&d);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"ab", 2), 0);
	assert_int_equal(d.off[1], 2);
	assert_int_equal(d.plain_bytes, 6);
	enc_dict_release(&d);

	/* Refusal: 4 + len per value. */
	enc_dict_init(&d, 1, 15);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"abcd", 4), 0);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"efgh", 4), -1);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"efg", 3), 1);
	assert_int_equal(d.plain_bytes, 15);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"", 0), -1);
	assert_int_equal(d.count, 2);
	assert_int_equal(enc_dict_add_bytes(&d, (const uint8_t *)"abcd", 4), 0);
	assert_int_equal(d.off[2], 7);
	enc_dict_release(&d);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The writer's hot path: 2 million rows of low-cardinality keys (doubles
 * whose bits differ only high up, the worst case for a weak hash) and
 * strings: every value lands on its one index. The time is printed for
 * reference only; bench/bench_encoding.c measures it.
 */
static void test_dict_speed(void **state)
{
	size_t rows = 2000000;
	uint64_t *keys = xmalloc(rows * sizeof(*keys));
	char names[512][24];
	uint32_t *pick = xmalloc(rows * sizeof(*pick));
	struct enc_dict d;
	double t0, t_keys, t_str;
	int64_t sum = 0;

	(void)state;
	for (size_t i = 0; i < rows; i++)
		keys[i] = dbits((double)(rnd() % 5000) * 0.5);
	for (int i = 0; i < 512; i++)
		snprintf(names[i], sizeof(names[i]), "kworker/%d:%d", i % 16, i);
	for (size_t i = 0; i < rows; i++)
		pick[i] = (uint32_t)(rnd() % 512);

	enc_dict_init(&d, 0, 1 << 20);
	t0 = now_ms();
	for (size_t i = 0; i < rows; i++)
		sum += enc_dict_add_key(&d, keys[i], 8);
	t_keys = now_ms() - t0;
	assert_true(d.count <= 5000 && d.count > 4900);
	assert_true(sum > 0);
	enc_dict_release(&d);

	enc_dict_init(&d, 1, 1 << 20);
	t0 = now_ms();
	for (size_t i = 0; i < rows; i++)
		sum +=
		    enc_dict_add_bytes(&d, (const uint8_t *)names[pick[i]], strlen(names[pick[i]]));
	t_str = now_ms() - t0;
	assert_int_equal(d.count, 512);
	enc_dict_release(&d);

	print_message("dictionary, 2M rows: keys %.1f ms, strings %.1f ms\n", t_keys, t_str);
	free(keys);
	free(pick);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bit_width),
	    cmocka_unit_test(test_rle_spec_vectors),
	    cmocka_unit_test(test_rle_malformed),
	    cmocka_unit_test(test_rle_roundtrip),
	    cmocka_unit_test(test_rle_truncated),
	    cmocka_unit_test(test_rle_decode_at),
	    cmocka_unit_test(test_rle_levels_at),
	    cmocka_unit_test(test_rle_at_bad_input),
	    cmocka_unit_test(test_plain_bool),
	    cmocka_unit_test(test_plain_bytes),
	    cmocka_unit_test(test_delta_spec_vectors),
	    cmocka_unit_test(test_delta_i32_wide_deltas),
	    cmocka_unit_test(test_delta_roundtrip),
	    cmocka_unit_test(test_delta_every_width),
	    cmocka_unit_test(test_delta_other_shapes),
	    cmocka_unit_test(test_delta_truncated),
	    cmocka_unit_test(test_delta_length_spec),
	    cmocka_unit_test(test_delta_byte_array_spec),
	    cmocka_unit_test(test_byte_arrays_roundtrip),
	    cmocka_unit_test(test_bss),
	    cmocka_unit_test(test_dict_keys),
	    cmocka_unit_test(test_dict_strings),
	    cmocka_unit_test(test_dict_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
