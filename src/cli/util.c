/*
 * Helpers shared by the subcommands: errors, numbers from the command line,
 * human units, terminal text, tables and JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vitals/common.h>
#include <vitals/store.h>

#include "cli/cli.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vitals %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'vitals %s --help'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_check_dir(const char *cmd, const char *opt, const char *dir)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return cli_usage_error(cmd, "%s: cannot open '%s': %s", opt, dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cli_usage_error(cmd, "%s: '%s' is not a directory", opt, dir);
	return 0;
}

int cli_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vitals %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_EXIT_FAILURE;
}

int cli_parse_int(const char *cmd, const char *what, const char *arg, long long min, long long max,
                  long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (end == arg || *end != '\0' || *arg == ' ' || *arg == '\t') {
		/* "1.5" for a count is a number, just not a whole one */
		if (cli_is_number(arg))
			return cli_usage_error(cmd, "%s: '%s' is not a whole number", what, arg);
		return cli_usage_error(cmd, "%s: '%s' is not a number", what, arg);
	}
	if (errno == ERANGE || v < min || v > max)
		return cli_usage_error(cmd, "%s: '%s' is out of range (%lld to %lld)", what, arg,
		                       min, max);
	*out = v;
	return 0;
}

int cli_parse_real(const char *cmd, const char *what, const char *arg, double min, double max,
                   double *out)
{
	double v;

	if (!cli_is_number(arg))
		return cli_usage_error(cmd, "%s: '%s' is not a number", what, arg);
	v = strtod(arg, NULL);
	if (!(v >= min && v <= max))
		return cli_usage_error(cmd, "%s: '%s' is out of range (%g to %g)", what, arg, min,
		                       max);
	*out = v;
	return 0;
}

int cli_is_number(const char *arg)
{
	const char *p = arg;
	int digits = 0;

	/* plain decimal notation only: no hex, no "inf", no "nan", no spaces */
	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	if (digits && (*p == 'e' || *p == 'E')) {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return 0;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return digits > 0 && *p == '\0';
}

int cli_bad_option(const char *cmd, char **argv, int optind_now, int code)
{
	const char *arg = optind_now > 0 ? argv[optind_now - 1] : "";
	size_t len = strcspn(arg, "=");

	if (code == ':')
		return cli_usage_error(cmd, "option '%.*s' needs a value", (int)len, arg);
	if (arg[0] == '-' && arg[1] != '-' && optopt)
		return cli_usage_error(cmd, "unknown option '-%c'", optopt);
	return cli_usage_error(cmd, "unknown option '%.*s'", (int)len, arg);
}

/* ---- human units -------------------------------------------------------- */

const char *cli_fmt_bytes(char *buf, size_t len, double bytes)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	size_t u = 0;

	if (!isfinite(bytes)) {
		snprintf(buf, len, "-");
		return buf;
	}
	while (fabs(bytes) >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		bytes /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f B", bytes);
	else if (fabs(bytes) < 99.95)
		snprintf(buf, len, "%.1f %s", bytes, units[u]);
	else
		snprintf(buf, len, "%.0f %s", bytes, units[u]);
	return buf;
}

const char *cli_fmt_percent(char *buf, size_t len, double percent)
{
	if (!isfinite(percent))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", percent);
	return buf;
}

const char *cli_fmt_count(char *buf, size_t len, double count)
{
	if (!isfinite(count))
		snprintf(buf, len, "-");
	else if (fabs(count) < 99.95)
		snprintf(buf, len, "%.1f", count);
	else if (fabs(count) < 9999.5)
		snprintf(buf, len, "%.0f", count);
	else if (fabs(count) < 999950)
		snprintf(buf, len, "%.1fk", count / 1e3);
	else if (fabs(count) < 999950000)
		snprintf(buf, len, "%.1fM", count / 1e6);
	else
		snprintf(buf, len, "%.1fG", count / 1e9);
	return buf;
}

const char *cli_fmt_duration(char *buf, size_t len, double seconds)
{
	long long s;

	if (!isfinite(seconds) || seconds < 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	s = (long long)seconds;
	if (s >= 86400)
		snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", s / 86400, s / 3600 % 24,
		         s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	return buf;
}

const char *cli_fmt_time_utc(char *buf, size_t len, int64_t us)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	struct tm tm;
	char day[40];

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (!gmtime_r(&secs, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s.%06ldZ", day, frac);
	return buf;
}

/* ---- terminal text ------------------------------------------------------ */

size_t cli_term_width(int fd)
{
	struct winsize ws;

	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

int cli_utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
}

/*
 * Length of the well-formed UTF-8 sequence at S (1 to 4), or 0 when the
 * bytes there are not one (overlong forms, surrogates and code points
 * above U+10FFFF are refused, as RFC 3629 says).
 */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

size_t cli_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0;

	while (*p) {
		size_t n = utf8_seq(p);

		p += n ? n : 1;
		w++;
	}
	return w;
}

char *cli_text_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "-");
	size_t len = strlen((const char *)p);
	char *copy = malloc(len + 1), *w = copy;

	if (!copy)
		return NULL;
	while (*p) {
		size_t n = utf8_seq(p);

		if (n == 1 && (*p < 0x20 || *p == 0x7f)) {
			*w++ = '?';
			p++;
		} else if (n == 0) {
			*w++ = '?';
			p++;
		} else {
			memcpy(w, p, n);
			w += n;
			p += n;
		}
	}
	*w = '\0';
	return copy;
}

