/*
 * Parquet round trips on random tables: every type, REQUIRED and OPTIONAL,
 * null patterns (none, all, alternating, runs, random), empty, long
 * (100 KB), non-ASCII and arbitrary-byte strings, NaN, +-inf and -0.0,
 * 64-bit extremes, 0 rows, 1 row, many row groups, every codec, small
 * pages, dictionaries on and off over low- and high-cardinality columns.
 * Each table is written, read back with the reader and compared value by
 * value (doubles by bit pattern) and null by null; each row group's
 * statistics are checked against the data, through vitals_file_describe()
 * and byte for byte in the footer; key/value metadata comes back as written.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/store.h>

#include "store/codec.h"
#include "store/internal.h"
#include "store/pqmeta.h"

/* ---- random tables ----------------------------------------------------------- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *g)
{
	/* splitmix64: any seed, including 0, gives a good stream. */
	uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rnd_below(struct rng *g, size_t n)
{
	return n ? (size_t)(rnd(g) % n) : 0;
}

enum nulls { N_NONE, N_ALL, N_ALTERNATE, N_RUNS, N_RANDOM, N_COUNT };
/* Value shapes; each type reads them its own way. */
enum shape { S_RANDOM, S_FEW, S_MEDIUM, S_MONOTONIC, S_SPECIAL, S_LONG, S_COUNT };

struct colgen {
	enum vitals_type type;
	int nullable;
	enum nulls nulls;
	enum shape shape;
	int64_t acc; /* running value of monotonic columns */
	int run_valid;
	size_t run_left;
};

static int gen_valid(struct rng *g, struct colgen *c, size_t row)
{
	if (!c->nullable)
		return 1;
	switch (c->nulls) {
	case N_NONE:
		return 1;
	case N_ALL:
		return 0;
	case N_ALTERNATE:
		return row % 2 == 0;
	case N_RUNS:
		if (c->run_left == 0) {
			c->run_valid = !c->run_valid;
			c->run_left = 1 + rnd_below(g, 40);
		}
		c->run_left--;
		return c->run_valid;
	default:
		return rnd_below(g, 10) >= 3;
	}
}

static int64_t gen_i64(struct rng *g, struct colgen *c)
{
	static const int64_t special[] = {INT64_MIN,     INT64_MAX,    0, -1, 1,
	                                  INT64_MIN + 1, INT64_MAX - 1};
	switch (c->shape) {
	case S_FEW:
		return (int64_t)rnd_below(g, 6) * 1000003 - 2000000;
	case S_MEDIUM:
		return (int64_t)rnd_below(g, 300) * 7919 - 1000;
	case S_MONOTONIC:
		c->acc += (int64_t)rnd_below(g, 2000000);
		return c->acc;
	case S_SPECIAL:
		return special[rnd_below(g, sizeof(special) / sizeof(special[0]))];
	default:
		return (int64_t)rnd(g);
	}
}

static int32_t gen_i32(struct rng *g, struct colgen *c)
{
	static const int32_t special[] = {INT32_MIN, INT32_MAX, 0, -1, 1};
	switch (c->shape) {
	case S_FEW:
		return (int32_t)rnd_below(g, 9) - 4;
	case S_MEDIUM:
		return (int32_t)rnd_below(g, 300) * 13 - 100;
	case S_MONOTONIC:
		c->acc += (int64_t)rnd_below(g, 100);
		return (int32_t)(c->acc & 0x3fffffff);
	case S_SPECIAL:
		return special[rnd_below(g, sizeof(special) / sizeof(special[0]))];
	default:
		return (int32_t)(uint32_t)rnd(g);
	}
}

