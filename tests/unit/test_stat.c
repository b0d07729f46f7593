/*
 * The CPU source against hand-made /proc/stat files: exact percentages
 * from known tick deltas, rates of context switches and forks, counters
 * going backwards, cores going offline and online, garbage.
 */
#include "systest.h"

#include <stdio.h>
#include <stdlib.h>

#include "collect/sysparse.h"

#define SRC (VITALS_SOURCE(VITALS_KIND_CPU) | VITALS_SOURCE(VITALS_KIND_SYSTEM))

static const char *cpu_line(char *buf, size_t cap, const char *name, const unsigned long *t)
{
	snprintf(buf, cap, "%s %lu %lu %lu %lu %lu %lu %lu %lu 0 0\n", name, t[0], t[1], t[2], t[3],
	         t[4], t[5], t[6], t[7]);
	return buf;
}

/* Write /proc/stat with the total, then the cores given (NULL ends), and the counters. */
static void write_stat(const char *root, const unsigned long *total, const unsigned long *cores[],
                       unsigned long ctxt, unsigned long forks)
{
	char text[4096] = "", line[256], name[16];

	strcat(text, cpu_line(line, sizeof(line), "cpu ", total));
	for (int i = 0; cores[i]; i++) {
		snprintf(name, sizeof(name), "cpu%d", (int)cores[i][8]);
		strcat(text, cpu_line(line, sizeof(line), name, cores[i]));
	}
	snprintf(line, sizeof(line),
	         "intr 12 0 0\nctxt %lu\nbtime 1700000000\nprocesses %lu\nprocs_running 3\n"
	         "procs_blocked 1\nsoftirq 1 2 3\n",
	         ctxt, forks);
	strcat(text, line);
	tu_write(root, "stat", text);
}

static void test_parse(void **state)
{
	struct stat_cpu cpus[1];
	struct stat_reading r = {.cpus = cpus, .cpus_cap = 1};

	(void)state;
	assert_int_equal(stat_parse("cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 2 3 4\ncpu7 9 9 9 9 9\n"
	                            "ctxt 55\nbtime 1700000000\nprocesses 77\n",
	                            &r),
	                 0);
	assert_true(r.have & STAT_HAVE_TOTAL);
	assert_int_equal(r.total.nstates, 8);
	assert_int_equal(r.total.t[7], 8);
	assert_int_equal(r.ncpus, 2); /* counted beyond the room given */
	assert_int_equal(cpus[0].id, 0);
	assert_int_equal(cpus[0].nstates, 4);
	assert_int_equal(r.ctxt, 55);
	assert_int_equal(r.btime, 1700000000);
	assert_int_equal(r.processes, 77);
	assert_false(r.have & STAT_HAVE_RUNNING);
	/* too few fields, junk ids, garbage */
	assert_int_equal(stat_parse("cpu  1 2 3\ncpux 1 2 3 4\ncpu99999999 1 2 3 4\n", &r), -1);
	assert_int_equal(stat_parse("", &r), -1);
	assert_int_equal(stat_parse("btime -5\nctxt abc\n", &r), -1);
	assert_int_equal(stat_parse("cpu  99999999999999999999999 1 2 3\n", &r), -1);
}

