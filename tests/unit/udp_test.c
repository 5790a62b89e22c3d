/*
 * udp_test.c - UDP (RFC 768) on golden frames captured from Linux
 * (tests/frames/udp/, see the header of each file): the view parses them
 * (fields, odd length, zero checksum), the builder reproduces Linux's
 * bytes, bad frames die under the right reason, and one stack delivers,
 * answers, filters by connection, bounds its queue by SO_RCVBUF and sends
 * ICMP port unreachable for closed ports.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "tsunit.h"
#include "tapstack.h"
#include "byteorder.h"
#include "checksum.h"
#include "udp.h"

#define ETH_LEN 14
#define IP_LEN	20
#define UDP_AT	(ETH_LEN + IP_LEN)
#define PEER_IP 0x0a000001u
#define OUR_IP	0x0a000002u

static uint8_t frame[2048];

static size_t load(const char *name)
{
	return ts_load_hex(name, frame, sizeof(frame));
}

/* udp_input's order: the view (lengths), then the checksum over the pseudo header. */
static enum ts_drop_reason parse_and_verify(const uint8_t *p, size_t len, uint32_t src,
					    uint32_t dst, struct udp_view *v)
{
	enum ts_drop_reason r = udp_parse(p, len, v);
	if (r == DROP_NONE && !udp_csum_ok(p, v, IP4(src), IP4(dst)))
		r = DROP_UDP_BAD_CSUM;
	return r;
}

/* A real datagram parses into exactly the fields Linux sent. */
START_TEST(parse_linux_datagram)
{
	size_t n = load("udp/hello_to_port7.hex");
	struct udp_view v;
	ck_assert_uint_eq(n, 48);
	ck_assert_int_eq(parse_and_verify(frame + UDP_AT, n - UDP_AT, PEER_IP, OUR_IP, &v),
			 DROP_NONE);
	ck_assert_uint_eq(v.sport, 40000);
	ck_assert_uint_eq(v.dport, 7);
	ck_assert_uint_eq(v.len, 14);
	ck_assert_uint_eq(v.csum, 0x0bac);
	ck_assert_uint_eq(v.payload_len, 6);
	ck_assert_mem_eq(v.payload, "hello\n", 6);
}
END_TEST

/* Odd payload length: the checksum pads one zero octet (RFC 768). */
START_TEST(parse_odd_length)
{
	size_t n = load("udp/odd_to_port7.hex");
	struct udp_view v;
	ck_assert_int_eq(parse_and_verify(frame + UDP_AT, n - UDP_AT, PEER_IP, OUR_IP, &v),
			 DROP_NONE);
	ck_assert_uint_eq(v.len, 21);
	ck_assert_uint_eq(v.payload_len, 13);
	ck_assert_mem_eq(v.payload, "tapstack udp!", 13);
}
END_TEST

/* Checksum 0 means "none computed": accepted without verification. */
START_TEST(parse_zero_checksum)
{
	size_t n = load("udp/zero_csum.hex");
	struct udp_view v;
	ck_assert_int_eq(parse_and_verify(frame + UDP_AT, n - UDP_AT, PEER_IP, OUR_IP, &v),
			 DROP_NONE);
	ck_assert_uint_eq(v.csum, 0);
	ck_assert_uint_eq(v.sport, 40001);
	frame[n - 1] ^= 0x20; /* nothing verifies the payload */
	ck_assert_int_eq(parse_and_verify(frame + UDP_AT, n - UDP_AT, PEER_IP, OUR_IP, &v),
			 DROP_NONE);
}
END_TEST

