/*
 * The JSON API of the dashboard (docs/api.md): the files, a trace's facts,
 * entities and series, events, the live process tree and PID finder, leak
 * suspects, and tracing control. Every handler answers; none exits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vitals/proctree.h>
#include <vitals/record.h>

#include "analyze/leaks.h"
#include "serve/internal.h"
#include "util/clock.h"

/* ---- a string -> index map ----------------------------------------------- */

struct smap {
	char **keys;
	size_t *vals;
	size_t cap, count;
};

static uint64_t smap_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void smap_release(struct smap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* The slot of key S (N bytes): where it is, or where it would go. */
static size_t smap_slot(const struct smap *m, const char *s, size_t n)
{
	size_t i = (size_t)smap_hash(s, n) & (m->cap - 1);

	while (m->keys[i] && (strlen(m->keys[i]) != n || memcmp(m->keys[i], s, n) != 0))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The value of S, or SIZE_MAX. */
static size_t smap_get(const struct smap *m, const char *s, size_t n)
{
	size_t i;

	if (!m->cap)
		return SIZE_MAX;
	i = smap_slot(m, s, n);
	return m->keys[i] ? m->vals[i] : SIZE_MAX;
}

static int smap_put(struct smap *m, const char *s, size_t n, size_t v)
{
	size_t i;

	if ((m->count + 1) * 2 > m->cap) {
		struct smap g = {0};

		g.cap = m->cap ? m->cap * 2 : 64;
		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (!g.keys || !g.vals) {
			free(g.keys);
			free(g.vals);
			return VITALS_E_NOMEM;
		}
		for (size_t k = 0; k < m->cap; k++)
			if (m->keys[k]) {
				size_t j = smap_slot(&g, m->keys[k], strlen(m->keys[k]));

				g.keys[j] = m->keys[k];
				g.vals[j] = m->vals[k];
			}
		g.count = m->count;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	i = smap_slot(m, s, n);
	if (!m->keys[i]) {
		m->keys[i] = strndup(s, n);
		if (!m->keys[i])
			return VITALS_E_NOMEM;
		m->count++;
	}
	m->vals[i] = v;
	return 0;
}

/* ---- files --------------------------------------------------------------- */

void serve_files_free(struct serve_file *f, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(f[i].id);
		free(f[i].name);
		free(f[i].path);
	}
	free(f);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(((const struct serve_file *)a)->name, ((const struct serve_file *)b)->name);
}

static int files_add(struct serve_file **f, size_t *n, size_t *cap, const char *id,
                     const char *name, const char *path, int datafile)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *q = realloc(*f, nc * sizeof(**f));

		if (!q)
			return VITALS_E_NOMEM;
		*f = q;
		*cap = nc;
	}
	(*f)[*n].id = strdup(id);
	(*f)[*n].name = strdup(name);
	(*f)[*n].path = strdup(path);
	(*f)[*n].datafile = datafile;
	(*n)++;
	if (!(*f)[*n - 1].id || !(*f)[*n - 1].name || !(*f)[*n - 1].path)
		return VITALS_E_NOMEM;
	return 0;
}

int serve_files_list(struct server *s, struct serve_file **out, size_t *count)
{
	struct serve_file *f = NULL;
	size_t n = 0, cap = 0, dir_n;
	int rc = 0;

	*out = NULL;
	*count = 0;
	if (s->data_dir_fd >= 0) {
		int fd = openat(s->data_dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;

		if (!d && fd >= 0)
			close(fd);
		while (d && rc == 0 && (de = readdir(d)) != NULL && n < 10000) {
			struct stat st;
			char path[PATH_MAX];

			if (de->d_name[0] == '.' || !name_is_trace(de->d_name))
				continue;
			if (fstatat(s->data_dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			snprintf(path, sizeof(path), "%s/%s", s->data_dir, de->d_name);
			rc = files_add(&f, &n, &cap, de->d_name, de->d_name, path, 0);
		}
		if (d)
			closedir(d);
	}
	dir_n = n;
	if (dir_n > 1)
		qsort(f, dir_n, sizeof(*f), cmp_names);
	for (size_t i = 0; rc == 0 && i < s->datafile_count; i++) {
		char id[32];
		const char *slash = strrchr(s->datafiles[i], '/');

		snprintf(id, sizeof(id), "datafile:%zu", i);
		rc = files_add(&f, &n, &cap, id, slash ? slash + 1 : s->datafiles[i],
		               s->datafiles[i], 1);
	}
	if (rc < 0) {
		serve_files_free(f, n);
		return rc;
	}
	*out = f;
	*count = n;
	return 0;
}

/*
 * The file of the request's `file` parameter into *out (free with
 * file_release()). 0, or an error already answered in *ret.
 */
struct file_ref {
	char *id, *name, *path;
	int datafile;
};

static void file_release(struct file_ref *f)
{
	free(f->id);
	free(f->name);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static int file_lookup(struct request *rq, struct file_ref *out, enum MHD_Result *ret)
{
	const char *id = rq_arg(rq, "file");
	struct serve_file *files;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!id || !*id) {
		*ret =
		    reply_error(rq, 400, "parameter 'file' is missing: name a file of /api/files");
		return -1;
	}
	if (serve_files_list(rq->srv, &files, &n) < 0) {
		*ret = reply_error(rq, 500, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].id, id) == 0) {
			out->id = files[i].id;
			out->name = files[i].name;
			out->path = files[i].path;
			out->datafile = files[i].datafile;
			files[i].id = files[i].name = files[i].path = NULL;
			break;
		}
	serve_files_free(files, n);
	if (!out->id && rq->srv->data_dir && tracer_writes(rq->srv, id)) {
		/* Being traced, not written yet: events go to the recording. */
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", rq->srv->data_dir, id);
		out->id = strdup(id);
		out->name = strdup(id);
		out->path = strdup(path);
		if (!out->id || !out->name || !out->path) {
			file_release(out);
			*ret = reply_error(rq, 500, "out of memory");
			return -1;
		}
	}
	if (!out->id) {
		*ret = reply_error(rq, 404, "no such file: '%.200s' (see /api/files)", id);
		return -1;
	}
	return 0;
}

/* ---- health, info, files -------------------------------------------------- */

enum MHD_Result api_health(struct request *rq)
{
	struct jbuf j;

	jbuf_init(&j, 4096);
	jbuf_object_begin(&j);
	jbuf_key(&j, "ok");
	jbuf_bool(&j, 1);
	jbuf_key(&j, "version");
	jbuf_string(&j, vitals_version());
	jbuf_object_end(&j);
	return reply_json(rq, 200, &j);
}

enum MHD_Result api_info(struct request *rq)
{
	struct server *s = rq->srv;
	struct vitals_collector *c;
	struct jbuf j;
	char err[512];
	const char *reason;

	jbuf_init(&j, 1 << 20);
	c = live_acquire(s, 0, err, sizeof(err));
	if (!c)
		return reply_error(rq, 500, "%s", err);
	jbuf_object_begin(&j);
	jbuf_key(&j, "version");
	jbuf_string(&j, vitals_version());
	jbuf_key(&j, "host");
	jbuf_string(&j, vitals_collector_hostname(c));
	jbuf_key(&j, "kernel");
	jbuf_string(&j, vitals_collector_kernel(c));
	jbuf_key(&j, "gpu_available");
	jbuf_bool(&j, vitals_collector_source_status(c, VITALS_KIND_GPU, &reason) == 0 &&
	                  vitals_collector_count(c, VITALS_KIND_GPU) > 0);
	jbuf_key(&j, "containers_available");
	jbuf_bool(&j, vitals_collector_source_status(c, VITALS_KIND_CGROUP, &reason) == 0);
	live_release(s);
	jbuf_key(&j, "timezone");
	jbuf_string(&j, s->zone);
	jbuf_key(&j, "data_dir");
	jbuf_string(&j, s->data_dir);
	jbuf_key(&j, "port");
	jbuf_int(&j, s->port);
	jbuf_key(&j, "token_required_for_reads");
	jbuf_bool(&j, !s->loopback);
	jbuf_key(&j, "now");
	jbuf_int(&j, clock_utc_us());
	jbuf_key(&j, "limits");
	jbuf_object_begin(&j);
	jbuf_key(&j, "points");
	jbuf_int(&j, SERVE_POINTS_MAX);
	jbuf_key(&j, "series");
	jbuf_int(&j, SERVE_SERIES_MAX);
	jbuf_key(&j, "json_body_bytes");
	jbuf_int(&j, SERVE_JSON_BODY_MAX);
	jbuf_key(&j, "csv_body_bytes");
	jbuf_int(&j, SERVE_CSV_BODY_MAX);
	jbuf_key(&j, "live_streams");
	jbuf_int(&j, SERVE_STREAMS_MAX);
	jbuf_object_end(&j);
	jbuf_key(&j, "tracing");
	tracer_status(s, &j);
	jbuf_object_end(&j);
	return reply_json(rq, 200, &j);
}

enum MHD_Result api_files(struct request *rq)
{
	struct serve_file *f;
	struct jbuf j;
	size_t n;

	if (serve_files_list(rq->srv, &f, &n) < 0)
		return reply_error(rq, 500, "out of memory");
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "files");
	jbuf_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int have = stat(f[i].path, &st) == 0;

		jbuf_object_begin(&j);
		jbuf_key(&j, "id");
		jbuf_string(&j, f[i].id);
		jbuf_key(&j, "name");
		jbuf_string(&j, f[i].name);
		jbuf_key(&j, "source");
		jbuf_string(&j, f[i].datafile ? "datafile" : "data-dir");
		if (f[i].datafile) {
			jbuf_key(&j, "path");
			jbuf_string(&j, f[i].path);
		}
		jbuf_key(&j, "format");
		jbuf_string(&j, vitals_format_name(vitals_format_from_path(f[i].name)));
		jbuf_key(&j, "bytes");
		if (have)
			jbuf_int(&j, (int64_t)st.st_size);
		else
			jbuf_null(&j);
		jbuf_key(&j, "modified");
		if (have)
			jbuf_int(&j,
			         (int64_t)st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000);
		else
			jbuf_null(&j);
		jbuf_key(&j, "recording");
		jbuf_bool(&j, !f[i].datafile && tracer_writes(rq->srv, f[i].name));
		jbuf_object_end(&j);
	}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	serve_files_free(f, n);
	return reply_json(rq, 200, &j);
}

/* ---- trace facts ---------------------------------------------------------- */

/* The file's time span: from the Parquet statistics in INFO (the file's
 * description, NULL for a text file), or one pass over `time`. */
