/*
 * The collector: one object that reads what the machine and its processes
 * consume, one sample at a time.
 *
 * A sample is a set of entities, each of a kind (the system, one CPU, one
 * disk, one process...). Every entity has an id, a name, a few text
 * attributes and a row of numeric metrics; the metrics of a kind are
 * described by a table (vitals_metric_list) so that writers of traces, JSON
 * and Prometheus output need no per-field code.
 *
 * A metric that could not be read, or cannot be known yet, is missing: its
 * accessor returns VITALS_E_MISSING. It is never reported as 0 or negative.
 * Rates (per second, percentages of time) come from the difference between
 * two samples, so every rate is missing in the first sample, and a counter
 * that went backwards gives a missing rate.
 *
 * A collector is not shared between threads; two collectors on two threads
 * are independent (the library keeps no global state).
 *
 * Lifetime: entities returned by the accessors stay valid until the next
 * vitals_collector_sample() or vitals_collector_free() on that collector.
 */
#ifndef VITALS_COLLECTOR_H
#define VITALS_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vitals/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What an entity is. The names ("system", "cpu", ...) are the trace's `kind` column. */
enum vitals_kind {
	VITALS_KIND_SYSTEM = 0, /* one entity: memory, load, uptime, context switches... */
	VITALS_KIND_CPU,        /* "total" then one per core: time by state, in percent */
	VITALS_KIND_PSI,        /* pressure stall information: cpu, io, memory, irq */
	VITALS_KIND_DISK,       /* one per block device (whole disks by default) */
	VITALS_KIND_NET,        /* one per network interface */
	VITALS_KIND_FS,         /* one per real mounted filesystem */
	VITALS_KIND_PROCESS,    /* one per process in scope */
	VITALS_KIND_GPU,        /* one per NVIDIA GPU (NVML) */
	VITALS_KIND_CGROUP,     /* one per control group that holds processes */
	VITALS_KIND_GAUGE,      /* a named value logged by a program about itself */
	VITALS_KIND_EVENT,      /* a label: a timestamp and a text */
	VITALS_KIND_COUNT
};

/* The lower-case name of a kind ("process"), or NULL when out of range. */
VITALS_API const char *vitals_kind_name(enum vitals_kind kind);
/* The kind called NAME, or -1. */
VITALS_API int vitals_kind_from_name(const char *name);

enum vitals_metric_type {
	VITALS_METRIC_INT = 0, /* an exact integer (counts, bytes, pids, UTC microseconds) */
	VITALS_METRIC_REAL,    /* a real number (percentages, rates, seconds) */
};

enum vitals_metric_flag {
	VITALS_METRIC_GAUGE = 0,        /* a level that goes up and down */
	VITALS_METRIC_COUNTER = 1 << 0, /* a cumulative count since boot or process start */
	VITALS_METRIC_RATE = 1 << 1,    /* derived from two samples: missing in the first */
	VITALS_METRIC_IDENTITY = 1 << 2 /* identifies the entity (pid, start time) */
};

/* How one metric column is named and what it means. */
struct vitals_metric {
	const char *name; /* snake_case, with the unit in it: "rss_bytes", "cpu_percent" */
	const char *unit; /* "bytes", "percent", "seconds", "per_second", "count", "microseconds" */
	const char *help; /* one sentence */
	enum vitals_metric_type type;
	unsigned flags; /* enum vitals_metric_flag */
};

/*
 * The metric table of KIND, in column order; *count receives its length.
 * The index of a metric in this table is what vitals_entity_value() takes;
 * the enums below name those indexes for the built-in kinds.
 */
VITALS_API const struct vitals_metric *vitals_metric_list(enum vitals_kind kind, size_t *count);
/* The index of the metric called NAME in KIND's table, or -1. */
VITALS_API int vitals_metric_find(enum vitals_kind kind, const char *name);
/* The names of KIND's text attributes ("cmdline", "user"...); *count receives their number. */
VITALS_API const char *const *vitals_attr_list(enum vitals_kind kind, size_t *count);

