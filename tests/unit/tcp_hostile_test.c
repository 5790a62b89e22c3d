/*
 * tcp_hostile_test.c - a peer that lies, floods or vanishes (issue #9):
 * one stack over the capture netdev, a connection put in a state with the
 * options the attack needs (timestamps, a tiny MSS), one hostile segment
 * fed in, and the exact reply and the state afterwards asserted.
 *
 * The peer is 10.0.0.1:40000 (tests/lib/tcp_frames.h), the stack
 * 10.0.0.2:8080.  The peer's TSval clock is x->tsval; what it echoes is
 * the last TSval the stack sent (x->tsecr).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "tcp_frames.h"
#include "byteorder.h"
#include "tapstack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

#define PEER_IP	  0x0a000001u
#define OUR_IP	  0x0a000002u
#define PEER_PORT 40000
#define OUR_PORT  8080
#define PEER_ISS  0x7ffffff0u
#define MS	  1000ull

struct hx {
	struct ts_test_stack t;
	int lfd, fd;	     /* listener and accepted socket */
	struct tcp_pcb *pcb; /* the connection */
	uint16_t port;	     /* the peer's port */
	uint32_t snd;	     /* next peer sequence number */
	uint32_t iss;	     /* our ISS */
	bool ts;	     /* the peer sends timestamps */
	uint32_t tsval;	     /* the peer's TSval clock */
	uint32_t tsecr;	     /* what the peer echoes: our last TSval */
};

/* A reply the stack sent, parsed. */
struct reply {
	uint8_t frame[2048];
	size_t len;
	struct tcp_view v;
	struct tcp_opts o;
};

static bool take(struct hx *x, struct reply *r)
{
	r->len = capdev_take(x->t.cap, r->frame, sizeof(r->frame));
	if (!r->len)
		return false;
	ck_assert_uint_eq(get_be16(r->frame + 12), 0x0800);
	const uint8_t *ip = r->frame + 14;
	ck_assert_uint_eq(ip[9], 6);
	ck_assert_uint_eq(get_be32(ip + 16), PEER_IP);
	ck_assert_uint_le(get_be16(ip + 2), x->t.st.cfg.mtu);
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	size_t tl = get_be16(ip + 2) - ihl;
	ck_assert_int_eq(tcp_parse(ip + ihl, tl, &r->v), DROP_NONE);
	ck_assert(tcp_csum_ok(ip + ihl, tl, IP4(OUR_IP), IP4(PEER_IP)));
	ck_assert_int_eq(tcp_parse_options(r->v.opt, r->v.opt_len, &r->o), DROP_NONE);
	if (r->o.has_ts)
		x->tsecr = r->o.tsval;
	return true;
}

static void expect_none(struct hx *x)
{
	ck_assert_uint_eq(capdev_sent_count(x->t.cap), 0);
}

/* Asserts the next reply is exactly <SEQ=seq><ACK=ack><CTL=flags> without data. */
static void expect(struct hx *x, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct reply r;
	ck_assert_msg(take(x, &r), "no reply");
	ck_assert_uint_eq(r.v.flags, flags);
	ck_assert_uint_eq(r.v.seq, seq);
	if (flags & TCP_ACK)
		ck_assert_uint_eq(r.v.ack, ack);
	ck_assert_uint_eq(r.v.payload_len, 0);
}

static void drain(struct hx *x)
{
	struct reply r;
	while (take(x, &r))
		;
}

static void advance(struct hx *x, uint64_t us)
{
	stack_poll(&x->t.st, x->t.st.now_us + us);
}

/* A segment from the peer with its timestamp (when x->ts) at TSval tsval. */
static size_t seg_ts(struct hx *x, uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags,
		     uint16_t wnd, uint32_t tsval, const void *data, size_t len)
{
	uint8_t opt[12] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, 10};
	put_be32(opt + 4, tsval);
	put_be32(opt + 8, x->tsecr);
	return ts_tcp_frame_from_peer(f, x->port, OUR_PORT, seq, ack, flags, wnd, opt,
				      x->ts ? 12 : 0, data, len);
}

static size_t seg(struct hx *x, uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags,
		  const void *data, size_t len)
{
	return seg_ts(x, f, seq, ack, flags, 65535, x->tsval, data, len);
}

