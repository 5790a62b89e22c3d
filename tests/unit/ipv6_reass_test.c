/*
 * ipv6_reass_test.c - IPv6 fragmentation both ways (RFC 8200 §4.5): frames
 * built here field by field (Ethernet, the IPv6 header of §3, the Fragment
 * header of §4.5, an ICMPv6 echo with an RFC 1071 checksum of the test's
 * own).  Reassembly in and out of order answered by one echo reply, which
 * the stack fragments itself when it exceeds the MTU; every drop reason of
 * reassembly (overlap per RFC 5722, lengths and the header chain of RFC
 * 7112 answered by parameter problems, duplicates, eviction under the caps,
 * the 60 s timeout and its time exceeded); atomic fragments (RFC 6946)
 * untouched by reassembly; and random fragment sequences with the books
 * balanced.
 */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "tsunit.h"
#include "icmp6.h"
#include "ipv6.h"
#include "ip_pmtu.h"
#include "ipv6_reass.h"
#include "tapstack.h"

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1}; /* the peer */
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2}; /* the stack */

#define BALANCED(t) ck_assert(stack_rx_balanced(&(t)->st))

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Ethernet to us + IPv6 header (RFC 8200 §3) fd00::1 → fd00::2 + payload. */
static size_t frame6(uint8_t *f, uint8_t nh, const uint8_t *pl, size_t plen)
{
	memcpy(f, mac2, 6);
	memcpy(f + 6, mac1, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = nh;
	ip[7] = 64;
	ts_inet6("fd00::1", ip + 8);
	ts_inet6("fd00::2", ip + 24);
	memcpy(ip + 40, pl, plen);
	return 14 + 40 + plen;
}

/*
 * A fragment (RFC 8200 §4.5): Fragment header (Next Header nh, reserved,
 * offset in octets (a multiple of 8) with M in the low bit, identification)
 * then dlen octets of data.
 */
static size_t frag(uint8_t *f, uint8_t nh, uint32_t id, size_t off, bool m, const uint8_t *data,
		   size_t dlen)
{
	static uint8_t pl[70000];
	pl[0] = nh;
	pl[1] = 0;
	pl[2] = (uint8_t)(off >> 8);
	pl[3] = (uint8_t)((off & 0xf8) | (m ? 1 : 0));
	pl[4] = (uint8_t)(id >> 24);
	pl[5] = (uint8_t)(id >> 16);
	pl[6] = (uint8_t)(id >> 8);
	pl[7] = (uint8_t)id;
	if (dlen)
		memcpy(pl + 8, data, dlen);
	return frame6(f, IPV6_NH_FRAGMENT, pl, 8 + dlen);
}

/* An echo message of n octets (RFC 4443 §4.1): identifier 0x1234, sequence 1, patterned data. */
static void echo_msg(uint8_t *m, uint8_t type, size_t n, const char *src, const char *dst)
{
	uint8_t s[16], d[16];
	m[0] = type;
	m[1] = 0;
	m[2] = m[3] = 0;
	m[4] = 0x12;
	m[5] = 0x34;
	m[6] = 0;
	m[7] = 1;
	for (size_t i = 8; i < n; i++)
		m[i] = (uint8_t)(i * 7 + 3);
	ts_inet6(src, s);
	ts_inet6(dst, d);
	uint16_t c = ts_csum6(s, d, IPV6_NH_ICMPV6, m, n);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
}

static void init_with_peer(struct ts_test_stack *t, const struct ts_config *cfg)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_test_stack_init(t, cfg);
	ts_inet6("fd00::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t->st, SA(s6), sizeof(s6), mac1, 0), 0);
}

static void test_cfg(struct ts_config *cfg)
{
	ts_config_default(cfg);
	cfg->seed = 1;
	cfg->gratuitous_arp = false;
}

static void advance(struct ts_test_stack *t, uint64_t us)
{
	stack_poll(&t->st, t->st.now_us + us);
}

static uint8_t f[70000];
static uint8_t req[70000], want[70000], got[70000];

/* Feeds fragment i of msg (n octets) cut every chunk octets. */
static void feed_piece(struct ts_test_stack *t, const uint8_t *msg, size_t n, size_t chunk,
		       uint32_t id, size_t i)
{
	size_t off = i * chunk, len = off + chunk < n ? chunk : n - off;
	ts_test_stack_feed(t, f, frag(f, IPV6_NH_ICMPV6, id, off, off + len < n, msg + off, len));
}

static void expect_drop(struct ts_test_stack *t, size_t n, enum ts_drop_reason r)
{
	uint64_t before = t->st.rx_drops[r];
	ts_test_stack_feed(t, f, n);
	ck_assert_msg(t->st.rx_drops[r] == before + 1, "expected drop %s", ts_drop_name(r));
	BALANCED(t);
}

/* The parameter problem the stack sent: code and pointer (RFC 4443 §3.4). */
static void expect_param_problem(struct ts_test_stack *t, uint8_t code, uint32_t ptr)
{
	size_t n = capdev_take(t->cap, got, sizeof(got));
	ck_assert_uint_ge(n, 14 + 40 + 8 + 40);
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[20], IPV6_NH_ICMPV6);
	ck_assert_uint_eq(got[54], ICMP6_PARAM_PROBLEM);
	ck_assert_uint_eq(got[55], code);
	ck_assert_uint_eq(be32(got + 58), ptr);
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 54, n - 54), 0);
	ck_assert_mem_eq(got + 62, f + 14, 40); /* the quote starts with the offending header */
}

