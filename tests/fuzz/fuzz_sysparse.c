/*
 * Fuzz the parsers of the system-wide kernel files. The first byte picks
 * the parser; the rest is the file's content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/sysparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every mount line parsed must hold NUL-terminated, in-bounds strings. */
static void fuzz_mountinfo(const char *buf)
{
	struct mountinfo_line *l = malloc(sizeof(*l));
	const char *p = buf;
	int r;

	if (!l)
		return;
	while ((r = mountinfo_next(&p, l)) >= 0)
		if (r == 1 && (strlen(l->mount_point) >= sizeof(l->mount_point) ||
		               strlen(l->source) >= sizeof(l->source) ||
		               strlen(l->fstype) >= sizeof(l->fstype)))
			abort();
	free(l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stat_cpu cpus[4];
	struct stat_reading st = {.cpus = cpus, .cpus_cap = 4};
	struct meminfo_reading mi;
	struct vmstat_reading vm;
	struct psi_reading psi;
	struct diskstats_line dl;
	struct netdev_line nl;
	double load[3], up;
	char small[16];
	const char *p;
	char *buf;
	int r;

	if (size < 1 || size > 1 << 20)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	p = buf;
	switch (data[0] % 11) {
	case 0:
		if (stat_parse(buf, &st) == 0)
			for (size_t i = 0; i < st.ncpus && i < st.cpus_cap; i++)
				if (cpus[i].id < 0 || cpus[i].id > STAT_CPU_ID_MAX ||
				    cpus[i].nstates < 4)
					abort();
		break;
	case 1:
		meminfo_parse(buf, &mi);
		break;
	case 2:
		vmstat_parse(buf, &vm);
		break;
	case 3:
		if (loadavg_parse(buf, load) == 0 && (load[0] < 0 || load[2] < 0))
			abort();
		break;
	case 4:
		if (uptime_parse(buf, &up) == 0 && up < 0)
			abort();
		break;
	case 5:
		if (psi_parse(buf, &psi) == 0 && (psi.some.avg10 < 0 || psi.some.avg10 > 100))
			abort();
		break;
	case 6:
		while ((r = diskstats_next(&p, &dl)) >= 0)
			if (r == 1 && strlen(dl.name) >= sizeof(dl.name))
				abort();
		break;
	case 7:
		while ((r = netdev_next(&p, &nl)) >= 0)
			if (r == 1 && strlen(nl.name) >= sizeof(nl.name))
				abort();
		break;
	case 8:
		fuzz_mountinfo(buf);
		break;
	case 9:
		filesystems_nodev(buf, "ext4");
		filesystems_nodev(buf, "fuse.sshfs");
		break;
	case 10:
		if (mount_unescape(small, sizeof(small), buf, size - 1) >= (int)sizeof(small))
			abort();
		break;
	}
	free(buf);
	return 0;
}
