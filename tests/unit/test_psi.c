/*
 * The pressure source: averages and the stall share of the interval from
 * hand-made pressure files, a file without a "full" line, a counter going
 * backwards, garbage, and a kernel without /proc/pressure.
 */
#include "systest.h"

#include <stdlib.h>

#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_PSI)

static void write_psi(const char *root, const char *name, unsigned long some, int full,
                      unsigned long full_total)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "pressure/%s", name);
	if (full)
		tu_writef(root, rel,
		          "some avg10=1.50 avg60=2.25 avg300=3.00 total=%lu\n"
		          "full avg10=0.50 avg60=0.25 avg300=0.10 total=%lu\n",
		          some, full_total);
	else
		tu_writef(root, rel, "some avg10=1.50 avg60=2.25 avg300=3.00 total=%lu\n", some);
}

static void test_parse(void **state)
{
	struct psi_reading r;

	(void)state;
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.03 avg300=0.08 total=3738836\n"
	                           "full avg10=99.99 avg60=0.00 avg300=0.00 total=0\n",
	                           &r),
	                 0);
	assert_true(r.have_some && r.have_full);
	assert_int_equal(r.some.total, 3738836);
	assert_true(fabs(r.some.avg60 - 0.03) < 1e-12);
	assert_true(fabs(r.full.avg10 - 99.99) < 1e-12);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.03 avg300=0.08 total=1\n", &r), 0);
	assert_false(r.have_full);
	assert_int_equal(psi_parse("some avg10=0.00 avg60=0.03 total=1\n", &r), -1);
	assert_int_equal(psi_parse("some avg10=101.00 avg60=0 avg300=0 total=1\n", &r), -1);
	assert_int_equal(psi_parse("some avg10=-1 avg60=0 avg300=0 total=1\n", &r), -1);
	assert_int_equal(psi_parse("full avg10=0 avg60=0 avg300=0 total=1\n", &r), -1);
	assert_int_equal(psi_parse("", &r), -1);
}

static void test_values(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *e;
	const char *why;

	(void)state;
	write_psi(root, "cpu", 1000000, 1, 0);
	write_psi(root, "io", 2000000, 1, 500000);
	write_psi(root, "memory", 3000000, 0, 0);
	c = st_open(root, NULL, SRC, 0);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_PSI, &why), VITALS_OK);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PSI), 3); /* no irq file */
	e = st_get(c, VITALS_KIND_PSI, "io");
	st_eq(e, VITALS_PSI_SOME_AVG10, 1.5);
	st_eq(e, VITALS_PSI_SOME_AVG60, 2.25);
	st_eq(e, VITALS_PSI_SOME_AVG300, 3);
	st_eq(e, VITALS_PSI_FULL_AVG10, 0.5);
	st_missing(e, VITALS_PSI_SOME_STALL);
	st_missing(e, VITALS_PSI_FULL_STALL);

	write_psi(root, "cpu", 1000000 - 5, 1, 0); /* backwards */
	write_psi(root, "io", 2000000 + 1000, 1, 500000 + 400);
	write_psi(root, "memory", 3000000 + 2000, 0, 0);
	st_pause();
	st_sample(c);
	e = st_get(c, VITALS_KIND_PSI, "io");
	st_rate(c, e, VITALS_PSI_SOME_STALL, 1000 / 1e6 * 100);
	st_rate(c, e, VITALS_PSI_FULL_STALL, 400 / 1e6 * 100);
	e = st_get(c, VITALS_KIND_PSI, "memory");
	st_rate(c, e, VITALS_PSI_SOME_STALL, 2000 / 1e6 * 100);
	for (int i = VITALS_PSI_FULL_AVG10; i <= VITALS_PSI_FULL_STALL; i++)
		st_missing(e, i);
	e = st_get(c, VITALS_KIND_PSI, "cpu");
	st_missing(e, VITALS_PSI_SOME_STALL);
	st_rate(c, e, VITALS_PSI_FULL_STALL, 0);

	tu_write(root, "pressure/io", "some avg10=garbage\n");
	st_sample(c);
	e = st_get(c, VITALS_KIND_PSI, "io");
	for (int i = 0; i < VITALS_PSI_METRIC_COUNT; i++)
		st_missing(e, i);
	write_psi(root, "io", 2000000 + 5000, 1, 500000 + 800);
	st_sample(c); /* after a failed read: no previous reading */
	st_missing(st_get(c, VITALS_KIND_PSI, "io"), VITALS_PSI_SOME_STALL);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_no_pressure(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const char *why = NULL;

	(void)state;
	tu_write(root, "stat", "cpu  1 2 3 4\n");
	c = st_open(root, NULL, SRC, 0);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_PSI, &why),
	                 VITALS_E_UNSUPPORTED);
	assert_non_null(strstr(why, "pressure"));
	assert_non_null(strstr(why, "psi=0"));
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PSI), 0);
	vitals_collector_free(c);

	tu_mkdir(root, "pressure"); /* a directory with nothing in it */
	c = st_open(root, NULL, SRC, 0);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_PSI, &why),
	                 VITALS_E_UNSUPPORTED);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_no_pressure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
