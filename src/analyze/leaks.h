/*
 * Leaks: which memory series of a trace keeps growing, how fast, since
 * when, and how sure we are. `vitals leaks`, the report and the dashboard
 * all call this; it works on a loaded trace (series.h) and prints nothing.
 *
 *     struct leak_options o;
 *     struct series_set *set;
 *     struct leak_report *rep;
 *
 *     leak_options_init(&o);
 *     if (leaks_load(&set, "day.parquet", &o, err, sizeof(err)) < 0 ||
 *         leaks_analyze(set, &o, &rep, err, sizeof(err)) < 0)
 *             die("%s", err);
 *     for (size_t i = 0; i < rep->count; i++)   // suspects first, fastest first
 *             show(&rep->items[i]);
 *     leak_report_free(rep);
 *     series_set_free(set);
 *
 * The series. Every memory series in scope is analysed on its own:
 *
 *   - each process, by identity (pid + start time: a reused pid is another
 *     series), its `rss_bytes`;
 *   - each process subtree: a process and all its descendants in the
 *     trace, their `rss_bytes` summed at each sample time (only processes
 *     that have descendants; a subtree whose growth a process or a smaller
 *     subtree inside it already explains, at two thirds of its rate or
 *     more, is not a suspect: that one is);
 *   - each cgroup (kind `cgroup`), its memory column: the first of
 *     `memory_current_bytes`, `memory_bytes`, `memory_usage_bytes` the
 *     trace has (none: then there are no cgroup series); not when the
 *     scope is a process tree (root_pid), since cgroups are the machine's;
 *   - each gauge (kind `gauge`), its `value`, within --path and --depth;
 *   - the heap in use of a process that logged it (in-process logs and
 *     logger traces: `heap_in_use_bytes`).
 *
 * The test. After the warm-up (`skip` seconds from each series' first
 * point), a series is reduced to at most LEAK_POINTS_MAX points (means of
 * consecutive points), then:
 *
 *   1. the rate is the Theil-Sen slope (the median of the slopes between
 *      every pair of points: a few spikes or a missing stretch do not move
 *      it), in units per second;
 *   2. the confidence is the one-sided Mann-Kendall test of an upward
 *      trend, Phi(Z), on the same points;
 *   3. the start is where the growth begins: the end of the longest
 *      leading stretch that stays within the noise of its minimum, then
 *      the hinge of the best fit of a flat line followed by a straight one
 *      near it (the rate, confidence and growth are then measured from
 *      there). The growth must span at least a quarter of the series, so
 *      the last rise of a sawtooth is not a leak;
 *   4. the growth must be sustained: cut the growing part into 8 windows,
 *      at least 6 of the 7 steps between their medians go up, no one
 *      step carries half the growth and none falls by half of it. A step then a plateau, a sawtooth
 * of allocations and frees, or noise fail here;
 *   5. the total growth (rate x time since the start) must be at least
 *      three times the noise (1.4826 x the median absolute deviation of
 *      the residuals) and, for byte series, at least LEAK_MIN_GROWTH.
 *
 * A series that passes with confidence >= min_confidence is a suspect.
 * Suspects are ranked by rate, fastest first.
 *
 * A group and the process it holds. A cgroup that holds a leaking process
 * grows as fast as the process (a little faster: whatever else the group
 * gains), so by rate alone the group would be named before the process
 * that leaks. A cgroup suspect whose growth a process suspect explains --
 * the process grows at 2/3 to 3/2 of its rate, from about the same time
 * (within a quarter of the group's growth), and the group less the
 * process is flat (rate under a third of the group's) -- is marked with
 * that process (explained_by) and listed right after it. The trace does
 * not say which cgroup a process series is in, so this is a test of
 * shape: every group that holds one leaker follows it (user.slice and its
 * session alike). A subtree explained by a process inside it is not a
 * suspect (above) and names that process the same way.
 *
 * Projection. When the trace holds the machine's available memory
 * (`mem_available_bytes` of kind `system`), a byte suspect's projection is
 * the time until that (its last value) would be used up at the suspect's
 * rate; otherwise it is NaN.
 *
 * Heap or retention. For a process whose heap in use was logged, the
 * verdict says whether RSS growth is the heap growing (a leak) or the
 * allocator keeping freed memory (heap in use flat: retention, which
 * vitals_release_memory() gives back).
 */
#ifndef VITALS_ANALYZE_LEAKS_H
#define VITALS_ANALYZE_LEAKS_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/series.h"

#define LEAK_POINTS_MAX 256              /* points a series is reduced to for the fit */
#define LEAK_MIN_GROWTH (256.0 * 1024.0) /* bytes: smaller growth is never a suspect */

enum leak_kind {
	LEAK_PROCESS = 1, /* one process's rss_bytes */
	LEAK_SUBTREE,     /* a process and its descendants, summed */
	LEAK_CGROUP,      /* a control group's memory */
	LEAK_GAUGE,       /* an in-process gauge's value (its own unit) */
	LEAK_HEAP,        /* a process's heap in use (in-process logs) */
};

/* "process", "subtree", "cgroup", "gauge", "heap". */
const char *leak_kind_name(enum leak_kind k);

