/*
 * vitals record: sample the machine on a steady schedule into a trace file
 * that survives a kill at any moment (include/vitals/record.h), with
 * events from other shells or the traced command through a FIFO beside
 * the output, and optionally a command whose process tree it follows.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "cli/cli.h"
#include "record/loop.h"
#include "util/clock.h"

static const char usage_text[] =
    "usage: vitals record [-o FILE] [--sample-interval S] [--write-interval S]\n"
    "                     [--duration S] [--utc] [--gpu|--no-gpu]\n"
    "                     [--containers|--no-containers] [--processes all|none]\n"
    "                     [--pid P] [--depth D] [--match TEXT] [--threshold KB]\n"
    "                     [--rotate 1h|500M] [--codec C] [--quiet] [-- CMD ARGS...]\n"
    "\n"
    "Record the machine and its processes into a trace file until interrupted.\n"
    "\n"
    "  -o, --output FILE       the trace (default vitals.parquet); the format\n"
    "                          follows the extension: .parquet, .csv, .jsonl\n"
    "  --sample-interval S     seconds between samples (default 1)\n"
    "  --write-interval S      seconds between rewrites of FILE (default 10);\n"
    "                          samples in between are safe in FILE.journal\n"
    "  --duration S            stop after S seconds\n"
    "  --utc                   show times in UTC rather than local time\n"
    "  --gpu, --no-gpu         NVIDIA GPUs (on when present)\n"
    "  --containers, --no-containers\n"
    "                          control groups and containers (on when present)\n"
    "  --processes all|none    record every process in scope, or none\n"
    "  --pid P, --depth D      only process P and D levels of its descendants\n"
    "  --match TEXT            only processes whose name or command line has TEXT\n"
    "  --threshold KB          only processes with at least KB KiB resident\n"
    "  --rotate 1h|500M        start a new segment FILE-<UTC stamp>.EXT after\n"
    "                          this long (s, m, h, d) or this size (K, M, G)\n"
    "  --codec C               Parquet compression: zstd (default), snappy,\n"
    "                          gzip, lz4_raw, none\n"
    "  -q, --quiet             no status line\n"
    "  -- CMD ARGS...          run CMD, record its process tree until it exits,\n"
    "                          and exit with its status\n"
    "  -h, --help              show this help\n"
    "\n"
    "While recording, `vitals event FILE TEXT` adds an event, and so does a line\n"
    "written to the FIFO FILE.events (the traced command finds its path in\n"
    "$VITALS_EVENTS). SIGINT and SIGTERM write everything and exit 0.\n";

enum {
	OPT_SAMPLE = 256,
	OPT_WRITE,
	OPT_DURATION,
	OPT_UTC,
	OPT_GPU,
	OPT_NO_GPU,
	OPT_CONTAINERS,
	OPT_NO_CONTAINERS,
	OPT_PROCESSES,
	OPT_PID,
	OPT_DEPTH,
	OPT_MATCH,
	OPT_THRESHOLD,
	OPT_ROTATE,
	OPT_CODEC,
	OPT_PROC_ROOT,
	OPT_SYS_ROOT,
};

static const struct option record_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"sample-interval", required_argument, NULL, OPT_SAMPLE},
    {"write-interval", required_argument, NULL, OPT_WRITE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"utc", no_argument, NULL, OPT_UTC},
    {"gpu", no_argument, NULL, OPT_GPU},
    {"no-gpu", no_argument, NULL, OPT_NO_GPU},
    {"containers", no_argument, NULL, OPT_CONTAINERS},
    {"no-containers", no_argument, NULL, OPT_NO_CONTAINERS},
    {"processes", required_argument, NULL, OPT_PROCESSES},
    {"pid", required_argument, NULL, OPT_PID},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"match", required_argument, NULL, OPT_MATCH},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"rotate", required_argument, NULL, OPT_ROTATE},
    {"codec", required_argument, NULL, OPT_CODEC},
    {"proc-root", required_argument, NULL, OPT_PROC_ROOT},
    {"sys-root", required_argument, NULL, OPT_SYS_ROOT},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct record_args {
	const char *output;
	double sample, write, duration; /* duration 0: until interrupted */
	int utc, gpu, containers, processes, quiet;
	struct vitals_scope scope;
	double rotate_seconds;
	uint64_t rotate_bytes;
	int codec;
	const char *proc_root, *sys_root;
	char **cmd; /* NULL, or the command after -- */
};

