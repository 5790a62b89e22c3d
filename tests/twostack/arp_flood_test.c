/*
 * arp_flood_test.c - an ARP flood against stack b (requests for b from
 * made-up MACs and on-link addresses, more than its table holds, fed
 * straight into b) while a resolves b and talks to it, before and after
 * their entries expire, and b resolves a in turn.  Issue 9 item 4: with a
 * table that never evicted, the flood locked every new neighbour out.
 */
#include <string.h>

#include "twostack.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"

#define IP_A	0x0a000001u
#define IP_B	0x0a000002u
#define PING_ID 0x4646

static void slash16(struct ts_config *cfg, char which)
{
	(void)which;
	cfg->prefix_len = 16;
}

/* count requests for b from made-up senders in 10.0.0.0/16, the n-th from sender n. */
static void flood_b(struct twostack *t, uint32_t from, uint32_t count)
{
	for (uint32_t n = from; n < from + count; n++) {
		uint64_t x = (n + 1) * 0x9e3779b97f4a7c15ULL;
		x ^= x >> 31;
		struct arp_view v = {.op = ARP_OP_REQUEST, .tpa = IP_B};
		v.sha[0] = 0x06;
		for (int i = 1; i < 6; i++)
			v.sha[i] = (uint8_t)(x >> (8 * i));
		v.spa = 0x0a000000u | (uint32_t)(3 + (x >> 40) % 65000);
		struct ts_buf *f = ts_buf_alloc(&t->b, 60, TS_BUF_HEADROOM);
		uint8_t *p = ts_buf_put(f, 60);
		memset(p, 0, 60);
		eth_build(p, eth_broadcast, v.sha, ETH_TYPE_ARP);
		arp_build(p + 14, &v);
		stack_input(&t->b, f);
	}
}

struct replies {
	uint32_t n;
	uint32_t from;
};

static void on_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		     size_t len, uint8_t ttl)
{
	struct replies *r = ctx;
	(void)id, (void)seq, (void)data, (void)len, (void)ttl;
	r->n++;
	r->from = src;
}

static bool got_a(struct twostack *t, void *ctx)
{
	(void)t;
	return ((struct replies *)ctx)[0].n > 0;
}

static bool got_b(struct twostack *t, void *ctx)
{
	(void)t;
	return ((struct replies *)ctx)[1].n > 0;
}

START_TEST(flood_does_not_lock_out_a_neighbour)
{
	struct twostack t;
	struct replies r[2] = {{0}};
	twostack_init(&t, NULL, slash16);
	icmp_set_echo_handler(&t.a, on_reply, &r[0]);
	icmp_set_echo_handler(&t.b, on_reply, &r[1]);

	flood_b(&t, 0, 3000);
	twostack_advance(&t, 10000);
	ck_assert_uint_le(arp_entry_count(&t.b), t.b.cfg.arp_gc_thresh3);

	/* a, new to b, pings it: b learns a from a's request and answers. */
	ck_assert_int_eq(icmp_echo_request(&t.a, IP_B, PING_ID, 1, NULL, 0), 0);
	twostack_assert(&t, twostack_run_until(&t, got_a, r, 3000000));

	/* Both entries expire while the flood goes on, 100 requests a second. */
	for (int s = 0; s < 70; s++) {
		flood_b(&t, 3000 + 100 * (uint32_t)s, 100);
		twostack_advance(&t, 1000000);
	}
	uint8_t mac[6];
	ck_assert_int_eq(arp_lookup(&t.b, IP_A, mac), -1);

	/* Now b resolves a itself, with the flood still coming. */
	flood_b(&t, 10000, 1000);
	ck_assert_int_eq(icmp_echo_request(&t.b, IP_A, PING_ID, 2, NULL, 0), 0);
	flood_b(&t, 11000, 1000);
	twostack_assert(&t, twostack_run_until(&t, got_b, r, 3000000));
	ck_assert_uint_eq(r[1].from, IP_A);
	ck_assert_uint_le(arp_entry_count(&t.b), t.b.cfg.arp_gc_thresh3);
	ck_assert_uint_eq(t.b.drops[DROP_ARP_CACHE_FULL], 0);
	ck_assert_uint_ge(t.b.counters[CTR_ARP_CACHE_EVICTED], 3000);
	twostack_free(&t);
}
END_TEST

static Suite *arp_flood_suite(void)
{
	Suite *s = suite_create("arp_flood");
	TCase *tc = tcase_create("arp_flood");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, flood_does_not_lock_out_a_neighbour);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(arp_flood_suite)
