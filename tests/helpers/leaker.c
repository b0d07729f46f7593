/*
 * leaker STEADY KIB_PER_S SECONDS: start STEADY children that each make
 * 2 MiB resident and then keep still, and one child named "leakchild"
 * that makes KIB_PER_S KiB more resident every second (in tenths, every
 * 100 ms) for SECONDS seconds and never frees it. When the leaking child
 * is done, every child is killed and leaker exits 0.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common.h"

/* Make LEN bytes of fresh memory resident (no page left on the shared zero page). */
static void *touch(size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	if (!p)
		return NULL;
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (unsigned char)(i / 4096 % 251 + 1);
	if (len)
		p[len - 1] = 1;
	return p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

int main(int argc, char **argv)
{
	long steady, rate, seconds;
	pid_t self = getpid(), leak, kids[256];
	int status;

	if (argc != 4 || (steady = helper_count(argv[1], 256)) < 0 ||
	    (rate = helper_count(argv[2], 1L << 20)) < 0 ||
	    (seconds = helper_count(argv[3], 86400)) < 0) {
		fprintf(stderr, "usage: leaker STEADY KIB_PER_S SECONDS\n");
		return 2;
	}
	for (long i = 0; i < steady; i++) {
		kids[i] = fork();
		if (kids[i] < 0) {
			perror("leaker: fork");
			return 1;
		}
		if (kids[i] == 0) {
			if (helper_follow_parent(self) != 0 || !touch((size_t)2 << 20))
				_exit(1);
			helper_wait_forever();
		}
	}
	leak = fork();
	if (leak < 0) {
		perror("leaker: fork");
		return 1;
	}
	if (leak == 0) {
		size_t step = (size_t)rate * 1024 / 10;

		if (helper_follow_parent(self) != 0)
			_exit(1);
		prctl(PR_SET_NAME, "leakchild", 0, 0, 0);
		for (long i = 0; i < seconds * 10; i++) {
			/* Never freed: that is the leak. */
			if (!touch(step))
				_exit(1);
			sleep_ms(100);
		}
		_exit(0);
	}
	helper_ready();
	while (waitpid(leak, &status, 0) < 0 && errno == EINTR)
		continue;
	for (long i = 0; i < steady; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
