/*
 * The cgroup source: a captured-style pure v2 tree (tests/fixtures/cgroup-v2)
 * with services, Docker, Podman and Kubernetes groups; scratch v1 and hybrid
 * trees; rates, processes mapped to their groups, groups that go away; the
 * parsers of cgroup files, of cgroup paths and of the Docker container list.
 */
#include "testutil.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "collect/cgparse.h"
#include "collect/internal.h"

#define DOCKER_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PODMAN_ID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define KUBE_ID   "aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeee0000"

static struct vitals_collector *collector_at(const char *root, int with_processes)
{
	struct vitals_collector_options o;
	struct vitals_collector *c = NULL;
	char err[256] = "";

	vitals_collector_options_init(&o);
	o.sources = VITALS_SOURCE(VITALS_KIND_CGROUP);
	if (with_processes)
		o.sources |= VITALS_SOURCE(VITALS_KIND_PROCESS);
	o.cgroup_root = root;
	o.docker_socket = ""; /* never ask a daemon here */
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	return c;
}

static const struct vitals_entity *group(const struct vitals_collector *c, const char *path)
{
	for (size_t i = 0; i < vitals_collector_count(c, VITALS_KIND_CGROUP); i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_CGROUP, i);

		if (strcmp(vitals_entity_id(e), path) == 0)
			return e;
	}
	return NULL;
}

static double value(const struct vitals_entity *e, int i)
{
	double v = NAN;

	if (!e || vitals_entity_value(e, (size_t)i, &v) != VITALS_OK)
		return NAN;
	return v;
}

static const char *attr(const struct vitals_entity *e, int i)
{
	return vitals_entity_attr(e, (size_t)i);
}

