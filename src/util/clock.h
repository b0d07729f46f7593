/*
 * The two clocks vitals reads: monotonic seconds for intervals and
 * schedules, and UTC microseconds for timestamps.
 */
#ifndef VITALS_UTIL_CLOCK_H
#define VITALS_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in seconds. */
double clock_mono_seconds(void);
/* CLOCK_REALTIME in microseconds since the Unix epoch (UTC). */
int64_t clock_utc_us(void);

#endif
