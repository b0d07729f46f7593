/*
 * Pure parsers of the text of files under /proc/PID, used by the process source and called
 * directly by unit tests and fuzz targets. Each takes a NUL-terminated
 * buffer and returns 0, or -1 when the text does not have the expected
 * shape (the output is then unspecified).
 */
#ifndef VITALS_COLLECT_PROCPARSE_H
#define VITALS_COLLECT_PROCPARSE_H

#include <stddef.h>
#include <stdint.h>

#define PROC_COMM_MAX   64
#define PF_KTHREAD_FLAG 0x00200000u

/* What vitals takes from /proc/PID/stat. */
struct procstat {
	int64_t pid;
	char comm[PROC_COMM_MAX]; /* between the first '(' and the last ')', cut to fit */
	char state;
	int64_t ppid;
	uint64_t flags;
	uint64_t minflt, majflt;
	uint64_t utime, stime;  /* clock ticks */
	int64_t cutime, cstime; /* clock ticks of waited-for children */
	int64_t nice;
	int64_t threads;
	uint64_t starttime; /* clock ticks after boot */
	uint64_t vsize;     /* bytes */
	int64_t rss;        /* pages */
};

/* /proc/PID/statm, in pages. */
struct procstatm {
	uint64_t size, resident, shared;
};

/* /proc/PID/io. A field absent from the text is marked in `have`. */
struct procio {
	uint64_t read_bytes, write_bytes, cancelled_write_bytes;
	unsigned have; /* PROCIO_HAVE_* bits */
};
#define PROCIO_HAVE_READ      1u
#define PROCIO_HAVE_WRITE     2u
#define PROCIO_HAVE_CANCELLED 4u

int procstat_parse(const char *buf, struct procstat *out);
int procstatm_parse(const char *buf, struct procstatm *out);
int procio_parse(const char *buf, struct procio *out);
/* VmSwap of /proc/PID/status in KiB. -1 when the line is absent (kernel threads). */
int procstatus_swap(const char *buf, uint64_t *swap_kb);

/*
 * Turn LEN bytes of /proc/PID/cmdline into one printable line in place:
 * NUL separators become spaces, control bytes become '?', trailing
 * separators go. Returns the new length; BUF[result] is NUL (BUF must have
 * room for LEN + 1 bytes).
 */
size_t cmdline_clean(char *buf, size_t len);

#endif
