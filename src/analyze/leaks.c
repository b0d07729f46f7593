/*
 * Leaks: robust trends of memory series and the ranking of suspects
 * (leaks.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vitals/common.h>
#include <vitals/store.h>

#include "analyze/leaks.h"

#define WINDOWS 8

static const char *const leak_cols[] = {
    "rss_bytes",    "heap_in_use_bytes",  "value", "mem_available_bytes", "memory_current_bytes",
    "memory_bytes", "memory_usage_bytes",
};
static const char *const leak_kinds[] = {"process", "system", "gauge", "cgroup"};
static const char *const cgroup_cols[] = {"memory_current_bytes", "memory_bytes",
                                          "memory_usage_bytes"};

const char *leak_kind_name(enum leak_kind k)
{
	switch (k) {
	case LEAK_PROCESS:
		return "process";
	case LEAK_SUBTREE:
		return "subtree";
	case LEAK_CGROUP:
		return "cgroup";
	case LEAK_GAUGE:
		return "gauge";
	case LEAK_HEAP:
		return "heap";
	}
	return "?";
}

const char *leak_suspect_note(const struct leak_suspect *s, char *buf, size_t len)
{
	buf[0] = '\0';
	if (s->explained_by >= 0 && s->kind == LEAK_SUBTREE)
		snprintf(buf, len, "%zu processes, grows with process %lld", s->members,
		         (long long)s->explained_by);
	else if (s->explained_by >= 0)
		snprintf(buf, len, "grows with process %lld", (long long)s->explained_by);
	else if (s->kind == LEAK_SUBTREE)
		snprintf(buf, len, "%zu processes", s->members);
	else if (s->heap == LEAK_HEAP_GROWS)
		snprintf(buf, len, "heap in use grows too: a leak");
	else if (s->heap == LEAK_HEAP_RETENTION)
		snprintf(
		    buf, len,
		    "heap in use flat: allocator retention (vitals_release_memory() returns it)");
	return buf;
}

void leak_options_init(struct leak_options *o)
{
	memset(o, 0, sizeof(*o));
	o->root_pid = -1;
	o->depth = -1;
	o->min_confidence = 0.99;
	o->from = INT64_MIN;
	o->to = INT64_MAX;
}

void leaks_columns(const char *const **columns, size_t *ncolumns, const char *const **kinds,
                   size_t *nkinds)
{
	*columns = leak_cols;
	*ncolumns = sizeof(leak_cols) / sizeof(leak_cols[0]);
	if (kinds)
		*kinds = leak_kinds;
	if (nkinds)
		*nkinds = sizeof(leak_kinds) / sizeof(leak_kinds[0]);
}

/* ---- statistics --------------------------------------------------------- */

