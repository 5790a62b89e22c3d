/*
 * tcp_rtt.c - the RTO estimator (RFC 6298 §2): YOUR VERSION (exercise
 * "tcp_rtt", docs/exercises/tcp_rtt/README.md).  `make exercise
 * NAME=tcp_rtt` builds the stack with this file in place of
 * stack/tcp_rtt.c and checks it.
 *
 * tcp_rtt_sample is specified in stack/tcp_var.h.  Who calls it and when
 * (Karn's algorithm: never with a retransmitted segment's time) is in
 * stack/tcp_in.c; the backoff (RFC 6298 (5.5)) is tcp_rto_us in
 * stack/tcp_timer.c.
 */
#include "tcp_var.h"

/* RFC 6298 (2.4) uses the clock granularity G; our clock is 1 µs, TSval 1 ms. */
#define TCP_CLOCK_G_US 1000u

void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us, uint32_t min_rto_us, uint32_t max_rto_us)
{
	/*
	 * TODO: fold the measurement R = rtt_us into r (all in microseconds):
	 *  - the first one (srtt_us == 0 means none yet), RFC 6298 (2.2):
	 *    SRTT <- R, RTTVAR <- R/2 (SRTT must not stay 0: 0 means "none");
	 *  - each later one, (2.3), with alpha = 1/8 and beta = 1/4:
	 *    RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
	 *    SRTT   <- (1 - alpha) * SRTT + alpha * R'
	 *  - then RTO <- SRTT + max(G, K*RTTVAR) with K = 4, bounded below by
	 *    min_rto_us (2.4) and above by max_rto_us (2.5).
	 */
	(void)r;
	(void)rtt_us;
	(void)min_rto_us;
	(void)max_rto_us;
}
