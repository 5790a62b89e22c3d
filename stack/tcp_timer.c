/*
 * tcp_timer.c - the five timer slots of a connection, each a struct
 * ts_timer in the stack's one heap (no per-tick scan of connections):
 *
 *   REXMT    retransmission of SYN, SYN-ACK and data (RFC 6298 §5)
 *   PERSIST  zero-window probes (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17)
 *   KEEP     keep-alive probes (RFC 1122 §4.2.3.6)
 *   2MSL     TIME-WAIT (RFC 9293 §3.6.1), and orphaned FIN-WAIT-2
 *   DELACK   delayed ACK (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3)
 *
 * The RTO estimator itself (RFC 6298 §2) is tcp_rtt.c, a file of its own
 * so that an exercise can replace it.
 * Read first: RFC 6298, RFC 5681 §3.1 (cwnd after a timeout), RFC 2018 §8.
 */
#include <errno.h>
#include <stddef.h>

#include "socket.h"
#include "stack.h"
#include "tcp_cc.h"
#include "tcp_var.h"
#include "tcp_seq.h"

uint64_t tcp_rto_us(const struct tcp_pcb *pcb)
{
	/* (5.5) back off: RTO <- RTO * 2, capped by the maximum. */
	uint64_t rto = (uint64_t)pcb->rtt.rto_us << pcb->backoff;
	uint64_t max = (uint64_t)pcb->st->cfg.tcp_max_rto_ms * 1000u;
	return rto > max ? max : rto;
}

void tcp_timer_arm(struct tcp_pcb *pcb, enum tcp_timer_id id, uint64_t delay_us)
{
	/* The heap only fails to grow on ENOMEM; the connection then relies on
	 * the peer's retransmissions, which is all we can do without memory. */
	(void)ts_timer_arm(pcb->st, &pcb->timers[id], pcb->st->now_us + delay_us);
}

void tcp_timer_disarm(struct tcp_pcb *pcb, enum tcp_timer_id id)
{
	ts_timer_disarm(pcb->st, &pcb->timers[id]);
}

bool tcp_timer_armed(const struct tcp_pcb *pcb, enum tcp_timer_id id)
{
	return ts_timer_armed(&pcb->timers[id]);
}

void tcp_timer_disarm_all(struct tcp_pcb *pcb)
{
	for (int i = 0; i < TCP_T_MAX; i++)
		ts_timer_disarm(pcb->st, &pcb->timers[i]);
}

/* RFC 8985 §7.2: WCDelAckT, the longest a receiver may delay an ACK. */
#define TCP_TLP_DELACK_US 200000u
/* RFC 8985 §7.2: the PTO is never below 10 ms. */
#define TCP_TLP_MIN_US 10000u

/*
 * A probe timeout needs: a connection that sends data, no RTO backoff, an
 * RTT measured, SACK on (the probe is useful because the SACK it draws
 * reveals the loss), nothing being resent by go-back-N, and no other probe
 * out since data was last acknowledged (RFC 8985 §7.2).
 *
 * Deviation from RFC 8985 §7.2 (open state only): also during recovery,
 * where it stands in for RACK's reordering timer: a recovery that has
 * stalled for two RTTs (the retransmission was lost, or the receiver
 * compresses its SACKs) resends its first hole instead of waiting for an
 * RTO of 200 ms or more.
 */
bool tcp_tlp_allowed(const struct tcp_pcb *pcb)
{
	return (pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_CLOSE_WAIT) &&
	       (pcb->tf & TF_SACK_OK) && !(pcb->tf & TF_TLP_SENT) && pcb->backoff == 0 &&
	       pcb->rtt.srtt_us && pcb->snd_nxt == pcb->snd_max;
}

void tcp_rexmt_arm(struct tcp_pcb *pcb)
{
	uint64_t rto = tcp_rto_us(pcb);
	pcb->tf &= ~TF_TLP_ARMED;
	if (tcp_tlp_allowed(pcb)) {
		/* PTO = 2*SRTT, plus the delayed-ACK allowance when one segment is out. */
		uint64_t pto = 2ull * pcb->rtt.srtt_us;
		if (pcb->snd_max - pcb->snd_una <= pcb->smss)
			pto += TCP_TLP_DELACK_US;
		if (pto < TCP_TLP_MIN_US)
			pto = TCP_TLP_MIN_US;
		if (pto < rto) {
			pcb->tf |= TF_TLP_ARMED;
			rto = pto;
		}
	}
	tcp_timer_arm(pcb, TCP_T_REXMT, rto);
}

