/*
 * tcp_cc.c - what every congestion-control module shares (tcp_cc.h): the
 * initial window, the window during a recovery, after a timeout, and the
 * table of modules.
 *
 * Read first: RFC 5681 §3 (slow start, congestion avoidance, fast
 * retransmit), RFC 6928 (initial window), RFC 6582 §3.2 (NewReno's
 * recovery), RFC 6675 §5 (SACK recovery leaves cwnd alone).
 */
#include "tcp_cc.h"

#include <string.h>

#include "tcp_var.h"

static const struct tcp_cc_algo *const algos[] = {
    &tcp_cc_newreno,
};

const struct tcp_cc_algo *tcp_cc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (strcmp(algos[i]->name, name) == 0)
			return algos[i];
	return NULL;
}

/* Do not let cwnd grow far beyond what the send ring could ever fill. */
static void cwnd_cap(struct tcp_pcb *pcb)
{
	uint32_t cap = pcb->snd_ring.cap + 4u * pcb->smss;
	if (pcb->cwnd > cap)
		pcb->cwnd = cap;
}

/*
 * The initial window is RFC 6928's ten segments, capped at 14600 bytes;
 * ssthresh starts "arbitrarily high" (RFC 5681 §3.1).
 */
void tcp_cc_on_established(struct tcp_pcb *pcb)
{
	uint32_t mss = pcb->smss;
	uint32_t iw = 10 * mss;
	if (iw > 14600 && 14600 > 2 * mss)
		iw = 14600;
	pcb->cwnd = iw;
	pcb->ssthresh = UINT32_MAX;
	pcb->bytes_acked = 0;
	if (pcb->cc->conn_init)
		pcb->cc->conn_init(pcb);
}

void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked)
{
	pcb->cc->ack_received(pcb, acked);
	cwnd_cap(pcb);
}

void tcp_cc_on_fast_retransmit(struct tcp_pcb *pcb)
{
	pcb->cc->cong_signal(pcb, TCP_CC_FAST_RETRANSMIT);
	/* NewReno inflates by the three segments that left (RFC 6582 §3.2 (2));
	 * with SACK the pipe estimate does that job (RFC 6675 §5 (4)). */
	pcb->cwnd = pcb->ssthresh + ((pcb->tf & TF_SACK_OK) ? 0 : 3u * pcb->smss);
}

void tcp_cc_on_recovery_dupack(struct tcp_pcb *pcb)
{
	/* RFC 6582 §3.2 (4): inflate by one segment per duplicate. */
	pcb->cwnd += pcb->smss;
}

void tcp_cc_on_partial_ack(struct tcp_pcb *pcb, uint32_t acked)
{
	/* RFC 6582 §3.2 (3): deflate by the amount acked, add back one SMSS
	 * when at least one was acked. */
	pcb->cwnd = pcb->cwnd > acked ? pcb->cwnd - acked : pcb->smss;
	if (acked >= pcb->smss)
		pcb->cwnd += pcb->smss;
	cwnd_cap(pcb);
}

void tcp_cc_on_sack_partial_ack(struct tcp_pcb *pcb)
{
	cwnd_cap(pcb);
}

void tcp_cc_on_recovery_end(struct tcp_pcb *pcb, uint32_t ack)
{
	pcb->cc->post_recovery(pcb, ack);
	cwnd_cap(pcb);
}

void tcp_cc_on_rto(struct tcp_pcb *pcb, bool first)
{
	/* RFC 5681 §3.1 (4): ssthresh once per loss episode, cwnd = 1 SMSS
	 * (the loss window). */
	if (first)
		pcb->cc->cong_signal(pcb, TCP_CC_RTO);
	pcb->cwnd = pcb->smss;
	pcb->bytes_acked = 0;
}
