/*
 * tcp_cc.h - congestion control as modules (FreeBSD sys/netinet/cc/cc.h,
 * struct cc_algo; Linux struct tcp_congestion_ops).  cwnd and ssthresh are
 * written only by tcp_cc.c and the tcp_cc_<name>.c modules: the rest of TCP
 * reports events (an ACK of new data, an RTT sample, a loss, a timeout,
 * the end of a recovery, an undo, a restart after idle) through the
 * tcp_cc_on_* calls below and reads the two variables.
 *
 * tcp_cc.c holds what every algorithm shares: the initial window
 * (RFC 6928), the window during a NewReno recovery without SACK
 * (RFC 6582 §3.2), Proportional Rate Reduction during a SACK recovery
 * (RFC 6937, tcp_prr_sndcnt), cwnd = 1 SMSS after a timeout (RFC 5681
 * §3.1), the restart window after idle (RFC 5681 §4.1), the undo of a
 * spurious reduction, and a cap so that cwnd does not run away from what
 * the send buffer could ever fill.  A module decides how the window grows
 * (ack_received), what ssthresh becomes on a congestion signal
 * (cong_signal), the window a recovery ends with (post_recovery), and what
 * an undo restores (undo_cwnd).
 *
 * Adding an algorithm: a new tcp_cc_<name>.c defining a const struct
 * tcp_cc_algo, and one line in tcp_cc.c's table.  Its per-connection
 * state lives in pcb->cc_priv (TCP_CC_PRIV_SIZE bytes, Linux
 * icsk_ca_priv), checked with a static assertion in the module.
 */
#ifndef TS_TCP_CC_H
#define TS_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_pcb;

/* Congestion signals (FreeBSD CC_NDUPACK, CC_RTO). */
enum tcp_cc_signal {
	TCP_CC_FAST_RETRANSMIT, /* loss detected by duplicate ACKs, SACK or RACK */
	TCP_CC_RTO,		/* the retransmission timer expired (first expiry) */
};

/* Bytes of per-connection module state (pcb->cc_priv). */
#define TCP_CC_PRIV_SIZE 128

struct tcp_cc_algo {
	const char *name; /* as TCP_CONGESTION spells it ("reno", "cubic") */
	/* Optional: per-connection set-up after the handshake (cwnd is the IW). */
	void (*conn_init)(struct tcp_pcb *pcb);
	/* acked new bytes were acknowledged outside recovery: grow cwnd. */
	void (*ack_received)(struct tcp_pcb *pcb, uint32_t acked);
	/* A congestion signal: set ssthresh (cwnd is set by tcp_cc.c). */
	void (*cong_signal)(struct tcp_pcb *pcb, enum tcp_cc_signal sig);
	/* The recovery ended with an ACK of ack (>= recover): set cwnd. */
	void (*post_recovery)(struct tcp_pcb *pcb, uint32_t ack);
	/* Optional: one RTT sample (µs) from an ACK of new data (HyStart++). */
	void (*rtt_sample)(struct tcp_pcb *pcb, uint32_t rtt_us);
	/* Optional: sending resumes after an idle period (RFC 5681 §4.1);
	 * tcp_cc.c has already set the restart window. */
	void (*after_idle)(struct tcp_pcb *pcb);
	/* Optional: the reduction was spurious; the cwnd to restore (Linux
	 * undo_cwnd); without it, the cwnd before the reduction. */
	uint32_t (*undo_cwnd)(struct tcp_pcb *pcb);
};

extern const struct tcp_cc_algo tcp_cc_newreno;
extern const struct tcp_cc_algo tcp_cc_cubic;

/* The algorithm named name ("reno", "cubic"), or NULL. */
const struct tcp_cc_algo *tcp_cc_find(const char *name);
/* The names of every algorithm, space separated (Linux
 * tcp_available_congestion_control). */
const char *tcp_cc_available(void);
/* Switches pcb to algo; an established connection starts it afresh from
 * its current window (Linux tcp_reinit_congestion_control). */
void tcp_cc_set(struct tcp_pcb *pcb, const struct tcp_cc_algo *algo);

/* After the handshake, once SMSS is known: IW and ssthresh (RFC 5681 §3.1). */
void tcp_cc_on_established(struct tcp_pcb *pcb);
/* acked bytes of new data acknowledged outside recovery. */
void tcp_cc_on_ack(struct tcp_pcb *pcb, uint32_t acked);
/* An RTT sample taken from an ACK of new data. */
void tcp_cc_on_rtt(struct tcp_pcb *pcb, uint32_t rtt_us);
/* Fast retransmit / loss detected: ssthresh from the module, cwnd for the
 * recovery (NewReno without SACK; with SACK PRR sets it per ACK). */
void tcp_cc_on_fast_retransmit(struct tcp_pcb *pcb);
/* A duplicate ACK during a recovery without SACK (RFC 6582 §3.2 (4)). */
void tcp_cc_on_recovery_dupack(struct tcp_pcb *pcb);
/* A partial ACK of acked bytes during a recovery without SACK (RFC 6582 §3.2 (3)). */
void tcp_cc_on_partial_ack(struct tcp_pcb *pcb, uint32_t acked);
/*
 * An ACK during a SACK recovery (RFC 6937 §3): delivered bytes newly
 * acknowledged or SACKed, pipe after the ACK was processed.  Sets cwnd to
 * pipe + sndcnt, so tcp_output sends exactly PRR's sndcnt.
 */
