/*
 * Recording: collector samples as rows of a trace file, kept safe against
 * crashes.
 *
 * A trace is one wide table (docs/schema.md): `time`, `kind`, `id`, `name`,
 * then the attribute and metric columns of every kind, null where a row's
 * kind does not have them. vitals_trace_* turn samples and events into
 * rows of that table.
 *
 * A recorder owns one output file. Each sample handed to it is appended at
 * once to a journal beside the output (OUTPUT.journal), so a process killed
 * at any moment loses at most the sample it was taking. vitals_recorder_write()
 * then replaces the output atomically (a temporary file, fsync, rename,
 * fsync of the directory): a reader never sees a partial file.
 *
 * Parquet rows are encoded column by column as they come, into the pages
 * of a growing last row group (compressed: the recorder holds pages, one
 * open page of values per column and the dictionaries, never a row group
 * of rows). Once that row group is big enough it is sealed: sealed row
 * groups, and their footer entries, are never encoded again.
 *
 * The output alternates between two hidden files (".NAME.tmp-PID.a" and
 * ".b", removed at close): each write brings the one that is not the
 * output up to date with the sealed bytes it lacks, writes the rest, and
 * renames it over the output. A write thus costs what changed since the
 * last seal, not the size of the trace, at the price of a second copy of
 * the trace on disk while recording. A file a reader still holds open is
 * never written again (checked with a lease); the recorder then starts
 * that twin afresh, which copies the sealed part once. On a filesystem
 * without hard links the twin itself is renamed over the output, and the
 * next one starts afresh the same way.
 *
 * Memory: the recorder holds pages, not rows. Of the samples it holds, per
 * column, the open page (raw values) and the pages finished since the
 * last write; a page open since before the last write ends at the next
 * one (written, it leaves memory). So the values held at any moment were
 * taken since the write before the last: at most two write intervals of
 * samples (vitals_recorder_held_values() counts them). Besides them it
 * keeps each column's dictionary of the growing row group (its distinct
 * values, not rows: at most 128 KiB a column, and the row group is sealed
 * once its memory reaches seal_bytes), the scratch of one sample's journal
 * record, and, for CSV and JSON lines, the rows of one write interval read
 * back from the journal during a write. While the journal cannot be
 * written (disk full) rows wait in memory, up to the cap of
 * vitals_recorder_set_max_pending(); while writes fail, the pages finished
 * since the last good one stay too. After a recovery that reloads the
 * output's growing row group, the bound holds from the first write on.
 *
 * Opening a recorder on an output that exists continues it (same columns);
 * a journal left by a killed recorder is folded in first and reported.
 */
#ifndef VITALS_RECORD_H
#define VITALS_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/collector.h>
#include <vitals/common.h>
#include <vitals/store.h>
#include <vitals/table.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the trace's columns, in the file's metadata as vitals.schema_version. */
#define VITALS_TRACE_SCHEMA_VERSION 1

/* What one sample cost the program that took it. */
struct vitals_sample_cost {
	double cpu_seconds; /* user + system CPU time spent taking it; < 0: unknown */
	double seconds;     /* wall-clock time it took; < 0: unknown */
};

struct vitals_trace;

/* The trace's layout: its schema and where each kind's metrics go. */
VITALS_API int vitals_trace_new(struct vitals_trace **out);
VITALS_API void vitals_trace_free(struct vitals_trace *t);
VITALS_API const struct vitals_schema *vitals_trace_schema(const struct vitals_trace *t);

/*
 * Append one row per entity of the collector's last sample to B (whose
 * schema is the trace's). Processes outside the collector's scope are left
 * out, and every process when PROCESSES is 0. COST, when not NULL, goes
 * into the system row.
 */
VITALS_API int vitals_trace_add_sample(const struct vitals_trace *t, struct vitals_batch *b,
                                       const struct vitals_collector *c, int processes,
                                       const struct vitals_sample_cost *cost);
/*
 * Append an event row: TIME_US (UTC microseconds), TEXT (its `name`),
 * SOURCE (its `id`: "cli", "command", "api", "import"...), FIELDS a JSON
 * object of key/value text or NULL.
 */
VITALS_API int vitals_trace_add_event(const struct vitals_trace *t, struct vitals_batch *b,
                                      int64_t time_us, const char *source, const char *text,
                                      const char *fields);

