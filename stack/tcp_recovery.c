/*
 * tcp_recovery.c - loss detection and recovery, apart from the RFC 9293
 * steps of tcp_in.c: the SACK scoreboard (RFC 2018 §5), the pipe estimate
 * and hole retransmission of SACK recovery (RFC 6675), NewReno's recovery
 * without SACK (RFC 6582), fast retransmit with limited and early
 * retransmit thresholds (RFC 5681 §3.2, RFC 3042, RFC 5827), and what an
 * ACK of new data does to the send side (ring, RTT sample, timers).
 * Window changes go through tcp_cc.h.
 *
 * Called by tcp_in.c's check_ack (tcp_sack_update, tcp_ack_new_data,
 * tcp_ack_duplicate) and by the REXMT timer (tcp_recovery_probe).
 *
 * Read first: RFC 5681 §3.2, RFC 6582 §3.2, RFC 6675 §4-5, RFC 2018 §5,
 * RFC 5827, RFC 8985 §7 (probes).
 */
#include "tcp_var.h"

#include "stack.h"
#include "tcp_cc.h"
#include "tcp_seq.h"

uint32_t tcp_sacked_bytes(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		n += pcb->sacked[k].right - pcb->sacked[k].left;
	return n;
}

/* SACKed bytes below seq. */
static uint32_t sacked_below(const struct tcp_pcb *pcb, uint32_t seq)
{
	uint32_t n = 0;
	for (uint8_t k = 0; k < pcb->nsacked; k++) {
		const struct tcp_sack_block *b = &pcb->sacked[k];
		if (seq_leq(b->right, seq))
			n += b->right - b->left;
		else if (seq_lt(b->left, seq))
			n += seq - b->left;
	}
	return n;
}

/*
 * RFC 6675 §4 "pipe": bytes in the network.  Outstanding bytes, minus what
 * the peer SACKed, minus the holes below the highest SACK that we take as
 * lost (RFC 6675 IsLost, simplified: anything below a SACKed byte) and
 * have not resent yet in this recovery (those below rexmit_hi were).
 */
uint32_t tcp_pipe(const struct tcp_pcb *pcb)
{
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	if (!pcb->nsacked)
		return flight;
	uint32_t high = pcb->snd_una;
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		high = seq_max(high, pcb->sacked[k].right);
	uint32_t sacked = tcp_sacked_bytes(pcb);
	uint32_t holes = (high - pcb->snd_una) - sacked;
	uint32_t resent_to = seq_min(seq_max(pcb->rexmit_hi, pcb->snd_una), high);
	uint32_t resent = (resent_to - pcb->snd_una) - sacked_below(pcb, resent_to);
	uint32_t lost = holes > resent ? holes - resent : 0;
	uint32_t out = sacked + lost;
	return flight > out ? flight - out : 0;
}

/* Adds the peer's SACK blocks above SND.UNA to the scoreboard (RFC 2018 §5). */
void tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	for (uint8_t i = 0; i < o->nsack; i++) {
		struct tcp_sack_block nb = o->sack[i];
		if (!seq_lt(nb.left, nb.right) || seq_leq(nb.right, pcb->snd_una) ||
		    seq_gt(nb.right, pcb->snd_max))
			continue; /* old, empty or for data never sent: ignore */
		if (seq_lt(nb.left, pcb->snd_una))
			nb.left = pcb->snd_una;
		/* Merge with what overlaps, then insert. */
		uint8_t out = 0;
		for (uint8_t k = 0; k < pcb->nsacked; k++) {
			struct tcp_sack_block s = pcb->sacked[k];
			if (seq_leq(s.left, nb.right) && seq_leq(nb.left, s.right)) {
				nb.left = seq_min(nb.left, s.left);
				nb.right = seq_max(nb.right, s.right);
			} else {
				pcb->sacked[out++] = s;
			}
		}
		if (out == TCP_SCOREBOARD_MAX) {
			/* Full: forget the highest block; it only costs a needless resend. */
			uint8_t hi = 0;
			for (uint8_t k = 1; k < out; k++)
				if (seq_gt(pcb->sacked[k].left, pcb->sacked[hi].left))
					hi = k;
			pcb->sacked[hi] = pcb->sacked[--out];
		}
		pcb->sacked[out++] = nb;
		pcb->nsacked = out;
	}
}

static void sack_prune(struct tcp_pcb *pcb)
{
	uint8_t out = 0;
	for (uint8_t k = 0; k < pcb->nsacked; k++) {
		struct tcp_sack_block s = pcb->sacked[k];
		if (seq_leq(s.right, pcb->snd_una))
			continue;
		if (seq_lt(s.left, pcb->snd_una))
			s.left = pcb->snd_una;
		pcb->sacked[out++] = s;
	}
	pcb->nsacked = out;
}

