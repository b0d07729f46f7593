/*
 * The Parquet writer on its own: the file layout read back through the
 * footer and page headers (magic, offsets, sizes, page counts), the
 * encoding chosen per column (RLE_DICTIONARY for few distinct values,
 * PLAIN past the dictionary size limit, DELTA_BINARY_PACKED for
 * timestamps and counters), exact statistics for the awkward values
 * (NaN, -0.0, byte order of strings, long strings), the schema and
 * footer fields, memory bounded by one row group, and write errors.
 */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vitals/store.h>

#include "store/codec.h"
#include "store/internal.h"
#include "store/pqmeta.h"

/* ---- helpers ---------------------------------------------------------------- */

struct pqfile {
	uint8_t *buf;
	size_t len;
	struct pq_file_meta meta;
};

static void pqfile_load(struct pqfile *f, const char *path)
{
	char err[256];
	uint32_t flen;
	FILE *fp;
	long n;

	memset(f, 0, sizeof(*f));
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 12);
	rewind(fp);
	f->len = (size_t)n;
	f->buf = malloc(f->len);
	assert_non_null(f->buf);
	assert_int_equal(fread(f->buf, 1, f->len, fp), f->len);
	fclose(fp);
	assert_memory_equal(f->buf, "PAR1", 4);
	assert_memory_equal(f->buf + f->len - 4, "PAR1", 4);
	flen = le32_get(f->buf + f->len - 8);
	assert_true(flen <= f->len - 12);
	if (pq_meta_decode(&f->meta, f->buf + f->len - 8 - flen, flen, err, sizeof(err)) != 0)
		fail_msg("%s: %s", path, err);
}

static void pqfile_release(struct pqfile *f)
{
	pq_meta_release(&f->meta);
	free(f->buf);
}

/* What the pages of one column chunk hold. */
struct chunk_pages {
	int dict_pages;
	int data_pages;
	int64_t values;        /* num_values over the data pages */
	int32_t data_encoding; /* of the last data page */
	int mixed;             /* data pages with different encodings */
	int32_t dict_values;
};

/*
 * Walk the pages of a column chunk from its first page to exactly its
 * total_compressed_size, checking offsets and sizes against the metadata.
 */
static void walk_chunk(const struct pqfile *f, const struct pq_column_meta *m,
                       struct chunk_pages *out)
{
	int64_t start =
	    m->has_dictionary_page_offset ? m->dictionary_page_offset : m->data_page_offset;
	int64_t pos = start, end = start + m->total_compressed_size, uncompressed = 0;
	char err[256];

	memset(out, 0, sizeof(*out));
	assert_true(start >= 4);
	assert_true(end <= (int64_t)f->len - 8);
	while (pos < end) {
		struct pq_page_header h;
		size_t used;

		if (pq_page_header_decode(&h, f->buf + pos, (size_t)(end - pos), &used, err,
		                          sizeof(err)) != 0)
			fail_msg("page at %lld: %s", (long long)pos, err);
		if (h.type == PQ_PAGE_DICTIONARY) {
			assert_int_equal(out->data_pages, 0);
			assert_int_equal(pos, m->dictionary_page_offset);
			assert_int_equal(h.dict_encoding, PQ_ENC_PLAIN);
			out->dict_pages++;
			out->dict_values = h.dict_num_values;
		} else {
			assert_int_equal(h.type, PQ_PAGE_DATA);
			if (out->data_pages == 0)
				assert_int_equal(pos, m->data_page_offset);
			else if (h.encoding != out->data_encoding)
				out->mixed = 1;
			assert_int_equal(h.def_level_encoding, PQ_ENC_RLE);
			assert_int_equal(h.rep_level_encoding, PQ_ENC_RLE);
			out->data_pages++;
			out->values += h.num_values;
			out->data_encoding = h.encoding;
		}
		assert_true(h.compressed_size >= 0 && h.uncompressed_size >= 0);
		if (m->codec == VITALS_CODEC_NONE)
			assert_int_equal(h.compressed_size, h.uncompressed_size);
		uncompressed += (int64_t)used + h.uncompressed_size;
		pos += (int64_t)used + h.compressed_size;
	}
	assert_int_equal(pos, end);
	assert_int_equal(uncompressed, m->total_uncompressed_size);
	assert_int_equal(out->values, m->num_values);
}