/* "90", "30s", "15m", "1h", "2d" into seconds; -1 when malformed. */
static double parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end), unit = 1;

	if (end == s || !isfinite(v) || v <= 0)
		return -1;
	if (*end == 's')
		end++;
	else if (*end == 'm')
		unit = 60, end++;
	else if (*end == 'h')
		unit = 3600, end++;
	else if (*end == 'd')
		unit = 86400, end++;
	return *end ? -1 : v * unit;
}

/* "500M", "2G", "100K", "4096" into bytes; 0 when malformed. */
static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end), unit = 1;

	if (end == s || !isfinite(v) || v <= 0)
		return 0;
	switch (*end) {
	case 'K':
	case 'k':
		unit = 1024, end++;
		break;
	case 'M':
		unit = 1024.0 * 1024, end++;
		break;
	case 'G':
		unit = 1024.0 * 1024 * 1024, end++;
		break;
	}
	if (*end == 'B' || *end == 'i')
		end += strspn(end, "iB");
	return *end || v * unit > 1e18 ? 0 : (uint64_t)(v * unit);
}

static int record_parse(int argc, char **argv, struct record_args *a)
{
	long long n;
	int opt, r;

	memset(a, 0, sizeof(*a));
	a->output = "vitals.parquet";
	a->sample = 1;
	a->write = 10;
	a->gpu = a->containers = a->processes = 1;
	a->scope.depth = -1;
	a->codec = VITALS_CODEC_ZSTD;
	optind = 0;
	opterr = 0;
	/* "+": stop at the first non-option, so the command's own options stay its own. */
	while ((opt = getopt_long(argc, argv, "+:ho:q", record_options, NULL)) != -1) {
		r = 0;
		switch (opt) {
		case 'h':
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		case 'o':
			a->output = optarg;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case OPT_SAMPLE:
			r = cli_parse_real("record", "--sample-interval", optarg, 0.001, 86400,
			                   &a->sample);
			break;
		case OPT_WRITE:
			r = cli_parse_real("record", "--write-interval", optarg, 0.001, 86400,
			                   &a->write);
			break;
		case OPT_DURATION:
			a->duration = parse_duration(optarg);
			if (a->duration <= 0)
				r = cli_usage_error(
				    "record",
				    "--duration: '%s' is not a time such as 90, 30s, "
				    "15m, 2h",
				    optarg);
			break;
		case OPT_UTC:
			a->utc = 1;
			break;
		case OPT_GPU:
		case OPT_NO_GPU:
			a->gpu = opt == OPT_GPU;
			break;
		case OPT_CONTAINERS:
		case OPT_NO_CONTAINERS:
			a->containers = opt == OPT_CONTAINERS;
			break;
		case OPT_PROCESSES:
			if (strcmp(optarg, "all") == 0 || strcmp(optarg, "none") == 0)
				a->processes = strcmp(optarg, "all") == 0;
			else
				r = cli_usage_error("record",
				                    "--processes: '%s' is not all or none", optarg);
			break;
		case OPT_PID:
			r = cli_parse_int("record", "--pid", optarg, 1, CLI_PID_MAX, &n);
			a->scope.pid = (pid_t)n;
			break;
		case OPT_DEPTH:
			r = cli_parse_int("record", "--depth", optarg, 0, 1000000, &n);
			a->scope.depth = (int)n;
			break;
		case OPT_MATCH:
			a->scope.match = optarg;
			break;
		case OPT_THRESHOLD:
			r = cli_parse_int("record", "--threshold", optarg, 0, INT64_MAX / 1024, &n);
			a->scope.threshold_kb = (uint64_t)n;
			break;
		case OPT_ROTATE: {
			size_t len = strlen(optarg);
			char last = len ? optarg[len - 1] : 0;

			if (strchr("smhd", last) &&
			    (a->rotate_seconds = parse_duration(optarg)) > 0)
				break;
			a->rotate_bytes = parse_size(optarg);
			if (!a->rotate_bytes || a->rotate_bytes < 4096)
				r = cli_usage_error(
				    "record",
				    "--rotate: '%s' is not a time (30m, 1h, 1d) or a size "
				    "of at least 4K (500M, 2G)",
				    optarg);
			break;
		}
		case OPT_CODEC:
			a->codec = vitals_codec_parse(optarg);
			if (a->codec < 0)
				r = cli_usage_error(
				    "record",
				    "--codec: '%s' is not zstd, snappy, gzip, lz4_raw or "
				    "none",
				    optarg);
			break;
		case OPT_PROC_ROOT:
			a->proc_root = optarg;
			break;
		case OPT_SYS_ROOT:
			a->sys_root = optarg;
			break;
		default:
			return cli_bad_option("record", argv, optind, opt);
		}
		if (r)
			return r;
	}
	if (optind < argc) {
		/* getopt stops at "--" (consumed) or at the first operand. */
		if (strcmp(argv[optind - 1], "--") != 0)
			return cli_usage_error(
			    "record", "unexpected '%s' (a command goes after --)", argv[optind]);
		a->cmd = &argv[optind];
	}
	if (vitals_format_from_path(a->output) == VITALS_FORMAT_UNKNOWN)
		return cli_usage_error("record",
		                       "--output: '%s' has no known extension (.parquet, .csv, "
		                       ".jsonl)",
		                       a->output);
	if (a->cmd && a->scope.pid)
		return cli_usage_error("record", "--pid and a command to run cannot go together");
	if (a->scope.pid && kill(a->scope.pid, 0) < 0 && errno == ESRCH)
		return cli_usage_error("record", "--pid: no process %d", (int)a->scope.pid);
	return -1;
}

