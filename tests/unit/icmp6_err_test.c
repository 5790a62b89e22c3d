/*
 * icmp6_err_test.c - ICMPv6 errors reaching TCP and UDP over IPv6 (issue
 * #14): RFC 4443 §2.4 (a), (c) and §3 (what an error must quote, which
 * types reach the upper layer), Linux icmpv6_err_convert for the errno of
 * each code, tcp_v6_err and __udp6_lib_err for what it does, and path MTU
 * discovery for IPv6 (RFC 8201: the 1280 floor, the estimate expiring).
 *
 * One stack (fd00::2) over the capture netdev talks to the peer fd00::1; a
 * router, fd00::fe on the same link, answers what the stack sent with
 * ICMPv6 errors quoting it, built here field by field from the RFC 4443
 * layout with a checksum of the test's own (the frame helpers are
 * ipv6_test.c's, copied: they are static there).
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/tcp.h>

#include "tsunit.h"
#include "byteorder.h"
#include "icmp6.h"
#include "ip_pmtu.h"
#include "ipv6.h"
#include "tapstack.h"
#include "tcp_frames.h"
#include "tcp_var.h"

#define PEER6	  "fd00::1"
#define US6	  "fd00::2"
#define ROUTER6	  "fd00::fe"
#define PEER_PORT 80
#define PEER_ISS  5000u
/* Linux tcpi_state values (include/net/tcp_states.h). */
#define LX_ESTABLISHED 1
#define LX_CLOSE       7

#define BALANCED(t) ck_assert(stack_rx_balanced(&(t)->st))

/* Ethernet (to the stack, or the group's MAC, RFC 2464 §7) + IPv6 header (RFC 8200 §3) + payload.
 */
static size_t frame6(uint8_t *f, const char *src, const char *dst, uint8_t nh, const uint8_t *pl,
		     size_t plen)
{
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put_be16(ip + 4, (uint16_t)plen);
	ip[6] = nh;
	ip[7] = 64;
	ts_inet6(src, ip + 8);
	ts_inet6(dst, ip + 24);
	memcpy(ip + 40, pl, plen);
	if (ip[24] == 0xff)
		ipv6_mcast_mac(ip + 24, f);
	else
		memcpy(f, ts_our_mac, 6);
	memcpy(f + 6, ts_peer_mac, 6);
	put_be16(f + 12, 0x86dd);
	return 14 + 40 + plen;
}

/*
 * An ICMPv6 error (RFC 4443 §3: type, code, checksum, 32 bits of MTU,
 * pointer or unused, then the quote) from from to to.
 */
static size_t icmp6_err_frame(uint8_t *f, const char *from, const char *to, uint8_t type,
			      uint8_t code, uint32_t param, const uint8_t *quote, size_t qlen)
{
	uint8_t m[1500];
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	put_be32(m + 4, param);
	if (qlen)
		memcpy(m + 8, quote, qlen);
	size_t n = frame6(f, from, to, IPV6_NH_ICMPV6, m, 8 + qlen);
	put_be16(f + 56, ts_csum6(f + 22, f + 38, IPV6_NH_ICMPV6, f + 54, 8 + qlen));
	return n;
}

/* A TCP segment from the peer (RFC 9293 §3.1), options opt, no data. */
static size_t tcp6_from_peer(uint8_t *f, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			     const uint8_t *opt, size_t olen)
{
	uint8_t seg[60];
	size_t hl = 20 + olen;
	memset(seg, 0, hl);
	put_be16(seg, PEER_PORT);
	put_be16(seg + 2, dport);
	put_be32(seg + 4, seq);
	put_be32(seg + 8, ack);
	seg[12] = (uint8_t)(hl / 4 << 4);
	seg[13] = flags;
	put_be16(seg + 14, 65535);
	if (olen)
		memcpy(seg + 20, opt, olen);
	size_t n = frame6(f, PEER6, US6, IPV6_NH_TCP, seg, hl);
	put_be16(f + 54 + 16, ts_csum6(f + 22, f + 38, IPV6_NH_TCP, f + 54, hl));
	return n;
}

