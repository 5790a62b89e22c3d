/*
 * eth_test.c - Ethernet II: the view against frames the Linux kernel sent,
 * the builder against the same bytes, and every receive drop counted under
 * its reason (tests/frames/eth, tests/frames/arp).
 */
#include <string.h>

#include "tsunit.h"
#include "eth.h"

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

/* The kernel's ARP request parses into broadcast dst, its MAC, type ARP. */
START_TEST(parse_kernel_arp_request)
{
	uint8_t f[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	struct eth_view v;
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(eth_parse(f, n, &v), DROP_NONE);
	ck_assert_mem_eq(v.dst, eth_broadcast, 6);
	ck_assert_mem_eq(v.src, mac1, 6);
	ck_assert_uint_eq(v.type, ETH_TYPE_ARP);
	ck_assert_ptr_eq(v.payload, f + 14);
	ck_assert_uint_eq(v.payload_len, 28);
}
END_TEST

/* eth_build writes the 14 header bytes the kernel wrote. */
START_TEST(build_matches_kernel_header)
{
	uint8_t f[128], h[14];
	ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	eth_build(h, mac2, mac1, ETH_TYPE_IPV4);
	ck_assert_mem_eq(h, f, 14);
}
END_TEST

START_TEST(truncated_frame_counted)
{
	struct ts_test_stack t;
	uint8_t f[13] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 8};
	struct eth_view v;
	ck_assert_int_eq(eth_parse(f, sizeof(f), &v), DROP_ETH_TRUNCATED);
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, sizeof(f));
	ck_assert_uint_eq(t.st.drops[DROP_ETH_TRUNCATED], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ETH_RX], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* The kernel's IPv6 MLD report to 33:33:00:00:00:16 is normal noise. */
START_TEST(ipv6_multicast_is_not_for_us)
{
	struct ts_test_stack t;
	uint8_t f[128];
	size_t n = ts_load_hex("eth/ipv6_mld_mcast.hex", f, sizeof(f));
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_ETH_NOT_FOR_US], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* The same frame sent to our own MAC as LLDP: an EtherType we do not handle. */
START_TEST(unknown_type_to_us_counted)
{
	struct ts_test_stack t;
	uint8_t f[128];
	size_t n = ts_load_hex("eth/ipv6_mld_mcast.hex", f, sizeof(f));
	memcpy(f, mac2, 6);
	f[12] = 0x88;
	f[13] = 0xcc;
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_ETH_UNKNOWN_TYPE], 1);
	ck_assert_uint_eq(t.st.drops[DROP_ETH_NOT_FOR_US], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Our own broadcast coming back (source MAC ours) is dropped, not answered. */
START_TEST(looped_back_frame_dropped)
{
	struct ts_test_stack t;
	uint8_t f[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	memcpy(f + 6, mac2, 6);
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_ETH_FROM_SELF], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_RX], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Unicast to another MAC is filtered before any layer sees it. */
START_TEST(other_unicast_not_for_us)
{
	struct ts_test_stack t;
	uint8_t f[128];
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	f[5] = 0x99;
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_ETH_NOT_FOR_US], 1);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_RX], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* eth_output pushes dst, our MAC and the type in front of the payload. */
START_TEST(output_pushes_header)
{
	struct ts_test_stack t;
	uint8_t out[64];
	ts_test_stack_init(&t, NULL);
	struct ts_buf *b = ts_buf_alloc(&t.st, 4, TS_BUF_HEADROOM);
	memcpy(ts_buf_put(b, 4), "\xde\xad\xbe\xef", 4);
	ck_assert_int_eq(eth_output(&t.st, b, mac1, 0x88b5), 0);
	ck_assert_uint_eq(capdev_take(t.cap, out, sizeof(out)), 18);
	const uint8_t want[18] = {2, 0, 0, 0,	 0,    1,    2,	   0,	 0,
				  0, 0, 2, 0x88, 0xb5, 0xde, 0xad, 0xbe, 0xef};
	ck_assert_mem_eq(out, want, 18);
	ck_assert_uint_eq(t.st.counters[CTR_ETH_TX], 1);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *eth_suite(void)
{
	Suite *s = suite_create("eth");
	TCase *tc = tcase_create("eth");
	tcase_add_test(tc, parse_kernel_arp_request);
	tcase_add_test(tc, build_matches_kernel_header);
	tcase_add_test(tc, truncated_frame_counted);
	tcase_add_test(tc, ipv6_multicast_is_not_for_us);
	tcase_add_test(tc, unknown_type_to_us_counted);
	tcase_add_test(tc, looped_back_frame_dropped);
	tcase_add_test(tc, other_unicast_not_for_us);
	tcase_add_test(tc, output_pushes_header);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(eth_suite)
