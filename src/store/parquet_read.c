/*
 * The Parquet reader: the footer and the schema of flat files, then one
 * batch per row group, read column chunk by column chunk with one pread
 * each and decoded page by page straight into the batch's columns.
 *
 * Every size and count in the file is checked against the bytes that hold
 * it before it is used, so a damaged or hostile file ends in a message
 * naming the file, the row group, the column and the page, never in a
 * crash, a hang or an allocation the file's bytes cannot justify.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vitals/store.h>
#include <vitals/table.h>

#include "store/codec.h"
#include "store/encoding.h"
#include "store/internal.h"
#include "store/parquet.h"
#include "store/pqmeta.h"
#include "util/bytebuf.h"

#define PQ_MAGIC        "PAR1"
#define FOOTER_MAX      ((uint64_t)256 << 20) /* bytes of the Thrift footer */
#define PAGE_MAX        ((uint64_t)1 << 30)   /* bytes of one uncompressed page */
#define BATCH_TEXT_MAX  ((uint64_t)4 << 30)   /* string bytes of one batch */
#define BATCH_BYTES_MAX ((uint64_t)8 << 30)   /* bytes of one batch's value arrays */
#define FLBA_MAX        (1 << 20)             /* bytes of one FIXED_LEN_BYTE_ARRAY value */
#define COPY_SLACK      16                    /* bytes copied at once for short strings */
#define STAT_TEXT_MAX   64                    /* bytes of a string statistic shown */
#define ENC_TEXT_MAX    200                   /* bytes of a chunk's encodings list shown */
#define JULIAN_EPOCH    2440588               /* Julian day of 1970-01-01 */
#define US_PER_DAY      INT64_C(86400000000)

/* How a column's values are decoded: by their physical shape. */
enum pq_kind {
	KIND_BOOL,  /* BOOLEAN: bit-packed or RLE */
	KIND_FIXED, /* fixed-width values turned into a fixed-width output */
	KIND_BYTES, /* BYTE_ARRAY, or FIXED_LEN_BYTE_ARRAY kept as bytes */
};

/* How one physical value becomes one output value. */
enum pq_conv {
	CONV_COPY,   /* same bytes: BOOLEAN, INT32, INT64, DOUBLE, TIMESTAMP(MICROS) */
	CONV_U32,    /* unsigned INT32 -> INT64 */
	CONV_FLOAT,  /* FLOAT -> DOUBLE */
	CONV_MILLIS, /* INT64 milliseconds -> microseconds */
	CONV_NANOS,  /* INT64 nanoseconds -> microseconds (floor) */
	CONV_INT96,  /* INT96 (nanoseconds of day, Julian day) -> microseconds */
	CONV_DEC32,  /* DECIMAL on INT32 -> DOUBLE */
	CONV_DEC64,  /* DECIMAL on INT64 -> DOUBLE */
	CONV_DECBE,  /* DECIMAL on big-endian bytes -> DOUBLE */
	CONV_HALF,   /* FLOAT16 -> DOUBLE */
	CONV_BYTES,  /* bytes -> STRING */
};

/* One column of the file (a leaf of a flat schema). */
struct pq_leaf {
	const char *name; /* the schema element's, owned by the footer */
	enum pq_physical phys;
	enum pq_kind kind;
	enum pq_conv conv;
	size_t width;     /* bytes of one PLAIN value (KIND_FIXED, FIXED_LEN_BYTE_ARRAY) */
	size_t out_width; /* bytes of one output value; 0 for STRING */
	enum vitals_type type;
	int nullable;
	int32_t scale;      /* DECIMAL */
	int unsigned_order; /* statistics are not in signed order: never prune on them */
	char physical[32];  /* "INT64", "FIXED_LEN_BYTE_ARRAY(16)" */
	char logical[48];   /* "TIMESTAMP(MICROS,UTC)"; empty when none */
};

/* A reusable scratch allocation, with COPY_SLACK readable bytes past its capacity. */
struct pq_buf {
	void *p;
	size_t cap;
};

struct pq_rd {
	struct pq_file_meta meta;
	uint64_t file_size;
	uint64_t data_end; /* where the footer starts */
	struct pq_leaf *leaves;
	size_t leaf_count;
	struct vitals_schema file_schema;
	uint32_t *proj; /* the leaf of each output column */
	size_t proj_count;
	int time_leaf; /* leaf pruned on, or -1 */
	int64_t from, to;
	uint32_t next_rg;
	int failed;          /* the status of a failed next(), returned again after it */
	uint64_t batch_text; /* string bytes in the batch being read */
	struct vitals_batch *batch;
	struct codec_state codec;
	struct pq_buf chunk;     /* the column chunk's bytes */
	struct pq_buf page;      /* one decompressed page */
	struct pq_buf tmp;       /* physical values before conversion */
	struct pq_buf idx;       /* dictionary indices */
	struct pq_buf views;     /* byte array values */
	struct pq_buf dict_vals; /* the dictionary, converted to the output type */
	struct pq_buf dict_off;  /* STRING dictionary: count + 1 offsets */
	struct pq_buf dict_data; /* STRING dictionary: bytes */
	struct bytebuf dba;      /* DELTA_BYTE_ARRAY values */
	size_t dict_count;
	int has_dict;
	/* Row filters (store.h), applied here exactly with the time range: */
	int time_exact;                     /* drop rows outside [from, to], not only groups */
	const struct store_filter *filters; /* owned by the reader (store.c) */
	size_t filter_count;
	uint32_t *filter_leaf;       /* the leaf of each filter */
	int time_out;                /* output column of the time leaf, or -1 */
	struct vitals_batch *hidden; /* a column per filter, then the time column */
	uint8_t *sel;                /* per row of the row group: kept so far */
	size_t sel_cap;
	int sel_on;                       /* decoding may skip the rows sel drops */
	const struct store_filter *match; /* the chunk read ANDs this filter into sel */
	struct pq_buf dict_match;         /* per dictionary entry: it passes match */
	int keep_on;                      /* and keep holds the kept rows: decode only those */
	struct pq_buf keep;               /* the kept rows' indices, when keep_on */
	size_t nkeep;
	struct pq_buf pos;    /* per kept row of a page: a position in its encoded values */
	struct pq_buf before; /* per kept row of a page: the values before it */
	struct pq_buf level;  /* per kept row of a page: its definition level */
	size_t dict_hits;     /* entries that pass */
};

/* Where a failure happened, for messages. */
struct pq_ctx {
	struct vitals_reader *r;
	uint32_t rg;
	const char *col;
	long page;            /* -1 before the first page */
	uint64_t text_before; /* string bytes of the batch's columns read before this one */
};

/* One data page's values section, once its levels are known. */
struct pq_page {
	int32_t encoding;
	const uint8_t *p;
	size_t len;
	size_t row0;          /* the page's first row in the batch */
	size_t n;             /* values, nulls included */
	size_t nonnull;       /* values present */
	const uint8_t *valid; /* n flags, or NULL when every value is present */
	/*
	 * keep_on: the page's kept rows are pr->keep[ka .. kb), and only
	 * their flags in valid are set; when valid is, before[t - ka] is the
	 * number of values before kept row t.
	 */
	size_t ka, kb;
	const uint32_t *before;
};

static const double pow10_table[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12,
    1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25,
    1e26, 1e27, 1e28, 1e29, 1e30, 1e31, 1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38,
};

