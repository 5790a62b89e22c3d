/*
 * icmp_test.c - the checks of the icmp exercise (docs/exercises/icmp/):
 * the view and the checksum (icmp_parse, icmp_csum_ok, icmp_build_echo),
 * echo answered in place with the RFC 1624 incremental checksum, echo
 * replies handed to the ping handler, and the errors a host sends (RFC 792
 * formats; RFC 1122 §3.2.2: which errors never to send; RFC 1812 §4.3.2.3
 * and §4.3.2.8: how much to quote, how often), and the errors it receives
 * (checked, RFC 5927 §4.1, and passed to the socket that sent the datagram
 * they quote, RFC 1122 §4.1.3.3; fragmentation needed lowers the path MTU,
 * RFC 1191).
 *
 * The stack under test is 10.0.0.2, 02:00:00:00:00:02; its peer 10.0.0.1 at
 * 02:00:00:00:00:01.  Expected messages are built here byte by byte with a
 * checksum of this file's own, never with the learner's functions.  IPv4,
 * UDP and ARP around the learner's ICMP are the reference.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "icmp.h"
#include "ip_pmtu.h"
#include "ipv4.h"
#include "lib/exunit.h"
#include "stack.h"
#include "tapstack.h"

#define US    0x0a000002u
#define PEER  0x0a000001u
#define BCAST 0x0a0000ffu

static const uint8_t MAC_US[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An IPv4 header of 20 octets at ip for a payload of n octets; checksum filled. */
static void ip_header(uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto, size_t n,
		      uint16_t frag)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + n));
	put16(ip + 4, 0x1234);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum(ip, 20));
}

/* An Ethernet + IPv4 frame from the peer carrying the n octets at payload. */
static size_t ip_frame(uint8_t *f, const uint8_t eth_dst[6], uint32_t dst, uint8_t proto,
		       const uint8_t *payload, size_t n)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, MAC_PEER, 6);
	f[12] = 8;
	f[13] = 0;
	ip_header(f + 14, PEER, dst, proto, n, 0);
	memcpy(f + 34, payload, n);
	return 34 + n;
}

/* An echo message (type 8 or 0) with n data octets 0, 1, 2...; returns 8 + n. */
static size_t echo_msg(uint8_t *m, uint8_t type, uint16_t id, uint16_t seq, size_t n)
{
	m[0] = type;
	m[1] = 0;
	put16(m + 2, 0);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (size_t i = 0; i < n; i++)
		m[8 + i] = (uint8_t)(0x61 + i % 26);
	put16(m + 2, csum(m, 8 + n));
	return 8 + n;
}

/* A UDP datagram to a port nobody listens on, with n octets of data. */
static size_t udp_closed(uint8_t *u, size_t n)
{
	put16(u, 40000);
	put16(u + 2, 9999);
	put16(u + 4, (uint16_t)(8 + n));
	put16(u + 6, 0); /* no checksum (RFC 768): nothing to get wrong here */
	for (size_t i = 0; i < n; i++)
		u[8 + i] = (uint8_t)i;
	return 8 + n;
}

static void learn_peer(struct ex_stack *s)
{
	uint8_t f[64], out[128];
	size_t n = ex_hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01"
			  "02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02",
			  f, sizeof(f));
	ex_stack_rx(s, f, n, "so that 10.0.0.1's MAC is known");
	while (ex_stack_tx(s, out, sizeof(out)))
		;
}

static bool is_ipv4_to_peer(const uint8_t *f, size_t n)
{
	return n >= 34 && memcmp(f, MAC_PEER, 6) == 0 && f[12] == 8 && f[13] == 0 &&
	       get16(f + 30) == (uint16_t)(PEER >> 16) && get16(f + 32) == (uint16_t)PEER;
}

#define HINT_REPLY                                                                                 \
	"RFC 792: \"the source and destination addresses are simply reversed, the type code "      \
	"changed to 0, and the checksum recomputed\"; identifier, sequence number and data come "  \
	"back unchanged"
#define HINT_REPLY_CSUM                                                                            \
	"only the type changed (8 -> 0): patch the checksum as RFC 1624 eqn. 3 says, HC' = "       \
	"~(~HC + ~m + m') with m the old and m' the new 16-bit word holding the type, or sum the " \
	"whole message again; the receiver checks it over the whole message"
#define HINT_ZERO                                                                                   \
	"RFC 1624 §3: eqn. 3 can give 0x0000 where the true checksum is 0xffff (both are zero in " \
	"one's complement, but only -0 (0xffff) verifies when every other word is zero); when "     \
	"the patched value is 0, sum the whole message instead"
#define HINT_ADDRESSES                                                                             \
	"the reply goes back to the request's source, from the address it was sent to: "           \
	"ipv4_output(st, b, request's destination, request's source, ...)"