static void test_v2_fixture(void **state)
{
	struct vitals_collector *c;
	const struct vitals_entity *ssh, *docker, *podman, *kube, *session, *init;
	const char *reason;

	(void)state;
	c = collector_at(tu_fixture("cgroup-v2"), 1);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_CGROUP, &reason), VITALS_OK);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	/* the seven groups holding processes; empty ones and parents are not reported */
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CGROUP), 7);
	assert_null(group(c, "/system.slice/empty.service"));
	assert_null(group(c, "/system.slice"));
	assert_non_null(group(c, "/"));

	ssh = group(c, "/system.slice/ssh.service");
	assert_non_null(ssh);
	assert_string_equal(vitals_entity_name(ssh), "ssh.service");
	assert_string_equal(attr(ssh, VITALS_CG_ATTR_RUNTIME), "systemd");
	assert_string_equal(attr(ssh, VITALS_CG_ATTR_CONTAINER), "ssh.service");
	assert_null(attr(ssh, VITALS_CG_ATTR_CONTAINER_ID));
	assert_string_equal(attr(ssh, VITALS_CG_ATTR_HIERARCHY), "v2");
	assert_true(value(ssh, VITALS_CG_PROCESSES) == 1);
	assert_true(value(ssh, VITALS_CG_CPU_USAGE) == 2.0);
	assert_true(value(ssh, VITALS_CG_CPU_USER) == 1.5);
	assert_true(value(ssh, VITALS_CG_CPU_SYSTEM) == 0.5);
	assert_true(value(ssh, VITALS_CG_CPU_PERCENT) == 0); /* nothing ran between the samples */
	assert_true(value(ssh, VITALS_CG_THROTTLED_PERIODS) == 7);
	assert_true(value(ssh, VITALS_CG_THROTTLED_SECONDS) == 0.25);
	assert_true(value(ssh, VITALS_CG_MEM_CURRENT) == 8388608);
	assert_true(isnan(value(ssh, VITALS_CG_MEM_LIMIT))); /* "max": unlimited */
	assert_true(value(ssh, VITALS_CG_MEM_PEAK) == 16777216);
	assert_true(value(ssh, VITALS_CG_MEM_ANON) == 4194304);
	assert_true(value(ssh, VITALS_CG_MEM_FILE) == 2097152);
	assert_true(value(ssh, VITALS_CG_READ_BYTES) == 1048576 + 100);
	assert_true(value(ssh, VITALS_CG_WRITE_BYTES) == 200);
	/* I/O is read at listings of the directories: no rate before the second */
	assert_true(isnan(value(ssh, VITALS_CG_READ_BYTES_RATE)));
	assert_true(value(ssh, VITALS_CG_PIDS_CURRENT) == 1);
	assert_true(isnan(value(ssh, VITALS_CG_PIDS_MAX)));
	assert_true(value(ssh, VITALS_CG_CPU_SOME_AVG10) == 1.5);
	assert_true(value(ssh, VITALS_CG_MEM_SOME_AVG10) == 2.25);
	assert_true(value(ssh, VITALS_CG_MEM_FULL_AVG10) == 1.25);
	assert_true(value(ssh, VITALS_CG_IO_SOME_AVG10) == 0.75);
	assert_true(value(ssh, VITALS_CG_IO_FULL_AVG10) == 0.5);

	docker = group(c, "/system.slice/docker-" DOCKER_ID ".scope");
	assert_non_null(docker);
	assert_string_equal(attr(docker, VITALS_CG_ATTR_RUNTIME), "docker");
	assert_string_equal(attr(docker, VITALS_CG_ATTR_CONTAINER_ID), DOCKER_ID);
	/* no daemon asked: the short id names it */
	assert_string_equal(attr(docker, VITALS_CG_ATTR_CONTAINER), "0123456789ab");
	assert_string_equal(vitals_entity_name(docker), "0123456789ab");
	assert_null(attr(docker, VITALS_CG_ATTR_IMAGE));
	assert_true(value(docker, VITALS_CG_PROCESSES) == 2);
	assert_true(value(docker, VITALS_CG_MEM_LIMIT) == 536870912);
	assert_true(value(docker, VITALS_CG_PIDS_MAX) == 4096);
	assert_true(value(docker, VITALS_CG_MEM_ANON) == 200000000);

	podman = group(c, "/machine.slice/libpod-" PODMAN_ID ".scope");
	assert_non_null(podman);
	assert_string_equal(attr(podman, VITALS_CG_ATTR_RUNTIME), "podman");
	assert_true(isnan(value(podman, VITALS_CG_MEM_PEAK))); /* no memory.peak: before 5.19 */

	kube = group(c, "/kubepods.slice/kubepods-burstable.slice/"
	                "kubepods-burstable-pod1234abcd_5678_90ef_1234_567890abcdef.slice/"
	                "cri-containerd-" KUBE_ID ".scope");
	assert_non_null(kube);
	assert_string_equal(attr(kube, VITALS_CG_ATTR_RUNTIME), "kubernetes");
	assert_string_equal(attr(kube, VITALS_CG_ATTR_CONTAINER),
	                    "pod 1234abcd-5678-90ef-1234-567890abcdef/aaaaaaaaaaaa");

	session = group(c, "/user.slice/user-1000.slice/session-3.scope");
	assert_non_null(session);
	assert_true(value(session, VITALS_CG_PROCESSES) == 3);
	assert_true(value(session, VITALS_CG_WRITE_BYTES) == 8192 + 200);

	/* init.scope has only memory.current: the rest is missing, not 0 */
	init = group(c, "/init.scope");
	assert_non_null(init);
	assert_true(value(init, VITALS_CG_MEM_CURRENT) == 12000000);
	assert_true(isnan(value(init, VITALS_CG_CPU_USAGE)));
	assert_true(isnan(value(init, VITALS_CG_READ_BYTES)));
	assert_true(isnan(value(init, VITALS_CG_CPU_SOME_AVG10)));

	/* pid 1 (which exists everywhere) is listed in init.scope */
	if (vitals_collector_process(c, 1)) {
		const struct vitals_entity *p1 = vitals_collector_process(c, 1);

		assert_string_equal(attr(p1, VITALS_PROC_ATTR_CGROUP), "/init.scope");
		assert_string_equal(attr(p1, VITALS_PROC_ATTR_CONTAINER), "init.scope");
	}
	vitals_collector_free(c);
}