/* ---- signals --------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal, stop_count, child_exited;

static void on_stop(int sig)
{
	stop_signal = sig;
	stop_count++;
}

static void on_child(int sig)
{
	(void)sig;
	child_exited = 1;
}

/* ---- time --------------------------------------------------------------- */

/* ---- the recording ------------------------------------------------------- */

struct rec {
	struct record_args *a;
	struct vitals_collector *c;
	struct vitals_trace *trace;
	struct vitals_batch *rows;
	struct record_loop loop;  /* its recorder is the segment's */
	const sigset_t *waitmask; /* the signal mask while waiting */
	pid_t child;              /* the command, until it is waited for; or 0 */
	int child_status;         /* its status once waited for, or -1 */
	char *segment;            /* the file being written now */
	char *fifo;               /* FILE.events */
	int fifo_fd;              /* read end (held read-write, so writers never block), or -1 */
	char line[4096 + 64];
	size_t line_len;
	struct record_meta meta;
	time_t last_write_wall; /* when the last write worked; 0 before */
	double started_mono, segment_mono, last_status_mono, last_cpu;
	int tty;
};

/* Say a failure on standard error (the loop says each one once until it changes). */
static void rec_say(struct record_loop *l, const char *msg)
{
	struct rec *s = l->ctx;

	fprintf(stderr, "%svitals record: %s\n", s->tty && !s->a->quiet ? "\n" : "", msg);
}

static int rec_open_segment(struct rec *s)
{
	struct vitals_recorder_options o;
	char err[1024];
	int64_t recovered = 0;
	int rc;

	vitals_recorder_options_init(&o);
	o.write.codec = (enum vitals_codec)s->a->codec;
	o.write.meta = s->meta.kv;
	o.write.meta_count = s->meta.count;
	rc = vitals_recorder_open(&s->loop.r, s->segment, vitals_trace_schema(s->trace), &o,
	                          &recovered, err, sizeof(err));
	if (rc < 0)
		return cli_error("record", "%s", err);
	/* The recorder never holds more than two write intervals of samples in memory. */
	record_loop_cap_pending(&s->loop, 0);
	if (recovered > 0)
		fprintf(stderr,
		        "vitals record: folded %" PRId64
		        " rows from %s.journal, left by a recording "
		        "that did not finish, back into %s\n",
		        recovered, s->segment, s->segment);
	s->segment_mono = clock_mono_seconds();
	return CLI_EXIT_OK;
}

/* The name of a new segment: OUTPUT with "-<UTC stamp>" before its extension. */
static char *segment_name(const char *output)
{
	const char *dot = strrchr(output, '.');
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	char *name;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&name, "%.*s-%s%s", (int)(dot - output), output, stamp, dot) < 0)
		return NULL;
	return name;
}

static int rec_rotate(struct rec *s)
{
	char err[1024], *next;

	if (record_loop_close(&s->loop, err, sizeof(err)) < 0)
		return cli_error("record", "%s", err);
	next = segment_name(s->a->output);
	if (!next)
		return cli_error("record", "out of memory");
	if (strcmp(next, s->segment) == 0) {
		/* Two segments in one second: the second one waits for the next. */
		free(next);
		return rec_open_segment(s);
	}
	free(s->segment);
	s->segment = next;
	return rec_open_segment(s);
}

