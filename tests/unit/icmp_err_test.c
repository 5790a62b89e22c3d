/*
 * icmp_err_test.c - ICMP errors reaching TCP and UDP (issue #9 item 8):
 * RFC 1122 §3.2.2.1, §4.2.3.9, §4.1.3.3; RFC 5927 §4.1 (validate the quoted
 * sequence number); RFC 1191 (path MTU discovery); Linux tcp_v4_err,
 * __udp4_lib_err and icmp_err_convert for what each error does.
 *
 * One stack (10.0.0.2) over the capture netdev opens connections to the
 * peer 10.0.0.1; a router, 10.0.0.254 on the same link, answers what the
 * stack sent with ICMP errors quoting it, built here from the very frame
 * the stack sent (or altered, to forge one).
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/tcp.h>

#include "tsunit.h"
#include "byteorder.h"
#include "checksum.h"
#include "ip_pmtu.h"
#include "ipv4.h"
#include "tapstack.h"
#include "tcp_frames.h"
#include "tcp_var.h"

#define PEER	  TS_PEER_IP
#define US	  TS_OUR_IP
#define ROUTER	  0x0a0000feu /* 10.0.0.254 */
#define PEER_PORT 80
#define PEER_ISS  5000u
/* Linux tcpi_state values (include/net/tcp_states.h). */
#define LX_ESTABLISHED 1
#define LX_SYN_SENT    2
#define LX_CLOSE       7

/* What the stack sent last, parsed. */
struct sent {
	uint8_t f[16384];
	size_t len;
	const uint8_t *ip; /* its IPv4 header */
	uint16_t ip_len;
	bool df;
	struct tcp_view tv; /* when TCP */
};

static bool take_ip(struct ts_test_stack *t, struct sent *s, uint8_t proto)
{
	for (;;) {
		s->len = capdev_take(t->cap, s->f, sizeof(s->f));
		if (!s->len)
			return false;
		if (get_be16(s->f + 12) != 0x0800 || s->f[14 + 9] != proto)
			continue; /* ARP replies and the like */
		s->ip = s->f + 14;
		s->ip_len = get_be16(s->ip + 2);
		s->df = (get_be16(s->ip + 6) & IPV4_FLAG_DF) != 0;
		if (proto == IPV4_PROTO_TCP)
			ck_assert_int_eq(tcp_parse(s->ip + 20, s->ip_len - 20u, &s->tv), DROP_NONE);
		return true;
	}
}

static void take_tcp(struct ts_test_stack *t, struct sent *s)
{
	ck_assert_msg(take_ip(t, s, IPV4_PROTO_TCP), "no TCP segment sent");
}

/*
 * An ICMP error (type, code; mtu in the next-hop MTU field of a
 * fragmentation needed) from src to us, to_ip, quoting the first quote
 * octets of the datagram at orig (RFC 792: its header and 64 bits at least).
 */
static size_t icmp_err_frame(uint8_t *f, uint32_t src, uint32_t to_ip, uint8_t type, uint8_t code,
			     uint16_t mtu, const uint8_t *orig, size_t quote)
{
	memcpy(f, ts_our_mac, 6);
	memcpy(f + 6, ts_peer_mac, 6);
	put_be16(f + 12, 0x0800);
	uint8_t *icmp = f + 14 + 20;
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	put_be16(icmp + 6, mtu);
	memcpy(icmp + 8, orig, quote);
	put_be16(icmp + 2, ts_csum_fold(ts_csum_partial(icmp, 8 + quote, 0)));
	struct ipv4_view v = {.total_len = (uint16_t)(20 + 8 + quote),
			      .id = 7,
			      .ttl = 64,
			      .proto = IPV4_PROTO_ICMP,
			      .src = src,
			      .dst = to_ip};
	ipv4_build(f + 14, &v);
	return 14 + 20 + 8 + quote;
}

/* Feeds an ICMP error from the router quoting the IP header and 8 octets of what s holds. */
static void feed_err(struct ts_test_stack *t, const struct sent *s, uint8_t type, uint8_t code,
		     uint16_t mtu)
{
	uint8_t f[2048];
	size_t n = icmp_err_frame(f, ROUTER, US, type, code, mtu, s->ip, 28);
	ts_test_stack_feed(t, f, n);
}

