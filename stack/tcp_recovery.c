/*
 * tcp_recovery.c - loss detection and recovery, apart from the RFC 9293
 * steps of tcp_in.c:
 *
 *   the SACK scoreboard (RFC 2018 §5) and D-SACK detection (RFC 2883 §4),
 *   the sent-segment records (tcp_seg_sent, one per segment in flight:
 *   RFC 8985 §5.2's per-segment state),
 *   RACK (RFC 8985 §6): a segment is lost when one sent after it was
 *   delivered more than RACK.rtt + reo_wnd ago (rack_update, rack_detect_loss,
 *   the reordering timer); reo_wnd = min_RTT/4, grown by D-SACK rounds (§6.2
 *   step 4); the tail loss probe itself is in tcp_timer.c (§7),
 *   recovery paced by PRR (RFC 6937, tcp_cc.c) with lost segments resent
 *   first (recovery_send),
 *   without SACK: NewReno (RFC 6582) with fast retransmit at three
 *   duplicates, limited and early retransmit (RFC 5681 §3.2, RFC 3042,
 *   RFC 5827) and, when no record could be kept, RFC 6675's pipe,
 *   the undo of a spurious reduction (Linux tcp_try_undo_*): every
 *   retransmission D-SACKed (RFC 2883 §5), timestamps showing the original
 *   arrived (Eifel, RFC 3522), or F-RTO after a timeout (RFC 5682 §2),
 *   the --trace tcp line of every ACK (tcp_trace_event).
 *
 * Window changes go through tcp_cc.h.  Called by tcp_in.c's check_ack
 * (tcp_sack_update, tcp_ack_new_data, tcp_ack_duplicate, tcp_ack_done),
 * tcp_out.c (tcp_seg_sent) and the REXMT timer (tcp_rack_reo_timeout,
 * tcp_recovery_on_rto).
 *
 * Read first: RFC 8985 §6-7, RFC 6937 §3, RFC 5681 §3.2, RFC 6582 §3.2,
 * RFC 6675 §4-5, RFC 2018 §5, RFC 2883 §4-5, RFC 3522 §3, RFC 5682 §2.
 */
#include "tcp_var.h"

#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "tcp_cc.h"
#include "tcp_seq.h"

/* RFC 8985 §6.2: DupThresh, the SACKed segments that make reo_wnd 0 before reordering is seen. */
#define TCP_DUPTHRESH 3u

static uint32_t now32(const struct tcp_pcb *pcb)
{
	return (uint32_t)pcb->st->now_us;
}

/* Whether t1 is later than t2 on the 32-bit µs clock. */
static bool time_after(uint32_t t1, uint32_t t2)
{
	return (int32_t)(t1 - t2) > 0;
}

/* ---- Sent-segment records ---- */

static struct tcp_seg_rec *rec_at(const struct tcp_pcb *pcb, uint32_t i)
{
	return &pcb->segs[(pcb->seg_head + i) & (pcb->seg_cap - 1u)];
}

uint32_t tcp_retrans_out(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < pcb->seg_n; i++)
		if ((rec_at(pcb, i)->flags & (TCP_SEG_RETRANS | TCP_SEG_SACKED)) == TCP_SEG_RETRANS)
			n++;
	return n;
}

bool tcp_rack_on(const struct tcp_pcb *pcb)
{
	return (pcb->tf & TF_SACK_OK) && !pcb->seg_nomem;
}

void tcp_seg_recs_free(struct tcp_pcb *pcb)
{
	free(pcb->segs);
	pcb->segs = NULL;
	pcb->seg_cap = pcb->seg_head = pcb->seg_n = 0;
}

/* Room for one more record; false when the ring is at its cap (or no memory). */
static bool recs_grow(struct tcp_pcb *pcb)
{
	if (pcb->seg_n < pcb->seg_cap)
		return true;
	uint32_t cap = pcb->seg_cap ? 2u * pcb->seg_cap : 16u;
	if (cap > TCP_SEG_RECS_MAX)
		return false;
	struct tcp_seg_rec *n = malloc(cap * sizeof(*n));
	if (!n) {
		pcb->seg_nomem = true;
		return false;
	}
	for (uint32_t i = 0; i < pcb->seg_n; i++)
		n[i] = *rec_at(pcb, i);
	free(pcb->segs);
	pcb->segs = n;
	pcb->seg_cap = (uint16_t)cap;
	pcb->seg_head = 0;
	return true;
}