static int has_encoding(const struct pq_column_meta *m, int32_t e)
{
	for (uint32_t i = 0; i < m->encoding_count; i++)
		if (m->encodings[i] == e)
			return 1;
	return 0;
}

static const struct pq_column_meta *chunk(const struct pqfile *f, uint32_t rg, uint32_t col)
{
	assert_true(rg < f->meta.row_group_count);
	assert_true(col < f->meta.row_groups[rg].column_count);
	assert_true(f->meta.row_groups[rg].columns[col].has_meta);
	return &f->meta.row_groups[rg].columns[col].meta;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static char *tmp_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("asprintf");
	return p;
}

static void write_file(const char *path, const struct vitals_batch *b,
                       const struct vitals_write_options *o)
{
	struct vitals_writer *w;
	char err[512];

	if (vitals_writer_open(&w, path, &b->schema, o, err, sizeof(err)) != 0)
		fail_msg("open %s: %s", path, err);
	if (vitals_writer_write(w, b) != 0)
		fail_msg("write %s: %s", path, vitals_writer_errmsg(w));
	if (vitals_writer_close(w, err, sizeof(err)) != 0)
		fail_msg("close %s: %s", path, err);
}

/* ---- encodings --------------------------------------------------------------- */

enum { C_KIND, C_WIDE, C_TIME, C_COUNTER, C_RANDOM, C_SMALL, C_VAL, C_FLAG, C_COUNT };

