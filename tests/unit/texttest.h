/*
 * What the CSV and JSON lines tests share: random batches of every type
 * and null pattern, writing them to a file, reading a file back whole,
 * and comparing two batches value by value.
 */
#ifndef VITALS_TEXTTEST_H
#define VITALS_TEXTTEST_H

#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/store.h>
#include <vitals/table.h>

#define TT_UNUSED __attribute__((unused))

#define TT_TS_MIN (-62135596800000000LL) /* 0001-01-01T00:00:00Z */
#define TT_TS_MAX (253402300799999999LL) /* 9999-12-31T23:59:59.999999Z */

static uint64_t tt_rng = 0x2545F4914F6CDD1DULL;

static TT_UNUSED uint64_t tt_rnd(void)
{
	uint64_t x = tt_rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return tt_rng = x;
}

enum tt_nulls { TT_NONE, TT_ALL, TT_ALTERNATE, TT_RUNS, TT_RANDOM, TT_NULL_MODES };

static TT_UNUSED int tt_is_null(enum tt_nulls mode, size_t row)
{
	switch (mode) {
	case TT_NONE:
		return 0;
	case TT_ALL:
		return 1;
	case TT_ALTERNATE:
		return row % 2 == 1;
	case TT_RUNS:
		return row / 37 % 2 == 1;
	default:
		return tt_rnd() % 3 == 0;
	}
}

/* Options of the random values. */
struct tt_gen {
	int utf8_only;       /* strings are valid UTF-8 (JSON changes other bytes) */
	int extreme_ts;      /* timestamps outside years 1..9999 too */
	int inferable;       /* values whose text infers back to their own type */
	enum tt_nulls nulls; /* TT_NULL_MODES: a different mode per column */
};

static TT_UNUSED const char *const tt_strings[] = {
    "",
    "plain",
    "a,b",
    "say \"hi\"",
    "\"",
    "line1\nline2",
    "a\r\nb",
    "a\rb",
    " lead",
    "trail ",
    "\ttab",
    "h\xC3\xA9llo w\xC3\xB6rld",
    "\xE2\x9C\x93 \xF0\x9F\x98\x80",
    "123",
    "true",
    "nan",
    "2026-01-01",
    "-",
    "\\",
    "{\"a\":1}",
    ",",
    "\n",
};

static TT_UNUSED void tt_random_string(char *buf, size_t *len, const struct tt_gen *g)
{
	size_t n, i = 0;

	if (tt_rnd() % 2) {
		const char *s = tt_strings[tt_rnd() % (sizeof(tt_strings) / sizeof(tt_strings[0]))];

		n = i = strlen(s);
		memcpy(buf, s, n);
	} else {
		n = tt_rnd() % 8 == 0 ? tt_rnd() % 5000 : tt_rnd() % 40;
	}
	while (i < n) {
		uint64_t r = tt_rnd();

		if (g->utf8_only) {
			switch (r % 6) {
			case 0:
				buf[i++] = (char)((r >> 8) % 0x7F + 1);
				break;
			case 1:
				memcpy(buf + i, "\xC3\xA9", 2);
				i += 2;
				break;
			case 2:
				memcpy(buf + i, "\xF0\x9F\x98\x80", 4);
				i += 4;
				break;
			default:
				buf[i++] = (char)('a' + (r >> 8) % 26);
				break;
			}
		} else {
			buf[i++] = r % 4 ? (char)('a' + (r >> 8) % 26) : (char)(r >> 16);
		}
	}
	if (g->inferable) { /* never a number, bool or date */
		memmove(buf + 1, buf, i++);
		buf[0] = 's';
	}
	*len = i;
}

static TT_UNUSED double tt_random_double(const struct tt_gen *g, size_t row)
{
	static const double special[] = {0.0,     -0.0,     1.0,     -1.5,
	                                 DBL_MAX, -DBL_MAX, DBL_MIN, 4.9406564584124654e-324,
	                                 0.1,     1e300,    1e-300,  12.25};
	uint64_t r = tt_rnd();
	double v;

	if (g->inferable && row == 0)
		return 0.5;
	switch (r % 5) {
	case 0:
		return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
	case 1:
		switch ((r >> 8) % 3) {
		case 0:
			return NAN;
		case 1:
			return INFINITY;
		default:
			return -INFINITY;
		}
	case 2:
		r = tt_rnd();
		memcpy(&v, &r, sizeof(v));
		return isnan(v) ? 2.5 : v;
	case 3:
		return (double)(int64_t)(tt_rnd() % 10000000) / 100.0;
	default:
		return (double)(int64_t)tt_rnd() / 3.0;
	}
}

static TT_UNUSED int64_t tt_random_i64(void)
{
	static const int64_t special[] = {0, -1, 1, INT64_MIN, INT64_MAX, INT64_MIN + 1, 1000};
	uint64_t r = tt_rnd();

	if (r % 3 == 0)
		return special[(r >> 8) % (sizeof(special) / sizeof(special[0]))];
	return (int64_t)tt_rnd() >> (r >> 8) % 64;
}

