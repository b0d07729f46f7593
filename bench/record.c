/*
 * The recording benchmark, the program's side: what recording costs on top
 * of sampling, and what a recorder's writes cost as its file grows.
 * bench/run_record.sh runs it (and `vitals record` itself, and atop) and
 * prints the ratios.
 *
 * Usage: record cost --dir DIR [--rounds R] [--samples N] [--write-every K]
 *        record day --dir DIR [--hours H] [--rows N] [--write-every K]
 *        record count FILE
 *
 * cost: one collector with the defaults of `vitals record` samples every
 * process back to back. Each of R rounds (default 5) runs two phases of N
 * samples (default 60), taking turns on which goes first:
 *
 *   bare    vitals_collector_sample only;
 *   record  the sample, vitals_trace_add_sample, vitals_recorder_add (the
 *           journal) and, every K samples (default 10), vitals_recorder_write
 *           into DIR/cost.parquet, as `vitals record` does with 1 s samples
 *           and 10 s writes. One recorder serves every round, so its file
 *           grows as a recording's would.
 *
 * One line per round, times in CPU microseconds per sample (user + system,
 * CLOCK_PROCESS_CPUTIME_ID), the record phase split into its parts:
 *
 *   bench=record_cost round=I processes=P rows=R bare_us=X record_us=Y
 *     collect_us=A trace_us=B journal_us=C write_us=D write_cpu_ms=E
 *     write_wall_ms=F bytes=S
 *
 * (write_*_ms: per write; bytes: the output after the round's last write.)
 *
 * day: a simulated day of recording at 1 s samples, run as fast as it
 * goes. One real sample of the machine (vitals' defaults) becomes a fixed
 * batch of N rows (default 100; its rows repeat when it has fewer), and
 * sample k is that batch at time start + k seconds, with some of its
 * numbers moved on (counters grow, gauges wander), so that it compresses
 * about like a real trace rather than like copies. H hours (default
 * 24) of samples go to vitals_recorder_add, with vitals_recorder_write
 * every K samples (default 10), each write timed (wall clock and CPU).
 * One line per simulated hour, then the summary:
 *
 *   bench=record_day_hour hour=H writes=W median_ms=X median_cpu_ms=Y
 *     max_ms=Z bytes=S elapsed_s=T
 *   bench=record_day hours=H rows_per_sample=N samples=S writes=W
 *     first_ms=X last_ms=Y first_cpu_ms=A last_cpu_ms=B add_us=C
 *     close_ms=D bytes=E seconds=T
 *
 * (first/last: the median write of the first and of the last hour.)
 *
 * count: what a trace file holds, to size it per process-sample:
 *
 *   bench=record_count bytes=B rows=R samples=S process_rows=P
 *
 * (samples: rows of kind "system", one per sample.)
 *
 * Only the public API (vitals/vitals.h) is used.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <vitals/vitals.h>

#define ERR_LEN      1024
#define BASE_TIME_US INT64_C(1772323200000000) /* 2026-03-01T00:00:00Z */

