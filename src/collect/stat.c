/*
 * The CPU source: /proc/stat, held open. Time by state for the whole
 * machine ("total") and for each online core, in percent of the ticks
 * that passed between two samples; also context switches, forks and the
 * run queue for the system entity, and the boot time, read at init.
 *
 * A core is known by its number. One that goes offline is not published;
 * one that comes (back) online has no rates in its first sample. When any
 * counter of a core went backwards (iowait does on some kernels), that
 * core's percentages are missing for the sample rather than negative.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define STAT_BUF_INITIAL (16 * 1024)
#define STAT_BUF_MAX     (1024 * 1024)

/* The metric of each state of a /proc/stat cpu line, in line order. */
static const int state_metric[STAT_STATES] = {
    VITALS_CPU_USER,   VITALS_CPU_NICE, VITALS_CPU_SYSTEM,  VITALS_CPU_IDLE,
    VITALS_CPU_IOWAIT, VITALS_CPU_IRQ,  VITALS_CPU_SOFTIRQ, VITALS_CPU_STEAL};

struct core {
	struct vitals_entity e;
	char id[16];
	char name[24];
	uint64_t seen; /* sample that last saw this core */
	int nprev;     /* states known in prev[]; 0: no previous reading */
	uint64_t prev[STAT_STATES];
};

struct stat_state {
	int fd;
	struct vbuf buf;
	struct stat_cpu *cpus; /* parse output, cpus_cap entries */
	size_t cpus_cap;
	struct core total;
	struct core **cores; /* by core number; NULL until seen */
	size_t ncores;       /* entries of cores[] */
	uint64_t gen;
	int have_prev; /* the system counters below are from the previous sample */
	uint64_t prev_ctxt, prev_processes;
	unsigned prev_have;
};

static void stat_release(void *state)
{
	struct stat_state *s = state;

	if (!s)
		return;
	close_fd(s->fd);
	vbuf_release(&s->buf);
	free(s->cpus);
	for (size_t i = 0; i < s->ncores; i++)
		free(s->cores[i]);
	free(s->cores);
	free(s);
}

/*
 * Read and parse /proc/stat into R, growing the core array when the text
 * has more cores than it holds. VITALS_OK, VITALS_E_NOMEM, or another
 * failure when the file cannot be read or parsed.
 */
static int stat_read(struct stat_state *s, struct stat_reading *r)
{
	int err = fd_pread_all(s->fd, &s->buf);

	if (err < 0 && err != -E2BIG) /* a huge file is parsed as far as it goes */
		return VITALS_E_IO;
	for (;;) {
		r->cpus = s->cpus;
		r->cpus_cap = s->cpus_cap;
		if (stat_parse(s->buf.data, r) < 0)
			return VITALS_E_PARSE;
		if (r->ncpus <= s->cpus_cap)
			return VITALS_OK;
		{
			size_t ncap = r->ncpus + 8;
			struct stat_cpu *p = realloc(s->cpus, ncap * sizeof(*p));

			if (!p)
				return VITALS_E_NOMEM;
			s->cpus = p;
			s->cpus_cap = ncap;
		}
	}
}

static struct core *stat_core(struct stat_state *s, int id)
{
	size_t want = (size_t)id + 1;

	if (want > s->ncores) {
		struct core **p = realloc(s->cores, want * sizeof(*p));

		if (!p)
			return NULL;
		for (size_t i = s->ncores; i < want; i++)
			p[i] = NULL;
		s->cores = p;
		s->ncores = want;
	}
	if (!s->cores[id]) {
		struct core *k = calloc(1, sizeof(*k));

		if (!k)
			return NULL;
		snprintf(k->id, sizeof(k->id), "%d", id);
		snprintf(k->name, sizeof(k->name), "cpu%d", id);
		k->e.kind = VITALS_KIND_CPU;
		k->e.in_scope = 1;
		k->e.id = k->id;
		k->e.name = k->name;
		s->cores[id] = k;
	}
	return s->cores[id];
}

