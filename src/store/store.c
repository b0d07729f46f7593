/*
 * Trace files: the format dispatch of include/vitals/store.h, and what
 * every format shares: whole writes, exact reads, messages naming the
 * file, the time filter over a reader's batches, and `inspect` for text
 * files (which have no footer to describe them).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/store.h>

#include "store/internal.h"
#include "store/stream.h"

/* ---- names ---------------------------------------------------------------- */

enum vitals_format vitals_format_from_path(const char *path)
{
	static const struct {
		const char *ext;
		enum vitals_format f;
	} exts[] = {
	    {".parquet", VITALS_FORMAT_PARQUET}, {".pq", VITALS_FORMAT_PARQUET},
	    {".parq", VITALS_FORMAT_PARQUET},    {".csv", VITALS_FORMAT_CSV},
	    {".jsonl", VITALS_FORMAT_JSONL},     {".ndjson", VITALS_FORMAT_JSONL},
	};
	const char *dot;

	if (!path)
		return VITALS_FORMAT_UNKNOWN;
	dot = strrchr(path, '.');
	if (!dot || strchr(dot, '/'))
		return VITALS_FORMAT_UNKNOWN;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (strcasecmp(dot, exts[i].ext) == 0)
			return exts[i].f;
	return VITALS_FORMAT_UNKNOWN;
}

const char *vitals_format_name(enum vitals_format f)
{
	switch (f) {
	case VITALS_FORMAT_PARQUET:
		return "parquet";
	case VITALS_FORMAT_CSV:
		return "csv";
	case VITALS_FORMAT_JSONL:
		return "jsonl";
	default:
		return "unknown";
	}
}

static const struct {
	const char *name;
	enum vitals_codec codec;
} codec_names[] = {
    {"none", VITALS_CODEC_NONE}, {"snappy", VITALS_CODEC_SNAPPY},   {"gzip", VITALS_CODEC_GZIP},
    {"zstd", VITALS_CODEC_ZSTD}, {"lz4_raw", VITALS_CODEC_LZ4_RAW},
};

#define NCODECS (sizeof(codec_names) / sizeof(codec_names[0]))

const char *vitals_codec_name(enum vitals_codec c)
{
	for (size_t i = 0; i < NCODECS; i++)
		if (codec_names[i].codec == c)
			return codec_names[i].name;
	switch ((int)c) {
	case 3:
		return "lzo";
	case 4:
		return "brotli";
	case 5:
		return "lz4";
	default:
		return "unknown";
	}
}

int vitals_codec_parse(const char *name)
{
	if (!name)
		return -1;
	if (strcasecmp(name, "uncompressed") == 0)
		return VITALS_CODEC_NONE;
	for (size_t i = 0; i < NCODECS; i++)
		if (strcasecmp(name, codec_names[i].name) == 0)
			return codec_names[i].codec;
	return -1;
}

int vitals_time_parse(const char *text, int64_t *us)
{
	if (!text)
		return VITALS_E_INVAL;
	return store_parse_timestamp(text, strlen(text), us) == 0 ? VITALS_OK : VITALS_E_INVAL;
}

/* ---- messages ------------------------------------------------------------- */

int store_failv(char *err, size_t errlen, int status, const char *name, const char *fmt, va_list ap)
{
	int n;

	if (!err || errlen == 0)
		return status;
	n = snprintf(err, errlen, "%s: ", name ? name : "(unnamed)");
	if (n < 0 || (size_t)n >= errlen)
		return status;
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return status;
}

int store_fail(char *err, size_t errlen, int status, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	store_failv(err, errlen, status, name, fmt, ap);
	va_end(ap);
	return status;
}

int store_reader_fail(struct vitals_reader *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	store_failv(r->err, sizeof(r->err), status, r->name, fmt, ap);
	va_end(ap);
	return status;
}

int store_writer_fail(struct vitals_writer *w, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	store_failv(w->err, sizeof(w->err), status, w->name, fmt, ap);
	va_end(ap);
	w->failed = 1;
	return status;
}

static void copy_message(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---- raw I/O -------------------------------------------------------------- */

int store_write(struct vitals_writer *w, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return store_writer_fail(w, VITALS_E_IO, "write: %s",
			                         k < 0 ? strerror(errno) : "no progress");
		p += k;
		n -= (size_t)k;
		w->bytes += (uint64_t)k;
	}
	return VITALS_OK;
}

int store_copy_range(struct vitals_writer *w, int fd, uint64_t off, uint64_t len)
{
	loff_t in = (loff_t)off;
	char buf[65536];
	int kernel = 1;

	while (len > 0) {
		size_t want = len > ((size_t)1 << 30) ? (size_t)1 << 30 : (size_t)len;
		ssize_t k;

		if (kernel) {
			k = copy_file_range(fd, &in, w->fd, NULL, want, 0);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			              errno == EOPNOTSUPP || errno == EBADF)) {
				/* Across filesystems, or not offered: copy through here. */
				kernel = 0;
				continue;
			}
		} else {
			k = pread(fd, buf, want < sizeof(buf) ? want : sizeof(buf), in);
			if (k < 0 && errno == EINTR)
				continue;
			if (k > 0) {
				int rc = store_write(w, buf, (size_t)k);
				if (rc < 0)
					return rc;
				in += k;
				len -= (uint64_t)k;
				continue;
			}
		}
		if (k <= 0)
			return store_writer_fail(w, VITALS_E_IO, "copying the earlier file: %s",
			                         k < 0 ? strerror(errno)
			                               : "it is shorter than expected");
		len -= (uint64_t)k;
		w->bytes += (uint64_t)k;
	}
	return VITALS_OK;
}

