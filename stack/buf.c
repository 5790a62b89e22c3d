/*
 * buf.c - frame buffer allocation.  Standard-size buffers are recycled
 * through a per-stack free list so the per-frame path does not call malloc;
 * larger ones (reassembled datagrams) come from the heap.  bufs_live counts
 * allocations minus frees so teardown can assert that nothing leaked.
 */
#include "buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "stack.h"

/* Buffers kept on the free list; beyond that they go back to the heap. */
#define TS_BUF_POOL_MAX 1024
/*
 * Large buffers kept: a receive batch holds one at a time, a GSO send one
 * per segment in flight through the call; more than this only while ARP
 * or reassembly hold some, and those may come from the heap.
 */
#define TS_BUF_BIG_POOL_MAX 16

struct ts_buf *ts_buf_alloc(struct stack *st, size_t cap, size_t headroom)
{
	struct ts_buf *b;
	size_t want = cap + headroom;

	if (want <= TS_BUF_STD_SIZE && st->buf_free) {
		b = st->buf_free;
		st->buf_free = b->next;
		st->buf_free_n--;
	} else if (want > TS_BUF_STD_SIZE && want <= TS_BUF_BIG_SIZE && st->buf_big_free) {
		b = st->buf_big_free;
		st->buf_big_free = b->next;
		st->buf_big_free_n--;
	} else {
		size_t size = want <= TS_BUF_STD_SIZE	? TS_BUF_STD_SIZE
			      : want <= TS_BUF_BIG_SIZE ? TS_BUF_BIG_SIZE
							: want;
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
	ts_buf_meta_reset(b);
	b->n_ext = 0;
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
	if (b->cap == TS_BUF_BIG_SIZE && st->buf_big_free_n < TS_BUF_BIG_POOL_MAX) {
		b->next = st->buf_big_free;
		st->buf_big_free = b;
		st->buf_big_free_n++;
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
	while (st->buf_big_free) {
		struct ts_buf *b = st->buf_big_free;
		st->buf_big_free = b->next;
		free(b);
	}
	st->buf_big_free_n = 0;
}

void ts_buf_set_ext(struct ts_buf *b, const struct ts_buf_ext *pieces, unsigned n)
{
	b->n_ext = 0;
	for (unsigned i = 0; i < n && i < TS_BUF_EXT_MAX; i++)
		if (pieces[i].len)
			b->ext[b->n_ext++] = pieces[i];
}

void ts_buf_linearize(struct ts_buf *b)
{
	if (!b->n_ext)
		return;
	uint8_t *p = b->tail - ts_buf_ext_len(b);
	for (unsigned i = 0; i < b->n_ext; i++) {
		memcpy(p, b->ext[i].base, b->ext[i].len);
		p += b->ext[i].len;
	}
	b->n_ext = 0;
}

void ts_buf_csum_set_partial(struct ts_buf *b, uint16_t csum_offset, uint32_t pseudo)
{
	uint16_t field = ts_csum_pseudo_field(pseudo);
	b->data[csum_offset] = (uint8_t)(field >> 8);
	b->data[csum_offset + 1] = (uint8_t)field;
	b->csum = NETDEV_CSUM_PARTIAL;
	b->csum_start = (uint32_t)ts_buf_headroom(b);
	b->csum_offset = csum_offset;
}

int ts_buf_csum_complete(struct ts_buf *b)
{
	ts_buf_linearize(b);
	if (b->csum != NETDEV_CSUM_PARTIAL)
		return 0;
	uint8_t *start = b->head + b->csum_start;
	if (start < b->data || start > b->tail)
		return -EINVAL;
	int r = ts_csum_complete(start, (size_t)(b->tail - start), 0, b->csum_offset);
	if (r == 0)
		b->csum = NETDEV_CSUM_NONE;
	return r;
}

void ts_buf_meta_to_link(const struct ts_buf *b, struct netdev_meta *m)
{
	*m = (struct netdev_meta){0};
	if (b->csum == NETDEV_CSUM_PARTIAL) {
		m->csum = NETDEV_CSUM_PARTIAL;
		m->csum_start = (uint16_t)(b->csum_start - ts_buf_headroom(b));
		m->csum_offset = b->csum_offset;
	}
	m->gso_type = b->gso_type;
	m->gso_size = b->gso_size;
}

int ts_buf_meta_from_link(struct ts_buf *b, const struct netdev_meta *m)
{
	ts_buf_meta_reset(b);
	switch (m->gso_type) {
	case NETDEV_GSO_NONE:
	case NETDEV_GSO_TCPV4:
	case NETDEV_GSO_UDP:
	case NETDEV_GSO_TCPV6:
	case NETDEV_GSO_UDP_L4:
		break;
	default:
		return -EINVAL;
	}
	switch (m->csum) {
	case NETDEV_CSUM_NONE:
	case NETDEV_CSUM_VERIFIED:
		break;
	case NETDEV_CSUM_PARTIAL:
		/* Linux skb_partial_csum_set: the field lies inside the frame. */
		if ((size_t)m->csum_start + m->csum_offset + 2 > ts_buf_len(b))
			return -EINVAL;
		b->csum_start = (uint32_t)ts_buf_headroom(b) + m->csum_start;
		b->csum_offset = m->csum_offset;
		break;
	default:
		return -EINVAL;
	}
	b->csum = m->csum;
	b->gso_type = m->gso_type;
	b->gso_size = m->gso_size;
	return 0;
}
