/*
 * Which panels and lines a trace's chart gets (analyze/charts.h): the four
 * panels of a system trace with their legends, idle devices left out, the
 * busiest lines kept and the rest counted, --metric / --pid / --entity
 * choices and their errors, and a process log's RSS, VMS, CPU from its CPU
 * seconds and gauges, with its labels as events.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "analyze/charts.h"

#define T0 1795305600000000LL

/* A CSV trace: 20 samples of the system, all CPUs, two disks (one idle), 12 processes. */
static const char *system_trace(void)
{
	static char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/sys.csv", tu_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("time,kind,id,name,mem_used_bytes,mem_cached_bytes,swap_used_bytes,busy_percent,"
	      "user_percent,system_percent,iowait_percent,read_bytes_per_second,"
	      "write_bytes_per_second,rx_bytes_per_second,tx_bytes_per_second,pid,start_time,"
	      "rss_bytes,cpu_percent\n",
	      f);
	for (int s = 0; s < 20; s++) {
		long long t = T0 + s * 1000000LL;

		fprintf(f, "%lld,system,system,host,%d,%d,0,,,,,,,,,,,,\n", t, 1000 + s, 500);
		fprintf(f, "%lld,cpu,total,cpu,,,,%d,%d,%d,1,,,,,,,,\n", t, 30 + s, 20, 9);
		fprintf(f, "%lld,cpu,0,cpu0,,,,50,40,9,1,,,,,,,,\n", t);
		fprintf(f, "%lld,disk,sda,sda,,,,,,,,%d,2000,,,,,,\n", t, 100 * s);
		fprintf(f, "%lld,disk,sdb,sdb,,,,,,,,0,0,,,,,,\n", t);
		fprintf(f, "%lld,net,eth0,eth0,,,,,,,,,,300,400,,,,\n", t);
		for (int p = 0; p < 12; p++)
			fprintf(f, "%lld,process,%d,proc%d,,,,,,,,,,,,%d,%lld,%d,%d\n", t, 100 + p,
			        p, 100 + p, T0 - 1000000LL, (p + 1) * 1000000 + s, p);
	}
	fprintf(f, "%lld,event,cli,phase two,,,,,,,,,,,,,,,\n", T0 + 5000000LL);
	fclose(f);
	return path;
}

static const struct svg_panel *panel_named(const struct charts *c, const char *title)
{
	for (size_t i = 0; i < c->chart.npanels; i++)
		if (strcmp(c->chart.panels[i].title, title) == 0)
			return &c->chart.panels[i];
	return NULL;
}

static int has_line(const struct svg_panel *p, const char *label)
{
	for (size_t i = 0; i < p->nlines; i++)
		if (strcmp(p->lines[i].label, label) == 0)
			return 1;
	return 0;
}

static void test_system_defaults(void **state)
{
	struct charts_options o;
	struct charts *c;
	const struct svg_panel *p;
	char err[512];

	(void)state;
	charts_options_init(&o);
	assert_int_equal(charts_build(&c, system_trace(), &o, err, sizeof(err)), 0);
	assert_string_equal(c->what, "system trace");
	assert_int_equal(c->chart.npanels, 4);
	p = panel_named(c, "CPU");
	assert_non_null(p);
	assert_int_equal(p->unit, SVG_UNIT_PERCENT);
	assert_int_equal(p->nlines, 4); /* all CPUs only, not cpu0 */
	assert_true(has_line(p, "busy") && has_line(p, "iowait"));
	assert_int_equal(p->lines[0].n, 20);
	p = panel_named(c, "Memory");
	assert_non_null(p);
	assert_int_equal(p->unit, SVG_UNIT_BYTES);
	assert_true(has_line(p, "used") && has_line(p, "swap used"));
	p = panel_named(c, "Disk I/O");
	assert_non_null(p);
	assert_true(has_line(p, "sda read") && has_line(p, "sda write"));
	assert_false(has_line(p, "sdb read")); /* idle all along */
	p = panel_named(c, "Network");
	assert_non_null(p);
	assert_true(has_line(p, "eth0 received"));
	assert_int_equal(c->chart.nevents, 1);
	assert_string_equal(c->chart.events[0].text, "phase two");
	charts_free(c);
}

