/*
 * The Parquet reader against files written by DuckDB and hyparquet-writer
 * in many configurations and files assembled page by page: every value is
 * compared with the expected CSV beside the file (see
 * tests/fixtures/parquet/make-fixtures.mjs for its canonical text).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vitals/store.h>

#include "testutil.h"
#include "store/pqmeta.h"

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("create %s: %s", path, strerror(errno));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* Split LINE (modified) at commas into at most MAX fields; returns the count. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;

	fields[n++] = line;
	for (char *p = line; *p && n < max; p++) {
		if (*p == ',') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	}
	return n;
}

/* Compare value ROW of column COL of B with its canonical text TEXT. */
static void check_value(const char *file, const struct vitals_batch *b, size_t col, size_t row,
                        size_t file_row, const char *text)
{
	const struct vitals_field *f = &b->schema.fields[col];
	const struct vitals_column *c = &b->cols[col];
	int null = strcmp(text, "\\N") == 0;
	char hex[8192];

	if (null != !vitals_batch_is_valid(b, col, row))
		fail_msg("%s row %zu column %s: null is %d, expected %s", file, file_row, f->name,
		         !vitals_batch_is_valid(b, col, row), text);
	if (null) {
		/* The value slot of a null is zero or empty. */
		if (c->type == VITALS_TYPE_STRING)
			assert_int_equal(c->v.off[row + 1], c->v.off[row]);
		else if (c->type == VITALS_TYPE_INT32)
			assert_int_equal(c->v.i32[row], 0);
		else if (c->type == VITALS_TYPE_BOOL)
			assert_int_equal(c->v.b[row], 0);
		else
			assert_int_equal(c->v.i64[row], 0);
		return;
	}
	switch (c->type) {
	case VITALS_TYPE_BOOL:
		if (c->v.b[row] != (strcmp(text, "true") == 0))
			fail_msg("%s row %zu column %s: %d, expected %s", file, file_row, f->name,
			         c->v.b[row], text);
		break;
	case VITALS_TYPE_INT32:
		if (c->v.i32[row] != (int32_t)strtoll(text, NULL, 10))
			fail_msg("%s row %zu column %s: %" PRId32 ", expected %s", file, file_row,
			         f->name, c->v.i32[row], text);
		break;
	case VITALS_TYPE_INT64:
	case VITALS_TYPE_TIMESTAMP: {
		int64_t want = text[0] == '-' ? (int64_t)strtoll(text, NULL, 10)
		                              : (int64_t)strtoull(text, NULL, 10);
		if (c->v.i64[row] != want)
			fail_msg("%s row %zu column %s: %" PRId64 ", expected %s", file, file_row,
			         f->name, c->v.i64[row], text);
		break;
	}
	case VITALS_TYPE_DOUBLE: {
		double want = strtod(text, NULL), got = c->v.f64[row];
		int ok;
		if (isnan(want))
			ok = isnan(got);
		else if (strncmp(f->name, "dec", 3) == 0 || strcmp(f->name, "price") == 0)
			ok = fabs(got - want) <= 1e-15 * fabs(want);
		else
			ok = got == want;
		if (!ok)
			fail_msg("%s row %zu column %s: %.17g, expected %s", file, file_row,
			         f->name, got, text);
		break;
	}
	case VITALS_TYPE_STRING: {
		size_t len, n = 0;
		const char *s = vitals_batch_string(b, col, row, &len);
		assert_true(len * 2 < sizeof(hex));
		for (size_t i = 0; i < len; i++)
			n +=
			    (size_t)snprintf(hex + n, sizeof(hex) - n, "%02X", (unsigned char)s[i]);
		hex[n] = '\0';
		if (strcmp(hex, text) != 0)
			fail_msg("%s row %zu column %s: %s, expected %s", file, file_row, f->name,
			         hex, text);
		break;
	}
	}
}

