/*
 * The process source against hand-made /proc trees (odd names, zombies,
 * kernel threads, vanishing and reused pids, refused files, counters going
 * backwards, huge command lines, scope), the process tree, and the real
 * /proc for the test itself.
 */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "collect/procparse.h"

#define BTIME 1700000000LL
#define PAGE  4096.0

struct fake {
	int pid, ppid;
	const char *comm;
	char state;
	unsigned long flags;
	unsigned long utime, stime, minflt, majflt;
	long threads;
	unsigned long long start;
	unsigned long long vsize;
	long rss_pages;
	long shared_pages;
	long read_bytes, write_bytes; /* -1: no io file */
	const char *cmdline;          /* NUL-separated; may be NULL for none */
	size_t cmdline_len;
	int fds;
};

static void fake_defaults(struct fake *f, int pid, int ppid, const char *comm)
{
	memset(f, 0, sizeof(*f));
	f->pid = pid;
	f->ppid = ppid;
	f->comm = comm;
	f->state = 'S';
	f->threads = 1;
	f->start = 1000 + (unsigned long long)pid;
	f->vsize = 10 << 20;
	f->rss_pages = 256;
	f->shared_pages = 64;
	f->read_bytes = 4096;
	f->write_bytes = 8192;
	f->cmdline = "prog\0--flag\0x\0";
	f->cmdline_len = 14;
	f->fds = 3;
}

static void fake_write(const char *root, const struct fake *f)
{
	char rel[128];
	FILE *fp;

	snprintf(rel, sizeof(rel), "%d/stat", f->pid);
	tu_writef(root, rel,
	          "%d (%s) %c %d %d %d 0 -1 %lu %lu 0 %lu 0 %lu %lu 0 0 20 0 %ld 0 %llu %llu %ld "
	          "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
	          f->pid, f->comm, f->state, f->ppid, f->pid, f->pid, f->flags, f->minflt,
	          f->majflt, f->utime, f->stime, f->threads, f->start, f->vsize, f->rss_pages);
	snprintf(rel, sizeof(rel), "%d/statm", f->pid);
	tu_writef(root, rel, "%llu %ld %ld 1 0 100 0\n", f->vsize / 4096, f->rss_pages,
	          f->shared_pages);
	if (f->read_bytes >= 0) {
		snprintf(rel, sizeof(rel), "%d/io", f->pid);
		tu_writef(root, rel,
		          "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: %ld\nwrite_bytes: "
		          "%ld\ncancelled_write_bytes: 0\n",
		          f->read_bytes, f->write_bytes);
	}
	snprintf(rel, sizeof(rel), "%d/status", f->pid);
	tu_writef(root, rel, "Name:\t%s\nVmSwap:\t    12 kB\n", f->comm);
	snprintf(rel, sizeof(rel), "%d/fd", f->pid);
	tu_mkdir(root, rel);
	for (int i = 0; i < f->fds; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%d", f->pid, i);
		tu_write(root, rel, "");
	}
	if (f->cmdline) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%d/cmdline", root, f->pid);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fwrite(f->cmdline, 1, f->cmdline_len, fp);
		fclose(fp);
	}
}

static char *tree_new(void)
{
	char *root = tu_tmpdir();

	tu_writef(root, "stat", "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nbtime %lld\n",
	          BTIME);
	tu_write(root, "meminfo",
	         "MemTotal: 1000 kB\nMemFree: 500 kB\nMemAvailable: 600 kB\nSwapTotal: 0 kB\n"
	         "SwapFree: 0 kB\n");
	tu_mkdir(root, "self");
	return root;
}

static struct vitals_collector *open_tree(const char *root, const struct vitals_scope *scope,
                                          size_t cmdline_max)
{
	struct vitals_collector_options o;
	struct vitals_collector *c = NULL;
	char err[256] = "";

	vitals_collector_options_init(&o);
	o.proc_root = root;
	o.sys_root = root;
	o.sources = VITALS_SOURCE(VITALS_KIND_PROCESS);
	if (scope)
		o.scope = *scope;
	if (cmdline_max)
		o.cmdline_max = cmdline_max;
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	assert_non_null(c);
	return c;
}

static const struct vitals_entity *find_proc(struct vitals_collector *c, int pid)
{
	size_t n = vitals_collector_count(c, VITALS_KIND_PROCESS);

	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_PROCESS, i);
		int64_t v;

		if (vitals_entity_int(e, VITALS_PROC_PID, &v) == VITALS_OK && v == pid)
			return e;
	}
	return NULL;
}

