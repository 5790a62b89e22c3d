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
 */
#ifndef TS_BUF_H
#define TS_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "ip.h"

struct stack;

/* Room for Ethernet (14) + IPv4 (60 max) + TCP (60 max), rounded up. */
#define TS_BUF_HEADROOM 160
/* Standard buffer: headroom plus the largest frame the link may carry. */
#define TS_BUF_STD_SIZE (TS_BUF_HEADROOM + 9216)

struct ts_buf {
	struct ts_buf *next; /* link for whichever queue owns the buffer */
	uint8_t *head;	     /* start of the allocation */
	uint8_t *data;	     /* first byte of the current layer */
	uint8_t *tail;	     /* one past the last byte */
	uint8_t *end;	     /* end of the allocation */
	uint8_t *network;    /* start of the IPv4 header, set by ipv4_input/output */
	uint8_t *transport;  /* start of the transport header */
	uint32_t cap;	     /* bytes allocated after the struct */
	struct ip_addr src;  /* rx: network-layer source (set by ipv4_input) */
	struct ip_addr dst;  /* rx: network-layer destination */
	uint8_t ip_proto;    /* rx: transport protocol */
	uint8_t link_bcast;  /* rx: frame was sent to the Ethernet broadcast address */
	uint8_t _pad[2];
	uint8_t mem[]; /* the bytes */
};

/*
 * Allocates a buffer of at least cap bytes with data == tail at
 * head + headroom.  Standard-size buffers come from the stack's free list.
 * Returns NULL on allocation failure (counted by the caller).
 */
struct ts_buf *ts_buf_alloc(struct stack *st, size_t cap, size_t headroom);
/* Returns the buffer to the stack's free list (or the heap). NULL is ignored. */
void ts_buf_free(struct stack *st, struct ts_buf *b);
/* Frees every buffer cached on the stack's free list. */
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

#endif
