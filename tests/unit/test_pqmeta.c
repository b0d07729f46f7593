/*
 * The Parquet footer and page header codec: real footers written by DuckDB
 * (PARQUET_VERSION V1 and V2) and hyparquet-writer, real page headers,
 * the round trip decode(encode(m)) == m, and hand-built footers with
 * fields left out, negative, duplicated, of the wrong type or unknown.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vitals/common.h>
#include <vitals/store.h>

#include "pqmeta_equal.h"
#include "store/pqmeta.h"
#include "store/thrift.h"
#include "testutil.h"

static uint8_t *read_fixture(const char *name, size_t *len)
{
	FILE *f = fopen(tu_fixture(name), "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int64_t le64_at(const uint8_t *p)
{
	int64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void assert_stat_i64(const struct pq_statistics *s, int64_t min, int64_t max)
{
	assert_true(s->has_min_value);
	assert_true(s->has_max_value);
	assert_int_equal(s->min_value_len, 8);
	assert_int_equal(s->max_value_len, 8);
	assert_int_equal(le64_at(s->min_value), min);
	assert_int_equal(le64_at(s->max_value), max);
}

/* Encode M, decode it again and compare every member. */
static void assert_round_trip(const struct pq_file_meta *m)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct pq_file_meta again;
	char err[256] = "";
	const char *diff;

	assert_int_equal(pq_meta_encode(m, &b), 0);
	assert_int_equal(pq_meta_decode(&again, b.p, b.len, err, sizeof(err)), 0);
	diff = pq_meta_differs(m, &again);
	if (diff)
		fail_msg("round trip changed %s", diff);
	pq_meta_release(&again);
	bytebuf_release(&b);
}

/* Every column chunk names its leaf and has its type. */
static void assert_chunks_match_schema(const struct pq_file_meta *m)
{
	int64_t rows = 0;

	for (uint32_t g = 0; g < m->row_group_count; g++) {
		const struct pq_row_group *rg = &m->row_groups[g];

		assert_int_equal(rg->column_count, m->schema_count - 1);
		rows += rg->num_rows;
		for (uint32_t c = 0; c < rg->column_count; c++) {
			const struct pq_column_meta *cm = &rg->columns[c].meta;

			assert_true(rg->columns[c].has_meta);
			assert_null(rg->columns[c].file_path);
			assert_int_equal(cm->path_count, 1);
			assert_string_equal(cm->path[0], m->schema[c + 1].name);
			assert_int_equal(cm->type, m->schema[c + 1].type);
			assert_int_equal(cm->num_values, rg->num_rows);
			assert_true(cm->encoding_count >= 1);
			assert_true(cm->total_compressed_size > 0);
			assert_true(cm->data_page_offset >= 4);
			assert_true(cm->has_statistics);
			assert_true(cm->stats.has_null_count);
		}
	}
	assert_int_equal(rows, m->num_rows);
}

static int has_encoding(const struct pq_column_meta *cm, int32_t e)
{
	for (uint32_t i = 0; i < cm->encoding_count; i++)
		if (cm->encodings[i] == e)
			return 1;
	return 0;
}

/*
 * COPY (SELECT ... FROM range(5000)) TO '...' (FORMAT parquet, COMPRESSION
 * zstd, ROW_GROUP_SIZE 1000, KV_METADATA {host: 'box1', tz: 'UTC'}).
 */
static void test_duckdb_footer(void **state)
{
	static const struct {
		const char *name;
		enum pq_physical type;
		int converted; /* -1: none */
	} cols[] = {
	    {"id", PQ_INT64, PQ_CT_INT_64},
	    {"val", PQ_DOUBLE, -1},
	    {"name", PQ_BYTE_ARRAY, PQ_CT_UTF8},
	    {"time", PQ_INT64, PQ_CT_TIMESTAMP_MICROS},
	    {"local_ts", PQ_INT64, PQ_CT_TIMESTAMP_MICROS},
	    {"flag", PQ_BOOLEAN, -1},
	    {"small", PQ_INT32, PQ_CT_INT_32},
	    {"tiny", PQ_INT32, PQ_CT_INT_8},
	    {"amount", PQ_INT64, PQ_CT_DECIMAL},
	    {"day", PQ_INT32, PQ_CT_DATE},
	    {"u32", PQ_INT32, PQ_CT_UINT_32},
	};
	struct pq_file_meta m;
	const struct pq_schema_element *s;
	const struct pq_column_meta *cm;
	char err[256] = "";
	size_t len;
	uint8_t *buf = read_fixture("parquet/footers/duckdb_zstd_3rg.footer", &len);

	(void)state;
	assert_int_equal(pq_meta_decode(&m, buf, len, err, sizeof(err)), 0);
	assert_int_equal(m.version, 1);
	assert_int_equal(m.num_rows, 5000);
	assert_non_null(m.created_by);
	assert_memory_equal(m.created_by, "DuckDB", 6);

	assert_int_equal(m.schema_count, 12);
	s = &m.schema[0];
	assert_string_equal(s->name, "duckdb_schema");
	assert_false(s->has_type);
	assert_int_equal(s->num_children, 11);
	for (unsigned i = 0; i < 11; i++) {
		s = &m.schema[i + 1];
		assert_string_equal(s->name, cols[i].name);
		assert_true(s->has_type);
		assert_int_equal(s->type, cols[i].type);
		assert_int_equal(s->num_children, 0);
		assert_true(s->has_repetition);
		assert_int_equal(s->repetition, PQ_OPTIONAL);
		assert_int_equal(s->has_converted, cols[i].converted >= 0);
		if (cols[i].converted >= 0)
			assert_int_equal(s->converted, cols[i].converted);
	}
	s = &m.schema[4]; /* time: TIMESTAMPTZ */
	assert_int_equal(s->logical.kind, PQ_LT_TIMESTAMP);
	assert_int_equal(s->logical.unit, PQ_UNIT_MICROS);
	assert_true(s->logical.utc);
	s = &m.schema[5]; /* local_ts: TIMESTAMP */
	assert_int_equal(s->logical.kind, PQ_LT_TIMESTAMP);
	assert_int_equal(s->logical.unit, PQ_UNIT_MICROS);
	assert_false(s->logical.utc);
	s = &m.schema[9]; /* amount: DECIMAL(10,2) */
	assert_int_equal(s->scale, 2);
	assert_int_equal(s->precision, 10);
	assert_int_equal(s->logical.kind, PQ_LT_DECIMAL);
	assert_int_equal(s->logical.scale, 2);
	assert_int_equal(s->logical.precision, 10);
	assert_int_equal(m.schema[2].logical.kind, PQ_LT_NONE);

	assert_int_equal(m.row_group_count, 3);
	assert_int_equal(m.row_groups[0].num_rows, 2048);
	assert_int_equal(m.row_groups[1].num_rows, 2048);
	assert_int_equal(m.row_groups[2].num_rows, 904);
	assert_chunks_match_schema(&m);
	for (uint32_t g = 0; g < 3; g++) {
		const struct pq_row_group *rg = &m.row_groups[g];

		assert_true(rg->has_file_offset);
		assert_true(rg->has_total_compressed_size);
		assert_true(rg->total_byte_size > 0);
		for (uint32_t c = 0; c < rg->column_count; c++)
			assert_int_equal(rg->columns[c].meta.codec, VITALS_CODEC_ZSTD);
		/* id is 0..4999 in order: each group holds a slice. */
		cm = &rg->columns[0].meta;
		assert_stat_i64(&cm->stats, g * 2048, g == 2 ? 4999 : g * 2048 + 2047);
		assert_int_equal(cm->stats.null_count, 0);
		assert_true(has_encoding(cm, PQ_ENC_PLAIN));
	}
	assert_int_equal(m.row_groups[0].file_offset, 4);
	cm = &m.row_groups[0].columns[2].meta; /* name, NULL every 7th row */
	assert_int_equal(cm->stats.null_count, 293);
	assert_true(cm->has_dictionary_page_offset);
	assert_true(cm->dictionary_page_offset < cm->data_page_offset);
	assert_true(has_encoding(cm, PQ_ENC_PLAIN_DICTIONARY));
	assert_int_equal(cm->stats.min_value_len, 5);
	assert_memory_equal(cm->stats.min_value, "name0", 5);
	assert_memory_equal(cm->stats.max_value, "name9", 5);
	cm = &m.row_groups[0].columns[3].meta; /* time from 2024-01-01T00:00:00Z by seconds */
	assert_stat_i64(&cm->stats, 1704067200000000, 1704067200000000 + 2047 * INT64_C(1000000));

	assert_int_equal(m.kv_count, 2);
	assert_string_equal(m.kv[0].key, "host");
	assert_string_equal(m.kv[0].value, "box1");
	assert_string_equal(m.kv[1].key, "tz");
	assert_string_equal(m.kv[1].value, "UTC");
	assert_int_equal(m.column_order_count, 11);
	for (uint32_t i = 0; i < 11; i++)
		assert_int_equal(m.column_orders[i], 1);

	assert_round_trip(&m);
	pq_meta_release(&m);
	free(buf);
}

