/*
 * The recording loop: what `vitals record` and the dashboard's tracing
 * both run, so that a fix in one is a fix in both.
 *
 *     struct record_loop l;
 *
 *     record_loop_init(&l, c, trace, rows, r);
 *     l.sample_interval = 1;
 *     l.write_interval = 10;
 *     l.hooks = &my_hooks;        // wait, check, and what to tell
 *     l.ctx = me;
 *     rc = record_loop_run(&l);   // until check() says stop
 *     rc = record_loop_close(&l, err, sizeof(err));
 *
 * The schedule. Sample k is due at start + k x sample_interval, whatever
 * the time each sample took, so the schedule does not drift. A sample
 * that comes late (a busy machine) is taken at once, so the count holds;
 * only when more than a whole interval behind are the missed slots given
 * up. With a duration, the loop ends after duration / sample_interval
 * samples, the first at the start.
 *
 * A sample. The collector samples; what that cost this process (wall
 * time and CPU time, getrusage()) goes into the system row of the trace
 * (vitals_sample_cost); the rows go to the recorder at once (its journal).
 *
 * Writes. Between samples the recorder's output is rewritten every
 * write_interval seconds (vitals_recorder_write()); the loop sleeps until
 * whichever comes first, the next sample or the next write, in the
 * caller's wait() hook, which may return early (a signal, an event, a
 * request). After each wait the loop asks check() what to do: stop, take
 * a snapshot now (a sample and a write, off the schedule), or go on.
 * check() may hand events to the recording with record_loop_events().
 *
 * Failures. A failure of the recorder (disk full) is told through say()
 * once until its message changes, and the recording goes on (every row
 * is kept for the next write); the first write that works again is told
 * through wrote(). A failed sample (out of memory in the collector) is
 * said too; the loop then stops when stop_on_error is set (a command),
 * or tries again at the next slot (a server).
 *
 * Shutdown. record_loop_run() asks check() once more after the last
 * sample, so events that came meanwhile are kept; record_loop_close()
 * writes everything and closes the recorder.
 *
 * Everything runs on the caller's thread; the loop holds no lock.
 */
#ifndef VITALS_RECORD_LOOP_H
#define VITALS_RECORD_LOOP_H

#include <stddef.h>
#include <stdint.h>
#include <vitals/record.h>

/* What check() asks for (bits). */
#define RECORD_LOOP_STOP     1u /* end the loop (no more samples) */
#define RECORD_LOOP_SNAPSHOT 2u /* a sample and a write now, then snapped() */

struct record_loop;

/* What the caller does for the loop; wait and check are required, the rest optional. */
struct record_loop_hooks {
	/* Sleep up to SECONDS (> 0); returning early is fine. */
	void (*wait)(struct record_loop *l, double seconds);
	/* What now: RECORD_LOOP_* bits, 0 to go on. */
	unsigned (*check)(struct record_loop *l);
	/* A sample was taken and handed to the recorder. */
	void (*sampled)(struct record_loop *l);
	/*
	 * A write ended: RC 0, or the recorder's negative status (said through
	 * say()). RECOVERED: the first write that worked after a failure.
	 * Return < 0 to end the loop with that status (a rotation that failed).
	 */
	int (*wrote)(struct record_loop *l, int rc, int recovered);
	/* A snapshot asked by check() was taken and written. */
	void (*snapped)(struct record_loop *l);
	/* A failure, once until its message changes. */
	void (*say)(struct record_loop *l, const char *msg);
};

/* One event for record_loop_events(). */
struct record_loop_event {
	int64_t at;         /* UTC microseconds */
	const char *source; /* "command", "fifo", "api"... */
	const char *text;
	const char *fields; /* a JSON object, or NULL */
};

struct record_loop {
	/* Set by the caller (record_loop_init() sets the defaults). */
	struct vitals_collector *c;
	const struct vitals_trace *trace;
	struct vitals_batch *rows; /* scratch rows of the trace's schema */
	struct vitals_recorder *r; /* a wrote() hook may replace it (rotation) */
	double sample_interval;    /* seconds, > 0; default 1 */
	double write_interval;     /* seconds, > 0; default 10 */
	double duration;           /* seconds; 0 (default): until check() says stop */
	int processes;             /* 1 (default): rows for the processes in scope */
	int stop_on_error;         /* 1: a failed sample ends the loop; default 0 */
	const struct record_loop_hooks *hooks;
	void *ctx; /* the caller's, for the hooks */

	/* Kept by the loop; read them from the hooks. */
	uint64_t samples;  /* samples taken */
	uint64_t writes;   /* writes that worked */
	double start;      /* monotonic seconds of the first sample */
	double last_write; /* monotonic seconds of the last write (tried) */
	char error[512];   /* the last failure said, "" after a write that worked */
};

/* Set L's fields to the defaults above with the given parts. */
void record_loop_init(struct record_loop *l, struct vitals_collector *c,
                      const struct vitals_trace *trace, struct vitals_batch *rows,
                      struct vitals_recorder *r);

/*
 * Sample on the schedule until check() says stop, the duration is over, a
 * failed sample with stop_on_error, or wrote() returns < 0. 0, or that
 * negative status.
 */
int record_loop_run(struct record_loop *l);

/* Take one sample now into the recording (as the loop does). 0 or a negative status. */
int record_loop_sample(struct record_loop *l);

/* Write the recorder's output now (as the loop does); 0 or a negative status. */
int record_loop_write(struct record_loop *l);

/* Hand N events to the recording, in one batch. 0 or a negative status (said). */
int record_loop_events(struct record_loop *l, const struct record_loop_event *ev, size_t n);

/*
 * Write everything and close the recorder (L->r becomes NULL). 0, or its
 * negative status with ERR set.
 */
int record_loop_close(struct record_loop *l, char *err, size_t errlen);

/*
 * Cap the rows L's recorder holds in memory while its journal cannot be
 * written (vitals_recorder_set_max_pending()) at two write intervals of
 * samples of every process the collector sees, and EXTRA_ROWS more per
 * sample (events that may come in between).
 */
void record_loop_cap_pending(struct record_loop *l, size_t extra_rows);

/* User + system CPU seconds this process has used; < 0 when unknown. */
double record_cpu_seconds(void);

/*
 * A recording's file metadata (docs/schema.md: vitals.host, .timezone,
 * .sample_interval_seconds, .started, .command...), for
 * vitals_write_options.meta. The strings live in the struct.
 */
struct record_meta {
	struct vitals_kv kv[9];
	size_t count;
	char zone[128], interval[32], started[40], command[1024];
};

/*
 * Fill M for a recording of C at SAMPLE_INTERVAL seconds, started now,
 * in time zone ZONE (NULL: record_local_zone()), by COMMAND.
 */
void record_meta_init(struct record_meta *m, const struct vitals_collector *c, const char *zone,
                      double sample_interval, const char *command);

/* The IANA name of the local time zone ("Europe/Paris"): TZ, /etc/localtime, /etc/timezone or
 * "UTC". */
void record_local_zone(char *buf, size_t len);

#endif
