/*
 * tcp_state_test.c - state fixtures (smoltcp socket_established(), lwIP
 * tcp_helper.c): one stack over the capture netdev, a connection put in a
 * state, one segment fed in, and the exact reply and transition asserted.
 *
 * The peer is 10.0.0.1:40000 (MAC 02:00:00:00:00:01), the stack
 * 10.0.0.2:8080.  Segments are built here without options unless a test
 * needs some, so replies can be checked field by field; the one Linux SYN
 * (tests/frames/tcp/linux_syn.hex) checks the option negotiation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "tcp_frames.h"
#include "arp.h"
#include "byteorder.h"
#include "ipv4.h"
#include "checksum.h"
#include "tapstack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

#define PEER_IP	  0x0a000001u
#define OUR_IP	  0x0a000002u
#define PEER_PORT 40000
#define OUR_PORT  8080
#define PEER_ISS  0xfffffff0u /* close to the wrap on purpose */
#define MS	  1000ull

struct fx {
	struct ts_test_stack t;
	int lfd, fd;	     /* listener and accepted socket */
	struct tcp_pcb *pcb; /* the connection */
	uint32_t snd;	     /* next peer sequence number */
	uint32_t iss;	     /* our ISS */
	char *trace;	     /* --trace tcp output */
	size_t trace_len;
	FILE *trace_f;
};

static size_t mkseg(uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags, const void *data,
		    size_t len)
{
	return ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, seq, ack, flags, 65535, NULL, 0, data,
				      len);
}

static void feed(struct fx *x, const uint8_t *f, size_t len)
{
	ts_test_stack_feed(&x->t, f, len);
}

/* A reply the stack sent, parsed. */
struct reply {
	uint8_t frame[2048];
	size_t len;
	struct tcp_view v;
	struct tcp_opts o;
};

/* Takes the next frame the stack sent; it must be TCP to the peer. */
static bool take(struct fx *x, struct reply *r)
{
	r->len = capdev_take(x->t.cap, r->frame, sizeof(r->frame));
	if (!r->len)
		return false;
	ck_assert_uint_eq(get_be16(r->frame + 12), 0x0800);
	ck_assert_mem_eq(r->frame, ts_peer_mac, 6);
	const uint8_t *ip = r->frame + 14;
	ck_assert_uint_eq(ip[9], 6);
	ck_assert_uint_eq(get_be32(ip + 16), PEER_IP);
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	size_t tl = get_be16(ip + 2) - ihl;
	const uint8_t *p = ip + ihl;
	ck_assert_int_eq(tcp_parse(p, tl, &r->v), DROP_NONE);
	ck_assert(tcp_csum_ok(p, tl, IP4(OUR_IP), IP4(PEER_IP)));
	ck_assert_int_eq(tcp_parse_options(r->v.opt, r->v.opt_len, &r->o), DROP_NONE);
	return true;
}

static void expect_none(struct fx *x)
{
	ck_assert_uint_eq(capdev_sent_count(x->t.cap), 0);
}

/* Asserts the reply is exactly <SEQ=seq><ACK=ack><CTL=flags> with no data. */
static void expect(struct fx *x, uint32_t seq, uint32_t ack, uint8_t flags)
{
	struct reply r;
	ck_assert_msg(take(x, &r), "no reply");
	ck_assert_uint_eq(r.v.flags, flags);
	ck_assert_uint_eq(r.v.seq, seq);
	if (flags & TCP_ACK)
		ck_assert_uint_eq(r.v.ack, ack);
	ck_assert_uint_eq(r.v.payload_len, 0);
	ck_assert_uint_eq(r.v.src_port, OUR_PORT);
}

static void advance(struct fx *x, uint64_t us)
{
	stack_poll(&x->t.st, x->t.st.now_us + us);
}

/* The stack at 10.0.0.2 knows the peer's MAC (its ARP request) and listens on 8080. */
static void fx_listen(struct fx *x)
{
	memset(x, 0, sizeof(*x));
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_ttl_ms = 24u * 3600 * 1000; /* the peer's MAC stays known: only TCP talks */
	cfg.trace = TS_TRACE_TCP;
	x->trace_f = open_memstream(&x->trace, &x->trace_len);
	cfg.trace_out = x->trace_f;
	ts_test_stack_init(&x->t, &cfg);
	uint8_t f[64];
	feed(x, f, ts_arp_request_from_peer(f));
	ck_assert_uint_eq(capdev_take(x->t.cap, f, sizeof(f)), 42); /* the ARP reply */
	x->lfd = ts_socket(&x->t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(&x->t.st, x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&x->t.st, x->lfd, 8), 0);
	x->fd = -1;
}

static struct tcp_pcb *conn(struct fx *x)
{
	return tcp_conn_lookup(&x->t.st, IP4(OUR_IP), OUR_PORT, IP4(PEER_IP), PEER_PORT);
}

/* Handshake without options: SYN, our SYN,ACK (checked), ACK, accept. */
static void fx_established(struct fx *x)
{
	fx_listen(x);
	uint8_t f[128];
	const uint8_t mss[] = {TCP_OPT_MSS, 4, 0x05, 0xb4}; /* without it SMSS would be 536 */
	feed(x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, mss, 4,
				    NULL, 0));
	struct reply r;
	ck_assert(take(x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.v.ack, PEER_ISS + 1);
	ck_assert_uint_eq(r.v.wnd, 65535); /* no scaling offered: unscaled, capped */
	/* Only MSS: the peer offered no timestamps, SACK or scaling. */
	ck_assert_uint_eq(r.v.opt_len, 4);
	ck_assert(r.o.has_mss && !r.o.has_ts && !r.o.sack_perm && !r.o.has_ws);
	ck_assert_uint_eq(r.o.mss, 1460);
	x->iss = r.v.seq;
	x->snd = PEER_ISS + 1;
	ck_assert_int_eq(conn(x)->state, TCPS_SYN_RECEIVED);
	feed(x, f, mkseg(f, x->snd, x->iss + 1, TCP_ACK, NULL, 0));
	expect_none(x);
	x->pcb = conn(x);
	ck_assert_int_eq(x->pcb->state, TCPS_ESTABLISHED);
	x->fd = ts_accept4(&x->t.st, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x->fd, 3);
	ck_assert_uint_eq(x->pcb->smss, 1460);
}

static void fx_free(struct fx *x)
{
	stack_destroy(&x->t.st);
	ck_assert_msg(x->t.st.bufs_live == 0, "%lld buffers leaked", (long long)x->t.st.bufs_live);
	capdev_free(x->t.cap);
	fclose(x->trace_f);
	free(x->trace);
}

static bool traced(struct fx *x, const char *line)
{
	fflush(x->trace_f);
	return x->trace && strstr(x->trace, line);
}

/* ---- LISTEN ---- */

