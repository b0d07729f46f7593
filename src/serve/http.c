/*
 * The HTTP side of the dashboard: libmicrohttpd's daemon, request bodies
 * under caps, the token, routing to the API handlers, answers, and the
 * web page's static files.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/loop.h"
#include "serve/internal.h"
#include "util/clock.h"

/*
 * Seconds a request that reads trace files waits for its turn at most, and
 * the longest wait foreseen at which it still queues; past it, the moment
 * it waits before a 503 (docs/api.md, Limits).
 */
#define SERVE_HEAVY_WAIT     5
#define SERVE_HEAVY_BRIEF_MS 1000

#ifndef VITALS_WEB_BUILD_DIR
#define VITALS_WEB_BUILD_DIR ""
#endif
#ifndef VITALS_BUILD_DIR
#define VITALS_BUILD_DIR ""
#endif
#ifndef VITALS_WEB_REL
#define VITALS_WEB_REL "../../share/vitals/web"
#endif
#ifndef VITALS_WEB_INSTALL_DIR
#define VITALS_WEB_INSTALL_DIR "/usr/local/share/vitals/web"
#endif

void serve_options_init(struct serve_options *o)
{
	memset(o, 0, sizeof(*o));
	o->bind = "127.0.0.1";
	o->port = 8050;
	o->max_connections = 256;
}

/* ---- answers ------------------------------------------------------------- */

static void add_common_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
}

enum MHD_Result reply_json(struct request *rq, unsigned status, struct jbuf *j)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *data;

	if (j->failed) {
		int too_big = j->len + 64 >= j->max;

		jbuf_release(j);
		return too_big
		           ? reply_error(rq, 500,
		                         "the answer is larger than %zu bytes: ask for a shorter "
		                         "time range, fewer points or fewer series",
		                         (size_t)SERVE_ANSWER_MAX)
		           : reply_error(rq, 500, "out of memory");
	}
	jbuf_append(j, "\n", 1);
	data = jbuf_take(j, &len);
	if (!data)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	add_common_headers(r);
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error_full(struct request *rq, unsigned status, long line,
                                        const char *msg, const char *allow, unsigned retry_after)
{
	struct MHD_Response *r;
	struct jbuf j;
	enum MHD_Result ret;
	size_t len;
	char *data;

	jbuf_init(&j, 64 * 1024);
	jbuf_object_begin(&j);
	jbuf_key(&j, "error");
	jbuf_object_begin(&j);
	jbuf_key(&j, "status");
	jbuf_int(&j, status);
	jbuf_key(&j, "message");
	jbuf_string(&j, msg);
	if (line >= 0) {
		jbuf_key(&j, "line");
		jbuf_int(&j, line);
	}
	jbuf_object_end(&j);
	jbuf_object_end(&j);
	jbuf_append(&j, "\n", 1);
	data = jbuf_take(&j, &len);
	if (!data)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	if (retry_after) {
		char secs[16];

		snprintf(secs, sizeof(secs), "%u", retry_after);
		MHD_add_response_header(r, "Retry-After", secs);
	}
	if (status == 401)
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"vitals\"");
	add_common_headers(r);
	ret = MHD_queue_response(rq->conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result reply_error(struct request *rq, unsigned status, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_error_full(rq, status, -1, msg, NULL, 0);
}

enum MHD_Result reply_error_line(struct request *rq, unsigned status, size_t line, const char *msg)
{
	return reply_error_full(rq, status, (long)line, msg, NULL, 0);
}

/* ---- requests ------------------------------------------------------------ */

const char *rq_arg(struct request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct args_iter {
	const char *name;
	const char **out;
	size_t max, n;
};

static enum MHD_Result args_each(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct args_iter *it = cls;

	(void)kind;
	if (strcmp(key, it->name) == 0) {
		if (it->n < it->max)
			it->out[it->n] = value ? value : "";
		it->n++;
	}
	return MHD_YES;
}

size_t rq_args(struct request *rq, const char *name, const char **out, size_t max)
{
	struct args_iter it = {name, out, max, 0};

	MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, args_each, &it);
	return it.n;
}

/* Compare without leaking where the first difference is. */
static int same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

int rq_token_ok(struct request *rq)
{
	const char *t = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Vitals-Token");
	const char *auth = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization");

	if (t && same_secret(t, rq->srv->token))
		return 1;
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0 && same_secret(auth + 7, rq->srv->token))
		return 1;
	t = rq_arg(rq, "token");
	return t && same_secret(t, rq->srv->token);
}

