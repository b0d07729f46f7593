/*
 * JSON lines trace files: one JSON object per line, one row per object.
 *
 * Writing: keys in schema order; null for a null; integers as numbers;
 * finite doubles as numbers (integral ones with ".0"), NaN and infinities
 * as the strings "NaN", "Infinity" and "-Infinity"; timestamps as RFC 3339
 * strings; strings escaped, with invalid UTF-8 bytes as U+FFFD.
 *
 * Reading streams the file line by line. The columns are the keys of the
 * first TEXT_INFER_ROWS objects in the order first seen, with types
 * inferred from their JSON values; a key missing from a line is a null, a
 * key first seen later is an error, and so is a value that does not fit
 * its column, a nested object or array, or a key repeated in one object.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"
#include "store/text.h"
#include "util/bytebuf.h"

#define JL_BATCH_BYTES ((size_t)64 << 20) /* text in one batch before it is handed out */
#define JL_SLOTS       8192               /* key hash slots: twice VITALS_COLUMNS_MAX */

enum jl_kind {
	J_NULL,
	J_TRUE,
	J_FALSE,
	J_INT, /* an integer in int64's range */
	J_NUM, /* any other number, NaN, Infinity, -Infinity */
	J_STR,
};

/* One key's value in a line: bytes [off, off+len) of the line or of the scratch text. */
struct jl_tok {
	uint32_t off;
	uint32_t len;
	uint16_t col; /* file column (key) index */
	uint8_t kind;
	uint8_t in_scratch;
};

struct jl_reader {
	struct text_in in;
	uint64_t line;     /* line of the next line read */
	uint64_t rec_line; /* line of the current line */
	/* The columns of the file: the keys of the first lines. */
	struct vitals_schema keys;
	uint32_t *klen;
	uint16_t *slots; /* JL_SLOTS: key index + 1, 0 when empty */
	uint32_t seed;
	uint64_t *seen; /* per key: serial of the last line that had it */
	uint64_t serial;
	int learning; /* still taking new keys */
	int *outcol;  /* per key: returned column, or -1 */
	size_t nout;
	/* The line being read. */
	const char *text;
	struct jl_tok *toks;
	size_t ntoks;
	struct bytebuf scratch;
	/* Lines kept from inference, replayed first. */
	struct bytebuf wbytes;
	struct jl_tok *wtoks;
	size_t wntoks, wtok_cap;
	size_t *wstart; /* first token of each kept line; wcount + 1 entries */
	uint64_t *wlines;
	size_t wcount, wcap, wnext;
	int wdrop; /* replayed: free it before reading on */
	/* Output. */
	struct vitals_batch *batch;
	uint64_t *set; /* per returned column: row serial + 1 when set in the row */
	size_t row_cap;
	size_t batch_rows;
	int done;
	int failed;
};

/* ---- keys -------------------------------------------------------------------------- */

/* FNV-1a from a per-reader SEED, so no file can be made to collide everywhere. */
static uint32_t key_hash(uint32_t seed, const char *s, size_t n)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int key_find(const struct jl_reader *jr, const char *s, size_t n)
{
	uint32_t i = key_hash(jr->seed, s, n) & (JL_SLOTS - 1);

	for (;;) {
		unsigned k = jr->slots[i];

		if (!k)
			return -1;
		k--;
		if (jr->klen[k] == n && memcmp(jr->keys.fields[k].name, s, n) == 0)
			return (int)k;
		i = (i + 1) & (JL_SLOTS - 1);
	}
}

/* ---- parsing one line ---------------------------------------------------------------- */

static int line_fail(struct vitals_reader *r, struct jl_reader *jr, size_t at, const char *what)
{
	return store_reader_fail(r, VITALS_E_PARSE, "line %llu: byte %zu: %s",
	                         (unsigned long long)jr->rec_line, at + 1, what);
}

