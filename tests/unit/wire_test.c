/*
 * wire_test.c - tap/wire.c: FIFO order and exact bytes both ways, growth,
 * truncation, deadlines, a destroyed peer; and the two-stack harness's
 * virtual clock (tests/lib/twostack.c), which drives everything over it.
 */
#include <errno.h>
#include <string.h>

#include "tsunit.h"
#include "twostack.h"
#include "wire.h"

/* Frame i of a test sequence: length 14..1514 and bytes that depend on i and the offset. */
static size_t make_frame(uint8_t *buf, unsigned i, unsigned salt)
{
	size_t len = 14 + (i * 37u + salt) % 1501u;
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 131u + k * 7u + salt);
	return len;
}

START_TEST(fifo_both_ways_exact_bytes)
{
	struct netdev *a, *b;
	uint8_t f[1600], got[1600];

	wire_pair(&a, &b);
	/* Interleave: 500 frames a→b and 300 b→a, none read until all are sent. */
	for (unsigned i = 0; i < 500; i++) {
		size_t len = make_frame(f, i, 1);
		ck_assert_int_eq(netdev_send(a, f, len, 1000 + i), 0);
		if (i < 300) {
			len = make_frame(f, i, 2);
			ck_assert_int_eq(netdev_send(b, f, len, 1000 + i), 0);
		}
	}
	for (unsigned i = 0; i < 500; i++) {
		size_t len = make_frame(f, i, 1);
		ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 5000), (ssize_t)len);
		ck_assert_mem_eq(got, f, len);
	}
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 5000), 0);
	for (unsigned i = 0; i < 300; i++) {
		size_t len = make_frame(f, i, 2);
		ck_assert_int_eq(netdev_recv(a, got, sizeof(got), 5000), (ssize_t)len);
		ck_assert_mem_eq(got, f, len);
	}
	ck_assert_int_eq(netdev_recv(a, got, sizeof(got), 5000), 0);
	ck_assert_int_eq(netdev_pollfd(a), -1);
	ck_assert_str_eq(a->name, "wire:a");
	ck_assert_str_eq(b->name, "wire:b");
	netdev_destroy(a);
	netdev_destroy(b);
}
END_TEST

/* Reading while writing keeps the order across the FIFO's compaction and growth. */
START_TEST(fifo_order_with_partial_reads)
{
	struct netdev *a, *b;
	uint8_t f[1600], got[1600];
	unsigned sent = 0, read = 0;

	wire_pair(&a, &b);
	for (unsigned round = 0; round < 200; round++) {
		for (unsigned k = 0; k < 1 + round % 7; k++) {
			size_t len = make_frame(f, sent++, 3);
			ck_assert_int_eq(netdev_send(a, f, len, 0), 0);
		}
		for (unsigned k = 0; k < 1 + round % 5 && read < sent; k++) {
			size_t len = make_frame(f, read++, 3);
			ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 0), (ssize_t)len);
			ck_assert_mem_eq(got, f, len);
		}
	}
	while (read < sent) {
		size_t len = make_frame(f, read++, 3);
		ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 0), (ssize_t)len);
		ck_assert_mem_eq(got, f, len);
	}
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 0), 0);
	netdev_destroy(a);
	netdev_destroy(b);
}
END_TEST

/* next_deadline is the send time of the oldest waiting frame: due already. */
START_TEST(deadline_is_oldest_send_time)
{
	struct netdev *a, *b;
	uint8_t f[60] = {0}, got[60];

	wire_pair(&a, &b);
	ck_assert_uint_eq(netdev_next_deadline(b), UINT64_MAX);
	ck_assert_int_eq(netdev_send(a, f, sizeof(f), 7000), 0);
	ck_assert_int_eq(netdev_send(a, f, sizeof(f), 9000), 0);
	ck_assert_uint_eq(netdev_next_deadline(b), 7000);
	ck_assert_uint_eq(netdev_next_deadline(a), UINT64_MAX);
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 9500), 60);
	ck_assert_uint_eq(netdev_next_deadline(b), 9000);
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 9500), 60);
	ck_assert_uint_eq(netdev_next_deadline(b), UINT64_MAX);
	netdev_destroy(a);
	netdev_destroy(b);
}
END_TEST

