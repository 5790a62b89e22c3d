/*
 * ipv6_test.c - IPv6 (RFC 8200), ICMPv6 (RFC 4443) and neighbour discovery
 * (RFC 4861) against frames built here field by field from the RFC
 * layouts, with an RFC 1071 checksum of the test's own: our addresses
 * (EUI-64 link-local, solicited-node groups), NS → NA and echo request →
 * reply byte for byte, the neighbour cache's states and bounds, and every
 * IPV6_, ICMP6_ and ND6_ drop reason with the accounting balanced.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "tsunit.h"
#include "icmp6.h"
#include "ipv6.h"
#include "mld6.h"
#include "nd6.h"
#include "rd6.h"
#include "tapstack.h"

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1}; /* the peer (the kernel's side) */
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2}; /* the stack (test default) */
static const uint8_t mac9[6] = {2, 0, 0, 0, 0, 9};

/*
 * Ethernet (RFC 2464 §7 for multicast MACs: the caller's edst) + IPv6
 * header (RFC 8200 §3) + payload.  Returns the frame length.
 */
static size_t frame6(uint8_t *f, const uint8_t edst[6], const uint8_t esrc[6], const char *src,
		     const char *dst, uint8_t nh, uint8_t hops, const uint8_t *pl, size_t plen)
{
	memcpy(f, edst, 6);
	memcpy(f + 6, esrc, 6);
	f[12] = 0x86;
	f[13] = 0xdd;
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[4] = (uint8_t)(plen >> 8);
	ip[5] = (uint8_t)plen;
	ip[6] = nh;
	ip[7] = hops;
	ts_inet6(src, ip + 8);
	ts_inet6(dst, ip + 24);
	memcpy(ip + 40, pl, plen);
	return 14 + 40 + plen;
}

/* An ICMPv6 message (type, code, body) in a frame, checksum computed here. */
static size_t icmp6_frame(uint8_t *f, const uint8_t edst[6], const uint8_t esrc[6], const char *src,
			  const char *dst, uint8_t hops, uint8_t type, uint8_t code,
			  const uint8_t *body, size_t blen)
{
	uint8_t m[1500];
	m[0] = type;
	m[1] = code;
	m[2] = m[3] = 0;
	memcpy(m + 4, body, blen);
	size_t n = frame6(f, edst, esrc, src, dst, IPV6_NH_ICMPV6, hops, m, 4 + blen);
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_ICMPV6, f + 54, 4 + blen);
	f[56] = (uint8_t)(c >> 8);
	f[57] = (uint8_t)c;
	return n;
}

/* NS / NA body (RFC 4861 §4.3, §4.4): flags, target, one link-layer option. */
static size_t nd_body(uint8_t *b, uint8_t flags, const char *target, uint8_t opt,
		      const uint8_t mac[6])
{
	memset(b, 0, 20);
	b[0] = flags;
	ts_inet6(target, b + 4);
	if (!opt)
		return 20;
	b[20] = opt;
	b[21] = 1;
	memcpy(b + 22, mac, 6);
	return 28;
}

static const uint8_t sol2_mac[6] = {0x33, 0x33, 0xff, 0, 0, 2}; /* ff02::1:ff00:2 */
static const uint8_t allnodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

/* The kernel's NS for fd00::2 from fd00::1 (multicast, with its MAC). */
static size_t ns_from_peer(uint8_t *f, const char *target)
{
	uint8_t b[32];
	size_t bl = nd_body(b, 0, target, ND6_OPT_SRC_LLADDR, mac1);
	return icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 255,
			   ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
}

#define BALANCED(t) ck_assert(stack_rx_balanced(&(t)->st))

/* One frame in, its drop reason counted once, the books balanced. */
static void expect_drop(struct ts_test_stack *t, const uint8_t *f, size_t n, enum ts_drop_reason r)
{
	uint64_t before = t->st.rx_drops[r];
	ts_test_stack_feed(t, f, n);
	ck_assert_msg(t->st.rx_drops[r] == before + 1, "expected drop %s", ts_drop_name(r));
	BALANCED(t);
}

/* ---- addresses ---- */

START_TEST(addresses_from_rfc4291)
{
	uint8_t ll[16], want[16], sol[16], mac[6];
	ipv6_link_local_from_mac(mac2, ll);
	ts_inet6("fe80::ff:fe00:2", want); /* U/L bit of 02 inverted, ff:fe in the middle */
	ck_assert_mem_eq(ll, want, 16);
	ipv6_link_local_from_mac((const uint8_t[6]){0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e}, ll);
	ts_inet6("fe80::21b:21ff:fe3c:4d5e", want);
	ck_assert_mem_eq(ll, want, 16);
	ts_inet6("fd00::1234:5678", want);
	ipv6_solicited_node(want, sol);
	ts_inet6("ff02::1:ff34:5678", want);
	ck_assert_mem_eq(sol, want, 16);
	ipv6_mcast_mac(sol, mac);
	ck_assert_mem_eq(mac, ((const uint8_t[6]){0x33, 0x33, 0xff, 0x34, 0x56, 0x78}), 6);

	struct ts_test_stack t;
	ts_test_stack_init(&t, NULL);
	ts_inet6("fe80::ff:fe00:2", want);
	ck_assert_mem_eq(ipv6_link_local(&t.st), want, 16);
	ts_inet6("fd00::2", want);
	ck_assert_mem_eq(ipv6_global(&t.st), want, 16);
	ck_assert(ipv6_mcast_mac_wanted(&t.st, allnodes_mac));
	ck_assert(
	    ipv6_mcast_mac_wanted(&t.st, sol2_mac)); /* fd00::2 and fe80::ff:fe00:2 share it */
	ck_assert(!ipv6_mcast_mac_wanted(&t.st, (const uint8_t[6]){0x33, 0x33, 0, 0, 0, 0x16}));
	ts_test_stack_free(&t);
}
END_TEST

/* ---- NS → NA ---- */

/* RFC 4861 §7.2.4: solicited, override, from the target, our MAC as TLLA. */
START_TEST(ns_answered_byte_exact)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], b[32];
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2"));
	size_t bl =
	    nd_body(b, ND6_NA_SOLICITED | ND6_NA_OVERRIDE, "fd00::2", ND6_OPT_TGT_LLADDR, mac2);
	size_t wn = icmp6_frame(want, mac1, mac2, "fd00::2", "fd00::1", 255, ICMP6_NEIGHBOR_ADVERT,
				0, b, bl);
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(n, wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(t.st.counters[CTR_ND6_NA_SENT], 1);
	/* §7.2.3: the solicitor is STALE with its MAC; sending it the NA
	 * made it DELAY (§7.3.3). */
	struct ts_neigh l[4];
	ck_assert_int_eq(ts_neigh_list(&t.st, l, 4), 1);
	ck_assert_int_eq(l[0].addr.ss_family, AF_INET6);
	ck_assert_int_eq(l[0].state, TS_NUD_DELAY);
	ck_assert_mem_eq(l[0].mac, mac1, 6);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* An NS for our link-local address, to the same solicited-node group. */
START_TEST(ns_for_link_local_answered)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], b[32];
	ts_test_stack_init(&t, NULL);
	size_t bl = nd_body(b, 0, "fe80::ff:fe00:2", ND6_OPT_SRC_LLADDR, mac1);
	size_t n = icmp6_frame(f, sol2_mac, mac1, "fe80::1", "ff02::1:ff00:2", 255,
			       ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	ts_test_stack_feed(&t, f, n);
	bl = nd_body(b, ND6_NA_SOLICITED | ND6_NA_OVERRIDE, "fe80::ff:fe00:2", ND6_OPT_TGT_LLADDR,
		     mac2);
	size_t wn = icmp6_frame(want, mac1, mac2, "fe80::ff:fe00:2", "fe80::1", 255,
				ICMP6_NEIGHBOR_ADVERT, 0, b, bl);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ts_test_stack_free(&t);
}
END_TEST

