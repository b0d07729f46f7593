/*
 * The Thrift compact protocol reader and writer: exact wire bytes of
 * known encodings, integer limits and range checks, field id deltas and
 * the long form, booleans in fields and lists, skipping every type, and
 * the bounds that keep hostile input from recursing or allocating.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vitals/common.h>

#include "store/thrift.h"

/* Wire bytes written by other implementations of the compact protocol. */
static void test_wire_bytes(void **state)
{
	static const uint8_t want[] = {
	    0x15, 0x02,             /* field 1, i32 1 */
	    0x11,                   /* field 2, bool true */
	    0x12,                   /* field 3, bool false */
	    0x06, 0xc8, 0x01, 0x01, /* field 100 (long form, zigzag 200), i64 -1 */
	    0x04, 0x07, 0x03,       /* field -4 (long form), i16 -2 */
	};
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;

	(void)state;
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	thrift_write_i32_field(&w, 1, 1);
	thrift_write_bool_field(&w, 2, 1);
	thrift_write_bool_field(&w, 3, 0);
	thrift_write_i64_field(&w, 100, -1);
	thrift_write_i16_field(&w, -4, -2);
	assert_int_equal(thrift_writer_status(&w), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.p, want, 11);

	/* A list of 3 i32 after field 1, then a string, a double, and STOP. */
	bytebuf_clear(&b);
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	thrift_write_field(&w, THRIFT_LIST, 1);
	thrift_write_list(&w, THRIFT_I32, 3);
	thrift_write_i32(&w, 0);
	thrift_write_i32(&w, 1);
	thrift_write_i32(&w, 2);
	thrift_write_binary_field(&w, 2, "ab", 2);
	thrift_write_field(&w, THRIFT_DOUBLE, 3);
	thrift_write_double(&w, 1.0);
	thrift_write_struct_end(&w);
	{
		static const uint8_t list[] = {0x19, 0x35, 0x00, 0x02, 0x04, 0x18, 0x02,
		                               'a',  'b',  0x17, 0,    0,    0,    0,
		                               0,    0,    0xf0, 0x3f, 0x00};

		assert_int_equal(b.len, sizeof(list));
		assert_memory_equal(b.p, list, sizeof(list));
	}
	/* 15 elements and more use the long form of the list header. */
	bytebuf_clear(&b);
	thrift_write_list(&w, THRIFT_BINARY, 15);
	thrift_write_list(&w, THRIFT_STRUCT, 300);
	{
		static const uint8_t lists[] = {0xf8, 0x0f, 0xfc, 0xac, 0x02};

		assert_int_equal(b.len, sizeof(lists));
		assert_memory_equal(b.p, lists, sizeof(lists));
	}
	bytebuf_release(&b);
}