static void setup(struct ts_test_stack *t, const struct ts_config *cfg)
{
	uint8_t f[64];
	ts_test_stack_init(t, cfg);
	ts_test_stack_feed(t, f, ts_arp_request_from_peer(f)); /* the peer's MAC */
	while (capdev_sent_count(t->cap))		       /* the ARP reply */
		capdev_take(t->cap, f, sizeof(f));
}

/* A non-blocking connect to the peer; s gets the SYN. */
static int connect_peer(struct ts_test_stack *t, struct sent *s)
{
	int fd = ts_socket(&t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PEER_PORT)};
	a.sin_addr.s_addr = htonl(PEER);
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

/* An ESTABLISHED connection to the peer, which announced MSS mss and no other option. */
static int establish(struct ts_test_stack *t, uint16_t mss, struct sent *syn)
{
	int fd = connect_peer(t, syn);
	uint8_t opt[4] = {TCP_OPT_MSS, 4, (uint8_t)(mss >> 8), (uint8_t)mss};
	uint8_t f[128];
	size_t n = ts_tcp_frame_from_peer(f, PEER_PORT, syn->tv.src_port, PEER_ISS, syn->tv.seq + 1,
					  TCP_SYN | TCP_ACK, 65535, opt, 4, NULL, 0);
	ts_test_stack_feed(t, f, n);
	struct sent ack;
	take_tcp(t, &ack);
	ck_assert_uint_eq(ack.tv.flags, TCP_ACK);
	ck_assert_uint_eq(info_of(t, fd).tcpi_state, LX_ESTABLISHED);
	return fd;
}

/* RFC 1122 §4.2.3.9 / Linux tcp_v4_err: in SYN-SENT an error ends the connect with its errno. */
START_TEST(syn_sent_error_ends_connect)
{
	static const struct {
		uint8_t type, code;
		int err;
	} cases[] = {
	    {3, 3, ECONNREFUSED}, /* port unreachable: hard */
	    {3, 2, ENOPROTOOPT},  /* protocol unreachable: hard */
	    {3, 1, EHOSTUNREACH}, /* host unreachable: soft, but nothing is established */
	    {3, 0, ENETUNREACH},   {3, 13, EHOSTUNREACH}, /* administratively prohibited */
	    {11, 0, EHOSTUNREACH},			  /* TTL exceeded in transit */
	    {12, 0, EPROTO},				  /* parameter problem */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ts_test_stack t;
		struct sent syn;
		setup(&t, NULL);
		int fd = connect_peer(&t, &syn);
		feed_err(&t, &syn, cases[i].type, cases[i].code, 0);
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		ck_assert_int_eq(ts_poll(&t.st, &p, 1, 0), 1);
		ck_assert_msg(p.revents & POLLERR, "case %zu: revents %#x", i, p.revents);
		ck_assert_msg(so_error(&t, fd) == cases[i].err, "case %zu (%u/%u): SO_ERROR %d", i,
			      cases[i].type, cases[i].code, so_error(&t, fd));
		ck_assert_uint_eq(info_of(&t, fd).tcpi_state, LX_CLOSE);
		/* No more SYNs: the attempt is over, not waiting for its timer. */
		stack_poll(&t.st, t.st.now_us + 10 * 1000000ull);
		struct sent none;
		ck_assert(!take_ip(&t, &none, IPV4_PROTO_TCP));
		ck_assert_uint_eq(t.st.counters[CTR_RX_DELIVERED], 2); /* ARP request, ICMP */
		ts_close(&t.st, fd);
		ts_test_stack_free(&t);
	}
}
END_TEST