void tcp_rexmt_restart(struct tcp_pcb *pcb)
{
	if (pcb->snd_una == pcb->snd_max) {
		/* (5.2) All outstanding data acknowledged: turn the timer off. */
		tcp_timer_disarm(pcb, TCP_T_REXMT);
		pcb->tf &= ~TF_TLP_ARMED;
	} else {
		/* (5.3) New data acknowledged: restart (with a probe timeout if allowed). */
		tcp_rexmt_arm(pcb);
	}
}

void tcp_keepalive_reset(struct tcp_pcb *pcb)
{
	if (pcb->sock && pcb->sock->opt.keepalive && pcb->state >= TCPS_ESTABLISHED &&
	    pcb->state <= TCPS_CLOSE_WAIT) {
		uint32_t idle = pcb->sock->opt.keepidle_s ? pcb->sock->opt.keepidle_s
							  : pcb->st->cfg.tcp_keepidle_s;
		tcp_timer_arm(pcb, TCP_T_KEEP, (uint64_t)idle * 1000000u);
	} else {
		tcp_timer_disarm(pcb, TCP_T_KEEP);
	}
}

void tcp_enter_time_wait(struct tcp_pcb *pcb, const struct tcp_view *why)
{
	tcp_set_state(pcb, TCPS_TIME_WAIT, why);
	tcp_timer_disarm(pcb, TCP_T_REXMT);
	tcp_timer_disarm(pcb, TCP_T_PERSIST);
	tcp_timer_disarm(pcb, TCP_T_KEEP);
	/* RFC 9293 §3.6.1: wait 2*MSL so stray duplicates die. */
	tcp_timer_arm(pcb, TCP_T_2MSL, 2ull * pcb->st->cfg.tcp_msl_ms * 1000u);
	tcp_wakeup(pcb);
	if (!pcb->sock)
		tcp_pcb_trim(pcb);
}

void tcp_pcb_trim(struct tcp_pcb *pcb)
{
	/* Nothing is read or sent in TIME-WAIT once the user let go: give the
	 * buffers back now, so thousands of TIME-WAIT connections cost little.
	 * With empty rings the window is 0, and a retransmitted FIN still
	 * gets its ACK (RFC 9293 §3.10.7.4, unacceptable segment). */
	tcp_ring_release(pcb->st, &pcb->snd_ring);
	tcp_ring_release(pcb->st, &pcb->rcv_ring);
	pcb->snd_ring.cap = pcb->rcv_ring.cap = 0;
}

/* The connection failed (retries exhausted, keep-alive unanswered). */
static void tcp_fail(struct tcp_pcb *pcb, int err)
{
	pcb->tf |= TF_RESET;
	if (pcb->sock)
		pcb->sock->so_error = err;
	tcp_pcb_close(pcb, NULL);
}

#define PCB_OF(t, slot) ((struct tcp_pcb *)((char *)(t)-offsetof(struct tcp_pcb, timers[slot])))

static void rexmt_fire(struct stack *st, struct ts_timer *t)
{
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_REXMT);
	if (pcb->tf & TF_TLP_ARMED) {
		/* RFC 8985 §7.3: the probe timeout, not yet a retransmission timeout. */
		pcb->tf &= ~TF_TLP_ARMED;
		pcb->tf |= TF_TLP_SENT;
		ts_count(st, CTR_TCP_TLP_PROBES);
		if (pcb->tf & TF_IN_RECOVERY)
			tcp_recovery_probe(pcb);
		else
			tcp_send_probe(pcb);
		tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	ts_count(st, CTR_TCP_RTO_EXPIRED);
	pcb->rexmt_count++;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED) {
		if (pcb->rexmt_count > st->cfg.tcp_syn_retries) {
			tcp_fail(pcb, ETIMEDOUT);
			return;
		}
		if (pcb->backoff < 16)
			pcb->backoff++;
		ts_count(st, CTR_TCP_RETRANS);
		tcp_send_syn(pcb);
		tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	if (pcb->snd_wnd == 0) {
		/*
		 * The peer shut its window on data we had in flight (and dropped
		 * it): nothing may be resent, so probe the window instead, as the
		 * persist timer does.  A peer that keeps answering with a zero
		 * window is alive; RFC 9293 §3.8.6.1: never close it for that.
		 */
		pcb->rexmt_count = 0;
		pcb->snd_nxt = pcb->snd_una;
		if (pcb->backoff < 7)
			pcb->backoff++;
		ts_count(st, CTR_TCP_ZERO_WINDOW_PROBES);
		tcp_send_segment(pcb, pcb->snd_una - 1, TCP_ACK, 0);
		tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	if (pcb->rexmt_count > st->cfg.tcp_max_retries) {
		tcp_fail(pcb, ETIMEDOUT);
		return;
	}
	if (pcb->backoff < 16)
		pcb->backoff++; /* RFC 6298 (5.5) */
	/* RFC 5681 §3.1 (4): ssthresh once per episode, cwnd = 1 SMSS. */
	tcp_cc_on_rto(pcb, pcb->rexmt_count == 1);
	pcb->dupacks = 0;
	/* RFC 6582 §3.2 (step 4 note): no fast retransmit for data sent before the timeout. */
	pcb->recover = pcb->snd_max;
	pcb->tf &= ~(TF_IN_RECOVERY | TF_TIMING); /* Karn: never time a retransmission */
	/* RFC 2018 §8: after a timeout, forget what the receiver said it holds. */
	pcb->nsacked = 0;
	pcb->rexmit_hi = pcb->snd_una;
	/* Go back to SND.UNA: tcp_output resends from the ring (RFC 6298 (5.4)). */
	pcb->snd_nxt = pcb->snd_una;
	tcp_output(pcb);
	tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb)); /* (5.6) */
}

