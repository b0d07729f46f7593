/*
 * The trace table: one wide schema for every kind, and the rows of a
 * sample or an event in it (include/vitals/record.h).
 */
#include <stdlib.h>
#include <string.h>
#include <vitals/record.h>

#include "collect/internal.h"
#include "store/internal.h"

/* Columns every row has, then the columns only the trace has. */
enum { COL_TIME = 0, COL_KIND, COL_ID, COL_NAME, COL_FIRST_FREE };

struct vitals_trace {
	struct vitals_schema schema;
	/* Column of attribute A and metric M of each kind; -1 when none. */
	int attr_col[VITALS_KIND_COUNT][8];
	int *metric_col[VITALS_KIND_COUNT];
	size_t metric_count[VITALS_KIND_COUNT];
	int fields_col, value_col, sample_cpu_col, sample_seconds_col;
};

/* The column NAME of TYPE, added when new. -1 on failure. */
static int column_for(struct vitals_schema *s, const char *name, enum vitals_type type)
{
	int i = vitals_schema_find(s, name);

	if (i >= 0) {
		/* The same name with another type in another kind: keep the exact one apart. */
		if (s->fields[i].type != type)
			return -1;
		return i;
	}
	if (vitals_schema_add(s, name, type, 1) < 0)
		return -1;
	return (int)s->count - 1;
}

int vitals_trace_new(struct vitals_trace **out)
{
	struct vitals_trace *t;
	int rc = VITALS_E_NOMEM;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return VITALS_E_NOMEM;
	vitals_schema_init(&t->schema);
	if (vitals_schema_add(&t->schema, "time", VITALS_TYPE_TIMESTAMP, 0) < 0 ||
	    vitals_schema_add(&t->schema, "kind", VITALS_TYPE_STRING, 0) < 0 ||
	    vitals_schema_add(&t->schema, "id", VITALS_TYPE_STRING, 0) < 0 ||
	    vitals_schema_add(&t->schema, "name", VITALS_TYPE_STRING, 0) < 0)
		goto out_free;
	/* Text attributes first, then the numbers, each in kind order. */
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		size_t n;
		const char *const *attrs = vitals_attr_list((enum vitals_kind)k, &n);

		for (size_t a = 0; a < 8; a++)
			t->attr_col[k][a] = -1;
		for (size_t a = 0; a < n && a < 8; a++) {
			t->attr_col[k][a] = column_for(&t->schema, attrs[a], VITALS_TYPE_STRING);
			if (t->attr_col[k][a] < 0)
				goto out_free;
		}
	}
	t->fields_col = column_for(&t->schema, "fields", VITALS_TYPE_STRING);
	if (t->fields_col < 0)
		goto out_free;
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		size_t n;
		const struct vitals_metric *m = vitals_metric_list((enum vitals_kind)k, &n);

		if (!n)
			continue;
		t->metric_col[k] = malloc(n * sizeof(int));
		if (!t->metric_col[k])
			goto out_free;
		t->metric_count[k] = n;
		for (size_t i = 0; i < n; i++) {
			enum vitals_type type =
			    m[i].type == VITALS_METRIC_INT ? VITALS_TYPE_INT64 : VITALS_TYPE_DOUBLE;

			t->metric_col[k][i] = column_for(&t->schema, m[i].name, type);
			if (t->metric_col[k][i] < 0) {
				rc = VITALS_E_INVAL; /* two kinds disagree on a column's type */
				goto out_free;
			}
		}
	}
	/* Columns of the trace alone: gauges, the recorder's cost, the logger's heap. */
	t->value_col = column_for(&t->schema, "value", VITALS_TYPE_DOUBLE);
	t->sample_cpu_col = column_for(&t->schema, "sample_cpu_seconds", VITALS_TYPE_DOUBLE);
	t->sample_seconds_col = column_for(&t->schema, "sample_seconds", VITALS_TYPE_DOUBLE);
	if (t->value_col < 0 || t->sample_cpu_col < 0 || t->sample_seconds_col < 0 ||
	    column_for(&t->schema, "heap_in_use_bytes", VITALS_TYPE_INT64) < 0 ||
	    column_for(&t->schema, "heap_free_bytes", VITALS_TYPE_INT64) < 0 ||
	    column_for(&t->schema, "heap_mmapped_bytes", VITALS_TYPE_INT64) < 0)
		goto out_free;
	*out = t;
	return VITALS_OK;
out_free:
	vitals_trace_free(t);
	return rc;
}

void vitals_trace_free(struct vitals_trace *t)
{
	if (!t)
		return;
	for (int k = 0; k < VITALS_KIND_COUNT; k++)
		free(t->metric_col[k]);
	vitals_schema_release(&t->schema);
	free(t);
}

const struct vitals_schema *vitals_trace_schema(const struct vitals_trace *t)
{
	return &t->schema;
}

static int set_text(struct vitals_batch *b, int col, const char *s)
{
	return vitals_batch_set_string(b, (size_t)col, s, strlen(s));
}

/* The columns every row has. */
static int add_head(struct vitals_batch *b, int64_t time_us, const char *kind, const char *id,
                    const char *name)
{
	if (vitals_batch_set_i64(b, COL_TIME, time_us) < 0 || set_text(b, COL_KIND, kind) < 0 ||
	    set_text(b, COL_ID, id) < 0 || set_text(b, COL_NAME, name) < 0)
		return VITALS_E_NOMEM;
	return VITALS_OK;
}