static TT_UNUSED int64_t tt_random_ts(const struct tt_gen *g)
{
	uint64_t r = tt_rnd();

	switch (r % 6) {
	case 0:
		return TT_TS_MIN;
	case 1:
		return TT_TS_MAX;
	case 2:
		if (g->extreme_ts)
			return r & 256 ? INT64_MIN : INT64_MAX;
		return 0;
	case 3:
		return 1795341600000000LL - (int64_t)(tt_rnd() % 1000000) * 1000;
	default:
		return TT_TS_MIN + (int64_t)(tt_rnd() % (uint64_t)(TT_TS_MAX - TT_TS_MIN));
	}
}

/* Every type, nullable and not. */
static TT_UNUSED void tt_schema_all(struct vitals_schema *s)
{
	static const enum vitals_type types[] = {VITALS_TYPE_BOOL,   VITALS_TYPE_INT32,
	                                         VITALS_TYPE_INT64,  VITALS_TYPE_DOUBLE,
	                                         VITALS_TYPE_STRING, VITALS_TYPE_TIMESTAMP};
	char name[32];

	vitals_schema_init(s);
	for (int nullable = 1; nullable >= 0; nullable--)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			snprintf(name, sizeof(name), "%s%s", vitals_type_name(types[i]),
			         nullable ? "" : "_req");
			assert_int_equal(vitals_schema_add(s, name, types[i], nullable), 0);
		}
}

