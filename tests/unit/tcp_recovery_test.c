/*
 * tcp_recovery_test.c - loss detection and recovery against their RFCs,
 * one stack over the capture netdev fed hand-built segments with SACK and
 * timestamps (or without, where a test says so):
 *
 *   RACK's marking with reordering and its reordering timer (RFC 8985 §6),
 *   the tail loss probe at 2 SRTT (§7), D-SACK received (RFC 2883, RACK's
 *   reo_wnd) and sent, SACK blocks most recent first (RFC 2018 §4),
 *   undo by timestamps (RFC 3522), by D-SACK, and F-RTO (RFC 5682),
 *   the RTO after a retransmitted SYN,ACK (RFC 6298 (5.7)), PSH every half
 *   window (Linux forced_push), the restart after idle (RFC 5681 §4.1),
 *   and the --trace tcp line.
 *
 * The peer is 10.0.0.1:40000, the stack 10.0.0.2:8080.  The handshake
 * takes 20 ms, so SRTT = 20 ms from the first sample (RFC 6298 (2.2)).
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

#define PEER_PORT 40000
#define OUR_PORT  8080
#define PEER_ISS  1000u
#define MS	  1000ull
#define MSS	  1448u /* 1460 minus the timestamp option */

struct fx {
	struct ts_test_stack t;
	int lfd, fd;
	struct tcp_pcb *pcb;
	uint32_t snd;	  /* next peer sequence number */
	uint32_t una;	  /* our ISS + 1 */
	uint32_t tsval;	  /* the peer's TSval */
	uint32_t last_ts; /* our TSval in the last segment taken */
	bool ts, sack;	  /* options agreed */
	char *trace;
	size_t trace_len;
	FILE *trace_f;
};

struct reply {
	uint8_t frame[2048];
	struct tcp_view v;
	struct tcp_opts o;
};

static bool take(struct fx *x, struct reply *r)
{
	size_t n = capdev_take(x->t.cap, r->frame, sizeof(r->frame));
	if (!n)
		return false;
	const uint8_t *ip = r->frame + 14;
	ck_assert_uint_eq(ip[9], 6);
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	ck_assert_int_eq(tcp_parse(ip + ihl, get_be16(ip + 2) - ihl, &r->v), DROP_NONE);
	ck_assert_int_eq(tcp_parse_options(r->v.opt, r->v.opt_len, &r->o), DROP_NONE);
	if (r->o.has_ts)
		x->last_ts = r->o.tsval;
	return true;
}

static void expect_none(struct fx *x)
{
	ck_assert_uint_eq(capdev_sent_count(x->t.cap), 0);
}

/* Our data segment at offset off from ISS+1, len bytes. */
static void expect_data(struct fx *x, uint32_t off, uint32_t len)
{
	struct reply r;
	ck_assert_msg(take(x, &r), "no segment (wanted data at %u)", off);
	ck_assert_msg(r.v.seq == x->una + off && r.v.payload_len == len,
		      "segment at %u len %u, wanted %u len %u", r.v.seq - x->una, r.v.payload_len,
		      off, len);
}

static void advance(struct fx *x, uint64_t us)
{
	stack_poll(&x->t.st, x->t.st.now_us + us);
}

/*
 * A segment from the peer: ACK ack, SACK blocks (pairs of offsets from
 * ISS+1), TSecr tsecr (0: our last TSval), data.
 */
static void peer(struct fx *x, uint32_t ack_off, const uint32_t *blocks, int nblocks,
		 uint32_t tsecr, const void *data, uint32_t len)
{
	uint8_t opt[40], f[2048];
	size_t n = 0;
	if (x->ts) {
		opt[n++] = 1;
		opt[n++] = 1;
		opt[n++] = TCP_OPT_TS;
		opt[n++] = 10;
		put_be32(opt + n, x->tsval);
		put_be32(opt + n + 4, tsecr ? tsecr : x->last_ts);
		n += 8;
	}
	if (nblocks) {
		opt[n++] = 1;
		opt[n++] = 1;
		opt[n++] = TCP_OPT_SACK;
		opt[n++] = (uint8_t)(2 + 8 * nblocks);
		for (int i = 0; i < nblocks; i++) {
			put_be32(opt + n, x->una + blocks[2 * i]);
			put_be32(opt + n + 4, x->una + blocks[2 * i + 1]);
			n += 8;
		}
	}
	ts_test_stack_feed(&x->t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, x->snd, x->una + ack_off,
						  TCP_ACK | (len ? TCP_PSH : 0), 65535, opt, n,
						  data, len));
	x->snd += len;
}