static int time_span(const char *path, const struct vitals_file_info *info, int no_follow,
                     int64_t *first, int64_t *last, char *err, size_t errlen)
{
	struct vitals_read_options ro;
	struct vitals_reader *r;
	const struct vitals_batch *b;
	const char *cols[] = {"time"};
	int rc;

	*first = INT64_MAX;
	*last = INT64_MIN;
	if (info) {
		int ti, stats = 1;

		ti = vitals_schema_find(info->schema, "time");
		for (size_t g = 0; ti >= 0 && g < info->row_group_count; g++) {
			const struct vitals_chunk_info *ci = &info->row_groups[g].columns[ti];

			if (info->row_groups[g].rows == 0)
				continue;
			if (!ci->has_int_stats) {
				stats = 0;
				break;
			}
			if (ci->min_i < *first)
				*first = ci->min_i;
			if (ci->max_i > *last)
				*last = ci->max_i;
		}
		if (ti < 0) {
			snprintf(err, errlen, "%s: no column 'time': not a vitals trace", path);
			return VITALS_E_INVAL;
		}
		if (stats)
			return 0;
		*first = INT64_MAX;
		*last = INT64_MIN;
	}
	vitals_read_options_init(&ro);
	ro.no_follow = no_follow;
	ro.columns = cols;
	ro.column_count = 1;
	if (vitals_reader_open(&r, path, &ro, err, errlen) < 0)
		return VITALS_E_PARSE;
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		const struct vitals_column *c = &b->cols[0];

		if (c->type != VITALS_TYPE_TIMESTAMP && c->type != VITALS_TYPE_INT64)
			break;
		for (size_t i = 0; i < b->rows; i++) {
			if (c->valid && !c->valid[i])
				continue;
			if (c->v.i64[i] < *first)
				*first = c->v.i64[i];
			if (c->v.i64[i] > *last)
				*last = c->v.i64[i];
		}
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", vitals_reader_errmsg(r));
	vitals_reader_close(r);
	return rc < 0 ? VITALS_E_PARSE : 0;
}

/* The time span of the file at PATH (its footer is read for a Parquet file). */
static int file_time_span(const char *path, int no_follow, int64_t *first, int64_t *last, char *err,
                          size_t errlen)
{
	struct vitals_file_info *info = NULL;
	int rc;

	if (vitals_format_from_path(path) == VITALS_FORMAT_PARQUET) {
		struct vitals_read_options ro;

		vitals_read_options_init(&ro);
		ro.no_follow = no_follow;
		if (vitals_file_describe_opts(&info, path, &ro, err, errlen) < 0)
			return VITALS_E_PARSE;
	}
	rc = time_span(path, info, no_follow, first, last, err, errlen);
	vitals_file_info_free(info);
	return rc;
}

static void kv_or_null(struct jbuf *j, const struct vitals_file_info *info, const char *key,
                       const char *jkey)
{
	jbuf_key(j, jkey);
	for (size_t i = 0; i < info->meta_count; i++)
		if (strcmp(info->meta[i].key, key) == 0 && info->meta[i].value[0]) {
			jbuf_string(j, info->meta[i].value);
			return;
		}
	jbuf_null(j);
}

enum MHD_Result api_trace(struct request *rq)
{
	struct file_ref f;
	struct vitals_file_info *info = NULL;
	struct jbuf j;
	enum MHD_Result ret;
	int64_t first, last;
	char err[1024];
	const char *si = NULL;

	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	if (vitals_format_from_path(f.path) == VITALS_FORMAT_PARQUET) {
		struct vitals_read_options dro;

		vitals_read_options_init(&dro);
		dro.no_follow = !f.datafile;
		if (vitals_file_describe_opts(&info, f.path, &dro, err, sizeof(err)) < 0) {
			ret = reply_error(rq, 422, "%s", err);
			goto out;
		}
	} else {
		/* Text: the schema and metadata from the reader, without a pass over the rows. */
		info = NULL;
	}
	if (time_span(f.path, info, !f.datafile, &first, &last, err, sizeof(err)) < 0) {
		ret = reply_error(rq, 422, "%s", err);
		goto out;
	}
	jbuf_init(&j, 1 << 22);
	jbuf_object_begin(&j);
	jbuf_key(&j, "file");
	jbuf_string(&j, f.id);
	jbuf_key(&j, "format");
	jbuf_string(&j, vitals_format_name(vitals_format_from_path(f.path)));
	jbuf_key(&j, "bytes");
	{
		struct stat st;

		if (stat(f.path, &st) == 0)
			jbuf_int(&j, (int64_t)st.st_size);
		else
			jbuf_null(&j);
	}
	jbuf_key(&j, "first_time");
	if (first <= last)
		jbuf_int(&j, first);
	else
		jbuf_null(&j);
	jbuf_key(&j, "last_time");
	if (first <= last)
		jbuf_int(&j, last);
	else
		jbuf_null(&j);
	if (info) {
		jbuf_key(&j, "rows");
		jbuf_int(&j, info->rows);
		jbuf_key(&j, "row_groups");
		jbuf_int(&j, (int64_t)info->row_group_count);
		kv_or_null(&j, info, "vitals.host", "host");
		kv_or_null(&j, info, "vitals.kernel", "kernel");
		kv_or_null(&j, info, "vitals.timezone", "timezone");
		kv_or_null(&j, info, "vitals.boot_id", "boot_id");
		for (size_t i = 0; i < info->meta_count; i++)
			if (strcmp(info->meta[i].key, "vitals.sample_interval_seconds") == 0)
				si = info->meta[i].value;
		jbuf_key(&j, "sample_interval");
		{
			double v;

			if (si && param_real(si, 1e-6, 1e9, &v) == 0)
				jbuf_real(&j, v);
			else
				jbuf_null(&j);
		}
		jbuf_key(&j, "columns");
		jbuf_array_begin(&j);
		for (size_t i = 0; i < info->schema->count; i++)
			jbuf_string(&j, info->schema->fields[i].name);
		jbuf_array_end(&j);
		jbuf_key(&j, "meta");
		jbuf_object_begin(&j);
		for (size_t i = 0; i < info->meta_count; i++) {
			jbuf_key(&j, info->meta[i].key);
			jbuf_string(&j, info->meta[i].value);
		}
		jbuf_object_end(&j);
	} else {
		struct vitals_read_options ro;
		struct vitals_reader *r;

		vitals_read_options_init(&ro);
		ro.no_follow = !f.datafile;
		jbuf_key(&j, "rows");
		jbuf_null(&j);
		jbuf_key(&j, "row_groups");
		jbuf_null(&j);
		const char *keys[] = {"host", "kernel", "timezone", "boot_id", "sample_interval"};
		for (size_t i = 0; i < 5; i++) {
			jbuf_key(&j, keys[i]);
			jbuf_null(&j);
		}
		jbuf_key(&j, "columns");
		jbuf_array_begin(&j);
		if (vitals_reader_open(&r, f.path, &ro, err, sizeof(err)) == 0) {
			const struct vitals_schema *sc = vitals_reader_schema(r);

			for (size_t i = 0; i < sc->count; i++)
				jbuf_string(&j, sc->fields[i].name);
			vitals_reader_close(r);
		}
		jbuf_array_end(&j);
		jbuf_key(&j, "meta");
		jbuf_object_begin(&j);
		jbuf_object_end(&j);
	}
	jbuf_object_end(&j);
	ret = reply_json(rq, 200, &j);
out:
	vitals_file_info_free(info);
	file_release(&f);
	return ret;
}

static char *cache_get(struct server *s, const char *key, size_t *len);
static void cache_put(struct server *s, const char *key, const char *body, size_t len);

/*
 * Answer from the answer cache when it holds KEY's answer: 1, with the
 * answer queued in *RET; else 0.
 */
static int cache_reply(struct request *rq, const struct jbuf *key, enum MHD_Result *ret)
{
	struct jbuf j;
	size_t len;
	char *hit = key->failed ? NULL : cache_get(rq->srv, key->data, &len);

	if (!hit)
		return 0;
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_append(&j, hit, len);
	free(hit);
	*ret = reply_json(rq, 200, &j);
	return 1;
}

/*
 * The request's turn (rq_turn_take()): -1 when none came, *RET answered.
 * A request that waited for it looks in the answer cache again, where one
 * of those it waited behind may have put the same answer: 1 then, *RET
 * answered. Else 0: compute.
 */
static int turn_take(struct request *rq, const struct jbuf *key, enum MHD_Result *ret)
{
	int rc = rq_turn_take(rq, ret);

	if (rc <= 0)
		return rc;
	return cache_reply(rq, key, ret);
}

