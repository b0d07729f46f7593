/*
 * Column batches: schemas refuse what would make a bad file, rows built
 * cell by cell keep the invariants of table.h, and row copies with a
 * selection keep every value and null in order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/table.h>

#include "testutil.h"

static void make_schema(struct vitals_schema *s)
{
	vitals_schema_init(s);
	assert_int_equal(vitals_schema_add(s, "time", VITALS_TYPE_TIMESTAMP, 0), 0);
	assert_int_equal(vitals_schema_add(s, "name", VITALS_TYPE_STRING, 1), 0);
	assert_int_equal(vitals_schema_add(s, "cpu", VITALS_TYPE_DOUBLE, 1), 0);
	assert_int_equal(vitals_schema_add(s, "ok", VITALS_TYPE_BOOL, 1), 0);
	assert_int_equal(vitals_schema_add(s, "n", VITALS_TYPE_INT32, 0), 0);
}

static void test_schema_refuses(void **state)
{
	struct vitals_schema s, copy;
	char longname[VITALS_NAME_MAX + 2];

	(void)state;
	make_schema(&s);
	assert_int_equal(vitals_schema_add(&s, "time", VITALS_TYPE_INT64, 0), VITALS_E_INVAL);
	assert_int_equal(vitals_schema_add(&s, "", VITALS_TYPE_INT64, 0), VITALS_E_INVAL);
	assert_int_equal(vitals_schema_add(&s, "x", (enum vitals_type)42, 0), VITALS_E_INVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(vitals_schema_add(&s, longname, VITALS_TYPE_INT64, 0), VITALS_E_INVAL);
	assert_int_equal(s.count, 5);
	assert_int_equal(vitals_schema_find(&s, "cpu"), 2);
	assert_int_equal(vitals_schema_find(&s, "CPU"), -1);

	vitals_schema_init(&copy);
	assert_int_equal(vitals_schema_copy(&copy, &s), 0);
	assert_true(vitals_schema_equal(&copy, &s));
	copy.fields[1].nullable = 0;
	assert_false(vitals_schema_equal(&copy, &s));
	vitals_schema_release(&copy);
	vitals_schema_release(&s);

	assert_string_equal(vitals_type_name(VITALS_TYPE_TIMESTAMP), "timestamp");
	assert_int_equal(vitals_type_parse("double"), VITALS_TYPE_DOUBLE);
	assert_int_equal(vitals_type_parse("float"), 0);
}

static void test_rows(void **state)
{
	struct vitals_schema s;
	struct vitals_batch *b;
	size_t len;
	const char *p;

	(void)state;
	make_schema(&s);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	/* Row 0: everything set; the string is set twice and the second wins. */
	assert_int_equal(vitals_batch_set_i64(b, 0, 1000), 0);
	assert_int_equal(vitals_batch_set_string(b, 1, "first value", 11), 0);
	assert_int_equal(vitals_batch_set_string(b, 1, "bash", 4), 0);
	assert_int_equal(vitals_batch_set_double(b, 2, -0.0), 0);
	assert_int_equal(vitals_batch_set_bool(b, 3, 7), 0);
	assert_int_equal(vitals_batch_set_i32(b, 4, -5), 0);
	assert_int_equal(vitals_batch_end_row(b), 0);
	/* Row 1: nothing set: nullable columns are null, the others zero. */
	assert_int_equal(vitals_batch_end_row(b), 0);
	/* Row 2: an empty string is a value, not a null; a NaN is a value. */
	assert_int_equal(vitals_batch_set_string(b, 1, "", 0), 0);
	assert_int_equal(vitals_batch_set_double(b, 2, NAN), 0);
	assert_int_equal(vitals_batch_set_null(b, 3), 0);
	assert_int_equal(vitals_batch_end_row(b), 0);

	/* Wrong types and nulls in required columns are refused. */
	assert_int_equal(vitals_batch_set_double(b, 0, 1.0), VITALS_E_INVAL);
	assert_int_equal(vitals_batch_set_null(b, 0), VITALS_E_INVAL);
	assert_int_equal(vitals_batch_set_i64(b, 9, 1), VITALS_E_INVAL);
	assert_int_equal(vitals_batch_set_i64(b, 1, 1), VITALS_E_INVAL);

	assert_int_equal(b->rows, 3);
	assert_null(b->cols[0].valid);
	assert_int_equal(b->cols[0].v.i64[0], 1000);
	assert_int_equal(b->cols[0].v.i64[1], 0);
	p = vitals_batch_string(b, 1, 0, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(p, "bash", 4);
	assert_false(vitals_batch_is_valid(b, 1, 1));
	vitals_batch_string(b, 1, 1, &len);
	assert_int_equal(len, 0);
	assert_true(vitals_batch_is_valid(b, 1, 2));
	vitals_batch_string(b, 1, 2, &len);
	assert_int_equal(len, 0);
	assert_true(signbit(b->cols[2].v.f64[0]));
	assert_false(vitals_batch_is_valid(b, 2, 1));
	assert_true(isnan(b->cols[2].v.f64[2]));
	assert_int_equal(b->cols[3].v.b[0], 1);
	assert_false(vitals_batch_is_valid(b, 3, 2));
	assert_int_equal(b->cols[4].v.i32[0], -5);
	assert_int_equal(b->cols[1].data_len, 4);

	vitals_batch_clear(b);
	assert_int_equal(b->rows, 0);
	assert_int_equal(b->cols[1].data_len, 0);
	vitals_batch_free(b);
	vitals_schema_release(&s);
}