/* A DAD probe (source ::) for our address: NA to all-nodes, S clear (§7.2.4). */
START_TEST(dad_ns_answered_to_all_nodes)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], b[32];
	ts_test_stack_init(&t, NULL);
	size_t bl = nd_body(b, 0, "fd00::2", 0, NULL);
	size_t n = icmp6_frame(f, sol2_mac, mac1, "::", "ff02::1:ff00:2", 255,
			       ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	ts_test_stack_feed(&t, f, n);
	bl = nd_body(b, ND6_NA_OVERRIDE, "fd00::2", ND6_OPT_TGT_LLADDR, mac2);
	size_t wn = icmp6_frame(want, allnodes_mac, mac2, "fd00::2", "ff02::1", 255,
				ICMP6_NEIGHBOR_ADVERT, 0, b, bl);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_int_eq(ts_neigh_list(&t.st, NULL, 0), 0); /* nothing learnt from :: */
	ts_test_stack_free(&t);
}
END_TEST

/* ---- echo ---- */

static const uint8_t echo_body[] = {0x12, 0x34, 0x00, 0x07, 'p', 'i', 'n', 'g', '6', '!'};

/* RFC 4443 §4.2: same identifier, sequence and data, to the requester. */
START_TEST(echo_request_answered_byte_exact)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256];
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2")); /* the peer's MAC, STALE */
	capdev_take(t.cap, got, sizeof(got));
	size_t n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0,
			       echo_body, sizeof(echo_body));
	ts_test_stack_feed(&t, f, n);
	size_t wn = icmp6_frame(want, mac1, mac2, "fd00::2", "fd00::1", 64, ICMP6_ECHO_REPLY, 0,
				echo_body, sizeof(echo_body));
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* A request to all-nodes is answered from our address of the requester's scope. */
START_TEST(echo_to_all_nodes_answered_from_link_local)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256];
	ts_test_stack_init(&t, NULL);
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_inet6("fe80::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), 0);
	size_t n = icmp6_frame(f, allnodes_mac, mac1, "fe80::1", "ff02::1", 64, ICMP6_ECHO_REQUEST,
			       0, echo_body, sizeof(echo_body));
	ts_test_stack_feed(&t, f, n);
	size_t wn = icmp6_frame(want, mac1, mac2, "fe80::ff:fe00:2", "fe80::1", 64,
				ICMP6_ECHO_REPLY, 0, echo_body, sizeof(echo_body));
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- resolution and NUD (RFC 4861 §7.2.2, §7.3.3) ---- */

static void advance(struct ts_test_stack *t, uint64_t us)
{
	stack_poll(&t->st, t->st.now_us + us);
}

/* Echo from an unknown neighbour: reply queued, NS to its solicited-node group. */
static void echo_from(struct ts_test_stack *t, const char *src)
{
	uint8_t f[256];
	size_t n = icmp6_frame(f, mac2, mac1, src, "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			       sizeof(echo_body));
	ts_test_stack_feed(t, f, n);
}

START_TEST(resolution_ns_then_na_sends_queued)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], b[32];
	ts_test_stack_init(&t, NULL);
	echo_from(&t, "fd00::1");
	/* The NS: from fd00::2 (the reply's source) to ff02::1:ff00:1, with our MAC. */
	size_t bl = nd_body(b, 0, "fd00::1", ND6_OPT_SRC_LLADDR, mac2);
	size_t wn = icmp6_frame(want, (const uint8_t[6]){0x33, 0x33, 0xff, 0, 0, 1}, mac2,
				"fd00::2", "ff02::1:ff00:1", 255, ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	struct ts_neigh l[2];
	ck_assert_int_eq(ts_neigh_list(&t.st, l, 2), 1);
	ck_assert_int_eq(l[0].state, TS_NUD_INCOMPLETE);
	/* The solicited NA: REACHABLE, the echo reply leaves. */
	bl = nd_body(b, ND6_NA_SOLICITED | ND6_NA_OVERRIDE, "fd00::1", ND6_OPT_TGT_LLADDR, mac1);
	size_t n =
	    icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 255, ICMP6_NEIGHBOR_ADVERT, 0, b, bl);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	capdev_take(t.cap, got, sizeof(got));
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[54], ICMP6_ECHO_REPLY);
	ck_assert_int_eq(ts_neigh_list(&t.st, l, 2), 1);
	ck_assert_int_eq(l[0].state, TS_NUD_REACHABLE);
	/* ReachableTime later: STALE. */
	advance(&t, ND6_REACHABLE_TIME_US + 1);
	ts_neigh_list(&t.st, l, 2);
	ck_assert_int_eq(l[0].state, TS_NUD_STALE);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* STALE → DELAY on send → PROBE (unicast NS) after 5 s → gone after 3 probes. */
START_TEST(nud_delay_probe_then_removed)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256];
	struct ts_neigh l[2];
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2"));
	capdev_take(t.cap, got, sizeof(got)); /* the NA, which moved it to DELAY */
	ts_neigh_list(&t.st, l, 2);
	ck_assert_int_eq(l[0].state, TS_NUD_DELAY);
	advance(&t, ND6_DELAY_FIRST_PROBE_US + 1);
	ts_neigh_list(&t.st, l, 2);
	ck_assert_int_eq(l[0].state, TS_NUD_PROBE);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 40 + 32);
	ck_assert_mem_eq(got, mac1, 6); /* unicast to the cached MAC */
	ck_assert_uint_eq(got[54], ICMP6_NEIGHBOR_SOLICIT);
	for (int i = 0; i < ND6_MAX_UNICAST_SOLICIT; i++)
		advance(&t, ND6_RETRANS_TIMER_US + 1);
	ck_assert_int_eq(ts_neigh_list(&t.st, l, 2), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ND6_CACHE_FAILED], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- drops: IPv6 ---- */

START_TEST(ipv6_header_drops)
{
	struct ts_test_stack t;
	uint8_t f[256];
	size_t n;
	ts_test_stack_init(&t, NULL);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, 14 + 39, DROP_IPV6_TRUNCATED);
	f[14] = 0x40;
	expect_drop(&t, f, n, DROP_IPV6_BAD_VERSION);
	f[14] = 0x60;
	f[19]++; /* payload length one past the frame */
	expect_drop(&t, f, n, DROP_IPV6_BAD_LEN);
	n = icmp6_frame(f, mac2, mac1, "ff02::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, n, DROP_IPV6_BAD_SRC);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::3", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, n, DROP_IPV6_NOT_FOR_US);
	n = icmp6_frame(f, allnodes_mac, mac1, "fd00::1", "ff02::2", 64, ICMP6_ECHO_REQUEST, 0,
			echo_body, sizeof(echo_body));
	expect_drop(&t, f, n, DROP_IPV6_NOT_FOR_US); /* a group we did not join */
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* The kernel's MLD report to ff02::16 is filtered by MAC; to our MAC, by address. */
START_TEST(kernel_mld_report)
{
	struct ts_test_stack t;
	uint8_t f[128];
	size_t n = ts_load_hex("eth/ipv6_mld_mcast.hex", f, sizeof(f));
	ts_test_stack_init(&t, NULL);
	expect_drop(&t, f, n, DROP_ETH_NOT_FOR_US);
	memcpy(f, mac2, 6);
	expect_drop(&t, f, n, DROP_IPV6_NOT_FOR_US);
	ts_test_stack_free(&t);
}
END_TEST

/* A frame with the extension headers ext (ext[0] names what follows) then an echo request. */
static size_t ext_frame(uint8_t *f, uint8_t first, const uint8_t *ext, size_t elen)
{
	uint8_t pl[256];
	if (elen)
		memcpy(pl, ext, elen);
	pl[elen] = ICMP6_ECHO_REQUEST;
	memset(pl + elen + 1, 0, 3);
	memcpy(pl + elen + 4, echo_body, sizeof(echo_body));
	size_t n = frame6(f, mac2, mac1, "fd00::1", "fd00::2", first, 64, pl,
			  elen + 4 + sizeof(echo_body));
	return n;
}

