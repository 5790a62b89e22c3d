/*
 * task_test.c - tasks (stack/task.c) between two whole stacks: blocking
 * calls written straight line inside tasks park them on the socket and the
 * readiness layer wakes them, as Go's netpoll does for goroutines.  Stack b
 * (10.0.0.2) serves, stack a (10.0.0.1) is the client; the tasks of each
 * run when twostack polls it, on the virtual clock.
 *
 * Covered: spawn and run order, yield, park and wake (accept, read, connect,
 * write) with the --trace sched lines, deadlines (expiry, expired before
 * the call, a new deadline reaching a parked task, outside tasks too), a
 * task that ends with sockets open, a close waking a task (and a blocking
 * call outside tasks) parked on that socket, generic waits (poll, epoll),
 * ts_run, and 10,000 tasks each holding a connection on small stacks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull
#define MS   1000ull

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

/* socket, SO_REUSEADDR, bind 0.0.0.0:port, listen: a blocking listener. */
static int listen_on(struct stack *st, uint16_t port, int flags)
{
	int one = 1, fd = ts_socket(st, AF_INET, SOCK_STREAM | flags, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = sin_of(0, port);
	ck_assert_int_eq(ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, fd, 4096), 0);
	return fd;
}

/* A blocking connect to b's port (from a task, or with a wait hook). */
static int dial(struct stack *st, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = sin_of(IP_B, port);
	if (ts_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		ts_close(st, fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* A non-blocking connect from the test's own context. */
static int dial_nb(struct stack *st, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = sin_of(IP_B, port);
	int r = ts_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa));
	ck_assert(r == 0 || errno == EINPROGRESS);
	return fd;
}

static struct ts_sched_stats stats_of(struct stack *st)
{
	struct ts_sched_stats s;
	ck_assert_int_eq(ts_sched_stats(st, &s), 0);
	return s;
}

static bool flag_set(struct twostack *t, void *ctx)
{
	(void)t;
	return *(volatile bool *)ctx;
}

static bool all_ended(struct twostack *t, void *ctx)
{
	(void)ctx;
	struct ts_sched_stats a, b;
	ts_sched_stats(&t->a, &a);
	ts_sched_stats(&t->b, &b);
	return a.live == 0 && b.live == 0;
}

/* ---- spawn, order, yield ---------------------------------------------------------- */

struct order {
	char log[64];
	int n;
	int yields;
};

static void log_id(struct stack *st, void *arg)
{
	struct order *o = arg;
	o->log[o->n++] = (char)('0' + ts_task_id(st));
	for (int i = 0; i < o->yields; i++) {
		ck_assert_int_eq(ts_yield(st), 0);
		o->log[o->n++] = (char)('0' + ts_task_id(st));
	}
}

/* ts_go starts nothing by itself: the next poll runs the tasks in order. */
START_TEST(spawn_runs_when_polled)
{
	struct twostack t;
	struct order o = {0};
	twostack_init(&t, NULL, NULL);
	ck_assert_int_eq(ts_task_id(&t.b), 0);
	ck_assert_int_eq(ts_go(&t.b, log_id, &o), 1);
	ck_assert_int_eq(ts_go(&t.b, log_id, &o), 2);
	ck_assert_int_eq(o.n, 0);
	struct ts_sched_stats s = stats_of(&t.b);
	ck_assert_uint_eq(s.live, 2);
	ck_assert_uint_eq(s.spawned, 2);
	ck_assert_uint_eq(s.stack_size, 65536);
	ck_assert_int_ge(stack_poll(&t.b, t.now_us), 2);
	ck_assert_str_eq(o.log, "12");
	s = stats_of(&t.b);
	ck_assert_uint_eq(s.live, 0);
	ck_assert_uint_eq(s.exited, 2);
	ck_assert_uint_eq(s.stacks_mapped, 2); /* kept for the next tasks */
	/* A third reuses a kept stack; ts_run returns once it ended. */
	ck_assert_int_eq(ts_go(&t.b, log_id, &o), 3);
	ck_assert_int_eq(ts_run(&t.b), 0);
	ck_assert_str_eq(o.log, "123");
	ck_assert_uint_eq(stats_of(&t.b).stacks_mapped, 2);
	ck_errno(ts_go(&t.b, NULL, NULL), EINVAL);
	twostack_free(&t);
}
END_TEST

/* Gosched: each yield lets the others run first; a pass runs each task once. */
START_TEST(yield_round_robin)
{
	struct twostack t;
	struct order o = {.yields = 2};
	twostack_init(&t, NULL, NULL);
	ts_go(&t.b, log_id, &o);
	ts_go(&t.b, log_id, &o);
	ts_go(&t.b, log_id, &o);
	ck_assert_int_eq(ts_yield(&t.b), 0); /* outside a task: one pass */
	ck_assert_str_eq(o.log, "123");
	ck_assert_int_eq(ts_yield(&t.b), 0);
	ck_assert_str_eq(o.log, "123123");
	ck_assert_int_eq(ts_run(&t.b), 0);
	ck_assert_str_eq(o.log, "123123123");
	twostack_free(&t);
}
END_TEST

/* ---- park and wake: the seed's server, with its client ----------------------------- */

struct seed {
	int lfd, conn;	       /* server's listener and connection */
	char got[64];	       /* what the server read */
	ssize_t got_n;	       /* its count */
	char reply[64];	       /* what the client read */
	ssize_t reply_n;       /* its total */
	bool served, answered; /* each side ended */
	uint64_t wrote_at;     /* when the client wrote */
};

/* Go: listener.Accept(); go process(conn) — here accept, read, write, close in one task. */
static void seed_server(struct stack *st, void *arg)
{
	struct seed *s = arg;
	s->lfd = listen_on(st, 9008, 0);
	s->conn = ts_accept(st, s->lfd, NULL, NULL);
	ck_assert_int_ge(s->conn, 0);
	s->got_n = ts_read(st, s->conn, s->got, sizeof(s->got));
	ck_assert_int_eq(ts_write(st, s->conn, "I am server!", 12), 12);
	ck_assert_int_eq(ts_close(st, s->conn), 0);
	ck_assert_int_eq(ts_close(st, s->lfd), 0);
	s->served = true;
}

static void seed_client(struct stack *st, void *arg)
{
	struct seed *s = arg;
	int fd = dial(st, 9008); /* parks in connect until the SYN,ACK */
	ck_assert_int_ge(fd, 0);
	/* A second of nothing: the server is parked in read by then. */
	ck_assert_int_eq(ts_poll(st, NULL, 0, 1000), 0);
	s->wrote_at = ts_now_us(st);
	ck_assert_int_eq(ts_write(st, fd, "hello", 5), 5);
	ssize_t n;
	while ((n = ts_read(st, fd, s->reply + s->reply_n, sizeof(s->reply) - 1 - s->reply_n)) > 0)
		s->reply_n += n;
	ck_assert_int_eq(n, 0); /* the server's FIN */
	ts_close(st, fd);
	s->answered = true;
}

START_TEST(park_and_wake)
{
	struct twostack t;
	struct seed s = {.lfd = -1};
	char *trace = NULL;
	size_t trace_len = 0;
	twostack_init(&t, NULL, NULL);
	t.b.cfg.trace = TS_TRACE_SCHED;
	t.b.cfg.trace_out = open_memstream(&trace, &trace_len);
	ts_go(&t.b, seed_server, &s);
	twostack_run_until(&t, NULL, NULL, 10 * MS);
	ck_assert_int_eq(s.lfd, 3);
	struct ts_sched_stats st = stats_of(&t.b);
	ck_assert_uint_eq(st.live, 1);
	ck_assert_uint_eq(st.parked, 1); /* in accept */
	ts_go(&t.a, seed_client, &s);
	twostack_assert(&t, twostack_run_until(&t, all_ended, NULL, 10 * SEC));
	ck_assert(s.served && s.answered);
	ck_assert_int_eq(s.got_n, 5);
	ck_assert_mem_eq(s.got, "hello", 5);
	ck_assert_int_eq(s.reply_n, 12);
	ck_assert_str_eq(s.reply, "I am server!");
	ck_assert_uint_ge(s.wrote_at, 1 * SEC + 1000 * MS); /* the client did wait a second */
	fclose(t.b.cfg.trace_out);
	t.b.cfg.trace = 0;
	/* The seed's sections 3.2 and V in order: park on EAGAIN, netpollready, execute. */
	const char *want[] = {
	    "sched go task 1 (go: newproc)\n",
	    "sched run task 1 (go: schedule -> execute)\n",
	    "sched park task 1: fd 3 accept = EAGAIN, waits for r (go: pollDesc.waitRead -> "
	    "gopark)\n",
	    "sched ready task 1: fd 3 r ready (go: netpoll -> netpollready)\n",
	    "sched run task 1 (go: schedule -> execute)\n",
	    "sched park task 1: fd 4 read = EAGAIN, waits for r (go: pollDesc.waitRead -> "
	    "gopark)\n",
	    "sched ready task 1: fd 4 r ready (go: netpoll -> netpollready)\n",
	    "sched run task 1 (go: schedule -> execute)\n",
	    "sched exit task 1 (go: goexit0)\n",
	};
	const char *at = trace;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *hit = strstr(at, want[i]);
		ck_assert_msg(hit, "trace lacks, in order, %s in:\n%s", want[i], trace);
		at = hit + strlen(want[i]);
	}
	free(trace);
	twostack_free(&t);
}
END_TEST

