/*
 * The recording loop shared by `vitals record` and the dashboard's
 * tracing (loop.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <vitals/vitals.h>

#include "record/loop.h"
#include "util/clock.h"

double record_cpu_seconds(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

void record_loop_init(struct record_loop *l, struct vitals_collector *c,
                      const struct vitals_trace *trace, struct vitals_batch *rows,
                      struct vitals_recorder *r)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->trace = trace;
	l->rows = rows;
	l->r = r;
	l->sample_interval = 1;
	l->write_interval = 10;
	l->processes = 1;
}

/* Say MSG through the hook, once until it changes. */
static void loop_say(struct record_loop *l, const char *msg)
{
	if (strcmp(l->error, msg) == 0)
		return;
	snprintf(l->error, sizeof(l->error), "%s", msg);
	if (l->hooks && l->hooks->say)
		l->hooks->say(l, l->error);
}

int record_loop_sample(struct record_loop *l)
{
	double t0 = clock_mono_seconds(), c0 = record_cpu_seconds();
	struct vitals_sample_cost cost;
	char msg[sizeof(l->error)];
	int rc;

	if (!l->r)
		return VITALS_E_INVAL; /* closed: a rotation that failed */
	rc = vitals_collector_sample(l->c);
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "sampling: %s", vitals_collector_errmsg(l->c));
		loop_say(l, msg);
		return rc;
	}
	cost.seconds = clock_mono_seconds() - t0;
	cost.cpu_seconds = c0 >= 0 ? record_cpu_seconds() - c0 : -1;
	vitals_batch_clear(l->rows);
	rc = vitals_trace_add_sample(l->trace, l->rows, l->c, l->processes, &cost);
	if (rc < 0) {
		loop_say(l, "out of memory");
		return rc;
	}
	if (vitals_recorder_add(l->r, l->rows) < 0)
		loop_say(l, vitals_recorder_errmsg(l->r));
	l->samples++;
	if (l->hooks && l->hooks->sampled)
		l->hooks->sampled(l);
	return 0;
}

/* Write; *HALT receives what wrote() returned when < 0 (the loop ends), else 0. */
static int loop_write(struct record_loop *l, int *halt)
{
	int rc, recovered = 0;

	*halt = 0;
	l->last_write = clock_mono_seconds();
	if (!l->r)
		return VITALS_E_INVAL;
	rc = vitals_recorder_write(l->r);
	if (rc < 0) {
		loop_say(l, vitals_recorder_errmsg(l->r));
	} else {
		recovered = l->error[0] != '\0';
		l->error[0] = '\0';
		l->writes++;
	}
	if (l->hooks && l->hooks->wrote) {
		int hr = l->hooks->wrote(l, rc, recovered);

		if (hr < 0)
			*halt = hr;
	}
	return rc < 0 ? rc : 0;
}

int record_loop_write(struct record_loop *l)
{
	int halt;

	return loop_write(l, &halt);
}

int record_loop_events(struct record_loop *l, const struct record_loop_event *ev, size_t n)
{
	int rc = 0;

	if (!n)
		return 0;
	if (!l->r)
		return VITALS_E_INVAL; /* closed: a rotation that failed */
	vitals_batch_clear(l->rows);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = vitals_trace_add_event(l->trace, l->rows, ev[i].at, ev[i].source, ev[i].text,
		                            ev[i].fields);
	if (rc < 0) {
		loop_say(l, "out of memory");
		return rc;
	}
	rc = vitals_recorder_add(l->r, l->rows);
	if (rc < 0)
		loop_say(l, vitals_recorder_errmsg(l->r));
	return rc;
}

