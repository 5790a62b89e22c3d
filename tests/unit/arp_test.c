/*
 * arp_test.c - ARP (RFC 826): the view and builder against the Linux
 * kernel's request, reply and announcement (tests/frames/arp), the stack's
 * answers compared byte for byte with the kernel's, and the cache: expiry on
 * the virtual clock, resolution with a bounded queue, retries, give-up.
 */
#include <errno.h>
#include <string.h>

#include "tsunit.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "byteorder.h"
#include "ipv4.h"
#include "tapstack.h"

#define IP1 0x0a000001u
#define IP2 0x0a000002u
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

/* A test stack at 10.0.0.1 / 02:00:00:00:00:01: the kernel side of the capture. */
static void init_as_host1(struct ts_test_stack *t, struct ts_config *cfg)
{
	ts_config_default(cfg);
	cfg->seed = 1;
	cfg->gratuitous_arp = false;
	cfg->ip = IP1;
	memcpy(cfg->mac, mac1, 6);
	ts_test_stack_init(t, cfg);
}

START_TEST(parse_kernel_request)
{
	uint8_t f[64];
	struct arp_view v;
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ck_assert_int_eq(arp_parse(f + 14, n - 14, &v), DROP_NONE);
	ck_assert_uint_eq(v.op, ARP_OP_REQUEST);
	ck_assert_mem_eq(v.sha, mac1, 6);
	ck_assert_uint_eq(v.spa, IP1);
	ck_assert_mem_eq(v.tha, "\0\0\0\0\0\0", 6);
	ck_assert_uint_eq(v.tpa, IP2);
}
END_TEST

START_TEST(build_matches_kernel_reply)
{
	uint8_t f[64], p[ARP_PKT_LEN];
	ts_load_hex("arp/reply.hex", f, sizeof(f));
	struct arp_view v = {.op = ARP_OP_REPLY, .spa = IP2, .tpa = IP1};
	memcpy(v.sha, mac2, 6);
	memcpy(v.tha, mac1, 6);
	arp_build(p, &v);
	ck_assert_mem_eq(p, f + 14, ARP_PKT_LEN);
}
END_TEST

/* The stack at 10.0.0.2 answers the kernel's request with the kernel's own reply bytes. */
START_TEST(answers_request_like_linux)
{
	struct ts_test_stack t;
	uint8_t req[64], want[64], got[64];
	uint8_t mac[6];
	size_t n = ts_load_hex("arp/request.hex", req, sizeof(req));
	size_t wn = ts_load_hex("arp/reply.hex", want, sizeof(want));
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, req, n);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REPLIES_SENT], 1);
	/* RFC 826: the requester is cached, since we were the target. */
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), 0);
	ck_assert_mem_eq(mac, mac1, 6);
	ts_test_stack_free(&t);
}
END_TEST

/* Resolving 10.0.0.2 from 10.0.0.1 sends exactly the kernel's request. */
START_TEST(request_like_linux_and_queue_flushed)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t want[64], got[256], reply[64];
	size_t wn = ts_load_hex("arp/request.hex", want, sizeof(want));
	size_t rn = ts_load_hex("arp/reply.hex", reply, sizeof(reply));
	init_as_host1(&t, &cfg);
	ck_assert_int_eq(icmp_echo_request(&t.st, IP2, 7, 1, (const uint8_t *)"abc", 3), 0);
	ck_assert_int_eq(icmp_echo_request(&t.st, IP2, 7, 2, (const uint8_t *)"abc", 3), 0);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1); /* one request, two packets queued */
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ts_test_stack_feed(&t, reply, rn);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 2);
	for (int seq = 1; seq <= 2; seq++) {
		size_t n = capdev_take(t.cap, got, sizeof(got));
		ck_assert_uint_eq(n, 14 + 20 + 8 + 3);
		ck_assert_mem_eq(got, mac2, 6);
		ck_assert_uint_eq(got[14 + 20 + 7], seq); /* sent in queue order */
	}
	ts_test_stack_free(&t);
}
END_TEST

