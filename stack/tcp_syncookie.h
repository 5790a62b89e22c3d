/*
 * tcp_syncookie.h - SYN cookies (RFC 4987 §3.6) with Linux's encoding
 * (net/ipv4/syncookies.c): when a listener's SYN queue is full, the
 * SYN,ACK carries all the state the connection needs in its ISN, and in
 * the low bits of its TSval, so that nothing is kept until the peer's ACK
 * comes back with them.  Pure functions over bytes and keys: no struct
 * stack, no connection (tests drive them with golden values).
 *
 * The ISN (a 32-bit cookie) for a SYN with sequence number SSEQ:
 *
 *   H0(tuple, 0) + SSEQ + (COUNT << 24) + ((H1(tuple, COUNT) + MSSIND) mod 2^24)
 *
 * H0 and H1 are SipHash-2-4 with two secret keys over the 4-tuple and a
 * counter, truncated to 32 bits; COUNT is a coarse clock (one tick per
 * 64 s); MSSIND indexes tcp_syncookie_msstab.  The ACK that completes the
 * handshake returns the cookie as SEG.ACK - 1 and SSEQ as SEG.SEQ - 1: the
 * check strips H0 and SSEQ, takes COUNT from the top 8 bits (accepted when
 * at most TCP_SYNCOOKIE_MAX_AGE - 1 ticks old), and MSSIND from what is
 * left once H1 of that COUNT is subtracted.
 *
 * Hashed words, each a little-endian 64-bit SipHash block:
 *   IPv4: [local << 32 | remote], [lport << 48 | rport << 32 | count]
 *   IPv6: local (2 words), remote (2 words), [lport << 48 | rport << 32 | count]
 * H0 hashes count 0 with key[0]; H1 the cookie's count with key[1].
 *
 * With timestamps, the SYN,ACK's TSval also carries the options the
 * cookie has no room for (Linux cookie_init_timestamp): its low 6 bits are
 * the peer's window shift (15: no scaling), SACK-permitted (bit 4) and ECN
 * (bit 5), and the value never exceeds the connection's clock, so the
 * TSvals that follow it still grow.  Without timestamps a cookie
 * connection has no window scaling and no SACK, as in Linux.
 */
#ifndef TS_TCP_SYNCOOKIE_H
#define TS_TCP_SYNCOOKIE_H

#include <stdbool.h>
#include <stdint.h>

#include "ip.h"

#define TCP_SYNCOOKIE_PERIOD_US (64ull * 1000000u) /* one COUNT tick */
#define TCP_SYNCOOKIE_MAX_AGE	2  /* ticks: a cookie lives 64 to 128 s (Linux 2 min) */
#define TCP_SYNCOOKIE_BITS	24 /* low bits: H1 + MSSIND; the top 8 are COUNT */
#define TCP_SYNCOOKIE_NMSS	4

/* Linux msstab (IPv4): the MSS values a cookie can carry. */
extern const uint16_t tcp_syncookie_msstab[TCP_SYNCOOKIE_NMSS];

/* TSval low bits (Linux TSBITS, TS_OPT_*). */
#define TCP_SYNCOOKIE_TS_BITS	 6
#define TCP_SYNCOOKIE_TS_WS_MASK 0x0f /* the peer's shift; 15 = no scaling */
#define TCP_SYNCOOKIE_TS_SACK	 0x10
#define TCP_SYNCOOKIE_TS_ECN	 0x20

/* The connection options a cookie TSval carries. */
struct tcp_syncookie_opts {
	bool ws_ok;   /* window scaling on both sides */
	uint8_t ws;   /* the peer's shift count (at most 14) */
	bool sack_ok; /* SACK permitted */
	bool ecn_ok;  /* ECN negotiated (never by us; decoded for completeness) */
};

/* The COUNT for a clock reading. */
static inline uint32_t tcp_syncookie_count(uint64_t now_us)
{
	return (uint32_t)(now_us / TCP_SYNCOOKIE_PERIOD_US);
}

/* MSSIND of the largest table entry not above mss (0, i.e. 536, below it). */
uint32_t tcp_syncookie_mss_index(uint32_t mss);

/* The cookie (our ISN) for a SYN of the tuple with sequence number sseq. */
uint32_t tcp_syncookie_make(const uint64_t key[2][2], const struct ip_addr *lip, uint16_t lport,
			    const struct ip_addr *rip, uint16_t rport, uint32_t sseq,
			    uint32_t count, uint32_t mss_index);

/*
 * Checks cookie (SEG.ACK - 1) for the tuple and sseq (SEG.SEQ - 1) at
 * COUNT count.  Returns MSSIND, or -1 when the cookie is forged or too old.
 */
int tcp_syncookie_check(const uint64_t key[2][2], const struct ip_addr *lip, uint16_t lport,
			const struct ip_addr *rip, uint16_t rport, uint32_t sseq, uint32_t cookie,
			uint32_t count);

/* The TSval of a cookie SYN,ACK for clock reading ts_now. */
uint32_t tcp_syncookie_tsval(uint32_t ts_now, const struct tcp_syncookie_opts *o);
/* The options in the TSecr of the ACK that returns such a TSval. */
void tcp_syncookie_ts_decode(uint32_t tsecr, struct tcp_syncookie_opts *o);

#endif
