/*
 * The system source: uptime and load averages, read every sample through
 * descriptors that stay open, and the boot id, read once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "collect/sysparse.h"

#define SYSTEM_BUF 256

struct system_state {
	int uptime_fd;
	int loadavg_fd;
	char buf[SYSTEM_BUF];
};

static void system_release(void *state)
{
	struct system_state *s = state;

	if (!s)
		return;
	close_fd(s->uptime_fd);
	close_fd(s->loadavg_fd);
	free(s);
}

/* The boot id, a UUID: kept only when it looks like one. */
static void system_read_boot_id(struct vitals_collector *c)
{
	char buf[sizeof(c->boot_id)];
	ssize_t n = read_small_at(c->proc_fd, "sys/kernel/random/boot_id", buf, sizeof(buf));
	size_t len = 0;

	c->boot_id[0] = '\0';
	if (n <= 0)
		return;
	while (len < (size_t)n && buf[len] != '\n')
		len++;
	if (len == 0 || len >= sizeof(c->boot_id))
		return;
	for (size_t i = 0; i < len; i++) {
		char ch = buf[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F') || ch == '-'))
			return;
	}
	memcpy(c->boot_id, buf, len);
	c->boot_id[len] = '\0';
}

static int system_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct system_state *s;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	s->uptime_fd = open_at(c->proc_fd, "uptime", 0);
	s->loadavg_fd = open_at(c->proc_fd, "loadavg", 0);
	if (s->uptime_fd < 0 && s->loadavg_fd < 0) {
		snprintf(reason, len, "cannot open %s/uptime nor %s/loadavg: %s", c->proc_root,
		         c->proc_root, strerror(errno));
		status = VITALS_E_UNSUPPORTED;
		goto out_free;
	}
	system_read_boot_id(c);
	*state = s;
	return VITALS_OK;

out_free:
	system_release(s);
out:
	return status;
}

static int system_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct system_state *s = state;
	double up, load[3];
	int status = VITALS_OK;

	if (s->uptime_fd >= 0 && fd_pread_buf(s->uptime_fd, s->buf, sizeof(s->buf)) >= 0 &&
	    uptime_parse(s->buf, &up) == 0)
		entity_set(&c->system, VITALS_SYS_UPTIME, up);
	else
		status = VITALS_E_PARSE;
	if (s->loadavg_fd >= 0 && fd_pread_buf(s->loadavg_fd, s->buf, sizeof(s->buf)) >= 0 &&
	    loadavg_parse(s->buf, load) == 0) {
		entity_set(&c->system, VITALS_SYS_LOAD1, load[0]);
		entity_set(&c->system, VITALS_SYS_LOAD5, load[1]);
		entity_set(&c->system, VITALS_SYS_LOAD15, load[2]);
	} else {
		status = VITALS_E_PARSE;
	}
	if (status != VITALS_OK)
		snprintf(reason, len, "cannot read uptime or load average from %s", c->proc_root);
	return status;
}

const struct source_ops source_system = {"system", VITALS_KIND_SYSTEM, system_init, system_sample,
                                         system_release};
