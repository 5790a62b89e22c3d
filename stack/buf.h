/*
 * buf.h - one contiguous frame buffer with headroom (Linux sk_buff, lwIP
 * pbuf_layer, without chains).
 *
 *   head ........ data ======== tail ........ end
 *        headroom      payload      tailroom
 *
 * Receive: the link backend fills [data, tail); each layer pulls its header
 * (ts_buf_pull) before handing the buffer up.  Send: a layer reserves
 * TS_BUF_HEADROOM, writes its payload, and each layer below pushes its header
 * in place (ts_buf_push), so no header is ever copied.
 *
 * Ownership is linear: whoever holds a buffer passes it on or releases it
 * exactly once, either with ts_buf_free() or, on the receive path, with
 * ts_drop() (stack.h), which also counts the reason.
 *
 * Each buffer carries its frame's offload metadata (netdev.h, the shape of
 * virtio_net_hdr; Linux's ip_summed, csum_start, csum_offset, gso_type,
 * gso_size): received, what the link did (VERIFIED: the transport checksum
 * was validated; PARTIAL: a local sender left it to be completed); sent,
 * what the link must do (PARTIAL: complete the checksum).  csum_start counts
 * from head, as skb->csum_start does, so pushing and pulling headers leaves
 * it alone; stack_poll and stack_link_output convert it to and from the
 * link's frame offsets.  A layer that sends a received buffer back (ARP
 * reply, echo reply) resets the metadata first (ts_buf_meta_reset), or the
 * link would act on the received frame's.
 */
#ifndef TS_BUF_H
#define TS_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ip.h"
#include "netdev.h"

struct stack;

/* Room for Ethernet (14) + IPv4 (60 max) + TCP (60 max), rounded up. */
#define TS_BUF_HEADROOM 160
/* Standard buffer: headroom plus the largest frame the link may carry. */
#define TS_BUF_STD_SIZE (TS_BUF_HEADROOM + NETDEV_JUMBO_FRAME)
/*
 * Large buffer: headroom plus the largest frame an IPv4 datagram makes
 * (65535 octets and the Ethernet header): a GSO frame TCP sends, or one
 * the link coalesced.  These come from a free list of their own, so a
 * stream of 64 KiB frames does not malloc and free one each.
 */
#define TS_BUF_BIG_FRAME (14 + 65535)
#define TS_BUF_BIG_SIZE	 (TS_BUF_HEADROOM + TS_BUF_BIG_FRAME)
/* Payload pieces a buffer may leave outside its memory (zero-copy send). */
#define TS_BUF_EXT_MAX 3

struct ts_buf {
	struct ts_buf *next;  /* link for whichever queue owns the buffer */
	uint8_t *head;	      /* start of the allocation */
	uint8_t *data;	      /* first byte of the current layer */
	uint8_t *tail;	      /* one past the last byte */
	uint8_t *end;	      /* end of the allocation */
	uint8_t *network;     /* start of the IPv4 header, set by ipv4_input/output */
	uint8_t *transport;   /* start of the transport header */
	uint32_t cap;	      /* bytes allocated after the struct */
	struct ip_addr src;   /* rx: network-layer source (set by ipv4_input) */
	struct ip_addr dst;   /* rx: network-layer destination */
	uint8_t ip_proto;     /* rx: transport protocol */
	uint8_t link_bcast;   /* rx: frame was sent to the Ethernet broadcast address */
	uint8_t csum;	      /* enum netdev_csum: state of the transport checksum */
	uint8_t gso_type;     /* enum netdev_gso_type; rx: segments the link coalesced */
	uint16_t gso_size;    /* GSO: payload octets per segment */
	uint16_t csum_offset; /* PARTIAL: the checksum field, from csum_start */
	uint32_t csum_start;  /* PARTIAL: first octet the checksum covers, from head */
	/*
	 * Zero-copy send (ts_buf_set_ext): the last octets of [data, tail)
	 * are not in mem but in these pieces (a TCP send ring); the room is
	 * reserved, so ts_buf_linearize can always copy them in.  0 on every
	 * buffer received and on every buffer that holds its own bytes.
	 */
	uint8_t n_ext;
	struct ts_buf_ext {
		const uint8_t *base; /* first octet of the piece */
		uint32_t len;	     /* its length */
	} ext[TS_BUF_EXT_MAX];
	uint8_t mem[]; /* the bytes */
};

/*
 * Allocates a buffer of at least cap bytes with data == tail at
 * head + headroom.  Standard-size and large buffers come from the stack's
 * free lists; larger ones from the heap.  Returns NULL on allocation
 * failure (counted by the caller).
 */
struct ts_buf *ts_buf_alloc(struct stack *st, size_t cap, size_t headroom);
/* Returns the buffer to the stack's free lists (or the heap). NULL is ignored. */
void ts_buf_free(struct stack *st, struct ts_buf *b);
/* Frees every buffer cached on the stack's free lists. */
void ts_buf_pool_destroy(struct stack *st);

