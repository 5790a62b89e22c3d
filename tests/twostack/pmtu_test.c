/*
 * pmtu_test.c - path MTU discovery between two stacks (RFC 1191; issue #9
 * item 8): a router on b's side of the wire carries at most 1280 octets;
 * what b sends bigger with DF set it drops and answers with an ICMP
 * fragmentation needed from 10.0.0.254, with the next-hop MTU or, like a
 * router older than RFC 1191, without.  b serves 4 MiB to a; the transfer
 * must complete byte-exact in MSS-sized segments that fit, where before b
 * resent its 1500-octet segments into the black hole until it gave up.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/tcp.h>

#include "twostack.h"
#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "tapstack.h"

#define IP_A	  0x0a000001u
#define IP_B	  0x0a000002u
#define ROUTER_IP 0x0a0000feu
#define LIMIT	  1280
#define TOTAL	  (4u << 20)
#define MS	  1000ull
#define SEC	  1000000ull

/* ---- the router: a netdev under b ---- */

#define RQ 16

struct router {
	struct netdev dev;
	struct netdev *lower;
	bool give_mtu;	    /* put the next-hop MTU in its errors (RFC 1191 §4) */
	uint8_t q[RQ][600]; /* errors waiting for b to receive them */
	size_t qlen[RQ];
	int qhead, qn;
	uint64_t too_big; /* frames dropped for their size */
	uint64_t max_fit; /* largest datagram passed on */
};

static void router_answer(struct router *r, const uint8_t *f, size_t len)
{
	if (r->qn == RQ)
		return; /* a busy router stays silent (RFC 1812 rate limits) */
	const uint8_t *ip = f + 14;
	size_t quote = len - 14 < 548 ? len - 14 : 548;
	int slot = (r->qhead + r->qn++) % RQ;
	uint8_t *o = r->q[slot];
	memcpy(o, f + 6, 6); /* back to b's MAC */
	memcpy(o + 6, f, 6);
	put_be16(o + 12, 0x0800);
	uint8_t *icmp = o + 34;
	memset(icmp, 0, 8);
	icmp[0] = 3;
	icmp[1] = 4;
	put_be16(icmp + 6, r->give_mtu ? LIMIT : 0);
	memcpy(icmp + 8, ip, quote);
	put_be16(icmp + 2, ts_csum_fold(ts_csum_partial(icmp, 8 + quote, 0)));
	struct ipv4_view v = {.total_len = (uint16_t)(28 + quote),
			      .ttl = 64,
			      .proto = IPV4_PROTO_ICMP,
			      .src = ROUTER_IP,
			      .dst = get_be32(ip + 12)};
	ipv4_build(o + 14, &v);
	r->qlen[slot] = 14 + 28 + quote;
}

static int router_send(struct netdev *d, const uint8_t *f, size_t len,
		       const struct netdev_meta *meta, uint64_t now_us)
{
	struct router *r = (struct router *)d;
	if (len > 34 && get_be16(f + 12) == 0x0800) {
		uint16_t total = get_be16(f + 16);
		if (total > LIMIT) {
			r->too_big++;
			if (get_be16(f + 20) & IPV4_FLAG_DF)
				router_answer(r, f, len);
			return 0; /* dropped, DF or not: a black hole for what does not fit */
		}
		if (total > r->max_fit)
			r->max_fit = total;
	}
	return netdev_send_meta(r->lower, f, len, meta, now_us);
}

static ssize_t router_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			   uint64_t now_us)
{
	struct router *r = (struct router *)d;
	if (r->qn) {
		size_t n = r->qlen[r->qhead];
		memcpy(buf, r->q[r->qhead], n < cap ? n : cap);
		r->qhead = (r->qhead + 1) % RQ;
		r->qn--;
		return (ssize_t)n;
	}
	return netdev_recv_meta(r->lower, buf, cap, meta, now_us);
}

static void router_caps(struct netdev *d, struct netdev_caps *caps)
{
	netdev_caps(((struct router *)d)->lower, caps);
}

static uint64_t router_deadline(struct netdev *d)
{
	struct router *r = (struct router *)d;
	return r->qn ? 0 : netdev_next_deadline(r->lower);
}

