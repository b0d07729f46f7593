/*
 * Charts of time series as SVG: the pictures of `vitals plot` and of the
 * charts inside `vitals report`. The model is plain memory (arrays of
 * times and values), so the renderer does not care where a series came
 * from.
 *
 * A chart is a stack of panels sharing one time axis; each panel has a
 * unit, a title and lines with a legend; events are vertical markers with
 * their text across every panel. Long series are reduced to what the
 * pixels can show: per pixel column, the smallest and the largest value in
 * the order they occurred (svg_reduce()), so a single-sample spike in a
 * million points still reaches its height and the file stays small.
 *
 * Times are shown in the process's time zone (the TZ environment variable,
 * read through localtime_r()), with ticks at round local times that stay
 * right across daylight saving changes. The command line sets TZ from
 * --tz or from the trace's own zone before drawing.
 */
#ifndef VITALS_ANALYZE_SVG_H
#define VITALS_ANALYZE_SVG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What a panel's values measure; decides the axis labels. */
enum svg_unit {
	SVG_UNIT_PLAIN = 0,        /* a count: 1.5k, 20 */
	SVG_UNIT_PERCENT,          /* 0 to 100 and beyond: 42% */
	SVG_UNIT_BYTES,            /* binary prefixes: 512 MiB */
	SVG_UNIT_BYTES_PER_SECOND, /* 12 MiB/s */
	SVG_UNIT_SECONDS,          /* 1.5 s, 20 ms */
};

/* One line: N samples at times T (UTC microseconds, ascending) of values V. */
struct svg_line {
	const char *label; /* legend text (any bytes; escaped on output) */
	const int64_t *t;
	const double *v;
	const uint8_t *valid; /* N flags, 1 = a value; NULL when every value is there */
	size_t n;
};

struct svg_panel {
	const char *title;
	enum svg_unit unit;
	const struct svg_line *lines;
	size_t nlines;
	size_t more; /* lines left out of the panel, said in the legend ("+3 more") */
};

/* A marker: text at a time. */
struct svg_event {
	int64_t t; /* UTC microseconds */
	const char *text;
};

struct svg_chart {
	const char *title;    /* above the panels; NULL for none */
	const char *subtitle; /* a second, smaller line; NULL for none */
	const struct svg_panel *panels;
	size_t npanels;
	const struct svg_event *events;
	size_t nevents;
	int64_t t0, t1;   /* the time range shown; both 0: the range of the data and events */
	int width;        /* pixels; 0 = 1000 */
	int panel_height; /* pixels of one panel's plot area; 0 = 180 */
	const char
	    *zone;      /* the display zone's name for the axis title ("Europe/Paris"); NULL: TZ */
	int64_t gap_us; /* a line breaks where two samples are further apart; 0 = guess */
	int standalone; /* 1: an SVG document with its XML declaration; 0: an <svg> to inline */
	const char *id; /* prefix of the element ids, unique within one HTML page; NULL = "v" */
};

/*
 * Write chart C as SVG to OUT. 0, or VITALS_E_INVAL (no panel, a width
 * too small) / VITALS_E_NOMEM / VITALS_E_IO with a message in ERR.
 */
int svg_chart_write(const struct svg_chart *c, FILE *out, char *err, size_t errlen);

/*
 * Reduction of one series to COLUMNS pixel columns over [T0, T1]: for each
 * column with samples, the index of its smallest and of its largest value,
 * in time order (one index when they are the same sample). A null value,
 * or two valid samples more than GAP_US apart (GAP_US > 0), ends a run:
 * the index after it is flagged in BREAK_BEFORE so the line is lifted.
 * Samples outside [T0, T1] are left out. A column is split by at most one
 * break (later ones inside it are joined), so at most 4 * COLUMNS indexes
 * are written into IDX (and as many flags into BREAK_BEFORE); returns how
 * many.
 */
size_t svg_reduce(const int64_t *t, const double *v, const uint8_t *valid, size_t n, int64_t t0,
                  int64_t t1, size_t columns, int64_t gap_us, size_t *idx, uint8_t *break_before);

/* A guess of the gap that breaks a line: 5 times the median step of the first samples. */
int64_t svg_guess_gap(const int64_t *t, const uint8_t *valid, size_t n);

/* One tick of the time axis. */
struct svg_tick {
	int64_t t;      /* UTC microseconds */
	char label[24]; /* "14:30", "14:30:05", "Dec 02" in the display zone */
	char date[24];  /* "Wed 2 Dec" under the first tick of each day (empty otherwise) */
};

/*
 * Ticks for the range [T0, T1] (UTC microseconds), at most MAX_TICKS of
 * them and no more than CAP: the smallest round step (0.1 s ... 1 h ...
 * days) that fits, placed at round local times of the process's time zone
 * (every hour at :00, every 6 hours at 0:00, 6:00..., days at local
 * midnight), right across daylight saving changes. Returns the count; *STEP_US
 * gets the step when not NULL.
 */
size_t svg_time_ticks(int64_t t0, int64_t t1, size_t max_ticks, struct svg_tick *out, size_t cap,
                      int64_t *step_us);

/*
 * Round value ticks for [LO, HI] in UNIT (binary steps for bytes): at most
 * MAX_TICKS values written to OUT, the count returned; *LO and *HI are
 * widened to the first and last tick.
 */
size_t svg_value_ticks(double *lo, double *hi, enum svg_unit unit, size_t max_ticks, double *out,
                       size_t cap);

/* V in UNIT as a short label: "1.5 GiB", "42%", "12 MiB/s", "1.5k", "20 ms". */
const char *svg_format_value(char *buf, size_t len, double v, enum svg_unit unit);

/*
 * Write S as XML character data or attribute text: & < > " ' escaped,
 * control characters (tabs and newlines too) written as spaces,
 * malformed UTF-8 bytes as U+FFFD. At most MAX code points (0 = all);
 * a cut text ends with an ellipsis.
 */
void svg_escape(FILE *out, const char *s, size_t max);

#endif
