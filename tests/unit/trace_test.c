/*
 * trace_test.c - `--trace layers`: the exact line for each kind of frame the
 * Linux kernel sent (tests/frames), snprintf semantics of trace_describe,
 * and the wrapper printing rx/tx lines around a real stack.
 */
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "trace.h"
#include "udp.h"

static void assert_line(const char *fixture, const char *want)
{
	static uint8_t f[2048];
	char line[512];
	size_t n = ts_load_hex(fixture, f, sizeof(f));
	int len = trace_describe(f, n, line, sizeof(line));
	ck_assert_str_eq(line, want);
	ck_assert_int_eq(len, (int)strlen(want));
}

START_TEST(echo_request_line)
{
	assert_line(
	    "icmp/echo_request.hex",
	    "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 10.0.0.1>10.0.0.2 "
	    "ttl=64 id=30811 proto=icmp len=84 df | icmp echo-request id=10514 seq=1 len=56");
	assert_line("icmp/echo_reply.hex",
		    "eth 02:00:00:00:00:02>02:00:00:00:00:01 type=ipv4 | ipv4 10.0.0.2>10.0.0.1 "
		    "ttl=64 id=53257 proto=icmp len=84 | icmp echo-reply id=10514 seq=1 len=56");
}
END_TEST

START_TEST(arp_lines)
{
	assert_line("arp/request.hex", "eth 02:00:00:00:00:01>ff:ff:ff:ff:ff:ff type=arp | arp "
				       "who-has 10.0.0.2 tell 10.0.0.1");
	assert_line("arp/reply.hex", "eth 02:00:00:00:00:02>02:00:00:00:00:01 type=arp | arp "
				     "reply 10.0.0.2 is-at 02:00:00:00:00:02");
	assert_line("arp/announce.hex", "eth 02:00:00:00:00:01>ff:ff:ff:ff:ff:ff type=arp | arp "
					"announce 10.0.0.1 is-at 02:00:00:00:00:01");
}
END_TEST

START_TEST(fragment_lines)
{
	assert_line("ipv4/frag4000_1.hex",
		    "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 10.0.0.1>10.0.0.2 "
		    "ttl=64 id=30812 proto=icmp len=1500 frag off=0 mf | icmp echo-request "
		    "id=10516 seq=1 len=1472");
	assert_line("ipv4/frag4000_2.hex",
		    "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 10.0.0.1>10.0.0.2 "
		    "ttl=64 id=30812 proto=icmp len=1500 frag off=1480 mf");
	assert_line("ipv4/frag4000_3.hex",
		    "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 10.0.0.1>10.0.0.2 "
		    "ttl=64 id=30812 proto=icmp len=1068 frag off=2960");
}
END_TEST

/* An IPv6 fragment (RFC 8200 §4.5): offset, M, identification, what it carries. */
START_TEST(ipv6_fragment_line)
{
	uint8_t f[14 + 40 + 8 + 16] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x86, 0xdd, 0x60};
	char line[512];
	uint8_t *ip = f + 14, *fh = ip + 40;
	ip[5] = 8 + 16; /* payload length */
	ip[6] = 44;	/* Next Header: Fragment */
	ip[7] = 64;	/* hop limit */
	ip[8] = 0xfd;	/* fd00::1 */
	ip[23] = 1;
	ip[24] = 0xfd; /* fd00::2 */
	ip[39] = 2;
	fh[0] = 58;   /* ICMPv6 */
	fh[2] = 0x05; /* offset 1448 (0x5a8), M */
	fh[3] = 0xa9;
	fh[7] = 7; /* identification */
	ck_assert_int_gt(trace_describe(f, sizeof(f), line, sizeof(line)), 0);
	ck_assert_str_eq(line,
			 "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv6 | ipv6 "
			 "fd00::1>fd00::2 hlim=64 len=24 frag off=1448 mf id=7 next=58 len=16");
}
END_TEST

