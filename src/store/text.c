/*
 * Text of values for CSV, JSON lines and `vitals inspect`, and what the two
 * text formats share: chunked input, buffered output, value parsers.
 *
 * Nothing here depends on the locale or the TZ variable: calendar dates are
 * converted with exact integer arithmetic on the proleptic Gregorian
 * calendar, and doubles are formatted and parsed in the C locale.
 */
#include "store/text.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/internal.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY (86400LL * US_PER_SEC)
/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z */
#define TS_MIN (-719162LL * US_PER_DAY)
#define TS_MAX (2932897LL * US_PER_DAY - 1)

/* ---- calendar ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (March-based eras of 400 years). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* ---- integers ------------------------------------------------------------ */

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

size_t text_format_i64(char *buf, int64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	size_t len = 0, n;

	while (u >= 100) {
		unsigned d = (unsigned)(u % 100) * 2;

		u /= 100;
		*--p = digit_pairs[d + 1];
		*--p = digit_pairs[d];
	}
	if (u >= 10) {
		*--p = digit_pairs[u * 2 + 1];
		*--p = digit_pairs[u * 2];
	} else {
		*--p = (char)('0' + u);
	}
	if (v < 0)
		buf[len++] = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf + len, p, n);
	len += n;
	buf[len] = '\0';
	return len;
}

int text_parse_i64(const char *s, size_t n, int64_t *v)
{
	const char *end = s + n, *safe;
	uint64_t u = 0, limit;
	int neg = 0;

	if (s < end && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
	}
	if (s == end)
		return -1;
	/* 18 digits cannot overflow; check only past them. */
	safe = end - s > 18 ? s + 18 : end;
	for (; s < safe; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9)
			return -1;
		u = u * 10 + d;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < end; s++) {
		unsigned d = (unsigned char)*s - '0';

		if (d > 9)
			return -1;
		if (u > limit / 10 || (u == limit / 10 && d > limit % 10)) {
			/* Still check the rest is digits: "99999999999999999999x" is not a number.
			 */
			for (s++; s < end; s++)
				if ((unsigned)((unsigned char)*s - '0') > 9)
					return -1;
			return -2;
		}
		u = u * 10 + d;
	}
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

int text_parse_bool(const char *s, size_t n, int *v)
{
	if (n == 4 && strncasecmp(s, "true", 4) == 0) {
		*v = 1;
		return 0;
	}
	if (n == 5 && strncasecmp(s, "false", 5) == 0) {
		*v = 0;
		return 0;
	}
	return -1;
}

/* ---- doubles -------------------------------------------------------------- */

static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static locale_t c_locale_obj;

