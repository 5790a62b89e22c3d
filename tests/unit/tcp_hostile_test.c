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
#include "ipv4.h"
#include "tapstack.h"
#include "tcp_syncookie.h"
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

/* ---- 2. zero windows and orphans (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) ---- */

static size_t seg_wnd(struct hx *x, uint8_t *f, uint32_t ack, uint16_t wnd)
{
	return seg_ts(x, f, x->snd, ack, TCP_ACK, wnd, x->tsval, NULL, 0);
}

/*
 * An established connection whose peer read a little, then shut its
 * window: n bytes wait in our send ring; the user closes when close_it
 * (an orphan in FIN-WAIT-1, its FIN behind the data).
 */
static void hx_stuck_on_zero_window(struct hx *x, uint32_t n, bool close_it)
{
	uint8_t f[128];
	feed(x, f, seg_wnd(x, f, x->iss + 1, 0));
	ck_assert_uint_eq(x->pcb->snd_wnd, 0);
	static uint8_t data[65536];
	ck_assert_uint_le(n, sizeof(data));
	ck_assert_int_eq(ts_write(&x->t.st, x->fd, data, n), (int)n);
	expect_none(x);
	if (close_it) {
		ck_assert_int_eq(ts_close(&x->t.st, x->fd), 0);
		x->fd = -1;
		ck_assert_int_eq(x->pcb->state, TCPS_FIN_WAIT_1);
	}
	ck_assert(tcp_timer_armed(x->pcb, TCP_T_PERSIST));
}

/*
 * Runs the stack timer by timer until the connection is gone or `limit`
 * of virtual time passed; counts the zero-window probes it sent, calling
 * answer (if any) after each.  Returns the virtual time it took.
 */
static uint64_t run_probes(struct hx *x, uint64_t limit, int *probes, void (*answer)(struct hx *x))
{
	struct stack *st = &x->t.st;
	uint64_t start = st->now_us;
	*probes = 0;
	while (conn(x) && st->now_us - start < limit) {
		uint64_t next = stack_next_deadline(st);
		ck_assert_uint_ne(next, UINT64_MAX);
		stack_poll(st, next > st->now_us ? next : st->now_us);
		struct reply r;
		while (take(x, &r)) {
			if (r.v.seq == x->iss && r.v.payload_len == 0 && r.v.flags == TCP_ACK) {
				(*probes)++;
				if (answer)
					answer(x);
			}
		}
	}
	return st->now_us - start;
}

/* The peer answers a probe: still no room. */
static void answer_zero_window(struct hx *x)
{
	uint8_t f[128];
	x->tsval++;
	feed(x, f, seg_wnd(x, f, x->iss + 1, 0));
}

/*
 * The peer vanishes: the orphan probes tcp_orphan_retries (8) times and
 * is gone, its memory with it (Linux tcp_probe_timer).  Before: probes
 * forever, 256 KiB of ring held.
 */
START_TEST(orphan_on_zero_window_gone_after_orphan_retries)
{
	struct hx x;
	hx_listen(&x, NULL);
	hx_connect(&x, 1460);
	struct stack *st = &x.t.st;
	hx_stuck_on_zero_window(&x, 5000, true);
	expect_none(&x);
	ck_assert_uint_eq(st->tcp->norphans, 1);
	int probes;
	uint64_t took = run_probes(&x, 3600 * 1000 * MS, &probes, NULL);
	ck_assert_ptr_null(conn(&x));
	ck_assert_int_eq(probes, 8);
	ck_assert_uint_lt(took, 600 * 1000 * MS);
	ck_assert_uint_eq(st->counters[CTR_TCP_ABORT_ON_TIMEOUT], 1);
	ck_assert_uint_eq(st->counters[CTR_TCP_PERSIST_TIMEOUTS], 1);
	ck_assert_uint_eq(st->tcp->norphans, 0);
	ck_assert_uint_eq(st->tcp->orphan_bytes, 0);
	ck_assert_uint_eq(st->tcp->ring_blocks, 0);
	hx_free(&x);
}
END_TEST

/* The same orphan whose peer answers every probe with a zero window: an
 * answer resets nothing that would let it live forever. */
START_TEST(orphan_on_zero_window_gone_even_if_peer_answers)
{
	struct hx x;
	hx_listen(&x, NULL);
	x.ts = true;
	hx_connect(&x, 1460);
	hx_stuck_on_zero_window(&x, 5000, true);
	int probes;
	run_probes(&x, 3600 * 1000 * MS, &probes, answer_zero_window);
	ck_assert_ptr_null(conn(&x));
	ck_assert_int_eq(probes, 8);
	ck_assert_uint_eq(x.t.st.tcp->norphans, 0);
	hx_free(&x);
}
END_TEST

