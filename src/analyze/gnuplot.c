/*
 * gnuplot export: a data file and a script for a chart (see gnuplot.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vitals/common.h>

#include "analyze/gnuplot.h"

#define US_PER_S 1000000LL

/* Seconds since the epoch of UTC microsecond T, shifted into the process's time zone. */
static double local_seconds(int64_t t)
{
	time_t s = (time_t)(t / US_PER_S - (t % US_PER_S < 0));
	struct tm tm;
	long off = localtime_r(&s, &tm) ? tm.tm_gmtoff : 0;

	return (double)t / 1e6 + (double)off;
}

/* S as a gnuplot single-quoted string: '' for a quote, control characters as spaces. */
static void gp_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '\'')
			fputs("''", out);
		else
			fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
	}
	fputc('\'', out);
}

static FILE *open_in(const char *dir, const char *name, const char *ext, char *path, size_t len,
                     char *err, size_t errlen)
{
	FILE *f;

	snprintf(path, len, "%s/%s.%s", dir, name, ext);
	f = fopen(path, "w");
	if (!f)
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static int close_file(FILE *f, const char *path, char *err, size_t errlen)
{
	int bad = ferror(f);

	if (fclose(f) != 0 || bad) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return VITALS_E_IO;
	}
	return 0;
}

static int write_data(const struct svg_chart *c, const char *path, FILE *f)
{
	size_t block = 0;

	fprintf(f, "# vitals plot data: one block per line (gnuplot index), columns: local time "
	           "(seconds since the epoch in the display zone), value\n");
	for (size_t p = 0; p < c->npanels; p++)
		for (size_t l = 0; l < c->panels[p].nlines; l++) {
			const struct svg_line *ln = &c->panels[p].lines[l];
			int need_break = 0;

			if (block++)
				fputs("\n\n", f);
			fputs("# ", f);
			gp_quote(f, c->panels[p].title);
			fputs(" ", f);
			gp_quote(f, ln->label);
			fputc('\n', f);
			for (size_t i = 0; i < ln->n; i++) {
				if ((c->t0 || c->t1) && (ln->t[i] < c->t0 || ln->t[i] > c->t1))
					continue;
				if ((ln->valid && !ln->valid[i]) || !isfinite(ln->v[i])) {
					need_break = 1;
					continue;
				}
				if (need_break)
					fputc('\n', f);
				need_break = 0;
				fprintf(f, "%.6f %.17g\n", local_seconds(ln->t[i]), ln->v[i]);
			}
		}
	(void)path;
	return 0;
}

/* The divisor and unit label of a panel's values: bytes get the binary prefix of their largest. */
static double panel_scale(const struct svg_panel *p, const char **label)
{
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	double hi = 0, scale = 1;
	int k = 0;

	for (size_t l = 0; l < p->nlines; l++)
		for (size_t i = 0; i < p->lines[l].n; i++)
			if ((!p->lines[l].valid || p->lines[l].valid[i]) &&
			    fabs(p->lines[l].v[i]) > hi)
				hi = fabs(p->lines[l].v[i]);
	switch (p->unit) {
	case SVG_UNIT_BYTES:
	case SVG_UNIT_BYTES_PER_SECOND:
		while (hi / scale >= 1024 && k < 5) {
			scale *= 1024;
			k++;
		}
		*label = bin[k];
		if (p->unit == SVG_UNIT_BYTES_PER_SECOND) {
			static const char *const rate[] = {"B/s",   "KiB/s", "MiB/s",
			                                   "GiB/s", "TiB/s", "PiB/s"};
			*label = rate[k];
		}
		break;
	case SVG_UNIT_PERCENT:
		*label = "%";
		break;
	case SVG_UNIT_SECONDS:
		*label = "s";
		break;
	default:
		*label = "";
	}
	return scale;
}

