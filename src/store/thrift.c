/*
 * Thrift compact protocol: field headers hold a type nibble and an id
 * delta (or a zigzag i16 id after them), integers are zigzag ULEB128
 * varints, binaries and strings a varint length and the bytes, lists a
 * size nibble (or 15 and a varint) and an element type, maps a varint
 * count and a key/value type byte. A boolean field keeps its value in the
 * type nibble; a boolean element of a list is one byte.
 */
#include "store/thrift.h"

#include <string.h>
#include <vitals/common.h>

static int fail(struct thrift_reader *r, const char *why)
{
	r->err = why;
	r->truncated = 0;
	return -1;
}

/* A failure that more bytes past the range might have avoided. */
static int fail_short(struct thrift_reader *r, const char *why)
{
	r->err = why;
	r->truncated = 1;
	return -1;
}

void thrift_reader_init(struct thrift_reader *r, const void *buf, size_t len)
{
	r->p = buf;
	r->end = r->p + len;
	r->err = NULL;
	r->truncated = 0;
	r->depth = 0;
	r->bool_pending = 0;
	r->bool_value = 0;
	r->last_id[0] = 0;
}

int thrift_struct_begin(struct thrift_reader *r)
{
	if (r->depth >= THRIFT_DEPTH_MAX)
		return fail(r, "nested deeper than 64 levels");
	r->depth++;
	r->last_id[r->depth] = 0;
	r->bool_pending = 0;
	return 0;
}

void thrift_struct_end(struct thrift_reader *r)
{
	if (r->depth > 0)
		r->depth--;
	r->bool_pending = 0;
}