static void expect_usage(struct ts_test_stack *t, uint32_t datagrams)
{
	uint32_t d;
	size_t bytes;
	ipv6_reass_usage(&t->st, &d, &bytes);
	ck_assert_uint_eq(d, datagrams);
	if (!datagrams)
		ck_assert_uint_eq(bytes, 0);
}

/*
 * Takes every frame the stack sent and checks they are the fragments of
 * one datagram fd00::2 → fd00::1 carrying the n octets of msg (RFC 8200
 * §4.5; msg NULL: only their checksum): each within the mtu, IPv6 header
 * with Next Header 44, a Fragment header naming nh, one identification,
 * offsets contiguous
 * from 0, every fragment but the last with M and a multiple of 8 octets.
 * Returns the number of fragments.
 */
static size_t expect_fragments_of(struct ts_test_stack *t, const uint8_t *msg, size_t n, uint8_t nh,
				  size_t mtu)
{
	static uint8_t whole[70000];
	uint8_t s[16], d[16];
	size_t count = 0, next = 0;
	uint32_t id = 0;
	bool more = true;
	ts_inet6("fd00::2", s);
	ts_inet6("fd00::1", d);
	size_t len;
	while ((len = capdev_take(t->cap, got, sizeof(got))) > 0) {
		ck_assert(more); /* nothing after the last fragment */
		ck_assert_uint_le(len, 14 + mtu);
		ck_assert_mem_eq(got, mac1, 6);
		ck_assert_mem_eq(got + 6, mac2, 6);
		ck_assert_uint_eq(got[12] << 8 | got[13], 0x86dd);
		const uint8_t *ip = got + 14, *fh = ip + 40;
		ck_assert_uint_eq(ip[0] >> 4, 6);
		ck_assert_uint_eq((size_t)(ip[4] << 8 | ip[5]), len - 14 - 40);
		ck_assert_uint_eq(ip[6], IPV6_NH_FRAGMENT);
		ck_assert_uint_eq(ip[7], 64);
		ck_assert_mem_eq(ip + 8, s, 16);
		ck_assert_mem_eq(ip + 24, d, 16);
		ck_assert_uint_eq(fh[0], nh);
		ck_assert_uint_eq(fh[1], 0);
		ck_assert_uint_eq(fh[3] & 6, 0); /* reserved bits */
		size_t off = (size_t)(fh[2] << 8 | (fh[3] & 0xf8));
		more = fh[3] & 1;
		if (count == 0)
			id = be32(fh + 4);
		ck_assert_uint_eq(be32(fh + 4), id);
		size_t dlen = len - 14 - 40 - 8;
		ck_assert_uint_eq(off, next);
		if (more)
			ck_assert_uint_eq(dlen % 8, 0);
		memcpy(whole + off, fh + 8, dlen);
		next = off + dlen;
		count++;
	}
	ck_assert(!more);
	ck_assert_uint_eq(next, n);
	if (msg)
		ck_assert_mem_eq(whole, msg, n);
	ck_assert_uint_eq(ts_csum6(s, d, nh, whole, n), 0);
	return count;
}

