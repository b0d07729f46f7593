/*
 * Fuzz the parsers of the cgroup and container sources: cgroup files, cgroup
 * paths, /proc/PID/cgroup, HTTP answers and the Docker API's container list. The first byte
 * picks the parser; the rest is the input. Every string the parsers fill
 * must be NUL-terminated within its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/cgparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entries(const struct docker_entry *e, int n)
{
	for (int i = 0; i < n; i++)
		if (strnlen(e[i].id, sizeof(e[i].id)) == sizeof(e[i].id) ||
		    strnlen(e[i].name, sizeof(e[i].name)) == sizeof(e[i].name) ||
		    strnlen(e[i].image, sizeof(e[i].image)) == sizeof(e[i].image) || !e[i].id[0])
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_entry entries[8];
	struct cg_container ct;
	uint64_t v, r, w;
	const char *p;
	size_t len, body;
	int32_t pid;
	int n, status;
	char *buf;

	if (size < 1 || size > 1 << 20)
		return 0;
	len = size - 1;
	buf = malloc(len + 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	buf[len] = '\0';
	switch (data[0] % 8) {
	case 0:
		cg_kv_get(buf, "usage_usec", &v);
		cg_kv_get(buf, "anon", &v);
		break;
	case 1:
		cg_value_parse(buf, &v);
		break;
	case 2:
		cg_iostat_parse(buf, &r, &w);
		break;
	case 3:
		cg_blkio_parse(buf, &r, &w);
		break;
	case 4:
		p = buf;
		while ((n = cg_procs_next(&p, &pid)) != 0) {
			if (p < buf || p > buf + len || (n > 0 && pid <= 0))
				abort();
		}
		/* and as /proc/PID/cgroup */
		if (cg_pid_path(buf, "memory", &p, &body) == 0 &&
		    (p <= buf || p + body > buf + len || *p != '/' || memchr(p, '\n', body)))
			abort();
		if (cg_pid_path(buf, "", &p, &body) == 0 && (p + body > buf + len || *p != '/'))
			abort();
		break;
	case 5:
		cg_classify(buf, &ct);
		if (strnlen(ct.id, sizeof(ct.id)) == sizeof(ct.id) ||
		    strnlen(ct.label, sizeof(ct.label)) == sizeof(ct.label))
			abort();
		break;
	case 6:
		/* not NUL-terminated: the parser must stay within LEN */
		n = docker_list_parse((const char *)data + 1, len, entries, 8);
		if (n > 8)
			abort();
		check_entries(entries, n);
		break;
	case 7:
		if (http_response_split((const char *)data + 1, len, &status, &body) == 0) {
			if (body > len || status < 0 || status > 999)
				abort();
			n = docker_list_parse((const char *)data + 1 + body, len - body, entries,
			                      8);
			check_entries(entries, n);
		}
		break;
	}
	free(buf);
	return 0;
}
