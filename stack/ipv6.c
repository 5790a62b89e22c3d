/*
 * ipv6.c - IPv6 for a host (RFC 8200, addressing RFC 4291).
 *
 * Receive: ipv6_parse (view: length, version, payload length against the
 * frame) → source not multicast (RFC 4291 §2.7) → destination filter (our
 * link-local and static addresses, all-nodes ff02::1, our solicited-node
 * groups; nothing is forwarded) → trim the Ethernet padding → extension
 * headers walked with bounds (ipv6_walk_ext: hop-by-hop only first,
 * options by their type's action bits, routing headers with segments left
 * refused as RFC 5095 asks of type 0, fragments dropped: reassembly is not
 * implemented yet) → upper layer: ICMPv6 (icmp6.c); any other Next Header
 * is answered with a parameter problem (RFC 8200 §4) and dropped, TCP and
 * UDP included until they learn IPv6.
 *
 * Send: ipv6_output pushes the 40-octet header, refuses what exceeds the
 * link MTU (no fragmentation yet; RFC 8200 §5 lets a host send no more than
 * the path MTU), and hands the datagram to neighbour discovery (nd6.c), or
 * straight to the group's MAC (RFC 2464 §7) for multicast.
 *
 * Addresses: the link-local one comes from the MAC by modified EUI-64
 * (RFC 4291 §2.5.1 and Appendix A).  RFC 7217 (and RFC 8064) recommend
 * stable opaque identifiers instead, which hide the MAC from every peer;
 * a learning stack keeps the address one can check by hand against the
 * MAC (ip link, tshark), as Linux does with addr_gen_mode eui64; see
 * docs/ipv6.md.
 *
 * Read first: RFC 8200 §3-§4 (header, extension headers), RFC 4291 §2.5.1,
 * §2.5.6, §2.7, §2.7.1, RFC 2464 §7, RFC 5095.
 */
#include "ipv6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "eth.h"
#include "icmp6.h"
#include "nd6.h"
#include "stack.h"
#include "tcp.h"
#include "timer.h"
#include "udp.h"

const uint8_t ipv6_all_nodes[16] = {0xff, 0x02, [15] = 1};

/* An address's life under DAD (RFC 4862 §5.4). */
enum ipv6_addr_state {
	IPV6_ADDR_TENTATIVE, /* NS from :: sent, waiting RetransTimer for an objection */
	IPV6_ADDR_PREFERRED, /* ours: used as source and destination */
	IPV6_ADDR_DUPLICATE, /* someone else has it (§5.4.5): never used */
};

struct ipv6_state {
	uint8_t ll[16];	    /* fe80::/64 + modified EUI-64 of cfg.mac */
	uint8_t addr[16];   /* cfg.ip6 */
	bool have_addr;	    /* cfg.ip6 is not :: */
	uint8_t ll_sol[16]; /* their solicited-node groups (RFC 4291 §2.7.1) */
	uint8_t addr_sol[16];
	uint8_t ll_state, addr_state; /* enum ipv6_addr_state */
	struct ts_timer dad_timer;    /* RetransTimer after the DAD probes */
};

/* ---- view ---- */

enum ts_drop_reason ipv6_parse(const uint8_t *p, size_t len, struct ipv6_view *v)
{
	if (len < IPV6_HDR_LEN)
		return DROP_IPV6_TRUNCATED;
	uint32_t w = get_be32(p + IPV6_OFF_VER_TC_FLOW);
	if (w >> 28 != 6)
		return DROP_IPV6_BAD_VERSION;
	v->tclass = (uint8_t)(w >> 20);
	v->flow = w & 0xfffff;
	v->payload_len = get_be16(p + IPV6_OFF_PLEN);
	/* RFC 8200 §3: the payload length counts everything after the fixed
	 * header.  A jumbogram (length 0 with a Jumbo Payload option, RFC
	 * 2675) cannot arrive on a 1500-octet link; length 0 is then an
	 * empty payload, which the walk below refuses unless it is No Next
	 * Header. */
	if ((size_t)IPV6_HDR_LEN + v->payload_len > len)
		return DROP_IPV6_BAD_LEN;
	v->next = p[IPV6_OFF_NEXT];
	v->hop_limit = p[IPV6_OFF_HOPS];
	v->src = p + IPV6_OFF_SRC;
	v->dst = p + IPV6_OFF_DST;
	v->payload = p + IPV6_HDR_LEN;
	return DROP_NONE;
}