enum vitals_system_metric {
	VITALS_SYS_UPTIME = 0,
	VITALS_SYS_LOAD1,
	VITALS_SYS_LOAD5,
	VITALS_SYS_LOAD15,
	VITALS_SYS_MEM_TOTAL,
	VITALS_SYS_MEM_AVAILABLE,
	VITALS_SYS_MEM_USED,
	VITALS_SYS_MEM_FREE,
	VITALS_SYS_MEM_BUFFERS,
	VITALS_SYS_MEM_CACHED,
	VITALS_SYS_MEM_SHARED,
	VITALS_SYS_SWAP_TOTAL,
	VITALS_SYS_SWAP_USED,
	VITALS_SYS_SWAP_FREE,
	VITALS_SYS_SWAP_IN_RATE,
	VITALS_SYS_SWAP_OUT_RATE,
	VITALS_SYS_PGFAULT_RATE,
	VITALS_SYS_PGMAJFAULT_RATE,
	VITALS_SYS_CTXT_RATE,
	VITALS_SYS_FORKS_RATE,
	VITALS_SYS_PROCS_RUNNING,
	VITALS_SYS_PROCS_BLOCKED,
	VITALS_SYS_PROCESSES,
	VITALS_SYS_THREADS,
	VITALS_SYS_CPU_COUNT,
	VITALS_SYS_METRIC_COUNT
};

/* Entity ids of the cpu kind: "total", then "0", "1", ... by core number. */
enum vitals_cpu_metric {
	VITALS_CPU_USER = 0,
	VITALS_CPU_NICE,
	VITALS_CPU_SYSTEM,
	VITALS_CPU_IDLE,
	VITALS_CPU_IOWAIT,
	VITALS_CPU_IRQ,
	VITALS_CPU_SOFTIRQ,
	VITALS_CPU_STEAL,
	VITALS_CPU_BUSY, /* 100 - idle - iowait */
	VITALS_CPU_METRIC_COUNT
};

/* Entity ids of the psi kind: "cpu", "io", "memory", "irq" (as the kernel offers). */
enum vitals_psi_metric {
	VITALS_PSI_SOME_AVG10 = 0,
	VITALS_PSI_SOME_AVG60,
	VITALS_PSI_SOME_AVG300,
	VITALS_PSI_SOME_STALL, /* percent of the last interval with some task stalled */
	VITALS_PSI_FULL_AVG10,
	VITALS_PSI_FULL_AVG60,
	VITALS_PSI_FULL_AVG300,
	VITALS_PSI_FULL_STALL,
	VITALS_PSI_METRIC_COUNT
};

enum vitals_disk_metric {
	VITALS_DISK_READ_BYTES = 0,
	VITALS_DISK_WRITE_BYTES,
	VITALS_DISK_READ_OPS,
	VITALS_DISK_WRITE_OPS,
	VITALS_DISK_READ_BYTES_RATE,
	VITALS_DISK_WRITE_BYTES_RATE,
	VITALS_DISK_READ_OPS_RATE,
	VITALS_DISK_WRITE_OPS_RATE,
	VITALS_DISK_BUSY,
	VITALS_DISK_READ_AWAIT,
	VITALS_DISK_WRITE_AWAIT,
	VITALS_DISK_IN_FLIGHT,
	VITALS_DISK_METRIC_COUNT
};

enum vitals_net_metric {
	VITALS_NET_RX_BYTES = 0,
	VITALS_NET_TX_BYTES,
	VITALS_NET_RX_BYTES_RATE,
	VITALS_NET_TX_BYTES_RATE,
	VITALS_NET_RX_PACKETS_RATE,
	VITALS_NET_TX_PACKETS_RATE,
	VITALS_NET_RX_ERRORS,
	VITALS_NET_TX_ERRORS,
	VITALS_NET_RX_DROPS,
	VITALS_NET_TX_DROPS,
	VITALS_NET_RX_ERRORS_RATE,
	VITALS_NET_TX_ERRORS_RATE,
	VITALS_NET_RX_DROPS_RATE,
	VITALS_NET_TX_DROPS_RATE,
	VITALS_NET_METRIC_COUNT
};

/* Entity id of the fs kind: the mount point; name: the device; attribute: fstype. */
enum vitals_fs_metric {
	VITALS_FS_TOTAL = 0,
	VITALS_FS_USED,
	VITALS_FS_AVAILABLE, /* free to unprivileged users */
	VITALS_FS_USED_PERCENT,
	VITALS_FS_INODES_TOTAL,
	VITALS_FS_INODES_USED,
	VITALS_FS_METRIC_COUNT
};
enum vitals_fs_attr { VITALS_FS_ATTR_FSTYPE = 0, VITALS_FS_ATTR_COUNT };