/* Takes the reply the stack must send; fails with the right hint when there is none. */
static size_t take_reply(struct ex_stack *s, uint8_t *out, size_t cap)
{
	size_t n = ex_stack_tx(s, out, cap);
	if (!n)
		ex_fail("icmp.reply", HINT_REPLY,
			"no frame came back: the echo request got no reply");
	if (!is_ipv4_to_peer(out, n))
		ex_fail("icmp.reply-addresses", HINT_ADDRESSES,
			"the first frame sent is not an IPv4 datagram to 10.0.0.1: %s",
			ex_summary(out, n));
	return n;
}

EX_CHECK(parse_fields, "icmp_parse reads type, code, checksum, identifier, sequence and data")
{
	uint8_t m[64];
	size_t n = echo_msg(m, 8, 0x2912, 0x0001, 5);
	struct icmp_view v;
	memset(&v, 0xee, sizeof(v));
	ex_step("icmp_parse(an echo request: id 0x2912, seq 1, 5 octets of data; 13 octets)");
	enum ts_drop_reason r = icmp_parse(m, n, &v);
	if (r != DROP_NONE)
		ex_fail("icmp.parse", "any message of 8 octets or more parses",
			"icmp_parse refused it with %s", ts_drop_name(r));
	if (v.type != 8 || v.code != 0 || v.csum != get16(m + 2) || v.id != 0x2912 || v.seq != 1 ||
	    v.data != m + 8 || v.data_len != 5)
		ex_fail("icmp.parse",
			"type and code are octets 0 and 1, the checksum, identifier and sequence "
			"number 16-bit big-endian words at ICMP_OFF_CSUM, ICMP_OFF_ID, "
			"ICMP_OFF_SEQ; the data starts after the 8-octet header and runs to the "
			"end",
			"got type %u code %u csum 0x%04x id 0x%04x seq %u data at +%td, %zu "
			"octets; expected 8 0 0x%04x 0x2912 1 +8 5",
			v.type, v.code, v.csum, v.id, v.seq, v.data - m, v.data_len, get16(m + 2));
	ex_step("icmp_parse(the first 7 octets)");
	if ((r = icmp_parse(m, 7, &v)) != DROP_ICMP_TRUNCATED)
		ex_fail("icmp.parse-short",
			"check the length before reading: under ICMP_HDR_LEN (8) octets is "
			"DROP_ICMP_TRUNCATED",
			"icmp_parse returned %s for 7 octets", ts_drop_name(r));
	ex_step("icmp_parse(the first 8 octets: a message with no data)");
	if ((r = icmp_parse(m, 8, &v)) != DROP_NONE || v.data_len != 0)
		ex_fail("icmp.parse-short", "8 octets is a whole message, with no data",
			"icmp_parse returned %s, data_len %zu", ts_drop_name(r), v.data_len);
}

EX_CHECK(checksum_verify, "icmp_csum_ok accepts a correct sum over the whole message, only that")
{
	uint8_t m[64];
	size_t n = echo_msg(m, 8, 7, 9, 5); /* odd length: the last octet is a high byte */
	ex_step("icmp_csum_ok(an echo request of 13 octets, correct checksum 0x%04x)",
		get16(m + 2));
	if (!icmp_csum_ok(m, n))
		ex_fail("icmp.verify",
			"RFC 792: the checksum is the one's complement of the one's complement sum "
			"of the whole message (header and data; an odd last octet is padded with "
			"zero): a correct message sums to 0xffff, so ts_csum_fold of its sum is 0",
			"a message with a correct checksum was refused");
	m[n - 1] ^= 0x10;
	ex_step("the same with one bit of the last data octet flipped");
	if (icmp_csum_ok(m, n))
		ex_fail("icmp.verify",
			"the checksum covers the data too, up to the last (odd) octet: sum all "
			"len octets",
			"a message with a flipped bit in its last octet was accepted");
}

EX_CHECK(build_echo, "icmp_build_echo writes the echo header and its checksum")
{
	uint8_t want[64], got[64];
	size_t n = echo_msg(want, 8, 0x4242, 7, 5);
	memcpy(got, want, n);
	memset(got, 0xee, 8);
	ex_step("icmp_build_echo(p, 8, 0x4242, 7, 5) over 5 data octets already in place");
	icmp_build_echo(got, 8, 0x4242, 7, 5);
	ex_expect_frame("the echo request", want, n, got, n, NULL, "icmp.build",
			"type, code 0, then the checksum over the whole message computed with the "
			"field at 0 (RFC 792), identifier, sequence number, big-endian");
}

