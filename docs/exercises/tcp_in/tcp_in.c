/*
 * tcp_in.c - segment arrival, RFC 9293 §3.10.7 step by step: YOUR VERSION
 * (exercise "tcp_in", docs/exercises/tcp_in/README.md).  `make exercise
 * NAME=tcp_in` builds the stack with this file in place of stack/tcp_in.c
 * and checks it.
 *
 * Yours to write (TODO below): the state machine of segment arrival.
 *   §3.10.7.1 CLOSED        closed_input
 *   §3.10.7.2 LISTEN        listen_input (the passive open)
 *   §3.10.7.3 SYN-SENT      syn_sent_input (the active open, simultaneous open)
 *   §3.10.7.4 other states  check_sequence (acceptability), check_rst
 *                           (RFC 5961 §3), check_syn (RFC 5961 §4),
 *                           check_ack (RFC 5961 §5, the close states),
 *                           check_fin (FIN, CLOSE-WAIT, CLOSING, TIME-WAIT)
 * Given: tcp_input (parse, checksum, lookup, dispatch to the functions
 * above, and the exits each step chooses: DONE, DROP, DROP_AFTER_ACK,
 * DROP_WITH_RESET); synchronized_input, which calls the §3.10.7.4 steps in
 * the RFC's order; SYN cookies (send_cookie, cookie_ack, RFC 4987); the
 * rate limit of ACKs to invalid segments and send_challenge_ack (RFC 5961
 * §7); trim_to_window; segment_acceptable (timestamps, keep-alive);
 * handshake_timers (the RTT sample and RTO once our SYN is acknowledged);
 * handshake_acked (what completes a passive handshake); ack_update (SACK,
 * loss recovery, the send window: tcp_recovery.c); process_text (the
 * receive ring, out of order, delayed ACKs) and the TIME-WAIT reuse of
 * RFC 6191.
 *
 * Each step returns NEXT (go on with the next step) or an exit named after
 * what the peer sees: DONE (consumed), DROP, DROP_AFTER_ACK (dropped, the
 * peer gets an ACK), DROP_WITH_RESET (dropped, the peer gets a RST built
 * from the segment, RFC 9293 §3.10.7.1).  A drop names its reason
 * (stack/drop.h: drop(c, DROP_TCP_...)): the stack counts every received
 * frame that it did not deliver under one.
 *
 * Numbers are sequence numbers: compare them with seq_lt, seq_leq, seq_gt,
 * seq_geq and seq_in (tcp_seq.h), never with < (they wrap at 2^32).  SND.NXT
 * in the RFC's text is pcb->snd_max here (the highest sequence number
 * sent: snd_nxt goes back when a segment is retransmitted).
 *
 * Read first: RFC 9293 §3.10.7 (all of it), §3.4 (acceptability), §3.5
 * (figures 6-8), §3.6 (figures 12-13, TIME-WAIT), RFC 5961 §3-5 and §7.
 */
#include <errno.h>
#include <string.h>

#include "socket.h"
#include "ipv4.h"
#include "stack.h"
#include "tcp_syncookie.h"
#include "tcp_var.h"
#include "tcp_seq.h"

enum step {
	NEXT,		 /* continue with the next step */
	DONE,		 /* segment consumed */
	DROP,		 /* silently dropped */
	DROP_AFTER_ACK,	 /* dropped, but the peer gets an ACK */
	DROP_WITH_RESET, /* dropped, the peer gets a RST */
};

/* One segment in RFC words (SEG.SEQ, SEG.ACK, SEG.LEN, SEG.WND). */
struct tcp_ctx {
	struct stack *st;
	struct ts_buf *b;
	struct tcp_view v;   /* header as received */
	struct tcp_opts opt; /* its options */
	struct tcp_pcb *pcb; /* NULL when none, or once freed */
	uint32_t seq;	     /* SEG.SEQ after trimming */
	uint8_t flags;	     /* control bits after trimming (SYN/FIN may be cut) */
	const uint8_t *data; /* segment text after trimming */
	uint32_t data_len;
	enum ts_drop_reason reason; /* why, for the drop exits */
	bool window_changed;	    /* for the duplicate-ACK test */
};

__attribute__((unused)) static uint32_t seg_len(const struct tcp_ctx *c)
{
	return c->data_len + !!(c->flags & TCP_SYN) + !!(c->flags & TCP_FIN);
}

static enum step drop(struct tcp_ctx *c, enum ts_drop_reason r)
{
	c->reason = r;
	return DROP;
}

static enum step drop_after_ack(struct tcp_ctx *c, enum ts_drop_reason r)
{
	c->reason = r;
	return DROP_AFTER_ACK;
}

static enum step drop_with_reset(struct tcp_ctx *c, enum ts_drop_reason r)
{
	c->reason = r;
	return DROP_WITH_RESET;
}

/*
 * RFC 5961 §7 asks that ACKs sent in answer to invalid segments be rate
 * limited, so that two confused peers (or a forger and us) cannot ACK each
 * other at line rate.  Linux tcp_oow_rate_limited: one such ACK per
 * connection per tcp_invalid_ratelimit_ms, for out-of-window segments, PAWS
 * failures, retransmitted SYNs in SYN-RECEIVED and challenge ACKs alike.
 * With data_exempt, a segment with data or FIN and no SYN is always
 * answered: it is no part of an ACK loop, and a retransmission whose ACK
 * was lost needs its ACK now.  Returns true when the ACK must not be sent.
 */
static bool oow_rate_limited(struct tcp_ctx *c, bool data_exempt)
{
	struct tcp_pcb *pcb = c->pcb;
	struct stack *st = c->st;
	if (data_exempt && (c->v.payload_len || (c->v.flags & TCP_FIN)) && !(c->v.flags & TCP_SYN))
		return false;
	if (st->now_us < pcb->oow_ack_next_us) {
		ts_count(st, CTR_TCP_ACKS_RATE_LIMITED);
		return true;
	}
	pcb->oow_ack_next_us = st->now_us + st->cfg.tcp_invalid_ratelimit_ms * 1000ull;
	return false;
}

/*
 * The per-stack challenge-ACK budget (RFC 5961 §7 "a system-wide limit"),
 * only when cfg.tcp_challenge_ack_limit is set: at most a number drawn at
 * random in [limit/2, limit + limit/2 - 1] each second (Linux
 * tcp_send_challenge_ack after CVE-2016-5696).  Off by default, as in
 * Linux since 6.0: one counter shared by every connection is a side
 * channel (an off-path attacker that spends the budget learns from the
 * challenge ACKs its own connection gets whether it guessed another
 * connection's window), the random draw only blurs it, and the
 * per-connection limit above already stops ACK loops.
 */
static bool challenge_budget_spent(struct stack *st)
{
	uint32_t limit = st->cfg.tcp_challenge_ack_limit;
	struct tcp_state *t = st->tcp;
	if (!limit)
		return false;
	uint64_t second = st->now_us / 1000000u + 1; /* 0: never drawn */
	if (second != t->challenge_second) {
		uint32_t half = (limit + 1) / 2;
		t->challenge_second = second;
		t->challenge_left = half + (uint32_t)(ts_rand(st) % limit);
	}
	if (!t->challenge_left)
		return true;
	t->challenge_left--;
	return false;
}

/* RFC 5961 §3.2, §4.2, §5.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate limited (§7). */
__attribute__((unused)) static void send_challenge_ack(struct tcp_ctx *c)
{
	if (oow_rate_limited(c, false))
		return;
	if (challenge_budget_spent(c->st)) {
		ts_count(c->st, CTR_TCP_CHALLENGE_ACKS_BUDGET_LIMITED);
		return;
	}
	ts_count(c->st, CTR_TCP_CHALLENGE_ACKS);
	tcp_send_ack(c->pcb);
}

