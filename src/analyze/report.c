/*
 * The HTML report of a trace (see report.h).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vitals/common.h>

#include "analyze/report.h"

#define US_PER_S 1000000LL

enum { PC_CPU, PC_RSS, PC_READ, PC_WRITE, PC_USER, PC_SYS, PC_COUNT };

static const char *const proc_columns[PC_COUNT] = {"cpu_percent",      "rss_bytes",
                                                   "read_bytes",       "write_bytes",
                                                   "cpu_user_seconds", "cpu_system_seconds"};

void report_free(struct report *r)
{
	if (!r)
		return;
	charts_free(r->charts);
	series_set_free(r->procs);
	free(r->stats);
	leak_report_free(r->leaks);
	series_set_free(r->leakset);
	free(r);
}

/* The first and last valid values of column C of S; 0 when it has fewer than one. */
static int first_last(const struct series *s, size_t c, double *first, double *last)
{
	size_t i = 0, j = s->n;

	while (i < s->n && !s->valid[c][i])
		i++;
	while (j > i && !s->valid[c][j - 1])
		j--;
	if (i >= j)
		return 0;
	*first = s->v[c][i];
	*last = s->v[c][j - 1];
	return 1;
}

static void proc_stats(const struct series *s, struct report_proc *p)
{
	double sum = 0, a, b, a2, b2;
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	p->name = s->name;
	p->series = s;
	p->pid = s->pid;
	p->start_time = s->start_time;
	p->cpu_mean = p->cpu_peak = p->cpu_seconds = NAN;
	p->rss_peak = p->rss_last = p->read_bytes = p->write_bytes = NAN;
	for (size_t i = 0; i < s->n; i++) {
		if (s->valid[PC_CPU][i]) {
			double v = s->v[PC_CPU][i];

			sum += v;
			n++;
			if (isnan(p->cpu_peak) || v > p->cpu_peak)
				p->cpu_peak = v;
		}
		if (s->valid[PC_RSS][i]) {
			double v = s->v[PC_RSS][i];

			if (isnan(p->rss_peak) || v > p->rss_peak)
				p->rss_peak = v;
			p->rss_last = v;
		}
	}
	if (n)
		p->cpu_mean = sum / (double)n;
	if (first_last(s, PC_USER, &a, &b) && first_last(s, PC_SYS, &a2, &b2) && b + b2 >= a + a2)
		p->cpu_seconds = b + b2 - a - a2;
	else if (n && s->n > 1)
		p->cpu_seconds = p->cpu_mean / 100 * (double)(s->t[s->n - 1] - s->t[0]) / 1e6;
	if (isnan(p->cpu_mean) && !isnan(p->cpu_seconds) && s->n > 1 && s->t[s->n - 1] > s->t[0])
		p->cpu_mean = p->cpu_seconds / ((double)(s->t[s->n - 1] - s->t[0]) / 1e6) * 100;
	if (first_last(s, PC_READ, &a, &b) && b >= a)
		p->read_bytes = b - a;
	if (first_last(s, PC_WRITE, &a, &b) && b >= a)
		p->write_bytes = b - a;
}

static int load_procs(struct report *r, int64_t span, char *err, size_t errlen)
{
	struct series_options so;
	const char *kinds[] = {"process"};
	int status;

	series_options_init(&so);
	so.columns = proc_columns;
	so.column_count = PC_COUNT;
	so.kinds = kinds;
	so.kind_count = 1;
	/* About 2000 points per process whatever the length: the tables need no more. */
	so.step_us = span / 2000 >= US_PER_S ? span / 2000 : 0;
	status = series_load(&r->procs, r->path, &so, err, errlen);
	if (status < 0)
		return status;
	r->stats = calloc(r->procs->count + 1, sizeof(*r->stats));
	if (!r->stats) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	for (size_t i = 0; i < r->procs->count; i++)
		proc_stats(&r->procs->series[i], &r->stats[r->nstats++]);
	return 0;
}

