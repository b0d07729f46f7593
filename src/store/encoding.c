/*
 * Parquet's value and level encodings (see encoding.h), written from the
 * format's Encodings.md.
 *
 * Bit unpacking works on groups of 8 values, which always fill a whole
 * number of bytes (8 values of W bits are W bytes). Each width gets its own
 * unrolled copy of the group unpacker (a switch picks it once per run), so
 * shifts and masks are constants. Those copies load 8 bytes at a time and
 * may read a few bytes past the group, so they only run where the input
 * has room; the last groups of an input are copied into a zero-padded
 * local buffer first.
 *
 * DELTA_BINARY_PACKED arithmetic is done in uint64_t, where overflow wraps
 * as the specification wants and is well defined in C.
 */
#include "store/encoding.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/common.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* The longest run the specification allows: lengths fit in an int32. */
#define RUN_MAX ((size_t)INT32_MAX)
/* Bit-packed groups in one run when encoding (8 values each). */
#define GROUPS_MAX (RUN_MAX / 8)

/* DELTA_BINARY_PACKED shape the encoders write. */
#define DELTA_BLOCK      128
#define DELTA_MINIBLOCKS 4
#define DELTA_MB_VALUES  (DELTA_BLOCK / DELTA_MINIBLOCKS)
/* Largest block a decoder accepts: bounds the header's arithmetic. */
#define DELTA_BLOCK_MAX ((uint64_t)1 << 24)

/* Largest BYTE_ARRAY value: Parquet lengths are int32. */
#define BYTES_LEN_MAX ((size_t)INT32_MAX)

/* Largest dictionary index (indices are stored in at most 32 bits, readers use int32). */
#define DICT_COUNT_MAX ((size_t)INT32_MAX - 1)
#define DICT_SLOTS_MIN 256

/* Where empty inputs and values point, so no arithmetic is done on NULL. */
static const uint8_t empty_bytes[1];

int enc_bit_width(uint64_t max)
{
	return max ? 64 - __builtin_clzll(max) : 0;
}

static inline uint64_t zigzag_encode(uint64_t v)
{
	return (v << 1) ^ (0 - (v >> 63));
}

