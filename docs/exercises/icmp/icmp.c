/*
 * icmp.c - ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): YOUR VERSION (exercise
 * "icmp", docs/exercises/icmp/README.md).  `make exercise NAME=icmp` builds
 * the stack with this file in place of stack/icmp.c and checks it.
 *
 * Yours to write (TODO below): the view (icmp_parse, icmp_csum_ok),
 * icmp_build_echo, the input path (icmp_input, the echo reply built in
 * place with an incremental checksum, icmp_echo_reply_in_place, and the
 * errors received, icmp_error_input: checked and passed to the socket that
 * caused them) and the errors sent (icmp_send_error).  Given:
 * icmp_is_error, the table of unreachable codes (unreach_err), the token
 * bucket (icmp_err_allowed), icmp_echo_request, the handler and the life
 * cycle.  icmp.h specifies every function; ip.h struct ip_err and
 * ip_err_input what the transports are given.
 *
 * What the reference does, for orientation:
 *
 * Receive: icmp_parse (view: length) → icmp_csum_ok (unless the link
 * validated the sum, netdev.h) → echo request answered in the received
 * buffer (type rewritten, checksum patched incrementally, same id, seq
 * and payload, RFC 792 "Echo or Echo Reply Message"), echo reply handed
 * to the ping handler; errors (destination unreachable, time exceeded,
 * parameter problem) checked, translated into a struct ip_err (ip.h) and
 * passed to the transport that sent the datagram they quote
 * (icmp_error_input); source quench ignored (RFC 6633); every other type
 * is counted and dropped.  Every received frame ends exactly once (stack.h,
 * "Accounting of received frames"): a named drop, or delivered.
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
	/*
	 * TODO (RFC 792): at least ICMP_HDR_LEN octets (else DROP_ICMP_TRUNCATED);
	 * type and code are octets, checksum, identifier and sequence number
	 * 16-bit big-endian words at the ICMP_OFF_* offsets (get_be16); the data
	 * follows the 8-octet header, to the end.
	 */
	(void)p;
	(void)len;
	(void)v;
	return DROP_ICMP_TRUNCATED;
}

bool icmp_csum_ok(const uint8_t *p, size_t len)
{
	/*
	 * TODO: RFC 792: the checksum covers the whole message; a correct one makes
	 * the one's complement sum of all len octets 0xffff (ts_csum_partial,
	 * then ts_csum_fold gives 0).
	 */
	(void)p;
	(void)len;
	return false;
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
	/*
	 * TODO: type, code 0, identifier and sequence number (put_be16), then the
	 * checksum over the header and data_len octets of data, computed with
	 * the checksum field at 0.
	 */
	(void)p;
	(void)type;
	(void)id;
	(void)seq;
	(void)data_len;
}

/* ---- input ---- */

/*
 * Answers the echo request at b->data in place and sends it back.
 * Only the type changes, so the checksum is patched with RFC 1624 eqn. 3,
 * HC' = ~(~HC + ~m + m'), instead of summing up to 65507 octets again.
 */
__attribute__((unused)) static void icmp_echo_reply_in_place(struct stack *st, struct ts_buf *b)
{
	/*
	 * TODO: turn the echo request at b->data into the reply: only the type
	 * changes (ICMP_ECHO_REPLY), so patch the checksum as RFC 1624 eqn. 3
	 * says: HC' = ~(~HC + ~m + m'), m and m' the old and new 16-bit word
	 * holding the type.  Eqn. 3 gives 0x0000 where the true sum is 0xffff
	 * (an all-zero reply): then, and when the request's sum was left to
	 * the link (b->csum == NETDEV_CSUM_PARTIAL), sum the whole message
	 * instead.  Reset the metadata (ts_buf_meta_reset); the request was
	 * delivered (ts_rx_delivered: the received frame ends here, its buffer
	 * lives on as the reply); count CTR_ICMP_TX and
	 * CTR_ICMP_ECHO_REPLIES_SENT, and send it back with ipv4_output, from
	 * the address it came to (b->dst.v4) to its source (b->src.v4).
	 */
	ts_drop(st, b, DROP_ICMP_UNHANDLED_TYPE);
}

/*
 * Destination unreachable codes as errno and hard/soft (Linux
 * icmp_err_convert, net/ipv4/icmp.c): RFC 1122 §4.2.3.9 counts protocol
 * and port unreachable as hard; Linux adds the "unknown", isolated and
 * prohibited codes.  Code 4 (fragmentation needed) is path MTU discovery's.
 */
