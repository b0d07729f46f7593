/*
 * vitals_writer_adopt(): a new file that starts with the first row groups
 * of an earlier one, copied as bytes, holds exactly their rows then the new
 * ones, with a footer whose row groups, ordinals and statistics read back;
 * asking for more row groups than there are, other columns, or a file that
 * is not Parquet fails with a message; text files take the whole earlier
 * file after a matching header.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vitals/store.h>

#include "testutil.h"

static void schema_of(struct vitals_schema *s, int extra)
{
	vitals_schema_init(s);
	assert_int_equal(vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(s, "name", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "v", VITALS_TYPE_INT64, 1), 0);
	if (extra)
		assert_int_equal(vitals_schema_add(s, "x", VITALS_TYPE_DOUBLE, 1), 0);
}

/* Rows FIRST .. FIRST + N - 1: time = 1000 * i, name "n<i % 7>", v = i (null when i % 5 == 0). */
static void fill(struct vitals_batch *b, int first, int n)
{
	char name[16];

	vitals_batch_clear(b);
	for (int i = first; i < first + n; i++) {
		assert_int_equal(vitals_batch_set_i64(b, 0, 1000 * (int64_t)i), 0);
		snprintf(name, sizeof(name), "n%d", i % 7);
		assert_int_equal(vitals_batch_set_string(b, 1, name, strlen(name)), 0);
		if (i % 5)
			assert_int_equal(vitals_batch_set_i64(b, 2, i), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
}

/* Write PATH with row groups of ROWS[k] rows each (continuing the numbering). */
static int write_groups(const char *path, const int *rows, int ngroups, int base_fd, uint32_t adopt,
                        int first)
{
	struct vitals_write_options o;
	struct vitals_writer *w;
	struct vitals_schema s;
	struct vitals_batch *b;
	char err[512];
	int fd, rc = 0;

	schema_of(&s, 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_write_options_init(&o);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	/* The writer's row groups are rows[0] rows each: pass equal sizes (the last may be
	 * shorter). */
	o.row_group_rows = (size_t)rows[0];
	for (int g = 0; g < ngroups; g++) {
		if (g == 0) {
			assert_int_equal(vitals_writer_open_fd(&w, fd, VITALS_FORMAT_PARQUET, path,
			                                       &s, &o, err, sizeof(err)),
			                 0);
			if (base_fd >= 0 && (rc = vitals_writer_adopt(w, base_fd, adopt)) < 0) {
				vitals_writer_abort(w);
				goto out;
			}
		}
		fill(b, first, rows[g]);
		first += rows[g];
		assert_int_equal(vitals_writer_write(w, b), 0);
	}
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
out:
	close(fd);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	return rc;
}

/* Read PATH whole: the rows must be 0 .. N - 1 as fill() makes them. */
static void check_rows(const char *path, int n, size_t groups)
{
	struct vitals_file_info *info;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	int next = 0, rc;

	assert_int_equal(vitals_reader_open(&r, path, NULL, err, sizeof(err)), 0);
	while ((rc = vitals_reader_next(r, &b)) > 0)
		for (size_t i = 0; i < b->rows; i++, next++) {
			char name[16];
			size_t len;
			const char *s = vitals_batch_string(b, 1, i, &len);

			assert_int_equal(b->cols[0].v.i64[i], 1000 * (int64_t)next);
			snprintf(name, sizeof(name), "n%d", next % 7);
			assert_int_equal(len, strlen(name));
			assert_memory_equal(s, name, len);
			assert_int_equal(vitals_batch_is_valid(b, 2, i), next % 5 != 0);
			if (next % 5)
				assert_int_equal(b->cols[2].v.i64[i], next);
		}
	assert_int_equal(rc, 0);
	assert_int_equal(next, n);
	vitals_reader_close(r);
	assert_int_equal(vitals_file_describe(&info, path, err, sizeof(err)), 0);
	assert_int_equal(info->row_group_count, groups);
	assert_int_equal(info->rows, n);
	/* Statistics of the adopted row groups survive: the time range of each. */
	for (size_t g = 0, at = 0; g < groups; g++) {
		assert_true(info->row_groups[g].columns[0].has_int_stats);
		assert_int_equal(info->row_groups[g].columns[0].min_i, 1000 * (int64_t)at);
		at += (size_t)info->row_groups[g].rows;
		assert_int_equal(info->row_groups[g].columns[0].max_i, 1000 * (int64_t)(at - 1));
	}
	vitals_file_info_free(info);
}

static void test_adopt_parquet(void **state)
{
	char *dir = tu_tmpdir(), a[512], b[512], c[512];
	const int first[] = {60, 60, 60}, more[] = {70};
	int fd;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.parquet", dir);
	snprintf(b, sizeof(b), "%s/b.parquet", dir);
	snprintf(c, sizeof(c), "%s/c.parquet", dir);
	assert_int_equal(write_groups(a, first, 3, -1, 0, 0), 0);
	check_rows(a, 180, 3);

	/* Keep two of A's three row groups, then 70 rows numbered after them. */
	fd = open(a, O_RDONLY);
	assert_int_equal(write_groups(b, more, 1, fd, 2, 120), 0);
	check_rows(b, 190, 3);
	/* And again from B, all three: a growing file. */
	close(fd);
	fd = open(b, O_RDONLY);
	assert_int_equal(write_groups(c, more, 1, fd, 3, 190), 0);
	check_rows(c, 260, 4);
	/* More row groups than the file has. */
	assert_true(write_groups(c, more, 1, fd, 4, 190) < 0);
	close(fd);
	tu_rmrf(dir);
	free(dir);
}

static void test_adopt_refuses(void **state)
{
	struct vitals_write_options o;
	struct vitals_writer *w;
	struct vitals_schema s;
	char *dir = tu_tmpdir(), a[512], junk[512], out[512], err[512];
	const int rows[] = {10};
	int fd, ofd;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.parquet", dir);
	snprintf(junk, sizeof(junk), "%s/junk.parquet", dir);
	snprintf(out, sizeof(out), "%s/out.parquet", dir);
	assert_int_equal(write_groups(a, rows, 1, -1, 0, 0), 0);
	tu_write(dir, "junk.parquet", "this is not a Parquet file at all");

	/* Other columns. */
	schema_of(&s, 1);
	vitals_write_options_init(&o);
	ofd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fd = open(a, O_RDONLY);
	assert_int_equal(
	    vitals_writer_open_fd(&w, ofd, VITALS_FORMAT_PARQUET, out, &s, &o, err, sizeof(err)),
	    0);
	assert_int_equal(vitals_writer_adopt(w, fd, 1), VITALS_E_INVAL);
	assert_non_null(strstr(vitals_writer_errmsg(w), "other columns"));
	vitals_writer_abort(w);
	close(fd);
	/* Not Parquet. */
	fd = open(junk, O_RDONLY);
	assert_int_equal(
	    vitals_writer_open_fd(&w, ofd, VITALS_FORMAT_PARQUET, out, &s, &o, err, sizeof(err)),
	    0);
	assert_int_equal(vitals_writer_adopt(w, fd, 0), VITALS_E_PARSE);
	assert_non_null(strstr(vitals_writer_errmsg(w), "not Parquet"));
	vitals_writer_abort(w);
	close(fd);
	close(ofd);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

static void test_adopt_csv(void **state)
{
	struct vitals_write_options o;
	struct vitals_writer *w;
	struct vitals_schema s;
	struct vitals_batch *b;
	char *dir = tu_tmpdir(), a[512], out[512], err[512], *text;
	int fd, ofd;

	(void)state;
	snprintf(a, sizeof(a), "%s/a.csv", dir);
	snprintf(out, sizeof(out), "%s/out.csv", dir);
	schema_of(&s, 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_write_options_init(&o);
	assert_int_equal(vitals_writer_open(&w, a, &s, &o, err, sizeof(err)), 0);
	fill(b, 0, 3);
	assert_int_equal(vitals_writer_write(w, b), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);

	fd = open(a, O_RDONLY);
	ofd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	assert_int_equal(
	    vitals_writer_open_fd(&w, ofd, VITALS_FORMAT_CSV, out, &s, &o, err, sizeof(err)), 0);
	assert_int_equal(vitals_writer_adopt(w, fd, 0), 0);
	fill(b, 3, 2);
	assert_int_equal(vitals_writer_write(w, b), 0);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	close(fd);
	close(ofd);
	text = tu_slurp(out, NULL);
	/* One header, five rows in order. */
	assert_string_equal(text, "time,name,v\n"
	                          "1970-01-01T00:00:00Z,n0,\n"
	                          "1970-01-01T00:00:00.001000Z,n1,1\n"
	                          "1970-01-01T00:00:00.002000Z,n2,2\n"
	                          "1970-01-01T00:00:00.003000Z,n3,3\n"
	                          "1970-01-01T00:00:00.004000Z,n4,4\n");
	free(text);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_adopt_parquet),
	    cmocka_unit_test(test_adopt_refuses),
	    cmocka_unit_test(test_adopt_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
