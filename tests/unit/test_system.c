/*
 * The system source: uptime, load averages and the boot id from hand-made
 * files, garbage in them, and the real /proc of this machine.
 */
#include "systest.h"

#include <stdlib.h>

#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_SYSTEM)

static void test_parse(void **state)
{
	double load[3], up;

	(void)state;
	assert_int_equal(loadavg_parse("0.50 1.25 12.00 2/300 4242\n", load), 0);
	assert_true(load[0] == 0.5 && load[1] == 1.25 && load[2] == 12);
	assert_int_equal(loadavg_parse("0.50 1.25\n", load), -1);
	assert_int_equal(loadavg_parse("-1 2 3\n", load), -1);
	assert_int_equal(uptime_parse("6339.43 12599.31\n", &up), 0);
	assert_true(fabs(up - 6339.43) < 1e-9);
	assert_int_equal(uptime_parse("abc", &up), -1);
	assert_int_equal(uptime_parse("", &up), -1);
}

static void test_values(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	tu_write(root, "uptime", "100.25 300.00\n");
	tu_write(root, "loadavg", "0.10 0.20 0.30 1/80 99\n");
	tu_write(root, "sys/kernel/random/boot_id", "5048d982-f02d-48e5-bd7d-c56d7c9cbd74\n");
	c = st_open(root, NULL, SRC, 0);
	assert_string_equal(vitals_collector_boot_id(c), "5048d982-f02d-48e5-bd7d-c56d7c9cbd74");
	st_sample(c);
	e = st_system(c);
	assert_string_equal(vitals_entity_id(e), "system");
	st_eq(e, VITALS_SYS_UPTIME, 100.25);
	st_eq(e, VITALS_SYS_LOAD1, 0.1);
	st_eq(e, VITALS_SYS_LOAD5, 0.2);
	st_eq(e, VITALS_SYS_LOAD15, 0.3);

	/* re-read through the held descriptors */
	tu_write(root, "uptime", "101.5 300.00\n");
	tu_write(root, "loadavg", "2.00 0.20 0.30 1/80 99\n");
	st_sample(c);
	st_eq(st_system(c), VITALS_SYS_UPTIME, 101.5);
	st_eq(st_system(c), VITALS_SYS_LOAD1, 2);

	tu_write(root, "uptime", "garbage\n");
	tu_write(root, "loadavg", "1.0 x");
	st_sample(c);
	e = st_system(c);
	st_missing(e, VITALS_SYS_UPTIME);
	st_missing(e, VITALS_SYS_LOAD1);
	st_missing(e, VITALS_SYS_LOAD15);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_bad_boot_id(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;

	(void)state;
	tu_write(root, "uptime", "1 1\n");
	c = st_open(root, NULL, SRC, 0); /* no boot id, no loadavg */
	assert_null(vitals_collector_boot_id(c));
	st_sample(c);
	st_eq(st_system(c), VITALS_SYS_UPTIME, 1);
	st_missing(st_system(c), VITALS_SYS_LOAD1);
	vitals_collector_free(c);
	tu_write(root, "sys/kernel/random/boot_id", "not a uuid; rm -rf /\n");
	c = st_open(root, NULL, SRC, 0);
	assert_null(vitals_collector_boot_id(c));
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/* The real machine: values exist and are plausible. */
static void test_real_proc(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *e;
	const char *why;

	(void)state;
	c = st_open("/proc", "/sys", SRC | VITALS_SOURCE(VITALS_KIND_CPU), 0);
	st_sample(c);
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_SYSTEM, &why), VITALS_OK);
	assert_non_null(vitals_collector_boot_id(c));
	assert_true(vitals_collector_boot_time(c) > 1000000000LL * 1000000);
	e = st_system(c);
	assert_true(st_val(e, VITALS_SYS_UPTIME) > 0);
	assert_true(st_val(e, VITALS_SYS_LOAD1) >= 0);
	assert_true(st_val(e, VITALS_SYS_MEM_TOTAL) > st_val(e, VITALS_SYS_MEM_FREE));
	assert_true(st_val(e, VITALS_SYS_CPU_COUNT) >= 1);
	assert_true(st_val(e, VITALS_SYS_CTXT_RATE) >= 0);
	e = st_get(c, VITALS_KIND_CPU, "total");
	assert_true(st_val(e, VITALS_CPU_BUSY) >= 0 && st_val(e, VITALS_CPU_BUSY) <= 100);
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_bad_boot_id),
	    cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