static size_t skip_ws(const char *p, size_t i)
{
	while (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
		i++;
	return i;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at P (NUL-terminated text); -1 when they are not. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hexval(p[i]);

		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void put_utf8(struct bytebuf *b, unsigned long cp)
{
	uint8_t u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (uint8_t)(0xC0 | cp >> 6);
		u[1] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (uint8_t)(0xE0 | cp >> 12);
		u[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (uint8_t)(0xF0 | cp >> 18);
		u[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (uint8_t)(0x80 | (cp & 0x3F));
		n = 4;
	}
	bytebuf_append(b, u, n);
}

/*
 * The string whose opening quote is at P[*I] (P ends with a NUL at N):
 * its text as offset and length in the line, or decoded into jr->scratch
 * (*in_scratch set). *I moves past the closing quote.
 */
static int parse_string(struct vitals_reader *r, struct jl_reader *jr, const char *p, size_t n,
                        size_t *i, uint32_t *off, uint32_t *len, uint8_t *in_scratch)
{
	size_t j = *i + 1, start = j;
	struct bytebuf *sb = &jr->scratch;
	unsigned char c;

	while ((c = (unsigned char)p[j]) != '"' && c != '\\' && c >= 0x20)
		j++;
	if (c == '"') {
		*off = (uint32_t)start;
		*len = (uint32_t)(j - start);
		*in_scratch = 0;
		*i = j + 1;
		return 0;
	}
	*off = (uint32_t)sb->len;
	bytebuf_append(sb, p + start, j - start);
	for (;;) {
		c = (unsigned char)p[j];
		if (c == '"')
			break;
		if (c < 0x20) {
			if (j >= n)
				return line_fail(r, jr, start - 1,
				                 "the string has no closing quote");
			return line_fail(r, jr, j, "a control character inside a string");
		}
		if (c != '\\') {
			size_t k = j;

			while ((c = (unsigned char)p[k]) != '"' && c != '\\' && c >= 0x20)
				k++;
			bytebuf_append(sb, p + j, k - j);
			j = k;
			continue;
		}
		c = (unsigned char)p[j + 1];
		j += 2;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			bytebuf_put_u8(sb, c);
			break;
		case 'b':
			bytebuf_put_u8(sb, '\b');
			break;
		case 'f':
			bytebuf_put_u8(sb, '\f');
			break;
		case 'n':
			bytebuf_put_u8(sb, '\n');
			break;
		case 'r':
			bytebuf_put_u8(sb, '\r');
			break;
		case 't':
			bytebuf_put_u8(sb, '\t');
			break;
		case 'u': {
			long cp = hex4(p + j), lo;

			if (cp < 0)
				return line_fail(r, jr, j - 2,
				                 "a \\u escape without four hex digits");
			j += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && p[j] == '\\' && p[j + 1] == 'u' &&
			    (lo = hex4(p + j + 2)) >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				j += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				cp = 0xFFFD; /* a lone surrogate */
			}
			put_utf8(sb, (unsigned long)cp);
			break;
		}
		default:
			if (j - 1 >= n)
				return line_fail(r, jr, start - 1,
				                 "the string has no closing quote");
			return line_fail(r, jr, j - 2, "an invalid escape in a string");
		}
	}
	if (sb->error)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	*len = (uint32_t)(sb->len - *off);
	*in_scratch = 1;
	*i = j + 1;
	return 0;
}

/* The number at P[*I]: J_INT or J_NUM; -1 when it is not valid JSON. */
static int parse_number(const char *p, size_t *i, uint8_t *kind)
{
	size_t j = *i, start = j;
	int is_int = 1;
	int64_t v;

	if (p[j] == '-')
		j++;
	if (strncmp(p + j, "Infinity", 8) == 0) {
		*kind = J_NUM;
		*i = j + 8;
		return 0;
	}
	if (p[j] == '0') {
		j++;
	} else if (p[j] >= '1' && p[j] <= '9') {
		while (p[j] >= '0' && p[j] <= '9')
			j++;
	} else {
		return -1;
	}
	if (p[j] == '.') {
		j++;
		if (p[j] < '0' || p[j] > '9')
			return -1;
		while (p[j] >= '0' && p[j] <= '9')
			j++;
		is_int = 0;
	}
	if (p[j] == 'e' || p[j] == 'E') {
		j++;
		if (p[j] == '+' || p[j] == '-')
			j++;
		if (p[j] < '0' || p[j] > '9')
			return -1;
		while (p[j] >= '0' && p[j] <= '9')
			j++;
		is_int = 0;
	}
	*kind = is_int && text_parse_i64(p + start, j - start, &v) == 0 ? J_INT : J_NUM;
	*i = j;
	return 0;
}

/* The key's column: found, added while learning, or an error. */
static int key_column(struct vitals_reader *r, struct jl_reader *jr, const char *s, size_t n,
                      size_t guess)
{
	char pv[TEXT_PREVIEW_BUF], name[VITALS_NAME_MAX + 1];
	uint32_t h;
	int k, rc;

	if (guess < jr->keys.count && jr->klen[guess] == n &&
	    memcmp(jr->keys.fields[guess].name, s, n) == 0)
		return (int)guess;
	k = key_find(jr, s, n);
	if (k >= 0)
		return k;
	if (!jr->learning)
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "line %llu: key '%s' is not among the columns of the "
		                         "first %d lines",
		                         (unsigned long long)jr->rec_line, text_preview(pv, s, n),
		                         TEXT_INFER_ROWS);
	if (n == 0)
		return store_reader_fail(r, VITALS_E_PARSE, "line %llu: an empty key",
		                         (unsigned long long)jr->rec_line);
	if (n > VITALS_NAME_MAX)
		return store_reader_fail(r, VITALS_E_PARSE, "line %llu: a key longer than %d bytes",
		                         (unsigned long long)jr->rec_line, VITALS_NAME_MAX);
	if (memchr(s, '\0', n))
		return store_reader_fail(r, VITALS_E_PARSE, "line %llu: key '%s' holds a NUL byte",
		                         (unsigned long long)jr->rec_line, text_preview(pv, s, n));
	if (jr->keys.count >= VITALS_COLUMNS_MAX)
		return store_reader_fail(r, VITALS_E_PARSE, "line %llu: more than %d keys",
		                         (unsigned long long)jr->rec_line, VITALS_COLUMNS_MAX);
	memcpy(name, s, n);
	name[n] = '\0';
	if ((rc = vitals_schema_add(&jr->keys, name, VITALS_TYPE_STRING, 1)) < 0)
		return store_reader_fail(r, rc, "line %llu: key '%s': %s",
		                         (unsigned long long)jr->rec_line, text_preview(pv, s, n),
		                         vitals_strerror(rc));
	k = (int)jr->keys.count - 1;
	jr->klen[k] = (uint32_t)n;
	jr->seen[k] = 0;
	h = key_hash(jr->seed, s, n) & (JL_SLOTS - 1);
	while (jr->slots[h])
		h = (h + 1) & (JL_SLOTS - 1);
	jr->slots[h] = (uint16_t)(k + 1);
	return k;
}