/* The same table with PARQUET_VERSION V2 and COMPRESSION snappy, no metadata. */
static void test_duckdb_v2_footer(void **state)
{
	struct pq_file_meta m;
	const struct pq_column_meta *cm;
	char err[256] = "";
	size_t len;
	uint8_t *buf = read_fixture("parquet/footers/duckdb_v2_snappy.footer", &len);

	(void)state;
	assert_int_equal(pq_meta_decode(&m, buf, len, err, sizeof(err)), 0);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.num_rows, 5000);
	assert_int_equal(m.row_group_count, 3);
	assert_int_equal(m.kv_count, 0);
	assert_null(m.kv);
	assert_chunks_match_schema(&m);
	cm = &m.row_groups[1].columns[0].meta;
	assert_int_equal(cm->codec, VITALS_CODEC_SNAPPY);
	assert_true(has_encoding(cm, PQ_ENC_DELTA_BINARY_PACKED));
	assert_stat_i64(&cm->stats, 2048, 4095);
	assert_true(has_encoding(&m.row_groups[1].columns[1].meta, PQ_ENC_BYTE_STREAM_SPLIT));
	assert_true(has_encoding(&m.row_groups[1].columns[2].meta, PQ_ENC_RLE_DICTIONARY));
	/* An unsigned column: only the ordered min_value/max_value, not the signed min/max. */
	cm = &m.row_groups[0].columns[10].meta;
	assert_false(cm->stats.has_min);
	assert_false(cm->stats.has_max);
	assert_true(cm->stats.has_min_value);
	assert_round_trip(&m);
	pq_meta_release(&m);
	free(buf);
}

/* hyparquet-writer, row groups of 1000, a key without value, a REQUIRED column. */
static void test_hyparquet_footer(void **state)
{
	struct pq_file_meta m;
	const struct pq_column_meta *cm;
	char err[256] = "";
	size_t len;
	uint8_t *buf = read_fixture("parquet/footers/hyparquet_writer.footer", &len);

	(void)state;
	assert_int_equal(pq_meta_decode(&m, buf, len, err, sizeof(err)), 0);
	assert_int_equal(m.version, 2);
	assert_int_equal(m.num_rows, 1500);
	assert_string_equal(m.created_by, "hyparquet");
	assert_int_equal(m.schema_count, 6);
	assert_string_equal(m.schema[0].name, "root");
	assert_false(m.schema[0].has_repetition);
	assert_int_equal(m.schema[0].num_children, 5);
	assert_string_equal(m.schema[1].name, "id");
	assert_int_equal(m.schema[1].repetition, PQ_REQUIRED);
	assert_int_equal(m.schema[3].converted, PQ_CT_TIMESTAMP_MILLIS);
	assert_int_equal(m.schema[3].logical.kind, PQ_LT_NONE);
	assert_int_equal(m.row_group_count, 2);
	assert_int_equal(m.row_groups[0].num_rows, 1000);
	assert_int_equal(m.row_groups[1].num_rows, 500);
	assert_false(m.row_groups[0].has_file_offset);
	assert_chunks_match_schema(&m);
	assert_int_equal(m.row_groups[0].columns[1].file_offset, 5049);
	cm = &m.row_groups[0].columns[1].meta;
	assert_int_equal(cm->codec, VITALS_CODEC_SNAPPY);
	assert_int_equal(cm->stats.null_count, 200);
	assert_false(cm->stats.has_min);
	assert_memory_equal(cm->stats.min_value, "host0", 5);
	assert_stat_i64(&m.row_groups[1].columns[0].meta.stats, 1000000, 1499000);
	assert_int_equal(m.kv_count, 2);
	assert_string_equal(m.kv[0].key, "vitals.host");
	assert_string_equal(m.kv[0].value, "box1");
	assert_string_equal(m.kv[1].key, "novalue");
	assert_null(m.kv[1].value);
	assert_int_equal(m.column_order_count, 5);
	assert_round_trip(&m);
	pq_meta_release(&m);
	free(buf);
}

/* Every prefix of a real footer fails cleanly, and so does every single flipped byte or passes. */
static void test_footer_truncated_and_flipped(void **state)
{
	struct pq_file_meta m;
	char err[256];
	size_t len;
	uint8_t *buf = read_fixture("parquet/footers/hyparquet_writer.footer", &len);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);

		assert_non_null(copy);
		memcpy(copy, buf, n);
		err[0] = 0;
		assert_int_equal(pq_meta_decode(&m, copy, n, err, sizeof(err)), VITALS_E_PARSE);
		assert_true(err[0] != 0);
		assert_null(m.schema);
		assert_null(m.row_groups);
		free(copy);
	}
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			int rc;

			buf[i] ^= (uint8_t)(1 << bit);
			rc = pq_meta_decode(&m, buf, len, err, sizeof(err));
			assert_true(rc == 0 || rc == VITALS_E_PARSE);
			if (rc == 0) {
				assert_round_trip(&m);
				pq_meta_release(&m);
			}
			buf[i] ^= (uint8_t)(1 << bit);
		}
	}
	free(buf);
}

/* ---- a footer built field by field ------------------------------------- */

/* What build_footer() does differently from a plain, valid footer. */
struct mutation {
	const char *strct; /* the structure affected, NULL: none */
	int rg, col;       /* in this row group / column (-1: all) */
	int16_t omit;      /* leave out this field */
	int16_t negate;    /* write this field negative */
	int16_t retype;    /* write this field as a binary */
	int unknown;       /* unknown fields of every type in every structure */
	int dup;           /* every field written twice */
};

struct build {
	struct thrift_writer w;
	const struct mutation *mu;
	int rg, col;
};

