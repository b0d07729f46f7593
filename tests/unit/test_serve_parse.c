/*
 * What the dashboard parses from clients and how it writes answers
 * (src/serve/parse.h, src/serve/jbuf.h): JSON bodies with escapes, caps on
 * depth and size; event CSVs with quotes, embedded newlines and the line
 * number of the first bad line; plain file names for tracing; asset paths;
 * and the JSON writer's escaping and cap.
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

#include "serve/jbuf.h"
#include "serve/parse.h"

static void test_json(void **state)
{
	const char *body =
	    " {\"text\": \"a\\u00e9\\ud83d\\ude00\\n\", \"time\": -1.5e3, \"ok\": true,"
	    " \"f\": {\"k\": \"v\"}, \"n\": null, \"a\": [1, [2]]} ";
	struct jdoc d;
	const struct jv *v;
	char err[256];
	char deep[64];

	(void)state;
	assert_int_equal(jdoc_parse(&d, body, strlen(body), err, sizeof(err)), 0);
	v = jv_get(d.root, "text");
	assert_non_null(v);
	assert_string_equal(v->str, "a\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_true(jv_get(d.root, "time")->num == -1500);
	assert_int_equal(jv_get(d.root, "ok")->b, 1);
	assert_string_equal(jv_get(jv_get(d.root, "f"), "k")->str, "v");
	assert_int_equal(jv_get(d.root, "n")->type, JV_NULL);
	assert_null(jv_get(d.root, "missing"));
	jdoc_release(&d);

	static const char *const bad[] = {"",           "{",       "{\"a\" 1}",   "[1,]",
	                                  "{\"a\":01}", "\"\\x\"", "\"\\ud800\"", "nul",
	                                  "[1] [2]",    "\"a\nb\""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(jdoc_parse(&d, bad[i], strlen(bad[i]), err, sizeof(err)),
		                 VITALS_E_PARSE);
		assert_non_null(strstr(err, "at byte "));
	}
	memset(deep, '[', 40);
	memset(deep + 40, ']', 20);
	assert_int_equal(jdoc_parse(&d, deep, 40, err, sizeof(err)), VITALS_E_PARSE);
	assert_non_null(strstr(err, "nested too deep"));
}

static void test_csv(void **state)
{
	const char *good = "\xef\xbb\xbftimestamp,other,event\r\n"
	                   "2026-11-22T10:00:00Z,x,start\r\n"
	                   "\r\n"
	                   "1764547200000000,y,\"two\nlines, \"\"quoted\"\"\"\n"
	                   "2026-11-22 10:00:01+01:00,z,  spaced\t \n";
	struct csv_event *ev;
	size_t n, line;
	char err[512];

	(void)state;
	assert_int_equal(csv_events_parse(good, strlen(good), &ev, &n, &line, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ev[0].text, "start");
	assert_true(ev[0].at == INT64_C(1795341600000000));
	assert_string_equal(ev[1].text, "two lines, \"quoted\"");
	assert_true(ev[1].at == INT64_C(1764547200000000));
	assert_string_equal(ev[2].text, "spaced");
	assert_true(ev[2].at == INT64_C(1795338001000000));
	csv_events_free(ev, n);

	/* The bad line is named, counting the lines inside quotes. */
	const char *bad = "event,timestamp\n\"a\nb\",1\nc,2\nd,noon\ne,3\n";
	assert_int_equal(csv_events_parse(bad, strlen(bad), &ev, &n, &line, err, sizeof(err)),
	                 VITALS_E_PARSE);
	assert_null(ev);
	assert_int_equal(line, 5);
	assert_non_null(strstr(err, "line 5: timestamp 'noon'"));
	assert_non_null(strstr(err, "nothing was imported"));

	const char *nohead = "when,what\n1,x\n";
	assert_int_equal(csv_events_parse(nohead, strlen(nohead), &ev, &n, &line, err, sizeof(err)),
	                 VITALS_E_PARSE);
	assert_int_equal(line, 1);
	const char *notext = "event,timestamp\n,5\n";
	assert_int_equal(csv_events_parse(notext, strlen(notext), &ev, &n, &line, err, sizeof(err)),
	                 VITALS_E_PARSE);
	assert_non_null(strstr(err, "line 2: no event text"));
	const char *open_quote = "event,timestamp\n\"never closed,5\n";
	assert_int_equal(
	    csv_events_parse(open_quote, strlen(open_quote), &ev, &n, &line, err, sizeof(err)),
	    VITALS_E_PARSE);
	assert_non_null(strstr(err, "not closed"));
}