/*
 * Read fixture NAME.parquet with O and compare every value with NAME.csv.
 * Returns the number of batches read.
 */
static size_t check_fixture_with(const char *name, const struct vitals_read_options *o)
{
	char path[4096], csvpath[4096], err[512], *csv, *line, *save = NULL;
	char *header[64], *fields[64];
	int map[64];
	size_t len, ncols, rows = 0, batches = 0, mapped = 0;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	const struct vitals_schema *s;
	int rc;

	snprintf(path, sizeof(path), "%s", tu_fixture(name));
	snprintf(csvpath, sizeof(csvpath), "%.*s.csv", (int)(strlen(path) - 8), path);
	csv = tu_slurp(csvpath, &len);
	rc = vitals_reader_open(&r, path, o, err, sizeof(err));
	if (rc != 0)
		fail_msg("%s: %s", name, err);
	assert_int_equal(vitals_reader_format(r), VITALS_FORMAT_PARQUET);
	s = vitals_reader_schema(r);
	line = strtok_r(csv, "\n", &save);
	assert_non_null(line);
	ncols = split(line, header, 64);
	memcpy(fields, header, sizeof(header));
	for (size_t i = 0; i < ncols; i++) {
		map[i] = vitals_schema_find(s, header[i]);
		if (map[i] < 0 && !(o && o->columns))
			fail_msg("%s: no column '%s' read", name, header[i]);
		mapped += map[i] >= 0;
	}
	assert_int_equal(mapped, s->count);
	while ((rc = vitals_reader_next(r, &b)) == 1) {
		batches++;
		for (size_t row = 0; row < b->rows; row++, rows++) {
			line = strtok_r(NULL, "\n", &save);
			if (!line)
				fail_msg("%s: more rows read than expected (%zu)", name, rows);
			if (split(line, fields, 64) != ncols)
				fail_msg("%s: line %zu of the CSV has the wrong field count", name,
				         rows + 2);
			for (size_t i = 0; i < ncols; i++)
				if (map[i] >= 0)
					check_value(name, b, (size_t)map[i], row, rows, fields[i]);
		}
	}
	if (rc != 0)
		fail_msg("%s: %s", name, vitals_reader_errmsg(r));
	if (strtok_r(NULL, "\n", &save))
		fail_msg("%s: fewer rows read (%zu) than expected", name, rows);
	assert_int_equal(vitals_reader_row_count(r), (int64_t)rows);
	vitals_reader_close(r);
	free(csv);
	return batches;
}

static size_t check_fixture(const char *name)
{
	return check_fixture_with(name, NULL);
}

