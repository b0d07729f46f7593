/*
 * CSV trace files: random batches of every type and null pattern written
 * and read back value for value (given types and inferred ones), the exact
 * text the writer makes, RFC 4180 quoting on reading, type inference from
 * hand-written files, and every error message naming the file, the line
 * and the column.
 */
#include "texttest.h"

#include <unistd.h>

static char *csv_path(const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", tu_dir, name) > 0);
	return path;
}

static void round_trip(size_t rows, enum tt_nulls nulls, size_t batch_rows)
{
	struct tt_gen g = {.utf8_only = 0, .extreme_ts = 1, .nulls = nulls};
	struct vitals_schema s;
	struct vitals_batch *b, *back;
	char *path = csv_path("rt.csv");

	tt_schema_all(&s);
	b = tt_random_batch(&s, rows, &g);
	tt_write(path, b);
	back = tt_read(path, &s, batch_rows);
	assert_true(vitals_schema_equal(&back->schema, &s));
	tt_compare(b, back);
	vitals_batch_free(back);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(path);
}

static void test_round_trip(void **state)
{
	static const size_t sizes[] = {0, 1, 2, 999, 1000, 1001, 2500};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		round_trip(sizes[i], TT_NULL_MODES, 1000);
	for (int mode = 0; mode < TT_NULL_MODES; mode++)
		round_trip(300, (enum tt_nulls)mode, 7);
	round_trip(5, TT_RANDOM, 1);
}

/* Without given types, values that can only be read one way come back with their type. */
static void test_round_trip_inferred(void **state)
{
	struct tt_gen g = {.extreme_ts = 0, .inferable = 1, .nulls = TT_RANDOM};
	struct vitals_schema s;
	struct vitals_batch *b, *back;
	char *path = csv_path("inferred.csv");

	(void)state;
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "time", VITALS_TYPE_TIMESTAMP, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "flag", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "count", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "ratio", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "name", VITALS_TYPE_STRING, 1), 0);
	b = tt_random_batch(&s, 1500, &g);
	tt_write(path, b);
	back = tt_read(path, NULL, 65536);
	assert_true(vitals_schema_equal(&back->schema, &s));
	tt_compare(b, back);
	vitals_batch_free(back);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(path);
}

static void test_writer_text(void **state)
{
	struct vitals_schema s;
	struct vitals_batch *b;
	char *path = csv_path("w.csv"), *text;

	(void)state;
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "b", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "i", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "d", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "s,\"q\"", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "t", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);

	vitals_batch_set_bool(b, 0, 1);
	vitals_batch_set_i64(b, 1, -5);
	vitals_batch_set_double(b, 2, 0.1);
	vitals_batch_set_string(b, 3, "a,b", 3);
	vitals_batch_set_i64(b, 4, 0);
	vitals_batch_end_row(b);

	vitals_batch_end_row(b); /* nulls; t is zero */

	vitals_batch_set_bool(b, 0, 0);
	vitals_batch_set_i64(b, 1, INT64_MIN);
	vitals_batch_set_double(b, 2, NAN);
	vitals_batch_set_string(b, 3, "", 0);
	vitals_batch_set_i64(b, 4, 1795341600123456LL);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, -INFINITY);
	vitals_batch_set_string(b, 3, "say \"hi\"\r\n", 10);
	vitals_batch_set_i64(b, 4, INT64_MAX);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, 5);
	vitals_batch_set_string(b, 3, " x", 2);
	vitals_batch_set_i64(b, 4, -1);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, -0.0);
	vitals_batch_set_string(b, 3, "h\xC3\xA9", 3);
	vitals_batch_end_row(b);

	tt_write(path, b);
	text = tu_slurp(path, NULL);
	assert_string_equal(text,
	                    "b,i,d,\"s,\"\"q\"\"\",t\n"
	                    "true,-5,0.1,\"a,b\",1970-01-01T00:00:00Z\n"
	                    ",,,,1970-01-01T00:00:00Z\n"
	                    "false,-9223372036854775808,nan,\"\",2026-11-22T10:00:00.123456Z\n"
	                    ",,-inf,\"say \"\"hi\"\"\r\n\",9223372036854775807\n"
	                    ",,5.0,\" x\",1969-12-31T23:59:59.999999Z\n"
	                    ",,-0.0,h\xC3\xA9,1970-01-01T00:00:00Z\n");
	free(text);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(path);
}

