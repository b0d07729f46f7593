/*
 * Parsers of what a dashboard client sends: request bodies (JSON objects),
 * event CSVs, numbers and times of query parameters, and file names. They
 * take bytes from anywhere, so each has a cap on what it keeps, a message
 * naming what is wrong, and a fuzz target (tests/fuzz/fuzz_http.c).
 */
#ifndef VITALS_SERVE_PARSE_H
#define VITALS_SERVE_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* ---- JSON ---------------------------------------------------------------- */

enum jv_type { JV_NULL = 0, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

#define JV_DEPTH_MAX 16
#define JV_NODES_MAX 4096

/* One value of a parsed document. Children are linked through `next`. */
struct jv {
	enum jv_type type;
	const char *key;  /* in an object: the member's name (decoded, NUL-terminated) */
	const char *str;  /* JV_STRING: decoded UTF-8, NUL-terminated (may hold NULs: see len) */
	size_t len;       /* JV_STRING: bytes of str */
	double num;       /* JV_NUMBER */
	int b;            /* JV_BOOL */
	struct jv *child; /* JV_ARRAY, JV_OBJECT: the first element or member */
	struct jv *next;
};

struct jdoc {
	struct jv *root;
	struct jv *nodes; /* private */
	size_t count;
	char *strings; /* private */
	size_t strings_len;
};

/*
 * Parse N bytes of JSON (one value; whitespace around it) into DOC. At most
 * JV_NODES_MAX values and JV_DEPTH_MAX levels. 0, or VITALS_E_PARSE with
 * ERR saying where ("at byte 12: expected ':' after a key").
 */
int jdoc_parse(struct jdoc *doc, const char *s, size_t n, char *err, size_t errlen);
void jdoc_release(struct jdoc *doc);
/* Member KEY of object O, or NULL. */
const struct jv *jv_get(const struct jv *o, const char *key);

/* ---- event CSVs ---------------------------------------------------------- */

struct csv_event {
	int64_t at;
	char *text;
};

#define CSV_EVENTS_MAX 100000
#define CSV_TEXT_MAX   2048
#define CSV_FIELD_MAX  8192

/*
 * Parse a CSV of events: a header naming the columns `event` and
 * `timestamp` (any order, other columns ignored), then one event per line
 * (quoted fields as RFC 4180; CRLF or LF). Timestamps are RFC 3339 or
 * microseconds; texts are made one line (newlines and tabs become spaces)
 * and cut at CSV_TEXT_MAX bytes. All or nothing: on the first bad line,
 * *out is NULL, *line its number (1 is the header) and ERR says what is
 * wrong. 0, VITALS_E_PARSE or VITALS_E_NOMEM (past CSV_EVENTS_MAX: *line
 * set too).
 */
int csv_events_parse(const char *s, size_t n, struct csv_event **out, size_t *count, size_t *line,
                     char *err, size_t errlen);
void csv_events_free(struct csv_event *ev, size_t count);

/* ---- parameters ---------------------------------------------------------- */

/* A decimal integer in [MIN, MAX], whole string: 0 or VITALS_E_INVAL. */
int param_int(const char *s, int64_t min, int64_t max, int64_t *out);
/* A finite real in [MIN, MAX], whole string: 0 or VITALS_E_INVAL. */
int param_real(const char *s, double min, double max, double *out);
/* A time: microseconds since the epoch, or RFC 3339. 0 or VITALS_E_INVAL. */
int param_time(const char *s, int64_t *out);
/* "1", "true", "yes", "on" / "0", "false", "no", "off": 0 with *out set, or VITALS_E_INVAL. */
int param_bool(const char *s, int *out);

/*
 * Whether NAME is a plain file name for a new trace inside the data
 * directory: 1..200 bytes, no '/', no '\\', no NUL, no control
 * characters, not starting with '.', ending in .parquet, .pq, .csv,
 * .jsonl or .ndjson. 0, or VITALS_E_INVAL with ERR saying why.
 */
int name_check(const char *name, size_t len, char *err, size_t errlen);
/* Whether NAME (a directory entry) is a trace by its extension. */
int name_is_trace(const char *name);

/*
 * Whether PATH (a URL path, already %-decoded) names a file under the
 * assets directory: components of [A-Za-z0-9._-], none empty or starting
 * with '.', at most 16 of them and 1024 bytes. 1 or 0.
 */
int asset_path_ok(const char *path);
/* The Content-Type for a file name by its extension. */
const char *asset_content_type(const char *name);

#endif