static int ctx_fail(const struct pq_ctx *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int ctx_fail(const struct pq_ctx *c, int status, const char *fmt, ...)
{
	char msg[STORE_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->page >= 0)
		return store_reader_fail(c->r, status,
		                         "row group %" PRIu32 ", column '%s', page %ld: %s", c->rg,
		                         c->col, c->page, msg);
	return store_reader_fail(c->r, status, "row group %" PRIu32 ", column '%s': %s", c->rg,
	                         c->col, msg);
}

/* Room for BYTES bytes in B (its contents are not kept). */
static int buf_want(struct pq_buf *b, size_t bytes)
{
	size_t want;
	void *p;

	if (bytes <= b->cap)
		return VITALS_OK;
	want = b->cap + b->cap / 2;
	if (want < bytes)
		want = bytes;
	if (want < 256)
		want = 256;
	free(b->p);
	/* COPY_SLACK more bytes, so that short strings are copied in one fixed-size move. */
	p = malloc(want + COPY_SLACK);
	b->p = p;
	b->cap = p ? want : 0;
	return p ? VITALS_OK : VITALS_E_NOMEM;
}

static void buf_release(struct pq_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}

/* ---- names ------------------------------------------------------------------ */

/* Lower-case codec names, as `inspect` prints them; NULL for an unknown codec. */
static const char *codec_label(int32_t c)
{
	switch (c) {
	case 0:
		return "none";
	case 1:
		return "snappy";
	case 2:
		return "gzip";
	case 3:
		return "lzo";
	case 4:
		return "brotli";
	case 5:
		return "lz4";
	case 6:
		return "zstd";
	case 7:
		return "lz4_raw";
	default:
		return NULL;
	}
}

static const char *unit_name(enum pq_time_unit u)
{
	switch (u) {
	case PQ_UNIT_MILLIS:
		return "MILLIS";
	case PQ_UNIT_MICROS:
		return "MICROS";
	case PQ_UNIT_NANOS:
		return "NANOS";
	default:
		return "?";
	}
}

/* The annotation of E as text ("TIMESTAMP(MICROS,UTC)"), or "" when it has none. */
static void logical_text(char *buf, size_t n, const struct pq_schema_element *e)
{
	const struct pq_logical *l = &e->logical;
	static const char *const converted[] = {
	    [PQ_CT_UTF8] = "STRING",
	    [PQ_CT_MAP] = "MAP",
	    [PQ_CT_MAP_KEY_VALUE] = "MAP_KEY_VALUE",
	    [PQ_CT_LIST] = "LIST",
	    [PQ_CT_ENUM] = "ENUM",
	    [PQ_CT_DATE] = "DATE",
	    [PQ_CT_TIME_MILLIS] = "TIME(MILLIS,UTC)",
	    [PQ_CT_TIME_MICROS] = "TIME(MICROS,UTC)",
	    [PQ_CT_TIMESTAMP_MILLIS] = "TIMESTAMP(MILLIS,UTC)",
	    [PQ_CT_TIMESTAMP_MICROS] = "TIMESTAMP(MICROS,UTC)",
	    [PQ_CT_UINT_8] = "INT(8,UNSIGNED)",
	    [PQ_CT_UINT_16] = "INT(16,UNSIGNED)",
	    [PQ_CT_UINT_32] = "INT(32,UNSIGNED)",
	    [PQ_CT_UINT_64] = "INT(64,UNSIGNED)",
	    [PQ_CT_INT_8] = "INT(8,SIGNED)",
	    [PQ_CT_INT_16] = "INT(16,SIGNED)",
	    [PQ_CT_INT_32] = "INT(32,SIGNED)",
	    [PQ_CT_INT_64] = "INT(64,SIGNED)",
	    [PQ_CT_JSON] = "JSON",
	    [PQ_CT_BSON] = "BSON",
	    [PQ_CT_INTERVAL] = "INTERVAL",
	};

	buf[0] = '\0';
	switch (l->kind) {
	case PQ_LT_NONE:
		break;
	case PQ_LT_STRING:
		snprintf(buf, n, "STRING");
		return;
	case PQ_LT_MAP:
		snprintf(buf, n, "MAP");
		return;
	case PQ_LT_LIST:
		snprintf(buf, n, "LIST");
		return;
	case PQ_LT_ENUM:
		snprintf(buf, n, "ENUM");
		return;
	case PQ_LT_DECIMAL:
		snprintf(buf, n, "DECIMAL(%" PRId32 ",%" PRId32 ")", l->precision, l->scale);
		return;
	case PQ_LT_DATE:
		snprintf(buf, n, "DATE");
		return;
	case PQ_LT_TIME:
		snprintf(buf, n, "TIME(%s,%s)", unit_name(l->unit), l->utc ? "UTC" : "LOCAL");
		return;
	case PQ_LT_TIMESTAMP:
		snprintf(buf, n, "TIMESTAMP(%s,%s)", unit_name(l->unit), l->utc ? "UTC" : "LOCAL");
		return;
	case PQ_LT_INTEGER:
		snprintf(buf, n, "INT(%d,%s)", l->bit_width, l->is_signed ? "SIGNED" : "UNSIGNED");
		return;
	case PQ_LT_UNKNOWN:
		snprintf(buf, n, "NULL");
		return;
	case PQ_LT_JSON:
		snprintf(buf, n, "JSON");
		return;
	case PQ_LT_BSON:
		snprintf(buf, n, "BSON");
		return;
	case PQ_LT_UUID:
		snprintf(buf, n, "UUID");
		return;
	case PQ_LT_FLOAT16:
		snprintf(buf, n, "FLOAT16");
		return;
	default:
		snprintf(buf, n, "UNKNOWN");
		return;
	}
	if (!e->has_converted)
		return;
	if (e->converted == PQ_CT_DECIMAL)
		snprintf(buf, n, "DECIMAL(%" PRId32 ",%" PRId32 ")", e->precision, e->scale);
	else if ((size_t)e->converted < sizeof(converted) / sizeof(converted[0]) &&
	         converted[e->converted])
		snprintf(buf, n, "%s", converted[e->converted]);
}

/* ---- types -------------------------------------------------------------------- */

static int is_decimal(const struct pq_schema_element *e, int32_t *scale)
{
	if (e->logical.kind == PQ_LT_DECIMAL) {
		*scale = e->logical.scale;
		return 1;
	}
	if (e->logical.kind == PQ_LT_NONE && e->has_converted && e->converted == PQ_CT_DECIMAL) {
		*scale = e->scale;
		return 1;
	}
	return 0;
}

/* Whether E is an unsigned integer; *bits is its width (0 when not said). */
static int is_unsigned(const struct pq_schema_element *e, int *bits)
{
	*bits = 0;
	if (e->logical.kind == PQ_LT_INTEGER) {
		*bits = e->logical.bit_width;
		return !e->logical.is_signed;
	}
	if (e->logical.kind != PQ_LT_NONE || !e->has_converted)
		return 0;
	switch (e->converted) {
	case PQ_CT_UINT_8:
		*bits = 8;
		return 1;
	case PQ_CT_UINT_16:
		*bits = 16;
		return 1;
	case PQ_CT_UINT_32:
		*bits = 32;
		return 1;
	case PQ_CT_UINT_64:
		*bits = 64;
		return 1;
	default:
		return 0;
	}
}

static enum pq_time_unit timestamp_unit(const struct pq_schema_element *e)
{
	if (e->logical.kind == PQ_LT_TIMESTAMP)
		return e->logical.unit;
	if (e->logical.kind == PQ_LT_NONE && e->has_converted) {
		if (e->converted == PQ_CT_TIMESTAMP_MILLIS)
			return PQ_UNIT_MILLIS;
		if (e->converted == PQ_CT_TIMESTAMP_MICROS)
			return PQ_UNIT_MICROS;
	}
	return PQ_UNIT_NONE;
}

static void leaf_set(struct pq_leaf *lf, enum pq_kind kind, enum pq_conv conv, size_t width,
                     enum vitals_type type)
{
	lf->kind = kind;
	lf->conv = conv;
	lf->width = width;
	lf->type = type;
	switch (type) {
	case VITALS_TYPE_BOOL:
		lf->out_width = 1;
		break;
	case VITALS_TYPE_INT32:
		lf->out_width = 4;
		break;
	case VITALS_TYPE_STRING:
		lf->out_width = 0;
		break;
	default:
		lf->out_width = 8;
		break;
	}
}

/* Map the leaf E to a vitals type; 0, or a status with the reason in WHY. */
static int leaf_map(struct pq_leaf *lf, const struct pq_schema_element *e, char *why, size_t n)
{
	int32_t scale = 0;
	int dec = is_decimal(e, &scale), bits, uns = is_unsigned(e, &bits);
	enum pq_time_unit unit = timestamp_unit(e);

	lf->name = e->name;
	lf->phys = e->type;
	lf->nullable = e->has_repetition && e->repetition == PQ_OPTIONAL;
	lf->unsigned_order = uns;
	if (dec && (scale < 0 || scale > 38)) {
		snprintf(why, n, "DECIMAL scale %" PRId32 " is out of range", scale);
		return VITALS_E_PARSE;
	}
	lf->scale = scale;
	if (e->type == PQ_FIXED_LEN_BYTE_ARRAY)
		snprintf(lf->physical, sizeof(lf->physical), "FIXED_LEN_BYTE_ARRAY(%" PRId32 ")",
		         e->type_length);
	else
		snprintf(lf->physical, sizeof(lf->physical), "%s", pq_physical_name(e->type));
	logical_text(lf->logical, sizeof(lf->logical), e);

	switch (e->type) {
	case PQ_BOOLEAN:
		leaf_set(lf, KIND_BOOL, CONV_COPY, 0, VITALS_TYPE_BOOL);
		break;
	case PQ_INT32:
		if (dec)
			leaf_set(lf, KIND_FIXED, CONV_DEC32, 4, VITALS_TYPE_DOUBLE);
		else if (uns && bits == 32)
			leaf_set(lf, KIND_FIXED, CONV_U32, 4, VITALS_TYPE_INT64);
		else
			leaf_set(lf, KIND_FIXED, CONV_COPY, 4, VITALS_TYPE_INT32);
		break;
	case PQ_INT64:
		if (dec)
			leaf_set(lf, KIND_FIXED, CONV_DEC64, 8, VITALS_TYPE_DOUBLE);
		else if (unit == PQ_UNIT_MILLIS)
			leaf_set(lf, KIND_FIXED, CONV_MILLIS, 8, VITALS_TYPE_TIMESTAMP);
		else if (unit == PQ_UNIT_MICROS)
			leaf_set(lf, KIND_FIXED, CONV_COPY, 8, VITALS_TYPE_TIMESTAMP);
		else if (unit == PQ_UNIT_NANOS)
			leaf_set(lf, KIND_FIXED, CONV_NANOS, 8, VITALS_TYPE_TIMESTAMP);
		else if (e->logical.kind == PQ_LT_TIMESTAMP) {
			snprintf(why, n, "TIMESTAMP without a known unit");
			return VITALS_E_UNSUPPORTED;
		} else
			leaf_set(lf, KIND_FIXED, CONV_COPY, 8, VITALS_TYPE_INT64);
		break;
	case PQ_INT96:
		leaf_set(lf, KIND_FIXED, CONV_INT96, 12, VITALS_TYPE_TIMESTAMP);
		lf->unsigned_order = 1; /* INT96 statistics have no defined order */
		break;
	case PQ_FLOAT:
		leaf_set(lf, KIND_FIXED, CONV_FLOAT, 4, VITALS_TYPE_DOUBLE);
		break;
	case PQ_DOUBLE:
		leaf_set(lf, KIND_FIXED, CONV_COPY, 8, VITALS_TYPE_DOUBLE);
		break;
	case PQ_BYTE_ARRAY:
		if (dec)
			leaf_set(lf, KIND_BYTES, CONV_DECBE, 0, VITALS_TYPE_DOUBLE);
		else
			leaf_set(lf, KIND_BYTES, CONV_BYTES, 0, VITALS_TYPE_STRING);
		lf->unsigned_order = 1;
		break;
	case PQ_FIXED_LEN_BYTE_ARRAY:
		if (e->type_length <= 0 || e->type_length > FLBA_MAX) {
			snprintf(why, n, "FIXED_LEN_BYTE_ARRAY length %" PRId32 " is out of range",
			         e->type_length);
			return VITALS_E_PARSE;
		}
		if (dec && e->type_length <= 16)
			leaf_set(lf, KIND_FIXED, CONV_DECBE, (size_t)e->type_length,
			         VITALS_TYPE_DOUBLE);
		else if (e->logical.kind == PQ_LT_FLOAT16 && e->type_length == 2)
			leaf_set(lf, KIND_FIXED, CONV_HALF, 2, VITALS_TYPE_DOUBLE);
		else
			leaf_set(lf, KIND_BYTES, CONV_BYTES, (size_t)e->type_length,
			         VITALS_TYPE_STRING);
		lf->unsigned_order = 1;
		break;
	default:
		snprintf(why, n, "physical type %d is not supported", (int)e->type);
		return VITALS_E_UNSUPPORTED;
	}
	return VITALS_OK;
}

/* ---- value conversion ------------------------------------------------------ */

static int64_t floor_div1000(int64_t v)
{
	int64_t q = v / 1000;

	return (v % 1000 < 0) ? q - 1 : q;
}

/* The unscaled big-endian two's complement integer at P (LEN <= 16) over 10^SCALE. */
static int be_decimal(const uint8_t *p, size_t len, int32_t scale, double *out)
{
	unsigned __int128 u = 0;
	__int128 v;

	if (len > 16)
		return -1;
	if (len && (p[0] & 0x80))
		u = ~(unsigned __int128)0;
	for (size_t i = 0; i < len; i++)
		u = (u << 8) | p[i];
	v = (__int128)u;
	*out = (double)v / pow10_table[scale];
	return 0;
}

static double half_to_double(uint16_t h)
{
	int exp = (h >> 10) & 0x1f;
	int mant = h & 0x3ff;
	double v;

	if (exp == 0)
		v = ldexp(mant, -24);
	else if (exp == 31)
		v = mant ? NAN : INFINITY;
	else
		v = ldexp(mant + 1024, exp - 25);
	return (h & 0x8000) ? -v : v;
}

/*
 * Turn N fixed-width physical values at SRC (lf->width bytes each) into N
 * output values at DST. -1 with *bad set for a value out of range.
 */
static int convert_fixed(const struct pq_leaf *lf, const uint8_t *src, void *dst, size_t n,
                         size_t *bad)
{
	int64_t *d64 = dst;
	double *df = dst;

	switch (lf->conv) {
	case CONV_COPY:
		if (n)
			memcpy(dst, src, n * lf->width);
		return 0;
	case CONV_U32:
		for (size_t i = 0; i < n; i++)
			d64[i] = (int64_t)le32_get(src + 4 * i);
		return 0;
	case CONV_FLOAT:
		for (size_t i = 0; i < n; i++) {
			float f;
			memcpy(&f, src + 4 * i, 4);
			df[i] = f;
		}
		return 0;
	case CONV_MILLIS:
		for (size_t i = 0; i < n; i++)
			if (__builtin_mul_overflow((int64_t)le64_get(src + 8 * i), 1000, &d64[i])) {
				*bad = i;
				return -1;
			}
		return 0;
	case CONV_NANOS:
		for (size_t i = 0; i < n; i++)
			d64[i] = floor_div1000((int64_t)le64_get(src + 8 * i));
		return 0;
	case CONV_INT96:
		for (size_t i = 0; i < n; i++) {
			int64_t nanos = (int64_t)le64_get(src + 12 * i);
			int64_t day = (int32_t)le32_get(src + 12 * i + 8);
			int64_t us;
			if (__builtin_mul_overflow(day - JULIAN_EPOCH, US_PER_DAY, &us) ||
			    __builtin_add_overflow(us, floor_div1000(nanos), &d64[i])) {
				*bad = i;
				return -1;
			}
		}
		return 0;
	case CONV_DEC32:
		for (size_t i = 0; i < n; i++)
			df[i] = (double)(int32_t)le32_get(src + 4 * i) / pow10_table[lf->scale];
		return 0;
	case CONV_DEC64:
		for (size_t i = 0; i < n; i++)
			df[i] = (double)(int64_t)le64_get(src + 8 * i) / pow10_table[lf->scale];
		return 0;
	case CONV_DECBE:
		for (size_t i = 0; i < n; i++)
			be_decimal(src + lf->width * i, lf->width, lf->scale, &df[i]);
		return 0;
	case CONV_HALF:
		for (size_t i = 0; i < n; i++)
			df[i] = half_to_double((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
		return 0;
	case CONV_BYTES:
		break;
	}
	*bad = 0;
	return -1;
}

/* Spread N - K nulls among the K values packed at the front of a column's rows. */
static void expand(struct vitals_column *col, size_t row0, size_t n, size_t k, const uint8_t *valid)
{
	switch (col->type) {
	case VITALS_TYPE_BOOL: {
		uint8_t *d = col->v.b + row0;
		for (size_t i = n; i-- > 0;)
			d[i] = valid[i] ? d[--k] : 0;
		break;
	}
	case VITALS_TYPE_INT32: {
		int32_t *d = col->v.i32 + row0;
		for (size_t i = n; i-- > 0;)
			d[i] = valid[i] ? d[--k] : 0;
		break;
	}
	case VITALS_TYPE_STRING:
		break;
	default: {
		/* Without branches: a page's nulls come in no predictable order. */
		int64_t *d = col->v.i64 + row0;
		for (size_t i = n; i-- > 0;) {
			int64_t v;
			k -= valid[i];
			v = d[k < n ? k : 0];
			d[i] = v & -(int64_t)valid[i];
		}
		break;
	}
	}
}

/* The number of ones among N bytes that are each 0 or 1. */
static size_t count_ones(const uint8_t *v, size_t n)
{
	size_t k = 0, i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, v + i, 8);
		k += (size_t)((w * UINT64_C(0x0101010101010101)) >> 56);
	}
	for (; i < n; i++)
		k += v[i];
	return k;
}

/* ---- pages -------------------------------------------------------------------- */

/* The most bytes a page of N compressed bytes can honestly expand to with codec C. */
static uint64_t expand_bound(int32_t c, size_t n)
{
	switch (c) {
	case VITALS_CODEC_SNAPPY:
		return (uint64_t)n * 24 + 64;
	case VITALS_CODEC_GZIP:
		return (uint64_t)n * 1040 + 4096;
	case VITALS_CODEC_LZ4_RAW:
		return (uint64_t)n * 256 + 64;
	case VITALS_CODEC_ZSTD:
		return (uint64_t)n * 65536 + 4096;
	default:
		return PAGE_MAX;
	}
}

/* The N bytes at SRC of a page, decompressed into pr->page when CODEC compresses them. */
static int page_data(struct pq_rd *pr, const struct pq_ctx *c, int32_t codec, const uint8_t *src,
                     size_t n, int64_t usize, const uint8_t **out, size_t *len)
{
	char err[160];
	int rc;

	if (codec == VITALS_CODEC_NONE) {
		*out = src;
		*len = n;
		return VITALS_OK;
	}
	if (usize < 0 || (uint64_t)usize > PAGE_MAX)
		return ctx_fail(c, VITALS_E_PARSE,
		                "uncompressed size %" PRId64 " is out of range (at most 1 GiB)",
		                usize);
	if ((uint64_t)usize > expand_bound(codec, n))
		return ctx_fail(c, VITALS_E_PARSE,
		                "uncompressed size %" PRId64
		                " cannot come from %zu compressed bytes",
		                usize, n);
	*len = (size_t)usize;
	if (usize == 0) {
		*out = src;
		return VITALS_OK;
	}
	if (buf_want(&pr->page, (size_t)usize) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for a page of %" PRId64 " bytes",
		                usize);
	err[0] = '\0';
	rc = codec_decompress(&pr->codec, codec, src, n, pr->page.p, (size_t)usize, err,
	                      sizeof(err));
	if (rc < 0)
		return ctx_fail(c, rc == VITALS_E_UNSUPPORTED ? rc : VITALS_E_PARSE, "%s",
		                err[0] ? err : "cannot decompress");
	*out = pr->page.p;
	return VITALS_OK;
}

static int unsupported_encoding(const struct pq_ctx *c, const struct pq_leaf *lf, int32_t enc)
{
	const char *name = pq_encoding_name(enc);

	if (strcmp(name, "?") == 0)
		return ctx_fail(c, VITALS_E_UNSUPPORTED, "unknown encoding %" PRId32, enc);
	return ctx_fail(c, VITALS_E_UNSUPPORTED, "encoding %s is not supported for %s values", name,
	                lf->physical);
}

/*
 * The most values of leaf LF that LEN bytes in encoding ENC can hold, so
 * that no count read from the file sizes an allocation on its own. Run
 * lengths (levels, dictionary indices, RLE booleans) can honestly say
 * anything; the others need bytes for each value.
 */
static size_t values_bound(const struct pq_leaf *lf, int32_t enc, size_t len)
{
	switch (enc) {
	case PQ_ENC_PLAIN:
		if (lf->kind == KIND_BOOL)
			return len > SIZE_MAX / 8 ? SIZE_MAX : len * 8;
		if (lf->phys == PQ_BYTE_ARRAY)
			return len / 4;
		return len / lf->width;
	case PQ_ENC_BYTE_STREAM_SPLIT:
		return lf->width ? len / lf->width : 0;
	case PQ_ENC_DELTA_BINARY_PACKED:
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
	case PQ_ENC_DELTA_BYTE_ARRAY:
		/* A block of 128 deltas takes at least 5 bytes (min delta, 4 bit widths). */
		return len > (SIZE_MAX - 256) / 32 ? SIZE_MAX : len * 32 + 256;
	case PQ_ENC_PLAIN_DICTIONARY:
	case PQ_ENC_RLE_DICTIONARY:
		return len ? SIZE_MAX : 0;
	default:
		return SIZE_MAX;
	}
}

static int values_short(const struct pq_ctx *c, const struct pq_leaf *lf, int32_t enc, size_t n,
                        size_t len)
{
	return ctx_fail(c, VITALS_E_PARSE, "%zu %s values cannot fit in %zu bytes of %s", n,
	                lf->physical, len, pq_encoding_name(enc));
}

/* Room for ROWS rows and TEXT more string bytes in COL. */
static int column_room(const struct pq_ctx *c, struct vitals_column *col, size_t rows, size_t text)
{
	if (text > BATCH_TEXT_MAX || c->text_before + col->data_len > BATCH_TEXT_MAX - text)
		return ctx_fail(c, VITALS_E_UNSUPPORTED,
		                "more than %" PRIu64 " GiB of text in one row group",
		                BATCH_TEXT_MAX >> 30);
	if (vitals_column_reserve(col, rows, col->data_len + text) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu rows", rows);
	return VITALS_OK;
}

/* Copy LEN bytes; with SLACK, COPY_SLACK bytes may be read at SRC and written at DST. */
static inline void copy_string(char *dst, const void *src, size_t len, int slack)
{
	if (slack && len <= COPY_SLACK)
		memcpy(dst, src, COPY_SLACK);
	else
		memcpy(dst, src, len);
}

/*
 * Append the page's strings (V: its nonnull values) to COL. SLACK: every
 * value may be read COPY_SLACK bytes past its start.
 */
static int emit_strings(const struct pq_ctx *c, struct vitals_column *col, const struct pq_page *pg,
                        const struct pq_bytes *v, int slack)
{
	size_t total = 0, pos, k = 0;
	uint64_t *off;
	char *data;
	int rc;

	for (size_t i = 0; i < pg->nonnull; i++)
		total += v[i].len;
	rc = column_room(c, col, pg->row0 + pg->n, total + COPY_SLACK);
	if (rc < 0)
		return rc;
	off = col->v.off + pg->row0;
	data = col->data;
	pos = col->data_len;
	if (!pg->valid) {
		for (size_t i = 0; i < pg->n; i++) {
			copy_string(data + pos, v[i].p, v[i].len, slack);
			pos += v[i].len;
			off[i + 1] = pos;
		}
	} else {
		for (size_t i = 0; i < pg->n; i++) {
			if (pg->valid[i]) {
				copy_string(data + pos, v[k].p, v[k].len, slack);
				pos += v[k].len;
				k++;
			}
			off[i + 1] = pos;
		}
	}
	col->data_len = pos;
	return VITALS_OK;
}

static int bad_index(const struct pq_rd *pr, const struct pq_ctx *c, uint32_t x)
{
	return ctx_fail(c, VITALS_E_PARSE,
	                "dictionary index %" PRIu32 " out of range (dictionary has %zu values)", x,
	                pr->dict_count);
}

/* The first of IDX[0..N) that is not below the dictionary's size, or -1 when none. */
static int64_t index_check(const struct pq_rd *pr, const uint32_t *idx, size_t n)
{
	size_t nd = pr->dict_count;

	for (size_t i = 0; i < n; i++)
		if (idx[i] >= nd)
			return (int64_t)idx[i];
	return -1;
}

/* Append the page's dictionary strings (IDX: indices of its nonnull values) to COL. */
static int emit_dict_strings(struct pq_rd *pr, const struct pq_ctx *c, struct vitals_column *col,
                             const struct pq_page *pg, const uint32_t *idx)
{
	const uint64_t *doff = pr->dict_off.p;
	const char *ddata = pr->dict_data.p;
	size_t total = 0, pos, k = 0;
	uint64_t *off;
	char *data;
	int rc;

	for (size_t i = 0; i < pg->nonnull; i++) {
		if (idx[i] >= pr->dict_count)
			return bad_index(pr, c, idx[i]);
		total += doff[idx[i] + 1] - doff[idx[i]];
	}
	rc = column_room(c, col, pg->row0 + pg->n, total + COPY_SLACK);
	if (rc < 0)
		return rc;
	off = col->v.off + pg->row0;
	data = col->data;
	pos = col->data_len;
	for (size_t i = 0; i < pg->n; i++) {
		if (!pg->valid || pg->valid[i]) {
			size_t len = doff[idx[k] + 1] - doff[idx[k]];
			copy_string(data + pos, ddata + doff[idx[k]], len, 1);
			pos += len;
			k++;
		}
		off[i + 1] = pos;
	}
	col->data_len = pos;
	return VITALS_OK;
}

/* The kept rows among the N from ROW0: pr->keep[*A .. *B). */
static void page_kept(const struct pq_rd *pr, size_t row0, size_t n, size_t *a, size_t *b)
{
	const uint32_t *keep = pr->keep.p;
	size_t lo = 0, hi = pr->nkeep;

	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (keep[m] < row0)
			lo = m + 1;
		else
			hi = m;
	}
	*a = lo;
	hi = pr->nkeep;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (keep[m] < row0 + n)
			lo = m + 1;
		else
			hi = m;
	}
	*b = lo;
}