static void test_integers(void **state)
{
	static const int64_t i64s[] = {
	    0,         1,        -1, 63, -64, 64, INT32_MAX, INT32_MIN, (int64_t)INT32_MAX + 1,
	    INT64_MAX, INT64_MIN};
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;
	struct thrift_reader r;
	int type;
	int16_t id, v16;
	int32_t v32;
	int64_t v64;

	(void)state;
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	thrift_write_i16_field(&w, 1, INT16_MIN);
	thrift_write_i16_field(&w, 2, INT16_MAX);
	thrift_write_i32_field(&w, 3, INT32_MIN);
	thrift_write_i32_field(&w, 4, INT32_MAX);
	for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++)
		thrift_write_i64_field(&w, (int16_t)(5 + i), i64s[i]);
	thrift_write_struct_end(&w);

	thrift_reader_init(&r, b.p, b.len);
	assert_int_equal(thrift_struct_begin(&r), 0);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_I16);
	assert_int_equal(id, 1);
	assert_int_equal(thrift_read_i16(&r, &v16), 0);
	assert_int_equal(v16, INT16_MIN);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(thrift_read_i16(&r, &v16), 0);
	assert_int_equal(v16, INT16_MAX);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_I32);
	assert_int_equal(thrift_read_i32(&r, &v32), 0);
	assert_int_equal(v32, INT32_MIN);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(thrift_read_i32(&r, &v32), 0);
	assert_int_equal(v32, INT32_MAX);
	for (size_t i = 0; i < sizeof(i64s) / sizeof(i64s[0]); i++) {
		assert_int_equal(thrift_read_field(&r, &type, &id), 0);
		assert_int_equal(type, THRIFT_I64);
		assert_int_equal(id, 5 + i);
		assert_int_equal(thrift_read_i64(&r, &v64), 0);
		assert_int_equal(v64, i64s[i]);
	}
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_STOP);
	thrift_struct_end(&r);
	assert_int_equal(thrift_reader_left(&r), 0);

	/* Values past a type's range are refused, not truncated. */
	{
		static const uint8_t i16_over[] = {0x80, 0x80, 0x04}; /* zigzag 65536: 32768 */
		static const uint8_t i32_over[] = {0x80, 0x80, 0x80, 0x80, 0x10};
		static const uint8_t i32_under[] = {0x81, 0x80, 0x80, 0x80, 0x10};

		thrift_reader_init(&r, i16_over, sizeof(i16_over));
		assert_int_equal(thrift_read_i16(&r, &v16), -1);
		assert_string_equal(r.err, "i16 out of range");
		thrift_reader_init(&r, i32_over, sizeof(i32_over));
		assert_int_equal(thrift_read_i32(&r, &v32), -1);
		assert_string_equal(r.err, "i32 out of range");
		thrift_reader_init(&r, i32_under, sizeof(i32_under));
		assert_int_equal(thrift_read_i32(&r, &v32), -1);
		thrift_reader_init(&r, i32_over, sizeof(i32_over));
		assert_int_equal(thrift_read_i64(&r, &v64), 0);
		assert_int_equal(v64, (int64_t)INT32_MAX + 1);
		/* Cut short: truncated, and marked so. */
		thrift_reader_init(&r, i32_over, 3);
		assert_int_equal(thrift_read_i64(&r, &v64), -1);
		assert_string_equal(r.err, "truncated");
		assert_true(r.truncated);
	}
	bytebuf_release(&b);
}

static void test_field_ids_and_bools(void **state)
{
	static const int16_t ids[] = {1, 2, 17, 16, 32, -1, -32768, 32767, 3};
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;
	struct thrift_reader r;
	int type, v;
	int16_t id;

	(void)state;
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		thrift_write_bool_field(&w, ids[i], (int)(i % 2));
	thrift_write_struct_end(&w);

	thrift_reader_init(&r, b.p, b.len);
	assert_int_equal(thrift_struct_begin(&r), 0);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_int_equal(thrift_read_field(&r, &type, &id), 0);
		assert_int_equal(type, THRIFT_BOOL);
		assert_int_equal(id, ids[i]);
		if (i == 4) {
			assert_int_equal(thrift_skip(&r, type),
			                 0); /* consumes the value, no byte */
			continue;
		}
		assert_int_equal(thrift_read_bool(&r, &v), 0);
		assert_int_equal(v, (int)(i % 2));
	}
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_STOP);
	assert_int_equal(thrift_reader_left(&r), 0);

	/* A delta that would pass 32767 is refused. */
	{
		static const uint8_t over[] = {0x05, 0xfe, 0xff, 0x03, 0x00, 0x15, 0x00};

		thrift_reader_init(&r, over, sizeof(over));
		assert_int_equal(thrift_struct_begin(&r), 0);
		assert_int_equal(thrift_read_field(&r, &type, &id), 0);
		assert_int_equal(id, 32767);
		assert_int_equal(thrift_skip(&r, type), 0);
		assert_int_equal(thrift_read_field(&r, &type, &id), -1);
		assert_string_equal(r.err, "field id out of range");
	}
	/* Bools as list elements: 1 is true, 0 and 2 false. */
	{
		static const uint8_t list[] = {0x41, 0x01, 0x02, 0x00, 0x01};
		int t;
		uint32_t n;

		thrift_reader_init(&r, list, sizeof(list));
		assert_int_equal(thrift_read_list(&r, &t, &n, 1), 0);
		assert_int_equal(t, THRIFT_BOOL);
		assert_int_equal(n, 4);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(thrift_read_bool(&r, &v), 0);
			assert_int_equal(v, i == 0 || i == 3);
		}
	}
	bytebuf_release(&b);
}