const char *rq_content_type(struct request *rq, char *buf, size_t len)
{
	const char *ct = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Content-Type");
	size_t i = 0;

	if (!ct)
		ct = "";
	for (; ct[i] && ct[i] != ';' && ct[i] != ' ' && i + 1 < len; i++)
		buf[i] = (char)tolower((unsigned char)ct[i]);
	buf[i] = '\0';
	return buf;
}

/* ---- the live collector -------------------------------------------------- */

struct vitals_collector *live_acquire(struct server *s, int rates, char *err, size_t errlen)
{
	double now;

	pthread_mutex_lock(&s->live_mu);
	if (!s->live) {
		struct vitals_collector_options co;

		vitals_collector_options_init(&co);
		co.proc_root = s->o.proc_root;
		co.sys_root = s->o.sys_root;
		if (vitals_collector_new(&s->live, &co, err, errlen) < 0) {
			s->live = NULL;
			pthread_mutex_unlock(&s->live_mu);
			return NULL;
		}
	}
	now = clock_mono_seconds();
	if (vitals_collector_samples(s->live) == 0 || (rates && now - s->live_mono >= 1.0)) {
		if (vitals_collector_sample(s->live) < 0) {
			snprintf(err, errlen, "sampling: %s", vitals_collector_errmsg(s->live));
			pthread_mutex_unlock(&s->live_mu);
			return NULL;
		}
		s->live_mono = clock_mono_seconds();
	}
	if (rates && vitals_collector_samples(s->live) == 1) {
		/* Rates need two samples: the first answer that shows them should have them. */
		double wait = 0.25 - (clock_mono_seconds() - s->live_mono);

		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		vitals_collector_sample(s->live);
		s->live_mono = clock_mono_seconds();
	}
	return s->live;
}

void live_release(struct server *s)
{
	pthread_mutex_unlock(&s->live_mu);
}

/* ---- static files -------------------------------------------------------- */

static const char missing_page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>vitals dashboard</title></head>\n<body style=\"font-family:sans-serif;"
    "max-width:40em;margin:3em auto\">\n<h1>vitals dashboard</h1>\n"
    "<p>The web page's files are not installed, so only the API answers here.\n"
    "Build them with <code>make</code> (or <code>cmake --install</code>), or point\n"
    "<code>VITALS_ASSETS</code> at a directory that holds <code>index.html</code>.</p>\n"
    "<p>The API: <a href=\"/api/info\">/api/info</a>, <a href=\"/api/files\">/api/files"
    "</a>, <a href=\"/metrics\">/metrics</a> (see docs/api.md).</p>\n</body></html>\n";