static int rec_event(struct rec *s, int64_t at, const char *source, const char *text)
{
	struct record_loop_event ev = {at, source, text, NULL};

	return record_loop_events(&s->loop, &ev, 1);
}

/*
 * One line from the FIFO: "@MICROSECONDS<TAB>SOURCE<TAB>FIELDS<TAB>TEXT" from
 * `vitals event` (FIELDS a JSON object or empty), else the line is the text.
 */
static void rec_fifo_line(struct rec *s, char *line)
{
	int64_t at = clock_utc_us();
	const char *source = s->a->cmd ? "command" : "fifo", *fields = NULL;
	char *text = line, *end;

	if (line[0] == '@') {
		long long v = strtoll(line + 1, &end, 10);
		char *t1 = end, *t2 = *t1 == '\t' ? strchr(t1 + 1, '\t') : NULL;
		char *t3 = t2 ? strchr(t2 + 1, '\t') : NULL;

		if (end != line + 1 && t3) {
			*t2 = *t3 = '\0';
			at = v;
			source = t1 + 1;
			fields = t2[1] ? t2 + 1 : NULL;
			text = t3 + 1;
		}
	}
	if (!*text)
		return;
	{
		struct record_loop_event ev = {at, source, text, fields};

		record_loop_events(&s->loop, &ev, 1);
	}
}

static void rec_read_fifo(struct rec *s)
{
	for (;;) {
		ssize_t n =
		    read(s->fifo_fd, s->line + s->line_len, sizeof(s->line) - 1 - s->line_len);
		char *nl;

		if (n <= 0)
			return;
		s->line_len += (size_t)n;
		s->line[s->line_len] = '\0';
		while ((nl = memchr(s->line, '\n', s->line_len))) {
			*nl = '\0';
			if (nl > s->line && nl[-1] == '\r')
				nl[-1] = '\0';
			rec_fifo_line(s, s->line);
			s->line_len -= (size_t)(nl + 1 - s->line);
			memmove(s->line, nl + 1, s->line_len);
		}
		if (s->line_len == sizeof(s->line) - 1) {
			/* A line longer than the buffer: take what there is as one event. */
			s->line[s->line_len] = '\0';
			rec_fifo_line(s, s->line);
			s->line_len = 0;
		}
	}
}

static void rec_status(struct rec *s, int final)
{
	char el[32], size[16], when[40] = "none yet";
	double now = clock_mono_seconds(), cpu = record_cpu_seconds();
	double pct = now > s->last_status_mono
	                 ? 100.0 * (cpu - s->last_cpu) / (now - s->last_status_mono)
	                 : 0;
	struct stat st;

	if (!s->tty || s->a->quiet)
		return;
	s->last_status_mono = now;
	s->last_cpu = cpu;
	cli_fmt_duration(el, sizeof(el), now - s->started_mono);
	cli_fmt_bytes(size, sizeof(size), stat(s->segment, &st) == 0 ? (double)st.st_size : 0);
	if (s->last_write_wall) {
		struct tm tm;

		/* Local time, or UTC with --utc: the only thing --utc changes. */
		if (s->a->utc)
			gmtime_r(&s->last_write_wall, &tm);
		else
			localtime_r(&s->last_write_wall, &tm);
		strftime(when, sizeof(when), s->a->utc ? "%H:%M:%S UTC" : "%H:%M:%S %Z", &tm);
	}
	fprintf(stderr,
	        "\r\033[Krecording %s  %s  samples %" PRIu64
	        "  file %s  last write %s  cpu %.1f%%%s",
	        s->segment, el, s->loop.samples, size, when, pct, final ? "\n" : "");
	fflush(stderr);
}

/* ---- the loop's hooks (record/loop.h) ----------------------------------- */

static void rec_sampled(struct record_loop *l)
{
	rec_status(l->ctx, 0);
}

/* After a write: say when writing works again, and start the next segment when due. */
static int rec_wrote(struct record_loop *l, int rc, int recovered)
{
	struct rec *s = l->ctx;
	double now = clock_mono_seconds();

	if (rc == 0)
		s->last_write_wall = time(NULL);
	if (recovered)
		fprintf(stderr, "%svitals record: %s is written again\n",
		        s->tty && !s->a->quiet ? "\n" : "", s->segment);
	if ((s->a->rotate_seconds > 0 && now - s->segment_mono >= s->a->rotate_seconds) ||
	    (s->a->rotate_bytes && vitals_recorder_file_bytes(l->r) >= s->a->rotate_bytes))
		return rec_rotate(s) ? VITALS_E_IO : 0;
	return 0;
}

