/*
 * The panels of a trace's chart (see charts.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vitals/common.h>

#include "analyze/charts.h"

#define COLS_MAX 4

/* A panel to draw: columns of entities of one kind. */
struct spec {
	const char *title;
	enum svg_unit unit;
	const char *kind; /* NULL: any kind */
	const char *id;   /* NULL: any entity */
	const char *cols[COLS_MAX];
	const char *labels[COLS_MAX]; /* NULL: the column's name */
	int derive_cpu;               /* CPU% from cpu seconds where cpu_percent is missing */
};

static const struct spec system_specs[] = {
    {"CPU",
     SVG_UNIT_PERCENT,
     "cpu",
     "total",
     {"busy_percent", "user_percent", "system_percent", "iowait_percent"},
     {"busy", "user", "system", "iowait"},
     0},
    {"Memory",
     SVG_UNIT_BYTES,
     "system",
     NULL,
     {"mem_used_bytes", "mem_cached_bytes", "swap_used_bytes"},
     {"used", "cached", "swap used"},
     0},
    {"Disk I/O",
     SVG_UNIT_BYTES_PER_SECOND,
     "disk",
     NULL,
     {"read_bytes_per_second", "write_bytes_per_second"},
     {"read", "write"},
     0},
    {"Network",
     SVG_UNIT_BYTES_PER_SECOND,
     "net",
     NULL,
     {"rx_bytes_per_second", "tx_bytes_per_second"},
     {"received", "sent"},
     0},
};

static const struct spec log_specs[] = {
    {"Resident memory (RSS)",
     SVG_UNIT_BYTES,
     "process",
     NULL,
     {"rss_bytes", "heap_in_use_bytes"},
     {"RSS", "heap in use"},
     0},
    {"Virtual memory (VMS)", SVG_UNIT_BYTES, "process", NULL, {"vms_bytes"}, {"VMS"}, 0},
    {"CPU", SVG_UNIT_PERCENT, "process", NULL, {"cpu_percent"}, {"CPU"}, 1},
    {"Gauges", SVG_UNIT_PLAIN, "gauge", NULL, {"value"}, {""}, 0},
};

static const struct spec process_specs[] = {
    {"Resident memory (RSS)", SVG_UNIT_BYTES, "process", NULL, {"rss_bytes"}, {""}, 0},
    {"CPU", SVG_UNIT_PERCENT, "process", NULL, {"cpu_percent"}, {""}, 1},
    {"Disk I/O",
     SVG_UNIT_BYTES_PER_SECOND,
     "process",
     NULL,
     {"read_bytes_per_second", "write_bytes_per_second"},
     {"read", "write"},
     0},
};

#define NSPECS(a) (sizeof(a) / sizeof((a)[0]))

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

enum svg_unit charts_unit_of(const char *column)
{
	if (ends_with(column, "_percent") || strncmp(column, "some_avg", 8) == 0 ||
	    strncmp(column, "full_avg", 8) == 0)
		return SVG_UNIT_PERCENT;
	if (ends_with(column, "_bytes_per_second"))
		return SVG_UNIT_BYTES_PER_SECOND;
	if (ends_with(column, "_bytes"))
		return SVG_UNIT_BYTES;
	if (ends_with(column, "_seconds"))
		return SVG_UNIT_SECONDS;
	return SVG_UNIT_PLAIN;
}

void charts_options_init(struct charts_options *o)
{
	memset(o, 0, sizeof(*o));
	o->from = INT64_MIN;
	o->to = INT64_MAX;
}

static char *own(struct charts *c, char *s)
{
	if (!s)
		return NULL;
	if (c->nowned == c->owned_cap) {
		size_t cap = c->owned_cap ? 2 * c->owned_cap : 64;
		char **p = realloc(c->owned, cap * sizeof(*p));

		if (!p) {
			free(s);
			return NULL;
		}
		c->owned = p;
		c->owned_cap = cap;
	}
	c->owned[c->nowned++] = s;
	return s;
}

void charts_free(struct charts *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->panels);
	free(c->lines);
	free(c->events);
	series_set_free(c->set);
	free(c);
}