/* ---- deadlines ---------------------------------------------------------------------- */

struct dl {
	int lfd, conn;
	int accept_errno;      /* accept with a deadline and nobody dialling */
	uint64_t accept_at;    /* when it failed */
	int read_errno;	       /* read with a deadline and no data */
	uint64_t read_at;      /* when it failed */
	int expired_errno;     /* read with data waiting and the deadline passed */
	ssize_t after_clear;   /* read once the deadline is cleared */
	ssize_t partial;       /* a big write that met its deadline */
	int write_errno;       /* the next write, deadline still passed */
	int cancel_errno;      /* a read cancelled by a deadline set from outside */
	uint64_t cancel_at;    /* when */
	bool parked_in_cancel; /* the task is about to park for the cancel test */
	bool done;
};

static void dl_server(struct stack *st, void *arg)
{
	struct dl *d = arg;
	d->lfd = listen_on(st, 8000, 0);
	uint64_t t0 = ts_now_us(st);
	ck_assert_int_eq(ts_set_deadline(st, d->lfd, TS_DEADLINE_READ, t0 + 500 * MS), 0);
	ck_assert_int_eq(ts_accept(st, d->lfd, NULL, NULL), -1);
	d->accept_errno = errno;
	d->accept_at = ts_now_us(st) - t0;
	ck_assert_int_eq(ts_set_deadline(st, d->lfd, TS_DEADLINE_READ, 0), 0);
	d->conn = ts_accept(st, d->lfd, NULL, NULL); /* no deadline now: waits for the client */
	ck_assert_int_ge(d->conn, 0);

	char buf[8];
	t0 = ts_now_us(st);
	ck_assert_int_eq(ts_set_deadline(st, d->conn, TS_DEADLINE_READ, t0 + 2 * SEC), 0);
	ck_assert_int_eq(ts_read(st, d->conn, buf, sizeof(buf)), -1);
	d->read_errno = errno;
	d->read_at = ts_now_us(st) - t0;
	/* The client writes 3 s after the accept: sleep past that, then read
	 * with the deadline still passed (Go's pollDesc.prepare fails it). */
	ck_assert_int_eq(ts_poll(st, NULL, 0, 2000), 0);
	ck_assert_int_eq(ts_read(st, d->conn, buf, sizeof(buf)), -1);
	d->expired_errno = errno;
	ck_assert_int_eq(ts_set_deadline(st, d->conn, TS_DEADLINE_READ, 0), 0);
	d->after_clear = ts_read(st, d->conn, buf, sizeof(buf));

	/* The client never reads: a 4 MiB write stops at its deadline with a count. */
	static char big[4 << 20];
	ck_assert_int_eq(ts_set_deadline(st, d->conn, TS_DEADLINE_WRITE, ts_now_us(st) + 3 * SEC),
			 0);
	d->partial = ts_write(st, d->conn, big, sizeof(big));
	ck_assert_int_eq(ts_write(st, d->conn, big, 1), -1);
	d->write_errno = errno;

	/* No deadline, nothing coming: parked until the test sets a deadline from outside. */
	ck_assert_int_eq(ts_set_deadline(st, d->conn, TS_DEADLINE_RW, 0), 0);
	d->parked_in_cancel = true;
	t0 = ts_now_us(st);
	ck_assert_int_eq(ts_read(st, d->conn, buf, sizeof(buf)), -1);
	d->cancel_errno = errno;
	d->cancel_at = ts_now_us(st);
	ts_close(st, d->conn);
	ts_close(st, d->lfd);
	d->done = true;
}