static int load_overhead(struct report *r, char *err, size_t errlen)
{
	struct series_options so;
	const char *kinds[] = {"system"};
	const char *cols[] = {"sample_cpu_seconds", "sample_seconds"};
	struct series_set *set = NULL;
	double interval;
	size_t walls = 0;
	int status;

	series_options_init(&so);
	so.columns = cols;
	so.column_count = 2;
	so.kinds = kinds;
	so.kind_count = 1;
	status = series_load(&set, r->path, &so, err, errlen);
	if (status < 0)
		return status;
	interval = set->sample_interval;
	for (size_t k = 0; k < set->count; k++) {
		const struct series *s = &set->series[k];

		for (size_t i = 0; i < s->n; i++) {
			if (s->valid[0][i]) {
				r->cpu_total += s->v[0][i];
				r->samples++;
			}
			if (s->valid[1][i]) {
				double w = s->v[1][i];

				r->wall_mean += w;
				walls++;
				if (w > r->wall_max)
					r->wall_max = w;
				if (interval > 0 && w > interval)
					r->late++;
			}
		}
	}
	r->has_overhead = r->samples > 0;
	if (r->samples)
		r->cpu_mean = r->cpu_total / (double)r->samples;
	if (walls)
		r->wall_mean /= (double)walls;
	series_set_free(set);
	return 0;
}

int report_build(struct report **out, const char *path, size_t top, char *err, size_t errlen)
{
	struct report *r = calloc(1, sizeof(*r));
	struct charts_options co;
	struct leak_options lo;
	int64_t span;
	int status;

	*out = NULL;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	r->path = path;
	r->top = top ? top : 10;
	charts_options_init(&co);
	status = charts_build(&r->charts, path, &co, err, errlen);
	if (status == VITALS_E_NOTFOUND)
		snprintf(err, errlen,
		         "%s: nothing to report: no CPU, memory, disk, network or process values",
		         path);
	if (status < 0)
		goto out_fail;
	span = r->charts->set->last_time - r->charts->set->first_time;
	status = load_procs(r, span > 0 ? span : 0, err, errlen);
	if (status < 0)
		goto out_fail;
	status = load_overhead(r, err, errlen);
	if (status < 0)
		goto out_fail;
	leak_options_init(&lo);
	if (leaks_load(&r->leakset, path, &lo, r->leak_error, sizeof(r->leak_error)) < 0 ||
	    leaks_analyze(r->leakset, &lo, &r->leaks, r->leak_error, sizeof(r->leak_error)) < 0) {
		if (!r->leak_error[0])
			snprintf(r->leak_error, sizeof(r->leak_error), "the analysis failed");
	} else {
		r->leak_error[0] = '\0';
	}
	*out = r;
	return 0;
out_fail:
	report_free(r);
	return status;
}

/* ---- HTML --------------------------------------------------------------- */

static void h(FILE *out, const char *s)
{
	svg_escape(out, s, 0);
}

