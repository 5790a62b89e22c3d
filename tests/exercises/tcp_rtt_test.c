/*
 * tcp_rtt_test.c - the checks of the tcp_rtt exercise
 * (docs/exercises/tcp_rtt/): tcp_rtt_sample against RFC 6298 §2, by hand
 * on the cases that matter and at random against a model in doubles
 * (answers within 1 % + 10 µs pass: rounding is yours to choose).
 */
#include <math.h>
#include <stdlib.h>

#include "lib/exunit.h"
#include "tcp_var.h"

#define MS	1000u
#define MIN_RTO (200 * MS)
#define MAX_RTO (120000 * MS)

#define HINT_ORDER                                                                                 \
	"RFC 6298 (2.3): update RTTVAR first, with the OLD SRTT (|SRTT - R'|), then SRTT; the "    \
	"RFC says so explicitly (\"the above SHOULD be computed using alpha=1/8 and beta=1/4\", "  \
	"in that order)"
#define HINT_FIRST "RFC 6298 (2.2): the first measurement R gives SRTT <- R and RTTVAR <- R/2"
#define HINT_K	   "RFC 6298 (2.3): RTO <- SRTT + max(G, K*RTTVAR) with K = 4"
#define HINT_MIN                                                                                   \
	"RFC 6298 (2.4): whenever RTO is computed, if it is less than the minimum (min_rto_us, "   \
	"200 ms here as in Linux; the RFC says 1 s) it is rounded up to it"
#define HINT_MAX "RFC 6298 (2.5): a maximum value may be placed on RTO: max_rto_us"
#define HINT_G                                                                                     \
	"RFC 6298 (2.3): the variance term is max(G, K*RTTVAR): never less than the clock "        \
	"granularity G (TCP_CLOCK_G_US), so a perfectly steady RTT still leaves a margin"

struct model {
	double srtt, rttvar, rto;
};

static void model_sample(struct model *m, double r, double min, double max)
{
	if (m->srtt == 0) {
		m->srtt = r ? r : 1;
		m->rttvar = r / 2;
	} else {
		m->rttvar = 0.75 * m->rttvar + 0.25 * fabs(m->srtt - r);
		m->srtt = 0.875 * m->srtt + 0.125 * r;
	}
	double var = 4 * m->rttvar > 1000 ? 4 * m->rttvar : 1000;
	m->rto = m->srtt + var;
	if (m->rto < min)
		m->rto = min;
	if (m->rto > max)
		m->rto = max;
}

static bool near(double got, double want)
{
	return fabs(got - want) <= 10 + 0.01 * want;
}

static void expect_rtt(const struct tcp_rtt *r, const struct model *m, const char *hint_id,
		       const char *hint)
{
	if (near(r->srtt_us, m->srtt) && near(r->rttvar_us, m->rttvar) && near(r->rto_us, m->rto))
		return;
	ex_fail(hint_id, hint,
		"SRTT %u us, RTTVAR %u us, RTO %u us; expected about %.0f, %.0f and %.0f us",
		r->srtt_us, r->rttvar_us, r->rto_us, m->srtt, m->rttvar, m->rto);
}

EX_CHECK(first_sample, "the first measurement: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR")
{
	struct tcp_rtt r = {0};
	struct model m = {0};
	ex_step("no measurement yet; R = 100 ms (no minimum RTO here, max 120 s)");
	tcp_rtt_sample(&r, 100 * MS, 0, MAX_RTO);
	model_sample(&m, 100 * MS, 0, MAX_RTO);
	if (r.srtt_us && near(r.srtt_us, m.srtt) && near(r.rttvar_us, m.rttvar) &&
	    near(r.rto_us, r.srtt_us + r.rttvar_us))
		ex_fail("rtt.k4", HINT_K, "RTO %u us is SRTT + RTTVAR; expected %.0f us", r.rto_us,
			m.rto);
	expect_rtt(&r, &m, "rtt.first", HINT_FIRST);
}