START_TEST(deadlines)
{
	struct twostack t;
	struct dl d = {.lfd = -1, .conn = -1};
	twostack_init(&t, NULL, NULL);
	ts_go(&t.b, dl_server, &d);
	twostack_run_until(&t, NULL, NULL, 1 * SEC);
	ck_assert_int_eq(d.accept_errno, ETIMEDOUT);
	ck_assert_uint_ge(d.accept_at, 500 * MS);
	ck_assert_uint_lt(d.accept_at, 600 * MS);
	int c = dial_nb(&t.a, 8000);
	twostack_run_until(&t, NULL, NULL, 3 * SEC);
	ck_assert_int_eq(d.read_errno, ETIMEDOUT);
	ck_assert_uint_ge(d.read_at, 2 * SEC);
	ck_assert_uint_lt(d.read_at, 2 * SEC + 100 * MS);
	ck_assert_int_eq(ts_write(&t.a, c, "data", 4), 4);
	twostack_run_until(&t, NULL, NULL, 3 * SEC);
	ck_assert_int_eq(d.expired_errno, ETIMEDOUT); /* data was waiting, the call still failed */
	ck_assert_int_eq(d.after_clear, 4);	      /* and the connection was fine */
	twostack_run_until(&t, NULL, NULL, 5 * SEC);
	ck_assert_int_gt(d.partial, 0);
	ck_assert_int_lt(d.partial, 4 << 20);
	ck_assert_int_eq(d.write_errno, ETIMEDOUT);
	ck_assert(d.parked_in_cancel && !d.done);
	ck_assert_uint_eq(stats_of(&t.b).parked, 1);
	/* Go's way to cancel a blocked Read from elsewhere: a deadline in the past. */
	uint64_t now = t.b.now_us;
	ck_assert_int_eq(ts_set_deadline(&t.b, d.conn, TS_DEADLINE_READ, now), 0);
	twostack_run_until(&t, flag_set, &d.done, SEC);
	ck_assert(d.done);
	ck_assert_int_eq(d.cancel_errno, ETIMEDOUT);
	ck_assert_uint_eq(d.cancel_at, now);
	ck_errno(ts_set_deadline(&t.b, 99, TS_DEADLINE_READ, 0), EBADF);
	ck_errno(ts_set_deadline(&t.a, c, 4, 0), EINVAL);
	int ep = ts_epoll_create1(&t.a, 0);
	ck_errno(ts_set_deadline(&t.a, ep, TS_DEADLINE_READ, 0), ENOTSOCK);
	ts_close(&t.a, ep);
	ts_close(&t.a, c);
	twostack_free(&t);
}
END_TEST