static inline uint64_t zigzag_decode(uint64_t v)
{
	return (v >> 1) ^ (0 - (v & 1));
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void le64_put(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* ---- bit unpacking: 8 values of W bits from W bytes ---- */

/* Reads up to 8 bytes past IN + W - 1. */
ALWAYS_INLINE void unpack8_u32(const uint8_t *in, uint32_t *out, const unsigned w)
{
	const uint64_t mask = w >= 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;

	for (unsigned i = 0; i < 8; i++) {
		const unsigned bit = i * w;
		out[i] = (uint32_t)((le64_get(in + bit / 8) >> (bit % 8)) & mask);
	}
}

/* W <= 8: the whole group is in one 8-byte load. */
ALWAYS_INLINE void unpack8_u8(const uint8_t *in, uint8_t *out, const unsigned w)
{
	const uint64_t word = le64_get(in);
	const uint64_t mask = ((uint64_t)1 << w) - 1;

	for (unsigned i = 0; i < 8; i++)
		out[i] = (uint8_t)((word >> (i * w)) & mask);
}

/* W <= 64; reads up to 9 bytes past IN + W - 1. */
ALWAYS_INLINE void unpack8_u64(const uint8_t *in, uint64_t *out, const unsigned w)
{
	const uint64_t mask = w >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << w) - 1;

	for (unsigned i = 0; i < 8; i++) {
		const unsigned bit = i * w;
		const unsigned s = bit % 8;
		const uint8_t *q = in + bit / 8;
		uint64_t v = le64_get(q) >> s;

		if (w + s > 64)
			v |= (uint64_t)q[8] << (64 - s);
		out[i] = v & mask;
	}
}

/* Slack the group unpackers need past a group's last byte. */
#define UNPACK_SLACK 16

/* GROUPS groups of W (1..32) bits; the input must have UNPACK_SLACK bytes past them. */
static void unpack_groups_u32(const uint8_t *in, uint32_t *out, size_t groups, unsigned w)
{
	switch (w) {
#define CASE(W)                                                                                    \
	case W:                                                                                    \
		for (size_t g = 0; g < groups; g++)                                                \
			unpack8_u32(in + g * W, out + g * 8, W);                                   \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
		CASE(9)
		CASE(10)
		CASE(11)
		CASE(12)
		CASE(13)
		CASE(14)
		CASE(15)
		CASE(16)
		CASE(17)
		CASE(18)
		CASE(19)
		CASE(20)
		CASE(21)
		CASE(22)
		CASE(23)
		CASE(24)
		CASE(25)
		CASE(26)
		CASE(27)
		CASE(28)
		CASE(29)
		CASE(30)
		CASE(31)
		CASE(32)
#undef CASE
	default:
		break;
	}
}

static void unpack_groups_u8(const uint8_t *in, uint8_t *out, size_t groups, unsigned w)
{
	switch (w) {
#define CASE(W)                                                                                    \
	case W:                                                                                    \
		for (size_t g = 0; g < groups; g++)                                                \
			unpack8_u8(in + g * W, out + g * 8, W);                                    \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
#undef CASE
	default:
		break;
	}
}

static void unpack_groups_u64(const uint8_t *in, uint64_t *out, size_t groups, unsigned w)
{
	switch (w) {
#define CASE(W)                                                                                    \
	case W:                                                                                    \
		for (size_t g = 0; g < groups; g++)                                                \
			unpack8_u64(in + g * W, out + g * 8, W);                                   \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
		CASE(9)
		CASE(10)
		CASE(11)
		CASE(12)
		CASE(13)
		CASE(14)
		CASE(15)
		CASE(16)
		CASE(17)
		CASE(18)
		CASE(19)
		CASE(20)
		CASE(21)
		CASE(22)
		CASE(23)
		CASE(24)
		CASE(25)
		CASE(26)
		CASE(27)
		CASE(28)
		CASE(29)
		CASE(30)
		CASE(31)
		CASE(32)
		CASE(33)
		CASE(34)
		CASE(35)
		CASE(36)
		CASE(37)
		CASE(38)
		CASE(39)
		CASE(40)
		CASE(41)
		CASE(42)
		CASE(43)
		CASE(44)
		CASE(45)
		CASE(46)
		CASE(47)
		CASE(48)
		CASE(49)
		CASE(50)
		CASE(51)
		CASE(52)
		CASE(53)
		CASE(54)
		CASE(55)
		CASE(56)
		CASE(57)
		CASE(58)
		CASE(59)
		CASE(60)
		CASE(61)
		CASE(62)
		CASE(63)
		CASE(64)
#undef CASE
	default:
		memset(out, 0, groups * 8 * sizeof(*out));
		break;
	}
}

/*
 * TAKE values of W bits (1..32, or 1..8 for bytes) bit-packed at IN, which
 * has AVAIL bytes of which the first ceil(TAKE / 8) * W belong to the run.
 */
ALWAYS_INLINE void unpack_run(const uint8_t *in, size_t avail, void *outv, size_t take, unsigned w,
                              const int wide)
{
	uint8_t pad[32 + UNPACK_SLACK];
	uint32_t tmp32[8];
	uint8_t tmp8[8];
	size_t full = take / 8, rest = take % 8, fast, g;

	/* Group g may use the fast path when (g + 1) * w + UNPACK_SLACK <= avail. */
	fast = avail >= UNPACK_SLACK ? (avail - UNPACK_SLACK) / w : 0;
	if (fast > full)
		fast = full;
	if (wide)
		unpack_groups_u32(in, outv, fast, w);
	else
		unpack_groups_u8(in, outv, fast, w);
	for (g = fast; g < full + (rest != 0); g++) {
		memset(pad, 0, sizeof(pad));
		memcpy(pad, in + g * w, w);
		if (wide && g < full)
			unpack_groups_u32(pad, (uint32_t *)outv + g * 8, 1, w);
		else if (g < full)
			unpack_groups_u8(pad, (uint8_t *)outv + g * 8, 1, w);
		else if (wide) {
			unpack_groups_u32(pad, tmp32, 1, w);
			memcpy((uint32_t *)outv + g * 8, tmp32, rest * sizeof(*tmp32));
		} else {
			unpack_groups_u8(pad, tmp8, 1, w);
			memcpy((uint8_t *)outv + g * 8, tmp8, rest);
		}
	}
}

/* ---- bit packing ---- */

/* 8 values of W bits (1..32) into W bytes. */
ALWAYS_INLINE void pack8_u32(uint8_t *dst, const uint32_t *x, const unsigned w)
{
	uint64_t acc = 0;
	unsigned bits = 0;

	for (unsigned i = 0; i < 8; i++) {
		acc |= (uint64_t)x[i] << bits;
		bits += w;
		if (bits >= 32) {
			le32_put(dst, (uint32_t)acc);
			dst += 4;
			acc >>= 32;
			bits -= 32;
		}
	}
	for (; bits >= 8; bits -= 8) {
		*dst++ = (uint8_t)acc;
		acc >>= 8;
	}
}

static void pack_groups_u32(uint8_t *dst, const uint32_t *x, size_t groups, unsigned w)
{
	switch (w) {
#define CASE(W)                                                                                    \
	case W:                                                                                    \
		for (size_t g = 0; g < groups; g++)                                                \
			pack8_u32(dst + g * W, x + g * 8, W);                                      \
		break;
		CASE(1)
		CASE(2)
		CASE(3)
		CASE(4)
		CASE(5)
		CASE(6)
		CASE(7)
		CASE(8)
		CASE(9)
		CASE(10)
		CASE(11)
		CASE(12)
		CASE(13)
		CASE(14)
		CASE(15)
		CASE(16)
		CASE(17)
		CASE(18)
		CASE(19)
		CASE(20)
		CASE(21)
		CASE(22)
		CASE(23)
		CASE(24)
		CASE(25)
		CASE(26)
		CASE(27)
		CASE(28)
		CASE(29)
		CASE(30)
		CASE(31)
		CASE(32)
#undef CASE
	default:
		break;
	}
}

/* N values (< 2^W, W 1..64) into ceil(N * W / 8) bytes at DST. */
static uint8_t *pack_u64(uint8_t *dst, const uint64_t *x, size_t n, unsigned w)
{
	uint64_t acc = 0;
	unsigned bits = 0;

	for (size_t i = 0; i < n; i++) {
		acc |= x[i] << bits;
		if (bits + w >= 64) {
			le64_put(dst, acc);
			dst += 8;
			acc = bits ? x[i] >> (64 - bits) : 0;
			bits = bits + w - 64;
		} else {
			bits += w;
		}
	}
	for (; bits > 0; bits = bits > 8 ? bits - 8 : 0) {
		*dst++ = (uint8_t)acc;
		acc >>= 8;
	}
	return dst;
}

/* ---- RLE / bit-packed hybrid ---- */

ALWAYS_INLINE uint32_t rle_get(const void *v, size_t i, const int wide)
{
	return wide ? ((const uint32_t *)v)[i] : ((const uint8_t *)v)[i];
}

/* Values [FROM, TO) as bit-packed runs; only the last call may pad its last group. */
ALWAYS_INLINE int rle_put_literal(struct bytebuf *out, const void *v, size_t from, size_t to,
                                  unsigned w, const int wide)
{
	uint32_t tmp[64];

	while (from < to) {
		size_t count = to - from, groups, chunk, done = 0;

		groups = (count + 7) / 8;
		if (groups > GROUPS_MAX)
			groups = GROUPS_MAX;
		chunk = groups * 8 < count ? groups * 8 : count;
		if (bytebuf_put_uleb(out, (uint64_t)groups << 1 | 1) < 0 ||
		    bytebuf_reserve(out, groups * w) < 0)
			return out->error;
		if (wide) {
			size_t fullg = chunk / 8;

			pack_groups_u32(out->p + out->len, (const uint32_t *)v + from, fullg, w);
			done = fullg * 8;
		}
		while (done < chunk) {
			size_t k = chunk - done < 64 ? chunk - done : 64;
			size_t kg = (k + 7) / 8;

			for (size_t i = 0; i < k; i++)
				tmp[i] = rle_get(v, from + done + i, wide);
			for (size_t i = k; i < kg * 8; i++)
				tmp[i] = 0;
			pack_groups_u32(out->p + out->len + done / 8 * w, tmp, kg, w);
			done += k;
		}
		out->len += groups * w;
		from += chunk;
	}
	return 0;
}

ALWAYS_INLINE int rle_put_repeat(struct bytebuf *out, uint32_t x, size_t count, unsigned w)
{
	uint8_t val[4];
	size_t bytes = (w + 7) / 8;

	le32_put(val, x);
	while (count > 0) {
		size_t run = count < RUN_MAX ? count : RUN_MAX;

		if (bytebuf_put_uleb(out, (uint64_t)run << 1) < 0 ||
		    bytebuf_append(out, val, bytes) < 0)
			return out->error;
		count -= run;
	}
	return 0;
}

ALWAYS_INLINE int rle_encode(struct bytebuf *out, const void *v, size_t n, int bit_width,
                             const int wide)
{
	unsigned w = (unsigned)bit_width;
	uint32_t all = 0;
	size_t lit = 0, i = 0;

	if (bit_width < 0 || bit_width > (wide ? 32 : 8))
		return VITALS_E_INVAL;
	for (size_t k = 0; k < n; k++)
		all |= rle_get(v, k, wide);
	if (w < 32 && (all >> w) != 0)
		return VITALS_E_INVAL;
	if (out->error)
		return out->error;
	if (w == 0)
		return rle_put_repeat(out, 0, n, 0);

	/*
	 * Runs of 8 or more equal values are RLE runs. Pending literals are
	 * flushed only in whole groups of 8, borrowing the first values of
	 * the run when needed, since padding is allowed only at the end.
	 */
	while (i < n) {
		uint32_t x = rle_get(v, i, wide);
		size_t j = i + 1, run;

		if (!wide) {
			/* Bytes: compare 8 at a time. */
			const uint8_t *b = v;
			uint64_t xx = x * 0x0101010101010101ULL, diff = 0;

			while (j + 8 <= n && (diff = le64_get(b + j) ^ xx) == 0)
				j += 8;
			if (diff)
				j += (size_t)__builtin_ctzll(diff) / 8;
		}
		while (j < n && rle_get(v, j, wide) == x)
			j++;
		run = j - i;
		if (run >= 8) {
			size_t odd = (i - lit) % 8;

			if (odd) {
				size_t borrow = 8 - odd;

				if (run - borrow < 8) {
					i = j;
					continue;
				}
				i += borrow;
				run -= borrow;
			}
			if (rle_put_literal(out, v, lit, i, w, wide) < 0 ||
			    rle_put_repeat(out, x, run, w) < 0)
				return out->error;
			lit = j;
		}
		i = j;
	}
	if (rle_put_literal(out, v, lit, n, w, wide) < 0)
		return out->error;
	return 0;
}

int enc_rle_encode(struct bytebuf *out, const uint32_t *v, size_t n, int bit_width)
{
	return rle_encode(out, v, n, bit_width, 1);
}

int enc_rle_encode_u8(struct bytebuf *out, const uint8_t *v, size_t n, int bit_width)
{
	return rle_encode(out, v, n, bit_width, 0);
}

ALWAYS_INLINE int rle_decode(const uint8_t *buf, size_t len, int bit_width, void *outv, size_t n,
                             const int wide)
{
	unsigned w = (unsigned)bit_width;
	size_t bytes = (w + 7) / 8, i = 0;
	const uint8_t *p, *end;

	if (len == 0)
		buf = empty_bytes;
	p = buf;
	end = buf + len;
	if (bit_width < 0 || bit_width > (wide ? 32 : 8))
		return VITALS_E_PARSE;
	if (w == 0) {
		if (n)
			memset(outv, 0, n * (wide ? 4 : 1));
		return 0;
	}
	while (i < n) {
		uint64_t h;
		size_t take;

		if (uleb_get(&p, end, &h) < 0)
			return VITALS_E_PARSE;
		if (h & 1) {
			uint64_t groups = h >> 1;

			if (groups > (uint64_t)(end - p) / w)
				return VITALS_E_PARSE;
			take = groups * 8 < n - i ? (size_t)groups * 8 : n - i;
			if (wide)
				unpack_run(p, (size_t)(end - p), (uint32_t *)outv + i, take, w, 1);
			else
				unpack_run(p, (size_t)(end - p), (uint8_t *)outv + i, take, w, 0);
			p += groups * w;
		} else {
			uint64_t run = h >> 1;
			uint32_t x = 0;

			if ((size_t)(end - p) < bytes)
				return VITALS_E_PARSE;
			for (size_t k = 0; k < bytes; k++)
				x |= (uint32_t)p[k] << (8 * k);
			p += bytes;
			if (w < 32 && (x >> w) != 0)
				return VITALS_E_PARSE;
			take = run < n - i ? (size_t)run : n - i;
			if (wide) {
				uint32_t *o = (uint32_t *)outv + i;

				for (size_t k = 0; k < take; k++)
					o[k] = x;
			} else if (take) {
				memset((uint8_t *)outv + i, (int)x, take);
			}
		}
		i += take;
	}
	return 0;
}

int enc_rle_decode(const uint8_t *buf, size_t len, int bit_width, uint32_t *out, size_t n)
{
	return rle_decode(buf, len, bit_width, out, n, 1);
}

int enc_rle_decode_u8(const uint8_t *buf, size_t len, int bit_width, uint8_t *out, size_t n)
{
	return rle_decode(buf, len, bit_width, out, n, 0);
}

int enc_rle_runs_init(struct enc_rle_runs *it, const uint8_t *buf, size_t len, int bit_width,
                      size_t n)
{
	if (len == 0)
		buf = empty_bytes;
	it->p = buf;
	it->end = buf + len;
	it->w = (unsigned)bit_width;
	it->left = n;
	return bit_width < 0 || bit_width > 32 ? VITALS_E_PARSE : 0;
}

/* The same checks as rle_decode(), in the same order. */
int enc_rle_runs_next(struct enc_rle_runs *it, struct enc_rle_run *run)
{
	unsigned w = it->w;
	uint64_t h, count;

	if (it->left == 0)
		return 0;
	run->w = w;
	run->value = 0;
	run->packed = NULL;
	run->avail = 0;
	if (w == 0) {
		run->count = it->left; /* zeros, nothing read */
		it->left = 0;
		return 1;
	}
	if (uleb_get(&it->p, it->end, &h) < 0)
		return VITALS_E_PARSE;
	if (h & 1) {
		uint64_t groups = h >> 1;

		if (groups > (uint64_t)(it->end - it->p) / w)
			return VITALS_E_PARSE;
		count = groups * 8;
		run->packed = it->p;
		run->avail = (size_t)(it->end - it->p);
		it->p += groups * w;
	} else {
		size_t bytes = (w + 7) / 8;
		uint32_t x = 0;

		if ((size_t)(it->end - it->p) < bytes)
			return VITALS_E_PARSE;
		for (size_t k = 0; k < bytes; k++)
			x |= (uint32_t)it->p[k] << (8 * k);
		it->p += bytes;
		if (w < 32 && (x >> w) != 0)
			return VITALS_E_PARSE;
		count = h >> 1;
		run->value = x;
	}
	run->count = count < it->left ? (size_t)count : it->left;
	it->left -= run->count;
	return 1;
}

/* Value J of a bit-packed run: its bits lie in the run, 8 bytes are read when there are. */
static inline uint32_t run_packed_get(const struct enc_rle_run *run, size_t j)
{
	size_t bit = j * run->w, at = bit / 8;
	uint64_t x = 0;

	if (run->avail - at >= 8) {
		x = le64_get(run->packed + at);
	} else {
		for (size_t k = 0; k < run->avail - at; k++)
			x |= (uint64_t)run->packed[at + k] << (8 * k);
	}
	x >>= bit % 8;
	return (uint32_t)(x & (((uint64_t)1 << run->w) - 1));
}

void enc_rle_run_unpack(const struct enc_rle_run *run, size_t from, uint32_t *out, size_t k)
{
	size_t skip = from / 8 * run->w;

	unpack_run(run->packed + skip, run->avail - skip, out, k, run->w, 1);
}

int enc_rle_decode_at(const uint8_t *buf, size_t len, int bit_width, size_t n, const uint32_t *pos,
                      size_t m, uint32_t *out)
{
	struct enc_rle_runs it;
	struct enc_rle_run run;
	size_t i = 0, t = 0; /* I: the first value of the run; T: the next position */
	uint32_t last = 0;   /* the position before T */
	int rc = enc_rle_runs_init(&it, buf, len, bit_width, n);

	while (rc == 0 && (rc = enc_rle_runs_next(&it, &run)) > 0) {
		size_t end = i + run.count;

		if (run.packed) {
			for (; t < m && pos[t] < end; t++) {
				if (pos[t] < last)
					return VITALS_E_INVAL;
				last = pos[t];
				out[t] = run_packed_get(&run, pos[t] - i);
			}
		} else {
			for (; t < m && pos[t] < end; t++) {
				if (pos[t] < last)
					return VITALS_E_INVAL;
				last = pos[t];
				out[t] = run.value;
			}
		}
		i = end;
		rc = 0;
	}
	if (rc < 0)
		return rc;
	return t == m ? 0 : VITALS_E_INVAL;
}

/* The ones among bits [A, B) of P, least significant first. */
static size_t ones_between(const uint8_t *p, size_t a, size_t b)
{
	size_t k = 0;

	if (a >= b)
		return 0;
	if (a % 8) {
		size_t stop = b < (a | 7) + 1 ? b : (a | 7) + 1;
		unsigned mask = (1u << (stop - a)) - 1;

		k += (size_t)__builtin_popcount((unsigned)(p[a / 8] >> (a % 8)) & mask);
		a = stop;
	}
	for (; a + 64 <= b; a += 64)
		k += (size_t)__builtin_popcountll(le64_get(p + a / 8));
	for (; a + 8 <= b; a += 8)
		k += (size_t)__builtin_popcount(p[a / 8]);
	if (a < b)
		k += (size_t)__builtin_popcount(p[a / 8] & ((1u << (b - a)) - 1));
	return k;
}

int enc_rle_levels_at(const uint8_t *buf, size_t len, size_t n, const uint32_t *pos, size_t m,
                      uint8_t *level, uint32_t *before, size_t *ones)
{
	struct enc_rle_runs it;
	struct enc_rle_run run;
	size_t i = 0, t = 0, k = 0; /* K: the ones before value I */
	uint32_t last = 0;
	int rc = enc_rle_runs_init(&it, buf, len, 1, n);

	while (rc == 0 && (rc = enc_rle_runs_next(&it, &run)) > 0) {
		size_t end = i + run.count;

		if (run.packed) {
			size_t j0 = 0; /* bits of the run counted into K */

			for (; t < m && pos[t] < end; t++) {
				size_t j = pos[t] - i;

				if (pos[t] < last)
					return VITALS_E_INVAL;
				last = pos[t];
				k += ones_between(run.packed, j0, j);
				j0 = j;
				level[t] = (uint8_t)((run.packed[j / 8] >> (j % 8)) & 1);
				before[t] = (uint32_t)k;
			}
			k += ones_between(run.packed, j0, run.count);
		} else {
			for (; t < m && pos[t] < end; t++) {
				if (pos[t] < last)
					return VITALS_E_INVAL;
				last = pos[t];
				level[t] = (uint8_t)run.value;
				before[t] = (uint32_t)(k + (run.value ? pos[t] - i : 0));
			}
			k += run.value ? run.count : 0;
		}
		i = end;
		rc = 0;
	}
	if (rc < 0)
		return rc;
	*ones = k;
	return t == m ? 0 : VITALS_E_INVAL;
}

/* ---- PLAIN ---- */

int enc_plain_encode_bool(struct bytebuf *out, const uint8_t *v, size_t n)
{
	size_t full = n / 8, i;
	uint8_t *dst;

	if (n == 0)
		return out->error;
	if (bytebuf_reserve(out, (n + 7) / 8) < 0)
		return out->error;
	dst = out->p + out->len;
	for (i = 0; i < full; i++) {
		uint64_t x = le64_get(v + i * 8);

		/* One bit per nonzero byte, then gather the 8 bits LSB first. */
		x = (((x & 0x7f7f7f7f7f7f7f7fULL) + 0x7f7f7f7f7f7f7f7fULL) | x) &
		    0x8080808080808080ULL;
		dst[i] = (uint8_t)(((x >> 7) * 0x0102040810204080ULL) >> 56);
	}
	if (n % 8) {
		uint8_t b = 0;

		for (size_t k = 0; k < n % 8; k++)
			b |= (uint8_t)((v[full * 8 + k] != 0) << k);
		dst[full] = b;
	}
	out->len += (n + 7) / 8;
	return 0;
}

int enc_plain_decode_bool(const uint8_t *buf, size_t len, uint8_t *out, size_t n)
{
	size_t full = n / 8;

	if (n > SIZE_MAX - 7 || len < (n + 7) / 8)
		return VITALS_E_PARSE;
	for (size_t i = 0; i < full; i++) {
		/* Byte k of the product holds bit k of the input byte. */
		uint64_t x = ((buf[i] * 0x0101010101010101ULL) & 0x8040201008040201ULL);

		x = ((x + 0x7f7f7f7f7f7f7f7fULL) & 0x8080808080808080ULL) >> 7;
		le64_put(out + i * 8, x);
	}
	for (size_t k = 0; k < n % 8; k++)
		out[full * 8 + k] = (buf[full] >> k) & 1;
	return 0;
}

int enc_plain_encode_bytes(struct bytebuf *out, const uint8_t *data, size_t len)
{
	if (len > BYTES_LEN_MAX)
		return VITALS_E_INVAL;
	if (bytebuf_reserve(out, 4 + len) < 0)
		return out->error;
	le32_put(out->p + out->len, (uint32_t)len);
	if (len)
		memcpy(out->p + out->len + 4, data, len);
	out->len += 4 + len;
	return 0;
}

int enc_plain_decode_bytes(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n,
                           size_t *used)
{
	const uint8_t *p, *end;

	if (len == 0)
		buf = empty_bytes;
	p = buf;
	end = buf + len;
	for (size_t i = 0; i < n; i++) {
		uint32_t l;

		if (end - p < 4)
			return VITALS_E_PARSE;
		l = le32_get(p);
		p += 4;
		if (l > (size_t)(end - p))
			return VITALS_E_PARSE;
		out[i].p = p;
		out[i].len = l;
		p += l;
	}
	if (used)
		*used = (size_t)(p - buf);
	return 0;
}

/* ---- DELTA_BINARY_PACKED ---- */

/* What the delta encoder reads its values from. */
enum delta_src {
	DS_I64,
	DS_I32,
	DS_LEN,    /* lengths of pq_bytes values */
	DS_PREFIX, /* the prefix each pq_bytes value shares with the one before */
	DS_SUFFIX, /* the length past that prefix */
};

static size_t common_prefix(const struct pq_bytes *a, const struct pq_bytes *b)
{
	size_t max = a->len < b->len ? a->len : b->len, k = 0;

	while (k + 8 <= max) {
		uint64_t x = le64_get(a->p + k) ^ le64_get(b->p + k);

		if (x)
			return k + (size_t)(__builtin_ctzll(x) / 8);
		k += 8;
	}
	while (k < max && a->p[k] == b->p[k])
		k++;
	return k;
}

/* COUNT values from index FROM of V into DST, widened to 64 bits. */
static void delta_gather(enum delta_src kind, const void *v, size_t from, size_t count,
                         uint64_t *dst)
{
	const int64_t *i64 = v;
	const int32_t *i32 = v;
	const struct pq_bytes *b = v;
	size_t j;

	switch (kind) {
	case DS_I64:
		for (j = 0; j < count; j++)
			dst[j] = (uint64_t)i64[from + j];
		break;
	case DS_I32:
		for (j = 0; j < count; j++)
			dst[j] = (uint64_t)(int64_t)i32[from + j];
		break;
	case DS_LEN:
		for (j = 0; j < count; j++)
			dst[j] = b[from + j].len;
		break;
	case DS_PREFIX:
		for (j = 0; j < count; j++)
			dst[j] = from + j ? common_prefix(&b[from + j - 1], &b[from + j]) : 0;
		break;
	case DS_SUFFIX:
		for (j = 0; j < count; j++)
			dst[j] = b[from + j].len -
			         (from + j ? common_prefix(&b[from + j - 1], &b[from + j]) : 0);
		break;
	}
}

static int delta_encode(struct bytebuf *out, enum delta_src kind, const void *v, size_t n)
{
	const int is32 = kind != DS_I64;
	uint64_t vals[DELTA_BLOCK], d[DELTA_BLOCK], prev = 0;

	bytebuf_put_uleb(out, DELTA_BLOCK);
	bytebuf_put_uleb(out, DELTA_MINIBLOCKS);
	bytebuf_put_uleb(out, n);
	if (n)
		delta_gather(kind, v, 0, 1, &prev);
	if (bytebuf_put_uleb(out, zigzag_encode(prev)) < 0)
		return out->error;

	for (size_t start = 1; start < n; start += DELTA_BLOCK) {
		size_t cnt = n - start < DELTA_BLOCK ? n - start : DELTA_BLOCK;
		int64_t min = INT64_MAX;
		uint8_t widths[DELTA_MINIBLOCKS];
		uint8_t *dst;

		delta_gather(kind, v, start, cnt, vals);
		for (size_t j = 0; j < cnt; j++) {
			uint64_t delta = vals[j] - prev;

			/* INT32 deltas wrap in 32 bits: they fit in 32 once min is off. */
			if (is32)
				delta = (uint64_t)(int64_t)(int32_t)(uint32_t)delta;
			prev = vals[j];
			d[j] = delta;
			if ((int64_t)delta < min)
				min = (int64_t)delta;
		}
		for (size_t j = 0; j < cnt; j++)
			d[j] -= (uint64_t)min;
		for (size_t j = cnt; j < DELTA_BLOCK; j++)
			d[j] = 0;
		for (size_t m = 0; m < DELTA_MINIBLOCKS; m++) {
			uint64_t all = 0;

			if (m * DELTA_MB_VALUES < cnt)
				for (size_t j = 0; j < DELTA_MB_VALUES; j++)
					all |= d[m * DELTA_MB_VALUES + j];
			widths[m] = (uint8_t)enc_bit_width(all);
		}
		bytebuf_put_uleb(out, zigzag_encode((uint64_t)min));
		bytebuf_append(out, widths, sizeof(widths));
		if (bytebuf_reserve(out, DELTA_BLOCK * 8) < 0)
			return out->error;
		dst = out->p + out->len;
		for (size_t m = 0; m < DELTA_MINIBLOCKS && m * DELTA_MB_VALUES < cnt; m++) {
			const uint64_t *x = d + m * DELTA_MB_VALUES;
			unsigned w = widths[m];

			if (w > 32) {
				dst = pack_u64(dst, x, DELTA_MB_VALUES, w);
			} else if (w > 0) {
				uint32_t x32[DELTA_MB_VALUES];

				for (size_t j = 0; j < DELTA_MB_VALUES; j++)
					x32[j] = (uint32_t)x[j];
				pack_groups_u32(dst, x32, DELTA_MB_VALUES / 8, w);
				dst += DELTA_MB_VALUES / 8 * w;
			}
		}
		out->len = (size_t)(dst - out->p);
	}
	return out->error;
}

int enc_delta_encode_i64(struct bytebuf *out, const int64_t *v, size_t n)
{
	return delta_encode(out, DS_I64, v, n);
}

int enc_delta_encode_i32(struct bytebuf *out, const int32_t *v, size_t n)
{
	return delta_encode(out, DS_I32, v, n);
}

/* Where the delta decoder puts its values. */
enum delta_dst {
	DD_I64,
	DD_I32,
	DD_LEN, /* pq_bytes lengths, each a nonnegative int32 */
	/*
	 * DELTA_BYTE_ARRAY suffix lengths, over prefix lengths in pq_bytes.len:
	 * p = base + running sum of the suffix lengths (so suffix i's length is
	 * the distance to p of i + 1), len kept; each prefix is checked against
	 * the length of the value before, and the values' total is summed.
	 */
	DD_SUFFIX,
};

struct delta_out {
	void *v;
	/* DD_SUFFIX only: */
	const uint8_t *base;
	size_t avail; /* bytes the suffix lengths may add up to */
	size_t sum;   /* suffix lengths so far */
	size_t prev;  /* length of the last value */
	size_t total; /* lengths of the values so far */
};

/* Store K values LAST + MIN + REL[0..K) (running) at index AT. 0, or -1 for a bad length. */
ALWAYS_INLINE int delta_store(struct delta_out *o, size_t at, uint64_t *last, uint64_t min,
                              const uint64_t *rel, size_t k, const enum delta_dst kind)
{
	uint64_t x = *last;
	uint32_t bad = 0;

	switch (kind) {
	case DD_I64: {
		int64_t *dst = (int64_t *)o->v + at;

		for (size_t j = 0; j < k; j++) {
			x += min + rel[j];
			dst[j] = (int64_t)x;
		}
		break;
	}
	case DD_I32: {
		int32_t *dst = (int32_t *)o->v + at;

		for (size_t j = 0; j < k; j++) {
			x += min + rel[j];
			dst[j] = (int32_t)(uint32_t)x;
		}
		break;
	}
	case DD_LEN: {
		struct pq_bytes *dst = (struct pq_bytes *)o->v + at;

		for (size_t j = 0; j < k; j++) {
			x += min + rel[j];
			dst[j].len = (uint32_t)x;
			bad |= (uint32_t)x;
		}
		if (bad >> 31)
			return -1;
		break;
	}
	case DD_SUFFIX: {
		struct pq_bytes *dst = (struct pq_bytes *)o->v + at;

		for (size_t j = 0; j < k; j++) {
			size_t l, pre = dst[j].len;

			x += min + rel[j];
			l = (uint32_t)x;
			if (l > INT32_MAX || l > o->avail - o->sum || pre > o->prev ||
			    l > BYTES_LEN_MAX - pre || o->total > SIZE_MAX - pre - l)
				return -1;
			dst[j].p = o->base + o->sum;
			o->sum += l;
			o->prev = pre + l;
			o->total += o->prev;
		}
		break;
	}
	}
	*last = x;
	return 0;
}

/* The first value, in the output's terms. */
ALWAYS_INLINE int delta_store_first(struct delta_out *o, uint64_t first, const enum delta_dst kind)
{
	uint64_t last = 0, rel = first;

	return delta_store(o, 0, &last, 0, &rel, 1, kind);
}

/*
 * Decode N values of the run at BUF into O. With USED, the whole run is
 * walked (past N values) to find its end.
 */
ALWAYS_INLINE int delta_decode(const uint8_t *buf, size_t len, struct delta_out *o, size_t n,
                               size_t *used, const enum delta_dst kind)
{
	uint64_t block, mbs, total, first, vpm, left, last;
	uint64_t rel[64];
	uint8_t pad[64 * 8 + UNPACK_SLACK];
	const uint8_t *p, *end;
	size_t got = 0;

	if (len == 0) {
		if (used)
			*used = 0;
		return n ? VITALS_E_PARSE : 0;
	}
	p = buf;
	end = buf + len;
	if (uleb_get(&p, end, &block) < 0 || uleb_get(&p, end, &mbs) < 0 ||
	    uleb_get(&p, end, &total) < 0 || uleb_get(&p, end, &first) < 0)
		return VITALS_E_PARSE;
	if (block == 0 || block % 128 || block > DELTA_BLOCK_MAX || mbs == 0 || block % mbs ||
	    (block / mbs) % 32 || total < n)
		return VITALS_E_PARSE;
	vpm = block / mbs;
	first = zigzag_decode(first);
	last = first;
	if (n) {
		if (delta_store_first(o, first, kind) < 0)
			return VITALS_E_PARSE;
		got = 1;
	}

	/* total - 1 deltas follow, in blocks; the last block's unneeded miniblocks are empty. */
	left = total ? total - 1 : 0;
	while (left > 0) {
		const uint8_t *widths;
		uint64_t min, in_block = left < block ? left : block;

		if (got == n && !used)
			break;
		if (uleb_get(&p, end, &min) < 0 || (uint64_t)(end - p) < mbs)
			return VITALS_E_PARSE;
		min = zigzag_decode(min);
		widths = p;
		p += mbs;
		for (uint64_t m = 0; m * vpm < in_block; m++) {
			unsigned w = widths[m];
			uint64_t cnt = in_block - m * vpm < vpm ? in_block - m * vpm : vpm;
			size_t bytes;

			if (w > 64 || (uint64_t)(end - p) < vpm / 8 * w)
				return VITALS_E_PARSE;
			bytes = (size_t)(vpm / 8 * w);
			if (got < n) {
				size_t want = n - got < cnt ? n - got : (size_t)cnt;

				/* 64 values (8 groups) at a time. */
				for (size_t done = 0; done < want; done += 64) {
					size_t k = want - done < 64 ? want - done : 64;
					size_t groups = (k + 7) / 8;
					const uint8_t *in = p + done / 8 * w;

					if (w == 0) {
						memset(rel, 0, sizeof(rel));
					} else if ((size_t)(end - in) >=
					           groups * w + UNPACK_SLACK) {
						unpack_groups_u64(in, rel, groups, w);
					} else {
						memset(pad, 0, sizeof(pad));
						memcpy(pad, in, groups * w);
						unpack_groups_u64(pad, rel, groups, w);
					}
					if (delta_store(o, got, &last, min, rel, k, kind) < 0)
						return VITALS_E_PARSE;
					got += k;
				}
			} else if (!used) {
				break;
			}
			p += bytes;
		}
		left -= in_block;
	}
	if (used)
		*used = (size_t)(p - buf);
	return 0;
}

int enc_delta_decode_i64(const uint8_t *buf, size_t len, int64_t *out, size_t n, size_t *used)
{
	struct delta_out o = {.v = out};

	return delta_decode(buf, len, &o, n, used, DD_I64);
}

int enc_delta_decode_i32(const uint8_t *buf, size_t len, int32_t *out, size_t n, size_t *used)
{
	struct delta_out o = {.v = out};

	return delta_decode(buf, len, &o, n, used, DD_I32);
}

/* Copy LEN bytes that do not overlap; short ones without a call. */
static inline void copy_bytes(uint8_t *dst, const uint8_t *src, size_t len)
{
	if (len >= 8 && len <= 16) {
		le64_put(dst, le64_get(src));
		le64_put(dst + len - 8, le64_get(src + len - 8));
	} else if (len >= 4 && len < 8) {
		le32_put(dst, le32_get(src));
		le32_put(dst + len - 4, le32_get(src + len - 4));
	} else if (len < 4) {
		for (size_t i = 0; i < len; i++)
			dst[i] = src[i];
	} else {
		memcpy(dst, src, len);
	}
}

/* ---- byte arrays ---- */

int enc_delta_length_encode(struct bytebuf *out, const struct pq_bytes *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len > BYTES_LEN_MAX)
			return VITALS_E_INVAL;
	if (delta_encode(out, DS_LEN, v, n) < 0)
		return out->error;
	for (size_t i = 0; i < n; i++)
		if (v[i].len)
			bytebuf_append(out, v[i].p, v[i].len);
	return out->error;
}

