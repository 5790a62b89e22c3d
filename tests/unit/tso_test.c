/*
 * tso_test.c - the send path's offloads and the receive batch, one
 * stack over the capture netdev (tsunit.h) with a connection put in
 * ESTABLISHED by hand (as tcp_state_test.c does):
 *
 *   - TSO (tcp_out.c): full-sized segments tcp_output decides in one call
 *     leave as one super-segment with gso_type/gso_size and a partial
 *     checksum; a short last one joins it; a retransmitted hole is one
 *     segment; no TSO without checksum offload or without the capability;
 *   - zero copy: with a device that takes frames in pieces (sendv) the
 *     payload goes straight from the send ring, also when the ring wraps
 *     at an odd offset (the checksum of the pieces is then byte-swapped,
 *     RFC 1071 §2(B)); without it, one copy with the checksum folded in;
 *   - receive batches (stack.c, tcp_out.c): the in-order segments of one
 *     batch get one ACK, out-of-order ones each their duplicate ACK
 *     (RFC 5681 §4.2), and a GSO super-frame from Linux
 *     (tests/frames/link/linux_tcp_gso.hex) is taken as one segment.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/tcp.h>

#include "tsunit.h"
#include "tcp_frames.h"
#include "byteorder.h"
#include "checksum.h"
#include "tapstack.h"
#include "tap.h"
#include "tcp_var.h"
#include "tcp_seq.h"

#define PEER_PORT 45360 /* the port of the Linux GSO capture */
#define OUR_PORT  8080
#define MSS	  1460
#define PEER_ISS  0x118424d4u /* one before the capture's first data octet */

static const struct netdev_caps tso_caps = {
    .max_tx_frame = NETDEV_JUMBO_FRAME,
    .max_rx_frame = TS_BUF_BIG_FRAME,
    .rx_csum = NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4,
    .tx_csum = NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4,
    .tso_types = 1u << NETDEV_GSO_TCPV4,
    .tso_max_size = 65535,
};

struct fx {
	struct ts_test_stack t;
	int lfd, fd;
	struct tcp_pcb *pcb;
	uint32_t snd; /* the peer's next sequence number */
	uint32_t iss; /* ours */
};

/* One frame the stack sent, its metadata and its TCP view (checksum completed and checked). */
struct out {
	uint8_t f[70000];
	size_t len;
	struct netdev_meta m;
	struct tcp_view v;
};

static bool take(struct fx *x, struct out *o)
{
	o->len = capdev_take_meta(x->t.cap, o->f, sizeof(o->f), &o->m);
	if (!o->len)
		return false;
	struct netdev_meta m = o->m;
	ck_assert_int_eq(netdev_meta_complete(o->f, o->len, &m), 0);
	const uint8_t *ip = o->f + 14;
	ck_assert_uint_eq(ip[9], 6);
	ck_assert_uint_eq(get_be16(ip + 2), o->len - 14); /* the IPv4 length covers it all */
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(ip, 20, 0)), 0);
	ck_assert_int_eq(tcp_parse(ip + 20, o->len - 34, &o->v), DROP_NONE);
	ck_assert(tcp_csum_ok(ip + 20, o->len - 34, IP4(TS_OUR_IP), IP4(TS_PEER_IP)));
	return true;
}

static size_t seg(uint8_t *f, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
		  size_t optlen, const void *data, size_t len)
{
	return ts_tcp_frame_from_peer(f, PEER_PORT, OUR_PORT, seq, ack, flags, 65535, opt, optlen,
				      data, len);
}

static void feed(struct fx *x, const uint8_t *f, size_t len)
{
	ts_test_stack_feed(&x->t, f, len);
}

/*
 * Established with the peer at 10.0.0.1:45360: MSS 1460 and SACK
 * permitted, no timestamps or scaling, so every header is 20 octets.
 * caps NULL: a device without offloads.  sndbuf 0: the default.
 */
