/*
 * tcp_out.c - building and sending segments: YOUR VERSION (exercise
 * "tcp_out", docs/exercises/tcp_out/README.md).  `make exercise
 * NAME=tcp_out` builds the stack with this file in place of
 * stack/tcp_out.c and checks it.
 *
 * You write what the sender decides (RFC 9293 §3.8.6, §3.7.4; RFC 1122
 * §4.2.3.3-4): tcp_send_decide (how much of the send ring goes in the
 * next segment, and whether it goes now: the usable window, segmentation
 * to the MSS, Nagle, sender SWS avoidance, the FIN), tcp_persist_update
 * (when the persist timer runs) and tcp_window_to_advertise (the window
 * we offer: receiver SWS avoidance, never shrinking, window scaling).
 * Each one's comment is its specification.
 *
 * Given, and not the lesson: tcp_output's loop around tcp_send_decide
 * (congestion room, SACK skipping, RTT timing, the retransmission timer,
 * PSH), building segments (options, checksum, the offloads: TSO runs,
 * zero copy from the ring), and the ACK, RST, SYN and tail-loss-probe
 * senders.  The zero-window probe itself and its backoff are in
 * stack/tcp_timer.c (window_probe, persist_fire).
 */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "ipv6.h"
#include "socket.h"
#include "stack.h"
#include "tcp_cc.h"
#include "tcp_var.h"
#include "tcp_seq.h"

static uint32_t tcp_now_ms(const struct tcp_pcb *pcb)
{
	return (uint32_t)(pcb->st->now_us / 1000u) + pcb->ts_offset;
}

/*
 * The space the window may offer: free ring space, at most rcv_ssthresh.
 * rcv_ssthresh starts at the first window (cfg.tcp_init_rcv_wnd) and grows
 * by twice the bytes received since it last grew, up to the ring (Linux
 * tcp_grow_window: two MSS per full segment), so a connection that moves
 * data opens its window within a few round trips while an idle one keeps
 * offering little.
 */
static uint32_t rcv_space(struct tcp_pcb *pcb)
{
	uint32_t got = pcb->rcv_nxt - pcb->irs;
	uint32_t cap = pcb->rcv_ring.cap;
	if (pcb->rcv_ssthresh < cap && got != pcb->rcv_grow_mark) {
		uint64_t grown = pcb->rcv_ssthresh + 2ull * (got - pcb->rcv_grow_mark);
		pcb->rcv_ssthresh = grown < cap ? (uint32_t)grown : cap;
	}
	pcb->rcv_grow_mark = got;
	uint32_t free_space = tcp_ring_free_space(&pcb->rcv_ring);
	return free_space < pcb->rcv_ssthresh ? free_space : pcb->rcv_ssthresh;
}

/*
 * The window field of the next segment we send, and the bookkeeping of the
 * window we offer (RFC 9293 §3.8.6.2.2, RFC 1122 §4.2.3.3, RFC 7323 §2).
 *
 * space, what we could offer: rcv_space(pcb) (free receive ring, at most
 * rcv_ssthresh, which it grows); for a SYN (syn true), the first window,
 * min(tcp_ring_free_space(&pcb->rcv_ring), rcv_ssthresh) without growth.
 * Remember it: rcv_wnd = space.
 *
 * cur, what the peer may still send into: RCV.ADV - RCV.NXT (rcv_adv, the
 * right edge we last advertised; 0 when it is not beyond rcv_nxt).
 * Receiver SWS avoidance: the right edge moves only when it can move by
 * step = min(rcv_ring.cap / 2, rmss) or more: a space above cur but below
 * cur + step is offered as cur.  The window never shrinks: a space below
 * cur is offered as cur too.
 *
 * In a SYN the window is never scaled (RFC 7323 §2.2): at most 65535,
 * RCV.ADV = RCV.NXT + that window, return it.  Otherwise the field is the
 * window >> rcv_wscale rounded UP (rounding down would shrink the right
 * edge by up to 2^rcv_wscale - 1 octets), at most 65535; RCV.ADV moves to
 * RCV.NXT + (field << rcv_wscale) when that is beyond it (never back).
 */
uint16_t tcp_window_to_advertise(struct tcp_pcb *pcb, bool syn)
{
	/*
	 * TODO: compute space (rcv_space, or for a SYN the ungrown first window),
	 * cur (RCV.ADV - RCV.NXT, or 0) and step = min(cap / 2, rmss); offer cur
	 * while space is below cur + step (SWS) or below cur (never shrink), else
	 * space; set rcv_wnd = space.  A SYN: at most 65535 unscaled, RCV.ADV =
	 * RCV.NXT + window.  Otherwise the field is the window >> rcv_wscale
	 * rounded up, at most 65535, and RCV.ADV moves up to RCV.NXT + (field <<
	 * rcv_wscale) if that is further.  Return the field.
	 */
	(void)pcb;
	(void)syn;
	return 0;
}

bool tcp_window_update_due(struct tcp_pcb *pcb)
{
	uint32_t space = rcv_space(pcb);
	uint32_t cur = seq_gt(pcb->rcv_adv, pcb->rcv_nxt) ? pcb->rcv_adv - pcb->rcv_nxt : 0;
	uint32_t step = pcb->rcv_ring.cap / 2 < pcb->rmss ? pcb->rcv_ring.cap / 2 : pcb->rmss;
	if (space < cur + step)
		return false; /* RFC 1122 §4.2.3.3: the edge would not move enough */
	/* Linux __tcp_cleanup_rbuf: announce when a window of at most half the
	 * buffer at least doubles; a larger one is refreshed by the next ACK
	 * anyway, and an ACK per read would double the ACK rate for nothing. */
	return 2u * cur <= pcb->rcv_ring.cap && space >= 2u * cur;
}

