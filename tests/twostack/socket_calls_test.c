/*
 * socket_calls_test.c - the calls and options of issue 8 between two whole
 * stacks over the in-memory wire: poll readiness as a connection lives and
 * dies, readv/writev/sendmsg/recvmsg byte-exact with several vectors,
 * MSG_PEEK, MSG_WAITALL across segments, SO_RCVLOWAT, the queue ioctls at
 * known points, TCP_INFO against the control block and the frames, and
 * what the wire shows of TCP_MAXSEG, IP_TOS, IP_TTL, SO_BROADCAST,
 * SO_LINGER, SO_RCVBUF after connect and the window scale.  The last tests
 * are written straight line with blocking calls: the wait hook
 * (twostack_blocking) moves the other stack and the virtual clock.
 *
 * A sniffer netdev between a stack and its wire end records what that
 * stack sends (and can lose it all, to play a silent host).
 */
#include <errno.h>
#include <linux/tcp.h>
#include <stdlib.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

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

static struct tcp_pcb *pcb_of(struct stack *st, int fd)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	ck_assert_ptr_nonnull(s);
	return s->pcb;
}

/* ---- the sniffer ---- */

#define SNIFF_MAX 16384

/* One frame a stack sent, as far as the tests look at it. */
struct seen {
	uint64_t at_us;		 /* the stack's clock when it sent it */
	uint8_t tos, ttl, proto; /* IPv4 */
	uint8_t flags;		 /* TCP control bits */
	uint32_t seq, ack;	 /* TCP */
	uint16_t win;		 /* TCP window field, unscaled */
	uint32_t len;		 /* TCP or UDP payload bytes */
	uint16_t mss;		 /* MSS option, 0: none */
	int ws;			 /* window scale option, -1: none */
	uint32_t dst;		 /* IPv4 destination, host order */
};

struct sniff {
	struct netdev dev;
	struct netdev *lower;
	bool drop;  /* lose every frame (a host gone silent) */
	uint32_t n; /* frames recorded */
	struct seen f[SNIFF_MAX];
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void sniff_record(struct sniff *s, const uint8_t *f, size_t len, uint64_t now_us)
{
	if (len < 34 || be16(f + 12) != 0x0800 || s->n >= SNIFF_MAX)
		return;
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, total = be16(ip + 2);
	struct seen *e = &s->f[s->n++];
	memset(e, 0, sizeof(*e));
	e->at_us = now_us;
	e->tos = ip[1];
	e->ttl = ip[8];
	e->proto = ip[9];
	e->dst = be32(ip + 16);
	e->ws = -1;
	const uint8_t *l4 = ip + ihl;
	if (e->proto == 6) {
		size_t doff = (size_t)(l4[12] >> 4) * 4;
		e->seq = be32(l4 + 4);
		e->ack = be32(l4 + 8);
		e->flags = l4[13];
		e->win = be16(l4 + 14);
		e->len = (uint32_t)(total - ihl - doff);
		for (size_t i = 20; i < doff;) {
			uint8_t kind = l4[i];
			if (kind == 0)
				break;
			if (kind == 1) {
				i++;
				continue;
			}
			uint8_t olen = l4[i + 1];
			if (olen < 2)
				break;
			if (kind == 2)
				e->mss = be16(l4 + i + 2);
			if (kind == 3)
				e->ws = l4[i + 2];
			i += olen;
		}
	} else if (e->proto == 17) {
		e->len = be16(l4 + 4) - 8u;
	}
}

static ssize_t sniff_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			  uint64_t now_us)
{
	return netdev_recv_meta(((struct sniff *)d)->lower, buf, cap, meta, now_us);
}

static int sniff_send(struct netdev *d, const uint8_t *f, size_t len,
		      const struct netdev_meta *meta, uint64_t now_us)
{
	struct sniff *s = (struct sniff *)d;
	if (s->drop)
		return 0;
	sniff_record(s, f, len, now_us);
	return netdev_send_meta(s->lower, f, len, meta, now_us);
}

static void sniff_caps(struct netdev *d, struct netdev_caps *caps)
{
	netdev_caps(((struct sniff *)d)->lower, caps);
}

static uint64_t sniff_deadline(struct netdev *d)
{
	return netdev_next_deadline(((struct sniff *)d)->lower);
}

static void sniff_destroy(struct netdev *d)
{
	netdev_destroy(((struct sniff *)d)->lower);
	free(d);
}

static const struct netdev_ops sniff_ops = {.recv = sniff_recv,
					    .send = sniff_send,
					    .caps = sniff_caps,
					    .next_deadline = sniff_deadline,
					    .destroy = sniff_destroy};

/* Puts a sniffer under stack a or b (which), owned by the twostack from then on. */
static struct sniff *sniff_stack(struct twostack *t, char which)
{
	struct sniff *s = calloc(1, sizeof(*s));
	ck_assert_ptr_nonnull(s);
	s->dev.ops = &sniff_ops;
	if (which == 'a') {
		s->lower = t->da;
		t->da = t->a.dev = &s->dev;
	} else {
		s->lower = t->db;
		t->db = t->b.dev = &s->dev;
	}
	return s;
}

/* ---- connections ---- */

struct conn {
	int lfd, afd, bfd; /* listener on b, client on a, accepted on b */
};

static int listener(struct stack *st, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in a = sin_of(0, port);
	ck_assert_int_eq(ts_bind(st, fd, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_listen(st, fd, 16), 0);
	return fd;
}

static bool accepted(struct twostack *t, void *p)
{
	struct conn *c = p;
	if (c->bfd < 0)
		c->bfd = ts_accept4(&t->b, c->lfd, NULL, NULL, SOCK_NONBLOCK);
	return c->bfd >= 0 && pcb_of(&t->a, c->afd)->state == TCPS_ESTABLISHED;
}

/* Connects a (afd, non-blocking, created by the caller or here) to a listener on b. */
static void connect_fd(struct twostack *t, struct conn *c, int afd, int lfd, uint16_t port)
{
	c->lfd = lfd;
	c->afd = afd;
	c->bfd = -1;
	struct sockaddr_in to = sin_of(IP_B, port);
	ck_errno(ts_connect(&t->a, c->afd, SA(to), sizeof(to)), EINPROGRESS);
	twostack_assert(t, twostack_run_until(t, accepted, c, 10 * SEC));
}

static void open_conn(struct twostack *t, struct conn *c, uint16_t port)
{
	int lfd = listener(&t->b, port);
	connect_fd(t, c, ts_socket(&t->a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), lfd, port);
}

static void close_conn(struct twostack *t, struct conn *c)
{
	if (c->afd >= 0)
		ts_close(&t->a, c->afd);
	if (c->bfd >= 0)
		ts_close(&t->b, c->bfd);
	ts_close(&t->b, c->lfd);
}

/* poll of one descriptor, no waiting. */
static short poll1(struct stack *st, int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	ck_assert_int_ge(ts_poll(st, &p, 1, 0), 0);
	return p.revents;
}

struct pollwait {
	struct stack *st;
	int fd;
	short events, want;
	short got;
};

static bool poll_reports(struct twostack *t, void *p)
{
	struct pollwait *w = p;
	(void)t;
	w->got = poll1(w->st, w->fd, w->events);
	return (w->got & w->want) != 0;
}

/* Runs both stacks until poll on fd reports one of want; returns revents. */
static short wait_poll(struct twostack *t, struct stack *st, int fd, short events, short want)
{
	struct pollwait w = {st, fd, events, want, 0};
	twostack_assert(t, twostack_run_until(t, poll_reports, &w, 30 * SEC));
	return w.got;
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131u + seed + (i >> 9)) & 0xff);
}