static void fx_established(struct fx *x, const struct netdev_caps *caps, uint32_t sndbuf)
{
	memset(x, 0, sizeof(*x));
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.arp_ttl_ms = 24u * 3600 * 1000;
	if (sndbuf)
		cfg.tcp_sndbuf = sndbuf;
	ts_test_stack_init_caps(&x->t, &cfg, caps);
	uint8_t f[256];
	feed(x, f, ts_arp_request_from_peer(f));
	ck_assert_uint_eq(capdev_take(x->t.cap, f, sizeof(f)), 42);
	x->lfd = ts_socket(&x->t.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	ck_assert_int_eq(ts_bind(&x->t.st, x->lfd, SA(sa), sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(&x->t.st, x->lfd, 8), 0);
	const uint8_t opt[] = {TCP_OPT_MSS, 4, MSS >> 8, MSS & 0xff, 1, 1, TCP_OPT_SACK_PERM, 2};
	feed(x, f, seg(f, PEER_ISS, 0, TCP_SYN, opt, sizeof(opt), NULL, 0));
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(x, o));
	ck_assert_uint_eq(o->v.flags, TCP_SYN | TCP_ACK);
	x->iss = o->v.seq;
	x->snd = PEER_ISS + 1;
	feed(x, f, seg(f, x->snd, x->iss + 1, TCP_ACK, NULL, 0, NULL, 0));
	ck_assert_uint_eq(capdev_sent_count(x->t.cap), 0);
	x->fd = ts_accept4(&x->t.st, x->lfd, NULL, NULL, SOCK_NONBLOCK);
	ck_assert_int_ge(x->fd, 3);
	x->pcb = tcp_conn_lookup(&x->t.st, IP4(TS_OUR_IP), OUR_PORT, IP4(TS_PEER_IP), PEER_PORT);
	ck_assert_ptr_nonnull(x->pcb);
	ck_assert_uint_eq(x->pcb->smss, MSS);
	ck_assert(x->pcb->tf & TF_SACK_OK);
	free(o);
}

static void fx_free(struct fx *x)
{
	stack_destroy(&x->t.st);
	ck_assert_msg(x->t.st.bufs_live == 0, "%lld buffers leaked", (long long)x->t.st.bufs_live);
	capdev_free(x->t.cap);
}

/* Byte i of what the tests write. */
static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

static void write_pattern(struct fx *x, size_t from, size_t n)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = pat(from + i);
	ck_assert_int_eq(ts_write(&x->t.st, x->fd, b, n), (ssize_t)n);
	free(b);
}