static void test_duckdb_codecs(void **state)
{
	static const char *const files[] = {
	    "parquet/duckdb-none.parquet",   "parquet/duckdb-snappy.parquet",
	    "parquet/duckdb-gzip.parquet",   "parquet/duckdb-zstd.parquet",
	    "parquet/duckdb-lz4raw.parquet",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		assert_int_equal(check_fixture(files[i]), 3); /* three row groups each */
}

static void test_duckdb_dictionary_and_v2(void **state)
{
	(void)state;
	assert_int_equal(check_fixture("parquet/duckdb-nodict.parquet"), 3);
	assert_int_equal(check_fixture("parquet/duckdb-v2.parquet"), 3);
	assert_int_equal(check_fixture("parquet/duckdb-v2-nodict.parquet"), 3);
	check_fixture("parquet/duckdb-small.parquet");
	assert_int_equal(check_fixture("parquet/duckdb-time.parquet"), 4);
}

static void test_hyparquet_files(void **state)
{
	(void)state;
	check_fixture("parquet/hyparquet-plain.parquet");
	check_fixture("parquet/hyparquet-delta.parquet");
	check_fixture("parquet/hyparquet-bssint.parquet");
	check_fixture("parquet/hyparquet-dict.parquet");
}

static void test_crafted_files(void **state)
{
	(void)state;
	check_fixture("parquet/crafted-int96.parquet");
	check_fixture("parquet/crafted-legacy.parquet");
	check_fixture("parquet/crafted-v2mix.parquet");
}

static void expect_field(const struct vitals_schema *s, const char *name, enum vitals_type t,
                         int nullable)
{
	int i = vitals_schema_find(s, name);

	if (i < 0)
		fail_msg("no field %s", name);
	if (s->fields[i].type != t || s->fields[i].nullable != nullable)
		fail_msg("field %s: %s%s, expected %s%s", name,
		         s->fields[i].nullable ? "nullable " : "",
		         vitals_type_name(s->fields[i].type), nullable ? "nullable " : "",
		         vitals_type_name(t));
}

static void test_type_mapping(void **state)
{
	struct vitals_reader *r;
	const struct vitals_schema *s;
	char err[512];

	(void)state;
	assert_int_equal(vitals_reader_open(&r, tu_fixture("parquet/duckdb-zstd.parquet"), NULL,
	                                    err, sizeof(err)),
	                 0);
	s = vitals_reader_schema(r);
	expect_field(s, "b", VITALS_TYPE_BOOL, 1);
	expect_field(s, "i8", VITALS_TYPE_INT32, 1);
	expect_field(s, "i16", VITALS_TYPE_INT32, 1);
	expect_field(s, "i32", VITALS_TYPE_INT32, 1);
	expect_field(s, "i64", VITALS_TYPE_INT64, 1);
	expect_field(s, "u8", VITALS_TYPE_INT32, 1);
	expect_field(s, "u16", VITALS_TYPE_INT32, 1);
	expect_field(s, "u32", VITALS_TYPE_INT64, 1);
	expect_field(s, "u64", VITALS_TYPE_INT64, 1);
	expect_field(s, "f", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "d", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "dec4", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "dec18", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "dec38", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "s", VITALS_TYPE_STRING, 1);
	expect_field(s, "bin", VITALS_TYPE_STRING, 1);
	expect_field(s, "uid", VITALS_TYPE_STRING, 1);
	expect_field(s, "ts", VITALS_TYPE_TIMESTAMP, 1);
	expect_field(s, "ts_ms", VITALS_TYPE_TIMESTAMP, 1);
	expect_field(s, "ts_ns", VITALS_TYPE_TIMESTAMP, 1);
	expect_field(s, "tstz", VITALS_TYPE_TIMESTAMP, 1);
	expect_field(s, "dt", VITALS_TYPE_INT32, 1);
	assert_int_equal(vitals_reader_row_count(r), 300);
	vitals_reader_close(r);

	assert_int_equal(vitals_reader_open(&r, tu_fixture("parquet/hyparquet-dict.parquet"), NULL,
	                                    err, sizeof(err)),
	                 0);
	s = vitals_reader_schema(r);
	expect_field(s, "id", VITALS_TYPE_INT32, 0);
	expect_field(s, "level", VITALS_TYPE_DOUBLE, 0);
	expect_field(s, "stamp", VITALS_TYPE_TIMESTAMP, 0);
	expect_field(s, "half", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "uid", VITALS_TYPE_STRING, 1);
	assert_string_equal(vitals_reader_meta(r, "host"), "fixture-host");
	assert_string_equal(vitals_reader_meta(r, "empty"), "");
	assert_null(vitals_reader_meta(r, "nothing"));
	vitals_reader_close(r);

	assert_int_equal(vitals_reader_open(&r, tu_fixture("parquet/crafted-int96.parquet"), NULL,
	                                    err, sizeof(err)),
	                 0);
	expect_field(vitals_reader_schema(r), "id", VITALS_TYPE_INT32, 0);
	expect_field(vitals_reader_schema(r), "ts", VITALS_TYPE_TIMESTAMP, 1);
	vitals_reader_close(r);
}

static void expect_open_error(const char *fixture, const struct vitals_read_options *o, int status,
                              const char *message)
{
	struct vitals_reader *r = NULL;
	char err[512], want[1024];
	const char *path = tu_fixture(fixture);
	int rc;

	snprintf(want, sizeof(want), "%s: %s", path, message);
	rc = vitals_reader_open(&r, path, o, err, sizeof(err));
	assert_null(r);
	if (rc != status || strcmp(err, want) != 0)
		fail_msg("%s: status %d \"%s\", expected %d \"%s\"", fixture, rc, err, status,
		         want);
}

static void test_nested_refused(void **state)
{
	(void)state;
	expect_open_error("parquet/duckdb-nested.parquet", NULL, VITALS_E_UNSUPPORTED,
	                  "column 'l.list.element': nested columns are not supported");
	expect_open_error("parquet/duckdb-struct.parquet", NULL, VITALS_E_UNSUPPORTED,
	                  "column 'st.a': nested columns are not supported");
}

static void test_projection(void **state)
{
	static const char *const cols[] = {"value", "time"};
	static const char *const missing[] = {"time", "nope"};
	static const char *const twice[] = {"name", "name"};
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	const struct vitals_schema *s;
	char err[512];
	size_t rows = 0;

	(void)state;
	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = 2;
	assert_int_equal(
	    vitals_reader_open(&r, tu_fixture("parquet/duckdb-time.parquet"), &o, err, sizeof(err)),
	    0);
	s = vitals_reader_schema(r);
	assert_int_equal(s->count, 2);
	assert_string_equal(s->fields[0].name, "value");
	assert_int_equal(s->fields[0].type, VITALS_TYPE_DOUBLE);
	assert_string_equal(s->fields[1].name, "time");
	assert_int_equal(s->fields[1].type, VITALS_TYPE_TIMESTAMP);
	while (vitals_reader_next(r, &b) == 1) {
		for (size_t i = 0; i < b->rows; i++, rows++) {
			assert_true(b->cols[0].v.f64[i] == (double)rows * 0.25);
			assert_int_equal(b->cols[1].v.i64[i],
			                 INT64_C(1767225600000000) + (int64_t)rows * 60000000);
		}
	}
	assert_int_equal(rows, 400);
	vitals_reader_close(r);
	/* Every column, projected in another order, still agrees with the CSV. */
	check_fixture_with("parquet/duckdb-time.parquet", &o);

	o.columns = missing;
	expect_open_error("parquet/duckdb-time.parquet", &o, VITALS_E_INVAL, "no column 'nope'");
	o.columns = twice;
	expect_open_error("parquet/duckdb-time.parquet", &o, VITALS_E_INVAL,
	                  "column 'name' is asked for twice");
}

/* Overwrite the column chunks of the file in BUF, of GROUPS row groups, but those of KEEP. */
static void damage_row_groups(char *buf, size_t len, uint32_t groups, uint32_t keep)
{
	struct pq_file_meta m;
	char err[512];
	uint32_t flen;

	memcpy(&flen, buf + len - 8, 4);
	assert_int_equal(
	    pq_meta_decode(&m, (uint8_t *)buf + len - 8 - flen, flen, err, sizeof(err)), 0);
	assert_int_equal(m.row_group_count, groups);
	for (uint32_t g = 0; g < m.row_group_count; g++) {
		if (g == keep)
			continue;
		for (uint32_t c = 0; c < m.row_groups[g].column_count; c++) {
			const struct pq_column_meta *cm = &m.row_groups[g].columns[c].meta;
			int64_t start = cm->data_page_offset;
			if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
			    cm->dictionary_page_offset < start)
				start = cm->dictionary_page_offset;
			memset(buf + start, 0xa5, (size_t)cm->total_compressed_size);
		}
	}
	pq_meta_release(&m);
}

