/*
 * icmp6.c - ICMPv6 (RFC 4443).
 *
 * Receive: icmp6_parse (view: length) → checksum over the pseudo-header
 * (RFC 4443 §2.3, RFC 8200 §8.1; skipped when the link validated it) →
 * echo request answered in the received buffer (type 129, same
 * identifier, sequence and data, §4.2; from the address it was sent to, or
 * for a multicast request from our address of the sender's scope) →
 * echo replies to the handler tapstack ping installed (else dropped) →
 * neighbour solicitations and advertisements to nd6.c → the rest counted
 * and dropped under named reasons: MLD (we answer no queries yet), router
 * messages (we neither route nor autoconfigure yet), unknown informational
 * types (§2.4 (b): MUST be silently discarded).  Errors (types 0..127)
 * reach the transport that sent what they quote (icmp6_error_input, §3,
 * RFC 8201 for packet too big).
 *
 * Send: icmp6_echo_request (tapstack ping, §4.1), and the errors
 * (icmp6_send_param_problem, _dest_unreach, _time_exceeded for a
 * reassembly timeout) after the §2.4 (e) checks (never about
 * an error, nor to a multicast destination except for an option whose type
 * asks for it, nor to an unspecified or multicast source) and a token
 * bucket (§2.4 (f)) sized like ICMPv4's (cfg.icmp_err_rate, _burst).
 *
 * Read first: RFC 4443 §2 (rules), §3.4 (parameter problem), §4 (echo).
 */
#include "icmp6.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv6.h"
#include "nd6.h"
#include "rd6.h"
#include "ratelimit.h"
#include "stack.h"

struct icmp6_state {
	struct ts_bucket err_bucket; /* §2.4 (f) (ratelimit.h) */
	icmp6_echo_reply_fn echo_fn; /* tapstack ping's reply sink, or NULL */
	void *echo_ctx;
};

/* ---- view ---- */

enum ts_drop_reason icmp6_parse(const uint8_t *p, size_t len, struct icmp6_view *v)
{
	if (len < ICMP6_HDR_LEN)
		return DROP_ICMP6_TRUNCATED;
	v->type = p[ICMP6_OFF_TYPE];
	v->code = p[ICMP6_OFF_CODE];
	v->csum = get_be16(p + ICMP6_OFF_CSUM);
	v->body = p + ICMP6_HDR_LEN;
	v->body_len = len - ICMP6_HDR_LEN;
	return DROP_NONE;
}

uint16_t icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *p, size_t len)
{
	/* RFC 4443 §2.3: unlike ICMPv4's, the sum covers the IPv6
	 * pseudo-header (RFC 8200 §8.1) with Next Header 58. */
	struct ip_addr s = {.af = AF_INET6}, d = {.af = AF_INET6};
	memcpy(s.v6, src, 16);
	memcpy(d.v6, dst, 16);
	uint32_t sum = ip_csum_pseudo(&s, &d, IPV6_NH_ICMPV6, (uint32_t)len);
	return ts_csum_fold(ts_csum_partial(p, len, sum));
}

int icmp6_init(struct stack *st)
{
	st->icmp6 = calloc(1, sizeof(*st->icmp6));
	if (!st->icmp6)
		return -ENOMEM;
	ts_bucket_init(&st->icmp6->err_bucket, st->cfg.icmp_err_burst, st->now_us);
	return 0;
}

void icmp6_destroy(struct stack *st)
{
	free(st->icmp6);
	st->icmp6 = NULL;
}

/* ---- input ---- */

/*
 * RFC 4443 §4.2: the reply carries the request's identifier, sequence
 * number and data; its source is the request's destination when that was
 * one of our unicast addresses, else (a multicast request) one of ours
 * chosen for the requester.  The buffer is reused; the checksum is summed
 * again because the pseudo-header may change with the source.
 */
