/*
 * The charts of a trace: which panels and lines `vitals plot` and
 * `vitals report` draw from a trace file, chosen the way a person would
 * look at it first.
 *
 *   - A system trace: CPU (busy, user, system, iowait of all cores),
 *     memory (used, cached, swap used), disk I/O (read and write per
 *     device) and network (received and sent per interface).
 *   - A process log (or a trace of processes only): resident memory (with
 *     the heap in use when the log has it), virtual memory, CPU (from
 *     cpu_percent, or from the CPU seconds between records), and the
 *     in-process gauges.
 *   - Processes chosen by pid: their RSS, CPU and disk I/O.
 *   - Metrics chosen by name: one panel per metric, one line per entity.
 *
 * A panel keeps its `top` busiest lines (by their largest value) in their
 * natural order and says how many it left out. Events become markers.
 */
#ifndef VITALS_ANALYZE_CHARTS_H
#define VITALS_ANALYZE_CHARTS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/series.h"
#include "analyze/svg.h"

struct charts_options {
	const char *const *metrics; /* trace column names, one panel each; NULL: the defaults */
	size_t metric_count;
	const char *kind;    /* only entities of this kind ("disk"); NULL: any */
	const char *id;      /* only the entity with this id ("sda"); NULL: any */
	const int64_t *pids; /* only these processes; NULL: all */
	size_t pid_count;
	size_t top;       /* lines per panel; 0 = 8 */
	int64_t from, to; /* time range, UTC microseconds; INT64_MIN/INT64_MAX: all */
};

/* Defaults: every default panel, 8 lines a panel, the whole trace. */
void charts_options_init(struct charts_options *o);

struct charts {
	struct svg_chart chart; /* ready to draw once charts_describe() ran */
	struct series_set *set; /* what the lines point into */
	const char *what;       /* "system trace", "process log", "processes", "metrics" */
	/* private */
	struct svg_panel *panels;
	struct svg_line *lines;
	struct svg_event *events;
	char **owned;
	size_t nowned, owned_cap;
	char title[512], subtitle[512];
};

/*
 * Load PATH (any trace series_load() reads) and choose its panels as
 * above. On failure *out is NULL and ERR names the file and the problem
 * (a metric no entity has, a pid not in the trace, nothing to draw).
 */
int charts_build(struct charts **out, const char *path, const struct charts_options *o, char *err,
                 size_t errlen);

/*
 * Set the chart's title (TITLE, or the file's name and host when NULL),
 * its subtitle (time span in the process's time zone, sample interval,
 * events) and the zone's name ZONE for the time axis. Call after setting
 * TZ to the display zone.
 */
void charts_describe(struct charts *c, const char *path, const char *title, const char *zone);

void charts_free(struct charts *c);

/* The unit of a trace column by its name: _percent, _bytes_per_second, _bytes, _seconds. */
enum svg_unit charts_unit_of(const char *column);

#endif
