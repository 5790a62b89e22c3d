/*
 * tcp_hostile_test.c - hostile peers between two whole stacks on the
 * virtual clock (issue #9): a client that shuts its window on a server
 * that has closed, then vanishes or keeps answering "no room"; a flood of
 * spoofed SYNs while an honest client fetches /hello.  Stack b (10.0.0.2)
 * is the server, stack a (10.0.0.1) the client.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "twostack.h"
#include "tcp_frames.h"
#include "byteorder.h"
#include "client.h"
#include "handler.h"
#include "server.h"
#include "tapstack.h"
#include "tcp_var.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull

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

/* ---- zero window and orphans ---- */

/* The client reads through a 16 KiB buffer: its window shuts quickly. */
static void small_client_rcvbuf(struct ts_config *cfg, char which)
{
	if (which == 'a')
		cfg->tcp_rcvbuf = 16384;
}

struct zw {
	int lfd, afd, bfd; /* b's listener, a's client, b's accepted */
	size_t read_a;	   /* bytes the client read before it stopped */
};

static bool accepted(struct twostack *t, void *ctx)
{
	struct zw *z = ctx;
	z->bfd = ts_accept4(&t->b, z->lfd, NULL, NULL, SOCK_NONBLOCK);
	return z->bfd >= 0 && pcb_of(&t->a, z->afd)->state == TCPS_ESTABLISHED;
}

/* The client reads its first 4 KiB, then nothing: b's window view shuts. */
static bool window_shut(struct twostack *t, void *ctx)
{
	struct zw *z = ctx;
	char buf[1024];
	while (z->read_a < 4096) {
		ssize_t n = ts_read(&t->a, z->afd, buf, sizeof(buf));
		if (n <= 0)
			break;
		z->read_a += (size_t)n;
	}
	struct tcp_pcb *p = pcb_of(&t->b, z->bfd);
	return p->snd_wnd == 0 && p->snd_una == p->snd_max && p->snd_ring.len;
}

static bool orphan_gone(struct twostack *t, void *ctx)
{
	(void)ctx;
	return t->b.tcp->norphans == 0;
}

/*
 * The server wrote 200 KB to a client that read 4 KiB and shut its window,
 * then closed: an orphan in FIN-WAIT-1 holding the unsent bytes.
 */
