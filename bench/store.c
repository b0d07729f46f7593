/*
 * The trace-file benchmark, vitals' side: a trace-shaped table (by default
 * 2 million rows: 100 processes sampled once a second, time, kind, id, name
 * and ten numeric columns of realistic monitoring values, from a fixed
 * seed) written to Parquet with vitals' writer and read back, all columns,
 * with vitals' reader. bench/store_duckdb.mjs does the same with DuckDB on
 * the same table, which this program also writes as CSV; bench/run_store.sh
 * runs both and prints the ratios.
 *
 * Usage: store --dir DIR [--rows N] [--rounds R] [--codec C] [--csv]
 *        store --rss --dir DIR [--rows N] [--codec C]
 *
 * The first form builds the table in memory (not timed), then R times
 * (default 3) writes DIR/vitals.parquet (timing open, write and close) and
 * reads it back (timing open, every batch and close; a checksum of every
 * value makes sure each is looked at), and prints the best of each:
 *
 *   bench=store_write rows=N seconds=S cpu_seconds=S bytes=B codec=C
 *   bench=store_read rows=N seconds=S cpu_seconds=S checksum=X
 *
 * (seconds: wall clock; cpu_seconds: user + system time, the least of the
 * rounds each).
 *
 * With --csv it also writes DIR/table.csv, the same table for DuckDB.
 *
 * The second form measures the writer's memory: it makes the table in
 * chunks of 8192 rows and streams them into the writer, so the process
 * holds little more than what the writer keeps, and prints its peak RSS
 * beside the in-memory size of one row group of the table:
 *
 *   bench=store_rss rows=N peak_kib=P base_kib=B row_group_rows=G row_group_kib=K
 *
 * Only the public API (vitals/store.h) is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <vitals/store.h>
#include <vitals/table.h>

#define SLOTS        100 /* processes sampled at each time */
#define NAMES        300 /* distinct process names */
#define CHUNK_ROWS   8192
#define BASE_TIME_US INT64_C(1772323200000000) /* 2026-03-01T00:00:00Z */
#define ERR_LEN      512

enum col {
	C_TIME,
	C_KIND,
	C_ID,
	C_NAME,
	C_CPU,     /* percent of one core, 2 decimals */
	C_MEM,     /* percent of memory, 2 decimals */
	C_RSS,     /* bytes, pages, slowly varying */
	C_VMS,     /* bytes, mostly constant */
	C_READ,    /* cumulative bytes read; null where not readable */
	C_WRITE,   /* cumulative bytes written; null where not readable */
	C_CPU_S,   /* cumulative CPU seconds, 2 decimals */
	C_THREADS, /* int32 */
	C_FDS,     /* int32; null where not readable */
	C_CTXSW,   /* cumulative context switches */
	C_COUNT
};

static const struct {
	const char *name;
	enum vitals_type type;
	int nullable;
} columns[C_COUNT] = {
    [C_TIME] = {"time", VITALS_TYPE_TIMESTAMP, 0},
    [C_KIND] = {"kind", VITALS_TYPE_STRING, 0},
    [C_ID] = {"id", VITALS_TYPE_INT64, 0},
    [C_NAME] = {"name", VITALS_TYPE_STRING, 0},
    [C_CPU] = {"cpu_percent", VITALS_TYPE_DOUBLE, 0},
    [C_MEM] = {"mem_percent", VITALS_TYPE_DOUBLE, 0},
    [C_RSS] = {"rss_bytes", VITALS_TYPE_INT64, 0},
    [C_VMS] = {"vms_bytes", VITALS_TYPE_INT64, 0},
    [C_READ] = {"read_bytes", VITALS_TYPE_INT64, 1},
    [C_WRITE] = {"write_bytes", VITALS_TYPE_INT64, 1},
    [C_CPU_S] = {"cpu_seconds", VITALS_TYPE_DOUBLE, 0},
    [C_THREADS] = {"threads", VITALS_TYPE_INT32, 0},
    [C_FDS] = {"fds", VITALS_TYPE_INT32, 1},
    [C_CTXSW] = {"ctx_switches", VITALS_TYPE_INT64, 0},
};

static const char *const base_names[] = {
    "systemd",     "kworker/u8:",    "kworker/0:", "kworker/1:", "ksoftirqd/", "migration/",
    "rcu_preempt", "sshd",           "bash",       "python3",    "postgres",   "nginx",
    "node",        "java",           "containerd", "dockerd",    "chrome",     "firefox",
    "Xorg",        "pulseaudio",     "journald",   "udevd",      "cron",       "rsyslogd",
    "dbus-daemon", "NetworkManager", "polkitd",    "irqbalance", "snapd",      "gnome-shell",
};
#define BASE_NAMES (sizeof(base_names) / sizeof(base_names[0]))

