/*
 * The process source: every process, read through descriptors that stay
 * open for the life of the process.
 *
 * What it reads, and why so little:
 * - /proc/PID/stat every sample, for every process (the tree and CPU % need
 *   them all). It is held open and re-read with pread: no path lookup.
 * - statm (shared memory), io (storage bytes) and the fd count only for
 *   processes in scope; statm and io are held open too, and the fd count
 *   comes from the size of /proc/PID/fd (kernel 6.2+) without listing it.
 * - status only when swap is in use on the machine: with no swap in use
 *   every process's swap is exactly 0, known without reading.
 * - cmdline and the user name once per process identity (and again after
 *   an exec changes the name); the uid comes from the owner of /proc/PID.
 *
 * A process is identified by (pid, start time). A held descriptor belongs
 * to one process: once it exits, reads fail with ESRCH, so a reused pid is
 * always seen as a new process with fresh descriptors and no rate history.
 *
 * Memory: one struct proc per live process, allocated in blocks and reused
 * through a free list; the pid hash only grows. Nothing is allocated per
 * process per sample once the process table is steady.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collect/internal.h"
#include "collect/procparse.h"
#include "util/clock.h"
#include "util/parse.h"

#define PROC_BLOCK   256
#define STAT_BUF     2048
#define SMALL_BUF    1024
#define STATUS_MAX   (256 * 1024)
#define FD_RESERVE   64   /* descriptors left to the rest of the program */
#define ANCESTRY_MAX 4096 /* bound on a walk up the tree */

struct proc {
	struct vitals_entity e; /* first: process_cgroup() finds the rest from it */
	struct proc_cgroup cg;  /* the cgroup source's, zero for a new process */
	struct proc *hnext;     /* pid hash chain */
	struct proc *fnext;     /* free list */
	pid_t pid;
	uint64_t start_ticks;
	unsigned gen;  /* sample generation when last seen */
	int dirfd;     /* /proc/PID, O_DIRECTORY|O_NOFOLLOW */
	int stat_fd;   /* held, or -1 */
	int statm_fd;  /* held once the process was in scope, or -1 */
	int io_fd;     /* held once in scope; -2 when the kernel refused it */
	int status_fd; /* held once swap was needed; -2 when refused */
	int fddir_fd;  /* /proc/PID/fd held for fstat, or -1 */
	int held;      /* descriptors this process holds, dirfd included */
	int kernel_thread;
	int depth; /* below the scope root; -1 outside the subtree; -2 unknown */
	uint32_t uid;
	int have_uid;
	int have_cpu_prev, have_io_prev;
	int cmdline_stale; /* the name changed (exec): read the command line again */
	uint64_t prev_ticks, prev_minflt, prev_majflt, prev_read, prev_write;
	/*
	 * When stat and io were last read. Rates divide by the time between two
	 * reads of this process, not between two samples: the first sample
	 * opens every file and is slower, so a process late in the scan is read
	 * later into it than in the next one.
	 */
	double stat_mono, prev_stat_mono, io_mono;
	struct procstat st;
	char id[24];
	char state[2];
	char *cmdline;
	const char *user;
};

struct user_name {
	uint32_t uid;
	char *name;
};

struct process_state {
	struct vitals_collector *c;
	DIR *dir; /* over a dup of c->proc_fd, rewound every sample */
	unsigned gen;
	struct proc **hash; /* pid buckets */
	size_t nbuckets;
	size_t nprocs;
	struct proc *free;  /* recycled slots */
	struct proc **seen; /* live processes of this sample, in listing order */
	size_t nseen, seen_cap;
	struct proc **blocks; /* allocation blocks, freed at release */
	size_t nblocks, blocks_cap;
	struct user_name *users;
	size_t nusers, users_cap;
	int fd_budget; /* descriptors we may hold */
	int fds_held;
	int fd_count_by_size; /* fstat of /proc/PID/fd gives the count */
	char *scratch;        /* cmdline_max + 1 bytes */
	struct vbuf status;
	char statbuf[STAT_BUF];
	char small[SMALL_BUF];
};

static size_t pid_bucket(const struct process_state *s, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (s->nbuckets - 1);
}

