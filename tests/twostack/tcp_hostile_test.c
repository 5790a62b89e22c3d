/*
 * tcp_hostile_test.c - hostile peers between two whole stacks on the
 * virtual clock (issue #9): a client that shuts its window on a server
 * that has closed, then vanishes or keeps answering "no room".  Stack b
 * (10.0.0.2) is the server, stack a (10.0.0.1) the hostile client.
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

static Suite *tcp_hostile_twostack_suite(void)
{
	Suite *s = suite_create("tcp_hostile_twostack");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, orphan_of_vanished_zero_window_peer_is_freed);
	tcase_add_test(tc, orphan_of_answering_zero_window_peer_is_freed);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_hostile_twostack_suite)
