/*
 * epoll_test.c - ts_epoll semantics against epoll(7), driven by a fake
 * protocol whose ->poll() mask the test sets by hand, so every edge is
 * exact: level-triggered vs EPOLLET vs EPOLLONESHOT, EPOLLRDHUP only when
 * asked, EPOLLHUP/EPOLLERR always, round robin under maxevents, removal
 * on close, the epoll_ctl(2) error table, and (over a link with a kernel
 * fd) the timeout and *st->stop paths of the sleeping wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunit.h"
#include "tapstack.h"

/* ---- a fake protocol: readiness is whatever the test says ---- */

struct fake {
	uint32_t mask; /* what ->poll() returns */
	int polls;     /* ->poll() calls */
};

/*
 * ->close() calls.  Not in struct fake: the fixture's teardown closes the
 * sockets a test left open after that test's stack frame (and its fakes) died.
 */
static int fake_closes;

static uint32_t fake_poll(struct ts_sock *s)
{
	struct fake *f = s->pcb;
	f->polls++;
	return f->mask;
}

static void fake_close(struct ts_sock *s)
{
	s->pcb = NULL;
	fake_closes++;
}

static const struct ts_sock_ops fake_ops = {
    .poll = fake_poll,
    .close = fake_close,
};

static struct ts_test_stack T;

/* A descriptor for a fake socket whose readiness is *f. */
static int fake_socket(struct fake *f, struct ts_sock **out)
{
	struct ts_sock *s = ts_sock_new(&T.st, AF_INET, SOCK_STREAM, &fake_ops);
	ck_assert_ptr_nonnull(s);
	s->pcb = f;
	int fd = ts_fd_alloc(&T.st, TS_FD_SOCK, s);
	ck_assert_int_ge(fd, 3);
	s->fd = fd;
	if (out)
		*out = s;
	return fd;
}

static void setup(void)
{
	fake_closes = 0;
	ts_test_stack_init(&T, NULL);
}

static void teardown(void)
{
	ts_test_stack_free(&T);
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	return ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, fd, &ev);
}

static int wait_n(int ep, struct epoll_event *evs, int max)
{
	return ts_epoll_wait(&T.st, ep, evs, max, 0);
}

/* Descriptors start at 3, are shared by sockets and epoll, and reuse the lowest free. */
START_TEST(fd_numbering_lowest_free)
{
	struct fake f = {0};
	int a = fake_socket(&f, NULL);
	int ep = ts_epoll_create1(&T.st, 0);
	int b = fake_socket(&f, NULL);
	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(ep, 4);
	ck_assert_int_eq(b, 5);
	ck_assert_int_eq(ts_close(&T.st, a), 0);
	ck_assert_int_eq(fake_socket(&f, NULL), 3);
	ck_assert_int_eq(ts_close(&T.st, ep), 0);
	ck_assert_int_eq(ts_epoll_create(&T.st, 1), 4);
	ck_assert_int_eq(ts_close(&T.st, 99), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(ts_close(&T.st, 4), 0);
	ck_assert_int_eq(ts_close(&T.st, 4), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

/* Level-triggered: reported at every wait while ready, gone once not ready. */
START_TEST(level_triggered_repeats_while_ready)
{
	struct fake f = {.mask = EPOLLOUT};
	int fd = fake_socket(&f, NULL);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLIN, 42), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0); /* writable, but only EPOLLIN is wanted */
	f.mask = EPOLLIN | EPOLLOUT;
	ts_sock_wakeup(ts_fd_get(&T.st, fd, TS_FD_SOCK));
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(wait_n(ep, evs, 4), 1);
		ck_assert_uint_eq(evs[0].events, EPOLLIN);
		ck_assert_uint_eq(evs[0].data.u64, 42);
	}
	f.mask = EPOLLOUT; /* drained: no wakeup needed for LT to notice */
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
}
END_TEST

/* Edge-triggered: once per wakeup (new edge), never again without one. */
START_TEST(edge_triggered_once_per_edge)
{
	struct fake f = {.mask = EPOLLIN};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, EPOLL_CLOEXEC);
	struct epoll_event evs[4];

	/* Ready when added: one report (ep_insert queues it). */
	ck_assert_int_eq(add(ep, fd, EPOLLIN | EPOLLET, 7), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLIN);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0); /* still readable, no new edge */
	ts_sock_wakeup(s);			 /* more data arrived */
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].data.u64, 7);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	f.mask = 0;
	ts_sock_wakeup(s); /* a wakeup that left nothing ready reports nothing */
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	/* Several wakeups before one wait: still one event. */
	f.mask = EPOLLIN;
	ts_sock_wakeup(s);
	ts_sock_wakeup(s);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
}
END_TEST

