/*
 * SVG charts: reduction of long series to pixel columns, round ticks for
 * time (in the process's time zone) and values (binary steps for bytes),
 * and the drawing itself. See svg.h.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vitals/common.h>

#include "analyze/svg.h"

#define US_PER_S 1000000LL

/* ---- text --------------------------------------------------------------- */

/* Length of the UTF-8 sequence at S (at most AVAIL bytes), or 0 when malformed. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	size_t n;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	/* U+FFFE and U+FFFF are not XML characters. */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void svg_escape(FILE *out, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p), count = 0;

	while (left > 0) {
		size_t n;

		if (max && count == max) {
			fputs("\xe2\x80\xa6", out); /* … */
			return;
		}
		n = utf8_len(p, left);
		if (n == 0) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
			n = 1;
		} else if (n == 1) {
			switch (*p) {
			case '&':
				fputs("&amp;", out);
				break;
			case '<':
				fputs("&lt;", out);
				break;
			case '>':
				fputs("&gt;", out);
				break;
			case '"':
				fputs("&quot;", out);
				break;
			case '\'':
				fputs("&#39;", out);
				break;
			default:
				fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
			}
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
		left -= n;
		count++;
	}
}

/* Code points of S, malformed bytes counting one each. */
static size_t text_chars(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* ---- values ------------------------------------------------------------- */

/* Print V with about three significant digits, trailing zeros dropped. */
static void fmt_sig(char *buf, size_t len, double v, const char *suffix)
{
	double a = fabs(v);
	int dec = a >= 100 ? 0 : a >= 10 ? 1 : 2;
	char num[48];
	char *dot;

	snprintf(num, sizeof(num), "%.*f", dec, v);
	dot = strchr(num, '.');
	if (dot) {
		char *end = num + strlen(num);

		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(num, "-0") == 0)
		strcpy(num, "0");
	snprintf(buf, len, "%s%s", num, suffix);
}

const char *svg_format_value(char *buf, size_t len, double v, enum svg_unit unit)
{
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	static const char *const dec[] = {"", "k", "M", "G", "T", "P", "E"};
	char suffix[16];
	double a = fabs(v);
	int k = 0;

	if (!isfinite(v)) {
		snprintf(buf, len, "-");
		return buf;
	}
	switch (unit) {
	case SVG_UNIT_BYTES:
	case SVG_UNIT_BYTES_PER_SECOND:
		while (a >= 1024 && k < 6) {
			a /= 1024;
			v /= 1024;
			k++;
		}
		snprintf(suffix, sizeof(suffix), " %s%s", bin[k],
		         unit == SVG_UNIT_BYTES_PER_SECOND ? "/s" : "");
		break;
	case SVG_UNIT_PERCENT:
		snprintf(suffix, sizeof(suffix), "%%");
		break;
	case SVG_UNIT_SECONDS:
		if (a == 0)
			snprintf(suffix, sizeof(suffix), " s");
		else if (a < 1e-3)
			v *= 1e6, snprintf(suffix, sizeof(suffix), " \xc2\xb5s");
		else if (a < 1)
			v *= 1e3, snprintf(suffix, sizeof(suffix), " ms");
		else
			snprintf(suffix, sizeof(suffix), " s");
		break;
	default:
		while (a >= 1000 && k < 6) {
			a /= 1000;
			v /= 1000;
			k++;
		}
		snprintf(suffix, sizeof(suffix), "%s", dec[k]);
	}
	fmt_sig(buf, len, v, suffix);
	return buf;
}

size_t svg_value_ticks(double *lo, double *hi, enum svg_unit unit, size_t max_ticks, double *out,
                       size_t cap)
{
	double l = *lo, h = *hi, scale = 1, rough, mag, norm, step;
	size_t n = 0;

	if (!isfinite(l) || !isfinite(h)) {
		l = 0;
		h = 1;
	}
	if (h < l) {
		double x = l;
		l = h;
		h = x;
	}
	if (h == l) {
		double d = l == 0 ? 1 : fabs(l) * 0.1;
		l -= d;
		h += d;
		if (*lo >= 0 && l < 0)
			l = 0;
	}
	if (max_ticks < 2)
		max_ticks = 2;
	if (unit == SVG_UNIT_BYTES || unit == SVG_UNIT_BYTES_PER_SECOND) {
		double a = fmax(fabs(l), fabs(h));

		while (a / scale >= 1024)
			scale *= 1024;
	}
	rough = (h - l) / scale / (double)(max_ticks - 1);
	mag = pow(10, floor(log10(rough)));
	norm = rough / mag;
	step = (norm <= 1     ? 1
	        : norm <= 2   ? 2
	        : norm <= 2.5 ? 2.5
	        : norm <= 5   ? 5
	                      : 10) *
	       mag * scale;
	l = floor(l / step + 1e-9) * step;
	h = ceil(h / step - 1e-9) * step;
	for (double x = l; x <= h + step * 1e-6 && n < cap; x += step) {
		double r = round(x / step) * step;
		out[n++] = fabs(r) < step * 1e-9 ? 0 : r;
	}
	*lo = l;
	*hi = h;
	return n;
}

/* ---- reduction ---------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t svg_guess_gap(const int64_t *t, const uint8_t *valid, size_t n)
{
	int64_t d[1024];
	size_t k = 0, last = SIZE_MAX;

	for (size_t i = 0; i < n && k < sizeof(d) / sizeof(d[0]); i++) {
		if (valid && !valid[i])
			continue;
		if (last != SIZE_MAX && t[i] > t[last])
			d[k++] = t[i] - t[last];
		last = i;
	}
	if (k == 0)
		return 0;
	qsort(d, k, sizeof(d[0]), cmp_i64);
	return d[k / 2] * 5;
}

struct reducer {
	size_t *idx;
	uint8_t *brk;
	size_t count;
	const double *v;
	long col; /* column of the run being gathered, -1 when none */
	size_t imin, imax;
	int pending; /* the next point written starts a new line */
};

