/*
 * sockerr_test.c - socket errors as Linux reports them (issue #9 item 11),
 * between two stacks: a (10.0.0.1) calls, b (10.0.0.2) listens, refuses or
 * resets.  Each sequence is one that tests/tools/sockerr_probe.c ran
 * against Linux 6.18 in a network namespace (docs/robustness.md quotes the
 * kernel's answers); the expectations here are the kernel's.
 *
 * Linux functions the behaviour comes from: __inet_stream_connect (the
 * socket's SS_CONNECTING state: EALREADY, then 0 once or the error),
 * inet_shutdown and tcp_disconnect (a listener or a connect in progress),
 * tcp_sendmsg_locked and sk_stream_error (a pending error before EPIPE).
 */
#include <errno.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"

#define IP_A	0x0a000001u
#define IP_B	0x0a000002u
#define IP_NONE 0x0a00004du /* 10.0.0.77: nobody answers ARP for it */
#define PORT	5000
#define CLOSED	5001
#define MS	1000ull

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

static int do_connect(struct stack *st, int fd, uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = sin_of(ip, port);
	return ts_connect(st, fd, SA(a), sizeof(a));
}

static int so_error(struct stack *st, int fd)
{
	int v = -1;
	socklen_t l = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &v, &l), 0);
	return v;
}

static short revents(struct stack *st, int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
	ts_poll(st, &p, 1, 0);
	return p.revents;
}

/* Two stacks; b listens on PORT; blocking calls on either move both. */
static int setup(struct twostack *t)
{
	twostack_init(t, NULL, NULL);
	twostack_blocking(t, 60 * 1000000ull, NULL, NULL);
	int l = ts_socket(&t->b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1; /* so that it may listen again beside the children it accepted */
	ck_assert_int_eq(ts_setsockopt(&t->b, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in a = sin_of(0, PORT);
	ck_assert_int_eq(ts_bind(&t->b, l, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_listen(&t->b, l, 8), 0);
	return l;
}

/* A blocking connect from a, accepted on b; *bfd gets b's end. */
static int connected(struct twostack *t, int l, int *bfd)
{
	int c = ts_socket(&t->a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(do_connect(&t->a, c, IP_B, PORT), 0);
	twostack_advance(t, 10 * MS);
	*bfd = ts_accept(&t->b, l, NULL, NULL);
	ck_assert_int_ge(*bfd, 0);
	return c;
}

/* b resets the connection (SO_LINGER 0 close). */
static void reset_by_b(struct twostack *t, int bfd)
{
	struct linger lg = {1, 0};
	ck_assert_int_eq(ts_setsockopt(&t->b, bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_close(&t->b, bfd), 0);
	twostack_advance(t, 10 * MS);
}

/* Linux: the error a reset left comes first, once, from send as from recv; then EPIPE. */
START_TEST(send_after_reset_reports_the_reset_first)
{
	for (int variant = 0; variant < 3; variant++) {
		struct twostack t;
		int l = setup(&t), bfd;
		int c = connected(&t, l, &bfd);
		reset_by_b(&t, bfd);
		ck_assert(revents(&t.a, c) & POLLERR);
		char b[4];
		if (variant == 0) {
			ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), ECONNRESET);
			ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), EPIPE);
			ck_assert_int_eq(ts_recv(&t.a, c, b, sizeof(b), 0), 0);
		} else if (variant == 1) {
			ck_errno(ts_recv(&t.a, c, b, sizeof(b), 0), ECONNRESET);
			ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), EPIPE);
			ck_assert_int_eq(ts_recv(&t.a, c, b, sizeof(b), 0), 0);
		} else {
			ck_errno(ts_shutdown(&t.a, c, SHUT_WR), ENOTCONN);
			ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), ECONNRESET);
			ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), EPIPE);
			ck_errno(do_connect(&t.a, c, IP_B, PORT), EISCONN);
			ck_errno(ts_shutdown(&t.a, c, SHUT_RDWR), ENOTCONN);
		}
		ts_close(&t.a, c);
		ts_close(&t.b, l);
		twostack_free(&t);
	}
}
END_TEST

/*
 * A refused non-blocking connect: the next connect reports ECONNREFUSED
 * (ECONNABORTED when SO_ERROR took it first) and the one after starts a
 * new handshake.  A write reports it too, then EPIPE; a read sees 0.
 */