/* The start-up announcement is byte for byte the kernel's (arp_notify). */
START_TEST(announce_like_linux)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t want[64], got[64];
	size_t wn = ts_load_hex("arp/announce.hex", want, sizeof(want));
	init_as_host1(&t, &cfg);
	arp_announce(&t.st);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), wn);
	ck_assert_mem_eq(got, want, wn);
	ts_test_stack_free(&t);
}
END_TEST

/* A learned entry disappears after cfg.arp_ttl_ms of virtual time, not before. */
START_TEST(cache_entry_expires)
{
	struct ts_test_stack t;
	uint8_t req[64], mac[6];
	size_t n = ts_load_hex("arp/request.hex", req, sizeof(req));
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, req, n);
	capdev_take(t.cap, req + 0, 0);
	uint64_t t0 = t.st.now_us;
	stack_poll(&t.st, t0 + (uint64_t)t.st.cfg.arp_ttl_ms * 1000 - 1);
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), 0);
	stack_poll(&t.st, t0 + (uint64_t)t.st.cfg.arp_ttl_ms * 1000);
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), -1);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EXPIRED], 1);
	ck_assert_uint_eq(arp_entry_count(&t.st), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* No answer: cfg.arp_retries requests, cfg.arp_retry_ms apart, then every waiting packet dies. */
START_TEST(unresolved_after_retries)
{
	struct ts_test_stack t;
	uint8_t got[128];
	ts_test_stack_init(&t, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000009, 1, (uint16_t)i, NULL, 0), 0);
	uint64_t t0 = t.st.now_us, step = (uint64_t)t.st.cfg.arp_retry_ms * 1000;
	for (uint32_t i = 1; i <= t.st.cfg.arp_retries; i++) {
		ck_assert_uint_eq(capdev_sent_count(t.cap), i);
		stack_poll(&t.st, t0 + i * step);
	}
	ck_assert_uint_eq(capdev_sent_count(t.cap), t.st.cfg.arp_retries);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REQUESTS_SENT], 3);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_UNRESOLVED], 3);
	ck_assert_uint_eq(arp_entry_count(&t.st), 0);
	while (capdev_take(t.cap, got, sizeof(got)))
		ck_assert_mem_eq(got, eth_broadcast, 6);
	ts_test_stack_free(&t);
}
END_TEST

/* An ARP packet op from sha/spa about tpa, Ethernet-broadcast; fed to t. */
static void feed_arp(struct ts_test_stack *t, uint16_t op, const uint8_t sha[6], uint32_t spa,
		     uint32_t tpa)
{
	uint8_t f[60] = {0};
	struct arp_view v = {.op = op, .spa = spa, .tpa = tpa};
	memcpy(v.sha, sha, 6);
	eth_build(f, eth_broadcast, sha, ETH_TYPE_ARP);
	arp_build(f + 14, &v);
	ts_test_stack_feed(t, f, sizeof(f));
}

/*
 * Over cfg.arp_queue_max, the oldest waiting packet goes (Linux
 * __neigh_event_send; RFC 1122 §2.3.2.2 "save ... the latest").
 */
START_TEST(queue_bounded)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t got[128];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_queue_max = 2;
	ts_test_stack_init(&t, &cfg);
	for (uint16_t seq = 1; seq <= 3; seq++)
		ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000009, 1, seq, NULL, 0), 0);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_QUEUE_FULL], 1);
	feed_arp(&t, ARP_OP_REPLY, mac1, 0x0a000009, IP2);
	capdev_take(t.cap, got, sizeof(got)); /* the request */
	for (uint16_t seq = 2; seq <= 3; seq++) {
		ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 20 + 8);
		ck_assert_uint_eq(get_be16(got + 14 + 20 + 6), seq);
	}
	ts_test_stack_free(&t);
}
END_TEST