/* Established and accepted, the handshake taking 20 ms; with timestamps
 * and SACK when asked (no window scaling: windows are bytes). */
static void fx_init(struct fx *x, bool ts, bool sack)
{
	memset(x, 0, sizeof(*x));
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_ttl_ms = 24u * 3600 * 1000;
	cfg.trace = TS_TRACE_TCP;
	x->trace_f = open_memstream(&x->trace, &x->trace_len);
	cfg.trace_out = x->trace_f;
	ts_test_stack_init(&x->t, &cfg);
	x->ts = ts;
	x->sack = sack;
	x->tsval = 5000;
	uint8_t f[256];
	ts_test_stack_feed(&x->t, f, ts_arp_request_from_peer(f));
	ck_assert_uint_gt(capdev_take(x->t.cap, f, sizeof(f)), 0);
	struct stack *st = &x->t.st;
	x->lfd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(st, x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, x->lfd, 8), 0);
	uint8_t opt[20] = {TCP_OPT_MSS, 4, 0x05, 0xb4};
	size_t n = 4;
	if (sack) {
		opt[n++] = 1;
		opt[n++] = 1;
		opt[n++] = TCP_OPT_SACK_PERM;
		opt[n++] = 2;
	}
	if (ts) {
		opt[n++] = 1;
		opt[n++] = 1;
		opt[n++] = TCP_OPT_TS;
		opt[n++] = 10;
		put_be32(opt + n, x->tsval);
		put_be32(opt + n + 4, 0);
		n += 8;
	}
	ts_test_stack_feed(&x->t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN,
						  65535, opt, n, NULL, 0));
	struct reply r;
	ck_assert(take(x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	x->una = r.v.seq + 1;
	x->snd = PEER_ISS + 1;
	advance(x, 20 * MS);
	peer(x, 0, NULL, 0, 0, NULL, 0);
	x->fd = ts_accept4(st, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x->fd, 0);
	x->pcb = tcp_conn_lookup(st, IP4(TS_OUR_IP), OUR_PORT, IP4(TS_PEER_IP), PEER_PORT);
	ck_assert_ptr_nonnull(x->pcb);
	ck_assert_uint_eq(x->pcb->rtt.srtt_us, 20 * MS);
	ck_assert_uint_eq(x->pcb->smss, ts ? MSS : 1460);
	expect_none(x);
}

static void fx_free(struct fx *x)
{
	stack_destroy(&x->t.st);
	ck_assert_msg(x->t.st.bufs_live == 0, "%lld buffers leaked", (long long)x->t.st.bufs_live);
	capdev_free(x->t.cap);
	fclose(x->trace_f);
	free(x->trace);
}

static bool traced(struct fx *x, const char *what)
{
	fflush(x->trace_f);
	return x->trace && strstr(x->trace, what);
}

/* Writes n segments of MSS bytes and takes them off the wire. */
static void send_segs(struct fx *x, int n)
{
	static uint8_t data[16 * MSS];
	uint32_t base = x->pcb->snd_max - x->una;
	ck_assert_int_eq(ts_write(&x->t.st, x->fd, data, (size_t)n * MSS), n * (int)MSS);
	for (int i = 0; i < n; i++)
		expect_data(x, base + (uint32_t)i * MSS, MSS);
	expect_none(x);
}

/* ---- RACK (RFC 8985 §6) ---- */

/*
 * Segment 3 of 5 is SACKed 10 ms after they went out: 1 and 2 were sent
 * before it, but one SACKed segment is no proof (reo_wnd = min_RTT / 4 =
 * 2.5 ms while fewer than DupThresh are SACKed, §6.2 step 4): the
 * reordering timer waits.  Then 1 and 2 arrive after all: nothing was
 * resent, and RACK saw reordering (§6.2 step 3).
 */
START_TEST(rack_reordering_is_not_loss)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 5);
	uint32_t ts0 = x.last_ts;
	advance(&x, 10 * MS);
	const uint32_t b[] = {2 * MSS, 3 * MSS};
	peer(&x, 0, b, 1, ts0, NULL, 0);
	expect_none(&x);
	ck_assert(x.pcb->tf & TF_REO_ARMED);
	ck_assert_uint_eq(x.pcb->rack_min_rtt_us, 10 * MS);
	advance(&x, 2 * MS);
	expect_none(&x);
	peer(&x, 3 * MSS, NULL, 0, ts0, NULL, 0);
	expect_none(&x);
	ck_assert(x.pcb->rack_reord);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_REORDER_SEEN], 1);
	advance(&x, 5 * MS);
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RACK_LOST], 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RETRANS], 0);
	fx_free(&x);
}
END_TEST

