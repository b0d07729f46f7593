/* The process source (being written). */
#include <stdio.h>
#include "collect/internal.h"

static int process_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	(void)c;
	*state = NULL;
	snprintf(reason, len, "not implemented");
	return VITALS_E_UNSUPPORTED;
}

static int process_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	(void)c;
	(void)state;
	(void)reason;
	(void)len;
	return VITALS_OK;
}

const struct source_ops source_process = {"process", VITALS_KIND_PROCESS, process_init,
					  process_sample, NULL};

const struct vitals_entity *process_find(const void *state, pid_t pid)
{
	(void)state;
	(void)pid;
	return NULL;
}