int enc_delta_length_decode(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n)
{
	struct delta_out o = {.v = out};
	const uint8_t *p, *end;
	size_t used;

	if (len == 0)
		buf = empty_bytes;
	end = buf + len;
	if (delta_decode(buf, len, &o, n, &used, DD_LEN) < 0)
		return VITALS_E_PARSE;
	p = buf + used;
	for (size_t i = 0; i < n; i++) {
		if (out[i].len > (size_t)(end - p))
			return VITALS_E_PARSE;
		out[i].p = p;
		p += out[i].len;
	}
	return 0;
}

int enc_delta_byte_array_encode(struct bytebuf *out, const struct pq_bytes *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len > BYTES_LEN_MAX)
			return VITALS_E_INVAL;
	if (delta_encode(out, DS_PREFIX, v, n) < 0 || delta_encode(out, DS_SUFFIX, v, n) < 0)
		return out->error;
	for (size_t i = 0; i < n; i++) {
		size_t pre = i ? common_prefix(&v[i - 1], &v[i]) : 0;

		if (v[i].len > pre)
			bytebuf_append(out, v[i].p + pre, v[i].len - pre);
	}
	return out->error;
}

/*
 * Prefix lengths go to out[i].len, then the suffix lengths' run sets
 * out[i].p to where suffix i starts counted from the run's start (the
 * suffix lengths are the differences), checks the prefixes and sizes the
 * values. The scratch buffer is reserved once, then the values built.
 */