struct drain {
	struct stack *st;
	int fd;
	uint8_t *buf;
	size_t want, got;
};

static bool drained(struct twostack *t, void *p)
{
	struct drain *d = p;
	(void)t;
	while (d->got < d->want) {
		ssize_t n = ts_read(d->st, d->fd, d->buf + d->got, d->want - d->got);
		if (n <= 0)
			break;
		d->got += (size_t)n;
	}
	return d->got == d->want;
}

/* ---- poll ---- */

/* revents through a connection's life, as Linux's tcp_poll gives them. */
START_TEST(poll_readiness_transitions)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	const short all = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;
	int lfd = listener(&t.b, 8080);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(poll1(&t.a, afd, all), POLLOUT | POLLHUP); /* CLOSE */
	ck_assert_int_eq(poll1(&t.b, lfd, POLLIN | POLLOUT), 0);
	struct sockaddr_in to = sin_of(IP_B, 8080);
	ck_errno(ts_connect(&t.a, afd, SA(to), sizeof(to)), EINPROGRESS);
	ck_assert_int_eq(poll1(&t.a, afd, all), 0); /* SYN-SENT: nothing yet */
	ck_assert_int_eq(wait_poll(&t, &t.a, afd, all, POLLOUT), POLLOUT);
	/* The listener has a connection to accept. */
	ck_assert_int_eq(wait_poll(&t, &t.b, lfd, POLLIN | POLLRDNORM, POLLIN),
			 POLLIN | POLLRDNORM);
	int bfd = ts_accept(&t.b, lfd, NULL, NULL);
	ck_assert_int_ge(bfd, 0);
	ck_assert_int_eq(poll1(&t.b, lfd, POLLIN), 0);
	ck_assert_int_eq(ts_write(&t.b, bfd, "hello", 5), 5);
	ck_assert_int_eq(wait_poll(&t, &t.a, afd, all | POLLRDNORM | POLLWRNORM, POLLIN),
			 POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
	/* The peer's FIN: readable (EOF) and POLLRDHUP, still writable. */
	ck_assert_int_eq(ts_shutdown(&t.b, bfd, SHUT_WR), 0);
	ck_assert_int_eq(wait_poll(&t, &t.a, afd, all, POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP);
	char buf[8];
	ck_assert_int_eq(ts_read(&t.a, afd, buf, sizeof(buf)), 5);
	ck_assert_int_eq(poll1(&t.a, afd, all), POLLIN | POLLOUT | POLLRDHUP);
	/* Both directions shut: POLLHUP as well. */
	ck_assert_int_eq(ts_shutdown(&t.a, afd, SHUT_WR), 0);
	ck_assert_int_eq(poll1(&t.a, afd, all), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	ck_assert_int_eq(wait_poll(&t, &t.b, bfd, all, POLLRDHUP),
			 POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	ts_close(&t.a, afd);
	ts_close(&t.b, bfd);

	/* A reset: POLLERR and POLLHUP, whatever was asked. */
	struct conn c;
	connect_fd(&t, &c, ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), lfd, 8080);
	struct linger lg = {1, 0};
	ck_assert_int_eq(ts_setsockopt(&t.b, c.bfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_close(&t.b, c.bfd), 0);
	c.bfd = -1;
	ck_assert_int_eq(wait_poll(&t, &t.a, c.afd, 0, POLLERR),
			 POLLERR | POLLHUP); /* events 0: only the unmaskable ones */
	ck_assert_int_eq(poll1(&t.a, c.afd, all), POLLIN | POLLOUT | POLLERR | POLLHUP | POLLRDHUP);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- vectors ---- */

/* writev/readv and sendmsg/recvmsg over TCP, byte-exact, vectors of odd sizes. */
START_TEST(vectors_byte_exact_tcp)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	enum { TOTAL = 150000 };
	static uint8_t out[TOTAL], in[TOTAL];
	fill_pattern(out, TOTAL, 7);
	/* Five vectors, one empty, 150000 bytes: more than one write can take
	 * at once is fine, the rest goes in a second call. */
	struct iovec wv[5] = {{out, 1},
			      {out + 1, 0},
			      {out + 1, 70000},
			      {out + 70001, 3},
			      {out + 70004, TOTAL - 70004}};
	size_t sent = 0;
	ssize_t n = ts_writev(&t.a, c.afd, wv, 5);
	ck_assert_int_gt(n, 0);
	sent = (size_t)n;
	size_t got = 0;
	while (got < TOTAL) {
		/* Seven vectors of odd sizes in; the sender tops up as the window opens. */
		size_t left = TOTAL - got;
		size_t sz[7] = {1, 7, 100, 1449, 3, 65536, 99999};
		struct iovec rv[7];
		size_t off = got;
		for (int i = 0; i < 7; i++) {
			size_t k = sz[i] < left ? sz[i] : left;
			rv[i].iov_base = in + off;
			rv[i].iov_len = k;
			off += k;
			left -= k;
		}
		twostack_advance(&t, 50 * MS);
		n = ts_readv(&t.b, c.bfd, rv, 7);
		if (n < 0) {
			ck_assert_int_eq(errno, EAGAIN);
		} else {
			got += (size_t)n;
		}
		if (sent < TOTAL) {
			struct msghdr m = {.msg_iov = &(struct iovec){out + sent, TOTAL - sent},
					   .msg_iovlen = 1};
			n = ts_sendmsg(&t.a, c.afd, &m, MSG_DONTWAIT);
			if (n > 0)
				sent += (size_t)n;
		}
	}
	ck_assert_mem_eq(in, out, TOTAL);
	/* recvmsg on a stream: no name (length 0), no flags. */
	ck_assert_int_eq(ts_write(&t.b, c.bfd, "abcdefgh", 8), 8);
	twostack_advance(&t, 100 * MS);
	char x[3], y[10];
	struct iovec rv[2] = {{x, 3}, {y, 10}};
	struct sockaddr_in from;
	struct msghdr m = {.msg_name = &from,
			   .msg_namelen = sizeof(from),
			   .msg_iov = rv,
			   .msg_iovlen = 2,
			   .msg_flags = 0x7777};
	ck_assert_int_eq(ts_recvmsg(&t.a, c.afd, &m, 0), 8);
	ck_assert_mem_eq(x, "abc", 3);
	ck_assert_mem_eq(y, "defgh", 5);
	ck_assert_int_eq(m.msg_namelen, 0);
	ck_assert_int_eq(m.msg_flags, 0);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

static int udp_bound(struct stack *st, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = sin_of(0, port);
	ck_assert_int_eq(ts_bind(st, fd, SA(a), sizeof(a)), 0);
	return fd;
}

/* UDP: one datagram gathered from three vectors, scattered into two, with its sender. */
START_TEST(vectors_byte_exact_udp)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int ua = udp_bound(&t.a, 4000), ub = udp_bound(&t.b, 5000);
	struct sockaddr_in to = sin_of(IP_B, 5000);
	struct iovec wv[3] = {{"one,", 4}, {"two,", 4}, {"three", 5}};
	struct msghdr sm = {
	    .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = wv, .msg_iovlen = 3};
	ck_assert_int_eq(ts_sendmsg(&t.a, ua, &sm, 0), 13);
	ck_assert_int_eq(ts_sendmsg(&t.a, ua, &sm, 0), 13);
	ck_assert_int_eq(wait_poll(&t, &t.b, ub, POLLIN, POLLIN), POLLIN);
	int n = -1;
	ck_assert_int_eq(ts_ioctl(&t.b, ub, FIONREAD, &n), 0);
	ck_assert_int_eq(n, 13);
	char p1[6], p2[20];
	struct iovec rv[2] = {{p1, 6}, {p2, 20}};
	struct sockaddr_in from = {0};
	struct msghdr rm = {
	    .msg_name = &from, .msg_namelen = sizeof(from) + 4, .msg_iov = rv, .msg_iovlen = 2};
	ck_assert_int_eq(ts_recvmsg(&t.b, ub, &rm, 0), 13);
	ck_assert_mem_eq(p1, "one,tw", 6);
	ck_assert_mem_eq(p2, "o,three", 7);
	ck_assert_int_eq(rm.msg_namelen, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), IP_A);
	ck_assert_uint_eq(ntohs(from.sin_port), 4000);
	ck_assert_int_eq(rm.msg_flags, 0);
	/* Too small: cut, MSG_TRUNC in msg_flags; with MSG_TRUNC the real length. */
	rv[0].iov_len = 4;
	rm.msg_iovlen = 1;
	ck_assert_int_eq(ts_recvmsg(&t.b, ub, &rm, MSG_PEEK), 4);
	ck_assert_int_eq(rm.msg_flags, MSG_TRUNC);
	ck_assert_int_eq(ts_recvmsg(&t.b, ub, &rm, MSG_TRUNC), 13);
	ck_assert_int_eq(rm.msg_flags, MSG_TRUNC);
	ck_assert_mem_eq(p1, "one,", 4);
	ck_errno(ts_recvmsg(&t.b, ub, &rm, 0), EAGAIN);
	/* writev on a connected datagram socket is one datagram. */
	struct sockaddr_in back = sin_of(IP_A, 4000);
	ck_assert_int_eq(ts_connect(&t.b, ub, SA(back), sizeof(back)), 0);
	ck_assert_int_eq(ts_writev(&t.b, ub, wv, 3), 13);
	ck_assert_int_eq(wait_poll(&t, &t.a, ua, POLLIN, POLLIN), POLLIN);
	char all[32];
	ck_assert_int_eq(ts_recv(&t.a, ua, all, sizeof(all), 0), 13);
	ck_assert_mem_eq(all, "one,two,three", 13);
	ts_close(&t.a, ua);
	ts_close(&t.b, ub);
	twostack_free(&t);
}
END_TEST

/* MSG_PEEK leaves the data for the next read, on a stream and on a datagram. */
START_TEST(msg_peek)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	ck_assert_int_eq(ts_send(&t.a, c.afd, "peekaboo", 8, 0), 8);
	ck_assert_int_eq(wait_poll(&t, &t.b, c.bfd, POLLIN, POLLIN), POLLIN);
	char buf[16];
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, buf, 4, MSG_PEEK), 4);
	ck_assert_mem_eq(buf, "peek", 4);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, buf, sizeof(buf), MSG_PEEK), 8);
	int n = -1;
	ck_assert_int_eq(ts_ioctl(&t.b, c.bfd, FIONREAD, &n), 0);
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, buf, 2, 0), 2);
	ck_assert_mem_eq(buf, "pe", 2);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, buf, sizeof(buf), MSG_PEEK), 6);
	ck_assert_mem_eq(buf, "ekaboo", 6);
	/* MSG_TRUNC on a stream drops bytes without copying them (tcp(7)). */
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, NULL, 3, MSG_TRUNC), 3);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, buf, sizeof(buf), 0), 3);
	ck_assert_mem_eq(buf, "boo", 3);
	close_conn(&t, &c);

	int ua = udp_bound(&t.a, 4000), ub = udp_bound(&t.b, 5000);
	struct sockaddr_in to = sin_of(IP_B, 5000);
	ck_assert_int_eq(ts_sendto(&t.a, ua, "first", 5, 0, SA(to), sizeof(to)), 5);
	ck_assert_int_eq(ts_sendto(&t.a, ua, "second", 6, 0, SA(to), sizeof(to)), 6);
	twostack_advance(&t, 10 * MS);
	ck_assert_int_eq(ts_recv(&t.b, ub, buf, sizeof(buf), MSG_PEEK), 5);
	ck_assert_int_eq(ts_recv(&t.b, ub, buf, sizeof(buf), MSG_PEEK), 5);
	ck_assert_int_eq(ts_recv(&t.b, ub, buf, sizeof(buf), 0), 5);
	ck_assert_mem_eq(buf, "first", 5);
	ck_assert_int_eq(ts_recv(&t.b, ub, buf, sizeof(buf), 0), 6);
	ck_assert_mem_eq(buf, "second", 6);
	ts_close(&t.a, ua);
	ts_close(&t.b, ub);
	twostack_free(&t);
}
END_TEST

