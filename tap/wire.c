/*
 * wire.c - two netdevs joined back to back in memory (see wire.h).
 *
 * Each direction is one byte FIFO of records [len u32][sent_us u64][bytes],
 * grown by doubling and compacted when the reader catches up, so a frame
 * costs one memcpy in and one out and no allocation once the FIFO has grown
 * to the traffic's high-water mark.  The alternative, a malloc per frame,
 * is simpler but shows up in the two-stack bulk-transfer tests.
 *
 * Call order: the sending stack's netdev_send appends to the peer's FIFO;
 * the peer's next netdev_recv takes the oldest record.  No RFC applies: this
 * is an ideal Ethernet segment of two stations.
 *
 * Offloads (wire_set_offload) make each end a NIC with checksum offload,
 * TSO and GRO: a partial checksum is completed on the way in; a TSO
 * super-segment, TCP over IPv4 or IPv6, is cut into MSS-sized segments as
 * Linux's tcp_gso_segment cuts one (headers copied, IPv4 ID and TCP
 * sequence numbers stepped, the IPv4 total length or IPv6 payload length
 * set, PSH and FIN on the last segment only, every checksum computed), or,
 * when the
 * receiving end declared GRO, crosses whole with its checksum completed and
 * arrives marked VERIFIED with its gso_type and gso_size, as a coalesced
 * frame comes up from a NIC.
 */
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "byteorder.h"
#include "checksum.h"

/* Bytes of record header in front of each frame: length, send time, metadata. */
#define WIRE_REC_HDR (sizeof(uint32_t) + sizeof(uint64_t) + sizeof(struct netdev_meta))
/* Ethernet and IPv4 header offsets a segmented frame rewrites (RFC 791 §3.1). */
#define WIRE_ETH_LEN	 14
#define WIRE_IP_OFF_LEN	 2
#define WIRE_IP_OFF_ID	 4
#define WIRE_IP_OFF_CSUM 10
/* IPv6 fixed header offsets (RFC 8200 §3). */
#define WIRE_IP6_OFF_PLEN 4
#define WIRE_IP6_OFF_SRC  8
#define WIRE_IP6_OFF_DST  24
/* TCP header offsets (RFC 9293 §3.1). */
#define WIRE_TCP_OFF_SEQ   4
#define WIRE_TCP_OFF_FLAGS 13
#define WIRE_TCP_OFF_CSUM  16

struct wire_fifo {
	uint8_t *mem; /* records live in [head, tail) */
	size_t head;  /* offset of the oldest record */
	size_t tail;  /* offset one past the newest record */
	size_t cap;   /* bytes allocated */
};

struct wire_end {
	struct netdev dev;
	struct wire_fifo rx;	 /* frames sent by the peer, waiting for us */
	struct wire_end *peer;	 /* NULL once the peer was destroyed */
	uint32_t tx_csum;	 /* NETDEV_OFFLOAD_*: checksums this end completes */
	uint32_t tso_types;	 /* 1u << NETDEV_GSO_TCPV4, TCPV6: what it cuts */
	bool gro;		 /* it takes super-segments whole (large receive buffers) */
	uint64_t csum_completed; /* partial checksums it completed */
	uint64_t gso_frames;	 /* super-segments sent through it */
	uint64_t gso_segments;	 /* the segments they were cut into (or carried, whole) */
	uint8_t scratch[TS_BUF_BIG_FRAME]; /* a frame sent in pieces (sendv), gathered */
};

static void fifo_reserve(struct wire_fifo *f, size_t need)
{
	if (f->cap - f->tail >= need)
		return;
	if (f->head > 0) { /* compact first: the reader freed the front */
		memmove(f->mem, f->mem + f->head, f->tail - f->head);
		f->tail -= f->head;
		f->head = 0;
		if (f->cap - f->tail >= need)
			return;
	}
	size_t cap = f->cap ? f->cap : 16384;
	while (cap - f->tail < need)
		cap *= 2;
	uint8_t *mem = realloc(f->mem, cap);
	if (!mem) {
		fprintf(stderr, "wire: out of memory growing a FIFO to %zu bytes\n", cap);
		abort();
	}
	f->mem = mem;
	f->cap = cap;
}

