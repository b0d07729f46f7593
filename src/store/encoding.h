/*
 * Parquet's value and level encodings, as pure functions over byte
 * buffers: no files, no Thrift. Encoders append to a bytebuf; decoders
 * read a bounded input and produce exactly the number of values asked,
 * or fail with VITALS_E_PARSE when the input runs out or is malformed
 * (a bit width above 64, a run longer than what is asked is fine and
 * cut). No decoder reads past its input or writes past its output,
 * whatever the bytes say, and none allocates more than its output.
 *
 * Values are little-endian on disk and the host is assumed to be too
 * (x86-64, arm64): fixed-width PLAIN data is copied as it is.
 */
#ifndef VITALS_STORE_ENCODING_H
#define VITALS_STORE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#include "util/bytebuf.h"

/* One BYTE_ARRAY value: a view into a page or a scratch buffer. */
struct pq_bytes {
	const uint8_t *p;
	uint32_t len;
};

/* Bits needed to store MAX (0 for 0). */
int enc_bit_width(uint64_t max);

/* ---- RLE / bit-packed hybrid (levels, dictionary indices, RLE booleans) ---- */

/*
 * Append V[0..N) (each < 2^BIT_WIDTH, BIT_WIDTH 0..32) in the hybrid
 * encoding, without the 4-byte length prefix that v1 levels carry. Runs of
 * 8 or more equal values become RLE runs, the rest bit-packed groups.
 */
int enc_rle_encode(struct bytebuf *out, const uint32_t *v, size_t n, int bit_width);
/* The same for byte values (definition levels, booleans), BIT_WIDTH 0..8. */
int enc_rle_encode_u8(struct bytebuf *out, const uint8_t *v, size_t n, int bit_width);

/*
 * Decode N values of BIT_WIDTH (0..32) bits from BUF (LEN bytes, no
 * length prefix) into OUT. A BIT_WIDTH of 0 yields zeros without reading.
 */
int enc_rle_decode(const uint8_t *buf, size_t len, int bit_width, uint32_t *out, size_t n);
/* The same into bytes, BIT_WIDTH 0..8. */
int enc_rle_decode_u8(const uint8_t *buf, size_t len, int bit_width, uint8_t *out, size_t n);

/*
 * Only some of the N values: OUT[t] gets value POS[t], for POS[0..M)
 * ascending and each below N. Runs are skipped by their lengths and only
 * the asked values are unpacked, so picking a few rows of a page costs
 * about its run headers. Every run header up to N values is still read
 * and checked, so the input fails exactly where enc_rle_decode() fails;
 * positions out of order or past N give VITALS_E_INVAL.
 */
int enc_rle_decode_at(const uint8_t *buf, size_t len, int bit_width, size_t n, const uint32_t *pos,
                      size_t m, uint32_t *out);

/*
 * Definition levels of bit width 1 (present or null), at some positions:
 * for POS[0..M) ascending and below N, LEVEL[t] gets level POS[t] and
 * BEFORE[t] the number of ones among the levels before it, so that a
 * present value's index among the page's values is known without
 * decoding every level. *ONES gets the ones among all N. Fails as
 * enc_rle_decode_u8() does, and as enc_rle_decode_at() on bad positions.
 */
int enc_rle_levels_at(const uint8_t *buf, size_t len, size_t n, const uint32_t *pos, size_t m,
                      uint8_t *level, uint32_t *before, size_t *ones);

/*
 * The encoding's runs one by one, for callers that can treat a repeated
 * value once for its whole run. enc_rle_runs_init() starts reading N
 * values of BIT_WIDTH (0..32) bits from BUF; enc_rle_runs_next() gives
 * the next run, cut to the values left of N: 1, then 0 once N values
 * were given, or VITALS_E_PARSE where enc_rle_decode() would fail. A run
 * may be empty.
 */
struct enc_rle_runs {
	const uint8_t *p, *end;
	unsigned w;
	size_t left; /* values of the N not given yet */
};

struct enc_rle_run {
	size_t count;          /* values in the run */
	uint32_t value;        /* a repeated run's value */
	const uint8_t *packed; /* a bit-packed run's first group; NULL for a repeated run */
	size_t avail;          /* bytes readable at packed (the run's, then the input's rest) */
	unsigned w;            /* bit width */
};

int enc_rle_runs_init(struct enc_rle_runs *it, const uint8_t *buf, size_t len, int bit_width,
                      size_t n);
int enc_rle_runs_next(struct enc_rle_runs *it, struct enc_rle_run *run);
/* Values [FROM, FROM + K) of a bit-packed RUN into OUT; FROM is a multiple of 8. */
void enc_rle_run_unpack(const struct enc_rle_run *run, size_t from, uint32_t *out, size_t k);