static const char *const kinds[] = {"process", "thread", "kernel"};

struct proc {
	int64_t pid;
	int name;
	int kind;
	int io_readable;
	int64_t rss, vms, read, write, ctxsw;
	double cpu_s;
	int32_t threads, fds;
	double cpu_base; /* typical busy percent */
};

struct gen {
	uint64_t rng;
	int64_t next_pid;
	int64_t row; /* rows made so far */
	int64_t jitter;
	struct proc slot[SLOTS];
	char names[NAMES][48];
	size_t name_len[NAMES];
};

static uint64_t rnd(struct gen *g)
{
	/* xorshift64* */
	g->rng ^= g->rng >> 12;
	g->rng ^= g->rng << 25;
	g->rng ^= g->rng >> 27;
	return g->rng * UINT64_C(2685821657736338717);
}

/* Uniform in [0, n). */
static uint64_t rnd_below(struct gen *g, uint64_t n)
{
	return rnd(g) % n;
}

/* Uniform in [0, 1). */
static double rnd_unit(struct gen *g)
{
	return (double)(rnd(g) >> 11) * (1.0 / 9007199254740992.0);
}

static double round2(double x)
{
	return round(x * 100.0) / 100.0;
}

static void proc_start(struct gen *g, struct proc *p)
{
	p->pid = g->next_pid;
	g->next_pid += 1 + (int64_t)rnd_below(g, 20);
	p->name = (int)rnd_below(g, NAMES);
	p->kind = rnd_below(g, 100) < 90 ? 0 : (rnd_below(g, 5) == 0 ? 2 : 1);
	p->io_readable = rnd_below(g, 10) != 0;
	p->rss = (int64_t)(1 + rnd_below(g, 50000)) * 4096;
	p->vms = p->rss * (int64_t)(4 + rnd_below(g, 60));
	p->read = (int64_t)rnd_below(g, 1000000) * 512;
	p->write = (int64_t)rnd_below(g, 100000) * 512;
	p->ctxsw = (int64_t)rnd_below(g, 100000);
	p->cpu_s = round2(rnd_unit(g) * 1000.0);
	p->threads = (int32_t)(1 + rnd_below(g, rnd_below(g, 4) == 0 ? 200 : 8));
	p->fds = (int32_t)(3 + rnd_below(g, 300));
	p->cpu_base = rnd_below(g, 4) == 0 ? rnd_unit(g) * 80.0 : rnd_unit(g) * 2.0;
}

static void gen_init(struct gen *g)
{
	memset(g, 0, sizeof(*g));
	g->rng = UINT64_C(0x9e3779b97f4a7c15);
	g->next_pid = 1;
	/* "sshd", "kworker/u8:0", "python3-4"...: NAMES distinct names. */
	for (int i = 0; i < NAMES; i++) {
		const char *base = base_names[i % BASE_NAMES];
		int k = i / (int)BASE_NAMES, n;
		char last = base[strlen(base) - 1];

		if (last == '/' || last == ':')
			n = snprintf(g->names[i], sizeof(g->names[i]), "%s%d", base, k);
		else if (k == 0)
			n = snprintf(g->names[i], sizeof(g->names[i]), "%s", base);
		else
			n = snprintf(g->names[i], sizeof(g->names[i]), "%s-%d", base, k);
		g->name_len[i] = (size_t)n;
	}
	for (int s = 0; s < SLOTS; s++)
		proc_start(g, &g->slot[s]);
}

/* Advance slot P by one sample: counters grow, gauges drift, some exit. */
static void proc_step(struct gen *g, struct proc *p)
{
	double busy;

	if (rnd_below(g, 2000) == 0) {
		proc_start(g, p);
		return;
	}
	if (rnd_below(g, 8) == 0)
		p->rss += ((int64_t)rnd_below(g, 65) - 32) * 4096;
	if (p->rss < 4096)
		p->rss = 4096;
	if (rnd_below(g, 500) == 0)
		p->vms += (int64_t)rnd_below(g, 1024) * 4096;
	busy = p->cpu_base * (0.5 + rnd_unit(g));
	p->cpu_s = round2(p->cpu_s + busy / 100.0);
	if (rnd_below(g, 3) == 0)
		p->read += (int64_t)rnd_below(g, 64) * 4096;
	if (rnd_below(g, 5) == 0)
		p->write += (int64_t)rnd_below(g, 16) * 4096;
	p->ctxsw += (int64_t)rnd_below(g, 1 + (uint64_t)(busy * 20.0));
	if (rnd_below(g, 200) == 0)
		p->threads = (int32_t)(1 + rnd_below(g, 64));
	if (rnd_below(g, 100) == 0)
		p->fds = (int32_t)(3 + rnd_below(g, 300));
}