static double val(const struct vitals_entity *e, int i)
{
	double v;

	assert_int_equal(vitals_entity_value(e, (size_t)i, &v), VITALS_OK);
	return v;
}

static void assert_missing(const struct vitals_entity *e, int i)
{
	double v;

	assert_int_equal(vitals_entity_value(e, (size_t)i, &v), VITALS_E_MISSING);
}

static void test_parse_stat_odd_name(void **state)
{
	struct procstat st;
	const char *line = "42 (a) (b) R 1 42 42 0 -1 4194304 10 0 2 0 300 200 5 6 20 -5 3 0 "
	                   "777 1048576 100 18446744073709551615\n";

	(void)state;
	assert_int_equal(procstat_parse(line, &st), 0);
	assert_int_equal(st.pid, 42);
	assert_string_equal(st.comm, "a) (b");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.minflt, 10);
	assert_int_equal(st.majflt, 2);
	assert_int_equal(st.utime, 300);
	assert_int_equal(st.stime, 200);
	assert_int_equal(st.cutime, 5);
	assert_int_equal(st.cstime, 6);
	assert_int_equal(st.nice, -5);
	assert_int_equal(st.threads, 3);
	assert_int_equal(st.starttime, 777);
	assert_int_equal(st.vsize, 1048576);
	assert_int_equal(st.rss, 100);
	/* truncated and garbage lines are refused */
	assert_int_equal(procstat_parse("42 (x) R 1 2 3", &st), -1);
	assert_int_equal(procstat_parse("42 (x R 1 2 3", &st), -1);
	assert_int_equal(procstat_parse("", &st), -1);
	assert_int_equal(procstat_parse("-1 (x) R", &st), -1);
}

static void test_basic_fields(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	fake_defaults(&f, 1, 0, "init");
	fake_write(root, &f);
	fake_defaults(&f, 42, 1, "a) (b");
	f.threads = 9;
	f.fds = 5;
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PROCESS), 2);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_string_equal(vitals_entity_id(e), "42");
	assert_string_equal(vitals_entity_name(e), "a) (b");
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "prog --flag x");
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_STATE), "S");
	assert_non_null(vitals_entity_attr(e, VITALS_PROC_ATTR_USER));
	assert_true(val(e, VITALS_PROC_PPID) == 1);
	assert_true(val(e, VITALS_PROC_THREADS) == 9);
	assert_true(val(e, VITALS_PROC_RSS) == 256 * PAGE);
	assert_true(val(e, VITALS_PROC_SHARED) == 64 * PAGE);
	assert_true(val(e, VITALS_PROC_VMS) == 10 << 20);
	assert_true(val(e, VITALS_PROC_FDS) == 5);
	assert_true(val(e, VITALS_PROC_READ_BYTES) == 4096);
	assert_true(val(e, VITALS_PROC_WRITE_BYTES) == 8192);
	assert_true(val(e, VITALS_PROC_UID) == getuid());
	/* first sample: no rates yet */
	assert_missing(e, VITALS_PROC_CPU_PERCENT);
	assert_missing(e, VITALS_PROC_READ_BYTES_RATE);
	assert_missing(e, VITALS_PROC_MINOR_FAULTS_RATE);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/* In scope, RSS comes from statm (exact); outside, from stat (all the tree needs). */
