/*
 * The recorder (include/vitals/record.h): a journal beside the output, and
 * atomic rewrites of the output that reuse its sealed row groups.
 *
 * Parquet: the output is the sealed row groups, then one row group of every
 * row taken since the last seal, then the footer. That last row group is a
 * stream (src/store/stream.h): rows are encoded into its pages as they
 * come, and each write writes its pages as they stand; once it is big
 * enough a write seals it. After every write the journal starts again,
 * empty. The footer's metadata says how many row groups are sealed and
 * which journal records the file holds ("vitals.journal_written" = "GEN
 * SEQ": records of journal GEN up to SEQ), so a recovery after a kill
 * between the rename and the new journal never counts a row twice; a
 * recovery reads the unsealed row groups back into the stream, then adds
 * the journal's records.
 *
 * CSV and JSON lines: every write appends, so every write seals. The
 * journal's header keeps the size of the output it follows: an output of
 * another size already holds the journal's rows.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vitals/record.h>

#include "record/journal.h"
#include "store/codec.h"
#include "store/stream.h"

#define ERR_MAX      512
#define SEAL_ROWS    ((size_t)1 << 20)
#define SEAL_BYTES   ((uint64_t)4 << 20) /* of encoded pages */
#define META_SEALED  "vitals.sealed_row_groups"
#define META_WRITTEN "vitals.journal_written"
/* Before META_WRITTEN: "GEN SEQ" of the records in sealed row groups only (read, not written). */
#define META_JOURNAL "vitals.journal"

/*
 * One of the two files the output alternates between (".NAME.tmp-PID.a"
 * and ".b", hard links of the output in turn). PREFIX: its first bytes
 * that are the output's sealed part, as they are in the other.
 */
struct twin {
	int fd;
	char *path;
	int unnamed; /* renamed over the output itself (no hard links here): FD has no name of its
	                own */
	uint64_t prefix;
};

struct vitals_recorder {
	char *path;         /* the output */
	char *journal_path; /* PATH.journal */
	char *dir;          /* its directory, for fsync after a rename */
	enum vitals_format format;
	struct vitals_schema schema;
	struct vitals_recorder_options opts;
	struct vitals_kv *meta; /* the caller's metadata, then ours */
	size_t meta_count;

	int base_fd;        /* the output as last written, or -1 */
	uint64_t base_size; /* its bytes */
	struct twin twin[2];
	int cur;              /* the twin that is the output, or -1 (base_fd is another file) */
	uint64_t sealed_end;  /* bytes of the output that are sealed (Parquet: up to its last sealed
	                         row group) */
	char *tmp;            /* the name a twin takes before it is renamed over the output */
	uint32_t sealed;      /* row groups of the output that are sealed */
	int64_t rows_written; /* rows in the output */
	int64_t sealed_rows;  /* rows in its sealed row groups (Parquet) or in all of it (text) */
	/* What the output's metadata says is sealed; true only beside the journal it names. */
	uint32_t meta_sealed;
	int64_t meta_sealed_rows;
	int64_t unsealed_from; /* least time of the row groups past them; INT64_MIN unknown */
	int written_mark;      /* the mark is META_WRITTEN's: unsealed rows are in the output */

	int journal_fd; /* -1 when the journal failed: rows wait in MEM */
	struct journal_scratch scratch;
	uint64_t gen; /* the journal's */
	uint64_t seq; /* the last record's */
	/* Records of journal SKIP_GEN up to SKIP_SEQ are in the output already. */
	uint64_t skip_gen, skip_seq;
	int skip_all;

	int64_t unsealed_rows;    /* rows since the seal */
	int64_t unwritten_rows;   /* rows taken since the last write */
	struct pq_stream *stream; /* Parquet: the rows since the seal, encoded as they come */
	struct store_kept kept;   /* Parquet: the sealed row groups' footer entries, once known */
	int kept_valid;
	int64_t unjournaled;      /* Parquet: rows of the stream the journal lacks */
	struct vitals_batch *mem; /* text formats: rows the journal could not take */
	size_t max_pending;
	int64_t dropped;

	char err[ERR_MAX];
};

void vitals_recorder_options_init(struct vitals_recorder_options *o)
{
	memset(o, 0, sizeof(*o));
	vitals_write_options_init(&o->write);
	o->seal_rows = SEAL_ROWS;
	o->seal_bytes = SEAL_BYTES;
}

