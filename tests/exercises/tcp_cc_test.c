/*
 * tcp_cc_test.c - the checks of the tcp_cc exercise
 * (docs/exercises/tcp_cc/): the three NewReno callbacks of struct
 * tcp_cc_algo (stack/tcp_cc.h), called on a bare struct tcp_pcb holding
 * only what congestion control reads, with SMSS 1000 for easy numbers.
 */
#include <string.h>

#include "lib/exunit.h"
#include "tcp_cc.h"
#include "tcp_var.h"

#define SMSS 1000u

#define HINT_SS                                                                                    \
	"slow start (cwnd < ssthresh) grows cwnd by the bytes each ACK acknowledges: RFC 5681 "    \
	"§3.1, cwnd += min(N, SMSS) per ACK, or with RFC 3465 byte counting min(N, L*SMSS), L = 2"
#define HINT_ABC                                                                                   \
	"RFC 3465 §2.2: one ACK may grow cwnd by at most L*SMSS (L = 2) in slow start, however "  \
	"many bytes it acknowledges (a stretch ACK must not burst)"
#define HINT_CA                                                                                    \
	"congestion avoidance (cwnd >= ssthresh) grows cwnd by ONE SMSS per round trip: count "    \
	"acknowledged bytes in bytes_acked and add SMSS each time they reach cwnd (RFC 5681 "      \
	"§3.1, RFC 3465 §2.1)"
#define HINT_FLIGHT                                                                                 \
	"ssthresh = max(FlightSize / 2, 2*SMSS) (RFC 5681 §3.1 eq. 4): FlightSize is the data in " \
	"flight, snd_max - snd_una, not cwnd (they differ when the sender is application-limited)"
#define HINT_FLOOR "ssthresh never drops below 2*SMSS (RFC 5681 §3.1 eq. 4)"
#define HINT_POST                                                                                   \
	"when a recovery ends: with SACK, cwnd = ssthresh (RFC 6675 §5); without, RFC 6582 §3.2 " \
	"(3) option (1), cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)"

static void pcb_new(struct tcp_pcb *p, uint32_t cwnd, uint32_t ssthresh)
{
	memset(p, 0, sizeof(*p));
	p->smss = SMSS;
	p->cwnd = cwnd;
	p->ssthresh = ssthresh;
	p->snd_una = 1000000;
	p->snd_max = 1000000;
}

static void ack(struct tcp_pcb *p, uint32_t n)
{
	ex_step("ACK of %u new bytes (cwnd %u, ssthresh %u)", n, p->cwnd, p->ssthresh);
	tcp_cc_newreno.ack_received(p, n);
}

EX_CHECK(slow_start, "below ssthresh, each ACK grows cwnd by what it acknowledges")
{
	struct tcp_pcb p;
	pcb_new(&p, 10 * SMSS, 100 * SMSS);
	ack(&p, SMSS);
	if (p.cwnd != 11 * SMSS)
		ex_fail("cc.slow-start", HINT_SS, "cwnd is %u, expected %u", p.cwnd, 11 * SMSS);
	ack(&p, 500);
	if (p.cwnd != 11 * SMSS + 500)
		ex_fail("cc.slow-start", HINT_SS, "cwnd is %u, expected %u (byte counting)", p.cwnd,
			11 * SMSS + 500);
}

EX_CHECK(stretch_ack_limit, "one ACK grows cwnd by at most 2*SMSS in slow start")
{
	struct tcp_pcb p;
	pcb_new(&p, 10 * SMSS, 100 * SMSS);
	ack(&p, 5 * SMSS);
	if (p.cwnd != 12 * SMSS)
		ex_fail(p.cwnd == 15 * SMSS ? "cc.abc" : "cc.slow-start",
			p.cwnd == 15 * SMSS ? HINT_ABC : HINT_SS, "cwnd is %u, expected %u", p.cwnd,
			12 * SMSS);
}

EX_CHECK(congestion_avoidance, "at or above ssthresh, one SMSS per window of ACKs")
{
	struct tcp_pcb p;
	pcb_new(&p, 10 * SMSS, 10 * SMSS);
	ex_step("cwnd = ssthresh = 10 SMSS: a full window is acknowledged one SMSS at a time");
	for (int i = 0; i < 10; i++)
		tcp_cc_newreno.ack_received(&p, SMSS);
	if (p.cwnd != 11 * SMSS)
		ex_fail(p.cwnd > 11 * SMSS ? "cc.ca-per-rtt" : "cc.ca-grow", HINT_CA,
			"after a window of ACKs cwnd is %u, expected %u", p.cwnd, 11 * SMSS);
	ex_step("half a window more: no growth yet");
	for (int i = 0; i < 5; i++)
		tcp_cc_newreno.ack_received(&p, SMSS);
	if (p.cwnd != 11 * SMSS)
		ex_fail("cc.ca-per-rtt", HINT_CA, "cwnd is %u after half a window, expected %u",
			p.cwnd, 11 * SMSS);
}

EX_CHECK(ssthresh_on_loss, "a loss halves the flight, not cwnd, floored at 2*SMSS")
{
	struct tcp_pcb p;
	pcb_new(&p, 40 * SMSS, UINT32_MAX);
	p.snd_max = p.snd_una + 20 * SMSS;
	ex_step("cwnd 40 SMSS, 20 SMSS in flight: fast retransmit");
	tcp_cc_newreno.cong_signal(&p, TCP_CC_FAST_RETRANSMIT);
	if (p.ssthresh != 10 * SMSS)
		ex_fail(p.ssthresh == 20 * SMSS ? "cc.flightsize" : "cc.ssthresh", HINT_FLIGHT,
			"ssthresh is %u, expected %u", p.ssthresh, 10 * SMSS);
	pcb_new(&p, 40 * SMSS, UINT32_MAX);
	p.snd_max = p.snd_una + 3 * SMSS;
	ex_step("3 SMSS in flight: a timeout");
	tcp_cc_newreno.cong_signal(&p, TCP_CC_RTO);
	if (p.ssthresh != 2 * SMSS)
		ex_fail(p.ssthresh == 20 * SMSS ? "cc.flightsize" : "cc.ssthresh-floor",
			p.ssthresh == 20 * SMSS ? HINT_FLIGHT : HINT_FLOOR,
			"ssthresh is %u, expected %u", p.ssthresh, 2 * SMSS);
}

EX_CHECK(after_recovery, "the window a recovery ends with, with and without SACK")
{
	struct tcp_pcb p;
	pcb_new(&p, 30 * SMSS, 8 * SMSS);
	p.tf |= TF_SACK_OK;
	p.snd_max = p.snd_una + 20 * SMSS;
	ex_step("SACK recovery ends: ssthresh 8 SMSS, cwnd 30 SMSS");
	tcp_cc_newreno.post_recovery(&p, p.snd_una + 15 * SMSS);
	if (p.cwnd != 8 * SMSS)
		ex_fail("cc.post-recovery", HINT_POST, "cwnd is %u, expected %u", p.cwnd, 8 * SMSS);
	pcb_new(&p, 30 * SMSS, 8 * SMSS);
	p.snd_max = p.snd_una + 20 * SMSS;
	ex_step("NewReno recovery without SACK ends with 2 SMSS still in flight");
	tcp_cc_newreno.post_recovery(&p, p.snd_max - 2 * SMSS);
	if (p.cwnd != 3 * SMSS)
		ex_fail("cc.post-recovery", HINT_POST,
			"cwnd is %u, expected %u = min(ssthresh, max(FlightSize, SMSS) + SMSS)",
			p.cwnd, 3 * SMSS);
}