/* The parameter problem the stack sent: code and pointer (RFC 4443 §3.4). */
static void expect_param_problem(struct ts_test_stack *t, uint8_t code, uint32_t ptr)
{
	uint8_t got[1600];
	size_t n = capdev_take(t->cap, got, sizeof(got));
	ck_assert_uint_ge(n, 14 + 40 + 8 + 40);
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[54], ICMP6_PARAM_PROBLEM);
	ck_assert_uint_eq(got[55], code);
	ck_assert_uint_eq((uint32_t)got[58] << 24 | got[59] << 16 | got[60] << 8 | got[61], ptr);
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 54, n - 54), 0);
}

static void init_with_peer(struct ts_test_stack *t, const struct ts_config *cfg)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_test_stack_init(t, cfg);
	ts_inet6("fd00::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t->st, SA(s6), sizeof(s6), mac1, 0), 0);
}

START_TEST(extension_header_walk)
{
	struct ts_test_stack t;
	uint8_t f[512];
	init_with_peer(&t, NULL);
	/* Hop-by-hop (Router Alert, PadN) then destination options (Pad1s): walked, answered. */
	const uint8_t hbh[] = {IPV6_NH_DSTOPTS, 0, 5, 2, 0, 0, 1, 0};
	uint8_t two[16];
	memcpy(two, hbh, 8);
	memcpy(two + 8, (const uint8_t[8]){IPV6_NH_ICMPV6, 0, 0, 0, 0, 0, 0, 0}, 8);
	size_t n = ext_frame(f, IPV6_NH_HOPOPTS, two, 16);
	/* the echo's checksum, now past the headers */
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_ICMPV6, f + 54 + 16, 4 + sizeof(echo_body));
	f[54 + 16 + 2] = (uint8_t)(c >> 8);
	f[54 + 16 + 3] = (uint8_t)c;
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	capdev_take(t.cap, f, sizeof(f));

	/* Hop-by-hop after destination options: code 1 at the Next Header naming it. */
	const uint8_t late[] = {IPV6_NH_HOPOPTS, 0, 1, 4, 0, 0, 0, 0,
				IPV6_NH_ICMPV6,	 0, 1, 4, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_DSTOPTS, late, 16), DROP_IPV6_HBH_NOT_FIRST);
	expect_param_problem(&t, ICMP6_PARAM_NEXT, 40);
	/* A header longer than the payload. */
	const uint8_t longh[] = {IPV6_NH_ICMPV6, 9, 1, 4, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_DSTOPTS, longh, 8), DROP_IPV6_EXT_TRUNCATED);
	/* Unknown option 0x42 (bits 01: discard silently), 0x82 (10: and tell). */
	const uint8_t opt01[] = {IPV6_NH_ICMPV6, 0, 0x42, 4, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_DSTOPTS, opt01, 8), DROP_IPV6_BAD_OPTION);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	const uint8_t opt10[] = {IPV6_NH_ICMPV6, 0, 0x82, 4, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_DSTOPTS, opt10, 8), DROP_IPV6_BAD_OPTION);
	expect_param_problem(&t, ICMP6_PARAM_OPTION, 42);
	/* An option running past its header. */
	const uint8_t optlong[] = {IPV6_NH_ICMPV6, 0, 1, 9, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_DSTOPTS, optlong, 8), DROP_IPV6_BAD_OPTION);
	/* RFC 5095: routing type 0 with segments left: code 0 at the type. */
	const uint8_t rh0[] = {IPV6_NH_ICMPV6, 2, 0, 1, 0, 0, 0, 0, [8] = 0xfd, [23] = 9};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_ROUTING, rh0, 24), DROP_IPV6_RH0);
	expect_param_problem(&t, ICMP6_PARAM_HEADER, 42);
	/* A fragment (offset 8, M set) of 14 octets, not a multiple of 8:
	 * code 0 at the Payload Length (RFC 8200 §4.5; ipv6_reass_test.c). */
	const uint8_t frag[] = {IPV6_NH_ICMPV6, 0, 0, 9, 0, 0, 0, 1};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_FRAGMENT, frag, 8), DROP_IPV6_FRAG_BAD_LEN);
	expect_param_problem(&t, ICMP6_PARAM_HEADER, 4);
	/* No Next Header. */
	expect_drop(&t, f, ext_frame(f, IPV6_NH_NONE, NULL, 0), DROP_IPV6_NO_NEXT_HEADER);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	/* SCTP (132): no handler, code 1 at the fixed header's Next Header. */
	expect_drop(&t, f, ext_frame(f, 132, NULL, 0), DROP_IPV6_UNKNOWN_PROTO);
	expect_param_problem(&t, ICMP6_PARAM_NEXT, 6);
	ts_test_stack_free(&t);
}
END_TEST

/* An atomic fragment (offset 0, M clear, RFC 6946) is a whole datagram. */
START_TEST(atomic_fragment_delivered)
{
	struct ts_test_stack t;
	uint8_t f[512];
	init_with_peer(&t, NULL);
	const uint8_t frag[] = {IPV6_NH_ICMPV6, 0, 0, 0, 0, 0, 0, 1};
	size_t n = ext_frame(f, IPV6_NH_FRAGMENT, frag, 8);
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_ICMPV6, f + 54 + 8, 4 + sizeof(echo_body));
	f[54 + 8 + 2] = (uint8_t)(c >> 8);
	f[54 + 8 + 3] = (uint8_t)c;
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_ECHO_REPLIES_SENT], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 4443 §2.4 (e), (f): no error about an error or to a group; a rate limit. */
START_TEST(param_problem_limits)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t f[512];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.icmp_err_burst = 1;
	init_with_peer(&t, &cfg);
	const uint8_t rh0[] = {IPV6_NH_ICMPV6, 0, 0, 1, 0, 0, 0, 0};
	expect_drop(&t, f, ext_frame(f, IPV6_NH_ROUTING, rh0, 8), DROP_IPV6_RH0);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	expect_drop(&t, f, ext_frame(f, IPV6_NH_ROUTING, rh0, 8), DROP_IPV6_RH0);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP6_RATE_LIMITED], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	advance(&t, 2000000);
	/* To all-nodes: a code 0 problem is not reported. */
	size_t n = ext_frame(f, IPV6_NH_ROUTING, rh0, 8);
	ts_inet6("ff02::1", f + 38);
	memcpy(f, allnodes_mac, 6);
	expect_drop(&t, f, n, DROP_IPV6_RH0);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP6_NO_ERROR_FOR], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- drops: ICMPv6 ---- */

START_TEST(icmp6_drops)
{
	struct ts_test_stack t;
	uint8_t f[256];
	size_t n;
	init_with_peer(&t, NULL);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			sizeof(echo_body));
	f[60] ^= 1;
	expect_drop(&t, f, n, DROP_ICMP6_BAD_CSUM);
	n = frame6(f, mac2, mac1, "fd00::1", "fd00::2", IPV6_NH_ICMPV6, 64, echo_body, 3);
	expect_drop(&t, f, n, DROP_ICMP6_TRUNCATED);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			2);
	expect_drop(&t, f, n, DROP_ICMP6_TRUNCATED); /* no room for id and seq */
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, 200, 0, echo_body, 4);
	expect_drop(&t, f, n, DROP_ICMP6_UNKNOWN_INFO);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_DEST_UNREACH, 4, echo_body,
			4);
	expect_drop(&t, f, n,
		    DROP_ICMP6_ERR_BAD_QUOTE); /* no room for a quote (icmp6_err_test.c) */
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REPLY, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, n, DROP_ICMP6_ECHO_REPLY_UNHANDLED);
	n = icmp6_frame(f, allnodes_mac, mac1, "fe80::1", "ff02::1", 1, ICMP6_MLD_QUERY, 0,
			(const uint8_t[20]){0}, 20);
	expect_drop(&t, f, n, DROP_ICMP6_MLD_IGNORED);
	n = icmp6_frame(f, mac2, mac1, "fe80::1", "fe80::ff:fe00:2", 255, ICMP6_REDIRECT, 0,
			(const uint8_t[36]){0}, 36);
	expect_drop(&t, f, n, DROP_ICMP6_ROUTER_IGNORED); /* redirects are not followed */
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- echo from the stack (tapstack ping, RFC 4443 §4.1) ---- */