/* One column: a blank line is a null, "" the empty string. */
static void test_single_column(void **state)
{
	struct vitals_schema s;
	struct vitals_batch *b, *back;
	char *path = csv_path("one.csv"), *text;

	(void)state;
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "s", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_batch_set_string(b, 0, "a", 1);
	vitals_batch_end_row(b);
	vitals_batch_end_row(b);
	vitals_batch_set_string(b, 0, "", 0);
	vitals_batch_end_row(b);
	vitals_batch_end_row(b);
	tt_write(path, b);
	text = tu_slurp(path, NULL);
	assert_string_equal(text, "s\na\n\n\"\"\n\n");
	back = tt_read(path, NULL, 100);
	assert_true(vitals_schema_equal(&back->schema, &s));
	tt_compare(b, back);
	free(text);
	vitals_batch_free(back);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(path);
}

static void check_inferred(const struct vitals_batch *b)
{
	static const struct {
		const char *name;
		enum vitals_type type;
	} want[] = {
	    {"b", VITALS_TYPE_BOOL},   {"i", VITALS_TYPE_INT64},     {"big", VITALS_TYPE_DOUBLE},
	    {"d", VITALS_TYPE_DOUBLE}, {"t", VITALS_TYPE_TIMESTAMP}, {"s", VITALS_TYPE_STRING},
	    {"e", VITALS_TYPE_STRING}, {"n", VITALS_TYPE_DOUBLE},    {"mixed", VITALS_TYPE_STRING},
	    {"q", VITALS_TYPE_STRING}, {"sp", VITALS_TYPE_INT64},
	};
	size_t len;

	assert_int_equal(b->schema.count, sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k < b->schema.count; k++) {
		assert_string_equal(b->schema.fields[k].name, want[k].name);
		if (b->schema.fields[k].type != want[k].type)
			fail_msg("column %s: %s, expected %s", want[k].name,
			         vitals_type_name(b->schema.fields[k].type),
			         vitals_type_name(want[k].type));
		assert_true(b->schema.fields[k].nullable);
	}
	assert_int_equal(b->rows, 3);
	assert_int_equal(b->cols[0].v.b[0], 1);
	assert_int_equal(b->cols[0].v.b[1], 0);
	assert_int_equal(b->cols[1].v.i64[1], -2);
	assert_true(b->cols[2].v.f64[1] == 1e20);
	assert_true(b->cols[3].v.f64[2] == -INFINITY);
	assert_true(b->cols[4].v.i64[0] == 1795341600000000LL);
	assert_true(b->cols[4].v.i64[1] == 1795341600000000LL + 3600000000LL);
	assert_true(b->cols[4].v.i64[2] == 1795341600000000LL - 36000000000LL);
	assert_false(vitals_batch_is_valid(b, 6, 0));
	assert_true(isnan(b->cols[7].v.f64[1]));
	assert_true(b->cols[7].v.f64[2] == 1000);
	assert_false(vitals_batch_is_valid(b, 8, 2));
	/* "" is an empty string, an empty field a null */
	assert_true(vitals_batch_is_valid(b, 9, 0));
	tt_string(b, 9, 0, &len);
	assert_int_equal(len, 0);
	assert_false(vitals_batch_is_valid(b, 9, 1));
	/* numbers with blanks around them */
	assert_int_equal(b->cols[10].v.i64[0], 7);
}

static void test_inference(void **state)
{
	static const char text[] =
	    "b,i,big,d,t,s,e,n,mixed,q,sp\n"
	    "TRUE,1,1,1.5,2026-11-22T10:00:00Z,x,,1,2026-01-01,\"\", 7\n"
	    "false,-2,100000000000000000000,2,2026-11-22 11:00:00,y,,nan,5,,8 \n"
	    "True,3,3,-inf,2026-11-22,z,,1e3,,,\"9\"\n";
	char crlf[sizeof(text) * 2];
	size_t n = 3;
	struct vitals_batch *b;
	char *path;

	(void)state;
	path = tt_file(tu_dir, "infer.csv", text, sizeof(text) - 1);
	b = tt_read(path, NULL, 100);
	check_inferred(b);
	vitals_batch_free(b);
	free(path);

	/* The same with a byte order mark and CRLF line ends. */
	memcpy(crlf, "\xEF\xBB\xBF", 3);
	for (const char *p = text; *p; p++) {
		if (*p == '\n')
			crlf[n++] = '\r';
		crlf[n++] = *p;
	}
	path = tt_file(tu_dir, "infer-crlf.csv", crlf, n);
	b = tt_read(path, NULL, 2);
	check_inferred(b);
	vitals_batch_free(b);
	free(path);
}

