/*
 * What the format implementations (parquet_read.c, parquet_write.c,
 * csv.c, jsonl.c) share with store.c, which dispatches on the format and
 * does what is common: projection names, the time filter, messages.
 */
#ifndef VITALS_STORE_INTERNAL_H
#define VITALS_STORE_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <vitals/store.h>
#include <vitals/table.h>

#define STORE_ERR_MAX 512

/* A row filter of vitals_read_options, its strings copied. */
struct store_filter {
	char *column;
	enum vitals_match match;
	size_t count;
	char **values;
	size_t *lens;
};

/* Whether the N bytes at S pass F (a value, not a null). */
int store_filter_match(const struct store_filter *f, const char *s, size_t n);

/*
 * What store.c asks a format reader to produce, resolved from the
 * caller's vitals_read_options.
 */
struct store_read_plan {
	/*
	 * Columns to return, in this order; NULL means every column of the
	 * file. Store.c has checked nothing: a name the file lacks is the
	 * format reader's error to report ("no column 'x' in trace.parquet").
	 */
	const char *const *columns;
	size_t column_count;
	/*
	 * Row group pruning (Parquet): when time_column is not NULL, skip row
	 * groups whose min/max statistics of that column lie wholly outside
	 * [from, to]. Unless the reader's ops filter themselves (exact), rows
	 * are filtered by store.c afterwards, so pruning may be conservative
	 * (no statistics: read the group).
	 */
	const char *time_column;
	int64_t from, to;
	/*
	 * Row filters, for readers whose ops are exact (store.c applies them
	 * for the others, over columns it adds to the projection).
	 */
	const struct store_filter *filters;
	size_t filter_count;
	size_t batch_rows;                 /* text formats: rows per batch */
	const struct vitals_schema *types; /* text formats: given types by name, or NULL */
	int no_follow; /* open with O_NOFOLLOW: a symbolic link is not followed */
};

struct vitals_reader {
	enum vitals_format format;
	const struct store_reader_ops *ops;
	void *impl;
	char *name; /* the path, for messages */
	int fd;
	char err[STORE_ERR_MAX];
	/* Set by ops->open: */
	struct vitals_schema schema; /* of the batches ops->next returns */
	struct vitals_kv *meta;      /* key/value metadata; keys and values owned (malloc) */
	size_t meta_count;
	int64_t rows; /* -1 when unknown */
	/* Owned by store.c: the time and row filters applied over ops->next. */
	int filter;
	int time_filter; /* rows are bounded by [from, to] of the column at time_col */
	size_t time_col; /* index of the time column in schema */
	size_t drop;     /* columns added at the end for the filters, not returned */
	int64_t from, to;
	struct store_filter *filters; /* owned; applied by store.c only when filter_cols */
	size_t filter_count;
	size_t *filter_cols;             /* index in schema of each filter's column */
	struct vitals_schema out_schema; /* schema minus the added time column */
	struct vitals_batch *out;
	uint8_t *select;
	size_t select_cap;
};

struct store_reader_ops {
	/* Read the header or footer of r->fd; set schema, meta, rows, impl. */
	int (*open)(struct vitals_reader *r, const struct store_read_plan *plan);
	/*
	 * The next batch, with r->schema's columns: 1 with *out set (owned by
	 * the implementation, valid until the next call), 0 at the end, or a
	 * status with r->err set.
	 */
	int (*next)(struct vitals_reader *r, const struct vitals_batch **out);
	/* Free impl (not fd, not the fields above). */
	void (*close)(struct vitals_reader *r);
	/*
	 * The reader applies the plan's time range and row filters itself,
	 * exactly, and returns the asked columns only: store.c adds nothing.
	 */
	int exact;
};

extern const struct store_reader_ops store_parquet_reader;
extern const struct store_reader_ops store_csv_reader;
extern const struct store_reader_ops store_jsonl_reader;

struct vitals_writer {
	enum vitals_format format;
	const struct store_writer_ops *ops;
	void *impl;
	char *name;
	int fd;
	int own_fd;
	char err[STORE_ERR_MAX];
	struct vitals_schema schema;
	struct vitals_write_options opts; /* meta deep-copied */
	uint64_t bytes;                   /* written through store_write() */
	int failed;                       /* a write failed: the file is not valid */
	int wrote;                        /* rows were written or adopted */
};

