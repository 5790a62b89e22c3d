/*
 * tcp_out_test.c - the checks of the tcp_out exercise
 * (docs/exercises/tcp_out/): what the sender decides and the window the
 * receiver offers (RFC 9293 §3.8.6, §3.7.4; RFC 1122 §4.2.3.3-4).
 *
 * Two kinds of checks.  tcp_send_decide and tcp_window_to_advertise are
 * called directly on a bare struct tcp_pcb holding only what they read,
 * with an SMSS of 1000 for easy numbers.  The rest run a connection of a
 * stack with your file (10.0.0.2:8080, ESTABLISHED with 10.0.0.1:40000,
 * set up by hand: no handshake) and call tcp_output as the stack does
 * after a write, an ACK or a timer, and read the segments it sent: the
 * transcript and the check's pcap show each one.  An ACK from the peer is
 * played by moving SND.UNA and freeing the acknowledged bytes, as
 * stack/tcp_in.c does.
 */
#include <string.h>

#include "arp.h"
#include "lib/exunit.h"
#include "tcp_ring.h"
#include "tcp_var.h"

#define SMSS 1000u
#define ISS  1000000u
#define IRS  5000000u
#define BIG  1000000u /* a cwnd_room that does not limit */

static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};

#define HINT_MSS                                                                                   \
	"a segment carries at most max_len octets (the SMSS less option room, RFC 9293 §3.7.1): " \
	"len = min(what waits, max_len, usable window)"
#define HINT_USABLE                                                                                \
	"the usable window is what the peer's window leaves above what is in flight, SND.UNA + "   \
	"SND.WND - SND.NXT (RFC 9293 §3.8.6.2.1: the window counts from SND.UNA, so the data "    \
	"in flight uses it up), and never more than cwnd_room (RFC 5681 §3.1)"
#define HINT_NAGLE                                                                                  \
	"Nagle (RFC 1122 §4.2.3.4, RFC 9293 §3.7.4): a segment shorter than max_len waits while " \
	"unacknowledged data is in flight; it goes once SND.UNA == SND.NXT, with TCP_NODELAY, "     \
	"or with the FIN"
#define HINT_NODELAY "TCP_NODELAY (nodelay true) turns Nagle off: the short last piece goes at once"
#define HINT_FULL                                                                                  \
	"a full-sized segment (len == max_len) always goes: Nagle only holds SHORT segments "      \
	"(RFC 1122 §4.2.3.4)"
#define HINT_SWS                                                                                   \
	"sender SWS avoidance (RFC 1122 §4.2.3.4 (3), Fs = 1/2): a short segment may go "         \
	"when it is at least half the largest window the peer ever offered (max_snd_wnd / 2), "    \
	"even with data in flight; smaller ones wait"
#define HINT_IDLE                                                                                  \
	"with nothing in flight a short segment goes when it is all the usable window allows, or " \
	"all that waits: no ACK is coming that would let more go (this stands in for RFC 1122 "    \
	"§4.2.3.4's override timeout)"
#define HINT_REXMT                                                                                 \
	"SND.NXT < SND.MAX is a retransmission (go-back-N after a timeout): it goes whatever "     \
	"its size"
#define HINT_FIN                                                                                   \
	"the FIN goes with the segment whose last octet is the last one queued (SND.NXT + len == " \
	"fin_seq, TF_FIN_QUEUED), or alone (len 0) once everything is sent; it is never held by "  \
	"Nagle"
#define HINT_FIN_WINDOW                                                                            \
	"the FIN takes a sequence number, so it needs an octet of the peer's window after the "    \
	"data (SND.UNA + SND.WND - SND.NXT > len, Linux tcp_snd_wnd_test): a receiver without "    \
	"window rejects it (RFC 9293 §3.10.7.4); it waits, like data, under the persist timer "   \
	"(tcp_persist_update counts a FIN not yet sent, SND.NXT <= fin_seq, as waiting)"
#define HINT_FIN_ONCE                                                                              \
	"the FIN takes one sequence number, fin_seq: once it is sent SND.NXT is fin_seq + 1 and "  \
	"no new FIN is due (compare SND.NXT + len == fin_seq exactly, not >=)"
#define HINT_ZERO                                                                                  \
	"a zero window (SND.WND == 0) leaves no usable window: no new data may go, however much "  \
	"waits (the persist timer probes instead, RFC 9293 §3.8.6.1)"
#define HINT_PERSIST                                                                                 \
	"tcp_persist_update: with data waiting, nothing in flight and SND.WND == 0, arm "            \
	"TCP_T_PERSIST for tcp_rto_us(pcb) (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17): nothing else " \
	"would ever make us send again"
#define HINT_BACKOFF                                                                               \
	"the persist interval doubles at each probe (tcp_timer.c persist_fire shifts it): "        \
	"tcp_persist_update must leave an armed timer and persist_shift alone (RFC 1122 "          \
	"§4.2.2.17: exponential backoff), arming only when it is not armed"
#define HINT_DISARM                                                                                \
	"once the window opens (SND.WND > 0) the persist timer must be disarmed, and the data "    \
	"goes"
#define HINT_RSWS                                                                                  \
	"receiver SWS avoidance (RFC 1122 §4.2.3.3, RFC 9293 §3.8.6.2.2): keep offering cur "    \
	"(RCV.ADV - RCV.NXT) until the right edge can move by min(RCV.BUFF / 2, MSS) — "         \
	"step = min(rcv_ring.cap / 2, rmss)"
