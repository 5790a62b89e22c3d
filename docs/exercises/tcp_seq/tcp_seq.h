/*
 * tcp_seq.h - sequence number arithmetic modulo 2^32 (RFC 9293 §3.4): YOUR
 * VERSION (exercise "tcp_seq", docs/exercises/tcp_seq/README.md).
 *
 * `make exercise NAME=tcp_seq` rebuilds the whole stack with this header in
 * place of stack/tcp_seq.h: every comparison TCP makes goes through these
 * seven functions.
 *
 * Sequence numbers wrap: after 4294967295 comes 0.  "a before b" must stay
 * true across the wrap as long as a and b are less than 2^31 apart (which
 * the window sizes guarantee, RFC 7323 §2.3).  A plain < or > is wrong as
 * soon as a connection's numbers pass 2^32 - 1.
 */
#ifndef TS_TCP_SEQ_H
#define TS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	/* TODO: true when a comes before b (a < b modulo 2^32), also across the wrap */
	(void)a;
	(void)b;
	return false;
}
static inline bool seq_leq(uint32_t a, uint32_t b)
{
	/* TODO: a before or equal to b */
	(void)a;
	(void)b;
	return false;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
	/* TODO: a comes after b */
	(void)a;
	(void)b;
	return false;
}
static inline bool seq_geq(uint32_t a, uint32_t b)
{
	/* TODO: a after or equal to b */
	(void)a;
	(void)b;
	return false;
}
/* The later / earlier of two sequence numbers. */
static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	/* TODO: the later of a and b */
	(void)b;
	return a;
}
static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	/* TODO: the earlier of a and b */
	(void)b;
	return a;
}
/* lo <= s < hi, modulo 2^32. */
static inline bool seq_in(uint32_t s, uint32_t lo, uint32_t hi)
{
	/*
	 * TODO: lo <= s < hi modulo 2^32: a half-open window, as
	 * RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND (RFC 9293 §3.4)
	 */
	(void)s;
	(void)lo;
	(void)hi;
	return false;
}

#endif