__attribute__((unused)) static const struct {
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
__attribute__((unused)) static void icmp_error_input(struct stack *st, struct ts_buf *b,
						     const struct icmp_view *v)
{
	/*
	 * TODO: count CTR_ICMP_ERRORS_RX.  Refuse an error that came to a broadcast
	 * (b->link_bcast, ipv4_is_broadcast of b->dst.v4: DROP_ICMP_ERR_BCAST,
	 * as Linux icmp_rcv) and ignore source quench (DROP_ICMP_SOURCE_QUENCH,
	 * RFC 6633 §1).  Fill a struct ip_err (ip.h; zero it first): type, code,
	 * from (b->src); destination unreachable: a code past the table is
	 * DROP_ICMP_UNHANDLED_TYPE, else err and hard from unreach_err[code],
	 * kind IP_ERR_PKT_TOO_BIG for ICMP_UNREACH_NEEDFRAG (then mtu: the
	 * next-hop MTU in the low 16 bits of the unused field, v->seq, RFC 1191
	 * §4) and IP_ERR_UNREACH otherwise; time exceeded: IP_ERR_TIME_EXCEEDED,
	 * EHOSTUNREACH, soft; parameter problem: IP_ERR_PARAM_PROBLEM, EPROTO,
	 * hard.  Check the quote (v->data, v->data_len; RFC 792: the datagram's
	 * header and its first 64 bits) before believing it: an IPv4 header
	 * (version 4, IHL >= 5) and 8 octets past it, from a first fragment (no
	 * offset), else DROP_ICMP_ERR_BAD_QUOTE; its source must be ours
	 * (ip_addr_is_ours, else DROP_ICMP_ERR_NOT_OURS: nobody else's datagram
	 * concerns us).  Then src, dst, proto, quoted_len (Total Length) and the
	 * quote past the header (quote, quote_len) and ip_err_input: a reason it
	 * returns is the drop; DROP_NONE counts CTR_ICMP_ERRORS_DELIVERED and
	 * consumes b (ts_buf_consume).
	 */
	(void)v;
	ts_drop(st, b, DROP_ICMP_UNHANDLED_TYPE);
}

/* Handles one ICMP message at b->data; consumes b. */
void icmp_input(struct stack *st, struct ts_buf *b)
{
	/*
	 * TODO: count CTR_ICMP_RX; parse (drop with the reason); verify the
	 * checksum unless the link did (ts_buf_csum_trusted), else
	 * DROP_ICMP_BAD_CSUM.  An echo request is answered in place
	 * (icmp_echo_reply_in_place), except to a broadcast (b->link_bcast, or
	 * ipv4_is_broadcast of b->dst.v4: DROP_ICMP_BCAST_ECHO, RFC 1122
	 * §3.2.2.6).  An echo reply goes to the handler, if one is set
	 * (st->icmp->echo_fn: source, id, seq, data, data length and the TTL at
	 * b->network[IPV4_OFF_TTL]), then b is consumed (ts_buf_consume: the
	 * frame was delivered).  The errors (destination unreachable, source
	 * quench, time exceeded, parameter problem) go to icmp_error_input.
	 * Anything else is DROP_ICMP_UNHANDLED_TYPE.  b ends exactly once on
	 * every path: a ts_drop with its reason, or delivered.
	 */
	ts_drop(st, b, DROP_ICMP_UNHANDLED_TYPE);
}

/* ---- output ---- */

/* cfg.icmp_err_rate errors per second, cfg.icmp_err_burst at once
 * (ratelimit.h).  Returns 1 when a message may go (and takes it). */
__attribute__((unused)) static int icmp_err_allowed(struct stack *st)
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
	/*
	 * TODO: the datagram's IPv4 header is at orig->network, it ends at
	 * orig->tail (at least IPV4_HDR_LEN octets, else nothing).  Send
	 * nothing, counting ts_drop(st, NULL, reason), about (RFC 1122 §3.2.2):
	 * a fragment other than the first (DROP_ICMP_NO_ERROR_FOR_FRAGMENT); a
	 * datagram that came as a link broadcast (orig->link_bcast), or to an
	 * IP broadcast or multicast address, or from 0, a broadcast or a
	 * multicast source, or an ICMP error message (icmp_is_error of its
	 * type) (DROP_ICMP_NO_ERROR_FOR_ERROR).  Then take a token
	 * (icmp_err_allowed, else DROP_ICMP_RATE_LIMITED).  The message: type,
	 * code, checksum, 4 unused octets (zero), then the datagram from its
	 * header on, at most ICMP_ERR_QUOTE_MAX octets (RFC 1812 §4.3.2.3), in
	 * a new buffer (ts_buf_alloc with TS_BUF_HEADROOM; DROP_LINK_NOMEM);
	 * count CTR_ICMP_TX and CTR_ICMP_UNREACH_SENT or
	 * CTR_ICMP_TIME_EXCEEDED_SENT; ipv4_output it to the datagram's source
	 * from its destination.
	 */
	(void)st;
	(void)orig;
	(void)type;
	(void)code;
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
