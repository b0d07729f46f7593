/*
 * vitals inspect: what a trace file holds and how it is laid out: schema,
 * rows, row groups, encodings, codec, sizes, null counts, min/max, time
 * span and key/value metadata.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals inspect FILE [--json] [--row-groups]\n"
    "\n"
    "Show what a trace file (.parquet, .csv, .jsonl) holds: its schema, rows,\n"
    "row groups, per-column encodings, codec, compressed and uncompressed sizes,\n"
    "null counts, min/max, time span and key/value metadata.\n"
    "\n"
    "  --json                print JSON (always with every row group)\n"
    "  --row-groups          also list every column of every row group\n"
    "  -h, --help            show this help\n";

enum { OPT_JSON = 256, OPT_ROW_GROUPS };

static const struct option inspect_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"row-groups", no_argument, NULL, OPT_ROW_GROUPS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* One column summed over every row group. */
struct column_total {
	int64_t compressed, uncompressed, nulls, values;
	int sizes_known, nulls_known;
	char encodings[128];
	char codec[64];
	const char *min, *max; /* text of the extreme statistics */
	int has_int;
	int64_t min_i, max_i;
	int has_real;
	double min_d, max_d;
};

/* Append the comma-separated names of LIST to SET when not already there. */
static void add_names(char *set, size_t cap, const char *list)
{
	char name[64];

	while (list && *list) {
		size_t n = strcspn(list, ",");
		if (n < sizeof(name)) {
			memcpy(name, list, n);
			name[n] = '\0';
			int present = 0;
			for (const char *p = set; *p;) {
				size_t m = strcspn(p, ",");
				present |= m == n && strncmp(p, name, n) == 0;
				p += m + (p[m] == ',');
			}
			if (!present && strlen(set) + n + 2 < cap) {
				if (*set)
					strcat(set, ",");
				strcat(set, name);
			}
		}
		list += n + (list[n] == ',');
	}
}

static void totals_compute(const struct vitals_file_info *info, struct column_total *t)
{
	size_t ncols = info->schema->count;

	for (size_t c = 0; c < ncols; c++) {
		enum vitals_type type = info->schema->fields[c].type;
		t[c].sizes_known = t[c].nulls_known = info->row_group_count > 0;
		for (size_t g = 0; g < info->row_group_count; g++) {
			const struct vitals_chunk_info *ci = &info->row_groups[g].columns[c];
			add_names(t[c].encodings, sizeof(t[c].encodings), ci->encodings);
			add_names(t[c].codec, sizeof(t[c].codec), ci->codec);
			t[c].values += ci->values;
			if (ci->compressed < 0 || ci->uncompressed < 0)
				t[c].sizes_known = 0;
			t[c].compressed += ci->compressed;
			t[c].uncompressed += ci->uncompressed;
			if (ci->null_count < 0)
				t[c].nulls_known = 0;
			t[c].nulls += ci->null_count;
			if (!ci->min || !ci->max)
				continue;
			if (ci->has_int_stats) {
				if (!t[c].has_int || ci->min_i < t[c].min_i) {
					t[c].min_i = ci->min_i;
					t[c].min = ci->min;
				}
				if (!t[c].has_int || ci->max_i > t[c].max_i) {
					t[c].max_i = ci->max_i;
					t[c].max = ci->max;
				}
				t[c].has_int = 1;
			} else if (type == VITALS_TYPE_DOUBLE) {
				/* The text is the shortest exact form, so it reads back exactly. */
				double lo = strtod(ci->min, NULL), hi = strtod(ci->max, NULL);
				if (!t[c].has_real || lo < t[c].min_d) {
					t[c].min_d = lo;
					t[c].min = ci->min;
				}
				if (!t[c].has_real || hi > t[c].max_d) {
					t[c].max_d = hi;
					t[c].max = ci->max;
				}
				t[c].has_real = 1;
			} else {
				if (!t[c].min || strcmp(ci->min, t[c].min) < 0)
					t[c].min = ci->min;
				if (!t[c].max || strcmp(ci->max, t[c].max) > 0)
					t[c].max = ci->max;
			}
		}
	}
}