static void reducer_flush(struct reducer *r)
{
	size_t a, b;

	if (r->col < 0)
		return;
	a = r->imin < r->imax ? r->imin : r->imax;
	b = r->imin < r->imax ? r->imax : r->imin;
	r->idx[r->count] = a;
	r->brk[r->count++] = (uint8_t)r->pending;
	r->pending = 0;
	if (b != a) {
		r->idx[r->count] = b;
		r->brk[r->count++] = 0;
	}
	r->col = -1;
}

size_t svg_reduce(const int64_t *t, const double *v, const uint8_t *valid, size_t n, int64_t t0,
                  int64_t t1, size_t columns, int64_t gap_us, size_t *idx, uint8_t *break_before)
{
	struct reducer r = {idx, break_before, 0, v, -1, 0, 0, 1};
	double per_col;
	long break_col = -1; /* the column that already had its one break */
	int want_break = 0, have_last = 0;
	int64_t last_t = 0;

	if (columns == 0 || t1 < t0)
		return 0;
	per_col = ((double)t1 - (double)t0 + 1) / (double)columns;
	for (size_t i = 0; i < n; i++) {
		long c;

		if (t[i] < t0 || t[i] > t1)
			continue;
		if ((valid && !valid[i]) || !isfinite(v[i])) {
			want_break = 1;
			continue;
		}
		c = (long)(((double)t[i] - (double)t0) / per_col);
		if (c >= (long)columns)
			c = (long)columns - 1;
		if (gap_us > 0 && have_last && t[i] - last_t > gap_us)
			want_break = 1;
		if (want_break && c != break_col) {
			reducer_flush(&r);
			r.pending = 1;
			break_col = c;
		}
		want_break = 0;
		if (c != r.col) {
			reducer_flush(&r);
			r.col = c;
			r.imin = r.imax = i;
		} else if (v[i] < v[r.imin]) {
			r.imin = i;
		} else if (v[i] > v[r.imax]) {
			r.imax = i;
		}
		last_t = t[i];
		have_last = 1;
	}
	reducer_flush(&r);
	return r.count;
}

