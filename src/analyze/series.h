/*
 * Series: a trace as time series per entity, for the commands that explain
 * a trace (`vitals leaks`, `vitals plot`, `vitals report`).
 *
 * A trace file is one row per (time, entity) with every metric in its own
 * column (docs/schema.md). What the analysis wants is the other way round:
 * for each entity (one process, one disk, one gauge), its samples in time
 * order. series_load() reads a trace once and hands that back, for the
 * columns and kinds the caller names, and nothing else:
 *
 *     struct series_options o;
 *     struct series_set *set;
 *     const char *cols[] = {"rss_bytes"};
 *     const char *kinds[] = {"process"};
 *     char err[512];
 *
 *     series_options_init(&o);
 *     o.columns = cols;
 *     o.column_count = 1;
 *     o.kinds = kinds;
 *     o.kind_count = 1;
 *     if (series_load(&set, "day.parquet", &o, err, sizeof(err)) < 0)
 *             die("%s", err);
 *     for (size_t i = 0; i < set->count; i++) {
 *             const struct series *s = &set->series[i];
 *             for (size_t j = 0; j < s->n; j++)
 *                     if (series_valid(s, 0, j))
 *                             use(s->t[j], s->v[0][j]);
 *     }
 *     series_set_free(set);
 *
 * What it reads. Any trace vitals can open:
 *
 *   - a trace as `vitals record` or the logger writes it: Parquet, CSV or
 *     JSON lines with the wide schema (`time`, `kind`, `id`, `name`, then
 *     metric columns);
 *   - a segment set of `vitals record --rotate`: PATH itself does not
 *     exist, but files named PATH's stem, '-', a UTC stamp
 *     (YYYYMMDDTHHMMSSZ) and PATH's extension do, beside it
 *     ("seg.parquet" -> "seg-20261202T002045Z.parquet", ...). They are read
 *     in the order of their stamps as one trace; the metadata is the first
 *     segment's;
 *   - a process log: one JSON object per line, optionally after a prefix
 *     (the seeds' process logger writes "2019-10-31 14:10:06,051 - - 86611
 *     - (ProcMon   ) - INFO     - ProcessLoggingThread-JSON {...}"; vitals'
 *     own .jsonl logs have no prefix). Any extension other than .parquet
 *     and .csv may be a log; a .jsonl file is a log when its first object
 *     has no `kind` key. Lines without an object that looks like a record
 *     (other log messages) are skipped and counted in `skipped_lines`.
 *
 * How a log maps to the trace's names. Each record becomes rows of the
 * wide schema, so a caller asks for the same columns whatever it opens:
 *
 *   record field            kind     id          column
 *   memory_info.rss         process  pid         rss_bytes
 *   memory_info.vms         process  pid         vms_bytes
 *   cpu_times.user/system   process  pid         cpu_user_seconds, cpu_system_seconds
 *   cpu_times.children_*    process  pid         children_user_seconds, ...
 *   cpu_percent, threads, fds  process pid       the same names
 *   heap.in_use/free/mmapped   process pid       heap_in_use_bytes, heap_free_bytes,
 *                                                heap_mmapped_bytes
 *   gauges {PATH: V}        gauge    PATH        value
 *   children [{pid, ppid, rss, cpu_percent}]
 *                           process  its pid     rss_bytes, ppid, cpu_percent
 *   system {...}            system   ""          mem_available_bytes, mem_used_bytes, load1
 *   system.cpu_busy_percent cpu      total       busy_percent
 *   label, labels [...]     event    log         (the text)
 *
 * The time is `time_us` when present, else `timestamp` ("YYYY-MM-DD
 * HH:MM:SS.ffffff", which the seeds wrote in the logging host's local
 * time: it is read in the reading process's local time zone, TZ). The pid
 * is `pid` when present, else the number after the prefix's time, else 0;
 * records of one pid whose `elapsed_time` or time goes backwards start a
 * new run: a new process identity, as a restarted program is. Records
 * without a time, or whose JSON does not parse, count as skipped lines.
 *
 * Identity. A process is (pid, start time): the trace's `start_time`, or
 * for a log the time of the run's first record less its `elapsed_time`.
 * A pid reused by a later process is a separate series, never spliced.
 * Every other entity is (kind, id).
 *
 * Rows whose time lies more than 7900 years from 1970 are left out (a
 * corrupt time would otherwise make every difference of times overflow).
 *
 * Missing values stay missing. A null in the file, or a field a log
 * record lacks, is a point whose validity byte is 0 (series_valid()), so
 * a reader never mistakes "not read" for zero. A row of an entity that
 * has none of the asked columns still adds a point (all invalid): the
 * entity existed then.
 *
 * Memory. Only the columns asked for are read (through the reader's
 * projection, store.h), plus `time`, `kind`, `id`, `name` and, for
 * processes, `start_time` and `ppid`, and only the rows of the asked
 * kinds and id prefix (the reader's row filters: in Parquet, other rows'
 * strings are never decoded, and row groups outside [from, to] or without
 * such rows are not read at all). What is kept is 8 bytes of time for each
 * point of each selected entity, and 9 bytes per point for each asked
 * column the entity has a value in at least once (the arrays of a column
 * an entity never had are one shared array of missing values: read them,
 * never write them), so the memory follows the asked columns and kinds,
 * not the file. `step_us`
 * bounds it further: points of one entity that fall in the same step are
 * averaged into one. `max_points` caps the total; past it the load fails
 * with VITALS_E_NOMEM and a message saying how to narrow it.
 *
 * Errors. Every failure returns a negative status (include/vitals/common.h)
 * and leaves in ERR a message naming the file and what is wrong
 * ("day.parquet: no column 'kind': not a vitals trace"). Nothing here
 * exits or prints.
 */
