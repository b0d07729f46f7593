/*
 * Column batches: the one in-memory table shape of vitals. The Parquet,
 * CSV and JSON lines writers and readers all speak it, so every format
 * converts through the same path, and the recorder, the analysis and the
 * dashboard never care which format a file is in.
 *
 * A batch is a schema (named, typed, nullable-or-not fields) and one column
 * per field. Columns are plain arrays that callers may read directly; the
 * invariants below hold after every vitals_* call returns:
 *
 *   - every column of a batch holds exactly batch->rows values;
 *   - a nullable column has valid[i] = 1 for a value, 0 for a null; the
 *     value slot of a null row is zero (strings: empty);
 *   - a column that is not nullable has valid == NULL and no nulls;
 *   - a STRING column's row i is data[off[i] .. off[i+1]), so off has
 *     rows + 1 entries and off[0] = 0; strings are bytes, not necessarily
 *     NUL-terminated or valid UTF-8;
 *   - TIMESTAMP values are UTC microseconds since the Unix epoch.
 */
#ifndef VITALS_TABLE_H
#define VITALS_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Logical column types. */
enum vitals_type {
	VITALS_TYPE_BOOL = 1,
	VITALS_TYPE_INT32,
	VITALS_TYPE_INT64,
	VITALS_TYPE_DOUBLE,
	VITALS_TYPE_STRING,
	VITALS_TYPE_TIMESTAMP, /* int64 UTC microseconds */
};

/* "bool", "int32", "int64", "double", "string", "timestamp"; "?" when unknown. */
VITALS_API const char *vitals_type_name(enum vitals_type t);
/* The type named NAME (as above), or 0 when none is. */
VITALS_API enum vitals_type vitals_type_parse(const char *name);

/* Limits every reader enforces on outside files. */
#define VITALS_COLUMNS_MAX    4096              /* fields in one schema */
#define VITALS_NAME_MAX       1024              /* bytes in one field name */
#define VITALS_BATCH_ROWS_MAX ((size_t)1 << 26) /* rows in one batch */

struct vitals_field {
	char *name; /* owned by the schema, NUL-terminated */
	enum vitals_type type;
	int nullable;
};

struct vitals_schema {
	size_t count;
	struct vitals_field *fields;
};

/* An empty schema. */
VITALS_API void vitals_schema_init(struct vitals_schema *s);
/*
 * Append a field. VITALS_E_INVAL for an empty or too long name, a name
 * already present, an unknown type or too many fields; VITALS_E_NOMEM.
 */
VITALS_API int vitals_schema_add(struct vitals_schema *s, const char *name, enum vitals_type type,
                                 int nullable);
/* Index of the field NAME, or -1. */
VITALS_API int vitals_schema_find(const struct vitals_schema *s, const char *name);
/* Make DST (initialized or released) a deep copy of SRC. */
VITALS_API int vitals_schema_copy(struct vitals_schema *dst, const struct vitals_schema *src);
/* Whether A and B have the same names, types and nullability in the same order. */
VITALS_API int vitals_schema_equal(const struct vitals_schema *a, const struct vitals_schema *b);
VITALS_API void vitals_schema_release(struct vitals_schema *s);

struct vitals_column {
	enum vitals_type type;
	int nullable;
	uint8_t *valid; /* rows entries when nullable, else NULL */
	union {
		uint8_t *b;    /* BOOL: 0 or 1 */
		int32_t *i32;  /* INT32 */
		int64_t *i64;  /* INT64, TIMESTAMP */
		double *f64;   /* DOUBLE */
		uint64_t *off; /* STRING: rows + 1 offsets into data */
	} v;
	char *data;      /* STRING bytes */
	size_t data_len; /* STRING bytes used */
	size_t data_cap; /* STRING bytes allocated */
	size_t cap;      /* rows allocated */
};

struct vitals_batch {
	struct vitals_schema schema; /* a copy, owned by the batch */
	struct vitals_column *cols;  /* schema.count columns */
	size_t rows;
};

/* A new, empty batch with a copy of SCHEMA. */
VITALS_API int vitals_batch_new(struct vitals_batch **out, const struct vitals_schema *schema);
VITALS_API void vitals_batch_free(struct vitals_batch *b);
/* Drop every row, keeping the memory for the next ones. */
VITALS_API void vitals_batch_clear(struct vitals_batch *b);
/*
 * Make room for ROWS rows in every column (and STRING_BYTES more string
 * bytes in each string column). VITALS_E_NOMEM past VITALS_BATCH_ROWS_MAX.
 */
VITALS_API int vitals_batch_reserve(struct vitals_batch *b, size_t rows, size_t string_bytes);
/*
 * The same for one column: room for ROWS rows and, for a STRING column,
 * DATA_BYTES bytes of string data in all. Decoders reserve, fill the arrays
 * directly, then set the batch's rows once every column is filled.
 */
VITALS_API int vitals_column_reserve(struct vitals_column *c, size_t rows, size_t data_bytes);

/*
 * Row-wise building: set each column of the next row with the calls below
 * (a column left unset is null, or zero/empty when not nullable), then
 * commit it with vitals_batch_end_row(). Setting a value of the wrong
 * type, or a null into a column that is not nullable, is VITALS_E_INVAL.
 */
VITALS_API int vitals_batch_set_null(struct vitals_batch *b, size_t col);
VITALS_API int vitals_batch_set_bool(struct vitals_batch *b, size_t col, int v);
VITALS_API int vitals_batch_set_i32(struct vitals_batch *b, size_t col, int32_t v);
/* For INT64 and TIMESTAMP columns. */
VITALS_API int vitals_batch_set_i64(struct vitals_batch *b, size_t col, int64_t v);
VITALS_API int vitals_batch_set_double(struct vitals_batch *b, size_t col, double v);
VITALS_API int vitals_batch_set_string(struct vitals_batch *b, size_t col, const char *s,
                                       size_t len);
VITALS_API int vitals_batch_end_row(struct vitals_batch *b);

/*
 * Append rows [FIRST, FIRST+COUNT) of SRC, whose schema must have the same
 * types and nullability column by column (names may differ). When SELECT is
 * not NULL, only rows whose SELECT byte is nonzero are copied.
 */
VITALS_API int vitals_batch_append(struct vitals_batch *dst, const struct vitals_batch *src,
                                   size_t first, size_t count, const uint8_t *select);

/* Whether row ROW of column COL holds a value (not null). */
static inline int vitals_batch_is_valid(const struct vitals_batch *b, size_t col, size_t row)
{
	const struct vitals_column *c = &b->cols[col];
	return !c->valid || c->valid[row];
}

/* Row ROW of STRING column COL: its bytes and length. */
static inline const char *vitals_batch_string(const struct vitals_batch *b, size_t col, size_t row,
                                              size_t *len)
{
	const struct vitals_column *c = &b->cols[col];
	*len = (size_t)(c->v.off[row + 1] - c->v.off[row]);
	return *len ? c->data + c->v.off[row] : "";
}

#ifdef __cplusplus
}
#endif

#endif
