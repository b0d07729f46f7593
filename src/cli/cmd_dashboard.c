/*
 * vitals dashboard: the web page, the JSON API (docs/api.md), live
 * tracing and /metrics for Prometheus, served on one port until
 * interrupted (src/serve/).
 */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"
#include "serve/serve.h"

static const char usage_text[] =
    "usage: vitals dashboard [--data-dir DIR] [--datafile FILE ...] [--bind ADDR]\n"
    "                        [--port N] [--token T] [--trace NAME]\n"
    "                        [--sample-interval S] [--write-interval S]\n"
    "                        [--metrics-pid P] [--metrics-match TEXT]\n"
    "                        [--max-connections N] [--duration S] [--quiet]\n"
    "\n"
    "Serve the dashboard: the web page, its JSON API, live tracing and\n"
    "/metrics for Prometheus, until interrupted. Prints its URL.\n"
    "\n"
    "  --data-dir DIR         traces offered from DIR, and where tracing writes\n"
    "  --datafile FILE        a trace to offer (repeatable; any directory)\n"
    "  --bind ADDR            address to listen on (default 127.0.0.1); another\n"
    "                         than loopback makes every request need the token\n"
    "  --port N               port (default 8050; 0 picks a free one)\n"
    "  --token T              the token control requests need (8 characters or\n"
    "                         more; default: a random one, printed in the URL)\n"
    "  --trace NAME           start tracing into DIR/NAME at once\n"
    "  --sample-interval S    seconds between samples of --trace (default 1)\n"
    "  --write-interval S     seconds between writes of --trace (default 10)\n"
    "  --metrics-pid P        /metrics also exports process P and its descendants\n"
    "  --metrics-match TEXT   /metrics also exports processes whose name or\n"
    "                         command line has TEXT\n"
    "  --max-connections N    connections served at once (default 256)\n"
    "  --duration S           stop after S seconds (default: until interrupted)\n"
    "  -q, --quiet            print only the URL\n"
    "  -h, --help             show this help\n"
    "\n"
    "The web page's files come from VITALS_ASSETS when set, else from the build\n"
    "tree or the installed share/vitals/web. SIGINT and SIGTERM stop tracing\n"
    "(writing its file) and exit 0.\n";

enum {
	OPT_DATA_DIR = 256,
	OPT_DATAFILE,
	OPT_BIND,
	OPT_PORT,
	OPT_TOKEN,
	OPT_TRACE,
	OPT_SAMPLE,
	OPT_WRITE,
	OPT_METRICS_PID,
	OPT_METRICS_MATCH,
	OPT_MAX_CONN,
	OPT_DURATION,
	OPT_PROC_ROOT,
	OPT_SYS_ROOT,
};

static const struct option dashboard_options[] = {
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"datafile", required_argument, NULL, OPT_DATAFILE},
    {"bind", required_argument, NULL, OPT_BIND},
    {"port", required_argument, NULL, OPT_PORT},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"sample-interval", required_argument, NULL, OPT_SAMPLE},
    {"write-interval", required_argument, NULL, OPT_WRITE},
    {"metrics-pid", required_argument, NULL, OPT_METRICS_PID},
    {"metrics-match", required_argument, NULL, OPT_METRICS_MATCH},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define DATAFILES_MAX 64