/* "WHAT\nPATH\nDEV:INO:SIZE:MTIME\n" into KEY: the file as it is now. -1 when it cannot be seen. */
static int file_key(struct jbuf *key, const char *what, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	jbuf_printf(key, "%s\n%s\n%llu:%llu:%lld:%lld.%09ld\n", what, path,
	            (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	            (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	return key->failed ? -1 : 0;
}

/* ---- entities ------------------------------------------------------------- */

/* Metric columns that are not in the collector's tables, by kind. */
static const struct vitals_metric extra_metrics[] = {
    {"sample_cpu_seconds", "seconds", "CPU time the recorder spent on the sample.",
     VITALS_METRIC_REAL, 0},
    {"sample_seconds", "seconds", "Wall-clock time the sample took.", VITALS_METRIC_REAL, 0},
    {"value", "", "The gauge's value.", VITALS_METRIC_REAL, 0},
    {"heap_in_use_bytes", "bytes", "Heap bytes in use (malloc).", VITALS_METRIC_INT, 0},
    {"heap_free_bytes", "bytes", "Heap bytes free inside the heap.", VITALS_METRIC_INT, 0},
    {"heap_mmapped_bytes", "bytes", "Heap bytes in mmapped chunks.", VITALS_METRIC_INT, 0},
};
static const int extra_kind[] = {VITALS_KIND_SYSTEM,  VITALS_KIND_SYSTEM,  VITALS_KIND_GAUGE,
                                 VITALS_KIND_PROCESS, VITALS_KIND_PROCESS, VITALS_KIND_PROCESS};

/* The description of metric NAME of KIND, or NULL when it is not one. */
static const struct vitals_metric *metric_of(enum vitals_kind kind, const char *name)
{
	size_t n;
	const struct vitals_metric *m = vitals_metric_list(kind, &n);
	int i = vitals_metric_find(kind, name);

	if (m && i >= 0 && (size_t)i < n)
		return &m[i];
	for (size_t k = 0; k < sizeof(extra_metrics) / sizeof(extra_metrics[0]); k++)
		if (extra_kind[k] == (int)kind && strcmp(extra_metrics[k].name, name) == 0)
			return &extra_metrics[k];
	return NULL;
}

static void metric_json(struct jbuf *j, const struct vitals_metric *m)
{
	jbuf_object_begin(j);
	jbuf_key(j, "name");
	jbuf_string(j, m->name);
	jbuf_key(j, "unit");
	jbuf_string(j, m->unit);
	jbuf_key(j, "help");
	jbuf_string(j, m->help);
	jbuf_key(j, "type");
	jbuf_string(j, m->type == VITALS_METRIC_INT ? "int" : "real");
	jbuf_key(j, "counter");
	jbuf_bool(j, (m->flags & VITALS_METRIC_COUNTER) != 0);
	jbuf_key(j, "rate");
	jbuf_bool(j, (m->flags & VITALS_METRIC_RATE) != 0);
	jbuf_object_end(j);
}

struct ent {
	char *id, *name;
	int64_t first, last, rows, ppid;
};

struct kind_ents {
	struct ent *e;
	size_t n, cap;
	struct smap map;
	int truncated;
	int64_t rows;
};

static const char *batch_str(const struct vitals_batch *b, size_t col, size_t row, size_t *len)
{
	const struct vitals_column *c = &b->cols[col];

	*len = (size_t)(c->v.off[row + 1] - c->v.off[row]);
	return c->data + c->v.off[row];
}

/* A numeric cell as a double: 0 when null or not numeric. */
static int batch_num(const struct vitals_batch *b, size_t col, size_t row, double *out)
{
	const struct vitals_column *c = &b->cols[col];

	if (c->valid && !c->valid[row])
		return 0;
	switch (c->type) {
	case VITALS_TYPE_DOUBLE:
		*out = c->v.f64[row];
		return isfinite(*out);
	case VITALS_TYPE_INT64:
	case VITALS_TYPE_TIMESTAMP:
		*out = (double)c->v.i64[row];
		return 1;
	case VITALS_TYPE_INT32:
		*out = c->v.i32[row];
		return 1;
	case VITALS_TYPE_BOOL:
		*out = c->v.b[row];
		return 1;
	default:
		return 0;
	}
}

/*
 * Open PATH with the columns COLS (those the file has; *have[i] says
 * which) and the row filters FLT (NFLT of them, on columns it must have).
 */
static int open_projected(struct vitals_reader **r, const char *path, int no_follow,
                          const char *const *cols, size_t ncols, int *have, int64_t from,
                          int64_t to, const struct vitals_row_filter *flt, size_t nflt, char *err,
                          size_t errlen)
{
	struct vitals_read_options ro;
	struct vitals_row_filter keep[8];
	const char *use[64];
	size_t nuse = 0, nkeep = 0;
	int rc;

	vitals_read_options_init(&ro);
	ro.no_follow = no_follow;
	/* Most files have every column asked for: one open, one footer read. */
	ro.columns = cols;
	ro.column_count = ncols < 64 ? ncols : 64;
	ro.from = from;
	ro.to = to;
	/* Named, so that a bounded read does not open the file once more to find it. */
	if (from != INT64_MIN || to != INT64_MAX)
		ro.time_column = "time";
	ro.filters = flt;
	ro.filter_count = nflt;
	if (vitals_reader_open(r, path, &ro, err, errlen) == 0) {
		for (size_t i = 0; i < ncols && i < 64; i++)
			have[i] = 1;
		return 0;
	}
	*r = NULL;
	vitals_read_options_init(&ro);
	ro.no_follow = no_follow;
	rc = vitals_reader_open(r, path, &ro, err, errlen);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < ncols && i < 64; i++) {
		have[i] = vitals_schema_find(vitals_reader_schema(*r), cols[i]) >= 0;
		if (have[i])
			use[nuse++] = cols[i];
	}
	/* A filter on a column the file lacks is left to the caller's check of HAVE. */
	for (size_t i = 0; i < nflt && i < 8; i++)
		if (vitals_schema_find(vitals_reader_schema(*r), flt[i].column) >= 0)
			keep[nkeep++] = flt[i];
	vitals_reader_close(*r);
	*r = NULL;
	ro.columns = use;
	ro.column_count = nuse;
	ro.from = from;
	ro.to = to;
	ro.filters = keep;
	ro.filter_count = nkeep;
	return vitals_reader_open(r, path, &ro, err, errlen);
}

enum MHD_Result api_entities(struct request *rq)
{
	const char *kind_arg = rq_arg(rq, "kind");
	const char *from_s = rq_arg(rq, "from"), *to_s = rq_arg(rq, "to");
	int64_t from = INT64_MIN, to = INT64_MAX;
	const char *cols[] = {"time", "kind", "id", "name", "ppid"};
	struct vitals_row_filter kind_filter;
	int have[5];
	struct kind_ents ke[VITALS_KIND_COUNT];
	struct jbuf key;
	struct vitals_reader *r = NULL, *full = NULL;
	const struct vitals_batch *b;
	const struct vitals_schema *sc;
	struct file_ref f;
	struct jbuf j;
	enum MHD_Result ret;
	char err[1024];
	int only = -1, rc;

	memset(ke, 0, sizeof(ke));
	if (kind_arg) {
		only = vitals_kind_from_name(kind_arg);
		if (only < 0)
			return reply_error(
			    rq, 400,
			    "parameter 'kind': '%.40s' is not one of system, cpu, psi, "
			    "disk, net, fs, process, gpu, cgroup, gauge, event",
			    kind_arg);
	}
	if (from_s && param_time(from_s, &from) < 0)
		return reply_error(
		    rq, 400, "parameter 'from': '%.64s' is not RFC 3339 or microseconds", from_s);
	if (to_s && param_time(to_s, &to) < 0)
		return reply_error(rq, 400,
		                   "parameter 'to': '%.64s' is not RFC 3339 or microseconds", to_s);
	if (from > to)
		return reply_error(rq, 400, "parameter 'from' is after 'to'");
	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	jbuf_init(&key, 4096);
	if (file_key(&key, "entities", f.path) == 0) {
		size_t len;
		char *hit;

		jbuf_printf(&key, "%d\n%lld\n%lld", only, (long long)from, (long long)to);
		hit = key.failed ? NULL : cache_get(rq->srv, key.data, &len);
		if (hit) {
			jbuf_init(&j, SERVE_ANSWER_MAX);
			jbuf_append(&j, hit, len);
			free(hit);
			ret = reply_json(rq, 200, &j);
			goto out;
		}
	} else {
		key.failed = 1;
	}
	if (turn_take(rq, &key, &ret) != 0)
		goto out;
	kind_filter = (struct vitals_row_filter){"kind", &kind_arg, 1, VITALS_MATCH_EQUAL};
	if (open_projected(&r, f.path, !f.datafile, cols, 5, have, from, to, &kind_filter,
	                   only >= 0, err, sizeof(err)) < 0) {
		ret = reply_error(rq, 422, "%s", err);
		goto out;
	}
	if (!have[0] || !have[1] || !have[2]) {
		ret = reply_error(rq, 422, "%s: no time, kind or id column: not a vitals trace",
		                  f.name);
		goto out;
	}
	sc = vitals_reader_schema(r);
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		char last_ks[16];
		size_t last_kl = SIZE_MAX;
		int last_k = -1;
		size_t ti = 0, ki = 1, ii = 2, ni = have[3] ? 3 : SIZE_MAX;
		size_t pi = have[4] ? (size_t)(have[3] ? 4 : 3) : SIZE_MAX;

		if (b->cols[ki].type != VITALS_TYPE_STRING ||
		    b->cols[ii].type != VITALS_TYPE_STRING)
			break;
		for (size_t i = 0; i < b->rows; i++) {
			size_t kl, il, nl = 0;
			const char *ks = batch_str(b, ki, i, &kl), *is = batch_str(b, ii, i, &il);
			const char *ns = ni != SIZE_MAX && b->cols[ni].type == VITALS_TYPE_STRING
			                     ? batch_str(b, ni, i, &nl)
			                     : "";
			char kbuf[16];
			int k;
			size_t e;
			int64_t t = b->cols[ti].v.i64[i];
			double pp;

			if (kl >= sizeof(kbuf) || t < from || t > to)
				continue;
			if (kl == last_kl && memcmp(ks, last_ks, kl) == 0) {
				k = last_k; /* rows of one kind come in runs */
			} else {
				memcpy(kbuf, ks, kl);
				kbuf[kl] = '\0';
				k = vitals_kind_from_name(kbuf);
				memcpy(last_ks, ks, kl);
				last_kl = kl;
				last_k = k;
			}
			if (k < 0 || (only >= 0 && k != only))
				continue;
			ke[k].rows++;
			if (k == VITALS_KIND_EVENT)
				continue;
			e = smap_get(&ke[k].map, is, il);
			if (e == SIZE_MAX) {
				if (ke[k].n >= SERVE_ENTITIES_MAX) {
					ke[k].truncated = 1;
					continue;
				}
				if (ke[k].n == ke[k].cap) {
					size_t nc = ke[k].cap ? ke[k].cap * 2 : 16;
					void *q = realloc(ke[k].e, nc * sizeof(*ke[k].e));

					if (!q)
						goto out_nomem;
					ke[k].e = q;
					ke[k].cap = nc;
				}
				e = ke[k].n;
				memset(&ke[k].e[e], 0, sizeof(ke[k].e[e]));
				ke[k].e[e].id = strndup(is, il);
				ke[k].e[e].first = INT64_MAX;
				ke[k].e[e].last = INT64_MIN;
				ke[k].e[e].ppid = -1;
				ke[k].n++;
				if (!ke[k].e[e].id || smap_put(&ke[k].map, is, il, e) < 0)
					goto out_nomem;
			}
			if (nl && (!ke[k].e[e].name || strlen(ke[k].e[e].name) != nl ||
			           memcmp(ke[k].e[e].name, ns, nl) != 0)) {
				free(ke[k].e[e].name);
				ke[k].e[e].name = strndup(ns, nl);
			}
			if (t < ke[k].e[e].first)
				ke[k].e[e].first = t;
			if (t > ke[k].e[e].last)
				ke[k].e[e].last = t;
			ke[k].e[e].rows++;
			if (pi != SIZE_MAX && batch_num(b, pi, i, &pp))
				ke[k].e[e].ppid = (int64_t)pp;
		}
	}
	if (rc < 0) {
		ret = reply_error(rq, 422, "%s", vitals_reader_errmsg(r));
		goto out;
	}
	{
		/* The file's whole schema, for the metrics it has. */
		struct vitals_read_options ro;

		vitals_read_options_init(&ro);
		ro.no_follow = !f.datafile;
		if (vitals_reader_open(&full, f.path, &ro, err, sizeof(err)) < 0)
			full = NULL;
	}
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "file");
	jbuf_string(&j, f.id);
	jbuf_key(&j, "kinds");
	jbuf_array_begin(&j);
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		size_t nm;
		const struct vitals_metric *m;

		if (!ke[k].rows)
			continue;
		jbuf_object_begin(&j);
		jbuf_key(&j, "kind");
		jbuf_string(&j, vitals_kind_name((enum vitals_kind)k));
		jbuf_key(&j, "metrics");
		jbuf_array_begin(&j);
		m = vitals_metric_list((enum vitals_kind)k, &nm);
		if (full) {
			const struct vitals_schema *fs = vitals_reader_schema(full);

			for (size_t x = 0; m && x < nm; x++)
				if (vitals_schema_find(fs, m[x].name) >= 0)
					metric_json(&j, &m[x]);
			for (size_t x = 0; x < sizeof(extra_metrics) / sizeof(extra_metrics[0]);
			     x++)
				if (extra_kind[x] == k &&
				    vitals_schema_find(fs, extra_metrics[x].name) >= 0)
					metric_json(&j, &extra_metrics[x]);
		}
		jbuf_array_end(&j);
		jbuf_key(&j, "entities");
		jbuf_array_begin(&j);
		for (size_t i = 0; i < ke[k].n; i++) {
			const struct ent *e = &ke[k].e[i];

			jbuf_object_begin(&j);
			jbuf_key(&j, "id");
			jbuf_string(&j, e->id);
			jbuf_key(&j, "name");
			jbuf_string(&j, e->name ? e->name : e->id);
			if (k == VITALS_KIND_PROCESS) {
				int64_t pid;

				jbuf_key(&j, "pid");
				if (param_int(e->id, 0, INT32_MAX, &pid) == 0)
					jbuf_int(&j, pid);
				else
					jbuf_null(&j);
				jbuf_key(&j, "ppid");
				if (e->ppid >= 0)
					jbuf_int(&j, e->ppid);
				else
					jbuf_null(&j);
			}
			jbuf_key(&j, "first_time");
			jbuf_int(&j, e->first);
			jbuf_key(&j, "last_time");
			jbuf_int(&j, e->last);
			jbuf_key(&j, "rows");
			jbuf_int(&j, e->rows);
			jbuf_object_end(&j);
		}
		jbuf_array_end(&j);
		jbuf_key(&j, "truncated");
		jbuf_bool(&j, ke[k].truncated);
		if (k == VITALS_KIND_EVENT) {
			jbuf_key(&j, "events");
			jbuf_int(&j, ke[k].rows);
		}
		jbuf_object_end(&j);
	}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	(void)sc;
	if (!j.failed && !key.failed)
		cache_put(rq->srv, key.data, j.data, j.len);
	ret = reply_json(rq, 200, &j);
	goto out;
