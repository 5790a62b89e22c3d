/*
 * tcp_ring.c - the byte ring (smoltcp RingBuffer): one copy in, one copy
 * out, and the per-stack cache of ring blocks.
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

/* Copies n bytes into the ring at absolute offset pos (mod cap). */
static void ring_copy_in(struct tcp_ring *r, uint32_t pos, const uint8_t *d, uint32_t n)
{
	pos %= r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->buf + pos, d, first);
	memcpy(r->buf, d + first, n - first);
}

uint32_t tcp_ring_write(struct tcp_ring *r, const void *data, uint32_t n)
{
	uint32_t room = tcp_ring_free_space(r);
	if (n > room)
		n = room;
	if (n) {
		ring_copy_in(r, r->head + r->len, data, n);
		r->len += n;
	}
	return n;
}

void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *data, uint32_t n)
{
	if (n)
		ring_copy_in(r, r->head + r->len + off, data, n);
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n)
{
	if (!n)
		return;
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(out, r->buf + pos, first);
	memcpy((uint8_t *)out + first, r->buf, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	if (!n)
		return;
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	/* head is not reset when the ring empties: out-of-order bytes may
	 * already sit behind the (empty) data, at head + offset. */
}