EX_CHECK(second_sample, "later measurements: RTTVAR from the old SRTT, then SRTT")
{
	struct tcp_rtt r = {0};
	struct model m = {0};
	ex_step("R1 = 100 ms, then R2 = 200 ms");
	tcp_rtt_sample(&r, 100 * MS, MIN_RTO, MAX_RTO);
	model_sample(&m, 100 * MS, MIN_RTO, MAX_RTO);
	expect_rtt(&r, &m, "rtt.first", HINT_FIRST);
	tcp_rtt_sample(&r, 200 * MS, MIN_RTO, MAX_RTO);
	model_sample(&m, 200 * MS, MIN_RTO, MAX_RTO);
	/* SRTT updated first: RTTVAR = 3/4 * 50 + 1/4 * |112.5 - 200| = 59.375 ms. */
	if (near(r.srtt_us, m.srtt) && near(r.rttvar_us, 59375))
		ex_fail("rtt.order", HINT_ORDER,
			"RTTVAR %u us was computed from the new SRTT; expected about %.0f us",
			r.rttvar_us, m.rttvar);
	expect_rtt(&r, &m, "rtt.update",
		   "RFC 6298 (2.3): RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, then "
		   "SRTT <- 7/8 SRTT + 1/8 R'");
}

EX_CHECK(minimum_rto, "a tiny RTT still gives the minimum RTO")
{
	struct tcp_rtt r = {0};
	ex_step("R = 1 ms on a fresh estimator");
	tcp_rtt_sample(&r, 1 * MS, MIN_RTO, MAX_RTO);
	if (r.rto_us != MIN_RTO)
		ex_fail("rtt.min-rto", HINT_MIN, "RTO is %u us, expected %u (the minimum)",
			r.rto_us, MIN_RTO);
	if (!r.srtt_us)
		ex_fail("rtt.first", HINT_FIRST, "SRTT is still 0 after a sample");
}

EX_CHECK(maximum_rto, "a huge RTT gives at most the maximum RTO")
{
	struct tcp_rtt r = {0};
	ex_step("R = 100 s on a fresh estimator (RTO would be 300 s)");
	tcp_rtt_sample(&r, 100000 * MS, MIN_RTO, MAX_RTO);
	if (r.rto_us != MAX_RTO)
		ex_fail("rtt.max-rto", HINT_MAX, "RTO is %u us, expected %u (the maximum)",
			r.rto_us, MAX_RTO);
}

EX_CHECK(granularity, "a steady RTT keeps a margin of at least G")
{
	struct tcp_rtt r = {0};
	ex_step("min RTO 0; R = 50 ms, fifty times");
	for (int i = 0; i < 50; i++)
		tcp_rtt_sample(&r, 50 * MS, 0, MAX_RTO);
	if (!near(r.srtt_us, 50 * MS))
		ex_fail("rtt.update", "SRTT converges to a steady R",
			"SRTT is %u us, expected 50000", r.srtt_us);
	if (r.rto_us < r.srtt_us + 1000u - 10)
		ex_fail("rtt.granularity", HINT_G,
			"RTO is %u us with SRTT %u us and RTTVAR %u us: expected at least SRTT + G "
			"(1000 us)",
			r.rto_us, r.srtt_us, r.rttvar_us);
}

EX_CHECK(zero_rtt, "a 0 us measurement still counts as a measurement")
{
	struct tcp_rtt r = {0};
	ex_step("R = 0 us on a fresh estimator (possible on the in-memory wire)");
	tcp_rtt_sample(&r, 0, MIN_RTO, MAX_RTO);
	if (r.srtt_us == 0)
		ex_fail(
		    "rtt.zero",
		    "SRTT 0 means \"no measurement yet\" to the callers: after a first sample of "
		    "0, store 1",
		    "SRTT is 0 after a sample: the next sample would be taken for the first");
	if (r.rto_us != MIN_RTO)
		ex_fail("rtt.min-rto", HINT_MIN, "RTO is %u us, expected %u", r.rto_us, MIN_RTO);
}

EX_CHECK(random_series, "random series of measurements agree with RFC 6298")
{
	for (int s = 0; s < 100; s++) {
		struct tcp_rtt r = {0};
		struct model m = {0};
		uint32_t base = 1000 + (uint32_t)(ex_rand() % 300000);
		for (int i = 0; i < 40; i++) {
			uint32_t rtt = base / 2 + (uint32_t)(ex_rand() % base);
			tcp_rtt_sample(&r, rtt, MIN_RTO, MAX_RTO);
			model_sample(&m, rtt, MIN_RTO, MAX_RTO);
			if (!(near(r.srtt_us, m.srtt) && near(r.rttvar_us, m.rttvar) &&
			      near(r.rto_us, m.rto))) {
				ex_step("series %d (seed %llu): sample %d, R = %u us", s,
					(unsigned long long)ex_seed(), i + 1, rtt);
				expect_rtt(
				    &r, &m, "rtt.update",
				    "RFC 6298 (2.3), alpha = 1/8 and beta = 1/4, RTTVAR first");
			}
		}
	}
	ex_step("100 series of 40 measurements agree");
}
