/*
 * Pure parsers of cgroup files, cgroup paths and the Docker API's
 * container list (cgparse.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "collect/cgparse.h"
#include "util/parse.h"

int cg_kv_get(const char *buf, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	const char *p = buf;

	while (*p) {
		if (strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '\t')) {
			const char *v = p + n;

			return parse_u64(&v, out);
		}
		p = next_line(p);
	}
	return -1;
}

int cg_value_parse(const char *buf, uint64_t *out)
{
	const char *p = skip_blanks(buf);

	if (strncmp(p, "max", 3) == 0 && (p[3] == '\n' || p[3] == '\0' || p[3] == ' '))
		return 1;
	if (parse_u64(&p, out) < 0)
		return -1;
	p = skip_blanks(p);
	return *p == '\n' || *p == '\0' ? 0 : -1;
}

int cg_iostat_parse(const char *buf, uint64_t *read_bytes, uint64_t *write_bytes)
{
	const char *p = buf;

	*read_bytes = *write_bytes = 0;
	while (*p) {
		const char *end = strchr(p, '\n');
		size_t linelen = end ? (size_t)(end - p) : strlen(p);
		const char *q = p;

		/* "MAJ:MIN key=value key=value ..." */
		while (q < p + linelen) {
			uint64_t v, *sum = NULL;

			if (*q == ' ' || *q == '\t') {
				q++;
				continue;
			}
			if (strncmp(q, "rbytes=", 7) == 0)
				sum = read_bytes;
			else if (strncmp(q, "wbytes=", 7) == 0)
				sum = write_bytes;
			if (sum) {
				const char *v0 = q + 7;

				if (parse_u64(&v0, &v) < 0)
					return -1;
				if (*sum + v < *sum)
					return -1;
				*sum += v;
				q = v0;
			}
			while (q < p + linelen && *q != ' ' && *q != '\t')
				q++;
		}
		p += linelen;
		if (*p == '\n')
			p++;
	}
	return 0;
}

int cg_blkio_parse(const char *buf, uint64_t *read_bytes, uint64_t *write_bytes)
{
	const char *p = buf;
	int found = 0;

	*read_bytes = *write_bytes = 0;
	for (; *p; p = next_line(p)) {
		const char *q = skip_field(p); /* MAJ:MIN, or "Total" */
		uint64_t v, *sum = NULL;

		q = skip_blanks(q);
		if (strncmp(q, "Read ", 5) == 0)
			sum = read_bytes;
		else if (strncmp(q, "Write ", 6) == 0)
			sum = write_bytes;
		if (!sum || strncmp(p, "Total", 5) == 0)
			continue;
		q = skip_field(q);
		if (parse_u64(&q, &v) < 0 || *sum + v < *sum)
			return -1;
		*sum += v;
		found = 1;
	}
	return found ? 0 : -1;
}

int cg_procs_next(const char **p, int32_t *pid)
{
	const char *q = *p;
	uint64_t v;

	while (*q == '\n')
		q++;
	if (!*q) {
		*p = q;
		return 0;
	}
	if (parse_u64(&q, &v) < 0 || v == 0 || v > 0x7fffffff || (*q != '\n' && *q != '\0')) {
		*p = next_line(q); /* q is still on the bad line */
		return -1;
	}
	*pid = (int32_t)v;
	*p = q;
	return 1;
}

int cg_pid_path(const char *buf, const char *controllers, const char **path, size_t *len)
{
	size_t n = strlen(controllers);

	for (const char *p = buf; *p; p = next_line(p)) {
		const char *c = strchr(p, ':'), *end;

		if (!c || memchr(p, '\n', (size_t)(c - p)))
			continue; /* no hierarchy id on this line */
		c++;
		if (strncmp(c, controllers, n) != 0 || c[n] != ':' || c[n + 1] != '/')
			continue;
		c += n + 1;
		end = strchr(c, '\n');
		*path = c;
		*len = end ? (size_t)(end - c) : strlen(c);
		return 0;
	}
	return -1;
}

/* Whether S (N bytes) is all lower-case hex digits. */
static int all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

/* Copy the component text [S, S+N) into DST (CAP bytes). */
static void copy_part(char *dst, size_t cap, const char *s, size_t n)
{
	copy_bounded(dst, cap, s, n);
}

/*
 * If the component [S, S+N) is PREFIX + a hex id (>= 32 digits) +
 * optional SUFFIX (".scope"), copy the id into OUT->id.
 */
static int match_id(const char *s, size_t n, const char *prefix, struct cg_container *out)
{
	size_t pl = strlen(prefix);
	size_t idlen;

	if (n < pl || strncmp(s, prefix, pl) != 0)
		return 0;
	s += pl;
	n -= pl;
	idlen = n;
	if (idlen > 6 && strncmp(s + idlen - 6, ".scope", 6) == 0)
		idlen -= 6;
	if (idlen < 32 || idlen >= CG_ID_MAX || !all_hex(s, idlen))
		return 0;
	copy_part(out->id, sizeof(out->id), s, idlen);
	return 1;
}

