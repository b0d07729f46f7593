/*
 * A growable byte buffer with a hard cap, for encoders: Parquet pages,
 * Thrift structures, compressed output, text lines.
 */
#ifndef VITALS_UTIL_BYTEBUF_H
#define VITALS_UTIL_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The cap when none is given: Parquet page sizes are int32. */
#define BYTEBUF_MAX_DEFAULT ((size_t)INT32_MAX)

struct bytebuf {
	uint8_t *p;
	size_t len; /* bytes used */
	size_t cap; /* bytes allocated */
	size_t max; /* cap never grows past this; 0 means BYTEBUF_MAX_DEFAULT */
	int error;  /* sticky: set by the first failed growth, VITALS_E_NOMEM */
};

/* An empty buffer; BYTEBUF_INIT for static initialization. */
#define BYTEBUF_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0, 0, 0                                                                   \
	}
void bytebuf_init(struct bytebuf *b, size_t max);
void bytebuf_release(struct bytebuf *b);
/* Forget the contents and the error, keep the memory. */
void bytebuf_clear(struct bytebuf *b);
/*
 * Room for EXTRA more bytes past len. 0, or VITALS_E_NOMEM (also kept in
 * b->error) when the cap or malloc refuses.
 */
int bytebuf_reserve(struct bytebuf *b, size_t extra);
/*
 * The same, growing by a quarter instead of doubling: for buffers that
 * grow to megabytes and stay (big blocks are mapped, so realloc moves no
 * bytes).
 */
int bytebuf_reserve_gently(struct bytebuf *b, size_t extra);
/* Append N bytes. 0 or VITALS_E_NOMEM; after a failure every append is a no-op. */
int bytebuf_append(struct bytebuf *b, const void *data, size_t n);
int bytebuf_put_u8(struct bytebuf *b, uint8_t v);
/* Little-endian fixed-width integers, as Parquet stores them. */
int bytebuf_put_le32(struct bytebuf *b, uint32_t v);
int bytebuf_put_le64(struct bytebuf *b, uint64_t v);
/* ULEB128 varint, as Parquet's encodings and Thrift's compact protocol use. */
int bytebuf_put_uleb(struct bytebuf *b, uint64_t v);

/* Read a little-endian integer from P (no alignment needed). */
static inline uint32_t le32_get(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t le64_get(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/*
 * Read a ULEB128 varint of at most 10 bytes from [*p, end) into *v and
 * advance *p. 0, or -1 when it runs past END or is longer than 64 bits.
 */
int uleb_get(const uint8_t **p, const uint8_t *end, uint64_t *v);

#endif
