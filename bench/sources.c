/*
 * The cost of the cgroup and GPU sources: CPU time per sample of a
 * collector with every default source, against the same collector without
 * the cgroup and GPU sources, in one run, one sample of each in turn (the
 * machine may be shared: a load that comes and goes weighs on both). As root it
 * first makes GROUPS control groups (in the v2 mount and the v1 memory and
 * cpuacct controllers, whichever exist), each holding one idle process, and
 * removes them at the end; otherwise the machine's own groups are measured.
 * The GPU source reads whatever NVML VITALS_NVML_LIBRARY or the system gives
 * (bench/run_sources.sh points it at the tests' fake library when there is
 * no driver).
 *
 * With --busy N, the first N groups' processes wake every 5 ms and work a
 * little (about 2% of a core each), so that those groups are active in
 * every sample and read each time, as a machine of busy services has them.
 *
 * Usage: sources [--seconds S] [--groups N] [--rounds R] [--busy N]
 * Prints one line per variant (bench=base, bench=sources: samples, the
 * processes a sample saw, CPU time per sample, groups and GPUs) and the ratio.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "bench.h"

#define GROUPS_MAX 1000
#define HIER_MAX   4

static char hier[HIER_MAX][256];
static int nhier;
static pid_t children[GROUPS_MAX];
static int nchildren, ngroups;
static pid_t owner;                 /* the benchmark's pid, in the names of its groups */
static int busy;                    /* groups whose process works a little every 5 ms */
static volatile unsigned busy_sink; /* what that work adds up, kept */

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int is_dir(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void find_hierarchies(void)
{
	static const char *const v1[] = {"memory", "cpuacct", "cpu,cpuacct"};

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		snprintf(hier[nhier++], sizeof(hier[0]), "/sys/fs/cgroup");
		return;
	}
	if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0)
		snprintf(hier[nhier++], sizeof(hier[0]), "/sys/fs/cgroup/unified");
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]) && nhier < HIER_MAX; i++) {
		char p[256];

		snprintf(p, sizeof(p), "/sys/fs/cgroup/%s", v1[i]);
		if (is_dir(p))
			snprintf(hier[nhier++], sizeof(hier[0]), "%s", p);
	}
}

static void group_path(char *buf, size_t len, int h, int i)
{
	snprintf(buf, len, "%.200s/vitals-bench-%d-%d", hier[h], (int)owner, i);
}

