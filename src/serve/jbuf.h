/*
 * A JSON writer into a capped memory buffer, for the dashboard's answers.
 *
 * Every call appends to the buffer; the first one that would grow it past
 * its cap (or fails to allocate) marks the buffer failed and every later
 * call does nothing, so a handler writes its whole answer and checks once
 * at the end:
 *
 *     struct jbuf j;
 *
 *     jbuf_init(&j, 1 << 20);
 *     jbuf_object_begin(&j);
 *     jbuf_key(&j, "ok");
 *     jbuf_bool(&j, 1);
 *     jbuf_object_end(&j);
 *     if (j.failed)
 *             ...answer 500...
 *     jbuf_release(&j);
 *
 * Strings are escaped; invalid UTF-8 becomes U+FFFD; non-finite reals are
 * written as null. Commas are placed by the writer.
 */
#ifndef VITALS_SERVE_JBUF_H
#define VITALS_SERVE_JBUF_H

#include <stddef.h>
#include <stdint.h>

#define JBUF_DEPTH_MAX 32

struct jbuf {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* the cap: the buffer never grows past it */
	int failed; /* a write did not fit or an allocation failed */
	int depth;
	uint8_t first[JBUF_DEPTH_MAX + 1]; /* nothing written yet at this depth */
	int after_key;
};

void jbuf_init(struct jbuf *j, size_t max);
void jbuf_release(struct jbuf *j);
/* Drop what was written, keeping the memory. */
void jbuf_clear(struct jbuf *j);
/* Take the bytes (NUL-terminated, or NULL when failed); the buffer is left empty. */
char *jbuf_take(struct jbuf *j, size_t *len);

void jbuf_object_begin(struct jbuf *j);
void jbuf_object_end(struct jbuf *j);
void jbuf_array_begin(struct jbuf *j);
void jbuf_array_end(struct jbuf *j);
void jbuf_key(struct jbuf *j, const char *key);
/* A string, or null when S is NULL. */
void jbuf_string(struct jbuf *j, const char *s);
/* LEN bytes of S (any bytes), as a string. */
void jbuf_stringn(struct jbuf *j, const char *s, size_t len);
void jbuf_int(struct jbuf *j, int64_t v);
/* The shortest form that reads back exactly; null when not finite. */
void jbuf_real(struct jbuf *j, double v);
void jbuf_bool(struct jbuf *j, int v);
void jbuf_null(struct jbuf *j);
/* Raw bytes already in JSON form (a value), e.g. a stored fields object. */
void jbuf_raw(struct jbuf *j, const char *s, size_t len);
/* Append bytes with no JSON structure at all (for SSE framing). */
void jbuf_append(struct jbuf *j, const char *s, size_t len);
void jbuf_printf(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