/* Index of the out-of-order range holding [left, right), or -1. */
static int ofo_range_of(const struct tcp_assembler *a, uint32_t left, uint32_t right)
{
	for (uint32_t i = 0; i < a->n; i++)
		if (seq_leq(a->r[i].left, left) && seq_geq(a->r[i].right, right))
			return (int)i;
	return -1;
}

/*
 * Fills up to max SACK blocks (RFC 2018 §4, RFC 2883 §4): a D-SACK first
 * when data arrived twice; then the block holding the most recently
 * received segment; then the blocks of our previous ACK in the order we
 * sent them (what they became since: blocks grow and merge), so the
 * most recently reported come first and every block is repeated in
 * several ACKs; then any other block.  Remembers the order for the next
 * ACK (Linux keeps selective_acks most recent first the same way).
 */
static uint8_t sack_blocks(struct tcp_pcb *pcb, struct tcp_sack_block *out, uint8_t max)
{
	uint8_t n = 0, nd = 0;
	const struct tcp_assembler *a = &pcb->ofo;
	bool used[TCP_OFO_MAX_RANGES] = {false};
	if (pcb->tf & TF_DSACK_PENDING) {
		out[n].left = pcb->dsack_left;
		out[n].right = pcb->dsack_right;
		n = nd = 1;
		ts_count(pcb->st, CTR_TCP_DSACK_SENT);
	}
	int k = ofo_range_of(a, pcb->last_sack_left, pcb->last_sack_right);
	if (k >= 0 && n < max) {
		used[k] = true;
		out[n++] = a->r[k];
	}
	for (uint8_t j = 0; j < pcb->nsack_sent && n < max; j++) {
		const struct tcp_sack_block *b = &pcb->sack_sent[j];
		k = ofo_range_of(a, b->left, b->right);
		if (k >= 0 && !used[k]) {
			used[k] = true;
			out[n++] = a->r[k];
		}
	}
	for (uint32_t i = 0; i < a->n && n < max; i++)
		if (!used[i]) {
			used[i] = true;
			out[n++] = a->r[i];
		}
	pcb->nsack_sent = 0;
	for (uint8_t j = nd; j < n && pcb->nsack_sent < 4; j++)
		pcb->sack_sent[pcb->nsack_sent++] = out[j];
	return n;
}

/* Whether the link completes the TCP checksum of segments from src (its family's bit). */
static bool tcp_csum_offloaded(const struct stack *st, const struct ip_addr *src)
{
	return st->link.tx_csum & (ip_addr_is_v4(src) ? NETDEV_OFFLOAD_TCP4 : NETDEV_OFFLOAD_TCP6);
}

/* The TSO type of a super-segment from src: TCPV4 or TCPV6 by its family. */
static enum netdev_gso_type tcp_gso_type(const struct ip_addr *src)
{
	return ip_addr_is_v4(src) ? NETDEV_GSO_TCPV4 : NETDEV_GSO_TCPV6;
}

/*
 * Fills the checksum of the segment at b->data..b->tail (RFC 9293 §3.1): in
 * full, or, when the link completes TCP checksums (netdev.h), only the
 * pseudo-header sum, left partial for the link as Linux's
 * tcp_v4_send_check does with CHECKSUM_PARTIAL.
 */
static void tcp_fill_csum(struct stack *st, struct ts_buf *b, const struct ip_addr *src,
			  const struct ip_addr *dst)
{
	size_t len = ts_buf_len(b);
	uint32_t sum = ip_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint32_t)len);
	if (tcp_csum_offloaded(st, src)) {
		ts_buf_csum_set_partial(b, TCP_OFF_CSUM, sum);
		return;
	}
	put_be16(b->data + TCP_OFF_CSUM, ts_csum_fold(ts_csum_partial(b->data, len, sum)));
}

/*
 * Data (or a FIN) goes out: RACK's record of it (tcp_recovery.c), and
 * Linux's tcp_event_data_sent: an answer sent within the ACK timeout of
 * the data it answers makes the connection interactive ("ping-pong"), so
 * the next request's ACK waits to ride on the next answer.
 */
static void sent_data(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool resent)
{
	uint64_t now = pcb->st->now_us;
	tcp_trace_tx(pcb, seq, len, resent);
	tcp_seg_sent(pcb, seq, len);
	if (pcb->ato_us && now - pcb->lrcv_us < pcb->ato_us)
		pcb->tf |= TF_PINGPONG;
	pcb->last_data_sent_us = now;
}

/*
 * The n octets of the send ring from offset off, as the one or two pieces
 * of its storage they occupy (two when they wrap past the end).  Reads the
 * ring through its documented layout (tcp_ring.h: len octets from head,
 * wrapping at cap).  Returns the number of pieces.
 */
static unsigned ring_pieces(const struct tcp_ring *r, uint32_t off, uint32_t n,
			    struct ts_buf_ext out[2])
{
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	out[0] = (struct ts_buf_ext){r->buf + pos, first};
	out[1] = (struct ts_buf_ext){r->buf, n - first};
	return n - first ? 2 : 1;
}

/*
 * Adds the RFC 1071 sum of a piece that starts at offset at of the
 * segment: a piece at an odd offset has its bytes in the other halves of
 * the 16-bit words, so its folded sum is byte-swapped (RFC 1071 §2(B)).
 */
static uint32_t csum_add_at(uint32_t sum, uint32_t piece, size_t at)
{
	piece = (piece & 0xffffu) + (piece >> 16);
	piece = (piece & 0xffffu) + (piece >> 16);
	if (at & 1)
		piece = ((piece & 0xffu) << 8) | (piece >> 8);
	return sum + piece;
}

