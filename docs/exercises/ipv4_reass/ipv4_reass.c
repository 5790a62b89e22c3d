/*
 * ipv4_reass.c - IPv4 reassembly (RFC 791 §3.2): YOUR VERSION (exercise
 * "ipv4_reass", docs/exercises/ipv4_reass/README.md).  `make exercise
 * NAME=ipv4_reass` builds the stack with this file in place of
 * stack/ipv4_reass.c and checks it.
 *
 * Yours to write (TODO below): ipv4_reass_input (the algorithm),
 * reass_check_overlap and reass_finish.  Given: the datagram records
 * (reass_find, reass_new with its limits and timer, reass_grow, reass_free),
 * the timer and its ICMP time exceeded, the bitmap accessor.
 *
 * What the reference does, for orientation:
 *
 * Each datagram under reassembly, keyed by (source, destination, protocol,
 * ID), owns one contiguous payload buffer that grows geometrically up to the
 * largest end seen, and a bitmap with one bit per 8-octet block (the
 * fragment-offset unit).  A fragment's payload is copied into place and its
 * frame goes back to the pool at once, so memory held is the datagram's
 * size, not the sum of whole link buffers: 8-octet fragments cannot pin
 * thousands of 9 KiB receive buffers.  The cost is one copy per fragment and
 * 1 KiB of bitmap per datagram; a sorted list of fragment buffers (RFC 815
 * holes) would avoid the copy but must copy anyway when delivering one
 * contiguous datagram.
 *
 * Overlaps: an octet that arrives twice must arrive with the same value,
 * else the whole datagram is discarded (RFC 5722 does this for IPv6 for any
 * overlap; identical retransmitted copies are harmless, so they pass).  A
 * fragment that brings nothing new is a duplicate.
 *
 * A timeout after fragment 0 arrived is reported with ICMP time exceeded.
 *
 * Limits: cfg.reass_max_datagrams at once, cfg.reass_max_bytes in total
 * (structure and payload buffers), cfg.reass_timeout_ms from the first
 * fragment, and 65535 octets per datagram (the "ping of death" check).
 *
 * Read first: RFC 791 §3.2 "Reassembly", RFC 815, RFC 1122 §3.3.2, RFC 5722.
 */
#include "ipv4_reass.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"
#include "stack.h"
#include "timer.h"

/* One datagram under reassembly, keyed by (src, dst, proto, id) (RFC 791 §3.2). */
struct reass_dgram {
	struct reass_dgram *next; /* list of datagrams under reassembly */
	uint32_t src, dst;	  /* key, host order */
	uint16_t id;		  /* key */
	uint8_t proto;		  /* key */
	uint8_t hdr_len;	  /* header length of fragment 0, 0 until it came */
	bool link_bcast;	  /* some fragment came as a link-layer broadcast */
	uint8_t hdr[60];	  /* fragment 0's header, reused for the datagram */
	uint32_t total_len;	  /* payload length once the last fragment came, else 0 */
	uint32_t max_end;	  /* highest payload end seen */
	uint32_t blocks_filled;	  /* 8-octet blocks received */
	struct ts_buf *data;	  /* payload assembled at data->data, may grow */
	size_t mem;		  /* bytes charged to cfg.reass_max_bytes */
	struct ts_timer timer;	  /* RFC 791 reassembly timer */
	uint64_t filled[REASS_BITMAP_WORDS]; /* which blocks arrived */
};

struct reass_state {
	struct reass_dgram *list; /* newest first */
	uint32_t datagrams;	  /* at most cfg.reass_max_datagrams */
	size_t mem;		  /* sum of datagrams' mem, at most cfg.reass_max_bytes */
};

/* Bytes charged for a datagram's payload buffer: the whole allocation. */
static size_t reass_buf_mem(const struct ts_buf *b)
{
	return b ? sizeof(*b) + b->cap : 0;
}

/* Unlinks and frees d (its payload buffer too) and uncharges its memory. */
static void reass_free(struct stack *st, struct reass_dgram *d)
{
	struct reass_state *rs = st->reass;
	struct reass_dgram **pp = &rs->list;
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	ts_timer_disarm(st, &d->timer);
	ts_buf_free(st, d->data);
	rs->mem -= d->mem;
	rs->datagrams--;
	free(d);
}