int store_pread(struct vitals_reader *r, void *buf, size_t n, uint64_t off)
{
	char *p = buf;

	while (n > 0) {
		ssize_t k = pread(r->fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return store_reader_fail(r, VITALS_E_IO, "read at offset %llu: %s",
			                         (unsigned long long)off, strerror(errno));
		if (k == 0)
			return store_reader_fail(r, VITALS_E_PARSE,
			                         "truncated: the file ends at offset %llu",
			                         (unsigned long long)off);
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return VITALS_OK;
}

static char *dup_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

int store_reader_add_meta(struct vitals_reader *r, const char *key, const char *value)
{
	struct vitals_kv *m;
	char *k, *v = NULL;

	if (r->meta_count >= 65536)
		return store_reader_fail(r, VITALS_E_PARSE, "more than 65536 metadata entries");
	m = realloc(r->meta, (r->meta_count + 1) * sizeof(*m));
	if (!m)
		return VITALS_E_NOMEM;
	r->meta = m;
	k = dup_string(key);
	if (value)
		v = dup_string(value);
	if (!k || (value && !v)) {
		free(k);
		free(v);
		return VITALS_E_NOMEM;
	}
	m[r->meta_count].key = k;
	m[r->meta_count].value = v;
	r->meta_count++;
	return VITALS_OK;
}

/* ---- writers -------------------------------------------------------------- */

void vitals_write_options_init(struct vitals_write_options *o)
{
	memset(o, 0, sizeof(*o));
	o->codec = VITALS_CODEC_ZSTD;
	o->row_group_rows = 131072;
	o->page_bytes = 1 << 20;
	o->dictionary = 1;
	o->dictionary_bytes = 1 << 20;
}

static const struct store_writer_ops *writer_ops(enum vitals_format f)
{
	switch (f) {
	case VITALS_FORMAT_PARQUET:
		return &store_parquet_writer;
	case VITALS_FORMAT_CSV:
		return &store_csv_writer;
	case VITALS_FORMAT_JSONL:
		return &store_jsonl_writer;
	default:
		return NULL;
	}
}

static void writer_free(struct vitals_writer *w)
{
	if (!w)
		return;
	if (w->ops && w->impl)
		w->ops->free(w);
	if (w->own_fd && w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->opts.meta_count; i++) {
		free((char *)w->opts.meta[i].key);
		free((char *)w->opts.meta[i].value);
	}
	free((void *)w->opts.meta);
	vitals_schema_release(&w->schema);
	free(w->name);
	free(w);
}

static int writer_copy_options(struct vitals_writer *w, const struct vitals_write_options *o)
{
	struct vitals_kv *meta;

	if (o)
		w->opts = *o;
	else
		vitals_write_options_init(&w->opts);
	if (w->opts.row_group_rows == 0 || w->opts.row_group_rows > VITALS_BATCH_ROWS_MAX)
		return store_writer_fail(w, VITALS_E_INVAL, "row group size %zu is out of range",
		                         w->opts.row_group_rows);
	if (w->opts.page_bytes == 0)
		w->opts.page_bytes = 1 << 20;
	w->opts.meta = NULL;
	w->opts.meta_count = 0;
	if (!o || o->meta_count == 0)
		return VITALS_OK;
	meta = calloc(o->meta_count, sizeof(*meta));
	if (!meta)
		return VITALS_E_NOMEM;
	w->opts.meta = meta;
	for (size_t i = 0; i < o->meta_count; i++) {
		if (!o->meta[i].key)
			return store_writer_fail(w, VITALS_E_INVAL, "metadata entry %zu has no key",
			                         i);
		meta[i].key = dup_string(o->meta[i].key);
		meta[i].value = o->meta[i].value ? dup_string(o->meta[i].value) : NULL;
		w->opts.meta_count = i + 1;
		if (!meta[i].key || (o->meta[i].value && !meta[i].value))
			return VITALS_E_NOMEM;
	}
	return VITALS_OK;
}

static int writer_start(struct vitals_writer **out, int fd, int own_fd, enum vitals_format f,
                        const char *name, const struct vitals_schema *schema,
                        const struct vitals_write_options *o, char *err, size_t errlen)
{
	struct vitals_writer *w;
	int rc = VITALS_E_NOMEM;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w) {
		if (own_fd)
			close(fd);
		copy_message(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	w->fd = fd;
	w->own_fd = own_fd;
	w->format = f;
	w->ops = writer_ops(f);
	vitals_schema_init(&w->schema);
	w->name = dup_string(name ? name : "(unnamed)");
	if (!w->name)
		goto out_fail;
	if (!w->ops) {
		rc = store_writer_fail(w, VITALS_E_INVAL,
		                       "unknown format (use .parquet, .csv or .jsonl)");
		goto out_fail;
	}
	if (schema->count == 0) {
		rc = store_writer_fail(w, VITALS_E_INVAL, "a trace needs at least one column");
		goto out_fail;
	}
	rc = vitals_schema_copy(&w->schema, schema);
	if (rc < 0)
		goto out_fail;
	rc = writer_copy_options(w, o);
	if (rc < 0)
		goto out_fail;
	rc = w->ops->open(w);
	if (rc < 0)
		goto out_fail;
	*out = w;
	return VITALS_OK;
out_fail:
	if (w->err[0])
		copy_message(err, errlen, w->err);
	else
		store_fail(err, errlen, rc, name, "%s", vitals_strerror(rc));
	writer_free(w);
	return rc;
}

int vitals_writer_open(struct vitals_writer **out, const char *path,
                       const struct vitals_schema *schema, const struct vitals_write_options *o,
                       char *err, size_t errlen)
{
	enum vitals_format f = vitals_format_from_path(path);
	int fd;

	*out = NULL;
	if (f == VITALS_FORMAT_UNKNOWN)
		return store_fail(err, errlen, VITALS_E_INVAL, path,
		                  "unknown format (use .parquet, .csv or .jsonl)");
	do
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return store_fail(err, errlen, errno == EACCES ? VITALS_E_PERM : VITALS_E_IO, path,
		                  "cannot create: %s", strerror(errno));
	return writer_start(out, fd, 1, f, path, schema, o, err, errlen);
}

int vitals_writer_open_fd(struct vitals_writer **out, int fd, enum vitals_format f,
                          const char *name, const struct vitals_schema *schema,
                          const struct vitals_write_options *o, char *err, size_t errlen)
{
	*out = NULL;
	if (fd < 0)
		return store_fail(err, errlen, VITALS_E_INVAL, name, "no file descriptor");
	return writer_start(out, fd, 0, f, name, schema, o, err, errlen);
}

int vitals_writer_write(struct vitals_writer *w, const struct vitals_batch *b)
{
	if (w->failed)
		return w->err[0] ? VITALS_E_IO : VITALS_E_INVAL;
	if (b->schema.count != w->schema.count)
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "a batch of %zu columns given to a writer of %zu",
		                         b->schema.count, w->schema.count);
	for (size_t i = 0; i < w->schema.count; i++)
		if (b->cols[i].type != w->schema.fields[i].type ||
		    (b->cols[i].nullable && !w->schema.fields[i].nullable))
			return store_writer_fail(
			    w, VITALS_E_INVAL,
			    "column '%s': a batch of %s%s given to a column of %s%s",
			    w->schema.fields[i].name, b->cols[i].nullable ? "nullable " : "",
			    vitals_type_name(b->cols[i].type),
			    w->schema.fields[i].nullable ? "nullable " : "",
			    vitals_type_name(w->schema.fields[i].type));
	if (b->rows == 0)
		return VITALS_OK;
	w->wrote = 1;
	return w->ops->write(w, b);
}

int vitals_writer_close(struct vitals_writer *w, char *err, size_t errlen)
{
	int rc;

	if (!w)
		return VITALS_E_INVAL;
	if (w->failed)
		rc = VITALS_E_IO;
	else
		rc = w->ops->finish(w);
	if (rc < 0)
		copy_message(err, errlen, w->err[0] ? w->err : vitals_strerror(rc));
	writer_free(w);
	return rc;
}

/* Text formats: the whole file on FD, whose header must be the one W wrote. */
static int adopt_text(struct vitals_writer *w, int fd, int in_place)
{
	char mine[4096], theirs[4096];
	struct stat st;
	uint64_t head, at = 0;
	int rc;

	/* The header is still in the writer's buffer: out with it, to compare. */
	if (w->ops->flush && (rc = w->ops->flush(w)) < 0)
		return rc;
	head = w->bytes;

	if (fstat(fd, &st) < 0)
		return store_writer_fail(w, VITALS_E_IO, "cannot stat the earlier file: %s",
		                         strerror(errno));
	if ((uint64_t)st.st_size < head)
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "the earlier file is shorter than its header");
	while (at < head) {
		size_t n = head - at > sizeof(mine) ? sizeof(mine) : (size_t)(head - at);

		if (pread(w->fd, mine, n, (off_t)at) != (ssize_t)n ||
		    pread(fd, theirs, n, (off_t)at) != (ssize_t)n)
			return store_writer_fail(w, VITALS_E_IO, "cannot read the headers back: %s",
			                         strerror(errno));
		if (memcmp(mine, theirs, n) != 0)
			return store_writer_fail(w, VITALS_E_INVAL,
			                         "the earlier file has other columns");
		at += n;
	}
	if (!in_place)
		return store_copy_range(w, fd, head, (uint64_t)st.st_size - head);
	if (lseek(w->fd, st.st_size, SEEK_SET) < 0)
		return store_writer_fail(w, VITALS_E_IO, "cannot go past the earlier rows: %s",
		                         strerror(errno));
	w->bytes = (uint64_t)st.st_size;
	return VITALS_OK;
}

static int writer_adopt(struct vitals_writer *w, int fd, uint32_t row_groups, int in_place)
{
	int rc;

	if (!w || fd < 0)
		return VITALS_E_INVAL;
	if (w->failed)
		return VITALS_E_IO;
	if (w->wrote)
		return store_writer_fail(w, VITALS_E_INVAL,
		                         "earlier rows can only be taken before any other");
	if (w->ops->adopt)
		rc = w->ops->adopt(w, fd, row_groups, in_place);
	else
		rc = adopt_text(w, fd, in_place);
	if (rc == 0)
		w->wrote = 1;
	return rc;
}

int vitals_writer_adopt(struct vitals_writer *w, int fd, uint32_t row_groups)
{
	return writer_adopt(w, fd, row_groups, 0);
}

int store_writer_adopt_in_place(struct vitals_writer *w, int fd, uint32_t row_groups)
{
	return writer_adopt(w, fd, row_groups, 1);
}

void vitals_writer_abort(struct vitals_writer *w)
{
	writer_free(w);
}

const char *vitals_writer_errmsg(const struct vitals_writer *w)
{
	return w->err;
}

uint64_t vitals_writer_bytes(const struct vitals_writer *w)
{
	return w->bytes;
}

/* ---- readers -------------------------------------------------------------- */

void vitals_read_options_init(struct vitals_read_options *o)
{
	memset(o, 0, sizeof(*o));
	o->from = INT64_MIN;
	o->to = INT64_MAX;
	o->batch_rows = 65536;
}

static const struct store_reader_ops *reader_ops(enum vitals_format f)
{
	switch (f) {
	case VITALS_FORMAT_PARQUET:
		return &store_parquet_reader;
	case VITALS_FORMAT_CSV:
		return &store_csv_reader;
	case VITALS_FORMAT_JSONL:
		return &store_jsonl_reader;
	default:
		return NULL;
	}
}

static void filters_free(struct store_filter *f, size_t n)
{
	if (!f)
		return;
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < f[i].count; k++)
			free(f[i].values[k]);
		free(f[i].values);
		free(f[i].lens);
		free(f[i].column);
	}
	free(f);
}

