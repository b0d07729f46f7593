/*
 * The system sources on the tree captured from a Debian 12 VM
 * (scripts/capture-fixture.sh debian12-vm): what a user would see of that
 * machine, value for value.
 */
#include "systest.h"

#include <stdlib.h>

#define SRC                                                                                        \
	(VITALS_SOURCE(VITALS_KIND_SYSTEM) | VITALS_SOURCE(VITALS_KIND_CPU) |                      \
	 VITALS_SOURCE(VITALS_KIND_PSI) | VITALS_SOURCE(VITALS_KIND_DISK) |                        \
	 VITALS_SOURCE(VITALS_KIND_NET) | VITALS_SOURCE(VITALS_KIND_FS))

static struct vitals_collector *open_fixture(int all)
{
	char proc[4096], sys[4096];

	snprintf(proc, sizeof(proc), "%s/proc", tu_fixture("debian12-vm"));
	snprintf(sys, sizeof(sys), "%s/sys", tu_fixture("debian12-vm"));
	return st_open(proc, sys, SRC, all);
}

static void test_debian12_vm(void **state)
{
	struct vitals_collector *c = open_fixture(0);
	const struct vitals_entity *e;
	const char *why;

	(void)state;
	assert_string_equal(vitals_collector_boot_id(c), "5048d982-f02d-48e5-bd7d-c56d7c9cbd74");
	assert_int_equal(vitals_collector_boot_time(c), 1795306378LL * 1000000);
	st_sample(c);

	e = st_system(c);
	st_eq(e, VITALS_SYS_UPTIME, 6717.08);
	st_eq(e, VITALS_SYS_LOAD1, 1.32);
	st_eq(e, VITALS_SYS_LOAD15, 0.25);
	st_eq(e, VITALS_SYS_MEM_TOTAL, 24684084 * 1024.0);
	st_eq(e, VITALS_SYS_MEM_AVAILABLE, 24311424 * 1024.0);
	st_eq(e, VITALS_SYS_MEM_USED, (24684084 - 24311424) * 1024.0);
	st_eq(e, VITALS_SYS_SWAP_TOTAL, 0);
	st_eq(e, VITALS_SYS_SWAP_USED, 0);
	st_eq(e, VITALS_SYS_CPU_COUNT, 2);
	st_missing(e, VITALS_SYS_CTXT_RATE);

	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CPU), 3);
	assert_non_null(st_find(c, VITALS_KIND_CPU, "1"));

	/* vda only: the loop and zram devices never did any I/O */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 1);
	e = st_get(c, VITALS_KIND_DISK, "vda");
	st_eq(e, VITALS_DISK_READ_BYTES, 2402522 * 512.0);
	st_eq(e, VITALS_DISK_WRITE_OPS, 7444);

	assert_int_equal(vitals_collector_count(c, VITALS_KIND_NET), 4);
	st_eq(st_get(c, VITALS_KIND_NET, "eth0"), VITALS_NET_RX_BYTES, 18986761);
	st_eq(st_get(c, VITALS_KIND_NET, "lo"), VITALS_NET_TX_BYTES, 3267);

	/* this kernel has no irq pressure */
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_PSI, &why), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_PSI), 3);
	assert_null(st_find(c, VITALS_KIND_PSI, "irq"));
	assert_non_null(st_find(c, VITALS_KIND_PSI, "memory"));

	/* one real filesystem: the ext4 root; tmpfs, cgroup, proc... are left out */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 1);
	e = st_get(c, VITALS_KIND_FS, "/");
	assert_string_equal(vitals_entity_name(e), "/dev/vda");
	assert_string_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "ext4");

	/* a tree that does not move: no ticks passed, so no percentages; rates are 0 */
	st_pause();
	st_sample(c);
	st_missing(st_get(c, VITALS_KIND_CPU, "total"), VITALS_CPU_BUSY);
	st_eq(st_system(c), VITALS_SYS_CTXT_RATE, 0);
	st_eq(st_get(c, VITALS_KIND_DISK, "vda"), VITALS_DISK_READ_BYTES_RATE, 0);
	st_missing(st_get(c, VITALS_KIND_DISK, "vda"), VITALS_DISK_READ_AWAIT);
	st_eq(st_get(c, VITALS_KIND_PSI, "io"), VITALS_PSI_SOME_STALL, 0);
	vitals_collector_free(c);
}

static void test_debian12_vm_all(void **state)
{
	struct vitals_collector *c = open_fixture(1);

	(void)state;
	st_sample(c);
	/* 8 loop devices, vda and zram0 */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 10);
	assert_non_null(st_find(c, VITALS_KIND_DISK, "zram0"));
	assert_non_null(st_find(c, VITALS_KIND_FS, "/sys/fs/cgroup/unified"));
	assert_non_null(st_find(c, VITALS_KIND_FS, "/dev/shm"));
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian12_vm),
	    cmocka_unit_test(test_debian12_vm_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