/* Outside tasks a deadline bounds a blocking call the same way. */
START_TEST(deadline_outside_tasks)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	twostack_blocking(&t, 60 * SEC, NULL, NULL);
	int l = listen_on(&t.b, 8000, 0);
	int c = dial(&t.a, 8000);
	ck_assert_int_ge(c, 0);
	int s = ts_accept(&t.b, l, NULL, NULL);
	ck_assert_int_ge(s, 0);
	uint64_t t0 = t.b.now_us;
	ck_assert_int_eq(ts_set_deadline(&t.b, s, TS_DEADLINE_READ, t0 + 1500 * MS), 0);
	char buf[4];
	ck_errno(ts_read(&t.b, s, buf, sizeof(buf)), ETIMEDOUT);
	ck_assert_uint_ge(t.b.now_us, t0 + 1500 * MS);
	ck_assert_uint_lt(t.b.now_us, t0 + 1600 * MS);
	ck_errno(ts_recv(&t.b, s, buf, sizeof(buf), MSG_DONTWAIT), ETIMEDOUT);
	ts_close(&t.a, c);
	ts_close(&t.b, s);
	ts_close(&t.b, l);
	twostack_free(&t);
}
END_TEST

/* ---- a task that ends with its sockets open ----------------------------------------- */

struct leaver {
	int lfd, conn;
};

static void accept_and_leave(struct stack *st, void *arg)
{
	struct leaver *l = arg;
	l->lfd = listen_on(st, 8001, 0);
	l->conn = ts_accept(st, l->lfd, NULL, NULL);
	/* Returns with both open, as a goroutine may. */
}

static void wait_a_pass(struct stack *st, void *arg)
{
	(void)arg;
	ts_yield(st);
}