/* Errors that do not match what we sent, or cannot be ours, change nothing (named drops). */
START_TEST(forged_errors_change_nothing)
{
	struct ts_test_stack t;
	struct sent syn;
	uint8_t f[2048], q[64];
	setup(&t, NULL);
	int fd = connect_peer(&t, &syn);

	/* The quoted sequence number is not ours (RFC 5927 §4.1: SND.UNA..SND.NXT). */
	memcpy(q, syn.ip, 28);
	put_be32(q + 24, syn.tv.seq + 100000);
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, US, 3, 3, 0, q, 28));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_OUT_OF_WINDOW], 1);
	/* Another peer port: no such connection. */
	memcpy(q, syn.ip, 28);
	put_be16(q + 22, PEER_PORT + 1);
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, US, 3, 3, 0, q, 28));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_NO_SOCKET], 1);
	/* A datagram from another source: not ours. */
	memcpy(q, syn.ip, 28);
	put_be32(q + 12, 0x0a000009);
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, US, 3, 3, 0, q, 28));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_NOT_OURS], 1);
	/* Less than the header and 64 bits (RFC 792). */
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, US, 3, 3, 0, syn.ip, 24));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_BAD_QUOTE], 1);
	/* To the subnet broadcast address (Linux icmp_rcv ignores it). */
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, 0x0a0000ff, 3, 3, 0, syn.ip, 28));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_BCAST], 1);
	/* Source quench: ignored (RFC 6633). */
	feed_err(&t, &syn, 4, 0, 0);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_SOURCE_QUENCH], 1);

	ck_assert_int_eq(so_error(&t, fd), 0);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_state, LX_SYN_SENT);
	ck_assert_uint_eq(t.st.counters[CTR_RX_DELIVERED], 1); /* the ARP request only */
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/* Retransmissions into silence give up after about 3 s (tcp_max_retries 3, RTO 200 ms). */
static void short_retries(struct ts_config *c)
{
	ts_config_default(c);
	c->ip = US;
	c->seed = 1;
	c->gratuitous_arp = false;
	c->tcp_max_retries = 3;
}

/* Sends 100 bytes on an ESTABLISHED connection; d gets the segment. */
static int established_with_data(struct ts_test_stack *t, struct sent *d)
{
	struct sent syn;
	int fd = establish(t, 1460, &syn);
	char data[100] = {0};
	ck_assert_int_eq(ts_send(&t->st, fd, data, sizeof(data), 0), 100);
	take_tcp(t, d);
	ck_assert_uint_eq(d->tv.payload_len, 100);
	return fd;
}

static void run_until_given_up(struct ts_test_stack *t, int fd)
{
	for (int i = 0; i < 100 && info_of(t, fd).tcpi_state != LX_CLOSE; i++)
		stack_poll(&t->st, t->st.now_us + 1000000);
	ck_assert_uint_eq(info_of(t, fd).tcpi_state, LX_CLOSE);
}

/*
 * RFC 1122 §4.2.3.9, Linux tcp_v4_err: once established, an error is soft
 * (kept in sk_err_soft) and the connection goes on; if it then times out,
 * the soft error is what the application sees instead of ETIMEDOUT
 * (tcp_write_err).
 */
START_TEST(established_soft_error_reported_on_timeout)
{
	struct ts_config cfg;
	short_retries(&cfg);
	for (int variant = 0; variant < 3; variant++) {
		struct ts_test_stack t;
		struct sent d;
		setup(&t, &cfg);
		int fd = established_with_data(&t, &d);
		if (variant == 0)
			feed_err(&t, &d, 3, 1, 0); /* host unreachable */
		if (variant == 1)
			feed_err(&t, &d, 3, 3,
				 0); /* port unreachable: hard, still only soft here */
		ck_assert_int_eq(so_error(&t, fd), 0);
		ck_assert_uint_eq(info_of(&t, fd).tcpi_state, LX_ESTABLISHED);
		run_until_given_up(&t, fd);
		char buf[8];
		int want = variant == 0 ? EHOSTUNREACH : variant == 1 ? ECONNREFUSED : ETIMEDOUT;
		ck_errno(ts_recv(&t.st, fd, buf, sizeof(buf), 0), want);
		ts_close(&t.st, fd);
		ts_test_stack_free(&t);
	}
}
END_TEST

