/*
 * vitals snapshot: what the machine and its processes consume now, as a
 * readable summary or as JSON, once or refreshed in place (--watch).
 *
 * Two readings are taken --interval apart so that every rate (CPU %,
 * bytes per second) covers a real period; in --watch mode one collector
 * is reused, so each refresh's rates cover the time since the last one.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals snapshot [OPTIONS]\n"
    "\n"
    "Show what the machine and its processes consume now: host, CPU, memory,\n"
    "pressure, disks, network, filesystems, GPUs, control groups (containers)\n"
    "and the top processes.\n"
    "\n"
    "  --sort cpu|mem|io     order processes by CPU %, resident memory or I/O (default cpu)\n"
    "  --top N               show N processes (default 15); with --json, only the top N\n"
    "  --json                print everything as one JSON document\n"
    "  --pid P               only process P and its descendants\n"
    "  --depth D             with --pid, only D levels below P (0: P alone)\n"
    "  --match TEXT          only processes whose name or command line contains TEXT\n"
    "  --threshold KB        only processes with at least KB KiB resident\n"
    "  --interval S          seconds between the two readings (default 0.5)\n"
    "  --watch [S]           refresh every S seconds (default 2) until interrupted\n"
    "  --count N             with --watch, stop after N refreshes\n"
    "  --sources             list the sources and whether they work, then exit\n"
    "  --proc-root DIR       read procfs from DIR instead of /proc\n"
    "  --sys-root DIR        read sysfs from DIR instead of /sys\n"
    "  --cgroup-root DIR     read the cgroup hierarchies under DIR (default SYSFS/fs/cgroup)\n"
    "  --docker-socket PATH  ask the Docker or Podman API at PATH for container names\n"
    "                        (default /var/run/docker.sock, then /run/podman/podman.sock)\n"
    "  --no-gpu              do not load NVML\n"
    "  --no-containers       do not read control groups\n"
    "  -h, --help            show this help\n";

enum sort_key { SORT_CPU, SORT_MEM, SORT_IO };

struct snapshot_args {
	enum sort_key sort;
	long long top;
	int top_given;
	int json;
	struct vitals_scope scope;
	double interval;
	int watch;
	double period;
	long long count;
	int sources;
	const char *proc_root;
	const char *sys_root;
	const char *cgroup_root;
	const char *docker_socket;
	int no_gpu, no_containers;
};

/* One process of the sample with the value it is sorted by. */
struct proc_row {
	const struct vitals_entity *e;
	double key; /* NaN when unknown: sorts last */
	int64_t pid;
};

static volatile sig_atomic_t snapshot_stop;

static void snapshot_on_signal(int sig)
{
	(void)sig;
	snapshot_stop = 1;
}

enum {
	OPT_SORT = 256,
	OPT_TOP,
	OPT_JSON,
	OPT_PID,
	OPT_DEPTH,
	OPT_MATCH,
	OPT_THRESHOLD,
	OPT_INTERVAL,
	OPT_WATCH,
	OPT_COUNT,
	OPT_SOURCES,
	OPT_PROC_ROOT,
	OPT_SYS_ROOT,
	OPT_CGROUP_ROOT,
	OPT_DOCKER_SOCKET,
	OPT_NO_GPU,
	OPT_NO_CONTAINERS,
};