/* A scratch v2 tree whose counters move between samples, holding this process. */
static void test_rates_mapping_and_removal(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *g, *me;
	double dt;

	(void)state;
	tu_write(root, "cgroup.controllers", "cpu io memory pids\n");
	tu_write(root, "cgroup.procs", "");
	tu_writef(root, "app/cgroup.procs", "%d\n", (int)getpid());
	tu_write(root, "app/cpu.stat", "usage_usec 1000000\nuser_usec 1000000\nsystem_usec 0\n");
	tu_write(root, "app/io.stat", "8:0 rbytes=0 wbytes=0\n");
	tu_write(root, "app/memory.max", "max\n");
	tu_write(root, "app/memory.stat", "anon 0\nfile 0\n");
	c = collector_at(root, 1);
	g = group(c, "/app");
	assert_non_null(g);
	assert_true(isnan(value(g, VITALS_CG_CPU_PERCENT))); /* the first sample has no rate */
	me = vitals_collector_process(c, getpid());
	assert_non_null(me);
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CGROUP), "/app");
	assert_null(attr(me, VITALS_PROC_ATTR_CONTAINER));

	tu_write(root, "app/cpu.stat", "usage_usec 1500000\nuser_usec 1500000\nsystem_usec 0\n");
	tu_write(root, "app/io.stat", "8:0 rbytes=1000 wbytes=3000\n8:16 rbytes=24 wbytes=0\n");
	tu_write(root, "app/memory.stat", "anon 4096\nfile 0\n");
	usleep(20000);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	dt = vitals_collector_interval(c);
	g = group(c, "/app");
	assert_true(fabs(value(g, VITALS_CG_CPU_PERCENT) - 0.5 / dt * 100) < 1e-6);
	/*
	 * I/O and the memory breakdown are read at the next listing (within 10
	 * samples): until then the last listing's values (none here), then the
	 * rates over the time between the two listings.
	 */
	assert_true(value(g, VITALS_CG_READ_BYTES) == 0);
	assert_true(isnan(value(g, VITALS_CG_READ_BYTES_RATE)));
	assert_true(value(g, VITALS_CG_MEM_ANON) == 0);
	{
		double between = dt;
		int n = 0;

		while (value(group(c, "/app"), VITALS_CG_READ_BYTES) == 0 && n++ < 10) {
			usleep(20000);
			assert_int_equal(vitals_collector_sample(c), VITALS_OK);
			between += vitals_collector_interval(c);
			assert_true(value(group(c, "/app"), VITALS_CG_CPU_USAGE) == 1.5);
		}
		g = group(c, "/app");
		assert_true(value(g, VITALS_CG_READ_BYTES) == 1024);
		assert_true(fabs(value(g, VITALS_CG_READ_BYTES_RATE) * between / 1024 - 1) < 1e-9);
		assert_true(fabs(value(g, VITALS_CG_WRITE_BYTES_RATE) * between / 3000 - 1) < 1e-9);
		assert_true(value(g, VITALS_CG_MEM_ANON) == 4096);
		/* and repeated in the samples after, until the next listing */
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
		g = group(c, "/app");
		assert_true(value(g, VITALS_CG_READ_BYTES) == 1024);
		assert_true(fabs(value(g, VITALS_CG_READ_BYTES_RATE) * between / 1024 - 1) < 1e-9);
		assert_true(value(g, VITALS_CG_MEM_ANON) == 4096);
	}

	/* a new limit is read at the next walk of the directories, within 10 samples */
	tu_write(root, "app/memory.max", "1048576\n");
	for (int i = 0; i < 11 && isnan(value(group(c, "/app"), VITALS_CG_MEM_LIMIT)); i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_true(value(group(c, "/app"), VITALS_CG_MEM_LIMIT) == 1048576);
	tu_write(root, "app/memory.max", "max\n");
	for (int i = 0; i < 11 && !isnan(value(group(c, "/app"), VITALS_CG_MEM_LIMIT)); i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_true(isnan(value(group(c, "/app"), VITALS_CG_MEM_LIMIT)));

	/* a counter that goes backwards (a new group at the same path) has no rate */
	tu_write(root, "app/cpu.stat", "usage_usec 10\n");
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	g = group(c, "/app");
	assert_true(value(g, VITALS_CG_CPU_USAGE) == 10e-6);
	assert_true(isnan(value(g, VITALS_CG_CPU_PERCENT)));

	/* the group is removed: gone from the sample, the process has no group */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/app", root);
		tu_rmrf(path);
	}
	/*
	 * On a cgroup file system a removed group's open files stop reading at
	 * once; in a plain directory tree, as here, it goes at the next walk of
	 * the directories, within 10 samples.
	 */
	for (int i = 0; i < 11 && vitals_collector_count(c, VITALS_KIND_CGROUP) > 0; i++)
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_CGROUP), 0);
	me = vitals_collector_process(c, getpid());
	assert_null(attr(me, VITALS_PROC_ATTR_CGROUP));
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/* v1 controllers beside a unified mount (the hybrid layout), a Docker group in v1. */
static void test_v1_hybrid(void **state)
{
	char *root = tu_tmpdir(), link[4096];
	struct vitals_collector *c;
	const struct vitals_entity *g, *me;
	double hz = (double)sysconf(_SC_CLK_TCK);
	const char *d = "docker/" DOCKER_ID;
	char rel[512];

	(void)state;
	tu_write(root, "unified/cgroup.controllers", "");
	tu_writef(root, "unified/cgroup.procs", "%d\n", (int)getpid());
	tu_write(root, "memory/cgroup.procs", "");
	snprintf(rel, sizeof(rel), "memory/%s/cgroup.procs", d);
	tu_writef(root, rel, "%d\n", (int)getpid());
	snprintf(rel, sizeof(rel), "memory/%s/memory.usage_in_bytes", d);
	tu_write(root, rel, "52428800\n");
	snprintf(rel, sizeof(rel), "memory/%s/memory.limit_in_bytes", d);
	tu_write(root, rel, "9223372036854771712\n");
	snprintf(rel, sizeof(rel), "memory/%s/memory.max_usage_in_bytes", d);
	tu_write(root, rel, "62914560\n");
	snprintf(rel, sizeof(rel), "memory/%s/memory.stat", d);
	tu_write(root, rel, "cache 1\nrss 2\ntotal_cache 20971520\ntotal_rss 31457280\n");
	tu_write(root, "cpu,cpuacct/cgroup.procs", "");
	snprintf(rel, sizeof(rel), "cpu,cpuacct/%s/cgroup.procs", d);
	tu_writef(root, rel, "%d\n", (int)getpid());
	snprintf(rel, sizeof(rel), "cpu,cpuacct/%s/cpuacct.usage", d);
	tu_write(root, rel, "3000000000\n");
	snprintf(rel, sizeof(rel), "cpu,cpuacct/%s/cpuacct.stat", d);
	tu_writef(root, rel, "user %d\nsystem %d\n", (int)(2 * hz), (int)hz);
	snprintf(rel, sizeof(rel), "cpu,cpuacct/%s/cpu.stat", d);
	tu_write(root, rel, "nr_periods 10\nnr_throttled 3\nthrottled_time 1500000000\n");
	snprintf(link, sizeof(link), "%s/cpu", root);
	assert_int_equal(symlink("cpu,cpuacct", link), 0);
	tu_write(root, "blkio/cgroup.procs", "");
	snprintf(rel, sizeof(rel), "blkio/%s/cgroup.procs", d);
	tu_writef(root, rel, "%d\n", (int)getpid());
	snprintf(rel, sizeof(rel), "blkio/%s/blkio.throttle.io_service_bytes_recursive", d);
	tu_write(root, rel,
	         "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n"
	         "8:16 Read 1\n8:16 Write 2\nTotal 12291\n");
	tu_write(root, "pids/cgroup.procs", "");
	snprintf(rel, sizeof(rel), "pids/%s/cgroup.procs", d);
	tu_writef(root, rel, "%d\n", (int)getpid());
	snprintf(rel, sizeof(rel), "pids/%s/pids.current", d);
	tu_write(root, rel, "5\n");
	snprintf(rel, sizeof(rel), "pids/%s/pids.max", d);
	tu_write(root, rel, "max\n");
	tu_write(root, "freezer/cgroup.procs", ""); /* a controller we do not read */

	c = collector_at(root, 1);
	g = group(c, "/"
	             "docker/" DOCKER_ID);
	assert_non_null(g);
	assert_string_equal(attr(g, VITALS_CG_ATTR_RUNTIME), "docker");
	assert_string_equal(attr(g, VITALS_CG_ATTR_HIERARCHY), "v1");
	assert_true(value(g, VITALS_CG_MEM_CURRENT) == 52428800);
	assert_true(isnan(value(g, VITALS_CG_MEM_LIMIT))); /* v1's "no limit" */
	assert_true(value(g, VITALS_CG_MEM_PEAK) == 62914560);
	assert_true(value(g, VITALS_CG_MEM_ANON) == 31457280);
	assert_true(value(g, VITALS_CG_MEM_FILE) == 20971520);
	assert_true(value(g, VITALS_CG_CPU_USAGE) == 3.0);
	assert_true(value(g, VITALS_CG_CPU_USER) == 2.0);
	assert_true(value(g, VITALS_CG_CPU_SYSTEM) == 1.0);
	assert_true(value(g, VITALS_CG_THROTTLED_PERIODS) == 3);
	assert_true(value(g, VITALS_CG_THROTTLED_SECONDS) == 1.5);
	assert_true(value(g, VITALS_CG_READ_BYTES) == 4097);
	assert_true(value(g, VITALS_CG_WRITE_BYTES) == 8194);
	assert_true(value(g, VITALS_CG_PIDS_CURRENT) == 5);
	assert_true(isnan(value(g, VITALS_CG_PIDS_MAX)));
	assert_true(isnan(value(g, VITALS_CG_MEM_SOME_AVG10))); /* no pressure in v1 */
	/* the unified root holds the process too; its v1 group is deeper and wins */
	assert_non_null(group(c, "/"));
	me = vitals_collector_process(c, getpid());
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CGROUP), "/docker/" DOCKER_ID);
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CONTAINER), "0123456789ab");
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/*
 * With few descriptors to hold (a low limit), directories are opened by
 * path between walks: every group is there in every sample all the same.
 */