static enum MHD_Result reply_static_buffer(struct request *rq, const char *text, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	add_common_headers(r);
	ret = MHD_queue_response(rq->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* Open PATH under the assets directory, never following a symbolic link. */
static int open_asset(int dirfd, const char *path)
{
	char comp[1025];
	const char *p = path;
	int fd = dup(dirfd);

	while (fd >= 0 && *p) {
		const char *slash;
		size_t l;
		int next;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		l = slash ? (size_t)(slash - p) : strlen(p);
		if (l >= sizeof(comp)) {
			close(fd);
			return -1;
		}
		memcpy(comp, p, l);
		comp[l] = '\0';
		p += l;
		next = openat(fd, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		close(fd);
		fd = next;
	}
	return fd;
}

static enum MHD_Result serve_static(struct request *rq)
{
	const char *path = rq->url;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	int fd;

	if (strcmp(path, "/") == 0 || strcmp(path, "/index.html") == 0)
		path = "/index.html";
	if (rq->srv->assets_fd < 0 || !asset_path_ok(path)) {
		if (strcmp(path, "/index.html") == 0)
			return reply_static_buffer(rq, missing_page, "text/html; charset=utf-8");
		return reply_error(rq, 404, "no such file: %.200s", rq->url);
	}
	fd = open_asset(rq->srv->assets_fd, path);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		if (strcmp(path, "/index.html") == 0)
			return reply_static_buffer(rq, missing_page, "text/html; charset=utf-8");
		return reply_error(rq, 404, "no such file: %.200s", rq->url);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	r = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", asset_content_type(path));
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	add_common_headers(r);
	ret = MHD_queue_response(rq->conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- routing ------------------------------------------------------------- */

typedef enum MHD_Result (*handler_fn)(struct request *rq);

struct route {
	const char *path;
	handler_fn get;
	handler_fn post;
};

static const struct route routes[] = {
    {"/api/health", api_health, NULL},
    {"/api/info", api_info, NULL},
    {"/api/files", api_files, NULL},
    {"/api/trace", api_trace, NULL},
    {"/api/entities", api_entities, NULL},
    {"/api/series", api_series, NULL},
    {"/api/events", api_events_get, api_events_post},
    {"/api/events/import", NULL, api_events_import},
    {"/api/proctree", api_proctree, NULL},
    {"/api/pids", api_pids, NULL},
    {"/api/leaks", api_leaks, NULL},
    {"/api/tracing", api_tracing_get, NULL},
    {"/api/tracing/start", NULL, api_tracing_start},
    {"/api/tracing/stop", NULL, api_tracing_stop},
    {"/api/tracing/snapshot", NULL, api_tracing_snapshot},
    {"/api/live", api_live, NULL},
    {"/metrics", api_metrics, NULL},
};

static const struct route *route_find(const char *url)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(url, routes[i].path) == 0)
			return &routes[i];
	return NULL;
}

/* What one connection's request holds between libmicrohttpd's calls. */
struct conn_state {
	char *body;
	size_t len, cap, max;
	int too_large;
};

/*
 * A turn for a request that reads trace files (at most heavy_max at a
 * time). It waits its turn up to SERVE_HEAVY_WAIT seconds; when the wait
 * foreseen -- those waiting before it, times what a request took lately,
 * over the turns -- is longer than that, it waits only a moment
 * (SERVE_HEAVY_BRIEF_MS, in case a turn comes free, and so that a client
 * that asks again at once does not turn the server into a 503 loop). No
 * turn: -1, with *RETRY the seconds to say in Retry-After. 0: heavy_leave()
 * after.
 */
static int heavy_enter(struct server *s, unsigned *retry)
{
	unsigned waiting = __atomic_add_fetch(&s->heavy_waiting, 1, __ATOMIC_RELAXED);
	double cost = (double)__atomic_load_n(&s->heavy_cost_us, __ATOMIC_RELAXED) / 1e6;
	double foreseen = (double)waiting * cost / (double)s->heavy_max;
	struct timespec ts;
	int rc = 0;

	*retry = foreseen < 1 ? 1 : foreseen > 60 ? 60 : (unsigned)ceil(foreseen);
	if (sem_trywait(&s->heavy) == 0)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (foreseen > SERVE_HEAVY_WAIT) {
		ts.tv_nsec += SERVE_HEAVY_BRIEF_MS * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
	} else {
		ts.tv_sec += SERVE_HEAVY_WAIT;
		*retry = SERVE_HEAVY_WAIT;
	}
	while (sem_timedwait(&s->heavy, &ts) < 0) {
		if (errno == EINTR)
			continue;
		rc = -1;
		break;
	}
out:
	__atomic_sub_fetch(&s->heavy_waiting, 1, __ATOMIC_RELAXED);
	return rc;
}

/* The turn is over; it took SECONDS. */
static void heavy_leave(struct server *s, double seconds)
{
	uint64_t us = seconds > 0 ? (uint64_t)(seconds * 1e6) : 0;
	uint64_t avg = __atomic_load_n(&s->heavy_cost_us, __ATOMIC_RELAXED);

	/* A moving average over the last few (a race loses one sample, no more). */
	__atomic_store_n(&s->heavy_cost_us, avg ? (avg * 7 + us) / 8 : us, __ATOMIC_RELAXED);
	sem_post(&s->heavy);
}

int rq_turn_take(struct request *rq, enum MHD_Result *ret)
{
	unsigned retry;

	if (rq->turn != 1)
		return 0;
	if (heavy_enter(rq->srv, &retry) < 0) {
		char msg[256];

		snprintf(msg, sizeof(msg),
		         "the server is busy: %u requests that read traces wait for %u "
		         "turns; try again in %u s",
		         __atomic_load_n(&rq->srv->heavy_waiting, __ATOMIC_RELAXED),
		         rq->srv->heavy_max, retry);
		*ret = reply_error_full(rq, 503, -1, msg, NULL, retry);
		return -1;
	}
	rq->turn = 2;
	rq->turn_t0 = clock_mono_seconds();
	return 1;
}

static enum MHD_Result dispatch(struct request *rq, struct conn_state *cs)
{
	const struct route *rt = route_find(rq->url);
	int get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
	int post = strcmp(rq->method, "POST") == 0;

	rq->head = strcmp(rq->method, "HEAD") == 0;
	if (!rt) {
		if (strncmp(rq->url, "/api/", 5) == 0 || strcmp(rq->url, "/api") == 0)
			return reply_error(rq, 404, "no such endpoint: %.200s", rq->url);
		if (!get)
			return reply_error_full(rq, 405, -1, "only GET and HEAD serve files",
			                        "GET, HEAD", 0);
		return serve_static(rq);
	}
	if ((get && !rt->get) || (post && !rt->post) || (!get && !post)) {
		char allow[32];

		snprintf(allow, sizeof(allow), "%s%s%s", rt->get ? "GET, HEAD" : "",
		         rt->get && rt->post ? ", " : "", rt->post ? "POST" : "");
		return reply_error_full(rq, 405, -1, "method not allowed here", allow, 0);
	}
	if (rt->get != api_health && (post || !rq->srv->loopback) && !rq_token_ok(rq))
		return reply_error(
		    rq, 401,
		    "this needs the dashboard's token (header X-Vitals-Token, "
		    "Authorization: Bearer, or ?token=); it was %s",
		    (MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "X-Vitals-Token") ||
		     MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, "Authorization") ||
		     rq_arg(rq, "token"))
		        ? "wrong"
		        : "missing");
	if (get && (rt->get == api_series || rt->get == api_entities || rt->get == api_leaks ||
	            rt->get == api_trace || rt->get == api_events_get)) {
		static __thread int reniced;
		enum MHD_Result ret;

		if (!reniced) {
			/* This connection's thread yields to the tracer (a raise is not allowed
			 * back). */
			setpriority(PRIO_PROCESS, (id_t)gettid(), 5);
			reniced = 1;
		}
		rq->turn = 1;
		/* Those with an answer cache take their turn after looking in it. */
		if (rt->get != api_series && rt->get != api_entities && rq_turn_take(rq, &ret) < 0)
			return ret;
		ret = rt->get(rq);
		if (rq->turn == 2)
			heavy_leave(rq->srv, clock_mono_seconds() - rq->turn_t0);
		rq->turn = 0;
		return ret;
	}
	if (post) {
		if (cs->too_large)
			return reply_error(rq, 413, "the request body is larger than %zu bytes",
			                   cs->max);
		rq->body = cs->body;
		rq->body_len = cs->len;
		return rt->post(rq);
	}
	return rt->get(rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct conn_state *cs = *con_cls;
	struct request rq;

	(void)version;
	memset(&rq, 0, sizeof(rq));
	rq.srv = s;
	rq.conn = conn;
	rq.method = method;
	rq.url = url;
	if (!cs) {
		const char *cl =
		    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");

		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		cs->max = strcmp(url, "/api/events/import") == 0 ? SERVE_CSV_BODY_MAX
		                                                 : SERVE_JSON_BODY_MAX;
		*con_cls = cs;
		if (cl) {
			char *end;
			unsigned long long v = strtoull(cl, &end, 10);

			if (*end == '\0' && v > cs->max) {
				cs->too_large = 1;
				return reply_error(
				    &rq, 413, "the request body is larger than %zu bytes", cs->max);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (!cs->too_large && cs->len + n > cs->max)
			cs->too_large = 1;
		if (!cs->too_large) {
			if (cs->len + n + 1 > cs->cap) {
				size_t cap = cs->cap ? cs->cap : 4096;
				char *p;

				while (cap < cs->len + n + 1)
					cap *= 2;
				p = realloc(cs->body, cap);
				if (!p)
					return MHD_NO;
				cs->body = p;
				cs->cap = cap;
			}
			memcpy(cs->body + cs->len, upload_data, n);
			cs->len += n;
			cs->body[cs->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(&rq, cs);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (cs) {
		free(cs->body);
		free(cs);
		*con_cls = NULL;
	}
}

/* ---- start and stop ------------------------------------------------------ */

static int make_token(char *buf, size_t len)
{
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw) && 2 * i + 2 < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* The assets directory: the option, VITALS_ASSETS, the build tree's, the installed one. */
static char *find_assets(const char *opt)
{
	const char *env = getenv("VITALS_ASSETS");
	const char *build = VITALS_BUILD_DIR;
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (opt && *opt)
		return strdup(opt);
	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return strdup(VITALS_WEB_INSTALL_DIR);
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0'; /* the program's directory */
	if (build[0]) {
		char real_build[PATH_MAX];

		if (realpath(build, real_build) && strcmp(real_build, exe) == 0)
			return strdup(VITALS_WEB_BUILD_DIR);
	}
	{
		/* An installation moved as a whole: the page is where it is from this program. */
		char moved[PATH_MAX + 64], index[PATH_MAX + 80];

		snprintf(moved, sizeof(moved), "%s/%s", exe, VITALS_WEB_REL);
		snprintf(index, sizeof(index), "%s/index.html", moved);
		if (access(index, R_OK) == 0)
			return strdup(moved);
	}
	return strdup(VITALS_WEB_INSTALL_DIR);
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >>
		        24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return 0;
}

static void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->hub)
		hub_free(s);
	if (s->tracer)
		tracer_free(s);
	if (s->live)
		vitals_collector_free(s->live);
	pthread_mutex_destroy(&s->live_mu);
	pthread_mutex_destroy(&s->files_mu);
	pthread_mutex_destroy(&s->cache_mu);
	for (size_t i = 0; i < SERVE_CACHE_ENTRIES; i++) {
		free(s->cache[i].key);
		free(s->cache[i].body);
	}
	pthread_mutex_destroy(&s->scache_mu);
	for (size_t i = 0; i < SERVE_SCACHE_ENTRIES; i++)
		scache_entry_release(&s->scache[i]);
	sem_destroy(&s->heavy);
	if (s->data_dir_fd >= 0)
		close(s->data_dir_fd);
	if (s->assets_fd >= 0)
		close(s->assets_fd);
	for (size_t i = 0; i < s->datafile_count; i++)
		free(s->datafiles[i]);
	free(s->datafiles);
	free(s->data_dir);
	free(s->assets);
	free((char *)s->o.metrics_match);
	free(s);
}

int server_start(struct server **out, const struct serve_options *o, char *err, size_t errlen)
{
	struct server *s;
	struct addrinfo hints, *ai = NULL;
	char port[16];
	unsigned flags;
	const union MHD_DaemonInfo *info;
	int rc = VITALS_E_NOMEM, gai;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return VITALS_E_NOMEM;
	}
	s->o = *o;
	s->o.metrics_match = NULL;
	s->data_dir_fd = -1;
	s->assets_fd = -1;
	pthread_mutex_init(&s->live_mu, NULL);
	pthread_mutex_init(&s->files_mu, NULL);
	pthread_mutex_init(&s->cache_mu, NULL);
	pthread_mutex_init(&s->scache_mu, NULL);
	{
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		s->heavy_max = cpus < 2 ? 2 : cpus > 16 ? 16 : (unsigned)cpus;
		sem_init(&s->heavy, 0, s->heavy_max);
	}
	if (o->metrics_match && !(s->o.metrics_match = strdup(o->metrics_match)))
		goto out_nomem;
	record_local_zone(s->zone, sizeof(s->zone));
	if (o->token && *o->token) {
		if (strlen(o->token) >= sizeof(s->token) || strlen(o->token) < 8) {
			snprintf(err, errlen, "--token: the token must have 8 to %zu characters",
			         sizeof(s->token) - 1);
			rc = VITALS_E_INVAL;
			goto out_fail;
		}
		snprintf(s->token, sizeof(s->token), "%s", o->token);
	} else if (make_token(s->token, sizeof(s->token)) < 0) {
		snprintf(err, errlen, "cannot make a token: %s", strerror(errno));
		rc = VITALS_E_IO;
		goto out_fail;
	}
	if (o->data_dir) {
		s->data_dir = realpath(o->data_dir, NULL);
		if (!s->data_dir) {
			snprintf(err, errlen, "--data-dir %s: %s", o->data_dir, strerror(errno));
			rc = VITALS_E_INVAL;
			goto out_fail;
		}
		s->data_dir_fd = open(s->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->data_dir_fd < 0) {
			snprintf(err, errlen, "--data-dir %s: %s", o->data_dir, strerror(errno));
			rc = VITALS_E_INVAL;
			goto out_fail;
		}
	}
	if (o->datafile_count) {
		s->datafiles = calloc(o->datafile_count, sizeof(*s->datafiles));
		if (!s->datafiles)
			goto out_nomem;
		for (size_t i = 0; i < o->datafile_count; i++) {
			s->datafiles[i] = strdup(o->datafiles[i]);
			if (!s->datafiles[i])
				goto out_nomem;
			s->datafile_count = i + 1;
		}
	}
	s->o.datafiles = NULL;
	s->o.data_dir = NULL;
	s->o.assets = NULL;
	s->o.token = NULL;
	s->o.bind = NULL;
	s->assets = find_assets(o->assets);
	if (!s->assets)
		goto out_nomem;
	s->assets_fd = open(s->assets, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tracer_new(s) < 0 || hub_new(s) < 0)
		goto out_nomem;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", o->port);
	gai = getaddrinfo(o->bind && *o->bind ? o->bind : "127.0.0.1", port, &hints, &ai);
	if (gai != 0) {
		snprintf(err, errlen, "--bind %s: %s", o->bind ? o->bind : "", gai_strerror(gai));
		rc = VITALS_E_INVAL;
		goto out_fail;
	}
	s->loopback = is_loopback(ai->ai_addr);
	if (!s->loopback && !(o->token && *o->token)) {
		/* A generated token is printed by the caller; nothing else to do here. */
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
	        MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(
	    flags, (uint16_t)o->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections ? o->max_connections : 256),
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!s->d) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s",
		         o->bind ? o->bind : "127.0.0.1", o->port,
		         errno ? strerror(errno) : "address in use or not available");
		rc = VITALS_E_IO;
		goto out_fail;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : o->port;
	*out = s;
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
	rc = VITALS_E_NOMEM;
out_fail:
	server_free(s);
	return rc;
}

unsigned server_port(const struct server *s)
{
	return s->port;
}

const char *server_token(const struct server *s)
{
	return s->token;
}

const char *server_assets(const struct server *s, int *has_index)
{
	struct stat st;

	*has_index = s->assets_fd >= 0 && fstatat(s->assets_fd, "index.html", &st, 0) == 0 &&
	             S_ISREG(st.st_mode);
	return s->assets;
}

void server_stop(struct server *s)
{
	char err[256];

	if (!s)
		return;
	s->stopping = 1;
	tracer_stop(s, err, sizeof(err));
	hub_shutdown(s);
	if (s->d)
		MHD_stop_daemon(s->d);
	server_free(s);
}
