/*
 * FileMetaData and PageHeader of parquet.thrift, field by field. Each
 * structure has a decoder that walks its fields with the compact reader,
 * keeps the ones vitals uses, skips the rest whatever their type, and
 * checks at its STOP that the required ones came. Field ids are those of
 * the Apache Parquet format's parquet.thrift.
 */
#include "store/pqmeta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/common.h>

#include "store/thrift.h"

/* ---- decoding context and messages ------------------------------------ */

struct dec {
	struct thrift_reader r;
	char *err;
	size_t errlen;
	int status;       /* the first failure's */
	int short_status; /* the status for running out of bytes */
	/* pq_meta_decode_keep(): row groups copied as bytes, not kept */
	int keep_mode;
	uint32_t keep;
	struct bytebuf *raw;
	int64_t kept_rows;
	uint64_t kept_end;
	/* pq_meta_decode_columns(): the columns whose chunks are decoded */
	const char *const *want;
	size_t want_count;
	const struct pq_file_meta *m;
	uint8_t *mask; /* per column of a flat schema: decode its chunks */
	uint32_t mask_count;
	int mask_done;
};

/* One structure being decoded: WHERE it is ("row group 2 column 1") and its NAME. */
struct sctx {
	struct dec *d;
	const char *where;
	const char *name;
};

struct field {
	int type;
	int16_t id;
};

__attribute__((format(printf, 4, 5))) static int dec_fail(struct dec *d, int status,
                                                          const char *where, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;
	int w;

	if (d->status)
		return -1;
	d->status = status;
	if (!d->err || !d->errlen)
		return -1;
	if (where && *where) {
		w = snprintf(d->err, d->errlen, "%s: ", where);
		n = w < 0 ? 0 : (size_t)w >= d->errlen ? d->errlen - 1 : (size_t)w;
	}
	va_start(ap, fmt);
	vsnprintf(d->err + n, d->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *type_name(int t)
{
	static const char *const names[] = {"stop", "bool", "bool",   "byte",   "i16",
	                                    "i32",  "i64",  "double", "binary", "list",
	                                    "set",  "map",  "struct"};

	return t >= 0 && t <= THRIFT_STRUCT ? names[t] : "?";
}

/* The reader failed inside field FNAME (NULL: between fields). */
static int read_fail(struct sctx *c, const char *fname)
{
	struct dec *d = c->d;
	int st = d->r.truncated ? d->short_status : VITALS_E_PARSE;

	if (fname)
		return dec_fail(d, st, c->where, "%s.%s: %s", c->name, fname, d->r.err);
	return dec_fail(d, st, c->where, "%s: %s", c->name, d->r.err);
}

static int nomem(struct sctx *c)
{
	return dec_fail(c->d, VITALS_E_NOMEM, c->where, "%s: out of memory", c->name);
}

static int missing(struct sctx *c, const char *fname)
{
	return dec_fail(c->d, VITALS_E_PARSE, c->where, "%s has no %s", c->name, fname);
}

static int negative(struct sctx *c, const char *fname, int64_t v)
{
	return dec_fail(c->d, VITALS_E_PARSE, c->where, "%s.%s is negative (%lld)", c->name, fname,
	                (long long)v);
}

static int begin(struct sctx *c)
{
	if (thrift_struct_begin(&c->d->r) < 0)
		return read_fail(c, NULL);
	return 0;
}

/* 1 with the next field in F, 0 after the STOP (the structure is closed), -1. */
static int next_field(struct sctx *c, struct field *f)
{
	if (thrift_read_field(&c->d->r, &f->type, &f->id) < 0)
		return read_fail(c, NULL);
	if (f->type == THRIFT_STOP) {
		thrift_struct_end(&c->d->r);
		return 0;
	}
	return 1;
}

static int skip_field(struct sctx *c, const struct field *f)
{
	if (thrift_skip(&c->d->r, f->type) < 0)
		return read_fail(c, NULL);
	return 0;
}

static int want(struct sctx *c, const struct field *f, const char *fname, int type)
{
	if (f->type == type)
		return 0;
	return dec_fail(c->d, VITALS_E_PARSE, c->where, "%s.%s is a %s, not a %s", c->name, fname,
	                type_name(f->type), type_name(type));
}

static int get_bool(struct sctx *c, const struct field *f, const char *fname, int *v)
{
	if (want(c, f, fname, THRIFT_BOOL) < 0)
		return -1;
	if (thrift_read_bool(&c->d->r, v) < 0)
		return read_fail(c, fname);
	return 0;
}

static int get_byte(struct sctx *c, const struct field *f, const char *fname, int8_t *v)
{
	if (want(c, f, fname, THRIFT_BYTE) < 0)
		return -1;
	if (thrift_read_byte(&c->d->r, v) < 0)
		return read_fail(c, fname);
	return 0;
}

static int get_i16(struct sctx *c, const struct field *f, const char *fname, int16_t *v)
{
	if (want(c, f, fname, THRIFT_I16) < 0)
		return -1;
	if (thrift_read_i16(&c->d->r, v) < 0)
		return read_fail(c, fname);
	return 0;
}

static int get_i32(struct sctx *c, const struct field *f, const char *fname, int32_t *v)
{
	if (want(c, f, fname, THRIFT_I32) < 0)
		return -1;
	if (thrift_read_i32(&c->d->r, v) < 0)
		return read_fail(c, fname);
	return 0;
}

/* An i32 that is a size, a count or an enum: never negative. */
static int get_count32(struct sctx *c, const struct field *f, const char *fname, int32_t *v)
{
	if (get_i32(c, f, fname, v) < 0)
		return -1;
	if (*v < 0)
		return negative(c, fname, *v);
	return 0;
}

static int get_i64(struct sctx *c, const struct field *f, const char *fname, int64_t *v)
{
	if (want(c, f, fname, THRIFT_I64) < 0)
		return -1;
	if (thrift_read_i64(&c->d->r, v) < 0)
		return read_fail(c, fname);
	return 0;
}

static int get_count64(struct sctx *c, const struct field *f, const char *fname, int64_t *v)
{
	if (get_i64(c, f, fname, v) < 0)
		return -1;
	if (*v < 0)
		return negative(c, fname, *v);
	return 0;
}

/* A copy of a binary value, NUL-terminated (so strings are C strings), replacing *OUT. */
static int get_binary(struct sctx *c, const struct field *f, const char *fname, uint8_t **out,
                      uint32_t *len)
{
	const uint8_t *data;
	uint32_t n;
	uint8_t *p;

	if (want(c, f, fname, THRIFT_BINARY) < 0)
		return -1;
	if (thrift_read_binary(&c->d->r, &data, &n) < 0)
		return read_fail(c, fname);
	p = malloc((size_t)n + 1);
	if (!p)
		return nomem(c);
	memcpy(p, data, n);
	p[n] = 0;
	free(*out);
	*out = p;
	if (len)
		*len = n;
	return 0;
}

static int get_string(struct sctx *c, const struct field *f, const char *fname, char **out)
{
	return get_binary(c, f, fname, (uint8_t **)out, NULL);
}

/*
 * A list header for field FNAME of elements of ELEM, each taking at least
 * MIN_BYTES on the wire when valid (which bounds what is allocated).
 */
static int get_list(struct sctx *c, const struct field *f, const char *fname, int elem,
                    size_t min_bytes, uint32_t *count)
{
	int t;

	if (want(c, f, fname, THRIFT_LIST) < 0)
		return -1;
	if (thrift_read_list(&c->d->r, &t, count, min_bytes) < 0)
		return read_fail(c, fname);
	if (*count && t != elem)
		return dec_fail(c->d, VITALS_E_PARSE, c->where, "%s.%s is a list of %s, not of %s",
		                c->name, fname, type_name(t), type_name(elem));
	return 0;
}

/* ---- release ------------------------------------------------------------ */

static void stats_release(struct pq_statistics *s)
{
	free(s->min_value);
	free(s->max_value);
	free(s->min);
	free(s->max);
	memset(s, 0, sizeof(*s));
}

static void column_meta_release(struct pq_column_meta *m)
{
	free(m->encodings);
	for (uint32_t i = 0; i < m->path_count; i++)
		free(m->path[i]);
	free(m->path);
	stats_release(&m->stats);
	memset(m, 0, sizeof(*m));
}

static void columns_release(struct pq_row_group *g)
{
	for (uint32_t i = 0; i < g->column_count; i++) {
		if (g->columns[i].skipped)
			continue; /* nothing decoded, nothing owned */
		free(g->columns[i].file_path);
		column_meta_release(&g->columns[i].meta);
	}
	free(g->columns);
	g->columns = NULL;
	g->column_count = 0;
}

void pq_row_group_release(struct pq_row_group *g)
{
	columns_release(g);
	memset(g, 0, sizeof(*g));
}

static void schema_release(struct pq_file_meta *m)
{
	for (uint32_t i = 0; i < m->schema_count; i++)
		free(m->schema[i].name);
	free(m->schema);
	m->schema = NULL;
	m->schema_count = 0;
}

static void row_groups_release(struct pq_file_meta *m)
{
	for (uint32_t i = 0; i < m->row_group_count; i++)
		pq_row_group_release(&m->row_groups[i]);
	free(m->row_groups);
	m->row_groups = NULL;
	m->row_group_count = 0;
}

static void kv_release(struct pq_file_meta *m)
{
	for (uint32_t i = 0; i < m->kv_count; i++) {
		free(m->kv[i].key);
		free(m->kv[i].value);
	}
	free(m->kv);
	m->kv = NULL;
	m->kv_count = 0;
}

void pq_meta_release(struct pq_file_meta *m)
{
	schema_release(m);
	row_groups_release(m);
	kv_release(m);
	free(m->created_by);
	free(m->column_orders);
	memset(m, 0, sizeof(*m));
}

/* ---- FileMetaData decoding ---------------------------------------------- */

/* A structure whose fields do not matter (the empty members of unions). */
static int empty_decode(struct sctx *c)
{
	struct field f;
	int rc;

	if (begin(c) < 0)
		return -1;
	while ((rc = next_field(c, &f)) > 0)
		if (skip_field(c, &f) < 0)
			return -1;
	return rc;
}

static int time_unit_decode(struct dec *d, const char *where, enum pq_time_unit *unit)
{
	struct sctx c = {d, where, "TimeUnit"};
	struct field f;
	int rc;

	*unit = PQ_UNIT_NONE;
	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		if (f.type == THRIFT_STRUCT && f.id >= 1 && f.id <= 3) {
			struct sctx m = {d, where,
			                 f.id == 1   ? "MilliSeconds"
			                 : f.id == 2 ? "MicroSeconds"
			                             : "NanoSeconds"};
			if (empty_decode(&m) < 0)
				return -1;
			*unit = (enum pq_time_unit)f.id;
		} else if (skip_field(&c, &f) < 0) {
			return -1;
		}
	}
	return rc;
}

/* TimeType and TimestampType, which have the same fields. */
static int time_decode(struct dec *d, const char *where, const char *name, struct pq_logical *lt)
{
	struct sctx c = {d, where, name};
	struct field f;
	unsigned seen = 0;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_bool(&c, &f, "isAdjustedToUTC", &lt->utc);
			break;
		case 2:
			rc = want(&c, &f, "unit", THRIFT_STRUCT);
			if (rc == 0)
				rc = time_unit_decode(d, where, &lt->unit);
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "isAdjustedToUTC");
	if (!(seen & 1u << 2))
		return missing(&c, "unit");
	return 0;
}

