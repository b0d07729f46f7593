/*
 * Once the machine is steady, a sample allocates nothing: every list,
 * pool and buffer of the collector only grows when the machine does.
 * Counted with the linker's --wrap on the allocator, over a fixture tree
 * (so no process comes or goes) and over the real /proc (where only new
 * processes may allocate).
 */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/vitals.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);

static long allocations;

void *__wrap_malloc(size_t n)
{
	allocations++;
	return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t m)
{
	allocations++;
	return __real_calloc(n, m);
}

void *__wrap_realloc(void *p, size_t n)
{
	allocations++;
	return __real_realloc(p, n);
}

static struct vitals_collector *open_collector(const char *root)
{
	struct vitals_collector_options o;
	struct vitals_collector *c;
	char err[256] = "";

	vitals_collector_options_init(&o);
	if (root) {
		o.proc_root = root;
		o.sys_root = root;
	}
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	return c;
}

static void write_proc(const char *root, int pid, int ppid)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	tu_writef(root, rel,
	          "%d (p%d) S %d 1 1 0 -1 0 10 0 0 0 5 5 0 0 20 0 1 0 %d 1000000 100 0\n", pid, pid,
	          ppid, 100 + pid);
	snprintf(rel, sizeof(rel), "%d/statm", pid);
	tu_write(root, rel, "244 100 20 1 0 50 0\n");
	snprintf(rel, sizeof(rel), "%d/io", pid);
	tu_write(root, rel, "read_bytes: 1\nwrite_bytes: 2\ncancelled_write_bytes: 0\n");
	snprintf(rel, sizeof(rel), "%d/cmdline", pid);
	tu_writef(root, rel, "prog%d", pid);
	snprintf(rel, sizeof(rel), "%d/fd/0", pid);
	tu_write(root, rel, "");
}

static void test_fixture_steady(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	long before;

	(void)state;
	tu_write(root, "stat",
	         "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nctxt 5\n"
	         "btime 1700000000\nprocesses 10\nprocs_running 1\nprocs_blocked 0\n");
	tu_write(root, "meminfo",
	         "MemTotal: 1000 kB\nMemFree: 500 kB\nMemAvailable: 600 kB\n"
	         "SwapTotal: 0 kB\nSwapFree: 0 kB\n");
	tu_write(root, "loadavg", "0.10 0.20 0.30 1/100 999\n");
	tu_write(root, "uptime", "100.00 150.00\n");
	tu_write(root, "net/dev",
	         "Inter-| head\n face | head\n  lo: 1 2 0 0 0 0 0 0 3 4 0 0 0 0 0 0\n");
	tu_write(root, "diskstats", "   8       0 sda 1 0 8 1 1 0 8 1 0 1 2 0 0 0 0 0 0\n");
	tu_mkdir(root, "block/sda");
	for (int pid = 1; pid <= 200; pid++)
		write_proc(root, pid, pid == 1 ? 0 : 1);
	before = allocations;
	c = open_collector(root);
	for (int i = 0; i < 3; i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_all_processes(c), 200);
	/* the count works: the first samples allocate (a command line per process) */
	assert_true(allocations - before >= 200);
	before = allocations;
	for (int i = 0; i < 5; i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(allocations - before, 0);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_real_proc_bounded(void **state)
{
	struct vitals_collector *c = open_collector(NULL);
	long before;
	size_t procs;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	procs = vitals_collector_all_processes(c);
	before = allocations;
	for (int i = 0; i < 5; i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	/* only processes born meanwhile may allocate (a command line, a slot block) */
	printf("# %ld allocations over 5 samples of %zu processes\n", allocations - before, procs);
	assert_true(allocations - before < (long)procs / 4 + 10);
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixture_steady),
	    cmocka_unit_test(test_real_proc_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
