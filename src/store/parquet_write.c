/*
 * The Parquet writer: flat schemas of BOOLEAN, INT32, INT64, DOUBLE,
 * BYTE_ARRAY (UTF8) and INT64 TIMESTAMP(MICROS, UTC) columns, REQUIRED or
 * OPTIONAL, in data pages v1.
 *
 * Rows are buffered in one batch until a row group is full (a caller's
 * batch holding a whole row group is encoded in place, without copying).
 * Each column chunk is then encoded page by page into one buffer and
 * written in one call, so the writer holds at most one row group of rows
 * and one encoded column chunk.
 *
 * Per column chunk, the encoding is chosen from the data:
 *   - RLE_DICTIONARY when dictionaries are on and the chunk has few
 *     distinct values (at most a quarter of its values, not nearly all
 *     distinct in its first 8192, and a PLAIN dictionary within
 *     opts.dictionary_bytes), for every type but BOOLEAN;
 *   - else DELTA_BINARY_PACKED for INT32, INT64 and TIMESTAMP when a sample
 *     of the chunk comes out smaller that way after compression;
 *   - else PLAIN.
 * Statistics (null count, min, max) are exact; min/max follow the column
 * orders the footer declares (TYPE_DEFINED_ORDER): signed integers,
 * doubles without NaN and with -0.0/+0.0 for a zero min/max, unsigned
 * byte order for strings.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/store.h>

#include "store/codec.h"
#include "store/encoding.h"
#include "store/internal.h"
#include "store/pqmeta.h"
#include "store/stream.h"
#include "util/bytebuf.h"

#define PQW_ROW_GROUP_DEFAULT 131072
#define PQW_PAGE_DEFAULT      ((size_t)1 << 20)
#define PQW_PAGE_MAX          ((size_t)1 << 30)
#define PQW_DICT_DEFAULT      ((size_t)1 << 20)
/* A column chunk bigger than this is written in several calls. */
#define PQW_CHUNK_FLUSH ((size_t)64 << 20)
/* String statistics longer than this are left out of the footer. */
#define PQW_STAT_BYTES_MAX 1024
/* Values compressed both ways to decide whether DELTA_BINARY_PACKED pays. */
#define PQW_DELTA_SAMPLE 8192
/*
 * A chunk whose first PQW_DICT_PROBE values are nearly all distinct is not
 * worth hashing to the end: it gives up there rather than at a quarter.
 */
#define PQW_DICT_PROBE 8192
/* Dictionaries smaller than this are always tried, whatever the rows. */
#define PQW_DICT_MIN_COUNT 64
/* The footer of a file whose row groups are adopted. */
#define PQW_BASE_FOOTER_MAX ((uint32_t)256 << 20)
/* Row groups have an int16 ordinal in the footer; past it the ordinal is left out. */
#define PQW_ORDINAL_MAX 32767

struct pqw {
	struct vitals_batch *pending; /* rows of the row group being filled */
	size_t rg_rows;               /* rows per row group */
	size_t page_bytes;            /* target uncompressed page size */
	int64_t rows;                 /* rows written in finished row groups */
	struct pq_file_meta meta;     /* schema and the row groups written so far */
	uint32_t rg_cap;
	struct codec_state codec;
	struct bytebuf chunk;  /* the column chunk being built */
	struct bytebuf page;   /* one page body, uncompressed */
	struct bytebuf comp;   /* one page body, compressed */
	struct bytebuf sample; /* the DELTA_BINARY_PACKED sample */
	struct enc_dict keys;  /* dictionary of 8-byte values */
	struct enc_dict strs;  /* dictionary of strings */
	uint32_t *idx;         /* dictionary index of each non-null value of the chunk */
	size_t idx_cap;
	uint8_t *scratch; /* non-null values gathered for an encoder */
	size_t scratch_cap;
	int status; /* sticky: the first failure; every later call returns it */
	/* Row groups adopted from an earlier file: their encoded metadata, and how many. */
	struct bytebuf kept;
	uint32_t kept_count;
};

enum pqw_mode { MODE_PLAIN, MODE_DICT, MODE_DELTA };

/* Min/max and null count of one column chunk, before they become bytes. */
struct pqw_stats {
	int64_t nulls;
	int has; /* min/max below are set */
	union {
		int64_t i;
		double d;
	} min, max;
	const uint8_t *smin, *smax; /* strings: views into the batch or the dictionary */
	size_t smin_len, smax_len;
};

/* One column of one row group: rows [first, first + n) of column c. */
struct pqw_col {
	const struct vitals_column *c;
	const struct vitals_field *f;
	size_t first, n;
	const uint8_t *valid; /* c->valid + first, or NULL when the column has no nulls */
	size_t nn;            /* non-null values */
	int optional;         /* the field is OPTIONAL: pages carry definition levels */
};

static int pqw_fail(struct vitals_writer *w, int status, const char *what)
{
	struct pqw *p = w->impl;

	if (status == VITALS_E_NOMEM)
		store_writer_fail(w, status, "out of memory %s", what);
	else if (status != VITALS_E_IO) /* store_write() has said why */
		store_writer_fail(w, status, "%s: %s", what, vitals_strerror(status));
	if (p)
		p->status = status;
	w->failed = 1;
	return status;
}

static int grow_array(void **p, size_t *cap, size_t want, size_t width)
{
	void *q;
	size_t n;

	if (want <= *cap)
		return 0;
	n = *cap ? *cap : 1024;
	while (n < want)
		n *= 2;
	if (n > SIZE_MAX / width)
		return VITALS_E_NOMEM;
	q = realloc(*p, n * width);
	if (!q)
		return VITALS_E_NOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static char *dup_str(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static uint8_t *dup_bytes(const void *s, size_t n)
{
	uint8_t *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, s, n);
	return d;
}

static enum pq_physical physical_of(enum vitals_type t)
{
	switch (t) {
	case VITALS_TYPE_BOOL:
		return PQ_BOOLEAN;
	case VITALS_TYPE_INT32:
		return PQ_INT32;
	case VITALS_TYPE_DOUBLE:
		return PQ_DOUBLE;
	case VITALS_TYPE_STRING:
		return PQ_BYTE_ARRAY;
	default:
		return PQ_INT64;
	}
}

/* Bytes of one PLAIN value of a fixed-width type; 0 for BOOLEAN and strings. */
static size_t plain_width(enum vitals_type t)
{
	switch (t) {
	case VITALS_TYPE_INT32:
		return 4;
	case VITALS_TYPE_INT64:
	case VITALS_TYPE_TIMESTAMP:
	case VITALS_TYPE_DOUBLE:
		return 8;
	default:
		return 0;
	}
}

/*
 * The bytes of a string column or dictionary: never NULL, so that adding
 * an offset is defined even when every string is empty and nothing was
 * ever allocated.
 */
static const uint8_t *bytes_base(const void *data)
{
	return data ? (const uint8_t *)data : (const uint8_t *)"";
}

static int bytes_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t m = al < bl ? al : bl;
	int r = m ? memcmp(a, b, m) : 0;

	if (r)
		return r;
	return (al > bl) - (al < bl);
}

/* ---- schema --------------------------------------------------------------- */

static int build_schema(struct vitals_writer *w, struct pqw *p)
{
	const struct vitals_schema *s = &w->schema;
	struct pq_schema_element *e;

	e = calloc(s->count + 1, sizeof(*e));
	if (!e)
		return VITALS_E_NOMEM;
	p->meta.schema = e;
	p->meta.schema_count = (uint32_t)(s->count + 1);
	e[0].name = dup_str("schema");
	if (!e[0].name)
		return VITALS_E_NOMEM;
	e[0].has_repetition = 1;
	e[0].repetition = PQ_REQUIRED;
	e[0].num_children = (int32_t)s->count;
	for (size_t i = 0; i < s->count; i++) {
		const struct vitals_field *f = &s->fields[i];
		struct pq_schema_element *l = &e[i + 1];

		l->name = dup_str(f->name);
		if (!l->name)
			return VITALS_E_NOMEM;
		l->has_type = 1;
		l->type = physical_of(f->type);
		l->has_repetition = 1;
		l->repetition = f->nullable ? PQ_OPTIONAL : PQ_REQUIRED;
		if (f->type == VITALS_TYPE_STRING) {
			l->has_converted = 1;
			l->converted = PQ_CT_UTF8;
			l->logical.kind = PQ_LT_STRING;
		} else if (f->type == VITALS_TYPE_TIMESTAMP) {
			l->has_converted = 1;
			l->converted = PQ_CT_TIMESTAMP_MICROS;
			l->logical.kind = PQ_LT_TIMESTAMP;
			l->logical.unit = PQ_UNIT_MICROS;
			l->logical.utc = 1;
		}
	}
	p->meta.column_orders = calloc(s->count ? s->count : 1, sizeof(int32_t));
	if (!p->meta.column_orders)
		return VITALS_E_NOMEM;
	p->meta.column_order_count = (uint32_t)s->count;
	for (size_t i = 0; i < s->count; i++)
		p->meta.column_orders[i] = 1; /* TYPE_DEFINED_ORDER */
	return 0;
}

/* ---- statistics ----------------------------------------------------------- */

