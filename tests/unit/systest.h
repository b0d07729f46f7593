/*
 * Shared helpers of the system source tests: a collector over a scratch
 * or captured tree, entity lookup by id, and value assertions.
 */
#ifndef VITALS_SYSTEST_H
#define VITALS_SYSTEST_H

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <vitals/vitals.h>

/* A collector over PROC (and SYS, or PROC when NULL) running the SOURCES bits. */
static inline struct vitals_collector *st_open(const char *proc, const char *sys, unsigned sources,
                                               int all)
{
	struct vitals_collector_options o;
	struct vitals_collector *c = NULL;
	char err[256] = "";

	vitals_collector_options_init(&o);
	o.proc_root = proc;
	o.sys_root = sys ? sys : proc;
	o.sources = sources;
	o.all_disks = all;
	o.all_filesystems = all;
	if (vitals_collector_new(&c, &o, err, sizeof(err)) != VITALS_OK)
		fail_msg("vitals_collector_new: %s", err);
	assert_non_null(c);
	return c;
}

static inline void st_sample(struct vitals_collector *c)
{
	assert_int_equal(vitals_collector_sample(c), VITALS_OK);
}

/* Let some wall time pass so that rates have an interval. */
static inline void st_pause(void)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
}

static inline const struct vitals_entity *st_find(struct vitals_collector *c, enum vitals_kind k,
                                                  const char *id)
{
	size_t n = vitals_collector_count(c, k);

	for (size_t i = 0; i < n; i++) {
		const struct vitals_entity *e = vitals_collector_entity(c, k, i);

		if (strcmp(vitals_entity_id(e), id) == 0)
			return e;
	}
	return NULL;
}

static inline const struct vitals_entity *st_get(struct vitals_collector *c, enum vitals_kind k,
                                                 const char *id)
{
	const struct vitals_entity *e = st_find(c, k, id);

	if (!e)
		fail_msg("no %s entity \"%s\"", vitals_kind_name(k), id);
	return e;
}

static inline const struct vitals_entity *st_system(struct vitals_collector *c)
{
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_SYSTEM), 1);
	return vitals_collector_entity(c, VITALS_KIND_SYSTEM, 0);
}

static inline double st_val(const struct vitals_entity *e, int i)
{
	double v = -12345;

	if (vitals_entity_value(e, (size_t)i, &v) != VITALS_OK)
		fail_msg("%s %s: metric %d missing", vitals_kind_name(vitals_entity_kind(e)),
		         vitals_entity_id(e), i);
	return v;
}

static inline void st_missing(const struct vitals_entity *e, int i)
{
	double v;

	if (vitals_entity_value(e, (size_t)i, &v) != VITALS_E_MISSING)
		fail_msg("%s %s: metric %d should be missing, is %g",
		         vitals_kind_name(vitals_entity_kind(e)), vitals_entity_id(e), i, v);
}

/* Assert metric I of E equals WANT to within a relative 1e-9. */
static inline void st_eq(const struct vitals_entity *e, int i, double want)
{
	double v = st_val(e, i);

	if (fabs(v - want) > 1e-9 * (fabs(want) > 1 ? fabs(want) : 1))
		fail_msg("%s %s: metric %d is %.12g, want %.12g",
		         vitals_kind_name(vitals_entity_kind(e)), vitals_entity_id(e), i, v, want);
}

/* Assert that rate metric I is DELTA per second of the last interval. */
static inline void st_rate(struct vitals_collector *c, const struct vitals_entity *e, int i,
                           double delta)
{
	double dt = vitals_collector_interval(c);

	assert_true(dt > 0);
	st_eq(e, i, delta / dt);
}

#endif
