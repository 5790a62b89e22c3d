/*
 * tcp_asm.h - the out-of-order assembler (smoltcp src/storage/
 * assembler.rs): which ranges above RCV.NXT the receive ring holds.  The
 * bytes themselves sit in the ring; this only keeps the bookkeeping, in
 * sequence space (so every comparison goes through tcp_seq.h).
 */
#ifndef TS_TCP_ASM_H
#define TS_TCP_ASM_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_wire.h"

/* Out-of-order ranges above RCV.NXT, sorted, disjoint (smoltcp Assembler). */
#define TCP_OFO_MAX_RANGES 16
struct tcp_assembler {
	uint32_t n;	/* ranges held */
	uint32_t bytes; /* sum of their lengths (bounded by cfg.tcp_max_ofo_bytes) */
	struct tcp_sack_block r[TCP_OFO_MAX_RANGES];
};
/*
 * Records [left, right) (above rcv_nxt).  Returns false when it does not
 * fit (too many ranges or bytes beyond max_bytes): the caller drops it.
 */
bool tcp_asm_add(struct tcp_assembler *a, uint32_t left, uint32_t right, uint32_t max_bytes);
/* Removes the ranges that start at or before rcv_nxt; returns the new RCV.NXT. */
uint32_t tcp_asm_advance(struct tcp_assembler *a, uint32_t rcv_nxt);

#endif