/* The index among the page's values of kept row T, at row I of the page. */
static inline size_t kept_value(const struct pq_page *pg, size_t t, size_t i)
{
	return pg->before ? pg->before[t - pg->ka] : i;
}

/*
 * Append to COL the strings of the page's kept rows only: V holds its
 * nonnull values, or IDX the dictionary index of each kept row. The other
 * rows get no offset, as compact() reads none of theirs. SLACK as for
 * emit_strings().
 */
static int emit_kept(struct pq_rd *pr, const struct pq_ctx *c, struct vitals_column *col,
                     const struct pq_page *pg, const struct pq_bytes *v, const uint32_t *idx,
                     int slack)
{
	const uint32_t *keep = pr->keep.p;
	const uint64_t *doff = pr->dict_off.p;
	const char *ddata = pr->dict_data.p;
	size_t total = 0, pos = col->data_len;
	int rc;

	/* Twice: the bytes they need, then the strings. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			rc = column_room(c, col, pg->row0 + pg->n, total + COPY_SLACK);
			if (rc < 0)
				return rc;
		}
		for (size_t t = pg->ka; t < pg->kb; t++) {
			size_t i = keep[t] - pg->row0, k, len;
			const char *src;

			if (pg->valid && !pg->valid[i]) {
				if (pass)
					col->v.off[keep[t] + 1] = pos;
				continue;
			}
			if (idx) {
				k = idx[t - pg->ka];
				len = doff[k + 1] - doff[k];
				src = ddata + doff[k];
			} else {
				k = kept_value(pg, t, i);
				len = v[k].len;
				src = (const char *)v[k].p;
			}
			if (!pass) {
				total += len;
				continue;
			}
			copy_string(col->data + pos, src, len, slack);
			pos += len;
			col->v.off[keep[t] + 1] = pos;
		}
	}
	col->data_len = pos;
	return VITALS_OK;
}

/*
 * Drop from pr->sel the rows of the page whose dictionary entry fails
 * pr->match, run by run: a repeated index is looked up once for its run.
 * For a page without nulls.
 */
static int match_dict_runs(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_page *pg,
                           unsigned bw)
{
	const uint8_t *dm = pr->dict_match.p;
	uint8_t *s = pr->sel + pg->row0;
	struct enc_rle_runs it;
	struct enc_rle_run run;
	uint32_t tmp[256];
	size_t i = 0, nd = pr->dict_count;
	/* Indices of BW bits cannot pass a dictionary of 2^BW values or more. */
	int check = bw == 32 || ((uint64_t)1 << bw) > nd;
	int rc = enc_rle_runs_init(&it, pg->p + 1, pg->len - 1, (int)bw, pg->n);

	while (rc == 0 && (rc = enc_rle_runs_next(&it, &run)) > 0) {
		rc = 0;
		if (run.count == 0)
			continue;
		if (!run.packed) {
			if (run.value >= nd)
				return bad_index(pr, c, run.value);
			if (!dm[run.value])
				memset(s + i, 0, run.count);
			i += run.count;
			continue;
		}
		for (size_t j = 0; j < run.count; j += sizeof(tmp) / sizeof(tmp[0])) {
			size_t k = run.count - j;

			if (k > sizeof(tmp) / sizeof(tmp[0]))
				k = sizeof(tmp) / sizeof(tmp[0]);
			enc_rle_run_unpack(&run, j, tmp, k);
			for (size_t q = 0; q < k; q++) {
				if (check && tmp[q] >= nd)
					return bad_index(pr, c, tmp[q]);
				s[i + q] &= dm[tmp[q]];
			}
			i += k;
		}
	}
	if (rc < 0)
		return ctx_fail(c, VITALS_E_PARSE, "dictionary indices are corrupt or cut short");
	return VITALS_OK;
}

/* Drop from pr->sel the rows of the page whose dictionary entry (IDX) fails pr->match. */
static int match_dict(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_page *pg,
                      const uint32_t *idx)
{
	const uint8_t *dm = pr->dict_match.p;
	uint8_t *s = pr->sel + pg->row0;
	size_t k = 0, nd = pr->dict_count;

	for (size_t i = 0; i < pg->n; i++) {
		if (!pg->valid[i]) {
			s[i] = 0;
			continue;
		}
		if (idx[k] >= nd)
			return bad_index(pr, c, idx[k]);
		s[i] &= dm[idx[k++]];
	}
	return VITALS_OK;
}

/* Drop from pr->sel the rows of the page whose value (V: the nonnull ones) fails pr->match. */
static void match_views(struct pq_rd *pr, const struct pq_page *pg, const struct pq_bytes *v)
{
	uint8_t *s = pr->sel + pg->row0;
	size_t k = 0;

	for (size_t i = 0; i < pg->n; i++) {
		if (pg->valid && !pg->valid[i]) {
			s[i] = 0;
			continue;
		}
		if (s[i] && !store_filter_match(pr->match, (const char *)v[k].p, v[k].len))
			s[i] = 0;
		k++;
	}
}

/*
 * The dictionary values of the page's kept rows only, straight to their
 * rows: only their indices are decoded, at their positions among the
 * page's values (BW: the indices' bit width).
 */
static int dict_kept(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                     struct vitals_column *col, const struct pq_page *pg, unsigned bw)
{
	const uint32_t *keep = pr->keep.p;
	size_t m = pg->kb - pg->ka, n = pg->nonnull;
	uint32_t *pos, *idx;
	int64_t bad;

	if (buf_want(&pr->pos, m * sizeof(uint32_t)) < 0 ||
	    buf_want(&pr->idx, m * sizeof(uint32_t)) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu dictionary indices", m);
	pos = pr->pos.p;
	idx = pr->idx.p;
	for (size_t t = pg->ka; t < pg->kb; t++) {
		size_t k = kept_value(pg, t, keep[t] - pg->row0);
		/* A null row takes the next value's index (n > 0), which it does not use. */
		pos[t - pg->ka] = (uint32_t)(k < n ? k : n - 1);
	}
	if (enc_rle_decode_at(pg->p + 1, pg->len - 1, (int)bw, n, pos, m, idx) < 0)
		return ctx_fail(c, VITALS_E_PARSE, "dictionary indices are corrupt or cut short");
	bad = index_check(pr, idx, m);
	if (bad >= 0)
		return bad_index(pr, c, (uint32_t)bad);
	if (lf->out_width == 0)
		return emit_kept(pr, c, col, pg, NULL, idx, 1);
	for (size_t t = pg->ka; t < pg->kb; t++) {
		size_t row = keep[t], x = idx[t - pg->ka];
		int ok = !pg->valid || pg->valid[row - pg->row0];

		switch (lf->out_width) {
		case 1:
			col->v.b[row] = ok ? ((const uint8_t *)pr->dict_vals.p)[x] : 0;
			break;
		case 4:
			col->v.i32[row] = ok ? ((const int32_t *)pr->dict_vals.p)[x] : 0;
			break;
		default:
			col->v.i64[row] = ok ? ((const int64_t *)pr->dict_vals.p)[x] : 0;
			break;
		}
	}
	return 1; /* nulls placed */
}

static int values_dict(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                       struct vitals_column *col, const struct pq_page *pg)
{
	size_t n = pg->nonnull, nd = pr->dict_count;
	uint32_t *idx;
	unsigned bw;

	if (!pr->has_dict)
		return ctx_fail(c, VITALS_E_PARSE,
		                "dictionary-encoded values but no dictionary page");
	if (pr->match && pr->dict_hits == 0) {
		/* No entry passes: no row of the page does, whatever its index. */
		memset(pr->sel + pg->row0, 0, pg->n);
		return VITALS_OK;
	}
	if (pr->match && pr->dict_hits == pr->dict_count && !pg->valid)
		return VITALS_OK; /* every entry passes, and no row is null */
	if (pg->len < 1)
		return ctx_fail(c, VITALS_E_PARSE, "dictionary indices are missing");
	bw = pg->p[0];
	if (bw > 32)
		return ctx_fail(c, VITALS_E_PARSE, "dictionary index bit width %u is more than 32",
		                bw);
	if (pr->match && !pg->valid)
		return match_dict_runs(pr, c, pg, bw);
	if (pr->keep_on)
		return dict_kept(pr, c, lf, col, pg, bw);
	if (buf_want(&pr->idx, n * sizeof(uint32_t)) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu dictionary indices", n);
	idx = pr->idx.p;
	if (enc_rle_decode(pg->p + 1, pg->len - 1, (int)bw, idx, n) < 0)
		return ctx_fail(c, VITALS_E_PARSE, "dictionary indices are corrupt or cut short");
	if (pr->match)
		return match_dict(pr, c, pg, idx);
	/* Each index is checked where it is used, before it is. */
	switch (lf->out_width) {
	case 0:
		return emit_dict_strings(pr, c, col, pg, idx);
	case 1: {
		const uint8_t *d = pr->dict_vals.p;
		uint8_t *o = col->v.b + pg->row0;
		for (size_t i = 0; i < n; i++) {
			if (idx[i] >= nd)
				return bad_index(pr, c, idx[i]);
			o[i] = d[idx[i]];
		}
		break;
	}
	case 4: {
		const int32_t *d = pr->dict_vals.p;
		int32_t *o = col->v.i32 + pg->row0;
		for (size_t i = 0; i < n; i++) {
			if (idx[i] >= nd)
				return bad_index(pr, c, idx[i]);
			o[i] = d[idx[i]];
		}
		break;
	}
	default: {
		const int64_t *d = pr->dict_vals.p;
		int64_t *o = col->v.i64 + pg->row0;
		for (size_t i = 0; i < n; i++) {
			if (idx[i] >= nd)
				return bad_index(pr, c, idx[i]);
			o[i] = d[idx[i]];
		}
		break;
	}
	}
	return VITALS_OK;
}

static int values_bool(const struct pq_ctx *c, const struct pq_leaf *lf, const struct pq_page *pg,
                       uint8_t *dst)
{
	size_t n = pg->nonnull;
	uint32_t len;

	switch (pg->encoding) {
	case PQ_ENC_PLAIN:
		if (enc_plain_decode_bool(pg->p, pg->len, dst, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE, "%zu booleans do not fit in %zu bytes",
			                n, pg->len);
		return VITALS_OK;
	case PQ_ENC_RLE:
		if (pg->len < 4)
			return ctx_fail(c, VITALS_E_PARSE, "RLE booleans are missing their length");
		len = le32_get(pg->p);
		if (len > pg->len - 4)
			return ctx_fail(c, VITALS_E_PARSE,
			                "RLE booleans of %" PRIu32 " bytes run past the page", len);
		if (enc_rle_decode_u8(pg->p + 4, len, 1, dst, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE, "RLE booleans are corrupt or cut short");
		return VITALS_OK;
	default:
		return unsupported_encoding(c, lf, pg->encoding);
	}
}

/* Decode into pr->views the N byte array values of ENC at P (LEN bytes) of leaf LF. */
static int decode_views(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                        int32_t enc, const uint8_t *p, size_t len, size_t n)
{
	struct pq_bytes *v;
	size_t used, w = lf->width;

	if (n > values_bound(lf, enc, len))
		return values_short(c, lf, enc, n, len);
	if (buf_want(&pr->views, n ? n * sizeof(*v) : 1) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu values", n);
	v = pr->views.p;
	switch (enc) {
	case PQ_ENC_PLAIN:
		if (lf->phys == PQ_BYTE_ARRAY) {
			if (n > len / 4 || enc_plain_decode_bytes(p, len, v, n, &used) < 0)
				return ctx_fail(c, VITALS_E_PARSE,
				                "%zu byte arrays do not fit in %zu bytes", n, len);
			return VITALS_OK;
		}
		if (n > len / w)
			return ctx_fail(c, VITALS_E_PARSE,
			                "%zu values of %zu bytes do not fit in %zu bytes", n, w,
			                len);
		for (size_t i = 0; i < n; i++) {
			v[i].p = p + i * w;
			v[i].len = (uint32_t)w;
		}
		return VITALS_OK;
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
		if (lf->phys != PQ_BYTE_ARRAY)
			break;
		if (enc_delta_length_decode(p, len, v, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE,
			                "DELTA_LENGTH_BYTE_ARRAY values are corrupt or cut short");
		return VITALS_OK;
	case PQ_ENC_DELTA_BYTE_ARRAY:
		if (enc_delta_byte_array_decode(p, len, v, n, &pr->dba) < 0)
			return ctx_fail(c, VITALS_E_PARSE,
			                "DELTA_BYTE_ARRAY values are corrupt or cut short");
		if (lf->phys == PQ_FIXED_LEN_BYTE_ARRAY)
			for (size_t i = 0; i < n; i++)
				if (v[i].len != w)
					return ctx_fail(c, VITALS_E_PARSE,
					                "value %zu has %" PRIu32 " bytes, not %zu",
					                i, v[i].len, w);
		return VITALS_OK;
	case PQ_ENC_BYTE_STREAM_SPLIT:
		if (lf->phys != PQ_FIXED_LEN_BYTE_ARRAY)
			break;
		if (n > len / w)
			return ctx_fail(c, VITALS_E_PARSE,
			                "%zu values of %zu bytes do not fit in %zu bytes", n, w,
			                len);
		if (buf_want(&pr->tmp, n * w + 1) < 0)
			return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu values", n);
		if (enc_bss_decode(p, n * w, w, pr->tmp.p, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE, "BYTE_STREAM_SPLIT values are corrupt");
		for (size_t i = 0; i < n; i++) {
			v[i].p = (const uint8_t *)pr->tmp.p + i * w;
			v[i].len = (uint32_t)w;
		}
		return VITALS_OK;
	default:
		break;
	}
	return unsupported_encoding(c, lf, enc);
}

/* Decimal byte arrays in pr->views into N doubles at DST. */
static int views_decimal(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                         double *dst, size_t n)
{
	const struct pq_bytes *v = pr->views.p;

	for (size_t i = 0; i < n; i++)
		if (be_decimal(v[i].p, v[i].len, lf->scale, &dst[i]) < 0)
			return ctx_fail(c, VITALS_E_UNSUPPORTED,
			                "DECIMAL value %zu of %" PRIu32
			                " bytes is too wide (at most 16)",
			                i, v[i].len);
	return VITALS_OK;
}

static int bad_value(const struct pq_ctx *c, const struct pq_leaf *lf, size_t i)
{
	return ctx_fail(c, VITALS_E_PARSE, "value %zu does not fit a %s column", i,
	                vitals_type_name(lf->type));
}

static int values_fixed(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                        const struct pq_page *pg, void *dst)
{
	size_t n = pg->nonnull, w = lf->width, bad;
	int copy = lf->conv == CONV_COPY;
	const uint8_t *src;
	void *target;
	int rc;

	switch (pg->encoding) {
	case PQ_ENC_PLAIN:
		if (n > pg->len / w)
			return ctx_fail(c, VITALS_E_PARSE,
			                "%zu values of %zu bytes do not fit in %zu bytes", n, w,
			                pg->len);
		src = pg->p;
		break;
	case PQ_ENC_DELTA_BINARY_PACKED:
		if (lf->phys != PQ_INT32 && lf->phys != PQ_INT64)
			return unsupported_encoding(c, lf, pg->encoding);
		if (!copy && buf_want(&pr->tmp, n * w) < 0)
			return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu values", n);
		target = copy ? dst : pr->tmp.p;
		rc = lf->phys == PQ_INT32 ? enc_delta_decode_i32(pg->p, pg->len, target, n, NULL)
		                          : enc_delta_decode_i64(pg->p, pg->len, target, n, NULL);
		if (rc < 0)
			return ctx_fail(c, VITALS_E_PARSE,
			                "DELTA_BINARY_PACKED values are corrupt or cut short");
		if (copy)
			return VITALS_OK;
		src = target;
		break;
	case PQ_ENC_BYTE_STREAM_SPLIT:
		if (lf->phys == PQ_INT96)
			return unsupported_encoding(c, lf, pg->encoding);
		if (n > pg->len / w)
			return ctx_fail(c, VITALS_E_PARSE,
			                "%zu values of %zu bytes do not fit in %zu bytes", n, w,
			                pg->len);
		if (!copy && buf_want(&pr->tmp, n * w) < 0)
			return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu values", n);
		target = copy ? dst : pr->tmp.p;
		if (enc_bss_decode(pg->p, n * w, w, target, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE, "BYTE_STREAM_SPLIT values are corrupt");
		if (copy)
			return VITALS_OK;
		src = target;
		break;
	case PQ_ENC_DELTA_BYTE_ARRAY:
		if (lf->phys != PQ_FIXED_LEN_BYTE_ARRAY)
			return unsupported_encoding(c, lf, pg->encoding);
		rc = decode_views(pr, c, lf, pg->encoding, pg->p, pg->len, n);
		if (rc < 0)
			return rc;
		if (buf_want(&pr->tmp, n * w) < 0)
			return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu values", n);
		for (size_t i = 0; i < n; i++)
			memcpy((uint8_t *)pr->tmp.p + i * w,
			       ((const struct pq_bytes *)pr->views.p)[i].p, w);
		src = pr->tmp.p;
		break;
	default:
		return unsupported_encoding(c, lf, pg->encoding);
	}
	if (convert_fixed(lf, src, dst, n, &bad) < 0)
		return bad_value(c, lf, bad);
	return VITALS_OK;
}

/*
 * expand() for the kept rows only: from the last down, so that no packed
 * value is overwritten before it is moved (a row's value is at or before
 * its row).
 */
static void expand_kept(const struct pq_rd *pr, struct vitals_column *col, const struct pq_page *pg)
{
	const uint32_t *keep = pr->keep.p;

	for (size_t t = pg->kb; t-- > pg->ka;) {
		size_t i = keep[t] - pg->row0, k = pg->before[t - pg->ka];
		int ok = pg->valid[i];

		switch (col->type) {
		case VITALS_TYPE_BOOL:
			col->v.b[pg->row0 + i] = ok ? col->v.b[pg->row0 + k] : 0;
			break;
		case VITALS_TYPE_INT32:
			col->v.i32[pg->row0 + i] = ok ? col->v.i32[pg->row0 + k] : 0;
			break;
		default:
			col->v.i64[pg->row0 + i] = ok ? col->v.i64[pg->row0 + k] : 0;
			break;
		}
	}
}

/* Decode the values of a data page into COL, nulls spread by pg->valid. */
static int page_values(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                       struct vitals_column *col, const struct pq_page *pg)
{
	void *dst;
	int rc;

	if (pg->nonnull == 0) {
		if (pr->match)
			memset(pr->sel + pg->row0, 0, pg->n); /* a null never passes */
		if (pr->keep_on) {
			/* Only the kept rows are read after. */
			const uint32_t *keep = pr->keep.p;

			for (size_t t = pg->ka; t < pg->kb; t++) {
				if (lf->type == VITALS_TYPE_STRING)
					col->v.off[keep[t] + 1] = col->data_len;
				else
					memset(col->v.b + keep[t] * lf->out_width, 0,
					       lf->out_width);
			}
		} else if (lf->type == VITALS_TYPE_STRING) {
			for (size_t i = 0; i < pg->n; i++)
				col->v.off[pg->row0 + i + 1] = col->data_len;
		} else if (pg->n) {
			memset(col->v.b + pg->row0 * lf->out_width, 0, pg->n * lf->out_width);
		}
		return VITALS_OK;
	}
	if (pg->nonnull > values_bound(lf, pg->encoding, pg->len))
		return values_short(c, lf, pg->encoding, pg->nonnull, pg->len);
	dst = col->v.b + pg->row0 * lf->out_width;
	if (pg->encoding == PQ_ENC_RLE_DICTIONARY || pg->encoding == PQ_ENC_PLAIN_DICTIONARY) {
		rc = values_dict(pr, c, lf, col, pg);
	} else if (lf->kind == KIND_BOOL) {
		rc = values_bool(c, lf, pg, dst);
	} else if (lf->kind == KIND_FIXED) {
		rc = values_fixed(pr, c, lf, pg, dst);
	} else {
		rc = decode_views(pr, c, lf, pg->encoding, pg->p, pg->len, pg->nonnull);
		if (rc < 0)
			return rc;
		if (lf->type == VITALS_TYPE_STRING && pr->match) {
			match_views(pr, pg, pr->views.p);
			return VITALS_OK;
		}
		if (lf->type == VITALS_TYPE_STRING && pr->keep_on)
			return emit_kept(pr, c, col, pg, pr->views.p, NULL,
			                 pg->encoding != PQ_ENC_DELTA_BYTE_ARRAY);
		if (lf->type == VITALS_TYPE_STRING)
			return emit_strings(c, col, pg, pr->views.p,
			                    pg->encoding != PQ_ENC_DELTA_BYTE_ARRAY);
		rc = views_decimal(pr, c, lf, dst, pg->nonnull);
	}
	if (rc != VITALS_OK || lf->type == VITALS_TYPE_STRING)
		return rc < 0 ? rc : VITALS_OK;
	if (pg->valid && pr->keep_on)
		expand_kept(pr, col, pg);
	else if (pg->valid)
		expand(col, pg->row0, pg->n, pg->nonnull, pg->valid);
	return VITALS_OK;
}

static int read_dictionary(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                           const struct pq_page_header *h, const uint8_t *body, int32_t codec)
{
	size_t nd = (size_t)h->dict_num_values, len, w = lf->width, bad;
	const uint8_t *p;
	int rc;

	if (pr->has_dict)
		return ctx_fail(c, VITALS_E_PARSE, "a second dictionary page");
	if (h->dict_encoding != PQ_ENC_PLAIN && h->dict_encoding != PQ_ENC_PLAIN_DICTIONARY)
		return ctx_fail(c, VITALS_E_UNSUPPORTED,
		                "dictionary page encoding %s is not supported",
		                pq_encoding_name(h->dict_encoding));
	rc = page_data(pr, c, codec, body, (size_t)h->compressed_size, h->uncompressed_size, &p,
	               &len);
	if (rc < 0)
		return rc;
	switch (lf->kind) {
	case KIND_BOOL:
		if (nd > len * 8)
			goto out_short;
		if (buf_want(&pr->dict_vals, nd ? nd : 1) < 0)
			goto out_nomem;
		if (enc_plain_decode_bool(p, len, pr->dict_vals.p, nd) < 0)
			goto out_short;
		break;
	case KIND_FIXED:
		if (nd > len / w)
			goto out_short;
		if (buf_want(&pr->dict_vals, nd ? nd * lf->out_width : 1) < 0)
			goto out_nomem;
		if (convert_fixed(lf, p, pr->dict_vals.p, nd, &bad) < 0)
			return ctx_fail(c, VITALS_E_PARSE,
			                "dictionary value %zu does not fit a %s column", bad,
			                vitals_type_name(lf->type));
		break;
	case KIND_BYTES: {
		const struct pq_bytes *v;
		uint64_t *off;
		size_t total = 0;

		if (nd > values_bound(lf, PQ_ENC_PLAIN, len))
			goto out_short;
		rc = decode_views(pr, c, lf, PQ_ENC_PLAIN, p, len, nd);
		if (rc < 0)
			return rc;
		v = pr->views.p;
		if (lf->type != VITALS_TYPE_STRING) {
			if (buf_want(&pr->dict_vals, nd ? nd * sizeof(double) : 1) < 0)
				goto out_nomem;
			rc = views_decimal(pr, c, lf, pr->dict_vals.p, nd);
			if (rc < 0)
				return rc;
			break;
		}
		for (size_t i = 0; i < nd; i++)
			total += v[i].len;
		if (buf_want(&pr->dict_off, (nd + 1) * sizeof(uint64_t)) < 0 ||
		    buf_want(&pr->dict_data, total ? total : 1) < 0)
			goto out_nomem;
		off = pr->dict_off.p;
		off[0] = 0;
		for (size_t i = 0; i < nd; i++) {
			memcpy((char *)pr->dict_data.p + off[i], v[i].p, v[i].len);
			off[i + 1] = off[i] + v[i].len;
		}
		if (pr->match) {
			/* Each entry compared once; the rows then test their index. */
			uint8_t *dm;

			if (buf_want(&pr->dict_match, nd ? nd : 1) < 0)
				goto out_nomem;
			dm = pr->dict_match.p;
			pr->dict_hits = 0;
			for (size_t i = 0; i < nd; i++) {
				dm[i] = (uint8_t)store_filter_match(pr->match, (const char *)v[i].p,
				                                    v[i].len);
				pr->dict_hits += dm[i];
			}
		}
		break;
	}
	}
	pr->dict_count = nd;
	pr->has_dict = 1;
	return VITALS_OK;
out_short:
	return ctx_fail(c, VITALS_E_PARSE, "a dictionary of %zu values does not fit in %zu bytes",
	                nd, len);
out_nomem:
	return ctx_fail(c, VITALS_E_NOMEM, "out of memory for a dictionary of %zu values", nd);
}

/* The RLE definition levels at the start of a v1 page (P, LEN): their *L bytes follow 4. */
static int levels_v1_rle(const struct pq_ctx *c, const uint8_t *p, size_t len, uint32_t *l)
{
	if (len < 4)
		return ctx_fail(c, VITALS_E_PARSE, "definition levels are missing");
	*l = le32_get(p);
	if (*l > len - 4)
		return ctx_fail(c, VITALS_E_PARSE,
		                "definition levels of %" PRIu32 " bytes run past the page", *l);
	return VITALS_OK;
}

/* Definition levels of a v1 page into VALID; *used is set to the bytes they took. */
static int levels_v1(const struct pq_ctx *c, const struct pq_page_header *h, const uint8_t *p,
                     size_t len, uint8_t *valid, size_t n, size_t *used)
{
	uint32_t l = 0;
	size_t bytes;
	int rc;

	switch (h->def_level_encoding) {
	case PQ_ENC_RLE:
		rc = levels_v1_rle(c, p, len, &l);
		if (rc < 0)
			return rc;
		if (enc_rle_decode_u8(p + 4, l, 1, valid, n) < 0)
			return ctx_fail(c, VITALS_E_PARSE,
			                "definition levels are corrupt or cut short");
		*used = 4 + (size_t)l;
		return VITALS_OK;
	case PQ_ENC_BIT_PACKED:
		/* The deprecated encoding: one bit per level, the most significant first. */
		bytes = n / 8 + (n % 8 != 0);
		if (bytes > len)
			return ctx_fail(c, VITALS_E_PARSE, "definition levels are cut short");
		for (size_t i = 0; i < n; i++)
			valid[i] = (p[i >> 3] >> (7 - (i & 7))) & 1;
		*used = bytes;
		return VITALS_OK;
	default:
		return ctx_fail(c, VITALS_E_UNSUPPORTED,
		                "definition level encoding %s is not supported",
		                pq_encoding_name(h->def_level_encoding));
	}
}

/*
 * The definition levels of the page's kept rows only (keep_on), into
 * their flags in VALID (the page's), with the values before each in
 * pg->before; pg->nonnull gets the page's present values. P, LEN: the
 * page (v1 levels start it, and *used gets their bytes); V2, DL: the
 * levels of a v2 page.
 */
static int levels_kept(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_page_header *h,
                       const uint8_t *p, size_t len, const uint8_t *v2, size_t dl, uint8_t *valid,
                       struct pq_page *pg, size_t *used)
{
	const uint32_t *keep = pr->keep.p;
	size_t m = pg->kb - pg->ka, n = pg->n, ones = 0;
	const uint8_t *lv = NULL;
	uint32_t *pos, *before, l = 0;
	uint8_t *level;
	int rc;

	if (buf_want(&pr->pos, m * sizeof(uint32_t)) < 0 ||
	    buf_want(&pr->before, m * sizeof(uint32_t)) < 0 || buf_want(&pr->level, m) < 0)
		return ctx_fail(c, VITALS_E_NOMEM, "out of memory for %zu rows", m);
	pos = pr->pos.p;
	before = pr->before.p;
	level = pr->level.p;
	for (size_t t = pg->ka; t < pg->kb; t++)
		pos[t - pg->ka] = (uint32_t)(keep[t] - pg->row0);
	if (h->type == PQ_PAGE_DATA && h->def_level_encoding == PQ_ENC_RLE) {
		rc = levels_v1_rle(c, p, len, &l);
		if (rc < 0)
			return rc;
		lv = p + 4;
		dl = l;
		*used = 4 + (size_t)l;
	} else if (h->type == PQ_PAGE_DATA) {
		/* Other v1 level encodings: every level, then counted. */
		size_t last = 0;

		rc = levels_v1(c, h, p, len, valid, n, used);
		if (rc < 0)
			return rc;
		for (size_t j = 0; j < m; j++) {
			ones += count_ones(valid + last, pos[j] - last);
			last = pos[j];
			level[j] = valid[pos[j]];
			before[j] = (uint32_t)ones;
		}
		ones += count_ones(valid + last, n - last);
	} else if (dl == 0 && h->num_nulls == 0) {
		memset(level, 1, m);
		ones = n;
	} else {
		lv = v2;
	}
	if (lv && enc_rle_levels_at(lv, dl, n, pos, m, level, before, &ones) < 0)
		return ctx_fail(c, VITALS_E_PARSE, "definition levels are corrupt or cut short");
	for (size_t j = 0; j < m; j++)
		valid[pos[j]] = level[j];
	pg->nonnull = ones;
	if (ones != n) {
		pg->valid = valid;
		pg->before = before;
	}
	return VITALS_OK;
}

/* Whether any of the N bytes at SEL is set. */
static int any_kept(const uint8_t *sel, size_t n)
{
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, sel + i, 8);
		if (w)
			return 1;
	}
	for (; i < n; i++)
		if (sel[i])
			return 1;
	return 0;
}

/*
 * Pass over a page none of whose N rows is kept, without decompressing
 * it: its rows are dropped later, so only the offsets of a string column
 * (empty strings) must be right.
 */
static int skip_page(const struct pq_ctx *c, const struct pq_leaf *lf, struct vitals_column *col,
                     size_t *done, size_t n)
{
	int rc = column_room(c, col, *done + n, 0);

	if (rc < 0)
		return rc;
	if (lf->type == VITALS_TYPE_STRING)
		for (size_t i = 0; i < n; i++)
			col->v.off[*done + i + 1] = col->data_len;
	*done += n;
	return VITALS_OK;
}

static int read_data_page(struct pq_rd *pr, const struct pq_ctx *c, const struct pq_leaf *lf,
                          struct vitals_column *col, const struct pq_page_header *h,
                          const uint8_t *body, int32_t codec, size_t *done, size_t rows)
{
	size_t n = (size_t)h->num_values, blen = (size_t)h->compressed_size, len, used = 0;
	size_t rl = 0, dl = 0;
	struct pq_page pg;
	const uint8_t *p;
	uint8_t *valid = NULL;
	int rc;

	if (n > rows - *done)
		return ctx_fail(
		    c, VITALS_E_PARSE,
		    "%zu values in the page, more than the %zu rows left in the row group", n,
		    rows - *done);
	memset(&pg, 0, sizeof(pg));
	if (pr->keep_on)
		page_kept(pr, *done, n, &pg.ka, &pg.kb);
	if (pr->sel_on && (pr->keep_on ? pg.ka == pg.kb : !any_kept(pr->sel + *done, n)) &&
	    (lf->nullable || h->uncompressed_size < 0 ||
	     n <= values_bound(lf, h->encoding, (size_t)h->uncompressed_size)))
		return skip_page(c, lf, col, done, n);
	/* The page's bytes: v1 compresses levels and values together, v2 only the values. */
	if (h->type == PQ_PAGE_DATA) {
		rc = page_data(pr, c, codec, body, blen, h->uncompressed_size, &p, &len);
	} else {
		rl = (size_t)h->rep_levels_byte_length;
		dl = (size_t)h->def_levels_byte_length;
		if (rl > blen || dl > blen - rl)
			return ctx_fail(c, VITALS_E_PARSE,
			                "levels of %zu bytes run past the page of %zu", rl + dl,
			                blen);
		if (!h->is_compressed) {
			p = body + rl + dl;
			len = blen - rl - dl;
			rc = VITALS_OK;
		} else if ((uint64_t)h->uncompressed_size < rl + dl) {
			return ctx_fail(c, VITALS_E_PARSE,
			                "uncompressed size %" PRId32
			                " is less than the levels' %zu",
			                h->uncompressed_size, rl + dl);
		} else {
			rc =
			    page_data(pr, c, codec, body + rl + dl, blen - rl - dl,
			              (int64_t)h->uncompressed_size - (int64_t)(rl + dl), &p, &len);
		}
	}
	if (rc < 0)
		return rc;
	/* Without levels, the values themselves must justify the rows reserved for them. */
	if (!lf->nullable && n > values_bound(lf, h->encoding, len))
		return values_short(c, lf, h->encoding, n, len);
	rc = column_room(c, col, *done + n, 0);
	if (rc < 0)
		return rc;
	pg.encoding = h->encoding;
	pg.row0 = *done;
	pg.n = n;
	pg.nonnull = n;
	if (lf->nullable && pr->keep_on) {
		rc = levels_kept(pr, c, h, p, len, body + rl, dl, col->valid + *done, &pg, &used);
		if (rc < 0)
			return rc;
	} else if (lf->nullable) {
		valid = col->valid + *done;
		if (h->type == PQ_PAGE_DATA) {
			rc = levels_v1(c, h, p, len, valid, n, &used);
			if (rc < 0)
				return rc;
		} else if (dl == 0 && h->num_nulls == 0) {
			memset(valid, 1, n);
		} else if (enc_rle_decode_u8(body + rl, dl, 1, valid, n) < 0) {
			return ctx_fail(c, VITALS_E_PARSE,
			                "definition levels are corrupt or cut short");
		}
		pg.nonnull = count_ones(valid, n);
		if (pg.nonnull != n)
			pg.valid = valid;
	}
	pg.p = p + used;
	pg.len = len - used;
	rc = page_values(pr, c, lf, col, &pg);
	if (rc < 0)
		return rc;
	*done += n;
	return VITALS_OK;
}

/* Where a chunk's bytes lie: 0, or -1 when they are not inside the file's data. */
static int chunk_range(const struct pq_rd *pr, const struct pq_column_meta *cm, uint64_t *start,
                       uint64_t *size)
{
	int64_t s = cm->data_page_offset;

	if (cm->has_dictionary_page_offset && cm->dictionary_page_offset > 0 &&
	    cm->dictionary_page_offset < s)
		s = cm->dictionary_page_offset;
	if (s < 4 || (uint64_t)s >= pr->data_end || cm->total_compressed_size < 0 ||
	    (uint64_t)cm->total_compressed_size > pr->data_end - (uint64_t)s)
		return -1;
	*start = (uint64_t)s;
	*size = (uint64_t)cm->total_compressed_size;
	return 0;
}

static int read_chunk(struct pq_rd *pr, struct vitals_reader *r, uint32_t g, uint32_t li,
                      struct vitals_column *col)
{
	const struct pq_row_group *rg = &pr->meta.row_groups[g];
	const struct pq_column_meta *cm = &rg->columns[li].meta;
	const struct pq_leaf *lf = &pr->leaves[li];
	struct pq_ctx c = {r, g, lf->name, -1, pr->batch_text};
	size_t rows = (size_t)rg->num_rows, done = 0, pos = 0;
	uint64_t start, size;
	const uint8_t *buf;
	char err[160];
	int rc;

	if (!codec_supported(cm->codec)) {
		if (codec_label(cm->codec))
			return ctx_fail(&c, VITALS_E_UNSUPPORTED, "codec %s is not supported",
			                codec_label(cm->codec));
		return ctx_fail(&c, VITALS_E_UNSUPPORTED, "unknown codec %" PRId32, cm->codec);
	}
	if (cm->num_values != rg->num_rows)
		return ctx_fail(&c, VITALS_E_PARSE,
		                "the column chunk has %" PRId64 " values for %" PRId64 " rows",
		                cm->num_values, rg->num_rows);
	if (chunk_range(pr, cm, &start, &size) < 0)
		return ctx_fail(&c, VITALS_E_PARSE, "the column chunk lies outside the file");
	if (buf_want(&pr->chunk, size ? (size_t)size : 1) < 0)
		return ctx_fail(&c, VITALS_E_NOMEM, "out of memory for %" PRIu64 " bytes", size);
	rc = store_pread(r, pr->chunk.p, (size_t)size, start);
	if (rc < 0)
		return rc;
	buf = pr->chunk.p;
	pr->has_dict = 0;
	pr->dict_count = 0;
	pr->dict_hits = 0;
	if (lf->type == VITALS_TYPE_STRING) {
		rc = column_room(&c, col, 1, 0);
		if (rc < 0)
			return rc;
		col->v.off[0] = col->data_len;
	}
	for (c.page = 0; done < rows; c.page++) {
		struct pq_page_header h;
		const uint8_t *body;
		size_t used;

		if (pos >= size)
			return ctx_fail(&c, VITALS_E_PARSE,
			                "the column chunk ends after %zu of its %zu values", done,
			                rows);
		err[0] = '\0';
		rc = pq_page_header_decode(&h, buf + pos, (size_t)size - pos, &used, err,
		                           sizeof(err));
		if (rc == VITALS_E_MISSING)
			return ctx_fail(&c, VITALS_E_PARSE,
			                "the page header runs past the end of the column chunk");
		if (rc < 0)
			return ctx_fail(&c, VITALS_E_PARSE, "%s",
			                err[0] ? err : "corrupt page header");
		pos += used;
		if ((uint64_t)h.compressed_size > size - pos)
			return ctx_fail(&c, VITALS_E_PARSE,
			                "a page of %" PRId32
			                " bytes runs past the end of the column "
			                "chunk (%zu bytes left)",
			                h.compressed_size, (size_t)size - pos);
		body = buf + pos;
		pos += (size_t)h.compressed_size;
		switch (h.type) {
		case PQ_PAGE_DICTIONARY:
			rc = read_dictionary(pr, &c, lf, &h, body, cm->codec);
			break;
		case PQ_PAGE_DATA:
		case PQ_PAGE_DATA_V2:
			rc = read_data_page(pr, &c, lf, col, &h, body, cm->codec, &done, rows);
			break;
		default:
			rc = VITALS_OK; /* index pages and page types of the future */
			break;
		}
		if (rc < 0)
			return rc;
	}
	return VITALS_OK;
}

/* ---- row groups ------------------------------------------------------------ */

/* Whether leaf LI's min_value/max_value statistics have a known order. */
static int order_known(const struct pq_rd *pr, size_t li)
{
	if (pr->meta.column_order_count == 0)
		return 1; /* old writers: trusted for signed integers, the only ones asked */
	return li < pr->meta.column_order_count && pr->meta.column_orders[li] == 1;
}

/* A signed integer statistic of LF in output units; -1 when it cannot be had. */
static int stat_int(const struct pq_leaf *lf, const uint8_t *p, uint32_t len, int64_t *out)
{
	int64_t v;

	if (lf->phys == PQ_INT64 && len == 8)
		v = (int64_t)le64_get(p);
	else if (lf->phys == PQ_INT32 && len == 4)
		v = (int32_t)le32_get(p);
	else
		return -1;
	switch (lf->conv) {
	case CONV_COPY:
		*out = v;
		return 0;
	case CONV_U32:
		*out = (int64_t)(uint32_t)v;
		return 0;
	case CONV_MILLIS:
		if (__builtin_mul_overflow(v, 1000, out))
			*out = v < 0 ? INT64_MIN : INT64_MAX;
		return 0;
	case CONV_NANOS:
		*out = floor_div1000(v);
		return 0;
	default:
		return -1;
	}
}

/* The min and max of leaf LI in chunk CM, when it has trustworthy ones. */
static int chunk_int_range(const struct pq_rd *pr, size_t li, const struct pq_column_meta *cm,
                           int64_t *lo, int64_t *hi)
{
	const struct pq_leaf *lf = &pr->leaves[li];
	const struct pq_statistics *st = &cm->stats;

	if (!cm->has_statistics || lf->unsigned_order)
		return -1;
	if (st->has_min_value && st->has_max_value && order_known(pr, li))
		return stat_int(lf, st->min_value, st->min_value_len, lo) < 0 ||
		               stat_int(lf, st->max_value, st->max_value_len, hi) < 0
		           ? -1
		           : 0;
	if (st->has_min && st->has_max)
		return stat_int(lf, st->min, st->min_len, lo) < 0 ||
		               stat_int(lf, st->max, st->max_len, hi) < 0
		           ? -1
		           : 0;
	return -1;
}

/* Byte order of A and B (LA, LB bytes), as Parquet orders strings: unsigned, shorter first. */
static int bytes_cmp(const uint8_t *a, size_t la, const uint8_t *b, size_t lb)
{
	int d = memcmp(a, b, la < lb ? la : lb);

	if (d)
		return d;
	return la < lb ? -1 : la > lb;
}

/* Whether the statistics of chunk CM of leaf LI show that no value in it passes F. */
static int chunk_excluded(const struct pq_rd *pr, size_t li, const struct pq_column_meta *cm,
                          const struct store_filter *f)
{
	const struct pq_statistics *st = &cm->stats;

	if (f->count == 0)
		return 1;
	if (!cm->has_statistics)
		return 0;
	if (st->has_null_count && st->null_count == cm->num_values)
		return 1; /* only nulls */
	/* Strings are ordered only in min_value/max_value, with a declared order. */
	if (!st->has_min_value || !st->has_max_value || pr->leaves[li].phys != PQ_BYTE_ARRAY ||
	    li >= pr->meta.column_order_count || pr->meta.column_orders[li] != 1)
		return 0;
	for (size_t i = 0; i < f->count; i++) {
		const uint8_t *v = (const uint8_t *)f->values[i];
		size_t n = f->lens[i];

		if (f->match == VITALS_MATCH_PREFIX) {
			size_t m = st->min_value_len < n ? st->min_value_len : n;

			/* Values starting with V lie in [V, V + 0xff...]. */
			if (bytes_cmp(v, n, st->max_value, st->max_value_len) <= 0 &&
			    memcmp(st->min_value, v, m) <= 0)
				return 0;
		} else if (bytes_cmp(v, n, st->min_value, st->min_value_len) >= 0 &&
		           bytes_cmp(v, n, st->max_value, st->max_value_len) <= 0) {
			return 0;
		}
	}
	return 1;
}

/* Whether row group G lies wholly outside the time range, or has no row a filter passes. */
static int row_group_pruned(const struct pq_rd *pr, uint32_t g)
{
	const struct pq_row_group *rg = &pr->meta.row_groups[g];
	const struct pq_leaf *lf;
	int64_t lo, hi;

	for (size_t i = 0; i < pr->filter_count; i++) {
		uint32_t li = pr->filter_leaf[i];
		if (chunk_excluded(pr, li, &rg->columns[li].meta, &pr->filters[i]))
			return 1;
	}
	if (pr->time_leaf < 0)
		return 0;
	lf = &pr->leaves[pr->time_leaf];
	if (lf->type != VITALS_TYPE_TIMESTAMP && lf->type != VITALS_TYPE_INT64)
		return 0;
	if (chunk_int_range(pr, (size_t)pr->time_leaf, &rg->columns[pr->time_leaf].meta, &lo, &hi) <
	    0)
		return 0;
	return hi < pr->from || lo > pr->to;
}

/* Whether every row of row group G is inside the time range, by its statistics. */
static int row_group_inside(const struct pq_rd *pr, uint32_t g)
{
	const struct pq_column_meta *cm = &pr->meta.row_groups[g].columns[pr->time_leaf].meta;
	int64_t lo, hi;

	if (chunk_int_range(pr, (size_t)pr->time_leaf, cm, &lo, &hi) < 0)
		return 0;
	/* Nulls are outside any range. */
	if (pr->leaves[pr->time_leaf].nullable &&
	    (!cm->stats.has_null_count || cm->stats.null_count != 0))
		return 0;
	return lo >= pr->from && hi <= pr->to;
}

/*
 * Keep rows KEEP[0..N) of COL (ascending), in order, at its front. FULL:
 * every row's string was copied (not only the kept ones'), so the kept
 * strings' bytes move too.
 */
static void compact(struct vitals_column *col, const uint32_t *keep, size_t n, int full)
{
	if (col->valid)
		for (size_t j = 0; j < n; j++)
			col->valid[j] = col->valid[keep[j]];
	switch (col->type) {
	case VITALS_TYPE_BOOL:
		for (size_t j = 0; j < n; j++)
			col->v.b[j] = col->v.b[keep[j]];
		break;
	case VITALS_TYPE_INT32:
		for (size_t j = 0; j < n; j++)
			col->v.i32[j] = col->v.i32[keep[j]];
		break;
	case VITALS_TYPE_STRING:
		if (full) {
			/* Row I >= J: its offsets are read before off[J + 1] is written. */
			uint64_t *off = col->v.off, pos = off[0];

			for (size_t j = 0; j < n; j++) {
				uint64_t a = off[keep[j]], len = off[keep[j] + 1] - a;
				if (a != pos)
					memmove(col->data + pos, col->data + a, (size_t)len);
				pos += len;
				off[j + 1] = pos;
			}
		} else {
			/*
			 * The dropped rows' strings were left empty, so a kept
			 * row's string ends where it did: only the offsets move.
			 */
			for (size_t j = 0; j < n; j++)
				col->v.off[j + 1] = col->v.off[keep[j] + 1];
		}
		col->data_len = (size_t)col->v.off[n];
		break;
	default:
		for (size_t j = 0; j < n; j++)
			col->v.i64[j] = col->v.i64[keep[j]];
		break;
	}
}

/*
 * The rows of row group G that the filters and the time range keep, into
 * pr->sel; their number in *KEPT. Filter columns are decoded first, into
 * hidden columns, without their strings; the time column into its output
 * column when it is one (*TIME_DONE then says so), else a hidden one.
 * Each stops as soon as no row is left.
 */
static int select_rows(struct pq_rd *pr, struct vitals_reader *r, uint32_t g, size_t rows,
                       size_t *kept, int *time_done)
{
	struct vitals_column *tc;
	int rc;

	if (rows > pr->sel_cap) {
		uint8_t *p = realloc(pr->sel, rows);
		if (!p)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory for %zu rows",
			                         rows);
		pr->sel = p;
		pr->sel_cap = rows;
	}
	memset(pr->sel, 1, rows);
	*kept = rows;
	pr->sel_on = 1;
	vitals_batch_clear(pr->hidden);
	for (size_t i = 0; i < pr->filter_count && *kept; i++) {
		pr->match = &pr->filters[i];
		rc = read_chunk(pr, r, g, pr->filter_leaf[i], &pr->hidden->cols[i]);
		pr->match = NULL;
		if (rc < 0)
			return rc;
		*kept = count_ones(pr->sel, rows);
	}
	if (!*kept || !pr->time_exact || row_group_inside(pr, g))
		return VITALS_OK;
	tc = pr->time_out >= 0 ? &pr->batch->cols[pr->time_out]
	                       : &pr->hidden->cols[pr->filter_count];
	rc = read_chunk(pr, r, g, (uint32_t)pr->time_leaf, tc);
	if (rc < 0)
		return rc;
	*time_done = pr->time_out >= 0;
	for (size_t i = 0; i < rows; i++)
		if (pr->sel[i] && ((tc->valid && !tc->valid[i]) || tc->v.i64[i] < pr->from ||
		                   tc->v.i64[i] > pr->to))
			pr->sel[i] = 0;
	*kept = count_ones(pr->sel, rows);
	return VITALS_OK;
}

/* Read row group G into pr->batch; its rows are 0 when the filters keep none. */
static int read_row_group(struct pq_rd *pr, struct vitals_reader *r, uint32_t g)
{
	struct vitals_batch *b = pr->batch;
	size_t rows = (size_t)pr->meta.row_groups[g].num_rows, kept = rows;
	uint64_t per_row = 0;
	int time_done = 0, rc;

	/* Run lengths make many rows from few bytes: bound what one batch may take. */
	for (size_t j = 0; j < pr->proj_count; j++) {
		const struct pq_leaf *lf = &pr->leaves[pr->proj[j]];
		per_row +=
		    (lf->out_width ? lf->out_width : sizeof(uint64_t)) + (size_t)lf->nullable;
	}
	if (per_row && rows > BATCH_BYTES_MAX / per_row)
		return store_reader_fail(r, VITALS_E_UNSUPPORTED,
		                         "row group %" PRIu32 ": %zu rows of %zu columns need "
		                         "more than %" PRIu64 " GiB",
		                         g, rows, pr->proj_count, BATCH_BYTES_MAX >> 30);
	vitals_batch_clear(b);
	pr->batch_text = 0;
	pr->sel_on = 0;
	if (pr->hidden) {
		rc = select_rows(pr, r, g, rows, &kept, &time_done);
		if (rc < 0 || kept == 0)
			goto out;
		pr->sel_on = kept < rows;
		if (pr->sel_on) {
			uint32_t *keep;
			size_t k = 0, i;

			if (buf_want(&pr->keep, kept * sizeof(*keep)) < 0) {
				rc = store_reader_fail(r, VITALS_E_NOMEM,
				                       "out of memory for %zu rows", kept);
				goto out;
			}
			keep = pr->keep.p;
			/* Eight rows at a time: each sel byte is 0 or 1, so a row is one bit. */
			for (i = 0; i + 8 <= rows && k < kept; i += 8) {
				uint64_t w = le64_get(pr->sel + i);

				for (; w && k < kept; w &= w - 1)
					keep[k++] = (uint32_t)(i + (size_t)__builtin_ctzll(w) / 8);
			}
			for (; i < rows && k < kept; i++) {
				keep[k] = (uint32_t)i;
				k += pr->sel[i];
			}
			pr->nkeep = kept;
			/*
			 * Most rows kept: decoding them all at full speed and
			 * moving them after costs less than picking them out.
			 */
			pr->keep_on = kept <= rows / 2;
			pr->sel_on = pr->keep_on;
		}
	}
	for (size_t j = 0; j < pr->proj_count; j++) {
		if (time_done && (int)j == pr->time_out)
			continue;
		rc = read_chunk(pr, r, g, pr->proj[j], &b->cols[j]);
		if (rc < 0)
			goto out;
		pr->batch_text += b->cols[j].data_len;
	}
	if (kept < rows)
		for (size_t j = 0; j < pr->proj_count; j++)
			compact(&b->cols[j], pr->keep.p, kept, !pr->keep_on);
	b->rows = kept;
	rc = VITALS_OK;
out:
	pr->sel_on = 0;
	pr->keep_on = 0;
	return rc;
}

static int pq_next(struct vitals_reader *r, const struct vitals_batch **out)
{
	struct pq_rd *pr = r->impl;
	int rc;

	if (pr->failed)
		return pr->failed;
	while (pr->next_rg < pr->meta.row_group_count) {
		uint32_t g = pr->next_rg++;

		if (row_group_pruned(pr, g))
			continue;
		rc = read_row_group(pr, r, g);
		if (rc < 0) {
			vitals_batch_clear(pr->batch);
			pr->failed = rc;
			return rc;
		}
		if (pr->batch->rows == 0 && pr->meta.row_groups[g].num_rows > 0)
			continue; /* the filters kept no row */
		*out = pr->batch;
		return 1;
	}
	return 0;
}

/* ---- open ---------------------------------------------------------------------- */

static void rd_free(struct pq_rd *pr)
{
	if (!pr)
		return;
	pq_meta_release(&pr->meta);
	free(pr->leaves);
	free(pr->proj);
	vitals_schema_release(&pr->file_schema);
	vitals_batch_free(pr->batch);
	codec_state_release(&pr->codec);
	buf_release(&pr->chunk);
	buf_release(&pr->page);
	buf_release(&pr->tmp);
	buf_release(&pr->idx);
	buf_release(&pr->views);
	buf_release(&pr->dict_vals);
	buf_release(&pr->dict_off);
	buf_release(&pr->dict_data);
	buf_release(&pr->dict_match);
	buf_release(&pr->keep);
	buf_release(&pr->pos);
	buf_release(&pr->before);
	buf_release(&pr->level);
	bytebuf_release(&pr->dba);
	free(pr->filter_leaf);
	free(pr->sel);
	vitals_batch_free(pr->hidden);
	free(pr);
}

static void pq_close(struct vitals_reader *r)
{
	rd_free(r->impl);
	r->impl = NULL;
}

/* "a.b.c": the path of the first leaf under element I, for messages. */
static void nested_path(const struct pq_file_meta *m, uint32_t i, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (;;) {
		int k = snprintf(buf + len, n - len, "%s%s", len ? "." : "",
		                 m->schema[i].name ? m->schema[i].name : "?");
		if (k < 0 || (size_t)k >= n - len)
			return;
		len += (size_t)k;
		if (m->schema[i].num_children <= 0 || i + 1 >= m->schema_count)
			return;
		i++;
	}
}

static int build_schema(struct pq_rd *pr, struct vitals_reader *r)
{
	const struct pq_file_meta *m = &pr->meta;
	char why[128], path[256];
	uint32_t pos = 1;
	int32_t n;
	int rc;

	if (m->schema_count == 0)
		return store_reader_fail(r, VITALS_E_PARSE, "the footer has no schema");
	n = m->schema[0].num_children;
	if (n < 0 || (uint32_t)n > m->schema_count - 1)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "schema: the root has %" PRId32 " children but %" PRIu32
		                         " elements follow",
		                         n, m->schema_count - 1);
	pr->leaves = calloc(n ? (size_t)n : 1, sizeof(*pr->leaves));
	if (!pr->leaves)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	for (int32_t k = 0; k < n; k++) {
		const struct pq_schema_element *e;
		struct pq_leaf *lf = &pr->leaves[k];

		if (pos >= m->schema_count)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "schema: the root has %" PRId32
			                         " children but only %" PRIu32 " elements follow",
			                         n, m->schema_count - 1);
		e = &m->schema[pos];
		if (!e->name || !e->name[0])
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "schema: column %" PRId32 " has no name", k);
		if (e->num_children != 0 || !e->has_type ||
		    (e->has_repetition && e->repetition == PQ_REPEATED)) {
			nested_path(m, pos, path, sizeof(path));
			return store_reader_fail(r, VITALS_E_UNSUPPORTED,
			                         "column '%s': nested columns are not supported",
			                         path);
		}
		rc = leaf_map(lf, e, why, sizeof(why));
		if (rc < 0)
			return store_reader_fail(r, rc, "column '%s': %s", e->name, why);
		rc = vitals_schema_add(&pr->file_schema, e->name, lf->type, lf->nullable);
		if (rc == VITALS_E_NOMEM)
			return store_reader_fail(r, rc, "out of memory");
		if (rc < 0)
			return store_reader_fail(
			    r, VITALS_E_PARSE,
			    "column name '%.64s' is repeated, too long or too many", e->name);
		pr->leaf_count++;
		pos++;
	}
	if (pos != m->schema_count)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "schema: %" PRIu32 " elements for a root of %" PRId32
		                         " columns",
		                         m->schema_count - 1, n);
	return VITALS_OK;
}

static int check_row_groups(struct pq_rd *pr, struct vitals_reader *r)
{
	const struct pq_file_meta *m = &pr->meta;
	int64_t sum = 0;

	if (m->num_rows < 0)
		return store_reader_fail(r, VITALS_E_PARSE, "negative row count %" PRId64,
		                         m->num_rows);
	for (uint32_t g = 0; g < m->row_group_count; g++) {
		const struct pq_row_group *rg = &m->row_groups[g];

		if (rg->num_rows < 0)
			return store_reader_fail(
			    r, VITALS_E_PARSE, "row group %" PRIu32 ": negative row count %" PRId64,
			    g, rg->num_rows);
		if ((uint64_t)rg->num_rows > VITALS_BATCH_ROWS_MAX)
			return store_reader_fail(r, VITALS_E_UNSUPPORTED,
			                         "row group %" PRIu32 ": %" PRId64
			                         " rows, more than the %zu one batch holds",
			                         g, rg->num_rows, (size_t)VITALS_BATCH_ROWS_MAX);
		if (__builtin_add_overflow(sum, rg->num_rows, &sum))
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "the row groups' row counts overflow");
		if (rg->column_count != pr->leaf_count)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "row group %" PRIu32 ": %" PRIu32
			                         " column chunks for %zu columns",
			                         g, rg->column_count, pr->leaf_count);
		for (uint32_t i = 0; i < rg->column_count; i++) {
			const struct pq_column_chunk *cc = &rg->columns[i];
			const struct pq_leaf *lf = &pr->leaves[i];
			uint64_t start, size;

			if (cc->skipped)
				continue; /* not read: the footer decoded only the asked columns */
			if (cc->file_path)
				return store_reader_fail(r, VITALS_E_UNSUPPORTED,
				                         "row group %" PRIu32
				                         ", column '%s': data in "
				                         "another file ('%.64s') is not supported",
				                         g, lf->name, cc->file_path);
			if (!cc->has_meta)
				return store_reader_fail(
				    r, VITALS_E_PARSE,
				    "row group %" PRIu32 ", column '%s': no metadata", g, lf->name);
			if (cc->meta.type != lf->phys)
				return store_reader_fail(
				    r, VITALS_E_PARSE,
				    "row group %" PRIu32 ", column '%s': physical type %s "
				    "differs from the schema's %s",
				    g, lf->name, pq_physical_name(cc->meta.type),
				    pq_physical_name(lf->phys));
			if (cc->meta.path_count != 1 || !cc->meta.path[0] ||
			    strcmp(cc->meta.path[0], lf->name) != 0)
				return store_reader_fail(r, VITALS_E_PARSE,
				                         "row group %" PRIu32
				                         ", column '%s': the column "
				                         "chunk is for another column",
				                         g, lf->name);
			if (chunk_range(pr, &cc->meta, &start, &size) < 0)
				return store_reader_fail(
				    r, VITALS_E_PARSE,
				    "row group %" PRIu32
				    ", column '%s': the column chunk (offset %" PRId64 ", %" PRId64
				    " bytes) lies outside the data (file of %" PRIu64 " bytes)",
				    g, lf->name, cc->meta.data_page_offset,
				    cc->meta.total_compressed_size, pr->file_size);
		}
	}
	if (sum != m->num_rows)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "the row groups hold %" PRId64
		                         " rows, the footer says %" PRId64,
		                         sum, m->num_rows);
	return VITALS_OK;
}