static size_t expect_fragments(struct ts_test_stack *t, const uint8_t *msg, size_t n)
{
	return expect_fragments_of(t, msg, n, IPV6_NH_ICMPV6, 1500);
}

/* ---- reassembly delivering an echo request ---- */

/* Two fragments of a 100-octet echo: one reply, byte for byte, not fragmented. */
START_TEST(small_echo_reassembled_reply_exact)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 100, "fd00::1", "fd00::2");
	feed_piece(&t, req, 100, 56, 0xabcd0001, 0);
	expect_usage(&t, 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	feed_piece(&t, req, 100, 56, 0xabcd0001, 1);
	/* The reply: a whole datagram, no Fragment header. */
	echo_msg(want + 54, ICMP6_ECHO_REPLY, 100, "fd00::2", "fd00::1");
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(n, 14 + 40 + 100);
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[18] << 8 | got[19], 100);
	ck_assert_uint_eq(got[20], IPV6_NH_ICMPV6);
	ck_assert_mem_eq(got + 54, want + 54, 100);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_RX], 2);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_REASSEMBLED], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_TX], 0);
	expect_usage(&t, 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* ping -6 -s 3000: 3008 octets in 1448-octet fragments, in the order given. */
static void big_echo(const size_t order[3])
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 3008, "fd00::1", "fd00::2");
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
		feed_piece(&t, req, 3008, 1448, 0x11223344, order[i]);
	}
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_REASSEMBLED], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	/* The reply exceeds the MTU: the stack fragments it (1500 - 40 - 8
	 * = 1452, 1448 in multiples of 8). */
	echo_msg(want, ICMP6_ECHO_REPLY, 3008, "fd00::2", "fd00::1");
	ck_assert_uint_eq(expect_fragments(&t, want, 3008), 3);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_TX], 3);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_TX], 1);
	expect_usage(&t, 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}

START_TEST(big_echo_in_order)
{
	big_echo((const size_t[3]){0, 1, 2});
}
END_TEST

START_TEST(big_echo_out_of_order)
{
	big_echo((const size_t[3]){2, 0, 1});
	big_echo((const size_t[3]){1, 2, 0});
}
END_TEST

/* The largest echo a datagram holds: 65535 - 8 octets of ICMPv6 reassembled, then sent in 46
 * fragments. */
START_TEST(largest_echo_both_ways)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	size_t n = 65535 - 8, chunk = 1448;
	echo_msg(req, ICMP6_ECHO_REQUEST, n, "fd00::1", "fd00::2");
	for (size_t i = (n + chunk - 1) / chunk; i-- > 0;) /* last first */
		feed_piece(&t, req, n, chunk, 7, i);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	echo_msg(want, ICMP6_ECHO_REPLY, n, "fd00::2", "fd00::1");
	ck_assert_uint_eq(expect_fragments(&t, want, n), (n + 1447) / 1448);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* Successive datagrams to one destination: successive identifications (RFC 7739 §5.3). */
START_TEST(fragment_ids_differ)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	uint32_t ids[2];
	for (int k = 0; k < 2; k++) {
		echo_msg(req, ICMP6_ECHO_REQUEST, 2000, "fd00::1", "fd00::2");
		feed_piece(&t, req, 2000, 1448, 100 + (uint32_t)k, 0);
		feed_piece(&t, req, 2000, 1448, 100 + (uint32_t)k, 1);
		capdev_take(t.cap, got, sizeof(got));
		ids[k] = be32(got + 14 + 40 + 4);
		while (capdev_take(t.cap, got, sizeof(got)))
			;
	}
	ck_assert_uint_eq(ids[1], ids[0] + 1);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * UDP over IPv6 and IPV6_MTU_DISCOVER (Linux __ip6_append_data): WANT (the
 * default) and DONT fragment above the path MTU, OMIT above the link's;
 * DO refuses above the path MTU, PROBE and INTERFACE above the link's.
 */