static inline size_t ts_buf_len(const struct ts_buf *b)
{
	return (size_t)(b->tail - b->data);
}
static inline size_t ts_buf_headroom(const struct ts_buf *b)
{
	return (size_t)(b->data - b->head);
}
static inline size_t ts_buf_tailroom(const struct ts_buf *b)
{
	return (size_t)(b->end - b->tail);
}
/* Prepends len bytes; the caller checked ts_buf_headroom(). Returns the new data. */
static inline uint8_t *ts_buf_push(struct ts_buf *b, size_t len)
{
	b->data -= len;
	return b->data;
}
/* Removes len bytes from the front; the caller checked ts_buf_len(). */
static inline uint8_t *ts_buf_pull(struct ts_buf *b, size_t len)
{
	b->data += len;
	return b->data;
}
/* Appends len bytes at the tail; the caller checked ts_buf_tailroom(). */
static inline uint8_t *ts_buf_put(struct ts_buf *b, size_t len)
{
	uint8_t *p = b->tail;
	b->tail += len;
	return p;
}
/* Cuts the buffer to len bytes from data (removes Ethernet padding). */
static inline void ts_buf_trim(struct ts_buf *b, size_t len)
{
	if (len < ts_buf_len(b))
		b->tail = b->data + len;
}

/*
 * Marks the last octets of the buffer (already counted in [data, tail))
 * as living in n pieces elsewhere; their total must equal the room they
 * take at the tail.  The pieces must stay valid and unchanged until the
 * buffer is sent or linearized: only the send path within one call may
 * rely on that, so a layer that keeps a buffer beyond the call that gave
 * it (ARP waiting for a neighbour, IPv4 fragmenting) calls
 * ts_buf_linearize first.
 */
void ts_buf_set_ext(struct ts_buf *b, const struct ts_buf_ext *pieces, unsigned n);
/* Octets of [data, tail) that live in ext pieces. */
static inline size_t ts_buf_ext_len(const struct ts_buf *b)
{
	size_t n = 0;
	for (unsigned i = 0; i < b->n_ext; i++)
		n += b->ext[i].len;
	return n;
}
/* Copies the ext pieces into their room at the tail: the buffer then holds every octet. */
void ts_buf_linearize(struct ts_buf *b);

/* Forgets the offload metadata: a whole frame, checksums to be verified. */
static inline void ts_buf_meta_reset(struct ts_buf *b)
{
	b->csum = NETDEV_CSUM_NONE;
	b->gso_type = NETDEV_GSO_NONE;
	b->gso_size = 0;
	b->csum_start = 0;
	b->csum_offset = 0;
}

/*
 * Leaves the checksum of the transport segment at b->data..b->tail partial
 * for the link to complete: the field at b->data + csum_offset gets the
 * pseudo-header sum (ts_csum_pseudo_field), and the range starts at
 * b->data.  The caller checked that the link completes this protocol's
 * checksum (st->link.tx_csum).
 */
void ts_buf_csum_set_partial(struct ts_buf *b, uint16_t csum_offset, uint32_t pseudo);
/*
 * Completes a PARTIAL checksum in place (ts_csum_complete) and marks the
 * buffer NONE; other buffers are left alone.  For a layer that needs the
 * real bytes before the link (IPv4 fragmentation), so it linearizes the
 * buffer first, whatever its checksum.  0 or -EINVAL.
 */
int ts_buf_csum_complete(struct ts_buf *b);

/*
 * Whether a received segment's transport checksum need not be summed
 * again, b->data being its transport header: the link validated it
 * (VERIFIED), or a sender on this host left it PARTIAL with the range
 * starting at or after b->data and the field inside the segment.  That is
 * Linux's skb_csum_unnecessary(): a partial checksum never crossed a wire,
 * so nothing can have corrupted the bytes it would cover.
 */
static inline bool ts_buf_csum_trusted(const struct ts_buf *b)
{
	if (b->csum == NETDEV_CSUM_VERIFIED)
		return true;
	if (b->csum != NETDEV_CSUM_PARTIAL)
		return false;
	const uint8_t *start = b->head + b->csum_start;
	return start >= b->data && start <= b->tail &&
	       (size_t)(b->tail - start) >= (size_t)b->csum_offset + 2;
}

/*
 * The link's view of the buffer's metadata for the frame at b->data
 * (csum_start counted from b->data).  A received VERIFIED state means
 * nothing to a sender and becomes NONE.
 */
void ts_buf_meta_to_link(const struct ts_buf *b, struct netdev_meta *m);
/*
 * Takes a received frame's metadata (m, offsets from b->data) into b.
 * Returns 0, or -EINVAL when it cannot describe this frame (an unknown
 * state or GSO type, a checksum field outside the frame: Linux
 * virtio_net_hdr_to_skb refuses those too); b's metadata is then NONE.
 */
int ts_buf_meta_from_link(struct ts_buf *b, const struct netdev_meta *m);

#endif