/* Append a gauge row: kind "gauge", id PATH, name its last component, `value` VALUE. */
VITALS_API int vitals_trace_add_gauge(const struct vitals_trace *t, struct vitals_batch *b,
                                      int64_t time_us, const char *path, double value);
/* The index of column NAME in the trace's schema, or -1. */
VITALS_API int vitals_trace_column(const struct vitals_trace *t, const char *name);

struct vitals_recorder_options {
	struct vitals_write_options write; /* codec, metadata...: see store.h */
	/*
	 * Rows of the growing row group at which it is sealed. Default 1048576;
	 * a sample is never split, so a row group may hold a little more.
	 */
	size_t seal_rows;
	/*
	 * Or when its encoded pages, open values and dictionaries take this
	 * many bytes, or hold this much memory. Default 4 MiB.
	 */
	uint64_t seal_bytes;
	int no_journal; /* 1: no journal (samples between writes die with the process) */
	/*
	 * 1: an output (or its journal) that is a symbolic link is not followed:
	 * opening it fails with VITALS_E_PERM (see no_follow in
	 * struct vitals_read_options).
	 */
	int no_follow;
};

VITALS_API void vitals_recorder_options_init(struct vitals_recorder_options *o);

struct vitals_recorder;

/*
 * Open a recorder on PATH (format by extension) for rows of SCHEMA. When
 * PATH exists it must hold the same columns, and new rows follow its own;
 * a leftover journal is folded in first (*recovered, when not NULL,
 * receives the rows it gave back). Refuses, with a message, an output
 * directory that is not writable. Nothing is written until a row comes.
 */
VITALS_API int vitals_recorder_open(struct vitals_recorder **out, const char *path,
                                    const struct vitals_schema *schema,
                                    const struct vitals_recorder_options *o, int64_t *recovered,
                                    char *err, size_t errlen);
/*
 * Take the rows of B (one sample, or events): into the journal at once, and
 * into the output at the next vitals_recorder_write(); a row group that
 * became full is sealed (written) at once. On a failure of the journal
 * (disk full) the rows are kept in memory only, up to the cap of
 * vitals_recorder_set_max_pending() (none by default) until a write
 * succeeds; past it rows are dropped and counted (Parquet: the newest, as
 * encoded rows cannot be taken out; text: the oldest).
 */
VITALS_API int vitals_recorder_add(struct vitals_recorder *r, const struct vitals_batch *b);
/*
 * Replace the output with everything taken so far, atomically. A failure
 * (disk full) leaves the previous output whole and keeps every row for
 * the next try.
 */
VITALS_API int vitals_recorder_write(struct vitals_recorder *r);
/* Write, remove the journal, free R. 0 or the status of the last write. */
VITALS_API int vitals_recorder_close(struct vitals_recorder *r, char *err, size_t errlen);
/* Free R without writing (the journal stays for a later recovery). */
VITALS_API void vitals_recorder_abort(struct vitals_recorder *r);
/* Cap on rows held in memory while the journal cannot be written; 0 for none. */
VITALS_API void vitals_recorder_set_max_pending(struct vitals_recorder *r, size_t rows);

/* The last failure's message. */
VITALS_API const char *vitals_recorder_errmsg(const struct vitals_recorder *r);
/* Bytes of the output after the last successful write. */
VITALS_API uint64_t vitals_recorder_file_bytes(const struct vitals_recorder *r);
/* Rows in the output after the last successful write, and rows taken in all. */
VITALS_API int64_t vitals_recorder_rows_written(const struct vitals_recorder *r);
/* Rows dropped because memory was full while the journal failed. */
VITALS_API int64_t vitals_recorder_rows_dropped(const struct vitals_recorder *r);
/*
 * Values (cells that are not null) of the rows taken that R holds in
 * memory: Parquet, those of open pages and of pages finished since the
 * last write; text, rows the journal could not take. While writes succeed,
 * at most those taken since the write before the last (two write
 * intervals). Dictionaries (distinct values, see above) are not counted.
 */
VITALS_API int64_t vitals_recorder_held_values(const struct vitals_recorder *r);

/*
 * Fold the journal of PATH (PATH.journal) into PATH and remove it, as
 * opening a recorder does. *rows receives the rows given back (0 when there
 * was no journal). The schema is the one the journal records.
 */
VITALS_API int vitals_recover(const char *path, int64_t *rows, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