static void test_over_descriptor_budget(void **state)
{
	char *root = tu_tmpdir(), rel[64];
	struct vitals_collector *c;
	struct rlimit old, low;

	(void)state;
	tu_write(root, "cgroup.controllers", "memory\n");
	tu_write(root, "cgroup.procs", "");
	for (int i = 0; i < 20; i++) {
		snprintf(rel, sizeof(rel), "g%02d/cgroup.procs", i);
		tu_writef(root, rel, "%d\n", 1000 + i);
		snprintf(rel, sizeof(rel), "g%02d/memory.current", i);
		tu_writef(root, rel, "%d\n", 4096 * (i + 1));
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 64; /* a budget of 8 descriptors for the groups */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	c = collector_at(root, 0);
	for (int n = 0; n < 12; n++) {
		assert_int_equal(vitals_collector_count(c, VITALS_KIND_CGROUP), 20);
		assert_true(value(group(c, "/g19"), VITALS_CG_MEM_CURRENT) == 4096 * 20);
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	}
	vitals_collector_free(c);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	tu_rmrf(root);
	free(root);
}

static void test_absent(void **state)
{
	struct vitals_collector_options o;
	struct vitals_collector *c = NULL;
	char *root = tu_tmpdir(), err[256], missing[4096];
	const char *reason;

	(void)state;
	vitals_collector_options_init(&o);
	o.sources = VITALS_SOURCE(VITALS_KIND_CGROUP) | VITALS_SOURCE(VITALS_KIND_SYSTEM);
	snprintf(missing, sizeof(missing), "%s/nowhere", root);
	o.cgroup_root = missing;
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_CGROUP, &reason),
	                 VITALS_E_UNSUPPORTED);
	assert_non_null(strstr(reason, "no cgroup file system at"));
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_SYSTEM), 1);
	vitals_collector_free(c);

	o.cgroup_root = root; /* a directory, but no hierarchy in it */
	tu_mkdir(root, "empty");
	assert_int_equal(vitals_collector_new(&c, &o, err, sizeof(err)), VITALS_OK);
	assert_int_equal(vitals_collector_source_status(c, VITALS_KIND_CGROUP, &reason),
	                 VITALS_E_UNSUPPORTED);
	assert_non_null(strstr(reason, "no cgroup hierarchy under"));
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/* ---- parsers ---------------------------------------------------------------- */