static void persist_fire(struct stack *st, struct ts_timer *t)
{
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_PERSIST);
	/*
	 * Deviation from RFC 9293 §3.8.6.1 (which probes with one new byte):
	 * like Linux, probe with an empty segment at SND.UNA - 1, which the
	 * receiver must answer with an ACK carrying its current window
	 * (§3.10.7.4 first check), without our sending data beyond the window.
	 */
	ts_count(st, CTR_TCP_ZERO_WINDOW_PROBES);
	tcp_send_segment(pcb, pcb->snd_una - 1, TCP_ACK, 0);
	if (pcb->persist_shift < 7)
		pcb->persist_shift++;
	uint64_t d = (uint64_t)pcb->rtt.rto_us << pcb->persist_shift;
	uint64_t max = (uint64_t)st->cfg.tcp_max_rto_ms * 1000u;
	tcp_timer_arm(pcb, TCP_T_PERSIST, d > max ? max : d);
}

static void keep_fire(struct stack *st, struct ts_timer *t)
{
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_KEEP);
	if (!pcb->sock || !pcb->sock->opt.keepalive)
		return;
	const struct ts_sockopts *o = &pcb->sock->opt;
	uint64_t idle_us =
	    (uint64_t)(o->keepidle_s ? o->keepidle_s : st->cfg.tcp_keepidle_s) * 1000000u;
	uint64_t intvl_us =
	    (uint64_t)(o->keepintvl_s ? o->keepintvl_s : st->cfg.tcp_keepintvl_s) * 1000000u;
	uint32_t cnt = o->keepcnt ? o->keepcnt : st->cfg.tcp_keepcnt;
	uint64_t idle = st->now_us - pcb->last_rx_us;
	if (pcb->keep_probes == 0 && idle < idle_us) {
		tcp_timer_arm(pcb, TCP_T_KEEP, idle_us - idle);
		return;
	}
	if (pcb->keep_probes >= cnt) {
		/* Like Linux, tell the peer (if it is still there) with a RST. */
		tcp_send_rst_pcb(pcb);
		tcp_fail(pcb, ETIMEDOUT);
		return;
	}
	/* RFC 1122 §4.2.3.6: a segment with SEG.SEQ = SND.NXT - 1 and no data. */
	ts_count(st, CTR_TCP_KEEPALIVES);
	pcb->keep_probes++;
	tcp_send_segment(pcb, pcb->snd_nxt - 1, TCP_ACK, 0);
	tcp_timer_arm(pcb, TCP_T_KEEP, intvl_us);
}

static void twomsl_fire(struct stack *st, struct ts_timer *t)
{
	(void)st;
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_2MSL);
	/* TIME-WAIT over, or an orphaned FIN-WAIT-2 gave up waiting (Linux tcp_fin_timeout). */
	tcp_pcb_close(pcb, NULL);
}

static void delack_fire(struct stack *st, struct ts_timer *t)
{
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_DELACK);
	if (pcb->tf & TF_DELACK) {
		ts_count(st, CTR_TCP_DELAYED_ACKS);
		pcb->tf |= TF_ACKNOW;
		tcp_output(pcb);
	}
}

void tcp_timer_init(struct tcp_pcb *pcb)
{
	ts_timer_init(&pcb->timers[TCP_T_REXMT], rexmt_fire);
	ts_timer_init(&pcb->timers[TCP_T_PERSIST], persist_fire);
	ts_timer_init(&pcb->timers[TCP_T_KEEP], keep_fire);
	ts_timer_init(&pcb->timers[TCP_T_2MSL], twomsl_fire);
	ts_timer_init(&pcb->timers[TCP_T_DELACK], delack_fire);
}