/* The same SACK, and nothing else: at 2.5 ms the reordering timer marks
 * 1 and 2 lost (§6.3) and the recovery begins; PRR's reduction bound
 * (RFC 6937 §3: nothing delivered since it began, so one MSS) lets the
 * first go, the next ACK the second. */
START_TEST(rack_reo_timer_marks_lost)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 5);
	uint32_t ts0 = x.last_ts;
	advance(&x, 10 * MS);
	const uint32_t b[] = {2 * MSS, 3 * MSS};
	peer(&x, 0, b, 1, ts0, NULL, 0);
	expect_none(&x);
	advance(&x, 2499);
	expect_none(&x);
	advance(&x, 1);
	expect_data(&x, 0, MSS);
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_REO_TIMEOUTS], 1);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RACK_LOST], 2);
	ck_assert_uint_eq(x.pcb->ca_state, TCP_CA_RECOVERY);
	ck_assert(traced(&x, "event=rack_lost"));
	const uint32_t b2[] = {2 * MSS, 4 * MSS};
	peer(&x, 0, b2, 1, ts0, NULL, 0);
	expect_data(&x, MSS, MSS);
	fx_free(&x);
}
END_TEST

/*
 * Three SACKed segments after the first two (reo_wnd 0 without
 * reordering seen): lost at once.  Then the retransmission of segment 1
 * is lost too: segment 2's retransmission, sent after it, is SACKed, and
 * RACK (by time, not sequence) marks the first retransmission lost after
 * RACK.rtt: a lost retransmission without waiting for the RTO.
 */
START_TEST(rack_detects_lost_retransmission)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 6);
	uint32_t ts0 = x.last_ts;
	advance(&x, 10 * MS);
	const uint32_t b[] = {2 * MSS, 6 * MSS};
	peer(&x, 0, b, 1, ts0, NULL, 0);
	expect_data(&x, 0, MSS);
	expect_data(&x, MSS, MSS);
	expect_none(&x);
	uint32_t ts1 = x.last_ts;
	/* 10 ms later, the second retransmission is SACKed, not the first. */
	advance(&x, 10 * MS);
	const uint32_t b2[] = {MSS, 6 * MSS};
	peer(&x, 0, b2, 1, ts1, NULL, 0);
	expect_data(&x, 0, MSS);
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_LOST_RETRANSMITS], 1);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RTO_EXPIRED], 0);
	fx_free(&x);
}
END_TEST

/* ---- TLP (RFC 8985 §7) ---- */

START_TEST(tlp_at_two_srtt_on_tail_loss)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 3);
	/* PTO = 2 SRTT = 40 ms with more than one segment out (§7.2). */
	advance(&x, 40 * MS - 1);
	expect_none(&x);
	advance(&x, 1);
	expect_data(&x, 2 * MSS, MSS); /* the last segment again (§7.3) */
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_TLP_PROBES], 1);
	ck_assert(traced(&x, "event=tlp"));
	/* The probe's ACK shows the tail was lost: one ACK of all, fine. */
	peer(&x, 3 * MSS, NULL, 0, 0, NULL, 0);
	/* One segment out: PTO = 2 SRTT + the 200 ms delayed-ACK allowance,
	 * but never after the RTO would fire (§7.2). */
	send_segs(&x, 1);
	uint64_t pto = 2ull * x.pcb->rtt.srtt_us + 200 * MS;
	ck_assert_uint_gt(pto, tcp_rto_us(x.pcb));
	pto = tcp_rto_us(x.pcb);
	advance(&x, pto - 1);
	expect_none(&x);
	advance(&x, 1);
	expect_data(&x, 3 * MSS, MSS);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_TLP_PROBES], 2);
	fx_free(&x);
}
END_TEST

