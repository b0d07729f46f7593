/*
 * What the parts of the server share: the server object, a request as the
 * handlers see it, the answers they give, the live collector, the tracer
 * and the live stream.
 */
#ifndef VITALS_SERVE_INTERNAL_H
#define VITALS_SERVE_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <vitals/vitals.h>

#include "serve/jbuf.h"
#include "serve/parse.h"
#include "serve/serve.h"

#define SERVE_JSON_BODY_MAX  (64u * 1024u)
#define SERVE_CSV_BODY_MAX   (4u * 1024u * 1024u)
#define SERVE_ANSWER_MAX     ((size_t)64 * 1024 * 1024)
#define SERVE_POINTS_MAX     10000
#define SERVE_SERIES_MAX     256
#define SERVE_STREAMS_MAX    16
#define SERVE_STREAM_PIDS    32
#define SERVE_RING           64
#define SERVE_ENTITIES_MAX   5000
#define SERVE_CACHE_ENTRIES  32
#define SERVE_CACHE_BYTES    ((size_t)32 * 1024 * 1024)
#define SERVE_SCACHE_ENTRIES 64
#define SERVE_SCACHE_BYTES   ((size_t)64 * 1024 * 1024)

/* One file the dashboard offers. */
struct serve_file {
	char *id;   /* "day.parquet", or "datafile:N" */
	char *name; /* the file name */
	char *path; /* the path to open */
	int datafile;
};

struct tracer;
struct hub;

/* One answer of /api/series kept for the same request on the same file. */
struct cache_entry {
	char *key;
	char *body;
	size_t len;
	uint64_t used; /* for least-recently-used eviction */
};

/*
 * The full-resolution points of one entity's metric over [from, to] as
 * /api/series read them from a file (its identity in the key), so that
 * another bucketing of the same range (a zoom inside it, another point
 * count) is computed from memory instead of the file.
 */
struct scache_entry {
	char *key;  /* file identity, kind, id, metric */
	char *name; /* the entity's name, or NULL */
	int64_t from, to;
	size_t n;
	int64_t *t;
	double *v;
	uint8_t *ok;
	size_t bytes;
	uint64_t used;
};

struct server {
	struct serve_options o;
	struct MHD_Daemon *d;
	unsigned port;
	char token[80];
	char *data_dir;   /* real path, or NULL */
	int data_dir_fd;  /* or -1 */
	char **datafiles; /* copies */
	size_t datafile_count;
	char *assets;
	int assets_fd; /* or -1 */
	int loopback;  /* bound to a loopback address */
	char zone[128];

	/* The live collector of /metrics, the process tree and the PID finder. */
	pthread_mutex_t live_mu;
	struct vitals_collector *live;
	double live_mono;

	/*
	 * Requests that read trace files run at most `heavy_max` at a time, at
	 * a lower priority than the tracer, so a flood of them neither starves
	 * sampling nor grows memory without bound. The others wait for a turn
	 * (`heavy_waiting` of them), but not longer than the server can keep
	 * its word: past a wait of a few seconds, foreseen from the time the
	 * last ones took (`heavy_cost_us`, a moving average), they are answered
	 * 503 with Retry-After (http.c).
	 */
	sem_t heavy;
	unsigned heavy_max;
	unsigned heavy_waiting;
	uint64_t heavy_cost_us;

	/* Answers of /api/series by request and file identity (api.c). */
	pthread_mutex_t cache_mu;
	struct cache_entry cache[SERVE_CACHE_ENTRIES];
	uint64_t cache_tick;
	size_t cache_bytes;

	/* Points of single-entity series (api.c), by file identity; LRU, bounded in bytes. */
	pthread_mutex_t scache_mu;
	struct scache_entry scache[SERVE_SCACHE_ENTRIES];
	uint64_t scache_tick;
	size_t scache_bytes;

	/* Held while a request changes a file that tracing does not write (events). */
	pthread_mutex_t files_mu;

	struct tracer *tracer;
	struct hub *hub;
	volatile int stopping;
};

/* A request as handlers see it. */
struct request {
	struct server *srv;
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	const char *body; /* NULL when none */
	size_t body_len;
	int head; /* a HEAD request: the answer is sent without its body */
	/*
	 * A request that reads traces: 1, it takes a turn (rq_turn_take())
	 * before it reads, after it looked in the caches; 2, it holds one
	 * since turn_t0 and dispatch gives it back. 0: not such a request.
	 */
	int turn;
	double turn_t0;
};

/* ---- answers (http.c) ---------------------------------------------------- */