static const struct option snapshot_options[] = {
    {"sort", required_argument, NULL, OPT_SORT},
    {"top", required_argument, NULL, OPT_TOP},
    {"json", no_argument, NULL, OPT_JSON},
    {"pid", required_argument, NULL, OPT_PID},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"match", required_argument, NULL, OPT_MATCH},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"watch", optional_argument, NULL, OPT_WATCH},
    {"count", required_argument, NULL, OPT_COUNT},
    {"sources", no_argument, NULL, OPT_SOURCES},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
    {"cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT},
    {"docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET},
    {"no-gpu", no_argument, NULL, OPT_NO_GPU},
    {"no-containers", no_argument, NULL, OPT_NO_CONTAINERS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parse ARGV into A. Returns -1 to go on, or the exit status (after --help or bad input). */
static int snapshot_parse(int argc, char **argv, struct snapshot_args *a)
{
	long long n;
	int opt, r;

	memset(a, 0, sizeof(*a));
	a->sort = SORT_CPU;
	a->top = 15;
	a->scope.depth = -1;
	a->interval = 0.5;
	a->period = 2;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", snapshot_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_SORT:
			if (strcmp(optarg, "cpu") == 0)
				a->sort = SORT_CPU;
			else if (strcmp(optarg, "mem") == 0)
				a->sort = SORT_MEM;
			else if (strcmp(optarg, "io") == 0)
				a->sort = SORT_IO;
			else
				r = cli_usage_error("snapshot",
				                    "--sort: '%s' is not cpu, mem or io", optarg);
			break;
		case OPT_TOP:
			r = cli_parse_int("snapshot", "--top", optarg, 0, 1000000, &a->top);
			a->top_given = 1;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_PID:
			r = cli_parse_int("snapshot", "--pid", optarg, 1, CLI_PID_MAX, &n);
			a->scope.pid = (pid_t)n;
			break;
		case OPT_DEPTH:
			r = cli_parse_int("snapshot", "--depth", optarg, 0, 1000000, &n);
			a->scope.depth = (int)n;
			break;
		case OPT_MATCH:
			if (!*optarg)
				r = cli_usage_error("snapshot", "--match: the text is empty");
			a->scope.match = optarg;
			break;
		case OPT_THRESHOLD:
			r = cli_parse_int("snapshot", "--threshold", optarg, 0, 1LL << 40, &n);
			a->scope.threshold_kb = (uint64_t)n;
			break;
		case OPT_INTERVAL:
			r = cli_parse_real("snapshot", "--interval", optarg, 0.01, 3600,
			                   &a->interval);
			break;
		case OPT_WATCH:
			a->watch = 1;
			/* "--watch 0.2" as well as "--watch=0.2" */
			if (!optarg && optind < argc && cli_is_number(argv[optind]))
				optarg = argv[optind++];
			if (optarg)
				r = cli_parse_real("snapshot", "--watch", optarg, 0.05, 86400,
				                   &a->period);
			break;
		case OPT_COUNT:
			r = cli_parse_int("snapshot", "--count", optarg, 1, 1000000000, &a->count);
			a->watch = 1;
			break;
		case OPT_SOURCES:
			a->sources = 1;
			break;
		case OPT_PROC_ROOT:
			r = cli_check_dir("snapshot", "--proc-root", optarg);
			a->proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			r = cli_check_dir("snapshot", "--sys-root", optarg);
			a->sys_root = optarg;
			break;
		case OPT_CGROUP_ROOT:
			r = cli_check_dir("snapshot", "--cgroup-root", optarg);
			a->cgroup_root = optarg;
			break;
		case OPT_DOCKER_SOCKET:
			if (!*optarg)
				r = cli_usage_error("snapshot",
				                    "--docker-socket: the path is empty");
			a->docker_socket = optarg;
			break;
		case OPT_NO_GPU:
			a->no_gpu = 1;
			break;
		case OPT_NO_CONTAINERS:
			a->no_containers = 1;
			break;
		default:
			return cli_bad_option("snapshot", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind < argc)
		return cli_usage_error("snapshot", "unexpected argument '%s'", argv[optind]);
	if (a->scope.depth >= 0 && !a->scope.pid)
		return cli_usage_error("snapshot", "--depth needs --pid");
	return -1;
}

/* ---- reading values ----------------------------------------------------- */

/* Metric I of E, NaN when E is NULL or the value is missing. */
static double val(const struct vitals_entity *e, size_t i)
{
	double v;

	if (!e || vitals_entity_value(e, i, &v) != VITALS_OK)
		return NAN;
	return v;
}

static const struct vitals_entity *first_entity(const struct vitals_collector *c,
                                                enum vitals_kind kind)
{
	return vitals_collector_entity(c, kind, 0);
}

static double sort_key(const struct vitals_entity *e, enum sort_key sort)
{
	double r, w;

	switch (sort) {
	case SORT_MEM:
		return val(e, VITALS_PROC_RSS);
	case SORT_IO:
		r = val(e, VITALS_PROC_READ_BYTES_RATE);
		w = val(e, VITALS_PROC_WRITE_BYTES_RATE);
		if (isnan(r) && isnan(w))
			return NAN;
		return (isnan(r) ? 0 : r) + (isnan(w) ? 0 : w);
	case SORT_CPU:
		break;
	}
	return val(e, VITALS_PROC_CPU_PERCENT);
}

static int row_by_pid(const void *pa, const void *pb)
{
	const struct proc_row *a = pa, *b = pb;

	return (a->pid > b->pid) - (a->pid < b->pid);
}

static int row_by_key(const void *pa, const void *pb)
{
	const struct proc_row *a = pa, *b = pb;
	int na = isnan(a->key), nb = isnan(b->key);

	if (na != nb)
		return na - nb;
	if (!na && a->key != b->key)
		return a->key < b->key ? 1 : -1;
	return row_by_pid(pa, pb);
}

/*
 * The processes in scope into *rows: sorted by SORT (by_key) or by pid.
 * Returns their number, or -1 when out of memory.
 */
static long rows_collect(const struct vitals_collector *c, enum sort_key sort, int by_key,
                         struct proc_row **rows)
{
	size_t n = vitals_collector_count(c, VITALS_KIND_PROCESS);
	struct proc_row *r = calloc(n ? n : 1, sizeof(*r));

	*rows = r;
	if (!r)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_PROCESS, i);
		double pid = val(e, VITALS_PROC_PID);

		r[i].e = e;
		r[i].key = sort_key(e, sort);
		r[i].pid = isnan(pid) ? atoll(vitals_entity_id(e)) : (int64_t)pid;
	}
	qsort(r, n, sizeof(*r), by_key ? row_by_key : row_by_pid);
	return (long)n;
}

/* ---- JSON --------------------------------------------------------------- */

static const char *status_word(int status)
{
	if (status == VITALS_OK)
		return "ok";
	if (status == VITALS_E_UNSUPPORTED)
		return "absent";
	return "error";
}

static void json_sources(struct json_writer *w, const struct vitals_collector *c)
{
	json_object_begin(w);
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		const char *reason = "";
		int st = vitals_collector_source_status(c, (enum vitals_kind)k, &reason);

		json_key(w, vitals_kind_name((enum vitals_kind)k));
		json_object_begin(w);
		json_key(w, "status");
		json_string(w, status_word(st));
		json_key(w, "reason");
		json_string(w, reason);
		json_object_end(w);
	}
	json_object_end(w);
}

