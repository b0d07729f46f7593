/*
 * vitals: the command line. Finds the subcommand in a table and runs it;
 * each subcommand lives in its own cmd_NAME.c.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static int cmd_help(int argc, char **argv);

/* One line per subcommand: adding a command is adding a line here. */
static const struct cli_command commands[] = {
    {"snapshot", cmd_snapshot, "Show what the machine and its processes consume now"},
    {"proctree", cmd_proctree, "Show the process tree under a pid, or find processes"},
    {"record", cmd_record, "Record the machine and its processes into a trace file"},
    {"event", cmd_event, "Add an event to a trace being recorded, or import events"},
    {"recover", cmd_recover, "Fold the journal of a killed recording back into its trace"},
    {"inspect", cmd_inspect, "Show the schema, layout and statistics of a trace file"},
    {"export", cmd_export, "Convert a trace between Parquet, CSV and JSON lines"},
    {"leaks", cmd_leaks, "Rank the memory series of a trace that keep growing"},
    {"plot", cmd_plot, "Draw a trace as an SVG chart, or export it for gnuplot"},
    {"report", cmd_report, "Write a trace's report as one self-contained HTML file"},
    {"dashboard", cmd_dashboard_exec, "Serve the web dashboard, its JSON API and /metrics"},
    {"help", cmd_help, "Show the manual page of a command"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_command *command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: vitals [--version] [--help] COMMAND [ARGS]\n\n"
	             "A system and process monitor for Linux.\n\n"
	             "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "   %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nSee 'vitals help COMMAND' or 'vitals COMMAND --help' for one command.\n");
}

static int unknown_command(const char *name)
{
	fprintf(stderr, "vitals: '%s' is not a vitals command. See 'vitals --help'.\n", name);
	return CLI_EXIT_USAGE;
}

/* Run PROG ARGS... with stdout and stderr silenced; its exit status, or -1. */
static int run_quiet(char *const *args)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(args[0], args);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		continue;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * `vitals help CMD`: the manual page vitals-CMD(1) when man has it,
 * otherwise the command's own usage.
 */
static int cmd_help(int argc, char **argv)
{
	const struct cli_command *cmd;
	char page[64];
	char *help_argv[] = {NULL, "--help", NULL};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", "too many arguments");
	cmd = command_find(argv[1]);
	if (!cmd)
		return unknown_command(argv[1]);
	snprintf(page, sizeof(page), "vitals-%s", cmd->name);
	if (cmd->fn != cmd_help) {
		char *where[] = {"man", "-w", page, NULL};

		if (run_quiet(where) == 0) {
			fflush(stdout);
			execlp("man", "man", page, (char *)NULL);
		}
	}
	help_argv[0] = (char *)cmd->name;
	return cmd->fn(2, help_argv);
}

/*
 * The collector holds a few descriptors per process it watches (that is
 * what makes sampling cheap); give it the room the hard limit allows.
 * vitals never uses select(), so a high soft limit is harmless.
 */

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int status;

	setlocale(LC_CTYPE, "");
	cli_raise_fd_limit();
	if (argc < 2) {
		usage(stderr);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		status = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("vitals %s\n", vitals_version());
		status = CLI_EXIT_OK;
		goto out;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "vitals: unknown option '%s'\nSee 'vitals --help'.\n", argv[1]);
		status = CLI_EXIT_USAGE;
		goto out;
	}
	cmd = command_find(argv[1]);
	if (!cmd) {
		status = unknown_command(argv[1]);
		goto out;
	}
	status = cmd->fn(argc - 1, argv + 1);
out:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (status == CLI_EXIT_OK)
			fprintf(stderr, "vitals: cannot write the output\n");
		if (status == CLI_EXIT_OK)
			status = CLI_EXIT_FAILURE;
	}
	exit(status);
}