START_TEST(refused_connect_reported_then_retried)
{
	for (int variant = 0; variant < 3; variant++) {
		struct twostack t;
		int l = setup(&t);
		int c = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_errno(do_connect(&t.a, c, IP_B, CLOSED), EINPROGRESS);
		twostack_advance(&t, 10 * MS);
		ck_assert_uint_eq(t.a.counters[CTR_TCP_ACTIVE_OPENS], 1);
		if (variant == 0) {
			ck_assert(revents(&t.a, c) & POLLERR);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), ECONNREFUSED);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), EINPROGRESS);
			ck_assert_uint_eq(t.a.counters[CTR_TCP_ACTIVE_OPENS], 2);
			twostack_advance(&t, 10 * MS);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), ECONNREFUSED);
			ck_assert_int_eq(so_error(&t.a, c), 0);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), EINPROGRESS);
		} else if (variant == 1) {
			ck_assert_int_eq(so_error(&t.a, c), ECONNREFUSED);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), ECONNABORTED);
			ck_errno(do_connect(&t.a, c, IP_B, CLOSED), EINPROGRESS);
		} else {
			char b[4];
			ck_errno(ts_write(&t.a, c, "x", 1), ECONNREFUSED);
			ck_errno(ts_write(&t.a, c, "x", 1), EPIPE);
			ck_assert_int_eq(ts_read(&t.a, c, b, sizeof(b)), 0);
		}
		twostack_advance(&t, 10 * MS);
		ts_close(&t.a, c);
		ts_close(&t.b, l);
		twostack_free(&t);
	}
}
END_TEST

/* A blocking connect refused; the next one is a new attempt, refused again; then one that works. */
START_TEST(blocking_refused_then_new_attempts)
{
	struct twostack t;
	int l = setup(&t);
	int c = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	ck_errno(do_connect(&t.a, c, IP_B, CLOSED), ECONNREFUSED);
	ck_errno(do_connect(&t.a, c, IP_B, CLOSED), ECONNREFUSED);
	ck_assert_uint_eq(t.a.counters[CTR_TCP_ACTIVE_OPENS], 2);
	ck_assert_int_eq(do_connect(&t.a, c, IP_B, PORT), 0);
	ck_errno(do_connect(&t.a, c, IP_B, PORT), EISCONN);
	ts_close(&t.a, c);
	ts_close(&t.b, l);
	twostack_free(&t);
}
END_TEST

/* A non-blocking connect that completed: the next connect says 0, once; then EISCONN. */
START_TEST(completed_nonblocking_connect_zero_once)
{
	struct twostack t;
	int l = setup(&t);
	int c = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_errno(do_connect(&t.a, c, IP_B, PORT), EINPROGRESS);
	ck_errno(do_connect(&t.a, c, IP_B, PORT), EALREADY);
	twostack_advance(&t, 10 * MS);
	ck_assert_int_eq(do_connect(&t.a, c, IP_B, PORT), 0);
	ck_errno(do_connect(&t.a, c, IP_B, PORT), EISCONN);
	ck_errno(do_connect(&t.a, c, IP_B, CLOSED), EISCONN);
	ts_close(&t.a, c);
	ts_close(&t.b, l);
	twostack_free(&t);
}
END_TEST

/*
 * inet_shutdown on a listener: SHUT_WR does nothing (0); SHUT_RD stops
 * listening (0): accept is EINVAL, the children waiting for accept are
 * reset, new SYNs refused; listen() works again.
 */
START_TEST(shutdown_listener_as_linux)
{
	struct twostack t;
	int l = setup(&t), b1, b2;
	char buf[4];
	int c1 = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(do_connect(&t.a, c1, IP_B, PORT), 0);
	twostack_advance(&t, 10 * MS);
	ck_assert_int_eq(ts_shutdown(&t.b, l, SHUT_WR), 0);
	b1 = ts_accept(&t.b, l, NULL, NULL);
	ck_assert_int_ge(b1, 0);
	int c2 = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(do_connect(&t.a, c2, IP_B, PORT), 0);
	twostack_advance(&t, 10 * MS);
	ck_assert_int_eq(ts_shutdown(&t.b, l, SHUT_RD), 0);
	ck_assert_int_eq(revents(&t.b, l), POLLOUT | POLLHUP);
	ck_errno(ts_accept(&t.b, l, NULL, NULL), EINVAL);
	twostack_advance(&t, 10 * MS);
	ck_errno(ts_recv(&t.a, c2, buf, sizeof(buf), MSG_DONTWAIT), ECONNRESET);
	int c3 = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	ck_errno(do_connect(&t.a, c3, IP_B, PORT), ECONNREFUSED);
	ck_assert_int_eq(ts_listen(&t.b, l, 8), 0);
	ck_errno(ts_accept(&t.b, l, NULL, NULL), EAGAIN);
	b2 = -1;
	ck_assert_int_eq(do_connect(&t.a, c3, IP_B, PORT), 0);
	twostack_advance(&t, 10 * MS);
	b2 = ts_accept(&t.b, l, NULL, NULL);
	ck_assert_int_ge(b2, 0);
	int fds_a[] = {c1, c2, c3}, fds_b[] = {b1, b2, l};
	for (int i = 0; i < 3; i++) {
		ts_close(&t.a, fds_a[i]);
		ts_close(&t.b, fds_b[i]);
	}
	twostack_free(&t);
}
END_TEST

/*
 * inet_shutdown on a connect in progress: the attempt is abandoned (0, SO_ERROR
 * ECONNRESET), a second shutdown is ENOTCONN, and the socket may connect again.
 */