struct opts {
	const char *mode;
	const char *dir;
	const char *file; /* count */
	long rounds, samples, write_every, hours, rows;
};

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int opts_parse(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->rounds = 5;
	o->samples = 60;
	o->write_every = 10;
	o->hours = 24;
	o->rows = 100;
	if (argc < 2)
		return -1;
	o->mode = argv[1];
	if (strcmp(o->mode, "count") == 0) {
		if (argc != 3)
			return -1;
		o->file = argv[2];
		return 0;
	}
	if (strcmp(o->mode, "cost") != 0 && strcmp(o->mode, "day") != 0)
		return -1;
	for (int i = 2; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = -1;

		if (!v)
			return -1;
		if (strcmp(k, "--dir") == 0) {
			o->dir = v;
			rc = 0;
		} else if (strcmp(k, "--rounds") == 0) {
			rc = parse_long(v, 1, 1000, &o->rounds);
		} else if (strcmp(k, "--samples") == 0) {
			rc = parse_long(v, 1, 1000000, &o->samples);
		} else if (strcmp(k, "--write-every") == 0) {
			rc = parse_long(v, 1, 1000000, &o->write_every);
		} else if (strcmp(k, "--hours") == 0) {
			rc = parse_long(v, 1, 24 * 366, &o->hours);
		} else if (strcmp(k, "--rows") == 0) {
			rc = parse_long(v, 1, 1000000, &o->rows);
		}
		if (rc < 0)
			return -1;
	}
	/* Every round of the cost run holds whole write intervals. */
	if (!o->dir || o->samples % o->write_every != 0)
		return -1;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of the N values at V (sorted in place); 0 when N is 0. */
static double median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What both runs record with: `vitals record`'s collector, trace and recorder. */
struct rig {
	struct vitals_collector *c;
	struct vitals_trace *trace;
	struct vitals_batch *rows;
	struct vitals_recorder *r;
	char path[4096];
};

static int rig_open(struct rig *g, const char *dir, const char *name)
{
	struct vitals_collector_options co;
	struct vitals_recorder_options ro;
	char err[ERR_LEN];
	int rc;

	memset(g, 0, sizeof(*g));
	snprintf(g->path, sizeof(g->path), "%s/%s", dir, name);
	vitals_collector_options_init(&co);
	rc = vitals_collector_new(&g->c, &co, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "record: collector: %s\n", err);
		return rc;
	}
	rc = vitals_trace_new(&g->trace);
	if (rc == 0)
		rc = vitals_batch_new(&g->rows, vitals_trace_schema(g->trace));
	if (rc < 0) {
		fprintf(stderr, "record: %s\n", vitals_strerror(rc));
		return rc;
	}
	/* The recorder's defaults, with the codec `vitals record` asks for. */
	vitals_recorder_options_init(&ro);
	ro.write.codec = VITALS_CODEC_ZSTD;
	rc = vitals_recorder_open(&g->r, g->path, vitals_trace_schema(g->trace), &ro, NULL, err,
	                          sizeof(err));
	if (rc < 0)
		fprintf(stderr, "record: %s\n", err);
	return rc;
}

/* Close G's recorder (writing its file) when CLOSE, else abort it; free the rest. */
static int rig_close(struct rig *g, int close)
{
	char err[ERR_LEN];
	int rc = 0;

	if (g->r && close) {
		rc = vitals_recorder_close(g->r, err, sizeof(err));
		if (rc < 0)
			fprintf(stderr, "record: close: %s\n", err);
	} else if (g->r) {
		vitals_recorder_abort(g->r);
	}
	vitals_batch_free(g->rows);
	vitals_trace_free(g->trace);
	vitals_collector_free(g->c);
	memset(g, 0, sizeof(*g));
	return rc;
}

static int sample(struct rig *g)
{
	int rc = vitals_collector_sample(g->c);

	if (rc < 0)
		fprintf(stderr, "record: sample: %s: %s\n", vitals_strerror(rc),
		        vitals_collector_errmsg(g->c));
	return rc;
}

static int recorder_failed(struct rig *g, const char *what, int rc)
{
	fprintf(stderr, "record: %s: %s: %s\n", what, vitals_strerror(rc),
	        vitals_recorder_errmsg(g->r));
	return rc;
}

/* ---- cost ------------------------------------------------------------------ */

struct cost_parts {
	double collect, trace, journal, write; /* CPU seconds */
	double write_wall;
	long writes;
	double rows;
};

/* One sample as `vitals record` takes it; a write after every K-th (*SINCE counts). */
static int record_one(struct rig *g, struct cost_parts *p, long k, long *since)
{
	struct vitals_sample_cost cost;
	double c0 = cpu_s(), w0 = wall_s(), c1, c2, c3;
	int rc = sample(g);

	if (rc < 0)
		return rc;
	c1 = cpu_s();
	cost.cpu_seconds = c1 - c0;
	cost.seconds = wall_s() - w0;
	vitals_batch_clear(g->rows);
	rc = vitals_trace_add_sample(g->trace, g->rows, g->c, 1, &cost);
	if (rc < 0) {
		fprintf(stderr, "record: trace: %s\n", vitals_strerror(rc));
		return rc;
	}
	c2 = cpu_s();
	rc = vitals_recorder_add(g->r, g->rows);
	if (rc < 0)
		return recorder_failed(g, "add", rc);
	c3 = cpu_s();
	p->collect += c1 - c0;
	p->trace += c2 - c1;
	p->journal += c3 - c2;
	p->rows += (double)g->rows->rows;
	if (++*since == k) {
		double w1 = wall_s();

		*since = 0;
		rc = vitals_recorder_write(g->r);
		if (rc < 0)
			return recorder_failed(g, "write", rc);
		p->write += cpu_s() - c3;
		p->write_wall += wall_s() - w1;
		p->writes++;
	}
	return 0;
}

