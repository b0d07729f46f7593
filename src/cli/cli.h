/*
 * What the subcommands of the vitals command line share: the command
 * table's entry type, exit statuses, option parsing with clear errors,
 * human units, column tables and a small JSON writer.
 *
 * Everything here writes to a FILE * given by the caller, so a command can
 * render into memory first (the live view of `snapshot --watch` does, to
 * redraw a terminal without flicker).
 */
#ifndef VITALS_CLI_H
#define VITALS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit statuses of every command. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1, /* the command could not do its work (runtime failure) */
	CLI_EXIT_USAGE = 2,   /* bad input: unknown option, malformed number, no such pid */
};

/*
 * A subcommand: `vitals NAME ARGS...` calls fn(argc, argv) with argv[0] set
 * to NAME. It returns an enum cli_exit; only main() calls exit().
 */
struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary; /* one line for `vitals --help` */
};

int cmd_snapshot(int argc, char **argv);
int cmd_proctree(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_event(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_leaks(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dashboard(int argc, char **argv);
/*
 * `vitals dashboard` in the vitals program: runs vitals-dashboard (the
 * server lives in a program of its own, so that the others do not load
 * libmicrohttpd and its TLS libraries).
 */
int cmd_dashboard_exec(int argc, char **argv);
/* Raise the soft limit on open files to the hard one. */
void cli_raise_fd_limit(void);

/* The highest pid Linux can hand out (PID_MAX_LIMIT on 64-bit machines). */
#define CLI_PID_MAX 4194304

/*
 * Report bad input to command CMD: "vitals CMD: MESSAGE" then
 * "See 'vitals CMD --help'." on stderr. Returns CLI_EXIT_USAGE.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Set the display time zone (TZ) for CMD from --tz value TZ: an IANA name of
 * the system's tzdata, "UTC", "local", or "data"/NULL for DATA_ZONE (a
 * trace's own zone; local time when it has none or it is unknown here).
 * The zone's name for people goes into SHOWN. 0, or a usage error.
 */
int cli_use_zone(const char *cmd, const char *tz, const char *data_zone, char *shown, size_t len);
/* A directory given to option OPT of CMD must exist and be one: 0, or a usage error. */
int cli_check_dir(const char *cmd, const char *opt, const char *dir);
/* Report a runtime failure: "vitals CMD: MESSAGE" on stderr. Returns CLI_EXIT_FAILURE. */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parse ARG, the value of option WHAT ("--top", "PID"), as a decimal
 * integer in [MIN, MAX] into *out. On failure report it with
 * cli_usage_error() and return CLI_EXIT_USAGE; 0 on success.
 */
int cli_parse_int(const char *cmd, const char *what, const char *arg, long long min, long long max,
                  long long *out);
/*
 * Parse ARG, the value of option WHAT, as a point in time (RFC 3339 or
 * microseconds since the epoch) into *US; a usage error as above.
 */
int cli_parse_time(const char *cmd, const char *what, const char *arg, int64_t *us);
/*
 * Write PATH whole or not at all: WRITE(CTX, FILE, ERR, ERRLEN) fills a
 * temporary file beside it, which is then renamed into place ("-" writes
 * to standard output). 0, or the status of a message printed for CMD.
 */
int cli_write_file(const char *cmd, const char *path,
                   int (*write)(void *ctx, FILE *f, char *err, size_t errlen), void *ctx);
/* The same for a real number (no NaN, no infinity). */
int cli_parse_real(const char *cmd, const char *what, const char *arg, double min, double max,
                   double *out);
/* Whether ARG is a whole decimal or real number (for options with an optional value). */
int cli_is_number(const char *arg);
/*
 * Report an option getopt_long() refused (it returned '?' or ':'), from
 * ARGV and the optind it left. Returns CLI_EXIT_USAGE.
 */
int cli_bad_option(const char *cmd, char **argv, int optind_now, int code);

/*
 * Human units into BUF (at least 16 bytes); a NaN prints as "-".
 * bytes: "512 B", "1.2 GiB"; percent: "12.3%"; count: "3.0", "120", "1.5k".
 */
const char *cli_fmt_bytes(char *buf, size_t len, double bytes);
const char *cli_fmt_percent(char *buf, size_t len, double percent);
const char *cli_fmt_count(char *buf, size_t len, double count);
/* Seconds as "3d 04:12:05" or "04:12:05". */
const char *cli_fmt_duration(char *buf, size_t len, double seconds);
/* UTC microseconds as "2026-11-22T10:00:00.123456Z". */
const char *cli_fmt_time_utc(char *buf, size_t len, int64_t us);

/* Columns of the terminal on FD, 80 when it is a terminal of unknown size, 0 when not a terminal.
 */
size_t cli_term_width(int fd);
/* Whether the locale's character set is UTF-8 (call after setlocale). */
int cli_utf8_locale(void);

/*
 * Display width of S (UTF-8 code points; bytes of malformed sequences
 * count one each).
 */
size_t cli_text_width(const char *s);
/*
 * Copy S into a new string fit for a terminal: control characters become
 * '?', malformed UTF-8 bytes become '?'. NULL when out of memory.
 */
char *cli_text_clean(const char *s);
/* Write the first WIDTH code points of S (clean UTF-8) to OUT. */
void cli_print_cut(FILE *out, const char *s, size_t width);

/*
 * A table of text cells printed with aligned columns. The last column is
 * left-aligned and cut to the width given to cli_table_print(), so long
 * command lines never wrap.
 */
#define CLI_TABLE_COLS_MAX 16

struct cli_table {
	size_t ncols;
	const char *const *heads;
	const char *align; /* one char per column: 'l' or 'r' */
	char **cells;      /* nrows * ncols copies, cleaned for the terminal */
	size_t nrows;
	size_t cap;
};

/* Prepare T (at most CLI_TABLE_COLS_MAX columns); HEADS and ALIGN must outlive it. */
void cli_table_init(struct cli_table *t, size_t ncols, const char *const *heads, const char *align);
/* Append a row of ncols cells (NULL prints as "-"). VITALS_E_NOMEM on failure. */
int cli_table_add(struct cli_table *t, const char *const *row);
/* Print the header and rows; WIDTH 0 means no limit. */
void cli_table_print(const struct cli_table *t, FILE *out, size_t width);
void cli_table_release(struct cli_table *t);

/*
 * A streaming JSON writer. It escapes control characters, writes invalid
 * UTF-8 as U+FFFD, turns NaN and infinities into null, and indents
 * containers opened above depth inline_depth over several lines (deeper
 * ones stay on one line, so an array of records reads as one per line).
 */
struct json_writer {
	FILE *out;
	int depth;
	int inline_depth;
	int first; /* nothing written yet in the innermost open container */
	int after_key;
};

void json_init(struct json_writer *w, FILE *out, int inline_depth);
void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* Write a key; the next call writes its value. */
void json_key(struct json_writer *w, const char *key);
/* A string, or null when S is NULL. */
void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, int64_t v);
/* A real with the fewest digits that read back exactly; null when not finite. */
void json_real(struct json_writer *w, double v);
void json_bool(struct json_writer *w, int v);
void json_null(struct json_writer *w);
/* Finish the document with a newline. */
void json_finish(struct json_writer *w);

/* Write S as a JSON string literal (with quotes) to OUT. */
void json_write_string(FILE *out, const char *s);

#endif