/* The K-th smallest of A[0..N) (A is reordered). */
static double select_kth(double *a, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = a[lo + (hi - lo) / 2];
		size_t i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				double t = a[i];
				a[i] = a[j];
				a[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

static double median(double *a, size_t n)
{
	double hi;

	if (!n)
		return NAN;
	hi = select_kth(a, n, n / 2);
	if (n % 2)
		return hi;
	/* The largest of the lower half is the maximum of a[0 .. n/2). */
	{
		double lo = a[0];
		for (size_t i = 1; i < n / 2; i++)
			if (a[i] > lo)
				lo = a[i];
		return (lo + hi) / 2;
	}
}

struct fit_scratch {
	double *pairs; /* m(m-1)/2 slopes */
	double *tmp;   /* m values */
};

/* Theil-Sen slope of (x, y)[a, b); NaN when every x is equal. */
static double theil_sen(struct fit_scratch *fs, const double *x, const double *y, size_t a,
                        size_t b)
{
	size_t k = 0;

	for (size_t i = a; i < b; i++)
		for (size_t j = i + 1; j < b; j++)
			if (x[j] != x[i])
				fs->pairs[k++] = (y[j] - y[i]) / (x[j] - x[i]);
	return median(fs->pairs, k);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The Mann-Kendall Z of an upward trend in y[a, b) (in time order), with ties corrected. */
static double mann_kendall(struct fit_scratch *fs, const double *y, size_t a, size_t b)
{
	size_t n = b - a;
	double s = 0, var, ties = 0;

	if (n < 3)
		return 0;
	for (size_t i = a; i < b; i++)
		for (size_t j = i + 1; j < b; j++)
			s += (y[j] > y[i]) - (y[j] < y[i]);
	memcpy(fs->tmp, y + a, n * sizeof(double));
	qsort(fs->tmp, n, sizeof(double), cmp_double);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && fs->tmp[j] == fs->tmp[i])
			j++;
		if (j - i > 1) {
			double t = (double)(j - i);
			ties += t * (t - 1) * (2 * t + 5);
		}
		i = j;
	}
	var = ((double)n * (double)(n - 1) * (2.0 * (double)n + 5) - ties) / 18.0;
	if (var <= 0)
		return 0;
	if (s > 0)
		return (s - 1) / sqrt(var);
	if (s < 0)
		return (s + 1) / sqrt(var);
	return 0;
}

/* Robust spread of the residuals of y[a, b) around the line of SLOPE. */
static double residual_noise(struct fit_scratch *fs, const double *x, const double *y, size_t a,
                             size_t b, double slope)
{
	size_t n = b - a;
	double icpt;

	for (size_t i = 0; i < n; i++)
		fs->tmp[i] = y[a + i] - slope * x[a + i];
	icpt = median(fs->tmp, n);
	for (size_t i = 0; i < n; i++)
		fs->tmp[i] = fabs(y[a + i] - slope * x[a + i] - icpt);
	return 1.4826 * median(fs->tmp, n);
}

/* Medians of W equal windows of y[a, b) into wm. */
static void window_medians(struct fit_scratch *fs, const double *y, size_t a, size_t b, int w,
                           double *wm)
{
	size_t n = b - a;

	for (int i = 0; i < w; i++) {
		size_t s = a + n * (size_t)i / (size_t)w, e = a + n * (size_t)(i + 1) / (size_t)w;
		memcpy(fs->tmp, y + s, (e - s) * sizeof(double));
		wm[i] = median(fs->tmp, e - s);
	}
}

/* The fewest points a growth may span at the end of M: a quarter, and at least 8. */
static size_t min_tail(size_t m)
{
	size_t q = 2 * m / WINDOWS;

	return q > WINDOWS ? q : WINDOWS;
}

/*
 * The hinge of y[a, m): the point k in the first two windows after A where
 * a flat line followed by a straight one (y = c + r max(0, x - x[k]))
 * fits best in least squares, so a rate is not diluted by the flat stretch
 * before a leak begins.
 */
static size_t refine_start(const double *x, const double *y, size_t a, size_t m)
{
	size_t end = a + 2 * m / WINDOWS, best = a;
	double best_sse = INFINITY;

	if (end > m - min_tail(m))
		end = m - min_tail(m);
	for (size_t k = a; k <= end; k++) {
		double n = (double)(m - a), sz = 0, sy = 0, szz = 0, szy = 0, syy = 0, d, r, c, sse;

		for (size_t i = a; i < m; i++) {
			double z = x[i] > x[k] ? x[i] - x[k] : 0;
			sz += z;
			sy += y[i];
			szz += z * z;
			szy += z * y[i];
			syy += y[i] * y[i];
		}
		d = n * szz - sz * sz;
		if (d <= 0)
			continue;
		r = (n * szy - sz * sy) / d;
		c = (sy - r * sz) / n;
		sse = syy - 2 * c * sy - 2 * r * szy + n * c * c + 2 * c * r * sz + r * r * szz;
		if (sse < best_sse) {
			best_sse = sse;
			best = k;
		}
	}
	return best;
}

int leak_fit(const int64_t *t, const double *v, size_t n, int bytes, const struct leak_options *o,
             struct leak_suspect *s)
{
	struct fit_scratch fs = {NULL, NULL};
	double *x = NULL, *y = NULL, wm[WINDOWS], tol, lo, hi, sigma, z;
	int64_t *xt = NULL;
	size_t first = 0, m, chunk, a, w2;
	int64_t t0;
	int ups = 0, rc = VITALS_OK;
	double total, maxjump = 0, maxdrop = 0;

	s->suspect = 0;
	s->rate = NAN;
	s->confidence = NAN;
	s->growth = NAN;
	s->noise = NAN;
	s->first_value = NAN;
	s->last_value = NAN;
	s->points = 0;
	s->start = s->first = s->last = -1;
	if (!n)
		return VITALS_OK;
	while (first < n && (double)(t[first] - t[0]) < o->skip * 1e6)
		first++;
	n -= first;
	t += first;
	v += first;
	s->points = n;
	if (!n)
		return VITALS_OK;
	s->first = t[0];
	s->last = t[n - 1];
	if (n < WINDOWS || (double)(t[n - 1] - t[0]) < o->min_duration * 1e6 || t[n - 1] == t[0])
		return VITALS_OK;

	/* Means of consecutive chunks: at most LEAK_POINTS_MAX points. */
	chunk = (n + LEAK_POINTS_MAX - 1) / LEAK_POINTS_MAX;
	m = (n + chunk - 1) / chunk;
	x = malloc(m * sizeof(*x));
	y = malloc(m * sizeof(*y));
	xt = malloc(m * sizeof(*xt));
	fs.pairs = malloc((m * (m - 1) / 2 + 1) * sizeof(double));
	fs.tmp = malloc(m * sizeof(double));
	if (!x || !y || !xt || !fs.pairs || !fs.tmp) {
		rc = VITALS_E_NOMEM;
		goto out;
	}
	t0 = t[0];
	for (size_t i = 0; i < m; i++) {
		size_t s0 = i * chunk, e = s0 + chunk < n ? s0 + chunk : n;
		double sx = 0, sy = 0;

		for (size_t j = s0; j < e; j++) {
			sx += (double)(t[j] - t0) / 1e6;
			sy += v[j];
		}
		x[i] = sx / (double)(e - s0);
		y[i] = sy / (double)(e - s0);
		xt[i] = t[s0];
	}
	if (m < WINDOWS)
		goto out;

	/* Where the growth starts: the end of the leading stretch within the noise of its minimum.
	 */
	{
		double slope = theil_sen(&fs, x, y, 0, m);
		double noise = residual_noise(&fs, x, y, 0, m, isfinite(slope) ? slope : 0);
		int start_w = 0;

		window_medians(&fs, y, 0, m, WINDOWS, wm);
		lo = hi = wm[0];
		for (int i = 1; i < WINDOWS; i++) {
			lo = wm[i] < lo ? wm[i] : lo;
			hi = wm[i] > hi ? wm[i] : hi;
		}
		tol = 3 * noise / sqrt((double)m / WINDOWS);
		if (tol < 0.02 * (hi - lo))
			tol = 0.02 * (hi - lo);
		lo = wm[0];
		for (int i = 0; i < WINDOWS; i++) {
			lo = wm[i] < lo ? wm[i] : lo;
			if (wm[i] <= lo + tol)
				start_w = i;
		}
		a = m * (size_t)start_w / WINDOWS;
	}
	/* The growth must span at least two windows (a quarter of the series), and 8 points. */
	if (a > m - min_tail(m))
		a = m - min_tail(m);
	a = refine_start(x, y, a, m);

	/* The fit from the start of the growth. */
	s->rate = theil_sen(&fs, x, y, a, m);
	if (!isfinite(s->rate))
		goto out;
	z = mann_kendall(&fs, y, a, m);
	s->confidence = 0.5 * erfc(-z / sqrt(2.0));
	sigma = residual_noise(&fs, x, y, a, m, s->rate);
	s->noise = sigma;
	s->start = xt[a];
	s->growth = s->rate * (double)(t[n - 1] - s->start) / 1e6;

	/* Sustained: most steps between window medians go up, none carries half of it. */
	w2 = (m - a) / 2 < WINDOWS ? (m - a) / 2 : WINDOWS;
	if (w2 < 4)
		w2 = 4;
	window_medians(&fs, y, a, m, (int)w2, wm);
	for (size_t i = 0; i + 1 < w2; i++) {
		double d = wm[i + 1] - wm[i];
		ups += d > 0;
		maxjump = d > maxjump ? d : maxjump;
		maxdrop = -d > maxdrop ? -d : maxdrop;
	}
	total = wm[w2 - 1] - wm[0];
	s->first_value = wm[0];
	s->last_value = wm[w2 - 1];
	s->suspect = s->rate > 0 && s->confidence >= o->min_confidence && total > 0 &&
	             ups >= (int)w2 - 2 && maxjump <= 0.5 * total && maxdrop <= 0.5 * total &&
	             s->growth >= 3 * sigma && (!bytes || s->growth >= LEAK_MIN_GROWTH);
out:
	free(x);
	free(y);
	free(xt);
	free(fs.pairs);
	free(fs.tmp);
	return rc;
}

/* ---- the series of a trace ---------------------------------------------- */

struct analysis {
	const struct series_set *set;
	const struct leak_options *o;
	struct leak_report *rep;
	size_t cap;
	int64_t *t;
	double *v;
	size_t tv_cap;
	char *err;
	size_t errlen;
};

static int fail_nomem(struct analysis *an)
{
	if (an->errlen)
		snprintf(an->err, an->errlen, "out of memory");
	return VITALS_E_NOMEM;
}

static int tv_room(struct analysis *an, size_t n)
{
	if (n <= an->tv_cap)
		return VITALS_OK;
	free(an->t);
	free(an->v);
	an->t = malloc(n * sizeof(*an->t));
	an->v = malloc(n * sizeof(*an->v));
	if (!an->t || !an->v) {
		an->tv_cap = 0;
		return fail_nomem(an);
	}
	an->tv_cap = n;
	return VITALS_OK;
}

/* The valid points of column C of S into an->t/v; their count (or a status). */
static long gather(struct analysis *an, const struct series *s, int c, double *max)
{
	size_t k = 0;

	*max = -INFINITY;
	if (tv_room(an, s->n) < 0)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->valid[c][i])
			continue;
		an->t[k] = s->t[i];
		an->v[k] = s->v[c][i];
		if (an->v[k] > *max)
			*max = an->v[k];
		k++;
	}
	return (long)k;
}