static void test_rss_sources(void **state)
{
	char *root = tree_new();
	struct vitals_scope sc = {1, 0, NULL, 0};
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	fake_defaults(&f, 1, 0, "init");
	fake_write(root, &f);
	fake_defaults(&f, 42, 1, "child");
	fake_write(root, &f);
	tu_write(root, "1/statm", "2560 300 64 1 0 100 0\n");
	tu_write(root, "42/statm", "2560 300 64 1 0 100 0\n");
	c = open_tree(root, &sc, 0);
	vitals_collector_sample(c);
	e = vitals_collector_process(c, 1);
	assert_non_null(e);
	assert_true(vitals_entity_in_scope(e));
	assert_true(val(e, VITALS_PROC_RSS) == 300 * PAGE);
	e = vitals_collector_process(c, 42);
	assert_non_null(e);
	assert_false(vitals_entity_in_scope(e));
	assert_true(val(e, VITALS_PROC_RSS) == 256 * PAGE);
	assert_missing(e, VITALS_PROC_SHARED);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_start_time_from_btime(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;
	long hz = sysconf(_SC_CLK_TCK);

	(void)state;
	fake_defaults(&f, 7, 0, "p");
	f.start = 250;
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	e = find_proc(c, 7);
	assert_non_null(e);
	assert_true(val(e, VITALS_PROC_START_TIME) == BTIME * 1000000 + 250 * 1000000 / hz);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_rates_and_backwards(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;
	double dt, hz = (double)sysconf(_SC_CLK_TCK);

	(void)state;
	fake_defaults(&f, 42, 1, "worker");
	f.utime = 100;
	f.stime = 50;
	f.minflt = 1000;
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	usleep(300000);
	f.utime += 30;
	f.stime += 20;
	f.minflt += 500;
	f.read_bytes += 1 << 20;
	fake_write(root, &f);
	vitals_collector_sample(c);
	dt = vitals_collector_interval(c);
	assert_true(dt > 0.05);
	e = find_proc(c, 42);
	assert_non_null(e);
	/*
	 * Rates divide by the time between two reads of this process, which is
	 * the sample interval give or take the scan's own jitter (which a
	 * loaded machine stretches to some milliseconds: 10% of 0.3 s).
	 */
	assert_true(fabs(val(e, VITALS_PROC_CPU_PERCENT) / (50 / hz / dt * 100) - 1) < 0.1);
	assert_true(fabs(val(e, VITALS_PROC_MINOR_FAULTS_RATE) / (500 / dt) - 1) < 0.1);
	assert_true(fabs(val(e, VITALS_PROC_READ_BYTES_RATE) / ((1 << 20) / dt) - 1) < 0.1);
	assert_true(val(e, VITALS_PROC_WRITE_BYTES_RATE) == 0);

	/* counters going backwards give missing rates, never negative ones */
	f.utime -= 40;
	f.read_bytes -= 100;
	fake_write(root, &f);
	vitals_collector_sample(c);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_missing(e, VITALS_PROC_CPU_PERCENT);
	assert_missing(e, VITALS_PROC_READ_BYTES_RATE);
	assert_true(val(e, VITALS_PROC_WRITE_BYTES_RATE) == 0);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_pid_reuse_not_spliced(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	fake_defaults(&f, 42, 1, "old");
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	/* the same pid, now another process: other start time, other name */
	fake_defaults(&f, 42, 1, "new");
	f.start = 99999;
	f.utime = 500;
	f.cmdline = "newprog\0";
	f.cmdline_len = 8;
	fake_write(root, &f);
	vitals_collector_sample(c);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_string_equal(vitals_entity_name(e), "new");
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "newprog");
	assert_missing(e, VITALS_PROC_CPU_PERCENT); /* no rate across two processes */
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_exec_rereads_cmdline(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	fake_defaults(&f, 42, 1, "sh");
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	f.comm = "python3"; /* exec: same pid and start time, new image */
	f.cmdline = "python3\0app.py\0";
	f.cmdline_len = 15;
	fake_write(root, &f);
	vitals_collector_sample(c);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "python3 app.py");
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_zombie_kthread_and_refused(void **state)
{
	char *root = tree_new();
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	fake_defaults(&f, 2, 0, "kthreadd");
	f.flags = 0x00208040; /* PF_KTHREAD */
	f.rss_pages = 0;
	f.shared_pages = 0;
	f.cmdline = "";
	f.cmdline_len = 0;
	f.fds = 0;
	fake_write(root, &f);
	fake_defaults(&f, 50, 1, "defunct");
	f.state = 'Z';
	f.rss_pages = 0;
	f.cmdline = "";
	f.cmdline_len = 0;
	f.read_bytes = -1; /* no io file */
	fake_write(root, &f);
	fake_defaults(&f, 60, 1, "secret");
	f.read_bytes = -1;
	fake_write(root, &f);
	tu_mkdir(root, "60/io"); /* reading a directory fails: the field is refused */
	tu_write(root, "70/status", "Name: gone\n"); /* listed, but its stat is gone */
	c = open_tree(root, NULL, 0);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PROCESS), 3);
	assert_null(find_proc(c, 70));

	e = find_proc(c, 2);
	assert_non_null(e);
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "");
	assert_true(val(e, VITALS_PROC_RSS) == 0);
	assert_true(val(e, VITALS_PROC_SWAP) == 0);

	e = find_proc(c, 50);
	assert_non_null(e);
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_STATE), "Z");
	assert_string_equal(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "");
	assert_missing(e, VITALS_PROC_READ_BYTES);

	e = find_proc(c, 60);
	assert_non_null(e);
	assert_missing(e, VITALS_PROC_READ_BYTES);
	assert_missing(e, VITALS_PROC_WRITE_BYTES_RATE);
	assert_true(val(e, VITALS_PROC_RSS) == 256 * PAGE);

	/* a process that exits between samples is gone, the others stay */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/50", root);
		tu_rmrf(path);
	}
	vitals_collector_sample(c);
	assert_null(find_proc(c, 50));
	assert_non_null(find_proc(c, 60));
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_long_cmdline(void **state)
{
	char *root = tree_new();
	size_t n = 100000;
	char *big = malloc(n);
	struct fake f;
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 10 == 9) ? '\0' : (char)('a' + i % 26);
	fake_defaults(&f, 42, 1, "big");
	f.cmdline = big;
	f.cmdline_len = n;
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_true(strlen(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE)) <= 4096);
	assert_true(strlen(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE)) >= 4000);
	vitals_collector_free(c);

	c = open_tree(root, NULL, 100);
	vitals_collector_sample(c);
	e = find_proc(c, 42);
	assert_non_null(e);
	assert_int_equal(strlen(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE)), 99);
	vitals_collector_free(c);
	free(big);
	tu_rmrf(root);
	free(root);
}

