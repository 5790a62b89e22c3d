/*
 * udp_test.c - the checks of the udp exercise (docs/exercises/udp/): the
 * view (udp_parse), the checksum with its pseudo-header both ways
 * (udp_csum_ok, udp_build), demultiplexing to the most specific socket,
 * the receive queue bound, ICMP port unreachable, and what udp_output
 * sends.  The socket calls (ts_socket, ts_bind, ts_sendto, ts_recvfrom)
 * and everything below UDP are the reference.
 *
 * The stack under test is 10.0.0.2, 02:00:00:00:00:02; its peer 10.0.0.1
 * at 02:00:00:00:00:01.  Expected datagrams and checksums are computed
 * here, never with the learner's functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ip.h"
#include "lib/exunit.h"
#include "stack.h"
#include "tapstack.h"
#include "udp.h"

#define US    0x0a000002u
#define PEER  0x0a000001u
#define BCAST 0x0a0000ffu

static const uint8_t MAC_US[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
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

/* The pseudo-header sum of RFC 768: source, destination, zero and 17, UDP length. */
static uint32_t pseudo(uint32_t src, uint32_t dst, uint16_t ulen)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + 17 + ulen;
}

/* A UDP datagram at u: header then n data octets, checksum computed (or 0: none). */
static size_t dgram(uint8_t *u, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		    const void *data, size_t n, bool with_csum)
{
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + n));
	put16(u + 6, 0);
	memcpy(u + 8, data, n);
	if (with_csum) {
		uint16_t c = fold(sum16(u, 8 + n, pseudo(src, dst, (uint16_t)(8 + n))));
		put16(u + 6, c ? c : 0xffff);
	}
	return 8 + n;
}

/* Ethernet + IPv4 from the peer around the ip_len octets at payload (a datagram and more). */
static size_t frame(uint8_t *f, const uint8_t eth_dst[6], uint32_t dst, const uint8_t *payload,
		    size_t ip_len)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, MAC_PEER, 6);
	f[12] = 8;
	f[13] = 0;
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + ip_len));
	put16(ip + 4, 0x4321);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, PEER);
	put32(ip + 16, dst);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	memcpy(f + 34, payload, ip_len);
	return 34 + ip_len;
}

