/*
 * The recording loop that `vitals record` and the dashboard's tracing
 * share (src/record/loop.h): samples on a steady schedule that does not
 * drift, the missed slots of a stall given up rather than taken in a
 * burst, writes at their interval, a snapshot and a stop asked between
 * samples, and events that come during the last wait kept in the file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vitals/record.h>

#include "analyze/series.h"
#include "record/loop.h"
#include "testutil.h"
#include "util/clock.h"

#define MAX_TIMES 512

/* One recording: a collector of this process only, a recorder on DIR/out.parquet. */
struct fixture {
	char *dir;
	char path[512];
	struct vitals_collector *c;
	struct vitals_trace *trace;
	struct vitals_batch *rows;
	struct record_loop l;
	/* What the hooks saw and what they should do. */
	double times[MAX_TIMES]; /* when each sample began, seconds after the first began */
	size_t ntimes;
	int64_t first_us;
	uint64_t stall_at;     /* sleep STALL seconds after this sample (1-based); 0: never */
	double stall;          /* seconds */
	uint64_t snapshot_at;  /* ask a snapshot after this sample; 0: never */
	uint64_t stop_at;      /* ask a stop after this sample; 0: never */
	int asked_snapshot;    /* asked already */
	int snapped;           /* snapshots taken */
	int checks_after_stop; /* check() calls after it said stop */
	int stopped;
	int says;
};

static void hook_wait(struct record_loop *l, double seconds)
{
	struct timespec ts;

	(void)l;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

static unsigned hook_check(struct record_loop *l)
{
	struct fixture *f = l->ctx;

	if (f->stopped) {
		/* The last look: an event that came meanwhile is kept. */
		struct record_loop_event ev = {clock_utc_us(), "test", "after the stop", NULL};

		f->checks_after_stop++;
		assert_int_equal(record_loop_events(l, &ev, 1), 0);
		return RECORD_LOOP_STOP;
	}
	if (f->snapshot_at && l->samples >= f->snapshot_at && !f->asked_snapshot) {
		struct record_loop_event ev = {clock_utc_us(), "test", "before the snapshot",
		                               "{\"k\":\"v\"}"};

		f->asked_snapshot = 1;
		assert_int_equal(record_loop_events(l, &ev, 1), 0);
		return RECORD_LOOP_SNAPSHOT;
	}
	if (f->stop_at && l->samples >= f->stop_at) {
		f->stopped = 1;
		return RECORD_LOOP_STOP;
	}
	return 0;
}

static void hook_sampled(struct record_loop *l)
{
	struct fixture *f = l->ctx;

	/* The collector's own time of the sample: when it began, not what it cost. */
	if (!f->ntimes)
		f->first_us = vitals_collector_time(l->c);
	if (f->ntimes < MAX_TIMES) {
		f->times[f->ntimes] = (double)(vitals_collector_time(l->c) - f->first_us) / 1e6;
		f->ntimes++;
	}
	if (f->stall_at && l->samples == f->stall_at)
		hook_wait(l, f->stall);
}

static void hook_snapped(struct record_loop *l)
{
	struct fixture *f = l->ctx;

	f->snapped++;
}

static void hook_say(struct record_loop *l, const char *msg)
{
	struct fixture *f = l->ctx;

	(void)msg;
	f->says++;
}

static const struct record_loop_hooks hooks = {
    .wait = hook_wait,
    .check = hook_check,
    .sampled = hook_sampled,
    .snapped = hook_snapped,
    .say = hook_say,
};

static struct fixture *fixture_new(double interval, double write_interval, double duration)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vitals_collector_options co;
	struct vitals_recorder_options ro;
	struct vitals_recorder *r;
	char err[512];

	assert_non_null(f);
	f->dir = tu_tmpdir();
	snprintf(f->path, sizeof(f->path), "%s/out.parquet", f->dir);
	vitals_collector_options_init(&co);
	co.sources = VITALS_SOURCE(VITALS_KIND_SYSTEM) | VITALS_SOURCE(VITALS_KIND_PROCESS);
	co.scope.pid = getpid();
	co.scope.depth = 0;
	assert_int_equal(vitals_collector_new(&f->c, &co, err, sizeof(err)), 0);
	assert_int_equal(vitals_trace_new(&f->trace), 0);
	assert_int_equal(vitals_batch_new(&f->rows, vitals_trace_schema(f->trace)), 0);
	vitals_recorder_options_init(&ro);
	assert_int_equal(vitals_recorder_open(&r, f->path, vitals_trace_schema(f->trace), &ro, NULL,
	                                      err, sizeof(err)),
	                 0);
	record_loop_init(&f->l, f->c, f->trace, f->rows, r);
	f->l.sample_interval = interval;
	f->l.write_interval = write_interval;
	f->l.duration = duration;
	f->l.hooks = &hooks;
	f->l.ctx = f;
	return f;
}

