/*
 * The memory source: /proc/meminfo and /proc/vmstat, held open. Memory and
 * swap levels as free(1) of procps-ng 4 shows them, swap traffic and page
 * faults per second, and whether any swap is in use (the process source
 * reads per-process swap only then).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define MEMINFO_BUF_INITIAL (8 * 1024)
#define MEMINFO_BUF_MAX     (256 * 1024)
#define VMSTAT_BUF_INITIAL  (16 * 1024)
#define VMSTAT_BUF_MAX      (256 * 1024)

/* The rates of the system entity and the vmstat counter each comes from. */
static const struct {
	int metric, field;
} memory_rate_fields[] = {
    {VITALS_SYS_SWAP_IN_RATE, VMSTAT_PSWPIN},
    {VITALS_SYS_SWAP_OUT_RATE, VMSTAT_PSWPOUT},
    {VITALS_SYS_PGFAULT_RATE, VMSTAT_PGFAULT},
    {VITALS_SYS_PGMAJFAULT_RATE, VMSTAT_PGMAJFAULT},
};

struct memory_state {
	int meminfo_fd;
	int vmstat_fd;
	struct vbuf meminfo;
	struct vbuf vmstat;
	struct vmstat_reading prev; /* have == 0: no previous reading */
};

static void memory_release(void *state)
{
	struct memory_state *s = state;

	if (!s)
		return;
	close_fd(s->meminfo_fd);
	close_fd(s->vmstat_fd);
	vbuf_release(&s->meminfo);
	vbuf_release(&s->vmstat);
	free(s);
}

static int memory_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct memory_state *s;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->meminfo_fd = s->vmstat_fd = -1;
	if (vbuf_init(&s->meminfo, MEMINFO_BUF_INITIAL, MEMINFO_BUF_MAX) < 0 ||
	    vbuf_init(&s->vmstat, VMSTAT_BUF_INITIAL, VMSTAT_BUF_MAX) < 0)
		goto out_release;
	s->meminfo_fd = open_at(c->proc_fd, "meminfo", 0);
	if (s->meminfo_fd < 0) {
		snprintf(reason, len, "cannot open %s/meminfo: %s", c->proc_root, strerror(errno));
		status = VITALS_E_UNSUPPORTED;
		goto out_release;
	}
	s->vmstat_fd = open_at(c->proc_fd, "vmstat", 0); /* optional: rates stay missing */
	*state = s;
	return VITALS_OK;

out_release:
	memory_release(s);
out:
	return status;
}

/* Set metric I to field F of M when known. */
static void memory_set(struct vitals_entity *e, int i, const struct meminfo_reading *m, int f)
{
	if (m->have & (1u << f))
		entity_set(e, i, (double)m->v[f]);
}

/* Set metric I to A - B when both are known and A >= B. */
static void memory_diff(struct vitals_entity *e, int i, const struct meminfo_reading *m, int a,
                        int b)
{
	unsigned need = (1u << a) | (1u << b);

	if ((m->have & need) == need && m->v[a] >= m->v[b])
		entity_set(e, i, (double)(m->v[a] - m->v[b]));
}

static void memory_levels(struct vitals_collector *c, const struct meminfo_reading *m)
{
	struct vitals_entity *e = &c->system;
	unsigned swap = (1u << MEMINFO_SWAP_TOTAL) | (1u << MEMINFO_SWAP_FREE);

	memory_set(e, VITALS_SYS_MEM_TOTAL, m, MEMINFO_TOTAL);
	memory_set(e, VITALS_SYS_MEM_AVAILABLE, m, MEMINFO_AVAILABLE);
	memory_diff(e, VITALS_SYS_MEM_USED, m, MEMINFO_TOTAL, MEMINFO_AVAILABLE);
	memory_set(e, VITALS_SYS_MEM_FREE, m, MEMINFO_FREE);
	memory_set(e, VITALS_SYS_MEM_BUFFERS, m, MEMINFO_BUFFERS);
	if (m->have & (1u << MEMINFO_CACHED)) {
		uint64_t cached = m->v[MEMINFO_CACHED];

		if ((m->have & (1u << MEMINFO_SRECLAIMABLE)) &&
		    cached <= UINT64_MAX - m->v[MEMINFO_SRECLAIMABLE])
			cached += m->v[MEMINFO_SRECLAIMABLE];
		entity_set(e, VITALS_SYS_MEM_CACHED, (double)cached);
	}
	memory_set(e, VITALS_SYS_MEM_SHARED, m, MEMINFO_SHMEM);
	memory_set(e, VITALS_SYS_SWAP_TOTAL, m, MEMINFO_SWAP_TOTAL);
	memory_diff(e, VITALS_SYS_SWAP_USED, m, MEMINFO_SWAP_TOTAL, MEMINFO_SWAP_FREE);
	memory_set(e, VITALS_SYS_SWAP_FREE, m, MEMINFO_SWAP_FREE);
	/* unknown counts as in use: the process source then reads swap rather than guess 0 */
	c->swap_in_use =
	    !((m->have & swap) == swap && m->v[MEMINFO_SWAP_TOTAL] <= m->v[MEMINFO_SWAP_FREE]);
}

static void memory_rates(struct vitals_collector *c, struct memory_state *s,
                         const struct vmstat_reading *v)
{
	for (size_t i = 0; i < sizeof(memory_rate_fields) / sizeof(memory_rate_fields[0]); i++) {
		unsigned bit = 1u << memory_rate_fields[i].field;
		double scale = memory_rate_fields[i].field == VMSTAT_PSWPIN ||
		                       memory_rate_fields[i].field == VMSTAT_PSWPOUT
		                   ? (double)c->page_size
		                   : 1;

		entity_rate(&c->system, memory_rate_fields[i].metric,
		            (v->have & s->prev.have & bit) != 0,
		            s->prev.v[memory_rate_fields[i].field],
		            v->v[memory_rate_fields[i].field], c->dt, scale);
	}
	s->prev = *v;
}

static int memory_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct memory_state *s = state;
	struct meminfo_reading m;
	struct vmstat_reading v;
	int err, status = VITALS_OK;

	err = fd_pread_all(s->meminfo_fd, &s->meminfo);
	if ((err == 0 || err == -E2BIG) && meminfo_parse(s->meminfo.data, &m) == 0) {
		memory_levels(c, &m);
	} else {
		c->swap_in_use = 1;
		snprintf(reason, len, "cannot read %s/meminfo", c->proc_root);
		status = VITALS_E_IO;
	}
	v.have = 0;
	if (s->vmstat_fd >= 0) {
		err = fd_pread_all(s->vmstat_fd, &s->vmstat);
		if ((err != 0 && err != -E2BIG) || vmstat_parse(s->vmstat.data, &v) < 0)
			v.have = 0;
	}
	memory_rates(c, s, &v);
	return status;
}

const struct source_ops source_memory = {"memory", VITALS_KIND_SYSTEM, memory_init, memory_sample,
                                         memory_release};
