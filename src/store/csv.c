/*
 * CSV (RFC 4180) trace files: a header row of names, one record per row.
 *
 * Writing: an empty unquoted field is a null; "" is the empty string;
 * fields are quoted when they hold a comma, a quote, CR or LF, start or end
 * with a blank, or are empty strings.
 *
 * Reading streams the file in chunks. Records may span lines inside
 * quotes; CRLF and LF both end one; a UTF-8 byte order mark is skipped.
 * The types of the columns not given by the caller are inferred from the
 * first TEXT_INFER_ROWS records, which are kept so nothing is read twice;
 * a later value that does not fit its column's type is an error naming
 * the line and the column, never a silent null.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/text.h"
#include "util/bytebuf.h"

#define CSV_BATCH_BYTES ((size_t)64 << 20) /* text in one batch before it is handed out */

/* One field of a record: bytes [off, off+len) of its record's base. */
struct csv_field {
	uint32_t off;
	uint32_t len;
	uint8_t quoted;  /* written in quotes: empty means "", not null */
	uint8_t escaped; /* holds doubled quotes still to be undone */
};

enum csv_scan_result {
	CSV_DONE = 1,
	CSV_MORE = 0,
	CSV_ERR_QUOTE = -1,    /* a quote inside an unquoted field */
	CSV_ERR_AFTER = -2,    /* a character after a closing quote */
	CSV_ERR_UNCLOSED = -3, /* the file ends inside quotes */
};

/* Bit per type still possible for a column while inferring. */
enum {
	CAN_BOOL = 1,
	CAN_INT = 2,
	CAN_DOUBLE = 4,
	CAN_TS = 8,
};

struct csv_reader {
	struct text_in in;
	size_t ncols;             /* fields in the header */
	size_t nout;              /* columns returned */
	size_t *src;              /* nout: field index in the file of each column returned */
	struct csv_field *fields; /* VITALS_COLUMNS_MAX + 1: the record being read */
	struct csv_field *of;     /* nout: the fields of the returned columns */
	const char *rec;          /* base of the record in in.buf */
	size_t rec_len;
	uint64_t line;     /* line where the next record starts */
	uint64_t rec_line; /* line where the current record starts */
	/* Records kept from inference, replayed first. */
	struct bytebuf wbytes;
	struct csv_field *wfields; /* nout per record */
	uint64_t *wlines;
	size_t wcount, wcap, wnext;
	struct bytebuf scratch; /* unquoted text of an escaped field */
	struct vitals_batch *batch;
	size_t row_cap;
	size_t batch_rows;
	int done;
	int failed;
};

/* ---- record scanning ------------------------------------------------------- */

static size_t count_newlines(const char *p, size_t n)
{
	size_t c = 0;
	const char *end = p + n;

	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		c++;
		p++;
	}
	return c;
}

/* Bytes that end or break an unquoted field. */
static const uint8_t csv_special[256] = {[','] = 1, ['\n'] = 1, ['\r'] = 1, ['"'] = 1};

#define BYTES(c) (0x0101010101010101ULL * (uint8_t)(c))

/* The high bit of each zero byte of V (exact up to the first one). */
static inline uint64_t zero_bytes(uint64_t v)
{
	return (v - BYTES(1)) & ~v & BYTES(0x80);
}

/* The first byte at or after I (before AVAIL) that ends or breaks an unquoted field. */
static inline size_t skip_plain(const char *p, size_t i, size_t avail)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (avail - i >= 8) {
		uint64_t w, m;

		memcpy(&w, p + i, 8);
		m = zero_bytes(w ^ BYTES(',')) | zero_bytes(w ^ BYTES('\n')) |
		    zero_bytes(w ^ BYTES('\r')) | zero_bytes(w ^ BYTES('"'));
		if (m)
			return i + ((size_t)__builtin_ctzll(m) >> 3);
		i += 8;
	}
#endif
	while (i < avail && !csv_special[(unsigned char)p[i]])
		i++;
	return i;
}

static inline void add_field(struct csv_field *fields, size_t maxf, size_t *nf, size_t off,
                             size_t len, int quoted, int escaped)
{
	if (*nf < maxf) {
		fields[*nf].off = (uint32_t)off;
		fields[*nf].len = (uint32_t)len;
		fields[*nf].quoted = (uint8_t)quoted;
		fields[*nf].escaped = (uint8_t)escaped;
	}
	(*nf)++;
}