/*
 * Parse the line [P, P+N) (P[N] is a NUL) into jr->toks. 1 for an
 * object, 0 for a blank line, or a status.
 */
static int parse_line(struct vitals_reader *r, struct jl_reader *jr, const char *p, size_t n)
{
	size_t i = skip_ws(p, 0), guess = 0;
	char pv[TEXT_PREVIEW_BUF];

	jr->ntoks = 0;
	jr->text = p;
	bytebuf_clear(&jr->scratch);
	jr->serial++;
	if (i >= n)
		return 0;
	if (p[i] != '{')
		return line_fail(r, jr, i, "not a JSON object");
	i = skip_ws(p, i + 1);
	if (p[i] == '}') {
		i++;
		goto out_end;
	}
	for (;;) {
		struct jl_tok t;
		const char *key;
		uint32_t koff, klen;
		uint8_t kin;
		size_t at;
		int col, rc;

		if (p[i] != '"')
			return line_fail(r, jr, i,
			                 i >= n ? "the object is not closed" : "expected a key");
		if ((rc = parse_string(r, jr, p, n, &i, &koff, &klen, &kin)) < 0)
			return rc;
		key = (kin ? (const char *)jr->scratch.p : p) + koff;
		if ((col = key_column(r, jr, key, klen, guess)) < 0)
			return col;
		guess = (size_t)col + 1;
		if (jr->seen[col] == jr->serial)
			return store_reader_fail(r, VITALS_E_PARSE, "line %llu: duplicate key '%s'",
			                         (unsigned long long)jr->rec_line,
			                         text_preview(pv, key, klen));
		jr->seen[col] = jr->serial;
		i = skip_ws(p, i);
		if (p[i] != ':')
			return line_fail(r, jr, i, "expected ':' after a key");
		i = skip_ws(p, i + 1);
		at = i;
		t.col = (uint16_t)col;
		t.in_scratch = 0;
		switch (p[i]) {
		case '"':
			t.kind = J_STR;
			if ((rc = parse_string(r, jr, p, n, &i, &t.off, &t.len, &t.in_scratch)) < 0)
				return rc;
			break;
		case '{':
		case '[':
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "line %llu: column '%s': nested values are not "
			                         "supported",
			                         (unsigned long long)jr->rec_line,
			                         jr->keys.fields[col].name);
		case 't':
		case 'f':
		case 'n':
		case 'N':
		case 'I': {
			static const struct {
				const char *word;
				uint8_t kind;
			} words[] = {{"true", J_TRUE},
			             {"false", J_FALSE},
			             {"null", J_NULL},
			             {"NaN", J_NUM},
			             {"Infinity", J_NUM}};
			size_t w;

			for (w = 0; w < sizeof(words) / sizeof(words[0]); w++)
				if (strncmp(p + i, words[w].word, strlen(words[w].word)) == 0)
					break;
			if (w == sizeof(words) / sizeof(words[0]))
				return line_fail(r, jr, i, "not a JSON value");
			t.kind = words[w].kind;
			t.off = (uint32_t)i;
			t.len = (uint32_t)strlen(words[w].word);
			i += t.len;
			break;
		}
		default:
			if (parse_number(p, &i, &t.kind) < 0)
				return line_fail(
				    r, jr, at, i >= n ? "a value is missing" : "not a JSON value");
			t.off = (uint32_t)at;
			t.len = (uint32_t)(i - at);
			break;
		}
		if (t.kind != J_NULL)
			jr->toks[jr->ntoks++] = t;
		i = skip_ws(p, i);
		if (p[i] == ',') {
			i = skip_ws(p, i + 1);
			continue;
		}
		if (p[i] == '}') {
			i++;
			break;
		}
		return line_fail(r, jr, i,
		                 i >= n ? "the object is not closed" : "expected ',' or '}'");
	}
