/*
 * ipv4_test.c - IPv4 (RFC 791, RFC 1122 §3.2.1): the view and builder
 * against the Linux kernel's datagrams (tests/frames/ipv4, icmp), every
 * validation failure counted under its reason, delivery to our address and
 * the subnet broadcast, protocol unreachable, routing, and fragmentation of
 * a 4000-octet ping compared with the fragments Linux made of the same ping.
 */
#include <errno.h>
#include <string.h>

#include "tsunit.h"
#include "arp.h"
#include "byteorder.h"
#include "checksum.h"
#include "eth.h"
#include "icmp.h"
#include "ipv4.h"
#include "siphash.h"

#define IP1 0x0a000001u
#define IP2 0x0a000002u
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

static void fix_ip_csum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0xf) * 4;
	put_be16(ip + 10, 0);
	put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, hl, 0)));
}

/*
 * Writes an Ethernet + IPv4 frame from 10.0.0.1 (02:..:01) to our MAC with
 * the given options (multiple of 4) and payload.  Returns its length.
 */
static size_t make_frame(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *opt,
			 size_t optlen, const uint8_t *payload, size_t len)
{
	eth_build(f, mac2, mac1, ETH_TYPE_IPV4);
	uint8_t *ip = f + 14;
	struct ipv4_view v = {.total_len = (uint16_t)(20 + optlen + len),
			      .id = 0x1234,
			      .ttl = 64,
			      .proto = proto,
			      .src = src,
			      .dst = dst};
	ipv4_build(ip, &v);
	ip[0] = (uint8_t)(0x40 | (20 + optlen) / 4);
	if (optlen)
		memcpy(ip + 20, opt, optlen);
	memcpy(ip + 20 + optlen, payload, len);
	fix_ip_csum(ip);
	return 14 + 20 + optlen + len;
}

/* An echo request with 4 data octets, as ICMP bytes (12). */
static void make_echo(uint8_t *p)
{
	memcpy(p + 8, "ping", 4);
	icmp_build_echo(p, ICMP_ECHO_REQUEST, 0x77, 1, 4);
}

