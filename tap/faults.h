/*
 * faults.h - seeded fault injection on any netdev, in both directions:
 * loss, duplication, reordering, corruption, delay and jitter (smoltcp
 * src/phy/fault_injector.rs; netem's vocabulary, since the kernels here have
 * no sch_netem).  The wrapper is the whole mechanism: the stack has no
 * "if (faults)" branch.  Offload metadata (netdev.h) travels with every
 * frame and copy; a corrupted frame never goes on VERIFIED or PARTIAL (its
 * checksum is completed before the bit flips), and no TSO is offered where
 * frames sent are impaired (faults act on wire frames).
 */
#ifndef TS_FAULTS_H
#define TS_FAULTS_H

#include <stdint.h>
#include <stdio.h>

#include "netdev.h"

struct fault_spec {
	uint32_t loss_ppm, dup_ppm, reorder_ppm, corrupt_ppm; /* parts per million */
	uint32_t delay_us, jitter_us;			      /* added one-way delay */
	uint64_t seed;					      /* RNG seed; 0 is a seed too */
};

/*
 * Parses "loss=5%,dup=1%,reorder=10%,delay=5ms,jitter=2ms,corrupt=0.5%,seed=N"
 * (any subset, any order; percentages may be fractional down to 0.0001 %;
 * delay/jitter take us, ms or s).  Returns 0, or -1 with a one-line message
 * naming the bad item in err (out is then unspecified).
 */
int fault_spec_parse(const char *text, struct fault_spec *out, char *err, size_t errlen);

/*
 * Wraps lower (takes ownership; destroy frees both).  Applies the spec to
 * frames sent (before they reach lower) and received (after lower returns
 * them).  Held frames (delay, jitter, reorder) are released by time on the
 * next recv or send; next_deadline reports the earliest, so a stack sleeping
 * in the kernel wakes for it.  Returns NULL only when out of memory.
 */
struct netdev *faults_wrap(struct netdev *lower, const struct fault_spec *spec);

/* Directions for faults_wrap_dirs. */
enum { FAULTS_TX = 1u << 0, FAULTS_RX = 1u << 1 };
/*
 * faults_wrap applying the spec only in the directions given (FAULTS_TX:
 * frames sent, FAULTS_RX: frames received); the other passes untouched.
 * The two-stack harness wraps each wire end with FAULTS_TX, so every frame
 * crosses the spec exactly once, as over a TAP with one --faults wrapper.
 */
struct netdev *faults_wrap_dirs(struct netdev *lower, const struct fault_spec *spec, unsigned dirs);

/* Per-direction counts: what passed, and what each fault did. */
struct fault_stats {
	uint64_t frames;     /* frames offered to the wrapper in this direction */
	uint64_t lost;	     /* dropped on purpose (loss) */
	uint64_t duplicated; /* extra copies made */
	uint64_t corrupted;  /* frames with one bit flipped */
	uint64_t reordered;  /* frames held so that a later one overtakes them */
	uint64_t delayed;    /* frames held for delay/jitter */
	uint64_t overflow;   /* dropped because too many frames were held */
	uint64_t released;   /* frames handed on (to lower, or to the stack) */
};
/* Fills tx (stack → lower) and rx (lower → stack); either may be NULL. */
void faults_get_stats(struct netdev *dev, struct fault_stats *tx, struct fault_stats *rx);
/* Prints both directions' counts in one short block. */
void faults_stats(struct netdev *dev, FILE *out);

#endif