#define HINT_SHRINK                                                                                \
	"the window never shrinks (RFC 9293 §3.8.6.2.2, RFC 7323 §2.4): when the space is less " \
	"than cur = RCV.ADV - RCV.NXT, offer cur"
#define HINT_SCALE                                                                                 \
	"RFC 7323 §2.3: the window field of a segment other than a SYN is the window >> "         \
	"rcv_wscale (the peer shifts it back), at most 65535"
#define HINT_ROUNDUP                                                                               \
	"a scaled window is rounded UP ((win + 2^wscale - 1) >> wscale): rounding down would "     \
	"move the right edge back, shrinking the window (RFC 7323 §2.4)"
#define HINT_SYN "RFC 7323 §2.2: the window in a SYN is never scaled: at most 65535"
#define HINT_ADV                                                                                   \
	"rcv_adv is the right edge advertised: RCV.NXT + (field << rcv_wscale) when that is "      \
	"beyond it, never moved back (tcp_in.c accepts data up to it)"

/* ---- tcp_send_decide on a bare pcb ---------------------------------------------- */

static void bare(struct tcp_pcb *p, uint32_t queued, uint32_t in_flight, uint32_t snd_wnd)
{
	memset(p, 0, sizeof(*p));
	p->smss = SMSS;
	p->snd_buf_seq = ISS + 1;
	p->snd_una = ISS + 1;
	p->snd_nxt = ISS + 1 + in_flight;
	p->snd_max = p->snd_nxt;
	p->snd_ring.cap = 1u << 20;
	p->snd_ring.len = queued; /* not read through: no storage needed */
	p->snd_wnd = snd_wnd;
	p->max_snd_wnd = 65535;
}

struct decision {
	bool send;
	uint32_t len;
	bool fin;
};

static struct decision decide(const struct tcp_pcb *p, uint32_t max_len, uint32_t cwnd_room,
			      bool nodelay)
{
	struct decision d = {false, 0xdeadbeefu, false};
	ex_step(
	    "tcp_send_decide: %u queued from SND.UNA, %u in flight, SND.WND %u, max_snd_wnd %u, "
	    "max_len %u, cwnd_room %u%s%s",
	    p->snd_ring.len - (p->snd_una - p->snd_buf_seq), p->snd_nxt - p->snd_una, p->snd_wnd,
	    p->max_snd_wnd, max_len, cwnd_room, nodelay ? ", TCP_NODELAY" : "",
	    (p->tf & TF_FIN_QUEUED) ? ", FIN queued" : "");
	d.send = tcp_send_decide(p, max_len, cwnd_room, nodelay, &d.len, &d.fin);
	ex_step("  -> %s, len %u%s", d.send ? "send" : "wait", d.len, d.fin ? ", FIN" : "");
	return d;
}

static void want(struct decision d, bool send, uint32_t len, bool fin, const char *id,
		 const char *hint)
{
	if (d.send != send || (send && (d.len != len || d.fin != fin)))
		ex_fail(id, hint, "expected %s (len %u%s), got %s (len %u%s)",
			send ? "send" : "wait", len, fin ? ", FIN" : "", d.send ? "send" : "wait",
			d.len, d.fin ? ", FIN" : "");
}

EX_CHECK(full_segments, "what waits is cut into segments of max_len octets")
{
	struct tcp_pcb p;
	bare(&p, 10000, 0, 65535);
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, true, SMSS, false, d.send && d.len > SMSS ? "out.mss" : "out.segment", HINT_MSS);
	ex_step("the same with 2000 in flight: a full segment is never held");
	bare(&p, 10000, 2000, 65535);
	d = decide(&p, SMSS, BIG, false);
	want(d, true, SMSS, false, !d.send ? "out.full-segment" : "out.mss", HINT_FULL);
	ex_step("max_len 872 (SACK blocks take option room): segments of 872");
	d = decide(&p, 872, BIG, false);
	want(d, true, 872, false, "out.mss", HINT_MSS);
}

EX_CHECK(usable_window, "never beyond SND.UNA + SND.WND, never beyond cwnd_room")
{
	struct tcp_pcb p;
	ex_step("nothing in flight, the peer offers 700: 700 go (all the window allows)");
	bare(&p, 5000, 0, 700);
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, true, 700, false, d.send && d.len > 700 ? "out.usable-window" : "out.idle",
	     d.send && d.len > 700 ? HINT_USABLE : HINT_IDLE);
	ex_step(
	    "3000 in flight of a window of 3500: 500 left, too short to go (max_snd_wnd 65535)");
	bare(&p, 10000, 3000, 3500);
	d = decide(&p, SMSS, BIG, false);
	if (d.send && d.len > 500)
		ex_fail("out.usable-window", HINT_USABLE,
			"sent %u octets from SND.NXT = SND.UNA + 3000: the peer's window ends at "
			"SND.UNA + 3500, %u octets beyond it",
			d.len, 3000 + d.len - 3500);
	want(d, false, 0, false, "out.sws-sender", HINT_SWS);
	ex_step("window 4000 with 3000 in flight: one full segment of 1000 fits exactly");
	bare(&p, 10000, 3000, 4000);
	d = decide(&p, SMSS, BIG, false);
	want(d, true, SMSS, false, "out.usable-window", HINT_USABLE);
	ex_step("cwnd_room 300, the peer's window wide open, nothing in flight: 300");
	bare(&p, 10000, 0, 65535);
	d = decide(&p, SMSS, 300, false);
	want(d, true, 300, false, d.send && d.len > 300 ? "out.cwnd" : "out.idle",
	     d.send && d.len > 300 ? HINT_USABLE : HINT_IDLE);
	ex_step("cwnd_room 0: nothing goes");
	d = decide(&p, SMSS, 0, false);
	want(d, false, 0, false, "out.cwnd", HINT_USABLE);
}

