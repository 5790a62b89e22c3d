/*
 * nd6.c - IPv6 neighbour discovery for hosts (RFC 4861 §7): address
 * resolution and neighbour unreachability detection.
 *
 * Receive: NS and NA are validated as §7.1.1 and §7.1.2 ask (hop limit
 * 255, so that they come from the link; code 0; at least 24 octets; target
 * not multicast; options of non-zero length within the message; an NS from
 * :: only to a solicited-node group and without a source link-layer
 * address; an NA to a multicast address without S).  An NS for one of our
 * addresses records its sender as STALE (§7.2.3) and is answered with an
 * NA carrying our MAC, S set when answering a unicast source, O set (we
 * are no proxy and have no anycast address, §7.2.4).  An NA updates the
 * entry as the table of §7.2.5 says.
 *
 * Send: nd6_resolve_and_send looks the neighbour up; a miss creates an
 * INCOMPLETE entry, queues the packet and sends an NS to the target's
 * solicited-node group, every RETRANS_TIMER up to MAX_MULTICAST_SOLICIT
 * (§7.2.2); then the queued packets die as ND6_UNRESOLVED.  The
 * reachability states follow §7.3.3: REACHABLE for ReachableTime after a
 * solicited NA, then STALE; sending to a STALE entry moves it to DELAY,
 * and DELAY_FIRST_PROBE_TIME later to PROBE: unicast NS every
 * RETRANS_TIMER, MAX_UNICAST_SOLICIT times, and the entry is removed
 * when none is answered.  No upper layer confirms reachability yet (TCP
 * does not speak IPv6), so every entry in use is probed after 5 s; that
 * is what Linux does for a neighbour only pinged.
 *
 * Bounds, as arp.c's: at most cfg.nd6_max_entries entries (an NS flood
 * from many sources creates STALE entries: when full, the least recently
 * used non-static entry is evicted, its queued packets dropped as
 * ND6_EVICTED); packets waiting per neighbour (cfg.nd6_queue_max, the
 * oldest goes first) and in total (cfg.nd6_unres_total_bytes, counted in
 * whole buffers).  The table is a flat array searched linearly: short, and
 * a learning stack's, not a router's (arp.c hashes).
 *
 * Deviation: ReachableTime is BaseReachableTime (30 s) without the random
 * factor of §6.3.2, which only desynchronizes many hosts; randomness here
 * would move every later draw of the stack's seeded RNG.
 *
 * Read first: RFC 4861 §4.3, §4.4, §4.6.1 (formats), §7 (whole).
 */
#include "nd6.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "eth.h"
#include "icmp6.h"
#include "ipv6.h"
#include "stack.h"
#include "timer.h"

struct nd6_entry {
	uint8_t addr[16];
	uint8_t mac[6];
	uint8_t state;		   /* enum nd6_nud */
	uint8_t probes;		   /* NS sent in INCOMPLETE or PROBE */
	uint64_t used_us;	   /* last created, confirmed or sent to (eviction order) */
	struct ts_timer timer;	   /* INCOMPLETE/PROBE: retransmit; REACHABLE: to STALE; DELAY */
	struct ts_buf *queue_head; /* packets waiting (b->data = IPv6 header) */
	struct ts_buf *queue_tail;
	uint32_t queue_len;
	uint32_t queue_bytes;
};

struct nd6_state {
	struct nd6_entry *e; /* cfg.nd6_max_entries slots */
	uint32_t max, used;
	size_t pending_bytes;
};

/* ---- cache ---- */

static struct nd6_entry *nd6_find(struct stack *st, const uint8_t a[16])
{
	struct nd6_state *s = st->nd6;
	for (uint32_t i = 0; i < s->max; i++)
		if (s->e[i].state != ND6_NONE && memcmp(s->e[i].addr, a, 16) == 0)
			return &s->e[i];
	return NULL;
}