/* Our request is the frame built here field by field: from the address
 * selected for the destination's scope, hop limit cfg.ttl. */
START_TEST(echo_request_sent_byte_exact)
{
	struct ts_test_stack t;
	uint8_t got[256], want[256], dst[16];
	init_with_peer(&t, NULL);
	ts_inet6("fd00::1", dst);
	ck_assert_int_eq(
	    icmp6_echo_request(&t.st, dst, 0x1234, 7, echo_body + 4, sizeof(echo_body) - 4), 0);
	size_t wn = icmp6_frame(want, mac1, mac2, "fd00::2", "fd00::1", 64, ICMP6_ECHO_REQUEST, 0,
				echo_body, sizeof(echo_body));
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	/* A link-local destination: from our link-local address. */
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_inet6("fe80::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), 0);
	ts_inet6("fe80::1", dst);
	ck_assert_int_eq(
	    icmp6_echo_request(&t.st, dst, 0x1234, 7, echo_body + 4, sizeof(echo_body) - 4), 0);
	wn = icmp6_frame(want, mac1, mac2, "fe80::ff:fe00:2", "fe80::1", 64, ICMP6_ECHO_REQUEST, 0,
			 echo_body, sizeof(echo_body));
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	/* No data, and more than a 16-bit payload length holds. */
	ck_assert_int_eq(icmp6_echo_request(&t.st, dst, 1, 2, NULL, 0), 0);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 40 + 8);
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 54, 8), 0);
	ck_assert_int_eq(icmp6_echo_request(&t.st, dst, 1, 2, NULL, ICMP6_ECHO_DATA_MAX + 1),
			 -EMSGSIZE);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_TX], 3);
	ts_test_stack_free(&t);
}
END_TEST

struct echo6_seen {
	int calls;
	uint8_t src[16];
	uint16_t id, seq;
	uint8_t data[64];
	size_t len;
	uint8_t hops;
};

static void on_echo6(void *ctx, const uint8_t src[16], uint16_t id, uint16_t seq,
		     const uint8_t *data, size_t len, uint8_t hop_limit)
{
	struct echo6_seen *e = ctx;
	e->calls++;
	memcpy(e->src, src, 16);
	e->id = id;
	e->seq = seq;
	e->len = len;
	memcpy(e->data, data, len < sizeof(e->data) ? len : sizeof(e->data));
	e->hops = hop_limit;
}

/* A reply goes to the handler with its source, identifier, sequence, data
 * and hop limit; delivered, not dropped.  Without a handler it is dropped
 * under its reason, and one too short for identifier and sequence too. */
START_TEST(echo_reply_reaches_handler)
{
	struct ts_test_stack t;
	uint8_t f[256], want_src[16];
	struct echo6_seen seen = {0};
	init_with_peer(&t, NULL);
	icmp6_set_echo_handler(&t.st, on_echo6, &seen);
	size_t n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 63, ICMP6_ECHO_REPLY, 0,
			       echo_body, sizeof(echo_body));
	ts_test_stack_feed(&t, f, n);
	ck_assert_int_eq(seen.calls, 1);
	ts_inet6("fd00::1", want_src);
	ck_assert_mem_eq(seen.src, want_src, 16);
	ck_assert_uint_eq(seen.id, 0x1234);
	ck_assert_uint_eq(seen.seq, 7);
	ck_assert_uint_eq(seen.len, 6);
	ck_assert_mem_eq(seen.data, "ping6!", 6);
	ck_assert_uint_eq(seen.hops, 63);
	ck_assert_uint_eq(t.st.rx_drops[DROP_ICMP6_ECHO_REPLY_UNHANDLED], 0);
	BALANCED(&t);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REPLY, 0, echo_body, 2);
	expect_drop(&t, f, n, DROP_ICMP6_TRUNCATED);
	ck_assert_int_eq(seen.calls, 1);
	icmp6_set_echo_handler(&t.st, NULL, NULL);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REPLY, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, n, DROP_ICMP6_ECHO_REPLY_UNHANDLED);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- drops: NDP validation (RFC 4861 §7.1.1, §7.1.2) ---- */

START_TEST(nd_validation_drops)
{
	struct ts_test_stack t;
	uint8_t f[256], b[64];
	size_t n, bl;
	ts_test_stack_init(&t, NULL);
	bl = nd_body(b, 0, "fd00::2", ND6_OPT_SRC_LLADDR, mac1);
	n = icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 254, ICMP6_NEIGHBOR_SOLICIT,
			0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_BAD_HOP_LIMIT);
	n = icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT,
			1, b, bl);
	expect_drop(&t, f, n, DROP_ND6_BAD_CODE);
	n = icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT,
			0, b, 19);
	expect_drop(&t, f, n, DROP_ND6_TRUNCATED);
	b[21] = 0; /* option length 0 */
	n = icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT,
			0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_BAD_OPTION);
	bl = nd_body(b, 0, "ff02::1", ND6_OPT_SRC_LLADDR, mac1);
	n = icmp6_frame(f, sol2_mac, mac1, "fd00::1", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT,
			0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_MCAST_TARGET);
	bl = nd_body(b, 0, "fd00::2", ND6_OPT_SRC_LLADDR, mac1); /* from :: with an SLLA */
	n = icmp6_frame(f, sol2_mac, mac1, "::", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT, 0,
			b, bl);
	expect_drop(&t, f, n, DROP_ND6_BAD_DAD);
	bl = nd_body(b, 0, "fd00::2", 0, NULL); /* from :: to a unicast address */
	n = icmp6_frame(f, mac2, mac1, "::", "fd00::2", 255, ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_BAD_DAD);
	bl = nd_body(b, 0, "fd00::3", ND6_OPT_SRC_LLADDR, mac1);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 255, ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_NOT_OUR_TARGET);
	/* NA */
	bl = nd_body(b, ND6_NA_SOLICITED, "fd00::1", ND6_OPT_TGT_LLADDR, mac1);
	n = icmp6_frame(f, allnodes_mac, mac1, "fd00::1", "ff02::1", 255, ICMP6_NEIGHBOR_ADVERT, 0,
			b, bl);
	expect_drop(&t, f, n, DROP_ND6_SOLICITED_MCAST);
	bl = nd_body(b, ND6_NA_OVERRIDE, "fd00::1", ND6_OPT_TGT_LLADDR, mac1);
	n = icmp6_frame(f, allnodes_mac, mac1, "fd00::1", "ff02::1", 255, ICMP6_NEIGHBOR_ADVERT, 0,
			b, bl);
	expect_drop(&t, f, n, DROP_ND6_NA_NO_ENTRY);
	bl = nd_body(b, ND6_NA_OVERRIDE, "fd00::2", ND6_OPT_TGT_LLADDR, mac1);
	n = icmp6_frame(f, allnodes_mac, mac1, "fd00::9", "ff02::1", 255, ICMP6_NEIGHBOR_ADVERT, 0,
			b, bl);
	expect_drop(&t, f, n, DROP_ND6_DUP_ADDR);
	echo_from(&t, "fd00::1"); /* INCOMPLETE entry for fd00::1 */
	bl = nd_body(b, ND6_NA_SOLICITED, "fd00::1", 0, NULL);
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 255, ICMP6_NEIGHBOR_ADVERT, 0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_NA_NO_LLADDR);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- drops: the cache's bounds ---- */