EX_CHECK(zero_window, "a zero window lets no data out")
{
	struct tcp_pcb p;
	bare(&p, 5000, 0, 0);
	struct decision d = decide(&p, SMSS, BIG, false);
	if (d.send && d.len)
		ex_fail("out.zero-window", HINT_ZERO, "sent %u octets into a zero window", d.len);
	want(d, false, 0, false, "out.zero-window", HINT_ZERO);
	ex_step("the same with TCP_NODELAY");
	d = decide(&p, SMSS, BIG, true);
	want(d, false, 0, false, "out.zero-window", HINT_ZERO);
	ex_step("the peer opens its window to 300: 300 go (nothing in flight)");
	p.snd_wnd = 300;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 300, false, d.send && d.len > 300 ? "out.usable-window" : "out.idle",
	     d.send && d.len > 300 ? HINT_USABLE : HINT_IDLE);
}

EX_CHECK(nagle_decide, "a short last piece waits while data is in flight")
{
	struct tcp_pcb p;
	ex_step("100 octets wait, 1000 in flight (SND.UNA + 1000 = SND.NXT)");
	bare(&p, 1100, 1000, 65535);
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, false, 0, false, "out.nagle", HINT_NAGLE);
	ex_step("the ACK comes: SND.UNA = SND.NXT, 100 octets wait, nothing in flight");
	bare(&p, 100, 0, 65535);
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 100, false, "out.nagle", HINT_NAGLE);
	ex_step("again 1000 in flight, 100 waiting, but TCP_NODELAY");
	bare(&p, 1100, 1000, 65535);
	d = decide(&p, SMSS, BIG, true);
	want(d, true, 100, false, "out.nodelay", HINT_NODELAY);
}

EX_CHECK(sender_sws, "a short segment of half the peer's largest window may go")
{
	struct tcp_pcb p;
	ex_step("max_snd_wnd 1000: 1000 in flight, the window leaves 500 (>= 1000 / 2)");
	bare(&p, 10000, 1000, 1500);
	p.max_snd_wnd = 1000;
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, true, 500, false, d.send && d.len > 500 ? "out.usable-window" : "out.sws-sender",
	     d.send && d.len > 500 ? HINT_USABLE : HINT_SWS);
	ex_step("max_snd_wnd 1002: 500 < 501, wait for more window");
	p.max_snd_wnd = 1002;
	d = decide(&p, SMSS, BIG, false);
	want(d, false, 0, false, "out.sws-sender", HINT_SWS);
}

EX_CHECK(retransmission, "a retransmission goes whatever its size")
{
	struct tcp_pcb p;
	ex_step("after a timeout: 400 were sent (SND.MAX = SND.UNA + 400), SND.NXT went back to "
		"SND.UNA and 100 were resent; 300 more to resend, 100 in flight");
	bare(&p, 400, 100, 65535);
	p.snd_max = p.snd_una + 400;
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, true, 300, false, "out.retransmit", HINT_REXMT);
}

EX_CHECK(fin_decide, "the FIN rides on the last segment, or goes alone, once")
{
	struct tcp_pcb p;
	ex_step("300 queued then closed: fin_seq = SND.UNA + 300, nothing in flight");
	bare(&p, 300, 0, 65535);
	p.tf |= TF_FIN_QUEUED;
	p.fin_seq = p.snd_buf_seq + 300;
	struct decision d = decide(&p, SMSS, BIG, false);
	want(d, true, 300, true, "out.fin", HINT_FIN);
	ex_step("2500 queued then closed: the first segment is not the last");
	bare(&p, 2500, 0, 65535);
	p.tf |= TF_FIN_QUEUED;
	p.fin_seq = p.snd_buf_seq + 2500;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, SMSS, false, "out.fin", HINT_FIN);
	ex_step("the last 500 of them, 2000 in flight: Nagle does not hold the FIN's segment");
	p.snd_nxt = p.snd_max = p.snd_una + 2000;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 500, true, d.send ? "out.fin" : "out.nagle-fin", HINT_FIN);
	ex_step("everything sent, SND.NXT = fin_seq (the FIN comes after): a bare FIN");
	p.snd_nxt = p.snd_max = p.fin_seq;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 0, true, "out.fin", HINT_FIN);
	ex_step("the same, but the peer's window ends at fin_seq: no room for the FIN");
	p.snd_wnd = 2500;
	d = decide(&p, SMSS, BIG, false);
	want(d, false, 0, false, "out.fin-window", HINT_FIN_WINDOW);
	ex_step("300 queued then closed, the peer's window 300: the data goes, the FIN waits");
	bare(&p, 300, 0, 300);
	p.tf |= TF_FIN_QUEUED;
	p.fin_seq = p.snd_buf_seq + 300;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 300, false, "out.fin-window", HINT_FIN_WINDOW);
	ex_step("the peer's window 301: room for both");
	p.snd_wnd = 301;
	d = decide(&p, SMSS, BIG, false);
	want(d, true, 300, true, "out.fin-window", HINT_FIN_WINDOW);
	ex_step("the FIN sent: SND.NXT = fin_seq + 1; nothing more is due");
	bare(&p, 300, 0, 65535);
	p.tf |= TF_FIN_QUEUED;
	p.fin_seq = p.snd_buf_seq + 300;
	p.snd_nxt = p.snd_max = p.fin_seq + 1;
	p.tf |= TF_FIN_SENT;
	d = decide(&p, SMSS, BIG, false);
	want(d, false, 0, false, "out.fin-once", HINT_FIN_ONCE);
}

