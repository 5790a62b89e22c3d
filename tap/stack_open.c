/*
 * stack_open.c - the public calls that make and end a stack (tapstack.h,
 * "Making stacks"), so that a program built against the installed header
 * alone can run one: on a TAP (ts_open_tap: tap.c, as `tapstack serve`
 * opens it) or as a pair joined by the in-memory wire on a virtual clock
 * (ts_open_pair: wire.c, driven as tests/lib/twostack.c's blocking mode
 * does).  Here because it joins the stack to its links: tap/ sees both.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"
#include "pcap_tee.h"
#include "stack.h"
#include "tap.h"
#include "tapstack.h"
#include "trace.h"
#include "wire.h"

struct ts_pair;

/* What ts_open_* hand out: the stack first, so a struct stack * is one. */
struct ts_handle {
	struct stack st;
	struct netdev *dev;   /* the link, outermost wrapper (destroyed after the stack) */
	struct ts_pair *pair; /* the pair it belongs to, or NULL */
};

/* Two stacks on one wire and one virtual clock. */
struct ts_pair {
	struct ts_handle *h[2];
	uint64_t now_us;
	unsigned spins; /* hook rounds in a row that handled frames at one instant */
	int open;	/* stacks not yet closed */
};

#define PAIR_START_US  1000000u /* the virtual clock starts at 1 s */
#define PAIR_MAX_SPINS 1000000u /* rounds at one instant before a livelock is declared */

static bool parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix)
{
	char a[INET_ADDRSTRLEN], tail;
	unsigned len;
	struct in_addr in;
	if (sscanf(s, "%15[0-9.]/%u%c", a, &len, &tail) != 2 || len < 1 || len > 32 ||
	    inet_pton(AF_INET, a, &in) != 1)
		return false;
	*addr = ntohl(in.s_addr);
	*prefix = (uint8_t)len;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		mac[i] = (uint8_t)v[i];
	}
	return (mac[0] & 1) == 0 && memcmp(mac, "\0\0\0\0\0\0", 6) != 0;
}

/*
 * cfg (may be NULL) over the defaults ip/mac into out; false with the bad
 * field in err.
 */
static bool make_config(const struct ts_stack_config *cfg, const char *ip, const char *mac,
			struct ts_config *out, char *err, size_t errlen)
{
	ts_config_default(out);
	const char *want_ip = cfg && cfg->ip ? cfg->ip : ip;
	const char *want_mac = cfg && cfg->mac ? cfg->mac : mac;
	if (!parse_cidr(want_ip, &out->ip, &out->prefix_len)) {
		snprintf(err, errlen, "bad ip '%s': expected ADDR/LEN like 10.0.0.2/24", want_ip);
		return false;
	}
	if (!parse_mac(want_mac, out->mac)) {
		snprintf(err, errlen, "bad mac '%s': expected a unicast MAC like 02:00:00:00:00:02",
			 want_mac);
		return false;
	}
	if (cfg && cfg->gw) {
		struct in_addr in;
		if (inet_pton(AF_INET, cfg->gw, &in) != 1) {
			snprintf(err, errlen, "bad gw '%s': expected an IPv4 address", cfg->gw);
			return false;
		}
		out->gw = ntohl(in.s_addr);
	}
	if (cfg && cfg->mtu) {
		if (cfg->mtu < 576 || cfg->mtu > 9000) {
			snprintf(err, errlen, "bad mtu %u: expected 576 to 9000", cfg->mtu);
			return false;
		}
		out->mtu = cfg->mtu;
	}
	if (cfg && cfg->trace && !stack_trace_parse(cfg->trace, &out->trace)) {
		snprintf(err, errlen, "bad trace '%s': expected layers, api, tcp, sched or all",
			 cfg->trace);
		return false;
	}
	return true;
}

/* The wrappers cfg asks for around dev (pcap, then the layer tracer); NULL with err. */
static struct netdev *wrap_link(struct netdev *dev, const struct ts_stack_config *cfg,
				const struct ts_config *c, bool virtual_clock, char *err,
				size_t errlen)
{
	if (cfg && cfg->pcap) {
		char why[256];
		struct netdev *tee =
		    virtual_clock ? pcap_tee_wrap_stack_clock(dev, cfg->pcap, why, sizeof(why))
				  : pcap_tee_wrap(dev, cfg->pcap, why, sizeof(why));
		if (!tee) {
			snprintf(err, errlen, "pcap %s: %s", cfg->pcap, why);
			netdev_destroy(dev);
			return NULL;
		}
		dev = tee;
	}
	if (c->trace & TS_TRACE_LAYERS)
		dev = trace_wrap(dev, c->trace_out);
	return dev;
}

static struct ts_handle *start(const struct ts_config *c, struct netdev *dev, uint64_t now_us,
			       const struct ts_stack_config *cfg, char *err, size_t errlen)
{
	struct ts_handle *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		netdev_destroy(dev);
		errno = ENOMEM;
		return NULL;
	}
	int r = stack_init(&h->st, c, dev, now_us);
	if (r < 0) {
		snprintf(err, errlen, "starting the stack: %s", strerror(-r));
		netdev_destroy(dev);
		free(h);
		errno = -r;
		return NULL;
	}
	h->dev = dev;
	if (cfg && cfg->stop)
		h->st.stop = cfg->stop;
	return h;
}