static void nodelay(struct fx *x)
{
	int one = 1;
	ck_assert_int_eq(
	    ts_setsockopt(&x->t.st, x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

/* TCP_INFO's count of retransmitted segments (tcpi_total_retrans). */
static uint32_t total_retrans(struct fx *x)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	ck_assert_int_eq(ts_getsockopt(&x->t.st, x->fd, IPPROTO_TCP, TCP_INFO, &ti, &l), 0);
	return ti.tcpi_total_retrans;
}

/* The payload of o is pattern bytes from offset from. */
static void payload_is_pattern(const struct out *o, size_t from)
{
	for (size_t i = 0; i < o->v.payload_len; i++)
		ck_assert_msg(o->v.payload[i] == pat(from + i), "payload byte %zu", i);
}

/*
 * The initial window (10 segments, RFC 6928) of new data leaves as one
 * super-segment: gso TCPV4, gso_size the MSS, checksum partial over the
 * TCP header, IPv4 length of the whole; no PSH, as more data waits.
 */
START_TEST(initial_window_is_one_super_segment)
{
	struct fx x;
	fx_established(&x, &tso_caps, 0);
	uint32_t iw = x.pcb->cwnd;
	ck_assert_uint_ge(iw, 2 * MSS);
	write_pattern(&x, 0, 40000);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_TCPV4);
	ck_assert_uint_eq(o->m.gso_size, MSS);
	ck_assert_uint_eq(o->m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(o->m.csum_start, 34);
	ck_assert_uint_eq(o->m.csum_offset, 16);
	ck_assert_uint_eq(o->v.seq, x.iss + 1);
	ck_assert_uint_eq(o->v.payload_len, iw / MSS * MSS);
	ck_assert_uint_eq(o->v.flags, TCP_ACK);
	payload_is_pattern(o, 0);
	ck_assert_uint_eq(capdev_sent_count(x.t.cap), 0);
	/* Each of its segments counts as one sent (netstat OutSegs), and none
	 * as a retransmission: it is new data, though the run leaves after
	 * SND.MAX moved past it. */
	ck_assert_uint_ge(x.t.st.counters[CTR_TCP_TX], 1 + iw / MSS);
	ck_assert_uint_eq(total_retrans(&x), 0);
	/* Its vnet header is the one Linux writes for its own super-segment of the
	 * same shape (tests/frames/link/linux_tcp_gso.hex: MSS 1460, no options). */
	uint8_t h[TAP_VNET_HDR_LEN], linux_gso[4096];
	ck_assert_int_eq(tap_vnet_hdr_build(&o->m, o->f, o->len, h), 0);
	ts_load_hex("link/linux_tcp_gso.hex", linux_gso, sizeof(linux_gso));
	ck_assert_mem_eq(h, linux_gso, TAP_VNET_HDR_LEN);
	free(o);
	fx_free(&x);
}
END_TEST

/* With TCP_NODELAY a short last segment closes the run, PSH set: 3 x 1460 + 620. */
START_TEST(short_tail_joins_the_run_with_psh)
{
	struct fx x;
	fx_established(&x, &tso_caps, 0);
	nodelay(&x);
	write_pattern(&x, 0, 3 * MSS + 620);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_TCPV4);
	ck_assert_uint_eq(o->m.gso_size, MSS);
	ck_assert_uint_eq(o->v.payload_len, 3 * MSS + 620);
	ck_assert_uint_eq(o->v.flags, TCP_ACK | TCP_PSH);
	payload_is_pattern(o, 0);
	ck_assert(!take(&x, o));
	/* One segment's worth is no super-segment. */
	uint8_t f[128];
	feed(&x, f, seg(f, x.snd, x.iss + 1 + 3 * MSS + 620, TCP_ACK, NULL, 0, NULL, 0));
	write_pattern(&x, 3 * MSS + 620, 700);
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
	ck_assert_uint_eq(o->v.payload_len, 700);
	free(o);
	fx_free(&x);
}
END_TEST

/*
 * Three duplicate ACKs SACKing everything but the first segment: fast
 * retransmit resends that hole alone, one MSS, no GSO (RFC 6675: recovery
 * stays per segment).
 */
START_TEST(hole_is_retransmitted_as_one_segment)
{
	struct fx x;
	fx_established(&x, &tso_caps, 0);
	uint32_t n = x.pcb->cwnd / MSS;
	write_pattern(&x, 0, n * MSS);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->v.payload_len, n * MSS);
	uint32_t una = x.iss + 1;
	uint8_t f[128];
	uint64_t before = x.t.st.counters[CTR_TCP_RETRANS];
	for (uint32_t k = 2; k <= 4; k++) {
		/* NOP NOP SACK [una + MSS, una + k*MSS) */
		uint8_t opt[12] = {1, 1, TCP_OPT_SACK, 10};
		put_be32(opt + 4, una + MSS);
		put_be32(opt + 8, una + k * MSS);
		feed(&x, f, seg(f, x.snd, una, TCP_ACK, opt, sizeof(opt), NULL, 0));
	}
	bool resent = false;
	while (take(&x, o)) {
		ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
		ck_assert_uint_le(o->v.payload_len, MSS);
		if (o->v.seq == una && o->v.payload_len == MSS) {
			resent = true;
			payload_is_pattern(o, 0);
		}
	}
	ck_assert(resent);
	ck_assert_uint_gt(x.t.st.counters[CTR_TCP_RETRANS], before);
	/* TCP_INFO counts that one segment, not the super-segment before it. */
	ck_assert_uint_eq(total_retrans(&x), 1);
	free(o);
	fx_free(&x);
}
END_TEST

