/*
 * tcp_seq.h - sequence number arithmetic modulo 2^32 (RFC 9293 §3.4).
 *
 * Sequence numbers wrap, so "a before b" means the signed 32-bit difference
 * a - b is negative (OpenBSD tcp_seq.h, Linux before()/after()).  This is
 * correct as long as the two numbers are less than 2^31 apart, which the
 * window sizes (at most 2^30 with scaling, RFC 7323 §2.3) guarantee.
 * Never compare sequence numbers with a raw < or >.
 */
#ifndef TS_TCP_SEQ_H
#define TS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}
/* The later / earlier of two sequence numbers. */
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}
/* lo <= s < hi, modulo 2^32. */
static inline bool seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	return seq_leq(lo, s) && seq_lt(s, hi);
}

#endif
