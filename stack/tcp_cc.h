/*
 * tcp_cc.h - congestion control as modules (FreeBSD sys/netinet/cc/cc.h,
 * struct cc_algo).  cwnd and ssthresh are written only by tcp_cc.c and the
 * tcp_cc_<name>.c modules: the rest of TCP reports events (an ACK of new
 * data, a fast retransmit, a timeout, the end of a recovery) through the
 * tcp_cc_on_* calls below and reads the two variables.
 *
 * tcp_cc.c holds what every algorithm shares: the initial window
 * (RFC 6928), the window during a NewReno recovery without SACK
 * (RFC 6582 §3.2: inflation by duplicate ACKs, deflation by partial ACKs),
 * cwnd = 1 SMSS after a timeout (RFC 5681 §3.1), and a cap so that cwnd
 * does not run away from what the send buffer could ever fill.  A module
 * decides how the window grows (ack_received), what ssthresh becomes on a
 * congestion signal (cong_signal), and the window a recovery ends with
 * (post_recovery).
 *
 * Adding an algorithm: a new tcp_cc_<name>.c defining a const struct
 * tcp_cc_algo, and one line in tcp_cc.c's table.
 */
#ifndef TS_TCP_CC_H
#define TS_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_pcb;

/* Congestion signals (FreeBSD CC_NDUPACK, CC_RTO). */
enum tcp_cc_signal {
	TCP_CC_FAST_RETRANSMIT, /* loss detected by duplicate ACKs or SACK */
	TCP_CC_RTO,		/* the retransmission timer expired (first expiry) */
};

struct tcp_cc_algo {
	const char *name; /* as TCP_CONGESTION spells it ("reno") */
	/* Optional: per-connection set-up after the handshake (cwnd is the IW). */
	void (*conn_init)(struct tcp_pcb *pcb);
	/* acked new bytes were acknowledged outside recovery: grow cwnd. */
	void (*ack_received)(struct tcp_pcb *pcb, uint32_t acked);
	/* A congestion signal: set ssthresh (cwnd is set by tcp_cc.c). */
	void (*cong_signal)(struct tcp_pcb *pcb, enum tcp_cc_signal sig);
	/* The recovery ended with an ACK of ack (>= recover): set cwnd. */
	void (*post_recovery)(struct tcp_pcb *pcb, uint32_t ack);
};

extern const struct tcp_cc_algo tcp_cc_newreno;

/* The algorithm named name ("reno"), or NULL. */
const struct tcp_cc_algo *tcp_cc_find(const char *name);

/* After the handshake, once SMSS is known: IW and ssthresh (RFC 5681 §3.1). */
void tcp_cc_on_established(struct tcp_pcb *pcb);
/* acked bytes of new data acknowledged outside recovery. */
void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked);
/* Fast retransmit: ssthresh from the module, cwnd for the recovery. */
void tcp_cc_on_fast_retransmit(struct tcp_pcb *pcb);
/* A duplicate ACK during a recovery without SACK (RFC 6582 §3.2 (4)). */
void tcp_cc_on_recovery_dupack(struct tcp_pcb *pcb);
/* A partial ACK of acked bytes during a recovery without SACK (RFC 6582 §3.2 (3)). */
void tcp_cc_on_partial_ack(struct tcp_pcb *pcb, uint32_t acked);
/* A partial ACK during a SACK recovery: cwnd unchanged (RFC 6675 §5). */
void tcp_cc_on_sack_partial_ack(struct tcp_pcb *pcb);
/* The ACK of ack ends the recovery. */
void tcp_cc_on_recovery_end(struct tcp_pcb *pcb, uint32_t ack);
/* The retransmission timer expired; first: the first expiry for this data. */
void tcp_cc_on_rto(struct tcp_pcb *pcb, bool first);

#endif
