/*
 * The recorder's journal (journal.h).
 *
 * Layout, little-endian:
 *   header:  "VJNL" u32 version=1, u64 gen, u64 base_size, u32 columns,
 *            then per column u8 type, u8 nullable, u16 name length, name;
 *            then u32 CRC-32 of everything before it.
 *   record:  u32 length L, u32 CRC-32 of the L bytes that follow: u64 seq,
 *            u32 rows size R, then the rows compressed with zstd (any level;
 *            written at ZSTD_LEVEL):
 *            u32 rows, then per column: for a nullable column a bitmap of
 *            the valid rows (bit i of byte i / 8) and the values of those
 *            rows only; for a required one every row's value. Values:
 *            BOOL 1 byte, INT32 4, INT64/TIMESTAMP/DOUBLE 8, STRING u32
 *            lengths then the bytes. A wide trace's rows are mostly nulls,
 *            which take one bit each.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "record/journal.h"
#include "store/codec.h"
#include "util/bytebuf.h"

#define MAGIC       "VJNL"
#define VERSION     2
#define RECORD_HEAD 20
#define RECORD_MAX  ((uint32_t)256 << 20) /* bytes of one record's payload */
#define HEADER_MAX  ((uint32_t)1 << 20)
/*
 * A fast level: a sample of a thousand processes is 400 KB of values that
 * zstd level 1 takes 0.4 ms to squeeze 22 times, this one a third of that
 * for about as much (the rows repeat themselves).
 */
#define ZSTD_LEVEL -5

static void put32(struct bytebuf *b, uint32_t v)
{
	bytebuf_append(b, &v, 4);
}