static int run_cost(const struct opts *o)
{
	struct rig g;
	long since = 0;
	int rc;

	rc = rig_open(&g, o->dir, "cost.parquet");
	if (rc < 0)
		goto out_close;
	/* Warm up both: a first sample for rates, then one write interval of recording. */
	for (long i = 0; i < o->write_every; i++) {
		struct cost_parts p;

		memset(&p, 0, sizeof(p));
		rc = record_one(&g, &p, o->write_every, &since);
		if (rc < 0)
			goto out_close;
	}
	for (long round = 0; round < o->rounds; round++) {
		double bare = 0, record = 0, procs = 0;
		struct cost_parts p;

		memset(&p, 0, sizeof(p));
		/* Take turns on which phase goes first, so drift falls on both. */
		for (int phase = 0; phase < 2; phase++) {
			double c0 = cpu_s();

			if ((phase == 0) == (round % 2 == 0)) {
				for (long i = 0; i < o->samples; i++) {
					rc = sample(&g);
					if (rc < 0)
						goto out_close;
					procs += (double)vitals_collector_all_processes(g.c);
				}
				bare = cpu_s() - c0;
			} else {
				for (long i = 0; i < o->samples; i++) {
					rc = record_one(&g, &p, o->write_every, &since);
					if (rc < 0)
						goto out_close;
				}
				record = cpu_s() - c0;
			}
		}
		printf("bench=record_cost round=%ld processes=%.0f rows=%.0f bare_us=%.1f "
		       "record_us=%.1f collect_us=%.1f trace_us=%.1f journal_us=%.1f "
		       "write_us=%.1f write_cpu_ms=%.2f write_wall_ms=%.2f bytes=%" PRIu64 "\n",
		       round, procs / (double)o->samples, p.rows / (double)o->samples,
		       bare * 1e6 / (double)o->samples, record * 1e6 / (double)o->samples,
		       p.collect * 1e6 / (double)o->samples, p.trace * 1e6 / (double)o->samples,
		       p.journal * 1e6 / (double)o->samples, p.write * 1e6 / (double)o->samples,
		       p.writes ? p.write * 1e3 / (double)p.writes : 0,
		       p.writes ? p.write_wall * 1e3 / (double)p.writes : 0,
		       vitals_recorder_file_bytes(g.r));
		fflush(stdout);
	}
out_close:
	/* The file is a by-product: no need to write it once more. */
	rig_close(&g, 0);
	return rc < 0 ? 1 : 0;
}

/* ---- day ------------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	/* splitmix64's finalizer */
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

/*
 * Sample K of the day into S: the rows of PROTO at BASE_TIME_US + K s, each
 * number moved on by K. A cell's role comes from a hash of its place: most
 * (seven in eight) stay as they are, as on a machine of idle processes, one
 * in sixteen is a counter that grows at its own rate, one in sixteen a
 * gauge that takes a new value at every sample. (The file comes out at
 * about 13 bytes a row; a real recording of an idle machine at 1 s, 7 to 9.)
 */