/*
 * A connection the user still holds: probes that get no answer give up
 * after tcp_retries2 (15) with ETIMEDOUT; probes that are answered go on
 * as long as the peer answers (RFC 1122 §4.2.2.17).
 */
START_TEST(zero_window_probes_unanswered_time_out)
{
	struct hx x;
	hx_listen(&x, NULL);
	hx_connect(&x, 1460);
	struct stack *st = &x.t.st;
	int fd = x.fd;
	hx_stuck_on_zero_window(&x, 100, false);
	int probes;
	run_probes(&x, 3600 * 1000 * MS, &probes, NULL);
	ck_assert_ptr_null(conn(&x));
	ck_assert_int_eq(probes, 15);
	int err;
	socklen_t l = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	ck_assert_int_eq(err, ETIMEDOUT);
	hx_free(&x);

	hx_listen(&x, NULL);
	hx_connect(&x, 1460);
	hx_stuck_on_zero_window(&x, 100, false);
	run_probes(&x, 4 * 3600 * 1000 * MS, &probes, answer_zero_window);
	ck_assert_ptr_nonnull(conn(&x));
	ck_assert_int_gt(probes, 100);
	ck_assert_int_eq(conn(&x)->state, TCPS_ESTABLISHED);
	hx_free(&x);
}
END_TEST

/*
 * Retransmissions into silence: an orphan gives up after
 * tcp_orphan_retries (8), in the time those take from the minimum RTO
 * (Linux tcp_write_timeout, tcp_model_timeout: 511 x 200 ms = 102.2 s);
 * a connection the user holds after tcp_retries2 (15): 924.6 s.
 */
START_TEST(retransmissions_give_up_sooner_for_orphans)
{
	for (int orphan = 1; orphan >= 0; orphan--) {
		struct hx x;
		hx_listen(&x, NULL);
		hx_connect(&x, 1460);
		struct stack *st = &x.t.st;
		ck_assert_uint_eq(x.pcb->rtt.rto_us, 200 * MS);
		ck_assert_int_eq(ts_write(st, x.fd, "hello", 5), 5);
		drain(&x);
		if (orphan) {
			ck_assert_int_eq(ts_close(st, x.fd), 0);
			drain(&x); /* the FIN */
		}
		uint64_t start = st->now_us;
		while (conn(&x) && st->now_us - start < 3600 * 1000 * MS) {
			stack_poll(st, stack_next_deadline(st));
			drain(&x);
		}
		ck_assert_ptr_null(conn(&x));
		uint64_t took = st->now_us - start;
		if (orphan) {
			ck_assert_uint_eq(st->counters[CTR_TCP_RTO_EXPIRED], 9);
			ck_assert_uint_eq(took, 102200 * MS);
		} else {
			ck_assert_uint_eq(st->counters[CTR_TCP_RTO_EXPIRED], 16);
			ck_assert_uint_eq(took, 924600 * MS);
		}
		ck_assert_uint_eq(st->counters[CTR_TCP_ABORT_ON_TIMEOUT], 1);
		hx_free(&x);
	}
}
END_TEST

static void max_orphans_3(struct ts_config *cfg)
{
	cfg->tcp_max_orphans = 3;
}

/*
 * More orphans than tcp_max_orphans: the oldest is reset (RST, freed) to
 * make room (Linux tcp_too_many_orphans / tcp_out_of_resources).
 */
START_TEST(orphans_beyond_max_reset_oldest)
{
	struct hx x;
	hx_listen(&x, max_orphans_3);
	struct stack *st = &x.t.st;
	uint32_t iss[5];
	for (int i = 0; i < 5; i++) {
		x.port = (uint16_t)(41000 + i);
		hx_connect(&x, 1460);
		iss[i] = x.iss;
		hx_stuck_on_zero_window(&x, 1000, true);
		if (i < 3) {
			expect_none(&x);
			continue;
		}
		/* The oldest orphan gets a RST and is gone. */
		struct reply r;
		ck_assert(take(&x, &r));
		ck_assert_uint_eq(r.v.flags, TCP_RST | TCP_ACK);
		ck_assert_uint_eq(r.v.dst_port, 41000 + i - 3);
		ck_assert_uint_eq(r.v.seq, iss[i - 3] + 1);
		expect_none(&x);
		ck_assert_ptr_null(tcp_conn_lookup(st, IP4(OUR_IP), OUR_PORT, IP4(PEER_IP),
						   (uint16_t)(41000 + i - 3)));
	}
	ck_assert_uint_eq(st->tcp->norphans, 3);
	ck_assert_uint_eq(st->counters[CTR_TCP_ABORT_ON_MEMORY], 2);
	hx_free(&x);
}
END_TEST