EX_CHECK(echo_reply, "an echo request for us is answered, field by field")
{
	struct ex_stack s;
	uint8_t m[64], f[128], want[128], out[1600], mask[128];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mn = echo_msg(m, 8, 0x2912, 3, 11);
	size_t n = ip_frame(f, MAC_US, US, 1, m, mn);
	ex_stack_rx(&s, f, n, "an echo request from 10.0.0.1: id 0x2912, seq 3, 11 octets");
	size_t got = take_reply(&s, out, sizeof(out));
	/* The expected reply: addresses swapped, type 0, checksum recomputed. */
	memcpy(want, MAC_PEER, 6);
	memcpy(want + 6, MAC_US, 6);
	want[12] = 8;
	want[13] = 0;
	ip_header(want + 14, US, PEER, 1, mn, 0);
	echo_msg(want + 34, 0, 0x2912, 3, 11);
	memset(mask, 1, sizeof(mask));
	mask[14 + 1] = 0;		   /* TOS: the IPv4 layer's */
	mask[14 + 4] = mask[14 + 5] = 0;   /* Identification: the IPv4 layer's */
	mask[14 + 6] = mask[14 + 7] = 0;   /* flags: the IPv4 layer's */
	mask[14 + 8] = 0;		   /* TTL: the IPv4 layer's */
	mask[14 + 10] = mask[14 + 11] = 0; /* header checksum: the IPv4 layer's */
	const char *id = "icmp.reply", *hint = HINT_REPLY;
	if (got == n && out[34] == 0 && get16(out + 36) != get16(want + 36)) {
		id = "icmp.reply-csum";
		hint = HINT_REPLY_CSUM;
	} else if (got >= 34 &&
		   (get16(out + 26) != get16(want + 26) || get16(out + 30) != get16(want + 30))) {
		id = "icmp.reply-addresses";
		hint = HINT_ADDRESSES;
	}
	ex_expect_frame("the echo reply", want, n, out, got, mask, id, hint);
	size_t more = ex_stack_tx(&s, out, sizeof(out));
	if (more)
		ex_fail("icmp.one-reply", "one request, one reply",
			"a second frame followed the reply: %s", ex_summary(out, more));
	ex_stack_free(&s);
}

EX_CHECK(echo_reply_negative_zero, "a reply whose checksum is 0xffff (RFC 1624 §3) verifies")
{
	struct ex_stack s;
	uint8_t m[64], f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mn = echo_msg(m, 8, 0, 0, 0);
	size_t n = ip_frame(f, MAC_US, US, 1, m, mn);
	ex_stack_rx(&s, f, n,
		    "an echo request with identifier 0, sequence 0 and no data (checksum 0xf7ff)");
	size_t got = take_reply(&s, out, sizeof(out));
	if (got < 42 || out[34] != 0)
		ex_fail("icmp.reply", HINT_REPLY, "expected an echo reply, got: %s",
			ex_summary(out, got));
	if (get16(out + 36) != 0xffff)
		ex_fail(
		    "icmp.rfc1624-zero", HINT_ZERO,
		    "the reply's checksum is 0x%04x: the reply is all zeros but its checksum, "
		    "so only 0xffff makes the message sum to 0xffff (a receiver drops this one)",
		    get16(out + 36));
	ex_stack_free(&s);
}

EX_CHECK(bad_checksum_dropped, "a message with a wrong checksum is dropped, unanswered")
{
	struct ex_stack s;
	uint8_t m[64], f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mn = echo_msg(m, 8, 0x77, 1, 8);
	m[12] ^= 1;
	size_t n = ip_frame(f, MAC_US, US, 1, m, mn);
	ex_stack_rx(&s, f, n, "an echo request with one data bit flipped after its checksum");
	size_t got = ex_stack_tx(&s, out, sizeof(out));
	if (got || s.st.drops[DROP_ICMP_BAD_CSUM] != 1)
		ex_fail("icmp.verify-input",
			"icmp_input checks the sum (icmp_csum_ok, unless ts_buf_csum_trusted says "
			"the link did) and drops a bad one as DROP_ICMP_BAD_CSUM, silently: it "
			"cannot be trusted, not even to send an error about",
			"%s; DROP_ICMP_BAD_CSUM is %llu (expected 1)",
			got ? "the stack answered it" : "no answer",
			(unsigned long long)s.st.drops[DROP_ICMP_BAD_CSUM]);
	ex_stack_free(&s);
}

