/*
 * tcp_timer.c - the five timer slots of a connection, each a struct
 * ts_timer in the stack's one heap (no per-tick scan of connections):
 *
 *   REXMT    retransmission of SYN, SYN-ACK and data (RFC 6298 §5); the
 *            slot also holds RACK's reordering timer (RFC 8985 §6.3,
 *            TF_REO_ARMED) and the tail loss probe timeout (§7, TF_TLP_ARMED),
 *            one at a time as Linux's icsk_pending
 *   PERSIST  zero-window probes (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17)
 *   KEEP     keep-alive probes (RFC 1122 §4.2.3.6)
 *   2MSL     TIME-WAIT (RFC 9293 §3.6.1), and orphaned FIN-WAIT-2
 *   DELACK   delayed ACK (RFC 1122 §4.2.3.2, RFC 9293 §3.8.6.3), after the
 *            ACK timeout ato (Linux: 40 to 200 ms, tcp_in.c)
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
 * A probe timeout needs (RFC 8985 §7.2): a connection that sends data, no
 * loss recovery going on (open or disorder state: a recovery has RACK's
 * reordering timer for lost retransmissions), no RTO backoff, an RTT
 * measured, SACK on (the probe is useful because the SACK it draws reveals
 * the loss), nothing being resent by go-back-N, and no other probe out
 * since data was last acknowledged.
 */
bool tcp_tlp_allowed(const struct tcp_pcb *pcb)
{
	return (pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_CLOSE_WAIT) &&
	       (pcb->tf & TF_SACK_OK) && !(pcb->tf & (TF_TLP_SENT | TF_IN_RECOVERY)) &&
	       pcb->ca_state <= TCP_CA_DISORDER && pcb->backoff == 0 && pcb->rtt.srtt_us &&
	       pcb->snd_nxt == pcb->snd_max;
}

void tcp_rto_after_handshake(struct tcp_pcb *pcb)
{
	/* RFC 6298 (5.7): the SYN (or SYN,ACK) was retransmitted and no RTT
	 * sample came of it: data transmission starts with an RTO of 3 s. */
	if ((pcb->tf & TF_SYN_REXMIT) && !pcb->rtt.srtt_us && pcb->rtt.rto_us < 3000000u)
		pcb->rtt.rto_us = 3000000u;
}

void tcp_rexmt_arm(struct tcp_pcb *pcb)
{
	uint64_t rto = tcp_rto_us(pcb);
	pcb->tf &= ~(TF_TLP_ARMED | TF_REO_ARMED);
	if (tcp_tlp_allowed(pcb)) {
		/* PTO = 2*SRTT, plus the delayed-ACK allowance when one segment is out. */
		uint64_t pto = 2ull * pcb->rtt.srtt_us;
		if (pcb->snd_max - pcb->snd_una <= pcb->smss)
			pto += TCP_TLP_DELACK_US;
		if (pto < TCP_TLP_MIN_US)
			pto = TCP_TLP_MIN_US;
		/* RFC 8985 §7.2: never later than the RTO would fire; the probe
		 * then goes in its place (Linux tcp_schedule_loss_probe). */
		pcb->tf |= TF_TLP_ARMED;
		if (pto < rto)
			rto = pto;
	}
	tcp_timer_arm(pcb, TCP_T_REXMT, rto);
}

