/*
 * The filesystem source: the mount table of /proc/self/mountinfo, and
 * statvfs() of each mount point every sample.
 *
 * By default only real filesystems: those /proc/filesystems does not mark
 * "nodev". A filesystem mounted in several places (bind mounts) is
 * reported once, at its shortest mount point; a mount point mounted over
 * is reported for what is visible there. Network and FUSE filesystems are
 * never passed to statvfs(), which could hang on a dead server: they are
 * reported with their metrics missing.
 *
 * The mount table is parsed again only when it changed: on a real procfs
 * the kernel flags the held mountinfo descriptor (POLLPRI) after a mount
 * or unmount; on a fixture tree the text is compared with the last one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define MOUNTINFO_BUF_INITIAL   (16 * 1024)
#define MOUNTINFO_BUF_MAX       (16 * 1024 * 1024)
#define FILESYSTEMS_BUF_INITIAL 2048
#define FILESYSTEMS_BUF_MAX     (64 * 1024)

/* Filesystems whose statvfs() may wait on a network or a user-space daemon. */
static const char *const fs_remote[] = {
    "nfs",  "nfs4",  "cifs",      "smb3",   "smbfs", "ncpfs",  "afs",    "9p",   "ceph",
    "gfs2", "ocfs2", "glusterfs", "lustre", "davfs", "autofs", "vboxsf", "coda", "sshfs",
};

struct mount {
	struct vitals_entity e;
	unsigned major, minor;
	int no_statvfs;
	int real; /* backed by a device, not a pseudo filesystem */
	size_t mount_point_len;
	const char *mount_point, *source, *fstype; /* in text[] */
	char text[];
};

struct fs_state {
	int mountinfo_fd;
	int filesystems_fd;
	int filesystems_reread; /* /proc/filesystems read again in this parse */
	int parsed;             /* the mount list reflects some reading */
	struct vbuf mountinfo;
	struct vbuf filesystems;
	char *last; /* fixture trees: the text of the last parse */
	size_t last_len;
	struct mount **mounts;
	size_t nmounts, cap;
	struct mountinfo_line line;
};

static void fs_clear_mounts(struct fs_state *s)
{
	for (size_t i = 0; i < s->nmounts; i++)
		free(s->mounts[i]);
	s->nmounts = 0;
}

static void fs_release(void *state)
{
	struct fs_state *s = state;

	if (!s)
		return;
	close_fd(s->mountinfo_fd);
	close_fd(s->filesystems_fd);
	vbuf_release(&s->mountinfo);
	vbuf_release(&s->filesystems);
	fs_clear_mounts(s);
	free(s->mounts);
	free(s->last);
	free(s);
}

static int fs_read_filesystems(struct fs_state *s)
{
	int err = fd_pread_all(s->filesystems_fd, &s->filesystems);

	return err == 0 || err == -E2BIG ? 0 : -1;
}

static int fs_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct fs_state *s;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->mountinfo_fd = s->filesystems_fd = -1;
	if (vbuf_init(&s->mountinfo, MOUNTINFO_BUF_INITIAL, MOUNTINFO_BUF_MAX) < 0 ||
	    vbuf_init(&s->filesystems, FILESYSTEMS_BUF_INITIAL, FILESYSTEMS_BUF_MAX) < 0)
		goto out_release;
	status = VITALS_E_UNSUPPORTED;
	s->mountinfo_fd = open_at(c->proc_fd, "self/mountinfo", 0);
	if (s->mountinfo_fd < 0) {
		snprintf(reason, len, "cannot open %s/self/mountinfo: %s", c->proc_root,
		         strerror(errno));
		goto out_release;
	}
	s->filesystems_fd = open_at(c->proc_fd, "filesystems", 0);
	if (s->filesystems_fd < 0 || fs_read_filesystems(s) < 0) {
		snprintf(reason, len, "cannot read %s/filesystems: %s", c->proc_root,
		         strerror(errno));
		goto out_release;
	}
	*state = s;
	return VITALS_OK;

out_release:
	fs_release(s);
out:
	return status;
}

static int fs_is_remote(const char *fstype)
{
	if (strncmp(fstype, "fuse", 4) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(fs_remote) / sizeof(fs_remote[0]); i++)
		if (strcmp(fstype, fs_remote[i]) == 0)
			return 1;
	return 0;
}