/* Whether series S passes the caller's entity filter. */
static int entity_selected(const struct series *s, const struct charts_options *o)
{
	if (o->kind && strcmp(s->kind, o->kind) != 0)
		return 0;
	if (o->id && strcmp(s->id, o->id) != 0)
		return 0;
	if (o->pid_count) {
		size_t i;

		if (strcmp(s->kind, "process") != 0)
			return 0;
		for (i = 0; i < o->pid_count; i++)
			if (s->pid == o->pids[i])
				break;
		if (i == o->pid_count)
			return 0;
	}
	return 1;
}

static double series_max(const struct series *s, size_t c)
{
	double m = -INFINITY;

	for (size_t i = 0; i < s->n; i++)
		if (s->valid[c][i] && s->v[c][i] > m)
			m = s->v[c][i];
	return m;
}

/* CPU percent of S from its CPU seconds; NULL when it has none. Values owned by C. */
static double *derive_cpu(struct charts *c, const struct series *s, uint8_t **valid_out)
{
	int cu = series_set_column(c->set, "cpu_user_seconds");
	int cs = series_set_column(c->set, "cpu_system_seconds");
	double *v;
	uint8_t *ok;
	size_t last = SIZE_MAX, good = 0;

	if (cu < 0 || cs < 0 || s->n < 2)
		return NULL;
	v = calloc(s->n, sizeof(*v));
	ok = calloc(s->n, 1);
	if (!v || !ok) {
		free(v);
		free(ok);
		return NULL;
	}
	if (!own(c, (char *)v) || !own(c, (char *)ok))
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->valid[cu][i] || !s->valid[cs][i])
			continue;
		if (last != SIZE_MAX && s->t[i] > s->t[last]) {
			double cpu = s->v[cu][i] + s->v[cs][i] - s->v[cu][last] - s->v[cs][last];

			if (cpu >= 0) {
				v[i] = cpu / ((double)(s->t[i] - s->t[last]) / 1e6) * 100;
				ok[i] = 1;
				good++;
			}
		}
		last = i;
	}
	*valid_out = ok;
	return good ? v : NULL;
}

/* An entity's name for a legend: "sda", "python (1234)", "/scene/textures". */
static const char *entity_label(const struct series *s, char *buf, size_t len)
{
	if (strcmp(s->kind, "process") == 0)
		snprintf(buf, len, "%s (%lld)", s->name && *s->name ? s->name : "?",
		         (long long)s->pid);
	else
		snprintf(buf, len, "%s", s->id && *s->id ? s->id : s->kind);
	return buf;
}

struct cand {
	const struct series *s;
	size_t col; /* index into spec->cols */
	double max;
	const double *v;
	const uint8_t *valid;
	size_t order;
};

static int cmp_cand_max(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->max != y->max)
		return x->max < y->max ? 1 : -1;
	return (x->order > y->order) - (x->order < y->order);
}

static int cmp_cand_order(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return (x->order > y->order) - (x->order < y->order);
}

/* Fill panel P from SPEC; the number of lines found. */
static int panel_fill(struct charts *c, const struct spec *sp, const struct charts_options *o,
                      struct svg_panel *p, struct svg_line *lines, size_t *nlines_total)
{
	const struct series_set *set = c->set;
	size_t top = o->top ? o->top : 8, n = 0, cap = 0, entities = 0;
	struct cand *cands = NULL;
	int status = 0;

