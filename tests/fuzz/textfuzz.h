/*
 * What the CSV and JSON lines fuzz targets share. The first input byte
 * picks reading options (batch size, given types, a time range); the rest
 * is the file. The file is read whole through vitals_reader_open(), every
 * batch is checked against the invariants of table.h, and a file that
 * reads without error is written back in the same format and read again
 * with the types of the first read: every value must come back the same.
 */
#ifndef VITALS_TEXTFUZZ_H
#define VITALS_TEXTFUZZ_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vitals/store.h>
#include <vitals/table.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TF_INPUT_MAX (1 << 20)

static char tf_in_path[64], tf_out_path[64];

static void tf_cleanup(void)
{
	unlink(tf_in_path);
	unlink(tf_out_path);
}

/* Scratch files named with EXT, made once per process. */
static void tf_paths(const char *ext)
{
	if (tf_in_path[0])
		return;
	snprintf(tf_in_path, sizeof(tf_in_path), "/tmp/vitals-fuzz-%d-in%s", (int)getpid(), ext);
	snprintf(tf_out_path, sizeof(tf_out_path), "/tmp/vitals-fuzz-%d-out%s", (int)getpid(), ext);
	atexit(tf_cleanup);
}

static void tf_write_file(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		abort();
	if (size && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
}

/* The invariants every batch keeps (table.h). */
static void tf_check_batch(const struct vitals_batch *b, const struct vitals_schema *s,
                           size_t batch_rows)
{
	if (b->rows > batch_rows || b->schema.count != s->count)
		abort();
	for (size_t k = 0; k < s->count; k++) {
		const struct vitals_column *c = &b->cols[k];

		if (c->type != s->fields[k].type ||
		    (c->valid != NULL) != (s->fields[k].nullable != 0))
			abort();
		for (size_t i = 0; i < b->rows; i++) {
			if (c->valid && c->valid[i] > 1)
				abort();
			if (c->type == VITALS_TYPE_BOOL && c->v.b[i] > 1)
				abort();
		}
		if (c->type == VITALS_TYPE_STRING) {
			if (c->v.off[0] != 0 || c->v.off[b->rows] != c->data_len)
				abort();
			for (size_t i = 0; i < b->rows; i++)
				if (c->v.off[i] > c->v.off[i + 1] ||
				    (c->valid && !c->valid[i] && c->v.off[i] != c->v.off[i + 1]))
					abort();
		}
	}
}

/* Append every row of SRC to DST (same schema), row by row. 0 or a status. */
static int tf_append(struct vitals_batch *dst, const struct vitals_batch *src)
{
	for (size_t i = 0; i < src->rows; i++) {
		for (size_t k = 0; k < src->schema.count; k++) {
			const struct vitals_column *c = &src->cols[k];
			size_t len;
			int rc = 0;

			if (!vitals_batch_is_valid(src, k, i)) {
				rc = vitals_batch_set_null(dst, k);
			} else {
				switch (c->type) {
				case VITALS_TYPE_BOOL:
					rc = vitals_batch_set_bool(dst, k, c->v.b[i]);
					break;
				case VITALS_TYPE_INT32:
					rc = vitals_batch_set_i32(dst, k, c->v.i32[i]);
					break;
				case VITALS_TYPE_INT64:
				case VITALS_TYPE_TIMESTAMP:
					rc = vitals_batch_set_i64(dst, k, c->v.i64[i]);
					break;
				case VITALS_TYPE_DOUBLE:
					rc = vitals_batch_set_double(dst, k, c->v.f64[i]);
					break;
				case VITALS_TYPE_STRING:
					len = (size_t)(c->v.off[i + 1] - c->v.off[i]);
					rc = vitals_batch_set_string(
					    dst, k, len ? c->data + c->v.off[i] : "", len);
					break;
				}
			}
			if (rc != 0)
				return rc;
		}
		if (vitals_batch_end_row(dst) != 0)
			return -1;
	}
	return 0;
}

/* Read PATH whole into a new batch (NULL on a read error; aborts on a broken batch). */
static struct vitals_batch *tf_read(const char *path, const struct vitals_read_options *o)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	struct vitals_batch *all = NULL;
	const struct vitals_schema *s;
	char err[512];
	int rc;

	if (vitals_reader_open(&r, path, o, err, sizeof(err)) != 0) {
		if (!strstr(err, path))
			abort(); /* every message names the file */
		return NULL;
	}
	s = vitals_reader_schema(r);
	if (vitals_batch_new(&all, s) != 0)
		abort();
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		tf_check_batch(b, s, o->batch_rows);
		if (tf_append(all, b) != 0)
			abort();
	}
	if (rc < 0) {
		if (!strstr(vitals_reader_errmsg(r), path) || vitals_reader_next(r, &b) != rc)
			abort();
		vitals_batch_free(all);
		all = NULL;
	}
	vitals_reader_close(r);
	return all;
}

