/*
 * JSON lines trace files: random batches of every type and null pattern
 * written and read back value for value (given types and inferred ones),
 * the exact text the writer makes, string escapes both ways, type
 * inference from hand-written files, and every error message naming the
 * file, the line and the column.
 */
#include "texttest.h"

static char *jl_path(const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", tu_dir, name) > 0);
	return path;
}

static void round_trip(size_t rows, enum tt_nulls nulls, size_t batch_rows)
{
	struct tt_gen g = {.utf8_only = 1, .extreme_ts = 1, .nulls = nulls};
	struct vitals_schema s;
	struct vitals_batch *b, *back;
	char *path = jl_path("rt.jsonl");

	tt_schema_all(&s);
	b = tt_random_batch(&s, rows, &g);
	tt_write(path, b);
	back = tt_read(path, &s, batch_rows);
	if (rows == 0) {
		/* No line, no key: no column. */
		assert_int_equal(back->schema.count, 0);
		assert_int_equal(back->rows, 0);
	} else {
		assert_true(vitals_schema_equal(&back->schema, &s));
		tt_compare(b, back);
	}
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

static void test_round_trip_inferred(void **state)
{
	struct tt_gen g = {.utf8_only = 1, .inferable = 1, .nulls = TT_RANDOM};
	struct vitals_schema s;
	struct vitals_batch *b, *back;
	char *path = jl_path("inferred.ndjson");

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
	static const char odd[] = "say \"hi\"\r\n\x01\\/\x7f";
	static const char bad_utf8[] = "h\xC3\xA9 a\xFF\xC3(\xED\xA0\x80!";
	struct vitals_schema s;
	struct vitals_batch *b;
	char *path = jl_path("w.jsonl"), *text;

	(void)state;
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "b", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "i", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "d", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "s\"\n", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "t", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "n", VITALS_TYPE_INT32, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);

	vitals_batch_set_bool(b, 0, 1);
	vitals_batch_set_i64(b, 1, -5);
	vitals_batch_set_double(b, 2, 0.1);
	vitals_batch_set_string(b, 3, "a,b", 3);
	vitals_batch_set_i32(b, 5, INT32_MIN);
	vitals_batch_end_row(b);

	vitals_batch_end_row(b);

	vitals_batch_set_bool(b, 0, 0);
	vitals_batch_set_i64(b, 1, INT64_MIN);
	vitals_batch_set_double(b, 2, NAN);
	vitals_batch_set_string(b, 3, "", 0);
	vitals_batch_set_i64(b, 4, 1795341600123456LL);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, -INFINITY);
	vitals_batch_set_string(b, 3, odd, sizeof(odd) - 1);
	vitals_batch_set_i64(b, 4, INT64_MAX);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, INFINITY);
	vitals_batch_set_string(b, 3, bad_utf8, sizeof(bad_utf8) - 1);
	vitals_batch_set_i64(b, 4, -1);
	vitals_batch_end_row(b);

	vitals_batch_set_double(b, 2, 5);
	vitals_batch_end_row(b);
	vitals_batch_set_double(b, 2, -0.0);
	vitals_batch_end_row(b);
	vitals_batch_set_double(b, 2, 1e300);
	vitals_batch_end_row(b);

	tt_write(path, b);
	text = tu_slurp(path, NULL);
	assert_string_equal(
	    text,
	    "{\"b\":true,\"i\":-5,\"d\":0.1,\"s\\\"\\n\":\"a,b\",\"t\":\"1970-01-01T00:00:00Z\","
	    "\"n\":-2147483648}\n"
	    "{\"b\":null,\"i\":null,\"d\":null,\"s\\\"\\n\":null,\"t\":\"1970-01-01T00:00:00Z\","
	    "\"n\":null}\n"
	    "{\"b\":false,\"i\":-9223372036854775808,\"d\":\"NaN\",\"s\\\"\\n\":\"\","
	    "\"t\":\"2026-11-22T10:00:00.123456Z\",\"n\":null}\n"
	    "{\"b\":null,\"i\":null,\"d\":\"-Infinity\",\"s\\\"\\n\":\"say "
	    "\\\"hi\\\"\\r\\n\\u0001\\\\/"
	    "\x7f\",\"t\":\"9223372036854775807\",\"n\":null}\n"
	    "{\"b\":null,\"i\":null,\"d\":\"Infinity\",\"s\\\"\\n\":\"h\xC3\xA9 "
	    "a\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd!\",\"t\":\"1969-12-31T23:59:59.999999Z\","
	    "\"n\":null}\n"
	    "{\"b\":null,\"i\":null,\"d\":5.0,\"s\\\"\\n\":null,\"t\":\"1970-01-01T00:00:00Z\","
	    "\"n\":null}\n"
	    "{\"b\":null,\"i\":null,\"d\":-0.0,\"s\\\"\\n\":null,\"t\":\"1970-01-01T00:00:00Z\","
	    "\"n\":null}\n"
	    "{\"b\":null,\"i\":null,\"d\":1e+300,\"s\\\"\\n\":null,\"t\":\"1970-01-01T00:00:00Z\","
	    "\"n\":null}\n");
	free(text);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(path);
}

