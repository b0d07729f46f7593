/*
 * The disk source against hand-made diskstats and /sys/block trees: whole
 * disks only by default, rates, busy time and await, devices coming and
 * going, counters going backwards, garbage.
 */
#include "systest.h"

#include <stdlib.h>

#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_DISK)

struct dev {
	const char *name;
	unsigned long reads, rsect, rms, writes, wsect, wms, inflight, io_ms;
};

static void write_disks(const char *root, const struct dev *d, size_t n)
{
	char text[8192] = "", line[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line),
		         "   8       %zu %s %lu 7 %lu %lu %lu 9 %lu %lu %lu %lu 1234 0 0 0 0 0 0\n",
		         i, d[i].name, d[i].reads, d[i].rsect, d[i].rms, d[i].writes, d[i].wsect,
		         d[i].wms, d[i].inflight, d[i].io_ms);
		strcat(text, line);
	}
	tu_write(root, "proc/diskstats", text);
}

static char *tree_new(void)
{
	char *root = tu_tmpdir();
	static const char *const whole[] = {"sda", "sdb", "loop0", "loop1", "cciss!c0d0"};

	for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "sys/block/%s", whole[i]);
		tu_mkdir(root, rel);
	}
	return root;
}

static struct vitals_collector *open_tree(const char *root, int all)
{
	char proc[4096], sys[4096];

	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	return st_open(proc, sys, SRC, all);
}

static void test_parse(void **state)
{
	struct diskstats_line l;
	const char *p =
	    " 254       0 vda 8671 5518 2302218 7654 3194 5147 388680 2243 0 3812 10284 "
	    "5033 19 110184 375 211 10\n"
	    "   8       1 sda1 1 2 3\n"
	    "   8       2 sda2 1 2 3 4 5 6 7 8 9 10 11\n";

	(void)state;
	assert_int_equal(diskstats_next(&p, &l), 1);
	assert_string_equal(l.name, "vda");
	assert_int_equal(l.major, 254);
	assert_int_equal(l.reads, 8671);
	assert_int_equal(l.read_sectors, 2302218);
	assert_int_equal(l.read_ms, 7654);
	assert_int_equal(l.writes, 3194);
	assert_int_equal(l.write_sectors, 388680);
	assert_int_equal(l.write_ms, 2243);
	assert_int_equal(l.in_flight, 0);
	assert_int_equal(l.io_ms, 3812);
	assert_int_equal(diskstats_next(&p, &l), 0); /* old partition format: skipped */
	assert_int_equal(diskstats_next(&p, &l), 1);
	assert_int_equal(l.io_ms, 10);
	assert_int_equal(diskstats_next(&p, &l), -1);
}

