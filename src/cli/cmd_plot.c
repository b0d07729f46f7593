/*
 * vitals plot: draw a trace as an SVG chart, one panel per metric group,
 * events as markers, times in the trace's own zone, local time, UTC or any
 * IANA zone; or export it for gnuplot.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "analyze/charts.h"
#include "analyze/gnuplot.h"
#include "analyze/svg.h"
#include "cli/cli.h"
#include "record/loop.h"

static const char usage_text[] =
    "usage: vitals plot TRACE [-o OUT.svg] [--gnuplot DIR] [--metric NAME[,NAME...]]\n"
    "                   [--entity KIND[:ID]] [--pid PID[,PID...]] [--top N]\n"
    "                   [--from TIME] [--to TIME] [--tz ZONE] [--title TEXT]\n"
    "                   [--width PX] [--height PX]\n"
    "\n"
    "Draw a trace (Parquet, CSV, JSON lines, a --rotate segment set or a\n"
    "process log) as an SVG chart: CPU, memory, disk and network for a system\n"
    "trace; RSS, VMS and CPU for a process log; events as markers.\n"
    "\n"
    "  -o, --output OUT.svg  the SVG file to write ('-' for standard output)\n"
    "  --gnuplot DIR         write DIR/NAME.dat and DIR/NAME.plt, and run gnuplot\n"
    "                        to draw DIR/NAME.svg when it is installed\n"
    "  --metric NAME,...     one panel per trace column (rss_bytes, load1, ...)\n"
    "  --entity KIND[:ID]    only entities of this kind, or this one entity\n"
    "                        (disk, net:eth0, process:1234, gauge:/cache)\n"
    "  --pid PID,...         the RSS, CPU and I/O of these processes\n"
    "  --top N               lines per panel, the busiest first (default 8)\n"
    "  --from TIME           start of the range (RFC 3339, or microseconds)\n"
    "  --to TIME             end of the range\n"
    "  --tz ZONE             display zone: an IANA name (Europe/Paris), UTC,\n"
    "                        local, or data (the trace's own, the default)\n"
    "  --title TEXT          the chart's title (default: file and host)\n"
    "  --width PX            width of the chart (default 1000)\n"
    "  --height PX           height of each panel (default 180)\n"
    "  -h, --help            show this help\n";

enum {
	OPT_GNUPLOT = 256,
	OPT_METRIC,
	OPT_ENTITY,
	OPT_PID,
	OPT_TOP,
	OPT_FROM,
	OPT_TO,
	OPT_TZ,
	OPT_TITLE,
	OPT_WIDTH,
	OPT_HEIGHT,
};

static const struct option plot_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"gnuplot", required_argument, NULL, OPT_GNUPLOT},
    {"metric", required_argument, NULL, OPT_METRIC},
    {"entity", required_argument, NULL, OPT_ENTITY},
    {"pid", required_argument, NULL, OPT_PID},
    {"top", required_argument, NULL, OPT_TOP},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"tz", required_argument, NULL, OPT_TZ},
    {"title", required_argument, NULL, OPT_TITLE},
    {"width", required_argument, NULL, OPT_WIDTH},
    {"height", required_argument, NULL, OPT_HEIGHT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define LIST_MAX 64

struct plot_args {
	const char *trace, *out, *gnuplot, *tz, *title;
	struct charts_options co;
	const char *metrics[LIST_MAX];
	int64_t pids[LIST_MAX];
	char metric_raw[4096], metric_text[4096];
	char entity_text[1024];
	long long width, height;
};

/* ---- time zones ---------------------------------------------------------- */