/* ---- time ticks --------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* The process's time zone at UTC microsecond T: the broken-down local time and its offset in us. */
static int64_t local_tm(int64_t t, struct tm *tm)
{
	time_t s = (time_t)floor_div(t, US_PER_S);

	if (!localtime_r(&s, tm)) {
		memset(tm, 0, sizeof(*tm));
		return 0;
	}
	return (int64_t)tm->tm_gmtoff * US_PER_S;
}

/* The first instant at or after T whose local time is a multiple of STEP (which divides a day). */
static int64_t align_up(int64_t t, int64_t step, int64_t off)
{
	return floor_div(t + off + step - 1, step) * step - off;
}

static int day_of(const struct tm *tm)
{
	return tm->tm_year * 400 + tm->tm_yday;
}

static void tick_label(struct svg_tick *k, int64_t step, int *last_day)
{
	struct tm tm;

	local_tm(k->t, &tm);
	k->date[0] = '\0';
	if (step >= 86400 * US_PER_S) {
		strftime(k->label, sizeof(k->label), "%b %d", &tm);
		if (*last_day == -1 || tm.tm_yday < (*last_day % 400))
			strftime(k->date, sizeof(k->date), "%Y", &tm);
		*last_day = day_of(&tm);
		return;
	}
	if (step < US_PER_S) {
		char hms[16];
		int64_t frac = (k->t - floor_div(k->t, US_PER_S) * US_PER_S) / 100000;

		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		snprintf(k->label, sizeof(k->label), "%s.%d", hms, (int)frac);
	} else {
		strftime(k->label, sizeof(k->label), step < 60 * US_PER_S ? "%H:%M:%S" : "%H:%M",
		         &tm);
	}
	if (day_of(&tm) != *last_day)
		strftime(k->date, sizeof(k->date), "%a %d %b", &tm);
	*last_day = day_of(&tm);
}

size_t svg_time_ticks(int64_t t0, int64_t t1, size_t max_ticks, struct svg_tick *out, size_t cap,
                      int64_t *step_us)
{
	static const int64_t steps[] = {100000,
	                                200000,
	                                500000,
	                                US_PER_S,
	                                2 * US_PER_S,
	                                5 * US_PER_S,
	                                10 * US_PER_S,
	                                15 * US_PER_S,
	                                30 * US_PER_S,
	                                60 * US_PER_S,
	                                120 * US_PER_S,
	                                300 * US_PER_S,
	                                600 * US_PER_S,
	                                900 * US_PER_S,
	                                1800 * US_PER_S,
	                                3600 * US_PER_S,
	                                7200 * US_PER_S,
	                                10800 * US_PER_S,
	                                21600 * US_PER_S,
	                                43200 * US_PER_S,
	                                86400 * US_PER_S,
	                                2 * 86400 * US_PER_S,
	                                7 * 86400 * US_PER_S};
	const int64_t hour = 3600 * US_PER_S, day = 86400 * US_PER_S;
	int64_t step = 0, span;
	size_t n = 0;
	int last_day = -1;

	if (t1 < t0 || cap == 0)
		return 0;
	if (max_ticks < 2)
		max_ticks = 2;
	span = t1 - t0;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] + 1 <= (int64_t)max_ticks) {
			step = steps[i];
			break;
		}
	if (!step) /* weeks, as many as it takes */
		step = 7 * day * (span / (7 * day) / (int64_t)max_ticks + 1);
	if (step_us)
		*step_us = step;

	if (step <= hour || step < day) {
		/*
		 * Steps that divide an hour sit at round local times; longer ones
		 * keep the hours whose local hour they divide. Across a daylight
		 * saving change the offset changes: realign from there.
		 */
		int64_t base = step <= hour ? step : hour;
		struct tm tm;
		int64_t off = local_tm(t0, &tm);
		int64_t t = align_up(t0, base, off);
		size_t guard = 0, guard_max = (size_t)(span / base) + 16;

		while (t <= t1 && n < cap && guard++ < guard_max) {
			int64_t o = local_tm(t, &tm);

			if (o != off) {
				int64_t re = align_up(t, base, o);

				off = o;
				if (re != t) {
					t = re;
					continue;
				}
			}
			if (step <= hour ||
			    (tm.tm_hour % (int)(step / hour) == 0 && tm.tm_min == 0)) {
				out[n].t = t;
				tick_label(&out[n++], step, &last_day);
			}
			t += base;
		}
	} else {
		/*
		 * Local midnights: every day, or every DAYS days counted from the
		 * epoch, or whole weeks starting on Mondays (1970-01-05 was one).
		 * Only the kept days are visited, so the loop is as short as the
		 * ticks are few.
		 */
		struct tm tm;
		int64_t days = step / day, guard = span / step + 3;
		int64_t d;

		local_tm(t0, &tm);
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		d = floor_div((int64_t)timegm(&tm), 86400);
		if (days % 7 == 0) {
			int64_t weeks = days / 7;

			d += floor_mod(-(d - 4), 7);
			d += 7 * floor_mod(-floor_div(d - 4, 7), weeks);
		} else {
			d += floor_mod(-d, days);
		}
		for (; guard-- > 0 && n < cap; d += days) {
			int64_t l = d * day, u;

			u = l - local_tm(l, &tm);
			u = l - local_tm(u, &tm);
			if (u > t1)
				break;
			if (u < t0)
				continue;
			out[n].t = u;
			tick_label(&out[n++], step, &last_day);
		}
	}
	return n;
}