static int rec_fail(struct vitals_recorder *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rec_fail(struct vitals_recorder *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return status;
}

static uint64_t new_gen(void)
{
	uint64_t g = 0;

	while (g == 0)
		if (getrandom(&g, sizeof(g), 0) != sizeof(g))
			g = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL);
	return g;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

static void recorder_free(struct vitals_recorder *r)
{
	if (!r)
		return;
	if (r->base_fd >= 0 && r->cur < 0)
		close(r->base_fd);
	for (int i = 0; i < 2; i++) {
		if (r->twin[i].fd >= 0)
			close(r->twin[i].fd);
		/* The output keeps its own name; the twins' go. */
		if (r->twin[i].path && !r->twin[i].unnamed)
			unlink(r->twin[i].path);
		free(r->twin[i].path);
	}
	free(r->tmp);
	if (r->journal_fd >= 0)
		close(r->journal_fd);
	pq_stream_free(r->stream);
	store_kept_release(&r->kept);
	vitals_batch_free(r->mem);
	journal_scratch_release(&r->scratch);
	vitals_schema_release(&r->schema);
	for (size_t i = 0; i < r->meta_count; i++) {
		free((char *)r->meta[i].key);
		free((char *)r->meta[i].value);
	}
	free(r->meta);
	free(r->path);
	free(r->journal_path);
	free(r->dir);
	free(r);
}

/* Set metadata KEY to VALUE (copied), replacing an earlier value. */
static int meta_set(struct vitals_recorder *r, const char *key, const char *value)
{
	char *v = strdup(value), *k;
	void *q;

	if (!v)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < r->meta_count; i++)
		if (strcmp(r->meta[i].key, key) == 0) {
			free((char *)r->meta[i].value);
			r->meta[i].value = v;
			return VITALS_OK;
		}
	k = strdup(key);
	q = realloc(r->meta, (r->meta_count + 1) * sizeof(*r->meta));
	if (!k || !q) {
		free(k);
		free(v);
		if (q)
			r->meta = q;
		return VITALS_E_NOMEM;
	}
	r->meta = q;
	r->meta[r->meta_count].key = k;
	r->meta[r->meta_count].value = v;
	r->meta_count++;
	return VITALS_OK;
}

static void meta_del(struct vitals_recorder *r, const char *key)
{
	for (size_t i = 0; i < r->meta_count; i++)
		if (strcmp(r->meta[i].key, key) == 0) {
			free((char *)r->meta[i].key);
			free((char *)r->meta[i].value);
			r->meta[i] = r->meta[--r->meta_count];
			return;
		}
}

/* ---- the output as it is ----------------------------------------------- */

/*
 * An existing CSV output must start with the header of these columns (the
 * first write compares it byte for byte; here it is only refused early,
 * before a journal is made for it).
 */
static int check_csv_header(struct vitals_recorder *r)
{
	char *want = NULL, *got;
	size_t len = 0, n;
	FILE *f = open_memstream(&want, &len);
	int rc = VITALS_OK;

	if (!f)
		return rec_fail(r, VITALS_E_NOMEM, "out of memory");
	for (size_t i = 0; i < r->schema.count; i++)
		fprintf(f, "%s%s", i ? "," : "", r->schema.fields[i].name);
	fputc('\n', f);
	if (fclose(f) != 0)
		return rec_fail(r, VITALS_E_NOMEM, "out of memory");
	got = malloc(len);
	if (!got) {
		free(want);
		return rec_fail(r, VITALS_E_NOMEM, "out of memory");
	}
	n = (size_t)pread(r->base_fd, got, len, 0);
	if (n != len || memcmp(got, want, len) != 0)
		rc = rec_fail(r, VITALS_E_INVAL,
		              "%s: the output exists with other columns (another version of the "
		              "trace?); record to another file",
		              r->path);
	free(got);
	free(want);
	return rc;
}

/* Learn what the existing output holds: its columns, sealed row groups, journal marks. */
static int read_output(struct vitals_recorder *r)
{
	struct vitals_read_options ro;
	struct vitals_reader *rd;
	struct stat st;
	char err[ERR_MAX];
	const char *v;
	int rc;

	r->base_fd = open(r->path, O_RDONLY | O_CLOEXEC | (r->opts.no_follow ? O_NOFOLLOW : 0));
	if (r->base_fd < 0) {
		if (errno == ENOENT)
			return VITALS_OK;
		return rec_fail(
		    r, errno == ELOOP ? VITALS_E_PERM : VITALS_E_IO, "%s: cannot open: %s", r->path,
		    errno == ELOOP && r->opts.no_follow ? "a symbolic link, not followed"
		                                        : strerror(errno));
	}
	if (fstat(r->base_fd, &st) < 0)
		return rec_fail(r, VITALS_E_IO, "%s: %s", r->path, strerror(errno));
	r->base_size = (uint64_t)st.st_size;
	if (r->format != VITALS_FORMAT_PARQUET) {
		r->sealed_rows = r->rows_written = -1;
		return r->format == VITALS_FORMAT_CSV ? check_csv_header(r) : VITALS_OK;
	}
	vitals_read_options_init(&ro);
	ro.no_follow = r->opts.no_follow;
	rc = vitals_reader_open(&rd, r->path, &ro, err, sizeof(err));
	if (rc < 0)
		return rec_fail(r, rc, "%s (the output exists but cannot be continued)", err);
	if (!vitals_schema_equal(vitals_reader_schema(rd), &r->schema)) {
		vitals_reader_close(rd);
		return rec_fail(r, VITALS_E_INVAL,
		                "%s: the output exists with other columns (another version of the "
		                "trace?); record to another file",
		                r->path);
	}
	r->rows_written = vitals_reader_row_count(rd);
	rc = VITALS_OK;
	/* The output's metadata stays, under what the caller gives anew. */
	for (size_t i = 0; rc == 0 && i < vitals_reader_meta_count(rd); i++) {
		const struct vitals_kv *kv = vitals_reader_meta_at(rd, i);
		int known = 0;

		for (size_t j = 0; j < r->meta_count; j++)
			known |= strcmp(r->meta[j].key, kv->key) == 0;
		if (!known && kv->value && meta_set(r, kv->key, kv->value) < 0)
			rc = rec_fail(r, VITALS_E_NOMEM, "out of memory");
	}
	{
		struct vitals_file_info *info;

		if (vitals_file_describe_opts(&info, r->path, &ro, err, sizeof(err)) < 0) {
			vitals_reader_close(rd);
			return rec_fail(r, VITALS_E_PARSE, "%s", err);
		}
		/* Without the journal its mark names, every row group is sealed. */
		r->sealed = (uint32_t)info->row_group_count;
		r->sealed_rows = r->rows_written;
		r->meta_sealed = r->sealed;
		v = vitals_reader_meta(rd, META_SEALED);
		if (v) {
			char *end;
			unsigned long n = strtoul(v, &end, 10);

			if (*end || n > info->row_group_count)
				rc = rec_fail(r, VITALS_E_PARSE, "%s: metadata %s is '%s'", r->path,
				              META_SEALED, v);
			else
				r->meta_sealed = (uint32_t)n;
		}
		r->meta_sealed_rows = 0;
		for (uint32_t g = 0; g < r->meta_sealed && g < info->row_group_count; g++)
			r->meta_sealed_rows += info->row_groups[g].rows;
		r->unsealed_from = INT64_MAX;
		{
			int tc = vitals_schema_find(&r->schema, "time");

			for (size_t g = r->meta_sealed; g < info->row_group_count; g++) {
				const struct vitals_chunk_info *ci =
				    tc >= 0 ? &info->row_groups[g].columns[tc] : NULL;

				if (!ci || !ci->has_int_stats)
					r->unsealed_from = INT64_MIN;
				else if (ci->min_i < r->unsealed_from)
					r->unsealed_from = ci->min_i;
			}
		}
		vitals_file_info_free(info);
	}
	{
		const char *key = META_WRITTEN;

		v = vitals_reader_meta(rd, key);
		r->written_mark = v != NULL;
		if (!v)
			v = vitals_reader_meta(rd, key = META_JOURNAL);
		if (rc == 0 && v &&
		    sscanf(v, "%" SCNx64 " %" SCNu64, &r->skip_gen, &r->skip_seq) != 2)
			rc =
			    rec_fail(r, VITALS_E_PARSE, "%s: metadata %s is '%s'", r->path, key, v);
	}
	vitals_reader_close(rd);
	return rc;
}