void tcp_seg_sent(struct tcp_pcb *pcb, uint32_t seq, uint32_t len)
{
	if (!len || !(pcb->tf & TF_SACK_OK) || pcb->seg_nomem)
		return;
	uint32_t end = seq + len, now = now32(pcb);
	if (pcb->ca_state == TCP_CA_RECOVERY)
		pcb->prr_out += len; /* RFC 6937 §3: prr_out += data sent */
	if (!pcb->seg_n && seq_gt(pcb->snd_max, seq) && seq != pcb->snd_una)
		return; /* no record of that data (kept none while it was out) */
	/* A retransmission: every record it touches was sent again now. */
	uint32_t new_from = seq;
	for (uint32_t i = 0; i < pcb->seg_n; i++) {
		struct tcp_seg_rec *r = rec_at(pcb, i);
		if (!seq_lt(seq, r->end))
			continue;
		if (!seq_lt(r->seq, end))
			break;
		if (pcb->tf & TF_UNDO_OK)
			pcb->undo_retrans++;
		if (!pcb->retrans_stamp) {
			/* Our TSval now (Eifel compares echoes with it); never 0. */
			uint32_t ts = (uint32_t)(pcb->st->now_us / 1000u) + pcb->ts_offset;
			pcb->retrans_stamp = ts ? ts : 1;
		}
		r->flags = (uint8_t)((r->flags | TCP_SEG_RETRANS) & ~TCP_SEG_LOST);
		r->xmit_us = now;
		r->order = pcb->seg_order++;
		new_from = r->end;
	}
	if (!seq_lt(new_from, end))
		return;
	if (pcb->seg_n && seq_lt(new_from, rec_at(pcb, pcb->seg_n - 1)->end))
		new_from = rec_at(pcb, pcb->seg_n - 1)->end;
	if (!recs_grow(pcb)) {
		if (pcb->seg_nomem || !pcb->seg_n)
			return;
		/* At the cap: the last record grows (coarser, never wrong in
		 * the direction of a false loss: its time is the newest). */
		struct tcp_seg_rec *last = rec_at(pcb, pcb->seg_n - 1);
		last->end = end;
		last->xmit_us = now;
		last->order = pcb->seg_order++;
		return;
	}
	struct tcp_seg_rec *r = rec_at(pcb, pcb->seg_n++);
	memset(r, 0, sizeof(*r));
	r->seq = new_from;
	r->end = end;
	r->xmit_us = now;
	r->order = pcb->seg_order++;
}

/* ---- SACK scoreboard ---- */

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
 * RFC 6675 §4 "pipe": bytes in the network.  With RACK, from the records:
 * every segment neither SACKed nor marked lost (a lost segment resent is
 * in flight again; Linux tcp_packets_in_flight).  Without records,
 * outstanding bytes, minus what the peer SACKed, minus the holes below
 * the highest SACK that we take as lost (RFC 6675 IsLost, simplified:
 * anything below a SACKed byte) and have not resent yet in this recovery
 * (those below rexmit_hi were).
 */