static int find_leaf(const struct pq_rd *pr, const char *name)
{
	return vitals_schema_find(&pr->file_schema, name);
}

/*
 * The row filters and the exact time range of PLAN: the leaves they read
 * and the hidden columns those are decoded into.
 */
static int filters_setup(struct pq_rd *pr, struct vitals_reader *r,
                         const struct store_read_plan *plan)
{
	struct vitals_schema hs;
	char name[32];
	int rc = VITALS_OK;

	pr->time_out = -1;
	if (plan->time_column) {
		enum vitals_type t;

		if (pr->time_leaf < 0)
			return store_reader_fail(r, VITALS_E_INVAL, "no column '%s'",
			                         plan->time_column);
		t = pr->leaves[pr->time_leaf].type;
		if (t != VITALS_TYPE_TIMESTAMP && t != VITALS_TYPE_INT64)
			return store_reader_fail(
			    r, VITALS_E_INVAL,
			    "column '%s' is %s, not a timestamp: it cannot bound a time range",
			    plan->time_column, vitals_type_name(t));
		pr->time_exact = 1;
		for (size_t j = 0; j < pr->proj_count; j++)
			if ((int)pr->proj[j] == pr->time_leaf)
				pr->time_out = (int)j;
	}
	if (!plan->filter_count && !pr->time_exact)
		return VITALS_OK;
	pr->filters = plan->filters;
	pr->filter_count = plan->filter_count;
	pr->filter_leaf = calloc(plan->filter_count + 1, sizeof(*pr->filter_leaf));
	if (!pr->filter_leaf)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	vitals_schema_init(&hs);
	for (size_t i = 0; i < plan->filter_count && rc == VITALS_OK; i++) {
		const char *col = plan->filters[i].column;
		int li = find_leaf(pr, col);

		if (li < 0) {
			rc = store_reader_fail(r, VITALS_E_INVAL, "no column '%s'", col);
		} else if (pr->leaves[li].type != VITALS_TYPE_STRING) {
			rc = store_reader_fail(
			    r, VITALS_E_INVAL,
			    "column '%s' is %s, not a string: it cannot filter rows", col,
			    vitals_type_name(pr->leaves[li].type));
		} else {
			pr->filter_leaf[i] = (uint32_t)li;
			snprintf(name, sizeof(name), "f%zu", i);
			rc = vitals_schema_add(&hs, name, VITALS_TYPE_STRING,
			                       pr->leaves[li].nullable);
		}
	}
	if (rc == VITALS_OK && pr->time_exact)
		rc = vitals_schema_add(&hs, "t", pr->leaves[pr->time_leaf].type,
		                       pr->leaves[pr->time_leaf].nullable);
	if (rc == VITALS_OK)
		rc = vitals_batch_new(&pr->hidden, &hs);
	if (rc == VITALS_E_NOMEM)
		rc = store_reader_fail(r, rc, "out of memory");
	vitals_schema_release(&hs);
	return rc;
}

