/*
 * The in-process logger (include/vitals/logger.h): one background thread
 * per process that samples the process itself (through a collector scoped
 * to its own subtree) on a steady schedule.
 *
 * This is the one place with process-wide state: labels and gauges come
 * from any thread through functions without a handle. A mutex guards the
 * shared part (state, labels, gauges); the thread owns the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <vitals/collector.h>
#include <vitals/logger.h>
#include <vitals/record.h>
#include <vitals/store.h>

#include "util/bytebuf.h"
#include "util/clock.h"

#define LABEL_MAX      1024
#define LABELS_PENDING 65536 /* labels waiting for a record; more are dropped and counted */
#define GAUGES_MAX     4096
#define GAUGE_PATH_MAX 512
#define ERR_MAX        512

struct label {
	int64_t at;
	char *text;
};

struct gauge {
	char *path;
	double value;
};

struct logger {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int running; /* a thread runs (in OWNER) */
	int stopping;
	pid_t owner;
	pthread_t thread;
	struct label *labels;
	size_t nlabels, labels_cap;
	uint64_t labels_dropped;
	struct gauge *gauges;
	size_t ngauges, gauges_cap;
	char err[ERR_MAX];

	/* The thread's own, set up by start. */
	struct vitals_logger_options opts;
	char *path;
	enum vitals_format format;
	int fd; /* JSON lines, O_APPEND */
	struct vitals_collector *c;
	struct vitals_trace *trace;
	struct vitals_batch *rows;
	struct vitals_recorder *rec;
	struct bytebuf line;
	double start_mono, last_write_mono;
	int status; /* of the last write */
};

static struct logger L = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .fd = -1,
};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/*
 * In a child after fork(), the parent's logger as it was: kept (never used,
 * never freed), since the thread that owned it may have been in the middle
 * of changing it when the fork happened.
 */
/* Not static, so the copy is not optimized away: leak checkers see it reachable. */
struct logger logger_parent_copy;

static void set_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void set_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(L.err, sizeof(L.err), fmt, ap);
	va_end(ap);
}

/*
 * In a child after fork(): the thread did not come along. Forget the
 * logger without touching its file or its memory (see logger_parent_copy).
 */
static void logger_atfork_child(void)
{
	logger_parent_copy = L;
	pthread_mutex_init(&L.lock, NULL);
	pthread_cond_init(&L.wake, NULL);
	L.running = 0;
	L.stopping = 0;
	L.labels = NULL;
	L.nlabels = L.labels_cap = 0;
	L.gauges = NULL;
	L.ngauges = L.gauges_cap = 0;
	L.fd = -1;
	L.c = NULL;
	L.trace = NULL;
	L.rows = NULL;
	L.rec = NULL;
	L.path = NULL;
	bytebuf_init(&L.line, 0);
}

static void logger_register_atfork(void)
{
	pthread_atfork(NULL, NULL, logger_atfork_child);
}

void vitals_logger_options_init(struct vitals_logger_options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1;
	o->write_interval = 10;
}

/* ---- heap ---------------------------------------------------------------- */

int vitals_heap_stats(struct vitals_heap_stats *out)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 m = mallinfo2();

	out->in_use = (uint64_t)m.uordblks + (uint64_t)m.hblkhd;
	out->free = (uint64_t)m.fordblks;
	out->mmapped = (uint64_t)m.hblkhd;
	out->arena = (uint64_t)m.arena;
	out->releasable = (uint64_t)m.keepcost;
	/* All zeros: another malloc (valgrind's, a preloaded one) took glibc's place. */
	if (!out->in_use && !out->free && !out->arena)
		return VITALS_E_UNSUPPORTED;
	return VITALS_OK;
#else
	memset(out, 0, sizeof(*out));
	return VITALS_E_UNSUPPORTED;
#endif
}