/* Whether the mount in L is a real filesystem (backed by a device). */
static int fs_is_real(struct fs_state *s, const struct mountinfo_line *l)
{
	int nodev = filesystems_nodev(s->filesystems.data, l->fstype);

	if (nodev < 0 && !s->filesystems_reread) {
		/* a module loaded since: read the list again, once per parse */
		s->filesystems_reread = 1;
		if (fs_read_filesystems(s) == 0)
			nodev = filesystems_nodev(s->filesystems.data, l->fstype);
	}
	if (nodev < 0) /* unknown type: anonymous device numbers have major 0 */
		return l->major != 0;
	return !nodev;
}

static int fs_add(struct fs_state *s, const struct mountinfo_line *l, int real)
{
	size_t mp = strlen(l->mount_point), src = strlen(l->source), ft = strlen(l->fstype);
	struct mount *m;

	if (s->nmounts == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 32;
		struct mount **p = realloc(s->mounts, ncap * sizeof(*p));

		if (!p)
			return VITALS_E_NOMEM;
		s->mounts = p;
		s->cap = ncap;
	}
	m = calloc(1, sizeof(*m) + mp + src + ft + 3);
	if (!m)
		return VITALS_E_NOMEM;
	memcpy(m->text, l->mount_point, mp + 1);
	memcpy(m->text + mp + 1, l->source, src + 1);
	memcpy(m->text + mp + src + 2, l->fstype, ft + 1);
	m->mount_point = m->text;
	m->mount_point_len = mp;
	m->source = m->text + mp + 1;
	m->fstype = m->text + mp + src + 2;
	m->major = l->major;
	m->minor = l->minor;
	m->no_statvfs = fs_is_remote(l->fstype);
	m->real = real;
	m->e.kind = VITALS_KIND_FS;
	m->e.in_scope = 1;
	m->e.id = m->mount_point;
	m->e.name = m->source;
	s->mounts[s->nmounts++] = m;
	return VITALS_OK;
}

/* Whether mount J, at index JJ, hides mount I at index II: the same place mounted over later. */
static int fs_covers(const struct mount *i, size_t ii, const struct mount *j, size_t jj)
{
	return jj > ii && strcmp(i->mount_point, j->mount_point) == 0;
}

/* Whether J is the same filesystem as I at a better place: shorter, or as short and first. */
static int fs_binds(const struct mount *i, size_t ii, const struct mount *j, size_t jj)
{
	if (i->major != j->major || i->minor != j->minor)
		return 0;
	if (j->mount_point_len != i->mount_point_len)
		return j->mount_point_len < i->mount_point_len;
	return jj < ii;
}

/* Drop the mounts for which HIDES finds another mount. */
static void fs_drop_hidden(struct fs_state *s,
                           int (*hides)(const struct mount *, size_t, const struct mount *, size_t))
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nmounts; i++) {
		int hidden = 0;

		for (size_t j = 0; j < s->nmounts && !hidden; j++)
			if (j != i && s->mounts[j] && hides(s->mounts[i], i, s->mounts[j], j))
				hidden = 1;
		if (hidden) {
			free(s->mounts[i]);
			s->mounts[i] = NULL;
		}
	}
	for (size_t i = 0; i < s->nmounts; i++)
		if (s->mounts[i])
			s->mounts[kept++] = s->mounts[i];
	s->nmounts = kept;
}

/* Drop pseudo filesystems unless all are wanted. */
static void fs_drop_pseudo(struct vitals_collector *c, struct fs_state *s)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->nmounts; i++) {
		if (!s->mounts[i]->real && !c->opts.all_filesystems)
			free(s->mounts[i]);
		else
			s->mounts[kept++] = s->mounts[i];
	}
	s->nmounts = kept;
}

