/*
 * Fuzz the Parquet value and level decoders. Byte 0 picks the decoder,
 * byte 1 its width parameter, bytes 2-3 the value count (little-endian,
 * at most COUNT_MAX); the rest is the encoded data. Outputs are heap
 * arrays of exactly the count asked, so a write past them is caught.
 * Whatever decodes is encoded again and must decode to the same values.
 * The hybrid RLE inputs also go through the partial decoders (some
 * positions only, run by run, levels with their counts), which must
 * agree with the whole decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vitals/common.h>

#include "store/encoding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define COUNT_MAX   4096
#define SCRATCH_MAX (1 << 20)

enum {
	F_RLE,
	F_RLE_U8,
	F_BOOL,
	F_BYTES,
	F_DELTA_I64,
	F_DELTA_I32,
	F_DELTA_LENGTH,
	F_DELTA_BYTE_ARRAY,
	F_BSS,
	F_DICT_KEYS,
	F_DICT_BYTES,
	F_COUNT
};

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Some ascending positions below N, picked by the input's length: *M of them. */
static uint32_t *pick_positions(size_t n, size_t len, size_t *m)
{
	uint32_t *pos = malloc((n ? n : 1) * sizeof(*pos));
	uint64_t x = len * 0x9e3779b97f4a7c15ULL + 1;

	*m = 0;
	if (!pos)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 5 == 0)
			pos[(*m)++] = (uint32_t)i;
	}
	return pos;
}

/*
 * The partial decoders on the same input: they succeed exactly when the
 * whole decode (status R, values OUT) did, with its values, and the runs
 * add up to N.
 */
static void fuzz_rle_at(const uint8_t *buf, size_t len, int w, size_t n, int r, const uint32_t *out)
{
	struct enc_rle_runs it;
	struct enc_rle_run run;
	size_t m, total = 0;
	uint32_t *pos = pick_positions(n, len, &m);
	uint32_t *got = malloc((m ? m : 1) * sizeof(*got)), tmp[8];
	int rc;

	if (!pos || !got)
		goto out_free;
	check(enc_rle_decode_at(buf, len, w, n, pos, m, got) == r);
	for (size_t t = 0; r == 0 && t < m; t++)
		check(got[t] == out[pos[t]]);
	rc = enc_rle_runs_init(&it, buf, len, w, n);
	while (rc == 0 && (rc = enc_rle_runs_next(&it, &run)) > 0) {
		check(run.count <= n - total);
		if (run.packed && run.count) {
			/* The last group of the run, unpacked alone. */
			size_t from = (run.count - 1) / 8 * 8;

			enc_rle_run_unpack(&run, from, tmp, run.count - from);
			check(r != 0 || memcmp(tmp, out + total + from,
			                       (run.count - from) * sizeof(*tmp)) == 0);
		}
		total += run.count;
		rc = 0;
	}
	check(rc == r && (r != 0 || total == n));
out_free:
	free(pos);
	free(got);
}

/* enc_rle_levels_at() against the whole decode of width-1 levels (status R, values OUT). */
static void fuzz_levels_at(const uint8_t *buf, size_t len, size_t n, int r, const uint8_t *out)
{
	size_t m, ones = 0, k = 0, t = 0;
	uint32_t *pos = pick_positions(n, len, &m);
	uint32_t *before = malloc((m ? m : 1) * sizeof(*before));
	uint8_t *level = malloc(m ? m : 1);

	if (!pos || !before || !level)
		goto out_free;
	check(enc_rle_levels_at(buf, len, n, pos, m, level, before, &ones) == r);
	for (size_t i = 0; r == 0 && i < n; i++) {
		for (; t < m && pos[t] == i; t++)
			check(level[t] == out[i] && before[t] == k);
		k += out[i];
	}
	check(r != 0 || ones == k);
out_free:
	free(pos);
	free(before);
	free(level);
}

