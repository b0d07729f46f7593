/*
 * logger SECONDS INTERVAL FILE: run the in-process logger for SECONDS at
 * INTERVAL into FILE while the program itself sleeps, and print the CPU
 * time the process spent, which is the logging thread's:
 *   bench=logger seconds=S interval=I cpu_seconds=C core_percent=P records=N
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <vitals/logger.h>

#include "util/clock.h"

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct vitals_logger_options o;
	double seconds, c0, c1, t0, t1;
	struct timespec ts;

	if (argc != 4) {
		fprintf(stderr, "usage: logger SECONDS INTERVAL FILE\n");
		return 2;
	}
	seconds = atof(argv[1]);
	vitals_logger_options_init(&o);
	o.interval = atof(argv[2]);
	o.path = argv[3];
	c0 = cpu_seconds();
	t0 = clock_mono_seconds();
	if (vitals_logger_start(&o) != 0) {
		fprintf(stderr, "logger: %s\n", vitals_logger_errmsg());
		return 1;
	}
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0)
		continue;
	if (vitals_logger_stop() != 0) {
		fprintf(stderr, "logger: %s\n", vitals_logger_errmsg());
		return 1;
	}
	t1 = clock_mono_seconds();
	c1 = cpu_seconds();
	printf("bench=logger seconds=%.3f interval=%g cpu_seconds=%.4f core_percent=%.3f\n",
	       t1 - t0, o.interval, c1 - c0, 100.0 * (c1 - c0) / (t1 - t0));
	return 0;
}