/* ---- the journal ------------------------------------------------------- */

struct replay {
	struct vitals_recorder *r;
	struct vitals_batch *into; /* NULL: only count */
	struct pq_stream *stream;  /* or into this */
	int64_t rows;
	uint64_t kept;
};

static int replay_record(void *ctx, uint64_t seq, const struct vitals_batch *b)
{
	struct replay *p = ctx;
	struct vitals_recorder *r = p->r;

	if (r->skip_all || (r->skip_gen == r->gen && seq <= r->skip_seq))
		return 0;
	p->rows += (int64_t)b->rows;
	p->kept++;
	if (p->into)
		return vitals_batch_append(p->into, b, 0, b->rows, NULL);
	if (p->stream)
		return pq_stream_append(p->stream, b);
	return 0;
}

/* Pass over the output's rows from r->unsealed_from on: count them, or put those past SKIP into the
 * stream. */
static int unsealed_pass(struct vitals_recorder *r, int64_t skip, int64_t *count)
{
	struct vitals_read_options ro;
	struct vitals_reader *rd;
	struct vitals_batch *part = NULL;
	const struct vitals_batch *b;
	char err[ERR_MAX];
	int64_t at = 0;
	int rc;

	vitals_read_options_init(&ro);
	ro.no_follow = r->opts.no_follow;
	ro.from = r->unsealed_from;
	if ((rc = vitals_reader_open(&rd, r->path, &ro, err, sizeof(err))) < 0)
		return rec_fail(r, rc, "%s", err);
	if (count == NULL && (rc = vitals_batch_new(&part, &r->schema)) < 0) {
		vitals_reader_close(rd);
		return rec_fail(r, rc, "out of memory");
	}
	while ((rc = vitals_reader_next(rd, &b)) > 0) {
		int64_t first = skip > at ? skip - at : 0;

		at += (int64_t)b->rows;
		if (count || first >= (int64_t)b->rows)
			continue;
		vitals_batch_clear(part);
		rc = vitals_batch_append(part, b, (size_t)first, b->rows - (size_t)first, NULL);
		if (rc == 0)
			rc = pq_stream_append(r->stream, part);
		if (rc < 0)
			break;
	}
	if (rc < 0)
		rec_fail(r, rc, "%s: reading its last row group: %s", r->path,
		         vitals_reader_errmsg(rd)[0] ? vitals_reader_errmsg(rd)
		                                     : pq_stream_errmsg(r->stream));
	if (count)
		*count = at;
	vitals_batch_free(part);
	vitals_reader_close(rd);
	return rc;
}

/*
 * The rows of the output's unsealed row groups, which a recorder killed
 * after writing them leaves, go back into the stream: the rows from their
 * least time on, but for those of sealed row groups that come first.
 */
static int load_unsealed(struct vitals_recorder *r)
{
	int64_t want = r->rows_written - r->meta_sealed_rows, got = 0;
	int rc;

	if (want <= 0)
		return VITALS_OK;
	if ((rc = unsealed_pass(r, 0, &got)) < 0)
		return rc;
	if (got < want)
		return rec_fail(r, VITALS_E_PARSE,
		                "%s: its last row group has %" PRId64 " rows, not %" PRId64,
		                r->path, got, want);
	if ((rc = unsealed_pass(r, got - want, NULL)) < 0)
		return rc;
	r->unsealed_rows = want;
	/* Rows of earlier writes: their open pages end at the first write. */
	if (pq_stream_end_pages(r->stream) < 0)
		return rec_fail(r, VITALS_E_NOMEM, "%s", pq_stream_errmsg(r->stream));
	return VITALS_OK;
}