struct stack *ts_open_tap(const char *ifname, const struct ts_stack_config *cfg, char *err,
			  size_t errlen)
{
	struct ts_config c;
	if (!make_config(cfg, "10.0.0.2/24", "02:00:00:00:00:02", &c, err, errlen)) {
		errno = EINVAL;
		return NULL;
	}
	/* As tapstack serve: the most offload the kernel takes, else none, and
	 * writes batched through io_uring when the kernel allows it. */
	enum tap_offload got;
	errno = 0;
	struct netdev *dev =
	    tap_open_offload(ifname ? ifname : "tap0", TAP_OFFLOAD_AUTO, &got, err, errlen);
	if (!dev) {
		if (!errno)
			errno = EINVAL; /* a bad name: no system call was made */
		return NULL;
	}
	tap_set_io(dev, TAP_IO_AUTO, NULL, err, errlen); /* auto never fails */
	dev = wrap_link(dev, cfg, &c, false, err, errlen);
	if (!dev) {
		errno = EINVAL;
		return NULL;
	}
	struct ts_handle *h = start(&c, dev, ts_clock_us(), cfg, err, errlen);
	return h ? &h->st : NULL;
}

/*
 * The pair's wait hook: polls both stacks; when neither had anything to
 * do, jumps the virtual clock to the earliest deadline of either (never
 * past the waiting call's own).  0 when nothing can ever happen: the call
 * gives up (tapstack.h, ts_set_wait_hook).
 */
static int pair_wait(struct stack *st, uint64_t until_us, void *ctx)
{
	struct ts_pair *p = ctx;
	(void)st;
	int handled = 0;
	for (int i = 0; i < 2; i++)
		if (p->h[i])
			handled += stack_poll(&p->h[i]->st, p->now_us);
	if (handled > 0)
		return ++p->spins < PAIR_MAX_SPINS;
	p->spins = 0;
	uint64_t next = UINT64_MAX;
	for (int i = 0; i < 2; i++) {
		if (!p->h[i])
			continue;
		uint64_t d = stack_next_deadline(&p->h[i]->st);
		next = d < next ? d : next;
	}
	if (next == UINT64_MAX && until_us == UINT64_MAX)
		return 0;
	if (next <= p->now_us)
		next = p->now_us + 1;
	if (next > until_us)
		next = until_us;
	p->now_us = next;
	for (int i = 0; i < 2; i++)
		if (p->h[i])
			stack_poll(&p->h[i]->st, p->now_us);
	return 1;
}

int ts_open_pair(const struct ts_stack_config *ca, const struct ts_stack_config *cb,
		 struct stack **a, struct stack **b, char *err, size_t errlen)
{
	struct ts_config c[2];
	if (!make_config(ca, "10.0.0.1/24", "02:00:00:00:00:01", &c[0], err, errlen) ||
	    !make_config(cb, "10.0.0.2/24", "02:00:00:00:00:02", &c[1], err, errlen)) {
		errno = EINVAL;
		return -1;
	}
	/* Deterministic: fixed seeds, a virtual clock, no announcement. */
	c[0].seed = 1;
	c[1].seed = 2;
	c[0].gratuitous_arp = c[1].gratuitous_arp = false;
	struct ts_pair *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	p->now_us = PAIR_START_US;
	struct netdev *end[2];
	wire_pair(&end[0], &end[1]);
	const struct ts_stack_config *cfg[2] = {ca, cb};
	for (int i = 0; i < 2; i++) {
		struct netdev *dev = wrap_link(end[i], cfg[i], &c[i], true, err, errlen);
		if (dev)
			p->h[i] = start(&c[i], dev, p->now_us, cfg[i], err, errlen);
		if (!p->h[i]) {
			int e = errno ? errno : EINVAL;
			if (i == 0)
				netdev_destroy(end[1]); /* end[0] went with the failure */
			if (i == 1) {
				stack_destroy(&p->h[0]->st);
				netdev_destroy(p->h[0]->dev);
				free(p->h[0]);
			}
			free(p);
			errno = e;
			return -1;
		}
		p->h[i]->pair = p;
		p->open++;
	}
	for (int i = 0; i < 2; i++)
		ts_set_wait_hook(&p->h[i]->st, pair_wait, p);
	*a = &p->h[0]->st;
	*b = &p->h[1]->st;
	return 0;
}

void ts_stack_close(struct stack *st)
{
	if (!st)
		return;
	struct ts_handle *h = (struct ts_handle *)st;
	struct ts_pair *p = h->pair;
	stack_destroy(&h->st);
	netdev_destroy(h->dev);
	if (p) {
		for (int i = 0; i < 2; i++)
			if (p->h[i] == h)
				p->h[i] = NULL;
		if (--p->open == 0)
			free(p);
	}
	free(h);
}
