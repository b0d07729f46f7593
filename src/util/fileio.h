/*
 * Bounded reading of kernel files: every buffer has a cap, every read
 * retries on EINTR, every descriptor is close-on-exec.
 */
#ifndef VITALS_UTIL_FILEIO_H
#define VITALS_UTIL_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* A growable buffer with a hard cap (see curl's dynbuf). Always NUL-terminated once read into. */
struct vbuf {
	char *data;
	size_t len; /* bytes held, not counting the terminating NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* cap never grows past this */
};

/* Start empty with room for INITIAL bytes, never growing past MAX. 0 or -ENOMEM. */
int vbuf_init(struct vbuf *b, size_t initial, size_t max);
void vbuf_release(struct vbuf *b);
/* Make room for at least N bytes plus a NUL. 0, or -ENOMEM when N exceeds max or malloc fails. */
int vbuf_reserve(struct vbuf *b, size_t n);

/*
 * Read FD from offset 0 to its end into B, growing B up to its max. Returns 0,
 * -E2BIG when the file is larger than the max (B then holds the first max
 * bytes), or -errno. B is NUL-terminated in every case.
 */
int fd_pread_all(int fd, struct vbuf *b);

/*
 * Read up to CAP-1 bytes of FD from offset 0 into BUF and NUL-terminate.
 * Returns the byte count, or -errno. A count of CAP-1 may mean the file was
 * longer and has been cut.
 */
ssize_t fd_pread_buf(int fd, char *buf, size_t cap);

/* openat() with O_RDONLY|O_CLOEXEC added, retrying on EINTR. -1 and errno on failure. */
int open_at(int dirfd, const char *path, int flags);
/* close() that keeps errno and ignores -1. */
void close_fd(int fd);

/* Read the whole small file PATH under DIRFD into BUF (cap bytes). Bytes read or -errno. */
ssize_t read_small_at(int dirfd, const char *path, char *buf, size_t cap);

#endif