/* Appends one record to the peer's FIFO; returns where its frame bytes go. */
static uint8_t *fifo_append(struct wire_fifo *f, size_t len, uint64_t now_us,
			    const struct netdev_meta *meta)
{
	uint32_t len32 = (uint32_t)len;
	fifo_reserve(f, WIRE_REC_HDR + len);
	uint8_t *r = f->mem + f->tail;
	memcpy(r, &len32, sizeof(len32));
	memcpy(r + sizeof(len32), &now_us, sizeof(now_us));
	memcpy(r + sizeof(len32) + sizeof(now_us), meta, sizeof(*meta));
	f->tail += WIRE_REC_HDR + len;
	return r + WIRE_REC_HDR;
}

static ssize_t wire_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			 uint64_t now_us)
{
	struct wire_end *e = (struct wire_end *)d;
	struct wire_fifo *f = &e->rx;
	uint32_t len;

	(void)now_us;
	if (f->head == f->tail)
		return 0;
	memcpy(&len, f->mem + f->head, sizeof(len));
	/* Whole frames come as NONE; a coalesced one (GRO) as VERIFIED with its GSO type. */
	memcpy(meta, f->mem + f->head + sizeof(len) + sizeof(uint64_t), sizeof(*meta));
	/* A frame longer than the reader's buffer is cut, as a NIC would. */
	memcpy(buf, f->mem + f->head + WIRE_REC_HDR, len < cap ? len : cap);
	f->head += WIRE_REC_HDR + len;
	if (f->head == f->tail)
		f->head = f->tail = 0;
	return (ssize_t)(len < cap ? len : cap);
}

/* The pseudo-header sum of a TCP segment of seg octets in the IPv6 datagram at ip (RFC 8200 §8.1). */
static uint32_t wire_pseudo6(const uint8_t *ip, size_t seg)
{
	uint32_t sum = ts_csum_partial(ip + WIRE_IP6_OFF_SRC, 32, 0); /* source, destination */
	uint8_t tail[8] = {(uint8_t)(seg >> 24), (uint8_t)(seg >> 16), (uint8_t)(seg >> 8),
			   (uint8_t)seg, 0, 0, 0, 6};
	return ts_csum_partial(tail, sizeof(tail), sum);
}

/*
 * Cuts a TCP super-segment (frame, headers hdr_len octets, the TCP header
 * at tcp) into segments of gso_size payload octets, each a whole frame on
 * the peer's FIFO with every checksum computed: what a NIC with TSO puts
 * on the wire (Linux tcp_gso_segment + inet_gso_segment / ipv6_gso_segment:
 * the IPv4 ID steps by one per segment, the sequence number by gso_size;
 * CWR stays on the first segment, PSH and FIN on the last).  v6: the IPv6
 * payload length is set instead of the IPv4 total length, ID and header
 * checksum, which IPv6 has not.
 */