static void nd6_queue_drop_all(struct stack *st, struct nd6_entry *e, enum ts_drop_reason r)
{
	while (e->queue_head) {
		struct ts_buf *b = e->queue_head;
		e->queue_head = b->next;
		b->next = NULL;
		st->nd6->pending_bytes -= b->cap;
		if (r == DROP_NONE)
			ts_buf_free(st, b);
		else
			ts_drop(st, b, r);
	}
	e->queue_tail = NULL;
	e->queue_len = 0;
	e->queue_bytes = 0;
}

static void nd6_free_entry(struct stack *st, struct nd6_entry *e, enum ts_drop_reason r)
{
	ts_timer_disarm(st, &e->timer);
	nd6_queue_drop_all(st, e, r);
	e->state = ND6_NONE;
	st->nd6->used--;
}

static void nd6_timer_fire(struct stack *st, struct ts_timer *t);

/*
 * A free slot for a, or the least recently used entry that is not static
 * (evicted with its queue), or NULL when every entry is static.
 */
static struct nd6_entry *nd6_alloc(struct stack *st, const uint8_t a[16])
{
	struct nd6_state *s = st->nd6;
	struct nd6_entry *victim = NULL;
	for (uint32_t i = 0; i < s->max; i++) {
		struct nd6_entry *e = &s->e[i];
		if (e->state == ND6_NONE) {
			victim = e;
			break;
		}
		if (e->state != ND6_PERMANENT && (!victim || e->used_us < victim->used_us))
			victim = e;
	}
	if (!victim)
		return NULL;
	if (victim->state != ND6_NONE) {
		ts_count(st, CTR_ND6_CACHE_EVICTED);
		nd6_free_entry(st, victim, DROP_ND6_EVICTED);
	}
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, a, 16);
	ts_timer_init(&victim->timer, nd6_timer_fire);
	victim->used_us = st->now_us;
	s->used++;
	return victim;
}

static void nd6_set_state(struct stack *st, struct nd6_entry *e, enum nd6_nud state,
			  uint64_t timer_us)
{
	e->state = (uint8_t)state;
	if (timer_us)
		ts_timer_arm(st, &e->timer, st->now_us + timer_us);
	else
		ts_timer_disarm(st, &e->timer);
}

/* Pushes the Ethernet header and sends b to e's MAC (b->data = IPv6 header). */
static int nd6_xmit(struct stack *st, struct nd6_entry *e, struct ts_buf *b)
{
	return eth_output(st, b, e->mac, ETH_TYPE_IPV6);
}

/*
 * The first send to a STALE entry moves it to DELAY (§7.3.3); sends
 * through REACHABLE, DELAY and PROBE entries change nothing.
 */
static int nd6_send_known(struct stack *st, struct nd6_entry *e, struct ts_buf *b)
{
	e->used_us = st->now_us;
	if (e->state == ND6_STALE) {
		e->probes = 0;
		nd6_set_state(st, e, ND6_DELAY, ND6_DELAY_FIRST_PROBE_US);
	}
	return nd6_xmit(st, e, b);
}

/* Sends what waited for e's MAC, oldest first. */
static void nd6_flush_queue(struct stack *st, struct nd6_entry *e)
{
	struct ts_buf *b = e->queue_head;
	size_t bytes = e->queue_bytes;
	e->queue_head = e->queue_tail = NULL;
	e->queue_len = e->queue_bytes = 0;
	st->nd6->pending_bytes -= bytes;
	while (b) {
		struct ts_buf *next = b->next;
		b->next = NULL;
		nd6_send_known(st, e, b);
		b = next;
	}
}