static int project(struct pq_rd *pr, struct vitals_reader *r, const struct store_read_plan *plan)
{
	size_t n = plan->columns ? plan->column_count : pr->leaf_count;
	int rc;

	pr->proj = calloc(n ? n : 1, sizeof(*pr->proj));
	if (!pr->proj)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	for (size_t j = 0; j < n; j++) {
		int li = plan->columns ? find_leaf(pr, plan->columns[j]) : (int)j;
		const struct pq_leaf *lf;

		if (li < 0)
			return store_reader_fail(r, VITALS_E_INVAL, "no column '%s'",
			                         plan->columns[j]);
		lf = &pr->leaves[li];
		rc = vitals_schema_add(&r->schema, lf->name, lf->type, lf->nullable);
		if (rc == VITALS_E_NOMEM)
			return store_reader_fail(r, rc, "out of memory");
		if (rc < 0)
			return store_reader_fail(r, VITALS_E_INVAL,
			                         "column '%s' is asked for twice", lf->name);
		pr->proj[j] = (uint32_t)li;
		pr->proj_count++;
	}
	pr->time_leaf = plan->time_column ? find_leaf(pr, plan->time_column) : -1;
	pr->from = plan->from;
	pr->to = plan->to;
	rc = vitals_batch_new(&pr->batch, &r->schema);
	if (rc < 0)
		return store_reader_fail(r, rc, "out of memory");
	return filters_setup(pr, r, plan);
}

