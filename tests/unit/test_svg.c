/*
 * The chart renderer: time ticks at round local times in several zones and
 * across daylight saving changes, value ticks and units, the reduction of
 * long series that must keep every spike, line breaks at gaps, XML
 * escaping, and a million-point chart that stays small.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "analyze/svg.h"

#define US 1000000LL

static void use_zone(const char *zone)
{
	setenv("TZ", zone, 1);
	tzset();
}

/* UTC microseconds of a UTC civil time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900,
	                .tm_mon = mo - 1,
	                .tm_mday = d,
	                .tm_hour = h,
	                .tm_min = mi,
	                .tm_sec = s};

	return (int64_t)timegm(&tm) * US;
}

static void local_of(int64_t t, struct tm *tm)
{
	time_t s = (time_t)(t / US);

	assert_non_null(localtime_r(&s, tm));
}

static void test_ticks_utc_minutes(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;

	(void)state;
	use_zone("UTC");
	/* 10:03:20 to 11:03:20: ten-minute ticks at round minutes. */
	n = svg_time_ticks(utc(2026, 12, 2, 10, 3, 20), utc(2026, 12, 2, 11, 3, 20), 10, k, 64,
	                   &step);
	assert_int_equal(step, 600 * US);
	assert_int_equal(n, 6);
	assert_string_equal(k[0].label, "10:10");
	assert_string_equal(k[5].label, "11:00");
	assert_string_equal(k[0].date, "Wed 02 Dec");
	assert_string_equal(k[1].date, "");
	/* Seconds when the span is short, tenths below that. */
	n = svg_time_ticks(utc(2026, 12, 2, 10, 0, 0), utc(2026, 12, 2, 10, 0, 3), 8, k, 64, &step);
	assert_int_equal(step, 500000);
	assert_string_equal(k[1].label, "10:00:00.5");
	n = svg_time_ticks(utc(2026, 12, 2, 10, 0, 0), utc(2026, 12, 2, 10, 0, 40), 6, k, 64,
	                   &step);
	assert_int_equal(step, 10 * US);
	assert_int_equal(n, 5);
	assert_string_equal(k[4].label, "10:00:40");
}

/* Every tick of an hourly axis in Paris on the night clocks go forward sits on a local hour. */
static void test_ticks_dst_spring_forward(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;
	int seen_two = 0, seen_three = 0;

	(void)state;
	use_zone("Europe/Paris");
	/* 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST. */
	n = svg_time_ticks(utc(2026, 3, 28, 21, 30, 0), utc(2026, 3, 29, 4, 30, 0), 10, k, 64,
	                   &step);
	assert_int_equal(step, 3600 * US);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < n; i++) {
		struct tm tm;

		local_of(k[i].t, &tm);
		assert_int_equal(tm.tm_min, 0);
		assert_int_equal(tm.tm_sec, 0);
		seen_two |= strcmp(k[i].label, "02:00") == 0;
		seen_three |= strcmp(k[i].label, "03:00") == 0;
		if (i)
			assert_int_equal(k[i].t - k[i - 1].t, 3600 * US);
	}
	assert_false(seen_two); /* 02:00 does not exist that night */
	assert_true(seen_three);
	assert_string_equal(k[0].label, "23:00");
	assert_string_equal(k[1].date, "Sun 29 Mar");
}

/* Six-hour ticks stay on 00/06/12/18 local through the autumn change in New York. */
static void test_ticks_dst_fall_back_hours(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;
	int long_gap = 0;

	(void)state;
	use_zone("America/New_York");
	/* 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST. */
	n = svg_time_ticks(utc(2026, 10, 30, 0, 0, 0), utc(2026, 11, 3, 0, 0, 0), 20, k, 64, &step);
	assert_int_equal(step, 21600 * US);
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		struct tm tm;

		local_of(k[i].t, &tm);
		assert_int_equal(tm.tm_hour % 6, 0);
		assert_int_equal(tm.tm_min, 0);
		if (i && k[i].t - k[i - 1].t == 7 * 3600 * US)
			long_gap++; /* the night with 25 hours */
		else if (i)
			assert_int_equal(k[i].t - k[i - 1].t, 6 * 3600 * US);
	}
	assert_int_equal(long_gap, 1);
}

/* Day ticks are local midnights, 23 hours apart on the day clocks go forward. */
static void test_ticks_days_local_midnight(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;
	int short_day = 0;

	(void)state;
	use_zone("America/New_York");
	/* 2026-03-08: 02:00 EST becomes 03:00 EDT. */
	n = svg_time_ticks(utc(2026, 3, 3, 12, 0, 0), utc(2026, 3, 13, 12, 0, 0), 12, k, 64, &step);
	assert_int_equal(step, 86400 * US);
	assert_int_equal(n, 10);
	assert_string_equal(k[0].label, "Mar 04");
	assert_string_equal(k[0].date, "2026");
	for (size_t i = 0; i < n; i++) {
		struct tm tm;

		local_of(k[i].t, &tm);
		assert_int_equal(tm.tm_hour, 0);
		assert_int_equal(tm.tm_min, 0);
		if (i && k[i].t - k[i - 1].t == 23 * 3600 * US)
			short_day++;
		else if (i)
			assert_int_equal(k[i].t - k[i - 1].t, 24 * 3600 * US);
	}
	assert_int_equal(short_day, 1);
}

