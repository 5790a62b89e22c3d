/*
 * socket_api_test.c - the ts_ socket API's errno contract over two real
 * stacks (TCP underneath), case by case as Linux answers: EADDRINUSE
 * without SO_REUSEADDR, ECONNREFUSED through SO_ERROR (read and clear),
 * EALREADY/EISCONN, ECONNRESET then EPIPE after a reset, 0 at EOF with
 * EPOLLRDHUP, EPIPE after SHUT_WR, ENOTCONN, accept's peer address, and
 * epoll's view of each (EPOLLOUT on connect, EPOLLERR|EPOLLHUP on reset).
 *
 * The "blocking" case runs the peer stack in a child process over a
 * socketpair link with real fds and the real clock, so that blocking calls
 * (which drive only their own stack, sleeping in the kernel) can complete.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "twostack.h"
#include "tapstack.h"
#include "handler.h"
#include "services.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(ip);
	return a;
}

static int listener(struct stack *st, uint16_t port, bool reuse)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	if (reuse)
		ck_assert_int_eq(ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)),
				 0);
	struct sockaddr_in a = sin_of(0, port);
	ck_assert_int_eq(ts_bind(st, fd, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_listen(st, fd, 16), 0);
	return fd;
}

/* An epoll instance on stack st watching fd for everything, level-triggered. */
struct watch {
	struct stack *st;
	int ep, fd;
	uint32_t want; /* stop when any of these is reported */
	uint32_t got;  /* last events seen */
};

static bool watch_done(struct twostack *t, void *p)
{
	struct watch *w = p;
	struct epoll_event ev[4];
	(void)t;
	int n = ts_epoll_wait(w->st, w->ep, ev, 4, 0);
	ck_assert_int_ge(n, 0);
	w->got = n ? ev[0].events : 0;
	return (w->got & w->want) != 0;
}

static void watch_init(struct watch *w, struct stack *st, int fd, uint32_t want)
{
	w->st = st;
	w->fd = fd;
	w->want = want;
	w->got = 0;
	w->ep = ts_epoll_create1(st, 0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.fd = fd};
	ck_assert_int_eq(ts_epoll_ctl(st, w->ep, EPOLL_CTL_ADD, fd, &ev), 0);
}

/* Runs until w reports one of w->want (with the stacks moving), or fails. */
static uint32_t wait_for(struct twostack *t, struct watch *w, uint32_t want)
{
	w->want = want;
	twostack_assert(t, twostack_run_until(t, watch_done, w, 30 * SEC));
	return w->got;
}

struct conn {
	int lfd, afd, bfd; /* listener on b, client on a, accepted on b */
	struct watch wa;   /* epoll on a, watching afd */
};

static bool accepted(struct twostack *t, void *p)
{
	struct conn *c = p;
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	c->bfd = ts_accept4(&t->b, c->lfd, SA(peer), &len, SOCK_NONBLOCK);
	if (c->bfd < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return false;
	}
	ck_assert_int_eq(len, sizeof(peer));
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), IP_A);
	ck_assert_uint_ge(ntohs(peer.sin_port), 32768);
	return true;
}

