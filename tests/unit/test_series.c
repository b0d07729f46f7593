/*
 * The series loader (src/analyze/series.h): traces in every format,
 * segment sets, process logs (vitals' own and the seeds' prefixed lines),
 * process identity by (pid, start time), missing values, events,
 * metadata, time ranges, averaging steps and the errors a user sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "analyze/series.h"
#include "testutil.h"

#define T0 1795000000000000LL /* 2026-11-18, UTC microseconds */

struct tw {
	struct vitals_trace *tr;
	struct vitals_batch *b;
};

static void tw_init(struct tw *w)
{
	assert_int_equal(vitals_trace_new(&w->tr), 0);
	assert_int_equal(vitals_batch_new(&w->b, vitals_trace_schema(w->tr)), 0);
}

static size_t col(struct tw *w, const char *name)
{
	int c = vitals_trace_column(w->tr, name);
	assert_true(c >= 0);
	return (size_t)c;
}

static void head(struct tw *w, int64_t t, const char *kind, const char *id, const char *name)
{
	assert_int_equal(vitals_batch_set_i64(w->b, 0, t), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 1, kind, strlen(kind)), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 2, id, strlen(id)), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 3, name, strlen(name)), 0);
}

/* A process row; RSS < 0 leaves rss_bytes null. */
static void proc_row(struct tw *w, int64_t t, int pid, int ppid, int64_t start, const char *name,
                     int64_t rss)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", pid);
	head(w, t, "process", id, name);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "pid"), pid), 0);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "ppid"), ppid), 0);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "start_time"), start), 0);
	if (rss >= 0)
		assert_int_equal(vitals_batch_set_i64(w->b, col(w, "rss_bytes"), rss), 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

static void write_file(struct tw *w, const char *path)
{
	struct vitals_write_options o;
	struct vitals_writer *wr;
	struct vitals_kv meta[] = {{"vitals.host", "testhost"},
	                           {"vitals.kernel", "6.1.0"},
	                           {"vitals.timezone", "Europe/Paris"},
	                           {"vitals.sample_interval_seconds", "1"}};
	char err[256];

	vitals_write_options_init(&o);
	o.meta = meta;
	o.meta_count = 4;
	o.row_group_rows = 16; /* several row groups */
	assert_int_equal(
	    vitals_writer_open(&wr, path, vitals_trace_schema(w->tr), &o, err, sizeof(err)), 0);
	assert_int_equal(vitals_writer_write(wr, w->b), 0);
	assert_int_equal(vitals_writer_close(wr, err, sizeof(err)), 0);
}

static void tw_release(struct tw *w)
{
	vitals_batch_free(w->b);
	vitals_trace_free(w->tr);
}

/*
 * Ten samples: pid 100 (start A) for 0..4, then pid 100 again (start B,
 * a new process) for 5..9; pid 200 throughout with its RSS missing at
 * sample 3; a system row; a gauge; an event appended at the end but dated
 * in the middle.
 */
static void build_trace(struct tw *w)
{
	tw_init(w);
	for (int i = 0; i < 10; i++) {
		int64_t t = T0 + (int64_t)i * 1000000;

		head(w, t, "system", "", "system");
		assert_int_equal(
		    vitals_batch_set_i64(w->b, col(w, "mem_available_bytes"), 8000000000LL - i), 0);
		assert_int_equal(vitals_batch_end_row(w->b), 0);
		if (i < 5)
			proc_row(w, t, 100, 1, T0 - 5000000, "old", 1000 + i);
		else
			proc_row(w, t, 100, 1, T0 + 4500000, "new", 50000 + i);
		proc_row(w, t, 200, 100, T0 - 9000000, "child", i == 3 ? -1 : 2000 + i);
		head(w, t, "gauge", "/scene/textures", "textures");
		assert_int_equal(vitals_batch_set_double(w->b, col(w, "value"), 10.5 * i), 0);
		assert_int_equal(vitals_batch_end_row(w->b), 0);
		head(w, t, "gauge", "/other", "other");
		assert_int_equal(vitals_batch_set_double(w->b, col(w, "value"), 1), 0);
		assert_int_equal(vitals_batch_end_row(w->b), 0);
	}
	head(w, T0 + 2500000, "event", "cli", "deploy");
	assert_int_equal(vitals_batch_set_string(w->b, col(w, "fields"), "{\"v\":\"1\"}", 9), 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
	head(w, T0 + 500000, "event", "command", "start");
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

static const struct series *find(const struct series_set *set, const char *kind, const char *id,
                                 int64_t start)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->series[i].kind, kind) == 0 && strcmp(set->series[i].id, id) == 0 &&
		    (start == -2 || set->series[i].start_time == start))
			return &set->series[i];
	return NULL;
}