static void test_filter_and_rates(void **state)
{
	char *root = tree_new();
	struct dev d[] = {
	    {"sda", 100, 800, 300, 50, 400, 100, 2, 1000},
	    {"sda1", 90, 700, 250, 40, 300, 90, 1, 900},
	    {"loop0", 0, 0, 0, 0, 0, 0, 0, 0},
	    {"loop1", 5, 40, 1, 0, 0, 0, 0, 3},
	    {"cciss/c0d0", 1, 8, 1, 1, 8, 1, 0, 2},
	    {"ram0", 0, 0, 0, 0, 0, 0, 0, 0},
	};
	struct vitals_collector *c, *all;
	const struct vitals_entity *e;

	(void)state;
	write_disks(root, d, 6);
	c = open_tree(root, 0);
	all = open_tree(root, 1);
	st_sample(c);
	st_sample(all);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 3);
	assert_non_null(st_find(c, VITALS_KIND_DISK, "sda"));
	assert_non_null(st_find(c, VITALS_KIND_DISK, "loop1"));
	assert_non_null(st_find(c, VITALS_KIND_DISK, "cciss/c0d0"));
	assert_null(st_find(c, VITALS_KIND_DISK, "sda1"));
	assert_null(st_find(c, VITALS_KIND_DISK, "loop0"));
	assert_int_equal(vitals_collector_count(all, VITALS_KIND_DISK), 6);
	assert_non_null(st_find(all, VITALS_KIND_DISK, "sda1"));
	assert_non_null(st_find(all, VITALS_KIND_DISK, "loop0"));

	e = st_get(c, VITALS_KIND_DISK, "sda");
	st_eq(e, VITALS_DISK_READ_BYTES, 800 * 512.0);
	st_eq(e, VITALS_DISK_WRITE_BYTES, 400 * 512.0);
	st_eq(e, VITALS_DISK_READ_OPS, 100);
	st_eq(e, VITALS_DISK_WRITE_OPS, 50);
	st_eq(e, VITALS_DISK_IN_FLIGHT, 2);
	for (int i = VITALS_DISK_READ_BYTES_RATE; i <= VITALS_DISK_WRITE_AWAIT; i++)
		st_missing(e, i);

	/* sda: 10 reads of 8 sectors in 50 ms, no write, 10 ms busy */
	d[0].reads += 10, d[0].rsect += 80, d[0].rms += 50, d[0].io_ms += 10, d[0].inflight = 0;
	write_disks(root, d, 6);
	st_pause();
	st_sample(c);
	e = st_get(c, VITALS_KIND_DISK, "sda");
	st_rate(c, e, VITALS_DISK_READ_BYTES_RATE, 80 * 512.0);
	st_rate(c, e, VITALS_DISK_WRITE_BYTES_RATE, 0);
	st_rate(c, e, VITALS_DISK_READ_OPS_RATE, 10);
	st_rate(c, e, VITALS_DISK_WRITE_OPS_RATE, 0);
	st_rate(c, e, VITALS_DISK_BUSY, 10 / 1000.0 * 100);
	st_eq(e, VITALS_DISK_READ_AWAIT, 5);
	st_missing(e, VITALS_DISK_WRITE_AWAIT); /* nothing written */
	st_eq(e, VITALS_DISK_IN_FLIGHT, 0);

	/* loop0 starts doing I/O: now shown, with rates since it was tracked all along */
	d[2].writes = 4, d[2].wsect = 32, d[2].wms = 8;
	d[0].rsect -= 8; /* and sda's sector counter goes backwards */
	write_disks(root, d, 6);
	st_pause();
	st_sample(c);
	e = st_get(c, VITALS_KIND_DISK, "loop0");
	st_rate(c, e, VITALS_DISK_WRITE_BYTES_RATE, 32 * 512.0);
	st_eq(e, VITALS_DISK_WRITE_AWAIT, 2);
	e = st_get(c, VITALS_KIND_DISK, "sda");
	st_missing(e, VITALS_DISK_READ_BYTES_RATE);
	st_rate(c, e, VITALS_DISK_READ_OPS_RATE, 0);
	vitals_collector_free(c);
	vitals_collector_free(all);
	tu_rmrf(root);
	free(root);
}

static void test_hotplug(void **state)
{
	char *root = tree_new();
	struct dev d[] = {
	    {"sda", 100, 800, 300, 50, 400, 100, 0, 1000},
	    {"sdb", 1, 8, 1, 1, 8, 1, 0, 2},
	};
	struct vitals_collector *c;

	(void)state;
	write_disks(root, d, 1);
	c = open_tree(root, 0);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 1);
	d[0].reads += 1;
	write_disks(root, d, 2); /* sdb plugged in */
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 2);
	st_missing(st_get(c, VITALS_KIND_DISK, "sdb"), VITALS_DISK_READ_OPS_RATE);
	st_rate(c, st_get(c, VITALS_KIND_DISK, "sda"), VITALS_DISK_READ_OPS_RATE, 1);
	write_disks(root, d + 1, 1); /* sda unplugged */
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 1);
	assert_null(st_find(c, VITALS_KIND_DISK, "sda"));
	st_rate(c, st_get(c, VITALS_KIND_DISK, "sdb"), VITALS_DISK_READ_OPS_RATE, 0);
	d[0].reads = 3; /* sda back, counting from scratch */
	write_disks(root, d, 2);
	st_pause();
	st_sample(c);
	st_missing(st_get(c, VITALS_KIND_DISK, "sda"), VITALS_DISK_READ_OPS_RATE);
	st_eq(st_get(c, VITALS_KIND_DISK, "sda"), VITALS_DISK_READ_OPS, 3);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_garbage(void **state)
{
	static const char *const junk[] = {
	    "",
	    "garbage\n",
	    "8 0 sda\n",
	    "8 0 sda 1 2 3 4 5 6 7 8 9 10\n",
	    "8 0 sda 1 2 3 4 5 6 7 8 9 x 11\n",
	    "8 0 " /* a name longer than any device name */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1 2 3 4 5 6 "
	    "7 8 9 10 11\n",
	    "99999999999 0 sda 1 2 3 4 5 6 7 8 9 10 11\n",
	};
	char *root = tree_new();
	struct vitals_collector *c;

	(void)state;
	tu_write(root, "proc/diskstats", "");
	c = open_tree(root, 1);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		tu_write(root, "proc/diskstats", junk[i]);
		st_sample(c);
		assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 0);
	}
	/* a good line among bad ones, twice the same name: reported once */
	tu_write(root, "proc/diskstats",
	         "junk\n8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n8 0");
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_DISK), 1);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_filter_and_rates),
	    cmocka_unit_test(test_hotplug),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
