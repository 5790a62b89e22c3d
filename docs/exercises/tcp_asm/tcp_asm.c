/*
 * tcp_asm.c - the out-of-order assembler: YOUR VERSION (exercise "tcp_asm",
 * docs/exercises/tcp_asm/README.md).  `make exercise NAME=tcp_asm` builds
 * the stack with this file in place of stack/tcp_asm.c and checks it.
 *
 * Sorted, disjoint ranges in sequence space, merged as segments arrive and
 * released as RCV.NXT reaches them (RFC 9293 §3.10.7.4 "segment text",
 * RFC 5681 §4.2).  The bytes themselves are in the receive ring
 * (tcp_ring_write_at); the ranges are also what the SACK option reports
 * (RFC 2018 §4).  tcp_asm.h specifies both functions.  Every comparison of
 * sequence numbers goes through tcp_seq.h.
 */
#include "tcp_asm.h"

#include <string.h>

#include "tcp_seq.h"

bool tcp_asm_add(struct tcp_assembler *a, uint32_t left, uint32_t right, uint32_t max_bytes)
{
	/*
	 * TODO: record [left, right): merge it with every range it overlaps or
	 * touches, keep a->r sorted and disjoint, count in a->bytes only the
	 * bytes not held before.  If the result would need more than
	 * TCP_OFO_MAX_RANGES ranges or more than max_bytes bytes, change nothing
	 * and return false.
	 */
	(void)a;
	(void)left;
	(void)right;
	(void)max_bytes;
	return true;
}

uint32_t tcp_asm_advance(struct tcp_assembler *a, uint32_t rcv_nxt)
{
	/*
	 * TODO: remove the ranges that start at or before rcv_nxt (they are in
	 * order now); when one reaches beyond rcv_nxt, RCV.NXT moves to its end.
	 * Return the new RCV.NXT; a->bytes keeps counting what is still held.
	 */
	(void)a;
	return rcv_nxt;
}
