/*
 * reass_test.c - IPv4 reassembly (RFC 791 §3.2): the 4000-octet ping Linux
 * fragmented (tests/frames/ipv4/frag4000_*.hex) reassembled in order, in
 * reverse, with duplicates and identical overlaps, answered with the same
 * fragments Linux answered with (tests/frames/icmp/echo_reply4000_*.hex);
 * conflicting overlaps, timeout, memory and count limits, bad fragments, and
 * a 65507-octet echo between two stacks.
 */
#include <errno.h>
#include <string.h>

#include "tsunit.h"

/* What the reassembly holds now (ipv4_reass_usage). */
static uint32_t reass_datagrams(struct stack *st)
{
	uint32_t n;
	size_t bytes;
	ipv4_reass_usage(st, &n, &bytes);
	return n;
}
static size_t reass_mem(struct stack *st)
{
	uint32_t n;
	size_t bytes;
	ipv4_reass_usage(st, &n, &bytes);
	return bytes;
}
#include "byteorder.h"
#include "checksum.h"
#include "eth.h"
#include "icmp.h"
#include "ipv4.h"

#define IP1 0x0a000001u
#define IP2 0x0a000002u
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

/* The three request fragments and Linux's three reply fragments. */
struct golden {
	uint8_t req[3][1600];
	size_t req_len[3];
	uint8_t rep[3][1600];
	size_t rep_len[3];
};

static void load_golden(struct golden *g)
{
	char path[64];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "ipv4/frag4000_%d.hex", i + 1);
		g->req_len[i] = ts_load_hex(path, g->req[i], sizeof(g->req[i]));
		snprintf(path, sizeof(path), "icmp/echo_reply4000_%d.hex", i + 1);
		g->rep_len[i] = ts_load_hex(path, g->rep[i], sizeof(g->rep[i]));
	}
}

static void init_with_peer(struct ts_test_stack *t, const struct ts_config *cfg)
{
	uint8_t f[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ts_test_stack_init(t, cfg);
	ts_test_stack_feed(t, f, n);
	ck_assert_uint_eq(capdev_take(t->cap, f, sizeof(f)), 42);
}

static void test_cfg(struct ts_config *cfg)
{
	ts_config_default(cfg);
	cfg->seed = 1;
	cfg->gratuitous_arp = false;
}

/* The stack sent Linux's three reply fragments (IP ID and header checksum masked). */
static void assert_reply_like_linux(struct ts_test_stack *t, const struct golden *g)
{
	static uint8_t got[1600];
	ck_assert_uint_eq(capdev_sent_count(t->cap), 3);
	for (int i = 0; i < 3; i++) {
		size_t n = capdev_take(t->cap, got, sizeof(got));
		ck_assert_uint_eq(n, g->rep_len[i]);
		ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(got + 14, 20, 0)), 0);
		memcpy(got + 18, g->rep[i] + 18, 2);
		memcpy(got + 24, g->rep[i] + 24, 2);
		ck_assert_mem_eq(got, g->rep[i], n);
	}
}

static void assert_nothing_held(struct ts_test_stack *t)
{
	ck_assert_uint_eq(reass_datagrams(&t->st), 0);
	ck_assert_uint_eq(reass_mem(&t->st), 0);
}

/*
 * A fragment of the golden request's IP payload [off, off+len) with ID
 * 0x785c, built from the golden bytes (flip: XOR into the first octet).
 */
static size_t make_frag(uint8_t *f, const struct golden *g, size_t off, size_t len, bool mf,
			uint16_t id, uint8_t flip)
{
	uint8_t payload[4008];
	memcpy(payload, g->req[0] + 34, 1480);
	memcpy(payload + 1480, g->req[1] + 34, 1480);
	memcpy(payload + 2960, g->req[2] + 34, 1048);
	eth_build(f, mac2, mac1, ETH_TYPE_IPV4);
	struct ipv4_view v = {.total_len = (uint16_t)(20 + len),
			      .id = id,
			      .mf = mf,
			      .frag_off = (uint16_t)off,
			      .ttl = 64,
			      .proto = IPV4_PROTO_ICMP,
			      .src = IP1,
			      .dst = IP2};
	ipv4_build(f + 14, &v);
	if (off + len <= sizeof(payload))
		memcpy(f + 34, payload + off, len);
	else
		memset(f + 34, 0, len); /* beyond the golden datagram */
	f[34] ^= flip;
	return 34 + len;
}

