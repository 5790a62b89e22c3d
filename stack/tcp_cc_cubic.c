/*
 * tcp_cc_cubic.c - CUBIC (RFC 9438) with HyStart++ (RFC 9406) for slow
 * start: the default congestion control, as on Linux.
 *
 * Congestion avoidance follows the cubic window function of the time
 * since the last congestion event (the "epoch"),
 *
 *   W_cubic(t) = C (t - K)^3 + W_max,  K = cubic_root((W_max - cwnd_epoch) / C)
 *
 * (RFC 9438 Eq. 1 and 2; with cwnd_epoch = beta W_max after a reduction,
 * K = cubic_root(W_max (1 - beta) / C)), concave up to W_max, then convex
 * beyond it.  Each ACK moves cwnd towards W_cubic(t + RTT), clamped to
 * [cwnd, 1.5 cwnd] (§4.2), unless Reno would be faster: W_est, the window
 * a Reno flow with the same beta would have (§4.3, Eq. 4), then wins.  A
 * loss sets ssthresh = beta cwnd (beta = 0.7, §4.6) and remembers W_max,
 * reduced further when the window is below the previous W_max (fast
 * convergence, §4.7: another flow took bandwidth, give some back).
 *
 * The window functions are pure (tcp_cubic_*, declared in tcp_cc.h) and
 * work in segments and seconds, as the RFC's equations; this module
 * converts with SMSS.  Floating point is fine here: the stack runs in
 * user space (Linux uses a fixed-point cube root because the kernel may
 * not use the FPU).
 *
 * HyStart++ (RFC 9406) replaces standard slow start for the first slow
 * start of a connection: it watches the minimum RTT of each round and,
 * once it rises by more than RttThresh, grows cwnd at a quarter of the
 * rate (conservative slow start, CSS) for CSS_ROUNDS rounds before
 * congestion avoidance, or returns to slow start if the RTT falls back.
 */
#include "tcp_cc.h"

#include <math.h>
#include <string.h>

#include "stack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

/* ---- The window functions (RFC 9438 §4), pure ---- */

double tcp_cubic_k(double w_max, double cwnd_epoch)
{
	if (w_max <= cwnd_epoch)
		return 0;
	return cbrt((w_max - cwnd_epoch) / TCP_CUBIC_C);
}

double tcp_cubic_w(double t, double k, double w_max)
{
	double d = t - k;
	return TCP_CUBIC_C * d * d * d + w_max;
}

double tcp_cubic_west(double w_est, double cwnd_prior, double segments_acked, double cwnd)
{
	double alpha =
	    w_est >= cwnd_prior ? 1.0 : 3.0 * (1.0 - TCP_CUBIC_BETA) / (1.0 + TCP_CUBIC_BETA);
	return w_est + alpha * segments_acked / cwnd;
}

double tcp_cubic_fast_convergence(double cwnd, double w_max_prev)
{
	/* RFC 9438 §4.7: W_max = cwnd * (1 + beta) / 2 when cwnd < W_max. */
	if (cwnd < w_max_prev)
		return cwnd * (1.0 + TCP_CUBIC_BETA) / 2.0;
	return cwnd;
}

double tcp_cubic_ca_step(double cwnd, double t, double rtt, double k, double w_max,
			 double cwnd_prior, double *w_est, double segments_acked)
{
	*w_est = tcp_cubic_west(*w_est, cwnd_prior, segments_acked, cwnd);
	/* §4.3: the Reno-friendly region. */
	if (tcp_cubic_w(t, k, w_max) < *w_est)
		return *w_est > cwnd ? *w_est : cwnd;
	/* §4.2: target = W_cubic(t + RTT), within [cwnd, 1.5 cwnd]; cwnd
	 * grows by (target - cwnd) / cwnd per segment acknowledged. */
	double target = tcp_cubic_w(t + rtt, k, w_max);
	if (target < cwnd)
		target = cwnd;
	if (target > 1.5 * cwnd)
		target = 1.5 * cwnd;
	return cwnd + segments_acked * (target - cwnd) / cwnd;
}

/* ---- HyStart++ rounds (RFC 9406 §4), pure ---- */

void tcp_hystart_init(struct tcp_hystart *h, uint32_t snd_nxt)
{
	memset(h, 0, sizeof(*h));
	h->phase = TCP_HS_SS;
	h->window_end = snd_nxt;
	h->last_round_min_rtt = UINT32_MAX;
	h->cur_round_min_rtt = UINT32_MAX;
	h->css_baseline_min_rtt = UINT32_MAX;
}