void ipv6_build(uint8_t *p, const struct ipv6_view *v)
{
	put_be32(p + IPV6_OFF_VER_TC_FLOW,
		 (uint32_t)6 << 28 | (uint32_t)v->tclass << 20 | (v->flow & 0xfffff));
	put_be16(p + IPV6_OFF_PLEN, v->payload_len);
	p[IPV6_OFF_NEXT] = v->next;
	p[IPV6_OFF_HOPS] = v->hop_limit;
	memmove(p + IPV6_OFF_SRC, v->src, 16);
	memmove(p + IPV6_OFF_DST, v->dst, 16);
}

/* Option types of the hop-by-hop and destination options we know (RFC 8200 §4.2). */
#define IPV6_OPT_PAD1 0
#define IPV6_OPT_PADN 1

/*
 * Walks the TLV options of one hop-by-hop or destination options header,
 * p[start, end).  An unknown option's two high-order type bits say what to
 * do (RFC 8200 §4.2): 00 skip it, 01 discard, 10 discard and send a
 * parameter problem code 2, 11 the same unless the destination is
 * multicast.  Router Alert (RFC 2711, type 5, bits 00) is skipped by that
 * rule: MLD carries it, and a host has nothing to do with it.
 */
static enum ts_drop_reason ipv6_walk_options(const uint8_t *p, size_t start, size_t end,
					     bool dst_mcast, struct ipv6_ext *x)
{
	size_t i = start;
	while (i < end) {
		uint8_t type = p[i];
		if (type == IPV6_OPT_PAD1) {
			i++;
			continue;
		}
		if (i + 2 > end || i + 2 + (size_t)p[i + 1] > end)
			return DROP_IPV6_BAD_OPTION;
		if (type != IPV6_OPT_PADN) {
			switch (type >> 6) {
			case 0:
				break;
			case 3:
				if (dst_mcast)
					return DROP_IPV6_BAD_OPTION;
				/* fall through */
			case 2:
				x->send_icmp = true;
				x->icmp_code = ICMP6_PARAM_OPTION;
				x->icmp_ptr = (uint32_t)i;
				/* fall through */
			default:
				return DROP_IPV6_BAD_OPTION;
			}
		}
		i += 2 + (size_t)p[i + 1];
	}
	return DROP_NONE;
}

/*
 * Every extension header is at least 8 octets and must end within len, so
 * the loop ends after at most len / 8 headers.
 */
enum ts_drop_reason ipv6_walk_ext(const uint8_t *p, size_t len, bool dst_mcast, struct ipv6_ext *x)
{
	uint8_t nh = p[IPV6_OFF_NEXT];
	size_t off = IPV6_HDR_LEN, nh_off = IPV6_OFF_NEXT;
	enum ts_drop_reason r;

	memset(x, 0, sizeof(*x));
	for (;;) {
		size_t hlen;
		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_DSTOPTS:
		case IPV6_NH_ROUTING:
			if (nh == IPV6_NH_HOPOPTS && off != IPV6_HDR_LEN) {
				/* RFC 8200 §4.1: hop-by-hop options only
				 * right after the IPv6 header; elsewhere an
				 * unrecognized Next Header (§4: code 1). */
				x->send_icmp = true;
				x->icmp_code = ICMP6_PARAM_NEXT;
				x->icmp_ptr = (uint32_t)nh_off;
				return DROP_IPV6_HBH_NOT_FIRST;
			}
			/* Next Header, Hdr Ext Len in 8-octet units not
			 * counting the first 8 (§4.3, §4.4, §4.6). */
			if (off + 8 > len)
				return DROP_IPV6_EXT_TRUNCATED;
			hlen = ((size_t)p[off + 1] + 1) * 8;
			if (off + hlen > len)
				return DROP_IPV6_EXT_TRUNCATED;
			if (nh == IPV6_NH_ROUTING) {
				/* RFC 8200 §4.4: an unrecognized Routing
				 * Type with Segments Left 0 is ignored;
				 * otherwise the packet is discarded with a
				 * parameter problem code 0 pointing at the
				 * type.  RFC 5095 §3: type 0 is processed as
				 * unrecognized.  A host recognizes none. */
				if (p[off + 3] != 0) {
					x->send_icmp = true;
					x->icmp_code = ICMP6_PARAM_HEADER;
					x->icmp_ptr = (uint32_t)(off + 2);
					return DROP_IPV6_RH0;
				}
			} else if ((r = ipv6_walk_options(p, off + 2, off + hlen, dst_mcast, x)) !=
				   DROP_NONE) {
				return r;
			}
			break;
		case IPV6_NH_FRAGMENT:
			if (off + 8 > len)
				return DROP_IPV6_EXT_TRUNCATED;
			/* An atomic fragment (offset 0, M clear: RFC 6946
			 * §4) is a whole datagram: skip its header.  Any
			 * other needs reassembly, not implemented yet. */
			if ((get_be16(p + off + 2) & 0xfff9) != 0)
				return DROP_IPV6_FRAG_UNSUPPORTED;
			hlen = 8;
			break;
		case IPV6_NH_NONE:
			/* RFC 8200 §4.7: nothing follows; ignore the rest. */
			return DROP_IPV6_NO_NEXT_HEADER;
		default:
			x->proto = nh;
			x->off = (uint32_t)off;
			x->nh_off = (uint32_t)nh_off;
			return DROP_NONE;
		}
		nh_off = off;
		nh = p[off];
		off += hlen;
	}
}

