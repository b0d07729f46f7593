/*
 * Parsers of the system-wide kernel files. See sysparse.h for the
 * contract: pure functions over a NUL-terminated buffer, every number
 * range-checked, absent fields reported absent.
 */
#include "collect/sysparse.h"

#include <string.h>

#include "util/parse.h"

#define LOAD_MAX   1e9  /* a load average beyond this is garbage */
#define UPTIME_MAX 1e12 /* seconds: some 30,000 years */

/* The end of the line starting at P: its '\n' or the terminating NUL. */
static const char *line_end(const char *p)
{
	const char *nl = strchr(p, '\n');

	return nl ? nl : p + strlen(p);
}

/* Whether the line at P starts with KEY followed by a blank. */
static int line_key(const char *p, const char *key)
{
	size_t n = strlen(key);

	return strncmp(p, key, n) == 0 && (p[n] == ' ' || p[n] == '\t');
}

/* One number after KEY on the line at P, into *OUT. */
static int key_u64(const char *p, const char *key, uint64_t *out)
{
	const char *q = p + strlen(key);

	return parse_u64(&q, out);
}

/* Parse the rest of a cpu line (after "cpu" or "cpuN") into CPU. */
static int stat_cpu_fields(const char *p, struct stat_cpu *cpu)
{
	int n = 0;

	if (*p != ' ' && *p != '\t')
		return -1;
	while (n < STAT_STATES && parse_u64(&p, &cpu->t[n]) == 0)
		n++;
	for (int i = n; i < STAT_STATES; i++)
		cpu->t[i] = 0;
	cpu->nstates = n;
	return n >= 4 ? 0 : -1; /* user nice system idle at the least */
}

int stat_parse(const char *buf, struct stat_reading *out)
{
	const char *p = buf;
	int found = 0;

	out->ncpus = 0;
	out->have = 0;
	out->total.id = -1;
	out->total.nstates = 0;
	while (*p) {
		if (strncmp(p, "cpu", 3) == 0) {
			if (p[3] >= '0' && p[3] <= '9') {
				const char *q = p + 3;
				uint64_t id;
				struct stat_cpu cpu;

				if (parse_u64(&q, &id) == 0 && id <= STAT_CPU_ID_MAX &&
				    stat_cpu_fields(q, &cpu) == 0) {
					cpu.id = (int)id;
					if (out->ncpus < out->cpus_cap && out->cpus)
						out->cpus[out->ncpus] = cpu;
					out->ncpus++;
					found = 1;
				}
			} else if (!(out->have & STAT_HAVE_TOTAL) &&
			           stat_cpu_fields(p + 3, &out->total) == 0) {
				out->have |= STAT_HAVE_TOTAL;
				found = 1;
			}
		} else if (line_key(p, "ctxt")) {
			if (key_u64(p, "ctxt", &out->ctxt) == 0)
				out->have |= STAT_HAVE_CTXT;
		} else if (line_key(p, "btime")) {
			if (key_u64(p, "btime", &out->btime) == 0 && out->btime > 0 &&
			    out->btime <= (uint64_t)INT64_MAX / 1000000)
				out->have |= STAT_HAVE_BTIME;
		} else if (line_key(p, "processes")) {
			if (key_u64(p, "processes", &out->processes) == 0)
				out->have |= STAT_HAVE_PROCESSES;
		} else if (line_key(p, "procs_running")) {
			if (key_u64(p, "procs_running", &out->procs_running) == 0)
				out->have |= STAT_HAVE_RUNNING;
		} else if (line_key(p, "procs_blocked")) {
			if (key_u64(p, "procs_blocked", &out->procs_blocked) == 0)
				out->have |= STAT_HAVE_BLOCKED;
		}
		p = next_line(p);
	}
	return found || out->have ? 0 : -1;
}

static const char *const meminfo_keys[MEMINFO_FIELD_COUNT] = {
    [MEMINFO_TOTAL] = "MemTotal",
    [MEMINFO_FREE] = "MemFree",
    [MEMINFO_AVAILABLE] = "MemAvailable",
    [MEMINFO_BUFFERS] = "Buffers",
    [MEMINFO_CACHED] = "Cached",
    [MEMINFO_SRECLAIMABLE] = "SReclaimable",
    [MEMINFO_SHMEM] = "Shmem",
    [MEMINFO_SWAP_TOTAL] = "SwapTotal",
    [MEMINFO_SWAP_FREE] = "SwapFree",
};