START_TEST(linux_syn_gets_synack_with_options)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[128], lsa[128];
	size_t n = ts_load_hex("tcp/linux_syn.hex", f, sizeof(f));
	feed(&x, f, n);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.v.src_port, 8080);
	ck_assert_uint_eq(r.v.dst_port, 56106);
	ck_assert_uint_eq(get_be16(r.frame + 14 + 6), IPV4_FLAG_DF); /* IP_PMTUDISC_WANT */
	ck_assert_uint_eq(r.v.ack, 0x3cd026dfu + 1);
	ck_assert_uint_eq(r.v.wnd, 65535);
	/* Same option layout as Linux's own SYN,ACK (linux_synack.hex), masking
	 * TSval (clock) and the shift count (buffer size): MSS, SACK-permitted,
	 * TS, NOP, WS. */
	size_t ln = ts_load_hex("tcp/linux_synack.hex", lsa, sizeof(lsa));
	ck_assert_uint_eq(ln, 74);
	const uint8_t *lopt = lsa + 14 + 20 + 20;
	ck_assert_uint_eq(r.v.opt_len, 20);
	uint8_t ours[20];
	memcpy(ours, r.v.opt, 20);
	ck_assert_mem_eq(ours, lopt, 6);	   /* MSS 1460, SACK-permitted */
	ck_assert_mem_eq(ours + 6, lopt + 6, 2);   /* TS kind, length */
	ck_assert_mem_eq(ours + 12, lopt + 12, 4); /* TSecr = the SYN's TSval */
	ck_assert_mem_eq(ours + 16, lopt + 16, 3); /* NOP, WS kind, length */
	ck_assert_uint_eq(ours[19], 3);		   /* 256 KiB needs a shift of 3 */
	struct tcp_pcb *pcb = tcp_conn_lookup(&x.t.st, IP4(OUR_IP), 8080, IP4(PEER_IP), 56106);
	ck_assert_ptr_nonnull(pcb);
	ck_assert_int_eq(pcb->state, TCPS_SYN_RECEIVED);
	ck_assert_uint_eq(pcb->snd_wscale, 10);
	ck_assert(pcb->tf & TF_TS_OK);
	ck_assert_uint_eq(pcb->smss, 1448);
	ck_assert(traced(&x, "tcp 10.0.0.2:8080<10.0.0.1:56106 LISTEN -> SYN-RECEIVED on [S] "
			     "seq=1020274399 ack=0 len=0\n"));
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_PASSIVE_OPENS], 1);
	fx_free(&x);
}
END_TEST

START_TEST(ack_to_listener_gets_rst)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, 1000, 0x12345678, TCP_ACK, NULL, 0));
	expect(&x, 0x12345678, 0, TCP_RST); /* <SEQ=SEG.ACK><CTL=RST> */
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_LISTEN_ACK], 1);
	feed(&x, f, mkseg(f, 1000, 0, TCP_RST, NULL, 0));
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_LISTEN_RST], 1);
	fx_free(&x);
}
END_TEST

START_TEST(closed_port_gets_rst)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[128];
	/* No ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, the SYN counts one. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, 9999, 777, 0, TCP_SYN, 1000, NULL, 0, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_RST | TCP_ACK);
	ck_assert_uint_eq(r.v.seq, 0);
	ck_assert_uint_eq(r.v.ack, 778);
	ck_assert_uint_eq(r.v.src_port, 9999);
	/* DF, no fragment: Linux sends its RSTs from a control socket in
	 * IP_PMTUDISC_DO (tcp_sk_init), so do we. */
	ck_assert_uint_eq(get_be16(r.frame + 14 + 6), IPV4_FLAG_DF);
	/* With ACK and data: <SEQ=SEG.ACK><CTL=RST>. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, 9999, 5, 0xabcdef01, TCP_ACK, 1000, NULL, 0, "hi",
				    2));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_RST);
	ck_assert_uint_eq(r.v.seq, 0xabcdef01);
	/* A RST to a closed port is not answered. */
	feed(&x, f, ts_tcp_frame_from_peer(f, PEER_PORT, 9999, 5, 0, TCP_RST, 0, NULL, 0, NULL, 0));
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_NO_SOCKET], 3);
	fx_free(&x);
}
END_TEST

START_TEST(handshake_to_established)
{
	struct fx x;
	fx_established(&x);
	ck_assert(traced(&x, "SYN-RECEIVED -> ESTABLISHED on [.]"));
	ck_assert_uint_eq(x.pcb->snd_una, x.iss + 1);
	ck_assert_uint_eq(x.pcb->rcv_nxt, PEER_ISS + 1);
	ck_assert_uint_eq(x.pcb->snd_wnd, 65535);
	fx_free(&x);
}
END_TEST

START_TEST(syn_received_bad_ack_gets_rst)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, PEER_ISS, 0, TCP_SYN, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	feed(&x, f, mkseg(f, PEER_ISS + 1, r.v.seq + 1000, TCP_ACK, NULL, 0));
	expect(&x, r.v.seq + 1000, 0, TCP_RST);
	ck_assert_int_eq(conn(&x)->state, TCPS_SYN_RECEIVED);
	/* The peer's retransmitted SYN gets our SYN,ACK again. */
	feed(&x, f, mkseg(f, PEER_ISS, 0, TCP_SYN, NULL, 0));
	expect(&x, r.v.seq, PEER_ISS + 1, TCP_SYN | TCP_ACK);
	fx_free(&x);
}
END_TEST

START_TEST(synack_retransmitted_with_backoff)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, PEER_ISS, 0, TCP_SYN, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	advance(&x, 999 * MS);
	expect_none(&x);
	advance(&x, 1 * MS); /* RFC 6298 (2.1): initial RTO 1 s */
	expect(&x, r.v.seq, PEER_ISS + 1, TCP_SYN | TCP_ACK);
	advance(&x, 1999 * MS);
	expect_none(&x);
	advance(&x, 1 * MS); /* (5.5) doubled */
	expect(&x, r.v.seq, PEER_ISS + 1, TCP_SYN | TCP_ACK);
	fx_free(&x);
}
END_TEST

/* ---- ESTABLISHED: data and ACKs ---- */

/*
 * Golden trace of the ACK policy (Linux tcp_event_data_recv,
 * __tcp_ack_snd_check, tcp_event_data_sent): the first request of a
 * connection is ACKed at once (quick-ACK mode), the answer makes the
 * connection interactive, and the next request's ACK is delayed by the
 * ATO (40 ms) so it can ride on the answer, or goes alone when none comes.
 */
START_TEST(ack_policy_quick_then_delayed_golden)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[2000];
	const char *resp = "HTTP/1.1 200 OK\r\n\r\n";
	uint32_t rl = (uint32_t)strlen(resp);
	char buf[64];
	/* Request 1: ACKed at once. */
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK | TCP_PSH, "GET /hello\n", 11));
	expect(&x, x.iss + 1, x.snd + 11, TCP_ACK);
	ck_assert_uint_eq(st->counters[CTR_TCP_QUICK_ACKS], 1);
	ck_assert_uint_eq(st->counters[CTR_TCP_DELAYED_ACKS], 0);
	/* The answer: PSH (it empties what the application gave). */
	ck_assert_int_eq(ts_write(st, x.fd, resp, rl), (int)rl);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_ACK | TCP_PSH);
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_uint_eq(r.v.ack, x.snd + 11);
	ck_assert_uint_eq(r.v.payload_len, rl);
	expect_none(&x);
	ck_assert(x.pcb->tf & TF_PINGPONG);
	feed(&x, f, mkseg(f, x.snd + 11, x.iss + 1 + rl, TCP_ACK, NULL, 0));
	expect_none(&x);
	/* Request 2, 20 ms later: delayed (interactive), 40 ms. */
	advance(&x, 20 * MS);
	feed(&x, f, mkseg(f, x.snd + 11, x.iss + 1 + rl, TCP_ACK | TCP_PSH, "GET /hello\n", 11));
	expect_none(&x);
	advance(&x, 39 * MS);
	expect_none(&x);
	advance(&x, 1 * MS);
	expect(&x, x.iss + 1 + rl, x.snd + 22, TCP_ACK);
	ck_assert_uint_eq(st->counters[CTR_TCP_DELAYED_ACKS], 1);
	ck_assert_uint_eq(st->counters[CTR_TCP_QUICK_ACKS], 1);
	/* A delayed ACK that had to go alone ends the interactive mode. */
	ck_assert(!(x.pcb->tf & TF_PINGPONG));
	ck_assert_int_eq(ts_read(st, x.fd, buf, sizeof(buf)), 22);
	fx_free(&x);
}
END_TEST

