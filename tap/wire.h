/*
 * wire.h - two netdevs joined back to back in memory: what one end sends,
 * the other end receives, in order, without loss.  Used by the two-stack
 * tests (tests/lib/twostack.c) with a virtual clock; impairments come from
 * wrapping an end with faults_wrap() (faults.h), never from the wire.
 */
#ifndef TS_WIRE_H
#define TS_WIRE_H

#include "netdev.h"

/*
 * Creates the pair "wire:a" and "wire:b".  pollfd is -1 (nothing to sleep
 * on: the caller drives the clock); next_deadline is the send time of the
 * oldest frame waiting to be received, so a caller that jumps its clock to
 * the earliest deadline never jumps over a waiting frame.  Each end is
 * destroyed on its own; sending to an end already destroyed fails with
 * -ENOTCONN.  Aborts on allocation failure (test infrastructure).
 */
void wire_pair(struct netdev **a, struct netdev **b);

#endif