static void router_destroy(struct netdev *d)
{
	netdev_destroy(((struct router *)d)->lower);
	free(d);
}

static const struct netdev_ops router_ops = {.recv = router_recv,
					     .send = router_send,
					     .caps = router_caps,
					     .next_deadline = router_deadline,
					     .destroy = router_destroy};

/* ---- the transfer ---- */

struct xfer {
	int lfd, afd, bfd;
	uint32_t sent, got;
	bool bad;
	uint8_t buf[65536];
};

static bool pump(struct twostack *t, void *p)
{
	struct xfer *x = p;
	if (x->bfd < 0)
		x->bfd = ts_accept4(&t->b, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	while (x->bfd >= 0 && x->sent < TOTAL) {
		uint32_t n = TOTAL - x->sent < sizeof(x->buf) ? TOTAL - x->sent : sizeof(x->buf);
		for (uint32_t i = 0; i < n; i++)
			x->buf[i] = (uint8_t)((x->sent + i) % 251);
		ssize_t w = ts_write(&t->b, x->bfd, x->buf, n);
		if (w <= 0)
			break;
		x->sent += (uint32_t)w;
	}
	for (;;) {
		ssize_t n = ts_read(&t->a, x->afd, x->buf, sizeof(x->buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (x->buf[i] != (uint8_t)((x->got + i) % 251))
				x->bad = true;
		x->got += (uint32_t)n;
	}
	return x->got == TOTAL;
}

static void transfer_through_router(bool give_mtu)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct router *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->dev.ops = &router_ops;
	r->give_mtu = give_mtu;
	r->lower = t.db;
	t.db = t.b.dev = &r->dev;

	struct xfer *x = calloc(1, sizeof(*x));
	ck_assert_ptr_nonnull(x);
	x->bfd = -1;
	x->lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(8000)};
	ck_assert_int_eq(ts_bind(&t.b, x->lfd, SA(sa), sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t.b, x->lfd, 4), 0);
	x->afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(IP_B);
	ts_connect(&t.a, x->afd, SA(sa), sizeof(sa));

	twostack_assert(&t, twostack_run_until(&t, pump, x, 120 * SEC));
	twostack_assert(&t, !x->bad);
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	ck_assert_int_eq(ts_getsockopt(&t.b, x->bfd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	uint32_t want = give_mtu ? LIMIT : 1006; /* the plateaus below 1500: 1492, then 1006 */
	ck_assert_uint_eq(ti.tcpi_pmtu, want);
	ck_assert_uint_eq(ti.tcpi_snd_mss, want - 40 - 12);
	ck_assert_uint_le(r->max_fit, want);
	ck_assert_uint_ge(r->too_big, 1);
	ck_assert_uint_eq(t.b.counters[CTR_ICMP_PMTU_LOWERED], give_mtu ? 1 : 2);
	ck_assert_uint_ge(t.b.counters[CTR_TCP_PMTU_RESENDS], 1);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_ABORT_ON_TIMEOUT], 0);
	fprintf(
	    stderr,
	    "pmtu (%s): 4 MiB in %.3f s virtual, %llu too big, %llu resends, %llu retransmits\n",
	    give_mtu ? "next-hop MTU" : "plateaus", (t.now_us - 1000000) / 1e6,
	    (unsigned long long)r->too_big, (unsigned long long)t.b.counters[CTR_TCP_PMTU_RESENDS],
	    (unsigned long long)t.b.counters[CTR_TCP_RETRANS]);
	ts_close(&t.a, x->afd);
	ts_close(&t.b, x->bfd);
	ts_close(&t.b, x->lfd);
	twostack_advance(&t, SEC);
	free(x);
	twostack_free(&t);
}

START_TEST(frag_needed_with_mtu)
{
	transfer_through_router(true);
}
END_TEST

START_TEST(frag_needed_without_mtu_plateaus)
{
	transfer_through_router(false);
}
END_TEST

static Suite *pmtu_suite(void)
{
	Suite *s = suite_create("pmtu");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, frag_needed_with_mtu);
	tcase_add_test(tc, frag_needed_without_mtu_plateaus);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(pmtu_suite)
