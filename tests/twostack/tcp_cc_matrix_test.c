/*
 * tcp_cc_matrix_test.c - a bulk transfer between two stacks over a lossy,
 * reordering wire (seeded faults, virtual clock) for every combination of
 * congestion control (Reno, CUBIC), SACK (on: RACK-TLP and PRR; off:
 * NewReno's recovery) and timestamps (on, off): byte-exact data, a bound
 * on the virtual completion time, and the counters that show which
 * algorithm did the work.
 *
 * And receive-buffer auto-tuning: the receiver's ring grows with the rate
 * its reader takes data, within cfg.tcp_rcvbuf_max, unless SO_RCVBUF.
 *
 * With TS_TCP_TRACE_DIR=dir in the environment, the sender's --trace tcp
 * goes to dir/<cc>-sack<0|1>-ts<0|1>.trace and the transfer is 10 MiB at
 * 2% loss: the input of tools/tcpplot.sh for docs/tcp.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"
#include "tcp_var.h"

#define IP_B 0x0a000002u
#define SEC  1000000ull

struct combo {
	const char *cc;
	bool sack, ts;
};
static struct combo cur;

static void tweak(struct ts_config *cfg, char which)
{
	(void)which;
	snprintf(cfg->tcp_congestion, sizeof(cfg->tcp_congestion), "%s", cur.cc);
	cfg->tcp_sack = cur.sack;
	cfg->tcp_timestamps = cur.ts;
}

struct xfer {
	struct stack *a, *b;
	int afd, lfd, bfd;
	uint64_t total, sent, rcvd;
	bool bad, shut, eof;
};

static bool step(struct twostack *t, void *p)
{
	(void)t;
	struct xfer *x = p;
	static uint8_t buf[65536];
	if (x->bfd < 0) {
		x->bfd = ts_accept4(x->b, x->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (x->bfd < 0)
			ck_assert_int_eq(errno, EAGAIN);
	}
	while (x->sent < x->total) {
		size_t n = x->total - x->sent < sizeof(buf) ? x->total - x->sent : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)((x->sent + i) % 251);
		ssize_t w = ts_write(x->a, x->afd, buf, n);
		if (w < 0) {
			ck_assert(errno == EAGAIN || errno == ENOTCONN);
			break;
		}
		x->sent += (uint64_t)w;
	}
	if (x->sent == x->total && !x->shut) {
		ck_assert_int_eq(ts_shutdown(x->a, x->afd, SHUT_WR), 0);
		x->shut = true;
	}
	while (x->bfd >= 0 && !x->eof) {
		ssize_t r = ts_read(x->b, x->bfd, buf, sizeof(buf));
		if (r < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		if (r == 0) {
			x->eof = true;
			break;
		}
		for (ssize_t i = 0; i < r && !x->bad; i++)
			if (buf[i] != (uint8_t)((x->rcvd + (uint64_t)i) % 251))
				x->bad = true;
		x->rcvd += (uint64_t)r;
	}
	return x->eof;
}

static void run(const char *cc, bool sack, bool ts)
{
	cur = (struct combo){cc, sack, ts};
	const char *dir = getenv("TS_TCP_TRACE_DIR");
	struct fault_spec f = {
	    .loss_ppm = 20000, .reorder_ppm = 10000, .delay_us = 5000, .seed = 7};
	uint64_t bytes = 2u << 20;
	if (dir) {
		f.reorder_ppm = 0;
		bytes = 10u << 20;
	}
	struct twostack t;
	twostack_init(&t, &f, tweak);
	FILE *trace = NULL;
	if (dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s-sack%d-ts%d.trace", dir, cc, sack, ts);
		trace = fopen(path, "w");
		ck_assert_ptr_nonnull(trace);
		t.a.cfg.trace = TS_TRACE_TCP;
		t.a.cfg.trace_out = trace;
	}
	struct xfer x = {.a = &t.a, .b = &t.b, .bfd = -1, .total = bytes};
	x.lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5001)};
	ck_assert_int_eq(ts_bind(&t.b, x.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t.b, x.lfd, 4), 0);
	x.afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(IP_B);
	ck_assert_int_eq(ts_connect(&t.a, x.afd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	uint64_t t0 = t.now_us;
	/* 2 MiB at 2% loss, RTT 10 ms: 1.3 to 2 s; the bound is 5x that. */
	bool done = twostack_run_until(&t, step, &x, (dir ? 600 : 10) * SEC);
	uint64_t took = t.now_us - t0;
	struct ts_sock *s = ts_fd_get(&t.a, x.afd, TS_FD_SOCK);
	struct tcp_pcb *pcb = s ? s->pcb : NULL;
	fprintf(stderr,
		"tcp_cc_matrix: %-5s sack=%d ts=%d: %llu bytes in %.2f s virtual, "
		"fast retransmits %llu, RACK lost %llu, RTOs %llu, undos %llu\n",
		cc, sack, ts, (unsigned long long)x.rcvd, took / 1e6,
		(unsigned long long)t.a.counters[CTR_TCP_FAST_RETRANS],
		(unsigned long long)t.a.counters[CTR_TCP_RACK_LOST],
		(unsigned long long)t.a.counters[CTR_TCP_RTO_EXPIRED],
		(unsigned long long)(t.a.counters[CTR_TCP_UNDO_TS] +
				     t.a.counters[CTR_TCP_UNDO_DSACK] +
				     t.a.counters[CTR_TCP_SPURIOUS_RTO]));
	twostack_assert(&t, done);
	twostack_assert(&t, !x.bad && x.rcvd == bytes);
	ck_assert_ptr_nonnull(pcb);
	ck_assert_str_eq(pcb->cc->name, cc);
	ck_assert(!!(pcb->tf & TF_SACK_OK) == sack);
	ck_assert(!!(pcb->tf & TF_TS_OK) == ts);
	/* The loss detector that worked: RACK with SACK, duplicate ACKs without. */
	if (sack)
		ck_assert_uint_gt(t.a.counters[CTR_TCP_RACK_LOST], 0);
	else
		ck_assert_uint_eq(t.a.counters[CTR_TCP_RACK_LOST], 0);
	ck_assert_uint_gt(t.a.counters[CTR_TCP_FAST_RETRANS], 0);
	ck_assert_int_eq(ts_close(&t.a, x.afd), 0);
	ck_assert_int_eq(ts_close(&t.b, x.bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, x.lfd), 0);
	twostack_run_until(&t, NULL, NULL, 200 * SEC);
	if (trace)
		fclose(trace);
	twostack_free(&t);
}