void tcp_cc_on_prr_ack(struct tcp_pcb *pcb, uint32_t delivered, uint32_t pipe);
/* The ACK of ack ends the recovery. */
void tcp_cc_on_recovery_end(struct tcp_pcb *pcb, uint32_t ack);
/* The retransmission timer expired; first: the first expiry for this data. */
void tcp_cc_on_rto(struct tcp_pcb *pcb, bool first);
/* The last reduction was spurious (RFC 3522, RFC 5682, DSACK): restore. */
void tcp_cc_on_undo(struct tcp_pcb *pcb);
/* New data is about to go out after idle_us without anything in flight:
 * RFC 5681 §4.1 restart window when idle_us exceeds the RTO. */
void tcp_cc_on_send_after_idle(struct tcp_pcb *pcb, uint64_t idle_us);

/*
 * RFC 6937 §3 PRR, pure: the bytes that may be sent on this ACK.
 *   prr_delivered, prr_out: totals since the recovery began (delivered
 *   already includes this ACK's delivered bytes); delivered: this ACK's;
 *   pipe: after this ACK; recover_fs: FlightSize when the recovery began.
 * pipe > ssthresh: proportional, CEIL(prr_delivered * ssthresh /
 * RecoverFS) - prr_out; otherwise the slow-start reduction bound (SSRB)
 * of RFC 6937bis / Linux tcp_cwnd_reduction: up to ssthresh - pipe, at
 * most max(prr_delivered - prr_out, delivered) + MSS.
 */
uint32_t tcp_prr_sndcnt(uint64_t prr_delivered, uint64_t prr_out, uint32_t delivered, uint32_t pipe,
			uint32_t ssthresh, uint32_t recover_fs, uint32_t mss);

/* ---- CUBIC's window functions (RFC 9438 §4), pure, windows in segments ---- */

#define TCP_CUBIC_C    0.4 /* RFC 9438 §5: C */
#define TCP_CUBIC_BETA 0.7 /* RFC 9438 §4.6: beta_cubic */

/* RFC 9438 Eq. 2: K = cubic_root((W_max - cwnd_epoch) / C), 0 when W_max <= cwnd_epoch. */
double tcp_cubic_k(double w_max, double cwnd_epoch);
/* RFC 9438 Eq. 1: W_cubic(t) = C * (t - K)^3 + W_max, t in seconds. */
double tcp_cubic_w(double t, double k, double w_max);
/*
 * RFC 9438 §4.3 Eq. 4: W_est += alpha_cubic * segments_acked / cwnd, with
 * alpha_cubic = 3 (1 - beta) / (1 + beta) while W_est < cwnd_prior, 1 after.
 */
double tcp_cubic_west(double w_est, double cwnd_prior, double segments_acked, double cwnd);
/* RFC 9438 §4.7 fast convergence: the W_max to remember at a congestion
 * event with cwnd, given the previous W_max. */
double tcp_cubic_fast_convergence(double cwnd, double w_max_prev);
/*
 * RFC 9438 §4.2-4.4 one ACK in congestion avoidance: the target
 * W_cubic(t + RTT) clamped to [cwnd, 1.5 cwnd], the Reno-friendly W_est
 * when larger, and the cwnd after segments_acked segments were acked.
 * *w_est is advanced.  All windows in segments, t and rtt in seconds.
 */
double tcp_cubic_ca_step(double cwnd, double t, double rtt, double k, double w_max,
			 double cwnd_prior, double *w_est, double segments_acked);

/* ---- HyStart++ (RFC 9406), the rounds, pure ---- */

#define TCP_HYSTART_MIN_RTT_THRESH_US 4000u
#define TCP_HYSTART_MAX_RTT_THRESH_US 16000u
#define TCP_HYSTART_MIN_RTT_DIVISOR   8u
#define TCP_HYSTART_N_RTT_SAMPLE      8u
#define TCP_HYSTART_CSS_GROWTH_DIV    4u
#define TCP_HYSTART_CSS_ROUNDS	      5u
#define TCP_HYSTART_L		      8u /* segments per ACK, not paced */

enum tcp_hystart_phase {
	TCP_HS_SS,   /* standard slow start */
	TCP_HS_CSS,  /* conservative slow start */
	TCP_HS_DONE, /* left slow start: congestion avoidance */
};

struct tcp_hystart {
	uint8_t phase;	     /* enum tcp_hystart_phase */
	uint8_t css_rounds;  /* rounds spent in CSS */
	uint16_t samples;    /* rttSampleCount of this round */
	uint32_t window_end; /* the round ends when this is acked */
	uint32_t last_round_min_rtt, cur_round_min_rtt,
	    css_baseline_min_rtt; /* µs, UINT32_MAX: none */
};

void tcp_hystart_init(struct tcp_hystart *h, uint32_t snd_nxt);
/* An RTT sample in slow start (RFC 9406 §4.2): may enter CSS, or leave it
 * when the RTT fell below the baseline (§4.3, checked per sample as Linux). */
void tcp_hystart_rtt(struct tcp_hystart *h, uint32_t rtt_us);
/* An ACK of ack; snd_nxt starts the next round when this one ends.
 * Returns true when CSS_ROUNDS rounds of CSS are over (§4.3): ssthresh =
 * cwnd, congestion avoidance. */
bool tcp_hystart_ack(struct tcp_hystart *h, uint32_t ack, uint32_t snd_nxt);
/* The slow-start growth for acked bytes (§4.2/§4.3): min(acked, L*SMSS),
 * divided by CSS_GROWTH_DIVISOR in CSS. */
uint32_t tcp_hystart_growth(const struct tcp_hystart *h, uint32_t acked, uint32_t smss);

#endif