static void stats_int32(struct pqw_stats *st, const int32_t *v, const uint8_t *valid, size_t n)
{
	int32_t mn = INT32_MAX, mx = INT32_MIN;
	size_t seen = 0;

	if (!valid) {
		for (size_t i = 0; i < n; i++) {
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
		seen = n;
	} else {
		for (size_t i = 0; i < n; i++) {
			int32_t a = valid[i] ? v[i] : INT32_MAX, b = valid[i] ? v[i] : INT32_MIN;
			mn = a < mn ? a : mn;
			mx = b > mx ? b : mx;
			seen += valid[i];
		}
	}
	if (seen) {
		st->has = 1;
		st->min.i = mn;
		st->max.i = mx;
	}
}

static void stats_int64(struct pqw_stats *st, const int64_t *v, const uint8_t *valid, size_t n)
{
	int64_t mn = INT64_MAX, mx = INT64_MIN;
	size_t seen = 0;

	if (!valid) {
		for (size_t i = 0; i < n; i++) {
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
		seen = n;
	} else {
		for (size_t i = 0; i < n; i++) {
			int64_t a = valid[i] ? v[i] : INT64_MAX, b = valid[i] ? v[i] : INT64_MIN;
			mn = a < mn ? a : mn;
			mx = b > mx ? b : mx;
			seen += valid[i];
		}
	}
	if (seen) {
		st->has = 1;
		st->min.i = mn;
		st->max.i = mx;
	}
}

/*
 * NaN is left out (comparisons with it are false). Any other value, even
 * an infinity, leaves min <= max; only when there is none does min stay
 * +inf above max -inf, and there are no min/max.
 */
static void stats_double(struct pqw_stats *st, const double *v, const uint8_t *valid, size_t n)
{
	double mn = INFINITY, mx = -INFINITY;

	if (!valid) {
		for (size_t i = 0; i < n; i++) {
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if (!valid[i])
				continue;
			mn = v[i] < mn ? v[i] : mn;
			mx = v[i] > mx ? v[i] : mx;
		}
	}
	if (mn > mx)
		return;
	/* The spec: a zero min is written -0.0 and a zero max +0.0. */
	if (mn == 0.0)
		mn = -0.0;
	if (mx == 0.0)
		mx = 0.0;
	st->has = 1;
	st->min.d = mn;
	st->max.d = mx;
}

static void stats_bool(struct pqw_stats *st, const uint8_t *v, const uint8_t *valid, size_t n)
{
	size_t ones = 0, seen = 0;

	if (!valid) {
		for (size_t i = 0; i < n; i++)
			ones += v[i];
		seen = n;
	} else {
		for (size_t i = 0; i < n; i++) {
			ones += v[i] & valid[i];
			seen += valid[i];
		}
	}
	if (seen) {
		st->has = 1;
		st->min.i = ones == seen; /* false unless every value is true */
		st->max.i = ones > 0;
	}
}

static void stats_strings(struct pqw_stats *st, const struct vitals_column *c, size_t first,
                          size_t n, const uint8_t *valid)
{
	const uint8_t *data = bytes_base(c->data);
	const uint64_t *off = c->v.off + first;
	const uint8_t *mn = NULL, *mx = NULL;
	size_t mnl = 0, mxl = 0;
	int seen = 0;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = data + off[i];
		size_t l = (size_t)(off[i + 1] - off[i]);

		if (valid && !valid[i])
			continue;
		/* Not a NULL test: a column of empty strings may have no data at all. */
		if (!seen) {
			mn = mx = s;
			mnl = mxl = l;
			seen = 1;
			continue;
		}
		if (bytes_cmp(s, l, mn, mnl) < 0) {
			mn = s;
			mnl = l;
		} else if (bytes_cmp(s, l, mx, mxl) > 0) {
			mx = s;
			mxl = l;
		}
	}
	if (seen) {
		st->has = 1;
		st->smin = mn;
		st->smin_len = mnl;
		st->smax = mx;
		st->smax_len = mxl;
	}
}

/* Statistics over the entries of a dictionary (the distinct non-null values). */
static void stats_dict(struct pqw_stats *st, enum vitals_type t, const struct enc_dict *d)
{
	if (d->count == 0)
		return;
	if (t == VITALS_TYPE_STRING) {
		const uint8_t *base = bytes_base(d->data);
		const uint8_t *mn = base + d->off[0], *mx = mn;
		size_t mnl = (size_t)(d->off[1] - d->off[0]), mxl = mnl;

		for (size_t i = 1; i < d->count; i++) {
			const uint8_t *s = base + d->off[i];
			size_t l = (size_t)(d->off[i + 1] - d->off[i]);

			if (bytes_cmp(s, l, mn, mnl) < 0) {
				mn = s;
				mnl = l;
			} else if (bytes_cmp(s, l, mx, mxl) > 0) {
				mx = s;
				mxl = l;
			}
		}
		st->has = 1;
		st->smin = mn;
		st->smin_len = mnl;
		st->smax = mx;
		st->smax_len = mxl;
	} else if (t == VITALS_TYPE_DOUBLE) {
		stats_double(st, (const double *)(const void *)d->keys, NULL, d->count);
	} else if (t == VITALS_TYPE_INT32) {
		int64_t mn = INT32_MAX, mx = INT32_MIN;

		for (size_t i = 0; i < d->count; i++) {
			int64_t v = (int32_t)(uint32_t)d->keys[i];
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
		st->has = 1;
		st->min.i = mn;
		st->max.i = mx;
	} else {
		stats_int64(st, (const int64_t *)(const void *)d->keys, NULL, d->count);
	}
}

/* The min/max of ST as PLAIN bytes into S (fields 5/6, and 1/2 but for strings). */
static int stats_to_meta(const struct pqw_stats *st, enum vitals_type t, struct pq_statistics *s)
{
	uint8_t mn[8], mx[8];
	size_t len = 8;

	memset(s, 0, sizeof(*s));
	s->has_null_count = 1;
	s->null_count = st->nulls;
	if (!st->has)
		return 0;
	switch (t) {
	case VITALS_TYPE_STRING:
		if (st->smin_len > PQW_STAT_BYTES_MAX || st->smax_len > PQW_STAT_BYTES_MAX)
			return 0;
		s->min_value = dup_bytes(st->smin, st->smin_len);
		s->max_value = dup_bytes(st->smax, st->smax_len);
		if (!s->min_value || !s->max_value)
			return VITALS_E_NOMEM;
		s->min_value_len = (uint32_t)st->smin_len;
		s->max_value_len = (uint32_t)st->smax_len;
		s->has_min_value = s->has_max_value = 1;
		return 0;
	case VITALS_TYPE_BOOL:
		mn[0] = (uint8_t)st->min.i;
		mx[0] = (uint8_t)st->max.i;
		len = 1;
		break;
	case VITALS_TYPE_INT32: {
		int32_t a = (int32_t)st->min.i, b = (int32_t)st->max.i;
		memcpy(mn, &a, 4);
		memcpy(mx, &b, 4);
		len = 4;
		break;
	}
	case VITALS_TYPE_DOUBLE:
		memcpy(mn, &st->min.d, 8);
		memcpy(mx, &st->max.d, 8);
		break;
	default:
		memcpy(mn, &st->min.i, 8);
		memcpy(mx, &st->max.i, 8);
		break;
	}
	s->min_value = dup_bytes(mn, len);
	s->max_value = dup_bytes(mx, len);
	s->min = dup_bytes(mn, len);
	s->max = dup_bytes(mx, len);
	if (!s->min_value || !s->max_value || !s->min || !s->max)
		return VITALS_E_NOMEM;
	s->min_value_len = s->max_value_len = s->min_len = s->max_len = (uint32_t)len;
	s->has_min_value = s->has_max_value = s->has_min = s->has_max = 1;
	return 0;
}

/* ---- encoding choice ------------------------------------------------------ */

/*
 * Build the dictionary of the chunk's non-null values and their indices
 * in p->idx. 1 when it is worth using, 0 to fall back, or a status.
 */
static int try_dict(struct pqw *p, const struct pqw_col *k, struct enc_dict **out)
{
	const struct vitals_column *c = k->c;
	const uint8_t *valid = k->valid;
	size_t limit = k->nn / 4, j = 0, n = k->n;
	struct enc_dict *d;
	int rc;

	if (limit < PQW_DICT_MIN_COUNT)
		limit = PQW_DICT_MIN_COUNT;
	rc = grow_array((void **)&p->idx, &p->idx_cap, k->nn, sizeof(*p->idx));
	if (rc < 0)
		return rc;
	d = c->type == VITALS_TYPE_STRING ? &p->strs : &p->keys;
	enc_dict_clear(d);
	*out = d;
	switch (c->type) {
	case VITALS_TYPE_STRING: {
		const uint8_t *data = bytes_base(c->data);
		const uint64_t *off = c->v.off + k->first;

		for (size_t i = 0; i < n; i++) {
			int64_t x;

			if (valid && !valid[i])
				continue;
			x = enc_dict_add_bytes(d, data + off[i], (size_t)(off[i + 1] - off[i]));
			if (x < 0 || d->count > limit)
				return 0;
			p->idx[j++] = (uint32_t)x;
			if (j == PQW_DICT_PROBE && d->count > PQW_DICT_PROBE / 8 * 7)
				return 0;
		}
		break;
	}
	case VITALS_TYPE_INT32: {
		const int32_t *v = c->v.i32 + k->first;

		for (size_t i = 0; i < n; i++) {
			int64_t x;

			if (valid && !valid[i])
				continue;
			x = enc_dict_add_key(d, (uint32_t)v[i], 4);
			if (x < 0 || d->count > limit)
				return 0;
			p->idx[j++] = (uint32_t)x;
			if (j == PQW_DICT_PROBE && d->count > PQW_DICT_PROBE / 8 * 7)
				return 0;
		}
		break;
	}
	default: { /* INT64, TIMESTAMP, DOUBLE: 8-byte keys */
		const uint64_t *v = (const uint64_t *)(const void *)c->v.i64 + k->first;

		for (size_t i = 0; i < n; i++) {
			int64_t x;

			if (valid && !valid[i])
				continue;
			x = enc_dict_add_key(d, v[i], 8);
			if (x < 0 || d->count > limit)
				return 0;
			p->idx[j++] = (uint32_t)x;
			if (j == PQW_DICT_PROBE && d->count > PQW_DICT_PROBE / 8 * 7)
				return 0;
		}
		break;
	}
	}
	return 1;
}

/*
 * Copy the non-null values of rows [r, r + n) of the chunk, fixed width
 * WIDTH, into p->scratch; returns how many there were, or a status.
 */
static int64_t gather(struct pqw *p, const struct pqw_col *k, size_t r, size_t n, size_t width,
                      size_t max)
{
	const uint8_t *src = k->c->v.b + (k->first + r) * width;
	size_t j = 0;
	int rc;

	rc = grow_array((void **)&p->scratch, &p->scratch_cap, (n < max ? n : max) * width, 1);
	if (rc < 0)
		return rc;
	if (!k->valid) {
		j = n < max ? n : max;
		if (j)
			memcpy(p->scratch, src, j * width);
		return (int64_t)j;
	}
	for (size_t i = 0; i < n && j < max; i++) {
		if (!k->valid[r + i])
			continue;
		memcpy(p->scratch + j * width, src + i * width, width);
		j++;
	}
	return (int64_t)j;
}

/* Whether DELTA_BINARY_PACKED beats PLAIN on a sample of the chunk's values (after the codec). */
static int delta_pays(struct vitals_writer *w, struct pqw *p, const struct pqw_col *k)
{
	size_t width = plain_width(k->c->type);
	size_t plain, plain_c, delta_c;
	int64_t m;
	int rc;

	m = gather(p, k, 0, k->n, width, PQW_DELTA_SAMPLE);
	if (m < 0)
		return (int)m;
	if (m < 2)
		return 0;
	bytebuf_clear(&p->sample);
	if (width == 4)
		rc = enc_delta_encode_i32(&p->sample, (const int32_t *)(const void *)p->scratch,
		                          (size_t)m);
	else
		rc = enc_delta_encode_i64(&p->sample, (const int64_t *)(const void *)p->scratch,
		                          (size_t)m);
	if (rc < 0)
		return rc;
	plain = (size_t)m * width;
	if (w->opts.codec == VITALS_CODEC_NONE || p->sample.len >= plain)
		return p->sample.len < plain;
	bytebuf_clear(&p->comp);
	rc = codec_compress(&p->codec, w->opts.codec, w->opts.level, p->scratch, plain, &p->comp);
	if (rc < 0)
		return rc;
	plain_c = p->comp.len;
	bytebuf_clear(&p->comp);
	rc = codec_compress(&p->codec, w->opts.codec, w->opts.level, p->sample.p, p->sample.len,
	                    &p->comp);
	if (rc < 0)
		return rc;
	delta_c = p->comp.len;
	return delta_c < plain_c;
}

/* ---- pages ---------------------------------------------------------------- */

struct pqw_chunk_acc {
	int64_t uncompressed; /* page headers included */
	int64_t compressed;
	int64_t first_offset; /* of the chunk's first page */
	int64_t dict_offset;  /* -1 without a dictionary page */
	int64_t data_offset;  /* of the first data page */
};

/* Compress p->page and append it with header H to the chunk. */
static int emit_page(struct vitals_writer *w, struct pqw *p, struct pq_page_header *h,
                     struct pqw_chunk_acc *acc)
{
	const uint8_t *body = p->page.p;
	size_t usize = p->page.len, csize = usize, hstart;
	int64_t at = (int64_t)(w->bytes + p->chunk.len);
	int rc;

	if (p->page.error)
		return p->page.error;
	if (w->opts.codec != VITALS_CODEC_NONE) {
		bytebuf_clear(&p->comp);
		rc = codec_compress(&p->codec, w->opts.codec, w->opts.level, p->page.p, usize,
		                    &p->comp);
		if (rc < 0)
			return rc;
		body = p->comp.p;
		csize = p->comp.len;
	}
	if (usize > INT32_MAX || csize > INT32_MAX)
		return VITALS_E_NOMEM;
	h->uncompressed_size = (int32_t)usize;
	h->compressed_size = (int32_t)csize;
	hstart = p->chunk.len;
	rc = pq_page_header_encode(h, &p->chunk);
	if (rc < 0)
		return rc;
	rc = bytebuf_append(&p->chunk, body, csize);
	if (rc < 0)
		return rc;
	acc->uncompressed += (int64_t)(p->chunk.len - hstart - csize + usize);
	acc->compressed += (int64_t)(p->chunk.len - hstart);
	if (acc->first_offset < 0)
		acc->first_offset = at;
	if (h->type == PQ_PAGE_DICTIONARY)
		acc->dict_offset = at;
	else if (acc->data_offset < 0)
		acc->data_offset = at;
	if (p->chunk.len >= PQW_CHUNK_FLUSH) {
		rc = store_write(w, p->chunk.p, p->chunk.len);
		bytebuf_clear(&p->chunk);
	}
	return rc;
}

static int write_dict_page(struct vitals_writer *w, struct pqw *p, const struct enc_dict *d,
                           enum vitals_type t, struct pqw_chunk_acc *acc)
{
	struct pq_page_header h;

	bytebuf_clear(&p->page);
	if (bytebuf_reserve(&p->page, d->plain_bytes) < 0)
		return p->page.error;
	if (t == VITALS_TYPE_STRING) {
		uint8_t *o = p->page.p;
		for (size_t i = 0; i < d->count; i++) {
			uint32_t l = (uint32_t)(d->off[i + 1] - d->off[i]);
			memcpy(o, &l, 4);
			if (l)
				memcpy(o + 4, d->data + d->off[i], l);
			o += 4 + (size_t)l;
		}
		p->page.len = (size_t)(o - p->page.p);
	} else if (t == VITALS_TYPE_INT32) {
		uint8_t *o = p->page.p;
		for (size_t i = 0; i < d->count; i++) {
			uint32_t v = (uint32_t)d->keys[i];
			memcpy(o + 4 * i, &v, 4);
		}
		p->page.len = 4 * d->count;
	} else {
		memcpy(p->page.p, d->keys, 8 * d->count);
		p->page.len = 8 * d->count;
	}
	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DICTIONARY;
	h.dict_num_values = (int32_t)d->count;
	h.dict_encoding = PQ_ENC_PLAIN;
	return emit_page(w, p, &h, acc);
}

/* Rows of the page starting at row R. */
static size_t page_rows(const struct pqw *p, const struct pqw_col *k, enum pqw_mode mode, int bw,
                        size_t r)
{
	size_t left = k->n - r, rows;

	if (mode == MODE_DICT) {
		rows = p->page_bytes * 8 / (size_t)(bw + 1);
	} else if (k->c->type == VITALS_TYPE_BOOL) {
		rows = p->page_bytes * 8;
	} else if (k->c->type == VITALS_TYPE_STRING) {
		/* 4 bytes of length per value; null rows have no bytes. */
		const uint64_t *off = k->c->v.off + k->first;
		size_t lo = r + 1, hi = k->n;

		if (off[hi] - off[r] + 4 * (hi - r) <= p->page_bytes)
			return left;
		/* The first END past R whose bytes reach page_bytes. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (off[mid] - off[r] + 4 * (mid - r) >= p->page_bytes)
				hi = mid;
			else
				lo = mid + 1;
		}
		return lo - r;
	} else {
		rows = p->page_bytes / plain_width(k->c->type);
	}
	if (rows == 0)
		rows = 1;
	return rows < left ? rows : left;
}

/* The values of the non-null rows [r, r + n), in MODE, into p->page. */
static int page_values(struct pqw *p, const struct pqw_col *k, enum pqw_mode mode, int bw, size_t r,
                       size_t n, size_t nn, size_t nn_before)
{
	const struct vitals_column *c = k->c;
	const uint8_t *valid = k->valid ? k->valid + r : NULL;
	size_t width = plain_width(c->type);
	int64_t m;

	if (mode == MODE_DICT) {
		bytebuf_put_u8(&p->page, (uint8_t)bw);
		return enc_rle_encode(&p->page, p->idx + nn_before, nn, bw);
	}
	if (mode == MODE_DELTA && !valid) {
		if (width == 4)
			return enc_delta_encode_i32(&p->page, c->v.i32 + k->first + r, n);
		return enc_delta_encode_i64(&p->page, c->v.i64 + k->first + r, n);
	}
	if (mode == MODE_DELTA) {
		m = gather(p, k, r, n, width, n);
		if (m < 0)
			return (int)m;
		if (width == 4)
			return enc_delta_encode_i32(
			    &p->page, (const int32_t *)(const void *)p->scratch, (size_t)m);
		return enc_delta_encode_i64(&p->page, (const int64_t *)(const void *)p->scratch,
		                            (size_t)m);
	}
	if (c->type == VITALS_TYPE_BOOL) {
		if (!valid)
			return enc_plain_encode_bool(&p->page, c->v.b + k->first + r, n);
		m = gather(p, k, r, n, 1, n);
		if (m < 0)
			return (int)m;
		return enc_plain_encode_bool(&p->page, p->scratch, (size_t)m);
	}
	if (c->type == VITALS_TYPE_STRING) {
		const uint64_t *off = c->v.off + k->first + r;
		const uint8_t *data = bytes_base(c->data);
		uint8_t *o;

		/* Null rows hold empty strings, so this is exact. */
		if (bytebuf_reserve(&p->page, (size_t)(off[n] - off[0]) + 4 * nn) < 0)
			return p->page.error;
		o = p->page.p + p->page.len;
		for (size_t i = 0; i < n; i++) {
			uint32_t l = (uint32_t)(off[i + 1] - off[i]);

			if (valid && !valid[i])
				continue;
			memcpy(o, &l, 4);
			if (l)
				memcpy(o + 4, data + off[i], l);
			o += 4 + (size_t)l;
		}
		p->page.len = (size_t)(o - p->page.p);
		return 0;
	}
	/* Fixed width. */
	if (!valid)
		return bytebuf_append(&p->page, c->v.b + (k->first + r) * width, n * width);
	/* Every value is copied and kept only when valid: room for one more. */
	if (bytebuf_reserve(&p->page, (nn + 1) * width) < 0)
		return p->page.error;
	{
		const uint8_t *src = c->v.b + (k->first + r) * width;
		uint8_t *o = p->page.p + p->page.len;

		if (width == 8) {
			for (size_t i = 0; i < n; i++) {
				memcpy(o, src + 8 * i, 8);
				o += 8 * valid[i];
			}
		} else {
			for (size_t i = 0; i < n; i++) {
				memcpy(o, src + 4 * i, 4);
				o += 4 * valid[i];
			}
		}
		p->page.len += nn * width;
	}
	return 0;
}

static int write_data_pages(struct vitals_writer *w, struct pqw *p, const struct pqw_col *k,
                            enum pqw_mode mode, int bw, struct pqw_chunk_acc *acc)
{
	size_t r = 0, nn_before = 0;
	int rc = 0;

	while (r < k->n) {
		size_t n = page_rows(p, k, mode, bw, r), nn = n;
		struct pq_page_header h;

		bytebuf_clear(&p->page);
		if (k->optional && !k->valid) {
			/*
			 * A column without nulls in an OPTIONAL field: every level is
			 * 1, one RLE run (header n << 1, then the value in one byte).
			 */
			uint32_t len;

			bytebuf_put_le32(&p->page, 0);
			bytebuf_put_uleb(&p->page, (uint64_t)n << 1);
			bytebuf_put_u8(&p->page, 1);
			if (p->page.error)
				return p->page.error;
			len = (uint32_t)(p->page.len - 4);
			memcpy(p->page.p, &len, 4);
		} else if (k->valid) {
			const uint8_t *v = k->valid + r;
			size_t at = p->page.len;
			uint32_t len;

			nn = 0;
			for (size_t i = 0; i < n; i++)
				nn += v[i];
			bytebuf_put_le32(&p->page, 0);
			rc = enc_rle_encode_u8(&p->page, v, n, 1);
			if (rc < 0)
				return rc;
			len = (uint32_t)(p->page.len - at - 4);
			memcpy(p->page.p + at, &len, 4);
		}
		rc = page_values(p, k, mode, bw, r, n, nn, nn_before);
		if (rc < 0)
			return rc;
		memset(&h, 0, sizeof(h));
		h.type = PQ_PAGE_DATA;
		h.num_values = (int32_t)n;
		h.encoding = mode == MODE_DICT    ? PQ_ENC_RLE_DICTIONARY
		             : mode == MODE_DELTA ? PQ_ENC_DELTA_BINARY_PACKED
		                                  : PQ_ENC_PLAIN;
		h.def_level_encoding = PQ_ENC_RLE;
		h.rep_level_encoding = PQ_ENC_RLE;
		rc = emit_page(w, p, &h, acc);
		if (rc < 0)
			return rc;
		r += n;
		nn_before += nn;
	}
	return 0;
}

/* ---- column chunks and row groups ---------------------------------------- */

static int set_encodings(struct pq_column_meta *m, enum pqw_mode mode)
{
	m->encodings = calloc(3, sizeof(int32_t));
	if (!m->encodings)
		return VITALS_E_NOMEM;
	/* In the order of their values, as other writers list them. */
	switch (mode) {
	case MODE_DICT:
		m->encodings[0] = PQ_ENC_PLAIN; /* the dictionary page */
		m->encodings[1] = PQ_ENC_RLE;   /* levels */
		m->encodings[2] = PQ_ENC_RLE_DICTIONARY;
		m->encoding_count = 3;
		break;
	case MODE_DELTA:
		m->encodings[0] = PQ_ENC_RLE;
		m->encodings[1] = PQ_ENC_DELTA_BINARY_PACKED;
		m->encoding_count = 2;
		break;
	default:
		m->encodings[0] = PQ_ENC_PLAIN;
		m->encodings[1] = PQ_ENC_RLE;
		m->encoding_count = 2;
		break;
	}
	return 0;
}

static int write_chunk(struct vitals_writer *w, struct pqw *p, struct pqw_col *k,
                       struct pq_column_chunk *cc)
{
	enum vitals_type t = k->c->type;
	struct pqw_chunk_acc acc = {0, 0, -1, -1, -1};
	struct pq_column_meta *m = &cc->meta;
	struct enc_dict *d = NULL;
	struct pqw_stats st;
	enum pqw_mode mode = MODE_PLAIN;
	int bw = 0, rc;

	memset(&st, 0, sizeof(st));
	k->nn = k->n;
	if (k->valid) {
		size_t nn = 0;
		for (size_t i = 0; i < k->n; i++)
			nn += k->valid[i];
		k->nn = nn;
	}
	st.nulls = (int64_t)(k->n - k->nn);

	if (w->opts.dictionary && t != VITALS_TYPE_BOOL && k->nn > 0) {
		rc = try_dict(p, k, &d);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			mode = MODE_DICT;
			bw = enc_bit_width(d->count - 1);
			if (bw == 0)
				bw = 1;
		}
	}
	if (mode == MODE_PLAIN && k->nn > 0 &&
	    (t == VITALS_TYPE_INT32 || t == VITALS_TYPE_INT64 || t == VITALS_TYPE_TIMESTAMP)) {
		rc = delta_pays(w, p, k);
		if (rc < 0)
			return rc;
		if (rc > 0)
			mode = MODE_DELTA;
	}

	if (mode == MODE_DICT) {
		stats_dict(&st, t, d);
	} else if (k->nn > 0) {
		const struct vitals_column *c = k->c;
		switch (t) {
		case VITALS_TYPE_BOOL:
			stats_bool(&st, c->v.b + k->first, k->valid, k->n);
			break;
		case VITALS_TYPE_INT32:
			stats_int32(&st, c->v.i32 + k->first, k->valid, k->n);
			break;
		case VITALS_TYPE_DOUBLE:
			stats_double(&st, c->v.f64 + k->first, k->valid, k->n);
			break;
		case VITALS_TYPE_STRING:
			stats_strings(&st, c, k->first, k->n, k->valid);
			break;
		default:
			stats_int64(&st, c->v.i64 + k->first, k->valid, k->n);
			break;
		}
	}

	bytebuf_clear(&p->chunk);
	if (mode == MODE_DICT) {
		rc = write_dict_page(w, p, d, t, &acc);
		if (rc < 0)
			return rc;
	}
	rc = write_data_pages(w, p, k, mode, bw, &acc);
	if (rc < 0)
		return rc;
	if (p->chunk.len) {
		rc = store_write(w, p->chunk.p, p->chunk.len);
		if (rc < 0)
			return rc;
	}

	cc->file_offset = acc.first_offset;
	cc->has_meta = 1;
	m->type = physical_of(t);
	rc = set_encodings(m, mode);
	if (rc < 0)
		return rc;
	m->path = calloc(1, sizeof(char *));
	if (!m->path)
		return VITALS_E_NOMEM;
	m->path_count = 1;
	m->path[0] = dup_str(k->f->name);
	if (!m->path[0])
		return VITALS_E_NOMEM;
	m->codec = (int32_t)w->opts.codec;
	m->num_values = (int64_t)k->n;
	m->total_uncompressed_size = acc.uncompressed;
	m->total_compressed_size = acc.compressed;
	m->data_page_offset = acc.data_offset;
	if (acc.dict_offset >= 0) {
		m->has_dictionary_page_offset = 1;
		m->dictionary_page_offset = acc.dict_offset;
	}
	m->has_statistics = 1;
	return stats_to_meta(&st, t, &m->stats);
}

/* Encode and write rows [first, first + n) of B as one row group. */
static int write_row_group(struct vitals_writer *w, struct pqw *p, const struct vitals_batch *b,
                           size_t first, size_t n)
{
	const struct vitals_schema *s = &w->schema;
	struct pq_row_group *rg;
	int rc;

	if (p->meta.row_group_count == p->rg_cap) {
		uint32_t cap = p->rg_cap ? p->rg_cap * 2 : 16;
		void *q;

		if (cap > INT32_MAX / sizeof(*rg))
			return VITALS_E_NOMEM;
		q = realloc(p->meta.row_groups, cap * sizeof(*rg));
		if (!q)
			return VITALS_E_NOMEM;
		p->meta.row_groups = q;
		p->rg_cap = cap;
	}
	rg = &p->meta.row_groups[p->meta.row_group_count];
	memset(rg, 0, sizeof(*rg));
	rg->columns = calloc(s->count ? s->count : 1, sizeof(*rg->columns));
	if (!rg->columns)
		return VITALS_E_NOMEM;
	/* Counted now, so pq_meta_release() frees what the columns hold even on failure. */
	rg->column_count = (uint32_t)s->count;
	p->meta.row_group_count++;
	rg->num_rows = (int64_t)n;
	rg->has_file_offset = 1;
	rg->file_offset = (int64_t)w->bytes;
	for (size_t j = 0; j < s->count; j++) {
		struct pqw_col k;

		k.c = &b->cols[j];
		k.f = &s->fields[j];
		k.first = first;
		k.n = n;
		k.valid = k.c->valid ? k.c->valid + first : NULL;
		k.nn = n;
		k.optional = k.f->nullable;
		rc = write_chunk(w, p, &k, &rg->columns[j]);
		if (rc < 0)
			return rc;
		rg->total_byte_size += rg->columns[j].meta.total_uncompressed_size;
		rg->total_compressed_size += rg->columns[j].meta.total_compressed_size;
	}
	rg->has_total_compressed_size = 1;
	if (p->kept_count + p->meta.row_group_count - 1 <= PQW_ORDINAL_MAX) {
		rg->has_ordinal = 1;
		rg->ordinal = (int16_t)(p->kept_count + p->meta.row_group_count - 1);
	}
	p->rows += (int64_t)n;
	return 0;
}

/* ---- streamed row groups (stream.h) -------------------------------------- */

/*
 * A stream's open pages are raw values, one per column, all in memory:
 * pages are smaller than a file writer's (1 MiB), at some cost in
 * compression (about 20% against 1 MiB pages on a recording of 1000
 * processes; a quarter of the memory).
 */
#define PQS_PAGE_DEFAULT ((size_t)128 << 10)
/*
 * Open pages of all columns together hold at most this much: past it the
 * biggest ends. Columns of rare rows (the system's, a disk's) would
 * otherwise hold hours of values before their page fills.
 */
#define PQS_OPEN_BUDGET ((size_t)1 << 20)
/*
 * A column's dictionary stops there (later pages go without): it stays in
 * memory until the row group is sealed.
 */
#define PQS_DICT_MAX ((size_t)128 << 10)
/* Rows of one page at most, whatever its values (levels are kept as runs). */
#define PQS_PAGE_ROWS_MAX ((size_t)1 << 20)
#define PQS_ERR_MAX       256

/* Encodings a column chunk used, as bits. */
#define PQS_USED_PLAIN (1u << 0)
#define PQS_USED_DICT  (1u << 1)
#define PQS_USED_DELTA (1u << 2)

/* Statistics of a stream's pages without a dictionary; strings owned. */
struct pqs_stats {
	int has;
	union {
		int64_t i;
		double d;
	} min, max;
	struct bytebuf smin, smax;
};

struct pqs_col {
	const struct vitals_field *f;
	enum vitals_type type;
	int dict_on;  /* values of the open page go to the dictionary (indices in vals) */
	int idx16;    /* those indices are uint16_t (the dictionary is small), else uint32_t */
	int has_last; /* the last value given to the dictionary, for runs of equal values */
	uint64_t last_key;
	uint32_t last_idx;
	int dict_pages; /* finished pages use the dictionary */
	int nondict;    /* pages without it: MODE_PLAIN or MODE_DELTA; -1 until the first */
	struct enc_dict dict;
	/* The open page: definition levels as runs of (count << 1 | level), and values. */
	size_t rows, nn;
	uint32_t *runs;
	size_t nruns, runs_cap;
	struct bytebuf vals; /* dictionary: uint32 indices; else PLAIN (strings: length, bytes) */
	/*
	 * Finished pages: headers and compressed bodies, which hold no file
	 * offsets. Those of the last committed write are in that file
	 * (disk_off, disk_len); those finished since, in PAGES.
	 */
	uint64_t disk_off, disk_len;
	uint64_t next_off, next_len; /* where the last put wrote them all, until committed */
	struct bytebuf pages;
	size_t pend;        /* values of the open page whose level is not in RUNS yet */
	int64_t pages_vals; /* values of PAGES (in memory) */
	int old;            /* the open page was open at the last pq_stream_end_pages() */
	int64_t pages_rows;
	int64_t pages_uncompressed; /* headers and uncompressed bodies */
	int64_t nulls;              /* in finished pages */
	unsigned used;              /* PQS_USED_* of finished pages */
	struct pqs_stats st;        /* of finished pages without the dictionary */
};

struct pq_stream {
	struct vitals_schema schema;
	int32_t codec;
	int level;
	int dictionary;
	size_t page_bytes;
	size_t dict_bytes;
	struct codec_state cs;
	struct pqs_col *cols;
	int64_t rows;
	struct bytebuf page, comp, tmp; /* scratch */
	struct bytebuf conv;            /* dictionary indices made values again */
	size_t open_budget; /* bytes of open values in all, past which the biggest page ends */
	int status;
	char err[PQS_ERR_MAX];
};

static int pqs_fail(struct pq_stream *s, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int pqs_fail(struct pq_stream *s, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	if (!s->status)
		s->status = status;
	return status;
}

static void pqs_col_reset(struct pq_stream *s, struct pqs_col *k)
{
	enc_dict_clear(&k->dict);
	k->dict_on = s->dictionary && k->type != VITALS_TYPE_BOOL;
	k->idx16 = 1;
	k->has_last = 0;
	k->dict_pages = 0;
	k->nondict = -1;
	k->rows = k->nn = k->nruns = k->pend = 0;
	bytebuf_clear(&k->vals);
	bytebuf_clear(&k->pages);
	k->pages_vals = 0;
	k->old = 0;
	k->disk_off = k->disk_len = k->next_off = k->next_len = 0;
	k->pages_rows = k->pages_uncompressed = k->nulls = 0;
	k->used = 0;
	k->st.has = 0;
	bytebuf_clear(&k->st.smin);
	bytebuf_clear(&k->st.smax);
}

int pq_stream_new(struct pq_stream **out, const struct vitals_schema *schema,
                  const struct vitals_write_options *o)
{
	struct pq_stream *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return VITALS_E_NOMEM;
	vitals_schema_init(&s->schema);
	rc = vitals_schema_copy(&s->schema, schema);
	if (rc == 0 && !codec_supported(o->codec))
		rc = VITALS_E_UNSUPPORTED;
	if (rc == 0) {
		s->cols = calloc(schema->count ? schema->count : 1, sizeof(*s->cols));
		if (!s->cols)
			rc = VITALS_E_NOMEM;
	}
	if (rc < 0) {
		vitals_schema_release(&s->schema);
		free(s);
		return rc;
	}
	s->codec = (int32_t)o->codec;
	s->level = o->level;
	s->dictionary = o->dictionary;
	s->page_bytes = o->page_bytes ? o->page_bytes : PQS_PAGE_DEFAULT;
	if (s->page_bytes > PQS_PAGE_DEFAULT)
		s->page_bytes = PQS_PAGE_DEFAULT;
	s->dict_bytes = o->dictionary_bytes ? o->dictionary_bytes : PQW_DICT_DEFAULT;
	if (s->dict_bytes > PQS_DICT_MAX)
		s->dict_bytes = PQS_DICT_MAX;
	s->open_budget = PQS_OPEN_BUDGET;
	bytebuf_init(&s->page, 0);
	bytebuf_init(&s->comp, 0);
	bytebuf_init(&s->tmp, 0);
	bytebuf_init(&s->conv, 0);
	for (size_t j = 0; j < schema->count; j++) {
		struct pqs_col *k = &s->cols[j];

		k->f = &s->schema.fields[j];
		k->type = k->f->type;
		enc_dict_init(&k->dict, k->type == VITALS_TYPE_STRING, s->dict_bytes);
		bytebuf_init(&k->vals, 0);
		bytebuf_init(&k->pages, 0);
		bytebuf_init(&k->st.smin, 0);
		bytebuf_init(&k->st.smax, 0);
		pqs_col_reset(s, k);
	}
	*out = s;
	return 0;
}

void pq_stream_free(struct pq_stream *s)
{
	if (!s)
		return;
	for (size_t j = 0; j < s->schema.count; j++) {
		struct pqs_col *k = &s->cols[j];

		enc_dict_release(&k->dict);
		free(k->runs);
		bytebuf_release(&k->vals);
		bytebuf_release(&k->pages);
		bytebuf_release(&k->st.smin);
		bytebuf_release(&k->st.smax);
	}
	free(s->cols);
	codec_state_release(&s->cs);
	bytebuf_release(&s->page);
	bytebuf_release(&s->comp);
	bytebuf_release(&s->tmp);
	bytebuf_release(&s->conv);
	vitals_schema_release(&s->schema);
	free(s);
}

int64_t pq_stream_rows(const struct pq_stream *s)
{
	return s->rows;
}

uint64_t pq_stream_bytes(const struct pq_stream *s)
{
	uint64_t n = 0;

	for (size_t j = 0; j < s->schema.count; j++) {
		const struct pqs_col *k = &s->cols[j];

		n += k->disk_len + k->pages.len + k->vals.len + k->dict.plain_bytes;
	}
	return n;
}

uint64_t pq_stream_memory(const struct pq_stream *s)
{
	uint64_t n = 0;

	for (size_t j = 0; j < s->schema.count; j++) {
		const struct pqs_col *k = &s->cols[j];

		const struct enc_dict *d = &k->dict;

		n += k->pages.cap + k->vals.cap + k->runs_cap * sizeof(*k->runs);
		/* Keys (string hashes), string offsets and bytes, the slot table. */
		n += d->key_cap * 8 + (d->strings ? (d->key_cap + 1) * 8 : 0) + d->data_cap +
		     d->slot_count * 4;
	}
	return n;
}

void pq_stream_set_budget(struct pq_stream *s, size_t bytes)
{
	s->open_budget = bytes;
}

void pq_stream_commit(struct pq_stream *s)
{
	for (size_t j = 0; j < s->schema.count; j++) {
		struct pqs_col *k = &s->cols[j];

		if (k->next_len != k->disk_len + k->pages.len)
			continue; /* not written by the last put */
		k->disk_off = k->next_off;
		k->disk_len = k->next_len;
		bytebuf_clear(&k->pages);
		k->pages_vals = 0;
		if (k->pages.cap > ((size_t)256 << 10)) {
			bytebuf_release(&k->pages);
			bytebuf_init(&k->pages, 0);
		}
	}
}

/* Forget K's dictionary (it did not pay) and its memory; later values go without. */
static void pqs_drop_dict(struct pqs_col *k)
{
	int strings = k->dict.strings;
	size_t max = k->dict.max_bytes;

	enc_dict_release(&k->dict);
	enc_dict_init(&k->dict, strings, max);
	k->dict_on = 0;
	k->has_last = 0;
}

void pq_stream_clear(struct pq_stream *s)
{
	for (size_t j = 0; j < s->schema.count; j++) {
		struct pqs_col *k = &s->cols[j];

		pqs_col_reset(s, k);
		/* The next row group starts small: what this one grew is given back. */
		bytebuf_release(&k->pages);
		bytebuf_init(&k->pages, 0);
		bytebuf_release(&k->vals);
		bytebuf_init(&k->vals, 0);
		free(k->runs);
		k->runs = NULL;
		k->runs_cap = 0;
		pqs_drop_dict(k);
		k->dict_on = s->dictionary && k->type != VITALS_TYPE_BOOL;
	}
	s->rows = 0;
	s->status = 0;
	s->err[0] = '\0';
}

const char *pq_stream_errmsg(const struct pq_stream *s)
{
	return s->err;
}

static int pqs_level(struct pqs_col *k, int level, size_t count)
{
	if (k->nruns && (k->runs[k->nruns - 1] & 1) == (uint32_t)level &&
	    (k->runs[k->nruns - 1] >> 1) + count < ((uint32_t)1 << 30)) {
		k->runs[k->nruns - 1] += (uint32_t)(count << 1);
	} else {
		if (k->nruns == k->runs_cap) {
			size_t cap = k->runs_cap < 16 ? 16 : k->runs_cap + k->runs_cap / 2;
			void *q = realloc(k->runs, cap * sizeof(*k->runs));

			if (!q)
				return VITALS_E_NOMEM;
			k->runs = q;
			k->runs_cap = cap;
		}
		k->runs[k->nruns++] = (uint32_t)(count << 1) | (uint32_t)level;
	}
	k->rows += count;
	return 0;
}

/* The levels of K's values taken one by one, into its runs. */
static int pqs_settle(struct pqs_col *k)
{
	size_t n = k->pend;

	k->pend = 0;
	return n ? pqs_level(k, 1, n) : 0;
}

/* Append N bytes to B: in place while there is room (values go one by one). */
static inline int pqs_put(struct bytebuf *b, const void *v, size_t n)
{
	if (!b->error && b->cap - b->len >= n) {
		memcpy(b->p + b->len, v, n);
		b->len += n;
		return 0;
	}
	return bytebuf_append(b, v, n);
}

/* The dictionary index of K's open value I. */
static uint32_t pqs_idx(const struct pqs_col *k, size_t i)
{
	if (k->idx16)
		return ((const uint16_t *)(const void *)k->vals.p)[i];
	return ((const uint32_t *)(const void *)k->vals.p)[i];
}

/* PLAIN bytes of dictionary entry I of K into OUT. */
static int pqs_dict_value(const struct pqs_col *k, uint32_t i, struct bytebuf *out)
{
	const struct enc_dict *d = &k->dict;

	if (k->type == VITALS_TYPE_STRING)
		return enc_plain_encode_bytes(out, d->data + d->off[i],
		                              (size_t)(d->off[i + 1] - d->off[i]));
	if (k->type == VITALS_TYPE_INT32)
		return bytebuf_put_le32(out, (uint32_t)d->keys[i]);
	return bytebuf_put_le64(out, d->keys[i]);
}

/* Merge the statistics of N PLAIN values in BUF (no nulls) into ST. */
static int pqs_stats_add(struct pqs_stats *st, enum vitals_type t, const uint8_t *buf, size_t len,
                         size_t n)
{
	struct pqw_stats x;

	memset(&x, 0, sizeof(x));
	if (n == 0)
		return 0;
	switch (t) {
	case VITALS_TYPE_BOOL:
		stats_bool(&x, buf, NULL, n);
		break;
	case VITALS_TYPE_INT32:
		stats_int32(&x, (const int32_t *)(const void *)buf, NULL, n);
		break;
	case VITALS_TYPE_DOUBLE:
		stats_double(&x, (const double *)(const void *)buf, NULL, n);
		break;
	case VITALS_TYPE_STRING: {
		const uint8_t *p = buf, *end = buf + len;

		while (p + 4 <= end) {
			uint32_t l = le32_get(p);
			const uint8_t *v = p + 4;

			if (!x.has || bytes_cmp(v, l, x.smin, x.smin_len) < 0) {
				x.smin = v;
				x.smin_len = l;
			}
			if (!x.has || bytes_cmp(v, l, x.smax, x.smax_len) > 0) {
				x.smax = v;
				x.smax_len = l;
			}
			x.has = 1;
			p = v + l;
		}
		break;
	}
	default:
		stats_int64(&x, (const int64_t *)(const void *)buf, NULL, n);
		break;
	}
	if (!x.has)
		return 0;
	if (t == VITALS_TYPE_STRING) {
		if (!st->has || bytes_cmp(x.smin, x.smin_len, st->smin.p, st->smin.len) < 0) {
			bytebuf_clear(&st->smin);
			if (bytebuf_append(&st->smin, x.smin, x.smin_len) < 0)
				return VITALS_E_NOMEM;
		}
		if (!st->has || bytes_cmp(x.smax, x.smax_len, st->smax.p, st->smax.len) > 0) {
			bytebuf_clear(&st->smax);
			if (bytebuf_append(&st->smax, x.smax, x.smax_len) < 0)
				return VITALS_E_NOMEM;
		}
	} else if (t == VITALS_TYPE_DOUBLE) {
		if (!st->has || x.min.d < st->min.d)
			st->min.d = x.min.d;
		if (!st->has || x.max.d > st->max.d)
			st->max.d = x.max.d;
	} else {
		if (!st->has || x.min.i < st->min.i)
			st->min.i = x.min.i;
		if (!st->has || x.max.i > st->max.i)
			st->max.i = x.max.i;
	}
	st->has = 1;
	return 0;
}

/* Add the values of a dictionary (every one is a value of some page) into ST. */
static int pqs_stats_dict(struct pqs_stats *st, const struct pqs_col *k, struct bytebuf *scratch)
{
	bytebuf_clear(scratch);
	for (uint32_t i = 0; i < k->dict.count; i++)
		if (pqs_dict_value(k, i, scratch) < 0)
			return VITALS_E_NOMEM;
	return pqs_stats_add(st, k->type, scratch->p, scratch->len, k->dict.count);
}

/* Whether DELTA_BINARY_PACKED beats PLAIN for the N values of width W in BUF, after the codec. */
static int pqs_delta_pays(struct pq_stream *s, const uint8_t *buf, size_t n, size_t width)
{
	size_t plain = n * width, plain_c, delta_c;
	int rc;

	if (n > PQW_DELTA_SAMPLE)
		n = PQW_DELTA_SAMPLE, plain = n * width;
	if (n < 2)
		return 0;
	bytebuf_clear(&s->tmp);
	rc = width == 4 ? enc_delta_encode_i32(&s->tmp, (const int32_t *)(const void *)buf, n)
	                : enc_delta_encode_i64(&s->tmp, (const int64_t *)(const void *)buf, n);
	if (rc < 0)
		return rc;
	if (s->codec == VITALS_CODEC_NONE || s->tmp.len >= plain)
		return s->tmp.len < plain;
	bytebuf_clear(&s->comp);
	if ((rc = codec_compress(&s->cs, s->codec, s->level, buf, plain, &s->comp)) < 0)
		return rc;
	plain_c = s->comp.len;
	bytebuf_clear(&s->comp);
	if ((rc = codec_compress(&s->cs, s->codec, s->level, s->tmp.p, s->tmp.len, &s->comp)) < 0)
		return rc;
	delta_c = s->comp.len;
	return delta_c < plain_c;
}

/* Compress s->page and append it with header H to OUT; *usize gets header + body. */
static int pqs_emit(struct pq_stream *s, struct pq_page_header *h, struct bytebuf *out,
                    int64_t *usize)
{
	const uint8_t *body = s->page.p;
	size_t n = s->page.len, cn = n, at = out->len;
	int rc;

	if (s->page.error)
		return s->page.error;
	if (s->codec != VITALS_CODEC_NONE) {
		bytebuf_clear(&s->comp);
		rc = codec_compress(&s->cs, s->codec, s->level, s->page.p, n, &s->comp);
		if (rc < 0)
			return rc;
		body = s->comp.p;
		cn = s->comp.len;
	}
	if (n > INT32_MAX || cn > INT32_MAX)
		return VITALS_E_NOMEM;
	h->uncompressed_size = (int32_t)n;
	h->compressed_size = (int32_t)cn;
	/* A column's pages grow to megabytes: no doubling past what they need. */
	if ((rc = bytebuf_reserve_gently(out, cn + 64)) < 0)
		return rc;
	if ((rc = pq_page_header_encode(h, out)) < 0)
		return rc;
	if ((rc = bytebuf_append(out, body, cn)) < 0)
		return rc;
	*usize = (int64_t)(out->len - at - cn + n);
	return 0;
}

/*
 * Encode K's open page into OUT. FINISH: the page is done (the first one
 * decides whether the dictionary stays, and statistics are kept); else it
 * is encoded for one file only and K does not change. *USED receives its
 * encoding bit; ST, when not NULL, takes its statistics.
 */
static int pqs_encode_open(struct pq_stream *s, struct pqs_col *k, int finish, struct bytebuf *out,
                           int64_t *usize, unsigned *used, struct pqs_stats *st)
{
	size_t width = plain_width(k->type);
	struct pq_page_header h;
	const uint8_t *vals = k->vals.p;
	size_t vlen = k->vals.len;
	int dict = k->dict_on && k->nn > 0, mode;
	int rc;

	bytebuf_clear(&s->page);
	if (k->f->nullable) {
		uint32_t len;

		bytebuf_put_le32(&s->page, 0);
		for (size_t i = 0; i < k->nruns; i++) {
			bytebuf_put_uleb(&s->page, (uint64_t)(k->runs[i] >> 1) << 1);
			bytebuf_put_u8(&s->page, (uint8_t)(k->runs[i] & 1));
		}
		if (s->page.error)
			return s->page.error;
		len = (uint32_t)(s->page.len - 4);
		memcpy(s->page.p, &len, 4);
	}
	/*
	 * The first page of a chunk keeps the dictionary only when it has few
	 * distinct values; else its indices become values again.
	 */
	if (dict && finish && !k->dict_pages && k->dict.count > PQW_DICT_MIN_COUNT &&
	    k->dict.count > k->nn / 4)
		dict = 0;
	if (!dict && k->dict_on && k->nn > 0) {
		bytebuf_clear(&s->conv);
		for (size_t i = 0; i < k->nn; i++)
			if (pqs_dict_value(k, pqs_idx(k, i), &s->conv) < 0)
				return VITALS_E_NOMEM;
		if (finish) {
			struct bytebuf t = k->vals;

			k->vals = s->conv;
			s->conv = t;
			pqs_drop_dict(k);
		}
		vals = finish ? k->vals.p : s->conv.p;
		vlen = finish ? k->vals.len : s->conv.len;
	}
	if (dict) {
		int bw = enc_bit_width(k->dict.count - 1);

		/*
		 * Compressed, indices take whole bytes: a sample's rows repeat
		 * the last one's at a byte offset the codec finds, where 7-bit
		 * indices would line up again only every eighth sample.
		 */
		if (s->codec != VITALS_CODEC_NONE)
			bw = (bw + 7) / 8 * 8;
		mode = MODE_DICT;
		if (k->idx16) {
			/* Widened for the encoder. */
			bytebuf_clear(&s->conv);
			if (bytebuf_reserve(&s->conv, 4 * k->nn) < 0)
				return VITALS_E_NOMEM;
			for (size_t i = 0; i < k->nn; i++)
				((uint32_t *)(void *)s->conv.p)[i] = pqs_idx(k, i);
			vals = s->conv.p;
		}
		bytebuf_put_u8(&s->page, (uint8_t)(bw ? bw : 1));
		rc = enc_rle_encode(&s->page, (const uint32_t *)(const void *)vals, k->nn,
		                    bw ? bw : 1);
		if (rc < 0)
			return rc;
	} else {
		mode = k->nondict;
		if (mode < 0) {
			mode = MODE_PLAIN;
			if (k->nn > 0 &&
			    (k->type == VITALS_TYPE_INT32 || k->type == VITALS_TYPE_INT64 ||
			     k->type == VITALS_TYPE_TIMESTAMP)) {
				rc = pqs_delta_pays(s, vals, k->nn, width);
				if (rc < 0)
					return rc;
				mode = rc ? MODE_DELTA : MODE_PLAIN;
			}
			if (finish && k->nn > 0)
				k->nondict = mode;
		}
		if (mode == MODE_DELTA)
			rc = width == 4
			         ? enc_delta_encode_i32(&s->page,
			                                (const int32_t *)(const void *)vals, k->nn)
			         : enc_delta_encode_i64(&s->page,
			                                (const int64_t *)(const void *)vals, k->nn);
		else if (k->type == VITALS_TYPE_BOOL)
			rc = enc_plain_encode_bool(&s->page, vals, k->nn);
		else
			rc = bytebuf_append(&s->page, vals, vlen);
		if (rc < 0)
			return rc;
		if (st && (rc = pqs_stats_add(st, k->type, vals, vlen, k->nn)) < 0)
			return rc;
	}
	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DATA;
	h.num_values = (int32_t)k->rows;
	h.encoding = mode == MODE_DICT    ? PQ_ENC_RLE_DICTIONARY
	             : mode == MODE_DELTA ? PQ_ENC_DELTA_BINARY_PACKED
	                                  : PQ_ENC_PLAIN;
	h.def_level_encoding = PQ_ENC_RLE;
	h.rep_level_encoding = PQ_ENC_RLE;
	*used = mode == MODE_DICT    ? PQS_USED_DICT
	        : mode == MODE_DELTA ? PQS_USED_DELTA
	                             : PQS_USED_PLAIN;
	return pqs_emit(s, &h, out, usize);
}

/* Entries a dictionary may have before its first page while it does not pay. */
#define PQS_DICT_PROBATION 1024

/*
 * K's open page without its dictionary: its indices become PLAIN values
 * again, and the dictionary goes.
 */
static int pqs_undict_open(struct pq_stream *s, struct pqs_col *k)
{
	struct bytebuf t;

	bytebuf_clear(&s->conv);
	for (size_t i = 0; i < k->nn; i++)
		if (pqs_dict_value(k, pqs_idx(k, i), &s->conv) < 0)
			return VITALS_E_NOMEM;
	t = k->vals;
	k->vals = s->conv;
	s->conv = t;
	pqs_drop_dict(k);
	return 0;
}

/* Buffers of the open page past this many bytes are given back when it ends. */
#define PQS_KEEP_BYTES 4096

/* Finish K's open page into its pages. */
static int pqs_flush(struct pq_stream *s, struct pqs_col *k)
{
	unsigned used = 0;
	int64_t usize = 0;
	int rc;

	if ((rc = pqs_settle(k)) < 0)
		return rc;
	if (k->rows == 0)
		return 0;
	rc = pqs_encode_open(s, k, 1, &k->pages, &usize, &used, &k->st);
	if (rc < 0)
		return rc;
	if (used == PQS_USED_DICT) {
		k->dict_pages = 1;
		/* A dictionary past a quarter of the values seen stops growing here. */
		int64_t seen = k->pages_rows - k->nulls + (int64_t)k->nn;

		if (k->dict.count > PQW_DICT_MIN_COUNT && (int64_t)k->dict.count > seen / 4)
			k->dict_on = 0;
	}
	k->used |= used;
	k->pages_uncompressed += usize;
	k->pages_rows += (int64_t)k->rows;
	k->pages_vals += (int64_t)k->nn;
	k->nulls += (int64_t)(k->rows - k->nn);
	k->rows = k->nn = k->nruns = 0;
	k->old = 0;
	bytebuf_clear(&k->vals);
	/*
	 * A hundred columns each keeping the biggest page they ever had would
	 * hold megabytes: big buffers go, and grow again.
	 */
	if (k->vals.cap > PQS_KEEP_BYTES) {
		bytebuf_release(&k->vals);
		bytebuf_init(&k->vals, 0);
	}
	if (k->runs_cap * sizeof(*k->runs) > PQS_KEEP_BYTES) {
		free(k->runs);
		k->runs = NULL;
		k->runs_cap = 0;
	}
	return 0;
}

/* Append value I of column C (valid) to K's open page. */
static int pqs_value(struct pq_stream *s, struct pqs_col *k, const struct vitals_column *c,
                     size_t i)
{
	int64_t x;

	if (k->dict_on) {
		uint64_t key = 0;

		/* A value equal to the last one (times, kinds, states) is not hashed again. */
		if (k->type == VITALS_TYPE_STRING) {
			const uint8_t *v = bytes_base(c->data) + c->v.off[i];
			size_t len = (size_t)(c->v.off[i + 1] - c->v.off[i]);
			const struct enc_dict *d = &k->dict;

			if (k->has_last && d->off[k->last_idx + 1] - d->off[k->last_idx] == len &&
			    (len == 0 || memcmp(d->data + d->off[k->last_idx], v, len) == 0))
				x = k->last_idx;
			else
				x = enc_dict_add_bytes(&k->dict, v, len);
		} else {
			if (k->type == VITALS_TYPE_INT32)
				key = (uint32_t)c->v.i32[i];
			else
				memcpy(&key, c->v.b + 8 * i, 8);
			if (k->has_last && key == k->last_key)
				x = k->last_idx;
			else
				x = enc_dict_add_key(&k->dict, key,
				                     k->type == VITALS_TYPE_INT32 ? 4 : 8);
		}
		if (x >= 0) {
			k->has_last = 1;
			k->last_key = key;
			k->last_idx = (uint32_t)x;
		}
		/*
		 * Before its first page, a dictionary past PQS_DICT_PROBATION
		 * entries and a quarter of the values is given up at once: a
		 * column of rare rows would hold hours of distinct values before
		 * its page fills.
		 */
		if (x >= 0 && !k->dict_pages && k->dict.count > PQS_DICT_PROBATION &&
		    k->dict.count > (k->nn + 1) / 4) {
			int rc = pqs_undict_open(s, k);

			if (rc < 0)
				return rc;
			/* This value goes without it too, below. */
		} else if (x >= 0) {
			if (x > UINT16_MAX && k->idx16) {
				/* Past 65536 entries: the open page's indices take four bytes. */
				bytebuf_clear(&s->conv);
				if (bytebuf_reserve(&s->conv, 4 * k->nn + 4) < 0)
					return VITALS_E_NOMEM;
				for (size_t j = 0; j < k->nn; j++)
					((uint32_t *)(void *)s->conv.p)[j] = pqs_idx(k, j);
				s->conv.len = 4 * k->nn;
				bytebuf_clear(&k->vals);
				if (bytebuf_append(&k->vals, s->conv.p, s->conv.len) < 0)
					return VITALS_E_NOMEM;
				k->idx16 = 0;
			}
			k->nn++;
			if (k->idx16) {
				uint16_t u = (uint16_t)x;

				return pqs_put(&k->vals, &u, 2);
			} else {
				uint32_t u = (uint32_t)x;

				return pqs_put(&k->vals, &u, 4);
			}
		} else if (x != -1) {
			return (int)x;
		} else {
			/* The dictionary is full: its page ends here, later ones go without. */
			if ((x = pqs_flush(s, k)) < 0)
				return (int)x;
			k->dict_on = 0;
		}
	}
	k->nn++;
	switch (k->type) {
	case VITALS_TYPE_STRING: {
		const uint8_t *data = bytes_base(c->data);

		return enc_plain_encode_bytes(&k->vals, data + c->v.off[i],
		                              (size_t)(c->v.off[i + 1] - c->v.off[i]));
	}
	case VITALS_TYPE_BOOL:
		return bytebuf_put_u8(&k->vals, c->v.b[i] ? 1 : 0);
	case VITALS_TYPE_INT32:
		return pqs_put(&k->vals, &c->v.i32[i], 4);
	default:
		return pqs_put(&k->vals, c->v.b + 8 * i, 8);
	}
}

/* Memory K's open page takes: values, and levels (as runs). */
static size_t pqs_open_bytes(const struct pqs_col *k)
{
	return k->vals.len + 4 * k->nruns;
}

/*
 * Whether K's open page is full: its values take page_bytes, or, with the
 * dictionary, it has as many as 4-byte indices would (indices of a small
 * dictionary take two bytes).
 */
static int pqs_page_full(const struct pq_stream *s, const struct pqs_col *k)
{
	return pqs_open_bytes(k) >= s->page_bytes || (k->dict_on && k->nn >= s->page_bytes / 4);
}

/* Where the run of rows of LEVEL (valid or not) from I on ends, before N. */
static size_t pqs_run_end(const uint8_t *valid, size_t i, size_t n, int level)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);

	/* Eight at a time: all zero, or none zero. */
	while (i + 8 <= n) {
		uint64_t x;

		memcpy(&x, valid + i, 8);
		if (level ? ((x - ones) & ~x & highs) != 0 : x != 0)
			break;
		i += 8;
	}
	while (i < n && (valid[i] != 0) == level)
		i++;
	return i;
}

int pq_stream_append(struct pq_stream *s, const struct vitals_batch *b)
{
	int rc = 0;

	if (s->status)
		return s->status;
	if (!vitals_schema_equal(&b->schema, &s->schema))
		return pqs_fail(s, VITALS_E_INVAL, "rows of other columns given to the stream");
	for (size_t j = 0; j < s->schema.count && rc == 0; j++) {
		struct pqs_col *k = &s->cols[j];
		const struct vitals_column *c = &b->cols[j];
		const uint8_t *valid = c->valid;
		size_t i = 0;

		while (i < b->rows && rc == 0) {
			size_t e = i + 1;
			int level = valid ? valid[i] != 0 : 1;

			/* A run of rows with the same level, within the page's row cap. */
			if (!valid)
				e = b->rows;
			else
				e = pqs_run_end(valid, e, b->rows, level);
			if (e - i > PQS_PAGE_ROWS_MAX - k->rows)
				e = i + (PQS_PAGE_ROWS_MAX - k->rows);
			if (!level) {
				rc = pqs_level(k, 0, e - i);
				i = e;
			} else if (!k->dict_on && k->type != VITALS_TYPE_STRING &&
			           k->type != VITALS_TYPE_BOOL) {
				/* Fixed width without a dictionary: as many as the page has room
				 * for. */
				size_t width = plain_width(k->type);

				while (i < e && rc == 0) {
					size_t room = k->vals.len < s->page_bytes
					                  ? (s->page_bytes - k->vals.len) / width
					                  : 0;
					size_t m = e - i < room ? e - i : room ? room : 1;

					rc =
					    bytebuf_append(&k->vals, c->v.b + width * i, width * m);
					if (rc == 0)
						rc = pqs_level(k, 1, m);
					k->nn += m;
					i += m;
					if (rc == 0 && k->vals.len >= s->page_bytes)
						rc = pqs_flush(s, k);
				}
			} else {
				/*
				 * One by one: the page may end inside the run (a full
				 * dictionary), so each value goes in before its level.
				 */
				for (; i < e && rc == 0; i++) {
					if ((rc = pqs_value(s, k, c, i)) == 0)
						k->pend++;
					if (rc == 0 && pqs_page_full(s, k))
						rc = pqs_flush(s, k);
				}
				if (rc == 0)
					rc = pqs_settle(k);
			}
			/* A page also ends at its row cap, or when levels alone fill it. */
			if (rc == 0 && (k->rows >= PQS_PAGE_ROWS_MAX || pqs_page_full(s, k)))
				rc = pqs_flush(s, k);
		}
		if (rc == 0 && k->vals.error)
			rc = k->vals.error;
	}
	/* Past the budget, the biggest open pages end. */
	while (rc == 0) {
		size_t total = 0, big = 0;
		struct pqs_col *kb = NULL;

		for (size_t j = 0; j < s->schema.count; j++) {
			struct pqs_col *k = &s->cols[j];

			total += pqs_open_bytes(k);
			if (pqs_open_bytes(k) > big) {
				big = pqs_open_bytes(k);
				kb = k;
			}
		}
		if (total <= s->open_budget || !kb)
			break;
		rc = pqs_flush(s, kb);
	}
	if (rc < 0)
		return pqs_fail(s, rc, "encoding rows: %s", vitals_strerror(rc));
	s->rows += (int64_t)b->rows;
	return 0;
}

int pq_stream_end_pages(struct pq_stream *s)
{
	int rc = 0;

	if (s->status)
		return s->status;
	for (size_t j = 0; j < s->schema.count && rc == 0; j++) {
		struct pqs_col *k = &s->cols[j];

		/* A page of nulls only holds no values: a run count, whatever its rows. */
		if (k->old && k->nn > 0)
			rc = pqs_flush(s, k);
		k->old = k->rows > 0;
	}
	if (rc < 0)
		return pqs_fail(s, rc, "encoding rows: %s", vitals_strerror(rc));
	return 0;
}

int64_t pq_stream_held_values(const struct pq_stream *s)
{
	int64_t n = 0;

	for (size_t j = 0; j < s->schema.count; j++)
		n += s->cols[j].pages_vals + (int64_t)s->cols[j].nn;
	return n;
}

/* The dictionary page of K into OUT. */
static int pqs_dict_page(struct pq_stream *s, const struct pqs_col *k, struct bytebuf *out,
                         int64_t *usize)
{
	struct pq_page_header h;

	bytebuf_clear(&s->page);
	for (uint32_t i = 0; i < k->dict.count; i++)
		if (pqs_dict_value(k, i, &s->page) < 0)
			return VITALS_E_NOMEM;
	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DICTIONARY;
	h.dict_num_values = (int32_t)k->dict.count;
	h.dict_encoding = PQ_ENC_PLAIN;
	return pqs_emit(s, &h, out, usize);
}

static int pqs_put_column(struct vitals_writer *w, struct pqw *p, struct pq_stream *s,
                          struct pqs_col *k, int src_fd, struct pq_column_chunk *cc)
{
	struct pq_column_meta *m = &cc->meta;
	struct pqs_stats st = {0, {0}, {0}, BYTEBUF_INIT, BYTEBUF_INIT};
	struct pqw_stats ws;
	int64_t start = (int64_t)w->bytes, usize = 0, dict_usize = 0, open_usize = 0;
	int64_t nulls = k->nulls + (int64_t)(k->rows - k->nn);
	unsigned used = k->used, open_used = 0;
	int has_dict = k->dict_pages || (k->dict_on && k->nn > 0);
	size_t ne = 0;
	int rc;

	bytebuf_clear(&p->chunk);
	if (has_dict && (rc = pqs_dict_page(s, k, &p->chunk, &dict_usize)) < 0)
		goto out;
	if ((rc = store_write(w, p->chunk.p, p->chunk.len)) < 0)
		goto out;
	m->data_page_offset = (int64_t)w->bytes;
	if (has_dict) {
		m->has_dictionary_page_offset = 1;
		m->dictionary_page_offset = start;
	}
	/* The pages of the last write from its file, then those since. */
	k->next_off = w->bytes;
	if (k->disk_len && (rc = store_copy_range(w, src_fd, k->disk_off, k->disk_len)) < 0)
		goto out;
	if ((rc = store_write(w, k->pages.p, k->pages.len)) < 0)
		goto out;
	k->next_len = k->disk_len + k->pages.len;
	/* Statistics: finished pages, the dictionary's values, the open page. */
	st.has = k->st.has;
	st.min = k->st.min;
	st.max = k->st.max;
	if (k->st.has && k->type == VITALS_TYPE_STRING &&
	    (bytebuf_append(&st.smin, k->st.smin.p, k->st.smin.len) < 0 ||
	     bytebuf_append(&st.smax, k->st.smax.p, k->st.smax.len) < 0)) {
		rc = VITALS_E_NOMEM;
		goto out;
	}
	if (has_dict && (rc = pqs_stats_dict(&st, k, &s->tmp)) < 0)
		goto out;
	if (k->rows) {
		bytebuf_clear(&p->chunk);
		rc = pqs_encode_open(s, k, 0, &p->chunk, &open_usize, &open_used, &st);
		if (rc < 0 || (rc = store_write(w, p->chunk.p, p->chunk.len)) < 0)
			goto out;
		used |= open_used;
	}
	cc->file_offset = start;
	cc->has_meta = 1;
	m->type = physical_of(k->type);
	m->encodings = calloc(4, sizeof(int32_t));
	if (!m->encodings) {
		rc = VITALS_E_NOMEM;
		goto out;
	}
	/* In the order of their values, as other writers list them. */
	if (has_dict || (used & PQS_USED_PLAIN))
		m->encodings[ne++] = PQ_ENC_PLAIN;
	m->encodings[ne++] = PQ_ENC_RLE;
	if (used & PQS_USED_DELTA)
		m->encodings[ne++] = PQ_ENC_DELTA_BINARY_PACKED;
	if (used & PQS_USED_DICT)
		m->encodings[ne++] = PQ_ENC_RLE_DICTIONARY;
	m->encoding_count = (uint32_t)ne;
	m->path = calloc(1, sizeof(char *));
	if (!m->path) {
		rc = VITALS_E_NOMEM;
		goto out;
	}
	m->path_count = 1;
	m->path[0] = dup_str(k->f->name);
	if (!m->path[0]) {
		rc = VITALS_E_NOMEM;
		goto out;
	}
	m->codec = s->codec;
	m->num_values = k->pages_rows + (int64_t)k->rows;
	usize = dict_usize + k->pages_uncompressed + open_usize;
	m->total_uncompressed_size = usize;
	m->total_compressed_size = (int64_t)w->bytes - start;
	memset(&ws, 0, sizeof(ws));
	ws.nulls = nulls;
	ws.has = st.has;
	ws.min.i = st.min.i; /* the union's bytes, whatever its type */
	ws.max.i = st.max.i;
	ws.smin = st.smin.p;
	ws.smin_len = st.smin.len;
	ws.smax = st.smax.p;
	ws.smax_len = st.smax.len;
	m->has_statistics = 1;
	rc = stats_to_meta(&ws, k->type, &m->stats);
out:
	bytebuf_release(&st.smin);
	bytebuf_release(&st.smax);
	return rc;
}

int store_writer_put_stream(struct vitals_writer *w, struct pq_stream *s, int src_fd)
{
	struct pqw *p = w->impl;
	struct pq_row_group *rg;
	int rc;

	if (w->ops != &store_parquet_writer || !p || !vitals_schema_equal(&w->schema, &s->schema))
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "a stream needs a Parquet writer of its columns");
	if (p->status || w->failed)
		return p->status ? p->status : VITALS_E_IO;
	if (s->status)
		return store_writer_fail(w, s->status, "%s", s->err);
	if (p->pending->rows)
		return store_writer_fail(w, VITALS_E_INVAL, "rows are waiting before the stream");
	if (s->rows == 0)
		return 0;
	if (p->meta.row_group_count == p->rg_cap) {
		uint32_t cap = p->rg_cap ? p->rg_cap * 2 : 16;
		void *q = realloc(p->meta.row_groups, cap * sizeof(*rg));

		if (!q)
			return pqw_fail(w, VITALS_E_NOMEM, "writing a row group");
		p->meta.row_groups = q;
		p->rg_cap = cap;
	}
	rg = &p->meta.row_groups[p->meta.row_group_count];
	memset(rg, 0, sizeof(*rg));
	rg->columns = calloc(s->schema.count, sizeof(*rg->columns));
	if (!rg->columns)
		return pqw_fail(w, VITALS_E_NOMEM, "writing a row group");
	rg->column_count = (uint32_t)s->schema.count;
	p->meta.row_group_count++;
	rg->num_rows = s->rows;
	rg->has_file_offset = 1;
	rg->file_offset = (int64_t)w->bytes;
	for (size_t j = 0; j < s->schema.count; j++) {
		rc = pqs_put_column(w, p, s, &s->cols[j], src_fd, &rg->columns[j]);
		if (rc < 0)
			return pqw_fail(w, rc, "writing a row group");
		rg->total_byte_size += rg->columns[j].meta.total_uncompressed_size;
		rg->total_compressed_size += rg->columns[j].meta.total_compressed_size;
	}
	rg->has_total_compressed_size = 1;
	if (p->kept_count + p->meta.row_group_count - 1 <= PQW_ORDINAL_MAX) {
		rg->has_ordinal = 1;
		rg->ordinal = (int16_t)(p->kept_count + p->meta.row_group_count - 1);
	}
	p->rows += s->rows;
	w->wrote = 1;
	return 0;
}

/* ---- the ops -------------------------------------------------------------- */

static void pqw_free(struct vitals_writer *w)
{
	struct pqw *p = w->impl;

	if (!p)
		return;
	vitals_batch_free(p->pending);
	pq_meta_release(&p->meta);
	codec_state_release(&p->codec);
	bytebuf_release(&p->chunk);
	bytebuf_release(&p->page);
	bytebuf_release(&p->comp);
	bytebuf_release(&p->sample);
	bytebuf_release(&p->kept);
	enc_dict_release(&p->keys);
	enc_dict_release(&p->strs);
	free(p->idx);
	free(p->scratch);
	free(p);
	w->impl = NULL;
}

static int pqw_open(struct vitals_writer *w)
{
	const struct vitals_write_options *o = &w->opts;
	size_t dict_bytes = o->dictionary_bytes ? o->dictionary_bytes : PQW_DICT_DEFAULT;
	struct pqw *p;
	int rc;

	if (w->schema.count == 0)
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "a Parquet file needs at least one column");
	if (!codec_supported(o->codec))
		return store_writer_fail(w, VITALS_E_UNSUPPORTED,
		                         "codec %s is not supported by this build",
		                         vitals_codec_name(o->codec));
	p = calloc(1, sizeof(*p));
	if (!p)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
	w->impl = p;
	p->rg_rows = o->row_group_rows ? o->row_group_rows : PQW_ROW_GROUP_DEFAULT;
	if (p->rg_rows > VITALS_BATCH_ROWS_MAX)
		p->rg_rows = VITALS_BATCH_ROWS_MAX;
	p->page_bytes = o->page_bytes ? o->page_bytes : PQW_PAGE_DEFAULT;
	if (p->page_bytes > PQW_PAGE_MAX)
		p->page_bytes = PQW_PAGE_MAX;
	bytebuf_init(&p->chunk, 0);
	bytebuf_init(&p->page, 0);
	bytebuf_init(&p->comp, 0);
	bytebuf_init(&p->sample, 0);
	bytebuf_init(&p->kept, 0);
	enc_dict_init(&p->keys, 0, dict_bytes);
	enc_dict_init(&p->strs, 1, dict_bytes);
	p->meta.version = 1;
	rc = build_schema(w, p);
	if (rc < 0)
		goto out_free;
	rc = vitals_batch_new(&p->pending, &w->schema);
	if (rc < 0)
		goto out_free;
	rc = store_write(w, "PAR1", 4);
	if (rc < 0)
		goto out_free;
	return 0;
out_free:
	pqw_fail(w, rc, "opening the file");
	pqw_free(w);
	return rc;
}