	for (size_t i = 0; i < set->count; i++) {
		const struct series *s = &set->series[i];

		if ((sp->kind && strcmp(s->kind, sp->kind) != 0) ||
		    (sp->id && strcmp(s->id, sp->id) != 0) || !entity_selected(s, o))
			continue;
		if (strcmp(s->kind, "event") == 0)
			continue;
		entities++;
		for (size_t k = 0; k < COLS_MAX && sp->cols[k]; k++) {
			int sc = series_set_column(set, sp->cols[k]);
			const double *v = NULL;
			const uint8_t *ok = NULL;
			double m = -INFINITY;

			if (sc >= 0) {
				m = series_max(s, (size_t)sc);
				v = s->v[sc];
				ok = s->valid[sc];
			}
			if (m == -INFINITY && sp->derive_cpu) {
				uint8_t *dok = NULL;
				double *dv = derive_cpu(c, s, &dok);

				if (dv) {
					v = dv;
					ok = dok;
					m = 0;
					for (size_t j = 0; j < s->n; j++)
						if (ok[j] && v[j] > m)
							m = v[j];
				}
			}
			if (m == -INFINITY)
				continue;
			if (n == cap) {
				size_t nc = cap ? 2 * cap : 32;
				struct cand *q = realloc(cands, nc * sizeof(*q));

				if (!q) {
					status = VITALS_E_NOMEM;
					goto out_free;
				}
				cands = q;
				cap = nc;
			}
			cands[n] = (struct cand){s, k, m, v, ok, n};
			n++;
		}
	}
	if (!sp->id && (!sp->kind || strcmp(sp->kind, "system") != 0) && !o->metric_count) {
		/* Entities that stayed at zero (an idle interface) only crowd the legend. */
		size_t kept = 0;

		for (size_t i = 0; i < n; i++)
			if (cands[i].max > 0)
				cands[kept++] = cands[i];
		if (kept) {
			n = kept;
		} else if (n > 2) {
			/* All at zero: two lines say it. */
			p->more = n - 2;
			n = 2;
		}
	}
	if (n > top) {
		qsort(cands, n, sizeof(*cands), cmp_cand_max);
		qsort(cands, top, sizeof(*cands), cmp_cand_order);
		p->more = n - top;
		n = top;
	}
	p->title = sp->title;
	p->unit = sp->unit;
	p->lines = lines;
	p->nlines = n;
	for (size_t i = 0; i < n; i++) {
		const struct cand *k = &cands[i];
		const char *cl = sp->labels[k->col] ? sp->labels[k->col] : sp->cols[k->col];
		char ent[300], *label;
		/* One entity of a fixed kind (the machine, all CPUs): the column says it all. */
		int single = sp->id || strcmp(k->s->kind, "system") == 0 ||
		             (entities == 1 && strcmp(k->s->kind, "process") == 0);

		entity_label(k->s, ent, sizeof(ent));
		if (single && *cl)
			label = strdup(cl);
		else if (!*cl)
			label = strdup(ent);
		else if (asprintf(&label, "%s %s", ent, cl) < 0)
			label = NULL;
		if (!own(c, label)) {
			status = VITALS_E_NOMEM;
			goto out_free;
		}
		lines[i] = (struct svg_line){label, k->s->t, k->v, k->valid, k->s->n};
	}
	*nlines_total += n;
	status = (int)n;
out_free:
	free(cands);
	return status;
}

/* The columns and kinds of SPECS, as load options. */
static int load(struct charts *c, const char *path, const struct spec *specs, size_t nspecs,
                const struct charts_options *o, char *err, size_t errlen)
{
	const char *cols[64], *kinds[16];
	size_t ncols = 0, nkinds = 0;
	int any_kind = 0;
	struct series_options so;
	char pid_text[32];

	for (size_t i = 0; i < nspecs; i++) {
		const char *k = o->kind ? o->kind : specs[i].kind;

		for (size_t j = 0; j < COLS_MAX && specs[i].cols[j]; j++) {
			size_t m = 0;

			while (m < ncols && strcmp(cols[m], specs[i].cols[j]) != 0)
				m++;
			if (m == ncols && ncols < 60)
				cols[ncols++] = specs[i].cols[j];
		}
		if (specs[i].derive_cpu && ncols < 62) {
			cols[ncols++] = "cpu_user_seconds";
			cols[ncols++] = "cpu_system_seconds";
		}
		if (!k) {
			any_kind = 1;
		} else {
			size_t m = 0;

			while (m < nkinds && strcmp(kinds[m], k) != 0)
				m++;
			if (m == nkinds && nkinds < 16)
				kinds[nkinds++] = k;
		}
	}
	if (o->pid_count && !any_kind) {
		nkinds = 0;
		kinds[nkinds++] = "process";
	}
	series_options_init(&so);
	so.columns = cols;
	so.column_count = ncols;
	so.kinds = any_kind ? NULL : kinds;
	so.kind_count = any_kind ? 0 : nkinds;
	so.from = o->from;
	so.to = o->to;
	so.events = 1;
	/*
	 * One entity asked for: the loader keeps only ids that start with it
	 * (the exact match is made later), so a day of 300 processes costs the
	 * memory of one.
	 */
	if (o->id) {
		so.id_prefix = o->id;
	} else if (o->pid_count == 1) {
		snprintf(pid_text, sizeof(pid_text), "%lld", (long long)o->pids[0]);
		so.id_prefix = pid_text;
	}
	series_set_free(c->set);
	c->set = NULL;
	return series_load(&c->set, path, &so, err, errlen);
}