static struct leak_suspect *item_new(struct analysis *an)
{
	struct leak_report *r = an->rep;

	if (r->count == an->cap) {
		size_t cap = an->cap ? an->cap * 2 : 64;
		struct leak_suspect *n = realloc(r->items, cap * sizeof(*n));
		if (!n)
			return NULL;
		r->items = n;
		an->cap = cap;
	}
	memset(&r->items[r->count], 0, sizeof(r->items[0]));
	r->items[r->count].pid = -1;
	r->items[r->count].series = -1;
	r->items[r->count].start_time = -1;
	r->items[r->count].members = 1;
	r->items[r->count].explained_by = -1;
	r->items[r->count].explained_start_time = -1;
	r->items[r->count].heap_rate = NAN;
	r->items[r->count].projection = NAN;
	return &r->items[r->count++];
}

/* Fit AN's gathered N points as a new item; the item, or NULL on failure. */
static struct leak_suspect *fit_item(struct analysis *an, size_t n, enum leak_kind kind,
                                     const struct series *s, const char *metric, int bytes, int *rc)
{
	struct leak_suspect *it = item_new(an);

	if (!it) {
		*rc = fail_nomem(an);
		return NULL;
	}
	it->kind = kind;
	it->series = (long)(s - an->set->series);
	it->id = s->id;
	it->name = s->name;
	it->metric = metric;
	it->bytes = bytes;
	if (kind == LEAK_PROCESS || kind == LEAK_SUBTREE || kind == LEAK_HEAP) {
		it->pid = s->pid;
		it->start_time = s->start_time;
	}
	*rc = leak_fit(an->t, an->v, n, bytes, an->o, it);
	if (*rc < 0) {
		*rc = fail_nomem(an);
		return NULL;
	}
	an->rep->analysed++;
	if (!isfinite(it->rate)) {
		an->rep->count--; /* too short to say anything */
		return NULL;
	}
	return it;
}