void cg_classify(const char *path, struct cg_container *out)
{
	const char *last = NULL, *prev = NULL, *pod = NULL;
	size_t lastlen = 0, prevlen = 0, podlen = 0;
	int kube = 0;

	memset(out, 0, sizeof(*out));
	/* walk the components, remembering the last two and a pod's */
	for (const char *p = path; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		if (n >= 8 && strncmp(p, "kubepods", 8) == 0)
			kube = 1;
		if (kube) {
			const char *q = memchr(p, 'p', n);

			/* "podUID" or "kubepods-besteffort-podUID.slice" */
			for (; q && q + 3 < p + n; q = memchr(q + 1, 'p', (size_t)(p + n - q - 1)))
				if (strncmp(q, "pod", 3) == 0 && (q == p || q[-1] == '-') &&
				    q + 3 < p + n && isxdigit((unsigned char)q[3])) {
					pod = q + 3;
					podlen = (size_t)(p + n - pod);
					if (podlen > 6 &&
					    strncmp(pod + podlen - 6, ".slice", 6) == 0)
						podlen -= 6;
					break;
				}
		}
		prev = last;
		prevlen = lastlen;
		last = p;
		lastlen = n;
		p += n;
	}
	if (!last)
		return;

	if (match_id(last, lastlen, "docker-", out) ||
	    (prev && prevlen == 6 && strncmp(prev, "docker", 6) == 0 &&
	     match_id(last, lastlen, "", out)))
		out->runtime = "docker";
	else if (match_id(last, lastlen, "libpod-", out) ||
	         (prev && prevlen >= 6 && strncmp(prev, "libpod", 6) == 0 &&
	          match_id(last, lastlen, "", out)))
		out->runtime = "podman";
	else if (match_id(last, lastlen, "cri-containerd-", out))
		out->runtime = "containerd";
	else if (match_id(last, lastlen, "crio-", out))
		out->runtime = "cri-o";
	else if (kube && match_id(last, lastlen, "", out))
		out->runtime = "containerd";
	else if (prev &&
	         ((prevlen == 7 && strncmp(prev, "default", 7) == 0) ||
	          (prevlen == 4 && strncmp(prev, "k8s.io", 4) == 0)) &&
	         match_id(last, lastlen, "", out))
		out->runtime = "containerd"; /* containerd's own namespaces */

	if (out->runtime) {
		if (kube && pod) {
			char podbuf[64], shortid[16];

			out->runtime = "kubernetes";
			copy_part(podbuf, sizeof(podbuf), pod, podlen);
			for (char *c = podbuf; *c; c++)
				if (*c == '_')
					*c = '-';
			copy_part(shortid, sizeof(shortid), out->id, 12);
			snprintf(out->label, sizeof(out->label), "pod %s/%s", podbuf, shortid);
			goto out;
		}
		copy_part(out->label, sizeof(out->label), out->id, 12);
		goto out;
	}
	if (kube && pod) {
		out->runtime = "kubernetes";
		copy_part(out->label, 5, "pod ", 4);
		copy_part(out->label + 4, sizeof(out->label) - 4, pod, podlen);
		goto out;
	}
	/* systemd units: the last component names them */
	if ((lastlen > 8 && strncmp(last + lastlen - 8, ".service", 8) == 0) ||
	    (lastlen > 6 && strncmp(last + lastlen - 6, ".scope", 6) == 0)) {
		out->runtime = "systemd";
		copy_part(out->label, sizeof(out->label), last, lastlen);
	}
out:
	return;
}

/* ---- the container list: a bounded JSON reader ------------------------------ */

#define JSON_DEPTH_MAX 32

struct jcur {
	const char *p, *end;
};