/* Week ticks fall on Monday midnights; an absurd range is answered at once, with few ticks. */
static void test_ticks_weeks_and_extremes(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;

	(void)state;
	use_zone("Europe/Paris");
	n = svg_time_ticks(utc(2026, 9, 1, 0, 0, 0), utc(2026, 12, 1, 0, 0, 0), 16, k, 64, &step);
	assert_int_equal(step, 7 * 86400 * US);
	assert_true(n >= 12 && n <= 14);
	for (size_t i = 0; i < n; i++) {
		struct tm tm;

		local_of(k[i].t, &tm);
		assert_int_equal(tm.tm_wday, 1);
		assert_int_equal(tm.tm_hour, 0);
	}
	n = svg_time_ticks(INT64_MIN / 2, INT64_MAX / 2, 10, k, 64, &step);
	assert_true(n <= 12);
	n = svg_time_ticks(0, INT64_MAX / 4, 10, k, 64, &step);
	assert_true(n <= 12);
	use_zone("UTC");
}

/* A zone 5:45 ahead of UTC gets ticks at its own quarter hours, not UTC's. */
static void test_ticks_odd_offset(void **state)
{
	struct svg_tick k[64];
	int64_t step;
	size_t n;

	(void)state;
	use_zone("Asia/Kathmandu");
	n = svg_time_ticks(utc(2026, 6, 1, 0, 0, 0), utc(2026, 6, 1, 2, 0, 0), 10, k, 64, &step);
	assert_int_equal(step, 900 * US);
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		struct tm tm;

		local_of(k[i].t, &tm);
		assert_int_equal(tm.tm_min % 15, 0);
	}
	assert_string_equal(k[0].label, "05:45"); /* 00:00 UTC */
	assert_string_equal(k[1].label, "06:00");
	use_zone("UTC");
}

static void test_value_ticks_and_units(void **state)
{
	double lo = 0, hi = 3.3 * 1024 * 1024 * 1024, t[16];
	size_t n;
	char buf[48];

	(void)state;
	n = svg_value_ticks(&lo, &hi, SVG_UNIT_BYTES, 6, t, 16);
	assert_true(n >= 3 && n <= 8);
	/* Binary steps: every tick a whole number of half GiB. */
	for (size_t i = 0; i < n; i++)
		assert_true(fmod(t[i], 512.0 * 1024 * 1024) == 0);
	assert_true(hi >= 3.3 * 1024 * 1024 * 1024);
	assert_string_equal(svg_format_value(buf, sizeof(buf), 1536, SVG_UNIT_BYTES), "1.5 KiB");
	assert_string_equal(
	    svg_format_value(buf, sizeof(buf), 2.0 * 1024 * 1024 * 1024, SVG_UNIT_BYTES), "2 GiB");
	assert_string_equal(
	    svg_format_value(buf, sizeof(buf), 300 * 1024, SVG_UNIT_BYTES_PER_SECOND), "300 KiB/s");
	assert_string_equal(svg_format_value(buf, sizeof(buf), 42.5, SVG_UNIT_PERCENT), "42.5%");
	assert_string_equal(svg_format_value(buf, sizeof(buf), 1500, SVG_UNIT_PLAIN), "1.5k");
	assert_string_equal(svg_format_value(buf, sizeof(buf), 0.02, SVG_UNIT_SECONDS), "20 ms");
	/* A flat zero line still gets an axis. */
	lo = hi = 0;
	n = svg_value_ticks(&lo, &hi, SVG_UNIT_PERCENT, 6, t, 16);
	assert_true(n >= 2);
	assert_true(lo == 0 && hi > 0);
}

/* One sample of 1000 among a million zeros survives the reduction to 900 columns. */
static void test_reduce_keeps_spike(void **state)
{
	const size_t n = 1000000, cols = 900;
	int64_t *t = malloc(n * sizeof(*t));
	double *v = calloc(n, sizeof(*v));
	size_t *idx = malloc(4 * cols * sizeof(*idx));
	uint8_t *brk = malloc(4 * cols);
	size_t count, spike = 654321, dip = 12345;
	int found = 0, found_dip = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		t[i] = (int64_t)i * 1000;
		v[i] = 5;
	}
	v[spike] = 1000;
	v[dip] = -7;
	count = svg_reduce(t, v, NULL, n, t[0], t[n - 1], cols, 0, idx, brk);
	assert_true(count <= 2 * cols);
	assert_true(count >= cols);
	for (size_t k = 0; k < count; k++) {
		found |= idx[k] == spike;
		found_dip |= idx[k] == dip;
		if (k)
			assert_true(idx[k] > idx[k - 1]); /* in time order */
		assert_int_equal(brk[k], k == 0);
	}
	assert_true(found);
	assert_true(found_dip);
	free(t);
	free(v);
	free(idx);
	free(brk);
}

