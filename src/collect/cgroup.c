/*
 * The cgroup source: every control group that holds processes, in the v2
 * (unified) hierarchy, the v1 controllers, or both (the hybrid layout).
 *
 * The layout is found under the cgroup root (options.cgroup_root, default
 * SYS_ROOT/fs/cgroup): cgroup.controllers at the top is a pure v2 tree;
 * otherwise each subdirectory with a cgroup.procs is a hierarchy, v2 when
 * it has cgroup.controllers ("unified"), else v1 with the controllers its
 * name lists ("memory", "cpu,cpuacct"). Symbolic links ("cpu" ->
 * "cpu,cpuacct") are not followed, so no hierarchy is walked twice.
 *
 * Every 10 samples (or 10 seconds) a listing walks the hierarchies, v2
 * first, reading cgroup.procs in every directory: it finds the groups that
 * hold processes and reads all their values. The samples in between read
 * only those groups' CPU time and memory (see SLOW_METRICS below), and
 * only for groups one of whose processes ran since the sample before
 * (cg_mark_active(); the others' values are carried over). A
 * group is one entity by path across hierarchies (v1 and v2 agree on
 * paths under systemd and Docker); each value is read from one hierarchy:
 * the first that has it, v2 first, except CPU time, taken from v1's
 * cpuacct.usage when the group is there. Each process gets the path of its
 * group as an attribute: the first hierarchy that puts it below the root.
 *
 * Containers are recognised from the paths (cgparse.c) and named by the
 * Docker/Podman API when its socket answers (docker.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/cgparse.h"
#include "collect/docker.h"
#include "collect/internal.h"
#include "collect/sysparse.h"
#include "util/clock.h"

#define HIER_MAX      8
#define CG_MAX        16384 /* groups remembered */
#define WALK_DIRS_MAX 16384 /* directories visited per sample */
#define WALK_DEPTH    32
#define WALK_EVERY    10   /* samples between walks of the directories */
#define WALK_SECONDS  10.0 /* and at most this long */
#define QUIET_RELIST  3    /* listings a quiet group may be carried over: read at the third */
/*
 * Each sample reads one or two files per active group: its CPU time
 * (cpu.stat or cpuacct.usage) and its memory (memory.current or
 * memory.usage_in_bytes).
 * The rest is read at each listing of the directories and repeated in the
 * samples between (SLOW_METRICS, and I/O, whose rates cover the time
 * between two listings): the breakdown of memory.stat (the costliest file),
 * peak, limit, pids, v1 throttling and user/system split, and pressure,
 * whose avg10 is itself a 10-second average. Which groups hold processes,
 * and how many, is also known from the listing; a process's group is
 * remembered with the process (struct proc_cgroup), from the listing or,
 * for a process started since, from its /proc/PID/cgroup.
 *
 * A group none of whose processes ran since the last listing, and whose
 * memory in use is the same, is not listed or read at the next one
 * either: its processes, values and I/O are carried over, as between
 * listings, until the QUIET_RELIST-th listing since it was last read
 * (cg_plan_quiet()). A process that moves out of it and runs makes it
 * active, so the next listing reads its list and finds the process gone;
 * one that moves while asleep is found at the group's next reading.
 */
#define BIT(i) ((uint64_t)1 << (i))
#define PSI_METRICS                                                                                \
	(BIT(VITALS_CG_CPU_SOME_AVG10) | BIT(VITALS_CG_MEM_SOME_AVG10) |                           \
	 BIT(VITALS_CG_MEM_FULL_AVG10) | BIT(VITALS_CG_IO_SOME_AVG10) |                            \
	 BIT(VITALS_CG_IO_FULL_AVG10))
#define SLOW_METRICS                                                                               \
	(BIT(VITALS_CG_MEM_LIMIT) | BIT(VITALS_CG_MEM_PEAK) | BIT(VITALS_CG_MEM_ANON) |            \
	 BIT(VITALS_CG_MEM_FILE) | BIT(VITALS_CG_PIDS_CURRENT) | BIT(VITALS_CG_PIDS_MAX) |         \
	 BIT(VITALS_CG_CPU_USER) | BIT(VITALS_CG_CPU_SYSTEM) | BIT(VITALS_CG_THROTTLED_PERIODS) |  \
	 BIT(VITALS_CG_THROTTLED_SECONDS) | PSI_METRICS)
/* What a sample reads of a group: carried over while none of its processes runs. */
#define FAST_METRICS                                                                               \
	(BIT(VITALS_CG_CPU_USAGE) | BIT(VITALS_CG_CPU_USER) | BIT(VITALS_CG_CPU_SYSTEM) |          \
	 BIT(VITALS_CG_THROTTLED_PERIODS) | BIT(VITALS_CG_THROTTLED_SECONDS) |                     \
	 BIT(VITALS_CG_MEM_CURRENT))
/*
 * Slow metrics that only the group's running tasks change: not read again
 * at a listing while none ran since the last one (the memory ones also
 * need its memory unchanged), except at every ABSENT_RETRY-th listing.
 */
#define STILL_METRICS                                                                              \
	(BIT(VITALS_CG_MEM_PEAK) | BIT(VITALS_CG_MEM_ANON) | BIT(VITALS_CG_MEM_FILE) |             \
	 BIT(VITALS_CG_PIDS_CURRENT) | BIT(VITALS_CG_CPU_USER) | BIT(VITALS_CG_CPU_SYSTEM) |       \
	 BIT(VITALS_CG_THROTTLED_PERIODS) | BIT(VITALS_CG_THROTTLED_SECONDS))
#define STILL_MEMORY (BIT(VITALS_CG_MEM_PEAK) | BIT(VITALS_CG_MEM_ANON) | BIT(VITALS_CG_MEM_FILE))
#define PROCS_MAX    (8u << 20)
#define FILE_BUF     16384
#define DENTS_BUF    4096
#define CG_FDS_MAX   1024 /* descriptors held at most (files of groups holding processes) */

enum {
	CTL_V2 = 1u << 0,
	CTL_MEM = 1u << 1,
	CTL_CPU = 1u << 2,
	CTL_CPUACCT = 1u << 3,
	CTL_BLKIO = 1u << 4,
	CTL_PIDS = 1u << 5,
};

/* The files read, by index: a group holds a descriptor per file per hierarchy. */
enum cg_file {
	CGF_PROCS = 0,
	CGF_CPU_STAT,
	CGF_MEM_CURRENT,
	CGF_MEM_MAX,
	CGF_MEM_PEAK,
	CGF_MEM_STAT,
	CGF_IO_STAT,
	CGF_PIDS_CURRENT,
	CGF_PIDS_MAX,
	CGF_CPU_PRESSURE,
	CGF_MEM_PRESSURE,
	CGF_IO_PRESSURE,
	CGF_V1_USAGE,
	CGF_V1_LIMIT,
	CGF_V1_MAX_USAGE,
	CGF_CPUACCT_USAGE,
	CGF_CPUACCT_STAT,
	CGF_BLKIO_RECURSIVE,
	CGF_BLKIO,
	CGF_COUNT
};

static const char *const cg_file_names[CGF_COUNT] = {
    [CGF_PROCS] = "cgroup.procs",
    [CGF_CPU_STAT] = "cpu.stat",
    [CGF_MEM_CURRENT] = "memory.current",
    [CGF_MEM_MAX] = "memory.max",
    [CGF_MEM_PEAK] = "memory.peak",
    [CGF_MEM_STAT] = "memory.stat",
    [CGF_IO_STAT] = "io.stat",
    [CGF_PIDS_CURRENT] = "pids.current",
    [CGF_PIDS_MAX] = "pids.max",
    [CGF_CPU_PRESSURE] = "cpu.pressure",
    [CGF_MEM_PRESSURE] = "memory.pressure",
    [CGF_IO_PRESSURE] = "io.pressure",
    [CGF_V1_USAGE] = "memory.usage_in_bytes",
    [CGF_V1_LIMIT] = "memory.limit_in_bytes",
    [CGF_V1_MAX_USAGE] = "memory.max_usage_in_bytes",
    [CGF_CPUACCT_USAGE] = "cpuacct.usage",
    [CGF_CPUACCT_STAT] = "cpuacct.stat",
    [CGF_BLKIO_RECURSIVE] = "blkio.throttle.io_service_bytes_recursive",
    [CGF_BLKIO] = "blkio.throttle.io_service_bytes",
};

