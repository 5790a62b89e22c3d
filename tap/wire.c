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
 */
#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"

/* Bytes of record header in front of each frame. */
#define WIRE_REC_HDR (sizeof(uint32_t) + sizeof(uint64_t))

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
	uint64_t csum_completed; /* partial checksums it completed */
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

static ssize_t wire_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			 uint64_t now_us)
{
	struct wire_end *e = (struct wire_end *)d;
	struct wire_fifo *f = &e->rx;
	uint32_t len;

	(void)meta; /* a wire carries whole frames: nothing is partial or validated */
	(void)now_us;
	if (f->head == f->tail)
		return 0;
	memcpy(&len, f->mem + f->head, sizeof(len));
	/* A frame longer than the reader's buffer is cut, as a NIC would. */
	memcpy(buf, f->mem + f->head + WIRE_REC_HDR, len < cap ? len : cap);
	f->head += WIRE_REC_HDR + len;
	if (f->head == f->tail)
		f->head = f->tail = 0;
	return (ssize_t)(len < cap ? len : cap);
}

/*
 * Sends a frame; a partial checksum of a protocol this end declared is
 * completed in the copy that goes on the wire, as a NIC completes it
 * before the frame leaves (virtio "Packet Transmission": the device
 * computes it from csum_start and stores it at csum_offset).
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
	if (meta->gso_type != NETDEV_GSO_NONE)
		return -EINVAL; /* no TSO declared */
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		uint32_t proto = netdev_partial_proto(frame, len, meta);
		if (!proto || !(e->tx_csum & proto) ||
		    ts_csum_complete_value(frame, len, meta->csum_start, meta->csum_offset, &csum) <
			0)
			return -EINVAL; /* not a checksum this end said it completes */
	}
	struct wire_fifo *f = &e->peer->rx;
	uint32_t len32 = (uint32_t)len;
	fifo_reserve(f, WIRE_REC_HDR + len);
	memcpy(f->mem + f->tail, &len32, sizeof(len32));
	memcpy(f->mem + f->tail + sizeof(len32), &now_us, sizeof(now_us));
	uint8_t *copy = f->mem + f->tail + WIRE_REC_HDR;
	memcpy(copy, frame, len);
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		copy[meta->csum_start + meta->csum_offset] = (uint8_t)(csum >> 8);
		copy[meta->csum_start + meta->csum_offset + 1] = (uint8_t)csum;
		e->csum_completed++;
	}
	f->tail += WIRE_REC_HDR + len;
	return 0;
}

/* Jumbo frames both ways; the transmit checksums wire_set_tx_csum gave. */
static void wire_caps(struct netdev *d, struct netdev_caps *caps)
{
	struct wire_end *e = (struct wire_end *)d;
	caps->max_tx_frame = caps->max_rx_frame = NETDEV_JUMBO_FRAME;
	caps->tx_csum = e->tx_csum;
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
