/*
 * Streamed row groups: a Parquet row group encoded column by column as
 * rows arrive, for a recorder that rewrites its output often.
 *
 * A batch handed to pq_stream_append() is taken apart at once: each
 * column's values go into that column's open page, and a page that
 * reaches the page size is encoded, compressed and kept as bytes. What
 * the stream holds is therefore the row group's finished pages
 * (compressed, about what they take in the file), one open page of raw
 * values per column, and each column's dictionary: not its rows.
 *
 * store_writer_put_stream() writes the row group as it stands into a
 * Parquet writer, any number of times (the open pages are encoded for
 * that file, not finished); pq_stream_clear() starts the next one.
 *
 * Pages need not stay in memory: once a put has been committed
 * (pq_stream_commit(), when its file is the one to keep), the pages it
 * wrote are read from that file by the next put, so the stream holds only
 * pages finished since, open pages (within a budget for all columns
 * together) and dictionaries. A page open since before the last put ends
 * at the next one (pq_stream_end_pages()), so no value stays in memory
 * over more than two puts, however rare its column's values.
 *
 * Encodings follow the writer's rules (parquet_write.c), decided page by
 * page: a column starts with a dictionary, which its first page keeps
 * only when it pays (few distinct values); a dictionary that outgrows
 * dictionary_bytes stops there and later pages go without it. Integer
 * pages without a dictionary are DELTA_BINARY_PACKED when the first one
 * comes out smaller that way, else PLAIN. Statistics are exact.
 */
#ifndef VITALS_STORE_STREAM_H
#define VITALS_STORE_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/store.h>
#include <vitals/table.h>

#include "util/bytebuf.h"

struct pq_stream;

/*
 * A stream for rows of SCHEMA, with O's codec, level, page size (at most
 * 128 KiB of values here: every column's open page is in memory),
 * dictionary switch and dictionary cap (at most 128 KiB here).
 */
int pq_stream_new(struct pq_stream **out, const struct vitals_schema *schema,
                  const struct vitals_write_options *o);
void pq_stream_free(struct pq_stream *s);
/* Take every row of B (the stream's schema). On failure the stream keeps failing. */
int pq_stream_append(struct pq_stream *s, const struct vitals_batch *b);
/* Rows taken since the last clear. */
int64_t pq_stream_rows(const struct pq_stream *s);
/* Bytes the row group takes so far: finished pages (in memory or in a file), open values,
 * dictionaries. */
uint64_t pq_stream_bytes(const struct pq_stream *s);
/* Bytes of memory it holds (buffers as allocated). */
uint64_t pq_stream_memory(const struct pq_stream *s);
/* Bytes of open values in all columns past which the biggest page ends (default 1 MiB). */
void pq_stream_set_budget(struct pq_stream *s, size_t bytes);
/*
 * End every open page that was open already at the last call, so that no
 * value stays in memory over more than two calls: the recorder calls it
 * at each write, before writing the stream. A page of nulls only (no
 * values) goes on. On failure the stream keeps failing.
 */
int pq_stream_end_pages(struct pq_stream *s);
/*
 * Values (not nulls) the stream holds in memory: in open pages, and in
 * pages finished since the last commit. Dictionaries are not counted.
 */
int64_t pq_stream_held_values(const struct pq_stream *s);
/*
 * The file of the last store_writer_put_stream() is the one the next put
 * reads from (its SRC_FD): the pages it wrote are forgotten from memory.
 */
void pq_stream_commit(struct pq_stream *s);
/* Forget the rows (after they were written for the last time); keep the memory of small buffers. */
void pq_stream_clear(struct pq_stream *s);
/* The last failure's message. */
const char *pq_stream_errmsg(const struct pq_stream *s);

/*
 * Write the stream's rows as the next row group of W, a Parquet writer
 * with no rows waiting. SRC_FD is the file of the last committed put (its
 * pages are copied from there), or -1 when there was none. The rows of S
 * do not change; it notes where this put wrote its pages, for a commit.
 * 0, or a failure of W.
 */
int store_writer_put_stream(struct vitals_writer *w, struct pq_stream *s, int src_fd);

/*
 * The sealed row groups of a file a recorder rewrites, as their footer
 * entries (encoded) and where their bytes end: kept between writes, so
 * that a write does not read and decode the footer of the last one.
 */
struct store_kept {
	struct bytebuf raw; /* RowGroup structures, encoded, one after the other */
	uint32_t count;
	int64_t rows;
	uint64_t end; /* where the bytes of the last one end (4 when none) */
};

void store_kept_init(struct store_kept *k);
void store_kept_release(struct store_kept *k);
/* Swap A and B (a write's result becomes the recorder's once the write stands). */
void store_kept_swap(struct store_kept *a, struct store_kept *b);
/*
 * Start W, a Parquet writer, with the row groups of K: their bytes are
 * copied from FD (the earlier file, which must have them at the same
 * offsets), or, IN_PLACE, are in W's own file already.
 */
int store_writer_adopt_kept(struct vitals_writer *w, int fd, const struct store_kept *k,
                            int in_place);
/*
 * Into K: the row groups W adopted and those it wrote so far, and where
 * they end (call it before closing W).
 */
int store_writer_get_kept(struct vitals_writer *w, struct store_kept *k);

/*
 * Like vitals_writer_adopt(), for a writer whose own file already holds,
 * at the same offsets, the bytes of the first ROW_GROUPS row groups of the
 * Parquet file on FD (or all of FD's rows, for text formats): only FD's
 * footer (or header) is read, and W goes on after those bytes instead of
 * copying them.
 */
int store_writer_adopt_in_place(struct vitals_writer *w, int fd, uint32_t row_groups);

#endif