static int has_kind(const struct series_set *set, const char *kind)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->series[i].kind, kind) == 0)
			return 1;
	return 0;
}

int charts_build(struct charts **out, const char *path, const struct charts_options *o, char *err,
                 size_t errlen)
{
	struct charts *c = calloc(1, sizeof(*c));
	struct spec *mspecs = NULL;
	const struct spec *specs;
	size_t nspecs, nlines = 0, np = 0;
	int status;

	*out = NULL;
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	if (o->metric_count) {
		mspecs = calloc(o->metric_count, sizeof(*mspecs));
		if (!mspecs) {
			status = VITALS_E_NOMEM;
			snprintf(err, errlen, "out of memory");
			goto out_fail;
		}
		for (size_t i = 0; i < o->metric_count; i++) {
			mspecs[i].title = o->metrics[i];
			mspecs[i].unit = charts_unit_of(o->metrics[i]);
			mspecs[i].cols[0] = o->metrics[i];
			mspecs[i].labels[0] = "";
		}
		specs = mspecs;
		nspecs = o->metric_count;
		c->what = "metrics";
	} else if (o->pid_count || (o->kind && strcmp(o->kind, "process") == 0)) {
		specs = process_specs;
		nspecs = NSPECS(process_specs);
		c->what = "processes";
	} else if (o->kind && strcmp(o->kind, "gauge") == 0) {
		specs = &log_specs[3];
		nspecs = 1;
		c->what = "gauges";
	} else {
		specs = system_specs;
		nspecs = NSPECS(system_specs);
		c->what = "system trace";
	}
	status = load(c, path, specs, nspecs, o, err, errlen);
	if (status < 0)
		goto out_fail;
	if (specs == system_specs && !o->kind &&
	    (c->set->source == SERIES_SOURCE_LOG ||
	     (!has_kind(c->set, "cpu") && !has_kind(c->set, "system")))) {
		/* A log, or a trace of processes only: draw its processes. */
		specs = log_specs;
		nspecs = NSPECS(log_specs);
		c->what = c->set->source == SERIES_SOURCE_LOG ? "process log" : "processes";
		status = load(c, path, specs, nspecs, o, err, errlen);
		if (status < 0)
			goto out_fail;
	}
	if (o->kind && specs == system_specs) {
		/* Only the default panels of the asked kind. */
		size_t k = 0;

		while (k < nspecs && strcmp(specs[k].kind, o->kind) != 0)
			k++;
		if (k == nspecs) {
			status = VITALS_E_INVAL;
			snprintf(
			    err, errlen,
			    "%s: no default panel for kind '%s' (choose columns with --metric)",
			    path, o->kind);
			goto out_fail;
		}
		specs += k;
		nspecs = 1;
	}
	for (size_t i = 0; i < c->set->count; i++)
		nlines += COLS_MAX;
	c->lines = calloc(nlines * nspecs + 1, sizeof(*c->lines));
	c->panels = calloc(nspecs, sizeof(*c->panels));
	c->events = calloc(c->set->event_count + 1, sizeof(*c->events));
	if (!c->lines || !c->panels || !c->events) {
		status = VITALS_E_NOMEM;
		snprintf(err, errlen, "out of memory");
		goto out_fail;
	}
	nlines = 0;
	for (size_t i = 0; i < nspecs; i++) {
		int n = panel_fill(c, &specs[i], o, &c->panels[np], c->lines + nlines, &nlines);

		if (n < 0) {
			status = n;
			snprintf(err, errlen, "out of memory");
			goto out_fail;
		}
		/* A default panel with nothing to show is left out; an asked metric is not. */
		if (n > 0 || o->metric_count)
			np++;
		if (n == 0 && o->metric_count) {
			status = VITALS_E_NOTFOUND;
			snprintf(err, errlen, "%s: no %s has a value of '%s'%s", path,
			         o->kind ? o->kind : "entity", specs[i].cols[0],
			         c->set->have[series_set_column(c->set, specs[i].cols[0])]
			             ? " in the chosen range"
			             : " (no such column)");
			goto out_fail;
		}
	}
	if (np == 0) {
		status = VITALS_E_NOTFOUND;
		if (o->pid_count)
			snprintf(err, errlen, "%s: no process with the given pid has values", path);
		else if (o->kind || o->id)
			snprintf(err, errlen, "%s: no %s%s%s with values to draw", path,
			         o->kind ? o->kind : "entity", o->id ? " " : "",
			         o->id ? o->id : "");
		else if (o->from != INT64_MIN || o->to != INT64_MAX)
			snprintf(err, errlen, "%s: nothing to draw in the chosen time range", path);
		else
			snprintf(err, errlen,
			         "%s: nothing to draw: no CPU, memory, disk or network "
			         "values (choose columns with --metric)",
			         path);
		goto out_fail;
	}
	for (size_t e = 0; e < c->set->event_count; e++)
		c->events[e] = (struct svg_event){c->set->events[e].t, c->set->events[e].text};
	c->chart.panels = c->panels;
	c->chart.npanels = np;
	c->chart.events = c->events;
	c->chart.nevents = c->set->event_count;
	if (o->from != INT64_MIN || o->to != INT64_MAX) {
		c->chart.t0 = o->from != INT64_MIN ? o->from : c->set->first_time;
		c->chart.t1 = o->to != INT64_MAX ? o->to : c->set->last_time;
	}
	if (c->set->sample_interval > 0)
		c->chart.gap_us = (int64_t)(c->set->sample_interval * 1e6 * 5);
	free(mspecs);
	*out = c;
	return 0;
out_fail:
	free(mspecs);
	charts_free(c);
	return status;
}