/* The metrics of E (of KIND) as keys of the open object; all null when E is NULL. */
static void json_metrics(struct json_writer *w, enum vitals_kind kind,
                         const struct vitals_entity *e)
{
	size_t n;
	const struct vitals_metric *m = vitals_metric_list(kind, &n);

	for (size_t i = 0; i < n; i++) {
		json_key(w, m[i].name);
		if (m[i].type == VITALS_METRIC_INT) {
			int64_t v;

			if (e && vitals_entity_int(e, i, &v) == VITALS_OK)
				json_int(w, v);
			else
				json_null(w);
		} else {
			json_real(w, val(e, i));
		}
	}
}

static void json_entity(struct json_writer *w, const struct vitals_entity *e)
{
	enum vitals_kind kind = vitals_entity_kind(e);
	size_t nattrs;
	const char *const *attrs = vitals_attr_list(kind, &nattrs);

	json_object_begin(w);
	json_key(w, "id");
	json_string(w, vitals_entity_id(e));
	json_key(w, "name");
	json_string(w, vitals_entity_name(e));
	for (size_t i = 0; i < nattrs; i++) {
		json_key(w, attrs[i]);
		json_string(w, vitals_entity_attr(e, i));
	}
	json_metrics(w, kind, e);
	json_object_end(w);
}

static int snapshot_json(const struct vitals_collector *c, const struct snapshot_args *a, FILE *out)
{
	struct json_writer w;
	struct proc_row *rows;
	char when[48];
	int64_t boot = vitals_collector_boot_time(c);
	long n = rows_collect(c, a->sort, a->top_given, &rows);

	if (n < 0)
		return VITALS_E_NOMEM;
	if (a->top_given && n > a->top)
		n = (long)a->top;

	json_init(&w, out, 1);
	json_object_begin(&w);
	json_key(&w, "vitals_version");
	json_string(&w, vitals_version());
	json_key(&w, "time");
	json_string(&w, cli_fmt_time_utc(when, sizeof(when), vitals_collector_time(c)));
	json_key(&w, "time_us");
	json_int(&w, vitals_collector_time(c));
	json_key(&w, "interval_seconds");
	json_real(&w, vitals_collector_interval(c));

	json_key(&w, "host");
	json_object_begin(&w);
	json_key(&w, "hostname");
	json_string(&w, vitals_collector_hostname(c));
	json_key(&w, "kernel");
	json_string(&w, vitals_collector_kernel(c));
	json_key(&w, "boot_id");
	json_string(&w, vitals_collector_boot_id(c));
	json_key(&w, "boot_time_us");
	if (boot > 0)
		json_int(&w, boot);
	else
		json_null(&w);
	json_object_end(&w);

	json_key(&w, "sources");
	json_sources(&w, c);

	json_key(&w, "system");
	json_object_begin(&w);
	json_metrics(&w, VITALS_KIND_SYSTEM, first_entity(c, VITALS_KIND_SYSTEM));
	json_object_end(&w);

	/* every other kind with a metric table: one array of entities */
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		size_t nm;

		if (k == VITALS_KIND_SYSTEM || k == VITALS_KIND_PROCESS)
			continue;
		vitals_metric_list((enum vitals_kind)k, &nm);
		if (nm == 0)
			continue;
		json_key(&w, vitals_kind_name((enum vitals_kind)k));
		json_array_begin(&w);
		for (size_t i = 0; i < vitals_collector_count(c, (enum vitals_kind)k); i++)
			json_entity(&w, vitals_collector_entity(c, (enum vitals_kind)k, i));
		json_array_end(&w);
	}
	json_key(&w, "process");
	json_array_begin(&w);
	for (long i = 0; i < n; i++)
		json_entity(&w, rows[i].e);
	json_array_end(&w);
	json_object_end(&w);
	json_finish(&w);
	free(rows);
	return VITALS_OK;
}

/* ---- text --------------------------------------------------------------- */

