/*
 * ipv6_test.c - TCP and UDP over IPv6 and the dual-stack socket API
 * between two whole stacks (a: 10.0.0.1 and fd00::1, b: 10.0.0.2 and
 * fd00::2) over the in-memory wire, through the public ts_ calls:
 *   - a TCP transfer both ways over IPv6, clean and under seeded loss and
 *     reordering, byte-exact, with the names and the MSS of RFC 8200 §8.3;
 *   - an AF_INET6 listener on `::` that serves IPv4 clients too, naming
 *     them ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), as Linux's bindv6only=0;
 *   - IPV6_V6ONLY: the port shared with an AF_INET socket, v4-mapped
 *     addresses refused, and the option fixed once bound (ipv6(7));
 *   - UDP over IPv6 and to and from v4-mapped addresses;
 *   - the IPv6-level options an AF_INET socket does not have.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull

static struct sockaddr_in6 sin6_of(uint8_t last, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	if (last) {
		a.sin6_addr.s6_addr[0] = 0xfd;
		a.sin6_addr.s6_addr[15] = last;
	}
	return a;
}

static struct sockaddr_in6 mapped_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	a.sin6_addr.s6_addr[10] = a.sin6_addr.s6_addr[11] = 0xff;
	uint32_t n = htonl(ip);
	memcpy(&a.sin6_addr.s6_addr[12], &n, 4);
	return a;
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

static int listen6(struct stack *st, uint16_t port, int v6only)
{
	int fd = ts_socket(st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 3);
	if (v6only >= 0)
		ck_assert_int_eq(
		    ts_setsockopt(st, fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)), 0);
	struct sockaddr_in6 a = sin6_of(0, port);
	ck_assert_int_eq(ts_bind(st, fd, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_listen(st, fd, 16), 0);
	return fd;
}

/* ---- one connection and a transfer both ways ---- */

#define XFER (256 * 1024)

struct conn {
	struct stack *cst, *sst;      /* client and server stacks */
	int lfd, cfd, sfd;	      /* listener, client, accepted */
	struct sockaddr_storage peer; /* what accept named */
	socklen_t peer_len;
	size_t sent[2], got[2]; /* [0] client → server, [1] server → client */
	int bad;
};

static uint8_t pattern(int dir, size_t i)
{
	return (uint8_t)((i * 7 + (size_t)dir * 101 + (i >> 9)) % 253);
}

static bool accepted(struct twostack *t, void *p)
{
	struct conn *c = p;
	(void)t;
	if (c->sfd < 0) {
		c->peer_len = sizeof(c->peer);
		c->sfd = ts_accept4(c->sst, c->lfd, (struct sockaddr *)&c->peer, &c->peer_len,
				    SOCK_NONBLOCK);
	}
	return c->sfd >= 0;
}

static void pump(struct conn *c, struct stack *st, int fd, int dir)
{
	uint8_t buf[4096];
	while (c->sent[dir] < XFER) {
		size_t n = XFER - c->sent[dir] < sizeof(buf) ? XFER - c->sent[dir] : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(dir, c->sent[dir] + i);
		ssize_t w = ts_send(st, fd, buf, n, 0);
		if (w <= 0)
			break;
		c->sent[dir] += (size_t)w;
	}
}

static void drain(struct conn *c, struct stack *st, int fd, int dir)
{
	uint8_t buf[4096];
	ssize_t n;
	while ((n = ts_recv(st, fd, buf, sizeof(buf), 0)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(dir, c->got[dir] + (size_t)i))
				c->bad++;
		c->got[dir] += (size_t)n;
	}
}

static bool transferred(struct twostack *t, void *p)
{
	struct conn *c = p;
	(void)t;
	pump(c, c->cst, c->cfd, 0);
	pump(c, c->sst, c->sfd, 1);
	drain(c, c->sst, c->sfd, 0);
	drain(c, c->cst, c->cfd, 1);
	return c->got[0] == XFER && c->got[1] == XFER;
}