static void fuzz_rle(const uint8_t *buf, size_t len, int w, size_t n, struct bytebuf *b)
{
	uint32_t *out = malloc((n ? n : 1) * sizeof(*out));
	uint32_t *again = malloc((n ? n : 1) * sizeof(*again));
	int r;

	if (!out || !again)
		goto out_free;
	r = enc_rle_decode(buf, len, w, out, n);
	if (w > 32) {
		check(r == VITALS_E_PARSE);
		goto out_free;
	}
	check(r == 0 || r == VITALS_E_PARSE);
	fuzz_rle_at(buf, len, w, n, r, out);
	if (r < 0)
		goto out_free;
	for (size_t i = 0; i < n; i++)
		check(w == 32 || out[i] >> w == 0);
	check(enc_rle_encode(b, out, n, w) == 0);
	check(enc_rle_decode(b->p, b->len, w, again, n) == 0);
	check(n == 0 || memcmp(out, again, n * sizeof(*out)) == 0);
out_free:
	free(out);
	free(again);
}

static void fuzz_rle_u8(const uint8_t *buf, size_t len, int w, size_t n, struct bytebuf *b)
{
	uint8_t *out = malloc(n ? n : 1), *again = malloc(n ? n : 1);
	int r;

	if (!out || !again)
		goto out_free;
	r = enc_rle_decode_u8(buf, len, w, out, n);
	if (w > 8) {
		check(r == VITALS_E_PARSE);
		goto out_free;
	}
	check(r == 0 || r == VITALS_E_PARSE);
	if (w == 1)
		fuzz_levels_at(buf, len, n, r, out);
	if (r < 0)
		goto out_free;
	for (size_t i = 0; i < n; i++)
		check(out[i] >> w == 0);
	check(enc_rle_encode_u8(b, out, n, w) == 0);
	check(enc_rle_decode_u8(b->p, b->len, w, again, n) == 0);
	check(n == 0 || memcmp(out, again, n) == 0);
out_free:
	free(out);
	free(again);
}

static void fuzz_bool(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	uint8_t *out = malloc(n ? n : 1), *again = malloc(n ? n : 1);

	if (!out || !again)
		goto out_free;
	if (enc_plain_decode_bool(buf, len, out, n) < 0) {
		check(len < (n + 7) / 8);
		goto out_free;
	}
	for (size_t i = 0; i < n; i++)
		check(out[i] <= 1 && out[i] == ((buf[i / 8] >> (i % 8)) & 1));
	check(enc_plain_encode_bool(b, out, n) == 0);
	check(b->len == (n + 7) / 8);
	check(enc_plain_decode_bool(b->p, b->len, again, n) == 0);
	check(n == 0 || memcmp(out, again, n) == 0);
out_free:
	free(out);
	free(again);
}

/* Every view lies inside [lo, hi). */
static void check_views(const struct pq_bytes *v, size_t n, const uint8_t *lo, const uint8_t *hi)
{
	for (size_t i = 0; i < n; i++)
		check(v[i].p != NULL && v[i].p >= lo && v[i].p <= hi &&
		      v[i].len <= (size_t)(hi - v[i].p));
}

static void check_same_values(const struct pq_bytes *a, const struct pq_bytes *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		check(a[i].len == b[i].len &&
		      (a[i].len == 0 || memcmp(a[i].p, b[i].p, a[i].len) == 0));
}

static void fuzz_bytes(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	struct pq_bytes *out = malloc((n ? n : 1) * sizeof(*out));
	size_t used;

	if (!out)
		return;
	if (enc_plain_decode_bytes(buf, len, out, n, &used) == 0) {
		check(used <= len);
		check_views(out, n, buf, buf + used);
		/* PLAIN has one way to write values: the same bytes come back. */
		for (size_t i = 0; i < n; i++)
			check(enc_plain_encode_bytes(b, out[i].p, out[i].len) == 0);
		check(b->len == used && (used == 0 || memcmp(b->p, buf, used) == 0));
	}
	free(out);
}