/*
 * Bulk data: quick-ACK mode ACKs each of the first 16 segments at once
 * (min(16, window / 2 MSS), Linux tcp_incr_quickack), then an ACK every
 * second full-sized segment (RFC 1122 §4.2.3.2), the odd one delayed.
 */
START_TEST(second_full_segment_acked_at_once)
{
	struct fx x;
	fx_established(&x);
	static uint8_t data[1460], f[2000];
	memset(data, 'a', sizeof(data));
	uint32_t s0 = x.snd;
	for (uint32_t i = 0; i < 16; i++) {
		feed(&x, f, mkseg(f, s0 + 1460 * i, x.iss + 1, TCP_ACK, data, 1460));
		expect(&x, x.iss + 1, s0 + 1460 * (i + 1), TCP_ACK);
	}
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_QUICK_ACKS], 16);
	feed(&x, f, mkseg(f, s0 + 1460 * 16, x.iss + 1, TCP_ACK, data, 1460));
	expect_none(&x);
	feed(&x, f, mkseg(f, s0 + 1460 * 17, x.iss + 1, TCP_ACK, data, 1460));
	expect(&x, x.iss + 1, s0 + 1460 * 18, TCP_ACK); /* RFC 1122 §4.2.3.2 */
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_QUICK_ACKS], 16);
	fx_free(&x);
}
END_TEST

START_TEST(reply_data_carries_ack_and_is_retransmitted)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[2000];
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK | TCP_PSH, "ping", 4));
	/* First data of the connection: quick-ACK mode answers at once. */
	expect(&x, x.iss + 1, x.snd + 4, TCP_ACK);
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, "pong", 4), 4);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_ACK | TCP_PSH);
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_uint_eq(r.v.ack, x.snd + 4);
	ck_assert_uint_eq(r.v.payload_len, 4);
	ck_assert_mem_eq(r.v.payload, "pong", 4);
	expect_none(&x);
	/* The handshake measured RTT ~0: RTO is the 200 ms floor (RFC 6298 (2.4)). */
	ck_assert_uint_eq(x.pcb->rtt.rto_us, 200 * MS);
	advance(&x, 200 * MS);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_mem_eq(r.v.payload, "pong", 4);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RETRANS], 1);
	advance(&x, 399 * MS);
	expect_none(&x);
	advance(&x, 1 * MS); /* backed off to 400 ms */
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(x.pcb->cwnd, x.pcb->smss); /* RFC 5681: loss window */
	/* The ACK ends it: no more retransmissions, the timer is off. */
	feed(&x, f, mkseg(f, x.snd + 4, x.iss + 5, TCP_ACK, NULL, 0));
	ck_assert(!tcp_timer_armed(x.pcb, TCP_T_REXMT));
	ck_assert_uint_eq(x.pcb->backoff, 0);
	advance(&x, 10000 * MS);
	expect_none(&x);
	fx_free(&x);
}
END_TEST

/*
 * After a timeout SND.NXT goes back to SND.UNA to resend, but the peer may
 * hold everything up to SND.MAX.  The answer to its duplicate must be a
 * bare ACK numbered SND.MAX (BSD's tcp_output; Linux never moves snd_nxt
 * back), or the peer drops our ACK as an old duplicate and both ends wait
 * for each other (a 1 MiB echo under 15% loss stalled for 900 s).
 */
START_TEST(duplicate_after_timeout_answered_with_ack_at_snd_max)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[2000];
	static uint8_t data[2 * 1460]; /* two full segments: Nagle holds nothing back */
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, data, sizeof(data)), (ssize_t)sizeof(data));
	struct reply r;
	while (take(&x, &r))
		;
	uint32_t snd_max = x.pcb->snd_max;
	ck_assert_uint_eq(snd_max, x.iss + 1 + sizeof(data));
	advance(&x, x.pcb->rtt.rto_us); /* RTO: go back to SND.UNA */
	while (take(&x, &r))
		;
	ck_assert(seq_lt(x.pcb->snd_nxt, snd_max));
	/* The peer resends data we already acknowledged (its ACK of ours was lost). */
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK | TCP_PSH, "abcd", 4));
	x.snd += 4;
	while (take(&x, &r))
		;
	feed(&x, f, mkseg(f, x.snd - 4, x.iss + 1, TCP_ACK | TCP_PSH, "abcd", 4));
	ck_assert_msg(take(&x, &r), "the duplicate is not answered");
	ck_assert_uint_eq(r.v.flags, TCP_ACK);
	ck_assert_uint_eq(r.v.payload_len, 0);
	ck_assert_uint_eq(r.v.seq, snd_max);
	ck_assert_uint_eq(r.v.ack, x.snd);
	fx_free(&x);
}
END_TEST

START_TEST(out_of_order_gets_dup_ack_and_sack)
{
	struct fx x;
	fx_listen(&x);
	uint8_t f[2000];
	/* SYN offering SACK only (NOP NOP SACK-permitted). */
	const uint8_t opt[] = {1, 1, 4, 2};
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, opt, 4,
				    NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert(r.o.sack_perm);
	uint32_t iss = r.v.seq, s = PEER_ISS + 1;
	feed(&x, f, mkseg(f, s, iss + 1, TCP_ACK, NULL, 0));
	/* Bytes 10..19 arrive before 0..9: a duplicate ACK at once, with a SACK block. */
	feed(&x, f, mkseg(f, s + 10, iss + 1, TCP_ACK, "KLMNOPQRST", 10));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.ack, s);
	ck_assert_uint_eq(r.o.nsack, 1);
	ck_assert_uint_eq(r.o.sack[0].left, s + 10);
	ck_assert_uint_eq(r.o.sack[0].right, s + 20);
	ck_assert_uint_eq(r.v.opt_len, 12); /* NOP NOP SACK(10) */
	/* The gap fills: one ACK for all 20 bytes, no SACK left. */
	feed(&x, f, mkseg(f, s, iss + 1, TCP_ACK, "ABCDEFGHIJ", 10));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.ack, s + 20);
	ck_assert_uint_eq(r.o.nsack, 0);
	int fd = ts_accept(&x.t.st, x.lfd, NULL, NULL);
	char buf[32];
	ck_assert_int_eq(ts_read(&x.t.st, fd, buf, sizeof(buf)), 20);
	ck_assert_mem_eq(buf, "ABCDEFGHIJKLMNOPQRST", 20);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_OFO_QUEUED], 1);
	fx_free(&x);
}
END_TEST

/* ---- RST and blind-attack rules (RFC 5961) ---- */

START_TEST(rst_at_rcv_nxt_resets)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd, 0, TCP_RST, NULL, 0));
	expect_none(&x);
	ck_assert_ptr_null(conn(&x));
	ck_assert(traced(&x, "ESTABLISHED -> CLOSED on [R]"));
	int err;
	socklen_t l = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(&x.t.st, x.fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	ck_assert_int_eq(err, ECONNRESET);
	fx_free(&x);
}
END_TEST

START_TEST(rst_in_window_gets_challenge_ack)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd + 100, 0, TCP_RST, NULL, 0));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_RST_CHALLENGE], 1);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_CHALLENGE_ACKS], 1);
	/* Outside the window: silently dropped. */
	feed(&x, f, mkseg(f, x.snd + 1000000, 0, TCP_RST, NULL, 0));
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_RST_OUT_OF_WINDOW], 1);
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	fx_free(&x);
}
END_TEST

START_TEST(syn_in_established_gets_challenge_ack)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd + 5, 0, TCP_SYN, NULL, 0));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_SYN_CHALLENGE], 1);
	fx_free(&x);
}
END_TEST