int enc_delta_byte_array_decode(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n,
                                struct bytebuf *scratch)
{
	struct delta_out o = {.v = out};
	const uint8_t *data, *base;
	size_t used_pre, used_suf, prev;
	uint8_t *dst;
	int r;

	bytebuf_clear(scratch);
	if (len == 0)
		buf = empty_bytes;
	if (delta_decode(buf, len, &o, n, &used_pre, DD_LEN) < 0)
		return VITALS_E_PARSE;
	base = buf + used_pre;
	o.base = base;
	o.avail = len - used_pre;
	if (delta_decode(base, len - used_pre, &o, n, &used_suf, DD_SUFFIX) < 0)
		return VITALS_E_PARSE;
	data = base + used_suf;
	if (o.sum > (size_t)(buf + len - data))
		return VITALS_E_PARSE;
	if (o.total && (r = bytebuf_reserve(scratch, o.total)) < 0)
		return r;

	dst = scratch->p;
	prev = 0;
	for (size_t i = 0; i < n; i++) {
		size_t suf = (size_t)((i + 1 < n ? out[i + 1].p : base + o.sum) - out[i].p);
		size_t pre = out[i].len;
		const uint8_t *s = data + (out[i].p - base);

		if (pre)
			copy_bytes(dst, dst - prev, pre);
		if (suf)
			copy_bytes(dst + pre, s, suf);
		out[i].p = dst ? dst : empty_bytes;
		out[i].len = (uint32_t)(pre + suf);
		prev = pre + suf;
		if (dst)
			dst += prev;
	}
	scratch->len = o.total;
	return 0;
}

