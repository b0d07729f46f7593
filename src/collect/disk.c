/*
 * The disk source: /proc/diskstats, held open. Bytes and operations,
 * their rates, busy time and average wait per device.
 *
 * By default only whole disks: a device is one when <sys>/block/<name>
 * exists (partitions live below their disk there), and loop and RAM disks
 * that never did any I/O are left out. Devices come and go (hot-plug);
 * each keeps its previous counters in a table keyed by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/devtable.h"
#include "collect/internal.h"
#include "collect/sysparse.h"

#define DISKSTATS_BUF_INITIAL (16 * 1024)
#define DISKSTATS_BUF_MAX     (4 * 1024 * 1024)
#define DISK_MAX              65536 /* devices tracked at once */
#define SECTOR_BYTES          512   /* diskstats sectors are always 512 bytes */

struct disk {
	struct devhead h; /* first: the name */
	struct vitals_entity e;
	int whole; /* 1 whole disk, 0 partition, -1 not checked yet */
	struct diskstats_line prev;
};

struct disk_state {
	int fd;
	struct vbuf buf;
	struct devtable devs;
};

static void disk_release(void *state)
{
	struct disk_state *s = state;

	if (!s)
		return;
	close_fd(s->fd);
	vbuf_release(&s->buf);
	devtable_release(&s->devs);
	free(s);
}

static int disk_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct disk_state *s;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	devtable_init(&s->devs, sizeof(struct disk), DISK_MAX);
	s->fd = -1;
	if (vbuf_init(&s->buf, DISKSTATS_BUF_INITIAL, DISKSTATS_BUF_MAX) < 0)
		goto out_release;
	s->fd = open_at(c->proc_fd, "diskstats", 0);
	if (s->fd < 0) {
		snprintf(reason, len, "cannot open %s/diskstats: %s", c->proc_root,
		         strerror(errno));
		status = VITALS_E_UNSUPPORTED;
		goto out_release;
	}
	*state = s;
	return VITALS_OK;

out_release:
	disk_release(s);
out:
	return status;
}

/* Whether NAME is a whole disk: <sys>/block/NAME exists ('/' in names is '!' there). */
static int disk_is_whole(const struct vitals_collector *c, const char *name)
{
	char path[DEV_NAME_MAX + 8];

	if (c->sys_fd < 0)
		return 1; /* no sysfs to ask: report every device */
	snprintf(path, sizeof(path), "block/%s", name);
	for (char *p = path + 6; *p; p++)
		if (*p == '/')
			*p = '!';
	return faccessat(c->sys_fd, path, F_OK, 0) == 0;
}

/* Loop and RAM disks that never did any I/O: set up but unused. */
static int disk_unused_virtual(const struct diskstats_line *d)
{
	int virt = strncmp(d->name, "loop", 4) == 0 || strncmp(d->name, "ram", 3) == 0 ||
	           strncmp(d->name, "zram", 4) == 0;

	return virt && d->reads == 0 && d->writes == 0;
}

/* Average milliseconds per operation completed in the interval; missing when none was. */
static void disk_await(struct vitals_entity *e, int metric, int have_prev, uint64_t prev_ops,
                       uint64_t ops, uint64_t prev_ms, uint64_t ms)
{
	if (!have_prev || ops <= prev_ops || ms < prev_ms) {
		entity_unset(e, metric);
		return;
	}
	entity_set(e, metric, (double)(ms - prev_ms) / (double)(ops - prev_ops));
}

static void disk_fill(struct vitals_collector *c, struct disk *d, const struct diskstats_line *l,
                      int have_prev)
{
	struct vitals_entity *e = &d->e;
	const struct diskstats_line *p = &d->prev;
	double dt = c->dt;

	entity_clear(e);
	if (l->read_sectors <= UINT64_MAX / SECTOR_BYTES)
		entity_set(e, VITALS_DISK_READ_BYTES, (double)(l->read_sectors * SECTOR_BYTES));
	if (l->write_sectors <= UINT64_MAX / SECTOR_BYTES)
		entity_set(e, VITALS_DISK_WRITE_BYTES, (double)(l->write_sectors * SECTOR_BYTES));
	entity_set(e, VITALS_DISK_READ_OPS, (double)l->reads);
	entity_set(e, VITALS_DISK_WRITE_OPS, (double)l->writes);
	entity_rate(e, VITALS_DISK_READ_BYTES_RATE, have_prev, p->read_sectors, l->read_sectors, dt,
	            SECTOR_BYTES);
	entity_rate(e, VITALS_DISK_WRITE_BYTES_RATE, have_prev, p->write_sectors, l->write_sectors,
	            dt, SECTOR_BYTES);
	entity_rate(e, VITALS_DISK_READ_OPS_RATE, have_prev, p->reads, l->reads, dt, 1);
	entity_rate(e, VITALS_DISK_WRITE_OPS_RATE, have_prev, p->writes, l->writes, dt, 1);
	/* io_ticks in ms over the interval in ms, as a percentage */
	entity_rate(e, VITALS_DISK_BUSY, have_prev, p->io_ms, l->io_ms, dt, 100.0 / 1000.0);
	if (entity_has(e, VITALS_DISK_BUSY) && e->v[VITALS_DISK_BUSY] > 100)
		entity_set(e, VITALS_DISK_BUSY, 100);
	disk_await(e, VITALS_DISK_READ_AWAIT, have_prev, p->reads, l->reads, p->read_ms,
	           l->read_ms);
	disk_await(e, VITALS_DISK_WRITE_AWAIT, have_prev, p->writes, l->writes, p->write_ms,
	           l->write_ms);
	if (l->in_flight <= UINT32_MAX)
		entity_set(e, VITALS_DISK_IN_FLIGHT, (double)l->in_flight);
	d->prev = *l;
}

static int disk_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct disk_state *s = state;
	struct diskstats_line l;
	const char *p;
	int err, r, status = VITALS_OK;

	devtable_begin(&s->devs);
	err = fd_pread_all(s->fd, &s->buf);
	if (err < 0 && err != -E2BIG) {
		snprintf(reason, len, "cannot read %s/diskstats: %s", c->proc_root, strerror(-err));
		return VITALS_E_IO;
	}
	p = s->buf.data;
	while ((r = diskstats_next(&p, &l)) >= 0) {
		struct disk *d;
		int continued;

		if (r == 0)
			continue;
		d = devtable_get(&s->devs, l.name, &continued);
		if (!d)
			continue;
		if (!continued) {
			d->e.kind = VITALS_KIND_DISK;
			d->e.in_scope = 1;
			d->e.id = d->h.name;
			d->e.name = d->h.name;
			d->whole = -1;
		}
		disk_fill(c, d, &l, continued);
		if (!c->opts.all_disks) {
			if (d->whole < 0)
				d->whole = disk_is_whole(c, d->h.name);
			if (!d->whole || disk_unused_virtual(&l))
				continue;
		}
		status = collector_publish(c, VITALS_KIND_DISK, &d->e);
		if (status < 0)
			break;
	}
	return status;
}

const struct source_ops source_disk = {"disk", VITALS_KIND_DISK, disk_init, disk_sample,
                                       disk_release};
