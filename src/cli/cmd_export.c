/*
 * vitals export: convert a trace between Parquet, CSV and JSON lines (by
 * extension), optionally keeping only some columns or a time range. The
 * output is written beside its final name and renamed into place, so a
 * failed export never leaves a half file or destroys an existing one.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals export IN -o OUT [--columns A,B,...] [--from TIME] [--to TIME]\n"
    "                     [--time-column NAME] [--codec C] [--row-group-size N]\n"
    "\n"
    "Convert a trace between Parquet, CSV and JSON lines; the formats follow\n"
    "the extensions (.parquet, .csv, .jsonl).\n"
    "\n"
    "  -o, --output OUT      the file to write (replaced atomically)\n"
    "  --columns A,B,...     keep only these columns, in this order\n"
    "  --from TIME           keep rows at or after TIME (RFC 3339, e.g.\n"
    "                        2026-11-22T10:00:00Z; no zone means UTC)\n"
    "  --to TIME             keep rows at or before TIME\n"
    "  --time-column NAME    the column --from/--to apply to (default: 'time',\n"
    "                        else the first timestamp column)\n"
    "  --codec C             Parquet compression: zstd (default), snappy, gzip,\n"
    "                        lz4_raw, none\n"
    "  --row-group-size N    Parquet rows per row group (default 131072)\n"
    "  -h, --help            show this help\n";

enum {
	OPT_COLUMNS = 256,
	OPT_FROM,
	OPT_TO,
	OPT_TIME_COLUMN,
	OPT_CODEC,
	OPT_ROW_GROUP_SIZE,
};

static const struct option export_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"columns", required_argument, NULL, OPT_COLUMNS},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"time-column", required_argument, NULL, OPT_TIME_COLUMN},
    {"codec", required_argument, NULL, OPT_CODEC},
    {"row-group-size", required_argument, NULL, OPT_ROW_GROUP_SIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct export_args {
	const char *in, *out;
	char *columns_text; /* a copy of --columns, cut at the commas */
	const char **columns;
	size_t column_count;
	int64_t from, to;
	const char *time_column;
	int codec; /* -1: the default */
	long long row_group_rows;
};

