/*
 * Column batches (include/vitals/table.h): schemas, growable typed columns
 * with validity, row-wise building and row copying.
 */
#include <stdlib.h>
#include <string.h>
#include <vitals/table.h>

#include "store/internal.h"

/* A batch and what row-wise building needs; callers see only the first member. */
struct batch_impl {
	struct vitals_batch pub;
	uint8_t *pending; /* per column: set for the row being built */
};

#define STRING_BYTES_MAX ((size_t)1 << 34) /* 16 GiB of text in one column */

static const char *const type_names[] = {
    [VITALS_TYPE_BOOL] = "bool",     [VITALS_TYPE_INT32] = "int32",
    [VITALS_TYPE_INT64] = "int64",   [VITALS_TYPE_DOUBLE] = "double",
    [VITALS_TYPE_STRING] = "string", [VITALS_TYPE_TIMESTAMP] = "timestamp",
};

#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))

const char *vitals_type_name(enum vitals_type t)
{
	if ((size_t)t >= NTYPES || !type_names[t])
		return "?";
	return type_names[t];
}

enum vitals_type vitals_type_parse(const char *name)
{
	for (size_t i = 1; i < NTYPES; i++)
		if (strcmp(type_names[i], name) == 0)
			return (enum vitals_type)i;
	return 0;
}

static int type_valid(enum vitals_type t)
{
	return t >= VITALS_TYPE_BOOL && t <= VITALS_TYPE_TIMESTAMP;
}

/* Bytes of one value in a column of type T (STRING: one offset). */
static size_t type_width(enum vitals_type t)
{
	switch (t) {
	case VITALS_TYPE_BOOL:
		return 1;
	case VITALS_TYPE_INT32:
		return 4;
	default:
		return 8;
	}
}

void vitals_schema_init(struct vitals_schema *s)
{
	s->count = 0;
	s->fields = NULL;
}

int vitals_schema_add(struct vitals_schema *s, const char *name, enum vitals_type type,
                      int nullable)
{
	struct vitals_field *f;
	size_t len;
	char *copy;

	if (!name || !type_valid(type) || s->count >= VITALS_COLUMNS_MAX)
		return VITALS_E_INVAL;
	len = strlen(name);
	if (len == 0 || len > VITALS_NAME_MAX || vitals_schema_find(s, name) >= 0)
		return VITALS_E_INVAL;
	f = realloc(s->fields, (s->count + 1) * sizeof(*f));
	if (!f)
		return VITALS_E_NOMEM;
	s->fields = f;
	copy = malloc(len + 1);
	if (!copy)
		return VITALS_E_NOMEM;
	memcpy(copy, name, len + 1);
	f[s->count].name = copy;
	f[s->count].type = type;
	f[s->count].nullable = nullable ? 1 : 0;
	s->count++;
	return VITALS_OK;
}

int vitals_schema_find(const struct vitals_schema *s, const char *name)
{
	for (size_t i = 0; i < s->count; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (int)i;
	return -1;
}

int vitals_schema_copy(struct vitals_schema *dst, const struct vitals_schema *src)
{
	struct vitals_schema tmp;
	int rc;

	vitals_schema_init(&tmp);
	for (size_t i = 0; i < src->count; i++) {
		rc = vitals_schema_add(&tmp, src->fields[i].name, src->fields[i].type,
		                       src->fields[i].nullable);
		if (rc < 0) {
			vitals_schema_release(&tmp);
			return rc;
		}
	}
	vitals_schema_release(dst);
	*dst = tmp;
	return VITALS_OK;
}

int vitals_schema_equal(const struct vitals_schema *a, const struct vitals_schema *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (a->fields[i].type != b->fields[i].type ||
		    a->fields[i].nullable != b->fields[i].nullable ||
		    strcmp(a->fields[i].name, b->fields[i].name) != 0)
			return 0;
	return 1;
}

void vitals_schema_release(struct vitals_schema *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->fields[i].name);
	free(s->fields);
	vitals_schema_init(s);
}

static int grow(void **p, size_t want, size_t width)
{
	void *q = realloc(*p, want * width);

	if (!q)
		return VITALS_E_NOMEM;
	*p = q;
	return VITALS_OK;
}

