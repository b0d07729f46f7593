/*
 * The leak-analysis benchmark's helper: makes the synthetic trace
 * bench/run_leaks.sh times `vitals leaks` on, and the baseline it is
 * compared with.
 *
 * Usage: leaks --generate FILE [--hours H] [--procs P]
 *        leaks --read FILE
 *
 * --generate writes FILE (Parquet, the wide trace schema of
 * vitals_trace_new(), through the library's writer) as `vitals record`
 * would: one sample a second for H hours (default 24) of a system row and
 * P processes (default 300) under ten services under pid 1, each with
 * rss_bytes, vms_bytes, threads and cpu_percent, noise from a fixed seed.
 * Three processes leak (4 KiB/s, 1 KiB/s from half-way, 256 B/s), one
 * saws, one steps up and stays. It prints
 *
 *   bench=leaks_generate rows=N bytes=B seconds=S
 *
 * --read reads the columns `vitals leaks` asks for (time, kind, id, name,
 * start_time, ppid, pid and the memory columns) through the reader's
 * projection and touches every value, without building any series: the
 * floor the analysis is compared with. It prints
 *
 *   bench=leaks_read rows=N seconds=S peak_kib=P
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <vitals/record.h>
#include <vitals/store.h>

#define BASE_TIME_US INT64_C(1772323200000000) /* 2026-03-01T00:00:00Z */
#define SERVICES     10

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static double noise1(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ULL << 52) - 1.0;
}

static int col(const struct vitals_trace *t, const char *name)
{
	int c = vitals_trace_column(t, name);

	if (c < 0) {
		fprintf(stderr, "leaks: the trace has no column %s\n", name);
		exit(1);
	}
	return c;
}

static int generate(const char *path, long hours, long procs)
{
	struct vitals_trace *tr;
	struct vitals_batch *b;
	struct vitals_writer *w;
	struct vitals_write_options o;
	struct vitals_kv meta[] = {{"vitals.schema_version", "1"},
	                           {"vitals.host", "bench"},
	                           {"vitals.timezone", "Etc/UTC"},
	                           {"vitals.sample_interval_seconds", "1"}};
	char err[512], id[24], name[32];
	int c_pid, c_ppid, c_start, c_rss, c_vms, c_thr, c_cpu, c_avail;
	long samples = hours * 3600;
	double t0 = now();
	int64_t rows = 0;

	if (vitals_trace_new(&tr) < 0 || vitals_batch_new(&b, vitals_trace_schema(tr)) < 0) {
		fprintf(stderr, "leaks: out of memory\n");
		return 1;
	}
	c_pid = col(tr, "pid");
	c_ppid = col(tr, "ppid");
	c_start = col(tr, "start_time");
	c_rss = col(tr, "rss_bytes");
	c_vms = col(tr, "vms_bytes");
	c_thr = col(tr, "threads");
	c_cpu = col(tr, "cpu_percent");
	c_avail = col(tr, "mem_available_bytes");
	vitals_write_options_init(&o);
	o.meta = meta;
	o.meta_count = sizeof(meta) / sizeof(meta[0]);
	o.row_group_rows = 65536;
	if (vitals_writer_open(&w, path, vitals_trace_schema(tr), &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "leaks: %s\n", err);
		return 1;
	}
	for (long s = 0; s < samples; s++) {
		int64_t t = BASE_TIME_US + (int64_t)s * 1000000;
		int rc = 0;

		vitals_batch_clear(b);
		rc |= vitals_batch_set_i64(b, 0, t);
		rc |= vitals_batch_set_string(b, 1, "system", 6);
		rc |= vitals_batch_set_string(b, 2, "", 0);
		rc |= vitals_batch_set_string(b, 3, "system", 6);
		rc |= vitals_batch_set_i64(b, (size_t)c_avail,
		                           (int64_t)(16e9 - 2e6 * noise1() - 4096.0 * s));
		rc |= vitals_batch_end_row(b);
		for (long p = 0; p < procs; p++) {
			int pid = 1000 + (int)p,
			    ppid = p < SERVICES ? 1 : 1000 + (int)(p % SERVICES);
			double rss = 20e6 + 1e6 * (double)(p % 37) + 0.5e6 * noise1();

			if (p == 50)
				rss += 4096.0 * s;
			else if (p == 120 && s > samples / 2)
				rss += 1024.0 * (s - samples / 2);
			else if (p == 200)
				rss += 256.0 * s;
			else if (p == 210)
				rss += 30e6 * (double)(s % 600) / 600;
			else if (p == 220 && s > samples / 3)
				rss += 200e6;
			snprintf(id, sizeof(id), "%d", pid);
			snprintf(name, sizeof(name), "%s-%ld", p < SERVICES ? "service" : "worker",
			         p);
			rc |= vitals_batch_set_i64(b, 0, t);
			rc |= vitals_batch_set_string(b, 1, "process", 7);
			rc |= vitals_batch_set_string(b, 2, id, strlen(id));
			rc |= vitals_batch_set_string(b, 3, name, strlen(name));
			rc |= vitals_batch_set_i64(b, (size_t)c_pid, pid);
			rc |= vitals_batch_set_i64(b, (size_t)c_ppid, ppid);
			rc |= vitals_batch_set_i64(b, (size_t)c_start,
			                           BASE_TIME_US - 3600000000LL + p * 10000);
			rc |= vitals_batch_set_i64(b, (size_t)c_rss, (int64_t)rss / 4096 * 4096);
			rc |= vitals_batch_set_i64(b, (size_t)c_vms,
			                           (int64_t)(rss * 3) / 4096 * 4096);
			rc |= vitals_batch_set_i64(b, (size_t)c_thr, 1 + p % 8);
			rc |= vitals_batch_set_double(b, (size_t)c_cpu,
			                              floor(fabs(noise1()) * 500) / 100);
			rc |= vitals_batch_end_row(b);
		}
		if (rc || vitals_writer_write(w, b) < 0) {
			fprintf(stderr, "leaks: %s\n", vitals_writer_errmsg(w));
			return 1;
		}
		rows += (int64_t)b->rows;
	}
	if (vitals_writer_close(w, err, sizeof(err)) < 0) {
		fprintf(stderr, "leaks: %s\n", err);
		return 1;
	}
	{
		struct vitals_file_info *info;
		if (vitals_file_describe(&info, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "leaks: %s\n", err);
			return 1;
		}
		printf("bench=leaks_generate rows=%" PRId64 " bytes=%" PRIu64 " seconds=%.2f\n",
		       rows, info->file_bytes, now() - t0);
		vitals_file_info_free(info);
	}
	vitals_batch_free(b);
	vitals_trace_free(tr);
	return 0;
}