static void orphan_mem_40000(struct ts_config *cfg)
{
	cfg->tcp_sndbuf = 16384;
	cfg->tcp_orphan_max_bytes = 40000;
}

/*
 * Orphans' ring memory beyond tcp_orphan_max_bytes: the oldest is reset.
 * An orphan whose data is all acknowledged holds no ring and no longer
 * counts.
 */
START_TEST(orphan_memory_bounded)
{
	struct hx x;
	hx_listen(&x, orphan_mem_40000);
	struct stack *st = &x.t.st;
	uint32_t iss[4], snd[4];
	for (int i = 0; i < 3; i++) {
		x.port = (uint16_t)(41000 + i);
		hx_connect(&x, 1460);
		iss[i] = x.iss;
		snd[i] = x.snd;
		hx_stuck_on_zero_window(&x, 16384, true);
	}
	/* Three orphans of 16 KiB each do not fit in 40000 bytes. */
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_RST | TCP_ACK);
	ck_assert_uint_eq(r.v.dst_port, 41000);
	ck_assert_uint_eq(st->tcp->norphans, 2);
	ck_assert_uint_eq(st->tcp->orphan_bytes, 32768);
	ck_assert_uint_eq(st->counters[CTR_TCP_ABORT_ON_MEMORY], 1);
	/* 41001's peer opens its window and takes everything: its ring goes. */
	x.port = 41001;
	uint8_t f[128];
	x.snd = snd[1];
	uint32_t acked = iss[1] + 1;
	for (int guard = 0; guard < 100 && conn(&x) && conn(&x)->snd_ring.len; guard++) {
		feed(&x, f, seg_wnd(&x, f, acked, 65535));
		while (take(&x, &r))
			if (r.v.dst_port == 41001)
				acked = r.v.seq + r.v.payload_len;
	}
	ck_assert_uint_eq(conn(&x)->snd_ring.len, 0);
	ck_assert_uint_eq(st->tcp->orphan_bytes, 16384);
	/* Now a third orphan fits. */
	x.port = 41003;
	hx_connect(&x, 1460);
	hx_stuck_on_zero_window(&x, 16384, true);
	expect_none(&x);
	ck_assert_uint_eq(st->tcp->norphans, 3);
	ck_assert_uint_eq(st->tcp->orphan_bytes, 32768);
	ck_assert_uint_eq(st->counters[CTR_TCP_ABORT_ON_MEMORY], 1);
	hx_free(&x);
}
END_TEST

/* ---- 3. SYN floods and SYN cookies (RFC 4987 §3.6) ---- */

static void syn_backlog_2(struct ts_config *cfg)
{
	cfg->tcp_max_syn_backlog = 2;
}

/* Two spoofed half-open connections fill the SYN queue (tcp_max_syn_backlog 2). */
static void fill_syn_queue(struct hx *x)
{
	uint8_t f[128];
	for (uint16_t i = 0; i < 2; i++)
		feed(x, f,
		     ts_tcp_frame_from_peer(f, (uint16_t)(50000 + i), OUR_PORT, 100, 0, TCP_SYN,
					    1000, NULL, 0, NULL, 0));
	drain(x);
	ck_assert_uint_eq(x->t.st.tcp->npcbs, 3);
}

/* A SYN from x->port with MSS mss, timestamps (TSval x->tsval), SACK-permitted, WS ws. */
static size_t syn_full_options(struct hx *x, uint8_t *f, uint16_t mss, uint8_t ws)
{
	uint8_t opt[20] = {TCP_OPT_MSS, 4, 0, 0, TCP_OPT_SACK_PERM, 2, TCP_OPT_TS, 10};
	put_be16(opt + 2, mss);
	put_be32(opt + 8, x->tsval);
	put_be32(opt + 12, 0);
	opt[16] = TCP_OPT_NOP;
	opt[17] = TCP_OPT_WS;
	opt[18] = 3;
	opt[19] = ws;
	return ts_tcp_frame_from_peer(f, x->port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, opt, 20,
				      NULL, 0);
}

