/*
 * The filesystem source against hand-made mountinfo and filesystems files
 * whose mount points are real directories here: escaped names, bind mounts,
 * over-mounts, pseudo, network and FUSE filesystems, statvfs failures, a
 * mount table that changes, garbage.
 */
#include "systest.h"

#include <stdlib.h>
#include <sys/statvfs.h>

#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_FS)

static const char filesystems[] = "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text4\n"
                                  "nodev\tnfs\n\tfuseblk\nnodev\tfuse\n\txfs\n";

static void test_parse(void **state)
{
	struct mountinfo_line l;
	char buf[16];
	const char *p = "27 1 254:0 / / rw,relatime shared:1 master:2 - ext4 /dev/vda rw\n"
	                "28 27 0:25 / /mnt/a\\040b\\134c ro - tmpfs my\\040src ro\n"
	                "29 27 0:26 / /x rw - \n"
	                "30 27 0:27 / relative rw - tmpfs t rw\n"
	                "31 27 0:28 / /y rw - tmpfs\n";

	(void)state;
	assert_int_equal(mountinfo_next(&p, &l), 1);
	assert_int_equal(l.major, 254);
	assert_int_equal(l.minor, 0);
	assert_string_equal(l.mount_point, "/");
	assert_string_equal(l.fstype, "ext4");
	assert_string_equal(l.source, "/dev/vda");
	assert_int_equal(mountinfo_next(&p, &l), 1);
	assert_string_equal(l.mount_point, "/mnt/a b\\c");
	assert_string_equal(l.source, "my src");
	assert_int_equal(mountinfo_next(&p, &l), 0); /* no fstype */
	assert_int_equal(mountinfo_next(&p, &l), 0); /* not an absolute path */
	assert_int_equal(mountinfo_next(&p, &l), 1);
	assert_string_equal(l.source, "none");
	assert_int_equal(mountinfo_next(&p, &l), -1);

	assert_int_equal(mount_unescape(buf, sizeof(buf), "a\\040b", 6), 3);
	assert_string_equal(buf, "a b");
	assert_int_equal(mount_unescape(buf, sizeof(buf), "\\000\\9\\04", 9), 9); /* left as is */
	assert_string_equal(buf, "\\000\\9\\04");
	assert_int_equal(mount_unescape(buf, 4, "abcd", 4), -1);

	assert_int_equal(filesystems_nodev(filesystems, "ext4"), 0);
	assert_int_equal(filesystems_nodev(filesystems, "tmpfs"), 1);
	assert_int_equal(filesystems_nodev(filesystems, "fuse.sshfs"), 1);
	assert_int_equal(filesystems_nodev(filesystems, "fuseblk"), 0);
	assert_int_equal(filesystems_nodev(filesystems, "ext"), -1);
	assert_int_equal(filesystems_nodev(filesystems, "zfs"), -1);
	assert_int_equal(filesystems_nodev(filesystems, ""), -1);
}

struct tree {
	char *root;
	char proc[4096];
};

static void tree_new(struct tree *t)
{
	static const char *const dirs[] = {"with space", "bind", "tmp",      "nfs",
	                                   "ntfs",       "over", "unknown0", "unknown8"};

	t->root = tu_tmpdir();
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	tu_write(t->root, "proc/filesystems", filesystems);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		tu_mkdir(t->root, dirs[i]);
}

/* Write mountinfo: every "%R" in LINES is replaced by the tree's root. */
static void write_mountinfo(const struct tree *t, const char *lines)
{
	char text[16384];
	size_t o = 0;

	for (const char *p = lines; *p && o < sizeof(text) - 4096; p++) {
		if (p[0] == '%' && p[1] == 'R') {
			o += (size_t)snprintf(text + o, sizeof(text) - o, "%s", t->root);
			p++;
		} else {
			text[o++] = *p;
		}
	}
	text[o] = '\0';
	tu_write(t->root, "proc/self/mountinfo", text);
}

static const char mounts[] =
    "1 0 8:1 /sub %R/bind rw - ext4 /dev/sda1 rw\n"            /* bind of / below: hidden */
    "2 0 8:1 / / rw shared:1 - ext4 /dev/sda1 rw\n"            /* the root */
    "3 2 8:2 / %R/with\\040space rw - ext4 /dev/sd\\040b rw\n" /* escaped */
    "4 2 0:40 / %R/tmp rw - tmpfs tmpfs rw\n"                  /* pseudo */
    "5 2 0:50 / %R/nfs rw - nfs server:/export rw\n"           /* network */
    "6 2 8:3 / %R/ntfs rw - fuseblk /dev/sdc1 rw\n"            /* FUSE */
    "7 2 8:4 / %R/gone rw - xfs /dev/sdd1 rw\n"                /* no such directory */
    "8 2 8:6 / %R/over rw - ext4 /dev/sde1 rw\n"               /* mounted over by a tmpfs */
    "9 8 0:41 / %R/over rw - tmpfs tmpfs rw\n"
    "10 2 0:42 / %R/unknown0 rw - weirdfs w rw\n" /* unknown, anonymous device */
    "11 2 8:7 / %R/unknown8 rw - blockfs /dev/sdf rw\n"
    "garbage line\n";