#ifndef VITALS_ANALYZE_SERIES_H
#define VITALS_ANALYZE_SERIES_H

#include <stddef.h>
#include <stdint.h>

/* Where a loaded trace came from. */
enum series_source {
	SERIES_SOURCE_TRACE = 1, /* one Parquet, CSV or JSON lines trace */
	SERIES_SOURCE_SEGMENTS,  /* a `--rotate` segment set, read as one trace */
	SERIES_SOURCE_LOG,       /* a process log (vitals' .jsonl or the seeds' log lines) */
};

/* "trace", "segments", "log". */
const char *series_source_name(enum series_source s);

struct series_options {
	/*
	 * The metric columns to load, by their trace names ("rss_bytes",
	 * "value", "heap_in_use_bytes"). A column the file does not have is
	 * not an error: its values are all missing and series_set.have[c] is
	 * 0. Integer columns are converted to double (exact below 2^53).
	 */
	const char *const *columns;
	size_t column_count;
	/* Only rows of these kinds ("process", "gauge"...). NULL: every kind but events. */
	const char *const *kinds;
	size_t kind_count;
	/* Only entities whose id starts with this ("/scene/" for a gauge subtree). NULL: all. */
	const char *id_prefix;
	/* Only rows in [from, to], UTC microseconds. Default INT64_MIN, INT64_MAX. */
	int64_t from;
	int64_t to;
	/* Also load the events (kind "event") into set->events. Default 0. */
	int events;
	/*
	 * Average the points of one entity that fall into the same
	 * step_us-long step of time (counted from the Unix epoch) into one
	 * point, at the mean time of those points; a column's value is the mean
	 * of its valid values in the step (missing when it has none). 0, the
	 * default: keep every point.
	 */
	int64_t step_us;
	/* Cap on points kept over all series. Default 64 Mi; 0 means the default. */
	size_t max_points;
	/* Nonzero: a trace file that is a symbolic link is not followed (not read). */
	int no_follow;
};

