/*
 * tcp_conn_test.c - TCP between two whole stacks over the in-memory wire,
 * through the public ts_ API only (stack/tapstack.h): handshake, bulk data
 * both ways byte-exact with seeded loss/reordering/duplication, RST,
 * refused connects, simultaneous open and close, zero window and
 * persist probes, and 1000 concurrent connections.  Virtual clock: every
 * test takes seconds of CPU at most, under ASan.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"
#include "tcp_var.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

static int tcp_listener(struct stack *st, uint16_t port, int backlog)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in sa = sin_of(0, port);
	ck_assert_int_eq(ts_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, fd, backlog), 0);
	return fd;
}

static int tcp_connect_nb(struct stack *st, uint32_t ip, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = sin_of(ip, port);
	ck_assert_int_eq(ts_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	return fd;
}

static int so_error(struct stack *st, int fd)
{
	int err = -1;
	socklen_t len = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	return err;
}

static struct tcp_pcb *pcb_of(struct stack *st, int fd)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	ck_assert_ptr_nonnull(s);
	return s->pcb;
}

/* ---- accept helper ---- */

struct accept_ctx {
	struct stack *st;
	int lfd;
	int fd;	 /* accepted, or -1 */
	int cfd; /* connecting client */
	struct stack *cst;
};

static bool accepted_and_connected(struct twostack *t, void *p)
{
	(void)t;
	struct accept_ctx *c = p;
	if (c->fd < 0) {
		c->fd = ts_accept4(c->st, c->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (c->fd < 0)
			ck_assert_int_eq(errno, EAGAIN);
	}
	struct tcp_pcb *pcb = pcb_of(c->cst, c->cfd);
	return c->fd >= 0 && pcb && pcb->state == TCPS_ESTABLISHED;
}

/* Opens a connection a → b:port; returns the accepted fd on b in *bfd. */
static int open_pair(struct twostack *t, uint16_t port, int *lfd, int *bfd)
{
	*lfd = tcp_listener(&t->b, port, 16);
	int afd = tcp_connect_nb(&t->a, IP_B, port);
	struct accept_ctx c = {&t->b, *lfd, -1, afd, &t->a};
	twostack_assert(t, twostack_run_until(t, accepted_and_connected, &c, 10 * SEC));
	*bfd = c.fd;
	return afd;
}

START_TEST(handshake_and_addresses)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int lfd, bfd;
	int afd = open_pair(&t, 8080, &lfd, &bfd);
	ck_assert_int_eq(so_error(&t.a, afd), 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(ts_getpeername(&t.b, bfd, (struct sockaddr *)&sa, &len), 0);
	ck_assert_uint_eq(ntohl(sa.sin_addr.s_addr), IP_A);
	struct tcp_pcb *ap = pcb_of(&t.a, afd), *bp = pcb_of(&t.b, bfd);
	ck_assert_uint_eq(ntohs(sa.sin_port), ap->local_port);
	ck_assert_uint_ge(ap->local_port, 32768);
	ck_assert_uint_le(ap->local_port, 60999);
	/* Both sides agreed on every option (RFC 7323, RFC 2018). */
	ck_assert(ap->tf & TF_TS_OK);
	ck_assert(ap->tf & TF_SACK_OK);
	ck_assert(ap->tf & TF_WS_OK);
	ck_assert(bp->tf & TF_WS_OK);
	ck_assert_uint_eq(ap->snd_wscale, bp->rcv_wscale);
	ck_assert_uint_eq(ap->smss, 1448); /* 1500 - 40 - 12 bytes of timestamps */
	ck_assert_uint_eq(ap->snd_nxt, bp->rcv_nxt);
	ck_assert_uint_eq(bp->snd_nxt, ap->rcv_nxt);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_PASSIVE_OPENS], 1);
	ck_assert_uint_eq(t.a.counters[CTR_TCP_ACTIVE_OPENS], 1);
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, lfd), 0);
	twostack_free(&t);
}
END_TEST

/* ---- bulk transfer ---- */

struct side {
	struct stack *st;
	int fd;
	uint64_t total; /* bytes to send */
	uint64_t sent, rcvd, expect;
	uint8_t seed;	   /* pattern of what this side sends */
	uint8_t peer_seed; /* pattern of what it receives */
	bool shut, eof;
	bool bad; /* a byte differed */
	uint64_t bad_at;
};

/*
 * The bytes a side sends: a seeded sequence with a prime period (65521), so
 * shifts, drops and duplications of whole segments all show, and writers
 * send straight out of one precomputed table.
 */
