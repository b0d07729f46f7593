/* Parsers of what dashboard clients send (parse.h). */
#include "serve/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <vitals/common.h>
#include <vitals/store.h>

/* ---- JSON ---------------------------------------------------------------- */

struct jparser {
	const char *s;
	size_t n, pos;
	struct jdoc *doc;
	size_t cap;
	char *err;
	size_t errlen;
};

static int jp_fail(struct jparser *p, const char *what)
{
	snprintf(p->err, p->errlen, "at byte %zu: %s", p->pos, what);
	return VITALS_E_PARSE;
}

static void jp_ws(struct jparser *p)
{
	while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                         p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static struct jv *jp_node(struct jparser *p)
{
	struct jv *v;

	if (p->doc->count >= p->cap)
		return NULL;
	v = &p->doc->nodes[p->doc->count++];
	memset(v, 0, sizeof(*v));
	return v;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* A string at p->pos (its opening quote) into the string area. */
static int jp_string(struct jparser *p, const char **out, size_t *len)
{
	char *dst = p->doc->strings + p->doc->strings_len, *start = dst;

	p->pos++; /* the quote */
	for (;;) {
		unsigned char c;

		if (p->pos >= p->n)
			return jp_fail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20)
			return jp_fail(p, "control character in a string");
		if (c != '\\') {
			*dst++ = (char)c;
			continue;
		}
		if (p->pos >= p->n)
			return jp_fail(p, "unterminated string");
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*dst++ = (char)c;
			break;
		case 'b':
			*dst++ = '\b';
			break;
		case 'f':
			*dst++ = '\f';
			break;
		case 'n':
			*dst++ = '\n';
			break;
		case 'r':
			*dst++ = '\r';
			break;
		case 't':
			*dst++ = '\t';
			break;
		case 'u': {
			unsigned cp, lo;

			if (p->n - p->pos < 4 || hex4(p->s + p->pos, &cp) < 0)
				return jp_fail(p, "bad \\u escape");
			p->pos += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->n - p->pos < 6 || p->s[p->pos] != '\\' ||
				    p->s[p->pos + 1] != 'u' || hex4(p->s + p->pos + 2, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return jp_fail(p, "lone surrogate in a \\u escape");
				p->pos += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return jp_fail(p, "lone surrogate in a \\u escape");
			}
			if (cp < 0x80) {
				*dst++ = (char)cp;
			} else if (cp < 0x800) {
				*dst++ = (char)(0xc0 | (cp >> 6));
				*dst++ = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				*dst++ = (char)(0xe0 | (cp >> 12));
				*dst++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*dst++ = (char)(0x80 | (cp & 0x3f));
			} else {
				*dst++ = (char)(0xf0 | (cp >> 18));
				*dst++ = (char)(0x80 | ((cp >> 12) & 0x3f));
				*dst++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*dst++ = (char)(0x80 | (cp & 0x3f));
			}
			break;
		}
		default:
			return jp_fail(p, "bad escape in a string");
		}
	}
	*len = (size_t)(dst - start);
	*dst++ = '\0';
	p->doc->strings_len = (size_t)(dst - p->doc->strings);
	*out = start;
	return 0;
}

static int jp_value(struct jparser *p, struct jv **out, int depth);

static int jp_number(struct jparser *p, struct jv *v)
{
	size_t start = p->pos;
	char buf[64], *end;

	if (p->pos < p->n && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->n || !isdigit((unsigned char)p->s[p->pos]))
		return jp_fail(p, "bad number");
	if (p->s[p->pos] == '0' && p->pos + 1 < p->n && isdigit((unsigned char)p->s[p->pos + 1]))
		return jp_fail(p, "number with a leading zero");
	while (p->pos < p->n && isdigit((unsigned char)p->s[p->pos]))
		p->pos++;
	if (p->pos < p->n && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->n || !isdigit((unsigned char)p->s[p->pos]))
			return jp_fail(p, "bad number");
		while (p->pos < p->n && isdigit((unsigned char)p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->n || !isdigit((unsigned char)p->s[p->pos]))
			return jp_fail(p, "bad number");
		while (p->pos < p->n && isdigit((unsigned char)p->s[p->pos]))
			p->pos++;
	}
	if (p->pos - start >= sizeof(buf))
		return jp_fail(p, "number too long");
	memcpy(buf, p->s + start, p->pos - start);
	buf[p->pos - start] = '\0';
	v->type = JV_NUMBER;
	v->num = strtod(buf, &end);
	if (!isfinite(v->num))
		return jp_fail(p, "number out of range");
	return 0;
}

