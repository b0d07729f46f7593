/*
 * vitals proctree: the process tree under a pid with per-subtree totals,
 * or the processes whose name or command line contains a text.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"

static const char usage_text[] =
    "usage: vitals proctree [PID] [--depth D] [--json] [--interval S]\n"
    "       vitals proctree --find TEXT [--json]\n"
    "\n"
    "Draw the process tree under PID (default 1) with threads, resident memory,\n"
    "CPU % and container per process, and totals per subtree; or list the\n"
    "processes whose name or command line contains TEXT.\n"
    "\n"
    "  --depth D             draw only D levels below PID (0: PID alone)\n"
    "  --find TEXT           list processes whose name or command line contains TEXT\n"
    "                        (case-insensitive)\n"
    "  --json                print JSON instead of text\n"
    "  --interval S          seconds between the two readings for CPU % (default 0.5)\n"
    "  --proc-root DIR       read procfs from DIR instead of /proc\n"
    "  --sys-root DIR        read sysfs from DIR instead of /sys\n"
    "  --cgroup-root DIR     read the cgroup hierarchies under DIR (default SYSFS/fs/cgroup)\n"
    "  --docker-socket PATH  ask the Docker or Podman API at PATH for container names\n"
    "  --no-containers       do not read control groups\n"
    "  -h, --help            show this help\n";

struct proctree_args {
	pid_t pid;
	int depth; /* -1: all */
	int json;
	double interval;
	const char *find;
	const char *proc_root;
	const char *sys_root;
	const char *cgroup_root;
	const char *docker_socket;
	int no_containers;
	const struct vitals_collector *c; /* for each process's container */
};

enum {
	OPT_DEPTH = 256,
	OPT_JSON,
	OPT_INTERVAL,
	OPT_FIND,
	OPT_PROC_ROOT,
	OPT_SYS_ROOT,
	OPT_CGROUP_ROOT,
	OPT_DOCKER_SOCKET,
	OPT_NO_CONTAINERS,
};

