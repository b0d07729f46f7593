/*
 * The Parquet encodings on trace-shaped data: 2 million values of each
 * kind a trace has (dictionary indices, definition levels, timestamps,
 * counters, doubles, process names), each encoded and decoded. Prints one
 * line per operation with the best CPU time (user + system) of several
 * runs:
 *
 *   encoding=NAME values=N ms=X ns_per_value=Y
 *
 * Usage: bench_encoding [--seconds S] [--min-samples N]
 * (S bounds the time spent on each operation, N the runs of each.)
 */
#include <stdint.h>

#include "bench.h"
#include "store/encoding.h"

#define ROWS 2000000

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Keeps results alive so the compiler cannot drop the work. */
static volatile uint64_t sink;

struct data {
	uint32_t *idx; /* dictionary indices, 0..999 */
	uint32_t *idx_out;
	uint8_t *def; /* definition levels: long runs of 1, a few nulls */
	uint8_t *def_out;
	int64_t *time; /* microsecond timestamps, about 1 s apart */
	int64_t *i64_out;
	int64_t *counter; /* a growing counter with irregular steps */
	double *f64;
	double *f64_out;
	char (*names)[24];
	struct pq_bytes *str;
	struct pq_bytes *str_out;
	uint64_t *keys;
	struct bytebuf enc, scratch;
};

enum op {
	RLE_ENCODE_IDX,
	RLE_DECODE_IDX,
	RLE_ENCODE_DEF,
	RLE_DECODE_DEF,
	DELTA_ENCODE_TIME,
	DELTA_DECODE_TIME,
	DELTA_ENCODE_COUNTER,
	DELTA_DECODE_COUNTER,
	BSS_ENCODE_DOUBLE,
	BSS_DECODE_DOUBLE,
	DICT_KEYS,
	DICT_STRINGS,
	DLBA_DECODE,
	DBA_DECODE,
	PLAIN_BOOL_DECODE,
	OP_COUNT
};

static const char *const op_names[OP_COUNT] = {
    "rle_encode_idx10",  "rle_decode_idx10",  "rle_encode_deflevels", "rle_decode_deflevels",
    "delta_encode_time", "delta_decode_time", "delta_encode_counter", "delta_decode_counter",
    "bss_encode_double", "bss_decode_double", "dict_keys_double",     "dict_strings",
    "dlba_decode_names", "dba_decode_names",  "plain_bool_decode",
};

/* Encode what a decoding operation reads, outside the timed part. */
static int prepare(struct data *d, enum op op)
{
	bytebuf_clear(&d->enc);
	switch (op) {
	case RLE_DECODE_IDX:
		return enc_rle_encode(&d->enc, d->idx, ROWS, 10);
	case RLE_DECODE_DEF:
		return enc_rle_encode_u8(&d->enc, d->def, ROWS, 1);
	case DELTA_DECODE_TIME:
		return enc_delta_encode_i64(&d->enc, d->time, ROWS);
	case DELTA_DECODE_COUNTER:
		return enc_delta_encode_i64(&d->enc, d->counter, ROWS);
	case BSS_DECODE_DOUBLE:
		return enc_bss_encode(&d->enc, d->f64, ROWS, 8);
	case DLBA_DECODE:
		return enc_delta_length_encode(&d->enc, d->str, ROWS);
	case DBA_DECODE:
		return enc_delta_byte_array_encode(&d->enc, d->str, ROWS);
	case PLAIN_BOOL_DECODE:
		return enc_plain_encode_bool(&d->enc, d->def, ROWS);
	default:
		return 0;
	}
}

static int run(struct data *d, enum op op)
{
	struct enc_dict dict;
	int64_t sum = 0;
	int r = 0;

	switch (op) {
	case RLE_ENCODE_IDX:
		bytebuf_clear(&d->enc);
		r = enc_rle_encode(&d->enc, d->idx, ROWS, 10);
		break;
	case RLE_DECODE_IDX:
		r = enc_rle_decode(d->enc.p, d->enc.len, 10, d->idx_out, ROWS);
		break;
	case RLE_ENCODE_DEF:
		bytebuf_clear(&d->enc);
		r = enc_rle_encode_u8(&d->enc, d->def, ROWS, 1);
		break;
	case RLE_DECODE_DEF:
		r = enc_rle_decode_u8(d->enc.p, d->enc.len, 1, d->def_out, ROWS);
		break;
	case DELTA_ENCODE_TIME:
		bytebuf_clear(&d->enc);
		r = enc_delta_encode_i64(&d->enc, d->time, ROWS);
		break;
	case DELTA_ENCODE_COUNTER:
		bytebuf_clear(&d->enc);
		r = enc_delta_encode_i64(&d->enc, d->counter, ROWS);
		break;
	case DELTA_DECODE_TIME:
	case DELTA_DECODE_COUNTER:
		r = enc_delta_decode_i64(d->enc.p, d->enc.len, d->i64_out, ROWS, NULL);
		break;
	case BSS_ENCODE_DOUBLE:
		bytebuf_clear(&d->enc);
		r = enc_bss_encode(&d->enc, d->f64, ROWS, 8);
		break;
	case BSS_DECODE_DOUBLE:
		r = enc_bss_decode(d->enc.p, d->enc.len, 8, d->f64_out, ROWS);
		break;
	case DICT_KEYS:
		enc_dict_init(&dict, 0, (size_t)1 << 20);
		for (size_t i = 0; i < ROWS; i++)
			sum += enc_dict_add_key(&dict, d->keys[i], 8);
		enc_dict_release(&dict);
		break;
	case DICT_STRINGS:
		enc_dict_init(&dict, 1, (size_t)1 << 20);
		for (size_t i = 0; i < ROWS; i++)
			sum += enc_dict_add_bytes(&dict, d->str[i].p, d->str[i].len);
		enc_dict_release(&dict);
		break;
	case DLBA_DECODE:
		r = enc_delta_length_decode(d->enc.p, d->enc.len, d->str_out, ROWS);
		break;
	case DBA_DECODE:
		r = enc_delta_byte_array_decode(d->enc.p, d->enc.len, d->str_out, ROWS,
		                                &d->scratch);
		break;
	case PLAIN_BOOL_DECODE:
		r = enc_plain_decode_bool(d->enc.p, d->enc.len, d->def_out, ROWS);
		break;
	default:
		break;
	}
	sink += (uint64_t)sum;
	return r;
}

