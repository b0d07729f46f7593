/*
 * The process tree of one sample. Nodes are copied out of the collector
 * (strings into one arena), linked to their parents by ppid, children
 * sorted by pid, and subtree totals summed bottom-up without recursion, so
 * a deep or even cyclic parent chain in the input cannot blow the stack.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <vitals/proctree.h>

struct vitals_proctree {
	struct vitals_proctree_node *nodes;
	size_t count;
	size_t *children; /* node indexes grouped by parent, see first_child */
	size_t *by_pid;   /* node indexes sorted by pid, for find */
	char *arena;
};

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

static int cmp_pid(const void *a, const void *b, void *nodes)
{
	const struct vitals_proctree_node *n = nodes;
	pid_t pa = n[*(const size_t *)a].pid, pb = n[*(const size_t *)b].pid;

	return (pa > pb) - (pa < pb);
}

void vitals_proctree_free(struct vitals_proctree *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->children);
	free(t->by_pid);
	free(t->arena);
	free(t);
}

static double value_or(const struct vitals_entity *e, size_t i, double dflt)
{
	double v;

	return vitals_entity_value(e, i, &v) == VITALS_OK ? v : dflt;
}

/* Copy the collector's processes into nodes and their strings into the arena. */
static int tree_copy(struct vitals_proctree *t, const struct vitals_collector *c)
{
	size_t n = vitals_collector_all_processes(c), bytes = 0;
	char *w;

	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_any_process(c, i);

		bytes += strlen(vitals_entity_name(e)) + 1;
		bytes += strlen(str_or_empty(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE))) + 1;
		bytes += strlen(str_or_empty(vitals_entity_attr(e, VITALS_PROC_ATTR_USER))) + 1;
	}
	t->nodes = calloc(n ? n : 1, sizeof(*t->nodes));
	t->children = calloc(n ? n : 1, sizeof(*t->children));
	t->by_pid = calloc(n ? n : 1, sizeof(*t->by_pid));
	t->arena = malloc(bytes ? bytes : 1);
	if (!t->nodes || !t->children || !t->by_pid || !t->arena)
		return VITALS_E_NOMEM;
	w = t->arena;
	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_any_process(c, i);
		struct vitals_proctree_node *nd = &t->nodes[i];
		const char *strs[3] = {
		    vitals_entity_name(e),
		    str_or_empty(vitals_entity_attr(e, VITALS_PROC_ATTR_CMDLINE)),
		    str_or_empty(vitals_entity_attr(e, VITALS_PROC_ATTR_USER))};
		const char **dst[3] = {&nd->name, &nd->cmdline, &nd->user};
		const char *state = vitals_entity_attr(e, VITALS_PROC_ATTR_STATE);
		int64_t v;

		for (int k = 0; k < 3; k++) {
			size_t len = strlen(strs[k]) + 1;

			memcpy(w, strs[k], len);
			*dst[k] = w;
			w += len;
		}
		nd->pid = vitals_entity_int(e, VITALS_PROC_PID, &v) == VITALS_OK ? (pid_t)v : 0;
		nd->ppid = vitals_entity_int(e, VITALS_PROC_PPID, &v) == VITALS_OK ? (pid_t)v : 0;
		nd->start_time =
		    vitals_entity_int(e, VITALS_PROC_START_TIME, &v) == VITALS_OK ? v : 0;
		nd->state = state && *state ? state[0] : '?';
		nd->threads =
		    vitals_entity_int(e, VITALS_PROC_THREADS, &v) == VITALS_OK ? (long)v : -1;
		nd->rss_bytes = value_or(e, VITALS_PROC_RSS, NAN);
		nd->cpu_percent = value_or(e, VITALS_PROC_CPU_PERCENT, NAN);
		nd->parent = SIZE_MAX;
		t->by_pid[i] = i;
	}
	t->count = n;
	qsort_r(t->by_pid, n, sizeof(size_t), cmp_pid, t->nodes);
	return VITALS_OK;
}