static int hit(const struct build *b, const char *strct, int16_t id, int16_t which)
{
	const struct mutation *mu = b->mu;

	return mu->strct && which && which == id && strcmp(mu->strct, strct) == 0 &&
	       (mu->rg < 0 || mu->rg == b->rg) && (mu->col < 0 || mu->col == b->col);
}

static int times(const struct build *b)
{
	return b->mu->dup ? 2 : 1;
}

/* Fields no decoder knows, of every type, with short and long ids. */
static void junk(struct build *b)
{
	struct thrift_writer *w = &b->w;

	if (!b->mu->unknown)
		return;
	thrift_write_field(w, THRIFT_DOUBLE, 100);
	thrift_write_double(w, 1.5);
	thrift_write_bool_field(w, 101, 1);
	thrift_write_bool_field(w, 102, 0);
	thrift_write_byte_field(w, 103, -3);
	thrift_write_i16_field(w, 104, -300);
	thrift_write_i32_field(w, 1000, 70000);
	thrift_write_i64_field(w, -5, INT64_MIN);
	thrift_write_binary_field(w, 105, "junk", 4);
	/* list<list<bool>> */
	thrift_write_field(w, THRIFT_LIST, 106);
	thrift_write_list(w, THRIFT_LIST, 2);
	thrift_write_list(w, THRIFT_BOOL, 3);
	thrift_write_bool(w, 1);
	thrift_write_bool(w, 0);
	thrift_write_bool(w, 1);
	thrift_write_list(w, THRIFT_BOOL, 0);
	/* set<i32> of 20 (long form) */
	thrift_write_field(w, THRIFT_SET, 107);
	thrift_write_list(w, THRIFT_I32, 20);
	for (int i = 0; i < 20; i++)
		thrift_write_i32(w, i * 1000);
	/* map<binary, struct> and an empty map */
	thrift_write_field(w, THRIFT_MAP, 108);
	bytebuf_put_uleb(w->out, 2);
	bytebuf_put_u8(w->out, THRIFT_BINARY << 4 | THRIFT_STRUCT);
	for (int i = 0; i < 2; i++) {
		thrift_write_binary(w, "k", 1);
		thrift_write_struct_begin(w);
		thrift_write_bool_field(w, 1, 1);
		thrift_write_struct_end(w);
	}
	thrift_write_field(w, THRIFT_MAP, 109);
	bytebuf_put_u8(w->out, 0);
	/* nested structures */
	thrift_write_field(w, THRIFT_STRUCT, 110);
	thrift_write_struct_begin(w);
	thrift_write_field(w, THRIFT_STRUCT, 1);
	thrift_write_struct_begin(w);
	thrift_write_i64_field(w, 2, 42);
	thrift_write_struct_end(w);
	thrift_write_struct_end(w);
}

static void f_i32(struct build *b, const char *strct, int16_t id, int32_t v)
{
	if (hit(b, strct, id, b->mu->omit))
		return;
	if (hit(b, strct, id, b->mu->negate))
		v = -v - 1;
	for (int k = 0; k < times(b); k++) {
		if (hit(b, strct, id, b->mu->retype))
			thrift_write_binary_field(&b->w, id, "x", 1);
		else
			thrift_write_i32_field(&b->w, id, v);
	}
}

static void f_i64(struct build *b, const char *strct, int16_t id, int64_t v)
{
	if (hit(b, strct, id, b->mu->omit))
		return;
	if (hit(b, strct, id, b->mu->negate))
		v = -v - 1;
	for (int k = 0; k < times(b); k++) {
		if (hit(b, strct, id, b->mu->retype))
			thrift_write_binary_field(&b->w, id, "x", 1);
		else
			thrift_write_i64_field(&b->w, id, v);
	}
}

static void f_str(struct build *b, const char *strct, int16_t id, const char *s)
{
	if (hit(b, strct, id, b->mu->omit))
		return;
	for (int k = 0; k < times(b); k++) {
		if (hit(b, strct, id, b->mu->retype))
			thrift_write_i32_field(&b->w, id, 1);
		else
			thrift_write_string_field(&b->w, id, s);
	}
}

/* The header of a structure or list field; 0 when it is to be left out. */
static int f_open(struct build *b, const char *strct, int16_t id, int type)
{
	if (hit(b, strct, id, b->mu->omit))
		return 0;
	thrift_write_field(&b->w, hit(b, strct, id, b->mu->retype) ? THRIFT_I32 : type, id);
	if (hit(b, strct, id, b->mu->retype)) {
		thrift_write_i32(&b->w, 1);
		return 0;
	}
	return 1;
}

static void build_schema(struct build *b)
{
	static const char *const names[] = {"time", "name", "load"};

	for (int k = 0; k < times(b); k++) {
		if (!f_open(b, "FileMetaData", 2, THRIFT_LIST))
			return;
		thrift_write_list(&b->w, THRIFT_STRUCT, 4);
		thrift_write_struct_begin(&b->w);
		f_str(b, "SchemaElement", 4, "schema");
		f_i32(b, "SchemaElement", 5, 3);
		junk(b);
		thrift_write_struct_end(&b->w);
		for (int i = 0; i < 3; i++) {
			b->col = i;
			thrift_write_struct_begin(&b->w);
			junk(b);
			f_i32(b, "SchemaElement", 1,
			      i == 0   ? PQ_INT64
			      : i == 1 ? PQ_BYTE_ARRAY
			               : PQ_DOUBLE);
			f_i32(b, "SchemaElement", 3, i == 0 ? PQ_REQUIRED : PQ_OPTIONAL);
			f_str(b, "SchemaElement", 4, names[i]);
			if (i == 0) {
				f_i32(b, "SchemaElement", 6, PQ_CT_TIMESTAMP_MICROS);
				if (f_open(b, "SchemaElement", 10, THRIFT_STRUCT)) {
					thrift_write_struct_begin(&b->w);
					thrift_write_field(&b->w, THRIFT_STRUCT, PQ_LT_TIMESTAMP);
					thrift_write_struct_begin(&b->w);
					junk(b);
					if (!hit(b, "TimestampType", 1, b->mu->omit))
						thrift_write_bool_field(&b->w, 1, 1);
					if (f_open(b, "TimestampType", 2, THRIFT_STRUCT)) {
						thrift_write_struct_begin(&b->w);
						thrift_write_field(&b->w, THRIFT_STRUCT, 2);
						thrift_write_struct_begin(&b->w);
						junk(b);
						thrift_write_struct_end(&b->w);
						thrift_write_struct_end(&b->w);
					}
					thrift_write_struct_end(&b->w);
					thrift_write_struct_end(&b->w);
				}
			} else if (i == 1) {
				f_i32(b, "SchemaElement", 6, PQ_CT_UTF8);
				if (f_open(b, "SchemaElement", 10, THRIFT_STRUCT)) {
					thrift_write_struct_begin(&b->w);
					thrift_write_field(&b->w, THRIFT_STRUCT, PQ_LT_STRING);
					thrift_write_struct_begin(&b->w);
					junk(b);
					thrift_write_struct_end(&b->w);
					thrift_write_struct_end(&b->w);
				}
			}
			thrift_write_struct_end(&b->w);
		}
		b->col = -1;
	}
}

static void build_stats(struct build *b, int64_t lo, int64_t hi)
{
	if (!f_open(b, "ColumnMetaData", 12, THRIFT_STRUCT))
		return;
	thrift_write_struct_begin(&b->w);
	junk(b);
	for (int k = 0; k < times(b); k++) {
		thrift_write_binary_field(&b->w, 1, &hi, 8);
		thrift_write_binary_field(&b->w, 2, &lo, 8);
	}
	f_i64(b, "Statistics", 3, 0);
	for (int k = 0; k < times(b); k++) {
		thrift_write_binary_field(&b->w, 5, &hi, 8);
		thrift_write_binary_field(&b->w, 6, &lo, 8);
	}
	thrift_write_struct_end(&b->w);
}

