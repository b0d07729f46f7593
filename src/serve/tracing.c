/*
 * Tracing from the dashboard: a recording driven by a thread of the
 * server (the same collector, trace rows and crash-safe recorder as
 * `vitals record`), and the live stream that hands its samples to the
 * pages as they are taken (server-sent events).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vitals/record.h>

#include "record/loop.h"
#include "serve/internal.h"
#include "util/clock.h"

/* ---- the live stream ----------------------------------------------------- */

struct stream {
	struct server *s;
	uint64_t next; /* the sequence number of the next frame to send */
	char *pending; /* a frame being sent */
	size_t plen, poff;
	int hello;
	pid_t pids[SERVE_STREAM_PIDS];
	size_t npids;
	struct stream *prev, *nextc;
};

struct hub {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *ring[SERVE_RING];
	size_t ring_len[SERVE_RING];
	uint64_t seq; /* frames published; frame k (1-based) is ring[k % SERVE_RING] */
	int streams;
	int shutdown;
	struct stream *clients;
};

int hub_new(struct server *s)
{
	struct hub *h = calloc(1, sizeof(*h));

	if (!h)
		return VITALS_E_NOMEM;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	s->hub = h;
	return 0;
}

void hub_free(struct server *s)
{
	struct hub *h = s->hub;

	for (size_t i = 0; i < SERVE_RING; i++)
		free(h->ring[i]);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
	s->hub = NULL;
}