/* Stack at 10.0.0.2 that knows 10.0.0.1 (the kernel's ARP request fed, reply taken). */
static void init_with_peer(struct ts_test_stack *t)
{
	uint8_t f[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ts_test_stack_init(t, NULL);
	ts_test_stack_feed(t, f, n);
	ck_assert_uint_eq(capdev_take(t->cap, f, sizeof(f)), 42);
}

START_TEST(parse_kernel_header)
{
	uint8_t f[128];
	struct ipv4_view v;
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	ck_assert_int_eq(ipv4_parse(f + 14, n - 14, &v), DROP_NONE);
	ck_assert_uint_eq(v.hdr_len, 20);
	ck_assert_uint_eq(v.tos, 0);
	ck_assert_uint_eq(v.total_len, 84);
	ck_assert_uint_eq(v.id, 0x785b);
	ck_assert(v.df && !v.mf);
	ck_assert_uint_eq(v.frag_off, 0);
	ck_assert_uint_eq(v.ttl, 64);
	ck_assert_uint_eq(v.proto, IPV4_PROTO_ICMP);
	ck_assert_uint_eq(v.csum, 0xae4b);
	ck_assert_uint_eq(v.src, IP1);
	ck_assert_uint_eq(v.dst, IP2);
	ck_assert_ptr_eq(v.payload, f + 34);
}
END_TEST

START_TEST(parse_kernel_fragment)
{
	uint8_t f[1600];
	struct ipv4_view v;
	size_t n = ts_load_hex("ipv4/frag4000_2.hex", f, sizeof(f));
	ck_assert_int_eq(ipv4_parse(f + 14, n - 14, &v), DROP_NONE);
	ck_assert_uint_eq(v.id, 0x785c);
	ck_assert(!v.df && v.mf);
	ck_assert_uint_eq(v.frag_off, 1480);
	ck_assert_uint_eq(v.total_len, 1500);
	n = ts_load_hex("ipv4/frag4000_3.hex", f, sizeof(f));
	ck_assert_int_eq(ipv4_parse(f + 14, n - 14, &v), DROP_NONE);
	ck_assert(!v.mf);
	ck_assert_uint_eq(v.frag_off, 2960);
	ck_assert_uint_eq(v.total_len, 1068);
}
END_TEST

/* ipv4_build reproduces the kernel's header, checksum included. */
START_TEST(build_matches_kernel_header)
{
	uint8_t f[128], h[20];
	ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	struct ipv4_view v = {.total_len = 84,
			      .id = 0x785b,
			      .df = true,
			      .ttl = 64,
			      .proto = IPV4_PROTO_ICMP,
			      .src = IP1,
			      .dst = IP2};
	ipv4_build(h, &v);
	ck_assert_mem_eq(h, f + 14, 20);
}
END_TEST

/* Each broken header is dropped under its own reason and never answered. */
START_TEST(bad_headers_counted)
{
	struct ts_test_stack t;
	uint8_t good[128], f[128], icmp[12];
	make_echo(icmp);
	size_t n = make_frame(good, IP1, IP2, IPV4_PROTO_ICMP, NULL, 0, icmp, sizeof(icmp));
	init_with_peer(&t);

	ts_test_stack_feed(&t, good, 14 + 19);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_TRUNCATED], 1);
	memcpy(f, good, n);
	f[14] = 0x65;
	fix_ip_csum(f + 14);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_VERSION], 1);
	memcpy(f, good, n);
	f[14] = 0x44;
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_IHL], 1);
	memcpy(f, good, n);
	f[14] = 0x4f; /* 60-octet header in a 32-octet datagram */
	ts_test_stack_feed(&t, f, 14 + 40);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_TRUNCATED], 2);
	memcpy(f, good, n);
	put_be16(f + 16, (uint16_t)(n - 14 + 1)); /* one octet beyond the frame */
	fix_ip_csum(f + 14);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_LEN], 1);
	memcpy(f, good, n);
	put_be16(f + 16, 19); /* below the header */
	fix_ip_csum(f + 14);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_LEN], 2);
	memcpy(f, good, n);
	f[14 + 8] ^= 1; /* TTL changed, checksum not */
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_CSUM], 1);

	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_RX], 7);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_DELIVERED], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Well-formed options are skipped; malformed ones are dropped. */
START_TEST(options_walked)
{
	struct ts_test_stack t;
	uint8_t f[128], icmp[12], got[128];
	make_echo(icmp);
	init_with_peer(&t);
	/* Record Route (7), length 7, pointer 4, one empty slot; then EOL. */
	const uint8_t rr[8] = {7, 7, 4, 0, 0, 0, 0, 0};
	size_t n = make_frame(f, IP1, IP2, IPV4_PROTO_ICMP, rr, sizeof(rr), icmp, sizeof(icmp));
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)),
			  14 + 20 + 12); /* reply, no options */
	ck_assert_uint_eq(got[14 + 20], ICMP_ECHO_REPLY);

	const uint8_t zero_len[4] = {1, 7, 0, 0}; /* NOP, then a length below 2 */
	n = make_frame(f, IP1, IP2, IPV4_PROTO_ICMP, zero_len, 4, icmp, sizeof(icmp));
	ts_test_stack_feed(&t, f, n);
	const uint8_t overrun[4] = {1, 1, 0x44, 9}; /* timestamp claiming 9 of 2 octets */
	n = make_frame(f, IP1, IP2, IPV4_PROTO_ICMP, overrun, 4, icmp, sizeof(icmp));
	ts_test_stack_feed(&t, f, n);
	const uint8_t cut[4] = {1, 1, 1, 0x44}; /* a kind with no room for its length */
	n = make_frame(f, IP1, IP2, IPV4_PROTO_ICMP, cut, 4, icmp, sizeof(icmp));
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_OPTIONS], 3);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* A short datagram padded to the 60-octet Ethernet minimum: the padding is cut. */
START_TEST(ethernet_padding_trimmed)
{
	struct ts_test_stack t;
	uint8_t f[128], icmp[12], got[128];
	make_echo(icmp);
	size_t n = make_frame(f, IP1, IP2, IPV4_PROTO_ICMP, NULL, 0, icmp, sizeof(icmp));
	memset(f + n, 0xaa, 60 - n);
	init_with_peer(&t);
	ts_test_stack_feed(&t, f, 60);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), n);
	ck_assert_uint_eq(get_be16(got + 16), 32);
	ck_assert_mem_eq(got + 14 + 28, "ping", 4);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(bad_sources_and_other_destinations)
{
	struct ts_test_stack t;
	uint8_t f[128], icmp[12];
	make_echo(icmp);
	init_with_peer(&t);
	const uint32_t bad_src[] = {0xffffffffu, 0x0a0000ffu, 0x7f000001u, 0xe0000001u};
	for (size_t i = 0; i < 4; i++) {
		size_t n = make_frame(f, bad_src[i], IP2, IPV4_PROTO_ICMP, NULL, 0, icmp, 12);
		ts_test_stack_feed(&t, f, n);
	}
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_SRC], 4);
	size_t n = make_frame(f, IP1, 0x0a000003, IPV4_PROTO_ICMP, NULL, 0, icmp, 12);
	ts_test_stack_feed(&t, f, n);
	n = make_frame(f, IP1, 0xe0000001u, IPV4_PROTO_ICMP, NULL, 0, icmp, 12);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_NOT_FOR_US], 2);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* 10.0.0.255 and 255.255.255.255 are delivered (ICMP then declines to echo). */