void tcp_rexmt_restart(struct tcp_pcb *pcb)
{
	if (pcb->snd_una == pcb->snd_max) {
		/* (5.2) All outstanding data acknowledged: turn the timer off. */
		tcp_timer_disarm(pcb, TCP_T_REXMT);
		pcb->tf &= ~(TF_TLP_ARMED | TF_REO_ARMED);
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
	/* Like Linux, TIME-WAIT is no orphan: it holds no buffer and the 2MSL
	 * timer ends it. */
	tcp_orphan_leave(pcb);
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
	ts_count(pcb->st, CTR_TCP_ABORT_ON_TIMEOUT);
	pcb->tf |= TF_RESET;
	if (pcb->sock)
		pcb->sock->so_error = err;
	tcp_pcb_close(pcb, NULL);
}

#define PCB_OF(t, slot) ((struct tcp_pcb *)((char *)(t)-offsetof(struct tcp_pcb, timers[slot])))

/* Linux's tcp_orphan_retries(): its default 0 means 8. */
static uint32_t orphan_retries(const struct stack *st)
{
	return st->cfg.tcp_orphan_retries ? st->cfg.tcp_orphan_retries : 8;
}

/* Retransmissions or window probes a connection gets before it gives up. */
static uint32_t retries_for(const struct tcp_pcb *pcb)
{
	return tcp_is_orphan(pcb) ? orphan_retries(pcb->st) : pcb->st->cfg.tcp_max_retries;
}

/*
 * How long `boundary` retransmissions take when the RTO doubles from
 * base up to max (Linux tcp_model_timeout): the give-up point is a time,
 * not a count, so it does not stretch with a large RTO.  With 200 ms and
 * 120 s: 15 retries 924.6 s, 8 retries 102.2 s.
 */
uint64_t tcp_model_timeout_us(uint32_t boundary, uint64_t base_us, uint64_t max_us)
{
	uint32_t thresh = 0; /* the doublings before the RTO reaches max */
	while (thresh < 62 && (base_us << (thresh + 1)) <= max_us)
		thresh++;
	if (boundary <= thresh)
		return ((2ull << boundary) - 1) * base_us;
	return ((2ull << thresh) - 1) * base_us + (uint64_t)(boundary - thresh) * max_us;
}

/*
 * A window probe is due (the peer's window is shut and data waits).  RFC
 * 9293 §3.8.6.1 / RFC 1122 §4.2.2.17: keep probing as long as the peer
 * answers, so probes_out, reset by every acceptable segment, bounds only
 * silence: cfg.tcp_max_retries unanswered probes and the connection is
 * gone (ETIMEDOUT).  An orphan is bounded even if the peer answers every
 * probe with a zero window: after tcp_orphan_retries probes since the
 * window last opened, it is gone too (Linux tcp_probe_timer: nobody will
 * ever read the result, and the memory it holds is the attack).  Returns
 * false when the connection was given up.
 */
static bool window_probe(struct tcp_pcb *pcb)
{
	uint32_t max = retries_for(pcb);
	if (pcb->probes_out >= max || (tcp_is_orphan(pcb) && pcb->wnd_probes >= max)) {
		ts_count(pcb->st, CTR_TCP_PERSIST_TIMEOUTS);
		tcp_fail(pcb, ETIMEDOUT);
		return false;
	}
	/*
	 * Deviation from RFC 9293 §3.8.6.1 (which probes with one new byte):
	 * like Linux, probe with an empty segment at SND.UNA - 1, which the
	 * receiver must answer with an ACK carrying its current window
	 * (§3.10.7.4 first check), without our sending data beyond the window.
	 */
	ts_count(pcb->st, CTR_TCP_ZERO_WINDOW_PROBES);
	tcp_send_segment(pcb, pcb->snd_una - 1, TCP_ACK, 0);
	if (pcb->probes_out < UINT32_MAX)
		pcb->probes_out++;
	if (pcb->wnd_probes < UINT32_MAX)
		pcb->wnd_probes++;
	return true;
}

static void rexmt_fire(struct stack *st, struct ts_timer *t)
{
	struct tcp_pcb *pcb = PCB_OF(t, TCP_T_REXMT);
	if (pcb->tf & TF_REO_ARMED) {
		/* RFC 8985 §6.3: the reordering window of a segment ran out. */
		pcb->tf &= ~TF_REO_ARMED;
		tcp_rack_reo_timeout(pcb);
		return;
	}
	if (pcb->tf & TF_TLP_ARMED) {
		/* RFC 8985 §7.3: the probe timeout, not yet a retransmission timeout. */
		pcb->tf &= ~TF_TLP_ARMED;
		pcb->tf |= TF_TLP_SENT;
		ts_count(st, CTR_TCP_TLP_PROBES);
		tcp_send_probe(pcb);
		tcp_trace_event(pcb, "tlp");
		tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	ts_count(st, CTR_TCP_RTO_EXPIRED);
	if (pcb->rexmt_count < UINT8_MAX) /* saturates: 1 marks the episode's start */
		pcb->rexmt_count++;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED) {
		/* A listener's child resends its SYN,ACK tcp_synack_retries times
		 * (Linux: 5, about 63 s), an active open its SYN tcp_syn_retries. */
		uint32_t max =
		    (pcb->tf & TF_PASSIVE) ? st->cfg.tcp_synack_retries : st->cfg.tcp_syn_retries;
		if (pcb->rexmt_count > max) {
			tcp_fail(pcb, ETIMEDOUT);
			return;
		}
		if (pcb->backoff < 16)
			pcb->backoff++;
		pcb->tf |= TF_SYN_REXMIT;
		ts_count(st, CTR_TCP_RETRANS);
		tcp_send_syn(pcb);
		tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	if (pcb->snd_wnd == 0) {
		/*
		 * The peer shut its window on data we had in flight (and dropped
		 * it): nothing may be resent, so probe the window instead, with
		 * the persist timer's limits (window_probe).
		 */
		pcb->rexmt_count = 0;
		pcb->snd_nxt = pcb->snd_una;
		if (pcb->backoff < 7)
			pcb->backoff++;
		if (window_probe(pcb))
			tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
		return;
	}
	/*
	 * Linux tcp_write_timeout: give up once the retransmissions have taken
	 * as long as tcp_max_retries of them would from the minimum RTO (an
	 * orphan: tcp_orphan_retries).  The clock starts when the data now
	 * retransmitted was sent, one (unbacked-off) RTO before this expiry.
	 */
	if (pcb->rexmt_count == 1) {
		uint64_t rto = pcb->rtt.rto_us;
		pcb->rexmt_start_us = st->now_us > rto ? st->now_us - rto : 0;
	}
	if (st->now_us - pcb->rexmt_start_us >=
	    tcp_model_timeout_us(retries_for(pcb), st->cfg.tcp_min_rto_ms * 1000ull,
				 st->cfg.tcp_max_rto_ms * 1000ull)) {
		tcp_fail(pcb, ETIMEDOUT);
		return;
	}
	if (pcb->backoff < 16)
		pcb->backoff++; /* RFC 6298 (5.5) */
	/* RFC 5681 §3.1 (4): ssthresh once per episode, cwnd = 1 SMSS. */
	tcp_cc_on_rto(pcb, pcb->rexmt_count == 1);
	tcp_recovery_on_rto(pcb); /* RACK: all is lost; F-RTO starts (RFC 5682) */
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
	if (!window_probe(pcb))
		return;
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
		/* Linux tcp_delack_timer_handler: the ACK was not piggybacked on
		 * an answer after all: not interactive, ACK quickly again. */
		if (pcb->tf & TF_PINGPONG) {
			pcb->tf &= ~TF_PINGPONG;
			pcb->ato_us = st->cfg.tcp_delack_ms * 1000u;
		} else if (pcb->ato_us) {
			/* Linux: the ATO backs off (doubles, up to the RTO) */
			uint32_t ato = pcb->ato_us << 1;
			uint64_t rto = tcp_rto_us(pcb);
			pcb->ato_us = ato > rto ? (uint32_t)rto : ato;
		}
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