static void fixture_free(struct fixture *f)
{
	char err[512];

	if (f->l.r)
		assert_int_equal(record_loop_close(&f->l, err, sizeof(err)), 0);
	assert_null(f->l.r);
	vitals_batch_free(f->rows);
	vitals_trace_free(f->trace);
	vitals_collector_free(f->c);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
}

/* Rows of kind KIND in F's output, and the events' texts joined by '|' into TEXTS. */
static size_t rows_of(struct fixture *f, const char *kind, char *texts, size_t len)
{
	struct series_options so;
	struct series_set *set;
	const char *cols[] = {"rss_bytes"};
	const char *kinds[] = {kind};
	char err[512];
	size_t n = 0;

	series_options_init(&so);
	so.columns = cols;
	so.column_count = 1;
	so.kinds = kinds;
	so.kind_count = 1;
	so.events = 1;
	assert_int_equal(series_load(&set, f->path, &so, err, sizeof(err)), 0);
	for (size_t i = 0; i < set->count; i++)
		n += set->series[i].n;
	if (texts) {
		texts[0] = '\0';
		for (size_t i = 0; i < set->event_count; i++) {
			size_t used = strlen(texts);

			snprintf(texts + used, len - used, "%s%s", used ? "|" : "",
			         set->events[i].text);
		}
	}
	series_set_free(set);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Seconds this thread has waited on a run queue for a CPU; 0 when unknown. */
static double cpu_wait(void)
{
	unsigned long long run, wait = 0;
	FILE *fp = fopen("/proc/thread-self/schedstat", "r");

	if (!fp)
		return 0;
	if (fscanf(fp, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(fp);
	return (double)wait / 1e9;
}

/*
 * 120 samples at 0.05 s, each begun on its slot of the grid: never early,
 * and late by little (a schedule that drifts by each sample's cost would
 * have its samples spread over the whole interval). A loaded machine may
 * make the loop give up a slot or two, never more than six.
 */
static void test_schedule(void **state)
{
	struct fixture *f = fixture_new(0.05, 1, 6);
	double late[MAX_TIMES], waited = cpu_wait();
	unsigned lost = 0;

	(void)state;
	assert_int_equal(record_loop_run(&f->l), 0);
	/*
	 * Time spent waiting for a CPU (a starved test, measured) may cost a
	 * slot per interval of it, and raise the median lateness by twice its
	 * mean per sample (Markov). None on an idle machine or at SCHED_FIFO.
	 */
	waited = cpu_wait() - waited;
	if (waited > 0.02) {
		lost = (unsigned)ceil(waited / 0.05);
		printf("# widened by %u slots: the loop waited %.3f s for a CPU\n", lost, waited);
	} else {
		waited = 0;
	}
	assert_in_range(f->l.samples, 114 - (lost < 100 ? lost : 100), 120);
	assert_int_equal(f->ntimes, f->l.samples);
	for (size_t k = 0; k < f->ntimes; k++) {
		double phase = fmod(f->times[k], 0.05);

		assert_true(f->times[k] > 0.05 * (double)k - 0.002); /* never early */
		late[k] = phase > 0.045 ? phase - 0.05 : phase;
	}
	qsort(late, f->ntimes, sizeof(late[0]), cmp_double);
	assert_true(late[f->ntimes / 2] < 0.01 + 2 * waited / (double)f->ntimes);
	/* Writes every second: 5 in 6 s, give or take the last one. */
	assert_in_range(f->l.writes, 4, 6);
	assert_int_equal(f->says, 0);
	fixture_free(f);
}

/* A stall of 0.3 s gives up the missed slots rather than taking them in a burst. */
static void test_stall(void **state)
{
	struct fixture *f = fixture_new(0.05, 10, 2);
	int quick = 0;

	(void)state;
	f->stall_at = 10;
	f->stall = 0.3;
	assert_int_equal(record_loop_run(&f->l), 0);
	/* 40 slots, of which the stall took 6 and one is made up at once: 35 at most. */
	assert_in_range(f->l.samples, 20, 36);
	assert_true(f->times[10] - f->times[9] >= 0.3);
	/* No burst of the missed ones after it (a late sample may be followed by one soon). */
	for (size_t k = 11; k < 15 && k < f->ntimes; k++)
		quick += f->times[k] - f->times[k - 1] < 0.01;
	assert_true(quick <= 1);
	fixture_free(f);
}

/* A snapshot, then a stop: events before and after are in the file, the count holds. */
static void test_snapshot_stop_events(void **state)
{
	struct fixture *f = fixture_new(0.05, 10, 0);
	char texts[256];
	uint64_t samples;

	(void)state;
	f->snapshot_at = 3;
	f->stop_at = 6;
	assert_int_equal(record_loop_run(&f->l), 0);
	samples = f->l.samples;
	/* Samples 1..3 on the schedule, the snapshot's (4), then 5 and 6 on the schedule. */
	assert_int_equal(samples, 6);
	assert_int_equal(f->snapped, 1);
	assert_int_equal(f->l.writes, 1);
	assert_int_equal(f->checks_after_stop, 1);
	/* The file as written at the snapshot: samples 1..3 and the snapshot's. */
	assert_int_equal(rows_of(f, "system", NULL, 0), 4);
	assert_int_equal(record_loop_close(&f->l, texts, sizeof(texts)), 0);
	assert_int_equal(rows_of(f, "system", texts, sizeof(texts)), samples);
	assert_string_equal(texts, "before the snapshot|after the stop");
	fixture_free(f);
}

/* The file's metadata both recordings write: the same keys, a UTC start to the microsecond. */
static void test_meta(void **state)
{
	struct fixture *f = fixture_new(0.05, 10, 0);
	struct record_meta m;
	const char *keys[] = {"vitals.schema_version",
	                      "vitals.version",
	                      "vitals.host",
	                      "vitals.kernel",
	                      "vitals.boot_id",
	                      "vitals.timezone",
	                      "vitals.sample_interval_seconds",
	                      "vitals.started",
	                      "vitals.command"};

	(void)state;
	record_meta_init(&m, f->c, "Europe/Paris", 0.25, "make test");
	assert_int_equal(m.count, sizeof(keys) / sizeof(keys[0]));
	for (size_t i = 0; i < m.count; i++)
		assert_string_equal(m.kv[i].key, keys[i]);
	assert_string_equal(m.kv[5].value, "Europe/Paris");
	assert_string_equal(m.kv[6].value, "0.25");
	assert_string_equal(m.kv[8].value, "make test");
	/* 2026-12-02T05:21:07.123456Z */
	assert_int_equal(strlen(m.started), 27);
	assert_int_equal(m.started[10], 'T');
	assert_int_equal(m.started[19], '.');
	assert_int_equal(m.started[26], 'Z');
	record_meta_init(&m, f->c, NULL, 1, NULL);
	assert_true(m.zone[0] != '\0');
	assert_string_equal(m.kv[8].value, "");
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schedule),
	    cmocka_unit_test(test_stall),
	    cmocka_unit_test(test_snapshot_stop_events),
	    cmocka_unit_test(test_meta),
	};

	printf("# running at %s\n", tu_prefer_cpu());
	return cmocka_run_group_tests(tests, NULL, NULL);
}