/* TCP_INFO's receive counters, and the largest segment seen (Linux icsk_ack.rcv_mss). */
static void tcp_count_rx(struct tcp_pcb *pcb, const struct tcp_view *v)
{
	pcb->segs_in++;
	if (v->payload_len) {
		pcb->data_segs_in++;
		uint32_t mss = v->payload_len < pcb->rmss ? v->payload_len : pcb->rmss;
		if (mss > pcb->rcv_mss)
			pcb->rcv_mss = (uint16_t)mss;
	}
}

/* The connection is reset by the peer or refused; err goes to SO_ERROR. */
static void conn_reset(struct tcp_ctx *c, int err)
{
	struct tcp_pcb *pcb = c->pcb;
	pcb->tf |= TF_RESET;
	if (pcb->sock && err)
		pcb->sock->so_error = err;
	tcp_pcb_close(pcb, &c->v);
	c->pcb = NULL;
}

/* Options of a SYN: what both sides agreed on (RFC 7323 §2.2, §3.2; RFC 2018 §2). */
__attribute__((unused)) static void negotiate_options(struct tcp_pcb *pcb, const struct tcp_opts *o)
{
	if (!o->has_ts)
		pcb->tf &= ~TF_TS_OK;
	else
		pcb->ts_recent = o->tsval;
	if (!o->sack_perm)
		pcb->tf &= ~TF_SACK_OK;
	if (o->has_ws && (pcb->tf & TF_WS_OK)) {
		pcb->snd_wscale = o->ws > TCP_MAX_WS ? TCP_MAX_WS : o->ws;
	} else {
		/* Scaling is on only if both SYNs carried the option. */
		pcb->tf &= ~TF_WS_OK;
		pcb->snd_wscale = 0;
		pcb->rcv_wscale = 0;
	}
	tcp_pcb_setup_mss(pcb, o);
}

/* ---- §3.10.7.1 CLOSED ---- */

static enum step closed_input(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.1: no connection and no listener for the segment.
	 * A segment with RST is dropped silently (DROP_TCP_NO_SOCKET: a RST
	 * never answers a RST); any other gets a RST in answer: return
	 * drop_with_reset(c, DROP_TCP_NO_SOCKET) (tcp_input builds it from the
	 * segment: <SEQ=SEG.ACK><CTL=RST>, or <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
	 * <CTL=RST,ACK> when it had no ACK).
	 */
	(void)c;
	return 0;
}

/* ---- §3.10.7.2 LISTEN ---- */

static enum step synchronized_input(struct tcp_ctx *c);

/* A child of lis for the segment's 4-tuple, in no table yet, or NULL. */
static struct tcp_pcb *child_new(struct tcp_ctx *c, struct tcp_pcb *lis)
{
	struct stack *st = c->st;
	struct tcp_pcb *pcb = tcp_pcb_new(st);
	if (!pcb)
		return NULL;
	/* Like Linux, the child takes the listener's options (buffers, MSS, TOS,
	 * TTL) and congestion control. */
	if (tcp_pcb_alloc_rings(pcb, lis->sock ? &lis->sock->opt : NULL, c->b->dst.af) < 0) {
		tcp_pcb_free(pcb);
		return NULL;
	}
	pcb->local_ip = c->b->dst;
	pcb->local_port = c->v.dst_port;
	pcb->remote_ip = c->b->src;
	pcb->remote_port = c->v.src_port;
	pcb->reuseaddr = lis->reuseaddr;
	pcb->listener = lis;
	pcb->cc = lis->cc; /* TCP_CONGESTION of the listener (Linux inherits it) */
	pcb->tf |= TF_PASSIVE;
	pcb->state = TCPS_LISTEN; /* the child starts as its listener, for the trace */
	pcb->last_rx_us = st->now_us;
	return pcb;
}

/* Whether ACKs to lis may be cookies: one was sent in the last 2 ticks
 * (Linux tcp_synq_no_recent_overflow), so a listener that never needed
 * cookies never lets a guessed one in. */
__attribute__((unused)) static bool cookie_recent(const struct stack *st, const struct tcp_pcb *lis)
{
	return lis->syncookie_sent && st->now_us - lis->syncookie_last_us <
					  TCP_SYNCOOKIE_MAX_AGE * TCP_SYNCOOKIE_PERIOD_US;
}

/* The SYN queue is full: answer with a cookie and keep nothing. */
__attribute__((unused)) static enum step send_cookie(struct tcp_ctx *c, struct tcp_pcb *lis)
{
	struct stack *st = c->st;
	const struct tcp_opts *in = &c->opt;
	const struct ip_addr *lip = &c->b->dst, *rip = &c->b->src;
	uint16_t lport = c->v.dst_port, rport = c->v.src_port;
	/* The numbers the connection will have once the cookie comes back. */
	struct tcp_rcv_params rp;
	tcp_rcv_params(st, lis->sock ? &lis->sock->opt : NULL, lip->af, &rp);
	/* The IP options a connection accepted from it would send with. */
	struct ip_tx_opts ip = {.pmtudisc = IP_PMTUDISC_WANT};
	if (lis->sock)
		ip = ts_sock_tx_opts(&lis->sock->opt, lip->af);
	/* Linux: a peer MSS below the table's smallest entry gets 536. */
	uint32_t mssind = tcp_syncookie_mss_index(in->has_mss ? in->mss : TCP_DEFAULT_MSS);
	uint32_t iss = tcp_syncookie_make(st->tcp->cookie_key, lip, lport, rip, rport, c->v.seq,
					  tcp_syncookie_count(st->now_us), mssind);
	struct tcp_opts o;
	memset(&o, 0, sizeof(o));
	o.has_mss = true;
	o.mss = rp.mss;
	if (in->has_ts) {
		/* Window scaling and SACK need the TSval to come back in; without
		 * timestamps they are off (Linux tcp_clear_options). */
		struct tcp_syncookie_opts co = {
		    .ws_ok = in->has_ws, .ws = in->ws, .sack_ok = in->sack_perm};
		uint32_t now_ts = (uint32_t)(st->now_us / 1000u) +
				  tcp_cookie_ts_offset(st, lip, lport, rip, rport);
		o.has_ts = true;
		o.tsval = tcp_syncookie_tsval(now_ts, &co);
		o.tsecr = in->tsval;
		o.sack_perm = in->sack_perm;
		o.has_ws = in->has_ws;
		o.ws = rp.wscale;
	}
	tcp_send_synack_stateless(st, lip, rip, lport, rport, iss, c->v.seq + 1,
				  (uint16_t)(rp.init_wnd < 65535 ? rp.init_wnd : 65535), &o, &ip);
	lis->syncookie_sent = true;
	lis->syncookie_last_us = st->now_us;
	ts_count(st, CTR_TCP_SYNCOOKIES_SENT);
	return DONE;
}

/*
 * An ACK to a listener that sent cookies lately: a valid cookie (SEG.ACK -
 * 1, for SEG.SEQ - 1) creates the connection with the options it and the
 * echoed TSval carry, in SYN-RECEIVED, and the ACK then goes through the
 * §3.10.7.4 steps like any other (it may carry data).  A forged or stale
 * one gets the RST any ACK to a listener gets (RFC 9293 §3.10.7.2; Linux
 * cookie_v4_check failing, LINUX_MIB_SYNCOOKIESFAILED).
 */
