/* The capped JSON writer of the dashboard (jbuf.h). */
#include "serve/jbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jbuf_init(struct jbuf *j, size_t max)
{
	memset(j, 0, sizeof(*j));
	j->max = max;
	j->first[0] = 1;
}

void jbuf_release(struct jbuf *j)
{
	free(j->data);
	j->data = NULL;
	j->len = j->cap = 0;
}

void jbuf_clear(struct jbuf *j)
{
	size_t max = j->max, cap = j->cap;
	char *data = j->data;

	jbuf_init(j, max);
	j->data = data;
	j->cap = cap;
}

char *jbuf_take(struct jbuf *j, size_t *len)
{
	char *d = j->failed ? NULL : j->data;

	if (j->failed)
		free(j->data);
	else if (!d)
		d = calloc(1, 1);
	if (len)
		*len = d ? j->len : 0;
	j->data = NULL;
	j->len = j->cap = 0;
	return d;
}

/* Room for N more bytes and a NUL; 0, or -1 (and failed) past the cap. */
static int jbuf_reserve(struct jbuf *j, size_t n)
{
	size_t want, cap;
	char *p;

	if (j->failed)
		return -1;
	if (n + 1 <= j->cap - j->len && j->data)
		return 0;
	if (n > j->max || j->len + n + 1 > j->max) {
		j->failed = 1;
		return -1;
	}
	want = j->len + n + 1;
	cap = j->cap ? j->cap : 256;
	while (cap < want)
		cap *= 2;
	if (cap > j->max)
		cap = j->max;
	p = realloc(j->data, cap);
	if (!p) {
		j->failed = 1;
		return -1;
	}
	j->data = p;
	j->cap = cap;
	return 0;
}

void jbuf_append(struct jbuf *j, const char *s, size_t len)
{
	if (jbuf_reserve(j, len) < 0)
		return;
	memcpy(j->data + j->len, s, len);
	j->len += len;
	j->data[j->len] = '\0';
}

void jbuf_printf(struct jbuf *j, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		j->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		jbuf_append(j, small, (size_t)n);
		return;
	}
	if (jbuf_reserve(j, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(j->data + j->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	j->len += (size_t)n;
}

/* The comma before a value or key, when one is due. */
static void jbuf_sep(struct jbuf *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		jbuf_append(j, ",", 1);
	j->first[j->depth] = 0;
}

static void jbuf_open(struct jbuf *j, char c)
{
	jbuf_sep(j);
	if (j->depth >= JBUF_DEPTH_MAX) {
		j->failed = 1;
		return;
	}
	jbuf_append(j, &c, 1);
	j->depth++;
	j->first[j->depth] = 1;
}

static void jbuf_close(struct jbuf *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	jbuf_append(j, &c, 1);
}

void jbuf_object_begin(struct jbuf *j)
{
	jbuf_open(j, '{');
}

void jbuf_object_end(struct jbuf *j)
{
	jbuf_close(j, '}');
}

void jbuf_array_begin(struct jbuf *j)
{
	jbuf_open(j, '[');
}

void jbuf_array_end(struct jbuf *j)
{
	jbuf_close(j, ']');
}

/* Length of the valid UTF-8 sequence at S (of at most N bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void jbuf_escaped(struct jbuf *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	jbuf_append(j, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		size_t l;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			run++;
			i++;
			continue;
		}
		if (run)
			jbuf_append(j, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			char e[2] = {'\\', (char)c};

			jbuf_append(j, e, 2);
			i++;
		} else if (c < 0x20) {
			char e[8];

			switch (c) {
			case '\n':
				jbuf_append(j, "\\n", 2);
				break;
			case '\t':
				jbuf_append(j, "\\t", 2);
				break;
			case '\r':
				jbuf_append(j, "\\r", 2);
				break;
			default:
				snprintf(e, sizeof(e), "\\u%04x", c);
				jbuf_append(j, e, 6);
			}
			i++;
		} else if ((l = utf8_len(p + i, n - i)) > 0) {
			jbuf_append(j, s + i, l);
			i += l;
		} else {
			jbuf_append(j, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	if (run)
		jbuf_append(j, s + n - run, run);
	jbuf_append(j, "\"", 1);
}

void jbuf_key(struct jbuf *j, const char *key)
{
	jbuf_sep(j);
	jbuf_escaped(j, key, strlen(key));
	jbuf_append(j, ":", 1);
	j->after_key = 1;
}

void jbuf_stringn(struct jbuf *j, const char *s, size_t len)
{
	jbuf_sep(j);
	jbuf_escaped(j, s, len);
}

void jbuf_string(struct jbuf *j, const char *s)
{
	if (!s) {
		jbuf_null(j);
		return;
	}
	jbuf_stringn(j, s, strlen(s));
}

void jbuf_int(struct jbuf *j, int64_t v)
{
	char b[24], *p = b + sizeof(b);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	jbuf_sep(j);
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jbuf_append(j, p, (size_t)(b + sizeof(b) - p));
}

void jbuf_real(struct jbuf *j, double v)
{
	char b[40];

	if (!isfinite(v)) {
		jbuf_null(j);
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0 && !(v == 0 && signbit(v))) {
		jbuf_int(j, (int64_t)v);
		return;
	}
	jbuf_sep(j);
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(b, sizeof(b), "%.*g", prec, v);
		if (prec == 17 || strtod(b, NULL) == v)
			break;
	}
	jbuf_append(j, b, strlen(b));
}

void jbuf_bool(struct jbuf *j, int v)
{
	jbuf_sep(j);
	jbuf_append(j, v ? "true" : "false", v ? 4 : 5);
}

void jbuf_null(struct jbuf *j)
{
	jbuf_sep(j);
	jbuf_append(j, "null", 4);
}

void jbuf_raw(struct jbuf *j, const char *s, size_t len)
{
	jbuf_sep(j);
	jbuf_append(j, s, len);
}