static void check_trace(const char *path, int has_meta)
{
	const char *cols[] = {"rss_bytes", "no_such_column", "value"};
	const char *kinds[] = {"process", "gauge"};
	struct series_options o;
	struct series_set *set;
	const struct series *a, *b, *c, *g;
	char err[512];

	series_options_init(&o);
	o.columns = cols;
	o.column_count = 3;
	o.kinds = kinds;
	o.kind_count = 2;
	o.events = 1;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->source, SERIES_SOURCE_TRACE);
	assert_true(set->have[0]);
	assert_false(set->have[1]);
	assert_true(set->have[2]);
	/* Two processes share pid 100: two series, never one. */
	assert_int_equal(set->count, 5);
	a = find(set, "process", "100", T0 - 5000000);
	b = find(set, "process", "100", T0 + 4500000);
	c = find(set, "process", "200", -2);
	g = find(set, "gauge", "/scene/textures", -2);
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(g);
	assert_null(find(set, "system", "", -2));
	assert_int_equal(a->n, 5);
	assert_int_equal(b->n, 5);
	assert_int_equal(a->pid, 100);
	assert_int_equal(c->ppid, 100);
	assert_string_equal(a->name, "old");
	assert_string_equal(b->name, "new");
	assert_int_equal(b->t[0], T0 + 5000000);
	assert_true(series_valid(a, 0, 4));
	assert_int_equal((int64_t)a->v[0][4], 1004);
	assert_int_equal((int64_t)b->v[0][0], 50005);
	/* A null stays missing, and the point is still there. */
	assert_int_equal(c->n, 10);
	assert_false(series_valid(c, 0, 3));
	assert_true(series_valid(c, 0, 4));
	assert_false(series_valid(c, 1, 4));
	assert_true(series_valid(g, 2, 9));
	assert_true(g->v[2][9] == 94.5);
	/* Events in time order, whatever the order in the file. */
	assert_int_equal(set->event_count, 2);
	assert_string_equal(set->events[0].text, "start");
	assert_string_equal(set->events[1].text, "deploy");
	assert_string_equal(set->events[1].source, "cli");
	assert_string_equal(set->events[1].fields, "{\"v\":\"1\"}");
	assert_null(set->events[0].fields);
	assert_int_equal(set->first_time, T0);
	assert_int_equal(set->last_time, T0 + 9000000);
	if (has_meta) {
		assert_string_equal(set->host, "testhost");
		assert_string_equal(set->kernel, "6.1.0");
		assert_string_equal(set->timezone, "Europe/Paris");
		assert_string_equal(series_set_meta(set, "vitals.timezone"), "Europe/Paris");
	} else {
		assert_null(set->host);
	}
	assert_true(set->sample_interval == 1.0);
	series_set_free(set);

	/* A gauge subtree, and a time range. */
	series_options_init(&o);
	o.columns = cols + 2;
	o.column_count = 1;
	o.kinds = kinds + 1;
	o.kind_count = 1;
	o.id_prefix = "/scene/";
	o.from = T0 + 2000000;
	o.to = T0 + 4000000;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->count, 1);
	assert_string_equal(set->series[0].id, "/scene/textures");
	assert_string_equal(set->series[0].name, "textures");
	assert_int_equal(set->series[0].n, 3);
	assert_int_equal(set->series[0].t[0], T0 + 2000000);
	assert_int_equal(set->event_count, 0);
	series_set_free(set);
}