__attribute__((unused)) static enum step cookie_ack(struct tcp_ctx *c, struct tcp_pcb *lis)
{
	struct stack *st = c->st;
	const struct ip_addr *lip = &c->b->dst, *rip = &c->b->src;
	uint16_t lport = c->v.dst_port, rport = c->v.src_port;
	int mssind = tcp_syncookie_check(st->tcp->cookie_key, lip, lport, rip, rport, c->v.seq - 1,
					 c->v.ack - 1, tcp_syncookie_count(st->now_us));
	if (mssind < 0)
		return drop_with_reset(c, DROP_TCP_SYNCOOKIE_BAD);
	if ((int)lis->acceptq.n > lis->backlog)
		return drop(c, DROP_TCP_LISTEN_OVERFLOW); /* the peer's data or FIN comes again */
	struct tcp_pcb *pcb = child_new(c, lis);
	if (!pcb)
		return drop(c, DROP_TCP_NOMEM);
	struct tcp_opts peer;
	memset(&peer, 0, sizeof(peer));
	peer.has_mss = true;
	peer.mss = tcp_syncookie_msstab[mssind];
	/* alloc_rings gave the child what send_cookie announced (tcp_rcv_params). */
	uint8_t our_ws = pcb->rcv_wscale;
	uint32_t first_wnd = pcb->rcv_ssthresh < 65535 ? pcb->rcv_ssthresh : 65535;
	pcb->snd_wscale = pcb->rcv_wscale = 0;
	if (c->opt.has_ts) {
		struct tcp_syncookie_opts co;
		tcp_syncookie_ts_decode(c->opt.tsecr, &co);
		pcb->tf |= TF_TS_OK;
		pcb->ts_recent = c->opt.tsval;
		pcb->ts_offset = tcp_cookie_ts_offset(st, lip, lport, rip, rport);
		if (co.sack_ok)
			pcb->tf |= TF_SACK_OK;
		if (co.ws_ok) {
			pcb->tf |= TF_WS_OK;
			pcb->snd_wscale = co.ws;
			pcb->rcv_wscale = our_ws;
		}
	}
	/* As if our SYN,ACK had just been acknowledged: IRS = SEG.SEQ - 1, ISS =
	 * SEG.ACK - 1, the window offered in it still open. */
	pcb->irs = c->v.seq - 1;
	pcb->rcv_nxt = c->v.seq;
	pcb->rcv_adv = pcb->rcv_nxt + first_wnd;
	pcb->last_ack_sent = pcb->rcv_nxt;
	tcp_pcb_setup_mss(pcb, &peer);
	pcb->iss = c->v.ack - 1;
	pcb->snd_una = pcb->iss;
	pcb->snd_nxt = pcb->snd_max = pcb->iss + 1;
	pcb->snd_buf_seq = pcb->iss + 1;
	pcb->recover = pcb->iss;
	pcb->snd_wl1 = c->v.seq;
	pcb->snd_wl2 = pcb->iss;
	pcb->rexmt_count = 1; /* we did not time that SYN,ACK: no RTT sample (Karn) */
	tcp_set_state(pcb, TCPS_SYN_RECEIVED, &c->v);
	tcp_conn_hash_add(pcb);
	tcp_bind_hash_add(pcb);
	ts_count(st, CTR_TCP_SYNCOOKIES_RECV);
	ts_count(st, CTR_TCP_PASSIVE_OPENS);
	c->pcb = pcb;
	return synchronized_input(c);
}

static enum step listen_input(struct tcp_ctx *c, struct tcp_pcb *lis)
{
	/*
	 * TODO: RFC 9293 §3.10.7.2, a segment to the listener lis, in this order:
	 *  - first, RST: drop it (DROP_TCP_LISTEN_RST);
	 *  - second, ACK: when it has no SYN, st->cfg.tcp_syncookies is on and
	 *    cookie_recent(st, lis), it may answer a SYN cookie: return
	 *    cookie_ack(c, lis).  Any other ACK: return drop_with_reset(c,
	 *    DROP_TCP_LISTEN_ACK) (the peer gets <SEQ=SEG.ACK><CTL=RST>);
	 *  - neither SYN: drop (DROP_TCP_LISTEN_NO_SYN);
	 *  - third, SYN.  Bounds first: accept queue full ((int)lis->acceptq.n >
	 *    lis->backlog): DROP_TCP_LISTEN_OVERFLOW; st->cfg.tcp_syncookies == 2,
	 *    or on and the SYN queue full (lis->synq.n >=
	 *    st->cfg.tcp_max_syn_backlog): return send_cookie(c, lis); SYN queue
	 *    full without cookies: DROP_TCP_LISTEN_OVERFLOW.
	 *    Then the new connection: pcb = child_new(c, lis) (NULL:
	 *    DROP_TCP_NOMEM); pcb->tf |= tcp_offered_options(st);
	 *    IRS = SEG.SEQ and RCV.NXT = SEG.SEQ + 1 (pcb->irs, rcv_nxt, and
	 *    rcv_adv and last_ack_sent equal to RCV.NXT); negotiate_options(pcb,
	 *    &c->opt); ISS = tcp_isn(st, &pcb->local_ip, pcb->local_port,
	 *    &pcb->remote_ip, pcb->remote_port) (pcb->iss); snd_una = snd_nxt =
	 *    snd_max = ISS (tcp_send_syn sends the SYN at ISS and moves snd_nxt
	 *    and snd_max past it), snd_buf_seq = ISS + 1 (where the data will
	 *    start), recover = ISS (RFC 6582); SND.WND = max_snd_wnd = SEG.WND
	 *    (a SYN's window is never scaled, RFC 7323 §2.2); SND.WL1 = SEG.SEQ,
	 *    SND.WL2 = ISS; rtt_start_us = st->now_us (the handshake's RTT
	 *    sample); tcp_count_rx(pcb, &c->v); tcp_set_state(pcb,
	 *    TCPS_SYN_RECEIVED, &c->v); tcp_conn_hash_add(pcb),
	 *    tcp_bind_hash_add(pcb), tcp_queue_push(&lis->synq, pcb); count
	 *    CTR_TCP_PASSIVE_OPENS; send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
	 *    (tcp_send_syn(pcb)) and arm TCP_T_REXMT for tcp_rto_us(pcb) (the
	 *    SYN,ACK is retransmitted until acknowledged).  Return DONE: text and
	 *    FIN on a SYN are not kept (a deviation from the RFC, as Linux: they
	 *    come again).
	 */
	(void)c;
	(void)lis;
	return 0;
}

/*
 * Our SYN (or SYN,ACK) was acknowledged: the RTT sample it gives unless it
 * was retransmitted (Karn, RFC 6298 §3), the backoff forgotten, the RTO
 * RFC 6298 (5.7) asks for after a retransmitted SYN, and the
 * retransmission timer stopped (nothing is outstanding any more).
 */
static void handshake_timers(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	if (pcb->rexmt_count == 0)
		tcp_rtt_sample(&pcb->rtt, (uint32_t)(c->st->now_us - pcb->rtt_start_us),
			       c->st->cfg.tcp_min_rto_ms * 1000u,
			       c->st->cfg.tcp_max_rto_ms * 1000u);
	pcb->rexmt_count = 0;
	pcb->backoff = 0;
	tcp_rto_after_handshake(pcb);
	tcp_timer_disarm(pcb, TCP_T_REXMT);
}

/* ---- §3.10.7.3 SYN-SENT ---- */