START_TEST(in_order_answered_like_linux)
{
	struct ts_test_stack t;
	static struct golden g;
	load_golden(&g);
	init_with_peer(&t, NULL);
	for (int i = 0; i < 3; i++)
		ts_test_stack_feed(&t, g.req[i], g.req_len[i]);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_FRAGS_RX], 3);
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_REASSEMBLED], 1);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP_ECHO_REPLIES_SENT], 1);
	assert_reply_like_linux(&t, &g);
	assert_nothing_held(&t);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(reverse_order)
{
	struct ts_test_stack t;
	static struct golden g;
	load_golden(&g);
	init_with_peer(&t, NULL);
	for (int i = 2; i >= 0; i--)
		ts_test_stack_feed(&t, g.req[i], g.req_len[i]);
	assert_reply_like_linux(&t, &g);
	assert_nothing_held(&t);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(duplicates_dropped)
{
	struct ts_test_stack t;
	static struct golden g;
	const int order[] = {1, 0, 1, 0, 2};
	load_golden(&g);
	init_with_peer(&t, NULL);
	for (int i = 0; i < 5; i++)
		ts_test_stack_feed(&t, g.req[order[i]], g.req_len[order[i]]);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_DUP], 2);
	assert_reply_like_linux(&t, &g);
	assert_nothing_held(&t);
	ts_test_stack_free(&t);
}
END_TEST

/* A fragment straddling fragments 1 and 2 with the same octets is harmless. */
START_TEST(identical_overlap_accepted)
{
	struct ts_test_stack t;
	static struct golden g;
	uint8_t f[64];
	load_golden(&g);
	init_with_peer(&t, NULL);
	size_t n = make_frag(f, &g, 1472, 16, true, 0x785c, 0);
	ts_test_stack_feed(&t, f, n);
	for (int i = 0; i < 3; i++)
		ts_test_stack_feed(&t, g.req[i], g.req_len[i]);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_OVERLAP], 0);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_DUP], 0);
	assert_reply_like_linux(&t, &g);
	ts_test_stack_free(&t);
}
END_TEST

/* Different octets for the same offset: the whole datagram goes (RFC 5722 spirit). */
START_TEST(conflicting_overlap_drops_datagram)
{
	struct ts_test_stack t;
	static struct golden g;
	uint8_t f[64];
	load_golden(&g);
	init_with_peer(&t, NULL);
	ts_test_stack_feed(&t, g.req[0], g.req_len[0]);
	size_t n = make_frag(f, &g, 1472, 16, true, 0x785c, 0x5a);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_OVERLAP], 1);
	assert_nothing_held(&t);
	/* The rest starts a new datagram that lacks fragment 1: no answer. */
	ts_test_stack_feed(&t, g.req[1], g.req_len[1]);
	ts_test_stack_feed(&t, g.req[2], g.req_len[2]);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(reass_datagrams(&t.st), 1);
	ts_test_stack_free(&t); /* frees it, no leak */
}
END_TEST