static int pqw_write(struct vitals_writer *w, const struct vitals_batch *b)
{
	struct pqw *p = w->impl;
	size_t off = 0;
	int rc = 0;

	if (!p)
		return VITALS_E_INVAL;
	if (p->status || w->failed)
		return p->status ? p->status : VITALS_E_IO;
	while (off < b->rows) {
		size_t left = b->rows - off, take;

		if (p->pending->rows == 0 && left >= p->rg_rows) {
			/* A whole row group in the caller's batch: encode it in place. */
			rc = write_row_group(w, p, b, off, p->rg_rows);
			if (rc < 0)
				return pqw_fail(w, rc, "writing a row group");
			off += p->rg_rows;
			continue;
		}
		take = p->rg_rows - p->pending->rows;
		if (take > left)
			take = left;
		rc = vitals_batch_append(p->pending, b, off, take, NULL);
		if (rc < 0)
			return pqw_fail(w, rc, "buffering rows");
		off += take;
		if (p->pending->rows == p->rg_rows) {
			rc = write_row_group(w, p, p->pending, 0, p->pending->rows);
			if (rc < 0)
				return pqw_fail(w, rc, "writing a row group");
			vitals_batch_clear(p->pending);
		}
	}
	return 0;
}

/* The footer of the Parquet file on FD into M. */
static int read_base_footer(struct vitals_writer *w, int fd, uint32_t keep, struct pq_file_meta *m,
                            int64_t *rows, uint64_t *end)
{
	struct pqw *p = w->impl;
	uint8_t tail[8], *foot;
	char err[STORE_ERR_MAX];
	struct stat st;
	uint32_t flen;
	int rc;

	if (fstat(fd, &st) < 0)
		return store_writer_fail(w, VITALS_E_IO, "cannot stat the earlier file: %s",
		                         strerror(errno));
	if (st.st_size < 12 || pread(fd, tail, 8, st.st_size - 8) != 8 ||
	    memcmp(tail + 4, "PAR1", 4) != 0)
		return store_writer_fail(w, VITALS_E_PARSE, "the earlier file is not Parquet");
	memcpy(&flen, tail, 4);
	if ((uint64_t)flen > (uint64_t)st.st_size - 12 || flen > PQW_BASE_FOOTER_MAX)
		return store_writer_fail(w, VITALS_E_PARSE,
		                         "the earlier file's footer length %" PRIu32 " is wrong",
		                         flen);
	foot = malloc(flen ? flen : 1);
	if (!foot)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory for the earlier footer");
	rc = VITALS_OK;
	if (pread(fd, foot, flen, st.st_size - 8 - (off_t)flen) != (ssize_t)flen)
		rc = store_writer_fail(w, VITALS_E_IO, "cannot read the earlier footer");
	err[0] = '\0';
	if (rc == 0 && (rc = pq_meta_decode_keep(m, foot, flen, keep, &p->kept, rows, end, err,
	                                         sizeof(err))) < 0)
		store_writer_fail(w, rc, "the earlier file: %s", err);
	free(foot);
	return rc;
}