uint32_t tcp_pipe(const struct tcp_pcb *pcb)
{
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	if (tcp_rack_on(pcb) && pcb->seg_n) {
		uint32_t pipe = 0;
		for (uint32_t i = 0; i < pcb->seg_n; i++) {
			const struct tcp_seg_rec *r = rec_at(pcb, i);
			if (!(r->flags & (TCP_SEG_SACKED | TCP_SEG_LOST)))
				pipe += r->end - r->seq;
		}
		return pipe;
	}
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

bool tcp_dsack_check(struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t ack)
{
	if (!o->nsack)
		return false;
	/* RFC 2883 §4: the first block reports a duplicate when it lies below
	 * the cumulative ACK, or inside the second block. */
	const struct tcp_sack_block *b = &o->sack[0];
	bool dsack =
	    seq_lt(b->left, b->right) &&
	    (seq_leq(b->right, ack) || (o->nsack > 1 && seq_geq(b->left, o->sack[1].left) &&
					seq_leq(b->right, o->sack[1].right)));
	if (!dsack)
		return false;
	ts_count(pcb->st, CTR_TCP_DSACK_RECV);
	/* RFC 8985 §6.2 step 4: one D-SACK round grows reo_wnd. */
	if (!pcb->rack_dsack_round_valid || seq_geq(pcb->snd_una, pcb->rack_dsack_round)) {
		if (pcb->rack_reo_wnd_mult < UINT8_MAX)
			pcb->rack_reo_wnd_mult++;
		pcb->rack_dsack_round = pcb->snd_nxt;
		pcb->rack_dsack_round_valid = true;
		pcb->rack_reo_wnd_persist = 16;
	}
	/* Linux tcp_check_dsack: a duplicate of data retransmitted in this
	 * episode shows that retransmission was not needed. */
	if ((pcb->tf & TF_UNDO_OK) && pcb->undo_retrans && seq_leq(b->right, ack) &&
	    seq_gt(b->right, pcb->undo_marker))
		pcb->undo_retrans--;
	return true;
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

static bool sacked_range(const struct tcp_pcb *pcb, uint32_t left, uint32_t right)
{
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		if (seq_leq(pcb->sacked[k].left, left) && seq_geq(pcb->sacked[k].right, right))
			return true;
	return false;
}

/* ---- RACK (RFC 8985 §6) ---- */

/*
 * RFC 8985 §6.2 RACK_sent_after(t1, seq1, t2, seq2).  Deviation: a tie of
 * times is broken by the order of transmission, not by end_seq, which
 * stands for it in the RFC: a retransmission sent in the same microsecond
 * as later new data (always, on a virtual clock) was sent after it.
 */
static bool sent_after(uint32_t t1, uint16_t o1, uint32_t t2, uint16_t o2)
{
	return time_after(t1, t2) || (t1 == t2 && (int16_t)(o1 - o2) > 0);
}

/*
 * RFC 8985 §6.2 step 2 (RACK_update) for a segment just acknowledged or
 * SACKed; step 3 (reordering) against fack, the highest SACKed sequence
 * before this ACK.
 */
static void rack_update(struct tcp_pcb *pcb, const struct tcp_seg_rec *r,
			const struct tcp_opts *opt, uint32_t fack)
{
	uint32_t rtt = now32(pcb) - r->xmit_us;
	if (r->flags & TCP_SEG_RETRANS) {
		/* An ACK of the original or of the retransmission?  Timestamps
		 * tell (TSecr before the retransmission: the original); without
		 * them, a sample below min_RTT is taken for the original. */
		if ((pcb->tf & TF_TS_OK) && opt && opt->has_ts && pcb->retrans_stamp &&
		    seq_lt(opt->tsecr, pcb->retrans_stamp))
			return;
		if (pcb->rack_min_rtt_us && rtt < pcb->rack_min_rtt_us)
			return;
	}
	pcb->rack_rtt_us = rtt;
	if (!pcb->rack_min_rtt_us || rtt < pcb->rack_min_rtt_us)
		pcb->rack_min_rtt_us = rtt ? rtt : 1;
	if (!pcb->rack_valid ||
	    sent_after(r->xmit_us, r->order, pcb->rack_xmit_us, pcb->rack_order)) {
		pcb->rack_xmit_us = r->xmit_us;
		pcb->rack_end_seq = r->end;
		pcb->rack_order = r->order;
		pcb->rack_valid = true;
	}
	if (!(r->flags & TCP_SEG_RETRANS) && seq_lt(r->end, fack) && !pcb->rack_reord) {
		pcb->rack_reord = true;
		ts_count(pcb->st, CTR_TCP_REORDER_SEEN);
	}
}

/* RFC 8985 §6.2 step 4: the reordering window. */
static uint32_t rack_reo_wnd(const struct tcp_pcb *pcb)
{
	if (!pcb->rack_reord) {
		if (pcb->ca_state >= TCP_CA_RECOVERY)
			return 0;
		uint32_t sacked = 0;
		for (uint32_t i = 0; i < pcb->seg_n; i++)
			if (rec_at(pcb, i)->flags & TCP_SEG_SACKED)
				sacked++;
		if (sacked >= TCP_DUPTHRESH)
			return 0;
	}
	uint64_t w = (uint64_t)(pcb->rack_min_rtt_us / 4) *
		     (pcb->rack_reo_wnd_mult ? pcb->rack_reo_wnd_mult : 1);
	if (pcb->rtt.srtt_us && w > pcb->rtt.srtt_us)
		w = pcb->rtt.srtt_us;
	return (uint32_t)w;
}

/*
 * RFC 8985 §6.2 step 5 (RACK_detect_loss): every segment sent before the
 * most recently delivered one, and more than RACK.rtt + reo_wnd ago, is
 * lost.  Returns the time until the next one would be (0: none), for the
 * reordering timer; *nlost counts the segments newly marked.
 */
static uint32_t rack_detect_loss(struct tcp_pcb *pcb, uint32_t *nlost)
{
	*nlost = 0;
	if (!pcb->rack_valid)
		return 0;
	uint32_t reo = rack_reo_wnd(pcb), now = now32(pcb), timeout = 0;
	for (uint32_t i = 0; i < pcb->seg_n; i++) {
		struct tcp_seg_rec *r = rec_at(pcb, i);
		if (r->flags & (TCP_SEG_SACKED | TCP_SEG_LOST))
			continue;
		if (!sent_after(pcb->rack_xmit_us, pcb->rack_order, r->xmit_us, r->order))
			continue; /* sent after the last delivered one: not yet */
		/* xmit_ts + RACK.rtt + reo_wnd - now, wrap-safe */
		int64_t remaining =
		    (int64_t)pcb->rack_rtt_us + reo - (int64_t)(int32_t)(now - r->xmit_us);
		if (remaining <= 0) {
			if (r->flags & TCP_SEG_RETRANS)
				ts_count(pcb->st, CTR_TCP_LOST_RETRANSMITS);
			r->flags |= TCP_SEG_LOST;
			ts_count(pcb->st, CTR_TCP_RACK_LOST);
			(*nlost)++;
		} else if ((uint32_t)remaining > timeout) {
			timeout = (uint32_t)remaining;
		}
	}
	return timeout;
}

static bool any_lost(const struct tcp_pcb *pcb)
{
	for (uint32_t i = 0; i < pcb->seg_n; i++)
		if (rec_at(pcb, i)->flags & TCP_SEG_LOST)
			return true;
	return false;
}

static void unmark_lost(struct tcp_pcb *pcb)
{
	for (uint32_t i = 0; i < pcb->seg_n; i++)
		rec_at(pcb, i)->flags &= (uint8_t)~TCP_SEG_LOST;
}

/* Marks SACKed records and pops acknowledged ones, each passing through
 * rack_update; returns the bytes newly SACKed. */
static uint32_t recs_on_ack(struct tcp_pcb *pcb, const struct tcp_opts *opt, uint32_t fack)
{
	uint32_t newly_sacked = 0;
	while (pcb->seg_n) {
		struct tcp_seg_rec *r = rec_at(pcb, 0);
		if (seq_gt(r->end, pcb->snd_una)) {
			if (seq_lt(r->seq, pcb->snd_una))
				r->seq = pcb->snd_una; /* partly acknowledged */
			break;
		}
		if (!(r->flags & TCP_SEG_SACKED))
			rack_update(pcb, r, opt, fack);
		pcb->seg_head = (uint16_t)((pcb->seg_head + 1u) & (pcb->seg_cap - 1u));
		pcb->seg_n--;
	}
	for (uint32_t i = 0; i < pcb->seg_n; i++) {
		struct tcp_seg_rec *r = rec_at(pcb, i);
		if ((r->flags & TCP_SEG_SACKED) || !sacked_range(pcb, r->seq, r->end))
			continue;
		r->flags = (uint8_t)((r->flags | TCP_SEG_SACKED) & ~TCP_SEG_LOST);
		newly_sacked += r->end - r->seq;
		rack_update(pcb, r, opt, fack);
	}
	if (!pcb->seg_n) {
		tcp_seg_recs_free(pcb); /* nothing in flight: an idle connection holds none */
		if (pcb->snd_una == pcb->snd_max)
			pcb->seg_nomem = false;
	}
	return newly_sacked;
}

/* ---- Sending during a recovery ---- */

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

/* Resends one record marked lost (up to a segment of it); false when none is. */
static bool retransmit_lost(struct tcp_pcb *pcb)
{
	for (uint32_t i = 0; i < pcb->seg_n; i++) {
		struct tcp_seg_rec *r = rec_at(pcb, i);
		if (!(r->flags & TCP_SEG_LOST))
			continue;
		uint32_t seq = r->seq, end = r->end;
		uint32_t room = tcp_seg_room(pcb);
		uint8_t flags = TCP_ACK;
		if ((pcb->tf & TF_FIN_SENT) && end == pcb->fin_seq + 1) {
			end = pcb->fin_seq; /* the FIN goes with the last byte */
			flags |= TCP_FIN;
		}
		uint32_t len = end - seq;
		if (len > room) {
			len = room;
			flags &= (uint8_t)~TCP_FIN;
		}
		ts_count(pcb->st, CTR_TCP_RETRANS);
		/* A record longer than one segment (the ring was at its cap) is
		 * marked retransmitted whole; the rest goes by the RTO. */
		tcp_send_segment(pcb, seq, flags, len);
		r->flags &= (uint8_t)~TCP_SEG_LOST;
		return true;
	}
	return false;
}

/*
 * RFC 6675 §5 (C) / RFC 8985 §6.2: while the window leaves room for a
 * segment, resend what is lost (RACK's marks, or the next hole below the
 * highest SACK without records).  The first retransmission of a recovery
 * without records goes regardless (RFC 6675 §5 (4.2)).
 */
static void recovery_send(struct tcp_pcb *pcb, bool first)
{
	bool rack = tcp_rack_on(pcb) && pcb->seg_n;
	for (int n = 0; n < 256; n++) {
		if (!(first && n == 0 && !rack) && tcp_pipe(pcb) + pcb->smss > pcb->cwnd)
			break;
		if (rack) {
			if (!retransmit_lost(pcb))
				break;
			continue;
		}
		if (!retransmit_hole(pcb, first && n == 0 ? pcb->snd_una : pcb->rexmit_hi))
			break;
	}
}

void tcp_recovery_send(struct tcp_pcb *pcb)
{
	recovery_send(pcb, false);
}

void tcp_recovery_probe(struct tcp_pcb *pcb)
{
	pcb->rexmit_hi = pcb->snd_una;
	if (!retransmit_hole(pcb, pcb->snd_una))
		tcp_send_probe(pcb);
}

/* ---- Episodes: enter, leave, undo ---- */

/* Starts a loss episode that may be undone later (Linux tcp_init_undo). */
static void undo_start(struct tcp_pcb *pcb)
{
	pcb->tf |= TF_UNDO_OK;
	pcb->undo_marker = pcb->snd_una;
	pcb->undo_retrans = 0;
	pcb->retrans_stamp = 0;
}

static void enter_recovery(struct tcp_pcb *pcb, uint32_t prior_una)
{
	tcp_cc_on_fast_retransmit(pcb);
	undo_start(pcb);
	pcb->recover = pcb->snd_max;
	pcb->tf |= TF_IN_RECOVERY;
	pcb->tf &= ~TF_TIMING; /* Karn */
	pcb->ca_state = TCP_CA_RECOVERY;
	/* RFC 6937 §3: at the start of recovery. */
	pcb->prr_delivered = 0;
	pcb->prr_out = 0;
	pcb->recover_fs = pcb->snd_max - prior_una;
	pcb->rexmit_hi = pcb->snd_una;
	ts_count(pcb->st, CTR_TCP_FAST_RETRANS);
	if (tcp_rack_on(pcb))
		ts_count(pcb->st, CTR_TCP_PRR_RECOVERIES);
	/* No probe timeout in recovery (RFC 8985 §7.2); the head is resent
	 * now, which restarts the RTO (Linux tcp_xmit_retransmit_queue). */
	tcp_rexmt_arm(pcb);
}

static void leave_recovery(struct tcp_pcb *pcb)
{
	pcb->tf &= ~TF_IN_RECOVERY;
	pcb->ca_state = TCP_CA_OPEN;
	pcb->dupacks = 0;
	/* RFC 8985 §6.2 step 4: reo_wnd falls back after 16 recoveries without D-SACK. */
	if (pcb->rack_reo_wnd_persist && --pcb->rack_reo_wnd_persist == 0)
		pcb->rack_reo_wnd_mult = 1;
}

/* The reduction was spurious: restore the window, forget the losses. */
static void undo(struct tcp_pcb *pcb, enum ts_counter why)
{
	ts_count(pcb->st, why);
	tcp_cc_on_undo(pcb);
	unmark_lost(pcb);
	pcb->tf &= ~TF_UNDO_OK;
	pcb->frto = 0;
	if (pcb->ca_state == TCP_CA_LOSS) {
		/* Stop resending what arrived (go-back-N from SND.UNA). */
		pcb->snd_nxt = pcb->snd_max;
	}
	if (pcb->tf & TF_IN_RECOVERY)
		leave_recovery(pcb);
	pcb->ca_state = TCP_CA_OPEN;
}

/* RFC 3522 §3 (Eifel detection): the ACK echoes a timestamp older than our
 * first retransmission, so the original got there (Linux tcp_packet_delayed). */
static bool eifel_spurious(const struct tcp_pcb *pcb, const struct tcp_opts *opt)
{
	return (pcb->tf & TF_TS_OK) && opt && opt->has_ts && opt->tsecr && pcb->retrans_stamp &&
	       seq_lt(opt->tsecr, pcb->retrans_stamp);
}

/* New data acknowledged: free the ring, measure RTT, grow cwnd (RFC 5681, 6582). */

void tcp_ack_new_data(struct tcp_pcb *pcb, uint32_t ack, const struct tcp_opts *opt)
{
	struct stack *st = pcb->st;
	uint32_t acked = ack - pcb->snd_una;
	pcb->delivered_bytes += acked;

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
		if (rtt_ms < 600000u) {
			tcp_rtt_sample(&pcb->rtt, rtt_ms * 1000u, min_rto, max_rto);
			tcp_cc_on_rtt(pcb, rtt_ms * 1000u);
		}
	} else if ((pcb->tf & TF_TIMING) && seq_gt(ack, pcb->rtt_seq)) {
		pcb->tf &= ~TF_TIMING;
		uint32_t rtt = (uint32_t)(st->now_us - pcb->rtt_start_us);
		tcp_rtt_sample(&pcb->rtt, rtt, min_rto, max_rto);
		tcp_cc_on_rtt(pcb, rtt);
	}
	pcb->backoff = 0;
	pcb->rexmt_count = 0;
	pcb->tf &= ~TF_TLP_SENT; /* RFC 8985 §7.2: progress, a new probe may go */

	if (pcb->tf & TF_IN_RECOVERY) {
		if (seq_geq(ack, pcb->recover)) {
			/* RFC 6582 §3.2 (3) full ACK: the recovery is over; RFC 6937:
			 * cwnd = ssthresh (the module's post_recovery). */
			tcp_cc_on_recovery_end(pcb, ack);
			leave_recovery(pcb);
		} else if (tcp_rack_on(pcb)) {
			/* PRR paces the rest (tcp_ack_done). */
		} else if (pcb->tf & TF_SACK_OK) {
			/* RFC 6675: the partial ACK moves the scoreboard; holes already
			 * resent in this recovery are not resent again. */
			pcb->snd_una = ack;
			sack_prune(pcb);
			if (seq_lt(pcb->rexmit_hi, ack))
				pcb->rexmit_hi = ack;
			recovery_send(pcb, false);
		} else {
			/* (3) partial ACK: resend the next hole, deflate by the amount acked. */
			pcb->snd_una = ack;
			retransmit_hole(pcb, ack);
			tcp_cc_on_partial_ack(pcb, acked);
		}
	} else if (pcb->ca_state == TCP_CA_LOSS) {
		/* After a timeout, slow start from the loss window (RFC 5681 §3.1);
		 * the episode ends once everything sent before it is acknowledged. */
		pcb->dupacks = 0;
		tcp_cc_on_ack(pcb, acked);
		if (seq_geq(ack, pcb->recover) && !pcb->frto)
			pcb->ca_state = TCP_CA_OPEN;
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
	if (tcp_rack_on(pcb))
		return; /* RACK decides (tcp_ack_done); dupacks feed limited transmit */
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
		/* Lost retransmission (RACK's idea, by sequence): the peer SACKs
		 * three segments sent after we resent the hole at SND.UNA, yet
		 * that hole stays.  Resend it instead of waiting for the RTO. */
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
	uint32_t dupthresh = TCP_DUPTHRESH;
	if (segs < 4 && (int32_t)unsent <= 0)
		dupthresh = segs > 1 ? segs - 1 : 1;
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
	enter_recovery(pcb, pcb->snd_una);
	if (pcb->tf & TF_SACK_OK)
		recovery_send(pcb, true);
	else
		retransmit_hole(pcb, pcb->snd_una);
	tcp_rexmt_arm(pcb); /* in recovery: the full RTO */
}

/* Arms RACK's reordering timer (RFC 8985 §6.3) in the REXMT slot. */
static void reo_timer_arm(struct tcp_pcb *pcb, uint32_t timeout_us)
{
	pcb->tf &= ~TF_TLP_ARMED;
	pcb->tf |= TF_REO_ARMED;
	tcp_timer_arm(pcb, TCP_T_REXMT, timeout_us ? timeout_us : 1);
}

/* RACK found losses (or the timer did): start or continue the recovery. */
static void rack_recover(struct tcp_pcb *pcb, uint32_t prior_una, uint32_t delivered)
{
	/* No RFC 6582 "recover" test: RACK's marks are new losses by time
	 * (RFC 8985 §6.2); after a timeout the LOSS state resends them. */
	if (pcb->ca_state < TCP_CA_RECOVERY && any_lost(pcb))
		enter_recovery(pcb, prior_una);
	if (pcb->ca_state == TCP_CA_RECOVERY) {
		tcp_cc_on_prr_ack(pcb, delivered, tcp_pipe(pcb));
		recovery_send(pcb, false);
	} else if (pcb->ca_state == TCP_CA_LOSS && any_lost(pcb) &&
		   !seq_lt(pcb->snd_nxt, pcb->snd_max)) {
		recovery_send(pcb, false);
	}
}

void tcp_ack_done(struct tcp_pcb *pcb, uint32_t prior_una, uint32_t delivered,
		  const struct tcp_opts *opt, bool dup)
{
	const char *ev = dup ? "dupack" : "ack";
	bool advanced = seq_gt(pcb->snd_una, prior_una);
	/* Undo by timestamps (RFC 3522): the ACK of the original came back. */
	if ((pcb->tf & TF_UNDO_OK) && advanced && eifel_spurious(pcb, opt)) {
		undo(pcb, CTR_TCP_UNDO_TS);
		ev = "undo";
	}
	/* Undo by D-SACK: every retransmission of the episode was a duplicate
	 * (Linux tcp_try_undo_dsack), even after the recovery ended. */
	if ((pcb->tf & TF_UNDO_OK) && !pcb->undo_retrans && pcb->retrans_stamp &&
	    pcb->ca_state != TCP_CA_LOSS && opt && opt->nsack &&
	    tcp_dsack_seen(pcb, opt, prior_una)) {
		undo(pcb, CTR_TCP_UNDO_DSACK);
		ev = "undo";
	}
	/* F-RTO (RFC 5682 §2). */
	if (pcb->frto == 1) {
		if (!advanced || seq_geq(pcb->snd_una, pcb->frto_highmark)) {
			pcb->frto = 0; /* 2a: conventional recovery (go-back-N) */
		} else if (pcb->snd_buf_seq + pcb->snd_ring.len != pcb->snd_max && pcb->snd_wnd) {
			/* 2b: new data instead of more retransmissions. */
			pcb->snd_nxt = pcb->snd_max;
			pcb->frto = 2;
			for (int i = 0; i < 2; i++)
				tcp_send_probe(pcb);
		} else {
			pcb->frto = 0;
		}
	} else if (pcb->frto == 2) {
		pcb->frto = 0;
		if (advanced && !dup) {
			/* 3b: data never retransmitted was acknowledged: spurious. */
			ts_count(pcb->st, CTR_TCP_SPURIOUS_RTO);
			pcb->tf |= TF_UNDO_OK;
			undo(pcb, CTR_TCP_UNDO_TS);
			pcb->st->counters[CTR_TCP_UNDO_TS]--; /* counted as F-RTO, not Eifel */
			ev = "undo";
		} else {
			/* 3a: the timeout was real: resend from SND.UNA (go-back-N). */
			pcb->snd_nxt = pcb->snd_una;
		}
	}

	if (tcp_rack_on(pcb) && pcb->seg_n) {
		uint32_t lost = 0;
		uint32_t timeout = rack_detect_loss(pcb, &lost);
		if (lost)
			ev = "rack_lost";
		rack_recover(pcb, prior_una, delivered);
		if (timeout)
			reo_timer_arm(pcb, timeout);
		else if (pcb->tf & TF_REO_ARMED)
			tcp_rexmt_restart(pcb);
	} else if (!dup && (pcb->tf & TF_REO_ARMED)) {
		tcp_rexmt_restart(pcb);
	}
	if (pcb->ca_state == TCP_CA_OPEN && pcb->nsacked)
		pcb->ca_state = TCP_CA_DISORDER;
	else if (pcb->ca_state == TCP_CA_DISORDER && !pcb->nsacked)
		pcb->ca_state = TCP_CA_OPEN;
	if (dup && delivered && strcmp(ev, "dupack") == 0)
		ev = "sack";
	tcp_trace_event(pcb, ev);
}

uint32_t tcp_recs_update(struct tcp_pcb *pcb, const struct tcp_opts *opt, uint32_t fack)
{
	if (!tcp_rack_on(pcb))
		return 0;
	return recs_on_ack(pcb, opt, fack);
}

bool tcp_dsack_seen(const struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t prior_una)
{
	(void)pcb;
	const struct tcp_sack_block *b = &o->sack[0];
	return o->nsack && seq_lt(b->left, b->right) &&
	       (seq_leq(b->right, prior_una) ||
		(o->nsack > 1 && seq_geq(b->left, o->sack[1].left) &&
		 seq_leq(b->right, o->sack[1].right)));
}

uint32_t tcp_sack_fack(const struct tcp_pcb *pcb)
{
	return sack_high(pcb);
}

void tcp_rack_reo_timeout(struct tcp_pcb *pcb)
{
	ts_count(pcb->st, CTR_TCP_REO_TIMEOUTS);
	uint32_t lost = 0, timeout = 0;
	if (tcp_rack_on(pcb) && pcb->seg_n)
		timeout = rack_detect_loss(pcb, &lost);
	if (lost) {
		uint32_t una = pcb->snd_una;
		rack_recover(pcb, una, 0);
		tcp_trace_event(pcb, "rack_lost");
	}
	tcp_output(pcb);
	if (timeout)
		reo_timer_arm(pcb, timeout);
	else
		tcp_rexmt_arm(pcb);
}

void tcp_recovery_on_rto(struct tcp_pcb *pcb)
{
	bool first = pcb->rexmt_count == 1;
	/* F-RTO (RFC 5682 §2 step 1): only for the first timeout of an episode
	 * that began in the open state, when there is new data it could send. */
	if (first && pcb->ca_state <= TCP_CA_DISORDER)
		undo_start(pcb);
	if (first && pcb->ca_state <= TCP_CA_DISORDER && !(pcb->tf & TF_IN_RECOVERY)) {
		pcb->frto = 1;
		pcb->frto_highmark = pcb->snd_max;
	} else {
		pcb->frto = 0;
	}
	pcb->tf &= ~TF_IN_RECOVERY;
	pcb->ca_state = TCP_CA_LOSS;
	/* RFC 8985 §6.3 (RACK_mark_losses_on_RTO) and RFC 2018 §8: everything
	 * outstanding is lost; the receiver's SACKs are forgotten (it may renege). */
	for (uint32_t i = 0; i < pcb->seg_n; i++) {
		struct tcp_seg_rec *r = rec_at(pcb, i);
		r->flags = (uint8_t)((r->flags & ~TCP_SEG_SACKED) | TCP_SEG_LOST);
	}
	tcp_trace_event(pcb, "rto");
}

/* ---- --trace tcp ---- */

void tcp_trace_tx(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool retrans)
{
	struct stack *st = pcb->st;
	if (!ts_tracing(st, TS_TRACE_TCP))
		return;
	char l[IP_ADDR_STRLEN + 8], r[IP_ADDR_STRLEN + 8];
	ip_endpoint_str(&pcb->local_ip, pcb->local_port, l, sizeof(l));
	ip_endpoint_str(&pcb->remote_ip, pcb->remote_port, r, sizeof(r));
	ts_trace(st, TS_TRACE_TCP, "tcp %s<%s tx t=%llu.%06llu seq=%u len=%u retrans=%d cwnd=%u\n",
		 l, r, (unsigned long long)(st->now_us / 1000000u),
		 (unsigned long long)(st->now_us % 1000000u), seq, len, retrans, pcb->cwnd);
}

const char *tcp_ca_state_name(uint8_t s)
{
	static const char *const names[] = {"open", "disorder", "recovery", "loss"};
	return s < 4 ? names[s] : "?";
}

void tcp_trace_event(struct tcp_pcb *pcb, const char *event)
{
	struct stack *st = pcb->st;
	if (!ts_tracing(st, TS_TRACE_TCP))
		return;
	char l[IP_ADDR_STRLEN + 8], r[IP_ADDR_STRLEN + 8], ss[16];
	ip_endpoint_str(&pcb->local_ip, pcb->local_port, l, sizeof(l));
	ip_endpoint_str(&pcb->remote_ip, pcb->remote_port, r, sizeof(r));
	if (pcb->ssthresh == UINT32_MAX)
		snprintf(ss, sizeof(ss), "inf");
	else
		snprintf(ss, sizeof(ss), "%u", pcb->ssthresh);
	ts_trace(st, TS_TRACE_TCP,
		 "tcp %s<%s ack t=%llu.%06llu event=%s una=%u nxt=%u max=%u cwnd=%u ssthresh=%s "
		 "srtt=%u rttvar=%u rto=%llu pipe=%u inflight=%u sacked=%u state=%s cc=%s\n",
		 l, r, (unsigned long long)(st->now_us / 1000000u),
		 (unsigned long long)(st->now_us % 1000000u), event, pcb->snd_una, pcb->snd_nxt,
		 pcb->snd_max, pcb->cwnd, ss, pcb->rtt.srtt_us, pcb->rtt.rttvar_us,
		 (unsigned long long)tcp_rto_us(pcb), tcp_pipe(pcb), pcb->snd_max - pcb->snd_una,
		 tcp_sacked_bytes(pcb), tcp_ca_state_name(pcb->ca_state), pcb->cc->name);
}