static double gen_double(struct rng *g, struct colgen *c)
{
	static const double few[] = {0.5, 1.25, -3.0, 100.0, 0.1};
	uint64_t bits;
	double v;

	switch (c->shape) {
	case S_FEW:
		return few[rnd_below(g, 5)];
	case S_MEDIUM:
		return (double)rnd_below(g, 300) / 8.0 - 3.0;
	case S_MONOTONIC:
		c->acc += (int64_t)rnd_below(g, 1000);
		return (double)c->acc / 100.0;
	case S_SPECIAL: {
		/* NaN with two payloads and both signs, infinities, zeros, subnormals, extremes. */
		static const uint64_t nan_bits[] = {0x7ff8000000000000ull, 0xfff8000000000000ull,
		                                    0x7ff0000000000001ull, 0x7ff4000000000abcull};
		size_t k = rnd_below(g, 12);
		if (k < 4) {
			memcpy(&v, &nan_bits[k], 8);
			return v;
		}
		switch (k) {
		case 4:
			return INFINITY;
		case 5:
			return -INFINITY;
		case 6:
			return -0.0;
		case 7:
			return 0.0;
		case 8:
			return 4.9e-324;
		case 9:
			return -DBL_MAX;
		case 10:
			return DBL_MAX;
		default:
			return -DBL_MIN;
		}
	}
	default:
		/* Any bit pattern: NaNs of every payload included. */
		bits = rnd(g);
		memcpy(&v, &bits, 8);
		return v;
	}
}

/* A string into BUF (cap bytes); returns its length. */
static size_t gen_string(struct rng *g, struct colgen *c, char *buf, size_t cap)
{
	static const char *const few[] = {"process", "disk", "net", "", "system"};
	static const char *const utf8[] = {"\xc3\xa9t\xc3\xa9", "\xe6\xbc\xa2\xe5\xad\x97",
	                                   "\xf0\x9f\x94\xa5 fire", "na\xc3\xafve", "\xe2\x82\xac"};
	size_t n;

	switch (c->shape) {
	case S_FEW: {
		const char *s = few[rnd_below(g, 5)];
		n = strlen(s);
		memcpy(buf, s, n);
		return n;
	}
	case S_MEDIUM:
		return (size_t)snprintf(buf, cap, "item-%04zu-of-a-medium-set", rnd_below(g, 300));
	case S_MONOTONIC:
		c->acc++;
		return (size_t)snprintf(buf, cap, "host-%08lld", (long long)c->acc);
	case S_SPECIAL: {
		/* Non-ASCII text, and arbitrary bytes including NUL and 0xff. */
		if (rnd_below(g, 2)) {
			const char *s = utf8[rnd_below(g, 5)];
			n = strlen(s);
			memcpy(buf, s, n);
			return n;
		}
		n = rnd_below(g, 12);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)rnd(g);
		return n;
	}
	case S_LONG:
		/* Now and then (five times at most) a 100 KB value among short ones. */
		if (c->acc < 5 && rnd_below(g, 50) == 0) {
			c->acc++;
			n = 100000 + rnd_below(g, 100);
			if (n > cap)
				n = cap;
			memset(buf, 'a' + (int)rnd_below(g, 26), n);
			buf[rnd_below(g, n)] = '!';
			return n;
		}
		n = rnd_below(g, 30);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)('a' + rnd_below(g, 26));
		return n;
	default:
		n = rnd_below(g, 21);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(' ' + rnd_below(g, 95));
		return n;
	}
}

#define STR_CAP 100200

static struct vitals_batch *gen_table(struct rng *g, const struct vitals_schema *s,
                                      struct colgen *cols, size_t rows)
{
	struct vitals_batch *b;
	char *buf = malloc(STR_CAP);