/* Length checks before anything else, then the checksum, each with its reason. */
START_TEST(parse_errors)
{
	size_t n = load("udp/hello_to_port7.hex");
	uint8_t *u = frame + UDP_AT;
	size_t len = n - UDP_AT;
	struct udp_view v;

	ck_assert_int_eq(parse_and_verify(u, 7, PEER_IP, OUR_IP, &v), DROP_UDP_TRUNCATED);
	ck_assert_int_eq(parse_and_verify(u, 0, PEER_IP, OUR_IP, &v), DROP_UDP_TRUNCATED);
	put_be16(u + UDP_OFF_LEN, 7);
	ck_assert_int_eq(parse_and_verify(u, len, PEER_IP, OUR_IP, &v), DROP_UDP_BAD_LEN);
	put_be16(u + UDP_OFF_LEN, 15); /* one past the IP payload */
	ck_assert_int_eq(parse_and_verify(u, len, PEER_IP, OUR_IP, &v), DROP_UDP_BAD_LEN);
	put_be16(u + UDP_OFF_LEN, 14);
	/* Octets after the UDP length (IP padding) are ignored, checksum included. */
	u[len] = 0xde;
	u[len + 1] = 0xad;
	ck_assert_int_eq(parse_and_verify(u, len + 2, PEER_IP, OUR_IP, &v), DROP_NONE);
	ck_assert_uint_eq(v.payload_len, 6);
	/* One flipped bit anywhere, or the wrong pseudo header, fails the checksum. */
	u[9] ^= 0x01;
	ck_assert_int_eq(parse_and_verify(u, len, PEER_IP, OUR_IP, &v), DROP_UDP_BAD_CSUM);
	u[9] ^= 0x01;
	ck_assert_int_eq(parse_and_verify(u, len, PEER_IP + 1, OUR_IP, &v), DROP_UDP_BAD_CSUM);
}
END_TEST

/* The builder writes the same 8 header bytes Linux sent, checksum included. */
START_TEST(build_matches_linux)
{
	static const struct {
		const char *file;
		uint32_t src, dst;
	} cases[] = {
	    {"udp/hello_to_port7.hex", PEER_IP, OUR_IP},
	    {"udp/hello_echo_reply.hex", OUR_IP, PEER_IP},
	    {"udp/odd_to_port7.hex", PEER_IP, OUR_IP},
	    {"udp/odd_echo_reply.hex", OUR_IP, PEER_IP},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = load(cases[i].file);
		uint8_t out[128];
		size_t plen = n - UDP_AT - UDP_HDR_LEN;
		memcpy(out + UDP_HDR_LEN, frame + UDP_AT + UDP_HDR_LEN, plen);
		udp_build(out, get_be16(frame + UDP_AT), get_be16(frame + UDP_AT + 2), plen,
			  IP4(cases[i].src), IP4(cases[i].dst));
		ck_assert_mem_eq(out, frame + UDP_AT, UDP_HDR_LEN + plen);
	}
}
END_TEST

/* A checksum that computes to 0 is sent as 0xffff (RFC 768). */
START_TEST(build_zero_checksum_sent_as_ffff)
{
	uint8_t p[10] = {0};
	/* Find a two-byte payload whose checksum folds to 0, then check the field. */
	for (unsigned x = 0; x < 0x10000; x++) {
		put_be16(p + 8, (uint16_t)x);
		udp_build(p, 1, 2, 2, IP4(PEER_IP), IP4(OUR_IP));
		uint16_t c = get_be16(p + 6);
		ck_assert_uint_ne(c, 0);
		if (c == 0xffff) {
			/* Verifies as all ones: the receiver's sum is still zero. */
			uint32_t s = ts_csum_pseudo(PEER_IP, OUR_IP, 17, 10);
			ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(p, 10, s)), 0);
			return;
		}
	}
	ck_abort_msg("no payload gave checksum 0xffff");
}
END_TEST

START_TEST(describe_lines)
{
	size_t n = load("udp/hello_to_port7.hex");
	char out[64];
	udp_describe(frame + UDP_AT, n - UDP_AT, out, sizeof(out));
	ck_assert_str_eq(out, "udp 40000>7 len=6");
	udp_describe(frame + UDP_AT, 4, out, sizeof(out));
	ck_assert_str_eq(out, "udp truncated len=4");
	put_be16(frame + UDP_AT + UDP_OFF_LEN, 300);
	udp_describe(frame + UDP_AT, n - UDP_AT, out, sizeof(out));
	ck_assert_str_eq(out, "udp 40000>7 badlen=300");
}
END_TEST

/* ---- one stack ---- */

static struct ts_test_stack T;

static void setup(void)
{
	ts_test_stack_init(&T, NULL);
}

static void teardown(void)
{
	ts_test_stack_free(&T);
}

static void feed(const char *name)
{
	size_t n = load(name);
	ts_test_stack_feed(&T, frame, n);
}