out_end:
	i = skip_ws(p, i);
	if (i < n)
		return line_fail(r, jr, i, "text after the object");
	return 1;
}

/*
 * Read and parse the next object of the file. 1, 0 at the end, or a
 * status. Blank lines are skipped.
 */
static int next_object(struct vitals_reader *r, struct jl_reader *jr, size_t *bytes)
{
	struct text_in *in = &jr->in;
	size_t scanned = 0;
	int rc;

	for (;;) {
		size_t avail = in->end - in->pos, len, used;
		char *p = in->buf + in->pos, *nl;

		if (avail == 0 && in->eof)
			return 0;
		nl = memchr(p + scanned, '\n', avail - scanned);
		if (!nl && !in->eof) {
			scanned = avail;
			if ((rc = text_in_more(in, jr->line)) < 0)
				return rc;
			continue;
		}
		len = nl ? (size_t)(nl - p) : avail;
		used = nl ? len + 1 : len;
		p[len] = '\0';
		in->pos += used;
		scanned = 0;
		jr->rec_line = jr->line++;
		*bytes += used;
		rc = parse_line(r, jr, p, len);
		if (rc != 0)
			return rc;
	}
}

/* ---- inference window -------------------------------------------------------------------- */

static int window_keep(struct jl_reader *jr)
{
	if (jr->wcount + 1 >= jr->wcap) {
		size_t cap = jr->wcap ? jr->wcap * 2 : 64;
		size_t *ws = realloc(jr->wstart, cap * sizeof(*ws));
		uint64_t *wl;

		if (!ws)
			return VITALS_E_NOMEM;
		jr->wstart = ws;
		wl = realloc(jr->wlines, cap * sizeof(*wl));
		if (!wl)
			return VITALS_E_NOMEM;
		jr->wlines = wl;
		jr->wcap = cap;
	}
	if (jr->wntoks + jr->ntoks > jr->wtok_cap) {
		size_t cap = jr->wtok_cap ? jr->wtok_cap * 2 : 1024;
		struct jl_tok *t;

		while (cap < jr->wntoks + jr->ntoks)
			cap *= 2;
		t = realloc(jr->wtoks, cap * sizeof(*t));
		if (!t)
			return VITALS_E_NOMEM;
		jr->wtoks = t;
		jr->wtok_cap = cap;
	}
	if (jr->wcount == 0)
		jr->wstart[0] = 0;
	for (size_t i = 0; i < jr->ntoks; i++) {
		struct jl_tok t = jr->toks[i];
		const char *s = (t.in_scratch ? (const char *)jr->scratch.p : jr->text) + t.off;

		t.off = (uint32_t)jr->wbytes.len;
		t.in_scratch = 0;
		if (bytebuf_append(&jr->wbytes, s, t.len) < 0)
			return VITALS_E_NOMEM;
		jr->wtoks[jr->wntoks++] = t;
	}
	jr->wlines[jr->wcount++] = jr->rec_line;
	jr->wstart[jr->wcount] = jr->wntoks;
	return 0;
}

enum {
	SEEN_BOOL = 1,
	SEEN_INT = 2,
	SEEN_NUM = 4,
	SEEN_SPECIAL = 8, /* the strings "NaN", "Infinity", "-Infinity" */
	SEEN_TS = 16,
	SEEN_STR = 32,
};