/*
 * Copies n octets to dst and returns their RFC 1071 sum (as
 * ts_csum_partial(src, n, 0) would): one pass over the payload instead of
 * a copy and then a sum.  Native 64-bit words with end-around carry,
 * folded and swapped to big-endian word order at the end, as checksum.c
 * does.
 */
static uint32_t csum_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
	uint64_t acc = 0;
	for (; n >= 8; n -= 8, src += 8, dst += 8) {
		uint64_t w;
		memcpy(&w, src, 8);
		memcpy(dst, &w, 8);
		acc += w;
		acc += acc < w;
	}
	if (n) {
		uint64_t w = 0;
		memcpy(&w, src, n); /* zero-padded: an odd last byte is a word's high byte */
		memcpy(dst, src, n);
		acc += w;
		acc += acc < w;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	uint16_t f = (uint16_t)acc;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	f = (uint16_t)((f >> 8) | (f << 8));
#endif
	return f;
}

/*
 * Payloads shorter than this are copied even on a link that takes frames
 * in pieces: copying a small response (a /hello one is 150 octets) costs
 * less, in userspace and in the kernel's import of the iovecs, than a
 * second and third piece (callgrind: ~90 instructions more per /hello
 * request with every payload in pieces).
 */
#define TCP_ZEROCOPY_MIN 1024

/*
 * Puts len octets of the send ring from offset off behind the header
 * (hlen octets at b->data, already counted in the buffer) and returns
 * their RFC 1071 sum when the checksum is not left to the link (0 when it
 * is).  With a link that takes frames in pieces the octets stay in the
 * ring (ts_buf_set_ext: the frame goes out as headers + ring pieces, and
 * the sum is a read of the ring); otherwise they are copied, summed in the
 * same pass.
 */
static uint32_t tcp_put_payload(struct tcp_pcb *pcb, struct ts_buf *b, size_t hlen, uint32_t off,
				uint32_t len, bool partial)
{
	struct ts_buf_ext pc[2];
	unsigned n = ring_pieces(&pcb->snd_ring, off, len, pc);
	uint32_t sum = 0;
	size_t at = hlen;
	if (len >= TCP_ZEROCOPY_MIN && netdev_has_sendv(pcb->st->dev)) {
		ts_buf_set_ext(b, pc, n);
		for (unsigned i = 0; !partial && i < n; i++) {
			sum = csum_add_at(sum, ts_csum_partial(pc[i].base, pc[i].len, 0), at);
			at += pc[i].len;
		}
		return sum;
	}
	for (unsigned i = 0; i < n; i++) {
		if (partial)
			memcpy(b->data + at, pc[i].base, pc[i].len);
		else
			sum = csum_add_at(sum, csum_copy(b->data + at, pc[i].base, pc[i].len), at);
		at += pc[i].len;
	}
	return sum;
}

/*
 * Builds and sends <SEQ=seq><CTL=flags> with len octets of the send ring.
 * gso_size 0: one segment.  gso_size > 0: a TSO super-segment of len
 * octets that the link cuts into segments of gso_size (the last may be
 * shorter); segs of them count as sent.  The header (options, window,
 * ACK) is the one every segment of it carries, as Linux's TSO repeats the
 * header; the link clears PSH on all but the last segment.  resent: the
 * octets were sent before (TCP_INFO counts it, --trace tcp says so); the
 * caller knows, since a TSO run leaves after SND.MAX moved past it.
 */