static struct vitals_batch *encodings_batch(size_t rows)
{
	struct vitals_schema s;
	struct vitals_batch *b;
	static const char *const kinds[] = {"process", "disk", "net", "system"};
	uint64_t seed = 42;
	int64_t counter = 0;
	char wide[128];

	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "kind", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "wide", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "counter", VITALS_TYPE_INT64, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "random", VITALS_TYPE_INT64, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "small", VITALS_TYPE_INT32, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "val", VITALS_TYPE_DOUBLE, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "flag", VITALS_TYPE_BOOL, 0), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_schema_release(&s);
	for (size_t i = 0; i < rows; i++) {
		uint64_t r = rng_next(&seed);
		double v;

		assert_int_equal(
		    vitals_batch_set_string(b, C_KIND, kinds[i % 4], strlen(kinds[i % 4])), 0);
		/* 1000 distinct values of 100 bytes: few, but a 100 KB dictionary. */
		snprintf(wide, sizeof(wide), "%0100zu", (size_t)(r % 1000));
		assert_int_equal(vitals_batch_set_string(b, C_WIDE, wide, 100), 0);
		assert_int_equal(vitals_batch_set_i64(b, C_TIME,
		                                      1767225600000000 + (int64_t)i * 1000000 +
		                                          (int64_t)(r % 1000)),
		                 0);
		/* A byte counter growing by irregular steps, with gaps. */
		counter += (int64_t)(r % 5000);
		if (i % 10 == 3)
			assert_int_equal(vitals_batch_set_null(b, C_COUNTER), 0);
		else
			assert_int_equal(vitals_batch_set_i64(b, C_COUNTER, counter), 0);
		assert_int_equal(vitals_batch_set_i64(b, C_RANDOM, (int64_t)rng_next(&seed)), 0);
		assert_int_equal(vitals_batch_set_i32(b, C_SMALL, (int32_t)(r % 10) - 5), 0);
		memcpy(&v, &(uint64_t){rng_next(&seed) >> 12 | 0x3ff0000000000000ull}, 8);
		assert_int_equal(vitals_batch_set_double(b, C_VAL, v), 0);
		assert_int_equal(vitals_batch_set_bool(b, C_FLAG, (int)(r >> 40) & 1), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	return b;
}

static void test_encodings_chosen(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "enc.parquet");
	struct vitals_batch *b = encodings_batch(20000);
	struct vitals_write_options o;
	struct chunk_pages pg;
	struct pqfile f;

	(void)state;
	vitals_write_options_init(&o);
	o.dictionary_bytes = 16384;
	write_file(path, b, &o);
	pqfile_load(&f, path);
	assert_int_equal(f.meta.row_group_count, 1);

	/* Few strings: a dictionary page, then RLE_DICTIONARY pages. */
	walk_chunk(&f, chunk(&f, 0, C_KIND), &pg);
	assert_int_equal(pg.dict_pages, 1);
	assert_int_equal(pg.dict_values, 4);
	assert_int_equal(pg.data_encoding, PQ_ENC_RLE_DICTIONARY);
	assert_true(has_encoding(chunk(&f, 0, C_KIND), PQ_ENC_RLE_DICTIONARY));
	assert_true(has_encoding(chunk(&f, 0, C_KIND), PQ_ENC_PLAIN));
	assert_true(has_encoding(chunk(&f, 0, C_KIND), PQ_ENC_RLE));
	/* 1000 values of 100 bytes are over the 16 KB dictionary limit: PLAIN. */
	walk_chunk(&f, chunk(&f, 0, C_WIDE), &pg);
	assert_int_equal(pg.dict_pages, 0);
	assert_int_equal(pg.data_encoding, PQ_ENC_PLAIN);
	assert_false(chunk(&f, 0, C_WIDE)->has_dictionary_page_offset);
	assert_false(has_encoding(chunk(&f, 0, C_WIDE), PQ_ENC_RLE_DICTIONARY));
	/* Increasing timestamps and counters: DELTA_BINARY_PACKED. */
	walk_chunk(&f, chunk(&f, 0, C_TIME), &pg);
	assert_int_equal(pg.dict_pages, 0);
	assert_int_equal(pg.data_encoding, PQ_ENC_DELTA_BINARY_PACKED);
	assert_true(has_encoding(chunk(&f, 0, C_TIME), PQ_ENC_DELTA_BINARY_PACKED));
	walk_chunk(&f, chunk(&f, 0, C_COUNTER), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_DELTA_BINARY_PACKED);
	/* Random 64-bit values: deltas do not pay. */
	walk_chunk(&f, chunk(&f, 0, C_RANDOM), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_PLAIN);
	/* Ten distinct ints: dictionary. */
	walk_chunk(&f, chunk(&f, 0, C_SMALL), &pg);
	assert_int_equal(pg.dict_pages, 1);
	assert_int_equal(pg.dict_values, 10);
	assert_int_equal(pg.data_encoding, PQ_ENC_RLE_DICTIONARY);
	/* Distinct doubles, booleans: PLAIN. */
	walk_chunk(&f, chunk(&f, 0, C_VAL), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_PLAIN);
	walk_chunk(&f, chunk(&f, 0, C_FLAG), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_PLAIN);
	pqfile_release(&f);

	/* Dictionaries off: no dictionary page anywhere. */
	o.dictionary = 0;
	write_file(path, b, &o);
	pqfile_load(&f, path);
	for (uint32_t c = 0; c < C_COUNT; c++) {
		walk_chunk(&f, chunk(&f, 0, c), &pg);
		assert_int_equal(pg.dict_pages, 0);
		assert_int_not_equal(pg.data_encoding, PQ_ENC_RLE_DICTIONARY);
	}
	walk_chunk(&f, chunk(&f, 0, C_KIND), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_PLAIN);
	pqfile_release(&f);

	/* Without compression deltas still win for time, and sizes agree. */
	o.dictionary = 1;
	o.codec = VITALS_CODEC_NONE;
	write_file(path, b, &o);
	pqfile_load(&f, path);
	walk_chunk(&f, chunk(&f, 0, C_TIME), &pg);
	assert_int_equal(pg.data_encoding, PQ_ENC_DELTA_BINARY_PACKED);
	assert_int_equal(chunk(&f, 0, C_TIME)->codec, VITALS_CODEC_NONE);
	assert_int_equal(chunk(&f, 0, C_TIME)->total_compressed_size,
	                 chunk(&f, 0, C_TIME)->total_uncompressed_size);
	pqfile_release(&f);

	vitals_batch_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

/* Pages of about page_bytes: many small pages, each chunk still exactly walked. */
static void test_pages_split(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "pages.parquet");
	struct vitals_batch *b = encodings_batch(5000);
	struct vitals_write_options o;
	struct chunk_pages pg;
	struct pqfile f;

	(void)state;
	vitals_write_options_init(&o);
	o.page_bytes = 4096;
	o.dictionary_bytes = 16384;
	o.row_group_rows = 2000;
	write_file(path, b, &o);
	pqfile_load(&f, path);
	assert_int_equal(f.meta.row_group_count, 3);
	for (uint32_t rg = 0; rg < 3; rg++) {
		assert_int_equal(f.meta.row_groups[rg].num_rows, rg < 2 ? 2000 : 1000);
		for (uint32_t c = 0; c < C_COUNT; c++) {
			walk_chunk(&f, chunk(&f, rg, c), &pg);
			assert_int_equal(pg.values, rg < 2 ? 2000 : 1000);
			assert_false(pg.mixed);
		}
		/* 100-byte strings in 4 KB pages, 8-byte values in 4 KB pages. */
		walk_chunk(&f, chunk(&f, rg, C_WIDE), &pg);
		assert_true(pg.data_pages >= 20);
		walk_chunk(&f, chunk(&f, rg, C_VAL), &pg);
		assert_int_equal(pg.data_pages, rg < 2 ? 4 : 2); /* 512 values a page */
	}
	pqfile_release(&f);
	vitals_batch_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

/* ---- schema and footer ------------------------------------------------------- */

static void test_schema_footer(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "schema.parquet");
	struct vitals_write_options o;
	struct vitals_kv kv[] = {{"host", "box1"}, {"timezone", "Europe/Paris"}, {"empty", ""}};
	struct vitals_schema s;
	struct vitals_batch *b;
	struct pqfile f;
	const struct pq_schema_element *e;
	char want[64];

	(void)state;
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "b", VITALS_TYPE_BOOL, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "i", VITALS_TYPE_INT32, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "l", VITALS_TYPE_INT64, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "d", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "s", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "t", VITALS_TYPE_TIMESTAMP, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	vitals_write_options_init(&o);
	o.meta = kv;
	o.meta_count = 3;
	/* No rows: a valid file with the schema and no row group. */
	write_file(path, b, &o);
	pqfile_load(&f, path);
	assert_int_equal(f.len, 4 + le32_get(f.buf + f.len - 8) + 8);
	assert_int_equal(f.meta.version, 1);
	assert_int_equal(f.meta.num_rows, 0);
	assert_int_equal(f.meta.row_group_count, 0);
	assert_int_equal(f.meta.schema_count, 7);
	e = f.meta.schema;
	assert_string_equal(e[0].name, "schema");
	assert_int_equal(e[0].num_children, 6);
	assert_false(e[0].has_type);
	assert_int_equal(e[1].type, PQ_BOOLEAN);
	assert_int_equal(e[1].repetition, PQ_REQUIRED);
	assert_int_equal(e[2].type, PQ_INT32);
	assert_int_equal(e[2].repetition, PQ_OPTIONAL);
	assert_int_equal(e[3].type, PQ_INT64);
	assert_false(e[3].has_converted);
	assert_int_equal(e[3].logical.kind, PQ_LT_NONE);
	assert_int_equal(e[4].type, PQ_DOUBLE);
	assert_int_equal(e[5].type, PQ_BYTE_ARRAY);
	assert_true(e[5].has_converted);
	assert_int_equal(e[5].converted, PQ_CT_UTF8);
	assert_int_equal(e[5].logical.kind, PQ_LT_STRING);
	assert_int_equal(e[6].type, PQ_INT64);
	assert_int_equal(e[6].repetition, PQ_OPTIONAL);
	assert_int_equal(e[6].converted, PQ_CT_TIMESTAMP_MICROS);
	assert_int_equal(e[6].logical.kind, PQ_LT_TIMESTAMP);
	assert_int_equal(e[6].logical.unit, PQ_UNIT_MICROS);
	assert_true(e[6].logical.utc);
	for (uint32_t i = 1; i < 7; i++) {
		assert_string_equal(e[i].name, s.fields[i - 1].name);
		assert_int_equal(e[i].num_children, 0);
	}
	snprintf(want, sizeof(want), "vitals version %s", vitals_version());
	assert_non_null(f.meta.created_by);
	assert_string_equal(f.meta.created_by, want);
	assert_int_equal(f.meta.column_order_count, 6);
	for (uint32_t i = 0; i < 6; i++)
		assert_int_equal(f.meta.column_orders[i], 1);
	assert_int_equal(f.meta.kv_count, 3);
	for (uint32_t i = 0; i < 3; i++) {
		assert_string_equal(f.meta.kv[i].key, kv[i].key);
		assert_string_equal(f.meta.kv[i].value, kv[i].value);
	}
	pqfile_release(&f);

	/* Two rows: one row group whose sizes add up and whose offsets are in order. */
	for (int r = 0; r < 2; r++) {
		assert_int_equal(vitals_batch_set_bool(b, 0, r), 0);
		assert_int_equal(vitals_batch_set_i64(b, 2, r), 0);
		assert_int_equal(vitals_batch_set_string(b, 4, "x", 1), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	write_file(path, b, &o);
	pqfile_load(&f, path);
	e = f.meta.schema;
	assert_int_equal(f.meta.num_rows, 2);
	assert_int_equal(f.meta.row_group_count, 1);
	{
		const struct pq_row_group *rg = &f.meta.row_groups[0];
		int64_t comp = 0, uncomp = 0, prev_end = 4;

		assert_int_equal(rg->num_rows, 2);
		assert_true(rg->has_file_offset);
		assert_int_equal(rg->file_offset, 4);
		assert_true(rg->has_ordinal);
		assert_int_equal(rg->ordinal, 0);
		for (uint32_t c = 0; c < 6; c++) {
			const struct pq_column_meta *m = chunk(&f, 0, c);
			int64_t start = m->has_dictionary_page_offset ? m->dictionary_page_offset
			                                              : m->data_page_offset;
			struct chunk_pages pg;

			assert_int_equal(start, prev_end);
			assert_int_equal(rg->columns[c].file_offset, start);
			assert_int_equal(m->type, e[c + 1].type);
			assert_int_equal(m->path_count, 1);
			assert_string_equal(m->path[0], s.fields[c].name);
			assert_int_equal(m->codec, VITALS_CODEC_ZSTD);
			assert_int_equal(m->num_values, 2);
			walk_chunk(&f, m, &pg);
			prev_end = start + m->total_compressed_size;
			comp += m->total_compressed_size;
			uncomp += m->total_uncompressed_size;
		}
		assert_int_equal(prev_end, (int64_t)f.len - 8 - le32_get(f.buf + f.len - 8));
		assert_true(rg->has_total_compressed_size);
		assert_int_equal(rg->total_compressed_size, comp);
		assert_int_equal(rg->total_byte_size, uncomp);
		/* The all-null columns: null_count 2 and no min/max. */
		assert_int_equal(chunk(&f, 0, 1)->stats.null_count, 2);
		assert_false(chunk(&f, 0, 1)->stats.has_min_value);
		assert_false(chunk(&f, 0, 1)->stats.has_max_value);
		assert_int_equal(chunk(&f, 0, 5)->stats.null_count, 2);
	}
	pqfile_release(&f);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

/* ---- statistics -------------------------------------------------------------- */

static void assert_stat(const struct pq_statistics *st, const void *mn, const void *mx, size_t len,
                        int deprecated)
{
	assert_true(st->has_min_value && st->has_max_value);
	assert_int_equal(st->min_value_len, len);
	assert_int_equal(st->max_value_len, len);
	assert_memory_equal(st->min_value, mn, len);
	assert_memory_equal(st->max_value, mx, len);
	assert_int_equal(st->has_min, deprecated);
	assert_int_equal(st->has_max, deprecated);
	if (deprecated) {
		assert_int_equal(st->min_len, len);
		assert_memory_equal(st->min, mn, len);
		assert_memory_equal(st->max, mx, len);
	}
}

static void doubles_file(const char *path, const double *v, size_t n, int dictionary,
                         struct pqfile *f)
{
	struct vitals_write_options o;
	struct vitals_schema s;
	struct vitals_batch *b;

	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "d", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(vitals_batch_set_double(b, 0, v[i]), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
	}
	assert_int_equal(vitals_batch_set_null(b, 0), 0);
	assert_int_equal(vitals_batch_end_row(b), 0);
	vitals_write_options_init(&o);
	o.dictionary = dictionary;
	write_file(path, b, &o);
	pqfile_load(f, path);
	vitals_batch_free(b);
	vitals_schema_release(&s);
}

static void test_stats_doubles(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "d.parquet");
	const double nz = -0.0, pz = 0.0, pinf = INFINITY, ninf = -INFINITY;
	struct pqfile f;

	(void)state;
	for (int dict = 0; dict < 2; dict++) {
		/* NaN is left out; a zero min is -0.0 and a zero max +0.0, whichever was written.
		 */
		const double a[] = {NAN, 0.0, 1.5, -0.0, NAN, 0.25};
		const double b[] = {-3.0, -0.0, 0.0, -1.0};
		const double c[] = {NAN, -NAN, NAN};
		const double d[] = {pinf, NAN, pinf};
		const double e[] = {ninf, 5.0, pinf, -1e308};
		const double onem = -0.0;
		double one = 1.5, m3 = -3.0, five = 5.0;

		doubles_file(path, a, 6, dict, &f);
		assert_int_equal(chunk(&f, 0, 0)->stats.null_count, 1);
		assert_stat(&chunk(&f, 0, 0)->stats, &nz, &one, 8, 1);
		pqfile_release(&f);
		doubles_file(path, b, 4, dict, &f);
		assert_stat(&chunk(&f, 0, 0)->stats, &m3, &pz, 8, 1);
		pqfile_release(&f);
		/* Only NaN and null: no min/max, but the null count. */
		doubles_file(path, c, 3, dict, &f);
		assert_int_equal(chunk(&f, 0, 0)->stats.null_count, 1);
		assert_true(chunk(&f, 0, 0)->stats.has_null_count);
		assert_false(chunk(&f, 0, 0)->stats.has_min_value);
		assert_false(chunk(&f, 0, 0)->stats.has_max_value);
		assert_false(chunk(&f, 0, 0)->stats.has_min);
		pqfile_release(&f);
		doubles_file(path, d, 3, dict, &f);
		assert_stat(&chunk(&f, 0, 0)->stats, &pinf, &pinf, 8, 1);
		pqfile_release(&f);
		doubles_file(path, e, 4, dict, &f);
		assert_stat(&chunk(&f, 0, 0)->stats, &ninf, &pinf, 8, 1);
		pqfile_release(&f);
		doubles_file(path, &onem, 1, dict, &f);
		assert_stat(&chunk(&f, 0, 0)->stats, &nz, &pz, 8, 1);
		pqfile_release(&f);
		doubles_file(path, &five, 1, dict, &f);
		assert_stat(&chunk(&f, 0, 0)->stats, &five, &five, 8, 1);
		pqfile_release(&f);
	}
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void test_stats_ints_strings_bools(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "s.parquet");
	struct vitals_write_options o;
	struct vitals_schema s;
	struct vitals_batch *b;
	struct pqfile f;
	char *big = malloc(2000);

	(void)state;
	assert_non_null(big);
	memset(big, 'z', 2000);
	vitals_schema_init(&s);
	assert_int_equal(vitals_schema_add(&s, "i", VITALS_TYPE_INT32, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "l", VITALS_TYPE_INT64, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "t", VITALS_TYPE_TIMESTAMP, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "s", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "b", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(&s, "long", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(&s, "btrue", VITALS_TYPE_BOOL, 0), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	{
		/* Unsigned byte order: "\xff" sorts after "zz", "" before everything. */
		static const char *const strs[] = {"b",  "\xff", "",
		                                   "zz", "ab",   "\xc3\xa9t\xc3\xa9"};
		static const int32_t i32[] = {5, INT32_MIN, -1, INT32_MAX, 0, 7};
		static const int64_t i64[] = {0, INT64_MIN, INT64_MAX, -5, 5, 1};

		for (size_t r = 0; r < 6; r++) {
			if (r == 2)
				assert_int_equal(vitals_batch_set_null(b, 0), 0);
			else
				assert_int_equal(vitals_batch_set_i32(b, 0, i32[r]), 0);
			assert_int_equal(vitals_batch_set_i64(b, 1, i64[r]), 0);
			if (r != 1)
				assert_int_equal(
				    vitals_batch_set_i64(b, 2, 1000 * (int64_t)r - 2000), 0);
			assert_int_equal(vitals_batch_set_string(b, 3, strs[r], strlen(strs[r])),
			                 0);
			if (r < 3)
				assert_int_equal(vitals_batch_set_bool(b, 4, 1), 0);
			assert_int_equal(vitals_batch_set_string(b, 5, big, r == 4 ? 2000 : 10), 0);
			assert_int_equal(vitals_batch_set_bool(b, 6, 1), 0);
			assert_int_equal(vitals_batch_end_row(b), 0);
		}
	}
	for (int dict = 0; dict < 2; dict++) {
		const int32_t imin = INT32_MIN, imax = INT32_MAX;
		const int64_t lmin = INT64_MIN, lmax = INT64_MAX, tmin = -2000, tmax = 3000;
		const uint8_t t1 = 1;
		const struct pq_statistics *st;

		vitals_write_options_init(&o);
		o.dictionary = dict;
		write_file(path, b, &o);
		pqfile_load(&f, path);
		st = &chunk(&f, 0, 0)->stats;
		assert_int_equal(st->null_count, 1);
		assert_stat(st, &imin, &imax, 4, 1);
		st = &chunk(&f, 0, 1)->stats;
		assert_int_equal(st->null_count, 0);
		assert_true(st->has_null_count);
		assert_stat(st, &lmin, &lmax, 8, 1);
		st = &chunk(&f, 0, 2)->stats;
		assert_int_equal(st->null_count, 1);
		assert_stat(st, &tmin, &tmax, 8, 1);
		st = &chunk(&f, 0, 3)->stats;
		assert_int_equal(st->null_count, 0);
		assert_true(st->has_min_value && st->has_max_value);
		assert_int_equal(st->min_value_len, 0);
		assert_int_equal(st->max_value_len, 1);
		assert_memory_equal(st->max_value, "\xff", 1);
		/* No deprecated min/max for strings: their old order was signed. */
		assert_false(st->has_min);
		assert_false(st->has_max);
		st = &chunk(&f, 0, 4)->stats;
		assert_int_equal(st->null_count, 3);
		assert_stat(st, &t1, &t1, 1, 1);
		/* A 2000-byte value: no min/max for that chunk, still the null count. */
		st = &chunk(&f, 0, 5)->stats;
		assert_true(st->has_null_count);
		assert_int_equal(st->null_count, 0);
		assert_false(st->has_min_value);
		assert_false(st->has_max_value);
		st = &chunk(&f, 0, 6)->stats;
		assert_stat(st, &t1, &t1, 1, 1);
		pqfile_release(&f);
	}
	vitals_batch_free(b);
	vitals_schema_release(&s);
	free(big);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

/* ---- memory and streaming ---------------------------------------------------- */

static void test_row_group_streaming(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "stream.parquet");
	struct vitals_batch *part = encodings_batch(1000), *whole = encodings_batch(31500);
	struct vitals_write_options o;
	struct vitals_writer *w;
	struct pqfile f;
	uint64_t before;
	char err[512];

	(void)state;
	vitals_write_options_init(&o);
	o.row_group_rows = 3000;
	assert_int_equal(vitals_writer_open(&w, path, &part->schema, &o, err, sizeof(err)), 0);
	assert_int_equal(vitals_writer_bytes(w), 4);
	/*
	 * Batches of 1000 rows into row groups of 3000: the file grows on
	 * every third batch and not in between, so at most one row group of
	 * rows is ever held.
	 */
	for (int i = 1; i <= 30; i++) {
		before = vitals_writer_bytes(w);
		assert_int_equal(vitals_writer_write(w, part), 0);
		if (i % 3 == 0)
			assert_true(vitals_writer_bytes(w) > before);
		else
			assert_int_equal(vitals_writer_bytes(w), before);
	}
	/* A batch of ten and a half row groups: ten written at once, the rest held. */
	before = vitals_writer_bytes(w);
	assert_int_equal(vitals_writer_write(w, whole), 0);
	assert_true(vitals_writer_bytes(w) > before);
	assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	pqfile_load(&f, path);
	assert_int_equal(f.meta.row_group_count, 21);
	assert_int_equal(f.meta.num_rows, 30000 + 31500);
	for (uint32_t i = 0; i < 21; i++) {
		assert_int_equal(f.meta.row_groups[i].num_rows, i < 20 ? 3000 : 1500);
		assert_int_equal(f.meta.row_groups[i].ordinal, (int16_t)i);
		if (i)
			assert_true(f.meta.row_groups[i].file_offset >
			            f.meta.row_groups[i - 1].file_offset);
	}
	pqfile_release(&f);

	/* The same rows in one batch or in pieces give the same bytes. */
	{
		struct pqfile g;
		char *path2 = tmp_path(dir, "stream2.parquet");

		o.row_group_rows = 7000;
		write_file(path2, whole, &o);
		assert_int_equal(vitals_writer_open(&w, path, &whole->schema, &o, err, sizeof(err)),
		                 0);
		for (size_t at = 0; at < whole->rows; at += 2500) {
			struct vitals_batch *piece;
			size_t n = whole->rows - at < 2500 ? whole->rows - at : 2500;

			assert_int_equal(vitals_batch_new(&piece, &whole->schema), 0);
			assert_int_equal(vitals_batch_append(piece, whole, at, n, NULL), 0);
			assert_int_equal(vitals_writer_write(w, piece), 0);
			vitals_batch_free(piece);
		}
		assert_int_equal(vitals_writer_close(w, err, sizeof(err)), 0);
		pqfile_load(&f, path);
		pqfile_load(&g, path2);
		assert_int_equal(f.len, g.len);
		assert_memory_equal(f.buf, g.buf, f.len);
		pqfile_release(&f);
		pqfile_release(&g);
		free(path2);
	}
	vitals_batch_free(part);
	vitals_batch_free(whole);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

/* ---- errors ------------------------------------------------------------------ */

static void test_dev_full(void **state)
{
	struct vitals_batch *b = encodings_batch(10);
	struct vitals_writer *w = NULL;
	char err[512] = "";
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0)
		skip();
	/* The magic is the first write and fails at once, naming the file. */
	assert_int_equal(vitals_writer_open_fd(&w, fd, VITALS_FORMAT_PARQUET, "trace.parquet",
	                                       &b->schema, NULL, err, sizeof(err)),
	                 VITALS_E_IO);
	assert_null(w);
	assert_non_null(strstr(err, "trace.parquet"));
	assert_non_null(strstr(err, "No space left on device"));
	close(fd);
	vitals_batch_free(b);
}

static void test_fail_fast(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "full.parquet");
	struct vitals_batch *b = encodings_batch(100);
	struct vitals_write_options o;
	struct vitals_writer *w;
	char err[512] = "";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int full = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	if (full < 0)
		skip();
	vitals_write_options_init(&o);
	o.row_group_rows = 100;
	assert_int_equal(vitals_writer_open_fd(&w, fd, VITALS_FORMAT_PARQUET, "trace.parquet",
	                                       &b->schema, &o, err, sizeof(err)),
	                 0);
	/* The disk fills up under the writer: the row group fails, naming the file. */
	assert_true(dup2(full, fd) == fd);
	assert_int_equal(vitals_writer_write(w, b), VITALS_E_IO);
	assert_non_null(strstr(vitals_writer_errmsg(w), "trace.parquet"));
	assert_non_null(strstr(vitals_writer_errmsg(w), "No space left on device"));
	/* Every later call fails at once, and close reports it. */
	assert_int_not_equal(vitals_writer_write(w, b), 0);
	assert_int_not_equal(vitals_writer_close(w, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "trace.parquet"));
	close(fd);
	close(full);
	vitals_batch_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

static void test_codecs(void **state)
{
	char *dir = tu_tmpdir(), *path = tmp_path(dir, "c.parquet");
	static const enum vitals_codec codecs[] = {VITALS_CODEC_NONE, VITALS_CODEC_SNAPPY,
	                                           VITALS_CODEC_GZIP, VITALS_CODEC_ZSTD,
	                                           VITALS_CODEC_LZ4_RAW};
	struct vitals_batch *b = encodings_batch(3000);
	struct vitals_write_options o;
	struct chunk_pages pg;
	struct pqfile f;

	(void)state;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (!codec_supported(codecs[i]))
			continue;
		vitals_write_options_init(&o);
		o.codec = codecs[i];
		o.page_bytes = 8192;
		write_file(path, b, &o);
		pqfile_load(&f, path);
		for (uint32_t c = 0; c < C_COUNT; c++) {
			assert_int_equal(chunk(&f, 0, c)->codec, codecs[i]);
			walk_chunk(&f, chunk(&f, 0, c), &pg);
		}
		pqfile_release(&f);
	}
	vitals_batch_free(b);
	tu_rmrf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encodings_chosen),
	    cmocka_unit_test(test_pages_split),
	    cmocka_unit_test(test_schema_footer),
	    cmocka_unit_test(test_stats_doubles),
	    cmocka_unit_test(test_stats_ints_strings_bools),
	    cmocka_unit_test(test_row_group_streaming),
	    cmocka_unit_test(test_dev_full),
	    cmocka_unit_test(test_fail_fast),
	    cmocka_unit_test(test_codecs),
	};

	/* Named here so a static link keeps the writer whatever store.c refers to. */
	if (!store_parquet_writer.open)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