static void nd6_timer_fire(struct stack *st, struct ts_timer *t)
{
	struct nd6_entry *e = (struct nd6_entry *)((char *)t - offsetof(struct nd6_entry, timer));
	switch (e->state) {
	case ND6_INCOMPLETE:
		if (e->probes >= ND6_MAX_MULTICAST_SOLICIT) {
			/* §7.3.3: resolution failed.  (§7.2.2 also asks for
			 * address unreachable errors to the senders of the
			 * queued packets: they are ours, so nobody to tell.) */
			ts_count(st, CTR_ND6_CACHE_FAILED);
			nd6_free_entry(st, e, DROP_ND6_UNRESOLVED);
			return;
		}
		e->probes++;
		nd6_send_ns(st, e->addr, NULL, false, NULL);
		ts_timer_arm(st, &e->timer, st->now_us + ND6_RETRANS_TIMER_US);
		return;
	case ND6_REACHABLE:
		nd6_set_state(st, e, ND6_STALE, 0); /* ReachableTime passed */
		return;
	case ND6_DELAY:
		/* §7.3.3: no confirmation within DELAY_FIRST_PROBE_TIME. */
		e->probes = 1;
		nd6_set_state(st, e, ND6_PROBE, ND6_RETRANS_TIMER_US);
		nd6_send_ns(st, e->addr, NULL, true, e->mac);
		return;
	case ND6_PROBE:
		if (e->probes >= ND6_MAX_UNICAST_SOLICIT) {
			ts_count(st, CTR_ND6_CACHE_FAILED);
			nd6_free_entry(st, e, DROP_ND6_UNRESOLVED);
			return;
		}
		e->probes++;
		nd6_send_ns(st, e->addr, NULL, true, e->mac);
		ts_timer_arm(st, &e->timer, st->now_us + ND6_RETRANS_TIMER_US);
		return;
	default:
		return;
	}
}

int nd6_init(struct stack *st)
{
	struct nd6_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->max = st->cfg.nd6_max_entries;
	if (s->max == 0)
		s->max = 1;
	if (s->max > ND6_MAX_ENTRIES)
		s->max = ND6_MAX_ENTRIES;
	s->e = calloc(s->max, sizeof(*s->e));
	if (!s->e) {
		free(s);
		return -ENOMEM;
	}
	st->nd6 = s;
	return 0;
}

void nd6_destroy(struct stack *st)
{
	struct nd6_state *s = st->nd6;
	if (!s)
		return;
	for (uint32_t i = 0; i < s->max; i++)
		if (s->e[i].state != ND6_NONE)
			nd6_free_entry(st, &s->e[i], DROP_NONE);
	free(s->e);
	free(s);
	st->nd6 = NULL;
}

bool nd6_has_lladdr(struct stack *st, const uint8_t addr[16])
{
	const struct nd6_entry *e = nd6_find(st, addr);
	return e && e->state != ND6_INCOMPLETE;
}

uint32_t nd6_entry_count(const struct stack *st)
{
	return st->nd6->used;
}

size_t nd6_pending_bytes(const struct stack *st)
{
	return st->nd6->pending_bytes;
}

/* ---- output ---- */

/* The packet b waits for e's resolution, within the per-entry and total bounds. */
static int nd6_enqueue(struct stack *st, struct nd6_entry *e, struct ts_buf *b)
{
	struct nd6_state *s = st->nd6;
	if (s->pending_bytes + b->cap > st->cfg.nd6_unres_total_bytes) {
		ts_drop(st, b, DROP_ND6_PENDING_FULL);
		return -ENOBUFS;
	}
	/* RFC 4861 §7.2.2: when the queue overflows, the new packet SHOULD
	 * replace the oldest. */
	while (e->queue_head && e->queue_len >= st->cfg.nd6_queue_max) {
		struct ts_buf *old = e->queue_head;
		e->queue_head = old->next;
		if (!e->queue_head)
			e->queue_tail = NULL;
		old->next = NULL;
		e->queue_len--;
		e->queue_bytes -= old->cap;
		s->pending_bytes -= old->cap;
		ts_drop(st, old, DROP_ND6_QUEUE_FULL);
	}
	if (st->cfg.nd6_queue_max == 0) {
		ts_drop(st, b, DROP_ND6_QUEUE_FULL);
		return -ENOBUFS;
	}
	b->next = NULL;
	if (e->queue_tail)
		e->queue_tail->next = b;
	else
		e->queue_head = b;
	e->queue_tail = b;
	e->queue_len++;
	e->queue_bytes += b->cap;
	s->pending_bytes += b->cap;
	return 0;
}