static void c_locale_make(void)
{
	c_locale_obj = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* The C locale, made once; (locale_t)0 when it could not be. */
static locale_t c_locale(void)
{
	pthread_once(&c_locale_once, c_locale_make);
	return c_locale_obj;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static double strtod_c(const char *s, char **end)
{
	locale_t loc = c_locale();

	if (loc)
		return strtod_l(s, end, loc);
	return strtod(s, end);
}

/*
 * Values that print with at most 15 significant digits in fixed notation
 * (1e-4 <= |v| < 1e15): find the fewest fraction digits K such that
 * M / 10^K is V exactly (the division is exact in its operands and
 * correctly rounded, so it is what strtod returns for that text). This is
 * the text "%.15g" prints, without its cost.
 */
static size_t format_double_fixed(char *buf, double v)
{
	double a = fabs(v);
	char digits[24];
	size_t len = 0, nd;

	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	for (int k = 0; k <= 19; k++) {
		double scaled = a * pow10_exact[k];
		uint64_t m;

		if (scaled >= 1e15)
			return 0;
		m = (uint64_t)(scaled + 0.5);
		if ((double)m / pow10_exact[k] != a)
			continue;
		/* m has at most 15 digits; place the point K digits from the right. */
		nd = text_format_i64(digits, (int64_t)m);
		if (v < 0)
			buf[len++] = '-';
		if (nd <= (size_t)k) {
			buf[len++] = '0';
			buf[len++] = '.';
			for (size_t z = nd; z < (size_t)k; z++)
				buf[len++] = '0';
			memcpy(buf + len, digits, nd);
			len += nd;
		} else {
			memcpy(buf + len, digits, nd - (size_t)k);
			len += nd - (size_t)k;
			if (k) {
				buf[len++] = '.';
				memcpy(buf + len, digits + nd - (size_t)k, (size_t)k);
				len += (size_t)k;
			}
		}
		buf[len] = '\0';
		return len;
	}
	return 0;
}

size_t store_format_double(char *buf, double v)
{
	static const int precision[] = {15, 16, 17};
	locale_t loc, old = (locale_t)0;
	size_t len;
	int n = 0;

	if (isnan(v))
		return (size_t)snprintf(buf, STORE_VALUE_TEXT_MAX, "nan");
	if (isinf(v))
		return (size_t)snprintf(buf, STORE_VALUE_TEXT_MAX, v < 0 ? "-inf" : "inf");
	if (v == 0)
		return (size_t)snprintf(buf, STORE_VALUE_TEXT_MAX, signbit(v) ? "-0" : "0");
	len = format_double_fixed(buf, v);
	if (len)
		return len;
	loc = c_locale();
	if (loc)
		old = uselocale(loc);
	for (size_t i = 0; i < sizeof(precision) / sizeof(precision[0]); i++) {
		n = snprintf(buf, STORE_VALUE_TEXT_MAX, "%.*g", precision[i], v);
		if (strtod_c(buf, NULL) == v)
			break;
	}
	if (loc)
		uselocale(old);
	return (size_t)n;
}

size_t text_format_double(char *buf, double v)
{
	size_t len = store_format_double(buf, v);

	for (size_t i = 0; i < len; i++)
		if (buf[i] != '-' && (buf[i] < '0' || buf[i] > '9'))
			return len;
	memcpy(buf + len, ".0", 3);
	return len + 2;
}

static int special_double(const char *s, size_t n, double *v)
{
	int neg = 0;

	if (n && (*s == '-' || *s == '+')) {
		neg = *s == '-';
		s++;
		n--;
	}
	if (n == 3 && strncasecmp(s, "nan", 3) == 0) {
		*v = NAN;
		return 0;
	}
	if ((n == 3 && strncasecmp(s, "inf", 3) == 0) ||
	    (n == 8 && strncasecmp(s, "infinity", 8) == 0)) {
		*v = neg ? -INFINITY : INFINITY;
		return 0;
	}
	return -1;
}

int text_parse_double(const char *s, size_t n, double *v)
{
	const char *p = s, *end = s + n;
	uint64_t m = 0;
	int64_t exp10 = 0, e = 0;
	int neg = 0, sig = 0, digits = 0, exact = 1, eneg = 0;
	char small[128], *copy;
	double r;

	if (p < end && (*p == '-' || *p == '+')) {
		neg = *p == '-';
		p++;
	}
	if (p < end && (*p < '0' || *p > '9') && *p != '.')
		return special_double(s, n, v);
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (m == 0 && *p == '0')
			continue;
		if (sig < 19)
			m = m * 10 + (uint64_t)(*p - '0');
		else
			exp10++, exact &= *p == '0';
		sig++;
	}
	if (p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
			if (m == 0 && *p == '0') {
				exp10--;
				continue;
			}
			if (sig < 19)
				m = m * 10 + (uint64_t)(*p - '0'), exp10--;
			else
				exact &= *p == '0';
			sig++;
		}
	}
	if (digits == 0)
		return -1;
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		if (p == end || *p < '0' || *p > '9')
			return -1;
		for (; p < end && *p >= '0' && *p <= '9'; p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		exp10 += eneg ? -e : e;
	}
	if (p != end)
		return -1;
	if (m == 0) {
		*v = neg ? -0.0 : 0.0;
		return 0;
	}
	/* Both operands exact and one rounding: the correctly rounded result. */
	if (exact && m <= (1ULL << 53) && exp10 >= -22 && exp10 <= 22) {
		r = (double)m;
		r = exp10 < 0 ? r / pow10_exact[-exp10] : r * pow10_exact[exp10];
		*v = neg ? -r : r;
		return 0;
	}
	copy = n < sizeof(small) ? small : malloc(n + 1);
	if (!copy)
		return -1;
	memcpy(copy, s, n);
	copy[n] = '\0';
	*v = strtod_c(copy, NULL);
	if (copy != small)
		free(copy);
	return 0;
}

/* ---- timestamps ----------------------------------------------------------- */