static void test_file_parsers(void **state)
{
	uint64_t v, r, w;
	const char *p;
	int32_t pid;
	int n = 0, bad = 0, k;

	(void)state;
	assert_int_equal(cg_value_parse("max\n", &v), 1);
	assert_int_equal(cg_value_parse("123\n", &v), 0);
	assert_true(v == 123);
	assert_int_equal(cg_value_parse("12x\n", &v), -1);
	assert_int_equal(cg_value_parse("", &v), -1);
	assert_int_equal(cg_kv_get("usage_usec 5\nuser_usec 7\n", "user_usec", &v), 0);
	assert_true(v == 7);
	/* a key that is a prefix of another is not confused with it */
	assert_int_equal(cg_kv_get("anon_thp 9\nanon 4\n", "anon", &v), 0);
	assert_true(v == 4);
	assert_int_equal(cg_kv_get("anon_thp 9\n", "anon", &v), -1);
	assert_int_equal(cg_iostat_parse("8:0 rbytes=1 wbytes=2 rios=3\n8:1 rbytes=10\n", &r, &w),
	                 0);
	assert_true(r == 11 && w == 2);
	assert_int_equal(cg_iostat_parse("8:0 rbytes=x\n", &r, &w), -1);
	assert_int_equal(cg_iostat_parse("8:0 rbytes=18446744073709551615\n8:1 rbytes=1\n", &r, &w),
	                 -1);
	assert_int_equal(cg_blkio_parse("Total 0\n", &r, &w), -1);
	for (p = "12\n\nabc\n7\n-3\n99999999999\n8"; (k = cg_procs_next(&p, &pid)) != 0;) {
		if (k > 0)
			n++;
		else
			bad++;
	}
	assert_int_equal(n, 3);
	assert_int_equal(bad, 3);

	/* /proc/PID/cgroup: the line of one hierarchy, by its controllers */
	{
		const char *pc = "9:pids:/user.slice\n4:memory:/docker/abc\n2:cpu,cpuacct:/\n"
		                 "0::/system.slice/ssh.service\n";
		size_t len;

		assert_int_equal(cg_pid_path(pc, "memory", &p, &len), 0);
		assert_true(len == 11 && strncmp(p, "/docker/abc", len) == 0);
		assert_int_equal(cg_pid_path(pc, "", &p, &len), 0);
		assert_true(len == 25 && strncmp(p, "/system.slice/ssh.service", len) == 0);
		assert_int_equal(cg_pid_path(pc, "cpu,cpuacct", &p, &len), 0);
		assert_true(len == 1 && *p == '/');
		assert_int_equal(cg_pid_path(pc, "cpu", &p, &len), -1); /* not "cpu,cpuacct" */
		assert_int_equal(cg_pid_path(pc, "blkio", &p, &len), -1);
		assert_int_equal(cg_pid_path("garbage\n:memory\n3:memory:x\n", "memory", &p, &len),
		                 -1);
	}
}