START_TEST(shutdown_connecting_as_linux)
{
	for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
		struct twostack t;
		int l = setup(&t), bfd;
		int c = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		ck_errno(do_connect(&t.a, c, IP_NONE, 80), EINPROGRESS);
		twostack_advance(&t, 10 * MS);
		ck_assert_int_eq(ts_shutdown(&t.a, c, how), 0);
		ck_assert_int_eq(revents(&t.a, c), POLLOUT | POLLERR | POLLHUP);
		ck_assert_int_eq(so_error(&t.a, c), ECONNRESET);
		ck_errno(ts_shutdown(&t.a, c, how), ENOTCONN);
		ck_errno(do_connect(&t.a, c, IP_B, PORT), EINPROGRESS);
		twostack_advance(&t, 10 * MS);
		ck_assert_int_eq(do_connect(&t.a, c, IP_B, PORT), 0);
		bfd = ts_accept(&t.b, l, NULL, NULL);
		ck_assert_int_ge(bfd, 0);
		ts_close(&t.a, c);
		ts_close(&t.b, bfd);
		ts_close(&t.b, l);
		twostack_free(&t);
	}
}
END_TEST

/*
 * connect(AF_UNSPEC) on TCP (Linux tcp_disconnect): a fresh socket, 0; an
 * established connection is reset (the peer sees ECONNRESET, we SO_ERROR
 * ECONNRESET), forgets its peer and its address but not its port, and may
 * connect again; a listener stops; a connect in progress is abandoned.
 */
START_TEST(connect_unspec_disconnects)
{
	struct twostack t;
	int l = setup(&t), bfd;
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	char buf[4];
	int c = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ts_connect(&t.a, c, &un, sizeof(un)), 0);
	ck_assert_int_eq(so_error(&t.a, c), 0);
	ck_assert_int_eq(do_connect(&t.a, c, IP_B, PORT), 0);
	twostack_advance(&t, 10 * MS);
	bfd = ts_accept(&t.b, l, NULL, NULL);
	ck_assert_int_ge(bfd, 0);
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	ck_assert_int_eq(ts_getsockname(&t.a, c, SA(me), &ml), 0);
	uint16_t port = me.sin_port;
	ck_assert_int_eq(ts_connect(&t.a, c, &un, sizeof(un)), 0);
	ck_assert_int_eq(revents(&t.a, c), POLLOUT | POLLERR | POLLHUP);
	ck_assert_int_eq(so_error(&t.a, c), ECONNRESET);
	ml = sizeof(me);
	ck_assert_int_eq(ts_getsockname(&t.a, c, SA(me), &ml), 0);
	ck_assert_uint_eq(me.sin_port, port);
	ck_assert_uint_eq(me.sin_addr.s_addr, 0);
	twostack_advance(&t, 10 * MS);
	ck_errno(ts_recv(&t.b, bfd, buf, sizeof(buf), MSG_DONTWAIT), ECONNRESET);
	ck_errno(ts_send(&t.a, c, "x", 1, MSG_NOSIGNAL), EPIPE);
	ck_errno(ts_recv(&t.a, c, buf, sizeof(buf), MSG_DONTWAIT), ENOTCONN);
	ml = sizeof(me);
	ck_errno(ts_getpeername(&t.a, c, SA(me), &ml), ENOTCONN);
	ck_assert_int_eq(do_connect(&t.a, c, IP_B, PORT), 0);
	twostack_advance(&t, 10 * MS);
	int b2 = ts_accept(&t.b, l, NULL, NULL);
	ck_assert_int_ge(b2, 0);
	ck_assert_int_eq(ts_connect(&t.a, c, &un, 4), 0);
	ck_errno(ts_connect(&t.a, c, &un, 1), EINVAL);
	ts_close(&t.a, c);

	/* A listener stops listening, and may listen again. */
	ck_assert_int_eq(ts_connect(&t.b, l, &un, sizeof(un)), 0);
	ck_errno(ts_accept(&t.b, l, NULL, NULL), EINVAL);
	ck_assert_int_eq(ts_listen(&t.b, l, 4), 0);
	/* A connect in progress is abandoned, and may start again. */
	int d = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_errno(do_connect(&t.a, d, IP_NONE, 80), EINPROGRESS);
	ck_assert_int_eq(ts_connect(&t.a, d, &un, sizeof(un)), 0);
	ck_assert_int_eq(so_error(&t.a, d), ECONNRESET);
	ck_errno(do_connect(&t.a, d, IP_NONE, 80), EINPROGRESS);
	twostack_advance(&t, 10 * MS);
	ts_close(&t.a, d);
	ts_close(&t.b, bfd);
	ts_close(&t.b, b2);
	ts_close(&t.b, l);
	twostack_free(&t);
}
END_TEST

static Suite *sockerr_suite(void)
{
	Suite *s = suite_create("sockerr");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, send_after_reset_reports_the_reset_first);
	tcase_add_test(tc, refused_connect_reported_then_retried);
	tcase_add_test(tc, blocking_refused_then_new_attempts);
	tcase_add_test(tc, completed_nonblocking_connect_zero_once);
	tcase_add_test(tc, shutdown_listener_as_linux);
	tcase_add_test(tc, shutdown_connecting_as_linux);
	tcase_add_test(tc, connect_unspec_disconnects);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(sockerr_suite)