size_t store_format_timestamp(char *buf, int64_t us)
{
	int64_t days, rem, y;
	unsigned m, d, secs, frac;
	char *p = buf;

	if (us < TS_MIN || us > TS_MAX)
		return text_format_i64(buf, us);
	days = us / US_PER_DAY;
	rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	secs = (unsigned)(rem / US_PER_SEC);
	frac = (unsigned)(rem % US_PER_SEC);
	*p++ = (char)('0' + y / 1000);
	*p++ = (char)('0' + y / 100 % 10);
	*p++ = (char)('0' + y / 10 % 10);
	*p++ = (char)('0' + y % 10);
	*p++ = '-';
	*p++ = (char)('0' + m / 10);
	*p++ = (char)('0' + m % 10);
	*p++ = '-';
	*p++ = (char)('0' + d / 10);
	*p++ = (char)('0' + d % 10);
	*p++ = 'T';
	*p++ = (char)('0' + secs / 36000);
	*p++ = (char)('0' + secs / 3600 % 10);
	*p++ = ':';
	*p++ = (char)('0' + secs / 600 % 6);
	*p++ = (char)('0' + secs / 60 % 10);
	*p++ = ':';
	*p++ = (char)('0' + secs % 60 / 10);
	*p++ = (char)('0' + secs % 10);
	if (frac) {
		*p++ = '.';
		for (unsigned div = 100000; div; div /= 10)
			*p++ = (char)('0' + frac / div % 10);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

/* N decimal digits at S into *v; -1 when one is not a digit. */
static int digits_at(const char *s, int n, unsigned *v)
{
	unsigned x = 0;

	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static int parse_timestamp(const char *s, size_t n, int64_t *us, int allow_int)
{
	unsigned y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0;
	int64_t frac = 0, off = 0, t;
	size_t i;

	if (n < 10 || s[4] != '-') {
		if (!allow_int)
			return -1;
		return text_parse_i64(s, n, us) == 0 ? 0 : -1;
	}
	if (digits_at(s, 4, &y) || digits_at(s + 5, 2, &mo) || s[7] != '-' ||
	    digits_at(s + 8, 2, &d))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	i = 10;
	if (i < n) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			return -1;
		i++;
		if (n - i < 5 || digits_at(s + i, 2, &h) || s[i + 2] != ':' ||
		    digits_at(s + i + 3, 2, &mi))
			return -1;
		i += 5;
		if (i < n && s[i] == ':') {
			if (n - i < 3 || digits_at(s + i + 1, 2, &sec))
				return -1;
			i += 3;
			if (i < n && s[i] == '.') {
				int nd = 0;

				for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++) {
					if (nd >= 9)
						return -1;
					if (nd < 6)
						frac = frac * 10 + (s[i] - '0');
				}
				if (nd == 0)
					return -1;
				for (; nd < 6; nd++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
		if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
			i++;
		} else if (i < n && (s[i] == '+' || s[i] == '-')) {
			int neg = s[i] == '-';

			i++;
			if (n - i < 2 || digits_at(s + i, 2, &oh))
				return -1;
			i += 2;
			if (i < n && s[i] == ':' && ++i == n)
				return -1; /* "+01:" */
			if (i < n) {
				if (n - i < 2 || digits_at(s + i, 2, &om))
					return -1;
				i += 2;
			}
			if (oh > 23 || om > 59)
				return -1;
			off = ((int64_t)oh * 3600 + om * 60) * (neg ? -1 : 1);
		}
		if (i != n)
			return -1;
	}
	t = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * US_PER_SEC +
	    frac;
	if (t < TS_MIN || t > TS_MAX)
		return -1;
	*us = t;
	return 0;
}

int store_parse_timestamp(const char *text, size_t len, int64_t *us)
{
	return parse_timestamp(text, len, us, 1);
}

int text_parse_dated_timestamp(const char *s, size_t n, int64_t *us)
{
	return parse_timestamp(s, n, us, 0);
}

/* ---- input ----------------------------------------------------------------- */

int text_in_init(struct text_in *in, struct vitals_reader *r)
{
	size_t size = TEXT_CHUNK;
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->r = r;
	/* A small file gets a small buffer (it grows if the file does). */
	if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < TEXT_CHUNK)
		size = ((size_t)st.st_size | 4095) + 1;
	in->buf = malloc(size + 1);
	if (!in->buf)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	in->size = size;
	return 0;
}

void text_in_release(struct text_in *in)
{
	free(in->buf);
	in->buf = NULL;
}

int text_in_more(struct text_in *in, uint64_t line)
{
	size_t want;
	ssize_t got;

	if (in->eof)
		return 0;
	if (in->pos) {
		memmove(in->buf, in->buf + in->pos, in->end - in->pos);
		in->end -= in->pos;
		in->pos = 0;
	}
	if (in->end == in->size) {
		size_t size = in->size * 2;
		char *p;

		if (in->size >= TEXT_RECORD_MAX)
			return store_reader_fail(in->r, VITALS_E_PARSE,
			                         "line %llu: record longer than %zu MiB",
			                         (unsigned long long)line, TEXT_RECORD_MAX >> 20);
		if (size > TEXT_RECORD_MAX)
			size = TEXT_RECORD_MAX;
		p = realloc(in->buf, size + 1);
		if (!p)
			return store_reader_fail(in->r, VITALS_E_NOMEM, "out of memory");
		in->buf = p;
		in->size = size;
	}
	want = in->size - in->end;
	if (want > TEXT_CHUNK)
		want = TEXT_CHUNK;
	for (;;) {
		if (!in->stream) {
			got = pread(in->r->fd, in->buf + in->end, want, (off_t)in->off);
			if (got < 0 && errno == ESPIPE) {
				in->stream = 1;
				continue;
			}
		} else {
			got = read(in->r->fd, in->buf + in->end, want);
		}
		if (got >= 0 || errno != EINTR)
			break;
	}
	if (got < 0)
		return store_reader_fail(in->r, VITALS_E_IO, "read: %s", strerror(errno));
	if (got == 0) {
		in->eof = 1;
		return 0;
	}
	in->end += (size_t)got;
	in->off += (uint64_t)got;
	return 1;
}

int text_in_skip_bom(struct text_in *in)
{
	int rc;

	while (in->end - in->pos < 3 && !in->eof)
		if ((rc = text_in_more(in, 1)) < 0)
			return rc;
	if (in->end - in->pos >= 3 && memcmp(in->buf + in->pos, "\xEF\xBB\xBF", 3) == 0)
		in->pos += 3;
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

int text_out_init(struct text_out *o, struct vitals_writer *w)
{
	o->w = w;
	o->len = 0;
	o->cap = TEXT_OUT_BYTES;
	o->buf = malloc(o->cap);
	if (!o->buf)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
	return 0;
}

void text_out_release(struct text_out *o)
{
	free(o->buf);
	o->buf = NULL;
}

int text_out_flush(struct text_out *o)
{
	size_t n = o->len;

	if (!n)
		return 0;
	o->len = 0;
	return store_write(o->w, o->buf, n);
}

int text_out_put(struct text_out *o, const void *p, size_t n)
{
	int rc;

	if (o->cap - o->len >= n) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		return 0;
	}
	if ((rc = text_out_flush(o)) < 0)
		return rc;
	if (n >= o->cap)
		return store_write(o->w, p, n);
	memcpy(o->buf, p, n);
	o->len = n;
	return 0;
}

/* ---- messages and columns -------------------------------------------------- */

const char *text_preview(char *buf, const char *s, size_t n)
{
	size_t len = n > TEXT_PREVIEW_MAX ? TEXT_PREVIEW_MAX : n, i;

	if (len < n) /* do not cut a UTF-8 sequence */
		while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
			len--;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (len < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

const char *text_type_phrase(enum vitals_type t)
{
	switch (t) {
	case VITALS_TYPE_BOOL:
		return "a bool";
	case VITALS_TYPE_INT32:
		return "an int32";
	case VITALS_TYPE_INT64:
		return "an int64";
	case VITALS_TYPE_DOUBLE:
		return "a double";
	case VITALS_TYPE_STRING:
		return "a string";
	case VITALS_TYPE_TIMESTAMP:
		return "a timestamp";
	}
	return "a value";
}

int text_batch_grow(struct vitals_batch *b, size_t *cap, size_t rows, size_t limit)
{
	size_t want;

	if (rows < *cap)
		return 0;
	want = *cap ? *cap * 2 : 1024;
	if (want > limit)
		want = limit;
	if (want <= rows)
		want = rows + 1;
	for (size_t i = 0; i < b->schema.count; i++) {
		struct vitals_column *c = &b->cols[i];

		if (vitals_column_reserve(c, want, c->data_cap) < 0)
			return VITALS_E_NOMEM;
	}
	*cap = want;
	return 0;
}

int text_col_data_room(struct vitals_column *c, size_t n)
{
	size_t want = c->data_len + n;

	if (want < c->data_len)
		return VITALS_E_NOMEM;
	if (want < c->data_cap * 2)
		want = c->data_cap * 2;
	if (want < 4096)
		want = 4096;
	return vitals_column_reserve(c, c->cap, want) < 0 ? VITALS_E_NOMEM : 0;
}