START_TEST(broadcasts_delivered)
{
	struct ts_test_stack t;
	uint8_t f[128], icmp[12];
	make_echo(icmp);
	init_with_peer(&t);
	size_t n = make_frame(f, IP1, 0x0a0000ff, IPV4_PROTO_ICMP, NULL, 0, icmp, 12);
	ts_test_stack_feed(&t, f, n);
	n = make_frame(f, IP1, IPV4_BROADCAST, IPV4_PROTO_ICMP, NULL, 0, icmp, 12);
	memcpy(f, eth_broadcast, 6);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_DELIVERED], 2);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_BCAST_ECHO], 2);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 1122 §3.2.2.1: protocol 47 (GRE) gets protocol unreachable quoting it. */
START_TEST(unknown_protocol_answered)
{
	struct ts_test_stack t;
	uint8_t f[128], got[256];
	const uint8_t gre[8] = {0, 0, 0x08, 0, 1, 2, 3, 4};
	size_t n = make_frame(f, IP1, IP2, 47, NULL, 0, gre, sizeof(gre));
	init_with_peer(&t);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_UNKNOWN_PROTO], 1);
	size_t gn = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(gn, 14 + 20 + 8 + (n - 14));
	ck_assert_uint_eq(get_be32(got + 14 + 16), IP1);
	ck_assert_uint_eq(got[14 + 20], ICMP_DEST_UNREACH);
	ck_assert_uint_eq(got[14 + 21], ICMP_UNREACH_PROTOCOL);
	ck_assert_mem_eq(got + 14 + 28, f + 14, n - 14);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(got + 34, gn - 34, 0)), 0);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * The 4000-octet ping Linux fragmented, sent by our stack with the same id,
 * seq and data: the same three fragments, except the IP ID and the header
 * checksum that depends on it.
 */