void cli_print_cut(FILE *out, const char *s, size_t width)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p && width > 0) {
		size_t n = utf8_seq(p);

		if (n == 0)
			n = 1;
		fwrite(p, 1, n, out);
		p += n;
		width--;
	}
}

/* ---- tables ------------------------------------------------------------- */

/* A table holds at most this many rows; more is a bug in the caller. */
#define TABLE_ROWS_MAX (1u << 22)

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *heads, const char *align)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < CLI_TABLE_COLS_MAX ? ncols : CLI_TABLE_COLS_MAX;
	t->heads = heads;
	t->align = align;
}

int cli_table_add(struct cli_table *t, const char *const *row)
{
	char **cells;

	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 32;

		if (ncap > TABLE_ROWS_MAX)
			return VITALS_E_NOMEM;
		cells = realloc(t->cells, ncap * t->ncols * sizeof(*cells));
		if (!cells)
			return VITALS_E_NOMEM;
		t->cells = cells;
		t->cap = ncap;
	}
	cells = t->cells + t->nrows * t->ncols;
	for (size_t i = 0; i < t->ncols; i++) {
		cells[i] = cli_text_clean(row[i]);
		if (!cells[i]) {
			while (i-- > 0)
				free(cells[i]);
			return VITALS_E_NOMEM;
		}
	}
	t->nrows++;
	return VITALS_OK;
}

/* Write S at column *COL, stopping at WIDTH (0: no limit). */
static void put_text(FILE *out, const char *s, size_t *col, size_t width)
{
	size_t w = cli_text_width(s);

	if (width && *col + w > width) {
		cli_print_cut(out, s, *col < width ? width - *col : 0);
		*col = width;
		return;
	}
	fputs(s, out);
	*col += w;
}

static void put_spaces(FILE *out, size_t n, size_t *col, size_t width)
{
	while (n-- > 0 && (!width || *col < width)) {
		fputc(' ', out);
		(*col)++;
	}
}

static void table_line(const struct cli_table *t, FILE *out, const char *const *cells,
                       const size_t *widths, size_t width)
{
	size_t col = 0;

	for (size_t i = 0; i < t->ncols; i++) {
		size_t w = cli_text_width(cells[i]);

		if (i > 0)
			put_spaces(out, 2, &col, width);
		if (t->align[i] == 'r')
			put_spaces(out, widths[i] - w, &col, width);
		put_text(out, cells[i], &col, width);
		if (t->align[i] != 'r' && i + 1 < t->ncols)
			put_spaces(out, widths[i] - w, &col, width);
	}
	fputc('\n', out);
}

void cli_table_print(const struct cli_table *t, FILE *out, size_t width)
{
	size_t widths[CLI_TABLE_COLS_MAX] = {0};

	for (size_t i = 0; i < t->ncols; i++) {
		widths[i] = cli_text_width(t->heads[i]);
		for (size_t r = 0; r < t->nrows; r++) {
			size_t w = cli_text_width(t->cells[r * t->ncols + i]);

			if (w > widths[i])
				widths[i] = w;
		}
	}
	table_line(t, out, t->heads, widths, width);
	for (size_t r = 0; r < t->nrows; r++)
		table_line(t, out, (const char *const *)t->cells + r * t->ncols, widths, width);
}