/* An acceptable segment from the peer shows the path works: the soft error is forgotten. */
START_TEST(soft_error_cleared_by_acceptable_ack)
{
	struct ts_config cfg;
	short_retries(&cfg);
	struct ts_test_stack t;
	struct sent d, d2;
	setup(&t, &cfg);
	int fd = established_with_data(&t, &d);
	feed_err(&t, &d, 3, 1, 0);
	uint8_t f[128];
	/* The peer acknowledges; more data then goes unanswered. */
	size_t n = ts_tcp_frame_from_peer(f, PEER_PORT, d.tv.src_port, PEER_ISS + 1, d.tv.seq + 100,
					  TCP_ACK, 65535, NULL, 0, NULL, 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_int_eq(ts_send(&t.st, fd, "more", 4, 0), 4);
	take_tcp(&t, &d2);
	run_until_given_up(&t, fd);
	char buf[8];
	ck_errno(ts_recv(&t.st, fd, buf, sizeof(buf), 0), ETIMEDOUT);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/* IP_RECVERR (ip(7)): errors on an established connection are reported at once, and it goes on. */
START_TEST(recverr_reports_at_once)
{
	struct ts_test_stack t;
	struct sent d;
	setup(&t, NULL);
	int fd = established_with_data(&t, &d);
	int on = 1;
	ck_assert_int_eq(ts_setsockopt(&t.st, fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)), 0);
	feed_err(&t, &d, 3, 3, 0);
	char buf[8];
	ck_errno(ts_recv(&t.st, fd, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	ck_errno(ts_recv(&t.st, fd, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_state, LX_ESTABLISHED);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

static int ip_int_opt(struct ts_test_stack *t, int fd, int name, int *v)
{
	socklen_t l = sizeof(*v);
	return ts_getsockopt(&t->st, fd, IPPROTO_IP, name, v, &l);
}

/*
 * RFC 1191: TCP segments carry DF; a fragmentation needed quoting one
 * lowers the path MTU, the MSS follows, and what no longer fits goes again
 * at once in segments that do (Linux tcp_v4_mtu_reduced,
 * tcp_simple_retransmit).  Ten minutes later the estimate expires and the
 * MSS grows back (RFC 1191 §6.3, Linux ip_rt_mtu_expires).
 */
START_TEST(frag_needed_lowers_mss_and_resends)
{
	struct ts_test_stack t;
	struct sent syn, s;
	setup(&t, NULL);
	int fd = establish(&t, 1460, &syn);
	ck_assert(syn.df);
	static char data[4000];
	ck_assert_int_eq(ts_send(&t.st, fd, data, sizeof(data), 0), (int)sizeof(data));
	take_tcp(&t, &s);
	ck_assert_uint_eq(s.ip_len, 1500);
	ck_assert(s.df);
	uint32_t una = s.tv.seq;
	while (take_ip(&t, &s, IPV4_PROTO_TCP))
		;
	feed_err(&t, &s, 3, 4, 1280); /* quoting the last segment: in flight */
	struct tcp_info ti = info_of(&t, fd);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1280);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1240);
	int mtu = 0;
	ck_assert_int_eq(ip_int_opt(&t, fd, IP_MTU, &mtu), 0);
	ck_assert_int_eq(mtu, 1280);
	/* In flight again from SND.UNA, in segments that fit, as far as the
	 * congestion window (4380 octets, RFC 3390) lets them go. */
	uint32_t next = una, bytes = 0;
	while (take_ip(&t, &s, IPV4_PROTO_TCP)) {
		ck_assert_uint_le(s.ip_len, 1280);
		ck_assert(s.df);
		ck_assert_uint_eq(s.tv.seq, next);
		next += s.tv.payload_len;
		bytes += s.tv.payload_len;
	}
	ck_assert_uint_eq(bytes, 3 * 1240);
	ck_assert_uint_eq(t.st.counters[CTR_TCP_RETRANS], 3);
	ck_assert_uint_eq(t.st.counters[CTR_TCP_PMTU_RESENDS], 1);
	/* Acknowledged: the rest follows. */
	uint8_t f[128];
	size_t n = ts_tcp_frame_from_peer(f, PEER_PORT, s.tv.src_port, PEER_ISS + 1, next, TCP_ACK,
					  65535, NULL, 0, NULL, 0);
	ts_test_stack_feed(&t, f, n);
	while (take_ip(&t, &s, IPV4_PROTO_TCP)) {
		ck_assert(s.ip_len <= 1280 && s.tv.seq == next);
		next += s.tv.payload_len;
	}
	ck_assert_uint_eq(next - una, sizeof(data));
	/* All acknowledged; ten minutes later the estimate has expired. */
	n = ts_tcp_frame_from_peer(f, PEER_PORT, s.tv.src_port, PEER_ISS + 1, next, TCP_ACK, 65535,
				   NULL, 0, NULL, 0);
	ts_test_stack_feed(&t, f, n);
	stack_poll(&t.st, t.st.now_us + 601 * 1000000ull);
	ti = info_of(&t, fd);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1500);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1460);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * A router that gives no MTU (RFC 1191 §5): the plateau below the quoted
 * datagram's length.  One below Linux's 552 floor: 552, and DF off
 * (ip_rt_min_pmtu, the estimate locked).  A forged one (wrong sequence
 * number) moves nothing.
 */
START_TEST(frag_needed_plateau_floor_and_forgery)
{
	struct ts_test_stack t;
	struct sent syn, s;
	uint8_t f[2048], q[64];
	setup(&t, NULL);
	int fd = establish(&t, 1460, &syn);
	static char data[3000];
	ck_assert_int_eq(ts_send(&t.st, fd, data, sizeof(data), 0), (int)sizeof(data));
	take_tcp(&t, &s);
	while (capdev_sent_count(t.cap))
		capdev_take(t.cap, f, sizeof(f));
	memcpy(q, s.ip, 28);
	put_be32(q + 24, s.tv.seq - 1); /* before SND.UNA */
	ts_test_stack_feed(&t, f, icmp_err_frame(f, ROUTER, US, 3, 4, 576, q, 28));
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_OUT_OF_WINDOW], 1);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_pmtu, 1500);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);

	feed_err(&t, &s, 3, 4, 0); /* no MTU given, the datagram was 1500 */
	ck_assert_uint_eq(info_of(&t, fd).tcpi_pmtu, 1492);
	while (take_ip(&t, &s, IPV4_PROTO_TCP))
		ck_assert(s.ip_len <= 1492 && s.df);
	feed_err(&t, &s, 3, 4, 300);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_pmtu, 552);
	int sent = 0;
	while (take_ip(&t, &s, IPV4_PROTO_TCP)) {
		ck_assert(s.ip_len <= 552 && !s.df);
		sent++;
	}
	ck_assert_int_gt(sent, 0);
	/* Not lower than what is in force: nothing to do. */
	feed_err(&t, &s, 3, 4, 1000);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_PMTU_NOT_LOWER], 1);
	ck_assert_uint_eq(info_of(&t, fd).tcpi_pmtu, 552);
	ts_close(&t.st, fd);
	ts_test_stack_free(&t);
}
END_TEST

