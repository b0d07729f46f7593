/*
 * The dashboard's server: `vitals dashboard` starts one, and it answers
 * the JSON API of docs/api.md, the live stream, /metrics and the web
 * page's files until stopped. It runs on libmicrohttpd's threads (one per
 * connection), plus one thread while tracing.
 */
#ifndef VITALS_SERVE_SERVE_H
#define VITALS_SERVE_SERVE_H

#include <stddef.h>
#include <sys/types.h>

struct serve_options {
	const char *bind;             /* address to listen on; default "127.0.0.1" */
	unsigned port;                /* 0: any free port (server_port() tells which) */
	const char *token;            /* NULL: one is generated */
	const char *data_dir;         /* where traces are listed and tracing writes; NULL: none */
	const char *const *datafiles; /* more traces to offer, by path */
	size_t datafile_count;
	const char *assets;       /* the web page's directory; NULL: VITALS_ASSETS or the default */
	unsigned max_connections; /* default 256 */
	pid_t metrics_pid;        /* /metrics: this process and its descendants; 0: none */
	const char *metrics_match; /* /metrics: processes whose name or command line has it */
	const char *proc_root;     /* tests: other /proc and /sys */
	const char *sys_root;
};

void serve_options_init(struct serve_options *o);

struct server;

/*
 * Start serving. On failure *out is NULL, ERR says why and the status is
 * negative (VITALS_E_INVAL for bad options, VITALS_E_IO when the address
 * cannot be bound).
 */
int server_start(struct server **out, const struct serve_options *o, char *err, size_t errlen);
/* The port it listens on. */
unsigned server_port(const struct server *s);
/* The token that control requests need. */
const char *server_token(const struct server *s);
/* The assets directory in use, and whether it has an index.html. */
const char *server_assets(const struct server *s, int *has_index);
/*
 * Start tracing into OUTPUT (a plain name in the data directory), as
 * POST /api/tracing/start does. 0, or an HTTP-like status with ERR set.
 */
int server_trace(struct server *s, const char *output, double sample_interval,
                 double write_interval, char *err, size_t errlen);
/* Stop tracing (writing the file), close every connection, free S. */
void server_stop(struct server *s);

#endif