START_TEST(unacceptable_segments_get_ack)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd + 1000000, x.iss + 1, TCP_ACK, "zz", 2));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_OUT_OF_WINDOW], 1);
	feed(&x, f, mkseg(f, x.snd - 2, x.iss + 1, TCP_ACK, "zz", 2)); /* old duplicate */
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_DUP], 1);
	/* ACK of data never sent (RFC 5961 §5.2 / RFC 9293): ACK, drop. */
	feed(&x, f, mkseg(f, x.snd, x.iss + 5000, TCP_ACK, "zz", 2));
	expect(&x, x.iss + 1, x.snd, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_ACK_FUTURE], 1);
	/* No ACK bit at all in a synchronized state: dropped. */
	feed(&x, f, mkseg(f, x.snd, 0, TCP_PSH | TCP_FIN, "zz", 2));
	expect_none(&x);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_NO_ACK], 1);
	ck_assert_uint_eq(x.pcb->rcv_nxt, x.snd);
	fx_free(&x);
}
END_TEST

/* ---- closing ---- */

START_TEST(passive_close_through_last_ack)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK | TCP_FIN, NULL, 0));
	expect(&x, x.iss + 1, x.snd + 1, TCP_ACK);
	ck_assert_int_eq(x.pcb->state, TCPS_CLOSE_WAIT);
	char buf[4];
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ts_close(&x.t.st, x.fd), 0);
	expect(&x, x.iss + 1, x.snd + 1, TCP_ACK | TCP_FIN);
	ck_assert_int_eq(x.pcb->state, TCPS_LAST_ACK);
	feed(&x, f, mkseg(f, x.snd + 1, x.iss + 2, TCP_ACK, NULL, 0));
	expect_none(&x);
	ck_assert_ptr_null(conn(&x));
	ck_assert(traced(&x, "LAST-ACK -> CLOSED on [.]"));
	ck_assert_uint_eq(x.t.st.tcp->npcbs, 1); /* the listener */
	fx_free(&x);
}
END_TEST

START_TEST(active_close_through_time_wait)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	ck_assert_int_eq(ts_close(&x.t.st, x.fd), 0);
	expect(&x, x.iss + 1, x.snd, TCP_ACK | TCP_FIN);
	ck_assert_int_eq(x.pcb->state, TCPS_FIN_WAIT_1);
	feed(&x, f, mkseg(f, x.snd, x.iss + 2, TCP_ACK, NULL, 0));
	ck_assert_int_eq(x.pcb->state, TCPS_FIN_WAIT_2);
	feed(&x, f, mkseg(f, x.snd, x.iss + 2, TCP_ACK | TCP_FIN, NULL, 0));
	expect(&x, x.iss + 2, x.snd + 1, TCP_ACK);
	ck_assert_int_eq(x.pcb->state, TCPS_TIME_WAIT);
	/* A retransmitted FIN is acknowledged again and restarts the timer. */
	advance(&x, 1000 * MS);
	feed(&x, f, mkseg(f, x.snd, x.iss + 2, TCP_ACK | TCP_FIN, NULL, 0));
	expect(&x, x.iss + 2, x.snd + 1, TCP_ACK);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_TIMEWAIT], 1);
	uint64_t msl2 = 2ull * x.t.st.cfg.tcp_msl_ms * 1000;
	advance(&x, msl2 - 1);
	ck_assert_ptr_nonnull(conn(&x));
	advance(&x, 1);
	ck_assert_ptr_null(conn(&x));
	ck_assert(traced(&x, "TIME-WAIT -> CLOSED\n"));
	fx_free(&x);
}
END_TEST

START_TEST(simultaneous_close_via_closing)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	ck_assert_int_eq(ts_shutdown(&x.t.st, x.fd, SHUT_WR), 0);
	expect(&x, x.iss + 1, x.snd, TCP_ACK | TCP_FIN);
	/* The peer's FIN crosses ours: it does not acknowledge our FIN. */
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK | TCP_FIN, NULL, 0));
	expect(&x, x.iss + 2, x.snd + 1, TCP_ACK);
	ck_assert_int_eq(x.pcb->state, TCPS_CLOSING);
	feed(&x, f, mkseg(f, x.snd + 1, x.iss + 2, TCP_ACK, NULL, 0));
	ck_assert_int_eq(x.pcb->state, TCPS_TIME_WAIT);
	fx_free(&x);
}
END_TEST

START_TEST(close_with_unread_data_sends_rst)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	feed(&x, f, mkseg(f, x.snd, x.iss + 1, TCP_ACK, "unread", 6));
	expect(&x, x.iss + 1, x.snd + 6, TCP_ACK); /* quick ACK */
	ck_assert_int_eq(ts_close(&x.t.st, x.fd), 0);
	expect(&x, x.iss + 1, x.snd + 6, TCP_RST | TCP_ACK); /* RFC 2525 §2.17 */
	ck_assert_ptr_null(conn(&x));
	fx_free(&x);
}
END_TEST

/* ---- keep-alive ---- */

START_TEST(keepalive_probes_then_timeout)
{
	struct fx x;
	fx_established(&x);
	int one = 1, idle = 10, intvl = 2, cnt = 2;
	struct stack *st = &x.t.st;
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, 4), 0);
	ck_assert_int_eq(ts_setsockopt(st, x.fd, SOL_SOCKET, SO_KEEPALIVE, &one, 4), 0);
	advance(&x, 9999 * MS);
	expect_none(&x);
	advance(&x, 1 * MS);
	/* RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data. */
	expect(&x, x.iss, x.snd, TCP_ACK);
	advance(&x, 2000 * MS);
	expect(&x, x.iss, x.snd, TCP_ACK);
	ck_assert_uint_eq(st->counters[CTR_TCP_KEEPALIVES], 2);
	advance(&x, 2000 * MS);
	expect(&x, x.iss + 1, x.snd, TCP_RST | TCP_ACK);
	ck_assert_ptr_null(conn(&x));
	int err;
	socklen_t l = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(st, x.fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	ck_assert_int_eq(err, ETIMEDOUT);
	fx_free(&x);
}
END_TEST

/* ---- loss recovery (RFC 5681 §3.2, RFC 6582) ---- */

