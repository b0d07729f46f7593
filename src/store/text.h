/*
 * What the CSV and JSON lines readers and writers share (text.c): a chunked
 * input buffer with a cap on one record, an output buffer flushed through
 * store_write(), value parsers that do not depend on the locale, and
 * direct appends into batch columns.
 */
#ifndef VITALS_STORE_TEXT_H
#define VITALS_STORE_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <vitals/table.h>

#include "store/internal.h"

#define TEXT_CHUNK      ((size_t)1 << 20)  /* bytes asked of each read() */
#define TEXT_RECORD_MAX ((size_t)16 << 20) /* bytes in one CSV record or JSON line */
#define TEXT_INFER_ROWS 1000               /* records the types are inferred from */
#define TEXT_INFER_BYTES                                                                           \
	((size_t)16 << 20)                  /* text kept for inference, at most (past one record)  \
	                                     */
#define TEXT_OUT_BYTES   ((size_t)64 << 10) /* writers' output buffer */
#define TEXT_BATCH_ROWS  65536              /* rows per batch when the plan says 0 */
#define TEXT_PREVIEW_MAX 48                 /* bytes of a bad value quoted in a message */

/*
 * Streaming input: bytes [pos, end) of buf are read and not yet consumed.
 * buf[end] is always writable (room for a NUL sentinel).
 */
struct text_in {
	struct vitals_reader *r;
	char *buf;
	size_t size; /* bytes allocated, less the sentinel byte */
	size_t pos;
	size_t end;
	uint64_t off; /* file offset of the next read */
	int eof;
	int stream; /* the descriptor cannot pread (a pipe): use read() */
};

int text_in_init(struct text_in *in, struct vitals_reader *r);
void text_in_release(struct text_in *in);
/*
 * Read more bytes after end, first moving [pos, end) to the front and
 * growing the buffer when it is full. A record that is not complete in
 * TEXT_RECORD_MAX bytes is an error naming LINE. Returns 1 when bytes were
 * added, 0 at the end of the file (in->eof set), or a status with r->err set.
 */
int text_in_more(struct text_in *in, uint64_t line);
/* Skip a UTF-8 byte order mark at the start of the file. */
int text_in_skip_bom(struct text_in *in);

/* Output buffer of a writer; every write goes through store_write(). */
struct text_out {
	struct vitals_writer *w;
	char *buf;
	size_t len;
	size_t cap;
};

int text_out_init(struct text_out *o, struct vitals_writer *w);
void text_out_release(struct text_out *o);
int text_out_flush(struct text_out *o);
/* Room for N (at most o->cap) more bytes, flushing first when needed. */
static inline int text_out_room(struct text_out *o, size_t n)
{
	if (o->cap - o->len >= n)
		return 0;
	return text_out_flush(o);
}
int text_out_put(struct text_out *o, const void *p, size_t n);

/* Decimal text of V into BUF (at least 21 bytes); returns the length. */
size_t text_format_i64(char *buf, int64_t v);
/*
 * The text of a double for a file that is read back: store_format_double()
 * with ".0" added to integral values, so they read back as doubles.
 */
size_t text_format_double(char *buf, double v);

/*
 * Value parsers. Text is exactly [S, S+N): no blanks, no sign of a NUL
 * terminator needed. 0, or -1 when the text is not one.
 */
/* true/false in any case. */
int text_parse_bool(const char *s, size_t n, int *v);
/* Decimal integer with an optional sign; -2 when out of int64's range. */
int text_parse_i64(const char *s, size_t n, int64_t *v);
/*
 * Decimal with optional fraction and exponent, or nan, inf, infinity with
 * an optional sign (any case). Rounded exactly as strtod in the C locale.
 */
int text_parse_double(const char *s, size_t n, double *v);
/* A timestamp that contains a date (not a plain integer): store_parse_timestamp(). */
int text_parse_dated_timestamp(const char *s, size_t n, int64_t *us);

/* Strip ASCII blanks (space, tab) at both ends of [*s, *s + *n). */
static inline void text_trim(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n;

	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	*s = p;
	*n = len;
}

/*
 * A printable preview of a value for messages: at most TEXT_PREVIEW_MAX
 * bytes, control bytes as '?', "..." when cut. BUF holds
 * TEXT_PREVIEW_MAX + 8 bytes.
 */
#define TEXT_PREVIEW_BUF (TEXT_PREVIEW_MAX + 8)
const char *text_preview(char *buf, const char *s, size_t n);

/* The article and name of a type for "is not an int64" messages. */
const char *text_type_phrase(enum vitals_type t);

/*
 * Direct column appends. text_batch_grow() makes room for one more row in
 * every column of B (doubling, at most LIMIT rows); the put functions then
 * write row ROW of one column.
 */
int text_batch_grow(struct vitals_batch *b, size_t *cap, size_t rows, size_t limit);
/* The string data of C grows to hold N more bytes. */
int text_col_data_room(struct vitals_column *c, size_t n);

static inline void text_put_null(struct vitals_column *c, size_t row)
{
	c->valid[row] = 0;
	switch (c->type) {
	case VITALS_TYPE_BOOL:
		c->v.b[row] = 0;
		break;
	case VITALS_TYPE_INT32:
		c->v.i32[row] = 0;
		break;
	case VITALS_TYPE_STRING:
		c->v.off[row + 1] = c->data_len;
		break;
	default: /* INT64, TIMESTAMP, DOUBLE: the same 8 bytes */
		c->v.i64[row] = 0;
		break;
	}
}

static inline void text_put_valid(struct vitals_column *c, size_t row)
{
	if (c->valid)
		c->valid[row] = 1;
}

static inline int text_put_string(struct vitals_column *c, size_t row, const char *s, size_t n)
{
	if (c->data_cap - c->data_len < n && text_col_data_room(c, n) < 0)
		return VITALS_E_NOMEM;
	if (n)
		memcpy(c->data + c->data_len, s, n);
	c->data_len += n;
	c->v.off[row + 1] = c->data_len;
	text_put_valid(c, row);
	return 0;
}

#endif