/* Sleep, with signals let in only here, until the time is up or an event line comes. */
static void rec_wait(struct record_loop *l, double left)
{
	struct rec *s = l->ctx;
	struct timespec ts;
	struct pollfd pfd;

	if (stop_signal || child_exited)
		return;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	pfd.fd = s->fifo_fd;
	pfd.events = POLLIN;
	ppoll(&pfd, s->fifo_fd >= 0 ? 1 : 0, &ts, s->waitmask);
}

/* Event lines, the command's exit (an event, and the end), a signal (the end). */
static unsigned rec_check(struct record_loop *l)
{
	struct rec *s = l->ctx;

	if (s->fifo_fd >= 0)
		rec_read_fifo(s);
	if (child_exited && s->child) {
		int status;

		child_exited = 0;
		if (waitpid(s->child, &status, WNOHANG) == s->child) {
			char text[64];

			s->child_status = status;
			s->child = 0;
			if (WIFEXITED(status))
				snprintf(text, sizeof(text), "exit status %d", WEXITSTATUS(status));
			else
				snprintf(text, sizeof(text), "killed by signal %d (%s)",
				         WTERMSIG(status), strsignal(WTERMSIG(status)));
			rec_event(s, clock_utc_us(), "command", text);
			return RECORD_LOOP_STOP;
		}
	}
	child_exited = 0;
	return stop_signal ? RECORD_LOOP_STOP : 0;
}

static const struct record_loop_hooks rec_hooks = {
    .wait = rec_wait,
    .check = rec_check,
    .sampled = rec_sampled,
    .wrote = rec_wrote,
    .say = rec_say,
};

