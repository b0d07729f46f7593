/*
 * vitals leaks: rank what keeps growing in a trace (src/analyze/leaks.h)
 * as a table, JSON or CSV.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "analyze/leaks.h"
#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals leaks TRACE [--pid ROOT] [--depth D] [--threshold KB]\n"
    "                    [--path PREFIX] [--skip T] [--min-duration T]\n"
    "                    [--from TIME] [--to TIME] [--confidence P] [--top N]\n"
    "                    [--all] [--json | --csv]\n"
    "\n"
    "Rank the memory series of a trace that keep growing: processes (by pid and\n"
    "start time), process subtrees, cgroups, gauges and logged heaps. TRACE is a\n"
    "Parquet, CSV or JSON lines trace, the name given to `vitals record --rotate`\n"
    "(its segments are read as one), or a process log.\n"
    "\n"
    "  --pid ROOT            only process ROOT and its descendants (no cgroups)\n"
    "  --depth D             at most D levels below ROOT, and gauge paths at most\n"
    "                        D components below --path\n"
    "  --threshold KB        skip series that never reach KB KiB\n"
    "  --path PREFIX         only gauges whose path starts with PREFIX\n"
    "  --skip T              drop the first T of each series as warm-up\n"
    "                        (90, 30s, 10m, 2h, 1d)\n"
    "  --min-duration T      skip series shorter than T after the warm-up\n"
    "  --from TIME, --to TIME\n"
    "                        only this part of the trace (RFC 3339)\n"
    "  --confidence P        the confidence a suspect needs, in percent\n"
    "                        (default 99)\n"
    "  --top N               show the N fastest suspects only\n"
    "  --all                 also list the series that are not suspects\n"
    "  --json                one JSON document\n"
    "  --csv                 one CSV row per series\n"
    "  -h, --help            show this help\n";

enum {
	OPT_PID = 256,
	OPT_DEPTH,
	OPT_THRESHOLD,
	OPT_PATH,
	OPT_SKIP,
	OPT_MIN_DURATION,
	OPT_FROM,
	OPT_TO,
	OPT_CONFIDENCE,
	OPT_TOP,
	OPT_ALL,
	OPT_JSON,
	OPT_CSV,
};

static const struct option leaks_options[] = {
    {"pid", required_argument, NULL, OPT_PID},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"path", required_argument, NULL, OPT_PATH},
    {"skip", required_argument, NULL, OPT_SKIP},
    {"min-duration", required_argument, NULL, OPT_MIN_DURATION},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"confidence", required_argument, NULL, OPT_CONFIDENCE},
    {"top", required_argument, NULL, OPT_TOP},
    {"all", no_argument, NULL, OPT_ALL},
    {"json", no_argument, NULL, OPT_JSON},
    {"csv", no_argument, NULL, OPT_CSV},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct leaks_args {
	const char *trace;
	struct leak_options o;
	long long top;
	int json, csv;
};

/* "90", "30s", "10m", "2h", "1d" into seconds; -1 when malformed. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end), unit = 1;

	if (end == s || !isfinite(v) || v < 0)
		return -1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		unit = 60, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 'd')
		unit = 86400, end++;
	return *end ? -1 : v * unit;
}

static int duration_opt(const char *opt, const char *arg, double *out)
{
	*out = parse_duration(arg);
	if (*out < 0)
		return cli_usage_error("leaks", "%s: '%s' is not a time such as 90, 30s, 10m, 2h",
		                       opt, arg);
	return 0;
}

static int leaks_parse(int argc, char **argv, struct leaks_args *a)
{
	long long v;
	double d;
	int opt, r;

	leak_options_init(&a->o);
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", leaks_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_PID:
			r = cli_parse_int("leaks", "--pid", optarg, 0, CLI_PID_MAX, &v);
			a->o.root_pid = v;
			break;
		case OPT_DEPTH:
			r = cli_parse_int("leaks", "--depth", optarg, 0, 4096, &v);
			a->o.depth = (int)v;
			break;
		case OPT_THRESHOLD:
			r = cli_parse_real("leaks", "--threshold", optarg, 0, 1e12, &d);
			a->o.threshold = d * 1024;
			break;
		case OPT_PATH:
			a->o.path = optarg;
			break;
		case OPT_SKIP:
			r = duration_opt("--skip", optarg, &a->o.skip);
			break;
		case OPT_MIN_DURATION:
			r = duration_opt("--min-duration", optarg, &a->o.min_duration);
			break;
		case OPT_FROM:
			r = cli_parse_time("leaks", "--from", optarg, &a->o.from);
			break;
		case OPT_TO:
			r = cli_parse_time("leaks", "--to", optarg, &a->o.to);
			break;
		case OPT_CONFIDENCE:
			r = cli_parse_real("leaks", "--confidence", optarg, 50, 100, &d);
			a->o.min_confidence = d / 100;
			break;
		case OPT_TOP:
			r = cli_parse_int("leaks", "--top", optarg, 1, 1000000, &a->top);
			break;
		case OPT_ALL:
			a->o.all = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_CSV:
			a->csv = 1;
			break;
		default:
			return cli_bad_option("leaks", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error("leaks", "no trace given");
	a->trace = argv[optind++];
	if (optind < argc)
		return cli_usage_error("leaks", "one trace at a time ('%s' is extra)",
		                       argv[optind]);
	if (a->json && a->csv)
		return cli_usage_error("leaks", "--json and --csv exclude each other");
	if (a->o.depth >= 0 && a->o.root_pid < 0 && !a->o.path)
		return cli_usage_error("leaks", "--depth needs --pid or --path");
	if (a->o.from > a->o.to)
		return cli_usage_error("leaks", "--from is after --to");
	return -1;
}

/* UTC microseconds as "2026-11-22 10:00:00". */
static const char *fmt_when(char *buf, size_t len, int64_t us)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;

	if (us < 0 || !gmtime_r(&s, &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static const char *fmt_rate(char *buf, size_t len, const struct leak_suspect *s)
{
	char v[32];

	if (s->bytes)
		cli_fmt_bytes(v, sizeof(v), s->rate);
	else if (fabs(s->rate) >= 0.01 || s->rate == 0)
		snprintf(v, sizeof(v), "%.3g", s->rate);
	else
		snprintf(v, sizeof(v), "%.2e", s->rate);
	snprintf(buf, len, "%s/s", v);
	return buf;
}

static const char *fmt_amount(char *buf, size_t len, const struct leak_suspect *s, double x)
{
	if (s->bytes)
		return cli_fmt_bytes(buf, len, x);
	if (!isfinite(x))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.4g", x);
	return buf;
}

static const char *heap_name(enum leak_heap_verdict h)
{
	return h == LEAK_HEAP_GROWS ? "grows" : h == LEAK_HEAP_RETENTION ? "retention" : NULL;
}

static void print_table(const struct leaks_args *a, const struct series_set *set,
                        const struct leak_report *r, size_t shown)
{
	static const char *const heads[] = {"#",    "KIND",    "ID",          "NAME",
	                                    "RATE", "CONF",    "SINCE (UTC)", "GROWTH",
	                                    "NOW",  "FULL IN", "NOTE"};
	struct cli_table t;
	char span[32], first[32];

	cli_fmt_duration(span, sizeof(span),
	                 set->last_time > set->first_time
	                     ? (double)(set->last_time - set->first_time) / 1e6
	                     : 0);
	printf("%s: %s%s%s, %s from %s UTC, %zu series analysed\n", a->trace,
	       series_source_name(set->source), set->host ? ", host " : "",
	       set->host ? set->host : "", span, fmt_when(first, sizeof(first), set->first_time),
	       r->analysed);
	if (!r->suspects)
		printf("no leak suspects");
	else
		printf("%zu leak suspect%s", r->suspects, r->suspects == 1 ? "" : "s");
	if (isfinite(r->available)) {
		char avail[32];
		printf(", %s available at the end",
		       cli_fmt_bytes(avail, sizeof(avail), r->available));
	}
	printf("\n");
	if (!shown)
		return;
	printf("\n");
	cli_table_init(&t, 11, heads, "rllrrrlrrrl");
	for (size_t i = 0; i < shown; i++) {
		const struct leak_suspect *s = &r->items[i];
		char rank[24], rate[40], conf[16], since[32], growth[32], now[32], full[32],
		    nt[128];
		const char *row[11];

		snprintf(rank, sizeof(rank), "%zu", i + 1);
		snprintf(conf, sizeof(conf), "%.1f%%",
		         isfinite(s->confidence) ? 100 * s->confidence : 0);
		row[0] = s->suspect ? rank : "-";
		row[1] = leak_kind_name(s->kind);
		row[2] = s->id[0] ? s->id : "-";
		row[3] = s->name && s->name[0] ? s->name : "-";
		row[4] = fmt_rate(rate, sizeof(rate), s);
		row[5] = conf;
		row[6] = fmt_when(since, sizeof(since), s->start);
		row[7] = fmt_amount(growth, sizeof(growth), s, s->growth);
		row[8] = fmt_amount(now, sizeof(now), s, s->last_value);
		row[9] = cli_fmt_duration(full, sizeof(full), s->projection);
		row[10] = leak_suspect_note(s, nt, sizeof(nt));
		if (cli_table_add(&t, row) < 0)
			break;
	}
	cli_table_print(&t, stdout, cli_term_width(1));
	cli_table_release(&t);
}

static void json_num(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_real(w, v);
}

static void print_json(const struct leaks_args *a, const struct series_set *set,
                       const struct leak_report *r, size_t shown)
{
	struct json_writer w;

	json_init(&w, stdout, 2);
	json_object_begin(&w);
	json_key(&w, "file");
	json_string(&w, a->trace);
	json_key(&w, "source");
	json_string(&w, series_source_name(set->source));
	json_key(&w, "host");
	json_string(&w, set->host);
	json_key(&w, "timezone");
	json_string(&w, set->timezone);
	json_key(&w, "first_us");
	if (set->first_time <= set->last_time)
		json_int(&w, set->first_time);
	else
		json_null(&w);
	json_key(&w, "last_us");
	if (set->first_time <= set->last_time)
		json_int(&w, set->last_time);
	else
		json_null(&w);
	json_key(&w, "analysed");
	json_int(&w, (int64_t)r->analysed);
	json_key(&w, "suspect_count");
	json_int(&w, (int64_t)r->suspects);
	json_num(&w, "available_bytes", r->available);
	json_key(&w, "series");
	json_array_begin(&w);
	for (size_t i = 0; i < shown; i++) {
		const struct leak_suspect *s = &r->items[i];

		json_object_begin(&w);
		json_key(&w, "rank");
		json_int(&w, (int64_t)i + 1);
		json_key(&w, "suspect");
		json_bool(&w, s->suspect);
		json_key(&w, "kind");
		json_string(&w, leak_kind_name(s->kind));
		json_key(&w, "id");
		json_string(&w, s->id);
		json_key(&w, "name");
		json_string(&w, s->name);
		json_key(&w, "metric");
		json_string(&w, s->metric);
		json_key(&w, "pid");
		if (s->pid >= 0)
			json_int(&w, s->pid);
		else
			json_null(&w);
		json_key(&w, "start_time");
		if (s->start_time >= 0)
			json_int(&w, s->start_time);
		else
			json_null(&w);
		json_num(&w, "rate_per_second", s->rate);
		json_num(&w, "confidence", s->confidence);
		json_key(&w, "growth_start_us");
		json_int(&w, s->start);
		json_num(&w, "growth", s->growth);
		json_num(&w, "first_value", s->first_value);
		json_num(&w, "last_value", s->last_value);
		json_num(&w, "noise", s->noise);
		json_num(&w, "projection_seconds", s->projection);
		json_key(&w, "points");
		json_int(&w, (int64_t)s->points);
		json_key(&w, "members");
		json_int(&w, (int64_t)s->members);
		json_key(&w, "heap");
		json_string(&w, heap_name(s->heap));
		json_num(&w, "heap_rate_per_second", s->heap_rate);
		json_key(&w, "explained_by");
		if (s->explained_by >= 0)
			json_int(&w, s->explained_by);
		else
			json_null(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
}

static void csv_text(const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void csv_num(double v)
{
	if (isfinite(v))
		printf(",%.17g", v);
	else
		printf(",");
}

static void print_csv(const struct leak_report *r, size_t shown)
{
	printf("rank,suspect,kind,id,name,metric,pid,start_time,rate_per_second,confidence,"
	       "growth_start,growth,first_value,last_value,projection_seconds,members,heap,"
	       "explained_by\n");
	for (size_t i = 0; i < shown; i++) {
		const struct leak_suspect *s = &r->items[i];
		char when[40];

		printf("%zu,%d,%s,", i + 1, s->suspect, leak_kind_name(s->kind));
		csv_text(s->id);
		putchar(',');
		csv_text(s->name);
		printf(",%s,", s->metric);
		if (s->pid >= 0)
			printf("%lld", (long long)s->pid);
		putchar(',');
		if (s->start_time >= 0)
			printf("%lld", (long long)s->start_time);
		csv_num(s->rate);
		csv_num(s->confidence);
		printf(",%s", s->start >= 0 ? cli_fmt_time_utc(when, sizeof(when), s->start) : "");
		csv_num(s->growth);
		csv_num(s->first_value);
		csv_num(s->last_value);
		csv_num(s->projection);
		printf(",%zu,%s,", s->members, heap_name(s->heap) ? heap_name(s->heap) : "");
		if (s->explained_by >= 0)
			printf("%lld", (long long)s->explained_by);
		putchar('\n');
	}
}

int cmd_leaks(int argc, char **argv)
{
	struct leaks_args a;
	struct series_set *set = NULL;
	struct leak_report *r = NULL;
	char err[1024];
	size_t shown;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = leaks_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	if (leaks_load(&set, a.trace, &a.o, err, sizeof(err)) < 0)
		return cli_error("leaks", "%s", err);
	if (set->source == SERIES_SOURCE_LOG && set->skipped_lines && isatty(2))
		fprintf(stderr, "vitals leaks: %s: %llu lines without a record skipped\n", a.trace,
		        (unsigned long long)set->skipped_lines);
	if (leaks_analyze(set, &a.o, &r, err, sizeof(err)) < 0) {
		series_set_free(set);
		return cli_error("leaks", "%s", err);
	}
	shown = r->count;
	if (a.top && (size_t)a.top < shown)
		shown = (size_t)a.top;
	if (a.json)
		print_json(&a, set, r, shown);
	else if (a.csv)
		print_csv(r, shown);
	else
		print_table(&a, set, r, shown);
	leak_report_free(r);
	series_set_free(set);
	return CLI_EXIT_OK;
}
