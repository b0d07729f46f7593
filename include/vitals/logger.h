/*
 * The in-process logger: a program logs its own resource use, with labels
 * and named gauges, from a background thread inside itself.
 *
 *     vitals_logger_start(NULL);              // vitals-PID.jsonl, every second
 *     vitals_label("loading the index");      // lands in the next record
 *     vitals_gauge_set("/scene/textures", n); // the program's own components
 *     ...
 *     vitals_logger_stop();                   // flush and join
 *
 * Or without changing the program:
 *
 *     LD_PRELOAD=libvitals.so VITALS_LOG=app.jsonl VITALS_INTERVAL=0.5 ./app
 *
 * starts the logger from a constructor and stops it at exit (VITALS_LOG is
 * then removed from the environment, so the program's children do not log
 * into the same file; VITALS_CHILDREN=1 and VITALS_SYSTEM=1 widen what is
 * sampled).
 *
 * Files. A .jsonl log has one JSON object per sample with the fields of the
 * process logger vitals replaces (`timestamp`, `memory_info` with `rss`,
 * `vms`, `pfaults`, `pageins`; `cpu_times` with `user`, `system`,
 * `children_user`, `children_system`; `elapsed_time`; `label`) and vitals'
 * own (`time_us`, `pid`, `cpu_percent`, `threads`, `fds`, `heap`, `gauges`,
 * `labels`, `children`, `system`). A .parquet or .csv log is a trace like
 * `vitals record` writes (docs/schema.md), through the same crash-safe
 * recorder.
 *
 * There is one logger per process: these functions are safe to call from
 * any thread. After fork() the child has no logger (it never writes into
 * the parent's file) until it starts its own.
 */
#ifndef VITALS_LOGGER_H
#define VITALS_LOGGER_H

#include <stdint.h>
#include <vitals/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vitals_logger_options {
	const char *path;      /* the log; NULL: "vitals-PID.jsonl" in the current directory */
	double interval;       /* seconds between samples; default 1 */
	double write_interval; /* Parquet and CSV: seconds between rewrites; default 10 */
	int children;          /* also sample the program's descendants */
	int system;            /* also sample the machine (CPU, memory, disks, network...) */
};

/* The defaults above. */
VITALS_API void vitals_logger_options_init(struct vitals_logger_options *o);

/*
 * Start logging the calling process (O may be NULL for the defaults). A
 * first record is written at once. VITALS_E_INVAL when a logger already
 * runs; on failure the reason is in vitals_logger_errmsg().
 */
VITALS_API int vitals_logger_start(const struct vitals_logger_options *o);
/*
 * Take a last sample, write everything, join the thread. Safe to call
 * when no logger runs, more than once, and at exit. In a child after
 * fork() it only forgets the parent's logger. 0 or the status of the last
 * write.
 */
VITALS_API int vitals_logger_stop(void);
/* Whether a logger runs in this process. */
VITALS_API int vitals_logger_running(void);
/* The reason of the last failure of start or stop ("" when none). */
VITALS_API const char *vitals_logger_errmsg(void);

/*
 * A label (event) for the next record: thread-safe, never blocks on I/O.
 * Labels keep their order per thread; each lands exactly once. Ignored
 * when no logger runs. TEXT is copied (at most 1024 bytes).
 */
VITALS_API void vitals_label(const char *text);
/*
 * Set the gauge PATH ("/scene/textures": hierarchical, '/'-separated) to
 * VALUE; every later record carries its latest value. VITALS_E_INVAL for
 * an empty path, VITALS_E_NOMEM past 4096 gauges.
 */
VITALS_API int vitals_gauge_set(const char *path, double value);
/* Forget gauge PATH (it no longer appears in records). */
VITALS_API void vitals_gauge_remove(const char *path);

/* The allocator's view of the heap (glibc mallinfo2). */
struct vitals_heap_stats {
	uint64_t in_use;     /* bytes handed out by malloc and not freed (uordblks + hblkhd) */
	uint64_t free;       /* bytes free inside the heap, kept by the allocator (fordblks) */
	uint64_t mmapped;    /* bytes in mmap()ed blocks (hblkhd) */
	uint64_t arena;      /* bytes of the main and thread arenas (arena) */
	uint64_t releasable; /* free bytes at the top of the heap (keepcost) */
};

/*
 * Fill *OUT. VITALS_E_UNSUPPORTED with an allocator that does not tell
 * (not glibc's, or one that replaced it, as valgrind does).
 */
VITALS_API int vitals_heap_stats(struct vitals_heap_stats *out);
/*
 * Give free heap memory back to the operating system (malloc_trim), and
 * say what it did: the resident set before and after, in bytes (either may
 * be NULL). When a logger runs, the result is also logged as a label.
 */
VITALS_API int vitals_release_memory(uint64_t *rss_before, uint64_t *rss_after);

#ifdef __cplusplus
}
#endif

#endif