#define PAT_PERIOD 65521u
#define PAT_CHUNK  65536u

static const uint8_t *pattern_table(uint8_t seed)
{
	static uint8_t tables[2][PAT_PERIOD + PAT_CHUNK];
	static uint8_t seeds[2];
	static int n;
	for (int i = 0; i < n; i++)
		if (seeds[i] == seed)
			return tables[i];
	ck_assert_int_lt(n, 2);
	uint32_t x = 0x9e3779b9u ^ seed;
	for (uint32_t i = 0; i < PAT_PERIOD + PAT_CHUNK; i++) {
		if (i < PAT_PERIOD) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			tables[n][i] = (uint8_t)x;
		} else {
			tables[n][i] = tables[n][i - PAT_PERIOD];
		}
	}
	seeds[n] = seed;
	return tables[n++];
}

static void pump(struct side *s)
{
	const uint8_t *out = pattern_table(s->seed), *in = pattern_table(s->peer_seed);
	while (s->sent < s->total) {
		size_t n = s->total - s->sent < PAT_CHUNK ? s->total - s->sent : PAT_CHUNK;
		ssize_t w = ts_write(s->st, s->fd, out + s->sent % PAT_PERIOD, n);
		if (w < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		s->sent += (uint64_t)w;
	}
	if (s->sent == s->total && !s->shut) {
		ck_assert_int_eq(ts_shutdown(s->st, s->fd, SHUT_WR), 0);
		s->shut = true;
	}
	uint8_t buf[PAT_CHUNK];
	while (!s->eof) {
		ssize_t r = ts_read(s->st, s->fd, buf, sizeof(buf));
		if (r < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		if (r == 0) {
			s->eof = true;
			break;
		}
		if (!s->bad && memcmp(buf, in + s->rcvd % PAT_PERIOD, (size_t)r) != 0) {
			s->bad = true;
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != in[(s->rcvd + (uint64_t)i) % PAT_PERIOD]) {
					s->bad_at = s->rcvd + (uint64_t)i;
					break;
				}
		}
		s->rcvd += (uint64_t)r;
	}
}

static bool both_done(struct twostack *t, void *p)
{
	(void)t;
	struct side *s = p;
	pump(&s[0]);
	pump(&s[1]);
	return s[0].eof && s[1].eof;
}

static void bulk(const struct fault_spec *spec, uint64_t bytes, uint64_t max_us)
{
	struct twostack t;
	twostack_init(&t, spec, NULL);
	int lfd, bfd;
	int afd = open_pair(&t, 9000, &lfd, &bfd);
	struct side s[2] = {
	    {.st = &t.a, .fd = afd, .total = bytes, .seed = 0x5a, .peer_seed = 0xa5},
	    {.st = &t.b, .fd = bfd, .total = bytes, .seed = 0xa5, .peer_seed = 0x5a},
	};
	uint64_t t0 = t.now_us;
	bool ok = twostack_run_until(&t, both_done, s, max_us);
	if (!ok || getenv("TCP_TEST_STATS")) {
		/* Counters of both ends say where a stuck transfer is stuck. */
		fprintf(stderr,
			"virtual time %.3f s, a sent %llu rcvd %llu, b sent %llu rcvd %llu\n",
			(t.now_us - t0) / 1e6, (unsigned long long)s[0].sent,
			(unsigned long long)s[0].rcvd, (unsigned long long)s[1].sent,
			(unsigned long long)s[1].rcvd);
		ts_counters_print(&t.a, stderr);
		ts_counters_print(&t.b, stderr);
		tcp_print_table(&t.a, stderr);
		tcp_print_table(&t.b, stderr);
	}
	twostack_assert(&t, ok);
	if (s[0].bad || s[1].bad)
		fprintf(stderr, "bad a@%llu b@%llu\n", (unsigned long long)s[0].bad_at,
			(unsigned long long)s[1].bad_at);
	twostack_assert(&t, !s[0].bad && !s[1].bad);
	twostack_assert(&t, s[0].rcvd == bytes && s[1].rcvd == bytes);
	/* Both sides sent FIN and got it: a is the first closer, b followed. */
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, lfd), 0);
	twostack_run_until(&t, NULL, NULL, 200 * SEC); /* TIME-WAIT runs out */
	ck_assert_uint_eq(t.a.tcp->npcbs, 0);
	ck_assert_uint_eq(t.b.tcp->npcbs, 0);
	twostack_free(&t);
}