START_TEST(udp_fragmented_by_mtu_discover_mode)
{
	struct ts_test_stack t;
	static uint8_t data[3000];
	init_with_peer(&t, NULL);
	int u = ts_socket(&t.st, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	ts_inet6("fd00::1", a.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_connect(&t.st, u, SA(a), sizeof(a)), 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	ck_assert_int_eq(ts_send(&t.st, u, data, 3000, 0), 3000);
	ck_assert_uint_eq(expect_fragments_of(&t, NULL, 8 + 3000, IPV6_NH_UDP, 1500), 3);
	/* A path MTU of 1280 (RFC 8201): fragments of 1280 at most. */
	struct ip_addr to = {.af = AF_INET6};
	ts_inet6("fd00::1", to.v6);
	ck_assert_uint_eq(ip_pmtu_update(&t.st, &to, 1280), 1280);
	ck_assert_int_eq(ts_send(&t.st, u, data, 1400, 0), 1400);
	ck_assert_uint_eq(expect_fragments_of(&t, NULL, 8 + 1400, IPV6_NH_UDP, 1280), 2);
	int v = IPV6_PMTUDISC_DO;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	ck_errno(ts_send(&t.st, u, data, 1400, 0), EMSGSIZE);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_REFUSED], 1);
	ck_assert_int_eq(ts_send(&t.st, u, data, 1200, 0), 1200);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 40 + 8 + 1200);
	ck_assert_uint_eq(got[20], IPV6_NH_UDP);
	/* PROBE: the link's MTU, never fragments. */
	v = IPV6_PMTUDISC_PROBE;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	ck_assert_int_eq(ts_send(&t.st, u, data, 1400, 0), 1400);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 40 + 8 + 1400);
	ck_errno(ts_send(&t.st, u, data, 1500, 0), EMSGSIZE);
	/* OMIT: the link's MTU, fragments above it. */
	v = IPV6_PMTUDISC_OMIT;
	ck_assert_int_eq(ts_setsockopt(&t.st, u, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)),
			 0);
	ck_assert_int_eq(ts_send(&t.st, u, data, 1400, 0), 1400);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 40 + 8 + 1400);
	ck_assert_int_eq(ts_send(&t.st, u, data, 3000, 0), 3000);
	ck_assert_uint_eq(expect_fragments_of(&t, NULL, 8 + 3000, IPV6_NH_UDP, 1500), 3);
	ck_assert_int_eq(ts_close(&t.st, u), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- drops ---- */

/* RFC 5722 §4: any overlap discards the whole datagram, later fragments too. */
START_TEST(overlap_drops_whole_datagram)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 48, "fd00::1", "fd00::2");
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 9, 0, true, req, 16));
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 9, 8, true, req + 8, 16), DROP_IPV6_FRAG_OVERLAP);
	/* The rest completes nothing: the datagram is gone. */
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 9, 16, false, req + 16, 32),
		    DROP_IPV6_FRAG_DISCARDED);
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 9, 0, true, req, 16), DROP_IPV6_FRAG_DISCARDED);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_REASSEMBLED], 0);
	/* Same range, other octets: an overlap too. */
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 10, 0, true, req, 16));
	uint8_t other[16];
	memcpy(other, req, 16);
	other[9] ^= 0xff;
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 10, 0, true, other, 16), DROP_IPV6_FRAG_OVERLAP);
	/* A fragment spanning two held ones. */
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 11, 0, true, req, 8));
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 11, 8, true, req + 8, 8));
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 11, 0, true, req, 16), DROP_IPV6_FRAG_OVERLAP);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	/* The timer ends them silently: no time exceeded for a discarded datagram. */
	advance(&t, 60000000);
	expect_usage(&t, 0);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_TIMEOUT], 0);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* A fragment beyond the end the last one gave, or a second last one elsewhere. */