static int special_string(const char *s, size_t n)
{
	return (n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
	       (n == 9 && memcmp(s, "-Infinity", 9) == 0);
}

/* The type of each key from the kept lines, into TYPES. */
static void infer_types(const struct jl_reader *jr, enum vitals_type *types)
{
	size_t nkeys = jr->keys.count;
	unsigned *seen = calloc(nkeys ? nkeys : 1, sizeof(*seen));
	const char *base = jr->wbytes.p ? (const char *)jr->wbytes.p : "";

	for (size_t i = 0; seen && i < jr->wntoks; i++) {
		const struct jl_tok *t = &jr->wtoks[i];
		const char *s = base + t->off;
		int64_t us;

		switch (t->kind) {
		case J_TRUE:
		case J_FALSE:
			seen[t->col] |= SEEN_BOOL;
			break;
		case J_INT:
			seen[t->col] |= SEEN_INT;
			break;
		case J_NUM:
			seen[t->col] |= SEEN_NUM;
			break;
		case J_STR:
			if (seen[t->col] & SEEN_STR)
				break; /* a string column whatever follows */
			if (special_string(s, t->len))
				seen[t->col] |= SEEN_SPECIAL;
			else if (text_parse_dated_timestamp(s, t->len, &us) == 0)
				seen[t->col] |= SEEN_TS;
			else
				seen[t->col] |= SEEN_STR;
			break;
		}
	}
	for (size_t k = 0; k < nkeys; k++) {
		unsigned s = seen ? seen[k] : SEEN_STR;

		if (s == SEEN_BOOL)
			types[k] = VITALS_TYPE_BOOL;
		else if (s == SEEN_INT)
			types[k] = VITALS_TYPE_INT64;
		else if ((s & (SEEN_INT | SEEN_NUM)) &&
		         !(s & ~(SEEN_INT | SEEN_NUM | SEEN_SPECIAL)))
			types[k] = VITALS_TYPE_DOUBLE;
		else if (s == SEEN_TS)
			types[k] = VITALS_TYPE_TIMESTAMP;
		else
			types[k] = VITALS_TYPE_STRING;
	}
	free(seen);
}

/* ---- conversion ------------------------------------------------------------------------- */

static int put_value(struct vitals_reader *r, struct jl_reader *jr, size_t k, size_t row,
                     const struct jl_tok *t, const char *s, uint64_t line)
{
	struct vitals_column *c = &jr->batch->cols[k];
	char pv[TEXT_PREVIEW_BUF];
	int64_t i64;

	switch (c->type) {
	case VITALS_TYPE_BOOL:
		if (t->kind != J_TRUE && t->kind != J_FALSE)
			goto out_bad;
		c->v.b[row] = t->kind == J_TRUE;
		break;
	case VITALS_TYPE_INT32:
		if (t->kind != J_INT || text_parse_i64(s, t->len, &i64) < 0 || i64 < INT32_MIN ||
		    i64 > INT32_MAX)
			goto out_bad;
		c->v.i32[row] = (int32_t)i64;
		break;
	case VITALS_TYPE_INT64:
		if (t->kind != J_INT || text_parse_i64(s, t->len, &c->v.i64[row]) < 0)
			goto out_bad;
		break;
	case VITALS_TYPE_DOUBLE:
		if (t->kind != J_INT && t->kind != J_NUM &&
		    !(t->kind == J_STR && special_string(s, t->len)))
			goto out_bad;
		if (text_parse_double(s, t->len, &c->v.f64[row]) < 0)
			goto out_bad;
		break;
	case VITALS_TYPE_TIMESTAMP:
		if (t->kind != J_STR && t->kind != J_INT)
			goto out_bad;
		if (store_parse_timestamp(s, t->len, &c->v.i64[row]) < 0)
			goto out_bad;
		break;
	case VITALS_TYPE_STRING:
		if (text_put_string(c, row, s, t->len) < 0)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		break;
	}
	text_put_valid(c, row);
	return 0;
out_bad:
	return store_reader_fail(r, VITALS_E_PARSE, "line %llu: column '%s': '%s' is not %s",
	                         (unsigned long long)line, r->schema.fields[k].name,
	                         text_preview(pv, s, t->len), text_type_phrase(c->type));
}

static int put_row(struct vitals_reader *r, struct jl_reader *jr, size_t row,
                   const struct jl_tok *toks, size_t ntoks, const char *line_base,
                   const char *scratch_base, uint64_t line)
{
	uint64_t stamp = (uint64_t)row + 1;
	int rc;

	for (size_t i = 0; i < ntoks; i++) {
		const struct jl_tok *t = &toks[i];
		int k = jr->outcol[t->col];

		if (k < 0)
			continue;
		rc = put_value(r, jr, (size_t)k, row, t,
		               (t->in_scratch ? scratch_base : line_base) + t->off, line);
		if (rc < 0)
			return rc;
		jr->set[k] = stamp;
	}
	for (size_t k = 0; k < jr->nout; k++) {
		struct vitals_column *c;

		if (jr->set[k] == stamp)
			continue;
		c = &jr->batch->cols[k];
		if (!c->valid)
			return store_reader_fail(
			    r, VITALS_E_PARSE,
			    "line %llu: column '%s': null in a column that is not "
			    "nullable",
			    (unsigned long long)line, r->schema.fields[k].name);
		text_put_null(c, row);
	}
	return 0;
}

/* ---- the reader ops ------------------------------------------------------------------------- */

static void window_free(struct jl_reader *jr)
{
	bytebuf_release(&jr->wbytes);
	free(jr->wtoks);
	free(jr->wstart);
	free(jr->wlines);
	jr->wtoks = NULL;
	jr->wstart = NULL;
	jr->wlines = NULL;
	jr->wntoks = jr->wtok_cap = jr->wcount = jr->wcap = jr->wnext = 0;
}

static void jl_reader_free(struct jl_reader *jr)
{
	if (!jr)
		return;
	text_in_release(&jr->in);
	vitals_schema_release(&jr->keys);
	free(jr->klen);
	free(jr->slots);
	free(jr->seen);
	free(jr->outcol);
	free(jr->toks);
	bytebuf_release(&jr->scratch);
	window_free(jr);
	if (jr->batch)
		vitals_batch_free(jr->batch);
	free(jr->set);
	free(jr);
}

static void jl_close(struct vitals_reader *r)
{
	jl_reader_free(r->impl);
	r->impl = NULL;
}

static int read_window(struct vitals_reader *r, struct jl_reader *jr)
{
	size_t bytes = 0;
	int rc;

	while (jr->wcount < TEXT_INFER_ROWS && jr->wbytes.len < TEXT_INFER_BYTES) {
		rc = next_object(r, jr, &bytes);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (window_keep(jr) < 0)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	}
	jr->learning = 0;
	return 0;
}

static int jl_open(struct vitals_reader *r, const struct store_read_plan *plan)
{
	struct jl_reader *jr;
	enum vitals_type *types = NULL;
	char pv[TEXT_PREVIEW_BUF];
	struct timespec now;
	size_t nkeys;
	int rc;

	jr = calloc(1, sizeof(*jr));
	if (!jr)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	r->impl = jr;
	r->rows = -1;
	vitals_schema_init(&jr->keys);
	bytebuf_init(&jr->scratch, TEXT_RECORD_MAX * 2);
	bytebuf_init(&jr->wbytes, TEXT_INFER_BYTES + TEXT_RECORD_MAX);
	jr->line = 1;
	jr->learning = 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	jr->seed = (uint32_t)now.tv_nsec ^ (uint32_t)(uintptr_t)jr;
	jr->batch_rows = plan->batch_rows ? plan->batch_rows : TEXT_BATCH_ROWS;
	if (jr->batch_rows > VITALS_BATCH_ROWS_MAX)
		jr->batch_rows = VITALS_BATCH_ROWS_MAX;
	jr->klen = malloc(VITALS_COLUMNS_MAX * sizeof(*jr->klen));
	jr->slots = calloc(JL_SLOTS, sizeof(*jr->slots));
	jr->seen = calloc(VITALS_COLUMNS_MAX, sizeof(*jr->seen));
	jr->toks = malloc(VITALS_COLUMNS_MAX * sizeof(*jr->toks));
	if (!jr->klen || !jr->slots || !jr->seen || !jr->toks) {
		rc = store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		goto out_fail;
	}
	if ((rc = text_in_init(&jr->in, r)) < 0 || (rc = text_in_skip_bom(&jr->in)) < 0 ||
	    (rc = read_window(r, jr)) < 0)
		goto out_fail;
	nkeys = jr->keys.count;
	types = malloc((nkeys ? nkeys : 1) * sizeof(*types));
	jr->outcol = malloc((nkeys ? nkeys : 1) * sizeof(*jr->outcol));
	if (!types || !jr->outcol) {
		rc = store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		goto out_fail;
	}
	infer_types(jr, types);
	for (size_t k = 0; k < nkeys; k++)
		jr->outcol[k] = plan->columns ? -1 : (int)k;
	jr->nout = plan->columns ? plan->column_count : nkeys;
	for (size_t j = 0; j < jr->nout; j++) {
		size_t k = j;
		const char *name;
		enum vitals_type t;
		int nullable = 1, given;

		if (plan->columns) {
			const char *want = plan->columns[j];
			int idx = vitals_schema_find(&jr->keys, want);

			if (idx < 0) {
				rc = store_reader_fail(r, VITALS_E_NOTFOUND, "no column '%s'",
				                       text_preview(pv, want, strlen(want)));
				goto out_fail;
			}
			if (jr->outcol[idx] >= 0) {
				rc = store_reader_fail(r, VITALS_E_INVAL,
				                       "column '%s' asked for twice",
				                       jr->keys.fields[idx].name);
				goto out_fail;
			}
			k = (size_t)idx;
			jr->outcol[k] = (int)j;
		}
		name = jr->keys.fields[k].name;
		t = types[k];
		given = plan->types ? vitals_schema_find(plan->types, name) : -1;
		if (given >= 0) {
			t = plan->types->fields[given].type;
			nullable = plan->types->fields[given].nullable;
		}
		if ((rc = vitals_schema_add(&r->schema, name, t, nullable)) < 0) {
			rc = store_reader_fail(r, rc, "column '%s': %s", name, vitals_strerror(rc));
			goto out_fail;
		}
	}
	jr->set = calloc(jr->nout ? jr->nout : 1, sizeof(*jr->set));
	if (!jr->set || (rc = vitals_batch_new(&jr->batch, &r->schema)) < 0) {
		rc = store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		goto out_fail;
	}
	free(types);
	return 0;
out_fail:
	free(types);
	jl_reader_free(jr);
	r->impl = NULL;
	return rc;
}

static int jl_next(struct vitals_reader *r, const struct vitals_batch **out)
{
	struct jl_reader *jr = r->impl;
	struct vitals_batch *b = jr->batch;
	size_t rows = 0, bytes = 0;
	int rc = 0;

	if (jr->failed)
		return jr->failed;
	if (jr->done)
		return 0;
	vitals_batch_clear(b);
	for (size_t k = 0; k < jr->nout; k++)
		jr->set[k] = 0;
	while (rows < jr->batch_rows && bytes < JL_BATCH_BYTES) {
		const struct jl_tok *toks;
		const char *line_base, *scratch_base;
		size_t ntoks;
		uint64_t line;

		if (jr->wnext < jr->wcount) {
			size_t w = jr->wnext++;

			ntoks = jr->wstart[w + 1] - jr->wstart[w];
			toks = ntoks ? jr->wtoks + jr->wstart[w]
			             : NULL; /* "{}" lines only: no tokens */
			line_base = scratch_base = jr->wbytes.p ? (const char *)jr->wbytes.p : "";
			line = jr->wlines[w];
			jr->wdrop = jr->wnext == jr->wcount;
		} else {
			if (jr->wdrop) {
				window_free(jr);
				jr->wdrop = 0;
			}
			rc = next_object(r, jr, &bytes);
			if (rc < 0)
				goto out_fail;
			if (rc == 0) {
				jr->done = 1;
				break;
			}
			toks = jr->toks;
			ntoks = jr->ntoks;
			line_base = jr->text;
			scratch_base = (const char *)jr->scratch.p;
			line = jr->rec_line;
		}
		if ((rc = text_batch_grow(b, &jr->row_cap, rows, jr->batch_rows)) < 0) {
			rc = store_reader_fail(r, rc, "out of memory");
			goto out_fail;
		}
		if ((rc = put_row(r, jr, rows, toks, ntoks, line_base, scratch_base, line)) < 0)
			goto out_fail;
		rows++;
	}
	b->rows = rows;
	if (rows == 0)
		return 0;
	*out = b;
	return 1;
out_fail:
	jr->failed = rc;
	return rc;
}

const struct store_reader_ops store_jsonl_reader = {
    .open = jl_open,
    .next = jl_next,
    .close = jl_close,
};

/* ---- the writer -------------------------------------------------------------------------------
 */

struct jl_writer {
	struct text_out out;
	char **keys; /* per column: ,"name": (the first without the comma) */
	size_t *key_len;
};

/* Bytes of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t len;

	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return len;
}

/* S as a JSON string, quotes included, into O. */
static int put_json_string(struct text_out *o, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	int rc;

	if ((rc = text_out_put(o, "\"", 1)) < 0)
		return rc;
	while (i < n) {
		size_t lim = n - i > 4096 ? i + 4096 : n;
		char *q;

		if ((rc = text_out_room(o, 6 * (lim - i) + 32)) < 0)
			return rc;
		q = o->buf + o->len;
		while (i < lim) {
			unsigned char c = s[i];
			size_t len;

			if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
				*q++ = (char)c;
				i++;
				continue;
			}
			if (c < 0x80) {
				*q++ = '\\';
				switch (c) {
				case '"':
				case '\\':
					*q++ = (char)c;
					break;
				case '\n':
					*q++ = 'n';
					break;
				case '\r':
					*q++ = 'r';
					break;
				case '\t':
					*q++ = 't';
					break;
				case '\b':
					*q++ = 'b';
					break;
				case '\f':
					*q++ = 'f';
					break;
				default:
					memcpy(q, "u00", 3);
					q[3] = hex[c >> 4];
					q[4] = hex[c & 15];
					q += 5;
					break;
				}
				i++;
				continue;
			}
			len = utf8_len(s + i, n - i);
			if (len) {
				memcpy(q, s + i, len);
				q += len;
				i += len;
			} else {
				memcpy(q, "\\ufffd", 6);
				q += 6;
				i++;
			}
		}
		o->len = (size_t)(q - o->buf);
	}
	return text_out_put(o, "\"", 1);
}