static void icmp6_echo_reply(struct stack *st, struct ts_buf *b)
{
	uint8_t src[16], dst[16];
	memcpy(dst, b->src.v6, 16);
	if (ipv6_is_unspecified(dst)) {
		ts_drop(st, b, DROP_IPV6_BAD_SRC); /* nowhere to answer */
		return;
	}
	if (ipv6_is_multicast(b->dst.v6)) {
		if (ipv6_select_source(st, dst, src) < 0) {
			ts_drop(st, b, DROP_IPV6_NO_ROUTE);
			return;
		}
	} else {
		memcpy(src, b->dst.v6, 16);
	}
	uint8_t *p = b->data;
	p[ICMP6_OFF_TYPE] = ICMP6_ECHO_REPLY;
	put_be16(p + ICMP6_OFF_CSUM, 0);
	put_be16(p + ICMP6_OFF_CSUM, icmp6_csum(src, dst, p, ts_buf_len(b)));
	ts_buf_meta_reset(b);	/* the request's metadata is not the reply's */
	ts_rx_delivered(st, b); /* the request ends here; the buffer lives on as the reply */
	ts_count(st, CTR_ICMP6_TX);
	ts_count(st, CTR_ICMP6_ECHO_REPLIES_SENT);
	ipv6_output(st, b, src, dst, IPV6_NH_ICMPV6, NULL);
}

/* ---- errors (RFC 4443 §2.4 (a), §3; RFC 8201) ---- */

/*
 * Destination unreachable codes (RFC 4443 §3.1) as errno and hard/soft:
 * Linux's tab_unreach in icmpv6_err_convert (net/ipv6/icmp.c), "fatal"
 * being our hard.  Port unreachable and the policy codes are hard; no
 * route, scope and address unreachable soft (a route may come back).
 */
static const struct {
	int err;
	bool hard;
} unreach6_err[] = {
    {ENETUNREACH, false},  /* 0 no route to destination */
    {EACCES, true},	   /* 1 communication administratively prohibited */
    {EHOSTUNREACH, false}, /* 2 beyond scope of source address (Linux: was NOT_NEIGHBOUR) */
    {EHOSTUNREACH, false}, /* 3 address unreachable */
    {ECONNREFUSED, true},  /* 4 port unreachable */
    {EACCES, true},	   /* 5 source address failed ingress/egress policy */
    {EACCES, true},	   /* 6 reject route to destination */
};

/*
 * The upper layer of the datagram quoted at q (qlen octets, cut anywhere:
 * §2.4 (c) keeps at most 1232): its protocol and offset past the extension
 * headers, each bounded by the quote.  Not ipv6_walk_ext: that one judges
 * a received datagram's options and fragments; this one is our own and
 * only needs finding, a first fragment included (Linux ipv6_skip_exthdr).
 * Every step moves 8 octets or more, so it ends.
 */
static enum ts_drop_reason icmp6_quote_walk(const uint8_t *q, size_t qlen, uint8_t *proto,
					    size_t *off)
{
	uint8_t nh = q[IPV6_OFF_NEXT];
	size_t o = IPV6_HDR_LEN;
	for (;;) {
		size_t hlen;
		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_DSTOPTS:
		case IPV6_NH_ROUTING:
			if (o + 8 > qlen)
				return DROP_ICMP6_ERR_BAD_QUOTE;
			hlen = ((size_t)q[o + 1] + 1) * 8; /* RFC 8200 §4.3, §4.4, §4.6 */
			break;
		case IPV6_NH_FRAGMENT:
			if (o + 8 > qlen)
				return DROP_ICMP6_ERR_BAD_QUOTE;
			/* RFC 8200 §4.5: only the first fragment (offset 0)
			 * holds the upper-layer header the match needs. */
			if (get_be16(q + o + 2) & 0xfff8)
				return DROP_ICMP6_ERR_FRAGMENT;
			hlen = 8;
			break;
		default:
			*proto = nh;
			*off = o;
			return DROP_NONE;
		}
		nh = q[o];
		o += hlen;
	}
}

/*
 * An error message (types 0..127, RFC 4443 §2.1) at b->data: checks what it
 * quotes (§2.4 (c): the invoking packet's IPv6 header, from one of our
 * addresses, and past its extension headers 8 octets of the upper layer,
 * enough for the ports and TCP's sequence number), translates it into
 * struct ip_err as icmpv6_err_convert does and passes it to the transport
 * that sent the datagram (ip_err_input, the contract in ip.h).  The frame
 * ends delivered when the transport acted on it, else under the reason it
 * gives.  Consumes b.
 */
