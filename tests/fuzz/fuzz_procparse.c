/*
 * Fuzz the parsers of the files under /proc/PID. The first byte picks the parser;
 * the rest is the file's content.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collect/procparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct procstat st;
	struct procstatm sm;
	struct procio io;
	uint64_t kb;
	char *buf;

	if (size < 1 || size > 1 << 20)
		return 0;
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
		if (procstat_parse(buf, &st) == 0 && strlen(st.comm) >= sizeof(st.comm))
			abort();
		break;
	case 1:
		procstatm_parse(buf, &sm);
		break;
	case 2:
		procio_parse(buf, &io);
		break;
	case 3:
		procstatus_swap(buf, &kb);
		break;
	case 4:
		/* cmdline keeps NULs inside: use the raw length */
		if (cmdline_clean(buf, size - 1) > size - 1)
			abort();
		break;
	}
	free(buf);
	return 0;
}