/* Resident bytes of this process from /proc/self/statm; 0 when unknown. */
static uint64_t self_rss(void)
{
	char buf[128];
	unsigned long long size, resident;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

int vitals_release_memory(uint64_t *rss_before, uint64_t *rss_after)
{
	uint64_t before = self_rss(), after;
	char text[160];

	malloc_trim(0);
	after = self_rss();
	if (rss_before)
		*rss_before = before;
	if (rss_after)
		*rss_after = after;
	snprintf(text, sizeof(text),
	         "vitals_release_memory: resident %.1f MiB -> %.1f MiB (released %.1f MiB)",
	         (double)before / 1048576.0, (double)after / 1048576.0,
	         before > after ? (double)(before - after) / 1048576.0 : 0.0);
	vitals_label(text);
	return VITALS_OK;
}

/* ---- labels and gauges ------------------------------------------------------ */

void vitals_label(const char *text)
{
	struct label l;

	if (!text)
		return;
	pthread_mutex_lock(&L.lock);
	if (!L.running || L.owner != getpid()) {
		pthread_mutex_unlock(&L.lock);
		return;
	}
	l.at = clock_utc_us();
	l.text = strndup(text, LABEL_MAX);
	if (!l.text || L.nlabels == LABELS_PENDING) {
		L.labels_dropped++;
		free(l.text);
		pthread_mutex_unlock(&L.lock);
		return;
	}
	if (L.nlabels == L.labels_cap) {
		size_t cap = L.labels_cap ? L.labels_cap * 2 : 16;
		struct label *q = realloc(L.labels, cap * sizeof(*q));

		if (!q) {
			L.labels_dropped++;
			free(l.text);
			pthread_mutex_unlock(&L.lock);
			return;
		}
		L.labels = q;
		L.labels_cap = cap;
	}
	L.labels[L.nlabels++] = l;
	pthread_mutex_unlock(&L.lock);
}

int vitals_gauge_set(const char *path, double value)
{
	int rc = VITALS_OK;
	size_t i;

	if (!path || !*path || strlen(path) > GAUGE_PATH_MAX)
		return VITALS_E_INVAL;
	pthread_mutex_lock(&L.lock);
	for (i = 0; i < L.ngauges; i++)
		if (strcmp(L.gauges[i].path, path) == 0)
			break;
	if (i < L.ngauges) {
		L.gauges[i].value = value;
		goto out_unlock;
	}
	if (L.ngauges == GAUGES_MAX) {
		rc = VITALS_E_NOMEM;
		goto out_unlock;
	}
	if (L.ngauges == L.gauges_cap) {
		size_t cap = L.gauges_cap ? L.gauges_cap * 2 : 16;
		struct gauge *q = realloc(L.gauges, cap * sizeof(*q));

		if (!q) {
			rc = VITALS_E_NOMEM;
			goto out_unlock;
		}
		L.gauges = q;
		L.gauges_cap = cap;
	}
	L.gauges[L.ngauges].path = strdup(path);
	if (!L.gauges[L.ngauges].path) {
		rc = VITALS_E_NOMEM;
		goto out_unlock;
	}
	L.gauges[L.ngauges++].value = value;
out_unlock:
	pthread_mutex_unlock(&L.lock);
	return rc;
}

void vitals_gauge_remove(const char *path)
{
	if (!path)
		return;
	pthread_mutex_lock(&L.lock);
	for (size_t i = 0; i < L.ngauges; i++)
		if (strcmp(L.gauges[i].path, path) == 0) {
			free(L.gauges[i].path);
			L.gauges[i] = L.gauges[--L.ngauges];
			break;
		}
	pthread_mutex_unlock(&L.lock);
}

/* ---- JSON lines ----------------------------------------------------------- */

static void put(const char *s)
{
	bytebuf_append(&L.line, s, strlen(s));
}

static void putf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void putf(const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		bytebuf_append(&L.line, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* S as a JSON string; control characters escaped, bytes kept as they are. */
static void put_string(const char *s)
{
	put("\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			putf("\\%c", *p);
		else if (*p < 0x20)
			putf("\\u%04x", *p);
		else
			bytebuf_append(&L.line, p, 1);
	}
	put("\"");
}

/* A number, or null when missing or not finite. */
static void put_real(double v, int have)
{
	char buf[40];

	if (!have || !isfinite(v)) {
		put("null");
		return;
	}
	/* The shortest form that reads back exactly. */
	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	put(buf);
}

static void put_metric(const struct vitals_entity *e, const char *key, const char *name)
{
	int i = vitals_metric_find(VITALS_KIND_PROCESS, name);
	double v = 0;
	int have = i >= 0 && vitals_entity_value(e, (size_t)i, &v) == VITALS_OK;

	putf("\"%s\": ", key);
	put_real(v, have);
}

static double metric(const struct vitals_entity *e, enum vitals_kind k, const char *name, int *have)
{
	int i = vitals_metric_find(k, name);
	double v = NAN;

	*have = e && i >= 0 && vitals_entity_value(e, (size_t)i, &v) == VITALS_OK;
	return v;
}

static int write_jsonl(int64_t t, const struct label *labels, size_t nlabels,
                       const struct gauge *gauges, size_t ngauges,
                       const struct vitals_heap_stats *heap, int have_heap)
{
	const struct vitals_entity *me = vitals_collector_process(L.c, getpid());
	char stamp[40], frac[16];
	time_t secs = (time_t)(t / 1000000);
	struct tm tm;
	double minflt, majflt;
	int h1, h2;

	bytebuf_clear(&L.line);
	localtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(frac, sizeof(frac), ".%06ld", (long)(t % 1000000));
	put("{\"timestamp\": \"");
	put(stamp);
	put(frac);
	put("\", \"memory_info\": {");
	put_metric(me, "rss", "rss_bytes");
	put(", ");
	put_metric(me, "vms", "vms_bytes");
	minflt = metric(me, VITALS_KIND_PROCESS, "minor_faults", &h1);
	majflt = metric(me, VITALS_KIND_PROCESS, "major_faults", &h2);
	put(", \"pfaults\": ");
	put_real(minflt + majflt, h1 && h2);
	put(", \"pageins\": ");
	put_real(majflt, h2);
	put("}, \"cpu_times\": {");
	put_metric(me, "user", "cpu_user_seconds");
	put(", ");
	put_metric(me, "system", "cpu_system_seconds");
	put(", ");
	put_metric(me, "children_user", "children_user_seconds");
	put(", ");
	put_metric(me, "children_system", "children_system_seconds");
	putf("}, \"elapsed_time\": %.6f", clock_mono_seconds() - L.start_mono);
	if (nlabels) {
		put(", \"label\": ");
		put_string(labels[0].text);
	}
	putf(", \"time_us\": %" PRId64 ", \"pid\": %d, ", t, (int)getpid());
	put_metric(me, "cpu_percent", "cpu_percent");
	put(", ");
	put_metric(me, "threads", "threads");
	put(", ");
	put_metric(me, "fds", "fds");
	if (have_heap)
		putf(", \"heap\": {\"in_use\": %" PRIu64 ", \"free\": %" PRIu64
		     ", \"mmapped\": %" PRIu64 ", \"arena\": %" PRIu64 "}",
		     heap->in_use, heap->free, heap->mmapped, heap->arena);
	if (ngauges) {
		put(", \"gauges\": {");
		for (size_t i = 0; i < ngauges; i++) {
			if (i)
				put(", ");
			put_string(gauges[i].path);
			put(": ");
			put_real(gauges[i].value, 1);
		}
		put("}");
	}
	if (nlabels > 1) {
		put(", \"labels\": [");
		for (size_t i = 0; i < nlabels; i++) {
			if (i)
				put(", ");
			put_string(labels[i].text);
		}
		put("]");
	}
	if (L.opts.children) {
		size_t n = vitals_collector_count(L.c, VITALS_KIND_PROCESS);
		int first = 1;

		put(", \"children\": [");
		for (size_t i = 0; i < n; i++) {
			const struct vitals_entity *e =
			    vitals_collector_entity(L.c, VITALS_KIND_PROCESS, i);

			if (!e || e == me)
				continue;
			put(first ? "{" : ", {");
			first = 0;
			put("\"pid\": ");
			put(vitals_entity_id(e));
			put(", \"name\": ");
			put_string(vitals_entity_name(e));
			put(", ");
			put_metric(e, "ppid", "ppid");
			put(", ");
			put_metric(e, "rss", "rss_bytes");
			put(", ");
			put_metric(e, "cpu_percent", "cpu_percent");
			put("}");
		}
		put("]");
	}
	if (L.opts.system) {
		const struct vitals_entity *sys =
		    vitals_collector_entity(L.c, VITALS_KIND_SYSTEM, 0);
		const struct vitals_entity *cpu = vitals_collector_entity(L.c, VITALS_KIND_CPU, 0);
		int have;
		double v;

		put(", \"system\": {\"mem_available_bytes\": ");
		v = metric(sys, VITALS_KIND_SYSTEM, "mem_available_bytes", &have);
		put_real(v, have);
		put(", \"mem_used_bytes\": ");
		v = metric(sys, VITALS_KIND_SYSTEM, "mem_used_bytes", &have);
		put_real(v, have);
		put(", \"cpu_busy_percent\": ");
		v = metric(cpu, VITALS_KIND_CPU, "busy_percent", &have);
		put_real(v, have);
		put(", \"load1\": ");
		v = metric(sys, VITALS_KIND_SYSTEM, "load1", &have);
		put_real(v, have);
		put("}");
	}
	put("}\n");
	if (L.line.error)
		return VITALS_E_NOMEM;
	/* One write per record: a reader or a kill never sees half a line of it. */
	{
		const uint8_t *p = L.line.p;
		size_t left = L.line.len;

		while (left) {
			ssize_t k = write(L.fd, p, left);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return VITALS_E_IO;
			p += k;
			left -= (size_t)k;
		}
	}
	return VITALS_OK;
}

/* ---- traces (Parquet, CSV) --------------------------------------------- */

static void set_heap(const struct vitals_heap_stats *heap)
{
	const char *names[3] = {"heap_in_use_bytes", "heap_free_bytes", "heap_mmapped_bytes"};
	uint64_t v[3] = {heap->in_use, heap->free, heap->mmapped};
	char me[24];
	int id_col = vitals_trace_column(L.trace, "id"),
	    kind_col = vitals_trace_column(L.trace, "kind");

	snprintf(me, sizeof(me), "%d", (int)getpid());
	for (size_t r = 0; r < L.rows->rows; r++) {
		size_t len;
		const char *kind = vitals_batch_string(L.rows, (size_t)kind_col, r, &len);

		if (len != 7 || memcmp(kind, "process", 7) != 0)
			continue;
		kind = vitals_batch_string(L.rows, (size_t)id_col, r, &len);
		if (len != strlen(me) || memcmp(kind, me, len) != 0)
			continue;
		for (int i = 0; i < 3; i++) {
			struct vitals_column *c =
			    &L.rows->cols[vitals_trace_column(L.trace, names[i])];

			c->v.i64[r] = (int64_t)v[i];
			c->valid[r] = 1;
		}
		return;
	}
}

static int write_trace(int64_t t, const struct label *labels, size_t nlabels,
                       const struct gauge *gauges, size_t ngauges,
                       const struct vitals_heap_stats *heap, int have_heap, int final)
{
	int rc;

	vitals_batch_clear(L.rows);
	rc = vitals_trace_add_sample(L.trace, L.rows, L.c, 1, NULL);
	if (rc == 0 && have_heap)
		set_heap(heap);
	for (size_t i = 0; rc == 0 && i < ngauges; i++)
		rc = vitals_trace_add_gauge(L.trace, L.rows, t, gauges[i].path, gauges[i].value);
	for (size_t i = 0; rc == 0 && i < nlabels; i++)
		rc = vitals_trace_add_event(L.trace, L.rows, labels[i].at, "api", labels[i].text,
		                            NULL);
	if (rc < 0)
		return rc;
	rc = vitals_recorder_add(L.rec, L.rows);
	if (rc == VITALS_E_NOMEM)
		return rc;
	if (!final && clock_mono_seconds() - L.last_write_mono >= L.opts.write_interval) {
		L.last_write_mono = clock_mono_seconds();
		return vitals_recorder_write(L.rec);
	}
	return VITALS_OK;
}

/* ---- the thread ---------------------------------------------------------- */

/* One record: sample, take the labels and gauges, write. */
static int logger_tick(int final)
{
	struct vitals_heap_stats heap;
	struct label *labels;
	struct gauge *gauges = NULL;
	size_t nlabels, ngauges;
	int have_heap, rc;
	int64_t t;

	rc = vitals_collector_sample(L.c);
	if (rc < 0)
		return rc;
	t = vitals_collector_time(L.c);
	have_heap = vitals_heap_stats(&heap) == VITALS_OK;
	pthread_mutex_lock(&L.lock);
	labels = L.labels;
	nlabels = L.nlabels;
	L.labels = NULL;
	L.nlabels = L.labels_cap = 0;
	ngauges = L.ngauges;
	if (ngauges && (gauges = malloc(ngauges * sizeof(*gauges)))) {
		for (size_t i = 0; i < ngauges; i++) {
			gauges[i].path = strdup(L.gauges[i].path);
			gauges[i].value = L.gauges[i].value;
			if (!gauges[i].path)
				ngauges = i;
		}
	} else {
		ngauges = 0;
	}
	pthread_mutex_unlock(&L.lock);

	if (L.format == VITALS_FORMAT_JSONL)
		rc = write_jsonl(t, labels, nlabels, gauges, ngauges, &heap, have_heap);
	else
		rc = write_trace(t, labels, nlabels, gauges, ngauges, &heap, have_heap, final);
	for (size_t i = 0; i < nlabels; i++)
		free(labels[i].text);
	free(labels);
	for (size_t i = 0; i < ngauges; i++)
		free(gauges[i].path);
	free(gauges);
	return rc;
}

static void *logger_main(void *arg)
{
	uint64_t k = 0;
	int stop;

	(void)arg;
	for (;;) {
		struct timespec ts;
		double next, now;

		/* The next slot; a late one is taken at once, unless more than a slot behind. */
		now = clock_mono_seconds();
		k++;
		next = L.start_mono + (double)k * L.opts.interval;
		if (now - next > L.opts.interval) {
			k = (uint64_t)floor((now - L.start_mono) / L.opts.interval) + 1;
			next = L.start_mono + (double)k * L.opts.interval;
		}
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		pthread_mutex_lock(&L.lock);
		while (!L.stopping && pthread_cond_timedwait(&L.wake, &L.lock, &ts) != ETIMEDOUT)
			continue;
		stop = L.stopping;
		pthread_mutex_unlock(&L.lock);
		L.status = logger_tick(stop);
		if (stop)
			break;
	}
	return NULL;
}

/* Free what start set up (the thread is not running). */
static void logger_teardown(void)
{
	if (L.fd >= 0)
		close(L.fd);
	L.fd = -1;
	if (L.rec)
		vitals_recorder_abort(L.rec);
	L.rec = NULL;
	vitals_batch_free(L.rows);
	L.rows = NULL;
	vitals_trace_free(L.trace);
	L.trace = NULL;
	vitals_collector_free(L.c);
	L.c = NULL;
	bytebuf_release(&L.line);
	free(L.path);
	L.path = NULL;
}

int vitals_logger_start(const struct vitals_logger_options *o)
{
	struct vitals_collector_options co;
	pthread_condattr_t ca;
	char err[ERR_MAX];
	int rc;

	pthread_once(&atfork_once, logger_register_atfork);
	pthread_mutex_lock(&L.lock);
	if (L.running && L.owner == getpid()) {
		pthread_mutex_unlock(&L.lock);
		set_err("a logger already runs in this process");
		return VITALS_E_INVAL;
	}
	pthread_mutex_unlock(&L.lock);
	L.err[0] = '\0';
	if (o)
		L.opts = *o;
	else
		vitals_logger_options_init(&L.opts);
	if (!(L.opts.interval > 0) || L.opts.interval > 86400 || !isfinite(L.opts.interval)) {
		set_err("interval %g is not between 0 and 86400 seconds", L.opts.interval);
		return VITALS_E_INVAL;
	}
	if (!(L.opts.write_interval > 0))
		L.opts.write_interval = 10;
	if (L.opts.path)
		L.path = strdup(L.opts.path);
	else if (asprintf(&L.path, "vitals-%d.jsonl", (int)getpid()) < 0)
		L.path = NULL;
	if (!L.path) {
		set_err("out of memory");
		return VITALS_E_NOMEM;
	}
	L.opts.path = L.path;
	L.format = vitals_format_from_path(L.path);
	if (L.format == VITALS_FORMAT_UNKNOWN) {
		set_err("%s: unknown format (use .jsonl, .parquet or .csv)", L.path);
		rc = VITALS_E_INVAL;
		goto out_teardown;
	}

	vitals_collector_options_init(&co);
	co.scope.pid = getpid();
	co.scope.depth = L.opts.children ? -1 : 0;
	co.subtree_only = 1;
	co.sources = VITALS_SOURCE(VITALS_KIND_PROCESS);
	if (L.opts.system)
		co.sources = VITALS_SOURCES_DEFAULT;
	rc = vitals_collector_new(&L.c, &co, err, sizeof(err));
	if (rc < 0) {
		set_err("%s", err);
		goto out_teardown;
	}
	bytebuf_init(&L.line, 0);
	if (L.format == VITALS_FORMAT_JSONL) {
		L.fd = open(L.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (L.fd < 0) {
			set_err("%s: cannot open: %s", L.path, strerror(errno));
			rc = VITALS_E_IO;
			goto out_teardown;
		}
	} else {
		struct vitals_recorder_options ro;
		char host[256] = "", interval[32];
		struct vitals_kv meta[4];

		rc = vitals_trace_new(&L.trace);
		if (rc == 0)
			rc = vitals_batch_new(&L.rows, vitals_trace_schema(L.trace));
		if (rc < 0) {
			set_err("out of memory");
			goto out_teardown;
		}
		gethostname(host, sizeof(host) - 1);
		snprintf(interval, sizeof(interval), "%g", L.opts.interval);
		meta[0] = (struct vitals_kv){"vitals.schema_version", "1"};
		meta[1] = (struct vitals_kv){"vitals.version", vitals_version()};
		meta[2] = (struct vitals_kv){"vitals.host", host};
		meta[3] = (struct vitals_kv){"vitals.sample_interval_seconds", interval};
		vitals_recorder_options_init(&ro);
		ro.write.meta = meta;
		ro.write.meta_count = 4;
		rc = vitals_recorder_open(&L.rec, L.path, vitals_trace_schema(L.trace), &ro, NULL,
		                          err, sizeof(err));
		if (rc < 0) {
			set_err("%s", err);
			goto out_teardown;
		}
	}
	L.start_mono = L.last_write_mono = clock_mono_seconds();
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_destroy(&L.wake);
	pthread_cond_init(&L.wake, &ca);
	pthread_condattr_destroy(&ca);

	/* The first record now, so even a short program leaves one. */
	L.owner = getpid();
	L.running = 1;
	L.stopping = 0;
	rc = logger_tick(0);
	if (rc < 0) {
		set_err("%s: the first record failed: %s", L.path, vitals_strerror(rc));
		L.running = 0;
		goto out_teardown;
	}
	rc = pthread_create(&L.thread, NULL, logger_main, NULL);
	if (rc != 0) {
		set_err("cannot start the logging thread: %s", strerror(rc));
		L.running = 0;
		rc = VITALS_E_NOMEM;
		goto out_teardown;
	}
	return VITALS_OK;
out_teardown:
	logger_teardown();
	return rc;
}

int vitals_logger_stop(void)
{
	char err[ERR_MAX];
	int rc;

	pthread_mutex_lock(&L.lock);
	if (!L.running || L.owner != getpid()) {
		pthread_mutex_unlock(&L.lock);
		return VITALS_OK;
	}
	L.stopping = 1;
	pthread_cond_signal(&L.wake);
	pthread_mutex_unlock(&L.lock);
	pthread_join(L.thread, NULL);
	rc = L.status;
	if (L.rec) {
		int r = vitals_recorder_close(L.rec, err, sizeof(err));

		L.rec = NULL;
		if (r < 0) {
			set_err("%s", err);
			rc = r;
		}
	}
	logger_teardown();
	pthread_mutex_lock(&L.lock);
	L.running = 0;
	L.stopping = 0;
	for (size_t i = 0; i < L.nlabels; i++)
		free(L.labels[i].text);
	free(L.labels);
	L.labels = NULL;
	L.nlabels = L.labels_cap = 0;
	pthread_mutex_unlock(&L.lock);
	return rc < 0 ? rc : VITALS_OK;
}

int vitals_logger_running(void)
{
	int r;

	pthread_mutex_lock(&L.lock);
	r = L.running && L.owner == getpid();
	pthread_mutex_unlock(&L.lock);
	return r;
}

const char *vitals_logger_errmsg(void)
{
	return L.err;
}

/* ---- LD_PRELOAD ------------------------------------------------------------ */

__attribute__((constructor)) static void logger_from_environment(void)
{
	struct vitals_logger_options o;
	const char *log = getenv("VITALS_LOG"), *v;
	char *path;

	if (!log || !*log)
		return;
	vitals_logger_options_init(&o);
	v = getenv("VITALS_INTERVAL");
	if (v && *v) {
		char *end;
		double d = strtod(v, &end);

		if (*end || !(d > 0) || d > 86400) {
			fprintf(stderr,
			        "vitals: VITALS_INTERVAL '%s' is not a number of seconds; "
			        "not logging\n",
			        v);
			return;
		}
		o.interval = d;
	}
	v = getenv("VITALS_CHILDREN");
	o.children = v && strcmp(v, "1") == 0;
	v = getenv("VITALS_SYSTEM");
	o.system = v && strcmp(v, "1") == 0;
	path = strdup(log);
	if (!path)
		return;
	/* The program's children must not log into the same file. */
	unsetenv("VITALS_LOG");
	o.path = path;
	if (vitals_logger_start(&o) < 0)
		fprintf(stderr, "vitals: VITALS_LOG: %s\n", vitals_logger_errmsg());
	free(path);
}

__attribute__((destructor)) static void logger_at_exit(void)
{
	vitals_logger_stop();
}