static void feed(struct hx *x, const uint8_t *f, size_t len)
{
	ts_test_stack_feed(&x->t, f, len);
}

static struct tcp_pcb *conn(struct hx *x)
{
	return tcp_conn_lookup(&x->t.st, IP4(OUR_IP), OUR_PORT, IP4(PEER_IP), x->port);
}

/* The stack knows the peer's MAC and listens on 8080 (backlog 8). */
static void hx_listen(struct hx *x, void (*tweak)(struct ts_config *))
{
	memset(x, 0, sizeof(*x));
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_ttl_ms = 24u * 3600 * 1000;
	if (tweak)
		tweak(&cfg);
	ts_test_stack_init(&x->t, &cfg);
	uint8_t f[64];
	feed(x, f, ts_arp_request_from_peer(f));
	ck_assert_uint_eq(capdev_take(x->t.cap, f, sizeof(f)), 42);
	x->lfd = ts_socket(&x->t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(&x->t.st, x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&x->t.st, x->lfd, 8), 0);
	x->fd = -1;
	x->port = PEER_PORT;
	x->tsval = 1000;
}

/*
 * Handshake from x->port: a SYN with the MSS option mss (none when < 0)
 * and, when x->ts, timestamps; our SYN,ACK; the ACK; accept.
 */