static void put64(struct bytebuf *b, uint64_t v)
{
	bytebuf_append(b, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(crc32(0, Z_NULL, 0), p, (uInt)n);
}

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = ENOSPC;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int journal_create(const char *path, const struct vitals_schema *schema, uint64_t gen,
                   uint64_t base_size, int *fd, char *err, size_t errlen)
{
	struct bytebuf h;
	char tmp[4096];
	int f, rc = VITALS_E_IO;

	*fd = -1;
	bytebuf_init(&h, 0);
	bytebuf_append(&h, MAGIC, 4);
	put32(&h, VERSION);
	put64(&h, gen);
	put64(&h, base_size);
	put32(&h, (uint32_t)schema->count);
	for (size_t i = 0; i < schema->count; i++) {
		const struct vitals_field *fl = &schema->fields[i];
		uint8_t tn[2] = {(uint8_t)fl->type, (uint8_t)(fl->nullable != 0)};
		uint16_t len = (uint16_t)strlen(fl->name);

		bytebuf_append(&h, tn, 2);
		bytebuf_append(&h, &len, 2);
		bytebuf_append(&h, fl->name, len);
	}
	put32(&h, crc(h.p, h.len));
	if (h.error) {
		snprintf(err, errlen, "%s: out of memory", path);
		bytebuf_release(&h);
		return VITALS_E_NOMEM;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid());
	/* A link left under the temporary name is not followed (nor truncated through). */
	f = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (f < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		goto out_release;
	}
	if (write_all(f, h.p, h.len) < 0 || fsync(f) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		close(f);
		unlink(tmp);
		goto out_release;
	}
	if (lseek(f, 0, SEEK_END) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(f);
		goto out_release;
	}
	*fd = f;
	rc = VITALS_OK;
out_release:
	bytebuf_release(&h);
	return rc;
}

static size_t value_width(enum vitals_type t)
{
	switch (t) {
	case VITALS_TYPE_BOOL:
		return 1;
	case VITALS_TYPE_INT32:
		return 4;
	case VITALS_TYPE_STRING:
		return 0;
	default:
		return 8;
	}
}

/* Bit J of the result: byte J of P is not 0. */
static uint8_t pack8(const uint8_t *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
	/* Bit 0 of each byte: any of its bits, then the eight of them gathered in the top byte. */
	x |= x >> 4;
	x |= x >> 2;
	x |= x >> 1;
	x &= UINT64_C(0x0101010101010101);
	return (uint8_t)((x * UINT64_C(0x0102040810204080)) >> 56);
}

int journal_append(int fd, const struct vitals_batch *b, uint64_t seq, struct journal_scratch *js)
{
	struct bytebuf *raw = &js->raw, *r = &js->rec;
	size_t need;
	uint8_t *q, *bits;
	off_t at;
	int rc = VITALS_OK;

	/* The scratch buffers stay with the caller: no allocation, no page faults per sample. */
	bytebuf_clear(raw);
	bytebuf_clear(r);
	/* The most the rows can take, reserved once: the loops below write in place. */
	need = 4;
	for (size_t c = 0; c < b->schema.count; c++) {
		const struct vitals_column *col = &b->cols[c];
		size_t w = value_width(col->type);

		need += (b->rows + 7) / 8 + (w ? w * b->rows : 4 * b->rows + col->data_len);
	}
	if (bytebuf_reserve_gently(raw, need) < 0) {
		errno = ENOMEM;
		return VITALS_E_NOMEM;
	}
	q = raw->p;
	memcpy(q, &(uint32_t){(uint32_t)b->rows}, 4);
	q += 4;
	for (size_t c = 0; c < b->schema.count && b->rows; c++) {
		const struct vitals_column *col = &b->cols[c];
		size_t w = value_width(col->type);

		if (!col->nullable) {
			if (w) {
				memcpy(q, col->v.b, b->rows * w);
				q += b->rows * w;
				continue;
			}
			for (size_t i = 0; i < b->rows; i++) {
				uint32_t len = (uint32_t)(col->v.off[i + 1] - col->v.off[i]);

				memcpy(q, &len, 4);
				q += 4;
			}
			if (col->v.off[b->rows])
				memcpy(q, col->data, col->v.off[b->rows]);
			q += col->v.off[b->rows];
			continue;
		}
		/*
		 * Nullable: a bitmap, then the values of the valid rows only (a
		 * wide trace is sparse: most groups of eight rows have none).
		 */
		bits = q;
		for (size_t i = 0; i < b->rows; i += 8) {
			uint8_t m = 0;

			if (i + 8 <= b->rows) {
				m = pack8(col->valid + i);
			} else {
				for (size_t j = 0; i + j < b->rows; j++)
					m |= (uint8_t)((col->valid[i + j] != 0) << j);
			}
			*q++ = m;
		}
		if (w) {
			for (size_t i = 0; i < b->rows; i += 8) {
				uint8_t m = bits[i / 8];

				if (m == 0xff) {
					memcpy(q, col->v.b + i * w, 8 * w);
					q += 8 * w;
					continue;
				}
				for (; m; m &= (uint8_t)(m - 1)) {
					memcpy(q, col->v.b + (i + (size_t)__builtin_ctz(m)) * w, w);
					q += w;
				}
			}
			continue;
		}
		for (size_t i = 0; i < b->rows; i++)
			if (col->valid[i]) {
				uint32_t len = (uint32_t)(col->v.off[i + 1] - col->v.off[i]);

				memcpy(q, &len, 4);
				q += 4;
			}
		for (size_t i = 0; i < b->rows; i++)
			if (col->valid[i] && col->v.off[i + 1] > col->v.off[i]) {
				memcpy(q, col->data + col->v.off[i],
				       (size_t)(col->v.off[i + 1] - col->v.off[i]));
				q += col->v.off[i + 1] - col->v.off[i];
			}
	}
	raw->len = (size_t)(q - raw->p);
	put32(r, 0); /* length and CRC, set below */
	put32(r, 0);
	put64(r, seq);
	put32(r, (uint32_t)raw->len);
	if (raw->error || raw->len > RECORD_MAX ||
	    codec_compress(&js->codec, VITALS_CODEC_ZSTD, ZSTD_LEVEL, raw->p, raw->len, r) < 0 ||
	    r->error || r->len - 8 > RECORD_MAX) {
		errno = ENOMEM;
		return VITALS_E_NOMEM;
	}
	{
		uint32_t len = (uint32_t)(r->len - 8), sum = crc(r->p + 8, len);

		memcpy(r->p, &len, 4);
		memcpy(r->p + 4, &sum, 4);
	}
	at = lseek(fd, 0, SEEK_END);
	if (at < 0 || write_all(fd, r->p, r->len) < 0) {
		int saved = errno;

		/* Cut a partial record off, so the records after it stay readable. */
		if (at >= 0 && ftruncate(fd, at) < 0) {
			/* the reader stops at the torn record */
		}
		errno = saved;
		rc = VITALS_E_IO;
	}
	return rc;
}

void journal_info_release(struct journal_info *info)
{
	vitals_schema_release(&info->schema);
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	char *p = buf;

	while (n > 0) {
		ssize_t k = pread(fd, p, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

static int read_header(int fd, uint64_t size, struct journal_info *info, uint64_t *end, char *err,
                       size_t errlen)
{
	uint8_t fixed[28], *h = NULL;
	uint32_t ncols;
	size_t pos;
	int rc = VITALS_E_PARSE;

	if (size < sizeof(fixed) + 4 || read_at(fd, fixed, sizeof(fixed), 0) < 0 ||
	    memcmp(fixed, MAGIC, 4) != 0) {
		snprintf(err, errlen, "not a vitals journal");
		return VITALS_E_PARSE;
	}
	if (get32(fixed + 4) != VERSION) {
		snprintf(err, errlen, "journal version %u is not known", get32(fixed + 4));
		return VITALS_E_PARSE;
	}
	info->gen = get64(fixed + 8);
	info->base_size = get64(fixed + 16);
	ncols = get32(fixed + 24);
	if (ncols == 0 || ncols > VITALS_COLUMNS_MAX) {
		snprintf(err, errlen, "journal header: %u columns", ncols);
		return VITALS_E_PARSE;
	}
	{
		uint64_t most = sizeof(fixed) + (uint64_t)ncols * (4 + VITALS_NAME_MAX) + 4;
		size_t len = (size_t)(most < size ? most : size);

		if (len > HEADER_MAX)
			len = HEADER_MAX;
		h = malloc(len);
		if (!h)
			return VITALS_E_NOMEM;
		if (read_at(fd, h, len, 0) < 0) {
			snprintf(err, errlen, "journal header: cannot read");
			goto out_free;
		}
		pos = sizeof(fixed);
		for (uint32_t i = 0; i < ncols; i++) {
			char name[VITALS_NAME_MAX + 1];
			uint16_t nlen;

			if (pos + 4 > len) {
				snprintf(err, errlen, "journal header: cut short");
				goto out_free;
			}
			memcpy(&nlen, h + pos + 2, 2);
			if (nlen == 0 || nlen > VITALS_NAME_MAX || pos + 4 + nlen > len) {
				snprintf(err, errlen, "journal header: column %u has a bad name",
				         i);
				goto out_free;
			}
			memcpy(name, h + pos + 4, nlen);
			name[nlen] = '\0';
			if (vitals_schema_add(&info->schema, name, (enum vitals_type)h[pos],
			                      h[pos + 1] != 0) < 0) {
				snprintf(err, errlen,
				         "journal header: column %u ('%s') is not valid", i, name);
				goto out_free;
			}
			pos += 4 + (size_t)nlen;
		}
		if (pos + 4 > len || get32(h + pos) != crc(h, pos)) {
			snprintf(err, errlen, "journal header: checksum mismatch");
			goto out_free;
		}
		*end = pos + 4;
		rc = VITALS_OK;
	}
out_free:
	free(h);
	return rc;
}

/* Decode one record's rows (after its seq) into B. VITALS_E_PARSE when they do not fit. */
static int decode_rows(struct vitals_batch *b, const uint8_t *p, size_t n)
{
	size_t pos = 4, rows;

	vitals_batch_clear(b);
	if (n < 4)
		return VITALS_E_PARSE;
	rows = get32(p);
	/* Every row takes at least a bit of every nullable column: a count past that is a lie. */
	if (rows / 8 > n || rows > VITALS_BATCH_ROWS_MAX)
		return VITALS_E_PARSE;
	if (vitals_batch_reserve(b, rows, 0) < 0)
		return VITALS_E_NOMEM;
	for (size_t c = 0; c < b->schema.count && rows; c++) {
		struct vitals_column *col = &b->cols[c];
		size_t w = value_width(col->type), total = 0, k = rows;
		const uint8_t *len_at;

		if (col->nullable) {
			size_t nbytes = (rows + 7) / 8;

			if (n - pos < nbytes)
				return VITALS_E_PARSE;
			k = 0;
			for (size_t i = 0; i < rows; i++) {
				col->valid[i] = (p[pos + i / 8] >> (i % 8)) & 1;
				k += col->valid[i];
			}
			pos += nbytes;
		}
		if (w) {
			const uint8_t *v = p + pos;

			if ((n - pos) / w < k)
				return VITALS_E_PARSE;
			if (k == rows) {
				memcpy(col->v.b, v, rows * w);
			} else {
				/* Spread the valid values to their rows; nulls hold zero. */
				memset(col->v.b, 0, rows * w);
				for (size_t i = 0, j = 0; i < rows; i++)
					if (col->valid[i])
						memcpy(col->v.b + i * w, v + w * j++, w);
			}
			if (col->type == VITALS_TYPE_BOOL)
				for (size_t i = 0; i < rows; i++)
					col->v.b[i] = col->v.b[i] != 0;
			pos += k * w;
			continue;
		}
		if ((n - pos) / 4 < k)
			return VITALS_E_PARSE;
		len_at = p + pos;
		for (size_t j = 0; j < k; j++)
			total += get32(len_at + 4 * j);
		if (total > n - pos - 4 * k)
			return VITALS_E_PARSE;
		if (vitals_column_reserve(col, rows, total) < 0)
			return VITALS_E_NOMEM;
		col->v.off[0] = 0;
		for (size_t i = 0, j = 0; i < rows; i++) {
			uint32_t len =
			    (!col->nullable || col->valid[i]) ? get32(len_at + 4 * j++) : 0;

			col->v.off[i + 1] = col->v.off[i] + len;
		}
		pos += 4 * k;
		if (total)
			memcpy(col->data, p + pos, total);
		col->data_len = total;
		pos += total;
	}
	if (pos != n)
		return VITALS_E_PARSE;
	b->rows = rows;
	return VITALS_OK;
}

int journal_read(int fd, struct journal_info *info, journal_fn fn, void *ctx, char *err,
                 size_t errlen)
{
	struct vitals_batch *b = NULL;
	struct codec_state cs = {0};
	uint8_t *buf = NULL, *rows = NULL;
	size_t rows_cap = 0;
	struct stat st;
	uint64_t pos;
	int rc;

	memset(info, 0, sizeof(*info));
	vitals_schema_init(&info->schema);
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot stat: %s", strerror(errno));
		return VITALS_E_IO;
	}
	rc = read_header(fd, (uint64_t)st.st_size, info, &pos, err, errlen);
	if (rc < 0)
		return rc;
	rc = vitals_batch_new(&b, &info->schema);
	if (rc < 0)
		return rc;
	info->good_end = pos;
	while (pos + RECORD_HEAD <= (uint64_t)st.st_size) {
		uint8_t head[8];
		uint32_t len;
		void *q;

		if (read_at(fd, head, 8, pos) < 0)
			break;
		len = get32(head);
		if (len < 12 || len > RECORD_MAX || len > (uint64_t)st.st_size - pos - 8)
			break;
		uint32_t raw_len;
		q = realloc(buf, len);
		if (!q) {
			rc = VITALS_E_NOMEM;
			goto out_free;
		}
		buf = q;
		if (read_at(fd, buf, len, pos + 8) < 0 || crc(buf, len) != get32(head + 4))
			break;
		raw_len = get32(buf + 8);
		if (raw_len > RECORD_MAX)
			break;
		if (raw_len > rows_cap) {
			q = realloc(rows, raw_len);
			if (!q) {
				rc = VITALS_E_NOMEM;
				goto out_free;
			}
			rows = q;
			rows_cap = raw_len;
		}
		if (codec_decompress(&cs, VITALS_CODEC_ZSTD, buf + 12, len - 12, rows, raw_len, err,
		                     errlen) < 0 ||
		    decode_rows(b, rows, raw_len) < 0)
			break; /* a record whose CRC matches but whose rows do not fit: stop there
			        */
		info->last_seq = get64(buf);
		info->records++;
		pos += 8 + (uint64_t)len;
		info->good_end = pos;
		if (fn && (rc = fn(ctx, info->last_seq, b)) < 0)
			goto out_free;
	}
	info->torn = (uint64_t)st.st_size - info->good_end;
	rc = VITALS_OK;
out_free:
	free(buf);
	free(rows);
	codec_state_release(&cs);
	vitals_batch_free(b);
	return rc;
}

void journal_scratch_release(struct journal_scratch *js)
{
	bytebuf_release(&js->raw);
	bytebuf_release(&js->rec);
	codec_state_release(&js->codec);
}