/* Index of the time column ("time", else the first timestamp), or -1. */
static int time_column(const struct vitals_schema *s)
{
	int i = vitals_schema_find(s, "time");

	if (i >= 0 &&
	    (s->fields[i].type == VITALS_TYPE_TIMESTAMP || s->fields[i].type == VITALS_TYPE_INT64))
		return i;
	for (size_t k = 0; k < s->count; k++)
		if (s->fields[k].type == VITALS_TYPE_TIMESTAMP)
			return (int)k;
	return -1;
}

static const char *fmt_size(char *buf, size_t len, int64_t bytes, int known)
{
	return known ? cli_fmt_bytes(buf, len, (double)bytes) : "-";
}

static void print_text(const struct vitals_file_info *info, const char *path, int row_groups)
{
	const struct vitals_schema *s = info->schema;
	struct column_total *t = calloc(s->count ? s->count : 1, sizeof(*t));
	char a[64], b[64], c[64];
	int tc = time_column(s);
	struct cli_table tab;

	if (!t)
		return;
	totals_compute(info, t);
	printf("file       %s\n", path);
	printf("format     %s, %s", vitals_format_name(info->format),
	       cli_fmt_bytes(a, sizeof(a), (double)info->file_bytes));
	if (info->format_version)
		printf(", format version %d", info->format_version);
	printf("\n");
	if (info->created_by)
		printf("created by %s\n", info->created_by);
	printf("rows       %" PRId64 " in %zu row group%s\n", info->rows, info->row_group_count,
	       info->row_group_count == 1 ? "" : "s");
	if (tc >= 0 && t[tc].has_int) {
		printf("time       %s .. %s (%s)\n",
		       s->fields[tc].type == VITALS_TYPE_TIMESTAMP
		           ? cli_fmt_time_utc(a, sizeof(a), t[tc].min_i)
		           : t[tc].min,
		       s->fields[tc].type == VITALS_TYPE_TIMESTAMP
		           ? cli_fmt_time_utc(b, sizeof(b), t[tc].max_i)
		           : t[tc].max,
		       cli_fmt_duration(c, sizeof(c), (double)(t[tc].max_i - t[tc].min_i) / 1e6));
	} else if (tc >= 0) {
		printf("time       unknown (column '%s' has no statistics)\n", s->fields[tc].name);
	}
	if (info->meta_count) {
		printf("metadata\n");
		for (size_t i = 0; i < info->meta_count; i++) {
			char *clean =
			    cli_text_clean(info->meta[i].value ? info->meta[i].value : "");
			size_t len = clean ? strlen(clean) : 0;
			printf("  %s = %.*s%s\n", info->meta[i].key, len > 200 ? 200 : (int)len,
			       clean ? clean : "", len > 200 ? "..." : "");
			free(clean);
		}
	}

	static const char *const heads[] = {"column",    "type",  "null", "physical",
	                                    "encodings", "codec", "size", "raw",
	                                    "nulls",     "min",   "max"};
	cli_table_init(&tab, 11, heads, "llllllrrrll");
	for (size_t i = 0; i < s->count; i++) {
		char n[32];
		const char *phys = info->fields[i].physical;
		char physbuf[96];
		if (info->fields[i].logical) {
			snprintf(physbuf, sizeof(physbuf), "%s %s", phys ? phys : "",
			         info->fields[i].logical);
			phys = physbuf;
		}
		snprintf(n, sizeof(n), "%" PRId64, t[i].nulls);
		const char *row[] = {
		    s->fields[i].name,
		    vitals_type_name(s->fields[i].type),
		    s->fields[i].nullable ? "yes" : "no",
		    phys,
		    t[i].encodings[0] ? t[i].encodings : NULL,
		    t[i].codec[0] ? t[i].codec : NULL,
		    fmt_size(a, sizeof(a), t[i].compressed, t[i].sizes_known),
		    fmt_size(b, sizeof(b), t[i].uncompressed, t[i].sizes_known),
		    t[i].nulls_known ? n : NULL,
		    t[i].min,
		    t[i].max,
		};
		cli_table_add(&tab, row);
	}
	printf("\n");
	cli_table_print(&tab, stdout, cli_term_width(1));
	cli_table_release(&tab);

	if (info->format == VITALS_FORMAT_PARQUET && info->row_group_count) {
		static const char *const gheads[] = {"row group", "rows", "size", "raw"};
		cli_table_init(&tab, 4, gheads, "rrrr");
		for (size_t g = 0; g < info->row_group_count; g++) {
			const struct vitals_row_group_info *rg = &info->row_groups[g];
			char gi[32], rows[32];
			snprintf(gi, sizeof(gi), "%zu", g);
			snprintf(rows, sizeof(rows), "%" PRId64, rg->rows);
			const char *row[] = {
			    gi, rows, fmt_size(a, sizeof(a), rg->compressed, rg->compressed >= 0),
			    fmt_size(b, sizeof(b), rg->uncompressed, rg->uncompressed >= 0)};
			cli_table_add(&tab, row);
		}
		printf("\n");
		cli_table_print(&tab, stdout, 0);
		cli_table_release(&tab);
	}
	if (row_groups) {
		for (size_t g = 0; g < info->row_group_count; g++) {
			const struct vitals_row_group_info *rg = &info->row_groups[g];
			static const char *const cheads[] = {"column", "encodings", "codec",
			                                     "size",   "raw",       "values",
			                                     "nulls",  "min",       "max"};
			printf("\nrow group %zu: %" PRId64 " rows\n", g, rg->rows);
			cli_table_init(&tab, 9, cheads, "lllrrrrll");
			for (size_t i = 0; i < s->count; i++) {
				const struct vitals_chunk_info *ci = &rg->columns[i];
				char v[32], n[32];
				snprintf(v, sizeof(v), "%" PRId64, ci->values);
				snprintf(n, sizeof(n), "%" PRId64, ci->null_count);
				const char *row[] = {
				    s->fields[i].name,
				    ci->encodings,
				    ci->codec,
				    fmt_size(a, sizeof(a), ci->compressed, ci->compressed >= 0),
				    fmt_size(b, sizeof(b), ci->uncompressed, ci->uncompressed >= 0),
				    v,
				    ci->null_count >= 0 ? n : NULL,
				    ci->min,
				    ci->max,
				};
				cli_table_add(&tab, row);
			}
			cli_table_print(&tab, stdout, cli_term_width(1));
			cli_table_release(&tab);
		}
	}
	free(t);
}

