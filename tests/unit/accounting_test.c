/*
 * accounting_test.c - the accounting of received frames (stack.h,
 * docs/robustness.md "Accounting"): every frame counted in ETH_RX ends,
 * exactly once, delivered (RX_DELIVERED), in a named drop of a received
 * frame (rx_drops), or is still held (a UDP receive queue).
 *
 * One stack over the capture netdev is fed one frame of each fate, with the
 * exact counts asserted after each, so a path that frees a received frame
 * without its exit, or counts one twice, shows here by name.
 */
#include <string.h>

#include "tsunit.h"
#include "tapstack.h"
#include "tcp_frames.h"
#include "tcp_var.h"

struct acct {
	uint64_t rx, delivered, dropped, held;
};

static struct acct acct_of(const struct stack *st)
{
	return (struct acct){st->counters[CTR_ETH_RX], st->counters[CTR_RX_DELIVERED],
			     stack_rx_dropped(st), stack_rx_held(st)};
}

#define ck_acct(st, r, d, x, h)                                                                    \
	do {                                                                                       \
		struct acct a_ = acct_of(st);                                                      \
		ck_assert_msg(a_.rx == (r) && a_.delivered == (d) && a_.dropped == (x) &&          \
				  a_.held == (h) && stack_rx_balanced(st) &&                       \
				  (st)->rx_unaccounted == 0,                                       \
			      "received %llu delivered %llu dropped %llu held %llu unaccounted "   \
			      "%llu, wanted %d %d %d %d",                                          \
			      (unsigned long long)a_.rx, (unsigned long long)a_.delivered,         \
			      (unsigned long long)a_.dropped, (unsigned long long)a_.held,         \
			      (unsigned long long)(st)->rx_unaccounted, (r), (d), (x), (h));       \
	} while (0)

static void feed_file(struct ts_test_stack *t, const char *path)
{
	uint8_t f[2048];
	size_t n = ts_load_hex(path, f, sizeof(f));
	ts_test_stack_feed(t, f, n);
}

START_TEST(every_frame_ends_once)
{
	struct ts_test_stack t;
	ts_test_stack_init(&t, NULL);
	struct stack *st = &t.st;
	uint8_t f[2048];

	/* ARP request for us: answered in its own buffer (delivered). */
	feed_file(&t, "udp/arp_request_from_peer.hex");
	ck_acct(st, 1, 1, 0, 0);
	/* Echo request: answered in place (delivered). */
	feed_file(&t, "icmp/echo_request.hex");
	ck_acct(st, 2, 2, 0, 0);
	/* Three fragments: each copied by reassembly (delivered); the echo
	 * request they rebuild is no received frame, nor is its reply. */
	feed_file(&t, "ipv4/frag4000_1.hex");
	feed_file(&t, "ipv4/frag4000_2.hex");
	feed_file(&t, "ipv4/frag4000_3.hex");
	ck_acct(st, 5, 5, 0, 0);
	ck_assert_uint_eq(st->counters[CTR_IPV4_REASSEMBLED], 1);
	/* UDP to a closed port (port 7, not bound yet): a named drop. */
	feed_file(&t, "udp/hello_to_port7.hex");
	ck_acct(st, 6, 5, 1, 0);
	ck_assert_uint_eq(st->rx_drops[DROP_UDP_NO_PORT], 1);
	/* A frame for another MAC and one cut short: named drops at Ethernet. */
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	f[5] ^= 0x40;
	ts_test_stack_feed(&t, f, n);
	ts_test_stack_feed(&t, f, 10);
	ck_acct(st, 8, 5, 3, 0);
	ck_assert_uint_eq(st->rx_drops[DROP_ETH_NOT_FOR_US], 1);
	ck_assert_uint_eq(st->rx_drops[DROP_ETH_TRUNCATED], 1);
	/* A SYN to a closed port: answered with a RST, and a named drop. */
	n = ts_tcp_frame_from_peer(f, 40000, 4444, 1000, 0, TCP_SYN, 65535, NULL, 0, NULL, 0);
	ts_test_stack_feed(&t, f, n);
	ck_acct(st, 9, 5, 4, 0);
	ck_assert_uint_eq(st->rx_drops[DROP_TCP_NO_SOCKET], 1);

	/* Two datagrams to an open port: held until read, then delivered; the
	 * one never read ends as a named drop when its socket closes. */
	int u = ts_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(7)};
	ck_assert_int_eq(ts_bind(st, u, SA(a), sizeof(a)), 0);
	feed_file(&t, "udp/hello_to_port7.hex");
	feed_file(&t, "udp/hello_to_port7.hex");
	ck_acct(st, 11, 5, 4, 2);
	char buf[64];
	ck_assert_int_eq(ts_recv(st, u, buf, sizeof(buf), MSG_DONTWAIT), 6);
	ck_acct(st, 11, 6, 4, 1);
	ck_assert_int_eq(ts_close(st, u), 0);
	ck_acct(st, 11, 6, 5, 0);
	ck_assert_uint_eq(st->rx_drops[DROP_UDP_CLOSED_UNREAD], 1);

	/* A drop of something we send is no received frame's: no route. */
	u = ts_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in far = {.sin_family = AF_INET, .sin_port = htons(9)};
	far.sin_addr.s_addr = htonl(0xc6336401); /* 198.51.100.1, no gateway */
	ck_errno(ts_sendto(st, u, "x", 1, 0, SA(far), sizeof(far)), ENETUNREACH);
	ck_assert_uint_eq(st->drops[DROP_IPV4_NO_ROUTE], 1);
	ck_acct(st, 11, 6, 5, 0);
	ts_close(st, u);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *accounting_suite(void)
{
	Suite *s = suite_create("accounting");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_frame_ends_once);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(accounting_suite)