static void test_escapes(void **state)
{
	static const char text[] = "{\"s\":\"\\u00e9\\ud83d\\ude00\\ud800x\\udc00\\\"\\\\\\/"
	                           "\\b\\f\\n\\r\\t\\ud800\\u0041\","
	                           "\"k\\u00e9y\":\"raw \xC3\xA9 \xFF\"}\n";
	static const char want[] =
	    "\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBDx\xEF\xBF\xBD\"\\/\b\f\n\r\t"
	    "\xEF\xBF\xBD"
	    "A";
	struct vitals_batch *b;
	char *path;
	size_t len;
	const char *s;

	(void)state;
	path = tt_file(tu_dir, "esc.jsonl", text, sizeof(text) - 1);
	b = tt_read(path, NULL, 10);
	assert_int_equal(b->rows, 1);
	assert_int_equal(b->schema.count, 2);
	assert_string_equal(b->schema.fields[1].name, "k\xC3\xA9y");
	s = tt_string(b, 0, 0, &len);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(s, want, len);
	s = tt_string(b, 1, 0, &len);
	assert_int_equal(len, 8); /* bytes that are not UTF-8 are kept as they are */
	assert_memory_equal(s, "raw \xC3\xA9 \xFF", 8);
	vitals_batch_free(b);
	free(path);
}

