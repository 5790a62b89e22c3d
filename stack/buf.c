/*
 * buf.c - frame buffer allocation.  Standard-size buffers are recycled
 * through a per-stack free list so the per-frame path does not call malloc;
 * larger ones (reassembled datagrams) come from the heap.  bufs_live counts
 * allocations minus frees so teardown can assert that nothing leaked.
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "stack.h"

/* Buffers kept on the free list; beyond that they go back to the heap. */
#define TS_BUF_POOL_MAX 1024

struct ts_buf *ts_buf_alloc(struct stack *st, size_t cap, size_t headroom)
{
	struct ts_buf *b;
	size_t want = cap + headroom;

	if (want <= TS_BUF_STD_SIZE && st->buf_free) {
		b = st->buf_free;
		st->buf_free = b->next;
		st->buf_free_n--;
	} else {
		size_t size = want <= TS_BUF_STD_SIZE ? TS_BUF_STD_SIZE : want;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->cap = (uint32_t)size;
	}
	b->next = NULL;
	b->head = b->mem;
	b->end = b->mem + b->cap;
	b->data = b->tail = b->mem + headroom;
	b->network = b->transport = NULL;
	memset(&b->src, 0, sizeof(b->src));
	memset(&b->dst, 0, sizeof(b->dst));
	b->ip_proto = 0;
	b->link_bcast = 0;
	st->bufs_live++;
	return b;
}

void ts_buf_free(struct stack *st, struct ts_buf *b)
{
	if (!b)
		return;
	st->bufs_live--;
	if (b->cap == TS_BUF_STD_SIZE && st->buf_free_n < TS_BUF_POOL_MAX) {
		b->next = st->buf_free;
		st->buf_free = b;
		st->buf_free_n++;
		return;
	}
	free(b);
}

void ts_buf_pool_destroy(struct stack *st)
{
	while (st->buf_free) {
		struct ts_buf *b = st->buf_free;
		st->buf_free = b->next;
		free(b);
	}
	st->buf_free_n = 0;
}