START_TEST(fast_retransmit_and_newreno_recovery)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	/* NewReno (RFC 6582) by name: CUBIC is the default. */
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0);
	char name[16];
	socklen_t nl = sizeof(name);
	ck_assert_int_eq(ts_getsockopt(st, x.fd, IPPROTO_TCP, TCP_CONGESTION, name, &nl), 0);
	ck_assert_str_eq(name, "reno");
	ck_assert_ptr_eq(x.pcb->cc, &tcp_cc_newreno);
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_CONGESTION, "vegas", 5), -1);
	ck_assert_int_eq(errno, ENOENT);
	static uint8_t data[5 * 1460];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	struct reply r;
	for (int i = 0; i < 5; i++) { /* IW10 lets all five go (RFC 6928) */
		ck_assert(take(&x, &r));
		ck_assert_uint_eq(r.v.seq, x.iss + 1 + 1460u * (uint32_t)i);
		ck_assert_uint_eq(r.v.payload_len, 1460);
	}
	expect_none(&x);
	uint32_t una = x.iss + 1;
	/* The first segment was lost: three duplicate ACKs. */
	for (int i = 0; i < 2; i++) {
		feed(&x, f, mkseg(f, x.snd, una, TCP_ACK, NULL, 0));
		expect_none(&x);
	}
	feed(&x, f, mkseg(f, x.snd, una, TCP_ACK, NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, una);
	ck_assert_uint_eq(r.v.payload_len, 1460);
	ck_assert_mem_eq(r.v.payload, data, 1460);
	ck_assert_uint_eq(st->counters[CTR_TCP_FAST_RETRANS], 1);
	/* ssthresh = max(FlightSize/2, 2*SMSS) = 3650; cwnd = ssthresh + 3*SMSS. */
	ck_assert_uint_eq(x.pcb->ssthresh, 3650);
	ck_assert_uint_eq(x.pcb->cwnd, 3650 + 3 * 1460);
	ck_assert(x.pcb->tf & TF_IN_RECOVERY);
	ck_assert_uint_eq(x.pcb->recover, una + 5 * 1460);
	/* Partial ACK (segments 1-2): the third is resent at once (RFC 6582 §3.2 (3)). */
	feed(&x, f, mkseg(f, x.snd, una + 2920, TCP_ACK, NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, una + 2920);
	ck_assert_mem_eq(r.v.payload, data + 2920, 1460);
	ck_assert(x.pcb->tf & TF_IN_RECOVERY);
	/* Full ACK: recovery ends, cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS). */
	feed(&x, f, mkseg(f, x.snd, una + 5 * 1460, TCP_ACK, NULL, 0));
	ck_assert(!(x.pcb->tf & TF_IN_RECOVERY));
	ck_assert_uint_eq(x.pcb->cwnd, 2920);
	ck_assert(!tcp_timer_armed(x.pcb, TCP_T_REXMT));
	fx_free(&x);
}
END_TEST

START_TEST(sacked_data_is_not_retransmitted)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	const uint8_t opt[] = {TCP_OPT_MSS, 4, 0x05, 0xb4, 1, 1, TCP_OPT_SACK_PERM, 2};
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN, 65535, opt, 8,
				    NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	uint32_t iss = r.v.seq, s = PEER_ISS + 1, una = iss + 1;
	feed(&x, f, mkseg(f, s, una, TCP_ACK, NULL, 0));
	int fd = ts_accept(st, x.lfd, NULL, NULL);
	static uint8_t data[5 * 1460];
	ck_assert_int_eq(ts_write(st, fd, data, sizeof(data)), (int)sizeof(data));
	for (int i = 0; i < 5; i++)
		ck_assert(take(&x, &r));
	/* Segments 1 and 3 lost; the peer SACKs 2 and 4-5. */
	uint8_t sack[20] = {1, 1, TCP_OPT_SACK, 18};
	put_be32(sack + 4, una + 4380);
	put_be32(sack + 8, una + 7300);
	put_be32(sack + 12, una + 1460);
	put_be32(sack + 16, una + 2920);
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, s, una, TCP_ACK, 65535, sack, 20, NULL,
				    0));
	/* With 3*SMSS SACKed above SND.UNA one duplicate is enough (RFC 6675 §5),
	 * and the pipe lets both holes go at once; SACKed bytes never go again. */
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, una);
	ck_assert_uint_eq(r.v.payload_len, 1460);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, una + 2920);
	ck_assert_uint_eq(r.v.payload_len, 1460);
	expect_none(&x);
	ck_assert_uint_eq(st->counters[CTR_TCP_FAST_RETRANS], 1);
	/* A copy of the same ACK (no new SACK information) sends nothing. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, s, una, TCP_ACK, 65535, sack, 20, NULL,
				    0));
	expect_none(&x);
	/* RACK marked both holes lost at once: three segments sent after them
	 * were SACKed (reo_wnd 0 with DupThresh SACKed segments, RFC 8985
	 * §6.2 step 4), and PRR let both go (RFC 6937 §3, SSRB). */
	ck_assert_uint_eq(st->counters[CTR_TCP_RACK_LOST], 2);
	/* No tail loss probe during a recovery (RFC 8985 §7.2); nothing later
	 * was delivered, so RACK waits for nothing; the RTO (RFC 6298 (5.4)),
	 * restarted when the head was resent: SND.UNA again, one segment
	 * (cwnd = 1 SMSS). */
	advance(&x, 199 * MS);
	expect_none(&x);
	ck_assert_uint_eq(st->counters[CTR_TCP_TLP_PROBES], 0);
	advance(&x, 1 * MS);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, una);
	expect_none(&x);
	ck_assert_uint_eq(st->counters[CTR_TCP_RTO_EXPIRED], 1);
	fx_free(&x);
}
END_TEST

START_TEST(time_wait_accepts_new_syn)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[128];
	ck_assert_int_eq(ts_close(&x.t.st, x.fd), 0);
	expect(&x, x.iss + 1, x.snd, TCP_ACK | TCP_FIN);
	feed(&x, f, mkseg(f, x.snd, x.iss + 2, TCP_ACK | TCP_FIN, NULL, 0));
	expect(&x, x.iss + 2, x.snd + 1, TCP_ACK);
	ck_assert_int_eq(conn(&x)->state, TCPS_TIME_WAIT);
	ck_assert_uint_eq(conn(&x)->rcv_ring.cap, 0); /* orphan: buffers given back */
	/* RFC 6191 / RFC 1122 §4.2.2.13: a SYN above the old RCV.NXT starts anew. */
	feed(&x, f, mkseg(f, x.snd + 100000, 0, TCP_SYN, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.v.ack, x.snd + 100001);
	ck_assert_int_eq(conn(&x)->state, TCPS_SYN_RECEIVED);
	/* An old SYN (below RCV.NXT) gets the TIME-WAIT treatment instead. */
	fx_free(&x);
}
END_TEST

/* ---- zero windows (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) ---- */

static size_t mkseg_wnd(uint8_t *f, uint32_t seq, uint32_t ack, uint16_t wnd)
{
	return ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, seq, ack, TCP_ACK, wnd, NULL, 0, NULL,
				      0);
}

START_TEST(persist_probes_zero_window)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1, 0)); /* the peer shuts its window */
	ck_assert_uint_eq(x.pcb->snd_wnd, 0);
	ck_assert_int_eq(ts_write(st, x.fd, "hello", 5), 5);
	expect_none(&x);
	ck_assert(tcp_timer_armed(x.pcb, TCP_T_PERSIST));
	advance(&x, 200 * MS);
	/* The probe: an old sequence number the peer must ACK with its window. */
	expect(&x, x.iss, x.snd, TCP_ACK);
	ck_assert_uint_eq(st->counters[CTR_TCP_ZERO_WINDOW_PROBES], 1);
	advance(&x, 399 * MS);
	expect_none(&x);
	advance(&x, 1 * MS); /* backed off */
	expect(&x, x.iss, x.snd, TCP_ACK);
	/* The window opens: the data goes, the probes stop. */
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1, 1000));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_mem_eq(r.v.payload, "hello", 5);
	ck_assert(!tcp_timer_armed(x.pcb, TCP_T_PERSIST));
	fx_free(&x);
}
END_TEST

/*
 * The FIN takes a sequence number, so it needs a window octet too (Linux
 * tcp_snd_wnd_test: a segment's end_seq, FIN included, within SND.UNA +
 * SND.WND).  A receiver whose window is zero rejects it (RFC 9293
 * §3.10.7.4: a segment of length 1 is unacceptable with RCV.WND 0), so
 * sent into a zero window it would only come back by retransmission
 * timeouts.  Held, it waits like data, under the persist timer.
 */