static void write_script(const struct svg_chart *c, const char *name, FILE *f)
{
	int64_t t0 = c->t0, t1 = c->t1;
	int height = (c->panel_height ? c->panel_height : 180) * (int)c->npanels + 120;
	size_t block = 0;

	if (!t0 && !t1) {
		t0 = INT64_MAX;
		t1 = INT64_MIN;
		for (size_t p = 0; p < c->npanels; p++)
			for (size_t l = 0; l < c->panels[p].nlines; l++) {
				const struct svg_line *ln = &c->panels[p].lines[l];

				if (ln->n && ln->t[0] < t0)
					t0 = ln->t[0];
				if (ln->n && ln->t[ln->n - 1] > t1)
					t1 = ln->t[ln->n - 1];
			}
		if (t0 > t1)
			t0 = t1 = 0;
	}
	if (t1 <= t0)
		t1 = t0 + US_PER_S;
	fputs("# vitals plot: run `gnuplot ", f);
	fputs(name, f);
	fputs(".plt` in this directory to draw ", f);
	fputs(name, f);
	fputs(".svg\n", f);
	fprintf(f,
	        "set terminal svg size %d,%d dynamic font 'DejaVu Sans,11' background "
	        "rgb '#ffffff'\n",
	        c->width ? c->width : 1000, height);
	fprintf(f, "set output '%s.svg'\n", name);
	fputs("set termoption noenhanced\n"
	      "set encoding utf8\n"
	      "set xdata time\n"
	      "set timefmt '%s'\n",
	      f);
	fprintf(f, "set format x '%s'\n",
	        t1 - t0 > 3 * 86400 * US_PER_S ? "%m-%d"
	        : t1 - t0 > 86400 * US_PER_S   ? "%m-%d %H:%M"
	        : t1 - t0 > 600 * US_PER_S     ? "%H:%M"
	                                       : "%H:%M:%S");
	fprintf(f, "set xrange ['%.0f':'%.0f']\n", floor(local_seconds(t0)),
	        ceil(local_seconds(t1)));
	fputs("set grid lc rgb '#e0e0e0'\n"
	      "set border lc rgb '#999999'\n"
	      "set key top right horizontal opaque box lc rgb '#dddddd'\n"
	      "set yrange [0:*]\n"
	      "set lmargin 12\n"
	      "set style line 1 lc rgb '#4e79a7' lw 1.5\n"
	      "set style line 2 lc rgb '#f28e2b' lw 1.5\n"
	      "set style line 3 lc rgb '#e15759' lw 1.5\n"
	      "set style line 4 lc rgb '#59a14f' lw 1.5\n"
	      "set style line 5 lc rgb '#b07aa1' lw 1.5\n"
	      "set style line 6 lc rgb '#76b7b2' lw 1.5\n"
	      "set style line 7 lc rgb '#edc948' lw 1.5\n"
	      "set style line 8 lc rgb '#9c755f' lw 1.5\n",
	      f);
	/* Events: a dashed line in every panel, the text beside it in the first. */
	for (size_t e = 0; e < c->nevents; e++) {
		double x = local_seconds(c->events[e].t);

		fprintf(f,
		        "set arrow from '%.3f', graph 0 to '%.3f', graph 1 nohead dt 2 lc rgb "
		        "'#c0392b'\n",
		        x, x);
	}
	fputs("set multiplot layout ", f);
	fprintf(f, "%zu,1", c->npanels);
	if (c->title) {
		fputs(" title ", f);
		gp_quote(f, c->title);
	}
	fputc('\n', f);
	for (size_t p = 0; p < c->npanels; p++) {
		const struct svg_panel *pn = &c->panels[p];
		const char *unit;
		double scale = panel_scale(pn, &unit);

		if (p == 0)
			for (size_t e = 0; e < c->nevents; e++) {
				fprintf(f, "set label %zu ", e + 1);
				gp_quote(f, c->events[e].text);
				fprintf(f,
				        " at '%.3f', graph 0.98 rotate by 90 right offset 0.8,0 "
				        "font ',9' tc rgb '#a93226'\n",
				        local_seconds(c->events[e].t));
			}
		else if (p == 1 && c->nevents)
			fputs("unset label\n", f);
		fputs("set title ", f);
		gp_quote(f, pn->title);
		fputs("\nset ylabel ", f);
		gp_quote(f, unit);
		fputc('\n', f);
		if (pn->nlines == 0) {
			fputs("plot NaN notitle\n", f);
			continue;
		}
		fputs("plot ", f);
		for (size_t l = 0; l < pn->nlines; l++) {
			fprintf(f,
			        "%s'%s.dat' index %zu using 1:($2/%.0f) with lines ls %zu title ",
			        l ? ", \\\n     " : "", name, block++, scale, l % 8 + 1);
			gp_quote(f, pn->lines[l].label);
		}
		fputc('\n', f);
	}
	fputs("unset multiplot\n", f);
}

int gnuplot_write(const struct svg_chart *c, const char *dir, const char *name, char *err,
                  size_t errlen)
{
	char path[4096];
	FILE *f;
	int status;

	if (!c->npanels) {
		snprintf(err, errlen, "nothing to draw: no panel");
		return VITALS_E_INVAL;
	}
	if (strchr(name, '/') || strchr(name, '\'')) {
		snprintf(err, errlen, "%s: not a plain file name", name);
		return VITALS_E_INVAL;
	}
	f = open_in(dir, name, "dat", path, sizeof(path), err, errlen);
	if (!f)
		return VITALS_E_IO;
	write_data(c, path, f);
	status = close_file(f, path, err, errlen);
	if (status)
		return status;
	f = open_in(dir, name, "plt", path, sizeof(path), err, errlen);
	if (!f)
		return VITALS_E_IO;
	write_script(c, name, f);
	return close_file(f, path, err, errlen);
}