static int int_type_decode(struct dec *d, const char *where, struct pq_logical *lt)
{
	struct sctx c = {d, where, "IntType"};
	struct field f;
	unsigned seen = 0;
	int8_t width;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_byte(&c, &f, "bitWidth", &width);
			lt->bit_width = width;
			break;
		case 2:
			rc = get_bool(&c, &f, "isSigned", &lt->is_signed);
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "bitWidth");
	if (!(seen & 1u << 2))
		return missing(&c, "isSigned");
	return 0;
}

static int decimal_decode(struct dec *d, const char *where, struct pq_logical *lt)
{
	struct sctx c = {d, where, "DecimalType"};
	struct field f;
	unsigned seen = 0;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_i32(&c, &f, "scale", &lt->scale);
			break;
		case 2:
			rc = get_i32(&c, &f, "precision", &lt->precision);
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "scale");
	if (!(seen & 1u << 2))
		return missing(&c, "precision");
	return 0;
}

/* The LogicalType union: its member's field id is the kind. */
static int logical_decode(struct dec *d, const char *where, struct pq_logical *lt)
{
	/* The empty structures of the members without parameters. */
	static const char *const members[] = {"?",        "StringType", "MapType",  "ListType",
	                                      "EnumType", "?",          "DateType", "?",
	                                      "?",        "?",          "?",        "NullType",
	                                      "JsonType", "BsonType",   "UUIDType", "Float16Type"};
	struct sctx c = {d, where, "LogicalType"};
	struct field f;
	int rc;

	memset(lt, 0, sizeof(*lt));
	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		struct sctx m = {d, where,
		                 f.id >= 0 && f.id <= PQ_LT_FLOAT16 ? members[f.id] : "?"};

		if (f.type != THRIFT_STRUCT) {
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		memset(lt, 0, sizeof(*lt));
		switch (f.id) {
		case PQ_LT_STRING:
		case PQ_LT_MAP:
		case PQ_LT_LIST:
		case PQ_LT_ENUM:
		case PQ_LT_DATE:
		case PQ_LT_UNKNOWN:
		case PQ_LT_JSON:
		case PQ_LT_BSON:
		case PQ_LT_UUID:
		case PQ_LT_FLOAT16:
			rc = empty_decode(&m);
			lt->kind = (enum pq_logical_kind)f.id;
			break;
		case PQ_LT_DECIMAL:
			rc = decimal_decode(d, where, lt);
			lt->kind = PQ_LT_DECIMAL;
			break;
		case PQ_LT_TIME:
			rc = time_decode(d, where, "TimeType", lt);
			lt->kind = PQ_LT_TIME;
			break;
		case PQ_LT_TIMESTAMP:
			rc = time_decode(d, where, "TimestampType", lt);
			lt->kind = PQ_LT_TIMESTAMP;
			break;
		case PQ_LT_INTEGER:
			rc = int_type_decode(d, where, lt);
			lt->kind = PQ_LT_INTEGER;
			break;
		default:
			rc = skip_field(&c, &f);
			lt->kind = PQ_LT_OTHER;
			break;
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

static int schema_element_decode(struct dec *d, const char *where, struct pq_schema_element *e)
{
	struct sctx c = {d, where, "SchemaElement"};
	struct field f;
	int32_t v;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_i32(&c, &f, "type", &v);
			if (rc == 0 && (v < PQ_BOOLEAN || v > PQ_FIXED_LEN_BYTE_ARRAY))
				rc = dec_fail(d, VITALS_E_PARSE, where,
				              "SchemaElement.type %d is no Parquet type", (int)v);
			e->has_type = 1;
			e->type = (enum pq_physical)v;
			break;
		case 2:
			rc = get_i32(&c, &f, "type_length", &e->type_length);
			break;
		case 3:
			rc = get_count32(&c, &f, "repetition_type", &v);
			e->has_repetition = 1;
			e->repetition = (enum pq_repetition)v;
			break;
		case 4:
			rc = get_string(&c, &f, "name", &e->name);
			break;
		case 5:
			rc = get_count32(&c, &f, "num_children", &e->num_children);
			break;
		case 6:
			rc = get_count32(&c, &f, "converted_type", &v);
			e->has_converted = 1;
			e->converted = (enum pq_converted)v;
			break;
		case 7:
			rc = get_i32(&c, &f, "scale", &e->scale);
			break;
		case 8:
			rc = get_i32(&c, &f, "precision", &e->precision);
			break;
		case 10:
			rc = want(&c, &f, "logicalType", THRIFT_STRUCT);
			if (rc == 0)
				rc = logical_decode(d, where, &e->logical);
			break;
		default:
			rc = skip_field(&c, &f);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!e->name)
		return missing(&c, "name");
	if (e->has_type && e->type == PQ_FIXED_LEN_BYTE_ARRAY && e->type_length < 0)
		return negative(&c, "type_length", e->type_length);
	return 0;
}

static int stats_decode(struct dec *d, const char *where, struct pq_statistics *s)
{
	struct sctx c = {d, where, "Statistics"};
	struct field f;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_binary(&c, &f, "max", &s->max, &s->max_len);
			s->has_max = 1;
			break;
		case 2:
			rc = get_binary(&c, &f, "min", &s->min, &s->min_len);
			s->has_min = 1;
			break;
		case 3:
			rc = get_count64(&c, &f, "null_count", &s->null_count);
			s->has_null_count = 1;
			break;
		case 4:
			rc = get_count64(&c, &f, "distinct_count", &s->distinct_count);
			s->has_distinct_count = 1;
			break;
		case 5:
			rc = get_binary(&c, &f, "max_value", &s->max_value, &s->max_value_len);
			s->has_max_value = 1;
			break;
		case 6:
			rc = get_binary(&c, &f, "min_value", &s->min_value, &s->min_value_len);
			s->has_min_value = 1;
			break;
		default:
			rc = skip_field(&c, &f);
			break;
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

static int encodings_decode(struct sctx *c, const struct field *f, struct pq_column_meta *m)
{
	uint32_t n;

	if (get_list(c, f, "encodings", THRIFT_I32, 1, &n) < 0)
		return -1;
	free(m->encodings);
	m->encodings = NULL;
	m->encoding_count = 0;
	if (n && !(m->encodings = calloc(n, sizeof(*m->encodings))))
		return nomem(c);
	for (uint32_t i = 0; i < n; i++)
		if (thrift_read_i32(&c->d->r, &m->encodings[i]) < 0)
			return read_fail(c, "encodings");
	m->encoding_count = n;
	return 0;
}

static int path_decode(struct sctx *c, const struct field *f, struct pq_column_meta *m)
{
	uint32_t n;

	if (get_list(c, f, "path_in_schema", THRIFT_BINARY, 1, &n) < 0)
		return -1;
	for (uint32_t i = 0; i < m->path_count; i++)
		free(m->path[i]);
	free(m->path);
	m->path = NULL;
	m->path_count = 0;
	if (n && !(m->path = calloc(n, sizeof(*m->path))))
		return nomem(c);
	m->path_count = n;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *data;
		uint32_t len;

		if (thrift_read_binary(&c->d->r, &data, &len) < 0)
			return read_fail(c, "path_in_schema");
		m->path[i] = malloc((size_t)len + 1);
		if (!m->path[i])
			return nomem(c);
		memcpy(m->path[i], data, len);
		m->path[i][len] = 0;
	}
	return 0;
}

static int column_meta_decode(struct dec *d, const char *where, struct pq_column_meta *m)
{
	static const char *const required[] = {NULL,
	                                       "type",
	                                       "encodings",
	                                       "path_in_schema",
	                                       "codec",
	                                       "num_values",
	                                       "total_uncompressed_size",
	                                       "total_compressed_size",
	                                       NULL,
	                                       "data_page_offset"};
	struct sctx c = {d, where, "ColumnMetaData"};
	struct field f;
	unsigned seen = 0;
	int32_t v;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_i32(&c, &f, "type", &v);
			if (rc == 0 && (v < PQ_BOOLEAN || v > PQ_FIXED_LEN_BYTE_ARRAY))
				rc = dec_fail(d, VITALS_E_PARSE, where,
				              "ColumnMetaData.type %d is no Parquet type", (int)v);
			m->type = (enum pq_physical)v;
			break;
		case 2:
			rc = encodings_decode(&c, &f, m);
			break;
		case 3:
			rc = path_decode(&c, &f, m);
			break;
		case 4:
			rc = get_i32(&c, &f, "codec", &m->codec);
			break;
		case 5:
			rc = get_count64(&c, &f, "num_values", &m->num_values);
			break;
		case 6:
			rc = get_count64(&c, &f, "total_uncompressed_size",
			                 &m->total_uncompressed_size);
			break;
		case 7:
			rc =
			    get_count64(&c, &f, "total_compressed_size", &m->total_compressed_size);
			break;
		case 9:
			rc = get_count64(&c, &f, "data_page_offset", &m->data_page_offset);
			break;
		case 10:
			rc = get_count64(&c, &f, "index_page_offset", &m->index_page_offset);
			m->has_index_page_offset = 1;
			break;
		case 11:
			rc = get_count64(&c, &f, "dictionary_page_offset",
			                 &m->dictionary_page_offset);
			m->has_dictionary_page_offset = 1;
			break;
		case 12:
			rc = want(&c, &f, "statistics", THRIFT_STRUCT);
			if (rc == 0) {
				stats_release(&m->stats);
				m->has_statistics = 1;
				rc = stats_decode(d, where, &m->stats);
			}
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	for (unsigned i = 1; i < sizeof(required) / sizeof(required[0]); i++)
		if (required[i] && !(seen & 1u << i))
			return missing(&c, required[i]);
	return 0;
}

static int column_chunk_decode(struct dec *d, const char *where, struct pq_column_chunk *cc)
{
	struct sctx c = {d, where, "ColumnChunk"};
	struct field f;
	int have_offset = 0;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_string(&c, &f, "file_path", &cc->file_path);
			break;
		case 2:
			rc = get_count64(&c, &f, "file_offset", &cc->file_offset);
			have_offset = 1;
			break;
		case 3:
			rc = want(&c, &f, "meta_data", THRIFT_STRUCT);
			if (rc == 0) {
				column_meta_release(&cc->meta);
				cc->has_meta = 1;
				rc = column_meta_decode(d, where, &cc->meta);
			}
			break;
		default:
			rc = skip_field(&c, &f);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!have_offset)
		return missing(&c, "file_offset");
	return 0;
}

/* Minimal valid encodings, in bytes, of list elements (field header, value, STOP). */
#define MIN_SCHEMA_ELEMENT 3 /* name */
#define MIN_ROW_GROUP      7 /* columns, total_byte_size, num_rows */
#define MIN_COLUMN_CHUNK   3 /* file_offset */
#define MIN_KEY_VALUE      3 /* key */

/*
 * pq_meta_decode_columns(): which columns' chunks to decode, from the
 * schema decoded before the row groups; none skipped (d->mask NULL) when
 * the schema came later or is not flat.
 */
static void want_mask(struct dec *d)
{
	const struct pq_file_meta *m = d->m;

	d->mask_done = 1;
	if (!d->want || !m || m->schema_count < 2 || m->schema[0].num_children < 0 ||
	    (uint32_t)m->schema[0].num_children != m->schema_count - 1)
		return;
	for (uint32_t i = 1; i < m->schema_count; i++)
		if (m->schema[i].num_children != 0 || !m->schema[i].name)
			return;
	d->mask = calloc(m->schema_count - 1, 1);
	if (!d->mask)
		return;
	d->mask_count = m->schema_count - 1;
	for (uint32_t i = 0; i < d->mask_count; i++)
		for (size_t k = 0; k < d->want_count && !d->mask[i]; k++)
			d->mask[i] = strcmp(m->schema[i + 1].name, d->want[k]) == 0;
}

/* "PREFIX column N" into W (of N bytes) without printf: 144 columns x 400 row groups add up. */
static void where_column(char *w, size_t size, size_t prefix, uint32_t i)
{
	char digits[12];
	size_t n = 0;

	do
		digits[n++] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	if (prefix + n >= size)
		return;
	for (size_t k = 0; k < n; k++)
		w[prefix + k] = digits[n - 1 - k];
	w[prefix + n] = '\0';
}

static int row_group_decode(struct dec *d, const char *where, struct pq_row_group *g)
{
	struct sctx c = {d, where, "RowGroup"};
	struct field f;
	unsigned seen = 0;
	char w[96];
	size_t prefix;
	uint32_t n;
	int rc;

	if (d->want && !d->mask_done)
		want_mask(d);
	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_list(&c, &f, "columns", THRIFT_STRUCT, MIN_COLUMN_CHUNK, &n);
			if (rc < 0)
				break;
			columns_release(g);
			if (n && !(g->columns = calloc(n, sizeof(*g->columns)))) {
				rc = nomem(&c);
				break;
			}
			g->column_count = n;
			snprintf(w, sizeof(w), "%s column ", where);
			prefix = strlen(w);
			for (uint32_t i = 0; i < n && rc == 0; i++) {
				if (d->mask && i < d->mask_count && !d->mask[i]) {
					g->columns[i].skipped = 1;
					if (thrift_skip(&d->r, THRIFT_STRUCT) < 0)
						rc = read_fail(&c, NULL);
					continue;
				}
				where_column(w, sizeof(w), prefix, i);
				rc = column_chunk_decode(d, w, &g->columns[i]);
			}
			break;
		case 2:
			rc = get_count64(&c, &f, "total_byte_size", &g->total_byte_size);
			break;
		case 3:
			rc = get_count64(&c, &f, "num_rows", &g->num_rows);
			break;
		case 5:
			rc = get_count64(&c, &f, "file_offset", &g->file_offset);
			g->has_file_offset = 1;
			break;
		case 6:
			rc =
			    get_count64(&c, &f, "total_compressed_size", &g->total_compressed_size);
			g->has_total_compressed_size = 1;
			break;
		case 7:
			rc = get_i16(&c, &f, "ordinal", &g->ordinal);
			g->has_ordinal = 1;
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "columns");
	if (!(seen & 1u << 2))
		return missing(&c, "total_byte_size");
	if (!(seen & 1u << 3))
		return missing(&c, "num_rows");
	return 0;
}