static int tcp_send_segment_gso(struct tcp_pcb *pcb, uint32_t seq, uint8_t flags, uint32_t len,
				uint16_t gso_size, uint32_t segs, bool resent)
{
	struct stack *st = pcb->st;
	bool syn = flags & TCP_SYN;
	struct tcp_opts o;
	memset(&o, 0, sizeof(o));
	if (syn) {
		o.has_mss = true;
		o.mss = pcb->rmss;
		o.sack_perm = pcb->tf & TF_SACK_OK;
		o.has_ws = pcb->tf & TF_WS_OK;
		o.ws = pcb->rcv_wscale;
	}
	if (pcb->tf & TF_TS_OK) {
		o.has_ts = true;
		o.tsval = tcp_now_ms(pcb);
		o.tsecr = pcb->ts_recent;
	}
	if (!syn && (flags & TCP_ACK) && (pcb->tf & TF_SACK_OK) &&
	    (pcb->ofo.n || (pcb->tf & TF_DSACK_PENDING)))
		o.nsack = sack_blocks(pcb, o.sack, o.has_ts ? 3 : 4);
	uint8_t opt[TCP_MAX_OPT_LEN];
	size_t optlen = tcp_build_options(opt, syn, &o);
	size_t hlen = TCP_HDR_LEN + optlen;

	struct ts_buf *b = ts_buf_alloc(st, hlen + len, TS_BUF_HEADROOM);
	if (!b)
		return -ENOBUFS;
	uint8_t *h =
	    ts_buf_put(b, hlen + len); /* payload room reserved even when it stays in the ring */
	put_be16(h + 0, pcb->local_port);
	put_be16(h + 2, pcb->remote_port);
	put_be32(h + 4, seq);
	put_be32(h + 8, (flags & TCP_ACK) ? pcb->rcv_nxt : 0);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = flags;
	put_be16(h + 14, (flags & TCP_RST) ? 0 : tcp_window_to_advertise(pcb, syn));
	put_be16(h + 16, 0);
	put_be16(h + 18, 0); /* urgent pointer: we never send urgent data */
	memcpy(h + TCP_HDR_LEN, opt, optlen);
	bool partial = tcp_csum_offloaded(st, &pcb->local_ip);
	uint32_t sum =
	    len ? tcp_put_payload(pcb, b, hlen, seq - pcb->snd_buf_seq, len, partial) : 0;
	uint32_t pseudo =
	    ip_csum_pseudo(&pcb->local_ip, &pcb->remote_ip, IPV4_PROTO_TCP, (uint32_t)(hlen + len));
	if (partial)
		ts_buf_csum_set_partial(b, TCP_OFF_CSUM, pseudo);
	else
		put_be16(h + TCP_OFF_CSUM, ts_csum_fold(ts_csum_partial(h, hlen, pseudo) + sum));
	if (gso_size) {
		b->gso_type = (uint8_t)tcp_gso_type(&pcb->local_ip);
		b->gso_size = gso_size;
	}

	if (flags & TCP_ACK) {
		/* Any ACK we send settles what was owed (RFC 9293 §3.8.6.3). */
		if (pcb->quick && pcb->unacked_bytes) {
			/* Linux tcp_dec_quickack_mode: quick ACKs are spent per
			 * segment acknowledged. */
			uint32_t segs = (pcb->unacked_bytes + pcb->smss - 1) / pcb->smss;
			pcb->quick = segs >= pcb->quick ? 0 : (uint8_t)(pcb->quick - segs);
		}
		pcb->last_ack_sent = pcb->rcv_nxt;
		pcb->unacked_bytes = 0;
		if (pcb->tf & TF_DELACK)
			tcp_timer_disarm(pcb, TCP_T_DELACK);
		pcb->tf &= ~(TF_ACKNOW | TF_DELACK | TF_DSACK_PENDING);
	}
	if (!syn && !(flags & TCP_RST) && (len || (flags & TCP_FIN))) {
		/* RACK and the ACK policy see each segment the link will cut
		 * from a super-segment; the FIN rides on the last one. */
		uint32_t step = gso_size ? gso_size : (len ? len : 1);
		uint32_t off = 0;
		do {
			uint32_t chunk = len - off < step ? len - off : step;
			bool last = off + chunk >= len;
			sent_data(pcb, seq + off, chunk + (last && (flags & TCP_FIN) ? 1 : 0),
				  resent);
			off += chunk;
		} while (off < len);
	}
	st->counters[CTR_TCP_TX] += segs;
	if (flags & TCP_RST)
		ts_count(st, CTR_TCP_RST_SENT);
	/* TCP_INFO counters; Linux does not count a SYN-ACK of a passive open
	 * (its request socket sends it), nor do we. */
	if ((flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) || !(pcb->tf & TF_PASSIVE)) {
		pcb->segs_out++;
		if (len)
			pcb->data_segs_out++;
	}
	if (resent && (len || (flags & (TCP_SYN | TCP_FIN))))
		pcb->total_retrans++;
	return ip_output(st, b, &pcb->local_ip, &pcb->remote_ip, IPV4_PROTO_TCP, &pcb->ip_opts);
}

int tcp_send_segment(struct tcp_pcb *pcb, uint32_t seq, uint8_t flags, uint32_t len)
{
	/* Below SND.MAX: sent before. */
	return tcp_send_segment_gso(pcb, seq, flags, len, 0, 1, seq_lt(seq, pcb->snd_max));
}

/*
 * The sequence number of a segment that carries no data (a pure ACK, a
 * RST): SND.NXT as RFC 9293 means it, the next new octet, which is our
 * SND.MAX (snd_nxt moves back to SND.UNA for a go-back-N resend), kept
 * within the peer's window (Linux tcp_acceptable_seq).  With the rewound
 * snd_nxt, a peer that already holds those octets finds the ACK below
 * RCV.NXT, unacceptable (§3.10.7.4), and drops the acknowledgment it
 * carries: when both ends resend at once (a bidirectional transfer under
 * 20 % loss) neither learns what the other received, and both time out.
 */
static uint32_t acceptable_seq(const struct tcp_pcb *pcb)
{
	uint32_t wnd_end = pcb->snd_una + pcb->snd_wnd;
	return pcb->snd_wnd && seq_gt(pcb->snd_max, wnd_end) ? wnd_end : pcb->snd_max;
}

void tcp_send_ack(struct tcp_pcb *pcb)
{
	tcp_send_segment(pcb, acceptable_seq(pcb), TCP_ACK, 0);
}

void tcp_send_rst_pcb(struct tcp_pcb *pcb)
{
	tcp_send_segment(pcb, acceptable_seq(pcb), TCP_RST | TCP_ACK, 0);
}

void tcp_send_syn(struct tcp_pcb *pcb)
{
	uint8_t flags = TCP_SYN;
	if (pcb->state == TCPS_SYN_RECEIVED)
		flags |= TCP_ACK;
	tcp_send_segment(pcb, pcb->iss, flags, 0);
	pcb->snd_nxt = pcb->iss + 1;
	if (seq_lt(pcb->snd_max, pcb->snd_nxt))
		pcb->snd_max = pcb->snd_nxt;
}

void tcp_send_probe(struct tcp_pcb *pcb)
{
	uint32_t off = pcb->snd_nxt - pcb->snd_buf_seq;
	uint32_t avail = pcb->snd_ring.len > off ? pcb->snd_ring.len - off : 0;
	uint32_t flight = pcb->snd_nxt - pcb->snd_una;
	uint32_t room = tcp_seg_room(pcb);
	if (avail && pcb->snd_wnd > flight) {
		/* New data when the peer's window allows (cwnd does not limit a probe). */
		uint32_t len = avail < room ? avail : room;
		if (len > pcb->snd_wnd - flight)
			len = pcb->snd_wnd - flight;
		uint8_t flags = TCP_ACK | (off + len == pcb->snd_ring.len ? TCP_PSH : 0);
		tcp_send_segment(pcb, pcb->snd_nxt, flags, len);
		pcb->snd_nxt += len;
		pcb->snd_max = pcb->snd_nxt;
		return;
	}
	/* Otherwise the last segment again, FIN included if it was sent. */
	uint32_t end = pcb->snd_max;
	uint8_t flags = TCP_ACK;
	if ((pcb->tf & TF_FIN_SENT) && end == pcb->fin_seq + 1) {
		flags |= TCP_FIN;
		end = pcb->fin_seq;
	}
	uint32_t len = end - pcb->snd_una < room ? end - pcb->snd_una : room;
	ts_count(pcb->st, CTR_TCP_RETRANS);
	tcp_send_segment(pcb, end - len, flags, len);
}