static int jl_writer_open(struct vitals_writer *w)
{
	struct jl_writer *jw;
	size_t n = w->schema.count;
	int rc;

	jw = calloc(1, sizeof(*jw));
	if (!jw)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
	w->impl = jw;
	if ((rc = text_out_init(&jw->out, w)) < 0)
		return rc;
	jw->keys = calloc(n ? n : 1, sizeof(*jw->keys));
	jw->key_len = calloc(n ? n : 1, sizeof(*jw->key_len));
	if (!jw->keys || !jw->key_len)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
	/* Render each key once through the output buffer, then keep a copy. */
	for (size_t k = 0; k < n; k++) {
		const char *name = w->schema.fields[k].name;
		size_t start;

		if ((rc = text_out_flush(&jw->out)) < 0)
			return rc;
		start = jw->out.len;
		if ((k && (rc = text_out_put(&jw->out, ",", 1)) < 0) ||
		    (rc = put_json_string(&jw->out, name, strlen(name))) < 0 ||
		    (rc = text_out_put(&jw->out, ":", 1)) < 0)
			return rc;
		jw->key_len[k] = jw->out.len - start;
		jw->keys[k] = malloc(jw->key_len[k]);
		if (!jw->keys[k])
			return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
		memcpy(jw->keys[k], jw->out.buf + start, jw->key_len[k]);
		jw->out.len = start;
	}
	return 0;
}

