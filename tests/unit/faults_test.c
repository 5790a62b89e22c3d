/*
 * faults_test.c - tap/faults.c: the --faults parser (exact error texts),
 * and each fault's effect through a wire, in both directions, with fixed
 * seeds: loss and dup rates within binomial bounds, corruption of exactly
 * one bit, delay and jitter held by the clock, reordering, the hold bound,
 * determinism.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "faults.h"
#include "wire.h"

#define T0 1000000u /* clock at the start of each test, in us */

/* ---- parser --------------------------------------------------------------------------- */

START_TEST(parse_full_spec_any_order)
{
	struct fault_spec s;
	char err[160];

	ck_assert_int_eq(fault_spec_parse("seed=42,corrupt=0.5%,jitter=2ms,delay=5ms,reorder=10%,"
					  "dup=1%,loss=5%",
					  &s, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(s.loss_ppm, 50000);
	ck_assert_uint_eq(s.dup_ppm, 10000);
	ck_assert_uint_eq(s.reorder_ppm, 100000);
	ck_assert_uint_eq(s.corrupt_ppm, 5000);
	ck_assert_uint_eq(s.delay_us, 5000);
	ck_assert_uint_eq(s.jitter_us, 2000);
	ck_assert_uint_eq(s.seed, 42);
}
END_TEST

START_TEST(parse_units_and_limits)
{
	struct fault_spec s;
	char err[160];

	ck_assert_int_eq(fault_spec_parse("loss=0.0001%,dup=100%,delay=1.5ms,jitter=250us", &s, err,
					  sizeof(err)),
			 0);
	ck_assert_uint_eq(s.loss_ppm, 1);
	ck_assert_uint_eq(s.dup_ppm, 1000000);
	ck_assert_uint_eq(s.delay_us, 1500);
	ck_assert_uint_eq(s.jitter_us, 250);
	ck_assert_uint_eq(s.seed, 0);
	ck_assert_int_eq(fault_spec_parse("delay=2s,reorder=12.25%", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.delay_us, 2000000);
	ck_assert_uint_eq(s.reorder_ppm, 122500);
	ck_assert_int_eq(
	    fault_spec_parse("delay=0.000001s,seed=18446744073709551", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.delay_us, 1);
	ck_assert_uint_eq(s.seed, 18446744073709551ull);
	/* The empty spec is valid and changes nothing. */
	ck_assert_int_eq(fault_spec_parse("", &s, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.loss_ppm + s.dup_ppm + s.delay_us + s.seed, 0);
}
END_TEST

/* Each bad spec and the exact one-line message naming the bad item. */
START_TEST(parse_errors_name_the_item)
{
	static const struct {
		const char *spec, *err;
	} cases[] = {
	    {"loss=5", "loss=5: expected a percentage such as 5% or 0.5%"},
	    {"dup=1%,loss=5x%", "loss=5x%: expected a percentage such as 5% or 0.5%"},
	    {"loss=101%", "loss=101%: more than 100%"},
	    {"corrupt=0.00001%", "corrupt=0.00001%: finer than 0.0001% (1 ppm)"},
	    {"reorder=.5%", "reorder=.5%: expected a percentage such as 5% or 0.5%"},
	    {"delay=5", "delay=5: expected a time such as 500us, 5ms or 1s"},
	    {"delay=5min", "delay=5min: expected a time such as 500us, 5ms or 1s"},
	    {"jitter=0.5us", "jitter=0.5us: finer than 1us"},
	    {"delay=61s", "delay=61s: more than 60s"},
	    {"seed=-1", "seed=-1: expected an unsigned integer below 10^19"},
	    {"seed=12abc", "seed=12abc: expected an unsigned integer below 10^19"},
	    {"drop=5%", "drop=5%: unknown fault 'drop' (expected loss, dup, reorder, corrupt, "
			"delay, jitter or seed)"},
	    {"loss=1%,loss=2%", "loss=2%: loss given twice"},
	    {"loss", "loss: expected NAME=VALUE, e.g. loss=5%"},
	    {"loss=1%,", "empty item (two commas in a row, or a trailing comma)"},
	    {"loss=1%,,dup=1%", "empty item (two commas in a row, or a trailing comma)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault_spec s;
		char err[160] = "untouched";
		ck_assert_msg(fault_spec_parse(cases[i].spec, &s, err, sizeof(err)) == -1,
			      "'%s' was accepted", cases[i].spec);
		ck_assert_str_eq(err, cases[i].err);
	}
}
END_TEST

/* ---- harness: one direction of a wrapped wire ----------------------------------------- */

/*
 * A wire with end a sending to end b, and the wrapper on the sending side
 * (tx faults) or the receiving side (rx faults).  Frames carry their
 * sequence number in bytes 14..17.
 */
struct link {
	struct netdev *a, *b;  /* wire ends */
	struct netdev *snd;    /* what the test sends on: a or faults(a) */
	struct netdev *rcv;    /* what the test receives on: b or faults(b) */
	struct netdev *faults; /* the wrapper */
	bool tx;	       /* faults on the sending side */
};

static void link_open(struct link *l, const struct fault_spec *spec, bool tx)
{
	wire_pair(&l->a, &l->b);
	l->tx = tx;
	if (tx) {
		l->snd = l->faults = faults_wrap(l->a, spec);
		l->rcv = l->b;
	} else {
		l->snd = l->a;
		l->rcv = l->faults = faults_wrap(l->b, spec);
	}
	ck_assert_ptr_nonnull(l->faults);
}

static void link_close(struct link *l)
{
	netdev_destroy(l->snd);
	netdev_destroy(l->rcv);
}

static size_t seq_frame(uint8_t *f, uint32_t seq, size_t len)
{
	memset(f, 0, len);
	memset(f, 0xff, 6); /* broadcast destination, like a real frame */
	for (size_t k = 18; k < len; k++)
		f[k] = (uint8_t)(seq + k);
	f[14] = (uint8_t)(seq >> 24);
	f[15] = (uint8_t)(seq >> 16);
	f[16] = (uint8_t)(seq >> 8);
	f[17] = (uint8_t)seq;
	return len;
}

static uint32_t frame_seq(const uint8_t *f)
{
	return (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 | (uint32_t)f[16] << 8 | f[17];
}

/* Sends one frame and receives everything due at now; returns frames received. */
static unsigned link_step(struct link *l, uint32_t seq, size_t len, uint64_t now,
			  uint32_t *seqs_out, unsigned max_out)
{
	uint8_t f[1600], got[1600];
	unsigned n = 0;
	ssize_t r;

	seq_frame(f, seq, len);
	ck_assert_int_eq(netdev_send(l->snd, f, len, now), 0);
	if (l->tx)
		netdev_recv(l->snd, got, sizeof(got), now); /* lets held tx frames out */
	while ((r = netdev_recv(l->rcv, got, sizeof(got), now)) > 0) {
		if (seqs_out && n < max_out)
			seqs_out[n] = frame_seq(got);
		n++;
	}
	return n;
}

static struct fault_stats dir_stats(struct link *l)
{
	struct fault_stats tx, rx;
	faults_get_stats(l->faults, &tx, &rx);
	return l->tx ? tx : rx;
}

/*
 * 100000 frames through loss=10% in direction tx or rx.  Lost frames are a
 * Binomial(n = 100000, p = 0.1): mean 10000, sd = sqrt(n p (1-p)) = 94.9;
 * the bounds are ±6 sd, so a correct implementation falls outside them
 * with probability 2e-9 for a random seed (the seed here is fixed, so the
 * result is simply reproducible).
 */
static void check_loss(bool tx)
{
	struct fault_spec spec = {.loss_ppm = 100000, .seed = 1234};
	struct link l;
	unsigned got = 0;
	uint32_t last = 0, seq;
	bool first = true;

	link_open(&l, &spec, tx);
	for (uint32_t i = 0; i < 100000; i++) {
		unsigned n = link_step(&l, i, 60, T0, &seq, 1);
		ck_assert_uint_le(n, 1);
		if (n) {
			ck_assert_msg(first || seq > last, "order broken at %u", seq);
			ck_assert_uint_eq(seq, i);
			last = seq;
			first = false;
		}
		got += n;
	}
	struct fault_stats s = dir_stats(&l);
	unsigned lost = 100000 - got;
	ck_assert_uint_ge(lost, 10000 - 570);
	ck_assert_uint_le(lost, 10000 + 570);
	ck_assert_uint_eq(s.frames, 100000);
	ck_assert_uint_eq(s.lost, lost);
	ck_assert_uint_eq(s.released, got);
	ck_assert_uint_eq(s.duplicated + s.corrupted + s.reordered + s.delayed + s.overflow, 0);
	link_close(&l);
}

START_TEST(loss_rate_tx)
{
	check_loss(true);
}
END_TEST

START_TEST(loss_rate_rx)
{
	check_loss(false);
}
END_TEST

/* dup=100%: every frame arrives twice, back to back, byte-identical. */
START_TEST(dup_always_twice_in_order)
{
	struct fault_spec spec = {.dup_ppm = 1000000, .seed = 5};
	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		uint32_t seqs[4];
		link_open(&l, &spec, dir == 0);
		for (uint32_t i = 0; i < 1000; i++) {
			ck_assert_uint_eq(link_step(&l, i, 100, T0, seqs, 4), 2);
			ck_assert_uint_eq(seqs[0], i);
			ck_assert_uint_eq(seqs[1], i);
		}
		ck_assert_uint_eq(dir_stats(&l).duplicated, 1000);
		link_close(&l);
	}
}
END_TEST

/*
 * dup=5% over 100000 frames: extra copies ~ Binomial(100000, 0.05), mean
 * 5000, sd 68.9, bounds ±6 sd = ±413.
 */
START_TEST(dup_rate)
{
	struct fault_spec spec = {.dup_ppm = 50000, .seed = 77};
	struct link l;
	unsigned got = 0;

	link_open(&l, &spec, false);
	for (uint32_t i = 0; i < 100000; i++)
		got += link_step(&l, i, 60, T0, NULL, 0);
	ck_assert_uint_ge(got - 100000, 5000 - 413);
	ck_assert_uint_le(got - 100000, 5000 + 413);
	ck_assert_uint_eq(dir_stats(&l).duplicated, got - 100000);
	link_close(&l);
}
END_TEST

static int popcount8(uint8_t x)
{
	int n = 0;
	for (; x; x &= (uint8_t)(x - 1))
		n++;
	return n;
}

/* corrupt=100%: each frame differs from what was sent in exactly one bit, after the Ethernet
 * header (or anywhere in a frame no longer than it). */
START_TEST(corrupt_flips_exactly_one_bit)
{
	struct fault_spec spec = {.corrupt_ppm = 1000000, .seed = 99};
	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		uint8_t f[1600], got[1600];
		unsigned hit_offsets_over_1000 = 0;
		link_open(&l, &spec, dir == 0);
		for (uint32_t i = 0; i < 5000; i++) {
			size_t len = 1 + (i * 389u) % 1514u;
			seq_frame(f, i, len < 18 ? 18 : len);
			ck_assert_int_eq(netdev_send(l.snd, f, len, T0), 0);
			ssize_t n = netdev_recv(l.rcv, got, sizeof(got), T0);
			ck_assert_int_eq(n, (ssize_t)len);
			int bits = 0;
			size_t where = 0;
			for (size_t k = 0; k < len; k++)
				if (got[k] != f[k]) {
					bits += popcount8(got[k] ^ f[k]);
					where = k;
				}
			ck_assert_msg(bits == 1, "frame %u (len %zu): %d bits changed", i, len,
				      bits);
			if (len > 14)
				ck_assert_uint_ge(where, 14);
			hit_offsets_over_1000 += where > 1000;
		}
		/* The offset is spread over the frame, not stuck near the start. */
		ck_assert_uint_gt(hit_offsets_over_1000, 100);
		ck_assert_uint_eq(dir_stats(&l).corrupted, 5000);
		link_close(&l);
	}
}
END_TEST

/* delay=5ms holds a frame until the clock reaches send time + 5 ms, in both directions. */
START_TEST(delay_holds_until_clock)
{
	struct fault_spec spec = {.delay_us = 5000, .seed = 3};
	uint8_t f[60], got[64];

	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		link_open(&l, &spec, dir == 0);
		seq_frame(f, 7, sizeof(f));
		ck_assert_int_eq(netdev_send(l.snd, f, sizeof(f), T0), 0);
		if (dir == 0) {
			/* Held in the wrapper: nothing on the wire yet. */
			ck_assert_uint_eq(netdev_next_deadline(l.faults), T0 + 5000);
			ck_assert_int_eq(netdev_recv(l.snd, got, sizeof(got), T0 + 4999), 0);
			ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0 + 4999), 0);
			ck_assert_int_eq(netdev_recv(l.snd, got, sizeof(got), T0 + 5000), 0);
		} else {
			/* On the wire, due now: the wrapper takes it and holds it. */
			ck_assert_uint_eq(netdev_next_deadline(l.faults), T0);
			ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0), 0);
			ck_assert_uint_eq(netdev_next_deadline(l.faults), T0 + 5000);
			ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0 + 4999), 0);
		}
		ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0 + 5000), 60);
		ck_assert_mem_eq(got, f, 60);
		ck_assert_uint_eq(netdev_next_deadline(l.faults), UINT64_MAX);
		ck_assert_uint_eq(dir_stats(&l).delayed, 1);
		link_close(&l);
	}
}
END_TEST