EX_CHECK(broadcast_echo_ignored, "an echo request to a broadcast address is not answered")
{
	struct ex_stack s;
	uint8_t m[64], f[128], out[1600];
	const char *hint =
	    "RFC 1122 §3.2.2.6: an echo request to a broadcast address MAY be silently "
	    "discarded, and is: one request to a broadcast would make every host answer "
	    "(smurf amplification).  Drop it as DROP_ICMP_BCAST_ECHO when the frame came to the "
	    "link broadcast (b->link_bcast) or the datagram to an IP broadcast "
	    "(ipv4_is_broadcast)";
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mn = echo_msg(m, 8, 0x99, 1, 4);
	size_t n = ip_frame(f, MAC_US, US, 1, m, mn);
	ex_stack_rx(&s, f, n, "an echo request to 10.0.0.2 (the control: answered)");
	take_reply(&s, out, sizeof(out));
	n = ip_frame(f, MAC_BCAST, BCAST, 1, m, mn);
	ex_stack_rx(&s, f, n, "the same to 10.0.0.255, the subnet broadcast");
	size_t got = ex_stack_tx(&s, out, sizeof(out));
	if (got)
		ex_fail("icmp.broadcast", hint, "the stack answered it: %s", ex_summary(out, got));
	n = ip_frame(f, MAC_BCAST, US, 1, m, mn);
	ex_stack_rx(&s, f, n, "the same to 10.0.0.2, but in an Ethernet broadcast frame");
	if ((got = ex_stack_tx(&s, out, sizeof(out))) != 0)
		ex_fail("icmp.broadcast", hint, "the stack answered it: %s", ex_summary(out, got));
	if (s.st.drops[DROP_ICMP_BCAST_ECHO] != 2)
		ex_fail("icmp.broadcast", hint, "DROP_ICMP_BCAST_ECHO is %llu, expected 2",
			(unsigned long long)s.st.drops[DROP_ICMP_BCAST_ECHO]);
	ex_stack_free(&s);
}

struct seen {
	int calls;
	uint32_t src;
	uint16_t id, seq;
	size_t len;
	uint8_t data[64];
	uint8_t ttl;
};

static void on_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		     size_t len, uint8_t ttl)
{
	struct seen *w = ctx;
	w->calls++;
	w->src = src;
	w->id = id;
	w->seq = seq;
	w->len = len;
	memcpy(w->data, data, len < sizeof(w->data) ? len : sizeof(w->data));
	w->ttl = ttl;
}