/* TSO needs the link to complete the checksum; without TSO, one frame per segment. */
START_TEST(no_tso_without_checksum_offload_or_capability)
{
	for (int k = 0; k < 2; k++) {
		struct netdev_caps c = tso_caps;
		if (k == 0)
			c.tx_csum = 0; /* TSO offered, checksums not: Linux drops NETIF_F_TSO too */
		else
			c.tso_types = c.tso_max_size = 0;
		struct fx x;
		fx_established(&x, &c, 0);
		uint32_t n = x.pcb->cwnd / MSS;
		write_pattern(&x, 0, n * MSS);
		struct out *o = malloc(sizeof(*o));
		uint32_t frames = 0;
		while (take(&x, o)) {
			ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
			ck_assert_uint_eq(o->v.payload_len, MSS);
			payload_is_pattern(o, frames * MSS);
			frames++;
		}
		ck_assert_uint_eq(frames, n);
		free(o);
		fx_free(&x);
	}
}
END_TEST

/*
 * The send ring (2 KiB here) wraps three octets after the segment starts:
 * the payload is two pieces, the second at an odd offset of the segment.
 * With sendv the frame leaves in pieces and the full checksum is summed
 * over the ring's pieces; without it they are copied with the checksum
 * folded in.  Either way take() checks the checksum and the bytes.  A
 * short payload is copied even with sendv (TCP_ZEROCOPY_MIN).
 */
static void odd_wrap(bool sendv)
{
	struct fx x;
	fx_established(&x, NULL, 2048); /* a send ring of 2 KiB */
	capdev_set_sendv(x.t.cap, sendv);
	nodelay(&x);
	uint32_t cap = x.pcb->snd_ring.cap;
	struct out *o = malloc(sizeof(*o));
	uint32_t una = x.iss + 1;
	/* Fill the ring but three octets, and have all but the last octet acknowledged. */
	size_t first = cap - 3;
	write_pattern(&x, 0, first);
	while (take(&x, o))
		;
	uint8_t f[128];
	feed(&x, f, seg(f, x.snd, una + (uint32_t)first - 1, TCP_ACK, NULL, 0, NULL, 0));
	while (take(&x, o))
		;
	ck_assert_uint_eq(x.pcb->snd_ring.len, 1);
	/* 1200 more octets (enough to go in pieces: TCP_ZEROCOPY_MIN): three at
	 * the ring's end, the rest at its start; the segment starts at the octet
	 * after the unacknowledged one. */
	write_pattern(&x, first, 1200);
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->v.seq, una + first);
	ck_assert_uint_eq(o->v.payload_len, 1200);
	payload_is_pattern(o, first);
	ck_assert_uint_eq(o->m.csum, NETDEV_CSUM_NONE);
	uint32_t start = (x.pcb->snd_ring.head + 1) % cap;
	ck_assert_uint_eq(cap - start, 3); /* it did wrap, after an odd number of octets */
	ck_assert_uint_eq(capdev_sendv_pieces(x.t.cap) > 0, sendv);
	/* 100 octets more: copied, one piece, whatever the device takes. */
	size_t pieces = capdev_sendv_pieces(x.t.cap);
	feed(&x, f, seg(f, x.snd, una + (uint32_t)first + 1200, TCP_ACK, NULL, 0, NULL, 0));
	write_pattern(&x, first + 1200, 100);
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->v.payload_len, 100);
	payload_is_pattern(o, first + 1200);
	ck_assert_uint_eq(capdev_sendv_pieces(x.t.cap), pieces);
	free(o);
	fx_free(&x);
}

START_TEST(zero_copy_pieces_wrap_at_odd_offset)
{
	odd_wrap(true);
}
END_TEST

START_TEST(copy_with_folded_checksum_wraps_at_odd_offset)
{
	odd_wrap(false);
}
END_TEST