void vitals_reader_close(struct vitals_reader *r)
{
	if (!r)
		return;
	if (r->ops && r->impl)
		r->ops->close(r);
	if (r->fd >= 0)
		close(r->fd);
	for (size_t i = 0; i < r->meta_count; i++) {
		free((char *)r->meta[i].key);
		free((char *)r->meta[i].value);
	}
	free(r->meta);
	vitals_schema_release(&r->schema);
	vitals_schema_release(&r->out_schema);
	vitals_batch_free(r->out);
	filters_free(r->filters, r->filter_count);
	free(r->filter_cols);
	free(r->select);
	free(r->name);
	free(r);
}

/* Open PATH's format reader with PLAN into a new reader. */
static int reader_start(struct vitals_reader **out, const char *path,
                        const struct store_read_plan *plan, char *err, size_t errlen)
{
	enum vitals_format f = vitals_format_from_path(path);
	struct vitals_reader *r;
	struct stat st;
	int rc = VITALS_E_NOMEM;

	*out = NULL;
	if (f == VITALS_FORMAT_UNKNOWN)
		return store_fail(err, errlen, VITALS_E_INVAL, path,
		                  "unknown format (expected .parquet, .csv or .jsonl)");
	r = calloc(1, sizeof(*r));
	if (!r) {
		copy_message(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	r->fd = -1;
	r->rows = -1;
	r->format = f;
	r->ops = reader_ops(f);
	vitals_schema_init(&r->schema);
	vitals_schema_init(&r->out_schema);
	r->name = dup_string(path);
	if (!r->name)
		goto out_fail;
	do
		r->fd = open(path, O_RDONLY | O_CLOEXEC | (plan->no_follow ? O_NOFOLLOW : 0));
	while (r->fd < 0 && errno == EINTR);
	if (r->fd < 0) {
		int e = errno;

		rc = store_reader_fail(
		    r,
		    e == ENOENT                 ? VITALS_E_NOTFOUND
		    : e == EACCES || e == ELOOP ? VITALS_E_PERM
		                                : VITALS_E_IO,
		    "cannot open: %s",
		    e == ELOOP && plan->no_follow ? "a symbolic link, not followed" : strerror(e));
		goto out_fail;
	}
	if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = store_reader_fail(r, VITALS_E_INVAL, "is a directory");
		goto out_fail;
	}
	rc = r->ops->open(r, plan);
	if (rc < 0)
		goto out_fail;
	*out = r;
	return VITALS_OK;
out_fail:
	if (r->err[0])
		copy_message(err, errlen, r->err);
	else
		store_fail(err, errlen, rc, path, "%s", vitals_strerror(rc));
	vitals_reader_close(r);
	return rc;
}

/* The time column's name when the caller named none: "time", else the first timestamp. */
static const char *default_time_column(const struct vitals_schema *s)
{
	if (vitals_schema_find(s, "time") >= 0)
		return "time";
	for (size_t i = 0; i < s->count; i++)
		if (s->fields[i].type == VITALS_TYPE_TIMESTAMP)
			return s->fields[i].name;
	return NULL;
}

int store_filter_match(const struct store_filter *f, const char *s, size_t n)
{
	for (size_t i = 0; i < f->count; i++) {
		size_t m = f->lens[i];

		if ((f->match == VITALS_MATCH_PREFIX ? m <= n : m == n) &&
		    (m == 0 || memcmp(s, f->values[i], m) == 0))
			return 1;
	}
	return 0;
}

/* Check the caller's row filters and copy them into *OUT (NULL when there are none). */
static int filters_copy(struct store_filter **out, const struct vitals_read_options *o,
                        const char *path, char *err, size_t errlen)
{
	struct store_filter *f;

	*out = NULL;
	if (!o->filter_count)
		return VITALS_OK;
	if (o->filter_count > VITALS_FILTERS_MAX || !o->filters)
		return store_fail(err, errlen, VITALS_E_INVAL, path, "at most %d row filters",
		                  VITALS_FILTERS_MAX);
	for (size_t i = 0; i < o->filter_count; i++) {
		const struct vitals_row_filter *in = &o->filters[i];
		int bad = !in->column || (in->value_count && !in->values) ||
		          (in->match != VITALS_MATCH_EQUAL && in->match != VITALS_MATCH_PREFIX);

		for (size_t k = 0; !bad && k < in->value_count; k++)
			bad = !in->values[k];
		if (bad)
			return store_fail(err, errlen, VITALS_E_INVAL, path,
			                  "row filter %zu: no column, a NULL value or an unknown "
			                  "match",
			                  i);
	}
	f = calloc(o->filter_count, sizeof(*f));
	if (!f)
		goto out_nomem;
	for (size_t i = 0; i < o->filter_count; i++) {
		const struct vitals_row_filter *in = &o->filters[i];
		size_t n = in->value_count;

		f[i].match = in->match;
		f[i].column = dup_string(in->column);
		f[i].values = calloc(n ? n : 1, sizeof(*f[i].values));
		f[i].lens = calloc(n ? n : 1, sizeof(*f[i].lens));
		if (!f[i].column || !f[i].values || !f[i].lens)
			goto out_free;
		for (size_t k = 0; k < n; k++) {
			f[i].values[k] = dup_string(in->values[k]);
			if (!f[i].values[k])
				goto out_free;
			f[i].lens[k] = strlen(in->values[k]);
			f[i].count++;
		}
	}
	*out = f;
	return VITALS_OK;
out_free:
	filters_free(f, o->filter_count);
out_nomem:
	copy_message(err, errlen, "out of memory");
	return VITALS_E_NOMEM;
}

/*
 * Set up the filters store.c applies to R: the time range on the column
 * TIME (when not NULL) and R's row filters. The last DROP columns of R's
 * schema were added for them and are not returned.
 */
static int reader_filter_setup(struct vitals_reader *r, const char *time, size_t drop,
                               const struct vitals_read_options *o)
{
	int rc;

	if (time) {
		int idx = vitals_schema_find(&r->schema, time);
		enum vitals_type t;

		if (idx < 0)
			return store_reader_fail(r, VITALS_E_INVAL, "no column '%s'", time);
		t = r->schema.fields[idx].type;
		if (t != VITALS_TYPE_TIMESTAMP && t != VITALS_TYPE_INT64)
			return store_reader_fail(
			    r, VITALS_E_INVAL,
			    "column '%s' is %s, not a timestamp: it cannot bound a "
			    "time range",
			    time, vitals_type_name(t));
		r->time_filter = 1;
		r->time_col = (size_t)idx;
		r->from = o->from;
		r->to = o->to;
	}
	if (r->filter_count) {
		r->filter_cols = calloc(r->filter_count, sizeof(*r->filter_cols));
		if (!r->filter_cols)
			return store_reader_fail(r, VITALS_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->filter_count; i++) {
		const char *name = r->filters[i].column;
		int idx = vitals_schema_find(&r->schema, name);

		if (idx < 0)
			return store_reader_fail(r, VITALS_E_INVAL, "no column '%s'", name);
		if (r->schema.fields[idx].type != VITALS_TYPE_STRING)
			return store_reader_fail(
			    r, VITALS_E_INVAL,
			    "column '%s' is %s, not a string: it cannot filter rows", name,
			    vitals_type_name(r->schema.fields[idx].type));
		r->filter_cols[i] = (size_t)idx;
	}
	r->filter = 1;
	r->drop = drop;
	rc = vitals_schema_copy(&r->out_schema, &r->schema);
	if (rc < 0)
		return rc;
	/* The added columns are the last ones: forget them in the returned schema. */
	while (drop-- > 0) {
		r->out_schema.count--;
		free(r->out_schema.fields[r->out_schema.count].name);
	}
	return vitals_batch_new(&r->out, &r->out_schema);
}

/* Whether NAME is among the first N of COLS. */
static int has_column(const char *const *cols, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(cols[i], name) == 0)
			return 1;
	return 0;
}

int vitals_reader_open(struct vitals_reader **out, const char *path,
                       const struct vitals_read_options *o, char *err, size_t errlen)
{
	struct vitals_read_options defaults;
	struct store_read_plan plan;
	struct vitals_reader *r = NULL, *probe = NULL;
	const struct store_reader_ops *ops;
	struct store_filter *flt = NULL;
	const char **cols = NULL;
	char *time = NULL;
	size_t drop = 0;
	int bounded, rc;

	*out = NULL;
	if (!o) {
		vitals_read_options_init(&defaults);
		o = &defaults;
	}
	if (o->from > o->to)
		return store_fail(err, errlen, VITALS_E_INVAL, path,
		                  "the time range ends before it starts");
	rc = filters_copy(&flt, o, path, err, errlen);
	if (rc < 0)
		return rc;
	ops = reader_ops(vitals_format_from_path(path));
	bounded = o->from != INT64_MIN || o->to != INT64_MAX;
	memset(&plan, 0, sizeof(plan));
	plan.columns = o->columns;
	plan.column_count = o->columns ? o->column_count : 0;
	plan.from = o->from;
	plan.to = o->to;
	plan.batch_rows = o->batch_rows ? o->batch_rows : 65536;
	plan.types = o->types;
	plan.no_follow = o->no_follow;
	if (plan.batch_rows > VITALS_BATCH_ROWS_MAX)
		plan.batch_rows = VITALS_BATCH_ROWS_MAX;

	if (bounded && o->time_column) {
		time = dup_string(o->time_column);
	} else if (bounded) {
		/* Find the default time column from the whole file's schema. */
		struct store_read_plan whole = {.batch_rows = plan.batch_rows,
		                                .types = o->types,
		                                .no_follow = o->no_follow,
		                                .from = INT64_MIN,
		                                .to = INT64_MAX};
		rc = reader_start(&probe, path, &whole, err, errlen);
		if (rc < 0)
			goto out;
		if (default_time_column(&probe->schema))
			time = dup_string(default_time_column(&probe->schema));
		else
			rc = store_fail(err, errlen, VITALS_E_INVAL, path,
			                "no timestamp column to bound a time range with");
		vitals_reader_close(probe);
		if (rc < 0)
			goto out;
	}
	if (bounded && !time) {
		rc = VITALS_E_NOMEM;
		copy_message(err, errlen, "out of memory");
		goto out;
	}
	plan.time_column = time;
	if (ops && ops->exact) {
		plan.filters = flt;
		plan.filter_count = o->filter_count;
	} else if (plan.columns && (time || flt)) {
		/* Read the columns the filters need too, after the asked ones, and drop them. */
		size_t n = plan.column_count;

		cols = calloc(n + 1 + o->filter_count, sizeof(*cols));
		if (!cols) {
			rc = VITALS_E_NOMEM;
			copy_message(err, errlen, "out of memory");
			goto out;
		}
		memcpy(cols, plan.columns, n * sizeof(*cols));
		if (time && !has_column(cols, n, time))
			cols[n++] = time;
		for (size_t i = 0; i < o->filter_count; i++)
			if (!has_column(cols, n, flt[i].column))
				cols[n++] = flt[i].column;
		drop = n - plan.column_count;
		plan.columns = cols;
		plan.column_count = n;
	}
	rc = reader_start(&r, path, &plan, err, errlen);
	if (rc < 0)
		goto out;
	r->filters = flt;
	r->filter_count = flt ? o->filter_count : 0;
	flt = NULL;
	if (!ops->exact && (time || r->filter_count)) {
		rc = reader_filter_setup(r, time, drop, o);
		if (rc < 0) {
			copy_message(err, errlen, r->err[0] ? r->err : vitals_strerror(rc));
			vitals_reader_close(r);
			goto out;
		}
	}
	*out = r;
out:
	filters_free(flt, o->filter_count);
	free(cols);
	free(time);
	return rc;
}

const struct vitals_schema *vitals_reader_schema(const struct vitals_reader *r)
{
	return r->filter ? &r->out_schema : &r->schema;
}

enum vitals_format vitals_reader_format(const struct vitals_reader *r)
{
	return r->format;
}

int64_t vitals_reader_row_count(const struct vitals_reader *r)
{
	return r->rows;
}

const char *vitals_reader_meta(const struct vitals_reader *r, const char *key)
{
	for (size_t i = 0; i < r->meta_count; i++)
		if (strcmp(r->meta[i].key, key) == 0)
			return r->meta[i].value;
	return NULL;
}

size_t vitals_reader_meta_count(const struct vitals_reader *r)
{
	return r->meta_count;
}

const struct vitals_kv *vitals_reader_meta_at(const struct vitals_reader *r, size_t i)
{
	return i < r->meta_count ? &r->meta[i] : NULL;
}

const char *vitals_reader_errmsg(const struct vitals_reader *r)
{
	return r->err;
}

/* Whether row I of B passes r's time range and row filters. */
static int row_kept(const struct vitals_reader *r, const struct vitals_batch *b, size_t i)
{
	if (r->time_filter) {
		const struct vitals_column *t = &b->cols[r->time_col];

		if ((t->valid && !t->valid[i]) || t->v.i64[i] < r->from || t->v.i64[i] > r->to)
			return 0;
	}
	for (size_t f = 0; f < r->filter_count; f++) {
		const struct vitals_column *c = &b->cols[r->filter_cols[f]];
		size_t len = (size_t)(c->v.off[i + 1] - c->v.off[i]);

		if ((c->valid && !c->valid[i]) ||
		    !store_filter_match(&r->filters[f], len ? c->data + c->v.off[i] : "", len))
			return 0;
	}
	return 1;
}

/* Copy the rows of B that pass the filters into r->out. */
static int reader_filter(struct vitals_reader *r, const struct vitals_batch *b)
{
	size_t n = r->out_schema.count, kept = 0;
	int rc;

	vitals_batch_clear(r->out);
	if (b->rows > r->select_cap) {
		uint8_t *s = realloc(r->select, b->rows);
		if (!s)
			return VITALS_E_NOMEM;
		r->select = s;
		r->select_cap = b->rows;
	}
	for (size_t i = 0; i < b->rows; i++) {
		int keep = row_kept(r, b, i);
		r->select[i] = (uint8_t)keep;
		kept += (size_t)keep;
	}
	if (kept == 0)
		return VITALS_OK;
	for (size_t c = 0; c < n; c++) {
		rc = batch_column_append(&r->out->cols[c], 0, &b->cols[c], 0, b->rows,
		                         kept == b->rows ? NULL : r->select);
		if (rc < 0)
			return store_reader_fail(r, rc, "%s", vitals_strerror(rc));
	}
	r->out->rows = kept;
	return VITALS_OK;
}

int vitals_reader_next(struct vitals_reader *r, const struct vitals_batch **out)
{
	const struct vitals_batch *b;
	int rc;

	*out = NULL;
	for (;;) {
		rc = r->ops->next(r, &b);
		if (rc <= 0)
			return rc;
		if (!r->filter) {
			*out = b;
			return 1;
		}
		rc = reader_filter(r, b);
		if (rc < 0)
			return rc;
		if (r->out->rows > 0) {
			*out = r->out;
			return 1;
		}
	}
}

/* ---- describe ------------------------------------------------------------- */

/* What `inspect` shows of a text file: one "row group" with statistics read off the rows. */
struct text_info {
	struct vitals_file_info pub;
	struct vitals_schema schema;
	struct vitals_field_info *fields;
	struct vitals_row_group_info group;
	struct vitals_chunk_info *chunks;
	char (*text)[2][STORE_VALUE_TEXT_MAX + 8]; /* min and max per column */
};

/* Running statistics of one column. */
struct text_stats {
	int64_t nulls;
	int seen;
	int64_t min_i, max_i;
	double min_d, max_d;
	char *min_s, *max_s; /* strings: copies */
	size_t min_len, max_len;
};

static int bytes_less(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c < 0 || (c == 0 && alen < blen);
}

static int keep_string(char **dst, size_t *dst_len, const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return VITALS_E_NOMEM;
	memcpy(p, s, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	*dst_len = len;
	return VITALS_OK;
}

static int stats_add(struct text_stats *st, const struct vitals_column *c, size_t rows)
{
	for (size_t i = 0; i < rows; i++) {
		int first;
		if (c->valid && !c->valid[i]) {
			st->nulls++;
			continue;
		}
		first = !st->seen;
		switch (c->type) {
		case VITALS_TYPE_BOOL:
		case VITALS_TYPE_INT32:
		case VITALS_TYPE_INT64:
		case VITALS_TYPE_TIMESTAMP: {
			int64_t v = c->type == VITALS_TYPE_BOOL    ? c->v.b[i]
			            : c->type == VITALS_TYPE_INT32 ? c->v.i32[i]
			                                           : c->v.i64[i];
			if (first || v < st->min_i)
				st->min_i = v;
			if (first || v > st->max_i)
				st->max_i = v;
			break;
		}
		case VITALS_TYPE_DOUBLE: {
			double v = c->v.f64[i];
			if (isnan(v))
				continue; /* NaN has no place in an order */
			if (first || v < st->min_d)
				st->min_d = v;
			if (first || v > st->max_d)
				st->max_d = v;
			break;
		}
		case VITALS_TYPE_STRING: {
			const char *s = c->data + c->v.off[i];
			size_t len = (size_t)(c->v.off[i + 1] - c->v.off[i]);
			if ((first || bytes_less(s, len, st->min_s, st->min_len)) &&
			    keep_string(&st->min_s, &st->min_len, s, len) < 0)
				return VITALS_E_NOMEM;
			if ((first || bytes_less(st->max_s, st->max_len, s, len)) &&
			    keep_string(&st->max_s, &st->max_len, s, len) < 0)
				return VITALS_E_NOMEM;
			break;
		}
		}
		st->seen = 1;
	}
	return VITALS_OK;
}

/* Text of a statistic into BUF (STORE_VALUE_TEXT_MAX + 8 bytes); strings are cut with "...". */
static void stats_text(char *buf, enum vitals_type t, int64_t i, double d, const char *s,
                       size_t len)
{
	size_t cap = STORE_VALUE_TEXT_MAX + 8;

	switch (t) {
	case VITALS_TYPE_BOOL:
		snprintf(buf, cap, "%s", i ? "true" : "false");
		break;
	case VITALS_TYPE_INT32:
	case VITALS_TYPE_INT64:
		snprintf(buf, cap, "%lld", (long long)i);
		break;
	case VITALS_TYPE_TIMESTAMP:
		store_format_timestamp(buf, i);
		break;
	case VITALS_TYPE_DOUBLE:
		store_format_double(buf, d);
		break;
	case VITALS_TYPE_STRING: {
		size_t n = 0;
		for (size_t k = 0; k < len && n < 32; k++)
			buf[n++] = (s[k] >= 0x20 && s[k] != 0x7f) || (s[k] & 0x80) ? s[k] : '?';
		if (len > 32)
			memcpy(buf + n, "...", 4);
		else
			buf[n] = '\0';
		break;
	}
	}
}

static void text_info_free(struct vitals_file_info *info)
{
	struct text_info *t = (struct text_info *)info;

	vitals_schema_release(&t->schema);
	free(t->fields);
	free(t->chunks);
	free(t->text);
	free(t);
}

static int describe_text(struct vitals_reader *r, struct vitals_file_info **out)
{
	size_t n = r->schema.count;
	struct text_stats *st = NULL;
	struct text_info *t;
	const struct vitals_batch *b;
	int64_t rows = 0;
	int rc = VITALS_E_NOMEM;

	t = calloc(1, sizeof(*t));
	if (!t)
		return VITALS_E_NOMEM;
	vitals_schema_init(&t->schema);
	st = calloc(n ? n : 1, sizeof(*st));
	t->fields = calloc(n ? n : 1, sizeof(*t->fields));
	t->chunks = calloc(n ? n : 1, sizeof(*t->chunks));
	t->text = calloc(n ? n : 1, sizeof(*t->text));
	if (!st || !t->fields || !t->chunks || !t->text ||
	    vitals_schema_copy(&t->schema, &r->schema) < 0)
		goto out_free;
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		for (size_t c = 0; c < n; c++) {
			rc = stats_add(&st[c], &b->cols[c], b->rows);
			if (rc < 0)
				goto out_free;
		}
		rows += (int64_t)b->rows;
	}
	if (rc < 0)
		goto out_free;
	for (size_t c = 0; c < n; c++) {
		struct vitals_chunk_info *ci = &t->chunks[c];
		enum vitals_type type = r->schema.fields[c].type;
		ci->encodings = "text";
		ci->codec = "none";
		ci->compressed = ci->uncompressed = -1;
		ci->values = rows;
		ci->null_count = st[c].nulls;
		if (!st[c].seen)
			continue;
		stats_text(t->text[c][0], type, st[c].min_i, st[c].min_d, st[c].min_s,
		           st[c].min_len);
		stats_text(t->text[c][1], type, st[c].max_i, st[c].max_d, st[c].max_s,
		           st[c].max_len);
		ci->min = t->text[c][0];
		ci->max = t->text[c][1];
		if (type == VITALS_TYPE_INT32 || type == VITALS_TYPE_INT64 ||
		    type == VITALS_TYPE_TIMESTAMP) {
			ci->has_int_stats = 1;
			ci->min_i = st[c].min_i;
			ci->max_i = st[c].max_i;
		}
	}
	t->group.rows = rows;
	t->group.compressed = t->group.uncompressed = -1;
	t->group.columns = t->chunks;
	t->pub.format = r->format;
	t->pub.rows = rows;
	t->pub.schema = &t->schema;
	t->pub.fields = t->fields;
	t->pub.row_group_count = 1;
	t->pub.row_groups = &t->group;
	*out = &t->pub;
	t = NULL;
	rc = VITALS_OK;
out_free:
	if (st)
		for (size_t c = 0; c < n; c++) {
			free(st[c].min_s);
			free(st[c].max_s);
		}
	free(st);
	if (t)
		text_info_free(&t->pub);
	return rc;
}

int vitals_file_describe(struct vitals_file_info **out, const char *path, char *err, size_t errlen)
{
	return vitals_file_describe_opts(out, path, NULL, err, errlen);
}

int vitals_file_describe_opts(struct vitals_file_info **out, const char *path,
                              const struct vitals_read_options *o, char *err, size_t errlen)
{
	struct store_read_plan plan = {.batch_rows = 65536,
	                               .from = INT64_MIN,
	                               .to = INT64_MAX,
	                               .no_follow = o ? o->no_follow : 0};
	struct vitals_reader *r;
	struct stat st;
	int rc;

	*out = NULL;
	rc = reader_start(&r, path, &plan, err, errlen);
	if (rc < 0)
		return rc;
	if (r->format == VITALS_FORMAT_PARQUET) {
		rc = store_parquet_describe(r, out);
	} else {
		rc = describe_text(r, out);
	}
	if (rc < 0) {
		copy_message(err, errlen, r->err[0] ? r->err : vitals_strerror(rc));
	} else {
		(*out)->format = r->format;
		if (fstat(r->fd, &st) == 0)
			(*out)->file_bytes = (uint64_t)st.st_size;
	}
	vitals_reader_close(r);
	return rc;
}

void vitals_file_info_free(struct vitals_file_info *info)
{
	if (!info)
		return;
	if (info->format == VITALS_FORMAT_PARQUET) {
		store_parquet_file_info_free(info);
	} else {
		text_info_free(info);
	}
}
