/*
 * rd6.c - router discovery for a host (RFC 4861 §6.3; rd6.h).
 *
 * The lists are small arrays searched linearly, each entry with the
 * virtual time it expires at; an expired entry is simply skipped and its
 * slot reused, so no timer is needed but the solicitation's.
 */
#include "rd6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "byteorder.h"
#include "counters.h"
#include "drop.h"
#include "eth.h"
#include "icmp6.h"
#include "ip.h"
#include "ipv6.h"
#include "nd6.h"
#include "stack.h"
#include "timer.h"

struct rd6_router {
	uint8_t addr[16];    /* its link-local address */
	uint64_t expires_us; /* 0: free slot */
};

struct rd6_prefix {
	uint8_t prefix[16];
	uint8_t len;
	uint64_t expires_us; /* 0: free slot; UINT64_MAX: infinite lifetime */
};

struct rd6_state {
	struct rd6_router routers[RD6_MAX_ROUTERS];
	struct rd6_prefix prefixes[RD6_MAX_PREFIXES];
	uint32_t mtu;	      /* from an MTU option; 0: none */
	uint8_t hop_limit;    /* Cur Hop Limit; 0: unspecified */
	unsigned next_router; /* round robin among routers of unknown reachability */
	unsigned rs_left;     /* solicitations still to send */
	bool advertised;      /* an advertisement arrived: stop soliciting (§6.3.7) */
	struct ts_timer rs_timer;
};

static void rd6_rs_timer(struct stack *st, struct ts_timer *t);

int rd6_init(struct stack *st)
{
	struct rd6_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ts_timer_init(&s->rs_timer, rd6_rs_timer);
	st->rd6 = s;
	return 0;
}

void rd6_destroy(struct stack *st)
{
	if (!st->rd6)
		return;
	ts_timer_disarm(st, &st->rd6->rs_timer);
	free(st->rd6);
	st->rd6 = NULL;
}

/* ---- solicitation (§6.3.7) ---- */

static void rd6_send_rs(struct stack *st)
{
	static const uint8_t all_routers[16] = {0xff, 0x02, [15] = 2};
	uint8_t src[16];
	/* From our link-local address with our MAC as an option; while that
	 * address is tentative, from :: without the option (§4.1, §6.3.7). */
	bool have_src = ipv6_select_source(st, all_routers, src) == 0;
	if (!have_src)
		memset(src, 0, 16);
	size_t len = RD6_RS_LEN + (have_src ? 8 : 0);
	struct ts_buf *b = ts_buf_alloc(st, len, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, len);
	memset(p, 0, len);
	p[ICMP6_OFF_TYPE] = ICMP6_ROUTER_SOLICIT;
	if (have_src) {
		p[RD6_RS_LEN] = ND6_OPT_SRC_LLADDR;
		p[RD6_RS_LEN + 1] = 1;
		memcpy(p + RD6_RS_LEN + 2, st->cfg.mac, 6);
	}
	put_be16(p + ICMP6_OFF_CSUM, icmp6_csum(src, all_routers, p, len));
	/* §6.1.1 makes routers refuse one whose hop limit is not 255. */
	const struct ip_tx_opts opts = {.ttl = 255};
	ts_count(st, CTR_ICMP6_TX);
	ts_count(st, CTR_RD6_RS_SENT);
	ipv6_output(st, b, src, all_routers, IPV6_NH_ICMPV6, &opts);
}

static void rd6_rs_timer(struct stack *st, struct ts_timer *t)
{
	struct rd6_state *s = st->rd6;
	(void)t;
	if (s->advertised || s->rs_left == 0)
		return;
	rd6_send_rs(st);
	if (--s->rs_left)
		ts_timer_arm(st, &s->rs_timer, st->now_us + RD6_RTR_SOLICITATION_INTERVAL_US);
}