void hub_publish(struct server *s, const char *frame, size_t len)
{
	struct hub *h = s->hub;
	char *copy = malloc(len + 1);
	size_t slot;

	if (!copy)
		return;
	memcpy(copy, frame, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->mu);
	h->seq++;
	slot = h->seq % SERVE_RING;
	free(h->ring[slot]);
	h->ring[slot] = copy;
	h->ring_len[slot] = len;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void hub_shutdown(struct server *s)
{
	struct hub *h = s->hub;

	pthread_mutex_lock(&h->mu);
	h->shutdown = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* The processes some stream asked for, at most MAX, into OUT. */
static size_t hub_pids(struct server *s, pid_t *out, size_t max)
{
	struct hub *h = s->hub;
	size_t n = 0;

	pthread_mutex_lock(&h->mu);
	for (struct stream *c = h->clients; c; c = c->nextc)
		for (size_t i = 0; i < c->npids; i++) {
			size_t k = 0;

			while (k < n && out[k] != c->pids[i])
				k++;
			if (k == n && n < max)
				out[n++] = c->pids[i];
		}
	pthread_mutex_unlock(&h->mu);
	return n;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	struct hub *h = st->s->hub;
	double waited = 0;

	(void)pos;
	while (!st->pending || st->poff == st->plen) {
		struct jbuf j;

		free(st->pending);
		st->pending = NULL;
		st->plen = st->poff = 0;
		if (!st->hello) {
			jbuf_init(&j, 1 << 20);
			static const char head[] = "retry: 2000\nevent: hello\ndata: {\"tracing\":";

			jbuf_append(&j, head, sizeof(head) - 1);
			tracer_status(st->s, &j);
			jbuf_append(&j, "}\n\n", 3);
			st->pending = jbuf_take(&j, &st->plen);
			st->hello = 1;
			if (!st->pending)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			continue;
		}
		pthread_mutex_lock(&h->mu);
		while (!h->shutdown && st->next > h->seq && waited < 5) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
			waited += 1;
		}
		if (h->shutdown) {
			pthread_mutex_unlock(&h->mu);
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (st->next > h->seq) {
			pthread_mutex_unlock(&h->mu);
			st->pending = strdup(": keepalive\n\n");
			st->plen = st->pending ? strlen(st->pending) : 0;
			waited = 0;
			if (!st->pending)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			continue;
		}
		if (h->seq - st->next + 1 > SERVE_RING - 1) {
			uint64_t lost = h->seq - st->next + 1 - (SERVE_RING - 1);
			char frame[96];

			st->next += lost;
			pthread_mutex_unlock(&h->mu);
			snprintf(frame, sizeof(frame), "event: lost\ndata: {\"samples\":%llu}\n\n",
			         (unsigned long long)lost);
			st->pending = strdup(frame);
			st->plen = st->pending ? strlen(st->pending) : 0;
			if (!st->pending)
				return MHD_CONTENT_READER_END_WITH_ERROR;
			continue;
		}
		{
			size_t slot = st->next % SERVE_RING;

			st->pending = malloc(h->ring_len[slot] + 1);
			if (st->pending) {
				memcpy(st->pending, h->ring[slot], h->ring_len[slot] + 1);
				st->plen = h->ring_len[slot];
			}
			st->next++;
		}
		pthread_mutex_unlock(&h->mu);
		if (!st->pending)
			return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	{
		size_t n = st->plen - st->poff;

		if (n > max)
			n = max;
		memcpy(buf, st->pending + st->poff, n);
		st->poff += n;
		return (ssize_t)n;
	}
}

static void stream_free(void *cls)
{
	struct stream *st = cls;
	struct hub *h = st->s->hub;

	pthread_mutex_lock(&h->mu);
	if (st->prev)
		st->prev->nextc = st->nextc;
	else
		h->clients = st->nextc;
	if (st->nextc)
		st->nextc->prev = st->prev;
	h->streams--;
	pthread_mutex_unlock(&h->mu);
	free(st->pending);
	free(st);
}

enum MHD_Result api_live(struct request *rq)
{
	struct server *s = rq->srv;
	struct hub *h = s->hub;
	const char *pids[SERVE_STREAM_PIDS + 1];
	size_t n = rq_args(rq, "pid", pids, SERVE_STREAM_PIDS + 1);
	struct MHD_Response *r;
	struct stream *st;
	enum MHD_Result ret;

	if (n > SERVE_STREAM_PIDS)
		return reply_error(rq, 400, "parameter 'pid': at most %d processes",
		                   SERVE_STREAM_PIDS);
	st = calloc(1, sizeof(*st));
	if (!st)
		return reply_error(rq, 500, "out of memory");
	st->s = s;
	for (size_t i = 0; i < n; i++) {
		int64_t v;

		if (param_int(pids[i], 1, 4194304, &v) < 0) {
			free(st);
			return reply_error(rq, 400, "parameter 'pid': '%.40s' is not a process id",
			                   pids[i]);
		}
		st->pids[st->npids++] = (pid_t)v;
	}
	pthread_mutex_lock(&h->mu);
	if (h->streams >= SERVE_STREAMS_MAX) {
		pthread_mutex_unlock(&h->mu);
		free(st);
		return reply_error(rq, 503, "too many live streams (at most %d)",
		                   SERVE_STREAMS_MAX);
	}
	h->streams++;
	st->next = h->seq + 1;
	st->nextc = h->clients;
	if (h->clients)
		h->clients->prev = st;
	h->clients = st;
	pthread_mutex_unlock(&h->mu);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st,
	                                      stream_free);
	if (!r) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	ret = MHD_queue_response(rq->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- the tracer ---------------------------------------------------------- */

struct pending_event {
	int64_t at;
	char *text, *source, *fields;
};

struct tracer {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int thread_alive; /* joinable */
	int active;
	int stop_req;
	uint64_t snap_req, snap_done;
	uint64_t snap_taking; /* the request the thread is taking a snapshot for */
	struct trace_request req;
	char name[256];
	char path[PATH_MAX];
	int64_t started_us, last_write_us;
	uint64_t samples;
	int64_t rows_written;
	uint64_t file_bytes;
	char error[512];
	int ran; /* a recording ran: the figures above are its */

	/* Owned by the thread while active. */
	struct vitals_collector *c;
	struct vitals_trace *trace;
	struct vitals_batch *rows;
	struct record_loop loop; /* its recorder is the file's */
	struct record_meta meta;

	struct pending_event *pend;
	size_t npend, cap;
};

int tracer_new(struct server *s)
{
	struct tracer *t = calloc(1, sizeof(*t));

	if (!t)
		return VITALS_E_NOMEM;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	s->tracer = t;
	return 0;
}

static void pending_free(struct tracer *t)
{
	for (size_t i = 0; i < t->npend; i++) {
		free(t->pend[i].text);
		free(t->pend[i].source);
		free(t->pend[i].fields);
	}
	t->npend = 0;
}

void tracer_free(struct server *s)
{
	struct tracer *t = s->tracer;

	pending_free(t);
	free(t->pend);
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
	s->tracer = NULL;
}

static void status_locked(struct tracer *t, struct jbuf *j)
{
	jbuf_object_begin(j);
	jbuf_key(j, "active");
	jbuf_bool(j, t->active);
	jbuf_key(j, "file");
	jbuf_string(j, t->ran ? t->name : NULL);
	jbuf_key(j, "started");
	if (t->ran)
		jbuf_int(j, t->started_us);
	else
		jbuf_null(j);
	jbuf_key(j, "samples");
	jbuf_int(j, (int64_t)t->samples);
	jbuf_key(j, "sample_interval");
	if (t->ran)
		jbuf_real(j, t->req.sample_interval);
	else
		jbuf_null(j);
	jbuf_key(j, "write_interval");
	if (t->ran)
		jbuf_real(j, t->req.write_interval);
	else
		jbuf_null(j);
	jbuf_key(j, "gpu");
	if (t->ran)
		jbuf_bool(j, t->req.gpu);
	else
		jbuf_null(j);
	jbuf_key(j, "containers");
	if (t->ran)
		jbuf_bool(j, t->req.containers);
	else
		jbuf_null(j);
	jbuf_key(j, "rows_written");
	jbuf_int(j, t->rows_written);
	jbuf_key(j, "file_bytes");
	jbuf_int(j, (int64_t)t->file_bytes);
	jbuf_key(j, "last_write");
	if (t->last_write_us)
		jbuf_int(j, t->last_write_us);
	else
		jbuf_null(j);
	jbuf_key(j, "error");
	jbuf_string(j, t->error[0] ? t->error : NULL);
	jbuf_object_end(j);
}

void tracer_status(struct server *s, struct jbuf *j)
{
	struct tracer *t = s->tracer;

	pthread_mutex_lock(&t->mu);
	status_locked(t, j);
	pthread_mutex_unlock(&t->mu);
}

static void publish_status(struct server *s)
{
	struct jbuf j;

	jbuf_init(&j, 1 << 16);
	jbuf_append(&j, "event: status\ndata: ", 20);
	tracer_status(s, &j);
	jbuf_append(&j, "\n\n", 2);
	if (!j.failed)
		hub_publish(s, j.data, j.len);
	jbuf_release(&j);
}

int tracer_writes(struct server *s, const char *name)
{
	struct tracer *t = s->tracer;
	int yes;

	pthread_mutex_lock(&t->mu);
	yes = t->active && strcmp(t->name, name) == 0;
	pthread_mutex_unlock(&t->mu);
	return yes;
}

int tracer_add_events(struct server *s, const char *name, const struct csv_event *ev, size_t n,
                      const char *source, const char *fields)
{
	struct tracer *t = s->tracer;
	int rc = 1;

	pthread_mutex_lock(&t->mu);
	if (!t->active || strcmp(t->name, name) != 0) {
		rc = 0;
		goto out_unlock;
	}
	if (t->npend + n > t->cap) {
		size_t cap = t->cap ? t->cap : 16;
		void *q;

		while (cap < t->npend + n)
			cap *= 2;
		q = realloc(t->pend, cap * sizeof(*t->pend));
		if (!q) {
			rc = VITALS_E_NOMEM;
			goto out_unlock;
		}
		t->pend = q;
		t->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct pending_event *p = &t->pend[t->npend];

		p->at = ev[i].at;
		p->text = strdup(ev[i].text);
		p->source = strdup(source);
		p->fields = fields ? strdup(fields) : NULL;
		if (!p->text || !p->source || (fields && !p->fields)) {
			free(p->text);
			free(p->source);
			free(p->fields);
			rc = VITALS_E_NOMEM;
			goto out_unlock;
		}
		t->npend++;
	}
	pthread_cond_broadcast(&t->cv);
out_unlock:
	pthread_mutex_unlock(&t->mu);
	return rc;
}

/* The sample as an SSE frame: every non-process entity, and the processes streams asked for. */
static void publish_sample(struct server *s, struct tracer *t)
{
	static const enum vitals_kind kinds[] = {
	    VITALS_KIND_SYSTEM, VITALS_KIND_CPU,    VITALS_KIND_PSI,
	    VITALS_KIND_DISK,   VITALS_KIND_NET,    VITALS_KIND_FS,
	    VITALS_KIND_GPU,    VITALS_KIND_CGROUP, VITALS_KIND_PROCESS};
	pid_t pids[SERVE_STREAMS_MAX * SERVE_STREAM_PIDS];
	size_t npids = hub_pids(s, pids, sizeof(pids) / sizeof(pids[0]));
	struct jbuf j;

	jbuf_init(&j, 16u << 20);
	jbuf_printf(&j, "event: sample\nid: %llu\ndata: ", (unsigned long long)t->samples);
	jbuf_object_begin(&j);
	jbuf_key(&j, "time");
	jbuf_int(&j, vitals_collector_time(t->c));
	jbuf_key(&j, "entities");
	jbuf_array_begin(&j);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t nm, count = kinds[k] == VITALS_KIND_PROCESS
		                       ? npids
		                       : vitals_collector_count(t->c, kinds[k]);
		const struct vitals_metric *m = vitals_metric_list(kinds[k], &nm);

		for (size_t i = 0; i < count; i++) {
			const struct vitals_entity *e =
			    kinds[k] == VITALS_KIND_PROCESS
			        ? vitals_collector_process(t->c, pids[i])
			        : vitals_collector_entity(t->c, kinds[k], i);

			if (!e)
				continue;
			jbuf_object_begin(&j);
			jbuf_key(&j, "kind");
			jbuf_string(&j, vitals_kind_name(kinds[k]));
			jbuf_key(&j, "id");
			jbuf_string(&j, vitals_entity_id(e));
			jbuf_key(&j, "name");
			jbuf_string(&j, vitals_entity_name(e));
			jbuf_key(&j, "values");
			jbuf_object_begin(&j);
			for (size_t x = 0; x < nm; x++) {
				double v;

				jbuf_key(&j, m[x].name);
				if (vitals_entity_value(e, x, &v) == 0)
					jbuf_real(&j, v);
				else
					jbuf_null(&j);
			}
			jbuf_object_end(&j);
			jbuf_object_end(&j);
		}
	}
	jbuf_array_end(&j);
	jbuf_object_end(&j);
	jbuf_append(&j, "\n\n", 2);
	if (!j.failed)
		hub_publish(s, j.data, j.len);
	jbuf_release(&j);
}

static void publish_event(struct server *s, const struct pending_event *p)
{
	struct jbuf j;

	jbuf_init(&j, 1 << 16);
	jbuf_append(&j, "event: event\ndata: ", 19);
	jbuf_object_begin(&j);
	jbuf_key(&j, "time");
	jbuf_int(&j, p->at);
	jbuf_key(&j, "source");
	jbuf_string(&j, p->source);
	jbuf_key(&j, "text");
	jbuf_string(&j, p->text);
	jbuf_key(&j, "fields");
	if (p->fields)
		jbuf_raw(&j, p->fields, strlen(p->fields));
	else
		jbuf_null(&j);
	jbuf_object_end(&j);
	jbuf_append(&j, "\n\n", 2);
	if (!j.failed)
		hub_publish(s, j.data, j.len);
	jbuf_release(&j);
}

/* Take the pending events into the recording, and tell the pages. */
static void trace_events(struct server *s, struct tracer *t)
{
	struct record_loop_event *ev;
	struct pending_event *p;
	size_t n;

	pthread_mutex_lock(&t->mu);
	p = t->pend;
	n = t->npend;
	t->pend = NULL;
	t->npend = t->cap = 0;
	pthread_mutex_unlock(&t->mu);
	if (!n) {
		free(p);
		return;
	}
	ev = calloc(n, sizeof(*ev));
	if (ev) {
		for (size_t i = 0; i < n; i++)
			ev[i] = (struct record_loop_event){p[i].at, p[i].source, p[i].text,
			                                   p[i].fields};
		record_loop_events(&t->loop, ev, n);
		free(ev);
	} else {
		pthread_mutex_lock(&t->mu);
		snprintf(t->error, sizeof(t->error), "out of memory: %zu events lost", n);
		pthread_mutex_unlock(&t->mu);
	}
	for (size_t i = 0; i < n; i++) {
		if (ev)
			publish_event(s, &p[i]);
		free(p[i].text);
		free(p[i].source);
		free(p[i].fields);
	}
	free(p);
}

/* ---- the loop's hooks (record/loop.h), on the thread --------------------- */

static void trace_sampled(struct record_loop *l)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;

	pthread_mutex_lock(&t->mu);
	t->samples = l->samples;
	pthread_mutex_unlock(&t->mu);
	publish_sample(s, t);
}

static int trace_wrote(struct record_loop *l, int rc, int recovered)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;

	(void)recovered;
	if (rc < 0)
		return 0; /* said: t->error holds it */
	pthread_mutex_lock(&t->mu);
	t->error[0] = '\0';
	t->last_write_us = clock_utc_us();
	t->rows_written = vitals_recorder_rows_written(l->r);
	t->file_bytes = vitals_recorder_file_bytes(l->r);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

static void trace_say(struct record_loop *l, const char *msg)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;

	pthread_mutex_lock(&t->mu);
	snprintf(t->error, sizeof(t->error), "%s", msg);
	pthread_mutex_unlock(&t->mu);
}

/* Events from the API, then a stop or a snapshot asked by tracer_stop()/tracer_snapshot(). */
static unsigned trace_check(struct record_loop *l)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;
	unsigned what = 0;

	trace_events(s, t);
	pthread_mutex_lock(&t->mu);
	if (t->stop_req) {
		what = RECORD_LOOP_STOP;
	} else if (t->snap_req != t->snap_done) {
		t->snap_taking = t->snap_req;
		what = RECORD_LOOP_SNAPSHOT;
	}
	pthread_mutex_unlock(&t->mu);
	return what;
}