void tcp_send_reset_for(struct stack *st, const struct ip_addr *src, const struct ip_addr *dst,
			const struct tcp_view *seg)
{
	/* RFC 9293 §3.10.7.1: never answer a RST with a RST. */
	if (seg->flags & TCP_RST)
		return;
	struct ts_buf *b = ts_buf_alloc(st, TCP_HDR_LEN, TS_BUF_HEADROOM);
	if (!b)
		return;
	uint8_t *h = ts_buf_put(b, TCP_HDR_LEN);
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TCP_RST;
	if (seg->flags & TCP_ACK) {
		seq = seg->ack; /* <SEQ=SEG.ACK><CTL=RST> */
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count. */
		ack = seg->seq + seg->payload_len + !!(seg->flags & TCP_SYN) +
		      !!(seg->flags & TCP_FIN);
		flags |= TCP_ACK;
	}
	put_be16(h + 0, seg->dst_port);
	put_be16(h + 2, seg->src_port);
	put_be32(h + 4, seq);
	put_be32(h + 8, ack);
	h[12] = (TCP_HDR_LEN / 4) << 4;
	h[13] = flags;
	put_be16(h + 14, 0);
	put_be16(h + 16, 0);
	put_be16(h + 18, 0);
	tcp_fill_csum(st, b, src, dst);
	ts_count(st, CTR_TCP_TX);
	ts_count(st, CTR_TCP_RST_SENT);
	/* DF, as Linux's RSTs from its per-namespace control socket
	 * (IP_PMTUDISC_DO, tcp_sk_init): 40 octets never need fragments. */
	static const struct ip_tx_opts rst_ip = {.pmtudisc = IP_PMTUDISC_DO};
	ip_output(st, b, src, dst, IPV4_PROTO_TCP, &rst_ip);
}

void tcp_send_synack_stateless(struct stack *st, const struct ip_addr *src,
			       const struct ip_addr *dst, uint16_t sport, uint16_t dport,
			       uint32_t seq, uint32_t ack, uint16_t wnd, const struct tcp_opts *o,
			       const struct ip_tx_opts *ip)
{
	uint8_t opt[TCP_MAX_OPT_LEN];
	size_t optlen = tcp_build_options(opt, true, o);
	size_t hlen = TCP_HDR_LEN + optlen;
	struct ts_buf *b = ts_buf_alloc(st, hlen, TS_BUF_HEADROOM);
	if (!b)
		return;
	uint8_t *h = ts_buf_put(b, hlen);
	put_be16(h + 0, sport);
	put_be16(h + 2, dport);
	put_be32(h + 4, seq);
	put_be32(h + 8, ack);
	h[12] = (uint8_t)((hlen / 4) << 4);
	h[13] = TCP_SYN | TCP_ACK;
	put_be16(h + 14, wnd); /* RFC 7323 §2.2: never scaled in a SYN */
	put_be16(h + 16, 0);
	put_be16(h + 18, 0);
	memcpy(h + TCP_HDR_LEN, opt, optlen);
	uint32_t sum = ip_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint32_t)hlen);
	put_be16(h + 16, ts_csum_fold(ts_csum_partial(h, hlen, sum)));
	ts_count(st, CTR_TCP_TX);
	ip_output(st, b, src, dst, IPV4_PROTO_TCP, ip);
}

/* If seq lies in a block the peer SACKed, the end of that block, else seq. */
static uint32_t skip_sacked(const struct tcp_pcb *pcb, uint32_t seq)
{
	bool moved = true;
	while (moved) {
		moved = false;
		for (uint8_t i = 0; i < pcb->nsacked; i++)
			if (seq_in(seq, pcb->sacked[i].left, pcb->sacked[i].right)) {
				seq = pcb->sacked[i].right;
				moved = true;
			}
	}
	return seq;
}

/*
 * Payload bytes that fit in one segment now: SMSS already leaves room for
 * timestamps; SACK blocks take more (RFC 6691 §2: the MSS counts no
 * options, so options come out of the payload, never past the MTU).
 */
uint32_t tcp_seg_room(const struct tcp_pcb *pcb)
{
	uint32_t room = pcb->smss;
	uint32_t blocks = pcb->ofo.n + !!(pcb->tf & TF_DSACK_PENDING);
	if ((pcb->tf & TF_SACK_OK) && blocks) {
		uint32_t max = (pcb->tf & TF_TS_OK) ? 3 : 4;
		uint32_t n = blocks < max ? blocks : max;
		room -= 4 + 8 * n;
	}
	return room;
}

static bool can_send_data(enum tcp_state_id s)
{
	return s == TCPS_ESTABLISHED || s == TCPS_CLOSE_WAIT || s == TCPS_FIN_WAIT_1 ||
	       s == TCPS_CLOSING || s == TCPS_LAST_ACK;
}

/*
 * A run of consecutive new-data segments tcp_output decided to send, held
 * so that a link with TSO gets them as one super-segment (struct tso_run
 * is empty when segs == 0).
 */