int vitals_column_reserve(struct vitals_column *c, size_t rows, size_t data_bytes)
{
	size_t want;
	int rc;

	if (rows > VITALS_BATCH_ROWS_MAX || data_bytes > STRING_BYTES_MAX)
		return VITALS_E_NOMEM;
	if (rows > c->cap) {
		/* By half again: a batch of a sample's rows is reused, and big. */
		want = c->cap ? c->cap : 64;
		while (want < rows)
			want += want / 2;
		if (want > VITALS_BATCH_ROWS_MAX)
			want = VITALS_BATCH_ROWS_MAX;
		/* Strings keep rows + 1 offsets. */
		rc = grow((void **)&c->v.b, c->type == VITALS_TYPE_STRING ? want + 1 : want,
		          type_width(c->type));
		if (rc < 0)
			return rc;
		if (c->nullable) {
			rc = grow((void **)&c->valid, want, 1);
			if (rc < 0)
				return rc;
		}
		c->cap = want;
	}
	if (c->type == VITALS_TYPE_STRING && data_bytes > c->data_cap) {
		want = c->data_cap ? c->data_cap : 256;
		while (want < data_bytes)
			want *= 2;
		if (want > STRING_BYTES_MAX)
			want = STRING_BYTES_MAX;
		rc = grow((void **)&c->data, want, 1);
		if (rc < 0)
			return rc;
		c->data_cap = want;
	}
	return VITALS_OK;
}

static void column_release(struct vitals_column *c)
{
	free(c->v.b);
	free(c->valid);
	free(c->data);
}

int vitals_batch_new(struct vitals_batch **out, const struct vitals_schema *schema)
{
	struct batch_impl *impl;
	struct vitals_batch *b;
	int rc = VITALS_E_NOMEM;

	*out = NULL;
	impl = calloc(1, sizeof(*impl));
	if (!impl)
		return VITALS_E_NOMEM;
	b = &impl->pub;
	vitals_schema_init(&b->schema);
	if (vitals_schema_copy(&b->schema, schema) < 0)
		goto out_free;
	b->cols = calloc(schema->count ? schema->count : 1, sizeof(*b->cols));
	impl->pending = calloc(schema->count ? schema->count : 1, 1);
	if (!b->cols || !impl->pending)
		goto out_free;
	for (size_t i = 0; i < schema->count; i++) {
		struct vitals_column *c = &b->cols[i];
		c->type = schema->fields[i].type;
		c->nullable = schema->fields[i].nullable;
		/* Every column starts with room for a row, so offsets[0] exists. */
		rc = vitals_column_reserve(c, 1, 0);
		if (rc < 0)
			goto out_free;
		if (c->type == VITALS_TYPE_STRING)
			c->v.off[0] = 0;
	}
	*out = b;
	return VITALS_OK;
out_free:
	vitals_batch_free(b);
	return rc < 0 ? rc : VITALS_E_NOMEM;
}

void vitals_batch_free(struct vitals_batch *b)
{
	struct batch_impl *impl = (struct batch_impl *)b;

	if (!b)
		return;
	if (b->cols)
		for (size_t i = 0; i < b->schema.count; i++)
			column_release(&b->cols[i]);
	free(b->cols);
	free(impl->pending);
	vitals_schema_release(&b->schema);
	free(impl);
}

void vitals_batch_clear(struct vitals_batch *b)
{
	struct batch_impl *impl = (struct batch_impl *)b;

	b->rows = 0;
	for (size_t i = 0; i < b->schema.count; i++) {
		b->cols[i].data_len = 0;
		if (b->cols[i].type == VITALS_TYPE_STRING)
			b->cols[i].v.off[0] = 0;
		impl->pending[i] = 0;
	}
}

int vitals_batch_reserve(struct vitals_batch *b, size_t rows, size_t string_bytes)
{
	for (size_t i = 0; i < b->schema.count; i++) {
		struct vitals_column *c = &b->cols[i];
		size_t data = c->data_len + string_bytes;
		int rc;

		if (data < c->data_len)
			return VITALS_E_NOMEM;
		rc = vitals_column_reserve(c, rows, c->type == VITALS_TYPE_STRING ? data : 0);
		if (rc < 0)
			return rc;
	}
	return VITALS_OK;
}

/* Column COL of the row being built, with room for it; NULL when COL or TYPE is wrong. */
static struct vitals_column *row_column(struct vitals_batch *b, size_t col, int type_ok)
{
	struct vitals_column *c;

	if (col >= b->schema.count || !type_ok)
		return NULL;
	c = &b->cols[col];
	if (c->cap < b->rows + 1 && vitals_column_reserve(c, b->rows + 1, 0) < 0)
		return NULL;
	return c;
}

static void mark(struct vitals_batch *b, struct vitals_column *c, size_t col, int valid)
{
	struct batch_impl *impl = (struct batch_impl *)b;

	impl->pending[col] = 1;
	if (c->valid)
		c->valid[b->rows] = (uint8_t)valid;
}

#define COLUMN_TYPE(b, col, cond) ((col) < (b)->schema.count && (cond))