START_TEST(fragments_like_linux)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	static uint8_t want[3][1600], got[1600], data[4000];
	size_t wn[3];
	const char *names[3] = {"ipv4/frag4000_1.hex", "ipv4/frag4000_2.hex",
				"ipv4/frag4000_3.hex"};
	for (int i = 0; i < 3; i++)
		wn[i] = ts_load_hex(names[i], want[i], sizeof(want[i]));
	memcpy(data, want[0] + 42, 1472);
	memcpy(data + 1472, want[1] + 34, 1480);
	memcpy(data + 2952, want[2] + 34, 1048);

	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.ip = IP1;
	memcpy(cfg.mac, mac1, 6);
	ts_test_stack_init(&t, &cfg);
	uint8_t reply[64];
	size_t rn = ts_load_hex("arp/reply.hex", reply, sizeof(reply));
	reply[14 + 7] = 1; /* who-has 10.0.0.1 from 10.0.0.2 at 02:..:02: we learn it */
	ts_test_stack_feed(&t, reply, rn);
	ck_assert_uint_eq(capdev_take(t.cap, reply, sizeof(reply)), 42); /* our answer */

	ck_assert_int_eq(icmp_echo_request(&t.st, IP2, 0x2914, 1, data, sizeof(data)), 0);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 3);
	uint16_t id = 0;
	for (int i = 0; i < 3; i++) {
		size_t n = capdev_take(t.cap, got, sizeof(got));
		ck_assert_uint_eq(n, wn[i]);
		ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(got + 14, 20, 0)), 0);
		if (i == 0)
			id = get_be16(got + 18);
		ck_assert_uint_eq(get_be16(got + 18), id);
		memcpy(got + 18, want[i] + 18, 2); /* mask the IP ID */
		memcpy(got + 24, want[i] + 24, 2); /* and the header checksum */
		ck_assert_mem_eq(got, want[i], n);
	}
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_FRAGS_TX], 3);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(df_refuses_to_fragment)
{
	struct ts_test_stack t;
	init_with_peer(&t);
	struct ts_buf *b = ts_buf_alloc(&t.st, 4000, TS_BUF_HEADROOM);
	memset(ts_buf_put(b, 4000), 0, 4000);
	ck_assert_int_eq(ipv4_output_opts(&t.st, b, 0, IP1, IPV4_PROTO_UDP,
					  &(struct ip_tx_opts){.pmtudisc = IP_PMTUDISC_DO}),
			 -EMSGSIZE);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_NEEDED], 1);
	b = ts_buf_alloc(&t.st, 65516, TS_BUF_HEADROOM);
	ts_buf_put(b, 65516); /* 65516 + 20 > 65535 */
	ck_assert_int_eq(ipv4_output(&t.st, b, 0, IP1, IPV4_PROTO_UDP), -EMSGSIZE);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_TOO_BIG], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Off-subnet: no gateway → ENETUNREACH; with one → ARP for the gateway. */
START_TEST(routes)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t got[128];
	ts_test_stack_init(&t, NULL);
	ck_assert_int_eq(icmp_echo_request(&t.st, 0xc0a80101, 1, 1, NULL, 0), -ENETUNREACH);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_NO_ROUTE], 1);
	ts_test_stack_free(&t);

	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.gw = 0x0a0000fe;
	ts_test_stack_init(&t, &cfg);
	ck_assert_int_eq(icmp_echo_request(&t.st, 0xc0a80101, 1, 1, NULL, 0), 0);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 42);
	ck_assert_uint_eq(get_be16(got + 12), ETH_TYPE_ARP);
	ck_assert_uint_eq(get_be32(got + 14 + ARP_OFF_TPA), 0x0a0000fe);
	ts_test_stack_free(&t);
}
END_TEST

/* Sends an 8-octet UDP-protocol datagram to dst (a static neighbour); returns its IP ID. */
static uint16_t sent_id(struct ts_test_stack *t, uint32_t dst)
{
	uint8_t got[128];
	struct ts_buf *b = ts_buf_alloc(&t->st, 8, TS_BUF_HEADROOM);
	memset(ts_buf_put(b, 8), 0, 8);
	ck_assert_int_eq(ipv4_output(&t->st, b, 0, dst, IPV4_PROTO_UDP), 0);
	ck_assert_uint_eq(capdev_take(t->cap, got, sizeof(got)), 42);
	ck_assert_uint_eq(get_be32(got + 14 + IPV4_OFF_DST), dst);
	return get_be16(got + 14 + IPV4_OFF_ID);
}