void rd6_start(struct stack *st)
{
	struct rd6_state *s = st->rd6;
	s->rs_left = RD6_MAX_RTR_SOLICITATIONS;
	/* The delay is the largest §6.3.7 allows rather than a random one
	 * below it, so that the seeded RNG's draws stay where they were (as
	 * for MLD, docs/ipv6.md); by then duplicate address detection of the
	 * link-local address (1 s) is over. */
	ts_timer_arm(st, &s->rs_timer, st->now_us + RD6_MAX_RTR_SOLICITATION_DELAY_US);
}

/* ---- advertisements (§6.1.2, §6.3.4) ---- */

static uint64_t rd6_expiry(const struct stack *st, uint32_t lifetime_s)
{
	if (lifetime_s == 0xffffffffu)
		return UINT64_MAX; /* §4.6.2: infinity */
	return st->now_us + (uint64_t)lifetime_s * 1000000u;
}

static bool rd6_alive(const struct stack *st, uint64_t expires_us)
{
	return expires_us != 0 && expires_us > st->now_us;
}

static void rd6_router_update(struct stack *st, const uint8_t addr[16], uint16_t lifetime_s)
{
	struct rd6_state *s = st->rd6;
	struct rd6_router *free_slot = NULL;
	for (unsigned i = 0; i < RD6_MAX_ROUTERS; i++) {
		struct rd6_router *r = &s->routers[i];
		if (rd6_alive(st, r->expires_us) && memcmp(r->addr, addr, 16) == 0) {
			/* §6.3.4: a lifetime of 0 times the router out at once. */
			r->expires_us = lifetime_s ? rd6_expiry(st, lifetime_s) : 0;
			return;
		}
		if (!free_slot && !rd6_alive(st, r->expires_us))
			free_slot = r;
	}
	if (!lifetime_s)
		return;
	if (!free_slot) {
		/* The list is full of live routers: one more is not taken
		 * (RFC 4861 §6.3.4 lets a host bound its lists). */
		ts_count(st, CTR_RD6_ROUTERS_REFUSED);
		return;
	}
	memcpy(free_slot->addr, addr, 16);
	free_slot->expires_us = rd6_expiry(st, lifetime_s);
	ts_count(st, CTR_RD6_ROUTERS_LEARNT);
}