static void build_column(struct build *b, int64_t offset)
{
	static const char *const names[] = {"time", "name", "load"};
	static const int32_t types[] = {PQ_INT64, PQ_BYTE_ARRAY, PQ_DOUBLE};

	thrift_write_struct_begin(&b->w);
	f_i64(b, "ColumnChunk", 2, 0);
	junk(b);
	for (int k = 0; k < times(b); k++) {
		if (!f_open(b, "ColumnChunk", 3, THRIFT_STRUCT))
			break;
		thrift_write_struct_begin(&b->w);
		f_i32(b, "ColumnMetaData", 1, types[b->col]);
		if (f_open(b, "ColumnMetaData", 2, THRIFT_LIST)) {
			thrift_write_list(&b->w, THRIFT_I32, 2);
			thrift_write_i32(&b->w, PQ_ENC_PLAIN);
			thrift_write_i32(&b->w, PQ_ENC_RLE);
		}
		if (f_open(b, "ColumnMetaData", 3, THRIFT_LIST)) {
			thrift_write_list(&b->w, THRIFT_BINARY, 1);
			thrift_write_binary(&b->w, names[b->col], (uint32_t)strlen(names[b->col]));
		}
		junk(b);
		f_i32(b, "ColumnMetaData", 4, VITALS_CODEC_ZSTD);
		f_i64(b, "ColumnMetaData", 5, 100);
		f_i64(b, "ColumnMetaData", 6, 900);
		f_i64(b, "ColumnMetaData", 7, 300);
		f_i64(b, "ColumnMetaData", 9, offset);
		if (b->col == 1)
			f_i64(b, "ColumnMetaData", 11, offset - 50);
		if (b->col == 0)
			build_stats(b, b->rg * 100, b->rg * 100 + 99);
		thrift_write_struct_end(&b->w);
	}
	thrift_write_struct_end(&b->w);
}

/*
 * A footer of 3 columns (time INT64 TIMESTAMP(MICROS,UTC), name STRING,
 * load DOUBLE) and 3 row groups of 100 rows, with mutation MU.
 */
static void build_footer(struct bytebuf *out, const struct mutation *mu)
{
	struct build b = {.mu = mu, .rg = -1, .col = -1};

	thrift_writer_init(&b.w, out);
	thrift_write_struct_begin(&b.w);
	junk(&b);
	f_i32(&b, "FileMetaData", 1, 1);
	build_schema(&b);
	f_i64(&b, "FileMetaData", 3, 300);
	for (int k = 0; k < times(&b); k++) {
		if (!f_open(&b, "FileMetaData", 4, THRIFT_LIST))
			break;
		thrift_write_list(&b.w, THRIFT_STRUCT, 3);
		for (b.rg = 0; b.rg < 3; b.rg++) {
			thrift_write_struct_begin(&b.w);
			if (f_open(&b, "RowGroup", 1, THRIFT_LIST)) {
				thrift_write_list(&b.w, THRIFT_STRUCT, 3);
				for (b.col = 0; b.col < 3; b.col++)
					build_column(&b, 4 + b.rg * 1000 + b.col * 300 + 50);
				b.col = -1;
			}
			f_i64(&b, "RowGroup", 2, 2700);
			junk(&b);
			f_i64(&b, "RowGroup", 3, 100);
			f_i64(&b, "RowGroup", 5, 4 + b.rg * 1000);
			f_i64(&b, "RowGroup", 6, 900);
			thrift_write_i16_field(&b.w, 7, (int16_t)b.rg);
			thrift_write_struct_end(&b.w);
		}
		b.rg = -1;
	}
	if (f_open(&b, "FileMetaData", 5, THRIFT_LIST)) {
		thrift_write_list(&b.w, THRIFT_STRUCT, 2);
		thrift_write_struct_begin(&b.w);
		f_str(&b, "KeyValue", 1, "host");
		f_str(&b, "KeyValue", 2, "box1");
		thrift_write_struct_end(&b.w);
		thrift_write_struct_begin(&b.w);
		junk(&b);
		f_str(&b, "KeyValue", 1, "empty");
		thrift_write_struct_end(&b.w);
	}
	f_str(&b, "FileMetaData", 6, "vitals test");
	if (f_open(&b, "FileMetaData", 7, THRIFT_LIST)) {
		thrift_write_list(&b.w, THRIFT_STRUCT, 3);
		for (int i = 0; i < 3; i++) {
			thrift_write_struct_begin(&b.w);
			junk(&b);
			thrift_write_field(&b.w, THRIFT_STRUCT, i == 2 ? 2 : 1);
			thrift_write_struct_begin(&b.w);
			thrift_write_struct_end(&b.w);
			thrift_write_struct_end(&b.w);
		}
	}
	junk(&b);
	thrift_write_struct_end(&b.w);
	assert_int_equal(thrift_writer_status(&b.w), 0);
}

static int decode_built(const struct mutation *mu, struct pq_file_meta *m, char *err, size_t errlen)
{
	struct bytebuf b = BYTEBUF_INIT;
	int rc;

	build_footer(&b, mu);
	err[0] = 0;
	rc = pq_meta_decode(m, b.p, b.len, err, errlen);
	bytebuf_release(&b);
	return rc;
}

static void assert_built_plain(const struct pq_file_meta *m)
{
	const struct pq_column_meta *cm;

	assert_int_equal(m->version, 1);
	assert_int_equal(m->num_rows, 300);
	assert_int_equal(m->schema_count, 4);
	assert_int_equal(m->schema[0].num_children, 3);
	assert_string_equal(m->schema[1].name, "time");
	assert_int_equal(m->schema[1].logical.kind, PQ_LT_TIMESTAMP);
	assert_int_equal(m->schema[1].logical.unit, PQ_UNIT_MICROS);
	assert_true(m->schema[1].logical.utc);
	assert_int_equal(m->schema[2].logical.kind, PQ_LT_STRING);
	assert_int_equal(m->schema[3].logical.kind, PQ_LT_NONE);
	assert_int_equal(m->row_group_count, 3);
	for (uint32_t g = 0; g < 3; g++) {
		assert_int_equal(m->row_groups[g].num_rows, 100);
		assert_true(m->row_groups[g].has_ordinal);
		assert_int_equal(m->row_groups[g].ordinal, g);
		assert_int_equal(m->row_groups[g].file_offset, 4 + g * 1000);
	}
	cm = &m->row_groups[2].columns[0].meta;
	assert_int_equal(cm->encoding_count, 2);
	assert_int_equal(cm->encodings[1], PQ_ENC_RLE);
	assert_stat_i64(&cm->stats, 200, 299);
	assert_true(cm->stats.has_min && cm->stats.has_max);
	assert_int_equal(le64_at(cm->stats.min), 200);
	cm = &m->row_groups[2].columns[1].meta;
	assert_true(cm->has_dictionary_page_offset);
	assert_int_equal(cm->dictionary_page_offset, cm->data_page_offset - 50);
	assert_false(cm->has_statistics);
	assert_int_equal(m->kv_count, 2);
	assert_null(m->kv[1].value);
	assert_string_equal(m->created_by, "vitals test");
	assert_int_equal(m->column_order_count, 3);
	assert_int_equal(m->column_orders[0], 1);
	assert_int_equal(m->column_orders[2], 0);
}