static char *scope_tree(void)
{
	char *root = tree_new();
	struct fake f;

	fake_defaults(&f, 1, 0, "init");
	fake_write(root, &f);
	fake_defaults(&f, 10, 1, "server");
	f.rss_pages = 10000;
	fake_write(root, &f);
	fake_defaults(&f, 20, 10, "worker");
	f.rss_pages = 20000;
	fake_write(root, &f);
	fake_defaults(&f, 30, 20, "helper");
	f.cmdline = "helper\0--needle\0";
	f.cmdline_len = 16;
	fake_write(root, &f);
	fake_defaults(&f, 40, 1, "other");
	fake_write(root, &f);
	return root;
}

static int scope_count(const char *root, pid_t pid, int depth, const char *match,
                       uint64_t threshold_kb)
{
	struct vitals_scope sc = {pid, depth, match, threshold_kb};
	struct vitals_collector *c = open_tree(root, &sc, 0);
	int n;

	vitals_collector_sample(c);
	n = (int)vitals_collector_count(c, VITALS_KIND_PROCESS);
	assert_int_equal(vitals_collector_all_processes(c), 5);
	vitals_collector_free(c);
	return n;
}

static void test_scope(void **state)
{
	char *root = scope_tree();

	(void)state;
	assert_int_equal(scope_count(root, 0, -1, NULL, 0), 5);
	assert_int_equal(scope_count(root, 10, -1, NULL, 0), 3);
	assert_int_equal(scope_count(root, 10, 0, NULL, 0), 1);
	assert_int_equal(scope_count(root, 10, 1, NULL, 0), 2);
	assert_int_equal(scope_count(root, 20, -1, NULL, 0), 2);
	assert_int_equal(scope_count(root, 0, -1, "NEEDLE", 0), 1);
	assert_int_equal(scope_count(root, 0, -1, "work", 0), 1);
	/* threshold in KiB: 10000 pages = 40000 KiB */
	assert_int_equal(scope_count(root, 0, -1, NULL, 40000), 2);
	assert_int_equal(scope_count(root, 0, -1, NULL, 40001), 1);
	assert_int_equal(scope_count(root, 999, -1, NULL, 0), 0);
	tu_rmrf(root);
	free(root);
}