/* ---- BYTE_STREAM_SPLIT ---- */

ALWAYS_INLINE void bss_split(uint8_t *dst, const uint8_t *src, size_t n, const size_t width)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < width; k++)
			dst[k * n + i] = src[i * width + k];
}

/* Values [FROM, N) of WIDTH bytes from the streams at SRC. */
ALWAYS_INLINE void bss_join(uint8_t *dst, const uint8_t *src, size_t from, size_t n,
                            const size_t width)
{
	for (size_t i = from; i < n; i++)
		for (size_t k = 0; k < width; k++)
			dst[i * width + k] = src[k * n + i];
}

#ifdef __SSE2__
/*
 * 16 values at a time: interleave the streams' bytes, then byte pairs,
 * then 4-byte halves, as a byte matrix transpose. The tail is scalar.
 */
static void bss_join4(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i a0 = _mm_loadu_si128((const __m128i *)(src + i));
		__m128i a1 = _mm_loadu_si128((const __m128i *)(src + n + i));
		__m128i a2 = _mm_loadu_si128((const __m128i *)(src + 2 * n + i));
		__m128i a3 = _mm_loadu_si128((const __m128i *)(src + 3 * n + i));
		__m128i b0 = _mm_unpacklo_epi8(a0, a1), b1 = _mm_unpackhi_epi8(a0, a1);
		__m128i b2 = _mm_unpacklo_epi8(a2, a3), b3 = _mm_unpackhi_epi8(a2, a3);
		uint8_t *o = dst + i * 4;

		_mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(b0, b2));
		_mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(b0, b2));
		_mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(b1, b3));
		_mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(b1, b3));
	}
	bss_join(dst, src, i, n, 4);
}