/* ---- D-SACK (RFC 2883) ---- */

START_TEST(dsack_received_grows_reo_wnd)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 2);
	peer(&x, 2 * MSS, NULL, 0, 0, NULL, 0);
	ck_assert_uint_eq(x.pcb->rack_reo_wnd_mult, 1);
	/* First block below the ACK: a duplicate (§4). */
	const uint32_t d[] = {0, MSS};
	peer(&x, 2 * MSS, d, 1, 0, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_DSACK_RECV], 1);
	ck_assert_uint_eq(x.pcb->rack_reo_wnd_mult, 2); /* RFC 8985 §6.2 step 4 */
	ck_assert_uint_eq(x.pcb->rack_reo_wnd_persist, 16);
	/* Inside the second block: also a D-SACK.  In the same round (data
	 * sent before the first one still unacknowledged) no more growth. */
	send_segs(&x, 3);
	const uint32_t d2[] = {2 * MSS, 3 * MSS, 2 * MSS, 5 * MSS};
	x.pcb->rack_dsack_round = x.pcb->snd_max; /* as if the first came now */
	peer(&x, 2 * MSS, d2, 2, 0, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_DSACK_RECV], 2);
	ck_assert_uint_eq(x.pcb->rack_reo_wnd_mult, 2);
	/* Once SND.UNA passes the round's SND.NXT, the next D-SACK grows it again. */
	peer(&x, 5 * MSS, NULL, 0, 0, NULL, 0);
	const uint32_t d3[] = {2 * MSS, 3 * MSS};
	peer(&x, 5 * MSS, d3, 1, 0, NULL, 0);
	ck_assert_uint_eq(x.pcb->rack_reo_wnd_mult, 3);
	/* An ordinary SACK is none. */
	send_segs(&x, 2);
	const uint32_t s[] = {6 * MSS, 7 * MSS};
	peer(&x, 5 * MSS, s, 1, 0, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_DSACK_RECV], 3);
	fx_free(&x);
}
END_TEST

START_TEST(dsack_sent_for_duplicate_data)
{
	struct fx x;
	fx_init(&x, true, true);
	struct reply r;
	uint32_t s0 = x.snd;
	peer(&x, 0, NULL, 0, 0, "0123456789", 10);
	ck_assert(take(&x, &r)); /* quick ACK */
	ck_assert_uint_eq(r.o.nsack, 0);
	/* The same ten bytes again: an ACK at once, its first (only) block the
	 * duplicate, below the ACK (RFC 2883 §4). */
	x.snd = s0;
	peer(&x, 0, NULL, 0, 0, "0123456789", 10);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.ack, s0 + 10);
	ck_assert_uint_eq(r.o.nsack, 1);
	ck_assert_uint_eq(r.o.sack[0].left, s0);
	ck_assert_uint_eq(r.o.sack[0].right, s0 + 10);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_DSACK_SENT], 1);
	/* Reported once only. */
	peer(&x, 0, NULL, 0, 0, "abc", 3);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.o.nsack, 0);
	/* A duplicate of out-of-order data: D-SACK first, then the block. */
	uint32_t s1 = x.snd;
	x.snd = s1 + 100;
	peer(&x, 0, NULL, 0, 0, "xyz", 3);
	ck_assert(take(&x, &r));
	x.snd = s1 + 100;
	peer(&x, 0, NULL, 0, 0, "xyz", 3);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.o.nsack, 2);
	ck_assert_uint_eq(r.o.sack[0].left, s1 + 100);
	ck_assert_uint_eq(r.o.sack[0].right, s1 + 103);
	ck_assert_uint_eq(r.o.sack[1].left, s1 + 100);
	ck_assert_uint_eq(r.o.sack[1].right, s1 + 103);
	fx_free(&x);
}
END_TEST

/* RFC 2018 §4: the block of the latest segment first, then the blocks in
 * the order they were last reported (recency, not sequence). */