/* What the stack sent last over IPv6, parsed. */
struct sent {
	uint8_t f[16384];
	size_t len;
	const uint8_t *ip;  /* its IPv6 header */
	size_t ip_len;	    /* 40 + payload length */
	struct tcp_view tv; /* when TCP */
};

static bool take_ip6(struct ts_test_stack *t, struct sent *s, uint8_t nh)
{
	for (;;) {
		s->len = capdev_take(t->cap, s->f, sizeof(s->f));
		if (!s->len)
			return false;
		if (get_be16(s->f + 12) != 0x86dd || s->f[14 + IPV6_OFF_NEXT] != nh)
			continue; /* neighbour discovery, MLD */
		s->ip = s->f + 14;
		s->ip_len = IPV6_HDR_LEN + get_be16(s->ip + IPV6_OFF_PLEN);
		if (nh == IPV6_NH_TCP)
			ck_assert_int_eq(tcp_parse(s->ip + 40, s->ip_len - 40, &s->tv), DROP_NONE);
		return true;
	}
}

static void take_tcp(struct ts_test_stack *t, struct sent *s)
{
	ck_assert_msg(take_ip6(t, s, IPV6_NH_TCP), "no TCP segment sent");
}

/* A router's error quoting as much of what s holds as §2.4 (c) allows (1232 octets). */
static void feed_err(struct ts_test_stack *t, const struct sent *s, uint8_t type, uint8_t code,
		     uint32_t param)
{
	uint8_t f[1600];
	size_t q = s->ip_len < ICMP6_ERR_QUOTE_MAX ? s->ip_len : ICMP6_ERR_QUOTE_MAX;
	ts_test_stack_feed(t, f, icmp6_err_frame(f, ROUTER6, US6, type, code, param, s->ip, q));
}

/* One frame in, its drop reason counted once, the books balanced. */
static void expect_drop(struct ts_test_stack *t, const uint8_t *f, size_t n, enum ts_drop_reason r)
{
	uint64_t before = t->st.rx_drops[r];
	ts_test_stack_feed(t, f, n);
	ck_assert_msg(t->st.rx_drops[r] == before + 1, "expected drop %s", ts_drop_name(r));
	BALANCED(t);
}

static void setup(struct ts_test_stack *t, const struct ts_config *cfg)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_test_stack_init(t, cfg);
	ts_inet6(PEER6, s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t->st, SA(s6), sizeof(s6), ts_peer_mac, 0), 0);
}

static struct sockaddr_in6 peer_addr(uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	ts_inet6(PEER6, a.sin6_addr.s6_addr);
	return a;
}

