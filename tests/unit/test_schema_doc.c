/*
 * docs/schema.md against the metric tables: every column and attribute of
 * every kind is documented in that kind's section with its type and unit,
 * and the sections document nothing the tables do not have. Renaming a
 * metric without updating the documentation fails here.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/vitals.h>

static char *doc;

static int doc_load(void **state)
{
	char path[4096];
	const char *fixtures = getenv("VITALS_FIXTURES");
	FILE *f;
	long len;

	(void)state;
	if (!fixtures)
		fixtures = "tests/fixtures";
	snprintf(path, sizeof(path), "%s/../../docs/schema.md", fixtures);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	doc = malloc((size_t)len + 1);
	if (!doc || fread(doc, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		return -1;
	}
	doc[len] = '\0';
	fclose(f);
	return 0;
}

static int doc_free(void **state)
{
	(void)state;
	free(doc);
	return 0;
}

/*
 * The section of KIND: from its heading "### `KIND`" to the next heading.
 * *len receives its length; NULL when there is no such heading.
 */
static const char *section(const char *kind, size_t *len)
{
	char heading[64];
	const char *p = doc, *end;

	snprintf(heading, sizeof(heading), "### `%s`\n", kind);
	while ((p = strstr(p, heading)) && p != doc && p[-1] != '\n')
		p++;
	if (!p)
		return NULL;
	p += strlen(heading);
	for (end = p; *end; end++)
		if (*end == '#' && end[-1] == '\n')
			break;
	*len = (size_t)(end - p);
	return p;
}

/*
 * The table row documenting NAME in the section: the text after
 * "| `NAME` |" up to the end of its line, into ROW. 0 when found.
 */
static int row_find(const char *sec, size_t len, const char *name, char *row, size_t rowlen)
{
	char start[128];
	size_t n = (size_t)snprintf(start, sizeof(start), "| `%s` |", name);

	for (const char *p = sec; p < sec + len; p = strchr(p, '\n') + 1) {
		size_t linelen = strcspn(p, "\n");

		if (linelen >= n && strncmp(p, start, n) == 0) {
			snprintf(row, rowlen, "%.*s", (int)(linelen - n), p + n);
			return 0;
		}
		if (!p[linelen])
			break;
	}
	return -1;
}

/* Cell I (0-based) of ROW ("| a | b |" after the first cell), trimmed. */
static void row_cell(const char *row, int i, char *out, size_t outlen)
{
	const char *p = row;
	size_t n;

	for (; i > 0 && p; i--) {
		p = strchr(p, '|');
		if (p)
			p++;
	}
	if (!p) {
		snprintf(out, outlen, "?");
		return;
	}
	while (*p == ' ')
		p++;
	n = strcspn(p, "|");
	while (n > 0 && p[n - 1] == ' ')
		n--;
	snprintf(out, outlen, "%.*s", (int)n, p);
}

static void test_every_metric_documented(void **state)
{
	int missing = 0;

	(void)state;
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		const char *kind = vitals_kind_name((enum vitals_kind)k);
		size_t n, na, len;
		const struct vitals_metric *m = vitals_metric_list((enum vitals_kind)k, &n);
		const char *const *attrs = vitals_attr_list((enum vitals_kind)k, &na);
		const char *sec = section(kind, &len);
		char row[1024], type[32], unit[64];

		if (!sec) {
			fprintf(stderr, "docs/schema.md: no section \"### `%s`\"\n", kind);
			missing++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			const char *want = m[i].type == VITALS_METRIC_INT ? "int" : "real";

			if (row_find(sec, len, m[i].name, row, sizeof(row)) != 0) {
				fprintf(stderr, "docs/schema.md: %s: no row for `%s`\n", kind,
				        m[i].name);
				missing++;
				continue;
			}
			row_cell(row, 0, type, sizeof(type));
			row_cell(row, 1, unit, sizeof(unit));
			if (strcmp(type, want) != 0 || strcmp(unit, m[i].unit) != 0) {
				fprintf(stderr,
				        "docs/schema.md: %s: `%s` is %s in %s, the table says %s "
				        "in %s\n",
				        kind, m[i].name, type, unit, want, m[i].unit);
				missing++;
			}
		}
		for (size_t i = 0; i < na; i++) {
			if (row_find(sec, len, attrs[i], row, sizeof(row)) != 0) {
				fprintf(stderr, "docs/schema.md: %s: no row for attribute `%s`\n",
				        kind, attrs[i]);
				missing++;
			}
		}
	}
	assert_int_equal(missing, 0);
}

/* A name documented in a kind's table must exist there: no stale columns. */
static void test_nothing_stale_documented(void **state)
{
	int stale = 0;

	(void)state;
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		const char *kind = vitals_kind_name((enum vitals_kind)k);
		size_t len, na;
		const char *sec = section(kind, &len);
		const char *const *attrs = vitals_attr_list((enum vitals_kind)k, &na);

		if (!sec)
			continue;
		for (const char *p = sec; p < sec + len; p = strchr(p, '\n') + 1) {
			char name[128];
			int known;

			if (strncmp(p, "| `", 3) == 0) {
				size_t n = strcspn(p + 3, "`\n");

				snprintf(name, sizeof(name), "%.*s", (int)n, p + 3);
				known = vitals_metric_find((enum vitals_kind)k, name) >= 0;
				for (size_t i = 0; i < na && !known; i++)
					known = strcmp(attrs[i], name) == 0;
				if (!known) {
					fprintf(stderr,
					        "docs/schema.md: %s: `%s` is not a column\n", kind,
					        name);
					stale++;
				}
			}
			if (!strchr(p, '\n'))
				break;
		}
	}
	assert_int_equal(stale, 0);
}

/* The section lookup itself: a test that cannot fail would be a defect. */
static void test_section_lookup(void **state)
{
	size_t len;
	char row[256];
	const char *sec = section("process", &len);

	(void)state;
	assert_non_null(sec);
	assert_int_equal(row_find(sec, len, "rss_bytes", row, sizeof(row)), 0);
	assert_int_not_equal(row_find(sec, len, "no_such_metric", row, sizeof(row)), 0);
	/* rss_bytes is a process column, not a disk one */
	sec = section("disk", &len);
	assert_non_null(sec);
	assert_int_not_equal(row_find(sec, len, "rss_bytes", row, sizeof(row)), 0);
	assert_null(section("no-such-kind", &len));
}

/* The data model and the snapshot JSON shape are documented. */
static void test_model_documented(void **state)
{
	static const char *const needed[] = {
	    "`time`",        "`kind`",
	    "`id`",          "`name`",
	    "null, never 0", "UTC microseconds",
	    "`start_time`",  "\"vitals_version\"",
	    "\"time_us\"",   "\"interval_seconds\"",
	    "\"host\"",      "\"sources\"",
	    "\"boot_id\"",   "\"boot_time_us\"",
	    "\"process\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (!strstr(doc, needed[i]))
			fprintf(stderr, "docs/schema.md: %s is not mentioned\n", needed[i]);
		assert_non_null(strstr(doc, needed[i]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_metric_documented),
	    cmocka_unit_test(test_nothing_stale_documented),
	    cmocka_unit_test(test_section_lookup),
	    cmocka_unit_test(test_model_documented),
	};

	return cmocka_run_group_tests(tests, doc_load, doc_free);
}