START_TEST(fin_waits_for_window)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1, 5)); /* room for "hello" only */
	ck_assert_int_eq(ts_write(st, x.fd, "hello", 5), 5);
	ck_assert_int_eq(ts_shutdown(st, x.fd, SHUT_WR), 0);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 1);
	ck_assert_uint_eq(r.v.payload_len, 5);
	ck_assert_msg(!(r.v.flags & TCP_FIN), "FIN sent beyond the peer's window");
	expect_none(&x);
	/* The peer takes the data and keeps its window shut: the FIN is
	 * held, the persist timer probes. */
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 6, 0));
	expect_none(&x);
	ck_assert_int_eq(x.pcb->state, TCPS_FIN_WAIT_1);
	ck_assert(tcp_timer_armed(x.pcb, TCP_T_PERSIST));
	advance(&x, 200 * MS);
	expect(&x, x.iss + 5, x.snd, TCP_ACK);
	ck_assert_uint_eq(st->counters[CTR_TCP_ZERO_WINDOW_PROBES], 1);
	/* The window opens: the FIN goes, at once. */
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 6, 1000));
	expect(&x, x.iss + 6, x.snd, TCP_ACK | TCP_FIN);
	ck_assert(!tcp_timer_armed(x.pcb, TCP_T_PERSIST));
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 7, 1000));
	ck_assert_int_eq(x.pcb->state, TCPS_FIN_WAIT_2);
	fx_free(&x);
}
END_TEST

START_TEST(zero_window_with_data_in_flight_probes)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	static uint8_t data[2920];
	ck_assert_int_eq(ts_write(st, x.fd, data, sizeof(data)), (int)sizeof(data));
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert(take(&x, &r));
	/* The peer takes the first segment, drops the second, shuts its window. */
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1461, 0));
	advance(&x, 200 * MS);
	expect(&x, x.iss + 1460, x.snd, TCP_ACK); /* a probe, not data beyond the window */
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	/* Many RTOs later the connection is still alive: the peer answers. */
	for (int i = 0; i < 20; i++) {
		advance(&x, 120000 * MS);
		ck_assert(take(&x, &r));
		feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1461, 0));
	}
	ck_assert_int_eq(x.pcb->state, TCPS_ESTABLISHED);
	feed(&x, f, mkseg_wnd(f, x.snd, x.iss + 1461, 8000));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 1461);
	ck_assert_uint_eq(r.v.payload_len, 1460);
	fx_free(&x);
}
END_TEST

START_TEST(so_rcvbuf_sizes_the_window)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	int lfd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int size = 8192;
	ck_assert_int_eq(ts_setsockopt(st, lfd, SOL_SOCKET, SO_RCVBUF, &size, 4), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7000)};
	ck_assert_int_eq(ts_bind(st, lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, lfd, 4), 0);
	uint8_t f[128];
	const uint8_t ws[] = {1, TCP_OPT_WS, 3, 7};
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, PEER_PORT, 7000, 1, 0, TCP_SYN, 65535, ws, 4, NULL, 0));
	struct reply r;
	ck_assert(take(&x, &r));
	/* Linux doubles SO_RCVBUF: a 16 KiB ring, no scaling needed (shift 0). */
	ck_assert_uint_eq(r.v.wnd, 16384);
	ck_assert(r.o.has_ws);
	ck_assert_uint_eq(r.o.ws, 0);
	fx_free(&x);
}
END_TEST

/* ---- active open (RFC 9293 §3.10.7.3) ---- */

static int connect_peer(struct fx *x, uint16_t port)
{
	struct stack *st = &x->t.st;
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(PEER_IP);
	ck_assert_int_eq(ts_connect(st, fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	return fd;
}

START_TEST(active_open_negotiates_options)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	int fd = connect_peer(&x, 80);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN);
	ck_assert_uint_eq(r.v.dst_port, 80);
	ck_assert(r.o.has_mss && r.o.sack_perm && r.o.has_ts && r.o.has_ws);
	ck_assert_uint_eq(r.o.tsecr, 0);
	ck_assert_uint_eq(r.v.opt_len, 20); /* Linux's layout (see tcp_wire_test) */
	uint32_t iss = r.v.seq;
	uint16_t lport = r.v.src_port;
	/* SYN,ACK with MSS 1000 and timestamps, no SACK, no scaling. */
	uint8_t opt[16] = {TCP_OPT_MSS, 4, 0x03, 0xe8, 1, 1, TCP_OPT_TS, 10};
	put_be32(opt + 8, 777);
	put_be32(opt + 12, r.o.tsval);
	uint8_t f[128];
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 80, lport, 5000, iss + 1, TCP_SYN | TCP_ACK, 30000, opt, 16,
				    NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_ACK);
	ck_assert_uint_eq(r.v.seq, iss + 1);
	ck_assert_uint_eq(r.v.ack, 5001);
	ck_assert(r.o.has_ts && !r.o.nsack);
	ck_assert_uint_eq(r.o.tsecr, 777);
	struct tcp_pcb *pcb = tcp_conn_lookup(st, IP4(OUR_IP), lport, IP4(PEER_IP), 80);
	ck_assert_int_eq(pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(pcb->smss, 1000 - 12);
	ck_assert(!(pcb->tf & (TF_SACK_OK | TF_WS_OK)));
	ck_assert_uint_eq(pcb->rcv_wscale, 0); /* scaling needs both SYNs */
	ck_assert_uint_eq(pcb->snd_wnd, 30000);
	ck_assert(traced(&x, "CLOSED -> SYN-SENT\n"));
	ck_assert(traced(&x, "SYN-SENT -> ESTABLISHED on [S.] seq=5000"));
	ck_assert_uint_eq(tcp_sock_ops.poll(ts_fd_get(st, fd, TS_FD_SOCK)) & EPOLLOUT, EPOLLOUT);
	fx_free(&x);
}
END_TEST

/*
 * RFC 9293 §3.5 figure 8: both ends send a SYN at once.  Ours gets the
 * peer's SYN in SYN-SENT (SYN-RECEIVED, our SYN,ACK), then the peer's
 * SYN,ACK: SEG.SEQ = IRS and SEG.ACK = SND.NXT, it acknowledges our SYN,
 * and the open completes on it, without another round trip (Linux
 * tcp_validate_incoming lets exactly this SYN,ACK through in SYN_RECV).
 */