/*
 * Read and decode the footer. With a projection, only the column chunks
 * of the columns PLAN reads (projected, filtered on, bounding time) are
 * decoded: on a wide file of many row groups, the rest is most of it.
 */
static int read_footer(struct pq_rd *pr, struct vitals_reader *r,
                       const struct store_read_plan *plan)
{
	const char **want = NULL;
	size_t nwant = 0;
	uint8_t tail[8], head[4], *foot;
	char err[STORE_ERR_MAX];
	struct stat st;
	uint32_t flen;
	int rc;

	if (fstat(r->fd, &st) < 0)
		return store_reader_fail(r, VITALS_E_IO, "cannot stat the file");
	pr->file_size = (uint64_t)st.st_size;
	if (pr->file_size < 12)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "not a Parquet file (%" PRIu64 " bytes)", pr->file_size);
	rc = store_pread(r, tail, sizeof(tail), pr->file_size - 8);
	if (rc < 0)
		return rc;
	if (memcmp(tail + 4, PQ_MAGIC, 4) != 0)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "not a Parquet file: wrong magic at end");
	rc = store_pread(r, head, sizeof(head), 0);
	if (rc < 0)
		return rc;
	if (memcmp(head, PQ_MAGIC, 4) != 0)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "not a Parquet file: wrong magic at start");
	flen = le32_get(tail);
	if (flen > pr->file_size - 12)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "footer length %" PRIu32
		                         " is past the start of the file (size %" PRIu64 ")",
		                         flen, pr->file_size);
	if (flen > FOOTER_MAX)
		return store_reader_fail(r, VITALS_E_UNSUPPORTED,
		                         "footer length %" PRIu32 " is more than 256 MiB", flen);
	pr->data_end = pr->file_size - 8 - flen;
	foot = malloc(flen ? flen : 1);
	if (!foot)
		return store_reader_fail(r, VITALS_E_NOMEM,
		                         "out of memory for a footer of %" PRIu32 " bytes", flen);
	rc = store_pread(r, foot, flen, pr->data_end);
	if (rc < 0)
		goto out_free_foot;
	if (plan->columns) {
		want = calloc(plan->column_count + plan->filter_count + 1, sizeof(*want));
		if (!want) {
			rc = store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
			goto out_free_foot;
		}
		for (size_t i = 0; i < plan->column_count; i++)
			want[nwant++] = plan->columns[i];
		for (size_t i = 0; i < plan->filter_count; i++)
			want[nwant++] = plan->filters[i].column;
		if (plan->time_column)
			want[nwant++] = plan->time_column;
	}
	err[0] = '\0';
	rc = pq_meta_decode_columns(&pr->meta, foot, flen, want, nwant, err, sizeof(err));
	if (rc < 0)
		rc = store_reader_fail(r, rc, "%s", err[0] ? err : "corrupt footer");
	free(want);