const struct vitals_entity *process_find(const void *state, pid_t pid)
{
	const struct process_state *s = state;
	const struct proc *p;

	if (!s || !s->nbuckets)
		return NULL;
	for (p = s->hash[pid_bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid && p->gen == s->gen)
			return &p->e;
	return NULL;
}

struct proc_cgroup *process_cgroup(struct vitals_entity *e)
{
	return &((struct proc *)e)->cg;
}

static struct proc *proc_lookup(const struct process_state *s, pid_t pid)
{
	struct proc *p;

	for (p = s->hash[pid_bucket(s, pid)]; p; p = p->hnext)
		if (p->pid == pid)
			return p;
	return NULL;
}

static int hash_grow(struct process_state *s)
{
	size_t n = s->nbuckets * 2;
	struct proc **h = calloc(n, sizeof(*h));

	if (!h)
		return VITALS_E_NOMEM;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct proc *p = s->hash[i], *next;

		for (; p; p = next) {
			size_t b = ((uint32_t)p->pid * 2654435761u) & (n - 1);

			next = p->hnext;
			p->hnext = h[b];
			h[b] = p;
		}
	}
	free(s->hash);
	s->hash = h;
	s->nbuckets = n;
	return VITALS_OK;
}

static struct proc *proc_alloc(struct process_state *s)
{
	struct proc *p;

	if (!s->free) {
		struct proc *block;

		if (s->nblocks == s->blocks_cap) {
			size_t ncap = s->blocks_cap ? s->blocks_cap * 2 : 16;
			struct proc **b = realloc(s->blocks, ncap * sizeof(*b));

			if (!b)
				return NULL;
			s->blocks = b;
			s->blocks_cap = ncap;
		}
		block = calloc(PROC_BLOCK, sizeof(*block));
		if (!block)
			return NULL;
		s->blocks[s->nblocks++] = block;
		for (int i = PROC_BLOCK - 1; i >= 0; i--) {
			block[i].fnext = s->free;
			s->free = &block[i];
		}
	}
	p = s->free;
	s->free = p->fnext;
	memset(p, 0, sizeof(*p));
	p->dirfd = p->stat_fd = p->statm_fd = p->io_fd = p->status_fd = p->fddir_fd = -1;
	return p;
}

static void proc_close(struct process_state *s, struct proc *p)
{
	int *fds[] = {&p->dirfd, &p->stat_fd, &p->statm_fd, &p->io_fd, &p->status_fd, &p->fddir_fd};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close_fd(*fds[i]);
		*fds[i] = -1;
	}
	s->fds_held -= p->held;
	p->held = 0;
}

/* Unlink P from the hash, close what it holds, and put it on the free list. */
static void proc_drop(struct process_state *s, struct proc *p)
{
	struct proc **pp = &s->hash[pid_bucket(s, p->pid)];

	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	proc_close(s, p);
	free(p->cmdline);
	p->cmdline = NULL;
	p->fnext = s->free;
	s->free = p;
	s->nprocs--;
}

/*
 * Where to find file NAME of P: its held directory, or, for a process
 * beyond the descriptor budget, "PID/NAME" under the proc root.
 */
static int proc_base(const struct process_state *s, const struct proc *p, const char *name,
                     char *path, size_t cap)
{
	if (p->dirfd >= 0) {
		snprintf(path, cap, "%s", name);
		return p->dirfd;
	}
	snprintf(path, cap, "%d/%s", (int)p->pid, name);
	return s->c->proc_fd;
}

ssize_t process_read_file(const void *state, const struct vitals_entity *e, const char *name,
                          char *buf, size_t cap)
{
	const struct process_state *s = state;
	const struct proc *p = (const struct proc *)e;
	char rel[64];
	int fd = open_at(proc_base(s, p, name, rel, sizeof(rel)), rel, 0);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = fd_pread_buf(fd, buf, cap);
	close_fd(fd);
	return n;
}

/*
 * Open PATH under P's directory and keep it when the budget allows;
 * otherwise the caller reads through a transient descriptor. Returns the
 * descriptor, or -1 with errno.
 */