int meminfo_parse(const char *buf, struct meminfo_reading *out)
{
	const char *p = buf;

	out->have = 0;
	for (; *p; p = next_line(p)) {
		const char *colon = strchr(p, ':'), *end = line_end(p), *q;
		uint64_t kb;

		if (!colon || colon > end)
			continue;
		for (int i = 0; i < MEMINFO_FIELD_COUNT; i++) {
			size_t n = strlen(meminfo_keys[i]);

			if ((size_t)(colon - p) != n || strncmp(p, meminfo_keys[i], n) != 0)
				continue;
			q = colon + 1;
			/* every field vitals reads is in KiB: anything else is not trusted */
			if (parse_u64(&q, &kb) < 0 || kb > UINT64_MAX / 1024)
				break;
			q = skip_blanks(q);
			if (strncmp(q, "kB", 2) != 0)
				break;
			out->v[i] = kb * 1024;
			out->have |= 1u << i;
			break;
		}
	}
	return out->have ? 0 : -1;
}

static const char *const vmstat_keys[VMSTAT_FIELD_COUNT] = {
    [VMSTAT_PSWPIN] = "pswpin",
    [VMSTAT_PSWPOUT] = "pswpout",
    [VMSTAT_PGFAULT] = "pgfault",
    [VMSTAT_PGMAJFAULT] = "pgmajfault",
};

int vmstat_parse(const char *buf, struct vmstat_reading *out)
{
	const char *p = buf;

	out->have = 0;
	for (; *p; p = next_line(p)) {
		for (int i = 0; i < VMSTAT_FIELD_COUNT; i++) {
			if (!line_key(p, vmstat_keys[i]))
				continue;
			if (key_u64(p, vmstat_keys[i], &out->v[i]) == 0)
				out->have |= 1u << i;
			break;
		}
	}
	return out->have ? 0 : -1;
}

int loadavg_parse(const char *buf, double load[3])
{
	const char *p = buf;
	double v[3];

	for (int i = 0; i < 3; i++)
		if (parse_decimal(&p, &v[i]) < 0 || v[i] < 0 || v[i] > LOAD_MAX)
			return -1;
	for (int i = 0; i < 3; i++)
		load[i] = v[i];
	return 0;
}

int uptime_parse(const char *buf, double *uptime)
{
	const char *p = buf;
	double v;

	if (parse_decimal(&p, &v) < 0 || v < 0 || v > UPTIME_MAX)
		return -1;
	*uptime = v;
	return 0;
}

/* "KEY=<decimal>" at *P, a percentage. */
static int psi_avg(const char **p, const char *key, double *out)
{
	const char *q = skip_blanks(*p);
	size_t n = strlen(key);
	double v;

	if (strncmp(q, key, n) != 0)
		return -1;
	q += n;
	if (*q < '0' || *q > '9' || parse_decimal(&q, &v) < 0 || v < 0 || v > 100)
		return -1;
	*out = v;
	*p = q;
	return 0;
}

/* The fields after "some" or "full": avg10=.. avg60=.. avg300=.. total=.. */
static int psi_fields(const char *p, struct psi_line *l)
{
	const char *q;

	if (psi_avg(&p, "avg10=", &l->avg10) < 0 || psi_avg(&p, "avg60=", &l->avg60) < 0 ||
	    psi_avg(&p, "avg300=", &l->avg300) < 0)
		return -1;
	q = skip_blanks(p);
	if (strncmp(q, "total=", 6) != 0)
		return -1;
	q += 6;
	if (*q < '0' || *q > '9')
		return -1;
	return parse_u64(&q, &l->total);
}

int psi_parse(const char *buf, struct psi_reading *out)
{
	const char *p = buf;

	out->have_some = out->have_full = 0;
	for (; *p; p = next_line(p)) {
		if (line_key(p, "some") && !out->have_some)
			out->have_some = psi_fields(p + 4, &out->some) == 0;
		else if (line_key(p, "full") && !out->have_full)
			out->have_full = psi_fields(p + 4, &out->full) == 0;
	}
	return out->have_some ? 0 : -1;
}

/*
 * The blank-separated field at *P on the current line: *START and *LEN
 * receive it; *P moves past it. -1 at the end of the line.
 */
static int line_field(const char **p, const char **start, size_t *len)
{
	const char *s = skip_blanks(*p), *e = s;

	while (*e && *e != ' ' && *e != '\t' && *e != '\n')
		e++;
	if (e == s)
		return -1;
	*start = s;
	*len = (size_t)(e - s);
	*p = e;
	return 0;
}