/* A non-blocking connect to the peer; s gets the SYN. */
static int connect_peer(struct ts_test_stack *t, struct sent *s)
{
	int fd = ts_socket(&t->st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 a = peer_addr(PEER_PORT);
	ck_errno(ts_connect(&t->st, fd, SA(a), sizeof(a)), EINPROGRESS);
	take_tcp(t, s);
	ck_assert(s->tv.flags & TCP_SYN);
	return fd;
}

static int so_error(struct ts_test_stack *t, int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t->st, fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	return v;
}

static struct tcp_info info_of(struct ts_test_stack *t, int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	ck_assert_int_eq(ts_getsockopt(&t->st, fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	return ti;
}

static int ip6_int_opt(struct ts_test_stack *t, int fd, int name, int *v)
{
	socklen_t l = sizeof(*v);
	return ts_getsockopt(&t->st, fd, IPPROTO_IPV6, name, v, &l);
}

/* An ESTABLISHED connection to the peer, which announced MSS mss and no other option. */
static int establish(struct ts_test_stack *t, uint16_t mss, struct sent *syn)
{
	int fd = connect_peer(t, syn);
	uint8_t opt[4] = {TCP_OPT_MSS, 4, (uint8_t)(mss >> 8), (uint8_t)mss};
	uint8_t f[128];
	ts_test_stack_feed(t, f,
			   tcp6_from_peer(f, syn->tv.src_port, PEER_ISS, syn->tv.seq + 1,
					  TCP_SYN | TCP_ACK, opt, 4));
	struct sent ack;
	take_tcp(t, &ack);
	ck_assert_uint_eq(ack.tv.flags, TCP_ACK);
	ck_assert_uint_eq(info_of(t, fd).tcpi_state, LX_ESTABLISHED);
	return fd;
}

/* A UDP socket connected to the peer's port 9; s gets the datagram it sent. */
static int udp_connected(struct ts_test_stack *t, struct sent *s)
{
	int u = ts_socket(&t->st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = peer_addr(9);
	ck_assert_int_eq(ts_connect(&t->st, u, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_send(&t->st, u, "x", 1, 0), 1);
	ck_assert(take_ip6(t, s, IPV6_NH_UDP));
	return u;
}

/*
 * Linux tab_unreach (icmpv6_err_convert) for each RFC 4443 §3.1 code, and
 * the other types; in SYN-SENT every one ends the connect with its errno
 * as tcp_v6_err does (hard or soft: nothing is established to spare).
 */
static const struct {
	uint8_t type, code;
	int err;
	bool hard;
} map6[] = {
    {ICMP6_DEST_UNREACH, 0, ENETUNREACH, false},   /* no route to destination */
    {ICMP6_DEST_UNREACH, 1, EACCES, true},	   /* administratively prohibited */
    {ICMP6_DEST_UNREACH, 2, EHOSTUNREACH, false},  /* beyond scope of source address */
    {ICMP6_DEST_UNREACH, 3, EHOSTUNREACH, false},  /* address unreachable */
    {ICMP6_DEST_UNREACH, 4, ECONNREFUSED, true},   /* port unreachable */
    {ICMP6_DEST_UNREACH, 5, EACCES, true},	   /* source address failed policy */
    {ICMP6_DEST_UNREACH, 6, EACCES, true},	   /* reject route to destination */
    {ICMP6_TIME_EXCEEDED, 0, EHOSTUNREACH, false}, /* hop limit exceeded in transit */
    {ICMP6_TIME_EXCEEDED, 1, EHOSTUNREACH, false}, /* fragment reassembly time exceeded */
    {ICMP6_PARAM_PROBLEM, 0, EPROTO, true},
    {ICMP6_PARAM_PROBLEM, 1, EPROTO, true},
    {100, 0, EPROTO, false}, /* unknown error type: passed up all the same (§2.4 (a)) */
};
#define NMAP (sizeof(map6) / sizeof(map6[0]))

START_TEST(syn_sent_error_ends_connect)
{
	for (size_t i = 0; i < NMAP; i++) {
		struct ts_test_stack t;
		struct sent syn;
		setup(&t, NULL);
		int fd = connect_peer(&t, &syn);
		feed_err(&t, &syn, map6[i].type, map6[i].code, 0);
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ck_assert_int_eq(ts_poll(&t.st, &p, 1, 0), 1);
		ck_assert_msg(p.revents & POLLERR, "case %zu: revents %#x", i, p.revents);
		ck_assert_msg(so_error(&t, fd) == map6[i].err, "case %zu (%u/%u): SO_ERROR %d", i,
			      map6[i].type, map6[i].code, so_error(&t, fd));
		ck_assert_uint_eq(info_of(&t, fd).tcpi_state, LX_CLOSE);
		ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ERRORS_RX], 1);
		ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ERRORS_DELIVERED], 1);
		/* No more SYNs: the attempt is over. */
		stack_poll(&t.st, t.st.now_us + 10 * 1000000ull);
		struct sent none;
		ck_assert(!take_ip6(&t, &none, IPV6_NH_TCP));
		BALANCED(&t);
		ts_close(&t.st, fd);
		ts_test_stack_free(&t);
	}
}
END_TEST

/* __udp6_lib_err: hard errors reach a connected socket on its next call, soft ones do not. */
START_TEST(udp_errors_as_linux)
{
	struct ts_test_stack t;
	struct sent s;
	char buf[8];
	setup(&t, NULL);
	int u = udp_connected(&t, &s);
	uint64_t ignored = 0;
	for (size_t i = 0; i < NMAP; i++) {
		feed_err(&t, &s, map6[i].type, map6[i].code, 0);
		if (map6[i].hard) {
			ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), map6[i].err);
		} else {
			ignored++;
			ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_IGNORED], ignored);
		}
		ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		BALANCED(&t);
	}
	/* Port unreachable, then the next send fails once. */
	feed_err(&t, &s, ICMP6_DEST_UNREACH, 4, 0);
	ck_errno(ts_send(&t.st, u, "x", 1, 0), ECONNREFUSED);
	ck_assert_int_eq(ts_send(&t.st, u, "x", 1, 0), 1);
	/* With IPV6_RECVERR a soft one is reported too. */
	int on = 1;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)), 0);
	feed_err(&t, &s, ICMP6_DEST_UNREACH, 3, 0);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EHOSTUNREACH);
	ts_close(&t.st, u);
	/* Nobody sent it now. */
	uint8_t f[1600];
	size_t n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, s.ip, s.ip_len);
	expect_drop(&t, f, n, DROP_ICMP_ERR_NO_SOCKET);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * RFC 8201 §4-§5: a packet too big quoting a segment in flight lowers the
 * path MTU; the MSS follows with 60 octets of headers (RFC 8200 §8.3), what
 * no longer fits goes again at once, IPV6_MTU reports it; ten minutes
 * later the estimate expires (§5.3) and the MSS grows back.
 */