static void text_host(const struct vitals_collector *c, FILE *out)
{
	const struct vitals_entity *sys = first_entity(c, VITALS_KIND_SYSTEM);
	const char *host = vitals_collector_hostname(c), *kernel = vitals_collector_kernel(c);
	char up[32], when[64];
	time_t secs = (time_t)(vitals_collector_time(c) / 1000000);
	struct tm tm;
	double l1 = val(sys, VITALS_SYS_LOAD1), l5 = val(sys, VITALS_SYS_LOAD5),
	       l15 = val(sys, VITALS_SYS_LOAD15);

	if (!localtime_r(&secs, &tm) || !strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", &tm))
		snprintf(when, sizeof(when), "-");
	fprintf(out, "host %s  kernel %s  up %s  load ", host ? host : "-", kernel ? kernel : "-",
	        cli_fmt_duration(up, sizeof(up), val(sys, VITALS_SYS_UPTIME)));
	if (isnan(l1))
		fprintf(out, "-");
	else
		fprintf(out, "%.2f %.2f %.2f", l1, l5, l15);
	fprintf(out, "\ntime %s, rates over %.2f s\n", when, vitals_collector_interval(c));
}

static void text_cpu(const struct vitals_collector *c, FILE *out, size_t width)
{
	const struct vitals_entity *total = NULL;
	char b[5][16];
	size_t n = vitals_collector_count(c, VITALS_KIND_CPU), cores = 0, col;

	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_CPU, i);

		if (strcmp(vitals_entity_id(e), "total") == 0)
			total = e;
		else
			cores++;
	}
	fprintf(out, "cpu       %s busy  user %s  system %s  iowait %s  steal %s",
	        cli_fmt_percent(b[0], 16, val(total, VITALS_CPU_BUSY)),
	        cli_fmt_percent(b[1], 16, val(total, VITALS_CPU_USER)),
	        cli_fmt_percent(b[2], 16, val(total, VITALS_CPU_SYSTEM)),
	        cli_fmt_percent(b[3], 16, val(total, VITALS_CPU_IOWAIT)),
	        cli_fmt_percent(b[4], 16, val(total, VITALS_CPU_STEAL)));
	if (cores)
		fprintf(out, "  (%zu core%s)", cores, cores == 1 ? "" : "s");
	fputc('\n', out);
	if (!cores)
		return;
	/* one busy % per core, wrapped to the width */
	fputs("  cores  ", out);
	col = 9;
	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_CPU, i);
		double busy = val(e, VITALS_CPU_BUSY);

		if (e == total)
			continue;
		if (width && col + 4 > width) {
			fputs("\n         ", out);
			col = 9;
		}
		if (isnan(busy))
			fputs("   -", out);
		else
			fprintf(out, "%4.0f", busy);
		col += 4;
	}
	fputs("  %\n", out);
}

static void text_memory(const struct vitals_collector *c, FILE *out)
{
	const struct vitals_entity *s = first_entity(c, VITALS_KIND_SYSTEM);
	char b[5][16];
	double total = val(s, VITALS_SYS_MEM_TOTAL), used = val(s, VITALS_SYS_MEM_USED);
	double stotal = val(s, VITALS_SYS_SWAP_TOTAL);

	fprintf(out, "memory    %s used of %s (%s)  available %s  cached %s\n",
	        cli_fmt_bytes(b[0], 16, used), cli_fmt_bytes(b[1], 16, total),
	        cli_fmt_percent(b[2], 16, total > 0 ? 100 * used / total : NAN),
	        cli_fmt_bytes(b[3], 16, val(s, VITALS_SYS_MEM_AVAILABLE)),
	        cli_fmt_bytes(b[4], 16, val(s, VITALS_SYS_MEM_CACHED)));
	if (stotal == 0) {
		fprintf(out, "swap      none\n");
		return;
	}
	fprintf(out, "swap      %s used of %s  in %s/s  out %s/s\n",
	        cli_fmt_bytes(b[0], 16, val(s, VITALS_SYS_SWAP_USED)),
	        cli_fmt_bytes(b[1], 16, stotal),
	        cli_fmt_bytes(b[2], 16, val(s, VITALS_SYS_SWAP_IN_RATE)),
	        cli_fmt_bytes(b[3], 16, val(s, VITALS_SYS_SWAP_OUT_RATE)));
}

static void text_psi(const struct vitals_collector *c, FILE *out)
{
	size_t n = vitals_collector_count(c, VITALS_KIND_PSI);

	if (!n)
		return;
	fputs("pressure ", out);
	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_PSI, i);
		double some = val(e, VITALS_PSI_SOME_AVG10), full = val(e, VITALS_PSI_FULL_AVG10);

		fprintf(out, " %s ", vitals_entity_id(e));
		if (isnan(some))
			fputs("-", out);
		else
			fprintf(out, "%.1f", some);
		if (isnan(full))
			fputs("/- ", out);
		else
			fprintf(out, "/%.1f ", full);
	}
	fputs(" (% some/full, 10 s)\n", out);
}

/* Bytes of one cell of the device tables: mount points and device paths can be long. */
#define CELL_MAX 256

/* A table of every entity of KIND, one row each, built by FILL. */
typedef void (*row_fill_fn)(const struct vitals_entity *e, char cells[][CELL_MAX]);