static void bss_join8(uint8_t *dst, const uint8_t *src, size_t n)
{
	size_t i;

	for (i = 0; i + 16 <= n; i += 16) {
		__m128i a[8], b[8], c[8];
		uint8_t *o = dst + i * 8;

		for (int k = 0; k < 8; k++)
			a[k] = _mm_loadu_si128((const __m128i *)(src + (size_t)k * n + i));
		for (int k = 0; k < 8; k += 2) {
			b[k] = _mm_unpacklo_epi8(a[k], a[k + 1]);
			b[k + 1] = _mm_unpackhi_epi8(a[k], a[k + 1]);
		}
		/* c[0..3]: bytes 0-3 of values 0-3, 4-7, 8-11, 12-15; c[4..7]: bytes 4-7. */
		for (int k = 0; k < 8; k += 4) {
			c[k] = _mm_unpacklo_epi16(b[k], b[k + 2]);
			c[k + 1] = _mm_unpackhi_epi16(b[k], b[k + 2]);
			c[k + 2] = _mm_unpacklo_epi16(b[k + 1], b[k + 3]);
			c[k + 3] = _mm_unpackhi_epi16(b[k + 1], b[k + 3]);
		}
		for (int k = 0; k < 4; k++) {
			_mm_storeu_si128((__m128i *)(o + 32 * k),
			                 _mm_unpacklo_epi32(c[k], c[k + 4]));
			_mm_storeu_si128((__m128i *)(o + 32 * k + 16),
			                 _mm_unpackhi_epi32(c[k], c[k + 4]));
		}
	}
	bss_join(dst, src, i, n, 8);
}
#else
static void bss_join4(uint8_t *dst, const uint8_t *src, size_t n)
{
	bss_join(dst, src, 0, n, 4);
}