static int make_schema(struct vitals_schema *s)
{
	int rc = 0;

	vitals_schema_init(s);
	for (int c = 0; c < C_COUNT && rc == 0; c++)
		rc = vitals_schema_add(s, columns[c].name, columns[c].type, columns[c].nullable);
	return rc;
}

/* Append N rows of the table to B (whose rows are set to its old rows + N). */
static int gen_rows(struct gen *g, struct vitals_batch *b, size_t n)
{
	size_t base = b->rows;
	struct vitals_column *col = b->cols;
	int rc;

	for (int c = 0; c < C_COUNT; c++) {
		size_t bytes = 0;

		if (columns[c].type == VITALS_TYPE_STRING)
			bytes = col[c].v.off[base] + n * 48;
		rc = vitals_column_reserve(&col[c], base + n, bytes);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++) {
		size_t r = base + i;
		int s = (int)(g->row % SLOTS);
		struct proc *p = &g->slot[s];
		double busy, mem;
		const char *kind;
		size_t klen;

		if (s == 0) {
			for (int k = 0; k < SLOTS; k++)
				proc_step(g, &g->slot[k]);
			g->jitter = (int64_t)rnd_below(g, 3000);
		}
		col[C_TIME].v.i64[r] = BASE_TIME_US + (g->row / SLOTS) * 1000000 + g->jitter;
		kind = kinds[p->kind];
		klen = strlen(kind);
		memcpy(col[C_KIND].data + col[C_KIND].v.off[r], kind, klen);
		col[C_KIND].v.off[r + 1] = col[C_KIND].v.off[r] + klen;
		col[C_ID].v.i64[r] = p->pid;
		memcpy(col[C_NAME].data + col[C_NAME].v.off[r], g->names[p->name],
		       g->name_len[p->name]);
		col[C_NAME].v.off[r + 1] = col[C_NAME].v.off[r] + g->name_len[p->name];
		busy = p->cpu_base * (0.5 + rnd_unit(g));
		col[C_CPU].v.f64[r] = busy < 0.05 ? 0.0 : round2(busy);
		mem = (double)p->rss / (16.0 * 1024 * 1024 * 1024) * 100.0;
		col[C_MEM].v.f64[r] = round2(mem);
		col[C_RSS].v.i64[r] = p->rss;
		col[C_VMS].v.i64[r] = p->vms;
		col[C_READ].valid[r] = (uint8_t)p->io_readable;
		col[C_READ].v.i64[r] = p->io_readable ? p->read : 0;
		col[C_WRITE].valid[r] = (uint8_t)p->io_readable;
		col[C_WRITE].v.i64[r] = p->io_readable ? p->write : 0;
		col[C_CPU_S].v.f64[r] = p->cpu_s;
		col[C_THREADS].v.i32[r] = p->threads;
		col[C_FDS].valid[r] = (uint8_t)(p->kind != 2);
		col[C_FDS].v.i32[r] = p->kind != 2 ? p->fds : 0;
		col[C_CTXSW].v.i64[r] = p->ctxsw;
		g->row++;
	}
	col[C_KIND].data_len = col[C_KIND].v.off[base + n];
	col[C_NAME].data_len = col[C_NAME].v.off[base + n];
	b->rows = base + n;
	return 0;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU time of this process, in seconds. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long max_rss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Bytes of ROWS rows of the table in a column batch (values, validity, strings). */
static double batch_bytes(const struct vitals_batch *b, size_t rows)
{
	double per_row = 0;

	for (int c = 0; c < C_COUNT; c++) {
		const struct vitals_column *col = &b->cols[c];

		switch (col->type) {
		case VITALS_TYPE_BOOL:
			per_row += 1;
			break;
		case VITALS_TYPE_INT32:
			per_row += 4;
			break;
		case VITALS_TYPE_STRING:
			per_row += 8 + (b->rows ? (double)col->data_len / (double)b->rows : 0);
			break;
		default:
			per_row += 8;
		}
		if (col->nullable)
			per_row += 1;
	}
	return per_row * (double)rows;
}

static int write_file(const char *path, const struct vitals_schema *schema,
                      const struct vitals_write_options *o, const struct vitals_batch *b,
                      uint64_t *bytes)
{
	struct vitals_writer *w;
	struct stat st;
	char err[ERR_LEN];
	int rc;

	rc = vitals_writer_open(&w, path, schema, o, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", err);
		return rc;
	}
	rc = vitals_writer_write(w, b);
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", vitals_writer_errmsg(w));
		vitals_writer_abort(w);
		return rc;
	}
	rc = vitals_writer_close(w, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", err);
		return rc;
	}
	if (stat(path, &st) < 0) {
		fprintf(stderr, "store: %s: %s\n", path, strerror(errno));
		return VITALS_E_IO;
	}
	*bytes = (uint64_t)st.st_size;
	return 0;
}

