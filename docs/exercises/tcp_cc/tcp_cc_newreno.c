/*
 * tcp_cc_newreno.c - NewReno congestion control (RFC 5681, RFC 6582): YOUR
 * VERSION (exercise "tcp_cc", docs/exercises/tcp_cc/README.md).  `make
 * exercise NAME=tcp_cc` builds the stack with this file in place of
 * stack/tcp_cc_newreno.c and checks it.
 *
 * The seam is stack/tcp_cc.h: TCP reports events, this module decides how
 * cwnd grows and what ssthresh becomes.  What every algorithm shares (the
 * initial window, cwnd = 1 SMSS after a timeout, the window inflation of a
 * NewReno recovery without SACK) is in stack/tcp_cc.c: read it first.
 * Fields of struct tcp_pcb you need: cwnd, ssthresh, smss, snd_una,
 * snd_max, bytes_acked, tf (TF_SACK_OK).
 */
#include "tcp_cc.h"

#include "tcp_var.h"

static void newreno_ack_received(struct tcp_pcb *pcb, uint32_t acked)
{
	/*
	 * TODO: acked new bytes were acknowledged outside a recovery.  Below
	 * ssthresh, slow start: grow cwnd by the bytes acked, at most 2*SMSS per
	 * ACK (RFC 3465 appropriate byte counting, L = 2).  At or above it,
	 * congestion avoidance: one SMSS per cwnd's worth of bytes acked
	 * (count them in pcb->bytes_acked), RFC 5681 §3.1.
	 */
	(void)pcb;
	(void)acked;
}

static void newreno_cong_signal(struct tcp_pcb *pcb, enum tcp_cc_signal sig)
{
	/*
	 * TODO: a loss (fast retransmit or the first timeout): ssthresh =
	 * max(FlightSize / 2, 2*SMSS), RFC 5681 §3.1 equation (4); FlightSize is
	 * what is in flight, snd_max - snd_una.  (tcp_cc.c sets cwnd after.)
	 * The stub below collapses ssthresh to its floor whatever the flight.
	 */
	(void)sig;
	pcb->ssthresh = 2u * pcb->smss;
}

static void newreno_post_recovery(struct tcp_pcb *pcb, uint32_t ack)
{
	/*
	 * TODO: the recovery ended with an ACK of ack.  With SACK (pcb->tf &
	 * TF_SACK_OK), cwnd = ssthresh (RFC 6675 §5).  Without, RFC 6582 §3.2
	 * (3) option (1): cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS),
	 * FlightSize being snd_max - ack now.
	 */
	(void)pcb;
	(void)ack;
}

const struct tcp_cc_algo tcp_cc_newreno = {
    .name = "reno",
    .ack_received = newreno_ack_received,
    .cong_signal = newreno_cong_signal,
    .post_recovery = newreno_post_recovery,
};