/* The rules of tcp_send_decide's comment, written again from it (the model). */
static struct decision model(const struct tcp_pcb *p, uint32_t max_len, uint32_t cwnd_room,
			     bool nodelay, const char **id, const char **hint)
{
	uint32_t off = p->snd_nxt - p->snd_buf_seq;
	uint32_t avail = p->snd_ring.len > off ? p->snd_ring.len - off : 0;
	uint32_t flight = p->snd_nxt - p->snd_una;
	uint32_t wnd = p->snd_wnd > flight ? p->snd_wnd - flight : 0;
	uint32_t usable = wnd < cwnd_room ? wnd : cwnd_room;
	uint32_t len = avail;
	if (len > max_len)
		len = max_len;
	if (len > usable)
		len = usable;
	bool fin_due = (p->tf & TF_FIN_QUEUED) && p->snd_nxt + len == p->fin_seq;
	bool fin = fin_due && wnd > len;
	struct decision d = {true, len, fin};
	bool rexmt = (int32_t)(p->snd_nxt - p->snd_max) < 0;
	*id = "out.usable-window";
	*hint = HINT_USABLE;
	if (len == max_len) {
		*id = "out.full-segment", *hint = HINT_FULL;
	} else if (len && rexmt) {
		*id = "out.retransmit", *hint = HINT_REXMT;
	} else if (len && len == avail && (nodelay || !flight || fin_due)) {
		*id = fin_due	? (fin ? "out.fin" : "out.fin-window")
		      : nodelay ? "out.nodelay"
				: "out.nagle";
		*hint = fin_due	  ? (fin ? HINT_FIN : HINT_FIN_WINDOW)
			: nodelay ? HINT_NODELAY
				  : HINT_NAGLE;
	} else if (len && p->max_snd_wnd && len >= p->max_snd_wnd / 2) {
		*id = "out.sws-sender", *hint = HINT_SWS;
	} else if (len && !flight) {
		*id = "out.idle", *hint = HINT_IDLE;
	} else if (!len && fin && !avail) {
		*id = "out.fin", *hint = HINT_FIN;
	} else {
		d.send = false;
		if (len && len == avail)
			*id = "out.nagle", *hint = HINT_NAGLE;
		else if (len)
			*id = "out.sws-sender", *hint = HINT_SWS;
		else if (fin_due && !avail)
			*id = "out.fin-window", *hint = HINT_FIN_WINDOW;
		else if (p->tf & TF_FIN_SENT)
			*id = "out.fin-once", *hint = HINT_FIN_ONCE;
	}
	return d;
}

static uint32_t pick(uint32_t n)
{
	return (uint32_t)(ex_rand() % n);
}

EX_CHECK(random_decisions, "2000 seeded cases against the rules, across the 2^32 wrap")
{
	static const uint32_t lens[] = {536, 872, 1000, 1448, 1460};
	for (int i = 0; i < 2000; i++) {
		struct tcp_pcb p;
		uint32_t q = pick(6000);
		uint32_t f = pick(q + 1);
		bare(&p, q, 0, 0);
		/* Half the cases straddle the wrap of sequence space. */
		uint32_t base = i % 2 ? (uint32_t)ex_rand() : UINT32_MAX - pick(4000);
		p.snd_buf_seq = p.snd_una = base;
		p.snd_nxt = p.snd_max = base + f;
		if (pick(4) == 0)
			p.snd_max += pick(q - f + 1); /* going back over sent data */
		if (pick(2)) {
			p.tf |= TF_FIN_QUEUED;
			p.fin_seq = base + q;
			if (f == q && pick(2)) {
				p.tf |= TF_FIN_SENT;
				p.snd_nxt = p.snd_max = p.fin_seq + 1;
			}
		}
		uint32_t w[] = {0, pick(3000), 65535, 1u << 20};
		p.snd_wnd = w[pick(4)];
		p.max_snd_wnd = p.snd_wnd + pick(2) * pick(70000);
		uint32_t max_len = lens[pick(5)];
		uint32_t c[] = {0, pick(5000), BIG};
		uint32_t cwnd_room = c[pick(3)];
		bool nodelay = pick(4) == 0;
		const char *id, *hint;
		struct decision m = model(&p, max_len, cwnd_room, nodelay, &id, &hint);
		struct decision d = {false, 0xdeadbeefu, false};
		d.send = tcp_send_decide(&p, max_len, cwnd_room, nodelay, &d.len, &d.fin);
		if (d.send != m.send || (m.send && (d.len != m.len || d.fin != m.fin))) {
			decide(&p, max_len, cwnd_room, nodelay);
			ex_step("(case %d of seed %llu: SND.UNA %u, SND.NXT %u, SND.MAX %u, "
				"fin_seq %u%s)",
				i, (unsigned long long)ex_seed(), p.snd_una, p.snd_nxt, p.snd_max,
				p.fin_seq, (p.tf & TF_FIN_QUEUED) ? "" : " (no FIN queued)");
			if (d.send && d.len > m.len && m.send)
				id = "out.usable-window", hint = HINT_USABLE;
			want(d, m.send, m.len, m.fin, id, hint);
		}
	}
}