/* Connects a client socket of family cdom to `to`, accepts, moves XFER bytes each way. */
static void connect_and_transfer(struct twostack *t, struct conn *c, int cdom,
				 const struct sockaddr *to, socklen_t tolen)
{
	c->cst = &t->a;
	c->sst = &t->b;
	c->sfd = -1;
	c->cfd = ts_socket(&t->a, cdom, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(c->cfd, 3);
	ck_assert_int_eq(ts_connect(&t->a, c->cfd, to, tolen), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	twostack_assert(t, twostack_run_until(t, accepted, c, 20 * SEC));
	twostack_assert(t, twostack_run_until(t, transferred, c, 120 * SEC));
	ck_assert_int_eq(c->bad, 0);
}

static void close_conn(struct twostack *t, struct conn *c)
{
	ck_assert_int_eq(ts_close(&t->a, c->cfd), 0);
	ck_assert_int_eq(ts_close(&t->b, c->sfd), 0);
	ck_assert_int_eq(ts_close(&t->b, c->lfd), 0);
	twostack_advance(t, 5 * SEC);
}

static int advmss(struct stack *st, int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	ck_assert_int_eq(ts_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	return (int)ti.tcpi_advmss;
}

static void tcp_v6(const struct fault_spec *spec)
{
	struct twostack t;
	struct conn c = {0};
	twostack_init(&t, spec, NULL);
	c.lfd = listen6(&t.b, 8080, -1);
	struct sockaddr_in6 to = sin6_of(2, 8080);
	connect_and_transfer(&t, &c, AF_INET6, SA(to), sizeof(to));

	/* accept and getpeername name the peer by its IPv6 address. */
	const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)&c.peer;
	struct sockaddr_in6 a1 = sin6_of(1, 0), got;
	ck_assert_int_eq(c.peer_len, sizeof(struct sockaddr_in6));
	ck_assert_int_eq(p->sin6_family, AF_INET6);
	ck_assert_mem_eq(&p->sin6_addr, &a1.sin6_addr, 16);
	socklen_t l = sizeof(got);
	ck_assert_int_eq(ts_getsockname(&t.a, c.cfd, SA(got), &l), 0);
	ck_assert_mem_eq(&got.sin6_addr, &a1.sin6_addr, 16);
	ck_assert_uint_eq(ntohs(got.sin6_port), ntohs(p->sin6_port));
	l = sizeof(got);
	ck_assert_int_eq(ts_getsockname(&t.b, c.sfd, SA(got), &l), 0);
	ck_assert_mem_eq(&got.sin6_addr, &to.sin6_addr, 16);
	/* RFC 8200 §8.3: 40 octets of IPv6 header, so 1500 - 60. */
	ck_assert_int_eq(advmss(&t.a, c.cfd), 1440);
	ck_assert_int_eq(advmss(&t.b, c.sfd), 1440);
	close_conn(&t, &c);
	twostack_free(&t);
}

START_TEST(tcp_over_ipv6)
{
	tcp_v6(NULL);
}
END_TEST

START_TEST(tcp_over_ipv6_under_loss)
{
	struct fault_spec f = {.loss_ppm = 20000,
			       .reorder_ppm = 50000,
			       .dup_ppm = 10000,
			       .delay_us = 2000,
			       .jitter_us = 500,
			       .seed = 14};
	tcp_v6(&f);
}
END_TEST

/* ---- dual stack ---- */

START_TEST(dual_stack_listener_serves_ipv4)
{
	struct twostack t;
	struct fault_spec f = {
	    .loss_ppm = 20000, .reorder_ppm = 30000, .delay_us = 1000, .seed = 4};
	twostack_init(&t, &f, NULL);
	int v6only = -1;
	socklen_t l = sizeof(v6only);
	struct conn c = {0};
	c.lfd = listen6(&t.b, 8080, -1);
	ck_assert_int_eq(ts_getsockopt(&t.b, c.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &l), 0);
	ck_assert_int_eq(v6only, 0); /* Linux net.ipv6.bindv6only = 0 */

	/* An AF_INET client: the AF_INET6 listener accepts it as ::ffff:10.0.0.1. */
	struct sockaddr_in to4 = sin_of(IP_B, 8080);
	connect_and_transfer(&t, &c, AF_INET, SA(to4), sizeof(to4));
	struct sockaddr_in6 m = mapped_of(IP_A, 0), got;
	const struct sockaddr_in6 *p = (const struct sockaddr_in6 *)&c.peer;
	ck_assert_int_eq(c.peer_len, sizeof(struct sockaddr_in6));
	ck_assert_mem_eq(&p->sin6_addr, &m.sin6_addr, 16);
	l = sizeof(got);
	ck_assert_int_eq(ts_getpeername(&t.b, c.sfd, SA(got), &l), 0);
	ck_assert_mem_eq(&got.sin6_addr, &m.sin6_addr, 16);
	l = sizeof(got);
	ck_assert_int_eq(ts_getsockname(&t.b, c.sfd, SA(got), &l), 0);
	struct sockaddr_in6 mb = mapped_of(IP_B, 8080);
	ck_assert_mem_eq(&got.sin6_addr, &mb.sin6_addr, 16);
	/* The segments were IPv4's: 1500 - 40. */
	ck_assert_int_eq(advmss(&t.b, c.sfd), 1460);
	ck_assert_int_eq(ts_close(&t.a, c.cfd), 0);
	ck_assert_int_eq(ts_close(&t.b, c.sfd), 0);

	/* An AF_INET6 client naming the server ::ffff:10.0.0.2 speaks IPv4 too. */
	struct conn d = {.lfd = c.lfd};
	struct sockaddr_in6 tom = mapped_of(IP_B, 8080);
	connect_and_transfer(&t, &d, AF_INET6, SA(tom), sizeof(tom));
	l = sizeof(got);
	ck_assert_int_eq(ts_getsockname(&t.a, d.cfd, SA(got), &l), 0);
	ck_assert_int_eq(l, sizeof(struct sockaddr_in6));
	ck_assert_mem_eq(&got.sin6_addr, &m.sin6_addr, 16);
	ck_assert_int_eq(advmss(&t.a, d.cfd), 1460);
	close_conn(&t, &d);
	twostack_free(&t);
}
END_TEST

START_TEST(v6only_shares_the_port)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	/* [::]:9000 with IPV6_V6ONLY and 0.0.0.0:9000 side by side. */
	struct conn c6 = {0}, c4 = {0};
	c6.lfd = listen6(&t.b, 9000, 1);
	c4.lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in any4 = sin_of(0, 9000);
	ck_assert_int_eq(ts_bind(&t.b, c4.lfd, SA(any4), sizeof(any4)), 0);
	ck_assert_int_eq(ts_listen(&t.b, c4.lfd, 16), 0);
	/* Each family reaches its own listener. */
	struct sockaddr_in6 to6 = sin6_of(2, 9000);
	connect_and_transfer(&t, &c6, AF_INET6, SA(to6), sizeof(to6));
	struct sockaddr_in to4 = sin_of(IP_B, 9000);
	connect_and_transfer(&t, &c4, AF_INET, SA(to4), sizeof(to4));
	ck_assert_int_eq(c4.peer_len, sizeof(struct sockaddr_in));

	/* Without IPV6_V6ONLY, `::` covers 0.0.0.0 on the same port. */
	int d6 = ts_socket(&t.b, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 any6 = sin6_of(0, 9001);
	ck_assert_int_eq(ts_bind(&t.b, d6, SA(any6), sizeof(any6)), 0);
	int d4 = ts_socket(&t.b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any41 = sin_of(0, 9001);
	ck_assert_int_eq(ts_bind(&t.b, d4, SA(any41), sizeof(any41)), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	/* ipv6(7): IPV6_V6ONLY is fixed once the socket is bound. */
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(&t.b, d6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* An IPV6_V6ONLY socket refuses v4-mapped addresses. */
	int e6 = ts_socket(&t.a, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(ts_setsockopt(&t.a, e6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	struct sockaddr_in6 tom = mapped_of(IP_B, 9000);
	ck_assert_int_eq(ts_connect(&t.a, e6, SA(tom), sizeof(tom)), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	struct sockaddr_in6 ma = mapped_of(IP_A, 0);
	ck_assert_int_eq(ts_bind(&t.a, e6, SA(ma), sizeof(ma)), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* A sockaddr_in is not an AF_INET6 stream socket's address. */
	ck_assert_int_eq(ts_connect(&t.a, e6, SA(to4), sizeof(to4)), -1);
	ck_assert_int_eq(errno, EINVAL); /* 16 octets: shorter than SIN6_LEN_RFC2133 */
	ck_assert_int_eq(ts_close(&t.a, e6), 0);
	ck_assert_int_eq(ts_close(&t.b, d6), 0);
	ck_assert_int_eq(ts_close(&t.b, d4), 0);
	close_conn(&t, &c6);
	close_conn(&t, &c4);
	twostack_free(&t);
}
END_TEST

/* ---- UDP ---- */

static bool udp_readable(struct twostack *t, void *p)
{
	int *fd = p;
	char c;
	(void)t;
	return ts_recv(&t->b, *fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

static bool udp_readable_a(struct twostack *t, void *p)
{
	int *fd = p;
	char c;
	return ts_recv(&t->a, *fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0;
}

START_TEST(udp_over_ipv6_and_v4_mapped)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int s = ts_socket(&t.b, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 any6 = sin6_of(0, 7000);
	ck_assert_int_eq(ts_bind(&t.b, s, SA(any6), sizeof(any6)), 0);

	/* IPv6 to IPv6. */
	int c6 = ts_socket(&t.a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 to6 = sin6_of(2, 7000);
	ck_assert_int_eq(ts_sendto(&t.a, c6, "six", 3, 0, SA(to6), sizeof(to6)), 3);
	twostack_assert(&t, twostack_run_until(&t, udp_readable, &s, 5 * SEC));
	char buf[16];
	struct sockaddr_in6 from;
	socklen_t l = sizeof(from);
	ck_assert_int_eq(ts_recvfrom(&t.b, s, buf, sizeof(buf), 0, SA(from), &l), 3);
	ck_assert_mem_eq(buf, "six", 3);
	ck_assert_int_eq(l, sizeof(struct sockaddr_in6));
	struct sockaddr_in6 a1 = sin6_of(1, 0);
	ck_assert_mem_eq(&from.sin6_addr, &a1.sin6_addr, 16);
	/* The reply to that address comes back over IPv6. */
	ck_assert_int_eq(ts_sendto(&t.b, s, "xis", 3, 0, SA(from), l), 3);
	twostack_assert(&t, twostack_run_until(&t, udp_readable_a, &c6, 5 * SEC));
	struct sockaddr_in6 from6;
	l = sizeof(from6);
	ck_assert_int_eq(ts_recvfrom(&t.a, c6, buf, sizeof(buf), 0, SA(from6), &l), 3);
	ck_assert_mem_eq(&from6.sin6_addr, &to6.sin6_addr, 16);
	ck_assert_uint_eq(ntohs(from6.sin6_port), 7000);

	/* IPv4 to the dual-stack socket: named ::ffff:10.0.0.1, answered over IPv4. */
	int c4 = ts_socket(&t.a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to4 = sin_of(IP_B, 7000);
	ck_assert_int_eq(ts_sendto(&t.a, c4, "four", 4, 0, SA(to4), sizeof(to4)), 4);
	twostack_assert(&t, twostack_run_until(&t, udp_readable, &s, 5 * SEC));
	l = sizeof(from);
	ck_assert_int_eq(ts_recvfrom(&t.b, s, buf, sizeof(buf), 0, SA(from), &l), 4);
	struct sockaddr_in6 m = mapped_of(IP_A, 0);
	ck_assert_mem_eq(&from.sin6_addr, &m.sin6_addr, 16);
	ck_assert_int_eq(ts_sendto(&t.b, s, "ruof", 4, 0, SA(from), l), 4);
	twostack_assert(&t, twostack_run_until(&t, udp_readable_a, &c4, 5 * SEC));
	struct sockaddr_in from4;
	l = sizeof(from4);
	ck_assert_int_eq(ts_recvfrom(&t.a, c4, buf, sizeof(buf), 0, SA(from4), &l), 4);
	ck_assert_int_eq(l, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(ntohl(from4.sin_addr.s_addr), IP_B);
	ck_assert_mem_eq(buf, "ruof", 4);

	/* udpv6_sendmsg takes a plain sockaddr_in too, unless IPV6_V6ONLY. */
	ck_assert_int_eq(ts_sendto(&t.a, c6, "in", 2, 0, SA(to4), sizeof(to4)), 2);
	twostack_assert(&t, twostack_run_until(&t, udp_readable, &s, 5 * SEC));
	l = sizeof(from);
	ck_assert_int_eq(ts_recvfrom(&t.b, s, buf, sizeof(buf), 0, SA(from), &l), 2);
	ck_assert_mem_eq(&from.sin6_addr, &m.sin6_addr, 16);
	int one = 1;
	int c6o = ts_socket(&t.a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(ts_setsockopt(&t.a, c6o, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_sendto(&t.a, c6o, "in", 2, 0, SA(to4), sizeof(to4)), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	struct sockaddr_in6 mb = mapped_of(IP_B, 7000);
	ck_assert_int_eq(ts_sendto(&t.a, c6o, "in", 2, 0, SA(mb), sizeof(mb)), -1);
	ck_assert_int_eq(errno, ENETUNREACH);
	ts_close(&t.a, c6o);
	ts_close(&t.a, c6);
	ts_close(&t.a, c4);
	ts_close(&t.b, s);
	twostack_free(&t);
}
END_TEST

/* ---- options ---- */

START_TEST(ipv6_level_options)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int s4 = ts_socket(&t.a, AF_INET, SOCK_DGRAM, 0),
	    s6 = ts_socket(&t.a, AF_INET6, SOCK_DGRAM, 0);
	int v = 7;
	socklen_t l = sizeof(v);
	/* An AF_INET socket has no IPv6 level (ipv4's ip_setsockopt). */
	ck_assert_int_eq(ts_setsockopt(&t.a, s4, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)),
			 -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	ck_assert_int_eq(ts_getsockopt(&t.a, s4, IPPROTO_IPV6, IPV6_V6ONLY, &v, &l), -1);
	ck_assert_int_eq(errno, ENOPROTOOPT);
	/* do_ipv6_setsockopt: ranges and lengths. */
	ck_assert_int_eq(ts_setsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)),
			 0);
	v = 256;
	ck_assert_int_eq(ts_setsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)),
			 -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ts_setsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_TCLASS, &v, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &l), 0);
	ck_assert_int_eq(v, 7);
	v = -1;
	ck_assert_int_eq(ts_setsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)),
			 0);
	l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &l), 0);
	ck_assert_int_eq(v, 64); /* the default, as Linux reports it */
	v = 0x28;
	ck_assert_int_eq(ts_setsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v)), 0);
	l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_TCLASS, &v, &l), 0);
	ck_assert_int_eq(v, 0x28);
	l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, &l), 0);
	ck_assert_int_eq(v, IPV6_PMTUDISC_WANT);
	l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&t.a, s6, IPPROTO_IPV6, IPV6_MTU, &v, &l), -1);
	ck_assert_int_eq(errno, ENOTCONN);
	ts_close(&t.a, s4);
	ts_close(&t.a, s6);
	twostack_free(&t);
}
END_TEST

static Suite *ipv6_suite(void)
{
	Suite *s = suite_create("ipv6");
	TCase *tc = tcase_create("transport");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tcp_over_ipv6);
	tcase_add_test(tc, tcp_over_ipv6_under_loss);
	tcase_add_test(tc, dual_stack_listener_serves_ipv4);
	tcase_add_test(tc, v6only_shares_the_port);
	tcase_add_test(tc, udp_over_ipv6_and_v4_mapped);
	tcase_add_test(tc, ipv6_level_options);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(ipv6_suite)
