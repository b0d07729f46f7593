#include "util/parse.h"

#include <string.h>

const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

const char *skip_field(const char *p)
{
	p = skip_blanks(p);
	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	return p;
}

const char *next_line(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl + 1 : p + strlen(p);
}

int parse_u64(const char **p, uint64_t *out)
{
	const char *s = skip_blanks(*p);
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
		s++;
	}
	*out = v;
	*p = s;
	return 0;
}

int parse_i64(const char **p, int64_t *out)
{
	const char *s = skip_blanks(*p);
	int neg = 0;
	uint64_t v;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (parse_u64(&s, &v) < 0)
		return -1;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*p = s;
	return 0;
}

int parse_decimal(const char **p, double *out)
{
	static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
	                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
	                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	const char *s = skip_blanks(*p);
	int neg = 0, digits = 0, frac = 0;
	uint64_t mant = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	/* Digits into one integer, then one division: "0.71" reads back as 0.71 exactly. */
	while (*s >= '0' && *s <= '9') {
		if (mant > (UINT64_MAX - 9) / 10)
			return -1;
		mant = mant * 10 + (uint64_t)(*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			if (mant > (UINT64_MAX - 9) / 10 || frac == 22)
				return -1;
			mant = mant * 10 + (uint64_t)(*s++ - '0');
			digits++;
			frac++;
		}
	}
	if (!digits)
		return -1;
	*out = (double)mant / pow10[frac];
	if (neg)
		*out = -*out;
	*p = s;
	return 0;
}

const char *find_key(const char *buf, const char *key)
{
	size_t n = strlen(key);
	const char *p = buf;

	while (*p) {
		if (strncmp(p, key, n) == 0)
			return p + n;
		p = next_line(p);
	}
	return NULL;
}

char *copy_bounded(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return dst;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return dst;
}