static const struct option proctree_options[] = {
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"json", no_argument, NULL, OPT_JSON},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"find", required_argument, NULL, OPT_FIND},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
    {"cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT},
    {"docker-socket", required_argument, NULL, OPT_DOCKER_SOCKET},
    {"no-containers", no_argument, NULL, OPT_NO_CONTAINERS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parse ARGV into A. Returns -1 to go on, or the exit status (after --help or bad input). */
static int proctree_parse(int argc, char **argv, struct proctree_args *a)
{
	long long n;
	int opt, r;

	memset(a, 0, sizeof(*a));
	a->pid = 1;
	a->depth = -1;
	a->interval = 0.5;
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", proctree_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case OPT_DEPTH:
			r = cli_parse_int("proctree", "--depth", optarg, 0, 1000000, &n);
			a->depth = (int)n;
			break;
		case OPT_JSON:
			a->json = 1;
			break;
		case OPT_INTERVAL:
			r = cli_parse_real("proctree", "--interval", optarg, 0.01, 3600,
			                   &a->interval);
			break;
		case OPT_FIND:
			if (!*optarg)
				r = cli_usage_error("proctree", "--find: the text is empty");
			a->find = optarg;
			break;
		case OPT_PROC_ROOT:
			r = cli_check_dir("proctree", "--proc-root", optarg);
			a->proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			r = cli_check_dir("proctree", "--sys-root", optarg);
			a->sys_root = optarg;
			break;
		case OPT_CGROUP_ROOT:
			r = cli_check_dir("proctree", "--cgroup-root", optarg);
			a->cgroup_root = optarg;
			break;
		case OPT_DOCKER_SOCKET:
			if (!*optarg)
				r = cli_usage_error("proctree",
				                    "--docker-socket: the path is empty");
			a->docker_socket = optarg;
			break;
		case OPT_NO_CONTAINERS:
			a->no_containers = 1;
			break;
		default:
			return cli_bad_option("proctree", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind < argc) {
		if (a->find)
			return cli_usage_error("proctree", "--find takes no PID");
		r = cli_parse_int("proctree", "PID", argv[optind], 1, CLI_PID_MAX, &n);
		if (r)
			return r;
		a->pid = (pid_t)n;
		optind++;
	}
	if (optind < argc)
		return cli_usage_error("proctree", "unexpected argument '%s'", argv[optind]);
	return -1;
}

/* ---- output ------------------------------------------------------------- */

static void json_header(struct json_writer *w, const struct vitals_collector *c)
{
	char when[48];

	json_key(w, "vitals_version");
	json_string(w, vitals_version());
	json_key(w, "time");
	json_string(w, cli_fmt_time_utc(when, sizeof(when), vitals_collector_time(c)));
	json_key(w, "time_us");
	json_int(w, vitals_collector_time(c));
	json_key(w, "interval_seconds");
	json_real(w, vitals_collector_interval(c));
}

/* A whole number that may be missing (NaN or negative). */
static void json_count(struct json_writer *w, double v)
{
	if (isfinite(v) && v >= 0)
		json_int(w, (int64_t)v);
	else
		json_null(w);
}

static void json_state(struct json_writer *w, char state)
{
	char s[2] = {state, '\0'};

	json_string(w, state ? s : NULL);
}

/* Process attribute ATTR of N's pid in the collector's sample, or NULL. */
static const char *node_attr(const struct vitals_collector *c, const struct vitals_proctree_node *n,
                             size_t attr)
{
	const struct vitals_entity *e = c ? vitals_collector_process(c, n->pid) : NULL;

	return e ? vitals_entity_attr(e, attr) : NULL;
}

/* What shows where N runs: its container, else its control group when not the root. */
static const char *node_place(const struct vitals_collector *c,
                              const struct vitals_proctree_node *n)
{
	const char *container = node_attr(c, n, VITALS_PROC_ATTR_CONTAINER);
	const char *cgroup = node_attr(c, n, VITALS_PROC_ATTR_CGROUP);

	if (container)
		return container;
	return cgroup && strcmp(cgroup, "/") != 0 ? cgroup : NULL;
}

/* The fields of node N, without closing its object (the tree adds children). */
static void json_node_fields(struct json_writer *w, const struct vitals_proctree_node *n,
                             const struct vitals_collector *c)
{
	json_key(w, "pid");
	json_int(w, n->pid);
	json_key(w, "ppid");
	json_int(w, n->ppid);
	json_key(w, "start_time");
	json_int(w, n->start_time);
	json_key(w, "name");
	json_string(w, n->name);
	json_key(w, "cmdline");
	json_string(w, n->cmdline);
	json_key(w, "user");
	json_string(w, n->user && *n->user ? n->user : NULL);
	json_key(w, "state");
	json_state(w, n->state);
	json_key(w, "threads");
	json_count(w, (double)n->threads);
	json_key(w, "rss_bytes");
	json_count(w, n->rss_bytes);
	json_key(w, "cpu_percent");
	json_real(w, n->cpu_percent);
	json_key(w, "cgroup");
	json_string(w, node_attr(c, n, VITALS_PROC_ATTR_CGROUP));
	json_key(w, "container");
	json_string(w, node_attr(c, n, VITALS_PROC_ATTR_CONTAINER));
}

static void json_node_open(struct json_writer *w, const struct vitals_proctree_node *n,
                           const struct vitals_collector *c)
{
	json_object_begin(w);
	json_node_fields(w, n, c);
	json_key(w, "child_count");
	json_int(w, (int64_t)n->child_count);
	json_key(w, "subtree");
	json_object_begin(w);
	json_key(w, "processes");
	json_int(w, n->subtree_processes);
	json_key(w, "threads");
	json_int(w, n->subtree_threads);
	json_key(w, "rss_bytes");
	json_count(w, n->subtree_rss_bytes);
	json_key(w, "cpu_percent");
	json_real(w, n->subtree_cpu_percent);
	json_object_end(w);
	json_key(w, "children");
	json_array_begin(w);
}

static void json_node_close(struct json_writer *w)
{
	json_array_end(w);
	json_object_end(w);
}

/* One line of the text tree: PREFIX then the node, cut to WIDTH. */
static int text_node(FILE *out, const char *prefix, const struct vitals_proctree_node *n,
                     const struct vitals_collector *c, size_t width)
{
	const char *container = node_place(c, n);
	char rss[16], cpu[16], srss[16], scpu[16], thr[24], *line = NULL, *clean;
	size_t len = 0;
	FILE *mem = open_memstream(&line, &len);

	if (!mem)
		return VITALS_E_NOMEM;
	if (n->threads >= 0)
		snprintf(thr, sizeof(thr), "%ld thr", n->threads);
	else
		snprintf(thr, sizeof(thr), "- thr");
	fprintf(mem, "%s%d %s  %s  %s  %s", prefix, (int)n->pid, n->name, thr,
	        cli_fmt_bytes(rss, sizeof(rss), n->rss_bytes),
	        cli_fmt_percent(cpu, sizeof(cpu), n->cpu_percent));
	if (container)
		fprintf(mem, "  <%s>", container);
	if (n->child_count)
		fprintf(mem, "  [subtree: %ld processes, %ld threads, %s, %s]",
		        n->subtree_processes, n->subtree_threads,
		        cli_fmt_bytes(srss, sizeof(srss), n->subtree_rss_bytes),
		        cli_fmt_percent(scpu, sizeof(scpu), n->subtree_cpu_percent));
	if (fclose(mem) != 0) {
		free(line);
		return VITALS_E_NOMEM;
	}
	clean = cli_text_clean(line);
	free(line);
	if (!clean)
		return VITALS_E_NOMEM;
	if (width)
		cli_print_cut(out, clean, width);
	else
		fputs(clean, out);
	fputc('\n', out);
	free(clean);
	return VITALS_OK;
}

struct walk_frame {
	size_t node;
	size_t next; /* the next child to visit */
};

/*
 * Draw (or write as JSON) the tree under ROOT, depth first, without
 * recursion: a deep chain of processes cannot exhaust the stack.
 */
static int tree_print(const struct vitals_proctree *t, size_t root, const struct proctree_args *a,
                      struct json_writer *w, FILE *out)
{
	size_t count = vitals_proctree_count(t), sp = 0;
	size_t width = cli_term_width(fileno(out));
	int utf8 = cli_utf8_locale();
	const char *bar = utf8 ? "\u2502  " : "|  ", *tee = utf8 ? "\u251c\u2500 " : "|- ";
	const char *elbow = utf8 ? "\u2514\u2500 " : "+- ";
	struct walk_frame *stack = calloc(count + 1, sizeof(*stack));
	unsigned char *last = calloc(count + 1, 1);
	char *prefix = NULL;
	size_t prefix_cap = 0;
	int status = VITALS_E_NOMEM;

	if (!stack || !last)
		goto out_free;
	if (w)
		json_node_open(w, vitals_proctree_node(t, root), a->c);
	else if ((status = text_node(out, "", vitals_proctree_node(t, root), a->c, width)) !=
	         VITALS_OK)
		goto out_free;
	status = VITALS_OK;
	stack[sp++] = (struct walk_frame){root, 0};
	while (sp > 0 && status == VITALS_OK) {
		struct walk_frame *top = &stack[sp - 1];
		const struct vitals_proctree_node *n = vitals_proctree_node(t, top->node);
		size_t child, need;

		if (top->next >= n->child_count || (a->depth >= 0 && sp - 1 >= (size_t)a->depth) ||
		    sp > count) {
			if (w)
				json_node_close(w);
			sp--;
			continue;
		}
		child = vitals_proctree_child(t, top->node, top->next++);
		if (child == SIZE_MAX)
			continue;
		last[sp] = top->next == n->child_count;
		if (w) {
			json_node_open(w, vitals_proctree_node(t, child), a->c);
		} else {
			/* each level takes at most the 7 bytes of "│  " */
			need = 8 * (sp + 1);
			if (need > prefix_cap) {
				char *p = realloc(prefix, need * 2);

				if (!p) {
					status = VITALS_E_NOMEM;
					break;
				}
				prefix = p;
				prefix_cap = need * 2;
			}
			prefix[0] = '\0';
			for (size_t lvl = 1; lvl < sp; lvl++)
				strcat(prefix, last[lvl] ? "   " : bar);
			strcat(prefix, last[sp] ? elbow : tee);
			status =
			    text_node(out, prefix, vitals_proctree_node(t, child), a->c, width);
		}
		stack[sp++] = (struct walk_frame){child, 0};
	}
out_free:
	free(prefix);
	free(last);
	free(stack);
	return status;
}

static int by_pid(const void *pa, const void *pb, void *tree)
{
	const struct vitals_proctree_node *a = vitals_proctree_node(tree, *(const size_t *)pa);
	const struct vitals_proctree_node *b = vitals_proctree_node(tree, *(const size_t *)pb);

	return (a->pid > b->pid) - (a->pid < b->pid);
}

static int node_matches(const struct vitals_proctree_node *n, const char *text)
{
	if (n->pid == getpid())
		return 0; /* vitals itself, whose command line holds TEXT */
	return (n->name && strcasestr(n->name, text)) ||
	       (n->cmdline && strcasestr(n->cmdline, text));
}

/* List the processes matching --find; CLI_EXIT_FAILURE when none does. */
static int find_print(const struct vitals_collector *c, const struct vitals_proctree *t,
                      const struct proctree_args *a)
{
	static const char *const heads[] = {"PID", "PPID",      "USER",   "THR",
	                                    "RSS", "CONTAINER", "COMMAND"};
	size_t count = vitals_proctree_count(t), nfound = 0;
	size_t *found = calloc(count ? count : 1, sizeof(*found));
	struct cli_table table;
	struct json_writer w;
	int status = CLI_EXIT_OK;

	if (!found)
		return cli_error("proctree", "out of memory");
	for (size_t i = 0; i < count; i++)
		if (node_matches(vitals_proctree_node(t, i), a->find))
			found[nfound++] = i;
	qsort_r(found, nfound, sizeof(*found), by_pid, (void *)t);

	if (a->json) {
		json_init(&w, stdout, 1);
		json_object_begin(&w);
		json_header(&w, c);
		json_key(&w, "find");
		json_string(&w, a->find);
		json_key(&w, "matches");
		json_array_begin(&w);
		for (size_t i = 0; i < nfound; i++) {
			json_object_begin(&w);
			json_node_fields(&w, vitals_proctree_node(t, found[i]), c);
			json_object_end(&w);
		}
		json_array_end(&w);
		json_object_end(&w);
		json_finish(&w);
	} else if (nfound) {
		cli_table_init(&table, 7, heads, "rrlrrll");
		for (size_t i = 0; i < nfound && status == CLI_EXIT_OK; i++) {
			const struct vitals_proctree_node *n = vitals_proctree_node(t, found[i]);
			char pid[24], ppid[24], thr[24], rss[16], cmd[64];
			const char *container = node_place(c, n);
			const char *row[7] = {pid,
			                      ppid,
			                      *n->user ? n->user : "-",
			                      thr,
			                      rss,
			                      container ? container : "-",
			                      *n->cmdline ? n->cmdline : cmd};

			snprintf(pid, sizeof(pid), "%d", (int)n->pid);
			snprintf(ppid, sizeof(ppid), "%d", (int)n->ppid);
			if (n->threads >= 0)
				snprintf(thr, sizeof(thr), "%ld", n->threads);
			else
				snprintf(thr, sizeof(thr), "-");
			cli_fmt_bytes(rss, sizeof(rss), n->rss_bytes);
			snprintf(cmd, sizeof(cmd), "[%s]", n->name);
			if (cli_table_add(&table, row) != VITALS_OK)
				status = cli_error("proctree", "out of memory");
		}
		cli_table_print(&table, stdout, cli_term_width(STDOUT_FILENO));
		cli_table_release(&table);
	}
	if (status == CLI_EXIT_OK && !nfound) {
		if (!a->json)
			fprintf(stderr, "vitals proctree: no process matches '%s'\n", a->find);
		status = CLI_EXIT_FAILURE;
	}
	free(found);
	return status;
}

static void sleep_seconds(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

int cmd_proctree(int argc, char **argv)
{
	struct proctree_args a;
	struct vitals_collector_options opts;
	struct vitals_collector *c = NULL;
	struct vitals_proctree *t = NULL;
	struct json_writer w;
	char err[256] = "";
	size_t root;
	int status = proctree_parse(argc, argv, &a);

	if (status >= 0)
		return status;
	vitals_collector_options_init(&opts);
	opts.sources = VITALS_SOURCE(VITALS_KIND_PROCESS);
	if (!a.no_containers)
		opts.sources |= VITALS_SOURCE(VITALS_KIND_CGROUP);
	if (a.proc_root)
		opts.proc_root = a.proc_root;
	if (a.sys_root)
		opts.sys_root = a.sys_root;
	opts.cgroup_root = a.cgroup_root;
	opts.docker_socket = a.docker_socket;
	if (vitals_collector_new(&c, &opts, err, sizeof(err)) != VITALS_OK)
		return cli_error("proctree", "%s", err[0] ? err : "cannot start the collector");
	if (vitals_collector_sample(c) != VITALS_OK) {
		status = cli_error("proctree", "%s", vitals_collector_errmsg(c));
		goto out_free_collector;
	}
	if (!a.find) {
		if (!vitals_collector_process(c, a.pid)) {
			status = cli_usage_error("proctree", "no process with pid %d", (int)a.pid);
			goto out_free_collector;
		}
		/* a second reading, for CPU % over a real interval */
		sleep_seconds(a.interval);
		if (vitals_collector_sample(c) != VITALS_OK) {
			status = cli_error("proctree", "%s", vitals_collector_errmsg(c));
			goto out_free_collector;
		}
	}
	a.c = c;
	if (vitals_proctree_build(&t, c) != VITALS_OK) {
		status = cli_error("proctree", "cannot build the process tree: out of memory");
		goto out_free_collector;
	}
	if (a.find) {
		status = find_print(c, t, &a);
		goto out_free_tree;
	}
	root = vitals_proctree_find(t, a.pid);
	if (root == SIZE_MAX) {
		status = cli_error("proctree", "process %d exited", (int)a.pid);
		goto out_free_tree;
	}
	if (a.json) {
		json_init(&w, stdout, 1000000);
		json_object_begin(&w);
		json_header(&w, c);
		json_key(&w, "tree");
		status = tree_print(t, root, &a, &w, stdout);
		json_object_end(&w);
		json_finish(&w);
	} else {
		status = tree_print(t, root, &a, NULL, stdout);
	}
	if (status != VITALS_OK)
		status = cli_error("proctree", "%s", vitals_strerror(status));
out_free_tree:
	vitals_proctree_free(t);
out_free_collector:
	vitals_collector_free(c);
	return status;
}