/*
 * delay=5ms,jitter=2ms: 2000 frames sent at T0 come out between T0+3 ms and
 * T0+7 ms, spread over the range (each end within 0.2 ms: the chance that
 * 2000 uniform draws all miss a 5 % band is 0.95^2000 < 1e-44), and the
 * jitter reorders some of them, as netem's does.
 */
START_TEST(jitter_spreads_and_reorders)
{
	struct fault_spec spec = {.delay_us = 5000, .jitter_us = 2000, .seed = 11};
	struct link l;
	uint8_t f[60], got[64];
	uint64_t lo = UINT64_MAX, hi = 0;
	unsigned n = 0, inversions = 0;
	uint32_t last = 0;

	link_open(&l, &spec, false);
	for (uint32_t i = 0; i < 2000; i++) {
		seq_frame(f, i, sizeof(f));
		ck_assert_int_eq(netdev_send(l.snd, f, sizeof(f), T0), 0);
	}
	for (;;) {
		uint64_t t = netdev_next_deadline(l.rcv);
		if (t == UINT64_MAX)
			break;
		ssize_t r;
		while ((r = netdev_recv(l.rcv, got, sizeof(got), t)) > 0) {
			uint32_t seq = frame_seq(got);
			inversions += n > 0 && seq < last;
			last = seq;
			n++;
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
	}
	ck_assert_uint_eq(n, 2000);
	ck_assert_uint_ge(lo, T0 + 3000);
	ck_assert_uint_le(lo, T0 + 3200);
	ck_assert_uint_le(hi, T0 + 7000);
	ck_assert_uint_ge(hi, T0 + 6800);
	ck_assert_uint_gt(inversions, 0);
	link_close(&l);
}
END_TEST

/* reorder=100%: each even frame waits and the next one overtakes it: 1 0 3 2 5 4 ... */
START_TEST(reorder_lets_next_frame_overtake)
{
	struct fault_spec spec = {.reorder_ppm = 1000000, .seed = 8};
	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		uint8_t f[60], got[64];
		link_open(&l, &spec, dir == 0);
		for (uint32_t i = 0; i < 10; i++) {
			seq_frame(f, i, sizeof(f));
			ck_assert_int_eq(netdev_send(l.snd, f, sizeof(f), T0), 0);
		}
		for (uint32_t i = 0; i < 10; i++) {
			ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0), 60);
			ck_assert_uint_eq(frame_seq(got), i ^ 1);
		}
		ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0), 0);
		ck_assert_uint_eq(dir_stats(&l).reordered, 5);
		link_close(&l);
	}
}
END_TEST