/*
 * Scan one record at P (AVAIL bytes; EOF when no more follow). CSV_DONE
 * with *used bytes consumed (terminator included), *nf fields (the first
 * MAXF stored) and *nl newlines passed; CSV_MORE when the record does not
 * end within AVAIL bytes; an error code otherwise (*nl then counts the
 * newlines before the problem).
 */
static int csv_scan(const char *p, size_t avail, int eof, struct csv_field *fields, size_t maxf,
                    size_t *nf, size_t *used, size_t *nl)
{
	size_t i = 0;

	*nf = 0;
	*nl = 0;
	for (;;) {
		if (i < avail && p[i] == '"') {
			size_t start = i + 1, j = start, k;
			int esc = 0;

			for (;;) {
				const char *q = memchr(p + j, '"', avail - j);

				if (!q) {
					if (!eof)
						return CSV_MORE;
					return CSV_ERR_UNCLOSED; /* named by the line it opens on */
				}
				k = (size_t)(q - p);
				if (k + 1 == avail && !eof)
					return CSV_MORE;
				if (k + 1 < avail && p[k + 1] == '"') {
					esc = 1;
					j = k + 2;
					continue;
				}
				break;
			}
			*nl += count_newlines(p + start, k - start);
			add_field(fields, maxf, nf, start, k - start, 1, esc);
			i = k + 1;
			if (i == avail) {
				if (!eof)
					return CSV_MORE;
				*used = i;
				return CSV_DONE;
			}
			if (p[i] == ',') {
				i++;
				continue;
			}
			if (p[i] == '\n') {
				*used = i + 1;
				(*nl)++;
				return CSV_DONE;
			}
			if (p[i] == '\r') {
				if (i + 1 == avail) {
					if (!eof)
						return CSV_MORE;
					*used = i + 1;
					return CSV_DONE;
				}
				if (p[i + 1] == '\n') {
					*used = i + 2;
					(*nl)++;
					return CSV_DONE;
				}
			}
			return CSV_ERR_AFTER;
		} else {
			size_t start = i;

			for (;;) {
				unsigned char c;

				i = skip_plain(p, i, avail);
				if (i == avail) {
					if (!eof)
						return CSV_MORE;
					add_field(fields, maxf, nf, start, i - start, 0, 0);
					*used = i;
					return CSV_DONE;
				}
				c = (unsigned char)p[i];
				if (c == '"')
					return CSV_ERR_QUOTE;
				if (c != '\r')
					break;
				if (i + 1 == avail) {
					if (!eof)
						return CSV_MORE;
					add_field(fields, maxf, nf, start, i - start, 0, 0);
					*used = i + 1;
					return CSV_DONE;
				}
				if (p[i + 1] == '\n') {
					add_field(fields, maxf, nf, start, i - start, 0, 0);
					*used = i + 2;
					(*nl)++;
					return CSV_DONE;
				}
				i++; /* a lone CR is data */
			}
			add_field(fields, maxf, nf, start, i - start, 0, 0);
			if (p[i] == ',') {
				i++;
				continue;
			}
			*used = i + 1; /* '\n' */
			(*nl)++;
			return CSV_DONE;
		}
	}
}

/*
 * Read the next record of the file into cr->fields, cr->rec. 1, 0 at the
 * end of the file, or a status. Blank lines are skipped, except in a file
 * of one column, where a blank line is a null.
 */
static int csv_next_record(struct vitals_reader *r, struct csv_reader *cr, size_t maxf, size_t *nf)
{
	struct text_in *in = &cr->in;
	size_t used, nl;
	int rc;

	for (;;) {
		size_t avail = in->end - in->pos;

		if (avail == 0 && in->eof)
			return 0;
		rc = csv_scan(in->buf + in->pos, avail, in->eof, cr->fields, maxf, nf, &used, &nl);
		if (rc == CSV_MORE) {
			if ((rc = text_in_more(in, cr->line)) < 0)
				return rc;
			continue;
		}
		if (rc < 0) {
			const char *why = rc == CSV_ERR_QUOTE ? "a quote inside an unquoted field"
			                  : rc == CSV_ERR_AFTER
			                      ? "a character after a closing quote"
			                      : "the file ends inside a quoted field";

			return store_reader_fail(r, VITALS_E_PARSE, "line %llu: field %zu: %s",
			                         (unsigned long long)(cr->line + nl),
			                         rc == CSV_ERR_AFTER ? *nf : *nf + 1, why);
		}
		cr->rec = in->buf + in->pos;
		cr->rec_len = used;
		cr->rec_line = cr->line;
		in->pos += used;
		cr->line += nl;
		if (*nf == 1 && cr->fields[0].len == 0 && !cr->fields[0].quoted && cr->ncols > 1)
			continue; /* a blank line */
		return 1;
	}
}

