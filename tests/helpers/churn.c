/*
 * churn N SECONDS: spawn N short-lived children in all, at most 20 alive
 * at once, each busy for a few milliseconds then exiting, and reap them,
 * for about SECONDS; then exit 0. Pids get reused quickly under it, which
 * is what the recorder's churn test wants to see.
 */
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

#define ALIVE_MAX 20

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int total = argc > 1 ? atoi(argv[1]) : 200, alive = 0, spawned = 0;
	double seconds = argc > 2 ? atof(argv[2]) : 2, start = now();
	double gap = total > 0 ? seconds / total : 0.01;

	while (spawned < total || alive > 0) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			alive--;
		if (spawned < total && alive < ALIVE_MAX && now() - start >= spawned * gap) {
			pid_t pid = fork();

			if (pid == 0) {
				double until = now() + 0.002 + (spawned % 7) * 0.003;
				volatile unsigned long x = 0;

				while (now() < until)
					x++;
				_exit(0);
			}
			if (pid > 0) {
				alive++;
				spawned++;
			}
			continue;
		}
		if (alive > 0 && waitpid(-1, NULL, 0) > 0)
			alive--;
		else if (spawned < total) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}