out_nomem:
	ret = reply_error(rq, 500, "out of memory");
out:
	jbuf_release(&key);
	for (int k = 0; k < VITALS_KIND_COUNT; k++) {
		for (size_t i = 0; i < ke[k].n; i++) {
			free(ke[k].e[i].id);
			free(ke[k].e[i].name);
		}
		free(ke[k].e);
		smap_release(&ke[k].map);
	}
	if (full)
		vitals_reader_close(full);
	if (r)
		vitals_reader_close(r);
	file_release(&f);
	return ret;
}

/* ---- series --------------------------------------------------------------- */

/*
 * The series cache: the same request on a file whose identity (device,
 * inode, size, modification time) did not change gets the same answer, so
 * many pages (or one page redrawing) looking at one window cost one read.
 */
static char *cache_get(struct server *s, const char *key, size_t *len)
{
	char *copy = NULL;

	pthread_mutex_lock(&s->cache_mu);
	for (size_t i = 0; i < SERVE_CACHE_ENTRIES; i++) {
		struct cache_entry *e = &s->cache[i];

		if (e->key && strcmp(e->key, key) == 0) {
			copy = malloc(e->len + 1);
			if (copy) {
				memcpy(copy, e->body, e->len + 1);
				*len = e->len;
				e->used = ++s->cache_tick;
			}
			break;
		}
	}
	pthread_mutex_unlock(&s->cache_mu);
	return copy;
}

static void cache_put(struct server *s, const char *key, const char *body, size_t len)
{
	struct cache_entry *victim = NULL;
	char *k, *b;

	if (len > SERVE_CACHE_BYTES / 4)
		return;
	k = strdup(key);
	b = malloc(len + 1);
	if (!k || !b) {
		free(k);
		free(b);
		return;
	}
	memcpy(b, body, len);
	b[len] = '\0';
	pthread_mutex_lock(&s->cache_mu);
	for (;;) {
		victim = NULL;
		for (size_t i = 0; i < SERVE_CACHE_ENTRIES; i++) {
			struct cache_entry *e = &s->cache[i];

			if (e->key && strcmp(e->key, key) == 0) {
				victim = e;
				break;
			}
			if (!victim || !e->key || (victim->key && e->used < victim->used))
				victim = e;
		}
		if (!victim->key && s->cache_bytes + len > SERVE_CACHE_BYTES) {
			/*
			 * An empty slot, but too few bytes: free the least
			 * recently used answer instead (else this loop never ends).
			 */
			for (size_t i = 0; i < SERVE_CACHE_ENTRIES; i++) {
				struct cache_entry *e = &s->cache[i];
				if (e->key && (!victim->key || e->used < victim->used))
					victim = e;
			}
		}
		if (victim->key) {
			s->cache_bytes -= victim->len;
			free(victim->key);
			free(victim->body);
			victim->key = victim->body = NULL;
		}
		if (s->cache_bytes + len <= SERVE_CACHE_BYTES)
			break;
	}
	victim->key = k;
	victim->body = b;
	victim->len = len;
	victim->used = ++s->cache_tick;
	s->cache_bytes += len;
	pthread_mutex_unlock(&s->cache_mu);
}

#define SERIES_METRICS_MAX 16
#define SERIES_CELLS_MAX   2000000 /* points x series */

struct bucket {
	double min, max, sum;
	int64_t first; /* time of its earliest row */
	uint32_t valid, rows;
};

enum bucket_value { BUCKET_MIN, BUCKET_MAX, BUCKET_MEAN };

/* KEY: one value of every non-empty bucket of BK[0..POINTS), null where it had none. */
static void put_buckets(struct jbuf *j, const char *key, const struct bucket *bk, int64_t points,
                        enum bucket_value which)
{
	jbuf_key(j, key);
	jbuf_array_begin(j);
	for (int64_t p = 0; p < points; p++) {
		if (!bk[p].rows)
			continue;
		if (!bk[p].valid)
			jbuf_null(j);
		else
			jbuf_real(j, which == BUCKET_MIN   ? bk[p].min
			             : which == BUCKET_MAX ? bk[p].max
			                                   : bk[p].sum / bk[p].valid);
	}
	jbuf_array_end(j);
}

struct sentity {
	char *id, *name;
	struct bucket *b; /* metrics x points */
};

/* Add a row at time T, with value V when OK, to bucket BK. */
static void bucket_put(struct bucket *bk, int64_t t, int ok, double v)
{
	if (!bk->rows || t < bk->first)
		bk->first = t;
	bk->rows++;
	if (!ok)
		return;
	if (!bk->valid || v < bk->min)
		bk->min = v;
	if (!bk->valid || v > bk->max)
		bk->max = v;
	bk->sum += v;
	bk->valid++;
}

/* ---- the series cache ----------------------------------------------------- */

void scache_entry_release(struct scache_entry *e)
{
	free(e->key);
	free(e->name);
	free(e->t);
	free(e->v);
	free(e->ok);
	memset(e, 0, sizeof(*e));
}

/* The points of one metric of one entity as a read finds them, for the cache. */
struct scollect {
	size_t n, cap;
	int64_t *t;
	double *v;
	uint8_t *ok;
	int off; /* not kept: too many points, out of memory, or out of time order */
};

static void scollect_add(struct scollect *c, int64_t t, double v, int ok)
{
	if (c->off)
		return;
	if (c->n && t < c->t[c->n - 1]) {
		c->off = 1; /* the cache searches by time */
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		void *nt, *nv, *no;

		if (cap * (sizeof(int64_t) + sizeof(double) + 1) > SERVE_SCACHE_BYTES / 8) {
			c->off = 1;
			return;
		}
		nt = realloc(c->t, cap * sizeof(*c->t));
		if (nt)
			c->t = nt;
		nv = nt ? realloc(c->v, cap * sizeof(*c->v)) : NULL;
		if (nv)
			c->v = nv;
		no = nv ? realloc(c->ok, cap) : NULL;
		if (!no) {
			c->off = 1;
			return;
		}
		c->ok = no;
		c->cap = cap;
	}
	c->t[c->n] = t;
	c->v[c->n] = v;
	c->ok[c->n] = (uint8_t)ok;
	c->n++;
}

static void scollect_release(struct scollect *c)
{
	free(c->t);
	free(c->v);
	free(c->ok);
	memset(c, 0, sizeof(*c));
}

/*
 * Bucket the cached points of KEY in [FROM, TO] into BK (POINTS buckets
 * of BUCKET_US): 1 when an entry covers the range (*ROWS counts its
 * points in it; *NAME gets a copy of the entity's name when NULL), else 0.
 */
static int scache_bucket(struct server *s, const char *key, int64_t from, int64_t to,
                         int64_t bucket_us, int64_t points, struct bucket *bk, uint64_t *rows,
                         char **name)
{
	int found = 0;

	pthread_mutex_lock(&s->scache_mu);
	for (size_t i = 0; i < SERVE_SCACHE_ENTRIES && !found; i++) {
		struct scache_entry *e = &s->scache[i];
		size_t lo = 0, hi;

		if (!e->key || e->from > from || e->to < to || strcmp(e->key, key) != 0)
			continue;
		hi = e->n;
		while (lo < hi) {
			size_t m = lo + (hi - lo) / 2;
			if (e->t[m] < from)
				lo = m + 1;
			else
				hi = m;
		}
		*rows = 0;
		for (size_t k = lo; k < e->n && e->t[k] <= to; k++) {
			int64_t bi = (e->t[k] - from) / bucket_us;

			if (bi >= points)
				bi = points - 1;
			bucket_put(&bk[bi], e->t[k], e->ok[k], e->v[k]);
			(*rows)++;
		}
		if (!*name && e->name)
			*name = strdup(e->name);
		e->used = ++s->scache_tick;
		found = 1;
	}
	pthread_mutex_unlock(&s->scache_mu);
	return found;
}

/* Keep the points C (taken over) of KEY over [FROM, TO], evicting the least recently used. */
static void scache_put(struct server *s, const char *key, int64_t from, int64_t to,
                       struct scollect *c, const char *name)
{
	struct scache_entry ne = {0}, *victim;
	size_t bytes;

	if (c->off)
		return;
	bytes = c->n * (sizeof(int64_t) + sizeof(double) + 1) + strlen(key) + 64;
	ne.key = strdup(key);
	ne.name = name ? strdup(name) : NULL;
	if (!ne.key || (name && !ne.name)) {
		scache_entry_release(&ne);
		return;
	}
	ne.from = from;
	ne.to = to;
	ne.n = c->n;
	ne.t = c->t;
	ne.v = c->v;
	ne.ok = c->ok;
	ne.bytes = bytes;
	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&s->scache_mu);
	/* What the new entry covers goes. */
	for (size_t i = 0; i < SERVE_SCACHE_ENTRIES; i++) {
		struct scache_entry *e = &s->scache[i];

		if (e->key && e->from >= from && e->to <= to && strcmp(e->key, key) == 0) {
			s->scache_bytes -= e->bytes;
			scache_entry_release(e);
		}
	}
	for (;;) {
		struct scache_entry *lru = NULL;

		victim = NULL;
		for (size_t i = 0; i < SERVE_SCACHE_ENTRIES; i++) {
			struct scache_entry *e = &s->scache[i];
			if (!e->key)
				victim = victim ? victim : e;
			else if (!lru || e->used < lru->used)
				lru = e;
		}
		if ((victim && s->scache_bytes + bytes <= SERVE_SCACHE_BYTES) || !lru)
			break;
		s->scache_bytes -= lru->bytes;
		scache_entry_release(lru); /* a slot freed; the next turn may take it */
	}
	ne.used = ++s->scache_tick;
	*victim = ne;
	s->scache_bytes += bytes;
	pthread_mutex_unlock(&s->scache_mu);
}

enum MHD_Result api_series(struct request *rq)
{
	const char *kind = rq_arg(rq, "kind"), *pts = rq_arg(rq, "points");
	const char *lim = rq_arg(rq, "limit"), *from_s = rq_arg(rq, "from"),
	           *to_s = rq_arg(rq, "to");
	const char *metrics[SERIES_METRICS_MAX + 1], *ids[SERVE_SERIES_MAX + 1];
	const char *cols[4 + SERIES_METRICS_MAX];
	int have[4 + SERIES_METRICS_MAX];
	struct vitals_row_filter flt[2];
	size_t nmetrics = rq_args(rq, "metric", metrics, SERIES_METRICS_MAX + 1);
	size_t nids = rq_args(rq, "id", ids, SERVE_SERIES_MAX + 1);
	int64_t points = 1000, limit = 64, from = INT64_MIN, to = INT64_MAX, bucket_us;
	struct sentity *ents = NULL;
	size_t nents = 0, max_ents;
	struct smap map = {0};
	struct vitals_reader *r = NULL;
	const struct vitals_batch *b;
	struct file_ref f;
	struct jbuf j, key;
	enum MHD_Result ret;
	uint64_t rows_read = 0;
	int truncated = 0, rc, k, namec, cached = 0;
	size_t kind_len, id0_len;
	struct scollect sc[SERIES_METRICS_MAX];
	size_t *name_row = NULL; /* per entity: its row in the batch with the latest name */
	struct jbuf skey;
	size_t skey_len = 0;
	char err[1024];