/* Bytes of the valid UTF-8 sequence at S (N left), 0 when it is not one. */
static size_t tf_utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* Whether S is S2 once every byte that is not UTF-8 in S is U+FFFD. */
static int tf_same_after_fffd(const char *s, size_t n, const char *s2, size_t n2)
{
	const unsigned char *p = (const unsigned char *)s, *q = (const unsigned char *)s2;
	size_t i = 0, j = 0;

	while (i < n) {
		size_t len = tf_utf8_len(p + i, n - i);

		if (len) {
			if (j + len > n2 || memcmp(p + i, q + j, len) != 0)
				return 0;
			i += len;
			j += len;
		} else {
			if (j + 3 > n2 || memcmp(q + j, "\xEF\xBF\xBD", 3) != 0)
				return 0;
			i++;
			j += 3;
		}
	}
	return j == n2;
}

static int tf_names_utf8(const struct vitals_schema *s)
{
	for (size_t k = 0; k < s->count; k++) {
		const unsigned char *p = (const unsigned char *)s->fields[k].name;
		size_t n = strlen(s->fields[k].name), len;

		for (size_t i = 0; i < n; i += len)
			if (!(len = tf_utf8_len(p + i, n - i)))
				return 0;
	}
	return 1;
}

/* Every value of A is in B; strings may have had their bytes that are not UTF-8 replaced. */
static void tf_compare(const struct vitals_batch *a, const struct vitals_batch *b, int fffd)
{
	if (a->rows != b->rows || !vitals_schema_equal(&a->schema, &b->schema))
		abort();
	for (size_t k = 0; k < a->schema.count; k++) {
		const struct vitals_column *x = &a->cols[k], *y = &b->cols[k];

		for (size_t i = 0; i < a->rows; i++) {
			size_t lx, ly;
			const char *sx, *sy;

			if (vitals_batch_is_valid(a, k, i) != vitals_batch_is_valid(b, k, i))
				abort();
			if (!vitals_batch_is_valid(a, k, i))
				continue;
			switch (x->type) {
			case VITALS_TYPE_BOOL:
				if (x->v.b[i] != y->v.b[i])
					abort();
				break;
			case VITALS_TYPE_INT32:
				if (x->v.i32[i] != y->v.i32[i])
					abort();
				break;
			case VITALS_TYPE_INT64:
			case VITALS_TYPE_TIMESTAMP:
				if (x->v.i64[i] != y->v.i64[i])
					abort();
				break;
			case VITALS_TYPE_DOUBLE:
				if (isnan(x->v.f64[i]) ? !isnan(y->v.f64[i])
				                       : memcmp(&x->v.f64[i], &y->v.f64[i], 8) != 0)
					abort();
				break;
			case VITALS_TYPE_STRING:
				lx = (size_t)(x->v.off[i + 1] - x->v.off[i]);
				ly = (size_t)(y->v.off[i + 1] - y->v.off[i]);
				sx = lx ? x->data + x->v.off[i] : "";
				sy = ly ? y->data + y->v.off[i] : "";
				if (fffd ? !tf_same_after_fffd(sx, lx, sy, ly)
				         : lx != ly || memcmp(sx, sy, lx) != 0)
					abort();
				break;
			}
		}
	}
}

static void tf_types(struct vitals_schema *s)
{
	vitals_schema_init(s);
	vitals_schema_add(s, "a", VITALS_TYPE_INT64, 1);
	vitals_schema_add(s, "b", VITALS_TYPE_TIMESTAMP, 0);
	vitals_schema_add(s, "c", VITALS_TYPE_DOUBLE, 1);
	vitals_schema_add(s, "d", VITALS_TYPE_BOOL, 1);
	vitals_schema_add(s, "e", VITALS_TYPE_INT32, 1);
	vitals_schema_add(s, "f", VITALS_TYPE_STRING, 0);
	vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 1);
}

/* The whole target for a format whose files end in EXT. */
static int tf_run(const char *ext, int fffd, const uint8_t *data, size_t size)
{
	static const size_t batch_rows[] = {1, 3, 1000, 65536};
	struct vitals_read_options o;
	struct vitals_schema types;
	struct vitals_batch *first, *second;
	struct vitals_writer *w;
	char err[512];
	uint8_t opt;

	if (size < 1 || size > TF_INPUT_MAX)
		return 0;
	tf_paths(ext);
	opt = data[0];
	tf_write_file(tf_in_path, data + 1, size - 1);
	tf_types(&types);
	vitals_read_options_init(&o);
	o.batch_rows = batch_rows[opt & 3];
	if (opt & 4)
		o.types = &types;
	if (opt & 8) { /* a time range: 2026-01-01 to 2027-01-01 */
		o.from = 1767225600000000LL;
		o.to = 1798761600000000LL;
	}
	first = tf_read(tf_in_path, &o);
	if (first && first->schema.count > 0 && (!fffd || tf_names_utf8(&first->schema))) {
		if (vitals_writer_open(&w, tf_out_path, &first->schema, NULL, err, sizeof(err)) !=
		    0)
			abort();
		if (vitals_writer_write(w, first) != 0 ||
		    vitals_writer_close(w, err, sizeof(err)) != 0)
			abort();
		vitals_read_options_init(&o);
		o.types = &first->schema;
		o.batch_rows = batch_rows[opt >> 4 & 3];
		second = tf_read(tf_out_path, &o);
		if (!second)
			abort();
		/* JSON lines without a row have no key, hence no column. */
		if (first->rows > 0 || !fffd)
			tf_compare(first, second, fffd);
		vitals_batch_free(second);
	}
	vitals_batch_free(first);
	vitals_schema_release(&types);
	return 0;
}

#endif
