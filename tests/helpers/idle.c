/*
 * idle N: fork N children that only sleep, print "ready" once all exist
 * and sleep. On SIGTERM, SIGINT or SIGHUP it kills and reaps every child
 * before it exits, so that when it is gone they are gone; if it is killed
 * outright, the children die with it (PR_SET_PDEATHSIG).
 */
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "common.h"

#define IDLE_MAX 100000

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define NSTOP ((int)(sizeof(stop_signals) / sizeof(stop_signals[0])))

static void set_stop_handler(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NSTOP; i++)
		sigaction(stop_signals[i], &sa, NULL);
}

/* A child: default signals, die with the parent, sleep. */
static void child(pid_t parent, const sigset_t *mask)
{
	set_stop_handler(SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	if (helper_follow_parent(parent) != 0)
		_exit(1);
	helper_wait_forever();
}

int main(int argc, char **argv)
{
	long n, made = 0;
	pid_t self = getpid();
	pid_t *pids;
	struct rlimit lim;
	sigset_t stop_set, old_mask;
	int ret = 1;

	if (argc != 2 || (n = helper_count(argv[1], IDLE_MAX)) < 0) {
		fprintf(stderr, "usage: idle N (N <= %d)\n", IDLE_MAX);
		return 2;
	}
	if (helper_follow_parent(getppid()) != 0) {
		perror("idle: prctl");
		return 1;
	}
	/* As many processes as this user may have: the soft limit can be below the hard one. */
	if (getrlimit(RLIMIT_NPROC, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NPROC, &lim);
	}
	pids = calloc((size_t)(n ? n : 1), sizeof(*pids));
	if (!pids) {
		perror("idle: calloc");
		return 1;
	}
	/* A stop request during the forks waits until they are done. */
	sigemptyset(&stop_set);
	for (int i = 0; i < NSTOP; i++)
		sigaddset(&stop_set, stop_signals[i]);
	sigprocmask(SIG_BLOCK, &stop_set, &old_mask);
	set_stop_handler(on_stop);
	fflush(stdout);
	for (; made < n; made++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "idle: fork %ld of %ld: %s\n", made + 1, n,
			        strerror(errno));
			goto out_kill_children;
		}
		if (pid == 0)
			child(self, &old_mask);
		pids[made] = pid;
	}
	helper_ready();
	while (!stopping)
		sigsuspend(&old_mask);
	ret = 0;
out_kill_children:
	for (long i = 0; i < made; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < made; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
	free(pids);
	return ret;
}
