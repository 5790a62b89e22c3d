/*
 * pmtu6_test.c - ICMPv6 errors between two stacks (issue #14), a: fd00::1,
 * b: fd00::2:
 *   - Path MTU Discovery for IPv6 (RFC 8201): a router on b's side of the
 *     wire carries at most 1280 octets; what b sends bigger it drops and
 *     answers with a packet too big from fd00::fe (RFC 4443 §3.2).  b
 *     serves 4 MiB to a over IPv6; the transfer must complete byte-exact in
 *     segments of 1280 - 60 - options, where before the error was dropped
 *     unread and b resent its 1500-octet segments into the black hole;
 *   - a UDP socket connected over IPv6 to a port b does not serve: b's
 *     port unreachable (RFC 4443 §3.1 code 4) makes a's next call fail with
 *     ECONNREFUSED (Linux __udp6_lib_err).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/tcp.h>

#include "twostack.h"
#include "byteorder.h"
#include "icmp6.h"
#include "ipv6.h"
#include "tapstack.h"

#define LIMIT 1280
#define TOTAL (4u << 20)
#define MS    1000ull
#define SEC   1000000ull

static const uint8_t router_ip[16] = {0xfd, [15] = 0xfe}; /* fd00::fe */

static struct sockaddr_in6 sin6_of(uint8_t last, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	if (last) {
		a.sin6_addr.s6_addr[0] = 0xfd;
		a.sin6_addr.s6_addr[15] = last;
	}
	return a;
}

/* ---- the router: a netdev under b ---- */

#define RQ   16
#define QMAX (14 + 40 + 8 + ICMP6_ERR_QUOTE_MAX)

struct router {
	struct netdev dev;
	struct netdev *lower;
	uint8_t q[RQ][QMAX]; /* errors waiting for b to receive them */
	size_t qlen[RQ];
	int qhead, qn;
	uint64_t too_big; /* frames dropped for their size */
	uint64_t max_fit; /* largest IPv6 datagram passed on */
};

/* RFC 4443 §3.2: packet too big, the MTU, as much of the packet as fits 1280. */
static void router_answer(struct router *r, const uint8_t *f, size_t len)
{
	if (r->qn == RQ)
		return; /* a busy router stays silent (RFC 4443 §2.4 (f)) */
	const uint8_t *ip = f + 14;
	size_t quote = len - 14 < ICMP6_ERR_QUOTE_MAX ? len - 14 : ICMP6_ERR_QUOTE_MAX;
	int slot = (r->qhead + r->qn++) % RQ;
	uint8_t *o = r->q[slot];
	memcpy(o, f + 6, 6); /* back to b's MAC */
	memcpy(o + 6, f, 6);
	put_be16(o + 12, 0x86dd);
	uint8_t *icmp = o + 14 + 40;
	icmp[0] = ICMP6_PACKET_TOO_BIG;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be32(icmp + 4, LIMIT);
	memcpy(icmp + 8, ip, quote);
	struct ipv6_view v = {.payload_len = (uint16_t)(8 + quote),
			      .next = IPV6_NH_ICMPV6,
			      .hop_limit = 64,
			      .src = router_ip,
			      .dst = ip + IPV6_OFF_SRC};
	ipv6_build(o + 14, &v);
	put_be16(icmp + 2, icmp6_csum(router_ip, ip + IPV6_OFF_SRC, icmp, 8 + quote));
	r->qlen[slot] = 14 + 40 + 8 + quote;
}