/* Undo doubled quotes of F (at BASE) into cr->scratch; the text, or NULL. */
static const char *unescape(struct csv_reader *cr, const char *base, const struct csv_field *f,
                            size_t *len)
{
	const char *s = base + f->off, *end = s + f->len;

	bytebuf_clear(&cr->scratch);
	if (bytebuf_reserve(&cr->scratch, f->len + 1) < 0)
		return NULL;
	while (s < end) {
		const char *q = memchr(s, '"', (size_t)(end - s));
		size_t n = q ? (size_t)(q - s) + 1 : (size_t)(end - s);

		memcpy(cr->scratch.p + cr->scratch.len, s, n);
		cr->scratch.len += n;
		s += n + (q != NULL); /* skip the second quote of a pair */
	}
	*len = cr->scratch.len;
	return (const char *)cr->scratch.p;
}

/* ---- inference window -------------------------------------------------------- */

/* Keep the returned columns of the current record for inference and replay. */
static int window_keep(struct csv_reader *cr)
{
	size_t width = cr->nout ? cr->nout : 1;
	struct csv_field *wf;
	uint64_t *wl;

	if (cr->wcount == cr->wcap) {
		size_t cap = cr->wcap ? cr->wcap * 2 : 16;

		wf = realloc(cr->wfields, cap * width * sizeof(*wf));
		if (!wf)
			return VITALS_E_NOMEM;
		cr->wfields = wf;
		wl = realloc(cr->wlines, cap * sizeof(*wl));
		if (!wl)
			return VITALS_E_NOMEM;
		cr->wlines = wl;
		cr->wcap = cap;
	}
	wf = cr->wfields;
	wf += cr->wcount * cr->nout;
	for (size_t k = 0; k < cr->nout; k++) {
		const struct csv_field *f = &cr->fields[cr->src[k]];
		const char *s = cr->rec + f->off;
		size_t len = f->len;

		if (f->escaped && !(s = unescape(cr, cr->rec, f, &len)))
			return VITALS_E_NOMEM;
		wf[k].off = (uint32_t)cr->wbytes.len;
		wf[k].len = (uint32_t)len;
		wf[k].quoted = f->quoted;
		wf[k].escaped = 0;
		if (bytebuf_append(&cr->wbytes, s, len) < 0)
			return VITALS_E_NOMEM;
	}
	cr->wlines[cr->wcount++] = cr->rec_line;
	return 0;
}

/* The narrowest type of column K fitting every kept value. */
static enum vitals_type infer_column(const struct csv_reader *cr, size_t k)
{
	const char *base = cr->wbytes.p ? (const char *)cr->wbytes.p : "";
	unsigned can = CAN_BOOL | CAN_INT | CAN_DOUBLE | CAN_TS;
	int seen = 0;

	for (size_t i = 0; i < cr->wcount && can; i++) {
		const struct csv_field *f = &cr->wfields[i * cr->nout + k];
		const char *s = base + f->off;
		size_t n = f->len;
		int64_t i64;
		double d;
		int b;

		if (n == 0 && !f->quoted)
			continue;
		seen = 1;
		text_trim(&s, &n);
		if ((can & CAN_BOOL) && text_parse_bool(s, n, &b) < 0)
			can &= ~(unsigned)CAN_BOOL;
		if ((can & CAN_INT) && text_parse_i64(s, n, &i64) < 0)
			can &= ~(unsigned)CAN_INT;
		if ((can & CAN_DOUBLE) && text_parse_double(s, n, &d) < 0)
			can &= ~(unsigned)CAN_DOUBLE;
		if ((can & CAN_TS) && text_parse_dated_timestamp(s, n, &i64) < 0)
			can &= ~(unsigned)CAN_TS;
	}
	if (!seen)
		return VITALS_TYPE_STRING;
	if (can & CAN_BOOL)
		return VITALS_TYPE_BOOL;
	if (can & CAN_INT)
		return VITALS_TYPE_INT64;
	if (can & CAN_DOUBLE)
		return VITALS_TYPE_DOUBLE;
	if (can & CAN_TS)
		return VITALS_TYPE_TIMESTAMP;
	return VITALS_TYPE_STRING;
}