/* ---- drawing ------------------------------------------------------------ */

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1",
                                      "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#79706e"};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

#define FONT "DejaVu Sans, Helvetica, Arial, sans-serif"

/* Rough width in pixels of S in a SIZE px sans-serif font. */
static double text_width(const char *s, double size)
{
	return (double)text_chars(s) * size * 0.6;
}

struct layout {
	double width, left, right, plot_w;
	double top;        /* y of the first panel's box */
	double events_top; /* y of the first event label row */
	int event_rows;
	double panel_h, panel_gap, head_h;
	double height;
	int64_t t0, t1;
	const char *id;
};

static double x_of(const struct layout *L, int64_t t)
{
	return L->left + ((double)t - (double)L->t0) / ((double)L->t1 - (double)L->t0) * L->plot_w;
}

static double panel_top(const struct layout *L, size_t p)
{
	return L->top + (double)p * (L->head_h + L->panel_h + L->panel_gap) + L->head_h;
}

/* The range of T covered by the data and events of C. */
static void chart_range(const struct svg_chart *c, int64_t *t0, int64_t *t1)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;

	if (c->t0 || c->t1) {
		*t0 = c->t0;
		*t1 = c->t1;
		return;
	}
	for (size_t p = 0; p < c->npanels; p++)
		for (size_t l = 0; l < c->panels[p].nlines; l++) {
			const struct svg_line *ln = &c->panels[p].lines[l];

			if (ln->n == 0)
				continue;
			lo = ln->t[0] < lo ? ln->t[0] : lo;
			hi = ln->t[ln->n - 1] > hi ? ln->t[ln->n - 1] : hi;
		}
	for (size_t e = 0; e < c->nevents; e++) {
		lo = c->events[e].t < lo ? c->events[e].t : lo;
		hi = c->events[e].t > hi ? c->events[e].t : hi;
	}
	if (lo > hi) {
		time_t now = time(NULL);

		lo = hi = (int64_t)now * US_PER_S;
	}
	*t0 = lo;
	*t1 = hi;
}

