/*
 * Row filters of the trace reader (vitals_read_options.filters): in every
 * format and Parquet layout (dictionary and PLAIN strings, a dictionary
 * that falls back to PLAIN mid-chunk, many pages, many row groups, nulls),
 * alone, ANDed, with prefixes, with a time range and with projections, a
 * filtered read must give exactly the rows of an unfiltered read that
 * pass. Row groups where no row passes must cost no decoding: a file whose
 * other chunks there are damaged still reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/store.h>

#include "testutil.h"
#include "store/encoding.h"
#include "store/pqmeta.h"
#include "util/bytebuf.h"

#define ROWS    5000
#define T0      INT64_C(1764633600000000)
#define KINDS_N 4

static const char *const kinds[KINDS_N] = {"system", "cpu", "process", "process"};

/* The kind of row I: mixed, but only "process" in [2000, 2500), process/zz-top in [2500, 3000). */
static const char *kind_of(size_t i)
{
	if (i >= 2000 && i < 2500)
		return "process";
	if (i >= 2500 && i < 3000)
		return i % 2 ? "zz-top" : "process";
	return kinds[i % KINDS_N];
}

static void schema_make(struct vitals_schema *s)
{
	vitals_schema_init(s);
	assert_int_equal(vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(s, "kind", VITALS_TYPE_STRING, 0), 0);
	assert_int_equal(vitals_schema_add(s, "id", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "name", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "value", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(s, "n", VITALS_TYPE_INT32, 0), 0);
	assert_int_equal(vitals_schema_add(s, "flag", VITALS_TYPE_BOOL, 1), 0);
	/* Few distinct numbers with nulls: dictionary pages with definition levels. */
	assert_int_equal(vitals_schema_add(s, "slot", VITALS_TYPE_INT32, 1), 0);
	assert_int_equal(vitals_schema_add(s, "gauge", VITALS_TYPE_INT64, 1), 0);
}

/* Write the test table to DIR/NAME with O (NULL for text formats). */
static char *write_trace(const char *name, const struct vitals_write_options *o)
{
	struct vitals_schema s;
	struct vitals_batch *b;
	struct vitals_writer *w;
	char *path, err[512], text[64];

	assert_true(asprintf(&path, "%s/%s", tu_dir, name) > 0);
	schema_make(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	if (vitals_writer_open(&w, path, &s, o, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	for (size_t i = 0; i < ROWS; i++) {
		const char *k = kind_of(i);

		/* Several rows a second, as in a trace: the times get a dictionary. */
		assert_int_equal(vitals_batch_set_i64(b, 0, T0 + (int64_t)(i / 7) * 1000000), 0);
		assert_int_equal(vitals_batch_set_string(b, 1, k, strlen(k)), 0);
		if (i % 11 != 5) {
			snprintf(text, sizeof(text), "p-%zu", i % 37);
			assert_int_equal(vitals_batch_set_string(b, 2, text, strlen(text)), 0);
		}
		if (i % 13 != 7) {
			/* Many distinct names, some longer than a short copy. */
			snprintf(text, sizeof(text), i % 3 ? "n%zu" : "a rather long name %zu",
			         i % 997);
			assert_int_equal(vitals_batch_set_string(b, 3, text, strlen(text)), 0);
		}
		if (i % 7 != 3)
			assert_int_equal(vitals_batch_set_double(b, 4, (double)i * 0.5), 0);
		assert_int_equal(vitals_batch_set_i32(b, 5, (int32_t)(i * 3)), 0);
		if (i % 5)
			assert_int_equal(vitals_batch_set_bool(b, 6, (int)(i % 2)), 0);
		if (i % 6 != 1)
			assert_int_equal(vitals_batch_set_i32(b, 7, (int32_t)(i % 5) - 2), 0);
		if (i % 4 != 2 && (i < 1000 || i > 1400))
			assert_int_equal(vitals_batch_set_i64(b, 8, (int64_t)(i % 3) * 1000), 0);
		assert_int_equal(vitals_batch_end_row(b), 0);
		if (b->rows == 777) {
			assert_int_equal(vitals_writer_write(w, b), 0);
			vitals_batch_clear(b);
		}
	}
	assert_int_equal(vitals_writer_write(w, b), 0);
	if (vitals_writer_close(w, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	vitals_batch_free(b);
	vitals_schema_release(&s);
	return path;
}

/* Every row of PATH read with O into one batch; the read's status in *RC. */
static struct vitals_batch *read_whole(const char *path, const struct vitals_read_options *o,
                                       int *rc)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	struct vitals_batch *all = NULL;
	char err[512];

	*rc = vitals_reader_open(&r, path, o, err, sizeof(err));
	if (*rc != 0)
		return NULL;
	assert_int_equal(vitals_batch_new(&all, vitals_reader_schema(r)), 0);
	while ((*rc = vitals_reader_next(r, &b)) == 1) {
		assert_true(b->rows > 0);
		assert_int_equal(vitals_batch_append(all, b, 0, b->rows, NULL), 0);
	}
	vitals_reader_close(r);
	return all;
}

static int str_passes(const struct vitals_row_filter *f, const char *s, size_t n)
{
	for (size_t i = 0; i < f->value_count; i++) {
		size_t m = strlen(f->values[i]);
		if ((f->match == VITALS_MATCH_PREFIX ? m <= n : m == n) &&
		    memcmp(s, f->values[i], m) == 0)
			return 1;
	}
	return 0;
}

/* Whether row I of the unfiltered batch ALL passes O's filters and time range. */
static int row_passes(const struct vitals_batch *all, size_t i, const struct vitals_read_options *o)
{
	int tc = vitals_schema_find(&all->schema, o->time_column ? o->time_column : "time");

	if (tc >= 0 && (all->cols[tc].v.i64[i] < o->from || all->cols[tc].v.i64[i] > o->to))
		return 0;
	for (size_t f = 0; f < o->filter_count; f++) {
		int c = vitals_schema_find(&all->schema, o->filters[f].column);
		size_t n;
		const char *s;

		if (!vitals_batch_is_valid(all, (size_t)c, i))
			return 0;
		s = vitals_batch_string(all, (size_t)c, i, &n);
		if (!str_passes(&o->filters[f], s, n))
			return 0;
	}
	return 1;
}

/* Column NAME of GOT holds rows of column NAME of ALL where SEL is set, in order. */
static void check_column(const struct vitals_batch *got, const struct vitals_batch *all,
                         const char *name, const uint8_t *sel, const char *what)
{
	int gc = vitals_schema_find(&got->schema, name),
	    ac = vitals_schema_find(&all->schema, name);
	const struct vitals_column *g = &got->cols[gc], *a = &all->cols[ac];
	size_t j = 0;

	assert_true(gc >= 0 && ac >= 0);
	assert_int_equal(g->type, a->type);
	for (size_t i = 0; i < all->rows; i++) {
		int gv, av;

		if (!sel[i])
			continue;
		gv = vitals_batch_is_valid(got, (size_t)gc, j);
		av = vitals_batch_is_valid(all, (size_t)ac, i);
		if (gv != av)
			fail_msg("%s: column %s row %zu: valid %d, expected %d", what, name, j, gv,
			         av);
		switch (a->type) {
		case VITALS_TYPE_STRING: {
			size_t gn, an;
			const char *gs = vitals_batch_string(got, (size_t)gc, j, &gn);
			const char *as = vitals_batch_string(all, (size_t)ac, i, &an);
			if (gn != an || memcmp(gs, as, an) != 0)
				fail_msg("%s: column %s row %zu: '%.*s', expected '%.*s'", what,
				         name, j, (int)gn, gs, (int)an, as);
			break;
		}
		case VITALS_TYPE_BOOL:
			assert_int_equal(g->v.b[j], a->v.b[i]);
			break;
		case VITALS_TYPE_INT32:
			assert_int_equal(g->v.i32[j], a->v.i32[i]);
			break;
		default:
			if (g->v.i64[j] != a->v.i64[i])
				fail_msg("%s: column %s row %zu: %" PRId64 ", expected %" PRId64,
				         what, name, j, g->v.i64[j], a->v.i64[i]);
			break;
		}
		j++;
	}
	if (g->type == VITALS_TYPE_STRING)
		assert_int_equal(g->v.off[got->rows], g->data_len);
}

/*
 * Read PATH with O, and all of it without filters; the first must be the
 * rows of the second that pass. Returns the rows kept.
 */
static size_t check_read(const char *path, const struct vitals_read_options *o, const char *what)
{
	struct vitals_batch *all, *got;
	uint8_t *sel;
	size_t kept = 0;
	int rc;

	all = read_whole(path, NULL, &rc);
	assert_int_equal(rc, 0);
	got = read_whole(path, o, &rc);
	if (rc != 0)
		fail_msg("%s: read failed: %d", what, rc);
	sel = calloc(all->rows ? all->rows : 1, 1);
	assert_non_null(sel);
	for (size_t i = 0; i < all->rows; i++) {
		sel[i] = (uint8_t)row_passes(all, i, o);
		kept += sel[i];
	}
	if (got->rows != kept)
		fail_msg("%s: %zu rows, expected %zu", what, got->rows, kept);
	if (o->columns)
		assert_int_equal(got->schema.count, o->column_count);
	for (size_t c = 0; c < got->schema.count; c++)
		check_column(got, all, got->schema.fields[c].name, sel, what);
	free(sel);
	vitals_batch_free(got);
	vitals_batch_free(all);
	return kept;
}

struct fcase {
	const char *label;
	struct vitals_row_filter f[2];
	size_t n;
};

static const char *const v_system[] = {"system"};
static const char *const v_cpu_disk[] = {"disk", "cpu"};
static const char *const v_nope[] = {"nope"};
static const char *const v_p1[] = {"p-1"};
static const char *const v_process[] = {"process"};
static const char *const v_p3[] = {"p-30", "p-3"};
static const char *const v_empty[] = {""};
static const char *const v_long[] = {"a rather", "n9"};

static const struct fcase cases[] = {
    {"no filter", {{"kind", v_system, 1, VITALS_MATCH_EQUAL}}, 0},
    {"kind=system", {{"kind", v_system, 1, VITALS_MATCH_EQUAL}}, 1},
    {"kind in (disk,cpu)", {{"kind", v_cpu_disk, 2, VITALS_MATCH_EQUAL}}, 1},
    {"kind=nope", {{"kind", v_nope, 1, VITALS_MATCH_EQUAL}}, 1},
    {"kind=process", {{"kind", v_process, 1, VITALS_MATCH_EQUAL}}, 1},
    {"id^=p-1", {{"id", v_p1, 1, VITALS_MATCH_PREFIX}}, 1},
    {"kind=process,id in (p-3,p-30)",
     {{"kind", v_process, 1, VITALS_MATCH_EQUAL}, {"id", v_p3, 2, VITALS_MATCH_EQUAL}},
     2},
    {"name^=''", {{"name", v_empty, 1, VITALS_MATCH_PREFIX}}, 1},
    {"name=''", {{"name", v_empty, 1, VITALS_MATCH_EQUAL}}, 1},
    {"name^=(a rather,n9)", {{"name", v_long, 2, VITALS_MATCH_PREFIX}}, 1},
    {"id in ()", {{"id", v_p1, 0, VITALS_MATCH_EQUAL}}, 1},
};

/* Every case, with and without a time range, with three projections. */
static void check_all(const char *path)
{
	static const char *const proj_a[] = {"time", "value"};
	static const char *const proj_b[] = {"name", "kind", "flag", "n", "slot", "gauge"};
	const char *const *projs[] = {NULL, proj_a, proj_b};
	const size_t proj_n[] = {0, 2, 6};
	size_t total = 0;

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (int t = 0; t < 2; t++)
			for (size_t p = 0; p < 3; p++) {
				struct vitals_read_options o;
				char what[256];

				vitals_read_options_init(&o);
				o.filters = cases[c].f;
				o.filter_count = cases[c].n;
				o.columns = projs[p];
				o.column_count = proj_n[p];
				if (t) {
					o.from = T0 + INT64_C(123) * 1000000;
					o.to = T0 + INT64_C(511) * 1000000 + 5;
				}
				snprintf(what, sizeof(what), "%s: %s, %s, projection %zu", path,
				         cases[c].label, t ? "time range" : "all times", p);
				total += check_read(path, &o, what);
			}
	/* The cases select something in all. */
	assert_true(total > 1000);
}

static void test_parquet_dictionary(void **state)
{
	struct vitals_write_options o;
	char *path;

	(void)state;
	vitals_write_options_init(&o);
	o.row_group_rows = 500;
	o.page_bytes = 256; /* many pages: some with no row kept */
	path = write_trace("dict.parquet", &o);
	check_all(path);
	free(path);
}

static void test_parquet_plain(void **state)
{
	struct vitals_write_options o;
	char *path;

	(void)state;
	vitals_write_options_init(&o);
	o.codec = VITALS_CODEC_NONE;
	o.dictionary = 0;
	o.row_group_rows = 700;
	path = write_trace("plain.parquet", &o);
	check_all(path);
	free(path);
}

/* Append a v1 data page or a dictionary page (TYPE) of N values and BODY to F. */
static void put_page(struct bytebuf *f, enum pq_page_type type, int32_t enc, size_t n,
                     const struct bytebuf *body)
{
	struct pq_page_header h;

	memset(&h, 0, sizeof(h));
	h.type = type;
	h.uncompressed_size = h.compressed_size = (int32_t)body->len;
	h.is_compressed = 1;
	if (type == PQ_PAGE_DICTIONARY) {
		h.dict_num_values = (int32_t)n;
		h.dict_encoding = PQ_ENC_PLAIN;
	} else {
		h.num_values = (int32_t)n;
		h.encoding = enc;
		h.def_level_encoding = PQ_ENC_RLE;
		h.rep_level_encoding = PQ_ENC_RLE;
	}
	assert_int_equal(pq_page_header_encode(&h, f), 0);
	assert_int_equal(bytebuf_append(f, body->p, body->len), 0);
}

/* Definition levels of KINDS[0..N) (NULL: a null) as a v1 page starts with them. */
static void put_levels(struct bytebuf *b, const char *const *vals, size_t n)
{
	struct bytebuf l;
	uint8_t def[64];

	bytebuf_init(&l, 0);
	for (size_t i = 0; i < n; i++)
		def[i] = vals[i] != NULL;
	assert_int_equal(enc_rle_encode_u8(&l, def, n, 1), 0);
	assert_int_equal(bytebuf_put_le32(b, (uint32_t)l.len), 0);
	assert_int_equal(bytebuf_append(b, l.p, l.len), 0);
	bytebuf_release(&l);
}

/*
 * What parquet-cpp writes when a dictionary outgrows its limit: a nullable
 * string column "kind" whose chunk has a dictionary page, two
 * RLE_DICTIONARY data pages, then two PLAIN ones; and an INT64 "v".
 */
/*
 * The footer of a file of one row group of ROWS rows and two columns (CC):
 * "kind", a string (KIND_REP), and V_NAME, an INT64 (V_REP); appended to F,
 * which is then written to NAME in the test directory. Its path.
 */
static char *finish_two_columns(struct bytebuf *f, struct pq_column_chunk *cc, int64_t rows,
                                int32_t kind_rep, const char *v_name, int32_t v_rep,
                                int64_t group_bytes, const char *name)
{
	struct pq_file_meta m;
	struct pq_schema_element el[3];
	struct pq_row_group rg;
	int32_t orders[] = {1, 1};
	size_t at;
	char *path;
	FILE *fp;

	memset(el, 0, sizeof(el));
	el[0].name = "schema";
	el[0].num_children = 2;
	el[1].name = "kind";
	el[1].has_type = el[1].has_repetition = el[1].has_converted = 1;
	el[1].type = PQ_BYTE_ARRAY;
	el[1].repetition = kind_rep;
	el[1].converted = PQ_CT_UTF8;
	el[2].name = (char *)v_name;
	el[2].has_type = el[2].has_repetition = 1;
	el[2].type = PQ_INT64;
	el[2].repetition = v_rep;
	memset(&rg, 0, sizeof(rg));
	rg.column_count = 2;
	rg.columns = cc;
	rg.num_rows = rows;
	rg.total_byte_size = group_bytes;
	memset(&m, 0, sizeof(m));
	m.version = 1;
	m.schema_count = 3;
	m.schema = el;
	m.num_rows = rows;
	m.row_group_count = 1;
	m.row_groups = &rg;
	m.column_order_count = 2;
	m.column_orders = orders;
	at = f->len;
	assert_int_equal(pq_meta_encode(&m, f), 0);
	assert_int_equal(bytebuf_put_le32(f, (uint32_t)(f->len - at)), 0);
	assert_int_equal(bytebuf_append(f, "PAR1", 4), 0);
	assert_true(asprintf(&path, "%s/%s", tu_dir, name) > 0);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(f->p, 1, f->len, fp), f->len);
	fclose(fp);
	return path;
}

static char *write_fallback(void)
{
	static const char *const dict[] = {"cpu", "process", "system"};
	const char *k[60];
	struct bytebuf f, body;
	struct pq_column_chunk cc[2];
	int32_t enc_k[] = {PQ_ENC_PLAIN, PQ_ENC_RLE, PQ_ENC_RLE_DICTIONARY},
	        enc_v[] = {PQ_ENC_PLAIN};
	char *path_k[] = {"kind"}, *path_v[] = {"v"}, *path;
	int64_t kstart, kdata, vstart;

	for (size_t i = 0; i < 60; i++) {
		static char other[7][8];
		snprintf(other[i % 7], sizeof(other[0]), "proc-%zu", i % 7);
		k[i] = i % 9 == 4 ? NULL : i < 40 ? dict[i % 3] : other[i % 7];
	}
	bytebuf_init(&f, 0);
	bytebuf_init(&body, 0);
	assert_int_equal(bytebuf_append(&f, "PAR1", 4), 0);
	kstart = (int64_t)f.len;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(
		    enc_plain_encode_bytes(&body, (const uint8_t *)dict[i], strlen(dict[i])), 0);
	put_page(&f, PQ_PAGE_DICTIONARY, 0, 3, &body);
	kdata = (int64_t)f.len;
	for (size_t p = 0; p < 4; p++) {
		size_t n = p < 2 ? 20 : 10, first = p < 2 ? p * 20 : 40 + (p - 2) * 10;
		const char *const *part = k + first;

		bytebuf_clear(&body);
		put_levels(&body, part, n);
		if (p < 2) {
			uint32_t idx[20];
			size_t nn = 0;
			for (size_t i = 0; i < n; i++)
				if (part[i])
					idx[nn++] = strcmp(part[i], "cpu") == 0       ? 0
					            : strcmp(part[i], "process") == 0 ? 1
					                                              : 2;
			assert_int_equal(bytebuf_put_u8(&body, 2), 0);
			assert_int_equal(enc_rle_encode(&body, idx, nn, 2), 0);
			put_page(&f, PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, n, &body);
		} else {
			for (size_t i = 0; i < n; i++)
				if (part[i])
					assert_int_equal(
					    enc_plain_encode_bytes(&body, (const uint8_t *)part[i],
					                           strlen(part[i])),
					    0);
			put_page(&f, PQ_PAGE_DATA, PQ_ENC_PLAIN, n, &body);
		}
	}
	vstart = (int64_t)f.len;
	bytebuf_clear(&body);
	for (size_t i = 0; i < 60; i++)
		assert_int_equal(bytebuf_put_le64(&body, (uint64_t)i * 10), 0);
	put_page(&f, PQ_PAGE_DATA, PQ_ENC_PLAIN, 60, &body);

	memset(cc, 0, sizeof(cc));
	cc[0].has_meta = cc[1].has_meta = 1;
	cc[0].file_offset = kstart;
	cc[0].meta = (struct pq_column_meta){.type = PQ_BYTE_ARRAY,
	                                     .encoding_count = 3,
	                                     .encodings = enc_k,
	                                     .path_count = 1,
	                                     .path = path_k,
	                                     .num_values = 60,
	                                     .total_uncompressed_size = vstart - kstart,
	                                     .total_compressed_size = vstart - kstart,
	                                     .data_page_offset = kdata,
	                                     .has_dictionary_page_offset = 1,
	                                     .dictionary_page_offset = kstart};
	cc[1].file_offset = vstart;
	cc[1].meta = (struct pq_column_meta){.type = PQ_INT64,
	                                     .encoding_count = 1,
	                                     .encodings = enc_v,
	                                     .path_count = 1,
	                                     .path = path_v,
	                                     .num_values = 60,
	                                     .total_uncompressed_size = (int64_t)f.len - vstart,
	                                     .total_compressed_size = (int64_t)f.len - vstart,
	                                     .data_page_offset = vstart};
	path = finish_two_columns(&f, cc, 60, PQ_OPTIONAL, "v", PQ_REQUIRED,
	                          (int64_t)f.len - kstart, "fallback.parquet");
	bytebuf_release(&f);
	bytebuf_release(&body);
	return path;
}

static void test_parquet_fallback(void **state)
{
	static const char *const v_proc[] = {"proc", "cpu"}, *const v_one[] = {"proc-3", "system"};
	static const char *const v_none[] = {"proc-9", "disk"};
	static const char *const proj[] = {"v"};
	const struct vitals_row_filter fl[] = {
	    {"kind", v_proc, 2, VITALS_MATCH_PREFIX},
	    {"kind", v_one, 2, VITALS_MATCH_EQUAL},
	    {"kind", v_none, 2, VITALS_MATCH_EQUAL},
	    {"kind", v_proc, 1, VITALS_MATCH_PREFIX},
	};
	const size_t expect[] = {40, 16, 0, 26};
	struct vitals_read_options o;
	char *path = write_fallback();

	(void)state;
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++)
		for (int t = 0; t < 2; t++)
			for (int p = 0; p < 2; p++) {
				vitals_read_options_init(&o);
				o.filters = &fl[i];
				o.filter_count = 1;
				o.columns = p ? proj : NULL;
				o.column_count = p ? 1 : 0;
				o.time_column = t ? "v" : NULL;
				if (t) {
					o.from = 95;
					o.to = 455;
				}
				if (check_read(path, &o, "fallback") != expect[i] && !t)
					fail_msg("filter %zu: not %zu rows", i, expect[i]);
			}
	free(path);
}

/* Append a column chunk of N v1 data values (BODY, with levels when nullable) and its dictionary.
 */
static void put_dict_chunk(struct bytebuf *f, struct pq_column_chunk *cc, int32_t type, char **path,
                           int32_t *encs, const struct bytebuf *dict, size_t nd,
                           const struct bytebuf *body, size_t n)
{
	int64_t start = (int64_t)f->len, data;

	put_page(f, PQ_PAGE_DICTIONARY, 0, nd, dict);
	data = (int64_t)f->len;
	put_page(f, PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, n, body);
	memset(cc, 0, sizeof(*cc));
	cc->has_meta = 1;
	cc->file_offset = start;
	cc->meta = (struct pq_column_meta){.type = type,
	                                   .encoding_count = 3,
	                                   .encodings = encs,
	                                   .path_count = 1,
	                                   .path = path,
	                                   .num_values = (int64_t)n,
	                                   .total_uncompressed_size = (int64_t)f->len - start,
	                                   .total_compressed_size = (int64_t)f->len - start,
	                                   .data_page_offset = data,
	                                   .has_dictionary_page_offset = 1,
	                                   .dictionary_page_offset = start};
}

#define BAD_ROWS 64

/*
 * 64 rows of a required string "kind" ("a" on every eighth row, "b" or
 * "c" else) and an optional INT64 "tag" (null on rows 3, 8, 13...), both
 * from dictionaries of 3 values, with index 3 written at rows
 * [KIND_BAD, KIND_BAD_END) of kind and at row TAG_BAD of tag.
 */
static char *write_bad_index(const char *name, size_t kind_bad, size_t kind_bad_end, size_t tag_bad)
{
	static const char *const kd[] = {"a", "b", "c"};
	uint32_t ki[BAD_ROWS], ti[BAD_ROWS];
	uint8_t def[BAD_ROWS];
	struct bytebuf f, dict, body, lv;
	struct pq_column_chunk cc[2];
	int32_t encs[] = {PQ_ENC_PLAIN, PQ_ENC_RLE, PQ_ENC_RLE_DICTIONARY};
	char *path_k[] = {"kind"}, *path_t[] = {"tag"}, *path;
	size_t nt = 0;

	for (size_t i = 0; i < BAD_ROWS; i++) {
		ki[i] = i % 8 == 0 ? 0 : i < 32 || i % 3 ? 1 : 2;
		if (i >= kind_bad && i < kind_bad_end)
			ki[i] = 3;
		def[i] = i % 5 != 3;
		if (def[i])
			ti[nt++] = i == tag_bad ? 3 : (uint32_t)(i % 3);
	}
	bytebuf_init(&f, 0);
	bytebuf_init(&dict, 0);
	bytebuf_init(&body, 0);
	bytebuf_init(&lv, 0);
	assert_int_equal(bytebuf_append(&f, "PAR1", 4), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(enc_plain_encode_bytes(&dict, (const uint8_t *)kd[i], 1), 0);
	assert_int_equal(bytebuf_put_u8(&body, 2), 0);
	assert_int_equal(enc_rle_encode(&body, ki, BAD_ROWS, 2), 0);
	put_dict_chunk(&f, &cc[0], PQ_BYTE_ARRAY, path_k, encs, &dict, 3, &body, BAD_ROWS);
	bytebuf_clear(&dict);
	bytebuf_clear(&body);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(bytebuf_put_le64(&dict, (uint64_t)(i + 1) * 10), 0);
	assert_int_equal(enc_rle_encode_u8(&lv, def, BAD_ROWS, 1), 0);
	assert_int_equal(bytebuf_put_le32(&body, (uint32_t)lv.len), 0);
	assert_int_equal(bytebuf_append(&body, lv.p, lv.len), 0);
	assert_int_equal(bytebuf_put_u8(&body, 2), 0);
	assert_int_equal(enc_rle_encode(&body, ti, nt, 2), 0);
	put_dict_chunk(&f, &cc[1], PQ_INT64, path_t, encs, &dict, 3, &body, BAD_ROWS);

	path = finish_two_columns(&f, cc, BAD_ROWS, PQ_REQUIRED, "tag", PQ_OPTIONAL,
	                          (int64_t)f.len - 4, name);
	bytebuf_release(&f);
	bytebuf_release(&dict);
	bytebuf_release(&body);
	bytebuf_release(&lv);
	return path;
}

/* Read PATH with O to the end: its status, and the message of a failure in ERR. */
static int read_status(const char *path, const struct vitals_read_options *o, char *err,
                       size_t errlen)
{
	struct vitals_reader *r;
	const struct vitals_batch *b;
	int rc = vitals_reader_open(&r, path, o, err, errlen);

	if (rc != 0)
		return rc;
	while ((rc = vitals_reader_next(r, &b)) == 1)
		;
	if (rc < 0)
		snprintf(err, errlen, "%s", vitals_reader_errmsg(r));
	vitals_reader_close(r);
	return rc;
}

/*
 * A dictionary index past the dictionary fails the read with its message
 * on every path that uses it: the filter column's repeated runs and
 * bit-packed groups, and the kept rows of a sparse read. A damaged index
 * on a row the filter drops is never decoded.
 */
static void test_bad_dictionary_index(void **state)
{
	static const char *const v_a[] = {"a"};
	const struct vitals_row_filter f = {"kind", v_a, 1, VITALS_MATCH_EQUAL};
	static const struct {
		size_t kind_bad, kind_bad_end, tag_bad;
		const char *column; /* the failure's, or NULL when the filtered read passes */
	} bad[] = {
	    {40, BAD_ROWS, BAD_ROWS, "kind"}, /* a repeated run */
	    {5, 6, BAD_ROWS, "kind"},         /* in a bit-packed group */
	    {0, 0, 16, "tag"},                /* a kept row */
	    {0, 0, 17, NULL},                 /* a dropped row */
	};
	struct vitals_read_options o;
	char err[512], want[200], *path;
	int rc;

	(void)state;
	path = write_bad_index("clean-index.parquet", 0, 0, BAD_ROWS);
	vitals_read_options_init(&o);
	o.filters = &f;
	o.filter_count = 1;
	assert_int_equal(check_read(path, &o, "clean index"), BAD_ROWS / 8);
	free(path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_bad_index("bad-index.parquet", bad[i].kind_bad, bad[i].kind_bad_end,
		                       bad[i].tag_bad);
		/* Unfiltered, every index is used. */
		rc = read_status(path, NULL, err, sizeof(err));
		assert_int_equal(rc, VITALS_E_PARSE);
		assert_non_null(strstr(err, "dictionary index 3 out of range (dictionary has 3 "
		                            "values)"));
		rc = read_status(path, &o, err, sizeof(err));
		if (!bad[i].column) {
			struct vitals_batch *got = read_whole(path, &o, &rc);

			assert_int_equal(rc, 0);
			assert_int_equal(got->rows, BAD_ROWS / 8);
			for (size_t j = 0; j < got->rows; j++) {
				int valid = (j * 8) % 5 != 3;
				assert_int_equal(vitals_batch_is_valid(got, 1, j), valid);
				if (valid)
					assert_int_equal(got->cols[1].v.i64[j],
					                 (j * 8 % 3 + 1) * 10);
			}
			vitals_batch_free(got);
			free(path);
			continue;
		}
		if (rc != VITALS_E_PARSE)
			fail_msg("case %zu: status %d", i, rc);
		snprintf(want, sizeof(want),
		         "row group 0, column '%s', page 1: dictionary index 3 out of range "
		         "(dictionary has 3 values)",
		         bad[i].column);
		if (!strstr(err, want))
			fail_msg("case %zu: '%s', not '%s'", i, err, want);
		free(path);
	}
}

static void test_text_formats(void **state)
{
	const char *names[] = {"t.csv", "t.jsonl"};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		char *path = write_trace(names[i], NULL);
		check_all(path);
		free(path);
	}
}

/* Overwrite the first bytes of the data page of column COL in row group G. */
static void damage(const char *path, uint32_t g, uint32_t col)
{
	struct pq_file_meta m;
	size_t len;
	uint8_t *file = (uint8_t *)tu_slurp(path, &len);
	uint32_t flen;
	int64_t at;
	char err[256];
	FILE *f;

	assert_non_null(file);
	memcpy(&flen, file + len - 8, 4);
	assert_int_equal(pq_meta_decode(&m, file + len - 8 - flen, flen, err, sizeof(err)), 0);
	assert_true(g < m.row_group_count);
	at = m.row_groups[g].columns[col].meta.data_page_offset;
	pq_meta_release(&m);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)at, SEEK_SET), 0);
	assert_int_equal(fwrite("\xff\xff\xff\xff\xff\xff\xff\xff", 1, 8, f), 8);
	fclose(f);
	free(file);
}