struct tso_run {
	uint32_t seq;	   /* first sequence number */
	uint32_t len;	   /* payload octets */
	uint32_t segs;	   /* segments of gso_size (the last may be shorter) */
	uint16_t gso_size; /* payload per segment: the SMSS less SACK room */
	uint8_t flags;	   /* ACK, and PSH when the run ends the queued data */
	bool closed;	   /* its last segment is short: nothing may follow */
};

/*
 * Payload octets one super-segment may carry on this connection, a
 * multiple of room; 0 when the link has no TSO for it.  TSO needs the
 * link to complete the checksum too (Linux: NETIF_F_TSO requires
 * NETIF_F_IP_CSUM, NETIF_F_TSO6 NETIF_F_IPV6_CSUM), and the datagram must
 * fit the 16-bit length of its family with the largest TCP header: IPv4's
 * total length, IPv6's payload length (RFC 8200 §3; no jumbograms), both
 * within the frame of at most TS_BUF_BIG_FRAME.
 */
static uint32_t tso_max_payload(const struct tcp_pcb *pcb, uint32_t room)
{
	const struct netdev_caps *l = &pcb->st->link;
	bool v4 = ip_addr_is_v4(&pcb->local_ip);
	if (!room || !(l->tso_types & (1u << tcp_gso_type(&pcb->local_ip))) ||
	    !tcp_csum_offloaded(pcb->st, &pcb->local_ip))
		return 0;
	uint32_t frame = l->tso_max_size < TS_BUF_BIG_FRAME ? l->tso_max_size : TS_BUF_BIG_FRAME;
	uint32_t hdrs = 14 + (v4 ? IPV4_HDR_LEN : IPV6_HDR_LEN) + TCP_HDR_LEN + TCP_MAX_OPT_LEN;
	if (frame <= hdrs)
		return 0;
	uint32_t max = (frame - hdrs) / room * room;
	return max >= 2 * room ? max : 0;
}

/* Sends the held run, as one segment or one super-segment; empties it. */
static void tso_flush(struct tcp_pcb *pcb, struct tso_run *r)
{
	if (!r->segs)
		return;
	/* A failed send (no buffer, no route) still counts as sent: the
	 * retransmission timer recovers it, as it would a loss. */
	/* A run holds new data only (tso_add is never given a resend). */
	tcp_send_segment_gso(pcb, r->seq, r->flags, r->len, r->segs > 1 ? r->gso_size : 0, r->segs,
			     false);
	*r = (struct tso_run){0};
}

/*
 * Adds a segment of new data to the run when it continues it (and, when
 * the run is empty, starts one); false when it cannot (the caller flushes
 * and sends it alone).  max: tso_max_payload.
 */
static bool tso_add(struct tso_run *r, uint32_t seq, uint32_t len, uint8_t flags, uint32_t room,
		    uint32_t max)
{
	if (!max || !len || (flags & ~(TCP_ACK | TCP_PSH)))
		return false;
	if (!r->segs) {
		*r = (struct tso_run){.seq = seq,
				      .len = len,
				      .segs = 1,
				      .gso_size = (uint16_t)room,
				      .flags = flags,
				      .closed = len < room};
		return true;
	}
	if (r->closed || r->seq + r->len != seq || r->gso_size != room || r->len + len > max)
		return false;
	r->len += len;
	r->segs++;
	r->flags |= flags;
	r->closed = len < room;
	return true;
}

void tcp_batch_begin(struct stack *st)
{
	st->tcp->batching = true;
	st->tcp->out_pending = NULL;
	st->tcp->out_tail = &st->tcp->out_pending;
}

void tcp_batch_end(struct stack *st)
{
	struct tcp_state *t = st->tcp;
	t->batching = false;
	while (t->out_pending) {
		struct tcp_pcb *pcb = t->out_pending;
		t->out_pending = pcb->out_next;
		pcb->out_next = NULL;
		pcb->out_pending = false;
		tcp_output(pcb);
	}
	t->out_tail = &t->out_pending;
}

/*
 * Whether tcp_output waits for the end of the receive batch.  Only a
 * connection a socket holds: nothing but the user's close frees its pcb,
 * and the user does not run inside stack_poll.  Not while out-of-order
 * data waits: RFC 5681 §4.2 wants a duplicate ACK for each such segment
 * at once, and the sender counts them.
 *
 * Nor once two full-sized segments wait for their ACK: RFC 9293 §3.8.6.3
 * and RFC 1122 §4.2.3.2 want "an ACK for at least every second
 * full-sized segment", and a sender that counts ACKs (RFC 3465's L =
 * 2*SMSS per ACK in slow start) grows its window per ACK: one stretch ACK
 * per batch would hold its slow start to 2*SMSS per round trip.  (Linux
 * acks every second segment too; its GRO merges segments before TCP sees
 * them, which a TAP with TSO gives us as well: one super-frame, one ACK.)
 * Nor in quick-ACK mode (tcp_in.c ack_policy): the first data of a
 * connection, or after an idle gap, is ACKed segment by segment so that
 * the sender's restarting slow start is not held back.
 * What waits is the output of a connection that owes less: an ACK for one
 * segment, a window update, the answer the application is writing.
 */
static bool tcp_output_deferred(struct tcp_pcb *pcb)
{
	struct tcp_state *t = pcb->st->tcp;
	if (!t->batching || !pcb->sock || pcb->ofo.n)
		return false;
	if (pcb->unacked_bytes >= 2u * pcb->smss)
		return false;
	if (pcb->quick && (pcb->tf & TF_ACKNOW) && !(pcb->tf & TF_PINGPONG))
		return false;
	if (!pcb->out_pending) {
		/* In order of arrival: the ACKs of a handshake batch go out in the
		 * order the SYN-ACKs came, as they would without the batch. */
		pcb->out_pending = true;
		pcb->out_next = NULL;
		*t->out_tail = pcb;
		t->out_tail = &pcb->out_next;
	}
	return true;
}