/* ---- tcp_window_to_advertise on a bare pcb ---------------------------------------- */

static void rbare(struct tcp_pcb *p, uint32_t cap, uint32_t used, uint32_t cur, uint8_t wscale)
{
	memset(p, 0, sizeof(*p));
	p->irs = IRS;
	p->rcv_nxt = IRS + 1;
	p->rcv_adv = p->rcv_nxt + cur;
	p->rcv_ring.cap = cap;
	p->rcv_ring.len = used;
	p->rcv_ssthresh = cap; /* fully grown: the space is the free ring */
	p->rmss = 1460;
	p->rcv_wscale = wscale;
}

static uint16_t advertise(struct tcp_pcb *p, bool syn)
{
	uint32_t cur_before = p->rcv_adv - p->rcv_nxt;
	uint16_t f = tcp_window_to_advertise(p, syn);
	ex_step("%sring %u/%u free, offered before RCV.ADV - RCV.NXT = %u, wscale %u -> field %u "
		"(%u octets), RCV.ADV - RCV.NXT now %u",
		syn ? "SYN: " : "", p->rcv_ring.cap - p->rcv_ring.len, p->rcv_ring.cap, cur_before,
		p->rcv_wscale, f, syn ? f : (uint32_t)f << p->rcv_wscale, p->rcv_adv - p->rcv_nxt);
	return f;
}

EX_CHECK(window_scaled, "the window field is scaled down by rcv_wscale, rounded up")
{
	struct tcp_pcb p;
	rbare(&p, 1u << 20, 0, 0, 7);
	uint16_t f = advertise(&p, false);
	if (f != 8192)
		ex_fail(f == 65535 ? "out.rwnd-scale" : "out.rwnd", HINT_SCALE,
			"field %u, expected 1048576 >> 7 = 8192", f);
	if (p.rcv_adv != p.rcv_nxt + (1u << 20))
		ex_fail("out.rwnd-adv", HINT_ADV, "RCV.ADV - RCV.NXT is %u, expected %u",
			p.rcv_adv - p.rcv_nxt, 1u << 20);
	ex_step("100000 octets free: 100000 / 128 = 781.25");
	rbare(&p, 1u << 20, (1u << 20) - 100000, 0, 7);
	f = advertise(&p, false);
	if (f != 782)
		ex_fail(f == 781 ? "out.rwnd-round-up" : "out.rwnd-scale",
			f == 781 ? HINT_ROUNDUP : HINT_SCALE, "field %u, expected 782 (rounded up)",
			f);
	if (p.rcv_wnd != 100000)
		ex_fail("out.rwnd", "rcv_wnd is the space found (rcv_space): 100000 here",
			"rcv_wnd %u, expected 100000", p.rcv_wnd);
	ex_step("the SYN of the same connection: never scaled");
	rbare(&p, 1u << 20, 0, 0, 7);
	f = advertise(&p, true);
	if (f != 65535)
		ex_fail("out.rwnd-syn", HINT_SYN, "SYN window field %u, expected 65535", f);
	if (p.rcv_adv != p.rcv_nxt + 65535)
		ex_fail("out.rwnd-adv", HINT_ADV,
			"after the SYN RCV.ADV - RCV.NXT is %u, expected 65535",
			p.rcv_adv - p.rcv_nxt);
}

EX_CHECK(window_sws, "the right edge moves by at least min(RCV.BUFF/2, MSS), never back")
{
	struct tcp_pcb p;
	ex_step("10000 offered; the reader frees space for 10500 (< 10000 + 1460): still 10000");
	rbare(&p, 65536, 65536 - 10500, 10000, 0);
	uint16_t f = advertise(&p, false);
	if (f != 10000)
		ex_fail(f < 10000 ? "out.rwnd-shrink" : "out.rwnd-sws",
			f < 10000 ? HINT_SHRINK : HINT_RSWS, "field %u, expected 10000", f);
	ex_step("11460 free (10000 + one MSS): the edge moves, 11460");
	rbare(&p, 65536, 65536 - 11460, 10000, 0);
	f = advertise(&p, false);
	if (f != 11460)
		ex_fail("out.rwnd-sws", HINT_RSWS, "field %u, expected 11460", f);
	ex_step("a small ring (cap 2000): step = cap / 2 = 1000; 1100 over cur is enough");
	rbare(&p, 2000, 0, 900, 0);
	f = advertise(&p, false);
	if (f != 2000)
		ex_fail("out.rwnd-sws", HINT_RSWS, "field %u, expected 2000", f);
	ex_step("10000 offered, 4000 free (data arrived and waits for the reader): still 10000");
	rbare(&p, 65536, 65536 - 4000, 10000, 0);
	f = advertise(&p, false);
	if (f != 10000)
		ex_fail("out.rwnd-shrink", HINT_SHRINK, "field %u, expected 10000 (never shrink)",
			f);
	if (p.rcv_adv != p.rcv_nxt + 10000)
		ex_fail("out.rwnd-adv", HINT_ADV, "RCV.ADV - RCV.NXT is %u, expected 10000",
			p.rcv_adv - p.rcv_nxt);
	ex_step("nothing offered yet, 0 free: 0");
	rbare(&p, 65536, 65536, 0, 0);
	f = advertise(&p, false);
	if (f != 0)
		ex_fail("out.rwnd", HINT_RSWS, "field %u, expected 0", f);
}