	memset(&f, 0, sizeof(f));
	memset(sc, 0, sizeof(sc));
	jbuf_init(&key, 64 * 1024);
	jbuf_init(&skey, 64 * 1024);
	if (!kind || !*kind)
		return reply_error(rq, 400,
		                   "parameter 'kind' is missing (cpu, system, process...)");
	k = vitals_kind_from_name(kind);
	if (k < 0 || k == VITALS_KIND_EVENT)
		return reply_error(
		    rq, 400,
		    "parameter 'kind': '%.40s' is not one of system, cpu, psi, disk, "
		    "net, fs, process, gpu, cgroup, gauge",
		    kind);
	kind_len = strlen(kind);
	if (nmetrics == 0)
		return reply_error(rq, 400,
		                   "parameter 'metric' is missing (busy_percent, rss_bytes...)");
	if (nmetrics > SERIES_METRICS_MAX)
		return reply_error(rq, 400, "parameter 'metric': at most %d metrics",
		                   SERIES_METRICS_MAX);
	if (nids > SERVE_SERIES_MAX)
		return reply_error(rq, 400, "parameter 'id': at most %d entities",
		                   SERVE_SERIES_MAX);
	if (pts && param_int(pts, 2, SERVE_POINTS_MAX, &points) < 0)
		return reply_error(rq, 400,
		                   "parameter 'points': '%.40s' is not an integer in [2, %d]", pts,
		                   SERVE_POINTS_MAX);
	if (lim && param_int(lim, 1, SERVE_SERIES_MAX, &limit) < 0)
		return reply_error(rq, 400,
		                   "parameter 'limit': '%.40s' is not an integer in [1, %d]", lim,
		                   SERVE_SERIES_MAX);
	if (from_s && param_time(from_s, &from) < 0)
		return reply_error(
		    rq, 400, "parameter 'from': '%.64s' is not RFC 3339 or microseconds", from_s);
	if (to_s && param_time(to_s, &to) < 0)
		return reply_error(rq, 400,
		                   "parameter 'to': '%.64s' is not RFC 3339 or microseconds", to_s);
	if (from_s && to_s && from > to)
		return reply_error(rq, 400, "parameter 'from' is after 'to'");
	for (size_t i = 0; i < nmetrics; i++) {
		if (!*metrics[i] || strcmp(metrics[i], "time") == 0 ||
		    strcmp(metrics[i], "kind") == 0 || strcmp(metrics[i], "id") == 0 ||
		    strcmp(metrics[i], "name") == 0)
			return reply_error(rq, 400, "parameter 'metric': '%.64s' is not a metric",
			                   metrics[i]);
		for (size_t x = 0; x < i; x++)
			if (strcmp(metrics[x], metrics[i]) == 0)
				return reply_error(
				    rq, 400, "parameter 'metric': '%.64s' is repeated", metrics[i]);
	}
	max_ents = nids ? nids : (size_t)limit;
	if (max_ents * nmetrics > SERVE_SERIES_MAX)
		return reply_error(
		    rq, 400, "%zu entities x %zu metrics is more than %d series: ask for fewer",
		    max_ents, nmetrics, SERVE_SERIES_MAX);
	if ((uint64_t)max_ents * nmetrics * (uint64_t)points > SERIES_CELLS_MAX)
		return reply_error(
		    rq, 400, "points x series is more than %d: ask for fewer points or series",
		    SERIES_CELLS_MAX);
	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	if (!from_s || !to_s) {
		int64_t first, last;

		/* A Parquet file's span is in its footer; another's is a read. */
		if (vitals_format_from_path(f.path) != VITALS_FORMAT_PARQUET &&
		    rq_turn_take(rq, &ret) < 0)
			goto out;
		if (file_time_span(f.path, !f.datafile, &first, &last, err, sizeof(err)) < 0) {
			ret = reply_error(rq, 422, "%s", err);
			goto out;
		}
		if (!from_s)
			from = first;
		if (!to_s)
			to = last;
		if (first > last) {
			from = 0;
			to = 0;
		}
		if (from > to) {
			ret =
			    reply_error(rq, 400, "parameter 'from' or 'to' leaves an empty range");
			goto out;
		}
	}
	{
		/* (to - from + 1) / points, rounded up, without overflow. */
		uint64_t span = (uint64_t)to - (uint64_t)from + 1;

		bucket_us = (int64_t)(span / (uint64_t)points + (span % (uint64_t)points != 0));
		if (bucket_us < 1)
			bucket_us = 1;
	}
	{
		struct stat st;

		if (stat(f.path, &st) == 0) {
			jbuf_printf(
			    &key, "%s\n%llu:%llu:%lld:%lld.%09ld\n%s\n%lld\n%lld\n%lld\n%lld\n",
			    f.path, (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			    (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			    kind, (long long)from, (long long)to, (long long)points,
			    (long long)limit);
			for (size_t i = 0; i < nmetrics; i++)
				jbuf_printf(&key, "m%s\x1f", metrics[i]);
			for (size_t i = 0; i < nids; i++)
				jbuf_printf(&key, "i%s\x1f", ids[i]);
			if (!key.failed) {
				size_t len;
				char *hit = cache_get(rq->srv, key.data, &len);

				if (hit) {
					jbuf_init(&j, SERVE_ANSWER_MAX);
					jbuf_append(&j, hit, len);
					free(hit);
					ret = reply_json(rq, 200, &j);
					goto out;
				}
			}
		} else {
			key.failed = 1;
		}
	}
	ents = calloc(max_ents, sizeof(*ents));
	name_row = calloc(max_ents, sizeof(*name_row));
	if (!ents || !name_row)
		goto out_nomem;
	for (size_t i = 0; i < nids; i++) {
		if (smap_get(&map, ids[i], strlen(ids[i])) != SIZE_MAX)
			continue;
		ents[nents].id = strdup(ids[i]);
		ents[nents].b = calloc((size_t)points * nmetrics, sizeof(struct bucket));
		if (!ents[nents].id || !ents[nents].b ||
		    smap_put(&map, ids[i], strlen(ids[i]), nents) < 0) {
			nents++;
			goto out_nomem;
		}
		nents++;
	}
	/*
	 * One entity: its points may be in the series cache from a read that
	 * covered this range (the overview before a zoom, the same window with
	 * another point count).
	 */
	if (nids == 1 && nents == 1 && file_key(&skey, "points", f.path) == 0) {
		jbuf_printf(&skey, "%s\x1f%s\x1f", kind, ids[0]);
		skey_len = skey.len;
		cached = !skey.failed;
		for (size_t x = 0; x < nmetrics && cached; x++) {
			uint64_t n = 0;

			skey.len = skey_len;
			jbuf_printf(&skey, "%s", metrics[x]);
			cached = !skey.failed &&
			         scache_bucket(rq->srv, skey.data, from, to, bucket_us, points,
			                       &ents[0].b[x * (size_t)points], &n, &ents[0].name);
			rows_read = n;
		}
		if (cached)
			goto answer;
		memset(ents[0].b, 0, (size_t)points * nmetrics * sizeof(struct bucket));
		free(ents[0].name);
		ents[0].name = NULL;
		rows_read = 0;
	} else {
		skey.failed = 1;
	}
	if (turn_take(rq, &key, &ret) != 0)
		goto out;
	cols[0] = "time";
	cols[1] = "kind";
	cols[2] = "id";
	for (size_t i = 0; i < nmetrics; i++)
		cols[3 + i] = metrics[i];
	cols[3 + nmetrics] = "name"; /* last: a file without it shifts no other column */
	/* Only the rows of the kind (and of the asked ids) are decoded. */
	flt[0] = (struct vitals_row_filter){"kind", &kind, 1, VITALS_MATCH_EQUAL};
	flt[1] = (struct vitals_row_filter){"id", ids, nids, VITALS_MATCH_EQUAL};
	if (open_projected(&r, f.path, !f.datafile, cols, 4 + nmetrics, have, from, to, flt,
	                   nids ? 2 : 1, err, sizeof(err)) < 0) {
		ret = reply_error(rq, 422, "%s", err);
		goto out;
	}
	if (!have[0] || !have[1] || !have[2]) {
		ret = reply_error(rq, 422, "%s: no time, kind or id column: not a vitals trace",
		                  f.name);
		goto out;
	}
	for (size_t i = 0; i < nmetrics; i++)
		if (!have[3 + i]) {
			ret = reply_error(rq, 400, "parameter 'metric': %s has no column '%.64s'",
			                  f.name, metrics[i]);
			goto out;
		}
	id0_len = nids ? strlen(ids[0]) : 0;
	namec = have[3 + nmetrics] &&
	                vitals_reader_schema(r)->fields[3 + nmetrics].type == VITALS_TYPE_STRING
	            ? (int)(3 + nmetrics)
	            : -1;
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		if (b->cols[1].type != VITALS_TYPE_STRING ||
		    b->cols[2].type != VITALS_TYPE_STRING ||
		    (b->cols[0].type != VITALS_TYPE_TIMESTAMP &&
		     b->cols[0].type != VITALS_TYPE_INT64))
			break;
		for (size_t e = 0; e < max_ents; e++)
			name_row[e] = SIZE_MAX;
		rows_read += b->rows;
		for (size_t i = 0; i < b->rows; i++) {
			size_t kl, il, e;
			const char *ks = batch_str(b, 1, i, &kl), *is;
			int64_t t = b->cols[0].v.i64[i], bi;

			if (kl != kind_len || memcmp(ks, kind, kl) != 0 || t < from || t > to)
				continue;
			is = batch_str(b, 2, i, &il);
			if (nids == 1) {
				/* One entity asked for (a chart of one process): no hashing. */
				if (il != id0_len || memcmp(is, ids[0], il) != 0)
					continue;
				e = 0;
			} else {
				e = smap_get(&map, is, il);
			}
			if (e == SIZE_MAX) {
				if (nids)
					continue;
				if (nents >= max_ents) {
					truncated = 1;
					continue;
				}
				ents[nents].id = strndup(is, il);
				ents[nents].b =
				    calloc((size_t)points * nmetrics, sizeof(struct bucket));
				e = nents++;
				if (!ents[e].id || !ents[e].b || smap_put(&map, is, il, e) < 0)
					goto out_nomem;
			}
			if (namec >= 0 && vitals_batch_is_valid(b, (size_t)namec, i) &&
			    b->cols[namec].v.off[i + 1] > b->cols[namec].v.off[i])
				name_row[e] = i; /* its latest name in the batch, taken after it */
			bi = (t - from) / bucket_us;
			if (bi >= points)
				bi = points - 1;
			for (size_t x = 0; x < nmetrics; x++) {
				double v = 0;
				int ok = batch_num(b, 3 + x, i, &v);

				bucket_put(&ents[e].b[x * (size_t)points + (size_t)bi], t, ok, v);
				if (!skey.failed)
					scollect_add(&sc[x], t, v, ok);
			}
		}
		/* Each entity's latest name in the window: its last row's in the last batch. */
		for (size_t e = 0; e < nents; e++) {
			size_t nl;
			const char *ns;

			if (name_row[e] == SIZE_MAX)
				continue;
			ns = batch_str(b, (size_t)namec, name_row[e], &nl);
			if (!ents[e].name || strlen(ents[e].name) != nl ||
			    memcmp(ents[e].name, ns, nl) != 0) {
				free(ents[e].name);
				ents[e].name = strndup(ns, nl);
				if (!ents[e].name)
					goto out_nomem;
			}
		}
	}
	if (rc < 0) {
		ret = reply_error(rq, 422, "%s", vitals_reader_errmsg(r));
		goto out;
	}
	for (size_t x = 0; x < nmetrics && !skey.failed; x++) {
		skey.len = skey_len;
		jbuf_printf(&skey, "%s", metrics[x]);
		if (!skey.failed)
			scache_put(rq->srv, skey.data, from, to, &sc[x], ents[0].name);
	}
answer:
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "file");
	jbuf_string(&j, f.id);
	jbuf_key(&j, "kind");
	jbuf_string(&j, kind);
	jbuf_key(&j, "from");
	jbuf_int(&j, from);
	jbuf_key(&j, "to");
	jbuf_int(&j, to);
	jbuf_key(&j, "bucket_us");
	jbuf_int(&j, bucket_us);
	jbuf_key(&j, "points");
	jbuf_int(&j, points);
	jbuf_key(&j, "rows_read");
	jbuf_int(&j, (int64_t)rows_read);
	jbuf_key(&j, "truncated");
	jbuf_bool(&j, truncated);
	jbuf_key(&j, "series");
	jbuf_array_begin(&j);
	for (size_t e = 0; e < nents; e++)
		for (size_t x = 0; x < nmetrics; x++) {
			const struct bucket *bk = &ents[e].b[x * (size_t)points];
			const struct vitals_metric *m = metric_of((enum vitals_kind)k, metrics[x]);

			jbuf_object_begin(&j);
			jbuf_key(&j, "id");
			jbuf_string(&j, ents[e].id);
			jbuf_key(&j, "name");
			jbuf_string(&j, ents[e].name ? ents[e].name : ents[e].id);
			jbuf_key(&j, "metric");
			jbuf_string(&j, metrics[x]);
			jbuf_key(&j, "unit");
			jbuf_string(&j, m ? m->unit : NULL);
			jbuf_key(&j, "t");
			jbuf_array_begin(&j);
			for (int64_t p = 0; p < points; p++)
				if (bk[p].rows)
					jbuf_int(&j, bk[p].first);
			jbuf_array_end(&j);
			put_buckets(&j, "min", bk, points, BUCKET_MIN);
			put_buckets(&j, "max", bk, points, BUCKET_MAX);
			put_buckets(&j, "mean", bk, points, BUCKET_MEAN);
			jbuf_key(&j, "count");
			jbuf_array_begin(&j);
			for (int64_t p = 0; p < points; p++)
				if (bk[p].rows)
					jbuf_int(&j, bk[p].rows);
			jbuf_array_end(&j);
			jbuf_object_end(&j);
		}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	if (!j.failed && !key.failed)
		cache_put(rq->srv, key.data, j.data, j.len);
	ret = reply_json(rq, 200, &j);
	goto out;
out_nomem:
	ret = reply_error(rq, 500, "out of memory");
out:
	jbuf_release(&key);
	jbuf_release(&skey);
	for (size_t x = 0; x < SERIES_METRICS_MAX; x++)
		scollect_release(&sc[x]);
	for (size_t e = 0; e < nents; e++) {
		free(ents[e].id);
		free(ents[e].name);
		free(ents[e].b);
	}
	free(ents);
	free(name_row);
	smap_release(&map);
	if (r)
		vitals_reader_close(r);
	file_release(&f);
	return ret;
}