/* A UDP socket connected to the peer's port 9; s gets what the first send put on the wire. */
static int udp_connected(struct ts_test_stack *t, struct sent *s)
{
	int u = ts_socket(&t->st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
	a.sin_addr.s_addr = htonl(PEER);
	ck_assert_int_eq(ts_connect(&t->st, u, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_send(&t->st, u, "x", 1, 0), 1);
	ck_assert(take_ip(t, s, IPV4_PROTO_UDP));
	return u;
}

/*
 * RFC 1122 §4.1.3.3, Linux __udp4_lib_err: a connected socket gets hard
 * errors on its next call (send or receive), once; soft ones and
 * unconnected sockets get nothing, unless IP_RECVERR.
 */
START_TEST(udp_errors_as_linux)
{
	struct ts_test_stack t;
	struct sent s;
	char buf[8];
	setup(&t, NULL);
	int u = udp_connected(&t, &s);
	ck_assert(s.df); /* IP_PMTUDISC_WANT: DF on what fits */
	feed_err(&t, &s, 3, 3, 0);
	struct pollfd p = {.fd = u, .events = POLLIN};
	ck_assert_int_eq(ts_poll(&t.st, &p, 1, 0), 1);
	ck_assert(p.revents & POLLERR);
	ck_errno(ts_send(&t.st, u, "x", 1, 0), ECONNREFUSED);
	ck_assert_int_eq(ts_send(&t.st, u, "x", 1, 0), 1);
	feed_err(&t, &s, 3, 3, 0);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* Host unreachable is soft: not reported.  Prohibited is hard. */
	feed_err(&t, &s, 3, 1, 0);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_IGNORED], 1);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	feed_err(&t, &s, 3, 13, 0);
	ck_errno(ts_recv(&t.st, u, buf, sizeof(buf), MSG_DONTWAIT), EHOSTUNREACH);
	ts_close(&t.st, u);

	/* Unconnected: nothing, unless IP_RECVERR. */
	for (int recverr = 0; recverr < 2; recverr++) {
		while (take_ip(&t, &s, IPV4_PROTO_UDP))
			; /* what the connected socket sent */
		int w = ts_socket(&t.st, AF_INET, SOCK_DGRAM, 0);
		ck_assert_int_eq(
		    ts_setsockopt(&t.st, w, IPPROTO_IP, IP_RECVERR, &recverr, sizeof(recverr)), 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9)};
		a.sin_addr.s_addr = htonl(PEER);
		ck_assert_int_eq(ts_sendto(&t.st, w, "x", 1, 0, SA(a), sizeof(a)), 1);
		ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP));
		feed_err(&t, &s, 3, 3, 0);
		if (recverr)
			ck_errno(ts_recv(&t.st, w, buf, sizeof(buf), MSG_DONTWAIT), ECONNREFUSED);
		else
			ck_errno(ts_recv(&t.st, w, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
		ts_close(&t.st, w);
	}
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP_ERR_IGNORED], 2);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * IP_MTU_DISCOVER on UDP (ip(7)): WANT fragments what exceeds the path MTU
 * (without DF), DO refuses it (EMSGSIZE), DONT never sets DF.
 */
