#include "util/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int vbuf_init(struct vbuf *b, size_t initial, size_t max)
{
	b->len = 0;
	b->max = max;
	b->cap = 0;
	b->data = NULL;
	if (initial > max)
		initial = max;
	return vbuf_reserve(b, initial);
}

void vbuf_release(struct vbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int vbuf_reserve(struct vbuf *b, size_t n)
{
	size_t want;
	char *p;

	if (n >= b->max)
		return -ENOMEM;
	if (n + 1 <= b->cap)
		return 0;
	want = b->cap ? b->cap : 256;
	while (want < n + 1)
		want *= 2;
	if (want > b->max)
		want = b->max;
	p = realloc(b->data, want);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = want;
	return 0;
}

static ssize_t pread_retry(int fd, char *buf, size_t n, off_t off)
{
	ssize_t r;

	do {
		r = pread(fd, buf, n, off);
	} while (r < 0 && errno == EINTR);
	return r;
}

int fd_pread_all(int fd, struct vbuf *b)
{
	size_t off = 0;
	ssize_t r;

	if (!b->data && vbuf_reserve(b, 255) < 0)
		return -ENOMEM;
	for (;;) {
		if (off + 1 >= b->cap) {
			if (b->cap >= b->max) {
				b->len = off;
				b->data[off] = '\0';
				return -E2BIG;
			}
			if (vbuf_reserve(b, b->cap * 2 < b->max ? b->cap * 2 - 1 : b->max - 1) <
			    0) {
				b->len = off;
				b->data[off] = '\0';
				return -ENOMEM;
			}
		}
		r = pread_retry(fd, b->data + off, b->cap - 1 - off, (off_t)off);
		if (r < 0) {
			int err = errno;

			b->len = off;
			b->data[off] = '\0';
			return -err;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	b->len = off;
	b->data[off] = '\0';
	return 0;
}

ssize_t fd_pread_buf(int fd, char *buf, size_t cap)
{
	size_t off = 0;
	ssize_t r;

	if (cap == 0)
		return -EINVAL;
	while (off + 1 < cap) {
		r = pread_retry(fd, buf + off, cap - 1 - off, (off_t)off);
		if (r < 0) {
			buf[off] = '\0';
			return -errno;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	buf[off] = '\0';
	return (ssize_t)off;
}

int open_at(int dirfd, const char *path, int flags)
{
	int fd;

	do {
		fd = openat(dirfd, path, flags | O_RDONLY | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

void close_fd(int fd)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	errno = err;
}

ssize_t read_small_at(int dirfd, const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open_at(dirfd, path, 0);

	if (fd < 0) {
		if (cap)
			buf[0] = '\0';
		return -errno;
	}
	n = fd_pread_buf(fd, buf, cap);
	close_fd(fd);
	return n;
}