static int text_kind_table(const struct vitals_collector *c, enum vitals_kind kind, FILE *out,
                           size_t width, size_t ncols, const char *const *heads, const char *align,
                           row_fill_fn fill)
{
	struct cli_table t;
	size_t n = vitals_collector_count(c, kind);
	char cells[12][CELL_MAX];
	const char *row[12];
	int status = VITALS_OK;

	if (!n)
		return VITALS_OK;
	cli_table_init(&t, ncols, heads, align);
	for (size_t i = 0; i < n && status == VITALS_OK; i++) {
		fill(vitals_collector_entity(c, kind, i), cells);
		for (size_t j = 0; j < ncols; j++)
			row[j] = cells[j];
		status = cli_table_add(&t, row);
	}
	fputc('\n', out);
	cli_table_print(&t, out, width);
	cli_table_release(&t);
	return status;
}

static void disk_fill(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	snprintf(cells[0], CELL_MAX, "%s", vitals_entity_name(e));
	cli_fmt_bytes(cells[1], CELL_MAX, val(e, VITALS_DISK_READ_BYTES_RATE));
	cli_fmt_bytes(cells[2], CELL_MAX, val(e, VITALS_DISK_WRITE_BYTES_RATE));
	cli_fmt_count(cells[3], CELL_MAX, val(e, VITALS_DISK_READ_OPS_RATE));
	cli_fmt_count(cells[4], CELL_MAX, val(e, VITALS_DISK_WRITE_OPS_RATE));
	cli_fmt_percent(cells[5], CELL_MAX, val(e, VITALS_DISK_BUSY));
}

static void net_fill(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	snprintf(cells[0], CELL_MAX, "%s", vitals_entity_name(e));
	cli_fmt_bytes(cells[1], CELL_MAX, val(e, VITALS_NET_RX_BYTES_RATE));
	cli_fmt_bytes(cells[2], CELL_MAX, val(e, VITALS_NET_TX_BYTES_RATE));
	cli_fmt_count(cells[3], CELL_MAX, val(e, VITALS_NET_RX_PACKETS_RATE));
	cli_fmt_count(cells[4], CELL_MAX, val(e, VITALS_NET_TX_PACKETS_RATE));
}

/* Network errors and drops since boot, shown only when some are not zero. */
static void net_fill_errors(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	static const size_t idx[4] = {VITALS_NET_RX_ERRORS, VITALS_NET_RX_DROPS,
	                              VITALS_NET_TX_ERRORS, VITALS_NET_TX_DROPS};

	net_fill(e, cells);
	for (size_t i = 0; i < 4; i++) {
		double v = val(e, idx[i]);

		if (isnan(v))
			snprintf(cells[5 + i], CELL_MAX, "-");
		else
			snprintf(cells[5 + i], CELL_MAX, "%.0f", v);
	}
}

static int net_has_errors(const struct vitals_collector *c)
{
	for (size_t i = 0; i < vitals_collector_count(c, VITALS_KIND_NET); i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, VITALS_KIND_NET, i);

		if (val(e, VITALS_NET_RX_ERRORS) > 0 || val(e, VITALS_NET_TX_ERRORS) > 0 ||
		    val(e, VITALS_NET_RX_DROPS) > 0 || val(e, VITALS_NET_TX_DROPS) > 0)
			return 1;
	}
	return 0;
}

static void fs_fill(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	const char *type = vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE);

	snprintf(cells[0], CELL_MAX, "%s", vitals_entity_name(e));
	snprintf(cells[1], CELL_MAX, "%s", type ? type : "-");
	cli_fmt_bytes(cells[2], CELL_MAX, val(e, VITALS_FS_USED));
	cli_fmt_bytes(cells[3], CELL_MAX, val(e, VITALS_FS_TOTAL));
	cli_fmt_percent(cells[4], CELL_MAX, val(e, VITALS_FS_USED_PERCENT));
	/* the mount point last: it may be long and is cut to the width */
	snprintf(cells[5], CELL_MAX, "%s", vitals_entity_id(e));
}

static int text_devices(const struct vitals_collector *c, FILE *out, size_t width)
{
	static const char *const disk_heads[] = {"DISK",    "READ/s",  "WRITE/s",
	                                         "R-OPS/s", "W-OPS/s", "BUSY"};
	static const char *const net_heads[] = {"INTERFACE", "RX/s",     "TX/s",
	                                        "RX-PKT/s",  "TX-PKT/s", "RX-ERRS",
	                                        "RX-DROP",   "TX-ERRS",  "TX-DROP"};
	static const char *const fs_heads[] = {"DEVICE", "TYPE", "USED", "SIZE", "USE%", "MOUNT"};
	int errors = net_has_errors(c);
	int status;

	status =
	    text_kind_table(c, VITALS_KIND_DISK, out, width, 6, disk_heads, "lrrrrr", disk_fill);
	if (status == VITALS_OK)
		status = text_kind_table(c, VITALS_KIND_NET, out, width, errors ? 9 : 5, net_heads,
		                         "lrrrrrrrr", errors ? net_fill_errors : net_fill);
	if (status == VITALS_OK)
		status =
		    text_kind_table(c, VITALS_KIND_FS, out, width, 6, fs_heads, "llrrrl", fs_fill);
	return status;
}