/* Quick-ACK mode spent, as after the first round trips of data. */
static void fx_quickack_spent(struct fx *x)
{
	x->pcb->quick = 0;
	x->pcb->ato_us = x->t.st.cfg.tcp_delack_ms * 1000u;
	x->pcb->lrcv_us = x->t.st.now_us;
}

/*
 * Six in-order full segments in one receive batch: an ACK for every second
 * one (RFC 1122 §4.2.3.2), not one per segment, nor one stretch ACK for
 * the batch that would slow a sender counting ACKs (RFC 3465).
 */
START_TEST(batch_of_in_order_segments_acked_every_second_segment)
{
	struct fx x;
	fx_established(&x, NULL, 0);
	fx_quickack_spent(&x);
	static uint8_t data[MSS];
	uint8_t *f = malloc(MSS + 100);
	uint32_t start = x.snd;
	for (int i = 0; i < 6; i++) {
		size_t n = seg(f, x.snd, x.iss + 1, TCP_ACK, NULL, 0, data, MSS);
		capdev_inject(x.t.cap, f, n);
		x.snd += MSS;
	}
	stack_poll(&x.t.st, x.t.st.now_us);
	struct out *o = malloc(sizeof(*o));
	for (uint32_t k = 2; k <= 6; k += 2) {
		ck_assert(take(&x, o));
		ck_assert_uint_eq(o->v.ack, start + k * MSS);
		ck_assert_uint_eq(o->v.flags, TCP_ACK);
	}
	ck_assert(!take(&x, o));
	free(o);
	free(f);
	fx_free(&x);
}
END_TEST

/*
 * The first data of a connection, six segments in one batch: quick-ACK
 * mode ACKs each (Linux tcp_in_quickack_mode), the batch does not merge
 * them: the sender's slow start grows per ACK.
 */
START_TEST(batch_in_quickack_mode_acks_each_segment)
{
	struct fx x;
	fx_established(&x, NULL, 0);
	static uint8_t data[MSS];
	uint8_t *f = malloc(MSS + 100);
	uint32_t start = x.snd;
	for (int i = 0; i < 6; i++) {
		size_t n = seg(f, x.snd, x.iss + 1, TCP_ACK, NULL, 0, data, MSS);
		capdev_inject(x.t.cap, f, n);
		x.snd += MSS;
	}
	stack_poll(&x.t.st, x.t.st.now_us);
	struct out *o = malloc(sizeof(*o));
	for (uint32_t k = 1; k <= 6; k++) {
		ck_assert_msg(take(&x, o), "ACK %u", k);
		ck_assert_uint_eq(o->v.ack, start + k * MSS);
	}
	ck_assert(!take(&x, o));
	free(o);
	free(f);
	fx_free(&x);
}
END_TEST

/* Out-of-order segments in one batch: each gets its duplicate ACK at once (RFC 5681 §4.2). */
START_TEST(batch_of_out_of_order_segments_gets_each_dupack)
{
	struct fx x;
	fx_established(&x, NULL, 0);
	static uint8_t data[MSS];
	uint8_t *f = malloc(MSS + 100);
	for (int i = 1; i <= 3; i++) {
		size_t n =
		    seg(f, x.snd + (uint32_t)i * MSS, x.iss + 1, TCP_ACK, NULL, 0, data, MSS);
		capdev_inject(x.t.cap, f, n);
	}
	stack_poll(&x.t.st, x.t.st.now_us);
	struct out *o = malloc(sizeof(*o));
	for (int i = 1; i <= 3; i++) {
		ck_assert_msg(take(&x, o), "dupack %d", i);
		ck_assert_uint_eq(o->v.ack, x.snd);
		ck_assert_uint_eq(o->v.payload_len, 0);
	}
	ck_assert(!take(&x, o));
	free(o);
	free(f);
	fx_free(&x);
}
END_TEST

/*
 * Linux's GSO super-frame (2000 octets, gso_size 1460, checksum partial),
 * as a TAP with TSO hands it up: one segment for TCP, every octet
 * delivered, one ACK.
 */