/* ---- blocking reads: MSG_WAITALL and SO_RCVLOWAT (wait hook) ---- */

/* Writes chunk bytes on a each time a blocking call waits, from a pattern, up to total. */
struct trickle {
	struct stack *st;
	int fd;
	const uint8_t *data;
	size_t total, sent, chunk;
	bool fin; /* shut down the write side once all is sent */
};

static uint64_t trickle_step(struct twostack *t, void *p)
{
	struct trickle *tr = p;
	(void)t;
	if (tr->sent < tr->total) {
		size_t k = tr->total - tr->sent < tr->chunk ? tr->total - tr->sent : tr->chunk;
		ssize_t n = ts_send(tr->st, tr->fd, tr->data + tr->sent, k, MSG_DONTWAIT);
		if (n > 0)
			tr->sent += (size_t)n;
		if (tr->sent == tr->total && tr->fin)
			ck_assert_int_eq(ts_shutdown(tr->st, tr->fd, SHUT_WR), 0);
	}
	return UINT64_MAX; /* it runs whenever the reader waits */
}

START_TEST(msg_waitall_across_segments)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	enum { TOTAL = 20000 };
	static uint8_t out[TOTAL], in[TOTAL];
	fill_pattern(out, TOTAL, 3);
	struct trickle tr = {&t.a, c.afd, out, TOTAL, 0, 1000, false};
	twostack_blocking(&t, 60 * SEC, trickle_step, &tr);
	ck_assert_int_eq(ts_set_nonblock(&t.b, c.bfd, 0), 0);
	struct tcp_pcb *bp = pcb_of(&t.b, c.bfd);
	uint32_t segs_before = bp->data_segs_in;
	/* One call, 20000 bytes, although they come 1000 at a time. */
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, in, TOTAL, MSG_WAITALL), TOTAL);
	ck_assert_mem_eq(in, out, TOTAL);
	ck_assert_uint_ge(bp->data_segs_in - segs_before, 10);
	/* Without MSG_WAITALL the same read returns what is there. */
	tr = (struct trickle){&t.a, c.afd, out, 3000, 0, 1000, true};
	ssize_t n = ts_recv(&t.b, c.bfd, in, TOTAL, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, 3000);
	/* MSG_WAITALL ends at end of stream with what there was. */
	size_t got = (size_t)n;
	n = ts_recv(&t.b, c.bfd, in + got, TOTAL, MSG_WAITALL);
	ck_assert_int_eq((size_t)n + got, 3000);
	ck_assert_mem_eq(in, out, 3000);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, in, TOTAL, MSG_WAITALL), 0);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* MSG_PEEK|MSG_WAITALL waits for all the bytes, then leaves them there. */
