/*
 * What every test helper shares: die with the process that started it, say
 * "ready" once it is in the state the test measures, then wait to be killed.
 */
#ifndef VITALS_TEST_HELPERS_COMMON_H
#define VITALS_TEST_HELPERS_COMMON_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

/* Be killed when the parent goes, so a crashed test leaves nothing behind. */
static inline int helper_follow_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		return -1;
	/* The parent may have gone before the prctl took effect. */
	if (getppid() != parent)
		_exit(1);
	return 0;
}

/* Parse a count argument in [0, max]; -1 when it is not one. */
static inline long helper_count(const char *s, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > max)
		return -1;
	return v;
}

static inline void helper_ready(void)
{
	fputs("ready\n", stdout);
	fflush(stdout);
}

static inline void helper_wait_forever(void)
{
	for (;;)
		pause();
}

#endif