int record_loop_run(struct record_loop *l)
{
	uint64_t k = 0;
	int rc = 0;

	l->start = clock_mono_seconds();
	l->last_write = l->start;
	for (;;) {
		double now, next;

		rc = record_loop_sample(l);
		if (rc < 0 && l->stop_on_error)
			goto out;
		rc = 0;
		/*
		 * The next slot of the steady schedule. A sample that comes late (a
		 * busy machine) is taken at once, so the count holds; only when more
		 * than a whole interval behind are the missed slots given up.
		 */
		now = clock_mono_seconds();
		k++;
		next = l->start + (double)k * l->sample_interval;
		if (now - next > l->sample_interval) {
			k = (uint64_t)floor((now - l->start) / l->sample_interval);
			next = l->start + (double)k * l->sample_interval;
		}
		if (l->duration > 0 && next - l->start >= l->duration - 1e-9)
			break; /* duration / interval samples, the first at the start */
		for (;;) {
			unsigned what = l->hooks->check(l);
			double left, to_write;

			if (what & RECORD_LOOP_STOP)
				goto out;
			if (what & RECORD_LOOP_SNAPSHOT) {
				rc = record_loop_sample(l);
				if (rc < 0 && l->stop_on_error)
					goto out;
				loop_write(l, &rc);
				if (rc < 0)
					goto out;
				if (l->hooks->snapped)
					l->hooks->snapped(l);
				continue;
			}
			now = clock_mono_seconds();
			to_write = l->write_interval - (now - l->last_write);
			if (to_write <= 1e-9) {
				loop_write(l, &rc);
				if (rc < 0)
					goto out;
				continue;
			}
			left = next - now;
			if (left <= 0)
				break;
			l->hooks->wait(l, to_write < left ? to_write : left);
		}
	}
out:
	/* What came during the last wait (events) is kept. */
	l->hooks->check(l);
	return rc;
}

int record_loop_close(struct record_loop *l, char *err, size_t errlen)
{
	int rc;

	if (!l->r)
		return 0;
	rc = vitals_recorder_close(l->r, err, errlen);
	l->r = NULL;
	return rc;
}

void record_loop_cap_pending(struct record_loop *l, size_t extra_rows)
{
	double per_write = ceil(l->write_interval / l->sample_interval);

	if (!l->r)
		return;
	vitals_recorder_set_max_pending(
	    l->r,
	    (size_t)(2 * per_write) * (vitals_collector_all_processes(l->c) + 64 + extra_rows));
}

void record_local_zone(char *buf, size_t len)
{
	const char *tz = getenv("TZ");
	char link[512];
	ssize_t n;
	FILE *f;

	buf[0] = '\0';
	if (tz && *tz) {
		snprintf(buf, len, "%s", tz[0] == ':' ? tz + 1 : tz);
		return;
	}
	n = readlink("/etc/localtime", link, sizeof(link) - 1);
	if (n > 0) {
		const char *z;

		link[n] = '\0';
		z = strstr(link, "zoneinfo/");
		if (z) {
			snprintf(buf, len, "%s", z + strlen("zoneinfo/"));
			return;
		}
	}
	f = fopen("/etc/timezone", "re");
	if (f) {
		if (fgets(buf, (int)len, f))
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
		if (buf[0])
			return;
	}
	snprintf(buf, len, "UTC");
}

void record_meta_init(struct record_meta *m, const struct vitals_collector *c, const char *zone,
                      double sample_interval, const char *command)
{
	const char *host = vitals_collector_hostname(c), *boot = vitals_collector_boot_id(c);
	const char *kernel = vitals_collector_kernel(c);
	int64_t now = clock_utc_us();
	time_t secs = (time_t)(now / 1000000);
	struct tm tm;
	char day[32] = "";
	size_t k = 0;

	if (zone)
		snprintf(m->zone, sizeof(m->zone), "%s", zone);
	else
		record_local_zone(m->zone, sizeof(m->zone));
	snprintf(m->interval, sizeof(m->interval), "%g", sample_interval);
	if (gmtime_r(&secs, &tm))
		strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(m->started, sizeof(m->started), "%s.%06ldZ", day, (long)(now % 1000000));
	snprintf(m->command, sizeof(m->command), "%s", command ? command : "");
	m->kv[k++] = (struct vitals_kv){"vitals.schema_version", "1"};
	m->kv[k++] = (struct vitals_kv){"vitals.version", vitals_version()};
	m->kv[k++] = (struct vitals_kv){"vitals.host", host ? host : ""};
	m->kv[k++] = (struct vitals_kv){"vitals.kernel", kernel ? kernel : ""};
	m->kv[k++] = (struct vitals_kv){"vitals.boot_id", boot ? boot : ""};
	m->kv[k++] = (struct vitals_kv){"vitals.timezone", m->zone};
	m->kv[k++] = (struct vitals_kv){"vitals.sample_interval_seconds", m->interval};
	m->kv[k++] = (struct vitals_kv){"vitals.started", m->started};
	m->kv[k++] = (struct vitals_kv){"vitals.command", m->command};
	m->count = k;
}