static void gpu_fill(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	char used[16], total[16];
	double temp = val(e, VITALS_GPU_TEMPERATURE), power = val(e, VITALS_GPU_POWER);
	const char *throttle = vitals_entity_attr(e, VITALS_GPU_ATTR_THROTTLE);

	snprintf(cells[0], CELL_MAX, "%s", vitals_entity_id(e));
	snprintf(cells[1], CELL_MAX, "%s", vitals_entity_name(e));
	cli_fmt_percent(cells[2], CELL_MAX, val(e, VITALS_GPU_UTIL));
	cli_fmt_bytes(used, sizeof(used), val(e, VITALS_GPU_MEM_USED));
	cli_fmt_bytes(total, sizeof(total), val(e, VITALS_GPU_MEM_TOTAL));
	snprintf(cells[3], CELL_MAX, "%s/%s", used, total);
	if (isnan(temp))
		snprintf(cells[4], CELL_MAX, "-");
	else
		snprintf(cells[4], CELL_MAX, "%.0fC", temp);
	if (isnan(power))
		snprintf(cells[5], CELL_MAX, "-");
	else
		snprintf(cells[5], CELL_MAX, "%.0fW", power);
	snprintf(cells[6], CELL_MAX, "%s", throttle && *throttle ? throttle : "-");
}

/* A control group's row; the root group of a hierarchy is shown as "/". */
static void cgroup_fill(const struct vitals_entity *e, char cells[][CELL_MAX])
{
	const char *runtime = vitals_entity_attr(e, VITALS_CG_ATTR_RUNTIME);
	double procs = val(e, VITALS_CG_PROCESSES);

	snprintf(cells[0], CELL_MAX, "%s", vitals_entity_name(e));
	snprintf(cells[1], CELL_MAX, "%s", runtime ? runtime : "-");
	if (isnan(procs))
		snprintf(cells[2], CELL_MAX, "-");
	else
		snprintf(cells[2], CELL_MAX, "%.0f", procs);
	cli_fmt_percent(cells[3], CELL_MAX, val(e, VITALS_CG_CPU_PERCENT));
	cli_fmt_bytes(cells[4], CELL_MAX, val(e, VITALS_CG_MEM_CURRENT));
	cli_fmt_bytes(cells[5], CELL_MAX, val(e, VITALS_CG_MEM_LIMIT));
	cli_fmt_bytes(cells[6], CELL_MAX, val(e, VITALS_CG_MEM_ANON));
	snprintf(cells[7], CELL_MAX, "%s", vitals_entity_id(e));
}

static int by_memory(const void *pa, const void *pb)
{
	double a = val(*(const struct vitals_entity *const *)pa, VITALS_CG_MEM_CURRENT);
	double b = val(*(const struct vitals_entity *const *)pb, VITALS_CG_MEM_CURRENT);

	if (isnan(a) != isnan(b))
		return isnan(a) ? 1 : -1;
	return a < b ? 1 : a > b ? -1 : 0;
}

#define CGROUP_ROWS 10

/* The GPUs, then the control groups holding most memory. */
static int text_gpus_cgroups(const struct vitals_collector *c, FILE *out, size_t width)
{
	static const char *const gpu_heads[] = {"GPU",  "NAME",  "UTIL",    "MEMORY",
	                                        "TEMP", "POWER", "THROTTLE"};
	static const char *const cg_heads[] = {"CGROUP", "RUNTIME", "PROCS", "CPU%",
	                                       "MEM",    "LIMIT",   "ANON",  "PATH"};
	size_t n = vitals_collector_count(c, VITALS_KIND_CGROUP);
	const struct vitals_entity **groups;
	struct cli_table t;
	char cells[8][CELL_MAX];
	const char *row[8];
	int status;

	status = text_kind_table(c, VITALS_KIND_GPU, out, width, 7, gpu_heads, "llrrrrl", gpu_fill);
	if (status != VITALS_OK || n == 0)
		return status;
	groups = malloc(n * sizeof(*groups));
	if (!groups)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		groups[i] = vitals_collector_entity(c, VITALS_KIND_CGROUP, i);
	qsort(groups, n, sizeof(*groups), by_memory);
	fprintf(out, "\ncgroups %zu holding processes, top %d by memory\n", n,
	        n < CGROUP_ROWS ? (int)n : CGROUP_ROWS);
	cli_table_init(&t, 8, cg_heads, "llrrrrrl");
	for (size_t i = 0; i < n && i < CGROUP_ROWS && status == VITALS_OK; i++) {
		cgroup_fill(groups[i], cells);
		for (size_t j = 0; j < 8; j++)
			row[j] = cells[j];
		status = cli_table_add(&t, row);
	}
	cli_table_print(&t, out, width);
	cli_table_release(&t);
	free(groups);
	return status;
}