/* A reader with a smaller buffer gets the frame cut, and the next frame intact. */
START_TEST(short_buffer_truncates_one_frame)
{
	struct netdev *a, *b;
	uint8_t f[100], got[100];

	for (int i = 0; i < 100; i++)
		f[i] = (uint8_t)i;
	wire_pair(&a, &b);
	ck_assert_int_eq(netdev_send(a, f, 100, 0), 0);
	ck_assert_int_eq(netdev_send(a, f + 50, 20, 0), 0);
	ck_assert_int_eq(netdev_recv(b, got, 30, 0), 30);
	ck_assert_mem_eq(got, f, 30);
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 0), 20);
	ck_assert_mem_eq(got, f + 50, 20);
	netdev_destroy(a);
	netdev_destroy(b);
}
END_TEST

START_TEST(send_to_destroyed_peer_fails)
{
	struct netdev *a, *b;
	uint8_t f[60] = {0};

	wire_pair(&a, &b);
	ck_assert_int_eq(netdev_send(b, f, sizeof(f), 0), 0); /* left unread in a */
	netdev_destroy(b);
	ck_assert_int_eq(netdev_send(a, f, sizeof(f), 0), -ENOTCONN);
	netdev_destroy(a);
}
END_TEST

/* ---- the two-stack harness's clock ------------------------------------------------------ */

struct fired {
	struct ts_timer timer;
	uint64_t at[4]; /* the stack clock each time it fired */
	int n;
};

static void on_fire(struct stack *st, struct ts_timer *t)
{
	struct fired *f = (struct fired *)t;
	f->at[f->n++] = st->now_us;
	if (f->n < 3)
		ts_timer_arm(st, t, st->now_us + 250000); /* every 250 ms, three times */
}

static bool fired_three(struct twostack *t, void *ctx)
{
	(void)t;
	return ((struct fired *)ctx)->n == 3;
}

/* With nothing on the wire the clock jumps straight from deadline to deadline. */
START_TEST(twostack_clock_jumps_to_deadlines)
{
	struct twostack t;
	struct fired f = {.n = 0};

	twostack_init(&t, NULL, NULL);
	ck_assert_uint_eq(t.now_us, 1000000);
	ck_assert_uint_eq(t.a.cfg.ip, 0x0a000001);
	ck_assert_uint_eq(t.b.cfg.ip, 0x0a000002);
	ck_assert_uint_eq(t.a.cfg.mac[5], 1);
	ck_assert_uint_eq(t.b.cfg.mac[5], 2);
	ts_timer_init(&f.timer, on_fire);
	ck_assert_int_eq(ts_timer_arm(&t.b, &f.timer, 1500000), 0);
	ck_assert(twostack_run_until(&t, fired_three, &f, 10000000));
	ck_assert_int_eq(f.n, 3);
	ck_assert_uint_eq(f.at[0], 1500000);
	ck_assert_uint_eq(f.at[1], 1750000);
	ck_assert_uint_eq(f.at[2], 2000000);
	ck_assert_uint_eq(t.now_us, 2000000);
	/* Nothing left to happen: the clock runs to the limit and done stays false. */
	ck_assert(!twostack_run_until(&t, NULL, NULL, 3000000));
	ck_assert_uint_eq(t.now_us, 5000000);
	twostack_free(&t);
}
END_TEST

/* A timer past the limit does not fire, and the clock stops exactly at the limit. */
START_TEST(twostack_stops_at_limit)
{
	struct twostack t;
	struct fired f = {.n = 0};

	twostack_init(&t, NULL, NULL);
	ts_timer_init(&f.timer, on_fire);
	ck_assert_int_eq(ts_timer_arm(&t.a, &f.timer, 9000000), 0);
	ck_assert(!twostack_run_until(&t, fired_three, &f, 2000000));
	ck_assert_int_eq(f.n, 0);
	ck_assert_uint_eq(t.now_us, 3000000);
	ts_timer_disarm(&t.a, &f.timer);
	twostack_free(&t);
}
END_TEST

static void tweak_seeds(struct ts_config *cfg, char which)
{
	cfg->seed = which == 'a' ? 77 : 78;
	cfg->mtu = 9000;
}

START_TEST(twostack_tweak_and_describe)
{
	struct twostack t;
	struct fault_spec spec = {
	    .loss_ppm = 100000, .corrupt_ppm = 5000, .delay_us = 1500, .seed = 9};
	char desc[160];

	twostack_init(&t, &spec, tweak_seeds);
	ck_assert_uint_eq(t.a.cfg.seed, 77);
	ck_assert_uint_eq(t.b.cfg.mtu, 9000);
	ck_assert_str_eq(t.da->name, "faults(wire:a)");
	ck_assert_str_eq(twostack_describe(&t, desc, sizeof(desc)),
			 "fault seed 9 (--faults loss=10%,dup=0%,reorder=0%,corrupt=0.5%,"
			 "delay=1500us,jitter=0us,seed=9)");
	twostack_free(&t);
	twostack_init(&t, NULL, NULL);
	ck_assert_str_eq(twostack_describe(&t, desc, sizeof(desc)),
			 "perfect wire, stack seeds 1/2");
	twostack_free(&t);
}
END_TEST