int vitals_batch_set_null(struct vitals_batch *b, size_t col)
{
	struct vitals_column *c = row_column(b, col, COLUMN_TYPE(b, col, b->cols[col].nullable));

	if (!c)
		return VITALS_E_INVAL;
	if (c->type == VITALS_TYPE_STRING)
		c->data_len = c->v.off[b->rows];
	else
		memset(c->v.b + b->rows * type_width(c->type), 0, type_width(c->type));
	mark(b, c, col, 0);
	return VITALS_OK;
}

int vitals_batch_set_bool(struct vitals_batch *b, size_t col, int v)
{
	struct vitals_column *c =
	    row_column(b, col, COLUMN_TYPE(b, col, b->cols[col].type == VITALS_TYPE_BOOL));

	if (!c)
		return VITALS_E_INVAL;
	c->v.b[b->rows] = v ? 1 : 0;
	mark(b, c, col, 1);
	return VITALS_OK;
}

int vitals_batch_set_i32(struct vitals_batch *b, size_t col, int32_t v)
{
	struct vitals_column *c =
	    row_column(b, col, COLUMN_TYPE(b, col, b->cols[col].type == VITALS_TYPE_INT32));

	if (!c)
		return VITALS_E_INVAL;
	c->v.i32[b->rows] = v;
	mark(b, c, col, 1);
	return VITALS_OK;
}

int vitals_batch_set_i64(struct vitals_batch *b, size_t col, int64_t v)
{
	struct vitals_column *c =
	    row_column(b, col,
	               COLUMN_TYPE(b, col,
	                           b->cols[col].type == VITALS_TYPE_INT64 ||
	                               b->cols[col].type == VITALS_TYPE_TIMESTAMP));

	if (!c)
		return VITALS_E_INVAL;
	c->v.i64[b->rows] = v;
	mark(b, c, col, 1);
	return VITALS_OK;
}

int vitals_batch_set_double(struct vitals_batch *b, size_t col, double v)
{
	struct vitals_column *c =
	    row_column(b, col, COLUMN_TYPE(b, col, b->cols[col].type == VITALS_TYPE_DOUBLE));

	if (!c)
		return VITALS_E_INVAL;
	c->v.f64[b->rows] = v;
	mark(b, c, col, 1);
	return VITALS_OK;
}

int vitals_batch_set_string(struct vitals_batch *b, size_t col, const char *s, size_t len)
{
	struct vitals_column *c =
	    row_column(b, col, COLUMN_TYPE(b, col, b->cols[col].type == VITALS_TYPE_STRING));
	size_t start;

	if (!c || (!s && len))
		return VITALS_E_INVAL;
	start = c->v.off[b->rows];
	if (len > STRING_BYTES_MAX - start)
		return VITALS_E_NOMEM;
	if (vitals_column_reserve(c, b->rows + 1, start + len) < 0)
		return VITALS_E_NOMEM;
	if (len)
		memcpy(c->data + start, s, len);
	c->data_len = start + len;
	mark(b, c, col, 1);
	return VITALS_OK;
}

int vitals_batch_end_row(struct vitals_batch *b)
{
	struct batch_impl *impl = (struct batch_impl *)b;
	size_t r = b->rows;

	if (r >= VITALS_BATCH_ROWS_MAX)
		return VITALS_E_NOMEM;
	/* Room first, so that a failure leaves the row as it was. */
	for (size_t i = 0; i < b->schema.count; i++) {
		struct vitals_column *c = &b->cols[i];
		if (c->cap < r + 1 && vitals_column_reserve(c, r + 1, 0) < 0)
			return VITALS_E_NOMEM;
	}
	for (size_t i = 0; i < b->schema.count; i++) {
		struct vitals_column *c = &b->cols[i];

		if (impl->pending[i]) {
			impl->pending[i] = 0;
		} else {
			/* Not set: null, with a zero value underneath. */
			switch (c->type) {
			case VITALS_TYPE_STRING:
				c->data_len = c->v.off[r];
				break;
			case VITALS_TYPE_BOOL:
				c->v.b[r] = 0;
				break;
			case VITALS_TYPE_INT32:
				c->v.i32[r] = 0;
				break;
			default:
				c->v.i64[r] = 0;
				break;
			}
			if (c->valid)
				c->valid[r] = 0;
		}
		if (c->type == VITALS_TYPE_STRING)
			c->v.off[r + 1] = c->data_len;
	}
	b->rows = r + 1;
	return VITALS_OK;
}