static void wire_segment(struct wire_end *e, const uint8_t *frame, size_t len, size_t hdr_len,
			 size_t tcp, bool v6, uint16_t gso_size, uint64_t now_us)
{
	static const struct netdev_meta none;
	size_t ip_hl = tcp - WIRE_ETH_LEN;
	uint16_t id = v6 ? 0 : get_be16(frame + WIRE_ETH_LEN + WIRE_IP_OFF_ID);
	uint32_t seq = get_be32(frame + tcp + WIRE_TCP_OFF_SEQ);
	uint8_t flags = frame[tcp + WIRE_TCP_OFF_FLAGS];
	size_t payload = len - hdr_len;
	for (size_t off = 0, i = 0; off < payload; off += gso_size, i++) {
		size_t n = payload - off < gso_size ? payload - off : gso_size;
		bool last = off + n == payload;
		uint8_t *s = fifo_append(&e->peer->rx, hdr_len + n, now_us, &none);
		memcpy(s, frame, hdr_len);
		memcpy(s + hdr_len, frame + hdr_len + off, n);
		uint8_t *ip = s + WIRE_ETH_LEN;
		if (v6) {
			put_be16(ip + WIRE_IP6_OFF_PLEN, (uint16_t)(hdr_len + n - WIRE_ETH_LEN - ip_hl));
		} else {
			put_be16(ip + WIRE_IP_OFF_LEN, (uint16_t)(hdr_len + n - WIRE_ETH_LEN));
			put_be16(ip + WIRE_IP_OFF_ID, (uint16_t)(id + i));
			put_be16(ip + WIRE_IP_OFF_CSUM, 0);
			put_be16(ip + WIRE_IP_OFF_CSUM,
				 ts_csum_fold(ts_csum_partial(ip, ip_hl, 0)));
		}
		put_be32(s + tcp + WIRE_TCP_OFF_SEQ, seq + (uint32_t)off);
		s[tcp + WIRE_TCP_OFF_FLAGS] =
		    (uint8_t)(flags & ~(last ? 0 : 0x09) & ~(i ? 0x80 : 0)); /* FIN|PSH, CWR */
		/* The pseudo-header sum for this segment's length, then the whole sum. */
		size_t seg = hdr_len + n - tcp;
		put_be16(s + tcp + WIRE_TCP_OFF_CSUM, 0);
		uint32_t sum = v6 ? wire_pseudo6(ip, seg)
				  : ts_csum_pseudo(get_be32(ip + 12), get_be32(ip + 16), 6,
						   (uint16_t)seg);
		put_be16(s + tcp + WIRE_TCP_OFF_CSUM,
			 ts_csum_fold(ts_csum_partial(s + tcp, seg, sum)));
		e->gso_segments++;
	}
}

/*
 * Sends a frame; a partial checksum of a protocol this end declared is
 * completed in the copy that goes on the wire, as a NIC completes it
 * before the frame leaves (virtio "Packet Transmission": the device
 * computes it from csum_start and stores it at csum_offset).  A TSO
 * super-segment is cut (wire_segment), or crosses whole to a GRO peer.
 */
static int wire_send(struct netdev *d, const uint8_t *frame, size_t len,
		     const struct netdev_meta *meta, uint64_t now_us)
{
	struct wire_end *e = (struct wire_end *)d;
	uint16_t csum = 0;
	if (!e->peer)
		return -ENOTCONN;
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		uint32_t proto = netdev_partial_proto(frame, len, meta);
		if (!proto || !(e->tx_csum & proto) ||
		    ts_csum_complete_value(frame, len, meta->csum_start, meta->csum_offset, &csum) <
			0)
			return -EINVAL; /* not a checksum this end said it completes */
	}
	struct netdev_meta in = {0}; /* what the peer's stack is told of the frame */
	if (meta->gso_type != NETDEV_GSO_NONE) {
		/* TSO: a TCP segment left partial, of the family its GSO
		 * type names, with every header inside. */
		size_t tcp = meta->csum_start;
		bool v6 = meta->gso_type == NETDEV_GSO_TCPV6;
		uint32_t want = v6 ? NETDEV_OFFLOAD_TCP6 : NETDEV_OFFLOAD_TCP4;
		if (meta->gso_type >= 32 || !(e->tso_types & (1u << meta->gso_type)) ||
		    !meta->gso_size || netdev_partial_proto(frame, len, meta) != want ||
		    tcp + 20 > len)
			return -EINVAL; /* no TSO declared, or not a segment TSO can cut */
		size_t hdr_len = tcp + (size_t)(frame[tcp + 12] >> 4) * 4;
		if (hdr_len > len)
			return -EINVAL;
		e->gso_frames++;
		if (!e->peer->gro) {
			wire_segment(e, frame, len, hdr_len, tcp, v6, meta->gso_size, now_us);
			return 0;
		}
		e->gso_segments += (len - hdr_len + meta->gso_size - 1) / meta->gso_size;
		in.csum = NETDEV_CSUM_VERIFIED;
		in.gso_type = meta->gso_type;
		in.gso_size = meta->gso_size;
	}
	uint8_t *copy = fifo_append(&e->peer->rx, len, now_us, &in);
	memcpy(copy, frame, len);
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		copy[meta->csum_start + meta->csum_offset] = (uint8_t)(csum >> 8);
		copy[meta->csum_start + meta->csum_offset + 1] = (uint8_t)csum;
		e->csum_completed++;
	}
	return 0;
}

