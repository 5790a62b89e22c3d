/*
 * tcp_cc.c - what every congestion-control module shares (tcp_cc.h): the
 * initial window, the window during a recovery (NewReno's without SACK,
 * PRR's with it), after a timeout, after idle, the undo of a spurious
 * reduction, and the table of modules.
 *
 * Read first: RFC 5681 §3 (slow start, congestion avoidance, fast
 * retransmit) and §4.1 (restart after idle), RFC 6928 (initial window),
 * RFC 6582 §3.2 (NewReno's recovery), RFC 6937 (PRR), RFC 3522 and
 * RFC 5682 (what an undo restores).
 */
#include "tcp_cc.h"

#include <string.h>

#include "tcp_var.h"

static const struct tcp_cc_algo *const algos[] = {
    &tcp_cc_cubic,
    &tcp_cc_newreno,
};

const struct tcp_cc_algo *tcp_cc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (strcmp(algos[i]->name, name) == 0)
			return algos[i];
	return NULL;
}

const char *tcp_cc_available(void)
{
	return "cubic reno";
}

/* Do not let cwnd grow far beyond what the send ring could ever fill. */
static void cwnd_cap(struct tcp_pcb *pcb)
{
	uint32_t cap = pcb->snd_ring.cap + 4u * pcb->smss;
	if (pcb->cwnd > cap)
		pcb->cwnd = cap;
}

/* RFC 6928: ten segments, capped at 14600 bytes (but never below 2 SMSS). */
static uint32_t initial_window(const struct tcp_pcb *pcb)
{
	uint32_t mss = pcb->smss;
	uint32_t iw = 10 * mss;
	if (iw > 14600 && 14600 > 2 * mss)
		iw = 14600;
	return iw;
}

/*
 * The initial window is RFC 6928's ten segments, capped at 14600 bytes;
 * ssthresh starts "arbitrarily high" (RFC 5681 §3.1).
 */
void tcp_cc_on_established(struct tcp_pcb *pcb)
{
	pcb->cwnd = initial_window(pcb);
	pcb->ssthresh = UINT32_MAX;
	pcb->bytes_acked = 0;
	memset(pcb->cc_priv, 0, sizeof(pcb->cc_priv));
	if (pcb->cc->conn_init)
		pcb->cc->conn_init(pcb);
}

void tcp_cc_set(struct tcp_pcb *pcb, const struct tcp_cc_algo *algo)
{
	if (pcb->cc == algo)
		return;
	pcb->cc = algo;
	/* Linux tcp_reinit_congestion_control: the module starts from the
	 * window the connection has (before the handshake, from the IW). */
	memset(pcb->cc_priv, 0, sizeof(pcb->cc_priv));
	if (pcb->smss && pcb->cwnd && algo->conn_init)
		algo->conn_init(pcb);
}

void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked)
{
	pcb->cc->ack_received(pcb, acked);
	cwnd_cap(pcb);
}

void tcp_cc_on_rtt(struct tcp_pcb *pcb, uint32_t rtt_us)
{
	if (pcb->cc->rtt_sample)
		pcb->cc->rtt_sample(pcb, rtt_us);
}

/* Remember what an undo would restore (Linux tcp_init_undo). */
static void save_for_undo(struct tcp_pcb *pcb)
{
	pcb->prior_cwnd = pcb->cwnd;
	pcb->prior_ssthresh = pcb->ssthresh;
}