/*
 * The sender's decision for the segment at SND.NXT (RFC 9293 §3.8.6,
 * RFC 1122 §4.2.3.4, RFC 5681 §3.1): whether one goes now, with how many
 * octets of the send ring, and whether it carries our FIN.  Reads the pcb,
 * changes nothing.  tcp_output calls it in a loop, sending what it says
 * and moving SND.NXT, until it says false.
 *
 *   max_len    the most one segment may carry: tcp_seg_room (SMSS less the
 *              room SACK blocks take), or less when a retransmission must
 *              stop where the peer's SACKed data starts;
 *   cwnd_room  what congestion control lets into the network now (cwnd,
 *              plus RFC 3042 limited transmit, less the data in the
 *              network), computed by the caller;
 *   nodelay    TCP_NODELAY: Nagle is off.
 *
 * The octets waiting are those of the send ring (snd_ring.len of them,
 * the first at sequence number snd_buf_seq) from SND.NXT on; none when
 * SND.NXT is at or past the end (past it: the FIN was sent).  In flight:
 * SND.NXT - SND.UNA.  The usable window is the smaller of what is left of
 * the peer's window, SND.UNA + SND.WND - SND.NXT (0 when that is
 * negative), and cwnd_room (RFC 9293 §3.8.6.2.1, RFC 5681 §3.1); len =
 * min(waiting, max_len, usable window), which may be 0.  The FIN is due
 * with this segment when the user closed (TF_FIN_QUEUED) and the segment
 * ends where the FIN's sequence number is: SND.NXT + len == fin_seq (once
 * sent, SND.NXT is fin_seq + 1 and it is never due again).  It goes with
 * it (*fin_out) only if the peer's window has room for its sequence number
 * after the len octets (Linux tcp_snd_wnd_test): a receiver with no window
 * left must reject it (RFC 9293 §3.10.7.4), so it waits, like data, for
 * the window to open (the persist timer probes meanwhile).  cwnd does not
 * limit it.
 *
 * Send (return true, with *len_out and *fin_out) when, in this order:
 *   - len == max_len: a full-sized segment;
 *   - len > 0 and SND.NXT < SND.MAX: a retransmission, whatever size;
 *   - len > 0, len is all that waits, and nodelay, or nothing is in
 *     flight, or the FIN is due: Nagle (RFC 1122 §4.2.3.4) holds a short
 *     last piece only while unacknowledged data is in flight, and never
 *     the last piece of a closed connection;
 *   - len > 0, max_snd_wnd > 0 and len >= max_snd_wnd / 2: sender SWS
 *     avoidance (RFC 1122 §4.2.3.4 (3) with Fs = 1/2), half the largest
 *     window the peer ever offered;
 *   - len > 0 and nothing is in flight: the window is all we may use;
 *   - len == 0, nothing waits and the FIN goes: a bare FIN.
 * Otherwise return false (still setting *len_out and *fin_out): wait for
 * an ACK (it frees window, or ends Nagle's hold).
 */
bool tcp_send_decide(const struct tcp_pcb *pcb, uint32_t max_len, uint32_t cwnd_room, bool nodelay,
		     uint32_t *len_out, bool *fin_out)
{
	/*
	 * TODO: compute what waits beyond SND.NXT in the send ring, what is in
	 * flight, the usable window (the peer's window left, and cwnd_room) and
	 * len = min(waiting, max_len, usable); whether the FIN is due
	 * (TF_FIN_QUEUED and SND.NXT + len == fin_seq) and whether it goes (due,
	 * and the peer's window left is more than len: it takes a sequence
	 * number); then apply the six rules of the comment above, in order.  Set
	 * *len_out and *fin_out in every case.
	 */
	(void)pcb;
	(void)max_len;
	(void)cwnd_room;
	(void)nodelay;
	*len_out = 0;
	*fin_out = false;
	return false;
}

/*
 * The persist timer (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17), after
 * tcp_output sent what it could.  When data waits (the send ring holds
 * octets from SND.NXT on, or the FIN is queued and not sent: SND.NXT <=
 * fin_seq), nothing is in flight (SND.UNA == SND.MAX) and
 * the peer's window is zero, nothing else would ever make us send again
 * (a window update from the peer may be lost): arm TCP_T_PERSIST for
 * tcp_rto_us(pcb), with persist_shift = 0, unless it is armed already.
 * Its expiry (tcp_timer.c persist_fire) sends a probe and doubles the
 * interval (persist_shift): re-arming an armed timer, or resetting the
 * shift, would undo that backoff.  When the window is open (SND.WND > 0)
 * and the timer is armed, disarm it: data can go again.
 */
static void tcp_persist_update(struct tcp_pcb *pcb)
{
	/*
	 * TODO: data waits (octets from SND.NXT on, or the FIN not yet sent: TF_FIN_QUEUED
	 * and SND.NXT <= fin_seq), nothing is in flight and SND.WND == 0: arm
	 * TCP_T_PERSIST for tcp_rto_us(pcb) with persist_shift = 0, unless it is
	 * armed already (its backoff lives in that armed timer).  The window is
	 * open and the timer armed: disarm it.
	 */
	(void)pcb;
}