#define FD_UNKNOWN   -1 /* not opened yet, or not held */
#define FD_ABSENT    -2 /* the group has no such file (tried again every ABSENT_RETRY listings) */
#define ABSENT_RETRY 6

struct hier {
	int fd;
	unsigned ctl;
	unsigned v2_ctl; /* v2: the controllers its root offers (CTL_*), read at each walk */
	char name[64];
};

/* The v2 controller a file comes with; 0 for the files of every group. */
static unsigned v2_file_ctl(enum cg_file f)
{
	switch (f) {
	case CGF_MEM_CURRENT:
	case CGF_MEM_MAX:
	case CGF_MEM_PEAK:
	case CGF_MEM_STAT:
		return CTL_MEM;
	case CGF_IO_STAT:
		return CTL_BLKIO;
	case CGF_PIDS_CURRENT:
	case CGF_PIDS_MAX:
		return CTL_PIDS;
	default:
		return 0;
	}
}

struct cg {
	struct vitals_entity e;
	struct cg *hnext;
	char *path;
	unsigned gen; /* sample in which its directory was last seen */
	unsigned
	    procs_gen;  /* sample in which it last held processes (or was read, between listings) */
	int stale;      /* a held file stopped reading this sample: the group is gone */
	unsigned hiers; /* CTL_V2 and/or other bits: where values came from this sample */
	uint64_t nprocs;
	/* raw counters of this sample and the one before */
	uint64_t cpu_ns, rd, wr, prev_cpu_ns, prev_rd, prev_wr;
	int have_cpu, have_io, have_prev_cpu;
	/*
	 * The hierarchies read between listings: of its CPU time (cpu_src in
	 * this sample, prev_cpu_src in the last: a rate needs the same counter)
	 * and of its memory; else the first that listed it (first_h).
	 */
	int cpu_h, mem_h, first_h, cpu_src, prev_cpu_src;
	/*
	 * Between listings, a group whose processes did not run since the last
	 * sample is not read: its FAST_METRICS of the last reading are carried
	 * over. mapped_gen: the sample in which some process was known to be in
	 * it; active_gen: in which one of them, or of a descendant's, ran.
	 */
	struct cg *parent; /* the group of the parent directory, set at walks */
	unsigned mapped_gen, active_gen, quiet_gen;
	/*
	 * moved_gen: the last sample in which it was active or could not be
	 * judged; slow_gen: the listing sample whose slow values it holds (read,
	 * or found unchanged), with its memory then (slow_mem, slow_have_mem).
	 */
	unsigned moved_gen, slow_gen;
	/*
	 * read_listing: the last listing that read its list and values;
	 * skip_gen: the listing sample that carries it over instead.
	 */
	unsigned read_listing, skip_gen;
	unsigned leaf; /* by hierarchy: its directory had no subdirectory at the last look */
	int slow_have_mem;
	double slow_mem;
	int fast_known, fast_have_cpu;
	uint64_t fast_valid;
	double fast_v[VITALS_CG_METRIC_COUNT];
	unsigned prev_gen; /* the sample of the prev_ counters: rates need the one before */
	/* I/O, read at listings: the listing of the last reading, its time, its rates */
	unsigned io_listing;
	int io_rates;
	double io_mono, io_rrate, io_wrate;
	/*
	 * Values read at listings only (SLOW_METRICS): whether known, whether
	 * valid (not unlimited), the value; and which metrics are settled in
	 * this sample (read, or kept, even if missing).
	 */
	uint64_t slow_known, slow_valid, settled;
	double slow_v[VITALS_CG_METRIC_COUNT];
	struct cg_container ct;
	int fd[HIER_MAX][CGF_COUNT]; /* held descriptors, FD_UNKNOWN or FD_ABSENT */
	int dirfd[HIER_MAX];         /* its directory in each hierarchy, held, or -1 */
	uint64_t dir_ino[HIER_MAX];
	int named; /* the daemon gave its name and image (copied below) */
	char name_buf[CG_LABEL_MAX];
	char image_buf[CG_LABEL_MAX];
	char label_buf[CG_LABEL_MAX];
};

struct visit_item {
	struct cg *g;
	int hidx;
	int dirfd;
};

struct cgroup_state {
	struct vitals_collector *c;
	int root_fd;
	char root[4096];
	struct hier hier[HIER_MAX];
	size_t nhier;
	struct cg **hash;
	size_t nbuckets, count;
	struct cg **live; /* groups holding processes this sample, in walk order */
	/*
	 * The directories of the last walk whose descriptors are held, in walk
	 * order: between walks, only these are read again.
	 */
	struct visit_item *order;
	size_t norder, order_cap;
	unsigned walk_gen;      /* sample of the last walk */
	unsigned prev_walk_gen; /* and of the one before, during a walk */
	unsigned listings;      /* walks so far: the listing number of struct proc_cgroup */
	double walk_mono;
	int walking;
	size_t carried;        /* groups carried over at this listing (cg_plan_quiet()) */
	struct cg *root_group; /* the group "/" */
	uint64_t psi_zero;     /* pressure metrics ("some") that are 0 for the root at this walk */
	/*
	 * Every hierarchy is a cgroup file system, whose counters move only
	 * when the group's processes run (a tree of plain files, as in tests,
	 * can say anything: every group is read there).
	 */
	int kernel_counters;
	double now; /* monotonic time of this sample */
	size_t nlive, live_cap;
	unsigned gen;
	size_t dirs; /* visited this sample */
	int truncated;
	struct vbuf procs;
	int fd_budget, fds_held; /* descriptors the groups may hold, and hold */
	char buf[FILE_BUF];
	char dents[WALK_DEPTH + 1][DENTS_BUF]; /* a getdents64 buffer per level of the walk */
	char path[4096];
	struct docker_client *docker;
};

int cgroup_trust_fixture;

static uint64_t hash_path(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static struct cg *cg_lookup(struct cgroup_state *s, const char *path)
{
	struct cg *g = s->hash[hash_path(path) & (s->nbuckets - 1)];

	for (; g; g = g->hnext)
		if (strcmp(g->path, path) == 0)
			return g;
	return NULL;
}

static int cg_hash_grow(struct cgroup_state *s)
{
	size_t n = s->nbuckets * 2;
	struct cg **h = calloc(n, sizeof(*h));

	if (!h)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct cg *g = s->hash[i], *next;

		for (; g; g = next) {
			size_t b = hash_path(g->path) & (n - 1);

			next = g->hnext;
			g->hnext = h[b];
			h[b] = g;
		}
	}
	free(s->hash);
	s->hash = h;
	s->nbuckets = n;
	return VITALS_OK;
}

/* The group of PATH, created when new. NULL when out of memory or over CG_MAX. */
static struct cg *cg_get(struct cgroup_state *s, const char *path)
{
	struct cg *g = cg_lookup(s, path);
	size_t b;

	if (g)
		return g;
	if (s->count >= CG_MAX)
		return NULL;
	if (s->count >= s->nbuckets && cg_hash_grow(s) < 0)
		return NULL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->path = strdup(path);
	if (!g->path) {
		free(g);
		return NULL;
	}
	cg_classify(path, &g->ct);
	g->cpu_h = g->mem_h = g->first_h = g->cpu_src = g->prev_cpu_src = -1;
	for (int h = 0; h < HIER_MAX; h++) {
		g->dirfd[h] = -1;
		for (int f = 0; f < CGF_COUNT; f++)
			g->fd[h][f] = FD_UNKNOWN;
	}
	g->e.kind = VITALS_KIND_CGROUP;
	g->e.in_scope = 1;
	g->e.id = g->path;
	b = hash_path(path) & (s->nbuckets - 1);
	g->hnext = s->hash[b];
	s->hash[b] = g;
	s->count++;
	return g;
}

static void cg_free(struct cgroup_state *s, struct cg *g)
{
	for (int h = 0; h < HIER_MAX; h++) {
		if (g->dirfd[h] >= 0) {
			close_fd(g->dirfd[h]);
			s->fds_held--;
		}
		for (int f = 0; f < CGF_COUNT; f++)
			if (g->fd[h][f] >= 0) {
				close_fd(g->fd[h][f]);
				s->fds_held--;
			}
	}
	free(g->path);
	free(g);
}

