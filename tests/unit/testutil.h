/*
 * Helpers for unit tests: scratch fixture trees and fixture lookup.
 * Include after <cmocka.h>'s prerequisites.
 */
#ifndef VITALS_TESTUTIL_H
#define VITALS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* A new empty directory under $TMPDIR; the caller frees the string and calls tu_rmrf(). */
char *tu_tmpdir(void);
/* Write CONTENT to ROOT/REL, creating parent directories. Fails the test on error. */
void tu_write(const char *root, const char *rel, const char *content);
/* printf-style tu_write. */
void tu_writef(const char *root, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* mkdir -p ROOT/REL. */
void tu_mkdir(const char *root, const char *rel);
/* rm -rf ROOT. */
void tu_rmrf(const char *root);
/*
 * A scratch directory for a group of tests: tu_dir_setup() makes it (in
 * tu_dir), tu_dir_teardown() removes it; cmocka setup and teardown.
 */
extern char *tu_dir;
/*
 * Run this process ahead of the machine's other work when allowed (root):
 * SCHED_FIFO (inherited by threads it starts), else nice -10, so that tests
 * of timing measure the code, not the load of a shared CI machine. What it
 * got ("SCHED_FIFO", "nice -10" or "normal priority"), for the log.
 */
const char *tu_prefer_cpu(void);
int tu_dir_setup(void **state);
int tu_dir_teardown(void **state);
/* The whole file PATH, NUL-terminated (the caller frees it); *LEN its bytes when LEN is not NULL.
 */
char *tu_slurp(const char *path, size_t *len);
/* $VITALS_FIXTURES/NAME (static buffer, valid until the next call). */
const char *tu_fixture(const char *name);

#endif