/*
 * Take up a journal left by a recorder that did not close: its records not
 * yet in the output become this recorder's unsealed rows, and it goes on
 * appending to it.
 */
static int adopt_journal(struct vitals_recorder *r, int64_t *recovered)
{
	struct journal_info info;
	struct replay p = {r, NULL, NULL, 0, 0};
	char err[ERR_MAX];
	int fd, rc;

	*recovered = 0;
	fd = open(r->journal_path, O_RDWR | O_CLOEXEC | (r->opts.no_follow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		if (errno == ENOENT)
			return 1; /* none */
		return rec_fail(r, VITALS_E_IO, "%s: cannot open: %s", r->journal_path,
		                strerror(errno));
	}
	/* Peek at the header for the generation, then count with the skip rule. */
	rc = journal_read(fd, &info, NULL, NULL, err, sizeof(err));
	if (rc < 0) {
		close(fd);
		return rec_fail(r, rc, "%s: %s (move it away to record again)", r->journal_path,
		                err);
	}
	if (!vitals_schema_equal(&info.schema, &r->schema)) {
		journal_info_release(&info);
		close(fd);
		return rec_fail(r, VITALS_E_INVAL,
		                "%s: the journal has other columns than this recording; fold it "
		                "in with `vitals recover` first",
		                r->journal_path);
	}
	r->gen = info.gen;
	r->skip_all = r->format != VITALS_FORMAT_PARQUET && r->base_size != info.base_size;
	journal_info_release(&info);
	if (r->format != VITALS_FORMAT_PARQUET) {
		/* Text: every write appends all; the journal's header says after which size. */
	} else if (r->base_fd >= 0 && r->written_mark) {
		/* The output's unsealed row groups grow on: their rows go back into the stream. */
		r->sealed = r->meta_sealed;
		r->sealed_rows = r->meta_sealed_rows;
		if ((rc = load_unsealed(r)) < 0) {
			close(fd);
			return rc;
		}
	} else if (r->base_fd >= 0 && r->gen == r->skip_gen) {
		/* An output of an older recorder: its last row group is rebuilt from the journal.
		 */
		r->sealed = r->meta_sealed;
		r->sealed_rows = r->meta_sealed_rows;
	}
	p.stream = r->stream; /* Parquet: the rows go into the growing row group now */
	rc = journal_read(fd, &info, replay_record, &p, err, sizeof(err));
	if (rc < 0) {
		close(fd);
		if (r->stream && pq_stream_errmsg(r->stream)[0])
			return rec_fail(r, rc, "%s: %s", r->journal_path,
			                pq_stream_errmsg(r->stream));
		return rec_fail(r, rc, "%s: %s", r->journal_path, err);
	}
	/* A record cut short by the kill goes; later records follow the good ones. */
	if (info.torn && ftruncate(fd, (off_t)info.good_end) < 0) {
		journal_info_release(&info);
		close(fd);
		return rec_fail(r, VITALS_E_IO, "%s: cannot cut the torn record: %s",
		                r->journal_path, strerror(errno));
	}
	r->seq = info.last_seq;
	journal_info_release(&info);
	r->journal_fd = fd;
	r->unsealed_rows += p.rows;
	r->unwritten_rows = p.rows;
	*recovered = p.rows;
	/* An older recorder's output holds the first of them in its last row group. */
	if (!r->written_mark && r->rows_written >= 0 && r->sealed_rows >= 0)
		*recovered -= r->rows_written - r->sealed_rows;
	if (*recovered < 0)
		*recovered = 0;
	return 0;
}

/*
 * Remove the temporary files a killed writer of this output left:
 * ".NAME.tmp-PID" and "NAME.journal.tmp-PID" whose PID no longer runs.
 */
static void remove_stale_temporaries(struct vitals_recorder *r)
{
	const char *base = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
	size_t blen = strlen(base);
	struct dirent *d;
	DIR *dir = opendir(r->dir);

	while (dir && (d = readdir(dir))) {
		const char *tail = NULL;
		int twin = 0;
		char *end;
		long pid;

		if (d->d_name[0] == '.' && strncmp(d->d_name + 1, base, blen) == 0 &&
		    strncmp(d->d_name + 1 + blen, ".tmp-", 5) == 0)
			tail = d->d_name + 1 + blen + 5, twin = 1;
		else if (strncmp(d->d_name, base, blen) == 0 &&
		         strncmp(d->d_name + blen, ".journal.tmp-", 13) == 0)
			tail = d->d_name + blen + 13;
		if (!tail)
			continue;
		pid = strtol(tail, &end, 10);
		if (twin && (!strcmp(end, ".a") || !strcmp(end, ".b")))
			end += 2;
		if (*end || pid <= 0 || (kill((pid_t)pid, 0) == 0 || errno == EPERM))
			continue; /* not ours, or its writer still runs */
		unlinkat(dirfd(dir), d->d_name, 0);
	}
	if (dir)
		closedir(dir);
}

static int start_journal(struct vitals_recorder *r)
{
	char err[ERR_MAX];
	int fd, rc;

	if (r->journal_fd >= 0) {
		close(r->journal_fd);
		r->journal_fd = -1;
	}
	r->gen = new_gen();
	r->skip_all = 0;
	rc = journal_create(r->journal_path, &r->schema, r->gen, r->base_size, &fd, err,
	                    sizeof(err));
	if (rc < 0)
		return rec_fail(r, rc, "%s", err);
	r->journal_fd = fd;
	return VITALS_OK;
}

static int recorder_write(struct vitals_recorder *r, int final);

/* ---- opening ------------------------------------------------------------ */

int vitals_recorder_open(struct vitals_recorder **out, const char *path,
                         const struct vitals_schema *schema,
                         const struct vitals_recorder_options *o, int64_t *recovered, char *err,
                         size_t errlen)
{
	struct vitals_recorder *r;
	int64_t got = 0;
	char *copy;
	int rc;

	*out = NULL;
	if (recovered)
		*recovered = 0;
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	r->base_fd = r->journal_fd = -1;
	r->twin[0].fd = r->twin[1].fd = -1;
	r->cur = -1;
	store_kept_init(&r->kept);
	vitals_schema_init(&r->schema);
	if (o)
		r->opts = *o;
	else
		vitals_recorder_options_init(&r->opts);
	if (!r->opts.seal_rows)
		r->opts.seal_rows = SEAL_ROWS;
	if (!r->opts.seal_bytes)
		r->opts.seal_bytes = SEAL_BYTES;
	r->format = vitals_format_from_path(path);
	if (r->format == VITALS_FORMAT_UNKNOWN) {
		rc = rec_fail(r, VITALS_E_INVAL,
		              "%s: unknown format (use .parquet, .csv or .jsonl)", path);
		goto out_fail;
	}
	r->path = strdup(path);
	copy = strdup(path);
	if (!r->path || !copy || asprintf(&r->journal_path, "%s.journal", path) < 0 ||
	    !(r->dir = strdup(dirname(copy)))) {
		free(copy);
		r->journal_path = NULL;
		rc = rec_fail(r, VITALS_E_NOMEM, "out of memory");
		goto out_fail;
	}
	free(copy);
	{
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

		if (asprintf(&r->tmp, "%s/.%s.tmp-%ld", r->dir, base, (long)getpid()) < 0 ||
		    asprintf(&r->twin[0].path, "%s.a", r->tmp) < 0 ||
		    asprintf(&r->twin[1].path, "%s.b", r->tmp) < 0) {
			r->tmp = r->twin[0].path = r->twin[1].path = NULL;
			rc = rec_fail(r, VITALS_E_NOMEM, "out of memory");
			goto out_fail;
		}
	}
	if (access(r->dir, W_OK) < 0) {
		rc = rec_fail(r, VITALS_E_PERM, "%s: the output directory is not writable: %s",
		              r->dir, strerror(errno));
		goto out_fail;
	}
	rc = vitals_schema_copy(&r->schema, schema);
	if (rc == 0)
		rc = vitals_batch_new(&r->mem, schema);
	if (rc == 0 && r->format == VITALS_FORMAT_PARQUET)
		rc = pq_stream_new(&r->stream, schema, &r->opts.write);
	for (size_t i = 0; rc == 0 && i < r->opts.write.meta_count; i++)
		rc = meta_set(r, r->opts.write.meta[i].key, r->opts.write.meta[i].value);
	if (rc < 0) {
		rec_fail(r, rc, "out of memory");
		goto out_fail;
	}
	remove_stale_temporaries(r);
	rc = read_output(r);
	if (rc < 0)
		goto out_fail;
	/* A journal left beside the output is folded in, whatever this recorder's mode. */
	rc = adopt_journal(r, &got);
	if (rc < 0)
		goto out_fail;
	if (rc == 1 && !r->opts.no_journal)
		rc = start_journal(r);
	if (rc < 0)
		goto out_fail;
	if (recovered)
		*recovered = got;
	if (r->journal_fd >= 0 && r->opts.no_journal) {
		/* Without a journal of its own: fold the old one in now, then drop it. */
		rc = recorder_write(r, 1);
		if (rc < 0)
			goto out_fail;
		close(r->journal_fd);
		r->journal_fd = -1;
		if (unlink(r->journal_path) == 0)
			fsync_dir(r->dir);
	} else if (got > 0 && (rc = vitals_recorder_write(r)) < 0) {
		goto out_fail;
	}
	*out = r;
	return VITALS_OK;
out_fail:
	snprintf(err, errlen, "%s", r->err);
	recorder_free(r);
	return rc;
}

void vitals_recorder_set_max_pending(struct vitals_recorder *r, size_t rows)
{
	r->max_pending = rows;
}

/* Text formats: keep B in memory (the journal failed), dropping the oldest rows past the cap. */
static int hold(struct vitals_recorder *r, const struct vitals_batch *b)
{
	int rc = vitals_batch_append(r->mem, b, 0, b->rows, NULL);

	if (rc < 0)
		return rec_fail(r, rc, "out of memory for %zu rows", b->rows);
	if (r->max_pending && r->mem->rows > r->max_pending) {
		size_t drop = r->mem->rows - r->max_pending;
		struct vitals_batch *kept;

		rc = vitals_batch_new(&kept, &r->schema);
		if (rc == 0)
			rc = vitals_batch_append(kept, r->mem, drop, r->mem->rows - drop, NULL);
		if (rc < 0) {
			vitals_batch_free(kept);
			return rec_fail(r, rc, "out of memory");
		}
		vitals_batch_free(r->mem);
		r->mem = kept;
		r->dropped += (int64_t)drop;
		r->unsealed_rows -= (int64_t)drop;
		r->unwritten_rows -= (int64_t)drop;
	}
	return VITALS_OK;
}

/*
 * Whether the growing row group is big enough to seal: its rows, the bytes
 * it takes, or the memory it holds (its dictionaries grow with it).
 */
static int recorder_full(const struct vitals_recorder *r)
{
	return r->stream && (pq_stream_rows(r->stream) >= (int64_t)r->opts.seal_rows ||
	                     pq_stream_bytes(r->stream) >= r->opts.seal_bytes ||
	                     pq_stream_memory(r->stream) >= r->opts.seal_bytes);
}

int vitals_recorder_add(struct vitals_recorder *r, const struct vitals_batch *b)
{
	int journaled = 0, rc = VITALS_OK;

	if (!vitals_schema_equal(&b->schema, &r->schema))
		return rec_fail(r, VITALS_E_INVAL, "rows of other columns given to the recorder");
	if (b->rows == 0)
		return VITALS_OK;
	/* Once rows miss the journal, later ones do too, until a seal starts another. */
	if (r->journal_fd >= 0 && r->mem->rows == 0 && r->unjournaled == 0) {
		if (journal_append(r->journal_fd, b, r->seq + 1, &r->scratch) == 0) {
			r->seq++;
			journaled = 1;
		} else {
			rc = rec_fail(r, VITALS_E_IO, "%s: %s; keeping samples in memory",
			              r->journal_path, strerror(errno));
		}
	}
	if (!r->stream) {
		r->unsealed_rows += (int64_t)b->rows;
		r->unwritten_rows += (int64_t)b->rows;
		if (!journaled && hold(r, b) < 0)
			return VITALS_E_NOMEM;
		return rc;
	}
	if (!journaled) {
		/* Only in memory: past the cap, rows are dropped (and counted) until a write. */
		if (r->max_pending && r->unjournaled + (int64_t)b->rows > (int64_t)r->max_pending) {
			r->dropped += (int64_t)b->rows;
			return rc;
		}
		r->unjournaled += (int64_t)b->rows;
	}
	if (pq_stream_append(r->stream, b) < 0)
		return rec_fail(r, VITALS_E_NOMEM, "%s", pq_stream_errmsg(r->stream));
	r->unsealed_rows += (int64_t)b->rows;
	r->unwritten_rows += (int64_t)b->rows;
	/* A full row group is sealed now, not at the next write. */
	if (recorder_full(r))
		return recorder_write(r, 0);
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

/*
 * Whether no one else has FD's file open: a write lease is only granted
 * then. It is let go at once; no other process can open the file by name
 * meanwhile, as it is not the output any more.
 */
static int twin_private(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_WRLCK) < 0)
		return 0;
	fcntl(fd, F_SETLEASE, F_UNLCK);
	return 1;
}