/* A reordered frame that nothing overtakes goes out 10 ms later anyway (the bound). */
START_TEST(reorder_hold_is_bounded)
{
	struct fault_spec spec = {.reorder_ppm = 1000000, .seed = 8};
	uint8_t f[60], got[64];

	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		link_open(&l, &spec, dir == 0);
		seq_frame(f, 42, sizeof(f));
		ck_assert_int_eq(netdev_send(l.snd, f, sizeof(f), T0), 0);
		if (dir == 0)
			ck_assert_int_eq(netdev_recv(l.snd, got, sizeof(got), T0), 0);
		ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0), 0);
		ck_assert_uint_eq(netdev_next_deadline(l.faults), T0 + 10000);
		if (dir == 0)
			ck_assert_int_eq(netdev_recv(l.snd, got, sizeof(got), T0 + 9999), 0);
		ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0 + 9999), 0);
		if (dir == 0)
			ck_assert_int_eq(netdev_recv(l.snd, got, sizeof(got), T0 + 10000), 0);
		ck_assert_int_eq(netdev_recv(l.rcv, got, sizeof(got), T0 + 10000), 60);
		ck_assert_uint_eq(frame_seq(got), 42);
		link_close(&l);
	}
}
END_TEST

/* A frame hold queue is bounded: with a 1 s delay, frames past 8192 held are dropped. */
START_TEST(hold_queue_overflow_counted)
{
	struct fault_spec spec = {.delay_us = 1000000, .seed = 1};
	struct link l;
	uint8_t f[60];

	link_open(&l, &spec, true);
	for (uint32_t i = 0; i < 8192 + 10; i++) {
		seq_frame(f, i, sizeof(f));
		ck_assert_int_eq(netdev_send(l.snd, f, sizeof(f), T0), 0);
	}
	struct fault_stats s = dir_stats(&l);
	ck_assert_uint_eq(s.delayed, 8192 + 10);
	ck_assert_uint_eq(s.overflow, 10);
	link_close(&l);
}
END_TEST