static void test_trace_formats(void **state)
{
	char *dir = tu_tmpdir();
	char path[512];
	struct tw w;

	(void)state;
	build_trace(&w);
	snprintf(path, sizeof(path), "%s/t.parquet", dir);
	write_file(&w, path);
	check_trace(path, 1);
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	write_file(&w, path);
	check_trace(path, 0);
	snprintf(path, sizeof(path), "%s/t.jsonl", dir);
	write_file(&w, path);
	check_trace(path, 0);
	tw_release(&w);
	tu_rmrf(dir);
	free(dir);
}

static void test_every_kind_and_step(void **state)
{
	const char *cols[] = {"rss_bytes", "mem_available_bytes"};
	struct series_options o;
	struct series_set *set;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	const struct series *s;
	struct tw w;

	(void)state;
	build_trace(&w);
	snprintf(path, sizeof(path), "%s/t.parquet", dir);
	write_file(&w, path);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 2;
	o.step_us = 4000000; /* steps [0,4) [4,8) [8,12) s past T0's step */
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	/* Every kind but events: system, two pid-100 lives, 200, two gauges. */
	assert_int_equal(set->count, 6);
	assert_int_equal(set->event_count, 0);
	s = find(set, "system", "", -2);
	assert_non_null(s);
	/* T0 is a multiple of 4 s: steps of 4, 4 and 2 samples. */
	assert_int_equal(s->n, 3);
	assert_int_equal(s->t[0], T0 + 1500000);
	assert_true(s->v[1][0] == 8000000000.0 - 1.5);
	assert_int_equal(s->t[2], T0 + 8500000);
	/* The missing value is left out of the mean, not counted as 0. */
	s = find(set, "process", "200", -2);
	assert_int_equal(s->n, 3);
	assert_true(s->v[0][0] == (2000.0 + 2001 + 2002) / 3);
	series_set_free(set);
	tw_release(&w);
	tu_rmrf(dir);
	free(dir);
}

static void test_segments(void **state)
{
	const char *cols[] = {"rss_bytes"};
	struct series_options o;
	struct series_set *set;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	const struct series *s;
	struct tw w;
	char **paths;
	size_t n;

	(void)state;
	/* Two segments (and files that only look like them), read as one trace. */
	tw_init(&w);
	for (int i = 0; i < 3; i++)
		proc_row(&w, T0 + i * 1000000, 7, 1, T0 - 1, "seg", 100 + i);
	snprintf(path, sizeof(path), "%s/rec-20261118T000000Z.parquet", dir);
	write_file(&w, path);
	vitals_batch_clear(w.b);
	for (int i = 3; i < 6; i++)
		proc_row(&w, T0 + i * 1000000, 7, 1, T0 - 1, "seg", 100 + i);
	snprintf(path, sizeof(path), "%s/rec-20261118T010000Z.parquet", dir);
	write_file(&w, path);
	tu_write(dir, "rec-2026.parquet", "not a segment");
	tu_write(dir, "rec-20261118T020000Z.csv", "other extension");
	tu_write(dir, "record-20261118T020000Z.parquet", "other stem");
	snprintf(path, sizeof(path), "%s/rec.parquet", dir);
	assert_int_equal(series_find_segments(path, &paths, &n), 0);
	assert_int_equal(n, 2);
	assert_non_null(strstr(paths[0], "rec-20261118T000000Z.parquet"));
	series_paths_free(paths, n);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 1;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->source, SERIES_SOURCE_SEGMENTS);
	assert_int_equal(set->files, 2);
	assert_int_equal(set->count, 1);
	s = &set->series[0];
	assert_int_equal(s->n, 6);
	for (size_t i = 0; i < 6; i++)
		assert_true(s->v[0][i] == 100.0 + (double)i);
	assert_string_equal(set->host, "testhost");
	series_set_free(set);
	tw_release(&w);
	tu_rmrf(dir);
	free(dir);
}