static void bss_join8(uint8_t *dst, const uint8_t *src, size_t n)
{
	bss_join(dst, src, 0, n, 8);
}
#endif

int enc_bss_encode(struct bytebuf *out, const void *v, size_t n, size_t width)
{
	if (width < 1 || width > 16)
		return VITALS_E_INVAL;
	if (n > SIZE_MAX / width)
		return VITALS_E_NOMEM;
	if (n == 0)
		return out->error;
	if (bytebuf_reserve(out, n * width) < 0)
		return out->error;
	switch (width) {
	case 4:
		bss_split(out->p + out->len, v, n, 4);
		break;
	case 8:
		bss_split(out->p + out->len, v, n, 8);
		break;
	default:
		bss_split(out->p + out->len, v, n, width);
		break;
	}
	out->len += n * width;
	return 0;
}

int enc_bss_decode(const uint8_t *buf, size_t len, size_t width, void *out, size_t n)
{
	if (width < 1 || width > 16)
		return VITALS_E_INVAL;
	if (n > SIZE_MAX / width || len != n * width)
		return VITALS_E_PARSE;
	switch (width) {
	case 4:
		bss_join4(out, buf, n);
		break;
	case 8:
		bss_join8(out, buf, n);
		break;
	default:
		bss_join(out, buf, 0, n, width);
		break;
	}
	return 0;
}

