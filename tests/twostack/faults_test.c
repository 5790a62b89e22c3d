/*
 * faults_test.c - "Faults, measured" (issue #9, docs/robustness.md): one
 * connection between two stacks over the in-memory wire impaired by the
 * same seeded fault wrapper as --faults, each fault on its own: loss 1, 5
 * and 20 %, delay with jitter, reordering, duplication, corruption 1 %.
 * Each run moves TS_FAULT_MIB MiB each way at once (20 in make check, 100
 * in make soak), byte-exact, then closes cleanly (FIN both ways, no RST,
 * no timeout), on the virtual clock; every frame each stack received is
 * accounted for (twostack_free).
 *
 * Every run prints one line of figures (virtual and wall time,
 * retransmissions, what the faults did, the drops by reason) that
 * docs/robustness.md records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "twostack.h"
#include "tapstack.h"
#include "tcp_var.h"

#define IP_B	   0x0a000002u
#define SEC	   1000000ull
#define PAT_PERIOD 65521u /* a prime: shifted, lost or doubled segments all show */
#define CHUNK	   65536u

struct side {
	struct stack *st;
	int fd;
	uint64_t total, sent, rcvd;
	uint8_t seed, peer_seed;
	bool shut, eof, bad;
	int err; /* a write failed (not EAGAIN) */
};

static const uint8_t *pattern(uint8_t seed)
{
	static uint8_t tab[2][PAT_PERIOD + CHUNK];
	static uint8_t seeds[2];
	static int n;
	for (int i = 0; i < n; i++)
		if (seeds[i] == seed)
			return tab[i];
	ck_assert_int_lt(n, 2);
	uint32_t x = 0x2545f491u ^ seed;
	for (uint32_t i = 0; i < PAT_PERIOD + CHUNK; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		tab[n][i] = i < PAT_PERIOD ? (uint8_t)x : tab[n][i - PAT_PERIOD];
	}
	seeds[n] = seed;
	return tab[n++];
}

static void pump(struct side *s)
{
	const uint8_t *out = pattern(s->seed), *in = pattern(s->peer_seed);
	while (s->sent < s->total) {
		size_t n = s->total - s->sent < CHUNK ? s->total - s->sent : CHUNK;
		ssize_t w = ts_write(s->st, s->fd, out + s->sent % PAT_PERIOD, n);
		if (w < 0) {
			if (errno != EAGAIN)
				s->err = errno;
			break;
		}
		s->sent += (uint64_t)w;
	}
	if (s->sent == s->total && !s->shut) {
		ck_assert_int_eq(ts_shutdown(s->st, s->fd, SHUT_WR), 0);
		s->shut = true;
	}
	static uint8_t buf[CHUNK];
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
		if (memcmp(buf, in + s->rcvd % PAT_PERIOD, (size_t)r) != 0)
			s->bad = true;
		s->rcvd += (uint64_t)r;
	}
}

/* A connection's variables, for a transfer that got stuck. */
static void dump_pcb(const char *who, struct stack *st, int fd)
{
	struct ts_sock *so = ts_fd_get(st, fd, TS_FD_SOCK);
	struct tcp_pcb *p = so ? so->pcb : NULL;
	if (!p)
		return;
	fprintf(stderr,
		"%s: %s una %u nxt %u max %u wnd %u cwnd %u | rcv_nxt %u adv %u ring %u/%u free %u "
		"ofo %u | rexmt %u backoff %u rto %u\n",
		who, tcp_state_name(p->state), p->snd_una, p->snd_nxt, p->snd_max, p->snd_wnd,
		p->cwnd, p->rcv_nxt, p->rcv_adv, p->rcv_ring.len, p->rcv_ring.cap,
		tcp_ring_free_space(&p->rcv_ring), p->ofo.n, p->rexmt_count, p->backoff,
		p->rtt.rto_us);
}

static bool both_done(struct twostack *t, void *p)
{
	(void)t;
	struct side *s = p;
	pump(&s[0]);
	pump(&s[1]);
	return (s[0].eof && s[1].eof) || s[0].err || s[1].err;
}