/* Sends one frame of an experimental EtherType (IEEE 802 local, 0x88b5) from st to 10.0.0.x. */
static void send_raw(struct stack *st, uint8_t dst_last, uint32_t i)
{
	struct ts_buf *b = ts_buf_alloc(st, 100, TS_BUF_HEADROOM);
	ck_assert_ptr_nonnull(b);
	uint8_t *p = ts_buf_put(b, 60);
	memset(p, 0, 60);
	memcpy(p, (uint8_t[6]){0x02, 0, 0, 0, 0, dst_last}, 6);
	memcpy(p + 6, st->cfg.mac, 6);
	p[12] = 0x88;
	p[13] = 0xb5;
	p[14] = (uint8_t)(i >> 8);
	p[15] = (uint8_t)i;
	ck_assert_int_eq(stack_link_output(st, b), 0);
}

static bool all_arrived(struct twostack *t, void *ctx)
{
	struct fault_stats tx;
	faults_get_stats(t->da, &tx, NULL);
	(void)ctx;
	return t->b.counters[CTR_ETH_RX] == tx.released &&
	       stack_next_deadline(&t->a) == UINT64_MAX && stack_next_deadline(&t->b) == UINT64_MAX;
}

/*
 * Frames through the whole harness: stack a sends 1000 frames 1 ms apart
 * over loss=10%,delay=5ms,jitter=1ms; stack b's poll receives exactly the
 * frames the fault wrapper let through (and drops each as an unknown
 * EtherType), the clock jumps to held frames' deadlines, and the same seed
 * gives the same counts.
 */
static void run_faulty(uint64_t *rx, uint64_t *lost, uint64_t *end_us)
{
	struct twostack t;
	struct fault_spec spec = {
	    .loss_ppm = 100000, .delay_us = 5000, .jitter_us = 1000, .seed = 4242};
	struct fault_stats tx;

	twostack_init(&t, &spec, NULL);
	for (uint32_t i = 0; i < 1000; i++) {
		send_raw(&t.a, 2, i);
		twostack_advance(&t, 1000);
	}
	twostack_assert(&t, twostack_run_until(&t, all_arrived, NULL, 1000000));
	faults_get_stats(t.da, &tx, NULL);
	twostack_assert(&t, tx.frames == 1000);
	twostack_assert(&t, tx.lost + tx.released == 1000);
	twostack_assert(&t, t.b.drops[DROP_ETH_UNKNOWN_TYPE] == tx.released);
	twostack_assert(&t, t.now_us >= 1000000 + 1000 * 1000 + 4000);
	*rx = t.b.counters[CTR_ETH_RX];
	*lost = tx.lost;
	*end_us = t.now_us;
	twostack_free(&t);
}

START_TEST(twostack_frames_cross_faults)
{
	uint64_t rx1, lost1, end1, rx2, lost2, end2;
	run_faulty(&rx1, &lost1, &end1);
	run_faulty(&rx2, &lost2, &end2);
	/* Binomial(1000, 0.1): mean 100, sd 9.5; +-6 sd. */
	ck_assert_uint_ge(lost1, 43);
	ck_assert_uint_le(lost1, 157);
	ck_assert_uint_eq(rx1, 1000 - lost1);
	ck_assert_uint_eq(rx1, rx2);
	ck_assert_uint_eq(lost1, lost2);
	ck_assert_uint_eq(end1, end2);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("fifo");
	tcase_add_test(tc, fifo_both_ways_exact_bytes);
	tcase_add_test(tc, fifo_order_with_partial_reads);
	tcase_add_test(tc, deadline_is_oldest_send_time);
	tcase_add_test(tc, short_buffer_truncates_one_frame);
	tcase_add_test(tc, send_to_destroyed_peer_fails);
	suite_add_tcase(s, tc);
	tc = tcase_create("twostack");
	tcase_add_test(tc, twostack_clock_jumps_to_deadlines);
	tcase_add_test(tc, twostack_stops_at_limit);
	tcase_add_test(tc, twostack_tweak_and_describe);
	tcase_add_test(tc, twostack_frames_cross_faults);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(wire_suite)