/* The peer sends data from sport to dst:dport; returns the frame's length. */
static void peer_sends(struct ex_stack *s, const uint8_t eth_dst[6], uint32_t dst, uint16_t sport,
		       uint16_t dport, const char *data, const char *why)
{
	uint8_t u[1600], f[1700];
	size_t n = dgram(u, PEER, dst, sport, dport, data, strlen(data), true);
	ex_stack_rx(s, f, frame(f, eth_dst, dst, u, n), why);
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

/* A UDP socket bound to ip:port (ip 0: the wildcard), SO_REUSEADDR when asked. */
static int bound_socket(struct ex_stack *s, uint32_t ip, uint16_t port, bool reuse)
{
	int fd = ts_socket(&s->st, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		ex_fail("harness", "ts_socket failed", "%s", strerror(errno));
	int one = 1;
	if (reuse)
		ts_setsockopt(&s->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	if (ts_bind(&s->st, fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		ex_fail("harness", "ts_bind failed (the port table is given)", "bind: %s",
			strerror(errno));
	return fd;
}

/* What fd has to read: its length, or -1 (nothing: EAGAIN). */
static ssize_t read_one(struct ex_stack *s, int fd, char *buf, size_t cap, uint16_t *from_port)
{
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = ts_recvfrom(&s->st, fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n >= 0 && from_port)
		*from_port = ntohs(from.sin_port);
	return n;
}

#define HINT_DELIVER                                                                               \
	"udp_input: parse, verify the checksum, find the socket (udp_lookup), then queue the "     \
	"buffer on it with b->data at the payload (ts_buf_pull the header; b->transport at the "   \
	"header, where recvfrom reads the source port) and wake it (ts_sock_wakeup)"

EX_CHECK(parse_fields, "udp_parse reads ports, length, checksum and the payload")
{
	uint8_t u[64];
	size_t n = dgram(u, PEER, US, 40000, 7, "tapstack", 8, true);
	u[n] = u[n + 1] = 0; /* two octets after the datagram: IP padding */
	struct udp_view v;
	memset(&v, 0xee, sizeof(v));
	ex_step("udp_parse(16-octet datagram 40000 > 7 with 8 octets of data, then 2 more octets)");
	enum ts_drop_reason r = udp_parse(u, n + 2, &v);
	if (r != DROP_NONE)
		ex_fail("udp.parse", "a datagram whose length field fits in what arrived parses",
			"udp_parse refused it with %s", ts_drop_name(r));
	if (v.sport != 40000 || v.dport != 7 || v.len != 16 || v.csum != get16(u + 6) ||
	    v.payload != u + 8 || v.payload_len != 8)
		ex_fail("udp.parse",
			"RFC 768: source port, destination port, length, checksum, 16 bits each, "
			"big-endian; the payload follows the 8-octet header and its length comes "
			"from the length field (octets after it are padding, not data)",
			"got sport %u dport %u len %u csum 0x%04x payload at +%td, %zu octets; "
			"expected 40000 7 16 0x%04x +8 8",
			v.sport, v.dport, v.len, v.csum, v.payload - u, v.payload_len,
			get16(u + 6));
}

EX_CHECK(parse_rejects, "udp_parse refuses a short datagram and a length field that lies")
{
	static const struct {
		const char *what;
		size_t len;
		uint16_t field;
		enum ts_drop_reason want;
	} cases[] = {
	    {"7 octets", 7, 16, DROP_UDP_TRUNCATED},
	    {"length field 7 (less than the header)", 16, 7, DROP_UDP_BAD_LEN},
	    {"length field 17 in 16 octets", 16, 17, DROP_UDP_BAD_LEN},
	    {"length field 8 (no data) in 16 octets", 16, 8, DROP_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t u[64];
		dgram(u, PEER, US, 40000, 7, "tapstack", 8, false);
		put16(u + 4, cases[i].field);
		struct udp_view v;
		ex_step("udp_parse(%s)", cases[i].what);
		enum ts_drop_reason r = udp_parse(u, cases[i].len, &v);
		if (r != cases[i].want)
			ex_fail(
			    cases[i].want == DROP_UDP_TRUNCATED ? "udp.parse-short" : "udp.bad-len",
			    "check len >= 8 first (DROP_UDP_TRUNCATED), then 8 <= length field "
			    "<= len (DROP_UDP_BAD_LEN): the field is the sender's word, len what "
			    "really arrived",
			    "udp_parse returned %s, expected %s", ts_drop_name(r),
			    ts_drop_name(cases[i].want));
	}
}

EX_CHECK(checksum_verify, "udp_csum_ok: the sum with the pseudo-header; 0 means none was sent")
{
	uint8_t u[64];
	struct ip_addr src = ip_addr_v4(PEER), dst = ip_addr_v4(US);
	struct udp_view v;
	size_t n = dgram(u, PEER, US, 40000, 7, "odd", 3, true);
	udp_parse(u, n, &v);
	ex_step("udp_csum_ok(an 11-octet datagram 10.0.0.1 > 10.0.0.2, correct checksum 0x%04x)",
		v.csum);
	if (!udp_csum_ok(u, &v, &src, &dst))
		ex_fail("udp.pseudo-header",
			"RFC 768: the checksum covers a pseudo-header (source and destination "
			"address, zero, protocol 17, UDP length: ip_csum_pseudo) and the whole "
			"datagram, an odd last octet padded with zero; a correct one folds to 0",
			"a datagram with a correct checksum was refused");
	ex_step("the same datagram, claimed to come from 10.0.0.3");
	struct ip_addr other = ip_addr_v4(0x0a000003u);
	if (udp_csum_ok(u, &v, &other, &dst))
		ex_fail("udp.pseudo-header",
			"the pseudo-header is part of the sum: the same octets from another "
			"address must fail (that is what it is for: a datagram delivered to the "
			"wrong host or port is caught)",
			"the checksum still verified with another source address");
	put16(u + 6, 0);
	udp_parse(u, n, &v);
	ex_step("the same datagram with checksum field 0");
	if (!udp_csum_ok(u, &v, &src, &dst))
		ex_fail("udp.no-checksum",
			"RFC 768: \"An all zero transmitted checksum value means that the "
			"transmitter generated no checksum\": accept it over IPv4",
			"a datagram without a checksum (field 0) was refused");
}

EX_CHECK(build_header, "udp_build writes the header; a computed 0 goes out as 0xffff")
{
	uint8_t want[64], got[64];
	struct ip_addr src = ip_addr_v4(US), dst = ip_addr_v4(PEER);
	size_t n = dgram(want, US, PEER, 5555, 6666, "hello", 5, true);
	memcpy(got, want, n);
	memset(got, 0xee, 8);
	ex_step("udp_build(p, 5555, 6666, 5, 10.0.0.2, 10.0.0.1) over \"hello\" already at p + 8");
	udp_build(got, 5555, 6666, 5, &src, &dst);
	ex_expect_frame("the datagram", want, n, got, n, NULL, "udp.build",
			"source port, destination port, length (header + data), then the checksum "
			"over pseudo-header and datagram computed with the field at 0");
	/* Data chosen so that the sum is 0xffff: the computed checksum is 0. */
	uint8_t data[2] = {0, 0};
	dgram(want, US, PEER, 5555, 6666, data, 2, false);
	uint32_t s = sum16(want, 10, pseudo(US, PEER, 10));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(data, (uint16_t)(0xffff - s));
	dgram(want, US, PEER, 5555, 6666, data, 2, false);
	put16(want + 6, 0xffff);
	memcpy(got, want, 10);
	memset(got, 0xee, 8);
	ex_step("udp_build over 2 data octets 0x%02x%02x that make the computed checksum 0",
		data[0], data[1]);
	udp_build(got, 5555, 6666, 2, &src, &dst);
	ex_expect_frame("the datagram", want, 10, got, 10, NULL, "udp.zero-as-ones",
			"RFC 768: \"If the computed checksum is zero, it is transmitted as all "
			"ones\": 0 in the field means \"no checksum\", and 0xffff is the same "
			"value in one's complement");
}

EX_CHECK(delivered, "a datagram for a bound port reaches its socket: data and source")
{
	struct ex_stack s;
	char buf[64];
	uint16_t from = 0;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = bound_socket(&s, 0, 7777, false);
	ex_step("a socket bound to 0.0.0.0:7777");
	peer_sends(&s, MAC_US, US, 40000, 7777, "first", "a datagram 40000 > 7777: \"first\"");
	peer_sends(&s, MAC_US, US, 40001, 7777, "second!", "another, 40001 > 7777: \"second!\"");
	ssize_t n = read_one(&s, fd, buf, sizeof(buf), &from);
	if (n < 0)
		ex_fail("udp.deliver", HINT_DELIVER, "recvfrom found nothing to read (%s)",
			strerror(errno));
	if (n != 5 || memcmp(buf, "first", 5) != 0 || from != 40000)
		ex_fail("udp.deliver", HINT_DELIVER,
			"recvfrom gave %zd octets \"%.*s\" from port %u; expected \"first\" from "
			"40000 (the first datagram first: a queue, not a stack)",
			n, (int)(n > 0 ? n : 0), buf, from);
	n = read_one(&s, fd, buf, sizeof(buf), &from);
	if (n != 7 || memcmp(buf, "second!", 7) != 0 || from != 40001)
		ex_fail("udp.deliver", HINT_DELIVER,
			"the second recvfrom gave %zd octets from port %u; expected \"second!\" "
			"from 40001",
			n, from);
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}

EX_CHECK(trailing_octets_not_delivered, "octets after the UDP length are not data")
{
	struct ex_stack s;
	uint8_t u[64], f[128];
	char buf[64];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = bound_socket(&s, 0, 7777, false);
	size_t n = dgram(u, PEER, US, 40000, 7777, "abc", 3, true);
	memcpy(u + n, "XYZ", 3);
	ex_stack_rx(&s, f, frame(f, MAC_US, US, u, n + 3),
		    "a datagram with UDP length 11 (\"abc\") in an IP payload of 14 octets");
	ssize_t r = read_one(&s, fd, buf, sizeof(buf), NULL);
	if (r < 0)
		ex_fail("udp.deliver", HINT_DELIVER, "recvfrom found nothing to read");
	if (r != 3 || memcmp(buf, "abc", 3) != 0)
		ex_fail("udp.trim",
			"the datagram ends where its length field says (RFC 768); what follows is "
			"not the sender's data: trim the buffer to the length (ts_buf_trim) before "
			"queueing it",
			"recvfrom gave %zd octets, expected the 3 of \"abc\"", r);
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}

EX_CHECK(bad_checksum_dropped, "a wrong checksum is dropped; a zero one is accepted")
{
	struct ex_stack s;
	uint8_t u[64], f[128], out[1600];
	char buf[64];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = bound_socket(&s, 0, 7777, false);
	size_t n = dgram(u, PEER, US, 40000, 7777, "bad", 3, true);
	u[9] ^= 1;
	ex_stack_rx(&s, f, frame(f, MAC_US, US, u, n),
		    "a datagram to 7777 with a bit of its data flipped after the checksum");
	ssize_t r = read_one(&s, fd, buf, sizeof(buf), NULL);
	if (r >= 0 || s.st.drops[DROP_UDP_BAD_CSUM] != 1 || ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("udp.verify",
			"verify the checksum (udp_csum_ok) unless the link did "
			"(ts_buf_csum_trusted); drop a bad one as DROP_UDP_BAD_CSUM, silently: "
			"not delivered, and no ICMP error (the datagram cannot be trusted)",
			"%s; DROP_UDP_BAD_CSUM is %llu (expected 1)",
			r >= 0 ? "it was delivered" : "not delivered",
			(unsigned long long)s.st.drops[DROP_UDP_BAD_CSUM]);
	n = dgram(u, PEER, US, 40000, 7777, "none", 4, false);
	ex_stack_rx(&s, f, frame(f, MAC_US, US, u, n), "a datagram to 7777 with checksum 0 (none)");
	r = read_one(&s, fd, buf, sizeof(buf), NULL);
	if (r != 4)
		ex_fail("udp.no-checksum",
			"RFC 768: checksum 0 means the sender computed none; over IPv4 accept it",
			"the datagram without a checksum was not delivered (DROP_UDP_BAD_CSUM is "
			"%llu)",
			(unsigned long long)s.st.drops[DROP_UDP_BAD_CSUM]);
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}

EX_CHECK(closed_port_unreachable, "a datagram for a closed port gets ICMP port unreachable")
{
	struct ex_stack s;
	uint8_t out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	peer_sends(&s, MAC_US, US, 40000, 9999, "anyone?", "a datagram to port 9999 (no socket)");
	size_t n = ex_stack_tx(&s, out, sizeof(out));
	if (!n || n < 42 || out[23] != 1 || out[34] != 3 || out[35] != 3 ||
	    s.st.drops[DROP_UDP_NO_PORT] != 1)
		ex_fail(
		    "udp.port-unreachable",
		    "RFC 1122 §4.1.3.1: a datagram for a port nobody listens on SHOULD get ICMP "
		    "port unreachable (ip_send_port_unreach(st, b): it "
		    "does not take b), then drop it as DROP_UDP_NO_PORT",
		    "expected ICMP destination unreachable (port) and DROP_UDP_NO_PORT = 1; "
		    "got %s and %llu",
		    n ? ex_summary(out, n) : "nothing",
		    (unsigned long long)s.st.drops[DROP_UDP_NO_PORT]);
	ex_stack_free(&s);
}

EX_CHECK(most_specific_socket,
	 "connected beats bound address beats wildcard; broadcast to wildcard")
{
	struct ex_stack s;
	char buf[64];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	/* Bound in this order so that a first-match search finds the wrong one. */
	int any = bound_socket(&s, 0, 7777, true);
	int conn = bound_socket(&s, 0, 7777, true);
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40000)};
	peer.sin_addr.s_addr = htonl(PEER);
	if (ts_connect(&s.st, conn, (struct sockaddr *)&peer, sizeof(peer)) < 0)
		ex_fail("harness", "connect is given", "connect: %s", strerror(errno));
	int addr = bound_socket(&s, US, 7777, true);
	ex_step("three sockets on port 7777: A bound to 0.0.0.0, C bound to 0.0.0.0 and "
		"connected to 10.0.0.1:40000, B bound to 10.0.0.2");
	const char *hint =
	    "udp_lookup: among the sockets on the port whose bound address matches (the "
	    "wildcard matches any), a connected socket takes only its peer's datagrams and "
	    "wins (+4), a socket bound to the address beats the wildcard (ip_addr_match_score); "
	    "the best score "
	    "wins, whatever the order in the table (Linux compute_score)";
	peer_sends(&s, MAC_US, US, 40000, 7777, "to C", "10.0.0.1:40000 > 10.0.0.2:7777");
	peer_sends(&s, MAC_US, US, 40001, 7777, "to B", "10.0.0.1:40001 > 10.0.0.2:7777");
	peer_sends(&s, MAC_BCAST, BCAST, 40001, 7777, "to A", "10.0.0.1:40001 > 10.0.0.255:7777");
	static const char *names[] = {"A (wildcard)", "B (10.0.0.2)", "C (connected)"};
	int fds[] = {any, addr, conn};
	const char *want[] = {"to A", "to B", "to C"};
	char got[3][3][16];
	int count[3] = {0, 0, 0};
	for (int i = 0; i < 3; i++) {
		ssize_t n;
		while (count[i] < 3 && (n = read_one(&s, fds[i], buf, sizeof(buf), NULL)) >= 0)
			snprintf(got[i][count[i]++], sizeof(got[i][0]), "\"%.*s\"", (int)n, buf);
	}
	char seen[256] = "";
	for (int i = 0; i < 3; i++) {
		size_t l = strlen(seen);
		snprintf(seen + l, sizeof(seen) - l, "%s%s read", i ? "; " : "", names[i]);
		for (int k = 0; k < count[i]; k++) {
			l = strlen(seen);
			snprintf(seen + l, sizeof(seen) - l, " %s", got[i][k]);
		}
		if (!count[i]) {
			l = strlen(seen);
			snprintf(seen + l, sizeof(seen) - l, " nothing");
		}
	}
	for (int i = 0; i < 3; i++) {
		if (count[i] == 1 && strncmp(got[i][0] + 1, want[i], 4) == 0)
			continue;
		if (count[2] > 1) /* the connected socket took more than its peer's datagram */
			ex_fail("udp.connected-peer",
				"a connected socket takes only its peer's datagrams (remote_ip and "
				"remote_port equal to the source): skip it for any other source, "
				"the next best socket gets those",
				"%s; expected one datagram each: \"to A\", \"to B\", \"to C\"",
				seen);
		ex_fail("udp.most-specific", hint,
			"%s; expected one datagram each: \"to A\", \"to B\", \"to C\"", seen);
	}
	ts_close(&s.st, any);
	ts_close(&s.st, conn);
	ts_close(&s.st, addr);
	ex_stack_free(&s);
}

EX_CHECK(receive_queue_bounded, "the receive queue holds at most SO_RCVBUF, charged per datagram")
{
	struct ex_stack s;
	char buf[2048];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = bound_socket(&s, 0, 7777, false);
	int rcvbuf = 4096;
	ts_setsockopt(&s.st, fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	socklen_t l = sizeof(rcvbuf);
	ts_getsockopt(&s.st, fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &l);
	char data[101];
	memset(data, 'x', 100);
	data[100] = 0;
	ex_step("SO_RCVBUF is %d; each 100-octet datagram is charged 100 + 768 octets", rcvbuf);
	for (int i = 0; i < 20; i++)
		peer_sends(&s, MAC_US, US, 40000, 7777, data,
			   i ? NULL : "20 datagrams of 100 octets");
	int got = 0;
	while (read_one(&s, fd, buf, sizeof(buf), NULL) >= 0)
		got++;
	int fit = 0;
	for (long charged = 0; fit < 20; fit++) {
		if (fit && charged + 868 > rcvbuf)
			break;
		charged += 868;
	}
	if (got != fit || s.st.drops[DROP_UDP_RCVBUF_FULL] != (uint64_t)(20 - fit))
		ex_fail("udp.rcvbuf",
			"every queue an attacker can fill is bounded: charge each datagram its "
			"length + UDP_DGRAM_OVERHEAD and refuse one that would pass SO_RCVBUF "
			"(sock->opt.rcvbuf) as DROP_UDP_RCVBUF_FULL; an empty queue takes one "
			"whatever its size",
			"%d of 20 were queued (expected %d), DROP_UDP_RCVBUF_FULL is %llu", got,
			fit, (unsigned long long)s.st.drops[DROP_UDP_RCVBUF_FULL]);
	peer_sends(&s, MAC_US, US, 40000, 7777, "again", "after reading, one more");
	if (read_one(&s, fd, buf, sizeof(buf), NULL) != 5)
		ex_fail("udp.rcvbuf", "reading frees its charge: the queue takes datagrams again",
			"the datagram after the queue was emptied was not delivered");
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}

EX_CHECK(sendto_datagram, "sendto sends one datagram, field by field, DF as IP_MTU_DISCOVER says")
{
	struct ex_stack s;
	uint8_t out[1600], want[128], mask[128];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	int fd = bound_socket(&s, 0, 5555, false);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(6666)};
	to.sin_addr.s_addr = htonl(PEER);
	ex_step("a socket bound to 0.0.0.0:5555 sends \"hello\" to 10.0.0.1:6666");
	ssize_t r = ts_sendto(&s.st, fd, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to));
	size_t n = ex_stack_tx(&s, out, sizeof(out));
	if (r != 5 || !n)
		ex_fail("udp.output",
			"udp_output: a buffer for header and data (ts_buf_alloc with "
			"TS_BUF_HEADROOM), the data copied in (ts_iov_get), the header "
			"(udp_output_header), then ip_output from the source ip_select_source "
			"picks; return the data length",
			"sendto returned %zd (%s), %s", r, r < 0 ? strerror(errno) : "",
			n ? "a frame went out" : "nothing went out");
	memcpy(want, MAC_PEER, 6);
	memcpy(want + 6, MAC_US, 6);
	want[12] = 8;
	want[13] = 0;
	uint8_t *ip = want + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, 33);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, US);
	put32(ip + 16, PEER);
	dgram(want + 34, US, PEER, 5555, 6666, "hello", 5, true);
	memset(mask, 1, sizeof(mask));
	mask[14 + 1] = mask[14 + 4] = mask[14 + 5] = mask[14 + 6] = mask[14 + 7] = 0;
	mask[14 + 8] = mask[14 + 10] = mask[14 + 11] = 0;
	const char *id = "udp.output",
		   *hint = "the header carries the socket's port as the source, the "
			   "destination's as the destination, the length of header and "
			   "data, and the checksum over pseudo-header and datagram";
	if (n >= 42 && get16(out + 34) == 6666)
		id = "udp.ports";
	ex_expect_frame("the datagram", want, 14 + 33, out, n, mask, id, hint);
	const char *pmtu_hint =
	    "the datagram goes with the socket's IP_MTU_DISCOVER (struct ip_tx_opts pmtudisc from "
	    "pcb->sock->opt.pmtudisc, with tos and ttl): IPv4 sets DF from it (ip.h), and "
	    "IP_PMTUDISC_WANT, the sockets' default, sets it on what fits the path MTU";
	if (!(out[14 + 6] & 0x40))
		ex_fail("udp.pmtudisc", pmtu_hint,
			"the datagram went without DF (flags 0x%02x); the socket has "
			"IP_PMTUDISC_WANT, the default",
			out[14 + 6]);
	int dont = IP_PMTUDISC_DONT;
	ex_step("IP_MTU_DISCOVER set to IP_PMTUDISC_DONT; the socket sends \"hello\" again");
	if (ts_setsockopt(&s.st, fd, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont)) < 0)
		ex_fail("harness", "setsockopt is given", "IP_MTU_DISCOVER: %s", strerror(errno));
	r = ts_sendto(&s.st, fd, "hello", 5, 0, (struct sockaddr *)&to, sizeof(to));
	n = ex_stack_tx(&s, out, sizeof(out));
	if (r != 5 || n < 34 || (out[14 + 6] & 0x40))
		ex_fail("udp.pmtudisc", pmtu_hint,
			"sendto returned %zd and %s; expected 5 and a datagram without DF", r,
			n >= 34 ? "the datagram went with DF" : "nothing went out");
	ts_close(&s.st, fd);
	ex_stack_free(&s);
}