static void test_metric_top_and_errors(void **state)
{
	const char *metrics[] = {"rss_bytes"}, *bad[] = {"no_such_column"};
	const int64_t pids[] = {105}, nopid[] = {4000000}, short_pid[] = {10};
	struct charts_options o;
	struct charts *c;
	const struct svg_panel *p;
	char err[512];

	(void)state;
	charts_options_init(&o);
	o.metrics = metrics;
	o.metric_count = 1;
	o.top = 3;
	assert_int_equal(charts_build(&c, system_trace(), &o, err, sizeof(err)), 0);
	assert_int_equal(c->chart.npanels, 1);
	p = &c->chart.panels[0];
	assert_string_equal(p->title, "rss_bytes");
	assert_int_equal(p->unit, SVG_UNIT_BYTES);
	assert_int_equal(p->nlines, 3);
	assert_int_equal(p->more, 9);
	/* The three largest, in their own order. */
	assert_string_equal(p->lines[0].label, "proc9 (109)");
	assert_string_equal(p->lines[2].label, "proc11 (111)");
	charts_free(c);

	o.metrics = bad;
	assert_true(charts_build(&c, system_trace(), &o, err, sizeof(err)) < 0);
	assert_null(c);
	assert_non_null(strstr(err, "no_such_column"));
	assert_non_null(strstr(err, "sys.csv"));

	charts_options_init(&o);
	o.pids = pids;
	o.pid_count = 1;
	assert_int_equal(charts_build(&c, system_trace(), &o, err, sizeof(err)), 0);
	p = panel_named(c, "Resident memory (RSS)");
	assert_non_null(p);
	assert_int_equal(p->nlines, 1);
	assert_string_equal(p->lines[0].label, "proc5 (105)");
	charts_free(c);
	o.pids = nopid;
	assert_true(charts_build(&c, system_trace(), &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "pid"));
	/* Pid 10 is a prefix of pids 100 to 109, but none of them. */
	o.pids = short_pid;
	assert_true(charts_build(&c, system_trace(), &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "pid"));

	charts_options_init(&o);
	o.kind = "disk";
	o.id = "sda";
	assert_int_equal(charts_build(&c, system_trace(), &o, err, sizeof(err)), 0);
	assert_int_equal(c->chart.npanels, 1);
	assert_string_equal(c->chart.panels[0].title, "Disk I/O");
	charts_free(c);
	o.kind = "psi";
	o.id = NULL;
	assert_true(charts_build(&c, system_trace(), &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "--metric"));
}

/* A vitals process log: RSS with the heap, VMS, CPU from CPU seconds, gauges, labels. */
static void test_process_log(void **state)
{
	struct charts_options o;
	struct charts *c;
	const struct svg_panel *p;
	char err[512], path[4096];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/app.jsonl", tu_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 10; i++)
		fprintf(f,
		        "{\"time_us\": %lld, \"pid\": 42, \"memory_info\": {\"rss\": %d, \"vms\": "
		        "%d}, \"cpu_times\": {\"user\": %g, \"system\": 0}, \"elapsed_time\": %d, "
		        "\"heap\": {\"in_use\": %d}, \"gauges\": {\"/cache\": %d}%s}\n",
		        T0 + i * 1000000LL, 1000000 + i * 1000, 50000000, i * 0.25, i, 500000 + i,
		        i * 10, i == 4 ? ", \"label\": \"half <way>\"" : "");
	fclose(f);
	charts_options_init(&o);
	assert_int_equal(charts_build(&c, path, &o, err, sizeof(err)), 0);
	assert_string_equal(c->what, "process log");
	p = panel_named(c, "Resident memory (RSS)");
	assert_non_null(p);
	assert_true(has_line(p, "RSS") && has_line(p, "heap in use"));
	assert_non_null(panel_named(c, "Virtual memory (VMS)"));
	p = panel_named(c, "CPU");
	assert_non_null(p);
	assert_int_equal(p->nlines, 1);
	/* 0.25 s of CPU a second: 25%. */
	assert_true(p->lines[0].valid[5]);
	assert_true(fabs(p->lines[0].v[5] - 25) < 0.5);
	assert_false(p->lines[0].valid[0]);
	p = panel_named(c, "Gauges");
	assert_non_null(p);
	assert_string_equal(p->lines[0].label, "/cache");
	assert_int_equal(c->chart.nevents, 1);
	assert_string_equal(c->chart.events[0].text, "half <way>");
	charts_describe(c, path, NULL, "UTC");
	assert_string_equal(c->chart.title, "app.jsonl");
	assert_non_null(strstr(c->chart.subtitle, "process log"));
	assert_non_null(strstr(c->chart.subtitle, "1 event"));
	charts_free(c);
}

static void test_units_from_names(void **state)
{
	(void)state;
	assert_int_equal(charts_unit_of("busy_percent"), SVG_UNIT_PERCENT);
	assert_int_equal(charts_unit_of("some_avg10"), SVG_UNIT_PERCENT);
	assert_int_equal(charts_unit_of("rx_bytes_per_second"), SVG_UNIT_BYTES_PER_SECOND);
	assert_int_equal(charts_unit_of("rss_bytes"), SVG_UNIT_BYTES);
	assert_int_equal(charts_unit_of("sample_seconds"), SVG_UNIT_SECONDS);
	assert_int_equal(charts_unit_of("load1"), SVG_UNIT_PLAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_system_defaults, tu_dir_setup, tu_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_metric_top_and_errors, tu_dir_setup,
	                                    tu_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_process_log, tu_dir_setup, tu_dir_teardown),
	    cmocka_unit_test(test_units_from_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