struct store_writer_ops {
	/* Prepare impl and write any header (Parquet's "PAR1", CSV's header line). */
	int (*open)(struct vitals_writer *w);
	/* Take every row of B (the writer's schema, checked by store.c). */
	int (*write)(struct vitals_writer *w, const struct vitals_batch *b);
	/* Write what is pending and any footer. */
	int (*finish)(struct vitals_writer *w);
	/*
	 * Start the file with the first ROW_GROUPS row groups of the Parquet
	 * file on FD (vitals_writer_adopt()), or, IN_PLACE, go past them where
	 * the writer's own file holds them already. NULL for formats without
	 * row groups: store.c then takes the whole file after its header.
	 */
	int (*adopt)(struct vitals_writer *w, int fd, uint32_t row_groups, int in_place);
	/* Text formats: write out what is buffered (the header, before an adopt). */
	int (*flush)(struct vitals_writer *w);
	/* Free impl. */
	void (*free)(struct vitals_writer *w);
};

extern const struct store_writer_ops store_parquet_writer;
extern const struct store_writer_ops store_csv_writer;
extern const struct store_writer_ops store_jsonl_writer;

/*
 * Write all N bytes of BUF to w->fd at its current offset (retrying on
 * EINTR and short writes), counting them in w->bytes. On failure set
 * w->err ("trace.parquet: write: No space left on device"), w->failed,
 * and return VITALS_E_IO.
 */
int store_write(struct vitals_writer *w, const void *buf, size_t n);
/*
 * Copy LEN bytes at offset OFF of FD to the end of W's file (in the kernel
 * when it can), counting them as written. 0 or a failure of W.
 */
int store_copy_range(struct vitals_writer *w, int fd, uint64_t off, uint64_t len);

/*
 * Read exactly N bytes at offset OFF of r->fd into BUF. VITALS_E_IO with
 * r->err set on a failed read; VITALS_E_PARSE ("truncated") when the file
 * ends first.
 */
int store_pread(struct vitals_reader *r, void *buf, size_t n, uint64_t off);

/* Set ERR to "NAME: " + the formatted message; return STATUS. */
int store_fail(char *err, size_t errlen, int status, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int store_failv(char *err, size_t errlen, int status, const char *name, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/* The same on r->err / w->err with r->name / w->name. */
int store_reader_fail(struct vitals_reader *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int store_writer_fail(struct vitals_writer *w, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Append the metadata pair KEY=VALUE (copied) to r->meta. VALUE may be NULL.
 */
int store_reader_add_meta(struct vitals_reader *r, const char *key, const char *value);

/*
 * Append rows [FIRST, FIRST+COUNT) of SRC (those with a nonzero SELECT
 * byte when SELECT is not NULL) to DST, which holds DST_ROWS rows. The
 * caller sets the batch's row count. Types must match; a nullable SRC
 * needs a nullable DST.
 */
int batch_column_append(struct vitals_column *dst, size_t dst_rows, const struct vitals_column *src,
                        size_t first, size_t count, const uint8_t *select);

/*
 * Append N rows to B whose every cell is null (zero underneath; strings
 * empty), for a builder that then sets cells in place, row by row within
 * each string column. B must have no row in progress.
 */
int batch_add_null_rows(struct vitals_batch *b, size_t n);
/* Cut B back to its first ROWS rows. */
void batch_truncate(struct vitals_batch *b, size_t rows);

/* Parquet's part of vitals_file_describe(): R is a Parquet reader just opened on the file. */
int store_parquet_describe(struct vitals_reader *r, struct vitals_file_info **out);
/* Free what store_parquet_describe() allocated. */
void store_parquet_file_info_free(struct vitals_file_info *info);

/*
 * Text formats: text of one value for CSV, JSON and `inspect`. Doubles use
 * the fewest digits that read back exactly ("0.1", "1e+300", "nan",
 * "inf", "-inf"); timestamps are RFC 3339 UTC with microseconds when
 * nonzero ("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.123456Z").
 * BUF must hold STORE_VALUE_TEXT_MAX bytes. Returns the length.
 */
#define STORE_VALUE_TEXT_MAX 40
size_t store_format_double(char *buf, double v);
size_t store_format_timestamp(char *buf, int64_t us);
/*
 * Parse a timestamp: RFC 3339 / ISO 8601 ("2026-11-22T10:00:00Z",
 * "2026-11-22 10:00:00.5", "+01:00" offsets; no zone means UTC), or a
 * plain integer of microseconds. 0, or -1 when TEXT is not one.
 */
int store_parse_timestamp(const char *text, size_t len, int64_t *us);

#endif