/* ---- events ---------------------------------------------------------------- */

struct ev_row {
	int64_t t;
	char *source, *text, *fields;
	size_t order;
};

static int cmp_ev(const void *a, const void *b)
{
	const struct ev_row *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

enum MHD_Result api_events_get(struct request *rq)
{
	static const char *const event_kind[] = {"event"};
	const struct vitals_row_filter event_filter = {"kind", event_kind, 1, VITALS_MATCH_EQUAL};
	const char *cols[] = {"time", "kind", "id", "name", "fields"};
	const char *from_s = rq_arg(rq, "from"), *to_s = rq_arg(rq, "to");
	int have[5];
	int64_t from = INT64_MIN, to = INT64_MAX;
	struct ev_row *ev = NULL;
	size_t n = 0, cap = 0;
	struct vitals_reader *r = NULL;
	const struct vitals_batch *b;
	struct file_ref f;
	struct jbuf j;
	enum MHD_Result ret;
	char err[1024];
	int rc;

	memset(&f, 0, sizeof(f));
	if (from_s && param_time(from_s, &from) < 0)
		return reply_error(
		    rq, 400, "parameter 'from': '%.64s' is not RFC 3339 or microseconds", from_s);
	if (to_s && param_time(to_s, &to) < 0)
		return reply_error(rq, 400,
		                   "parameter 'to': '%.64s' is not RFC 3339 or microseconds", to_s);
	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	if (open_projected(&r, f.path, !f.datafile, cols, 5, have, from, to, &event_filter, 1, err,
	                   sizeof(err)) < 0) {
		ret = reply_error(rq, 422, "%s", err);
		goto out;
	}
	if (!have[0] || !have[1] || !have[2] || !have[3]) {
		ret = reply_error(
		    rq, 422, "%s: no time, kind, id or name column: not a vitals trace", f.name);
		goto out;
	}
	while ((rc = vitals_reader_next(r, &b)) > 0) {
		if (b->cols[1].type != VITALS_TYPE_STRING ||
		    b->cols[2].type != VITALS_TYPE_STRING || b->cols[3].type != VITALS_TYPE_STRING)
			break;
		for (size_t i = 0; i < b->rows; i++) {
			size_t kl, sl, tl, fl = 0;
			const char *ks = batch_str(b, 1, i, &kl);
			const char *fs = NULL;

			if (kl != 5 || memcmp(ks, "event", 5) != 0)
				continue;
			if (b->cols[0].v.i64[i] < from || b->cols[0].v.i64[i] > to)
				continue;
			if (n >= 100000)
				break;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				void *q = realloc(ev, nc * sizeof(*ev));

				if (!q)
					goto out_nomem;
				ev = q;
				cap = nc;
			}
			if (have[4] && b->cols[4].type == VITALS_TYPE_STRING &&
			    vitals_batch_is_valid(b, 4, i))
				fs = batch_str(b, 4, i, &fl);
			{
				const char *ss = batch_str(b, 2, i, &sl),
				           *ts = batch_str(b, 3, i, &tl);

				ev[n].t = b->cols[0].v.i64[i];
				ev[n].order = n;
				ev[n].source = strndup(ss, sl);
				ev[n].text = strndup(ts, tl);
				ev[n].fields = fs && fl ? strndup(fs, fl) : NULL;
				n++;
				if (!ev[n - 1].source || !ev[n - 1].text)
					goto out_nomem;
			}
		}
	}
	if (rc < 0) {
		ret = reply_error(rq, 422, "%s", vitals_reader_errmsg(r));
		goto out;
	}
	if (n > 1)
		qsort(ev, n, sizeof(*ev), cmp_ev);
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "file");
	jbuf_string(&j, f.id);
	jbuf_key(&j, "events");
	jbuf_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		struct jdoc d;
		char perr[128];

		jbuf_object_begin(&j);
		jbuf_key(&j, "time");
		jbuf_int(&j, ev[i].t);
		jbuf_key(&j, "source");
		jbuf_string(&j, ev[i].source);
		jbuf_key(&j, "text");
		jbuf_string(&j, ev[i].text);
		jbuf_key(&j, "fields");
		/* Stored fields are passed on only when they are a JSON object. */
		if (ev[i].fields &&
		    jdoc_parse(&d, ev[i].fields, strlen(ev[i].fields), perr, sizeof(perr)) == 0) {
			if (d.root->type == JV_OBJECT) {
				jbuf_object_begin(&j);
				for (const struct jv *c = d.root->child; c; c = c->next) {
					jbuf_key(&j, c->key);
					if (c->type == JV_STRING)
						jbuf_stringn(&j, c->str, c->len);
					else if (c->type == JV_NUMBER)
						jbuf_real(&j, c->num);
					else
						jbuf_null(&j);
				}
				jbuf_object_end(&j);
			} else {
				jbuf_null(&j);
			}
			jdoc_release(&d);
		} else {
			jbuf_null(&j);
		}
		jbuf_object_end(&j);
	}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	ret = reply_json(rq, 200, &j);
	goto out;
out_nomem:
	ret = reply_error(rq, 500, "out of memory");
out:
	for (size_t i = 0; i < n; i++) {
		free(ev[i].source);
		free(ev[i].text);
		free(ev[i].fields);
	}
	free(ev);
	if (r)
		vitals_reader_close(r);
	file_release(&f);
	return ret;
}

/*
 * Send events to a `vitals record` writing PATH, through its FIFO: 1 when
 * nobody reads the FIFO, 0 when sent, or a negative status.
 */
static int send_fifo(const char *path, const struct csv_event *ev, size_t n, const char *source,
                     const char *fields)
{
	char fifo[PATH_MAX + 16];
	struct stat st;
	int fd;

	snprintf(fifo, sizeof(fifo), "%s.events", path);
	fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 1;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char line[CSV_TEXT_MAX + 1024];
		int len = snprintf(line, sizeof(line), "@%" PRId64 "\t%s\t%s\t%s\n", ev[i].at,
		                   source, fields ? fields : "", ev[i].text);
		ssize_t w;

		if (len < 0 || (size_t)len >= sizeof(line))
			len = (int)sizeof(line) - 1, line[len - 1] = '\n';
		for (int tries = 0;
		     (w = write(fd, line, (size_t)len)) < 0 && errno == EAGAIN && tries < 500;
		     tries++)
			usleep(10000);
		if (w != len) {
			close(fd);
			return VITALS_E_IO;
		}
	}
	close(fd);
	return 0;
}

/* Add events to file F: through tracing, a recorder's FIFO, or the file itself. */
static enum MHD_Result add_events(struct request *rq, const struct file_ref *f,
                                  const struct csv_event *ev, size_t n, const char *source,
                                  const char *fields)
{
	struct vitals_trace *t = NULL;
	struct vitals_batch *b = NULL;
	struct vitals_recorder *r;
	struct vitals_recorder_options o;
	struct jbuf j;
	char err[1024];
	int rc = 0;

	if (!f->datafile) {
		rc = tracer_add_events(rq->srv, f->name, ev, n, source, fields);
		if (rc < 0)
			return reply_error(rq, 500, "out of memory");
	}
	if (rc == 0) {
		rc = send_fifo(f->path, ev, n, source, fields);
		if (rc < 0)
			return reply_error(
			    rq, 500, "%s.events: cannot send the events to the recorder", f->name);
		rc = rc == 0;
	}
	if (rc == 0) {
		pthread_mutex_lock(&rq->srv->files_mu);
		if (vitals_trace_new(&t) < 0 || vitals_batch_new(&b, vitals_trace_schema(t)) < 0) {
			pthread_mutex_unlock(&rq->srv->files_mu);
			vitals_trace_free(t);
			return reply_error(rq, 500, "out of memory");
		}
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = vitals_trace_add_event(t, b, ev[i].at, source, ev[i].text, fields);
		vitals_recorder_options_init(&o);
		o.no_journal = 1;
		o.no_follow = !f->datafile; /* a link put in the data directory is not followed */
		if (rc < 0) {
			snprintf(err, sizeof(err), "out of memory");
		} else if (vitals_recorder_open(&r, f->path, vitals_trace_schema(t), &o, NULL, err,
		                                sizeof(err)) < 0) {
			rc = -1;
		} else if (vitals_recorder_add(r, b) < 0) {
			snprintf(err, sizeof(err), "%s", vitals_recorder_errmsg(r));
			vitals_recorder_abort(r);
			rc = -1;
		} else if (vitals_recorder_close(r, err, sizeof(err)) < 0) {
			rc = -1;
		}
		pthread_mutex_unlock(&rq->srv->files_mu);
		vitals_batch_free(b);
		vitals_trace_free(t);
		if (rc < 0)
			return reply_error(rq, 422, "%s", err);
	}
	jbuf_init(&j, 4096);
	jbuf_object_begin(&j);
	jbuf_key(&j, "added");
	jbuf_int(&j, (int64_t)n);
	jbuf_key(&j, "file");
	jbuf_string(&j, f->id);
	jbuf_object_end(&j);
	return reply_json(rq, 201, &j);
}