/* Rows of duckdb-time.parquet whose time lies in [FROM, TO], read with those bounds. */
static int64_t read_range(const char *path, int64_t from, int64_t to, int *status, char *err,
                          size_t errlen)
{
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	int64_t rows = 0;
	int rc;

	vitals_read_options_init(&o);
	o.from = from;
	o.to = to;
	rc = vitals_reader_open(&r, path, &o, err, errlen);
	if (rc != 0) {
		*status = rc;
		return -1;
	}
	while ((rc = vitals_reader_next(r, &b)) == 1) {
		int t = vitals_schema_find(&b->schema, "time");
		for (size_t i = 0; i < b->rows; i++)
			assert_true(b->cols[t].v.i64[i] >= from && b->cols[t].v.i64[i] <= to);
		rows += (int64_t)b->rows;
	}
	*status = rc;
	if (rc < 0)
		snprintf(err, errlen, "%s", vitals_reader_errmsg(r));
	vitals_reader_close(r);
	return rows;
}

static void test_pruning(void **state)
{
	const int64_t t0 = INT64_C(1767225600000000), minute = 60000000;
	char *dir = tu_tmpdir(), copy[4096], err[512], *buf;
	size_t len;
	int status;

	(void)state;
	/* Rows 110..120 lie in the second row group (rows 100..199). */
	assert_int_equal(read_range(tu_fixture("parquet/duckdb-time.parquet"), t0 + 110 * minute,
	                            t0 + 120 * minute, &status, err, sizeof(err)),
	                 11);
	assert_int_equal(status, 0);

	/* Only 'value', bounded by the time column it does not return. */
	{
		static const char *const cols[] = {"value"};
		struct vitals_read_options o;
		struct vitals_reader *r;
		const struct vitals_batch *b;
		int64_t rows = 0;

		vitals_read_options_init(&o);
		o.columns = cols;
		o.column_count = 1;
		o.from = t0 + 110 * minute;
		o.to = t0 + 120 * minute;
		assert_int_equal(vitals_reader_open(&r, tu_fixture("parquet/duckdb-time.parquet"),
		                                    &o, err, sizeof(err)),
		                 0);
		assert_int_equal(vitals_reader_schema(r)->count, 1);
		while (vitals_reader_next(r, &b) == 1) {
			assert_int_equal(b->schema.count, 1);
			for (size_t i = 0; i < b->rows; i++, rows++)
				assert_true(b->cols[0].v.f64[i] == (110 + rows) * 0.25);
		}
		assert_int_equal(rows, 11);
		vitals_reader_close(r);
	}

	/* Destroy every column chunk of the other row groups in a copy. */
	buf = tu_slurp(tu_fixture("parquet/duckdb-time.parquet"), &len);
	damage_row_groups(buf, len, 4, 1);
	snprintf(copy, sizeof(copy), "%s/pruned.parquet", dir);
	spit(copy, buf, len);
	free(buf);

	assert_int_equal(
	    read_range(copy, t0 + 110 * minute, t0 + 120 * minute, &status, err, sizeof(err)), 11);
	assert_int_equal(status, 0);
	/* Exactly at the row group's bounds: still only the second one is read. */
	assert_int_equal(
	    read_range(copy, t0 + 100 * minute, t0 + 199 * minute, &status, err, sizeof(err)), 100);
	assert_int_equal(status, 0);
	/* A range that touches the first row group reads it, and finds the damage. */
	read_range(copy, t0 + 99 * minute, t0 + 120 * minute, &status, err, sizeof(err));
	assert_true(status < 0);
	assert_non_null(strstr(err, "row group 0, column 'time'"));
	/* Reading everything fails too, naming the file. */
	read_range(copy, INT64_MIN, INT64_MAX, &status, err, sizeof(err));
	assert_true(status < 0);
	assert_true(strncmp(err, copy, strlen(copy)) == 0);
	tu_rmrf(dir);
	free(dir);
}