START_TEST(sack_blocks_most_recent_first)
{
	struct fx x;
	fx_init(&x, true, true);
	struct reply r;
	uint32_t s0 = x.snd;
	x.snd = s0 + 10; /* A = [10,20) */
	peer(&x, 0, NULL, 0, 0, "aaaaaaaaaa", 10);
	ck_assert(take(&x, &r));
	x.snd = s0 + 30; /* C = [30,40) */
	peer(&x, 0, NULL, 0, 0, "cccccccccc", 10);
	ck_assert(take(&x, &r));
	x.snd = s0 + 50; /* E = [50,60) */
	peer(&x, 0, NULL, 0, 0, "eeeeeeeeee", 10);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.o.nsack, 3);
	ck_assert_uint_eq(r.o.sack[0].left, s0 + 50);
	ck_assert_uint_eq(r.o.sack[1].left, s0 + 30);
	ck_assert_uint_eq(r.o.sack[2].left, s0 + 10);
	/* [20,25) extends A: A first, then E and C in the order last sent. */
	x.snd = s0 + 20;
	peer(&x, 0, NULL, 0, 0, "bbbbb", 5);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.o.nsack, 3);
	ck_assert_uint_eq(r.o.sack[0].left, s0 + 10);
	ck_assert_uint_eq(r.o.sack[0].right, s0 + 25);
	ck_assert_uint_eq(r.o.sack[1].left, s0 + 50);
	ck_assert_uint_eq(r.o.sack[2].left, s0 + 30);
	fx_free(&x);
}
END_TEST

/* ---- undo ---- */

/* Segments 1-2 "lost", resent; then the ACK of everything echoes the
 * TSval of the originals: they got there, the reduction is undone
 * (RFC 3522 §3, Linux tcp_try_undo_recovery). */
START_TEST(eifel_undo_by_timestamps)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 5);
	uint32_t ts0 = x.last_ts;
	uint32_t cwnd = x.pcb->cwnd;
	advance(&x, 10 * MS);
	const uint32_t b[] = {2 * MSS, 5 * MSS};
	peer(&x, 0, b, 1, ts0, NULL, 0);
	expect_data(&x, 0, MSS);
	expect_data(&x, MSS, MSS);
	ck_assert_uint_lt(x.pcb->ssthresh, cwnd);
	peer(&x, 5 * MSS, NULL, 0, ts0, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_UNDO_TS], 1);
	ck_assert_uint_ge(x.pcb->cwnd, cwnd);
	ck_assert_uint_eq(x.pcb->ssthresh, UINT32_MAX);
	ck_assert_uint_eq(x.pcb->ca_state, TCP_CA_OPEN);
	ck_assert(traced(&x, "event=undo"));
	fx_free(&x);
}
END_TEST

/* The same, but the ACK echoes the retransmissions: then both are
 * D-SACKed, one ACK each: every retransmission was needless, undo. */
START_TEST(dsack_undo)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 5);
	uint32_t ts0 = x.last_ts;
	uint32_t cwnd = x.pcb->cwnd;
	advance(&x, 10 * MS);
	const uint32_t b[] = {2 * MSS, 5 * MSS};
	peer(&x, 0, b, 1, ts0, NULL, 0);
	expect_data(&x, 0, MSS);
	expect_data(&x, MSS, MSS);
	uint32_t ts1 = x.last_ts;
	advance(&x, 10 * MS);
	const uint32_t d1[] = {0, MSS};
	peer(&x, 5 * MSS, d1, 1, ts1, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_UNDO_DSACK], 0);
	ck_assert_uint_lt(x.pcb->cwnd, cwnd);
	const uint32_t d2[] = {MSS, 2 * MSS};
	peer(&x, 5 * MSS, d2, 1, ts1, NULL, 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_UNDO_DSACK], 1);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_UNDO_TS], 0);
	ck_assert_uint_ge(x.pcb->cwnd, cwnd);
	fx_free(&x);
}
END_TEST

/*
 * F-RTO (RFC 5682 §2), no SACK or timestamps: the RTO resends segment 1;
 * the ACK that follows acknowledges it but not all (step 2b): two new
 * segments go instead of more retransmissions; the next ACK acknowledges
 * data that was never resent (step 3b): the timeout was spurious, undone.
 */