static int json_type_ok(struct request *rq)
{
	char ct[64];

	rq_content_type(rq, ct, sizeof(ct));
	return !ct[0] || strcmp(ct, "application/json") == 0;
}

enum MHD_Result api_events_post(struct request *rq)
{
	struct jdoc d;
	const struct jv *text, *time, *fields;
	struct csv_event ev;
	struct file_ref f;
	struct jbuf fj;
	enum MHD_Result ret;
	char err[256], *clean = NULL, *fields_json = NULL;

	if (!json_type_ok(rq))
		return reply_error(rq, 415,
		                   "the body must be JSON (Content-Type: application/json)");
	if (jdoc_parse(&d, rq->body ? rq->body : "{}", rq->body ? rq->body_len : 2, err,
	               sizeof(err)) < 0)
		return reply_error(rq, 400, "the body is not JSON: %s", err);
	memset(&f, 0, sizeof(f));
	jbuf_init(&fj, SERVE_JSON_BODY_MAX);
	if (d.root->type != JV_OBJECT) {
		ret = reply_error(rq, 400, "the body must be a JSON object");
		goto out;
	}
	for (const struct jv *c = d.root->child; c; c = c->next)
		if (strcmp(c->key, "text") && strcmp(c->key, "time") && strcmp(c->key, "fields")) {
			ret = reply_error(rq, 400, "field '%.64s' is unknown (text, time, fields)",
			                  c->key);
			goto out;
		}
	text = jv_get(d.root, "text");
	if (!text || text->type != JV_STRING || text->len == 0 || strlen(text->str) != text->len) {
		ret = reply_error(rq, 400, "field 'text' must be a non-empty string");
		goto out;
	}
	if (text->len > CSV_TEXT_MAX) {
		ret = reply_error(rq, 400, "field 'text' is longer than %d bytes", CSV_TEXT_MAX);
		goto out;
	}
	ev.at = clock_utc_us();
	time = jv_get(d.root, "time");
	if (time && time->type == JV_NUMBER) {
		if (time->num != floor(time->num) || fabs(time->num) > 2.5e17) {
			ret = reply_error(rq, 400,
			                  "field 'time': not whole microseconds since the epoch");
			goto out;
		}
		ev.at = (int64_t)time->num;
	} else if (time && time->type == JV_STRING) {
		if (param_time(time->str, &ev.at) < 0) {
			ret = reply_error(rq, 400,
			                  "field 'time': '%.64s' is not RFC 3339 (such as "
			                  "2026-11-22T10:00:00Z) or microseconds",
			                  time->str);
			goto out;
		}
	} else if (time && time->type != JV_NULL) {
		ret = reply_error(rq, 400, "field 'time' must be a number or a string");
		goto out;
	}
	fields = jv_get(d.root, "fields");
	if (fields && fields->type != JV_NULL) {
		if (fields->type != JV_OBJECT) {
			ret = reply_error(rq, 400, "field 'fields' must be an object of strings");
			goto out;
		}
		jbuf_object_begin(&fj);
		for (const struct jv *c = fields->child; c; c = c->next) {
			if (c->type != JV_STRING) {
				ret = reply_error(
				    rq, 400, "field 'fields': '%.64s' is not a string", c->key);
				goto out;
			}
			jbuf_key(&fj, c->key);
			jbuf_stringn(&fj, c->str, c->len);
		}
		jbuf_object_end(&fj);
		if (fj.failed) {
			ret = reply_error(rq, 500, "out of memory");
			goto out;
		}
		if (fields->child)
			fields_json = fj.data;
	}
	clean = strdup(text->str);
	if (!clean) {
		ret = reply_error(rq, 500, "out of memory");
		goto out;
	}
	for (char *p = clean; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	ev.text = clean;
	if (file_lookup(rq, &f, &ret) < 0)
		goto out;
	ret = add_events(rq, &f, &ev, 1, "api", fields_json);
out:
	free(clean);
	jbuf_release(&fj);
	jdoc_release(&d);
	file_release(&f);
	return ret;
}

enum MHD_Result api_events_import(struct request *rq)
{
	struct csv_event *ev = NULL;
	struct file_ref f;
	enum MHD_Result ret;
	size_t n = 0, line = 0;
	char err[512], ct[64];
	int rc;

	rq_content_type(rq, ct, sizeof(ct));
	if (ct[0] && strcmp(ct, "text/csv") && strcmp(ct, "text/plain") &&
	    strcmp(ct, "application/csv") && strcmp(ct, "application/octet-stream"))
		return reply_error(rq, 415, "the body must be a CSV (Content-Type: text/csv)");
	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	rc = csv_events_parse(rq->body ? rq->body : "", rq->body ? rq->body_len : 0, &ev, &n, &line,
	                      err, sizeof(err));
	if (rc < 0) {
		ret =
		    reply_error_line(rq, rc == VITALS_E_NOMEM && line == 0 ? 500 : 400, line, err);
		goto out;
	}
	if (n == 0) {
		ret = reply_error_line(rq, 400, 1,
		                       "the CSV has no event lines; nothing was imported");
		goto out;
	}
	ret = add_events(rq, &f, ev, n, "import", NULL);
out:
	csv_events_free(ev, n);
	file_release(&f);
	return ret;
}

/* ---- the live machine: process tree and PID finder ----------------------------- */

static void node_json(struct jbuf *j, const struct vitals_proctree *t, size_t i, int full)
{
	const struct vitals_proctree_node *n = vitals_proctree_node(t, i);
	char state[2] = {n->state, '\0'};

	jbuf_object_begin(j);
	jbuf_key(j, "pid");
	jbuf_int(j, n->pid);
	jbuf_key(j, "ppid");
	jbuf_int(j, n->ppid);
	jbuf_key(j, "name");
	jbuf_string(j, n->name);
	jbuf_key(j, "cmdline");
	jbuf_string(j, n->cmdline);
	jbuf_key(j, "user");
	jbuf_string(j, n->user);
	jbuf_key(j, "state");
	jbuf_string(j, n->state ? state : NULL);
	jbuf_key(j, "threads");
	if (n->threads >= 0)
		jbuf_int(j, n->threads);
	else
		jbuf_null(j);
	jbuf_key(j, "rss_bytes");
	jbuf_real(j, n->rss_bytes);
	jbuf_key(j, "cpu_percent");
	jbuf_real(j, n->cpu_percent);
	if (full) {
		jbuf_key(j, "start_time");
		jbuf_int(j, n->start_time);
		jbuf_key(j, "subtree_processes");
		jbuf_int(j, n->subtree_processes);
		jbuf_key(j, "subtree_threads");
		jbuf_int(j, n->subtree_threads);
		jbuf_key(j, "subtree_rss_bytes");
		jbuf_real(j, n->subtree_rss_bytes);
		jbuf_key(j, "subtree_cpu_percent");
		jbuf_real(j, n->subtree_cpu_percent);
		jbuf_key(j, "children");
		jbuf_array_begin(j);
		for (size_t c = 0; c < n->child_count; c++)
			jbuf_int(j, vitals_proctree_node(t, vitals_proctree_child(t, i, c))->pid);
		jbuf_array_end(j);
	}
	jbuf_object_end(j);
}

/* Node I and its descendants down to DEPTH levels (-1: all), depth first. */
static int tree_walk(struct jbuf *j, const struct vitals_proctree *t, size_t root, int64_t depth,
                     size_t *count)
{
	size_t n = vitals_proctree_count(t);
	size_t *stack = malloc((n + 1) * sizeof(*stack) * 2), top = 0;

	if (!stack)
		return VITALS_E_NOMEM;
	stack[top++] = root;
	stack[top++] = 0;
	while (top) {
		size_t lvl = stack[--top], i = stack[--top];
		const struct vitals_proctree_node *nd = vitals_proctree_node(t, i);

		node_json(j, t, i, 1);
		(*count)++;
		if (depth >= 0 && (int64_t)lvl >= depth)
			continue;
		for (size_t c = nd->child_count; c > 0 && top + 2 <= 2 * (n + 1); c--) {
			stack[top++] = vitals_proctree_child(t, i, c - 1);
			stack[top++] = lvl + 1;
		}
	}
	free(stack);
	return 0;
}

enum MHD_Result api_proctree(struct request *rq)
{
	const char *pid_s = rq_arg(rq, "pid"), *depth_s = rq_arg(rq, "depth");
	int64_t pid = 0, depth = -1;
	struct vitals_collector *c;
	struct vitals_proctree *t = NULL;
	struct jbuf j;
	size_t count = 0, root = SIZE_MAX;
	int64_t now;
	char err[512];
	int rc = 0;

	if (pid_s && param_int(pid_s, 1, 4194304, &pid) < 0)
		return reply_error(rq, 400, "parameter 'pid': '%.40s' is not a process id", pid_s);
	if (depth_s && param_int(depth_s, 0, 1000000, &depth) < 0)
		return reply_error(rq, 400, "parameter 'depth': '%.40s' is not an integer >= 0",
		                   depth_s);
	c = live_acquire(rq->srv, 1, err, sizeof(err));
	if (!c)
		return reply_error(rq, 500, "%s", err);
	now = vitals_collector_time(c);
	rc = vitals_proctree_build(&t, c);
	live_release(rq->srv);
	if (rc < 0)
		return reply_error(rq, 500, "out of memory");
	if (pid) {
		root = vitals_proctree_find(t, (pid_t)pid);
		if (root == SIZE_MAX) {
			vitals_proctree_free(t);
			return reply_error(rq, 404, "no process %lld", (long long)pid);
		}
	}
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "time");
	jbuf_int(&j, now);
	jbuf_key(&j, "root");
	if (pid)
		jbuf_int(&j, pid);
	else
		jbuf_null(&j);
	jbuf_key(&j, "processes");
	jbuf_array_begin(&j);
	if (pid) {
		rc = tree_walk(&j, t, root, depth, &count);
	} else {
		for (size_t i = 0; rc == 0 && i < vitals_proctree_count(t); i++)
			if (vitals_proctree_node(t, i)->parent == SIZE_MAX)
				rc = tree_walk(&j, t, i, depth, &count);
	}
	jbuf_array_end(&j);
	jbuf_key(&j, "count");
	jbuf_int(&j, (int64_t)count);
	jbuf_object_end(&j);
	vitals_proctree_free(t);
	if (rc < 0) {
		jbuf_release(&j);
		return reply_error(rq, 500, "out of memory");
	}
	return reply_json(rq, 200, &j);
}

struct match {
	size_t node;
	double rss;
};

static int cmp_match(const void *a, const void *b)
{
	double x = ((const struct match *)a)->rss, y = ((const struct match *)b)->rss;

	x = isnan(x) ? -1 : x;
	y = isnan(y) ? -1 : y;
	return x < y ? 1 : x > y ? -1 : 0;
}

enum MHD_Result api_pids(struct request *rq)
{
	const char *q = rq_arg(rq, "q"), *lim = rq_arg(rq, "limit");
	int64_t limit = 50, as_pid = -1;
	struct vitals_collector *c;
	struct vitals_proctree *t = NULL;
	struct match *m;
	struct jbuf j;
	size_t n = 0, total;
	char err[512];
	int rc;

