/*
 * The gnuplot export of `vitals plot --gnuplot DIR`: the chart's data as a
 * .dat file and a .plt script that draws the same panels, units and event
 * markers with gnuplot, so a chart can be restyled or redrawn where vitals
 * is not installed (the seeds' process logger worked this way).
 */
#ifndef VITALS_ANALYZE_GNUPLOT_H
#define VITALS_ANALYZE_GNUPLOT_H

#include <stddef.h>

#include "analyze/svg.h"

/*
 * Write DIR/NAME.dat and DIR/NAME.plt for chart C. The data file holds one
 * block per line (gnuplot's `index`), each sample as the display zone's
 * local time in seconds since the epoch and the value; a missing value is
 * a blank line, so the line breaks there. Run in DIR, the script writes
 * NAME.svg. 0, or a status with a message naming the file in ERR.
 */
int gnuplot_write(const struct svg_chart *c, const char *dir, const char *name, char *err,
                  size_t errlen);

#endif