static void server_stuck_then_closes(struct twostack *t, struct zw *z)
{
	memset(z, 0, sizeof(*z));
	z->lfd = ts_socket(&t->b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = sin_of(0, 8080);
	ck_assert_int_eq(ts_bind(&t->b, z->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t->b, z->lfd, 16), 0);
	z->afd = ts_socket(&t->a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa = sin_of(IP_B, 8080);
	ck_assert_int_eq(ts_connect(&t->a, z->afd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	twostack_assert(t, twostack_run_until(t, accepted, z, 10 * SEC));
	static char data[200000];
	ssize_t n = ts_write(&t->b, z->bfd, data, sizeof(data));
	ck_assert_int_gt(n, 100000);
	twostack_assert(t, twostack_run_until(t, window_shut, z, 10 * SEC));
	ck_assert_uint_eq(z->read_a, 4096);
	ck_assert_int_eq(ts_close(&t->b, z->bfd), 0);
	ck_assert_uint_eq(t->b.tcp->norphans, 1);
	ck_assert_uint_gt(t->b.tcp->orphan_bytes, 0);
}

/*
 * The client vanishes (b's frames for 10.0.0.1 now go to a MAC nobody
 * has): the orphan gives up after tcp_orphan_retries unanswered probes,
 * well within ten virtual minutes, and its buffers go back.  Before: it
 * probed forever.
 */
START_TEST(orphan_of_vanished_zero_window_peer_is_freed)
{
	struct twostack t;
	twostack_init(&t, NULL, small_client_rcvbuf);
	struct zw z;
	server_stuck_then_closes(&t, &z);
	struct sockaddr_in sa = sin_of(IP_A, 0);
	const unsigned char nowhere[6] = {2, 0, 0, 0, 0, 0x99};
	ck_assert_int_eq(ts_neigh_add(&t.b, (struct sockaddr *)&sa, sizeof(sa), nowhere, 1), 0);
	uint64_t probes = t.b.counters[CTR_TCP_ZERO_WINDOW_PROBES];
	uint64_t start = t.now_us;
	twostack_assert(&t, twostack_run_until(&t, orphan_gone, NULL, 600 * SEC));
	uint64_t took = t.now_us - start;
	ck_assert_uint_le(t.b.counters[CTR_TCP_ZERO_WINDOW_PROBES] - probes, 8);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_PERSIST_TIMEOUTS], 1);
	ck_assert_uint_eq(t.b.tcp->orphan_bytes, 0);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	ck_assert_uint_eq(t.b.tcp->npcbs, 1); /* the listener */
	fprintf(stderr, "tcp_hostile: vanished zero-window peer: orphan freed after %.1f s\n",
		took / 1e6);
	ts_close(&t.a, z.afd);
	ts_close(&t.b, z.lfd);
	twostack_free(&t);
}
END_TEST

/*
 * The client stays and answers every probe with a zero window, forever:
 * the orphan still goes after tcp_orphan_retries probes (Linux
 * tcp_probe_timer).  Before: probed forever, answered forever.
 */
START_TEST(orphan_of_answering_zero_window_peer_is_freed)
{
	struct twostack t;
	twostack_init(&t, NULL, small_client_rcvbuf);
	struct zw z;
	server_stuck_then_closes(&t, &z);
	uint64_t probes = t.b.counters[CTR_TCP_ZERO_WINDOW_PROBES];
	uint64_t answers = t.a.counters[CTR_TCP_TX];
	uint64_t start = t.now_us;
	twostack_assert(&t, twostack_run_until(&t, orphan_gone, NULL, 600 * SEC));
	uint64_t took = t.now_us - start;
	ck_assert_uint_eq(t.b.counters[CTR_TCP_ZERO_WINDOW_PROBES] - probes, 8);
	/* It answered all but the second probe, 400 ms after the first: an
	 * ACK to a segment below the window waits 500 ms (RFC 5961 §7). */
	ck_assert_uint_ge(t.a.counters[CTR_TCP_TX] - answers, 7);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_PERSIST_TIMEOUTS], 1);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	fprintf(stderr, "tcp_hostile: answering zero-window peer: orphan freed after %.1f s\n",
		took / 1e6);
	ts_close(&t.a, z.afd);
	ts_close(&t.b, z.lfd);
	twostack_run_until(&t, NULL, NULL, 5 * SEC);
	twostack_free(&t);
}
END_TEST

/* ---- SYN flood and SYN cookies ---- */

#define GW_IP 0x0a0000feu /* b's gateway: the spoofed sources are beyond it */

/* b routes the spoofed sources (198.18.0.0/15) through a gateway nobody is. */
static void server_behind_gateway(struct ts_config *cfg, char which)
{
	if (which == 'b')
		cfg->gw = GW_IP;
}

struct flood {
	struct twostack *t;
	int epfd;
	struct http_server *srv;
	uint64_t rng;  /* xorshift64: spoofed addresses, ports, ISNs */
	uint64_t sent; /* spoofed SYNs injected */
	double wall_s; /* wall-clock time spent injecting and serving them */
	struct http_client *hc;
	int hc_result;
	uint64_t connected_us; /* when the client's connection was ESTABLISHED */
};

static uint64_t flood_rand(struct flood *fl)
{
	fl->rng ^= fl->rng << 13;
	fl->rng ^= fl->rng >> 7;
	fl->rng ^= fl->rng << 17;
	return fl->rng;
}

