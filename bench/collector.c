/*
 * The vitals collector sampling every process (and the system source, as
 * `vitals record` does), through the public API only. One warm-up sample,
 * then samples back to back; prints the line bench/run.sh parses.
 *
 * Usage: collector [--seconds S] [--min-samples N]
 */
#include <vitals/vitals.h>

#include "bench.h"

int main(int argc, char **argv)
{
	struct bench_args args;
	struct vitals_collector_options opts;
	struct vitals_collector *c = NULL;
	char err[256] = "";
	double processes = 0, cpu0, t0;
	long n = 0;
	int ret = 1, rc;

	if (bench_args_parse(&args, argc, argv) != 0) {
		fprintf(stderr, "usage: collector [--seconds S] [--min-samples N]\n");
		return 2;
	}
	vitals_collector_options_init(&opts);
	opts.sources = VITALS_SOURCE(VITALS_KIND_PROCESS) | VITALS_SOURCE(VITALS_KIND_SYSTEM);
	if (vitals_collector_new(&c, &opts, err, sizeof(err)) != VITALS_OK) {
		fprintf(stderr, "collector: %s\n", err);
		goto out;
	}
	rc = vitals_collector_sample(c);
	if (rc != VITALS_OK)
		goto out_sample_failed;
	cpu0 = bench_cpu_us();
	t0 = bench_wall_s();
	while (bench_more(&args, n, t0)) {
		rc = vitals_collector_sample(c);
		if (rc != VITALS_OK)
			goto out_sample_failed;
		processes += (double)vitals_collector_all_processes(c);
		n++;
	}
	bench_print("vitals", n, processes, bench_cpu_us() - cpu0);
	ret = 0;
	goto out_free;
out_sample_failed:
	fprintf(stderr, "collector: sample: %s: %s\n", vitals_strerror(rc),
	        vitals_collector_errmsg(c));
out_free:
	vitals_collector_free(c);
out:
	return ret;
}
