/*
 * The plot benchmark: `vitals plot` on a synthetic day of recording (24
 * hours at 1 s, 300 processes, the system, CPU, disk and network rows of
 * a small machine: about 26 million rows), against the bare cost of
 * reading the same columns of the same file with the trace reader.
 *
 *   plot --vitals BIN [--dir DIR] [--hours H] [--processes P] [--rounds N]
 *
 * The trace is made once as DIR/day-HhPp.parquet and kept for the next
 * run. Prints the figures and one line bench/run_plot.sh can parse:
 *
 *   bench=plot rows=N file_mib=F read_s=R plot_s=P plot_median_s=M ratio=P/R
 *       plot_peak_rss_mib=X svg_kib=K target_s=1
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "bench.h"

#define US 1000000LL

struct gen {
	struct vitals_trace *trace;
	struct vitals_batch *b;
	int c[64];
};

enum {
	C_TIME,
	C_KIND,
	C_ID,
	C_NAME,
	C_CMDLINE,
	C_USER,
	C_STATE,
	C_MEM_TOTAL,
	C_MEM_AVAIL,
	C_MEM_USED,
	C_MEM_CACHED,
	C_SWAP_USED,
	C_LOAD1,
	C_SAMPLE_CPU,
	C_SAMPLE_S,
	C_BUSY,
	C_USER_P,
	C_SYSTEM_P,
	C_IOWAIT_P,
	C_IDLE_P,
	C_READ_BPS,
	C_WRITE_BPS,
	C_READ_B,
	C_WRITE_B,
	C_RX_BPS,
	C_TX_BPS,
	C_PID,
	C_PPID,
	C_START,
	C_RSS,
	C_VMS,
	C_CPU_P,
	C_CPU_U,
	C_CPU_S,
	C_THREADS,
	C_COUNT
};

static const char *const names[C_COUNT] = {"time",
                                           "kind",
                                           "id",
                                           "name",
                                           "cmdline",
                                           "user",
                                           "state",
                                           "mem_total_bytes",
                                           "mem_available_bytes",
                                           "mem_used_bytes",
                                           "mem_cached_bytes",
                                           "swap_used_bytes",
                                           "load1",
                                           "sample_cpu_seconds",
                                           "sample_seconds",
                                           "busy_percent",
                                           "user_percent",
                                           "system_percent",
                                           "iowait_percent",
                                           "idle_percent",
                                           "read_bytes_per_second",
                                           "write_bytes_per_second",
                                           "read_bytes",
                                           "write_bytes",
                                           "rx_bytes_per_second",
                                           "tx_bytes_per_second",
                                           "pid",
                                           "ppid",
                                           "start_time",
                                           "rss_bytes",
                                           "vms_bytes",
                                           "cpu_percent",
                                           "cpu_user_seconds",
                                           "cpu_system_seconds",
                                           "threads"};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "bench plot: %s: %s\n", what, detail);
	exit(1);
}

/* A cheap deterministic noise in [0, 1). */
static double noise(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

static void set_str(struct gen *g, int col, const char *s)
{
	if (vitals_batch_set_string(g->b, (size_t)g->c[col], s, strlen(s)) < 0)
		die("batch", "set string");
}

static void set_d(struct gen *g, int col, double v)
{
	if (vitals_batch_set_double(g->b, (size_t)g->c[col], v) < 0)
		die("batch", names[col]);
}

static void set_i(struct gen *g, int col, int64_t v)
{
	if (vitals_batch_set_i64(g->b, (size_t)g->c[col], v) < 0)
		die("batch", names[col]);
}

static void row_begin(struct gen *g, int64_t t, const char *kind, const char *id, const char *name)
{
	set_i(g, C_TIME, t);
	set_str(g, C_KIND, kind);
	set_str(g, C_ID, id);
	set_str(g, C_NAME, name);
}

static void row_end(struct gen *g)
{
	if (vitals_batch_end_row(g->b) < 0)
		die("batch", "end row");
}

static void generate(const char *path, int hours, int procs)
{
	struct gen g;
	struct vitals_writer *w;
	struct vitals_write_options o;
	struct vitals_kv meta[] = {
	    {"vitals.schema_version", "1"},      {"vitals.version", VITALS_VERSION_STRING},
	    {"vitals.host", "bench-host"},       {"vitals.kernel", "6.1.0-bench"},
	    {"vitals.timezone", "Europe/Paris"}, {"vitals.sample_interval_seconds", "1"}};
	char err[512], tmp[4200];
	const int64_t t0 = 1795305600 * US; /* 2026-11-22 00:00 UTC */
	const int64_t seconds = (int64_t)hours * 3600;
	uint64_t seed = 42;
	double t_start = bench_wall_s();

	if (vitals_trace_new(&g.trace) < 0)
		die("trace", "cannot make the schema");
	for (int i = 0; i < C_COUNT; i++) {
		g.c[i] = vitals_trace_column(g.trace, names[i]);
		if (g.c[i] < 0)
			die("schema has no column", names[i]);
	}
	if (vitals_batch_new(&g.b, vitals_trace_schema(g.trace)) < 0)
		die("batch", "out of memory");
	vitals_write_options_init(&o);
	o.meta = meta;
	o.meta_count = sizeof(meta) / sizeof(meta[0]);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.parquet", path) >= sizeof(tmp))
		die(path, "path too long");
	if (vitals_writer_open(&w, tmp, vitals_trace_schema(g.trace), &o, err, sizeof(err)) < 0)
		die(tmp, err);
	fprintf(stderr, "bench plot: making %s (%d h at 1 s, %d processes)...\n", path, hours,
	        procs);
	for (int64_t s = 0; s < seconds; s++) {
		int64_t t = t0 + s * US + (int64_t)(noise(&seed) * 2000);
		double day = sin((double)s / 86400 * 2 * M_PI);
		double busy = 20 + 15 * day + 10 * noise(&seed);
		char id[32], nm[32];

		row_begin(&g, t, "system", "system", "bench-host");
		set_i(&g, C_MEM_TOTAL, 16LL << 30);
		set_i(&g, C_MEM_USED, (int64_t)((6.0 + day + 0.2 * noise(&seed)) * (1 << 30)));
		set_i(&g, C_MEM_AVAIL, (int64_t)((10.0 - day) * (1 << 30)));
		set_i(&g, C_MEM_CACHED, (int64_t)(3.0 * (1 << 30)));
		set_i(&g, C_SWAP_USED, 0);
		set_d(&g, C_LOAD1, busy / 25);
		set_d(&g, C_SAMPLE_CPU, 0.004 + 0.001 * noise(&seed));
		set_d(&g, C_SAMPLE_S, 0.005 + 0.002 * noise(&seed));
		row_end(&g);
		for (int c = -1; c < 2; c++) {
			snprintf(id, sizeof(id), c < 0 ? "total" : "%d", c);
			snprintf(nm, sizeof(nm), c < 0 ? "cpu" : "cpu%d", c);
			row_begin(&g, t, "cpu", id, nm);
			set_d(&g, C_BUSY, busy);
			set_d(&g, C_USER_P, busy * 0.7);
			set_d(&g, C_SYSTEM_P, busy * 0.25);
			set_d(&g, C_IOWAIT_P, busy * 0.05);
			set_d(&g, C_IDLE_P, 100 - busy);
			row_end(&g);
		}
		row_begin(&g, t, "disk", "sda", "sda");
		set_d(&g, C_READ_BPS, noise(&seed) < 0.01 ? 5e7 * noise(&seed) : 1e4);
		set_d(&g, C_WRITE_BPS, 2e5 + 1e5 * noise(&seed));
		row_end(&g);
		for (int n = 0; n < 2; n++) {
			row_begin(&g, t, "net", n ? "eth0" : "lo", n ? "eth0" : "lo");
			set_d(&g, C_RX_BPS, n ? 3e4 + 1e4 * noise(&seed) : 100);
			set_d(&g, C_TX_BPS, n ? 1e4 + 5e3 * noise(&seed) : 100);
			row_end(&g);
		}
		for (int p = 0; p < procs; p++) {
			int pid = 1000 + p;

			snprintf(id, sizeof(id), "%d", pid);
			snprintf(nm, sizeof(nm), "worker-%d", p % 37);
			row_begin(&g, t, "process", id, nm);
			set_str(&g, C_CMDLINE, "/usr/bin/worker --serve");
			set_str(&g, C_USER, "bench");
			set_str(&g, C_STATE, "S");
			set_i(&g, C_PID, pid);
			set_i(&g, C_PPID, p ? 1000 : 1);
			set_i(&g, C_START, t0 - 3600 * US + p * US);
			set_i(&g, C_RSS, (20LL << 20) + (p == 7 ? s * 1024 : 0) + (p % 13) * 4096);
			set_i(&g, C_VMS, 200LL << 20);
			set_d(&g, C_CPU_P, p % 50 == 0 ? busy : 0.1);
			set_d(&g, C_CPU_U, (double)s * 0.001 * (p % 5));
			set_d(&g, C_CPU_S, (double)s * 0.0005);
			set_i(&g, C_THREADS, 1 + p % 8);
			set_i(&g, C_READ_B, s * 100);
			set_i(&g, C_WRITE_B, s * (p % 3) * 1000);
			row_end(&g);
		}
		if (g.b->rows >= 131072 || s + 1 == seconds) {
			if (vitals_writer_write(w, g.b) < 0)
				die(tmp, vitals_writer_errmsg(w));
			vitals_batch_clear(g.b);
		}
		if (s % 21600 == 21599)
			fprintf(stderr, "bench plot: %lld of %lld hours\n",
			        (long long)(s + 1) / 3600, (long long)hours);
	}
	if (vitals_writer_close(w, err, sizeof(err)) < 0)
		die(tmp, err);
	if (rename(tmp, path) != 0)
		die(path, strerror(errno));
	vitals_batch_free(g.b);
	vitals_trace_free(g.trace);
	fprintf(stderr, "bench plot: made in %.1f s\n", bench_wall_s() - t_start);
}

/* The baseline: read the columns `vitals plot` needs, decoding every row, nothing else. */
static double bare_read(const char *path, uint64_t *rows)
{
	static const char *const cols[] = {"time",
	                                   "kind",
	                                   "id",
	                                   "name",
	                                   "start_time",
	                                   "ppid",
	                                   "busy_percent",
	                                   "user_percent",
	                                   "system_percent",
	                                   "iowait_percent",
	                                   "mem_used_bytes",
	                                   "mem_cached_bytes",
	                                   "swap_used_bytes",
	                                   "read_bytes_per_second",
	                                   "write_bytes_per_second",
	                                   "rx_bytes_per_second",
	                                   "tx_bytes_per_second"};
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[512];
	double t = bench_wall_s();
	int rc;

	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = sizeof(cols) / sizeof(cols[0]);
	if (vitals_reader_open(&r, path, &o, err, sizeof(err)) < 0)
		die(path, err);
	*rows = 0;
	while ((rc = vitals_reader_next(r, &b)) == 1)
		*rows += b->rows;
	if (rc < 0)
		die(path, vitals_reader_errmsg(r));
	vitals_reader_close(r);
	return bench_wall_s() - t;
}

/* Run BIN plot PATH -o SVG; wall seconds, and the child's peak RSS in KiB. */
static double run_plot(const char *bin, const char *path, const char *svg, long *maxrss_kib)
{
	double t = bench_wall_s();
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		execl(bin, bin, "plot", path, "-o", svg, (char *)NULL);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		die("wait", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("vitals plot", "failed");
	*maxrss_kib = ru.ru_maxrss;
	return bench_wall_s() - t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *bin = NULL, *dir = "/tmp";
	int hours = 24, procs = 300, rounds = 3;
	char path[4096], svg[4096];
	struct stat st;
	double reads[16], plots[16], best_read, best_plot;
	long rss = 0, rss_max = 0;
	uint64_t rows = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--vitals") == 0)
			bin = argv[i + 1];
		else if (strcmp(argv[i], "--dir") == 0)
			dir = argv[i + 1];
		else if (strcmp(argv[i], "--hours") == 0)
			hours = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--processes") == 0)
			procs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = atoi(argv[i + 1]);
		else
			die("unknown option", argv[i]);
	}
	if (!bin || hours < 1 || hours > 240 || procs < 0 || procs > 5000 || rounds < 1 ||
	    rounds > 16) {
		fprintf(stderr, "usage: plot --vitals BIN [--dir DIR] [--hours H (1-240)] "
		                "[--processes P] [--rounds N (1-16)]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/day-%dh%dp.parquet", dir, hours, procs);
	snprintf(svg, sizeof(svg), "%s/day-%dh%dp.svg", dir, hours, procs);
	if (stat(path, &st) != 0) {
		generate(path, hours, procs);
		if (stat(path, &st) != 0)
			die(path, strerror(errno));
	}
	for (int r = 0; r < rounds; r++) {
		reads[r] = bare_read(path, &rows);
		plots[r] = run_plot(bin, path, svg, &rss);
		if (rss > rss_max)
			rss_max = rss;
	}
	best_read = reads[0];
	best_plot = plots[0];
	for (int r = 1; r < rounds; r++) {
		best_read = fmin(best_read, reads[r]);
		best_plot = fmin(best_plot, plots[r]);
	}
	qsort(plots, (size_t)rounds, sizeof(double), cmp_double);
	if (stat(svg, &st) != 0)
		die(svg, strerror(errno));
	{
		struct stat pst;

		stat(path, &pst);
		printf("bench=plot rows=%llu file_mib=%.1f read_s=%.3f plot_s=%.3f "
		       "plot_median_s=%.3f ratio=%.2f plot_peak_rss_mib=%.1f svg_kib=%.1f "
		       "target_s=1\n",
		       (unsigned long long)rows, (double)pst.st_size / 1048576, best_read,
		       best_plot, plots[rounds / 2], best_plot / best_read, (double)rss_max / 1024,
		       (double)st.st_size / 1024);
	}
	return 0;
}