START_TEST(nd_unresolved_and_queue_full)
{
	struct ts_test_stack t;
	ts_test_stack_init(&t, NULL);
	for (int i = 0; i < 5; i++) /* 5 replies wait; the queue holds 3 (cfg.nd6_queue_max) */
		echo_from(&t, "fd00::1");
	ck_assert_uint_eq(t.st.drops[DROP_ND6_QUEUE_FULL], 2);
	ck_assert_uint_eq(t.st.counters[CTR_ND6_NS_SENT], 1);
	for (int i = 0; i < ND6_MAX_MULTICAST_SOLICIT; i++)
		advance(&t, ND6_RETRANS_TIMER_US + 1);
	ck_assert_uint_eq(t.st.counters[CTR_ND6_NS_SENT], ND6_MAX_MULTICAST_SOLICIT);
	ck_assert_uint_eq(t.st.drops[DROP_ND6_UNRESOLVED], 3);
	ck_assert_int_eq(ts_neigh_list(&t.st, NULL, 0), 0);
	ck_assert_uint_eq(nd6_pending_bytes(&t.st), 0);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(nd_cache_bounds)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t f[256], b[32];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.nd6_max_entries = 1;
	ts_test_stack_init(&t, &cfg);
	echo_from(&t, "fd00::1"); /* the one entry, a reply waiting on it */
	size_t bl = nd_body(b, 0, "fd00::2", ND6_OPT_SRC_LLADDR, mac9);
	size_t n = icmp6_frame(f, sol2_mac, mac9, "fd00::9", "ff02::1:ff00:2", 255,
			       ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	ts_test_stack_feed(&t, f, n); /* fd00::9's entry evicts fd00::1's */
	ck_assert_uint_eq(t.st.drops[DROP_ND6_EVICTED], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ND6_CACHE_EVICTED], 1);
	ck_assert_uint_eq(nd6_entry_count(&t.st), 1);
	/* Every entry static: no room for a new neighbour. */
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ts_inet6("fd00::9", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac9, 1), 0);
	echo_from(&t, "fd00::1");
	ck_assert_uint_eq(t.st.drops[DROP_ND6_CACHE_FULL], 1);
	BALANCED(&t);
	ts_test_stack_free(&t);

	cfg.nd6_max_entries = 4;
	cfg.nd6_unres_total_bytes = 1;
	ts_test_stack_init(&t, &cfg);
	echo_from(&t, "fd00::1");
	ck_assert_uint_eq(t.st.drops[DROP_ND6_PENDING_FULL], 1);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* ts_neigh_add/del for IPv6, as ip -6 neigh add/del. */
START_TEST(neigh_admin_v6)
{
	struct ts_test_stack t;
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct ts_neigh l[2];
	ts_test_stack_init(&t, NULL);
	ts_inet6("fd00::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), 0);
	ck_errno(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac9, 0), EEXIST);
	ck_assert_int_eq(ts_neigh_list(&t.st, l, 2), 1);
	ck_assert_int_eq(l[0].state, TS_NUD_PERMANENT);
	ck_assert_mem_eq(l[0].mac, mac1, 6);
	ts_inet6("fd00::2", s6.sin6_addr.s6_addr);
	ck_errno(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), EINVAL); /* ours */
	ts_inet6("ff02::1", s6.sin6_addr.s6_addr);
	ck_errno(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), EINVAL);
	ts_inet6("fd00::1", s6.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_neigh_del(&t.st, SA(s6), sizeof(s6)), 0);
	ck_errno(ts_neigh_del(&t.st, SA(s6), sizeof(s6)), ENOENT);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- MLDv2 (RFC 3810) ---- */

/*
 * With cfg.mld_reports: a State Change Report for ff02::1:ff00:2 (our two
 * addresses share it), from the link-local address to ff02::16, hop limit
 * 1, behind a Router Alert; again after a second; then nothing.
 */
START_TEST(mld_reports_at_start)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t got[256], want[256], pl[64];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.mld_reports = true;
	ts_test_stack_init(&t, &cfg);
	/* Hop-by-hop: ICMPv6 next, Router Alert 0 (RFC 2711), PadN. */
	const uint8_t hbh[8] = {IPV6_NH_ICMPV6, 0, 5, 2, 0, 0, 1, 0};
	memcpy(pl, hbh, 8);
	uint8_t *m = pl + 8;
	memset(m, 0, 28);
	m[0] = ICMP6_MLD2_REPORT;
	m[7] = 1; /* one record */
	m[8] = 4; /* CHANGE_TO_EXCLUDE_MODE, no sources: a join */
	ts_inet6("ff02::1:ff00:2", m + 12);
	size_t wn = frame6(want, (const uint8_t[6]){0x33, 0x33, 0, 0, 0, 0x16}, mac2,
			   "fe80::ff:fe00:2", "ff02::16", IPV6_NH_HOPOPTS, 1, pl, 8 + 28);
	uint16_t c = ts_csum6(want + 22, want + 38, IPV6_NH_ICMPV6, want + 54 + 8, 28);
	want[54 + 8 + 2] = (uint8_t)(c >> 8);
	want[54 + 8 + 3] = (uint8_t)c;
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	advance(&t, MLD6_REPORT_INTERVAL_US);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	advance(&t, 10 * MLD6_REPORT_INTERVAL_US);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);

	/* Another static address: two records, and the stack's own report
	 * parses as valid IPv6 when it loops back (dropped: not our group). */
	ts_inet6("fd00::1:2:3", cfg.ip6);
	ts_test_stack_init(&t, &cfg);
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(n, 14 + 40 + 8 + 8 + 2 * 20);
	ck_assert_uint_eq(got[54 + 8 + 7], 2);
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 62, n - 62), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- DAD (RFC 4862 §5.4) ---- */

static void init_dad(struct ts_test_stack *t)
{
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.dad = true;
	ts_test_stack_init(t, &cfg);
}

/*
 * The probes: from ::, to each address's solicited-node group, no option;
 * while tentative the address takes no traffic and answers no resolution;
 * after RetransTimer of silence it is ours.
 */
START_TEST(dad_probes_then_preferred)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], b[32];
	init_dad(&t);
	size_t bl = nd_body(b, 0, "fe80::ff:fe00:2", 0, NULL);
	size_t wn = icmp6_frame(want, sol2_mac, mac2, "::", "ff02::1:ff00:2", 255,
				ICMP6_NEIGHBOR_SOLICIT, 0, b, bl);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	bl = nd_body(b, 0, "fd00::2", 0, NULL);
	wn = icmp6_frame(want, sol2_mac, mac2, "::", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT,
			 0, b, bl);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_ptr_null(ipv6_global(&t.st));
	/* Tentative: resolution waits, traffic to it is not ours. */
	expect_drop(&t, f, ns_from_peer(f, "fd00::2"), DROP_ND6_TENTATIVE);
	size_t n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0,
			       echo_body, sizeof(echo_body));
	expect_drop(&t, f, n, DROP_IPV6_NOT_FOR_US);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	advance(&t, ND6_RETRANS_TIMER_US);
	ck_assert_ptr_nonnull(ipv6_global(&t.st));
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2"));
	ck_assert_uint_eq(t.st.counters[CTR_ND6_NA_SENT], 1);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_DAD_DUPLICATES], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* An NA for the tentative address (§5.4.4), or another probe for it (§5.4.3): duplicate. */
START_TEST(dad_duplicate_not_used)
{
	struct ts_test_stack t;
	uint8_t f[256], b[32];
	init_dad(&t);
	size_t bl = nd_body(b, ND6_NA_OVERRIDE, "fd00::2", ND6_OPT_TGT_LLADDR, mac9);
	size_t n = icmp6_frame(f, allnodes_mac, mac9, "fd00::2", "ff02::1", 255,
			       ICMP6_NEIGHBOR_ADVERT, 0, b, bl);
	expect_drop(&t, f, n, DROP_ND6_DUP_ADDR);
	bl = nd_body(b, 0, "fe80::ff:fe00:2", 0, NULL);
	n = icmp6_frame(f, sol2_mac, mac9, "::", "ff02::1:ff00:2", 255, ICMP6_NEIGHBOR_SOLICIT, 0,
			b, bl);
	expect_drop(&t, f, n, DROP_ND6_DUP_ADDR);
	ck_assert_uint_eq(t.st.counters[CTR_IPV6_DAD_DUPLICATES], 2);
	advance(&t, ND6_RETRANS_TIMER_US);
	ck_assert_ptr_null(ipv6_global(&t.st));
	uint8_t a[16];
	ts_inet6("fe80::ff:fe00:2", a);
	ck_assert(!ipv6_is_ours(&t.st, a));
	n = icmp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 64, ICMP6_ECHO_REQUEST, 0, echo_body,
			sizeof(echo_body));
	expect_drop(&t, f, n, DROP_IPV6_NOT_FOR_US);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- TCP and UDP over IPv6 ---- */