static int jl_writer_write(struct vitals_writer *w, const struct vitals_batch *b)
{
	struct jl_writer *jw = w->impl;
	struct text_out *o = &jw->out;
	size_t ncols = b->schema.count;
	int rc;

	for (size_t row = 0; row < b->rows; row++) {
		if ((rc = text_out_put(o, "{", 1)) < 0)
			return rc;
		for (size_t k = 0; k < ncols; k++) {
			const struct vitals_column *c = &b->cols[k];
			char *p;

			if ((rc = text_out_put(o, jw->keys[k], jw->key_len[k])) < 0 ||
			    (rc = text_out_room(o, STORE_VALUE_TEXT_MAX + 4)) < 0)
				return rc;
			p = o->buf + o->len;
			if (c->valid && !c->valid[row]) {
				memcpy(p, "null", 4);
				o->len += 4;
				continue;
			}
			switch (c->type) {
			case VITALS_TYPE_BOOL:
				memcpy(p, c->v.b[row] ? "true" : "false", 5);
				p += c->v.b[row] ? 4 : 5;
				break;
			case VITALS_TYPE_INT32:
				p += text_format_i64(p, c->v.i32[row]);
				break;
			case VITALS_TYPE_INT64:
				p += text_format_i64(p, c->v.i64[row]);
				break;
			case VITALS_TYPE_DOUBLE: {
				double v = c->v.f64[row];
				const char *word = isnan(v) ? "\"NaN\""
				                   : v > 0  ? "\"Infinity\""
				                            : "\"-Infinity\"";

				if (isfinite(v)) {
					p += text_format_double(p, v);
				} else {
					memcpy(p, word, strlen(word));
					p += strlen(word);
				}
				break;
			}
			case VITALS_TYPE_TIMESTAMP:
				*p++ = '"';
				p += store_format_timestamp(p, c->v.i64[row]);
				*p++ = '"';
				break;
			case VITALS_TYPE_STRING: {
				size_t len = (size_t)(c->v.off[row + 1] - c->v.off[row]);
				/* no string byte at all: data may be NULL */
				const char *s = len ? c->data + c->v.off[row] : "";

				if ((rc = put_json_string(o, s, len)) < 0)
					return rc;
				p = o->buf + o->len;
				break;
			}
			}
			o->len = (size_t)(p - o->buf);
		}
		if ((rc = text_out_put(o, "}\n", 2)) < 0)
			return rc;
	}
	return 0;
}

static int jl_writer_finish(struct vitals_writer *w)
{
	struct jl_writer *jw = w->impl;

	return text_out_flush(&jw->out);
}

static void jl_writer_free(struct vitals_writer *w)
{
	struct jl_writer *jw = w->impl;

	if (!jw)
		return;
	if (jw->keys)
		for (size_t k = 0; k < w->schema.count; k++)
			free(jw->keys[k]);
	free(jw->keys);
	free(jw->key_len);
	text_out_release(&jw->out);
	free(jw);
	w->impl = NULL;
}

const struct store_writer_ops store_jsonl_writer = {
    .open = jl_writer_open,
    .write = jl_writer_write,
    .finish = jl_writer_finish,
    .flush = jl_writer_finish,
    .free = jl_writer_free,
};