static void test_proctree(void **state)
{
	char *root = scope_tree();
	struct fake f;
	struct vitals_collector *c;
	struct vitals_proctree *t;
	const struct vitals_proctree_node *n;
	size_t i;

	(void)state;
	/* a parent cycle must not hang anything */
	fake_defaults(&f, 70, 71, "loop-a");
	fake_write(root, &f);
	fake_defaults(&f, 71, 70, "loop-b");
	fake_write(root, &f);
	c = open_tree(root, NULL, 0);
	vitals_collector_sample(c);
	assert_int_equal(vitals_proctree_build(&t, c), VITALS_OK);
	vitals_collector_free(c); /* the tree keeps its own copy */
	assert_int_equal(vitals_proctree_count(t), 7);
	i = vitals_proctree_find(t, 10);
	assert_true(i != SIZE_MAX);
	n = vitals_proctree_node(t, i);
	assert_string_equal(n->name, "server");
	assert_int_equal(n->child_count, 1);
	assert_int_equal(n->subtree_processes, 3);
	assert_true(n->subtree_rss_bytes == (10000 + 20000 + 256) * PAGE);
	assert_int_equal(vitals_proctree_node(t, vitals_proctree_child(t, i, 0))->pid, 20);
	n = vitals_proctree_node(t, vitals_proctree_find(t, 1));
	assert_int_equal(n->subtree_processes, 5);
	assert_int_equal(n->child_count, 2);
	assert_int_equal(
	    vitals_proctree_node(t, vitals_proctree_child(t, vitals_proctree_find(t, 1), 0))->pid,
	    10);
	assert_int_equal(
	    vitals_proctree_node(t, vitals_proctree_child(t, vitals_proctree_find(t, 1), 1))->pid,
	    40);
	n = vitals_proctree_node(t, vitals_proctree_find(t, 70));
	assert_true(n->subtree_processes <= 2);
	assert_true(vitals_proctree_find(t, 12345) == SIZE_MAX);
	vitals_proctree_free(t);
	tu_rmrf(root);
	free(root);
}

static void test_real_self(void **state)
{
	struct vitals_collector_options o;
	struct vitals_collector *c;
	const struct vitals_entity *e;
	char err[256];

	(void)state;
	vitals_collector_options_init(&o);
	o.scope.pid = getpid();
	o.scope.depth = 0;
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	vitals_collector_sample(c);
	usleep(50000);
	vitals_collector_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PROCESS), 1);
	e = vitals_collector_entity(c, VITALS_KIND_PROCESS, 0);
	assert_true(val(e, VITALS_PROC_PID) == getpid());
	assert_true(val(e, VITALS_PROC_PPID) == getppid());
	assert_true(val(e, VITALS_PROC_THREADS) == 1);
	assert_true(val(e, VITALS_PROC_RSS) > 0);
	assert_non_null(strstr(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE), "test_process"));
	assert_true(val(e, VITALS_PROC_CPU_PERCENT) >= 0);
	assert_non_null(vitals_collector_process(c, getpid()));
	assert_non_null(vitals_collector_process(c, 1));
	vitals_collector_free(c);
}

/*
 * The descriptor count of a real process: a child that holds exactly
 * stdin, stdout, stderr and ten more. (Not this process: the collector's
 * own descriptors move with whatever else the machine runs meanwhile.)
 */
static void test_real_fds(void **state)
{
	struct vitals_collector_options o;
	struct vitals_collector *c;
	const struct vitals_entity *e;
	char err[256];
	int ready[2];
	char b;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int fd = 3; fd < 4096; fd++)
			if (fd != ready[1])
				close(fd);
		for (int i = 0; i < 10; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				_exit(1);
		/* ten, then the pipe's end closed: 3 + 10 held while it sleeps */
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		close(ready[1]);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	usleep(20000);
	vitals_collector_options_init(&o);
	o.scope.pid = pid;
	o.scope.depth = 0;
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	vitals_collector_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PROCESS), 1);
	e = vitals_collector_entity(c, VITALS_KIND_PROCESS, 0);
	assert_true(val(e, VITALS_PROC_PID) == pid);
	assert_int_equal((int)val(e, VITALS_PROC_FDS), 13);
	vitals_collector_free(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_stat_odd_name),
	    cmocka_unit_test(test_basic_fields),
	    cmocka_unit_test(test_rss_sources),
	    cmocka_unit_test(test_start_time_from_btime),
	    cmocka_unit_test(test_rates_and_backwards),
	    cmocka_unit_test(test_pid_reuse_not_spliced),
	    cmocka_unit_test(test_exec_rereads_cmdline),
	    cmocka_unit_test(test_zombie_kthread_and_refused),
	    cmocka_unit_test(test_long_cmdline),
	    cmocka_unit_test(test_scope),
	    cmocka_unit_test(test_proctree),
	    cmocka_unit_test(test_real_self),
	    cmocka_unit_test(test_real_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
