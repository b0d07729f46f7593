/*
 * Streamed row groups (src/store/stream.h): rows taken batch by batch
 * read back exactly from a file written at any point, whatever encoding
 * each column's pages took (a dictionary kept, given up on the first
 * page, stopped when it grew past a quarter of the values or past its
 * byte cap; DELTA_BINARY_PACKED or PLAIN without it), with nulls,
 * booleans and strings, and with exact statistics. Writing does not
 * change the stream; a cleared stream starts a new row group; a writer
 * that adopts row groups in place continues a file without copying them.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/store.h>

#include "store/stream.h"
#include "testutil.h"

enum { C_TIME, C_KIND, C_ID, C_COUNTER, C_PCT, C_SMALL, C_FLAG, C_UNIQ, C_MID, C_NAME, C_COUNT };

static void schema_of(struct vitals_schema *s)
{
	vitals_schema_init(s);
	assert_int_equal(vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(s, "kind", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(s, "id", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "counter", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(s, "pct", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(s, "small", VITALS_TYPE_INT32, 1), 0);
	assert_int_equal(vitals_schema_add(s, "flag", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(s, "uniq", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "mid", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(s, "name", VITALS_TYPE_STRING, 1), 0);
}

/*
 * Row I's values; 0 when the cell is null. TEXT receives strings. Samples
 * of 50 rows share a time; the first 10 of a sample are "cpu" rows.
 */
static int value(int col, long i, int64_t *iv, double *dv, char *text, size_t cap)
{
	long e = i % 50;

	switch (col) {
	case C_TIME:
		*iv = 1000000 * (int64_t)(i / 50);
		return 1;
	case C_KIND:
		snprintf(text, cap, "%s", e < 10 ? "cpu" : "process");
		return 1;
	case C_ID:
		if (e < 10 && i % 3 == 0)
			return 0;
		snprintf(text, cap, "p%ld", e);
		return 1;
	case C_COUNTER:
		*iv = (int64_t)i * 17 + e * 1000000000LL;
		return e != 0;
	case C_PCT:
		*dv = sin((double)i) * 100.0;
		return i % 7 != 0;
	case C_SMALL:
		*iv = i % 5 - 2;
		return i % 9 != 0;
	case C_FLAG:
		*iv = i % 3 == 0;
		return i % 11 != 0;
	case C_UNIQ:
		snprintf(text, cap, "u%ld", i);
		return e >= 10;
	case C_MID: /* a dictionary at first, then every value new */
		*iv = i < 2000 ? i % 10 : i;
		return 1;
	case C_NAME: /* long names, each five times: past a small dictionary's cap */
		snprintf(text, cap, "a-fairly-long-process-name-%ld", (i / 5) % 3000);
		return e != 49;
	}
	return 0;
}