/* Whether the schema elements of A and B describe the same columns. */
static int same_schema(const struct pq_file_meta *a, const struct pq_file_meta *b)
{
	if (a->schema_count != b->schema_count)
		return 0;
	for (uint32_t i = 0; i < a->schema_count; i++) {
		const struct pq_schema_element *x = &a->schema[i], *y = &b->schema[i];

		if (strcmp(x->name ? x->name : "", y->name ? y->name : "") != 0 ||
		    x->has_type != y->has_type || (x->has_type && x->type != y->type) ||
		    x->num_children != y->num_children ||
		    (i > 0 && x->repetition != y->repetition) ||
		    x->logical.kind != y->logical.kind || x->logical.unit != y->logical.unit)
			return 0;
	}
	return 1;
}

/*
 * Take the first COUNT row groups of the Parquet file on FD: their bytes
 * are copied as they are (written by vitals, they follow each other right
 * after the magic), their metadata joins the footer to come.
 */
static int pqw_adopt(struct vitals_writer *w, int fd, uint32_t count, int in_place)
{
	struct pqw *p = w->impl;
	struct pq_file_meta base;
	int64_t rows = 0;
	uint64_t end = 4;
	int rc;

	if (!p)
		return VITALS_E_INVAL;
	memset(&base, 0, sizeof(base));
	rc = read_base_footer(w, fd, count, &base, &rows, &end);
	if (rc < 0)
		return rc;
	if (!same_schema(&base, &p->meta)) {
		rc = store_writer_fail(w, VITALS_E_INVAL, "the earlier file has other columns");
		goto out_release;
	}
	if (!in_place) {
		rc = store_copy_range(w, fd, 4, end - 4);
	} else if (w->bytes != 4 || lseek(w->fd, (off_t)end, SEEK_SET) < 0) {
		rc = store_writer_fail(w, VITALS_E_IO, "cannot go past the earlier row groups: %s",
		                       strerror(errno));
	} else {
		w->bytes = end;
	}
	if (rc < 0)
		goto out_release;
	/* Their metadata goes into the new footer as the bytes it was. */
	p->kept_count = count;
	p->rows += rows;
out_release:
	pq_meta_release(&base);
	return rc;
}

