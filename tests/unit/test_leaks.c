/*
 * Leak analysis (src/analyze/leaks.h) on synthetic traces whose truth the
 * test knows: a slow leak under noise is found with its rate; a sawtooth,
 * a step then a plateau, a pid reused by a restarted process and pure
 * noise are not; subtrees, gauges, heap verdicts, scope and projections.
 * Each trace goes through the real writer and loader (Parquet).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/vitals.h>

#include "analyze/leaks.h"
#include "testutil.h"

#define T0  1795000000000000LL
#define MB  (1024.0 * 1024.0)
#define SEC 1000000LL

static uint64_t rng = 88172645463325252ULL;

/* Uniform in [-1, 1), the same sequence on every run. */
static double noise1(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ULL << 52) - 1.0;
}

struct tw {
	struct vitals_trace *tr;
	struct vitals_batch *b;
	struct vitals_writer *w;
	char *dir;
	char path[512];
};

static size_t col(struct tw *w, const char *name)
{
	int c = vitals_trace_column(w->tr, name);
	assert_true(c >= 0);
	return (size_t)c;
}

static void tw_open(struct tw *w)
{
	char err[256];

	w->dir = tu_tmpdir();
	snprintf(w->path, sizeof(w->path), "%s/t.parquet", w->dir);
	assert_int_equal(vitals_trace_new(&w->tr), 0);
	assert_int_equal(vitals_batch_new(&w->b, vitals_trace_schema(w->tr)), 0);
	assert_int_equal(
	    vitals_writer_open(&w->w, w->path, vitals_trace_schema(w->tr), NULL, err, sizeof(err)),
	    0);
}

static void head(struct tw *w, int64_t t, const char *kind, const char *id, const char *name)
{
	assert_int_equal(vitals_batch_set_i64(w->b, 0, t), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 1, kind, strlen(kind)), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 2, id, strlen(id)), 0);
	assert_int_equal(vitals_batch_set_string(w->b, 3, name, strlen(name)), 0);
}

static void proc(struct tw *w, int64_t t, int pid, int ppid, int64_t start, const char *name,
                 double rss, double heap)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", pid);
	head(w, t, "process", id, name);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "pid"), pid), 0);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "ppid"), ppid), 0);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "start_time"), start), 0);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "rss_bytes"), (int64_t)rss), 0);
	if (heap >= 0)
		assert_int_equal(
		    vitals_batch_set_i64(w->b, col(w, "heap_in_use_bytes"), (int64_t)heap), 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

static void sys_row(struct tw *w, int64_t t, double avail)
{
	head(w, t, "system", "", "system");
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "mem_available_bytes"), (int64_t)avail),
	                 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