/* Highest right edge the peer SACKed, or SND.UNA. */
static uint32_t sack_high(const struct tcp_pcb *pcb)
{
	uint32_t hi = pcb->snd_una;
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		hi = seq_max(hi, pcb->sacked[k].right);
	return hi;
}

/*
 * Retransmits the first hole at or after from that lies below the highest
 * SACKed byte (or, without SACK information, the segment at SND.UNA).
 * Returns whether something was sent.
 */
static bool retransmit_hole(struct tcp_pcb *pcb, uint32_t from)
{
	uint32_t hi = pcb->nsacked ? sack_high(pcb) : pcb->snd_una + 1;
	uint32_t seq = seq_max(from, pcb->snd_una);
	for (bool moved = true; moved;) {
		moved = false;
		for (uint8_t k = 0; k < pcb->nsacked; k++)
			if (seq_in(seq, pcb->sacked[k].left, pcb->sacked[k].right)) {
				seq = pcb->sacked[k].right;
				moved = true;
			}
	}
	if (!seq_lt(seq, hi) || !seq_lt(seq, pcb->snd_max))
		return false;
	uint32_t end = seq + tcp_seg_room(pcb);
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		if (seq_gt(pcb->sacked[k].left, seq) && seq_lt(pcb->sacked[k].left, end))
			end = pcb->sacked[k].left;
	/* Only what was sent before: never new data past SND.MAX from here. */
	uint32_t data_end = seq_min(pcb->snd_buf_seq + pcb->snd_ring.len, pcb->snd_max);
	uint8_t flags = TCP_ACK;
	if (seq_gt(end, data_end))
		end = data_end;
	uint32_t len = seq_gt(end, seq) ? end - seq : 0;
	if ((pcb->tf & TF_FIN_SENT) && seq + len == pcb->fin_seq)
		flags |= TCP_FIN;
	if (!len && !(flags & TCP_FIN))
		return false;
	ts_count(pcb->st, CTR_TCP_RETRANS);
	tcp_send_segment(pcb, seq, flags, len);
	pcb->rexmit_hi = seq + len + !!(flags & TCP_FIN);
	if (seq == pcb->snd_una)
		pcb->rexmit_mark = pcb->snd_max;
	return true;
}

/*
 * RFC 6675 §5 (C): while the pipe leaves room for a segment, resend the
 * next hole.  The first retransmission of a recovery goes regardless (4.2).
 */
static void recovery_send(struct tcp_pcb *pcb, bool first)
{
	for (int n = 0; n < 64; n++) {
		if (!(first && n == 0) && tcp_pipe(pcb) + pcb->smss > pcb->cwnd)
			break;
		if (!retransmit_hole(pcb, first && n == 0 ? pcb->snd_una : pcb->rexmit_hi))
			break;
	}
}

void tcp_recovery_probe(struct tcp_pcb *pcb)
{
	pcb->rexmit_hi = pcb->snd_una;
	if (!retransmit_hole(pcb, pcb->snd_una))
		tcp_send_probe(pcb);
}

/* New data acknowledged: free the ring, measure RTT, grow cwnd (RFC 5681, 6582). */

void tcp_ack_new_data(struct tcp_pcb *pcb, uint32_t ack, const struct tcp_opts *opt)
{
	struct stack *st = pcb->st;
	uint32_t acked = ack - pcb->snd_una;

	/* Free acknowledged bytes (the SYN and FIN occupy no ring space). */
	uint32_t data_end = pcb->snd_buf_seq + pcb->snd_ring.len;
	uint32_t upto = seq_min(ack, data_end);
	if (seq_gt(upto, pcb->snd_buf_seq)) {
		tcp_ring_consume(&pcb->snd_ring, upto - pcb->snd_buf_seq);
		pcb->snd_buf_seq = upto;
		/* All acknowledged: the storage goes back to the cache. */
		tcp_snd_ring_idle(pcb);
	}

	/* RTT: timestamps (RFC 7323 §4.1) or the one timed segment (RFC 6298 §3, Karn). */
	uint32_t min_rto = st->cfg.tcp_min_rto_ms * 1000u, max_rto = st->cfg.tcp_max_rto_ms * 1000u;
	if ((pcb->tf & TF_TS_OK) && opt->has_ts && opt->tsecr) {
		uint32_t now_ms = (uint32_t)(st->now_us / 1000u) + pcb->ts_offset;
		uint32_t rtt_ms = now_ms - opt->tsecr;
		if (rtt_ms < 600000u)
			tcp_rtt_sample(&pcb->rtt, rtt_ms * 1000u, min_rto, max_rto);
	} else if ((pcb->tf & TF_TIMING) && seq_gt(ack, pcb->rtt_seq)) {
		pcb->tf &= ~TF_TIMING;
		tcp_rtt_sample(&pcb->rtt, (uint32_t)(st->now_us - pcb->rtt_start_us), min_rto,
			       max_rto);
	}
	pcb->backoff = 0;
	pcb->rexmt_count = 0;
	pcb->tf &= ~TF_TLP_SENT; /* RFC 8985 §7.2: progress, a new probe may go */

	if (pcb->tf & TF_IN_RECOVERY) {
		if (seq_geq(ack, pcb->recover)) {
			/* RFC 6582 §3.2 (3) full ACK: the recovery is over. */
			tcp_cc_on_recovery_end(pcb, ack);
			pcb->tf &= ~TF_IN_RECOVERY;
			pcb->dupacks = 0;
		} else if (pcb->tf & TF_SACK_OK) {
			/* RFC 6675: the partial ACK moves the scoreboard; holes already
			 * resent in this recovery are not resent again. */
			pcb->snd_una = ack;
			sack_prune(pcb);
			if (seq_lt(pcb->rexmit_hi, ack))
				pcb->rexmit_hi = ack;
			recovery_send(pcb, false);
			tcp_cc_on_sack_partial_ack(pcb);
		} else {
			/* (3) partial ACK: resend the next hole, deflate by the amount acked. */
			pcb->snd_una = ack;
			retransmit_hole(pcb, ack);
			tcp_cc_on_partial_ack(pcb, acked);
		}
	} else {
		pcb->dupacks = 0;
		tcp_cc_on_ack(pcb, acked);
	}

	pcb->snd_una = ack;
	if (seq_lt(pcb->snd_nxt, ack))
		pcb->snd_nxt = ack; /* after go-back-N, the peer had more than we resent */
	if (seq_lt(pcb->rexmit_hi, ack))
		pcb->rexmit_hi = ack;
	sack_prune(pcb);
	tcp_rexmt_restart(pcb);
	tcp_wakeup(pcb);
}