/* One entity's series. Arrays are owned by the set. */
struct series {
	const char *kind; /* "process", "gauge", ... */
	const char *id;   /* as in the trace: a pid in decimal, a gauge path, "sda" */
	const char *name; /* the last name seen (a process's command name; with step_us, as
	                     of the first row of the last step) */
	/* Processes: pid, parent pid (the last one seen; -1 unknown) and start time (UTC us; -1
	 * unknown). Other kinds: -1. */
	int64_t pid;
	int64_t ppid;
	int64_t start_time;
	size_t n;   /* points */
	int64_t *t; /* n times, UTC microseconds, ascending (equal times possible) */
	/* v[c][i]: column c (as in options.columns) at point i; meaningful only when valid */
	double **v;
	uint8_t **valid; /* valid[c][i]: 1 when v[c][i] holds a value, 0 when missing */
	size_t cap;      /* points allocated */
};

/* Whether point I of column C of S holds a value. */
static inline int series_valid(const struct series *s, size_t c, size_t i)
{
	return s->valid[c][i] != 0;
}

/* One event: kind "event" rows, or a log's labels. */
struct series_event {
	int64_t t;          /* UTC microseconds */
	const char *source; /* the trace's `id`: "cli", "command", "api", "log"... */
	const char *text;   /* the trace's `name` */
	const char *fields; /* a JSON object of text, or NULL */
};

/* One key/value pair of the file's metadata. */
struct series_kv {
	const char *key;
	const char *value;
};

struct series_set {
	enum series_source source;
	size_t column_count;
	const char **columns;  /* copies of the asked names */
	uint8_t *have;         /* have[c]: whether the file has column c (a log: whether any
	                          record had it) */
	struct series *series; /* in order of first appearance */
	size_t count;
	struct series_event *events; /* sorted by time (stable) */
	size_t event_count;
	/* The file's metadata (a segment set: the first segment's); a log has none. */
	struct series_kv *meta;
	size_t meta_count;
	/* Shortcuts into meta (vitals.host, vitals.kernel, vitals.timezone,
	 * vitals.boot_id); NULL when absent. */
	const char *host;
	const char *kernel;
	const char *timezone;
	const char *boot_id;
	double sample_interval; /* vitals.sample_interval_seconds, or the median gap; 0 unknown */
	int64_t first_time;     /* earliest and latest time of any loaded row or event; */
	int64_t last_time;      /* INT64_MAX and INT64_MIN when nothing was loaded */
	size_t files;           /* files read: 1, or the number of segments */
	uint64_t rows_read;     /* rows (or log records) read: a trace's of the asked
	                           kinds, ids and time range (the reader's filters) */
	uint64_t skipped_lines; /* a log's lines that held no record */
	struct series_arena *arena; /* the strings; private */
	double *zero_v;             /* private: the arrays shared by columns an entity */
	uint8_t *zero_ok;           /* never had (every value missing) */
};

/* The defaults documented above: no columns, every kind, no bounds, no events. */
void series_options_init(struct series_options *o);

/*
 * Load PATH (a trace, a segment set or a log: see above) into *out,
 * owned by the caller (series_set_free()). On failure *out is NULL, ERR
 * (of ERRLEN bytes) says why, and the return is a negative status:
 * VITALS_E_NOTFOUND (no such file and no segments), VITALS_E_PARSE (bad
 * bytes, named by file and row group, line or field), VITALS_E_INVAL (not a
 * trace: no `time`/`kind`/`id` column), VITALS_E_NOMEM (past max_points).
 */
int series_load(struct series_set **out, const char *path, const struct series_options *o,
                char *err, size_t errlen);
void series_set_free(struct series_set *set);

/* The index of column NAME in the set (as asked), or -1. */
int series_set_column(const struct series_set *set, const char *name);
/* The value of metadata KEY, or NULL. */
const char *series_set_meta(const struct series_set *set, const char *key);

/*
 * The segments of a `--rotate` set for PATH, in stamp order, into *paths
 * (an array of *count strings, free with series_paths_free()). 0 with
 * *count 0 when there are none. Exposed for the commands that list them.
 */
int series_find_segments(const char *path, char ***paths, size_t *count);
void series_paths_free(char **paths, size_t count);

#endif
