/* busy: print "ready", then spin on one core until killed. */
#include "common.h"

int main(int argc, char **argv)
{
	volatile unsigned long spins = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: busy\n");
		return 2;
	}
	if (helper_follow_parent(getppid()) != 0) {
		perror("busy: prctl");
		return 1;
	}
	helper_ready();
	for (;;)
		spins++;
	return 0;
}
