/*
 * Trace files: Parquet, CSV and JSON lines, read and written as column
 * batches (see table.h). The format follows the file name's extension
 * everywhere (.parquet/.pq, .csv, .jsonl/.ndjson).
 *
 * Both directions stream. A writer holds at most one row group in memory
 * and encodes it when it is full; a reader hands out one batch at a time
 * (one Parquet row group, or batch_rows lines of text), can project
 * columns, and skips Parquet row groups whose time statistics fall outside
 * the asked range, so opening a slice of a large file reads only that slice.
 *
 * Every failure leaves a message that names the file and the problem, e.g.
 * "trace.parquet: footer length 4096 is past the start of the file".
 */
#ifndef VITALS_STORE_H
#define VITALS_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/common.h>
#include <vitals/table.h>

#ifdef __cplusplus
extern "C" {
#endif

enum vitals_format {
	VITALS_FORMAT_UNKNOWN = 0,
	VITALS_FORMAT_PARQUET,
	VITALS_FORMAT_CSV,
	VITALS_FORMAT_JSONL,
};

/* The format of PATH by its extension (case-insensitive), or VITALS_FORMAT_UNKNOWN. */
VITALS_API enum vitals_format vitals_format_from_path(const char *path);
/* "parquet", "csv", "jsonl"; "unknown". */
VITALS_API const char *vitals_format_name(enum vitals_format f);

/*
 * Parse a time as the trace files and the command line write it: RFC 3339
 * ("2026-11-22T10:00:00Z", "2026-11-22 10:00:00.25+01:00"; no zone means
 * UTC) or whole microseconds since the epoch. 0, or VITALS_E_INVAL.
 */
VITALS_API int vitals_time_parse(const char *text, int64_t *us);

/* Parquet compression codecs (values are Parquet's own). */
enum vitals_codec {
	VITALS_CODEC_NONE = 0,
	VITALS_CODEC_SNAPPY = 1,
	VITALS_CODEC_GZIP = 2,
	VITALS_CODEC_ZSTD = 6,
	VITALS_CODEC_LZ4_RAW = 7,
};

/* "none", "snappy", "gzip", "zstd", "lz4_raw" (Parquet's "UNCOMPRESSED" is "none"). */
VITALS_API const char *vitals_codec_name(enum vitals_codec c);
/* The codec named NAME (case-insensitive; "uncompressed" is accepted), or -1. */
VITALS_API int vitals_codec_parse(const char *name);

/* One key/value pair of file metadata. */
struct vitals_kv {
	const char *key;
	const char *value;
};

struct vitals_write_options {
	enum vitals_codec codec; /* Parquet only; default ZSTD */
	int level;               /* codec level, 0 = the codec's default */
	size_t row_group_rows;   /* rows per row group; default 131072 */
	size_t page_bytes;       /* target uncompressed data page size; default 1 MiB */
	int dictionary;          /* try dictionary encoding; default 1 */
	size_t
	    dictionary_bytes; /* largest dictionary before falling back to PLAIN; default 1 MiB */
	const struct vitals_kv
	    *meta; /* Parquet key/value metadata (copied); CSV and JSON lines drop it */
	size_t meta_count;
};

/* The defaults above. */
VITALS_API void vitals_write_options_init(struct vitals_write_options *o);

struct vitals_writer;

/*
 * Create PATH (truncating it) in the format of its extension, for rows of
 * SCHEMA. On failure *out is NULL and ERR (of ERRLEN bytes) says why.
 */
VITALS_API int vitals_writer_open(struct vitals_writer **out, const char *path,
                                  const struct vitals_schema *schema,
                                  const struct vitals_write_options *o, char *err, size_t errlen);
/*
 * The same on an open descriptor FD (the writer does not close it), in
 * format F; NAME is used in messages. The recorder writes a temporary
 * file this way before renaming it into place.
 */
VITALS_API int vitals_writer_open_fd(struct vitals_writer **out, int fd, enum vitals_format f,
                                     const char *name, const struct vitals_schema *schema,
                                     const struct vitals_write_options *o, char *err,
                                     size_t errlen);
/*
 * Begin W's file with rows already encoded in the file open on FD, of the
 * same format and columns, without decoding them: for Parquet, the first
 * ROW_GROUPS row groups of a file vitals wrote (their bytes are copied,
 * in the kernel where it can, and their metadata joins the new footer);
 * for CSV and JSON lines, every line of the file. Only before any row is
 * written. The recorder rewrites a growing trace this way at a cost that
 * does not grow with it.
 */
VITALS_API int vitals_writer_adopt(struct vitals_writer *w, int fd, uint32_t row_groups);
/*
 * Append every row of B, whose schema must equal the writer's. Full row
 * groups are encoded and written as they fill.
 */
VITALS_API int vitals_writer_write(struct vitals_writer *w, const struct vitals_batch *b);
/*
 * Write what is pending and the footer, then free W. 0 or a status, with
 * the message in ERR. W is freed in every case.
 */
VITALS_API int vitals_writer_close(struct vitals_writer *w, char *err, size_t errlen);
/* Free W without finishing the file (which is then not valid). */
VITALS_API void vitals_writer_abort(struct vitals_writer *w);
/* The message of the last failure of W. */
VITALS_API const char *vitals_writer_errmsg(const struct vitals_writer *w);
/* Bytes written to the file so far. */
VITALS_API uint64_t vitals_writer_bytes(const struct vitals_writer *w);

/* How a row filter compares a value with its strings. */
enum vitals_match {
	VITALS_MATCH_EQUAL = 0, /* the value is one of the strings */
	VITALS_MATCH_PREFIX,    /* the value starts with one of the strings */
};

/*
 * A row filter: keep only the rows whose STRING column COLUMN holds one of
 * VALUES (VALUE_COUNT NUL-terminated strings; none: no row is kept), or,
 * with VITALS_MATCH_PREFIX, a value that starts with one of them. A null
 * never matches. The column need not be among the projected ones.
 *
 * Readers apply it as early as the format allows, so that asking for few
 * rows costs little: Parquet skips row groups whose statistics of the
 * column exclude every value, compares a dictionary's entries once instead
 * of each row's string, does not decode the other columns of a row group
 * where no row matches, and copies the strings of matching rows only. CSV
 * and JSON lines filter each batch after parsing it. The result is the
 * same in every format: the rows of an unfiltered read that match.
 */
struct vitals_row_filter {
	const char *column;
	const char *const *values;
	size_t value_count;
	enum vitals_match match;
};

/* Row filters one read may AND together. */
#define VITALS_FILTERS_MAX 8

struct vitals_read_options {
	/* Projection: read only these columns, in this order. NULL: every column. */
	const char *const *columns;
	size_t column_count;
	/*
	 * Time range: only rows whose time column is in [from, to] (UTC
	 * microseconds; INT64_MIN/INT64_MAX for no bound). Parquet row groups
	 * whose statistics lie outside are not read at all, and other columns
	 * are decoded for the rows inside only where needed.
	 */
	int64_t from;
	int64_t to;
	/*
	 * The time column: NULL picks "time" when the file has it, else the
	 * first TIMESTAMP column. Only used when from/to bound something.
	 */
	const char *time_column;
	/*
	 * Row filters, all of which a row must pass (see struct
	 * vitals_row_filter; the strings are copied at open). At most
	 * VITALS_FILTERS_MAX; a column that is missing or not a STRING is
	 * VITALS_E_INVAL. Together with a time range, a row must be in both.
	 */
	const struct vitals_row_filter *filters;
	size_t filter_count;
	/* CSV and JSON lines: rows per batch; default 65536. */
	size_t batch_rows;
	/*
	 * CSV and JSON lines: the types of these columns instead of inferring
	 * them (fields are matched by name; others are still inferred).
	 */
	const struct vitals_schema *types;
	/*
	 * Nonzero: PATH's last component must not be a symbolic link (it is
	 * opened with O_NOFOLLOW; a link is VITALS_E_PERM). For a server that
	 * listed a directory's regular files and opens them later by name:
	 * a link put in between is not followed out of the directory.
	 */
	int no_follow;
};

/* Every column, no time bounds, no row filter, default batch size, inferred types. */
VITALS_API void vitals_read_options_init(struct vitals_read_options *o);

struct vitals_reader;

/*
 * Open PATH in the format of its extension. The schema, row count and
 * metadata are known at once; no row is read until vitals_reader_next().
 * CSV and JSON lines infer types from the first rows (see docs/formats.md).
 */
VITALS_API int vitals_reader_open(struct vitals_reader **out, const char *path,
                                  const struct vitals_read_options *o, char *err, size_t errlen);
/* The schema of the batches it returns (after projection). */
VITALS_API const struct vitals_schema *vitals_reader_schema(const struct vitals_reader *r);
VITALS_API enum vitals_format vitals_reader_format(const struct vitals_reader *r);
/* Rows in the whole file before any time filter; -1 when unknown without reading it (text). */
VITALS_API int64_t vitals_reader_row_count(const struct vitals_reader *r);
/* Key/value metadata of the file: the value of KEY, or NULL. */
VITALS_API const char *vitals_reader_meta(const struct vitals_reader *r, const char *key);
VITALS_API size_t vitals_reader_meta_count(const struct vitals_reader *r);
VITALS_API const struct vitals_kv *vitals_reader_meta_at(const struct vitals_reader *r, size_t i);
/*
 * The next batch of rows: 1 with *out set (owned by the reader, valid
 * until the next call; it may have 0 rows), 0 at the end, or a status.
 */
VITALS_API int vitals_reader_next(struct vitals_reader *r, const struct vitals_batch **out);
/* The message of the last failure of R. */
VITALS_API const char *vitals_reader_errmsg(const struct vitals_reader *r);
VITALS_API void vitals_reader_close(struct vitals_reader *r);

/*
 * What `vitals inspect` shows: the layout of a file, read from its footer
 * (Parquet) or, for text formats, by reading it through once.
 */
struct vitals_chunk_info {
	const char *encodings; /* "PLAIN,RLE,RLE_DICTIONARY" */
	const char *codec;     /* vitals_codec_name(); "none" for text */
	int64_t compressed;    /* bytes on disk, -1 unknown */
	int64_t uncompressed;  /* bytes before compression, -1 unknown */
	int64_t values;        /* values including nulls */
	int64_t null_count;    /* -1 when the file has no statistic */
	const char *min;       /* statistics as text, NULL when absent */
	const char *max;
	int has_int_stats; /* min_i/max_i hold the INT/TIMESTAMP statistics exactly */
	int64_t min_i, max_i;
};

struct vitals_row_group_info {
	int64_t rows;
	int64_t compressed;                /* bytes, -1 unknown */
	int64_t uncompressed;              /* bytes, -1 unknown */
	struct vitals_chunk_info *columns; /* one per field of the file's schema */
};

/* Physical details of a field that the logical type does not tell. */
struct vitals_field_info {
	const char *physical; /* Parquet physical type, "INT64", "BYTE_ARRAY"...; NULL for text */
	const char *logical;  /* "TIMESTAMP(MICROS,UTC)", "STRING"; NULL when none */
};

struct vitals_file_info {
	enum vitals_format format;
	uint64_t file_bytes;
	int64_t rows;
	const struct vitals_schema *schema;     /* the whole file's */
	const struct vitals_field_info *fields; /* schema->count entries */
	size_t row_group_count;
	const struct vitals_row_group_info *row_groups;
	const char *created_by; /* NULL when absent */
	int format_version;     /* Parquet footer version; 0 for text */
	const struct vitals_kv *meta;
	size_t meta_count;
};

/*
 * Describe PATH into *out. Valid until vitals_file_info_free(). On failure
 * *out is NULL and ERR says why.
 */
VITALS_API int vitals_file_describe(struct vitals_file_info **out, const char *path, char *err,
                                    size_t errlen);
/*
 * The same with the options of a read that matter to it (no_follow; the
 * others are ignored). O may be NULL.
 */
VITALS_API int vitals_file_describe_opts(struct vitals_file_info **out, const char *path,
                                         const struct vitals_read_options *o, char *err,
                                         size_t errlen);
VITALS_API void vitals_file_info_free(struct vitals_file_info *info);

#ifdef __cplusplus
}
#endif

#endif