/* Size of one waiting packet as charged: a whole standard buffer. */
#define WAITING_SIZE (sizeof(struct ts_buf) + TS_BUF_STD_SIZE)

/* Per next hop, the waiting bytes are bounded too (Linux unres_qlen_bytes). */
START_TEST(queue_bounded_in_bytes)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t got[128];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_unres_qlen_bytes = 3 * WAITING_SIZE;
	ts_test_stack_init(&t, &cfg);
	for (uint16_t seq = 1; seq <= 5; seq++)
		ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000009, 1, seq, NULL, 0), 0);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_QUEUE_FULL], 2);
	ck_assert_uint_eq(arp_pending_bytes(&t.st), 3 * WAITING_SIZE);
	feed_arp(&t, ARP_OP_REPLY, mac1, 0x0a000009, IP2);
	capdev_take(t.cap, got, sizeof(got)); /* the request */
	for (uint16_t seq = 3; seq <= 5; seq++) {
		ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 20 + 8);
		ck_assert_uint_eq(get_be16(got + 14 + 20 + 6), seq);
	}
	ck_assert_uint_eq(arp_pending_bytes(&t.st), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Across next hops the waiting bytes are bounded by cfg.arp_unres_total_bytes. */
START_TEST(pending_bounded_in_total)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_unres_total_bytes = 4 * WAITING_SIZE;
	ts_test_stack_init(&t, &cfg);
	for (uint32_t nh = 0x0a000009; nh <= 0x0a00000a; nh++)
		for (uint16_t seq = 1; seq <= 2; seq++)
			ck_assert_int_eq(icmp_echo_request(&t.st, nh, 1, seq, NULL, 0), 0);
	ck_assert_uint_eq(arp_pending_bytes(&t.st), 4 * WAITING_SIZE);
	/* A third next hop with nothing waiting yet: refused, the others keep theirs. */
	ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a00000b, 1, 1, NULL, 0), -ENOBUFS);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_PENDING_FULL], 1);
	/* One that has some: its own oldest makes room. */
	ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000009, 1, 3, NULL, 0), 0);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_PENDING_FULL], 2);
	ck_assert_uint_eq(arp_pending_bytes(&t.st), 4 * WAITING_SIZE);
	ts_test_stack_free(&t); /* what waits is freed, not leaked */
}
END_TEST

/* Each malformed or unacceptable packet is counted under its own reason. */
START_TEST(bad_packets_counted)
{
	struct ts_test_stack t;
	uint8_t f[64], g[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ts_test_stack_init(&t, NULL);

	ts_test_stack_feed(&t, f, 14 + 27);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_TRUNCATED], 1);
	memcpy(g, f, n);
	g[14 + 1] = 6; /* htype 6 (IEEE 802) */
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_BAD_HW], 1);
	memcpy(g, f, n);
	g[14 + 2] = 0x86; /* ptype 0x86dd */
	g[14 + 3] = 0xdd;
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_BAD_PROTO], 1);
	memcpy(g, f, n);
	g[14 + 7] = 3; /* RARP request */
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_BAD_OP], 1);
	memcpy(g, f, n);
	g[14 + 8] = 0x01; /* multicast sender MAC */
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_BAD_SENDER], 1);
	memcpy(g, f, n);
	g[14 + 17] = 2; /* sender claims our address: conflict */
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_BAD_SENDER], 2);
	memcpy(g, f, n);
	g[14 + 27] = 3; /* who-has 10.0.0.3 */
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_NOT_FOR_US], 1);
	ck_assert_uint_eq(arp_entry_count(&t.st), 0); /* not the target: nothing created */
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_RX], 7);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 826 merge: a known sender's new MAC is taken even when we are not the target. */
START_TEST(known_entry_updated_by_other_target)
{
	struct ts_test_stack t;
	uint8_t f[64], mac[6];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ts_test_stack_init(&t, NULL);
	ts_test_stack_feed(&t, f, n);
	f[6 + 5] = f[14 + 8 + 5] = 0x77; /* new MAC 02:..:77 */
	f[14 + 27] = 3;			 /* asking for someone else */
	ts_test_stack_feed(&t, f, n);
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), 0);
	ck_assert_uint_eq(mac[5], 0x77);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_UPDATES], 2);
	ts_test_stack_free(&t);
}
END_TEST

