/*
 * The recorder's files (include/vitals/record.h): its output alternates
 * between two files, so writes do not copy the trace; a reader that keeps
 * the output open keeps what it opened, byte for byte, while recording
 * goes on; a recovery rebuilds the growing row group from the journal;
 * nothing but the output is left at close, and temporaries of a dead
 * recorder are removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/record.h>

#include "record/journal.h"
#include "testutil.h"

/* link() fails while LINKS_FAIL is set (the test links with --wrap=link). */
static int links_fail;
int __real_link(const char *from, const char *to);
int __wrap_link(const char *from, const char *to);

int __wrap_link(const char *from, const char *to)
{
	if (links_fail) {
		errno = EPERM;
		return -1;
	}
	return __real_link(from, to);
}

static void schema_of(struct vitals_schema *s)
{
	vitals_schema_init(s);
	assert_int_equal(vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(s, "name", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "v", VITALS_TYPE_INT64, 1), 0);
}

/* Rows FIRST .. FIRST + N - 1: time 1000 * i, name "n<i % 7>", v = i * i (null when i % 5 == 0). */
static void fill(struct vitals_batch *b, long first, long n)
{
	char name[16];

	vitals_batch_clear(b);
	for (long i = first; i < first + n; i++) {
		assert_int_equal(vitals_batch_set_i64(b, 0, 1000 * (int64_t)i), 0);
		snprintf(name, sizeof(name), "n%ld", i % 7);
		assert_int_equal(vitals_batch_set_string(b, 1, name, strlen(name)), 0);
		if (i % 5)
			assert_int_equal(vitals_batch_set_i64(b, 2, (int64_t)i * i), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
}

/* PATH holds rows 0 .. N - 1 exactly. */
static void check_rows(const char *path, long n)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	long next = 0;
	int rc;

	if (vitals_reader_open(&r, path, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	while ((rc = vitals_reader_next(r, &b)) > 0)
		for (size_t i = 0; i < b->rows; i++, next++) {
			char name[16];
			size_t len;
			const char *s = vitals_batch_string(b, 1, i, &len);

			assert_int_equal(b->cols[0].v.i64[i], 1000 * (int64_t)next);
			snprintf(name, sizeof(name), "n%ld", next % 7);
			assert_int_equal(len, strlen(name));
			assert_memory_equal(s, name, len);
			assert_int_equal(vitals_batch_is_valid(b, 2, i), next % 5 != 0);
			if (next % 5)
				assert_int_equal(b->cols[2].v.i64[i], (int64_t)next * next);
		}
	assert_int_equal(rc, 0);
	assert_int_equal(next, n);
	vitals_reader_close(r);
}

/* Entries of DIR other than "." and "..". */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static struct vitals_recorder *open_recorder(const char *path, int64_t *recovered)
{
	struct vitals_recorder_options o;
	struct vitals_recorder *r;
	struct vitals_schema s;
	char err[512];

	schema_of(&s);
	vitals_recorder_options_init(&o);
	o.seal_rows = 500;
	if (vitals_recorder_open(&r, path, &s, &o, recovered, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	vitals_schema_release(&s);
	return r;
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Forty writes, seals among them: the output is one of two files in turn. */
static void test_twins_alternate(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	struct vitals_recorder *r;
	struct vitals_batch *b;
	struct vitals_schema s;
	ino_t seen[3] = {0, 0, 0};
	int distinct = 0;
	char err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	schema_of(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	r = open_recorder(path, NULL);
	for (long k = 0; k < 40; k++) {
		ino_t ino;
		int known = 0;

		fill(b, 100 * k, 100);
		assert_int_equal(vitals_recorder_add(r, b), 0);
		assert_int_equal(vitals_recorder_write(r), 0);
		assert_int_equal(vitals_recorder_rows_written(r), 100 * (k + 1));
		/* The journal starts again at each write: only its header is left. */
		{
			char jpath[4200];
			struct stat st;

			snprintf(jpath, sizeof(jpath), "%s.journal", path);
			assert_int_equal(stat(jpath, &st), 0);
			assert_true(st.st_size < 512);
		}
		ino = inode_of(path);
		for (int i = 0; i < distinct; i++)
			known |= seen[i] == ino;
		if (!known) {
			assert_true(distinct < 2);
			seen[distinct++] = ino;
		}
		if (k % 13 == 0)
			check_rows(path, 100 * (k + 1));
	}
	assert_int_equal(distinct, 2);
	/* Output, journal and the two twins while recording. */
	assert_int_equal(entries(dir), 4);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	check_rows(path, 4000);
	assert_int_equal(entries(dir), 1);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/* A reader holding the output open keeps reading the same bytes. */
static void test_reader_keeps_its_file(void **state)
{
	char *dir = tu_tmpdir(), path[4096], err[512];
	struct vitals_recorder *r;
	struct vitals_batch *b;
	struct vitals_schema s;
	char *before, after[1 << 16];
	size_t len;
	ino_t held;
	long at = 0;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	schema_of(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	r = open_recorder(path, NULL);
	for (int k = 0; k < 3; k++, at += 120) {
		fill(b, at, 120);
		assert_int_equal(vitals_recorder_add(r, b), 0);
		assert_int_equal(vitals_recorder_write(r), 0);
	}
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	held = inode_of(path);
	before = tu_slurp(path, &len);
	assert_true(len < sizeof(after));
	for (int k = 0; k < 6; k++, at += 120) {
		fill(b, at, 120);
		assert_int_equal(vitals_recorder_add(r, b), 0);
		assert_int_equal(vitals_recorder_write(r), 0);
		assert_true(inode_of(path) != held);
		assert_int_equal(pread(fd, after, sizeof(after), 0), (ssize_t)len);
		assert_memory_equal(before, after, len);
	}
	close(fd);
	check_rows(path, at);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	check_rows(path, at);
	free(before);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/* Killed after a seal and some writes: the growing row group comes back from the journal. */
static void test_recovery(void **state)
{
	char *dir = tu_tmpdir(), path[4096], err[512];
	struct vitals_recorder *r;
	struct vitals_batch *b;
	struct vitals_schema s;
	int64_t recovered = -1;
	long at = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	schema_of(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	r = open_recorder(path, NULL);
	for (int k = 0; k < 12; k++, at += 100) {
		fill(b, at, 100);
		assert_int_equal(vitals_recorder_add(r, b), 0);
		if (k % 3 == 2)
			assert_int_equal(vitals_recorder_write(r), 0);
	}
	fill(b, at, 77);
	at += 77;
	assert_int_equal(vitals_recorder_add(r, b), 0);
	/* 1277 rows taken, 1200 written; the process dies. */
	vitals_recorder_abort(r);
	check_rows(path, 1200);

	/* A dead recorder's temporaries, and one of a running process (kept). */
	tu_write(dir, ".out.parquet.tmp-2147480000.a", "x");
	tu_write(dir, ".out.parquet.tmp-2147480000", "x");
	{
		char name[64];

		snprintf(name, sizeof(name), ".out.parquet.tmp-%ld.b", (long)getppid());
		tu_write(dir, name, "x");
	}
	r = open_recorder(path, &recovered);
	assert_int_equal(recovered, 77);
	check_rows(path, at);
	/* The reloaded row group's open pages ended at that write: nothing is held. */
	assert_int_equal(vitals_recorder_held_values(r), 0);
	fill(b, at, 10);
	at += 10;
	assert_int_equal(vitals_recorder_add(r, b), 0);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	check_rows(path, at);
	/* The output and the live process's file. */
	assert_int_equal(entries(dir), 2);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/*
 * An output and journal left by an older recorder, whose last row group
 * was rebuilt from the journal at each write ("vitals.journal" = "GEN 0"):
 * recovered without counting a row twice.
 */
static void test_recovery_of_older_marks(void **state)
{
	char *dir = tu_tmpdir(), path[4096], jpath[4200], err[512];
	struct vitals_write_options o;
	struct journal_scratch js;
	struct vitals_kv meta[2] = {{"vitals.journal", "1234abcd 0"},
	                            {"vitals.sealed_row_groups", "1"}};
	struct vitals_recorder *r;
	struct vitals_writer *w;
	struct vitals_batch *b;
	struct vitals_schema s;
	int64_t recovered = -1;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	snprintf(jpath, sizeof(jpath), "%s.journal", path);
	schema_of(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	/* Rows 0..299 sealed, 300..399 in the last row group. */
	vitals_write_options_init(&o);
	o.row_group_rows = 300;
	o.meta = meta;
	o.meta_count = 2;
	assert_int_equal(vitals_writer_open(&w, path, &s, &o, err, sizeof(err)), 0);
	fill(b, 0, 400);
	assert_int_equal(vitals_writer_write(w, b), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	/* Its journal: rows 300..399 (in the output), then 400..449 (not yet). */
	memset(&js, 0, sizeof(js));
	assert_int_equal(journal_create(jpath, &s, 0x1234abcd, 0, &fd, err, sizeof(err)), 0);
	fill(b, 300, 100);
	assert_int_equal(journal_append(fd, b, 1, &js), 0);
	fill(b, 400, 50);
	assert_int_equal(journal_append(fd, b, 2, &js), 0);
	close(fd);
	journal_scratch_release(&js);

	r = open_recorder(path, &recovered);
	assert_int_equal(recovered, 50);
	check_rows(path, 450);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	check_rows(path, 450);
	assert_int_equal(entries(dir), 1);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/*
 * A filesystem without hard links: every write still replaces the output
 * whole, a reader keeps what it opened, and nothing is left at close.
 */
static void test_no_hard_links(void **state)
{
	char *dir = tu_tmpdir(), path[4096], err[512];
	struct vitals_recorder *r;
	struct vitals_batch *b;
	struct vitals_schema s;
	char *before, after[1 << 16];
	size_t len = 0;
	long at = 0;
	int fd = -1;

	(void)state;
	links_fail = 1;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	schema_of(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	r = open_recorder(path, NULL);
	before = NULL;
	for (int k = 0; k < 12; k++, at += 100) {
		fill(b, at, 100);
		assert_int_equal(vitals_recorder_add(r, b), 0);
		if (vitals_recorder_write(r) < 0)
			fail_msg("%s", vitals_recorder_errmsg(r));
		check_rows(path, at + 100);
		if (k == 3) {
			fd = open(path, O_RDONLY);
			assert_true(fd >= 0);
			before = tu_slurp(path, &len);
			assert_true(len < sizeof(after));
		}
		if (k > 3) {
			assert_int_equal(pread(fd, after, sizeof(after), 0), (ssize_t)len);
			assert_memory_equal(before, after, len);
		}
	}
	close(fd);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	check_rows(path, at);
	assert_int_equal(entries(dir), 1);
	links_fail = 0;
	free(before);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/*
 * What the recorder holds in memory: never values taken before the write
 * before the last, though some columns are rare (one row a sample) and
 * their pages would take hours to fill; the output holds every row.
 */
static void test_holds_two_write_intervals(void **state)
{
	char *dir = tu_tmpdir(), path[4096], err[512];
	struct vitals_recorder_options o;
	struct vitals_recorder *r;
	struct vitals_reader *rd;
	const struct vitals_batch *rb;
	struct vitals_batch *b;
	struct vitals_schema s;
	int64_t interval[2] = {0, 0}, most = 0, at = 0;
	enum { SAMPLES = 300, ROWS = 50, EVERY = 5 };
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/out.parquet", dir);
	schema_of(&s);
	assert_int_equal(vitals_schema_add(&s, "rare", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_recorder_options_init(&o);
	if (vitals_recorder_open(&r, path, &s, &o, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	for (int k = 0; k < SAMPLES; k++) {
		int64_t held;

		vitals_batch_clear(b);
		for (int i = 0; i < ROWS; i++, at++) {
			char name[16];

			snprintf(name, sizeof(name), "p%d", i);
			assert_int_equal(vitals_batch_set_i64(b, 0, 1000000 * (int64_t)k), 0);
			assert_int_equal(vitals_batch_set_string(b, 1, name, strlen(name)), 0);
			if (at % 5)
				assert_int_equal(vitals_batch_set_i64(b, 2, at * 7919 % 100003), 0);
			if (i == 0)
				assert_int_equal(vitals_batch_set_double(b, 3, k * 0.5), 0);
			assert_int_equal(vitals_batch_end_row(b), 0);
			interval[1] += 2 + (at % 5 != 0) + (i == 0);
		}
		assert_int_equal(vitals_recorder_add(r, b), 0);
		/* Values of this write interval and the one before. */
		held = vitals_recorder_held_values(r);
		assert_true(held > 0);
		assert_true(held <= interval[0] + interval[1]);
		if (held > most)
			most = held;
		if (k % EVERY == EVERY - 1) {
			if (vitals_recorder_write(r) < 0)
				fail_msg("%s", vitals_recorder_errmsg(r));
			/* Written: what stays is of this interval alone. */
			assert_true(vitals_recorder_held_values(r) <= interval[1]);
			interval[0] = interval[1];
			interval[1] = 0;
		}
	}
	/* Pages still fill up between writes: the bound is reached, not undercut by far. */
	assert_true(most > interval[0]);
	assert_int_equal(vitals_recorder_close(r, err, sizeof(err)), 0);
	if (vitals_reader_open(&rd, path, NULL, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	at = 0;
	while ((rc = vitals_reader_next(rd, &rb)) > 0)
		for (size_t i = 0; i < rb->rows; i++, at++) {
			int64_t k = at / ROWS;

			assert_int_equal(rb->cols[0].v.i64[i], 1000000 * k);
			assert_int_equal(vitals_batch_is_valid(rb, 2, i), at % 5 != 0);
			if (at % 5)
				assert_int_equal(rb->cols[2].v.i64[i], at * 7919 % 100003);
			assert_int_equal(vitals_batch_is_valid(rb, 3, i), at % ROWS == 0);
			if (at % ROWS == 0)
				assert_true(rb->cols[3].v.f64[i] == (double)k * 0.5);
		}
	assert_int_equal(rc, 0);
	assert_int_equal(at, SAMPLES * ROWS);
	vitals_reader_close(rd);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

/* Cell R of string column COL of B is S (NULL: null). */
static void assert_text(const struct vitals_batch *b, int col, size_t r, const char *s)
{
	size_t len;
	const char *v;

	assert_true(col >= 0);
	assert_int_equal(vitals_batch_is_valid(b, (size_t)col, r), s != NULL);
	if (!s)
		return;
	v = vitals_batch_string(b, (size_t)col, r, &len);
	assert_int_equal(len, strlen(s));
	assert_memory_equal(v, s, len);
}

/*
 * A sample of this machine as trace rows: one row per entity, kind by
 * kind, each cell the entity's attribute or metric or null, the cost in
 * the system row; rows already in the batch stay.
 */
static void test_trace_rows(void **state)
{
	struct vitals_collector_options co;
	struct vitals_sample_cost cost = {0.25, 0.5};
	struct vitals_collector *c;
	struct vitals_trace *t;
	struct vitals_batch *b;
	const struct vitals_schema *s;
	char err[256];
	size_t r = 1, rows = 1;

	(void)state;
	vitals_collector_options_init(&co);
	if (vitals_collector_new(&c, &co, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(vitals_trace_new(&t), 0);
	s = vitals_trace_schema(t);
	assert_int_equal(vitals_batch_new(&b, s), 0);
	assert_int_equal(vitals_collector_sample(c), 0);
	assert_int_equal(vitals_collector_sample(c), 0);
	assert_int_equal(vitals_trace_add_event(t, b, 5, "test", "before", NULL), 0);
	assert_int_equal(vitals_trace_add_sample(t, b, c, 1, &cost), 0);
	for (int k = 0; k < VITALS_KIND_COUNT; k++)
		for (size_t i = 0; i < vitals_collector_count(c, (enum vitals_kind)k); i++)
			rows += vitals_entity_in_scope(
			    vitals_collector_entity(c, (enum vitals_kind)k, i));
	assert_int_equal(b->rows, rows);
	assert_true(rows > 2);
	assert_text(b, 1, 0, "event");
	assert_text(b, 3, 0, "before");
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		size_t nattrs, nmetrics;
		const char *const *attrs = vitals_attr_list((enum vitals_kind)k, &nattrs);
		const struct vitals_metric *m = vitals_metric_list((enum vitals_kind)k, &nmetrics);

		for (size_t i = 0; i < vitals_collector_count(c, (enum vitals_kind)k); i++) {
			const struct vitals_entity *e =
			    vitals_collector_entity(c, (enum vitals_kind)k, i);
			int used[VITALS_COLUMNS_MAX] = {0};

			if (!vitals_entity_in_scope(e))
				continue;
			assert_int_equal(b->cols[0].v.i64[r], vitals_collector_time(c));
			assert_text(b, 1, r, vitals_kind_name((enum vitals_kind)k));
			assert_text(b, 2, r, vitals_entity_id(e));
			assert_text(b, 3, r, vitals_entity_name(e));
			used[0] = used[1] = used[2] = used[3] = 1;
			for (size_t a = 0; a < nattrs; a++) {
				int col = vitals_trace_column(t, attrs[a]);

				assert_text(b, col, r, vitals_entity_attr(e, a));
				used[col] = 1;
			}
			for (size_t j = 0; j < nmetrics; j++) {
				int col = vitals_trace_column(t, m[j].name);
				double v;
				int64_t iv;

				assert_true(col >= 0);
				used[col] = 1;
				if (vitals_entity_value(e, j, &v) != VITALS_OK) {
					assert_false(vitals_batch_is_valid(b, (size_t)col, r));
					continue;
				}
				assert_true(vitals_batch_is_valid(b, (size_t)col, r));
				if (b->cols[col].type == VITALS_TYPE_INT64) {
					assert_int_equal(vitals_entity_int(e, j, &iv), 0);
					assert_int_equal(b->cols[col].v.i64[r], iv);
				} else {
					assert_true(b->cols[col].v.f64[r] == v);
				}
			}
			if (k == VITALS_KIND_SYSTEM) {
				int cpu = vitals_trace_column(t, "sample_cpu_seconds");
				int sec = vitals_trace_column(t, "sample_seconds");

				assert_true(b->cols[cpu].v.f64[r] == 0.25);
				assert_true(b->cols[sec].v.f64[r] == 0.5);
				used[cpu] = used[sec] = 1;
			}
			/* Every other cell is null. */
			for (size_t col = 0; col < s->count; col++)
				if (!used[col])
					assert_false(vitals_batch_is_valid(b, col, r));
			r++;
		}
	}
	vitals_batch_free(b);
	vitals_trace_free(t);
	vitals_collector_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_twins_alternate),
	    cmocka_unit_test(test_reader_keeps_its_file),
	    cmocka_unit_test(test_recovery),
	    cmocka_unit_test(test_recovery_of_older_marks),
	    cmocka_unit_test(test_no_hard_links),
	    cmocka_unit_test(test_holds_two_write_intervals),
	    cmocka_unit_test(test_trace_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