/* Text S as cell R of string column C, whose rows before R are set and after R are not. */
static int put_text(struct vitals_column *c, size_t r, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len && c->data_len + len > c->data_cap &&
	    vitals_column_reserve(c, r + 1, c->data_len + len) < 0)
		return VITALS_E_NOMEM;
	if (len)
		memcpy(c->data + c->data_len, s, len);
	c->data_len += len;
	c->v.off[r + 1] = c->data_len;
	if (c->valid)
		c->valid[r] = s != NULL;
	return VITALS_OK;
}

/*
 * Row R of B, null until now, for entity E of kind K: cells are set in
 * place, the rows of one kind in a block (a sample is a thousand rows of a
 * hundred and fifty columns, most of them null).
 */
static int fill_entity(const struct vitals_trace *t, struct vitals_batch *b, size_t r,
                       int64_t time_us, enum vitals_kind k, const char *kind,
                       const struct vitals_entity *e, const struct vitals_sample_cost *cost)
{
	size_t nattrs;
	uint64_t has = e->valid;
	int rc;

	vitals_attr_list(k, &nattrs);
	b->cols[COL_TIME].v.i64[r] = time_us;
	if (b->cols[COL_TIME].valid)
		b->cols[COL_TIME].valid[r] = 1;
	rc = put_text(&b->cols[COL_KIND], r, kind);
	if (rc == 0)
		rc = put_text(&b->cols[COL_ID], r, vitals_entity_id(e));
	if (rc == 0)
		rc = put_text(&b->cols[COL_NAME], r, vitals_entity_name(e));
	for (size_t a = 0; rc == 0 && a < nattrs && a < 8; a++)
		rc = put_text(&b->cols[t->attr_col[k][a]], r, e->attr[a]);
	for (size_t i = 0; rc == 0 && i < t->metric_count[k] && i < 64; i++) {
		struct vitals_column *c;

		if (!(has >> i & 1))
			continue;
		c = &b->cols[t->metric_col[k][i]];
		if (c->type == VITALS_TYPE_INT64)
			c->v.i64[r] = (int64_t)e->v[i];
		else
			c->v.f64[r] = e->v[i];
		c->valid[r] = 1;
	}
	if (rc == 0 && cost && k == VITALS_KIND_SYSTEM) {
		struct vitals_column *cpu = &b->cols[t->sample_cpu_col];
		struct vitals_column *sec = &b->cols[t->sample_seconds_col];

		if (cost->cpu_seconds >= 0) {
			cpu->v.f64[r] = cost->cpu_seconds;
			cpu->valid[r] = 1;
		}
		if (cost->seconds >= 0) {
			sec->v.f64[r] = cost->seconds;
			sec->valid[r] = 1;
		}
	}
	return rc;
}

int vitals_trace_add_sample(const struct vitals_trace *t, struct vitals_batch *b,
                            const struct vitals_collector *c, int processes,
                            const struct vitals_sample_cost *cost)
{
	int64_t now = vitals_collector_time(c);
	size_t first = b->rows;
	int rc = VITALS_OK;

	if (!vitals_schema_equal(&b->schema, &t->schema))
		return VITALS_E_INVAL;
	for (int k = 0; k < VITALS_KIND_COUNT && rc == 0; k++) {
		size_t n = vitals_collector_count(c, (enum vitals_kind)k), m = 0, r;
		const char *kind = vitals_kind_name((enum vitals_kind)k);

		if (k == VITALS_KIND_PROCESS && !processes)
			continue;
		for (size_t i = 0; i < n; i++) {
			const struct vitals_entity *e =
			    vitals_collector_entity(c, (enum vitals_kind)k, i);

			m += e && vitals_entity_in_scope(e);
		}
		if (m == 0)
			continue;
		/* The kind's rows, null, then their cells. */
		r = b->rows;
		rc = batch_add_null_rows(b, m);
		for (size_t i = 0; i < n && rc == 0; i++) {
			const struct vitals_entity *e =
			    vitals_collector_entity(c, (enum vitals_kind)k, i);

			if (e && vitals_entity_in_scope(e))
				rc =
				    fill_entity(t, b, r++, now, (enum vitals_kind)k, kind, e, cost);
		}
	}
	/* A failure leaves B as it was. */
	if (rc < 0)
		batch_truncate(b, first);
	return rc < 0 ? rc : VITALS_OK;
}

int vitals_trace_add_event(const struct vitals_trace *t, struct vitals_batch *b, int64_t time_us,
                           const char *source, const char *text, const char *fields)
{
	int rc;

	if (!vitals_schema_equal(&b->schema, &t->schema) || !text)
		return VITALS_E_INVAL;
	rc = add_head(b, time_us, "event", source ? source : "", text);
	if (rc == 0 && fields)
		rc = set_text(b, t->fields_col, fields);
	if (rc == 0)
		rc = vitals_batch_end_row(b);
	return rc < 0 ? rc : VITALS_OK;
}

int vitals_trace_add_gauge(const struct vitals_trace *t, struct vitals_batch *b, int64_t time_us,
                           const char *path, double value)
{
	const char *last;
	int rc;

	if (!vitals_schema_equal(&b->schema, &t->schema) || !path || !*path)
		return VITALS_E_INVAL;
	last = strrchr(path, '/');
	last = last && last[1] ? last + 1 : path;
	rc = add_head(b, time_us, "gauge", path, last);
	if (rc == 0)
		rc = vitals_batch_set_double(b, (size_t)t->value_col, value);
	if (rc == 0)
		rc = vitals_batch_end_row(b);
	return rc < 0 ? rc : VITALS_OK;
}

int vitals_trace_column(const struct vitals_trace *t, const char *name)
{
	return vitals_schema_find(&t->schema, name);
}