/* Place event labels in rows so that they do not overlap; the row of each, -1 when left out. */
static int place_events(const struct svg_chart *c, const struct layout *L, int *row, int max_rows)
{
	double ends[8];
	int rows = 0;

	for (int r = 0; r < max_rows; r++)
		ends[r] = -1e9;
	for (size_t e = 0; e < c->nevents; e++) {
		const struct svg_event *ev = &c->events[e];
		double x, w;
		size_t chars = text_chars(ev->text ? ev->text : "");

		row[e] = -1;
		if (ev->t < L->t0 || ev->t > L->t1)
			continue;
		x = x_of(L, ev->t);
		w = (double)(chars > 40 ? 41 : chars) * 11 * 0.6 + 12;
		if (x + w > L->width) /* near the right edge: the text goes left of the line */
			x -= w;
		for (int r = 0; r < max_rows; r++)
			if (ends[r] < x) {
				row[e] = r;
				ends[r] = x + w;
				rows = r + 1 > rows ? r + 1 : rows;
				break;
			}
	}
	return rows;
}

struct panel_data {
	size_t *counts; /* points per line after reduction */
	size_t **idx;
	uint8_t **brk;
	double lo, hi;
	int any;
};

static void panel_data_release(struct panel_data *d, size_t nlines)
{
	for (size_t l = 0; l < nlines; l++) {
		if (d->idx)
			free(d->idx[l]);
		if (d->brk)
			free(d->brk[l]);
	}
	free(d->idx);
	free(d->brk);
	free(d->counts);
}

static int panel_reduce(const struct svg_chart *c, const struct svg_panel *p,
                        const struct layout *L, struct panel_data *d)
{
	size_t cols = (size_t)L->plot_w;

	memset(d, 0, sizeof(*d));
	d->lo = INFINITY;
	d->hi = -INFINITY;
	d->counts = calloc(p->nlines + 1, sizeof(*d->counts));
	d->idx = calloc(p->nlines + 1, sizeof(*d->idx));
	d->brk = calloc(p->nlines + 1, sizeof(*d->brk));
	if (!d->counts || !d->idx || !d->brk)
		return VITALS_E_NOMEM;
	for (size_t l = 0; l < p->nlines; l++) {
		const struct svg_line *ln = &p->lines[l];
		int64_t gap = c->gap_us ? c->gap_us : svg_guess_gap(ln->t, ln->valid, ln->n);

		d->idx[l] = malloc((4 * cols + 4) * sizeof(size_t));
		d->brk[l] = malloc(4 * cols + 4);
		if (!d->idx[l] || !d->brk[l])
			return VITALS_E_NOMEM;
		d->counts[l] = svg_reduce(ln->t, ln->v, ln->valid, ln->n, L->t0, L->t1, cols, gap,
		                          d->idx[l], d->brk[l]);
		for (size_t k = 0; k < d->counts[l]; k++) {
			double v = ln->v[d->idx[l][k]];

			d->lo = v < d->lo ? v : d->lo;
			d->hi = v > d->hi ? v : d->hi;
			d->any = 1;
		}
	}
	return 0;
}

static void write_text(FILE *out, double x, double y, const char *anchor, const char *style,
                       const char *text, size_t max)
{
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\"%s%s%s%s>", x, y, anchor ? " text-anchor=\"" : "",
	        anchor ? anchor : "", anchor ? "\"" : "", style ? style : "");
	svg_escape(out, text, max);
	fputs("</text>\n", out);
}

/* A value tick: bytes and counts in the prefix of REF (the largest tick), so the labels align. */
static const char *format_tick(char *buf, size_t len, double v, enum svg_unit unit, double ref)
{
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	static const char *const dec[] = {"", "k", "M", "G", "T", "P", "E"};
	double a = fabs(ref), scale = 1;
	char suffix[16];
	int k = 0;

	if (unit == SVG_UNIT_BYTES || unit == SVG_UNIT_BYTES_PER_SECOND) {
		while (a / scale >= 1024 && k < 6) {
			scale *= 1024;
			k++;
		}
		snprintf(suffix, sizeof(suffix), " %s%s", bin[k],
		         unit == SVG_UNIT_BYTES_PER_SECOND ? "/s" : "");
	} else if (unit == SVG_UNIT_PLAIN) {
		while (a / scale >= 1000 && k < 6) {
			scale *= 1000;
			k++;
		}
		snprintf(suffix, sizeof(suffix), "%s", dec[k]);
	} else {
		return svg_format_value(buf, len, v, unit);
	}
	fmt_sig(buf, len, v / scale, suffix);
	return buf;
}