START_TEST(bad_end_drops_datagram)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 64, "fd00::1", "fd00::2");
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 1, 16, false, req + 16, 16));
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 1, 32, true, req + 32, 8), DROP_IPV6_FRAG_BAD_END);
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 1, 0, true, req, 16), DROP_IPV6_FRAG_DISCARDED);
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 2, 16, false, req + 16, 16));
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 2, 8, false, req + 8, 8), DROP_IPV6_FRAG_BAD_END);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 8200 §4.5: M set and a length not a multiple of 8: code 0 at the Payload Length. */
START_TEST(not_multiple_of_8_param_problem)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 64, "fd00::1", "fd00::2");
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 3, 0, true, req, 20), DROP_IPV6_FRAG_BAD_LEN);
	expect_param_problem(&t, ICMP6_PARAM_HEADER, 4);
	/* An empty fragment with M set: dropped, nothing to point at. */
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 3, 8, true, req, 0), DROP_IPV6_FRAG_BAD_LEN);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	expect_usage(&t, 0);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 8200 §4.5: a reassembled payload over 65535: code 0 at the Fragment Offset. */
START_TEST(over_65535_param_problem)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	memset(req, 0x5a, 16);
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 4, 65528, false, req, 16), DROP_IPV6_FRAG_TOO_BIG);
	expect_param_problem(&t, ICMP6_PARAM_HEADER, 40 + 2);
	/* 65528 + 7 is the largest that fits. */
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 4, 65528, false, req, 7));
	expect_usage(&t, 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 7112 §5: the first fragment ends inside the header chain: drop, code 3, pointer 0. */
START_TEST(incomplete_chain_param_problem)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	/* Destination options (PadN) naming ICMPv6, and no ICMPv6 octet. */
	const uint8_t dopt[8] = {IPV6_NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0};
	expect_drop(&t, frag(f, IPV6_NH_DSTOPTS, 5, 0, true, dopt, 8),
		    DROP_IPV6_FRAG_INCOMPLETE_CHAIN);
	expect_param_problem(&t, ICMP6_PARAM_CHAIN, 0);
	/* A destination options header cut by the fragment's end. */
	const uint8_t dlong[8] = {IPV6_NH_ICMPV6, 1, 1, 12, 0, 0, 0, 0};
	expect_drop(&t, frag(f, IPV6_NH_DSTOPTS, 5, 0, true, dlong, 8),
		    DROP_IPV6_FRAG_INCOMPLETE_CHAIN);
	expect_param_problem(&t, ICMP6_PARAM_CHAIN, 0);
	expect_usage(&t, 0);
	/* With 8 ICMPv6 octets after it, it is held. */
	uint8_t ok[16] = {IPV6_NH_ICMPV6, 0, 1, 4, 0, 0, 0, 0, ICMP6_ECHO_REQUEST};
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_DSTOPTS, 5, 0, true, ok, 16));
	expect_usage(&t, 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 8200 §4.5: 60 s after the first-arriving fragment; time exceeded code 1 only if the
 * first fragment came. */
START_TEST(timeout_time_exceeded_if_first)
{
	struct ts_test_stack t;
	uint8_t first[14 + 40 + 8 + 16];
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 64, "fd00::1", "fd00::2");
	size_t fn = frag(f, IPV6_NH_ICMPV6, 6, 0, true, req, 16);
	memcpy(first, f, fn);
	ts_test_stack_feed(&t, f, fn);
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 7, 16, true, req + 16, 16));
	advance(&t, 59999000);
	expect_usage(&t, 2);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	advance(&t, 2000);
	expect_usage(&t, 0);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_TIMEOUT], 2);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_TIME_EXCEEDED_SENT], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1); /* id 7's first fragment never came */
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(n, 14 + 40 + 8 + (40 + 8 + 16));
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[20], IPV6_NH_ICMPV6);
	ck_assert_uint_eq(got[54], ICMP6_TIME_EXCEEDED);
	ck_assert_uint_eq(got[55], ICMP6_TIMXCEED_REASS);
	ck_assert_uint_eq(be32(got + 58), 0);
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 54, n - 54), 0);
	ck_assert_mem_eq(got + 62, first + 14, 40 + 8 + 16); /* the first fragment as it came */
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* Exact duplicates are dropped alone (RFC 8200 §4.5); the datagram still completes. */
START_TEST(duplicates_counted)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 100, "fd00::1", "fd00::2");
	feed_piece(&t, req, 100, 56, 8, 0);
	size_t n = frag(f, IPV6_NH_ICMPV6, 8, 0, true, req, 56);
	expect_drop(&t, n, DROP_IPV6_FRAG_DUP);
	feed_piece(&t, req, 100, 24, 8, 3); /* [72, 96) */
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 8, 72, true, req + 72, 24), DROP_IPV6_FRAG_DUP);
	feed_piece(&t, req, 100, 24, 8, 4); /* [96, 100), the last */
	expect_drop(&t, frag(f, IPV6_NH_ICMPV6, 8, 96, false, req + 96, 4), DROP_IPV6_FRAG_DUP);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 8, 56, true, req + 56, 16));
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	ck_assert_uint_eq(t.st.rx_drops[DROP_IPV6_FRAG_DUP], 3);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* The datagram cap and the byte cap evict the oldest datagram. */
START_TEST(eviction_under_caps)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint32_t d;
	size_t one;
	echo_msg(req, ICMP6_ECHO_REQUEST, 100, "fd00::1", "fd00::2");

	/* What one datagram holding its first fragment costs. */
	init_with_peer(&t, NULL);
	feed_piece(&t, req, 100, 56, 1, 0);
	ipv6_reass_usage(&t.st, &d, &one);
	ts_test_stack_free(&t);

	/* Bytes for two and a half: the third evicts the first. */
	test_cfg(&cfg);
	cfg.ip6_reass_max_bytes = (uint32_t)(one * 5 / 2);
	init_with_peer(&t, &cfg);
	for (uint32_t id = 1; id <= 3; id++)
		feed_piece(&t, req, 100, 56, id, 0);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_EVICTED], 1);
	expect_usage(&t, 2);
	feed_piece(&t, req, 100, 56, 1, 1); /* id 1 starts again, evicting id 2 */
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_EVICTED], 2);
	feed_piece(&t, req, 100, 56, 3, 1);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1); /* id 3 survived */
	BALANCED(&t);
	ts_test_stack_free(&t);

	/* Two datagrams at most. */
	test_cfg(&cfg);
	cfg.ip6_reass_max_dgrams = 2;
	init_with_peer(&t, &cfg);
	for (uint32_t id = 1; id <= 5; id++)
		feed_piece(&t, req, 100, 56, id, 0);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_EVICTED], 3);
	expect_usage(&t, 2);
	feed_piece(&t, req, 100, 56, 4, 1);
	feed_piece(&t, req, 100, 56, 5, 1);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 2);
	expect_usage(&t, 0);

	/* A cap too small for any datagram refuses. */
	BALANCED(&t);
	ts_test_stack_free(&t);
	test_cfg(&cfg);
	cfg.ip6_reass_max_bytes = 100;
	init_with_peer(&t, &cfg);
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 1, 0, true, req, 56));
	ck_assert_uint_eq(t.st.rx_drops[DROP_IPV6_FRAG_NOMEM], 1);
	expect_usage(&t, 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 6946: offset 0 and M clear is a whole datagram; reassembly never sees it. */
START_TEST(atomic_fragment_untouched)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	echo_msg(req, ICMP6_ECHO_REQUEST, 100, "fd00::1", "fd00::2");
	feed_piece(&t, req, 100, 56, 77, 0); /* a fragment of id 77 is pending */
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_ICMPV6, 77, 0, false, req, 100));
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_RX], 1);
	expect_usage(&t, 1);
	feed_piece(&t, req, 100, 56, 77, 1); /* id 77 still completes */
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 2);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* A Fragment header inside a reassembled datagram that is not atomic. */
START_TEST(nested_fragment_dropped)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	/* The inner Fragment header: offset 8, M set; then 16 octets. */
	uint8_t inner[24] = {IPV6_NH_ICMPV6, 0, 0, 9, 0, 0, 0, 1, ICMP6_ECHO_REQUEST};
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_FRAGMENT, 12, 0, true, inner, 16));
	ts_test_stack_feed(&t, f, frag(f, IPV6_NH_FRAGMENT, 12, 16, false, inner + 16, 8));
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_REASSEMBLED], 1);
	ck_assert_uint_eq(t.st.drops[DROP_IPV6_FRAG_NESTED], 1);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- random sequences ---- */