static enum step syn_sent_input(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.3: our SYN is out (pcb->iss, snd_max = ISS + 1).
	 *  - first, the ACK bit: an ACK with SEG.ACK =< ISS or SEG.ACK > SND.NXT
	 *    (snd_max) acknowledges nothing we sent: drop it, silently when it
	 *    carries RST (DROP_TCP_SYNSENT_BAD_ACK), else with a RST
	 *    (drop_with_reset, same reason).  Otherwise the ACK is acceptable
	 *    when SND.UNA < SEG.ACK =< SND.NXT;
	 *  - second, RST: only one whose ACK is acceptable counts (RFC 5961
	 *    §3.2; else drop it, DROP_TCP_RST_OUT_OF_WINDOW): the connection is
	 *    refused: conn_reset(c, ECONNREFUSED), return DONE;
	 *  - (third, security: not implemented)
	 *  - fourth, SYN; without it drop (DROP_TCP_SYNSENT_NO_SYN).  IRS =
	 *    SEG.SEQ, RCV.NXT = SEG.SEQ + 1 (rcv_adv, last_ack_sent too);
	 *    negotiate_options(pcb, &c->opt); SND.WND = max_snd_wnd = SEG.WND
	 *    (never scaled in a SYN); SND.WL1 = SEG.SEQ, SND.WL2 = SEG.ACK;
	 *    last_rx_us = now.
	 *    With an acceptable ACK our SYN is acknowledged: SND.UNA = SEG.ACK,
	 *    handshake_timers(c), ESTABLISHED (tcp_set_state), tcp_keepalive_reset,
	 *    an ACK is due now (pcb->tf |= TF_ACKNOW: tcp_input's tcp_output sends
	 *    it), tcp_wakeup(pcb) (connect completes); return DONE (text on a
	 *    SYN,ACK is not kept, as in listen_input).
	 *    Without one it is a simultaneous open (§3.5 figure 8): SYN-RECEIVED,
	 *    send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (tcp_send_syn), arm
	 *    TCP_T_REXMT for tcp_rto_us(pcb); return DONE.
	 */
	(void)c;
	return 0;
}

/* ---- §3.10.7.4 the synchronized states ---- */

/*
 * RFC 2883 §4: data that arrived twice ([left, right), below RCV.NXT or
 * inside an out-of-order block) is reported as the first SACK block of the
 * next ACK, which goes at once (RFC 2883 §4 (1): "each duplicate
 * contiguous sequence ... one D-SACK block").  Only when SACK was agreed.
 */
static void dsack_note(struct tcp_pcb *pcb, uint32_t left, uint32_t right)
{
	if (!(pcb->tf & TF_SACK_OK) || !seq_lt(left, right))
		return;
	pcb->dsack_left = left;
	pcb->dsack_right = right;
	pcb->tf |= TF_DSACK_PENDING | TF_ACKNOW;
}

/*
 * An acceptable segment is cut to what is new and fits: bytes before
 * RCV.NXT were received already (a SYN among them is gone too; they are
 * reported as a D-SACK, RFC 2883), bytes beyond room (what the receive
 * ring can hold, at most the window) are not kept, nor a FIN after them.
 * Afterwards c->seq, c->data, c->data_len and c->flags describe what is
 * left, and c->seq is at RCV.NXT or beyond it (out of order).
 */
__attribute__((unused)) static void trim_to_window(struct tcp_ctx *c, uint32_t room)
{
	struct tcp_pcb *pcb = c->pcb;
	/* Trim the front: bytes before RCV.NXT were already received. */
	if (seq_lt(c->seq, pcb->rcv_nxt)) {
		uint32_t d = pcb->rcv_nxt - c->seq;
		if (c->flags & TCP_SYN) {
			c->flags &= (uint8_t)~TCP_SYN;
			c->seq++;
			d--;
		}
		if (d && c->data_len)
			dsack_note(pcb, c->seq, c->seq + (d < c->data_len ? d : c->data_len));
		if (d >= c->data_len) {
			c->data += c->data_len;
			c->data_len = 0;
		} else {
			c->data += d;
			c->data_len -= d;
		}
		c->seq = pcb->rcv_nxt;
	}
	/* Trim the end: bytes beyond the room are not kept, nor is a FIN after
	 * them; when that leaves nothing, say so at once (the ACK carries the
	 * window, as for a segment beyond it). */
	if (seq_gt(c->seq + c->data_len, pcb->rcv_nxt + room)) {
		bool had_data = c->data_len != 0;
		c->data_len =
		    seq_gt(c->seq, pcb->rcv_nxt + room) ? 0 : pcb->rcv_nxt + room - c->seq;
		c->flags &= (uint8_t)~TCP_FIN;
		if (had_data && !c->data_len)
			pcb->tf |= TF_ACKNOW;
	}
}

/*
 * First: check sequence number.  PAWS (RFC 7323 §5.3), the four
 * acceptability cases of §3.10.7.4, then trimming to the window.
 */