static void test_vitals_log(void **state)
{
	const char *cols[] = {"rss_bytes", "heap_in_use_bytes", "value", "mem_available_bytes"};
	struct series_options o;
	struct series_set *set;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	const struct series *me, *kid, *g, *sys;

	(void)state;
	tu_writef(
	    dir, "app.jsonl",
	    "{\"timestamp\": \"2026-11-18 00:00:00.000000\", \"memory_info\": {\"rss\": 1000, "
	    "\"vms\": 5000, \"pfaults\": 1, \"pageins\": 0}, \"cpu_times\": {\"user\": 0.1, "
	    "\"system\": 0, \"children_user\": 0, \"children_system\": 0}, "
	    "\"elapsed_time\": 0.1, \"label\": \"start\", \"time_us\": %lld, \"pid\": 42, "
	    "\"cpu_percent\": null, \"threads\": 2, \"fds\": 5, \"heap\": {\"in_use\": 700, "
	    "\"free\": 10, \"mmapped\": 0, \"arena\": 800}, \"gauges\": "
	    "{\"/scene/tex\\u00e9\": 3}, \"children\": [{\"pid\": 43, \"name\": \"kid\", "
	    "\"ppid\": 42, \"rss\": 99, \"cpu_percent\": 0}], \"system\": "
	    "{\"mem_available_bytes\": 123, \"mem_used_bytes\": 1, \"cpu_busy_percent\": 2, "
	    "\"load1\": 0.5}}\n"
	    "{\"timestamp\": \"2026-11-18 00:00:01.000000\", \"memory_info\": {\"rss\": 2000, "
	    "\"vms\": 5000}, \"elapsed_time\": 1.1, \"time_us\": %lld, \"pid\": 42, "
	    "\"labels\": [\"a\", \"b\\\"q\"], \"gauges\": {\"/scene/tex\\u00e9\": 4}}\n",
	    (long long)T0, (long long)T0 + 1000000);
	snprintf(path, sizeof(path), "%s/app.jsonl", dir);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 4;
	o.events = 1;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->source, SERIES_SOURCE_LOG);
	me = find(set, "process", "42", -2);
	kid = find(set, "process", "43", -2);
	g = find(set, "gauge", "/scene/tex\xc3\xa9", -2);
	sys = find(set, "system", "", -2);
	assert_non_null(me);
	assert_non_null(kid);
	assert_non_null(g);
	assert_non_null(sys);
	assert_int_equal(me->n, 2);
	assert_int_equal(me->t[1], T0 + 1000000);
	assert_true(me->v[0][1] == 2000);
	assert_true(me->v[1][0] == 700);
	/* The second record has no heap: missing, not zero. */
	assert_false(series_valid(me, 1, 1));
	assert_int_equal(me->start_time, T0 - 100000);
	assert_int_equal(kid->ppid, 42);
	assert_string_equal(kid->name, "kid");
	assert_true(kid->v[0][0] == 99);
	assert_true(g->v[2][1] == 4);
	assert_string_equal(g->name, "tex\xc3\xa9");
	assert_true(sys->v[3][0] == 123);
	assert_int_equal(set->event_count, 3);
	assert_string_equal(set->events[0].text, "start");
	assert_string_equal(set->events[2].text, "b\"q");
	assert_true(set->sample_interval == 1.0);
	series_set_free(set);
	tu_rmrf(dir);
	free(dir);
}

