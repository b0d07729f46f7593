/*
 * The recorder (include/vitals/record.h): a journal beside the output, and
 * atomic rewrites of the output that reuse its sealed row groups.
 *
 * Parquet: the output is the sealed row groups, then one row group of every
 * row taken since the last seal, then the footer. That last row group is
 * re-encoded from the journal at each write; once it holds seal_rows rows
 * the write seals it and the journal starts again, empty. The footer's
 * metadata says how many row groups are sealed and which journal records
 * they hold ("vitals.journal" = "GEN SEQ": records of journal GEN up to SEQ),
 * so a recovery after a kill between the rename and the new journal never
 * counts a row twice.
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

#define ERR_MAX      512
#define SEAL_ROWS    65536
#define SEAL_BYTES   ((uint64_t)8 << 20) /* of the batch a seal encodes */
#define META_SEALED  "vitals.sealed_row_groups"
#define META_JOURNAL "vitals.journal"

struct vitals_recorder {
	char *path;         /* the output */
	char *journal_path; /* PATH.journal */
	char *dir;          /* its directory, for fsync after a rename */
	enum vitals_format format;
	struct vitals_schema schema;
	struct vitals_recorder_options opts;
	struct vitals_kv *meta; /* the caller's metadata, then ours */
	size_t meta_count;

	int base_fd;          /* the output as last written, or -1 */
	uint64_t base_size;   /* its bytes */
	uint32_t sealed;      /* row groups of the output that are sealed */
	int64_t rows_written; /* rows in the output */
	int64_t sealed_rows;  /* rows in its sealed row groups (Parquet) or in all of it (text) */
	/* What the output's metadata says is sealed; true only beside the journal it names. */
	uint32_t meta_sealed;
	int64_t meta_sealed_rows;

	int journal_fd; /* -1 when the journal failed: rows wait in MEM */
	struct journal_scratch scratch;
	uint64_t gen; /* the journal's */
	uint64_t seq; /* the last record's */
	/* Records of journal SKIP_GEN up to SKIP_SEQ are in the output already. */
	uint64_t skip_gen, skip_seq;
	int skip_all;

	int64_t unsealed_rows;    /* rows since the seal: journal records, then MEM */
	uint64_t row_bytes;       /* what a row takes in a column batch, about */
	int64_t unwritten_rows;   /* rows taken since the last write */
	struct vitals_batch *mem; /* rows the journal could not take */
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
	if (r->base_fd >= 0)
		close(r->base_fd);
	if (r->journal_fd >= 0)
		close(r->journal_fd);
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

	r->base_fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->base_fd < 0) {
		if (errno == ENOENT)
			return VITALS_OK;
		return rec_fail(r, VITALS_E_IO, "%s: cannot open: %s", r->path, strerror(errno));
	}
	if (fstat(r->base_fd, &st) < 0)
		return rec_fail(r, VITALS_E_IO, "%s: %s", r->path, strerror(errno));
	r->base_size = (uint64_t)st.st_size;
	if (r->format != VITALS_FORMAT_PARQUET) {
		r->sealed_rows = r->rows_written = -1;
		return r->format == VITALS_FORMAT_CSV ? check_csv_header(r) : VITALS_OK;
	}
	vitals_read_options_init(&ro);
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

		if (vitals_file_describe(&info, r->path, err, sizeof(err)) < 0) {
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
		vitals_file_info_free(info);
	}
	v = vitals_reader_meta(rd, META_JOURNAL);
	if (rc == 0 && v && sscanf(v, "%" SCNx64 " %" SCNu64, &r->skip_gen, &r->skip_seq) != 2)
		rc = rec_fail(r, VITALS_E_PARSE, "%s: metadata %s is '%s'", r->path, META_JOURNAL,
		              v);
	vitals_reader_close(rd);
	return rc;
}

/* ---- the journal ------------------------------------------------------- */

struct replay {
	struct vitals_recorder *r;
	struct vitals_batch *into; /* NULL: only count */
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
	return 0;
}

/*
 * Take up a journal left by a recorder that did not close: its records not
 * yet in the output become this recorder's unsealed rows, and it goes on
 * appending to it.
 */