/* A UDP datagram (RFC 768) over IPv6, its checksum mandatory (RFC 8200 §8.1). */
static size_t udp6_frame(uint8_t *f, const uint8_t edst[6], const uint8_t esrc[6], const char *src,
			 const char *dst, uint16_t sport, uint16_t dport, const void *data,
			 size_t dlen, bool zero_csum)
{
	uint8_t u[1500];
	u[0] = (uint8_t)(sport >> 8);
	u[1] = (uint8_t)sport;
	u[2] = (uint8_t)(dport >> 8);
	u[3] = (uint8_t)dport;
	u[4] = (uint8_t)((8 + dlen) >> 8);
	u[5] = (uint8_t)(8 + dlen);
	u[6] = u[7] = 0;
	memcpy(u + 8, data, dlen);
	size_t n = frame6(f, edst, esrc, src, dst, IPV6_NH_UDP, 64, u, 8 + dlen);
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_UDP, f + 54, 8 + dlen);
	if (c == 0)
		c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	if (zero_csum)
		c = 0;
	f[60] = (uint8_t)(c >> 8);
	f[61] = (uint8_t)c;
	return n;
}

/* A datagram from fd00::1 to [::]:7 arrives named by its IPv6 address; the
 * reply is the frame RFC 8200 and RFC 768 describe, byte for byte. */
START_TEST(udp_over_ipv6_byte_exact)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], want[256], buf[64];
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2")); /* the peer's MAC */
	capdev_take(t.cap, got, sizeof(got));
	int s = ts_socket(&t.st, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons(7)};
	ck_assert_int_eq(ts_bind(&t.st, s, (struct sockaddr *)&any, sizeof(any)), 0);
	ts_test_stack_feed(
	    &t, f, udp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 40000, 7, "hello6", 6, false));
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	ck_assert_int_eq(ts_recvfrom(&t.st, s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl),
			 6);
	ck_assert_mem_eq(buf, "hello6", 6);
	ck_assert_int_eq(fl, sizeof(struct sockaddr_in6));
	uint8_t a1[16];
	ts_inet6("fd00::1", a1);
	ck_assert_mem_eq(&from.sin6_addr, a1, 16);
	ck_assert_uint_eq(ntohs(from.sin6_port), 40000);
	ck_assert_int_eq(ts_sendto(&t.st, s, "6olleh", 6, 0, (struct sockaddr *)&from, fl), 6);
	size_t wn =
	    udp6_frame(want, mac1, mac2, "fd00::2", "fd00::1", 7, 40000, "6olleh", 6, false);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	/* RFC 8200 §8.1: a zero UDP checksum over IPv6 is discarded. */
	expect_drop(&t, f,
		    udp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 40000, 7, "zero", 4, true),
		    DROP_UDP_BAD_CSUM);
	ck_assert_int_eq(ts_recv(&t.st, s, buf, sizeof(buf), 0), -1);
	/* RFC 4443 §3.1: a closed port gets destination unreachable code 4,
	 * quoting the datagram from its IPv6 header on. */
	size_t n = udp6_frame(f, mac2, mac1, "fd00::1", "fd00::2", 40000, 9999, "closed", 6, false);
	expect_drop(&t, f, n, DROP_UDP_NO_PORT);
	wn = icmp6_frame(want, mac1, mac2, "fd00::2", "fd00::1", 64, ICMP6_DEST_UNREACH, 4,
			 (const uint8_t[4]){0}, 4);
	memcpy(want + wn, f + 14, n - 14);
	wn += n - 14;
	want[18] = (uint8_t)((wn - 54) >> 8);
	want[19] = (uint8_t)(wn - 54);
	want[56] = want[57] = 0;
	uint16_t c = ts_csum6(want + 22, want + 38, IPV6_NH_ICMPV6, want + 54, wn - 54);
	want[56] = (uint8_t)(c >> 8);
	want[57] = (uint8_t)c;
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP6_DEST_UNREACH_SENT], 1);
	ts_close(&t.st, s);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* A SYN (RFC 9293 §3.1) with an MSS option, over IPv6. */
static size_t syn6_frame(uint8_t *f, const char *dst, uint16_t dport, uint32_t seq)
{
	uint8_t h[24] = {0x9c, 0x40, (uint8_t)(dport >> 8), (uint8_t)dport};
	h[4] = (uint8_t)(seq >> 24);
	h[5] = (uint8_t)(seq >> 16);
	h[6] = (uint8_t)(seq >> 8);
	h[7] = (uint8_t)seq;
	h[12] = 6 << 4; /* 24 octets */
	h[13] = 0x02;	/* SYN */
	h[14] = 0xff;
	h[15] = 0xff;
	h[20] = 2; /* MSS 1440 */
	h[21] = 4;
	h[22] = 1440 >> 8;
	h[23] = 1440 & 0xff;
	size_t n = frame6(f, mac2, mac1, "fd00::1", dst, IPV6_NH_TCP, 64, h, sizeof(h));
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_TCP, f + 54, sizeof(h));
	f[54 + 16] = (uint8_t)(c >> 8);
	f[54 + 17] = (uint8_t)c;
	return n;
}

/* The SYN,ACK of an AF_INET6 listener: the IPv6 header of RFC 8200 §3, an
 * MSS of the MTU less 60 (§8.3), a checksum over §8.1's pseudo-header. */