/* RFC 791 §3.2: when the timer runs out, the held octets are released and counted. */
START_TEST(timeout_frees_memory)
{
	struct ts_test_stack t;
	static struct golden g;
	load_golden(&g);
	init_with_peer(&t, NULL);
	uint64_t t0 = t.st.now_us, timeout = (uint64_t)t.st.cfg.reass_timeout_ms * 1000;
	ts_test_stack_feed(&t, g.req[0], g.req_len[0]);
	ts_test_stack_feed(&t, g.req[1], g.req_len[1]);
	ck_assert_uint_gt(reass_mem(&t.st), 4000);
	stack_poll(&t.st, t0 + timeout - 1);
	ck_assert_uint_eq(reass_datagrams(&t.st), 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	stack_poll(&t.st, t0 + timeout);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_TIMEOUT], 1);
	assert_nothing_held(&t);
	/* RFC 1122 §3.3.2: fragment 0 came, so time exceeded (code 1) quoting
	 * its header and first 8 octets (the echo header). */
	static uint8_t got[256];
	ck_assert_uint_eq(capdev_take(t.cap, got, sizeof(got)), 14 + 20 + 8 + 20 + 8);
	ck_assert_uint_eq(got[34], ICMP_TIME_EXCEEDED);
	ck_assert_uint_eq(got[35], ICMP_TIMXCEED_REASS);
	ck_assert_uint_eq(get_be32(got + 14 + 16), IP1);
	ck_assert_mem_eq(got + 42, g.req[0] + 14, 28);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(got + 34, 36, 0)), 0);
	/* Only the last fragment, timing out: no fragment 0, no message. */
	ts_test_stack_feed(&t, g.req[2], g.req_len[2]);
	stack_poll(&t.st, t.st.now_us + timeout);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_TIMEOUT], 2);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP_TIME_EXCEEDED_SENT], 1);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(memory_limit)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	static struct golden g;
	uint8_t f[1600];
	load_golden(&g);
	test_cfg(&cfg);
	cfg.reass_max_bytes = 15000; /* one datagram's structure and buffer, not two */
	init_with_peer(&t, &cfg);
	ts_test_stack_feed(&t, g.req[0], g.req_len[0]);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_NOMEM], 0);
	size_t n = make_frag(f, &g, 0, 1480, true, 0x1111, 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_NOMEM], 1);
	ck_assert_uint_le(reass_mem(&t.st), 15000);
	/* The first datagram still completes. */
	ts_test_stack_feed(&t, g.req[1], g.req_len[1]);
	ts_test_stack_feed(&t, g.req[2], g.req_len[2]);
	assert_reply_like_linux(&t, &g);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(datagram_count_limit)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	static struct golden g;
	uint8_t f[1600];
	load_golden(&g);
	test_cfg(&cfg);
	cfg.reass_max_datagrams = 2;
	init_with_peer(&t, &cfg);
	for (uint16_t id = 1; id <= 3; id++) {
		size_t n = make_frag(f, &g, 0, 1480, true, id, 0);
		ts_test_stack_feed(&t, f, n);
	}
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_TOO_MANY], 1);
	ck_assert_uint_eq(reass_datagrams(&t.st), 2);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(bad_fragments)
{
	struct ts_test_stack t;
	static struct golden g;
	uint8_t f[1600];
	load_golden(&g);
	init_with_peer(&t, NULL);
	/* RFC 791: a non-last fragment's length is a multiple of 8. */
	size_t n = make_frag(f, &g, 0, 13, true, 7, 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_BAD], 1);
	/* Ping of death: offset 65520 + 16 octets + header > 65535. */
	n = make_frag(f, &g, 65520, 16, false, 7, 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_BAD], 2);
	/* A last fragment ending before data already held: inconsistent. */
	ts_test_stack_feed(&t, g.req[1], g.req_len[1]);
	n = make_frag(f, &g, 1480, 8, false, 0x785c, 0);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_FRAG_BAD], 3);
	assert_nothing_held(&t);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ts_test_stack_free(&t);
}
END_TEST

struct echo_seen {
	size_t len;
	uint16_t id, seq;
	int calls;
	int data_ok;
};

static void on_echo(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		    size_t len, uint8_t ttl)
{
	struct echo_seen *e = ctx;
	(void)src;
	(void)ttl;
	e->calls++;
	e->len = len;
	e->id = id;
	e->seq = seq;
	e->data_ok = 1;
	for (size_t i = 0; i < len; i++)
		if (data[i] != (uint8_t)(i % 251))
			e->data_ok = 0;
}

/* Moves every frame one stack sent into the other until both are quiet. */
static void shuttle(struct ts_test_stack *a, struct ts_test_stack *b)
{
	static uint8_t f[2048];
	for (int moved = 1; moved;) {
		size_t n;
		moved = 0;
		while ((n = capdev_take(a->cap, f, sizeof(f)))) {
			ts_test_stack_feed(b, f, n);
			moved = 1;
		}
		while ((n = capdev_take(b->cap, f, sizeof(f)))) {
			ts_test_stack_feed(a, f, n);
			moved = 1;
		}
	}
}

/* The largest echo (65507 data octets): 45 fragments each way, same bytes back. */
START_TEST(max_size_echo_between_stacks)
{
	struct ts_test_stack a, b;
	struct ts_config cfg;
	static uint8_t data[65507];
	struct echo_seen seen = {0};
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 251);
	test_cfg(&cfg);
	cfg.ip = IP1;
	memcpy(cfg.mac, mac1, 6);
	ts_test_stack_init(&a, &cfg);
	ts_test_stack_init(&b, NULL);
	icmp_set_echo_handler(&a.st, on_echo, &seen);
	ck_assert_int_eq(icmp_echo_request(&a.st, IP2, 0xbeef, 9, data, sizeof(data)), 0);
	ck_assert_int_eq(icmp_echo_request(&a.st, IP2, 0xbeef, 10, data, sizeof(data) + 1),
			 -EMSGSIZE);
	shuttle(&a, &b);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.len, sizeof(data));
	ck_assert_uint_eq(seen.id, 0xbeef);
	ck_assert_uint_eq(seen.seq, 9);
	ck_assert(seen.data_ok);
	ck_assert_uint_eq(a.st.counters[CTR_IPV4_FRAGS_TX], 45);
	ck_assert_uint_eq(b.st.counters[CTR_IPV4_FRAGS_TX], 45);
	ck_assert_uint_eq(a.st.counters[CTR_IPV4_REASSEMBLED], 1);
	ck_assert_uint_eq(b.st.counters[CTR_IPV4_REASSEMBLED], 1);
	assert_nothing_held(&a);
	assert_nothing_held(&b);
	ts_test_stack_free(&a);
	ts_test_stack_free(&b);
}
END_TEST