/* Percentages of K from the new reading CPU; then CPU becomes K's previous reading. */
static void stat_core_update(struct stat_state *s, struct core *k, const struct stat_cpu *cpu)
{
	int continued = k->seen + 1 == s->gen && k->nprev > 0;
	int n = cpu->nstates < k->nprev ? cpu->nstates : k->nprev;
	uint64_t d[STAT_STATES], sum = 0;
	int backwards = 0;

	entity_clear(&k->e);
	if (continued) {
		for (int i = 0; i < n; i++) {
			if (cpu->t[i] < k->prev[i])
				backwards = 1;
			d[i] = cpu->t[i] - k->prev[i];
			sum += d[i];
		}
		if (!backwards && sum > 0) {
			double busy = 100;

			for (int i = 0; i < n; i++)
				entity_set(&k->e, state_metric[i],
				           (double)d[i] * 100 / (double)sum);
			busy -= (double)d[3] * 100 / (double)sum;
			if (n > 4)
				busy -= (double)d[4] * 100 / (double)sum;
			entity_set(&k->e, VITALS_CPU_BUSY, busy < 0 ? 0 : busy);
		}
	}
	memcpy(k->prev, cpu->t, sizeof(k->prev));
	k->nprev = cpu->nstates;
	k->seen = s->gen;
}

static void stat_system(struct vitals_collector *c, struct stat_state *s,
                        const struct stat_reading *r)
{
	struct vitals_entity *sys = &c->system;
	int prev = s->have_prev;

	entity_rate(sys, VITALS_SYS_CTXT_RATE, prev && (r->have & s->prev_have & STAT_HAVE_CTXT),
	            s->prev_ctxt, r->ctxt, c->dt, 1);
	entity_rate(sys, VITALS_SYS_FORKS_RATE,
	            prev && (r->have & s->prev_have & STAT_HAVE_PROCESSES), s->prev_processes,
	            r->processes, c->dt, 1);
	if (r->have & STAT_HAVE_RUNNING)
		entity_set(sys, VITALS_SYS_PROCS_RUNNING, (double)r->procs_running);
	if (r->have & STAT_HAVE_BLOCKED)
		entity_set(sys, VITALS_SYS_PROCS_BLOCKED, (double)r->procs_blocked);
	if (r->ncpus > 0)
		entity_set(sys, VITALS_SYS_CPU_COUNT, (double)r->ncpus);
	s->prev_ctxt = r->ctxt;
	s->prev_processes = r->processes;
	s->prev_have = r->have;
	s->have_prev = 1;
}

static int stat_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct stat_state *s;
	struct stat_reading r;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->fd = -1;
	if (vbuf_init(&s->buf, STAT_BUF_INITIAL, STAT_BUF_MAX) < 0)
		goto out_release;
	s->total.e.kind = VITALS_KIND_CPU;
	s->total.e.in_scope = 1;
	s->total.e.id = "total";
	s->total.e.name = "cpu";
	s->fd = open_at(c->proc_fd, "stat", 0);
	if (s->fd < 0) {
		snprintf(reason, len, "cannot open %s/stat: %s", c->proc_root, strerror(errno));
		status = VITALS_E_UNSUPPORTED;
		goto out_release;
	}
	status = stat_read(s, &r);
	if (status == VITALS_E_NOMEM)
		goto out_release;
	if (status == VITALS_OK) {
		if (r.have & STAT_HAVE_BTIME)
			c->boot_time_us = (int64_t)r.btime * 1000000;
		if (r.ncpus > 0)
			c->ncpu = (int)r.ncpus;
	}
	*state = s;
	return VITALS_OK;

out_release:
	stat_release(s);
out:
	return status;
}

static int stat_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct stat_state *s = state;
	struct stat_reading r;
	int publish = (c->opts.sources & VITALS_SOURCE(VITALS_KIND_CPU)) != 0;
	int status;

	s->gen++;
	status = stat_read(s, &r);
	if (status != VITALS_OK) {
		s->have_prev = 0;
		if (status != VITALS_E_NOMEM)
			snprintf(reason, len, "cannot read %s/stat", c->proc_root);
		goto out;
	}
	stat_system(c, s, &r);
	if (r.ncpus > 0)
		c->ncpu = (int)r.ncpus;
	if (r.have & STAT_HAVE_TOTAL) {
		stat_core_update(s, &s->total, &r.total);
		if (publish && (status = collector_publish(c, VITALS_KIND_CPU, &s->total.e)) < 0)
			goto out;
	}
	for (size_t i = 0; i < r.ncpus; i++) {
		struct core *k = stat_core(s, r.cpus[i].id);

		if (!k) {
			status = VITALS_E_NOMEM;
			goto out;
		}
		if (k->seen == s->gen)
			continue; /* the same core twice: keep the first */
		stat_core_update(s, k, &r.cpus[i]);
		if (publish && (status = collector_publish(c, VITALS_KIND_CPU, &k->e)) < 0)
			goto out;
	}
out:
	return status;
}

const struct source_ops source_stat = {"stat", VITALS_KIND_CPU, stat_init, stat_sample,
                                       stat_release};