static int neigh_add(struct ts_test_stack *t, uint32_t ip, const uint8_t *mac, int replace)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(ip)};
	return ts_neigh_add(&t->st, SA(sa), sizeof(sa), mac, replace);
}

/* A static entry resolves at once: the first datagram goes out with its MAC, no request. */
START_TEST(static_entry_skips_arp)
{
	struct ts_test_stack t;
	uint8_t got[128];
	static const uint8_t mac9[6] = {2, 0, 0, 0, 0, 9};
	ts_test_stack_init(&t, NULL);
	ck_assert_int_eq(neigh_add(&t, 0x0a000009, mac9, 0), 0);
	ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000009, 1, 1, NULL, 0), 0);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 20 + 8);
	ck_assert_mem_eq(got, mac9, 6);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REQUESTS_SENT], 0);
	/* Never expires: still there long after arp_ttl_ms. */
	stack_poll(&t.st, t.st.now_us + 10ull * t.st.cfg.arp_ttl_ms * 1000);
	uint8_t mac[6];
	ck_assert_int_eq(arp_lookup(&t.st, 0x0a000009, mac), 0);
	ck_assert_mem_eq(mac, mac9, 6);
	ts_test_stack_free(&t);
}
END_TEST

/* ARP from the wire never overwrites a static entry (Linux NUD_PERMANENT). */
START_TEST(static_entry_not_learnt_over)
{
	struct ts_test_stack t;
	uint8_t f[64], mac[6];
	static const uint8_t fixed[6] = {2, 0, 0, 0, 0, 0x42};
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f)); /* from 10.0.0.1, mac ..:01 */
	ts_test_stack_init(&t, NULL);
	ck_assert_int_eq(neigh_add(&t, IP1, fixed, 0), 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REPLIES_SENT], 1); /* still answered */
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), 0);
	ck_assert_mem_eq(mac, fixed, 6);
	ts_test_stack_free(&t);
}
END_TEST

/* add/replace/del/list with ip neigh's errors. */
START_TEST(static_entry_admin)
{
	struct ts_test_stack t;
	struct ts_neigh list[4];
	ts_test_stack_init(&t, NULL);
	ck_assert_int_eq(neigh_add(&t, IP1, mac1, 0), 0);
	ck_errno(neigh_add(&t, IP1, mac2, 0), EEXIST);
	ck_assert_int_eq(neigh_add(&t, IP1, mac2, 1), 0);
	ck_errno(neigh_add(&t, 0, mac1, 0), EINVAL);
	ck_errno(neigh_add(&t, 0x0a0000ff, mac1, 0), EINVAL); /* the subnet broadcast */
	ck_errno(neigh_add(&t, IP2, mac1, 0), EINVAL);	      /* our own address */
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	ck_errno(ts_neigh_add(&t.st, SA(s6), sizeof(s6), mac1, 0), EINVAL); /* :: (nd6.c) */
	ck_assert_int_eq(ts_neigh_list(&t.st, list, 4), 1);
	ck_assert_int_eq(list[0].state, TS_NUD_PERMANENT);
	ck_assert_mem_eq(list[0].mac, mac2, 6);
	ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&list[0].addr)->sin_addr.s_addr), IP1);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(IP1)};
	ck_assert_int_eq(ts_neigh_del(&t.st, SA(sa), sizeof(sa)), 0);
	ck_errno(ts_neigh_del(&t.st, SA(sa), sizeof(sa)), ENOENT);
	ck_assert_int_eq(ts_neigh_list(&t.st, list, 4), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Packets waiting for an unanswered request leave as soon as a static entry names the MAC. */
START_TEST(static_entry_flushes_pending)
{
	struct ts_test_stack t;
	uint8_t got[128];
	ts_test_stack_init(&t, NULL);
	ck_assert_int_eq(icmp_echo_request(&t.st, IP1, 1, 1, NULL, 0), 0);
	ck_assert_int_eq(icmp_echo_request(&t.st, IP1, 1, 2, NULL, 0), 0);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 42); /* the request */
	ck_assert_int_eq(neigh_add(&t, IP1, mac1, 1), 0);
	for (int i = 0; i < 2; i++) {
		ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 20 + 8);
		ck_assert_mem_eq(got, mac1, 6);
	}
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- floods (issue 9) ---- */