static int key_value_decode(struct dec *d, const char *where, struct pq_kv *kv)
{
	struct sctx c = {d, where, "KeyValue"};
	struct field f;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_string(&c, &f, "key", &kv->key);
			break;
		case 2:
			rc = get_string(&c, &f, "value", &kv->value);
			break;
		default:
			rc = skip_field(&c, &f);
			break;
		}
		if (rc < 0)
			return -1;
	}
	if (rc < 0)
		return -1;
	if (!kv->key)
		return missing(&c, "key");
	return 0;
}

/* The ColumnOrder union: 1 for TYPE_ORDER, 0 for any other member. */
static int column_order_decode(struct dec *d, const char *where, int32_t *order)
{
	struct sctx c = {d, where, "ColumnOrder"};
	struct field f;
	int rc;

	*order = 0;
	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		if (skip_field(&c, &f) < 0)
			return -1;
		*order = f.id == 1 && f.type == THRIFT_STRUCT;
	}
	return rc;
}

/*
 * pq_meta_decode_keep(): N row groups, each decoded on its own and dropped;
 * the bytes of the first d->keep of them go to d->raw.
 */
static int row_groups_keep(struct dec *d, uint32_t n)
{
	char w[64];

	if (d->keep > n) {
		snprintf(d->err, d->errlen, "the file has %u row groups, not %u", n, d->keep);
		d->status = VITALS_E_PARSE;
		return -1;
	}
	d->kept_end = 4;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *start = d->r.p;
		struct pq_row_group g;
		int rc;

		memset(&g, 0, sizeof(g));
		snprintf(w, sizeof(w), "row group %u", i);
		rc = row_group_decode(d, w, &g);
		if (rc == 0 && i < d->keep) {
			for (uint32_t j = 0; j < g.column_count && rc == 0; j++) {
				const struct pq_column_meta *cm = &g.columns[j].meta;
				int64_t at = cm->data_page_offset;

				if (cm->has_dictionary_page_offset &&
				    cm->dictionary_page_offset < at)
					at = cm->dictionary_page_offset;
				if (at != (int64_t)d->kept_end || cm->total_compressed_size < 0) {
					snprintf(d->err, d->errlen,
					         "row group %u is not where the row groups before "
					         "it end",
					         i);
					d->status = VITALS_E_PARSE;
					rc = -1;
					break;
				}
				d->kept_end += (uint64_t)cm->total_compressed_size;
			}
			d->kept_rows += g.num_rows;
			if (rc == 0 &&
			    bytebuf_append(d->raw, start, (size_t)(d->r.p - start)) < 0) {
				d->status = VITALS_E_NOMEM;
				rc = -1;
			}
		}
		pq_row_group_release(&g);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int file_meta_decode(struct dec *d, struct pq_file_meta *m)
{
	struct sctx c = {d, "", "FileMetaData"};
	struct field f;
	unsigned seen = 0;
	char w[64];
	uint32_t n;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_i32(&c, &f, "version", &m->version);
			break;
		case 2:
			rc = get_list(&c, &f, "schema", THRIFT_STRUCT, MIN_SCHEMA_ELEMENT, &n);
			if (rc < 0)
				break;
			schema_release(m);
			if (n && !(m->schema = calloc(n, sizeof(*m->schema)))) {
				rc = nomem(&c);
				break;
			}
			m->schema_count = n;
			for (uint32_t i = 0; i < n && rc == 0; i++) {
				snprintf(w, sizeof(w), "schema element %u", i);
				rc = schema_element_decode(d, w, &m->schema[i]);
			}
			break;
		case 3:
			rc = get_count64(&c, &f, "num_rows", &m->num_rows);
			break;
		case 4:
			rc = get_list(&c, &f, "row_groups", THRIFT_STRUCT, MIN_ROW_GROUP, &n);
			if (rc < 0)
				break;
			row_groups_release(m);
			if (d->keep_mode) {
				rc = row_groups_keep(d, n);
				break;
			}
			if (n && !(m->row_groups = calloc(n, sizeof(*m->row_groups)))) {
				rc = nomem(&c);
				break;
			}
			m->row_group_count = n;
			for (uint32_t i = 0; i < n && rc == 0; i++) {
				snprintf(w, sizeof(w), "row group %u", i);
				rc = row_group_decode(d, w, &m->row_groups[i]);
			}
			break;
		case 5:
			rc = get_list(&c, &f, "key_value_metadata", THRIFT_STRUCT, MIN_KEY_VALUE,
			              &n);
			if (rc < 0)
				break;
			kv_release(m);
			if (n && !(m->kv = calloc(n, sizeof(*m->kv)))) {
				rc = nomem(&c);
				break;
			}
			m->kv_count = n;
			for (uint32_t i = 0; i < n && rc == 0; i++) {
				snprintf(w, sizeof(w), "key/value %u", i);
				rc = key_value_decode(d, w, &m->kv[i]);
			}
			break;
		case 6:
			rc = get_string(&c, &f, "created_by", &m->created_by);
			break;
		case 7:
			rc = get_list(&c, &f, "column_orders", THRIFT_STRUCT, 1, &n);
			if (rc < 0)
				break;
			free(m->column_orders);
			m->column_orders = NULL;
			m->column_order_count = 0;
			if (n && !(m->column_orders = calloc(n, sizeof(*m->column_orders)))) {
				rc = nomem(&c);
				break;
			}
			m->column_order_count = n;
			for (uint32_t i = 0; i < n && rc == 0; i++) {
				snprintf(w, sizeof(w), "column order %u", i);
				rc = column_order_decode(d, w, &m->column_orders[i]);
			}
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "version");
	if (!(seen & 1u << 2))
		return missing(&c, "schema");
	if (!(seen & 1u << 3))
		return missing(&c, "num_rows");
	if (!(seen & 1u << 4))
		return missing(&c, "row_groups");
	return 0;
}