static void hx_connect(struct hx *x, int mss)
{
	uint8_t f[128], opt[16];
	size_t n = 0;
	if (mss >= 0) {
		opt[n++] = TCP_OPT_MSS;
		opt[n++] = 4;
		put_be16(opt + n, (uint16_t)mss);
		n += 2;
	}
	if (x->ts) {
		opt[n++] = TCP_OPT_NOP;
		opt[n++] = TCP_OPT_NOP;
		opt[n++] = TCP_OPT_TS;
		opt[n++] = 10;
		put_be32(opt + n, x->tsval);
		put_be32(opt + n + 4, 0);
		n += 8;
	}
	feed(x, f,
	     ts_tcp_frame_from_peer(f, x->port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, opt, n, NULL,
				    0));
	struct reply r;
	ck_assert(take(x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.o.has_ts, x->ts);
	x->iss = r.v.seq;
	x->snd = PEER_ISS + 1;
	x->tsval++;
	feed(x, f, seg(x, f, x->snd, x->iss + 1, TCP_ACK, NULL, 0));
	expect_none(x);
	x->pcb = conn(x);
	ck_assert_ptr_nonnull(x->pcb);
	ck_assert_int_eq(x->pcb->state, TCPS_ESTABLISHED);
	x->fd = ts_accept4(&x->t.st, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x->fd, 3);
}

static void hx_free(struct hx *x)
{
	ts_test_stack_free(&x->t);
}

/* ---- 1. tiny MSS (RFC 9293 §3.7.1, RFC 6691) ---- */

/*
 * A SYN announcing MSS 0..11 with timestamps: SMSS is the floor (88) minus
 * the timestamp option (12), never MSS - 12 wrapped to ~65 KB; cwnd is ten
 * of those; every segment fits the MTU and the data flows.
 */
START_TEST(tiny_mss_with_timestamps_is_floored)
{
	for (int mss = 0; mss < 12; mss++) {
		struct hx x;
		hx_listen(&x, NULL);
		x.ts = true;
		hx_connect(&x, mss);
		ck_assert_uint_eq(x.pcb->peer_mss, mss);
		ck_assert_uint_eq(x.pcb->smss, TCP_MIN_PEER_MSS - 12);
		ck_assert_uint_eq(x.pcb->cwnd, 10u * (TCP_MIN_PEER_MSS - 12));
		ck_assert_uint_eq(x.t.st.counters[CTR_TCP_MSS_RAISED], 1);
		static uint8_t data[4000];
		ck_assert_int_eq(ts_write(&x.t.st, x.fd, data, sizeof(data)), (int)sizeof(data));
		struct reply r;
		uint32_t seq = x.iss + 1;
		for (int i = 0; i < 10; i++) {
			ck_assert_msg(take(&x, &r), "segment %d of the initial window missing", i);
			ck_assert_uint_eq(r.v.seq, seq);
			ck_assert_uint_eq(r.v.payload_len, TCP_MIN_PEER_MSS - 12);
			seq += r.v.payload_len;
		}
		expect_none(&x);
		ck_assert_uint_eq(x.t.st.drops[DROP_IPV4_FRAG_NEEDED], 0);
		/* The peer acknowledges them: the rest goes, in segments of the same size. */
		uint8_t f[128];
		feed(&x, f, seg(&x, f, x.snd, seq, TCP_ACK, NULL, 0));
		ck_assert(take(&x, &r));
		ck_assert_uint_eq(r.v.seq, seq);
		ck_assert_uint_eq(r.v.payload_len, TCP_MIN_PEER_MSS - 12);
		hx_free(&x);
	}
	/* Without timestamps the floor itself is the SMSS. */
	struct hx x;
	hx_listen(&x, NULL);
	hx_connect(&x, 1);
	ck_assert_uint_eq(x.pcb->smss, TCP_MIN_PEER_MSS);
	hx_free(&x);
}
END_TEST

/* ---- 5. TS.Recent and PAWS (RFC 7323 §4.3, §5.3; RFC 5961) ---- */

/* An established connection with timestamps on both sides. */
static void hx_established_ts(struct hx *x)
{
	hx_listen(x, NULL);
	x->ts = true;
	hx_connect(x, 1460);
	ck_assert(x->pcb->tf & TF_TS_OK);
	ck_assert_uint_eq(x->pcb->ts_recent, x->tsval);
}

/* The honest peer's next segment, a TSval later: accepted, acknowledged. */
static void honest_data_accepted(struct hx *x)
{
	uint8_t f[128];
	x->tsval++;
	uint64_t paws = x->t.st.drops[DROP_TCP_PAWS];
	feed(x, f, seg(x, f, x->snd, x->iss + 1, TCP_ACK | TCP_PSH, "GET /", 5));
	ck_assert_uint_eq(x->t.st.drops[DROP_TCP_PAWS], paws);
	x->snd += 5;
	ck_assert_uint_eq(x->pcb->rcv_nxt, x->snd);
	ck_assert_uint_eq(x->pcb->ts_recent, x->tsval);
	advance(x, 40 * MS); /* the delayed ACK echoes the honest TSval */
	struct reply r;
	ck_assert(take(x, &r));
	ck_assert_uint_eq(r.v.ack, x->snd);
	ck_assert_uint_eq(r.o.tsecr, x->tsval);
}

/*
 * A SYN at RCV.NXT carrying a TSval far ahead gets a challenge ACK
 * (RFC 5961 §4.2) and must leave TS.Recent alone: otherwise every later
 * segment of the real peer fails PAWS and the connection is dead.
 */
START_TEST(forged_syn_does_not_move_ts_recent)
{
	struct hx x;
	hx_established_ts(&x);
	uint8_t f[128];
	uint32_t before = x.pcb->ts_recent;
	feed(&x, f, seg_ts(&x, f, x.snd, 0, TCP_SYN, 65535, x.tsval + 0x7fff0000u, NULL, 0));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_SYN_CHALLENGE], 1);
	ck_assert_uint_eq(x.pcb->ts_recent, before);
	honest_data_accepted(&x);
	hx_free(&x);
}
END_TEST

/*
 * Data at RCV.NXT whose ACK acknowledges bytes never sent (RFC 5961 §5.2,
 * RFC 9293 §3.10.7.4: ACK and drop), with a huge TSval: the same.
 */
START_TEST(ack_of_unsent_data_does_not_move_ts_recent)
{
	struct hx x;
	hx_established_ts(&x);
	uint8_t f[128];
	uint32_t before = x.pcb->ts_recent;
	feed(&x, f,
	     seg_ts(&x, f, x.snd, x.iss + 5000, TCP_ACK, 65535, x.tsval + 0x7fff0000u, "zz", 2));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_ACK_FUTURE], 1);
	ck_assert_uint_eq(x.pcb->ts_recent, before);
	ck_assert_uint_eq(x.pcb->rcv_nxt, x.snd);
	/* An ACK far below SND.UNA (RFC 5961 §5.2 challenge) neither. */
	feed(&x, f,
	     seg_ts(&x, f, x.snd, x.iss - 0x40000000u, TCP_ACK, 65535, x.tsval + 0x7fff0000u, NULL,
		    0));
	drain(&x);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_ACK_CHALLENGE], 1);
	ck_assert_uint_eq(x.pcb->ts_recent, before);
	honest_data_accepted(&x);
	hx_free(&x);
}
END_TEST