int nd6_resolve_and_send(struct stack *st, struct ts_buf *b, const uint8_t nh_in[16])
{
	uint8_t nh[16];
	memcpy(nh, nh_in, 16); /* nh_in may live in b */
	struct nd6_entry *e = nd6_find(st, nh);
	if (e && e->state != ND6_INCOMPLETE)
		return nd6_send_known(st, e, b);
	if (e)
		return nd6_enqueue(st, e, b);
	e = nd6_alloc(st, nh);
	if (!e) {
		ts_drop(st, b, DROP_ND6_CACHE_FULL);
		return -ENOBUFS;
	}
	/* §7.2.2: the NS's source is the prompting packet's when it is ours. */
	uint8_t src[16];
	memcpy(src, b->data + IPV6_OFF_SRC, 16);
	int r = nd6_enqueue(st, e, b);
	e->probes = 1;
	nd6_set_state(st, e, ND6_INCOMPLETE, ND6_RETRANS_TIMER_US);
	nd6_send_ns(st, nh, ipv6_is_ours(st, src) ? src : NULL, false, NULL);
	return r;
}

/* Appends a link-layer address option (§4.6.1) of type at p: 8 octets. */
static void nd6_put_lladdr(uint8_t *p, uint8_t type, const uint8_t mac[6])
{
	p[0] = type;
	p[1] = 1; /* 8 octets on Ethernet (RFC 2464 §8) */
	memcpy(p + 2, mac, 6);
}

/* Sends an ND message of len octets at p (checksum filled here), hop limit 255. */
static void nd6_send_msg(struct stack *st, struct ts_buf *b, const uint8_t src[16],
			 const uint8_t dst[16], const uint8_t *mac)
{
	uint8_t *p = b->data;
	put_be16(p + ICMP6_OFF_CSUM, icmp6_csum(src, dst, p, ts_buf_len(b)));
	/* §7.1.1, §7.1.2: receivers refuse ND messages whose hop limit is
	 * not 255, which proves they were not forwarded. */
	const struct ip_tx_opts opts = {.ttl = 255};
	ts_count(st, CTR_ICMP6_TX);
	if (mac) {
		/* A unicast probe goes to the MAC we have, whatever the cache
		 * state: PROBE must not go through resolution again. */
		struct ipv6_view v = {
		    .payload_len = (uint16_t)ts_buf_len(b),
		    .next = IPV6_NH_ICMPV6,
		    .hop_limit = 255,
		    .src = src,
		    .dst = dst,
		};
		ipv6_build(ts_buf_push(b, IPV6_HDR_LEN), &v);
		ts_count(st, CTR_IPV6_TX);
		eth_output(st, b, mac, ETH_TYPE_IPV6);
		return;
	}
	ipv6_output(st, b, src, dst, IPV6_NH_ICMPV6, &opts);
}

void nd6_send_ns(struct stack *st, const uint8_t target[16], const uint8_t *src_in, bool unicast,
		 const uint8_t mac[6])
{
	uint8_t src[16], dst[16];
	if (src_in)
		memcpy(src, src_in, 16);
	else if (ipv6_select_source(st, target, src) < 0)
		return;
	if (unicast)
		memcpy(dst, target, 16);
	else
		ipv6_solicited_node(target, dst);
	struct ts_buf *b = ts_buf_alloc(st, ND6_MSG_LEN + 8, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, ND6_MSG_LEN + 8);
	memset(p, 0, ND6_MSG_LEN);
	p[ICMP6_OFF_TYPE] = ICMP6_NEIGHBOR_SOLICIT;
	memcpy(p + ND6_OFF_TARGET, target, 16);
	/* §4.3: the source link-layer address MUST be included in
	 * multicast solicitations, and is in unicast ones too (Linux). */
	nd6_put_lladdr(p + ND6_OFF_OPTIONS, ND6_OPT_SRC_LLADDR, st->cfg.mac);
	ts_count(st, CTR_ND6_NS_SENT);
	nd6_send_msg(st, b, src, dst, unicast ? mac : NULL);
}

