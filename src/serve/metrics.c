/*
 * /metrics: the live collector in Prometheus' text exposition format
 * (version 0.0.4). Names follow Prometheus' conventions: a `vitals_`
 * prefix, the kind, the metric with its base unit (percentages become
 * `_ratio` in 0..1, milliseconds and megahertz become seconds and hertz),
 * `_total` on counters. Rates the collector derives from two samples are
 * left out when their counter is exported: Prometheus computes rate()
 * itself. Processes are exported only for the scope the server was given.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <vitals/proctree.h>

#include "serve/internal.h"

/* The family prefix and the entity's labels, by kind. */
static const char *kind_prefix(enum vitals_kind k)
{
	switch (k) {
	case VITALS_KIND_SYSTEM:
		return "system";
	case VITALS_KIND_CPU:
		return "cpu";
	case VITALS_KIND_PSI:
		return "pressure";
	case VITALS_KIND_DISK:
		return "disk";
	case VITALS_KIND_NET:
		return "network";
	case VITALS_KIND_FS:
		return "filesystem";
	case VITALS_KIND_PROCESS:
		return "process";
	case VITALS_KIND_GPU:
		return "gpu";
	case VITALS_KIND_CGROUP:
		return "cgroup";
	default:
		return NULL;
	}
}

/*
 * The exported name of metric M of kind K into BUF and the factor its
 * values are multiplied by; 0 when it is not exported.
 */
static int metric_name(enum vitals_kind k, const struct vitals_metric *m, char *buf, size_t len,
                       double *scale, int *counter)
{
	char base[96];
	size_t l;

	*scale = 1;
	*counter = (m->flags & VITALS_METRIC_COUNTER) != 0;
	if (m->flags & VITALS_METRIC_IDENTITY)
		return 0;
	if (strcmp(m->unit, "per_second") == 0 || strcmp(m->unit, "microseconds") == 0)
		return 0;
	if (k == VITALS_KIND_PROCESS &&
	    (strcmp(m->name, "ppid") == 0 || strcmp(m->name, "uid") == 0 ||
	     strcmp(m->name, "gpu_index") == 0))
		return 0;
	snprintf(base, sizeof(base), "%s", m->name);
	l = strlen(base);
	if (strcmp(m->unit, "percent") == 0) {
		*scale = 0.01;
		if (l > 8 && strcmp(base + l - 8, "_percent") == 0)
			base[l - 8] = '\0';
		strncat(base, "_ratio", sizeof(base) - strlen(base) - 1);
	} else if (strcmp(m->unit, "milliseconds") == 0) {
		*scale = 0.001;
		if (l > 3 && strcmp(base + l - 3, "_ms") == 0)
			base[l - 3] = '\0';
		strncat(base, "_seconds", sizeof(base) - strlen(base) - 1);
	} else if (strcmp(m->unit, "megahertz") == 0) {
		*scale = 1e6;
		if (l > 4 && strcmp(base + l - 4, "_mhz") == 0)
			base[l - 4] = '\0';
		strncat(base, "_hertz", sizeof(base) - strlen(base) - 1);
	} else if (!*counter && l > 6 && strcmp(base + l - 6, "_total") == 0) {
		/* "_total" belongs to counters: "inodes_total" is the number of inodes. */
		base[l - 6] = '\0';
	} else if (l > 6 && strcmp(base + l - 6, "_count") == 0) {
		/* "_count" belongs to histograms and summaries. */
		base[l - 6] = '\0';
		strncat(base, "s", sizeof(base) - strlen(base) - 1);
	}
	snprintf(buf, len, "vitals_%s_%s%s", kind_prefix(k), base, *counter ? "_total" : "");
	return 1;
}

/* A label value, escaped as the format asks (\\, \", \n). */
static void label(struct jbuf *j, const char *key, const char *value, int *first)
{
	jbuf_append(j, *first ? "{" : ",", 1);
	*first = 0;
	jbuf_append(j, key, strlen(key));
	jbuf_append(j, "=\"", 2);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\')
			jbuf_append(j, "\\\\", 2);
		else if (*p == '"')
			jbuf_append(j, "\\\"", 2);
		else if (*p == '\n')
			jbuf_append(j, "\\n", 2);
		else
			jbuf_append(j, p, 1);
	}
	jbuf_append(j, "\"", 1);
}

static void labels(struct jbuf *j, enum vitals_kind k, const struct vitals_entity *e)
{
	int first = 1;

	switch (k) {
	case VITALS_KIND_CPU:
		label(j, "cpu", vitals_entity_id(e), &first);
		break;
	case VITALS_KIND_PSI:
		label(j, "resource", vitals_entity_id(e), &first);
		break;
	case VITALS_KIND_DISK:
		label(j, "device", vitals_entity_id(e), &first);
		break;
	case VITALS_KIND_NET:
		label(j, "interface", vitals_entity_id(e), &first);
		break;
	case VITALS_KIND_FS:
		label(j, "mountpoint", vitals_entity_id(e), &first);
		label(j, "device", vitals_entity_name(e), &first);
		label(j, "fstype", vitals_entity_attr(e, VITALS_FS_ATTR_FSTYPE), &first);
		break;
	case VITALS_KIND_GPU:
		label(j, "gpu", vitals_entity_id(e), &first);
		label(j, "name", vitals_entity_name(e), &first);
		label(j, "uuid", vitals_entity_attr(e, VITALS_GPU_ATTR_UUID), &first);
		break;
	case VITALS_KIND_CGROUP:
		label(j, "cgroup", vitals_entity_id(e), &first);
		label(j, "name", vitals_entity_name(e), &first);
		break;
	case VITALS_KIND_PROCESS:
		label(j, "pid", vitals_entity_id(e), &first);
		label(j, "name", vitals_entity_name(e), &first);
		break;
	default:
		break;
	}
	if (!first)
		jbuf_append(j, "}", 1);
}

