/*
 * alloc MIB: allocate MIB mebibytes, write to every page so that all of it
 * is resident, print "ready" and sleep until killed.
 */
#include <stdint.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv)
{
	long mib;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	size_t len;

	if (argc != 2 || (mib = helper_count(argv[1], 1L << 20)) < 0) {
		fprintf(stderr, "usage: alloc MIB\n");
		return 2;
	}
	if (helper_follow_parent(getppid()) != 0) {
		perror("alloc: prctl");
		return 1;
	}
	len = (size_t)mib << 20;
	p = malloc(len ? len : 1);
	if (!p) {
		perror("alloc: malloc");
		return 1;
	}
	/* Distinct non-zero bytes: no page may stay mapped to the shared zero page. */
	for (size_t i = 0; i < len; i += (size_t)(page > 0 ? page : 4096))
		p[i] = (unsigned char)(i / 4096 % 251 + 1);
	helper_ready();
	helper_wait_forever();
	free(p);
	return 0;
}
