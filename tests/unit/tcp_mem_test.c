/*
 * tcp_mem_test.c - ring storage on demand (stack/tcp.c tcp_ring_attach /
 * tcp_ring_release): an idle connection holds no ring storage, storage
 * comes back from the per-stack cache of ring blocks, the cache is bounded,
 * out-of-order bytes keep their storage, the advertised window follows the
 * configured capacity whether or not storage is attached, and teardown
 * gives every block back.
 *
 * Two fixtures: one stack over the capture netdev fed hand-built segments
 * (exact control of sequence numbers, for out-of-order data), and two
 * whole stacks over the in-memory wire (tests/lib/twostack.h) for
 * exchanges through the ts_ API.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "tcp_frames.h"
#include "twostack.h"
#include "arp.h"
#include "byteorder.h"
#include "checksum.h"
#include "tapstack.h"
#include "tcp_var.h"

#define PEER_IP	  0x0a000001u
#define OUR_IP	  0x0a000002u
#define PEER_PORT 40000
#define OUR_PORT  8080
#define PEER_ISS  1000u
#define SEC	  1000000ull
#define RING_CAP  (256u * 1024) /* ts_config_default's tcp_sndbuf and tcp_rcvbuf */

/* ---- one stack, hand-built segments ---- */

struct fx {
	struct ts_test_stack t;
	int lfd, fd;
	struct tcp_pcb *pcb;
	uint32_t snd; /* next peer sequence number */
	uint32_t iss; /* our ISS */
};

static void feed_seg(struct fx *x, uint32_t seq, uint8_t flags, const void *data, size_t len)
{
	uint8_t f[2048];
	ts_test_stack_feed(&x->t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, seq, x->iss + 1, flags,
						  65535, NULL, 0, data, len));
}

/* The TCP header of the last frame the stack sent (the others are dropped). */
static bool last_reply(struct fx *x, struct tcp_view *v, uint8_t *frame, size_t cap)
{
	size_t n, last = 0;
	while ((n = capdev_take(x->t.cap, frame, cap)))
		last = n;
	if (!last)
		return false;
	const uint8_t *ip = frame + 14;
	ck_assert_uint_eq(ip[9], 6);
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	ck_assert_int_eq(tcp_parse(ip + ihl, get_be16(ip + 2) - ihl, v), DROP_NONE);
	return true;
}

/* Established without options (so windows are unscaled), accepted; the
 * listener's SO_RCVBUF is set to rcvbuf when not 0. */
static void fx_established_rcvbuf(struct fx *x, int rcvbuf)
{
	memset(x, 0, sizeof(*x));
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_ttl_ms = 24u * 3600 * 1000;
	ts_test_stack_init(&x->t, &cfg);
	uint8_t f[128];
	ts_test_stack_feed(&x->t, f, ts_arp_request_from_peer(f));
	ck_assert_uint_eq(capdev_take(x->t.cap, f, sizeof(f)), 42); /* the ARP reply */
	x->lfd = ts_socket(&x->t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(&x->t.st, x->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (rcvbuf)
		ck_assert_int_eq(
		    ts_setsockopt(&x->t.st, x->lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)),
		    0);
	ck_assert_int_eq(ts_listen(&x->t.st, x->lfd, 8), 0);
	const uint8_t mss[] = {TCP_OPT_MSS, 4, 0x05, 0xb4};
	ts_test_stack_feed(&x->t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, PEER_ISS, 0, TCP_SYN,
						  65535, mss, 4, NULL, 0));
	struct tcp_view v;
	ck_assert(last_reply(x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.flags, TCP_SYN | TCP_ACK);
	x->iss = v.seq;
	x->snd = PEER_ISS + 1;
	feed_seg(x, x->snd, TCP_ACK, NULL, 0);
	x->pcb = tcp_conn_lookup(&x->t.st, IP4(OUR_IP), OUR_PORT, IP4(PEER_IP), PEER_PORT);
	ck_assert_ptr_nonnull(x->pcb);
	ck_assert_int_eq(x->pcb->state, TCPS_ESTABLISHED);
	x->fd = ts_accept4(&x->t.st, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x->fd, 3);
}

static void fx_established(struct fx *x)
{
	fx_established_rcvbuf(x, 0);
}

/*
 * Tears the stack down.  Storage still attached to a ring at that point
 * must go back to the heap: LeakSanitizer (make check's build) fails the
 * test otherwise, as the layer state holding the counters is gone.
 */
static void fx_free(struct fx *x)
{
	stack_destroy(&x->t.st);
	ck_assert_msg(x->t.st.bufs_live == 0, "%lld buffers leaked", (long long)x->t.st.bufs_live);
	capdev_free(x->t.cap);
}

/* A fresh connection holds no storage, only the capacity of its rings. */
START_TEST(established_holds_no_storage)
{
	struct fx x;
	fx_established(&x);
	ck_assert_ptr_null(x.pcb->snd_ring.buf);
	ck_assert_ptr_null(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.pcb->snd_ring.cap, RING_CAP);
	ck_assert_uint_eq(x.pcb->rcv_ring.cap, RING_CAP);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 0);
	ck_assert_uint_eq(x.t.st.tcp->ring_mallocs, 0);
	fx_free(&x);
}
END_TEST

