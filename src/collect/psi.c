/*
 * The pressure source: /proc/pressure/{cpu,io,memory,irq}, each held open.
 * The kernel's running averages as they are, and the share of the last
 * interval that tasks spent stalled, from the difference of the `total=`
 * microsecond counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define PSI_BUF       512
#define PSI_RESOURCES 4

static const char *const psi_names[PSI_RESOURCES] = {"cpu", "io", "memory", "irq"};

struct psi_resource {
	struct vitals_entity e;
	int fd;
	int have_prev_some, have_prev_full;
	uint64_t prev_some, prev_full;
};

struct psi_state {
	struct psi_resource res[PSI_RESOURCES];
	char buf[PSI_BUF];
};

static void psi_release(void *state)
{
	struct psi_state *s = state;

	if (!s)
		return;
	for (int i = 0; i < PSI_RESOURCES; i++)
		close_fd(s->res[i].fd);
	free(s);
}

static int psi_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct psi_state *s;
	int dirfd, opened = 0, status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	for (int i = 0; i < PSI_RESOURCES; i++)
		s->res[i].fd = -1;
	status = VITALS_E_UNSUPPORTED;
	dirfd = open_at(c->proc_fd, "pressure", O_DIRECTORY);
	if (dirfd < 0) {
		snprintf(reason, len,
		         "no %s/pressure: kernel built without PSI or booted with psi=0",
		         c->proc_root);
		goto out_release;
	}
	for (int i = 0; i < PSI_RESOURCES; i++) {
		struct psi_resource *r = &s->res[i];
		ssize_t n;

		r->fd = open_at(dirfd, psi_names[i], 0);
		if (r->fd < 0)
			continue;
		n = fd_pread_buf(r->fd, s->buf, sizeof(s->buf));
		if (n == -EOPNOTSUPP) {
			snprintf(reason, len,
			         "%s/pressure cannot be read: PSI disabled at boot (psi=0)",
			         c->proc_root);
			goto out_close_dir;
		}
		r->e.kind = VITALS_KIND_PSI;
		r->e.in_scope = 1;
		r->e.id = psi_names[i];
		r->e.name = psi_names[i];
		opened++;
	}
	if (!opened) {
		snprintf(reason, len, "no pressure files in %s/pressure", c->proc_root);
		goto out_close_dir;
	}
	close_fd(dirfd);
	*state = s;
	return VITALS_OK;

out_close_dir:
	close_fd(dirfd);
out_release:
	psi_release(s);
out:
	return status;
}

/* The stall share of the last interval: missing without a previous reading, clamped to 100. */
static void psi_stall(struct vitals_collector *c, struct vitals_entity *e, int metric,
                      int have_prev, uint64_t prev, uint64_t cur)
{
	entity_rate(e, metric, have_prev, prev, cur, c->dt, 100.0 / 1e6);
	if (entity_has(e, metric) && e->v[metric] > 100)
		entity_set(e, metric, 100);
}

static void psi_fill(struct vitals_collector *c, struct psi_resource *r,
                     const struct psi_reading *p)
{
	struct vitals_entity *e = &r->e;

	if (p->have_some) {
		entity_set(e, VITALS_PSI_SOME_AVG10, p->some.avg10);
		entity_set(e, VITALS_PSI_SOME_AVG60, p->some.avg60);
		entity_set(e, VITALS_PSI_SOME_AVG300, p->some.avg300);
		psi_stall(c, e, VITALS_PSI_SOME_STALL, r->have_prev_some, r->prev_some,
		          p->some.total);
		r->prev_some = p->some.total;
	}
	if (p->have_full) {
		entity_set(e, VITALS_PSI_FULL_AVG10, p->full.avg10);
		entity_set(e, VITALS_PSI_FULL_AVG60, p->full.avg60);
		entity_set(e, VITALS_PSI_FULL_AVG300, p->full.avg300);
		psi_stall(c, e, VITALS_PSI_FULL_STALL, r->have_prev_full, r->prev_full,
		          p->full.total);
		r->prev_full = p->full.total;
	}
	r->have_prev_some = p->have_some;
	r->have_prev_full = p->have_full;
}

static int psi_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct psi_state *s = state;
	int status = VITALS_OK;

	for (int i = 0; i < PSI_RESOURCES; i++) {
		struct psi_resource *r = &s->res[i];
		struct psi_reading p;

		if (r->fd < 0)
			continue;
		entity_clear(&r->e);
		if (fd_pread_buf(r->fd, s->buf, sizeof(s->buf)) < 0 || psi_parse(s->buf, &p) < 0) {
			p.have_some = p.have_full = 0;
			snprintf(reason, len, "cannot read %s/pressure/%s", c->proc_root,
			         psi_names[i]);
		}
		psi_fill(c, r, &p);
		status = collector_publish(c, VITALS_KIND_PSI, &r->e);
		if (status < 0)
			break;
	}
	return status;
}

const struct source_ops source_psi = {"psi", VITALS_KIND_PSI, psi_init, psi_sample, psi_release};