/* ---- PLAIN ---- */

/* Booleans bit-packed LSB first, as PLAIN stores them. */
int enc_plain_encode_bool(struct bytebuf *out, const uint8_t *v, size_t n);
int enc_plain_decode_bool(const uint8_t *buf, size_t len, uint8_t *out, size_t n);
/* BYTE_ARRAY: a 4-byte little-endian length, then the bytes. */
int enc_plain_encode_bytes(struct bytebuf *out, const uint8_t *data, size_t len);
/*
 * N BYTE_ARRAY values from BUF into OUT (views into BUF); *used is set to
 * the bytes they took.
 */
int enc_plain_decode_bytes(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n,
                           size_t *used);

/* ---- DELTA_BINARY_PACKED (blocks of 128, 4 miniblocks) ---- */

int enc_delta_encode_i64(struct bytebuf *out, const int64_t *v, size_t n);
int enc_delta_encode_i32(struct bytebuf *out, const int32_t *v, size_t n);
/*
 * Decode N values (the header's total count must be at least N; values
 * past N are ignored). *used, when not NULL, is set to the bytes consumed
 * by the whole encoded run, as DELTA_BYTE_ARRAY needs to find what
 * follows. Arithmetic wraps as the spec says.
 */
int enc_delta_decode_i64(const uint8_t *buf, size_t len, int64_t *out, size_t n, size_t *used);
int enc_delta_decode_i32(const uint8_t *buf, size_t len, int32_t *out, size_t n, size_t *used);

/* ---- byte arrays ---- */

/* DELTA_LENGTH_BYTE_ARRAY: lengths delta-packed, then the bytes back to back. */
int enc_delta_length_encode(struct bytebuf *out, const struct pq_bytes *v, size_t n);
int enc_delta_length_decode(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n);
/*
 * DELTA_BYTE_ARRAY: prefix lengths and suffixes. Values are rebuilt into
 * SCRATCH (cleared first; at most the sum of their lengths), and OUT
 * points into it, so SCRATCH must outlive OUT's use.
 */
int enc_delta_byte_array_encode(struct bytebuf *out, const struct pq_bytes *v, size_t n);
int enc_delta_byte_array_decode(const uint8_t *buf, size_t len, struct pq_bytes *out, size_t n,
                                struct bytebuf *scratch);

/* ---- BYTE_STREAM_SPLIT (FLOAT, DOUBLE, INT32, INT64, FIXED_LEN_BYTE_ARRAY) ---- */

/* N values of WIDTH bytes (1..16) each, from WIDTH byte streams. LEN must be N*WIDTH exactly. */
int enc_bss_encode(struct bytebuf *out, const void *v, size_t n, size_t width);
int enc_bss_decode(const uint8_t *buf, size_t len, size_t width, void *out, size_t n);

/* ---- dictionaries for the writer ---- */

/*
 * A hash dictionary of distinct values in first-seen order: 8-byte keys
 * (INT32 widened, INT64, DOUBLE by bit pattern, so -0.0 and 0.0 and every
 * NaN payload stay distinct) or byte strings. It stops accepting values
 * once its PLAIN-encoded size would pass max_bytes, so the writer can fall
 * back to PLAIN.
 */
struct enc_dict {
	int strings;        /* 1: byte strings; 0: 8-byte keys */
	size_t count;       /* distinct values */
	size_t plain_bytes; /* size of the values PLAIN-encoded */
	size_t max_bytes;
	uint64_t *keys; /* 8-byte keys, count of them */
	uint64_t *off;  /* strings: count + 1 offsets into data */
	uint8_t *data;
	size_t data_cap;
	uint32_t *slots;   /* open-addressing table of index + 1, 0 = empty */
	size_t slot_count; /* a power of two */
	size_t key_cap;
};

void enc_dict_init(struct enc_dict *d, int strings, size_t max_bytes);
void enc_dict_release(struct enc_dict *d);
/* Forget every value, keep the memory. */
void enc_dict_clear(struct enc_dict *d);
/*
 * The index of the value, adding it when new: >= 0, or -1 when it would
 * pass max_bytes (the dictionary is then unchanged), or VITALS_E_NOMEM.
 * VALUE_SIZE is the PLAIN size the value adds (4 for INT32, 8 for 64-bit).
 */
int64_t enc_dict_add_key(struct enc_dict *d, uint64_t key, size_t value_size);
int64_t enc_dict_add_bytes(struct enc_dict *d, const uint8_t *p, size_t len);

#endif