START_TEST(exit_leaves_socket_open)
{
	struct twostack t;
	struct leaver l = {-1, -1};
	twostack_init(&t, NULL, NULL);
	ts_go(&t.b, accept_and_leave, &l);
	int c = dial_nb(&t.a, 8001);
	twostack_assert(&t, twostack_run_until(&t, all_ended, NULL, 5 * SEC));
	ck_assert_int_ge(l.conn, 0);
	struct ts_sched_stats s = stats_of(&t.b);
	ck_assert_uint_eq(s.live, 0);
	ck_assert_uint_eq(s.exited, 1);
	/* The connection outlived its task: the test talks over it. */
	ck_assert_int_eq(ts_write(&t.b, l.conn, "still here", 10), 10);
	twostack_run_until(&t, NULL, NULL, 100 * MS);
	char buf[16];
	ck_assert_int_eq(ts_read(&t.a, c, buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "still here", 10);
	/* And the listener: another client is accepted outside any task. */
	int c2 = dial_nb(&t.a, 8001);
	twostack_run_until(&t, NULL, NULL, 100 * MS);
	ck_assert_int_eq(ts_set_nonblock(&t.b, l.lfd, 1), 0);
	int s2 = ts_accept(&t.b, l.lfd, NULL, NULL);
	ck_assert_int_ge(s2, 0);
	/* The stacks go back: 100 tasks at once, then a cache of 64 stays mapped. */
	for (int i = 0; i < 100; i++)
		ts_go(&t.b, wait_a_pass, NULL);
	ck_assert_int_eq(ts_run(&t.b), 0);
	s = stats_of(&t.b);
	ck_assert_uint_eq(s.peak, 100);
	ck_assert_uint_eq(s.live, 0);
	ck_assert_uint_eq(s.stacks_mapped, 64);
	ck_assert_uint_eq(s.stack_bytes_mapped, 64 * (uint64_t)(s.stack_size + 4096));
	ts_close(&t.a, c);
	ts_close(&t.a, c2);
	ts_close(&t.b, s2);
	ts_close(&t.b, l.conn);
	ts_close(&t.b, l.lfd);
	twostack_free(&t);
}
END_TEST

/* ---- a close wakes the tasks parked on that socket ---------------------------------- */

struct closer {
	int lfd, conn;
	int accept_r, accept_errno; /* a task parked in accept on lfd */
	int read_r, read_errno;	    /* a task parked in read on conn */
	ssize_t write_r;	    /* a task parked in write on conn */
	int write_errno;
	int ended; /* tasks that returned */
};

static void park_in_read(struct stack *st, void *arg)
{
	struct closer *c = arg;
	char buf[8];
	c->read_r = (int)ts_read(st, c->conn, buf, sizeof(buf));
	c->read_errno = errno;
	c->ended++;
}

static void park_in_write(struct stack *st, void *arg)
{
	struct closer *c = arg;
	static char big[4 << 20];
	c->write_r = ts_write(st, c->conn, big, sizeof(big));
	c->write_errno = errno;
	c->ended++;
}

static void park_in_accept(struct stack *st, void *arg)
{
	struct closer *c = arg;
	c->accept_r = ts_accept(st, c->lfd, NULL, NULL);
	c->accept_errno = errno;
	c->ended++;
}

static void close_both(struct stack *st, void *arg)
{
	struct closer *c = arg;
	ck_assert_int_eq(ts_close(st, c->conn), 0);
	ck_assert_int_eq(ts_close(st, c->lfd), 0);
	c->ended++;
}

/* Go: "use of closed network connection" for whoever was blocked on it. */
START_TEST(close_wakes_parked_tasks)
{
	struct twostack t;
	struct closer c = {0};
	twostack_init(&t, NULL, NULL);
	c.lfd = listen_on(&t.b, 8002, 0);
	int cli = dial_nb(&t.a, 8002);
	twostack_run_until(&t, NULL, NULL, 100 * MS);
	ck_assert_int_eq(ts_set_nonblock(&t.b, c.lfd, 1), 0);
	c.conn = ts_accept(&t.b, c.lfd, NULL, NULL);
	ck_assert_int_ge(c.conn, 0);
	ck_assert_int_eq(ts_set_nonblock(&t.b, c.lfd, 0), 0);
	ts_go(&t.b, park_in_accept, &c);
	ts_go(&t.b, park_in_read, &c);
	ts_go(&t.b, park_in_write, &c); /* the client never reads: the write fills the window */
	twostack_run_until(&t, NULL, NULL, 2 * SEC);
	ck_assert_uint_eq(stats_of(&t.b).parked, 3);
	ck_assert_int_eq(c.ended, 0);
	ts_go(&t.b, close_both, &c);
	twostack_assert(&t, twostack_run_until(&t, all_ended, NULL, SEC));
	ck_assert_int_eq(c.ended, 4);
	ck_assert_int_eq(c.accept_r, -1);
	ck_assert_int_eq(c.accept_errno, EBADF);
	ck_assert_int_eq(c.read_r, -1);
	ck_assert_int_eq(c.read_errno, EBADF);
	ck_assert_int_eq(c.write_r, -1);
	ck_assert_int_eq(c.write_errno, EBADF);
	ts_close(&t.a, cli);
	twostack_free(&t);
}
END_TEST

struct later_close {
	int fd;
	bool closed;
};

static void close_later(struct stack *st, void *arg)
{
	struct later_close *l = arg;
	ck_assert_int_eq(ts_poll(st, NULL, 0, 1000), 0);
	ck_assert_int_eq(ts_close(st, l->fd), 0);
	l->closed = true;
}

/* A blocking call outside any task, on a socket a task closes meanwhile. */
START_TEST(close_under_blocking_call_outside_tasks)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	twostack_blocking(&t, 60 * SEC, NULL, NULL);
	int l = listen_on(&t.b, 8003, 0);
	int c = dial(&t.a, 8003);
	ck_assert_int_ge(c, 0);
	struct later_close lc = {ts_accept(&t.b, l, NULL, NULL), false};
	ck_assert_int_ge(lc.fd, 0);
	ts_go(&t.b, close_later, &lc);
	char buf[4];
	ck_errno(ts_read(&t.b, lc.fd, buf, sizeof(buf)), EBADF);
	ck_assert(lc.closed);
	ts_close(&t.a, c);
	ts_close(&t.b, l);
	twostack_free(&t);
}
END_TEST

