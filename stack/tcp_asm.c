/*
 * tcp_asm.c - the out-of-order assembler: sorted, disjoint ranges in
 * sequence space, merged as segments arrive and released as RCV.NXT
 * reaches them (RFC 9293 §3.10.7.4 "segment text", RFC 5681 §4.2).
 */
#include "tcp_asm.h"

#include <string.h>

#include "tcp_seq.h"

bool tcp_asm_add(struct tcp_assembler *a, uint32_t left, uint32_t right, uint32_t max_bytes)
{
	/* Merge with every range that overlaps or touches [left, right). */
	struct tcp_sack_block nr = {left, right};
	uint32_t i = 0, out = 0, added = right - left;
	struct tcp_sack_block keep[TCP_OFO_MAX_RANGES + 1];
	bool placed = false;
	for (i = 0; i < a->n; i++) {
		struct tcp_sack_block c = a->r[i];
		if (seq_lt(c.right, nr.left)) {
			keep[out++] = c;
		} else if (seq_lt(nr.right, c.left)) {
			if (!placed) {
				keep[out++] = nr;
				placed = true;
			}
			keep[out++] = c;
		} else {
			/* Overlap: the bytes already held do not count twice. */
			uint32_t ol = seq_max(c.left, nr.left), orr = seq_min(c.right, nr.right);
			if (seq_lt(ol, orr))
				added -= orr - ol;
			nr.left = seq_min(nr.left, c.left);
			nr.right = seq_max(nr.right, c.right);
		}
	}
	if (!placed)
		keep[out++] = nr;
	if (out > TCP_OFO_MAX_RANGES || a->bytes + added > max_bytes)
		return false;
	memcpy(a->r, keep, out * sizeof(keep[0]));
	a->n = out;
	a->bytes += added;
	return true;
}

uint32_t tcp_asm_advance(struct tcp_assembler *a, uint32_t rcv_nxt)
{
	uint32_t i = 0;
	while (i < a->n && seq_leq(a->r[i].left, rcv_nxt)) {
		if (seq_gt(a->r[i].right, rcv_nxt))
			rcv_nxt = a->r[i].right;
		a->bytes -= a->r[i].right - a->r[i].left;
		i++;
	}
	if (i) {
		memmove(a->r, a->r + i, (a->n - i) * sizeof(a->r[0]));
		a->n -= i;
	}
	return rcv_nxt;
}
