/*
 * tcp_cc_newreno.c - NewReno (RFC 5681, RFC 6582): slow start with
 * appropriate byte counting (RFC 3465, L = 2*SMSS), congestion avoidance of
 * one SMSS per window, ssthresh = max(FlightSize / 2, 2*SMSS) on loss, and
 * RFC 6582's window when a recovery ends.
 */
#include "tcp_cc.h"

#include "tcp_var.h"

static void newreno_ack_received(struct tcp_pcb *pcb, uint32_t acked)
{
	if (pcb->cwnd < pcb->ssthresh) {
		/* Slow start, RFC 3465 byte counting with L = 2*SMSS. */
		pcb->cwnd += acked < 2u * pcb->smss ? acked : 2u * pcb->smss;
	} else {
		/* Congestion avoidance: one SMSS per cwnd of data acked. */
		pcb->bytes_acked += acked;
		if (pcb->bytes_acked >= pcb->cwnd) {
			pcb->bytes_acked -= pcb->cwnd;
			pcb->cwnd += pcb->smss;
		}
	}
}

static void newreno_cong_signal(struct tcp_pcb *pcb, enum tcp_cc_signal sig)
{
	(void)sig;
	/* RFC 5681 §3.1 (4) and §3.2 (2): max(FlightSize / 2, 2*SMSS). */
	uint32_t half = (pcb->snd_max - pcb->snd_una) / 2;
	pcb->ssthresh = half > 2u * pcb->smss ? half : 2u * pcb->smss;
}

static void newreno_post_recovery(struct tcp_pcb *pcb, uint32_t ack)
{
	/* RFC 6582 §3.2 (3) full ACK: deflate, option (1); with SACK,
	 * RFC 6675 §5 leaves recovery with cwnd = ssthresh. */
	uint32_t flight = pcb->snd_max - ack;
	uint32_t w = (flight > pcb->smss ? flight : pcb->smss) + pcb->smss;
	pcb->cwnd = (pcb->tf & TF_SACK_OK) || pcb->ssthresh < w ? pcb->ssthresh : w;
}

const struct tcp_cc_algo tcp_cc_newreno = {
    .name = "reno",
    .ack_received = newreno_ack_received,
    .cong_signal = newreno_cong_signal,
    .post_recovery = newreno_post_recovery,
};