static void trace_snapped(struct record_loop *l)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;

	pthread_mutex_lock(&t->mu);
	t->snap_done = t->snap_taking;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

/* Sleep until the time is up, or a stop, a snapshot or events are asked for. */
static void trace_wait(struct record_loop *l, double left)
{
	struct server *s = l->ctx;
	struct tracer *t = s->tracer;
	struct timespec ts;
	double wall;

	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (double)ts.tv_nsec / 1e9 + left;
	ts.tv_sec += (time_t)wall;
	ts.tv_nsec = (long)((wall - floor(wall)) * 1e9);
	pthread_mutex_lock(&t->mu);
	if (!t->stop_req && t->snap_req == t->snap_done && !t->npend)
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	pthread_mutex_unlock(&t->mu);
}

static const struct record_loop_hooks trace_hooks = {
    .wait = trace_wait,
    .check = trace_check,
    .sampled = trace_sampled,
    .wrote = trace_wrote,
    .snapped = trace_snapped,
    .say = trace_say,
};

static void *trace_thread(void *arg)
{
	struct server *s = arg;

	record_loop_run(&s->tracer->loop);
	return NULL;
}

static void tracer_teardown(struct tracer *t)
{
	vitals_batch_free(t->rows);
	vitals_trace_free(t->trace);
	vitals_collector_free(t->c);
	t->rows = NULL;
	t->trace = NULL;
	t->c = NULL;
}