	if (!q || !*q)
		return reply_error(rq, 400,
		                   "parameter 'q' is missing: a name, command line or pid");
	if (strlen(q) > 256)
		return reply_error(rq, 400, "parameter 'q' is longer than 256 bytes");
	if (lim && param_int(lim, 1, 500, &limit) < 0)
		return reply_error(rq, 400,
		                   "parameter 'limit': '%.40s' is not an integer in [1, 500]", lim);
	param_int(q, 1, 4194304, &as_pid);
	c = live_acquire(rq->srv, 1, err, sizeof(err));
	if (!c)
		return reply_error(rq, 500, "%s", err);
	rc = vitals_proctree_build(&t, c);
	live_release(rq->srv);
	if (rc < 0)
		return reply_error(rq, 500, "out of memory");
	total = vitals_proctree_count(t);
	m = calloc(total ? total : 1, sizeof(*m));
	if (!m) {
		vitals_proctree_free(t);
		return reply_error(rq, 500, "out of memory");
	}
	for (size_t i = 0; i < total; i++) {
		const struct vitals_proctree_node *nd = vitals_proctree_node(t, i);

		if ((as_pid > 0 && nd->pid == as_pid) || strcasestr(nd->name, q) ||
		    strcasestr(nd->cmdline, q)) {
			m[n].node = i;
			m[n].rss = nd->rss_bytes;
			n++;
		}
	}
	qsort(m, n, sizeof(*m), cmp_match);
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "query");
	jbuf_string(&j, q);
	jbuf_key(&j, "matches");
	jbuf_array_begin(&j);
	for (size_t i = 0; i < n && (int64_t)i < limit; i++)
		node_json(&j, t, m[i].node, 0);
	jbuf_array_end(&j);
	jbuf_key(&j, "truncated");
	jbuf_bool(&j, (int64_t)n > limit);
	jbuf_object_end(&j);
	free(m);
	vitals_proctree_free(t);
	return reply_json(rq, 200, &j);
}

/* ---- leaks ------------------------------------------------------------------ */

enum MHD_Result api_leaks(struct request *rq)
{
	const char *conf = rq_arg(rq, "min_confidence"), *all = rq_arg(rq, "all");
	const char *from_s = rq_arg(rq, "from"), *to_s = rq_arg(rq, "to");
	struct leak_options o;
	struct series_set *set = NULL;
	struct leak_report *rep = NULL;
	struct file_ref f;
	struct jbuf j;
	enum MHD_Result ret;
	char err[1024], note[256];
	int a = 0;

	leak_options_init(&o);
	if (conf && param_real(conf, 0, 1, &o.min_confidence) < 0)
		return reply_error(rq, 400, "parameter 'min_confidence': '%.40s' is not in [0, 1]",
		                   conf);
	if (all && param_bool(all, &a) < 0)
		return reply_error(rq, 400, "parameter 'all': '%.40s' is not 0 or 1", all);
	o.all = a;
	if (from_s && param_time(from_s, &o.from) < 0)
		return reply_error(
		    rq, 400, "parameter 'from': '%.64s' is not RFC 3339 or microseconds", from_s);
	if (to_s && param_time(to_s, &o.to) < 0)
		return reply_error(rq, 400,
		                   "parameter 'to': '%.64s' is not RFC 3339 or microseconds", to_s);
	if (file_lookup(rq, &f, &ret) < 0)
		return ret;
	o.no_follow = !f.datafile;
	if (leaks_load(&set, f.path, &o, err, sizeof(err)) < 0) {
		ret = reply_error(rq, 422, "%s", err);
		goto out;
	}
	if (leaks_analyze(set, &o, &rep, err, sizeof(err)) < 0) {
		ret = reply_error(rq, 500, "%s", err);
		goto out;
	}
	jbuf_init(&j, SERVE_ANSWER_MAX);
	jbuf_object_begin(&j);
	jbuf_key(&j, "file");
	jbuf_string(&j, f.id);
	jbuf_key(&j, "analysed");
	jbuf_int(&j, (int64_t)rep->analysed);
	jbuf_key(&j, "suspects");
	jbuf_int(&j, (int64_t)rep->suspects);
	jbuf_key(&j, "available_bytes");
	jbuf_real(&j, rep->available);
	jbuf_key(&j, "items");
	jbuf_array_begin(&j);
	for (size_t i = 0; i < rep->count; i++) {
		const struct leak_suspect *sp = &rep->items[i];

		jbuf_object_begin(&j);
		jbuf_key(&j, "kind");
		jbuf_string(&j, leak_kind_name(sp->kind));
		jbuf_key(&j, "id");
		jbuf_string(&j, sp->id);
		jbuf_key(&j, "name");
		jbuf_string(&j, sp->name);
		jbuf_key(&j, "metric");
		jbuf_string(&j, sp->metric);
		jbuf_key(&j, "pid");
		if (sp->pid >= 0)
			jbuf_int(&j, sp->pid);
		else
			jbuf_null(&j);
		jbuf_key(&j, "start_time");
		if (sp->start_time >= 0)
			jbuf_int(&j, sp->start_time);
		else
			jbuf_null(&j);
		jbuf_key(&j, "members");
		jbuf_int(&j, (int64_t)sp->members);
		jbuf_key(&j, "suspect");
		jbuf_bool(&j, sp->suspect);
		jbuf_key(&j, "rate");
		jbuf_real(&j, sp->rate);
		jbuf_key(&j, "confidence");
		jbuf_real(&j, sp->confidence);
		jbuf_key(&j, "start");
		jbuf_int(&j, sp->start);
		jbuf_key(&j, "first");
		jbuf_int(&j, sp->first);
		jbuf_key(&j, "last");
		jbuf_int(&j, sp->last);
		jbuf_key(&j, "growth");
		jbuf_real(&j, sp->growth);
		jbuf_key(&j, "first_value");
		jbuf_real(&j, sp->first_value);
		jbuf_key(&j, "last_value");
		jbuf_real(&j, sp->last_value);
		jbuf_key(&j, "noise");
		jbuf_real(&j, sp->noise);
		jbuf_key(&j, "projection_seconds");
		jbuf_real(&j, sp->projection);
		jbuf_key(&j, "bytes");
		jbuf_bool(&j, sp->bytes);
		jbuf_key(&j, "heap");
		jbuf_string(&j, sp->heap == LEAK_HEAP_GROWS       ? "grows"
		                : sp->heap == LEAK_HEAP_RETENTION ? "retention"
		                                                  : NULL);
		jbuf_key(&j, "heap_rate");
		jbuf_real(&j, sp->heap_rate);
		jbuf_key(&j, "explained_by");
		if (sp->explained_by >= 0)
			jbuf_int(&j, sp->explained_by);
		else
			jbuf_null(&j);
		jbuf_key(&j, "explained_start_time");
		if (sp->explained_by >= 0 && sp->explained_start_time >= 0)
			jbuf_int(&j, sp->explained_start_time);
		else
			jbuf_null(&j);
		jbuf_key(&j, "note");
		jbuf_string(&j, *leak_suspect_note(sp, note, sizeof(note)) ? note : NULL);
		jbuf_object_end(&j);
	}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	ret = reply_json(rq, 200, &j);
out:
	leak_report_free(rep);
	series_set_free(set);
	file_release(&f);
	return ret;
}

/* ---- tracing control ----------------------------------------------------------- */

enum MHD_Result api_tracing_get(struct request *rq)
{
	struct jbuf j;

	jbuf_init(&j, 1 << 16);
	tracer_status(rq->srv, &j);
	return reply_json(rq, 200, &j);
}

static enum MHD_Result tracing_answer(struct request *rq, unsigned status)
{
	struct jbuf j;

	jbuf_init(&j, 1 << 16);
	tracer_status(rq->srv, &j);
	return reply_json(rq, status, &j);
}

enum MHD_Result api_tracing_start(struct request *rq)
{
	struct trace_request tr;
	struct jdoc d;
	enum MHD_Result ret;
	char err[1024];
	int rc;

	if (!json_type_ok(rq))
		return reply_error(rq, 415,
		                   "the body must be JSON (Content-Type: application/json)");
	if (jdoc_parse(&d, rq->body && rq->body_len ? rq->body : "{}",
	               rq->body && rq->body_len ? rq->body_len : 2, err, sizeof(err)) < 0)
		return reply_error(rq, 400, "the body is not JSON: %s", err);
	memset(&tr, 0, sizeof(tr));
	snprintf(tr.output, sizeof(tr.output), "vitals.parquet");
	tr.sample_interval = 1;
	tr.write_interval = 10;
	tr.gpu = 1;
	tr.containers = 1;
	if (d.root->type != JV_OBJECT) {
		ret = reply_error(rq, 400, "the body must be a JSON object");
		goto out;
	}
	for (const struct jv *c = d.root->child; c; c = c->next) {
		if (strcmp(c->key, "output") == 0) {
			if (c->type != JV_STRING) {
				ret = reply_error(rq, 400, "field 'output' must be a string");
				goto out;
			}
			if (name_check(c->str, c->len, err, sizeof(err)) < 0) {
				ret = reply_error(rq, 400, "field 'output': %s", err);
				goto out;
			}
			snprintf(tr.output, sizeof(tr.output), "%s", c->str);
		} else if (strcmp(c->key, "sample_interval") == 0 ||
		           strcmp(c->key, "write_interval") == 0) {
			int sample = c->key[0] == 's';

			if (c->type != JV_NUMBER || !(c->num >= 0.05) || c->num > 3600) {
				ret = reply_error(
				    rq, 400,
				    "field '%s' must be a number of seconds in [0.05, 3600]",
				    c->key);
				goto out;
			}
			if (sample)
				tr.sample_interval = c->num;
			else
				tr.write_interval = c->num;
		} else if (strcmp(c->key, "gpu") == 0 || strcmp(c->key, "containers") == 0) {
			if (c->type != JV_BOOL) {
				ret = reply_error(rq, 400, "field '%s' must be true or false",
				                  c->key);
				goto out;
			}
			if (c->key[0] == 'g')
				tr.gpu = c->b;
			else
				tr.containers = c->b;
		} else {
			ret = reply_error(rq, 400,
			                  "field '%.64s' is unknown (output, sample_interval, "
			                  "write_interval, gpu, containers)",
			                  c->key);
			goto out;
		}
	}
	if (tr.write_interval < tr.sample_interval) {
		ret = reply_error(rq, 400,
		                  "field 'write_interval' (%g s) is shorter than "
		                  "'sample_interval' (%g s)",
		                  tr.write_interval, tr.sample_interval);
		goto out;
	}
	rc = tracer_start(rq->srv, &tr, err, sizeof(err));
	ret = rc ? reply_error(rq, (unsigned)rc, "%s", err) : tracing_answer(rq, 201);
out:
	jdoc_release(&d);
	return ret;
}

enum MHD_Result api_tracing_stop(struct request *rq)
{
	char err[1024];
	int rc = tracer_stop(rq->srv, err, sizeof(err));

	return rc ? reply_error(rq, (unsigned)rc, "%s", err) : tracing_answer(rq, 200);
}

enum MHD_Result api_tracing_snapshot(struct request *rq)
{
	char err[1024];
	int rc = tracer_snapshot(rq->srv, err, sizeof(err));

	return rc ? reply_error(rq, (unsigned)rc, "%s", err) : tracing_answer(rq, 200);
}