/* Queue J's bytes as a JSON answer with STATUS; J is emptied. */
enum MHD_Result reply_json(struct request *rq, unsigned status, struct jbuf *j);
/* Queue a JSON error: {"error": {"status": S, "message": ...}}. */
enum MHD_Result reply_error(struct request *rq, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same with a "line" member. */
enum MHD_Result reply_error_line(struct request *rq, unsigned status, size_t line, const char *msg);
/* The value of query parameter NAME, or NULL. */
const char *rq_arg(struct request *rq, const char *name);
/* Up to MAX values of a repeated query parameter NAME into OUT; how many there were. */
size_t rq_args(struct request *rq, const char *name, const char **out, size_t max);
/* Whether the request carries the right token. */
int rq_token_ok(struct request *rq);
/*
 * A turn among the requests that read traces, taken once the answer is
 * known not to be in a cache (a cached answer waits behind no
 * computation). 1: a turn taken now; 0: one was held already, or none
 * is needed; go on. -1: no turn in time; *RET is the 503 already queued,
 * to return.
 */
int rq_turn_take(struct request *rq, enum MHD_Result *ret);
/* The Content-Type of the request without parameters, lower-case, into BUF. */
const char *rq_content_type(struct request *rq, char *buf, size_t len);

/* ---- handlers (api.c) ---------------------------------------------------- */

enum MHD_Result api_health(struct request *rq);
enum MHD_Result api_info(struct request *rq);
enum MHD_Result api_files(struct request *rq);
enum MHD_Result api_trace(struct request *rq);
enum MHD_Result api_entities(struct request *rq);
enum MHD_Result api_series(struct request *rq);
/* Free what a series cache entry owns and zero it. */
void scache_entry_release(struct scache_entry *e);
enum MHD_Result api_events_get(struct request *rq);
enum MHD_Result api_events_post(struct request *rq);
enum MHD_Result api_events_import(struct request *rq);
enum MHD_Result api_proctree(struct request *rq);
enum MHD_Result api_pids(struct request *rq);
enum MHD_Result api_leaks(struct request *rq);
enum MHD_Result api_tracing_get(struct request *rq);
enum MHD_Result api_tracing_start(struct request *rq);
enum MHD_Result api_tracing_stop(struct request *rq);
enum MHD_Result api_tracing_snapshot(struct request *rq);
enum MHD_Result api_live(struct request *rq);
enum MHD_Result api_metrics(struct request *rq);

/* The files offered, in listing order, into *out (free with serve_files_free()). */
int serve_files_list(struct server *s, struct serve_file **out, size_t *count);
void serve_files_free(struct serve_file *f, size_t count);

/* Lock the live collector until live_release(); NULL on failure (ERR set).
 * `rates`: the answer shows values of the moment and rates, so the collector
 * is sampled again when its last sample is a second old, and has two samples
 * (the first such call waits a quarter second for the second). */
struct vitals_collector *live_acquire(struct server *s, int rates, char *err, size_t errlen);
void live_release(struct server *s);

/* ---- metrics.c ----------------------------------------------------------- */

/* The exposition of C's last sample into J (processes per the server's scope). */
void metrics_write(struct server *s, const struct vitals_collector *c, struct jbuf *j);

/* ---- tracing.c ----------------------------------------------------------- */

struct trace_request {
	char output[256];
	double sample_interval, write_interval;
	int gpu, containers;
};

int tracer_new(struct server *s);
void tracer_free(struct server *s);
/* 0, or an HTTP status (409, 400, 500) with ERR set. */
int tracer_start(struct server *s, const struct trace_request *tr, char *err, size_t errlen);
int tracer_stop(struct server *s, char *err, size_t errlen);
int tracer_snapshot(struct server *s, char *err, size_t errlen);
/* The status object (docs/api.md, GET /api/tracing) into J. */
void tracer_status(struct server *s, struct jbuf *j);
/* Whether tracing now writes the data-directory file NAME. */
int tracer_writes(struct server *s, const char *name);
/*
 * Add events to the file being traced when it is NAME: 1 when taken, 0
 * when tracing does not write NAME, or a negative status.
 */
int tracer_add_events(struct server *s, const char *name, const struct csv_event *ev, size_t n,
                      const char *source, const char *fields);

/* ---- the live stream (tracing.c) ----------------------------------------- */

int hub_new(struct server *s);
void hub_free(struct server *s);
/* Publish one message (an SSE frame: "event: ...\ndata: ...\n\n") to every stream. */
void hub_publish(struct server *s, const char *frame, size_t len);
/* Tell waiting streams to end (the server stops). */
void hub_shutdown(struct server *s);

#endif