/*
 * RFC 1122 §3.3.2: on a reassembly timeout, a host SHOULD send time
 * exceeded (code 1) if fragment 0 arrived.  The quote is fragment 0's
 * header and the first 8 payload octets (always held: a non-last fragment
 * carries at least 8).
 */
static void reass_time_exceeded(struct stack *st, const struct reass_dgram *d)
{
	size_t quote = d->max_end < 8 ? d->max_end : 8;
	struct ts_buf *orig = ts_buf_alloc(st, d->hdr_len + quote, TS_BUF_HEADROOM);
	if (!orig)
		return;
	orig->network = ts_buf_put(orig, d->hdr_len + quote);
	memcpy(orig->network, d->hdr, d->hdr_len);
	memcpy(orig->network + d->hdr_len, d->data->data, quote);
	icmp_send_time_exceeded(st, orig, ICMP_TIMXCEED_REASS);
	ts_buf_free(st, orig);
}

/* RFC 791 §3.2: "If the timer runs out, ... the buffer resources are released." */
static void reass_timer_fired(struct stack *st, struct ts_timer *t)
{
	struct reass_dgram *d =
	    (struct reass_dgram *)((char *)t - offsetof(struct reass_dgram, timer));
	/* One count per datagram: its fragments were consumed when copied. */
	ts_drop(st, NULL, DROP_IPV4_FRAG_TIMEOUT);
	if (d->hdr_len && d->data)
		reass_time_exceeded(st, d);
	reass_free(st, d);
}

__attribute__((unused)) static struct reass_dgram *reass_find(struct stack *st,
							      const struct ipv4_view *v)
{
	for (struct reass_dgram *d = st->reass->list; d; d = d->next)
		if (d->id == v->id && d->src == v->src && d->dst == v->dst && d->proto == v->proto)
			return d;
	return NULL;
}

/* A new datagram for v's key, or NULL with *why set. */
__attribute__((unused)) static struct reass_dgram *
reass_new(struct stack *st, const struct ipv4_view *v, enum ts_drop_reason *why)
{
	struct reass_state *rs = st->reass;
	if (rs->datagrams >= st->cfg.reass_max_datagrams) {
		*why = DROP_IPV4_FRAG_TOO_MANY;
		return NULL;
	}
	if (rs->mem + sizeof(struct reass_dgram) > st->cfg.reass_max_bytes) {
		*why = DROP_IPV4_FRAG_NOMEM;
		return NULL;
	}
	struct reass_dgram *d = calloc(1, sizeof(*d));
	if (!d) {
		*why = DROP_IPV4_FRAG_NOMEM;
		return NULL;
	}
	d->src = v->src;
	d->dst = v->dst;
	d->id = v->id;
	d->proto = v->proto;
	d->mem = sizeof(*d);
	ts_timer_init(&d->timer, reass_timer_fired);
	ts_timer_arm(st, &d->timer, st->now_us + (uint64_t)st->cfg.reass_timeout_ms * 1000u);
	d->next = rs->list;
	rs->list = d;
	rs->datagrams++;
	rs->mem += d->mem;
	return d;
}

/* Payload octets d's buffer can hold. */
static size_t reass_capacity(const struct reass_dgram *d)
{
	return d->data ? (size_t)(d->data->end - d->data->data) : 0;
}

/*
 * Grows d's payload buffer to hold at least need octets: to the total
 * length when known, else doubling (in-order arrival costs O(n) copies
 * overall).  Returns DROP_NONE or IPV4_FRAG_NOMEM.
 */
__attribute__((unused)) static enum ts_drop_reason reass_grow(struct stack *st,
							      struct reass_dgram *d, size_t need)
{
	struct reass_state *rs = st->reass;
	size_t cap = reass_capacity(d);
	if (need <= cap)
		return DROP_NONE;
	size_t want = d->total_len ? d->total_len : 2 * cap;
	if (want < need)
		want = need;
	if (want > IPV4_MAX_DATAGRAM)
		want = IPV4_MAX_DATAGRAM;
	struct ts_buf *nb = ts_buf_alloc(st, want, TS_BUF_HEADROOM + IPV4_MAX_HDR_LEN);
	if (!nb)
		return DROP_IPV4_FRAG_NOMEM;
	size_t old_mem = reass_buf_mem(d->data), new_mem = reass_buf_mem(nb);
	if (rs->mem - old_mem + new_mem > st->cfg.reass_max_bytes) {
		ts_buf_free(st, nb);
		return DROP_IPV4_FRAG_NOMEM;
	}
	if (d->data) {
		memcpy(nb->data, d->data->data, d->max_end);
		ts_buf_free(st, d->data);
	}
	d->data = nb;
	rs->mem = rs->mem - old_mem + new_mem;
	d->mem = d->mem - old_mem + new_mem;
	return DROP_NONE;
}