START_TEST(bulk_10mib_each_way_perfect_wire)
{
	bulk(NULL, 10u << 20, 60 * SEC);
}
END_TEST

START_TEST(bulk_10mib_each_way_1pct_loss_reorder_dup)
{
	struct fault_spec f = {
	    .loss_ppm = 10000, .reorder_ppm = 10000, .dup_ppm = 10000, .seed = 11};
	bulk(&f, 10u << 20, 600 * SEC);
}
END_TEST

START_TEST(bulk_10mib_each_way_5pct_loss_reorder_dup)
{
	struct fault_spec f = {
	    .loss_ppm = 50000, .reorder_ppm = 20000, .dup_ppm = 10000, .seed = 5};
	bulk(&f, 10u << 20, 1800 * SEC);
}
END_TEST

static void tweak_delay(struct ts_config *cfg, char which)
{
	(void)which;
	(void)cfg;
}

/* Loss plus one-way delay: exercises RTT estimation and fast recovery. */
START_TEST(bulk_2mib_delay_and_loss)
{
	struct fault_spec f = {.loss_ppm = 20000, .delay_us = 5000, .jitter_us = 1000, .seed = 3};
	(void)tweak_delay;
	bulk(&f, 2u << 20, 600 * SEC);
}
END_TEST

/* Heavy weather: 15% loss, corrupted frames (checksums must catch them), duplicates. */
START_TEST(bulk_1mib_15pct_loss_and_corruption)
{
	struct fault_spec f = {.loss_ppm = 150000,
			       .corrupt_ppm = 10000,
			       .dup_ppm = 20000,
			       .reorder_ppm = 20000,
			       .seed = 21};
	bulk(&f, 1u << 20, 3600 * SEC);
}
END_TEST

/* ---- failures ---- */

static bool client_failed(struct twostack *t, void *p)
{
	int *fd = p;
	struct ts_sock *s = ts_fd_get(&t->a, *fd, TS_FD_SOCK);
	return s->so_error != 0;
}

START_TEST(connect_to_closed_port_is_refused)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int fd = tcp_connect_nb(&t.a, IP_B, 4444);
	twostack_assert(&t, twostack_run_until(&t, client_failed, &fd, 5 * SEC));
	ck_assert_int_eq(so_error(&t.a, fd), ECONNREFUSED);
	ck_assert_int_eq(so_error(&t.a, fd), 0); /* SO_ERROR reads and clears */
	ck_assert_uint_eq(t.b.drops[DROP_TCP_NO_SOCKET], 1);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_RST_SENT], 1);
	ck_assert_int_eq(ts_close(&t.a, fd), 0);
	twostack_free(&t);
}
END_TEST

static bool server_reset(struct twostack *t, void *p)
{
	int *fd = p;
	struct ts_sock *s = ts_fd_get(&t->b, *fd, TS_FD_SOCK);
	return s->so_error != 0;
}

START_TEST(linger_zero_close_resets_peer)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int lfd, bfd;
	int afd = open_pair(&t, 8081, &lfd, &bfd);
	struct linger lg = {1, 0};
	ck_assert_int_eq(ts_setsockopt(&t.a, afd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	twostack_assert(&t, twostack_run_until(&t, server_reset, &bfd, 5 * SEC));
	struct epoll_event ev;
	int ep = ts_epoll_create1(&t.b, 0);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	ev.data.fd = bfd;
	ck_assert_int_eq(ts_epoll_ctl(&t.b, ep, EPOLL_CTL_ADD, bfd, &ev), 0);
	ck_assert_int_eq(ts_epoll_wait(&t.b, ep, &ev, 1, 0), 1);
	ck_assert_uint_eq(ev.events & (EPOLLERR | EPOLLHUP | EPOLLIN | EPOLLRDHUP),
			  EPOLLERR | EPOLLHUP | EPOLLIN | EPOLLRDHUP);
	char buf[16];
	ck_assert_int_eq(ts_read(&t.b, bfd, buf, sizeof(buf)), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	ck_assert_int_eq(ts_read(&t.b, bfd, buf, sizeof(buf)), 0); /* once, then EOF */
	ck_assert_int_eq(ts_write(&t.b, bfd, "x", 1), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_ESTABLISHED_RESETS], 1);
	ck_assert_int_eq(ts_close(&t.b, ep), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, lfd), 0);
	twostack_free(&t);
}
END_TEST

/* ---- simultaneous open and close (RFC 9293 §3.5 figures 8 and 13) ---- */

