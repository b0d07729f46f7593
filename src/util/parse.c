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
	const char *s = skip_blanks(*p);
	int neg = 0, digits = 0;
	double v = 0, scale = 1;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		digits++;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			scale /= 10;
			v += (*s++ - '0') * scale;
			digits++;
		}
	}
	if (!digits || digits > 40)
		return -1;
	*out = neg ? -v : v;
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