static void keepalive_on(struct hx *x, int idle, int intvl, int cnt)
{
	struct stack *st = &x->t.st;
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(st, x->fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x->fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x->fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x->fd, SOL_SOCKET, SO_KEEPALIVE, &one, 4), 0);
}

/*
 * Keep-alive's idle clock and its probe count are refreshed only by
 * acceptable segments: out-of-window segments (from a forger, or a
 * confused middlebox) arriving while the real peer is gone neither delay
 * the first probe nor stop the count, and the connection times out.
 */
START_TEST(keepalive_ignores_unacceptable_segments)
{
	struct hx x;
	hx_listen(&x, NULL);
	hx_connect(&x, 1460);
	struct stack *st = &x.t.st;
	keepalive_on(&x, 10, 2, 2);
	uint8_t f[128];
	advance(&x, 5000 * MS);
	feed(&x, f, seg(&x, f, x.snd + 1000000, x.iss + 1, TCP_ACK, NULL, 0));
	ck_assert_uint_eq(st->drops[DROP_TCP_OUT_OF_WINDOW], 1);
	drain(&x);
	advance(&x, 5000 * MS);
	expect(&x, x.iss, x.snd, TCP_ACK); /* first probe at idle time, 10 s */
	for (int i = 0; i < 2; i++) {
		feed(&x, f, seg(&x, f, x.snd + 1000000, x.iss + 1, TCP_ACK, NULL, 0));
		drain(&x);
		advance(&x, 2000 * MS);
		if (i == 0)
			expect(&x, x.iss, x.snd, TCP_ACK); /* second probe */
	}
	expect(&x, x.iss + 1, x.snd, TCP_RST | TCP_ACK);
	ck_assert_ptr_null(conn(&x));
	ck_assert_uint_eq(st->counters[CTR_TCP_KEEPALIVES], 2);
	hx_free(&x);
}
END_TEST

/* ---- 6. ACK rate limits (RFC 5961 §7, Linux tcp_invalid_ratelimit) ---- */

/* Feeds n copies of one segment at the same instant; returns the replies. */
static size_t feed_burst(struct hx *x, const uint8_t *f, size_t len, int n)
{
	size_t replies = 0;
	struct reply r;
	for (int i = 0; i < n; i++) {
		feed(x, f, len);
		while (take(x, &r))
			replies++;
	}
	return replies;
}

/*
 * Out-of-window pure ACKs, PAWS failures, in-window RSTs and SYNs, ACKs of
 * unsent data, 100 of each at once: one ACK per connection per 500 ms
 * answers them all (Linux tcp_oow_rate_limited, tcp_send_challenge_ack);
 * the rest are counted, and still dropped under their own reasons.  Data
 * is always answered: a retransmission whose ACK was lost needs one.
 */
START_TEST(invalid_segments_answered_at_most_every_500ms)
{
	struct hx x;
	hx_established_ts(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	size_t n = seg(&x, f, x.snd + 1000000, x.iss + 1, TCP_ACK, NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 1);
	ck_assert_uint_eq(st->drops[DROP_TCP_OUT_OF_WINDOW], 100);
	ck_assert_uint_eq(st->counters[CTR_TCP_ACKS_RATE_LIMITED], 99);
	/* Challenge ACKs share the connection's budget. */
	n = seg(&x, f, x.snd + 100, 0, TCP_RST, NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 0);
	ck_assert_uint_eq(st->drops[DROP_TCP_RST_CHALLENGE], 100);
	ck_assert_uint_eq(st->counters[CTR_TCP_CHALLENGE_ACKS], 0);
	/* Data out of the window still gets its ACK at once. */
	n = seg(&x, f, x.snd - 10, x.iss + 1, TCP_ACK, "0123456789", 10);
	ck_assert_uint_eq(feed_burst(&x, f, n, 3), 3);
	ck_assert_uint_eq(st->drops[DROP_TCP_DUP], 3);
	advance(&x, 499 * MS);
	n = seg(&x, f, x.snd, 0, TCP_SYN, NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 0);
	advance(&x, 1 * MS);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 1);
	ck_assert_uint_eq(st->counters[CTR_TCP_CHALLENGE_ACKS], 1);
	ck_assert_uint_eq(st->drops[DROP_TCP_SYN_CHALLENGE], 200);
	advance(&x, 500 * MS);
	n = seg(&x, f, x.snd, x.iss + 5000, TCP_ACK, NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 1);
	ck_assert_uint_eq(st->drops[DROP_TCP_ACK_FUTURE], 100);
	advance(&x, 500 * MS);
	n = seg_ts(&x, f, x.snd, x.iss + 1, TCP_ACK, 65535, x.tsval - 10, NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 1);
	ck_assert_uint_eq(st->drops[DROP_TCP_PAWS], 100);
	ck_assert_uint_eq(st->counters[CTR_TCP_ACKS_RATE_LIMITED], 99 + 100 + 100 + 99 + 99 + 99);
	/* The connection is unharmed. */
	honest_data_accepted(&x);
	hx_free(&x);
}
END_TEST