out_free_foot:
	free(foot);
	return rc;
}

static int pq_open(struct vitals_reader *r, const struct store_read_plan *plan)
{
	struct pq_rd *pr;
	int rc;

	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	vitals_schema_init(&pr->file_schema);
	bytebuf_init(&pr->dba, 0);
	pr->time_leaf = -1;
	rc = read_footer(pr, r, plan);
	if (rc < 0)
		goto out_free;
	rc = build_schema(pr, r);
	if (rc < 0)
		goto out_free;
	rc = check_row_groups(pr, r);
	if (rc < 0)
		goto out_free;
	rc = project(pr, r, plan);
	if (rc < 0)
		goto out_free;
	for (uint32_t i = 0; i < pr->meta.kv_count; i++) {
		if (!pr->meta.kv[i].key)
			continue;
		rc = store_reader_add_meta(r, pr->meta.kv[i].key, pr->meta.kv[i].value);
		if (rc < 0) {
			rc = store_reader_fail(r, rc, "out of memory");
			goto out_free;
		}
	}
	r->rows = pr->meta.num_rows;
	r->impl = pr;
	return VITALS_OK;
out_free:
	rd_free(pr);
	return rc;
}

const struct store_reader_ops store_parquet_reader = {
    .open = pq_open,
    .next = pq_next,
    .close = pq_close,
    .exact = 1,
};