START_TEST(ptb_lowers_mss_and_resends)
{
	struct ts_test_stack t;
	struct sent syn, s;
	setup(&t, NULL);
	int fd = establish(&t, 1440, &syn);
	static char data[4000];
	ck_assert_int_eq(ts_send(&t.st, fd, data, sizeof(data), 0), (int)sizeof(data));
	take_tcp(&t, &s);
	ck_assert_uint_eq(s.ip_len, 1500);
	uint32_t una = s.tv.seq;
	while (take_ip6(&t, &s, IPV6_NH_TCP))
		;
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 1280); /* the last segment: in flight */
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ERRORS_DELIVERED], 1);
	struct tcp_info ti = info_of(&t, fd);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1280);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1280 - 60);
	int mtu = 0;
	ck_assert_int_eq(ip6_int_opt(&t, fd, IPV6_MTU, &mtu), 0);
	ck_assert_int_eq(mtu, 1280);
	uint32_t next = una;
	while (take_ip6(&t, &s, IPV6_NH_TCP)) {
		ck_assert_uint_le(s.ip_len, 1280);
		ck_assert_uint_eq(s.tv.seq, next);
		next += s.tv.payload_len;
	}
	ck_assert_uint_gt(next - una, 0);
	ck_assert_uint_eq(t.st.counters[CTR_TCP_PMTU_RESENDS], 1);
	/* Acknowledged as it comes: all of it arrives in segments that fit. */
	uint8_t f[128];
	for (int round = 0; round < 8 && next - una < sizeof(data); round++) {
		ts_test_stack_feed(
		    &t, f,
		    tcp6_from_peer(f, syn.tv.src_port, PEER_ISS + 1, next, TCP_ACK, NULL, 0));
		while (take_ip6(&t, &s, IPV6_NH_TCP)) {
			ck_assert(s.ip_len <= 1280 && s.tv.seq == next);
			next += s.tv.payload_len;
		}
	}
	ck_assert_uint_eq(next - una, sizeof(data));
	ts_test_stack_feed(
	    &t, f, tcp6_from_peer(f, syn.tv.src_port, PEER_ISS + 1, next, TCP_ACK, NULL, 0));
	/* One quoting what is acknowledged now moves nothing (RFC 5927 §4.1). */
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 1280);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_OUT_OF_WINDOW], 1);
	stack_poll(&t.st, t.st.now_us + 601 * 1000000ull);
	ti = info_of(&t, fd);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1500);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1440);
	ck_assert_int_eq(ip6_int_opt(&t, fd, IPV6_MTU, &mtu), 0);
	ck_assert_int_eq(mtu, 1500);
	BALANCED(&t);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * RFC 8201 §4: an MTU below 1280 (or none) makes a 1280 estimate, never
 * less, and no atomic fragments (RFC 8021).  IPV6_MTU_DISCOVER as Linux:
 * WANT and DO report EMSGSIZE to a connected UDP socket, DONT only lowers
 * the estimate, INTERFACE and OMIT refuse the message (ip6_sk_accept_pmtu).
 */