void tcp_hystart_rtt(struct tcp_hystart *h, uint32_t rtt_us)
{
	if (h->phase == TCP_HS_DONE)
		return;
	if (rtt_us < h->cur_round_min_rtt)
		h->cur_round_min_rtt = rtt_us;
	if (h->samples < UINT16_MAX)
		h->samples++;
	if (h->phase == TCP_HS_SS) {
		/* §4.2: enough samples this round and one last round: has the
		 * minimum RTT risen by RttThresh? */
		if (h->samples < TCP_HYSTART_N_RTT_SAMPLE || h->cur_round_min_rtt == UINT32_MAX ||
		    h->last_round_min_rtt == UINT32_MAX)
			return;
		uint32_t thresh = h->last_round_min_rtt / TCP_HYSTART_MIN_RTT_DIVISOR;
		if (thresh > TCP_HYSTART_MAX_RTT_THRESH_US)
			thresh = TCP_HYSTART_MAX_RTT_THRESH_US;
		if (thresh < TCP_HYSTART_MIN_RTT_THRESH_US)
			thresh = TCP_HYSTART_MIN_RTT_THRESH_US;
		if (h->cur_round_min_rtt >= h->last_round_min_rtt + thresh) {
			h->css_baseline_min_rtt = h->cur_round_min_rtt;
			h->phase = TCP_HS_CSS;
			h->css_rounds = 0;
		}
	} else if (h->samples >= TCP_HYSTART_N_RTT_SAMPLE &&
		   h->cur_round_min_rtt < h->css_baseline_min_rtt) {
		/* §4.3: the RTT increase was spurious; back to slow start. */
		h->css_baseline_min_rtt = UINT32_MAX;
		h->phase = TCP_HS_SS;
	}
}

bool tcp_hystart_ack(struct tcp_hystart *h, uint32_t ack, uint32_t snd_nxt)
{
	if (h->phase == TCP_HS_DONE || seq_lt(ack, h->window_end))
		return false;
	/* §4.2: a round ends when the data sent at its start is acked. */
	h->window_end = snd_nxt;
	h->last_round_min_rtt = h->cur_round_min_rtt;
	h->cur_round_min_rtt = UINT32_MAX;
	h->samples = 0;
	if (h->phase == TCP_HS_CSS && ++h->css_rounds >= TCP_HYSTART_CSS_ROUNDS) {
		h->phase = TCP_HS_DONE;
		return true;
	}
	return false;
}

uint32_t tcp_hystart_growth(const struct tcp_hystart *h, uint32_t acked, uint32_t smss)
{
	uint32_t n = acked < TCP_HYSTART_L * smss ? acked : TCP_HYSTART_L * smss;
	return h->phase == TCP_HS_CSS ? n / TCP_HYSTART_CSS_GROWTH_DIV : n;
}

/* ---- The module ---- */

struct cubic {
	double w_max;		 /* segments: the window at the last congestion event */
	double w_max_prev;	 /* before that event (restored by an undo) */
	double cwnd_prior;	 /* segments: cwnd when ssthresh was last set */
	double k;		 /* seconds */
	double origin;		 /* W_max of the current epoch's curve */
	double w_est;		 /* segments: the Reno-friendly estimate */
	double frac;		 /* bytes of growth not yet in cwnd */
	uint64_t epoch_start_us; /* 0: no epoch (the next ACK in CA starts one) */
	struct tcp_hystart hs;
};
_Static_assert(sizeof(struct cubic) <= TCP_CC_PRIV_SIZE, "struct cubic exceeds cc_priv");

static struct cubic *cubic_of(struct tcp_pcb *pcb)
{
	return (struct cubic *)(void *)pcb->cc_priv;
}

static void cubic_conn_init(struct tcp_pcb *pcb)
{
	struct cubic *c = cubic_of(pcb);
	memset(c, 0, sizeof(*c));
	tcp_hystart_init(&c->hs, pcb->snd_nxt);
	if (pcb->ssthresh != UINT32_MAX)
		c->hs.phase = TCP_HS_DONE; /* switched to CUBIC after a loss */
}

static void cubic_rtt_sample(struct tcp_pcb *pcb, uint32_t rtt_us)
{
	struct cubic *c = cubic_of(pcb);
	if (pcb->cwnd < pcb->ssthresh)
		tcp_hystart_rtt(&c->hs, rtt_us);
}