static void help_text(struct jbuf *j, const char *help, double scale)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\')
			jbuf_append(j, "\\\\", 2);
		else if (*p == '\n')
			jbuf_append(j, "\\n", 2);
		else
			jbuf_append(j, p, 1);
	}
	if (scale == 0.01)
		jbuf_append(j, " (as a ratio, 0..1)", 19);
}

static void value(struct jbuf *j, double v)
{
	char b[40];

	if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(b, sizeof(b), " %.0f\n", v);
	} else {
		/* The shortest form that reads back exactly. */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(b, sizeof(b), " %.*g\n", prec, v);
			if (strtod(b, NULL) == v)
				break;
		}
	}
	jbuf_append(j, b, strlen(b));
}

/* Whether process E is in the /metrics scope. */
static int in_scope(struct server *s, const struct vitals_entity *e,
                    const struct vitals_proctree *tree)
{
	if (s->o.metrics_match && *s->o.metrics_match) {
		const char *cmd = vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE);

		if (strcasestr(vitals_entity_name(e), s->o.metrics_match) ||
		    (cmd && strcasestr(cmd, s->o.metrics_match)))
			return 1;
	}
	if (s->o.metrics_pid > 0 && tree) {
		int64_t pid;
		size_t i;

		if (vitals_entity_int(e, VITALS_PROC_PID, &pid) < 0)
			return 0;
		i = vitals_proctree_find(tree, (pid_t)pid);
		while (i != SIZE_MAX) {
			const struct vitals_proctree_node *n = vitals_proctree_node(tree, i);

			if (n->pid == s->o.metrics_pid)
				return 1;
			i = n->parent;
		}
	}
	return 0;
}

void metrics_write(struct server *s, const struct vitals_collector *c, struct jbuf *j)
{
	static const enum vitals_kind kinds[] = {
	    VITALS_KIND_SYSTEM, VITALS_KIND_CPU,    VITALS_KIND_PSI,
	    VITALS_KIND_DISK,   VITALS_KIND_NET,    VITALS_KIND_FS,
	    VITALS_KIND_GPU,    VITALS_KIND_CGROUP, VITALS_KIND_PROCESS};
	struct vitals_proctree *tree = NULL;
	const struct vitals_entity **procs = NULL;
	size_t nprocs = 0;
	int want_procs = s->o.metrics_pid > 0 || (s->o.metrics_match && *s->o.metrics_match);

	if (want_procs) {
		size_t all = vitals_collector_all_processes(c);

		if (s->o.metrics_pid > 0)
			vitals_proctree_build(&tree, c);
		procs = calloc(all ? all : 1, sizeof(*procs));
		for (size_t i = 0; procs && i < all; i++) {
			const struct vitals_entity *e = vitals_collector_any_process(c, i);

			if (e && in_scope(s, e, tree))
				procs[nprocs++] = e;
		}
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t nm, count = kinds[k] == VITALS_KIND_PROCESS
		                       ? nprocs
		                       : vitals_collector_count(c, kinds[k]);
		const struct vitals_metric *m = vitals_metric_list(kinds[k], &nm);

		if (!count)
			continue;
		for (size_t x = 0; x < nm; x++) {
			char name[160];
			double scale, v;
			int counter, any = 0;

			if (!metric_name(kinds[k], &m[x], name, sizeof(name), &scale, &counter))
				continue;
			for (size_t i = 0; i < count; i++) {
				const struct vitals_entity *e =
				    kinds[k] == VITALS_KIND_PROCESS
				        ? procs[i]
				        : vitals_collector_entity(c, kinds[k], i);

				if (!e || vitals_entity_value(e, x, &v) < 0 || !isfinite(v))
					continue;
				if (!any) {
					jbuf_printf(j, "# HELP %s ", name);
					help_text(j, m[x].help, scale);
					jbuf_printf(j, "\n# TYPE %s %s\n", name,
					            counter ? "counter" : "gauge");
					any = 1;
				}
				jbuf_append(j, name, strlen(name));
				labels(j, kinds[k], e);
				value(j, v * scale);
			}
		}
	}
	jbuf_printf(j,
	            "# HELP vitals_scrape_timestamp_seconds When the sample was taken (Unix "
	            "time).\n# TYPE vitals_scrape_timestamp_seconds gauge\n"
	            "vitals_scrape_timestamp_seconds %.6f\n",
	            (double)vitals_collector_time(c) / 1e6);
	free(procs);
	vitals_proctree_free(tree);
}

enum MHD_Result api_metrics(struct request *rq)
{
	struct vitals_collector *c;
	struct MHD_Response *r;
	struct jbuf j;
	enum MHD_Result ret;
	char err[512];
	size_t len;
	char *data;

	c = live_acquire(rq->srv, 1, err, sizeof(err));
	if (!c)
		return reply_error(rq, 500, "%s", err);
	jbuf_init(&j, SERVE_ANSWER_MAX);
	metrics_write(rq->srv, c, &j);
	live_release(rq->srv);
	data = jbuf_take(&j, &len);
	if (!data)
		return reply_error(rq, 500, "out of memory");
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(rq->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}