START_TEST(tcp_syn_ack_over_ipv6)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256];
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, ns_from_peer(f, "fd00::2"));
	capdev_take(t.cap, got, sizeof(got));
	int l = ts_socket(&t.st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons(80)};
	ck_assert_int_eq(ts_bind(&t.st, l, (struct sockaddr *)&any, sizeof(any)), 0);
	ck_assert_int_eq(ts_listen(&t.st, l, 4), 0);
	ts_test_stack_feed(&t, f, syn6_frame(f, "fd00::2", 80, 1000));
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_ge(n, 14 + 40 + 24);
	const uint8_t *ip = got + 14, *tcp = got + 54;
	uint8_t a1[16], a2[16];
	ts_inet6("fd00::1", a1);
	ts_inet6("fd00::2", a2);
	ck_assert_mem_eq(got, mac1, 6);
	ck_assert_uint_eq(got[12] << 8 | got[13], 0x86dd);
	ck_assert_uint_eq(ip[0], 0x60); /* version 6, traffic class 0 */
	ck_assert_uint_eq(ip[1] & 0x0f, 0);
	size_t plen = (size_t)(ip[4] << 8 | ip[5]);
	ck_assert_uint_eq(plen, n - 54);
	ck_assert_uint_eq(ip[6], IPV6_NH_TCP);
	ck_assert_uint_eq(ip[7], 64);
	ck_assert_mem_eq(ip + 8, a2, 16);
	ck_assert_mem_eq(ip + 24, a1, 16);
	ck_assert_uint_eq(tcp[0] << 8 | tcp[1], 80);
	ck_assert_uint_eq(tcp[2] << 8 | tcp[3], 40000);
	ck_assert_uint_eq((uint32_t)tcp[8] << 24 | (uint32_t)tcp[9] << 16 | tcp[10] << 8 | tcp[11],
			  1001);
	ck_assert_uint_eq(tcp[13], 0x12); /* SYN, ACK */
	ck_assert_uint_eq(ts_csum6(ip + 8, ip + 24, IPV6_NH_TCP, tcp, plen), 0);
	bool mss_seen = false;
	for (size_t i = 20; i < (size_t)(tcp[12] >> 4) * 4;) {
		if (tcp[i] == 1) {
			i++;
			continue;
		}
		if (tcp[i] == 0)
			break;
		if (tcp[i] == 2) {
			ck_assert_uint_eq(tcp[i + 2] << 8 | tcp[i + 3], 1440);
			mss_seen = true;
		}
		i += tcp[i + 1];
	}
	ck_assert(mss_seen);
	/* RFC 1122 §4.2.3.10 as RFC 4291 §2.7 puts it: no TCP to a multicast group. */
	uint64_t before = t.st.rx_drops[DROP_TCP_BCAST];
	ts_test_stack_feed(&t, f, syn6_frame(f, "ff02::1", 80, 5000));
	ck_assert_uint_eq(t.st.rx_drops[DROP_TCP_BCAST], before + 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_close(&t.st, l);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- frames from Linux (tests/frames/ipv6) ---- */

/* The TCP checksum of a frame whose segment was edited, over §8.1's pseudo-header. */
static void tcp6_fix_csum(uint8_t *f, size_t n)
{
	f[54 + 16] = f[54 + 17] = 0;
	uint16_t c = ts_csum6(f + 22, f + 38, IPV6_NH_TCP, f + 54, n - 54);
	f[54 + 16] = (uint8_t)(c >> 8);
	f[54 + 17] = (uint8_t)c;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The kernel's own frames, each handled as the RFCs say: its router
 * solicitation not received by a host (to all-routers, which only routers
 * join: RFC 4861 §6.2.6), its NS answered, its
 * echo request answered with the same data, its UDP datagram delivered to an
 * AF_INET6 socket, and `nc -6`'s connection (SYN, ACK, data, FIN) accepted
 * and read to its end, the ACK numbers moved onto our ISS.
 */
START_TEST(linux_frames_handled)
{
	struct ts_test_stack t;
	uint8_t f[256], got[256], buf[64];
	size_t n;
	ts_test_stack_init(&t, NULL);
	int u = ts_socket(&t.st, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int l = ts_socket(&t.st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons(7)};
	ck_assert_int_eq(ts_bind(&t.st, u, (struct sockaddr *)&any, sizeof(any)), 0);
	any.sin6_port = htons(8080);
	ck_assert_int_eq(ts_bind(&t.st, l, (struct sockaddr *)&any, sizeof(any)), 0);
	ck_assert_int_eq(ts_listen(&t.st, l, 4), 0);

	/* To all-routers (ff02::2, 33:33:00:00:00:02), a group a host does not
	 * join: the multicast filter drops it, as a NIC's would. */
	n = ts_load_hex("ipv6/router_solicit.hex", f, sizeof(f));
	expect_drop(&t, f, n, DROP_ETH_NOT_FOR_US);

	n = ts_load_hex("ipv6/ns.hex", f, sizeof(f));
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_gt(capdev_take(t.cap, got, sizeof(got)), 54);
	ck_assert_uint_eq(got[54], ICMP6_NEIGHBOR_ADVERT);

	n = ts_load_hex("ipv6/echo_request.hex", f, sizeof(f));
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), n);
	ck_assert_uint_eq(got[54], ICMP6_ECHO_REPLY);
	ck_assert_mem_eq(got + 58, f + 58, n - 58); /* identifier, sequence, data */
	ck_assert_uint_eq(ts_csum6(got + 22, got + 38, IPV6_NH_ICMPV6, got + 54, n - 54), 0);

	n = ts_load_hex("ipv6/udp_echo.hex", f, sizeof(f));
	ts_test_stack_feed(&t, f, n);
	ck_assert_int_eq(ts_recv(&t.st, u, buf, sizeof(buf), 0), 4);
	ck_assert_mem_eq(buf, "six\n", 4);

	n = ts_load_hex("ipv6/syn.hex", f, sizeof(f));
	uint32_t peer_iss = be32(f + 54 + 4);
	ts_test_stack_feed(&t, f, n);
	size_t sn = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_ge(sn, 54 + 20);
	ck_assert_uint_eq(got[54 + 13], 0x12);
	ck_assert_uint_eq(be32(got + 54 + 8), peer_iss + 1);
	uint32_t our_iss = be32(got + 54 + 4);
	const char *names[] = {"ipv6/ack.hex", "ipv6/data.hex", "ipv6/fin.hex"};
	for (int i = 0; i < 3; i++) {
		n = ts_load_hex(names[i], f, sizeof(f));
		/* Linux acknowledged its capture's ISS + 1; ours is another. */
		uint32_t want = our_iss + 1;
		f[54 + 8] = (uint8_t)(want >> 24);
		f[54 + 9] = (uint8_t)(want >> 16);
		f[54 + 10] = (uint8_t)(want >> 8);
		f[54 + 11] = (uint8_t)want;
		tcp6_fix_csum(f, n);
		ts_test_stack_feed(&t, f, n);
		if (i == 0) {
			struct sockaddr_in6 peer;
			socklen_t pl = sizeof(peer);
			int c = ts_accept4(&t.st, l, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK);
			ck_assert_int_ge(c, 3);
			uint8_t a1[16];
			ts_inet6("fd00::1", a1);
			ck_assert_mem_eq(&peer.sin6_addr, a1, 16);
			ck_assert_int_eq(ts_close(&t.st, l), 0);
			l = c;
		}
	}
	ck_assert_int_eq(ts_recv(&t.st, l, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "hi\n", 3);
	ck_assert_int_eq(ts_recv(&t.st, l, buf, sizeof(buf), 0), 0); /* the FIN */
	ts_close(&t.st, l);
	ts_close(&t.st, u);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- router discovery (RFC 4861 §6.3) ---- */

static const uint8_t router_mac[6] = {2, 0, 0, 0, 0, 0x0e};

/* A router advertisement from fe80::1 (§4.2): hop limit 64, the given
 * router lifetime, then opt_len octets of options. */
static size_t ra_frame(uint8_t *f, const char *src, uint8_t hops, uint16_t lifetime,
		       const uint8_t *opts, size_t opt_len)
{
	uint8_t b[256];
	memset(b, 0, 12);
	b[0] = 64; /* Cur Hop Limit */
	b[2] = (uint8_t)(lifetime >> 8);
	b[3] = (uint8_t)lifetime;
	if (opt_len)
		memcpy(b + 12, opts, opt_len);
	return icmp6_frame(f, allnodes_mac, router_mac, src, "ff02::1", hops, ICMP6_ROUTER_ADVERT,
			   0, b, 12 + opt_len);
}

/*
 * With cfg.router_solicit: RD6_MAX_RTR_SOLICITATIONS solicitations
 * (§6.3.7), the first after MAX_RTR_SOLICITATION_DELAY, then every
 * RTR_SOLICITATION_INTERVAL, from the link-local address with our MAC as a
 * source link-layer option, to ff02::2 with hop limit 255; an
 * advertisement stops them.
 */
START_TEST(router_solicitations_at_start)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t got[256], want[256], b[16];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.router_solicit = true;
	ts_test_stack_init(&t, &cfg);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	memset(b, 0, 4);
	b[4] = ND6_OPT_SRC_LLADDR;
	b[5] = 1;
	memcpy(b + 6, mac2, 6);
	size_t wn = icmp6_frame(want, (const uint8_t[6]){0x33, 0x33, 0, 0, 0, 2}, mac2,
				"fe80::ff:fe00:2", "ff02::2", 255, ICMP6_ROUTER_SOLICIT, 0, b, 12);
	for (int i = 0; i < RD6_MAX_RTR_SOLICITATIONS; i++) {
		advance(&t,
			i ? RD6_RTR_SOLICITATION_INTERVAL_US : RD6_MAX_RTR_SOLICITATION_DELAY_US);
		ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
		ck_assert_mem_eq(got, want, wn);
	}
	advance(&t, 10 * RD6_RTR_SOLICITATION_INTERVAL_US);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_RD6_RS_SENT], RD6_MAX_RTR_SOLICITATIONS);
	ts_test_stack_free(&t);

	/* An advertisement before the second: no more. */
	ts_test_stack_init(&t, &cfg);
	advance(&t, RD6_MAX_RTR_SOLICITATION_DELAY_US);
	capdev_take(t.cap, got, sizeof(got));
	uint8_t f[256];
	ts_test_stack_feed(&t, f, ra_frame(f, "fe80::1", 255, 1800, NULL, 0));
	advance(&t, 3 * RD6_RTR_SOLICITATION_INTERVAL_US);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_RD6_RS_SENT], 1);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * §6.3.4: a valid advertisement makes its sender a default router (its MAC
 * from the source link-layer option, STALE), an MTU option lowers the link
 * MTU, a Prefix Information option with L makes 2001:db8::/64 on-link;
 * an off-link destination then goes to the router's MAC, an on-link one to
 * its own neighbour solicitation; a lifetime of 0 removes the router.
 */