START_TEST(simultaneous_open_completes_on_synack)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	int fd = connect_peer(&x, 83);
	struct reply r;
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN);
	uint32_t iss = r.v.seq;
	uint16_t lport = r.v.src_port;
	uint8_t f[128];
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 83, lport, 5000, 0, TCP_SYN, 30000, NULL, 0, NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(r.v.seq, iss);
	ck_assert_uint_eq(r.v.ack, 5001);
	struct tcp_pcb *pcb = tcp_conn_lookup(st, IP4(OUR_IP), lport, IP4(PEER_IP), 83);
	ck_assert_int_eq(pcb->state, TCPS_SYN_RECEIVED);
	/* The peer's SYN,ACK (line 6 of figure 8). */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 83, lport, 5000, iss + 1, TCP_SYN | TCP_ACK, 30000, NULL, 0,
				    NULL, 0));
	ck_assert_int_eq(pcb->state, TCPS_ESTABLISHED);
	ck_assert_uint_eq(pcb->snd_una, iss + 1);
	ck_assert_uint_eq(pcb->rcv_nxt, 5001);
	ck_assert_uint_eq(st->drops[DROP_TCP_DUP], 0);
	ck_assert_uint_eq(st->drops[DROP_TCP_SYN_CHALLENGE], 0);
	ck_assert_uint_eq(tcp_sock_ops.poll(ts_fd_get(st, fd, TS_FD_SOCK)) & EPOLLOUT, EPOLLOUT);
	/* Its ACK of our SYN,ACK (line 7, crossing) changes nothing. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 83, lport, 5001, iss + 1, TCP_ACK, 30000, NULL, 0, NULL, 0));
	expect_none(&x);
	ck_assert_int_eq(pcb->state, TCPS_ESTABLISHED);
	/* Data flows. */
	ck_assert_int_eq(ts_write(st, fd, "hi", 2), 2);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, iss + 1);
	ck_assert_uint_eq(r.v.ack, 5001);
	ck_assert_uint_eq(r.v.payload_len, 2);
	/* The same SYN,ACK again, now in ESTABLISHED: an old duplicate
	 * (SEG.SEQ < RCV.NXT), answered with an ACK and dropped. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 83, lport, 5000, iss + 1, TCP_SYN | TCP_ACK, 30000, NULL, 0,
				    NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.flags, TCP_ACK);
	ck_assert_uint_eq(r.v.ack, 5001);
	ck_assert_uint_eq(st->drops[DROP_TCP_DUP], 1);
	fx_free(&x);
}
END_TEST

START_TEST(syn_sent_times_out)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	int fd = connect_peer(&x, 81);
	struct reply r;
	uint64_t wait = 1000 * MS;
	ck_assert(take(&x, &r));
	for (uint32_t i = 0; i < st->cfg.tcp_syn_retries; i++) {
		advance(&x, wait);
		ck_assert(take(&x, &r));
		ck_assert_uint_eq(r.v.flags, TCP_SYN);
		wait *= 2;
	}
	advance(&x, wait);
	expect_none(&x);
	int err;
	socklen_t l = sizeof(err);
	ck_assert_int_eq(ts_getsockopt(st, fd, SOL_SOCKET, SO_ERROR, &err, &l), 0);
	ck_assert_int_eq(err, ETIMEDOUT);
	fx_free(&x);
}
END_TEST

START_TEST(syn_sent_rejects_bad_ack)
{
	struct fx x;
	fx_listen(&x);
	connect_peer(&x, 82);
	struct reply r;
	ck_assert(take(&x, &r));
	uint8_t f[128];
	/* ACK of something we never sent: RST <SEQ=SEG.ACK>, stay in SYN-SENT. */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 82, r.v.src_port, 9, r.v.seq + 50, TCP_SYN | TCP_ACK, 1000,
				    NULL, 0, NULL, 0));
	struct reply rst;
	ck_assert(take(&x, &rst));
	ck_assert_uint_eq(rst.v.flags, TCP_RST);
	ck_assert_uint_eq(rst.v.seq, r.v.seq + 50);
	ck_assert_int_eq(
	    tcp_conn_lookup(&x.t.st, IP4(OUR_IP), r.v.src_port, IP4(PEER_IP), 82)->state,
	    TCPS_SYN_SENT);
	/* A RST that does not acknowledge our SYN is ignored (RFC 5961 §3.2). */
	feed(&x, f,
	     ts_tcp_frame_from_peer(f, 82, r.v.src_port, 9, 0, TCP_RST, 0, NULL, 0, NULL, 0));
	expect_none(&x);
	ck_assert_int_eq(
	    tcp_conn_lookup(&x.t.st, IP4(OUR_IP), r.v.src_port, IP4(PEER_IP), 82)->state,
	    TCPS_SYN_SENT);
	fx_free(&x);
}
END_TEST

/* ---- ports, backlog, Nagle, ISN, table ---- */

static int bound(struct stack *st, uint16_t port, int reuse)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof(reuse)), 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int r = ts_bind(st, fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0) {
		int e = errno;
		ts_close(st, fd);
		errno = e;
		return -1;
	}
	return fd;
}

START_TEST(eaddrinuse_rules)
{
	struct fx x;
	fx_listen(&x); /* listening on 8080 without SO_REUSEADDR */
	struct stack *st = &x.t.st;
	ck_assert_int_eq(bound(st, OUR_PORT, 0), -1);
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert_int_eq(bound(st, OUR_PORT, 1), -1); /* never beside a listener */
	ck_assert_int_eq(errno, EADDRINUSE);
	int a = bound(st, 9000, 0);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(bound(st, 9000, 1), -1); /* a did not set SO_REUSEADDR */
	int b = bound(st, 9001, 1), c = bound(st, 9001, 1);
	ck_assert_int_ge(b, 0);
	ck_assert_int_ge(c, 0); /* both set it, neither listens */
	ck_assert_int_eq(ts_listen(st, b, 4), 0);
	ck_assert_int_eq(ts_listen(st, c, 4), -1); /* two listeners on one port: never */
	ck_assert_int_eq(errno, EADDRINUSE);
	/* Port 0 picks an ephemeral port in Linux's range. */
	int e = bound(st, 0, 0);
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(ts_getsockname(st, e, (struct sockaddr *)&sa, &len), 0);
	ck_assert_uint_ge(ntohs(sa.sin_port), 32768);
	ck_assert_uint_le(ntohs(sa.sin_port), 60999);
	fx_free(&x);
}
END_TEST

START_TEST(backlog_and_syn_queue_bounded)
{
	struct fx x;
	memset(&x, 0, sizeof(x));
	fx_listen(&x);
	x.t.st.cfg.tcp_max_syn_backlog = 2;
	x.t.st.cfg.tcp_syncookies = 0;
	uint8_t f[128];
	/* Two embryonic connections fill the SYN queue; without SYN cookies the
	 * third SYN is dropped (with them it gets a cookie: tcp_hostile_test). */
	for (uint16_t i = 0; i < 3; i++)
		feed(&x, f,
		     ts_tcp_frame_from_peer(f, (uint16_t)(41000 + i), OUR_PORT, 100, 0, TCP_SYN,
					    1000, NULL, 0, NULL, 0));
	ck_assert_uint_eq(capdev_sent_count(x.t.cap), 2);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_LISTEN_OVERFLOW], 1);
	fx_free(&x);

	/* listen(fd, 1): like Linux, backlog + 1 connections wait for accept. */
	fx_listen(&x);
	int lfd = ts_socket(&x.t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(7777)};
	ck_assert_int_eq(ts_bind(&x.t.st, lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&x.t.st, lfd, 1), 0);
	for (uint16_t i = 0; i < 3; i++) {
		struct reply r;
		uint16_t port = (uint16_t)(42000 + i);
		feed(
		    &x, f,
		    ts_tcp_frame_from_peer(f, port, 7777, 100, 0, TCP_SYN, 1000, NULL, 0, NULL, 0));
		if (i == 2) {
			expect_none(&x);
			break;
		}
		ck_assert(take(&x, &r));
		feed(&x, f,
		     ts_tcp_frame_from_peer(f, port, 7777, 101, r.v.seq + 1, TCP_ACK, 1000, NULL, 0,
					    NULL, 0));
	}
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_LISTEN_OVERFLOW], 1);
	ck_assert_int_ge(ts_accept(&x.t.st, lfd, NULL, NULL), 0);
	ck_assert_int_ge(ts_accept(&x.t.st, lfd, NULL, NULL), 0);
	ck_assert_int_eq(ts_accept(&x.t.st, lfd, NULL, NULL), -1);
	ck_assert_int_eq(errno, EAGAIN);
	fx_free(&x);
}
END_TEST

START_TEST(nagle_holds_small_segment_until_ack)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint8_t f[128];
	ck_assert_int_eq(ts_write(st, x.fd, "aaaa", 4), 4);
	struct reply r;
	ck_assert(take(&x, &r)); /* nothing in flight: goes at once */
	ck_assert_uint_eq(r.v.payload_len, 4);
	ck_assert_int_eq(ts_write(st, x.fd, "bbbb", 4), 4);
	expect_none(&x); /* RFC 896: a small segment waits for the outstanding ACK */
	feed(&x, f, mkseg(f, x.snd, x.iss + 5, TCP_ACK, NULL, 0));
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 5);
	ck_assert_mem_eq(r.v.payload, "bbbb", 4);
	/* TCP_NODELAY: small segments go out even with data in flight. */
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(st, x.fd, IPPROTO_TCP, TCP_NODELAY, &one, 4), 0);
	ck_assert_int_eq(ts_write(st, x.fd, "cccc", 4), 4);
	ck_assert(take(&x, &r));
	ck_assert_uint_eq(r.v.seq, x.iss + 9);
	fx_free(&x);
}
END_TEST