/* A frame in pieces: gathered into the end's scratch, then sent as one. */
static int wire_sendv(struct netdev *d, const struct iovec *iov, int iovcnt, size_t len,
		      const struct netdev_meta *meta, uint64_t now_us)
{
	struct wire_end *e = (struct wire_end *)d;
	if (len > sizeof(e->scratch))
		return -EMSGSIZE;
	size_t at = 0;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > len - at)
			return -EINVAL;
		memcpy(e->scratch + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	if (at != len)
		return -EINVAL;
	return wire_send(d, e->scratch, len, meta, now_us);
}

/* Jumbo frames both ways, 64 KiB ones received with GRO; the offloads wire_set_offload gave. */
static void wire_caps(struct netdev *d, struct netdev_caps *caps)
{
	struct wire_end *e = (struct wire_end *)d;
	caps->max_tx_frame = caps->max_rx_frame = NETDEV_JUMBO_FRAME;
	caps->tx_csum = e->tx_csum;
	if (e->tso_types) {
		caps->tso_types = e->tso_types;
		caps->tso_max_size = TS_BUF_BIG_FRAME;
	}
	if (e->gro)
		caps->max_rx_frame = TS_BUF_BIG_FRAME;
}

/* The oldest waiting frame is due since it was sent. */
static uint64_t wire_next_deadline(struct netdev *d)
{
	struct wire_end *e = (struct wire_end *)d;
	uint64_t sent_us;
	if (e->rx.head == e->rx.tail)
		return UINT64_MAX;
	memcpy(&sent_us, e->rx.mem + e->rx.head + sizeof(uint32_t), sizeof(sent_us));
	return sent_us;
}

static void wire_destroy(struct netdev *d)
{
	struct wire_end *e = (struct wire_end *)d;
	if (e->peer)
		e->peer->peer = NULL;
	free(e->rx.mem);
	free(e);
}

static const struct netdev_ops wire_ops = {
    .recv = wire_recv,
    .send = wire_send,
    .sendv = wire_sendv,
    .caps = wire_caps,
    .pollfd = NULL, /* nothing to sleep on: the caller drives the clock */
    .next_deadline = wire_next_deadline,
    .destroy = wire_destroy,
};

void wire_pair(struct netdev **a, struct netdev **b)
{
	struct wire_end *ea = calloc(1, sizeof(*ea)), *eb = calloc(1, sizeof(*eb));
	if (!ea || !eb) {
		fprintf(stderr, "wire: out of memory\n");
		abort();
	}
	ea->dev.ops = eb->dev.ops = &wire_ops;
	snprintf(ea->dev.name, sizeof(ea->dev.name), "wire:a");
	snprintf(eb->dev.name, sizeof(eb->dev.name), "wire:b");
	ea->peer = eb;
	eb->peer = ea;
	*a = &ea->dev;
	*b = &eb->dev;
}

void wire_set_tx_csum(struct netdev *end, uint32_t offload)
{
	((struct wire_end *)end)->tx_csum = offload;
}

uint64_t wire_csum_completed(struct netdev *end)
{
	return ((struct wire_end *)end)->csum_completed;
}

void wire_set_offload(struct netdev *end, const struct wire_offload *o)
{
	struct wire_end *e = (struct wire_end *)end;
	e->tx_csum = o->tx_csum;
	/* TSO needs the checksum offload it implies (Linux: NETIF_F_TSO needs
	 * IP_CSUM, NETIF_F_TSO6 IPV6_CSUM), family by family. */
	e->tso_types = 0;
	if (o->tso && (o->tx_csum & NETDEV_OFFLOAD_TCP4))
		e->tso_types |= 1u << NETDEV_GSO_TCPV4;
	if (o->tso && (o->tx_csum & NETDEV_OFFLOAD_TCP6))
		e->tso_types |= 1u << NETDEV_GSO_TCPV6;
	e->gro = o->gro;
}

void wire_gso_stats(struct netdev *end, uint64_t *frames, uint64_t *segments)
{
	struct wire_end *e = (struct wire_end *)end;
	if (frames)
		*frames = e->gso_frames;
	if (segments)
		*segments = e->gso_segments;
}