/* A made-up unicast MAC and address: n-th of a deterministic sequence. */
static void flood_sender(uint32_t n, uint8_t mac[6], uint32_t *ip, uint32_t net, uint32_t mask)
{
	uint64_t x = (n + 1) * 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	mac[0] = 0x02;
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(x >> (8 * i));
	*ip = (net & mask) | ((uint32_t)(x >> 32) & ~mask);
	if ((*ip & ~mask) == 0 || (*ip & ~mask) == ~mask || *ip == IP2 || *ip == IP1)
		*ip ^= 0x100; /* not the network, broadcast, ours or the gateway */
}

/* count requests for us from made-up on-link senders (10.0.0.0/16), plus as many off-link. */
static void arp_flood(struct ts_test_stack *t, uint32_t from, uint32_t count)
{
	uint8_t mac[6];
	uint32_t ip;
	for (uint32_t i = from; i < from + count; i++) {
		flood_sender(i, mac, &ip, IP2, 0xffff0000u);
		feed_arp(t, ARP_OP_REQUEST, mac, ip, IP2);
		flood_sender(i, mac, &ip, 0xc0a80000u, 0xffff0000u);
		feed_arp(t, ARP_OP_REQUEST, mac, ip, IP2);
		while (capdev_sent_count(t->cap))
			capdev_take(t->cap, mac, 0); /* every request answered; replies dropped */
	}
}

/*
 * Pings ip through next hop nh (whose MAC is mac), answering the stack's
 * request for nh if it asks; 0 when the ping went out to mac.
 */
static int ping_resolving(struct ts_test_stack *t, uint32_t ip, uint32_t nh, const uint8_t mac[6],
			  uint16_t seq)
{
	uint8_t got[128];
	while (capdev_sent_count(t->cap))
		capdev_take(t->cap, got, 0);
	if (icmp_echo_request(&t->st, ip, 1, seq, NULL, 0) < 0)
		return -1;
	if (arp_lookup(&t->st, nh, got) != 0)
		feed_arp(t, ARP_OP_REPLY, mac, nh, IP2);
	size_t n;
	while ((n = capdev_take(t->cap, got, sizeof(got))) != 0)
		if (get_be16(got + 12) == ETH_TYPE_IPV4 && memcmp(got, mac, 6) == 0 &&
		    get_be32(got + 14 + IPV4_OFF_DST) == ip)
			return 0;
	return -1;
}

/*
 * 4000 requests for us from made-up senders, half on-link (a /16, so they
 * outnumber the table) and half off-link, before and after the gateway's
 * entry expires: the gateway and a new on-link neighbour are still
 * resolved and reached, the table stays within its hard limit, and
 * off-link senders are answered but not cached.
 */