static void json_size(struct json_writer *j, const char *key, int64_t v)
{
	json_key(j, key);
	if (v < 0)
		json_null(j);
	else
		json_int(j, v);
}

static void print_json(const struct vitals_file_info *info, const char *path)
{
	const struct vitals_schema *s = info->schema;
	struct column_total *t = calloc(s->count ? s->count : 1, sizeof(*t));
	struct json_writer j;
	int tc = time_column(s);

	if (!t)
		return;
	totals_compute(info, t);
	json_init(&j, stdout, 3);
	json_object_begin(&j);
	json_key(&j, "file");
	json_string(&j, path);
	json_key(&j, "format");
	json_string(&j, vitals_format_name(info->format));
	json_key(&j, "file_bytes");
	json_int(&j, (int64_t)info->file_bytes);
	json_key(&j, "format_version");
	if (info->format_version)
		json_int(&j, info->format_version);
	else
		json_null(&j);
	json_key(&j, "created_by");
	json_string(&j, info->created_by);
	json_key(&j, "rows");
	json_int(&j, info->rows);
	json_key(&j, "time");
	if (tc >= 0 && t[tc].has_int) {
		json_object_begin(&j);
		json_key(&j, "column");
		json_string(&j, s->fields[tc].name);
		json_key(&j, "min_us");
		json_int(&j, t[tc].min_i);
		json_key(&j, "max_us");
		json_int(&j, t[tc].max_i);
		json_object_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "metadata");
	json_object_begin(&j);
	for (size_t i = 0; i < info->meta_count; i++) {
		json_key(&j, info->meta[i].key);
		json_string(&j, info->meta[i].value);
	}
	json_object_end(&j);
	json_key(&j, "columns");
	json_array_begin(&j);
	for (size_t i = 0; i < s->count; i++) {
		json_object_begin(&j);
		json_key(&j, "name");
		json_string(&j, s->fields[i].name);
		json_key(&j, "type");
		json_string(&j, vitals_type_name(s->fields[i].type));
		json_key(&j, "nullable");
		json_bool(&j, s->fields[i].nullable);
		json_key(&j, "physical");
		json_string(&j, info->fields[i].physical);
		json_key(&j, "logical");
		json_string(&j, info->fields[i].logical);
		json_key(&j, "encodings");
		json_string(&j, t[i].encodings);
		json_key(&j, "codec");
		json_string(&j, t[i].codec);
		json_size(&j, "compressed_bytes", t[i].sizes_known ? t[i].compressed : -1);
		json_size(&j, "uncompressed_bytes", t[i].sizes_known ? t[i].uncompressed : -1);
		json_size(&j, "null_count", t[i].nulls_known ? t[i].nulls : -1);
		json_key(&j, "min");
		json_string(&j, t[i].min);
		json_key(&j, "max");
		json_string(&j, t[i].max);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "row_groups");
	json_array_begin(&j);
	for (size_t g = 0; g < info->row_group_count; g++) {
		const struct vitals_row_group_info *rg = &info->row_groups[g];
		json_object_begin(&j);
		json_key(&j, "rows");
		json_int(&j, rg->rows);
		json_size(&j, "compressed_bytes", rg->compressed);
		json_size(&j, "uncompressed_bytes", rg->uncompressed);
		json_key(&j, "columns");
		json_array_begin(&j);
		for (size_t i = 0; i < s->count; i++) {
			const struct vitals_chunk_info *ci = &rg->columns[i];
			json_object_begin(&j);
			json_key(&j, "encodings");
			json_string(&j, ci->encodings);
			json_key(&j, "codec");
			json_string(&j, ci->codec);
			json_size(&j, "compressed_bytes", ci->compressed);
			json_size(&j, "uncompressed_bytes", ci->uncompressed);
			json_key(&j, "values");
			json_int(&j, ci->values);
			json_size(&j, "null_count", ci->null_count);
			json_key(&j, "min");
			json_string(&j, ci->min);
			json_key(&j, "max");
			json_string(&j, ci->max);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
	json_finish(&j);
	free(t);
}

int cmd_inspect(int argc, char **argv)
{
	struct vitals_file_info *info;
	char err[600];
	int opt, json = 0, row_groups = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", inspect_options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_ROW_GROUPS:
			row_groups = 1;
			break;
		default:
			return cli_bad_option("inspect", argv, optind, opt);
		}
	}
	if (optind >= argc)
		return cli_usage_error("inspect", "no FILE given");
	if (optind + 1 < argc)
		return cli_usage_error("inspect", "one FILE at a time ('%s' is extra)",
		                       argv[optind + 1]);
	if (vitals_format_from_path(argv[optind]) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error("inspect",
		                       "%s: unknown format (expected .parquet, .csv or .jsonl)",
		                       argv[optind]);
	if (vitals_file_describe(&info, argv[optind], err, sizeof(err)) < 0)
		return cli_error("inspect", "%s", err);
	if (json)
		print_json(info, argv[optind]);
	else
		print_text(info, argv[optind], row_groups);
	vitals_file_info_free(info);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