int pq_meta_decode(struct pq_file_meta *m, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen, .short_status = VITALS_E_PARSE};

	memset(m, 0, sizeof(*m));
	thrift_reader_init(&d.r, buf, len);
	if (file_meta_decode(&d, m) < 0) {
		pq_meta_release(m);
		return d.status ? d.status : VITALS_E_PARSE;
	}
	return 0;
}

int pq_meta_decode_columns(struct pq_file_meta *m, const uint8_t *buf, size_t len,
                           const char *const *want, size_t want_count, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen, .short_status = VITALS_E_PARSE};
	int rc = 0;

	memset(m, 0, sizeof(*m));
	d.want = want;
	d.want_count = want_count;
	d.m = m;
	thrift_reader_init(&d.r, buf, len);
	if (file_meta_decode(&d, m) < 0) {
		pq_meta_release(m);
		rc = d.status ? d.status : VITALS_E_PARSE;
	}
	free(d.mask);
	return rc;
}

int pq_meta_decode_keep(struct pq_file_meta *m, const uint8_t *buf, size_t len, uint32_t keep,
                        struct bytebuf *raw, int64_t *rows, uint64_t *end, char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen, .short_status = VITALS_E_PARSE};

	memset(m, 0, sizeof(*m));
	d.keep_mode = 1;
	d.keep = keep;
	d.raw = raw;
	thrift_reader_init(&d.r, buf, len);
	if (file_meta_decode(&d, m) < 0) {
		pq_meta_release(m);
		return d.status ? d.status : VITALS_E_PARSE;
	}
	*rows = d.kept_rows;
	*end = d.kept_end;
	return 0;
}