static enum step check_sequence(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.4 first: is the segment acceptable?
	 *  - Simultaneous open (§3.5 figure 8): in SYN-RECEIVED without TF_PASSIVE,
	 *    a SYN,ACK without FIN, RST or text, SEG.SEQ == IRS and SEG.ACK ==
	 *    SND.NXT acknowledges our SYN: clear its SYN and move c->seq past it
	 *    (Linux lets it through), so the steps below take it as that ACK.
	 *  - A retransmitted SYN in SYN-RECEIVED (SYN without ACK, SEG.SEQ ==
	 *    IRS: our SYN,ACK was lost): send the SYN,ACK again (tcp_send_syn)
	 *    unless oow_rate_limited(c, false), and drop it (DROP_TCP_DUP).
	 *  - PAWS, RFC 7323 §5.3: with timestamps agreed (TF_TS_OK) and on the
	 *    segment (c->opt.has_ts), no RST, and TSval older than TS.Recent
	 *    (seq_lt(c->opt.tsval, pcb->ts_recent)): drop_after_ack(c,
	 *    DROP_TCP_PAWS).
	 *  - The four cases of §3.4 / §3.10.7.4, with RCV.WND = rcv_adv - RCV.NXT
	 *    (the window we offered; 0 if rcv_adv is not beyond RCV.NXT) and
	 *    SEG.LEN = seg_len(c) (SYN and FIN count):
	 *      SEG.LEN 0, RCV.WND 0:   SEG.SEQ = RCV.NXT
	 *      SEG.LEN 0, RCV.WND > 0: RCV.NXT =< SEG.SEQ =< RCV.NXT+RCV.WND (the
	 *                              right edge itself is in, as Linux: a peer
	 *                              that filled our window puts its pure ACKs
	 *                              there)
	 *      SEG.LEN > 0, RCV.WND 0: not acceptable
	 *      SEG.LEN > 0, RCV.WND > 0: the first or the last octet,
	 *                              SEG.SEQ or SEG.SEQ+SEG.LEN-1, in
	 *                              [RCV.NXT, RCV.NXT+RCV.WND)
	 *    all modulo 2^32 (seq_in).  With RCV.WND 0 and SEG.SEQ = RCV.NXT a
	 *    segment with text is still taken for its ACK and RST ("special
	 *    allowance"): c->data_len = 0, SYN and FIN cleared from c->flags.
	 *  - Not acceptable: a RST is dropped silently (DROP_TCP_RST_OUT_OF_WINDOW,
	 *    RFC 5961 §3.2); in TIME-WAIT a FIN restarts the 2 MSL timer
	 *    (tcp_timer_arm(pcb, TCP_T_2MSL, 2 * cfg.tcp_msl_ms ms)) and anything
	 *    gets drop_after_ack(c, DROP_TCP_TIMEWAIT); a segment wholly below
	 *    RCV.NXT (SEG.SEQ+SEG.LEN =< RCV.NXT) is an old duplicate:
	 *    dsack_note the data it carried (from SEG.SEQ, plus one if SYN) and
	 *    drop_after_ack(c, DROP_TCP_DUP); else drop_after_ack with
	 *    DROP_TCP_RCVBUF_FULL when the ring has no room (room below is 0),
	 *    else DROP_TCP_OUT_OF_WINDOW.  (tcp_input sends the ACK, rate
	 *    limited, RFC 5961 §7.)
	 *  - Acceptable: trim_to_window(c, room), room being the smaller of
	 *    RCV.WND and tcp_ring_free_space(&pcb->rcv_ring); return NEXT.  Leave
	 *    TS.Recent alone (segment_acceptable does it, after check_ack).
	 */
	return drop(c, DROP_TCP_OUT_OF_WINDOW);
}

/* Second: check the RST bit (RFC 9293 §3.10.7.4, RFC 5961 §3.2). */
static enum step check_rst(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.4 second, with RFC 5961 §3.2 (the segment is in the
	 * window: check_sequence let it through).  No RST: return NEXT.
	 * A RST whose SEG.SEQ is not exactly RCV.NXT may be a blind attacker's
	 * guess: do not reset, ask with a challenge ACK (send_challenge_ack(c):
	 * <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, rate limited) and drop it
	 * (DROP_TCP_RST_CHALLENGE); a real peer answers it with an exact RST.
	 * An exact one resets the connection (conn_reset frees the pcb, sets
	 * c->pcb to NULL and gives the error to the socket's SO_ERROR); return
	 * DONE:
	 *  - SYN-RECEIVED: a passive connection (TF_PASSIVE) "returns to
	 *    LISTEN": tcp_pcb_close(pcb, &c->v) only (the listener stays), and
	 *    c->pcb = NULL; an active one (simultaneous open) is refused:
	 *    conn_reset(c, ECONNREFUSED);
	 *  - ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2, CLOSE-WAIT: count
	 *    CTR_TCP_ESTABLISHED_RESETS, conn_reset(c, ECONNRESET);
	 *  - CLOSING, LAST-ACK, TIME-WAIT: conn_reset(c, 0) (nobody waits for
	 *    an error).
	 */
	(void)c;
	return 0;
}

/* Fourth: check the SYN bit (RFC 9293 §3.10.7.4, RFC 5961 §4.2). */
static enum step check_syn(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.4 fourth, with RFC 5961 §4.2: no SYN, return NEXT.
	 * A SYN in a synchronized state (it is in the window, or check_sequence
	 * would have dropped it) must not reset the connection, whatever the
	 * state (SYN-RECEIVED too: a deviation from RFC 9293, as Linux): send a
	 * challenge ACK (send_challenge_ack) and drop it
	 * (DROP_TCP_SYN_CHALLENGE).  A peer that really restarted answers the
	 * ACK with a RST that check_rst accepts.
	 */
	(void)c;
	return 0;
}

/*
 * The segment passed the sequence, RST, SYN and ACK checks: only now may it
 * change what outlives it.  RFC 7323 §4.3 (2): remember its timestamp to
 * echo.  Done in the sequence check, this let one forged segment that the
 * later steps drop (an in-window SYN answered by a challenge ACK, an ACK of
 * unsent data) plant a TSval far ahead, after which PAWS (RFC 7323 §5.3)
 * rejected every segment of the real peer: the RFC 5961 §4-5 checks
 * protect the connection only if they come first (Linux: tcp_validate_
 * incoming, then tcp_replace_ts_recent from tcp_ack after its ACK checks).
 * The keep-alive idle clock and probe count (RFC 1122 §4.2.3.6) likewise:
 * an unacceptable segment does not show that the peer is alive.
 */
static void segment_acceptable(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	if ((pcb->tf & TF_TS_OK) && c->opt.has_ts && seq_leq(c->seq, pcb->last_ack_sent) &&
	    seq_geq(c->opt.tsval, pcb->ts_recent))
		pcb->ts_recent = c->opt.tsval;
	pcb->last_rx_us = c->st->now_us;
	pcb->keep_probes = 0;
	pcb->probes_out = 0; /* the peer is there (Linux tcp_ack: icsk_probes_out) */
	pcb->soft_err = 0;   /* and the path works: forget an ICMP soft error (tcp_ack) */
}

/*
 * SYN-RECEIVED, and the ACK acknowledges our SYN,ACK (SND.UNA < SEG.ACK =<
 * SND.NXT: the caller checked): the handshake is done (RFC 9293 §3.10.7.4
 * fifth, SYN-RECEIVED).  Remembers the segment (segment_acceptable), takes
 * the RTT sample, SND.UNA, SND.WND, SND.WL1 and SND.WL2 from it, enters
 * ESTABLISHED (FIN-WAIT-1 when the user closed meanwhile, §3.10.4) and moves
 * a passive connection from its listener's SYN queue to the accept queue.
 * Returns NEXT, or DROP (DROP_TCP_LISTEN_OVERFLOW: the accept queue is
 * full, the peer's ACK will come again).
 */
__attribute__((unused)) static enum step handshake_acked(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	const struct tcp_view *v = &c->v;
	segment_acceptable(c);
	struct tcp_pcb *lis = pcb->listener;
	if (lis && (int)lis->acceptq.n > lis->backlog)
		return drop(c, DROP_TCP_LISTEN_OVERFLOW); /* the peer will retry */
	handshake_timers(c);
	pcb->snd_una = v->ack;
	if (seq_lt(pcb->snd_nxt, pcb->snd_una))
		pcb->snd_nxt = pcb->snd_una;
	pcb->snd_wnd = (uint32_t)v->wnd << pcb->snd_wscale;
	if (pcb->snd_wnd > pcb->max_snd_wnd)
		pcb->max_snd_wnd = pcb->snd_wnd;
	pcb->snd_wl1 = c->seq;
	pcb->snd_wl2 = v->ack;
	tcp_set_state(pcb, TCPS_ESTABLISHED, v);
	/* RFC 9293 §3.10.4: a CLOSE in SYN-RECEIVED was queued until now. */
	if (pcb->tf & TF_FIN_QUEUED)
		tcp_set_state(pcb, TCPS_FIN_WAIT_1, v);
	if (lis) {
		tcp_queue_remove(pcb);
		tcp_queue_push(&lis->acceptq, pcb);
		tcp_wakeup(lis);
	}
	tcp_keepalive_reset(pcb);
	tcp_wakeup(pcb);
	return NEXT;
}

/*
 * An acceptable ACK in a synchronized state (after segment_acceptable):
 * what it acknowledges and reports (new data acknowledged, a duplicate ACK,
 * SACK and D-SACK blocks, loss recovery: tcp_recovery.c) and the send
 * window update from it, if it is newer than the last one (SND.WL1,
 * SND.WL2; RFC 9293 §3.10.7.4 fifth, ESTABLISHED).
 */
__attribute__((unused)) static void ack_update(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	const struct tcp_view *v = &c->v;
	uint32_t new_wnd = (uint32_t)v->wnd << pcb->snd_wscale;
	c->window_changed = new_wnd != pcb->snd_wnd;
	uint32_t sacked_before = tcp_sacked_bytes(pcb);
	uint32_t prior_una = pcb->snd_una, prior_max = pcb->snd_max;
	uint32_t fack = tcp_sack_fack(pcb);
	bool dsack = false;
	if (pcb->tf & TF_SACK_OK) {
		dsack = tcp_dsack_check(pcb, &c->opt, v->ack);
		tcp_sack_update(pcb, &c->opt);
	}
	bool new_sack = tcp_sacked_bytes(pcb) > sacked_before;
	bool dup = false;
	if (seq_gt(v->ack, pcb->snd_una)) {
		tcp_ack_new_data(pcb, v->ack, &c->opt);
	} else if (v->ack == pcb->snd_una && pcb->snd_max != pcb->snd_una && new_wnd &&
		   (new_sack || (c->data_len == 0 && !(c->flags & (TCP_SYN | TCP_FIN)) &&
				 !c->window_changed))) {
		/* RFC 5681 §2 duplicate ACK, or RFC 6675 §2 DupAck: one that SACKs
		 * new bytes, whatever its window says (the reader may have moved it).
		 * Answers to zero-window probes are neither. */
		dup = true;
		tcp_ack_duplicate(pcb, v->ack, new_sack);
	}
	if (seq_gt(pcb->snd_una, prior_una) || prior_max != prior_una || dsack) {
		/* RACK, PRR, undo and the trace line (tcp_recovery.c). */
		uint32_t delivered =
		    (pcb->snd_una - prior_una) + tcp_recs_update(pcb, &c->opt, fack);
		tcp_ack_done(pcb, prior_una, delivered, &c->opt, dup);
	}
	/* Window update (RFC 9293 §3.10.7.4): only from a newer segment. */
	if (seq_lt(pcb->snd_wl1, c->seq) ||
	    (pcb->snd_wl1 == c->seq && seq_leq(pcb->snd_wl2, v->ack))) {
		pcb->snd_wnd = new_wnd;
		pcb->snd_wl1 = c->seq;
		pcb->snd_wl2 = v->ack;
		if (new_wnd > pcb->max_snd_wnd)
			pcb->max_snd_wnd = new_wnd;
		if (new_wnd) {
			pcb->persist_shift = 0;
			pcb->wnd_probes = 0;
		}
	}
}

/* Fifth: check the ACK field (RFC 9293 §3.10.7.4, RFC 5961 §5.2). */
static enum step check_ack(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.4 fifth, with RFC 5961 §5.2.
	 *  - No ACK bit: drop (DROP_TCP_NO_ACK).
	 *  - SYN-RECEIVED: the ACK must acknowledge our SYN,ACK, SND.UNA <
	 *    SEG.ACK =< SND.NXT (snd_max), else drop_with_reset(c,
	 *    DROP_TCP_SYNRCVD_BAD_ACK) (<SEQ=SEG.ACK><CTL=RST>); when it does,
	 *    return handshake_acked(c) (ESTABLISHED, the accept queue).
	 *  - Other states, RFC 5961 §5.2: acceptable is SND.UNA - MAX.SND.WND =<
	 *    SEG.ACK =< SND.NXT (max_snd_wnd; snd_max).  SEG.ACK beyond SND.NXT
	 *    acknowledges what was never sent: send_challenge_ack(c) and drop
	 *    (DROP_TCP_ACK_FUTURE); below SND.UNA - MAX.SND.WND:
	 *    send_challenge_ack(c) and drop (DROP_TCP_ACK_CHALLENGE).  Between
	 *    SND.UNA - MAX.SND.WND and SND.UNA it is an old duplicate: not an
	 *    error, it goes on (it may carry data, a window or a FIN).
	 *  - Acceptable: segment_acceptable(c), then ack_update(c) (what it
	 *    acknowledges, duplicate ACKs, the send window).  Then, our FIN
	 *    acknowledged being fin_acked = TF_FIN_SENT and SND.UNA beyond
	 *    pcb->fin_seq (seq_gt):
	 *      FIN-WAIT-1: once fin_acked, FIN-WAIT-2; disarm TCP_T_REXMT
	 *        (nothing left to send); when the user closed already
	 *        (!pcb->sock) arm TCP_T_2MSL for 2 * cfg.tcp_msl_ms ms so that
	 *        an orphan does not wait forever for the peer's FIN (Linux
	 *        tcp_fin_timeout); tcp_wakeup(pcb);
	 *      CLOSING: once fin_acked, tcp_enter_time_wait(pcb, &c->v);
	 *      LAST-ACK: once fin_acked the connection is over:
	 *        tcp_pcb_close(pcb, &c->v), c->pcb = NULL, return DONE.
	 *    Return NEXT.
	 */
	return drop(c, DROP_TCP_NO_ACK);
}

/* Delivers in-order bytes and whatever out-of-order ranges they join. */
static void deliver_in_order(struct tcp_pcb *pcb, const uint8_t *data, uint32_t n)
{
	tcp_ring_write(&pcb->rcv_ring, data, n);
	pcb->rcv_nxt += n;
	pcb->unacked_bytes += n;
	if (pcb->ofo.n) {
		uint32_t nxt = tcp_asm_advance(&pcb->ofo, pcb->rcv_nxt);
		if (nxt != pcb->rcv_nxt) {
			/* The bytes are already in place behind the data. */
			pcb->rcv_ring.len += nxt - pcb->rcv_nxt;
			pcb->rcv_nxt = nxt;
			pcb->tf |= TF_ACKNOW; /* RFC 5681 §4.2: ACK at once when a gap fills */
		}
	}
}

/*
 * ACK policy (Linux tcp_event_data_recv, __tcp_ack_snd_check): the ACK
 * timeout ato adapts to the gaps between arriving segments (40 ms .. the
 * RTO), and "quick-ACK mode" ACKs every segment at once while quick lasts:
 * for the first data of a connection and after an idle gap longer than
 * the RTO, about half a receive window's worth of segments (at most 16),
 * so the sender's slow start is not held back by delayed ACKs.
 */
#define TCP_MAX_QUICKACKS 16u

static void quickack_enter(struct tcp_pcb *pcb)
{
	uint32_t mss = pcb->smss ? pcb->smss : TCP_DEFAULT_MSS;
	uint32_t wnd = tcp_ring_free_space(&pcb->rcv_ring);
	uint32_t q = wnd / (2u * mss);
	if (q < 2)
		q = 2;
	if (q > TCP_MAX_QUICKACKS)
		q = TCP_MAX_QUICKACKS;
	if (q > pcb->quick)
		pcb->quick = (uint8_t)q;
}

static void data_received(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	uint32_t ato_min = st->cfg.tcp_delack_ms * 1000u;
	uint64_t now = st->now_us;
	if (!pcb->ato_us) {
		quickack_enter(pcb);
		pcb->ato_us = ato_min;
	} else {
		uint64_t m = now - pcb->lrcv_us;
		uint64_t rto = tcp_rto_us(pcb);
		if (m <= pcb->ato_us / 2) {
			pcb->ato_us = pcb->ato_us / 2 + ato_min;
		} else if (m < rto) {
			uint64_t a = pcb->ato_us / 2 + m;
			pcb->ato_us = (uint32_t)(a < rto ? a : rto);
		} else {
			/* An idle gap: the sender restarts its window, ACK quickly. */
			quickack_enter(pcb);
		}
	}
	pcb->lrcv_us = now;
}

/*
 * In-order data arrived: ACK now, or arm the delayed ACK.  At once when
 * more than one full segment is unacknowledged (RFC 1122 §4.2.3.2, RFC
 * 9293 §3.8.6.3: every second full-sized segment), in quick-ACK mode
 * (not while interactive: the answer carries the ACK), and when the
 * segment filled a hole (deliver_in_order, RFC 5681 §4.2).  Otherwise
 * after min(ato, max(SRTT, 40 ms), 200 ms) (Linux tcp_send_delayed_ack).
 */
static void ack_policy(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (pcb->unacked_bytes > pcb->smss)
		pcb->tf |= TF_ACKNOW;
	if (pcb->quick && !(pcb->tf & TF_PINGPONG) && !(pcb->tf & TF_ACKNOW)) {
		pcb->tf |= TF_ACKNOW;
		ts_count(st, CTR_TCP_QUICK_ACKS);
	}
	if (pcb->tf & TF_ACKNOW)
		return;
	uint32_t ato_min = st->cfg.tcp_delack_ms * 1000u;
	uint64_t ato = pcb->ato_us ? pcb->ato_us : ato_min;
	if (ato > ato_min) {
		uint64_t max_ato = TCP_DELACK_MAX_US;
		uint64_t rtt = pcb->rtt.srtt_us > ato_min ? pcb->rtt.srtt_us : ato_min;
		if (pcb->rtt.srtt_us && rtt < max_ato)
			max_ato = rtt;
		if (ato > max_ato)
			ato = max_ato;
	}
	pcb->tf |= TF_DELACK;
	if (!tcp_timer_armed(pcb, TCP_T_DELACK))
		tcp_timer_arm(pcb, TCP_T_DELACK, ato);
}

/*
 * The receiver's RTT (Linux tcp_rcv_rtt_measure_ts, tcp_rcv_rtt_measure),
 * which paces auto-tuning: with timestamps, the age of the TSval a full
 * data segment echoes (a moving average, 1/8); without, the time the peer
 * took to fill a window we offered (the smallest seen).
 */
static void rcv_rtt_measure(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	struct stack *st = c->st;
	uint32_t sample = 0;
	bool avg = false;
	if ((pcb->tf & TF_TS_OK) && c->opt.has_ts && c->opt.tsecr && c->data_len >= pcb->smss) {
		uint32_t now_ms = (uint32_t)(st->now_us / 1000u) + pcb->ts_offset;
		uint32_t ms = now_ms - c->opt.tsecr;
		if (ms >= 600000u)
			return;
		sample = ms ? ms * 1000u : 1000u; /* the TS clock ticks in ms */
		avg = true;
	} else if (!(pcb->tf & TF_TS_OK)) {
		if (pcb->rcv_rtt_time && seq_lt(pcb->rcv_nxt, pcb->rcv_rtt_seq))
			return;
		if (pcb->rcv_rtt_time) {
			uint64_t d = st->now_us - pcb->rcv_rtt_time;
			sample = d ? (d > UINT32_MAX ? UINT32_MAX : (uint32_t)d) : 1;
		}
		pcb->rcv_rtt_seq = pcb->rcv_nxt + pcb->rcv_wnd;
		pcb->rcv_rtt_time = st->now_us;
	}
	if (!sample)
		return;
	if (!pcb->rcv_rtt_us)
		pcb->rcv_rtt_us = sample;
	else if (avg)
		pcb->rcv_rtt_us = pcb->rcv_rtt_us - pcb->rcv_rtt_us / 8 + sample / 8;
	else if (sample < pcb->rcv_rtt_us)
		pcb->rcv_rtt_us = sample;
}

/*
 * Receive-buffer auto-tuning ("dynamic right-sizing", Linux
 * tcp_rcv_space_adjust): once per receiver RTT, the bytes the reader took
 * in that RTT are the rate the window must carry.  When that grew, the ring
 * grows to twice it plus 16 segments, more when it is accelerating
 * (Linux's grow term), up to cfg.tcp_rcvbuf_max (Linux tcp_rmem[2]), and
 * never when SO_RCVBUF fixed the buffer.  The window then opens with it
 * (tcp_window_to_advertise, rcv_ssthresh); the scale was chosen for the
 * maximum at the handshake.
 */
void tcp_rcv_space_adjust(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	uint32_t copied_seq = pcb->rcv_nxt - pcb->rcv_ring.len;
	if (!pcb->rcvq_time) {
		/* Linux tcp_init_buffer_space: a first measure of 10 segments. */
		pcb->rcvq_time = st->now_us ? st->now_us : 1;
		pcb->rcvq_seq = copied_seq;
		pcb->rcvq_space = 10u * pcb->rmss;
		return;
	}
	if (!pcb->rcv_rtt_us || st->now_us - pcb->rcvq_time < pcb->rcv_rtt_us)
		return;
	uint32_t copied = copied_seq - pcb->rcvq_seq;
	if (copied > pcb->rcvq_space) {
		uint32_t max = st->cfg.tcp_rcvbuf_max;
		bool locked = pcb->sock && pcb->sock->opt.rcvbuf_locked;
		if (!locked && max > pcb->rcv_ring.cap) {
			uint64_t win = 2ull * copied + 16ull * pcb->rmss;
			uint64_t grow = win * (copied - pcb->rcvq_space) / pcb->rcvq_space;
			win += 2 * grow;
			if (win > max)
				win = max;
			if (win > pcb->rcv_ring.cap &&
			    tcp_pcb_resize_rings(pcb, pcb->snd_ring.cap, (uint32_t)win) == 0)
				ts_count(st, CTR_TCP_RCVBUF_GROWN);
		}
		pcb->rcvq_space = copied;
	}
	pcb->rcvq_seq = copied_seq;
	pcb->rcvq_time = st->now_us;
}

/* Seventh: process the segment text (RFC 9293 §3.10.7.4). */
static enum step process_text(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	struct stack *st = c->st;
	if (!c->data_len)
		return NEXT;
	if (pcb->state != TCPS_ESTABLISHED && pcb->state != TCPS_FIN_WAIT_1 &&
	    pcb->state != TCPS_FIN_WAIT_2) {
		/* CLOSE-WAIT and later: "This should not occur since a FIN has been
		 * received from the remote side.  Ignore the segment text." */
		c->data_len = 0;
		return NEXT;
	}
	if (!pcb->sock && !pcb->listener) {
		/* The user closed: nobody will read.  RFC 2525 §2.17, Linux: RST. */
		tcp_send_rst_pcb(pcb);
		conn_reset(c, 0);
		c->reason = DROP_TCP_AFTER_CLOSE;
		return DROP;
	}
	/* The ring gets storage with its first byte (in order or not). */
	if (tcp_ring_attach(st, &pcb->rcv_ring) < 0) {
		c->flags &= (uint8_t)~TCP_FIN;
		return drop_after_ack(c, DROP_TCP_NOMEM);
	}
	data_received(pcb);
	rcv_rtt_measure(c);
	if (c->seq == pcb->rcv_nxt) {
		deliver_in_order(pcb, c->data, c->data_len);
		ack_policy(pcb);
		tcp_wakeup(pcb);
		return NEXT;
	}
	/* Out of order: keep the bytes in the ring, remember the range, and
	 * send a duplicate ACK at once (RFC 5681 §4.2) carrying SACK blocks;
	 * data we already hold out of order is a duplicate (RFC 2883). */
	pcb->tf |= TF_ACKNOW;
	for (uint32_t i = 0; i < pcb->ofo.n; i++)
		if (seq_leq(pcb->ofo.r[i].left, c->seq) &&
		    seq_leq(c->seq + c->data_len, pcb->ofo.r[i].right))
			dsack_note(pcb, c->seq, c->seq + c->data_len);
	if (!tcp_asm_add(&pcb->ofo, c->seq, c->seq + c->data_len, st->cfg.tcp_max_ofo_bytes)) {
		c->flags &= (uint8_t)~TCP_FIN;
		tcp_rcv_ring_idle(pcb); /* attached above for nothing */
		return drop_after_ack(c, DROP_TCP_OFO_FULL);
	}
	tcp_ring_write_at(&pcb->rcv_ring, c->seq - pcb->rcv_nxt, c->data, c->data_len);
	pcb->last_sack_left = c->seq;
	pcb->last_sack_right = c->seq + c->data_len;
	ts_count(st, CTR_TCP_OFO_QUEUED);
	return NEXT;
}

/* Eighth: check the FIN bit, also a FIN that arrived early and is now in order. */
static enum step check_fin(struct tcp_ctx *c)
{
	/*
	 * TODO: RFC 9293 §3.10.7.4 eighth: the FIN bit (c->flags, after trimming), also
	 * a FIN that arrived early (out of order) and is now in order.
	 *  - In TIME-WAIT a FIN is a retransmission (our ACK of it was lost):
	 *    acknowledge it (pcb->tf |= TF_ACKNOW) and restart the 2 MSL timeout
	 *    (tcp_timer_arm(pcb, TCP_T_2MSL, 2 * cfg.tcp_msl_ms ms)); return NEXT.
	 *  - Otherwise remember the first FIN seen: TF_RCV_FIN and rcv_fin_seq =
	 *    SEG.SEQ + the text's length (where it is in sequence space).
	 *  - When a FIN was seen and RCV.NXT has reached rcv_fin_seq (all the
	 *    text before it arrived), it is in order: it takes one sequence
	 *    number (RCV.NXT + 1) and is acknowledged now (TF_ACKNOW); then
	 *      SYN-RECEIVED, ESTABLISHED: CLOSE-WAIT (the user reads end of file);
	 *      FIN-WAIT-1: CLOSING (our FIN is not acknowledged yet, or
	 *        check_ack would have moved us to FIN-WAIT-2: simultaneous close);
	 *      FIN-WAIT-2: TIME-WAIT (tcp_enter_time_wait(pcb, &c->v) arms the
	 *        2 MSL timer);
	 *      other states: no change;
	 *    and tcp_wakeup(pcb) (a reader sees end of file).
	 *  - Return NEXT.
	 */
	(void)c;
	return 0;
}

/*
 * TIME-WAIT and a new SYN (RFC 1122 §4.2.2.13, RFC 6191): a SYN above the
 * old RCV.NXT (or with a newer timestamp) may start a new incarnation.
 * Returns the listener to hand the SYN to, having closed the old pcb.
 */
static struct tcp_pcb *time_wait_reuse(struct tcp_ctx *c)
{
	struct tcp_pcb *pcb = c->pcb;
	const struct tcp_view *v = &c->v;
	if (pcb->state != TCPS_TIME_WAIT || (v->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
		return NULL;
	bool newer = seq_gt(v->seq, pcb->rcv_nxt);
	if ((pcb->tf & TF_TS_OK) && c->opt.has_ts)
		newer = newer || seq_gt(c->opt.tsval, pcb->ts_recent);
	struct tcp_pcb *lis = tcp_listener_lookup(c->st, &c->b->dst, v->dst_port);
	if (!newer || !lis)
		return NULL;
	tcp_pcb_close(pcb, v);
	c->pcb = NULL;
	return lis;
}

static enum step synchronized_input(struct tcp_ctx *c)
{
	enum step r;
	if ((r = check_sequence(c)) != NEXT)
		return r;
	if ((r = check_rst(c)) != NEXT)
		return r;
	/* Third: security and precedence (RFC 9293 §3.10.7.4): not implemented,
	 * as RFC 9293 itself retires the IP security option check. */
	if ((r = check_syn(c)) != NEXT)
		return r;
	if ((r = check_ack(c)) != NEXT)
		return r;
	/* Sixth: URG.  Deviation: we announce no urgent data to the user
	 * (RFC 6093 recommends against its use); urgent bytes are ordinary. */
	if ((r = process_text(c)) != NEXT)
		return r;
	if ((r = check_fin(c)) != NEXT)
		return r;
	return DONE;
}

void tcp_input(struct stack *st, struct ts_buf *b)
{
	struct tcp_ctx c;
	memset(&c, 0, sizeof(c));
	c.st = st;
	c.b = b;
	ts_count(st, CTR_TCP_RX);
	size_t len = ts_buf_len(b);
	enum ts_drop_reason r = tcp_parse(b->data, len, &c.v);
	if (r != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	/* A checksum the link validated, or one a local sender left partial,
	 * is not summed again (netdev.h; Linux tcp_checksum_complete). */
	if (!ts_buf_csum_trusted(b) && !tcp_csum_ok(b->data, len, &b->src, &b->dst)) {
		ts_drop(st, b, DROP_TCP_BAD_CSUM);
		return;
	}
	if ((r = tcp_parse_options(c.v.opt, c.v.opt_len, &c.opt)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	uint8_t f = c.v.flags;
	if ((f & (TCP_SYN | TCP_RST)) == (TCP_SYN | TCP_RST) ||
	    (f & (TCP_SYN | TCP_FIN)) == (TCP_SYN | TCP_FIN) ||
	    !(f & (TCP_SYN | TCP_RST | TCP_ACK | TCP_FIN))) {
		ts_drop(st, b, DROP_TCP_BAD_FLAGS);
		return;
	}
	if (b->link_bcast || !ip_addr_is_unicast(st, &b->dst)) {
		/* RFC 1122 §4.2.3.10: no TCP to broadcast or multicast addresses,
		 * whatever the link-layer destination, and never an answer. */
		ts_drop(st, b, DROP_TCP_BCAST);
		return;
	}
	c.seq = c.v.seq;
	c.flags = c.v.flags;
	c.data = c.v.payload;
	c.data_len = c.v.payload_len;

	enum step s;
	c.pcb = tcp_conn_lookup(st, &b->dst, c.v.dst_port, &b->src, c.v.src_port);
	struct tcp_pcb *lis = NULL;
	if (c.pcb) {
		tcp_count_rx(c.pcb, &c.v);
		lis = time_wait_reuse(&c);
	} else {
		lis = tcp_listener_lookup(st, &b->dst, c.v.dst_port);
	}
	if (lis)
		s = listen_input(&c, lis);
	else if (!c.pcb)
		s = closed_input(&c);
	else if (c.pcb->state == TCPS_SYN_SENT)
		s = syn_sent_input(&c);
	else if (c.pcb->state == TCPS_CLOSED)
		s = closed_input(&c);
	else
		s = synchronized_input(&c);

	switch (s) {
	case NEXT:
	case DONE:
		ts_buf_consume(st, b);
		break;
	case DROP:
		ts_drop(st, b, c.reason);
		break;
	case DROP_AFTER_ACK:
		/* "send an acknowledgment (unless the RST bit is set) and drop",
		 * at most one a while for segments without data (RFC 5961 §7).
		 * A bare ACK, now (Linux tcp_send_dupack): the answer to a
		 * duplicate must be a segment the peer accepts, and a data
		 * segment we are resending from SND.UNA may be one it takes for
		 * a duplicate in turn, its ACK unread. */
		if (c.pcb && !(c.v.flags & TCP_RST) && !oow_rate_limited(&c, true))
			tcp_send_ack(c.pcb);
		ts_drop(st, b, c.reason);
		break;
	case DROP_WITH_RESET:
		tcp_send_reset_for(st, &b->dst, &b->src, &c.v);
		ts_drop(st, b, c.reason);
		break;
	}
	if (c.pcb && s != DROP_WITH_RESET && c.pcb->state != TCPS_LISTEN)
		tcp_output(c.pcb);
}
