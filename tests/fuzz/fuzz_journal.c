/*
 * Fuzz the recorder's journal reader (src/record/journal.c), which reads
 * what a killed recorder left on disk: the input is the journal file, read
 * from a memfd. Every record handed out must hold rows of the journal's
 * schema that keep the invariants of table.h; a bad header is refused with
 * a message; nothing crashes, hangs or allocates without bound.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vitals/common.h>
#include <vitals/table.h>

#include "record/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_record(void *ctx, uint64_t seq, const struct vitals_batch *b)
{
	(void)seq;
	if (!vitals_schema_equal(&b->schema, ctx))
		abort();
	for (size_t c = 0; c < b->schema.count; c++) {
		const struct vitals_column *col = &b->cols[c];

		if (col->nullable != (col->valid != NULL))
			abort();
		if (col->type == VITALS_TYPE_STRING && b->rows &&
		    (col->v.off[0] != 0 || col->v.off[b->rows] != col->data_len))
			abort();
		for (size_t i = 0; col->type == VITALS_TYPE_BOOL && i < b->rows; i++)
			if (col->v.b[i] > 1)
				abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct journal_info info;
	char err[256] = "";
	int rc;

	if (fd < 0 && (fd = memfd_create("fuzz-journal", 0)) < 0)
		return 0;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	/* First to learn the schema, then to check every record against it. */
	rc = journal_read(fd, &info, NULL, NULL, err, sizeof(err));
	if (rc == VITALS_E_PARSE && !err[0])
		abort();
	if (rc == 0) {
		struct vitals_schema schema;
		struct journal_info again;

		vitals_schema_init(&schema);
		if (vitals_schema_copy(&schema, &info.schema) == 0) {
			if (journal_read(fd, &again, check_record, &schema, err, sizeof(err)) ==
			    0) {
				if (again.records != info.records ||
				    again.good_end + again.torn != size)
					abort();
				journal_info_release(&again);
			}
		}
		vitals_schema_release(&schema);
	}
	journal_info_release(&info);
	return 0;
}