static void gauge(struct tw *w, int64_t t, const char *path, double v)
{
	const char *last = strrchr(path, '/') + 1;

	head(w, t, "gauge", path, last);
	assert_int_equal(vitals_batch_set_double(w->b, col(w, "value"), v), 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

/* Write the rows gathered for one sample. */
static void flush(struct tw *w)
{
	assert_int_equal(vitals_writer_write(w->w, w->b), 0);
	vitals_batch_clear(w->b);
}

static void tw_close(struct tw *w)
{
	char err[256];

	assert_int_equal(vitals_writer_close(w->w, err, sizeof(err)), 0);
	vitals_batch_free(w->b);
	vitals_trace_free(w->tr);
}

static void tw_remove(struct tw *w)
{
	tu_rmrf(w->dir);
	free(w->dir);
}

static struct leak_report *analyse(struct tw *w, const struct leak_options *o,
                                   struct series_set **set)
{
	struct leak_report *rep;
	char err[512];

	assert_int_equal(leaks_load(set, w->path, o, err, sizeof(err)), 0);
	assert_int_equal(leaks_analyze(*set, o, &rep, err, sizeof(err)), 0);
	return rep;
}

static const struct leak_suspect *find(const struct leak_report *r, enum leak_kind k,
                                       const char *id)
{
	for (size_t i = 0; i < r->count; i++)
		if (r->items[i].kind == k && strcmp(r->items[i].id, id) == 0)
			return &r->items[i];
	return NULL;
}

/*
 * One hour at 1 s: pid 10 leaks 1 KiB/s in 100 MiB with +-2 MiB noise;
 * pid 11 saws (50 MiB up over 50 s, freed at once); pid 12 steps up 50 MiB
 * at 30% then stays; pid 13 is noise alone; pid 14 is restarted every 6
 * minutes, each life 5 MiB higher than the one before and flat; all under
 * pid 1, with 8 GiB available.
 */
static void write_mix(struct tw *w, int splice)
{
	for (int i = 0; i < 3600; i++) {
		int64_t t = T0 + i * SEC;
		int life = i / 360;

		sys_row(w, t, 8192 * MB);
		proc(w, t, 1, 0, T0 - 100 * SEC, "init", 10 * MB, -1);
		proc(w, t, 10, 1, T0 - 50 * SEC, "leaker",
		     100 * MB + 1024.0 * i + 2 * MB * noise1(), -1);
		proc(w, t, 11, 1, T0 - 50 * SEC, "saw",
		     100 * MB + MB * (i % 50) + 0.2 * MB * noise1(), -1);
		proc(w, t, 12, 1, T0 - 50 * SEC, "step",
		     100 * MB + (i >= 1080 ? 50 * MB : 0) + 2 * MB * noise1(), -1);
		proc(w, t, 13, 1, T0 - 50 * SEC, "noise", 100 * MB + 2 * MB * noise1(), -1);
		proc(w, t, 14, 1, splice ? T0 - 50 * SEC : T0 + life * 360 * SEC, "restarted",
		     100 * MB + 5 * MB * life + 0.5 * MB * noise1(), -1);
		flush(w);
	}
}

static void test_mix(void **state)
{
	struct leak_options o;
	struct series_set *set;
	struct leak_report *rep;
	const struct leak_suspect *s;
	struct tw w;

	(void)state;
	tw_open(&w);
	write_mix(&w, 0);
	tw_close(&w);
	leak_options_init(&o);
	rep = analyse(&w, &o, &set);
	/* Only the leaker. */
	assert_int_equal(rep->suspects, 1);
	s = &rep->items[0];
	assert_int_equal(s->kind, LEAK_PROCESS);
	assert_string_equal(s->id, "10");
	assert_string_equal(s->name, "leaker");
	assert_int_equal(s->start_time, T0 - 50 * SEC);
	assert_true(fabs(s->rate - 1024.0) < 102.4);
	assert_true(s->confidence > 0.99);
	assert_true(s->start < T0 + 600 * SEC);
	assert_true(s->growth > 3.0 * MB && s->growth < 4.4 * MB);
	assert_true(fabs(rep->available - 8192 * MB) < 1);
	assert_true(fabs(s->projection - 8192 * MB / s->rate) < 1);
	leak_report_free(rep);

	/* With --all, every series is listed, the rest after the suspect. */
	o.all = 1;
	rep = leaks_analyze(set, &o, &rep, NULL, 0) == 0 ? rep : NULL;
	assert_non_null(rep);
	assert_int_equal(rep->suspects, 1);
	assert_true(rep->count >= 7); /* 6 processes, 10 lives of pid 14, the subtree of 1 */
	assert_non_null(find(rep, LEAK_PROCESS, "12"));
	assert_false(find(rep, LEAK_PROCESS, "12")->suspect);
	assert_non_null(find(rep, LEAK_SUBTREE, "1"));
	assert_false(find(rep, LEAK_SUBTREE, "1")->suspect);
	leak_report_free(rep);
	series_set_free(set);
	tw_remove(&w);
}

/* The restarted process, spliced into one series, would look like a leak. */
static void test_splice_would_be_reported(void **state)
{
	struct leak_options o;
	struct series_set *set;
	struct leak_report *rep;
	struct tw w;

	(void)state;
	tw_open(&w);
	write_mix(&w, 1);
	tw_close(&w);
	leak_options_init(&o);
	rep = analyse(&w, &o, &set);
	assert_non_null(find(rep, LEAK_PROCESS, "14"));
	leak_report_free(rep);
	series_set_free(set);
	tw_remove(&w);
}

/*
 * A leak that begins half-way, children that each grow a little (their
 * parent's subtree grows most), gauges by path, heap verdicts, and scope.
 */
static void test_subtree_gauges_heap(void **state)
{
	struct leak_options o;
	struct series_set *set;
	struct leak_report *rep;
	const struct leak_suspect *s;
	struct tw w;

	(void)state;
	tw_open(&w);
	for (int i = 0; i < 1200; i++) {
		int64_t t = T0 + i * SEC;

		proc(&w, t, 1, 0, T0 - 100 * SEC, "init", 10 * MB, -1);
		proc(&w, t, 20, 1, T0 - 10 * SEC, "late",
		     50 * MB + (i >= 600 ? 8192.0 * (i - 600) : 0), -1);
		proc(&w, t, 30, 1, T0 - 10 * SEC, "pool", 20 * MB, -1);
		for (int k = 0; k < 10; k++)
			proc(&w, t, 31 + k, 30, T0 - 9 * SEC, "worker", 10 * MB + 2048.0 * i, -1);
		/* RSS grows; the heap in use does not: retention. */
		proc(&w, t, 50, 1, T0 - 10 * SEC, "retains", 30 * MB + 1024.0 * i, 5 * MB);
		/* RSS and the heap grow together: a leak. */
		proc(&w, t, 51, 1, T0 - 10 * SEC, "heapleak", 30 * MB + 1024.0 * i,
		     5 * MB + 1000.0 * i);
		gauge(&w, t, "/scene/textures", 1000 + 10.0 * i);
		gauge(&w, t, "/scene/deep/cache", 1000 + 20.0 * i);
		gauge(&w, t, "/audio/buffers", 1000 + 30.0 * i);
		flush(&w);
	}
	tw_close(&w);

	leak_options_init(&o);
	rep = analyse(&w, &o, &set);
	/* The pool's subtree (10 workers at 2 KiB/s) outgrows any process. */
	s = &rep->items[0];
	assert_int_equal(s->kind, LEAK_SUBTREE);
	assert_string_equal(s->id, "30");
	assert_int_equal(s->members, 11);
	assert_true(fabs(s->rate - 20480) < 1024);
	/* The late leak: its start, and its rate from there. */
	s = find(rep, LEAK_PROCESS, "20");
	assert_non_null(s);
	assert_true(s->suspect);
	assert_true(fabs(s->rate - 8192) < 400);
	assert_true(s->start >= T0 + 450 * SEC && s->start <= T0 + 700 * SEC);
	/* No available memory in this trace: no projection. */
	assert_true(isnan(s->projection));
	assert_int_equal(find(rep, LEAK_PROCESS, "50")->heap, LEAK_HEAP_RETENTION);
	assert_int_equal(find(rep, LEAK_PROCESS, "51")->heap, LEAK_HEAP_GROWS);
	assert_non_null(find(rep, LEAK_HEAP, "51"));
	assert_null(find(rep, LEAK_HEAP, "50"));
	assert_int_equal(find(rep, LEAK_PROCESS, "20")->heap, LEAK_HEAP_UNKNOWN);
	/* The subtree of 1 grows as much, but the pool explains most of it. */
	assert_false(find(rep, LEAK_SUBTREE, "1") && find(rep, LEAK_SUBTREE, "1")->suspect);
	assert_non_null(find(rep, LEAK_GAUGE, "/scene/textures"));
	assert_non_null(find(rep, LEAK_GAUGE, "/audio/buffers"));
	leak_report_free(rep);

	/* Gauges under a path, one level deep; processes under pid 30 only. */
	o.path = "/scene";
	o.depth = 1;
	o.root_pid = 30;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	assert_non_null(find(rep, LEAK_GAUGE, "/scene/textures"));
	assert_null(find(rep, LEAK_GAUGE, "/scene/deep/cache"));
	assert_null(find(rep, LEAK_GAUGE, "/audio/buffers"));
	assert_null(find(rep, LEAK_PROCESS, "20"));
	assert_non_null(find(rep, LEAK_SUBTREE, "30"));
	assert_non_null(find(rep, LEAK_PROCESS, "35"));
	leak_report_free(rep);

	/* Depth 0: the root alone (no subtree, no workers). */
	o.depth = 0;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	for (size_t i = 0; i < rep->count; i++)
		assert_int_equal(rep->items[i].kind, LEAK_GAUGE);
	leak_report_free(rep);

	/* A threshold above every worker leaves their subtree but not them. */
	leak_options_init(&o);
	o.threshold = 30 * MB;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	assert_null(find(rep, LEAK_PROCESS, "35"));
	assert_non_null(find(rep, LEAK_SUBTREE, "30"));
	leak_report_free(rep);

	/* A warm-up past the whole late leak's flat half; too long a minimum duration. */
	leak_options_init(&o);
	o.min_duration = 2000;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	assert_int_equal(rep->count, 0);
	leak_report_free(rep);
	series_set_free(set);
	tw_remove(&w);
}

/* Control groups: a growing one is a suspect, unless the scope is a process tree. */
static void test_cgroups(void **state)
{
	struct leak_options o;
	struct series_set *set;
	struct leak_report *rep;
	const struct leak_suspect *s;
	struct tw w;

	(void)state;
	tw_open(&w);
	for (int i = 0; i < 600; i++) {
		int64_t t = T0 + i * SEC;

		proc(&w, t, 1, 0, T0 - 100 * SEC, "init", 10 * MB, -1);
		head(&w, t, "cgroup", "/system.slice/app.service", "app.service");
		assert_int_equal(vitals_batch_set_i64(w.b, col(&w, "memory_bytes"),
		                                      (int64_t)(200 * MB + 8192.0 * i)),
		                 0);
		assert_int_equal(vitals_batch_end_row(w.b), 0);
		head(&w, t, "cgroup", "/system.slice/idle.service", "idle.service");
		assert_int_equal(vitals_batch_set_i64(w.b, col(&w, "memory_bytes"),
		                                      (int64_t)(100 * MB + MB * noise1())),
		                 0);
		assert_int_equal(vitals_batch_end_row(w.b), 0);
		flush(&w);
	}
	tw_close(&w);
	leak_options_init(&o);
	rep = analyse(&w, &o, &set);
	assert_int_equal(rep->suspects, 1);
	s = &rep->items[0];
	assert_int_equal(s->kind, LEAK_CGROUP);
	assert_string_equal(s->id, "/system.slice/app.service");
	assert_string_equal(s->metric, "memory_bytes");
	assert_true(fabs(s->rate - 8192) < 82);
	leak_report_free(rep);
	o.root_pid = 1;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	assert_int_equal(rep->suspects, 0);
	leak_report_free(rep);
	series_set_free(set);
	tw_remove(&w);
}

static void cgroup_row(struct tw *w, int64_t t, const char *id, double bytes)
{
	head(w, t, "cgroup", id, strrchr(id, '/') + 1);
	assert_int_equal(vitals_batch_set_i64(w->b, col(w, "memory_bytes"), (int64_t)bytes), 0);
	assert_int_equal(vitals_batch_end_row(w->b), 0);
}

/*
 * A cgroup that holds a leaking process grows as fast as it (a little
 * faster): the process is named first, and the group right after it,
 * marked as its. Ten minutes at 1 s: pid 20 leaks 100 KiB/s among 20
 * steady children of pid 19, all in session-1.scope (which also gains
 * 3 KiB/s of page cache), inside user.slice; db.service grows 50 KiB/s
 * with no process of the trace in it; late.service grows as fast as the
 * leaker but only from the middle on.
 */
static void test_cgroup_holds_leaker(void **state)
{
	struct leak_options o;
	struct series_set *set;
	struct leak_report *rep;
	const struct leak_suspect *s;
	struct tw w;

	(void)state;
	tw_open(&w);
	for (int i = 0; i < 600; i++) {
		int64_t t = T0 + i * SEC;
		double leak = 100 * 1024.0 * i + 0.5 * MB * noise1(), steady = 0, late;

		sys_row(&w, t, 8192 * MB);
		proc(&w, t, 19, 1, T0 - 10 * SEC, "driver", 5 * MB, -1);
		proc(&w, t, 20, 19, T0 - 9 * SEC, "leakchild", 20 * MB + leak, -1);
		for (int k = 0; k < 20; k++) {
			double rss = 8 * MB + 0.2 * MB * noise1();

			proc(&w, t, 21 + k, 19, T0 - 9 * SEC, "steady", rss, -1);
			steady += rss;
		}
		cgroup_row(&w, t, "/user.slice/user-0.slice/session-1.scope",
		           40 * MB + 20 * MB + leak + steady + 3 * 1024.0 * i);
		cgroup_row(&w, t, "/user.slice",
		           900 * MB + leak + steady + 3 * 1024.0 * i + 2 * MB * noise1());
		cgroup_row(&w, t, "/system.slice/db.service",
		           300 * MB + 50 * 1024.0 * i + MB * noise1());
		late = i < 300 ? 0 : 100 * 1024.0 * (i - 300);
		cgroup_row(&w, t, "/system.slice/late.service", 200 * MB + late + MB * noise1());
		flush(&w);
	}
	tw_close(&w);
	leak_options_init(&o);
	rep = analyse(&w, &o, &set);
	/* The leaker, then the two groups that hold it, then the others by rate. */
	assert_int_equal(rep->suspects, 5);
	s = &rep->items[0];
	assert_int_equal(s->kind, LEAK_PROCESS);
	assert_string_equal(s->name, "leakchild");
	assert_int_equal(s->explained_by, -1);
	for (size_t i = 1; i <= 2; i++) {
		s = &rep->items[i];
		assert_int_equal(s->kind, LEAK_CGROUP);
		assert_true(strncmp(s->id, "/user.slice", 11) == 0);
		assert_int_equal(s->explained_by, 20);
		assert_int_equal(s->explained_start_time, T0 - 9 * SEC);
		assert_true(s->rate > rep->items[0].rate); /* by rate alone it was first */
	}
	s = find(rep, LEAK_CGROUP, "/system.slice/late.service");
	assert_non_null(s);
	assert_true(s->suspect);
	assert_int_equal(s->explained_by, -1);
	s = find(rep, LEAK_CGROUP, "/system.slice/db.service");
	assert_non_null(s);
	assert_true(s->suspect);
	assert_int_equal(s->explained_by, -1);
	/* The driver's subtree is the leaker's, and not a suspect of its own. */
	assert_null(find(rep, LEAK_SUBTREE, "19"));
	leak_report_free(rep);
	o.all = 1;
	assert_int_equal(leaks_analyze(set, &o, &rep, NULL, 0), 0);
	s = find(rep, LEAK_SUBTREE, "19");
	assert_non_null(s);
	assert_false(s->suspect);
	assert_int_equal(s->explained_by, 20);
	leak_report_free(rep);
	series_set_free(set);
	tw_remove(&w);
}

/* The fit alone: short series, flat series, a leak with a skipped warm-up. */
static void test_fit(void **state)
{
	struct leak_options o;
	struct leak_suspect s;
	int64_t t[400];
	double v[400];

	(void)state;
	leak_options_init(&o);
	for (int i = 0; i < 400; i++) {
		t[i] = T0 + i * SEC;
		v[i] = 50 * MB;
	}
	assert_int_equal(leak_fit(t, v, 5, 1, &o, &s), 0);
	assert_true(isnan(s.rate));
	assert_false(s.suspect);
	assert_int_equal(leak_fit(t, v, 400, 1, &o, &s), 0);
	assert_true(s.rate == 0);
	assert_false(s.suspect);
	/* A warm-up ramp of 100 s, then a steady 4 KiB/s leak. */
	for (int i = 0; i < 400; i++)
		v[i] = i < 100 ? 1 * MB * i : 100 * MB + 4096.0 * (i - 100);
	o.skip = 100;
	assert_int_equal(leak_fit(t, v, 400, 1, &o, &s), 0);
	assert_true(s.suspect);
	assert_true(fabs(s.rate - 4096) < 1);
	assert_int_equal(s.points, 300);
	assert_int_equal(s.first, T0 + 100 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fit),
	    cmocka_unit_test(test_mix),
	    cmocka_unit_test(test_splice_would_be_reported),
	    cmocka_unit_test(test_subtree_gauges_heap),
	    cmocka_unit_test(test_cgroups),
	    cmocka_unit_test(test_cgroup_holds_leaker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