	assert_non_null(buf);
	assert_int_equal(vitals_batch_new(&b, s), 0);
	for (size_t r = 0; r < rows; r++) {
		for (size_t j = 0; j < s->count; j++) {
			struct colgen *c = &cols[j];

			if (!gen_valid(g, c, r)) {
				assert_int_equal(vitals_batch_set_null(b, j), 0);
				continue;
			}
			switch (c->type) {
			case VITALS_TYPE_BOOL:
				assert_int_equal(vitals_batch_set_bool(b, j,
				                                       c->shape == S_FEW ? 1
				                                       : c->shape == S_MONOTONIC
				                                           ? (int)((r / 37) & 1)
				                                           : (int)(rnd(g) & 1)),
				                 0);
				break;
			case VITALS_TYPE_INT32:
				assert_int_equal(vitals_batch_set_i32(b, j, gen_i32(g, c)), 0);
				break;
			case VITALS_TYPE_INT64:
			case VITALS_TYPE_TIMESTAMP:
				assert_int_equal(vitals_batch_set_i64(b, j, gen_i64(g, c)), 0);
				break;
			case VITALS_TYPE_DOUBLE:
				assert_int_equal(vitals_batch_set_double(b, j, gen_double(g, c)),
				                 0);
				break;
			default: {
				size_t n = gen_string(g, c, buf, STR_CAP);
				assert_int_equal(vitals_batch_set_string(b, j, buf, n), 0);
				break;
			}
			}
		}
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	free(buf);
	return b;
}

/* ---- comparing ----------------------------------------------------------------- */

/* Row R of string column J; a column of empty strings may have no data at all. */
static const uint8_t *str_at(const struct vitals_batch *b, size_t j, size_t r, size_t *len)
{
	const struct vitals_column *c = &b->cols[j];

	*len = (size_t)(c->v.off[r + 1] - c->v.off[r]);
	return *len ? (const uint8_t *)c->data + c->v.off[r] : (const uint8_t *)"";
}

static void compare_batches(const struct vitals_batch *want, const struct vitals_batch *got,
                            const char *what)
{
	if (got->rows != want->rows)
		fail_msg("%s: %zu rows read, %zu written", what, got->rows, want->rows);
	for (size_t j = 0; j < want->schema.count; j++) {
		const struct vitals_column *a = &want->cols[j], *b = &got->cols[j];

		for (size_t r = 0; r < want->rows; r++) {
			int va = vitals_batch_is_valid(want, j, r),
			    vb = vitals_batch_is_valid(got, j, r);
			int same = 1;

			if (va != vb)
				fail_msg("%s: column %s row %zu: %s written, %s read", what,
				         want->schema.fields[j].name, r, va ? "value" : "null",
				         vb ? "value" : "null");
			if (!va)
				continue;
			switch (a->type) {
			case VITALS_TYPE_BOOL:
				same = a->v.b[r] == b->v.b[r];
				break;
			case VITALS_TYPE_INT32:
				same = a->v.i32[r] == b->v.i32[r];
				break;
			case VITALS_TYPE_INT64:
			case VITALS_TYPE_TIMESTAMP:
				same = a->v.i64[r] == b->v.i64[r];
				break;
			case VITALS_TYPE_DOUBLE:
				same = memcmp(&a->v.f64[r], &b->v.f64[r], 8) == 0;
				break;
			default: {
				size_t la, lb;
				const uint8_t *sa = str_at(want, j, r, &la);
				const uint8_t *sb = str_at(got, j, r, &lb);
				same = la == lb && memcmp(sa, sb, la) == 0;
				break;
			}
			}
			if (!same)
				fail_msg("%s: column %s (%s) row %zu differs", what,
				         want->schema.fields[j].name, vitals_type_name(a->type), r);
		}
	}
}

/* ---- expected statistics ------------------------------------------------------ */

struct expect {
	int64_t nulls;
	int has; /* min/max expected in the footer */
	uint8_t mn[8], mx[8];
	const uint8_t *smn, *smx; /* strings */
	size_t len, smn_len, smx_len;
	int64_t imin, imax; /* INT32/INT64/TIMESTAMP */
};

static int bytes_less(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int r = m ? memcmp(a, b, m) : 0;
	return r < 0 || (r == 0 && al < bl);
}

static void expect_stats(const struct vitals_batch *t, size_t j, size_t first, size_t n,
                         struct expect *e)
{
	const struct vitals_column *c = &t->cols[j];
	int seen = 0;
	double dmn = 0, dmx = 0;