/*
 * In-order bytes attach storage; reading them all releases it; the window
 * advertised before, while holding data, and after is computed from the
 * capacity (65535 here: no scaling was negotiated, RFC 7323 §2.3).
 */
START_TEST(read_all_releases_receive_storage)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[2048];
	struct tcp_view v;
	x.pcb->quick = 0; /* past the quick ACKs of a connection's start: ACKs are delayed */
	feed_seg(&x, x.snd, TCP_ACK | TCP_PSH, "hello", 5);
	x.snd += 5;
	ck_assert_ptr_nonnull(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 1);
	ck_assert_uint_eq(x.pcb->rcv_ring.len, 5);
	char buf[16];
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "hello", 5);
	ck_assert_ptr_null(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.pcb->rcv_ring.cap, RING_CAP);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 0);
	/* The delayed ACK, sent with no storage attached, offers the full window. */
	stack_poll(&x.t.st, x.t.st.now_us + SEC);
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.ack, x.snd);
	ck_assert_uint_eq(v.wnd, 65535);
	ck_assert_uint_eq(x.pcb->rcv_wnd, RING_CAP);
	/* The next bytes take the released block back from the cache. */
	feed_seg(&x, x.snd, TCP_ACK | TCP_PSH, "again", 5);
	x.snd += 5;
	ck_assert_uint_eq(x.t.st.tcp->ring_mallocs, 1);
	ck_assert_uint_eq(x.pcb->rcv_ring.len, 5);
	/* After an idle second (more than the RTO) the ACK goes at once
	 * (quick-ACK mode again, Linux tcp_event_data_recv), with the bytes held. */
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.ack, x.snd);
	ck_assert_uint_eq(x.pcb->rcv_wnd, RING_CAP - 5);
	fx_free(&x);
}
END_TEST

/* Out-of-order bytes get storage; it stays while they wait behind a hole. */
START_TEST(out_of_order_keeps_storage_until_read)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[2048];
	struct tcp_view v;
	/* [10, 15) arrives first: stored, SACK-less duplicate ACK for x.snd. */
	feed_seg(&x, x.snd + 10, TCP_ACK, "klmno", 5);
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.ack, x.snd);
	ck_assert_ptr_nonnull(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.pcb->rcv_ring.len, 0);
	ck_assert_uint_eq(x.pcb->ofo.n, 1);
	/* [0, 5) in order, read at once: the OFO bytes still need the block. */
	feed_seg(&x, x.snd, TCP_ACK, "abcde", 5);
	char buf[32];
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, buf, sizeof(buf)), 5);
	ck_assert_mem_eq(buf, "abcde", 5);
	ck_assert_ptr_nonnull(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 1);
	/* [5, 10) fills the hole: ten bytes readable, then nothing held. */
	feed_seg(&x, x.snd + 5, TCP_ACK, "fghij", 5);
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.ack, x.snd + 15); /* RFC 5681 §4.2: at once when a gap fills */
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, buf, sizeof(buf)), 10);
	ck_assert_mem_eq(buf, "fghijklmno", 10);
	ck_assert_ptr_null(x.pcb->rcv_ring.buf);
	ck_assert_uint_eq(x.pcb->ofo.n, 0);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 0);
	ck_assert_uint_eq(x.t.st.tcp->ring_mallocs, 1);
	fx_free(&x);
}
END_TEST