/* A null, and a gap longer than asked, lift the pen; samples out of range are left out. */
static void test_reduce_breaks(void **state)
{
	int64_t t[8] = {0, 1, 2, 3, 4, 5, 20, 21};
	double v[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t valid[8] = {1, 1, 1, 0, 1, 1, 1, 1};
	size_t idx[64];
	uint8_t brk[64];
	size_t n;

	(void)state;
	n = svg_reduce(t, v, valid, 8, 0, 21, 22, 5, idx, brk);
	assert_int_equal(n, 7);
	assert_int_equal(idx[3], 4);
	assert_int_equal(brk[3], 1); /* after the null */
	assert_int_equal(idx[5], 6);
	assert_int_equal(brk[5], 1); /* after the gap of 15 */
	assert_int_equal(brk[1] + brk[2] + brk[4] + brk[6], 0);
	n = svg_reduce(t, v, valid, 8, 2, 5, 10, 0, idx, brk);
	assert_int_equal(n, 3);
	assert_int_equal(idx[0], 2);
	assert_int_equal(svg_guess_gap(t, NULL, 8), 5);
}

static char *escaped(const char *s, size_t max)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	svg_escape(f, s, max);
	fclose(f);
	return buf;
}

static void test_escape(void **state)
{
	char *s;

	(void)state;
	s = escaped("a<b> & \"c\" 'd'\x01\tz", 0);
	assert_string_equal(s, "a&lt;b&gt; &amp; &quot;c&quot; &#39;d&#39;  z");
	free(s);
	/* Malformed UTF-8 becomes U+FFFD; good multibyte text passes. */
	s = escaped("\xff\xc3\xa9\xed\xa0\x80", 0);
	assert_string_equal(s, "\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	s = escaped("abcdef", 3);
	assert_string_equal(s, "abc\xe2\x80\xa6");
	free(s);
}

static char *render(const struct svg_chart *c, size_t *len)
{
	char *buf = NULL, err[256];
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(svg_chart_write(c, f, err, sizeof(err)), 0);
	fclose(f);
	return buf;
}

/* A million points draw into well under a megabyte, reaching the spike's height. */
static void test_chart_million_points(void **state)
{
	const size_t n = 1000000;
	int64_t *t = malloc(n * sizeof(*t));
	double *v = malloc(n * sizeof(*v));
	struct svg_line line = {"spiky <one>", t, v, NULL, n};
	struct svg_panel panel = {"Load & spikes", SVG_UNIT_PLAIN, &line, 1, 0};
	struct svg_event ev = {0, "phase \"two\" <b>"};
	struct svg_chart c = {.panels = &panel,
	                      .npanels = 1,
	                      .events = &ev,
	                      .nevents = 1,
	                      .standalone = 1,
	                      .title = "Test"};
	size_t len;
	char *svg;

	(void)state;
	use_zone("UTC");
	for (size_t i = 0; i < n; i++) {
		t[i] = utc(2026, 12, 1, 0, 0, 0) + (int64_t)i * 86400; /* a day in 86.4 ms steps */
		v[i] = 10 + (double)(i % 7);
	}
	v[777777] = 5000;
	ev.t = t[500000];
	svg = render(&c, &len);
	assert_true(len < 1024 * 1024);
	/* The axis reaches the spike, and its label says so. */
	assert_non_null(strstr(svg, ">5k</text>"));
	assert_non_null(strstr(svg, "phase &quot;two&quot; &lt;b&gt;"));
	assert_non_null(strstr(svg, "spiky &lt;one&gt;"));
	assert_null(strstr(svg, "<one>"));
	assert_non_null(strstr(svg, "Load &amp; spikes"));
	assert_non_null(strstr(svg, "Time (UTC)"));
	free(svg);
	free(t);
	free(v);
}

static void test_chart_refuses(void **state)
{
	struct svg_chart c = {0};
	char err[128];
	FILE *f = fopen("/dev/null", "w");

	(void)state;
	assert_int_equal(svg_chart_write(&c, f, err, sizeof(err)), -3);
	assert_non_null(strstr(err, "no panel"));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ticks_utc_minutes),
	    cmocka_unit_test(test_ticks_dst_spring_forward),
	    cmocka_unit_test(test_ticks_dst_fall_back_hours),
	    cmocka_unit_test(test_ticks_days_local_midnight),
	    cmocka_unit_test(test_ticks_odd_offset),
	    cmocka_unit_test(test_ticks_weeks_and_extremes),
	    cmocka_unit_test(test_value_ticks_and_units),
	    cmocka_unit_test(test_reduce_keeps_spike),
	    cmocka_unit_test(test_reduce_breaks),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_chart_million_points),
	    cmocka_unit_test(test_chart_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