/*
 * Runs 3000 frames of a mixed spec through both directions at a moving
 * clock and records what arrived and when, as a checksum-like fingerprint
 * per frame.
 */
static unsigned mixed_run(uint64_t seed, uint64_t *trace, unsigned cap)
{
	struct fault_spec spec = {.loss_ppm = 100000,
				  .dup_ppm = 50000,
				  .reorder_ppm = 100000,
				  .corrupt_ppm = 50000,
				  .delay_us = 1000,
				  .jitter_us = 800,
				  .seed = seed};
	struct netdev *a, *b;
	uint8_t f[300], got[300];
	unsigned n = 0;

	wire_pair(&a, &b);
	a = faults_wrap(a, &spec);
	spec.seed = seed + 1000;
	b = faults_wrap(b, &spec);
	for (uint32_t i = 0; i < 3000; i++) {
		uint64_t now = T0 + i * 100;
		size_t len = seq_frame(f, i, 60 + i % 200);
		ck_assert_int_eq(netdev_send(a, f, len, now), 0);
		netdev_recv(a, got, sizeof(got), now);
		ssize_t r;
		while ((r = netdev_recv(b, got, sizeof(got), now)) > 0 && n < cap) {
			uint64_t h = now;
			for (ssize_t k = 0; k < r; k++)
				h = h * 1099511628211ull ^ got[k];
			trace[n++] = h;
		}
	}
	netdev_destroy(a);
	netdev_destroy(b);
	return n;
}