/* ---- reading one directory of one hierarchy ----------------------------- */

/*
 * The descriptor of file F of G in hierarchy H (DIRFD): the held one, or a
 * new one, held when the budget allows (*transient set otherwise). -1 when
 * the file is not there.
 */
static int file_fd(struct cgroup_state *s, struct cg *g, int h, int dirfd, enum cg_file f,
                   int *transient)
{
	int *slot = &g->fd[h][f];
	int fd;

	*transient = 0;
	if (*slot >= 0)
		return *slot;
	if (*slot == FD_ABSENT && !(s->walking && s->listings % ABSENT_RETRY == 0))
		return -1;
	/* no group of a v2 tree has the files of a controller its root lacks */
	if ((s->hier[h].ctl & CTL_V2) && (v2_file_ctl(f) & ~s->hier[h].v2_ctl))
		return -1;
	fd = open_at(dirfd, cg_file_names[f], 0);
	if (fd < 0) {
		if (errno == ENOENT)
			*slot = FD_ABSENT;
		return -1;
	}
	if (s->fds_held < s->fd_budget) {
		*slot = fd;
		s->fds_held++;
	} else {
		*slot = FD_UNKNOWN;
		*transient = 1;
	}
	return fd;
}

/* Forget a held descriptor that stopped reading (its group was removed and made again). */
static void file_drop(struct cgroup_state *s, struct cg *g, int h, enum cg_file f)
{
	if (g->fd[h][f] >= 0) {
		close_fd(g->fd[h][f]);
		s->fds_held--;
	}
	g->fd[h][f] = FD_UNKNOWN;
}

/*
 * One pread from offset 0 into BUF (CAP bytes, NUL-terminated). The files
 * of cgroupfs are seq files: a read short of what was asked is the end of
 * the file, and a second read to see end-of-file would render the whole
 * file again (as dear as the first). Only a full buffer reads on, with
 * fd_pread_buf(). Bytes read, or -errno.
 */