/* One-shot: one report, then silent (even on wakeups) until EPOLL_CTL_MOD re-arms it. */
START_TEST(oneshot_disabled_until_mod)
{
	struct fake f = {.mask = EPOLLIN};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLIN | EPOLLONESHOT, 1), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	ts_sock_wakeup(s);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	f.mask = EPOLLIN | EPOLLERR | EPOLLHUP; /* not even ERR/HUP while disabled */
	ts_sock_wakeup(s);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	/* Re-arming with a mask that is already satisfied reports at once. */
	f.mask = EPOLLIN;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 2};
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_MOD, fd, &ev), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].data.u64, 2);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
}
END_TEST

/* EPOLLRDHUP (peer FIN) is reported only when asked; EPOLLIN comes with it. */
START_TEST(rdhup_only_when_requested)
{
	struct fake f = {0};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, 0);
	int ep2 = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLIN | EPOLLRDHUP | EPOLLET, 1), 0);
	ck_assert_int_eq(add(ep2, fd, EPOLLIN | EPOLLET, 2), 0);
	f.mask = EPOLLIN | EPOLLRDHUP | EPOLLOUT; /* what TCP reports after a FIN */
	ts_sock_wakeup(s);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLIN | EPOLLRDHUP);
	ck_assert_int_eq(wait_n(ep2, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLIN);
}
END_TEST

/* EPOLLHUP and EPOLLERR (reset) are reported whatever the interest mask. */
START_TEST(hup_err_always_reported)
{
	struct fake f = {0};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLOUT, 9), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	f.mask = EPOLLIN | EPOLLERR | EPOLLHUP; /* what TCP reports after RST */
	ts_sock_wakeup(s);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLERR | EPOLLHUP);
	/* Level-triggered: stays reported. */
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	/* Interest 0 still gets ERR/HUP (epoll_ctl(2): "always waited for"). */
	struct epoll_event ev = {.events = 0, .data.u64 = 10};
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_MOD, fd, &ev), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLERR | EPOLLHUP);
	ck_assert_uint_eq(evs[0].data.u64, 10);
}
END_TEST

/* More ready items than maxevents: level-triggered items rotate (round robin). */
START_TEST(maxevents_round_robin)
{
	struct fake f[3] = {{.mask = EPOLLIN}, {.mask = EPOLLIN}, {.mask = EPOLLIN}};
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[2];
	int seen[3] = {0};

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(add(ep, fake_socket(&f[i], NULL), EPOLLIN, (uint64_t)i), 0);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(wait_n(ep, evs, 2), 2);
		ck_assert_uint_ne(evs[0].data.u64, evs[1].data.u64);
		seen[evs[0].data.u64]++;
		seen[evs[1].data.u64]++;
	}
	/* Six reports over three items: each exactly twice, none starved. */
	ck_assert_int_eq(seen[0], 2);
	ck_assert_int_eq(seen[1], 2);
	ck_assert_int_eq(seen[2], 2);
}
END_TEST

/* Closing a socket removes it from every set; its fd number can be added again. */
START_TEST(close_removes_from_every_set)
{
	struct fake f = {.mask = EPOLLIN};
	int fd = fake_socket(&f, NULL);
	int ep1 = ts_epoll_create1(&T.st, 0), ep2 = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep1, fd, EPOLLIN, 1), 0);
	ck_assert_int_eq(add(ep2, fd, EPOLLIN | EPOLLET, 2), 0);
	ck_assert_int_eq(ts_close(&T.st, fd), 0);
	ck_assert_int_eq(fake_closes, 1);
	ck_assert_int_eq(wait_n(ep1, evs, 4), 0);
	ck_assert_int_eq(wait_n(ep2, evs, 4), 0);
	struct fake g = {.mask = EPOLLOUT};
	ck_assert_int_eq(fake_socket(&g, NULL), fd);
	ck_assert_int_eq(add(ep1, fd, EPOLLOUT, 3), 0);
	ck_assert_int_eq(wait_n(ep1, evs, 4), 1);
	ck_assert_uint_eq(evs[0].data.u64, 3);
	/* Closing the epoll instance first leaves the socket usable and unwatched. */
	ck_assert_int_eq(ts_close(&T.st, ep1), 0);
	struct ts_sock *s = ts_fd_get(&T.st, fd, TS_FD_SOCK);
	ck_assert_ptr_null(s->watch);
	ck_assert_int_eq(ts_close(&T.st, fd), 0);
}
END_TEST