/* ---- conversion ----------------------------------------------------------------- */

/* Put field F (at BASE) into row ROW of output column K. */
static int put_value(struct vitals_reader *r, struct csv_reader *cr, size_t k, size_t row,
                     const char *base, const struct csv_field *f, uint64_t line)
{
	struct vitals_column *c = &cr->batch->cols[k];
	const char *s = base + f->off;
	size_t n = f->len;
	char pv[TEXT_PREVIEW_BUF];
	int64_t i64;
	int b;

	if (n == 0 && !f->quoted) {
		if (c->valid) {
			text_put_null(c, row);
			return 0;
		}
		if (c->type == VITALS_TYPE_STRING)
			return text_put_string(c, row, "", 0);
		return store_reader_fail(r, VITALS_E_PARSE,
		                         "line %llu: column '%s': empty value in a column that "
		                         "is not nullable",
		                         (unsigned long long)line, r->schema.fields[k].name);
	}
	if (f->escaped && !(s = unescape(cr, base, f, &n)))
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	if (c->type == VITALS_TYPE_STRING) {
		if (text_put_string(c, row, s, n) < 0)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		return 0;
	}
	text_trim(&s, &n);
	switch (c->type) {
	case VITALS_TYPE_BOOL:
		if (text_parse_bool(s, n, &b) < 0)
			goto out_bad;
		c->v.b[row] = (uint8_t)b;
		break;
	case VITALS_TYPE_INT32:
		if (text_parse_i64(s, n, &i64) < 0 || i64 < INT32_MIN || i64 > INT32_MAX)
			goto out_bad;
		c->v.i32[row] = (int32_t)i64;
		break;
	case VITALS_TYPE_INT64:
		if (text_parse_i64(s, n, &c->v.i64[row]) < 0)
			goto out_bad;
		break;
	case VITALS_TYPE_DOUBLE:
		if (text_parse_double(s, n, &c->v.f64[row]) < 0)
			goto out_bad;
		break;
	case VITALS_TYPE_TIMESTAMP:
		if (store_parse_timestamp(s, n, &c->v.i64[row]) < 0)
			goto out_bad;
		break;
	default:
		goto out_bad;
	}
	text_put_valid(c, row);
	return 0;
out_bad:
	s = base + f->off;
	n = f->len;
	return store_reader_fail(r, VITALS_E_PARSE, "line %llu: column '%s': '%s' is not %s",
	                         (unsigned long long)line, r->schema.fields[k].name,
	                         text_preview(pv, s, n), text_type_phrase(c->type));
}

static int put_row(struct vitals_reader *r, struct csv_reader *cr, size_t row, const char *base,
                   const struct csv_field *of, uint64_t line)
{
	int rc;

	for (size_t k = 0; k < cr->nout; k++)
		if ((rc = put_value(r, cr, k, row, base, &of[k], line)) < 0)
			return rc;
	return 0;
}

/* ---- the reader ops -------------------------------------------------------------- */

static void csv_reader_free(struct csv_reader *cr)
{
	if (!cr)
		return;
	text_in_release(&cr->in);
	free(cr->src);
	free(cr->fields);
	free(cr->of);
	bytebuf_release(&cr->wbytes);
	free(cr->wfields);
	free(cr->wlines);
	bytebuf_release(&cr->scratch);
	if (cr->batch)
		vitals_batch_free(cr->batch);
	free(cr);
}

static void csv_close(struct vitals_reader *r)
{
	csv_reader_free(r->impl);
	r->impl = NULL;
}