/*
 * Make twin X ready to become the output: the file it was, when no reader
 * holds it still (it was the output two writes ago), else a new one.
 */
static int twin_prepare(struct vitals_recorder *r, int x)
{
	struct twin *t = &r->twin[x];

	if (t->fd >= 0 && !t->unnamed && twin_private(t->fd))
		return VITALS_OK;
	if (t->fd >= 0)
		close(t->fd);
	t->prefix = 0;
	t->unnamed = 0;
	unlink(t->path);
	t->fd = open(t->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (t->fd < 0)
		return rec_fail(r, VITALS_E_IO, "%s: cannot create: %s", t->path, strerror(errno));
	return VITALS_OK;
}

/* Copy bytes [FROM, TO) of the output into twin T, at the same offsets. */
static int twin_catch_up(struct vitals_recorder *r, struct twin *t, uint64_t from, uint64_t to)
{
	loff_t in = (loff_t)from, out = (loff_t)from;
	char buf[65536];
	int kernel = 1;

	while ((uint64_t)in < to) {
		size_t want = to - (uint64_t)in > ((size_t)1 << 30) ? (size_t)1 << 30
		                                                    : (size_t)(to - (uint64_t)in);
		ssize_t k;

		if (kernel) {
			k = copy_file_range(r->base_fd, &in, t->fd, &out, want, 0);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			              errno == EOPNOTSUPP || errno == EBADF)) {
				kernel = 0;
				continue;
			}
		} else {
			k = pread(r->base_fd, buf, want < sizeof(buf) ? want : sizeof(buf), in);
			if (k > 0 && pwrite(t->fd, buf, (size_t)k, out) != k)
				k = -1;
			if (k > 0) {
				in += k;
				out += k;
			}
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return rec_fail(r, VITALS_E_IO, "%s: copying the output: %s", t->path,
			                k < 0 ? strerror(errno) : "it is shorter than expected");
	}
	return VITALS_OK;
}