static const char *fmt_time(char *buf, size_t len, int64_t t, int with_date)
{
	time_t s = (time_t)(t / US_PER_S - (t % US_PER_S < 0));
	struct tm tm;

	if (!localtime_r(&s, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, with_date ? "%Y-%m-%d %H:%M:%S %Z" : "%H:%M:%S %Z", &tm);
	return buf;
}

static const char *fmt_duration(char *buf, size_t len, double secs)
{
	long long s = (long long)llround(secs);

	if (!isfinite(secs) || secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 10)
		snprintf(buf, len, "%.2f s", secs);
	else if (secs < 60)
		snprintf(buf, len, "%.1f s", secs);
	else if (s < 3600)
		snprintf(buf, len, "%lld min %02lld s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lld h %02lld min", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lld d %02lld h", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *fmt_v(char *buf, size_t len, double v, enum svg_unit unit)
{
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else
		svg_format_value(buf, len, v, unit);
	return buf;
}

static void fact(FILE *out, const char *key, const char *value)
{
	fputs("<tr><th>", out);
	h(out, key);
	fputs("</th><td>", out);
	h(out, value && *value ? value : "-");
	fputs("</td></tr>\n", out);
}

static const char css[] =
    "body{font-family:'DejaVu Sans',system-ui,Helvetica,Arial,sans-serif;color:#222;"
    "background:#f6f7f9;margin:0}\n"
    "main{max-width:1060px;margin:0 auto;padding:24px 28px 48px;background:#fff;"
    "box-shadow:0 0 12px rgba(0,0,0,.06)}\n"
    "h1{font-size:24px;margin:4px 0 2px}\n"
    "h2{font-size:18px;margin:32px 0 10px;padding-bottom:4px;border-bottom:2px solid #4e79a7}\n"
    "h3{font-size:14px;margin:18px 0 6px;color:#444}\n"
    ".file{color:#666;margin:0 0 12px;font-size:13px;word-break:break-all}\n"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0 12px}\n"
    "th,td{padding:4px 10px;text-align:left;vertical-align:top}\n"
    "table.data th{background:#eef1f5;border-bottom:1px solid #ccd3dc;font-weight:600}\n"
    "table.data tr:nth-child(even) td{background:#f8f9fb}\n"
    "table.data td{border-bottom:1px solid #eceff3}\n"
    "table.facts th{color:#555;font-weight:600;padding-left:0;white-space:nowrap}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    ".note{color:#666;font-size:13px}\n"
    ".chart svg{max-width:100%;height:auto}\n"
    ".cols{display:flex;flex-wrap:wrap;gap:24px}\n"
    ".cols>div{flex:1 1 300px}\n"
    ".scroll{overflow-x:auto}\n"
    "td.time,.cols td:first-child{white-space:nowrap}\n"
    ".yes{color:#a93226;font-weight:600}\n"
    "footer{margin-top:36px;color:#888;font-size:12px}\n"
    "@media print{body{background:#fff}main{box-shadow:none}}\n";

static void write_summary(FILE *out, struct report *r, const char *zone)
{
	const struct series_set *set = r->charts->set;
	char a[96], buf[256];
	double span = (double)(set->last_time - set->first_time) / 1e6;
	size_t procs = 0;

	fputs("<section id=\"summary\"><h2>Recording</h2>\n<table class=\"facts\">\n", out);
	fact(out, "Host", set->host);
	fact(out, "Kernel", set->kernel);
	fact(out, "Boot id", set->boot_id);
	if (series_set_meta(set, "vitals.version")) {
		snprintf(buf, sizeof(buf), "vitals %s", series_set_meta(set, "vitals.version"));
		fact(out, "Recorded by", buf);
	}
	fact(out, "Command", series_set_meta(set, "vitals.command"));
	snprintf(buf, sizeof(buf), "%s", series_source_name(set->source));
	if (set->files > 1)
		snprintf(buf, sizeof(buf), "%s (%zu files)", series_source_name(set->source),
		         set->files);
	fact(out, "Source", buf);
	if (set->last_time >= set->first_time) {
		fact(out, "Start", fmt_time(a, sizeof(a), set->first_time, 1));
		fact(out, "End", fmt_time(a, sizeof(a), set->last_time, 1));
		fact(out, "Duration", fmt_duration(a, sizeof(a), span));
	}
	if (set->timezone && strcmp(set->timezone, zone) != 0)
		snprintf(buf, sizeof(buf), "%s (recorded in %s)", zone, set->timezone);
	else
		snprintf(buf, sizeof(buf), "%s", zone);
	fact(out, "Times shown in", buf);
	if (set->sample_interval > 0) {
		snprintf(buf, sizeof(buf), "%g s", set->sample_interval);
		fact(out, "Sample interval", buf);
	}
	if (r->has_overhead) {
		snprintf(buf, sizeof(buf), "%zu", r->samples);
		fact(out, "Samples", buf);
	}
	procs = r->nstats;
	snprintf(buf, sizeof(buf), "%zu", procs);
	fact(out, "Processes seen", buf);
	snprintf(buf, sizeof(buf), "%zu", set->event_count);
	fact(out, "Events", buf);
	fputs("</table></section>\n", out);
}

static int cmp_cpu(const void *a, const void *b);
static int cmp_mem(const void *a, const void *b);

#define PROC_LINES 6

/*
 * The processes' own chart: the resident memory of the largest and the
 * CPU of the busiest, over the trace. Not for a single process (the
 * overview shows it already).
 */
static int write_process_chart(FILE *out, struct report *r, char *err, size_t errlen)
{
	struct svg_line mem[PROC_LINES], cpu[PROC_LINES];
	char labels[2][PROC_LINES][96];
	struct svg_panel panels[2];
	struct svg_chart c;
	size_t nm = 0, nc = 0, np = 0;
	int status;

	if (r->nstats < 2)
		return 0;
	qsort(r->stats, r->nstats, sizeof(*r->stats), cmp_mem);
	for (size_t i = 0; i < r->nstats && nm < PROC_LINES; i++) {
		const struct report_proc *p = &r->stats[i];

		if (isnan(p->rss_peak))
			continue;
		snprintf(labels[0][nm], sizeof(labels[0][nm]), "%s (%lld)",
		         p->name && *p->name ? p->name : "?", (long long)p->pid);
		mem[nm] = (struct svg_line){labels[0][nm], p->series->t, p->series->v[PC_RSS],
		                            p->series->valid[PC_RSS], p->series->n};
		nm++;
	}
	qsort(r->stats, r->nstats, sizeof(*r->stats), cmp_cpu);
	for (size_t i = 0; i < r->nstats && nc < PROC_LINES; i++) {
		const struct report_proc *p = &r->stats[i];

		if (!(p->cpu_peak > 0))
			continue;
		snprintf(labels[1][nc], sizeof(labels[1][nc]), "%s (%lld)",
		         p->name && *p->name ? p->name : "?", (long long)p->pid);
		cpu[nc] = (struct svg_line){labels[1][nc], p->series->t, p->series->v[PC_CPU],
		                            p->series->valid[PC_CPU], p->series->n};
		nc++;
	}
	if (nm)
		panels[np++] = (struct svg_panel){"Resident memory of the largest processes",
		                                  SVG_UNIT_BYTES, mem, nm, 0};
	if (nc)
		panels[np++] = (struct svg_panel){"CPU of the busiest processes (100% = one core)",
		                                  SVG_UNIT_PERCENT, cpu, nc, 0};
	if (!np)
		return 0;
	memset(&c, 0, sizeof(c));
	c = r->charts->chart;
	c.panels = panels;
	c.npanels = np;
	c.id = "processes";
	c.gap_us = 0;
	fputs("<h3>Processes</h3>\n<div class=\"chart\" id=\"process-chart\">\n", out);
	status = svg_chart_write(&c, out, err, errlen);
	fputs("</div>\n", out);
	return status;
}

static int write_charts(FILE *out, struct report *r, char *err, size_t errlen)
{
	int status;

	fputs("<section id=\"charts\"><h2>Charts</h2>\n<div class=\"chart\">\n", out);
	r->charts->chart.standalone = 0;
	r->charts->chart.id = "overview";
	r->charts->chart.title = NULL;
	r->charts->chart.subtitle = NULL;
	status = svg_chart_write(&r->charts->chart, out, err, errlen);
	fputs("</div>\n", out);
	if (!status && r->charts->set->source != SERIES_SOURCE_LOG &&
	    strcmp(r->charts->what, "system trace") == 0)
		status = write_process_chart(out, r, err, errlen);
	fputs("</section>\n", out);
	return status;
}

static void write_events(FILE *out, struct report *r)
{
	const struct series_set *set = r->charts->set;
	const size_t max = 1000;
	char a[96], b[64];

	fputs("<section id=\"events\"><h2>Events</h2>\n", out);
	if (!set->event_count) {
		fputs("<p class=\"note\">The trace has no events. Mark the phases of a run with "
		      "<code>vitals event</code> or the FIFO of <code>vitals record</code>.</p>"
		      "</section>\n",
		      out);
		return;
	}
	fputs("<table class=\"data\" id=\"events-table\"><thead><tr><th>Time</th>"
	      "<th class=\"num\">Since start</th><th>Source</th><th>Text</th><th>Fields</th>"
	      "</tr></thead><tbody>\n",
	      out);
	for (size_t e = 0; e < set->event_count && e < max; e++) {
		const struct series_event *ev = &set->events[e];

		fprintf(out, "<tr><td class=\"time\">%s</td><td class=\"num\">%s</td><td>",
		        fmt_time(a, sizeof(a), ev->t, 1),
		        fmt_duration(b, sizeof(b), (double)(ev->t - set->first_time) / 1e6));
		h(out, ev->source);
		fputs("</td><td>", out);
		h(out, ev->text);
		fputs("</td><td>", out);
		h(out, ev->fields ? ev->fields : "");
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (set->event_count > max)
		fprintf(out, "<p class=\"note\">%zu more events are not listed.</p>\n",
		        set->event_count - max);
	fputs("</section>\n", out);
}

static void write_leaks(FILE *out, struct report *r)
{
	const struct leak_report *lr = r->leaks;
	const struct series_set *set = r->charts->set;
	int long_trace = set->last_time - set->first_time >= 86400 * US_PER_S;
	char a[96], b[64], c[64], d[64], e[64];

	fputs("<section id=\"leaks\"><h2>Leak suspects</h2>\n", out);
	if (!lr) {
		fputs("<p class=\"note\">The leak analysis did not run: ", out);
		h(out, r->leak_error);
		fputs("</p></section>\n", out);
		return;
	}
	if (!lr->suspects) {
		fprintf(out,
		        "<p class=\"note\" id=\"no-leaks\">No memory series grows steadily: %zu "
		        "series analysed (processes, subtrees, gauges, heaps).</p></section>\n",
		        lr->analysed);
		return;
	}
	fprintf(out,
	        "<p class=\"note\">%zu of %zu memory series grow steadily (Theil&#8211;Sen rate, "
	        "Mann&#8211;Kendall confidence); fastest first.</p>\n",
	        lr->suspects, lr->analysed);
	fputs("<div class=\"scroll\"><table class=\"data\" "
	      "id=\"leaks-table\"><thead><tr><th>#</th><th>Series</th>"
	      "<th>Name</th><th class=\"num\">Rate</th><th class=\"num\">Confidence</th>"
	      "<th>Growing since</th><th class=\"num\">Growth</th><th class=\"num\">From</th>"
	      "<th class=\"num\">To</th><th class=\"num\">Memory runs out in</th><th>Heap</th>"
	      "</tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < lr->suspects && i < r->top; i++) {
		const struct leak_suspect *s = &lr->items[i];
		enum svg_unit u = s->bytes ? SVG_UNIT_BYTES : SVG_UNIT_PLAIN;
		char rate[64];

		fmt_v(rate, sizeof(rate), s->rate, u);
		fprintf(out, "<tr><td class=\"num\">%zu</td><td>%s</td><td>", i + 1,
		        leak_kind_name(s->kind));
		h(out, s->name ? s->name : s->id);
		if (s->pid >= 0)
			fprintf(out, " (%lld)", (long long)s->pid);
		if ((s->kind == LEAK_GAUGE || s->kind == LEAK_CGROUP) && s->id &&
		    (!s->name || strcmp(s->name, s->id) != 0)) {
			fputs(" <span class=\"note\">", out);
			h(out, s->id);
			fputs("</span>", out);
		}
		fputs("</td><td class=\"num\">", out);
		h(out, rate);
		fprintf(
		    out,
		    "/s</td><td class=\"num\">%.1f%%</td><td class=\"time\">%s</td><td "
		    "class=\"num\">%s</td>"
		    "<td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td>"
		    "<td>%s</td></tr>\n",
		    s->confidence * 100, fmt_time(a, sizeof(a), s->start, long_trace),
		    fmt_v(b, sizeof(b), s->growth, u), fmt_v(c, sizeof(c), s->first_value, u),
		    fmt_v(d, sizeof(d), s->last_value, u),
		    isfinite(s->projection) ? fmt_duration(e, sizeof(e), s->projection) : "-",
		    s->heap == LEAK_HEAP_GROWS ? "<span class=\"yes\">heap grows: a leak</span>"
		    : s->heap == LEAK_HEAP_RETENTION ? "heap flat: allocator retention"
		                                     : "-");
	}
	fputs("</tbody></table></div></section>\n", out);
}

/* Sort keys for the process tables. */
static int cmp_cpu(const void *a, const void *b)
{
	double x = ((const struct report_proc *)a)->cpu_seconds;
	double y = ((const struct report_proc *)b)->cpu_seconds;

	x = isnan(x) ? -1 : x;
	y = isnan(y) ? -1 : y;
	return (x < y) - (x > y);
}

static int cmp_mem(const void *a, const void *b)
{
	double x = ((const struct report_proc *)a)->rss_peak;
	double y = ((const struct report_proc *)b)->rss_peak;

	x = isnan(x) ? -1 : x;
	y = isnan(y) ? -1 : y;
	return (x < y) - (x > y);
}

static double io_total(const struct report_proc *p)
{
	double t = 0;
	int any = 0;

	if (!isnan(p->read_bytes))
		t += p->read_bytes, any = 1;
	if (!isnan(p->write_bytes))
		t += p->write_bytes, any = 1;
	return any ? t : -1;
}

static int cmp_io(const void *a, const void *b)
{
	double x = io_total(a), y = io_total(b);

	return (x < y) - (x > y);
}

static void proc_cell(FILE *out, const struct report_proc *p)
{
	fputs("<td>", out);
	h(out, p->name && *p->name ? p->name : "?");
	fprintf(out, "</td><td class=\"num\">%lld</td>", (long long)p->pid);
}

static void write_top(FILE *out, struct report *r)
{
	char a[64], b[64], c[64];
	size_t shown;

	fputs("<section id=\"top\"><h2>Top processes</h2>\n", out);
	if (!r->nstats) {
		fputs("<p class=\"note\">The trace has no process rows.</p></section>\n", out);
		return;
	}
	fputs("<div class=\"cols\">\n<div><h3>By CPU</h3><table class=\"data\" id=\"top-cpu\">"
	      "<thead><tr><th>Process</th><th class=\"num\">PID</th><th class=\"num\">CPU time</th>"
	      "<th class=\"num\">Mean</th><th class=\"num\">Peak</th></tr></thead><tbody>\n",
	      out);
	qsort(r->stats, r->nstats, sizeof(*r->stats), cmp_cpu);
	shown = 0;
	for (size_t i = 0; i < r->nstats && shown < r->top; i++) {
		const struct report_proc *p = &r->stats[i];

		/* Processes that used no CPU at all say nothing here. */
		if (!(p->cpu_seconds >= 0.005) && !(p->cpu_peak > 0))
			continue;
		fputs("<tr>", out);
		proc_cell(out, p);
		fprintf(out,
		        "<td class=\"num\">%s</td><td class=\"num\">%s</td>"
		        "<td class=\"num\">%s</td></tr>\n",
		        isnan(p->cpu_seconds) ? "-" : fmt_duration(a, sizeof(a), p->cpu_seconds),
		        fmt_v(b, sizeof(b), p->cpu_mean, SVG_UNIT_PERCENT),
		        fmt_v(c, sizeof(c), p->cpu_peak, SVG_UNIT_PERCENT));
		shown++;
	}
	if (!shown)
		fputs("<tr class=\"empty\"><td colspan=\"5\" class=\"note\">No process used "
		      "CPU.</td></tr>\n",
		      out);
	fputs("</tbody></table></div>\n<div><h3>By memory</h3><table class=\"data\" "
	      "id=\"top-mem\"><thead><tr><th>Process</th><th class=\"num\">PID</th>"
	      "<th class=\"num\">Peak RSS</th><th class=\"num\">Last RSS</th></tr></thead>"
	      "<tbody>\n",
	      out);
	qsort(r->stats, r->nstats, sizeof(*r->stats), cmp_mem);
	shown = 0;
	for (size_t i = 0; i < r->nstats && shown < r->top; i++) {
		const struct report_proc *p = &r->stats[i];

		if (isnan(p->rss_peak))
			continue;
		fputs("<tr>", out);
		proc_cell(out, p);
		fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
		        fmt_v(a, sizeof(a), p->rss_peak, SVG_UNIT_BYTES),
		        fmt_v(b, sizeof(b), p->rss_last, SVG_UNIT_BYTES));
		shown++;
	}
	if (!shown)
		fputs("<tr class=\"empty\"><td colspan=\"4\" class=\"note\">No process had a "
		      "resident size.</td></tr>\n",
		      out);
	fputs("</tbody></table></div>\n<div><h3>By disk I/O</h3><table class=\"data\" "
	      "id=\"top-io\"><thead><tr><th>Process</th><th class=\"num\">PID</th>"
	      "<th class=\"num\">Read</th><th class=\"num\">Written</th></tr></thead><tbody>\n",
	      out);
	qsort(r->stats, r->nstats, sizeof(*r->stats), cmp_io);
	shown = 0;
	for (size_t i = 0; i < r->nstats && shown < r->top; i++) {
		const struct report_proc *p = &r->stats[i];

		if (io_total(p) <= 0)
			continue;
		fputs("<tr>", out);
		proc_cell(out, p);
		fprintf(out, "<td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
		        fmt_v(a, sizeof(a), p->read_bytes, SVG_UNIT_BYTES),
		        fmt_v(b, sizeof(b), p->write_bytes, SVG_UNIT_BYTES));
		shown++;
	}
	if (!shown)
		fputs("<tr class=\"empty\"><td colspan=\"4\" class=\"note\">No process read or "
		      "wrote to storage.</td></tr>\n",
		      out);
	fputs("</tbody></table></div>\n</div>\n<p class=\"note\">CPU time, reads and writes are "
	      "counted over the trace; a process seen with the same pid after a restart is a "
	      "separate row.</p></section>\n",
	      out);
}

static void write_overhead(FILE *out, struct report *r)
{
	const struct series_set *set = r->charts->set;
	double span = (double)(set->last_time - set->first_time) / 1e6;
	char a[64], b[64];

	fputs("<section id=\"overhead\"><h2>vitals' own overhead</h2>\n", out);
	if (!r->has_overhead) {
		fputs("<p class=\"note\">The trace does not say what recording it cost (no "
		      "<code>sample_cpu_seconds</code> on system rows: not written by "
		      "<code>vitals record</code>).</p></section>\n",
		      out);
		return;
	}
	fputs("<table class=\"data\" id=\"overhead-table\"><tbody>\n", out);
	fprintf(out, "<tr><th>Samples taken</th><td class=\"num\">%zu</td></tr>\n", r->samples);
	fprintf(out, "<tr><th>CPU time spent sampling</th><td class=\"num\">%s</td></tr>\n",
	        svg_format_value(a, sizeof(a), r->cpu_total, SVG_UNIT_SECONDS));
	fprintf(out, "<tr><th>CPU time per sample (mean)</th><td class=\"num\">%s</td></tr>\n",
	        svg_format_value(a, sizeof(a), r->cpu_mean, SVG_UNIT_SECONDS));
	if (span > 0)
		fprintf(out,
		        "<tr><th>Share of one core</th><td class=\"num\" id=\"overhead-share\">"
		        "%.3g%%</td></tr>\n",
		        r->cpu_total / span * 100);
	fprintf(out,
	        "<tr><th>Wall time per sample (mean / max)</th><td class=\"num\">%s / %s</td>"
	        "</tr>\n",
	        svg_format_value(a, sizeof(a), r->wall_mean, SVG_UNIT_SECONDS),
	        svg_format_value(b, sizeof(b), r->wall_max, SVG_UNIT_SECONDS));
	fprintf(out,
	        "<tr><th>Samples longer than the interval</th><td class=\"num\">%zu</td></tr>\n",
	        r->late);
	fputs("</tbody></table>\n<p class=\"note\">What taking the samples cost the recorder: "
	      "reading /proc and /sys and computing the values (writing the file is not "
	      "counted).</p></section>\n",
	      out);
}

int report_write(struct report *r, FILE *out, const char *title, const char *zone, char *err,
                 size_t errlen)
{
	const struct series_set *set = r->charts->set;
	const char *base = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
	char now[96], page[512];
	int status;

	if (title)
		snprintf(page, sizeof(page), "%s", title);
	else if (set->host)
		snprintf(page, sizeof(page), "%s on %s", base, set->host);
	else
		snprintf(page, sizeof(page), "%s", base);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'; img-src data:\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"vitals " VITALS_VERSION_STRING "\">\n<title>",
	      out);
	h(out, page);
	fputs(" &#8211; vitals report</title>\n<style>\n", out);
	fputs(css, out);
	fputs("</style>\n</head>\n<body>\n<main>\n<h1>", out);
	h(out, page);
	fputs("</h1>\n<p class=\"file\">", out);
	h(out, r->path);
	fputs("</p>\n", out);
	write_summary(out, r, zone);
	status = write_charts(out, r, err, errlen);
	if (status)
		return status;
	write_events(out, r);
	write_leaks(out, r);
	write_top(out, r);
	write_overhead(out, r);
	fprintf(out, "<footer>Written by vitals %s on %s.</footer>\n</main>\n</body>\n</html>\n",
	        VITALS_VERSION_STRING,
	        fmt_time(now, sizeof(now), (int64_t)time(NULL) * US_PER_S, 1));
	if (ferror(out)) {
		snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
		return VITALS_E_IO;
	}
	return 0;
}