static int data_init(struct data *d)
{
	int64_t t = 1700000000000000, c = 0;

	memset(d, 0, sizeof(*d));
	d->idx = malloc(ROWS * sizeof(*d->idx));
	d->idx_out = malloc(ROWS * sizeof(*d->idx_out));
	d->def = malloc(ROWS);
	d->def_out = malloc(ROWS);
	d->time = malloc(ROWS * sizeof(*d->time));
	d->counter = malloc(ROWS * sizeof(*d->counter));
	d->i64_out = malloc(ROWS * sizeof(*d->i64_out));
	d->f64 = malloc(ROWS * sizeof(*d->f64));
	d->f64_out = malloc(ROWS * sizeof(*d->f64_out));
	d->names = malloc(1000 * sizeof(*d->names));
	d->str = malloc(ROWS * sizeof(*d->str));
	d->str_out = malloc(ROWS * sizeof(*d->str_out));
	d->keys = malloc(ROWS * sizeof(*d->keys));
	if (!d->idx || !d->idx_out || !d->def || !d->def_out || !d->time || !d->counter ||
	    !d->i64_out || !d->f64 || !d->f64_out || !d->names || !d->str || !d->str_out ||
	    !d->keys)
		return -1;
	bytebuf_init(&d->enc, 0);
	bytebuf_init(&d->scratch, 0);
	for (int i = 0; i < 1000; i++)
		snprintf(d->names[i], sizeof(d->names[i]), "%s/%d:%d",
		         i % 3 ? "kworker" : "python3", i % 16, i);
	for (size_t i = 0; i < ROWS; i++) {
		double x = (double)(rnd() % 4000) * 0.25;

		d->idx[i] = (uint32_t)(rnd() % 1000);
		d->def[i] = rnd() % 64 != 0;
		t += 1000000 + (int64_t)(rnd() % 2001) - 1000;
		d->time[i] = t;
		c += (int64_t)(rnd() % 100000);
		d->counter[i] = c;
		d->f64[i] = x;
		memcpy(&d->keys[i], &x, 8);
		d->str[i].p = (const uint8_t *)d->names[d->idx[i]];
		d->str[i].len = (uint32_t)strlen(d->names[d->idx[i]]);
	}
	return 0;
}

static void data_release(struct data *d)
{
	free(d->idx);
	free(d->idx_out);
	free(d->def);
	free(d->def_out);
	free(d->time);
	free(d->counter);
	free(d->i64_out);
	free(d->f64);
	free(d->f64_out);
	free(d->names);
	free(d->str);
	free(d->str_out);
	free(d->keys);
	bytebuf_release(&d->enc);
	bytebuf_release(&d->scratch);
}

int main(int argc, char **argv)
{
	struct bench_args a;
	struct data d;
	int status = 0;

	if (bench_args_parse(&a, argc, argv) < 0) {
		fprintf(stderr, "usage: bench_encoding [--seconds S] [--min-samples N]\n");
		return 2;
	}
	if (data_init(&d) < 0) {
		fprintf(stderr, "bench_encoding: out of memory\n");
		data_release(&d);
		return 1;
	}
	for (int op = 0; op < OP_COUNT; op++) {
		double best = 1e30, t0 = bench_wall_s();

		long n = 0;

		if (prepare(&d, (enum op)op) < 0) {
			fprintf(stderr, "bench_encoding: %s: encoding failed\n", op_names[op]);
			status = 1;
			break;
		}
		do {
			double t = bench_cpu_us();

			if (run(&d, (enum op)op) < 0) {
				fprintf(stderr, "bench_encoding: %s failed\n", op_names[op]);
				status = 1;
				goto out_release;
			}
			t = (bench_cpu_us() - t) / 1e6;
			if (t < best)
				best = t;
			n++;
		} while (bench_more(&a, n, t0) && n < 50);
		printf("encoding=%s values=%d ms=%.2f ns_per_value=%.2f\n", op_names[op], ROWS,
		       best * 1e3, best * 1e9 / ROWS);
	}
out_release:
	data_release(&d);
	return status;
}