/* Sent bytes keep the send block until acknowledged, then it is released. */
START_TEST(ack_of_everything_releases_send_storage)
{
	struct fx x;
	fx_established(&x);
	uint8_t f[2048];
	struct tcp_view v;
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, "response", 8), 8);
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.payload_len, 8);
	ck_assert_ptr_nonnull(x.pcb->snd_ring.buf);
	/* A partial ACK keeps the block (three bytes are unacknowledged)... */
	uint8_t seg[128];
	ts_test_stack_feed(&x.t, seg,
			   ts_tcp_frame_from_peer(seg, PEER_PORT, OUR_PORT, x.snd, x.iss + 6,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	ck_assert_ptr_nonnull(x.pcb->snd_ring.buf);
	ck_assert_uint_eq(x.pcb->snd_ring.len, 3);
	/* ...the full one releases it. */
	ts_test_stack_feed(&x.t, seg,
			   ts_tcp_frame_from_peer(seg, PEER_PORT, OUR_PORT, x.snd, x.iss + 9,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	ck_assert_ptr_null(x.pcb->snd_ring.buf);
	ck_assert_uint_eq(x.pcb->snd_ring.cap, RING_CAP);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 0);
	/* A FIN needs no storage. */
	ck_assert_int_eq(ts_shutdown(&x.t.st, x.fd, SHUT_WR), 0);
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert(v.flags & TCP_FIN);
	ck_assert_uint_eq(v.seq, x.iss + 9);
	ck_assert_ptr_null(x.pcb->snd_ring.buf);
	fx_free(&x);
}
END_TEST

/* Storage held at teardown (unread, unacknowledged) goes back too. */
START_TEST(teardown_with_data_held_leaks_nothing)
{
	struct fx x;
	fx_established(&x);
	feed_seg(&x, x.snd, TCP_ACK, "unread", 6);
	feed_seg(&x, x.snd + 100, TCP_ACK, "ofo", 3);
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, "unacked", 7), 7);
	ck_assert_uint_eq(x.t.st.tcp->ring_blocks, 2);
	fx_free(&x); /* LeakSanitizer checks that stack_destroy freed the storage */
}
END_TEST

/*
 * A full receive ring, and a window advertised a few bytes beyond it (as
 * a scaled window rounded up is): the peer's pure ACK whose SEQ is its
 * SND.NXT inside that window is acceptable (RFC 9293 §3.10.7.4 judges by
 * RCV.WND, the offered window) and its ACK field is processed, while no
 * byte beyond the ring's room is kept.  Judged by the free space instead,
 * the ACK was dropped unread: under loss the kernel peer and the stack
 * then ignored each other's ACKs for good (t_tcp's lossy echo stalled).
 */
START_TEST(full_ring_still_takes_acks_inside_offered_window)
{
	struct fx x;
	fx_established_rcvbuf(&x, 2048);
	uint32_t cap = x.pcb->rcv_ring.cap;
	ck_assert_uint_eq(cap, 4096); /* SO_RCVBUF doubled, as Linux does */
	static uint8_t data[4096];
	for (uint32_t off = 0; off < cap; off += 1024) {
		feed_seg(&x, x.snd, TCP_ACK, data, 1024);
		x.snd += 1024;
	}
	ck_assert_uint_eq(x.pcb->rcv_ring.len, cap);
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, "abc", 3), 3);
	ck_assert_uint_eq(x.pcb->snd_una, x.iss + 1);
	x.pcb->rcv_adv = x.pcb->rcv_nxt + 8; /* rounded up by a shift of 3 */
	/* SEQ = RCV.NXT + 5 (inside the offered window), ACK of the 3 bytes. */
	uint8_t f[2048];
	ts_test_stack_feed(&x.t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, x.snd + 5, x.iss + 4,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	ck_assert_uint_eq(x.pcb->snd_una, x.iss + 4);
	ck_assert_ptr_null(x.pcb->snd_ring.buf); /* all acknowledged */
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_RCVBUF_FULL], 0);
	/* Data there is not kept (no room), and is answered at once. */
	while (capdev_take(x.t.cap, f, sizeof(f)))
		;
	feed_seg(&x, x.snd, TCP_ACK, "xyz", 3);
	ck_assert_uint_eq(x.pcb->rcv_ring.len, cap);
	ck_assert_uint_eq(x.pcb->rcv_nxt, x.snd);
	struct tcp_view v;
	ck_assert(last_reply(&x, &v, f, sizeof(f)));
	ck_assert_uint_eq(v.ack, x.snd);
	ck_assert_uint_eq(v.wnd, 8); /* never shrunk (RFC 9293 §3.8.6.2.2), never grown */
	fx_free(&x);
}
END_TEST

