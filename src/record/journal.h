/*
 * The recorder's journal: rows appended one sample at a time beside the
 * output, so that a killed recorder loses at most the sample it was taking.
 *
 * A journal is a header (magic, generation, the size of the output when it
 * was started, the schema) then records. Each record is one write() of
 * [length, CRC-32, sequence number, rows]; reading stops at the first
 * record that is short or whose CRC does not match, which is where a kill
 * or a full disk cut it. Nothing in a journal is trusted: lengths and
 * counts are checked against the bytes there.
 */
#ifndef VITALS_RECORD_JOURNAL_H
#define VITALS_RECORD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/table.h>

#include "store/codec.h"
#include "util/bytebuf.h"

/* What journal_append() reuses from one record to the next; zeroed to start. */
struct journal_scratch {
	struct bytebuf raw, rec;
	struct codec_state codec;
};

void journal_scratch_release(struct journal_scratch *js);

struct journal_info {
	uint64_t gen;       /* random, new for every journal */
	uint64_t base_size; /* bytes of the output when the journal began */
	struct vitals_schema schema;
	uint64_t good_end; /* where the last whole record ends */
	uint64_t torn;     /* bytes after it (a record cut short) */
	uint64_t records;
	uint64_t last_seq;
};

/*
 * Create PATH (through a temporary file and a rename, so an older journal
 * is replaced whole) for rows of SCHEMA. *fd receives it, open for appending.
 */
int journal_create(const char *path, const struct vitals_schema *schema, uint64_t gen,
                   uint64_t base_size, int *fd, char *err, size_t errlen);
/*
 * Append the rows of B as one record numbered SEQ (with JS's buffers), in
 * one write(). On a
 * failure the journal is cut back to where it was, so later records stay
 * readable. 0 or VITALS_E_IO/VITALS_E_NOMEM with errno kept.
 */
int journal_append(int fd, const struct vitals_batch *b, uint64_t seq, struct journal_scratch *js);

/* Called for every whole record, in order. A negative return stops the reading. */
typedef int (*journal_fn)(void *ctx, uint64_t seq, const struct vitals_batch *b);

/*
 * Read the journal on FD: its header into INFO (schema initialized; release
 * it with journal_info_release()), then every whole record through FN
 * (which may be NULL to only count them). 0, or VITALS_E_PARSE for a file
 * that is not a journal (message in ERR), or FN's failure.
 */
int journal_read(int fd, struct journal_info *info, journal_fn fn, void *ctx, char *err,
                 size_t errlen);
void journal_info_release(struct journal_info *info);

#endif