/* One spoofed SYN, as Linux sends it (MSS, SACK-permitted, TS, WS 7), into b's link. */
static void inject_spoofed_syn(struct flood *fl)
{
	static const uint8_t b_mac[6] = {2, 0, 0, 0, 0, 2}, router[6] = {2, 0, 0, 0, 0, 0xfe};
	uint64_t r = flood_rand(fl);
	uint32_t src = 0xc6120000u | (uint32_t)(r & 0x1ffff); /* 198.18.0.0/15 */
	uint16_t sport = (uint16_t)(1024 + (r >> 17) % 64512);
	uint8_t opt[20] = {TCP_OPT_MSS, 4, 0x05, 0xb4, TCP_OPT_SACK_PERM, 2, TCP_OPT_TS, 10};
	put_be32(opt + 8, (uint32_t)(r >> 32));
	opt[16] = TCP_OPT_NOP;
	opt[17] = TCP_OPT_WS;
	opt[18] = 3;
	opt[19] = 7;
	uint8_t f[128];
	size_t n = ts_tcp_frame(f, router, b_mac, src, IP_B, sport, 8080, (uint32_t)(r >> 24), 0,
				TCP_SYN, 64240, opt, sizeof(opt), NULL, 0);
	struct ts_buf *b = ts_buf_alloc(&fl->t->b, n, 0);
	ck_assert_ptr_nonnull(b);
	memcpy(ts_buf_put(b, n), f, n);
	stack_input(&fl->t->b, b);
	fl->sent++;
}