/*
 * A peer that sent everything up to the edge of the window we offered has
 * SND.NXT = RCV.NXT + RCV.WND, and its pure ACKs carry that SEQ.  Linux
 * (tcp_sequence) takes them; RFC 9293's "SEG.SEQ < RCV.NXT+RCV.WND" would
 * throw away every ACK of our data while our ring is full, and the two
 * ends then wait for each other (seen as a stalled echo under loss).
 */
START_TEST(full_ring_takes_pure_ack_at_the_window_edge)
{
	struct fx x;
	fx_established_rcvbuf(&x, 2048);
	uint32_t cap = x.pcb->rcv_ring.cap;
	static uint8_t data[4096];
	for (uint32_t off = 0; off < cap; off += 1024) {
		feed_seg(&x, x.snd, TCP_ACK, data, 1024);
		x.snd += 1024;
	}
	ck_assert_int_eq(ts_write(&x.t.st, x.fd, "abc", 3), 3);
	x.pcb->rcv_adv = x.pcb->rcv_nxt + 8; /* rounded up by a shift of 3 */
	/* SEQ = RCV.NXT + 8: the peer's SND.NXT at the edge; ACK of the 3 bytes. */
	uint8_t f[2048];
	ts_test_stack_feed(&x.t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, x.snd + 8, x.iss + 4,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	ck_assert_uint_eq(x.pcb->snd_una, x.iss + 4);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_OUT_OF_WINDOW], 0);
	/* One past the edge is still out of the window (a full ring says so). */
	ts_test_stack_feed(&x.t, f,
			   ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, x.snd + 9, x.iss + 4,
						  TCP_ACK, 65535, NULL, 0, NULL, 0));
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_OUT_OF_WINDOW] + x.t.st.drops[DROP_TCP_RCVBUF_FULL],
			  1);
	fx_free(&x);
}
END_TEST

/* ---- two stacks, through the ts_ API ---- */

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

static struct tcp_pcb *pcb_of(struct stack *st, int fd)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	ck_assert_ptr_nonnull(s);
	return s->pcb;
}

#define MAXC 80

/* n connections a → b:8080; cfd on a, sfd on b (accepted). */
struct conns {
	int lfd;
	int n;
	int cfd[MAXC], sfd[MAXC];
	int nacc;
};

