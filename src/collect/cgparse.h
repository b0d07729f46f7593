/*
 * Pure parsers for the cgroup and container sources: the text of cgroup
 * files (v1 and v2), the recognition of containers from cgroup paths, and
 * the Docker API's container list. Each takes a NUL-terminated buffer (or
 * a buffer and its length) and never reads past it; unit tests and the
 * fuzz target fuzz_cgparse call them directly.
 */
#ifndef VITALS_COLLECT_CGPARSE_H
#define VITALS_COLLECT_CGPARSE_H

#include <stddef.h>
#include <stdint.h>

/*
 * In a flat keyed file ("key value" lines: cpu.stat, memory.stat,
 * cpuacct.stat), the value of KEY. 0, or -1 when there is no such line or
 * its value is not a number.
 */
int cg_kv_get(const char *buf, const char *key, uint64_t *out);

/*
 * A file holding one number or "max" (memory.max, pids.max,
 * memory.current). 0 with *out set; 1 for "max" (unlimited); -1 otherwise.
 */
int cg_value_parse(const char *buf, uint64_t *out);

/* The sum of rbytes= and wbytes= over the devices of a v2 io.stat. 0, or -1 when malformed. */
int cg_iostat_parse(const char *buf, uint64_t *read_bytes, uint64_t *write_bytes);

/*
 * The sum of "MAJ:MIN Read N" and "MAJ:MIN Write N" lines of a v1
 * blkio.*io_service_bytes* file. 0, or -1 when it has no such line.
 */
int cg_blkio_parse(const char *buf, uint64_t *read_bytes, uint64_t *write_bytes);

/*
 * The next pid of a cgroup.procs buffer from *P: 1 with *pid set, 0 at
 * the end, -1 on a line that is not a pid (the cursor moves past it).
 */
int cg_procs_next(const char **p, int32_t *pid);

/*
 * In the text of /proc/PID/cgroup ("ID:CONTROLLERS:PATH" lines), the path
 * of the process's group in the hierarchy whose controllers field is
 * CONTROLLERS ("" for v2, "memory", "cpu,cpuacct"): *path points into BUF
 * and *len is its length, without the newline. 0, or -1 when no line
 * names that hierarchy.
 */
int cg_pid_path(const char *buf, const char *controllers, const char **path, size_t *len);

/* What a cgroup path says about the container or service inside it. */
#define CG_ID_MAX    80
#define CG_LABEL_MAX 128

struct cg_container {
	const char *runtime;      /* "docker", "podman", ... ; NULL when none is recognised */
	char id[CG_ID_MAX];       /* full container id; "" when not a container */
	char label[CG_LABEL_MAX]; /* short id, unit name or pod; "" when nothing to say */
};

/*
 * Recognise PATH (a cgroup path such as "/system.slice/docker-ID.scope",
 * "/docker/ID", "/kubepods/burstable/podUID/ID", "/machine.slice/libpod-ID.scope"
 * or "/system.slice/ssh.service"). Always fills OUT.
 */
void cg_classify(const char *path, struct cg_container *out);

/* One container of the Docker API's list. */
struct docker_entry {
	char id[CG_ID_MAX];
	char name[CG_LABEL_MAX]; /* without the leading '/' */
	char image[CG_LABEL_MAX];
};

/*
 * Parse the body of GET /containers/json (a JSON array of objects with
 * "Id", "Names" and "Image") into at most CAP entries. Unknown keys and
 * values of any shape are skipped; nesting is bounded. Returns the number
 * of entries, or -1 when the text is not such an array.
 */
int docker_list_parse(const char *buf, size_t len, struct docker_entry *out, size_t cap);

/*
 * Split an HTTP/1.x response of LEN bytes: the status code into *status
 * and the offset of the body into *body. 0, or -1 when it is not a response.
 */
int http_response_split(const char *buf, size_t len, int *status, size_t *body);

#endif