static int adopt_journal(struct vitals_recorder *r, int64_t *recovered)
{
	struct journal_info info;
	struct replay p = {r, NULL, 0, 0};
	char err[ERR_MAX];
	int fd, rc;

	*recovered = 0;
	fd = open(r->journal_path, O_RDWR | O_CLOEXEC);
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
	if (r->format != VITALS_FORMAT_PARQUET) {
		r->skip_all = r->base_size != info.base_size;
	} else if (r->base_fd >= 0 && r->gen == r->skip_gen) {
		/* The output's last row group came from this journal: rebuild it from there. */
		r->sealed = r->meta_sealed;
		r->sealed_rows = r->meta_sealed_rows;
	}
	journal_info_release(&info);
	rc = journal_read(fd, &info, replay_record, &p, err, sizeof(err));
	if (rc < 0) {
		close(fd);
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
	r->unsealed_rows = p.rows;
	r->unwritten_rows = p.rows;
	/* The output's last row group already holds the first of them. */
	*recovered = p.rows;
	if (r->rows_written >= 0 && r->sealed_rows >= 0)
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
		char *end;
		long pid;

		if (d->d_name[0] == '.' && strncmp(d->d_name + 1, base, blen) == 0 &&
		    strncmp(d->d_name + 1 + blen, ".tmp-", 5) == 0)
			tail = d->d_name + 1 + blen + 5;
		else if (strncmp(d->d_name, base, blen) == 0 &&
		         strncmp(d->d_name + blen, ".journal.tmp-", 13) == 0)
			tail = d->d_name + blen + 13;
		if (!tail)
			continue;
		pid = strtol(tail, &end, 10);
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
	vitals_schema_init(&r->schema);
	if (o)
		r->opts = *o;
	else
		vitals_recorder_options_init(&r->opts);
	if (!r->opts.seal_rows)
		r->opts.seal_rows = SEAL_ROWS;
	if (!r->opts.seal_bytes)
		r->opts.seal_bytes = SEAL_BYTES;
	/* Values and validity of every column, and some string bytes. */
	r->row_bytes = 64;
	for (size_t i = 0; i < schema->count; i++)
		r->row_bytes += 9;
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
	if (access(r->dir, W_OK) < 0) {
		rc = rec_fail(r, VITALS_E_PERM, "%s: the output directory is not writable: %s",
		              r->dir, strerror(errno));
		goto out_fail;
	}
	rc = vitals_schema_copy(&r->schema, schema);
	if (rc == 0)
		rc = vitals_batch_new(&r->mem, schema);
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

/* Keep B in memory (the journal failed), dropping the oldest rows past the cap. */
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

/* Whether the growing row group is big enough to seal (rows, or bytes in memory to encode it). */
static int recorder_full(const struct vitals_recorder *r)
{
	return r->unsealed_rows >= (int64_t)r->opts.seal_rows ||
	       (uint64_t)r->unsealed_rows * r->row_bytes >= r->opts.seal_bytes;
}

int vitals_recorder_add(struct vitals_recorder *r, const struct vitals_batch *b)
{
	int rc = VITALS_OK;

	if (!vitals_schema_equal(&b->schema, &r->schema))
		return rec_fail(r, VITALS_E_INVAL, "rows of other columns given to the recorder");
	if (b->rows == 0)
		return VITALS_OK;
	r->unsealed_rows += (int64_t)b->rows;
	r->unwritten_rows += (int64_t)b->rows;
	/* Once rows wait in memory, later ones wait behind them, in order. */
	if (r->journal_fd >= 0 && r->mem->rows == 0) {
		if (journal_append(r->journal_fd, b, r->seq + 1, &r->scratch) == 0) {
			r->seq++;
			/* A full row group is sealed now, not at the next write: memory stays
			 * bounded. */
			if (r->format == VITALS_FORMAT_PARQUET && recorder_full(r))
				return recorder_write(r, 0);
			return VITALS_OK;
		}
		rc = rec_fail(r, VITALS_E_IO, "%s: %s; keeping samples in memory", r->journal_path,
		              strerror(errno));
	}
	if (hold(r, b) < 0)
		return VITALS_E_NOMEM;
	return rc;
}

/* ---- writing ------------------------------------------------------------- */

int vitals_recorder_write(struct vitals_recorder *r)
{
	return recorder_write(r, 0);
}

/* FINAL: the last write, which seals everything (no journal will follow). */
static int recorder_write(struct vitals_recorder *r, int final)
{
	struct vitals_write_options wo = r->opts.write;
	struct vitals_writer *w = NULL;
	struct vitals_batch *all = NULL;
	struct replay p = {r, NULL, 0, 0};
	char tmp[4096], err[ERR_MAX], mark[64], nsealed[24];
	int text = r->format != VITALS_FORMAT_PARQUET;
	int seal, fd, rc;

	if (r->unwritten_rows == 0 && r->base_fd >= 0 && (!final || r->unsealed_rows == 0))
		return VITALS_OK;
	/* Every write seals text; Parquet seals a full row group, or rows the journal lacks. */
	seal = final || text || recorder_full(r) || r->mem->rows > 0 || r->journal_fd < 0;
	snprintf(mark, sizeof(mark), "%" PRIx64 " %" PRIu64, r->gen, seal ? r->seq : 0);
	snprintf(nsealed, sizeof(nsealed), "%" PRIu32,
	         r->sealed + (uint32_t)(seal && r->unsealed_rows > 0));
	if (meta_set(r, META_JOURNAL, mark) < 0 || meta_set(r, META_SEALED, nsealed) < 0)
		return rec_fail(r, VITALS_E_NOMEM, "out of memory");
	wo.meta = r->meta;
	wo.meta_count = r->meta_count;
	/* The rows since the seal are one row group. */
	wo.row_group_rows = r->unsealed_rows > 0 ? (size_t)r->unsealed_rows : 1;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp-%ld", r->dir,
	         strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path, (long)getpid());
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return rec_fail(r, VITALS_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
	rc = vitals_writer_open_fd(&w, fd, r->format, r->path, &r->schema, &wo, err, sizeof(err));
	if (rc < 0) {
		rec_fail(r, rc, "%s", err);
		goto out_unlink;
	}
	if (r->base_fd >= 0 && (rc = vitals_writer_adopt(w, r->base_fd, r->sealed)) < 0) {
		rec_fail(r, rc, "%s", vitals_writer_errmsg(w));
		vitals_writer_abort(w);
		goto out_unlink;
	}
	/*
	 * The rows since the seal, gathered in one batch of their exact size and
	 * encoded in place as one row group (the writer copies nothing).
	 */
	if (r->unsealed_rows > 0) {
		size_t rows = (size_t)r->unsealed_rows;

		rc = vitals_batch_new(&all, &r->schema);
		if (rc == 0)
			rc = vitals_batch_reserve(all, rows, 0);
		if (rc < 0) {
			rec_fail(r, rc, "out of memory for %zu rows", rows);
			vitals_writer_abort(w);
			goto out_unlink;
		}
	}
	if (r->journal_fd >= 0 && all) {
		struct journal_info info;

		p.into = all;
		rc = journal_read(r->journal_fd, &info, replay_record, &p, err, sizeof(err));
		if (rc == 0)
			journal_info_release(&info);
		if (rc < 0) {
			rec_fail(r, rc, "%s: %s", r->journal_path, err);
			vitals_writer_abort(w);
			goto out_unlink;
		}
	}
	if (all && r->mem->rows &&
	    (rc = vitals_batch_append(all, r->mem, 0, r->mem->rows, NULL)) < 0) {
		rec_fail(r, rc, "out of memory");
		vitals_writer_abort(w);
		goto out_unlink;
	}
	if (all && (rc = vitals_writer_write(w, all)) < 0) {
		rec_fail(r, rc, "%s", vitals_writer_errmsg(w));
		vitals_writer_abort(w);
		goto out_unlink;
	}
	vitals_batch_free(all);
	all = NULL;
	/*
	 * The batch was megabytes in many blocks below the mmap threshold: hand
	 * the pages back, or the allocator keeps them and the recorder's
	 * resident size stays at its peak (retention, not a leak).
	 */
	if ((uint64_t)r->unsealed_rows * r->row_bytes >= ((uint64_t)1 << 20))
		malloc_trim(0);
	rc = vitals_writer_close(w, err, sizeof(err));
	if (rc < 0) {
		rec_fail(r, rc, "%s", err);
		goto out_unlink;
	}
	if (fsync(fd) < 0 || rename(tmp, r->path) < 0) {
		rc = rec_fail(r, VITALS_E_IO, "%s: %s", r->path, strerror(errno));
		goto out_unlink;
	}
	if (fsync_dir(r->dir) < 0) {
		/* The rename stands; a failed directory sync only weakens it against power loss. */
	}
	{
		struct stat st;

		if (r->base_fd >= 0)
			close(r->base_fd);
		r->base_fd = fd;
		r->base_size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	if (r->rows_written >= 0)
		r->rows_written = r->sealed_rows + r->unsealed_rows;
	r->unwritten_rows = 0;
	if (seal) {
		if (r->unsealed_rows > 0 && !text)
			r->sealed++;
		if (r->sealed_rows >= 0)
			r->sealed_rows += r->unsealed_rows;
		r->unsealed_rows = 0;
		vitals_batch_clear(r->mem);
		if (!final && !r->opts.no_journal && (rc = start_journal(r)) < 0) {
			/* Samples wait in memory until a later write starts a journal again. */
			return rc;
		}
	}
	return VITALS_OK;
out_unlink:
	vitals_batch_free(all);
	close(fd);
	unlink(tmp);
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