void tcp_output(struct tcp_pcb *pcb)
{
	if (tcp_output_deferred(pcb))
		return;
	if (!can_send_data(pcb->state)) {
		if ((pcb->tf & TF_ACKNOW) && pcb->state != TCPS_CLOSED &&
		    pcb->state != TCPS_LISTEN && pcb->state != TCPS_SYN_SENT)
			tcp_send_ack(pcb);
		return;
	}
	bool nodelay = pcb->sock && pcb->sock->opt.nodelay;
	/* RFC 5681 §4.1: new data after an idle period (nothing in flight). */
	if (pcb->snd_una == pcb->snd_max && pcb->last_data_sent_us &&
	    pcb->snd_ring.len > pcb->snd_nxt - pcb->snd_buf_seq) {
		uint32_t before = pcb->cwnd;
		tcp_cc_on_send_after_idle(pcb, pcb->st->now_us - pcb->last_data_sent_us);
		if (pcb->cwnd != before)
			ts_count(pcb->st, CTR_TCP_CWND_RESTART);
		pcb->last_data_sent_us = pcb->st->now_us;
	}
	struct tso_run run = {0};
	/* SACK room, and so the segment size, cannot change inside this call. */
	uint32_t room = tcp_seg_room(pcb);
	uint32_t tso_max = tso_max_payload(pcb, room);
	for (;;) {
		if (seq_lt(pcb->snd_nxt, pcb->snd_max) && pcb->nsacked) {
			uint32_t s = skip_sacked(pcb, pcb->snd_nxt);
			if (seq_gt(s, pcb->snd_max))
				s = pcb->snd_max;
			pcb->snd_nxt = s;
		}
		bool retrans = seq_lt(pcb->snd_nxt, pcb->snd_max);
		/* RFC 3042 limited transmit: the first two duplicate ACKs each let one
		 * new segment go beyond cwnd, so a small window still gets its three
		 * duplicates for fast retransmit. */
		uint32_t lt = 0;
		if (!(pcb->tf & TF_IN_RECOVERY) && pcb->dupacks && pcb->dupacks < 3)
			lt = pcb->dupacks * (uint32_t)pcb->smss;
		uint32_t cw = pcb->cwnd + lt;
		uint32_t flight = pcb->snd_nxt - pcb->snd_una;
		/* cwnd limits what is in the network, which excludes what the peer
		 * SACKed (RFC 6675 §4 "pipe"). */
		uint32_t pipe = pcb->nsacked || tcp_rack_on(pcb) ? tcp_pipe(pcb) : flight;
		if (retrans)
			pipe = flight; /* go-back-N after a timeout: no scoreboard in use */
		uint32_t cwnd_room = cw > pipe ? cw - pipe : 0;
		/* When retransmitting, do not run into data SACKed further on. */
		uint32_t max_len = room;
		if (retrans)
			for (uint8_t i = 0; i < pcb->nsacked; i++)
				if (seq_gt(pcb->sacked[i].left, pcb->snd_nxt) &&
				    pcb->sacked[i].left - pcb->snd_nxt < max_len)
					max_len = pcb->sacked[i].left - pcb->snd_nxt;
		uint32_t len;
		bool fin;
		if (!tcp_send_decide(pcb, max_len, cwnd_room, nodelay, &len, &fin))
			break;
		uint32_t off = pcb->snd_nxt - pcb->snd_buf_seq;
		uint8_t flags = TCP_ACK;
		/* PSH (Linux tcp_push, forced_push): on the segment that empties
		 * what the application gave, and at least every half of the
		 * largest window the peer offered, so a receiver that waits for
		 * PSH before waking its reader is woken during a long burst. */
		if (len && (off + len == pcb->snd_ring.len ||
			    seq_gt(pcb->snd_nxt + len, pcb->pushed_seq + pcb->max_snd_wnd / 2)))
			flags |= TCP_PSH;
		if (flags & TCP_PSH)
			pcb->pushed_seq = pcb->snd_nxt + len;
		if (fin)
			flags |= TCP_FIN;
		if (retrans)
			ts_count(pcb->st, CTR_TCP_RETRANS);
		else if (lt && flight + len > pcb->cwnd)
			ts_count(pcb->st, CTR_TCP_LIMITED_TRANSMITS);
		if (!retrans && !(pcb->tf & (TF_TIMING | TF_TS_OK)) && len) {
			/* RFC 6298 §3: time one segment per RTT, never a retransmitted one. */
			pcb->tf |= TF_TIMING;
			pcb->rtt_seq = pcb->snd_nxt;
			pcb->rtt_start_us = pcb->st->now_us;
		}
		/* New data joins the run a TSO link gets as one super-segment;
		 * anything else goes alone, after the run (sequence order). */
		/* A failed send (no buffer, no route) still counts as sent: the
		 * retransmission timer recovers it, as it would a loss. */
		if (!tso_max || retrans) {
			tso_flush(pcb, &run);
			tcp_send_segment(pcb, pcb->snd_nxt, flags, len);
		} else if (!tso_add(&run, pcb->snd_nxt, len, flags, room, tso_max)) {
			tso_flush(pcb, &run);
			if (!tso_add(&run, pcb->snd_nxt, len, flags, room, tso_max))
				tcp_send_segment(pcb, pcb->snd_nxt, flags, len);
		}
		pcb->snd_nxt += len + (fin ? 1 : 0);
		if (fin)
			pcb->tf |= TF_FIN_SENT;
		if (seq_gt(pcb->snd_nxt, pcb->snd_max))
			pcb->snd_max = pcb->snd_nxt;
		/* RFC 6298 (5.1): start the timer if it is not running; RFC 8985
		 * §7.2: new data restarts a pending probe timeout. */
		if (!tcp_timer_armed(pcb, TCP_T_REXMT) ||
		    (!retrans && !(pcb->tf & TF_REO_ARMED) &&
		     ((pcb->tf & TF_TLP_ARMED) || tcp_tlp_allowed(pcb))))
			tcp_rexmt_arm(pcb);
		if (fin)
			break;
	}
	tso_flush(pcb, &run);
	if (pcb->tf & TF_ACKNOW)
		tcp_send_ack(pcb);

	tcp_persist_update(pcb);
}