int cmd_dashboard(int argc, char **argv)
{
	struct serve_options o;
	const char *datafiles[DATAFILES_MAX];
	const char *trace = NULL;
	double sample = 1, write = 10, duration = 0;
	struct server *s;
	sigset_t set, old;
	char err[1024], host[128];
	const char *assets;
	long long v;
	int opt, quiet = 0, has_index, rc, sig;

	serve_options_init(&o);
	o.datafiles = datafiles;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":qh", dashboard_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case 'q':
			quiet = 1;
			break;
		case OPT_DATA_DIR:
			if ((rc = cli_check_dir("dashboard", "--data-dir", optarg)))
				return rc;
			o.data_dir = optarg;
			break;
		case OPT_DATAFILE:
			if (o.datafile_count == DATAFILES_MAX)
				return cli_usage_error("dashboard", "--datafile: at most %d files",
				                       DATAFILES_MAX);
			if (vitals_format_from_path(optarg) == VITALS_FORMAT_UNKNOWN)
				return cli_usage_error("dashboard",
				                       "--datafile: '%s' is not a trace (.parquet, "
				                       ".csv, .jsonl)",
				                       optarg);
			datafiles[o.datafile_count++] = optarg;
			break;
		case OPT_BIND:
			o.bind = optarg;
			break;
		case OPT_PORT:
			if ((rc = cli_parse_int("dashboard", "--port", optarg, 0, 65535, &v)))
				return rc;
			o.port = (unsigned)v;
			break;
		case OPT_TOKEN:
			if (strlen(optarg) < 8 || strlen(optarg) > 79)
				return cli_usage_error(
				    "dashboard", "--token: the token must have 8 to 79 characters");
			o.token = optarg;
			break;
		case OPT_TRACE:
			trace = optarg;
			break;
		case OPT_SAMPLE:
			if ((rc = cli_parse_real("dashboard", "--sample-interval", optarg, 0.05,
			                         3600, &sample)))
				return rc;
			break;
		case OPT_WRITE:
			if ((rc = cli_parse_real("dashboard", "--write-interval", optarg, 0.05,
			                         3600, &write)))
				return rc;
			break;
		case OPT_METRICS_PID:
			if ((rc = cli_parse_int("dashboard", "--metrics-pid", optarg, 1,
			                        CLI_PID_MAX, &v)))
				return rc;
			o.metrics_pid = (pid_t)v;
			break;
		case OPT_METRICS_MATCH:
			if (!*optarg)
				return cli_usage_error("dashboard", "--metrics-match: empty text");
			o.metrics_match = optarg;
			break;
		case OPT_MAX_CONN:
			if ((rc = cli_parse_int("dashboard", "--max-connections", optarg, 4, 10000,
			                        &v)))
				return rc;
			o.max_connections = (unsigned)v;
			break;
		case OPT_DURATION:
			if ((rc = cli_parse_real("dashboard", "--duration", optarg, 0.1, 1e9,
			                         &duration)))
				return rc;
			break;
		case OPT_PROC_ROOT:
			o.proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			o.sys_root = optarg;
			break;
		default:
			return cli_bad_option("dashboard", argv, optind, opt);
		}
	}
	if (optind < argc)
		return cli_usage_error("dashboard", "unexpected argument '%s'", argv[optind]);
	if (trace && !o.data_dir)
		return cli_usage_error("dashboard", "--trace needs --data-dir");
	if (write < sample)
		return cli_usage_error("dashboard",
		                       "--write-interval is shorter than --sample-interval");

	/* Signals are taken by this thread only, with sigwait: block them before any thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	signal(SIGPIPE, SIG_IGN);

	/*
	 * One malloc arena per connection thread would keep what each request
	 * freed: a few shared arenas keep the server's memory bounded.
	 */
	mallopt(M_ARENA_MAX, 4);
	if (server_start(&s, &o, err, sizeof(err)) < 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return cli_error("dashboard", "%s", err);
	}
	if (trace) {
		rc = server_trace(s, trace, sample, write, err, sizeof(err));
		if (rc) {
			server_stop(s);
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return rc == 400 ? cli_usage_error("dashboard", "--trace: %s", err)
			                 : cli_error("dashboard", "--trace: %s", err);
		}
	}
	snprintf(host, sizeof(host), "%s", o.bind);
	if (strchr(host, ':'))
		snprintf(host, sizeof(host), "[%s]", o.bind);
	printf("vitals dashboard on http://%s:%u/?token=%s\n", host, server_port(s),
	       server_token(s));
	fflush(stdout);
	assets = server_assets(s, &has_index);
	if (!quiet) {
		fprintf(stderr, "vitals dashboard: port %u; control needs the token above%s\n",
		        server_port(s), o.token ? "" : " (generated; --token sets one)");
		if (!has_index)
			fprintf(stderr,
			        "vitals dashboard: no web page in %s (build it with make, or set "
			        "VITALS_ASSETS); the API answers\n",
			        assets);
		if (trace)
			fprintf(stderr, "vitals dashboard: tracing into %s/%s every %g s\n",
			        o.data_dir, trace, sample);
	}
	if (duration > 0) {
		struct timespec ts;

		ts.tv_sec = (time_t)duration;
		ts.tv_nsec = (long)((duration - (double)ts.tv_sec) * 1e9);
		sig = sigtimedwait(&set, NULL, &ts);
	} else {
		while (sigwait(&set, &sig) != 0)
			continue;
	}
	(void)sig;
	server_stop(s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!quiet)
		fprintf(stderr, "vitals dashboard: stopped\n");
	return CLI_EXIT_OK;
}