/*
 * A UDP datagram to a closed port, 2000 octets of payload in two fragments
 * (1480 + 528), the Ethernet destination of fragment i broadcast when bit i
 * of bcast_mask is set.  Returns the ICMP errors sent.
 */
static uint64_t closed_port_fragments(unsigned bcast_mask)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static uint8_t dgram[2008], f[1600];
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	put_be16(dgram, 40000);
	put_be16(dgram + 2, 9); /* discard: nothing listens */
	put_be16(dgram + 4, sizeof(dgram));
	put_be16(dgram + 6, 0); /* no checksum (RFC 768) */
	for (size_t i = 8; i < sizeof(dgram); i++)
		dgram[i] = (uint8_t)i;
	const size_t off[2] = {0, 1480}, len[2] = {1480, sizeof(dgram) - 1480};
	for (int i = 0; i < 2; i++) {
		eth_build(f, (bcast_mask >> i) & 1 ? bcast : mac2, mac1, ETH_TYPE_IPV4);
		struct ipv4_view v = {.total_len = (uint16_t)(20 + len[i]),
				      .id = 0x4242,
				      .mf = i == 0,
				      .frag_off = (uint16_t)off[i],
				      .ttl = 64,
				      .proto = IPV4_PROTO_UDP,
				      .src = IP1,
				      .dst = IP2};
		ipv4_build(f + 14, &v);
		memcpy(f + 34, dgram + off[i], len[i]);
		ts_test_stack_feed(&t, f, 34 + len[i]);
	}
	ck_assert_uint_eq(t.st.counters[CTR_IPV4_REASSEMBLED], 1);
	ck_assert_uint_eq(t.st.drops[DROP_UDP_NO_PORT], 1);
	uint64_t sent = t.st.counters[CTR_ICMP_UNREACH_SENT];
	ck_assert_uint_eq(capdev_sent_count(t.cap), sent);
	if (bcast_mask)
		ck_assert_uint_eq(t.st.drops[DROP_ICMP_NO_ERROR_FOR_ERROR], 1);
	assert_nothing_held(&t);
	ts_test_stack_free(&t);
	return sent;
}

/*
 * RFC 1122 §3.2.2: no ICMP error about a datagram sent as a link-layer
 * broadcast, fragmented or not.  The reassembled datagram is a link
 * broadcast when any of its fragments was (Linux: the skb of the
 * reassembled datagram keeps pkt_type PACKET_BROADCAST).
 */
START_TEST(link_broadcast_survives_reassembly)
{
	ck_assert_uint_eq(closed_port_fragments(0), 1); /* unicast: port unreachable */
	ck_assert_uint_eq(closed_port_fragments(3), 0); /* both fragments broadcast */
	ck_assert_uint_eq(closed_port_fragments(1), 0); /* only fragment 0 */
	ck_assert_uint_eq(closed_port_fragments(2), 0); /* only the last */
}
END_TEST

static Suite *reass_suite(void)
{
	Suite *s = suite_create("reass");
	TCase *tc = tcase_create("reass");
	tcase_add_test(tc, in_order_answered_like_linux);
	tcase_add_test(tc, reverse_order);
	tcase_add_test(tc, duplicates_dropped);
	tcase_add_test(tc, identical_overlap_accepted);
	tcase_add_test(tc, conflicting_overlap_drops_datagram);
	tcase_add_test(tc, timeout_frees_memory);
	tcase_add_test(tc, memory_limit);
	tcase_add_test(tc, datagram_count_limit);
	tcase_add_test(tc, bad_fragments);
	tcase_add_test(tc, max_size_echo_between_stacks);
	tcase_add_test(tc, link_broadcast_survives_reassembly);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(reass_suite)