START_TEST(router_advertisement_learnt)
{
	struct ts_test_stack t;
	uint8_t f[512], got[2048], o[64];
	ts_test_stack_init(&t, NULL);
	/* Before any: off-link is unreachable. */
	int s = ts_socket(&t.st, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 far = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	ts_inet6("2001:db8:1::5", far.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_sendto(&t.st, s, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, ENETUNREACH);

	memset(o, 0, sizeof(o));
	o[0] = ND6_OPT_SRC_LLADDR; /* 8 octets */
	o[1] = 1;
	memcpy(o + 2, router_mac, 6);
	o[8] = RD6_OPT_MTU; /* 8 octets: MTU 1400 */
	o[9] = 1;
	o[14] = 1400 >> 8;
	o[15] = 1400 & 0xff;
	o[16] = RD6_OPT_PREFIX; /* 32 octets: 2001:db8::/64, L, valid 3600 s */
	o[17] = 4;
	o[18] = 64;
	o[19] = RD6_PREFIX_ONLINK;
	o[22] = 0x0e;
	o[23] = 0x10;
	ts_inet6("2001:db8::", o + 32);
	ts_test_stack_feed(&t, f, ra_frame(f, "fe80::1", 255, 1800, o, 48));
	ck_assert_uint_eq(t.st.counters[CTR_RD6_ROUTERS_LEARNT], 1);
	BALANCED(&t);

	/* Off-link: through the router, whose MAC the option gave. */
	ck_assert_int_eq(ts_sendto(&t.st, s, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)), 1);
	size_t n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_gt(n, 54);
	ck_assert_mem_eq(got, router_mac, 6);
	uint8_t want_dst[16];
	ts_inet6("2001:db8:1::5", want_dst);
	ck_assert_mem_eq(got + 38, want_dst, 16);
	/* The MTU option: a 1400-octet link for what we originate. */
	static char big[1400];
	ck_assert_int_eq(
	    ts_sendto(&t.st, s, big, 1400 - 48, 0, (struct sockaddr *)&far, sizeof(far)),
	    1400 - 48);
	n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_eq(n, 14 + 1400);
	/* On-link by the prefix: resolved directly (an NS for it). */
	struct sockaddr_in6 near = far;
	ts_inet6("2001:db8::7", near.sin6_addr.s6_addr);
	ck_assert_int_eq(ts_sendto(&t.st, s, "y", 1, 0, (struct sockaddr *)&near, sizeof(near)), 1);
	n = capdev_take(t.cap, got, sizeof(got));
	ck_assert_uint_gt(n, 54 + 24);
	ck_assert_uint_eq(got[54], ICMP6_NEIGHBOR_SOLICIT);
	ck_assert_mem_eq(got + 54 + 8, near.sin6_addr.s6_addr, 16);

	/* Router lifetime 0: no default router any more. */
	ts_test_stack_feed(&t, f, ra_frame(f, "fe80::1", 255, 0, NULL, 0));
	ck_assert_int_eq(ts_sendto(&t.st, s, "x", 1, 0, (struct sockaddr *)&far, sizeof(far)), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	ts_close(&t.st, s);
	ts_test_stack_free(&t);
}
END_TEST

/* §6.1.2: advertisements that fail validation change nothing. */
START_TEST(router_advertisement_validation)
{
	struct ts_test_stack t;
	uint8_t f[256], o[8] = {ND6_OPT_SRC_LLADDR, 0};
	ts_test_stack_init(&t, NULL);
	expect_drop(&t, f, ra_frame(f, "fd00::1", 255, 1800, NULL, 0), DROP_RD6_RA_NOT_LINK_LOCAL);
	expect_drop(&t, f, ra_frame(f, "fe80::1", 64, 1800, NULL, 0), DROP_ND6_BAD_HOP_LIMIT);
	expect_drop(&t, f, ra_frame(f, "fe80::1", 255, 1800, o, 8), DROP_ND6_BAD_OPTION);
	size_t n = icmp6_frame(f, allnodes_mac, router_mac, "fe80::1", "ff02::1", 255,
			       ICMP6_ROUTER_ADVERT, 0, (const uint8_t[8]){64, 0, 7, 8}, 8);
	expect_drop(&t, f, n, DROP_ND6_TRUNCATED); /* 12 octets of message */
	ck_assert_uint_eq(t.st.counters[CTR_RD6_ROUTERS_LEARNT], 0);
	/* Bounded: RD6_MAX_ROUTERS routers, the next one refused and counted. */
	for (int i = 1; i <= RD6_MAX_ROUTERS + 1; i++) {
		char a[32];
		snprintf(a, sizeof(a), "fe80::%x", i);
		ts_test_stack_feed(&t, f, ra_frame(f, a, 255, 1800, NULL, 0));
	}
	ck_assert_uint_eq(t.st.counters[CTR_RD6_ROUTERS_LEARNT], RD6_MAX_ROUTERS);
	ck_assert_uint_eq(t.st.counters[CTR_RD6_ROUTERS_REFUSED], 1);
	BALANCED(&t);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *ipv6_suite(void)
{
	Suite *s = suite_create("ipv6");
	TCase *tc = tcase_create("ipv6");
	tcase_add_test(tc, addresses_from_rfc4291);
	tcase_add_test(tc, ns_answered_byte_exact);
	tcase_add_test(tc, ns_for_link_local_answered);
	tcase_add_test(tc, dad_ns_answered_to_all_nodes);
	tcase_add_test(tc, echo_request_answered_byte_exact);
	tcase_add_test(tc, echo_to_all_nodes_answered_from_link_local);
	tcase_add_test(tc, resolution_ns_then_na_sends_queued);
	tcase_add_test(tc, nud_delay_probe_then_removed);
	tcase_add_test(tc, ipv6_header_drops);
	tcase_add_test(tc, kernel_mld_report);
	tcase_add_test(tc, extension_header_walk);
	tcase_add_test(tc, atomic_fragment_delivered);
	tcase_add_test(tc, param_problem_limits);
	tcase_add_test(tc, icmp6_drops);
	tcase_add_test(tc, echo_request_sent_byte_exact);
	tcase_add_test(tc, echo_reply_reaches_handler);
	tcase_add_test(tc, nd_validation_drops);
	tcase_add_test(tc, nd_unresolved_and_queue_full);
	tcase_add_test(tc, nd_cache_bounds);
	tcase_add_test(tc, neigh_admin_v6);
	tcase_add_test(tc, mld_reports_at_start);
	tcase_add_test(tc, dad_probes_then_preferred);
	tcase_add_test(tc, dad_duplicate_not_used);
	tcase_add_test(tc, udp_over_ipv6_byte_exact);
	tcase_add_test(tc, tcp_syn_ack_over_ipv6);
	tcase_add_test(tc, linux_frames_handled);
	tcase_add_test(tc, router_solicitations_at_start);
	tcase_add_test(tc, router_advertisement_learnt);
	tcase_add_test(tc, router_advertisement_validation);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(ipv6_suite)