static void test_inference(void **state)
{
	static const char text[] =
	    "\xEF\xBB\xBF{\"b\":true,\"i\":1,\"d\":1,\"big\":1,\"t\":\"2026-11-22T10:00:00Z\","
	    "\"s\":\"x\",\"n\":null,\"mix\":1,\"sp\":1,\"ns\":\"NaN\",\"bare\":NaN}\r\n"
	    "\r\n"
	    "  { \"b\" : false , \"i\" : -2 , \"d\" : 1.5, \"big\": 100000000000000000000, "
	    "\"t\": \"2026-11-22 11:00:00\", \"s\": \"5\", \"mix\": \"a\", \"sp\": \"NaN\", "
	    "\"ns\": \"Infinity\", \"late\": 3, \"bare\": -Infinity }  \n"
	    "{\"late\":null,\"i\":3,\"d\":2e3,\"t\":\"2026-11-22\",\"sp\":\"-Infinity\","
	    "\"mix\":true}";
	static const struct {
		const char *name;
		enum vitals_type type;
	} want[] = {
	    {"b", VITALS_TYPE_BOOL},     {"i", VITALS_TYPE_INT64},     {"d", VITALS_TYPE_DOUBLE},
	    {"big", VITALS_TYPE_DOUBLE}, {"t", VITALS_TYPE_TIMESTAMP}, {"s", VITALS_TYPE_STRING},
	    {"n", VITALS_TYPE_STRING},   {"mix", VITALS_TYPE_STRING},  {"sp", VITALS_TYPE_DOUBLE},
	    {"ns", VITALS_TYPE_STRING},  {"bare", VITALS_TYPE_DOUBLE}, {"late", VITALS_TYPE_INT64},
	};
	struct vitals_batch *b;
	char *path;
	size_t len;
	const char *s;

	(void)state;
	path = tt_file(tu_dir, "infer.jsonl", text, sizeof(text) - 1);
	b = tt_read(path, NULL, 2);
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
	assert_int_equal(b->cols[0].v.b[1], 0);
	assert_false(vitals_batch_is_valid(b, 0, 2));
	assert_int_equal(b->cols[1].v.i64[2], 3);
	assert_true(b->cols[2].v.f64[2] == 2000);
	assert_true(b->cols[3].v.f64[1] == 1e20);
	assert_true(b->cols[4].v.i64[1] == 1795341600000000LL + 3600000000LL);
	s = tt_string(b, 7, 0, &len);
	assert_true(len == 1 && s[0] == '1');
	s = tt_string(b, 7, 2, &len);
	assert_true(len == 4 && memcmp(s, "true", 4) == 0);
	assert_true(b->cols[8].v.f64[0] == 1);
	assert_true(isnan(b->cols[8].v.f64[1]));
	assert_true(b->cols[8].v.f64[2] == -INFINITY);
	assert_true(isnan(b->cols[10].v.f64[0]));
	assert_true(b->cols[10].v.f64[1] == -INFINITY);
	assert_false(vitals_batch_is_valid(b, 11, 0));
	assert_int_equal(b->cols[11].v.i64[1], 3);
	assert_false(vitals_batch_is_valid(b, 11, 2));
	vitals_batch_free(b);
	free(path);
}

static void expect_error(const char *name, const char *text, const struct vitals_read_options *o,
                         const char *message)
{
	char *path = tt_file(tu_dir, name, text, strlen(text));

	tt_assert_contains(tt_read_error(path, o), message);
	free(path);
}

/* COUNT lines {"a":N}, then LAST. */
static char *lines_then(size_t count, const char *last)
{
	size_t cap = count * 24 + strlen(last) + 16, n = 0;
	char *text = malloc(cap);

	assert_non_null(text);
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, cap - n, "{\"a\":%zu}\n", i);
	snprintf(text + n, cap - n, "%s\n", last);
	return text;
}