void store_kept_init(struct store_kept *k)
{
	bytebuf_init(&k->raw, 0);
	k->count = 0;
	k->rows = 0;
	k->end = 4;
}

void store_kept_release(struct store_kept *k)
{
	bytebuf_release(&k->raw);
	store_kept_init(k);
}

void store_kept_swap(struct store_kept *a, struct store_kept *b)
{
	struct store_kept t = *a;

	*a = *b;
	*b = t;
}

int store_writer_adopt_kept(struct vitals_writer *w, int fd, const struct store_kept *k,
                            int in_place)
{
	struct pqw *p = w->impl;
	int rc;

	if (w->ops != &store_parquet_writer || !p || w->failed)
		return VITALS_E_INVAL;
	if (w->wrote || w->bytes != 4)
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "earlier rows can only be taken before any other");
	if (!in_place) {
		rc = store_copy_range(w, fd, 4, k->end - 4);
	} else if (lseek(w->fd, (off_t)k->end, SEEK_SET) < 0) {
		rc = store_writer_fail(w, VITALS_E_IO, "cannot go past the earlier row groups: %s",
		                       strerror(errno));
	} else {
		w->bytes = k->end;
		rc = 0;
	}
	if (rc < 0)
		return rc;
	bytebuf_clear(&p->kept);
	if (bytebuf_append(&p->kept, k->raw.p, k->raw.len) < 0)
		return pqw_fail(w, VITALS_E_NOMEM, "taking the earlier row groups");
	p->kept_count = k->count;
	p->rows += k->rows;
	w->wrote = 1;
	return 0;
}