/* Read the header into NAMES (checked: present, unique, of a sane length). */
static int read_header(struct vitals_reader *r, struct csv_reader *cr, struct vitals_schema *names)
{
	size_t nf;
	int rc;

	rc = csv_next_record(r, cr, VITALS_COLUMNS_MAX + 1, &nf);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return store_reader_fail(r, VITALS_E_PARSE, "empty file: no header line");
	if (nf > VITALS_COLUMNS_MAX)
		return store_reader_fail(r, VITALS_E_PARSE, "line 1: %zu columns, more than %d", nf,
		                         VITALS_COLUMNS_MAX);
	if (nf == 1 && cr->fields[0].len == 0)
		return store_reader_fail(r, VITALS_E_PARSE, "line 1: the header line is empty");
	for (size_t i = 0; i < nf; i++) {
		const struct csv_field *f = &cr->fields[i];
		const char *s = cr->rec + f->off;
		size_t n = f->len;
		char name[VITALS_NAME_MAX + 1], pv[TEXT_PREVIEW_BUF];

		if (f->escaped && !(s = unescape(cr, cr->rec, f, &n)))
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		if (n == 0)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "line 1: column %zu has no name", i + 1);
		if (n > VITALS_NAME_MAX)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "line 1: column %zu: name longer than %d bytes",
			                         i + 1, VITALS_NAME_MAX);
		if (memchr(s, '\0', n))
			return store_reader_fail(
			    r, VITALS_E_PARSE, "line 1: column %zu: name holds a NUL byte", i + 1);
		memcpy(name, s, n);
		name[n] = '\0';
		if (vitals_schema_find(names, name) >= 0)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "line 1: column %zu: duplicate name '%s'", i + 1,
			                         text_preview(pv, s, n));
		if ((rc = vitals_schema_add(names, name, VITALS_TYPE_STRING, 1)) < 0)
			return store_reader_fail(r, rc, "line 1: column %zu: %s", i + 1,
			                         vitals_strerror(rc));
	}
	cr->ncols = nf;
	return 0;
}

/* Which file columns are returned, in which order. */
static int resolve_projection(struct vitals_reader *r, struct csv_reader *cr,
                              const struct vitals_schema *names, const struct store_read_plan *plan)
{
	size_t n = plan->columns ? plan->column_count : cr->ncols;
	char pv[TEXT_PREVIEW_BUF];

	cr->src = malloc((n ? n : 1) * sizeof(*cr->src));
	cr->of = malloc((n ? n : 1) * sizeof(*cr->of));
	if (!cr->src || !cr->of)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		int idx = (int)k;

		if (plan->columns) {
			const char *want = plan->columns[k];

			idx = vitals_schema_find(names, want);
			if (idx < 0)
				return store_reader_fail(r, VITALS_E_NOTFOUND, "no column '%s'",
				                         text_preview(pv, want, strlen(want)));
			for (size_t j = 0; j < k; j++)
				if (cr->src[j] == (size_t)idx)
					return store_reader_fail(r, VITALS_E_INVAL,
					                         "column '%s' asked for twice",
					                         names->fields[idx].name);
		}
		cr->src[k] = (size_t)idx;
	}
	cr->nout = n;
	return 0;
}

/* Keep the first records for inference. */
static int read_window(struct vitals_reader *r, struct csv_reader *cr)
{
	size_t nf;
	int rc;

	while (cr->wcount < TEXT_INFER_ROWS && cr->wbytes.len < TEXT_INFER_BYTES) {
		rc = csv_next_record(r, cr, cr->ncols, &nf);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (nf != cr->ncols)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "line %llu: %zu fields, header has %zu",
			                         (unsigned long long)cr->rec_line, nf, cr->ncols);
		if (window_keep(cr) < 0)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	}
	return 0;
}