static int write_pid(const char *group, pid_t pid)
{
	char p[512], s[32];
	int fd, n, ok;

	snprintf(p, sizeof(p), "%.400s/cgroup.procs", group);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = snprintf(s, sizeof(s), "%d\n", (int)pid);
	ok = write(fd, s, (size_t)n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* Make N groups, each with one idle process. The number made. */
static int make_groups(int n)
{
	for (int i = 0; i < n; i++) {
		char p[512];
		pid_t pid;
		int made = 0;

		for (int h = 0; h < nhier; h++) {
			group_path(p, sizeof(p), h, i);
			made += mkdir(p, 0755) == 0;
		}
		if (!made)
			break;
		ngroups = i + 1;
		pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			for (int h = 0; h < nhier; h++) {
				group_path(p, sizeof(p), h, i);
				write_pid(p, getpid());
			}
			while (i < busy) {
				struct timespec ts = {0, 5000000};

				for (unsigned k = 0; k < 30000; k++)
					busy_sink += k;
				nanosleep(&ts, NULL);
			}
			for (;;)
				pause();
		}
		children[nchildren++] = pid;
	}
	return ngroups;
}

static void remove_groups(void)
{
	for (int i = 0; i < nchildren; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	for (int i = 0; i < ngroups; i++)
		for (int h = 0; h < nhier; h++) {
			char p[512];

			group_path(p, sizeof(p), h, i);
			for (int t = 0; t < 50 && rmdir(p) != 0 && errno == EBUSY; t++)
				usleep(20000);
		}
}

struct variant {
	const char *name;
	unsigned sources;
	struct vitals_collector *c;
	long samples;
	double cpu_us;
	double groups, gpus, procs;
};

/* CPU time of this process (every thread), in microseconds. */
static double cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* One sample of V, timed, added to its totals. */
static int sample_one(struct variant *v)
{
	double cpu0 = cpu_us();

	if (vitals_collector_sample(v->c) != VITALS_OK) {
		fprintf(stderr, "sources: sample: %s\n", vitals_collector_errmsg(v->c));
		return -1;
	}
	v->cpu_us += cpu_us() - cpu0;
	v->groups += (double)vitals_collector_count(v->c, VITALS_KIND_CGROUP);
	v->gpus += (double)vitals_collector_count(v->c, VITALS_KIND_GPU);
	v->procs += (double)vitals_collector_all_processes(v->c);
	v->samples++;
	return 0;
}

/*
 * Sample both variants for SECONDS of wall time, one sample of each in
 * turn (FIRST first), so that what else runs on the machine weighs on both
 * alike.
 */
static int run_round(struct variant *v, int first, double seconds)
{
	double t0 = wall_s();
	long n = 0;

	while (n < 3 || wall_s() - t0 < seconds) {
		if (sample_one(&v[first]) < 0 || sample_one(&v[1 - first]) < 0)
			return -1;
		n++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = 2;
	int want = 50, rounds = 3, ret = 1;
	struct variant v[2] = {
	    {"base",
	     VITALS_SOURCES_DEFAULT &
	         ~(VITALS_SOURCE(VITALS_KIND_CGROUP) | VITALS_SOURCE(VITALS_KIND_GPU)),
	     NULL, 0, 0, 0, 0, 0},
	    {"sources", VITALS_SOURCES_DEFAULT, NULL, 0, 0, 0, 0, 0},
	};

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--groups") == 0)
			want = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--busy") == 0)
			busy = atoi(argv[i + 1]);
		else
			goto usage;
	}
	if (argc % 2 == 0 || seconds <= 0 || seconds > 600 || want < 0 || want > GROUPS_MAX ||
	    rounds < 1 || rounds > 100 || busy < 0 || busy > want)
		goto usage;

	owner = getpid();
	if (geteuid() == 0) {
		find_hierarchies();
		printf("groups: made %d of %d (in %d hierarchies, one process each: %d busy, the "
		       "rest idle)\n",
		       make_groups(want), want, nhier, busy < want ? busy : want);
	} else {
		printf("groups: not root, measuring the machine's own groups\n");
	}
	for (int i = 0; i < 2; i++) {
		struct vitals_collector_options o;
		const char *reason;
		char err[256] = "";

		vitals_collector_options_init(&o);
		o.sources = v[i].sources;
		if (vitals_collector_new(&v[i].c, &o, err, sizeof(err)) != VITALS_OK ||
		    vitals_collector_sample(v[i].c) != VITALS_OK) {
			fprintf(stderr, "sources: %s\n", err);
			goto out;
		}
		if (i == 1) {
			vitals_collector_source_status(v[i].c, VITALS_KIND_CGROUP, &reason);
			printf("cgroup source: %s\n", reason);
			vitals_collector_source_status(v[i].c, VITALS_KIND_GPU, &reason);
			printf("gpu source: %s\n", reason);
		}
	}
	for (int r = 0; r < rounds; r++)
		if (run_round(v, r % 2, seconds) < 0)
			goto out;
	for (int i = 0; i < 2; i++)
		printf("bench=%s samples=%ld processes=%.0f us_per_sample=%.1f cgroups=%.0f "
		       "gpus=%.0f\n",
		       v[i].name, v[i].samples, v[i].procs / (double)v[i].samples,
		       v[i].cpu_us / (double)v[i].samples, v[i].groups / (double)v[i].samples,
		       v[i].gpus / (double)v[i].samples);
	{
		double base = v[0].cpu_us / (double)v[0].samples;
		double all = v[1].cpu_us / (double)v[1].samples;

		printf("cgroup+gpu sources add %.1f%% to a sample (target <= 10%%): %s\n",
		       (all - base) / base * 100, all - base <= base * 0.10 ? "met" : "missed");
	}
	ret = 0;
out:
	for (int i = 0; i < 2; i++)
		vitals_collector_free(v[i].c);
	remove_groups();
	return ret;
usage:
	fprintf(stderr, "usage: sources [--seconds S] [--groups N] [--rounds R] [--busy N]\n");
	return 2;
}