/* Process relations: parent index per process series (-1 none). */
struct tree {
	size_t *procs; /* indices into set->series of the processes */
	size_t nprocs;
	long *proc_of; /* per series: its index in procs, -1 when not a process */
	long *parent;  /* per process (index into procs) */
	int *depth;    /* below the root; -1 out of scope */
	size_t **kids;
	size_t *nkids;
};

struct pid_order {
	const struct series_set *set;
	const size_t *procs;
};

/* Positions in procs, by (pid, start time) of the series they name. */
static int cmp_pid(const void *a, const void *b, void *ctx)
{
	const struct pid_order *po = ctx;
	const struct series *x = &po->set->series[po->procs[*(const size_t *)a]],
	                    *y = &po->set->series[po->procs[*(const size_t *)b]];
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start_time < y->start_time ? -1 : x->start_time > y->start_time;
}

static void tree_free(struct tree *tr)
{
	if (tr->kids)
		for (size_t i = 0; i < tr->nprocs; i++)
			free(tr->kids[i]);
	free(tr->kids);
	free(tr->nkids);
	free(tr->procs);
	free(tr->proc_of);
	free(tr->parent);
	free(tr->depth);
}

static int tree_build(struct analysis *an, struct tree *tr)
{
	const struct series_set *set = an->set;
	size_t *byp = NULL;

	memset(tr, 0, sizeof(*tr));
	tr->procs = malloc((set->count + 1) * sizeof(*tr->procs));
	tr->proc_of = malloc((set->count + 1) * sizeof(*tr->proc_of));
	if (!tr->procs || !tr->proc_of)
		return fail_nomem(an);
	for (size_t i = 0; i < set->count; i++) {
		tr->proc_of[i] = -1;
		if (strcmp(set->series[i].kind, "process") == 0) {
			tr->proc_of[i] = (long)tr->nprocs;
			tr->procs[tr->nprocs++] = i;
		}
	}
	tr->parent = malloc((tr->nprocs + 1) * sizeof(*tr->parent));
	tr->depth = malloc((tr->nprocs + 1) * sizeof(*tr->depth));
	tr->kids = calloc(tr->nprocs + 1, sizeof(*tr->kids));
	tr->nkids = calloc(tr->nprocs + 1, sizeof(*tr->nkids));
	byp = malloc((tr->nprocs + 1) * sizeof(*byp));
	if (!tr->parent || !tr->depth || !tr->kids || !tr->nkids || !byp) {
		free(byp);
		return fail_nomem(an);
	}
	/* Sorted by (pid, start time), to find each one's parent by binary search. */
	for (size_t i = 0; i < tr->nprocs; i++)
		byp[i] = i;
	{
		struct pid_order po = {set, tr->procs};
		qsort_r(byp, tr->nprocs, sizeof(*byp), cmp_pid, &po);
	}
	for (size_t i = 0; i < tr->nprocs; i++) {
		const struct series *s = &set->series[tr->procs[i]];
		size_t lo = 0, hi = tr->nprocs;
		long best = -1;

		tr->parent[i] = -1;
		if (s->ppid < 0 || s->ppid == s->pid)
			continue;
		/* The first entry with pid >= ppid. */
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (set->series[tr->procs[byp[mid]]].pid < s->ppid)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* Of the processes with that pid, the last that started before this one. */
		for (size_t j = lo; j < tr->nprocs; j++) {
			const struct series *p = &set->series[tr->procs[byp[j]]];
			if (p->pid != s->ppid)
				break;
			if (best < 0 || s->start_time < 0 || p->start_time <= s->start_time)
				best = (long)byp[j];
		}
		tr->parent[i] = best;
	}
	free(byp);
	/* Children lists. */
	for (size_t i = 0; i < tr->nprocs; i++)
		if (tr->parent[i] >= 0)
			tr->nkids[tr->parent[i]]++;
	for (size_t i = 0; i < tr->nprocs; i++) {
		if (tr->nkids[i]) {
			tr->kids[i] = malloc(tr->nkids[i] * sizeof(**tr->kids));
			if (!tr->kids[i])
				return fail_nomem(an);
		}
		tr->nkids[i] = 0;
	}
	for (size_t i = 0; i < tr->nprocs; i++)
		if (tr->parent[i] >= 0) {
			size_t p = (size_t)tr->parent[i];
			tr->kids[p][tr->nkids[p]++] = i;
		}
	/* Scope: depth below the root (every process when there is no root). */
	for (size_t i = 0; i < tr->nprocs; i++) {
		long p = (long)i;
		int d = 0;

		tr->depth[i] = -1;
		if (an->o->root_pid < 0) {
			tr->depth[i] = 0;
			continue;
		}
		while (p >= 0 && d <= 4096) {
			if (set->series[tr->procs[p]].pid == an->o->root_pid) {
				if (an->o->depth < 0 || d <= an->o->depth)
					tr->depth[i] = d;
				break;
			}
			p = tr->parent[p];
			d++;
		}
	}
	return VITALS_OK;
}

