/*
 * vitals event: add events (labels) to a trace. While the trace is being
 * recorded they go through its FIFO (FILE.events) to the recorder; once it
 * is not, they are added to the file itself, atomically. `--import` takes
 * a CSV of `event,timestamp` and adds all of it or, on any bad line,
 * nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vitals/record.h>
#include <vitals/vitals.h>

#include "cli/cli.h"
#include "util/clock.h"

static const char usage_text[] =
    "usage: vitals event FILE TEXT [--at TIME] [--field KEY=VALUE ...]\n"
    "       vitals event FILE --import EVENTS.csv\n"
    "\n"
    "Add an event to the trace FILE: to the recording when `vitals record` is\n"
    "writing it, else to the file itself.\n"
    "\n"
    "  --at TIME             when it happened (RFC 3339, e.g. 2026-11-22T10:00:00Z,\n"
    "                        or microseconds since the epoch; default now)\n"
    "  --field KEY=VALUE     a field of the event (repeatable)\n"
    "  --import EVENTS.csv   add every row of a CSV with columns event,timestamp\n"
    "  -h, --help            show this help\n";

enum { OPT_AT = 256, OPT_FIELD, OPT_IMPORT };

static const struct option event_options[] = {
    {"at", required_argument, NULL, OPT_AT},
    {"field", required_argument, NULL, OPT_FIELD},
    {"import", required_argument, NULL, OPT_IMPORT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define FIELDS_MAX 64
#define TEXT_MAX   2048

struct event {
	int64_t at;
	char *text;
};

/* TEXT on one line: newlines and tabs become spaces; cut at TEXT_MAX bytes. */
static char *one_line(const char *text)
{
	size_t n = strlen(text);
	char *s = strndup(text, n > TEXT_MAX ? TEXT_MAX : n);

	for (char *p = s; p && *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s;
}

/* KEY=VALUE pairs as a JSON object into a new string. */
static char *fields_json(char **pairs, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (!n)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputc('{', f);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(pairs[i], '=');

		*eq = '\0';
		if (i)
			fputc(',', f);
		json_write_string(f, pairs[i]);
		fputc(':', f);
		json_write_string(f, eq + 1);
		*eq = '=';
	}
	fputc('}', f);
	fclose(f);
	return buf;
}

/*
 * Read EVENTS.csv (`event,timestamp`, in either order, a header first):
 * every row, or an error naming the line.
 */
static int read_import(const char *path, struct event **out, size_t *count)
{
	struct vitals_read_options ro;
	struct vitals_schema types;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	char err[1024];
	struct event *ev = NULL;
	size_t n = 0, line = 1;
	int ci, ti, rc;

	*out = NULL;
	*count = 0;
	if (vitals_format_from_path(path) != VITALS_FORMAT_CSV)
		return cli_usage_error("event", "--import: %s is not a .csv file", path);
	vitals_schema_init(&types);
	if (vitals_schema_add(&types, "event", VITALS_TYPE_STRING, 1) < 0 ||
	    vitals_schema_add(&types, "timestamp", VITALS_TYPE_STRING, 1) < 0) {
		vitals_schema_release(&types);
		return cli_error("event", "out of memory");
	}
	vitals_read_options_init(&ro);
	ro.types = &types;
	rc = vitals_reader_open(&r, path, &ro, err, sizeof(err));
	vitals_schema_release(&types);
	if (rc < 0)
		return cli_error("event", "%s", err);
	ci = vitals_schema_find(vitals_reader_schema(r), "event");
	ti = vitals_schema_find(vitals_reader_schema(r), "timestamp");
	if (ci < 0 || ti < 0) {
		vitals_reader_close(r);
		return cli_error("event",
		                 "%s: the header must name the columns event and timestamp", path);
	}
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		void *q = realloc(ev, (n + b->rows) * sizeof(*ev));

		if (!q && b->rows) {
			rc = cli_error("event", "out of memory");
			goto out_fail;
		}
		ev = q;
		for (size_t i = 0; i < b->rows; i++) {
			size_t len, tlen;
			const char *t = vitals_batch_string(b, (size_t)ti, i, &tlen);
			const char *text = vitals_batch_string(b, (size_t)ci, i, &len);
			char stamp[128];

			line++;
			if (!vitals_batch_is_valid(b, (size_t)ti, i) || tlen == 0 ||
			    tlen >= sizeof(stamp)) {
				rc = cli_error("event", "%s, line %zu: no timestamp", path, line);
				goto out_fail;
			}
			memcpy(stamp, t, tlen);
			stamp[tlen] = '\0';
			if (vitals_time_parse(stamp, &ev[n].at) < 0) {
				rc = cli_error(
				    "event",
				    "%s, line %zu: timestamp '%s' is not RFC 3339 (such as "
				    "2026-11-22T10:00:00Z) or microseconds; nothing was imported",
				    path, line, stamp);
				goto out_fail;
			}
			if (!vitals_batch_is_valid(b, (size_t)ci, i) || len == 0) {
				rc = cli_error("event",
				               "%s, line %zu: no event text; nothing was imported",
				               path, line);
				goto out_fail;
			}
			ev[n].text = strndup(text, len);
			if (!ev[n].text) {
				rc = cli_error("event", "out of memory");
				goto out_fail;
			}
			{
				char *clean = one_line(ev[n].text);

				free(ev[n].text);
				ev[n].text = clean;
			}
			if (!ev[n].text) {
				rc = cli_error("event", "out of memory");
				goto out_fail;
			}
			n++;
		}
	}
	if (rc < 0) {
		rc = cli_error("event", "%s; nothing was imported", vitals_reader_errmsg(r));
		goto out_fail;
	}
	vitals_reader_close(r);
	*out = ev;
	*count = n;
	return 0;