/* DEL stops reports at once, even for an item already on the ready list. */
START_TEST(del_removes_ready_item)
{
	struct fake f = {.mask = EPOLLIN};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLIN, 1), 0);
	ts_sock_wakeup(s);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_DEL, fd, NULL), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	ck_assert_ptr_null(s->watch);
}
END_TEST

/* A wakeup naming only kinds an item does not watch leaves it alone (ep_poll_callback's key). */
START_TEST(wakeup_events_filters_by_interest)
{
	struct fake f = {.mask = EPOLLIN | EPOLLOUT};
	struct ts_sock *s;
	int fd = fake_socket(&f, &s);
	int ep = ts_epoll_create1(&T.st, 0);
	struct epoll_event evs[4];

	ck_assert_int_eq(add(ep, fd, EPOLLIN | EPOLLET, 1), 0);
	ck_assert_int_eq(wait_n(ep, evs, 4), 1); /* ready when added */
	ts_sock_wakeup_events(s, EPOLLOUT);	 /* space freed: not watched */
	ck_assert_int_eq(wait_n(ep, evs, 4), 0);
	ts_sock_wakeup_events(s, EPOLLIN); /* data: watched */
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
	ck_assert_uint_eq(evs[0].events, EPOLLIN);
	ts_sock_wakeup_events(s, EPOLLHUP); /* ERR/HUP always reach an item */
	ck_assert_int_eq(wait_n(ep, evs, 4), 1);
}
END_TEST