	memset(e, 0, sizeof(*e));
	for (size_t r = first; r < first + n; r++) {
		if (!vitals_batch_is_valid(t, j, r)) {
			e->nulls++;
			continue;
		}
		switch (c->type) {
		case VITALS_TYPE_DOUBLE: {
			double v = c->v.f64[r];
			if (isnan(v))
				break;
			if (!seen || v < dmn)
				dmn = v;
			if (!seen || v > dmx)
				dmx = v;
			seen = 1;
			break;
		}
		case VITALS_TYPE_STRING: {
			size_t l;
			const uint8_t *s = str_at(t, j, r, &l);
			if (!seen || bytes_less(s, l, e->smn, e->smn_len)) {
				e->smn = s;
				e->smn_len = l;
			}
			if (!seen || bytes_less(e->smx, e->smx_len, s, l)) {
				e->smx = s;
				e->smx_len = l;
			}
			seen = 1;
			break;
		}
		default: {
			int64_t v = c->type == VITALS_TYPE_BOOL    ? c->v.b[r]
			            : c->type == VITALS_TYPE_INT32 ? c->v.i32[r]
			                                           : c->v.i64[r];
			if (!seen || v < e->imin)
				e->imin = v;
			if (!seen || v > e->imax)
				e->imax = v;
			seen = 1;
			break;
		}
		}
	}
	if (!seen)
		return;
	e->has = 1;
	switch (c->type) {
	case VITALS_TYPE_DOUBLE:
		if (dmn == 0)
			dmn = -0.0;
		if (dmx == 0)
			dmx = 0.0;
		memcpy(e->mn, &dmn, 8);
		memcpy(e->mx, &dmx, 8);
		e->len = 8;
		break;
	case VITALS_TYPE_STRING:
		/* Values over 1 KiB are not worth a footer: the chunk has no min/max. */
		if (e->smn_len > 1024 || e->smx_len > 1024)
			e->has = 0;
		break;
	case VITALS_TYPE_BOOL:
		e->mn[0] = (uint8_t)e->imin;
		e->mx[0] = (uint8_t)e->imax;
		e->len = 1;
		break;
	case VITALS_TYPE_INT32: {
		int32_t a = (int32_t)e->imin, b = (int32_t)e->imax;
		memcpy(e->mn, &a, 4);
		memcpy(e->mx, &b, 4);
		e->len = 4;
		break;
	}
	default:
		memcpy(e->mn, &e->imin, 8);
		memcpy(e->mx, &e->imax, 8);
		e->len = 8;
		break;
	}
}

/* The file's footer, decoded on its own. */
static void load_footer(const char *path, struct pq_file_meta *m)
{
	uint8_t *buf;
	char err[256];
	uint32_t flen;
	FILE *fp = fopen(path, "rb");
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 12);
	rewind(fp);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	flen = le32_get(buf + n - 8);
	assert_true(flen <= (uint32_t)n - 12);
	if (pq_meta_decode(m, buf + n - 8 - flen, flen, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
	free(buf);
}

static void check_stats(const char *path, const struct vitals_batch *t, size_t rg_rows,
                        const char *what)
{
	struct vitals_file_info *info;
	struct pq_file_meta m;
	size_t groups = (t->rows + rg_rows - 1) / rg_rows;
	char err[512];

	if (vitals_file_describe(&info, path, err, sizeof(err)) != 0)
		fail_msg("%s: describe: %s", what, err);
	memset(&m, 0, sizeof(m));
	load_footer(path, &m);
	assert_int_equal(info->format, VITALS_FORMAT_PARQUET);
	assert_int_equal(info->rows, (int64_t)t->rows);
	assert_int_equal(info->row_group_count, groups);
	assert_int_equal(m.row_group_count, groups);
	assert_true(vitals_schema_equal(info->schema, &t->schema));
	for (size_t g = 0; g < groups; g++) {
		size_t first = g * rg_rows;
		size_t n = t->rows - first < rg_rows ? t->rows - first : rg_rows;
		const struct vitals_row_group_info *rg = &info->row_groups[g];

		assert_int_equal(rg->rows, (int64_t)n);
		assert_int_equal(m.row_groups[g].num_rows, (int64_t)n);
		for (size_t j = 0; j < t->schema.count; j++) {
			const struct vitals_chunk_info *ci = &rg->columns[j];
			const struct pq_statistics *st = &m.row_groups[g].columns[j].meta.stats;
			enum vitals_type ty = t->schema.fields[j].type;
			struct expect e;

			expect_stats(t, j, first, n, &e);
			if (ci->null_count != e.nulls || st->null_count != e.nulls)
				fail_msg("%s: row group %zu column %s: null count %lld, want %lld",
				         what, g, t->schema.fields[j].name,
				         (long long)ci->null_count, (long long)e.nulls);
			assert_int_equal(ci->values, (int64_t)n);
			assert_non_null(ci->encodings);
			if (st->has_min_value != e.has || st->has_max_value != e.has)
				fail_msg("%s: row group %zu column %s: min/max %s, want %s", what,
				         g, t->schema.fields[j].name,
				         st->has_min_value ? "set" : "absent",
				         e.has ? "set" : "absent");
			if (!e.has) {
				assert_null(ci->min);
				assert_null(ci->max);
				continue;
			}
			assert_non_null(ci->min);
			assert_non_null(ci->max);
			if (ty == VITALS_TYPE_STRING) {
				assert_int_equal(st->min_value_len, e.smn_len);
				assert_int_equal(st->max_value_len, e.smx_len);
				assert_memory_equal(st->min_value, e.smn, e.smn_len);
				assert_memory_equal(st->max_value, e.smx, e.smx_len);
				continue;
			}
			assert_int_equal(st->min_value_len, e.len);
			assert_int_equal(st->max_value_len, e.len);
			if (memcmp(st->min_value, e.mn, e.len) ||
			    memcmp(st->max_value, e.mx, e.len))
				fail_msg("%s: row group %zu column %s: wrong min/max", what, g,
				         t->schema.fields[j].name);
			if (ty == VITALS_TYPE_INT32 || ty == VITALS_TYPE_INT64 ||
			    ty == VITALS_TYPE_TIMESTAMP) {
				assert_true(ci->has_int_stats);
				assert_int_equal(ci->min_i, e.imin);
				assert_int_equal(ci->max_i, e.imax);
			}
		}
	}
	pq_meta_release(&m);
	vitals_file_info_free(info);
}

/* ---- one case -------------------------------------------------------------------- */

struct rcase {
	size_t rows;
	size_t rg_rows;
	size_t page_bytes;
	enum vitals_codec codec;
	int dictionary;
	size_t dict_bytes; /* 0: the default */
};

static const struct vitals_kv case_meta[] = {
    {"host", "box-\xc3\xa9"}, {"timezone", "Europe/Paris"}, {"boot_id", ""}, {"novalue", NULL}};

static void write_in_pieces(struct rng *g, const char *path, const struct vitals_batch *t,
                            const struct rcase *k)
{
	struct vitals_write_options o;
	struct vitals_writer *w;
	char err[512];
	size_t at = 0;

	vitals_write_options_init(&o);
	o.codec = k->codec;
	o.row_group_rows = k->rg_rows;
	o.page_bytes = k->page_bytes;
	o.dictionary = k->dictionary;
	if (k->dict_bytes)
		o.dictionary_bytes = k->dict_bytes;
	o.meta = case_meta;
	o.meta_count = sizeof(case_meta) / sizeof(case_meta[0]);
	if (vitals_writer_open(&w, path, &t->schema, &o, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", path, err);
	/* Batches of random sizes: some inside a row group, some across several. */
	while (at < t->rows) {
		struct vitals_batch *piece;
		size_t n = 1 + rnd_below(g, rnd_below(g, 2) ? 7 : 3 * k->rg_rows);

		if (n > t->rows - at)
			n = t->rows - at;
		assert_int_equal(vitals_batch_new(&piece, &t->schema), 0);
		assert_int_equal(vitals_batch_append(piece, t, at, n, NULL), 0);
		if (vitals_writer_write(w, piece) != 0)
			fail_msg("write %s: %s", path, vitals_writer_errmsg(w));
		vitals_batch_free(piece);
		at += n;
	}
	if (vitals_writer_close(w, err, sizeof(err)) != 0)
		fail_msg("close %s: %s", path, err);
}

static void read_all(const char *path, const struct vitals_batch *t, const char *what)
{
	struct vitals_read_options ro;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	struct vitals_batch *got;
	size_t nmeta = sizeof(case_meta) / sizeof(case_meta[0]);
	char err[512];
	int rc;

	vitals_read_options_init(&ro);
	if (vitals_reader_open(&r, path, &ro, err, sizeof(err)) != 0)
		fail_msg("%s: open: %s", what, err);
	assert_int_equal(vitals_reader_format(r), VITALS_FORMAT_PARQUET);
	assert_true(vitals_schema_equal(vitals_reader_schema(r), &t->schema));
	assert_int_equal(vitals_reader_row_count(r), (int64_t)t->rows);
	assert_int_equal(vitals_reader_meta_count(r), nmeta);
	for (size_t i = 0; i < nmeta; i++) {
		const struct vitals_kv *kv = vitals_reader_meta_at(r, i);

		assert_string_equal(kv->key, case_meta[i].key);
		if (case_meta[i].value)
			assert_string_equal(kv->value, case_meta[i].value);
		else
			assert_null(kv->value);
	}
	assert_string_equal(vitals_reader_meta(r, "timezone"), "Europe/Paris");
	assert_int_equal(vitals_batch_new(&got, &t->schema), 0);
	while ((rc = vitals_reader_next(r, &b)) == 1)
		assert_int_equal(vitals_batch_append(got, b, 0, b->rows, NULL), 0);
	if (rc != 0)
		fail_msg("%s: read: %s", what, vitals_reader_errmsg(r));
	compare_batches(t, got, what);
	vitals_batch_free(got);
	vitals_reader_close(r);
}

static void run_case(struct rng *g, const char *dir, const struct rcase *k, int ncols,
                     const char *label)
{
	static const enum vitals_type types[] = {VITALS_TYPE_BOOL,   VITALS_TYPE_INT32,
	                                         VITALS_TYPE_INT64,  VITALS_TYPE_DOUBLE,
	                                         VITALS_TYPE_STRING, VITALS_TYPE_TIMESTAMP};
	struct colgen cols[32];
	struct vitals_schema s;
	struct vitals_batch *t;
	char path[512], what[256], name[32];

	assert_true(ncols <= 32);
	vitals_schema_init(&s);
	memset(cols, 0, sizeof(cols));
	for (int j = 0; j < ncols; j++) {
		struct colgen *c = &cols[j];

		/* Every type both ways first, then random ones. */
		c->type = j < 12 ? types[j % 6] : types[rnd_below(g, 6)];
		c->nullable = j < 12 ? j >= 6 : (int)rnd_below(g, 2);
		c->nulls = (enum nulls)rnd_below(g, N_COUNT);
		c->shape = (enum shape)rnd_below(g, S_COUNT);
		/* Long strings are costly: only some string columns. */
		if (c->shape == S_LONG && (c->type != VITALS_TYPE_STRING || rnd_below(g, 3)))
			c->shape = S_FEW;
		c->acc = c->type == VITALS_TYPE_TIMESTAMP ? 1767225600000000 : 0;
		snprintf(name, sizeof(name), "c%d_%s%s", j, vitals_type_name(c->type),
		         c->nullable ? "_null" : "");
		assert_int_equal(vitals_schema_add(&s, name, c->type, c->nullable), 0);
	}
	t = gen_table(g, &s, cols, k->rows);
	snprintf(path, sizeof(path), "%s/t.parquet", dir);
	snprintf(what, sizeof(what),
	         "%s: %zu rows, row groups of %zu, pages of %zu, %s, dict %d (%zu bytes)", label,
	         k->rows, k->rg_rows, k->page_bytes, vitals_codec_name(k->codec), k->dictionary,
	         k->dict_bytes);
	write_in_pieces(g, path, t, k);
	read_all(path, t, what);
	check_stats(path, t, k->rg_rows, what);
	vitals_batch_free(t);
	vitals_schema_release(&s);
}

static const enum vitals_codec all_codecs[] = {VITALS_CODEC_NONE, VITALS_CODEC_SNAPPY,
                                               VITALS_CODEC_GZIP, VITALS_CODEC_ZSTD,
                                               VITALS_CODEC_LZ4_RAW};
#define NCODECS (sizeof(all_codecs) / sizeof(all_codecs[0]))

/* ---- tests -------------------------------------------------------------------- */

static void test_edge_sizes(void **state)
{
	char *dir = tu_tmpdir();
	struct rng g = {1};
	static const size_t rows[] = {0, 1, 2, 9, 10, 11};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (int dict = 0; dict < 2; dict++) {
			struct rcase k = {rows[i], 10, 1 << 20, VITALS_CODEC_ZSTD, dict, 0};
			run_case(&g, dir, &k, 12, "edge");
			k.rg_rows = 1;
			run_case(&g, dir, &k, 12, "one row per group");
		}
	}
	tu_rmrf(dir);
	free(dir);
}

static void test_codecs(void **state)
{
	char *dir = tu_tmpdir();
	struct rng g = {2};

	(void)state;
	for (size_t i = 0; i < NCODECS; i++) {
		struct rcase k = {700, 300, 1 << 20, all_codecs[i], 1, 0};

		if (!codec_supported(all_codecs[i]))
			continue;
		run_case(&g, dir, &k, 14, "codec");
		k.dictionary = 0;
		k.page_bytes = 512;
		run_case(&g, dir, &k, 14, "codec, small pages");
	}
	tu_rmrf(dir);
	free(dir);
}

static void test_random_tables(void **state)
{
	char *dir = tu_tmpdir();
	struct rng g = {20261122};
	static const size_t rows[] = {1, 3, 17, 100, 640, 1500, 4000};
	static const size_t rgs[] = {1, 7, 64, 1000, 131072};
	static const size_t pages[] = {1 << 20, 100, 4096, 1};

	(void)state;
	for (int i = 0; i < 60; i++) {
		struct rcase k;
		char label[32];

		k.rows = rows[rnd_below(&g, sizeof(rows) / sizeof(rows[0]))];
		k.rg_rows = rgs[rnd_below(&g, sizeof(rgs) / sizeof(rgs[0]))];
		/* Not thousands of one-row groups. */
		while (k.rows / k.rg_rows > 200)
			k.rg_rows *= 8;
		k.page_bytes = pages[rnd_below(&g, sizeof(pages) / sizeof(pages[0]))];
		k.codec = all_codecs[i % NCODECS];
		if (!codec_supported(k.codec))
			k.codec = VITALS_CODEC_NONE;
		k.dictionary = (i / (int)NCODECS) % 2 == 0;
		k.dict_bytes = rnd_below(&g, 4) == 0 ? 1000 : 0;
		snprintf(label, sizeof(label), "random table %d", i);
		run_case(&g, dir, &k, 12 + (int)rnd_below(&g, 10), label);
	}
	tu_rmrf(dir);
	free(dir);
}

/*
 * Columns sized to take each path: few distinct values (dictionary), many
 * (fallback to PLAIN or DELTA), and 300 distinct values, within the
 * dictionary's count limit but over a 2000-byte dictionary size limit.
 */
static void test_cardinality(void **state)
{
	char *dir = tu_tmpdir();
	struct rng g = {3};

	(void)state;
	for (int i = 0; i < 6; i++) {
		struct rcase k = {20000, 6000, 1 << 20, VITALS_CODEC_ZSTD, i % 3 != 0, 0};

		if (i % 3 == 2)
			k.dict_bytes = 2000;
		if (i >= 3)
			k.page_bytes = 2000;
		run_case(&g, dir, &k, 24, "cardinality");
	}
	tu_rmrf(dir);
	free(dir);
}

/* A column with no nulls written to an OPTIONAL field reads back all valid. */
static void test_optional_without_validity(void **state)
{
	char *dir = tu_tmpdir(), path[512];
	struct vitals_schema ws, bs;
	struct vitals_batch *b, *want;
	struct vitals_writer *w;
	char err[512];

	(void)state;
	snprintf(path, sizeof(path), "%s/o.parquet", dir);
	vitals_schema_init(&ws);
	vitals_schema_init(&bs);
	assert_int_equal(vitals_schema_add(&ws, "v", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(&ws, "s", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&bs, "v", VITALS_TYPE_INT64, 0), 0);
	assert_int_equal(vitals_schema_add(&bs, "s", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_batch_new(&b, &bs), 0);
	assert_int_equal(vitals_batch_new(&want, &ws), 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(vitals_batch_set_i64(b, 0, i * 3), 0);
		assert_int_equal(vitals_batch_set_string(b, 1, "abc", (size_t)(i % 4)), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	assert_int_equal(vitals_batch_append(want, b, 0, b->rows, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		struct vitals_write_options o;

		vitals_write_options_init(&o);
		/* 100: whole row groups straight from the batch; 1000: through the buffer. */
		o.row_group_rows = pass ? 1000 : 100;
		o.meta = case_meta;
		o.meta_count = sizeof(case_meta) / sizeof(case_meta[0]);
		assert_int_equal(vitals_writer_open(&w, path, &ws, &o, err, sizeof(err)), 0);
		assert_int_equal(vitals_writer_write(w, b), 0);
		assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
		read_all(path, want, "optional field, batch without validity");
		check_stats(path, want, o.row_group_rows, "optional field, batch without validity");
	}
	vitals_batch_free(b);
	vitals_batch_free(want);
	vitals_schema_release(&ws);
	vitals_schema_release(&bs);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edge_sizes),
	    cmocka_unit_test(test_codecs),
	    cmocka_unit_test(test_random_tables),
	    cmocka_unit_test(test_cardinality),
	    cmocka_unit_test(test_optional_without_validity),
	};

	/* Named here so a static link keeps both whatever store.c refers to. */
	if (!store_parquet_writer.open || !store_parquet_reader.open)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