/* The seeds' process logger: a log line prefix, then the JSON; other lines in between. */
static void test_seed_log(void **state)
{
	const char *cols[] = {"rss_bytes", "cpu_user_seconds"};
	struct series_options o;
	struct series_set *set;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	const char *old_tz = getenv("TZ");
	char *tz = old_tz ? strdup(old_tz) : NULL;

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	tu_write(dir, "process_C.log",
	         "2019-10-31 14:09:53,700 - - 86611 - (MainThread) - INFO     - starting\n"
	         "2019-10-31 14:09:53,726 - - 86611 - (ProcMon   ) - INFO     - "
	         "ProcessLoggingThread-JSON {\"timestamp\": \"2019-10-31 14:09:53.726676\", "
	         "\"memory_info\": {\"rss\": 11898880, \"vms\": 4404228096, \"pfaults\": 3624, "
	         "\"pageins\": 0}, \"cpu_times\": {\"user\": 0.07540488, \"system\": 0.020255324, "
	         "\"children_user\": 0.0, \"children_system\": 0.0}, \"elapsed_time\": "
	         "0.10263395309448242}\n"
	         "2019-10-31 14:09:53,896 - - 86611 - (ProcMon   ) - INFO     - "
	         "ProcessLoggingThread-JSON {\"timestamp\": \"2019-10-31 14:09:53.896083\", "
	         "\"memory_info\": {\"rss\": 162922496, \"vms\": 4555227136, \"pfaults\": 40495, "
	         "\"pageins\": 0}, \"cpu_times\": {\"user\": 0.108017992, \"system\": 0.056484236, "
	         "\"children_user\": 0.0, \"children_system\": 0.0}, \"elapsed_time\": "
	         "0.27210497856140137, \"label\": \"String of 1 bytes\"}\n"
	         "2019-10-31 14:09:54,000 - - 86611 - (MainThread) - INFO     - a dict {not json\n"
	         "2019-10-31 14:10:06,051 - - 86611 - (ProcMon   ) - INFO     - "
	         "ProcessLoggingThread-JSON {\"timestamp\": \"2019-10-31 14:10:06.051630\", "
	         "\"memory_info\": {\"rss\": 11939840, \"vms\": 4404228096, \"pfaults\": 531770, "
	         "\"pageins\": 0}, \"cpu_times\": {\"user\": 0.583945792, \"system\": 0.66087648, "
	         "\"children_user\": 0.0, \"children_system\": 0.0}, \"elapsed_time\": "
	         "0.05}\n");
	snprintf(path, sizeof(path), "%s/process_C.log", dir);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 2;
	o.events = 1;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->source, SERIES_SOURCE_LOG);
	assert_int_equal(set->skipped_lines, 2);
	/* The elapsed time went back: a second run of pid 86611, a second series. */
	assert_int_equal(set->count, 2);
	assert_string_equal(set->series[0].id, "86611");
	assert_int_equal(set->series[0].pid, 86611);
	assert_int_equal(set->series[0].n, 2);
	assert_int_equal(set->series[1].n, 1);
	assert_true(set->series[0].start_time != set->series[1].start_time);
	/* 2019-10-31T14:09:53.726676Z */
	assert_int_equal(set->series[0].t[0], 1572530993726676LL);
	assert_true(set->series[0].v[0][1] == 162922496.0);
	assert_true(set->series[0].v[1][1] == 0.108017992);
	assert_int_equal(set->event_count, 1);
	assert_string_equal(set->events[0].text, "String of 1 bytes");
	series_set_free(set);
	if (tz)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
	tu_rmrf(dir);
	free(dir);
}