static void j_ws(struct jcur *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int j_peek(struct jcur *j)
{
	j_ws(j);
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

/*
 * A string at the cursor: copied (unescaped, \u escapes of ASCII kept,
 * others as '?') into DST when DST is not NULL. 0 or -1.
 */
static int j_string(struct jcur *j, char *dst, size_t cap)
{
	size_t k = 0;

	if (j_peek(j) != '"')
		return -1;
	j->p++;
	while (j->p < j->end && *j->p != '"') {
		char ch = *j->p++;

		if ((unsigned char)ch < 0x20)
			return -1;
		if (ch == '\\') {
			if (j->p >= j->end)
				return -1;
			ch = *j->p++;
			switch (ch) {
			case 'n':
			case 't':
			case 'r':
			case 'b':
			case 'f':
				ch = ' ';
				break;
			case 'u': {
				unsigned v = 0;

				if (j->end - j->p < 4)
					return -1;
				for (int i = 0; i < 4; i++) {
					char h = j->p[i];

					if (!isxdigit((unsigned char)h))
						return -1;
					v = v * 16 + (unsigned)(isdigit((unsigned char)h)
					                            ? h - '0'
					                            : (tolower((unsigned char)h) -
					                               'a' + 10));
				}
				j->p += 4;
				ch = v >= 0x20 && v < 0x7f ? (char)v : '?';
				break;
			}
			case '"':
			case '\\':
			case '/':
				break;
			default:
				return -1;
			}
		}
		if (dst && k + 1 < cap)
			dst[k++] = ch;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	if (dst && cap)
		dst[k] = '\0';
	return 0;
}

static int j_skip(struct jcur *j, int depth);

static int j_skip_container(struct jcur *j, int depth, char open, char close)
{
	int first = 1;

	if (depth >= JSON_DEPTH_MAX || j_peek(j) != open)
		return -1;
	j->p++;
	for (;;) {
		int c = j_peek(j);

		if (c == close) {
			j->p++;
			return 0;
		}
		if (!first) {
			if (c != ',')
				return -1;
			j->p++;
		}
		first = 0;
		if (open == '{') {
			if (j_string(j, NULL, 0) < 0 || j_peek(j) != ':')
				return -1;
			j->p++;
		}
		if (j_skip(j, depth + 1) < 0)
			return -1;
	}
}

/* Skip one value of any shape. */
static int j_skip(struct jcur *j, int depth)
{
	int c = j_peek(j);

	if (c == '"')
		return j_string(j, NULL, 0);
	if (c == '{')
		return j_skip_container(j, depth, '{', '}');
	if (c == '[')
		return j_skip_container(j, depth, '[', ']');
	if (c == '-' || (c >= '0' && c <= '9')) {
		const char *start = j->p;

		while (j->p < j->end && strchr("+-.eE0123456789", *j->p) && *j->p)
			j->p++;
		return j->p > start ? 0 : -1;
	}
	for (const char *const *w = (const char *const[]){"true", "false", "null", NULL}; *w; w++) {
		size_t n = strlen(*w);

		if ((size_t)(j->end - j->p) >= n && strncmp(j->p, *w, n) == 0) {
			j->p += n;
			return 0;
		}
	}
	return -1;
}

/* The first string of an array value ("Names": ["/web"]), the rest skipped. */
static int j_first_string(struct jcur *j, char *dst, size_t cap)
{
	int first = 1;

	if (j_peek(j) != '[')
		return j_skip(j, 1);
	j->p++;
	for (;;) {
		int c = j_peek(j);

		if (c == ']') {
			j->p++;
			return 0;
		}
		if (!first) {
			if (c != ',')
				return -1;
			j->p++;
			c = j_peek(j);
		}
		if (first && c == '"') {
			if (j_string(j, dst, cap) < 0)
				return -1;
		} else if (j_skip(j, 2) < 0) {
			return -1;
		}
		first = 0;
	}
}

static int j_entry(struct jcur *j, struct docker_entry *e)
{
	int first = 1;

	memset(e, 0, sizeof(*e));
	if (j_peek(j) != '{')
		return -1;
	j->p++;
	for (;;) {
		char key[16];
		int c = j_peek(j), r;

		if (c == '}') {
			j->p++;
			return 0;
		}
		if (!first) {
			if (c != ',')
				return -1;
			j->p++;
		}
		first = 0;
		if (j_string(j, key, sizeof(key)) < 0 || j_peek(j) != ':')
			return -1;
		j->p++;
		if (strcmp(key, "Id") == 0 && j_peek(j) == '"')
			r = j_string(j, e->id, sizeof(e->id));
		else if (strcmp(key, "Image") == 0 && j_peek(j) == '"')
			r = j_string(j, e->image, sizeof(e->image));
		else if (strcmp(key, "Names") == 0)
			r = j_first_string(j, e->name, sizeof(e->name));
		else
			r = j_skip(j, 1);
		if (r < 0)
			return -1;
	}
}

int docker_list_parse(const char *buf, size_t len, struct docker_entry *out, size_t cap)
{
	struct jcur j = {buf, buf + len};
	size_t n = 0;
	int first = 1;

	if (j_peek(&j) != '[')
		return -1;
	j.p++;
	for (;;) {
		struct docker_entry e;
		int c = j_peek(&j);

		if (c == ']')
			break;
		if (!first) {
			if (c != ',')
				return -1;
			j.p++;
		}
		first = 0;
		if (j_entry(&j, &e) < 0)
			return -1;
		if (e.name[0] == '/')
			memmove(e.name, e.name + 1, strlen(e.name));
		if (e.id[0] && n < cap)
			out[n++] = e;
	}
	return (int)n;
}

int http_response_split(const char *buf, size_t len, int *status, size_t *body)
{
	const char *p = buf, *end = buf + len;
	int code = 0;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
		return -1;
	p += 8;
	if (*p != ' ')
		return -1;
	p++;
	for (int i = 0; i < 3; i++, p++) {
		if (p >= end || !isdigit((unsigned char)*p))
			return -1;
		code = code * 10 + (*p - '0');
	}
	for (; p + 3 < end; p++)
		if (p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
			*status = code;
			*body = (size_t)(p + 4 - buf);
			return 0;
		}
	for (p = buf; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n') {
			*status = code;
			*body = (size_t)(p + 2 - buf);
			return 0;
		}
	return -1;
}
