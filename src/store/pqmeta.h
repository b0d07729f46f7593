/*
 * The Parquet footer and page headers as C structures, decoded from and
 * encoded to Thrift's compact protocol (parquet.thrift of the Apache
 * Parquet format). Only what vitals reads or writes is kept; every other
 * field is skipped on decoding, whatever its type, so files from newer
 * writers still open.
 *
 * Decoding never trusts a count or a length: lists are bounded by the
 * bytes left, nesting by a depth limit, and every failure is a message
 * naming the structure and field ("row group 3 column 2: negative
 * total_compressed_size").
 */
#ifndef VITALS_STORE_PQMETA_H
#define VITALS_STORE_PQMETA_H

#include <stddef.h>
#include <stdint.h>

#include "util/bytebuf.h"

enum pq_physical {
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_INT96 = 3,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FIXED_LEN_BYTE_ARRAY = 7,
};

enum pq_encoding {
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9,
};

enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };

/* ConvertedType (the legacy annotation; writers still set it beside LogicalType). */
enum pq_converted {
	PQ_CT_UTF8 = 0,
	PQ_CT_MAP = 1,
	PQ_CT_MAP_KEY_VALUE = 2,
	PQ_CT_LIST = 3,
	PQ_CT_ENUM = 4,
	PQ_CT_DECIMAL = 5,
	PQ_CT_DATE = 6,
	PQ_CT_TIME_MILLIS = 7,
	PQ_CT_TIME_MICROS = 8,
	PQ_CT_TIMESTAMP_MILLIS = 9,
	PQ_CT_TIMESTAMP_MICROS = 10,
	PQ_CT_UINT_8 = 11,
	PQ_CT_UINT_16 = 12,
	PQ_CT_UINT_32 = 13,
	PQ_CT_UINT_64 = 14,
	PQ_CT_INT_8 = 15,
	PQ_CT_INT_16 = 16,
	PQ_CT_INT_32 = 17,
	PQ_CT_INT_64 = 18,
	PQ_CT_JSON = 19,
	PQ_CT_BSON = 20,
	PQ_CT_INTERVAL = 21,
};

/* LogicalType: the union's field id says which member is set. */
enum pq_logical_kind {
	PQ_LT_NONE = 0,
	PQ_LT_STRING = 1,
	PQ_LT_MAP = 2,
	PQ_LT_LIST = 3,
	PQ_LT_ENUM = 4,
	PQ_LT_DECIMAL = 5,
	PQ_LT_DATE = 6,
	PQ_LT_TIME = 7,
	PQ_LT_TIMESTAMP = 8,
	PQ_LT_INTEGER = 10,
	PQ_LT_UNKNOWN = 11, /* "always null" */
	PQ_LT_JSON = 12,
	PQ_LT_BSON = 13,
	PQ_LT_UUID = 14,
	PQ_LT_FLOAT16 = 15,
	PQ_LT_OTHER = 99, /* a member this decoder does not know */
};