static ssize_t cg_pread(int fd, char *buf, size_t cap)
{
	ssize_t n;

	do {
		n = pread(fd, buf, cap - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	if ((size_t)n == cap - 1)
		return fd_pread_buf(fd, buf, cap);
	buf[n] = '\0';
	return n;
}

/* As cg_pread(), into a growing buffer: 0, -E2BIG when over its max, or -errno. */
static int cg_pread_all(int fd, struct vbuf *b)
{
	ssize_t n;

	if (!b->data && vbuf_reserve(b, 4095) < 0)
		return -ENOMEM;
	do {
		n = pread(fd, b->data, b->cap - 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n == b->cap - 1)
		return fd_pread_all(fd, b);
	b->len = (size_t)n;
	b->data[n] = '\0';
	return 0;
}

/* File F of G in hierarchy H into s->buf. 0, or -1 when it is not there or unreadable. */
static int read_file(struct cgroup_state *s, struct cg *g, int h, int dirfd, enum cg_file f)
{
	int transient, fd = file_fd(s, g, h, dirfd, f, &transient);
	ssize_t n;

	s->buf[0] = '\0';
	if (fd < 0)
		return -1;
	n = cg_pread(fd, s->buf, sizeof(s->buf));
	if (transient) {
		close_fd(fd);
	} else if (n < 0) {
		file_drop(s, g, h, f);
		g->stale = 1;
	}
	return n >= 0 ? 0 : -1;
}

static void set_value(struct cg *g, int i, double v)
{
	if (!entity_has(&g->e, i))
		entity_set(&g->e, i, v);
}

/*
 * Whether slow metric I of G is as the last listing left it, at a listing:
 * none of its processes ran since (the process source followed them all
 * along), and for memory metrics its memory is the same.
 */
static int cg_still(const struct cgroup_state *s, const struct cg *g, int i)
{
	if (!s->kernel_counters || !s->c->process_state || !(STILL_METRICS & BIT(i)) ||
	    g->slow_gen != s->prev_walk_gen || g->moved_gen >= g->slow_gen ||
	    s->listings % ABSENT_RETRY == 0)
		return 0;
	if (!(STILL_MEMORY & BIT(i)))
		return 1;
	return g->slow_have_mem && entity_has(&g->e, VITALS_CG_MEM_CURRENT) &&
	       g->e.v[VITALS_CG_MEM_CURRENT] == g->slow_mem;
}

/*
 * Whether metric I of G is settled for this sample: already read, or, for
 * a slow metric between listings, known from the last listing (set again).
 */
static int slow_settled(struct cgroup_state *s, struct cg *g, int i)
{
	if (entity_has(&g->e, i) || (g->settled & BIT(i)))
		return 1;
	if (!(SLOW_METRICS & BIT(i)) || !(g->slow_known & BIT(i)))
		return 0;
	if (s->walking && !cg_still(s, g, i))
		return 0;
	g->settled |= BIT(i);
	if (g->slow_valid & BIT(i))
		entity_set(&g->e, i, g->slow_v[i]);
	return 1;
}

/* Both metrics A and B of G settled (each one tried). */
static int slow_settled2(struct cgroup_state *s, struct cg *g, int a, int b)
{
	int sa = slow_settled(s, g, a), sb = slow_settled(s, g, b);

	return sa && sb;
}

/* Metric I of G was read now: valid with V, or missing (unlimited). */
static void slow_read(struct cg *g, int i, int valid, double v)
{
	g->settled |= BIT(i);
	if (valid)
		set_value(g, i, v);
	if (!(SLOW_METRICS & BIT(i)))
		return;
	g->slow_known |= BIT(i);
	g->slow_valid = valid ? g->slow_valid | BIT(i) : g->slow_valid & ~BIT(i);
	g->slow_v[i] = v;
}

/* Metric I of G from the line KEY of a flat keyed file (s->buf), times SCALE. */
static void slow_read_key(struct cgroup_state *s, struct cg *g, int i, const char *key,
                          double scale)
{
	uint64_t v = 0;
	int valid = cg_kv_get(s->buf, key, &v) == 0;

	slow_read(g, i, valid, (double)v * scale);
}

/* A file with one number or "max": the value, or nothing when unlimited or unreadable. */
static void read_limit(struct cgroup_state *s, struct cg *g, int h, int dirfd, enum cg_file f,
                       int i, uint64_t unlimited_from)
{
	uint64_t v = 0;
	int valid;

	if (slow_settled(s, g, i) || read_file(s, g, h, dirfd, f) < 0)
		return;
	valid = cg_value_parse(s->buf, &v) == 0 && v < unlimited_from;
	slow_read(g, i, valid, (double)v);
}

/* Memory in use (a fast value): from the hierarchy of the last listing in between. */
static void read_mem(struct cgroup_state *s, struct cg *g, int h, int dirfd, enum cg_file f,
                     uint64_t unlimited_from)
{
	uint64_t v = 0;

	if (s->walking ? entity_has(&g->e, VITALS_CG_MEM_CURRENT) : g->mem_h != h)
		return;
	if (read_file(s, g, h, dirfd, f) < 0 || cg_value_parse(s->buf, &v) != 0 ||
	    v >= unlimited_from)
		return;
	entity_set(&g->e, VITALS_CG_MEM_CURRENT, (double)v);
	if (s->walking)
		g->mem_h = h;
}

static void read_pressure(struct cgroup_state *s, struct cg *g, int h, int dirfd, enum cg_file f,
                          int some, int full)
{
	struct psi_reading r;

	if (slow_settled(s, g, some)) {
		if (full >= 0)
			slow_settled(s, g, full);
		return;
	}
	/*
	 * A task stalled in a group is stalled for the root too, so no group
	 * stalls more than the root: where the root's "some" is 0, every
	 * group's "some" and "full" are 0, and their files need not be read.
	 */
	if (g != s->root_group && (s->psi_zero & BIT(some))) {
		slow_read(g, some, 1, 0);
		if (full >= 0)
			slow_read(g, full, 1, 0);
		return;
	}
	if (read_file(s, g, h, dirfd, f) < 0 || psi_parse(s->buf, &r) < 0)
		return;
	slow_read(g, some, 1, r.some.avg10);
	if (full >= 0)
		slow_read(g, full, r.have_full, r.full.avg10);
	if (g == s->root_group && r.some.avg10 == 0)
		s->psi_zero |= BIT(some);
}

static void read_v2(struct cgroup_state *s, struct cg *g, int h, int dirfd)
{
	uint64_t v = 0, a = 0, b = 0;
	/* between listings: CPU time and memory only, from where the listing found them */
	int cpu = s->walking ? !g->have_cpu && (g->cpu_h < 0 || g->cpu_h == h) : g->cpu_h == h;

	if (cpu && read_file(s, g, h, dirfd, CGF_CPU_STAT) == 0) {
		if (cg_kv_get(s->buf, "usage_usec", &v) == 0) {
			g->cpu_ns = v * 1000;
			g->have_cpu = 1;
			g->cpu_src = h;
			set_value(g, VITALS_CG_CPU_USAGE, (double)v / 1e6);
		}
		if (cg_kv_get(s->buf, "user_usec", &v) == 0)
			set_value(g, VITALS_CG_CPU_USER, (double)v / 1e6);
		if (cg_kv_get(s->buf, "system_usec", &v) == 0)
			set_value(g, VITALS_CG_CPU_SYSTEM, (double)v / 1e6);
		if (cg_kv_get(s->buf, "nr_throttled", &v) == 0)
			set_value(g, VITALS_CG_THROTTLED_PERIODS, (double)v);
		if (cg_kv_get(s->buf, "throttled_usec", &v) == 0)
			set_value(g, VITALS_CG_THROTTLED_SECONDS, (double)v / 1e6);
	}
	read_mem(s, g, h, dirfd, CGF_MEM_CURRENT, UINT64_MAX);
	if (!s->walking)
		return;
	read_limit(s, g, h, dirfd, CGF_MEM_MAX, VITALS_CG_MEM_LIMIT, UINT64_MAX);
	read_limit(s, g, h, dirfd, CGF_MEM_PEAK, VITALS_CG_MEM_PEAK, UINT64_MAX);
	if (!slow_settled2(s, g, VITALS_CG_MEM_ANON, VITALS_CG_MEM_FILE) &&
	    read_file(s, g, h, dirfd, CGF_MEM_STAT) == 0) {
		slow_read_key(s, g, VITALS_CG_MEM_ANON, "anon", 1);
		slow_read_key(s, g, VITALS_CG_MEM_FILE, "file", 1);
	}
	if (s->walking && !g->have_io && read_file(s, g, h, dirfd, CGF_IO_STAT) == 0 &&
	    cg_iostat_parse(s->buf, &a, &b) == 0) {
		g->rd = a;
		g->wr = b;
		g->have_io = 1;
	}
	read_limit(s, g, h, dirfd, CGF_PIDS_CURRENT, VITALS_CG_PIDS_CURRENT, UINT64_MAX);
	read_limit(s, g, h, dirfd, CGF_PIDS_MAX, VITALS_CG_PIDS_MAX, UINT64_MAX);
	read_pressure(s, g, h, dirfd, CGF_CPU_PRESSURE, VITALS_CG_CPU_SOME_AVG10, -1);
	read_pressure(s, g, h, dirfd, CGF_MEM_PRESSURE, VITALS_CG_MEM_SOME_AVG10,
	              VITALS_CG_MEM_FULL_AVG10);
	read_pressure(s, g, h, dirfd, CGF_IO_PRESSURE, VITALS_CG_IO_SOME_AVG10,
	              VITALS_CG_IO_FULL_AVG10);
}

static void read_v1(struct cgroup_state *s, struct cg *g, int h, int dirfd, unsigned ctl)
{
	uint64_t v = 0, a = 0, b = 0;
	/* v1 reports "no limit" as a huge page-rounded number */
	const uint64_t unlimited = (uint64_t)1 << 62;

	if (ctl & CTL_MEM)
		read_mem(s, g, h, dirfd, CGF_V1_USAGE, unlimited);
	/*
	 * CPU time from cpuacct.usage when the group is there: one number, half
	 * the cost of v2's cpu.stat (which a listing reads first, once).
	 */
	if ((ctl & CTL_CPUACCT) && (s->walking ? g->cpu_src != h : g->cpu_h == h) &&
	    read_file(s, g, h, dirfd, CGF_CPUACCT_USAGE) == 0 && cg_value_parse(s->buf, &v) == 0) {
		g->cpu_ns = v;
		g->have_cpu = 1;
		g->cpu_src = h;
		entity_set(&g->e, VITALS_CG_CPU_USAGE, (double)v / 1e9);
	}
	if (!s->walking)
		return;
	if (ctl & CTL_MEM) {
		read_limit(s, g, h, dirfd, CGF_V1_LIMIT, VITALS_CG_MEM_LIMIT, unlimited);
		read_limit(s, g, h, dirfd, CGF_V1_MAX_USAGE, VITALS_CG_MEM_PEAK, unlimited);
		if (!slow_settled2(s, g, VITALS_CG_MEM_ANON, VITALS_CG_MEM_FILE) &&
		    read_file(s, g, h, dirfd, CGF_MEM_STAT) == 0) {
			slow_read_key(s, g, VITALS_CG_MEM_ANON, "total_rss", 1);
			slow_read_key(s, g, VITALS_CG_MEM_FILE, "total_cache", 1);
		}
	}
	if ((ctl & CTL_CPUACCT) && !slow_settled2(s, g, VITALS_CG_CPU_USER, VITALS_CG_CPU_SYSTEM) &&
	    read_file(s, g, h, dirfd, CGF_CPUACCT_STAT) == 0) {
		double hz = (double)s->c->clock_ticks;

		slow_read_key(s, g, VITALS_CG_CPU_USER, "user", 1 / hz);
		slow_read_key(s, g, VITALS_CG_CPU_SYSTEM, "system", 1 / hz);
	}
	if ((ctl & CTL_CPU) &&
	    !slow_settled2(s, g, VITALS_CG_THROTTLED_PERIODS, VITALS_CG_THROTTLED_SECONDS) &&
	    read_file(s, g, h, dirfd, CGF_CPU_STAT) == 0) {
		slow_read_key(s, g, VITALS_CG_THROTTLED_PERIODS, "nr_throttled", 1);
		slow_read_key(s, g, VITALS_CG_THROTTLED_SECONDS, "throttled_time", 1e-9);
	}
	if ((ctl & CTL_BLKIO) && s->walking && !g->have_io &&
	    ((read_file(s, g, h, dirfd, CGF_BLKIO_RECURSIVE) == 0 &&
	      cg_blkio_parse(s->buf, &a, &b) == 0) ||
	     (read_file(s, g, h, dirfd, CGF_BLKIO) == 0 && cg_blkio_parse(s->buf, &a, &b) == 0))) {
		g->rd = a;
		g->wr = b;
		g->have_io = 1;
	}
	if (ctl & CTL_PIDS) {
		read_limit(s, g, h, dirfd, CGF_PIDS_CURRENT, VITALS_CG_PIDS_CURRENT, UINT64_MAX);
		read_limit(s, g, h, dirfd, CGF_PIDS_MAX, VITALS_CG_PIDS_MAX, UINT64_MAX);
	}
}

static int cg_quiet(const struct cgroup_state *s, const struct cg *g);

/* Start a group's values for this sample (the first hierarchy that sees it). */
static int cg_begin(struct cgroup_state *s, struct cg *g)
{
	if (g->procs_gen == s->gen)
		return VITALS_OK;
	g->procs_gen = s->gen;
	entity_clear(&g->e);
	g->settled = 0;
	g->stale = 0;
	g->have_cpu = g->have_io = 0;
	g->cpu_src = -1;
	if (s->walking && g->skip_gen != s->gen) {
		/* counted again, and found again; kept between listings */
		g->nprocs = 0;
		g->hiers = 0;
		g->mem_h = g->first_h = -1;
		if (cg_quiet(s, g) && g->fast_have_cpu) {
			/*
			 * Its CPU time cannot have moved (a process moved in by another
			 * is found by this listing, and read from the next sample on);
			 * its memory is read, to bound what is carried over.
			 */
			uint64_t cpu = g->fast_valid & FAST_METRICS & ~BIT(VITALS_CG_MEM_CURRENT);

			for (int i = 0; cpu; i++, cpu >>= 1)
				if (cpu & 1)
					entity_set(&g->e, i, g->fast_v[i]);
			g->have_cpu = 1;
			g->cpu_src = g->prev_cpu_src;
		}

	} else {
		/* the values read at listings only, as the last one read them */
		uint64_t slow = g->slow_known & SLOW_METRICS;

		g->settled = slow;
		for (int i = 0; slow; i++, slow >>= 1)
			if ((slow & 1) && (g->slow_valid & BIT(i)))
				entity_set(&g->e, i, g->slow_v[i]);
	}
	if (s->nlive == s->live_cap) {
		size_t ncap = s->live_cap ? s->live_cap * 2 : 64;
		struct cg **p = realloc(s->live, ncap * sizeof(*p));

		if (!p)
			return VITALS_E_NOMEM;
		s->live = p;
		s->live_cap = ncap;
	}
	s->live[s->nlive++] = g;
	return VITALS_OK;
}

/* Give each listed process the group G, unless a hierarchy before put it deeper. */
static void map_processes(struct cgroup_state *s, struct cg *g)
{
	const char *p = s->procs.data;
	int32_t pid;
	int r;

	if (!s->c->process_state)
		return;
	while ((r = cg_procs_next(&p, &pid)) != 0) {
		/* the process source's own entity: it lives until that source's next sample */
		struct vitals_entity *e;
		struct proc_cgroup *pc;

		if (r < 0)
			continue;
		e = (struct vitals_entity *)process_find(s->c->process_state, (pid_t)pid);
		if (!e)
			continue;
		pc = process_cgroup(e);
		if (pc->listing == s->listings && pc->group && pc->group != s->root_group)
			continue;
		/* its group is carried over: so is it, until that group is read */
		if (pc->kept == s->listings)
			continue;
		/*
		 * One new since the last listing may still move itself after
		 * this one read its list: its group is read each sample until
		 * the next listing too.
		 */
		if (pc->listing != s->listings)
			pc->young = pc->young == 2;
		pc->group = g;
		pc->listing = s->listings;
	}
}

/*
 * The group of a process started since the last listing, from its
 * /proc/PID/cgroup: the first hierarchy that puts it below the root, as
 * the listing does. NULL when unknown (a group made since the listing is
 * found at the next one); *nearest is then the closest known group above
 * it (whose counters count it), or NULL.
 */
static struct cg *cg_of_new_process(struct cgroup_state *s, const struct vitals_entity *e,
                                    struct cg **nearest)
{
	const char *path = NULL;
	size_t len = 0;
	struct cg *g;

	*nearest = NULL;
	if (process_read_file(s->c->process_state, e, "cgroup", s->buf, sizeof(s->buf)) <= 0)
		return NULL;
	for (size_t i = 0; i < s->nhier; i++) {
		const struct hier *h = &s->hier[i];
		const char *p;
		size_t n;

		if (cg_pid_path(s->buf, h->ctl & CTL_V2 ? "" : h->name, &p, &n) < 0)
			continue;
		if (!path || n > 1) {
			path = p;
			len = n;
		}
		if (n > 1)
			break;
	}
	*nearest = NULL;
	if (!path || len >= sizeof(s->path))
		return NULL;
	memcpy(s->path, path, len);
	s->path[len] = '\0';
	g = cg_lookup(s, s->path);
	for (char *slash; !g && !*nearest && (slash = strrchr(s->path, '/'));) {
		slash[slash == s->path] = '\0'; /* "/a/b" -> "/a", "/a" -> "/" */
		*nearest = cg_lookup(s, s->path);
		if (slash == s->path)
			break;
	}
	return g;
}

/* What the container attribute of a process in G says: as cg_finish() names G. */
static const char *cg_container_label(const struct cg *g)
{
	if (g->named && g->name_buf[0])
		return g->name_buf;
	return g->ct.label[0] ? g->ct.label : NULL;
}

static int walk(struct cgroup_state *s, const struct hier *h, struct cg *g, int dirfd,
                size_t pathlen, int depth);
static int cg_carry(struct cgroup_state *s, struct cg *g);

/* One directory: its processes, its values, then its children. */
static int visit(struct cgroup_state *s, const struct hier *h, struct cg *g, int dirfd,
                 size_t pathlen, int depth)
{
	int hidx = (int)(h - s->hier);
	uint64_t nprocs = 0;
	int fd, r, transient;

	if (++s->dirs > WALK_DIRS_MAX) {
		s->truncated = 1;
		return VITALS_OK;
	}
	g->gen = s->gen;
	if (s->walking) {
		if (s->norder == s->order_cap) {
			size_t ncap = s->order_cap ? s->order_cap * 2 : 64;
			struct visit_item *o = realloc(s->order, ncap * sizeof(*o));

			if (!o)
				return VITALS_E_NOMEM;
			s->order = o;
			s->order_cap = ncap;
		}
		/* a directory over the descriptor budget is opened by its path in between */
		s->order[s->norder++] = (struct visit_item){
		    g, hidx, depth == 0 || g->dirfd[hidx] == dirfd ? dirfd : -1};
	}
	/*
	 * Processes are listed at walks only: in between, the groups of the last
	 * walk that held processes are read again. Every process is in the root
	 * of a hierarchy or below it, so the first hierarchy's root already
	 * listed what the others' roots would (the longest lists, read and
	 * sorted by the kernel): only deeper groups of the later hierarchies can
	 * put a process somewhere else.
	 */
	if (s->walking && g->skip_gen == s->gen) {
		/*
		 * Quiet since the last listing: carried over, as between listings.
		 * A leaf then is not looked at either: a group made below it to
		 * hold a process that runs makes it active (cg_mark_active()).
		 */
		if (g->procs_gen != s->gen && cg_carry(s, g) < 0)
			return VITALS_E_NOMEM;
		if (g->leaf & (1u << hidx))
			return VITALS_OK;
		return depth < WALK_DEPTH ? walk(s, h, g, dirfd, pathlen, depth + 1) : VITALS_OK;
	}
	if (!s->walking || (hidx > 0 && (g->procs_gen == s->gen || g == s->root_group)))
		fd = -1; /* and a group that an earlier hierarchy listed keeps those processes */
	else
		fd = file_fd(s, g, hidx, dirfd, CGF_PROCS, &transient);
	if (fd >= 0) {
		r = cg_pread_all(fd, &s->procs);
		if (transient)
			close_fd(fd);
		else if (r < 0 && r != -E2BIG)
			file_drop(s, g, hidx, CGF_PROCS);
		if (r == 0 || r == -E2BIG) {
			const char *p = s->procs.data;
			int32_t pid;

			while ((r = cg_procs_next(&p, &pid)) != 0)
				nprocs += r > 0;
		}
	}
	if (nprocs || g->procs_gen == s->gen || !s->walking) {
		if (cg_begin(s, g) < 0)
			return VITALS_E_NOMEM;
		if (nprocs > g->nprocs)
			g->nprocs = nprocs;
		if (s->walking) {
			g->read_listing = s->listings;
			g->hiers |= h->ctl & CTL_V2 ? CTL_V2 : CTL_MEM;
			if (g->first_h < 0)
				g->first_h = hidx;
		}
		if (h->ctl & CTL_V2)
			read_v2(s, g, hidx, dirfd);
		else
			read_v1(s, g, hidx, dirfd, h->ctl);
		if (nprocs)
			map_processes(s, g);
	}
	if (!s->walking)
		return VITALS_OK;
	return depth < WALK_DEPTH ? walk(s, h, g, dirfd, pathlen, depth + 1) : VITALS_OK;
}

/* What getdents64 returns. */
struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/*
 * The held descriptor of G's directory in hierarchy HIDX, opened from
 * PARENT by NAME when new, or when INO says the directory was made again.
 * -1 when it is gone; *transient when it is not held (over budget).
 */
static int dir_fd(struct cgroup_state *s, struct cg *g, int hidx, int parent, const char *name,
                  uint64_t ino, int *transient)
{
	int fd;

	*transient = 0;
	if (g->dirfd[hidx] >= 0 && g->dir_ino[hidx] == ino)
		return g->dirfd[hidx];
	if (g->dirfd[hidx] >= 0) { /* removed and made again: every held file is stale */
		close_fd(g->dirfd[hidx]);
		s->fds_held--;
		g->dirfd[hidx] = -1;
		for (int f = 0; f < CGF_COUNT; f++)
			file_drop(s, g, hidx, (enum cg_file)f);
	}
	fd = open_at(parent, name, O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (s->fds_held < s->fd_budget) {
		g->dirfd[hidx] = fd;
		g->dir_ino[hidx] = ino;
		s->fds_held++;
	} else {
		*transient = 1;
	}
	return fd;
}

/* The subdirectories of DIRFD (the group PARENT at s->path), each visited. */
static int walk(struct cgroup_state *s, const struct hier *h, struct cg *parent, int dirfd,
                size_t pathlen, int depth)
{
	char *buf = s->dents[depth];
	int hidx = (int)(h - s->hier), status = VITALS_OK;
	struct stat st;
	long n;

	/*
	 * A directory's link count is 2 plus its subdirectories (cgroupfs keeps
	 * it so, as most file systems do): most groups are leaves, and a stat
	 * costs a tenth of listing their dozens of files.
	 */
	parent->leaf &= ~(1u << hidx);
	if (fstat(dirfd, &st) == 0 && st.st_nlink == 2) {
		parent->leaf |= 1u << hidx;
		return VITALS_OK;
	}
	if (lseek(dirfd, 0, SEEK_SET) < 0)
		return VITALS_OK;
	while (status == VITALS_OK && (n = syscall(SYS_getdents64, dirfd, buf, DENTS_BUF)) > 0) {
		for (long off = 0; off < n && status == VITALS_OK;) {
			const struct dent64 *d = (const struct dent64 *)(buf + off);
			size_t len = strlen(d->name);
			struct cg *g;
			int sub, transient;

			off += d->reclen;
			if (d->type != DT_DIR || d->name[0] == '.')
				continue;
			if (pathlen + 1 + len >= sizeof(s->path)) {
				s->truncated = 1;
				continue;
			}
			s->path[pathlen] = '/';
			memcpy(s->path + pathlen + 1, d->name, len + 1);
			g = cg_get(s, s->path);
			if (!g) {
				s->truncated = 1;
				s->path[pathlen] = '\0';
				continue;
			}
			sub = dir_fd(s, g, hidx, dirfd, d->name, d->ino, &transient);
			if (sub >= 0)
				status = visit(s, h, g, sub, pathlen + 1 + len, depth);
			if (transient)
				close_fd(sub);
			s->path[pathlen] = '\0';
		}
	}
	return status;
}

/* ---- naming and publishing ------------------------------------------------ */

static const char *last_component(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static void cg_finish(struct cgroup_state *s, struct cg *g, double now)
{
	struct vitals_entity *e = &g->e;
	const struct docker_entry *d = NULL;
	double dt = s->c->dt;

	if (g->prev_gen + 1 != s->gen || g->prev_cpu_src != g->cpu_src)
		g->have_prev_cpu = 0; /* not in the last sample, or another counter: no rate yet */

	e->name = last_component(g->path);
	e->attr[VITALS_CG_ATTR_RUNTIME] = g->ct.runtime;
	if (g->ct.id[0]) {
		e->attr[VITALS_CG_ATTR_CONTAINER_ID] = g->ct.id;
		if (s->docker)
			d = docker_client_lookup(s->docker, g->ct.id, now);
		if (d) {
			/* copied: the cache is replaced on its next refresh */
			snprintf(g->name_buf, sizeof(g->name_buf), "%s", d->name);
			snprintf(g->image_buf, sizeof(g->image_buf), "%s", d->image);
			g->named = 1;
		}
		if (g->named) {
			e->attr[VITALS_CG_ATTR_IMAGE] = g->image_buf[0] ? g->image_buf : NULL;
			if (g->name_buf[0]) {
				e->attr[VITALS_CG_ATTR_CONTAINER] = g->name_buf;
				e->name = g->name_buf;
			}
		}
	}
	if (!e->attr[VITALS_CG_ATTR_CONTAINER] && g->ct.label[0]) {
		e->attr[VITALS_CG_ATTR_CONTAINER] = g->ct.label;
		e->name = g->ct.label;
	}
	e->attr[VITALS_CG_ATTR_HIERARCHY] =
	    g->hiers == CTL_V2 ? "v2" : (g->hiers & CTL_V2 ? "v1+v2" : "v1");
	entity_set(e, VITALS_CG_PROCESSES, (double)g->nprocs);

	entity_rate(e, VITALS_CG_CPU_PERCENT, g->have_prev_cpu && g->have_cpu, g->prev_cpu_ns,
	            g->cpu_ns, dt, 100.0 / 1e9);
	g->prev_gen = s->gen;
	g->have_prev_cpu = g->have_cpu;
	g->prev_cpu_ns = g->cpu_ns;
	g->prev_cpu_src = g->cpu_src;
	if (s->walking) {
		g->slow_gen = s->gen;
		g->slow_have_mem = entity_has(e, VITALS_CG_MEM_CURRENT);
		g->slow_mem = e->v[VITALS_CG_MEM_CURRENT];
	}
	if (g->quiet_gen != s->gen) {
		g->fast_known = 1;
		g->fast_have_cpu = g->have_cpu;
		g->fast_valid = e->valid & FAST_METRICS;
		memcpy(g->fast_v, e->v, sizeof(g->fast_v));
	}

	/*
	 * I/O is read at listings: its rates are over the time since the
	 * listing before (when the group was read then), and both are repeated
	 * until the next listing.
	 */
	if (g->have_io) {
		double io_dt = s->c->mono - g->io_mono;

		g->io_rates = g->io_listing && g->io_listing + 1 == s->listings &&
		              g->rd >= g->prev_rd && g->wr >= g->prev_wr && io_dt > 0;
		if (g->io_rates) {
			g->io_rrate = (double)(g->rd - g->prev_rd) / io_dt;
			g->io_wrate = (double)(g->wr - g->prev_wr) / io_dt;
		}
		g->io_listing = s->listings;
		g->io_mono = s->c->mono;
		g->prev_rd = g->rd;
		g->prev_wr = g->wr;
	}
	if (g->io_listing == s->listings) {
		entity_set(e, VITALS_CG_READ_BYTES, (double)g->prev_rd);
		entity_set(e, VITALS_CG_WRITE_BYTES, (double)g->prev_wr);
		if (g->io_rates) {
			entity_set(e, VITALS_CG_READ_BYTES_RATE, g->io_rrate);
			entity_set(e, VITALS_CG_WRITE_BYTES_RATE, g->io_wrate);
		}
	}
}

/*
 * The controllers a v2 root offers (its cgroup.controllers), as CTL_*
 * bits; all of them when it cannot be read.
 */
static unsigned v2_controllers(struct cgroup_state *s, int rootfd)
{
	unsigned ctl = 0;
	ssize_t n = read_small_at(rootfd, "cgroup.controllers", s->buf, sizeof(s->buf));

	if (n < 0)
		return CTL_MEM | CTL_BLKIO | CTL_PIDS | CTL_CPU;
	for (char *save = NULL, *t = strtok_r(s->buf, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save)) {
		if (strcmp(t, "memory") == 0)
			ctl |= CTL_MEM;
		else if (strcmp(t, "io") == 0)
			ctl |= CTL_BLKIO;
		else if (strcmp(t, "pids") == 0)
			ctl |= CTL_PIDS;
		else if (strcmp(t, "cpu") == 0)
			ctl |= CTL_CPU;
	}
	return ctl;
}

/* CPU seconds of the reaped children of process entity E (0 when unknown). */
static double children_cpu(const struct vitals_entity *e)
{
	double t = 0;

	if (entity_has(e, VITALS_PROC_CHILDREN_USER))
		t += e->v[VITALS_PROC_CHILDREN_USER];
	if (entity_has(e, VITALS_PROC_CHILDREN_SYSTEM))
		t += e->v[VITALS_PROC_CHILDREN_SYSTEM];
	return t;
}

/* The group of G's parent directory; NULL for the root. */
static struct cg *cg_parent(struct cgroup_state *s, const struct cg *g)
{
	const char *slash = strrchr(g->path, '/');
	size_t n;

	if (!slash || g->path[1] == '\0')
		return NULL;
	n = slash == g->path ? 1 : (size_t)(slash - g->path);
	if (n >= sizeof(s->path))
		return NULL;
	memcpy(s->path, g->path, n);
	s->path[n] = '\0';
	return cg_lookup(s, s->path);
}

/*
 * Between listings, from the process source's sample: which groups hold a
 * known process, and which hold one that ran since the last sample (its
 * CPU time moved, by /proc/PID/stat, or a child of it was reaped), or one
 * new since the listing, whose group its /proc/PID/cgroup gives. A group
 * counts its descendants (as the kernel's counters do), so a running
 * process makes its group and all above active.
 */
static void cg_mark_active(struct cgroup_state *s)
{
	const struct vitals_collector *c = s->c;

	for (size_t i = 0; c->process_state && i < c->all_processes.count; i++) {
		struct vitals_entity *e = (struct vitals_entity *)c->all_processes.items[i];
		struct proc_cgroup *pc = process_cgroup(e);
		struct cg *g, *nearest = NULL;
		int ran = 0;

		/*
		 * A process started since the listing, its group read again each
		 * sample until the next: a new process often moves itself to its
		 * group after the fork (systemd, container runtimes).
		 */
		if (pc->listing != s->listings || pc->young) {
			if (pc->listing != s->listings)
				pc->young = 2; /* new since the listing */
			pc->group = cg_of_new_process(s, e, &nearest);
			pc->listing = s->listings;
			ran = 1;
		}
		g = (struct cg *)pc->group;
		if (g)
			g->mapped_gen = s->gen;
		else
			g = nearest; /* in a group made since the listing: the ones above it ran */
		if (!g)
			continue;
		if (!entity_has(e, VITALS_PROC_CPU_PERCENT) || e->v[VITALS_PROC_CPU_PERCENT] > 0 ||
		    children_cpu(e) != pc->children)
			ran = 1;
		for (; ran && g && g->active_gen != s->gen; g = g->parent)
			g->active_gen = s->gen;
	}
}

/* Note the groups of the last listing that were active, or could not be judged, this sample. */
static void cg_mark_moved(struct cgroup_state *s)
{
	for (size_t i = 0; i < s->norder; i++) {
		struct cg *g = s->order[i].g;

		if (g->mapped_gen != s->gen || g->active_gen == s->gen)
			g->moved_gen = s->gen;
	}
}

/* Whether G can be left unread this sample: its processes are known and none ran. */
static int cg_quiet(const struct cgroup_state *s, const struct cg *g)
{
	return s->kernel_counters && s->c->process_state && g->fast_known &&
	       g->prev_gen + 1 == s->gen && g->mapped_gen == s->gen && g->active_gen != s->gen;
}

/* G, left unread this sample, with the values of its last reading. */
static int cg_carry(struct cgroup_state *s, struct cg *g)
{
	uint64_t fast = g->fast_valid;

	if (cg_begin(s, g) < 0)
		return VITALS_E_NOMEM;
	g->quiet_gen = s->gen;
	for (int i = 0; fast; i++, fast >>= 1)
		if (fast & 1)
			entity_set(&g->e, i, g->fast_v[i]);
	g->have_cpu = g->fast_have_cpu;
	g->cpu_src = g->prev_cpu_src;
	/* at a listing, I/O counters and rates are repeated; the next rate spans both */
	if (s->walking && g->io_listing && g->io_listing + 1 == s->listings)
		g->io_listing = s->listings;
	return VITALS_OK;
}

/*
 * Whether G's memory in use is what it was at its last reading (read
 * again: what a process does without running a whole clock tick, such as
 * touching a few pages, shows there).
 */
static int cg_mem_same(struct cgroup_state *s, struct cg *g)
{
	int h = g->mem_h;
	uint64_t v = 0;

	if (h < 0)
		return !(g->fast_valid & BIT(VITALS_CG_MEM_CURRENT));
	if (g->dirfd[h] < 0 || !(g->fast_valid & BIT(VITALS_CG_MEM_CURRENT)) ||
	    read_file(s, g, h, g->dirfd[h],
	              s->hier[h].ctl & CTL_V2 ? CGF_MEM_CURRENT : CGF_V1_USAGE) < 0 ||
	    cg_value_parse(s->buf, &v) != 0)
		return 0;
	return g->fast_v[VITALS_CG_MEM_CURRENT] == (double)v;
}

/*
 * At a listing, before the walk: the groups of the last listing that are
 * carried over instead of read (skip_gen), because none of their processes
 * ran since it and their last reading is recent enough; their processes
 * keep their group (kept) unless it is gone.
 */
static void cg_plan_quiet(struct cgroup_state *s)
{
	for (size_t i = 0; i < s->norder; i++) {
		struct cg *g = s->order[i].g;

		if (g->skip_gen == s->gen || g == s->root_group || !cg_quiet(s, g) ||
		    g->slow_gen != s->walk_gen || g->moved_gen >= g->slow_gen ||
		    g->read_listing + QUIET_RELIST <= s->listings + 1 || !cg_mem_same(s, g))
			continue;
		g->skip_gen = s->gen;
		s->carried++;
	}
	for (size_t i = 0; s->carried && i < s->c->all_processes.count; i++) {
		struct vitals_entity *e = (struct vitals_entity *)s->c->all_processes.items[i];
		struct proc_cgroup *pc = process_cgroup(e);

		if (pc->group && pc->listing == s->listings &&
		    ((const struct cg *)pc->group)->skip_gen == s->gen)
			pc->kept = s->listings + 1;
	}
}

/* After the walk: the kept processes whose group is still there keep it. */
static void cg_keep_carried(struct cgroup_state *s)
{
	for (size_t i = 0; s->c->process_state && i < s->c->all_processes.count; i++) {
		struct vitals_entity *e = (struct vitals_entity *)s->c->all_processes.items[i];
		struct proc_cgroup *pc = process_cgroup(e);

		if (pc->kept != s->listings || pc->listing == s->listings)
			continue;
		if (((const struct cg *)pc->group)->gen == s->gen)
			pc->listing = s->listings;
		else
			pc->group = NULL;
	}
}

static int cgroup_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct cgroup_state *s = state;
	double now = clock_mono_seconds();
	int status = VITALS_OK;

	s->now = now;
	s->gen++;
	s->nlive = 0;
	s->dirs = 0;
	s->walking =
	    s->gen - s->walk_gen >= WALK_EVERY || now - s->walk_mono >= WALK_SECONDS || s->gen == 1;
	if (s->walking) {
		/* what ran since the last sample, by the groups of the last listing */
		cg_mark_active(s);
		cg_mark_moved(s);
		s->carried = 0;
		if (s->root_group && s->c->process_state)
			cg_plan_quiet(s);
		/* every directory of every hierarchy: groups made or removed since are found */
		s->truncated = 0;
		s->norder = 0;
		s->prev_walk_gen = s->walk_gen;
		s->walk_gen = s->gen;
		s->walk_mono = now;
		s->listings++;
		s->psi_zero = 0;
		for (size_t i = 0; i < s->nhier; i++)
			if (s->hier[i].ctl & CTL_V2)
				s->hier[i].v2_ctl = v2_controllers(s, s->hier[i].fd);
		s->root_group = cg_get(s, "/");
		if (!s->root_group)
			return VITALS_E_NOMEM;
		for (size_t i = 0; i < s->nhier && status == VITALS_OK; i++) {
			s->path[0] = '\0';
			status = visit(s, &s->hier[i], s->root_group, s->hier[i].fd, 0, 0);
		}
	} else {
		/* the groups of the last walk that held processes, through their held descriptors
		 */
		cg_mark_active(s);
		cg_mark_moved(s);
		for (size_t i = 0; i < s->norder && status == VITALS_OK; i++) {
			const struct visit_item *it = &s->order[i];
			int fd = it->dirfd;

			if (cg_quiet(s, it->g)) {
				if (it->g->procs_gen != s->gen && cg_carry(s, it->g) < 0)
					return VITALS_E_NOMEM;
				continue;
			}
			if (fd < 0)
				fd = open_at(s->hier[it->hidx].fd, it->g->path + 1,
				             O_DIRECTORY | O_NOFOLLOW);
			if (fd >= 0)
				status = visit(s, &s->hier[it->hidx], it->g, fd, 0, 1);
			if (fd >= 0 && it->dirfd < 0)
				close_fd(fd);
		}
	}
	if (status != VITALS_OK)
		return status;
	if (s->walking) {
		/* only the directories of groups holding processes are read until the next walk */
		size_t n = 0;

		for (size_t i = 0; i < s->norder; i++) {
			struct cg *g = s->order[i].g;
			int h = s->order[i].hidx;

			if (g->procs_gen != s->gen)
				continue;
			g->cpu_h = g->cpu_src;
			if (h == g->cpu_h || h == g->mem_h ||
			    (g->cpu_h < 0 && g->mem_h < 0 && h == g->first_h))
				s->order[n++] = s->order[i];
		}
		s->norder = n;
	}
	if (s->walking && s->carried)
		cg_keep_carried(s);
	/* forget groups whose directory is gone; the rest stay for their counters */
	for (size_t b = 0; s->walking && b < s->nbuckets; b++) {
		struct cg **pp = &s->hash[b];

		while (*pp) {
			struct cg *g = *pp;

			if (g->gen != s->gen) {
				*pp = g->hnext;
				cg_free(s, g);
				s->count--;
				continue;
			}
			pp = &g->hnext;
		}
	}
	for (size_t b = 0; s->walking && b < s->nbuckets; b++)
		for (struct cg *g = s->hash[b]; g; g = g->hnext)
			g->parent = cg_parent(s, g);
	for (size_t i = 0; i < s->nlive; i++) {
		struct cg *g = s->live[i];

		if (g->stale && !s->walking)
			continue; /* removed since the walk (its files stopped reading) */
		cg_finish(s, g, now);
		if (collector_publish(c, VITALS_KIND_CGROUP, &g->e) < 0)
			return VITALS_E_NOMEM;
	}
	/* each process's group and container, now that the groups are named */
	for (size_t i = 0; c->process_state && i < c->all_processes.count; i++) {
		struct vitals_entity *e = (struct vitals_entity *)c->all_processes.items[i];
		struct proc_cgroup *pc = process_cgroup(e);
		const struct cg *g;

		if (pc->listing != s->listings) {
			/* at a walk: in no group's list; in between: started since the walk */
			struct cg *nearest;

			pc->group = s->walking ? NULL : cg_of_new_process(s, e, &nearest);
			pc->listing = s->listings;
		}
		pc->children = children_cpu(e);
		g = pc->group;
		e->attr[VITALS_PROC_ATTR_CGROUP] = g ? g->path : NULL;
		e->attr[VITALS_PROC_ATTR_CONTAINER] = g ? cg_container_label(g) : NULL;
	}
	if (s->truncated)
		snprintf(reason, len, "more than %d groups or directories: some were skipped",
		         CG_MAX);
	return VITALS_OK;
}

/* ---- set up ---------------------------------------------------------------- */

static unsigned v1_controllers(const char *name)
{
	unsigned ctl = 0;
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", name);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "memory") == 0)
			ctl |= CTL_MEM;
		else if (strcmp(t, "cpu") == 0)
			ctl |= CTL_CPU;
		else if (strcmp(t, "cpuacct") == 0)
			ctl |= CTL_CPUACCT;
		else if (strcmp(t, "blkio") == 0)
			ctl |= CTL_BLKIO;
		else if (strcmp(t, "pids") == 0)
			ctl |= CTL_PIDS;
	}
	return ctl;
}

/* Rank of a hierarchy in the walk: v2, then memory, cpu, pids, blkio. */
static int hier_rank(unsigned ctl)
{
	if (ctl & CTL_V2)
		return 0;
	if (ctl & CTL_MEM)
		return 1;
	if (ctl & (CTL_CPU | CTL_CPUACCT))
		return 2;
	if (ctl & CTL_PIDS)
		return 3;
	return 4;
}

static int hier_add(struct cgroup_state *s, int fd, unsigned ctl, const char *name)
{
	size_t i;

	if (s->nhier == HIER_MAX) {
		close_fd(fd);
		return 0;
	}
	for (i = s->nhier; i > 0 && hier_rank(s->hier[i - 1].ctl) > hier_rank(ctl); i--)
		s->hier[i] = s->hier[i - 1];
	s->hier[i].fd = fd;
	s->hier[i].ctl = ctl;
	snprintf(s->hier[i].name, sizeof(s->hier[i].name), "%.63s", name);
	s->nhier++;
	return 0;
}

static void cgroup_release(void *state)
{
	struct cgroup_state *s = state;

	if (!s)
		return;
	for (size_t i = 0; i < s->nhier; i++)
		close_fd(s->hier[i].fd);
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct cg *g = s->hash[b], *next;

		for (; g; g = next) {
			next = g->hnext;
			cg_free(s, g);
		}
	}
	free(s->hash);
	free(s->live);
	free(s->order);
	vbuf_release(&s->procs);
	docker_client_free(s->docker);
	close_fd(s->root_fd);
	free(s);
}

int cgroup_fd_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 8 > CG_FDS_MAX)
		return CG_FDS_MAX;
	return (int)(rl.rlim_cur / 8);
}

