/*
 * tcp_cc_test.c - the arithmetic of the congestion-control algorithms
 * against their RFCs, as pure functions (tcp_cc.h): CUBIC's window
 * function, K, the Reno-friendly region and fast convergence (RFC 9438),
 * HyStart++'s rounds (RFC 9406), PRR's sndcnt sequence (RFC 6937), and the
 * modules through a control block (ssthresh on loss, the table of names).
 */
#include <math.h>
#include <string.h>

#include "tsunit.h"
#include "stack.h"
#include "tcp_cc.h"
#include "tcp_var.h"

#define EPS 1e-9

/* ---- CUBIC (RFC 9438) ---- */

START_TEST(cubic_k_for_w_max)
{
	/* Eq. 2 after a reduction to beta W_max: K = cubic_root(W_max (1 - beta) / C). */
	ck_assert_double_eq_tol(tcp_cubic_k(100, 70), cbrt(100 * 0.3 / 0.4), EPS);
	ck_assert_double_eq_tol(tcp_cubic_k(100, 70), 4.217163327, 1e-6);
	ck_assert_double_eq_tol(tcp_cubic_k(10, 7), 1.957433820, 1e-6);
	/* A window already at or beyond W_max: the plateau is now, K = 0. */
	ck_assert_double_eq_tol(tcp_cubic_k(100, 100), 0, EPS);
	ck_assert_double_eq_tol(tcp_cubic_k(100, 120), 0, EPS);
}
END_TEST

START_TEST(cubic_window_at_given_t)
{
	double k = tcp_cubic_k(100, 70);
	/* Eq. 1: W_cubic(0) = beta W_max (the window right after the event),
	 * W_cubic(K) = W_max (the plateau), symmetric around it. */
	ck_assert_double_eq_tol(tcp_cubic_w(0, k, 100), 70, 1e-9);
	ck_assert_double_eq_tol(tcp_cubic_w(k, k, 100), 100, EPS);
	ck_assert_double_eq_tol(tcp_cubic_w(2 * k, k, 100), 130, 1e-9);
	/* C (t - K)^3 + W_max at t = 1 s and t = 6 s. */
	ck_assert_double_eq_tol(tcp_cubic_w(1, k, 100), 0.4 * pow(1 - k, 3) + 100, EPS);
	ck_assert_double_eq_tol(tcp_cubic_w(1, k, 100), 86.6808, 1e-3);
	ck_assert_double_eq_tol(tcp_cubic_w(6, k, 100), 102.2667, 1e-3);
}
END_TEST

START_TEST(cubic_reno_friendly_estimate)
{
	/* Eq. 4: alpha_cubic = 3 (1 - beta) / (1 + beta) = 0.529... per RTT
	 * (1/cwnd per segment acked) while W_est < cwnd_prior, then 1. */
	double alpha = 3 * 0.3 / 1.7;
	ck_assert_double_eq_tol(tcp_cubic_west(70, 100, 1, 70), 70 + alpha / 70, EPS);
	ck_assert_double_eq_tol(tcp_cubic_west(70, 100, 70, 70), 70 + alpha, EPS);
	ck_assert_double_eq_tol(tcp_cubic_west(100, 100, 100, 100), 101, EPS);
}
END_TEST

START_TEST(cubic_region_switch)
{
	/* W_max 10, reduced to 7: K = 1.957 s.  0.1 s into the epoch the cubic
	 * curve is at 7.44 segments; a Reno flow would be at W_est = 9: the
	 * Reno-friendly region, cwnd = W_est (§4.3). */
	double k = tcp_cubic_k(10, 7), west = 9;
	double w = tcp_cubic_ca_step(8, 0.1, 0.01, k, 10, 10, &west, 1);
	ck_assert_double_eq_tol(west, 9 + (3 * 0.3 / 1.7) / 8, EPS);
	ck_assert_double_eq_tol(w, west, EPS);
	/* With W_est below the curve: the concave region, cwnd moves by
	 * (W_cubic(t + RTT) - cwnd) / cwnd per segment (§4.2). */
	west = 7;
	double target = tcp_cubic_w(1.0 + 0.1, k, 10);
	w = tcp_cubic_ca_step(9, 1.0, 0.1, k, 10, 10, &west, 1);
	ck_assert(tcp_cubic_w(1.0, k, 10) > west);
	ck_assert_double_eq_tol(w, 9 + (target - 9) / 9, EPS);
	/* The target never exceeds 1.5 cwnd (§4.2): far beyond K. */
	west = 7;
	w = tcp_cubic_ca_step(10, 60, 0.1, k, 10, 10, &west, 10);
	ck_assert_double_eq_tol(w, 10 + 10 * (15 - 10) / 10.0, EPS);
	/* Nor below cwnd. */
	west = 7;
	w = tcp_cubic_ca_step(12, 0.0, 0.0, k, 10, 10, &west, 1);
	ck_assert_double_eq_tol(w, 12, EPS);
}
END_TEST

