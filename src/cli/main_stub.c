#include <stdio.h>
#include <vitals/vitals.h>
int main(void)
{
	struct vitals_collector *c;
	char err[256] = "";
	if (vitals_collector_new(&c, NULL, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	vitals_collector_sample(c);
	vitals_collector_free(c);
	return 0;
}
