/*
 * twostack.c - two stacks over the in-memory wire with a virtual clock
 * (see twostack.h; smoltcp tests/netsim.rs is the model).
 *
 * The loop is: poll a, poll b at the same virtual time; when neither
 * handled a frame or a timer, jump the clock to the earliest deadline of
 * either (its timers, frames held by the fault wrappers, frames waiting on
 * the wire).  Nothing reads the real clock, so a run is a pure function of
 * the configurations and seeds.
 */
#include "twostack.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapstack.h"
#include "wire.h"

/* Virtual clock at start: 1 s, so "time 0" never looks like an unset deadline. */
#define TWOSTACK_START_US 1000000u
/*
 * Rounds in a row that handle something without the clock moving before we
 * call it a livelock (two stacks answering each other forever at one
 * instant).  A 10 MiB transfer over a perfect wire needs well under 10^5.
 */
#define TWOSTACK_MAX_SPINS 5000000u

/* "5%", "0.5%", "0.0001%" from parts per million (the form fault_spec_parse reads). */
static void fmt_percent(char *buf, size_t len, uint32_t ppm)
{
	uint32_t whole = ppm / 10000, frac = ppm % 10000;
	int digits = 4;
	while (frac && frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	if (frac)
		snprintf(buf, len, "%" PRIu32 ".%0*" PRIu32 "%%", whole, digits, frac);
	else
		snprintf(buf, len, "%" PRIu32 "%%", whole);
}

const char *twostack_describe(const struct twostack *t, char *buf, size_t len)
{
	char loss[16], dup[16], reorder[16], corrupt[16];
	const struct fault_spec *s = &t->spec;

	if (!t->faulty) {
		snprintf(buf, len, "perfect wire, stack seeds %" PRIu64 "/%" PRIu64, t->a.cfg.seed,
			 t->b.cfg.seed);
		return buf;
	}
	fmt_percent(loss, sizeof(loss), s->loss_ppm);
	fmt_percent(dup, sizeof(dup), s->dup_ppm);
	fmt_percent(reorder, sizeof(reorder), s->reorder_ppm);
	fmt_percent(corrupt, sizeof(corrupt), s->corrupt_ppm);
	snprintf(buf, len,
		 "fault seed %" PRIu64 " (--faults loss=%s,dup=%s,reorder=%s,corrupt=%s,"
		 "delay=%" PRIu32 "us,jitter=%" PRIu32 "us,seed=%" PRIu64 ")",
		 s->seed, loss, dup, reorder, corrupt, s->delay_us, s->jitter_us, s->seed);
	return buf;
}

static void config_for(struct ts_config *cfg, char which)
{
	ts_config_default(cfg);
	cfg->ip = which == 'a' ? 0x0a000001 : 0x0a000002; /* 10.0.0.1 / 10.0.0.2 */
	cfg->prefix_len = 24;
	cfg->ip6[15] = which == 'a' ? 1 : 2; /* fd00::1 / fd00::2 */
	memcpy(cfg->mac, (uint8_t[6]){0x02, 0, 0, 0, 0, which == 'a' ? 0x01 : 0x02}, 6);
	cfg->seed = which == 'a' ? 1 : 2;
	cfg->gratuitous_arp = false;
}

void twostack_init(struct twostack *t, const struct fault_spec *faults,
		   void (*tweak)(struct ts_config *cfg, char which))
{
	twostack_init_offload(t, faults, tweak, 0, 0);
}

void twostack_init_offload(struct twostack *t, const struct fault_spec *faults,
			   void (*tweak)(struct ts_config *cfg, char which), uint32_t a_tx_csum,
			   uint32_t b_tx_csum)
{
	struct twostack_wire w = {.a = {.tx_csum = a_tx_csum}, .b = {.tx_csum = b_tx_csum}};
	twostack_init_wire(t, faults, tweak, &w);
}

void twostack_init_wire(struct twostack *t, const struct fault_spec *faults,
			void (*tweak)(struct ts_config *cfg, char which),
			const struct twostack_wire *w)
{
	struct ts_config ca, cb;
	char desc[160];

	memset(t, 0, sizeof(*t));
	t->now_us = TWOSTACK_START_US;
	config_for(&ca, 'a');
	config_for(&cb, 'b');
	if (tweak) {
		tweak(&ca, 'a');
		tweak(&cb, 'b');
	}
	wire_pair(&t->da, &t->db);
	t->wire_a = t->da;
	t->wire_b = t->db;
	wire_set_offload(t->da, &w->a);
	wire_set_offload(t->db, &w->b);
	unsigned dirs = w->fault_dirs ? w->fault_dirs : FAULTS_TX;
	if (faults) {
		const char *env = getenv("TS_FAULT_SEED");
		t->faulty = true;
		t->spec = *faults;
		if (env && *env)
			t->spec.seed = strtoull(env, NULL, 0);
		/*
		 * Each end impairs what it sends (FAULTS_TX), so a frame crosses the spec
		 * once, not twice: loss=10% loses 10% of the frames each way, as one
		 * --faults wrapper on a TAP does.  Each end has its own streams: a's
		 * seed is seed*2, b's seed*2+1 (faults_wrap splits each into tx/rx).
		 */
		struct fault_spec sa = t->spec, sb = t->spec;
		sa.seed = t->spec.seed * 2;
		sb.seed = t->spec.seed * 2 + 1;
		t->da = faults_wrap_dirs(t->da, &sa, dirs);
		t->db = faults_wrap_dirs(t->db, &sb, dirs);
		ck_assert_ptr_nonnull(t->da);
		ck_assert_ptr_nonnull(t->db);
	}
	if (t->faulty) {
		/*
		 * Check ends a failed test with _exit() and its messages are the test's
		 * own, so the seed goes to stderr now: it then sits in the log right
		 * above any failure or timeout of this test.
		 */
		fprintf(stderr, "twostack: %s\n", twostack_describe(t, desc, sizeof(desc)));
	}
	int ea = stack_init(&t->a, &ca, t->da, t->now_us);
	ck_assert_msg(ea == 0, "stack a failed to start: %s (%s)", strerror(-ea),
		      twostack_describe(t, desc, sizeof(desc)));
	int eb = stack_init(&t->b, &cb, t->db, t->now_us);
	ck_assert_msg(eb == 0, "stack b failed to start: %s (%s)", strerror(-eb),
		      twostack_describe(t, desc, sizeof(desc)));
}

bool twostack_run_until(struct twostack *t, bool (*done)(struct twostack *, void *), void *ctx,
			uint64_t max_us)
{
	uint64_t limit = t->now_us + max_us < t->now_us ? UINT64_MAX : t->now_us + max_us;
	uint64_t spins = 0;
	unsigned stuck = 0;
	char desc[160];

	for (;;) {
		if (done && done(t, ctx))
			return true;
		int handled = stack_poll(&t->a, t->now_us);
		handled += stack_poll(&t->b, t->now_us);
		if (handled > 0) {
			stuck = 0;
			ck_assert_msg(++spins < TWOSTACK_MAX_SPINS,
				      "twostack: livelock, %u rounds at t=%" PRIu64 "us (%s)",
				      TWOSTACK_MAX_SPINS, t->now_us,
				      twostack_describe(t, desc, sizeof(desc)));
			continue;
		}
		uint64_t da = stack_next_deadline(&t->a), db = stack_next_deadline(&t->b);
		uint64_t next = da < db ? da : db;
		if (next <= t->now_us) {
			/*
			 * Due already but nobody handled anything: a frame one stack's
			 * wrapper released during its poll waits on the other's wire.  One
			 * more round takes it; if rounds keep handling nothing (a deadline
			 * that polling does not consume), nudge the clock so the loop ends.
			 */
			if (++stuck < 4)
				continue;
			next = t->now_us + 1;
		}
		stuck = 0;
		if (t->now_us >= limit)
			return done ? done(t, ctx) : false;
		t->now_us = next < limit ? next : limit;
		spins = 0;
	}
}

/*
 * The wait hook of both stacks (twostack_blocking): one round of
 * twostack_run_until's loop.  Returns 1 when frames moved or the clock
 * advanced, 0 when nothing will ever happen (no deadline anywhere) or the
 * time budget is spent.
 */
static int twostack_wait(struct stack *st, uint64_t until_us, void *ctx)
{
	struct twostack *t = ctx;
	(void)st;
	t->block_waits++;
	uint64_t step_next = t->block_step ? t->block_step(t, t->block_ctx) : UINT64_MAX;
	int handled = stack_poll(&t->a, t->now_us);
	handled += stack_poll(&t->b, t->now_us);
	if (handled > 0) {
		/* As in twostack_run_until: rounds that never let the clock move are a livelock. */
		char desc[160];
		ck_assert_msg(
		    ++t->block_spins < TWOSTACK_MAX_SPINS,
		    "twostack: livelock in a blocking call, %u rounds at t=%" PRIu64 "us (%s)",
		    TWOSTACK_MAX_SPINS, t->now_us, twostack_describe(t, desc, sizeof(desc)));
		return 1;
	}
	t->block_spins = 0;
	uint64_t da = stack_next_deadline(&t->a), db = stack_next_deadline(&t->b);
	uint64_t next = da < db ? da : db;
	if (step_next < next)
		next = step_next;
	if (next <= t->now_us)
		next = t->now_us + 1; /* due but not consumed: nudge, as run_until does */
	if (next > until_us)
		next = until_us; /* the call's own deadline (a poll timeout) */
	if (next == UINT64_MAX || next > t->block_until_us)
		return 0;
	t->now_us = next;
	stack_poll(&t->a, t->now_us);
	stack_poll(&t->b, t->now_us);
	return 1;
}

void twostack_blocking(struct twostack *t, uint64_t max_us,
		       uint64_t (*step)(struct twostack *t, void *ctx), void *ctx)
{
	t->block_until_us = t->now_us + max_us;
	t->block_step = step;
	t->block_ctx = ctx;
	ts_set_wait_hook(&t->a, twostack_wait, t);
	ts_set_wait_hook(&t->b, twostack_wait, t);
}

void twostack_advance(struct twostack *t, uint64_t us)
{
	twostack_run_until(t, NULL, NULL, us);
}

/*
 * The accounting of received frames (stack.h): every frame a stack received
 * was delivered, dropped under a named reason, or is still held, exactly once.
 */
static void assert_accounted(struct stack *st, char which, const char *desc)
{
	unsigned long long rx = st->counters[CTR_ETH_RX],
			   delivered = st->counters[CTR_RX_DELIVERED],
			   dropped = stack_rx_dropped(st), held = stack_rx_held(st);
	ck_assert_msg(stack_rx_balanced(st) && st->rx_unaccounted == 0,
		      "stack %c: %llu frames received != %llu delivered + %llu dropped + %llu held "
		      "(%llu freed without an exit) (%s)",
		      which, rx, delivered, dropped, held, (unsigned long long)st->rx_unaccounted,
		      desc);
}

void twostack_free(struct twostack *t)
{
	char desc[160];

	twostack_describe(t, desc, sizeof(desc));
	assert_accounted(&t->a, 'a', desc);
	assert_accounted(&t->b, 'b', desc);
	stack_destroy(&t->a);
	stack_destroy(&t->b);
	int64_t leak_a = t->a.bufs_live, leak_b = t->b.bufs_live;
	netdev_destroy(t->da);
	netdev_destroy(t->db);
	t->da = t->db = NULL;
	ck_assert_msg(leak_a == 0 && leak_b == 0,
		      "buffers leaked: a %" PRId64 ", b %" PRId64 " (%s)", leak_a, leak_b, desc);
}