void cli_table_release(struct cli_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = t->cap = 0;
}

/* ---- JSON --------------------------------------------------------------- */

void json_init(struct json_writer *w, FILE *out, int inline_depth)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->inline_depth = inline_depth;
	w->first = 1;
}

static void json_newline(struct json_writer *w, int depth)
{
	fputc('\n', w->out);
	for (int i = 0; i < depth; i++)
		fputs("  ", w->out);
}

/* Separator and indentation before a value or a key. */
static void json_before(struct json_writer *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->first)
		fputc(',', w->out);
	if (w->depth <= w->inline_depth)
		json_newline(w, w->depth);
	else if (!w->first)
		fputc(' ', w->out);
	w->first = 0;
}

static void json_open(struct json_writer *w, char c)
{
	json_before(w);
	fputc(c, w->out);
	w->depth++;
	w->first = 1;
}

static void json_close(struct json_writer *w, char c)
{
	w->depth--;
	if (!w->first && w->depth < w->inline_depth)
		json_newline(w, w->depth);
	fputc(c, w->out);
	w->first = 0; /* the parent now holds this container */
}

void json_object_begin(struct json_writer *w)
{
	json_open(w, '{');
}

void json_object_end(struct json_writer *w)
{
	json_close(w, '}');
}

void json_array_begin(struct json_writer *w)
{
	json_open(w, '[');
}

void json_array_end(struct json_writer *w)
{
	json_close(w, ']');
}

void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n = utf8_seq(p);

		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\b':
			fputs("\\b", out);
			break;
		case '\f':
			fputs("\\f", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
		p++;
	}
	fputc('"', out);
}

void json_key(struct json_writer *w, const char *key)
{
	json_before(w);
	json_write_string(w->out, key);
	fputs(": ", w->out);
	w->after_key = 1;
}

void json_string(struct json_writer *w, const char *s)
{
	json_before(w);
	if (s)
		json_write_string(w->out, s);
	else
		fputs("null", w->out);
}

void json_int(struct json_writer *w, int64_t v)
{
	json_before(w);
	fprintf(w->out, "%lld", (long long)v);
}

void json_real(struct json_writer *w, double v)
{
	char buf[40];

	json_before(w);
	if (!isfinite(v)) {
		fputs("null", w->out);
		return;
	}
	/*
	 * The fewest digits that read back as the same double: 15 digits are
	 * always exact for a number that has a shorter form (%g drops the
	 * trailing zeros), 17 always read back.
	 */
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, w->out);
}

void json_bool(struct json_writer *w, int v)
{
	json_before(w);
	fputs(v ? "true" : "false", w->out);
}

void json_null(struct json_writer *w)
{
	json_before(w);
	fputs("null", w->out);
}

void json_finish(struct json_writer *w)
{
	fputc('\n', w->out);
}

void cli_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int cli_parse_time(const char *cmd, const char *what, const char *arg, int64_t *us)
{
	if (vitals_time_parse(arg, us) < 0)
		return cli_usage_error(cmd,
		                       "%s: '%s' is not a time (use RFC 3339, e.g. "
		                       "2026-11-22T10:00:00Z, or microseconds since the epoch)",
		                       what, arg);
	return 0;
}

int cli_write_file(const char *cmd, const char *path,
                   int (*write)(void *ctx, FILE *f, char *err, size_t errlen), void *ctx)
{
	char tmp[PATH_MAX], err[512];
	FILE *f;
	int status;

	if (strcmp(path, "-") == 0) {
		status = write(ctx, stdout, err, sizeof(err));
		return status ? cli_error(cmd, "%s", err) : 0;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= sizeof(tmp))
		return cli_usage_error(cmd, "%s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return cli_error(cmd, "%s: cannot create: %s", path, strerror(errno));
	status = write(ctx, f, err, sizeof(err));
	if (fclose(f) != 0 && !status) {
		snprintf(err, sizeof(err), "cannot write: %s", strerror(errno));
		status = -1;
	}
	if (!status && rename(tmp, path) != 0) {
		snprintf(err, sizeof(err), "cannot rename into place: %s", strerror(errno));
		status = -1;
	}
	if (status) {
		unlink(tmp);
		return cli_error(cmd, "%s: %s", path, err);
	}
	return 0;
}
