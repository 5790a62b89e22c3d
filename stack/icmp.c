/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2).
 *
 * Receive: icmp_parse (view: length) → icmp_csum_ok (unless the link
 * validated the sum, netdev.h) → echo request answered in the received
 * buffer (type rewritten, checksum patched incrementally, same id, seq
 * and payload, RFC 792 "Echo or Echo Reply Message"), echo reply
 * handed to the ping handler; errors (destination unreachable, time
 * exceeded, parameter problem) checked, translated into a struct ip_err
 * (ip.h) and passed to the transport that sent the datagram they quote
 * (icmp_error_input); source quench ignored (RFC 6633); every other type is
 * counted and dropped.
 *
 * Send: icmp_send_dest_unreach (and icmp_send_time_exceeded, for
 * reassembly timeouts) quotes the offending datagram after the
 * RFC 1122 §3.2.2 checks and a token bucket (RFC 1812 §4.3.2.8);
 * icmp_echo_request serves `tapstack ping`.
 *
 * Read first: RFC 792, RFC 1122 §3.2.2 (which errors never to send),
 * RFC 1624 (incremental checksum update).
 */
#include "icmp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "ratelimit.h"
#include "stack.h"

struct icmp_state {
	icmp_echo_reply_fn echo_fn; /* tapstack ping's reply sink, or NULL */
	void *echo_ctx;
	struct ts_bucket err_bucket; /* RFC 1812 §4.3.2.8 (ratelimit.h) */
};

/* ---- view ---- */

enum ts_drop_reason icmp_parse(const uint8_t *p, size_t len, struct icmp_view *v)
{
	if (len < ICMP_HDR_LEN)
		return DROP_ICMP_TRUNCATED;
	v->type = p[ICMP_OFF_TYPE];
	v->code = p[ICMP_OFF_CODE];
	v->csum = get_be16(p + ICMP_OFF_CSUM);
	v->id = get_be16(p + ICMP_OFF_ID);
	v->seq = get_be16(p + ICMP_OFF_SEQ);
	v->data = p + ICMP_HDR_LEN;
	v->data_len = len - ICMP_HDR_LEN;
	return DROP_NONE;
}

bool icmp_csum_ok(const uint8_t *p, size_t len)
{
	/* RFC 792: the checksum covers the whole message. */
	return ts_csum_fold(ts_csum_partial(p, len, 0)) == 0;
}

int icmp_is_error(uint8_t type)
{
	/* RFC 1122 §3.2.2: errors are all but the query/informational types. */
	switch (type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM:
		return 1;
	default:
		return 0;
	}
}

void icmp_build_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, size_t data_len)
{
	p[ICMP_OFF_TYPE] = type;
	p[ICMP_OFF_CODE] = 0;
	put_be16(p + ICMP_OFF_CSUM, 0);
	put_be16(p + ICMP_OFF_ID, id);
	put_be16(p + ICMP_OFF_SEQ, seq);
	put_be16(p + ICMP_OFF_CSUM, ts_csum_fold(ts_csum_partial(p, ICMP_HDR_LEN + data_len, 0)));
}

/* ---- input ---- */

/*
 * Answers the echo request at b->data in place and sends it back.
 * Only the type changes, so the checksum is patched with RFC 1624 eqn. 3,
 * HC' = ~(~HC + ~m + m'), instead of summing up to 65507 octets again.
 */
static void icmp_echo_reply_in_place(struct stack *st, struct ts_buf *b)
{
	uint8_t *p = b->data;
	uint16_t old_word = get_be16(p), hc = get_be16(p + ICMP_OFF_CSUM);
	p[ICMP_OFF_TYPE] = ICMP_ECHO_REPLY;
	uint16_t new_word = get_be16(p);
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~old_word + new_word;
	uint16_t csum = ts_csum_fold(sum);
	/* A request its sender left PARTIAL holds no checksum to patch. */
	if (csum == 0 || b->csum == NETDEV_CSUM_PARTIAL) {
		/* Eqn. 3 cannot tell the two zeros apart: 0x0000 may stand for
		 * 0xffff (an all-zero reply sums to +0, whose complement is
		 * 0xffff).  Rare, so settle it with a full sum. */
		put_be16(p + ICMP_OFF_CSUM, 0);
		csum = ts_csum_fold(ts_csum_partial(p, ts_buf_len(b), 0));
	}
	put_be16(p + ICMP_OFF_CSUM, csum);
	ts_buf_meta_reset(b);	/* the request's metadata is not the reply's */
	ts_rx_delivered(st, b); /* the request ends here; the buffer lives on as the reply */
	ts_count(st, CTR_ICMP_TX);
	ts_count(st, CTR_ICMP_ECHO_REPLIES_SENT);
	/* Our address as the source: the request was to it (broadcasts were
	 * refused), RFC 1122 §3.2.2.6. */
	ipv4_output(st, b, b->dst.v4, b->src.v4, IPV4_PROTO_ICMP);
}

