#include "util/bytebuf.h"

#include <stdlib.h>
#include <vitals/common.h>

void bytebuf_init(struct bytebuf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->error = 0;
}

void bytebuf_release(struct bytebuf *b)
{
	free(b->p);
	bytebuf_init(b, b->max);
}

void bytebuf_clear(struct bytebuf *b)
{
	b->len = 0;
	b->error = 0;
}

int bytebuf_reserve(struct bytebuf *b, size_t extra)
{
	size_t max = b->max ? b->max : BYTEBUF_MAX_DEFAULT;
	size_t want;
	uint8_t *p;

	if (b->error)
		return b->error;
	if (extra > max || b->len > max - extra)
		goto out_fail;
	if (b->len + extra <= b->cap)
		return 0;
	want = b->cap ? b->cap : 256;
	while (want < b->len + extra)
		want = want > max / 2 ? max : want * 2;
	p = realloc(b->p, want);
	if (!p)
		goto out_fail;
	b->p = p;
	b->cap = want;
	return 0;
out_fail:
	b->error = VITALS_E_NOMEM;
	return b->error;
}

int bytebuf_reserve_gently(struct bytebuf *b, size_t extra)
{
	size_t max = b->max ? b->max : BYTEBUF_MAX_DEFAULT;
	size_t want;
	uint8_t *p;

	if (b->error)
		return b->error;
	if (extra > max || b->len > max - extra)
		goto out_fail;
	if (b->len + extra <= b->cap)
		return 0;
	want = b->len + extra;
	want = want > max - want / 4 ? max : want + want / 4;
	p = realloc(b->p, want);
	if (!p)
		goto out_fail;
	b->p = p;
	b->cap = want;
	return 0;
out_fail:
	b->error = VITALS_E_NOMEM;
	return b->error;
}

int bytebuf_append(struct bytebuf *b, const void *data, size_t n)
{
	if (n == 0)
		return b->error;
	if (bytebuf_reserve(b, n) < 0)
		return b->error;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

int bytebuf_put_u8(struct bytebuf *b, uint8_t v)
{
	if (b->len < b->cap && !b->error) {
		b->p[b->len++] = v;
		return 0;
	}
	return bytebuf_append(b, &v, 1);
}

int bytebuf_put_le32(struct bytebuf *b, uint32_t v)
{
	return bytebuf_append(b, &v, 4);
}

int bytebuf_put_le64(struct bytebuf *b, uint64_t v)
{
	return bytebuf_append(b, &v, 8);
}

int bytebuf_put_uleb(struct bytebuf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		tmp[n++] = byte | (v ? 0x80 : 0);
	} while (v);
	return bytebuf_append(b, tmp, n);
}

int uleb_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;
	unsigned shift = 0;

	while (q < end) {
		uint8_t byte = *q++;
		if (shift == 63 && (byte & 0x7e))
			return -1;
		r |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = r;
			*p = q;
			return 0;
		}
		shift += 7;
		if (shift > 63)
			return -1;
	}
	return -1;
}