static void test_built_plain_unknown_dup(void **state)
{
	struct mutation plain = {.rg = -1, .col = -1};
	struct mutation unknown = {.rg = -1, .col = -1, .unknown = 1};
	struct mutation dup = {.rg = -1, .col = -1, .dup = 1};
	struct pq_file_meta a, b;
	char err[256];
	const char *diff;

	(void)state;
	assert_int_equal(decode_built(&plain, &a, err, sizeof(err)), 0);
	assert_built_plain(&a);
	assert_round_trip(&a);

	/* Unknown fields of every type anywhere change nothing. */
	assert_int_equal(decode_built(&unknown, &b, err, sizeof(err)), 0);
	diff = pq_meta_differs(&a, &b);
	if (diff)
		fail_msg("unknown fields changed %s", diff);
	pq_meta_release(&b);

	/* Every field twice: the last wins and nothing leaks. */
	assert_int_equal(decode_built(&dup, &b, err, sizeof(err)), 0);
	diff = pq_meta_differs(&a, &b);
	if (diff)
		fail_msg("duplicate fields changed %s", diff);
	pq_meta_release(&b);
	pq_meta_release(&a);
}

static void test_built_missing(void **state)
{
	static const struct {
		const char *strct;
		int rg, col;
		int16_t id;
		const char *msg;
	} cases[] = {
	    {"FileMetaData", -1, -1, 1, "FileMetaData has no version"},
	    {"FileMetaData", -1, -1, 2, "FileMetaData has no schema"},
	    {"FileMetaData", -1, -1, 3, "FileMetaData has no num_rows"},
	    {"FileMetaData", -1, -1, 4, "FileMetaData has no row_groups"},
	    {"SchemaElement", -1, 2, 4, "schema element 3: SchemaElement has no name"},
	    {"TimestampType", -1, 0, 1, "schema element 1: TimestampType has no isAdjustedToUTC"},
	    {"TimestampType", -1, 0, 2, "schema element 1: TimestampType has no unit"},
	    {"RowGroup", 1, -1, 1, "row group 1: RowGroup has no columns"},
	    {"RowGroup", 1, -1, 2, "row group 1: RowGroup has no total_byte_size"},
	    {"RowGroup", 2, -1, 3, "row group 2: RowGroup has no num_rows"},
	    {"ColumnChunk", 2, 1, 2, "row group 2 column 1: ColumnChunk has no file_offset"},
	    {"ColumnMetaData", 2, 1, 1, "row group 2 column 1: ColumnMetaData has no type"},
	    {"ColumnMetaData", 2, 1, 2, "row group 2 column 1: ColumnMetaData has no encodings"},
	    {"ColumnMetaData", 2, 1, 3,
	     "row group 2 column 1: ColumnMetaData has no path_in_schema"},
	    {"ColumnMetaData", 2, 1, 4, "row group 2 column 1: ColumnMetaData has no codec"},
	    {"ColumnMetaData", 2, 1, 5, "row group 2 column 1: ColumnMetaData has no num_values"},
	    {"ColumnMetaData", 0, 2, 6,
	     "row group 0 column 2: ColumnMetaData has no total_uncompressed_size"},
	    {"ColumnMetaData", 0, 2, 7,
	     "row group 0 column 2: ColumnMetaData has no total_compressed_size"},
	    {"ColumnMetaData", 1, 0, 9,
	     "row group 1 column 0: ColumnMetaData has no data_page_offset"},
	    {"KeyValue", -1, -1, 1, "key/value 0: KeyValue has no key"},
	};
	struct pq_file_meta m;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mutation mu = {.strct = cases[i].strct,
		                      .rg = cases[i].rg,
		                      .col = cases[i].col,
		                      .omit = cases[i].id};

		assert_int_equal(decode_built(&mu, &m, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, cases[i].msg);
		assert_null(m.schema);
	}
	/* Optional ones may go. */
	{
		struct mutation mu = {.strct = "ColumnChunk", .rg = 0, .col = 0, .omit = 3};

		assert_int_equal(decode_built(&mu, &m, err, sizeof(err)), 0);
		assert_false(m.row_groups[0].columns[0].has_meta);
		assert_true(m.row_groups[0].columns[1].has_meta);
		pq_meta_release(&m);
	}
	{
		struct mutation mu = {.strct = "SchemaElement", .rg = -1, .col = 0, .omit = 10};

		assert_int_equal(decode_built(&mu, &m, err, sizeof(err)), 0);
		assert_int_equal(m.schema[1].logical.kind, PQ_LT_NONE);
		pq_meta_release(&m);
	}
}