void tcp_ack_duplicate(struct tcp_pcb *pcb, uint32_t ack, bool new_sack)
{
	pcb->dupacks++;
	if (pcb->tf & TF_IN_RECOVERY) {
		if (!(pcb->tf & TF_SACK_OK)) {
			tcp_cc_on_recovery_dupack(pcb);
			return;
		}
		/* RFC 6675 §5 (C): the SACKed bytes left the network (tcp_output
		 * counts them out of the pipe); resend the next hole below the
		 * highest SACK.  A duplicate without new SACK news (a copy made by
		 * the network) says nothing. */
		if (!new_sack || !pcb->nsacked)
			return;
		/*
		 * Lost retransmission (the idea of RFC 8985 RACK, by sequence not
		 * time): the peer SACKs three segments sent after we resent the hole
		 * at SND.UNA, yet that hole stays.  Resend it instead of waiting
		 * for the RTO.
		 */
		if (seq_gt(sack_high(pcb), pcb->rexmit_mark + 3u * pcb->smss) &&
		    seq_gt(pcb->snd_max, pcb->rexmit_mark)) {
			pcb->rexmit_hi = pcb->snd_una;
			recovery_send(pcb, true);
			return;
		}
		recovery_send(pcb, false);
		return;
	}
	/*
	 * RFC 5827 early retransmit: with fewer than four segments out and
	 * nothing new to send, three duplicates can never come; the threshold
	 * drops to the segments in flight minus one.
	 */
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	uint32_t segs = (flight + pcb->smss - 1) / pcb->smss;
	uint32_t unsent = pcb->snd_buf_seq + pcb->snd_ring.len - pcb->snd_max;
	uint32_t dupthresh = 3;
	if (segs < 4 && (int32_t)unsent <= 0)
		dupthresh = segs > 1 ? segs - 1 : 1;
	/* RFC 8985 §7.4: a SACK answering our tail loss probe shows the
	 * segments before it were lost, not late. */
	bool enough = pcb->dupacks >= dupthresh ||
		      (pcb->nsacked && sack_high(pcb) - pcb->snd_una >= 3u * pcb->smss) ||
		      (pcb->nsacked && (pcb->tf & TF_TLP_SENT));
	if (!enough)
		return;
	/*
	 * RFC 6582 §3.2 (2): no fast retransmit for losses from before the last
	 * recovery or timeout.  Deviation: ACK == recover is allowed (everything
	 * sent before that episode is acknowledged, so this loss is new).
	 */
	if (seq_lt(ack, pcb->recover))
		return;
	tcp_cc_on_fast_retransmit(pcb);
	pcb->recover = pcb->snd_max;
	pcb->tf |= TF_IN_RECOVERY;
	pcb->tf &= ~TF_TIMING; /* Karn */
	ts_count(pcb->st, CTR_TCP_FAST_RETRANS);
	pcb->rexmit_hi = pcb->snd_una;
	if (pcb->tf & TF_SACK_OK)
		recovery_send(pcb, true);
	else
		retransmit_hole(pcb, pcb->snd_una);
	tcp_rexmt_arm(pcb); /* in recovery: the full RTO */
}