static bool all_accepted(struct twostack *t, void *p)
{
	struct conns *c = p;
	while (c->nacc < c->n) {
		int fd = ts_accept4(&t->b, c->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			break;
		c->sfd[c->nacc++] = fd;
	}
	if (c->nacc < c->n)
		return false;
	for (int i = 0; i < c->n; i++)
		if (pcb_of(&t->a, c->cfd[i])->state != TCPS_ESTABLISHED)
			return false;
	return true;
}

static void open_conns(struct twostack *t, struct conns *c, int n)
{
	memset(c, 0, sizeof(*c));
	c->n = n;
	c->lfd = ts_socket(&t->b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = sin_of(0, 8080);
	ck_assert_int_eq(ts_bind(&t->b, c->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&t->b, c->lfd, 128), 0);
	for (int i = 0; i < n; i++) {
		c->cfd[i] = ts_socket(&t->a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		sa = sin_of(0x0a000002u, 8080);
		ck_assert_int_eq(ts_connect(&t->a, c->cfd[i], (struct sockaddr *)&sa, sizeof(sa)),
				 -1);
		ck_assert_int_eq(errno, EINPROGRESS);
	}
	twostack_assert(t, twostack_run_until(t, all_accepted, c, 10 * SEC));
}

/* Reads exactly n bytes from fd on st, running both stacks meanwhile. */
struct rd {
	struct stack *st;
	int fd;
	size_t want, got;
	char buf[4096];
};

static bool read_all(struct twostack *t, void *p)
{
	(void)t;
	struct rd *r = p;
	while (r->got < r->want) {
		ssize_t n = ts_read(r->st, r->fd, r->buf + r->got, r->want - r->got);
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return r->got == r->want;
}

/* One request a → b and one response b → a on connection i, like /hello. */
static void exchange(struct twostack *t, struct conns *c, int i)
{
	static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nHello, world!\n";
	ck_assert_int_eq(ts_write(&t->a, c->cfd[i], req, sizeof(req) - 1), sizeof(req) - 1);
	struct rd r = {.st = &t->b, .fd = c->sfd[i], .want = sizeof(req) - 1};
	twostack_assert(t, twostack_run_until(t, read_all, &r, 5 * SEC));
	ck_assert_mem_eq(r.buf, req, sizeof(req) - 1);
	ck_assert_int_eq(ts_write(&t->b, c->sfd[i], resp, sizeof(resp) - 1), sizeof(resp) - 1);
	r = (struct rd){.st = &t->a, .fd = c->cfd[i], .want = sizeof(resp) - 1};
	twostack_assert(t, twostack_run_until(t, read_all, &r, 5 * SEC));
	ck_assert_mem_eq(r.buf, resp, sizeof(resp) - 1);
}

static void close_conns(struct twostack *t, struct conns *c)
{
	for (int i = 0; i < c->n; i++) {
		ck_assert_int_eq(ts_close(&t->a, c->cfd[i]), 0);
		ck_assert_int_eq(ts_close(&t->b, c->sfd[i]), 0);
	}
	ck_assert_int_eq(ts_close(&t->b, c->lfd), 0);
}

/* After a request and a response (and the delayed ACKs), neither side of an
 * idle keep-alive connection holds ring storage, and each still offers
 * its whole configured window. */
START_TEST(idle_after_exchange_holds_no_storage)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct conns c;
	open_conns(&t, &c, 1);
	exchange(&t, &c, 0);
	twostack_advance(&t, SEC); /* delayed ACKs go out, everything is acknowledged */
	struct tcp_pcb *ap = pcb_of(&t.a, c.cfd[0]), *bp = pcb_of(&t.b, c.sfd[0]);
	ck_assert_ptr_null(ap->snd_ring.buf);
	ck_assert_ptr_null(ap->rcv_ring.buf);
	ck_assert_ptr_null(bp->snd_ring.buf);
	ck_assert_ptr_null(bp->rcv_ring.buf);
	ck_assert_uint_eq(t.a.tcp->ring_blocks, 0);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	/* RACK's sent-segment records exist only while data is in flight. */
	ck_assert_ptr_null(ap->segs);
	ck_assert_ptr_null(bp->segs);
	ck_assert_uint_eq(ap->seg_cap, 0);
	/* One block per side, taken from the heap once: b reads the request
	 * (releasing its receive block) before it writes the response, and
	 * the response acknowledges the request before a stores it, so the
	 * second ring of each side reuses the first one's block. */
	ck_assert_uint_eq(t.a.tcp->ring_mallocs, 1);
	ck_assert_uint_eq(t.b.tcp->ring_mallocs, 1);
	/* RFC 7323: 256 KiB with a shift of 3.  Each side acknowledged what
	 * it received at once (quick-ACK mode at a connection's start) and
	 * read it after, and receiver SWS avoidance (RFC 1122 §4.2.3.3) keeps
	 * the right edge until it can move by an MSS: less than one MSS short. */
	ck_assert_uint_eq(bp->rcv_wscale, 3);
	ck_assert_uint_eq(ap->snd_wnd, bp->rcv_adv - bp->rcv_nxt);
	ck_assert_uint_gt(ap->snd_wnd, RING_CAP - bp->rmss);
	ck_assert_uint_eq(bp->snd_wnd, ap->rcv_adv - ap->rcv_nxt);
	ck_assert_uint_gt(bp->snd_wnd, RING_CAP - ap->rmss);
	close_conns(&t, &c);
	twostack_free(&t);
}
END_TEST

/* Many exchanges on a few connections take every block from the cache. */
START_TEST(burst_reuses_cached_blocks)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct conns c;
	open_conns(&t, &c, 4);
	exchange(&t, &c, 0);
	twostack_advance(&t, SEC);
	uint64_t am = t.a.tcp->ring_mallocs, bm = t.b.tcp->ring_mallocs;
	ck_assert_uint_eq(bm, 1);
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 4; i++)
			exchange(&t, &c, i);
	twostack_advance(&t, SEC);
	/* The four connections overlap in time at most with what was cached
	 * plus a few: allow the blocks of four connections, never one per
	 * exchange (200 exchanges would be 400 mallocs per side). */
	ck_assert_uint_le(t.b.tcp->ring_mallocs, bm + 8);
	ck_assert_uint_le(t.a.tcp->ring_mallocs, am + 8);
	ck_assert_uint_eq(t.a.tcp->ring_blocks, 0);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	close_conns(&t, &c);
	twostack_free(&t);
}
END_TEST

/* More blocks released at once than the cache keeps: it stops at its bound. */
START_TEST(cache_is_bounded)
{
	struct twostack t;
	twostack_init(&t, NULL, NULL);
	struct conns c;
	open_conns(&t, &c, MAXC);
	/* Each client sends 10 bytes that b does not read yet: MAXC blocks. */
	for (int i = 0; i < MAXC; i++)
		ck_assert_int_eq(ts_write(&t.a, c.cfd[i], "0123456789", 10), 10);
	twostack_advance(&t, SEC);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, MAXC);
	ck_assert_uint_eq(t.b.tcp->ring_mallocs, MAXC);
	for (int i = 0; i < MAXC; i++) {
		char buf[16];
		ck_assert_int_eq(ts_read(&t.b, c.sfd[i], buf, sizeof(buf)), 10);
	}
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	uint32_t cached = 0;
	for (int k = 0; k < TCP_RING_CACHE_SIZES; k++)
		if (t.b.tcp->ring_cache[k].size == RING_CAP)
			cached = t.b.tcp->ring_cache[k].n;
	ck_assert_uint_eq(cached, TCP_RING_CACHE_MAX);
	/* Closing everything (TIME-WAIT included) holds no block either. */
	close_conns(&t, &c);
	twostack_advance(&t, 300 * SEC);
	ck_assert_uint_eq(t.a.tcp->npcbs, 0);
	ck_assert_uint_eq(t.b.tcp->npcbs, 0);
	ck_assert_uint_eq(t.a.tcp->ring_blocks, 0);
	ck_assert_uint_eq(t.b.tcp->ring_blocks, 0);
	twostack_free(&t);
}
END_TEST

static Suite *tcp_mem_suite(void)
{
	Suite *s = suite_create("tcp_mem");
	TCase *tc = tcase_create("rings");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, established_holds_no_storage);
	tcase_add_test(tc, read_all_releases_receive_storage);
	tcase_add_test(tc, out_of_order_keeps_storage_until_read);
	tcase_add_test(tc, ack_of_everything_releases_send_storage);
	tcase_add_test(tc, teardown_with_data_held_leaks_nothing);
	tcase_add_test(tc, full_ring_still_takes_acks_inside_offered_window);
	tcase_add_test(tc, full_ring_takes_pure_ack_at_the_window_edge);
	tcase_add_test(tc, idle_after_exchange_holds_no_storage);
	tcase_add_test(tc, burst_reuses_cached_blocks);
	tcase_add_test(tc, cache_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_mem_suite)