static int proc_open(struct process_state *s, struct proc *p, const char *path, int *keep)
{
	char rel[48];
	int fd = open_at(proc_base(s, p, path, rel, sizeof(rel)), rel, 0);

	*keep = 0;
	if (fd >= 0 && s->fds_held < s->fd_budget) {
		*keep = 1;
		s->fds_held++;
		p->held++;
	}
	return fd;
}

/*
 * Read one file of P into BUF through *HELD (opening it first when needed).
 * Returns bytes read or -errno; on ESRCH/ENOENT the process is gone.
 */
static ssize_t proc_read(struct process_state *s, struct proc *p, int *held, const char *path,
                         char *buf, size_t cap)
{
	ssize_t n;
	int fd, keep;

	if (*held >= 0)
		return fd_pread_buf(*held, buf, cap);
	if (*held == -2)
		return -EACCES;
	fd = proc_open(s, p, path, &keep);
	if (fd < 0) {
		int err = errno;

		if (err == EACCES || err == EPERM)
			*held = -2; /* do not ask again for this process */
		return -err;
	}
	n = fd_pread_buf(fd, buf, cap);
	if (keep)
		*held = fd;
	else
		close_fd(fd);
	return n;
}

static const char *user_lookup(struct process_state *s, uint32_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024], num[16];
	const char *name;
	char *copy;

	for (size_t i = 0; i < s->nusers; i++)
		if (s->users[i].uid == uid)
			return s->users[i].name;
	if (s->nusers == s->users_cap) {
		size_t ncap = s->users_cap ? s->users_cap * 2 : 16;
		struct user_name *u = realloc(s->users, ncap * sizeof(*u));

		if (!u)
			return NULL;
		s->users = u;
		s->users_cap = ncap;
	}
	if (getpwuid_r((uid_t)uid, &pw, buf, sizeof(buf), &res) == 0 && res) {
		name = res->pw_name;
	} else {
		snprintf(num, sizeof(num), "%u", uid);
		name = num;
	}
	copy = strdup(name);
	if (!copy)
		return NULL;
	s->users[s->nusers].uid = uid;
	s->users[s->nusers].name = copy;
	s->nusers++;
	return copy;
}

/* Read the command line of P once; kernel threads and zombies have none. */
static int proc_read_cmdline(struct process_state *s, struct proc *p)
{
	char rel[48];
	int base = proc_base(s, p, "cmdline", rel, sizeof(rel));
	ssize_t n;
	size_t len;
	char *copy;

	free(p->cmdline);
	p->cmdline = NULL;
	n = read_small_at(base, rel, s->scratch, s->c->opts.cmdline_max + 1);
	if (n < 0)
		return n == -ESRCH || n == -ENOENT ? VITALS_E_NOTFOUND : VITALS_OK;
	len = cmdline_clean(s->scratch, (size_t)n);
	copy = malloc(len + 1);
	if (!copy)
		return VITALS_E_NOMEM;
	memcpy(copy, s->scratch, len + 1);
	p->cmdline = copy;
	return VITALS_OK;
}

/*
 * Open a process seen for the first time: hold its directory while the
 * descriptor budget allows, else find its files by path each time.
 * VITALS_E_NOTFOUND when it vanished meanwhile.
 */