/* Text formats: the rows since the last write, from the journal and memory, into W. */
static int write_text_rows(struct vitals_recorder *r, struct vitals_writer *w)
{
	struct replay p = {r, NULL, NULL, 0, 0};
	struct vitals_batch *all = NULL;
	char err[ERR_MAX];
	int rc;

	if (r->unsealed_rows == 0)
		return VITALS_OK;
	rc = vitals_batch_new(&all, &r->schema);
	if (rc == 0)
		rc = vitals_batch_reserve(all, (size_t)r->unsealed_rows, 0);
	if (rc < 0) {
		vitals_batch_free(all);
		return rec_fail(r, rc, "out of memory for %" PRId64 " rows", r->unsealed_rows);
	}
	if (r->journal_fd >= 0) {
		struct journal_info info;

		p.into = all;
		rc = journal_read(r->journal_fd, &info, replay_record, &p, err, sizeof(err));
		if (rc == 0)
			journal_info_release(&info);
		if (rc < 0)
			rec_fail(r, rc, "%s: %s", r->journal_path, err);
	}
	if (rc == 0 && r->mem->rows &&
	    (rc = vitals_batch_append(all, r->mem, 0, r->mem->rows, NULL)) < 0)
		rec_fail(r, rc, "out of memory");
	if (rc == 0 && (rc = vitals_writer_write(w, all)) < 0)
		rec_fail(r, rc, "%s", vitals_writer_errmsg(w));
	vitals_batch_free(all);
	return rc;
}