static int csv_open(struct vitals_reader *r, const struct store_read_plan *plan)
{
	struct csv_reader *cr;
	struct vitals_schema names;
	int rc;

	vitals_schema_init(&names);
	cr = calloc(1, sizeof(*cr));
	if (!cr)
		return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	r->impl = cr;
	r->rows = -1;
	bytebuf_init(&cr->wbytes, TEXT_INFER_BYTES + TEXT_RECORD_MAX);
	bytebuf_init(&cr->scratch, TEXT_RECORD_MAX + 1);
	cr->line = 1;
	cr->batch_rows = plan->batch_rows ? plan->batch_rows : TEXT_BATCH_ROWS;
	if (cr->batch_rows > VITALS_BATCH_ROWS_MAX)
		cr->batch_rows = VITALS_BATCH_ROWS_MAX;
	cr->fields = malloc((VITALS_COLUMNS_MAX + 1) * sizeof(*cr->fields));
	if (!cr->fields) {
		rc = store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
		goto out_names;
	}
	if ((rc = text_in_init(&cr->in, r)) < 0 || (rc = text_in_skip_bom(&cr->in)) < 0 ||
	    (rc = read_header(r, cr, &names)) < 0 ||
	    (rc = resolve_projection(r, cr, &names, plan)) < 0 || (rc = read_window(r, cr)) < 0)
		goto out_names;
	for (size_t k = 0; k < cr->nout; k++) {
		const char *name = names.fields[cr->src[k]].name;
		int given = plan->types ? vitals_schema_find(plan->types, name) : -1;
		enum vitals_type t;
		int nullable = 1;

		if (given >= 0) {
			t = plan->types->fields[given].type;
			nullable = plan->types->fields[given].nullable;
		} else {
			t = infer_column(cr, k);
		}
		if ((rc = vitals_schema_add(&r->schema, name, t, nullable)) < 0) {
			rc = store_reader_fail(r, rc, "column '%s': %s", name, vitals_strerror(rc));
			goto out_names;
		}
	}
	if ((rc = vitals_batch_new(&cr->batch, &r->schema)) < 0) {
		rc = store_reader_fail(r, rc, "out of memory");
		goto out_names;
	}
	rc = 0;
out_names:
	vitals_schema_release(&names);
	if (rc < 0) {
		csv_reader_free(cr);
		r->impl = NULL;
	}
	return rc;
}

static int csv_next(struct vitals_reader *r, const struct vitals_batch **out)
{
	struct csv_reader *cr = r->impl;
	struct vitals_batch *b = cr->batch;
	size_t rows = 0, bytes = 0, nf;
	int rc = 0;

	if (cr->failed)
		return cr->failed;
	if (cr->done)
		return 0;
	vitals_batch_clear(b);
	while (rows < cr->batch_rows && bytes < CSV_BATCH_BYTES) {
		const char *base;
		const struct csv_field *of;
		uint64_t line;

		if (cr->wnext < cr->wcount) {
			base = cr->wbytes.p ? (const char *)cr->wbytes.p : "";
			of = &cr->wfields[cr->wnext * cr->nout];
			line = cr->wlines[cr->wnext++];
			if (cr->wnext == cr->wcount) {
				/* Replayed: the text stays valid until this row is put. */
				cr->wcount = cr->wnext = SIZE_MAX;
			}
		} else {
			if (cr->wcount == SIZE_MAX) {
				bytebuf_release(&cr->wbytes);
				free(cr->wfields);
				free(cr->wlines);
				cr->wfields = NULL;
				cr->wlines = NULL;
				cr->wcount = cr->wcap = cr->wnext = 0;
			}
			rc = csv_next_record(r, cr, cr->ncols, &nf);
			if (rc < 0)
				goto out_fail;
			if (rc == 0) {
				cr->done = 1;
				break;
			}
			if (nf != cr->ncols) {
				rc = store_reader_fail(
				    r, VITALS_E_PARSE, "line %llu: %zu fields, header has %zu",
				    (unsigned long long)cr->rec_line, nf, cr->ncols);
				goto out_fail;
			}
			for (size_t k = 0; k < cr->nout; k++)
				cr->of[k] = cr->fields[cr->src[k]];
			base = cr->rec;
			of = cr->of;
			line = cr->rec_line;
			bytes += cr->rec_len;
		}
		if ((rc = text_batch_grow(b, &cr->row_cap, rows, cr->batch_rows)) < 0) {
			rc = store_reader_fail(r, rc, "out of memory");
			goto out_fail;
		}
		if (rows == 0)
			for (size_t k = 0; k < cr->nout; k++)
				if (b->cols[k].type == VITALS_TYPE_STRING) {
					b->cols[k].v.off[0] = 0;
					b->cols[k].data_len = 0;
				}
		if ((rc = put_row(r, cr, rows, base, of, line)) < 0)
			goto out_fail;
		rows++;
	}
	b->rows = rows;
	if (rows == 0)
		return 0;
	*out = b;
	return 1;
out_fail:
	cr->failed = rc;
	return rc;
}