enum pq_time_unit { PQ_UNIT_NONE = 0, PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

struct pq_logical {
	enum pq_logical_kind kind;
	enum pq_time_unit unit;   /* TIME, TIMESTAMP */
	int utc;                  /* TIME, TIMESTAMP: isAdjustedToUTC */
	int bit_width;            /* INTEGER */
	int is_signed;            /* INTEGER */
	int32_t scale, precision; /* DECIMAL */
};

struct pq_schema_element {
	char *name;
	int has_type;
	enum pq_physical type;
	int32_t type_length; /* FIXED_LEN_BYTE_ARRAY */
	int has_repetition;
	enum pq_repetition repetition;
	int32_t num_children; /* 0 for a leaf */
	int has_converted;
	enum pq_converted converted;
	int32_t scale, precision;
	struct pq_logical logical; /* kind PQ_LT_NONE when absent */
};

/* Statistics: binary values in the column's PLAIN encoding (strings without length). */
struct pq_statistics {
	int has_min_value, has_max_value; /* fields 6 and 5: the ones with a defined order */
	uint8_t *min_value, *max_value;
	uint32_t min_value_len, max_value_len;
	int has_min, has_max; /* fields 2 and 1: deprecated, signed order only */
	uint8_t *min, *max;
	uint32_t min_len, max_len;
	int has_null_count;
	int64_t null_count;
	int has_distinct_count;
	int64_t distinct_count;
};

struct pq_column_meta {
	enum pq_physical type;
	uint32_t encoding_count;
	int32_t *encodings;
	uint32_t path_count;
	char **path;
	int32_t codec; /* enum vitals_codec values; others (LZO, BROTLI, LZ4) are refused later */
	int64_t num_values;
	int64_t total_uncompressed_size;
	int64_t total_compressed_size;
	int64_t data_page_offset;
	int has_index_page_offset;
	int64_t index_page_offset;
	int has_dictionary_page_offset;
	int64_t dictionary_page_offset;
	int has_statistics;
	struct pq_statistics stats;
};

struct pq_column_chunk {
	char *file_path; /* NULL: this file (vitals refuses others) */
	int64_t file_offset;
	int has_meta;
	struct pq_column_meta meta;
	int skipped; /* pq_meta_decode_columns() did not decode it: all zero */
};

struct pq_row_group {
	uint32_t column_count;
	struct pq_column_chunk *columns;
	int64_t total_byte_size;
	int64_t num_rows;
	int has_file_offset;
	int64_t file_offset;
	int has_total_compressed_size;
	int64_t total_compressed_size;
	int has_ordinal;
	int16_t ordinal;
};

struct pq_kv {
	char *key;
	char *value; /* NULL when absent */
};

struct pq_file_meta {
	int32_t version;
	uint32_t schema_count;
	struct pq_schema_element *schema; /* depth-first, [0] is the root */
	int64_t num_rows;
	uint32_t row_group_count;
	struct pq_row_group *row_groups;
	uint32_t kv_count;
	struct pq_kv *kv;
	char *created_by; /* NULL when absent */
	uint32_t column_order_count;
	int32_t *column_orders; /* 1: TYPE_DEFINED_ORDER; 0: another (unknown) order */
	/*
	 * Encoding only: row groups already encoded (RowGroup structures one
	 * after the other, not owned), written before row_groups[].
	 */
	const uint8_t *raw_row_groups;
	size_t raw_row_groups_len;
	uint32_t raw_row_group_count;
};

/*
 * Decode a FileMetaData of LEN bytes at BUF into M (zeroed first). 0, or
 * VITALS_E_PARSE / VITALS_E_NOMEM with a message in ERR; M is then
 * released. Lengths of strings and counts of lists are checked against
 * the bytes left before anything is allocated.
 */
int pq_meta_decode(struct pq_file_meta *m, const uint8_t *buf, size_t len, char *err,
                   size_t errlen);
/*
 * The same, except that only the column chunks of the columns named in
 * WANT are decoded when the schema is flat and comes before the row
 * groups (as every writer puts it); the others are skipped and marked so.
 * A reader that needs a few columns of a wide file with many row groups
 * spends its time on those.
 */
int pq_meta_decode_columns(struct pq_file_meta *m, const uint8_t *buf, size_t len,
                           const char *const *want, size_t want_count, char *err, size_t errlen);
/*
 * The same as pq_meta_decode(), except that the first KEEP row groups are not kept as
 * structures: their encoded bytes are appended to RAW, their rows summed
 * into *ROWS and the end of their last column chunk put in *END (they
 * must follow each other from byte 4, as vitals writes them:
 * VITALS_E_PARSE otherwise). Row groups after them are dropped. Rewriting
 * a growing file this way never decodes into memory what it only copies.
 */
int pq_meta_decode_keep(struct pq_file_meta *m, const uint8_t *buf, size_t len, uint32_t keep,
                        struct bytebuf *raw, int64_t *rows, uint64_t *end, char *err,
                        size_t errlen);
/* Append the compact encoding of M to OUT. 0 or VITALS_E_NOMEM. */
int pq_meta_encode(const struct pq_file_meta *m, struct bytebuf *out);
/* Append one RowGroup structure, as it splices into raw_row_groups. 0 or VITALS_E_NOMEM. */
int pq_row_group_encode(const struct pq_row_group *g, struct bytebuf *out);
/* Free what one row group owns (not RG itself). */
void pq_row_group_release(struct pq_row_group *rg);
/* Free everything M owns and zero it. Safe on a zeroed M. */
void pq_meta_release(struct pq_file_meta *m);

enum pq_page_type {
	PQ_PAGE_DATA = 0,
	PQ_PAGE_INDEX = 1,
	PQ_PAGE_DICTIONARY = 2,
	PQ_PAGE_DATA_V2 = 3,
};

struct pq_page_header {
	enum pq_page_type type;
	int32_t uncompressed_size;
	int32_t compressed_size;
	int has_crc;
	int32_t crc;
	/* DATA_PAGE (v1) and DATA_PAGE_V2 */
	int32_t num_values; /* including nulls */
	int32_t encoding;
	/* DATA_PAGE (v1) */
	int32_t def_level_encoding;
	int32_t rep_level_encoding;
	/* DATA_PAGE_V2 */
	int32_t num_nulls;
	int32_t num_rows;
	int32_t def_levels_byte_length;
	int32_t rep_levels_byte_length;
	int is_compressed; /* defaults to 1 when absent */
	/* DICTIONARY_PAGE */
	int32_t dict_num_values;
	int32_t dict_encoding;
	int dict_is_sorted;
};

/*
 * Decode one PageHeader from the LEN bytes at BUF; *used is set to its
 * encoded size. Sizes and counts must be non-negative. 0, or
 * VITALS_E_PARSE with a message in ERR (VITALS_E_MISSING when LEN is too
 * short for the header, so a reader can fetch more bytes and retry).
 */
int pq_page_header_decode(struct pq_page_header *h, const uint8_t *buf, size_t len, size_t *used,
                          char *err, size_t errlen);
/* Append the compact encoding of H (the members its type uses) to OUT. */
int pq_page_header_encode(const struct pq_page_header *h, struct bytebuf *out);

/* "PLAIN", "RLE_DICTIONARY"...; "UNKNOWN(n)" into no buffer: returns "?" for unknown. */
const char *pq_encoding_name(int32_t encoding);
/* "BOOLEAN", "INT64"...; "?" for unknown. */
const char *pq_physical_name(int32_t type);

#endif