static void test_built_negative_and_wrong_type(void **state)
{
	static const struct {
		const char *strct;
		int rg, col;
		int16_t id;
		const char *msg;
	} negs[] = {
	    {"FileMetaData", -1, -1, 3, "FileMetaData.num_rows is negative (-301)"},
	    {"RowGroup", 1, -1, 2, "row group 1: RowGroup.total_byte_size is negative (-2701)"},
	    {"RowGroup", 1, -1, 3, "row group 1: RowGroup.num_rows is negative (-101)"},
	    {"RowGroup", 1, -1, 5, "row group 1: RowGroup.file_offset is negative (-1005)"},
	    {"RowGroup", 1, -1, 6,
	     "row group 1: RowGroup.total_compressed_size is negative (-901)"},
	    {"ColumnChunk", 2, 1, 2,
	     "row group 2 column 1: ColumnChunk.file_offset is negative (-1)"},
	    {"ColumnMetaData", 2, 1, 5,
	     "row group 2 column 1: ColumnMetaData.num_values is negative (-101)"},
	    {"ColumnMetaData", 2, 1, 6,
	     "row group 2 column 1: ColumnMetaData.total_uncompressed_size is negative (-901)"},
	    {"ColumnMetaData", 2, 1, 7,
	     "row group 2 column 1: ColumnMetaData.total_compressed_size is negative (-301)"},
	    {"ColumnMetaData", 2, 1, 9,
	     "row group 2 column 1: ColumnMetaData.data_page_offset is negative (-2355)"},
	    {"ColumnMetaData", 2, 1, 11,
	     "row group 2 column 1: ColumnMetaData.dictionary_page_offset is negative (-2305)"},
	    {"Statistics", 0, 0, 3, "row group 0 column 0: Statistics.null_count is negative (-1)"},
	    {"SchemaElement", -1, 1, 3,
	     "schema element 2: SchemaElement.repetition_type is negative (-2)"},
	    {"SchemaElement", -1, -1, 5,
	     "schema element 0: SchemaElement.num_children is negative (-4)"},
	};
	static const struct {
		const char *strct;
		int rg, col;
		int16_t id;
		const char *msg;
	} types[] = {
	    {"FileMetaData", -1, -1, 1, "FileMetaData.version is a binary, not a i32"},
	    {"FileMetaData", -1, -1, 2, "FileMetaData.schema is a i32, not a list"},
	    {"FileMetaData", -1, -1, 6, "FileMetaData.created_by is a i32, not a binary"},
	    {"ColumnMetaData", 1, 2, 5,
	     "row group 1 column 2: ColumnMetaData.num_values is a binary, not a i64"},
	    {"ColumnMetaData", 1, 0, 12,
	     "row group 1 column 0: ColumnMetaData.statistics is a i32, not a struct"},
	    {"SchemaElement", -1, 0, 1,
	     "schema element 1: SchemaElement.type is a binary, not a i32"},
	};
	struct pq_file_meta m;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(negs) / sizeof(negs[0]); i++) {
		struct mutation mu = {.strct = negs[i].strct,
		                      .rg = negs[i].rg,
		                      .col = negs[i].col,
		                      .negate = negs[i].id};

		assert_int_equal(decode_built(&mu, &m, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, negs[i].msg);
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct mutation mu = {.strct = types[i].strct,
		                      .rg = types[i].rg,
		                      .col = types[i].col,
		                      .retype = types[i].id};

		assert_int_equal(decode_built(&mu, &m, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, types[i].msg);
	}
}

/* ---- hostile bytes ------------------------------------------------------ */

static int decode_bytes(const void *p, size_t n, char *err, size_t errlen)
{
	struct pq_file_meta m;
	int rc;

	err[0] = 0;
	rc = pq_meta_decode(&m, p, n, err, errlen);
	if (rc == 0)
		pq_meta_release(&m);
	return rc;
}

static void test_hostile(void **state)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;
	char err[256];

	(void)state;
	/* A list claiming 2^31-1 schema elements in a few bytes: refused before allocating. */
	{
		static const uint8_t huge[] = {0x15, 0x02, 0x19, 0xfc, 0xff,
		                               0xff, 0xff, 0xff, 0x07, 0x00};

		assert_int_equal(decode_bytes(huge, sizeof(huge), err, sizeof(err)),
		                 VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData.schema: list longer than the bytes left");
	}
	/* An unknown field nesting structures 100 deep. */
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	for (int i = 0; i < 100; i++)
		bytebuf_put_u8(&b, 0xfc); /* field 15 (unknown everywhere), a struct */
	assert_int_equal(decode_bytes(b.p, b.len, err, sizeof(err)), VITALS_E_PARSE);
	assert_non_null(strstr(err, "nested deeper than 64 levels"));
	/* Lists of lists 10000 deep. */
	bytebuf_clear(&b);
	bytebuf_put_u8(&b, 0x99); /* field 9, list */
	for (int i = 0; i < 10000; i++)
		bytebuf_put_u8(&b, 0x19); /* one element, a list */
	assert_int_equal(decode_bytes(b.p, b.len, err, sizeof(err)), VITALS_E_PARSE);
	assert_non_null(strstr(err, "nested deeper than 64 levels"));
	/* A varint of 11 bytes. */
	{
		static const uint8_t longv[] = {0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                                0xff, 0xff, 0xff, 0xff, 0x01, 0x00};

		assert_int_equal(decode_bytes(longv, sizeof(longv), err, sizeof(err)),
		                 VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData.version: varint longer than 64 bits");
	}
	/* An i32 past 2^31. */
	{
		static const uint8_t big[] = {0x15, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00};

		assert_int_equal(decode_bytes(big, sizeof(big), err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData.version: i32 out of range");
	}
	/* Type nibbles 13 to 15 do not exist. */
	{
		static const uint8_t bad[] = {0x1d, 0x00};

		assert_int_equal(decode_bytes(bad, sizeof(bad), err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData: unknown field type");
	}
	/* A string longer than the bytes left. */
	{
		static const uint8_t str[] = {0x68, 0x7f, 'a', 'b', 0x00};

		assert_int_equal(decode_bytes(str, sizeof(str), err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData.created_by: truncated");
	}
	/* A physical type that does not exist. */
	{
		static const uint8_t typ[] = {0x29, 0x1c, 0x15, 0x20, 0x00, 0x00};

		assert_int_equal(decode_bytes(typ, sizeof(typ), err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err,
		                    "schema element 0: SchemaElement.type 16 is no Parquet type");
	}
	/* An unknown field that cannot be skipped fails the decoding. */
	{
		static const uint8_t unk[] = {0x15, 0x02, 0x09, 0x20, 0x5c, 0x00, 0x00};

		assert_int_equal(decode_bytes(unk, sizeof(unk), err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "FileMetaData: list longer than the bytes left");
	}
	/* Empty input. */
	assert_int_equal(decode_bytes("", 0, err, sizeof(err)), VITALS_E_PARSE);
	assert_string_equal(err, "FileMetaData: truncated");
	/* A tiny ERR buffer is still terminated, and NULL is accepted. */
	assert_int_equal(decode_bytes("", 0, err, 5), VITALS_E_PARSE);
	assert_string_equal(err, "File");
	{
		struct pq_file_meta m;

		assert_int_equal(pq_meta_decode(&m, (const uint8_t *)"", 0, NULL, 0),
		                 VITALS_E_PARSE);
	}
	bytebuf_release(&b);
}

/* ---- round trip of everything the structures keep ----------------------- */

static char *dup_str(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

static uint8_t *dup_bin(const void *s, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	assert_non_null(p);
	memcpy(p, s, n);
	return p;
}

static void test_round_trip_everything(void **state)
{
	static const struct pq_logical logicals[] = {
	    {.kind = PQ_LT_STRING},
	    {.kind = PQ_LT_MAP},
	    {.kind = PQ_LT_LIST},
	    {.kind = PQ_LT_ENUM},
	    {.kind = PQ_LT_DECIMAL, .scale = 3, .precision = 18},
	    {.kind = PQ_LT_DATE},
	    {.kind = PQ_LT_TIME, .unit = PQ_UNIT_MILLIS, .utc = 0},
	    {.kind = PQ_LT_TIME, .unit = PQ_UNIT_NANOS, .utc = 1},
	    {.kind = PQ_LT_TIMESTAMP, .unit = PQ_UNIT_MICROS, .utc = 1},
	    {.kind = PQ_LT_TIMESTAMP, .unit = PQ_UNIT_NANOS, .utc = 0},
	    {.kind = PQ_LT_TIMESTAMP, .unit = PQ_UNIT_MILLIS, .utc = 1},
	    {.kind = PQ_LT_INTEGER, .bit_width = 8, .is_signed = 1},
	    {.kind = PQ_LT_INTEGER, .bit_width = 64, .is_signed = 0},
	    {.kind = PQ_LT_UNKNOWN},
	    {.kind = PQ_LT_JSON},
	    {.kind = PQ_LT_BSON},
	    {.kind = PQ_LT_UUID},
	    {.kind = PQ_LT_FLOAT16},
	    {.kind = PQ_LT_NONE},
	};
	const size_t nl = sizeof(logicals) / sizeof(logicals[0]);
	struct pq_file_meta m;
	int64_t lo = -7, hi = INT64_MAX;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.version = 2;
	m.num_rows = INT64_C(1) << 40;
	m.schema_count = (uint32_t)nl + 2;
	m.schema = calloc(m.schema_count, sizeof(*m.schema));
	assert_non_null(m.schema);
	m.schema[0].name = dup_str("root");
	m.schema[0].num_children = (int32_t)nl + 1;
	for (size_t i = 0; i < nl; i++) {
		struct pq_schema_element *e = &m.schema[i + 1];
		char name[32];

		snprintf(name, sizeof(name), "column %zu \xc3\xa9", i);
		e->name = dup_str(name);
		e->has_type = 1;
		e->type = (enum pq_physical)(i % 8);
		e->type_length = e->type == PQ_FIXED_LEN_BYTE_ARRAY ? 16 : 0;
		e->has_repetition = 1;
		e->repetition = (enum pq_repetition)(i % 3);
		e->has_converted = i % 2;
		e->converted = (enum pq_converted)(i % 22);
		e->logical = logicals[i];
		if (e->logical.kind == PQ_LT_DECIMAL) {
			e->scale = 3;
			e->precision = 18;
		}
	}
	/* A FIXED_LEN_BYTE_ARRAY of length 0, a group without children and no repetition. */
	m.schema[8].type = PQ_FIXED_LEN_BYTE_ARRAY;
	m.schema[8].type_length = 0;
	m.schema[nl + 1].name = dup_str("");
	m.schema[nl + 1].num_children = 0;

	m.row_group_count = 2;
	m.row_groups = calloc(2, sizeof(*m.row_groups));
	assert_non_null(m.row_groups);
	for (uint32_t g = 0; g < 2; g++) {
		struct pq_row_group *rg = &m.row_groups[g];

		rg->column_count = 20; /* a list header in the long form */
		rg->columns = calloc(rg->column_count, sizeof(*rg->columns));
		assert_non_null(rg->columns);
		rg->total_byte_size = INT64_MAX;
		rg->num_rows = g ? 0 : INT64_C(1) << 40;
		rg->has_file_offset = g == 0;
		rg->file_offset = 4;
		rg->has_total_compressed_size = g == 1;
		rg->total_compressed_size = 12345;
		rg->has_ordinal = 1;
		rg->ordinal = g ? INT16_MIN : INT16_MAX;
		for (uint32_t c = 0; c < rg->column_count; c++) {
			struct pq_column_chunk *cc = &rg->columns[c];
			struct pq_column_meta *cm = &cc->meta;
			struct pq_statistics *st = &cm->stats;

			cc->file_path = c == 3 ? dup_str("other.parquet") : NULL;
			cc->file_offset = c * 1000;
			cc->has_meta = c != 5;
			cm->type = (enum pq_physical)(c % 8);
			cm->encoding_count = c % 4;
			cm->encodings = cm->encoding_count
			                    ? calloc(cm->encoding_count, sizeof(*cm->encodings))
			                    : NULL;
			for (uint32_t k = 0; k < cm->encoding_count; k++)
				cm->encodings[k] = (int32_t)(k * 3 + c) - 1;
			cm->path_count = c % 3 + 1;
			cm->path = calloc(cm->path_count, sizeof(*cm->path));
			assert_non_null(cm->path);
			for (uint32_t k = 0; k < cm->path_count; k++)
				cm->path[k] = dup_str(k ? "inner" : "outer");
			cm->codec = (int32_t)c % 8;
			cm->num_values = c;
			cm->total_uncompressed_size = INT64_MAX - c;
			cm->total_compressed_size = c * 7;
			cm->data_page_offset = 4 + c;
			cm->has_index_page_offset = c % 2;
			cm->index_page_offset = 99;
			cm->has_dictionary_page_offset = c % 3 == 0;
			cm->dictionary_page_offset = 3;
			cm->has_statistics = c % 5 != 4;
			st->has_min_value = !!(c & 1);
			st->min_value = dup_bin(&lo, 8);
			st->min_value_len = 8;
			st->has_max_value = !!(c & 2);
			st->max_value = dup_bin(&hi, 8);
			st->max_value_len = 8;
			st->has_min = !!(c & 4);
			st->min = dup_bin("", 0); /* empty, not absent */
			st->min_len = 0;
			st->has_max = !!(c & 8);
			st->max = dup_bin("\0\xff", 2);
			st->max_len = 2;
			st->has_null_count = !!(c & 1);
			st->null_count = c;
			st->has_distinct_count = !!(c & 2);
			st->distinct_count = INT64_MAX;
		}
	}
	m.kv_count = 3;
	m.kv = calloc(3, sizeof(*m.kv));
	assert_non_null(m.kv);
	m.kv[0].key = dup_str("host");
	m.kv[0].value = dup_str("box1");
	m.kv[1].key = dup_str("absent");
	m.kv[2].key = dup_str("");
	m.kv[2].value = dup_str("");
	m.created_by = dup_str("vitals version 0.1.0");
	m.column_order_count = 4;
	m.column_orders = calloc(4, sizeof(*m.column_orders));
	assert_non_null(m.column_orders);
	m.column_orders[0] = 1;
	m.column_orders[2] = 1;

	assert_round_trip(&m);

	/* Nothing optional at all. */
	{
		struct pq_file_meta e = {.version = 1};

		assert_round_trip(&e);
	}
	pq_meta_release(&m);
	assert_null(m.schema);
	pq_meta_release(&m); /* safe twice */
}

/* ---- page headers -------------------------------------------------------- */

static void test_page_headers_real(void **state)
{
	static const char *const codecs[] = {"uncompressed", "snappy", "gzip", "zstd", "lz4_raw"};
	static const int32_t csizes[] = {2407, 1968, 515, 474, 1839};
	struct pq_page_header h;
	char err[256], name[96];
	size_t len, used;
	uint8_t *buf;

	(void)state;
	/* DuckDB, one OPTIONAL INT64 column of 300 values, PLAIN. */
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "parquet/pages/duckdb_%s.page", codecs[i]);
		buf = read_fixture(name, &len);
		assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
		assert_int_equal(h.type, PQ_PAGE_DATA);
		assert_int_equal(h.uncompressed_size, 2407);
		assert_int_equal(h.compressed_size, csizes[i]);
		assert_int_equal(used + (size_t)h.compressed_size, len);
		assert_int_equal(h.num_values, 300);
		assert_int_equal(h.encoding, PQ_ENC_PLAIN);
		assert_int_equal(h.def_level_encoding, PQ_ENC_RLE);
		assert_int_equal(h.rep_level_encoding, PQ_ENC_RLE);
		assert_false(h.has_crc);
		/* Every shorter prefix of the header asks for more bytes. */
		for (size_t n = 0; n < used; n++) {
			size_t u = 0;

			assert_int_equal(pq_page_header_decode(&h, buf, n, &u, err, sizeof(err)),
			                 VITALS_E_MISSING);
		}
		free(buf);
	}
	buf = read_fixture("parquet/pages/duckdb_dictionary_zstd.page", &len);
	assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
	assert_int_equal(h.type, PQ_PAGE_DICTIONARY);
	assert_int_equal(h.dict_num_values, 13);
	assert_int_equal(h.dict_encoding, PQ_ENC_PLAIN);
	assert_false(h.dict_is_sorted);
	assert_int_equal(used + (size_t)h.compressed_size, len);
	free(buf);
	/* hyparquet-writer, DATA_PAGE_V2 of an OPTIONAL string column. */
	buf = read_fixture("parquet/pages/hyparquet_v2_snappy.page", &len);
	assert_int_equal(pq_page_header_decode(&h, buf, len, &used, err, sizeof(err)), 0);
	assert_int_equal(h.type, PQ_PAGE_DATA_V2);
	assert_int_equal(h.num_values, 1000);
	assert_int_equal(h.num_rows, 1000);
	assert_int_equal(h.num_nulls, 200);
	assert_int_equal(h.encoding, PQ_ENC_RLE_DICTIONARY);
	assert_int_equal(h.def_levels_byte_length, 127);
	assert_int_equal(h.rep_levels_byte_length, 0);
	assert_true(h.is_compressed);
	assert_int_equal(used + (size_t)h.compressed_size, len);
	free(buf);
}

static void page_round_trip(const struct pq_page_header *h)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct pq_page_header again;
	char err[256] = "";
	const char *diff;
	size_t used = 0;

	assert_int_equal(pq_page_header_encode(h, &b), 0);
	/* Trailing page bytes are not part of the header. */
	bytebuf_append(&b, "\x00\xff\x15", 3);
	assert_int_equal(pq_page_header_decode(&again, b.p, b.len, &used, err, sizeof(err)), 0);
	assert_int_equal(used, b.len - 3);
	diff = pq_page_header_differs(h, &again);
	if (diff)
		fail_msg("page header round trip changed %s", diff);
	bytebuf_release(&b);
}

static void test_page_headers_round_trip(void **state)
{
	struct pq_page_header h;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DATA;
	h.uncompressed_size = INT32_MAX;
	h.compressed_size = 0;
	h.num_values = 131072;
	h.encoding = PQ_ENC_RLE_DICTIONARY;
	h.def_level_encoding = PQ_ENC_RLE;
	h.rep_level_encoding = PQ_ENC_BIT_PACKED;
	page_round_trip(&h);
	h.has_crc = 1;
	h.crc = INT32_MIN;
	page_round_trip(&h);

	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DICTIONARY;
	h.uncompressed_size = 100;
	h.compressed_size = 50;
	h.dict_num_values = 7;
	h.dict_encoding = PQ_ENC_PLAIN_DICTIONARY;
	page_round_trip(&h);
	h.dict_is_sorted = 1;
	page_round_trip(&h);

	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DATA_V2;
	h.uncompressed_size = 1000;
	h.compressed_size = 600;
	h.num_values = 90;
	h.num_nulls = 9;
	h.num_rows = 90;
	h.encoding = PQ_ENC_DELTA_BINARY_PACKED;
	h.def_levels_byte_length = 20;
	h.rep_levels_byte_length = 3;
	h.is_compressed = 0;
	page_round_trip(&h);
	h.is_compressed = 1;
	page_round_trip(&h);

	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_INDEX;
	h.uncompressed_size = 5;
	h.compressed_size = 5;
	page_round_trip(&h);
}

static int decode_page(const void *p, size_t n, struct pq_page_header *h, char *err, size_t errlen)
{
	size_t used;

	err[0] = 0;
	return pq_page_header_decode(h, p, n, &used, err, errlen);
}

static void test_page_headers_bad(void **state)
{
	struct pq_page_header h;
	char err[256];

	(void)state;
	/* type DATA_PAGE, sizes 10 and 10, no data_page_header. */
	{
		static const uint8_t p[] = {0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "PageHeader of a DATA_PAGE has no data_page_header");
	}
	/* compressed_page_size -1. */
	{
		static const uint8_t p[] = {0x15, 0x00, 0x15, 0x14, 0x15, 0x01, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "PageHeader.compressed_page_size is negative (-1)");
	}
	/* no compressed_page_size. */
	{
		static const uint8_t p[] = {0x15, 0x00, 0x15, 0x14, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "PageHeader has no compressed_page_size");
	}
	/* DataPageHeader without encoding. */
	{
		static const uint8_t p[] = {0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x2c, 0x15,
		                            0x02, 0x25, 0x06, 0x15, 0x06, 0x00, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "DataPageHeader has no encoding");
	}
	/* DataPageHeaderV2 whose levels are longer than the page. */
	{
		struct pq_page_header v2 = {.type = PQ_PAGE_DATA_V2,
		                            .uncompressed_size = 100,
		                            .compressed_size = 10,
		                            .num_values = 5,
		                            .def_levels_byte_length = 8,
		                            .rep_levels_byte_length = 8,
		                            .is_compressed = 1};
		struct bytebuf b = BYTEBUF_INIT;

		assert_int_equal(pq_page_header_encode(&v2, &b), 0);
		assert_int_equal(decode_page(b.p, b.len, &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "DataPageHeaderV2 levels take 16 bytes of a page of 10");
		bytebuf_release(&b);
		v2.def_levels_byte_length = 2;
		v2.rep_levels_byte_length = 0;
		v2.num_nulls = 6;
		b = (struct bytebuf)BYTEBUF_INIT;
		assert_int_equal(pq_page_header_encode(&v2, &b), 0);
		assert_int_equal(decode_page(b.p, b.len, &h, err, sizeof(err)), VITALS_E_PARSE);
		assert_string_equal(err, "DataPageHeaderV2 has 6 nulls in 5 values");
		bytebuf_release(&b);
	}
	/* A page type of a later format, with its header skipped. */
	{
		static const uint8_t p[] = {0x15, 0x0e, 0x15, 0x14, 0x15, 0x14,
		                            0x9c, 0x15, 0x02, 0x00, 0x00};
		size_t used;

		assert_int_equal(pq_page_header_decode(&h, p, sizeof(p), &used, err, sizeof(err)),
		                 0);
		assert_int_equal(h.type, 7);
		assert_int_equal(used, sizeof(p));
	}
	/* An unknown field of a list longer than the bytes left asks for more bytes. */
	{
		static const uint8_t p[] = {0x15, 0x06, 0x15, 0xec, 0x0d, 0x15, 0xee,
		                            0x03, 0x09, 0x00, 0x5c, 0x15, 0x30, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), VITALS_E_MISSING);
		assert_string_equal(err, "PageHeader: list longer than the bytes left");
	}
	/* Statistics inside a data page header are skipped. */
	{
		static const uint8_t p[] = {0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x2c, 0x15, 0x02,
		                            0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x1c, 0x18, 0x02,
		                            'z',  'z',  0x16, 0x04, 0x00, 0x00, 0x00};

		assert_int_equal(decode_page(p, sizeof(p), &h, err, sizeof(err)), 0);
		assert_int_equal(h.num_values, 1);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(pq_encoding_name(PQ_ENC_PLAIN), "PLAIN");
	assert_string_equal(pq_encoding_name(PQ_ENC_PLAIN_DICTIONARY), "PLAIN_DICTIONARY");
	assert_string_equal(pq_encoding_name(PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY");
	assert_string_equal(pq_encoding_name(PQ_ENC_BYTE_STREAM_SPLIT), "BYTE_STREAM_SPLIT");
	assert_string_equal(pq_encoding_name(PQ_ENC_DELTA_BYTE_ARRAY), "DELTA_BYTE_ARRAY");
	assert_string_equal(pq_encoding_name(1), "?");
	assert_string_equal(pq_encoding_name(-1), "?");
	assert_string_equal(pq_encoding_name(10), "?");
	assert_string_equal(pq_physical_name(PQ_BOOLEAN), "BOOLEAN");
	assert_string_equal(pq_physical_name(PQ_INT96), "INT96");
	assert_string_equal(pq_physical_name(PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY");
	assert_string_equal(pq_physical_name(8), "?");
	assert_string_equal(pq_physical_name(-1), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duckdb_footer),
	    cmocka_unit_test(test_duckdb_v2_footer),
	    cmocka_unit_test(test_hyparquet_footer),
	    cmocka_unit_test(test_footer_truncated_and_flipped),
	    cmocka_unit_test(test_built_plain_unknown_dup),
	    cmocka_unit_test(test_built_missing),
	    cmocka_unit_test(test_built_negative_and_wrong_type),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_round_trip_everything),
	    cmocka_unit_test(test_page_headers_real),
	    cmocka_unit_test(test_page_headers_round_trip),
	    cmocka_unit_test(test_page_headers_bad),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