static int read_floor(const char *path)
{
	const char *cols[] = {"time",
	                      "kind",
	                      "id",
	                      "name",
	                      "start_time",
	                      "ppid",
	                      "pid",
	                      "rss_bytes",
	                      "heap_in_use_bytes",
	                      "value",
	                      "mem_available_bytes"};
	struct vitals_read_options o;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	struct rusage ru;
	char err[512];
	double t0 = now();
	uint64_t rows = 0, sum = 0;
	int rc;

	vitals_read_options_init(&o);
	o.columns = cols;
	o.column_count = sizeof(cols) / sizeof(cols[0]);
	if (vitals_reader_open(&r, path, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "leaks: %s\n", err);
		return 1;
	}
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		for (size_t c = 0; c < b->schema.count; c++) {
			const struct vitals_column *k = &b->cols[c];
			for (size_t i = 0; i < b->rows; i++) {
				if (k->type == VITALS_TYPE_STRING)
					sum += k->v.off[i + 1] - k->v.off[i];
				else if (k->type == VITALS_TYPE_DOUBLE)
					sum += (uint64_t)k->v.f64[i];
				else
					sum += (uint64_t)k->v.i64[i];
			}
		}
		rows += b->rows;
	}
	if (rc < 0) {
		fprintf(stderr, "leaks: %s\n", vitals_reader_errmsg(r));
		return 1;
	}
	vitals_reader_close(r);
	getrusage(RUSAGE_SELF, &ru);
	printf("bench=leaks_read rows=%" PRIu64 " seconds=%.3f peak_kib=%ld checksum=%" PRIu64 "\n",
	       rows, now() - t0, ru.ru_maxrss, sum % 1000);
	return 0;
}

int main(int argc, char **argv)
{
	long hours = 24, procs = 300;

	for (int i = 3; i + 1 < argc; i += 2) {
		char *end;
		long v;

		errno = 0;
		v = strtol(argv[i + 1], &end, 10);
		if (errno || *end || v <= 0 || v > 1000000)
			goto usage;
		if (strcmp(argv[i], "--hours") == 0)
			hours = v;
		else if (strcmp(argv[i], "--procs") == 0)
			procs = v;
		else
			goto usage;
	}
	if (argc >= 3 && strcmp(argv[1], "--generate") == 0 && argc % 2 == 1)
		return generate(argv[2], hours, procs);
	if (argc == 3 && strcmp(argv[1], "--read") == 0)
		return read_floor(argv[2]);
usage:
	fprintf(stderr, "usage: leaks --generate FILE [--hours H] [--procs P]\n"
	                "       leaks --read FILE\n");
	return 2;
}