static bool both_established(struct twostack *t, void *p)
{
	int *fd = p;
	struct tcp_pcb *a = pcb_of(&t->a, fd[0]), *b = pcb_of(&t->b, fd[1]);
	return a->state == TCPS_ESTABLISHED && b->state == TCPS_ESTABLISHED;
}

static bool both_time_wait(struct twostack *t, void *p)
{
	(void)t;
	struct tcp_pcb **pcb = p;
	return pcb[0]->state == TCPS_TIME_WAIT && pcb[1]->state == TCPS_TIME_WAIT;
}

START_TEST(simultaneous_open_and_close)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int fd[2];
	struct stack *st[2] = {&t.a, &t.b};
	for (int i = 0; i < 2; i++) {
		fd[i] = ts_socket(st[i], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in me = sin_of(0, (uint16_t)(5000 + i));
		ck_assert_int_eq(ts_bind(st[i], fd[i], (struct sockaddr *)&me, sizeof(me)), 0);
	}
	/* Both SYNs are on the wire before either stack reads a frame. */
	struct sockaddr_in to_b = sin_of(IP_B, 5001), to_a = sin_of(IP_A, 5000);
	ck_assert_int_eq(ts_connect(&t.a, fd[0], (struct sockaddr *)&to_b, sizeof(to_b)), -1);
	ck_assert_int_eq(ts_connect(&t.b, fd[1], (struct sockaddr *)&to_a, sizeof(to_a)), -1);
	twostack_assert(&t, twostack_run_until(&t, both_established, fd, 10 * SEC));
	struct tcp_pcb *pcb[2] = {pcb_of(&t.a, fd[0]), pcb_of(&t.b, fd[1])};
	ck_assert_uint_eq(pcb[0]->rcv_nxt, pcb[1]->snd_nxt);
	/* Simultaneous close: both FINs cross, both pass CLOSING to TIME-WAIT. */
	ck_assert_int_eq(ts_shutdown(&t.a, fd[0], SHUT_WR), 0);
	ck_assert_int_eq(ts_shutdown(&t.b, fd[1], SHUT_WR), 0);
	ck_assert_int_eq(pcb[0]->state, TCPS_FIN_WAIT_1);
	ck_assert_int_eq(pcb[1]->state, TCPS_FIN_WAIT_1);
	twostack_assert(&t, twostack_run_until(&t, both_time_wait, pcb, 10 * SEC));
	ck_assert_int_eq(ts_close(&t.a, fd[0]), 0);
	ck_assert_int_eq(ts_close(&t.b, fd[1]), 0);
	/* 2*MSL later both are gone. */
	twostack_run_until(&t, NULL, NULL, 2ull * t.a.cfg.tcp_msl_ms * 1000 + SEC);
	ck_assert_uint_eq(t.a.tcp->npcbs, 0);
	ck_assert_uint_eq(t.b.tcp->npcbs, 0);
	twostack_free(&t);
}
END_TEST

/* ---- zero window ---- */

static bool sender_blocked(struct twostack *t, void *p)
{
	struct side *s = p;
	pump(s);
	return t->a.counters[CTR_TCP_ZERO_WINDOW_PROBES] >= 3;
}

static bool receiver_got_all(struct twostack *t, void *p)
{
	(void)t;
	struct side *s = p;
	pump(&s[0]);
	pump(&s[1]);
	return s[1].rcvd == s[0].total && s[1].eof;
}

START_TEST(zero_window_probes_then_recovery)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	int lfd, bfd;
	int afd = open_pair(&t, 8082, &lfd, &bfd);
	/* a writes 2 MiB, b reads nothing: b's 256 KiB window closes. */
	struct side s[2] = {
	    {.st = &t.a, .fd = afd, .total = 2u << 20, .seed = 1, .peer_seed = 2},
	    {.st = &t.b, .fd = bfd, .total = 0, .seed = 2, .peer_seed = 1},
	};
	twostack_assert(&t, twostack_run_until(&t, sender_blocked, &s[0], 120 * SEC));
	struct tcp_pcb *bp = pcb_of(&t.b, bfd), *ap = pcb_of(&t.a, afd);
	ck_assert_uint_eq(bp->rcv_ring.len, bp->rcv_ring.cap); /* full */
	ck_assert_uint_eq(ap->snd_wnd, 0);
	ck_assert_uint_eq(ap->snd_una, ap->snd_max); /* all acked, nothing in flight */
	ck_assert_int_eq(ap->state, TCPS_ESTABLISHED);
	/* b reads again: the window reopens and everything arrives. */
	twostack_assert(&t, twostack_run_until(&t, receiver_got_all, s, 120 * SEC));
	twostack_assert(&t, !s[1].bad);
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, lfd), 0);
	twostack_free(&t);
}
END_TEST