/* Quotes around commas, quotes and line ends; line numbers count the lines inside quotes. */
static void test_quoting(void **state)
{
	static const char good[] = "a,b\n"
	                           "\"x\ny\",1\n"
	                           "\"he said \"\"hi\"\"\",2\n"
	                           "\"c\r\nr\",\"3\"\n"
	                           "\n"
	                           "\"\",\n"
	                           "last,5";
	static const char bad[] = "a,b\n"
	                          "\"x\ny\",1\n"
	                          "\"he said \"\"hi\"\"\",2\n"
	                          "p,3,4\n";
	struct vitals_batch *b;
	char *path;
	size_t len;

	(void)state;
	path = tt_file(tu_dir, "quoted.csv", good, sizeof(good) - 1);
	b = tt_read(path, NULL, 100);
	assert_int_equal(b->rows, 5);
	assert_int_equal(b->schema.fields[0].type, VITALS_TYPE_STRING);
	assert_int_equal(b->schema.fields[1].type, VITALS_TYPE_INT64);
	assert_memory_equal(tt_string(b, 0, 0, &len), "x\ny", 3);
	assert_int_equal(len, 3);
	assert_memory_equal(tt_string(b, 0, 1, &len), "he said \"hi\"", 12);
	assert_int_equal(len, 12);
	assert_memory_equal(tt_string(b, 0, 2, &len), "c\r\nr", 4);
	assert_int_equal(len, 4);
	assert_int_equal(b->cols[1].v.i64[2], 3);
	tt_string(b, 0, 3, &len);
	assert_int_equal(len, 0);
	assert_true(vitals_batch_is_valid(b, 0, 3));
	assert_false(vitals_batch_is_valid(b, 1, 3));
	assert_int_equal(b->cols[1].v.i64[4], 5);
	vitals_batch_free(b);
	free(path);

	path = tt_file(tu_dir, "quoted-bad.csv", bad, sizeof(bad) - 1);
	tt_assert_contains(tt_read_error(path, NULL), ": line 5: 3 fields, header has 2");
	free(path);
}

static void expect_error(const char *name, const char *text, const struct vitals_read_options *o,
                         const char *message)
{
	char *path = tt_file(tu_dir, name, text, strlen(text));

	tt_assert_contains(tt_read_error(path, o), message);
	free(path);
}

static char *numbers_then(const char *header, size_t count, const char *last)
{
	size_t cap = strlen(header) + count * 12 + strlen(last) + 16, n;
	char *text = malloc(cap);

	assert_non_null(text);
	n = (size_t)snprintf(text, cap, "%s\n", header);
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, cap - n, "%zu\n", i * 1000);
	snprintf(text + n, cap - n, "%s\n", last);
	return text;
}

