/*
 * Pure parsers of the system-wide kernel files (/proc/stat, meminfo,
 * vmstat, loadavg, uptime, pressure/..., diskstats, net/dev, mountinfo,
 * filesystems), used by the system sources and called directly by unit
 * tests and fuzz targets.
 *
 * Each takes a NUL-terminated buffer and never reads past its NUL. A field
 * that is absent or out of range is reported absent (a `have` bit, a
 * count), never as 0. Whole-file parsers return 0, or -1 when the text
 * does not have the expected shape at all. Line iterators (`*_next`)
 * return 1 for a parsed line, 0 for a line they skipped as malformed, and
 * -1 at the end of the buffer; they always advance *P.
 */
#ifndef VITALS_COLLECT_SYSPARSE_H
#define VITALS_COLLECT_SYSPARSE_H

#include <stddef.h>
#include <stdint.h>

/* ---- /proc/stat --------------------------------------------------------- */

/* user nice system idle iowait irq softirq steal (guest and guest_nice are inside user/nice) */
#define STAT_STATES     8
#define STAT_CPU_ID_MAX 65535 /* highest core number accepted */

struct stat_cpu {
	int id;                  /* core number; -1 for the "cpu" total line */
	int nstates;             /* how many of t[] the line had (4 on very old kernels, 8 today) */
	uint64_t t[STAT_STATES]; /* clock ticks since boot, by state */
};

#define STAT_HAVE_CTXT      1u
#define STAT_HAVE_BTIME     2u
#define STAT_HAVE_PROCESSES 4u
#define STAT_HAVE_RUNNING   8u
#define STAT_HAVE_BLOCKED   16u
#define STAT_HAVE_TOTAL     32u

struct stat_reading {
	struct stat_cpu total;
	struct stat_cpu *cpus; /* set by the caller: room for cpus_cap per-core lines */
	size_t cpus_cap;
	size_t ncpus; /* per-core lines in the text; more than cpus_cap means some were left out */
	uint64_t ctxt, btime, processes, procs_running, procs_blocked;
	unsigned have; /* STAT_HAVE_* */
};

/* Parse /proc/stat. Fills the first min(ncpus, cpus_cap) cores in text order. */
int stat_parse(const char *buf, struct stat_reading *out);

/* ---- /proc/meminfo and /proc/vmstat --------------------------------------- */

enum meminfo_field {
	MEMINFO_TOTAL = 0,
	MEMINFO_FREE,
	MEMINFO_AVAILABLE,
	MEMINFO_BUFFERS,
	MEMINFO_CACHED,
	MEMINFO_SRECLAIMABLE,
	MEMINFO_SHMEM,
	MEMINFO_SWAP_TOTAL,
	MEMINFO_SWAP_FREE,
	MEMINFO_FIELD_COUNT
};

struct meminfo_reading {
	uint64_t v[MEMINFO_FIELD_COUNT]; /* bytes */
	unsigned have;                   /* bit (1u << field) */
};

/* Parse /proc/meminfo ("Key:   123 kB" lines). -1 when no known key was found. */
int meminfo_parse(const char *buf, struct meminfo_reading *out);

enum vmstat_field {
	VMSTAT_PSWPIN = 0,
	VMSTAT_PSWPOUT,
	VMSTAT_PGFAULT,
	VMSTAT_PGMAJFAULT,
	VMSTAT_FIELD_COUNT
};

struct vmstat_reading {
	uint64_t v[VMSTAT_FIELD_COUNT]; /* pages or events since boot */
	unsigned have;                  /* bit (1u << field) */
};

/* Parse /proc/vmstat ("key value" lines). -1 when no known key was found. */
int vmstat_parse(const char *buf, struct vmstat_reading *out);

/* ---- /proc/loadavg and /proc/uptime --------------------------------------- */

/* The three load averages of /proc/loadavg. */
int loadavg_parse(const char *buf, double load[3]);
/* Seconds since boot, the first number of /proc/uptime. */
int uptime_parse(const char *buf, double *uptime);

/* ---- /proc/pressure/<resource> -------------------------------------------- */

struct psi_line {
	double avg10, avg60, avg300; /* percent */
	uint64_t total;              /* microseconds stalled since boot */
};

struct psi_reading {
	struct psi_line some, full;
	int have_some, have_full;
};

/* Parse one pressure file. -1 when it has no valid "some" line. */
int psi_parse(const char *buf, struct psi_reading *out);

/* ---- /proc/diskstats ------------------------------------------------------ */

#define DEV_NAME_MAX 64

struct diskstats_line {
	unsigned major, minor;
	char name[DEV_NAME_MAX];
	uint64_t reads, read_sectors, read_ms;
	uint64_t writes, write_sectors, write_ms;
	uint64_t in_flight, io_ms;
};

/* The next device line of /proc/diskstats (at least the 11 fields of Linux 2.6). */
int diskstats_next(const char **p, struct diskstats_line *out);

/* ---- /proc/net/dev -------------------------------------------------------- */

struct netdev_line {
	char name[DEV_NAME_MAX];
	uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
};

/* The next interface line of /proc/net/dev; the two header lines are skipped as malformed. */
int netdev_next(const char **p, struct netdev_line *out);

/* ---- /proc/self/mountinfo and /proc/filesystems -------------------------- */

#define MOUNT_PATH_MAX   4096
#define MOUNT_SOURCE_MAX 1024
#define MOUNT_FSTYPE_MAX 64

struct mountinfo_line {
	unsigned major, minor;
	char mount_point[MOUNT_PATH_MAX]; /* octal escapes (\040) undone */
	char source[MOUNT_SOURCE_MAX];    /* the mount source (device), escapes undone */
	char fstype[MOUNT_FSTYPE_MAX];    /* "ext4", "fuse.sshfs" */
};

/* The next mount of /proc/PID/mountinfo. Lines with fields too long for OUT are skipped. */
int mountinfo_next(const char **p, struct mountinfo_line *out);

/*
 * Copy LEN bytes of SRC into DST (CAP bytes) undoing the kernel's octal
 * escapes ("\040" is a space). Returns the length written, or -1 when it
 * does not fit.
 */
int mount_unescape(char *dst, size_t cap, const char *src, size_t len);

/*
 * Whether /proc/filesystems text BUF lists FSTYPE as "nodev" (1), as
 * backed by a device (0), or not at all (-1). A subtype ("fuse.sshfs") is
 * looked up by its main type.
 */
int filesystems_nodev(const char *buf, const char *fstype);

#endif
