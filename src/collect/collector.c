/*
 * The collector object: options, sources in order, the sample loop and
 * the accessors of the public API.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "collect/internal.h"
#include "util/clock.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

static const struct source_ops *const all_sources[] = {
    &source_system, &source_stat, &source_memory,  &source_psi,    &source_disk,
    &source_net,    &source_fs,   &source_process, &source_cgroup, &source_gpu,
};

const char *vitals_strerror(int status)
{
	switch (status) {
	case VITALS_OK:
		return "success";
	case VITALS_E_NOMEM:
		return "out of memory or over a size limit";
	case VITALS_E_IO:
		return "input/output error";
	case VITALS_E_INVAL:
		return "invalid argument";
	case VITALS_E_NOTFOUND:
		return "not found";
	case VITALS_E_MISSING:
		return "value missing";
	case VITALS_E_PARSE:
		return "malformed input";
	case VITALS_E_PERM:
		return "permission denied";
	case VITALS_E_UNSUPPORTED:
		return "not supported here";
	}
	return "unknown status";
}

const char *vitals_version(void)
{
	return VITALS_VERSION_STRING;
}

void vitals_collector_options_init(struct vitals_collector_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->proc_root = "/proc";
	opts->sys_root = "/sys";
	opts->sources = VITALS_SOURCES_DEFAULT;
	opts->scope.depth = -1;
	opts->cmdline_max = 4096;
}

int collector_error(struct vitals_collector *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return status;
}

int entity_list_push(struct entity_list *l, const struct vitals_entity *e)
{
	if (l->count == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		const struct vitals_entity **p = realloc(l->items, ncap * sizeof(*p));

		if (!p)
			return VITALS_E_NOMEM;
		l->items = p;
		l->cap = ncap;
	}
	l->items[l->count++] = e;
	return VITALS_OK;
}

int collector_publish(struct vitals_collector *c, enum vitals_kind kind,
                      const struct vitals_entity *e)
{
	return entity_list_push(&c->lists[kind], e);
}

static int open_root(const char *path, char *errbuf, size_t errlen)
{
	int fd = open_at(AT_FDCWD, path, O_DIRECTORY);

	if (fd < 0 && errbuf)
		snprintf(errbuf, errlen, "cannot open %s: %s", path, strerror(errno));
	return fd;
}

static int source_wanted(const struct vitals_collector *c, const struct source_ops *ops)
{
	unsigned s = c->opts.sources;

	if (ops == &source_system || ops == &source_memory)
		return (s & VITALS_SOURCE(VITALS_KIND_SYSTEM)) ||
		       (s & VITALS_SOURCE(VITALS_KIND_PROCESS));
	if (ops == &source_stat)
		return (s & VITALS_SOURCE(VITALS_KIND_SYSTEM)) ||
		       (s & VITALS_SOURCE(VITALS_KIND_CPU)) ||
		       (s & VITALS_SOURCE(VITALS_KIND_PROCESS));
	return (s & VITALS_SOURCE(ops->kind)) != 0;
}

int vitals_collector_new(struct vitals_collector **out, const struct vitals_collector_options *opts,
                         char *errbuf, size_t errlen)
{
	struct vitals_collector_options defaults;
	struct vitals_collector *c;
	struct statfs sfs;
	struct utsname uts;
	int status = VITALS_E_NOMEM;

	*out = NULL;
	if (!opts) {
		vitals_collector_options_init(&defaults);
		opts = &defaults;
	}
	if (opts->scope.depth < -1 || opts->scope.pid < 0) {
		if (errbuf)
			snprintf(errbuf, errlen,
			         "scope: depth must be -1 or more and pid 0 or more");
		return VITALS_E_INVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		goto out_nomem;
	c->opts = *opts;
	if (!c->opts.sources)
		c->opts.sources = VITALS_SOURCES_DEFAULT;
	if (!c->opts.cmdline_max)
		c->opts.cmdline_max = 4096;
	if (c->opts.cmdline_max > 1 << 20)
		c->opts.cmdline_max = 1 << 20;
	c->proc_fd = c->sys_fd = -1;
	c->swap_in_use = 1; /* until the memory source knows better */
	c->proc_root = strdup(opts->proc_root ? opts->proc_root : "/proc");
	c->sys_root = strdup(opts->sys_root ? opts->sys_root : "/sys");
	if (!c->proc_root || !c->sys_root)
		goto out_free;
	c->opts.proc_root = c->proc_root;
	c->opts.sys_root = c->sys_root;
	if (opts->cgroup_root) {
		c->cgroup_root = strdup(opts->cgroup_root);
		if (!c->cgroup_root)
			goto out_free;
	}
	if (opts->docker_socket) {
		c->docker_socket = strdup(opts->docker_socket);
		if (!c->docker_socket)
			goto out_free;
	}
	c->opts.cgroup_root = c->cgroup_root;
	c->opts.docker_socket = c->docker_socket;
	if (opts->scope.match && *opts->scope.match) {
		c->match = strdup(opts->scope.match);
		if (!c->match)
			goto out_free;
		for (char *p = c->match; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	c->opts.scope.match = c->match;

	status = VITALS_E_IO;
	c->proc_fd = open_root(c->proc_root, errbuf, errlen);
	if (c->proc_fd < 0)
		goto out_free;
	c->sys_fd = open_at(AT_FDCWD, c->sys_root, O_DIRECTORY); /* optional */
	c->proc_is_procfs = fstatfs(c->proc_fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;

	c->page_size = sysconf(_SC_PAGESIZE);
	c->clock_ticks = sysconf(_SC_CLK_TCK);
	if (c->page_size <= 0)
		c->page_size = 4096;
	if (c->clock_ticks <= 0)
		c->clock_ticks = 100;
	if (uname(&uts) == 0) {
		snprintf(c->hostname, sizeof(c->hostname), "%s", uts.nodename);
		snprintf(c->kernel, sizeof(c->kernel), "%s", uts.release);
	}
	c->system.kind = VITALS_KIND_SYSTEM;
	c->system.in_scope = 1;
	c->system.id = "system";
	c->system.name = c->hostname;

	if (source_wanted(c, &source_cgroup))
		c->fds_reserved = cgroup_fd_budget();
	for (size_t i = 0; i < sizeof(all_sources) / sizeof(all_sources[0]); i++) {
		struct source *s = &c->sources[c->nsources];

		if (!source_wanted(c, all_sources[i]))
			continue;
		s->ops = all_sources[i];
		s->status = s->ops->init(c, &s->state, s->reason, sizeof(s->reason));
		if (s->status == VITALS_E_NOMEM) {
			if (errbuf)
				snprintf(errbuf, errlen, "%s source: out of memory", s->ops->name);
			status = VITALS_E_NOMEM;
			c->nsources++;
			goto out_free;
		}
		c->nsources++;
	}
	*out = c;
	return VITALS_OK;

out_nomem:
	if (errbuf)
		snprintf(errbuf, errlen, "out of memory");
	return VITALS_E_NOMEM;
out_free:
	if (status == VITALS_E_NOMEM && errbuf && !*errbuf)
		snprintf(errbuf, errlen, "out of memory");
	vitals_collector_free(c);
	return status;
}

void vitals_collector_free(struct vitals_collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsources; i++)
		if (c->sources[i].ops->release && c->sources[i].state)
			c->sources[i].ops->release(c->sources[i].state);
	for (int k = 0; k < VITALS_KIND_COUNT; k++)
		free(c->lists[k].items);
	free(c->all_processes.items);
	close_fd(c->proc_fd);
	close_fd(c->sys_fd);
	free(c->proc_root);
	free(c->sys_root);
	free(c->cgroup_root);
	free(c->docker_socket);
	free(c->match);
	free(c);
}

int vitals_collector_sample(struct vitals_collector *c)
{
	int status = VITALS_OK;

	if (!c)
		return VITALS_E_INVAL;
	c->prev_mono = c->mono;
	c->mono = clock_mono_seconds();
	c->time_us = clock_utc_us();
	c->dt = c->samples ? c->mono - c->prev_mono : 0;
	c->samples++;
	for (int k = 0; k < VITALS_KIND_COUNT; k++)
		c->lists[k].count = 0;
	c->all_processes.count = 0;
	entity_clear(&c->system);
	c->errmsg[0] = '\0';

	for (size_t i = 0; i < c->nsources; i++) {
		struct source *s = &c->sources[i];
		int r;

		if (s->status != VITALS_OK && s->state == NULL)
			continue; /* absent since init */
		s->reason[0] = '\0';
		r = s->ops->sample(c, s->state, s->reason, sizeof(s->reason));
		s->status = r;
		if (r == VITALS_E_NOMEM) {
			status = collector_error(c, r, "%s source: out of memory", s->ops->name);
			break;
		}
	}
	if (c->opts.sources & VITALS_SOURCE(VITALS_KIND_SYSTEM))
		if (collector_publish(c, VITALS_KIND_SYSTEM, &c->system) < 0)
			status = VITALS_E_NOMEM;
	return status;
}

const char *vitals_collector_errmsg(const struct vitals_collector *c)
{
	return c ? c->errmsg : "no collector";
}

int64_t vitals_collector_time(const struct vitals_collector *c)
{
	return c->samples ? c->time_us : 0;
}

double vitals_collector_interval(const struct vitals_collector *c)
{
	return c->dt;
}

uint64_t vitals_collector_samples(const struct vitals_collector *c)
{
	return c->samples;
}

int vitals_collector_source_status(const struct vitals_collector *c, enum vitals_kind kind,
                                   const char **reason)
{
	int status = VITALS_E_UNSUPPORTED;

	*reason = "not collected";
	if (kind == VITALS_KIND_GPU || kind == VITALS_KIND_CGROUP)
		*reason = "not asked for";
	for (size_t i = 0; i < c->nsources; i++) {
		const struct source *s = &c->sources[i];

		if (s->ops->kind != kind)
			continue;
		*reason = s->reason[0] ? s->reason : vitals_strerror(s->status);
		if (s->status == VITALS_OK && !s->reason[0])
			*reason = "ok";
		return s->status;
	}
	return status;
}

size_t vitals_collector_count(const struct vitals_collector *c, enum vitals_kind kind)
{
	if ((unsigned)kind >= VITALS_KIND_COUNT)
		return 0;
	return c->lists[kind].count;
}

const struct vitals_entity *vitals_collector_entity(const struct vitals_collector *c,
                                                    enum vitals_kind kind, size_t i)
{
	if ((unsigned)kind >= VITALS_KIND_COUNT || i >= c->lists[kind].count)
		return NULL;
	return c->lists[kind].items[i];
}

const struct vitals_entity *vitals_collector_process(const struct vitals_collector *c, pid_t pid)
{
	if (!c->process_state)
		return NULL;
	return process_find(c->process_state, pid);
}

size_t vitals_collector_all_processes(const struct vitals_collector *c)
{
	return c->all_processes.count;
}

const struct vitals_entity *vitals_collector_any_process(const struct vitals_collector *c, size_t i)
{
	return i < c->all_processes.count ? c->all_processes.items[i] : NULL;
}

const char *vitals_collector_hostname(const struct vitals_collector *c)
{
	return c->hostname[0] ? c->hostname : NULL;
}

const char *vitals_collector_kernel(const struct vitals_collector *c)
{
	return c->kernel[0] ? c->kernel : NULL;
}

const char *vitals_collector_boot_id(const struct vitals_collector *c)
{
	return c->boot_id[0] ? c->boot_id : NULL;
}

int64_t vitals_collector_boot_time(const struct vitals_collector *c)
{
	return c->boot_time_us;
}

enum vitals_kind vitals_entity_kind(const struct vitals_entity *e)
{
	return (enum vitals_kind)e->kind;
}

const char *vitals_entity_id(const struct vitals_entity *e)
{
	return e->id ? e->id : "";
}

const char *vitals_entity_name(const struct vitals_entity *e)
{
	return e->name ? e->name : "";
}

const char *vitals_entity_attr(const struct vitals_entity *e, size_t i)
{
	return i < VITALS_ATTR_MAX ? e->attr[i] : NULL;
}

int vitals_entity_in_scope(const struct vitals_entity *e)
{
	return e->in_scope;
}

int vitals_entity_value(const struct vitals_entity *e, size_t i, double *out)
{
	size_t n;

	vitals_metric_list((enum vitals_kind)e->kind, &n);
	if (i >= n)
		return VITALS_E_INVAL;
	if (!entity_has(e, (int)i))
		return VITALS_E_MISSING;
	*out = e->v[i];
	return VITALS_OK;
}

int vitals_entity_int(const struct vitals_entity *e, size_t i, int64_t *out)
{
	double v;
	int r = vitals_entity_value(e, i, &v);

	if (r == VITALS_OK)
		*out = (int64_t)v;
	return r;
}