void nd6_send_dad_ns(struct stack *st, const uint8_t target[16])
{
	/* RFC 4862 §5.4.2: from ::, to the target's solicited-node group,
	 * without a source link-layer address option (RFC 4861 §4.3: none
	 * may go with the unspecified source). */
	static const uint8_t unspec[16];
	uint8_t dst[16];
	ipv6_solicited_node(target, dst);
	struct ts_buf *b = ts_buf_alloc(st, ND6_MSG_LEN, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, ND6_MSG_LEN);
	memset(p, 0, ND6_MSG_LEN);
	p[ICMP6_OFF_TYPE] = ICMP6_NEIGHBOR_SOLICIT;
	memcpy(p + ND6_OFF_TARGET, target, 16);
	ts_count(st, CTR_ND6_NS_SENT);
	nd6_send_msg(st, b, unspec, dst, NULL);
}

/* ---- input ---- */

/* What the options of an NS or NA hold: the one link-layer option we use. */
struct nd6_opts {
	const uint8_t *lladdr; /* source (NS) or target (NA) link-layer address, or NULL */
};

/*
 * Walks the options at p[0, len): each at least 8 octets and within the
 * message (§7.1.1, §7.1.2: "All included options have a length that is
 * greater than zero"); unknown ones are ignored (§4.6).
 */
static enum ts_drop_reason nd6_parse_opts(const uint8_t *p, size_t len, uint8_t want,
					  struct nd6_opts *o)
{
	size_t i = 0;
	o->lladdr = NULL;
	while (i < len) {
		if (len - i < 2 || p[i + 1] == 0 || (size_t)p[i + 1] * 8 > len - i)
			return DROP_ND6_BAD_OPTION;
		if (p[i] == want && p[i + 1] == 1)
			o->lladdr = p + i + 2;
		i += (size_t)p[i + 1] * 8;
	}
	return DROP_NONE;
}

/* The checks §7.1.1 and §7.1.2 share. */
static enum ts_drop_reason nd6_check_common(const struct ts_buf *b, const struct icmp6_view *v)
{
	if (b->network[IPV6_OFF_HOPS] != 255)
		return DROP_ND6_BAD_HOP_LIMIT;
	if (v->code != 0)
		return DROP_ND6_BAD_CODE;
	if (ts_buf_len(b) < ND6_MSG_LEN)
		return DROP_ND6_TRUNCATED;
	if (ipv6_is_multicast(b->data + ND6_OFF_TARGET))
		return DROP_ND6_MCAST_TARGET;
	return DROP_NONE;
}

/* §7.2.3 (and §6.3.4 for a router): the sender of an NS or RA with a
 * source link-layer address is STALE. */
void nd6_learn(struct stack *st, const uint8_t src[16], const uint8_t mac[6])
{
	struct nd6_entry *e = nd6_find(st, src);
	if (e && e->state == ND6_PERMANENT)
		return;
	if (!e) {
		e = nd6_alloc(st, src);
		if (!e)
			return; /* all static: nothing to learn into */
		memcpy(e->mac, mac, 6);
		nd6_set_state(st, e, ND6_STALE, 0);
		ts_count(st, CTR_ND6_CACHE_UPDATES);
		return;
	}
	ts_count(st, CTR_ND6_CACHE_UPDATES);
	if (e->state == ND6_INCOMPLETE) {
		memcpy(e->mac, mac, 6);
		nd6_set_state(st, e, ND6_STALE, 0);
		nd6_flush_queue(st, e);
		return;
	}
	if (memcmp(e->mac, mac, 6) != 0) {
		memcpy(e->mac, mac, 6);
		nd6_set_state(st, e, ND6_STALE, 0);
	}
}