static const struct vitals_chunk_info *chunk(const struct vitals_file_info *info, size_t g,
                                             const char *name)
{
	int i = vitals_schema_find(info->schema, name);

	assert_true(i >= 0);
	return &info->row_groups[g].columns[i];
}

static void test_describe(void **state)
{
	struct vitals_file_info *info;
	const struct vitals_chunk_info *ci;
	char err[512];
	int i;

	(void)state;
	assert_int_equal(vitals_file_describe(&info, tu_fixture("parquet/duckdb-time.parquet"), err,
	                                      sizeof(err)),
	                 0);
	assert_int_equal(info->format, VITALS_FORMAT_PARQUET);
	assert_int_equal(info->rows, 400);
	assert_int_equal(info->row_group_count, 4);
	assert_int_equal(info->schema->count, 3);
	assert_non_null(info->created_by);
	assert_non_null(strstr(info->created_by, "DuckDB"));
	i = vitals_schema_find(info->schema, "time");
	assert_string_equal(info->fields[i].physical, "INT64");
	assert_string_equal(info->fields[i].logical, "TIMESTAMP(MICROS,LOCAL)");
	i = vitals_schema_find(info->schema, "name");
	assert_string_equal(info->fields[i].physical, "BYTE_ARRAY");
	assert_string_equal(info->fields[i].logical, "STRING");
	ci = chunk(info, 2, "time");
	assert_string_equal(ci->codec, "zstd");
	assert_int_equal(ci->values, 100);
	assert_int_equal(ci->null_count, 0);
	assert_true(ci->has_int_stats);
	assert_int_equal(ci->min_i, INT64_C(1767225600000000) + 200 * INT64_C(60000000));
	assert_int_equal(ci->max_i, INT64_C(1767225600000000) + 299 * INT64_C(60000000));
	assert_string_equal(ci->min, "2026-01-01T03:20:00Z");
	assert_string_equal(ci->max, "2026-01-01T04:59:00Z");
	assert_true(ci->compressed > 0 && ci->uncompressed > 0);
	assert_true(info->row_groups[2].compressed >= ci->compressed);
	ci = chunk(info, 0, "name");
	assert_string_equal(ci->min, "host-0");
	assert_string_equal(ci->max, "host-2");
	assert_false(ci->has_int_stats);
	ci = chunk(info, 3, "value");
	assert_string_equal(ci->min, "75");
	assert_string_equal(ci->max, "99.75");
	vitals_file_info_free(info);

	assert_int_equal(vitals_file_describe(&info, tu_fixture("parquet/hyparquet-dict.parquet"),
	                                      err, sizeof(err)),
	                 0);
	assert_int_equal(info->format_version, 2);
	assert_int_equal(info->meta_count, 2);
	assert_string_equal(info->meta[0].key, "host");
	assert_string_equal(info->meta[0].value, "fixture-host");
	i = vitals_schema_find(info->schema, "uid");
	assert_string_equal(info->fields[i].physical, "FIXED_LEN_BYTE_ARRAY(16)");
	assert_string_equal(info->fields[i].logical, "UUID");
	i = vitals_schema_find(info->schema, "half");
	assert_string_equal(info->fields[i].logical, "FLOAT16");
	ci = chunk(info, 0, "kind");
	assert_non_null(strstr(ci->encodings, "RLE_DICTIONARY"));
	assert_string_equal(ci->codec, "snappy");
	assert_int_equal(info->row_groups[0].rows, 50);
	assert_int_equal(info->row_groups[1].rows, 100);
	vitals_file_info_free(info);

	/* Deprecated statistics and a string cut and escaped. */
	assert_int_equal(vitals_file_describe(&info, tu_fixture("parquet/crafted-legacy.parquet"),
	                                      err, sizeof(err)),
	                 0);
	ci = chunk(info, 0, "ms");
	assert_true(ci->has_int_stats);
	assert_int_equal(ci->null_count, 4);
	assert_true(ci->min_i < ci->max_i);
	i = vitals_schema_find(info->schema, "ms");
	assert_string_equal(info->fields[i].logical, "TIMESTAMP(MILLIS,UTC)");
	assert_null(info->fields[vitals_schema_find(info->schema, "split")].logical);
	vitals_file_info_free(info);
}