/* ---- FileMetaData encoding ---------------------------------------------- */

static uint32_t len32(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static void string_field(struct thrift_writer *w, int16_t id, const char *s)
{
	thrift_write_binary_field(w, id, s ? s : "", len32(s));
}

static void empty_struct_field(struct thrift_writer *w, int16_t id)
{
	thrift_write_field(w, THRIFT_STRUCT, id);
	thrift_write_struct_begin(w);
	thrift_write_struct_end(w);
}

static void logical_encode(struct thrift_writer *w, const struct pq_logical *lt)
{
	thrift_write_field(w, THRIFT_STRUCT, 10);
	thrift_write_struct_begin(w);
	switch (lt->kind) {
	case PQ_LT_DECIMAL:
		thrift_write_field(w, THRIFT_STRUCT, PQ_LT_DECIMAL);
		thrift_write_struct_begin(w);
		thrift_write_i32_field(w, 1, lt->scale);
		thrift_write_i32_field(w, 2, lt->precision);
		thrift_write_struct_end(w);
		break;
	case PQ_LT_TIME:
	case PQ_LT_TIMESTAMP:
		thrift_write_field(w, THRIFT_STRUCT, (int16_t)lt->kind);
		thrift_write_struct_begin(w);
		thrift_write_bool_field(w, 1, lt->utc);
		thrift_write_field(w, THRIFT_STRUCT, 2);
		thrift_write_struct_begin(w);
		if (lt->unit >= PQ_UNIT_MILLIS && lt->unit <= PQ_UNIT_NANOS)
			empty_struct_field(w, (int16_t)lt->unit);
		thrift_write_struct_end(w);
		thrift_write_struct_end(w);
		break;
	case PQ_LT_INTEGER:
		thrift_write_field(w, THRIFT_STRUCT, PQ_LT_INTEGER);
		thrift_write_struct_begin(w);
		thrift_write_byte_field(w, 1, (int8_t)lt->bit_width);
		thrift_write_bool_field(w, 2, lt->is_signed);
		thrift_write_struct_end(w);
		break;
	default:
		empty_struct_field(w, (int16_t)lt->kind);
		break;
	}
	thrift_write_struct_end(w);
}

static void schema_element_encode(struct thrift_writer *w, const struct pq_schema_element *e)
{
	thrift_write_struct_begin(w);
	if (e->has_type)
		thrift_write_i32_field(w, 1, (int32_t)e->type);
	if (e->type_length || (e->has_type && e->type == PQ_FIXED_LEN_BYTE_ARRAY))
		thrift_write_i32_field(w, 2, e->type_length);
	if (e->has_repetition)
		thrift_write_i32_field(w, 3, (int32_t)e->repetition);
	string_field(w, 4, e->name);
	if (e->num_children || !e->has_type)
		thrift_write_i32_field(w, 5, e->num_children);
	if (e->has_converted)
		thrift_write_i32_field(w, 6, (int32_t)e->converted);
	if (e->scale || e->precision || (e->has_converted && e->converted == PQ_CT_DECIMAL)) {
		thrift_write_i32_field(w, 7, e->scale);
		thrift_write_i32_field(w, 8, e->precision);
	}
	/* A member this code does not know cannot be written back. */
	if (e->logical.kind != PQ_LT_NONE && e->logical.kind != PQ_LT_OTHER)
		logical_encode(w, &e->logical);
	thrift_write_struct_end(w);
}

static void stats_encode(struct thrift_writer *w, const struct pq_statistics *s)
{
	thrift_write_struct_begin(w);
	if (s->has_max)
		thrift_write_binary_field(w, 1, s->max, s->max_len);
	if (s->has_min)
		thrift_write_binary_field(w, 2, s->min, s->min_len);
	if (s->has_null_count)
		thrift_write_i64_field(w, 3, s->null_count);
	if (s->has_distinct_count)
		thrift_write_i64_field(w, 4, s->distinct_count);
	if (s->has_max_value)
		thrift_write_binary_field(w, 5, s->max_value, s->max_value_len);
	if (s->has_min_value)
		thrift_write_binary_field(w, 6, s->min_value, s->min_value_len);
	thrift_write_struct_end(w);
}

static void column_meta_encode(struct thrift_writer *w, const struct pq_column_meta *m)
{
	thrift_write_struct_begin(w);
	thrift_write_i32_field(w, 1, (int32_t)m->type);
	thrift_write_field(w, THRIFT_LIST, 2);
	thrift_write_list(w, THRIFT_I32, m->encoding_count);
	for (uint32_t i = 0; i < m->encoding_count; i++)
		thrift_write_i32(w, m->encodings[i]);
	thrift_write_field(w, THRIFT_LIST, 3);
	thrift_write_list(w, THRIFT_BINARY, m->path_count);
	for (uint32_t i = 0; i < m->path_count; i++)
		thrift_write_binary(w, m->path[i] ? m->path[i] : "", len32(m->path[i]));
	thrift_write_i32_field(w, 4, m->codec);
	thrift_write_i64_field(w, 5, m->num_values);
	thrift_write_i64_field(w, 6, m->total_uncompressed_size);
	thrift_write_i64_field(w, 7, m->total_compressed_size);
	thrift_write_i64_field(w, 9, m->data_page_offset);
	if (m->has_index_page_offset)
		thrift_write_i64_field(w, 10, m->index_page_offset);
	if (m->has_dictionary_page_offset)
		thrift_write_i64_field(w, 11, m->dictionary_page_offset);
	if (m->has_statistics) {
		thrift_write_field(w, THRIFT_STRUCT, 12);
		stats_encode(w, &m->stats);
	}
	thrift_write_struct_end(w);
}

static void row_group_encode(struct thrift_writer *w, const struct pq_row_group *g)
{
	thrift_write_struct_begin(w);
	thrift_write_field(w, THRIFT_LIST, 1);
	thrift_write_list(w, THRIFT_STRUCT, g->column_count);
	for (uint32_t i = 0; i < g->column_count; i++) {
		const struct pq_column_chunk *cc = &g->columns[i];

		thrift_write_struct_begin(w);
		if (cc->file_path)
			string_field(w, 1, cc->file_path);
		thrift_write_i64_field(w, 2, cc->file_offset);
		if (cc->has_meta) {
			thrift_write_field(w, THRIFT_STRUCT, 3);
			column_meta_encode(w, &cc->meta);
		}
		thrift_write_struct_end(w);
	}
	thrift_write_i64_field(w, 2, g->total_byte_size);
	thrift_write_i64_field(w, 3, g->num_rows);
	if (g->has_file_offset)
		thrift_write_i64_field(w, 5, g->file_offset);
	if (g->has_total_compressed_size)
		thrift_write_i64_field(w, 6, g->total_compressed_size);
	if (g->has_ordinal)
		thrift_write_i16_field(w, 7, g->ordinal);
	thrift_write_struct_end(w);
}

int pq_row_group_encode(const struct pq_row_group *g, struct bytebuf *out)
{
	struct thrift_writer w;

	thrift_writer_init(&w, out);
	row_group_encode(&w, g);
	return out->error ? out->error : 0;
}

int pq_meta_encode(const struct pq_file_meta *m, struct bytebuf *out)
{
	struct thrift_writer w;

	thrift_writer_init(&w, out);
	thrift_write_struct_begin(&w);
	thrift_write_i32_field(&w, 1, m->version);
	thrift_write_field(&w, THRIFT_LIST, 2);
	thrift_write_list(&w, THRIFT_STRUCT, m->schema_count);
	for (uint32_t i = 0; i < m->schema_count; i++)
		schema_element_encode(&w, &m->schema[i]);
	thrift_write_i64_field(&w, 3, m->num_rows);
	thrift_write_field(&w, THRIFT_LIST, 4);
	thrift_write_list(&w, THRIFT_STRUCT, m->raw_row_group_count + m->row_group_count);
	/* Encoded structures are whole: their field ids start afresh, so they splice in as they
	 * are. */
	if (m->raw_row_groups_len)
		bytebuf_append(out, m->raw_row_groups, m->raw_row_groups_len);
	for (uint32_t i = 0; i < m->row_group_count; i++)
		row_group_encode(&w, &m->row_groups[i]);
	if (m->kv_count) {
		thrift_write_field(&w, THRIFT_LIST, 5);
		thrift_write_list(&w, THRIFT_STRUCT, m->kv_count);
		for (uint32_t i = 0; i < m->kv_count; i++) {
			thrift_write_struct_begin(&w);
			string_field(&w, 1, m->kv[i].key);
			if (m->kv[i].value)
				string_field(&w, 2, m->kv[i].value);
			thrift_write_struct_end(&w);
		}
	}
	if (m->created_by)
		string_field(&w, 6, m->created_by);
	if (m->column_order_count) {
		thrift_write_field(&w, THRIFT_LIST, 7);
		thrift_write_list(&w, THRIFT_STRUCT, m->column_order_count);
		for (uint32_t i = 0; i < m->column_order_count; i++) {
			/* Another order than TYPE_ORDER has no member this code knows: none. */
			thrift_write_struct_begin(&w);
			if (m->column_orders[i] == 1)
				empty_struct_field(&w, 1);
			thrift_write_struct_end(&w);
		}
	}
	thrift_write_struct_end(&w);
	return thrift_writer_status(&w);
}

/* ---- PageHeader --------------------------------------------------------- */

static int data_page_decode(struct dec *d, struct pq_page_header *h)
{
	static const char *const required[] = {NULL, "num_values", "encoding",
	                                       "definition_level_encoding",
	                                       "repetition_level_encoding"};
	struct sctx c = {d, "", "DataPageHeader"};
	struct field f;
	unsigned seen = 0;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_count32(&c, &f, "num_values", &h->num_values);
			break;
		case 2:
			rc = get_i32(&c, &f, "encoding", &h->encoding);
			break;
		case 3:
			rc = get_i32(&c, &f, "definition_level_encoding", &h->def_level_encoding);
			break;
		case 4:
			rc = get_i32(&c, &f, "repetition_level_encoding", &h->rep_level_encoding);
			break;
		default: /* statistics (5) too: the footer's are the ones used */
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	for (unsigned i = 1; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & 1u << i))
			return missing(&c, required[i]);
	return 0;
}