void tcp_cc_on_fast_retransmit(struct tcp_pcb *pcb)
{
	save_for_undo(pcb);
	pcb->cc->cong_signal(pcb, TCP_CC_FAST_RETRANSMIT);
	/* NewReno inflates by the three segments that left (RFC 6582 §3.2 (2));
	 * with SACK, PRR sets cwnd on every ACK of the recovery (RFC 6937). */
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

uint32_t tcp_prr_sndcnt(uint64_t prr_delivered, uint64_t prr_out, uint32_t delivered, uint32_t pipe,
			uint32_t ssthresh, uint32_t recover_fs, uint32_t mss)
{
	int64_t sndcnt;
	if (!recover_fs)
		recover_fs = 1;
	if (pipe > ssthresh) {
		/* RFC 6937 §3 proportional rate reduction:
		 * sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out */
		uint64_t num = prr_delivered * ssthresh + recover_fs - 1;
		sndcnt = (int64_t)(num / recover_fs) - (int64_t)prr_out;
	} else {
		/* RFC 6937 §3 slow start reduction bound (PRR-SSRB), with
		 * RFC 6937bis's max(..., DeliveredData) as Linux has it. */
		int64_t limit = (int64_t)prr_delivered - (int64_t)prr_out;
		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += mss;
		sndcnt = (int64_t)ssthresh - (int64_t)pipe;
		if (sndcnt > limit)
			sndcnt = limit;
	}
	return sndcnt > 0 ? (uint32_t)sndcnt : 0;
}

void tcp_cc_on_prr_ack(struct tcp_pcb *pcb, uint32_t delivered, uint32_t pipe)
{
	pcb->prr_delivered += delivered;
	uint32_t sndcnt = tcp_prr_sndcnt(pcb->prr_delivered, pcb->prr_out, delivered, pipe,
					 pcb->ssthresh, pcb->recover_fs, pcb->smss);
	/* Linux tcp_cwnd_reduction: cwnd = in flight + sndcnt, so tcp_output
	 * (which sends while pipe + SMSS <= cwnd) sends sndcnt and no more. */
	pcb->cwnd = pipe + sndcnt;
	if (pcb->cwnd < pcb->smss && !pipe)
		pcb->cwnd = pcb->smss; /* RFC 6937 §3: at least one segment when nothing is out */
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
	if (first) {
		/* A recovery in progress already saved the window before it. */
		if (!(pcb->tf & TF_IN_RECOVERY))
			save_for_undo(pcb);
		pcb->cc->cong_signal(pcb, TCP_CC_RTO);
	}
	pcb->cwnd = pcb->smss;
	pcb->bytes_acked = 0;
}

void tcp_cc_on_undo(struct tcp_pcb *pcb)
{
	/* Linux tcp_undo_cwnd_reduction: cwnd = max(cwnd, undo_cwnd()),
	 * ssthresh = max(ssthresh, the one before the reduction). */
	uint32_t w = pcb->cc->undo_cwnd ? pcb->cc->undo_cwnd(pcb) : pcb->prior_cwnd;
	if (pcb->cwnd < w)
		pcb->cwnd = w;
	if (pcb->ssthresh < pcb->prior_ssthresh)
		pcb->ssthresh = pcb->prior_ssthresh;
	cwnd_cap(pcb);
}

void tcp_cc_on_send_after_idle(struct tcp_pcb *pcb, uint64_t idle_us)
{
	/*
	 * RFC 5681 §4.1: after more than an RTO without sending, cwnd is at most
	 * the restart window RW = min(IW, cwnd).  As Linux's tcp_cwnd_restart
	 * (tcp_slow_start_after_idle), cwnd halves for every RTO of idleness
	 * down to RW, and ssthresh keeps 3/4 of the old window.
	 */
	uint64_t rto = tcp_rto_us(pcb);
	if (!rto || idle_us <= rto)
		return;
	uint32_t rw = initial_window(pcb);
	if (rw > pcb->cwnd)
		rw = pcb->cwnd;
	uint32_t keep = (pcb->cwnd >> 1) + (pcb->cwnd >> 2);
	if (pcb->ssthresh < keep)
		pcb->ssthresh = keep;
	uint32_t cwnd = pcb->cwnd;
	for (uint64_t d = idle_us - rto; d > 0 && cwnd > rw;) {
		cwnd >>= 1;
		d = d > rto ? d - rto : 0;
	}
	pcb->cwnd = cwnd > rw ? cwnd : rw;
	pcb->bytes_acked = 0;
	if (pcb->cc->after_idle)
		pcb->cc->after_idle(pcb);
}
