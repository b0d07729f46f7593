/*
 * Fuzz the process-log reader of the series loader (src/analyze/series.h)
 * and the leak analysis behind it. The first input byte picks options (an
 * averaging step, events, a kind filter); the rest is a log file: lines
 * with an optional prefix and a JSON object each. Whatever loads must keep
 * the loader's promises (times in order, validity bytes 0 or 1, events in
 * order), and the analysis must rank what it finds.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze/leaks.h"
#include "analyze/series.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void cleanup(void)
{
	unlink(path);
}

static void check(const struct series_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		const struct series *s = &set->series[i];

		if (!s->kind || !s->id || !s->name || !s->n)
			abort();
		for (size_t j = 0; j < s->n; j++) {
			if (j && s->t[j] < s->t[j - 1])
				abort();
			for (size_t c = 0; c < set->column_count; c++)
				if (s->valid[c][j] > 1 || (s->valid[c][j] && !isfinite(s->v[c][j])))
					abort();
		}
	}
	for (size_t i = 1; i < set->event_count; i++)
		if (set->events[i].t < set->events[i - 1].t)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cols[] = {"rss_bytes", "heap_in_use_bytes", "value", "mem_available_bytes"};
	const char *kinds[] = {"process", "gauge"};
	struct series_options o;
	struct series_set *set;
	struct leak_options lo;
	struct leak_report *rep;
	char err[512];
	FILE *f;

	if (size < 1 || size > (1 << 20))
		return 0;
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/vitals-fuzz-%d.log", (int)getpid());
		atexit(cleanup);
	}
	f = fopen(path, "wb");
	if (!f)
		abort();
	if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1)
		abort();
	fclose(f);
	series_options_init(&o);
	o.columns = cols;
	o.column_count = 4;
	o.events = data[0] & 1;
	o.step_us = (data[0] & 2) ? 1500000 : 0;
	if (data[0] & 4) {
		o.kinds = kinds;
		o.kind_count = 2;
	}
	if (data[0] & 8)
		o.id_prefix = "/a";
	if (series_load(&set, path, &o, err, sizeof(err)) < 0) {
		if (!strstr(err, path))
			abort(); /* every message names the file */
		return 0;
	}
	check(set);
	leak_options_init(&lo);
	lo.all = 1;
	lo.skip = (data[0] & 16) ? 1 : 0;
	if (leaks_analyze(set, &lo, &rep, err, sizeof(err)) == 0) {
		for (size_t i = 1; i < rep->suspects; i++)
			if (rep->items[i].rate > rep->items[i - 1].rate)
				abort();
		leak_report_free(rep);
	}
	series_set_free(set);
	return 0;
}