/* Fold every value of B into *SUM, so that a reader cannot skip one. */
static void checksum(const struct vitals_batch *b, uint64_t *sum)
{
	uint64_t h = *sum;

	for (size_t c = 0; c < b->schema.count; c++) {
		const struct vitals_column *col = &b->cols[c];
		size_t n = b->rows;

		if (col->valid)
			for (size_t r = 0; r < n; r++)
				h += col->valid[r];
		switch (col->type) {
		case VITALS_TYPE_BOOL:
			for (size_t r = 0; r < n; r++)
				h += col->v.b[r];
			break;
		case VITALS_TYPE_INT32:
			for (size_t r = 0; r < n; r++)
				h += (uint64_t)col->v.i32[r];
			break;
		case VITALS_TYPE_DOUBLE:
			for (size_t r = 0; r < n; r++)
				h += (uint64_t)(int64_t)(col->v.f64[r] * 100.0);
			break;
		case VITALS_TYPE_STRING:
			for (size_t r = 0; r < n; r++) {
				size_t a = col->v.off[r], e = col->v.off[r + 1];
				h += (e - a) + (e > a ? (uint8_t)col->data[a] : 0);
			}
			break;
		default:
			for (size_t r = 0; r < n; r++)
				h += (uint64_t)col->v.i64[r];
		}
	}
	*sum = h;
}

static int read_file(const char *path, int64_t *rows, uint64_t *sum)
{
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[ERR_LEN];
	int rc;

	vitals_read_options_init(&o);
	rc = vitals_reader_open(&r, path, &o, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", err);
		return rc;
	}
	*rows = 0;
	*sum = 0;
	while ((rc = vitals_reader_next(r, &b)) == 1) {
		*rows += (int64_t)b->rows;
		checksum(b, sum);
	}
	if (rc < 0)
		fprintf(stderr, "store: %s\n", vitals_reader_errmsg(r));
	vitals_reader_close(r);
	return rc;
}

static int write_csv(const char *path, const struct vitals_schema *schema,
                     const struct vitals_batch *b)
{
	struct vitals_write_options o;
	uint64_t bytes;

	vitals_write_options_init(&o);
	return write_file(path, schema, &o, b, &bytes);
}

static int run_rss(const char *dir, size_t rows, const struct vitals_write_options *o,
                   const struct vitals_schema *schema)
{
	struct vitals_batch *b = NULL;
	struct vitals_writer *w = NULL;
	struct gen *g;
	char path[4096], err[ERR_LEN];
	long base;
	double group;
	int rc;

	g = malloc(sizeof(*g));
	if (!g)
		return VITALS_E_NOMEM;
	gen_init(g);
	snprintf(path, sizeof(path), "%s/vitals_rss.parquet", dir);
	rc = vitals_batch_new(&b, schema);
	if (rc < 0)
		goto out_gen;
	rc = gen_rows(g, b, CHUNK_ROWS);
	if (rc < 0)
		goto out_batch;
	group = batch_bytes(b, o->row_group_rows);
	vitals_batch_clear(b);
	base = max_rss_kib();
	rc = vitals_writer_open(&w, path, schema, o, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", err);
		goto out_batch;
	}
	for (size_t done = 0; done < rows; done += b->rows) {
		size_t n = rows - done < CHUNK_ROWS ? rows - done : CHUNK_ROWS;

		vitals_batch_clear(b);
		rc = gen_rows(g, b, n);
		if (rc >= 0)
			rc = vitals_writer_write(w, b);
		if (rc < 0) {
			fprintf(stderr, "store: %s\n", vitals_writer_errmsg(w));
			vitals_writer_abort(w);
			goto out_batch;
		}
	}
	rc = vitals_writer_close(w, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "store: %s\n", err);
		goto out_batch;
	}
	printf("bench=store_rss rows=%zu peak_kib=%ld base_kib=%ld row_group_rows=%zu "
	       "row_group_kib=%.0f\n",
	       rows, max_rss_kib(), base, o->row_group_rows, group / 1024.0);
	remove(path);
