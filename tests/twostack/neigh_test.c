/*
 * neigh_test.c - static neighbour entries (ts_neigh_add) between two whole
 * stacks: with each side's entry for the other in place, datagrams and a
 * TCP connection flow without a single ARP packet on the wire, as when a
 * harness or an exercise skips address resolution.
 */
#include <errno.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u

static const unsigned char mac_a[6] = {2, 0, 0, 0, 0, 1};
static const unsigned char mac_b[6] = {2, 0, 0, 0, 0, 2};

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

struct xfer {
	int ufd_b;	   /* UDP socket on b */
	int cfd, lfd, afd; /* TCP: a's client, b's listener, b's accepted */
	char got_udp[16];  /* what b received */
	char got_tcp[16];  /* what a read back over TCP */
	ssize_t udp_n, tcp_n;
};

static bool udp_arrived(struct twostack *t, void *ctx)
{
	struct xfer *x = ctx;
	x->udp_n = ts_recvfrom(&t->b, x->ufd_b, x->got_udp, sizeof(x->got_udp), 0, NULL, NULL);
	return x->udp_n > 0;
}

static bool tcp_echoed(struct twostack *t, void *ctx)
{
	struct xfer *x = ctx;
	if (x->afd < 0) {
		x->afd = ts_accept4(&t->b, x->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (x->afd < 0)
			return false;
	}
	char buf[16];
	ssize_t n = ts_read(&t->b, x->afd, buf, sizeof(buf));
	if (n > 0)
		ck_assert_int_eq(ts_write(&t->b, x->afd, buf, (size_t)n), n);
	n = ts_read(&t->a, x->cfd, x->got_tcp, sizeof(x->got_tcp));
	if (n > 0)
		x->tcp_n = n;
	return x->tcp_n > 0;
}

START_TEST(static_entries_no_arp_on_the_wire)
{
	struct twostack t;
	struct xfer x = {.afd = -1};
	twostack_init(&t, NULL, NULL);
	struct sockaddr_in a = sin_of(IP_A, 0), b = sin_of(IP_B, 0);
	ck_assert_int_eq(ts_neigh_add(&t.a, SA(b), sizeof(b), mac_b, 0), 0);
	ck_assert_int_eq(ts_neigh_add(&t.b, SA(a), sizeof(a), mac_a, 0), 0);

	/* UDP a → b. */
	x.ufd_b = ts_socket(&t.b, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in bu = sin_of(0, 5000);
	ck_assert_int_eq(ts_bind(&t.b, x.ufd_b, SA(bu), sizeof(bu)), 0);
	int ufd_a = ts_socket(&t.a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to = sin_of(IP_B, 5000);
	ck_assert_int_eq(ts_sendto(&t.a, ufd_a, "ping", 4, 0, SA(to), sizeof(to)), 4);
	ck_assert(twostack_run_until(&t, udp_arrived, &x, 1000000));
	ck_assert_int_eq(x.udp_n, 4);
	ck_assert_mem_eq(x.got_udp, "ping", 4);

	/* TCP a → b and back: SYN, SYN-ACK (b answers through its entry), data. */
	x.lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in bl = sin_of(0, 80);
	ck_assert_int_eq(ts_bind(&t.b, x.lfd, SA(bl), sizeof(bl)), 0);
	ck_assert_int_eq(ts_listen(&t.b, x.lfd, 4), 0);
	x.cfd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in dst = sin_of(IP_B, 80);
	ck_errno(ts_connect(&t.a, x.cfd, SA(dst), sizeof(dst)), EINPROGRESS);
	twostack_advance(&t, 100000);
	ck_assert_int_eq(ts_write(&t.a, x.cfd, "hello", 5), 5);
	ck_assert(twostack_run_until(&t, tcp_echoed, &x, 2000000));
	ck_assert_int_eq(x.tcp_n, 5);
	ck_assert_mem_eq(x.got_tcp, "hello", 5);

	ck_assert_uint_eq(t.a.counters[CTR_ARP_TX] + t.b.counters[CTR_ARP_TX], 0);
	ck_assert_uint_eq(t.a.counters[CTR_ARP_RX] + t.b.counters[CTR_ARP_RX], 0);
	twostack_free(&t);
}
END_TEST

static Suite *neigh_suite(void)
{
	Suite *s = suite_create("neigh");
	TCase *tc = tcase_create("static");
	tcase_add_test(tc, static_entries_no_arp_on_the_wire);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(neigh_suite)