START_TEST(same_seed_same_sequence)
{
	static uint64_t t1[8000], t2[8000], t3[8000];
	unsigned n1 = mixed_run(42, t1, 8000), n2 = mixed_run(42, t2, 8000);
	unsigned n3 = mixed_run(43, t3, 8000);

	ck_assert_uint_gt(n1, 2000);
	ck_assert_uint_eq(n1, n2);
	ck_assert_mem_eq(t1, t2, n1 * sizeof(t1[0]));
	ck_assert_msg(n1 != n3 || memcmp(t1, t3, n1 * sizeof(t1[0])) != 0,
		      "seeds 42 and 43 gave the same run");
}
END_TEST

/* faults_stats prints both directions, every count named. */
START_TEST(stats_text)
{
	struct fault_spec spec = {.loss_ppm = 1000000, .seed = 1};
	struct link l;
	char *text = NULL;
	size_t len = 0;

	link_open(&l, &spec, true);
	for (uint32_t i = 0; i < 3; i++)
		link_step(&l, i, 60, T0, NULL, 0);
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	faults_stats(l.faults, out);
	fclose(out);
	ck_assert_str_eq(text, "faults(wire:a) tx: 3 frames, 3 lost, 0 duplicated, 0 corrupted, 0 "
			       "reordered, 0 delayed, 0 dropped (hold queue full), 0 passed on\n"
			       "faults(wire:a) rx: 0 frames, 0 lost, 0 duplicated, 0 corrupted, 0 "
			       "reordered, 0 delayed, 0 dropped (hold queue full), 0 passed on\n");
	free(text);
	link_close(&l);
}
END_TEST