int batch_add_null_rows(struct vitals_batch *b, size_t n)
{
	size_t r = b->rows;

	if (n > VITALS_BATCH_ROWS_MAX - r)
		return VITALS_E_NOMEM;
	/* Room first, so that a failure leaves B as it was. */
	for (size_t i = 0; i < b->schema.count; i++)
		if (vitals_column_reserve(&b->cols[i], r + n, 0) < 0)
			return VITALS_E_NOMEM;
	for (size_t i = 0; i < b->schema.count; i++) {
		struct vitals_column *c = &b->cols[i];

		if (c->type == VITALS_TYPE_STRING)
			for (size_t j = 1; j <= n; j++)
				c->v.off[r + j] = c->data_len;
		else
			memset(c->v.b + r * type_width(c->type), 0, n * type_width(c->type));
		if (c->valid)
			memset(c->valid + r, 0, n);
	}
	b->rows = r + n;
	return VITALS_OK;
}

void batch_truncate(struct vitals_batch *b, size_t rows)
{
	if (rows >= b->rows)
		return;
	for (size_t i = 0; i < b->schema.count; i++)
		if (b->cols[i].type == VITALS_TYPE_STRING)
			b->cols[i].data_len = b->cols[i].v.off[rows];
	b->rows = rows;
}

int batch_column_append(struct vitals_column *dst, size_t dst_rows, const struct vitals_column *src,
                        size_t first, size_t count, const uint8_t *select)
{
	size_t n = count, w = type_width(src->type), out = dst_rows;
	int rc;

	if (dst->type != src->type || (!dst->nullable && src->nullable))
		return VITALS_E_INVAL;
	if (select) {
		n = 0;
		for (size_t i = 0; i < count; i++)
			n += select[first + i] != 0;
	}
	if (dst_rows + n > VITALS_BATCH_ROWS_MAX)
		return VITALS_E_NOMEM;
	if (src->type == VITALS_TYPE_STRING) {
		size_t bytes = 0;
		if (!select) {
			bytes = src->v.off[first + count] - src->v.off[first];
		} else {
			for (size_t i = 0; i < count; i++)
				if (select[first + i])
					bytes += src->v.off[first + i + 1] - src->v.off[first + i];
		}
		rc = vitals_column_reserve(dst, dst_rows + n + 1, dst->data_len + bytes);
	} else {
		rc = vitals_column_reserve(dst, dst_rows + n, 0);
	}
	if (rc < 0)
		return rc;
	if (!select && src->type != VITALS_TYPE_STRING) {
		memcpy(dst->v.b + dst_rows * w, src->v.b + first * w, count * w);
		if (dst->valid) {
			if (src->valid)
				memcpy(dst->valid + dst_rows, src->valid + first, count);
			else
				memset(dst->valid + dst_rows, 1, count);
		}
		return VITALS_OK;
	}
	for (size_t i = first; i < first + count; i++) {
		if (select && !select[i])
			continue;
		if (dst->valid)
			dst->valid[out] = src->valid ? src->valid[i] : 1;
		if (src->type == VITALS_TYPE_STRING) {
			size_t len = src->v.off[i + 1] - src->v.off[i];
			if (len)
				memcpy(dst->data + dst->data_len, src->data + src->v.off[i], len);
			dst->data_len += len;
			dst->v.off[out + 1] = dst->data_len;
		} else {
			memcpy(dst->v.b + out * w, src->v.b + i * w, w);
		}
		out++;
	}
	return VITALS_OK;
}

int vitals_batch_append(struct vitals_batch *dst, const struct vitals_batch *src, size_t first,
                        size_t count, const uint8_t *select)
{
	size_t n = count;
	int rc;

	if (dst->schema.count != src->schema.count || first > src->rows ||
	    count > src->rows - first)
		return VITALS_E_INVAL;
	for (size_t i = 0; i < src->schema.count; i++)
		if (dst->cols[i].type != src->cols[i].type ||
		    (!dst->cols[i].nullable && src->cols[i].nullable))
			return VITALS_E_INVAL;
	if (select) {
		n = 0;
		for (size_t i = 0; i < count; i++)
			n += select[first + i] != 0;
	}
	if (dst->rows + n > VITALS_BATCH_ROWS_MAX)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < src->schema.count; i++) {
		rc = batch_column_append(&dst->cols[i], dst->rows, &src->cols[i], first, count,
		                         select);
		if (rc < 0) {
			/* Leave DST as it was: string lengths of earlier columns roll back. */
			for (size_t j = 0; j < i; j++)
				if (dst->cols[j].type == VITALS_TYPE_STRING)
					dst->cols[j].data_len = dst->cols[j].v.off[dst->rows];
			return rc;
		}
	}
	dst->rows += n;
	return VITALS_OK;
}