static bool accepted(struct twostack *t, void *p)
{
	int *fds = p; /* listener, accepted */
	if (fds[1] < 0)
		fds[1] = ts_accept4(&t->b, fds[0], NULL, NULL, SOCK_NONBLOCK);
	return fds[1] >= 0;
}

static uint64_t mib_each_way(void)
{
	const char *e = getenv("TS_FAULT_MIB");
	uint64_t mib = e && *e ? strtoull(e, NULL, 10) : 20;
	return (mib ? mib : 20) << 20;
}

/* The drops of both stacks, by reason, largest first, as "REASON n" pairs. */
static void drops_line(const struct twostack *t, char *out, size_t cap)
{
	uint64_t sum[DROP_MAX];
	size_t used = 0;
	for (int r = 0; r < DROP_MAX; r++)
		sum[r] = t->a.drops[r] + t->b.drops[r];
	out[0] = 0;
	for (;;) {
		int best = 0;
		for (int r = 1; r < DROP_MAX; r++)
			if (sum[r] > sum[best])
				best = r;
		if (!best || !sum[best])
			break;
		used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, " %s %llu",
					 ts_drop_name((enum ts_drop_reason)best),
					 (unsigned long long)sum[best]);
		sum[best] = 0;
	}
}

static void transfer(const char *name, const struct fault_spec *spec)
{
	struct twostack t;
	struct timespec w0, w1;
	clock_gettime(CLOCK_MONOTONIC, &w0);
	twostack_init(&t, spec, NULL);
	uint64_t bytes = mib_each_way();
	int fds[2] = {ts_socket(&t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), -1};
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9000)};
	ck_assert_int_eq(ts_bind(&t.b, fds[0], SA(sa), sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t.b, fds[0], 4), 0);
	int afd = ts_socket(&t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_addr.s_addr = htonl(IP_B);
	ts_connect(&t.a, afd, SA(sa), sizeof(sa));
	twostack_assert(&t, twostack_run_until(&t, accepted, fds, 60 * SEC));
	struct side s[2] = {
	    {.st = &t.a, .fd = afd, .total = bytes, .seed = 0x31, .peer_seed = 0x13},
	    {.st = &t.b, .fd = fds[1], .total = bytes, .seed = 0x13, .peer_seed = 0x31},
	};
	uint64_t t0 = t.now_us;
	bool done = twostack_run_until(&t, both_done, s, 24 * 3600 * SEC);
	double secs = (t.now_us - t0) / 1e6;
	if (!done || s[0].err || s[1].err) {
		fprintf(stderr,
			"at %.3f s: a sent %llu got %llu error %d, b sent %llu got %llu error %d\n",
			secs, (unsigned long long)s[0].sent, (unsigned long long)s[0].rcvd,
			s[0].err, (unsigned long long)s[1].sent, (unsigned long long)s[1].rcvd,
			s[1].err);
		ts_counters_print(&t.a, stderr);
		ts_counters_print(&t.b, stderr);
		dump_pcb("a", &t.a, afd);
		dump_pcb("b", &t.b, fds[1]);
	}
	twostack_assert(&t, done && !s[0].err && !s[1].err);
	twostack_assert(&t, !s[0].bad && !s[1].bad);
	twostack_assert(&t, s[0].rcvd == bytes && s[1].rcvd == bytes);
	/* A clean close: FINs both ways, nothing reset, nothing timed out. */
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, fds[1]), 0);
	ck_assert_int_eq(ts_close(&t.b, fds[0]), 0);
	twostack_run_until(&t, NULL, NULL, 200 * SEC);
	twostack_assert(&t, t.a.tcp->npcbs == 0 && t.b.tcp->npcbs == 0);
	/* Nobody was reset: a RST may only answer a FIN that the peer resent
	 * after our TIME-WAIT ended (its RTO backed off past 2 MSL). */
	twostack_assert(&t, t.a.counters[CTR_TCP_ESTABLISHED_RESETS] +
				    t.b.counters[CTR_TCP_ESTABLISHED_RESETS] ==
				0);
	twostack_assert(&t, t.a.counters[CTR_TCP_RST_SENT] + t.b.counters[CTR_TCP_RST_SENT] ==
				t.a.drops[DROP_TCP_NO_SOCKET] + t.b.drops[DROP_TCP_NO_SOCKET]);
	twostack_assert(
	    &t,
	    t.a.counters[CTR_TCP_ABORT_ON_TIMEOUT] + t.b.counters[CTR_TCP_ABORT_ON_TIMEOUT] == 0);
	struct fault_stats fa, fb;
	faults_get_stats(t.da, &fa, NULL);
	faults_get_stats(t.db, &fb, NULL);
	char drops[512];
	drops_line(&t, drops, sizeof(drops));
	clock_gettime(CLOCK_MONOTONIC, &w1);
	fprintf(stderr,
		"faults %s: %llu MiB each way in %.1f s virtual (%.1f MB/s each way), %.1f s wall; "
		"retransmitted a %llu b %llu (RTO %llu, fast %llu); frames %llu lost %llu "
		"duplicated %llu reordered %llu corrupted %llu; drops:%s\n",
		name, (unsigned long long)(bytes >> 20), secs, secs > 0 ? bytes / secs / 1e6 : 0,
		(w1.tv_sec - w0.tv_sec) + (w1.tv_nsec - w0.tv_nsec) / 1e9,
		(unsigned long long)t.a.counters[CTR_TCP_RETRANS],
		(unsigned long long)t.b.counters[CTR_TCP_RETRANS],
		(unsigned long long)(t.a.counters[CTR_TCP_RTO_EXPIRED] +
				     t.b.counters[CTR_TCP_RTO_EXPIRED]),
		(unsigned long long)(t.a.counters[CTR_TCP_FAST_RETRANS] +
				     t.b.counters[CTR_TCP_FAST_RETRANS]),
		(unsigned long long)(fa.frames + fb.frames),
		(unsigned long long)(fa.lost + fb.lost),
		(unsigned long long)(fa.duplicated + fb.duplicated),
		(unsigned long long)(fa.reordered + fb.reordered),
		(unsigned long long)(fa.corrupted + fb.corrupted), drops);
	twostack_free(&t);
}