START_TEST(ptb_below_minimum_and_modes)
{
	struct ts_test_stack t;
	struct sent s;
	char buf[8];
	setup(&t, NULL);
	int u = udp_connected(&t, &s);
	int v = -1;
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU_DISCOVER, &v), 0);
	ck_assert_int_eq(v, IPV6_PMTUDISC_WANT);
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU, &v), 0);
	ck_assert_int_eq(v, 1500);
	/* INTERFACE: refused, nothing learned. */
	v = IPV6_PMTUDISC_INTERFACE;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 1400);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_IGNORED], 1);
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU, &v), 0);
	ck_assert_int_eq(v, 1500);
	/* DONT: learned, not reported. */
	v = IPV6_PMTUDISC_DONT;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 1400);
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU, &v), 0);
	ck_assert_int_eq(v, 1400);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* WANT, and an MTU below the minimum: 1280, reported once. */
	v = IPV6_PMTUDISC_WANT;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 600);
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU, &v), 0);
	ck_assert_int_eq(v, IP_PMTU_MIN_V6);
	ck_errno(ts_send(&t.st, u, "x", 1, 0), EMSGSIZE);
	ck_assert_int_eq(ts_send(&t.st, u, "x", 1, 0), 1);
	/* None given at all (0): 1280 again; reported again, as Linux
	 * (__udp6_lib_err reports every one the socket accepts). */
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 0);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EMSGSIZE);
	ck_assert_int_eq(ip6_int_opt(&t, u, IPV6_MTU, &v), 0);
	ck_assert_int_eq(v, IP_PMTU_MIN_V6);
	ck_assert_uint_eq(ip_pmtu_count(&t.st), 1);
	ts_close(&t.st, u);

	/* TCP: an MTU below 1280 makes an MSS of 1220, no soft EMSGSIZE. */
	struct sent syn;
	int fd = establish(&t, 1440, &syn);
	static char data[3000];
	struct ip_addr peer;
	uint8_t p6[16];
	ts_inet6(PEER6, p6);
	peer = ip_addr_v6(p6);
	ck_assert_uint_eq(ip_pmtu_get(&t.st, &peer, NULL), IP_PMTU_MIN_V6);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_snd_mss, 1220); /* learned before the connect */
	ck_assert_int_eq(ts_send(&t.st, fd, data, sizeof(data), 0), (int)sizeof(data));
	take_tcp(&t, &s);
	ck_assert_uint_eq(s.ip_len, 1280);
	feed_err(&t, &s, ICMP6_PACKET_TOO_BIG, 0, 500);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_PMTU_NOT_LOWER], 1);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_snd_mss, 1220);
	ck_assert_int_eq(so_error(&t, fd), 0);
	BALANCED(&t);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/* Errors that cannot be matched or cannot be ours: each under its named reason. */
