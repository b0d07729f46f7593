/*
 * Fuzz the chart renderer with what a trace can hand it: names and event
 * texts of any bytes, values that are NaN, infinite or huge, times at the
 * ends of the range, ranges of any width. The SVG must be written without
 * a crash, and every text must come out escaped: the output holds no '<'
 * or '&' that does not start a tag or an entity.
 *
 * Input: three NUL-terminated texts (a panel title, a line label, an
 * event text), then records of 13 bytes: a 4-byte step of time in
 * milliseconds (times only grow), an 8-byte value and a validity byte.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/svg.h"

#define POINTS_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *take_text(const uint8_t *p, const uint8_t *end, char *out, size_t cap)
{
	size_t n = 0;

	while (p < end && *p && n + 1 < cap)
		out[n++] = (char)*p++;
	out[n] = '\0';
	while (p < end && *p)
		p++;
	return p < end ? p + 1 : p;
}

/* Whether every '<' starts a tag and every '&' an entity. */
static int escaped_well(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '<' && !(i + 1 < len && (s[i + 1] == '/' || s[i + 1] == '?' ||
		                                     (s[i + 1] >= 'a' && s[i + 1] <= 'z'))))
			return 0;
		if (s[i] == '&') {
			size_t j = i + 1;

			while (j < len && j < i + 8 && s[j] != ';' &&
			       ((s[j] >= 'a' && s[j] <= 'z') || s[j] == '#' ||
			        (s[j] >= '0' && s[j] <= '9')))
				j++;
			if (j >= len || s[j] != ';' || j == i + 1)
				return 0;
		}
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t t[POINTS_MAX];
	static double v[POINTS_MAX];
	static uint8_t ok[POINTS_MAX];
	const uint8_t *p = data, *end = data + size;
	char title[256], label[256], text[256], err[256];
	struct svg_line line;
	struct svg_panel panel;
	struct svg_event ev;
	struct svg_chart c;
	struct svg_tick ticks[64];
	double vt[16], lo, hi;
	int64_t now = 1795305600LL * 1000000;
	size_t n = 0, len = 0;
	char *out = NULL;
	FILE *f;

	p = take_text(p, end, title, sizeof(title));
	p = take_text(p, end, label, sizeof(label));
	p = take_text(p, end, text, sizeof(text));
	while (end - p >= 13 && n < POINTS_MAX) {
		uint32_t step;

		memcpy(&step, p, 4);
		memcpy(&v[n], p + 4, 8);
		now += (int64_t)step * 1000;
		t[n] = now;
		ok[n] = p[12] & 1;
		p += 13;
		n++;
	}
	line = (struct svg_line){label, t, v, ok, n};
	panel = (struct svg_panel){title, (enum svg_unit)(size % 5), &line, 1, size % 3};
	ev = (struct svg_event){n ? t[n / 2] : now, text};
	memset(&c, 0, sizeof(c));
	c.title = title;
	c.subtitle = text;
	c.panels = &panel;
	c.npanels = 1;
	c.events = &ev;
	c.nevents = 1;
	c.standalone = 1;
	f = open_memstream(&out, &len);
	if (!f)
		return 0;
	if (svg_chart_write(&c, f, err, sizeof(err)) != 0)
		abort();
	fclose(f);
	if (!escaped_well(out, len))
		abort();
	free(out);

	/* The tick makers on their own, with whatever the values and times are. */
	if (n >= 2) {
		lo = v[0];
		hi = v[1];
		svg_value_ticks(&lo, &hi, (enum svg_unit)(size % 5), 6, vt, 16);
		svg_time_ticks(t[0], t[n - 1], 2 + size % 20, ticks, 64, NULL);
		svg_time_ticks(INT64_MIN / 2, INT64_MAX / 2, 10, ticks, 64, NULL);
	}
	return 0;
}
