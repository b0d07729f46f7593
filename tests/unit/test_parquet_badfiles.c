/*
 * Damaged Parquet files: every one must end in a clear message that starts
 * with the file's name, never in a crash, a hang or a huge allocation.
 * Truncations at every offset and flipped bytes at every position of small
 * valid files, absurd sizes spliced into real footers and page headers, and
 * fixtures kept under tests/fixtures/parquet/bad/ with their exact messages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/store.h>

#include "testutil.h"
#include "store/pqmeta.h"
#include "util/bytebuf.h"

static void spit(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/*
 * Open PATH, read every batch and describe it. Returns 0 when all of it
 * worked, else the first failure's status with its message in ERR, which
 * must start with the file's name.
 */
static int read_file(const char *path, char *err, size_t errlen)
{
	struct vitals_reader *r;
	struct vitals_file_info *info;
	const struct vitals_batch *b;
	size_t n = strlen(path);
	int rc, drc;
	char derr[512];

	err[0] = '\0';
	rc = vitals_reader_open(&r, path, NULL, err, errlen);
	if (rc == 0) {
		while ((rc = vitals_reader_next(r, &b)) == 1)
			;
		if (rc < 0)
			snprintf(err, errlen, "%s", vitals_reader_errmsg(r));
		vitals_reader_close(r);
	}
	drc = vitals_file_describe(&info, path, derr, sizeof(derr));
	if (drc == 0)
		vitals_file_info_free(info);
	else if (strncmp(derr, path, n) != 0 || strncmp(derr + n, ": ", 2) != 0)
		fail_msg("describe: message without the file name: %s", derr);
	if (rc < 0 && (strncmp(err, path, n) != 0 || strncmp(err + n, ": ", 2) != 0 || !err[n + 2]))
		fail_msg("message without the file name: %s", err);
	return rc < 0 ? rc : 0;
}

static void test_truncated_everywhere(void **state)
{
	static const char *const files[] = {"parquet/duckdb-small.parquet",
	                                    "parquet/crafted-legacy.parquet"};
	char *dir = tu_tmpdir(), path[4096], err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/cut.parquet", dir);
	for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
		size_t len;
		uint8_t *buf = (uint8_t *)tu_slurp(tu_fixture(files[k]), &len);

		assert_int_equal(read_file(tu_fixture(files[k]), err, sizeof(err)), 0);
		for (size_t cut = 0; cut < len; cut++) {
			spit(path, buf, cut);
			if (read_file(path, err, sizeof(err)) == 0)
				fail_msg("%s cut at %zu bytes read without an error", files[k],
				         cut);
		}
		free(buf);
	}
	tu_rmrf(dir);
	free(dir);
}

static void test_flipped_bytes(void **state)
{
	static const struct {
		const char *file;
		uint8_t masks[3];
	} cases[] = {
	    {"parquet/duckdb-small.parquet", {0x01, 0x80, 0xff}},
	    {"parquet/crafted-legacy.parquet", {0x01, 0x40, 0xff}},
	    {"parquet/crafted-v2mix.parquet", {0x02, 0x80, 0xff}},
	    {"parquet/crafted-int96.parquet", {0x01, 0x80, 0xff}},
	    {"parquet/hyparquet-delta.parquet", {0x10, 0, 0}},
	};
	char *dir = tu_tmpdir(), path[4096], err[512];
	size_t failed = 0, runs = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/flip.parquet", dir);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t len;
		uint8_t *buf = (uint8_t *)tu_slurp(tu_fixture(cases[k].file), &len);

		for (size_t m = 0; m < 3 && cases[k].masks[m]; m++) {
			for (size_t i = 0; i < len; i++) {
				buf[i] ^= cases[k].masks[m];
				spit(path, buf, len);
				failed += read_file(path, err, sizeof(err)) != 0;
				runs++;
				buf[i] ^= cases[k].masks[m];
			}
		}
		free(buf);
	}
	/* Most flips are caught; some land in values and read as other values. */
	assert_true(failed > runs / 4);
	assert_true(failed < runs);
	tu_rmrf(dir);
	free(dir);
}

/* ---- files rebuilt with changed footers and page headers ----------------------- */

struct pqfile {
	uint8_t *buf; /* data: [0, len) without the footer */
	size_t len;
	struct pq_file_meta m;
};

static void pqfile_load(struct pqfile *f, const char *fixture)
{
	char err[512];
	size_t len;
	uint32_t flen;

	f->buf = (uint8_t *)tu_slurp(tu_fixture(fixture), &len);
	memcpy(&flen, f->buf + len - 8, 4);
	f->len = len - 8 - flen;
	if (pq_meta_decode(&f->m, f->buf + f->len, flen, err, sizeof(err)) != 0)
		fail_msg("%s: %s", fixture, err);
}

