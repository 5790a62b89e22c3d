/*
 * twostack.h - two whole stacks in one process, joined by the in-memory
 * wire (tap/wire.h), optionally impaired by seeded faults (tap/faults.h),
 * driven by a virtual clock (smoltcp tests/netsim.rs).  No root, no kernel,
 * deterministic: the same seeds give the same run, frame for frame.
 *
 *   struct twostack t;
 *   twostack_init(&t, &spec_or_NULL, tweak_or_NULL);
 *   ... ts_socket(&t.a, ...), ts_connect(&t.a, ...) ...
 *   ck_assert(twostack_run_until(&t, done, ctx, 10 * 1000000));
 *   twostack_free(&t);
 *
 * Faults: each wire end is wrapped with the spec applied to what it sends
 * (FAULTS_TX; twostack_init_wire may choose FAULTS_RX), so every frame
 * crosses the spec exactly once in either direction: loss=10% means 10% of
 * a→b frames and 10% of b→a frames.
 *
 * Seeds: stack a uses cfg.seed 1, stack b 2 (tweak may change them); the
 * fault wrappers use seeds derived from spec->seed.  TS_FAULT_SEED=N in the
 * environment overrides spec->seed, to reproduce or explore a failure.  With
 * faults, twostack_init prints the seed (as a ready --faults spec) on
 * stderr, and every failure twostack itself reports names it; tests add it
 * to their own checks with twostack_assert().
 */
#ifndef TS_TWOSTACK_H
#define TS_TWOSTACK_H

#include <stdbool.h>
#include <stdint.h>

#include "tsunit.h"
#include "stack.h"
#include "faults.h"
#include "wire.h"

struct twostack {
	struct stack a, b; /* a: 10.0.0.1 mac 02:00:00:00:00:01, b: 10.0.0.2 mac ..:02, /24 */
	struct netdev *da,
	    *db; /* wire ends, each wrapped by faults (on send) when a spec is given */
	struct netdev *wire_a, *wire_b; /* the wire ends themselves (da/db without faults) */
	uint64_t now_us;		/* virtual clock, starts at 1 s */
	bool faulty;			/* a fault spec was given */
	struct fault_spec spec;		/* that spec, seed after any TS_FAULT_SEED override */
	/* twostack_blocking: the wait hook's limits and side job. */
	uint64_t block_until_us; /* blocking calls give up past this virtual time */
	uint64_t block_waits;	 /* times the hook ran (a test can check calls waited) */
	uint64_t block_spins;	 /* hook rounds in a row that handled frames at one instant */
	uint64_t (*block_step)(struct twostack *t, void *ctx);
	void *block_ctx;
};

/*
 * faults may be NULL (perfect wire); when given it wraps BOTH ends with the
 * same spec (seeds derived from spec->seed).  tweak (may be NULL) edits each
 * config before stack_init (which = 'a' or 'b'); defaults: seed 1/2,
 * gratuitous ARP off.  Fails the test (ck_assert) if a stack cannot start.
 */
void twostack_init(struct twostack *t, const struct fault_spec *faults,
		   void (*tweak)(struct ts_config *cfg, char which));

/*
 * twostack_init with transmit checksum offload on the wire ends
 * (wire_set_tx_csum): stack a's end completes the NETDEV_OFFLOAD_*
 * checksums in a_tx_csum, b's those in b_tx_csum (0: none, as
 * twostack_init), so that stack leaves them partial (netdev.h).
 */
void twostack_init_offload(struct twostack *t, const struct fault_spec *faults,
			   void (*tweak)(struct ts_config *cfg, char which), uint32_t a_tx_csum,
			   uint32_t b_tx_csum);

/* The wire's offloads and where faults act, for twostack_init_wire. */
struct twostack_wire {
	struct wire_offload a, b; /* each end's offloads (wire.h) */
	/*
	 * FAULTS_TX (also when 0): each end impairs what it sends, and offers
	 * no TSO (faults act on wire frames).  FAULTS_RX: each end impairs
	 * what it receives, after the wire cut any super-segment, so a sender
	 * keeps TSO and its segments still meet loss and reordering.
	 */
	unsigned fault_dirs;
};
/* twostack_init with offloads on the wire ends (wire_set_offload) and a choice of fault direction.
 */
void twostack_init_wire(struct twostack *t, const struct fault_spec *faults,
			void (*tweak)(struct ts_config *cfg, char which),
			const struct twostack_wire *w);

/*
 * Polls both stacks until done(t, ctx) is true or the virtual clock passes
 * max_us more; when neither stack handled anything it jumps the clock to the
 * earliest deadline of both (timers and held frames).  Returns done's final
 * value.  done may be NULL (run until the clock limit).  Deterministic.
 */
bool twostack_run_until(struct twostack *t, bool (*done)(struct twostack *, void *), void *ctx,
			uint64_t max_us);

/* Advances the virtual clock by us, polling as twostack_run_until does. */
void twostack_advance(struct twostack *t, uint64_t us);

/*
 * Lets tests call blocking ts_ functions on either stack, written straight
 * line: installs a wait hook (ts_set_wait_hook) on both that, when a call
 * must wait, polls both stacks and otherwise jumps the virtual clock to the
 * earliest deadline of either (never past the call's own deadline), as
 * twostack_run_until does.  The hook gives up (the call fails with EAGAIN,
 * connect with ETIMEDOUT, poll returns 0) when nothing is left to happen
 * or the clock would pass max_us from now.  step (may be NULL) runs at
 * every wait, e.g. to read on the other stack with non-blocking calls so a
 * big blocking write can finish, or to write at a given virtual time; it
 * returns the next time it wants to run (UINT64_MAX: none), which the
 * clock stops at as at any deadline.  It must not block.
 */
void twostack_blocking(struct twostack *t, uint64_t max_us,
		       uint64_t (*step)(struct twostack *t, void *ctx), void *ctx);

/* Destroys both stacks and devices; ck_assert that neither leaked a buffer (bufs_live == 0). */
void twostack_free(struct twostack *t);

/* "fault seed 7 (loss=10% ...)" or "perfect wire": for failure messages. */
const char *twostack_describe(const struct twostack *t, char *buf, size_t len);

/* ck_assert_msg that appends the fault seed, so a failure can be replayed. */
#define twostack_assert(t, expr)                                                                   \
	do {                                                                                       \
		char ts_desc_[160];                                                                \
		ck_assert_msg((expr), "Assertion '%s' failed (%s)", #expr,                         \
			      twostack_describe((t), ts_desc_, sizeof(ts_desc_)));                 \
	} while (0)

#endif