START_TEST(frto_detects_spurious_rto)
{
	struct fx x;
	fx_init(&x, false, false);
	struct stack *st = &x.t.st;
	static uint8_t data[14 * 1460];
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	for (int i = 0; i < 10; i++) /* IW10 */
		expect_data(&x, (uint32_t)i * 1460, 1460);
	expect_none(&x);
	uint32_t cwnd = x.pcb->cwnd;
	advance(&x, 200 * MS); /* RTO: min 200 ms */
	expect_data(&x, 0, 1460);
	expect_none(&x);
	ck_assert_uint_eq(x.pcb->frto, 1);
	peer(&x, 1460, NULL, 0, 0, NULL, 0);
	expect_data(&x, 10 * 1460, 1460); /* new data, not segment 2 again */
	expect_data(&x, 11 * 1460, 1460);
	expect_none(&x);
	peer(&x, 2 * 1460, NULL, 0, 0, NULL, 0);
	ck_assert_uint_eq(st->counters[CTR_TCP_SPURIOUS_RTO], 1);
	ck_assert_uint_ge(x.pcb->cwnd, cwnd);
	ck_assert_uint_eq(x.pcb->ssthresh, UINT32_MAX);
	ck_assert_uint_eq(x.pcb->ca_state, TCP_CA_OPEN);
	ck_assert_uint_eq(x.pcb->snd_nxt, x.pcb->snd_max);
	fx_free(&x);
}
END_TEST

/* The second ACK is a duplicate: the timeout was real, go back to
 * SND.UNA (RFC 5682 §2 step 3a). */
START_TEST(frto_real_timeout_goes_back)
{
	struct fx x;
	fx_init(&x, false, false);
	struct stack *st = &x.t.st;
	static uint8_t data[14 * 1460];
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	for (int i = 0; i < 10; i++)
		expect_data(&x, (uint32_t)i * 1460, 1460);
	advance(&x, 200 * MS);
	expect_data(&x, 0, 1460);
	peer(&x, 1460, NULL, 0, 0, NULL, 0);
	expect_data(&x, 10 * 1460, 1460);
	expect_data(&x, 11 * 1460, 1460);
	peer(&x, 1460, NULL, 0, 0, NULL, 0);
	ck_assert_uint_eq(st->counters[CTR_TCP_SPURIOUS_RTO], 0);
	expect_data(&x, 1460, 1460); /* go-back-N from SND.UNA */
	ck_assert_uint_eq(x.pcb->ca_state, TCP_CA_LOSS);
	fx_free(&x);
}
END_TEST

/* ---- RTO after a retransmitted SYN,ACK (RFC 6298 (5.7)) ---- */

