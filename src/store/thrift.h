/*
 * Thrift's compact protocol, as Parquet uses it for its footer and page
 * headers: a reader over a bounded byte range and a writer appending to a
 * byte buffer. Structures are walked field by field by the caller
 * (pqmeta.c); the reader only guarantees that no read goes past the
 * range, that every number fits its type, and that nesting stays under
 * THRIFT_DEPTH_MAX however hostile the bytes are.
 */
#ifndef VITALS_STORE_THRIFT_H
#define VITALS_STORE_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "util/bytebuf.h"

/* Compact protocol type ids. Both boolean ids read as THRIFT_BOOL. */
enum thrift_type {
	THRIFT_STOP = 0,
	THRIFT_BOOL = 1, /* also the wire id of "true" */
	THRIFT_BOOL_FALSE = 2,
	THRIFT_BYTE = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12,
};

/* Structures, lists and maps nested deeper than this are refused. */
#define THRIFT_DEPTH_MAX 64

struct thrift_reader {
	const uint8_t *p;   /* next byte */
	const uint8_t *end; /* one past the last byte */
	const char *err;    /* why the last failed call failed (static text) */
	int truncated;      /* ... and it was for want of bytes: more of them might succeed */
	int depth;          /* structures entered */
	int bool_pending;   /* the last field header was a bool: its value is bool_value */
	int bool_value;
	int16_t last_id[THRIFT_DEPTH_MAX + 1]; /* last field id per open structure */
};

/* Read the LEN bytes at BUF. */
void thrift_reader_init(struct thrift_reader *r, const void *buf, size_t len);

static inline size_t thrift_reader_left(const struct thrift_reader *r)
{
	return (size_t)(r->end - r->p);
}

/*
 * Every function below returns 0, or -1 with r->err set; after a failure
 * the reader's position is unspecified and it should be abandoned.
 * "truncated" in r->err means the range ended inside a value.
 */

/* Enter a structure (depth checked) and leave it after its STOP was read. */
int thrift_struct_begin(struct thrift_reader *r);
void thrift_struct_end(struct thrift_reader *r);

/*
 * The next field header of the open structure: *type is a thrift_type
 * (THRIFT_STOP at the end of the structure, THRIFT_BOOL for either
 * boolean) and *id its field id. A boolean field's value is then read by
 * thrift_read_bool() or dropped by thrift_skip().
 */
int thrift_read_field(struct thrift_reader *r, int *type, int16_t *id);

int thrift_read_bool(struct thrift_reader *r, int *v);
int thrift_read_byte(struct thrift_reader *r, int8_t *v);
int thrift_read_i16(struct thrift_reader *r, int16_t *v);
int thrift_read_i32(struct thrift_reader *r, int32_t *v);
int thrift_read_i64(struct thrift_reader *r, int64_t *v);
int thrift_read_double(struct thrift_reader *r, double *v);
/* A binary or string: *data points into the reader's range, LEN bytes. */
int thrift_read_binary(struct thrift_reader *r, const uint8_t **data, uint32_t *len);

/*
 * A list or set header: element type and count. The count is refused
 * when COUNT * MIN_ELEM_BYTES exceeds the bytes left (every element takes
 * at least one byte on the wire; callers that know a larger minimum for
 * their element pass it, which bounds what they allocate).
 */
int thrift_read_list(struct thrift_reader *r, int *elem_type, uint32_t *count,
                     size_t min_elem_bytes);
/* A map header: key and value types and count (0 has no type byte). */
int thrift_read_map(struct thrift_reader *r, int *key_type, int *value_type, uint32_t *count);

/* Skip one value of TYPE, whatever it holds, within the depth limit. */
int thrift_skip(struct thrift_reader *r, int type);

struct thrift_writer {
	struct bytebuf *out;
	int depth;
	int error;                             /* VITALS_E_INVAL when nesting overflowed */
	int16_t last_id[THRIFT_DEPTH_MAX + 1]; /* last field id per open structure */
};

/*
 * Append to OUT. Writing calls return nothing: a failed growth is kept in
 * OUT's sticky error and thrift_writer_status() reports it at the end.
 */
void thrift_writer_init(struct thrift_writer *w, struct bytebuf *out);
/* 0, or VITALS_E_NOMEM / VITALS_E_INVAL after any failed call. */
int thrift_writer_status(const struct thrift_writer *w);

/* Open a structure (a struct field's header must already be written, or none for the top). */
void thrift_write_struct_begin(struct thrift_writer *w);
/* Write the STOP of the open structure and close it. */
void thrift_write_struct_end(struct thrift_writer *w);
/* A field header; ids must increase for the short form, but any order is valid. */
void thrift_write_field(struct thrift_writer *w, int type, int16_t id);

void thrift_write_byte(struct thrift_writer *w, int8_t v);
void thrift_write_i16(struct thrift_writer *w, int16_t v);
void thrift_write_i32(struct thrift_writer *w, int32_t v);
void thrift_write_i64(struct thrift_writer *w, int64_t v);
void thrift_write_double(struct thrift_writer *w, double v);
void thrift_write_binary(struct thrift_writer *w, const void *data, uint32_t len);
/* A bool as a list element (a bool field is thrift_write_bool_field()). */
void thrift_write_bool(struct thrift_writer *w, int v);
/* A list header of COUNT elements of ELEM_TYPE. */
void thrift_write_list(struct thrift_writer *w, int elem_type, uint32_t count);

/* A field header and its value in one call. */
void thrift_write_bool_field(struct thrift_writer *w, int16_t id, int v);
void thrift_write_byte_field(struct thrift_writer *w, int16_t id, int8_t v);
void thrift_write_i16_field(struct thrift_writer *w, int16_t id, int16_t v);
void thrift_write_i32_field(struct thrift_writer *w, int16_t id, int32_t v);
void thrift_write_i64_field(struct thrift_writer *w, int16_t id, int64_t v);
void thrift_write_binary_field(struct thrift_writer *w, int16_t id, const void *data, uint32_t len);
/* A NUL-terminated string field (longer than UINT32_MAX is cut: never in practice). */
void thrift_write_string_field(struct thrift_writer *w, int16_t id, const char *s);

#endif