static int jp_word(struct jparser *p, const char *w)
{
	size_t l = strlen(w);

	if (p->n - p->pos < l || memcmp(p->s + p->pos, w, l) != 0)
		return jp_fail(p, "unexpected character");
	p->pos += l;
	return 0;
}

static int jp_container(struct jparser *p, struct jv *v, int depth)
{
	int object = p->s[p->pos] == '{';
	struct jv **tail = &v->child;

	v->type = object ? JV_OBJECT : JV_ARRAY;
	p->pos++;
	jp_ws(p);
	if (p->pos < p->n && p->s[p->pos] == (object ? '}' : ']')) {
		p->pos++;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t klen;
		struct jv *item;
		int rc;

		jp_ws(p);
		if (object) {
			if (p->pos >= p->n || p->s[p->pos] != '"')
				return jp_fail(p, "expected a key in quotes");
			rc = jp_string(p, &key, &klen);
			if (rc < 0)
				return rc;
			jp_ws(p);
			if (p->pos >= p->n || p->s[p->pos] != ':')
				return jp_fail(p, "expected ':' after a key");
			p->pos++;
		}
		rc = jp_value(p, &item, depth + 1);
		if (rc < 0)
			return rc;
		item->key = key;
		*tail = item;
		tail = &item->next;
		jp_ws(p);
		if (p->pos >= p->n)
			return jp_fail(p, object ? "unterminated object" : "unterminated array");
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == (object ? '}' : ']')) {
			p->pos++;
			return 0;
		}
		return jp_fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int jp_value(struct jparser *p, struct jv **out, int depth)
{
	struct jv *v;

	jp_ws(p);
	if (depth > JV_DEPTH_MAX)
		return jp_fail(p, "nested too deep");
	if (p->pos >= p->n)
		return jp_fail(p, "expected a value");
	v = jp_node(p);
	if (!v)
		return jp_fail(p, "too many values");
	*out = v;
	switch (p->s[p->pos]) {
	case '{':
	case '[':
		return jp_container(p, v, depth);
	case '"':
		v->type = JV_STRING;
		return jp_string(p, &v->str, &v->len);
	case 't':
		v->type = JV_BOOL;
		v->b = 1;
		return jp_word(p, "true");
	case 'f':
		v->type = JV_BOOL;
		return jp_word(p, "false");
	case 'n':
		v->type = JV_NULL;
		return jp_word(p, "null");
	default:
		return jp_number(p, v);
	}
}

int jdoc_parse(struct jdoc *doc, const char *s, size_t n, char *err, size_t errlen)
{
	struct jparser p = {s, n, 0, doc, 0, err, errlen};
	int rc;

	memset(doc, 0, sizeof(*doc));
	p.cap = n + 1 < JV_NODES_MAX ? n + 1 : JV_NODES_MAX;
	doc->nodes = calloc(p.cap, sizeof(*doc->nodes));
	doc->strings = malloc(n + 1);
	if (!doc->nodes || !doc->strings) {
		jdoc_release(doc);
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	rc = jp_value(&p, &doc->root, 0);
	if (rc == 0) {
		jp_ws(&p);
		if (p.pos != n)
			rc = jp_fail(&p, "unexpected bytes after the value");
	}
	if (rc < 0)
		jdoc_release(doc);
	return rc;
}

void jdoc_release(struct jdoc *doc)
{
	free(doc->nodes);
	free(doc->strings);
	memset(doc, 0, sizeof(*doc));
}

const struct jv *jv_get(const struct jv *o, const char *key)
{
	if (!o || o->type != JV_OBJECT)
		return NULL;
	for (const struct jv *c = o->child; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

/* ---- event CSVs ---------------------------------------------------------- */

/*
 * One field at *pos into BUF (CSV_FIELD_MAX bytes); *end_of_line set when
 * the line ends after it. 0, or -1 with ERR set.
 */
static int csv_field(const char *s, size_t n, size_t *pos, char *buf, size_t *len, int *eol,
                     size_t *line, char *err, size_t errlen)
{
	size_t i = *pos, l = 0;

	*eol = 0;
	if (i < n && s[i] == '"') {
		i++;
		for (;;) {
			if (i >= n) {
				snprintf(err, errlen, "a quoted field is not closed");
				return -1;
			}
			if (s[i] == '"') {
				if (i + 1 < n && s[i + 1] == '"') {
					if (l < CSV_FIELD_MAX)
						buf[l++] = '"';
					i += 2;
					continue;
				}
				i++;
				break;
			}
			if (s[i] == '\n')
				(*line)++;
			if (l < CSV_FIELD_MAX)
				buf[l++] = s[i];
			i++;
		}
		if (i < n && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
			snprintf(err, errlen, "text after a closing quote");
			return -1;
		}
	} else {
		while (i < n && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
			if (s[i] == '"') {
				snprintf(err, errlen, "a quote inside an unquoted field");
				return -1;
			}
			if (l < CSV_FIELD_MAX)
				buf[l++] = s[i];
			i++;
		}
	}
	if (i >= n) {
		*eol = 1;
	} else if (s[i] == ',') {
		i++;
	} else {
		if (s[i] == '\r')
			i++;
		if (i < n && s[i] == '\n')
			i++;
		*eol = 1;
	}
	buf[l] = '\0';
	*len = l;
	*pos = i;
	return 0;
}

void csv_events_free(struct csv_event *ev, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(ev[i].text);
	free(ev);
}

/* Trim spaces at both ends of BUF in place; the new length. */
static size_t trim(char *buf, size_t len)
{
	size_t a = 0;

	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	while (a < len && (buf[a] == ' ' || buf[a] == '\t'))
		a++;
	memmove(buf, buf + a, len - a);
	buf[len - a] = '\0';
	return len - a;
}

int csv_events_parse(const char *s, size_t n, struct csv_event **out, size_t *count, size_t *line,
                     char *err, size_t errlen)
{
	struct csv_event *ev = NULL;
	size_t nev = 0, cap = 0, pos = 0, col, len;
	long ecol = -1, tcol = -1;
	char *buf = malloc(CSV_FIELD_MAX + 1), *text = NULL;
	char stamp[128];
	int eol, rc = VITALS_E_PARSE, have_stamp;

	*out = NULL;
	*count = 0;
	*line = 1;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	/* A UTF-8 byte order mark before the header. */
	if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	/* The header. */
	col = 0;
	do {
		if (pos >= n && col == 0) {
			snprintf(err, errlen,
			         "line 1: empty: the header must name event and timestamp");
			goto out_fail;
		}
		if (csv_field(s, n, &pos, buf, &len, &eol, line, err, errlen) < 0)
			goto out_fail_line;
		len = trim(buf, len);
		if (strcasecmp(buf, "event") == 0 && ecol < 0)
			ecol = (long)col;
		else if (strcasecmp(buf, "timestamp") == 0 && tcol < 0)
			tcol = (long)col;
		col++;
	} while (!eol && col < 1024);
	if (ecol < 0 || tcol < 0) {
		snprintf(err, errlen,
		         "line 1: the header must name the columns event and timestamp");
		goto out_fail;
	}
	while (pos < n) {
		size_t this_line, after;

		(*line)++;
		this_line = *line;
		/* A blank line is skipped. */
		if (s[pos] == '\n' || (s[pos] == '\r' && pos + 1 < n && s[pos + 1] == '\n')) {
			pos += s[pos] == '\r' ? 2 : 1;
			continue;
		}
		if (nev >= CSV_EVENTS_MAX) {
			snprintf(err, errlen, "line %zu: more than %d events; nothing was imported",
			         this_line, CSV_EVENTS_MAX);
			rc = VITALS_E_NOMEM;
			goto out_fail;
		}
		have_stamp = 0;
		free(text);
		text = NULL;
		col = 0;
		do {
			if (csv_field(s, n, &pos, buf, &len, &eol, line, err, errlen) < 0) {
				*line = this_line;
				goto out_fail_line;
			}
			if ((long)col == tcol) {
				len = trim(buf, len);
				if (len >= sizeof(stamp)) {
					snprintf(
					    err, errlen,
					    "line %zu: timestamp is too long; nothing was imported",
					    this_line);
					*line = this_line;
					goto out_fail;
				}
				memcpy(stamp, buf, len + 1);
				have_stamp = len > 0;
			} else if ((long)col == ecol) {
				len = trim(buf, len);
				text = strndup(buf, len > CSV_TEXT_MAX ? CSV_TEXT_MAX : len);
				if (!text) {
					snprintf(err, errlen, "out of memory");
					rc = VITALS_E_NOMEM;
					goto out_fail;
				}
			}
			col++;
		} while (!eol);
		after = *line;
		*line = this_line;
		if (!have_stamp) {
			snprintf(err, errlen, "line %zu: no timestamp; nothing was imported",
			         this_line);
			goto out_fail;
		}
		if (!text || !text[0]) {
			snprintf(err, errlen, "line %zu: no event text; nothing was imported",
			         this_line);
			goto out_fail;
		}
		if (nev == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *q = realloc(ev, ncap * sizeof(*ev));

			if (!q) {
				snprintf(err, errlen, "out of memory");
				rc = VITALS_E_NOMEM;
				goto out_fail;
			}
			ev = q;
			cap = ncap;
		}
		if (param_time(stamp, &ev[nev].at) < 0) {
			snprintf(err, errlen,
			         "line %zu: timestamp '%.64s' is not RFC 3339 (such as "
			         "2026-11-22T10:00:00Z) or microseconds; nothing was imported",
			         this_line, stamp);
			goto out_fail;
		}
		for (char *p = text; *p; p++)
			if (*p == '\n' || *p == '\r' || *p == '\t')
				*p = ' ';
		ev[nev++].text = text;
		text = NULL;
		*line = after;
	}
	free(buf);
	*out = ev;
	*count = nev;
	return 0;
out_fail_line : {
	char detail[256];

	snprintf(detail, sizeof(detail), "%s", err);
	snprintf(err, errlen, "line %zu: %s; nothing was imported", *line, detail);
}
out_fail:
	free(text);
	free(buf);
	csv_events_free(ev, nev);
	return rc;
}

/* ---- parameters ---------------------------------------------------------- */

int param_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return VITALS_E_INVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return VITALS_E_INVAL;
	*out = v;
	return 0;
}

int param_real(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return VITALS_E_INVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return VITALS_E_INVAL;
	*out = v;
	return 0;
}

int param_time(const char *s, int64_t *out)
{
	if (!s || !*s || strlen(s) > 64)
		return VITALS_E_INVAL;
	return vitals_time_parse(s, out) < 0 ? VITALS_E_INVAL : 0;
}

int param_bool(const char *s, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};

	if (!s)
		return VITALS_E_INVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return VITALS_E_INVAL;
}

int name_is_trace(const char *name)
{
	static const char *const ext[] = {".parquet", ".pq", ".csv", ".jsonl", ".ndjson"};
	size_t l = strlen(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);

		if (l > e && strcasecmp(name + l - e, ext[i]) == 0)
			return 1;
	}
	return 0;
}

int name_check(const char *name, size_t len, char *err, size_t errlen)
{
	if (len == 0) {
		snprintf(err, errlen, "the name is empty");
		return VITALS_E_INVAL;
	}
	if (len > 200) {
		snprintf(err, errlen, "the name is longer than 200 bytes");
		return VITALS_E_INVAL;
	}
	if (strlen(name) != len) {
		snprintf(err, errlen, "the name holds a NUL byte");
		return VITALS_E_INVAL;
	}
	if (name[0] == '.') {
		snprintf(err, errlen, "'%s' starts with '.': a plain file name is needed", name);
		return VITALS_E_INVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '/' || c == '\\') {
			snprintf(err, errlen,
			         "'%s' is not a plain file name: no directories, the file goes "
			         "in the data directory",
			         name);
			return VITALS_E_INVAL;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(err, errlen, "the name holds a control character");
			return VITALS_E_INVAL;
		}
	}
	if (!name_is_trace(name)) {
		snprintf(err, errlen, "'%s' does not end in .parquet, .pq, .csv, .jsonl or .ndjson",
		         name);
		return VITALS_E_INVAL;
	}
	return 0;
}