static void static_neighbours(struct ts_test_stack *t)
{
	ts_test_stack_init(t, NULL);
	ck_assert_int_eq(arp_static_add(&t->st, IP1, mac1, false), 0);
	ck_assert_int_eq(arp_static_add(&t->st, 0x0a000003, mac1, false), 0);
}

/*
 * RFC 7739 §5 / RFC 6864: an observer of the datagrams we send to 10.0.0.1
 * must learn nothing about how many we send to 10.0.0.3 (the idle scan
 * reads a global counter).  Two runs from the same seed and clock, one
 * sending 0 and one 1000 datagrams to 10.0.0.3 between the first and the
 * later ones to 10.0.0.1: 10.0.0.1 sees the same IDs.
 */
START_TEST(ip_id_per_destination)
{
	uint16_t seen[2][10];
	const int others[2] = {0, 1000};
	for (int run = 0; run < 2; run++) {
		struct ts_test_stack t;
		static_neighbours(&t);
		seen[run][0] = sent_id(&t, IP1);
		for (int i = 0; i < others[run]; i++)
			sent_id(&t, 0x0a000003);
		for (int i = 1; i < 10; i++)
			seen[run][i] = sent_id(&t, IP1);
		ts_test_stack_free(&t);
	}
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(seen[0][i], seen[1][i]);
	/* Successive datagrams to one destination still differ (RFC 6864 §4.1). */
	for (int i = 1; i < 10; i++)
		ck_assert_uint_ne(seen[0][i], seen[0][i - 1]);
}
END_TEST

/*
 * As Linux's ip_idents: when time has passed since a destination's counter
 * last moved, it jumps by a random amount below the elapsed milliseconds,
 * so even traffic to another destination hashed to the same counter is not
 * readable from the step.  One datagram a second to 10.0.0.1: the steps
 * are not all the same.
 */
START_TEST(ip_id_random_increment_over_time)
{
	struct ts_test_stack t;
	static_neighbours(&t);
	uint16_t prev = sent_id(&t, IP1);
	unsigned distinct = 0, last_step = 0;
	for (int i = 0; i < 20; i++) {
		stack_poll(&t.st, t.st.now_us + 1000000);
		uint16_t id = sent_id(&t, IP1);
		unsigned step = (uint16_t)(id - prev);
		ck_assert_uint_ge(step, 1);
		ck_assert_uint_le(step, 1000);
		if (step != last_step)
			distinct++;
		last_step = step;
		prev = id;
	}
	ck_assert_uint_ge(distinct, 10);
	ts_test_stack_free(&t);
}
END_TEST

/* SipHash-2-4 of the paper's key 00..0f and the 16 bytes 00..0f (reference implementation). */
START_TEST(siphash_reference_vector)
{
	const uint64_t key[2] = {0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
	ck_assert_uint_eq(siphash24_words(key, key, 2), 0x3f2acc7f57c29bdbULL);
	ck_assert_uint_eq(siphash24_words(key, NULL, 0), 0x726fdb47dd0e0e31ULL);
}
END_TEST

static Suite *ipv4_suite(void)
{
	Suite *s = suite_create("ipv4");
	TCase *tc = tcase_create("ipv4");
	tcase_add_test(tc, parse_kernel_header);
	tcase_add_test(tc, parse_kernel_fragment);
	tcase_add_test(tc, build_matches_kernel_header);
	tcase_add_test(tc, bad_headers_counted);
	tcase_add_test(tc, options_walked);
	tcase_add_test(tc, ethernet_padding_trimmed);
	tcase_add_test(tc, bad_sources_and_other_destinations);
	tcase_add_test(tc, broadcasts_delivered);
	tcase_add_test(tc, unknown_protocol_answered);
	tcase_add_test(tc, fragments_like_linux);
	tcase_add_test(tc, df_refuses_to_fragment);
	tcase_add_test(tc, routes);
	tcase_add_test(tc, ip_id_per_destination);
	tcase_add_test(tc, ip_id_random_increment_over_time);
	tcase_add_test(tc, siphash_reference_vector);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(ipv4_suite)