START_TEST(rto_3s_after_synack_retransmitted)
{
	struct fx x;
	memset(&x, 0, sizeof(x));
	ts_test_stack_init(&x.t, NULL);
	struct stack *st = &x.t.st;
	st->cfg.gratuitous_arp = false;
	uint8_t f[256];
	ts_test_stack_feed(&x.t, f, ts_arp_request_from_peer(f));
	while (capdev_take(x.t.cap, f, sizeof(f)))
		;
	x.lfd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(st, x.lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, x.lfd, 8), 0);
	ts_test_stack_feed(&x.t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN,
						  65535, NULL, 0, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	x.una = r.v.seq + 1;
	advance(&x, 1000 * MS); /* the SYN,ACK again (RFC 6298 (2.1): 1 s) */
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ts_test_stack_feed(&x.t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS + 1, x.una,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	struct tcp_pcb *pcb =
	    tcp_conn_lookup(st, IP4(TS_OUR_IP), OUR_PORT, IP4(TS_PEER_IP), PEER_PORT);
	ck_assert_int_eq(pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(pcb->rtt.srtt_us, 0); /* Karn: no sample */
	ck_assert_uint_eq(pcb->rtt.rto_us, 3000 * MS);
	ck_assert_uint_eq(tcp_rto_us(pcb), 3000 * MS);
	stack_destroy(st);
	capdev_free(x.t.cap);
}
END_TEST

/* ---- sending: PSH, restart after idle ---- */

/* Linux forced_push: in a long write, PSH at least every half of the
 * largest window the peer offered (65535: every 32767 bytes or so). */
START_TEST(psh_every_half_window)
{
	struct fx x;
	fx_init(&x, true, true);
	struct stack *st = &x.t.st;
	static uint8_t data[60 * MSS];
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	uint32_t acked = 0, sent = 0, psh_at = 0;
	int pushes = 0;
	for (int round = 0; round < 40 && acked < sizeof(data); round++) {
		struct reply r;
		while (take(&x, &r)) {
			if (!r.v.payload_len)
				continue;
			uint32_t end = r.v.seq + r.v.payload_len - x.una;
			if (end > sent)
				sent = end;
			if (r.v.flags & TCP_PSH) {
				ck_assert_uint_le(end - psh_at, 65535 / 2 + MSS);
				psh_at = end;
				pushes++;
			}
		}
		acked = sent;
		advance(&x, 20 * MS);
		peer(&x, acked, NULL, 0, 0, NULL, 0);
	}
	ck_assert_uint_eq(acked, sizeof(data));
	ck_assert_int_ge(pushes, 2);
	ck_assert_uint_eq(psh_at, sizeof(data)); /* the last one too */
	fx_free(&x);
}
END_TEST

/* RFC 5681 §4.1: after more than an RTO without sending, cwnd restarts
 * from min(IW, cwnd), halved for each RTO idle (Linux tcp_cwnd_restart). */
START_TEST(cwnd_restart_after_idle)
{
	struct fx x;
	fx_init(&x, true, true);
	struct stack *st = &x.t.st;
	send_segs(&x, 10);
	advance(&x, 20 * MS);
	peer(&x, 10 * MSS, NULL, 0, 0, NULL, 0);
	ck_assert_uint_gt(x.pcb->cwnd, 10 * MSS);
	uint32_t before = x.pcb->cwnd;
	/* Idle for less than the RTO: no restart. */
	advance(&x, 100 * MS);
	send_segs(&x, 1);
	advance(&x, 20 * MS);
	peer(&x, 11 * MSS, NULL, 0, 0, NULL, 0);
	ck_assert_uint_ge(x.pcb->cwnd, before);
	ck_assert_uint_eq(st->counters[CTR_TCP_CWND_RESTART], 0);
	/* Ten seconds idle: back to the initial window. */
	advance(&x, 10000 * MS);
	static uint8_t one[MSS];
	ck_assert_int_eq(ts_write(st, x.fd, one, MSS), (int)MSS);
	ck_assert_uint_eq(x.pcb->cwnd, 10 * MSS);
	ck_assert_uint_eq(st->counters[CTR_TCP_CWND_RESTART], 1);
	fx_free(&x);
}
END_TEST

/* ---- --trace tcp ---- */

START_TEST(trace_line_per_ack)
{
	struct fx x;
	fx_init(&x, true, true);
	send_segs(&x, 2);
	advance(&x, 20 * MS);
	peer(&x, 2 * MSS, NULL, 0, 0, NULL, 0);
	fflush(x.trace_f);
	const char *l = strstr(x.trace, "ack t=1.040000 event=ack una=");
	ck_assert_ptr_nonnull(l);
	const char *keys[] = {"nxt=",	  "cwnd=",	"ssthresh=inf", "srtt=",
			      "rttvar=",  "rto=",	"pipe=0",	"inflight=0",
			      "sacked=0", "state=open", "cc=cubic"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(strstr(l, keys[i]), "no %s in %s", keys[i], l);
	fx_free(&x);
}
END_TEST

static Suite *tcp_recovery_suite(void)
{
	Suite *s = suite_create("tcp_recovery");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, rack_reordering_is_not_loss);
	tcase_add_test(tc, rack_reo_timer_marks_lost);
	tcase_add_test(tc, rack_detects_lost_retransmission);
	tcase_add_test(tc, tlp_at_two_srtt_on_tail_loss);
	tcase_add_test(tc, dsack_received_grows_reo_wnd);
	tcase_add_test(tc, dsack_sent_for_duplicate_data);
	tcase_add_test(tc, sack_blocks_most_recent_first);
	tcase_add_test(tc, eifel_undo_by_timestamps);
	tcase_add_test(tc, dsack_undo);
	tcase_add_test(tc, frto_detects_spurious_rto);
	tcase_add_test(tc, frto_real_timeout_goes_back);
	tcase_add_test(tc, rto_3s_after_synack_retransmitted);
	tcase_add_test(tc, psh_every_half_window);
	tcase_add_test(tc, cwnd_restart_after_idle);
	tcase_add_test(tc, trace_line_per_ack);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_recovery_suite)