/*
 * The SYN queue is full: the next SYN gets a SYN,ACK whose ISN is the
 * cookie (the table MSS 1300 for the peer's 1400) and whose TSval carries
 * WS 7 and SACK-permitted, and nothing is kept.  The ACK that returns it
 * opens the connection with all of that; data flows both ways.
 */
START_TEST(full_syn_queue_answers_with_cookie)
{
	struct hx x;
	hx_listen(&x, syn_backlog_2);
	struct stack *st = &x.t.st;
	fill_syn_queue(&x);
	x.ts = true;
	uint8_t f[256];
	feed(&x, f, syn_full_options(&x, f, 1400, 7));
	struct reply r;
	ck_assert_msg(take(&x, &r), "the SYN was dropped: no SYN,ACK");
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.v.ack, PEER_ISS + 1);
	ck_assert_uint_eq(st->tcp->npcbs, 3); /* nothing kept */
	/* DF as on the SYN,ACK a kept connection sends: the listener's
	 * IP_MTU_DISCOVER (Linux ip_build_and_send_pkt with the listener). */
	ck_assert_uint_eq(get_be16(r.frame + 14 + 6), IPV4_FLAG_DF);
	ck_assert_uint_eq(st->counters[CTR_TCP_SYNCOOKIES_SENT], 1);
	ck_assert_uint_eq(st->drops[DROP_TCP_LISTEN_OVERFLOW], 0);
	uint32_t want = tcp_syncookie_make(st->tcp->cookie_key, IP4(OUR_IP), OUR_PORT, IP4(PEER_IP),
					   x.port, PEER_ISS, tcp_syncookie_count(st->now_us), 1);
	ck_assert_uint_eq(r.v.seq, want);
	ck_assert(r.o.has_mss && r.o.has_ts && r.o.sack_perm && r.o.has_ws);
	ck_assert_uint_eq(r.o.mss, 1460);
	ck_assert_uint_eq(r.o.ws, 3); /* 256 KiB */
	ck_assert_uint_eq(r.o.tsecr, x.tsval);
	ck_assert_uint_eq(r.o.tsval & 0x3f, 7 | TCP_SYNCOOKIE_TS_SACK);
	ck_assert_uint_eq(r.v.wnd, 65535);
	uint32_t cookie_ts = r.o.tsval;
	/* The ACK, carrying the request: the connection is born ESTABLISHED. */
	x.iss = r.v.seq;
	x.snd = PEER_ISS + 1;
	x.tsval++;
	feed(&x, f, seg(&x, f, x.snd, x.iss + 1, TCP_ACK | TCP_PSH, "GET /", 5));
	x.snd += 5;
	x.pcb = conn(&x);
	ck_assert_ptr_nonnull(x.pcb);
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(st->counters[CTR_TCP_SYNCOOKIES_RECV], 1);
	ck_assert_uint_eq(x.pcb->smss, 1300 - 12);
	ck_assert(x.pcb->tf & TF_TS_OK);
	ck_assert(x.pcb->tf & TF_SACK_OK);
	ck_assert(x.pcb->tf & TF_WS_OK);
	ck_assert_uint_eq(x.pcb->snd_wscale, 7);
	ck_assert_uint_eq(x.pcb->rcv_wscale, 3);
	ck_assert_uint_eq(x.pcb->ts_recent, x.tsval);
	ck_assert_uint_eq(x.pcb->rcv_nxt, x.snd);
	x.fd = ts_accept4(st, x.lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x.fd, 0);
	char buf[8];
	ck_assert_int_eq(ts_read(st, x.fd, buf, sizeof(buf)), 5);
	drain(&x); /* the window update */
	static uint8_t data[4000];
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_uint_eq(r.v.ack, x.snd);
	ck_assert_uint_eq(r.v.payload_len, 1300 - 12);
	ck_assert(r.o.has_ts);
	/* Our clock continues from the cookie TSval, never behind it. */
	ck_assert_int_ge((int32_t)(r.o.tsval - cookie_ts), 0);
	ck_assert_uint_eq(r.o.tsecr, x.tsval);
	/* The peer's window is scaled by its shift from now on. */
	ck_assert_uint_eq(x.pcb->snd_wnd, 65535u << 7);
	hx_free(&x);
}
END_TEST

/*
 * Forged and stale cookies are answered with the RST any ACK to a
 * listener gets, and counted; an ACK to a listener that never sent a
 * cookie is not even checked as one.  A SYN without timestamps gets a
 * cookie connection without scaling or SACK.
 */