START_TEST(msg_peek_waitall)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	static uint8_t out[5000], in[5000];
	fill_pattern(out, sizeof(out), 11);
	struct trickle tr = {&t.a, c.afd, out, sizeof(out), 0, 700, false};
	twostack_blocking(&t, 60 * SEC, trickle_step, &tr);
	ck_assert_int_eq(ts_set_nonblock(&t.b, c.bfd, 0), 0);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, in, 4000, MSG_PEEK | MSG_WAITALL), 4000);
	ck_assert_mem_eq(in, out, 4000);
	ck_assert_int_eq(ts_recv(&t.b, c.bfd, in, 5000, MSG_WAITALL), 5000);
	ck_assert_mem_eq(in, out, 5000);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

START_TEST(so_rcvlowat)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	open_conn(&t, &c, 8080);
	int lowat = 3000;
	ck_assert_int_eq(ts_setsockopt(&t.b, c.bfd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)),
			 0);
	static uint8_t out[10000], in[10000];
	fill_pattern(out, sizeof(out), 5);
	ck_assert_int_eq(ts_write(&t.a, c.afd, out, 1000), 1000);
	twostack_advance(&t, SEC);
	int n = -1;
	ck_assert_int_eq(ts_ioctl(&t.b, c.bfd, FIONREAD, &n), 0);
	ck_assert_int_eq(n, 1000);
	/* Below the mark: not readable (tcp_poll), in epoll as in poll. */
	ck_assert_int_eq(poll1(&t.b, c.bfd, POLLIN), 0);
	int ep = ts_epoll_create1(&t.b, 0);
	struct epoll_event ev = {.events = EPOLLIN}, evs[2];
	ck_assert_int_eq(ts_epoll_ctl(&t.b, ep, EPOLL_CTL_ADD, c.bfd, &ev), 0);
	ck_assert_int_eq(ts_epoll_wait(&t.b, ep, evs, 2, 0), 0);
	ck_assert_int_eq(ts_write(&t.a, c.afd, out + 1000, 2000), 2000);
	ck_assert_int_eq(wait_poll(&t, &t.b, c.bfd, POLLIN, POLLIN), POLLIN);
	ck_assert_int_eq(ts_epoll_wait(&t.b, ep, evs, 2, 0), 1);
	/* A non-blocking read takes what is there, mark or not (Linux). */
	ck_assert_int_eq(ts_read(&t.b, c.bfd, in, 100), 100);
	ck_assert_int_eq(ts_read(&t.b, c.bfd, in + 100, 2900), 2900);
	ck_assert_mem_eq(in, out, 3000);
	/* A blocking read waits for the mark, even as the bytes come 500 at a time. */
	struct trickle tr = {&t.a, c.afd, out + 3000, 7000, 0, 500, false};
	twostack_blocking(&t, 60 * SEC, trickle_step, &tr);
	ck_assert_int_eq(ts_set_nonblock(&t.b, c.bfd, 0), 0);
	ssize_t r = ts_read(&t.b, c.bfd, in + 3000, 7000);
	ck_assert_int_ge(r, lowat);
	ck_assert_mem_eq(in + 3000, out + 3000, (size_t)r);
	ts_close(&t.b, ep);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- queue sizes ---- */

static int ioctl_int(struct stack *st, int fd, unsigned long req)
{
	int n = -1;
	ck_assert_int_eq(ts_ioctl(st, fd, req, &n), 0);
	return n;
}

START_TEST(queue_ioctls_at_known_points)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	/* b's buffer is small (8 KiB after doubling) so a's window fills. */
	int lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int small = 4096;
	ck_assert_int_eq(ts_setsockopt(&t.b, lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
	struct sockaddr_in any = sin_of(0, 8080);
	ck_assert_int_eq(ts_bind(&t.b, lfd, SA(any), sizeof(any)), 0);
	ck_assert_int_eq(ts_listen(&t.b, lfd, 4), 0);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(ioctl_int(&t.a, afd, SIOCOUTQ), 0);
	connect_fd(&t, &c, afd, lfd, 8080);
	static uint8_t out[3000];
	fill_pattern(out, sizeof(out), 1);
	/* Written: two full segments sent at once, the last 104 bytes held by
	 * Nagle (RFC 896) while those are in flight; nothing acknowledged yet,
	 * nothing arrived. */
	ck_assert_int_eq(ts_write(&t.a, c.afd, out, 3000), 3000);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQ), 3000);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQNSD), 3000 - 2 * 1448);
	ck_assert_int_eq(ioctl_int(&t.b, c.bfd, FIONREAD), 0);
	twostack_advance(&t, SEC);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQNSD), 0);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQ), 0);
	ck_assert_int_eq(ioctl_int(&t.b, c.bfd, FIONREAD), 3000);
	char buf[1000];
	ck_assert_int_eq(ts_read(&t.b, c.bfd, buf, 1000), 1000);
	ck_assert_int_eq(ioctl_int(&t.b, c.bfd, FIONREAD), 2000);
	/* More than the window: part waits unsent. */
	static uint8_t big[50000];
	ck_assert_int_eq(ts_write(&t.a, c.afd, big, sizeof(big)), sizeof(big));
	twostack_advance(&t, SEC);
	struct tcp_pcb *ap = pcb_of(&t.a, c.afd);
	int outq = ioctl_int(&t.a, c.afd, SIOCOUTQ), nsd = ioctl_int(&t.a, c.afd, SIOCOUTQNSD);
	ck_assert_int_eq(outq, (int)ap->snd_ring.len);
	ck_assert_int_eq(outq, (int)(sizeof(big) - (ap->snd_una - ap->iss - 1 - 3000)));
	ck_assert_int_eq(nsd, (int)(ap->snd_ring.len - (ap->snd_max - ap->snd_buf_seq)));
	ck_assert_int_gt(nsd, 30000);
	ck_assert_int_eq(ioctl_int(&t.b, c.bfd, FIONREAD), (int)pcb_of(&t.b, c.bfd)->rcv_ring.len);
	/* Drain b; then a FIN counts one until it is acknowledged. */
	static uint8_t sink[60000];
	struct drain d = {&t.b, c.bfd, sink, 2000 + sizeof(big), 0};
	twostack_assert(&t, twostack_run_until(&t, drained, &d, 60 * SEC));
	twostack_advance(&t, SEC);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQ), 0);
	ck_assert_int_eq(ts_shutdown(&t.a, c.afd, SHUT_WR), 0);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQ), 1);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQNSD), 0);
	twostack_advance(&t, SEC);
	ck_assert_int_eq(ioctl_int(&t.a, c.afd, SIOCOUTQ), 0);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- TCP_INFO ---- */

static void tcp_info_of(struct stack *st, int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);
	memset(ti, 0xee, sizeof(*ti));
	ck_assert_int_eq(ts_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, ti, &len), 0);
	ck_assert_int_eq(len, sizeof(*ti));
}

/* Segments of one connection in a sniffer: from local port lport. */
static uint32_t count_segs(const struct sniff *s, bool data_only)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->f[i].proto == 6 && (!data_only || s->f[i].len))
			n++;
	return n;
}