static void fuzz_delta_i64(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	int64_t *out = malloc((n ? n : 1) * sizeof(*out));
	int64_t *again = malloc((n ? n : 1) * sizeof(*again));
	size_t used, used2;

	if (!out || !again)
		goto out_free;
	if (enc_delta_decode_i64(buf, len, out, n, &used) < 0) {
		/* Without *used the decoder may stop early, never fail where it did not. */
		(void)enc_delta_decode_i64(buf, len, out, n, NULL);
		goto out_free;
	}
	check(used <= len);
	check(enc_delta_decode_i64(buf, len, again, n, NULL) == 0);
	check(n == 0 || memcmp(out, again, n * sizeof(*out)) == 0);
	check(enc_delta_encode_i64(b, out, n) == 0);
	check(enc_delta_decode_i64(b->p, b->len, again, n, &used2) == 0);
	check(used2 == b->len);
	check(n == 0 || memcmp(out, again, n * sizeof(*out)) == 0);
out_free:
	free(out);
	free(again);
}

static void fuzz_delta_i32(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	int32_t *out = malloc((n ? n : 1) * sizeof(*out));
	int32_t *again = malloc((n ? n : 1) * sizeof(*again));
	size_t used, used2;

	if (!out || !again)
		goto out_free;
	if (enc_delta_decode_i32(buf, len, out, n, &used) < 0) {
		(void)enc_delta_decode_i32(buf, len, out, n, NULL);
		goto out_free;
	}
	check(used <= len);
	check(enc_delta_decode_i32(buf, len, again, n, NULL) == 0);
	check(n == 0 || memcmp(out, again, n * sizeof(*out)) == 0);
	check(enc_delta_encode_i32(b, out, n) == 0);
	check(enc_delta_decode_i32(b->p, b->len, again, n, &used2) == 0);
	check(used2 == b->len);
	check(n == 0 || memcmp(out, again, n * sizeof(*out)) == 0);
out_free:
	free(out);
	free(again);
}

static void fuzz_delta_length(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	struct pq_bytes *out = malloc((n ? n : 1) * sizeof(*out));
	struct pq_bytes *again = malloc((n ? n : 1) * sizeof(*again));

	if (!out || !again)
		goto out_free;
	if (enc_delta_length_decode(buf, len, out, n) < 0)
		goto out_free;
	check_views(out, n, buf, buf + len);
	check(enc_delta_length_encode(b, out, n) == 0);
	check(enc_delta_length_decode(b->p, b->len, again, n) == 0);
	check_views(again, n, b->p, b->p + b->len);
	check_same_values(out, again, n);
out_free:
	free(out);
	free(again);
}

static void fuzz_delta_byte_array(const uint8_t *buf, size_t len, size_t n, struct bytebuf *b)
{
	struct pq_bytes *out = malloc((n ? n : 1) * sizeof(*out));
	struct pq_bytes *again = malloc((n ? n : 1) * sizeof(*again));
	struct bytebuf scratch, scratch2;
	int r;

	bytebuf_init(&scratch, SCRATCH_MAX);
	bytebuf_init(&scratch2, SCRATCH_MAX);
	if (!out || !again)
		goto out_free;
	r = enc_delta_byte_array_decode(buf, len, out, n, &scratch);
	check(r == 0 || r == VITALS_E_PARSE || r == VITALS_E_NOMEM);
	if (r < 0)
		goto out_free;
	/* Values live in the scratch buffer; empty ones may point anywhere valid. */
	for (size_t i = 0; i < n; i++)
		check(out[i].p != NULL &&
		      (out[i].len == 0 ||
		       (out[i].p >= scratch.p && out[i].p <= scratch.p + scratch.len &&
		        out[i].len <= (size_t)(scratch.p + scratch.len - out[i].p))));
	check(enc_delta_byte_array_encode(b, out, n) == 0);
	check(enc_delta_byte_array_decode(b->p, b->len, again, n, &scratch2) == 0);
	check(scratch2.len == scratch.len);
	check_same_values(out, again, n);
out_free:
	bytebuf_release(&scratch);
	bytebuf_release(&scratch2);
	free(out);
	free(again);
}

static void fuzz_bss(const uint8_t *buf, size_t len, size_t width, struct bytebuf *b)
{
	size_t n = width ? len / width : 0;
	uint8_t *out;

	if (width == 0 || width > 16) {
		check(enc_bss_decode(buf, len, width, NULL, 0) == VITALS_E_INVAL);
		return;
	}
	out = malloc(n * width + 1);
	if (!out)
		return;
	if (len % width)
		check(enc_bss_decode(buf, len, width, out, n) == VITALS_E_PARSE);
	check(enc_bss_decode(buf, n * width, width, out, n) == 0);
	check(enc_bss_encode(b, out, n, width) == 0);
	check(b->len == n * width && (b->len == 0 || memcmp(b->p, buf, b->len) == 0));
	free(out);
}