START_TEST(cookie_ack_checked)
{
	struct hx x;
	hx_listen(&x, syn_backlog_2);
	struct stack *st = &x.t.st;
	uint8_t f[256];
	feed(&x, f, seg(&x, f, 5000, 0x12345678u, TCP_ACK, NULL, 0));
	expect(&x, 0x12345678u, 0, TCP_RST);
	ck_assert_uint_eq(st->drops[DROP_TCP_LISTEN_ACK], 1);
	fill_syn_queue(&x);
	/* No timestamps, MSS 1460: the cookie carries MSS 1460 only. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, x.port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535,
				    (const uint8_t[]){TCP_OPT_MSS, 4, 0x05, 0xb4}, 4, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert(r.o.has_mss && !r.o.has_ts && !r.o.sack_perm && !r.o.has_ws);
	uint32_t cookie = r.v.seq;
	/* Forged: one bit off. */
	feed(&x, f, seg(&x, f, PEER_ISS + 1, (cookie ^ 0x10000) + 1, TCP_ACK, NULL, 0));
	expect(&x, (cookie ^ 0x10000) + 1, 0, TCP_RST);
	ck_assert_uint_eq(st->drops[DROP_TCP_SYNCOOKIE_BAD], 1);
	/* Stale: two ticks later, while the listener still sends cookies
	 * (tcp_syncookies 2: always, as the flood's spoofed half-open
	 * connections time out meanwhile). */
	st->cfg.tcp_syncookies = 2;
	advance(&x, 100 * 1000 * MS);
	x.port = 45000;
	feed(&x, f, syn_full_options(&x, f, 1460, 0));
	x.port = PEER_PORT;
	advance(&x, 30 * 1000 * MS);
	drain(&x);
	feed(&x, f, seg(&x, f, PEER_ISS + 1, cookie + 1, TCP_ACK, NULL, 0));
	expect(&x, cookie + 1, 0, TCP_RST);
	ck_assert_uint_eq(st->drops[DROP_TCP_SYNCOOKIE_BAD], 2);
	ck_assert_ptr_null(conn(&x));
	/* A fresh one works and has no options beyond the MSS. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, x.port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535,
				    (const uint8_t[]){TCP_OPT_MSS, 4, 0x05, 0xb4}, 4, NULL, 0));
	ck_assert(take(&x, &r));
	feed(&x, f, seg(&x, f, PEER_ISS + 1, r.v.seq + 1, TCP_ACK, NULL, 0));
	expect_none(&x);
	x.pcb = conn(&x);
	ck_assert_ptr_nonnull(x.pcb);
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(x.pcb->smss, 1460);
	ck_assert(!(x.pcb->tf & (TF_TS_OK | TF_SACK_OK | TF_WS_OK)));
	ck_assert_uint_eq(x.pcb->snd_wnd, 65535);
	hx_free(&x);
}
END_TEST

/* A half-open connection resends its SYN,ACK 5 times (Linux tcp_synack_retries), not 6. */
START_TEST(synack_retries_five)
{
	struct hx x;
	hx_listen(&x, NULL);
	uint8_t f[128];
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, x.port, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, NULL, 0, NULL,
				    0));
	drain(&x);
	int resent = 0;
	uint64_t start = x.t.st.now_us;
	while (conn(&x) && x.t.st.now_us - start < 600 * 1000 * MS) {
		stack_poll(&x.t.st, stack_next_deadline(&x.t.st));
		struct reply r;
		while (take(&x, &r)) {
			ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
			resent++;
		}
	}
	ck_assert_ptr_null(conn(&x));
	ck_assert_int_eq(resent, 5);
	ck_assert_uint_eq(x.t.st.now_us - start, 63 * 1000 * MS); /* 1+2+4+8+16, then 32 */
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
	tcase_add_test(tc, orphan_on_zero_window_gone_after_orphan_retries);
	tcase_add_test(tc, orphan_on_zero_window_gone_even_if_peer_answers);
	tcase_add_test(tc, zero_window_probes_unanswered_time_out);
	tcase_add_test(tc, retransmissions_give_up_sooner_for_orphans);
	tcase_add_test(tc, orphans_beyond_max_reset_oldest);
	tcase_add_test(tc, orphan_memory_bounded);
	tcase_add_test(tc, full_syn_queue_answers_with_cookie);
	tcase_add_test(tc, cookie_ack_checked);
	tcase_add_test(tc, synack_retries_five);
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