static int data_page_v2_decode(struct dec *d, struct pq_page_header *h)
{
	static const char *const required[] = {NULL,
	                                       "num_values",
	                                       "num_nulls",
	                                       "num_rows",
	                                       "encoding",
	                                       "definition_levels_byte_length",
	                                       "repetition_levels_byte_length"};
	struct sctx c = {d, "", "DataPageHeaderV2"};
	struct field f;
	unsigned seen = 0;
	int rc;

	h->is_compressed = 1;
	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_count32(&c, &f, "num_values", &h->num_values);
			break;
		case 2:
			rc = get_count32(&c, &f, "num_nulls", &h->num_nulls);
			break;
		case 3:
			rc = get_count32(&c, &f, "num_rows", &h->num_rows);
			break;
		case 4:
			rc = get_i32(&c, &f, "encoding", &h->encoding);
			break;
		case 5:
			rc = get_count32(&c, &f, "definition_levels_byte_length",
			                 &h->def_levels_byte_length);
			break;
		case 6:
			rc = get_count32(&c, &f, "repetition_levels_byte_length",
			                 &h->rep_levels_byte_length);
			break;
		case 7:
			rc = get_bool(&c, &f, "is_compressed", &h->is_compressed);
			break;
		default: /* statistics (8) too */
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	for (unsigned i = 1; i < sizeof(required) / sizeof(required[0]); i++)
		if (!(seen & 1u << i))
			return missing(&c, required[i]);
	if (h->num_nulls > h->num_values)
		return dec_fail(d, VITALS_E_PARSE, "", "DataPageHeaderV2 has %d nulls in %d values",
		                (int)h->num_nulls, (int)h->num_values);
	return 0;
}