/* What the COMMAND column shows: the command line, or [name] for kernel threads. */
static const char *proc_command(const struct vitals_entity *e, char *buf, size_t len)
{
	const char *cmd = vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE);

	if (cmd && *cmd)
		return cmd;
	if (cmd)
		snprintf(buf, len, "[%s]", vitals_entity_name(e));
	else
		snprintf(buf, len, "%s", vitals_entity_name(e));
	return buf;
}

static int text_processes(const struct vitals_collector *c, const struct snapshot_args *a,
                          FILE *out, size_t width)
{
	static const char *const heads[] = {"PID",  "USER",   "S",       "THR",    "RSS",
	                                    "CPU%", "READ/s", "WRITE/s", "COMMAND"};
	static const char *const sort_names[] = {"cpu", "mem", "io"};
	struct cli_table t;
	struct proc_row *rows;
	long n = rows_collect(c, a->sort, 1, &rows);
	int status = VITALS_OK;

	if (n < 0)
		return VITALS_E_NOMEM;
	fprintf(out, "\nprocesses %zu, %ld in scope, top %lld by %s\n",
	        vitals_collector_all_processes(c), n, a->top, sort_names[a->sort]);
	cli_table_init(&t, 9, heads, "rllrrrrrl");
	for (long i = 0; i < n && i < a->top && status == VITALS_OK; i++) {
		const struct vitals_entity *e = rows[i].e;
		const char *user = vitals_entity_attr(e, VITALS_PROC_ATTR_USER);
		const char *state = vitals_entity_attr(e, VITALS_PROC_ATTR_STATE);
		char pid[24], usr[16], thr[24], rss[16], cpu[16], rd[16], wr[16], cmd[64];
		double threads = val(e, VITALS_PROC_THREADS);
		const char *row[9] = {pid, usr, state, thr, rss, cpu, rd, wr, NULL};

		snprintf(pid, sizeof(pid), "%lld", (long long)rows[i].pid);
		/* long user names are cut, as ps(1) does, with a '+' */
		if (user && strlen(user) > 10)
			snprintf(usr, sizeof(usr), "%.9s+", user);
		else
			snprintf(usr, sizeof(usr), "%s", user ? user : "-");
		if (isnan(threads))
			snprintf(thr, sizeof(thr), "-");
		else
			snprintf(thr, sizeof(thr), "%.0f", threads);
		cli_fmt_bytes(rss, sizeof(rss), val(e, VITALS_PROC_RSS));
		cli_fmt_percent(cpu, sizeof(cpu), val(e, VITALS_PROC_CPU_PERCENT));
		cli_fmt_bytes(rd, sizeof(rd), val(e, VITALS_PROC_READ_BYTES_RATE));
		cli_fmt_bytes(wr, sizeof(wr), val(e, VITALS_PROC_WRITE_BYTES_RATE));
		row[8] = proc_command(e, cmd, sizeof(cmd));
		status = cli_table_add(&t, row);
	}
	cli_table_print(&t, out, width);
	cli_table_release(&t);
	free(rows);
	return status;
}

static int snapshot_text(const struct vitals_collector *c, const struct snapshot_args *a, FILE *out,
                         size_t width)
{
	int status;

	text_host(c, out);
	text_cpu(c, out, width);
	text_memory(c, out);
	text_psi(c, out);
	status = text_devices(c, out, width);
	if (status == VITALS_OK)
		status = text_gpus_cgroups(c, out, width);
	if (status == VITALS_OK)
		status = text_processes(c, a, out, width);
	return status;
}

static int snapshot_sources(const struct vitals_collector *c, int json, FILE *out)
{
	static const char *const heads[] = {"SOURCE", "STATUS", "REASON"};
	struct cli_table t;
	struct json_writer w;
	int status = VITALS_OK;

	if (json) {
		json_init(&w, out, 1);
		json_object_begin(&w);
		json_key(&w, "sources");
		json_sources(&w, c);
		json_object_end(&w);
		json_finish(&w);
		return VITALS_OK;
	}
	cli_table_init(&t, 3, heads, "lll");
	for (int k = 0; k < VITALS_KIND_COUNT && status == VITALS_OK; k++) {
		const char *reason = "";
		int st = vitals_collector_source_status(c, (enum vitals_kind)k, &reason);
		const char *row[3] = {vitals_kind_name((enum vitals_kind)k), status_word(st),
		                      reason};

		status = cli_table_add(&t, row);
	}
	cli_table_print(&t, out, cli_term_width(fileno(out)));
	cli_table_release(&t);
	return status;
}

/* ---- the loop ----------------------------------------------------------- */