static void test_errors(void **state)
{
	struct vitals_read_options o;
	struct vitals_schema types;
	const char *cols[] = {"zz"};
	char *text;

	(void)state;
	expect_error("nested.jsonl", "{\"a\":1}\n{\"a\":2,\"x\":{\"b\":1}}\n", NULL,
	             ": line 2: column 'x': nested values are not supported");
	expect_error("array.jsonl", "{\"x\":[1,2]}\n", NULL,
	             ": line 1: column 'x': nested values are not supported");
	text = lines_then(1000, "{\"a\":1,\"b\":2}");
	expect_error("late-key.jsonl", text, NULL,
	             ": line 1001: key 'b' is not among the columns of the first 1000 lines");
	free(text);
	text = lines_then(1000, "{\"a\":\"abc\"}");
	expect_error("late-type.jsonl", text, NULL,
	             ": line 1001: column 'a': 'abc' is not an int64");
	free(text);
	text = lines_then(1200, "{\"a\":1.5}");
	expect_error("late-float.jsonl", text, NULL,
	             ": line 1201: column 'a': '1.5' is not an int64");
	free(text);
	text = lines_then(1000, "{\"a\":99999999999999999999}");
	expect_error("late-big.jsonl", text, NULL,
	             ": line 1001: column 'a': '99999999999999999999' is not an int64");
	free(text);
	expect_error("dup.jsonl", "{\"a\":1}\n\n{\"a\":1,\"a\":2}\n", NULL,
	             ": line 3: duplicate key 'a'");

	expect_error("array-line.jsonl", "[1,2]\n", NULL, ": line 1: byte 1: not a JSON object");
	expect_error("trailing.jsonl", "{\"a\":1} x\n", NULL,
	             ": line 1: byte 9: text after the object");
	expect_error("colon.jsonl", "{\"a\" 1}\n", NULL,
	             ": line 1: byte 6: expected ':' after a key");
	expect_error("comma.jsonl", "{\"a\":1 \"b\":2}\n", NULL,
	             ": line 1: byte 8: expected ',' or '}'");
	expect_error("key.jsonl", "{\"a\":1,}\n", NULL, ": line 1: byte 8: expected a key");
	expect_error("escape.jsonl", "{\"a\":\"x\\qy\"}\n", NULL,
	             ": line 1: byte 8: an invalid escape in a string");
	expect_error("uescape.jsonl", "{\"a\":\"\\u12x4\"}\n", NULL,
	             ": line 1: byte 7: a \\u escape without four hex digits");
	expect_error("control.jsonl", "{\"a\":\"x\ty\"}\n", NULL,
	             ": line 1: byte 8: a control character inside a string");
	expect_error("unclosed-str.jsonl", "{\"a\":1}\n{\"a\":\"abc\n", NULL,
	             ": line 2: byte 6: the string has no closing quote");
	expect_error("unclosed-obj.jsonl", "{\"a\":1\n", NULL,
	             ": line 1: byte 7: the object is not closed");
	expect_error("zero.jsonl", "{\"a\":01}\n", NULL, ": line 1: byte 7: expected ',' or '}'");
	expect_error("minus.jsonl", "{\"a\":-}\n", NULL, ": line 1: byte 6: not a JSON value");
	expect_error("word.jsonl", "{\"a\":tru}\n", NULL, ": line 1: byte 6: not a JSON value");
	expect_error("missing.jsonl", "{\"a\":}\n", NULL, ": line 1: byte 6: not a JSON value");
	expect_error("frac.jsonl", "{\"a\":1.}\n", NULL, ": line 1: byte 6: not a JSON value");
	expect_error("emptykey.jsonl", "{\"\":1}\n", NULL, ": line 1: an empty key");
	expect_error("nulkey.jsonl", "{\"a\\u0000b\":1}\n", NULL,
	             ": line 1: key 'a?b' holds a NUL byte");

	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = 1;
	expect_error("proj.jsonl", "{\"a\":1}\n", &o, ": no column 'zz'");

	vitals_schema_init(&types);
	assert_int_equal(vitals_schema_add(&types, "a", VITALS_TYPE_BOOL, 0), 0);
	vitals_read_options_init(&o);
	o.types = &types;
	expect_error("given.jsonl", "{\"a\":true}\n{\"a\":1}\n", &o,
	             ": line 2: column 'a': '1' is not a bool");
	expect_error("given-null.jsonl", "{\"a\":true}\n{\"b\":1}\n", &o,
	             ": line 2: column 'a': null in a column that is not nullable");
	vitals_schema_release(&types);
}

static void test_long_line(void **state)
{
	size_t n = (size_t)17 << 20;
	char *text = malloc(n + 16), *path;

	(void)state;
	memcpy(text, "{\"a\":\"x\"}\n{\"a\":\"", 16);
	memset(text + 16, 'y', n - 16);
	memcpy(text + n, "\"}\n", 4);
	path = tt_file(tu_dir, "long.jsonl", text, n + 3);
	tt_assert_contains(tt_read_error(path, NULL), ": line 2: record longer than 16 MiB");
	free(path);
	free(text);
}