static int dictionary_page_decode(struct dec *d, struct pq_page_header *h)
{
	struct sctx c = {d, "", "DictionaryPageHeader"};
	struct field f;
	unsigned seen = 0;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_count32(&c, &f, "num_values", &h->dict_num_values);
			break;
		case 2:
			rc = get_i32(&c, &f, "encoding", &h->dict_encoding);
			break;
		case 3:
			rc = get_bool(&c, &f, "is_sorted", &h->dict_is_sorted);
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "num_values");
	if (!(seen & 1u << 2))
		return missing(&c, "encoding");
	return 0;
}

static int page_header_decode(struct dec *d, struct pq_page_header *h)
{
	static const char *const type_names[] = {"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE",
	                                         "DATA_PAGE_V2"};
	static const char *const sub_names[] = {"data_page_header", "index_page_header",
	                                        "dictionary_page_header", "data_page_header_v2"};
	struct sctx c = {d, "", "PageHeader"};
	struct field f;
	unsigned seen = 0;
	int32_t v;
	int rc;

	if (begin(&c) < 0)
		return -1;
	while ((rc = next_field(&c, &f)) > 0) {
		switch (f.id) {
		case 1:
			rc = get_count32(&c, &f, "type", &v);
			h->type = (enum pq_page_type)v;
			break;
		case 2:
			rc = get_count32(&c, &f, "uncompressed_page_size", &h->uncompressed_size);
			break;
		case 3:
			rc = get_count32(&c, &f, "compressed_page_size", &h->compressed_size);
			break;
		case 4:
			rc = get_i32(&c, &f, "crc", &h->crc);
			h->has_crc = 1;
			break;
		case 5:
			rc = want(&c, &f, "data_page_header", THRIFT_STRUCT);
			if (rc == 0)
				rc = data_page_decode(d, h);
			break;
		case 6:
			rc = want(&c, &f, "index_page_header", THRIFT_STRUCT);
			if (rc == 0)
				rc = skip_field(&c, &f);
			break;
		case 7:
			rc = want(&c, &f, "dictionary_page_header", THRIFT_STRUCT);
			if (rc == 0)
				rc = dictionary_page_decode(d, h);
			break;
		case 8:
			rc = want(&c, &f, "data_page_header_v2", THRIFT_STRUCT);
			if (rc == 0)
				rc = data_page_v2_decode(d, h);
			break;
		default:
			if (skip_field(&c, &f) < 0)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		seen |= 1u << f.id;
	}
	if (rc < 0)
		return -1;
	if (!(seen & 1u << 1))
		return missing(&c, "type");
	if (!(seen & 1u << 2))
		return missing(&c, "uncompressed_page_size");
	if (!(seen & 1u << 3))
		return missing(&c, "compressed_page_size");
	/* A page type of a later format is the reader's to skip; the known ones need their header.
	 */
	if (h->type != PQ_PAGE_INDEX && h->type <= PQ_PAGE_DATA_V2 && !(seen & 1u << (5 + h->type)))
		return dec_fail(d, VITALS_E_PARSE, "", "PageHeader of a %s has no %s",
		                type_names[h->type], sub_names[h->type]);
	if (h->type == PQ_PAGE_DATA_V2) {
		int64_t levels = (int64_t)h->def_levels_byte_length + h->rep_levels_byte_length;

		if (levels > h->compressed_size || levels > h->uncompressed_size)
			return dec_fail(d, VITALS_E_PARSE, "",
			                "DataPageHeaderV2 levels take %lld bytes of a page of %d",
			                (long long)levels,
			                (int)(h->compressed_size < h->uncompressed_size
			                          ? h->compressed_size
			                          : h->uncompressed_size));
	}
	return 0;
}

int pq_page_header_decode(struct pq_page_header *h, const uint8_t *buf, size_t len, size_t *used,
                          char *err, size_t errlen)
{
	struct dec d = {.err = err, .errlen = errlen, .short_status = VITALS_E_MISSING};

	memset(h, 0, sizeof(*h));
	h->is_compressed = 1;
	thrift_reader_init(&d.r, buf, len);
	if (page_header_decode(&d, h) < 0)
		return d.status ? d.status : VITALS_E_PARSE;
	*used = (size_t)(d.r.p - buf);
	return 0;
}

int pq_page_header_encode(const struct pq_page_header *h, struct bytebuf *out)
{
	struct thrift_writer w;

	thrift_writer_init(&w, out);
	thrift_write_struct_begin(&w);
	thrift_write_i32_field(&w, 1, (int32_t)h->type);
	thrift_write_i32_field(&w, 2, h->uncompressed_size);
	thrift_write_i32_field(&w, 3, h->compressed_size);
	if (h->has_crc)
		thrift_write_i32_field(&w, 4, h->crc);
	switch (h->type) {
	case PQ_PAGE_DATA:
		thrift_write_field(&w, THRIFT_STRUCT, 5);
		thrift_write_struct_begin(&w);
		thrift_write_i32_field(&w, 1, h->num_values);
		thrift_write_i32_field(&w, 2, h->encoding);
		thrift_write_i32_field(&w, 3, h->def_level_encoding);
		thrift_write_i32_field(&w, 4, h->rep_level_encoding);
		thrift_write_struct_end(&w);
		break;
	case PQ_PAGE_INDEX:
		empty_struct_field(&w, 6);
		break;
	case PQ_PAGE_DICTIONARY:
		thrift_write_field(&w, THRIFT_STRUCT, 7);
		thrift_write_struct_begin(&w);
		thrift_write_i32_field(&w, 1, h->dict_num_values);
		thrift_write_i32_field(&w, 2, h->dict_encoding);
		if (h->dict_is_sorted)
			thrift_write_bool_field(&w, 3, 1);
		thrift_write_struct_end(&w);
		break;
	case PQ_PAGE_DATA_V2:
		thrift_write_field(&w, THRIFT_STRUCT, 8);
		thrift_write_struct_begin(&w);
		thrift_write_i32_field(&w, 1, h->num_values);
		thrift_write_i32_field(&w, 2, h->num_nulls);
		thrift_write_i32_field(&w, 3, h->num_rows);
		thrift_write_i32_field(&w, 4, h->encoding);
		thrift_write_i32_field(&w, 5, h->def_levels_byte_length);
		thrift_write_i32_field(&w, 6, h->rep_levels_byte_length);
		thrift_write_bool_field(&w, 7, h->is_compressed);
		thrift_write_struct_end(&w);
		break;
	}
	thrift_write_struct_end(&w);
	return thrift_writer_status(&w);
}

/* ---- names -------------------------------------------------------------- */

const char *pq_encoding_name(int32_t encoding)
{
	switch (encoding) {
	case PQ_ENC_PLAIN:
		return "PLAIN";
	case PQ_ENC_PLAIN_DICTIONARY:
		return "PLAIN_DICTIONARY";
	case PQ_ENC_RLE:
		return "RLE";
	case PQ_ENC_BIT_PACKED:
		return "BIT_PACKED";
	case PQ_ENC_DELTA_BINARY_PACKED:
		return "DELTA_BINARY_PACKED";
	case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
		return "DELTA_LENGTH_BYTE_ARRAY";
	case PQ_ENC_DELTA_BYTE_ARRAY:
		return "DELTA_BYTE_ARRAY";
	case PQ_ENC_RLE_DICTIONARY:
		return "RLE_DICTIONARY";
	case PQ_ENC_BYTE_STREAM_SPLIT:
		return "BYTE_STREAM_SPLIT";
	default:
		return "?";
	}
}

const char *pq_physical_name(int32_t type)
{
	static const char *const names[] = {
	    "BOOLEAN", "INT32",  "INT64",      "INT96",
	    "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};

	return type >= 0 && type <= PQ_FIXED_LEN_BYTE_ARRAY ? names[type] : "?";
}