const struct store_reader_ops store_csv_reader = {
    .open = csv_open,
    .next = csv_next,
    .close = csv_close,
};

/* ---- the writer ------------------------------------------------------------------- */

struct csv_writer {
	struct text_out out;
};

static int needs_quotes(const char *s, size_t n)
{
	if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
		return 1;
	if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		return 1; /* a first name so would read as a byte order mark */
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == ',' || c == '"' || c == '\n' || c == '\r')
			return 1;
	}
	return 0;
}

static int put_text(struct text_out *o, const char *s, size_t n)
{
	const char *end = s + n;
	int rc;

	if (!needs_quotes(s, n))
		return text_out_put(o, s, n);
	if ((rc = text_out_put(o, "\"", 1)) < 0)
		return rc;
	while (s < end) {
		const char *q = memchr(s, '"', (size_t)(end - s));
		size_t len = q ? (size_t)(q - s) + 1 : (size_t)(end - s);

		if ((rc = text_out_put(o, s, len)) < 0)
			return rc;
		if (q && (rc = text_out_put(o, "\"", 1)) < 0)
			return rc;
		s += len;
	}
	return text_out_put(o, "\"", 1);
}

static int csv_writer_open(struct vitals_writer *w)
{
	struct csv_writer *cw;
	int rc;

	if (w->schema.count == 0)
		return store_writer_fail(w, VITALS_E_INVAL, "a CSV file needs at least one column");
	cw = calloc(1, sizeof(*cw));
	if (!cw)
		return store_writer_fail(w, VITALS_E_NOMEM, "out of memory");
	w->impl = cw;
	if ((rc = text_out_init(&cw->out, w)) < 0)
		return rc;
	for (size_t i = 0; i < w->schema.count; i++) {
		const char *name = w->schema.fields[i].name;

		if ((i && (rc = text_out_put(&cw->out, ",", 1)) < 0) ||
		    (rc = put_text(&cw->out, name, strlen(name))) < 0)
			return rc;
	}
	return text_out_put(&cw->out, "\n", 1);
}

static int csv_writer_write(struct vitals_writer *w, const struct vitals_batch *b)
{
	struct csv_writer *cw = w->impl;
	struct text_out *o = &cw->out;
	size_t ncols = b->schema.count;
	int rc;

	for (size_t row = 0; row < b->rows; row++) {
		for (size_t k = 0; k < ncols; k++) {
			const struct vitals_column *c = &b->cols[k];
			char *p;

			if ((rc = text_out_room(o, STORE_VALUE_TEXT_MAX + 2)) < 0)
				return rc;
			p = o->buf + o->len;
			if (k)
				*p++ = ',';
			if (c->valid && !c->valid[row]) {
				o->len = (size_t)(p - o->buf);
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
			case VITALS_TYPE_DOUBLE:
				p += text_format_double(p, c->v.f64[row]);
				break;
			case VITALS_TYPE_TIMESTAMP:
				p += store_format_timestamp(p, c->v.i64[row]);
				break;
			case VITALS_TYPE_STRING: {
				size_t len = (size_t)(c->v.off[row + 1] - c->v.off[row]);
				/* no string byte at all: data may be NULL */
				const char *s = len ? c->data + c->v.off[row] : "";

				o->len = (size_t)(p - o->buf);
				if ((rc = put_text(o, s, len)) < 0)
					return rc;
				p = o->buf + o->len;
				break;
			}
			}
			o->len = (size_t)(p - o->buf);
		}
		if ((rc = text_out_put(o, "\n", 1)) < 0)
			return rc;
	}
	return 0;
}

static int csv_writer_finish(struct vitals_writer *w)
{
	struct csv_writer *cw = w->impl;

	return text_out_flush(&cw->out);
}

static void csv_writer_free(struct vitals_writer *w)
{
	struct csv_writer *cw = w->impl;

	if (!cw)
		return;
	text_out_release(&cw->out);
	free(cw);
	w->impl = NULL;
}

const struct store_writer_ops store_csv_writer = {
    .open = csv_writer_open,
    .write = csv_writer_write,
    .finish = csv_writer_finish,
    .flush = csv_writer_finish,
    .free = csv_writer_free,
};