static void fill(struct vitals_batch *b, long first, long n)
{
	char text[64];

	vitals_batch_clear(b);
	for (long i = first; i < first + n; i++) {
		for (int c = 0; c < C_COUNT; c++) {
			int64_t iv = 0;
			double dv = 0;

			if (!value(c, i, &iv, &dv, text, sizeof(text))) {
				assert_int_equal(vitals_batch_set_null(b, (size_t)c), 0);
				continue;
			}
			switch (c) {
			case C_KIND:
			case C_ID:
			case C_UNIQ:
			case C_NAME:
				assert_int_equal(
				    vitals_batch_set_string(b, (size_t)c, text, strlen(text)), 0);
				break;
			case C_PCT:
				assert_int_equal(vitals_batch_set_double(b, (size_t)c, dv), 0);
				break;
			case C_SMALL:
				assert_int_equal(vitals_batch_set_i32(b, (size_t)c, (int32_t)iv),
				                 0);
				break;
			case C_FLAG:
				assert_int_equal(vitals_batch_set_bool(b, (size_t)c, (int)iv), 0);
				break;
			default:
				assert_int_equal(vitals_batch_set_i64(b, (size_t)c, iv), 0);
				break;
			}
		}
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
}

static void options(struct vitals_write_options *o)
{
	vitals_write_options_init(o);
	o->page_bytes = 4096; /* many pages */
	o->dictionary_bytes = 16384;
}

/*
 * Write S as one row group of PATH, after the first ADOPT row groups of
 * BASE_FD (-1: none); the pages of its last committed write come from
 * SRC_FD. COMMIT: PATH is the file the next write reads from.
 */
static void write_stream_from(const char *path, struct pq_stream *s, int base_fd, uint32_t adopt,
                              int in_place, int src_fd, int commit)
{
	struct vitals_write_options o;
	struct vitals_writer *w;
	struct vitals_schema sc;
	char err[512];
	int fd = open(path, in_place ? O_RDWR : O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t end;

	assert_true(fd >= 0);
	schema_of(&sc);
	options(&o);
	assert_int_equal(
	    vitals_writer_open_fd(&w, fd, VITALS_FORMAT_PARQUET, path, &sc, &o, err, sizeof(err)),
	    0);
	if (base_fd >= 0)
		assert_int_equal(in_place ? store_writer_adopt_in_place(w, base_fd, adopt)
		                          : vitals_writer_adopt(w, base_fd, adopt),
		                 0);
	assert_int_equal(store_writer_put_stream(w, s, src_fd), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	end = lseek(fd, 0, SEEK_CUR);
	assert_int_equal(ftruncate(fd, end), 0);
	close(fd);
	if (commit)
		pq_stream_commit(s);
	vitals_schema_release(&sc);
}

static void write_stream(const char *path, struct pq_stream *s, int base_fd, uint32_t adopt,
                         int in_place)
{
	write_stream_from(path, s, base_fd, adopt, in_place, -1, 0);
}

/* PATH holds rows FIRST .. FIRST + N - 1 exactly, in GROUPS row groups with exact time statistics.
 */
static void check(const char *path, long first, long n, size_t groups)
{
	struct vitals_file_info *info;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512], text[64];
	long next = first;
	int rc;

	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	while ((rc = vitals_reader_next(r, &b)) > 0)
		for (size_t i = 0; i < b->rows; i++, next++)
			for (int c = 0; c < C_COUNT; c++) {
				int64_t iv = 0;
				double dv = 0;
				int ok = value(c, next, &iv, &dv, text, sizeof(text));
				size_t len;
				const char *sv;

				if (vitals_batch_is_valid(b, (size_t)c, i) != ok)
					fail_msg("row %ld column %d: validity %d, want %d", next, c,
					         vitals_batch_is_valid(b, (size_t)c, i), ok);
				if (!ok)
					continue;
				switch (c) {
				case C_KIND:
				case C_ID:
				case C_UNIQ:
				case C_NAME:
					sv = vitals_batch_string(b, (size_t)c, i, &len);
					if (len != strlen(text) || memcmp(sv, text, len) != 0)
						fail_msg("row %ld column %d: '%.*s', want '%s'",
						         next, c, (int)len, sv, text);
					break;
				case C_PCT:
					assert_true(b->cols[c].v.f64[i] == dv);
					break;
				case C_SMALL:
					assert_int_equal(b->cols[c].v.i32[i], iv);
					break;
				case C_FLAG:
					assert_int_equal(b->cols[c].v.b[i] != 0, iv);
					break;
				default:
					if (b->cols[c].v.i64[i] != iv)
						fail_msg("row %ld column %d: %lld, want %lld", next,
						         c, (long long)b->cols[c].v.i64[i],
						         (long long)iv);
					break;
				}
			}
	assert_int_equal(rc, 0);
	assert_int_equal(next, first + n);
	vitals_reader_close(r);

	assert_int_equal(vitals_file_describe(&info, path, err, sizeof(err)), 0);
	assert_int_equal(info->row_group_count, groups);
	{
		/* The last row group is the stream's: its statistics are exact. */
		const struct vitals_row_group_info *g = &info->row_groups[groups - 1];
		long lo = first + n - (long)g->rows, hi = first + n - 1;
		int64_t cmin = INT64_MAX, cmax = INT64_MIN;

		assert_true(g->columns[C_TIME].has_int_stats);
		assert_int_equal(g->columns[C_TIME].min_i, 1000000 * (int64_t)(lo / 50));
		assert_int_equal(g->columns[C_TIME].max_i, 1000000 * (int64_t)(hi / 50));
		for (long i = lo; i <= hi; i++) {
			int64_t iv;
			double dv;

			if (value(C_COUNTER, i, &iv, &dv, text, sizeof(text))) {
				cmin = iv < cmin ? iv : cmin;
				cmax = iv > cmax ? iv : cmax;
			}
		}
		assert_int_equal(g->columns[C_COUNTER].has_int_stats, cmin <= cmax);
		if (cmin <= cmax) {
			assert_int_equal(g->columns[C_COUNTER].min_i, cmin);
			assert_int_equal(g->columns[C_COUNTER].max_i, cmax);
		}
	}
	vitals_file_info_free(info);
}

static void test_stream_roundtrip(void **state)
{
	static const long sizes[] = {1, 7, 50, 333, 1000, 2, 4096};
	struct vitals_write_options o;
	struct vitals_schema sc;
	struct vitals_batch *b;
	struct pq_stream *s;
	char *dir = tu_tmpdir(), path[4096], a[4096], c[4096];
	long at = 0, k = 0, checks[] = {1, 5000, 17000, 30000};
	size_t next_check = 0;
	int turn = 0, committed = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.parquet", dir);
	snprintf(a, sizeof(a), "%s/a.parquet", dir);
	snprintf(c, sizeof(c), "%s/c.parquet", dir);
	schema_of(&sc);
	options(&o);
	assert_int_equal(vitals_batch_new(&b, &sc), 0);
	assert_int_equal(pq_stream_new(&s, &sc, &o), 0);
	while (next_check < sizeof(checks) / sizeof(checks[0])) {
		long n = sizes[k++ % (sizeof(sizes) / sizeof(sizes[0]))];

		if (at + n > checks[next_check])
			n = checks[next_check] - at;
		fill(b, at, n);
		assert_int_equal(pq_stream_append(s, b), 0);
		at += n;
		assert_int_equal(pq_stream_rows(s), at);
		if (at == checks[next_check]) {
			/* Twice: writing leaves the stream as it was. */
			int src = committed ? open(turn ? a : c, O_RDONLY) : -1;

			write_stream_from(path, s, -1, 0, 0, src, 0);
			check(path, 0, at, 1);
			write_stream_from(path, s, -1, 0, 0, src, 0);
			check(path, 0, at, 1);
			if (src >= 0)
				close(src);
			next_check++;
		}
		if (k % 5 == 0) {
			/*
			 * As a recorder does: the pages of the last committed write come
			 * from its file, the other one of two.
			 */
			char *from = turn ? a : c, *to = turn ? c : a;
			int src = committed ? open(from, O_RDONLY) : -1;

			write_stream_from(to, s, -1, 0, 0, src, 1);
			if (src >= 0)
				close(src);
			committed = 1;
			turn = !turn;
			check(to, 0, at, 1);
			/* The pages of that write are no longer in memory: without its file, no
			 * write. */
			{
				struct vitals_write_options wo;
				struct vitals_writer *w;
				char err[512];

				options(&wo);
				assert_int_equal(
				    vitals_writer_open(&w, path, &sc, &wo, err, sizeof(err)), 0);
				assert_true(store_writer_put_stream(w, s, -1) < 0);
				vitals_writer_abort(w);
			}
		}
	}
	/* Pages are compressed: far fewer bytes than the rows' values. */
	assert_true(pq_stream_bytes(s) < (uint64_t)at * 40);

	/* Cleared, it holds the next row group only (and reads no earlier file). */
	pq_stream_clear(s);
	assert_int_equal(pq_stream_rows(s), 0);
	fill(b, 100000, 777);
	assert_int_equal(pq_stream_append(s, b), 0);
	write_stream(path, s, -1, 0, 0);
	check(path, 100000, 777, 1);

	pq_stream_free(s);
	vitals_batch_free(b);
	vitals_schema_release(&sc);
	tu_rmrf(dir);
	free(dir);
}

/* A file continued in place: its first row group stays where it is, untouched. */
static void test_stream_in_place(void **state)
{
	struct vitals_write_options o;
	struct vitals_schema sc;
	struct vitals_batch *b;
	struct pq_stream *s;
	char *dir = tu_tmpdir(), a[4096], c[4096], *before, *after;
	size_t blen, alen;
	int afd;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.parquet", dir);
	snprintf(c, sizeof(c), "%s/c.parquet", dir);
	schema_of(&sc);
	options(&o);
	assert_int_equal(vitals_batch_new(&b, &sc), 0);
	assert_int_equal(pq_stream_new(&s, &sc, &o), 0);
	fill(b, 0, 3000);
	assert_int_equal(pq_stream_append(s, b), 0);
	write_stream(a, s, -1, 0, 0);
	check(a, 0, 3000, 1);

	/* C is a copy of A; it takes a second row group after A's first, in place. */
	before = tu_slurp(a, &blen);
	tu_write(dir, "c.parquet", ""); /* created, then filled below */
	{
		int fd = open(c, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, before, blen), (ssize_t)blen);
		close(fd);
	}
	pq_stream_clear(s);
	fill(b, 3000, 1234);
	assert_int_equal(pq_stream_append(s, b), 0);
	afd = open(a, O_RDONLY);
	assert_true(afd >= 0);
	write_stream(c, s, afd, 1, 1);
	close(afd);
	check(c, 0, 4234, 2);
	/* The first row group's bytes are A's. */
	after = tu_slurp(c, &alen);
	{
		struct vitals_file_info *info;
		char err[512];
		uint64_t end;

		assert_int_equal(vitals_file_describe(&info, a, err, sizeof(err)), 0);
		end = 4 + (uint64_t)info->row_groups[0].compressed;
		vitals_file_info_free(info);
		assert_true(alen > end && blen > end);
		assert_memory_equal(before, after, end);
	}
	free(before);
	free(after);
	pq_stream_free(s);
	vitals_batch_free(b);
	vitals_schema_release(&sc);
	tu_rmrf(dir);
	free(dir);
}

/*
 * A dictionary that passes 65536 entries inside a page: the page's
 * indices widen from two bytes to four and every value reads back.
 */
static void test_stream_wide_dictionary(void **state)
{
	struct vitals_write_options o;
	struct vitals_schema sc;
	struct vitals_batch *b;
	struct vitals_reader *r;
	const struct vitals_batch *rb;
	struct vitals_writer *w;
	struct pq_stream *s;
	char *dir = tu_tmpdir(), path[4096], err[512];
	const long n = 400000;
	long next = 0;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/w.parquet", dir);
	vitals_schema_init(&sc);
	assert_int_equal(vitals_schema_add(&sc, "v", VITALS_TYPE_INT64, 0), 0);
	vitals_write_options_init(&o);
	assert_int_equal(vitals_batch_new(&b, &sc), 0);
	assert_int_equal(pq_stream_new(&s, &sc, &o), 0);
	for (long at = 0; at < n; at += 1000) {
		vitals_batch_clear(b);
		for (long i = at; i < at + 1000; i++) {
			assert_int_equal(vitals_batch_set_i64(b, 0, i / 5 * 7919), 0);
			assert_int_equal(vitals_batch_end_row(b), 0);
		}
		assert_int_equal(pq_stream_append(s, b), 0);
	}
	assert_int_equal(vitals_writer_open(&w, path, &sc, &o, err, sizeof(err)), 0);
	assert_int_equal(store_writer_put_stream(w, s, -1), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	while ((rc = vitals_reader_next(r, &rb)) > 0)
		for (size_t i = 0; i < rb->rows; i++, next++)
			if (rb->cols[0].v.i64[i] != next / 5 * 7919)
				fail_msg("row %ld: %lld", next, (long long)rb->cols[0].v.i64[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(next, n);
	vitals_reader_close(r);
	{
		struct vitals_file_info *info;

		assert_int_equal(vitals_file_describe(&info, path, err, sizeof(err)), 0);
		/* The dictionary was kept throughout. */
		assert_non_null(strstr(info->row_groups[0].columns[0].encodings, "RLE_DICTIONARY"));
		vitals_file_info_free(info);
	}
	pq_stream_free(s);
	vitals_batch_free(b);
	vitals_schema_release(&sc);
	tu_rmrf(dir);
	free(dir);
}

/*
 * A column of rare rows whose values are all distinct gives up its
 * dictionary long before its first page fills, and reads back whole.
 */
static void test_stream_dictionary_probation(void **state)
{
	struct vitals_write_options o;
	struct vitals_schema sc;
	struct vitals_batch *b;
	struct vitals_reader *r;
	const struct vitals_batch *rb;
	struct vitals_writer *w;
	struct pq_stream *s;
	char *dir = tu_tmpdir(), path[4096], err[512];
	const long n = 100000;
	long next = 0;
	uint64_t held_before = 0;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/p.parquet", dir);
	vitals_schema_init(&sc);
	assert_int_equal(vitals_schema_add(&sc, "v", VITALS_TYPE_DOUBLE, 1), 0);
	vitals_write_options_init(&o);
	assert_int_equal(vitals_batch_new(&b, &sc), 0);
	assert_int_equal(pq_stream_new(&s, &sc, &o), 0);
	for (long at = 0; at < n; at += 1000) {
		vitals_batch_clear(b);
		for (long i = at; i < at + 1000; i++) {
			if (i % 10 == 0)
				assert_int_equal(vitals_batch_set_double(b, 0, (double)i / 7), 0);
			assert_int_equal(vitals_batch_end_row(b), 0);
		}
		assert_int_equal(pq_stream_append(s, b), 0);
		if (at == 20000)
			held_before = pq_stream_memory(s);
	}
	/* 10000 distinct values, no page yet: no dictionary of them held. */
	assert_true(pq_stream_memory(s) < held_before + (64 << 10));
	assert_int_equal(vitals_writer_open(&w, path, &sc, &o, err, sizeof(err)), 0);
	assert_int_equal(store_writer_put_stream(w, s, -1), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	while ((rc = vitals_reader_next(r, &rb)) > 0)
		for (size_t i = 0; i < rb->rows; i++, next++) {
			assert_int_equal(vitals_batch_is_valid(rb, 0, i), next % 10 == 0);
			if (next % 10 == 0)
				assert_true(rb->cols[0].v.f64[i] == (double)next / 7);
		}
	assert_int_equal(rc, 0);
	assert_int_equal(next, n);
	vitals_reader_close(r);
	{
		struct vitals_file_info *info;

		assert_int_equal(vitals_file_describe(&info, path, err, sizeof(err)), 0);
		assert_null(strstr(info->row_groups[0].columns[0].encodings, "DICTIONARY"));
		vitals_file_info_free(info);
	}
	pq_stream_free(s);
	vitals_batch_free(b);
	vitals_schema_release(&sc);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream_roundtrip),
	    cmocka_unit_test(test_stream_in_place),
	    cmocka_unit_test(test_stream_wide_dictionary),
	    cmocka_unit_test(test_stream_dictionary_probation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