/* With no fault, frames pass unchanged, in order, at once, and nothing is ever held. */
START_TEST(zero_spec_is_transparent)
{
	struct fault_spec spec = {.seed = 1};
	for (int dir = 0; dir < 2; dir++) {
		struct link l;
		uint32_t seq;
		link_open(&l, &spec, dir == 0);
		for (uint32_t i = 0; i < 1000; i++) {
			ck_assert_uint_eq(link_step(&l, i, 60 + i, T0 + i, &seq, 1), 1);
			ck_assert_uint_eq(seq, i);
			ck_assert_uint_eq(netdev_next_deadline(l.faults), UINT64_MAX);
		}
		ck_assert_int_eq(netdev_pollfd(l.faults), -1);
		link_close(&l);
	}
}
END_TEST

/* faults_wrap_dirs(FAULTS_TX): what is sent is impaired, what is received passes untouched. */
START_TEST(one_direction_only)
{
	struct fault_spec spec = {.loss_ppm = 1000000, .seed = 1};
	struct netdev *a, *b;
	uint8_t f[60], got[64];

	wire_pair(&a, &b);
	struct netdev *fa = faults_wrap_dirs(a, &spec, FAULTS_TX);
	seq_frame(f, 1, sizeof(f));
	ck_assert_int_eq(netdev_send(fa, f, sizeof(f), T0), 0);
	ck_assert_int_eq(netdev_recv(b, got, sizeof(got), T0), 0); /* lost on the way out */
	ck_assert_int_eq(netdev_send(b, f, sizeof(f), T0), 0);
	ck_assert_int_eq(netdev_recv(fa, got, sizeof(got), T0), 60); /* received untouched */
	ck_assert_mem_eq(got, f, 60);
	struct fault_stats tx, rx;
	faults_get_stats(fa, &tx, &rx);
	ck_assert_uint_eq(tx.lost, 1);
	ck_assert_uint_eq(rx.frames, 0);
	netdev_destroy(fa);
	netdev_destroy(b);
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, parse_full_spec_any_order);
	tcase_add_test(tc, parse_units_and_limits);
	tcase_add_test(tc, parse_errors_name_the_item);
	suite_add_tcase(s, tc);
	tc = tcase_create("inject");
	tcase_set_timeout(tc, 30); /* 100k-frame runs under ASan */
	tcase_add_test(tc, loss_rate_tx);
	tcase_add_test(tc, loss_rate_rx);
	tcase_add_test(tc, dup_always_twice_in_order);
	tcase_add_test(tc, dup_rate);
	tcase_add_test(tc, corrupt_flips_exactly_one_bit);
	tcase_add_test(tc, delay_holds_until_clock);
	tcase_add_test(tc, jitter_spreads_and_reorders);
	tcase_add_test(tc, reorder_lets_next_frame_overtake);
	tcase_add_test(tc, reorder_hold_is_bounded);
	tcase_add_test(tc, hold_queue_overflow_counted);
	tcase_add_test(tc, same_seed_same_sequence);
	tcase_add_test(tc, stats_text);
	tcase_add_test(tc, zero_spec_is_transparent);
	tcase_add_test(tc, one_direction_only);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(faults_suite)