/* One round of both main loops: the server's epoll, the client's step. */
static bool flood_round(struct twostack *t, void *ctx)
{
	struct flood *fl = ctx;
	struct epoll_event evs[64];
	int n = ts_epoll_wait(&t->b, fl->epfd, evs, 64, 0);
	for (int i = 0; i < n; i++) {
		struct ts_handler *h = evs[i].data.ptr;
		h->on_event(h, evs[i].events);
	}
	http_server_expire(fl->srv, t->b.now_us);
	if (fl->hc && fl->hc_result > 0) {
		if (!fl->connected_us && fl->hc->fd >= 0 &&
		    pcb_of(&t->a, fl->hc->fd)->state == TCPS_ESTABLISHED)
			fl->connected_us = t->now_us;
		fl->hc_result = http_client_step(fl->hc);
	}
	return fl->hc && fl->hc_result <= 0;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * per_ms spoofed SYNs each virtual millisecond for up to ms milliseconds,
 * or until the client's GET is over.  Returns whether it is.
 */
static bool flood_for(struct flood *fl, int per_ms, int ms)
{
	double w = wall_now();
	bool done = false;
	for (int i = 0; i < ms && !done; i++) {
		for (int k = 0; k < per_ms; k++)
			inject_spoofed_syn(fl);
		done = twostack_run_until(fl->t, flood_round, fl, 1000);
	}
	fl->wall_s += wall_now() - w;
	return done;
}

/*
 * 20 spoofed SYNs per virtual millisecond (20,000/s) from random sources
 * and ports: the SYN queue (1024) is full within 52 ms and stays full, the
 * rest are answered with cookies.  While the flood runs, an honest client
 * fetches /hello: its first SYN gets a cookie, its ACK opens the
 * connection, and the response comes back in the same virtual
 * millisecond, with no retransmission.  Before: its SYN was dropped
 * (TCP_LISTEN_OVERFLOW) until a half-open slot timed out (63 s).
 */
START_TEST(honest_client_served_during_syn_flood)
{
	struct twostack t;
	/* 1 ms each way: a round trip of 2 ms, no loss. */
	const struct fault_spec wire = {.delay_us = 1000, .seed = 1};
	twostack_init(&t, &wire, server_behind_gateway);
	struct sockaddr_in gw = sin_of(GW_IP, 0);
	const unsigned char nowhere[6] = {2, 0, 0, 0, 0, 0x99};
	ck_assert_int_eq(ts_neigh_add(&t.b, (struct sockaddr *)&gw, sizeof(gw), nowhere, 0), 0);
	/* Both know each other already: the latency measured is TCP's alone. */
	const unsigned char mac_a[6] = {2, 0, 0, 0, 0, 1}, mac_b[6] = {2, 0, 0, 0, 0, 2};
	struct sockaddr_in sa = sin_of(IP_A, 0), sb = sin_of(IP_B, 0);
	ck_assert_int_eq(ts_neigh_add(&t.b, (struct sockaddr *)&sa, sizeof(sa), mac_a, 0), 0);
	ck_assert_int_eq(ts_neigh_add(&t.a, (struct sockaddr *)&sb, sizeof(sb), mac_b, 0), 0);
	struct flood fl = {.t = &t, .rng = 0x9e3779b97f4a7c15ull};
	fl.epfd = ts_epoll_create1(&t.b, EPOLL_CLOEXEC);
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	ck_assert_int_eq(http_server_start(&fl.srv, &t.b, fl.epfd, &cfg), 0);

	/* Two virtual seconds of flood first. */
	flood_for(&fl, 20, 2000);
	struct tcp_pcb *lis =
	    tcp_listener_lookup(&t.b, &(struct ip_addr){.af = AF_INET, .v4 = IP_B}, 8080);
	ck_assert_ptr_nonnull(lis);
	ck_assert_uint_eq(lis->synq.n, t.b.cfg.tcp_max_syn_backlog);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_SYNCOOKIES_SENT], fl.sent - lis->synq.n);

	/* The honest client, while the flood goes on. */
	struct http_client *hc = malloc(sizeof(*hc));
	ck_assert_ptr_nonnull(hc);
	int out = memfd_create("hello", 0);
	ck_assert_int_ge(out, 0);
	struct http_get_result res;
	char err[256];
	uint64_t t0 = t.now_us;
	ck_assert_int_eq(
	    http_client_start(hc, &t.a, "http://10.0.0.2:8080/hello", out, &res, err, sizeof(err)),
	    0);
	fl.hc = hc;
	fl.hc_result = 1;
	twostack_assert(&t, flood_for(&fl, 20, 10000));
	uint64_t took = t.now_us - t0;
	uint64_t connect_us = fl.connected_us - t0;
	ck_assert_msg(fl.hc_result == 0, "GET failed: %s", err);
	ck_assert_int_eq(res.status, 200);
	char body[32];
	ck_assert_int_eq(pread(out, body, sizeof(body), 0), 14);
	ck_assert_mem_eq(body, "Hello, world!\n", 14);
	/* One SYN, no retransmission of anything: connected in one round trip
	 * (2 ms), the response one round trip later. */
	ck_assert_uint_eq(t.a.counters[CTR_TCP_ACTIVE_OPENS], 1);
	ck_assert_uint_eq(t.a.counters[CTR_TCP_RETRANS], 0);
	ck_assert_uint_eq(t.a.counters[CTR_TCP_RTO_EXPIRED], 0);
	ck_assert_uint_eq(connect_us, 2000);
	ck_assert_uint_le(took, 4000);
	ck_assert_uint_eq(t.b.counters[CTR_TCP_SYNCOOKIES_RECV], 1);
	/* Nothing held beyond the SYN queue: the queue, the listener, the served one. */
	ck_assert_uint_le(t.b.tcp->npcbs, t.b.cfg.tcp_max_syn_backlog + 2);
	ck_assert_uint_eq(t.b.drops[DROP_TCP_LISTEN_OVERFLOW], 0);
	fprintf(stderr,
		"tcp_hostile: SYN flood: %llu spoofed SYNs in %.2f s wall (%.0f/s), "
		"%llu cookies; honest connect %llu us, /hello %llu us (virtual, RTT 2 ms)\n",
		(unsigned long long)fl.sent, fl.wall_s, fl.sent / fl.wall_s,
		(unsigned long long)t.b.counters[CTR_TCP_SYNCOOKIES_SENT],
		(unsigned long long)connect_us, (unsigned long long)took);
	close(out);
	free(hc);
	http_server_stop(fl.srv);
	ts_close(&t.b, fl.epfd);
	twostack_free(&t);
}
END_TEST

static Suite *tcp_hostile_twostack_suite(void)
{
	Suite *s = suite_create("tcp_hostile_twostack");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, orphan_of_vanished_zero_window_peer_is_freed);
	tcase_add_test(tc, orphan_of_answering_zero_window_peer_is_freed);
	tcase_add_test(tc, honest_client_served_during_syn_flood);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_hostile_twostack_suite)