/* ---- a connection of a stack with your file ------------------------------------------- */

struct conn {
	struct ex_stack s;
	struct tcp_pcb *pcb;
};

struct seg {
	uint32_t seq, ack, len;
	uint8_t flags;
	uint16_t win;
};

static void conn_open(struct conn *c, uint32_t snd_wnd)
{
	ex_stack_init(&c->s, NULL);
	arp_static_add(&c->s.st, 0x0a000001u, MAC_PEER, false);
	struct tcp_pcb *p = tcp_pcb_new(&c->s.st);
	if (!p)
		ex_fail("harness", "out of memory", "tcp_pcb_new failed");
	c->pcb = p;
	p->state = TCPS_ESTABLISHED;
	p->local_ip = ip_addr_v4(0x0a000002u);
	p->remote_ip = ip_addr_v4(0x0a000001u);
	p->local_port = 8080;
	p->remote_port = 40000;
	p->iss = ISS;
	p->snd_una = p->snd_nxt = p->snd_max = p->snd_buf_seq = p->pushed_seq = ISS + 1;
	p->irs = IRS;
	p->rcv_nxt = IRS + 1;
	p->rcv_ring.cap = 65536;
	p->rcv_ssthresh = 65536;
	p->rcv_adv = p->rcv_nxt + 65535;
	p->rmss = 1460;
	p->smss = SMSS;
	p->cwnd = 100 * SMSS;
	p->ssthresh = UINT32_MAX;
	p->snd_wnd = snd_wnd;
	p->max_snd_wnd = snd_wnd ? snd_wnd : 65535;
	p->snd_ring.cap = 65536;
	if (tcp_ring_attach(&c->s.st, &p->snd_ring) < 0)
		ex_fail("harness", "out of memory", "tcp_ring_attach failed");
	ex_step(
	    "connection 10.0.0.2:8080 - 10.0.0.1:40000 ESTABLISHED, SND.UNA = SND.NXT = ISS + 1 "
	    "= %u, SND.WND %u, SMSS %u, cwnd %u",
	    ISS + 1, snd_wnd, SMSS, p->cwnd);
}

static void conn_close(struct conn *c)
{
	tcp_pcb_free(c->pcb);
	ex_stack_free(&c->s);
}