START_TEST(linux_gso_super_frame_received_whole)
{
	struct fx x;
	fx_established(&x, &tso_caps, 0);
	uint8_t raw[4096];
	size_t n = ts_load_hex("link/linux_tcp_gso.hex", raw, sizeof(raw));
	ck_assert_uint_eq(n, TAP_VNET_HDR_LEN + 2054);
	struct netdev_meta m;
	tap_vnet_hdr_parse(raw, &m);
	uint8_t *fr = raw + TAP_VNET_HDR_LEN;
	/* The capture's ACK field names the script's ISS; ours differs.  The
	 * checksum is partial (the pseudo-header sum only), so it still holds. */
	ck_assert_uint_eq(get_be32(fr + 34 + 4), x.snd);
	put_be32(fr + 34 + 8, x.iss + 1);
	capdev_inject_meta(x.t.cap, fr, 2054, &m);
	stack_poll(&x.t.st, x.t.st.now_us);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_RX], 3); /* SYN, ACK, this one */
	uint8_t in[2100];
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, in, sizeof(in)), 2000);
	for (int i = 0; i < 2000; i++)
		ck_assert_uint_eq(in[i], (uint8_t)(7 * i));
	/* Two segments' worth of data: an ACK at once (RFC 9293 §3.8.6.3). */
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(&x, o));
	ck_assert_uint_eq(o->v.ack, x.snd + 2000);
	free(o);
	fx_free(&x);
}
END_TEST

/*
 * A segment without text whose sequence number is the right edge of the
 * window we offered is read (tcp_in.c check_sequence, as Linux's
 * tcp_sequence): a peer that filled a rounded-up window we could not store
 * has its SND.NXT exactly there, and dropping its pure ACKs unread made
 * the two-stack back-pressure test an ACK war once receive batches
 * changed the timing.
 */
START_TEST(pure_ack_at_right_edge_is_read)
{
	struct fx x;
	fx_established(&x, NULL, 0);
	nodelay(&x);
	write_pattern(&x, 0, 1000);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take(&x, o));
	uint32_t edge = x.pcb->rcv_adv;
	ck_assert_uint_gt(edge - x.pcb->rcv_nxt, 0);
	uint8_t f[128];
	feed(&x, f, seg(f, edge, x.iss + 1 + 1000, TCP_ACK, NULL, 0, NULL, 0));
	ck_assert_uint_eq(x.pcb->snd_una, x.iss + 1 + 1000);
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_OUT_OF_WINDOW] + x.t.st.drops[DROP_TCP_RCVBUF_FULL],
			  0);
	/* One octet further is beyond the window: dropped, answered with an ACK. */
	feed(&x, f, seg(f, edge + 1, x.iss + 1 + 1000, TCP_ACK, NULL, 0, NULL, 0));
	ck_assert_uint_eq(x.t.st.drops[DROP_TCP_OUT_OF_WINDOW], 1);
	free(o);
	fx_free(&x);
}
END_TEST

static Suite *tso_suite(void)
{
	Suite *s = suite_create("tso");
	TCase *tc = tcase_create("send");
	tcase_add_test(tc, initial_window_is_one_super_segment);
	tcase_add_test(tc, short_tail_joins_the_run_with_psh);
	tcase_add_test(tc, hole_is_retransmitted_as_one_segment);
	tcase_add_test(tc, no_tso_without_checksum_offload_or_capability);
	tcase_add_test(tc, zero_copy_pieces_wrap_at_odd_offset);
	tcase_add_test(tc, copy_with_folded_checksum_wraps_at_odd_offset);
	suite_add_tcase(s, tc);
	tc = tcase_create("receive");
	tcase_add_test(tc, batch_of_in_order_segments_acked_every_second_segment);
	tcase_add_test(tc, batch_in_quickack_mode_acks_each_segment);
	tcase_add_test(tc, batch_of_out_of_order_segments_gets_each_dupack);
	tcase_add_test(tc, linux_gso_super_frame_received_whole);
	tcase_add_test(tc, pure_ack_at_right_edge_is_read);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tso_suite)