/* ---- 1000 concurrent connections ---- */

#define NCONN 1000

struct many {
	int lfd;
	int cfd[NCONN];
	int sfd[NCONN];
	int nacc;
	int replied;
	bool got[NCONN];
};

static bool many_step(struct twostack *t, void *p)
{
	struct many *m = p;
	for (;;) {
		int fd = ts_accept4(&t->b, m->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			break;
		ck_assert_int_lt(m->nacc, NCONN);
		m->sfd[m->nacc++] = fd;
	}
	/* Each server socket echoes its 4-byte client number once. */
	for (int i = 0; i < m->nacc; i++) {
		if (m->sfd[i] < 0)
			continue;
		uint32_t v;
		ssize_t r = ts_read(&t->b, m->sfd[i], &v, sizeof(v));
		if (r == 4) {
			ck_assert_int_eq(ts_write(&t->b, m->sfd[i], &v, 4), 4);
			ck_assert_int_eq(ts_close(&t->b, m->sfd[i]), 0);
			m->sfd[i] = -1;
		}
	}
	for (int i = 0; i < NCONN; i++) {
		if (m->got[i])
			continue;
		struct tcp_pcb *pcb = pcb_of(&t->a, m->cfd[i]);
		if (pcb->state == TCPS_ESTABLISHED && pcb->snd_max == pcb->iss + 1) {
			uint32_t v = (uint32_t)i;
			ck_assert_int_eq(ts_write(&t->a, m->cfd[i], &v, 4), 4);
		}
		uint32_t v;
		ssize_t r = ts_read(&t->a, m->cfd[i], &v, sizeof(v));
		if (r == 4) {
			ck_assert_uint_eq(v, (uint32_t)i);
			m->got[i] = true;
			m->replied++;
		}
	}
	return m->replied == NCONN;
}

START_TEST(thousand_concurrent_connections)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	static struct many m;
	memset(&m, 0, sizeof(m));
	m.lfd = tcp_listener(&t.b, 80, 4096);
	for (int i = 0; i < NCONN; i++)
		m.cfd[i] = tcp_connect_nb(&t.a, IP_B, 80);
	twostack_assert(&t, twostack_run_until(&t, many_step, &m, 60 * SEC));
	ck_assert_int_eq(m.nacc, NCONN);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_PASSIVE_OPENS], NCONN);
	for (int i = 0; i < NCONN; i++)
		ck_assert_int_eq(ts_close(&t.a, m.cfd[i]), 0);
	ck_assert_int_eq(ts_close(&t.b, m.lfd), 0);
	twostack_run_until(&t, NULL, NULL, 200 * SEC);
	ck_assert_uint_eq(t.a.tcp->npcbs, 0);
	ck_assert_uint_eq(t.b.tcp->npcbs, 0);
	twostack_free(&t);
}
END_TEST

static Suite *tcp_conn_suite(void)
{
	Suite *s = suite_create("tcp_conn");
	/* One case per test, so CK_RUN_CASE=name runs one alone. */
	const struct {
		const char *name;
		const TTest *test;
	} tests[] = {
	    {"handshake_and_addresses", handshake_and_addresses},
	    {"bulk_10mib_each_way_perfect_wire", bulk_10mib_each_way_perfect_wire},
	    {"bulk_10mib_each_way_1pct_loss_reorder_dup",
	     bulk_10mib_each_way_1pct_loss_reorder_dup},
	    {"bulk_10mib_each_way_5pct_loss_reorder_dup",
	     bulk_10mib_each_way_5pct_loss_reorder_dup},
	    {"bulk_2mib_delay_and_loss", bulk_2mib_delay_and_loss},
	    {"bulk_1mib_15pct_loss_and_corruption", bulk_1mib_15pct_loss_and_corruption},
	    {"connect_to_closed_port_is_refused", connect_to_closed_port_is_refused},
	    {"linger_zero_close_resets_peer", linger_zero_close_resets_peer},
	    {"simultaneous_open_and_close", simultaneous_open_and_close},
	    {"zero_window_probes_then_recovery", zero_window_probes_then_recovery},
	    {"thousand_concurrent_connections", thousand_concurrent_connections},
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		TCase *tc = tcase_create(tests[i].name);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, tests[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}
TS_SUITE(tcp_conn_suite)