static double now_monotonic(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleep until monotonic time DEADLINE or a signal that asks to stop. */
static void sleep_until(double deadline)
{
	struct timespec ts;

	ts.tv_sec = (time_t)deadline;
	ts.tv_nsec = (long)((deadline - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (!snapshot_stop &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		continue;
}

static int render(const struct vitals_collector *c, const struct snapshot_args *a, FILE *out,
                  size_t width)
{
	if (a->json)
		return snapshot_json(c, a, out);
	return snapshot_text(c, a, out, width);
}

/*
 * Draw FRAME over the previous one on a terminal: cursor home, each line
 * cut to the width and cleared to its end, at most ROWS - 1 lines, then
 * clear to the end of the screen. Written at once, so nothing flickers.
 */
static void draw_frame(const char *frame, size_t width, size_t rows)
{
	FILE *out = stdout;
	size_t line = 0;

	fputs("\033[H", out);
	while (*frame && (rows == 0 || line + 1 < rows)) {
		size_t len = strcspn(frame, "\n"), cols = 0;

		for (size_t i = 0; i < len; i++) {
			int lead = ((unsigned char)frame[i] & 0xc0) != 0x80;

			if (lead && width && cols == width)
				break;
			cols += lead;
			fputc(frame[i], out);
		}
		fputs("\033[K\n", out);
		frame += len;
		if (*frame == '\n')
			frame++;
		line++;
	}
	fputs("\033[J", out);
	fflush(out);
}

static size_t term_rows(int fd)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 0;
}

/* Render one refresh: straight to stdout, or over the last frame on a terminal. */
static int refresh(const struct vitals_collector *c, const struct snapshot_args *a, int live,
                   long long n)
{
	size_t width = cli_term_width(STDOUT_FILENO);
	char *frame = NULL;
	size_t len = 0;
	FILE *mem;
	int status;

	if (!live) {
		if (n > 0)
			fputc('\n', stdout);
		status = render(c, a, stdout, width);
		fflush(stdout);
		return status;
	}
	mem = open_memstream(&frame, &len);
	if (!mem)
		return VITALS_E_NOMEM;
	status = render(c, a, mem, width);
	if (fclose(mem) != 0)
		status = VITALS_E_NOMEM;
	if (status == VITALS_OK)
		draw_frame(frame, width, term_rows(STDOUT_FILENO));
	free(frame);
	return status;
}

static int snapshot_run(struct vitals_collector *c, const struct snapshot_args *a)
{
	int live = a->watch && isatty(STDOUT_FILENO) && !a->json;
	double next;
	long long n = 0;
	int status;

	next = now_monotonic() + a->interval;
	sleep_until(next);
	if (snapshot_stop)
		return VITALS_OK;
	if (vitals_collector_sample(c) != VITALS_OK)
		return cli_error("snapshot", "%s", vitals_collector_errmsg(c));
	if (live)
		fputs("\033[?25l\033[H\033[2J", stdout); /* hide the cursor, clear once */
	for (;;) {
		status = refresh(c, a, live, n);
		if (status != VITALS_OK) {
			status = cli_error("snapshot", "%s", vitals_strerror(status));
			break;
		}
		n++;
		if (!a->watch || (a->count && n >= a->count))
			break;
		next += a->period;
		if (next < now_monotonic())
			next = now_monotonic() + a->period; /* fell behind: do not race */
		sleep_until(next);
		if (snapshot_stop)
			break;
		if (vitals_collector_sample(c) != VITALS_OK) {
			status = cli_error("snapshot", "%s", vitals_collector_errmsg(c));
			break;
		}
	}
	if (live)
		fputs("\033[?25h", stdout);
	return status;
}

int cmd_snapshot(int argc, char **argv)
{
	struct snapshot_args a;
	struct vitals_collector_options opts;
	struct vitals_collector *c = NULL;
	struct sigaction sa;
	char err[256] = "";
	int status = snapshot_parse(argc, argv, &a);

	if (status >= 0)
		return status;
	vitals_collector_options_init(&opts);
	if (a.proc_root)
		opts.proc_root = a.proc_root;
	if (a.sys_root)
		opts.sys_root = a.sys_root;
	opts.cgroup_root = a.cgroup_root;
	opts.docker_socket = a.docker_socket;
	if (a.no_gpu)
		opts.sources &= ~VITALS_SOURCE(VITALS_KIND_GPU);
	if (a.no_containers)
		opts.sources &= ~VITALS_SOURCE(VITALS_KIND_CGROUP);
	opts.scope = a.scope;
	if (vitals_collector_new(&c, &opts, err, sizeof(err)) != VITALS_OK)
		return cli_error("snapshot", "%s", err[0] ? err : "cannot start the collector");
	if (vitals_collector_sample(c) != VITALS_OK) {
		status = cli_error("snapshot", "%s", vitals_collector_errmsg(c));
		goto out_free;
	}
	if (a.sources) {
		status = snapshot_sources(c, a.json, stdout) == VITALS_OK ? CLI_EXIT_OK
		                                                          : CLI_EXIT_FAILURE;
		goto out_free;
	}
	if (a.scope.pid && !vitals_collector_process(c, a.scope.pid)) {
		status = cli_usage_error("snapshot", "no process with pid %d", (int)a.scope.pid);
		goto out_free;
	}
	if (a.watch) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = snapshot_on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	status = snapshot_run(c, &a);
out_free:
	vitals_collector_free(c);
	return status;
}