static inline bool reass_block_filled(const struct reass_dgram *d, size_t blk)
{
	return (d->filled[blk / 64] >> (blk % 64)) & 1;
}

/*
 * Compares the fragment against blocks already held.  Returns -1 when an
 * octet differs (overlap with different data), else the number of blocks
 * it fills for the first time.
 */
__attribute__((unused)) static long reass_check_overlap(const struct reass_dgram *d,
							const uint8_t *p, size_t off, size_t end)
{
	/*
	 * TODO: for each 8-octet block of [off, end): a block not yet filled is
	 * fresh (count it); a filled one must hold the same octets as p over the
	 * part this fragment covers (memcmp against d->data->data), else return
	 * -1.  Return the number of fresh blocks.
	 */
	(void)d;
	(void)p;
	(void)off;
	(void)end;
	return -1;
}

/* Builds the whole datagram from d (complete) and frees d. */
__attribute__((unused)) static struct ts_buf *reass_finish(struct stack *st, struct reass_dgram *d)
{
	/*
	 * TODO: the payload is complete in d->data: set its tail at total_len,
	 * push fragment 0's header (d->hdr, d->hdr_len) in front of it, rewrite
	 * Total Length, clear MF and the offset (keep DF), recompute the header
	 * checksum, set b->network, set b->link_bcast from d->link_bcast (RFC
	 * 1122 §3.2.2: no ICMP error about a link broadcast), free d (keep the
	 * buffer: d->data = NULL first), count CTR_IPV4_REASSEMBLED and return
	 * the buffer.
	 */
	(void)st;
	(void)d;
	return NULL;
}

struct ts_buf *ipv4_reass_input(struct stack *st, struct ts_buf *b, const struct ipv4_view *v)
{
	/*
	 * TODO (RFC 791 §3.2; the payload is b->data..b->tail, its offset
	 * v->frag_off, v->mf the More Fragments flag):
	 *  1. refuse (IPV4_FRAG_BAD) a non-last fragment whose length is 0 or not
	 *     a multiple of 8, and any fragment ending past IPV4_MAX_DATAGRAM with
	 *     the header;
	 *  2. find the datagram (reass_find) or start one (reass_new);
	 *  3. the last fragment fixes the total length: refuse (IPV4_FRAG_BAD,
	 *     and forget the datagram) a second last fragment that disagrees,
	 *     data already held beyond it, or a later fragment beyond it;
	 *  4. make room (reass_grow), then compare with what is held
	 *     (reass_check_overlap): a conflict discards the datagram
	 *     (IPV4_FRAG_OVERLAP); nothing new is a duplicate (IPV4_FRAG_DUP);
	 *  5. copy the payload to its offset, mark its blocks in d->filled, keep
	 *     max_end, note a link broadcast (b->link_bcast: d->link_bcast), and
	 *     keep fragment 0's header (b->network, v->hdr_len);
	 *  6. the fragment's frame ends here, delivered (its octets were copied:
	 *     ts_buf_consume, stack.h "Accounting of received frames"); when the
	 *     length is known, the header is there and every block has come,
	 *     return reass_finish(st, d); otherwise NULL.
	 * Every drop of b is a ts_drop with its reason (never a bare
	 * ts_buf_free: the frame would end without an exit).
	 */
	(void)v;
	ts_drop(st, b, DROP_IPV4_FRAG_BAD);
	return NULL;
}

int ipv4_reass_init(struct stack *st)
{
	st->reass = calloc(1, sizeof(*st->reass));
	return st->reass ? 0 : -ENOMEM;
}

void ipv4_reass_destroy(struct stack *st)
{
	if (!st->reass)
		return;
	while (st->reass->list)
		reass_free(st, st->reass->list);
	free(st->reass);
	st->reass = NULL;
}

void ipv4_reass_usage(const struct stack *st, uint32_t *datagrams, size_t *bytes)
{
	*datagrams = st->reass->datagrams;
	*bytes = st->reass->mem;
}
