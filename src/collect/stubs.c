/* Temporary: sources not written yet report themselves absent. */
#include <stdio.h>
#include "collect/internal.h"

static int stub_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	(void)c;
	*state = NULL;
	snprintf(reason, len, "not implemented");
	return VITALS_E_UNSUPPORTED;
}

static int stub_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	(void)c;
	(void)state;
	(void)reason;
	(void)len;
	return VITALS_OK;
}

#define STUB(n, k) const struct source_ops source_##n = {#n, k, stub_init, stub_sample, NULL}
STUB(system, VITALS_KIND_SYSTEM);
STUB(stat, VITALS_KIND_CPU);
STUB(memory, VITALS_KIND_SYSTEM);
STUB(psi, VITALS_KIND_PSI);
STUB(disk, VITALS_KIND_DISK);
STUB(net, VITALS_KIND_NET);
STUB(fs, VITALS_KIND_FS);