int store_writer_get_kept(struct vitals_writer *w, struct store_kept *k)
{
	struct pqw *p = w->impl;

	if (w->ops != &store_parquet_writer || !p)
		return VITALS_E_INVAL;
	bytebuf_clear(&k->raw);
	if (bytebuf_append(&k->raw, p->kept.p, p->kept.len) < 0)
		return VITALS_E_NOMEM;
	for (uint32_t i = 0; i < p->meta.row_group_count; i++)
		if (pq_row_group_encode(&p->meta.row_groups[i], &k->raw) < 0)
			return VITALS_E_NOMEM;
	k->count = p->kept_count + p->meta.row_group_count;
	k->rows = p->rows;
	k->end = w->bytes;
	return 0;
}

static int pqw_finish(struct vitals_writer *w)
{
	struct pqw *p = w->impl;
	const struct vitals_write_options *o = &w->opts;
	const char *ver = vitals_version();
	uint8_t tail[8];
	uint32_t len;
	int rc;

	if (!p)
		return VITALS_E_INVAL;
	if (p->status || w->failed)
		return p->status ? p->status : VITALS_E_IO;
	if (p->pending->rows) {
		rc = write_row_group(w, p, p->pending, 0, p->pending->rows);
		if (rc < 0)
			return pqw_fail(w, rc, "writing the last row group");
		vitals_batch_clear(p->pending);
	}
	p->meta.num_rows = p->rows;
	p->meta.created_by = malloc(strlen("vitals version ") + strlen(ver) + 1);
	if (!p->meta.created_by)
		return pqw_fail(w, VITALS_E_NOMEM, "writing the footer");
	strcpy(p->meta.created_by, "vitals version ");
	strcat(p->meta.created_by, ver);
	if (o->meta_count) {
		p->meta.kv = calloc(o->meta_count, sizeof(*p->meta.kv));
		if (!p->meta.kv)
			return pqw_fail(w, VITALS_E_NOMEM, "writing the footer");
		for (size_t i = 0; i < o->meta_count; i++) {
			p->meta.kv_count = (uint32_t)(i + 1);
			p->meta.kv[i].key = dup_str(o->meta[i].key ? o->meta[i].key : "");
			if (!p->meta.kv[i].key)
				return pqw_fail(w, VITALS_E_NOMEM, "writing the footer");
			if (o->meta[i].value) {
				p->meta.kv[i].value = dup_str(o->meta[i].value);
				if (!p->meta.kv[i].value)
					return pqw_fail(w, VITALS_E_NOMEM, "writing the footer");
			}
		}
	}
	p->meta.raw_row_groups = p->kept.p;
	p->meta.raw_row_groups_len = p->kept.len;
	p->meta.raw_row_group_count = p->kept_count;
	bytebuf_clear(&p->chunk);
	rc = pq_meta_encode(&p->meta, &p->chunk);
	if (rc < 0 || p->chunk.error || p->chunk.len > UINT32_MAX)
		return pqw_fail(w, rc < 0 ? rc : VITALS_E_NOMEM, "encoding the footer");
	len = (uint32_t)p->chunk.len;
	memcpy(tail, &len, 4);
	memcpy(tail + 4, "PAR1", 4);
	rc = bytebuf_append(&p->chunk, tail, 8);
	if (rc < 0)
		return pqw_fail(w, rc, "writing the footer");
	rc = store_write(w, p->chunk.p, p->chunk.len);
	if (rc < 0)
		return pqw_fail(w, rc, "writing the footer");
	return 0;
}

const struct store_writer_ops store_parquet_writer = {
    .open = pqw_open,
    .write = pqw_write,
    .finish = pqw_finish,
    .adopt = pqw_adopt,
    .free = pqw_free,
};
