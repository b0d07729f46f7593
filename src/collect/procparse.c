/*
 * Parsers of /proc/PID/stat, statm, io, status and cmdline.
 */
#include "collect/procparse.h"

#include <string.h>

#include "util/parse.h"

/* Skip N blank-separated fields. */
static const char *skip_fields(const char *p, int n)
{
	while (n-- > 0 && *p)
		p = skip_field(p);
	return p;
}

int procstat_parse(const char *buf, struct procstat *out)
{
	const char *p = buf, *open, *close;
	size_t n;
	uint64_t u;

	memset(out, 0, sizeof(*out));
	if (parse_i64(&p, &out->pid) < 0 || out->pid <= 0)
		return -1;
	open = strchr(p, '(');
	close = strrchr(p, ')'); /* the name may itself hold ')' and spaces */
	if (!open || !close || close < open)
		return -1;
	n = (size_t)(close - open - 1);
	copy_bounded(out->comm, sizeof(out->comm), open + 1, n);
	p = skip_blanks(close + 1);
	if (!*p || *p == '\n')
		return -1;
	out->state = *p++;
	/* fields 4.. after the state: ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss
	 */
	if (parse_i64(&p, &out->ppid) < 0)
		return -1;
	p = skip_fields(p, 4);
	if (parse_u64(&p, &out->flags) < 0 || parse_u64(&p, &out->minflt) < 0)
		return -1;
	p = skip_fields(p, 1);
	if (parse_u64(&p, &out->majflt) < 0)
		return -1;
	p = skip_fields(p, 1);
	if (parse_u64(&p, &out->utime) < 0 || parse_u64(&p, &out->stime) < 0 ||
	    parse_i64(&p, &out->cutime) < 0 || parse_i64(&p, &out->cstime) < 0)
		return -1;
	p = skip_fields(p, 1);
	if (parse_i64(&p, &out->nice) < 0 || parse_i64(&p, &out->threads) < 0)
		return -1;
	p = skip_fields(p, 1);
	if (parse_u64(&p, &out->starttime) < 0 || parse_u64(&p, &u) < 0 ||
	    parse_i64(&p, &out->rss) < 0)
		return -1;
	out->vsize = u;
	if (out->nice < -20 || out->nice > 19 || out->threads < 0 || out->rss < 0 ||
	    out->cutime < 0 || out->cstime < 0 || out->ppid < 0)
		return -1;
	return 0;
}

int procstatm_parse(const char *buf, struct procstatm *out)
{
	const char *p = buf;

	if (parse_u64(&p, &out->size) < 0 || parse_u64(&p, &out->resident) < 0 ||
	    parse_u64(&p, &out->shared) < 0)
		return -1;
	return 0;
}

int procio_parse(const char *buf, struct procio *out)
{
	const char *v;

	memset(out, 0, sizeof(*out));
	v = find_key(buf, "read_bytes:");
	if (v && parse_u64(&v, &out->read_bytes) == 0)
		out->have |= PROCIO_HAVE_READ;
	v = find_key(buf, "write_bytes:");
	if (v && parse_u64(&v, &out->write_bytes) == 0)
		out->have |= PROCIO_HAVE_WRITE;
	v = find_key(buf, "cancelled_write_bytes:");
	if (v && parse_u64(&v, &out->cancelled_write_bytes) == 0)
		out->have |= PROCIO_HAVE_CANCELLED;
	return out->have ? 0 : -1;
}

int procstatus_swap(const char *buf, uint64_t *swap_kb)
{
	const char *v = find_key(buf, "VmSwap:");

	if (!v || parse_u64(&v, swap_kb) < 0)
		return -1;
	return 0;
}

size_t cmdline_clean(char *buf, size_t len)
{
	while (len > 0 && (buf[len - 1] == '\0' || buf[len - 1] == ' '))
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\0' || ch == '\n' || ch == '\t')
			buf[i] = ' ';
		else if (ch < 0x20 || ch == 0x7f)
			buf[i] = '?';
	}
	buf[len] = '\0';
	return len;
}