static void test_errors(void **state)
{
	struct vitals_read_options o;
	struct vitals_schema types;
	const char *cols[] = {"a", "x"};
	char *text, *path;
	size_t n;

	(void)state;
	/* line 17 of a file with a header and 15 good records */
	text = malloc(4096);
	n = (size_t)sprintf(text, "a,b,c,d\n");
	for (int i = 0; i < 15; i++)
		n += (size_t)sprintf(text + n, "1,2,3,4\n");
	sprintf(text + n, "1,2,3,4,5\n1,2,3,4\n");
	expect_error("fields.csv", text, NULL, ": line 17: 5 fields, header has 4");
	free(text);
	expect_error("fewer.csv", "a,b,c\n1,2\n", NULL, ": line 2: 2 fields, header has 3");

	/* a value past the inference window that does not fit */
	text = numbers_then("rss", 1000, "abc");
	expect_error("late.csv", text, NULL, ": line 1002: column 'rss': 'abc' is not an int64");
	free(text);
	text = numbers_then("rss", 1500, "1.5");
	expect_error("late2.csv", text, NULL, ": line 1502: column 'rss': '1.5' is not an int64");
	free(text);
	text = numbers_then("rss", 1000, "");
	path = tt_file(tu_dir, "late-null.csv", text, strlen(text));
	{
		struct vitals_batch *b = tt_read(path, NULL, 300);

		assert_int_equal(b->rows, 1001); /* a blank line in one column: a null */
		assert_false(vitals_batch_is_valid(b, 0, 1000));
		vitals_batch_free(b);
	}
	free(path);
	free(text);
	text = malloc(40000);
	n = (size_t)sprintf(text, "ok,b,t,d\n");
	for (int i = 0; i < 1000; i++)
		n += (size_t)sprintf(text + n, "1,true,2026-01-01,1.5\n");
	strcpy(text + n, "1,maybe,2026-01-01,1\n");
	expect_error("bool-late.csv", text, NULL, ": line 1002: column 'b': 'maybe' is not a bool");
	strcpy(text + n, "1,true,yesterday,1\n");
	expect_error("ts-late.csv", text, NULL,
	             ": line 1002: column 't': 'yesterday' is not a timestamp");
	strcpy(text + n, "1,true,2026-01-01,1.2.3\n");
	expect_error("d-late.csv", text, NULL, ": line 1002: column 'd': '1.2.3' is not a double");
	free(text);

	/* header */
	expect_error("noname.csv", "a,,c\n1,2,3\n", NULL, ": line 1: column 2 has no name");
	expect_error("dup.csv", "a,b,a\n1,2,3\n", NULL, ": line 1: column 3: duplicate name 'a'");
	expect_error("empty.csv", "", NULL, ": empty file: no header line");
	expect_error("blankhead.csv", "\na,b\n", NULL, ": line 1: the header line is empty");

	/* quoting */
	expect_error("unclosed.csv", "a,b\n1,\"abc\n\n", NULL,
	             ": line 2: field 2: the file ends inside a quoted field");
	expect_error("midquote.csv", "a\nab\"c\n", NULL,
	             ": line 2: field 1: a quote inside an unquoted field");
	expect_error("afterquote.csv", "a,b\n1,\"ab\"c\n", NULL,
	             ": line 2: field 2: a character after a closing quote");

	/* projection */
	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = 2;
	expect_error("proj.csv", "a,b\n1,2\n", &o, ": no column 'x'");
	cols[1] = "a";
	expect_error("proj2.csv", "a,b\n1,2\n", &o, ": column 'a' asked for twice");

	/* given types */
	vitals_schema_init(&types);
	assert_int_equal(vitals_schema_add(&types, "x", VITALS_TYPE_INT64, 0), 0);
	vitals_read_options_init(&o);
	o.types = &types;
	expect_error("given.csv", "x,y\n1,a\nfoo,b\n", &o,
	             ": line 3: column 'x': 'foo' is not an int64");
	expect_error("given-null.csv", "x,y\n1,a\n,b\n", &o,
	             ": line 3: column 'x': empty value in a column that is not nullable");
	vitals_schema_release(&types);
	vitals_schema_init(&types);
	assert_int_equal(vitals_schema_add(&types, "x", VITALS_TYPE_INT32, 1), 0);
	o.types = &types;
	expect_error("given32.csv", "x\n1\n2147483648\n", &o,
	             ": line 3: column 'x': '2147483648' is not an int32");
	vitals_schema_release(&types);
}

/* One record longer than the cap is refused with its line, not read into memory. */
static void test_long_record(void **state)
{
	size_t n = ((size_t)17 << 20);
	char *text = malloc(n + 16), *path;

	(void)state;
	memcpy(text, "a\nx\n\"", 5);
	memset(text + 5, 'y', n - 5);
	memcpy(text + n, "\"\n", 3);
	path = tt_file(tu_dir, "long.csv", text, n + 2);
	tt_assert_contains(tt_read_error(path, NULL), ": line 3: record longer than 16 MiB");
	free(path);
	free(text);
}