/* Whether NAME is a zone of the system's tzdata (a TZif file under TZDIR). */
static int zone_known(const char *name)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX], magic[4];
	FILE *f;
	int ok = 0;

	if (!name || !*name || name[0] == '/' || strstr(name, "..") || strlen(name) > 200)
		return 0;
	for (const char *p = name; *p; p++)
		if (!(*p == '/' || *p == '_' || *p == '-' || *p == '+' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			return 0;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

int cli_use_zone(const char *cmd, const char *tz, const char *data_zone, char *shown, size_t len)
{
	const char *zone = tz;

	if (!tz || strcmp(tz, "data") == 0) {
		zone = data_zone;
		if (zone && strcmp(zone, "UTC") != 0 && !zone_known(zone)) {
			fprintf(stderr,
			        "vitals %s: the trace's time zone '%s' is not known here; showing "
			        "local time\n",
			        cmd, zone);
			zone = NULL;
		}
		if (!zone)
			zone = "local";
	}
	if (strcmp(zone, "local") == 0) {
		record_local_zone(shown, len);
		tzset();
		return 0;
	}
	if (strcasecmp(zone, "UTC") == 0 || strcasecmp(zone, "Z") == 0)
		zone = "UTC";
	else if (!zone_known(zone))
		return cli_usage_error(cmd,
		                       "--tz: '%s' is not a time zone of this system (use an IANA "
		                       "name such as Europe/Paris, UTC, local or data)",
		                       zone);
	snprintf(shown, len, "%s", zone);
	if (setenv("TZ", zone, 1) != 0)
		return cli_error(cmd, "cannot set the time zone: %s", strerror(errno));
	tzset();
	return 0;
}

/* ---- options ------------------------------------------------------------- */

static int split_metrics(struct plot_args *a, const char *text)
{
	size_t used = strlen(a->metric_raw);
	char *p;

	if (used + strlen(text) + 2 > sizeof(a->metric_raw))
		return cli_usage_error("plot", "--metric: too many names");
	if (used)
		a->metric_raw[used++] = ',';
	strcpy(a->metric_raw + used, text);
	strcpy(a->metric_text, a->metric_raw);
	a->co.metric_count = 0;
	for (p = a->metric_text;;) {
		char *comma = strchr(p, ',');

		if (comma)
			*comma = '\0';
		if (!*p)
			return cli_usage_error("plot", "--metric: an empty name in '%s'", text);
		if (a->co.metric_count == LIST_MAX)
			return cli_usage_error("plot", "--metric: at most %d names", LIST_MAX);
		a->metrics[a->co.metric_count++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static int parse_pids(struct plot_args *a, const char *text)
{
	char buf[1024], *save = NULL;

	if (strlen(text) >= sizeof(buf))
		return cli_usage_error("plot", "--pid: too long");
	strcpy(buf, text);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long long pid;
		int r;

		if (a->co.pid_count == LIST_MAX)
			return cli_usage_error("plot", "--pid: at most %d pids", LIST_MAX);
		r = cli_parse_int("plot", "--pid", tok, 0, CLI_PID_MAX, &pid);
		if (r)
			return r;
		a->pids[a->co.pid_count++] = pid;
	}
	if (!a->co.pid_count)
		return cli_usage_error("plot", "--pid: no pid in '%s'", text);
	return 0;
}

static int parse_entity(struct plot_args *a, const char *text)
{
	static const char *const kinds[] = {"system", "cpu",     "psi", "disk",   "net",
	                                    "fs",     "process", "gpu", "cgroup", "gauge"};
	char *colon;
	size_t i;

	if (strlen(text) >= sizeof(a->entity_text))
		return cli_usage_error("plot", "--entity: too long");
	strcpy(a->entity_text, text);
	colon = strchr(a->entity_text, ':');
	if (colon) {
		*colon = '\0';
		if (!colon[1])
			return cli_usage_error("plot", "--entity: an empty id in '%s'", text);
		a->co.id = colon + 1;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i], a->entity_text) == 0)
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return cli_usage_error("plot",
		                       "--entity: '%s' is not a kind (system, cpu, psi, disk, net, "
		                       "fs, process, gpu, cgroup, gauge)",
		                       a->entity_text);
	a->co.kind = a->entity_text;
	return 0;
}

static int plot_parse(int argc, char **argv, struct plot_args *a)
{
	int opt, r;

	charts_options_init(&a->co);
	a->co.metrics = a->metrics;
	a->co.pids = a->pids;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", plot_options, NULL)) != -1) {
		long long top;

		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case 'o':
			a->out = optarg;
			break;
		case OPT_GNUPLOT:
			a->gnuplot = optarg;
			break;
		case OPT_METRIC:
			r = split_metrics(a, optarg);
			break;
		case OPT_ENTITY:
			r = parse_entity(a, optarg);
			break;
		case OPT_PID:
			r = parse_pids(a, optarg);
			break;
		case OPT_TOP:
			r = cli_parse_int("plot", "--top", optarg, 1, 100, &top);
			a->co.top = (size_t)top;
			break;
		case OPT_FROM:
			r = cli_parse_time("plot", "--from", optarg, &a->co.from);
			break;
		case OPT_TO:
			r = cli_parse_time("plot", "--to", optarg, &a->co.to);
			break;
		case OPT_TZ:
			a->tz = optarg;
			break;
		case OPT_TITLE:
			a->title = optarg;
			break;
		case OPT_WIDTH:
			r = cli_parse_int("plot", "--width", optarg, 300, 20000, &a->width);
			break;
		case OPT_HEIGHT:
			r = cli_parse_int("plot", "--height", optarg, 40, 4000, &a->height);
			break;
		default:
			return cli_bad_option("plot", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error("plot", "no trace given");
	a->trace = argv[optind++];
	if (optind < argc)
		return cli_usage_error("plot", "one trace at a time ('%s' is extra)", argv[optind]);
	if (!a->out && !a->gnuplot)
		return cli_usage_error("plot", "no output given (-o OUT.svg or --gnuplot DIR)");
	if (a->co.from > a->co.to)
		return cli_usage_error("plot", "--from is after --to");
	if (a->co.pid_count && a->co.kind && strcmp(a->co.kind, "process") != 0)
		return cli_usage_error("plot",
		                       "--pid selects processes; it cannot go with --entity "
		                       "%s",
		                       a->co.kind);
	if (a->gnuplot && cli_check_dir("plot", "--gnuplot", a->gnuplot))
		return CLI_EXIT_USAGE;
	return -1;
}

/* ---- output ------------------------------------------------------------- */

/* Writes the chart (cli_write_file()'s callback). */
static int svg_write_cb(void *ctx, FILE *f, char *err, size_t errlen)
{
	struct charts *c = ctx;

	return svg_chart_write(&c->chart, f, err, errlen);
}

/* Run gnuplot NAME.plt in DIR: its exit status, 127 when it is not installed. */
static int run_gnuplot(const char *dir, const char *name)
{
	char script[PATH_MAX];
	pid_t pid;
	int status;

	snprintf(script, sizeof(script), "%s.plt", name);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (chdir(dir) != 0)
			_exit(126);
		if (!freopen("/dev/null", "w", stdout))
			_exit(126);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int write_gnuplot(struct charts *c, const char *dir, const char *trace)
{
	const char *base = strrchr(trace, '/') ? strrchr(trace, '/') + 1 : trace;
	char name[256], err[512];
	int rc;

	snprintf(name, sizeof(name), "%s", *base ? base : "trace");
	for (char *p = name; *p; p++)
		if (*p == '\'' || *p == '/' || (unsigned char)*p < 0x20)
			*p = '_';
	if (gnuplot_write(&c->chart, dir, name, err, sizeof(err)) < 0)
		return cli_error("plot", "%s", err);
	rc = run_gnuplot(dir, name);
	if (rc == 127)
		fprintf(stderr,
		        "vitals plot: gnuplot is not installed: wrote %s/%s.dat and %s/%s.plt "
		        "(run 'gnuplot %s.plt' there to draw %s.svg)\n",
		        dir, name, dir, name, name, name);
	else if (rc != 0)
		return cli_error("plot", "gnuplot failed on %s/%s.plt (exit status %d)", dir, name,
		                 rc);
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_args *a = calloc(1, sizeof(*a));
	struct charts *c = NULL;
	char err[1024], zone[256];
	int r;

	if (!a)
		return cli_error("plot", "out of memory");
	r = plot_parse(argc, argv, a);
	if (r >= 0)
		goto out;
	r = charts_build(&c, a->trace, &a->co, err, sizeof(err));
	if (r < 0) {
		r = r == VITALS_E_NOTFOUND || r == VITALS_E_INVAL
		        ? cli_usage_error("plot", "%s", err)
		        : cli_error("plot", "%s", err);
		goto out;
	}
	r = cli_use_zone("plot", a->tz, c->set->timezone, zone, sizeof(zone));
	if (r)
		goto out;
	charts_describe(c, a->trace, a->title, zone);
	c->chart.width = (int)a->width;
	c->chart.panel_height = (int)a->height;
	c->chart.standalone = 1;
	if (a->out) {
		r = cli_write_file("plot", a->out, svg_write_cb, c);
		if (r)
			goto out;
	}
	if (a->gnuplot)
		r = write_gnuplot(c, a->gnuplot, a->trace);
out:
	charts_free(c);
	free(a);
	return r;
}
