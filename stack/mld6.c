/*
 * mld6.c - MLDv2 reports (RFC 3810) for a host that only ever listens to
 * the groups neighbour discovery needs.
 *
 * The stack joins all-nodes (ff02::1), for which no MLD message is ever
 * sent (§6), and the solicited-node group of each of its addresses.  When
 * cfg.mld_reports is set (tapstack serve sets it; the library default and
 * the tests leave it off, so the two-stack runs keep their frames), the
 * joins are announced at start-up as §6.1 asks: a State Change Report of
 * CHANGE_TO_EXCLUDE_MODE records with no sources, sent
 * [Robustness Variable] times.  The retransmission comes after the
 * Unsolicited Report Interval itself rather than a random time within it:
 * a draw would move every later draw of the stack's seeded RNG.
 *
 * Queries are not answered yet (icmp6.c counts them as ICMP6_MLD_IGNORED):
 * a snooping switch that has heard no report for the group's listener
 * interval would stop forwarding; on a TAP there is none.
 *
 * Read first: RFC 3810 §5.2 (report format), §6.1 (state changes), §9.
 */
#include "mld6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "icmp6.h"
#include "ipv6.h"
#include "stack.h"
#include "timer.h"

const uint8_t mld6_all_v2_routers[16] = {0xff, 0x02, [15] = 0x16};

struct mld6_state {
	struct ts_timer timer; /* the next unsolicited report */
	uint8_t reports_left;
};

/* Our groups that are reported: the solicited-node ones, each once. */
static size_t mld6_groups(const struct stack *st, uint8_t g[2][16])
{
	size_t n = 0;
	ipv6_solicited_node(ipv6_link_local(st), g[n++]);
	const uint8_t *a = ipv6_static_addr(st);
	if (a) {
		ipv6_solicited_node(a, g[n]);
		if (memcmp(g[n], g[0], 16) != 0)
			n++;
	}
	return n;
}

size_t mld6_build_report(const struct stack *st, uint8_t *p, size_t cap)
{
	uint8_t g[2][16];
	size_t n = mld6_groups(st, g), len = 8 + n * 20;
	if (cap < len)
		return 0;
	/* §5.2: type 143, code 0, checksum, reserved, number of records. */
	memset(p, 0, 8);
	p[ICMP6_OFF_TYPE] = ICMP6_MLD2_REPORT;
	put_be16(p + 6, (uint16_t)n);
	for (size_t i = 0; i < n; i++) {
		/* §5.2.4: record type, aux data len, number of sources,
		 * multicast address. */
		uint8_t *r = p + 8 + i * 20;
		r[0] = MLD6_REC_CHANGE_TO_EXCLUDE;
		r[1] = 0;
		put_be16(r + 2, 0);
		memcpy(r + 4, g[i], 16);
	}
	return len;
}

/* Sends one report: hop limit 1 and a Router Alert (§5.2.13, RFC 2711). */
static void mld6_send(struct stack *st)
{
	/* Hop-by-hop options: Next Header ICMPv6, length 0 (8 octets),
	 * Router Alert (type 5, length 2, value 0: MLD), PadN of 0. */
	static const uint8_t hbh[8] = {IPV6_NH_ICMPV6, 0, 5, 2, 0, 0, 1, 0};
	struct ts_buf *b = ts_buf_alloc(st, 8 + 8 + 2 * 20, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, 8 + 8 + 2 * 20);
	memcpy(p, hbh, 8);
	size_t len = mld6_build_report(st, p + 8, 8 + 2 * 20);
	ts_buf_trim(b, 8 + len);
	/* RFC 3810 §5.2.13: from the link-local address, or from :: while
	 * it is tentative (DAD, RFC 4862 §5.4.2). */
	static const uint8_t unspec[16];
	const uint8_t *ll = ipv6_link_local(st);
	const uint8_t *src = ipv6_is_tentative(st, ll) ? unspec : ll;
	put_be16(p + 8 + ICMP6_OFF_CSUM, icmp6_csum(src, mld6_all_v2_routers, p + 8, len));
	const struct ip_tx_opts opts = {.ttl = 1};
	ts_count(st, CTR_ICMP6_TX);
	ipv6_output(st, b, src, mld6_all_v2_routers, IPV6_NH_HOPOPTS, &opts);
}

static void mld6_timer_fire(struct stack *st, struct ts_timer *t)
{
	(void)t;
	struct mld6_state *s = st->mld6;
	if (s->reports_left == 0)
		return;
	s->reports_left--;
	mld6_send(st);
	if (s->reports_left)
		ts_timer_arm(st, &s->timer, st->now_us + MLD6_REPORT_INTERVAL_US);
}

int mld6_init(struct stack *st)
{
	st->mld6 = calloc(1, sizeof(*st->mld6));
	if (!st->mld6)
		return -ENOMEM;
	ts_timer_init(&st->mld6->timer, mld6_timer_fire);
	return 0;
}

void mld6_destroy(struct stack *st)
{
	if (!st->mld6)
		return;
	ts_timer_disarm(st, &st->mld6->timer);
	free(st->mld6);
	st->mld6 = NULL;
}

void mld6_start(struct stack *st)
{
	st->mld6->reports_left = MLD6_UNSOLICITED_REPORTS;
	mld6_timer_fire(st, &st->mld6->timer);
}