/* a connects to b:port; both ends established, epoll on a saw EPOLLOUT. */
static void open_conn(struct twostack *t, struct conn *c, uint16_t port)
{
	c->lfd = listener(&t->b, port, true);
	c->afd = ts_socket(&t->a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	watch_init(&c->wa, &t->a, c->afd, EPOLLOUT);
	struct sockaddr_in to = sin_of(IP_B, port);
	ck_errno(ts_connect(&t->a, c->afd, SA(to), sizeof(to)), EINPROGRESS);
	ck_errno(ts_connect(&t->a, c->afd, SA(to), sizeof(to)), EALREADY);
	ck_assert_uint_eq(wait_for(t, &c->wa, EPOLLOUT) & (EPOLLOUT | EPOLLERR), EPOLLOUT);
	twostack_assert(t, twostack_run_until(t, accepted, c, 10 * SEC));
	int err = -1;
	socklen_t len = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(&t->a, c->afd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0);
	/* __inet_stream_connect: the completed connect is reported once (0), then EISCONN. */
	ck_assert_int_eq(ts_connect(&t->a, c->afd, SA(to), sizeof(to)), 0);
	ck_errno(ts_connect(&t->a, c->afd, SA(to), sizeof(to)), EISCONN);
}

static void close_conn(struct twostack *t, struct conn *c)
{
	ts_close(&t->a, c->wa.ep);
	ts_close(&t->a, c->afd);
	if (c->bfd >= 0)
		ts_close(&t->b, c->bfd);
	ts_close(&t->b, c->lfd);
}

/* Without SO_REUSEADDR a port in use cannot be bound again; never two listeners. */
START_TEST(eaddrinuse_without_reuseaddr)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int l1 = listener(&t.b, 8000, false);
	int s2 = ts_socket(&t.b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = sin_of(0, 8000);
	ck_errno(ts_bind(&t.b, s2, SA(a), sizeof(a)), EADDRINUSE);
	a = sin_of(IP_B, 8000);
	ck_errno(ts_bind(&t.b, s2, SA(a), sizeof(a)), EADDRINUSE);
	/* SO_REUSEADDR on both still cannot make a second listener. */
	int one = 1;
	int l3 = listener(&t.b, 8001, true);
	int s4 = ts_socket(&t.b, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ts_setsockopt(&t.b, s4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	a = sin_of(0, 8001);
	int r = ts_bind(&t.b, s4, SA(a), sizeof(a));
	if (r == 0)
		ck_errno(ts_listen(&t.b, s4, 4), EADDRINUSE);
	else
		ck_assert_int_eq(errno, EADDRINUSE);
	/* Closing the first listener frees its port. */
	ck_assert_int_eq(ts_close(&t.b, l1), 0);
	a = sin_of(0, 8000);
	ck_assert_int_eq(ts_bind(&t.b, s2, SA(a), sizeof(a)), 0);
	ts_close(&t.b, s2);
	ts_close(&t.b, l3);
	ts_close(&t.b, s4);
	twostack_free(&t);
}
END_TEST

/* Connecting to a closed port: EPOLLERR, SO_ERROR = ECONNREFUSED once, then 0. */
START_TEST(econnrefused_via_so_error)
{
	struct twostack t;
	struct watch w;
	twostack_init(&t, NULL, NULL);
	int fd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	watch_init(&w, &t.a, fd, EPOLLERR);
	struct sockaddr_in to = sin_of(IP_B, 81);
	ck_errno(ts_connect(&t.a, fd, SA(to), sizeof(to)), EINPROGRESS);
	uint32_t ev = wait_for(&t, &w, EPOLLERR);
	ck_assert_uint_eq(ev & (EPOLLERR | EPOLLHUP), EPOLLERR | EPOLLHUP);
	int err = -1;
	socklen_t len = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(&t.a, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, ECONNREFUSED);
	ck_assert_int_eq(ts_getsockopt(&t.a, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0);
	ck_assert_uint_eq(t.b.drops[DROP_TCP_NO_SOCKET], 1);
	ts_close(&t.a, w.ep);
	ts_close(&t.a, fd);
	twostack_free(&t);
}
END_TEST

/* Peer resets (SO_LINGER 0 close): EPOLLERR|EPOLLHUP, read ECONNRESET, then write EPIPE. */
START_TEST(econnreset_then_epipe)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	ck_assert_int_eq(ts_setsockopt(&t.b, c.bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_close(&t.b, c.bfd), 0);
	c.bfd = -1;
	uint32_t ev = wait_for(&t, &c.wa, EPOLLERR);
	ck_assert_uint_eq(ev & (EPOLLERR | EPOLLHUP), EPOLLERR | EPOLLHUP);
	char buf[16];
	ck_errno(ts_read(&t.a, c.afd, buf, sizeof(buf)), ECONNRESET);
	ck_errno(ts_write(&t.a, c.afd, "x", 1), EPIPE);
	ck_errno(ts_write(&t.a, c.afd, "x", 1), EPIPE);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

static bool readable(struct twostack *t, void *p)
{
	struct watch *w = p;
	(void)t;
	return watch_done(t, w);
}

/* Peer's FIN: data first, then read returns 0 (again and again), EPOLLRDHUP reported. */
START_TEST(eof_reads_zero_with_rdhup)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	ck_assert_int_eq(ts_write(&t.b, c.bfd, "bye", 3), 3);
	ck_assert_int_eq(ts_shutdown(&t.b, c.bfd, SHUT_WR), 0);
	c.wa.want = EPOLLRDHUP;
	twostack_assert(&t, twostack_run_until(&t, readable, &c.wa, 10 * SEC));
	ck_assert_uint_eq(c.wa.got & (EPOLLIN | EPOLLRDHUP | EPOLLHUP), EPOLLIN | EPOLLRDHUP);
	char buf[16];
	ck_assert_int_eq(ts_read(&t.a, c.afd, buf, sizeof(buf)), 3);
	ck_assert_mem_eq(buf, "bye", 3);
	ck_assert_int_eq(ts_read(&t.a, c.afd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ts_read(&t.a, c.afd, buf, sizeof(buf)), 0);
	/* Half-closed: we can still send, and the peer still reads. */
	ck_assert_int_eq(ts_write(&t.a, c.afd, "ok", 2), 2);
	struct watch wb;
	watch_init(&wb, &t.b, c.bfd, EPOLLIN);
	twostack_assert(&t, twostack_run_until(&t, readable, &wb, 10 * SEC));
	ck_assert_int_eq(ts_read(&t.b, c.bfd, buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "ok", 2);
	ts_close(&t.b, wb.ep);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* After our own SHUT_WR, writing fails with EPIPE; reading still works. */
START_TEST(write_after_shut_wr_epipe)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	ck_assert_int_eq(ts_shutdown(&t.a, c.afd, SHUT_WR), 0);
	ck_errno(ts_write(&t.a, c.afd, "x", 1), EPIPE);
	ck_assert_int_eq(ts_write(&t.b, c.bfd, "hi", 2), 2);
	c.wa.want = EPOLLIN;
	twostack_assert(&t, twostack_run_until(&t, readable, &c.wa, 10 * SEC));
	char buf[8];
	ck_assert_int_eq(ts_read(&t.a, c.afd, buf, sizeof(buf)), 2);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* A stream socket that never connected: ENOTCONN for read, peer name and shutdown. */
START_TEST(enotconn_on_fresh_stream_socket)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int fd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	char buf[4];
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	ck_errno(ts_read(&t.a, fd, buf, sizeof(buf)), ENOTCONN);
	ck_errno(ts_getpeername(&t.a, fd, SA(a), &len), ENOTCONN);
	ck_errno(ts_shutdown(&t.a, fd, SHUT_WR), ENOTCONN);
	/* tcp_sendmsg on a closed socket: EPIPE (Linux also raises SIGPIPE; we never do). */
	ck_errno(ts_write(&t.a, fd, "x", 1), EPIPE);
	/* accept on a socket that is not listening: EINVAL. */
	ck_errno(ts_accept(&t.a, fd, NULL, NULL), EINVAL);
	ts_close(&t.a, fd);
	twostack_free(&t);
}
END_TEST

/* Names on both ends of a connection agree. */
START_TEST(names_of_a_connection)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	struct sockaddr_in al, ap, bl, bp;
	socklen_t len = sizeof(al);
	ck_assert_int_eq(ts_getsockname(&t.a, c.afd, SA(al), &len), 0);
	ck_assert_int_eq(ts_getpeername(&t.a, c.afd, SA(ap), &len), 0);
	ck_assert_int_eq(ts_getsockname(&t.b, c.bfd, SA(bl), &len), 0);
	ck_assert_int_eq(ts_getpeername(&t.b, c.bfd, SA(bp), &len), 0);
	ck_assert_uint_eq(ntohl(al.sin_addr.s_addr), IP_A);
	ck_assert_uint_eq(ntohl(ap.sin_addr.s_addr), IP_B);
	ck_assert_uint_eq(ntohs(ap.sin_port), 8080);
	ck_assert_uint_eq(bl.sin_port, ap.sin_port);
	ck_assert_uint_eq(bl.sin_addr.s_addr, ap.sin_addr.s_addr);
	ck_assert_uint_eq(bp.sin_port, al.sin_port);
	ck_assert_uint_eq(bp.sin_addr.s_addr, al.sin_addr.s_addr);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- blocking calls: the peer stack runs in a child process ---- */

/* A link over one end of a socketpair(AF_UNIX, SOCK_DGRAM): one datagram per frame. */
struct fddev {
	struct netdev dev;
	int fd;
};

static ssize_t fd_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
		       uint64_t now_us)
{
	(void)meta, (void)now_us; /* no offloads: frames cross whole */
	ssize_t n = read(((struct fddev *)d)->fd, buf, cap);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	return n;
}

static int fd_send(struct netdev *d, const uint8_t *f, size_t len, const struct netdev_meta *meta,
		   uint64_t now_us)
{
	(void)meta, (void)now_us; /* stack_init saw no caps op: nothing is ever partial */
	return write(((struct fddev *)d)->fd, f, len) == (ssize_t)len ? 0 : -EIO;
}

static int fd_pollfd(struct netdev *d)
{
	return ((struct fddev *)d)->fd;
}

static void fd_destroy(struct netdev *d)
{
	close(((struct fddev *)d)->fd);
	free(d);
}

static const struct netdev_ops fd_ops = {
    .recv = fd_recv, .send = fd_send, .pollfd = fd_pollfd, .destroy = fd_destroy};

static struct netdev *fddev_new(int fd)
{
	struct fddev *d = calloc(1, sizeof(*d));
	d->dev.ops = &fd_ops;
	d->fd = fd;
	return &d->dev;
}

static void stack_cfg(struct ts_config *cfg, uint32_t ip, uint8_t last_mac)
{
	ts_config_default(cfg);
	cfg->ip = ip;
	cfg->mac[5] = last_mac;
	cfg->seed = last_mac;
	cfg->gratuitous_arp = false;
}

/* The child's client: connects to a:5000, says "hi", closes. */
struct hi_client {
	struct ts_handler h;
	struct stack *st;
	int fd;
};

static void hi_event(struct ts_handler *h, uint32_t events)
{
	struct hi_client *c = (struct hi_client *)h;
	if (c->fd >= 0 && (events & EPOLLOUT)) {
		ts_write(c->st, c->fd, "hi", 2);
		ts_close(c->st, c->fd);
		c->fd = -1;
	}
}

/* Stack b with the services, plus one client of a:5000, until ctl becomes readable. */
static void __attribute__((noreturn)) peer_main(int link_fd, int ctl_fd)
{
	struct stack st;
	struct ts_config cfg;
	struct netdev *dev = fddev_new(link_fd);
	struct services *svc;
	stack_cfg(&cfg, IP_B, 2);
	if (stack_init(&st, &cfg, dev, ts_clock_us()) < 0)
		_exit(2);
	int ep = ts_epoll_create1(&st, 0);
	if (services_start(&svc, &st, ep) < 0)
		_exit(3);
	struct hi_client hc = {
	    {hi_event}, &st, ts_socket(&st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct sockaddr_in to = sin_of(IP_A, 5000);
	ts_connect(&st, hc.fd, SA(to), sizeof(to));
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.ptr = &hc};
	ts_epoll_ctl(&st, ep, EPOLL_CTL_ADD, hc.fd, &ev);
	uint64_t give_up = ts_clock_us() + 30 * SEC;
	for (;;) {
		struct pollfd p = {.fd = ctl_fd, .events = POLLIN};
		if (poll(&p, 1, 0) > 0 || ts_clock_us() > give_up)
			break;
		struct epoll_event evs[32];
		int n = ts_epoll_wait(&st, ep, evs, 32, 20);
		for (int i = 0; i < n; i++) {
			struct ts_handler *h = evs[i].data.ptr;
			h->on_event(h, evs[i].events);
		}
	}
	services_stop(svc);
	stack_destroy(&st);
	netdev_destroy(dev);
	_exit(0);
}

/*
 * Blocking accept, read (data, then 0 at EOF), connect (success and
 * ECONNREFUSED as the call's own result), and a write larger than every
 * buffer that returns only when all of it was queued.
 */
START_TEST(blocking_calls_complete)
{
	int sv[2], ctl[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(pipe(ctl), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		close(ctl[1]);
		peer_main(sv[1], ctl[0]);
	}
	close(sv[1]);
	close(ctl[0]);

	struct stack st;
	struct ts_config cfg;
	struct netdev *dev = fddev_new(sv[0]);
	stack_cfg(&cfg, IP_A, 1);
	ck_assert_int_eq(stack_init(&st, &cfg, dev, ts_clock_us()), 0);

	int l = listener(&st, 5000, true);
	ck_assert_int_eq(ts_set_nonblock(&st, l, 0), 0);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int c = ts_accept(&st, l, SA(peer), &len);
	ck_assert_int_ge(c, 0);
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), IP_B);
	char buf[16];
	ck_assert_int_eq(ts_read(&st, c, buf, sizeof(buf)), 2);
	ck_assert_mem_eq(buf, "hi", 2);
	ck_assert_int_eq(ts_read(&st, c, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ts_close(&st, c), 0);

	int e = ts_socket(&st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = sin_of(IP_B, 7);
	ck_assert_int_eq(ts_connect(&st, e, SA(to), sizeof(to)), 0);
	enum { TOTAL = 600000 };
	static uint8_t out[TOTAL], in[TOTAL];
	for (size_t i = 0; i < TOTAL; i++)
		out[i] = (uint8_t)(i * 31 + (i >> 10));
	/* More than our send buffer: returns once every byte is queued. */
	ck_assert_int_eq(ts_write(&st, e, out, TOTAL), TOTAL);
	size_t got = 0;
	while (got < TOTAL) {
		ssize_t n = ts_read(&st, e, in + got, TOTAL - got);
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
	}
	ck_assert_mem_eq(in, out, TOTAL);
	ck_assert_int_eq(ts_close(&st, e), 0);

	int r = ts_socket(&st, AF_INET, SOCK_STREAM, 0);
	to = sin_of(IP_B, 81);
	ck_errno(ts_connect(&st, r, SA(to), sizeof(to)), ECONNREFUSED);
	int err = -1;
	len = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(&st, r, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	ck_assert_int_eq(err, 0); /* the blocking connect consumed it */
	ck_assert_int_eq(ts_close(&st, r), 0);

	ck_assert_int_eq(write(ctl[1], "q", 1), 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	close(ctl[1]);
	ts_close(&st, l);
	stack_destroy(&st);
	ck_assert_int_eq(st.bufs_live, 0);
	netdev_destroy(dev);
}
END_TEST

static Suite *socket_api_suite(void)
{
	Suite *s = suite_create("socket_api");
	TCase *tc = tcase_create("errno");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, eaddrinuse_without_reuseaddr);
	tcase_add_test(tc, econnrefused_via_so_error);
	tcase_add_test(tc, econnreset_then_epipe);
	tcase_add_test(tc, eof_reads_zero_with_rdhup);
	tcase_add_test(tc, write_after_shut_wr_epipe);
	tcase_add_test(tc, enotconn_on_fresh_stream_socket);
	tcase_add_test(tc, names_of_a_connection);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("blocking");
	tcase_set_timeout(tb, 60);
	tcase_add_test(tb, blocking_calls_complete);
	suite_add_tcase(s, tb);
	return s;
}
TS_SUITE(socket_api_suite)