static void test_names(void **state)
{
	static const char *const ok[] = {"live.parquet", "a b.csv", "x.JSONL", "run-1.pq",
	                                 "caf\xc3\xa9.ndjson"};
	static const char *const no[] = {
	    "../x.parquet", "/tmp/x.parquet", "a/b.csv", ".x.csv",    "x.txt", "",
	    "a\\b.csv",     "tab\t.csv",      "..",      "x.parquet/"};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(name_check(ok[i], strlen(ok[i]), err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		err[0] = '\0';
		assert_int_equal(name_check(no[i], strlen(no[i]), err, sizeof(err)),
		                 VITALS_E_INVAL);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(name_check("a\0b.csv", 7, err, sizeof(err)), VITALS_E_INVAL);
	assert_true(asset_path_ok("/index.html"));
	assert_true(asset_path_ok("/js/app-1.0.mjs"));
	assert_false(asset_path_ok("/../etc/passwd"));
	assert_false(asset_path_ok("/js/.hidden"));
	assert_false(asset_path_ok("/a b"));
	assert_false(asset_path_ok("/"));
	assert_string_equal(asset_content_type("x.JS"), "text/javascript; charset=utf-8");
	assert_string_equal(asset_content_type("x.bin"), "application/octet-stream");
}

static void test_params(void **state)
{
	int64_t i;
	double d;
	int b;

	(void)state;
	assert_int_equal(param_int("42", 2, 100, &i), 0);
	assert_true(i == 42);
	assert_int_equal(param_int("1", 2, 100, &i), VITALS_E_INVAL);
	assert_int_equal(param_int("4x", 2, 100, &i), VITALS_E_INVAL);
	assert_int_equal(param_int(" 4", 2, 100, &i), VITALS_E_INVAL);
	assert_int_equal(param_real("0.5", 0, 1, &d), 0);
	assert_int_equal(param_real("nan", 0, 1, &d), VITALS_E_INVAL);
	assert_int_equal(param_time("2026-11-22T10:00:00Z", &i), 0);
	assert_true(i == INT64_C(1795341600000000));
	assert_int_equal(param_time("tomorrow", &i), VITALS_E_INVAL);
	assert_int_equal(param_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(param_bool("2", &b), VITALS_E_INVAL);
}

static void test_writer(void **state)
{
	struct jbuf j;
	size_t len;
	char *s;

	(void)state;
	jbuf_init(&j, 4096);
	jbuf_object_begin(&j);
	jbuf_key(&j, "s");
	jbuf_stringn(&j, "q\"\\\x01\xff\xe2\x82\xac", 8);
	jbuf_key(&j, "n");
	jbuf_real(&j, 0.1);
	jbuf_key(&j, "i");
	jbuf_int(&j, INT64_MIN);
	jbuf_key(&j, "nan");
	jbuf_real(&j, 0.0 / 0.0);
	jbuf_key(&j, "a");
	jbuf_array_begin(&j);
	jbuf_bool(&j, 0);
	jbuf_null(&j);
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	s = jbuf_take(&j, &len);
	assert_string_equal(s, "{\"s\":\"q\\\"\\\\\\u0001\xef\xbf\xbd\xe2\x82\xac\",\"n\":0.1,"
	                       "\"i\":-9223372036854775808,\"nan\":null,\"a\":[false,null]}");
	free(s);

	/* Past the cap the buffer is failed, and stays so. */
	jbuf_init(&j, 64);
	jbuf_array_begin(&j);
	for (int k = 0; k < 100; k++)
		jbuf_int(&j, k);
	jbuf_array_end(&j);
	assert_true(j.failed);
	assert_true(j.len < 64);
	assert_null(jbuf_take(&j, &len));
	jbuf_release(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),   cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_names),  cmocka_unit_test(test_params),
	    cmocka_unit_test(test_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
