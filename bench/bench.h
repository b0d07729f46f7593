/*
 * What the benchmark programs share: the command line (how long to run),
 * the CPU clock (user + system time of this process) and the one output
 * line bench/run.sh parses:
 *
 *   bench=NAME samples=N processes=P us_per_sample=X us_per_process=Y
 *
 * where processes is the average number of processes a sample saw and the
 * times are CPU time (user + system), not wall time.
 */
#ifndef VITALS_BENCH_H
#define VITALS_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

struct bench_args {
	double seconds;   /* run samples for this long (wall clock) */
	long min_samples; /* but take at least this many */
};

/* Parse "[--seconds S] [--min-samples N]"; 0 on success. */
static inline int bench_args_parse(struct bench_args *a, int argc, char **argv)
{
	a->seconds = 2.0;
	a->min_samples = 3;
	for (int i = 1; i < argc; i++) {
		char *end;

		if (i + 1 >= argc)
			return -1;
		errno = 0;
		if (strcmp(argv[i], "--seconds") == 0) {
			a->seconds = strtod(argv[++i], &end);
			if (errno || *end || !(a->seconds >= 0 && a->seconds <= 3600))
				return -1;
		} else if (strcmp(argv[i], "--min-samples") == 0) {
			a->min_samples = strtol(argv[++i], &end, 10);
			if (errno || *end || a->min_samples < 1 || a->min_samples > 1000000)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* User + system CPU time of this process, in microseconds. */
static inline double bench_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static inline double bench_wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Whether to take another sample after N of them, started at wall time T0. */
static inline int bench_more(const struct bench_args *a, long n, double t0)
{
	return n < a->min_samples || bench_wall_s() - t0 < a->seconds;
}

static inline void bench_print(const char *name, long samples, double processes, double cpu_us)
{
	double per_sample = samples > 0 ? cpu_us / (double)samples : 0;
	double procs = samples > 0 ? processes / (double)samples : 0;

	printf("bench=%s samples=%ld processes=%.0f us_per_sample=%.1f us_per_process=%.3f\n", name,
	       samples, procs, per_sample, procs > 0 ? per_sample / procs : 0);
}

#endif
