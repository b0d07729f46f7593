/*
 * The report of a trace (`vitals report`): one self-contained HTML file
 * that answers the usual questions about a recording without any other
 * tool: where and when it was recorded, the charts (inline SVG), the
 * events, the leak suspects, the processes that used the most CPU, memory
 * and I/O, and what the recording itself cost.
 *
 * The file has no script and fetches nothing: its CSS is inline, its
 * charts are inline SVG, and a Content-Security-Policy forbids every
 * fetch, so it opens the same from a disk, a mail or an archive.
 */
#ifndef VITALS_ANALYZE_REPORT_H
#define VITALS_ANALYZE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyze/charts.h"
#include "analyze/leaks.h"

/* One process identity's use over the trace. */
struct report_proc {
	const char *name;
	int64_t pid, start_time;
	double cpu_mean, cpu_peak;      /* percent of one core; NaN unknown */
	double cpu_seconds;             /* CPU time used during the trace; NaN unknown */
	double rss_peak, rss_last;      /* bytes; NaN unknown */
	double read_bytes, write_bytes; /* bytes during the trace; NaN unknown */
	const struct series *series;    /* its series in report.procs */
};

struct report {
	const char *path;
	struct charts *charts;
	struct series_set *procs; /* processes, averaged over steps */
	struct report_proc *stats;
	size_t nstats;
	struct series_set *leakset;
	struct leak_report *leaks;
	char leak_error[512]; /* why the leak analysis did not run; empty when it did */
	/* The recorder's own cost, from the system rows */
	int has_overhead;
	size_t samples;
	double cpu_total, cpu_mean, wall_mean, wall_max;
	size_t late; /* samples that took longer than the interval */
	size_t top;  /* rows per table */
};

/*
 * Read PATH (anything series_load() reads) and gather what the report
 * shows, TOP rows per table (0: 10). On failure *out is NULL and ERR
 * names the file and the problem. A failure of the leak analysis alone is
 * not one: the report says it instead.
 */
int report_build(struct report **out, const char *path, size_t top, char *err, size_t errlen);

/*
 * Write R as HTML to OUT, times in the process's time zone (TZ), named
 * ZONE; TITLE is the page's title (NULL: from the file and host). 0, or
 * VITALS_E_IO / VITALS_E_NOMEM with ERR set.
 */
int report_write(struct report *r, FILE *out, const char *title, const char *zone, char *err,
                 size_t errlen);

void report_free(struct report *r);

#endif
