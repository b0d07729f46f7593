/*
 * Text of values: doubles that read back exactly in the fewest of 15, 16
 * or 17 digits, RFC 3339 timestamps over the whole range of years 1 to
 * 9999 checked against an independent calendar, strict parsers of
 * integers, bools and doubles that agree with strtod.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"
#include "store/text.h"

#define TS_MIN (-62135596800000000LL) /* 0001-01-01T00:00:00Z */
#define TS_MAX (253402300799999999LL) /* 9999-12-31T23:59:59.999999Z */

/* A deterministic generator, so a failure can be replayed. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static const char *fmt_d(double v)
{
	static char buf[STORE_VALUE_TEXT_MAX];

	assert_true(store_format_double(buf, v) < STORE_VALUE_TEXT_MAX);
	return buf;
}

static const char *fmt_ts(int64_t us)
{
	static char buf[STORE_VALUE_TEXT_MAX];

	assert_true(store_format_timestamp(buf, us) < STORE_VALUE_TEXT_MAX);
	return buf;
}

static int parse_ts(const char *s, int64_t *us)
{
	return store_parse_timestamp(s, strlen(s), us);
}

static int same_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* What the header promises: the first of %.15g, %.16g, %.17g that reads back. */
static void reference_double(char *buf, double v)
{
	for (int p = 15; p <= 17; p++) {
		snprintf(buf, 40, "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

static void test_format_double(void **state)
{
	(void)state;
	assert_string_equal(fmt_d(0.1), "0.1");
	assert_string_equal(fmt_d(0.1 + 0.2), "0.30000000000000004");
	assert_string_equal(fmt_d(1.0 / 3), "0.3333333333333333");
	assert_string_equal(fmt_d(1e300), "1e+300");
	assert_string_equal(fmt_d(5), "5");
	assert_string_equal(fmt_d(-12.5), "-12.5");
	assert_string_equal(fmt_d(123456789012345.0), "123456789012345");
	assert_string_equal(fmt_d(1e15), "1e+15");
	assert_string_equal(fmt_d(0.0001), "0.0001");
	assert_string_equal(fmt_d(0.00001), "1e-05");
	assert_string_equal(fmt_d(0.0), "0");
	assert_string_equal(fmt_d(-0.0), "-0");
	assert_string_equal(fmt_d(NAN), "nan");
	assert_string_equal(fmt_d(INFINITY), "inf");
	assert_string_equal(fmt_d(-INFINITY), "-inf");
	assert_string_equal(fmt_d(DBL_MAX), "1.7976931348623157e+308");
	assert_string_equal(fmt_d(-DBL_MIN), "-2.2250738585072014e-308");
	assert_string_equal(fmt_d(9007199254740993.0), "9007199254740992");
}

/* Random bit patterns and monitoring-like values: same text as the reference, reads back. */
static void test_double_round_trip(void **state)
{
	char ref[40], text[STORE_VALUE_TEXT_MAX];
	double v, back;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t bits = rnd();

		switch (i % 4) {
		case 0:
			memcpy(&v, &bits, sizeof(v));
			break;
		case 1: /* a few decimals, as percentages and rates are */
			v = (double)(int64_t)(bits % 100000000) / pow(10, (double)(bits >> 60));
			break;
		case 2:
			v = (double)(bits >> 11) * 0x1p-53 * pow(10, (double)(int)(bits % 40) - 20);
			break;
		default:
			v = (double)(int64_t)bits / 1024.0;
			break;
		}
		if (bits & 1)
			v = -v;
		store_format_double(text, v);
		assert_int_equal(text_parse_double(text, strlen(text), &back), 0);
		if (!same_double(v, back))
			fail_msg("%.17g printed as %s read back as %.17g", v, text, back);
		if (isnan(v) || isinf(v) || v == 0)
			continue;
		reference_double(ref, v);
		if (strcmp(ref, text) != 0)
			fail_msg("%.17g printed as %s, expected %s", v, text, ref);
	}
}

static void test_format_double_for_files(void **state)
{
	char buf[STORE_VALUE_TEXT_MAX];

	(void)state;
	text_format_double(buf, 5);
	assert_string_equal(buf, "5.0");
	text_format_double(buf, -0.0);
	assert_string_equal(buf, "-0.0");
	text_format_double(buf, 1e300);
	assert_string_equal(buf, "1e+300");
	text_format_double(buf, 0.25);
	assert_string_equal(buf, "0.25");
	text_format_double(buf, NAN);
	assert_string_equal(buf, "nan");
	text_format_double(buf, -INFINITY);
	assert_string_equal(buf, "-inf");
}

static void check_double(const char *s, double want)
{
	double v;

	if (text_parse_double(s, strlen(s), &v) != 0)
		fail_msg("'%s' not parsed", s);
	if (!same_double(v, want))
		fail_msg("'%s' parsed as %.17g, expected %.17g", s, v, want);
}

static void test_parse_double(void **state)
{
	static const char *const bad[] = {"",    "-",   "+",    ".",     "e5",   "1e",
	                                  "1e+", "1x",  " 1",   "1 ",    "0x10", "nanx",
	                                  "in",  "--1", "1..2", "1e5.5", "1,5",  "inff"};
	double v;

	(void)state;
	check_double("0", 0);
	check_double("-0", -0.0);
	check_double("1.5", 1.5);
	check_double("+1.5", 1.5);
	check_double(".5", 0.5);
	check_double("5.", 5);
	check_double("1e3", 1000);
	check_double("1E-3", 0.001);
	check_double("-2.5e+2", -250);
	check_double("NaN", NAN);
	check_double("nan", NAN);
	check_double("-nan", NAN);
	check_double("inf", INFINITY);
	check_double("-Infinity", -INFINITY);
	check_double("+INF", INFINITY);
	check_double("1e400", INFINITY);
	check_double("1e-400", 0);
	check_double("4.9406564584124654e-324", 4.9406564584124654e-324);
	check_double("0.30000000000000004", 0.30000000000000004);
	check_double("123456789012345678901234567890", 123456789012345678901234567890.0);
	check_double("0.000000000000000000000000000001", 1e-30);
	check_double("9007199254740993", 9007199254740993.0); /* ties to even, as strtod */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (text_parse_double(bad[i], strlen(bad[i]), &v) == 0)
			fail_msg("'%s' parsed as a double", bad[i]);
}

/* Random decimal texts: the same double as strtod in the C locale. */
static void test_parse_double_random(void **state)
{
	char text[64];
	double v;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t a = rnd(), b = rnd();
		int digits = 1 + (int)(a % 22), point = (int)(b % (uint64_t)(digits + 1)), n = 0;

		if (a & 1)
			text[n++] = '-';
		for (int d = 0; d < digits; d++) {
			if (d == point && d)
				text[n++] = '.';
			text[n++] = (char)('0' + (b >> (d % 60)) % 10);
			b = b * 6364136223846793005ULL + 1;
		}
		if (a & 2)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "e%d",
			              (int)(a >> 40) % 640 - 320);
		text[n] = '\0';
		assert_int_equal(text_parse_double(text, (size_t)n, &v), 0);
		if (!same_double(v, strtod(text, NULL)))
			fail_msg("'%s' parsed as %.17g, strtod says %.17g", text, v,
			         strtod(text, NULL));
	}
}