/* Rows that come out of time order (a file appended to later) are put in order. */
static void test_out_of_order(void **state)
{
	const char *cols[] = {"value"};
	const int64_t order[] = {3, 1, 4, 0, 2, 9, 7};
	struct series_options o;
	struct series_set *set;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	struct tw w;

	(void)state;
	tw_init(&w);
	for (size_t i = 0; i < 7; i++) {
		head(&w, T0 + order[i] * 1000000, "gauge", "/g", "g");
		assert_int_equal(
		    vitals_batch_set_double(w.b, col(&w, "value"), (double)order[i] * 10), 0);
		assert_int_equal(vitals_batch_end_row(w.b), 0);
	}
	snprintf(path, sizeof(path), "%s/t.parquet", dir);
	write_file(&w, path);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 1;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->count, 1);
	assert_int_equal(set->series[0].n, 7);
	for (size_t i = 1; i < 7; i++) {
		assert_true(set->series[0].t[i] > set->series[0].t[i - 1]);
		/* Each value moved with its time. */
		assert_true(set->series[0].v[0][i] ==
		            (double)(set->series[0].t[i] - T0) / 1000000 * 10);
	}
	series_set_free(set);
	/* Averaged into 5 s steps: [0, 5) and [5, 10), whatever the order. */
	o.step_us = 5000000;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), 0);
	assert_int_equal(set->series[0].n, 2);
	assert_int_equal(set->series[0].t[0], T0 + 2000000);
	assert_true(set->series[0].v[0][0] == 20);
	assert_int_equal(set->series[0].t[1], T0 + 8000000);
	assert_true(set->series[0].v[0][1] == 80);
	series_set_free(set);
	tw_release(&w);
	tu_rmrf(dir);
	free(dir);
}

static void test_errors(void **state)
{
	const char *cols[] = {"rss_bytes"};
	struct series_options o;
	struct series_set *set = (struct series_set *)1;
	char *dir = tu_tmpdir();
	char path[512], err[512];
	struct vitals_schema s;
	struct vitals_batch *b;
	struct vitals_writer *w;

	(void)state;
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 1;
	snprintf(path, sizeof(path), "%s/none.parquet", dir);
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), VITALS_E_NOTFOUND);
	assert_null(set);
	assert_non_null(strstr(err, "none.parquet"));
	assert_non_null(strstr(err, "no such file"));

	/* A Parquet file that is not a trace. */
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "x", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	assert_int_equal(vitals_batch_set_i64(b, 0, T0), 0);
	assert_int_equal(vitals_batch_end_row(b), 0);
	snprintf(path, sizeof(path), "%s/other.parquet", dir);
	assert_int_equal(vitals_writer_open(&w, path, &s, NULL, err, sizeof(err)), 0);
	assert_int_equal(vitals_writer_write(w, b), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), VITALS_E_INVAL);
	assert_non_null(strstr(err, "other.parquet: no column 'kind'"));
	vitals_batch_free(b);
	vitals_schema_release(&s);

	/* A truncated Parquet file. */
	tu_write(dir, "cut.parquet", "PAR1\x01\x02\x03");
	snprintf(path, sizeof(path), "%s/cut.parquet", dir);
	assert_true(series_load(&set, path, &o, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cut.parquet"));

	/* A log with no record at all. */
	tu_write(dir, "junk.log", "hello\n{\"a\": [1, 2\n{\"timestamp\": \"yesterday\"}\n");
	snprintf(path, sizeof(path), "%s/junk.log", dir);
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), VITALS_E_PARSE);
	assert_non_null(strstr(err, "junk.log: no process log records in 3 lines"));

	/* A cap on points. */
	{
		struct tw tw;
		build_trace(&tw);
		snprintf(path, sizeof(path), "%s/t.parquet", dir);
		write_file(&tw, path);
		tw_release(&tw);
	}
	o.max_points = 10;
	assert_int_equal(series_load(&set, path, &o, err, sizeof(err)), VITALS_E_NOMEM);
	assert_non_null(strstr(err, "narrow"));
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trace_formats), cmocka_unit_test(test_every_kind_and_step),
	    cmocka_unit_test(test_segments),      cmocka_unit_test(test_vitals_log),
	    cmocka_unit_test(test_seed_log),      cmocka_unit_test(test_out_of_order),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