static int udp_bound_opt(const char *ip, uint16_t port, int reuse)
{
	int fd = ts_socket(&T.st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(ts_setsockopt(&T.st, fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)),
			 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = inet_addr(ip);
	ck_assert_int_eq(ts_bind(&T.st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static int udp_bound(const char *ip, uint16_t port)
{
	return udp_bound_opt(ip, port, 0);
}

/* Teaches the ARP cache the peer (its real who-has) and discards our ARP reply. */
static void learn_peer(void)
{
	uint8_t out[128];
	feed("udp/arp_request_from_peer.hex");
	ck_assert_uint_eq(capdev_sent_count(T.cap), 1);
	ck_assert_uint_eq(capdev_take(T.cap, out, sizeof(out)), 42);
	ck_assert_uint_eq(get_be16(out + 12), 0x0806);
}

/* Delivery to a wildcard-bound socket, with the sender's address. */
START_TEST(input_delivers_to_socket)
{
	int fd = udp_bound("0.0.0.0", 7);
	char buf[64];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);

	feed("udp/hello_to_port7.hex");
	ck_assert_uint_eq(T.st.counters[CTR_UDP_RX], 1);
	ck_assert_uint_eq(capdev_sent_count(T.cap), 0);
	ck_assert_int_eq(
	    ts_recvfrom(&T.st, fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), 6);
	ck_assert_mem_eq(buf, "hello\n", 6);
	ck_assert_int_eq(len, sizeof(from));
	ck_assert_uint_eq(from.sin_addr.s_addr, inet_addr("10.0.0.1"));
	ck_assert_uint_eq(ntohs(from.sin_port), 40000);
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, sizeof(buf), 0, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

/* The echo we send is Linux's echo reply: Ethernet, addresses and UDP bytes identical. */
START_TEST(echo_reply_matches_linux)
{
	int fd = udp_bound("0.0.0.0", 7);
	char buf[64];
	struct sockaddr_in from;
	socklen_t len = sizeof(from);
	uint8_t out[128], want[128];

	learn_peer();
	feed("udp/hello_to_port7.hex");
	ssize_t n = ts_recvfrom(&T.st, fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(ts_sendto(&T.st, fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len), 6);
	ck_assert_uint_eq(T.st.counters[CTR_UDP_TX], 1);
	size_t got = capdev_take(T.cap, out, sizeof(out));
	size_t wn = ts_load_hex("udp/hello_echo_reply.hex", want, sizeof(want));
	ck_assert_uint_eq(got, wn);
	ck_assert_mem_eq(out, want, ETH_LEN);
	/* IPv4: all but ID (random), flags (Linux sets DF) and the checksum over them. */
	ck_assert_mem_eq(out + 14, want + 14, 4);	    /* version/IHL, TOS, total length */
	ck_assert_mem_eq(out + 14 + 8, want + 14 + 8, 2);   /* TTL, protocol */
	ck_assert_mem_eq(out + 14 + 12, want + 14 + 12, 8); /* addresses */
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(out + 14, 20, 0)), 0);
	ck_assert_mem_eq(out + UDP_AT, want + UDP_AT, wn - UDP_AT);
}
END_TEST

/* No socket: counted UDP_NO_PORT and answered with port unreachable quoting the datagram. */
START_TEST(closed_port_sends_port_unreachable)
{
	uint8_t out[256], orig[128];
	learn_peer();
	size_t on = load("udp/to_closed_port9.hex");
	memcpy(orig, frame, on);
	ts_test_stack_feed(&T, orig, on);
	ck_assert_uint_eq(T.st.drops[DROP_UDP_NO_PORT], 1);
	size_t n = capdev_take(T.cap, out, sizeof(out));
	ck_assert_uint_ge(n, ETH_LEN + IP_LEN + 8 + (on - ETH_LEN));
	ck_assert_uint_eq(out[14 + 9], 1);     /* ICMP */
	ck_assert_uint_eq(out[UDP_AT], 3);     /* destination unreachable */
	ck_assert_uint_eq(out[UDP_AT + 1], 3); /* port */
	/* RFC 792: the quote starts with the original IP header and the UDP header. */
	ck_assert_mem_eq(out + UDP_AT + 8, orig + ETH_LEN, on - ETH_LEN);
	/* Linux's answer to the same datagram quotes the same bytes. */
	size_t ln = load("udp/port_unreach_reply.hex");
	ck_assert_mem_eq(frame + UDP_AT + 8, orig + ETH_LEN, ln - UDP_AT - 8);
}
END_TEST

/* Bad frames are counted under their reason and reach nobody. */
START_TEST(bad_frames_counted)
{
	int fd = udp_bound("0.0.0.0", 7);
	size_t n = load("udp/hello_to_port7.hex");
	char buf[16];

	frame[n - 1] ^= 0x40; /* payload bit: checksum fails */
	ts_test_stack_feed(&T, frame, n);
	ck_assert_uint_eq(T.st.drops[DROP_UDP_BAD_CSUM], 1);
	n = load("udp/hello_to_port7.hex");
	put_be16(frame + UDP_AT + UDP_OFF_LEN, 200);
	ts_test_stack_feed(&T, frame, n);
	ck_assert_uint_eq(T.st.drops[DROP_UDP_BAD_LEN], 1);
	ck_assert_int_eq(ts_read(&T.st, fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_uint_eq(capdev_sent_count(T.cap), 0); /* no ICMP about bad datagrams */
}
END_TEST

/* SO_RCVBUF bounds the queue: payload + 768 bytes per datagram, first always fits. */
START_TEST(rcvbuf_bounds_queue)
{
	int fd = udp_bound("0.0.0.0", 7);
	int one = 1;
	char buf[16];
	ck_assert_int_eq(ts_setsockopt(&T.st, fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)), 0);
	/* rcvbuf 2304: 774 + 774 fit, a third (2322) does not. */
	for (int i = 0; i < 5; i++)
		feed("udp/hello_to_port7.hex");
	ck_assert_uint_eq(T.st.drops[DROP_UDP_RCVBUF_FULL], 3);
	ck_assert_int_eq(ts_read(&T.st, fd, buf, sizeof(buf)), 6);
	ck_assert_int_eq(ts_read(&T.st, fd, buf, sizeof(buf)), 6);
	ck_assert_int_eq(ts_read(&T.st, fd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Room again after reading. */
	feed("udp/hello_to_port7.hex");
	ck_assert_int_eq(ts_read(&T.st, fd, buf, sizeof(buf)), 6);
}
END_TEST

/* A connected socket gets only its peer's datagrams and beats a wildcard one for them. */
START_TEST(connected_socket_filters_and_wins)
{
	/* Wildcard and specific on one port clash unless both set SO_REUSEADDR (as on Linux). */
	int wild = udp_bound_opt("0.0.0.0", 7, 1);
	int conn = udp_bound_opt("10.0.0.2", 7, 1);
	char buf[32];
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(40001)};
	peer.sin_addr.s_addr = inet_addr("10.0.0.1");
	ck_assert_int_eq(ts_connect(&T.st, conn, (struct sockaddr *)&peer, sizeof(peer)), 0);

	feed("udp/hello_to_port7.hex"); /* from :40000: not conn's peer */
	feed("udp/zero_csum.hex");	/* from :40001: conn's peer */
	ck_assert_int_eq(ts_read(&T.st, wild, buf, sizeof(buf)), 6);
	ck_assert_int_eq(ts_read(&T.st, wild, buf, sizeof(buf)), -1);
	ck_assert_int_eq(ts_read(&T.st, conn, buf, sizeof(buf)), 11);
	ck_assert_mem_eq(buf, "no checksum", 11);
	/* Without the wildcard socket, a stranger's datagram finds no port. */
	ck_assert_int_eq(ts_close(&T.st, wild), 0);
	feed("udp/hello_to_port7.hex");
	ck_assert_uint_eq(T.st.drops[DROP_UDP_NO_PORT], 1);
}
END_TEST

/* MSG_PEEK leaves the datagram; a short buffer truncates, MSG_TRUNC tells the real size. */
START_TEST(peek_and_trunc)
{
	int fd = udp_bound("0.0.0.0", 7);
	char buf[16];
	feed("udp/odd_to_port7.hex");
	feed("udp/odd_to_port7.hex");
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, 4, MSG_PEEK, NULL, NULL), 4);
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, 4, MSG_PEEK | MSG_TRUNC, NULL, NULL), 13);
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, 4, 0, NULL, NULL), 4);
	ck_assert_mem_eq(buf, "taps", 4);
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, 4, MSG_TRUNC, NULL, NULL), 13);
	ck_assert_int_eq(ts_recvfrom(&T.st, fd, buf, 4, 0, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
}
END_TEST

/* Arrival wakes an edge-triggered epoll watcher once per datagram. */
START_TEST(arrival_wakes_epoll)
{
	int fd = udp_bound("0.0.0.0", 7);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = 77}, evs[4];
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, fd, &ev), 0);
	ck_assert_int_eq(ts_epoll_wait(&T.st, ep, evs, 4, 0), 0);
	size_t n = load("udp/hello_to_port7.hex");
	capdev_inject(T.cap, frame, n); /* epoll_wait polls the link itself */
	ck_assert_int_eq(ts_epoll_wait(&T.st, ep, evs, 4, 0), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLIN);
	ck_assert_uint_eq(evs[0].data.u32, 77);
	ck_assert_int_eq(ts_epoll_wait(&T.st, ep, evs, 4, 0), 0);
}
END_TEST