/* Values from the input go into a small dictionary; each must keep its index. */
static void fuzz_dict(const uint8_t *buf, size_t len, int strings, size_t max_bytes)
{
	struct enc_dict d;
	int64_t *idx = malloc((len + 1) * sizeof(*idx));
	const uint8_t **vp = malloc((len + 1) * sizeof(*vp));
	size_t *vl = malloc((len + 1) * sizeof(*vl));
	size_t nv = 0, at = 0;

	enc_dict_init(&d, strings, max_bytes);
	if (!idx || !vp || !vl)
		goto out_release;
	while (at < len) {
		/* Strings: a length byte (mod 16) then that many bytes; keys: 1..8 bytes. */
		size_t l = strings ? buf[at] % 16 : 1 + buf[at] % 8;

		at++;
		if (l > len - at)
			l = len - at;
		vp[nv] = buf + at;
		vl[nv] = l;
		if (strings) {
			idx[nv] = enc_dict_add_bytes(&d, buf + at, l);
		} else {
			uint64_t k = 0;

			memcpy(&k, buf + at, l);
			idx[nv] = enc_dict_add_key(&d, k, l);
		}
		check(idx[nv] >= -1 && idx[nv] < (int64_t)d.count);
		check(d.plain_bytes <= max_bytes);
		at += l;
		nv++;
	}
	for (size_t i = 0; i < nv; i++) {
		int64_t j;

		if (strings) {
			j = enc_dict_add_bytes(&d, vp[i], vl[i]);
		} else {
			uint64_t k = 0;

			memcpy(&k, vp[i], vl[i]);
			j = enc_dict_add_key(&d, k, vl[i]);
		}
		check(idx[i] < 0 || j == idx[i]);
		if (idx[i] >= 0 && strings)
			check(d.off[j + 1] - d.off[j] == vl[i] &&
			      (vl[i] == 0 || memcmp(d.data + d.off[j], vp[i], vl[i]) == 0));
	}
out_release:
	enc_dict_release(&d);
	free(idx);
	free(vp);
	free(vl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bytebuf b;
	const uint8_t *buf;
	size_t len, n;
	uint8_t *copy;
	int param;

	if (size < 4 || size > (1 << 20))
		return 0;
	param = data[1];
	n = (size_t)(data[2] | data[3] << 8) % (COUNT_MAX + 1);
	/* An exact copy, so reading past the payload is caught. */
	len = size - 4;
	copy = malloc(len ? len : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 4, len);
	buf = copy;
	bytebuf_init(&b, 1 << 24);
	switch (data[0] % F_COUNT) {
	case F_RLE:
		fuzz_rle(buf, len, param % 34, n, &b);
		break;
	case F_RLE_U8:
		fuzz_rle_u8(buf, len, param % 10, n, &b);
		break;
	case F_BOOL:
		fuzz_bool(buf, len, n, &b);
		break;
	case F_BYTES:
		fuzz_bytes(buf, len, n, &b);
		break;
	case F_DELTA_I64:
		fuzz_delta_i64(buf, len, n, &b);
		break;
	case F_DELTA_I32:
		fuzz_delta_i32(buf, len, n, &b);
		break;
	case F_DELTA_LENGTH:
		fuzz_delta_length(buf, len, n, &b);
		break;
	case F_DELTA_BYTE_ARRAY:
		fuzz_delta_byte_array(buf, len, n, &b);
		break;
	case F_BSS:
		fuzz_bss(buf, len, (size_t)param % 18, &b);
		break;
	case F_DICT_KEYS:
		fuzz_dict(buf, len, 0, (size_t)param * 4);
		break;
	default:
		fuzz_dict(buf, len, 1, (size_t)param * 4);
		break;
	}
	bytebuf_release(&b);
	free(copy);
	return 0;
}