static void app_write(struct conn *c, uint32_t n)
{
	uint8_t buf[4096];
	for (uint32_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('a' + i % 26);
	ex_step("the application writes %u octets", n);
	while (n) {
		uint32_t k = n < sizeof(buf) ? n : (uint32_t)sizeof(buf);
		tcp_ring_write(&c->pcb->snd_ring, buf, k);
		n -= k;
	}
}

static void output(struct conn *c, const char *why)
{
	ex_step("tcp_output (%s)", why);
	tcp_output(c->pcb);
}

/* The peer acknowledges everything sent, with a window of wnd (tcp_in.c's part). */
static void peer_acks_all(struct conn *c, uint32_t wnd)
{
	struct tcp_pcb *p = c->pcb;
	uint32_t n = p->snd_max - p->snd_una;
	if (p->tf & TF_FIN_SENT && p->snd_max == p->fin_seq + 1)
		n--;
	ex_step("the peer ACKs %u octets (ACK = SND.MAX = %u), window %u", n, p->snd_max, wnd);
	tcp_ring_consume(&p->snd_ring, n);
	p->snd_buf_seq += n;
	p->snd_una = p->snd_max;
	p->snd_wnd = wnd;
	if (wnd > p->max_snd_wnd)
		p->max_snd_wnd = wnd;
	p->probes_out = 0;
	tcp_timer_disarm(p, TCP_T_REXMT);
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The next TCP segment the stack sent; false when there is none. */
static bool sent(struct conn *c, struct seg *g)
{
	uint8_t f[2048];
	for (;;) {
		size_t n = ex_stack_tx(&c->s, f, sizeof(f));
		if (!n)
			return false;
		if (n < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || f[23] != 6)
			continue; /* not TCP over IPv4 */
		size_t ihl = (size_t)(f[14] & 15) * 4;
		size_t tot = (size_t)f[16] << 8 | f[17];
		const uint8_t *t = f + 14 + ihl;
		size_t doff = (size_t)(t[12] >> 4) * 4;
		g->seq = be32(t + 4);
		g->ack = be32(t + 8);
		g->flags = t[13];
		g->win = (uint16_t)(t[14] << 8 | t[15]);
		g->len = (uint32_t)(tot - ihl - doff);
		return true;
	}
}

static const char *flags_str(uint8_t fl)
{
	static char s[32];
	snprintf(s, sizeof(s), "%s%s%s%s", fl & TCP_FIN ? "FIN " : "", fl & TCP_PSH ? "PSH " : "",
		 fl & TCP_ACK ? "ACK" : "", fl & TCP_RST ? " RST" : "");
	return s;
}

/* Expects one data segment <SEQ=seq> with len octets (FIN when fin). */
static void expect_seg(struct conn *c, uint32_t seq, uint32_t len, bool fin, const char *id,
		       const char *hint)
{
	struct seg g;
	if (!sent(c, &g))
		ex_fail(id, hint, "expected a segment SEQ=%u LEN=%u%s; nothing was sent", seq, len,
			fin ? " FIN" : "");
	if (g.seq != seq || g.len != len || !!(g.flags & TCP_FIN) != fin)
		ex_fail(id, hint, "expected SEQ=%u LEN=%u%s, sent SEQ=%u LEN=%u %s", seq, len,
			fin ? " FIN" : "", g.seq, g.len, flags_str(g.flags));
}

static void expect_none(struct conn *c, const char *what, const char *id, const char *hint)
{
	struct seg g;
	if (sent(c, &g))
		ex_fail(id, hint, "expected nothing (%s), sent SEQ=%u LEN=%u %s", what, g.seq,
			g.len, flags_str(g.flags));
}

EX_CHECK(nagle_segments, "the stack sends a short segment, holds the next until the ACK")
{
	struct conn c;
	conn_open(&c, 65535);
	app_write(&c, 100);
	output(&c, "after the write");
	expect_seg(&c, ISS + 1, 100, false, "out.idle", HINT_IDLE);
	app_write(&c, 100);
	output(&c, "after the second write, the first 100 unacknowledged");
	expect_none(&c, "Nagle holds 100 octets while 100 are in flight", "out.nagle", HINT_NAGLE);
	app_write(&c, 50);
	output(&c, "a third write: 150 wait now, still short");
	expect_none(&c, "still short, still in flight", "out.nagle", HINT_NAGLE);
	peer_acks_all(&c, 65535);
	output(&c, "after the ACK");
	expect_seg(&c, ISS + 101, 150, false, "out.nagle", HINT_NAGLE);
	expect_none(&c, "everything was sent", "out.nagle", HINT_NAGLE);
	conn_close(&c);
}

EX_CHECK(bulk_segments, "a large write goes as full segments within the window")
{
	struct conn c;
	conn_open(&c, 5500);
	app_write(&c, 20000);
	output(&c, "after the write; the peer's window is 5500");
	for (uint32_t i = 0; i < 5; i++)
		expect_seg(&c, ISS + 1 + i * SMSS, SMSS, false, "out.mss", HINT_MSS);
	struct seg g;
	if (sent(&c, &g))
		ex_fail(
		    g.seq + g.len > ISS + 1 + 5500 ? "out.usable-window" : "out.sws-sender",
		    g.seq + g.len > ISS + 1 + 5500 ? HINT_USABLE : HINT_SWS,
		    "after 5 segments of 1000 the window leaves 500 (< 5500 / 2) with data in "
		    "flight: nothing more should go, sent SEQ=%u LEN=%u (the window ends at %u)",
		    g.seq, g.len, ISS + 1 + 5500);
	peer_acks_all(&c, 5500);
	output(&c, "after the ACK of all five");
	for (uint32_t i = 5; i < 10; i++)
		expect_seg(&c, ISS + 1 + i * SMSS, SMSS, false, "out.usable-window", HINT_USABLE);
	expect_none(&c, "the window is full again", "out.usable-window", HINT_USABLE);
	conn_close(&c);
}

EX_CHECK(fin_once, "close: the FIN follows the last octet, once, with the right sequence")
{
	struct conn c;
	conn_open(&c, 65535);
	app_write(&c, 2300);
	struct tcp_pcb *p = c.pcb;
	ex_step("the application closes: FIN queued after the 2300 octets (fin_seq %u)",
		ISS + 1 + 2300);
	p->tf |= TF_FIN_QUEUED;
	p->fin_seq = p->snd_buf_seq + p->snd_ring.len;
	p->state = TCPS_FIN_WAIT_1;
	output(&c, "after the close");
	expect_seg(&c, ISS + 1, SMSS, false, "out.fin", HINT_FIN);
	expect_seg(&c, ISS + 1001, SMSS, false, "out.fin", HINT_FIN);
	expect_seg(&c, ISS + 2001, 300, true, "out.fin", HINT_FIN);
	expect_none(&c, "the FIN is sent", "out.fin-once", HINT_FIN_ONCE);
	if (p->snd_nxt != ISS + 1 + 2300 + 1)
		ex_fail("out.fin", HINT_FIN,
			"SND.NXT is %u after the FIN, expected fin_seq + 1 = %u", p->snd_nxt,
			ISS + 2302);
	output(&c, "again (an ACK of part of the data arrived, say)");
	expect_none(&c, "the FIN was sent already", "out.fin-once", HINT_FIN_ONCE);
	conn_close(&c);

	conn_open(&c, 65535);
	p = c.pcb;
	app_write(&c, 100);
	output(&c, "after the write");
	expect_seg(&c, ISS + 1, 100, false, "out.idle", HINT_IDLE);
	peer_acks_all(&c, 65535);
	ex_step("the application closes with nothing left to send (fin_seq %u)", ISS + 101);
	p->tf |= TF_FIN_QUEUED;
	p->fin_seq = p->snd_buf_seq + p->snd_ring.len;
	p->state = TCPS_FIN_WAIT_1;
	output(&c, "after the close");
	expect_seg(&c, ISS + 101, 0, true, "out.fin", HINT_FIN);
	output(&c, "again");
	expect_none(&c, "the FIN was sent already", "out.fin-once", HINT_FIN_ONCE);
	conn_close(&c);
}

EX_CHECK(fin_window, "the FIN waits for a window octet, under the persist timer")
{
	struct conn c;
	conn_open(&c, 300);
	struct tcp_pcb *p = c.pcb;
	app_write(&c, 300);
	ex_step("the application closes: FIN queued after the 300 octets, the peer's window 300");
	p->tf |= TF_FIN_QUEUED;
	p->fin_seq = p->snd_buf_seq + p->snd_ring.len;
	p->state = TCPS_FIN_WAIT_1;
	output(&c, "after the close");
	expect_seg(&c, ISS + 1, 300, false, "out.fin-window", HINT_FIN_WINDOW);
	expect_none(&c, "the window is full", "out.fin-window", HINT_FIN_WINDOW);
	peer_acks_all(&c, 0);
	output(&c, "after the ACK, window 0");
	expect_none(&c, "the window is 0", "out.fin-window", HINT_FIN_WINDOW);
	if (!tcp_timer_armed(p, TCP_T_PERSIST))
		ex_fail("out.fin-window", HINT_FIN_WINDOW,
			"the persist timer is not armed: the FIN waits and nothing would send it");
	ex_stack_advance(&c.s, tcp_rto_us(p) + 20000);
	struct seg g;
	if (!sent(&c, &g))
		ex_fail("out.fin-window", HINT_FIN_WINDOW, "no window probe after one RTO");
	ex_step("probe: SEQ=%u LEN=%u %s", g.seq, g.len, flags_str(g.flags));
	ex_step("the peer opens its window: 1000");
	p->snd_wnd = 1000;
	output(&c, "after the window update");
	expect_seg(&c, ISS + 301, 0, true, "out.fin-window", HINT_FIN_WINDOW);
	conn_close(&c);
}

EX_CHECK(persist, "a zero window: no data, the persist timer, probes backing off")
{
	struct conn c;
	conn_open(&c, 0);
	struct tcp_pcb *p = c.pcb;
	app_write(&c, 500);
	output(&c, "after the write; the peer's window is 0");
	struct seg g;
	if (sent(&c, &g))
		ex_fail(g.len ? "out.zero-window" : "out.persist", g.len ? HINT_ZERO : HINT_PERSIST,
			"sent SEQ=%u LEN=%u %s into a zero window (the persist timer probes, not "
			"tcp_output)",
			g.seq, g.len, flags_str(g.flags));
	if (!tcp_timer_armed(p, TCP_T_PERSIST))
		ex_fail("out.persist", HINT_PERSIST, "the persist timer is not armed");
	uint64_t rto = tcp_rto_us(p);
	ex_step("the RTO is %llu ms: probes are due after 1, 2 and 4 RTOs",
		(unsigned long long)(rto / 1000));
	uint64_t due = c.s.now_us;
	for (unsigned k = 0; k < 3; k++) {
		uint64_t d = rto << k;
		due += d;
		ex_stack_advance(&c.s, due - 20000 - c.s.now_us);
		if (sent(&c, &g))
			ex_fail(
			    k ? "out.persist-backoff" : "out.persist",
			    k ? HINT_BACKOFF : HINT_PERSIST,
			    "probe %u came less than %llu ms after the previous one: the interval "
			    "must double each time",
			    k + 1, (unsigned long long)(d / 1000));
		ex_stack_advance(&c.s, 40000);
		if (!sent(&c, &g))
			ex_fail("out.persist", HINT_PERSIST, "no window probe %llu ms after the %s",
				(unsigned long long)(d / 1000),
				k ? "previous probe" : "zero window");
		ex_step("probe %u: SEQ=%u LEN=%u %s", k + 1, g.seq, g.len, flags_str(g.flags));
		if (g.seq + g.len > p->snd_una)
			ex_fail("out.zero-window", HINT_ZERO,
				"the probe carries octets beyond SND.UNA + SND.WND = %u",
				p->snd_una);
		ex_step("the peer answers the probe: window still 0");
		p->probes_out = 0;
		output(&c, "after that ACK, as tcp_in.c calls it");
		expect_none(&c, "the window is still 0", "out.zero-window", HINT_ZERO);
	}
	ex_step("the peer opens its window: 4000");
	p->snd_wnd = 4000;
	output(&c, "after the window update");
	expect_seg(&c, ISS + 1, 500, false, "out.persist-disarm", HINT_DISARM);
	if (tcp_timer_armed(p, TCP_T_PERSIST))
		ex_fail("out.persist-disarm", HINT_DISARM,
			"the persist timer is still armed with the window open");
	conn_close(&c);
}

EX_CHECK(advertised_window, "the segments sent carry the window, scaled")
{
	struct conn c;
	conn_open(&c, 65535);
	struct tcp_pcb *p = c.pcb;
	ex_step("our ring 65536 octets, rcv_wscale 2, 65535 offered so far");
	p->rcv_wscale = 2;
	app_write(&c, 100);
	output(&c, "after the write");
	struct seg g;
	if (!sent(&c, &g))
		ex_fail("out.idle", HINT_IDLE, "nothing was sent");
	ex_step("sent SEQ=%u LEN=%u %s WIN=%u", g.seq, g.len, flags_str(g.flags), g.win);
	if (g.win != 16384)
		ex_fail(g.win == 65535 ? "out.rwnd-scale" : "out.rwnd", HINT_SCALE,
			"window field %u, expected 65536 >> 2 = 16384", g.win);
	conn_close(&c);
}