static void pqfile_write(struct pqfile *f, const char *path)
{
	struct bytebuf out;
	FILE *fp;
	uint32_t flen;

	bytebuf_init(&out, 0);
	assert_int_equal(bytebuf_append(&out, f->buf, f->len), 0);
	assert_int_equal(pq_meta_encode(&f->m, &out), 0);
	flen = (uint32_t)(out.len - f->len);
	assert_int_equal(bytebuf_put_le32(&out, flen), 0);
	assert_int_equal(bytebuf_append(&out, "PAR1", 4), 0);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(out.p, 1, out.len, fp), out.len);
	fclose(fp);
	bytebuf_release(&out);
}

static void pqfile_release(struct pqfile *f)
{
	pq_meta_release(&f->m);
	free(f->buf);
}

static int64_t chunk_start(const struct pq_column_meta *cm)
{
	if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
	    cm->dictionary_page_offset < cm->data_page_offset)
		return cm->dictionary_page_offset;
	return cm->data_page_offset;
}

/* Replace bytes [AT, AT + OLD) of the data with NEW_LEN bytes, moving what follows. */
static void pqfile_splice(struct pqfile *f, size_t at, size_t old, const uint8_t *bytes,
                          size_t new_len)
{
	int64_t delta = (int64_t)new_len - (int64_t)old;
	uint8_t *nb = malloc(f->len - old + new_len + 1);

	assert_non_null(nb);
	memcpy(nb, f->buf, at);
	memcpy(nb + at, bytes, new_len);
	memcpy(nb + at + new_len, f->buf + at + old, f->len - at - old);
	for (uint32_t g = 0; g < f->m.row_group_count; g++) {
		for (uint32_t c = 0; c < f->m.row_groups[g].column_count; c++) {
			struct pq_column_chunk *cc = &f->m.row_groups[g].columns[c];
			struct pq_column_meta *cm = &cc->meta;
			int64_t s = chunk_start(cm);

			if (s <= (int64_t)at && (int64_t)at < s + cm->total_compressed_size)
				cm->total_compressed_size += delta;
			if (cm->data_page_offset > (int64_t)at)
				cm->data_page_offset += delta;
			if (cm->has_dictionary_page_offset &&
			    cm->dictionary_page_offset > (int64_t)at)
				cm->dictionary_page_offset += delta;
			if (cc->file_offset > (int64_t)at)
				cc->file_offset += delta;
		}
	}
	free(f->buf);
	f->buf = nb;
	f->len = f->len - old + new_len;
}

/* Change page PAGE of column COL in row group 0 with EDIT. */
static void pqfile_edit_page(struct pqfile *f, uint32_t col, int page,
                             void (*edit)(struct pq_page_header *h))
{
	const struct pq_column_meta *cm = &f->m.row_groups[0].columns[col].meta;
	size_t pos = (size_t)chunk_start(cm), used;
	struct pq_page_header h;
	struct bytebuf out;
	char err[512];

	for (int k = 0;; k++) {
		assert_int_equal(
		    pq_page_header_decode(&h, f->buf + pos, f->len - pos, &used, err, sizeof(err)),
		    0);
		if (k == page)
			break;
		pos += used + (size_t)h.compressed_size;
	}
	edit(&h);
	bytebuf_init(&out, 0);
	assert_int_equal(pq_page_header_encode(&h, &out), 0);
	pqfile_splice(f, pos, used, out.p, out.len);
	bytebuf_release(&out);
}

static void huge_usize(struct pq_page_header *h)
{
	h->uncompressed_size = INT32_MAX;
}

static void huge_values(struct pq_page_header *h)
{
	if (h->type == PQ_PAGE_DICTIONARY)
		h->dict_num_values = INT32_MAX;
	else
		h->num_values = INT32_MAX;
}

static void huge_csize(struct pq_page_header *h)
{
	h->compressed_size = INT32_MAX;
}

static void zero_sizes(struct pq_page_header *h)
{
	h->compressed_size = 0;
	h->uncompressed_size = 0;
}

/* Read PATH expecting a failure of STATUS whose message contains PART. */
static void expect_failure(const char *path, int status, const char *part)
{
	char err[512];
	int rc = read_file(path, err, sizeof(err));

	if (rc != status || !strstr(err, part))
		fail_msg("%s: status %d \"%s\", expected %d and \"%s\"", path, rc, err, status,
		         part);
}