static void cubic_ack_received(struct tcp_pcb *pcb, uint32_t acked)
{
	struct cubic *c = cubic_of(pcb);
	uint32_t mss = pcb->smss;
	if (pcb->cwnd < pcb->ssthresh) {
		/* Slow start, HyStart++ (RFC 9406 §4.2-4.3). */
		pcb->cwnd += tcp_hystart_growth(&c->hs, acked, mss);
		if (tcp_hystart_ack(&c->hs, pcb->snd_una + acked, pcb->snd_nxt)) {
			/* §4.3: CSS_ROUNDS rounds of CSS: ssthresh = cwnd, CA. */
			pcb->ssthresh = pcb->cwnd;
		}
		return;
	}
	uint64_t now = pcb->st->now_us;
	double cwnd = (double)pcb->cwnd / mss;
	if (!c->epoch_start_us) {
		/* RFC 9438 §4.2: the first ACK of congestion avoidance starts the
		 * epoch; a window already beyond W_max (no loss yet) starts the
		 * curve at its plateau (K = 0), as Linux bictcp_update. */
		c->epoch_start_us = now ? now : 1;
		c->w_est = cwnd;
		c->frac = 0;
		if (c->w_max <= cwnd) {
			c->k = 0;
			c->origin = cwnd;
		} else {
			c->k = tcp_cubic_k(c->w_max, cwnd);
			c->origin = c->w_max;
		}
		if (c->cwnd_prior <= 0)
			c->cwnd_prior = cwnd;
	}
	double t = (double)(now - c->epoch_start_us) / 1e6;
	double rtt = pcb->rtt.srtt_us ? pcb->rtt.srtt_us / 1e6 : 0.0;
	double next = tcp_cubic_ca_step(cwnd, t, rtt, c->k, c->origin, c->cwnd_prior, &c->w_est,
					(double)acked / mss);
	c->frac += (next - cwnd) * mss;
	if (c->frac >= 1) {
		uint32_t add = c->frac > 1e9 ? 1000000000u : (uint32_t)c->frac;
		pcb->cwnd += add;
		c->frac -= add;
	}
}

static void cubic_cong_signal(struct tcp_pcb *pcb, enum tcp_cc_signal sig)
{
	(void)sig; /* §4.8: a timeout sets ssthresh the same way; tcp_cc.c sets cwnd */
	struct cubic *c = cubic_of(pcb);
	uint32_t mss = pcb->smss;
	double cwnd = (double)pcb->cwnd / mss;
	c->epoch_start_us = 0;
	c->hs.phase = TCP_HS_DONE; /* RFC 9406 §4.2: a loss ends HyStart++ */
	c->w_max_prev = c->w_max;
	c->w_max = tcp_cubic_fast_convergence(cwnd, c->w_max);
	c->cwnd_prior = cwnd;
	/* §4.6: ssthresh = cwnd * beta_cubic, at least 2 segments. */
	uint32_t ss = (uint32_t)(pcb->cwnd * TCP_CUBIC_BETA);
	pcb->ssthresh = ss > 2u * mss ? ss : 2u * mss;
}

static void cubic_post_recovery(struct tcp_pcb *pcb, uint32_t ack)
{
	(void)ack;
	/* RFC 6937 §3: the recovery ends with cwnd = ssthresh. */
	pcb->cwnd = pcb->ssthresh;
}

static void cubic_after_idle(struct tcp_pcb *pcb)
{
	/* The restart window starts a new epoch (its curve starts from it). */
	cubic_of(pcb)->epoch_start_us = 0;
}

static uint32_t cubic_undo_cwnd(struct tcp_pcb *pcb)
{
	struct cubic *c = cubic_of(pcb);
	/* The event did not happen: the W_max before it is the one to aim at. */
	c->w_max = c->w_max_prev;
	c->epoch_start_us = 0;
	return pcb->prior_cwnd;
}

const struct tcp_cc_algo tcp_cc_cubic = {
    .name = "cubic",
    .conn_init = cubic_conn_init,
    .ack_received = cubic_ack_received,
    .cong_signal = cubic_cong_signal,
    .post_recovery = cubic_post_recovery,
    .rtt_sample = cubic_rtt_sample,
    .after_idle = cubic_after_idle,
    .undo_cwnd = cubic_undo_cwnd,
};
