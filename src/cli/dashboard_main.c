/*
 * vitals-dashboard: the program `vitals dashboard` runs (see
 * dashboard_exec.c). Its arguments are those of `vitals dashboard`, the
 * first being "dashboard".
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	int status;

	setlocale(LC_CTYPE, "");
	cli_raise_fd_limit();
	if (argc > 0)
		argv[0] = "dashboard";
	status = cmd_dashboard(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (status == CLI_EXIT_OK) {
			fprintf(stderr, "vitals: cannot write the output\n");
			status = CLI_EXIT_FAILURE;
		}
	}
	exit(status);
}