/* ---- addresses ---- */

bool ipv6_is_unspecified(const uint8_t a[16])
{
	static const uint8_t zero[16];
	return memcmp(a, zero, 16) == 0;
}

void ipv6_link_local_from_mac(const uint8_t mac[6], uint8_t out[16])
{
	/* RFC 4291 §2.5.1 and Appendix A: the 48-bit MAC cut in two with
	 * ff:fe between, and the universal/local bit inverted. */
	memset(out, 0, 16);
	out[0] = 0xfe;
	out[1] = 0x80;
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

void ipv6_solicited_node(const uint8_t a[16], uint8_t out[16])
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
	memcpy(out, prefix, 13);
	memcpy(out + 13, a + 13, 3);
}

void ipv6_mcast_mac(const uint8_t group[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

static void ipv6_dad_timer(struct stack *st, struct ts_timer *t);

int ipv6_init(struct stack *st)
{
	struct ipv6_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ipv6_link_local_from_mac(st->cfg.mac, s->ll);
	ipv6_solicited_node(s->ll, s->ll_sol);
	memcpy(s->addr, st->cfg.ip6, 16);
	s->have_addr = !ipv6_is_unspecified(s->addr);
	ipv6_solicited_node(s->addr, s->addr_sol);
	s->ll_state = s->addr_state = IPV6_ADDR_PREFERRED;
	ts_timer_init(&s->dad_timer, ipv6_dad_timer);
	st->ipv6 = s;
	return 0;
}

void ipv6_destroy(struct stack *st)
{
	if (!st->ipv6)
		return;
	ts_timer_disarm(st, &st->ipv6->dad_timer);
	free(st->ipv6);
	st->ipv6 = NULL;
}

/* ---- duplicate address detection (RFC 4862 §5.4) ---- */

/* The state slot of a, one of our configured addresses, or NULL. */
static uint8_t *ipv6_state_of(struct ipv6_state *s, const uint8_t a[16])
{
	if (memcmp(a, s->ll, 16) == 0)
		return &s->ll_state;
	if (s->have_addr && memcmp(a, s->addr, 16) == 0)
		return &s->addr_state;
	return NULL;
}

/* RetransTimer after the probes with no objection: the addresses are ours (§5.4.5). */
static void ipv6_dad_timer(struct stack *st, struct ts_timer *t)
{
	struct ipv6_state *s = st->ipv6;
	(void)t;
	if (s->ll_state == IPV6_ADDR_TENTATIVE)
		s->ll_state = IPV6_ADDR_PREFERRED;
	if (s->addr_state == IPV6_ADDR_TENTATIVE)
		s->addr_state = IPV6_ADDR_PREFERRED;
}

void ipv6_dad_begin(struct stack *st)
{
	struct ipv6_state *s = st->ipv6;
	s->ll_state = IPV6_ADDR_TENTATIVE;
	if (s->have_addr)
		s->addr_state = IPV6_ADDR_TENTATIVE;
}

void ipv6_dad_probe(struct stack *st)
{
	struct ipv6_state *s = st->ipv6;
	/* §5.4.2: DupAddrDetectTransmits (1) NS from :: to the address's
	 * solicited-node group, then RetransTimer of silence. */
	nd6_send_dad_ns(st, s->ll);
	if (s->have_addr)
		nd6_send_dad_ns(st, s->addr);
	ts_timer_arm(st, &s->dad_timer, st->now_us + ND6_RETRANS_TIMER_US);
}

bool ipv6_is_tentative(const struct stack *st, const uint8_t a[16])
{
	uint8_t *state = ipv6_state_of(st->ipv6, a);
	return state && *state == IPV6_ADDR_TENTATIVE;
}

void ipv6_dad_duplicate(struct stack *st, const uint8_t a[16])
{
	uint8_t *state = ipv6_state_of(st->ipv6, a);
	if (!state || *state == IPV6_ADDR_DUPLICATE)
		return;
	/* §5.4.5: the address is not assigned.  For a link-local address
	 * from the MAC the RFC would disable IPv6 on the interface; here
	 * only that address goes unused (the static one may still work). */
	*state = IPV6_ADDR_DUPLICATE;
	ts_count(st, CTR_IPV6_DAD_DUPLICATES);
}

const uint8_t *ipv6_link_local(const struct stack *st)
{
	return st->ipv6->ll;
}

const uint8_t *ipv6_global(const struct stack *st)
{
	const struct ipv6_state *s = st->ipv6;
	return s->have_addr && s->addr_state == IPV6_ADDR_PREFERRED ? s->addr : NULL;
}

const uint8_t *ipv6_static_addr(const struct stack *st)
{
	return st->ipv6->have_addr ? st->ipv6->addr : NULL;
}

bool ipv6_is_ours(const struct stack *st, const uint8_t a[16])
{
	/* RFC 4862 §5.4: a tentative address is not yet ours (packets to it
	 * are discarded, it is no source); a duplicate one never is. */
	uint8_t *state = ipv6_state_of(st->ipv6, a);
	return state && *state == IPV6_ADDR_PREFERRED;
}

bool ipv6_is_our_group(const struct stack *st, const uint8_t a[16])
{
	const struct ipv6_state *s = st->ipv6;
	return memcmp(a, ipv6_all_nodes, 16) == 0 || memcmp(a, s->ll_sol, 16) == 0 ||
	       (s->have_addr && memcmp(a, s->addr_sol, 16) == 0);
}

bool ipv6_mcast_mac_wanted(const struct stack *st, const uint8_t mac[6])
{
	const struct ipv6_state *s = st->ipv6;
	uint8_t m[6];
	if (mac[0] != 0x33 || mac[1] != 0x33)
		return false;
	/* The groups we joined (RFC 4861 §7.2.1: a node joins the
	 * solicited-node group of each of its addresses; RFC 4291 §2.8:
	 * all-nodes).  Other groups map to MACs we filter, as a NIC's
	 * multicast filter would. */
	ipv6_mcast_mac(ipv6_all_nodes, m);
	if (memcmp(m, mac, 6) == 0)
		return true;
	ipv6_mcast_mac(s->ll_sol, m);
	if (memcmp(m, mac, 6) == 0)
		return true;
	ipv6_mcast_mac(s->addr_sol, m);
	return s->have_addr && memcmp(m, mac, 6) == 0;
}

bool ipv6_on_link(const struct stack *st, const uint8_t a[16])
{
	const struct ipv6_state *s = st->ipv6;
	if (ipv6_is_link_local(a))
		return true;
	if (!s->have_addr)
		return false;
	unsigned plen = st->cfg.ip6_prefix_len > 128 ? 128 : st->cfg.ip6_prefix_len;
	unsigned full = plen / 8, rest = plen % 8;
	if (memcmp(a, s->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00 >> rest);
	return (a[full] & mask) == (s->addr[full] & mask);
}

int ipv6_select_source(const struct stack *st, const uint8_t dst[16], uint8_t src[16])
{
	const struct ipv6_state *s = st->ipv6;
	/* RFC 6724 §5 rule 2: prefer the source of the destination's scope.
	 * Link-local unicast and link- or interface-scope multicast (ff01::,
	 * ff02::) get the link-local address. */
	bool link_scope =
	    ipv6_is_link_local(dst) || (ipv6_is_multicast(dst) && (dst[1] & 0x0f) <= 2);
	if (link_scope) {
		if (s->ll_state != IPV6_ADDR_PREFERRED)
			return -EADDRNOTAVAIL;
		memcpy(src, s->ll, 16);
		return 0;
	}
	if (!s->have_addr || s->addr_state != IPV6_ADDR_PREFERRED)
		return -EADDRNOTAVAIL;
	memcpy(src, s->addr, 16);
	return 0;
}

/* ---- input ---- */

void ipv6_input(struct stack *st, struct ts_buf *b)
{
	struct ipv6_view v;
	struct ipv6_ext x;
	enum ts_drop_reason r;

	ts_count(st, CTR_IPV6_RX);
	if ((r = ipv6_parse(b->data, ts_buf_len(b), &v)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	/* RFC 4291 §2.7: multicast addresses must not be used as sources. */
	if (ipv6_is_multicast(v.src)) {
		ts_drop(st, b, DROP_IPV6_BAD_SRC);
		return;
	}
	bool mcast = ipv6_is_multicast(v.dst);
	if (mcast ? !ipv6_is_our_group(st, v.dst) : !ipv6_is_ours(st, v.dst)) {
		ts_drop(st, b, DROP_IPV6_NOT_FOR_US);
		return;
	}
	ts_buf_trim(b, IPV6_HDR_LEN + (size_t)v.payload_len); /* Ethernet padding */
	b->network = b->data;
	b->src.af = AF_INET6;
	memcpy(b->src.v6, v.src, 16);
	b->dst.af = AF_INET6;
	memcpy(b->dst.v6, v.dst, 16);
	if ((r = ipv6_walk_ext(b->data, ts_buf_len(b), mcast, &x)) != DROP_NONE) {
		if (x.send_icmp)
			icmp6_send_param_problem(st, b, x.icmp_code, x.icmp_ptr);
		ts_drop(st, b, r);
		return;
	}
	b->ip_proto = x.proto;
	switch (x.proto) {
	case IPV6_NH_ICMPV6:
	case IPV6_NH_TCP:
	case IPV6_NH_UDP:
		/* The same transports as IPv4's, with b->src and b->dst of
		 * this family (RFC 8200 §8.1's pseudo-header via ip.h). */
		b->transport = ts_buf_pull(b, x.off);
		ts_count(st, CTR_IPV6_DELIVERED);
		if (x.proto == IPV6_NH_TCP)
			tcp_input(st, b);
		else if (x.proto == IPV6_NH_UDP)
			udp_input(st, b);
		else
			icmp6_input(st, b);
		return;
	default:
		break;
	}
	/* RFC 8200 §4: an unrecognized Next Header is discarded with a
	 * parameter problem code 1 pointing at the field that named it. */
	icmp6_send_param_problem(st, b, ICMP6_PARAM_NEXT, x.nh_off);
	ts_drop(st, b, DROP_IPV6_UNKNOWN_PROTO);
}

/* ---- output ---- */

int ipv6_output(struct stack *st, struct ts_buf *b, const uint8_t *src, const uint8_t dst[16],
		uint8_t proto, const struct ip_tx_opts *opts)
{
	size_t len = ts_buf_len(b);
	uint8_t from[16];

	if (!ipv6_is_multicast(dst) && !ipv6_on_link(st, dst)) {
		/* No default router yet (router discovery is a later step). */
		ts_drop(st, b, DROP_IPV6_NO_ROUTE);
		return -ENETUNREACH;
	}
	/* A GSO datagram (TSO) is cut by the link into segments of gso_size,
	 * each of which fits: never too big for the MTU here. */
	bool gso = b->gso_type != NETDEV_GSO_NONE;
	if ((len + IPV6_HDR_LEN > st->cfg.mtu && !gso) || len > 0xffff) {
		ts_drop(st, b, DROP_IPV6_TOO_BIG);
		return -EMSGSIZE;
	}
	if (!src) {
		if (ipv6_select_source(st, dst, from) < 0) {
			ts_drop(st, b, DROP_IPV6_NO_ROUTE);
			return -EADDRNOTAVAIL;
		}
		src = from;
	}
	if (ts_buf_headroom(b) < IPV6_HDR_LEN + ETH_HDR_LEN) {
		ts_drop(st, b, DROP_LINK_TX_FAIL); /* caller forgot TS_BUF_HEADROOM */
		return -ENOBUFS;
	}
	struct ipv6_view v = {
	    .tclass = opts ? opts->tos : 0,
	    .payload_len = (uint16_t)len,
	    .next = proto,
	    .hop_limit = opts && opts->ttl ? opts->ttl : st->cfg.ttl,
	    .src = src,
	    .dst = dst,
	};
	b->network = ts_buf_push(b, IPV6_HDR_LEN);
	ipv6_build(b->network, &v);
	ts_count(st, CTR_IPV6_TX);
	if (ipv6_is_multicast(dst)) {
		uint8_t mac[6];
		ipv6_mcast_mac(b->network + IPV6_OFF_DST, mac);
		return eth_output(st, b, mac, ETH_TYPE_IPV6);
	}
	return nd6_resolve_and_send(st, b, b->network + IPV6_OFF_DST);
}