/* Entity id of the process kind: the pid in decimal; name: the kernel's comm. */
enum vitals_process_metric {
	VITALS_PROC_PID = 0,
	VITALS_PROC_PPID,
	VITALS_PROC_START_TIME, /* UTC microseconds; (pid, start_time) is the identity */
	VITALS_PROC_UID,
	VITALS_PROC_NICE,
	VITALS_PROC_THREADS,
	VITALS_PROC_RSS,
	VITALS_PROC_VMS,
	VITALS_PROC_SHARED,
	VITALS_PROC_SWAP,
	VITALS_PROC_CPU_USER,
	VITALS_PROC_CPU_SYSTEM,
	VITALS_PROC_CPU_PERCENT,
	VITALS_PROC_CHILDREN_USER,
	VITALS_PROC_CHILDREN_SYSTEM,
	VITALS_PROC_MINOR_FAULTS,
	VITALS_PROC_MAJOR_FAULTS,
	VITALS_PROC_MINOR_FAULTS_RATE,
	VITALS_PROC_MAJOR_FAULTS_RATE,
	VITALS_PROC_FDS,
	VITALS_PROC_READ_BYTES,
	VITALS_PROC_WRITE_BYTES,
	VITALS_PROC_READ_BYTES_RATE,
	VITALS_PROC_WRITE_BYTES_RATE,
	VITALS_PROC_GPU_MEMORY, /* GPU memory of the process on every GPU (NVML) */
	VITALS_PROC_GPU_INDEX,  /* the GPU it uses (the lowest index when several) */
	VITALS_PROC_METRIC_COUNT
};
enum vitals_process_attr {
	VITALS_PROC_ATTR_CMDLINE =
	    0,                      /* arguments joined by spaces, bounded; "" for kernel threads */
	VITALS_PROC_ATTR_USER,      /* user name, or the uid in decimal when it has none */
	VITALS_PROC_ATTR_STATE,     /* one letter: R S D Z T t X I */
	VITALS_PROC_ATTR_CGROUP,    /* path of its control group ("/system.slice/x.service") */
	VITALS_PROC_ATTR_CONTAINER, /* its container or service, as the cgroup's "container" */
	VITALS_PROC_ATTR_COUNT
};

/*
 * Entity id of the gpu kind: the NVML index in decimal; name: the product
 * name. Missing when the driver does not report it (fans on passive cards).
 */
enum vitals_gpu_metric {
	VITALS_GPU_INDEX = 0,
	VITALS_GPU_UTIL,     /* percent of time a kernel ran */
	VITALS_GPU_MEM_UTIL, /* percent of time memory was read or written */
	VITALS_GPU_MEM_USED,
	VITALS_GPU_MEM_TOTAL,
	VITALS_GPU_TEMPERATURE,
	VITALS_GPU_POWER,
	VITALS_GPU_POWER_LIMIT,
	VITALS_GPU_CLOCK_GRAPHICS,
	VITALS_GPU_CLOCK_SM,
	VITALS_GPU_CLOCK_MEMORY,
	VITALS_GPU_FAN,
	VITALS_GPU_THROTTLE, /* NVML's clock throttle reason bits */
	VITALS_GPU_PROCESSES,
	VITALS_GPU_METRIC_COUNT
};
enum vitals_gpu_attr {
	VITALS_GPU_ATTR_UUID = 0,
	VITALS_GPU_ATTR_THROTTLE, /* the throttle reasons in words, "," separated; "" for none */
	VITALS_GPU_ATTR_COUNT
};

/*
 * Entity id of the cgroup kind: the path of the group in its hierarchy
 * ("/", "/system.slice/docker-ID.scope"); name: the container's name, the
 * systemd unit, or the last component of the path. Groups of the v1
 * controllers and of the unified (v2) hierarchy with the same path are one
 * entity.
 */
