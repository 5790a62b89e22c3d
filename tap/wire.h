/*
 * wire.h - two netdevs joined back to back in memory: what one end sends,
 * the other end receives, in order, without loss.  Used by the two-stack
 * tests (tests/lib/twostack.c) with a virtual clock; impairments come from
 * wrapping an end with faults_wrap() (faults.h), never from the wire.
 * Frames cross whole: an end given transmit checksum offload
 * (wire_set_tx_csum) completes partial checksums on the way in; one given
 * TSO (wire_set_offload) cuts super-segments as a NIC does, or hands them
 * whole to a peer that declared GRO.
 */
#ifndef TS_WIRE_H
#define TS_WIRE_H

#include <stdbool.h>
#include <stdint.h>

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

/*
 * Gives end transmit checksum offload for the NETDEV_OFFLOAD_* protocols in
 * offload (0: none, the default): its caps say so, and it completes the
 * partial checksums the stack then leaves to it before the frame enters
 * the wire, so the peer receives whole frames as from a NIC.  Call before
 * stack_init reads the capabilities.  A partial frame of a protocol not
 * declared is refused with -EINVAL.
 */
void wire_set_tx_csum(struct netdev *end, uint32_t offload);
/* Partial checksums end completed so far. */
uint64_t wire_csum_completed(struct netdev *end);

/* What one end offers (wire_set_offload). */
struct wire_offload {
	uint32_t tx_csum; /* NETDEV_OFFLOAD_*: checksums it completes (as wire_set_tx_csum) */
	bool tso;	  /* it cuts TCPv4 super-segments (with NETDEV_OFFLOAD_TCP4 in tx_csum)
			   * and TCPv6 ones (with NETDEV_OFFLOAD_TCP6) */
	bool gro;	  /* it receives super-segments whole instead of cut (64 KiB buffers) */
};
/*
 * Gives end these offloads; call before stack_init reads the capabilities.
 * With tso its caps offer NETDEV_GSO_TCPV4 and NETDEV_GSO_TCPV6 (each
 * where tx_csum has that family's TCP) up to a 64 KiB frame, and a
 * super-segment sent through it reaches the peer cut into gso_size
 * segments, each a whole frame, as from a NIC with TSO, unless the peer
 * end has gro: then it arrives whole, VERIFIED, with its GSO type and
 * size.  A GSO frame through an end without tso is refused (-EINVAL).
 */
void wire_set_offload(struct netdev *end, const struct wire_offload *o);
/* Super-segments sent through end, and the segments they made. */
void wire_gso_stats(struct netdev *end, uint64_t *frames, uint64_t *segments);

#endif
