/*
 * ping_test.c - ICMP echo between two whole stacks over the in-memory wire
 * (tests/lib/twostack.h): ARP resolution in both directions, 100 pings
 * through 10 % seeded loss each way where every echo that got through is
 * answered with its own id, seq and data, and a 4000-octet ping that is
 * fragmented by one stack and reassembled by the other, both ways.
 */
#include <string.h>

#include "twostack.h"
#include "arp.h"
#include "icmp.h"

#define IP_A	0x0a000001u
#define IP_B	0x0a000002u
#define PING_ID 0x7a7a

/* What stack a's echo handler saw. */
struct pings {
	uint32_t replies;      /* replies received */
	uint32_t bad;	       /* replies with a wrong source, id, length or data */
	uint16_t per_seq[128]; /* replies per sequence number */
	size_t want_len;       /* data length every reply must carry */
	uint8_t ttl;	       /* TTL of the last reply */
};

/* Data of echo seq: a pattern that differs per seq, so a mixed-up reply shows. */
static void fill(uint8_t *d, size_t len, uint16_t seq)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seq * 7 + i);
}

static void on_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		     size_t len, uint8_t ttl)
{
	struct pings *p = ctx;
	static uint8_t want[8192];
	p->replies++;
	p->ttl = ttl;
	fill(want, len < sizeof(want) ? len : sizeof(want), seq);
	if (src != IP_B || id != PING_ID || len != p->want_len || seq >= 128 ||
	    memcmp(data, want, len) != 0) {
		p->bad++;
		return;
	}
	p->per_seq[seq]++;
}

static bool arp_resolved(struct twostack *t, void *ctx)
{
	uint8_t mac[6];
	(void)ctx;
	return arp_lookup(&t->a, IP_B, mac) == 0;
}

static bool got_replies(struct twostack *t, void *ctx)
{
	(void)t;
	return ((struct pings *)ctx)->replies >= 1;
}

START_TEST(arp_then_one_ping)
{
	struct twostack t;
	struct pings p = {.want_len = 56};
	uint8_t data[56], mac[6];
	twostack_init(&t, NULL, NULL);
	icmp_set_echo_handler(&t.a, on_reply, &p);
	fill(data, sizeof(data), 1);
	ck_assert_int_eq(icmp_echo_request(&t.a, IP_B, PING_ID, 1, data, sizeof(data)), 0);
	twostack_assert(&t, twostack_run_until(&t, got_replies, &p, 2000000));
	twostack_assert(&t, p.replies == 1 && p.bad == 0 && p.per_seq[1] == 1);
	ck_assert_uint_eq(p.ttl, 64);
	/* a resolved b; b learned a from the request that targeted it (RFC 826). */
	ck_assert_int_eq(arp_lookup(&t.a, IP_B, mac), 0);
	ck_assert_uint_eq(mac[5], 2);
	ck_assert_int_eq(arp_lookup(&t.b, IP_A, mac), 0);
	ck_assert_uint_eq(mac[5], 1);
	ck_assert_uint_eq(t.a.counters[CTR_ARP_REQUESTS_SENT], 1);
	ck_assert_uint_eq(t.b.counters[CTR_ARP_REQUESTS_SENT], 0);
	twostack_free(&t);
}
END_TEST

