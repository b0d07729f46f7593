/*
 * The network source against hand-made /proc/net/dev files: counters and
 * rates, interfaces coming and going, counters going backwards, garbage.
 */
#include "systest.h"

#include <stdlib.h>

#include "collect/sysparse.h"

#define SRC VITALS_SOURCE(VITALS_KIND_NET)

#define HEADER                                                                                     \
	"Inter-|   Receive                                                |  Transmit\n"           \
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs " \
	"drop fifo colls carrier compressed\n"

struct iface {
	const char *name;
	unsigned long rxb, rxp, rxe, rxd, txb, txp, txe, txd;
};

static void write_net(const char *root, const struct iface *f, size_t n)
{
	char text[8192] = HEADER, line[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line),
		         "%6s: %lu %lu %lu %lu 0 0 0 0 %lu %lu %lu %lu 0 0 0 0\n", f[i].name,
		         f[i].rxb, f[i].rxp, f[i].rxe, f[i].rxd, f[i].txb, f[i].txp, f[i].txe,
		         f[i].txd);
		strcat(text, line);
	}
	tu_write(root, "net/dev", text);
}

static void test_parse(void **state)
{
	struct netdev_line l;
	const char *p = HEADER "    lo:    3267      29    0    0    0     0          0         0 "
	                       "    3268      30    1    2    0     0       0          0\n"
	                       "eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	                       "bad name: 1 2 3 4 5 6 7 8 9 10 11 12\n"
	                       "short: 1 2 3\n";

	(void)state;
	assert_int_equal(netdev_next(&p, &l), 0);
	assert_int_equal(netdev_next(&p, &l), 0);
	assert_int_equal(netdev_next(&p, &l), 1);
	assert_string_equal(l.name, "lo");
	assert_int_equal(l.rx_bytes, 3267);
	assert_int_equal(l.rx_packets, 29);
	assert_int_equal(l.tx_bytes, 3268);
	assert_int_equal(l.tx_packets, 30);
	assert_int_equal(l.tx_errors, 1);
	assert_int_equal(l.tx_drops, 2);
	assert_int_equal(netdev_next(&p, &l), 1); /* old kernels: no blank after the colon */
	assert_string_equal(l.name, "eth0");
	assert_int_equal(l.rx_bytes, 1);
	assert_int_equal(l.tx_drops, 12);
	assert_int_equal(netdev_next(&p, &l), 0);
	assert_int_equal(netdev_next(&p, &l), 0);
	assert_int_equal(netdev_next(&p, &l), -1);
}

static void test_rates_and_hotplug(void **state)
{
	char *root = tu_tmpdir();
	struct iface f[] = {
	    {"lo", 1000, 10, 0, 0, 1000, 10, 0, 0},
	    {"eth0", 50000, 100, 1, 2, 20000, 80, 3, 4},
	    {"wg0", 5, 1, 0, 0, 5, 1, 0, 0},
	};
	struct vitals_collector *c;
	const struct vitals_entity *e;

	(void)state;
	write_net(root, f, 2);
	c = st_open(root, NULL, SRC, 0);
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_NET), 2);
	e = st_get(c, VITALS_KIND_NET, "eth0");
	assert_string_equal(vitals_entity_name(e), "eth0");
	st_eq(e, VITALS_NET_RX_BYTES, 50000);
	st_eq(e, VITALS_NET_TX_BYTES, 20000);
	st_eq(e, VITALS_NET_RX_ERRORS, 1);
	st_eq(e, VITALS_NET_RX_DROPS, 2);
	st_eq(e, VITALS_NET_TX_ERRORS, 3);
	st_eq(e, VITALS_NET_TX_DROPS, 4);
	st_missing(e, VITALS_NET_RX_BYTES_RATE);
	st_missing(e, VITALS_NET_TX_DROPS_RATE);

	f[1].rxb += 3000, f[1].rxp += 3, f[1].txb += 1500, f[1].txp += 2, f[1].rxe += 1,
	    f[1].txd += 5;
	write_net(root, f, 3); /* wg0 comes up */
	st_pause();
	st_sample(c);
	assert_int_equal(vitals_collector_count(c, VITALS_KIND_NET), 3);
	e = st_get(c, VITALS_KIND_NET, "eth0");
	st_rate(c, e, VITALS_NET_RX_BYTES_RATE, 3000);
	st_rate(c, e, VITALS_NET_TX_BYTES_RATE, 1500);
	st_rate(c, e, VITALS_NET_RX_PACKETS_RATE, 3);
	st_rate(c, e, VITALS_NET_TX_PACKETS_RATE, 2);
	st_rate(c, e, VITALS_NET_RX_ERRORS_RATE, 1);
	st_rate(c, e, VITALS_NET_TX_ERRORS_RATE, 0);
	st_rate(c, e, VITALS_NET_RX_DROPS_RATE, 0);
	st_rate(c, e, VITALS_NET_TX_DROPS_RATE, 5);
	st_missing(st_get(c, VITALS_KIND_NET, "wg0"), VITALS_NET_RX_BYTES_RATE);

	f[1].rxb = 10;         /* counters reset (driver reload) */
	write_net(root, f, 2); /* wg0 goes away */
	st_pause();
	st_sample(c);
	assert_null(st_find(c, VITALS_KIND_NET, "wg0"));
	e = st_get(c, VITALS_KIND_NET, "eth0");
	st_missing(e, VITALS_NET_RX_BYTES_RATE);
	st_eq(e, VITALS_NET_RX_BYTES, 10);
	st_rate(c, e, VITALS_NET_TX_BYTES_RATE, 0);
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

static void test_garbage(void **state)
{
	static const char *const junk[] = {
	    "",
	    HEADER,
	    "eth0\n",
	    "eth0: 1 2 3\n",
	    ": 1 2 3 4 5 6 7 8 9 10 11 12\n",
	    "eth0: 1 2 3 4 5 6 7 8 9 10 11 99999999999999999999999\n",
	};
	char *root = tu_tmpdir();
	struct vitals_collector *c;

	(void)state;
	tu_write(root, "net/dev", HEADER);
	c = st_open(root, NULL, SRC, 0);
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		tu_write(root, "net/dev", junk[i]);
		st_sample(c);
		assert_int_equal(vitals_collector_count(c, VITALS_KIND_NET), 0);
	}
	vitals_collector_free(c);
	tu_rmrf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_rates_and_hotplug),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