/* Start the command, held at a gate until the first sample is taken. */
static pid_t spawn(char **cmd, const char *fifo, const sigset_t *mask, int *gate, int *errpipe)
{
	int g[2], e[2];
	pid_t pid;

	if (pipe2(g, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(e, O_CLOEXEC) < 0) {
		close(g[0]);
		close(g[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		char c;
		int err;

		close(g[1]);
		close(e[0]);
		while (read(g[0], &c, 1) < 0 && errno == EINTR)
			continue;
		if (fifo)
			setenv("VITALS_EVENTS", fifo, 1);
		/* The command gets the signal dispositions and mask vitals was given. */
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, mask, NULL);
		execvp(cmd[0], cmd);
		err = errno;
		if (write(e[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(g[0]);
	close(e[1]);
	if (pid < 0) {
		close(g[1]);
		close(e[0]);
		return -1;
	}
	*gate = g[1];
	*errpipe = e[0];
	return pid;
}

static void rec_meta(struct rec *s)
{
	char command[1024] = "";

	for (char **p = s->a->cmd; p && *p; p++) {
		size_t used = strlen(command);

		snprintf(command + used, sizeof(command) - used, "%s%s", used ? " " : "", *p);
	}
	record_meta_init(&s->meta, s->c, NULL, s->a->sample, command);
}

int cmd_record(int argc, char **argv)
{
	struct record_args a;
	struct vitals_collector_options co;
	struct rec s;
	struct sigaction sa;
	sigset_t block, old;
	char err[1024];
	int gate = -1, errpipe = -1, exit_code = CLI_EXIT_OK, rc;

	rc = record_parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	memset(&s, 0, sizeof(s));
	s.a = &a;
	s.fifo_fd = -1;
	s.child_status = -1;
	s.tty = isatty(STDERR_FILENO);

	/* Signals arrive only while waiting, so a sample or a write is never cut. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	s.waitmask = &old;

	if (asprintf(&s.fifo, "%s.events", a.output) < 0) {
		s.fifo = NULL;
		exit_code = cli_error("record", "out of memory");
		goto out;
	}
	if (a.cmd) {
		s.child = spawn(a.cmd, s.fifo, &old, &gate, &errpipe);
		if (s.child < 0) {
			s.child = 0;
			exit_code =
			    cli_error("record", "cannot start %s: %s", a.cmd[0], strerror(errno));
			goto out;
		}
		a.scope.pid = s.child;
		a.scope.depth = -1;
	}
	vitals_collector_options_init(&co);
	co.scope = a.scope;
	co.proc_root = a.proc_root;
	co.sys_root = a.sys_root;
	if (!a.gpu)
		co.sources &= ~VITALS_SOURCE(VITALS_KIND_GPU);
	if (!a.containers)
		co.sources &= ~VITALS_SOURCE(VITALS_KIND_CGROUP);
	if (vitals_collector_new(&s.c, &co, err, sizeof(err)) < 0) {
		exit_code = cli_error("record", "%s", err);
		goto out;
	}
	if (vitals_trace_new(&s.trace) < 0 ||
	    vitals_batch_new(&s.rows, vitals_trace_schema(s.trace)) < 0) {
		exit_code = cli_error("record", "out of memory");
		goto out;
	}
	record_loop_init(&s.loop, s.c, s.trace, s.rows, NULL);
	s.loop.sample_interval = a.sample;
	s.loop.write_interval = a.write;
	s.loop.duration = a.duration;
	s.loop.processes = a.processes;
	s.loop.stop_on_error = 1;
	s.loop.hooks = &rec_hooks;
	s.loop.ctx = &s;
	rec_meta(&s);
	s.segment =
	    (a.rotate_seconds > 0 || a.rotate_bytes) ? segment_name(a.output) : strdup(a.output);
	if (!s.segment) {
		exit_code = cli_error("record", "out of memory");
		goto out;
	}
	s.started_mono = clock_mono_seconds();
	exit_code = rec_open_segment(&s);
	if (exit_code)
		goto out;
	/* The events FIFO; an old one left by a killed recorder is taken over. */
	if (mkfifo(s.fifo, 0622) < 0 && errno != EEXIST) {
		fprintf(stderr, "vitals record: no events FIFO %s: %s\n", s.fifo, strerror(errno));
	} else {
		struct stat st;

		s.fifo_fd = open(s.fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (s.fifo_fd >= 0 && (fstat(s.fifo_fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
			fprintf(stderr, "vitals record: %s exists and is not a FIFO; no events\n",
			        s.fifo);
			close(s.fifo_fd);
			s.fifo_fd = -1;
		}
	}
	if (s.child) {
		/* Let the command run now that everything is ready; its exec closes the pipe. */
		int e = 0;
		ssize_t n;

		rec_event(&s, clock_utc_us(), "command", s.meta.command);
		close(gate);
		gate = -1;
		while ((n = read(errpipe, &e, sizeof(e))) < 0 && errno == EINTR)
			continue;
		close(errpipe);
		errpipe = -1;
		if (n == (ssize_t)sizeof(e)) {
			cli_error("record", "cannot run %s: %s", a.cmd[0], strerror(e));
			exit_code = 127;
			waitpid(s.child, NULL, 0);
			s.child = 0;
			goto out_close;
		}
	}

	s.last_status_mono = clock_mono_seconds();
	s.last_cpu = record_cpu_seconds();
	if (record_loop_run(&s.loop) < 0)
		exit_code = CLI_EXIT_FAILURE;
	if (stop_signal && s.child) {
		/* Pass the signal on and wait for the command; a second signal kills it. */
		int killed = 0;

		kill(s.child, stop_signal);
		while (waitpid(s.child, &s.child_status, WNOHANG) == 0) {
			struct timespec ts = {0, 100000000};

			if (stop_count > 1 && !killed) {
				kill(s.child, SIGKILL);
				killed = 1;
			}
			ppoll(NULL, 0, &ts, &old);
		}
		s.child = 0;
	}
out_close:
	if (s.fifo_fd >= 0)
		rec_read_fifo(&s);
	if (s.loop.r) {
		if (record_loop_close(&s.loop, err, sizeof(err)) < 0) {
			cli_error("record", "%s", err);
			exit_code = CLI_EXIT_FAILURE;
		} else {
			s.last_write_wall = time(NULL);
		}
	}
	rec_status(&s, 1);
	if (exit_code == CLI_EXIT_OK && s.child_status >= 0 && a.cmd)
		exit_code = WIFEXITED(s.child_status) ? WEXITSTATUS(s.child_status)
		                                      : 128 + WTERMSIG(s.child_status);
out:
	if (s.fifo_fd >= 0) {
		close(s.fifo_fd);
		unlink(s.fifo);
	}
	if (s.loop.r)
		vitals_recorder_abort(s.loop.r);
	if (s.child > 0) {
		kill(s.child, SIGTERM);
		waitpid(s.child, NULL, 0);
	}
	if (gate >= 0)
		close(gate);
	if (errpipe >= 0)
		close(errpipe);
	vitals_batch_free(s.rows);
	vitals_trace_free(s.trace);
	vitals_collector_free(s.c);
	free(s.segment);
	free(s.fifo);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return exit_code;
}