/* T in the process's zone: the date and time, or the time only (with the zone's abbreviation). */
static void fmt_local(char *buf, size_t len, int64_t t, int with_date, int with_zone)
{
	time_t s = (time_t)(t / 1000000);
	struct tm tm;
	char d[32] = "", h[32] = "", z[16] = "";

	if (!localtime_r(&s, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	if (with_date)
		strftime(d, sizeof(d), "%Y-%m-%d ", &tm);
	strftime(h, sizeof(h), "%H:%M:%S", &tm);
	if (with_zone)
		strftime(z, sizeof(z), " %Z", &tm);
	snprintf(buf, len, "%s%s%s", d, h, z);
}

void charts_describe(struct charts *c, const char *path, const char *title, const char *zone)
{
	const struct series_set *set = c->set;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int64_t t0 = c->chart.t0 || c->chart.t1 ? c->chart.t0 : set->first_time;
	int64_t t1 = c->chart.t0 || c->chart.t1 ? c->chart.t1 : set->last_time;
	char a[64], b[64], span[64], interval[64];
	double secs = (double)(t1 - t0) / 1e6;

	if (title)
		snprintf(c->title, sizeof(c->title), "%s", title);
	else if (set->host)
		snprintf(c->title, sizeof(c->title), "%s on %s", base, set->host);
	else
		snprintf(c->title, sizeof(c->title), "%s", base);
	if (t1 < t0) {
		snprintf(c->subtitle, sizeof(c->subtitle), "no samples");
	} else {
		fmt_local(a, sizeof(a), t0, 1, 0);
		fmt_local(b, sizeof(b), t1, t1 - t0 >= 86400 * 1000000LL, 1);
		if (secs >= 86400)
			snprintf(span, sizeof(span), "%.1f days", secs / 86400);
		else if (secs >= 3600)
			snprintf(span, sizeof(span), "%.1f hours", secs / 3600);
		else if (secs >= 60)
			snprintf(span, sizeof(span), "%.1f minutes", secs / 60);
		else
			snprintf(span, sizeof(span), "%.1f s", secs);
		interval[0] = '\0';
		if (set->sample_interval > 0)
			snprintf(interval, sizeof(interval), ", a sample every %g s",
			         set->sample_interval);
		snprintf(c->subtitle, sizeof(c->subtitle), "%s to %s (%s)%s, %zu event%s, %s", a, b,
		         span, interval, set->event_count, set->event_count == 1 ? "" : "s",
		         c->what);
	}
	c->chart.title = c->title;
	c->chart.subtitle = c->subtitle;
	c->chart.zone = zone;
}