static void test_percentages_and_rates(void **state)
{
	char *root = tu_tmpdir();
	unsigned long t0[9] = {100, 0, 100, 800, 0, 0, 0, 0},
	              c0[9] = {50, 0, 50, 400, 0, 0, 0, 0, 0},
	              c1[9] = {50, 0, 50, 400, 0, 0, 0, 0, 1};
	const unsigned long *cores[] = {c0, c1, NULL};
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	write_stat(root, t0, cores, 1000, 500);
	c = st_open(root, NULL, SRC, 0);
	assert_int_equal(vitals_collector_boot_time(c), 1700000000LL * 1000000);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CPU), 3);
	e = vitals_collector_entity(c, VITALS_KIND_CPU, 0);
	assert_string_equal(vitals_entity_id(e), "total");
	assert_string_equal(vitals_entity_name(e), "cpu");
	e = vitals_collector_entity(c, VITALS_KIND_CPU, 2);
	assert_string_equal(vitals_entity_id(e), "1");
	assert_string_equal(vitals_entity_name(e), "cpu1");
	for (int i = 0; i < VITALS_CPU_METRIC_COUNT; i++)
		st_missing(e, i); /* first sample: no rates */
	e = st_system(c);
	st_missing(e, VITALS_SYS_CTXT_RATE);
	st_missing(e, VITALS_SYS_FORKS_RATE);
	st_eq(e, VITALS_SYS_PROCS_RUNNING, 3);
	st_eq(e, VITALS_SYS_PROCS_BLOCKED, 1);
	st_eq(e, VITALS_SYS_CPU_COUNT, 2);

	/* +30 user +10 nice +20 system +30 idle +5 iowait +2 irq +1 softirq +2 steal = 100 */
	t0[0] += 30, t0[1] += 10, t0[2] += 20, t0[3] += 30, t0[4] += 5, t0[5] += 2, t0[6] += 1,
	    t0[7] += 2;
	c0[0] += 25, c0[3] += 75; /* 25% user */
	c1[2] += 10, c1[3] += 10; /* 50% system */
	write_stat(root, t0, cores, 1600, 530);
	st_pause();
	st_sample(c);
	e = st_get(c, VITALS_KIND_CPU, "total");
	st_eq(e, VITALS_CPU_USER, 30);
	st_eq(e, VITALS_CPU_NICE, 10);
	st_eq(e, VITALS_CPU_SYSTEM, 20);
	st_eq(e, VITALS_CPU_IDLE, 30);
	st_eq(e, VITALS_CPU_IOWAIT, 5);
	st_eq(e, VITALS_CPU_IRQ, 2);
	st_eq(e, VITALS_CPU_SOFTIRQ, 1);
	st_eq(e, VITALS_CPU_STEAL, 2);
	st_eq(e, VITALS_CPU_BUSY, 65);
	e = st_get(c, VITALS_KIND_CPU, "0");
	st_eq(e, VITALS_CPU_USER, 25);
	st_eq(e, VITALS_CPU_IDLE, 75);
	st_eq(e, VITALS_CPU_BUSY, 25);
	e = st_get(c, VITALS_KIND_CPU, "1");
	st_eq(e, VITALS_CPU_SYSTEM, 50);
	st_eq(e, VITALS_CPU_USER, 0);
	st_eq(e, VITALS_CPU_BUSY, 50);
	e = st_system(c);
	st_rate(c, e, VITALS_SYS_CTXT_RATE, 600);
	st_rate(c, e, VITALS_SYS_FORKS_RATE, 30);

	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_backwards(void **state)
{
	char *root = tu_tmpdir();
	unsigned long t0[9] = {100, 0, 100, 800, 50, 0, 0, 0},
	              c0[9] = {50, 0, 50, 400, 20, 0, 0, 0, 0},
	              c1[9] = {50, 0, 50, 400, 30, 0, 0, 0, 1};
	const unsigned long *cores[] = {c0, c1, NULL};
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	write_stat(root, t0, cores, 1000, 500);
	c = st_open(root, NULL, SRC, 0);
	st_sample(c);
	t0[0] += 10, t0[3] += 10;
	c0[0] += 10, c0[3] += 10;
	c1[0] += 10, c1[3] += 10, c1[4] -= 3;  /* iowait went backwards on core 1 */
	write_stat(root, t0, cores, 900, 500); /* and the context switch counter too */
	st_pause();
	st_sample(c);
	e = st_get(c, VITALS_KIND_CPU, "1");
	for (int i = 0; i < VITALS_CPU_METRIC_COUNT; i++)
		st_missing(e, i);
	e = st_get(c, VITALS_KIND_CPU, "0");
	st_eq(e, VITALS_CPU_USER, 50);
	e = st_system(c);
	st_missing(e, VITALS_SYS_CTXT_RATE);
	st_rate(c, e, VITALS_SYS_FORKS_RATE, 0);

	/* the next interval is fine again */
	c1[0] += 10, c1[3] += 30;
	write_stat(root, t0, cores, 1000, 500);
	st_pause();
	st_sample(c);
	st_eq(st_get(c, VITALS_KIND_CPU, "1"), VITALS_CPU_USER, 25);
	st_rate(c, st_system(c), VITALS_SYS_CTXT_RATE, 100);

	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_hotplug(void **state)
{
	char *root = tu_tmpdir();
	unsigned long t0[9] = {100, 0, 100, 800}, c0[9] = {50, 0, 50, 400, 0, 0, 0, 0, 0},
	              c1[9] = {50, 0, 50, 400, 0, 0, 0, 0, 1}, c2[9] = {5, 0, 5, 40, 0, 0, 0, 0, 2};
	const unsigned long *both[] = {c0, c1, NULL}, *one[] = {c0, NULL},
	                    *three[] = {c0, c1, c2, NULL};
	struct vitals_collector *c;

	(void)state;
	write_stat(root, t0, both, 1, 1);
	c = st_open(root, NULL, SRC, 0);
	st_sample(c);
	t0[0] += 10, c0[0] += 10, c1[0] += 10;
	write_stat(root, t0, one, 1, 1); /* core 1 goes offline */
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CPU), 2);
	assert_null(st_find(c, VITALS_KIND_CPU, "1"));
	st_eq(st_system(c), VITALS_SYS_CPU_COUNT, 1);
	st_eq(st_get(c, VITALS_KIND_CPU, "0"), VITALS_CPU_USER, 100);

	c0[3] += 10, c1[3] += 10, c2[3] += 10;
	write_stat(root, t0, three, 1, 1); /* core 1 back, core 2 new */
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CPU), 4);
	st_eq(st_get(c, VITALS_KIND_CPU, "0"), VITALS_CPU_IDLE, 100);
	st_missing(st_get(c, VITALS_KIND_CPU, "1"), VITALS_CPU_IDLE);
	st_missing(st_get(c, VITALS_KIND_CPU, "2"), VITALS_CPU_IDLE);

	c1[1] += 4, c2[1] += 4, c2[3] += 4;
	write_stat(root, t0, three, 1, 1);
	st_pause();
	st_sample(c);
	st_eq(st_get(c, VITALS_KIND_CPU, "1"), VITALS_CPU_NICE, 100);
	st_eq(st_get(c, VITALS_KIND_CPU, "2"), VITALS_CPU_NICE, 50);

	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_garbage(void **state)
{
	static const char *const junk[] = {
	    "",
	    "garbage\n",
	    "cpu",
	    "cpu  1 2",
	    "cpu  1 2 3 4 5 6 7 8\ncpu0 x y\n",
	    "cpu0 18446744073709551616 1 2 3\n",
	    "\x01\x02\xff cpu 1 2 3 4",
	};
	char *root = tu_tmpdir();
	struct vitals_collector *c;

	(void)state;
	tu_write(root, "stat", "cpu  1 2 3 4\ncpu0 1 2 3 4\nbtime 1\n");
	c = st_open(root, NULL, SRC, 0);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		const struct vitals_entity *e;

		tu_write(root, "stat", junk[i]);
		st_sample(c);
		e = st_system(c);
		st_missing(e, VITALS_SYS_CTXT_RATE);
		st_missing(e, VITALS_SYS_PROCS_RUNNING);
		for (size_t k = 0; k < vitals_collector_count(c, VITALS_KIND_CPU); k++) {
			e = vitals_collector_entity(c, VITALS_KIND_CPU, k);
			for (int m = 0; m < VITALS_CPU_METRIC_COUNT; m++)
				st_missing(e, m);
		}
	}
	/* a file cut after the cpu lines still gives the cpu lines */
	tu_write(root, "stat", "cpu  1 2 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\nint");
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CPU), 2);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),     cmocka_unit_test(test_percentages_and_rates),
	    cmocka_unit_test(test_backwards), cmocka_unit_test(test_hotplug),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