int asset_path_ok(const char *path)
{
	size_t comps = 0, l = strlen(path);
	const char *p = path;

	if (l == 0 || l > 1024)
		return 0;
	while (*p) {
		const char *start;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		if (*p == '.')
			return 0;
		while (*p && *p != '/') {
			unsigned char c = (unsigned char)*p;

			if (!(isalnum(c) || c == '.' || c == '_' || c == '-'))
				return 0;
			p++;
		}
		if (p == start || ++comps > 16)
			return 0;
	}
	return comps > 0;
}

const char *asset_content_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
	    {".html", "text/html; charset=utf-8"},
	    {".htm", "text/html; charset=utf-8"},
	    {".js", "text/javascript; charset=utf-8"},
	    {".mjs", "text/javascript; charset=utf-8"},
	    {".css", "text/css; charset=utf-8"},
	    {".json", "application/json; charset=utf-8"},
	    {".map", "application/json; charset=utf-8"},
	    {".svg", "image/svg+xml"},
	    {".png", "image/png"},
	    {".ico", "image/x-icon"},
	    {".woff2", "font/woff2"},
	    {".woff", "font/woff"},
	    {".txt", "text/plain; charset=utf-8"},
	    {".wasm", "application/wasm"},
	};
	size_t l = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (l >= e && strcasecmp(name + l - e, types[i].ext) == 0)
			return types[i].type;
	}
	return "application/octet-stream";
}