static void icmp6_error_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v)
{
	ts_count(st, CTR_ICMP6_ERRORS_RX);
	/* An error goes to the source of the packet it is about (§2.2),
	 * which names one node (§2.4 (e.6) sends none about a multicast
	 * source): one to a group is someone's mistake or an attack (the
	 * check ICMPv4 makes for broadcasts, Linux icmp_rcv). */
	if (ipv6_is_multicast(b->dst.v6)) {
		ts_drop(st, b, DROP_ICMP6_ERR_MCAST);
		return;
	}
	/* §3: 4 octets of MTU, pointer or unused, then the quote. */
	if (v->body_len < 4 + IPV6_HDR_LEN) {
		ts_drop(st, b, DROP_ICMP6_ERR_BAD_QUOTE);
		return;
	}
	uint32_t param = get_be32(v->body);
	struct ip_err e;
	memset(&e, 0, sizeof(e));
	e.type = v->type;
	e.code = v->code;
	e.from = b->src;
	switch (v->type) {
	case ICMP6_DEST_UNREACH:
		/* Linux makes codes past its table EPROTO and fatal; like
		 * ICMPv4's past 15 (icmp_unreach) we take no action on a code
		 * we cannot name. */
		if (v->code >= sizeof(unreach6_err) / sizeof(unreach6_err[0])) {
			ts_drop(st, b, DROP_ICMP6_ERR_UNKNOWN_CODE);
			return;
		}
		e.kind = IP_ERR_UNREACH;
		e.err = unreach6_err[v->code].err;
		e.hard = unreach6_err[v->code].hard;
		break;
	case ICMP6_PACKET_TOO_BIG:
		/* §3.2: the code is ignored.  RFC 8201 §4: never an estimate
		 * below the minimum link MTU; RFC 8021 retired the atomic
		 * fragments once sent instead, so 1280 it is (__udp6_lib_err's
		 * route update raises it the same; tcp_v6_err ignores such a
		 * message outright). */
		e.kind = IP_ERR_PKT_TOO_BIG;
		e.err = EMSGSIZE;
		e.mtu = param < IPV6_MIN_MTU ? IPV6_MIN_MTU : param;
		break;
	case ICMP6_TIME_EXCEEDED:
		e.kind = IP_ERR_TIME_EXCEEDED;
		e.err = EHOSTUNREACH; /* soft */
		break;
	case ICMP6_PARAM_PROBLEM:
		e.kind = IP_ERR_PARAM_PROBLEM;
		e.err = EPROTO;
		e.hard = true;
		break;
	default:
		/* §2.4 (a): an unknown error type MUST be passed to the upper
		 * layer; icmpv6_err_convert makes it a soft EPROTO. */
		e.kind = IP_ERR_OTHER;
		e.err = EPROTO;
		break;
	}
	const uint8_t *q = v->body + 4;
	size_t qlen = v->body_len - 4, off = 0;
	if (q[IPV6_OFF_VER_TC_FLOW] >> 4 != 6) {
		ts_drop(st, b, DROP_ICMP6_ERR_BAD_QUOTE);
		return;
	}
	e.src = ip_addr_v6(q + IPV6_OFF_SRC);
	e.dst = ip_addr_v6(q + IPV6_OFF_DST);
	if (!ip_addr_is_ours(st, &e.src)) {
		ts_drop(st, b, DROP_ICMP6_ERR_NOT_OURS);
		return;
	}
	enum ts_drop_reason r = icmp6_quote_walk(q, qlen, &e.proto, &off);
	if (r == DROP_NONE && qlen < off + 8)
		r = DROP_ICMP6_ERR_BAD_QUOTE; /* the ports, TCP's sequence number */
	if (r != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	e.quoted_len = IPV6_HDR_LEN + (uint32_t)get_be16(q + IPV6_OFF_PLEN);
	e.quote = q + off;
	e.quote_len = qlen - off;
	if ((r = ip_err_input(st, &e)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	ts_count(st, CTR_ICMP6_ERRORS_DELIVERED);
	ts_buf_consume(st, b);
}

void icmp6_input(struct stack *st, struct ts_buf *b)
{
	struct icmp6_view v;
	enum ts_drop_reason r;

	ts_count(st, CTR_ICMP6_RX);
	if ((r = icmp6_parse(b->data, ts_buf_len(b), &v)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	/* RFC 4443 §2.4 (a)..: a message whose checksum fails is discarded
	 * (§2.3 makes the sum mandatory).  A link that checked it says so;
	 * a PARTIAL one was never summed (it comes from a local sender). */
	if (b->csum == NETDEV_CSUM_NONE &&
	    icmp6_csum(b->src.v6, b->dst.v6, b->data, ts_buf_len(b)) != 0) {
		ts_drop(st, b, DROP_ICMP6_BAD_CSUM);
		return;
	}
	switch (v.type) {
	case ICMP6_ECHO_REQUEST:
		if (v.body_len < 4) { /* identifier and sequence number */
			ts_drop(st, b, DROP_ICMP6_TRUNCATED);
			return;
		}
		icmp6_echo_reply(st, b);
		return;
	case ICMP6_ECHO_REPLY:
		if (v.body_len < 4) { /* identifier and sequence number (§4.2) */
			ts_drop(st, b, DROP_ICMP6_TRUNCATED);
			return;
		}
		/* To tapstack ping, which matches identifier and sequence;
		 * with no pinger the reply answers nothing we asked. */
		if (!st->icmp6->echo_fn) {
			ts_drop(st, b, DROP_ICMP6_ECHO_REPLY_UNHANDLED);
			return;
		}
		st->icmp6->echo_fn(st->icmp6->echo_ctx, b->src.v6, get_be16(v.body),
				   get_be16(v.body + 2), v.body + 4, v.body_len - 4,
				   b->network[IPV6_OFF_HOPS]);
		ts_buf_consume(st, b);
		return;
	case ICMP6_NEIGHBOR_SOLICIT:
		nd6_ns_input(st, b, &v);
		return;
	case ICMP6_NEIGHBOR_ADVERT:
		nd6_na_input(st, b, &v);
		return;
	case ICMP6_MLD_QUERY:
	case ICMP6_MLD_REPORT:
	case ICMP6_MLD_DONE:
	case ICMP6_MLD2_REPORT:
		ts_drop(st, b, DROP_ICMP6_MLD_IGNORED);
		return;
	case ICMP6_ROUTER_ADVERT:
		rd6_ra_input(st, b, &v);
		return;
	case ICMP6_ROUTER_SOLICIT: /* §6.2.6: for routers only */
	case ICMP6_REDIRECT:	   /* not followed (docs/ipv6.md) */
		ts_drop(st, b, DROP_ICMP6_ROUTER_IGNORED);
		return;
	case ICMP6_DEST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROBLEM:
		icmp6_error_input(st, b, &v);
		return;
	default:
		/* §2.4 (a): errors of any type go to the upper layer; (b)
		 * unknown informational messages MUST be silently discarded. */
		if (v.type < 128)
			icmp6_error_input(st, b, &v);
		else
			ts_drop(st, b, DROP_ICMP6_UNKNOWN_INFO);
		return;
	}
}

/* ---- output ---- */

bool icmp6_err_allowed(struct stack *st)
{
	return ts_bucket_take(&st->icmp6->err_bucket, st->cfg.icmp_err_rate, st->cfg.icmp_err_burst,
			      st->now_us);
}

/*
 * An error message (RFC 4443 §2.1, §3, §4) about the datagram orig, its
 * 32-bit parameter after the checksum (a pointer, an MTU, or unused 0),
 * quoting as much of orig as fits the minimum MTU (§2.4 (c)).
 */
static void icmp6_send_error(struct stack *st, const struct ts_buf *orig, uint8_t type,
			     uint8_t code, uint32_t param, enum ts_counter sent)
{
	const uint8_t *ip = orig->network;
	size_t avail = (size_t)(orig->tail - ip);
	const uint8_t *osrc = ip + IPV6_OFF_SRC, *odst = ip + IPV6_OFF_DST;

	/* RFC 4443 §2.4 (e): never about an ICMPv6 error (1), nor (3, 4)
	 * about a packet to a multicast address (packet too big and the
	 * option code 2 with type bits 10 excepted: the walk asks only then),
	 * nor (6) about one whose source does not name a single node. */
	bool about_error =
	    ip[IPV6_OFF_NEXT] == IPV6_NH_ICMPV6 && avail > IPV6_HDR_LEN && ip[IPV6_HDR_LEN] < 128;
	bool mcast_ok = type == ICMP6_PACKET_TOO_BIG ||
			(type == ICMP6_PARAM_PROBLEM && code == ICMP6_PARAM_OPTION);
	if (about_error || ipv6_is_unspecified(osrc) || ipv6_is_multicast(osrc) ||
	    (ipv6_is_multicast(odst) && !mcast_ok)) {
		ts_drop(st, NULL, DROP_ICMP6_NO_ERROR_FOR);
		return;
	}
	if (!icmp6_err_allowed(st)) {
		ts_drop(st, NULL, DROP_ICMP6_RATE_LIMITED);
		return;
	}
	uint8_t src[16], dst[16];
	memcpy(dst, osrc, 16);
	/* §2.2: from the address the packet was sent to when it is ours. */
	if (ipv6_is_ours(st, odst))
		memcpy(src, odst, 16);
	else if (ipv6_select_source(st, dst, src) < 0)
		return;
	size_t quote = avail < ICMP6_ERR_QUOTE_MAX ? avail : ICMP6_ERR_QUOTE_MAX;
	struct ts_buf *b = ts_buf_alloc(st, 8 + quote, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, 8 + quote);
	p[ICMP6_OFF_TYPE] = type;
	p[ICMP6_OFF_CODE] = code;
	put_be16(p + ICMP6_OFF_CSUM, 0);
	put_be32(p + 4, param);
	memcpy(p + 8, ip, quote);
	put_be16(p + ICMP6_OFF_CSUM, icmp6_csum(src, dst, p, 8 + quote));
	ts_count(st, CTR_ICMP6_TX);
	ts_count(st, sent);
	ipv6_output(st, b, src, dst, IPV6_NH_ICMPV6, NULL);
}

void icmp6_send_param_problem(struct stack *st, const struct ts_buf *orig, uint8_t code,
			      uint32_t pointer)
{
	icmp6_send_error(st, orig, ICMP6_PARAM_PROBLEM, code, pointer, CTR_ICMP6_PARAM_PROB_SENT);
}

void icmp6_send_dest_unreach(struct stack *st, const struct ts_buf *orig, uint8_t code)
{
	icmp6_send_error(st, orig, ICMP6_DEST_UNREACH, code, 0, CTR_ICMP6_DEST_UNREACH_SENT);
}

void icmp6_send_time_exceeded(struct stack *st, const struct ts_buf *orig, uint8_t code)
{
	icmp6_send_error(st, orig, ICMP6_TIME_EXCEEDED, code, 0, CTR_ICMP6_TIME_EXCEEDED_SENT);
}

/*
 * RFC 4443 §4.1: type 128, code 0, identifier and sequence number, then
 * the data; the source is the one selected for dst (RFC 6724 through
 * ipv6_select_source), and the checksum covers the pseudo-header with it.
 */
int icmp6_echo_request(struct stack *st, const uint8_t dst[16], uint16_t id, uint16_t seq,
		       const uint8_t *data, size_t len)
{
	if (len > ICMP6_ECHO_DATA_MAX)
		return -EMSGSIZE;
	uint8_t src[16];
	if (ipv6_select_source(st, dst, src) < 0)
		return -EADDRNOTAVAIL;
	struct ts_buf *b = ts_buf_alloc(st, ICMP6_ECHO_HDR_LEN + len, TS_BUF_HEADROOM);
	if (!b)
		return -ENOBUFS;
	uint8_t *p = ts_buf_put(b, ICMP6_ECHO_HDR_LEN + len);
	p[ICMP6_OFF_TYPE] = ICMP6_ECHO_REQUEST;
	p[ICMP6_OFF_CODE] = 0;
	put_be16(p + ICMP6_OFF_CSUM, 0);
	put_be16(p + ICMP6_OFF_ID, id);
	put_be16(p + ICMP6_OFF_SEQ, seq);
	if (len)
		memcpy(p + ICMP6_ECHO_HDR_LEN, data, len);
	put_be16(p + ICMP6_OFF_CSUM, icmp6_csum(src, dst, p, ICMP6_ECHO_HDR_LEN + len));
	ts_count(st, CTR_ICMP6_TX);
	return ipv6_output(st, b, src, dst, IPV6_NH_ICMPV6, NULL);
}

void icmp6_set_echo_handler(struct stack *st, icmp6_echo_reply_fn fn, void *ctx)
{
	st->icmp6->echo_fn = fn;
	st->icmp6->echo_ctx = ctx;
}