/*
 * Destination unreachable codes as errno and hard/soft (Linux
 * icmp_err_convert, net/ipv4/icmp.c): RFC 1122 §4.2.3.9 counts protocol
 * and port unreachable as hard; Linux adds the "unknown", isolated and
 * prohibited codes.  Code 4 (fragmentation needed) is path MTU discovery's.
 */
static const struct {
	int err;
	bool hard;
} unreach_err[16] = {
    {ENETUNREACH, false},  /* 0 net unreachable */
    {EHOSTUNREACH, false}, /* 1 host unreachable */
    {ENOPROTOOPT, true},   /* 2 protocol unreachable */
    {ECONNREFUSED, true},  /* 3 port unreachable */
    {EMSGSIZE, false},	   /* 4 fragmentation needed and DF set */
    {EOPNOTSUPP, false},   /* 5 source route failed */
    {ENETUNREACH, true},   /* 6 destination network unknown */
    {EHOSTDOWN, true},	   /* 7 destination host unknown */
    {ENONET, true},	   /* 8 source host isolated */
    {ENETUNREACH, true},   /* 9 network administratively prohibited */
    {EHOSTUNREACH, true},  /* 10 host administratively prohibited */
    {ENETUNREACH, false},  /* 11 network unreachable for TOS */
    {EHOSTUNREACH, false}, /* 12 host unreachable for TOS */
    {EHOSTUNREACH, true},  /* 13 communication administratively prohibited (RFC 1812) */
    {EHOSTUNREACH, true},  /* 14 host precedence violation */
    {EHOSTUNREACH, true},  /* 15 precedence cutoff in effect */
};

/*
 * An error message (destination unreachable, time exceeded, parameter
 * problem, source quench) at b->data: checks what it quotes (RFC 792: the
 * datagram's header and its first 64 bits; RFC 1122 §3.2.2: no errors to
 * broadcasts), translates it into the family-neutral struct ip_err and
 * passes it to the transport that sent the datagram (ip_err_input).  The
 * message's frame ends delivered when the transport acted on it, else under
 * the reason it gives.  Consumes b.
 */