EX_CHECK(echo_reply_delivered, "an echo reply goes to the ping handler; other types are dropped")
{
	struct ex_stack s;
	uint8_t m[64], f[128], out[1600];
	struct seen w = {0};
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	icmp_set_echo_handler(&s.st, on_reply, &w);
	size_t mn = echo_msg(m, 0, 0x5157, 4, 6);
	size_t n = ip_frame(f, MAC_US, US, 1, m, mn);
	f[14 + 8] = 61;
	f[14 + 10] = f[14 + 11] = 0;
	put16(f + 24, csum(f + 14, 20));
	ex_stack_rx(&s, f, n, "an echo reply from 10.0.0.1: id 0x5157, seq 4, 6 octets, TTL 61");
	if (w.calls != 1 || w.src != PEER || w.id != 0x5157 || w.seq != 4 || w.len != 6 ||
	    memcmp(w.data, m + 8, 6) != 0 || w.ttl != 61)
		ex_fail("icmp.echo-handler",
			"an echo reply goes to the handler icmp_set_echo_handler set: "
			"fn(ctx, source address, identifier, sequence, data, data length, the "
			"datagram's TTL (b->network[IPV4_OFF_TTL])), then the buffer is freed",
			"the handler was called %d time(s); last with src 0x%08x id 0x%04x seq %u "
			"len %zu ttl %u",
			w.calls, w.src, w.id, w.seq, w.len, w.ttl);
	if (ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("icmp.no-reply-to-reply", "a reply is never answered",
			"the stack sent a frame after an echo reply");
	memset(m, 0, 20);
	m[0] = 13; /* timestamp request (RFC 792): not implemented, dropped */
	put16(m + 2, csum(m, 20));
	n = ip_frame(f, MAC_US, US, 1, m, 20);
	ex_stack_rx(&s, f, n, "a timestamp request (type 13)");
	n = ip_frame(f, MAC_US, US, 1, m, 7);
	ex_stack_rx(&s, f, n, "a 7-octet ICMP message");
	if (ex_stack_tx(&s, out, sizeof(out)) || s.st.drops[DROP_ICMP_UNHANDLED_TYPE] != 1 ||
	    s.st.drops[DROP_ICMP_TRUNCATED] != 1)
		ex_fail(
		    "icmp.drop-reasons",
		    "a type you do not handle is dropped as DROP_ICMP_UNHANDLED_TYPE, a message "
		    "under 8 octets as DROP_ICMP_TRUNCATED (what icmp_parse returned), both "
		    "without an answer",
		    "DROP_ICMP_UNHANDLED_TYPE is %llu, DROP_ICMP_TRUNCATED %llu (expected 1 and "
		    "1)",
		    (unsigned long long)s.st.drops[DROP_ICMP_UNHANDLED_TYPE],
		    (unsigned long long)s.st.drops[DROP_ICMP_TRUNCATED]);
	ex_stack_free(&s);
}

#define HINT_ERROR_FORMAT                                                                          \
	"RFC 792 \"Destination Unreachable Message\": type 3, the code, the checksum, 4 unused "   \
	"octets (zero), then the original datagram: its IP header and as much of its data as "     \
	"fits in a 576-octet datagram (RFC 1812 §4.3.2.3; ICMP_ERR_QUOTE_MAX octets), sent back " \
	"to its source"

/* Sends the stack a UDP datagram of n data octets to a closed port; returns the frame sent back. */
static size_t closed_port(struct ex_stack *s, size_t n, uint8_t *sent, uint8_t *out, size_t cap)
{
	uint8_t u[1600];
	size_t un = udp_closed(u, n);
	size_t fn = ip_frame(sent, MAC_US, US, 17, u, un);
	char why[80];
	snprintf(why, sizeof(why), "a UDP datagram with %zu data octets to port 9999 (closed)", n);
	ex_stack_rx(s, sent, fn, why);
	return ex_stack_tx(s, out, cap);
}

EX_CHECK(port_unreachable, "a datagram to a closed UDP port gets port unreachable, field by field")
{
	struct ex_stack s;
	uint8_t sent[1600], out[1600], want[1600], mask[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t got = closed_port(&s, 100, sent, out, sizeof(out));
	if (!got)
		ex_fail("icmp.error", HINT_ERROR_FORMAT, "nothing was sent back");
	size_t qn = 20 + 8 + 100, n = 34 + 8 + qn;
	memcpy(want, MAC_PEER, 6);
	memcpy(want + 6, MAC_US, 6);
	want[12] = 8;
	want[13] = 0;
	ip_header(want + 14, US, PEER, 1, 8 + qn, 0);
	uint8_t *e = want + 34;
	e[0] = 3;
	e[1] = 3;
	memset(e + 2, 0, 6);
	memcpy(e + 8, sent + 14, qn);
	put16(e + 2, csum(e, 8 + qn));
	memset(mask, 1, sizeof(mask));
	mask[14 + 1] = mask[14 + 4] = mask[14 + 5] = mask[14 + 6] = mask[14 + 7] = 0;
	mask[14 + 8] = mask[14 + 10] = mask[14 + 11] = 0;
	const char *id = "icmp.error";
	if (got >= 42 && got != n)
		id = "icmp.quote";
	ex_expect_frame("the port unreachable message", want, n, out, got, mask, id,
			HINT_ERROR_FORMAT);
	ex_stack_free(&s);
}

EX_CHECK(quote_bounded, "an error quotes the datagram up to 576 octets in all, no more")
{
	struct ex_stack s;
	uint8_t sent[1600], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t got = closed_port(&s, 1000, sent, out, sizeof(out));
	if (got < 42 || out[34] != 3)
		ex_fail("icmp.error", HINT_ERROR_FORMAT, "expected destination unreachable, got %s",
			got ? ex_summary(out, got) : "nothing");
	size_t quoted = got - 42;
	if (quoted != ICMP_ERR_QUOTE_MAX || memcmp(out + 42, sent + 14, ICMP_ERR_QUOTE_MAX) != 0)
		ex_fail("icmp.quote",
			"quote the original datagram from its IP header on, as much as keeps the "
			"error within 576 octets (RFC 1812 §4.3.2.3: ICMP_ERR_QUOTE_MAX = 548); "
			"RFC 792's minimum (header + 64 bits) hides the rest of the datagram from "
			"the sender's diagnostics",
			"the error quotes %zu octets%s; expected the first %d octets of the "
			"1028-octet datagram",
			quoted,
			quoted == ICMP_ERR_QUOTE_MAX ? " but they are not the datagram's first"
						     : "",
			ICMP_ERR_QUOTE_MAX);
	ex_stack_free(&s);
}

/* A buffer holding a datagram's IPv4 header (and 8 octets of payload) as icmp_send_* get it. */
static struct ts_buf *orig_dgram(struct ex_stack *s, uint32_t src, uint32_t dst, uint8_t proto,
				 uint16_t frag, uint8_t first_payload_octet)
{
	struct ts_buf *b = ts_buf_alloc(&s->st, 28, TS_BUF_HEADROOM);
	if (!b)
		ex_fail("harness", "out of memory", "ts_buf_alloc failed");
	uint8_t *p = ts_buf_put(b, 28);
	ip_header(p, src, dst, proto, 8, frag);
	memset(p + 20, 0, 8);
	p[20] = first_payload_octet;
	b->network = p;
	return b;
}

EX_CHECK(no_error_about, "no error about a fragment, a broadcast, a bad source or an ICMP error")
{
	static const struct {
		const char *what;
		uint32_t src, dst;
		uint8_t proto;
		uint16_t frag;
		uint8_t first;
		bool link_bcast;
		enum ts_drop_reason why;
		const char *id, *hint;
	} cases[] = {
	    {"a UDP datagram from 10.0.0.1 (the control: an error goes)", PEER, US, 17, 0, 0, false,
	     DROP_NONE, "icmp.error", HINT_ERROR_FORMAT},
	    {"an ICMP echo request (not an error: an error about it goes)", PEER, US, 1, 0, 8,
	     false, DROP_NONE, "icmp.no-error-about-error",
	     "only ICMP *error* messages (icmp_is_error) are never reported on; an error about "
	     "an echo request is fine"},
	    {"a fragment at offset 8", PEER, US, 17, 1, 0, false, DROP_ICMP_NO_ERROR_FOR_FRAGMENT,
	     "icmp.no-error-about-fragment",
	     "RFC 1122 §3.2.2: no error about a fragment other than the first (Fragment Offset "
	     "not 0): drop as DROP_ICMP_NO_ERROR_FOR_FRAGMENT"},
	    {"an ICMP destination unreachable", PEER, US, 1, 0, 3, false,
	     DROP_ICMP_NO_ERROR_FOR_ERROR, "icmp.no-error-about-error",
	     "RFC 1122 §3.2.2: never an error about an ICMP error message (icmp_is_error of the "
	     "quoted type), or two hosts could answer each other's errors forever: drop as "
	     "DROP_ICMP_NO_ERROR_FOR_ERROR"},
	    {"a datagram to 10.0.0.255", PEER, BCAST, 17, 0, 0, false, DROP_ICMP_NO_ERROR_FOR_ERROR,
	     "icmp.no-error-about-broadcast",
	     "RFC 1122 §3.2.2: never an error about a datagram to an IP broadcast or multicast "
	     "address (one datagram, answers from every host): DROP_ICMP_NO_ERROR_FOR_ERROR"},
	    {"a datagram to 224.0.0.1", PEER, 0xe0000001u, 17, 0, 0, false,
	     DROP_ICMP_NO_ERROR_FOR_ERROR, "icmp.no-error-about-broadcast",
	     "RFC 1122 §3.2.2: never an error about a datagram to a multicast address "
	     "(224.0.0.0/4): DROP_ICMP_NO_ERROR_FOR_ERROR"},
	    {"a datagram that came in an Ethernet broadcast", PEER, US, 17, 0, 0, true,
	     DROP_ICMP_NO_ERROR_FOR_ERROR, "icmp.no-error-about-broadcast",
	     "RFC 1122 §3.2.2: never an error about a datagram sent as a link-layer broadcast "
	     "(b->link_bcast): DROP_ICMP_NO_ERROR_FOR_ERROR"},
	    {"a datagram from 0.0.0.0", 0, US, 17, 0, 0, false, DROP_ICMP_NO_ERROR_FOR_ERROR,
	     "icmp.no-error-about-bad-source",
	     "RFC 1122 §3.2.2: never an error about a datagram whose source is not one host "
	     "(0.0.0.0, a broadcast, a multicast): DROP_ICMP_NO_ERROR_FOR_ERROR"},
	};
	struct ex_stack s;
	uint8_t out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ts_buf *o = orig_dgram(&s, cases[i].src, cases[i].dst, cases[i].proto,
					      cases[i].frag, cases[i].first);
		o->link_bcast = cases[i].link_bcast;
		uint64_t before = cases[i].why == DROP_NONE ? 0 : s.st.drops[cases[i].why];
		ex_step("icmp_send_dest_unreach(st, %s, port unreachable)", cases[i].what);
		icmp_send_dest_unreach(&s.st, o, ICMP_UNREACH_PORT);
		ts_buf_free(&s.st, o);
		size_t got = ex_stack_tx(&s, out, sizeof(out));
		if (cases[i].why == DROP_NONE) {
			if (!got || got < 42 || out[34] != 3 || out[35] != 3)
				ex_fail(cases[i].id, cases[i].hint,
					"expected destination unreachable (port), got %s",
					got ? ex_summary(out, got) : "nothing");
			continue;
		}
		if (got)
			ex_fail(cases[i].id, cases[i].hint, "the stack sent %s",
				ex_summary(out, got));
		if (s.st.drops[cases[i].why] != before + 1)
			ex_fail(cases[i].id, cases[i].hint,
				"nothing was sent, but %s was not counted (ts_drop(st, NULL, ...))",
				ts_drop_name(cases[i].why));
	}
	ex_stack_free(&s);
}

EX_CHECK(errors_rate_limited, "errors are rate-limited: cfg.icmp_err_burst at once, then the rate")
{
	struct ex_stack s;
	uint8_t sent[1600], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	uint32_t burst = s.st.cfg.icmp_err_burst, rate = s.st.cfg.icmp_err_rate;
	ex_step("cfg.icmp_err_burst is %u, cfg.icmp_err_rate %u per second", burst, rate);
	const char *hint = "RFC 1812 §4.3.2.8, RFC 1122 §3.2.2: limit the rate of errors (a "
			   "flood of datagrams to closed ports must not become a flood of "
			   "errors): take a token from the bucket (icmp_err_allowed) before "
			   "each error, DROP_ICMP_RATE_LIMITED when there is none";
	uint32_t errors = 0;
	for (uint32_t i = 0; i < burst + 20; i++) {
		size_t got = closed_port(&s, 4, sent, out, sizeof(out));
		if (got && out[34] == 3)
			errors++;
		while (ex_stack_tx(&s, out, sizeof(out)))
			;
	}
	if (errors != burst || s.st.drops[DROP_ICMP_RATE_LIMITED] != 20)
		ex_fail("icmp.rate-limit", hint,
			"%u datagrams to a closed port at once got %u errors (expected %u), "
			"DROP_ICMP_RATE_LIMITED is %llu (expected 20)",
			burst + 20, errors, burst,
			(unsigned long long)s.st.drops[DROP_ICMP_RATE_LIMITED]);
	ex_stack_advance(&s, 100000);
	errors = 0;
	for (uint32_t i = 0; i < rate; i++) {
		size_t got = closed_port(&s, 4, sent, out, sizeof(out));
		if (got && out[34] == 3)
			errors++;
	}
	if (errors != rate / 10)
		ex_fail("icmp.rate-limit", hint,
			"0.1 s later, %u more datagrams got %u errors; the bucket refills at "
			"cfg.icmp_err_rate per second: expected %u",
			rate, errors, rate / 10);
	ex_stack_free(&s);
}

/* ---- errors received: RFC 1122 §3.2.2, §4.1.3.3; RFC 5927 §4.1 ---- */

#define HINT_ERR_TO_SOCKET                                                                         \
	"an error (destination unreachable, time exceeded, parameter problem) is about a "         \
	"datagram we sent: icmp_input hands it to icmp_error_input, which fills a struct ip_err "  \
	"(ip.h: kind, err and hard from unreach_err[code], the quoted addresses, protocol and "    \
	"transport octets) and calls ip_err_input; UDP then reports a hard error to a connected "  \
	"socket on its next call"
#define HINT_ERR_QUOTE                                                                             \
	"RFC 5927 §4.1, RFC 792: check what an error quotes before believing it: an IPv4 header " \
	"(version 4, IHL >= 5) and at least 8 octets of its transport, from a first fragment "     \
	"(DROP_ICMP_ERR_BAD_QUOTE), sent by us (ip_addr_is_ours of the quoted source, else "       \
	"DROP_ICMP_ERR_NOT_OURS); anyone can send an ICMP message"

/* Our connected UDP socket sends one datagram to 10.0.0.1:7777; quote: its first 28 octets. */
static int udp_sent(struct ex_stack *s, uint8_t quote[28])
{
	uint8_t out[1600];
	int fd = ts_socket(&s->st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7777)};
	a.sin_addr.s_addr = htonl(PEER);
	if (fd < 0 || ts_connect(&s->st, fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    ts_send(&s->st, fd, "hello", 5, 0) != 5)
		ex_fail("harness", "UDP (the reference) could not send", "socket/connect/send: %s",
			strerror(errno));
	stack_poll(&s->st, s->now_us);
	size_t n = ex_stack_tx(s, out, sizeof(out));
	if (n < 14 + 28 || out[14 + 9] != 17)
		ex_fail("harness", "UDP (the reference) could not send", "sent: %s",
			n ? ex_summary(out, n) : "nothing");
	memcpy(quote, out + 14, 28);
	ex_step("our UDP socket, connected to 10.0.0.1:7777, sent %s", ex_summary(out, n));
	return fd;
}

/* Feeds an ICMP error (type, code, next-hop mtu) from the peer quoting qlen octets of q. */
static void feed_error(struct ex_stack *s, const uint8_t eth_dst[6], uint8_t type, uint8_t code,
		       uint16_t mtu, const uint8_t *q, size_t qlen, const char *why)
{
	uint8_t m[128], f[256];
	memset(m, 0, 8);
	m[0] = type;
	m[1] = code;
	put16(m + 6, mtu);
	memcpy(m + 8, q, qlen);
	put16(m + 2, csum(m, 8 + qlen));
	size_t n = ip_frame(f, eth_dst, US, 1, m, 8 + qlen);
	ex_stack_rx(s, f, n, why);
}

/* What ts_recv on fd says now: 0 when a datagram or nothing, else the errno. */
static int pending_error(struct ex_stack *s, int fd)
{
	char buf[16];
	errno = 0;
	ssize_t r = ts_recv(&s->st, fd, buf, sizeof(buf), MSG_DONTWAIT);
	return r < 0 && errno != EAGAIN ? errno : 0;
}

EX_CHECK(error_reaches_socket, "an ICMP error about our datagram reaches its socket, once")
{
	struct ex_stack s;
	uint8_t q[28];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = udp_sent(&s, q);
	feed_error(&s, MAC_US, 3, 3, 0, q, sizeof(q),
		   "port unreachable from 10.0.0.1 quoting that datagram's header and 8 octets");
	int e = pending_error(&s, fd);
	if (e != ECONNREFUSED)
		ex_fail(
		    "icmp.err-to-socket", HINT_ERR_TO_SOCKET,
		    "the socket's next recv gave %s, expected ECONNREFUSED (port unreachable is "
		    "a hard error, RFC 1122 §4.2.3.9); ICMP_ERRORS_DELIVERED is %llu, "
		    "DROP_ICMP_UNHANDLED_TYPE %llu",
		    e ? strerror(e) : "no error",
		    (unsigned long long)s.st.counters[CTR_ICMP_ERRORS_DELIVERED],
		    (unsigned long long)s.st.drops[DROP_ICMP_UNHANDLED_TYPE]);
	if (pending_error(&s, fd) != 0)
		ex_fail("icmp.err-to-socket", HINT_ERR_TO_SOCKET,
			"the error was reported twice: one ICMP error, one call that fails");
	ex_step("fragmentation needed, next-hop MTU 1000, quoting the datagram");
	feed_error(&s, MAC_US, 3, 4, 1000, q, sizeof(q),
		   "fragmentation needed (code 4), next-hop MTU 1000");
	struct ip_addr peer = ip_addr_v4(PEER);
	uint32_t pmtu = ip_pmtu_get(&s.st, &peer, NULL);
	if (pmtu != 1000)
		ex_fail(
		    "icmp.err-mtu",
		    "RFC 1191 §4: fragmentation needed (code 4) carries the next-hop MTU in the "
		    "low 16 bits of the unused field (v->seq); it goes to the transport as "
		    "ip_err kind IP_ERR_PKT_TOO_BIG with mtu set",
		    "the path MTU toward 10.0.0.1 is %u after the error, expected 1000", pmtu);
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}

EX_CHECK(errors_checked,
	 "errors to a broadcast, source quench and bad or foreign quotes change nothing")
{
	static const struct {
		const char *what;
		bool bcast;
		uint8_t type;
		size_t qlen;
		int corrupt; /* quote octet to change, -1 none */
		uint8_t value;
		enum ts_drop_reason why;
		const char *id, *hint;
	} cases[] = {
	    {"port unreachable to the link broadcast", true, 3, 28, -1, 0, DROP_ICMP_ERR_BCAST,
	     "icmp.err-bcast",
	     "an error that came to a broadcast (b->link_bcast, or a broadcast IP destination) is "
	     "someone's mistake or an attack: DROP_ICMP_ERR_BCAST, as Linux icmp_rcv"},
	    {"source quench", false, 4, 28, -1, 0, DROP_ICMP_SOURCE_QUENCH, "icmp.source-quench",
	     "RFC 6633 §1: hosts MUST silently ignore source quench (DROP_ICMP_SOURCE_QUENCH)"},
	    {"port unreachable quoting 24 octets (the header and 4 of UDP)", false, 3, 24, -1, 0,
	     DROP_ICMP_ERR_BAD_QUOTE, "icmp.err-quote", HINT_ERR_QUOTE},
	    {"port unreachable quoting a datagram with version 6", false, 3, 28, 0, 0x65,
	     DROP_ICMP_ERR_BAD_QUOTE, "icmp.err-quote", HINT_ERR_QUOTE},
	    {"port unreachable quoting a datagram from 10.0.0.7 (not us)", false, 3, 28, 15, 7,
	     DROP_ICMP_ERR_NOT_OURS, "icmp.err-not-ours", HINT_ERR_QUOTE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ex_stack s;
		uint8_t q[28];
		ex_stack_init(&s, NULL);
		learn_peer(&s);
		int fd = udp_sent(&s, q);
		if (cases[i].corrupt >= 0)
			q[cases[i].corrupt] = cases[i].value;
		feed_error(&s, cases[i].bcast ? MAC_BCAST : MAC_US, cases[i].type, 3, 0, q,
			   cases[i].qlen, cases[i].what);
		int e = pending_error(&s, fd);
		if (e || s.st.rx_drops[cases[i].why] != 1)
			ex_fail(cases[i].id, cases[i].hint,
				"%s: the socket's next recv gave %s, %s is %llu; expected no error "
				"and %s 1",
				cases[i].what, e ? strerror(e) : "no error",
				ts_drop_name(cases[i].why),
				(unsigned long long)s.st.rx_drops[cases[i].why],
				ts_drop_name(cases[i].why));
		ts_close(&s.st, fd);
		ex_stack_free(&s);
	}
}
