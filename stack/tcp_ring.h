/*
 * tcp_ring.h - a connection's byte storage (smoltcp src/storage/
 * ring_buffer.rs): the send ring holds unacknowledged and unsent bytes, the
 * receive ring in-order bytes for the reader with out-of-order bytes parked
 * behind them.  Storage is attached on demand and cached per stack, so an
 * idle connection holds none.
 */
#ifndef TS_TCP_RING_H
#define TS_TCP_RING_H

#include <stdint.h>

struct stack;

/*
 * A byte ring (smoltcp RingBuffer).  len bytes start at head.  A
 * connection's rings hold storage only while they hold bytes (Linux and
 * lwIP keep no buffer for an idle connection either): buf is NULL while
 * the ring is empty, and cap, the capacity that SO_SNDBUF / SO_RCVBUF
 * grant, stays what windows and free space are computed from whether or
 * not storage is attached (tcp_ring_attach / tcp_ring_release).
 */
struct tcp_ring {
	uint8_t *buf; /* cap bytes, or NULL while nothing is stored */
	uint32_t cap; /* capacity in bytes */
	uint32_t head;
	uint32_t len;
};

/* A standalone ring with its storage allocated now (tests). */
int tcp_ring_init(struct tcp_ring *r, uint32_t cap);
void tcp_ring_free(struct tcp_ring *r);
/*
 * Gives r storage (cap bytes) if it has none, from the stack's cache of
 * ring blocks or else the heap.  0, or -ENOMEM (also for cap 0).
 */
int tcp_ring_attach(struct stack *st, struct tcp_ring *r);
/* Takes r's storage back (contents discarded) into the cache or the heap;
 * cap is kept, head and len become 0. */
void tcp_ring_release(struct stack *st, struct tcp_ring *r);
static inline uint32_t tcp_ring_free_space(const struct tcp_ring *r)
{
	return r->cap - r->len;
}
/* Appends up to n bytes; returns how many fitted. */
uint32_t tcp_ring_write(struct tcp_ring *r, const void *data, uint32_t n);
/* Writes n bytes at offset off past the end of the data (not yet counted in len). */
void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *data, uint32_t n);
/* Copies n bytes starting off bytes into the data, without consuming. */
void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n);
/* Removes n bytes from the front. */
void tcp_ring_consume(struct tcp_ring *r, uint32_t n);

/*
 * Free ring blocks kept for reuse, per block size, so a busy server takes
 * a request's storage from here and gives it back without malloc/free
 * (and without the mmap/munmap that glibc uses for 256 KiB blocks).
 * Bounded: beyond TCP_RING_CACHE_MAX blocks of a size, or for a size
 * that finds no slot, a released block goes back to the heap.
 */
#define TCP_RING_CACHE_SIZES 4
#define TCP_RING_CACHE_MAX   64
struct tcp_ring_cache {
	uint32_t size;	 /* block size; 0 for a slot not in use */
	uint32_t n;	 /* blocks on the list */
	void *free_list; /* linked through each block's first bytes */
};
/* Frees every block the stack's cache holds (stack teardown). */
void tcp_ring_cache_destroy(struct tcp_ring_cache cache[TCP_RING_CACHE_SIZES]);

#endif