/* ---- generic waits: poll and epoll_wait in a task ----------------------------------- */

struct gw {
	int lfd;
	int poll_r;	    /* ts_poll with no descriptors: a sleep */
	uint64_t slept;	    /* how long */
	int ep_n;	    /* ts_epoll_wait's count */
	uint32_t ep_events; /* and events */
	struct pollfd pfd;  /* ts_poll on the listener */
	int pfd_r;
	bool done;
};

static void generic_waiter(struct stack *st, void *arg)
{
	struct gw *g = arg;
	uint64_t t0 = ts_now_us(st);
	g->poll_r = ts_poll(st, NULL, 0, 250);
	g->slept = ts_now_us(st) - t0;
	int ep = ts_epoll_create1(st, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = g->lfd};
	ck_assert_int_eq(ts_epoll_ctl(st, ep, EPOLL_CTL_ADD, g->lfd, &ev), 0);
	struct epoll_event out[4];
	g->ep_n = ts_epoll_wait(st, ep, out, 4, -1); /* until a client connects */
	g->ep_events = g->ep_n > 0 ? out[0].events : 0;
	ts_close(st, ep);
	g->pfd = (struct pollfd){.fd = g->lfd, .events = POLLIN};
	g->pfd_r = ts_poll(st, &g->pfd, 1, 5000);
	g->done = true;
}

START_TEST(generic_waits)
{
	struct twostack t;
	struct gw g = {0};
	twostack_init(&t, NULL, NULL);
	g.lfd = listen_on(&t.b, 8004, SOCK_NONBLOCK);
	ts_go(&t.b, generic_waiter, &g);
	twostack_run_until(&t, NULL, NULL, 2 * SEC);
	ck_assert_int_eq(g.poll_r, 0);
	ck_assert_uint_ge(g.slept, 250 * MS);
	ck_assert_uint_lt(g.slept, 260 * MS);
	ck_assert(!g.done);
	ck_assert_uint_eq(stats_of(&t.b).parked, 1); /* in epoll_wait, for ever */
	int c = dial_nb(&t.a, 8004);
	twostack_assert(&t, twostack_run_until(&t, flag_set, &g.done, SEC));
	ck_assert_int_eq(g.ep_n, 1);
	ck_assert_uint_eq(g.ep_events, EPOLLIN);
	ck_assert_int_eq(g.pfd_r, 1);
	ck_assert_int_eq(g.pfd.revents, POLLIN);
	ts_close(&t.a, c);
	ts_close(&t.b, g.lfd);
	twostack_free(&t);
}
END_TEST

/* ---- UDP: recvfrom parks too ---------------------------------------------------------- */

struct udp_wait {
	ssize_t n;		 /* what recvfrom returned */
	char buf[16];		 /* the datagram */
	struct sockaddr_in from; /* its sender */
	uint64_t at;		 /* when it returned */
	bool done;
};