/*
 * Processes are listed at each listing of the directories: a process
 * moved to another group is found there within a listing period (10
 * samples), and keeps its group of the last listing until then.
 */
static void test_moved_process(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *me;
	int n = 0;

	(void)state;
	tu_write(root, "cgroup.controllers", "memory\n");
	tu_write(root, "cgroup.procs", "");
	tu_writef(root, "a/cgroup.procs", "%d\n", (int)getpid());
	tu_write(root, "a/memory.current", "4096\n");
	tu_write(root, "b/cgroup.procs", "");
	tu_write(root, "b/memory.current", "8192\n");
	c = collector_at(root, 1);
	me = vitals_collector_process(c, getpid());
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CGROUP), "/a");
	assert_non_null(group(c, "/a"));
	assert_null(group(c, "/b"));

	tu_write(root, "a/cgroup.procs", "");
	tu_writef(root, "b/cgroup.procs", "%d\n", (int)getpid());
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	/* between listings: the group of the last one, and its groups */
	me = vitals_collector_process(c, getpid());
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CGROUP), "/a");
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_CURRENT) == 4096);
	while (strcmp(attr(me, VITALS_PROC_ATTR_CGROUP), "/b") != 0 && n++ < 10) {
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
		me = vitals_collector_process(c, getpid());
	}
	assert_string_equal(attr(me, VITALS_PROC_ATTR_CGROUP), "/b");
	assert_true(value(group(c, "/b"), VITALS_CG_MEM_CURRENT) == 8192);
	assert_true(value(group(c, "/b"), VITALS_CG_PROCESSES) == 1);
	assert_null(group(c, "/a"));
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/* Sample C until its cgroup source has made listing number N (one every 10 samples). */
static void sample_to_listing(struct vitals_collector *c, int *sampled, int n)
{
	while (*sampled < (n - 1) * 10 + 1) {
		assert_int_equal(vitals_collector_sample(c), VITALS_OK);
		++*sampled;
	}
}

/*
 * A group whose process sleeps, and whose memory stays the same, is
 * carried over at listings (its list and values are not read) until the
 * third since its last reading; a change of its memory has it read at the
 * next one; a sleeping process moved out of it is found in its new group
 * when the old one is read again. The tree is trusted as a cgroup file
 * system, so that its files can say what the kernel's would not.
 */
