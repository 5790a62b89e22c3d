/*
 * tcp_rtt.c - the RTO estimator (RFC 6298 §2): SRTT, RTTVAR and RTO from
 * one RTT measurement at a time.  Pure (no struct stack, no clock), so the
 * tests feed it vectors, and a translation unit of its own so that the
 * exercise docs/exercises/tcp_rtt/ can replace it.  Its callers apply
 * Karn's algorithm (RFC 6298 §3: never time a retransmission, tcp_in.c)
 * and the backoff ((5.5), tcp_rto_us in tcp_timer.c).
 */
#include "tcp_var.h"

/* RFC 6298 (2.4) uses the clock granularity G; our clock is 1 µs, TSval 1 ms. */
#define TCP_CLOCK_G_US 1000u

void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us, uint32_t min_rto_us, uint32_t max_rto_us)
{
	if (r->srtt_us == 0) {
		/* (2.2) First measurement R: SRTT <- R, RTTVAR <- R/2. */
		r->srtt_us = rtt_us ? rtt_us : 1;
		r->rttvar_us = rtt_us / 2;
	} else {
		/* (2.3) beta = 1/4, alpha = 1/8; RTTVAR uses the old SRTT. */
		uint32_t delta = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;
		r->rttvar_us = (3 * r->rttvar_us + delta) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
		if (!r->srtt_us)
			r->srtt_us = 1;
	}
	/* RTO <- SRTT + max(G, K*RTTVAR), K = 4, then (2.4) and (2.5) bounds. */
	uint64_t var = 4ull * r->rttvar_us;
	uint64_t rto = r->srtt_us + (var > TCP_CLOCK_G_US ? var : TCP_CLOCK_G_US);
	if (rto < min_rto_us)
		rto = min_rto_us;
	if (rto > max_rto_us)
		rto = max_rto_us;
	r->rto_us = (uint32_t)rto;
}