/* ---- dictionaries ---- */

static inline uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/*
 * A string hash without calls: whole words, then the last 8 (or 4 + 4)
 * bytes loaded overlapping, so short strings cost one or two loads.
 */
static inline uint64_t hash_bytes(const uint8_t *p, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = len * k;

	if (len >= 8) {
		for (size_t i = 0; i + 8 < len; i += 8)
			h = rotl64((h ^ le64_get(p + i)) * k, 29);
		h ^= le64_get(p + len - 8);
	} else if (len >= 4) {
		h ^= le32_get(p) | (uint64_t)le32_get(p + len - 4) << 32;
	} else if (len > 0) {
		h ^= p[0] | (uint64_t)p[len / 2] << 8 | (uint64_t)p[len - 1] << 16;
	}
	return hash_u64(h);
}

/* Whether A and B (LEN bytes each) are equal, the same way. */
static inline int bytes_equal(const uint8_t *a, const uint8_t *b, size_t len)
{
	if (len >= 8) {
		for (size_t i = 0; i + 8 < len; i += 8)
			if (le64_get(a + i) != le64_get(b + i))
				return 0;
		return le64_get(a + len - 8) == le64_get(b + len - 8);
	}
	if (len >= 4)
		return le32_get(a) == le32_get(b) && le32_get(a + len - 4) == le32_get(b + len - 4);
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

void enc_dict_init(struct enc_dict *d, int strings, size_t max_bytes)
{
	memset(d, 0, sizeof(*d));
	d->strings = strings;
	d->max_bytes = max_bytes;
}

void enc_dict_release(struct enc_dict *d)
{
	free(d->keys);
	free(d->off);
	free(d->data);
	free(d->slots);
	enc_dict_init(d, d->strings, d->max_bytes);
}

void enc_dict_clear(struct enc_dict *d)
{
	d->count = 0;
	d->plain_bytes = 0;
	if (d->off)
		d->off[0] = 0;
	if (d->slots)
		memset(d->slots, 0, d->slot_count * sizeof(*d->slots));
}

/* Room for one more value: key/offset arrays and the slot table. 0 or VITALS_E_NOMEM. */
static int dict_grow(struct enc_dict *d)
{
	if (d->count == d->key_cap) {
		size_t cap = d->key_cap ? d->key_cap * 2 : 64;
		uint64_t *keys, *off;

		keys = realloc(d->keys, cap * sizeof(*keys));
		if (!keys)
			return VITALS_E_NOMEM;
		d->keys = keys;
		if (d->strings) {
			off = realloc(d->off, (cap + 1) * sizeof(*off));
			if (!off)
				return VITALS_E_NOMEM;
			if (!d->off)
				off[0] = 0;
			d->off = off;
		}
		d->key_cap = cap;
	}
	/* Keep the table at most half full. */
	if ((d->count + 1) * 2 > d->slot_count) {
		size_t count = d->slot_count ? d->slot_count * 2 : DICT_SLOTS_MIN, mask = count - 1;
		uint32_t *slots = calloc(count, sizeof(*slots));

		if (!slots)
			return VITALS_E_NOMEM;
		for (size_t i = 0; i < d->count; i++) {
			/* String entries keep their hash in keys[]. */
			size_t pos =
			    (size_t)(d->strings ? d->keys[i] : hash_u64(d->keys[i])) & mask;

			while (slots[pos])
				pos = (pos + 1) & mask;
			slots[pos] = (uint32_t)(i + 1);
		}
		free(d->slots);
		d->slots = slots;
		d->slot_count = count;
	}
	return 0;
}

/* The free slot for a new value whose hash is H (the table has one). */
static size_t dict_free_slot(const struct enc_dict *d, uint64_t h)
{
	size_t mask = d->slot_count - 1, pos = (size_t)h & mask;

	while (d->slots[pos])
		pos = (pos + 1) & mask;
	return pos;
}

int64_t enc_dict_add_key(struct enc_dict *d, uint64_t key, size_t value_size)
{
	uint64_t h = hash_u64(key);
	int r;

	if (d->slot_count) {
		size_t mask = d->slot_count - 1, pos = (size_t)h & mask;
		uint32_t s;

		while ((s = d->slots[pos]) != 0) {
			if (d->keys[s - 1] == key)
				return s - 1;
			pos = (pos + 1) & mask;
		}
	}
	if (value_size > d->max_bytes || d->plain_bytes > d->max_bytes - value_size ||
	    d->count >= DICT_COUNT_MAX)
		return -1;
	if ((r = dict_grow(d)) < 0)
		return r;
	d->slots[dict_free_slot(d, h)] = (uint32_t)(d->count + 1);
	d->keys[d->count] = key;
	d->plain_bytes += value_size;
	return (int64_t)d->count++;
}

int64_t enc_dict_add_bytes(struct enc_dict *d, const uint8_t *p, size_t len)
{
	uint64_t h = hash_bytes(p, len);
	size_t used, need;
	int r;

	if (d->slot_count) {
		size_t mask = d->slot_count - 1, pos = (size_t)h & mask;
		uint32_t s;

		while ((s = d->slots[pos]) != 0) {
			size_t i = s - 1;

			if (d->keys[i] == h && d->off[i + 1] - d->off[i] == len &&
			    (len == 0 || bytes_equal(d->data + d->off[i], p, len)))
				return (int64_t)i;
			pos = (pos + 1) & mask;
		}
	}
	if (len > BYTES_LEN_MAX || 4 + len > d->max_bytes ||
	    d->plain_bytes > d->max_bytes - 4 - len || d->count >= DICT_COUNT_MAX)
		return -1;
	used = d->count ? (size_t)d->off[d->count] : 0;
	need = used + len;
	if (need > d->data_cap) {
		size_t cap = d->data_cap ? d->data_cap : 4096;
		uint8_t *data;

		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		data = realloc(d->data, cap);
		if (!data)
			return VITALS_E_NOMEM;
		d->data = data;
		d->data_cap = cap;
	}
	if ((r = dict_grow(d)) < 0)
		return r;
	d->slots[dict_free_slot(d, h)] = (uint32_t)(d->count + 1);
	d->keys[d->count] = h;
	if (len)
		memcpy(d->data + used, p, len);
	d->off[d->count + 1] = need;
	d->plain_bytes += 4 + len;
	return (int64_t)d->count++;
}