static int day_sample(struct vitals_batch *s, const struct vitals_batch *proto, int time_col,
                      uint64_t k)
{
	int rc;

	vitals_batch_clear(s);
	rc = vitals_batch_append(s, proto, 0, proto->rows, NULL);
	if (rc < 0)
		return rc;
	for (size_t c = 0; c < s->schema.count; c++) {
		struct vitals_column *col = &s->cols[c];

		if ((int)c == time_col) {
			for (size_t i = 0; i < s->rows; i++)
				col->v.i64[i] = BASE_TIME_US + (int64_t)k * 1000000;
			continue;
		}
		if (col->type != VITALS_TYPE_INT64 && col->type != VITALS_TYPE_DOUBLE)
			continue;
		for (size_t i = 0; i < s->rows; i++) {
			uint64_t h = mix((uint64_t)c << 32 | i), g;

			if (!vitals_batch_is_valid(s, c, i) || h % 16 < 14)
				continue;
			g = mix(h ^ k);
			if (col->type == VITALS_TYPE_INT64) {
				if (h % 16 == 15)
					col->v.i64[i] += (int64_t)(g % 1024) * 4096;
				else
					col->v.i64[i] +=
					    (int64_t)k * (int64_t)(1 + (h >> 8) % 4096);
			} else {
				if (h % 16 == 15)
					col->v.f64[i] = (double)(g % 10000) / 100.0;
				else
					col->v.f64[i] +=
					    (double)((int64_t)k * (int64_t)(1 + (h >> 8) % 100)) /
					    100.0;
			}
		}
	}
	return 0;
}

static int run_day(const struct opts *o)
{
	struct rig g;
	struct vitals_batch *proto = NULL, *s = NULL;
	long per_hour = 3600 / o->write_every, samples = o->hours * 3600, writes = 0;
	double *wall_ms = NULL, *cpu_ms = NULL, *tmp = NULL, first = 0, last = 0, first_cpu = 0,
	       last_cpu = 0, add_s = 0, close_ms, t_start = wall_s();
	uint64_t bytes = 0;
	int time_col, rc;

	rc = rig_open(&g, o->dir, "day.parquet");
	if (rc < 0)
		goto out_free;
	/* Two samples, so that rates and percentages have values. */
	if ((rc = sample(&g)) < 0 || (rc = sample(&g)) < 0)
		goto out_free;
	rc = vitals_trace_add_sample(g.trace, g.rows, g.c, 1, NULL);
	if (rc == 0)
		rc = vitals_batch_new(&proto, vitals_trace_schema(g.trace));
	if (rc == 0)
		rc = vitals_batch_new(&s, vitals_trace_schema(g.trace));
	while (rc == 0 && proto->rows < (size_t)o->rows) {
		size_t take = (size_t)o->rows - proto->rows;

		if (take > g.rows->rows)
			take = g.rows->rows;
		rc = vitals_batch_append(proto, g.rows, 0, take, NULL);
	}
	wall_ms = calloc((size_t)(samples / o->write_every + 1), sizeof(double));
	cpu_ms = calloc((size_t)(samples / o->write_every + 1), sizeof(double));
	tmp = calloc((size_t)per_hour + 1, sizeof(double));
	if (rc == 0 && (!wall_ms || !cpu_ms || !tmp))
		rc = VITALS_E_NOMEM;
	if (rc < 0) {
		fprintf(stderr, "record: %s\n", vitals_strerror(rc));
		goto out_free;
	}
	time_col = vitals_schema_find(&proto->schema, "time");
	for (long k = 0; k < samples; k++) {
		double a0;

		rc = day_sample(s, proto, time_col, (uint64_t)k);
		if (rc < 0) {
			fprintf(stderr, "record: %s\n", vitals_strerror(rc));
			goto out_free;
		}
		a0 = cpu_s();
		rc = vitals_recorder_add(g.r, s);
		if (rc < 0) {
			recorder_failed(&g, "add", rc);
			goto out_free;
		}
		add_s += cpu_s() - a0;
		if ((k + 1) % o->write_every == 0) {
			double w0 = wall_s(), c0 = cpu_s();

			rc = vitals_recorder_write(g.r);
			if (rc < 0) {
				recorder_failed(&g, "write", rc);
				goto out_free;
			}
			wall_ms[writes] = (wall_s() - w0) * 1e3;
			cpu_ms[writes] = (cpu_s() - c0) * 1e3;
			writes++;
		}
		if ((k + 1) % 3600 == 0) {
			long hour = k / 3600, w0 = writes - per_hour, n = per_hour;
			double med, med_cpu, most = 0;

			if (w0 < 0)
				w0 = 0, n = writes;
			memcpy(tmp, wall_ms + w0, (size_t)n * sizeof(double));
			med = median(tmp, (size_t)n);
			most = n ? tmp[n - 1] : 0;
			memcpy(tmp, cpu_ms + w0, (size_t)n * sizeof(double));
			med_cpu = median(tmp, (size_t)n);
			if (hour == 0)
				first = med, first_cpu = med_cpu;
			last = med, last_cpu = med_cpu;
			printf("bench=record_day_hour hour=%ld writes=%ld median_ms=%.2f "
			       "median_cpu_ms=%.2f max_ms=%.2f bytes=%" PRIu64 " elapsed_s=%.1f\n",
			       hour + 1, n, med, med_cpu, most, vitals_recorder_file_bytes(g.r),
			       wall_s() - t_start);
			fflush(stdout);
		}
	}
	{
		double w0 = wall_s();
		char err[ERR_LEN];
		struct stat st;

		rc = vitals_recorder_close(g.r, err, sizeof(err));
		g.r = NULL;
		if (rc < 0) {
			fprintf(stderr, "record: close: %s\n", err);
			goto out_free;
		}
		close_ms = (wall_s() - w0) * 1e3;
		if (stat(g.path, &st) == 0)
			bytes = (uint64_t)st.st_size;
	}
	printf(
	    "bench=record_day hours=%ld rows_per_sample=%zu samples=%ld writes=%ld first_ms=%.2f "
	    "last_ms=%.2f first_cpu_ms=%.2f last_cpu_ms=%.2f add_us=%.1f close_ms=%.1f "
	    "bytes=%" PRIu64 " seconds=%.1f\n",
	    o->hours, proto->rows, samples, writes, first, last, first_cpu, last_cpu,
	    add_s * 1e6 / (double)samples, close_ms, bytes, wall_s() - t_start);
out_free:
	free(wall_ms);
	free(cpu_ms);
	free(tmp);
	vitals_batch_free(proto);
	vitals_batch_free(s);
	rig_close(&g, 0);
	return rc < 0 ? 1 : 0;
}

