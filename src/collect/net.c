/*
 * The network source: /proc/net/dev, held open. Bytes, packets, errors and
 * drops per interface, as counters and per second. Interfaces come and go;
 * each keeps its previous counters in a table keyed by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/devtable.h"
#include "collect/internal.h"
#include "collect/sysparse.h"

#define NETDEV_BUF_INITIAL (8 * 1024)
#define NETDEV_BUF_MAX     (8 * 1024 * 1024)
#define NET_MAX            65536 /* interfaces tracked at once */

struct iface {
	struct devhead h; /* first: the name */
	struct vitals_entity e;
	struct netdev_line prev;
};

struct net_state {
	int fd;
	struct vbuf buf;
	struct devtable ifaces;
};

static void net_release(void *state)
{
	struct net_state *s = state;

	if (!s)
		return;
	close_fd(s->fd);
	vbuf_release(&s->buf);
	devtable_release(&s->ifaces);
	free(s);
}

static int net_init(struct vitals_collector *c, void **state, char *reason, size_t len)
{
	struct net_state *s;
	int status = VITALS_E_NOMEM;

	*state = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		goto out;
	devtable_init(&s->ifaces, sizeof(struct iface), NET_MAX);
	s->fd = -1;
	if (vbuf_init(&s->buf, NETDEV_BUF_INITIAL, NETDEV_BUF_MAX) < 0)
		goto out_release;
	s->fd = open_at(c->proc_fd, "net/dev", 0);
	if (s->fd < 0) {
		snprintf(reason, len, "cannot open %s/net/dev: %s", c->proc_root, strerror(errno));
		status = VITALS_E_UNSUPPORTED;
		goto out_release;
	}
	*state = s;
	return VITALS_OK;

out_release:
	net_release(s);
out:
	return status;
}

static void net_fill(struct vitals_collector *c, struct iface *f, const struct netdev_line *l,
                     int have_prev)
{
	struct vitals_entity *e = &f->e;
	const struct netdev_line *p = &f->prev;
	double dt = c->dt;

	entity_clear(e);
	entity_set(e, VITALS_NET_RX_BYTES, (double)l->rx_bytes);
	entity_set(e, VITALS_NET_TX_BYTES, (double)l->tx_bytes);
	entity_set(e, VITALS_NET_RX_ERRORS, (double)l->rx_errors);
	entity_set(e, VITALS_NET_TX_ERRORS, (double)l->tx_errors);
	entity_set(e, VITALS_NET_RX_DROPS, (double)l->rx_drops);
	entity_set(e, VITALS_NET_TX_DROPS, (double)l->tx_drops);
	entity_rate(e, VITALS_NET_RX_BYTES_RATE, have_prev, p->rx_bytes, l->rx_bytes, dt, 1);
	entity_rate(e, VITALS_NET_TX_BYTES_RATE, have_prev, p->tx_bytes, l->tx_bytes, dt, 1);
	entity_rate(e, VITALS_NET_RX_PACKETS_RATE, have_prev, p->rx_packets, l->rx_packets, dt, 1);
	entity_rate(e, VITALS_NET_TX_PACKETS_RATE, have_prev, p->tx_packets, l->tx_packets, dt, 1);
	entity_rate(e, VITALS_NET_RX_ERRORS_RATE, have_prev, p->rx_errors, l->rx_errors, dt, 1);
	entity_rate(e, VITALS_NET_TX_ERRORS_RATE, have_prev, p->tx_errors, l->tx_errors, dt, 1);
	entity_rate(e, VITALS_NET_RX_DROPS_RATE, have_prev, p->rx_drops, l->rx_drops, dt, 1);
	entity_rate(e, VITALS_NET_TX_DROPS_RATE, have_prev, p->tx_drops, l->tx_drops, dt, 1);
	f->prev = *l;
}

static int net_sample(struct vitals_collector *c, void *state, char *reason, size_t len)
{
	struct net_state *s = state;
	struct netdev_line l;
	const char *p;
	int err, r, status = VITALS_OK;

	devtable_begin(&s->ifaces);
	err = fd_pread_all(s->fd, &s->buf);
	if (err < 0 && err != -E2BIG) {
		snprintf(reason, len, "cannot read %s/net/dev: %s", c->proc_root, strerror(-err));
		return VITALS_E_IO;
	}
	p = s->buf.data;
	while ((r = netdev_next(&p, &l)) >= 0) {
		struct iface *f;
		int continued;

		if (r == 0)
			continue;
		f = devtable_get(&s->ifaces, l.name, &continued);
		if (!f)
			continue;
		if (!continued) {
			f->e.kind = VITALS_KIND_NET;
			f->e.in_scope = 1;
			f->e.id = f->h.name;
			f->e.name = f->h.name;
		}
		net_fill(c, f, &l, continued);
		status = collector_publish(c, VITALS_KIND_NET, &f->e);
		if (status < 0)
			break;
	}
	return status;
}

const struct source_ops source_net = {"net", VITALS_KIND_NET, net_init, net_sample, net_release};
