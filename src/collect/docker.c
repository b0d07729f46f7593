/*
 * The Docker/Podman API client of the cgroup source (docker.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "collect/docker.h"
#include "util/clock.h"

static const char *const default_sockets[] = {"/var/run/docker.sock", "/run/podman/podman.sock"};

struct docker_client {
	char *socket_path;     /* NULL: try the defaults */
	char user_podman[256]; /* $XDG_RUNTIME_DIR/podman/podman.sock (rootless Podman), or "" */
	struct docker_entry *entries;
	size_t count;
	double last_query; /* monotonic seconds; 0 before the first */
	int queried;
	char error[160];
};

struct docker_client *docker_client_new(const char *socket_path)
{
	struct docker_client *d = calloc(1, sizeof(*d));

	const char *run = getenv("XDG_RUNTIME_DIR");

	if (!d)
		return NULL;
	if (run && *run && strlen(run) < sizeof(d->user_podman) - 24)
		snprintf(d->user_podman, sizeof(d->user_podman), "%s/podman/podman.sock", run);
	if (socket_path) {
		d->socket_path = strdup(socket_path);
		if (!d->socket_path) {
			free(d);
			return NULL;
		}
	}
	return d;
}

void docker_client_free(struct docker_client *d)
{
	if (!d)
		return;
	free(d->socket_path);
	free(d->entries);
	free(d);
}

const char *docker_client_error(const struct docker_client *d)
{
	return d->error;
}

static int remaining_ms(double deadline)
{
	double left = deadline - clock_mono_seconds();

	return left > 0 ? (int)(left * 1000) + 1 : 0;
}

int docker_http_get(const char *socket_path, const char *path, int timeout_ms, size_t max,
                    char **out, size_t *len, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	double deadline = clock_mono_seconds() + timeout_ms / 1000.0;
	char req[512];
	size_t reqlen, sent = 0, have = 0, cap = 0;
	char *buf = NULL;
	int fd, r, ret = -1;

	*out = NULL;
	*len = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", socket_path);
		return -1;
	}
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	r = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: docker\r\n\r\n", path);
	if (r < 0 || (size_t)r >= sizeof(req)) {
		snprintf(err, errlen, "request too long");
		return -1;
	}
	reqlen = (size_t)r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		snprintf(err, errlen, "%s: %s", socket_path, strerror(errno));
		goto out_close;
	}
	while (sent < reqlen) {
		struct pollfd pfd = {fd, POLLOUT, 0};
		ssize_t n;

		if (poll(&pfd, 1, remaining_ms(deadline)) <= 0) {
			snprintf(err, errlen, "%s: no answer within %d ms", socket_path,
			         timeout_ms);
			goto out_close;
		}
		n = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "%s: %s", socket_path, strerror(errno));
			goto out_close;
		}
		sent += (size_t)n;
	}
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		ssize_t n;

		if (have + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			if (have + 1 >= ncap) {
				snprintf(err, errlen, "%s: answer larger than %zu bytes",
				         socket_path, max);
				goto out_close;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				snprintf(err, errlen, "out of memory");
				goto out_close;
			}
			buf = nb;
			cap = ncap;
		}
		if (poll(&pfd, 1, remaining_ms(deadline)) <= 0) {
			snprintf(err, errlen, "%s: no answer within %d ms", socket_path,
			         timeout_ms);
			goto out_close;
		}
		n = recv(fd, buf + have, cap - 1 - have, 0);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(err, errlen, "%s: %s", socket_path, strerror(errno));
			goto out_close;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (!buf) {
		snprintf(err, errlen, "%s: empty answer", socket_path);
		goto out_close;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
	ret = 0;
out_close:
	free(buf);
	close(fd);
	return ret;
}

/* Ask SOCKET for the container list and replace the cache with it. 0 or -1. */
static int docker_refresh_from(struct docker_client *d, const char *socket)
{
	struct docker_entry *list;
	char *reply;
	size_t len, body;
	int status, n;

	if (access(socket, F_OK) != 0) {
		snprintf(d->error, sizeof(d->error), "no socket at %s", socket);
		return -1;
	}
	if (docker_http_get(socket, "/containers/json?all=1", DOCKER_TIMEOUT_MS, DOCKER_REPLY_MAX,
	                    &reply, &len, d->error, sizeof(d->error)) < 0)
		return -1;
	if (http_response_split(reply, len, &status, &body) < 0 || status != 200) {
		snprintf(d->error, sizeof(d->error), "%s: not an HTTP 200 answer", socket);
		free(reply);
		return -1;
	}
	list = malloc(DOCKER_ENTRIES_MAX * sizeof(*list));
	if (!list) {
		free(reply);
		snprintf(d->error, sizeof(d->error), "out of memory");
		return -1;
	}
	n = docker_list_parse(reply + body, len - body, list, DOCKER_ENTRIES_MAX);
	free(reply);
	if (n < 0) {
		free(list);
		snprintf(d->error, sizeof(d->error), "%s: the container list is not valid JSON",
		         socket);
		return -1;
	}
	free(d->entries);
	d->entries = list;
	d->count = (size_t)n;
	d->error[0] = '\0';
	return 0;
}

static const struct docker_entry *cache_find(const struct docker_client *d, const char *id)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->entries[i].id, id) == 0)
			return &d->entries[i];
	return NULL;
}

const struct docker_entry *docker_client_lookup(struct docker_client *d, const char *id, double now)
{
	const struct docker_entry *e = cache_find(d, id);

	if (e || (d->queried && now - d->last_query < DOCKER_REFRESH_S))
		return e;
	d->queried = 1;
	d->last_query = now;
	if (d->socket_path) {
		if (!*d->socket_path)
			return NULL;
		docker_refresh_from(d, d->socket_path);
	} else {
		size_t i;

		for (i = 0; i < sizeof(default_sockets) / sizeof(default_sockets[0]); i++)
			if (docker_refresh_from(d, default_sockets[i]) == 0)
				break;
		if (i == sizeof(default_sockets) / sizeof(default_sockets[0]) && d->user_podman[0])
			docker_refresh_from(d, d->user_podman);
	}
	return cache_find(d, id);
}