/* ---- count ------------------------------------------------------------------ */

static int run_count(const char *path)
{
	static const char *const cols[] = {"kind"};
	struct vitals_read_options ro;
	struct vitals_reader *rd;
	const struct vitals_batch *b;
	int64_t rows = 0, samples = 0, procs = 0;
	char err[ERR_LEN];
	struct stat st;
	int rc;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "record: %s: %s\n", path, strerror(errno));
		return 1;
	}
	vitals_read_options_init(&ro);
	ro.columns = cols;
	ro.column_count = 1;
	rc = vitals_reader_open(&rd, path, &ro, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "record: %s\n", err);
		return 1;
	}
	while ((rc = vitals_reader_next(rd, &b)) == 1) {
		for (size_t i = 0; i < b->rows; i++) {
			size_t len;
			const char *kind = vitals_batch_string(b, 0, i, &len);

			if (len == 6 && memcmp(kind, "system", 6) == 0)
				samples++;
			else if (len == 7 && memcmp(kind, "process", 7) == 0)
				procs++;
		}
		rows += (int64_t)b->rows;
	}
	if (rc < 0)
		fprintf(stderr, "record: %s: %s\n", path, vitals_reader_errmsg(rd));
	else
		printf("bench=record_count bytes=%lld rows=%" PRId64 " samples=%" PRId64
		       " process_rows=%" PRId64 "\n",
		       (long long)st.st_size, rows, samples, procs);
	vitals_reader_close(rd);
	return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct opts o;

	if (opts_parse(&o, argc, argv) != 0) {
		fprintf(
		    stderr,
		    "usage: record cost --dir DIR [--rounds R] [--samples N] [--write-every K]\n"
		    "       record day --dir DIR [--hours H] [--rows N] [--write-every K]\n"
		    "       record count FILE\n"
		    "(--samples a multiple of --write-every)\n");
		return 2;
	}
	if (strcmp(o.mode, "count") == 0)
		return run_count(o.file);
	if (strcmp(o.mode, "cost") == 0)
		return run_cost(&o);
	return run_day(&o);
}