static void test_absurd_sizes(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	struct pqfile f;
	int name_col;

	(void)state;
	snprintf(path, sizeof(path), "%s/absurd.parquet", dir);

	/* duckdb-small: id INT32, name (dictionary), v DOUBLE, time; 24 rows, snappy. */
	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_write(&f, path);
	assert_int_equal(read_file(path, (char[512]){0}, 512), 0); /* the rewrite is faithful */
	f.m.num_rows = INT64_C(1) << 62;
	f.m.row_groups[0].num_rows = INT64_C(1) << 62;
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_UNSUPPORTED,
	               ": row group 0: 4611686018427387904 rows, more than the 67108864 one batch "
	               "holds");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	f.m.num_rows = 25;
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE, ": the row groups hold 24 rows, the footer says 25");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	f.m.row_groups[0].columns[2].meta.total_compressed_size = INT64_C(1) << 40;
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE, "row group 0, column 'v': the column chunk (offset");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	f.m.row_groups[0].columns[0].meta.num_values = INT64_C(1) << 40;
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE,
	               "row group 0, column 'id': the column chunk has 1099511627776 values for 24 "
	               "rows");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	f.m.row_groups[0].columns[1].meta.codec = 5;
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_UNSUPPORTED,
	               "row group 0, column 'name': codec lz4 is not supported");
	pqfile_release(&f);

	/* Page headers: the dictionary page and the data page of 'name'. */
	name_col = 1;
	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_edit_page(&f, (uint32_t)name_col, 0, huge_usize);
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE,
	               "row group 0, column 'name', page 0: uncompressed size 2147483647 is out of "
	               "range (at most 1 GiB)");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_edit_page(&f, (uint32_t)name_col, 0, huge_values);
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE,
	               "row group 0, column 'name', page 0: a dictionary of 2147483647 values does "
	               "not fit in");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_edit_page(&f, (uint32_t)name_col, 1, huge_values);
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE,
	               "row group 0, column 'name', page 1: 2147483647 values in the page, more "
	               "than the 24 rows left in the row group");
	pqfile_release(&f);

	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_edit_page(&f, 0, 0, huge_csize);
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE,
	               "row group 0, column 'id', page 0: a page of 2147483647 bytes runs past the "
	               "end of the column chunk");
	pqfile_release(&f);

	/* Empty pages do not loop: the chunk runs out of pages. */
	pqfile_load(&f, "parquet/duckdb-small.parquet");
	pqfile_edit_page(&f, 2, 0, zero_sizes);
	pqfile_write(&f, path);
	expect_failure(path, VITALS_E_PARSE, "row group 0, column 'v', page ");
	pqfile_release(&f);

	tu_rmrf(dir);
	free(dir);
}

/* The damaged fixtures and their exact messages. */
static void test_bad_fixtures(void **state)
{
	static const struct {
		const char *file;
		int status;
		const char *message; /* after "PATH: " */
	} cases[] = {
	    {"tiny.parquet", VITALS_E_PARSE, "not a Parquet file (8 bytes)"},
	    {"magic-end.parquet", VITALS_E_PARSE, "not a Parquet file: wrong magic at end"},
	    {"magic-start.parquet", VITALS_E_PARSE, "not a Parquet file: wrong magic at start"},
	    {"cut-footer.parquet", VITALS_E_PARSE, "not a Parquet file: wrong magic at end"},
	    {"footer-past.parquet", VITALS_E_PARSE,
	     "footer length 2147483647 is past the start of the file (size 975)"},
	    {"dict-index.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v', page 1: dictionary index 3 out of range (dictionary has 2 "
	     "values)"},
	    {"page-usize.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v', page 0: uncompressed size 2147483647 is out of range (at "
	     "most 1 GiB)"},
	    {"rows-huge.parquet", VITALS_E_UNSUPPORTED,
	     "row group 0: 4611686018427387904 rows, more than the 67108864 one batch holds"},
	    {"values-short.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v', page 0: 1000 INT64 values cannot fit in 16 bytes of PLAIN"},
	    {"chunk-outside.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v': the column chunk (offset 100000, 33 bytes) lies outside the "
	     "data (file of 127 bytes)"},
	    {"page-past-chunk.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v', page 0: a page of 16 bytes runs past the end of the column "
	     "chunk (3 bytes left)"},
	    {"codec-brotli.parquet", VITALS_E_UNSUPPORTED,
	     "row group 0, column 'v': codec brotli is not supported"},
	    {"chunk-short.parquet", VITALS_E_PARSE,
	     "row group 0, column 'v', page 1: the column chunk ends after 2 of its 5 values"},
	    {"batch-huge.parquet", VITALS_E_UNSUPPORTED,
	     "row group 0: 67108864 rows of 16 columns need more than 8 GiB"},
	    {"millis-overflow.parquet", VITALS_E_PARSE,
	     "row group 0, column 't', page 0: value 1 does not fit a timestamp column"},
	};
	char path[4096], err[512];

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const char *want = cases[k].message;
		int rc;

		snprintf(path, sizeof(path), "%s", tu_fixture("parquet/bad/"));
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s", cases[k].file);
		rc = read_file(path, err, sizeof(err));
		if (rc != cases[k].status || strcmp(err + strlen(path) + 2, want) != 0)
			fail_msg("%s: status %d \"%s\", expected %d \"%s\"", cases[k].file, rc, err,
			         cases[k].status, want);
	}
	/* A list whose count is past the footer's bytes: the footer decoder refuses it. */
	snprintf(path, sizeof(path), "%s", tu_fixture("parquet/bad/list-huge.parquet"));
	assert_int_equal(read_file(path, err, sizeof(err)), VITALS_E_PARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_fixtures),
	    cmocka_unit_test(test_absurd_sizes),
	    cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_flipped_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