static int proc_start(struct process_state *s, struct proc *p, const char *name)
{
	struct stat st;
	int fd;

	if (s->fds_held >= s->fd_budget) {
		if (fstatat(s->c->proc_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return VITALS_E_NOTFOUND;
	} else {
		fd = open_at(s->c->proc_fd, name, O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			return VITALS_E_NOTFOUND;
		p->dirfd = fd;
		p->held = 1;
		s->fds_held++;
		if (fstat(fd, &st) < 0)
			return VITALS_OK;
	}
	p->uid = (uint32_t)st.st_uid;
	p->have_uid = 1;
	return VITALS_OK;
}

/* Substring match, case-insensitive; NEEDLE is already lower case. */
static int contains_folded(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!hay)
		return 0;
	for (; *hay; hay++) {
		size_t i = 0;

		while (i < n && hay[i] && tolower((unsigned char)hay[i]) == needle[i])
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* Depth of P below the scope root: 0 for the root, -1 outside its subtree. */
static int proc_depth(struct process_state *s, struct proc *p)
{
	pid_t root = s->c->opts.scope.pid;
	struct proc *q = p;
	int d = 0;

	if (p->depth != -2)
		return p->depth;
	while (q && d < ANCESTRY_MAX) {
		if (q->pid == root)
			break;
		if (q->depth >= 0 && q != p) {
			d += q->depth;
			break;
		}
		if (q->depth == -1 && q != p) {
			q = NULL;
			break;
		}
		if (q->st.ppid <= 0 || q->st.ppid == q->pid) {
			q = NULL;
			break;
		}
		q = proc_lookup(s, (pid_t)q->st.ppid);
		if (q && q->gen != s->gen)
			q = NULL;
		d++;
	}
	p->depth = q ? d : -1;
	return p->depth;
}

static int proc_in_scope(struct process_state *s, struct proc *p)
{
	const struct vitals_scope *sc = &s->c->opts.scope;

	if (sc->pid > 0) {
		int d = proc_depth(s, p);

		if (d < 0 || (sc->depth >= 0 && d > sc->depth))
			return 0;
	}
	if (sc->match && !contains_folded(p->st.comm, sc->match) &&
	    !contains_folded(p->cmdline, sc->match))
		return 0;
	if (sc->threshold_kb &&
	    (uint64_t)p->st.rss * (uint64_t)s->c->page_size < sc->threshold_kb * 1024)
		return 0;
	return 1;
}

/*
 * Read and parse /proc/PID/stat of a known process. VITALS_E_NOTFOUND when
 * it is gone (or the pid now names another process).
 */
static int proc_read_stat(struct process_state *s, struct proc *p)
{
	ssize_t n = proc_read(s, p, &p->stat_fd, "stat", s->statbuf, sizeof(s->statbuf));
	struct procstat st;

	if (n <= 0)
		return VITALS_E_NOTFOUND;
	if (procstat_parse(s->statbuf, &st) < 0 || st.pid != p->pid)
		return VITALS_E_NOTFOUND;
	if (p->st.pid && st.starttime != p->start_ticks)
		return VITALS_E_NOTFOUND;
	if (p->st.pid && strcmp(st.comm, p->st.comm) != 0)
		p->cmdline_stale = 1;
	p->st = st;
	p->start_ticks = st.starttime;
	p->prev_stat_mono = p->stat_mono;
	p->stat_mono = clock_mono_seconds();
	return VITALS_OK;
}

static void proc_fill_base(struct process_state *s, struct proc *p)
{
	struct vitals_collector *c = s->c;
	struct vitals_entity *e = &p->e;
	double hz = (double)c->clock_ticks;
	uint64_t ticks = p->st.utime + p->st.stime;
	double dt = p->stat_mono - p->prev_stat_mono;

	entity_clear(e);
	e->kind = VITALS_KIND_PROCESS;
	e->id = p->id;
	e->name = p->st.comm;
	p->state[0] = p->st.state;
	p->state[1] = '\0';
	e->attr[VITALS_PROC_ATTR_STATE] = p->state;
	e->attr[VITALS_PROC_ATTR_CMDLINE] = p->kernel_thread ? "" : p->cmdline;
	e->attr[VITALS_PROC_ATTR_USER] = p->user;

	entity_set(e, VITALS_PROC_PID, (double)p->pid);
	entity_set(e, VITALS_PROC_PPID, (double)p->st.ppid);
	if (c->boot_time_us > 0)
		entity_set(e, VITALS_PROC_START_TIME,
		           (double)(c->boot_time_us + (int64_t)(p->st.starttime * 1000000 /
		                                                (uint64_t)c->clock_ticks)));
	if (p->have_uid)
		entity_set(e, VITALS_PROC_UID, (double)p->uid);
	entity_set(e, VITALS_PROC_NICE, (double)p->st.nice);
	entity_set(e, VITALS_PROC_THREADS, (double)p->st.threads);
	entity_set(e, VITALS_PROC_RSS, (double)p->st.rss * (double)c->page_size);
	entity_set(e, VITALS_PROC_VMS, (double)p->st.vsize);
	entity_set(e, VITALS_PROC_CPU_USER, (double)p->st.utime / hz);
	entity_set(e, VITALS_PROC_CPU_SYSTEM, (double)p->st.stime / hz);
	entity_set(e, VITALS_PROC_CHILDREN_USER, (double)p->st.cutime / hz);
	entity_set(e, VITALS_PROC_CHILDREN_SYSTEM, (double)p->st.cstime / hz);
	entity_set(e, VITALS_PROC_MINOR_FAULTS, (double)p->st.minflt);
	entity_set(e, VITALS_PROC_MAJOR_FAULTS, (double)p->st.majflt);
	entity_rate(e, VITALS_PROC_CPU_PERCENT, p->have_cpu_prev, p->prev_ticks, ticks, dt,
	            100.0 / hz);
	entity_rate(e, VITALS_PROC_MINOR_FAULTS_RATE, p->have_cpu_prev, p->prev_minflt,
	            p->st.minflt, dt, 1.0);
	entity_rate(e, VITALS_PROC_MAJOR_FAULTS_RATE, p->have_cpu_prev, p->prev_majflt,
	            p->st.majflt, dt, 1.0);
	p->prev_ticks = ticks;
	p->prev_minflt = p->st.minflt;
	p->prev_majflt = p->st.majflt;
	p->have_cpu_prev = 1;
}

static int proc_fd_count(struct process_state *s, struct proc *p, uint64_t *out)
{
	struct stat st;
	char buf[4096], rel[48];
	int base = proc_base(s, p, "fd", rel, sizeof(rel));
	uint64_t n = 0;
	long r;
	int fd;

	if (s->fd_count_by_size) {
		if (p->fddir_fd < 0) {
			if (s->fds_held < s->fd_budget) {
				fd = open_at(base, rel, O_DIRECTORY);
				if (fd >= 0) {
					p->fddir_fd = fd;
					p->held++;
					s->fds_held++;
				}
			}
			if (p->fddir_fd < 0) {
				if (fstatat(base, rel, &st, 0) < 0)
					return -errno;
				*out = (uint64_t)st.st_size;
				return 0;
			}
		}
		if (fstat(p->fddir_fd, &st) < 0)
			return -errno;
		*out = (uint64_t)st.st_size;
		return 0;
	}
	fd = open_at(base, rel, O_DIRECTORY);
	if (fd < 0)
		return -errno;
	while ((r = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			unsigned short reclen;
			const char *name =
			    buf + off + 19; /* d_ino 8, d_off 8, d_reclen 2, d_type 1 */

			memcpy(&reclen, buf + off + 16, sizeof(reclen));
			if (reclen == 0)
				break;
			if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
				n++;
			off += reclen;
		}
	}
	close_fd(fd);
	if (r < 0)
		return -errno;
	*out = n;
	return 0;
}

/*
 * Read what only processes in scope need. VITALS_E_NOTFOUND when the
 * process vanished in the middle; refused files leave their metrics missing.
 */
static int proc_fill_scope(struct process_state *s, struct proc *p)
{
	struct vitals_collector *c = s->c;
	struct vitals_entity *e = &p->e;
	struct procstatm sm;
	struct procio io;
	uint64_t v;
	ssize_t n;

	n = proc_read(s, p, &p->statm_fd, "statm", s->small, sizeof(s->small));
	if (n == -ESRCH || n == -ENOENT || n == 0)
		return VITALS_E_NOTFOUND;
	if (n > 0 && procstatm_parse(s->small, &sm) == 0) {
		/* statm sums the per-CPU counters; stat's rss is only an estimate on 6.2+ */
		entity_set(e, VITALS_PROC_RSS, (double)sm.resident * (double)c->page_size);
		entity_set(e, VITALS_PROC_SHARED, (double)sm.shared * (double)c->page_size);
	}

	if (proc_fd_count(s, p, &v) == 0)
		entity_set(e, VITALS_PROC_FDS, (double)v);

	n = proc_read(s, p, &p->io_fd, "io", s->small, sizeof(s->small));
	if (n == -ESRCH)
		return VITALS_E_NOTFOUND;
	if (n > 0 && procio_parse(s->small, &io) == 0 &&
	    (io.have & (PROCIO_HAVE_READ | PROCIO_HAVE_WRITE)) ==
	        (PROCIO_HAVE_READ | PROCIO_HAVE_WRITE)) {
		double now = clock_mono_seconds(), dt = now - p->io_mono;

		p->io_mono = now;
		entity_set(e, VITALS_PROC_READ_BYTES, (double)io.read_bytes);
		entity_set(e, VITALS_PROC_WRITE_BYTES, (double)io.write_bytes);
		entity_rate(e, VITALS_PROC_READ_BYTES_RATE, p->have_io_prev, p->prev_read,
		            io.read_bytes, dt, 1.0);
		entity_rate(e, VITALS_PROC_WRITE_BYTES_RATE, p->have_io_prev, p->prev_write,
		            io.write_bytes, dt, 1.0);
		p->prev_read = io.read_bytes;
		p->prev_write = io.write_bytes;
		p->have_io_prev = 1;
	} else {
		p->have_io_prev = 0;
	}

	if (p->kernel_thread || !c->swap_in_use) {
		/* No swap slot in use anywhere: no process has anything swapped out. */
		entity_set(e, VITALS_PROC_SWAP, 0);
	} else if (p->status_fd != -2) {
		int keep = 0, fd = p->status_fd;

		if (fd < 0)
			fd = proc_open(s, p, "status", &keep);
		if (fd < 0) {
			if (errno == EACCES || errno == EPERM)
				p->status_fd = -2;
		} else {
			uint64_t kb;

			if (fd_pread_all(fd, &s->status) == 0 &&
			    procstatus_swap(s->status.data, &kb) == 0)
				entity_set(e, VITALS_PROC_SWAP, (double)kb * 1024.0);
			if (keep)
				p->status_fd = fd;
			else if (fd != p->status_fd)
				close_fd(fd);
		}
	}
	return VITALS_OK;
}

static int parse_pid_name(const char *name, pid_t *pid)
{
	uint64_t v = 0;

	if (!*name)
		return -1;
	for (const char *q = name; *q; q++) {
		if (*q < '0' || *q > '9')
			return -1;
		v = v * 10 + (uint64_t)(*q - '0');
		if (v > 0x7fffffff)
			return -1;
	}
	if (v == 0)
		return -1;
	*pid = (pid_t)v;
	return 0;
}

/* Find or open the process called NAME; NULL when it vanished. */
static struct proc *proc_visit(struct process_state *s, pid_t pid, const char *name, int *err)
{
	struct proc *p = proc_lookup(s, pid);

	*err = VITALS_OK;
	if (p && proc_read_stat(s, p) != VITALS_OK) {
		proc_drop(s, p); /* exited; the pid may already name a new process */
		p = NULL;
	}
	if (p) {
		if (p->cmdline_stale) {
			p->cmdline_stale = 0;
			if (proc_read_cmdline(s, p) == VITALS_E_NOMEM)
				*err = VITALS_E_NOMEM;
		}
		return p;
	}
	if (s->nprocs + 1 > s->nbuckets && hash_grow(s) < 0) {
		*err = VITALS_E_NOMEM;
		return NULL;
	}
	p = proc_alloc(s);
	if (!p) {
		*err = VITALS_E_NOMEM;
		return NULL;
	}
	p->pid = pid;
	snprintf(p->id, sizeof(p->id), "%d", (int)pid);
	p->hnext = s->hash[pid_bucket(s, pid)];
	s->hash[pid_bucket(s, pid)] = p;
	s->nprocs++;
	if (proc_start(s, p, name) != VITALS_OK || proc_read_stat(s, p) != VITALS_OK) {
		if (errno == EMFILE || errno == ENFILE)
			*err = VITALS_E_IO;
		proc_drop(s, p);
		return NULL;
	}
	p->kernel_thread = (p->st.flags & PF_KTHREAD_FLAG) != 0;
	if (!p->kernel_thread) {
		int r = proc_read_cmdline(s, p);

		if (r == VITALS_E_NOMEM)
			*err = r;
		if (r != VITALS_OK) {
			proc_drop(s, p);
			return NULL;
		}
	}
	if (p->have_uid)
		p->user = user_lookup(s, p->uid);
	return p;
}

/*
 * Visit process PID (directory NAME) and note it as seen in this sample.
 * VITALS_OK, VITALS_E_NOMEM, VITALS_E_IO (out of descriptors), or
 * VITALS_E_NOTFOUND when it is gone.
 */
static int proc_note(struct process_state *s, pid_t pid, const char *name)
{
	struct proc *p;
	int err;

	p = proc_visit(s, pid, name, &err);
	if (err == VITALS_E_NOMEM || err == VITALS_E_IO)
		return err;
	if (!p)
		return VITALS_E_NOTFOUND;
	if (p->gen == s->gen)
		return VITALS_OK; /* listed twice (a child seen from two threads) */
	if (s->nseen == s->seen_cap) {
		size_t ncap = s->seen_cap ? s->seen_cap * 2 : 512;
		struct proc **v = realloc(s->seen, ncap * sizeof(*v));

		if (!v)
			return VITALS_E_NOMEM;
		s->seen = v;
		s->seen_cap = ncap;
	}
	s->seen[s->nseen++] = p;
	p->gen = s->gen;
	p->depth = -2;
	return VITALS_OK;
}

/*
 * Note the scope's root and its descendants, level by level, from the
 * children files of every thread. The seen list doubles as the queue.
 */
static int list_subtree(struct process_state *s)
{
	const struct vitals_scope *sc = &s->c->opts.scope;
	char name[24], path[64];
	size_t head = 0, level_end;
	int level = 0, r;

	snprintf(name, sizeof(name), "%d", (int)sc->pid);
	r = proc_note(s, sc->pid, name);
	if (r == VITALS_E_NOMEM)
		return r;
	level_end = s->nseen;
	while (head < s->nseen && (sc->depth < 0 || level < sc->depth)) {
		pid_t ppid = s->seen[head]->pid;
		struct dirent *t;
		DIR *dir;
		int fd;

		snprintf(path, sizeof(path), "%d/task", (int)ppid);
		fd = openat(s->c->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dir = fd >= 0 ? fdopendir(fd) : NULL;
		if (!dir && fd >= 0)
			close(fd);
		while (dir && (t = readdir(dir))) {
			char buf[8192], *q, *end; /* about 1000 children of one thread */
			ssize_t n;

			if (t->d_name[0] < '0' || t->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%d/task/%.16s/children", (int)ppid,
			         t->d_name);
			n = read_small_at(s->c->proc_fd, path, buf, sizeof(buf));
			if (n <= 0)
				continue;
			buf[n < (ssize_t)sizeof(buf) ? n : (ssize_t)sizeof(buf) - 1] = '\0';
			for (q = buf; *q; q = end) {
				long v = strtol(q, &end, 10);

				if (end == q)
					break;
				if (v <= 0 || v > 0x7fffffff)
					continue;
				snprintf(name, sizeof(name), "%ld", v);
				r = proc_note(s, (pid_t)v, name);
				if (r == VITALS_E_NOMEM) {
					closedir(dir);
					return r;
				}
			}
		}
		if (dir)
			closedir(dir);
		if (++head == level_end) {
			level++;
			level_end = s->nseen;
		}
	}
	return VITALS_OK;
}

static int process_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct process_state *s = state;
	struct dirent *d;
	uint64_t nthreads = 0, nseen = 0;
	int status = VITALS_OK, fd_trouble = 0;

	s->gen++;
	s->nseen = 0;
	if (c->opts.subtree_only && c->opts.scope.pid > 0) {
		int r = list_subtree(s);

		if (r < 0)
			return r;
	} else {
		rewinddir(s->dir);
		while ((d = readdir(s->dir))) {
			pid_t pid;
			int r;

			if (parse_pid_name(d->d_name, &pid) < 0)
				continue;
			r = proc_note(s, pid, d->d_name);
			if (r == VITALS_E_NOMEM)
				return r;
			if (r == VITALS_E_IO)
				fd_trouble = 1;
		}
	}

	/* Drop what exited, then fill and publish what lives, in listing (pid) order. */
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct proc *p = s->hash[b], *next;

		for (; p; p = next) {
			next = p->hnext;
			if (p->gen != s->gen)
				proc_drop(s, p);
		}
	}
	for (size_t i = 0; i < s->nseen; i++) {
		struct proc *p = s->seen[i];

		proc_fill_base(s, p);
		p->e.in_scope = (uint8_t)proc_in_scope(s, p);
		if (p->e.in_scope && proc_fill_scope(s, p) == VITALS_E_NOTFOUND) {
			p->gen--; /* vanished mid-read: skipped now, dropped next time */
			continue;
		}
		nseen++;
		nthreads += (uint64_t)p->st.threads;
		if (entity_list_push(&c->all_processes, &p->e) < 0)
			return VITALS_E_NOMEM;
		if (p->e.in_scope && collector_publish(c, VITALS_KIND_PROCESS, &p->e) < 0)
			return VITALS_E_NOMEM;
	}
	if (!c->opts.subtree_only || c->opts.scope.pid <= 0) {
		entity_set(&c->system, VITALS_SYS_PROCESSES, (double)nseen);
		entity_set(&c->system, VITALS_SYS_THREADS, (double)nthreads);
	}
	if (fd_trouble) {
		snprintf(reason, len,
		         "out of file descriptors: some processes were skipped (raise ulimit -n)");
		status = VITALS_E_IO;
	}
	return status;
}

static void process_release(void *state)
{
	struct process_state *s = state;

	if (!s)
		return;
	for (size_t b = 0; b < s->nbuckets; b++) {
		struct proc *p = s->hash[b], *next;

		for (; p; p = next) {
			next = p->hnext;
			proc_close(s, p);
			free(p->cmdline);
		}
	}
	for (size_t i = 0; i < s->nblocks; i++)
		free(s->blocks[i]);
	for (size_t i = 0; i < s->nusers; i++)
		free(s->users[i].name);
	if (s->dir)
		closedir(s->dir);
	if (s->c && s->c->process_state == s)
		s->c->process_state = NULL;
	vbuf_release(&s->status);
	free(s->blocks);
	free(s->users);
	free(s->seen);
	free(s->hash);
	free(s->scratch);
	free(s);
}

static int process_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct process_state *s;
	struct rlimit rl;
	struct stat st;
	int fd, status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return VITALS_E_NOMEM;
	s->c = c;
	s->nbuckets = 1024;
	s->hash = calloc(s->nbuckets, sizeof(*s->hash));
	s->scratch = malloc(c->opts.cmdline_max + 1);
	if (!s->hash || !s->scratch || vbuf_init(&s->status, 2048, STATUS_MAX) < 0)
		goto out_release;

	status = VITALS_E_IO;
	fd = fcntl(c->proc_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0 || !(s->dir = fdopendir(fd))) {
		close_fd(fd);
		snprintf(reason, len, "cannot list %s: %s", c->proc_root, strerror(errno));
		goto out_release;
	}
	/* Held descriptors stay well under the soft limit; past it, files are reopened. */
	s->fd_budget = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > FD_RESERVE * 2 + (rlim_t)c->fds_reserved)
		s->fd_budget = (int)(rl.rlim_cur - FD_RESERVE - (rlim_t)c->fds_reserved > 1 << 24
		                         ? 1 << 24
		                         : rl.rlim_cur - FD_RESERVE - (rlim_t)c->fds_reserved);
	else if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY)
		s->fd_budget = 1 << 24;
	/* Kernels since 6.2 give the number of open descriptors as the size of /proc/PID/fd. */
	s->fd_count_by_size =
	    c->proc_is_procfs && fstatat(c->proc_fd, "self/fd", &st, 0) == 0 && st.st_size > 0;
	c->process_state = s;
	*state = s;
	return VITALS_OK;

out_release:
	process_release(s);
	return status;
}

const struct source_ops source_process = {"process", VITALS_KIND_PROCESS, process_init,
                                          process_sample, process_release};