START_TEST(cubic_fast_convergence)
{
	/* §4.7: a loss below the previous W_max remembers less than the window. */
	ck_assert_double_eq_tol(tcp_cubic_fast_convergence(80, 100), 80 * 1.7 / 2, EPS);
	ck_assert_double_eq_tol(tcp_cubic_fast_convergence(120, 100), 120, EPS);
	ck_assert_double_eq_tol(tcp_cubic_fast_convergence(100, 100), 100, EPS);
}
END_TEST

/* A control block good enough for the modules: SMSS 1000, cwnd 100 segments. */
static struct tcp_pcb *fake_pcb(struct stack *st, const struct tcp_cc_algo *a)
{
	static struct tcp_pcb pcb;
	memset(&pcb, 0, sizeof(pcb));
	pcb.st = st;
	pcb.cc = a;
	pcb.smss = 1000;
	pcb.snd_ring.cap = 1u << 30;
	tcp_cc_on_established(&pcb);
	pcb.cwnd = 100000;
	pcb.snd_una = 5000;
	pcb.snd_max = pcb.snd_nxt = 105000;
	return &pcb;
}

START_TEST(modules_on_loss_and_names)
{
	struct stack st;
	memset(&st, 0, sizeof(st));
	st.now_us = 1000000;
	ck_assert_ptr_eq(tcp_cc_find("cubic"), &tcp_cc_cubic);
	ck_assert_ptr_eq(tcp_cc_find("reno"), &tcp_cc_newreno);
	ck_assert_ptr_null(tcp_cc_find("bbr"));
	struct ts_config cfg;
	ts_config_default(&cfg);
	ck_assert_str_eq(cfg.tcp_congestion, "cubic"); /* the default, as on Linux */
	/* CUBIC: ssthresh = 0.7 cwnd (§4.6); twice in a row at the same window:
	 * the second event is below W_max... no: equal, W_max = cwnd. */
	struct tcp_pcb *p = fake_pcb(&st, &tcp_cc_cubic);
	p->tf |= TF_SACK_OK;
	tcp_cc_on_fast_retransmit(p);
	ck_assert_uint_eq(p->ssthresh, 70000);
	ck_assert_uint_eq(p->prior_cwnd, 100000);
	/* Undo restores the window and ssthresh (RFC 3522 response, Linux). */
	tcp_cc_on_undo(p);
	ck_assert_uint_eq(p->cwnd, 100000);
	ck_assert_uint_eq(p->ssthresh, UINT32_MAX);
	/* Reno: half the flight (RFC 5681 §3.1 (4)). */
	p = fake_pcb(&st, &tcp_cc_newreno);
	p->tf |= TF_SACK_OK;
	tcp_cc_on_fast_retransmit(p);
	ck_assert_uint_eq(p->ssthresh, 50000);
	/* A timeout: cwnd = 1 SMSS (loss window). */
	tcp_cc_on_rto(p, true);
	ck_assert_uint_eq(p->cwnd, 1000);
}
END_TEST

/* One loss at 100 segments, then rtts RTTs of one window of ACKs each;
 * *at_k, *at_2k: cwnd (segments) at t = K and t = 2K. */