size_t vitals_proctree_find(const struct vitals_proctree *t, pid_t pid)
{
	size_t lo = 0, hi = t->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		pid_t p = t->nodes[t->by_pid[mid]].pid;

		if (p == pid)
			return t->by_pid[mid];
		if (p < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* Link parents and group children by parent (counting sort), children in pid order. */
static void tree_link(struct vitals_proctree *t)
{
	size_t n = t->count, pos = 0;

	for (size_t i = 0; i < n; i++) {
		struct vitals_proctree_node *nd = &t->nodes[i];
		size_t p = nd->ppid > 0 && nd->ppid != nd->pid ? vitals_proctree_find(t, nd->ppid)
		                                               : SIZE_MAX;

		nd->parent = p;
		if (p != SIZE_MAX)
			t->nodes[p].child_count++;
	}
	for (size_t i = 0; i < n; i++) {
		t->nodes[i].first_child = pos;
		pos += t->nodes[i].child_count;
		t->nodes[i].child_count = 0;
	}
	/* by_pid order makes each parent's children come out sorted by pid. */
	for (size_t k = 0; k < n; k++) {
		size_t i = t->by_pid[k];
		size_t p = t->nodes[i].parent;

		if (p != SIZE_MAX)
			t->children[t->nodes[p].first_child + t->nodes[p].child_count++] = i;
	}
}

/*
 * Sum subtrees bottom-up in an order where every child precedes its parent
 * (reverse of a breadth-first order from the roots). Nodes caught in a
 * parent cycle are never reached from a root: they become roots.
 */
static int tree_sum(struct vitals_proctree *t)
{
	size_t n = t->count, head = 0, tail = 0;
	size_t *order = malloc((n ? n : 1) * sizeof(*order));
	unsigned char *seen = calloc(n ? n : 1, 1);
	int status = VITALS_E_NOMEM;

	if (!order || !seen)
		goto out_free;
	for (;;) {
		for (size_t i = 0; i < n; i++)
			if (!seen[i] && t->nodes[i].parent == SIZE_MAX) {
				seen[i] = 1;
				order[tail++] = i;
			}
		while (head < tail) {
			const struct vitals_proctree_node *nd = &t->nodes[order[head++]];

			for (size_t j = 0; j < nd->child_count; j++) {
				size_t ch = t->children[nd->first_child + j];

				if (!seen[ch]) {
					seen[ch] = 1;
					order[tail++] = ch;
				}
			}
		}
		if (tail == n)
			break;
		for (size_t i = 0; i < n; i++) /* break one cycle and go on */
			if (!seen[i]) {
				struct vitals_proctree_node *p = &t->nodes[t->nodes[i].parent];
				size_t *kids = &t->children[p->first_child];
				size_t w = 0;

				for (size_t j = 0; j < p->child_count; j++)
					if (kids[j] != i)
						kids[w++] = kids[j];
				p->child_count = w;
				t->nodes[i].parent = SIZE_MAX;
				break;
			}
	}
	for (size_t i = 0; i < n; i++) {
		struct vitals_proctree_node *nd = &t->nodes[i];

		nd->subtree_processes = 1;
		nd->subtree_threads = nd->threads > 0 ? nd->threads : 0;
		nd->subtree_rss_bytes = isnan(nd->rss_bytes) ? 0 : nd->rss_bytes;
		nd->subtree_cpu_percent = isnan(nd->cpu_percent) ? 0 : nd->cpu_percent;
	}
	for (size_t k = n; k-- > 0;) {
		struct vitals_proctree_node *nd = &t->nodes[order[k]];

		if (nd->parent != SIZE_MAX) {
			struct vitals_proctree_node *p = &t->nodes[nd->parent];

			p->subtree_processes += nd->subtree_processes;
			p->subtree_threads += nd->subtree_threads;
			p->subtree_rss_bytes += nd->subtree_rss_bytes;
			p->subtree_cpu_percent += nd->subtree_cpu_percent;
		}
	}
	status = VITALS_OK;
out_free:
	free(order);
	free(seen);
	return status;
}

int vitals_proctree_build(struct vitals_proctree **out, const struct vitals_collector *c)
{
	struct vitals_proctree *t;
	int status;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return VITALS_E_NOMEM;
	status = tree_copy(t, c);
	if (status != VITALS_OK)
		goto out_free;
	tree_link(t);
	status = tree_sum(t);
	if (status != VITALS_OK)
		goto out_free;
	*out = t;
	return VITALS_OK;
out_free:
	vitals_proctree_free(t);
	return status;
}

size_t vitals_proctree_count(const struct vitals_proctree *t)
{
	return t->count;
}

const struct vitals_proctree_node *vitals_proctree_node(const struct vitals_proctree *t, size_t i)
{
	return i < t->count ? &t->nodes[i] : NULL;
}

size_t vitals_proctree_child(const struct vitals_proctree *t, size_t i, size_t j)
{
	if (i >= t->count || j >= t->nodes[i].child_count)
		return SIZE_MAX;
	return t->children[t->nodes[i].first_child + j];
}