static void test_binary_double_list(void **state)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;
	struct thrift_reader r;
	const uint8_t *data;
	uint32_t len, n;
	double d;
	int t;

	(void)state;
	thrift_writer_init(&w, &b);
	thrift_write_binary(&w, "", 0);
	thrift_write_binary(&w, "a\0b", 3);
	thrift_write_double(&w, -0.0);
	thrift_write_double(&w, NAN);
	thrift_write_list(&w, THRIFT_I64, 1000);
	for (int i = 0; i < 1000; i++)
		thrift_write_i64(&w, -i);

	thrift_reader_init(&r, b.p, b.len);
	assert_int_equal(thrift_read_binary(&r, &data, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(thrift_read_binary(&r, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "a\0b", 3);
	assert_int_equal(thrift_read_double(&r, &d), 0);
	assert_true(d == 0 && signbit(d));
	assert_int_equal(thrift_read_double(&r, &d), 0);
	assert_true(isnan(d));
	assert_int_equal(thrift_read_list(&r, &t, &n, 1), 0);
	assert_int_equal(t, THRIFT_I64);
	assert_int_equal(n, 1000);
	for (int i = 0; i < 1000; i++) {
		int64_t v;

		assert_int_equal(thrift_read_i64(&r, &v), 0);
		assert_int_equal(v, -i);
	}
	assert_int_equal(thrift_reader_left(&r), 0);

	/* A list's count is bounded by the bytes left, times the minimum element size. */
	{
		static const uint8_t l[] = {0xf5, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

		thrift_reader_init(&r, l, sizeof(l));
		assert_int_equal(thrift_read_list(&r, &t, &n, 1), 0);
		assert_int_equal(n, 10);
		thrift_reader_init(&r, l, sizeof(l));
		assert_int_equal(thrift_read_list(&r, &t, &n, 2), -1);
		assert_string_equal(r.err, "list longer than the bytes left");
		thrift_reader_init(&r, l, sizeof(l) - 1);
		assert_int_equal(thrift_read_list(&r, &t, &n, 1), -1);
	}
	/* A binary longer than what is left. */
	{
		static const uint8_t s[] = {0x05, 'a', 'b', 'c', 'd'};

		thrift_reader_init(&r, s, sizeof(s));
		assert_int_equal(thrift_read_binary(&r, &data, &len), -1);
		assert_string_equal(r.err, "truncated");
	}
	bytebuf_release(&b);
}

/* One struct holding every type, nested, then a field after it: skip lands on it. */
static void test_skip_everything(void **state)
{
	struct bytebuf b = BYTEBUF_INIT;
	struct thrift_writer w;
	struct thrift_reader r;
	int type;
	int16_t id;
	int32_t v;

	(void)state;
	thrift_writer_init(&w, &b);
	thrift_write_struct_begin(&w);
	thrift_write_field(&w, THRIFT_STRUCT, 1);
	thrift_write_struct_begin(&w);
	thrift_write_bool_field(&w, 1, 1);
	thrift_write_byte_field(&w, 2, -1);
	thrift_write_i16_field(&w, 3, 300);
	thrift_write_i32_field(&w, 4, -70000);
	thrift_write_i64_field(&w, 5, INT64_MIN);
	thrift_write_field(&w, THRIFT_DOUBLE, 6);
	thrift_write_double(&w, 2.5);
	thrift_write_binary_field(&w, 7, "xyz", 3);
	thrift_write_field(&w, THRIFT_LIST, 8);
	thrift_write_list(&w, THRIFT_STRUCT, 2);
	for (int i = 0; i < 2; i++) {
		thrift_write_struct_begin(&w);
		thrift_write_bool_field(&w, 1, i);
		thrift_write_field(&w, THRIFT_SET, 2);
		thrift_write_list(&w, THRIFT_BOOL, 2);
		thrift_write_bool(&w, 1);
		thrift_write_bool(&w, 0);
		thrift_write_struct_end(&w);
	}
	thrift_write_field(&w, THRIFT_MAP, 9);
	bytebuf_put_u8(&b, 2);
	bytebuf_put_u8(&b, THRIFT_I32 << 4 | THRIFT_LIST);
	for (int i = 0; i < 2; i++) {
		thrift_write_i32(&w, i);
		thrift_write_list(&w, THRIFT_DOUBLE, 1);
		thrift_write_double(&w, i);
	}
	thrift_write_field(&w, THRIFT_MAP, 10);
	bytebuf_put_u8(&b, 0);
	thrift_write_struct_end(&w);
	thrift_write_i32_field(&w, 2, 77);
	thrift_write_struct_end(&w);
	assert_int_equal(thrift_writer_status(&w), 0);

	thrift_reader_init(&r, b.p, b.len);
	assert_int_equal(thrift_struct_begin(&r), 0);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_STRUCT);
	assert_int_equal(thrift_skip(&r, type), 0);
	assert_int_equal(r.depth, 1);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(thrift_read_i32(&r, &v), 0);
	assert_int_equal(v, 77);
	assert_int_equal(thrift_read_field(&r, &type, &id), 0);
	assert_int_equal(type, THRIFT_STOP);
	assert_int_equal(thrift_reader_left(&r), 0);

	/* Every prefix of it fails to skip, cleanly. */
	for (size_t n = 0; n + 4 < b.len; n++) {
		thrift_reader_init(&r, b.p, n);
		assert_int_equal(thrift_struct_begin(&r), 0);
		if (thrift_read_field(&r, &type, &id) == 0)
			assert_int_equal(thrift_skip(&r, THRIFT_STRUCT), -1);
	}
	bytebuf_release(&b);
}

static void test_hostile(void **state)
{
	uint8_t buf[400];
	struct thrift_reader r;
	uint32_t n;
	int k, v;

	(void)state;
	/* 100 nested lists, 100 nested maps, 100 nested structs: refused at 64. */
	memset(buf, 0x19, sizeof(buf));
	thrift_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(thrift_skip(&r, THRIFT_LIST), -1);
	assert_string_equal(r.err, "nested deeper than 64 levels");
	for (int i = 0; i < 130; i++) {
		buf[3 * i] = 1;                                /* one entry */
		buf[3 * i + 1] = THRIFT_I32 << 4 | THRIFT_MAP; /* i32 -> map */
		buf[3 * i + 2] = 0;                            /* the key */
	}
	thrift_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(thrift_skip(&r, THRIFT_MAP), -1);
	assert_string_equal(r.err, "nested deeper than 64 levels");
	memset(buf, 0x1c, sizeof(buf));
	thrift_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(thrift_skip(&r, THRIFT_STRUCT), -1);
	assert_string_equal(r.err, "nested deeper than 64 levels");

	/* Unknown types. */
	thrift_reader_init(&r, buf, sizeof(buf));
	assert_int_equal(thrift_skip(&r, 13), -1);
	{
		static const uint8_t l[] = {0x1d, 0x00};
		static const uint8_t m[] = {0x01, 0xd5, 0x00, 0x00};
		static const uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x08, 0x55};

		thrift_reader_init(&r, l, sizeof(l));
		assert_int_equal(thrift_read_list(&r, &k, &n, 1), -1);
		assert_string_equal(r.err, "unknown list element type");
		thrift_reader_init(&r, m, sizeof(m));
		assert_int_equal(thrift_read_map(&r, &k, &v, &n), -1);
		assert_string_equal(r.err, "unknown map element type");
		/* 2^31 entries. */
		thrift_reader_init(&r, big, sizeof(big));
		assert_int_equal(thrift_read_map(&r, &k, &v, &n), -1);
		assert_string_equal(r.err, "absurd map size");
	}
	/* A writer nesting past the limit reports it instead of corrupting memory. */
	{
		struct bytebuf b = BYTEBUF_INIT;
		struct thrift_writer w;

		thrift_writer_init(&w, &b);
		for (int i = 0; i < THRIFT_DEPTH_MAX + 5; i++)
			thrift_write_struct_begin(&w);
		thrift_write_i32_field(&w, 1, 1);
		assert_int_equal(thrift_writer_status(&w), VITALS_E_INVAL);
		bytebuf_release(&b);
	}
	/* A capped buffer's failure is the writer's status. */
	{
		struct bytebuf b;
		struct thrift_writer w;

		bytebuf_init(&b, 8);
		thrift_writer_init(&w, &b);
		thrift_write_struct_begin(&w);
		thrift_write_binary_field(&w, 1, "0123456789", 10);
		assert_int_equal(thrift_writer_status(&w), VITALS_E_NOMEM);
		bytebuf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wire_bytes),          cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_field_ids_and_bools), cmocka_unit_test(test_binary_double_list),
	    cmocka_unit_test(test_skip_everything),     cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