/* epoll_ctl(2) and epoll_wait(2) ERRORS. */
START_TEST(ctl_and_wait_errors)
{
	struct fake f = {0};
	int fd = fake_socket(&f, NULL);
	int ep = ts_epoll_create1(&T.st, 0);
	int ep2 = ts_epoll_create1(&T.st, 0);
	struct epoll_event ev = {.events = EPOLLIN}, evs[2];

	ck_assert_int_eq(add(ep, fd, EPOLLIN, 0), 0);
	ck_assert_int_eq(add(ep, fd, EPOLLIN, 0), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep2, EPOLL_CTL_MOD, fd, &ev), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep2, EPOLL_CTL_DEL, fd, NULL), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, 77, EPOLL_CTL_ADD, fd, &ev), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, 77, &ev), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, fd, EPOLL_CTL_ADD, fd, &ev), -1);
	ck_assert_int_eq(errno, EINVAL); /* epfd is not an epoll instance */
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, ep, &ev), -1);
	ck_assert_int_eq(errno, EINVAL); /* fd == epfd */
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, 99, fd, &ev), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, ep2, &ev), -1);
	ck_assert_int_eq(errno, EPERM); /* nesting is not supported */
	ck_assert_int_eq(ts_epoll_ctl(&T.st, ep2, EPOLL_CTL_ADD, fd, NULL), -1);
	ck_assert_int_eq(errno, EFAULT);
	ck_assert_int_eq(ts_epoll_wait(&T.st, ep, evs, 0, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ts_epoll_wait(&T.st, fd, evs, 2, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ts_epoll_wait(&T.st, 77, evs, 2, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(ts_epoll_create(&T.st, 0), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(ts_epoll_create1(&T.st, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	/* Socket calls on an epoll descriptor: ENOTSOCK. */
	ck_assert_int_eq(ts_listen(&T.st, ep, 1), -1);
	ck_assert_int_eq(errno, ENOTSOCK);
}
END_TEST

/* ---- the sleeping path: a link with a kernel fd (a pipe nobody writes) ---- */

struct pipedev {
	struct netdev dev;
	int rfd, wfd;
};

static ssize_t pipe_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			 uint64_t now_us)
{
	(void)d, (void)buf, (void)cap, (void)meta, (void)now_us;
	return 0;
}

static int pipe_send(struct netdev *d, const uint8_t *f, size_t len, const struct netdev_meta *meta,
		     uint64_t now_us)
{
	(void)d, (void)f, (void)len, (void)meta, (void)now_us;
	return 0;
}

static int pipe_pollfd(struct netdev *d)
{
	return ((struct pipedev *)d)->rfd;
}

static void pipe_destroy(struct netdev *d)
{
	struct pipedev *p = (struct pipedev *)d;
	close(p->rfd);
	close(p->wfd);
	free(p);
}

static const struct netdev_ops pipe_ops = {
    .recv = pipe_recv, .send = pipe_send, .pollfd = pipe_pollfd, .destroy = pipe_destroy};

static struct netdev *pipedev_new(void)
{
	struct pipedev *p = calloc(1, sizeof(*p));
	int fds[2];
	ck_assert_int_eq(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	p->rfd = fds[0];
	p->wfd = fds[1];
	p->dev.ops = &pipe_ops;
	return &p->dev;
}

/* An idle wait sleeps in the kernel for the timeout and returns 0; *stop gives EINTR. */
START_TEST(wait_sleeps_until_timeout_then_stop_interrupts)
{
	struct stack st;
	struct ts_config cfg;
	struct netdev *dev = pipedev_new();
	volatile int stop = 0;
	struct epoll_event evs[2];

	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	ck_assert_int_eq(stack_init(&st, &cfg, dev, ts_clock_us()), 0);
	ck_assert_int_ge(st.kq, 0);
	st.stop = &stop;
	int ep = ts_epoll_create1(&st, 0);
	int us = ts_socket(&st, AF_INET, SOCK_DGRAM, 0);
	struct epoll_event ev = {.events = EPOLLIN};
	ck_assert_int_eq(ts_epoll_ctl(&st, ep, EPOLL_CTL_ADD, us, &ev), 0);

	uint64_t t0 = ts_clock_us();
	ck_assert_int_eq(ts_epoll_wait(&st, ep, evs, 2, 60), 0);
	uint64_t dt = ts_clock_us() - t0;
	ck_assert_uint_ge(dt, 60000);
	ck_assert_uint_lt(dt, 2000000);

	/* A ready item returns at once, whatever the timeout. */
	ev.events = EPOLLOUT;
	ck_assert_int_eq(ts_epoll_ctl(&st, ep, EPOLL_CTL_MOD, us, &ev), 0);
	t0 = ts_clock_us();
	ck_assert_int_eq(ts_epoll_wait(&st, ep, evs, 2, 10000), 1);
	ck_assert_uint_lt(ts_clock_us() - t0, 1000000);

	stop = 1;
	ck_assert_int_eq(ts_epoll_wait(&st, ep, evs, 2, -1), -1);
	ck_assert_int_eq(errno, EINTR);
	/* A blocking read gives up the same way. */
	char c;
	ck_assert_int_eq(ts_read(&st, us, &c, 1), -1);
	ck_assert_int_eq(errno, EINTR);
	stack_destroy(&st);
	ck_assert_int_eq(st.bufs_live, 0);
	netdev_destroy(dev);
}
END_TEST

static Suite *epoll_suite(void)
{
	Suite *s = suite_create("epoll");
	TCase *tc = tcase_create("semantics");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fd_numbering_lowest_free);
	tcase_add_test(tc, level_triggered_repeats_while_ready);
	tcase_add_test(tc, edge_triggered_once_per_edge);
	tcase_add_test(tc, oneshot_disabled_until_mod);
	tcase_add_test(tc, rdhup_only_when_requested);
	tcase_add_test(tc, hup_err_always_reported);
	tcase_add_test(tc, maxevents_round_robin);
	tcase_add_test(tc, close_removes_from_every_set);
	tcase_add_test(tc, del_removes_ready_item);
	tcase_add_test(tc, ctl_and_wait_errors);
	tcase_add_test(tc, wakeup_events_filters_by_interest);
	suite_add_tcase(s, tc);
	TCase *tw = tcase_create("sleeping");
	tcase_add_test(tw, wait_sleeps_until_timeout_then_stop_interrupts);
	suite_add_tcase(s, tw);
	return s;
}
TS_SUITE(epoll_suite)