/* Split --columns into names. 0, or a usage error. */
static int split_columns(struct export_args *a, const char *text)
{
	size_t n = 1;
	char *p;

	free(a->columns_text);
	free(a->columns);
	a->columns = NULL;
	a->columns_text = strdup(text);
	if (!a->columns_text)
		return cli_error("export", "out of memory");
	for (p = a->columns_text; *p; p++)
		n += *p == ',';
	a->columns = calloc(n, sizeof(*a->columns));
	if (!a->columns)
		return cli_error("export", "out of memory");
	a->column_count = 0;
	for (p = a->columns_text;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		if (!*p)
			return cli_usage_error("export", "--columns: an empty column name in '%s'",
			                       text);
		for (size_t i = 0; i < a->column_count; i++)
			if (strcmp(a->columns[i], p) == 0)
				return cli_usage_error("export", "--columns: '%s' is named twice",
				                       p);
		a->columns[a->column_count++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

static int export_parse(int argc, char **argv, struct export_args *a)
{
	int opt, r;

	a->from = INT64_MIN;
	a->to = INT64_MAX;
	a->codec = -1;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":ho:", export_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case 'o':
			a->out = optarg;
			break;
		case OPT_COLUMNS:
			r = split_columns(a, optarg);
			break;
		case OPT_FROM:
			r = cli_parse_time("export", "--from", optarg, &a->from);
			break;
		case OPT_TO:
			r = cli_parse_time("export", "--to", optarg, &a->to);
			break;
		case OPT_TIME_COLUMN:
			a->time_column = optarg;
			break;
		case OPT_CODEC:
			a->codec = vitals_codec_parse(optarg);
			if (a->codec < 0)
				r = cli_usage_error(
				    "export",
				    "--codec: '%s' is not one of zstd, snappy, gzip, "
				    "lz4_raw, none",
				    optarg);
			break;
		case OPT_ROW_GROUP_SIZE:
			r = cli_parse_int("export", "--row-group-size", optarg, 1,
			                  VITALS_BATCH_ROWS_MAX, &a->row_group_rows);
			break;
		default:
			return cli_bad_option("export", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind >= argc)
		return cli_usage_error("export", "no input file given");
	a->in = argv[optind++];
	if (optind < argc)
		return cli_usage_error("export", "one input file at a time ('%s' is extra)",
		                       argv[optind]);
	if (!a->out)
		return cli_usage_error("export", "no output file given (-o OUT)");
	if (vitals_format_from_path(a->in) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error(
		    "export", "%s: unknown format (expected .parquet, .csv or .jsonl)", a->in);
	if (vitals_format_from_path(a->out) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error("export",
		                       "%s: unknown format (use .parquet, .csv or .jsonl)", a->out);
	if (vitals_format_from_path(a->out) != VITALS_FORMAT_PARQUET &&
	    (a->codec >= 0 || a->row_group_rows))
		return cli_usage_error("export", "--codec and --row-group-size apply to Parquet "
		                                 "output only");
	if (a->from > a->to)
		return cli_usage_error("export", "--from is after --to");
	if (a->time_column && a->from == INT64_MIN && a->to == INT64_MAX)
		return cli_usage_error("export", "--time-column needs --from or --to");
	return -1;
}

/* Whether IN and OUT are the same file (the export would read what it overwrites). */
static int same_file(const char *in, const char *out)
{
	struct stat a, b;

	return stat(in, &a) == 0 && stat(out, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int export_run(const struct export_args *a)
{
	struct vitals_read_options ro;
	struct vitals_write_options wo;
	struct vitals_reader *r;
	struct vitals_writer *w = NULL;
	const struct vitals_batch *b;
	struct vitals_kv *meta = NULL;
	char err[600], *tmp;
	int64_t rows = 0;
	int fd, rc, status = CLI_EXIT_FAILURE;

	if (same_file(a->in, a->out))
		return cli_usage_error("export", "%s: the output is the input file", a->out);
	vitals_read_options_init(&ro);
	ro.columns = a->columns;
	ro.column_count = a->column_count;
	ro.from = a->from;
	ro.to = a->to;
	ro.time_column = a->time_column;
	if (vitals_reader_open(&r, a->in, &ro, err, sizeof(err)) < 0)
		return cli_error("export", "%s", err);

	vitals_write_options_init(&wo);
	if (a->codec >= 0)
		wo.codec = (enum vitals_codec)a->codec;
	if (a->row_group_rows)
		wo.row_group_rows = (size_t)a->row_group_rows;
	/* Keep the input's key/value metadata (host, timezone, ...). */
	wo.meta_count = vitals_reader_meta_count(r);
	if (wo.meta_count) {
		meta = calloc(wo.meta_count, sizeof(*meta));
		if (!meta) {
			cli_error("export", "out of memory");
			goto out_reader;
		}
		/*
		 * Keys that describe another writer's schema (pandas, Arrow) would
		 * be wrong after a projection: they are dropped.
		 */
		size_t kept = 0;
		for (size_t i = 0; i < wo.meta_count; i++) {
			const struct vitals_kv *kv = vitals_reader_meta_at(r, i);
			if (strcmp(kv->key, "pandas") == 0 || strcmp(kv->key, "ARROW:schema") == 0)
				continue;
			meta[kept++] = *kv;
		}
		wo.meta = meta;
		wo.meta_count = kept;
	}

	if (asprintf(&tmp, "%s.tmp-%ld", a->out, (long)getpid()) < 0) {
		cli_error("export", "out of memory");
		goto out_meta;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_error("export", "%s: cannot create: %s", a->out, strerror(errno));
		goto out_tmp;
	}
	rc = vitals_writer_open_fd(&w, fd, vitals_format_from_path(a->out), a->out,
	                           vitals_reader_schema(r), &wo, err, sizeof(err));
	if (rc < 0) {
		cli_error("export", "%s", err);
		goto out_fd;
	}
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		if (vitals_writer_write(w, b) < 0) {
			cli_error("export", "%s", vitals_writer_errmsg(w));
			vitals_writer_abort(w);
			goto out_fd;
		}
		rows += (int64_t)b->rows;
	}
	if (rc < 0) {
		cli_error("export", "%s", vitals_reader_errmsg(r));
		vitals_writer_abort(w);
		goto out_fd;
	}
	if (vitals_writer_close(w, err, sizeof(err)) < 0) {
		cli_error("export", "%s", err);
		goto out_fd;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		cli_error("export", "%s: %s", a->out, strerror(errno));
		goto out_fd;
	}
	fd = -1;
	if (rename(tmp, a->out) < 0) {
		cli_error("export", "%s: cannot replace: %s", a->out, strerror(errno));
		goto out_fd;
	}
	if (isatty(2))
		fprintf(stderr, "vitals export: %" PRId64 " rows written to %s\n", rows, a->out);
	status = CLI_EXIT_OK;
out_fd:
	if (fd >= 0)
		close(fd);
	if (status != CLI_EXIT_OK)
		unlink(tmp);
out_tmp:
	free(tmp);
out_meta:
	free(meta);
out_reader:
	vitals_reader_close(r);
	return status;
}

int cmd_export(int argc, char **argv)
{
	struct export_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = export_parse(argc, argv, &a);
	if (rc < 0)
		rc = export_run(&a);
	free(a.columns_text);
	free(a.columns);
	return rc;
}