/* ---- describe ------------------------------------------------------------------ */

/* Bump allocation for everything a file description points to. */
struct arena_block {
	struct arena_block *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

struct pq_info {
	struct vitals_file_info pub;
	struct vitals_schema schema;
	struct arena_block *arena;
};

static void *arena_alloc(struct pq_info *in, size_t n)
{
	struct arena_block *b = in->arena;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = in->arena;
		in->arena = b;
	}
	p = (unsigned char *)b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

static char *arena_strdup(struct pq_info *in, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = arena_alloc(in, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Bytes of the UTF-8 sequence at P (N bytes available), or 0 when it is not one. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
	    (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

/* Text of a string statistic: at most STAT_TEXT_MAX bytes of it, odd bytes escaped. */
static char *string_text(struct pq_info *in, const uint8_t *p, size_t len)
{
	char *out = arena_alloc(in, STAT_TEXT_MAX * 4 + 8), *o = out;
	size_t i = 0;

	if (!out)
		return NULL;
	while (i < len && i < STAT_TEXT_MAX) {
		size_t k = utf8_seq(p + i, len - i);

		if (k == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
			*o++ = (char)p[i++];
		} else if (k > 1) {
			if (i + k > STAT_TEXT_MAX)
				break;
			memcpy(o, p + i, k);
			o += k;
			i += k;
		} else {
			o += sprintf(o, "\\x%02x", p[i]);
			i++;
		}
	}
	if (i < len)
		memcpy(o, "...", 4);
	else
		*o = '\0';
	return out;
}

/* Text of one statistic of LF (P, LEN bytes in PLAIN form); *iv set for integers. */
static const char *stat_text(struct pq_info *in, const struct pq_leaf *lf, const uint8_t *p,
                             size_t len, int *has_i, int64_t *iv)
{
	char buf[STORE_VALUE_TEXT_MAX + 8];
	union {
		int32_t i32;
		int64_t i64;
		double f64;
		uint8_t b;
	} v;
	size_t bad;

	*has_i = 0;
	switch (lf->kind) {
	case KIND_BOOL:
		if (len < 1)
			return NULL;
		return (p[0] & 1) ? "true" : "false";
	case KIND_BYTES:
		if (lf->type == VITALS_TYPE_STRING)
			return string_text(in, p, len);
		if (be_decimal(p, len, lf->scale, &v.f64) < 0)
			return NULL;
		store_format_double(buf, v.f64);
		return arena_strdup(in, buf);
	case KIND_FIXED:
		break;
	}
	if (len != lf->width || lf->conv == CONV_INT96 || convert_fixed(lf, p, &v, 1, &bad) < 0)
		return NULL;
	switch (lf->type) {
	case VITALS_TYPE_INT32:
		*has_i = 1;
		*iv = v.i32;
		snprintf(buf, sizeof(buf), "%" PRId32, v.i32);
		break;
	case VITALS_TYPE_INT64:
		if (lf->unsigned_order && lf->conv == CONV_COPY) {
			snprintf(buf, sizeof(buf), "%" PRIu64, (uint64_t)v.i64);
			break;
		}
		*has_i = 1;
		*iv = v.i64;
		snprintf(buf, sizeof(buf), "%" PRId64, v.i64);
		break;
	case VITALS_TYPE_TIMESTAMP:
		*has_i = 1;
		*iv = v.i64;
		store_format_timestamp(buf, v.i64);
		break;
	case VITALS_TYPE_DOUBLE:
		store_format_double(buf, v.f64);
		break;
	default:
		return NULL;
	}
	return arena_strdup(in, buf);
}

/* Whether the deprecated min/max of LF are in an order worth showing. */
static int old_stats_usable(const struct pq_leaf *lf)
{
	return !lf->unsigned_order && lf->kind != KIND_BYTES && lf->conv != CONV_INT96;
}

static int describe_chunk(struct pq_info *in, const struct pq_rd *pr, size_t li,
                          const struct pq_column_meta *cm, struct vitals_chunk_info *ci)
{
	const struct pq_leaf *lf = &pr->leaves[li];
	const struct pq_statistics *st = &cm->stats;
	char *enc, label[32];
	size_t len = 0;
	int has_lo = 0, has_hi = 0;

	enc = arena_alloc(in, ENC_TEXT_MAX + 8);
	if (!enc)
		return VITALS_E_NOMEM;
	for (uint32_t k = 0; k < cm->encoding_count; k++) {
		const char *name = pq_encoding_name(cm->encodings[k]);
		char num[16];
		int w;

		if (strcmp(name, "?") == 0) {
			snprintf(num, sizeof(num), "%" PRId32, cm->encodings[k]);
			name = num;
		}
		w = snprintf(enc + len, ENC_TEXT_MAX - len, "%s%s", len ? "," : "", name);
		if (w < 0 || (size_t)w >= ENC_TEXT_MAX - len) {
			memcpy(enc + len, ",...", 5);
			break;
		}
		len += (size_t)w;
	}
	ci->encodings = enc;
	if (codec_label(cm->codec)) {
		ci->codec = codec_label(cm->codec);
	} else {
		snprintf(label, sizeof(label), "codec(%" PRId32 ")", cm->codec);
		ci->codec = arena_strdup(in, label);
		if (!ci->codec)
			return VITALS_E_NOMEM;
	}
	ci->compressed = cm->total_compressed_size;
	ci->uncompressed = cm->total_uncompressed_size;
	ci->values = cm->num_values;
	ci->null_count = cm->has_statistics && st->has_null_count ? st->null_count : -1;
	if (!cm->has_statistics)
		return VITALS_OK;
	if (st->has_min_value && order_known(pr, li))
		ci->min = stat_text(in, lf, st->min_value, st->min_value_len, &has_lo, &ci->min_i);
	else if (st->has_min && old_stats_usable(lf))
		ci->min = stat_text(in, lf, st->min, st->min_len, &has_lo, &ci->min_i);
	if (st->has_max_value && order_known(pr, li))
		ci->max = stat_text(in, lf, st->max_value, st->max_value_len, &has_hi, &ci->max_i);
	else if (st->has_max && old_stats_usable(lf))
		ci->max = stat_text(in, lf, st->max, st->max_len, &has_hi, &ci->max_i);
	ci->has_int_stats = has_lo && has_hi;
	if (!ci->has_int_stats)
		ci->min_i = ci->max_i = 0;
	return VITALS_OK;
}

void store_parquet_file_info_free(struct vitals_file_info *info)
{
	struct pq_info *in = (struct pq_info *)info;
	struct arena_block *b, *next;

	if (!in)
		return;
	for (b = in->arena; b; b = next) {
		next = b->next;
		free(b);
	}
	vitals_schema_release(&in->schema);
	free(in);
}

int store_parquet_describe(struct vitals_reader *r, struct vitals_file_info **out)
{
	const struct pq_rd *pr = r->impl;
	const struct pq_file_meta *m;
	struct vitals_field_info *fields;
	struct vitals_row_group_info *groups;
	struct vitals_kv *kv;
	struct pq_info *in;
	int rc = VITALS_E_NOMEM;

	*out = NULL;
	if (!pr)
		return store_reader_fail(r, VITALS_E_INVAL, "not an open Parquet reader");
	m = &pr->meta;
	in = calloc(1, sizeof(*in));
	if (!in)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	vitals_schema_init(&in->schema);
	if (vitals_schema_copy(&in->schema, &pr->file_schema) < 0)
		goto out_free;
	fields = arena_alloc(in, (pr->leaf_count ? pr->leaf_count : 1) * sizeof(*fields));
	groups = arena_alloc(in, (m->row_group_count ? m->row_group_count : 1) * sizeof(*groups));
	kv = arena_alloc(in, (m->kv_count ? m->kv_count : 1) * sizeof(*kv));
	if (!fields || !groups || !kv)
		goto out_free;
	for (size_t i = 0; i < pr->leaf_count; i++) {
		fields[i].physical = arena_strdup(in, pr->leaves[i].physical);
		fields[i].logical =
		    pr->leaves[i].logical[0] ? arena_strdup(in, pr->leaves[i].logical) : NULL;
		if (!fields[i].physical || (pr->leaves[i].logical[0] && !fields[i].logical))
			goto out_free;
	}
	for (uint32_t g = 0; g < m->row_group_count; g++) {
		const struct pq_row_group *rg = &m->row_groups[g];
		struct vitals_row_group_info *gi = &groups[g];

		gi->rows = rg->num_rows;
		gi->columns =
		    arena_alloc(in, (pr->leaf_count ? pr->leaf_count : 1) * sizeof(*gi->columns));
		if (!gi->columns)
			goto out_free;
		for (size_t i = 0; i < pr->leaf_count; i++) {
			const struct pq_column_meta *cm = &rg->columns[i].meta;

			gi->compressed += cm->total_compressed_size;
			gi->uncompressed += cm->total_uncompressed_size;
			rc = describe_chunk(in, pr, i, cm, &gi->columns[i]);
			if (rc < 0)
				goto out_free;
		}
	}
	rc = VITALS_E_NOMEM;
	in->pub.meta_count = 0;
	for (uint32_t i = 0; i < m->kv_count; i++) {
		if (!m->kv[i].key)
			continue;
		kv[in->pub.meta_count].key = arena_strdup(in, m->kv[i].key);
		kv[in->pub.meta_count].value =
		    m->kv[i].value ? arena_strdup(in, m->kv[i].value) : NULL;
		if (!kv[in->pub.meta_count].key ||
		    (m->kv[i].value && !kv[in->pub.meta_count].value))
			goto out_free;
		in->pub.meta_count++;
	}
	if (m->created_by) {
		in->pub.created_by = arena_strdup(in, m->created_by);
		if (!in->pub.created_by)
			goto out_free;
	}
	in->pub.format = VITALS_FORMAT_PARQUET;
	in->pub.file_bytes = pr->file_size;
	in->pub.rows = m->num_rows;
	in->pub.schema = &in->schema;
	in->pub.fields = fields;
	in->pub.row_group_count = m->row_group_count;
	in->pub.row_groups = groups;
	in->pub.format_version = m->version;
	in->pub.meta = kv;
	*out = &in->pub;
	return VITALS_OK;
out_free:
	store_parquet_file_info_free(&in->pub);
	return store_reader_fail(r, rc, "out of memory");
}