static void test_filtering(void **state)
{
	struct tree t;
	struct vitals_collector *c;
	const struct vitals_entity *e;
	struct statvfs sv;
	char path[4096];
	const char *why;

	(void)state;
	tree_new(&t);
	write_mountinfo(&t, mounts);
	c = st_open(t.proc, NULL, SRC, 0);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_FS, &why), VITALS_OK);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 5);

	e = st_get(c, VITALS_KIND_FS, "/");
	assert_string_equal(vitals_entity_name(e), "/dev/sda1");
	assert_string_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "ext4");
	assert_int_equal(statvfs("/", &sv), 0);
	st_eq(e, VITALS_FS_TOTAL, (double)sv.f_blocks * (double)sv.f_frsize);
	assert_true(st_val(e, VITALS_FS_USED) <= st_val(e, VITALS_FS_TOTAL));
	st_eq(e, VITALS_FS_USED_PERCENT,
	      st_val(e, VITALS_FS_USED) * 100 /
	          (st_val(e, VITALS_FS_USED) + st_val(e, VITALS_FS_AVAILABLE)));
	if (sv.f_files > 0)
		st_eq(e, VITALS_FS_INODES_TOTAL, (double)sv.f_files);

	snprintf(path, sizeof(path), "%s/with space", t.root);
	e = st_get(c, VITALS_KIND_FS, path);
	assert_string_equal(vitals_entity_name(e), "/dev/sd b");
	assert_true(st_val(e, VITALS_FS_TOTAL) > 0);

	snprintf(path, sizeof(path), "%s/ntfs", t.root); /* FUSE: never asked */
	e = st_get(c, VITALS_KIND_FS, path);
	for (int i = 0; i < VITALS_FS_METRIC_COUNT; i++)
		st_missing(e, i);
	assert_string_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "fuseblk");

	snprintf(path, sizeof(path), "%s/gone", t.root); /* statvfs fails */
	e = st_get(c, VITALS_KIND_FS, path);
	for (int i = 0; i < VITALS_FS_METRIC_COUNT; i++)
		st_missing(e, i);

	snprintf(path, sizeof(path), "%s/unknown8", t.root);
	assert_non_null(st_find(c, VITALS_KIND_FS, path));
	snprintf(path, sizeof(path), "%s/bind", t.root);
	assert_null(st_find(c, VITALS_KIND_FS, path));
	snprintf(path, sizeof(path), "%s/over", t.root);
	assert_null(st_find(c, VITALS_KIND_FS, path)); /* a tmpfs is visible there */
	snprintf(path, sizeof(path), "%s/tmp", t.root);
	assert_null(st_find(c, VITALS_KIND_FS, path));
	vitals_collector_free(c);

	/* everything: pseudo and network filesystems too, still deduplicated */
	c = st_open(t.proc, NULL, SRC, 1);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 9);
	snprintf(path, sizeof(path), "%s/tmp", t.root);
	e = st_get(c, VITALS_KIND_FS, path);
	assert_string_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "tmpfs");
	snprintf(path, sizeof(path), "%s/nfs", t.root);
	e = st_get(c, VITALS_KIND_FS, path);
	assert_string_equal(vitals_entity_name(e), "server:/export");
	st_missing(e, VITALS_FS_TOTAL); /* never statvfs'd, though the directory exists */
	snprintf(path, sizeof(path), "%s/over", t.root);
	e = st_get(c, VITALS_KIND_FS, path);
	assert_string_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "tmpfs");
	snprintf(path, sizeof(path), "%s/bind", t.root);
	assert_null(st_find(c, VITALS_KIND_FS, path));
	vitals_collector_free(c);
	tu_rmrf(t.root);
	free(t.root);
}

static void test_changes(void **state)
{
	struct tree t;
	struct vitals_collector *c;
	char path[4096];

	(void)state;
	tree_new(&t);
	write_mountinfo(&t, "2 0 8:1 / / rw - ext4 /dev/sda1 rw\n");
	c = st_open(t.proc, NULL, SRC, 0);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 1);
	st_sample(c); /* unchanged */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 1);
	write_mountinfo(&t, "2 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
	                    "3 2 8:2 / %R/with\\040space rw - ext4 /dev/sdb1 rw\n");
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 2);
	snprintf(path, sizeof(path), "%s/with space", t.root);
	assert_non_null(st_find(c, VITALS_KIND_FS, path));
	write_mountinfo(&t, "3 2 8:2 / %R/with\\040space rw - ext4 /dev/sdb1 rw\n");
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 1);
	assert_null(st_find(c, VITALS_KIND_FS, "/"));
	tu_write(t.root, "proc/self/mountinfo", "\x01\x02 garbage\n- - -\n1 2 3:4\n");
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_FS), 0);
	vitals_collector_free(c);
	tu_rmrf(t.root);
	free(t.root);
}

static void test_real_machine(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	c = st_open("/proc", "/sys", SRC, 0);
	st_sample(c);
	st_sample(c); /* the mount table did not change: the same list */
	e = st_find(c, VITALS_KIND_FS, "/");
	if (e) /* "/" is a real filesystem on most machines */
		assert_true(st_val(e, VITALS_FS_TOTAL) > 0);
	for (size_t i = 0; i < vitals_collector_count(c, VITALS_KIND_FS); i++) {
		e = vitals_collector_entity(c, VITALS_KIND_FS, i);
		assert_non_null(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE));
		assert_string_not_equal(vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), "proc");
	}
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_filtering),
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_real_machine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
