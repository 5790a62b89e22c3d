/*
 * tcp_syncookie.c - SYN cookie encoding and check (see tcp_syncookie.h;
 * RFC 4987 §3.6, Linux net/ipv4/syncookies.c).  Pure: keys and clock
 * readings come in as arguments; tcp_in.c decides when cookies are used.
 */
#include "tcp_syncookie.h"

#include <string.h>

#include "siphash.h"
#include "tcp_var.h"

const uint16_t tcp_syncookie_msstab[TCP_SYNCOOKIE_NMSS] = {536, 1300, 1440, 1460};

#define COOKIE_MASK ((1u << TCP_SYNCOOKIE_BITS) - 1)

uint32_t tcp_syncookie_mss_index(uint32_t mss)
{
	uint32_t i = TCP_SYNCOOKIE_NMSS - 1;
	while (i && mss < tcp_syncookie_msstab[i])
		i--;
	return i;
}

/* SipHash-2-4 (tcp_pcb.c) of the tuple and count, truncated to 32 bits. */
static uint32_t cookie_hash(const uint64_t key[2], const struct ip_addr *lip, uint16_t lport,
			    const struct ip_addr *rip, uint16_t rport, uint32_t count)
{
	uint64_t last = (uint64_t)lport << 48 | (uint64_t)rport << 32 | count;
	if (lip->af != AF_INET6) {
		uint64_t m[2] = {(uint64_t)lip->v4 << 32 | rip->v4, last};
		return (uint32_t)siphash24_words(key, m, 2);
	}
	uint64_t m[5];
	memcpy(m, lip->v6, 16);
	memcpy(m + 2, rip->v6, 16);
	m[4] = last;
	return (uint32_t)siphash24_words(key, m, 5);
}

uint32_t tcp_syncookie_make(const uint64_t key[2][2], const struct ip_addr *lip, uint16_t lport,
			    const struct ip_addr *rip, uint16_t rport, uint32_t sseq,
			    uint32_t count, uint32_t mss_index)
{
	uint32_t h0 = cookie_hash(key[0], lip, lport, rip, rport, 0);
	uint32_t h1 = cookie_hash(key[1], lip, lport, rip, rport, count);
	return h0 + sseq + (count << TCP_SYNCOOKIE_BITS) + ((h1 + mss_index) & COOKIE_MASK);
}

int tcp_syncookie_check(const uint64_t key[2][2], const struct ip_addr *lip, uint16_t lport,
			const struct ip_addr *rip, uint16_t rport, uint32_t sseq, uint32_t cookie,
			uint32_t count)
{
	/* What is left: (COUNT << 24) + ((H1 + MSSIND) mod 2^24). */
	uint32_t rest = cookie - cookie_hash(key[0], lip, lport, rip, rport, 0) - sseq;
	/* Ticks since the cookie was made, modulo the 8 bits COUNT has. */
	uint32_t age = (count - (rest >> TCP_SYNCOOKIE_BITS)) & (0xffffffffu >> TCP_SYNCOOKIE_BITS);
	if (age >= TCP_SYNCOOKIE_MAX_AGE)
		return -1;
	uint32_t h1 = cookie_hash(key[1], lip, lport, rip, rport, count - age);
	uint32_t mss_index = (rest - h1) & COOKIE_MASK;
	return mss_index < TCP_SYNCOOKIE_NMSS ? (int)mss_index : -1;
}

uint32_t tcp_syncookie_tsval(uint32_t ts_now, const struct tcp_syncookie_opts *o)
{
	uint32_t opts =
	    o->ws_ok ? (o->ws > TCP_MAX_WS ? TCP_MAX_WS : o->ws) : TCP_SYNCOOKIE_TS_WS_MASK;
	if (o->sack_ok)
		opts |= TCP_SYNCOOKIE_TS_SACK;
	if (o->ecn_ok)
		opts |= TCP_SYNCOOKIE_TS_ECN;
	uint32_t ts = (ts_now & ~((1u << TCP_SYNCOOKIE_TS_BITS) - 1)) | opts;
	/* Never ahead of the clock the connection will use afterwards. */
	if ((int32_t)(ts - ts_now) > 0)
		ts -= 1u << TCP_SYNCOOKIE_TS_BITS;
	return ts;
}

void tcp_syncookie_ts_decode(uint32_t tsecr, struct tcp_syncookie_opts *o)
{
	uint32_t ws = tsecr & TCP_SYNCOOKIE_TS_WS_MASK;
	o->ws_ok = ws != TCP_SYNCOOKIE_TS_WS_MASK;
	o->ws = o->ws_ok ? (uint8_t)(ws > TCP_MAX_WS ? TCP_MAX_WS : ws) : 0;
	o->sack_ok = (tsecr & TCP_SYNCOOKIE_TS_SACK) != 0;
	o->ecn_ok = (tsecr & TCP_SYNCOOKIE_TS_ECN) != 0;
}