START_TEST(other_lines)
{
	assert_line("eth/ipv6_mld_mcast.hex",
		    "eth 02:00:00:00:00:01>33:33:00:00:00:16 type=ipv6 | ipv6 ::>ff02::16 hlim=1 "
		    "len=36 ext=8 | icmp6 mld2-report records=1");
	assert_line("icmp/port_unreach.hex",
		    "eth 02:00:00:00:00:02>02:00:00:00:00:01 type=ipv4 | ipv4 10.0.0.2>10.0.0.1 "
		    "ttl=64 id=53259 proto=icmp len=62 | icmp unreachable port");
}
END_TEST

/* UDP is described by udp_describe (stack/udp.c): only our part is fixed here. */
START_TEST(udp_delegated)
{
	uint8_t f[128];
	char line[512], own[512];
	size_t n = ts_load_hex("ipv4/udp_to_closed_port.hex", f, sizeof(f));
	trace_describe(f, n, line, sizeof(line));
	const char *prefix = "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 "
			     "10.0.0.1>10.0.0.2 ttl=64 id=16584 proto=udp len=34 df | ";
	ck_assert_int_eq(strncmp(line, prefix, strlen(prefix)), 0);
	udp_describe(f + 34, n - 34, own, sizeof(own));
	ck_assert_str_eq(line + strlen(prefix), own);
}
END_TEST

START_TEST(broken_frames)
{
	uint8_t f[128];
	char line[512];
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	trace_describe(f, 5, line, sizeof(line));
	ck_assert_str_eq(line, "eth truncated len=5");
	f[14 + 8] = 63; /* TTL changed, checksum not */
	trace_describe(f, n, line, sizeof(line));
	ck_assert_str_eq(line, "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 "
			       "10.0.0.1>10.0.0.2 ttl=63 id=30811 proto=icmp len=84 df bad-csum");
	f[14] = 0x44;
	trace_describe(f, n, line, sizeof(line));
	ck_assert_str_eq(line, "eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 "
			       "malformed (IPV4_BAD_IHL)");
}
END_TEST

/* snprintf semantics: cut, terminated, full length returned. */
START_TEST(small_buffer)
{
	uint8_t f[64];
	char line[12];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	int len = trace_describe(f, n, line, sizeof(line));
	ck_assert_str_eq(line, "eth 02:00:0");
	ck_assert_int_eq(len, (int)strlen("eth 02:00:00:00:00:01>ff:ff:ff:ff:ff:ff type=arp | arp "
					  "who-has 10.0.0.2 tell 10.0.0.1"));
}
END_TEST

/* A stack over trace_wrap(capdev): the kernel's ARP request in, our reply out. */
START_TEST(wrapper_prints_rx_and_tx)
{
	char *text = NULL;
	size_t text_len = 0;
	FILE *out = open_memstream(&text, &text_len);
	struct capdev *c = capdev_new();
	struct netdev *dev = trace_wrap(capdev_netdev(c), out);
	struct ts_config cfg;
	struct stack st;
	uint8_t f[64];
	ck_assert_ptr_nonnull(dev);
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	ck_assert_int_eq(stack_init(&st, &cfg, dev, 1000000), 0);
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	capdev_inject(c, f, n);
	stack_poll(&st, st.now_us);
	stack_destroy(&st);
	ck_assert_int_eq(st.bufs_live, 0);
	netdev_destroy(dev); /* destroys the capdev too */
	fclose(out);
	ck_assert_str_eq(text, "rx eth 02:00:00:00:00:01>ff:ff:ff:ff:ff:ff type=arp | arp who-has "
			       "10.0.0.2 tell 10.0.0.1\n"
			       "tx eth 02:00:00:00:00:02>02:00:00:00:00:01 type=arp | arp reply "
			       "10.0.0.2 is-at 02:00:00:00:00:02\n");
	free(text);
}
END_TEST

static Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("trace");
	tcase_add_test(tc, echo_request_line);
	tcase_add_test(tc, arp_lines);
	tcase_add_test(tc, fragment_lines);
	tcase_add_test(tc, ipv6_fragment_line);
	tcase_add_test(tc, other_lines);
	tcase_add_test(tc, udp_delegated);
	tcase_add_test(tc, broken_frames);
	tcase_add_test(tc, small_buffer);
	tcase_add_test(tc, wrapper_prints_rx_and_tx);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(trace_suite)