/*
 * A half-open connection answers a storm of retransmitted SYNs with one
 * more SYN,ACK (Linux tcp_check_req, LINUX_MIB_TCPACKSKIPPEDSYNRECV).
 */
START_TEST(syn_received_answers_syn_storm_once)
{
	struct hx x;
	hx_listen(&x, NULL);
	uint8_t f[128];
	size_t n = ts_tcp_frame_from_peer(f, x.port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, NULL, 0,
					  NULL, 0);
	ck_assert_uint_eq(feed_burst(&x, f, n, 100), 2);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_DUP], 99);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_ACKS_RATE_LIMITED], 98);
	hx_free(&x);
}
END_TEST

static void challenge_budget_10(struct ts_config *cfg)
{
	cfg->tcp_challenge_ack_limit = 10;
}

/*
 * The per-stack challenge-ACK budget, when configured (off by default, as
 * in Linux since 6.0): 40 connections each get an in-window RST in the
 * same second; between limit/2 and limit + limit/2 - 1 of them are
 * answered (Linux draws the budget at random each second, CVE-2016-5696).
 */
START_TEST(challenge_ack_budget_per_stack)
{
	struct hx x;
	hx_listen(&x, challenge_budget_10);
	struct stack *st = &x.t.st;
	uint32_t snd[40], iss[40];
	for (int i = 0; i < 40; i++) {
		x.port = (uint16_t)(41000 + i);
		hx_connect(&x, 1460);
		snd[i] = x.snd;
		iss[i] = x.iss;
	}
	size_t answered = 0;
	uint8_t f[128];
	for (int i = 0; i < 40; i++) {
		x.port = (uint16_t)(41000 + i);
		feed(&x, f, seg(&x, f, snd[i] + 100, iss[i] + 1, TCP_RST, NULL, 0));
		struct reply r;
		while (take(&x, &r))
			answered++;
	}
	ck_assert_uint_ge(answered, 5);
	ck_assert_uint_le(answered, 14);
	ck_assert_uint_eq(st->counters[CTR_TCP_CHALLENGE_ACKS], answered);
	ck_assert_uint_eq(st->counters[CTR_TCP_CHALLENGE_ACKS_BUDGET_LIMITED], 40 - answered);
	/* A new second, a new budget. */
	advance(&x, 1000 * MS);
	x.port = 41000;
	feed(&x, f, seg(&x, f, snd[0] + 100, iss[0] + 1, TCP_RST, NULL, 0));
	ck_assert_uint_eq(st->counters[CTR_TCP_CHALLENGE_ACKS], answered + 1);
	hx_free(&x);
}
END_TEST

static Suite *tcp_hostile_suite(void)
{
	Suite *s = suite_create("tcp_hostile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tiny_mss_with_timestamps_is_floored);
	tcase_add_test(tc, forged_syn_does_not_move_ts_recent);
	tcase_add_test(tc, ack_of_unsent_data_does_not_move_ts_recent);
	tcase_add_test(tc, keepalive_ignores_unacceptable_segments);
	tcase_add_test(tc, invalid_segments_answered_at_most_every_500ms);
	tcase_add_test(tc, syn_received_answers_syn_storm_once);
	tcase_add_test(tc, challenge_ack_budget_per_stack);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_hostile_suite)