START_TEST(isn_keyed_by_tuple_and_clock)
{
	struct fx x;
	fx_listen(&x);
	struct stack *st = &x.t.st;
	uint32_t a = tcp_isn(st, IP4(OUR_IP), 80, IP4(PEER_IP), 1000);
	uint32_t b = tcp_isn(st, IP4(OUR_IP), 80, IP4(PEER_IP), 1001);
	ck_assert_uint_ne(a, b);
	/* RFC 6528: M advances every 4 microseconds. */
	st->now_us += 4000;
	ck_assert_uint_eq(tcp_isn(st, IP4(OUR_IP), 80, IP4(PEER_IP), 1000), a + 1000);
	/* Another stack (another key) gives another ISN for the same tuple. */
	struct fx y;
	fx_listen(&y);
	y.t.st.tcp->isn_key[0] ^= 1;
	y.t.st.now_us = st->now_us;
	ck_assert_uint_ne(tcp_isn(&y.t.st, IP4(OUR_IP), 80, IP4(PEER_IP), 1000), a + 1000);
	fx_free(&y);
	fx_free(&x);
}
END_TEST

START_TEST(print_table_like_ss)
{
	struct fx x;
	fx_established(&x);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tcp_print_table(&x.t.st, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "State"));
	ck_assert_ptr_nonnull(strstr(buf, "Recv-Q"));
	ck_assert_ptr_nonnull(strstr(buf, "LISTEN"));
	ck_assert_ptr_nonnull(strstr(buf, "0.0.0.0:8080"));
	ck_assert_ptr_nonnull(strstr(buf, "ESTABLISHED"));
	ck_assert_ptr_nonnull(strstr(buf, "10.0.0.2:8080"));
	ck_assert_ptr_nonnull(strstr(buf, "10.0.0.1:40000"));
	/* Under the connection, what `ss -ti` shows. */
	ck_assert_ptr_nonnull(strstr(buf, "\t cubic rto:200 rtt:"));
	ck_assert_ptr_nonnull(strstr(buf, " mss:1460 cwnd:10 bytes_acked:"));
	ck_assert_ptr_nonnull(strstr(buf, " retrans:0/0 delivery_rate:"));
	ck_assert_ptr_nonnull(strstr(buf, " ca_state:open"));
	free(buf);
	fx_free(&x);
}
END_TEST

/* ---- robustness ---- */

/*
 * Seeded random segments against a listener and an established
 * connection: random flags, sequence numbers near the window edges, option
 * bytes, lengths; checksums recomputed so most reach the state machine.
 * Nothing may crash (ASan/UBSan watch) or leak a buffer.
 */
START_TEST(random_segments_do_no_harm)
{
	struct fx x;
	fx_established(&x);
	struct stack *st = &x.t.st;
	uint64_t rng = 0x1234567u;
	uint8_t f[2048];
	for (int i = 0; i < 20000; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		uint32_t r = (uint32_t)rng, r2 = (uint32_t)(rng >> 32);
		uint8_t opt[40];
		size_t optlen = (r >> 8) % 11 * 4;
		for (size_t k = 0; k < optlen; k++)
			opt[k] = (uint8_t)(r2 >> (k % 4 * 8)) ^ (uint8_t)k;
		uint8_t data[64];
		size_t len = (r >> 12) % 5 == 0 ? (r >> 16) % sizeof(data) : 0;
		memset(data, 'z', len);
		uint32_t seq = x.pcb->rcv_nxt + (uint32_t)((int32_t)(r2 % 200000) - 100000);
		uint32_t ack = x.pcb->snd_una + (uint32_t)((int32_t)(r2 >> 12) % 300000 - 150000);
		uint16_t port = (r & 3) ? OUR_PORT : (uint16_t)(r2 & 0xffff);
		uint8_t flags = (uint8_t)(r >> 24);
		if ((r & 0x30) == 0x30)
			flags &= (uint8_t) ~(TCP_RST | TCP_SYN); /* keep the connection alive */
		size_t n = ts_tcp_frame_from_peer(f, PEER_PORT, port, seq, ack, flags, (uint16_t)r2,
						  opt, optlen, data, len);
		if ((r & 0xf00) == 0xf00)
			n = 14 + 20 + (r2 % 40); /* truncated */
		feed(&x, f, n);
		while (capdev_take(x.t.cap, f, sizeof(f)))
			;
		if (!conn(&x) || conn(&x)->state != TCPS_ESTABLISHED)
			break; /* a valid RST or FIN got through: that is allowed */
	}
	ck_assert_uint_gt(st->counters[CTR_TCP_RX], 10000); /* the storm really ran */
	fx_free(&x);					    /* asserts no buffer leaked */
}
END_TEST

static Suite *tcp_state_suite(void)
{
	Suite *s = suite_create("tcp_state");
	TCase *tc = tcase_create("fixtures");
	tcase_add_test(tc, linux_syn_gets_synack_with_options);
	tcase_add_test(tc, ack_to_listener_gets_rst);
	tcase_add_test(tc, closed_port_gets_rst);
	tcase_add_test(tc, handshake_to_established);
	tcase_add_test(tc, syn_received_bad_ack_gets_rst);
	tcase_add_test(tc, synack_retransmitted_with_backoff);
	tcase_add_test(tc, ack_policy_quick_then_delayed_golden);
	tcase_add_test(tc, second_full_segment_acked_at_once);
	tcase_add_test(tc, reply_data_carries_ack_and_is_retransmitted);
	tcase_add_test(tc, duplicate_after_timeout_answered_with_ack_at_snd_max);
	tcase_add_test(tc, out_of_order_gets_dup_ack_and_sack);
	tcase_add_test(tc, rst_at_rcv_nxt_resets);
	tcase_add_test(tc, rst_in_window_gets_challenge_ack);
	tcase_add_test(tc, syn_in_established_gets_challenge_ack);
	tcase_add_test(tc, unacceptable_segments_get_ack);
	tcase_add_test(tc, passive_close_through_last_ack);
	tcase_add_test(tc, active_close_through_time_wait);
	tcase_add_test(tc, simultaneous_close_via_closing);
	tcase_add_test(tc, close_with_unread_data_sends_rst);
	tcase_add_test(tc, keepalive_probes_then_timeout);
	tcase_add_test(tc, fast_retransmit_and_newreno_recovery);
	tcase_add_test(tc, sacked_data_is_not_retransmitted);
	tcase_add_test(tc, time_wait_accepts_new_syn);
	tcase_add_test(tc, persist_probes_zero_window);
	tcase_add_test(tc, fin_waits_for_window);
	tcase_add_test(tc, zero_window_with_data_in_flight_probes);
	tcase_add_test(tc, so_rcvbuf_sizes_the_window);
	tcase_add_test(tc, active_open_negotiates_options);
	tcase_add_test(tc, simultaneous_open_completes_on_synack);
	tcase_add_test(tc, syn_sent_times_out);
	tcase_add_test(tc, syn_sent_rejects_bad_ack);
	tcase_add_test(tc, eaddrinuse_rules);
	tcase_add_test(tc, backlog_and_syn_queue_bounded);
	tcase_add_test(tc, nagle_holds_small_segment_until_ack);
	tcase_add_test(tc, isn_keyed_by_tuple_and_clock);
	tcase_add_test(tc, print_table_like_ss);
	tcase_add_test(tc, random_segments_do_no_harm);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_state_suite)