out_fail:
	for (size_t i = 0; i < n; i++)
		free(ev[i].text);
	free(ev);
	vitals_reader_close(r);
	return rc;
}

/* Send the events to the recorder through FIFO; 1 when nobody is recording. */
static int send_fifo(const char *fifo, const struct event *ev, size_t n, const char *source,
                     const char *fields)
{
	struct stat st;
	int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return 1; /* no FIFO, or no reader on it (ENXIO) */
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char line[TEXT_MAX + 1024];
		int len = snprintf(line, sizeof(line), "@%" PRId64 "\t%s\t%s\t%s\n", ev[i].at,
		                   source, fields ? fields : "", ev[i].text);
		ssize_t w;

		if (len < 0 || (size_t)len >= sizeof(line))
			len = (int)sizeof(line) - 1, line[len - 1] = '\n';
		/* A line of at most PIPE_BUF bytes is written whole; wait while the pipe is full.
		 */
		for (int tries = 0;
		     (w = write(fd, line, (size_t)len)) < 0 && errno == EAGAIN && tries < 500;
		     tries++)
			usleep(10000);
		if (w != len) {
			close(fd);
			return cli_error("event", "%s: cannot send the event: %s", fifo,
			                 w < 0 ? strerror(errno) : "short write");
		}
	}
	close(fd);
	return 0;
}

/* Add the events to FILE itself (nobody is recording it). */
static int add_to_file(const char *file, const struct event *ev, size_t n, const char *source,
                       const char *fields)
{
	struct vitals_trace *t;
	struct vitals_batch *b;
	struct vitals_recorder *r;
	struct vitals_recorder_options o;
	char err[1024];
	int rc;

	if (access(file, F_OK) < 0)
		return cli_error("event", "%s: no such trace, and no recording of it", file);
	if (vitals_trace_new(&t) < 0)
		return cli_error("event", "out of memory");
	rc = vitals_batch_new(&b, vitals_trace_schema(t));
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = vitals_trace_add_event(t, b, ev[i].at, source, ev[i].text, fields);
	if (rc < 0) {
		rc = cli_error("event", "out of memory");
		goto out_free;
	}
	vitals_recorder_options_init(&o);
	o.no_journal = 1;
	if (vitals_recorder_open(&r, file, vitals_trace_schema(t), &o, NULL, err, sizeof(err)) <
	    0) {
		rc = cli_error("event", "%s", err);
		goto out_free;
	}
	if (vitals_recorder_add(r, b) < 0 || vitals_recorder_close(r, err, sizeof(err)) < 0) {
		rc = cli_error("event", "%s", err);
		goto out_free;
	}
	rc = CLI_EXIT_OK;
out_free:
	vitals_batch_free(b);
	vitals_trace_free(t);
	return rc;
}

int cmd_event(int argc, char **argv)
{
	const char *at = NULL, *import = NULL, *file;
	char *pairs[FIELDS_MAX], *fields = NULL, *fifo = NULL;
	struct event one, *ev = NULL;
	size_t npairs = 0, n = 0;
	int opt, rc;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", event_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_AT:
			at = optarg;
			break;
		case OPT_FIELD:
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error("event", "--field: '%s' is not KEY=VALUE",
				                       optarg);
			if (npairs == FIELDS_MAX)
				return cli_usage_error("event", "--field: more than %d fields",
				                       FIELDS_MAX);
			pairs[npairs++] = optarg;
			break;
		case OPT_IMPORT:
			import = optarg;
			break;
		default:
			return cli_bad_option("event", argv, optind, opt);
		}
	}
	if (optind >= argc)
		return cli_usage_error("event", "which trace? (vitals event FILE TEXT)");
	file = argv[optind++];
	if (vitals_format_from_path(file) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error("event", "'%s' is not a trace (.parquet, .csv, .jsonl)",
		                       file);
	if (import) {
		if (optind < argc || at || npairs)
			return cli_usage_error("event", "--import takes no TEXT, --at or --field");
		rc = read_import(import, &ev, &n);
		if (rc)
			return rc;
	} else {
		if (optind + 1 != argc)
			return cli_usage_error(
			    "event", optind >= argc ? "no event TEXT" : "one TEXT only (quote it)");
		if (!argv[optind][0])
			return cli_usage_error("event", "the event TEXT is empty");
		one.at = clock_utc_us();
		if (at && vitals_time_parse(at, &one.at) < 0)
			return cli_usage_error(
			    "event",
			    "--at: '%s' is not RFC 3339 (2026-11-22T10:00:00Z) or "
			    "microseconds since the epoch",
			    at);
		one.text = one_line(argv[optind]);
		if (!one.text)
			return cli_error("event", "out of memory");
		ev = &one;
		n = 1;
	}
	fields = fields_json(pairs, npairs);
	if (asprintf(&fifo, "%s.events", file) < 0) {
		fifo = NULL;
		rc = cli_error("event", "out of memory");
		goto out;
	}
	rc = send_fifo(fifo, ev, n, import ? "import" : "cli", fields);
	if (rc == 1)
		rc = add_to_file(file, ev, n, import ? "import" : "cli", fields);
	if (rc == 0 && import)
		printf("%zu events imported into %s\n", n, file);
out:
	for (size_t i = 0; i < n; i++)
		free(ev[i].text);
	if (ev != &one)
		free(ev);
	free(fields);
	free(fifo);
	return rc;
}