static bool rd6_prefix_match(const uint8_t *prefix, unsigned plen, const uint8_t a[16])
{
	unsigned full = plen / 8, rest = plen % 8;
	if (memcmp(prefix, a, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> rest);
	return (prefix[full] & mask) == (a[full] & mask);
}

/* §6.3.4 for a Prefix Information option with the L flag. */
static void rd6_prefix_update(struct stack *st, const uint8_t *o)
{
	struct rd6_state *s = st->rd6;
	uint8_t plen = o[2];
	uint32_t valid_s = get_be32(o + 4);
	const uint8_t *prefix = o + 16;
	if (!(o[3] & RD6_PREFIX_ONLINK) || plen > 128 || ipv6_is_link_local(prefix))
		return; /* link-local is on-link anyway: the option is ignored */
	struct rd6_prefix *free_slot = NULL;
	for (unsigned i = 0; i < RD6_MAX_PREFIXES; i++) {
		struct rd6_prefix *p = &s->prefixes[i];
		if (rd6_alive(st, p->expires_us) && p->len == plen &&
		    rd6_prefix_match(p->prefix, plen, prefix)) {
			p->expires_us = valid_s ? rd6_expiry(st, valid_s) : 0;
			return;
		}
		if (!free_slot && !rd6_alive(st, p->expires_us))
			free_slot = p;
	}
	if (!valid_s)
		return;
	if (!free_slot) {
		ts_count(st, CTR_RD6_PREFIXES_REFUSED);
		return;
	}
	memset(free_slot->prefix, 0, 16);
	memcpy(free_slot->prefix, prefix, (size_t)(plen + 7) / 8);
	free_slot->len = plen;
	free_slot->expires_us = rd6_expiry(st, valid_s);
}

void rd6_ra_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v)
{
	struct rd6_state *s = st->rd6;
	const uint8_t *p = b->data;
	size_t len = ts_buf_len(b);
	enum ts_drop_reason r = DROP_NONE;

	ts_count(st, CTR_RD6_RA_RX);
	/* §6.1.2: a link-local source, hop limit 255 (not forwarded), code
	 * 0, 16 octets or more, every option of non-zero length. */
	if (!ipv6_is_link_local(b->src.v6))
		r = DROP_RD6_RA_NOT_LINK_LOCAL;
	else if (b->network[IPV6_OFF_HOPS] != 255)
		r = DROP_ND6_BAD_HOP_LIMIT;
	else if (v->code != 0)
		r = DROP_ND6_BAD_CODE;
	else if (len < RD6_RA_LEN)
		r = DROP_ND6_TRUNCATED;
	const uint8_t *lladdr = NULL, *mtu_opt = NULL;
	for (size_t i = RD6_RA_LEN; r == DROP_NONE && i < len;) {
		if (len - i < 2 || p[i + 1] == 0 || (size_t)p[i + 1] * 8 > len - i) {
			r = DROP_ND6_BAD_OPTION;
			break;
		}
		size_t olen = (size_t)p[i + 1] * 8;
		if (p[i] == ND6_OPT_SRC_LLADDR && olen == 8)
			lladdr = p + i + 2;
		else if (p[i] == RD6_OPT_MTU && olen == 8)
			mtu_opt = p + i;
		else if (p[i] == RD6_OPT_PREFIX && olen != 32)
			r = DROP_ND6_BAD_OPTION; /* §4.6.2: length 4 */
		i += olen;
	}
	if (r != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	s->advertised = true; /* §6.3.7: stop soliciting */
	if (p[RD6_OFF_HOP_LIMIT])
		s->hop_limit = p[RD6_OFF_HOP_LIMIT];
	rd6_router_update(st, b->src.v6, get_be16(p + RD6_OFF_LIFETIME));
	/* §6.3.4: the router's MAC goes into the neighbour cache, STALE. */
	if (lladdr)
		nd6_learn(st, b->src.v6, lladdr);
	if (mtu_opt) {
		/* Only an MTU the link can carry, and not below IPv6's minimum
		 * (RFC 8200 §5); bogus ones are ignored. */
		uint32_t mtu = get_be32(mtu_opt + 4);
		if (mtu >= 1280 && mtu <= st->cfg.mtu)
			s->mtu = mtu;
	}
	for (size_t i = RD6_RA_LEN; i < len; i += (size_t)p[i + 1] * 8)
		if (p[i] == RD6_OPT_PREFIX)
			rd6_prefix_update(st, p + i);
	ts_buf_consume(st, b);
}

/* ---- lookups ---- */

bool rd6_on_link(const struct stack *st, const uint8_t a[16])
{
	const struct rd6_state *s = st->rd6;
	for (unsigned i = 0; i < RD6_MAX_PREFIXES; i++) {
		const struct rd6_prefix *p = &s->prefixes[i];
		if (rd6_alive(st, p->expires_us) && rd6_prefix_match(p->prefix, p->len, a))
			return true;
	}
	return false;
}

const uint8_t *rd6_default_router(struct stack *st)
{
	struct rd6_state *s = st->rd6;
	const uint8_t *unknown[RD6_MAX_ROUTERS];
	unsigned n = 0;
	for (unsigned i = 0; i < RD6_MAX_ROUTERS; i++) {
		const struct rd6_router *r = &s->routers[i];
		if (!rd6_alive(st, r->expires_us))
			continue;
		/* §6.3.6: one reachable or probably reachable (any state but
		 * INCOMPLETE) first. */
		if (nd6_has_lladdr(st, r->addr))
			return r->addr;
		unknown[n++] = r->addr;
	}
	if (!n)
		return NULL;
	/* §6.3.6: else round robin, so that one dead router is not tried for ever. */
	return unknown[s->next_router++ % n];
}

uint32_t rd6_link_mtu(const struct stack *st)
{
	return st->rd6->mtu ? st->rd6->mtu : st->cfg.mtu;
}

uint8_t rd6_hop_limit(const struct stack *st)
{
	return st->rd6->hop_limit ? st->rd6->hop_limit : st->cfg.ttl;
}
