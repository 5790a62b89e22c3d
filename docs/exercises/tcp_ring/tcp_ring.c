/*
 * tcp_ring.c - the byte ring (smoltcp RingBuffer): YOUR VERSION (exercise
 * "tcp_ring", docs/exercises/tcp_ring/README.md).  `make exercise
 * NAME=tcp_ring` builds the stack with this file in place of
 * stack/tcp_ring.c and checks it.
 *
 * Yours to write (TODO below): tcp_ring_write, tcp_ring_write_at,
 * tcp_ring_peek and tcp_ring_consume, specified in tcp_ring.h.  Given: the
 * storage (tcp_ring_init/free, attach/release and the per-stack cache of
 * blocks), which is bookkeeping, not the lesson.
 */
#include "tcp_ring.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stack.h"
#include "tcp_var.h"

int tcp_ring_init(struct tcp_ring *r, uint32_t cap)
{
	r->buf = malloc(cap ? cap : 1);
	r->cap = cap;
	r->head = r->len = 0;
	return r->buf ? 0 : -ENOMEM;
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* The cache slot for blocks of size bytes; with claim, an unused (or
 * emptied) slot is taken over for that size.  NULL when none. */
static struct tcp_ring_cache *ring_cache_slot(struct tcp_state *t, uint32_t size, bool claim)
{
	struct tcp_ring_cache *spare = NULL;
	for (unsigned i = 0; i < TCP_RING_CACHE_SIZES; i++) {
		struct tcp_ring_cache *c = &t->ring_cache[i];
		if (c->size == size)
			return c;
		if (!spare && c->n == 0)
			spare = c;
	}
	if (!claim || !spare)
		return NULL;
	spare->size = size;
	return spare;
}

int tcp_ring_attach(struct stack *st, struct tcp_ring *r)
{
	if (r->buf)
		return 0;
	if (!r->cap)
		return -ENOMEM;
	struct tcp_state *t = st->tcp;
	struct tcp_ring_cache *c = ring_cache_slot(t, r->cap, false);
	if (c && c->n) {
		r->buf = c->free_list;
		memcpy(&c->free_list, r->buf, sizeof(void *));
		c->n--;
	} else {
		r->buf = malloc(r->cap);
		if (!r->buf)
			return -ENOMEM;
		t->ring_mallocs++;
	}
	r->head = r->len = 0;
	t->ring_blocks++;
	return 0;
}

void tcp_ring_release(struct stack *st, struct tcp_ring *r)
{
	if (r->buf) {
		struct tcp_state *t = st->tcp;
		struct tcp_ring_cache *c =
		    r->cap >= sizeof(void *) ? ring_cache_slot(t, r->cap, true) : NULL;
		if (c && c->n < TCP_RING_CACHE_MAX) {
			memcpy(r->buf, &c->free_list, sizeof(void *));
			c->free_list = r->buf;
			c->n++;
		} else {
			free(r->buf);
		}
		t->ring_blocks--;
		r->buf = NULL;
	}
	r->head = r->len = 0;
}

void tcp_ring_cache_destroy(struct tcp_ring_cache cache[TCP_RING_CACHE_SIZES])
{
	for (unsigned i = 0; i < TCP_RING_CACHE_SIZES; i++) {
		struct tcp_ring_cache *c = &cache[i];
		while (c->free_list) {
			void *b = c->free_list;
			memcpy(&c->free_list, b, sizeof(void *));
			free(b);
		}
		c->n = c->size = 0;
	}
}

uint32_t tcp_ring_write(struct tcp_ring *r, const void *data, uint32_t n)
{
	/*
	 * TODO: append up to n bytes after the data (as many as fit in the free
	 * space), wrapping at cap; return how many were written.
	 */
	(void)r;
	(void)data;
	(void)n;
	return 0;
}

void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *data, uint32_t n)
{
	/*
	 * TODO: copy n bytes to position head + len + off (wrapping), without
	 * changing len: the caller counts them in once the gap before them fills.
	 */
	(void)r;
	(void)off;
	(void)data;
	(void)n;
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n)
{
	/*
	 * TODO: copy n bytes starting off bytes into the data to out (wrapping);
	 * the ring does not change.
	 */
	(void)r;
	(void)off;
	(void)out;
	(void)n;
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	/*
	 * TODO: drop n bytes from the front: head moves on (wrapping), len
	 * shrinks.  Think about what must NOT happen when the ring becomes empty
	 * while out-of-order bytes sit behind the data.
	 */
	(void)r;
	(void)n;
}