static void icmp_error_input(struct stack *st, struct ts_buf *b, const struct icmp_view *v)
{
	ts_count(st, CTR_ICMP_ERRORS_RX);
	/* Linux icmp_rcv: only echo and timestamp requests are taken from a
	 * broadcast; an error to one is someone's mistake or an attack. */
	if (b->link_bcast || ipv4_is_broadcast(st, b->dst.v4)) {
		ts_drop(st, b, DROP_ICMP_ERR_BCAST);
		return;
	}
	if (v->type == ICMP_SOURCE_QUENCH) {
		/* RFC 6633 §1: hosts MUST silently ignore source quench. */
		ts_drop(st, b, DROP_ICMP_SOURCE_QUENCH);
		return;
	}
	struct ip_err e;
	memset(&e, 0, sizeof(e));
	e.type = v->type;
	e.code = v->code;
	e.from = b->src;
	switch (v->type) {
	case ICMP_DEST_UNREACH:
		if (v->code >= sizeof(unreach_err) / sizeof(unreach_err[0])) {
			ts_drop(st, b,
				DROP_ICMP_UNHANDLED_TYPE); /* Linux: code > NR_ICMP_UNREACH */
			return;
		}
		e.kind = v->code == ICMP_UNREACH_NEEDFRAG ? IP_ERR_PKT_TOO_BIG : IP_ERR_UNREACH;
		e.err = unreach_err[v->code].err;
		e.hard = unreach_err[v->code].hard;
		/* RFC 1191 §4: the next-hop MTU in the low 16 bits of the
		 * "unused" field; 0 from a router that predates it. */
		if (e.kind == IP_ERR_PKT_TOO_BIG)
			e.mtu = v->seq;
		break;
	case ICMP_TIME_EXCEEDED:
		e.kind = IP_ERR_TIME_EXCEEDED;
		e.err = EHOSTUNREACH; /* tcp_v4_err, __udp4_lib_err: soft */
		break;
	default: /* ICMP_PARAM_PROBLEM */
		e.kind = IP_ERR_PARAM_PROBLEM;
		e.err = EPROTO;
		e.hard = true; /* __udp4_lib_err's harderr */
		break;
	}
	/* The quote: an IPv4 header from us, and 8 octets of its transport. */
	const uint8_t *q = v->data;
	size_t qlen = v->data_len, ihl = qlen ? (size_t)(q[IPV4_OFF_VER_IHL] & 0xf) * 4 : 0;
	if (qlen < IPV4_HDR_LEN || q[IPV4_OFF_VER_IHL] >> 4 != 4 || ihl < IPV4_HDR_LEN ||
	    qlen < ihl + 8 || (get_be16(q + IPV4_OFF_FRAG) & IPV4_FRAG_MASK)) {
		ts_drop(st, b, DROP_ICMP_ERR_BAD_QUOTE);
		return;
	}
	e.src = ip_addr_v4(get_be32(q + IPV4_OFF_SRC));
	e.dst = ip_addr_v4(get_be32(q + IPV4_OFF_DST));
	if (!ip_addr_is_ours(st, &e.src)) {
		ts_drop(st, b, DROP_ICMP_ERR_NOT_OURS);
		return;
	}
	e.proto = q[IPV4_OFF_PROTO];
	e.quoted_len = get_be16(q + IPV4_OFF_TOTLEN);
	e.quote = q + ihl;
	e.quote_len = qlen - ihl;
	enum ts_drop_reason r = ip_err_input(st, &e);
	if (r != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	ts_count(st, CTR_ICMP_ERRORS_DELIVERED);
	ts_buf_consume(st, b);
}

/* Handles one ICMP message at b->data; consumes b. */
void icmp_input(struct stack *st, struct ts_buf *b)
{
	struct icmp_view v;
	enum ts_drop_reason r;

	ts_count(st, CTR_ICMP_RX);
	if ((r = icmp_parse(b->data, ts_buf_len(b), &v)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	/* Not summed again when the link validated it or a local sender left
	 * it partial (netdev.h). */
	if (!ts_buf_csum_trusted(b) && !icmp_csum_ok(b->data, ts_buf_len(b))) {
		ts_drop(st, b, DROP_ICMP_BAD_CSUM);
		return;
	}
	switch (v.type) {
	case ICMP_ECHO_REQUEST:
		/* RFC 1122 §3.2.2.6: an echo to a broadcast MAY be silently discarded
		 * (smurf amplification). */
		if (b->link_bcast || ipv4_is_broadcast(st, b->dst.v4)) {
			ts_drop(st, b, DROP_ICMP_BCAST_ECHO);
			return;
		}
		icmp_echo_reply_in_place(st, b);
		return;
	case ICMP_ECHO_REPLY:
		if (st->icmp->echo_fn) {
			st->icmp->echo_fn(st->icmp->echo_ctx, b->src.v4, v.id, v.seq, v.data,
					  v.data_len, b->network[IPV4_OFF_TTL]);
			ts_buf_consume(st, b);
			return;
		}
		break;
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAM_PROBLEM:
		icmp_error_input(st, b, &v);
		return;
	default:
		break;
	}
	ts_drop(st, b, DROP_ICMP_UNHANDLED_TYPE);
}

/* ---- output ---- */

/* cfg.icmp_err_rate errors per second, cfg.icmp_err_burst at once
 * (ratelimit.h).  Returns 1 when a message may go (and takes it). */
static int icmp_err_allowed(struct stack *st)
{
	return ts_bucket_take(&st->icmp->err_bucket, st->cfg.icmp_err_rate, st->cfg.icmp_err_burst,
			      st->now_us);
}

/*
 * Sends the error (type, code) about the datagram whose IPv4 header is at
 * orig->network and which ends at orig->tail, after the RFC 1122 §3.2.2
 * checks and the rate limit.  Does not consume orig.
 */
static void icmp_send_error(struct stack *st, const struct ts_buf *orig, uint8_t type, uint8_t code)
{
	const uint8_t *ip = orig->network;
	if (!ip || orig->tail < ip + IPV4_HDR_LEN)
		return;
	size_t avail = (size_t)(orig->tail - ip),
	       hdr_len = (size_t)(ip[IPV4_OFF_VER_IHL] & 0xf) * 4;
	uint32_t src = get_be32(ip + IPV4_OFF_SRC), dst = get_be32(ip + IPV4_OFF_DST);

	/* RFC 1122 §3.2.2: never about a non-initial fragment ... */
	if (get_be16(ip + IPV4_OFF_FRAG) & IPV4_FRAG_MASK) {
		ts_drop(st, NULL, DROP_ICMP_NO_ERROR_FOR_FRAGMENT);
		return;
	}
	/* ... a link or IP broadcast/multicast, a source that is not one host,
	 * or an ICMP error. */
	if (orig->link_bcast || ipv4_is_broadcast(st, dst) || (dst >> 28) == 0xe || src == 0 ||
	    ipv4_is_broadcast(st, src) || (src >> 28) == 0xe ||
	    (ip[IPV4_OFF_PROTO] == IPV4_PROTO_ICMP && avail > hdr_len &&
	     icmp_is_error(ip[hdr_len]))) {
		ts_drop(st, NULL, DROP_ICMP_NO_ERROR_FOR_ERROR);
		return;
	}
	if (!icmp_err_allowed(st)) {
		ts_drop(st, NULL, DROP_ICMP_RATE_LIMITED);
		return;
	}
	size_t quote = avail < ICMP_ERR_QUOTE_MAX ? avail : ICMP_ERR_QUOTE_MAX;
	struct ts_buf *b = ts_buf_alloc(st, ICMP_HDR_LEN + quote, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(b, ICMP_HDR_LEN + quote);
	p[ICMP_OFF_TYPE] = type;
	p[ICMP_OFF_CODE] = code;
	memset(p + ICMP_OFF_CSUM, 0, 6); /* checksum, then "unused" (RFC 792) */
	memcpy(p + ICMP_HDR_LEN, ip, quote);
	put_be16(p + ICMP_OFF_CSUM, ts_csum_fold(ts_csum_partial(p, ICMP_HDR_LEN + quote, 0)));
	ts_count(st, CTR_ICMP_TX);
	ts_count(st,
		 type == ICMP_DEST_UNREACH ? CTR_ICMP_UNREACH_SENT : CTR_ICMP_TIME_EXCEEDED_SENT);
	ipv4_output(st, b, dst, src, IPV4_PROTO_ICMP);
}

void icmp_send_dest_unreach(struct stack *st, const struct ts_buf *orig, uint8_t code)
{
	icmp_send_error(st, orig, ICMP_DEST_UNREACH, code);
}

void icmp_send_time_exceeded(struct stack *st, const struct ts_buf *orig, uint8_t code)
{
	icmp_send_error(st, orig, ICMP_TIME_EXCEEDED, code);
}

int icmp_echo_request(struct stack *st, uint32_t dst, uint16_t id, uint16_t seq,
		      const uint8_t *data, size_t len)
{
	if (len > IPV4_MAX_DATAGRAM - IPV4_HDR_LEN - ICMP_HDR_LEN)
		return -EMSGSIZE;
	struct ts_buf *b = ts_buf_alloc(st, ICMP_HDR_LEN + len, TS_BUF_HEADROOM);
	if (!b)
		return -ENOBUFS;
	uint8_t *p = ts_buf_put(b, ICMP_HDR_LEN + len);
	if (len)
		memcpy(p + ICMP_HDR_LEN, data, len);
	icmp_build_echo(p, ICMP_ECHO_REQUEST, id, seq, len);
	ts_count(st, CTR_ICMP_TX);
	return ipv4_output(st, b, 0, dst, IPV4_PROTO_ICMP);
}

void icmp_set_echo_handler(struct stack *st, icmp_echo_reply_fn fn, void *ctx)
{
	st->icmp->echo_fn = fn;
	st->icmp->echo_ctx = ctx;
}

int icmp_init(struct stack *st)
{
	st->icmp = calloc(1, sizeof(*st->icmp));
	if (!st->icmp)
		return -ENOMEM;
	ts_bucket_init(&st->icmp->err_bucket, st->cfg.icmp_err_burst, st->now_us);
	return 0;
}

void icmp_destroy(struct stack *st)
{
	free(st->icmp);
	st->icmp = NULL;
}