START_TEST(reno_sack_ts)
{
	run("reno", true, true);
}
END_TEST
START_TEST(reno_sack_nots)
{
	run("reno", true, false);
}
END_TEST
START_TEST(reno_nosack_ts)
{
	run("reno", false, true);
}
END_TEST
START_TEST(reno_nosack_nots)
{
	run("reno", false, false);
}
END_TEST
START_TEST(cubic_sack_ts)
{
	run("cubic", true, true);
}
END_TEST
START_TEST(cubic_sack_nots)
{
	run("cubic", true, false);
}
END_TEST
START_TEST(cubic_nosack_ts)
{
	run("cubic", false, true);
}
END_TEST
START_TEST(cubic_nosack_nots)
{
	run("cubic", false, false);
}
END_TEST

/* ---- receive-buffer auto-tuning (Linux tcp_rcv_space_adjust) ---- */

static uint32_t at_max;

static void tweak_autotune(struct ts_config *cfg, char which)
{
	(void)which;
	cfg->tcp_rcvbuf = 64u << 10;
	cfg->tcp_rcvbuf_max = at_max;
}

/* 8 MiB a -> b over a 40 ms RTT; returns the virtual time, b's ring in *cap. */
static uint64_t autotune_run(uint32_t max, int so_rcvbuf, uint32_t *cap, uint64_t *grown)
{
	at_max = max;
	struct fault_spec f = {.delay_us = 20000, .seed = 1};
	struct twostack t;
	twostack_init(&t, &f, tweak_autotune);
	struct xfer x = {.a = &t.a, .b = &t.b, .bfd = -1, .total = 8u << 20};
	x.lfd = ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (so_rcvbuf)
		ck_assert_int_eq(ts_setsockopt(&t.b, x.lfd, SOL_SOCKET, SO_RCVBUF, &so_rcvbuf,
					       sizeof(so_rcvbuf)),
				 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(5002)};
	ck_assert_int_eq(ts_bind(&t.b, x.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t.b, x.lfd, 4), 0);
	x.afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(IP_B);
	ck_assert_int_eq(ts_connect(&t.a, x.afd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	uint64_t t0 = t.now_us;
	twostack_assert(&t, twostack_run_until(&t, step, &x, 600 * SEC));
	uint64_t took = t.now_us - t0;
	twostack_assert(&t, !x.bad && x.rcvd == x.total);
	struct ts_sock *s = ts_fd_get(&t.b, x.bfd, TS_FD_SOCK);
	*cap = ((struct tcp_pcb *)s->pcb)->rcv_ring.cap;
	*grown = t.b.counters[CTR_TCP_RCVBUF_GROWN];
	ck_assert_int_eq(ts_close(&t.a, x.afd), 0);
	ck_assert_int_eq(ts_close(&t.b, x.bfd), 0);
	ck_assert_int_eq(ts_close(&t.b, x.lfd), 0);
	twostack_run_until(&t, NULL, NULL, 200 * SEC);
	twostack_free(&t);
	fprintf(stderr, "autotune: max %u SO_RCVBUF %d: %.2f s virtual, ring %u, grown %llu\n", max,
		so_rcvbuf, took / 1e6, *cap, (unsigned long long)*grown);
	return took;
}

START_TEST(rcvbuf_autotuning)
{
	uint32_t cap;
	uint64_t grown;
	/* Without room to grow: 64 KiB per 40 ms RTT at best, 1.6 MB/s. */
	uint64_t fixed = autotune_run(0, 0, &cap, &grown);
	ck_assert_uint_eq(cap, 64u << 10);
	ck_assert_uint_eq(grown, 0);
	/* With tcp_rcvbuf_max 4 MiB: the ring follows the rate the reader
	 * reads at, up to the maximum, and the transfer is much faster. */
	uint64_t tuned = autotune_run(4u << 20, 0, &cap, &grown);
	ck_assert_uint_gt(grown, 0);
	ck_assert_uint_gt(cap, 1u << 20);
	ck_assert_uint_le(cap, 4u << 20);
	ck_assert_uint_lt(tuned * 3, fixed);
	/* SO_RCVBUF fixes the buffer (Linux SOCK_RCVBUF_LOCK): no tuning. */
	autotune_run(4u << 20, 64 << 10, &cap, &grown);
	ck_assert_uint_eq(grown, 0);
	ck_assert_uint_eq(cap, 128u << 10); /* SO_RCVBUF doubled, as Linux */
}
END_TEST

static Suite *tcp_cc_matrix_suite(void)
{
	Suite *s = suite_create("tcp_cc_matrix");
	const struct {
		const char *name;
		const TTest *test;
	} tests[] = {
	    {"reno_sack_ts", reno_sack_ts},	      {"reno_sack_nots", reno_sack_nots},
	    {"reno_nosack_ts", reno_nosack_ts},	      {"reno_nosack_nots", reno_nosack_nots},
	    {"cubic_sack_ts", cubic_sack_ts},	      {"cubic_sack_nots", cubic_sack_nots},
	    {"cubic_nosack_ts", cubic_nosack_ts},     {"cubic_nosack_nots", cubic_nosack_nots},
	    {"rcvbuf_autotuning", rcvbuf_autotuning},
	};
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		TCase *tc = tcase_create(tests[i].name);
		tcase_set_timeout(tc, 300);
		tcase_add_test(tc, tests[i].test);
		suite_add_tcase(s, tc);
	}
	return s;
}
TS_SUITE(tcp_cc_matrix_suite)