static int fs_parse(struct vitals_collector *c, struct fs_state *s)
{
	const char *p = s->mountinfo.data;
	int r, status = VITALS_OK;

	fs_clear_mounts(s);
	s->parsed = 0; /* until this parse is complete */
	s->filesystems_reread = 0;
	while ((r = mountinfo_next(&p, &s->line)) >= 0) {
		if (r == 0)
			continue;
		status = fs_add(s, &s->line, fs_is_real(s, &s->line));
		if (status < 0)
			return status;
	}
	/* what is mounted over is hidden, even by a pseudo filesystem */
	fs_drop_hidden(s, fs_covers);
	fs_drop_pseudo(c, s);
	fs_drop_hidden(s, fs_binds);
	s->parsed = 1;
	return status;
}

/* Whether the mount table may have changed since the last parse. */
static int fs_changed(struct vitals_collector *c, struct fs_state *s)
{
	struct pollfd pfd = {.fd = s->mountinfo_fd, .events = POLLPRI};

	if (!s->parsed || !c->proc_is_procfs)
		return 1;
	if (poll(&pfd, 1, 0) < 0)
		return 1;
	return (pfd.revents & (POLLPRI | POLLERR)) != 0;
}

/* Read the mount table and parse it when it changed. */
static int fs_refresh(struct vitals_collector *c, struct fs_state *s, char *reason, size_t len)
{
	int err;

	if (!fs_changed(c, s))
		return VITALS_OK;
	err = fd_pread_all(s->mountinfo_fd, &s->mountinfo);
	if (err < 0 && err != -E2BIG) {
		snprintf(reason, len, "cannot read %s/self/mountinfo: %s", c->proc_root,
		         strerror(-err));
		return VITALS_E_IO;
	}
	if (c->proc_is_procfs)
		return fs_parse(c, s);
	if (s->parsed && s->last && s->last_len == s->mountinfo.len &&
	    memcmp(s->last, s->mountinfo.data, s->last_len) == 0)
		return VITALS_OK;
	free(s->last);
	s->last = malloc(s->mountinfo.len + 1);
	if (!s->last)
		return VITALS_E_NOMEM;
	memcpy(s->last, s->mountinfo.data, s->mountinfo.len + 1);
	s->last_len = s->mountinfo.len;
	return fs_parse(c, s);
}

/* A * B into *OUT, or -1 on overflow. */
static int mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	return __builtin_mul_overflow(a, b, out) ? -1 : 0;
}

static void fs_fill(struct mount *m)
{
	struct vitals_entity *e = &m->e;
	struct statvfs sv;
	uint64_t bs, total, avail, used;

	entity_clear(e);
	e->attr[VITALS_FS_ATTR_FSTYPE] = m->fstype;
	if (m->no_statvfs || statvfs(m->mount_point, &sv) < 0)
		return;
	bs = sv.f_frsize ? sv.f_frsize : sv.f_bsize;
	if (sv.f_bfree > sv.f_blocks || sv.f_bavail > sv.f_blocks)
		return;
	if (mul_u64(sv.f_blocks, bs, &total) < 0 || mul_u64(sv.f_bavail, bs, &avail) < 0 ||
	    mul_u64(sv.f_blocks - sv.f_bfree, bs, &used) < 0)
		return;
	entity_set(e, VITALS_FS_TOTAL, (double)total);
	entity_set(e, VITALS_FS_USED, (double)used);
	entity_set(e, VITALS_FS_AVAILABLE, (double)avail);
	if ((double)used + (double)avail > 0)
		entity_set(e, VITALS_FS_USED_PERCENT,
		           (double)used * 100 / ((double)used + (double)avail));
	if (sv.f_files > 0 && sv.f_ffree <= sv.f_files) { /* 0 files: no fixed inode table */
		entity_set(e, VITALS_FS_INODES_TOTAL, (double)sv.f_files);
		entity_set(e, VITALS_FS_INODES_USED, (double)(sv.f_files - sv.f_ffree));
	}
}

static int fs_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct fs_state *s = state;
	int status = fs_refresh(c, s, reason, len);

	if (status == VITALS_E_NOMEM)
		return status;
	for (size_t i = 0; i < s->nmounts; i++) {
		fs_fill(s->mounts[i]);
		if (collector_publish(c, VITALS_KIND_FS, &s->mounts[i]->e) < 0)
			return VITALS_E_NOMEM;
	}
	return status;
}

const struct source_ops source_fs = {"fs", VITALS_KIND_FS, fs_init, fs_sample, fs_release};