START_TEST(udp_pmtu_modes)
{
	struct ts_test_stack t;
	struct sent s;
	static char big[1400];
	setup(&t, NULL);
	int u = udp_connected(&t, &s);
	int v = -1;
	ck_assert_int_eq(ip_int_opt(&t, u, IP_MTU_DISCOVER, &v), 0);
	ck_assert_int_eq(v, IP_PMTUDISC_WANT);
	ck_assert_int_eq(ip_int_opt(&t, u, IP_MTU, &v), 0);
	ck_assert_int_eq(v, 1500);
	feed_err(&t, &s, 3, 4, 1280);
	ck_assert_int_eq(ip_int_opt(&t, u, IP_MTU, &v), 0);
	ck_assert_int_eq(v, 1280);
	/* The hard error EMSGSIZE goes to the connected socket once. */
	ck_errno(ts_send(&t.st, u, "x", 1, 0), EMSGSIZE);
	ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP) == false);
	ck_assert_int_eq(ts_send(&t.st, u, big, sizeof(big), 0), (int)sizeof(big));
	ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP));
	ck_assert(!s.df && s.ip_len <= 1280 && (get_be16(s.ip + 6) & IPV4_FLAG_MF));
	ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP));
	v = IP_PMTUDISC_DO;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
	ck_errno(ts_send(&t.st, u, big, sizeof(big), 0), EMSGSIZE);
	ck_assert_int_eq(ts_send(&t.st, u, big, 1000, 0), 1000);
	ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP));
	ck_assert(s.df);
	v = IP_PMTUDISC_DONT;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), 0);
	ck_assert_int_eq(ts_send(&t.st, u, big, 1000, 0), 1000);
	ck_assert(take_ip(&t, &s, IPV4_PROTO_UDP));
	ck_assert(!s.df);
	/* ip(7): 0..5 (IP_PMTUDISC_OMIT); anything else EINVAL. */
	v = 6;
	ck_errno(ts_setsockopt(&t.st, u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), EINVAL);
	v = -1;
	ck_errno(ts_setsockopt(&t.st, u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)), EINVAL);
	ts_close(&t.st, u);
	/* Unconnected: IP_MTU is ENOTCONN; TCP's default is WANT too. */
	u = ts_socket(&t.st, AF_INET, SOCK_DGRAM, 0);
	ck_errno(ip_int_opt(&t, u, IP_MTU, &v), ENOTCONN);
	ts_close(&t.st, u);
	u = ts_socket(&t.st, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ip_int_opt(&t, u, IP_MTU_DISCOVER, &v), 0);
	ck_assert_int_eq(v, IP_PMTUDISC_WANT);
	ck_assert_int_eq(ip_int_opt(&t, u, IP_RECVERR, &v), 0);
	ck_assert_int_eq(v, 0);
	ts_close(&t.st, u);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * The cache itself (ip_pmtu.c): estimates only go down, stop at the
 * family's floor (locked), expire after cfg.pmtu_expires_ms, and at most
 * IP_PMTU_MAX_ENTRIES are held, a new one evicting the oldest.
 */
