/*
 * Fuzz what the dashboard parses from a client (src/serve/parse.h): the
 * first byte picks the parser, the rest is its input.
 *
 *   0: a JSON request body; what parses must be consistent (every node
 *      reachable, strings NUL-terminated at their length) and survive being
 *      written back through the capped JSON writer and parsed again;
 *   1: an event CSV; on success every event has a one-line text of at most
 *      CSV_TEXT_MAX bytes, on failure the message names a line;
 *   2: query parameters (int, real, time, bool), file names for tracing,
 *      static asset paths and their content types;
 *   3: the JSON writer on arbitrary strings: its output must parse back to
 *      the same bytes, with invalid UTF-8 replaced.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/jbuf.h"
#include "serve/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_nodes(const struct jv *v, int depth)
{
	size_t n = 1;

	if (depth > JV_DEPTH_MAX + 1)
		abort();
	if (v->type == JV_STRING && strlen(v->str) > v->len)
		abort();
	for (const struct jv *c = v->child; c; c = c->next)
		n += count_nodes(c, depth + 1);
	return n;
}

static void write_back(struct jbuf *j, const struct jv *v)
{
	switch (v->type) {
	case JV_NULL:
		jbuf_null(j);
		break;
	case JV_BOOL:
		jbuf_bool(j, v->b);
		break;
	case JV_NUMBER:
		jbuf_real(j, v->num);
		break;
	case JV_STRING:
		jbuf_stringn(j, v->str, v->len);
		break;
	case JV_ARRAY:
		jbuf_array_begin(j);
		for (const struct jv *c = v->child; c; c = c->next)
			write_back(j, c);
		jbuf_array_end(j);
		break;
	case JV_OBJECT:
		jbuf_object_begin(j);
		for (const struct jv *c = v->child; c; c = c->next) {
			jbuf_key(j, c->key);
			write_back(j, c);
		}
		jbuf_object_end(j);
		break;
	}
}

static void fuzz_json(const char *s, size_t n)
{
	struct jdoc d, d2;
	struct jbuf j;
	char err[256];

	if (jdoc_parse(&d, s, n, err, sizeof(err)) < 0) {
		if (strncmp(err, "at byte ", 8) != 0 && strcmp(err, "out of memory") != 0)
			abort();
		return;
	}
	if (count_nodes(d.root, 0) != d.count)
		abort();
	jbuf_init(&j, 1 << 22);
	write_back(&j, d.root);
	if (!j.failed && jdoc_parse(&d2, j.data, j.len, err, sizeof(err)) == 0) {
		if (d2.root->type != d.root->type)
			abort();
		jdoc_release(&d2);
	} else if (!j.failed) {
		/* Keys with a NUL byte are cut by the writer; anything else must read back. */
		int nul_key = 0;

		for (size_t i = 0; i < d.count; i++)
			if (d.nodes[i].key && memchr(s, 0, n))
				nul_key = 1;
		if (!nul_key)
			abort();
	}
	jbuf_release(&j);
	jdoc_release(&d);
}

static void fuzz_csv(const char *s, size_t n)
{
	struct csv_event *ev;
	size_t count, line;
	char err[512];

	if (csv_events_parse(s, n, &ev, &count, &line, err, sizeof(err)) < 0) {
		if (strncmp(err, "line ", 5) != 0 && strcmp(err, "out of memory") != 0)
			abort();
		if (line == 0)
			abort();
		return;
	}
	for (size_t i = 0; i < count; i++) {
		size_t l = strlen(ev[i].text);

		if (l == 0 || l > CSV_TEXT_MAX || strpbrk(ev[i].text, "\n\r\t"))
			abort();
	}
	csv_events_free(ev, count);
}

static void fuzz_params(const char *s, size_t n)
{
	char buf[512], err[256];
	int64_t i;
	double d;
	int b;

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (param_int(buf, -1000, 1000, &i) == 0 && (i < -1000 || i > 1000))
		abort();
	if (param_real(buf, 0.05, 3600, &d) == 0 && !(d >= 0.05 && d <= 3600))
		abort();
	param_time(buf, &i);
	param_bool(buf, &b);
	if (name_check(buf, n, err, sizeof(err)) == 0 &&
	    (strchr(buf, '/') || buf[0] == '.' || strlen(buf) != n || !name_is_trace(buf)))
		abort();
	if (asset_path_ok(buf) && (strstr(buf, "/.") || buf[0] == '.' || strchr(buf, '\\')))
		abort();
	if (!asset_content_type(buf))
		abort();
}

static void fuzz_writer(const char *s, size_t n)
{
	struct jbuf j;
	struct jdoc d;
	char err[256];

	jbuf_init(&j, 1 << 20);
	jbuf_array_begin(&j);
	jbuf_stringn(&j, s, n);
	jbuf_array_end(&j);
	if (j.failed) {
		jbuf_release(&j);
		return;
	}
	if (jdoc_parse(&d, j.data, j.len, err, sizeof(err)) < 0)
		abort();
	if (d.root->type != JV_ARRAY || !d.root->child || d.root->child->type != JV_STRING)
		abort();
	/* Valid UTF-8 without NULs comes back byte for byte. */
	if (d.root->child->len == n && memcmp(d.root->child->str, s, n) != 0)
		abort();
	jdoc_release(&d);
	jbuf_release(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data + 1;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] % 4) {
	case 0:
		fuzz_json(s, n);
		break;
	case 1:
		fuzz_csv(s, n);
		break;
	case 2:
		fuzz_params(s, n);
		break;
	default:
		fuzz_writer(s, n);
	}
	return 0;
}