START_TEST(flood_cannot_lock_out_neighbours)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	const uint8_t gw_mac[6] = {2, 0, 0, 0, 0, 0xfe}, nb_mac[6] = {2, 0, 0, 0, 0, 0x55};
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.prefix_len = 16;
	cfg.gw = IP1;
	ts_test_stack_init(&t, &cfg);
	ck_assert_int_eq(ping_resolving(&t, 0xc0a80101, IP1, gw_mac, 1), 0); /* via the gateway */

	arp_flood(&t, 0, 2000);
	ck_assert_uint_le(arp_entry_count(&t.st), ARP_MAX_ENTRIES);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REPLIES_SENT], 4000);
	ck_assert_int_eq(ping_resolving(&t, 0xc0a80101, IP1, gw_mac, 2), 0);
	ck_assert_int_eq(ping_resolving(&t, 0x0a000505, 0x0a000505, nb_mac, 3),
			 0); /* a new neighbour */

	/* The gateway's entry expires; the flood goes on. */
	stack_poll(&t.st, t.st.now_us + (uint64_t)cfg.arp_ttl_ms * 1000 + 1);
	arp_flood(&t, 2000, 2000);
	ck_assert_uint_le(arp_entry_count(&t.st), ARP_MAX_ENTRIES);
	ck_assert_int_eq(ping_resolving(&t, 0xc0a80101, IP1, gw_mac, 4), 0);
	ck_assert_int_eq(ping_resolving(&t, 0x0a000506, 0x0a000506, nb_mac, 5), 0);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_CACHE_FULL], 0);
	ts_test_stack_free(&t);
}
END_TEST

/* A request for us from an off-link sender is answered; nothing is cached. */
START_TEST(off_link_sender_not_cached)
{
	struct ts_test_stack t;
	uint8_t got[64], mac[6];
	ts_test_stack_init(&t, NULL);
	feed_arp(&t, ARP_OP_REQUEST, mac1, 0xc0a80001, IP2);
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 42);
	ck_assert_uint_eq(get_be16(got + 14 + ARP_OFF_OP), ARP_OP_REPLY);
	ck_assert_int_eq(arp_lookup(&t.st, 0xc0a80001, mac), -1);
	ck_assert_uint_eq(arp_entry_count(&t.st), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* A reply nobody asked for creates nothing (Linux arp_accept=0); an asked-for one resolves. */
START_TEST(unsolicited_reply_creates_nothing)
{
	struct ts_test_stack t;
	uint8_t mac[6];
	ts_test_stack_init(&t, NULL);
	feed_arp(&t, ARP_OP_REPLY, mac1, IP1, IP2);
	ck_assert_int_eq(arp_lookup(&t.st, IP1, mac), -1);
	ck_assert_uint_eq(arp_entry_count(&t.st), 0);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_UNSOLICITED], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* Static entries are never evicted: a table full of them refuses new ones. */
START_TEST(static_entries_never_evicted)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t mac[6];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_gc_thresh2 = 4;
	cfg.arp_gc_thresh3 = 4;
	ts_test_stack_init(&t, &cfg);
	for (uint32_t ip = 0x0a000010; ip < 0x0a000014; ip++)
		ck_assert_int_eq(arp_static_add(&t.st, ip, mac1, false), 0);
	feed_arp(&t, ARP_OP_REQUEST, mac1, 0x0a000020, IP2);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_REPLIES_SENT], 1); /* answered all the same */
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_REFUSED], 1);
	ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000021, 1, 1, NULL, 0), -ENOBUFS);
	ck_assert_uint_eq(t.st.drops[DROP_ARP_CACHE_FULL], 1);
	for (uint32_t ip = 0x0a000010; ip < 0x0a000014; ip++)
		ck_assert_int_eq(arp_lookup(&t.st, ip, mac), 0);
	ck_assert_int_eq(arp_static_del(&t.st, 0x0a000010), 0);
	ck_assert_int_eq(icmp_echo_request(&t.st, 0x0a000021, 1, 2, NULL, 0), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EVICTED], 0);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * Under pressure the entries we never sent to go first: three neighbours
 * we talk to survive 100 requests from new senders in a table of 8.
 */
