/*
 * The process tree of one sample: parent/child links and per-subtree
 * totals, for `vitals proctree`, the dashboard's tree view and scope
 * decisions. Built from a collector's last sample; it copies what it needs,
 * so it stays valid after the collector samples again.
 */
#ifndef VITALS_PROCTREE_H
#define VITALS_PROCTREE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <vitals/common.h>
#include <vitals/collector.h>

#ifdef __cplusplus
extern "C" {
#endif

struct vitals_proctree;

/* One process in the tree. Missing numbers are NaN (rss, cpu) or -1 (threads). */
struct vitals_proctree_node {
	pid_t pid;
	pid_t ppid;
	int64_t start_time; /* UTC microseconds */
	const char *name;
	const char *cmdline; /* "" when unknown */
	const char *user;    /* "" when unknown */
	char state;
	long threads;
	double rss_bytes;
	double cpu_percent;
	/* Totals over the node and all its descendants (missing values count as 0). */
	long subtree_processes;
	long subtree_threads;
	double subtree_rss_bytes;
	double subtree_cpu_percent;
	size_t parent;      /* index of the parent node, or SIZE_MAX for a root */
	size_t first_child; /* index in vitals_proctree_children(), see below */
	size_t child_count;
};

/* Build the tree of every process in C's last sample. */
VITALS_API int vitals_proctree_build(struct vitals_proctree **out,
                                     const struct vitals_collector *c);
VITALS_API void vitals_proctree_free(struct vitals_proctree *t);

/* Number of nodes, and node I (NULL when out of range). */
VITALS_API size_t vitals_proctree_count(const struct vitals_proctree *t);
VITALS_API const struct vitals_proctree_node *vitals_proctree_node(const struct vitals_proctree *t,
                                                                   size_t i);
/* Index of PID's node, or SIZE_MAX when it is not in the tree. */
VITALS_API size_t vitals_proctree_find(const struct vitals_proctree *t, pid_t pid);
/*
 * Child J (0 <= J < child_count) of node I, as a node index; children are
 * sorted by pid. SIZE_MAX when out of range.
 */
VITALS_API size_t vitals_proctree_child(const struct vitals_proctree *t, size_t i, size_t j);

#ifdef __cplusplus
}
#endif

#endif