void nd6_ns_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v)
{
	struct nd6_opts o;
	enum ts_drop_reason r;
	ts_count(st, CTR_ND6_NS_RX);
	if ((r = nd6_check_common(b, v)) != DROP_NONE ||
	    (r = nd6_parse_opts(b->data + ND6_OFF_OPTIONS, ts_buf_len(b) - ND6_MSG_LEN,
				ND6_OPT_SRC_LLADDR, &o)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	uint8_t target[16], src[16], sol[16];
	memcpy(target, b->data + ND6_OFF_TARGET, 16);
	memcpy(src, b->src.v6, 16);
	bool dad = ipv6_is_unspecified(src);
	ipv6_solicited_node(target, sol);
	/* §7.1.1: a DAD probe (source ::) goes to the target's
	 * solicited-node group and carries no source link-layer address. */
	if (dad && (memcmp(b->dst.v6, sol, 16) != 0 || o.lladdr)) {
		ts_drop(st, b, DROP_ND6_BAD_DAD);
		return;
	}
	if (ipv6_is_tentative(st, target)) {
		/* RFC 4862 §5.4.3: another node probing the address we are
		 * probing means it is a duplicate; a solicitation from a
		 * unicast source is resolution, which waits for DAD to end. */
		if (dad) {
			ipv6_dad_duplicate(st, target);
			ts_drop(st, b, DROP_ND6_DUP_ADDR);
		} else {
			ts_drop(st, b, DROP_ND6_TENTATIVE);
		}
		return;
	}
	if (!ipv6_is_ours(st, target)) {
		ts_drop(st, b, DROP_ND6_NOT_OUR_TARGET);
		return;
	}
	if (!dad && o.lladdr)
		nd6_learn(st, src, o.lladdr);
	ts_buf_consume(st, b);

	/* §7.2.4: the answer, from the target, to the solicitor (or to
	 * all-nodes for a DAD probe, then without S), with our MAC. */
	struct ts_buf *a = ts_buf_alloc(st, ND6_MSG_LEN + 8, TS_BUF_HEADROOM);
	if (!a) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(a, ND6_MSG_LEN + 8);
	memset(p, 0, ND6_MSG_LEN);
	p[ICMP6_OFF_TYPE] = ICMP6_NEIGHBOR_ADVERT;
	p[ND6_OFF_FLAGS] = (uint8_t)((dad ? 0 : ND6_NA_SOLICITED) | ND6_NA_OVERRIDE);
	memcpy(p + ND6_OFF_TARGET, target, 16);
	nd6_put_lladdr(p + ND6_OFF_OPTIONS, ND6_OPT_TGT_LLADDR, st->cfg.mac);
	ts_count(st, CTR_ND6_NA_SENT);
	nd6_send_msg(st, a, target, dad ? ipv6_all_nodes : src, NULL);
}

void nd6_na_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v)
{
	struct nd6_opts o;
	enum ts_drop_reason r;
	ts_count(st, CTR_ND6_NA_RX);
	if ((r = nd6_check_common(b, v)) != DROP_NONE ||
	    (r = nd6_parse_opts(b->data + ND6_OFF_OPTIONS, ts_buf_len(b) - ND6_MSG_LEN,
				ND6_OPT_TGT_LLADDR, &o)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	uint8_t flags = b->data[ND6_OFF_FLAGS];
	bool solicited = flags & ND6_NA_SOLICITED, override = flags & ND6_NA_OVERRIDE;
	/* §7.1.2: S is meaningless, so invalid, in a multicast NA. */
	if (ipv6_is_multicast(b->dst.v6) && solicited) {
		ts_drop(st, b, DROP_ND6_SOLICITED_MCAST);
		return;
	}
	const uint8_t *target = b->data + ND6_OFF_TARGET;
	if (ipv6_is_tentative(st, target)) {
		/* RFC 4862 §5.4.4: someone defends the address we probe. */
		ipv6_dad_duplicate(st, target);
		ts_drop(st, b, DROP_ND6_DUP_ADDR);
		return;
	}
	if (ipv6_is_ours(st, target)) {
		/* Someone else claims our address: DAD would have said so
		 * (RFC 4862 §5.4.4); recorded, nothing else to do yet. */
		ts_drop(st, b, DROP_ND6_DUP_ADDR);
		return;
	}
	struct nd6_entry *e = nd6_find(st, target);
	if (!e) {
		/* §7.2.5: "the advertisement SHOULD be silently discarded". */
		ts_drop(st, b, DROP_ND6_NA_NO_ENTRY);
		return;
	}
	if (e->state == ND6_PERMANENT) {
		ts_buf_consume(st, b);
		return;
	}
	if (e->state == ND6_INCOMPLETE) {
		if (!o.lladdr) {
			ts_drop(st, b, DROP_ND6_NA_NO_LLADDR);
			return;
		}
		memcpy(e->mac, o.lladdr, 6);
		e->used_us = st->now_us;
		e->probes = 0;
		if (solicited)
			nd6_set_state(st, e, ND6_REACHABLE, ND6_REACHABLE_TIME_US);
		else
			nd6_set_state(st, e, ND6_STALE, 0);
		ts_count(st, CTR_ND6_CACHE_UPDATES);
		ts_buf_consume(st, b);
		nd6_flush_queue(st, e);
		return;
	}
	bool differs = o.lladdr && memcmp(o.lladdr, e->mac, 6) != 0;
	if (!override && differs) {
		/* §7.2.5: keep the cached address; a REACHABLE entry becomes
		 * STALE, the others are left as they are. */
		if (e->state == ND6_REACHABLE)
			nd6_set_state(st, e, ND6_STALE, 0);
		ts_buf_consume(st, b);
		return;
	}
	if (differs)
		memcpy(e->mac, o.lladdr, 6);
	e->probes = 0;
	if (solicited) {
		e->used_us = st->now_us;
		nd6_set_state(st, e, ND6_REACHABLE, ND6_REACHABLE_TIME_US);
	} else if (differs) {
		nd6_set_state(st, e, ND6_STALE, 0);
	}
	ts_count(st, CTR_ND6_CACHE_UPDATES);
	ts_buf_consume(st, b);
}

/* ---- static entries, listing ---- */

int nd6_static_add(struct stack *st, const uint8_t addr[16], const uint8_t mac[6], bool replace)
{
	if (ipv6_is_multicast(addr) || ipv6_is_unspecified(addr) || ipv6_is_ours(st, addr))
		return -EINVAL;
	struct nd6_entry *e = nd6_find(st, addr);
	if (e && !replace)
		return -EEXIST;
	if (!e && !(e = nd6_alloc(st, addr)))
		return -ENOBUFS;
	memcpy(e->mac, mac, 6);
	nd6_set_state(st, e, ND6_PERMANENT, 0);
	nd6_flush_queue(st, e);
	return 0;
}

int nd6_static_del(struct stack *st, const uint8_t addr[16])
{
	struct nd6_entry *e = nd6_find(st, addr);
	if (!e)
		return -ENOENT;
	nd6_free_entry(st, e, DROP_ND6_EVICTED);
	return 0;
}

size_t nd6_list(struct stack *st, struct nd6_neighbour *out, size_t max)
{
	struct nd6_state *s = st->nd6;
	size_t n = 0;
	for (uint32_t i = 0; i < s->max; i++) {
		const struct nd6_entry *e = &s->e[i];
		if (e->state == ND6_NONE)
			continue;
		if (n < max) {
			memcpy(out[n].addr, e->addr, 16);
			memcpy(out[n].mac, e->mac, 6);
			out[n].state = (enum nd6_nud)e->state;
		}
		n++;
	}
	return n;
}