int tracer_start(struct server *s, const struct trace_request *tr, char *err, size_t errlen)
{
	struct tracer *t = s->tracer;
	struct vitals_collector_options co;
	struct vitals_recorder_options ro;
	struct vitals_recorder *r;
	struct stat st;
	int64_t recovered = 0;
	int rc = 500;

	if (!s->data_dir) {
		snprintf(err, errlen,
		         "tracing needs a data directory: start the dashboard with "
		         "--data-dir DIR");
		return 409;
	}
	if (name_check(tr->output, strlen(tr->output), err, errlen) < 0)
		return 400;
	pthread_mutex_lock(&t->mu);
	if (t->active) {
		snprintf(err, errlen, "already tracing into %s: stop it first", t->name);
		pthread_mutex_unlock(&t->mu);
		return 409;
	}
	t->active = 1; /* held while starting: a second start is refused */
	pthread_mutex_unlock(&t->mu);

	if (fstatat(s->data_dir_fd, tr->output, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s exists in the data directory and is not a regular file%s",
		         tr->output,
		         S_ISLNK(st.st_mode) ? " (a symbolic link is never followed)" : "");
		rc = 409;
		goto out_fail;
	}
	vitals_collector_options_init(&co);
	co.proc_root = s->o.proc_root;
	co.sys_root = s->o.sys_root;
	if (!tr->gpu)
		co.sources &= ~VITALS_SOURCE(VITALS_KIND_GPU);
	if (!tr->containers)
		co.sources &= ~VITALS_SOURCE(VITALS_KIND_CGROUP);
	if (vitals_collector_new(&t->c, &co, err, errlen) < 0) {
		t->c = NULL;
		goto out_fail;
	}
	if (vitals_trace_new(&t->trace) < 0 ||
	    vitals_batch_new(&t->rows, vitals_trace_schema(t->trace)) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out_fail;
	}
	record_meta_init(&t->meta, t->c, s->zone, tr->sample_interval, "vitals dashboard");
	snprintf(t->path, sizeof(t->path), "%s/%s", s->data_dir, tr->output);
	vitals_recorder_options_init(&ro);
	ro.no_follow = 1; /* a link swapped in after the check above is not followed */
	ro.write.meta = t->meta.kv;
	ro.write.meta_count = t->meta.count;
	if (vitals_recorder_open(&r, t->path, vitals_trace_schema(t->trace), &ro, &recovered, err,
	                         errlen) < 0) {
		rc = 500;
		goto out_fail;
	}
	record_loop_init(&t->loop, t->c, t->trace, t->rows, r);
	t->loop.sample_interval = tr->sample_interval;
	t->loop.write_interval = tr->write_interval;
	t->loop.hooks = &trace_hooks;
	t->loop.ctx = s;
	/* Room for events from the API between samples, too. */
	record_loop_cap_pending(&t->loop, 4096);
	pthread_mutex_lock(&t->mu);
	t->req = *tr;
	snprintf(t->name, sizeof(t->name), "%s", tr->output);
	t->started_us = clock_utc_us();
	t->last_write_us = 0;
	t->samples = 0;
	t->rows_written = 0;
	t->file_bytes = 0;
	t->error[0] = '\0';
	t->stop_req = 0;
	t->snap_req = t->snap_done = 0;
	t->ran = 1;
	pthread_mutex_unlock(&t->mu);
	if (pthread_create(&t->thread, NULL, trace_thread, s) != 0) {
		snprintf(err, errlen, "cannot start the tracing thread: %s", strerror(errno));
		vitals_recorder_abort(t->loop.r);
		t->loop.r = NULL;
		goto out_fail;
	}
	t->thread_alive = 1;
	publish_status(s);
	return 0;
out_fail:
	tracer_teardown(t);
	pthread_mutex_lock(&t->mu);
	t->active = 0;
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int tracer_stop(struct server *s, char *err, size_t errlen)
{
	struct tracer *t = s->tracer;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	if (!t->active || !t->thread_alive) {
		pthread_mutex_unlock(&t->mu);
		snprintf(err, errlen, "not tracing");
		return 409;
	}
	if (t->stop_req) {
		pthread_mutex_unlock(&t->mu);
		snprintf(err, errlen, "tracing is stopping already");
		return 409;
	}
	t->stop_req = 1;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	pthread_join(t->thread, NULL);
	if (record_loop_close(&t->loop, err, errlen) < 0)
		rc = 500;
	pthread_mutex_lock(&t->mu);
	if (rc == 0) {
		struct stat st;

		t->last_write_us = clock_utc_us();
		if (stat(t->path, &st) == 0)
			t->file_bytes = (uint64_t)st.st_size;
	} else {
		snprintf(t->error, sizeof(t->error), "%s", err);
	}
	t->thread_alive = 0;
	t->active = 0;
	pthread_mutex_unlock(&t->mu);
	tracer_teardown(t);
	publish_status(s);
	return rc;
}

int tracer_snapshot(struct server *s, char *err, size_t errlen)
{
	struct tracer *t = s->tracer;
	uint64_t want;
	int rc = 0;

	pthread_mutex_lock(&t->mu);
	if (!t->active || !t->thread_alive || t->stop_req) {
		pthread_mutex_unlock(&t->mu);
		snprintf(err, errlen, "not tracing: start tracing first");
		return 409;
	}
	want = ++t->snap_req;
	pthread_cond_broadcast(&t->cv);
	while (t->snap_done < want && t->active && !t->stop_req) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	if (t->snap_done < want) {
		snprintf(err, errlen, "tracing stopped before the snapshot was taken");
		rc = 409;
	} else if (t->error[0]) {
		snprintf(err, errlen, "%s", t->error);
		rc = 500;
	}
	pthread_mutex_unlock(&t->mu);
	return rc;
}

int server_trace(struct server *s, const char *output, double sample_interval,
                 double write_interval, char *err, size_t errlen)
{
	struct trace_request tr;

	memset(&tr, 0, sizeof(tr));
	if (strlen(output) >= sizeof(tr.output)) {
		snprintf(err, errlen, "the output name is too long");
		return 400;
	}
	snprintf(tr.output, sizeof(tr.output), "%s", output);
	tr.sample_interval = sample_interval;
	tr.write_interval = write_interval;
	tr.gpu = 1;
	tr.containers = 1;
	return tracer_start(s, &tr, err, errlen);
}