START_TEST(bad_errors_dropped)
{
	struct ts_test_stack t;
	struct sent s;
	uint8_t f[1600], q[256];
	setup(&t, NULL);
	int u = udp_connected(&t, &s);
	size_t n, ql = s.ip_len; /* 40 + 8 + 1 */

	/* §2.4 (c): too short for an IPv6 header; for the 8 octets of UDP. */
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, s.ip, 39);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, s.ip, 40 + 7);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_PACKET_TOO_BIG, 0, 1280, NULL, 0);
	f[14 + 5] = 6; /* the message stops inside the MTU field */
	put_be16(f + 56, 0);
	put_be16(f + 56, ts_csum6(f + 22, f + 38, IPV6_NH_ICMPV6, f + 54, 6));
	expect_drop(&t, f, 14 + 40 + 6, DROP_ICMP6_ERR_BAD_QUOTE);
	/* Not an IPv6 header. */
	memcpy(q, s.ip, ql);
	q[0] = 0x45;
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, ql);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);
	/* From an address that is not ours. */
	memcpy(q, s.ip, ql);
	q[IPV6_OFF_SRC + 15] = 3;
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, ql);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_NOT_OURS);
	/* RFC 4443 §3.1: codes 0..6; beyond them nothing is done. */
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 7, 0, s.ip, ql);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_UNKNOWN_CODE);
	/* Sent to a group: errors go to the unicast source (§2.2). */
	n = icmp6_err_frame(f, ROUTER6, "ff02::1", ICMP6_DEST_UNREACH, 4, 0, s.ip, ql);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_MCAST);
	/* A checksum that does not verify (§2.3). */
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, s.ip, ql);
	f[60] ^= 1;
	expect_drop(&t, f, n, DROP_ICMP6_BAD_CSUM);

	/* The quote with a fragment header (RFC 8200 §4.5) before UDP. */
	const uint8_t *udp = s.ip + 40;
	size_t ulen = ql - 40;
	memcpy(q, s.ip, 40);
	q[IPV6_OFF_NEXT] = IPV6_NH_FRAGMENT;
	put_be16(q + IPV6_OFF_PLEN, (uint16_t)(8 + ulen));
	uint8_t fh[8] = {IPV6_NH_UDP, 0, 0, 1 /* M */, 0, 0, 0, 7};
	memcpy(q + 40, fh, 8);
	memcpy(q + 48, udp, ulen);
	/* A non-first fragment (offset 8 units): no UDP header to match. */
	q[42] = 0;
	q[43] = 8 << 3 | 1;
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 48 + ulen);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_FRAGMENT);
	/* A first fragment (offset 0, more to come): matched. */
	q[43] = 1;
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 48 + ulen);
	ts_test_stack_feed(&t, f, n);
	char buf[4];
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	/* Destination options (RFC 8200 §4.6, 16 octets) before UDP: walked. */
	uint8_t dopt[16] = {IPV6_NH_UDP, 1, 1, 12};
	memcpy(q, s.ip, 40);
	q[IPV6_OFF_NEXT] = IPV6_NH_DSTOPTS;
	put_be16(q + IPV6_OFF_PLEN, (uint16_t)(16 + ulen));
	memcpy(q + 40, dopt, 16);
	memcpy(q + 56, udp, ulen);
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 56 + ulen);
	ts_test_stack_feed(&t, f, n);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	/* ... cut inside the options, or with UDP cut short after them. */
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 40 + 12);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 56 + 4);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);
	/* An options header claiming more than the quote holds. */
	q[41] = 200;
	n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, 56 + ulen);
	expect_drop(&t, f, n, DROP_ICMP6_ERR_BAD_QUOTE);

	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ERRORS_DELIVERED], 2);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ERRORS_RX], 13); /* all but the bad checksum */
	ts_close(&t.st, u);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 5927 §4.1 holds over IPv6 too: a quoted sequence number outside SND.UNA..SND.NXT moves
 * nothing. */
START_TEST(tcp_forged_error_out_of_window)
{
	struct ts_test_stack t;
	struct sent syn;
	uint8_t q[128];
	setup(&t, NULL);
	int fd = connect_peer(&t, &syn);
	memcpy(q, syn.ip, syn.ip_len);
	put_be32(q + 40 + 4, syn.tv.seq + 100000);
	uint8_t f[256];
	size_t n = icmp6_err_frame(f, ROUTER6, US6, ICMP6_DEST_UNREACH, 4, 0, q, syn.ip_len);
	expect_drop(&t, f, n, DROP_ICMP_ERR_OUT_OF_WINDOW);
	ck_assert_int_eq(so_error(&t, fd), 0);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *icmp6_err_suite(void)
{
	Suite *s = suite_create("icmp6_err");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, syn_sent_error_ends_connect);
	tcase_add_test(tc, udp_errors_as_linux);
	tcase_add_test(tc, ptb_lowers_mss_and_resends);
	tcase_add_test(tc, ptb_below_minimum_and_modes);
	tcase_add_test(tc, bad_errors_dropped);
	tcase_add_test(tc, tcp_forged_error_out_of_window);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(icmp6_err_suite)