static void cubic_run(uint32_t rtt_us, int rtts, double *at_k, double *at_2k)
{
	struct stack st;
	memset(&st, 0, sizeof(st));
	st.now_us = 1000000;
	struct tcp_pcb *p = fake_pcb(&st, &tcp_cc_cubic);
	p->rtt.srtt_us = rtt_us;
	tcp_cc_on_fast_retransmit(p);
	tcp_cc_on_recovery_end(p, p->snd_max);
	ck_assert_uint_eq(p->cwnd, 70000);
	*at_k = *at_2k = 0;
	double k = tcp_cubic_k(100, 70);
	for (int r = 0; r < rtts; r++) {
		double t = r * (rtt_us / 1e6);
		if (*at_k == 0 && t >= k)
			*at_k = p->cwnd / 1000.0;
		if (*at_2k == 0 && t >= 2 * k)
			*at_2k = p->cwnd / 1000.0;
		uint32_t w = p->cwnd;
		for (uint32_t a = 0; a < w; a += 1000) {
			p->snd_una += 1000;
			tcp_cc_on_ack(p, 1000);
		}
		st.now_us += rtt_us;
	}
}

START_TEST(cubic_grows_along_the_curve)
{
	/* Through the module, RTT 100 ms: after a loss at 100 segments, cwnd
	 * climbs back to W_max around t = K (4.2 s, the plateau) and passes
	 * it after, to about W_cubic(2K) = 130 (Eq. 1). */
	double at_k, at_2k;
	cubic_run(100000, 90, &at_k, &at_2k);
	ck_assert_double_ge(at_k, 97);
	ck_assert_double_le(at_k, 103);
	ck_assert_double_ge(at_2k, 125);
	ck_assert_double_le(at_2k, 135);
	/* RTT 10 ms: Reno (one segment per RTT) would outgrow the curve; the
	 * Reno-friendly region holds cwnd at W_est (§4.3): about 70 + 0.53 x
	 * 56 RTTs to W_max, then 1 a RTT: far above W_cubic(K) = 100 by t = K. */
	cubic_run(10000, 900, &at_k, &at_2k);
	ck_assert_double_ge(at_k, 400);
	ck_assert_double_le(at_k, 480);
}
END_TEST

/* ---- HyStart++ (RFC 9406) ---- */

START_TEST(hystart_rounds)
{
	struct tcp_hystart h;
	tcp_hystart_init(&h, 1000);
	/* Round 1: eight samples of 10 ms; it ends when 1000 is acked. */
	for (int i = 0; i < 8; i++)
		tcp_hystart_rtt(&h, 10000);
	ck_assert(!tcp_hystart_ack(&h, 999, 2000));
	ck_assert(!tcp_hystart_ack(&h, 1000, 2000));
	ck_assert_uint_eq(h.last_round_min_rtt, 10000);
	ck_assert_uint_eq(h.window_end, 2000);
	/* Round 2: RttThresh = max(4 ms, min(10 ms / 8, 16 ms)) = 4 ms.  13.9 ms
	 * is not enough; 14 ms on the eighth sample enters CSS (§4.2). */
	for (int i = 0; i < 7; i++)
		tcp_hystart_rtt(&h, 14000);
	ck_assert_uint_eq(h.phase, TCP_HS_SS);
	tcp_hystart_rtt(&h, 14000);
	ck_assert_uint_eq(h.phase, TCP_HS_CSS);
	ck_assert_uint_eq(h.css_baseline_min_rtt, 14000);
	/* CSS grows by a quarter (CSS_GROWTH_DIVISOR), at most L = 8 SMSS an ACK. */
	ck_assert_uint_eq(tcp_hystart_growth(&h, 4000, 1000), 1000);
	ck_assert_uint_eq(tcp_hystart_growth(&h, 20000, 1000), 2000);
	/* Five CSS rounds, then congestion avoidance (§4.3). */
	uint32_t end = 2000;
	for (int r = 1; r <= 5; r++) {
		for (int i = 0; i < 8; i++)
			tcp_hystart_rtt(&h, 15000);
		bool done = tcp_hystart_ack(&h, end, end + 1000);
		end += 1000;
		ck_assert(done == (r == 5));
	}
	ck_assert_uint_eq(h.phase, TCP_HS_DONE);
}
END_TEST