struct tpoint {
	int64_t slot;
	double v;
};

static int cmp_tpoint(const void *a, const void *b)
{
	const struct tpoint *x = a, *y = b;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median gap between points of S (microseconds), at least 1. */
static int64_t series_gap(const struct series *s)
{
	int64_t *g, r = 1;
	size_t n = 0;

	if (s->n < 2)
		return 1000000;
	g = malloc((s->n - 1) * sizeof(*g));
	if (!g)
		return 1000000;
	for (size_t i = 1; i < s->n; i++)
		g[n++] = s->t[i] - s->t[i - 1];
	qsort(g, n, sizeof(*g), cmp_i64);
	r = g[n / 2] > 0 ? g[n / 2] : 1;
	free(g);
	return r;
}

/* Collect the members of the subtree of process I (in scope) into LIST. */
static size_t subtree_members(const struct tree *tr, size_t i, size_t *list, size_t cap)
{
	size_t n = 0, head = 0;

	list[n++] = i;
	while (head < n) {
		size_t p = list[head++];
		for (size_t k = 0; k < tr->nkids[p] && n < cap; k++)
			if (tr->depth[tr->kids[p][k]] >= 0)
				list[n++] = tr->kids[p][k];
	}
	return n;
}

static int analyse_subtrees(struct analysis *an, const struct tree *tr, int rss)
{
	const struct series_set *set = an->set;
	size_t *list = malloc((tr->nprocs + 1) * sizeof(*list));
	struct tpoint *pts = NULL;
	size_t pcap = 0;
	int rc = VITALS_OK;

	if (!list)
		return fail_nomem(an);
	for (size_t i = 0; i < tr->nprocs; i++) {
		const struct series *root = &set->series[tr->procs[i]];
		size_t nm, np = 0, longest = 0, total = 0, k;
		int64_t slot, base;
		double maxv = -INFINITY;
		struct leak_suspect *it;

		if (tr->depth[i] < 0 || !tr->nkids[i])
			continue;
		nm = subtree_members(tr, i, list, tr->nprocs);
		if (nm < 2)
			continue;
		for (size_t j = 0; j < nm; j++) {
			const struct series *s = &set->series[tr->procs[list[j]]];
			total += s->n;
			if (s->n > set->series[tr->procs[list[longest]]].n)
				longest = j;
		}
		slot = series_gap(&set->series[tr->procs[list[longest]]]);
		base = set->first_time;
		if (total > pcap) {
			struct tpoint *np2 = realloc(pts, total * sizeof(*pts));
			if (!np2) {
				rc = fail_nomem(an);
				goto out;
			}
			pts = np2;
			pcap = total;
		}
		for (size_t j = 0; j < nm; j++) {
			const struct series *s = &set->series[tr->procs[list[j]]];
			for (size_t p = 0; p < s->n; p++)
				if (s->valid[rss][p]) {
					/* Points of one sample fall in one slot, even averaged. */
					int64_t d = s->t[p] - base;
					pts[np].slot = (d + slot / 2) / slot;
					pts[np].v = s->v[rss][p];
					np++;
				}
		}
		if (np > 1)
			qsort(pts, np, sizeof(*pts), cmp_tpoint);
		rc = tv_room(an, np);
		if (rc < 0)
			goto out;
		k = 0;
		for (size_t p = 0; p < np;) {
			size_t q = p;
			double sum = 0;
			while (q < np && pts[q].slot == pts[p].slot)
				sum += pts[q++].v;
			an->t[k] = base + pts[p].slot * slot;
			an->v[k] = sum;
			maxv = sum > maxv ? sum : maxv;
			k++;
			p = q;
		}
		if (maxv < an->o->threshold)
			continue;
		it = fit_item(an, k, LEAK_SUBTREE, root, "rss_bytes", 1, &rc);
		if (rc < 0)
			goto out;
		if (it)
			it->members = nm;
	}
out:
	free(list);
	free(pts);
	return rc;
}

/* Whether gauge path ID is within --path and --depth. */
static int gauge_in_scope(const struct leak_options *o, const char *id)
{
	const char *rest = id;
	int comps = 0;

	if (o->path) {
		size_t n = strlen(o->path);
		if (strncmp(id, o->path, n) != 0)
			return 0;
		rest = id + n;
	}
	if (o->depth < 0)
		return 1;
	for (const char *p = rest; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		comps++;
		while (*p && *p != '/')
			p++;
	}
	return comps <= o->depth;
}

/*
 * The value of column C of S at time T, linear between its valid points
 * around T (at most GAP apart); NaN outside them. *POS: where the last
 * look ended (the times asked go up).
 */
static double value_at(const struct series *s, int c, int64_t t, int64_t gap, size_t *pos)
{
	size_t i = *pos, prev;

	while (i < s->n && (s->t[i] < t || !s->valid[c][i]))
		i++;
	*pos = i > 0 ? i - 1 : 0;
	if (i == s->n)
		return NAN;
	if (s->t[i] == t)
		return s->v[c][i];
	for (prev = i; prev-- > 0;)
		if (s->valid[c][prev])
			break;
	if (prev >= i || s->t[i] - s->t[prev] > gap)
		return NAN;
	return s->v[c][prev] + (s->v[c][i] - s->v[c][prev]) * (double)(t - s->t[prev]) /
	                           (double)(s->t[i] - s->t[prev]);
}

/*
 * Whether process suspect P explains the growth of cgroup suspect G: P
 * grows at two thirds to one and a half times G's rate, from about the
 * same time (within a quarter of G's growth), and G less P, from the
 * earlier of the two starts, is flat (its rate under a third of G's):
 * the same growth at the same time. A trace does not say which cgroup a
 * process series is in, so the shape is the test; a process in another
 * group that grows the same way at the same time would pass it too.
 */
static int explains(struct analysis *an, const struct leak_suspect *g, int gc,
                    const struct leak_suspect *p, int rss, int *rc)
{
	const struct series *gs = &an->set->series[g->series], *ps = &an->set->series[p->series];
	struct leak_options o = *an->o;
	struct leak_suspect rest;
	int64_t gap = 3 * series_gap(gs), from, *t = NULL;
	size_t n = 0, pos = 0;
	double *v = NULL;
	int yes = 0;

	if (!(p->rate >= g->rate * 2 / 3 && p->rate <= g->rate * 3 / 2))
		return 0;
	if (llabs(p->start - g->start) > (g->last - g->start) / 4)
		return 0;
	if (gap < 3 * series_gap(ps))
		gap = 3 * series_gap(ps);
	from = p->start < g->start ? p->start : g->start;
	t = malloc((gs->n + 1) * sizeof(*t));
	v = malloc((gs->n + 1) * sizeof(*v));
	if (!t || !v) {
		*rc = fail_nomem(an);
		goto out_free;
	}
	for (size_t i = 0; i < gs->n; i++) {
		double pv;

		if (!gs->valid[gc][i] || gs->t[i] < from || gs->t[i] < g->first ||
		    gs->t[i] > g->last)
			continue;
		pv = value_at(ps, rss, gs->t[i], gap, &pos);
		if (isnan(pv))
			continue;
		t[n] = gs->t[i];
		v[n] = gs->v[gc][i] - pv;
		n++;
	}
	/* Most of the growth must be seen beside the process, or nothing is said. */
	if (n < WINDOWS || n < g->points / 2)
		goto out_free;
	o.skip = 0;
	o.min_duration = 0;
	memset(&rest, 0, sizeof(rest));
	*rc = leak_fit(t, v, n, 1, &o, &rest);
	if (*rc < 0) {
		*rc = fail_nomem(an);
		goto out_free;
	}
	yes = isfinite(rest.rate) && fabs(rest.rate) < g->rate / 3;
out_free:
	free(t);
	free(v);
	return yes;
}

/*
 * Each cgroup suspect whose growth a process suspect explains is marked
 * as its (explained_by), to be listed right after it. Of several, the
 * fastest.
 */
static int explain_cgroups(struct analysis *an, int gc, int rss)
{
	struct leak_report *r = an->rep;
	int rc = VITALS_OK;

	for (size_t i = 0; i < r->count; i++) {
		struct leak_suspect *g = &r->items[i];
		const struct leak_suspect *best = NULL;

		if (g->kind != LEAK_CGROUP || !g->suspect)
			continue;
		for (size_t j = 0; j < r->count; j++) {
			const struct leak_suspect *p = &r->items[j];

			if (p->kind != LEAK_PROCESS || !p->suspect ||
			    (best && p->rate <= best->rate))
				continue;
			if (explains(an, g, gc, p, rss, &rc))
				best = p;
			if (rc < 0)
				return rc;
		}
		if (best) {
			g->explained_by = best->pid;
			g->explained_start_time = best->start_time;
		}
	}
	return rc;
}

/* Whether E is explained by process item P. */
static int explained_by(const struct leak_suspect *e, const struct leak_suspect *p)
{
	return e->explained_by >= 0 && p->kind == LEAK_PROCESS && p->pid == e->explained_by &&
	       p->start_time == e->explained_start_time;
}

/*
 * Put each suspect explained by a process right after it (they are sorted
 * by rate; a group grows a little faster than the process it holds).
 */
static int place_explained(struct analysis *an)
{
	struct leak_report *r = an->rep;
	struct leak_suspect *out;
	uint8_t *done;
	size_t k = 0;

	if (r->suspects == 0)
		return VITALS_OK; /* nothing to place (and items may be NULL) */
	out = malloc((r->suspects + 1) * sizeof(*out));
	done = calloc(r->suspects + 1, 1);
	if (!out || !done) {
		free(out);
		free(done);
		return fail_nomem(an);
	}
	for (size_t i = 0; i < r->suspects; i++) {
		const struct leak_suspect *it = &r->items[i];
		int found = 0;

		if (done[i])
			continue;
		/* An explained one waits for its process, when that is listed. */
		for (size_t j = 0; it->kind != LEAK_PROCESS && j < r->suspects && !found; j++)
			found = explained_by(it, &r->items[j]);
		if (found)
			continue;
		out[k++] = *it;
		done[i] = 1;
		for (size_t j = 0; j < r->suspects; j++)
			if (!done[j] && explained_by(&r->items[j], it)) {
				out[k++] = r->items[j];
				done[j] = 1;
			}
	}
	for (size_t i = 0; i < r->suspects; i++)
		if (!done[i])
			out[k++] = r->items[i]; /* not reached: every process is listed */
	memcpy(r->items, out, r->suspects * sizeof(*out));
	free(out);
	free(done);
	return VITALS_OK;
}

static int cmp_item(const void *a, const void *b)
{
	const struct leak_suspect *x = a, *y = b;

	if (x->suspect != y->suspect)
		return x->suspect ? -1 : 1;
	if (isnan(x->rate) || isnan(y->rate))
		return isnan(x->rate) - isnan(y->rate);
	if (x->rate != y->rate)
		return x->rate > y->rate ? -1 : 1;
	return 0;
}

int leaks_analyze(const struct series_set *set, const struct leak_options *o,
                  struct leak_report **out, char *err, size_t errlen)
{
	struct leak_options defaults;
	struct analysis an;
	struct tree tr;
	int rss = series_set_column(set, "rss_bytes"),
	    heap = series_set_column(set, "heap_in_use_bytes"),
	    value = series_set_column(set, "value"),
	    avail = series_set_column(set, "mem_available_bytes"), cg = -1;
	int64_t avail_t = INT64_MIN;
	int rc = VITALS_OK;

	*out = NULL;
	if (!o) {
		leak_options_init(&defaults);
		o = &defaults;
	}
	memset(&an, 0, sizeof(an));
	memset(&tr, 0, sizeof(tr));
	an.set = set;
	an.o = o;
	an.err = err;
	an.errlen = errlen;
	an.rep = calloc(1, sizeof(*an.rep));
	if (!an.rep)
		return fail_nomem(&an);
	an.rep->available = NAN;
	an.rep->first = set->first_time;
	an.rep->last = set->last_time;
	for (size_t i = 0; i < sizeof(cgroup_cols) / sizeof(cgroup_cols[0]) && cg < 0; i++) {
		cg = series_set_column(set, cgroup_cols[i]);
		if (cg >= 0 && !set->have[cg])
			cg = -1;
	}
	/* The machine's available memory: its last value. */
	for (size_t i = 0; avail >= 0 && i < set->count; i++) {
		const struct series *s = &set->series[i];
		if (strcmp(s->kind, "system") != 0)
			continue;
		for (size_t j = s->n; j-- > 0;)
			if (s->valid[avail][j]) {
				if (s->t[j] > avail_t) {
					avail_t = s->t[j];
					an.rep->available = s->v[avail][j];
				}
				break;
			}
	}

	if (rss >= 0) {
		rc = tree_build(&an, &tr);
		if (rc < 0)
			goto out;
		for (size_t i = 0; i < tr.nprocs; i++) {
			const struct series *s = &set->series[tr.procs[i]];
			struct leak_suspect *it, *ht = NULL;
			double maxv;
			long n;

			if (tr.depth[i] < 0)
				continue;
			n = gather(&an, s, rss, &maxv);
			if (n < 0) {
				rc = (int)n;
				goto out;
			}
			if (maxv < o->threshold)
				continue;
			it = fit_item(&an, (size_t)n, LEAK_PROCESS, s, "rss_bytes", 1, &rc);
			if (rc < 0)
				goto out;
			if (heap < 0)
				continue;
			n = gather(&an, s, heap, &maxv);
			if (n < 0) {
				rc = (int)n;
				goto out;
			}
			if (n >= WINDOWS) {
				size_t pos = it ? (size_t)(it - an.rep->items) : 0;
				ht = fit_item(&an, (size_t)n, LEAK_HEAP, s, "heap_in_use_bytes", 1,
				              &rc);
				if (rc < 0)
					goto out;
				it = it ? &an.rep->items[pos] : NULL; /* the array may have moved */
			}
			if (it && ht) {
				it->heap_rate = ht->rate;
				if (ht->suspect || ht->rate >= 0.5 * it->rate)
					it->heap = LEAK_HEAP_GROWS;
				else
					it->heap = LEAK_HEAP_RETENTION;
			}
		}
		rc = analyse_subtrees(&an, &tr, rss);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < set->count; i++) {
		const struct series *s = &set->series[i];
		int col = -1, bytes = 1;
		enum leak_kind kind;
		double maxv;
		long n;

		if (cg >= 0 && o->root_pid < 0 && strcmp(s->kind, "cgroup") == 0) {
			col = cg;
			kind = LEAK_CGROUP;
		} else if (value >= 0 && strcmp(s->kind, "gauge") == 0 &&
		           gauge_in_scope(o, s->id)) {
			col = value;
			kind = LEAK_GAUGE;
			bytes = 0;
		}
		if (col < 0)
			continue;
		n = gather(&an, s, col, &maxv);
		if (n < 0) {
			rc = (int)n;
			goto out;
		}
		if (bytes && maxv < o->threshold)
			continue;
		fit_item(&an, (size_t)n, kind, s, set->columns[col], bytes, &rc);
		if (rc < 0)
			goto out;
	}

	/*
	 * A subtree whose growth a process or a smaller subtree inside it
	 * explains is theirs.
	 */
	for (size_t i = 0; i < an.rep->count; i++) {
		struct leak_suspect *st = &an.rep->items[i];
		if (st->kind != LEAK_SUBTREE || !st->suspect)
			continue;
		for (size_t j = 0; j < an.rep->count; j++) {
			const struct leak_suspect *p = &an.rep->items[j];
			if ((p->kind == LEAK_PROCESS || p->kind == LEAK_SUBTREE) && p != st &&
			    p->suspect && p->rate >= st->rate * 2 / 3) {
				/* Is P in ST's subtree? Walk up from P. */
				long q = p->series >= 0 ? tr.proc_of[p->series] : -1;
				for (int d = 0; q >= 0 && d < 4096; d++) {
					if ((long)tr.procs[q] == st->series) {
						st->suspect = 0;
						st->explained_by = p->pid;
						st->explained_start_time = p->start_time;
						break;
					}
					q = tr.parent[q];
				}
				if (!st->suspect)
					break;
			}
		}
	}
	if (cg >= 0 && rss >= 0) {
		rc = explain_cgroups(&an, cg, rss);
		if (rc < 0)
			goto out;
	}
	for (size_t i = 0; i < an.rep->count; i++) {
		struct leak_suspect *it = &an.rep->items[i];
		if (it->bytes && it->rate > 0 && isfinite(an.rep->available))
			it->projection = an.rep->available / it->rate;
	}
	if (an.rep->count > 1)
		qsort(an.rep->items, an.rep->count, sizeof(*an.rep->items), cmp_item);
	while (an.rep->suspects < an.rep->count && an.rep->items[an.rep->suspects].suspect)
		an.rep->suspects++;
	rc = place_explained(&an);
	if (rc < 0)
		goto out;
	if (!o->all)
		an.rep->count = an.rep->suspects;
out:
	tree_free(&tr);
	free(an.t);
	free(an.v);
	if (rc < 0) {
		leak_report_free(an.rep);
		return rc;
	}
	*out = an.rep;
	return VITALS_OK;
}

void leak_report_free(struct leak_report *r)
{
	if (!r)
		return;
	free(r->items);
	free(r);
}

/* ---- loading ------------------------------------------------------------ */

/* The time span of a Parquet file from its footer; 0 when unknown. */
static int64_t parquet_span(const char *path, int no_follow, int64_t *lo, int64_t *hi)
{
	struct vitals_read_options ro;
	struct vitals_file_info *info;
	char err[256];
	int tc;

	vitals_read_options_init(&ro);
	ro.no_follow = no_follow;
	if (vitals_format_from_path(path) != VITALS_FORMAT_PARQUET ||
	    vitals_file_describe_opts(&info, path, &ro, err, sizeof(err)) < 0)
		return 0;
	tc = vitals_schema_find(info->schema, "time");
	for (size_t g = 0; tc >= 0 && g < info->row_group_count; g++) {
		const struct vitals_chunk_info *c = &info->row_groups[g].columns[tc];
		if (!c->has_int_stats)
			continue;
		*lo = c->min_i < *lo ? c->min_i : *lo;
		*hi = c->max_i > *hi ? c->max_i : *hi;
	}
	vitals_file_info_free(info);
	return *hi > *lo ? *hi - *lo : 0;
}

int leaks_load(struct series_set **out, const char *path, const struct leak_options *o, char *err,
               size_t errlen)
{
	struct leak_options defaults;
	struct series_options so;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	struct stat st;

	if (!o) {
		leak_options_init(&defaults);
		o = &defaults;
	}
	series_options_init(&so);
	leaks_columns(&so.columns, &so.column_count, &so.kinds, &so.kind_count);
	so.from = o->from;
	so.to = o->to;
	so.no_follow = o->no_follow;
	if (stat(path, &st) == 0) {
		parquet_span(path, o->no_follow, &lo, &hi);
	} else {
		char **segs;
		size_t n;
		if (series_find_segments(path, &segs, &n) == 0 && n) {
			parquet_span(segs[0], o->no_follow, &lo, &hi);
			parquet_span(segs[n - 1], o->no_follow, &lo, &hi);
			series_paths_free(segs, n);
		}
	}
	if (hi > lo) {
		if (o->from > lo)
			lo = o->from;
		if (o->to < hi)
			hi = o->to;
		if (hi > lo)
			so.step_us = (hi - lo) / 4096;
	}
	return series_load(out, path, &so, err, errlen);
}