static void test_quiet_listing(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *child;
	int sampled = 1;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion leaves it behind */
		pause();
		_exit(0);
	}
	tu_write(root, "cgroup.controllers", "memory cpu\n");
	tu_write(root, "cgroup.procs", "");
	tu_writef(root, "a/cgroup.procs", "%d\n", (int)pid);
	tu_write(root, "a/cpu.stat", "usage_usec 10\n");
	tu_write(root, "a/memory.current", "4096\n");
	tu_write(root, "a/memory.max", "1000000\n");
	tu_write(root, "b/cgroup.procs", "");
	tu_write(root, "b/memory.current", "8192\n");
	cgroup_trust_fixture = 1;
	c = collector_at(root, 1); /* listing 1 */
	cgroup_trust_fixture = 0;
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_LIMIT) == 1000000);

	/* listings 2 and 3 carry it over; the third since its reading reads it */
	tu_write(root, "a/memory.max", "2000000\n");
	sample_to_listing(c, &sampled, 2);
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_LIMIT) == 1000000);
	assert_true(value(group(c, "/a"), VITALS_CG_PROCESSES) == 1);
	sample_to_listing(c, &sampled, 3);
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_LIMIT) == 1000000);
	sample_to_listing(c, &sampled, 4);
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_LIMIT) == 2000000);

	/* its memory changed: read at the next listing */
	tu_write(root, "a/memory.max", "3000000\n");
	tu_write(root, "a/memory.current", "5000\n");
	sample_to_listing(c, &sampled, 5);
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_CURRENT) == 5000);
	assert_true(value(group(c, "/a"), VITALS_CG_MEM_LIMIT) == 3000000);

	/* moved while asleep: in its old group until that one is read (listing 8) */
	tu_write(root, "a/cgroup.procs", "");
	tu_writef(root, "b/cgroup.procs", "%d\n", (int)pid);
	sample_to_listing(c, &sampled, 7);
	child = vitals_collector_process(c, pid);
	assert_string_equal(attr(child, VITALS_PROC_ATTR_CGROUP), "/a");
	sample_to_listing(c, &sampled, 8);
	child = vitals_collector_process(c, pid);
	assert_string_equal(attr(child, VITALS_PROC_ATTR_CGROUP), "/b");
	assert_true(value(group(c, "/b"), VITALS_CG_PROCESSES) == 1);
	assert_null(group(c, "/a"));

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/*
 * What the root of a v2 tree says spares reading the groups: no group has
 * the files of a controller the root does not offer, and no group stalls
 * where the root does not (its "some" at 0). The tree below contradicts
 * the root on purpose, so that what is not read shows.
 */
