/*
 * Inside the collector: the entity layout, the source interface and the
 * collector object every source reads its settings from.
 *
 * A source is one file in src/collect/ (stat.c, memory.c, process.c...).
 * It owns its entities and whatever it keeps between samples (open files,
 * previous counters); at each sample it fills its entities and publishes
 * pointers to them with collector_publish(). Nothing is allocated per
 * entity per sample once the machine is steady: lists and pools only grow.
 *
 * Parsing is split from reading: each source exposes a pure function over
 * a buffer of kernel text (declared in sysparse.h and procparse.h) that unit tests and fuzz
 * targets call directly.
 */
#ifndef VITALS_COLLECT_INTERNAL_H
#define VITALS_COLLECT_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <sys/types.h>
#include <vitals/collector.h>

#include "util/fileio.h"

#define VITALS_METRIC_MAX 64
#define VITALS_ATTR_MAX   8

struct vitals_entity {
	uint8_t kind;                      /* enum vitals_kind */
	uint8_t in_scope;                  /* processes: inside the collector's scope */
	uint64_t valid;                    /* bit I set: v[I] is known */
	const char *id;                    /* never NULL once published */
	const char *name;                  /* never NULL once published */
	const char *attr[VITALS_ATTR_MAX]; /* NULL: missing */
	double v[VITALS_METRIC_MAX];
};

/* Mark every metric missing and every attribute absent; keep kind, id and name. */
static inline void entity_clear(struct vitals_entity *e)
{
	e->valid = 0;
	for (int i = 0; i < VITALS_ATTR_MAX; i++)
		e->attr[i] = NULL;
}

static inline void entity_set(struct vitals_entity *e, int i, double v)
{
	e->v[i] = v;
	e->valid |= (uint64_t)1 << i;
}

static inline void entity_unset(struct vitals_entity *e, int i)
{
	e->valid &= ~((uint64_t)1 << i);
}

static inline int entity_has(const struct vitals_entity *e, int i)
{
	return (e->valid >> i) & 1;
}

/*
 * Set metric I to (CUR - PREV) * SCALE / DT when the previous reading is
 * known, the counter did not go backwards and time advanced; otherwise
 * leave it missing.
 */
static inline void entity_rate(struct vitals_entity *e, int i, int have_prev, uint64_t prev,
                               uint64_t cur, double dt, double scale)
{
	if (!have_prev || cur < prev || !(dt > 0)) {
		entity_unset(e, i);
		return;
	}
	entity_set(e, i, (double)(cur - prev) * scale / dt);
}

struct vitals_collector;

struct source_ops {
	const char *name;
	enum vitals_kind kind; /* whose status vitals_collector_source_status() reports */
	/*
	 * Set up: open files that stay open, read what never changes. Return
	 * VITALS_OK, or a failure with a sentence in REASON: the source is then
	 * absent and never sampled. On success *STATE must be non-NULL.
	 */
	int (*init)(struct vitals_collector *c, void **state, char *reason, size_t reasonlen);
	/*
	 * Take one reading and publish entities. A failure here marks the
	 * source's metrics missing for this sample, with a reason, and the
	 * sample goes on; only VITALS_E_NOMEM stops the whole sample.
	 */
	int (*sample)(struct vitals_collector *c, void *state, char *reason, size_t reasonlen);
	void (*release)(void *state);
};

struct source {
	const struct source_ops *ops;
	void *state;
	int status;
	char reason[200];
};

/* Pointers to the published entities of one kind, in publish order. */
struct entity_list {
	const struct vitals_entity **items;
	size_t count;
	size_t cap;
};

#define VITALS_SOURCE_MAX 16

struct vitals_collector {
	struct vitals_collector_options opts; /* strings point to the copies below */
	char *proc_root;
	char *sys_root;
	char *cgroup_root;   /* NULL: sys_root/fs/cgroup */
	char *docker_socket; /* NULL: the usual sockets; "": none */
	char *match;         /* scope.match, lower-cased */
	int proc_fd;         /* O_DIRECTORY descriptor of proc_root */
	int sys_fd;          /* O_DIRECTORY descriptor of sys_root, or -1 */
	int proc_is_procfs;  /* proc_root is a real procfs (not a fixture tree) */

	/* Facts read once. */
	long page_size;
	long clock_ticks; /* USER_HZ */
	int64_t boot_time_us;
	int ncpu;
	char hostname[256];
	char kernel[256];
	char boot_id[64];

	/* Time of the current and previous sample. */
	uint64_t samples;
	int64_t time_us; /* CLOCK_REALTIME, UTC microseconds */
	double mono;     /* CLOCK_MONOTONIC seconds */
	double prev_mono;
	double dt; /* seconds since the previous sample; 0 on the first */

	/* Descriptors the process source leaves to the cgroup source (cgroup_fd_budget()). */
	int fds_reserved;

	/* Filled by the memory source for the process source: swap in use now. */
	int swap_in_use;

	struct vitals_entity system; /* written by several sources */

	struct source sources[VITALS_SOURCE_MAX];
	size_t nsources;

	struct entity_list lists[VITALS_KIND_COUNT];
	struct entity_list all_processes; /* in scope or not */
	void *process_state;              /* the process source's state, for lookups by pid */

	char errmsg[256];
};

/* Append E to KIND's list of the current sample. VITALS_OK or VITALS_E_NOMEM. */
int collector_publish(struct vitals_collector *c, enum vitals_kind kind,
                      const struct vitals_entity *e);
int entity_list_push(struct entity_list *l, const struct vitals_entity *e);

/* printf into the collector's error message. Returns STATUS. */
int collector_error(struct vitals_collector *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The sources, in the order they run (sources.c). */
extern const struct source_ops source_system;
extern const struct source_ops source_stat;
extern const struct source_ops source_memory;
extern const struct source_ops source_psi;
extern const struct source_ops source_disk;
extern const struct source_ops source_net;
extern const struct source_ops source_fs;
extern const struct source_ops source_process;
extern const struct source_ops source_cgroup; /* after process: it maps processes to groups */
extern const struct source_ops source_gpu;    /* after process: it adds their GPU memory */

/* Descriptors the cgroup source may hold, from the soft limit (cgroup.c). */
int cgroup_fd_budget(void);

/* Process lookups for vitals_collector_process() (process.c). */
const struct vitals_entity *process_find(const void *state, pid_t pid);

/*
 * What the cgroup source remembers of a process between samples: its group
 * and the listing of the groups that said so. Zero for a new process (a
 * reused pid is a new process), so a process is never taken for another.
 */
struct proc_cgroup {
	const void *group; /* the cgroup source's; NULL: no known group */
	unsigned listing;  /* the cgroup source's listing it is of; 0: never */
	double children;   /* CPU seconds of its reaped children when last seen */
	int young; /* its group is read again each sample: 2 new since the listing, 1 since the one
	            * before */
	unsigned kept; /* the listing that carried its group over without listing it */
};

/*
 * Tests: a cgroup tree of plain files is trusted as a cgroup file system
 * (whose counters move only when the group's processes run), so that the
 * carrying over of quiet groups can be tested on fixtures. 0 otherwise.
 */
extern int cgroup_trust_fixture;

/* That of process entity E (one the process source published). */
struct proc_cgroup *process_cgroup(struct vitals_entity *e);

/*
 * Read /proc/PID/NAME of process entity E into BUF (NUL-terminated).
 * Bytes read, or -errno.
 */
ssize_t process_read_file(const void *state, const struct vitals_entity *e, const char *name,
                          char *buf, size_t cap);

#endif