enum vitals_cgroup_metric {
	VITALS_CG_PROCESSES = 0, /* processes directly in the group */
	VITALS_CG_CPU_USAGE,     /* seconds, counter, group and descendants */
	VITALS_CG_CPU_USER,
	VITALS_CG_CPU_SYSTEM,
	VITALS_CG_CPU_PERCENT, /* rate; 100 is one core */
	VITALS_CG_THROTTLED_PERIODS,
	VITALS_CG_THROTTLED_SECONDS,
	VITALS_CG_MEM_CURRENT,
	VITALS_CG_MEM_LIMIT, /* missing when unlimited */
	VITALS_CG_MEM_PEAK,
	VITALS_CG_MEM_ANON,
	VITALS_CG_MEM_FILE,
	VITALS_CG_READ_BYTES,
	VITALS_CG_WRITE_BYTES,
	VITALS_CG_READ_BYTES_RATE,
	VITALS_CG_WRITE_BYTES_RATE,
	VITALS_CG_PIDS_CURRENT,
	VITALS_CG_PIDS_MAX, /* missing when unlimited */
	VITALS_CG_CPU_SOME_AVG10,
	VITALS_CG_MEM_SOME_AVG10,
	VITALS_CG_MEM_FULL_AVG10,
	VITALS_CG_IO_SOME_AVG10,
	VITALS_CG_IO_FULL_AVG10,
	VITALS_CG_METRIC_COUNT
};
enum vitals_cgroup_attr {
	VITALS_CG_ATTR_RUNTIME =
	    0, /* docker, podman, containerd, kubernetes, systemd...; or NULL */
	VITALS_CG_ATTR_CONTAINER_ID, /* the container's full id, when a container */
	VITALS_CG_ATTR_CONTAINER,    /* container name (from the daemon), short id, unit or pod */
	VITALS_CG_ATTR_IMAGE,        /* the container's image, when the daemon said */
	VITALS_CG_ATTR_HIERARCHY,    /* "v2", "v1" or "v1+v2": where the values came from */
	VITALS_CG_ATTR_COUNT
};

/* Which processes a sample reports: the seeds' search depth and log threshold. */
struct vitals_scope {
	pid_t pid; /* root of the subtree; 0 for every process */
	int depth; /* levels below the root to include; -1 for all */
	const char
	    *match; /* substring of the name or command line (case-insensitive); NULL for any */
	uint64_t threshold_kb; /* minimum RSS in KiB; 0 for any */
};

/* Bits of vitals_collector_options.sources: which sources run. */
#define VITALS_SOURCE(kind) (1u << (kind))
#define VITALS_SOURCES_DEFAULT                                                                     \
	(VITALS_SOURCE(VITALS_KIND_SYSTEM) | VITALS_SOURCE(VITALS_KIND_CPU) |                      \
	 VITALS_SOURCE(VITALS_KIND_PSI) | VITALS_SOURCE(VITALS_KIND_DISK) |                        \
	 VITALS_SOURCE(VITALS_KIND_NET) | VITALS_SOURCE(VITALS_KIND_FS) |                          \
	 VITALS_SOURCE(VITALS_KIND_PROCESS) | VITALS_SOURCE(VITALS_KIND_GPU) |                     \
	 VITALS_SOURCE(VITALS_KIND_CGROUP))

struct vitals_collector_options {
	const char *proc_root; /* where procfs is; default "/proc" (tests point it at fixtures) */
	const char *sys_root;  /* where sysfs is; default "/sys" */
	unsigned sources;      /* VITALS_SOURCE() bits; 0 means VITALS_SOURCES_DEFAULT */
	struct vitals_scope scope;
	size_t cmdline_max;  /* bytes of command line kept per process; default 4096 */
	int all_disks;       /* report partitions and unused virtual disks too */
	int all_filesystems; /* report pseudo filesystems (tmpfs, overlay...) too */
	/*
	 * With scope.pid set: read only that process and its descendants (found
	 * through /proc/PID/task/TID/children), not every process of the
	 * machine. The in-process logger samples itself this way. The process
	 * tree and the system's process and thread counts then cover only the
	 * subtree (the counts are left missing).
	 */
	int subtree_only;
	/*
	 * Where the cgroup hierarchies are mounted; default sys_root + "/fs/cgroup".
	 * The layout is found there: a pure v2 tree (cgroup.controllers at the
	 * top), v1 controllers in subdirectories, and a v2 "unified" beside them.
	 */
	const char *cgroup_root;
	/*
	 * The Docker (or Podman) API socket asked for container names and
	 * images. NULL: /var/run/docker.sock, then /run/podman/podman.sock;
	 * "": never ask. No answer means ids without names, not an error.
	 */
	const char *docker_socket;
};

/* Fill OPTS with the defaults: every process, every default source, real /proc and /sys. */
VITALS_API void vitals_collector_options_init(struct vitals_collector_options *opts);

