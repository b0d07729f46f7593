/*
 * threads N: start N threads that sleep, print "ready" once all of them
 * run (the process then has N + 1 threads) and sleep until killed.
 */
#include <pthread.h>
#include <string.h>

#include "common.h"

#define THREADS_MAX 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t started_cond = PTHREAD_COND_INITIALIZER;
static long started;

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	started++;
	pthread_cond_signal(&started_cond);
	pthread_mutex_unlock(&lock);
	helper_wait_forever();
	return NULL;
}

int main(int argc, char **argv)
{
	long n;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	if (argc != 2 || (n = helper_count(argv[1], THREADS_MAX)) < 0) {
		fprintf(stderr, "usage: threads N (N <= %d)\n", THREADS_MAX);
		return 2;
	}
	if (helper_follow_parent(getppid()) != 0) {
		perror("threads: prctl");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (long i = 0; i < n; i++) {
		err = pthread_create(&tid, &attr, sleeper, NULL);
		if (err) {
			fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
			return 1;
		}
	}
	pthread_attr_destroy(&attr);
	pthread_mutex_lock(&lock);
	while (started < n)
		pthread_cond_wait(&started_cond, &lock);
	pthread_mutex_unlock(&lock);
	helper_ready();
	helper_wait_forever();
	return 0;
}