#define FAULT_TEST(fn, label, ...)                                                                 \
	START_TEST(fn)                                                                             \
	{                                                                                          \
		struct fault_spec f = {__VA_ARGS__};                                               \
		transfer(label, &f);                                                               \
	}                                                                                          \
	END_TEST

/* Every run has a 2 ms one-way delay (a 4 ms RTT) besides its fault, seed 9. */
FAULT_TEST(loss_1pct, "loss=1%", .loss_ppm = 10000, .delay_us = 2000, .seed = 9)
FAULT_TEST(loss_5pct, "loss=5%", .loss_ppm = 50000, .delay_us = 2000, .seed = 9)
FAULT_TEST(loss_20pct, "loss=20%", .loss_ppm = 200000, .delay_us = 2000, .seed = 9)
FAULT_TEST(delay_jitter, "delay=10ms,jitter=5ms", .delay_us = 10000, .jitter_us = 5000, .seed = 9)
FAULT_TEST(reorder_10pct, "reorder=10%", .reorder_ppm = 100000, .delay_us = 2000, .seed = 9)
FAULT_TEST(dup_5pct, "dup=5%", .dup_ppm = 50000, .delay_us = 2000, .seed = 9)
FAULT_TEST(corrupt_1pct, "corrupt=1%", .corrupt_ppm = 10000, .delay_us = 2000, .seed = 9)

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("measured");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, loss_1pct);
	tcase_add_test(tc, loss_5pct);
	tcase_add_test(tc, loss_20pct);
	tcase_add_test(tc, delay_jitter);
	tcase_add_test(tc, reorder_10pct);
	tcase_add_test(tc, dup_5pct);
	tcase_add_test(tc, corrupt_1pct);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(faults_suite)
