/*
 * Series: a trace as time series per entity (series.h). Traces go through
 * the store's readers with a projection; process logs are read line by
 * line with a small JSON tokenizer of their own.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <vitals/common.h>
#include <vitals/record.h>
#include <vitals/store.h>

#include "analyze/series.h"

#define SERIES_MAX_POINTS_DEFAULT ((size_t)64 << 20)
#define SERIES_KINDS_MAX          64                /* distinct kinds in one trace */
#define SERIES_ENTITIES_MAX       ((size_t)1 << 24) /* entities in one trace */
#define SERIES_SEGMENTS_MAX       100000
#define LOG_LINE_MAX              ((size_t)16 << 20) /* bytes in one log line */
#define LOG_TOKENS_MAX            65536              /* JSON tokens in one record */
#define LOG_DEPTH_MAX             32
#define SERIES_ACC_INLINE         8
/* Times kept: years 1970 +- 7900, so that any two differ by far less than INT64_MAX. */
#define SERIES_TIME_LIMIT INT64_C(250000000000000000)

/* ---- strings ------------------------------------------------------------ */

struct series_arena {
	struct series_arena *next;
	size_t used, size;
	char data[];
};

/* A NUL-terminated copy of [S, S+N) that lives as long as the set. */
static const char *arena_dup(struct series_arena **a, const char *s, size_t n)
{
	struct series_arena *b = *a;
	char *p;

	if (!b || b->size - b->used < n + 1) {
		size_t size = n + 1 > 65536 ? n + 1 : 65536;

		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		b->next = *a;
		*a = b;
	}
	p = b->data + b->used;
	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

static void arena_free(struct series_arena *a)
{
	while (a) {
		struct series_arena *next = a->next;
		free(a);
		a = next;
	}
}

/* ---- the loader's state ------------------------------------------------- */

/* An entity being filled, with the accumulators of its current step. */
struct ent {
	struct series s;
	uint64_t hash;
	uint32_t kind;   /* index into ld->kinds */
	size_t id_len;   /* bytes of s.id */
	size_t name_len; /* bytes of s.name */
	size_t succ;     /* index + 1 of the entity on the row after this one, last time */
	int64_t step;    /* step of the last point, when averaging */
	uint32_t tcount; /* rows averaged into the last point */
	int64_t tsum;    /* their times, relative to the first */
	int64_t tfirst;  /* the first of them */
	/*
	 * The last point's sums and counts of valid values per column, kept
	 * here (inline for the first SERIES_ACC_INLINE columns) until the
	 * point is complete, so a row touches one small struct, not the arrays.
	 */
	double acc_in[SERIES_ACC_INLINE];
	uint32_t cnt_in[SERIES_ACC_INLINE];
	double *acc_out;
	uint32_t *cnt_out;
	int unsorted; /* a point came before the one before it */
};

struct loader {
	const struct series_options *o;
	struct series_set *set;
	const char *path; /* the file being read, for messages */
	char *err;
	size_t errlen;
	size_t ncols;
	/* Kinds seen, interned, and whether each is selected. */
	const char *kinds[SERIES_KINDS_MAX];
	size_t kind_len[SERIES_KINDS_MAX];
	uint8_t kind_sel[SERIES_KINDS_MAX];
	size_t nkinds;
	int proc_kind; /* the index of "process", -1 before it is seen */
	size_t prev;   /* index + 1 of the entity of the last row, 0 none */
	/* Entities, and an open-addressing table of index + 1. */
	struct ent *ents;
	size_t nents, ents_cap;
	uint32_t *slots;
	size_t nslots;
	size_t points;
	size_t max_points;
	size_t events_cap;
	/* Log runs: per pid, the last elapsed time and the run's start. */
	struct log_run *runs;
	size_t nruns, runs_cap;
};

static int fail(struct loader *ld, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct loader *ld, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (ld->errlen) {
		n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
		if (n < 0 || (size_t)n >= ld->errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *series_source_name(enum series_source s)
{
	switch (s) {
	case SERIES_SOURCE_TRACE:
		return "trace";
	case SERIES_SOURCE_SEGMENTS:
		return "segments";
	case SERIES_SOURCE_LOG:
		return "log";
	}
	return "?";
}

void series_options_init(struct series_options *o)
{
	memset(o, 0, sizeof(*o));
	o->from = INT64_MIN;
	o->to = INT64_MAX;
}

/* The index of kind [S, S+N), interned on first sight; -1 past the cap. */
static int kind_index(struct loader *ld, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ld->nkinds; i++)
		if (ld->kind_len[i] == n && memcmp(ld->kinds[i], s, n) == 0)
			return (int)i;
	if (ld->nkinds == SERIES_KINDS_MAX)
		return -1;
	ld->kinds[i] = arena_dup(&ld->set->arena, s, n);
	if (!ld->kinds[i])
		return -1;
	ld->kind_len[i] = n;
	if (n == 7 && memcmp(s, "process", 7) == 0)
		ld->proc_kind = (int)i;
	if (ld->o->kinds) {
		ld->kind_sel[i] = 0;
		for (size_t k = 0; k < ld->o->kind_count; k++)
			if (strlen(ld->o->kinds[k]) == n && memcmp(ld->o->kinds[k], s, n) == 0)
				ld->kind_sel[i] = 1;
	} else {
		ld->kind_sel[i] = !(n == 5 && memcmp(s, "event", 5) == 0);
	}
	ld->nkinds++;
	return (int)i;
}

/* Whether [A, A+N) and [B, B+N) hold the same bytes (ids and names are short). */
static inline int same_bytes(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static uint64_t ent_hash(uint32_t kind, const char *id, size_t n, int64_t start)
{
	uint64_t h = 1469598103934665603ULL ^ kind;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)id[i];
		h *= 1099511628211ULL;
	}
	h ^= (uint64_t)start;
	h *= 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

static int slots_grow(struct loader *ld)
{
	size_t n = ld->nslots ? ld->nslots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < ld->nents; i++) {
		size_t j = ld->ents[i].hash & (n - 1);
		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(ld->slots);
	ld->slots = s;
	ld->nslots = n;
	return VITALS_OK;
}

/*
 * The entity (KIND, ID, START) for a row, created on first sight. NAME
 * updates its name when it changed. NULL with *rc set on failure.
 */
/* Give E the name [NAME, NAME+NAMEN) when it changed (and is not empty). */
static int ent_rename(struct loader *ld, struct ent *e, const char *name, size_t namen)
{
	const char *n;

	if (!namen || (e->name_len == namen && same_bytes(e->s.name, name, namen)))
		return VITALS_OK;
	n = arena_dup(&ld->set->arena, name, namen);
	if (!n)
		return VITALS_E_NOMEM;
	e->s.name = n;
	e->name_len = namen;
	return VITALS_OK;
}

/*
 * The entity (KIND, ID, START) for a row, created on first sight (named
 * NAME). An entity found is renamed to NAME when RENAME is set (else the
 * caller does it when it wants).
 */
static struct ent *ent_get(struct loader *ld, uint32_t kind, const char *id, size_t idn,
                           const char *name, size_t namen, int rename, int64_t pid, int64_t start,
                           int *rc)
{
	uint64_t h;
	struct ent *e;
	size_t j;

	/* Samples list their entities in the same order: try the one that came next last time. */
	if (ld->prev && ld->ents[ld->prev - 1].succ) {
		e = &ld->ents[ld->ents[ld->prev - 1].succ - 1];
		if (e->kind == kind && e->s.start_time == start && e->id_len == idn &&
		    same_bytes(e->s.id, id, idn))
			goto found;
	}
	h = ent_hash(kind, id, idn, start);
	if (ld->nslots) {
		for (j = h & (ld->nslots - 1); ld->slots[j]; j = (j + 1) & (ld->nslots - 1)) {
			e = &ld->ents[ld->slots[j] - 1];
			if (e->hash == h && e->kind == kind && e->s.start_time == start &&
			    e->id_len == idn && memcmp(e->s.id, id, idn) == 0)
				goto found;
		}
	}
	if (ld->nents == SERIES_ENTITIES_MAX) {
		*rc = fail(ld, VITALS_E_NOMEM, "more than %zu entities", ld->nents);
		return NULL;
	}
	if ((ld->nents + 1) * 2 > ld->nslots && slots_grow(ld) < 0)
		goto out_nomem;
	if (ld->nents == ld->ents_cap) {
		size_t cap = ld->ents_cap ? ld->ents_cap * 2 : 256;
		struct ent *n = realloc(ld->ents, cap * sizeof(*n));

		if (!n)
			goto out_nomem;
		ld->ents = n;
		ld->ents_cap = cap;
	}
	e = &ld->ents[ld->nents];
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->kind = kind;
	e->id_len = idn;
	e->name_len = namen;
	e->step = INT64_MIN;
	e->s.kind = ld->kinds[kind];
	e->s.id = arena_dup(&ld->set->arena, id, idn);
	e->s.name = arena_dup(&ld->set->arena, name, namen);
	e->s.pid = pid;
	e->s.ppid = -1;
	e->s.start_time = start;
	if (pid < 0 && (int)kind == ld->proc_kind) {
		/* A process's pid is its id. */
		char buf[24], *end;
		size_t n = idn < sizeof(buf) - 1 ? idn : sizeof(buf) - 1;
		memcpy(buf, id, n);
		buf[n] = '\0';
		pid = strtoll(buf, &end, 10);
		e->s.pid = end != buf && !*end ? pid : -1;
	}
	e->s.v = calloc(ld->ncols ? ld->ncols : 1, sizeof(*e->s.v));
	e->s.valid = calloc(ld->ncols ? ld->ncols : 1, sizeof(*e->s.valid));
	if (ld->ncols > SERIES_ACC_INLINE) {
		e->acc_out = calloc(ld->ncols, sizeof(*e->acc_out));
		e->cnt_out = calloc(ld->ncols, sizeof(*e->cnt_out));
	}
	if (!e->s.id || !e->s.name || !e->s.v || !e->s.valid ||
	    (ld->ncols > SERIES_ACC_INLINE && (!e->acc_out || !e->cnt_out))) {
		free(e->s.v);
		free(e->s.valid);
		free(e->acc_out);
		free(e->cnt_out);
		goto out_nomem;
	}
	for (j = h & (ld->nslots - 1); ld->slots[j]; j = (j + 1) & (ld->nslots - 1))
		;
	ld->slots[j] = (uint32_t)ld->nents + 1;
	ld->nents++;
	goto out_link;
found:
	if (rename && ent_rename(ld, e, name, namen) < 0)
		goto out_nomem;
out_link:
	/* ld->ents may move: entities are linked by index. */
	if (ld->prev)
		ld->ents[ld->prev - 1].succ = (size_t)(e - ld->ents) + 1;
	ld->prev = (size_t)(e - ld->ents) + 1;
	return e;
out_nomem:
	*rc = fail(ld, VITALS_E_NOMEM, "out of memory");
	return NULL;
}

static void ent_release(struct ent *e, size_t ncols)
{
	free(e->s.t);
	for (size_t c = 0; c < ncols && e->s.v; c++) {
		free(e->s.v[c]);
		free(e->s.valid[c]);
	}
	free(e->s.v);
	free(e->s.valid);
	free(e->acc_out);
	free(e->cnt_out);
}

static int ent_room(struct loader *ld, struct ent *e)
{
	size_t cap;

	if (e->s.n < e->s.cap)
		return VITALS_OK;
	if (ld->points >= ld->max_points)
		return fail(ld, VITALS_E_NOMEM,
		            "more than %zu points in the asked columns; narrow the time range or "
		            "the kinds, or average over a longer step",
		            ld->max_points);
	cap = e->s.cap ? e->s.cap * 2 : 16;
	{
		int64_t *t = realloc(e->s.t, cap * sizeof(*t));
		if (!t)
			goto out_nomem;
		e->s.t = t;
	}
	for (size_t c = 0; c < ld->ncols; c++) {
		double *v;
		uint8_t *ok;

		if (!e->s.v[c])
			continue; /* no value yet: made on the first one */
		v = realloc(e->s.v[c], cap * sizeof(*v));
		if (!v)
			goto out_nomem;
		e->s.v[c] = v;
		ok = realloc(e->s.valid[c], cap);
		if (!ok)
			goto out_nomem;
		e->s.valid[c] = ok;
	}
	e->s.cap = cap;
	return VITALS_OK;
out_nomem:
	return fail(ld, VITALS_E_NOMEM, "out of memory");
}

/* The sums and counts of E's last point (inline or not, by the number of columns). */
static inline double *ent_acc(struct ent *e, size_t ncols)
{
	return ncols > SERIES_ACC_INLINE ? e->acc_out : e->acc_in;
}

static inline uint32_t *ent_cnt(struct ent *e, size_t ncols)
{
	return ncols > SERIES_ACC_INLINE ? e->cnt_out : e->cnt_in;
}

/*
 * Write E's last point: its time, the mean of the rows averaged into it,
 * and each column's value, the mean of its valid values (missing when it
 * has none, or when the sum of absurd values overflowed). A column's
 * arrays are made on its first value, so an entity pays only for the
 * columns it has.
 */
static int ent_flush(struct loader *ld, struct ent *e)
{
	double *acc = ent_acc(e, ld->ncols);
	uint32_t *cnt = ent_cnt(e, ld->ncols);
	size_t i = e->s.n - 1;

	if (!e->s.n)
		return VITALS_OK;
	if (e->tcount > 1)
		e->s.t[i] = e->tfirst + e->tsum / (int64_t)e->tcount;
	e->tcount = 1;
	e->tsum = 0;
	for (size_t c = 0; c < ld->ncols; c++) {
		double v = cnt[c] > 1 ? acc[c] / cnt[c] : acc[c];
		int ok = cnt[c] > 0 && isfinite(v);

		if (ok && !e->s.v[c]) {
			e->s.v[c] = calloc(e->s.cap, sizeof(double));
			e->s.valid[c] = calloc(e->s.cap, 1);
			if (!e->s.v[c] || !e->s.valid[c])
				return fail(ld, VITALS_E_NOMEM, "out of memory");
		}
		if (e->s.v[c]) {
			e->s.v[c][i] = ok ? v : 0;
			e->s.valid[c][i] = (uint8_t)ok;
		}
		acc[c] = 0;
		cnt[c] = 0;
	}
	return VITALS_OK;
}

/*
 * Start a point of E at time T (or join the last one when it is in the
 * same step), writing the one before. 0, or a status. The caller then
 * adds the values with point_put().
 */
static int point_begin(struct loader *ld, struct ent *e, int64_t t)
{
	int64_t step = INT64_MIN;
	size_t i;
	int rc;

	if (ld->o->step_us > 0) {
		step = t / ld->o->step_us - (t % ld->o->step_us < 0);
		if (step == e->step && e->s.n) {
			e->tcount++;
			e->tsum += t - e->tfirst;
			return VITALS_OK;
		}
	}
	rc = ent_flush(ld, e);
	if (rc < 0)
		return rc;
	rc = ent_room(ld, e);
	if (rc < 0)
		return rc;
	i = e->s.n++;
	ld->points++;
	if (i && t < e->s.t[i - 1])
		e->unsorted = 1;
	e->s.t[i] = t;
	e->step = step;
	e->tcount = 1;
	e->tsum = 0;
	e->tfirst = t;
	return VITALS_OK;
}

/* Add value V of column C to E's last point. */
static inline void point_put(struct loader *ld, struct ent *e, size_t c, double v)
{
	if (!isfinite(v))
		return;
	ent_acc(e, ld->ncols)[c] += v;
	ent_cnt(e, ld->ncols)[c]++;
}

static int event_add(struct loader *ld, int64_t t, const char *src, size_t srcn, const char *text,
                     size_t textn, const char *fields, size_t fieldsn)
{
	struct series_set *set = ld->set;
	struct series_event *ev;

	if (set->event_count == ld->events_cap) {
		size_t cap = ld->events_cap ? ld->events_cap * 2 : 64;
		struct series_event *n = realloc(set->events, cap * sizeof(*n));
		if (!n)
			return fail(ld, VITALS_E_NOMEM, "out of memory");
		set->events = n;
		ld->events_cap = cap;
	}
	ev = &set->events[set->event_count];
	ev->t = t;
	ev->source = arena_dup(&set->arena, src, srcn);
	ev->text = arena_dup(&set->arena, text, textn);
	ev->fields = fields ? arena_dup(&set->arena, fields, fieldsn) : NULL;
	if (!ev->source || !ev->text || (fields && !ev->fields))
		return fail(ld, VITALS_E_NOMEM, "out of memory");
	set->event_count++;
	if (t < set->first_time)
		set->first_time = t;
	if (t > set->last_time)
		set->last_time = t;
	return VITALS_OK;
}

static int id_selected(const struct loader *ld, const char *id, size_t n)
{
	size_t pn;

	if (!ld->o->id_prefix)
		return 1;
	pn = strlen(ld->o->id_prefix);
	return n >= pn && memcmp(id, ld->o->id_prefix, pn) == 0;
}

/* ---- traces ------------------------------------------------------------- */

/* Where the projected batch holds each column; -1 when not read. */
struct trace_cols {
	int time, kind, id, name, start, ppid, fields;
	int events_apart; /* events are read in a pass of their own */
	int *metric;      /* per asked column */
};

static double column_double(const struct vitals_column *c, size_t row, int *ok)
{
	*ok = !c->valid || c->valid[row];
	if (!*ok)
		return 0;
	switch (c->type) {
	case VITALS_TYPE_INT64:
	case VITALS_TYPE_TIMESTAMP:
		return (double)c->v.i64[row];
	case VITALS_TYPE_INT32:
		return (double)c->v.i32[row];
	case VITALS_TYPE_DOUBLE:
		return c->v.f64[row];
	case VITALS_TYPE_BOOL:
		return c->v.b[row];
	default:
		*ok = 0;
		return 0;
	}
}

static int64_t column_i64(const struct vitals_column *c, size_t row, int64_t dflt)
{
	int ok;
	double v;

	if (!c)
		return dflt;
	if (c->type == VITALS_TYPE_INT64 || c->type == VITALS_TYPE_TIMESTAMP)
		return (!c->valid || c->valid[row]) ? c->v.i64[row] : dflt;
	v = column_double(c, row, &ok);
	return ok && fabs(v) < 9e18 ? (int64_t)v : dflt;
}

static int trace_batch(struct loader *ld, const struct vitals_batch *b, const struct trace_cols *tc)
{
	const struct vitals_column *time = &b->cols[tc->time];
	const struct vitals_column *startc = tc->start >= 0 ? &b->cols[tc->start] : NULL;
	const struct vitals_column *ppidc = tc->ppid >= 0 ? &b->cols[tc->ppid] : NULL;
	int last_kind = -1, proc_kind = -1;
	const char *last_ks = NULL;
	size_t last_kn = 0;
	int rc;

	if (time->type != VITALS_TYPE_TIMESTAMP && time->type != VITALS_TYPE_INT64)
		return fail(ld, VITALS_E_INVAL, "column 'time' is %s, not a timestamp",
		            vitals_type_name(time->type));
	for (size_t r = 0; r < b->rows; r++) {
		size_t kn, idn, namen = 0;
		const char *ks = vitals_batch_string(b, (size_t)tc->kind, r, &kn);
		const char *id, *name = "";
		int64_t t, start = -1, pid = -1;
		struct ent *e;
		int k;

		if (time->valid && !time->valid[r])
			continue;
		t = time->v.i64[r];
		if (t < -SERIES_TIME_LIMIT || t > SERIES_TIME_LIMIT)
			continue;
		ld->set->rows_read++;
		if (last_kind >= 0 && kn == last_kn && same_bytes(ks, last_ks, kn)) {
			k = last_kind;
		} else {
			k = kind_index(ld, ks, kn);
			if (k < 0)
				return fail(ld, VITALS_E_PARSE, "more than %d kinds of entity",
				            SERIES_KINDS_MAX);
			last_kind = k;
			last_ks = ks;
			last_kn = kn;
			if (kn == 7 && memcmp(ks, "process", 7) == 0)
				proc_kind = k;
		}
		id = vitals_batch_string(b, (size_t)tc->id, r, &idn);
		if (tc->name >= 0)
			name = vitals_batch_string(b, (size_t)tc->name, r, &namen);
		if (kn == 5 && memcmp(ks, "event", 5) == 0) {
			if (ld->o->events) {
				size_t fn = 0;
				const char *f = NULL;
				if (tc->fields >= 0 &&
				    vitals_batch_is_valid(b, (size_t)tc->fields, r))
					f = vitals_batch_string(b, (size_t)tc->fields, r, &fn);
				rc = event_add(ld, t, id, idn, name, namen, f, fn);
				if (rc < 0)
					return rc;
			}
			continue;
		}
		if (!ld->kind_sel[k] || !id_selected(ld, id, idn))
			continue;
		if (k == proc_kind)
			start = column_i64(startc, r, -1);
		e = ent_get(ld, (uint32_t)k, id, idn, name, namen, 0, pid, start, &rc);
		if (!e)
			return rc;
		rc = point_begin(ld, e, t);
		if (rc < 0)
			return rc;
		/* A name and a parent are taken once a point, not once a row of it. */
		if (e->tcount == 1) {
			if (ent_rename(ld, e, name, namen) < 0)
				return fail(ld, VITALS_E_NOMEM, "out of memory");
			if (k == proc_kind) {
				int64_t pp = column_i64(ppidc, r, -1);
				if (pp >= 0)
					e->s.ppid = pp;
			}
		}
		for (size_t c = 0; c < ld->ncols; c++) {
			const struct vitals_column *mc;
			double v;

			if (tc->metric[c] < 0)
				continue;
			mc = &b->cols[tc->metric[c]];
			if (mc->valid && !mc->valid[r])
				continue; /* the common case: another kind's column */
			if (mc->type == VITALS_TYPE_INT64 || mc->type == VITALS_TYPE_TIMESTAMP)
				v = (double)mc->v.i64[r];
			else if (mc->type == VITALS_TYPE_DOUBLE)
				v = mc->v.f64[r];
			else if (mc->type == VITALS_TYPE_INT32)
				v = mc->v.i32[r];
			else if (mc->type == VITALS_TYPE_BOOL)
				v = mc->v.b[r];
			else
				continue;
			point_put(ld, e, c, v);
		}
		if (t < ld->set->first_time)
			ld->set->first_time = t;
		if (t > ld->set->last_time)
			ld->set->last_time = t;
	}
	return VITALS_OK;
}

static int kinds_include(const struct series_options *o, const char *kind)
{
	if (!o->kinds)
		return strcmp(kind, "event") != 0;
	for (size_t i = 0; i < o->kind_count; i++)
		if (strcmp(o->kinds[i], kind) == 0)
			return 1;
	return 0;
}

static int meta_copy(struct loader *ld, const struct vitals_reader *r)
{
	struct series_set *set = ld->set;
	size_t n = vitals_reader_meta_count(r);

	if (!n)
		return VITALS_OK;
	set->meta = calloc(n, sizeof(*set->meta));
	if (!set->meta)
		return fail(ld, VITALS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct vitals_kv *kv = vitals_reader_meta_at(r, i);
		set->meta[i].key = arena_dup(&set->arena, kv->key, strlen(kv->key));
		set->meta[i].value = arena_dup(&set->arena, kv->value, strlen(kv->value));
		if (!set->meta[i].key || !set->meta[i].value)
			return fail(ld, VITALS_E_NOMEM, "out of memory");
		set->meta_count++;
	}
	return VITALS_OK;
}

static int trace_pass(struct loader *ld, const char *path, const struct vitals_read_options *ro,
                      struct trace_cols *tc);

/*
 * The reader's row filters for what the loader keeps: the asked kinds
 * (and events), and the id prefix. Events have ids of their own, so with
 * an id prefix they are read in a second pass (tc->events_apart).
 */
static int trace_filters(struct loader *ld, struct vitals_read_options *ro, struct trace_cols *tc,
                         struct vitals_row_filter *filters, const char **kinds)
{
	const struct series_options *o = ld->o;
	size_t nf = 0, nk = 0;

	tc->events_apart = 0;
	if (o->kinds) {
		if (o->kind_count > SERIES_KINDS_MAX)
			return fail(ld, VITALS_E_INVAL, "more than %d kinds asked for",
			            SERIES_KINDS_MAX);
		for (size_t i = 0; i < o->kind_count; i++)
			kinds[nk++] = o->kinds[i];
		if (o->events && !o->id_prefix)
			kinds[nk++] = "event";
		filters[nf++] = (struct vitals_row_filter){"kind", kinds, nk, VITALS_MATCH_EQUAL};
	}
	if (o->id_prefix) {
		filters[nf++] =
		    (struct vitals_row_filter){"id", &o->id_prefix, 1, VITALS_MATCH_PREFIX};
		tc->events_apart = o->events;
	}
	ro->filters = filters;
	ro->filter_count = nf;
	return VITALS_OK;
}

/* Read one trace file into the loader. FIRST: take its metadata. */
static int trace_read(struct loader *ld, const char *path, int first)
{
	static const char *const event_kind[] = {"event"};
	struct vitals_row_filter filters[2];
	const char *kinds[SERIES_KINDS_MAX + 1];
	struct vitals_read_options ro;
	struct vitals_reader *r = NULL;
	struct vitals_trace *tr = NULL;
	const struct vitals_schema *s;
	const char **proj = NULL;
	struct trace_cols tc;
	size_t np = 0;
	int rc, want_proc;

	ld->path = path;
	memset(&tc, 0, sizeof(tc));
	tc.metric = calloc(ld->ncols ? ld->ncols : 1, sizeof(*tc.metric));
	proj = calloc(ld->ncols + 9, sizeof(*proj));
	if (!tc.metric || !proj) {
		rc = fail(ld, VITALS_E_NOMEM, "out of memory");
		goto out;
	}
	/* Text traces: the trace's own column types rather than guesses. */
	rc = vitals_trace_new(&tr);
	if (rc < 0) {
		rc = fail(ld, rc, "cannot build the trace schema");
		goto out;
	}
	vitals_read_options_init(&ro);
	ro.types = vitals_trace_schema(tr);
	ro.no_follow = ld->o->no_follow;
	/* First the schema alone (a Parquet footer; the first lines of text). */
	rc = vitals_reader_open(&r, path, &ro, ld->err, ld->errlen);
	if (rc < 0)
		goto out;
	s = vitals_reader_schema(r);
	if (vitals_schema_find(s, "time") < 0 || vitals_schema_find(s, "kind") < 0 ||
	    vitals_schema_find(s, "id") < 0) {
		rc = fail(ld, VITALS_E_INVAL,
		          "no column '%s': not a vitals trace (time, kind, id, name, metrics)",
		          vitals_schema_find(s, "time") < 0   ? "time"
		          : vitals_schema_find(s, "kind") < 0 ? "kind"
		                                              : "id");
		goto out;
	}
	if (first) {
		rc = meta_copy(ld, r);
		if (rc < 0)
			goto out;
	}
	want_proc = kinds_include(ld->o, "process");
	proj[np++] = "time";
	proj[np++] = "kind";
	proj[np++] = "id";
	if (vitals_schema_find(s, "name") >= 0)
		proj[np++] = "name";
	if (want_proc && vitals_schema_find(s, "start_time") >= 0)
		proj[np++] = "start_time";
	if (want_proc && vitals_schema_find(s, "ppid") >= 0)
		proj[np++] = "ppid";
	if (ld->o->events && vitals_schema_find(s, "fields") >= 0)
		proj[np++] = "fields";
	for (size_t c = 0; c < ld->ncols; c++) {
		int dup = 0;
		if (vitals_schema_find(s, ld->set->columns[c]) < 0)
			continue;
		ld->set->have[c] = 1;
		for (size_t j = 0; j < np; j++)
			dup |= strcmp(proj[j], ld->set->columns[c]) == 0;
		if (!dup)
			proj[np++] = ld->set->columns[c];
	}
	vitals_reader_close(r);
	r = NULL;
	ro.columns = proj;
	ro.column_count = np;
	ro.from = ld->o->from;
	ro.to = ld->o->to;
	if (ro.from != INT64_MIN || ro.to != INT64_MAX)
		ro.time_column = "time";
	rc = trace_filters(ld, &ro, &tc, filters, kinds);
	if (rc < 0)
		goto out;
	for (int pass = 0; pass < 2 && rc >= 0; pass++) {
		if (pass == 1) {
			/* The events, which the id filter of the first pass left out. */
			if (!tc.events_apart)
				break;
			filters[0] =
			    (struct vitals_row_filter){"kind", event_kind, 1, VITALS_MATCH_EQUAL};
			ro.filter_count = 1;
		}
		rc = trace_pass(ld, path, &ro, &tc);
	}
out:
	vitals_reader_close(r);
	vitals_trace_free(tr);
	free(proj);
	free(tc.metric);
	return rc < 0 ? rc : VITALS_OK;
}

/* Read PATH with RO into the loader. */
static int trace_pass(struct loader *ld, const char *path, const struct vitals_read_options *ro,
                      struct trace_cols *tc)
{
	struct vitals_reader *r = NULL;
	const struct vitals_schema *s;
	const struct vitals_batch *b;
	int rc;

	rc = vitals_reader_open(&r, path, ro, ld->err, ld->errlen);
	if (rc < 0)
		return rc;
	s = vitals_reader_schema(r);
	tc->time = vitals_schema_find(s, "time");
	tc->kind = vitals_schema_find(s, "kind");
	tc->id = vitals_schema_find(s, "id");
	tc->name = vitals_schema_find(s, "name");
	tc->start = vitals_schema_find(s, "start_time");
	tc->ppid = vitals_schema_find(s, "ppid");
	tc->fields = vitals_schema_find(s, "fields");
	for (size_t c = 0; c < ld->ncols; c++)
		tc->metric[c] = vitals_schema_find(s, ld->set->columns[c]);
	if (s->fields[tc->kind].type != VITALS_TYPE_STRING ||
	    s->fields[tc->id].type != VITALS_TYPE_STRING ||
	    (tc->name >= 0 && s->fields[tc->name].type != VITALS_TYPE_STRING)) {
		rc = fail(ld, VITALS_E_INVAL, "columns 'kind', 'id' and 'name' must be text");
		goto out;
	}
	if (tc->fields >= 0 && s->fields[tc->fields].type != VITALS_TYPE_STRING)
		tc->fields = -1;
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		rc = trace_batch(ld, b, tc);
		if (rc < 0)
			goto out;
	}
	if (rc < 0) {
		const char *m = vitals_reader_errmsg(r);
		if (ld->errlen)
			snprintf(ld->err, ld->errlen, "%s", m && *m ? m : vitals_strerror(rc));
	}
out:
	vitals_reader_close(r);
	return rc;
}

/* ---- segment sets ------------------------------------------------------- */

static int stamp_ok(const char *s)
{
	/* YYYYMMDDTHHMMSSZ */
	for (int i = 0; i < 16; i++) {
		if (i == 8) {
			if (s[i] != 'T')
				return 0;
		} else if (i == 15) {
			if (s[i] != 'Z')
				return 0;
		} else if (!isdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void series_paths_free(char **paths, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	free(paths);
}

int series_find_segments(const char *path, char ***paths, size_t *count)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	const char *dot = strrchr(base, '.');
	char *dir;
	DIR *d;
	struct dirent *de;
	size_t stem, extn, n = 0, cap = 0;
	char **list = NULL;
	int rc = VITALS_OK;

	*paths = NULL;
	*count = 0;
	if (!dot || dot == base)
		return VITALS_OK;
	stem = (size_t)(dot - base);
	extn = strlen(dot);
	dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup("./");
	if (!dir)
		return VITALS_E_NOMEM;
	d = opendir(dir);
	if (!d)
		goto out_dir;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t len = strlen(nm);
		char *full;

		if (len != stem + 1 + 16 + extn || memcmp(nm, base, stem) != 0 || nm[stem] != '-' ||
		    !stamp_ok(nm + stem + 1) || strcmp(nm + stem + 17, dot) != 0)
			continue;
		if (n == SERIES_SEGMENTS_MAX)
			break;
		if (n == cap) {
			size_t c2 = cap ? cap * 2 : 16;
			char **l2 = realloc(list, c2 * sizeof(*l2));
			if (!l2) {
				rc = VITALS_E_NOMEM;
				goto out_close;
			}
			list = l2;
			cap = c2;
		}
		if (asprintf(&full, "%s%s", slash ? dir : "", nm) < 0) {
			rc = VITALS_E_NOMEM;
			goto out_close;
		}
		list[n++] = full;
	}
	if (n > 1)
		qsort(list, n, sizeof(*list), cmp_str);
out_close:
	closedir(d);
out_dir:
	free(dir);
	if (rc < 0) {
		series_paths_free(list, n);
		return rc;
	}
	*paths = list;
	*count = n;
	return rc;
}

/* ---- process logs ------------------------------------------------------- */

enum jtype { JT_OBJ, JT_ARR, JT_STR, JT_NUM, JT_LIT };

/* One JSON value: bytes [start, end) of the line; `skip` is the index past its subtree. */
struct jtok {
	uint8_t type;
	uint8_t escaped; /* a string with backslashes */
	uint32_t start, end;
	uint32_t skip;
};

struct jdoc {
	const char *p;
	size_t n;
	struct jtok *t;
	size_t count, cap;
};

static size_t jws(const struct jdoc *d, size_t i)
{
	while (i < d->n &&
	       (d->p[i] == ' ' || d->p[i] == '\t' || d->p[i] == '\r' || d->p[i] == '\n'))
		i++;
	return i;
}

/* Parse the value at *I into tokens; -1 when malformed or too deep or too big. */
static int jvalue(struct jdoc *d, size_t *i, int depth)
{
	size_t k, at = jws(d, *i);
	struct jtok *t;

	if (at >= d->n || depth > LOG_DEPTH_MAX || d->count == d->cap)
		return -1;
	k = d->count++;
	t = &d->t[k];
	t->start = (uint32_t)at;
	t->escaped = 0;
	switch (d->p[at]) {
	case '{':
	case '[': {
		char close = d->p[at] == '{' ? '}' : ']';
		int obj = close == '}';

		d->t[k].type = obj ? JT_OBJ : JT_ARR;
		at = jws(d, at + 1);
		if (at < d->n && d->p[at] == close) {
			at++;
			break;
		}
		for (;;) {
			if (obj) {
				at = jws(d, at);
				if (at >= d->n || d->p[at] != '"')
					return -1;
				if (jvalue(d, &at, depth + 1) < 0)
					return -1;
				at = jws(d, at);
				if (at >= d->n || d->p[at] != ':')
					return -1;
				at++;
			}
			if (jvalue(d, &at, depth + 1) < 0)
				return -1;
			at = jws(d, at);
			if (at < d->n && d->p[at] == ',') {
				at++;
				continue;
			}
			if (at < d->n && d->p[at] == close) {
				at++;
				break;
			}
			return -1;
		}
		break;
	}
	case '"':
		d->t[k].type = JT_STR;
		at++;
		while (at < d->n && d->p[at] != '"') {
			if ((unsigned char)d->p[at] < 0x20)
				return -1;
			if (d->p[at] == '\\') {
				d->t[k].escaped = 1;
				at++;
			}
			at++;
		}
		if (at >= d->n)
			return -1;
		at++;
		break;
	default: {
		size_t s = at;
		char c = d->p[at];

		if (c == '-' || isdigit((unsigned char)c)) {
			d->t[k].type = JT_NUM;
			while (at < d->n && (isdigit((unsigned char)d->p[at]) || d->p[at] == '-' ||
			                     d->p[at] == '+' || d->p[at] == '.' ||
			                     d->p[at] == 'e' || d->p[at] == 'E'))
				at++;
		} else {
			d->t[k].type = JT_LIT;
			while (at < d->n && isalpha((unsigned char)d->p[at]))
				at++;
		}
		if (at == s)
			return -1;
		if (d->t[k].type == JT_LIT) {
			size_t len = at - s;
			if (!(len == 4 && memcmp(d->p + s, "null", 4) == 0) &&
			    !(len == 4 && memcmp(d->p + s, "true", 4) == 0) &&
			    !(len == 5 && memcmp(d->p + s, "false", 5) == 0) &&
			    !(len == 3 && memcmp(d->p + s, "NaN", 3) == 0) &&
			    !(len == 8 && memcmp(d->p + s, "Infinity", 8) == 0))
				return -1;
		}
		break;
	}
	}
	d->t[k].end = (uint32_t)at;
	d->t[k].skip = (uint32_t)d->count;
	*i = at;
	return 0;
}

/* The value of key KEY in object token OBJ, or -1. */
static long jget(const struct jdoc *d, size_t obj, const char *key)
{
	size_t klen = strlen(key);

	if (d->t[obj].type != JT_OBJ)
		return -1;
	for (size_t k = obj + 1; k < d->t[obj].skip;) {
		const struct jtok *kt = &d->t[k];
		size_t v = kt->skip;

		if (kt->end - kt->start - 2 == klen && !kt->escaped &&
		    memcmp(d->p + kt->start + 1, key, klen) == 0)
			return (long)v;
		k = d->t[v].skip;
	}
	return -1;
}

/* A number token's value (NaN for null or anything else). */
static double jnum(const struct jdoc *d, long k)
{
	char buf[64], *end;
	size_t n;
	double v;

	if (k < 0 || d->t[k].type != JT_NUM)
		return NAN;
	n = d->t[k].end - d->t[k].start;
	if (n >= sizeof(buf))
		return NAN;
	memcpy(buf, d->p + d->t[k].start, n);
	buf[n] = '\0';
	v = strtod(buf, &end);
	return *end ? NAN : v;
}

static void put_utf8(char *out, size_t *o, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xC0 | (cp >> 6));
		out[(*o)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xE0 | (cp >> 12));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		out[(*o)++] = (char)(0xF0 | (cp >> 18));
		out[(*o)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		out[(*o)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[(*o)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/*
 * The text of string token K, unescaped into OUT (of CAP bytes: at least
 * the token's length); its length, or -1 when K is not a string.
 */
static long jstr(const struct jdoc *d, long k, char *out, size_t cap)
{
	const char *p;
	size_t n, o = 0;

	if (k < 0 || d->t[k].type != JT_STR)
		return -1;
	p = d->p + d->t[k].start + 1;
	n = d->t[k].end - d->t[k].start - 2;
	if (n + 1 > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned long cp;
		char c = p[i];

		if (c != '\\' || i + 1 >= n) {
			out[o++] = c;
			continue;
		}
		c = p[++i];
		switch (c) {
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'u':
			cp = 0xFFFD;
			if (i + 4 < n) {
				char hex[5];
				char *end;
				memcpy(hex, p + i + 1, 4);
				hex[4] = '\0';
				cp = strtoul(hex, &end, 16);
				if (*end || (cp >= 0xD800 && cp <= 0xDFFF))
					cp = 0xFFFD;
				i += 4;
			}
			/* \uXXXX is 6 bytes of input, at most 3 of output. */
			put_utf8(out, &o, cp);
			break;
		default:
			out[o++] = c;
			break;
		}
	}
	out[o] = '\0';
	return (long)o;
}

struct log_run {
	int64_t pid;
	double last_elapsed;
	int64_t last_time;
	int64_t start;
};

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" in local time; -1 when not one. */
static int parse_local_stamp(const char *s, size_t n, int64_t *us)
{
	char buf[40];
	struct tm tm;
	int y, mo, d, h, mi, sec, used = 0;
	long frac = 0;
	int fdig = 0;
	time_t tt;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sscanf(buf, "%4d-%2d-%2d%*[ T]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
		return -1;
	if (buf[used] == '.' || buf[used] == ',') {
		for (used++; isdigit((unsigned char)buf[used]); used++) {
			if (fdig < 6) {
				frac = frac * 10 + (buf[used] - '0');
				fdig++;
			}
		}
		while (fdig++ < 6)
			frac *= 10;
	}
	if (buf[used] || y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	tt = mktime(&tm);
	if (tt == (time_t)-1)
		return -1;
	*us = (int64_t)tt * 1000000 + frac;
	return 0;
}

/* The pid in a log line's prefix: the first token that is a plain number. */
static int64_t prefix_pid(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t s;
		while (i < n && p[i] == ' ')
			i++;
		s = i;
		while (i < n && p[i] != ' ')
			i++;
		if (i > s && i - s <= 7) {
			size_t j = s;
			while (j < i && isdigit((unsigned char)p[j]))
				j++;
			if (j == i)
				return strtoll(p + s, NULL, 10);
		}
	}
	return -1;
}

/* A value of one of a virtual row's fields. */
struct log_val {
	const char *col;
	double v;
};

static int log_row(struct loader *ld, const char *kind, const char *id, const char *name,
                   int64_t pid, int64_t ppid, int64_t start, int64_t t, const struct log_val *vals,
                   size_t nvals)
{
	int k = kind_index(ld, kind, strlen(kind));
	struct ent *e;
	int rc;

	if (k < 0)
		return fail(ld, VITALS_E_NOMEM, "out of memory");
	if (!ld->kind_sel[k] || !id_selected(ld, id, strlen(id)))
		return VITALS_OK;
	e = ent_get(ld, (uint32_t)k, id, strlen(id), name, strlen(name), 1, pid, start, &rc);
	if (!e)
		return rc;
	if (ppid >= 0)
		e->s.ppid = ppid;
	rc = point_begin(ld, e, t);
	if (rc < 0)
		return rc;
	for (size_t c = 0; c < ld->ncols; c++)
		for (size_t j = 0; j < nvals; j++)
			if (strcmp(vals[j].col, ld->set->columns[c]) == 0 && isfinite(vals[j].v)) {
				point_put(ld, e, c, vals[j].v);
				ld->set->have[c] = 1;
			}
	if (t < ld->set->first_time)
		ld->set->first_time = t;
	if (t > ld->set->last_time)
		ld->set->last_time = t;
	return VITALS_OK;
}

static struct log_run *log_run_for(struct loader *ld, int64_t pid)
{
	for (size_t i = 0; i < ld->nruns; i++)
		if (ld->runs[i].pid == pid)
			return &ld->runs[i];
	if (ld->nruns == ld->runs_cap) {
		size_t cap = ld->runs_cap ? ld->runs_cap * 2 : 8;
		struct log_run *n = realloc(ld->runs, cap * sizeof(*n));
		if (!n)
			return NULL;
		ld->runs = n;
		ld->runs_cap = cap;
	}
	memset(&ld->runs[ld->nruns], 0, sizeof(ld->runs[0]));
	ld->runs[ld->nruns].pid = pid;
	ld->runs[ld->nruns].start = INT64_MIN;
	return &ld->runs[ld->nruns++];
}

/* One record (object token 0 of D). 1 when it was a record, 0 when not, or a status. */
static int log_record(struct loader *ld, const struct jdoc *d, int64_t prefix_pid_v, char *text,
                      size_t textcap)
{
	long mi = jget(d, 0, "memory_info"), ct = jget(d, 0, "cpu_times"), hp = jget(d, 0, "heap");
	long k;
	int64_t t, pid = prefix_pid_v >= 0 ? prefix_pid_v : 0;
	double elapsed = jnum(d, jget(d, 0, "elapsed_time")), v;
	struct log_run *run;
	char pidtxt[24];
	struct log_val vals[16];
	size_t nv = 0;
	int rc;

	v = jnum(d, jget(d, 0, "time_us"));
	if (isfinite(v) && fabs(v) < 9e18) {
		t = (int64_t)v;
	} else {
		long ts = jget(d, 0, "timestamp");
		if (ts < 0 || d->t[ts].type != JT_STR || d->t[ts].escaped ||
		    parse_local_stamp(d->p + d->t[ts].start + 1, d->t[ts].end - d->t[ts].start - 2,
		                      &t) < 0)
			return 0;
	}
	if (mi < 0 && hp < 0 && jget(d, 0, "gauges") < 0 && jget(d, 0, "time_us") < 0)
		return 0;
	if (t < -SERIES_TIME_LIMIT || t > SERIES_TIME_LIMIT)
		return 0;
	if (t < ld->o->from || t > ld->o->to)
		return 1;
	v = jnum(d, jget(d, 0, "pid"));
	if (isfinite(v) && v >= 0 && v < 1e9)
		pid = (int64_t)v;
	run = log_run_for(ld, pid);
	if (!run)
		return fail(ld, VITALS_E_NOMEM, "out of memory");
	if (run->start == INT64_MIN || (isfinite(elapsed) && elapsed < run->last_elapsed) ||
	    t < run->last_time) {
		/* A new run of the program: a new identity. */
		run->start = t - (isfinite(elapsed) && elapsed >= 0 && elapsed < 1e9
		                      ? (int64_t)(elapsed * 1e6)
		                      : 0);
		run->start -= run->start % 1000; /* to the millisecond: one value for the run */
	}
	run->last_elapsed = isfinite(elapsed) ? elapsed : -1;
	run->last_time = t;
	snprintf(pidtxt, sizeof(pidtxt), "%lld", (long long)pid);

	if (mi >= 0) {
		vals[nv++] = (struct log_val){"rss_bytes", jnum(d, jget(d, mi, "rss"))};
		vals[nv++] = (struct log_val){"vms_bytes", jnum(d, jget(d, mi, "vms"))};
	}
	if (ct >= 0) {
		vals[nv++] = (struct log_val){"cpu_user_seconds", jnum(d, jget(d, ct, "user"))};
		vals[nv++] = (struct log_val){"cpu_system_seconds", jnum(d, jget(d, ct, "system"))};
		vals[nv++] = (struct log_val){"children_user_seconds",
		                              jnum(d, jget(d, ct, "children_user"))};
		vals[nv++] = (struct log_val){"children_system_seconds",
		                              jnum(d, jget(d, ct, "children_system"))};
	}
	vals[nv++] = (struct log_val){"cpu_percent", jnum(d, jget(d, 0, "cpu_percent"))};
	vals[nv++] = (struct log_val){"threads", jnum(d, jget(d, 0, "threads"))};
	vals[nv++] = (struct log_val){"fds", jnum(d, jget(d, 0, "fds"))};
	if (hp >= 0) {
		vals[nv++] = (struct log_val){"heap_in_use_bytes", jnum(d, jget(d, hp, "in_use"))};
		vals[nv++] = (struct log_val){"heap_free_bytes", jnum(d, jget(d, hp, "free"))};
		vals[nv++] =
		    (struct log_val){"heap_mmapped_bytes", jnum(d, jget(d, hp, "mmapped"))};
	}
	rc = log_row(ld, "process", pidtxt, "", pid, -1, run->start, t, vals, nv);
	if (rc < 0)
		return rc;

	k = jget(d, 0, "gauges");
	if (k >= 0 && d->t[k].type == JT_OBJ) {
		for (size_t g = (size_t)k + 1; g < d->t[k].skip;) {
			size_t val = d->t[g].skip;
			long n = jstr(d, (long)g, text, textcap);

			if (n > 0 && !memchr(text, '\0', (size_t)n)) {
				struct log_val gv = {"value", jnum(d, (long)val)};
				const char *last = strrchr(text, '/');
				last = last && last[1] ? last + 1 : text;
				rc = log_row(ld, "gauge", text, last, -1, -1, -1, t, &gv, 1);
				if (rc < 0)
					return rc;
			}
			g = d->t[val].skip;
		}
	}
	k = jget(d, 0, "children");
	if (k >= 0 && d->t[k].type == JT_ARR) {
		for (size_t c = (size_t)k + 1; c < d->t[k].skip; c = d->t[c].skip) {
			double cp = jnum(d, jget(d, c, "pid")), pp = jnum(d, jget(d, c, "ppid"));
			struct log_val cv[2] = {
			    {"rss_bytes", jnum(d, jget(d, c, "rss"))},
			    {"cpu_percent", jnum(d, jget(d, c, "cpu_percent"))}};
			char ctxt[24], cname[256] = "";
			long nk = jget(d, c, "name");

			if (d->t[c].type != JT_OBJ || !isfinite(cp) || cp < 0 || cp > 1e9)
				continue;
			if (nk >= 0 && d->t[nk].end - d->t[nk].start < sizeof(cname))
				jstr(d, nk, cname, sizeof(cname));
			snprintf(ctxt, sizeof(ctxt), "%lld", (long long)cp);
			rc = log_row(ld, "process", ctxt, cname, (int64_t)cp,
			             isfinite(pp) && pp >= 0 && pp < 1e9 ? (int64_t)pp : -1, -1, t,
			             cv, 2);
			if (rc < 0)
				return rc;
		}
	}
	k = jget(d, 0, "system");
	if (k >= 0 && d->t[k].type == JT_OBJ) {
		struct log_val sv[3] = {
		    {"mem_available_bytes", jnum(d, jget(d, k, "mem_available_bytes"))},
		    {"mem_used_bytes", jnum(d, jget(d, k, "mem_used_bytes"))},
		    {"load1", jnum(d, jget(d, k, "load1"))}};
		struct log_val cv = {"busy_percent", jnum(d, jget(d, k, "cpu_busy_percent"))};

		rc = log_row(ld, "system", "", "system", -1, -1, -1, t, sv, 3);
		if (rc == 0)
			rc = log_row(ld, "cpu", "total", "cpu", -1, -1, -1, t, &cv, 1);
		if (rc < 0)
			return rc;
	}
	if (ld->o->events) {
		long l = jget(d, 0, "labels");
		if (l >= 0 && d->t[l].type == JT_ARR) {
			for (size_t x = (size_t)l + 1; x < d->t[l].skip; x = d->t[x].skip) {
				long n = jstr(d, (long)x, text, textcap);
				if (n >= 0 &&
				    (rc = event_add(ld, t, "log", 3, text, (size_t)n, NULL, 0)) < 0)
					return rc;
			}
		} else {
			long n = jstr(d, jget(d, 0, "label"), text, textcap);
			if (n >= 0 &&
			    (rc = event_add(ld, t, "log", 3, text, (size_t)n, NULL, 0)) < 0)
				return rc;
		}
	}
	return 1;
}

static int log_read(struct loader *ld, const char *path)
{
	FILE *f;
	char *line = NULL, *text = NULL;
	size_t cap = 0, textcap = 0;
	ssize_t len;
	struct jdoc d;
	uint64_t lineno = 0, records = 0;
	int rc = VITALS_OK;

	ld->path = path;
	memset(&d, 0, sizeof(d));
	f = fopen(path, "re");
	if (!f)
		return fail(ld, errno == ENOENT ? VITALS_E_NOTFOUND : VITALS_E_IO,
		            "cannot open: %s", strerror(errno));
	d.cap = 4096;
	d.t = malloc(d.cap * sizeof(*d.t));
	if (!d.t) {
		rc = fail(ld, VITALS_E_NOMEM, "out of memory");
		goto out;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *brace;
		size_t at;
		int r;

		lineno++;
		if ((size_t)len > LOG_LINE_MAX) {
			rc = fail(ld, VITALS_E_PARSE, "line %llu: longer than %zu bytes",
			          (unsigned long long)lineno, LOG_LINE_MAX);
			goto out;
		}
		brace = memchr(line, '{', (size_t)len);
		if (!brace) {
			ld->set->skipped_lines++;
			continue;
		}
		d.p = brace;
		d.n = (size_t)(line + len - brace);
		d.count = 0;
		at = 0;
		for (;;) {
			r = jvalue(&d, &at, 0);
			if (r == 0 || d.count != d.cap || d.cap >= LOG_TOKENS_MAX)
				break;
			/* Out of tokens: grow and parse again. */
			struct jtok *nt = realloc(d.t, d.cap * 2 * sizeof(*nt));
			if (!nt) {
				rc = fail(ld, VITALS_E_NOMEM, "out of memory");
				goto out;
			}
			d.t = nt;
			d.cap *= 2;
			d.count = 0;
			at = 0;
		}
		if (r < 0 || d.t[0].type != JT_OBJ) {
			ld->set->skipped_lines++;
			continue;
		}
		if (d.n + 1 > textcap) {
			char *nt = realloc(text, d.n + 1);
			if (!nt) {
				rc = fail(ld, VITALS_E_NOMEM, "out of memory");
				goto out;
			}
			text = nt;
			textcap = d.n + 1;
		}
		ld->set->rows_read++;
		r = log_record(ld, &d, prefix_pid(line, (size_t)(brace - line)), text, textcap);
		if (r < 0) {
			rc = r;
			goto out;
		}
		if (r == 0)
			ld->set->skipped_lines++;
		else
			records++;
	}
	if (ferror(f)) {
		rc = fail(ld, VITALS_E_IO, "read error: %s", strerror(errno));
		goto out;
	}
	if (!records)
		rc = fail(ld, VITALS_E_PARSE,
		          "no process log records in %llu lines (expected a JSON object per line "
		          "with 'timestamp' or 'time_us' and 'memory_info')",
		          (unsigned long long)lineno);
out:
	free(text);
	free(d.t);
	free(line);
	fclose(f);
	return rc;
}

/* Whether PATH (an existing .jsonl) is a log rather than a trace: its first object has no kind.
 */
static int jsonl_is_log(const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int log = 0;

	if (!f)
		return 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *b = memchr(line, '{', (size_t)len);
		if (!b)
			continue;
		log = !strstr(b, "\"kind\"");
		break;
	}
	free(line);
	fclose(f);
	return log;
}

/* ---- finishing ---------------------------------------------------------- */

struct sort_pt {
	int64_t t;
	size_t i;
};

static int cmp_pt(const void *a, const void *b)
{
	const struct sort_pt *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Put E's points in time order (rows appended to a finished file come late). */
static int ent_sort(struct loader *ld, struct ent *e)
{
	struct sort_pt *p = malloc(e->s.n * sizeof(*p));
	double *tmpv = malloc(e->s.n * sizeof(*tmpv));
	uint8_t *tmpo = malloc(e->s.n);
	int rc = VITALS_OK;

	if (!p || !tmpv || !tmpo) {
		rc = fail(ld, VITALS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < e->s.n; i++)
		p[i] = (struct sort_pt){e->s.t[i], i};
	qsort(p, e->s.n, sizeof(*p), cmp_pt);
	for (size_t c = 0; c < ld->ncols; c++) {
		if (!e->s.v[c])
			continue;
		for (size_t i = 0; i < e->s.n; i++) {
			tmpv[i] = e->s.v[c][p[i].i];
			tmpo[i] = e->s.valid[c][p[i].i];
		}
		memcpy(e->s.v[c], tmpv, e->s.n * sizeof(*tmpv));
		memcpy(e->s.valid[c], tmpo, e->s.n);
	}
	for (size_t i = 0; i < e->s.n; i++)
		e->s.t[i] = p[i].t;
out:
	free(p);
	free(tmpv);
	free(tmpo);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median gap between points of the longest series, in seconds. */
static double median_gap(const struct series_set *set)
{
	const struct series *best = NULL;
	int64_t *gaps;
	size_t n = 0;
	double g;

	for (size_t i = 0; i < set->count; i++)
		if (!best || set->series[i].n > best->n)
			best = &set->series[i];
	if (!best || best->n < 2)
		return 0;
	gaps = malloc((best->n - 1) * sizeof(*gaps));
	if (!gaps)
		return 0;
	for (size_t i = 1; i < best->n; i++)
		gaps[n++] = best->t[i] - best->t[i - 1];
	qsort(gaps, n, sizeof(*gaps), cmp_i64);
	g = (double)gaps[n / 2] / 1e6;
	free(gaps);
	return g;
}

static int finish(struct loader *ld)
{
	struct series_set *set = ld->set;
	const char *si;
	int rc;

	set->series = calloc(ld->nents ? ld->nents : 1, sizeof(*set->series));
	if (!set->series)
		return fail(ld, VITALS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < ld->nents; i++) {
		struct ent *e = &ld->ents[i];

		rc = ent_flush(ld, e);
		if (rc < 0)
			return rc;
		if (e->unsorted) {
			rc = ent_sort(ld, e);
			if (rc < 0)
				return rc;
		}
	}
	/* Columns an entity never had share one read-only array of missing values. */
	{
		size_t maxn = 1;
		for (size_t i = 0; i < ld->nents; i++)
			maxn = ld->ents[i].s.n > maxn ? ld->ents[i].s.n : maxn;
		set->zero_v = calloc(maxn, sizeof(double));
		set->zero_ok = calloc(maxn, 1);
		if (!set->zero_v || !set->zero_ok)
			return fail(ld, VITALS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < ld->nents; i++) {
		for (size_t c = 0; c < ld->ncols; c++)
			if (!ld->ents[i].s.v[c]) {
				ld->ents[i].s.v[c] = set->zero_v;
				ld->ents[i].s.valid[c] = set->zero_ok;
			}
		set->series[i] = ld->ents[i].s;
		memset(&ld->ents[i].s, 0, sizeof(ld->ents[i].s));
	}
	set->count = ld->nents;
	if (set->event_count > 1) {
		/* Stable by time: sort (time, index) pairs through a copy. */
		struct sort_pt *p = malloc(set->event_count * sizeof(*p));
		struct series_event *ev = malloc(set->event_count * sizeof(*ev));
		if (!p || !ev) {
			free(p);
			free(ev);
			return fail(ld, VITALS_E_NOMEM, "out of memory");
		}
		for (size_t i = 0; i < set->event_count; i++)
			p[i] = (struct sort_pt){set->events[i].t, i};
		qsort(p, set->event_count, sizeof(*p), cmp_pt);
		for (size_t i = 0; i < set->event_count; i++)
			ev[i] = set->events[p[i].i];
		free(set->events);
		set->events = ev;
		free(p);
	}
	for (size_t i = 0; i < set->meta_count; i++) {
		const char *k = set->meta[i].key, *v = set->meta[i].value;
		if (strcmp(k, "vitals.host") == 0)
			set->host = v;
		else if (strcmp(k, "vitals.kernel") == 0)
			set->kernel = v;
		else if (strcmp(k, "vitals.timezone") == 0)
			set->timezone = v;
		else if (strcmp(k, "vitals.boot_id") == 0)
			set->boot_id = v;
	}
	si = series_set_meta(set, "vitals.sample_interval_seconds");
	if (si) {
		char *end;
		double x = strtod(si, &end);
		if (end != si && !*end && x > 0 && x < 1e7)
			set->sample_interval = x;
	}
	if (set->sample_interval == 0)
		set->sample_interval = median_gap(set);
	return VITALS_OK;
}

/* ---- the entry point ---------------------------------------------------- */

int series_load(struct series_set **out, const char *path, const struct series_options *o,
                char *err, size_t errlen)
{
	struct series_options defaults;
	struct loader ld;
	struct series_set *set;
	struct stat st;
	char **segs = NULL;
	size_t nsegs = 0;
	enum vitals_format fmt;
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	if (!o) {
		series_options_init(&defaults);
		o = &defaults;
	}
	memset(&ld, 0, sizeof(ld));
	ld.proc_kind = -1;
	ld.o = o;
	ld.path = path;
	ld.err = err;
	ld.errlen = errlen;
	ld.ncols = o->column_count;
	ld.max_points = o->max_points ? o->max_points : SERIES_MAX_POINTS_DEFAULT;
	if (o->from > o->to)
		return fail(&ld, VITALS_E_INVAL, "the time range ends before it starts");
	set = calloc(1, sizeof(*set));
	if (!set)
		return fail(&ld, VITALS_E_NOMEM, "out of memory");
	ld.set = set;
	set->first_time = INT64_MAX;
	set->last_time = INT64_MIN;
	set->column_count = o->column_count;
	set->columns = calloc(o->column_count ? o->column_count : 1, sizeof(*set->columns));
	set->have = calloc(o->column_count ? o->column_count : 1, 1);
	if (!set->columns || !set->have) {
		rc = fail(&ld, VITALS_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t c = 0; c < o->column_count; c++) {
		set->columns[c] = arena_dup(&set->arena, o->columns[c], strlen(o->columns[c]));
		if (!set->columns[c]) {
			rc = fail(&ld, VITALS_E_NOMEM, "out of memory");
			goto out;
		}
	}
	fmt = vitals_format_from_path(path);
	if (stat(path, &st) != 0) {
		if (errno != ENOENT) {
			rc = fail(&ld, VITALS_E_IO, "cannot open: %s", strerror(errno));
			goto out;
		}
		rc = series_find_segments(path, &segs, &nsegs);
		if (rc < 0) {
			rc = fail(&ld, rc, "cannot list the segments beside it");
			goto out;
		}
		if (!nsegs) {
			rc = fail(&ld, VITALS_E_NOTFOUND,
			          "no such file, and no segments named "
			          "like it (FILE-YYYYMMDDTHHMMSSZ.EXT)");
			goto out;
		}
		if (vitals_format_from_path(segs[0]) == VITALS_FORMAT_UNKNOWN) {
			rc = fail(&ld, VITALS_E_INVAL, "segments of an unknown format");
			goto out;
		}
		set->source = SERIES_SOURCE_SEGMENTS;
		for (size_t i = 0; i < nsegs; i++) {
			rc = trace_read(&ld, segs[i], i == 0);
			if (rc < 0)
				goto out;
		}
		set->files = nsegs;
	} else if (S_ISDIR(st.st_mode)) {
		rc = fail(&ld, VITALS_E_INVAL, "is a directory, not a trace");
		goto out;
	} else if (fmt == VITALS_FORMAT_PARQUET || fmt == VITALS_FORMAT_CSV ||
	           (fmt == VITALS_FORMAT_JSONL && !jsonl_is_log(path))) {
		set->source = SERIES_SOURCE_TRACE;
		set->files = 1;
		rc = trace_read(&ld, path, 1);
		if (rc < 0)
			goto out;
	} else {
		set->source = SERIES_SOURCE_LOG;
		set->files = 1;
		rc = log_read(&ld, path);
		if (rc < 0)
			goto out;
	}
	rc = finish(&ld);
out:
	for (size_t i = 0; i < ld.nents; i++)
		ent_release(&ld.ents[i], ld.ncols);
	free(ld.ents);
	free(ld.slots);
	free(ld.runs);
	series_paths_free(segs, nsegs);
	if (rc < 0) {
		series_set_free(set);
		return rc;
	}
	*out = set;
	return VITALS_OK;
}

void series_set_free(struct series_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++) {
		struct series *s = &set->series[i];
		free(s->t);
		for (size_t c = 0; c < set->column_count; c++) {
			if (s->v[c] != set->zero_v)
				free(s->v[c]);
			if (s->valid[c] != set->zero_ok)
				free(s->valid[c]);
		}
		free(s->v);
		free(s->valid);
	}
	free(set->zero_v);
	free(set->zero_ok);
	free(set->series);
	free(set->events);
	free(set->meta);
	free(set->columns);
	free(set->have);
	arena_free(set->arena);
	free(set);
}

int series_set_column(const struct series_set *set, const char *name)
{
	for (size_t c = 0; c < set->column_count; c++)
		if (strcmp(set->columns[c], name) == 0)
			return (int)c;
	return -1;
}

const char *series_set_meta(const struct series_set *set, const char *key)
{
	for (size_t i = 0; i < set->meta_count; i++)
		if (strcmp(set->meta[i].key, key) == 0)
			return set->meta[i].value;
	return NULL;
}