/* For processes whose heap was logged: what the RSS growth is. */
enum leak_heap_verdict {
	LEAK_HEAP_UNKNOWN = 0, /* no heap series */
	LEAK_HEAP_GROWS,       /* the heap in use grows with RSS: a leak */
	LEAK_HEAP_RETENTION,   /* RSS grows, the heap in use does not: allocator retention */
};

struct leak_options {
	int64_t root_pid;      /* only this process and its descendants (and no cgroups);
	                          -1 (default): all */
	int depth;             /* levels below root_pid, and gauge path components below
	                          path_prefix; -1 (default): no limit */
	double threshold;      /* bytes: skip byte series that never reach it; default 0 */
	const char *path;      /* gauges: only paths that start with this; NULL: all */
	double min_duration;   /* seconds: skip series shorter than this after the warm-up;
	                          default 0 (but at least 8 points are always needed) */
	double skip;           /* seconds of warm-up dropped from each series' start; default 0 */
	double min_confidence; /* default 0.99 */
	int all;               /* 1: also list the series that are not suspects, after them */
	int64_t from, to;      /* leaks_load(): the time range to read; default: all */
	int no_follow;         /* leaks_load(): a file that is a symbolic link is not read */
};

struct leak_suspect {
	enum leak_kind kind;
	long series;         /* its series in the set (a subtree: its root's), to draw it */
	const char *id;      /* a pid, a cgroup path, a gauge path (owned by the series set) */
	const char *name;    /* a process's command name, a gauge's last component */
	const char *metric;  /* the column: "rss_bytes", "value", "heap_in_use_bytes"... */
	int bytes;           /* whether values are bytes (all but gauges) */
	int64_t pid;         /* processes, subtrees (their root) and heaps; else -1 */
	int64_t start_time;  /* the process's start time (UTC us); else -1 */
	size_t members;      /* subtrees: processes in it; else 1 */
	int suspect;         /* 1: passes the test above; 0: listed only with `all` */
	double rate;         /* units per second, from the start of the growth */
	double confidence;   /* 0..1 */
	int64_t start;       /* UTC us: when the growth began */
	int64_t first, last; /* UTC us: the analysed span (after the warm-up) */
	double growth;       /* rate x (last - start), in units */
	double first_value;  /* level at the start of the growth (median of its window) */
	double last_value;   /* level at the end (median of the last window) */
	double noise;        /* robust spread of the residuals, in units */
	double projection;   /* seconds until available memory is used up; NaN unknown */
	size_t points;       /* points analysed (after the warm-up, before reduction) */
	enum leak_heap_verdict heap; /* processes with a logged heap */
	double heap_rate;            /* bytes/s of the heap in use, NaN unknown */
	/*
	 * Cgroups and subtrees whose growth a process suspect explains: that
	 * process's pid and start time (a suspect is listed right after it);
	 * else -1.
	 */
	int64_t explained_by;
	int64_t explained_start_time;
};

/*
 * What the table's NOTE column says of S into BUF (LEN bytes), "" when
 * nothing: the process whose growth a cgroup's or subtree's is, a
 * subtree's size, the heap's verdict. BUF.
 */
const char *leak_suspect_note(const struct leak_suspect *s, char *buf, size_t len);

struct leak_report {
	struct leak_suspect *items; /* suspects by rate, fastest first; then the rest with `all` */
	size_t count;
	size_t suspects;     /* items that are suspects (they come first) */
	size_t analysed;     /* series analysed */
	double available;    /* the last mem_available_bytes, NaN when unknown */
	int64_t first, last; /* the trace's span */
};

void leak_options_init(struct leak_options *o);

/*
 * The columns and kinds leaks_analyze() reads, for a caller that loads
 * the trace itself: *columns (and *kinds) are static arrays of *ncolumns
 * (*nkinds) names.
 */
void leaks_columns(const char *const **columns, size_t *ncolumns, const char *const **kinds,
                   size_t *nkinds);

/*
 * Load PATH (anything series_load() reads) with just those columns and
 * kinds, averaging points into steps of a 4096th of the trace's span when
 * its span is known from the Parquet footer, so memory follows the number
 * of series, not the length of the recording.
 */
int leaks_load(struct series_set **out, const char *path, const struct leak_options *o, char *err,
               size_t errlen);

/*
 * Analyse SET (loaded with at least rss_bytes of processes, or any of the
 * columns above; missing ones are skipped) into *out, owned by the caller
 * (leak_report_free()). 0, or VITALS_E_NOMEM with ERR set.
 */
int leaks_analyze(const struct series_set *set, const struct leak_options *o,
                  struct leak_report **out, char *err, size_t errlen);
void leak_report_free(struct leak_report *r);

/*
 * The fit of one series on its own (T in UTC microseconds, ascending; V
 * its values; N points): fills rate, confidence, start, first, last,
 * growth, first_value, last_value, noise, points and suspect of *S, as
 * described above (BYTES: apply LEAK_MIN_GROWTH). 0, or VITALS_E_NOMEM.
 */
int leak_fit(const int64_t *t, const double *v, size_t n, int bytes, const struct leak_options *o,
             struct leak_suspect *s);

#endif