/* Ephemeral ports: inside Linux's range, distinct, never shared through SO_REUSEADDR. */
START_TEST(ephemeral_ports_distinct)
{
	uint16_t seen[64];
	int one = 1;
	for (int i = 0; i < 64; i++) {
		int fd = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
		ts_setsockopt(&T.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		struct sockaddr_in a = {.sin_family = AF_INET}, got;
		socklen_t len = sizeof(got);
		ck_assert_int_eq(ts_bind(&T.st, fd, (struct sockaddr *)&a, sizeof(a)), 0);
		ck_assert_int_eq(ts_getsockname(&T.st, fd, (struct sockaddr *)&got, &len), 0);
		seen[i] = ntohs(got.sin_port);
		ck_assert_uint_ge(seen[i], UDP_EPHEMERAL_LO);
		ck_assert_uint_le(seen[i], UDP_EPHEMERAL_HI);
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(seen[i], seen[j]);
	}
	ck_assert_uint_eq(udp_bound_count(&T.st), 64);
}
END_TEST

/* The socket table lists UDP sockets after TCP's, ss -uan style. */
START_TEST(print_table_lists_udp)
{
	int fd = udp_bound("0.0.0.0", 7);
	int c = udp_bound("10.0.0.2", 5353);
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(53)};
	peer.sin_addr.s_addr = inet_addr("10.0.0.1");
	ck_assert_int_eq(ts_connect(&T.st, c, (struct sockaddr *)&peer, sizeof(peer)), 0);
	feed("udp/hello_to_port7.hex");
	char text[2048] = {0};
	FILE *f = fmemopen(text, sizeof(text) - 1, "w");
	udp_print_table(&T.st, f);
	fclose(f);
	ck_assert_str_eq(
	    text, "UDP State      Recv-Q   Send-Q Local Address:Port    Peer Address:Port    \n"
		  "UNCONN            774        0 0.0.0.0:7             *:*                  \n"
		  "ESTAB               0        0 10.0.0.2:5353         10.0.0.1:53          \n");
	(void)fd;
	/* The whole table starts with TCP's header. */
	f = fmemopen(text, sizeof(text) - 1, "w");
	ts_sock_print_table(&T.st, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "UDP State"));
	ck_assert_ptr_eq(strstr(text, "State"), text);
}
END_TEST