out_batch:
	vitals_batch_free(b);
out_gen:
	free(g);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: store --dir DIR [--rows N] [--rounds R] [--codec C] [--csv]\n"
	                "       store --rss --dir DIR [--rows N] [--codec C]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct vitals_write_options wo;
	struct vitals_schema schema;
	struct vitals_batch *table = NULL;
	struct gen *g = NULL;
	const char *dir = NULL;
	size_t rows = 2000000;
	long rounds = 3;
	int csv = 0, rss = 0, rc;
	char path[4096];
	double best_w = INFINITY, best_r = INFINITY, cpu_w = INFINITY, cpu_r = INFINITY;
	uint64_t file_bytes = 0, sum = 0;

	vitals_write_options_init(&wo);
	for (int i = 1; i < argc; i++) {
		char *end;

		if (strcmp(argv[i], "--csv") == 0) {
			csv = 1;
		} else if (strcmp(argv[i], "--rss") == 0) {
			rss = 1;
		} else if (i + 1 >= argc) {
			return usage();
		} else if (strcmp(argv[i], "--dir") == 0) {
			dir = argv[++i];
		} else if (strcmp(argv[i], "--rows") == 0) {
			errno = 0;
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (errno || *end || v < 1 || v > VITALS_BATCH_ROWS_MAX)
				return usage();
			rows = (size_t)v;
		} else if (strcmp(argv[i], "--rounds") == 0) {
			errno = 0;
			rounds = strtol(argv[++i], &end, 10);
			if (errno || *end || rounds < 1 || rounds > 100)
				return usage();
		} else if (strcmp(argv[i], "--codec") == 0) {
			int c = vitals_codec_parse(argv[++i]);
			if (c < 0)
				return usage();
			wo.codec = (enum vitals_codec)c;
		} else {
			return usage();
		}
	}
	if (!dir)
		return usage();
	rc = make_schema(&schema);
	if (rc < 0)
		goto out;
	if (rss) {
		rc = run_rss(dir, rows, &wo, &schema);
		goto out_schema;
	}

	g = malloc(sizeof(*g));
	rc = g ? vitals_batch_new(&table, &schema) : VITALS_E_NOMEM;
	if (rc < 0)
		goto out_schema;
	gen_init(g);
	rc = gen_rows(g, table, rows);
	if (rc < 0)
		goto out_table;
	if (csv) {
		snprintf(path, sizeof(path), "%s/table.csv", dir);
		rc = write_csv(path, &schema, table);
		if (rc < 0)
			goto out_table;
	}
	snprintf(path, sizeof(path), "%s/vitals.parquet", dir);
	for (long k = 0; k < rounds; k++) {
		double t0 = wall_s(), c0 = cpu_s(), t1;

		rc = write_file(path, &schema, &wo, table, &file_bytes);
		t1 = wall_s();
		if (rc < 0)
			goto out_table;
		if (t1 - t0 < best_w)
			best_w = t1 - t0;
		if (cpu_s() - c0 < cpu_w)
			cpu_w = cpu_s() - c0;
	}
	printf("bench=store_write rows=%zu seconds=%.4f cpu_seconds=%.4f bytes=%" PRIu64
	       " codec=%s\n",
	       rows, best_w, cpu_w, file_bytes, vitals_codec_name(wo.codec));
	fflush(stdout);
	for (long k = 0; k < rounds; k++) {
		double t0 = wall_s(), c0 = cpu_s(), t1;
		int64_t got = 0;

		rc = read_file(path, &got, &sum);
		t1 = wall_s();
		if (rc < 0)
			goto out_table;
		if (cpu_s() - c0 < cpu_r)
			cpu_r = cpu_s() - c0;
		if (got != (int64_t)rows) {
			fprintf(stderr, "store: %s: read %" PRId64 " rows of %zu\n", path, got,
			        rows);
			rc = VITALS_E_PARSE;
			goto out_table;
		}
		if (t1 - t0 < best_r)
			best_r = t1 - t0;
	}
	printf("bench=store_read rows=%zu seconds=%.4f cpu_seconds=%.4f checksum=%" PRIu64 "\n",
	       rows, best_r, cpu_r, sum);
	rc = 0;
out_table:
	vitals_batch_free(table);
	free(g);
out_schema:
	vitals_schema_release(&schema);
out:
	if (rc < 0)
		fprintf(stderr, "store: %s\n", vitals_strerror(rc));
	return rc < 0 ? 1 : 0;
}