static void draw_panel(FILE *out, const struct svg_chart *c, size_t pi, const struct layout *L,
                       struct panel_data *d, const struct svg_tick *ticks, size_t nticks, int last)
{
	const struct svg_panel *p = &c->panels[pi];
	double top = panel_top(L, pi), bottom = top + L->panel_h;
	double lo = d->any ? d->lo : 0, hi = d->any ? d->hi : 1, vt[16];
	size_t nvt;
	char buf[48];
	double lx;

	if (lo > 0)
		lo = 0; /* levels are read against zero */
	if (p->unit == SVG_UNIT_PERCENT && hi <= 100 && hi > 50)
		hi = 100;
	nvt = svg_value_ticks(&lo, &hi, p->unit, 6, vt, 16);

	/* Title and legend above the plot area. */
	fprintf(out, "<g class=\"panel\">\n");
	write_text(out, L->left, top - 10, NULL, " class=\"ptitle\"", p->title ? p->title : "", 60);
	lx = L->left + text_width(p->title ? p->title : "", 13) + 24;
	for (size_t l = 0; l < p->nlines; l++) {
		const char *label = p->lines[l].label ? p->lines[l].label : "";
		double w = text_width(label, 11) + 28;
		size_t chars = text_chars(label);

		if (chars > 32)
			w = 33 * 11 * 0.6 + 28;
		if (lx + w > L->width - L->right) {
			snprintf(buf, sizeof(buf), "+%zu more", p->nlines - l + p->more);
			write_text(out, lx, top - 10, NULL, " class=\"legend\"", buf, 0);
			goto legend_done;
		}
		fprintf(out,
		        "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"3\" rx=\"1\" "
		        "fill=\"%s\"/>\n",
		        lx, top - 15.5, palette[l % NPALETTE]);
		write_text(out, lx + 18, top - 10, NULL, " class=\"legend\"", label, 32);
		lx += w;
	}
	if (p->more) {
		snprintf(buf, sizeof(buf), "+%zu more", p->more);
		write_text(out, lx, top - 10, NULL, " class=\"legend\"", buf, 0);
	}
legend_done:
	fprintf(out,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fff\" "
	        "stroke=\"#d0d0d0\"/>\n",
	        L->left, top, L->plot_w, L->panel_h);
	/* Grid and value labels. */
	for (size_t k = 0; k < nvt; k++) {
		double y = bottom - (vt[k] - lo) / (hi - lo) * L->panel_h;

		if (k > 0 && k + 1 < nvt)
			fprintf(out,
			        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			        "class=\"grid\"/>\n",
			        L->left, L->left + L->plot_w, y, y);
		write_text(out, L->left - 6, y + 4, "end", " class=\"tick\"",
		           format_tick(buf, sizeof(buf), vt[k], p->unit, vt[nvt - 1]), 0);
	}
	for (size_t k = 0; k < nticks; k++) {
		double x = x_of(L, ticks[k].t);

		fprintf(out,
		        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
		        x, x, top, bottom);
		fprintf(out,
		        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#999\"/>\n",
		        x, x, bottom, bottom + 4);
		if (last) {
			write_text(out, x, bottom + 17, "middle", " class=\"tick\"", ticks[k].label,
			           0);
			if (ticks[k].date[0])
				write_text(out, x, bottom + 31, "middle", " class=\"tick date\"",
				           ticks[k].date, 0);
		}
	}
	/* Lines, clipped to the plot area. */
	fprintf(out,
	        "<clipPath id=\"%s-clip%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	        "height=\"%.1f\"/></clipPath>\n<g clip-path=\"url(#%s-clip%zu)\">\n",
	        L->id, pi, L->left, top - 1, L->plot_w, L->panel_h + 2, L->id, pi);
	for (size_t l = 0; l < p->nlines; l++) {
		const struct svg_line *ln = &p->lines[l];
		size_t n = d->counts[l];

		if (n == 0)
			continue;
		fprintf(out, "<path class=\"line\" stroke=\"%s\" d=\"", palette[l % NPALETTE]);
		for (size_t k = 0; k < n; k++) {
			size_t i = d->idx[l][k];
			double x = x_of(L, ln->t[i]);
			double y = bottom - (ln->v[i] - lo) / (hi - lo) * L->panel_h;

			if (k == 0 || d->brk[l][k]) {
				fprintf(out, "%sM%.1f %.1f", k ? " " : "", x, y);
				if (k + 1 == n || d->brk[l][k + 1])
					fputs("h0", out); /* a lone sample shows as a dot */
				else
					fputc('L', out);
			} else {
				fprintf(out, "%.1f %.1f%s", x, y,
				        k + 1 < n && !d->brk[l][k + 1] ? " " : "");
			}
		}
		fputs("\"><title>", out);
		svg_escape(out, ln->label, 0);
		fputs("</title></path>\n", out);
	}
	fputs("</g>\n", out);
	if (!d->any)
		write_text(out, L->left + L->plot_w / 2, top + L->panel_h / 2, "middle",
		           " class=\"nodata\"", "no data in this range", 0);
	fputs("</g>\n", out);
}