static void test_root_says(void **state)
{
	char *root = tu_tmpdir();
	struct vitals_collector *c;
	const struct vitals_entity *g;

	(void)state;
	tu_write(root, "cgroup.controllers", "cpu io\n");
	tu_writef(root, "cgroup.procs", "%d\n", (int)getpid());
	tu_write(root, "cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	tu_write(root, "io.pressure",
	         "some avg10=2.00 avg60=0.00 avg300=0.00 total=9\n"
	         "full avg10=1.00 avg60=0.00 avg300=0.00 total=9\n");
	tu_write(root, "app/cgroup.procs", "1\n");
	tu_write(root, "app/cpu.stat", "usage_usec 10\n");
	tu_write(root, "app/memory.current", "4096\n"); /* no memory controller at the root */
	tu_write(root, "app/cpu.pressure", "some avg10=5.00 avg60=0.00 avg300=0.00 total=1\n");
	tu_write(root, "app/io.pressure",
	         "some avg10=1.50 avg60=0.00 avg300=0.00 total=9\n"
	         "full avg10=0.50 avg60=0.00 avg300=0.00 total=9\n");
	c = collector_at(root, 0);
	g = group(c, "/app");
	assert_non_null(g);
	assert_true(value(g, VITALS_CG_CPU_USAGE) == 10e-6);
	assert_true(isnan(value(g, VITALS_CG_MEM_CURRENT)));
	assert_true(value(g, VITALS_CG_CPU_SOME_AVG10) == 0);
	assert_true(value(g, VITALS_CG_IO_SOME_AVG10) == 1.5);
	assert_true(value(g, VITALS_CG_IO_FULL_AVG10) == 0.5);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

/*
 * A process started between listings gets its group from its
 * /proc/PID/cgroup at once. The tree mirrors this process's own v2 path,
 * so that what the kernel says names a group of the tree.
 */
static void test_new_process(void **state)
{
	char *root = tu_tmpdir(), mine[512], rel[600], buf[4096];
	struct vitals_collector *c;
	const struct vitals_entity *child;
	const char *p;
	size_t len;
	pid_t pid;
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	(void)state;
	if (f)
		fclose(f);
	buf[n] = '\0';
	if (cg_pid_path(buf, "", &p, &len) < 0 || len >= sizeof(mine)) {
		tu_rmrf(root);
		free(root);
		skip(); /* no v2 hierarchy here */
	}
	memcpy(mine, p, len);
	mine[len] = '\0';
	tu_write(root, "cgroup.controllers", "memory\n");
	tu_write(root, "cgroup.procs", "");
	if (strcmp(mine, "/") != 0) {
		snprintf(rel, sizeof(rel), "%s/cgroup.procs", mine + 1);
		tu_writef(root, rel, "%d\n", (int)getpid());
	}
	c = collector_at(root, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
	child = vitals_collector_process(c, pid);
	assert_non_null(child);
	assert_non_null(attr(child, VITALS_PROC_ATTR_CGROUP));
	assert_string_equal(attr(child, VITALS_PROC_ATTR_CGROUP), mine);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void classify(const char *path, const char *runtime, const char *label)
{
	struct cg_container ct;

	cg_classify(path, &ct);
	if (!runtime)
		assert_null(ct.runtime);
	else
		assert_string_equal(ct.runtime, runtime);
	assert_string_equal(ct.label, label);
}

static void test_classify(void **state)
{
	(void)state;
	classify("/docker/" DOCKER_ID, "docker", "0123456789ab");
	classify("/system.slice/docker-" DOCKER_ID ".scope", "docker", "0123456789ab");
	classify("/machine.slice/libpod-" PODMAN_ID ".scope", "podman", "fedcba987654");
	classify("/libpod_parent/libpod-" PODMAN_ID, "podman", "fedcba987654");
	classify("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" PODMAN_ID
	         ".scope",
	         "podman", "fedcba987654");
	classify("/kubepods/burstable/pod0b1c2d3e-0000-1111-2222-333344445555/" KUBE_ID,
	         "kubernetes", "pod 0b1c2d3e-0000-1111-2222-333344445555/aaaaaaaaaaaa");
	classify("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice",
	         "kubernetes", "pod abc");
	classify("/system.slice/crio-" KUBE_ID ".scope", "cri-o", "aaaaaaaaaaaa");
	classify("/default/" DOCKER_ID, "containerd", "0123456789ab");
	classify("/system.slice/cron.service", "systemd", "cron.service");
	classify("/user.slice/user-1000.slice/session-2.scope", "systemd", "session-2.scope");
	classify("/user.slice", NULL, "");
	classify("/", NULL, "");
	classify("/docker/not-an-id", NULL, "");
	classify("/docker/0123", NULL, ""); /* too short for an id */
}

static void test_docker_list(void **state)
{
	static const char list[] =
	    "[{\"Id\":\"" DOCKER_ID "\",\"Names\":[\"/web\",\"/alias\"],\"Image\":\"nginx:1.25\","
	    "\"Labels\":{\"a\":\"b\",\"n\":[1,2,{\"x\":null}]},\"Ports\":[],\"State\":\"running\","
	    "\"Created\":1700000000,\"SizeRw\":-1.5e3,\"X\":true},"
	    " {\"Names\": [\"/db\\u0041\\\"q\"], \"Id\": \"" PODMAN_ID "\", \"Image\": \"pg\"},"
	    " {\"Image\":\"no id\"}]";
	struct docker_entry e[4];
	char deep[200];
	size_t body;
	int status;

	(void)state;
	assert_int_equal(docker_list_parse(list, strlen(list), e, 4), 2);
	assert_string_equal(e[0].id, DOCKER_ID);
	assert_string_equal(e[0].name, "web");
	assert_string_equal(e[0].image, "nginx:1.25");
	assert_string_equal(e[1].name, "dbA\"q");
	assert_string_equal(e[1].image, "pg");
	/* at most CAP entries */
	assert_int_equal(docker_list_parse(list, strlen(list), e, 1), 1);
	assert_int_equal(docker_list_parse("[]", 2, e, 4), 0);
	/* malformed: cut, not an array, bad escape, trailing comma, too deep */
	assert_int_equal(docker_list_parse(list, strlen(list) - 3, e, 4), -1);
	assert_int_equal(docker_list_parse("{\"Id\":\"x\"}", 10, e, 4), -1);
	assert_int_equal(docker_list_parse("[{\"Id\":\"\\q\"}]", 13, e, 4), -1);
	assert_int_equal(docker_list_parse("[{\"Id\":\"x\"},]", 13, e, 4), -1);
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "[{\"a\":", 6);
	assert_int_equal(docker_list_parse(deep, sizeof(deep), e, 4), -1);

	assert_int_equal(
	    http_response_split("HTTP/1.0 200 OK\r\nA: b\r\n\r\n[]", 27, &status, &body), 0);
	assert_int_equal(status, 200);
	assert_int_equal(body, 25);
	assert_int_equal(http_response_split("HTTP/1.1 404 Not Found\r\n", 24, &status, &body), -1);
	assert_int_equal(http_response_split("SSH-2.0-x\r\n\r\n", 13, &status, &body), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_v2_fixture),
	    cmocka_unit_test(test_rates_mapping_and_removal),
	    cmocka_unit_test(test_v1_hybrid),
	    cmocka_unit_test(test_absent),
	    cmocka_unit_test(test_over_descriptor_budget),
	    cmocka_unit_test(test_file_parsers),
	    cmocka_unit_test(test_moved_process),
	    cmocka_unit_test(test_quiet_listing),
	    cmocka_unit_test(test_new_process),
	    cmocka_unit_test(test_root_says),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_docker_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