START_TEST(tcp_info_matches_stack)
{
	struct twostack t;
	struct conn c;
	struct fault_spec spec = {.loss_ppm = 30000, .seed = 17};
	twostack_init(&t, &spec, NULL);
	struct sniff *sa = sniff_stack(&t, 'a');
	open_conn(&t, &c, 8080);
	enum { TOTAL = 400000 };
	static uint8_t out[TOTAL], in[TOTAL];
	fill_pattern(out, TOTAL, 9);
	struct drain d = {&t.b, c.bfd, in, TOTAL, 0};
	size_t sent = 0;
	while (d.got < TOTAL) {
		if (sent < TOTAL) {
			ssize_t n = ts_write(&t.a, c.afd, out + sent, TOTAL - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		twostack_run_until(&t, drained, &d, 100 * MS);
	}
	ck_assert_mem_eq(in, out, TOTAL);
	ck_assert_int_eq(ts_write(&t.b, c.bfd, "reply", 5), 5);
	twostack_advance(&t, 5 * SEC);
	char r[8];
	ck_assert_int_eq(ts_read(&t.a, c.afd, r, sizeof(r)), 5);
	twostack_advance(&t, SEC);

	struct tcp_info ti;
	struct tcp_pcb *ap = pcb_of(&t.a, c.afd);
	tcp_info_of(&t.a, c.afd, &ti);
	ck_assert_uint_eq(ti.tcpi_state, 1); /* TCP_ESTABLISHED */
	ck_assert_uint_eq(ti.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
	ck_assert_uint_eq(ti.tcpi_snd_wscale, ap->snd_wscale);
	ck_assert_uint_eq(ti.tcpi_rcv_wscale, ap->rcv_wscale);
	ck_assert_uint_eq(ti.tcpi_rcv_wscale, 3);
	ck_assert_uint_eq(ti.tcpi_rto, tcp_rto_us(ap));
	ck_assert_uint_eq(ti.tcpi_snd_mss, ap->smss);
	ck_assert_uint_eq(ti.tcpi_snd_mss, 1448);
	ck_assert_uint_eq(ti.tcpi_advmss, 1460);
	ck_assert_uint_eq(ti.tcpi_rcv_mss, 536); /* only 5 bytes ever came this way */
	ck_assert_uint_eq(ti.tcpi_rtt, ap->rtt.srtt_us);
	ck_assert_uint_eq(ti.tcpi_rttvar, ap->rtt.rttvar_us);
	ck_assert_uint_eq(ti.tcpi_snd_cwnd, ap->cwnd / ap->smss);
	ck_assert_uint_eq(ti.tcpi_snd_ssthresh,
			  ap->ssthresh == UINT32_MAX ? 0x7fffffff : ap->ssthresh / ap->smss);
	ck_assert_uint_eq(ti.tcpi_unacked, 0);
	ck_assert_uint_eq(ti.tcpi_pmtu, 1500);
	ck_assert_uint_eq(ti.tcpi_snd_wnd, ap->snd_wnd);
	/* The active side's SYN counts as acked (Linux's tcp_ack sees it). */
	ck_assert_uint_eq(ti.tcpi_bytes_acked, TOTAL + 1);
	ck_assert_uint_eq(ti.tcpi_bytes_received, 5);
	/* Counters against the frames on the wire: what a sent, and what b got. */
	ck_assert_uint_eq(ti.tcpi_segs_out, count_segs(sa, false));
	ck_assert_uint_eq(ti.tcpi_data_segs_out, count_segs(sa, true));
	ck_assert_uint_gt(ti.tcpi_total_retrans, 0); /* 3% loss */
	ck_assert_uint_eq(ti.tcpi_total_retrans, t.a.counters[CTR_TCP_RETRANS]);
	ck_assert_uint_ge(ti.tcpi_data_segs_in, 1); /* the reply, maybe sent again */
	ck_assert_uint_eq(ti.tcpi_data_segs_in, ap->data_segs_in);
	ck_assert_uint_eq(ti.tcpi_segs_in, ap->segs_in);
	/* The passive side: its SYN-ACK is not counted out, its handshake not acked. */
	struct tcp_pcb *bp = pcb_of(&t.b, c.bfd);
	tcp_info_of(&t.b, c.bfd, &ti);
	ck_assert_uint_eq(ti.tcpi_bytes_received, TOTAL);
	ck_assert_uint_eq(ti.tcpi_bytes_acked, 5);
	ck_assert_uint_eq(ti.tcpi_rcv_mss, 1448);
	ck_assert_uint_eq(ti.tcpi_data_segs_in, bp->data_segs_in);
	ck_assert_uint_ge(ti.tcpi_data_segs_in, TOTAL / 1448);
	ck_assert_uint_eq(ti.tcpi_rcv_space, bp->rcv_ring.cap);
	ck_assert_uint_eq(ti.tcpi_ato, 40000);
	/* After a's FIN is acknowledged: FIN-WAIT-2, the FIN counted in bytes_acked. */
	ck_assert_int_eq(ts_shutdown(&t.a, c.afd, SHUT_WR), 0);
	tcp_info_of(&t.a, c.afd, &ti);
	ck_assert_uint_eq(ti.tcpi_state, 4); /* FIN_WAIT1 */
	ck_assert_uint_ge(ti.tcpi_unacked, 1);
	twostack_advance(&t, 5 * SEC);
	tcp_info_of(&t.a, c.afd, &ti);
	ck_assert_uint_eq(ti.tcpi_state, 5); /* FIN_WAIT2 */
	ck_assert_uint_eq(ti.tcpi_bytes_acked, TOTAL + 2);
	tcp_info_of(&t.b, c.bfd, &ti);
	ck_assert_uint_eq(ti.tcpi_state, 8); /* CLOSE_WAIT */
	ck_assert_uint_eq(ti.tcpi_bytes_received, TOTAL + 1);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- what the wire shows ---- */

/* Largest TCP payload a sniffer saw. */
static uint32_t max_payload(const struct sniff *s)
{
	uint32_t m = 0;
	for (uint32_t i = 0; i < s->n; i++)
		if (s->f[i].proto == 6 && s->f[i].len > m)
			m = s->f[i].len;
	return m;
}

/* Exchanges n bytes each way on c (both ends non-blocking). */
static void exchange(struct twostack *t, struct conn *c, size_t n)
{
	uint8_t *out = malloc(n), *in = malloc(n);
	fill_pattern(out, n, 2);
	for (int dir = 0; dir < 2; dir++) {
		struct stack *ws = dir ? &t->b : &t->a, *rs = dir ? &t->a : &t->b;
		int wfd = dir ? c->bfd : c->afd, rfd = dir ? c->afd : c->bfd;
		struct drain d = {rs, rfd, in, n, 0};
		size_t sent = 0;
		while (d.got < n) {
			if (sent < n) {
				ssize_t k = ts_write(ws, wfd, out + sent, n - sent);
				if (k > 0)
					sent += (size_t)k;
			}
			twostack_run_until(t, drained, &d, 100 * MS);
		}
		ck_assert_mem_eq(in, out, n);
	}
	free(out);
	free(in);
}

START_TEST(tcp_maxseg_shrinks_segments)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	struct sniff *sa = sniff_stack(&t, 'a'), *sb = sniff_stack(&t, 'b');
	int lfd = listener(&t.b, 8080);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int mss = 600;
	ck_assert_int_eq(ts_setsockopt(&t.a, afd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
	connect_fd(&t, &c, afd, lfd, 8080);
	/* The SYN announces 600; both sides then send 600 - 12 (timestamps). */
	ck_assert_uint_eq(sa->f[0].flags & 0x12, 0x02);
	ck_assert_uint_eq(sa->f[0].mss, 600);
	exchange(&t, &c, 100000);
	ck_assert_uint_eq(max_payload(sa), 588);
	ck_assert_uint_eq(max_payload(sb), 588);
	socklen_t len = sizeof(mss);
	ck_assert_int_eq(ts_getsockopt(&t.a, c.afd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	ck_assert_int_eq(mss, 588);
	ck_assert_int_eq(ts_getsockopt(&t.b, c.bfd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len), 0);
	ck_assert_int_eq(mss, 588);
	close_conn(&t, &c);
	/* A listener's TCP_MAXSEG goes into its SYN-ACKs and its children. */
	lfd = listener(&t.b, 8081);
	mss = 700;
	ck_assert_int_eq(ts_setsockopt(&t.b, lfd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)), 0);
	uint32_t from = sb->n;
	open_conn(&t, &c, 8082); /* a different listener: default MSS */
	close_conn(&t, &c);
	uint32_t mid = sb->n;
	connect_fd(&t, &c, ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), lfd, 8081);
	bool saw_default = false, saw_700 = false;
	for (uint32_t i = from; i < sb->n; i++)
		if ((sb->f[i].flags & 0x12) == 0x12) {
			saw_default |= i < mid && sb->f[i].mss == 1460;
			saw_700 |= i >= mid && sb->f[i].mss == 700;
		}
	ck_assert(saw_default && saw_700);
	sa->n = sb->n = 0;
	exchange(&t, &c, 20000);
	ck_assert_uint_eq(max_payload(sa), 688);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

START_TEST(ip_tos_ttl_in_frames)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	struct sniff *sa = sniff_stack(&t, 'a'), *sb = sniff_stack(&t, 'b');
	int lfd = listener(&t.b, 8080);
	int tos = 0x48, ttl = 9;
	ck_assert_int_eq(ts_setsockopt(&t.b, lfd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	tos = 0xb9; /* a stream keeps its own ECN bits: 0xb8 on the wire */
	ck_assert_int_eq(ts_setsockopt(&t.a, afd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	ck_assert_int_eq(ts_setsockopt(&t.a, afd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	connect_fd(&t, &c, afd, lfd, 8080);
	exchange(&t, &c, 30000);
	for (uint32_t i = 0; i < sa->n; i++)
		if (sa->f[i].proto == 6) {
			ck_assert_uint_eq(sa->f[i].tos, 0xb8);
			ck_assert_uint_eq(sa->f[i].ttl, 9);
		}
	/* b's SYN-ACK and every later segment of the child: the listener's TOS, default TTL. */
	uint32_t tcp_b = 0;
	for (uint32_t i = 0; i < sb->n; i++)
		if (sb->f[i].proto == 6) {
			ck_assert_uint_eq(sb->f[i].tos, 0x48);
			ck_assert_uint_eq(sb->f[i].ttl, 64);
			tcp_b++;
		}
	ck_assert_uint_gt(tcp_b, 10);
	/* Changed on a live connection: the next segments, and -1 restores the TTL. */
	tos = 0x20;
	ttl = -1;
	ck_assert_int_eq(ts_setsockopt(&t.a, c.afd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	ck_assert_int_eq(ts_setsockopt(&t.a, c.afd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	uint32_t from = sa->n;
	ck_assert_int_eq(ts_write(&t.a, c.afd, "x", 1), 1);
	ck_assert_uint_gt(sa->n, from);
	ck_assert_uint_eq(sa->f[from].tos, 0x20);
	ck_assert_uint_eq(sa->f[from].ttl, 64);
	close_conn(&t, &c);
	/* UDP: all eight bits of IP_TOS, and IP_TTL. */
	int ua = udp_bound(&t.a, 4000), ub = udp_bound(&t.b, 5000);
	tos = 0x2d;
	ttl = 3;
	ck_assert_int_eq(ts_setsockopt(&t.a, ua, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), 0);
	ck_assert_int_eq(ts_setsockopt(&t.a, ua, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	struct sockaddr_in to = sin_of(IP_B, 5000);
	from = sa->n;
	ck_assert_int_eq(ts_sendto(&t.a, ua, "dgram", 5, 0, SA(to), sizeof(to)), 5);
	ck_assert_uint_eq(sa->n, from + 1);
	ck_assert_uint_eq(sa->f[from].proto, 17);
	ck_assert_uint_eq(sa->f[from].tos, 0x2d);
	ck_assert_uint_eq(sa->f[from].ttl, 3);
	ts_close(&t.a, ua);
	ts_close(&t.b, ub);
	twostack_free(&t);
}
END_TEST

START_TEST(so_broadcast_eacces)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct sniff *sa = sniff_stack(&t, 'a');
	int ua = udp_bound(&t.a, 4000), ub = udp_bound(&t.b, 9999);
	struct sockaddr_in bc = sin_of(0x0a0000ffu, 9999), all = sin_of(0xffffffffu, 9999);
	ck_errno(ts_sendto(&t.a, ua, "hi", 2, 0, SA(bc), sizeof(bc)), EACCES);
	ck_errno(ts_sendto(&t.a, ua, "hi", 2, 0, SA(all), sizeof(all)), EACCES);
	ck_errno(ts_connect(&t.a, ua, SA(bc), sizeof(bc)), EACCES);
	ck_assert_uint_eq(sa->n, 0); /* nothing went out */
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(&t.a, ua, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_sendto(&t.a, ua, "hi", 2, 0, SA(bc), sizeof(bc)), 2);
	ck_assert_uint_eq(sa->n, 1);
	ck_assert_uint_eq(sa->f[0].dst, 0x0a0000ffu);
	ck_assert_int_eq(wait_poll(&t, &t.b, ub, POLLIN, POLLIN), POLLIN);
	char buf[4];
	ck_assert_int_eq(ts_recv(&t.b, ub, buf, sizeof(buf), 0), 2);
	/* Connected to the broadcast address, with the option. */
	ck_assert_int_eq(ts_connect(&t.a, ua, SA(all), sizeof(all)), 0);
	ck_assert_int_eq(ts_send(&t.a, ua, "yo", 2, 0), 2);
	ck_assert_uint_eq(sa->f[sa->n - 1].dst, 0xffffffffu);
	/* Taken back: the connected socket cannot send there any more. */
	int zero = 0;
	ck_assert_int_eq(ts_setsockopt(&t.a, ua, SOL_SOCKET, SO_BROADCAST, &zero, sizeof(zero)), 0);
	ck_errno(ts_send(&t.a, ua, "yo", 2, 0), EACCES);
	ts_close(&t.a, ua);
	ts_close(&t.b, ub);
	twostack_free(&t);
}
END_TEST

/* ---- SO_LINGER on the virtual clock ---- */

/* The time b sent the ACK of a's FIN (fin_seq + 1), or 0. */
static uint64_t fin_acked_at(const struct sniff *sb, uint32_t fin_seq)
{
	for (uint32_t i = 0; i < sb->n; i++)
		if (sb->f[i].proto == 6 && (sb->f[i].flags & 0x10) && sb->f[i].ack == fin_seq + 1)
			return sb->f[i].at_us;
	return 0;
}

START_TEST(so_linger_waits_for_fin_ack)
{
	struct twostack t;
	struct conn c;
	/* 50 ms each way, nothing lost: the FIN's ACK comes back after 100 ms. */
	struct fault_spec spec = {.delay_us = 50000, .seed = 1};
	twostack_init(&t, &spec, NULL);
	struct sniff *sb = sniff_stack(&t, 'b');
	open_conn(&t, &c, 8080);
	twostack_blocking(&t, 60 * SEC, NULL, NULL);
	struct linger lg = {1, 5};
	ck_assert_int_eq(ts_setsockopt(&t.a, c.afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	static uint8_t out[20000];
	fill_pattern(out, sizeof(out), 4);
	ck_assert_int_eq(ts_write(&t.a, c.afd, out, sizeof(out)), sizeof(out));
	struct tcp_pcb *ap = pcb_of(&t.a, c.afd);
	uint64_t start = t.now_us;
	/* a is non-blocking: Linux lingers all the same. */
	ck_assert_int_eq(ts_close(&t.a, c.afd), 0);
	uint64_t took = t.now_us - start;
	uint32_t fin_seq = ap->fin_seq; /* the orphan lives on in FIN-WAIT-2 */
	c.afd = -1;
	uint64_t acked = fin_acked_at(sb, fin_seq);
	ck_assert_uint_ne(acked, 0);
	ck_assert_uint_eq(t.now_us, acked + 50000); /* returned when that ACK arrived */
	ck_assert_uint_ge(took, 100000);
	ck_assert_uint_lt(took, 5 * SEC);
	ck_assert_int_eq(ap->state, TCPS_FIN_WAIT_2);
	/* b gets every byte, then end of stream. */
	static uint8_t in[20000];
	struct drain d = {&t.b, c.bfd, in, sizeof(in), 0};
	twostack_assert(&t, twostack_run_until(&t, drained, &d, 10 * SEC));
	ck_assert_mem_eq(in, out, sizeof(in));
	char x;
	ck_assert_int_eq(ts_read(&t.b, c.bfd, &x, 1), 0);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

START_TEST(so_linger_gives_up_on_silent_peer)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, NULL);
	struct sniff *sb = sniff_stack(&t, 'b');
	open_conn(&t, &c, 8080);
	twostack_blocking(&t, 60 * SEC, NULL, NULL);
	ck_assert_int_eq(ts_set_nonblock(&t.a, c.afd, 0), 0);
	struct linger lg = {1, 2};
	ck_assert_int_eq(ts_setsockopt(&t.a, c.afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_write(&t.a, c.afd, "last words", 10), 10);
	sb->drop = true; /* b hears everything and answers nothing */
	struct tcp_pcb *ap = pcb_of(&t.a, c.afd);
	uint64_t start = t.now_us;
	ck_assert_int_eq(ts_close(&t.a, c.afd), 0);
	c.afd = -1;
	ck_assert_uint_eq(t.now_us - start, 2 * SEC); /* exactly the linger time */
	ck_assert_int_eq(ap->state, TCPS_FIN_WAIT_1); /* the close goes on without us */
	ck_assert_uint_gt(ap->total_retrans, 0);
	sb->drop = false;
	twostack_advance(&t, 10 * SEC);
	char buf[16];
	ck_assert_int_eq(ts_read(&t.b, c.bfd, buf, sizeof(buf)), 10);
	ck_assert_int_eq(ts_read(&t.b, c.bfd, buf, sizeof(buf)), 0);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

/* ---- windows ---- */

static void big_window_cfg(struct ts_config *cfg, char which)
{
	(void)which;
	cfg->tcp_rcvbuf_max = 4u << 20;
}

/* The highest right edge (ACK + scaled window) b advertised so far is never passed back. */
static void assert_edges_never_shrink(const struct sniff *s, uint8_t ws)
{
	uint32_t edge = 0;
	bool have = false;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct seen *f = &s->f[i];
		if (f->proto != 6 || !(f->flags & 0x10) || (f->flags & 0x06))
			continue;
		uint32_t e = f->ack + ((uint32_t)f->win << ws);
		if (have)
			ck_assert_msg(seq_geq(e, edge), "frame %u: right edge %u behind %u", i, e,
				      edge);
		if (!have || seq_gt(e, edge))
			edge = e;
		have = true;
	}
	ck_assert(have);
}

START_TEST(so_rcvbuf_after_connect)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, big_window_cfg);
	struct sniff *sb = sniff_stack(&t, 'b');
	open_conn(&t, &c, 8080);
	struct tcp_pcb *bp = pcb_of(&t.b, c.bfd);
	ck_assert_uint_eq(bp->rcv_wscale, 7); /* covers 4 MiB */
	ck_assert_uint_eq(bp->rcv_ring.cap, 256u * 1024);
	/* 1 MiB (2 MiB after doubling) on a live connection: the ring grows. */
	int sz = 1 << 20;
	ck_assert_int_eq(ts_setsockopt(&t.b, c.bfd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	ck_assert_uint_eq(bp->rcv_ring.cap, 2u << 20);
	enum { TOTAL = 3 << 20 };
	uint8_t *out = malloc(TOTAL), *in = malloc(TOTAL);
	fill_pattern(out, TOTAL, 8);
	/* a's send ring grows the same way: one non-blocking write takes 2 MiB. */
	ck_assert_int_eq(ts_setsockopt(&t.a, c.afd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	ck_assert_uint_eq(pcb_of(&t.a, c.afd)->snd_ring.cap, 2u << 20);
	size_t sent = (size_t)ts_write(&t.a, c.afd, out, TOTAL);
	ck_assert_uint_eq(sent, 2u << 20);
	for (int i = 0; i < 400 && sent < TOTAL; i++) {
		ssize_t n = ts_write(&t.a, c.afd, out + sent, TOTAL - sent);
		if (n > 0)
			sent += (size_t)n;
		twostack_advance(&t, 20 * MS);
	}
	/* b read nothing: its window let about 2 MiB in, eight times the old buffer. */
	int queued = ioctl_int(&t.b, c.bfd, FIONREAD);
	ck_assert_int_gt(queued, 2000000);
	uint32_t max_win = 0;
	for (uint32_t i = 0; i < sb->n; i++)
		if (!(sb->f[i].flags & 0x02) && ((uint32_t)sb->f[i].win << 7) > max_win)
			max_win = (uint32_t)sb->f[i].win << 7;
	ck_assert_uint_gt(max_win, 1u << 20);
	/* Shrinking it now cannot take back the window already offered. */
	sz = 2048;
	uint32_t promised = bp->rcv_adv - bp->rcv_nxt;
	ck_assert_int_eq(ts_setsockopt(&t.b, c.bfd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	ck_assert_uint_ge(bp->rcv_ring.cap, bp->rcv_ring.len + promised);
	struct drain d = {&t.b, c.bfd, in, TOTAL, 0};
	for (int i = 0; i < 100000 && d.got < TOTAL; i++) {
		if (sent < TOTAL) {
			ssize_t n = ts_write(&t.a, c.afd, out + sent, TOTAL - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		twostack_run_until(&t, drained, &d, 20 * MS);
	}
	ck_assert_uint_eq(d.got, TOTAL);
	ck_assert_mem_eq(in, out, TOTAL);
	assert_edges_never_shrink(sb, 7);
	free(out);
	free(in);
	close_conn(&t, &c);
	twostack_free(&t);
}
END_TEST

static void linux_window_cfg(struct ts_config *cfg, char which)
{
	(void)which;
	cfg->tcp_rcvbuf_max = 4u << 20;
	cfg->tcp_init_rcv_wnd = 32768;
}

/* The window scale comes from the largest buffer; the window starts small and grows. */
START_TEST(window_scale_from_max)
{
	struct twostack t;
	struct conn c;
	twostack_init(&t, NULL, linux_window_cfg);
	struct sniff *sa = sniff_stack(&t, 'a');
	open_conn(&t, &c, 8080);
	/* a's SYN: ws 7 for 4 MiB, the first window only 32 KiB. */
	ck_assert_uint_eq(sa->f[0].flags & 0x12, 0x02);
	ck_assert_int_eq(sa->f[0].ws, 7);
	ck_assert_uint_eq(sa->f[0].win, 32768);
	ck_assert_uint_eq(pcb_of(&t.a, c.afd)->rcv_ring.cap, 256u * 1024);
	/* b sends 2 MiB; a reads as it comes: its window grows to the whole ring. */
	enum { TOTAL = 2 << 20 };
	uint8_t *out = malloc(TOTAL), *in = malloc(TOTAL);
	fill_pattern(out, TOTAL, 6);
	struct drain d = {&t.a, c.afd, in, TOTAL, 0};
	size_t sent = 0;
	while (d.got < TOTAL) {
		if (sent < TOTAL) {
			ssize_t n = ts_write(&t.b, c.bfd, out + sent, TOTAL - sent);
			if (n > 0)
				sent += (size_t)n;
		}
		twostack_run_until(&t, drained, &d, 20 * MS);
	}
	ck_assert_mem_eq(in, out, TOTAL);
	uint32_t first = 0, max = 0;
	for (uint32_t i = 1; i < sa->n; i++) {
		uint32_t w = (uint32_t)sa->f[i].win << 7;
		if (!first)
			first = w;
		if (w > max)
			max = w;
	}
	ck_assert_uint_le(first, 32768 + 128);
	ck_assert_uint_ge(max, 256u * 1024 - 2 * 1460);
	assert_edges_never_shrink(sa, 7);
	close_conn(&t, &c);
	/* SO_RCVBUF before connect fixes the buffer and with it the scale. */
	int lfd = listener(&t.b, 8081);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int sz = 8192;
	ck_assert_int_eq(ts_setsockopt(&t.a, afd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)), 0);
	uint32_t from = sa->n;
	connect_fd(&t, &c, afd, lfd, 8081);
	ck_assert_int_eq(sa->f[from].ws, 0); /* 16 KiB needs no shift */
	ck_assert_uint_eq(sa->f[from].win, 16384);
	close_conn(&t, &c);
	free(out);
	free(in);
	twostack_free(&t);
}
END_TEST

/* ---- blocking calls, straight line ---- */

struct peer_job {
	struct drain d; /* reads b's side as a blocking write goes */
	bool reading;
	uint64_t write_at; /* when to write "ping" on a (virtual time) */
	int wfd;
	bool written;
};

static uint64_t peer_step(struct twostack *t, void *p)
{
	struct peer_job *j = p;
	if (j->reading)
		drained(t, &j->d);
	if (j->wfd >= 0 && !j->written && t->now_us >= j->write_at) {
		ck_assert_int_eq(ts_send(&t->a, j->wfd, "ping", 4, MSG_DONTWAIT), 4);
		j->written = true;
	}
	return j->wfd >= 0 && !j->written ? j->write_at : UINT64_MAX;
}

START_TEST(blocking_calls_straight_line)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct peer_job job = {.wfd = -1};
	twostack_blocking(&t, 120 * SEC, peer_step, &job);
	/* listen, connect, accept: no EINPROGRESS, no EAGAIN. */
	int lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in any = sin_of(0, 8080);
	ck_assert_int_eq(ts_bind(&t.b, lfd, SA(any), sizeof(any)), 0);
	ck_assert_int_eq(ts_listen(&t.b, lfd, 4), 0);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = sin_of(IP_B, 8080);
	ck_assert_int_eq(ts_connect(&t.a, afd, SA(to), sizeof(to)), 0);
	int bfd = ts_accept(&t.b, lfd, NULL, NULL);
	ck_assert_int_ge(bfd, 0);
	/* A blocking write of 1 MiB returns once all of it is queued, b reading meanwhile. */
	enum { TOTAL = 1 << 20 };
	uint8_t *out = malloc(TOTAL), *in = malloc(TOTAL);
	fill_pattern(out, TOTAL, 12);
	job.d = (struct drain){&t.b, bfd, in, TOTAL, 0};
	ts_set_nonblock(&t.b, bfd, 1);
	job.reading = true;
	ck_assert_int_eq(ts_write(&t.a, afd, out, TOTAL), TOTAL);
	job.reading = false;
	ts_set_nonblock(&t.b, bfd, 0);
	/* Blocking reads for the rest. */
	while (job.d.got < TOTAL) {
		ssize_t n = ts_read(&t.b, bfd, in + job.d.got, TOTAL - job.d.got);
		ck_assert_int_gt(n, 0);
		job.d.got += (size_t)n;
	}
	ck_assert_mem_eq(in, out, TOTAL);
	/* poll waits, on the virtual clock, until a writes 200 ms later. */
	job.wfd = afd;
	job.write_at = t.now_us + 200 * MS;
	struct pollfd p = {.fd = bfd, .events = POLLIN};
	ck_assert_int_eq(ts_poll(&t.b, &p, 1, -1), 1);
	ck_assert_int_eq(p.revents, POLLIN);
	ck_assert_uint_ge(t.now_us, job.write_at);
	/* A timeout passes on the same clock. */
	char buf[8];
	ck_assert_int_eq(ts_read(&t.b, bfd, buf, sizeof(buf)), 4);
	uint64_t start = t.now_us;
	ck_assert_int_eq(ts_poll(&t.b, &p, 1, 300), 0);
	ck_assert_uint_eq(t.now_us, start + 300 * MS);
	/* epoll_wait blocks the same way. */
	int ep = ts_epoll_create1(&t.b, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = bfd}, evs[2];
	ck_assert_int_eq(ts_epoll_ctl(&t.b, ep, EPOLL_CTL_ADD, bfd, &ev), 0);
	job.written = false;
	job.write_at = t.now_us + 50 * MS;
	ck_assert_int_eq(ts_epoll_wait(&t.b, ep, evs, 2, -1), 1);
	ck_assert_int_eq(evs[0].data.fd, bfd);
	ck_assert_int_eq(ts_read(&t.b, bfd, buf, sizeof(buf)), 4);
	/* End of stream: a blocking read returns 0 once a closes. */
	job.wfd = -1;
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_read(&t.b, bfd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	/* A refused connect is the call's own error. */
	int r = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	to = sin_of(IP_B, 81);
	ck_errno(ts_connect(&t.a, r, SA(to), sizeof(to)), ECONNREFUSED);
	ts_close(&t.a, r);
	/* Nobody will ever connect: accept ends with EAGAIN instead of spinning. */
	uint64_t waits = t.block_waits;
	ck_errno(ts_accept(&t.b, lfd, NULL, NULL), EAGAIN);
	ck_assert_uint_gt(t.block_waits, waits);
	/* A host that does not exist: connect ends (ETIMEDOUT), never EINPROGRESS. */
	int x = ts_socket(&t.a, AF_INET, SOCK_STREAM, 0);
	to = sin_of(0x0a000007u, 80);
	ck_errno(ts_connect(&t.a, x, SA(to), sizeof(to)), ETIMEDOUT);
	ts_close(&t.a, x);
	ts_close(&t.b, ep);
	ts_close(&t.b, lfd);
	free(out);
	free(in);
	twostack_free(&t);
}
END_TEST

static Suite *socket_calls_suite(void)
{
	Suite *s = suite_create("socket_calls");
	TCase *tc = tcase_create("calls");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, poll_readiness_transitions);
	tcase_add_test(tc, vectors_byte_exact_tcp);
	tcase_add_test(tc, vectors_byte_exact_udp);
	tcase_add_test(tc, msg_peek);
	tcase_add_test(tc, msg_waitall_across_segments);
	tcase_add_test(tc, msg_peek_waitall);
	tcase_add_test(tc, so_rcvlowat);
	tcase_add_test(tc, queue_ioctls_at_known_points);
	tcase_add_test(tc, tcp_info_matches_stack);
	tcase_add_test(tc, tcp_maxseg_shrinks_segments);
	tcase_add_test(tc, ip_tos_ttl_in_frames);
	tcase_add_test(tc, so_broadcast_eacces);
	tcase_add_test(tc, so_linger_waits_for_fin_ack);
	tcase_add_test(tc, so_linger_gives_up_on_silent_peer);
	tcase_add_test(tc, so_rcvbuf_after_connect);
	tcase_add_test(tc, window_scale_from_max);
	tcase_add_test(tc, blocking_calls_straight_line);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(socket_calls_suite)
