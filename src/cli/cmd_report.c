/*
 * vitals report: one self-contained HTML file about a trace: the
 * recording, charts, events, leak suspects, top processes and the
 * recorder's own overhead.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "analyze/report.h"
#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals report TRACE -o OUT.html [--tz ZONE] [--title TEXT] [--top N]\n"
    "\n"
    "Write one self-contained HTML file about a trace (Parquet, CSV, JSON lines,\n"
    "a --rotate segment set or a process log): host, kernel, time span and\n"
    "sample interval, charts, events, leak suspects, the top processes by CPU,\n"
    "memory and I/O, and what the recording itself cost. It fetches nothing and\n"
    "opens offline.\n"
    "\n"
    "  -o, --output OUT.html  the file to write ('-' for standard output)\n"
    "  --tz ZONE              display zone: an IANA name (Europe/Paris), UTC,\n"
    "                         local, or data (the trace's own, the default)\n"
    "  --title TEXT           the page's title (default: file and host)\n"
    "  --top N                rows per table (default 10)\n"
    "  -h, --help             show this help\n";

enum {
	OPT_TZ = 256,
	OPT_TITLE,
	OPT_TOP,
};

static const struct option report_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"tz", required_argument, NULL, OPT_TZ},
    {"title", required_argument, NULL, OPT_TITLE},
    {"top", required_argument, NULL, OPT_TOP},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct report_args {
	const char *trace, *out, *tz, *title;
	long long top;
};

static int report_parse(int argc, char **argv, struct report_args *a)
{
	int opt, r;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", report_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case 'o':
			a->out = optarg;
			break;
		case OPT_TZ:
			a->tz = optarg;
			break;
		case OPT_TITLE:
			a->title = optarg;
			break;
		case OPT_TOP:
			r = cli_parse_int("report", "--top", optarg, 1, 1000, &a->top);
			break;
		default:
			return cli_bad_option("report", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error("report", "no trace given");
	a->trace = argv[optind++];
	if (optind < argc)
		return cli_usage_error("report", "one trace at a time ('%s' is extra)",
		                       argv[optind]);
	if (!a->out)
		return cli_usage_error("report", "no output file given (-o OUT.html)");
	return -1;
}

struct html_out {
	struct report *rep;
	const char *title, *zone;
};

/* Writes the report (cli_write_file()'s callback). */
static int html_write_cb(void *ctx, FILE *f, char *err, size_t errlen)
{
	struct html_out *h = ctx;

	return report_write(h->rep, f, h->title, h->zone, err, errlen);
}

int cmd_report(int argc, char **argv)
{
	struct report_args a = {0};
	struct report *rep = NULL;
	char err[1024], zone[256];
	int r;

	r = report_parse(argc, argv, &a);
	if (r >= 0)
		return r;
	r = report_build(&rep, a.trace, (size_t)a.top, err, sizeof(err));
	if (r < 0)
		return r == VITALS_E_NOTFOUND || r == VITALS_E_INVAL
		           ? cli_usage_error("report", "%s", err)
		           : cli_error("report", "%s", err);
	r = cli_use_zone("report", a.tz, rep->charts->set->timezone, zone, sizeof(zone));
	if (!r) {
		charts_describe(rep->charts, a.trace, NULL, zone);
		struct html_out h = {rep, a.title, zone};

		r = cli_write_file("report", a.out, html_write_cb, &h);
	}
	report_free(rep);
	return r;
}