static int parse_u32(const char **p, unsigned *out)
{
	const char *q = *p;
	uint64_t v;

	if (parse_u64(&q, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (unsigned)v;
	*p = q;
	return 0;
}

/* Parse the line at LINE (NUL or '\n' ends it) as a diskstats device line. */
static int diskstats_line_parse(const char *p, struct diskstats_line *out)
{
	uint64_t f[11];
	const char *name;
	size_t len;

	if (parse_u32(&p, &out->major) < 0 || parse_u32(&p, &out->minor) < 0 ||
	    line_field(&p, &name, &len) < 0 || len >= DEV_NAME_MAX)
		return -1;
	copy_bounded(out->name, sizeof(out->name), name, len);
	for (int i = 0; i < 11; i++) {
		if (*p != ' ' && *p != '\t')
			return -1;
		if (parse_u64(&p, &f[i]) < 0)
			return -1;
	}
	out->reads = f[0];
	out->read_sectors = f[2];
	out->read_ms = f[3];
	out->writes = f[4];
	out->write_sectors = f[6];
	out->write_ms = f[7];
	out->in_flight = f[8];
	out->io_ms = f[9];
	return 0;
}

int diskstats_next(const char **p, struct diskstats_line *out)
{
	const char *line = *p;

	if (!*line)
		return -1;
	*p = next_line(line);
	return diskstats_line_parse(line, out) == 0 ? 1 : 0;
}

static int netdev_line_parse(const char *p, struct netdev_line *out)
{
	const char *end = line_end(p), *colon, *s;
	uint64_t f[16];
	int n = 0;

	s = skip_blanks(p);
	colon = memchr(s, ':', (size_t)(end - s));
	if (!colon || colon == s || (size_t)(colon - s) >= DEV_NAME_MAX)
		return -1;
	for (const char *q = s; q < colon; q++)
		if (*q == ' ' || *q == '\t' || *q == '/')
			return -1;
	copy_bounded(out->name, sizeof(out->name), s, (size_t)(colon - s));
	p = colon + 1;
	while (n < 16 && parse_u64(&p, &f[n]) == 0)
		n++;
	if (n < 12) /* up to tx drop */
		return -1;
	out->rx_bytes = f[0];
	out->rx_packets = f[1];
	out->rx_errors = f[2];
	out->rx_drops = f[3];
	out->tx_bytes = f[8];
	out->tx_packets = f[9];
	out->tx_errors = f[10];
	out->tx_drops = f[11];
	return 0;
}

int netdev_next(const char **p, struct netdev_line *out)
{
	const char *line = *p;

	if (!*line)
		return -1;
	*p = next_line(line);
	return netdev_line_parse(line, out) == 0 ? 1 : 0;
}

static int is_octal(char ch)
{
	return ch >= '0' && ch <= '7';
}

int mount_unescape(char *dst, size_t cap, const char *src, size_t len)
{
	size_t o = 0;

	if (cap == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char ch = src[i];

		if (ch == '\\' && i + 3 < len && src[i + 1] >= '0' && src[i + 1] <= '3' &&
		    is_octal(src[i + 2]) && is_octal(src[i + 3])) {
			int v =
			    (src[i + 1] - '0') * 64 + (src[i + 2] - '0') * 8 + (src[i + 3] - '0');

			if (v != 0) {
				ch = (char)v;
				i += 3;
			}
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = ch;
	}
	dst[o] = '\0';
	return (int)o;
}

static int mountinfo_line_parse(const char *p, struct mountinfo_line *out)
{
	const char *f;
	size_t len;
	unsigned id, parent;

	if (parse_u32(&p, &id) < 0 || parse_u32(&p, &parent) < 0 ||
	    parse_u32(&p, &out->major) < 0 || *p != ':')
		return -1;
	p++;
	if (parse_u32(&p, &out->minor) < 0)
		return -1;
	if (line_field(&p, &f, &len) < 0) /* root of the mount within its filesystem */
		return -1;
	if (line_field(&p, &f, &len) < 0 ||
	    mount_unescape(out->mount_point, sizeof(out->mount_point), f, len) < 0 ||
	    out->mount_point[0] != '/')
		return -1;
	if (line_field(&p, &f, &len) < 0) /* mount options */
		return -1;
	do { /* optional fields, up to the "-" separator */
		if (line_field(&p, &f, &len) < 0)
			return -1;
	} while (!(len == 1 && f[0] == '-'));
	if (line_field(&p, &f, &len) < 0 || len >= sizeof(out->fstype))
		return -1;
	copy_bounded(out->fstype, sizeof(out->fstype), f, len);
	if (line_field(&p, &f, &len) < 0) {
		copy_bounded(out->source, sizeof(out->source), "none", 4);
		return 0;
	}
	return mount_unescape(out->source, sizeof(out->source), f, len) < 0 ? -1 : 0;
}

int mountinfo_next(const char **p, struct mountinfo_line *out)
{
	const char *line = *p;

	if (!*line)
		return -1;
	*p = next_line(line);
	return mountinfo_line_parse(line, out) == 0 ? 1 : 0;
}

int filesystems_nodev(const char *buf, const char *fstype)
{
	const char *dot = strchr(fstype, '.');
	size_t want = dot ? (size_t)(dot - fstype) : strlen(fstype);
	const char *p = buf;

	if (want == 0)
		return -1;
	for (; *p; p = next_line(p)) {
		const char *q = p, *name;
		size_t len;
		int nodev = 0;

		if (strncmp(q, "nodev", 5) == 0 && (q[5] == ' ' || q[5] == '\t')) {
			nodev = 1;
			q += 5;
		}
		if (line_field(&q, &name, &len) < 0)
			continue;
		if (len == want && strncmp(name, fstype, want) == 0)
			return nodev;
	}
	return -1;
}