START_TEST(entries_in_use_evicted_last)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	uint8_t mac[6];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.prefix_len = 16;
	cfg.arp_gc_thresh2 = 8;
	cfg.arp_gc_thresh3 = 8;
	ts_test_stack_init(&t, &cfg);
	for (uint32_t ip = 0x0a000010; ip < 0x0a000013; ip++)
		ck_assert_int_eq(ping_resolving(&t, ip, ip, mac1, 1), 0);
	for (uint32_t i = 0; i < 100; i++) {
		feed_arp(&t, ARP_OP_REQUEST, mac1, 0x0a000100 + i, IP2);
		for (uint32_t ip = 0x0a000010; ip < 0x0a000013; ip++)
			ck_assert_int_eq(arp_lookup(&t.st, ip, mac), 0);
		ck_assert_uint_le(arp_entry_count(&t.st), 8);
	}
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EVICTED], 100 - 5);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EVICTED_IN_USE], 0);
	/* With nothing unused left, the least recently used goes. */
	for (uint32_t ip = 0x0a000200; ip < 0x0a000208; ip++)
		ck_assert_int_eq(ping_resolving(&t, ip, ip, mac1, 1), 0);
	ck_assert_int_eq(arp_lookup(&t.st, 0x0a000010, mac), -1);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EVICTED_IN_USE], 3);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * Above gc_thresh2, entries unused and unconfirmed for 5 s are collected
 * (Linux neigh_forced_gc) down to gc_thresh2 before one more is created.
 */
START_TEST(soft_limit_collects_stale_entries)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.prefix_len = 16;
	cfg.arp_gc_thresh2 = 4;
	cfg.arp_gc_thresh3 = 16;
	ts_test_stack_init(&t, &cfg);
	for (uint32_t i = 0; i < 8; i++)
		feed_arp(&t, ARP_OP_REQUEST, mac1, 0x0a000100 + i, IP2);
	ck_assert_uint_eq(arp_entry_count(&t.st), 8); /* all young: nothing collected */
	stack_poll(&t.st, t.st.now_us + 6000000);
	feed_arp(&t, ARP_OP_REQUEST, mac1, 0x0a000200, IP2);
	ck_assert_uint_eq(arp_entry_count(&t.st), 5);
	ck_assert_uint_eq(t.st.counters[CTR_ARP_CACHE_EVICTED], 4);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *arp_suite(void)
{
	Suite *s = suite_create("arp");
	TCase *tc = tcase_create("arp");
	tcase_add_test(tc, parse_kernel_request);
	tcase_add_test(tc, build_matches_kernel_reply);
	tcase_add_test(tc, answers_request_like_linux);
	tcase_add_test(tc, request_like_linux_and_queue_flushed);
	tcase_add_test(tc, announce_like_linux);
	tcase_add_test(tc, cache_entry_expires);
	tcase_add_test(tc, unresolved_after_retries);
	tcase_add_test(tc, queue_bounded);
	tcase_add_test(tc, queue_bounded_in_bytes);
	tcase_add_test(tc, pending_bounded_in_total);
	tcase_add_test(tc, bad_packets_counted);
	tcase_add_test(tc, known_entry_updated_by_other_target);
	tcase_add_test(tc, static_entry_skips_arp);
	tcase_add_test(tc, static_entry_not_learnt_over);
	tcase_add_test(tc, static_entry_admin);
	tcase_add_test(tc, static_entry_flushes_pending);
	tcase_add_test(tc, flood_cannot_lock_out_neighbours);
	tcase_add_test(tc, off_link_sender_not_cached);
	tcase_add_test(tc, unsolicited_reply_creates_nothing);
	tcase_add_test(tc, static_entries_never_evicted);
	tcase_add_test(tc, entries_in_use_evicted_last);
	tcase_add_test(tc, soft_limit_collects_stale_entries);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(arp_suite)