int vitals_recorder_write(struct vitals_recorder *r)
{
	return recorder_write(r, 0);
}

/*
 * FINAL: the last write, which seals everything (no journal will follow).
 *
 * The output alternates between two files (twins): the one that is not
 * the output catches up with the sealed bytes it lacks (those of the last
 * seal or two), takes the rest, and is renamed over the output. A write
 * thus costs what changed since the seal, not the size of the trace; only
 * the first write of a recorder, or one whose twin a reader still holds
 * open, copies the whole sealed part.
 */
static int recorder_write(struct vitals_recorder *r, int final)
{
	struct vitals_write_options wo = r->opts.write;
	struct vitals_writer *w = NULL;
	struct store_kept kept;
	char err[ERR_MAX], mark[64], nsealed[24];
	int text = r->format != VITALS_FORMAT_PARQUET;
	int x = r->cur == 0 ? 1 : 0, in_place = r->cur >= 0;
	uint64_t keep_end, rows_end;
	struct twin *t = &r->twin[x];
	off_t end;
	int seal, rc;

	if (r->unwritten_rows == 0 && r->base_fd >= 0 && (!final || r->unsealed_rows == 0))
		return VITALS_OK;
	/* Every write seals text; Parquet seals a full row group, and everything at the end. */
	seal = final || text || recorder_full(r);
	/*
	 * Pages open since before the last write end now: written, they leave
	 * memory at the commit, so no value is held over more than two writes.
	 */
	if (!seal && r->stream && pq_stream_end_pages(r->stream) < 0)
		return rec_fail(r, VITALS_E_NOMEM, "%s", pq_stream_errmsg(r->stream));
	/* After this write the output holds every record of the journal. */
	snprintf(mark, sizeof(mark), "%" PRIx64 " %" PRIu64, r->gen, r->seq);
	snprintf(nsealed, sizeof(nsealed), "%" PRIu32,
	         r->sealed + (uint32_t)(seal && r->unsealed_rows > 0));
	meta_del(r, META_JOURNAL);
	if (meta_set(r, META_WRITTEN, mark) < 0 || meta_set(r, META_SEALED, nsealed) < 0)
		return rec_fail(r, VITALS_E_NOMEM, "out of memory");
	wo.meta = r->meta;
	wo.meta_count = r->meta_count;
	wo.row_group_rows = r->unsealed_rows > 0 ? (size_t)r->unsealed_rows : 1;

	if ((rc = twin_prepare(r, x)) < 0)
		return rc;
	if (t->prefix == 0)
		in_place = 0; /* a new twin: the first write, or its old file is still read */
	if (in_place && t->prefix < r->sealed_end &&
	    (rc = twin_catch_up(r, t, t->prefix, r->sealed_end)) < 0)
		return rc;
	if (lseek(t->fd, 0, SEEK_SET) < 0 || (!in_place && ftruncate(t->fd, 0) < 0))
		return rec_fail(r, VITALS_E_IO, "%s: %s", t->path, strerror(errno));
	if (in_place)
		t->prefix = r->sealed_end;
	rc =
	    vitals_writer_open_fd(&w, t->fd, r->format, r->path, &r->schema, &wo, err, sizeof(err));
	if (rc < 0)
		return rec_fail(r, rc, "%s", err);
	store_kept_init(&kept);
	if (r->base_fd >= 0) {
		/* The sealed row groups' footer entries: kept from the last write, or read once. */
		if (!text && r->kept_valid)
			rc = store_writer_adopt_kept(w, r->base_fd, &r->kept, in_place);
		else
			rc = in_place ? store_writer_adopt_in_place(w, r->base_fd, r->sealed)
			              : vitals_writer_adopt(w, r->base_fd, r->sealed);
		if (rc < 0) {
			rec_fail(r, rc, "%s", vitals_writer_errmsg(w));
			goto out_abort;
		}
	}
	keep_end = vitals_writer_bytes(w);
	if (!text && !seal && (rc = store_writer_get_kept(w, &kept)) < 0) {
		rec_fail(r, rc, "out of memory");
		goto out_abort;
	}
	if (text) {
		rc = write_text_rows(r, w);
	} else if (pq_stream_rows(r->stream) > 0 &&
	           (rc = store_writer_put_stream(w, r->stream, r->base_fd)) < 0) {
		rec_fail(r, rc, "%s", vitals_writer_errmsg(w));
	}
	if (rc < 0)
		goto out_abort;
	/* A sealed row group joins the kept ones. */
	if (!text && seal && (rc = store_writer_get_kept(w, &kept)) < 0) {
		rec_fail(r, rc, "out of memory");
		goto out_abort;
	}
	rows_end = vitals_writer_bytes(w);
	rc = vitals_writer_close(w, err, sizeof(err));
	w = NULL;
	if (rc < 0) {
		rec_fail(r, rc, "%s", err);
		goto out_release;
	}
	end = lseek(t->fd, 0, SEEK_CUR);
	if (end < 0 || ftruncate(t->fd, end) < 0 || fsync(t->fd) < 0) {
		rc = rec_fail(r, VITALS_E_IO, "%s: %s", t->path, strerror(errno));
		goto out_release;
	}
	/* The twin takes the output's name, and keeps its own. */
	unlink(r->tmp);
	if (link(t->path, r->tmp) < 0) {
		/*
		 * A filesystem without hard links: the twin itself is renamed over
		 * the output, and this one is made anew (a whole copy) next time.
		 */
		if (rename(t->path, r->path) < 0) {
			rc = rec_fail(r, VITALS_E_IO, "%s: %s", r->path, strerror(errno));
			goto out_release;
		}
		t->unnamed = 1;
	} else if (rename(r->tmp, r->path) < 0) {
		rc = rec_fail(r, VITALS_E_IO, "%s: %s", r->path, strerror(errno));
		unlink(r->tmp);
		goto out_release;
	}
	if (fsync_dir(r->dir) < 0) {
		/* The rename stands; a failed directory sync only weakens it against power loss. */
	}
	if (r->base_fd >= 0 && r->cur < 0)
		close(r->base_fd);
	r->cur = x;
	r->base_fd = t->fd;
	r->base_size = (uint64_t)end;
	r->sealed_end = text ? (uint64_t)end : seal ? rows_end : keep_end;
	t->prefix = r->sealed_end;
	if (!text) {
		store_kept_swap(&r->kept, &kept);
		r->kept_valid = 1;
	}
	if (r->rows_written >= 0)
		r->rows_written = r->sealed_rows + r->unsealed_rows;
	r->unwritten_rows = 0;
	r->unjournaled = 0;
	vitals_batch_clear(r->mem);
	/* The pages written are read from the output from now on, not kept. */
	if (r->stream && !seal)
		pq_stream_commit(r->stream);
	if (seal) {
		if (r->unsealed_rows > 0 && !text)
			r->sealed++;
		if (r->sealed_rows >= 0)
			r->sealed_rows += r->unsealed_rows;
		r->unsealed_rows = 0;
		if (r->stream) {
			pq_stream_clear(r->stream);
			/* The row group's pages were megabytes: hand them back to the system. */
			malloc_trim(0);
		}
	}
	/* The output holds every row now: the journal starts again, empty. */
	if (!final && !r->opts.no_journal)
		rc = start_journal(r); /* on failure samples wait in memory until a later write */
	goto out_release;
out_abort:
	vitals_writer_abort(w);
out_release:
	store_kept_release(&kept);
	return rc;
}