static int read_varint(struct thrift_reader *r, uint64_t *v)
{
	if (r->p >= r->end)
		return fail_short(r, "truncated");
	/* The common one-byte case without the loop. */
	if (!(*r->p & 0x80)) {
		*v = *r->p++;
		return 0;
	}
	if (uleb_get(&r->p, r->end, v) < 0) {
		/* uleb_get fails either by running out or by overflowing 64 bits. */
		const uint8_t *q = r->p;
		while (q < r->end && (*q & 0x80) && q - r->p < 10)
			q++;
		if (q >= r->end)
			return fail_short(r, "truncated");
		return fail(r, "varint longer than 64 bits");
	}
	return 0;
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static int read_zigzag(struct thrift_reader *r, int64_t *v)
{
	uint64_t u;

	if (read_varint(r, &u) < 0)
		return -1;
	*v = unzigzag(u);
	return 0;
}

static int wire_type(int t)
{
	return t == THRIFT_BOOL_FALSE ? THRIFT_BOOL : t;
}

int thrift_read_field(struct thrift_reader *r, int *type, int16_t *id)
{
	int16_t last = r->last_id[r->depth];
	uint8_t b;
	int t, delta;

	r->bool_pending = 0;
	if (r->p >= r->end)
		return fail_short(r, "truncated");
	b = *r->p++;
	t = b & 0x0f;
	if (t == THRIFT_STOP) {
		*type = THRIFT_STOP;
		*id = 0;
		return 0;
	}
	if (t > THRIFT_STRUCT)
		return fail(r, "unknown field type");
	delta = b >> 4;
	if (delta) {
		if (last > INT16_MAX - delta)
			return fail(r, "field id out of range");
		*id = (int16_t)(last + delta);
	} else {
		int64_t v;
		if (read_zigzag(r, &v) < 0)
			return -1;
		if (v < INT16_MIN || v > INT16_MAX)
			return fail(r, "field id out of range");
		*id = (int16_t)v;
	}
	r->last_id[r->depth] = *id;
	if (t == THRIFT_BOOL || t == THRIFT_BOOL_FALSE) {
		r->bool_pending = 1;
		r->bool_value = t == THRIFT_BOOL;
		t = THRIFT_BOOL;
	}
	*type = t;
	return 0;
}

int thrift_read_bool(struct thrift_reader *r, int *v)
{
	if (r->bool_pending) {
		r->bool_pending = 0;
		*v = r->bool_value;
		return 0;
	}
	if (r->p >= r->end)
		return fail_short(r, "truncated");
	/* Writers put 1 for true and 2 (or 0) for false. */
	*v = *r->p++ == 1;
	return 0;
}

int thrift_read_byte(struct thrift_reader *r, int8_t *v)
{
	if (r->p >= r->end)
		return fail_short(r, "truncated");
	*v = (int8_t)*r->p++;
	return 0;
}

int thrift_read_i16(struct thrift_reader *r, int16_t *v)
{
	int64_t x;

	if (read_zigzag(r, &x) < 0)
		return -1;
	if (x < INT16_MIN || x > INT16_MAX)
		return fail(r, "i16 out of range");
	*v = (int16_t)x;
	return 0;
}

int thrift_read_i32(struct thrift_reader *r, int32_t *v)
{
	int64_t x;

	if (read_zigzag(r, &x) < 0)
		return -1;
	if (x < INT32_MIN || x > INT32_MAX)
		return fail(r, "i32 out of range");
	*v = (int32_t)x;
	return 0;
}

int thrift_read_i64(struct thrift_reader *r, int64_t *v)
{
	return read_zigzag(r, v);
}

int thrift_read_double(struct thrift_reader *r, double *v)
{
	if (thrift_reader_left(r) < 8)
		return fail_short(r, "truncated");
	memcpy(v, r->p, 8);
	r->p += 8;
	return 0;
}

int thrift_read_binary(struct thrift_reader *r, const uint8_t **data, uint32_t *len)
{
	uint64_t n;

	if (read_varint(r, &n) < 0)
		return -1;
	if (n > thrift_reader_left(r))
		return n > UINT32_MAX ? fail(r, "absurd string length")
		                      : fail_short(r, "truncated");
	*data = r->p;
	*len = (uint32_t)n;
	r->p += n;
	return 0;
}

int thrift_read_list(struct thrift_reader *r, int *elem_type, uint32_t *count,
                     size_t min_elem_bytes)
{
	uint64_t n;
	uint8_t b;
	int t;

	if (r->p >= r->end)
		return fail_short(r, "truncated");
	b = *r->p++;
	t = wire_type(b & 0x0f);
	n = b >> 4;
	if (n == 15 && read_varint(r, &n) < 0)
		return -1;
	if (n > INT32_MAX)
		return fail(r, "absurd list length");
	if (n && (t == THRIFT_STOP || t > THRIFT_STRUCT))
		return fail(r, "unknown list element type");
	if (min_elem_bytes == 0)
		min_elem_bytes = 1;
	if (n > thrift_reader_left(r) / min_elem_bytes)
		return fail_short(r, "list longer than the bytes left");
	*elem_type = t;
	*count = (uint32_t)n;
	return 0;
}

int thrift_read_map(struct thrift_reader *r, int *key_type, int *value_type, uint32_t *count)
{
	uint64_t n;
	uint8_t b;

	if (read_varint(r, &n) < 0)
		return -1;
	if (n > INT32_MAX)
		return fail(r, "absurd map size");
	*key_type = *value_type = THRIFT_STOP;
	*count = (uint32_t)n;
	if (n == 0)
		return 0;
	if (r->p >= r->end)
		return fail_short(r, "truncated");
	b = *r->p++;
	*key_type = wire_type(b >> 4);
	*value_type = wire_type(b & 0x0f);
	if (*key_type == THRIFT_STOP || *key_type > THRIFT_STRUCT || *value_type == THRIFT_STOP ||
	    *value_type > THRIFT_STRUCT)
		return fail(r, "unknown map element type");
	/* Every key and every value takes a byte at least. */
	if (n > thrift_reader_left(r) / 2)
		return fail_short(r, "map longer than the bytes left");
	return 0;
}

int thrift_skip(struct thrift_reader *r, int type)
{
	uint32_t count;
	uint64_t u;
	int8_t b;
	int16_t id;
	int t, k, v, ret = 0;

	switch (type) {
	case THRIFT_BOOL:
	case THRIFT_BOOL_FALSE:
		return thrift_read_bool(r, &v);
	case THRIFT_BYTE:
		return thrift_read_byte(r, &b);
	case THRIFT_I16:
	case THRIFT_I32:
	case THRIFT_I64:
		return read_varint(r, &u);
	case THRIFT_DOUBLE:
		if (thrift_reader_left(r) < 8)
			return fail_short(r, "truncated");
		r->p += 8;
		return 0;
	case THRIFT_BINARY: {
		const uint8_t *data;
		uint32_t len;
		return thrift_read_binary(r, &data, &len);
	}
	case THRIFT_LIST:
	case THRIFT_SET:
		if (thrift_read_list(r, &t, &count, 1) < 0)
			return -1;
		if (r->depth >= THRIFT_DEPTH_MAX)
			return fail(r, "nested deeper than 64 levels");
		r->depth++;
		for (uint32_t i = 0; i < count && ret == 0; i++)
			ret = thrift_skip(r, t);
		r->depth--;
		return ret;
	case THRIFT_MAP:
		if (thrift_read_map(r, &k, &v, &count) < 0)
			return -1;
		if (r->depth >= THRIFT_DEPTH_MAX)
			return fail(r, "nested deeper than 64 levels");
		r->depth++;
		for (uint32_t i = 0; i < count && ret == 0; i++) {
			ret = thrift_skip(r, k);
			if (ret == 0)
				ret = thrift_skip(r, v);
		}
		r->depth--;
		return ret;
	case THRIFT_STRUCT:
		if (thrift_struct_begin(r) < 0)
			return -1;
		for (;;) {
			if (thrift_read_field(r, &t, &id) < 0)
				return -1;
			if (t == THRIFT_STOP)
				break;
			if (thrift_skip(r, t) < 0)
				return -1;
		}
		thrift_struct_end(r);
		return 0;
	default:
		return fail(r, "unknown type");
	}
}

void thrift_writer_init(struct thrift_writer *w, struct bytebuf *out)
{
	w->out = out;
	w->depth = 0;
	w->error = 0;
	w->last_id[0] = 0;
}

int thrift_writer_status(const struct thrift_writer *w)
{
	if (w->out->error)
		return w->out->error;
	return w->error;
}

static void put_varint(struct thrift_writer *w, uint64_t v)
{
	if (v < 0x80) {
		bytebuf_put_u8(w->out, (uint8_t)v);
		return;
	}
	bytebuf_put_uleb(w->out, v);
}

static void put_zigzag(struct thrift_writer *w, int64_t v)
{
	put_varint(w, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

void thrift_write_struct_begin(struct thrift_writer *w)
{
	if (w->depth >= THRIFT_DEPTH_MAX) {
		w->error = VITALS_E_INVAL;
		return;
	}
	w->depth++;
	w->last_id[w->depth] = 0;
}

void thrift_write_struct_end(struct thrift_writer *w)
{
	bytebuf_put_u8(w->out, THRIFT_STOP);
	if (w->depth > 0)
		w->depth--;
}

void thrift_write_field(struct thrift_writer *w, int type, int16_t id)
{
	int16_t last = w->last_id[w->depth];

	if (id > last && id - last <= 15) {
		bytebuf_put_u8(w->out, (uint8_t)((id - last) << 4 | type));
	} else {
		bytebuf_put_u8(w->out, (uint8_t)type);
		put_zigzag(w, id);
	}
	w->last_id[w->depth] = id;
}

void thrift_write_byte(struct thrift_writer *w, int8_t v)
{
	bytebuf_put_u8(w->out, (uint8_t)v);
}

void thrift_write_i16(struct thrift_writer *w, int16_t v)
{
	put_zigzag(w, v);
}

void thrift_write_i32(struct thrift_writer *w, int32_t v)
{
	put_zigzag(w, v);
}

void thrift_write_i64(struct thrift_writer *w, int64_t v)
{
	put_zigzag(w, v);
}

void thrift_write_double(struct thrift_writer *w, double v)
{
	bytebuf_append(w->out, &v, 8);
}

void thrift_write_binary(struct thrift_writer *w, const void *data, uint32_t len)
{
	put_varint(w, len);
	bytebuf_append(w->out, data, len);
}

void thrift_write_bool(struct thrift_writer *w, int v)
{
	bytebuf_put_u8(w->out, v ? THRIFT_BOOL : THRIFT_BOOL_FALSE);
}

void thrift_write_list(struct thrift_writer *w, int elem_type, uint32_t count)
{
	if (count < 15) {
		bytebuf_put_u8(w->out, (uint8_t)(count << 4 | (unsigned)elem_type));
	} else {
		bytebuf_put_u8(w->out, (uint8_t)(0xf0 | elem_type));
		put_varint(w, count);
	}
}

void thrift_write_bool_field(struct thrift_writer *w, int16_t id, int v)
{
	thrift_write_field(w, v ? THRIFT_BOOL : THRIFT_BOOL_FALSE, id);
}

void thrift_write_byte_field(struct thrift_writer *w, int16_t id, int8_t v)
{
	thrift_write_field(w, THRIFT_BYTE, id);
	thrift_write_byte(w, v);
}

void thrift_write_i16_field(struct thrift_writer *w, int16_t id, int16_t v)
{
	thrift_write_field(w, THRIFT_I16, id);
	put_zigzag(w, v);
}

void thrift_write_i32_field(struct thrift_writer *w, int16_t id, int32_t v)
{
	thrift_write_field(w, THRIFT_I32, id);
	put_zigzag(w, v);
}

void thrift_write_i64_field(struct thrift_writer *w, int16_t id, int64_t v)
{
	thrift_write_field(w, THRIFT_I64, id);
	put_zigzag(w, v);
}

void thrift_write_binary_field(struct thrift_writer *w, int16_t id, const void *data, uint32_t len)
{
	thrift_write_field(w, THRIFT_BINARY, id);
	thrift_write_binary(w, data, len);
}

void thrift_write_string_field(struct thrift_writer *w, int16_t id, const char *s)
{
	size_t n = strlen(s);

	thrift_write_binary_field(w, id, s, n > UINT32_MAX ? UINT32_MAX : (uint32_t)n);
}