static Suite *udp_suite(void)
{
	Suite *s = suite_create("udp");
	TCase *tv = tcase_create("view");
	tcase_add_test(tv, parse_linux_datagram);
	tcase_add_test(tv, parse_odd_length);
	tcase_add_test(tv, parse_zero_checksum);
	tcase_add_test(tv, parse_errors);
	tcase_add_test(tv, build_matches_linux);
	tcase_add_test(tv, build_zero_checksum_sent_as_ffff);
	tcase_add_test(tv, describe_lines);
	suite_add_tcase(s, tv);
	TCase *ts = tcase_create("stack");
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, input_delivers_to_socket);
	tcase_add_test(ts, echo_reply_matches_linux);
	tcase_add_test(ts, closed_port_sends_port_unreachable);
	tcase_add_test(ts, bad_frames_counted);
	tcase_add_test(ts, rcvbuf_bounds_queue);
	tcase_add_test(ts, connected_socket_filters_and_wins);
	tcase_add_test(ts, peek_and_trunc);
	tcase_add_test(ts, arrival_wakes_epoll);
	tcase_add_test(ts, ephemeral_ports_distinct);
	tcase_add_test(ts, print_table_lists_udp);
	suite_add_tcase(s, ts);
	return s;
}
TS_SUITE(udp_suite)