static void test_parse_int_bool(void **state)
{
	int64_t v;
	int b;

	(void)state;
	assert_int_equal(text_parse_i64("0", 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(text_parse_i64("9223372036854775807", 19, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(text_parse_i64("-9223372036854775808", 20, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(text_parse_i64("+17", 3, &v), 0);
	assert_int_equal(v, 17);
	assert_int_equal(text_parse_i64("007", 3, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(text_parse_i64("9223372036854775808", 19, &v), -2);
	assert_int_equal(text_parse_i64("-9223372036854775809", 20, &v), -2);
	assert_int_equal(text_parse_i64("99999999999999999999x", 21, &v), -1);
	assert_int_equal(text_parse_i64("", 0, &v), -1);
	assert_int_equal(text_parse_i64("-", 1, &v), -1);
	assert_int_equal(text_parse_i64("1.0", 3, &v), -1);
	assert_int_equal(text_parse_i64(" 1", 2, &v), -1);
	assert_int_equal(text_parse_i64("12", 1, &v), 0); /* only the length given */
	assert_int_equal(v, 1);

	{
		static const int64_t vals[] = {
		    0, 9, 10, 99, 100, -1, -10, 1234567890123, INT64_MIN, INT64_MAX};
		char buf[24], ref[24];

		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			snprintf(ref, sizeof(ref), "%lld", (long long)vals[i]);
			assert_int_equal(text_format_i64(buf, vals[i]), strlen(ref));
			assert_string_equal(buf, ref);
		}
		for (int i = 0; i < 100000; i++) {
			int64_t x = (int64_t)rnd() >> (rnd() % 64);

			snprintf(ref, sizeof(ref), "%lld", (long long)x);
			text_format_i64(buf, x);
			assert_string_equal(buf, ref);
			assert_int_equal(text_parse_i64(buf, strlen(buf), &v), 0);
			assert_true(v == x);
		}
	}
	assert_int_equal(text_parse_bool("true", 4, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(text_parse_bool("FALSE", 5, &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(text_parse_bool("True", 4, &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(text_parse_bool("1", 1, &b), -1);
	assert_int_equal(text_parse_bool("truex", 5, &b), -1);
	assert_int_equal(text_parse_bool("t", 1, &b), -1);
}

static void test_format_timestamp(void **state)
{
	(void)state;
	assert_string_equal(fmt_ts(0), "1970-01-01T00:00:00Z");
	assert_string_equal(fmt_ts(1), "1970-01-01T00:00:00.000001Z");
	assert_string_equal(fmt_ts(-1), "1969-12-31T23:59:59.999999Z");
	assert_string_equal(fmt_ts(1795341600000000LL), "2026-11-22T10:00:00Z");
	assert_string_equal(fmt_ts(1795341600123456LL), "2026-11-22T10:00:00.123456Z");
	assert_string_equal(fmt_ts(1795341600100000LL), "2026-11-22T10:00:00.100000Z");
	assert_string_equal(fmt_ts(951782400000000LL), "2000-02-29T00:00:00Z");
	assert_string_equal(fmt_ts(TS_MIN), "0001-01-01T00:00:00Z");
	assert_string_equal(fmt_ts(TS_MAX), "9999-12-31T23:59:59.999999Z");
	/* Outside years 1 to 9999: the microseconds, which read back. */
	assert_string_equal(fmt_ts(TS_MIN - 1), "-62135596800000001");
	assert_string_equal(fmt_ts(TS_MAX + 1), "253402300800000000");
	assert_string_equal(fmt_ts(INT64_MAX), "9223372036854775807");
	assert_string_equal(fmt_ts(INT64_MIN), "-9223372036854775808");
}

static void check_ts(const char *s, int64_t want)
{
	int64_t us;

	if (parse_ts(s, &us) != 0)
		fail_msg("'%s' not parsed", s);
	if (us != want)
		fail_msg("'%s' parsed as %lld, expected %lld", s, (long long)us, (long long)want);
}

static void test_parse_timestamp(void **state)
{
	static const char *const bad[] = {
	    "2026-13-01T00:00:00Z",
	    "2026-00-10T00:00:00Z",
	    "2026-11-32T00:00:00Z",
	    "2026-02-30T00:00:00Z",
	    "2023-02-29T00:00:00Z",
	    "1900-02-29",
	    "2026-11-22T25:00:00Z",
	    "2026-11-22T24:00:00Z",
	    "2026-11-22T10:60:00Z",
	    "2026-11-22T10:00:60Z",
	    "0000-01-01T00:00:00Z",
	    "2026-11-22T",
	    "2026-11-22T10",
	    "2026-11-22T10:00:00.",
	    "2026-11-22T10:00:00.1234567890Z",
	    "2026-11-22T10:00:00+1",
	    "2026-11-22T10:00:00+01:",
	    "2026-11-22T10:00:00+24:00",
	    "2026-11-22T10:00:00 Z",
	    "2026-11-22x10:00:00",
	    "2026-11-22Z",
	    "26-11-22",
	    "2026/11/22",
	    "2026-1-22",
	    "",
	    "abc",
	    "12a",
	    "0001-01-01T00:00:00+00:01",
	    "2026-11-22T10:00:00Zx",
	    " 2026-11-22",
	};
	const int64_t t = 1795341600000000LL; /* 2026-11-22T10:00:00Z */
	int64_t us;

	(void)state;
	check_ts("2026-11-22T10:00:00Z", t);
	check_ts("2026-11-22t10:00:00z", t);
	check_ts("2026-11-22 10:00:00", t);
	check_ts("2026-11-22T10:00", t);
	check_ts("2026-11-22T11:00:00+01:00", t);
	check_ts("2026-11-22T04:30:00-0530", t);
	check_ts("2026-11-22T12:00:00+02", t);
	check_ts("2026-11-22", t - 10 * 3600 * 1000000LL);
	check_ts("2026-11-22T10:00:00.5Z", t + 500000);
	check_ts("2026-11-22T10:00:00.123456789Z", t + 123456);
	check_ts("2026-11-22T10:00:00.000001", t + 1);
	check_ts("1969-12-31T23:59:59.9999999Z", -1);
	check_ts("2024-02-29T00:00:00Z", 1709164800000000LL);
	check_ts("2000-02-29", 951782400000000LL);
	check_ts("0001-01-01T00:00:00Z", TS_MIN);
	check_ts("9999-12-31T23:59:59.999999Z", TS_MAX);
	check_ts("0001-01-01T00:30:00-00:30", TS_MIN + 3600000000LL);
	check_ts("1795341600000000", t);
	check_ts("-5", -5);
	check_ts("9223372036854775807", INT64_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse_ts(bad[i], &us) == 0)
			fail_msg("'%s' parsed as %lld", bad[i], (long long)us);
	/* Inference wants a date: a bare integer is not one. */
	assert_int_equal(text_parse_dated_timestamp("12345", 5, &us), -1);
	assert_int_equal(text_parse_dated_timestamp("2026-11-22", 10, &us), 0);
}

/* Every instant formats and parses back; the calendar agrees with timegm(). */
static void test_timestamp_round_trip(void **state)
{
	char text[STORE_VALUE_TEXT_MAX];
	int64_t back;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		uint64_t r = rnd();
		int64_t us = TS_MIN + (int64_t)(r % (uint64_t)(TS_MAX - TS_MIN + 1));
		struct tm tm;
		time_t secs;

		if (i % 3 == 0)
			us -= us % 1000000; /* whole seconds too */
		store_format_timestamp(text, us);
		assert_int_equal(strlen(text), us % 1000000 ? 27 : 20);
		if (parse_ts(text, &back) != 0 || back != us)
			fail_msg("%lld formatted as %s read back as %lld", (long long)us, text,
			         (long long)back);
		memset(&tm, 0, sizeof(tm));
		if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		           &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
			fail_msg("%s", text);
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		secs = timegm(&tm);
		if ((int64_t)secs != (us - (((us % 1000000) + 1000000) % 1000000)) / 1000000)
			fail_msg("%s: timegm says %lld", text, (long long)secs);
	}
	for (int64_t us = TS_MIN - 3; us <= TS_MIN + 3; us++) {
		store_format_timestamp(text, us);
		assert_int_equal(parse_ts(text, &back), 0);
		assert_true(back == us);
	}
}

static void test_preview(void **state)
{
	char buf[TEXT_PREVIEW_BUF];
	char long_text[200];

	(void)state;
	assert_string_equal(text_preview(buf, "a\tb\nc", 5), "a?b?c");
	memset(long_text, 'x', sizeof(long_text));
	text_preview(buf, long_text, sizeof(long_text));
	assert_int_equal(strlen(buf), TEXT_PREVIEW_MAX + 3);
	assert_string_equal(buf + TEXT_PREVIEW_MAX, "...");
	/* A cut never splits a UTF-8 sequence. */
	memset(long_text, 'x', sizeof(long_text));
	memcpy(long_text + TEXT_PREVIEW_MAX - 1, "\xC3\xA9", 2);
	text_preview(buf, long_text, sizeof(long_text));
	assert_int_equal(strlen(buf), TEXT_PREVIEW_MAX - 1 + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_double),
	    cmocka_unit_test(test_double_round_trip),
	    cmocka_unit_test(test_format_double_for_files),
	    cmocka_unit_test(test_parse_double),
	    cmocka_unit_test(test_parse_double_random),
	    cmocka_unit_test(test_parse_int_bool),
	    cmocka_unit_test(test_format_timestamp),
	    cmocka_unit_test(test_parse_timestamp),
	    cmocka_unit_test(test_timestamp_round_trip),
	    cmocka_unit_test(test_preview),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
