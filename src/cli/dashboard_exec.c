/*
 * `vitals dashboard`: the server is a program of its own, vitals-dashboard,
 * beside vitals in a build tree and in LIBEXECDIR/vitals once installed.
 * Running it in place of this process keeps its pid, signals and exit
 * status those of `vitals dashboard`.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define DASHBOARD_PROGRAM "vitals-dashboard"

/* Try DIR/vitals-dashboard; returns only when it cannot run. */
static void try_exec(const char *dir, char **argv)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DASHBOARD_PROGRAM) >= sizeof(path))
		return;
	if (access(path, X_OK) == 0)
		execv(path, argv);
}

int cmd_dashboard_exec(int argc, char **argv)
{
	char self[PATH_MAX], rel[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argc;
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			/* A build tree, then an installation moved as a whole. */
			try_exec(self, argv);
			snprintf(rel, sizeof(rel), "%s/%s/vitals", self, VITALS_LIBEXEC_REL);
			try_exec(rel, argv);
		}
	}
	try_exec(VITALS_LIBEXEC_DIR, argv);
	return cli_error("dashboard", "cannot run %s (looked beside vitals and in %s): %s",
	                 DASHBOARD_PROGRAM, VITALS_LIBEXEC_DIR,
	                 errno ? strerror(errno) : "not found");
}
