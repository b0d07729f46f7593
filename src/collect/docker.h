/*
 * Container names and images from the Docker API (Podman serves the same
 * list) over its unix socket: one bounded HTTP/1.0 request with a time
 * limit, its answer cached, asked again at most every DOCKER_REFRESH_S
 * seconds and only when an unknown container shows up.
 */
#ifndef VITALS_COLLECT_DOCKER_H
#define VITALS_COLLECT_DOCKER_H

#include <stddef.h>

#include "collect/cgparse.h"

#define DOCKER_REFRESH_S   10.0
#define DOCKER_TIMEOUT_MS  250
#define DOCKER_REPLY_MAX   (4u << 20)
#define DOCKER_ENTRIES_MAX 4096

struct docker_client;

/*
 * A client for SOCKET_PATH, or for the usual Docker then Podman sockets
 * when it is NULL (/var/run/docker.sock, /run/podman/podman.sock, then
 * rootless Podman's $XDG_RUNTIME_DIR/podman/podman.sock). Nothing is asked
 * yet. NULL when out of memory.
 */
struct docker_client *docker_client_new(const char *socket_path);
void docker_client_free(struct docker_client *d);

/*
 * The entry of container ID (full id), asking the daemon when ID is not
 * cached and the last answer is older than DOCKER_REFRESH_S at monotonic
 * time NOW. NULL when no daemon answers or it does not know ID.
 */
const struct docker_entry *docker_client_lookup(struct docker_client *d, const char *id,
                                                double now);

/* Why the last request failed ("no socket at ..."), or "" after a good answer. */
const char *docker_client_error(const struct docker_client *d);

/*
 * One request: GET PATH over the unix socket SOCKET_PATH, with a limit of
 * TIMEOUT_MS for the whole exchange. The answer (headers and body) goes in
 * *out (malloc'd, NUL-terminated, at most MAX bytes) and *len. 0, or -1
 * with ERR set.
 */
int docker_http_get(const char *socket_path, const char *path, int timeout_ms, size_t max,
                    char **out, size_t *len, char *err, size_t errlen);

#endif
