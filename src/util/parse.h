/*
 * Parsing numbers out of kernel text. Every function takes a cursor, skips
 * leading blanks, refuses overflow and leaves the cursor after what it read.
 * They return 0 on success and -1 when the text does not hold a number
 * there (the cursor is then unchanged).
 */
#ifndef VITALS_UTIL_PARSE_H
#define VITALS_UTIL_PARSE_H

#include <stddef.h>
#include <stdint.h>

int parse_u64(const char **p, uint64_t *out);
int parse_i64(const char **p, int64_t *out);
/* A decimal number with an optional fraction ("12.34"); no exponent, no inf/nan. */
int parse_decimal(const char **p, double *out);

/* Skip blanks (spaces and tabs). */
const char *skip_blanks(const char *p);
/* Skip blanks, then one field of non-blank, non-newline characters. */
const char *skip_field(const char *p);
/* The start of the next line, or the terminating NUL. */
const char *next_line(const char *p);

/*
 * In BUF, the value after a line starting with KEY (e.g. "MemTotal:"), or
 * NULL. KEY must match a whole line prefix.
 */
const char *find_key(const char *buf, const char *key);

/* Copy at most CAP-1 bytes of SRC (LEN bytes) into DST, NUL-terminated; returns DST. */
char *copy_bounded(char *dst, size_t cap, const char *src, size_t len);

#endif