/* Rows of crafted-pandas.parquet at PATH read within [FROM, TO]; -1 on an error. */
static int64_t pandas_range(const char *path, int64_t from, int64_t to)
{
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	int64_t rows = 0;
	int rc;

	vitals_read_options_init(&o);
	o.from = from;
	o.to = to;
	if (vitals_reader_open(&r, path, &o, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	while ((rc = vitals_reader_next(r, &b)) == 1) {
		int t = vitals_schema_find(&b->schema, "timestamp");
		assert_true(t >= 0);
		for (size_t i = 0; i < b->rows; i++)
			assert_true(b->cols[t].v.i64[i] >= from && b->cols[t].v.i64[i] <= to);
		rows += (int64_t)b->rows;
	}
	vitals_reader_close(r);
	return rc == 0 ? rows : -1;
}

/*
 * What pandas writes through pyarrow (df.to_parquet) for the Python tracer's
 * frames: every column nullable and dictionary-encoded, SNAPPY, a local-time
 * TIMESTAMP(NANOS) read as microseconds, the index stored as a trailing
 * __index_level_0__ column, and the pandas document kept whole.
 */
static void test_pandas_file(void **state)
{
	/* The first sample, 2024-03-14 09:26:53.589793238 local, in microseconds. */
	const int64_t t0 = INT64_C(1710408413589793), second = 1000000;
	const char *path = tu_fixture("parquet/crafted-pandas.parquet"), *doc, *end;
	struct vitals_reader *r;
	struct vitals_file_info *info;
	const struct vitals_chunk_info *ci;
	const struct vitals_schema *s;
	char *dir, copy[4096], err[512], want[256], *buf;
	size_t len;
	int i;

	(void)state;
	assert_int_equal(check_fixture("parquet/crafted-pandas.parquet"), 2);

	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	s = vitals_reader_schema(r);
	assert_int_equal(s->count, 8);
	expect_field(s, "timestamp", VITALS_TYPE_TIMESTAMP, 1);
	expect_field(s, "pid", VITALS_TYPE_INT64, 1);
	expect_field(s, "name", VITALS_TYPE_STRING, 1);
	expect_field(s, "cpu_percent", VITALS_TYPE_DOUBLE, 1);
	expect_field(s, "memory_rss", VITALS_TYPE_INT64, 1);
	expect_field(s, "num_fds", VITALS_TYPE_INT64, 1);
	expect_field(s, "system_cpu_percent", VITALS_TYPE_DOUBLE, 1);
	assert_int_equal(vitals_schema_find(s, "__index_level_0__"), 7);
	expect_field(s, "__index_level_0__", VITALS_TYPE_INT64, 1);
	/* The pandas document, whole: it names every column read. */
	doc = vitals_reader_meta(r, "pandas");
	assert_non_null(doc);
	assert_true(strncmp(doc, "{\"index_columns\": [\"__index_level_0__\"], ", 41) == 0);
	end = "\"creator\": {\"library\": \"pyarrow\", \"version\": \"14.0.2\"}, "
	      "\"pandas_version\": \"2.1.4\"}";
	assert_true(strlen(doc) > strlen(end));
	assert_string_equal(doc + strlen(doc) - strlen(end), end);
	for (size_t k = 0; k < s->count; k++) {
		snprintf(want, sizeof(want), "\"field_name\": \"%s\"", s->fields[k].name);
		if (!strstr(doc, want))
			fail_msg("pandas document: no %s", want);
	}
	assert_non_null(strstr(doc, "\"numpy_type\": \"datetime64[ns]\""));
	assert_non_null(vitals_reader_meta(r, "ARROW:schema"));
	assert_true(strncmp(vitals_reader_meta(r, "ARROW:schema"), "/////", 5) == 0);
	vitals_reader_close(r);

	assert_int_equal(vitals_file_describe(&info, path, err, sizeof(err)), 0);
	assert_string_equal(info->created_by, "parquet-cpp-arrow version 14.0.2");
	assert_int_equal(info->format_version, 2);
	assert_int_equal(info->rows, 37);
	assert_int_equal(info->row_group_count, 2);
	assert_int_equal(info->row_groups[0].rows, 20);
	assert_int_equal(info->row_groups[1].rows, 17);
	i = vitals_schema_find(info->schema, "timestamp");
	assert_string_equal(info->fields[i].physical, "INT64");
	assert_string_equal(info->fields[i].logical, "TIMESTAMP(NANOS,LOCAL)");
	i = vitals_schema_find(info->schema, "name");
	assert_string_equal(info->fields[i].logical, "STRING");
	ci = chunk(info, 0, "name");
	assert_string_equal(ci->encodings, "PLAIN,RLE,RLE_DICTIONARY");
	assert_string_equal(ci->codec, "snappy");
	assert_string_equal(ci->min, "Xorg");
	assert_string_equal(ci->max, "systemd");
	/* Nanosecond statistics, floored to microseconds like the values. */
	ci = chunk(info, 0, "timestamp");
	assert_true(ci->has_int_stats);
	assert_int_equal(ci->min_i, t0);
	assert_int_equal(ci->max_i, t0 + 8 * second);
	ci = chunk(info, 1, "timestamp");
	assert_int_equal(ci->min_i, t0 + 8 * second);
	assert_int_equal(ci->max_i, t0 + 14 * second);
	assert_int_equal(chunk(info, 0, "cpu_percent")->null_count, 4);
	assert_int_equal(chunk(info, 0, "num_fds")->null_count, 10);
	assert_int_equal(chunk(info, 1, "num_fds")->null_count, 6);
	vitals_file_info_free(info);

	/* A time range: the sample at 8 s lies across both row groups. */
	assert_int_equal(pandas_range(path, t0 + 8 * second, t0 + 8 * second), 5);
	assert_int_equal(pandas_range(path, t0 + 8 * second + 1, INT64_MAX), 15);
	/* With the first row group destroyed, a range after it still reads: its
	 * statistics exclude it. */
	dir = tu_tmpdir();
	buf = tu_slurp(path, &len);
	damage_row_groups(buf, len, 2, 1);
	snprintf(copy, sizeof(copy), "%s/pandas.parquet", dir);
	spit(copy, buf, len);
	free(buf);
	assert_int_equal(pandas_range(copy, t0 + 8 * second + 1, INT64_MAX), 15);
	assert_int_equal(pandas_range(copy, t0 + 8 * second, INT64_MAX), -1);
	tu_rmrf(dir);
	free(dir);
}

static void test_reuse_after_end(void **state)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	size_t rows = 0;

	(void)state;
	assert_int_equal(vitals_reader_open(&r, tu_fixture("parquet/duckdb-small.parquet"), NULL,
	                                    err, sizeof(err)),
	                 0);
	while (vitals_reader_next(r, &b) == 1)
		rows += b->rows;
	assert_int_equal(rows, 24);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	vitals_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duckdb_codecs),   cmocka_unit_test(test_duckdb_dictionary_and_v2),
	    cmocka_unit_test(test_hyparquet_files), cmocka_unit_test(test_crafted_files),
	    cmocka_unit_test(test_type_mapping),    cmocka_unit_test(test_nested_refused),
	    cmocka_unit_test(test_projection),      cmocka_unit_test(test_pruning),
	    cmocka_unit_test(test_describe),        cmocka_unit_test(test_pandas_file),
	    cmocka_unit_test(test_reuse_after_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