static int cgroup_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct cgroup_state *s = calloc(1, sizeof(*s));
	const char *root = c->opts.cgroup_root;
	struct dirent *d;
	DIR *dir;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	if (!s)
		return VITALS_E_NOMEM;
	s->c = c;
	s->root_fd = -1;
	if (root)
		snprintf(s->root, sizeof(s->root), "%s", root);
	else
		snprintf(s->root, sizeof(s->root), "%s/fs/cgroup", c->sys_root);
	s->fd_budget = c->fds_reserved;
	s->nbuckets = 256;
	s->hash = calloc(s->nbuckets, sizeof(*s->hash));
	if (!s->hash || vbuf_init(&s->procs, 4096, PROCS_MAX) < 0)
		goto out_free;
	if (!c->opts.docker_socket || *c->opts.docker_socket) {
		s->docker = docker_client_new(c->opts.docker_socket);
		if (!s->docker)
			goto out_free;
	}

	status = VITALS_E_UNSUPPORTED;
	s->root_fd = open_at(AT_FDCWD, s->root, O_DIRECTORY);
	if (s->root_fd < 0) {
		snprintf(reason, len, "no cgroup file system at %s: %s", s->root, strerror(errno));
		goto out_free;
	}
	if (faccessat(s->root_fd, "cgroup.controllers", F_OK, 0) == 0) {
		int fd = dup(s->root_fd);

		if (fd >= 0)
			hier_add(s, fd, CTL_V2, "");
	} else {
		int dfd = dup(s->root_fd);

		dir = dfd >= 0 ? fdopendir(dfd) : NULL;
		if (!dir) {
			close_fd(dfd);
			snprintf(reason, len, "cannot list %s: %s", s->root, strerror(errno));
			goto out_free;
		}
		while ((d = readdir(dir))) {
			unsigned ctl;
			int fd;

			if (d->d_name[0] == '.')
				continue;
			fd = open_at(s->root_fd, d->d_name, O_DIRECTORY | O_NOFOLLOW);
			if (fd < 0)
				continue;
			if (faccessat(fd, "cgroup.controllers", F_OK, 0) == 0)
				ctl = CTL_V2;
			else if (faccessat(fd, "cgroup.procs", F_OK, 0) == 0)
				ctl = v1_controllers(d->d_name);
			else
				ctl = 0;
			if (ctl)
				hier_add(s, fd, ctl, d->d_name);
			else
				close_fd(fd);
		}
		closedir(dir);
	}
	if (!s->nhier) {
		snprintf(reason, len, "no cgroup hierarchy under %s", s->root);
		goto out_free;
	}
	s->kernel_counters = 1;
	for (size_t i = 0; i < s->nhier && !cgroup_trust_fixture; i++) {
		struct statfs sfs;

		if (fstatfs(s->hier[i].fd, &sfs) != 0 ||
		    (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
			s->kernel_counters = 0;
	}
	*state = s;
	return VITALS_OK;
out_free:
	cgroup_release(s);
	return status;
}

const struct source_ops source_cgroup = {
    .name = "cgroup",
    .kind = VITALS_KIND_CGROUP,
    .init = cgroup_init,
    .sample = cgroup_sample,
    .release = cgroup_release,
};