/*
 * Row group 4 holds only "process" (its statistics exclude "system"), row
 * group 5 process and zz-top (the statistics do not exclude "system", its
 * dictionary does). With the kind chunk of group 4 and every other chunk
 * of group 5 damaged, a read for "system" never decodes them.
 */
static void test_parquet_groups_not_decoded(void **state)
{
	static const char *const v_sys_prefix[] = {"sys"};
	struct vitals_write_options wo;
	struct vitals_read_options o;
	struct vitals_row_filter f = {"kind", v_system, 1, VITALS_MATCH_EQUAL};
	struct vitals_batch *clean, *got;
	uint8_t *every;
	char *path, *copy;
	size_t len;
	char *bytes;
	int rc;

	(void)state;
	vitals_write_options_init(&wo);
	wo.row_group_rows = 500;
	path = write_trace("groups.parquet", &wo);
	vitals_read_options_init(&o);
	o.filters = &f;
	o.filter_count = 1;
	clean = read_whole(path, &o, &rc);
	assert_int_equal(rc, 0);
	assert_true(clean->rows > 0);

	assert_true(asprintf(&copy, "%s/damaged.parquet", tu_dir) > 0);
	bytes = tu_slurp(path, &len);
	{
		FILE *fp = fopen(copy, "wb");
		assert_non_null(fp);
		assert_int_equal(fwrite(bytes, 1, len, fp), len);
		fclose(fp);
	}
	free(bytes);
	damage(copy, 4, 1);
	for (uint32_t c = 0; c < 7; c++)
		if (c != 1)
			damage(copy, 5, c);

	/* Unfiltered, the damage shows. */
	got = read_whole(copy, NULL, &rc);
	assert_true(rc < 0);
	vitals_batch_free(got);

	got = read_whole(copy, &o, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(got->rows, clean->rows);
	every = malloc(got->rows);
	assert_non_null(every);
	memset(every, 1, got->rows);
	for (size_t c = 0; c < got->schema.count; c++)
		check_column(got, clean, got->schema.fields[c].name, every, "damaged");
	free(every);
	vitals_batch_free(got);

	/* A prefix is excluded by the statistics of group 4 too. */
	f.values = v_sys_prefix;
	f.match = VITALS_MATCH_PREFIX;
	got = read_whole(copy, &o, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(got->rows, clean->rows);
	vitals_batch_free(got);

	vitals_batch_free(clean);
	free(copy);
	free(path);
}

/*
 * The fixtures other writers made: every string column (DELTA_LENGTH_BYTE_ARRAY,
 * DELTA_BYTE_ARRAY, PLAIN_DICTIONARY, FIXED_LEN_BYTE_ARRAY with
 * BYTE_STREAM_SPLIT...) filtered on some of its own values and prefixes.
 */
static void test_fixtures(void **state)
{
	static const char *const names[] = {
	    "parquet/hyparquet-delta.parquet", "parquet/hyparquet-plain.parquet",
	    "parquet/hyparquet-dict.parquet",  "parquet/duckdb-v2.parquet",
	    "parquet/duckdb-nodict.parquet",   "parquet/duckdb-zstd.parquet",
	    "parquet/crafted-legacy.parquet",  "parquet/crafted-pandas.parquet",
	    "parquet/crafted-v2mix.parquet",
	};
	size_t checked = 0;

	(void)state;
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		char *path = strdup(tu_fixture(names[f]));
		struct vitals_batch *all;
		int rc;

		all = read_whole(path, NULL, &rc);
		assert_int_equal(rc, 0);
		for (size_t c = 0; c < all->schema.count; c++) {
			char vals[2][64] = {{0}}, prefix[4];
			const char *v[2] = {vals[0], vals[1]}, *pv[1] = {prefix};
			struct vitals_row_filter flt = {all->schema.fields[c].name, v, 0,
			                                VITALS_MATCH_EQUAL};
			struct vitals_read_options o;

			if (all->schema.fields[c].type != VITALS_TYPE_STRING)
				continue;
			/* Two values of the column itself (without NUL bytes), from far apart. */
			for (size_t i = 0; i < all->rows && flt.value_count < 2;
			     i += all->rows / 3 + 1) {
				size_t n;
				const char *sv = vitals_batch_string(all, c, i, &n);

				if (!vitals_batch_is_valid(all, c, i) || n >= sizeof(vals[0]) ||
				    memchr(sv, 0, n))
					continue;
				memcpy(vals[flt.value_count], sv, n);
				vals[flt.value_count++][n] = '\0';
			}
			vitals_read_options_init(&o);
			o.filters = &flt;
			o.filter_count = 1;
			checked += check_read(path, &o, names[f]) > 0;
			if (!flt.value_count)
				continue;
			memcpy(prefix, vals[0], sizeof(prefix) - 1);
			prefix[sizeof(prefix) - 1] = '\0';
			flt.values = pv;
			flt.value_count = 1;
			flt.match = VITALS_MATCH_PREFIX;
			checked += check_read(path, &o, names[f]) > 0;
		}
		vitals_batch_free(all);
		free(path);
	}
	assert_true(checked >= 20);
}

/* A footer decoded for some columns has their chunks as the whole decode has them, and no other. */
static void test_footer_columns(void **state)
{
	static const char *const want[] = {"kind", "value"};
	struct vitals_write_options wo;
	struct pq_file_meta all, some;
	char *path, *file, err[256];
	size_t len;
	uint32_t flen;

	(void)state;
	vitals_write_options_init(&wo);
	wo.row_group_rows = 1000;
	path = write_trace("footer.parquet", &wo);
	file = tu_slurp(path, &len);
	memcpy(&flen, file + len - 8, 4);
	assert_int_equal(
	    pq_meta_decode(&all, (uint8_t *)file + len - 8 - flen, flen, err, sizeof(err)), 0);
	assert_int_equal(pq_meta_decode_columns(&some, (uint8_t *)file + len - 8 - flen, flen, want,
	                                        2, err, sizeof(err)),
	                 0);
	assert_int_equal(some.row_group_count, 5);
	for (uint32_t g = 0; g < some.row_group_count; g++)
		for (uint32_t c = 0; c < 7; c++) {
			const struct pq_column_chunk *a = &all.row_groups[g].columns[c];
			const struct pq_column_chunk *b = &some.row_groups[g].columns[c];
			int wanted = c == 1 || c == 4;

			assert_int_equal(b->skipped, !wanted);
			assert_int_equal(b->has_meta, wanted);
			if (wanted) {
				assert_int_equal(b->meta.data_page_offset,
				                 a->meta.data_page_offset);
				assert_int_equal(b->meta.stats.min_value_len,
				                 a->meta.stats.min_value_len);
			}
		}
	pq_meta_release(&all);
	pq_meta_release(&some);
	free(file);
	free(path);
}

static void test_bad_filters(void **state)
{
	const char *names[] = {"bad.parquet", "bad.csv", "bad.jsonl"};
	struct vitals_write_options wo;

	(void)state;
	vitals_write_options_init(&wo);
	for (size_t i = 0; i < 3; i++) {
		char *path = write_trace(names[i], i == 0 ? &wo : NULL);
		struct vitals_row_filter f[VITALS_FILTERS_MAX + 1];
		struct vitals_read_options o;
		struct vitals_reader *r;
		char err[512];

		for (size_t k = 0; k <= VITALS_FILTERS_MAX; k++)
			f[k] = (struct vitals_row_filter){"kind", v_system, 1, VITALS_MATCH_EQUAL};
		vitals_read_options_init(&o);
		o.filters = f;
		o.filter_count = 1;
		f[0].column = "missing";
		assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)),
		                 VITALS_E_INVAL);
		assert_non_null(strstr(err, "no column 'missing'"));
		f[0].column = "value";
		assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)),
		                 VITALS_E_INVAL);
		assert_non_null(strstr(err, "not a string"));
		f[0].column = "kind";
		o.filter_count = VITALS_FILTERS_MAX + 1;
		assert_int_equal(vitals_reader_open(&r, path, &o, err, sizeof(err)),
		                 VITALS_E_INVAL);
		/* The most filters, all the same: as one. */
		o.filter_count = VITALS_FILTERS_MAX;
		assert_int_equal(check_read(path, &o, path), 1000);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parquet_dictionary),
	    cmocka_unit_test(test_parquet_plain),
	    cmocka_unit_test(test_parquet_fallback),
	    cmocka_unit_test(test_bad_dictionary_index),
	    cmocka_unit_test(test_text_formats),
	    cmocka_unit_test(test_parquet_groups_not_decoded),
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_footer_columns),
	    cmocka_unit_test(test_bad_filters),
	};

	return cmocka_run_group_tests(tests, tu_dir_setup, tu_dir_teardown);
}