static void test_given_types(void **state)
{
	static const char text[] = "{\"t\":1795341600000000,\"u\":\"2026-11-22T10:00:00+01:00\","
	                           "\"d\":3,\"s\":12.5,\"x\":7}\n"
	                           "{\"t\":\"1795341600000001\",\"u\":null,\"d\":\"Infinity\","
	                           "\"s\":false,\"x\":-7}\n";
	struct vitals_schema types;
	struct vitals_batch *b;
	char *path;
	size_t len;
	const char *s;

	(void)state;
	vitals_schema_init(&types);
	assert_int_equal(vitals_schema_add(&types, "t", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(&types, "d", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(&types, "s", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&types, "x", VITALS_TYPE_INT32, 1), 0);
	path = tt_file(tu_dir, "given.jsonl", text, sizeof(text) - 1);
	b = tt_read(path, &types, 100);
	assert_int_equal(b->schema.fields[0].type, VITALS_TYPE_TIMESTAMP);
	assert_false(b->schema.fields[0].nullable);
	assert_int_equal(b->schema.fields[1].type, VITALS_TYPE_TIMESTAMP); /* inferred */
	assert_true(b->cols[0].v.i64[0] == 1795341600000000LL);
	assert_true(b->cols[0].v.i64[1] == 1795341600000001LL);
	assert_true(b->cols[1].v.i64[0] == 1795341600000000LL - 3600000000LL);
	assert_true(b->cols[2].v.f64[0] == 3);
	assert_true(b->cols[2].v.f64[1] == INFINITY);
	s = tt_string(b, 3, 0, &len);
	assert_true(len == 4 && memcmp(s, "12.5", 4) == 0);
	s = tt_string(b, 3, 1, &len);
	assert_true(len == 5 && memcmp(s, "false", 5) == 0);
	assert_int_equal(b->cols[4].v.i32[1], -7);
	vitals_batch_free(b);
	vitals_schema_release(&types);
	free(path);
}

static void test_empty_and_blank(void **state)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512], *path;

	(void)state;
	path = tt_file(tu_dir, "empty.jsonl", "", 0);
	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_schema(r)->count, 0);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	vitals_reader_close(r);
	free(path);

	path = tt_file(tu_dir, "blank.jsonl", "\n \n\t\r\n{}\n", 9);
	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_schema(r)->count, 0);
	assert_int_equal(vitals_reader_next(r, &b), 1);
	assert_int_equal(b->rows, 1);
	assert_int_equal(vitals_reader_next(r, &b), 0);
	vitals_reader_close(r);
	free(path);
}

static void test_batches_and_projection(void **state)
{
	const char *cols[] = {"c", "a"};
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512], *text, *path;
	size_t n = 0, cap = 2600 * 40, batches = 0, rows = 0;

	(void)state;
	text = malloc(cap);
	for (int i = 0; i < 2500; i++)
		n += (size_t)snprintf(text + n, cap - n, "{\"a\":%d,\"b\":\"x%d\",\"c\":%d.5}\n", i,
		                      i, i);
	path = tt_file(tu_dir, "many.jsonl", text, n);
	vitals_read_options_init(&o);
	o.batch_rows = 1000;
	o.columns = cols;
	o.column_count = 2;
	assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_schema(r)->count, 2);
	assert_string_equal(vitals_reader_schema(r)->fields[0].name, "c");
	assert_int_equal(vitals_reader_schema(r)->fields[0].type, VITALS_TYPE_DOUBLE);
	assert_int_equal(vitals_reader_schema(r)->fields[1].type, VITALS_TYPE_INT64);
	while (vitals_reader_next(r, &b) > 0) {
		assert_int_equal(b->rows, batches < 2 ? 1000 : 500);
		for (size_t i = 0; i < b->rows; i++, rows++) {
			assert_true(b->cols[0].v.f64[i] == (double)rows + 0.5);
			assert_true(b->cols[1].v.i64[i] == (int64_t)rows);
		}
		batches++;
	}
	assert_int_equal(batches, 3);
	vitals_reader_close(r);
	free(path);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),      cmocka_unit_test(test_round_trip_inferred),
	    cmocka_unit_test(test_writer_text),     cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_inference),       cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_long_line),       cmocka_unit_test(test_given_types),
	    cmocka_unit_test(test_empty_and_blank), cmocka_unit_test(test_batches_and_projection),
	};

	return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