static void udp_receiver(struct stack *st, void *arg)
{
	struct udp_wait *u = arg;
	int fd = ts_socket(st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = sin_of(0, 7007);
	ck_assert_int_eq(ts_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(u->from);
	u->n = ts_recvfrom(st, fd, u->buf, sizeof(u->buf), 0, (struct sockaddr *)&u->from, &len);
	u->at = ts_now_us(st);
	ts_close(st, fd);
	u->done = true;
}

START_TEST(recvfrom_parks)
{
	struct twostack t;
	struct udp_wait u = {0};
	twostack_init(&t, NULL, NULL);
	ts_go(&t.b, udp_receiver, &u);
	twostack_run_until(&t, NULL, NULL, SEC);
	ck_assert(!u.done);
	ck_assert_uint_eq(stats_of(&t.b).parked, 1);
	int c = ts_socket(&t.a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in to = sin_of(IP_B, 7007);
	uint64_t sent = t.a.now_us;
	ck_assert_int_eq(ts_sendto(&t.a, c, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)), 4);
	twostack_assert(&t, twostack_run_until(&t, flag_set, &u.done, SEC));
	ck_assert_int_eq(u.n, 4);
	ck_assert_mem_eq(u.buf, "ping", 4);
	ck_assert_uint_eq(ntohl(u.from.sin_addr.s_addr), IP_A);
	ck_assert_uint_ge(u.at, sent);
	ts_close(&t.a, c);
	twostack_free(&t);
}
END_TEST

/* ---- ts_run ---------------------------------------------------------------------------- */

static void run_from_task(struct stack *st, void *arg)
{
	int *r = arg;
	r[0] = ts_run(st);
	r[1] = errno;
}

static void read_forever(struct stack *st, void *arg)
{
	struct seed *s = arg;
	s->lfd = listen_on(st, 8005, 0);
	s->conn = ts_accept(st, s->lfd, NULL, NULL);
	s->got_n = ts_read(st, s->conn, s->got, sizeof(s->got)); /* nothing ever comes */
}

/* ts_run drives both sides through the wait hook; a task waiting on nothing is a deadlock. */
START_TEST(run_until_done_or_deadlock)
{
	struct twostack t;
	struct seed s = {.lfd = -1};
	int inner[2] = {0, 0};
	twostack_init(&t, NULL, NULL);
	twostack_blocking(&t, 30 * SEC, NULL, NULL);
	ts_go(&t.b, seed_server, &s);
	ts_go(&t.a, seed_client, &s);
	ck_assert_int_eq(ts_run(&t.b), 0); /* b's task ended; a's runs in the hook's polls */
	ck_assert(s.served);
	ck_assert_int_eq(ts_run(&t.a), 0);
	ck_assert(s.answered);
	ts_go(&t.b, run_from_task, inner);
	ck_assert_int_eq(ts_run(&t.b), 0);
	ck_assert_int_eq(inner[0], -1);
	ck_assert_int_eq(inner[1], EDEADLK);
	struct seed f = {.lfd = -1};
	ts_go(&t.b, read_forever, &f);
	ts_yield(&t.b); /* it listens */
	int c = dial(&t.a, 8005);
	ck_assert_int_ge(c, 0);
	ck_errno(ts_run(&t.b), EDEADLK); /* the hook's 30 s pass, nothing else can happen */
	ck_assert_uint_eq(stats_of(&t.b).parked, 1);
	ts_close(&t.a, c);
	twostack_free(&t); /* frees the parked task's stack too */
}
END_TEST

/* ---- 10,000 tasks, each holding a connection ------------------------------------------ */

#define MANY	   10000
#define MANY_BATCH 500

struct many {
	int lfd;
	int accepted;		    /* connections the accept task took */
	int echoed;		    /* connection tasks that got their byte and answered */
	int ended;		    /* connection tasks that saw the client's FIN */
	int failures;		    /* calls that failed */
	struct ts_sched_stats peak; /* stats when every connection had its task */
};

static void many_conn(struct stack *st, void *arg)
{
	struct many *m = ((void **)arg)[0];
	int fd = (int)(intptr_t)((void **)arg)[1];
	free(arg);
	char b;
	if (ts_read(st, fd, &b, 1) != 1 || ts_write(st, fd, &b, 1) != 1)
		m->failures++;
	else
		m->echoed++;
	if (ts_read(st, fd, &b, 1) != 0)
		m->failures++;
	ts_close(st, fd);
	m->ended++;
}

static void many_accept(struct stack *st, void *arg)
{
	struct many *m = arg;
	while (m->accepted < MANY) {
		int fd = ts_accept(st, m->lfd, NULL, NULL);
		if (fd < 0) {
			m->failures++;
			return;
		}
		m->accepted++;
		void **a = malloc(2 * sizeof(void *));
		a[0] = m;
		a[1] = (void *)(intptr_t)fd;
		ck_assert_int_gt(ts_go(st, many_conn, a), 0);
	}
}

static bool many_accepted(struct twostack *t, void *ctx)
{
	(void)t;
	struct many *m = ((struct many **)ctx)[0];
	int want = (int)(intptr_t)((void **)ctx)[1];
	return m->accepted >= want;
}

static void many_tweak(struct ts_config *cfg, char which)
{
	cfg->task_stack_size = 16 * 1024;
	(void)which;
}

static bool many_echoed(struct twostack *t, void *ctx)
{
	(void)t;
	struct many *m = ctx;
	return m->echoed + m->failures >= MANY;
}

START_TEST(ten_thousand_tasks_hold_connections)
{
	struct twostack t;
	struct many m = {0};
	static int cli[MANY];
	twostack_init(&t, NULL, many_tweak);
	m.lfd = listen_on(&t.b, 8006, 0);
	ts_go(&t.b, many_accept, &m);
	for (int i = 0; i < MANY; i += MANY_BATCH) {
		for (int j = i; j < i + MANY_BATCH; j++)
			cli[j] = dial_nb(&t.a, 8006);
		void *ctx[2] = {&m, (void *)(intptr_t)(i + MANY_BATCH)};
		twostack_assert(&t, twostack_run_until(&t, many_accepted, ctx, 10 * SEC));
	}
	twostack_run_until(&t, NULL, NULL, 10 * MS);
	/* Every connection has its task, parked in read. */
	m.peak = stats_of(&t.b);
	ck_assert_uint_eq(m.peak.live, MANY);
	ck_assert_uint_eq(m.peak.parked, MANY);
	ck_assert_uint_eq(m.peak.stack_size, 16 * 1024);
	/* Memory is bounded: one mapping per live task (and the accept task's,
	 * kept), and of each 16 KiB stack only the few pages a task touched. */
	ck_assert_uint_le(m.peak.stacks_mapped, MANY + 1);
	ck_assert_uint_eq(m.peak.stack_bytes_mapped,
			  (uint64_t)m.peak.stacks_mapped * (16 * 1024 + 4096));
	fprintf(stderr, "task_test: %u tasks parked, %llu KiB of stack resident (%.1f KiB each)\n",
		m.peak.live, (unsigned long long)m.peak.stack_bytes_resident / 1024,
		(double)m.peak.stack_bytes_resident / 1024 / m.peak.live);
	ck_assert_uint_le(m.peak.stack_bytes_resident, (uint64_t)m.peak.stacks_mapped * 8 * 1024);
	char one = 'x';
	for (int i = 0; i < MANY; i++)
		ck_assert_int_eq(ts_write(&t.a, cli[i], &one, 1), 1);
	twostack_assert(&t, twostack_run_until(&t, many_echoed, &m, 30 * SEC));
	ck_assert_int_eq(m.failures, 0);
	twostack_run_until(&t, NULL, NULL, 100 * MS); /* the last echoes cross the wire */
	for (int i = 0; i < MANY; i++) {
		char b = 0;
		ck_assert_int_eq(ts_read(&t.a, cli[i], &b, 1), 1);
		ck_assert_int_eq(b, 'x');
		ts_close(&t.a, cli[i]);
	}
	twostack_assert(&t, twostack_run_until(&t, all_ended, NULL, 30 * SEC));
	ck_assert_int_eq(m.ended, MANY);
	ck_assert_int_eq(m.failures, 0);
	struct ts_sched_stats end = stats_of(&t.b);
	ck_assert_uint_eq(end.exited, MANY + 1);
	ck_assert_uint_eq(end.live, 0);
	ck_assert_uint_le(end.stacks_mapped, 64); /* the rest went back */
	ts_close(&t.b, m.lfd);
	twostack_free(&t);
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tcase_create("tasks");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, spawn_runs_when_polled);
	tcase_add_test(tc, yield_round_robin);
	tcase_add_test(tc, park_and_wake);
	tcase_add_test(tc, deadlines);
	tcase_add_test(tc, deadline_outside_tasks);
	tcase_add_test(tc, exit_leaves_socket_open);
	tcase_add_test(tc, close_wakes_parked_tasks);
	tcase_add_test(tc, close_under_blocking_call_outside_tasks);
	tcase_add_test(tc, generic_waits);
	tcase_add_test(tc, recvfrom_parks);
	tcase_add_test(tc, run_until_done_or_deadlock);
	tcase_add_test(tc, ten_thousand_tasks_hold_connections);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(task_suite)