START_TEST(hundred_pings_through_loss)
{
	struct twostack t;
	struct fault_spec spec = {.loss_ppm = 100000, .seed = 7};
	struct pings p = {.want_len = 56};
	uint8_t data[56];
	char desc[160];
	twostack_init(&t, &spec, NULL);
	icmp_set_echo_handler(&t.a, on_reply, &p);
	/* ARP first (its own retries cover a lost request or reply). */
	ck_assert_int_eq(icmp_echo_request(&t.a, IP_B, PING_ID, 0, NULL, 0), 0);
	twostack_assert(&t, twostack_run_until(&t, arp_resolved, NULL, 10000000));
	twostack_advance(&t, 100000);
	p.replies = p.bad = 0; /* the zero-length resolving ping does not count */
	memset(p.per_seq, 0, sizeof(p.per_seq));
	uint64_t b_rx0 = t.b.counters[CTR_ICMP_RX];
	uint64_t b_replies0 = t.b.counters[CTR_ICMP_ECHO_REPLIES_SENT];

	for (uint16_t seq = 1; seq <= 100; seq++) {
		fill(data, sizeof(data), seq);
		ck_assert_int_eq(icmp_echo_request(&t.a, IP_B, PING_ID, seq, data, sizeof(data)),
				 0);
		twostack_advance(&t, 10000); /* ping -i 0.01 */
	}
	twostack_advance(&t, 1000000);

	uint64_t requests_in = t.b.counters[CTR_ICMP_RX] - b_rx0;
	uint64_t replies_out = t.b.counters[CTR_ICMP_ECHO_REPLIES_SENT] - b_replies0;
	twostack_describe(&t, desc, sizeof(desc));
	/* Every request that reached b was answered, and every answer that
	 * reached a was the right one, once. */
	ck_assert_msg(replies_out == requests_in, "b answered %llu of %llu (%s)",
		      (unsigned long long)replies_out, (unsigned long long)requests_in, desc);
	ck_assert_msg(p.bad == 0, "%u wrong replies (%s)", p.bad, desc);
	ck_assert_msg(p.replies <= replies_out, "more replies than sent (%s)", desc);
	for (int seq = 0; seq < 128; seq++)
		ck_assert_msg(p.per_seq[seq] <= 1, "seq %d answered twice (%s)", seq, desc);
	/* 10 % each way: about 81 round trips; loss did happen, and not everything died. */
	ck_assert_msg(requests_in < 100 && p.replies < requests_in, "no loss seen (%s)", desc);
	ck_assert_msg(p.replies >= 65, "only %u replies (%s)", p.replies, desc);
	ck_assert_uint_eq(t.b.drops[DROP_ICMP_BAD_CSUM], 0);
	twostack_free(&t);
}
END_TEST

/* 4000 octets over a 1500-octet MTU: 3 fragments each way, reassembled each side. */
START_TEST(ping_4000_fragmented)
{
	struct twostack t;
	struct pings p = {.want_len = 4000};
	static uint8_t data[4000];
	twostack_init(&t, NULL, NULL);
	icmp_set_echo_handler(&t.a, on_reply, &p);
	fill(data, sizeof(data), 3);
	ck_assert_int_eq(icmp_echo_request(&t.a, IP_B, PING_ID, 3, data, sizeof(data)), 0);
	twostack_assert(&t, twostack_run_until(&t, got_replies, &p, 2000000));
	twostack_assert(&t, p.replies == 1 && p.bad == 0 && p.per_seq[3] == 1);
	ck_assert_uint_eq(t.a.counters[CTR_IPV4_FRAGS_TX], 3);
	ck_assert_uint_eq(t.b.counters[CTR_IPV4_FRAGS_RX], 3);
	ck_assert_uint_eq(t.b.counters[CTR_IPV4_REASSEMBLED], 1);
	ck_assert_uint_eq(t.b.counters[CTR_IPV4_FRAGS_TX], 3);
	ck_assert_uint_eq(t.a.counters[CTR_IPV4_REASSEMBLED], 1);
	uint32_t da, db;
	size_t ma, mb;
	ipv4_reass_usage(&t.a, &da, &ma);
	ipv4_reass_usage(&t.b, &db, &mb);
	ck_assert_uint_eq(ma + mb, 0);
	twostack_free(&t);
}
END_TEST

static Suite *ping_suite(void)
{
	Suite *s = suite_create("ping");
	TCase *tc = tcase_create("ping");
	tcase_add_test(tc, arp_then_one_ping);
	tcase_add_test(tc, hundred_pings_through_loss);
	tcase_add_test(tc, ping_4000_fragmented);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(ping_suite)