int vitals_recorder_close(struct vitals_recorder *r, char *err, size_t errlen)
{
	int rc;

	if (!r)
		return VITALS_E_INVAL;
	rc = recorder_write(r, 1);
	if (rc == 0 && r->journal_fd >= 0) {
		close(r->journal_fd);
		r->journal_fd = -1;
		if (unlink(r->journal_path) == 0)
			fsync_dir(r->dir);
	}
	if (rc < 0 && err)
		snprintf(err, errlen, "%s", r->err);
	recorder_free(r);
	return rc;
}

void vitals_recorder_abort(struct vitals_recorder *r)
{
	recorder_free(r);
}

const char *vitals_recorder_errmsg(const struct vitals_recorder *r)
{
	return r->err;
}

uint64_t vitals_recorder_file_bytes(const struct vitals_recorder *r)
{
	return r->base_fd >= 0 ? r->base_size : 0;
}

int64_t vitals_recorder_rows_written(const struct vitals_recorder *r)
{
	return r->rows_written;
}

int64_t vitals_recorder_rows_dropped(const struct vitals_recorder *r)
{
	return r->dropped;
}

int64_t vitals_recorder_held_values(const struct vitals_recorder *r)
{
	int64_t n = 0;

	if (r->stream)
		return pq_stream_held_values(r->stream);
	for (size_t j = 0; j < r->schema.count; j++) {
		const struct vitals_column *c = &r->mem->cols[j];

		if (!c->valid) {
			n += (int64_t)r->mem->rows;
			continue;
		}
		for (size_t i = 0; i < r->mem->rows; i++)
			n += c->valid[i] != 0;
	}
	return n;
}

int vitals_recover(const char *path, int64_t *rows, char *err, size_t errlen)
{
	struct vitals_recorder_options o;
	struct vitals_recorder *r;
	struct journal_info info;
	char *jpath, msg[ERR_MAX];
	int fd, rc;

	*rows = 0;
	if (asprintf(&jpath, "%s.journal", path) < 0) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	fd = open(jpath, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? VITALS_OK : VITALS_E_IO;
		if (rc < 0)
			snprintf(err, errlen, "%s: cannot open: %s", jpath, strerror(errno));
		free(jpath);
		return rc;
	}
	rc = journal_read(fd, &info, NULL, NULL, msg, sizeof(msg));
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", jpath, msg);
		free(jpath);
		return rc;
	}
	free(jpath);
	vitals_recorder_options_init(&o);
	rc = vitals_recorder_open(&r, path, &info.schema, &o, rows, err, errlen);
	journal_info_release(&info);
	if (rc < 0)
		return rc;
	return vitals_recorder_close(r, err, errlen);
}