static void test_batches(void **state)
{
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512], *text, *path;
	size_t sizes[8], count = 0;
	int64_t expect = 0;
	int rc;

	(void)state;
	text = numbers_then("v", 2499, "2499000");
	path = tt_file(tu_dir, "batches.csv", text, strlen(text));
	vitals_read_options_init(&o);
	o.batch_rows = 1000;
	assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)), 0);
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		assert_true(count < 8);
		sizes[count++] = b->rows;
		for (size_t i = 0; i < b->rows; i++, expect += 1000)
			assert_true(b->cols[0].v.i64[i] == expect);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(count, 3);
	assert_int_equal(sizes[0], 1000);
	assert_int_equal(sizes[1], 1000);
	assert_int_equal(sizes[2], 500);
	vitals_reader_close(r);
	free(path);
	free(text);

	/* A header and nothing else: no rows, string columns. */
	path = tt_file(tu_dir, "header.csv", "a,b\n", 4);
	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_schema(r)->count, 2);
	assert_int_equal(vitals_reader_schema(r)->fields[1].type, VITALS_TYPE_STRING);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	vitals_reader_close(r);
	free(path);
}

static void test_projection_and_time(void **state)
{
	static const char text[] = "time,host,cpu\n"
	                           "2026-11-22T10:00:00Z,a,1.5\n"
	                           "2026-11-22T10:00:01Z,b,2.5\n"
	                           "2026-11-22T10:00:02Z,c,3.5\n";
	const char *cols[] = {"cpu", "host"};
	struct vitals_read_options o;
	struct vitals_schema types;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512], *path;
	size_t len;

	(void)state;
	path = tt_file(tu_dir, "proj.csv", text, sizeof(text) - 1);
	vitals_schema_init(&types);
	assert_int_equal(vitals_schema_add(&types, "host", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(&types, "other", VITALS_TYPE_INT64, 0), 0);
	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = 2;
	o.types = &types;
	o.from = 1795341601000000LL;
	assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_schema(r)->count, 2);
	assert_string_equal(vitals_reader_schema(r)->fields[0].name, "cpu");
	assert_int_equal(vitals_reader_schema(r)->fields[0].type, VITALS_TYPE_DOUBLE);
	assert_int_equal(vitals_reader_schema(r)->fields[1].type, VITALS_TYPE_STRING);
	assert_false(vitals_reader_schema(r)->fields[1].nullable);
	assert_int_equal(vitals_reader_next(r, &b), 1);
	assert_int_equal(b->rows, 2);
	assert_true(b->cols[0].v.f64[0] == 2.5);
	assert_memory_equal(tt_string(b, 1, 1, &len), "c", 1);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	vitals_reader_close(r);
	vitals_schema_release(&types);
	free(path);
}

/*
 * A server that listed a directory's regular files opens them with
 * no_follow: a symbolic link put there since is refused, not followed.
 */
static void test_no_follow(void **state)
{
	struct vitals_read_options o;
	struct vitals_file_info *info;
	struct vitals_reader *r;
	char *real = tt_file(tu_dir, "real.csv", "a,b\n1,x\n", 8), *link = csv_path("link.csv");
	char err[512];

	(void)state;
	unlink(link);
	assert_int_equal(symlink(real, link), 0);
	vitals_read_options_init(&o);
	assert_int_equal(vitals_reader_open(&r, link, &o, err, sizeof(err)), 0);
	vitals_reader_close(r);
	o.no_follow = 1;
	assert_int_equal(vitals_reader_open(&r, link, &o, err, sizeof(err)), VITALS_E_PERM);
	tt_assert_contains(err, "symbolic link");
	assert_int_equal(vitals_file_describe_opts(&info, link, &o, err, sizeof(err)),
	                 VITALS_E_PERM);
	assert_null(info);
	/* The regular file itself is read as ever. */
	assert_int_equal(vitals_reader_open(&r, real, &o, err, sizeof(err)), 0);
	vitals_reader_close(r);
	unlink(link);
	free(link);
	free(real);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_round_trip_inferred),
	    cmocka_unit_test(test_writer_text), cmocka_unit_test(test_single_column),
	    cmocka_unit_test(test_inference),   cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_errors),      cmocka_unit_test(test_long_record),
	    cmocka_unit_test(test_batches),     cmocka_unit_test(test_projection_and_time),
	    cmocka_unit_test(test_no_follow),
	};

	return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