static int router_send(struct netdev *d, const uint8_t *f, size_t len,
		       const struct netdev_meta *meta, uint64_t now_us)
{
	struct router *r = (struct router *)d;
	if (len > 54 && get_be16(f + 12) == 0x86dd) {
		uint32_t total = 40u + get_be16(f + 14 + IPV6_OFF_PLEN);
		if (total > LIMIT) {
			r->too_big++;
			router_answer(r, f, len);
			return 0; /* RFC 8200 §5: routers never fragment */
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

START_TEST(packet_too_big_mid_stream)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct router *r = calloc(1, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	r->dev.ops = &router_ops;
	r->lower = t.db;
	t.db = t.b.dev = &r->dev;

	struct xfer *x = calloc(1, sizeof(*x));
	ck_assert_ptr_nonnull(x);
	x->bfd = -1;
	x->lfd = ts_socket(&t.b, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 sa = sin6_of(0, 8000);
	ck_assert_int_eq(ts_bind(&t.b, x->lfd, SA(sa), sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t.b, x->lfd, 4), 0);
	x->afd = ts_socket(&t.a, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa = sin6_of(2, 8000);
	ts_connect(&t.a, x->afd, SA(sa), sizeof(sa));

	twostack_assert(&t, twostack_run_until(&t, pump, x, 120 * SEC));
	twostack_assert(&t, !x->bad);
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	ck_assert_int_eq(ts_getsockopt(&t.b, x->bfd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	ck_assert_uint_eq(ti.tcpi_pmtu, LIMIT);
	ck_assert_uint_eq(ti.tcpi_snd_mss, LIMIT - 60 - 12); /* IPv6 + TCP, timestamps */
	int mtu = 0;
	l = sizeof(mtu);
	ck_assert_int_eq(ts_getsockopt(&t.b, x->bfd, IPPROTO_IPV6, IPV6_MTU, &mtu, &l), 0);
	ck_assert_int_eq(mtu, LIMIT);
	ck_assert_uint_le(r->max_fit, LIMIT);
	ck_assert_uint_ge(r->too_big, 1);
	ck_assert_uint_ge(t.b.counters[CTR_ICMP6_ERRORS_DELIVERED], 1);
	ck_assert_uint_eq(t.b.counters[CTR_ICMP_PMTU_LOWERED], 1);
	ck_assert_uint_ge(t.b.counters[CTR_TCP_PMTU_RESENDS], 1);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_ABORT_ON_TIMEOUT], 0);
	fprintf(stderr,
		"pmtu6: 4 MiB in %.3f s virtual, %llu too big, %llu resends, %llu retransmits\n",
		(t.now_us - 1000000) / 1e6, (unsigned long long)r->too_big,
		(unsigned long long)t.b.counters[CTR_TCP_PMTU_RESENDS],
		(unsigned long long)t.b.counters[CTR_TCP_RETRANS]);
	ts_close(&t.a, x->afd);
	ts_close(&t.b, x->bfd);
	ts_close(&t.b, x->lfd);
	twostack_advance(&t, SEC);
	free(x);
	twostack_free(&t);
}
END_TEST

/* b answers a datagram to a closed port with ICMPv6 port unreachable; a's connected socket hears
 * it. */
START_TEST(udp_port_unreachable_refused)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int u = ts_socket(&t.a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 sa = sin6_of(2, 9999);
	ck_assert_int_eq(ts_connect(&t.a, u, SA(sa), sizeof(sa)), 0);
	ck_assert_int_eq(ts_send(&t.a, u, "x", 1, 0), 1);
	twostack_advance(&t, 50 * MS);
	ck_assert_uint_eq(t.b.counters[CTR_ICMP6_DEST_UNREACH_SENT], 1);
	ck_assert_uint_eq(t.a.counters[CTR_ICMP6_ERRORS_DELIVERED], 1);
	char buf[4];
	ck_errno(ts_recv(&t.a, u, buf, sizeof(buf), 0), ECONNREFUSED);
	ck_errno(ts_recv(&t.a, u, buf, sizeof(buf), 0), EAGAIN);
	/* The error is reported once; the next send goes out again. */
	ck_assert_int_eq(ts_send(&t.a, u, "y", 1, 0), 1);
	twostack_advance(&t, 50 * MS);
	ck_errno(ts_send(&t.a, u, "z", 1, 0), ECONNREFUSED);
	ts_close(&t.a, u);
	twostack_free(&t);
}
END_TEST

static Suite *pmtu6_suite(void)
{
	Suite *s = suite_create("pmtu6");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, packet_too_big_mid_stream);
	tcase_add_test(tc, udp_port_unreachable_refused);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(pmtu6_suite)