START_TEST(hystart_css_back_to_slow_start)
{
	struct tcp_hystart h;
	tcp_hystart_init(&h, 1000);
	for (int i = 0; i < 8; i++)
		tcp_hystart_rtt(&h, 40000);
	tcp_hystart_ack(&h, 1000, 2000);
	/* 40 ms / 8 = 5 ms: 45 ms enters CSS. */
	for (int i = 0; i < 8; i++)
		tcp_hystart_rtt(&h, 45000);
	ck_assert_uint_eq(h.phase, TCP_HS_CSS);
	tcp_hystart_ack(&h, 2000, 3000);
	ck_assert_uint_eq(tcp_hystart_growth(&h, 8000, 1000), 2000);
	/* The next round's minimum falls below the baseline: the increase was
	 * spurious, back to slow start (§4.3). */
	for (int i = 0; i < 8; i++)
		tcp_hystart_rtt(&h, 41000);
	ck_assert_uint_eq(h.phase, TCP_HS_SS);
	ck_assert_uint_eq(tcp_hystart_growth(&h, 8000, 1000), 8000);
	/* Slow start's growth is capped at L = 8 SMSS per ACK. */
	ck_assert_uint_eq(tcp_hystart_growth(&h, 20000, 1000), 8000);
}
END_TEST

/* ---- PRR (RFC 6937) ---- */

START_TEST(prr_rfc6937_example)
{
	/*
	 * RFC 6937 §6's example: RecoverFS = 20 segments, one lost, ssthresh =
	 * 10 segments (Reno); every ACK delivers one segment.  While pipe >
	 * ssthresh PRR sends one segment every other ACK ("1 0 1 0 ...": the
	 * window falls smoothly instead of Reno's half-RTT of silence); once
	 * pipe reaches ssthresh the reduction bound holds it there, one
	 * segment per segment delivered, and the recovery ends at ssthresh.
	 */
	const uint32_t mss = 1, ssthresh = 10 * mss, fs = 20 * mss; /* in segments, as the RFC */
	uint64_t delivered = 0, out = 0;
	uint32_t pipe = 19 * mss; /* one segment lost */
	const uint32_t expect[20] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1};
	for (int ack = 0; ack < 20; ack++) {
		delivered += mss;
		pipe -= mss;
		uint32_t snd = tcp_prr_sndcnt(delivered, out, mss, pipe, ssthresh, fs, mss);
		ck_assert_msg(snd == expect[ack] * mss, "ACK %d: sndcnt %u", ack + 1, snd);
		out += snd;
		pipe += snd;
	}
	ck_assert_uint_eq(pipe, ssthresh);
}
END_TEST

START_TEST(prr_slow_start_reduction_bound)
{
	/* pipe <= ssthresh (a burst of losses): PRR-SSRB grows back towards
	 * ssthresh by at most what was delivered plus one MSS per ACK. */
	const uint32_t mss = 1000;
	/* 4 delivered, 0 sent, pipe 2 of ssthresh 10: min(8, 4 + 1) = 5 MSS. */
	ck_assert_uint_eq(tcp_prr_sndcnt(4000, 0, 4000, 2000, 10000, 20000, mss), 5000);
	/* Already sent 3 of 4 delivered, this ACK delivered 1: min(8, max(1, 1) + 1) = 2. */
	ck_assert_uint_eq(tcp_prr_sndcnt(4000, 3000, 1000, 2000, 10000, 20000, mss), 2000);
	/* Close to ssthresh: ssthresh - pipe bounds it. */
	ck_assert_uint_eq(tcp_prr_sndcnt(9000, 0, 9000, 9500, 10000, 20000, mss), 500);
	/* Nothing to send when prr_out ran ahead in the proportional part. */
	ck_assert_uint_eq(tcp_prr_sndcnt(2000, 5000, 1000, 15000, 10000, 20000, mss), 0);
}
END_TEST

static Suite *tcp_cc_suite(void)
{
	Suite *s = suite_create("tcp_cc");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, cubic_k_for_w_max);
	tcase_add_test(tc, cubic_window_at_given_t);
	tcase_add_test(tc, cubic_reno_friendly_estimate);
	tcase_add_test(tc, cubic_region_switch);
	tcase_add_test(tc, cubic_fast_convergence);
	tcase_add_test(tc, modules_on_loss_and_names);
	tcase_add_test(tc, cubic_grows_along_the_curve);
	tcase_add_test(tc, hystart_rounds);
	tcase_add_test(tc, hystart_css_back_to_slow_start);
	tcase_add_test(tc, prr_rfc6937_example);
	tcase_add_test(tc, prr_slow_start_reduction_bound);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_cc_suite)