START_TEST(pmtu_cache_bounded_and_expiring)
{
	struct ts_test_stack t;
	setup(&t, NULL);
	struct stack *st = &t.st;
	bool locked = true;
	struct ip_addr a = ip_addr_v4(0x0a010001);
	ck_assert_uint_eq(ip_pmtu_get(st, &a, &locked), 1500);
	ck_assert(!locked);
	ck_assert_uint_eq(ip_pmtu_update(st, &a, 1400), 1400);
	ck_assert_uint_eq(ip_pmtu_update(st, &a, 1450), 0); /* never raised */
	ck_assert_uint_eq(ip_pmtu_update(st, &a, 100), IP_PMTU_MIN_V4);
	ck_assert_uint_eq(ip_pmtu_get(st, &a, &locked), IP_PMTU_MIN_V4);
	ck_assert(locked);
	ck_assert_uint_eq(ip_pmtu_plateau(1500), 1492);
	ck_assert_uint_eq(ip_pmtu_plateau(1006), 508);
	ck_assert_uint_eq(ip_pmtu_plateau(40), 68);
	/* 300 destinations, one every second: the table holds the newest 256. */
	for (uint32_t i = 0; i < 300; i++) {
		struct ip_addr d = ip_addr_v4(0xc6120000 + i);
		stack_poll(st, st->now_us + 1000000);
		ck_assert_uint_eq(ip_pmtu_update(st, &d, 1300), 1300);
		ck_assert_uint_le(ip_pmtu_count(st), IP_PMTU_MAX_ENTRIES);
	}
	ck_assert_uint_eq(ip_pmtu_count(st), IP_PMTU_MAX_ENTRIES);
	struct ip_addr first = ip_addr_v4(0xc6120000), last = ip_addr_v4(0xc6120000 + 299);
	ck_assert_uint_eq(ip_pmtu_get(st, &first, NULL), 1500);
	ck_assert_uint_eq(ip_pmtu_get(st, &last, NULL), 1300);
	ck_assert_uint_eq(st->counters[CTR_ICMP_PMTU_EXPIRED], 300 + 1 - IP_PMTU_MAX_ENTRIES);
	/* Ten minutes after the last: all forgotten. */
	stack_poll(st, st->now_us + 601 * 1000000ull);
	ck_assert_uint_eq(ip_pmtu_count(st), 0);
	ck_assert_uint_eq(ip_pmtu_get(st, &last, NULL), 1500);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *icmp_err_suite(void)
{
	Suite *s = suite_create("icmp_err");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, syn_sent_error_ends_connect);
	tcase_add_test(tc, forged_errors_change_nothing);
	tcase_add_test(tc, established_soft_error_reported_on_timeout);
	tcase_add_test(tc, soft_error_cleared_by_acceptable_ack);
	tcase_add_test(tc, recverr_reports_at_once);
	tcase_add_test(tc, frag_needed_lowers_mss_and_resends);
	tcase_add_test(tc, frag_needed_plateau_floor_and_forgery);
	tcase_add_test(tc, udp_errors_as_linux);
	tcase_add_test(tc, udp_pmtu_modes);
	tcase_add_test(tc, pmtu_cache_bounded_and_expiring);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(icmp_err_suite)