/* A batch of ROWS random rows of SCHEMA. */
static TT_UNUSED struct vitals_batch *tt_random_batch(const struct vitals_schema *schema,
                                                      size_t rows, const struct tt_gen *g)
{
	struct vitals_batch *b;
	static char buf[8192];
	size_t len;

	assert_int_equal(vitals_batch_new(&b, schema), 0);
	for (size_t row = 0; row < rows; row++) {
		for (size_t k = 0; k < schema->count; k++) {
			const struct vitals_field *f = &schema->fields[k];
			enum tt_nulls mode = g->nulls == TT_NULL_MODES
			                         ? (enum tt_nulls)(k % TT_NULL_MODES)
			                         : g->nulls;

			if (f->nullable && tt_is_null(mode, row) && !(g->inferable && row == 0)) {
				assert_int_equal(vitals_batch_set_null(b, k), 0);
				continue;
			}
			switch (f->type) {
			case VITALS_TYPE_BOOL:
				assert_int_equal(vitals_batch_set_bool(b, k, (int)(tt_rnd() & 1)),
				                 0);
				break;
			case VITALS_TYPE_INT32:
				assert_int_equal(
				    vitals_batch_set_i32(b, k, (int32_t)tt_random_i64()), 0);
				break;
			case VITALS_TYPE_INT64:
				assert_int_equal(vitals_batch_set_i64(b, k, tt_random_i64()), 0);
				break;
			case VITALS_TYPE_DOUBLE:
				assert_int_equal(
				    vitals_batch_set_double(b, k, tt_random_double(g, row)), 0);
				break;
			case VITALS_TYPE_STRING:
				tt_random_string(buf, &len, g);
				assert_int_equal(vitals_batch_set_string(b, k, buf, len), 0);
				break;
			case VITALS_TYPE_TIMESTAMP:
				assert_int_equal(vitals_batch_set_i64(b, k, tt_random_ts(g)), 0);
				break;
			}
		}
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	return b;
}

static TT_UNUSED void tt_write(const char *path, const struct vitals_batch *b)
{
	struct vitals_writer *w;
	char err[512];

	if (vitals_writer_open(&w, path, &b->schema, NULL, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (vitals_writer_write(w, b) != 0)
		fail_msg("%s", vitals_writer_errmsg(w));
	if (vitals_writer_close(w, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

/* Append every row of SRC to DST (same schema), row by row. 0 or a status. */
static TT_UNUSED int tt_append(struct vitals_batch *dst, const struct vitals_batch *src)
{
	for (size_t i = 0; i < src->rows; i++) {
		for (size_t k = 0; k < src->schema.count; k++) {
			const struct vitals_column *c = &src->cols[k];
			size_t len;
			int rc = 0;

			if (!vitals_batch_is_valid(src, k, i)) {
				rc = vitals_batch_set_null(dst, k);
			} else {
				switch (c->type) {
				case VITALS_TYPE_BOOL:
					rc = vitals_batch_set_bool(dst, k, c->v.b[i]);
					break;
				case VITALS_TYPE_INT32:
					rc = vitals_batch_set_i32(dst, k, c->v.i32[i]);
					break;
				case VITALS_TYPE_INT64:
				case VITALS_TYPE_TIMESTAMP:
					rc = vitals_batch_set_i64(dst, k, c->v.i64[i]);
					break;
				case VITALS_TYPE_DOUBLE:
					rc = vitals_batch_set_double(dst, k, c->v.f64[i]);
					break;
				case VITALS_TYPE_STRING:
					len = (size_t)(c->v.off[i + 1] - c->v.off[i]);
					rc = vitals_batch_set_string(
					    dst, k, len ? c->data + c->v.off[i] : "", len);
					break;
				}
			}
			if (rc != 0)
				return rc;
		}
		if (vitals_batch_end_row(dst) != 0)
			return -1;
	}
	return 0;
}

/*
 * Read PATH whole with TYPES given (or NULL) and BATCH_ROWS per batch; no
 * batch may hold more.
 */
static TT_UNUSED struct vitals_batch *tt_read(const char *path, const struct vitals_schema *types,
                                              size_t batch_rows)
{
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	struct vitals_batch *all;
	char err[512];
	int rc;

	vitals_read_options_init(&o);
	o.types = types;
	o.batch_rows = batch_rows;
	if (vitals_reader_open(&r, path, &o, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(vitals_reader_row_count(r), -1);
	assert_int_equal(vitals_batch_new(&all, vitals_reader_schema(r)), 0);
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		assert_true(b->rows > 0 && b->rows <= batch_rows);
		assert_int_equal(tt_append(all, b), 0);
	}
	if (rc < 0)
		fail_msg("%s", vitals_reader_errmsg(r));
	assert_int_equal(vitals_reader_next(r, &b), 0); /* the end stays the end */
	vitals_reader_close(r);
	return all;
}

/* Row ROW of string column K (vitals_batch_string() without forming NULL + 0). */
static TT_UNUSED const char *tt_string(const struct vitals_batch *b, size_t k, size_t row,
                                       size_t *len)
{
	const struct vitals_column *c = &b->cols[k];

	*len = (size_t)(c->v.off[row + 1] - c->v.off[row]);
	return *len ? c->data + c->v.off[row] : "";
}

static TT_UNUSED int tt_same_double(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Every value of A and B is the same. */
static TT_UNUSED void tt_compare(const struct vitals_batch *a, const struct vitals_batch *b)
{
	assert_int_equal(a->schema.count, b->schema.count);
	assert_int_equal(a->rows, b->rows);
	for (size_t k = 0; k < a->schema.count; k++) {
		const struct vitals_column *x = &a->cols[k], *y = &b->cols[k];
		const char *name = a->schema.fields[k].name;

		assert_string_equal(name, b->schema.fields[k].name);
		assert_int_equal(x->type, y->type);
		for (size_t i = 0; i < a->rows; i++) {
			int vx = vitals_batch_is_valid(a, k, i),
			    vy = vitals_batch_is_valid(b, k, i);
			size_t lx, ly;
			const char *sx, *sy;

			if (vx != vy)
				fail_msg("column %s row %zu: valid %d, read %d", name, i, vx, vy);
			if (!vx)
				continue;
			switch (x->type) {
			case VITALS_TYPE_BOOL:
				assert_int_equal(x->v.b[i], y->v.b[i]);
				break;
			case VITALS_TYPE_INT32:
				assert_int_equal(x->v.i32[i], y->v.i32[i]);
				break;
			case VITALS_TYPE_INT64:
			case VITALS_TYPE_TIMESTAMP:
				if (x->v.i64[i] != y->v.i64[i])
					fail_msg("column %s row %zu: %lld, read %lld", name, i,
					         (long long)x->v.i64[i], (long long)y->v.i64[i]);
				break;
			case VITALS_TYPE_DOUBLE:
				if (!tt_same_double(x->v.f64[i], y->v.f64[i]))
					fail_msg("column %s row %zu: %.17g, read %.17g", name, i,
					         x->v.f64[i], y->v.f64[i]);
				break;
			case VITALS_TYPE_STRING:
				sx = tt_string(a, k, i, &lx);
				sy = tt_string(b, k, i, &ly);
				if (lx != ly || memcmp(sx, sy, lx) != 0)
					fail_msg("column %s row %zu: '%.*s', read '%.*s'", name, i,
					         (int)lx, sx, (int)ly, sy);
				break;
			}
		}
	}
}

/* Read PATH expecting failure; the message, which must name the file. */
static TT_UNUSED const char *tt_read_error(const char *path, const struct vitals_read_options *o)
{
	static char err[512];
	struct vitals_reader *r;
	const struct vitals_batch *b;
	int rc;

	err[0] = '\0';
	rc = vitals_reader_open(&r, path, o, err, sizeof(err));
	if (rc == 0) {
		while ((rc = vitals_reader_next(r, &b)) > 0)
			;
		if (rc == 0)
			fail_msg("%s: read without an error", path);
		snprintf(err, sizeof(err), "%s", vitals_reader_errmsg(r));
		/* An error stops the read for good. */
		assert_int_equal(vitals_reader_next(r, &b), rc);
		vitals_reader_close(r);
	}
	assert_non_null(strstr(err, path));
	return err;
}

#define tt_assert_contains(hay, needle)                                                            \
	do {                                                                                       \
		if (!strstr((hay), (needle)))                                                      \
			fail_msg("'%s' does not contain '%s'", (hay), (needle));                   \
	} while (0)

/* Write CONTENT to a file NAME under DIR; the path (malloc). */
static TT_UNUSED char *tt_file(const char *dir, const char *name, const char *content, size_t len)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
	return path;
}

/* The whole of PATH (malloc, NUL-terminated). */

#endif
