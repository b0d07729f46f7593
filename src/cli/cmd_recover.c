/*
 * vitals recover: fold the journal a killed `vitals record` left beside its
 * output back into the output, atomically, then remove the journal.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <vitals/record.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals recover FILE\n"
    "\n"
    "Fold FILE.journal, left by a recording that was killed, back into the\n"
    "trace FILE, and remove it. Starting `vitals record` on FILE again does\n"
    "the same.\n"
    "\n"
    "  -h, --help    show this help\n";

static const struct option recover_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cmd_recover(int argc, char **argv)
{
	char err[1024];
	int64_t rows;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", recover_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		}
		return cli_bad_option("recover", argv, optind, opt);
	}
	if (optind + 1 != argc)
		return cli_usage_error("recover", optind >= argc
		                                      ? "which trace? (vitals recover FILE)"
		                                      : "one FILE only");
	if (vitals_format_from_path(argv[optind]) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error("recover", "'%s' is not a trace (.parquet, .csv, .jsonl)",
		                       argv[optind]);
	if (vitals_recover(argv[optind], &rows, err, sizeof(err)) < 0)
		return cli_error("recover", "%s", err);
	if (rows > 0)
		printf("%s: %" PRId64 " rows recovered from %s.journal\n", argv[optind], rows,
		       argv[optind]);
	else if (access(argv[optind], F_OK) == 0)
		printf("%s: nothing to recover\n", argv[optind]);
	else
		return cli_error("recover", "%s: no such trace and no journal", argv[optind]);
	return CLI_EXIT_OK;
}