static const enum ts_drop_reason frag_reasons[] = {
    DROP_IPV6_FRAG_BAD_LEN, DROP_IPV6_FRAG_TOO_BIG, DROP_IPV6_FRAG_INCOMPLETE_CHAIN,
    DROP_IPV6_FRAG_OVERLAP, DROP_IPV6_FRAG_BAD_END, DROP_IPV6_FRAG_DISCARDED,
    DROP_IPV6_FRAG_DUP,	    DROP_IPV6_FRAG_NOMEM,
};

/*
 * Random fragments of a few datagrams: offsets, lengths, M, first headers
 * and contents drawn from a seeded generator, time moving on now and then.
 * Each fragment ends delivered (copied) or under one reassembly reason:
 * fragments received = RX_DELIVERED + those drops; nothing is held after
 * the timeout; ASan sees every access.
 */
START_TEST(random_sequences)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	test_cfg(&cfg);
	cfg.ip6_reass_max_dgrams = 10;
	cfg.ip6_reass_max_bytes = 120000;
	cfg.icmp_err_burst = 1000000;
	init_with_peer(&t, &cfg);
	echo_msg(req, ICMP6_ECHO_REQUEST, 4096, "fd00::1", "fd00::2");
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint32_t id = (uint32_t)(x % 6);
		size_t off, len;
		bool m;
		uint8_t nh = IPV6_NH_ICMPV6;
		const uint8_t *data;
		if ((x >> 4) % 10 < 7) {
			/* A piece of the echo, cut per id: these complete. */
			size_t chunk = 8 * (30 + id * 29), pieces = (4096 + chunk - 1) / chunk;
			off = (size_t)((x >> 8) % pieces) * chunk;
			len = off + chunk < 4096 ? chunk : 4096 - off;
			m = off + len < 4096;
			data = req + off;
		} else {
			if ((x >> 60) % 8)
				id += 6; /* mostly other datagrams than the echoes' */
			off = (size_t)((x >> 8) % 520) * 8;
			len = (size_t)((x >> 20) % 80) * ((x >> 30) % 4 == 0 ? 1 : 8);
			m = (x >> 33) % 3 != 0;
			if ((x >> 36) % 5 == 0)
				nh = IPV6_NH_DSTOPTS;
			if ((x >> 40) % 50 == 0)
				off = 65528 - ((x >> 46) % 4) * 8; /* near the end */
			if (off == 0 && !m)
				m = true; /* atomic fragments are other tests' */
			if (len == 0 && !m)
				len = 8;
			data = (x >> 50) % 4 ? req + (off % 4096) : req + 1;
			if ((off % 4096) + len > 4096)
				data = req;
		}
		ts_test_stack_feed(&t, f, frag(f, nh, id, off, m, data, len));
		while (capdev_take(t.cap, got, sizeof(got)))
			;
		if ((x >> 56) % 64 == 0)
			advance(&t, (x >> 58) * 1000000);
		ck_assert(stack_rx_balanced(&t.st));
	}
	uint64_t drops = 0;
	for (size_t i = 0; i < sizeof(frag_reasons) / sizeof(frag_reasons[0]); i++)
		drops += t.st.rx_drops[frag_reasons[i]];
	ck_assert_uint_eq(t.st.counters[CTR_ETH_RX], 20000);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_RX], 20000);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_FRAGS_RX],
			  t.st.counters[CTR_RX_DELIVERED] + drops);
	ck_assert_uint_gt(t.st.rx_drops[DROP_IPV6_FRAG_OVERLAP], 0);
	ck_assert_uint_gt(t.st.rx_drops[DROP_IPV6_FRAG_DISCARDED], 0);
	ck_assert_uint_gt(t.st.rx_drops[DROP_IPV6_FRAG_BAD_LEN], 0);
	ck_assert_uint_gt(t.st.rx_drops[DROP_IPV6_FRAG_DUP], 0);
	ck_assert_uint_gt(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 0);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_REASSEMBLED],
			  t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT]);
	advance(&t, 61000000);
	expect_usage(&t, 0);
	ck_assert_uint_gt(t.st.counters[CTR_ICMP6_TIME_EXCEEDED_SENT], 0);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *ipv6_reass_suite(void)
{
	Suite *s = suite_create("ipv6_reass");
	TCase *tc = tcase_create("ipv6_reass");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, small_echo_reassembled_reply_exact);
	tcase_add_test(tc, big_echo_in_order);
	tcase_add_test(tc, big_echo_out_of_order);
	tcase_add_test(tc, largest_echo_both_ways);
	tcase_add_test(tc, fragment_ids_differ);
	tcase_add_test(tc, udp_fragmented_by_mtu_discover_mode);
	tcase_add_test(tc, overlap_drops_whole_datagram);
	tcase_add_test(tc, bad_end_drops_datagram);
	tcase_add_test(tc, not_multiple_of_8_param_problem);
	tcase_add_test(tc, over_65535_param_problem);
	tcase_add_test(tc, incomplete_chain_param_problem);
	tcase_add_test(tc, timeout_time_exceeded_if_first);
	tcase_add_test(tc, duplicates_counted);
	tcase_add_test(tc, eviction_under_caps);
	tcase_add_test(tc, atomic_fragment_untouched);
	tcase_add_test(tc, nested_fragment_dropped);
	tcase_add_test(tc, random_sequences);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(ipv6_reass_suite)