struct vitals_collector;
struct vitals_entity;

/*
 * Create a collector. OPTS may be NULL for the defaults; its strings are
 * copied. Nothing is sampled yet. On failure *out is NULL and, when ERRBUF
 * is not NULL, it receives a message naming what went wrong.
 */
VITALS_API int vitals_collector_new(struct vitals_collector **out,
                                    const struct vitals_collector_options *opts, char *errbuf,
                                    size_t errlen);
VITALS_API void vitals_collector_free(struct vitals_collector *c);

/*
 * Take a sample now. A source that fails (a file the kernel refuses, a
 * device that vanished) leaves its metrics missing and the sample goes on;
 * only a failure of the whole collector (out of memory) is returned.
 */
VITALS_API int vitals_collector_sample(struct vitals_collector *c);

/* The last error message, or "" when none. */
VITALS_API const char *vitals_collector_errmsg(const struct vitals_collector *c);

/* UTC time of the last sample in microseconds since the epoch; 0 before the first. */
VITALS_API int64_t vitals_collector_time(const struct vitals_collector *c);
/* Seconds between the last two samples (monotonic clock); 0 when there is one sample or none. */
VITALS_API double vitals_collector_interval(const struct vitals_collector *c);
/* How many samples this collector took. */
VITALS_API uint64_t vitals_collector_samples(const struct vitals_collector *c);

/*
 * Whether the source of KIND is running: VITALS_OK, or a failure status
 * with *reason set to a sentence ("no /proc/pressure: kernel without PSI").
 */
VITALS_API int vitals_collector_source_status(const struct vitals_collector *c,
                                              enum vitals_kind kind, const char **reason);

/* Number of entities of KIND in the last sample. */
VITALS_API size_t vitals_collector_count(const struct vitals_collector *c, enum vitals_kind kind);
/* The I-th entity of KIND in the last sample, or NULL when out of range. */
VITALS_API const struct vitals_entity *vitals_collector_entity(const struct vitals_collector *c,
                                                               enum vitals_kind kind, size_t i);
/* The process with this pid in the last sample (whether or not in scope), or NULL. */
VITALS_API const struct vitals_entity *vitals_collector_process(const struct vitals_collector *c,
                                                                pid_t pid);
/*
 * Every process seen by the last sample, in scope or not (the tree needs
 * them all). Processes outside the scope carry identity, name, state,
 * threads, RSS and CPU; their other metrics are missing.
 */
VITALS_API size_t vitals_collector_all_processes(const struct vitals_collector *c);
VITALS_API const struct vitals_entity *
vitals_collector_any_process(const struct vitals_collector *c, size_t i);

/* Facts about the machine that do not change while it runs. NULL when unknown. */
VITALS_API const char *vitals_collector_hostname(const struct vitals_collector *c);
VITALS_API const char *vitals_collector_kernel(const struct vitals_collector *c);
VITALS_API const char *vitals_collector_boot_id(const struct vitals_collector *c);
/* UTC microseconds of boot, as the kernel's btime gives it. */
VITALS_API int64_t vitals_collector_boot_time(const struct vitals_collector *c);

VITALS_API enum vitals_kind vitals_entity_kind(const struct vitals_entity *e);
/* Stable id within its kind ("sda", "eth0", "1234"); never NULL. */
VITALS_API const char *vitals_entity_id(const struct vitals_entity *e);
/* Human name ("sda", process comm, fs device); never NULL. */
VITALS_API const char *vitals_entity_name(const struct vitals_entity *e);
/* Text attribute I of the entity's kind, or NULL when missing. */
VITALS_API const char *vitals_entity_attr(const struct vitals_entity *e, size_t i);
/* Whether the process is in the collector's scope (always 1 for other kinds). */
VITALS_API int vitals_entity_in_scope(const struct vitals_entity *e);
/*
 * Metric I of the entity's kind into *out: VITALS_OK, or VITALS_E_MISSING
 * (not known yet, refused by the kernel, counter went backwards), or
 * VITALS_E_INVAL when I is out of range.
 */
VITALS_API int vitals_entity_value(const struct vitals_entity *e, size_t i, double *out);
/* The same for an integer metric, without going through double. */
VITALS_API int vitals_entity_int(const struct vitals_entity *e, size_t i, int64_t *out);

#ifdef __cplusplus
}
#endif

#endif