static void zone_title(char *buf, size_t len, const struct svg_chart *c, int64_t t0, int64_t t1)
{
	struct tm a, b;
	const char *zone = c->zone;
	char abbr[64];

	local_tm(t0, &a);
	local_tm(t1, &b);
	if (!zone)
		zone = getenv("TZ");
	if (!zone || !*zone)
		zone = "local time";
	if (*zone == ':')
		zone++;
	if (a.tm_zone && b.tm_zone && strcmp(a.tm_zone, b.tm_zone) != 0)
		snprintf(abbr, sizeof(abbr), "%s/%s", a.tm_zone, b.tm_zone);
	else
		snprintf(abbr, sizeof(abbr), "%s", a.tm_zone ? a.tm_zone : "");
	if (abbr[0] && strcmp(abbr, zone) != 0)
		snprintf(buf, len, "Time (%s, %s)", zone, abbr);
	else
		snprintf(buf, len, "Time (%s)", zone);
}

int svg_chart_write(const struct svg_chart *c, FILE *out, char *err, size_t errlen)
{
	struct layout L;
	struct panel_data *pd = NULL;
	struct svg_tick ticks[64];
	size_t nticks, done = 0;
	int *erow = NULL;
	int status = 0;
	char title[160];

	memset(&L, 0, sizeof(L));
	if (!c->npanels) {
		snprintf(err, errlen, "nothing to draw: no panel");
		return VITALS_E_INVAL;
	}
	L.width = c->width ? c->width : 1000;
	if (L.width < 300 || L.width > 20000) {
		snprintf(err, errlen, "chart width %g is out of range (300 to 20000)", L.width);
		return VITALS_E_INVAL;
	}
	L.left = 78;
	L.right = 24;
	L.plot_w = L.width - L.left - L.right;
	L.panel_h = c->panel_height ? c->panel_height : 180;
	if (L.panel_h < 40 || L.panel_h > 4000) {
		snprintf(err, errlen, "panel height %g is out of range (40 to 4000)", L.panel_h);
		return VITALS_E_INVAL;
	}
	L.head_h = 24;
	L.panel_gap = 22;
	L.id = c->id ? c->id : "v";
	chart_range(c, &L.t0, &L.t1);
	if (L.t1 <= L.t0) {
		L.t0 -= US_PER_S;
		L.t1 += US_PER_S;
	}
	L.top = 16 + (c->title ? 22 : 0) + (c->subtitle ? 18 : 0);
	erow = calloc(c->nevents + 1, sizeof(int));
	pd = calloc(c->npanels, sizeof(*pd));
	if (!erow || !pd) {
		status = VITALS_E_NOMEM;
		goto out_free;
	}
	L.event_rows = place_events(c, &L, erow, 4);
	L.events_top = L.top + 4;
	L.top += L.event_rows ? L.event_rows * 15 + 8 : 0;
	L.height = panel_top(&L, c->npanels - 1) + L.panel_h + 58;
	nticks = svg_time_ticks(L.t0, L.t1, L.plot_w / 90 < 64 ? (size_t)(L.plot_w / 90) : 64,
	                        ticks, 64, NULL);
	for (done = 0; done < c->npanels; done++) {
		status = panel_reduce(c, &c->panels[done], &L, &pd[done]);
		if (status) {
			panel_data_release(&pd[done], c->panels[done].nlines);
			goto out_free;
		}
	}

	if (c->standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
	fprintf(out,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	        "viewBox=\"0 0 %.0f %.0f\" font-family=\"" FONT "\" role=\"img\">\n",
	        L.width, L.height, L.width, L.height);
	fprintf(out,
	        "<style>\n"
	        ".title{font-size:16px;font-weight:bold;fill:#222}\n"
	        ".subtitle{font-size:12px;fill:#555}\n"
	        ".ptitle{font-size:13px;font-weight:bold;fill:#333}\n"
	        ".legend{font-size:11px;fill:#444}\n"
	        ".tick{font-size:11px;fill:#555}\n"
	        ".date{fill:#333;font-weight:bold}\n"
	        ".axis{font-size:12px;fill:#444}\n"
	        ".grid{stroke:#ececec;stroke-width:1}\n"
	        ".line{fill:none;stroke-width:1.5;stroke-linejoin:round;stroke-linecap:round}\n"
	        ".event{stroke:#c0392b;stroke-width:1;stroke-dasharray:4 3;opacity:0.8}\n"
	        ".elabel{font-size:11px;fill:#a93226}\n"
	        ".nodata{font-size:12px;fill:#999}\n"
	        "</style>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	if (c->title)
		write_text(out, L.left, 26, NULL, " class=\"title\"", c->title, 120);
	if (c->subtitle)
		write_text(out, L.left, c->title ? 44 : 26, NULL, " class=\"subtitle\"",
		           c->subtitle, 160);
	for (size_t p = 0; p < c->npanels; p++)
		draw_panel(out, c, p, &L, &pd[p], ticks, nticks, p + 1 == c->npanels);
	zone_title(title, sizeof(title), c, L.t0, L.t1);
	write_text(out, L.left + L.plot_w / 2, L.height - 8, "middle", " class=\"axis\"", title, 0);

	/* Events: a dashed line through every panel, the text on top. */
	fputs("<g class=\"events\">\n", out);
	for (size_t e = 0; e < c->nevents; e++) {
		const struct svg_event *ev = &c->events[e];
		double x, y0, y1 = panel_top(&L, c->npanels - 1) + L.panel_h;

		if (ev->t < L.t0 || ev->t > L.t1)
			continue;
		x = x_of(&L, ev->t);
		y0 = erow[e] >= 0 ? L.events_top + erow[e] * 15 + 4 : panel_top(&L, 0);
		fprintf(out, "<g class=\"marker\"><title>");
		svg_escape(out, ev->text, 0);
		fprintf(out,
		        "</title><line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		        "class=\"event\"/>\n",
		        x, x, y0, y1);
		if (erow[e] >= 0) {
			size_t chars = text_chars(ev->text ? ev->text : "");
			int left = x + (double)(chars > 40 ? 41 : chars) * 11 * 0.6 + 12 > L.width;

			write_text(out, left ? x - 3 : x + 3, L.events_top + erow[e] * 15 + 11,
			           left ? "end" : NULL, " class=\"elabel\"", ev->text, 40);
		}
		fputs("</g>\n", out);
	}
	fputs("</g>\n</svg>\n", out);
	if (ferror(out)) {
		snprintf(err, errlen, "cannot write the chart: %s", strerror(errno));
		status = VITALS_E_IO;
	}
out_free:
	for (size_t p = 0; p < done; p++)
		panel_data_release(&pd[p], c->panels[p].nlines);
	free(pd);
	free(erow);
	return status;
}
