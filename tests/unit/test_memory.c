/*
 * The memory source against hand-made meminfo and vmstat: levels as free(1)
 * shows them, swap and fault rates, swap in use, old kernels without
 * MemAvailable, garbage.
 */
#include "systest.h"

#include <stdlib.h>
#include <unistd.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_SYSTEM)
#define KB  1024.0

static void write_mem(const char *root, int with_available, unsigned long swap_free_kb)
{
	tu_writef(root, "meminfo",
	          "MemTotal:       16000000 kB\n"
	          "MemFree:         2000000 kB\n"
	          "%s"
	          "Buffers:          300000 kB\n"
	          "Cached:          5000000 kB\n"
	          "SwapCached:            0 kB\n"
	          "SwapTotal:       4000000 kB\n"
	          "SwapFree:        %lu kB\n"
	          "Shmem:            700000 kB\n"
	          "SReclaimable:     400000 kB\n"
	          "HugePages_Total:       0\n",
	          with_available ? "MemAvailable:    9000000 kB\n" : "", swap_free_kb);
}

static void write_vmstat(const char *root, unsigned long in, unsigned long out, unsigned long flt,
                         unsigned long maj)
{
	tu_writef(root, "vmstat",
	          "nr_free_pages 1\npswpin %lu\npswpout %lu\npgfault %lu\npgmajfault %lu\n"
	          "pgfault_extra 99\n",
	          in, out, flt, maj);
}

static void test_parse(void **state)
{
	struct meminfo_reading m;
	struct vmstat_reading v;

	(void)state;
	assert_int_equal(meminfo_parse("MemTotal: 10 kB\nCached: 5 kB\nSwapTotal: 7\n"
	                               "MemFree: 99999999999999999999 kB\n",
	                               &m),
	                 0);
	assert_true(m.have & (1u << MEMINFO_TOTAL));
	assert_int_equal(m.v[MEMINFO_TOTAL], 10240);
	assert_int_equal(m.v[MEMINFO_CACHED], 5120);
	assert_false(m.have & (1u << MEMINFO_SWAP_TOTAL)); /* no unit: not trusted */
	assert_false(m.have & (1u << MEMINFO_FREE));       /* overflow */
	assert_false(m.have & (1u << MEMINFO_SRECLAIMABLE));
	assert_int_equal(meminfo_parse("SwapCached: 1 kB\nMemTotalx: 1 kB\n", &m), -1);
	assert_int_equal(vmstat_parse("pgfault 12\npgfault_x 13\npgmajfault\n", &v), 0);
	assert_int_equal(v.have, 1u << VMSTAT_PGFAULT);
	assert_int_equal(v.v[VMSTAT_PGFAULT], 12);
}

static void test_levels_and_rates(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *e;
	double page = (double)sysconf(_SC_PAGESIZE);

	(void)state;
	write_mem(root, 1, 3000000);
	write_vmstat(root, 10, 20, 1000, 5);
	c = st_open(root, NULL, SRC, 0);
	st_sample(c);
	e = st_system(c);
	st_eq(e, VITALS_SYS_MEM_TOTAL, 16000000 * KB);
	st_eq(e, VITALS_SYS_MEM_AVAILABLE, 9000000 * KB);
	st_eq(e, VITALS_SYS_MEM_USED, 7000000 * KB);
	st_eq(e, VITALS_SYS_MEM_FREE, 2000000 * KB);
	st_eq(e, VITALS_SYS_MEM_BUFFERS, 300000 * KB);
	st_eq(e, VITALS_SYS_MEM_CACHED, 5400000 * KB);
	st_eq(e, VITALS_SYS_MEM_SHARED, 700000 * KB);
	st_eq(e, VITALS_SYS_SWAP_TOTAL, 4000000 * KB);
	st_eq(e, VITALS_SYS_SWAP_USED, 1000000 * KB);
	st_eq(e, VITALS_SYS_SWAP_FREE, 3000000 * KB);
	st_missing(e, VITALS_SYS_SWAP_IN_RATE);
	st_missing(e, VITALS_SYS_PGFAULT_RATE);
	assert_int_equal(c->swap_in_use, 1);

	write_mem(root, 1, 4000000); /* all swap free again */
	write_vmstat(root, 14, 20, 1600, 8);
	st_pause();
	st_sample(c);
	e = st_system(c);
	st_eq(e, VITALS_SYS_SWAP_USED, 0);
	assert_int_equal(c->swap_in_use, 0);
	st_rate(c, e, VITALS_SYS_SWAP_IN_RATE, 4 * page);
	st_rate(c, e, VITALS_SYS_SWAP_OUT_RATE, 0);
	st_rate(c, e, VITALS_SYS_PGFAULT_RATE, 600);
	st_rate(c, e, VITALS_SYS_PGMAJFAULT_RATE, 3);

	write_vmstat(root, 1, 20, 1700, 9); /* pswpin went backwards */
	st_pause();
	st_sample(c);
	e = st_system(c);
	st_missing(e, VITALS_SYS_SWAP_IN_RATE);
	st_rate(c, e, VITALS_SYS_PGFAULT_RATE, 100);

	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_no_memavailable(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	write_mem(root, 0, 4000000);
	c = st_open(root, NULL, SRC, 0); /* no vmstat at all */
	st_sample(c);
	e = st_system(c);
	st_missing(e, VITALS_SYS_MEM_AVAILABLE);
	st_missing(e, VITALS_SYS_MEM_USED);
	st_eq(e, VITALS_SYS_MEM_TOTAL, 16000000 * KB);
	st_missing(e, VITALS_SYS_PGFAULT_RATE);
	st_pause();
	st_sample(c);
	st_missing(st_system(c), VITALS_SYS_PGFAULT_RATE);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_garbage(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	write_mem(root, 1, 4000000);
	c = st_open(root, NULL, SRC, 0);
	st_sample(c);
	assert_int_equal(c->swap_in_use, 0);
	tu_write(root, "meminfo", "MemTotal: lots\nSwapTotal: 1 kB\nSwapFree:");
	st_sample(c);
	e = st_system(c);
	st_missing(e, VITALS_SYS_MEM_TOTAL);
	st_missing(e, VITALS_SYS_SWAP_USED);
	assert_int_equal(c->swap_in_use, 1); /* unknown: in use */
	tu_write(root, "meminfo", "MemTotal: 100 kB\nMemAvailable: 200 kB\n");
	st_sample(c);
	st_missing(st_system(c), VITALS_SYS_MEM_USED); /* never negative */
	tu_write(root, "meminfo", "");
	st_sample(c);
	st_missing(st_system(c), VITALS_SYS_MEM_TOTAL);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_levels_and_rates),
	    cmocka_unit_test(test_no_memavailable),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