static void test_append_select(void **state)
{
	struct vitals_schema s;
	struct vitals_batch *a, *b;
	uint8_t select[1000];
	char text[32];
	size_t len, kept = 0;

	(void)state;
	make_schema(&s);
	assert_int_equal(vitals_batch_new(&a, &s), 0);
	assert_int_equal(vitals_batch_new(&b, &s), 0);
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(text, sizeof(text), "proc-%d", i);
		vitals_batch_set_i64(a, 0, i * 1000000LL);
		if (i % 3)
			vitals_batch_set_string(a, 1, text, (size_t)n);
		vitals_batch_set_double(a, 2, i / 4.0);
		vitals_batch_set_i32(a, 4, i);
		assert_int_equal(vitals_batch_end_row(a), 0);
		select[i] = i % 7 == 0 || (i > 500 && i < 520);
		kept += select[i];
	}
	/* Everything once, then a selection of the middle. */
	assert_int_equal(vitals_batch_append(b, a, 0, 1000, NULL), 0);
	assert_int_equal(vitals_batch_append(b, a, 0, 1000, select), 0);
	assert_int_equal(b->rows, 1000 + kept);
	for (size_t r = 0, k = 1000; r < 1000; r++) {
		size_t row = r;
		for (int pass = 0; pass < 2; pass++) {
			const char *p;
			if (pass == 1) {
				if (!select[r])
					break;
				row = k++;
			}
			assert_int_equal(b->cols[0].v.i64[row], (int64_t)r * 1000000);
			assert_int_equal(b->cols[4].v.i32[row], (int32_t)r);
			assert_true(b->cols[2].v.f64[row] == r / 4.0);
			assert_int_equal(vitals_batch_is_valid(b, 1, row), r % 3 != 0);
			p = vitals_batch_string(b, 1, row, &len);
			if (r % 3) {
				int n = snprintf(text, sizeof(text), "proc-%zu", r);
				assert_int_equal(len, (size_t)n);
				assert_memory_equal(p, text, len);
			} else {
				assert_int_equal(len, 0);
			}
		}
	}
	/* Out of range and a schema of other types are refused, leaving B alone. */
	assert_int_equal(vitals_batch_append(b, a, 990, 20, NULL), VITALS_E_INVAL);
	vitals_batch_free(a);
	s.fields[2].type = VITALS_TYPE_INT64;
	assert_int_equal(vitals_batch_new(&a, &s), 0);
	assert_int_equal(vitals_batch_append(b, a, 0, 0, NULL), VITALS_E_INVAL);
	assert_int_equal(b->rows, 1000 + kept);
	vitals_batch_free(a);
	vitals_batch_free(b);
	vitals_schema_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_schema_refuses),
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_append_select),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
