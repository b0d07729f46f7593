/*
 * Fuzz the Parquet reader with whole files: the input is written to a
 * memfd reached through a ".parquet" symlink, then read to the end through
 * vitals_reader_open() (all columns, then a time range when the file has a
 * timestamp column, then row filters on its first string column, with and
 * without the time range) and described with vitals_file_describe(). Failures must
 * name the file; batches must keep the invariants of table.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vitals/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char link_path[128];

static void remove_link(void)
{
	unlink(link_path);
}

static int setup(void)
{
	char target[64];

	if (memfd >= 0)
		return 0;
	memfd = memfd_create("fuzz-parquet", 0);
	if (memfd < 0)
		return -1;
	snprintf(target, sizeof(target), "/proc/self/fd/%d", memfd);
	snprintf(link_path, sizeof(link_path), "%s/vitals-fuzz-%ld.parquet",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	unlink(link_path);
	if (symlink(target, link_path) < 0)
		return -1;
	atexit(remove_link);
	return 0;
}

static void check_message(const char *err)
{
	size_t n = strlen(link_path);

	/* Every failure starts with the file's name and says something after it. */
	if (strncmp(err, link_path, n) != 0 || strncmp(err + n, ": ", 2) != 0 || !err[n + 2])
		abort();
}

static void check_batch(const struct vitals_batch *b)
{
	for (size_t c = 0; c < b->schema.count; c++) {
		const struct vitals_column *col = &b->cols[c];

		if (col->nullable != (col->valid != NULL))
			abort();
		for (size_t i = 0; i < b->rows; i++) {
			if (col->valid && col->valid[i] > 1)
				abort();
			if (col->type == VITALS_TYPE_STRING && col->v.off[i + 1] < col->v.off[i])
				abort();
			if (col->type == VITALS_TYPE_BOOL && col->v.b[i] > 1)
				abort();
		}
		if (col->type == VITALS_TYPE_STRING &&
		    (col->v.off[0] != 0 || col->v.off[b->rows] != col->data_len))
			abort();
	}
}

static void read_all(const struct vitals_read_options *o)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	int rc;

	rc = vitals_reader_open(&r, link_path, o, err, sizeof(err));
	if (rc != 0) {
		check_message(err);
		return;
	}
	while ((rc = vitals_reader_next(r, &b)) == 1)
		check_batch(b);
	if (rc < 0)
		check_message(vitals_reader_errmsg(r));
	vitals_reader_close(r);
}

/* Read with row filters on the file's first string column, when it has one. */
static void read_filtered(void)
{
	static const char *const values[] = {"a", "", "process"};
	struct vitals_read_options o;
	struct vitals_row_filter f;
	struct vitals_reader *r;
	const struct vitals_schema *s;
	char err[512], *col = NULL;

	if (vitals_reader_open(&r, link_path, NULL, err, sizeof(err)) != 0)
		return;
	s = vitals_reader_schema(r);
	for (size_t i = 0; i < s->count && !col; i++)
		if (s->fields[i].type == VITALS_TYPE_STRING)
			col = strdup(s->fields[i].name);
	vitals_reader_close(r);
	if (!col)
		return;
	vitals_read_options_init(&o);
	f.column = col;
	f.values = values;
	f.value_count = 3;
	f.match = VITALS_MATCH_EQUAL;
	o.filters = &f;
	o.filter_count = 1;
	read_all(&o);
	f.match = VITALS_MATCH_PREFIX;
	f.value_count = 1;
	o.from = INT64_C(1600000000000000);
	o.to = INT64_C(1800000000000000);
	read_all(&o);
	free(col);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vitals_read_options o;
	struct vitals_file_info *info;
	char err[512];

	if (size > (1 << 20) || setup() < 0)
		return 0;
	if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
		return 0;
	read_all(NULL);
	vitals_read_options_init(&o);
	o.from = INT64_C(1600000000000000);
	o.to = INT64_C(1800000000000000);
	read_all(&o);
	read_filtered();
	if (vitals_file_describe(&info, link_path, err, sizeof(err)) == 0) {
		for (size_t g = 0; g < info->row_group_count; g++)
			for (size_t c = 0; c < info->schema->count; c++)
				if (!info->row_groups[g].columns[c].encodings ||
				    !info->row_groups[g].columns[c].codec)
					abort();
		vitals_file_info_free(info);
	} else {
		check_message(err);
	}
	return 0;
}
