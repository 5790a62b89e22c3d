/*
 * ipv6_reass.c - IPv6 reassembly (RFC 8200 §4.5).
 *
 * Each datagram under reassembly, keyed by (source, destination,
 * identification), owns one contiguous buffer for its fragmentable part,
 * grown up to the largest end seen, and two bitmaps over its 8-octet
 * blocks (the Fragment Offset unit): the blocks held, and the blocks where
 * a held fragment starts.  As in ipv4_reass.c, a fragment's octets are
 * copied into place and its frame is released at once, so what a datagram
 * holds is its own size, not the sum of link buffers.  The first
 * fragment's unfragmentable part (the IPv6 header and the extension headers
 * before the Fragment header) is kept apart: it becomes the datagram's.
 *
 * Checked, in order, on each fragment:
 *   - M set and a length that is not a multiple of 8: parameter problem
 *     code 0 pointing at the Payload Length (§4.5); an empty one is only
 *     dropped (nothing is wrong with its length field);
 *   - a reassembled payload length over 65535: parameter problem code 0
 *     pointing at the Fragment Offset (§4.5);
 *   - the first fragment holds every header up to and including the
 *     upper-layer header: else parameter problem code 3, pointer 0
 *     (RFC 7112 §5, RFC 8200 §4.5);
 *   - a datagram already discarded takes no more fragments until its
 *     timer (RFC 5722 §4: "including those not yet received");
 *   - a fragment past the end the last fragment gave, or two last
 *     fragments that disagree: the datagram is discarded;
 *   - any overlap discards the whole datagram silently (RFC 5722 §4),
 *     except an exact duplicate (same offset, length and octets), which
 *     RFC 8200 §4.5 lets a receiver drop alone.
 *
 * Bounds: cfg.ip6_reass_max_dgrams datagrams and cfg.ip6_reass_max_bytes
 * (structures, kept headers and buffers) at once; a new datagram or a
 * growing one evicts the oldest others first (IPV6_FRAG_EVICTED), and what
 * still does not fit is refused (IPV6_FRAG_NOMEM).  Each datagram lives at
 * most cfg.ip6_reass_timeout_ms (60 s, §4.5) from its first-arriving
 * fragment; if its first fragment had come, its source gets a time
 * exceeded code 1 (§4.5), rate-limited like every ICMPv6 error.
 *
 * Atomic fragments (offset 0, M clear) never come here: ipv6_walk_ext
 * skips their header (RFC 6946 §4).
 *
 * Read first: RFC 8200 §4.5, RFC 5722, RFC 7112, RFC 6946.
 */
#include "ipv6_reass.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "icmp6.h"
#include "ipv6.h"
#include "stack.h"
#include "timer.h"

#define R6_BLOCKS (IPV6_MAX_PAYLOAD / 8 + 1)
#define R6_WORDS  ((R6_BLOCKS + 63) / 64)

/* One datagram under reassembly, keyed by (src, dst, id) (RFC 8200 §4.5). */
struct r6_dgram {
	struct r6_dgram *next;	  /* newest first */
	uint8_t src[16], dst[16]; /* key */
	uint32_t id;		  /* key */
	bool dead;	  /* discarded (overlap, bad end): fragments ignored until the timer */
	uint8_t first_nh; /* Next Header of the first fragment's Fragment header */
	uint8_t fh[IPV6_FRAG_HDR_LEN]; /* the first fragment's Fragment header (the quote) */
	uint8_t *hdr;		/* first fragment's unfragmentable part, NULL until it came */
	uint32_t hdr_len;	/* its length (40 at least) */
	uint32_t frag_nh_off;	/* in hdr, the Next Header field naming the Fragment header */
	uint32_t first_len;	/* fragmentable octets the first fragment carried */
	uint32_t total_len;	/* fragmentable part's length once the last fragment came, else 0 */
	uint32_t max_end;	/* highest end seen */
	uint32_t blocks_filled; /* 8-octet blocks held */
	struct ts_buf *data;	/* fragmentable part at data->data, may grow */
	size_t mem;		/* bytes charged to cfg.ip6_reass_max_bytes */
	struct ts_timer timer;	/* 60 s from the first-arriving fragment */
	uint64_t filled[R6_WORDS]; /* blocks held */
	uint64_t starts[R6_WORDS]; /* blocks where a held fragment starts */
};

struct ip6_reass {
	struct r6_dgram *list; /* newest first */
	uint32_t datagrams;    /* at most cfg.ip6_reass_max_dgrams */
	size_t mem;	       /* sum of datagrams' mem, at most cfg.ip6_reass_max_bytes */
};

static size_t r6_buf_mem(const struct ts_buf *b)
{
	return b ? sizeof(*b) + b->cap : 0;
}

static inline bool r6_bit(const uint64_t *map, size_t blk)
{
	return (map[blk / 64] >> (blk % 64)) & 1;
}

static inline void r6_set(uint64_t *map, size_t blk)
{
	map[blk / 64] |= 1ull << (blk % 64);
}

/* Frees d's buffer and kept header and uncharges them. */
static void r6_release(struct stack *st, struct r6_dgram *d)
{
	size_t m = r6_buf_mem(d->data) + (d->hdr ? d->hdr_len : 0);
	ts_buf_free(st, d->data);
	d->data = NULL;
	free(d->hdr);
	d->hdr = NULL;
	st->reass6->mem -= m;
	d->mem -= m;
}

/* Unlinks and frees d and uncharges its memory. */
static void r6_free(struct stack *st, struct r6_dgram *d)
{
	struct ip6_reass *rs = st->reass6;
	struct r6_dgram **pp = &rs->list;
	while (*pp != d)
		pp = &(*pp)->next;
	*pp = d->next;
	ts_timer_disarm(st, &d->timer);
	r6_release(st, d);
	rs->mem -= d->mem;
	rs->datagrams--;
	free(d);
}

/*
 * RFC 5722 §4: the datagram and its fragments "including those not yet
 * received" are discarded.  What it held goes now; the key stays until the
 * timer so that later fragments of it are recognised and dropped.
 */
static void r6_discard(struct stack *st, struct r6_dgram *d)
{
	r6_release(st, d);
	d->dead = true;
}

/*
 * §4.5: on a timeout with the first fragment received, time exceeded code
 * 1 to its source, quoting that fragment as it came (unfragmentable part,
 * Fragment header, its data), cut to what an error may carry.
 */
static void r6_time_exceeded(struct stack *st, const struct r6_dgram *d)
{
	size_t n = d->hdr_len + IPV6_FRAG_HDR_LEN + d->first_len;
	if (n > ICMP6_ERR_QUOTE_MAX)
		n = ICMP6_ERR_QUOTE_MAX;
	struct ts_buf *orig = ts_buf_alloc(st, n, TS_BUF_HEADROOM);
	if (!orig) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	uint8_t *p = ts_buf_put(orig, n);
	size_t a = d->hdr_len < n ? d->hdr_len : n;
	memcpy(p, d->hdr, a);
	size_t b = n - a < IPV6_FRAG_HDR_LEN ? n - a : IPV6_FRAG_HDR_LEN;
	memcpy(p + a, d->fh, b);
	memcpy(p + a + b, d->data->data, n - a - b);
	orig->network = p;
	icmp6_send_time_exceeded(st, orig, ICMP6_TIMXCEED_REASS);
	ts_buf_free(st, orig);
}

static void r6_timer_fired(struct stack *st, struct ts_timer *t)
{
	struct r6_dgram *d = (struct r6_dgram *)((char *)t - offsetof(struct r6_dgram, timer));
	if (!d->dead) {
		/* One count per datagram: its fragments were consumed when copied. */
		ts_drop(st, NULL, DROP_IPV6_FRAG_TIMEOUT);
		/* RFC 4443 §2.4 (e.1): none about an ICMPv6 error, which the
		 * quote's Next Header would not show (it names the Fragment
		 * header). */
		if (d->hdr && d->data && d->first_nh == IPV6_NH_ICMPV6 && d->first_len &&
		    d->data->data[0] < 128)
			ts_drop(st, NULL, DROP_ICMP6_NO_ERROR_FOR);
		else if (d->hdr && d->data)
			r6_time_exceeded(st, d);
	}
	r6_free(st, d);
}

/* Evicts the oldest datagram other than keep.  false when there is none. */
static bool r6_evict_oldest(struct stack *st, const struct r6_dgram *keep)
{
	struct r6_dgram *old = NULL;
	for (struct r6_dgram *d = st->reass6->list; d; d = d->next)
		if (d != keep)
			old = d;
	if (!old)
		return false;
	if (!old->dead) /* a discarded one was counted when it was */
		ts_drop(st, NULL, DROP_IPV6_FRAG_EVICTED);
	r6_free(st, old);
	return true;
}

/* Makes room for more bytes, evicting older datagrams than keep.  false: no room. */
static bool r6_room(struct stack *st, const struct r6_dgram *keep, size_t more)
{
	while (st->reass6->mem + more > st->cfg.ip6_reass_max_bytes)
		if (!r6_evict_oldest(st, keep))
			return false;
	return true;
}

static struct r6_dgram *r6_find(struct stack *st, const uint8_t *ip, uint32_t id)
{
	for (struct r6_dgram *d = st->reass6->list; d; d = d->next)
		if (d->id == id && memcmp(d->src, ip + IPV6_OFF_SRC, 16) == 0 &&
		    memcmp(d->dst, ip + IPV6_OFF_DST, 16) == 0)
			return d;
	return NULL;
}

/* A new datagram for the key of the fragment at ip, or NULL with *why set. */
static struct r6_dgram *r6_new(struct stack *st, const uint8_t *ip, uint32_t id,
			       enum ts_drop_reason *why)
{
	struct ip6_reass *rs = st->reass6;
	while (rs->datagrams >= st->cfg.ip6_reass_max_dgrams)
		if (!r6_evict_oldest(st, NULL)) {
			*why = DROP_IPV6_FRAG_NOMEM; /* a cap of 0 datagrams */
			return NULL;
		}
	struct r6_dgram *d;
	if (!r6_room(st, NULL, sizeof(*d)) || !(d = calloc(1, sizeof(*d)))) {
		*why = DROP_IPV6_FRAG_NOMEM;
		return NULL;
	}
	memcpy(d->src, ip + IPV6_OFF_SRC, 16);
	memcpy(d->dst, ip + IPV6_OFF_DST, 16);
	d->id = id;
	d->mem = sizeof(*d);
	ts_timer_init(&d->timer, r6_timer_fired);
	ts_timer_arm(st, &d->timer, st->now_us + (uint64_t)st->cfg.ip6_reass_timeout_ms * 1000u);
	d->next = rs->list;
	rs->list = d;
	rs->datagrams++;
	rs->mem += d->mem;
	return d;
}

static size_t r6_capacity(const struct r6_dgram *d)
{
	return d->data ? (size_t)(d->data->end - d->data->data) : 0;
}

/*
 * Grows d's buffer to hold need octets: to the total length when known,
 * else doubling (in-order arrival costs O(n) copies overall).
 */
static enum ts_drop_reason r6_grow(struct stack *st, struct r6_dgram *d, size_t need)
{
	struct ip6_reass *rs = st->reass6;
	size_t cap = r6_capacity(d);
	if (need <= cap)
		return DROP_NONE;
	size_t want = d->total_len ? d->total_len : 2 * cap;
	if (want < need)
		want = need;
	if (want > IPV6_MAX_PAYLOAD)
		want = IPV6_MAX_PAYLOAD;
	struct ts_buf *nb = ts_buf_alloc(st, want, TS_BUF_HEADROOM);
	if (!nb)
		return DROP_IPV6_FRAG_NOMEM;
	size_t old_mem = r6_buf_mem(d->data), new_mem = r6_buf_mem(nb);
	if (new_mem > old_mem && !r6_room(st, d, new_mem - old_mem)) {
		ts_buf_free(st, nb);
		return DROP_IPV6_FRAG_NOMEM;
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

/*
 * RFC 7112 §5 (RFC 8200 §4.5): the first fragment carries every header
 * from the IPv6 header through the upper-layer header.  nh names the first
 * header of the fragmentable part, at p (len octets).  The upper-layer
 * header sizes are Linux's (ipv6_frag_thdr_truncated): TCP's 20, UDP's 8,
 * and ICMPv6's 8 (type, code, checksum and the 32-bit field every message
 * has, RFC 4443 §2.1); another upper layer needs only to be named.  Each
 * extension header is 8 octets at least, so the loop is bounded by len / 8.
 */
static bool r6_chain_complete(uint8_t nh, const uint8_t *p, size_t len)
{
	size_t off = 0;
	for (;;) {
		switch (nh) {
		case IPV6_NH_HOPOPTS:
		case IPV6_NH_DSTOPTS:
		case IPV6_NH_ROUTING:
			if (off + 2 > len || off + ((size_t)p[off + 1] + 1) * 8 > len)
				return false;
			nh = p[off];
			off += ((size_t)p[off + 1] + 1) * 8;
			break;
		case IPV6_NH_FRAGMENT:
			if (off + IPV6_FRAG_HDR_LEN > len)
				return false;
			nh = p[off];
			off += IPV6_FRAG_HDR_LEN;
			break;
		case IPV6_NH_TCP:
			return off + 20 <= len;
		case IPV6_NH_UDP:
		case IPV6_NH_ICMPV6:
			return off + 8 <= len;
		default:
			return true;
		}
	}
}

enum r6_kind { R6_NEW, R6_DUP, R6_OVERLAP };

/*
 * Compares the fragment [off, end) with the blocks held.  Held fragments
 * never overlap, so it is an exact duplicate when every block is held, a
 * held fragment starts at off, none starts inside, the block after it is
 * not in the middle of a fragment, and the octets are the same.
 */
static enum r6_kind r6_classify(const struct r6_dgram *d, const uint8_t *p, size_t off, size_t end)
{
	size_t first = off / 8, last = (end + 7) / 8; /* blocks [first, last) */
	size_t held = 0;
	for (size_t blk = first; blk < last; blk++)
		held += r6_bit(d->filled, blk);
	if (held == 0)
		return R6_NEW;
	if (held != last - first || !r6_bit(d->starts, first))
		return R6_OVERLAP;
	for (size_t blk = first + 1; blk < last; blk++)
		if (r6_bit(d->starts, blk))
			return R6_OVERLAP;
	if (last < R6_BLOCKS && r6_bit(d->filled, last) && !r6_bit(d->starts, last))
		return R6_OVERLAP;
	if (memcmp(d->data->data + off, p, end - off) != 0)
		return R6_OVERLAP;
	return R6_DUP;
}

/* Builds the whole datagram from d (complete) and frees d. */
static struct ts_buf *r6_finish(struct stack *st, struct r6_dgram *d)
{
	struct ts_buf *b = d->data;
	d->data = NULL; /* the buffer leaves d: uncharged with it below */
	st->reass6->mem -= r6_buf_mem(b);
	d->mem -= r6_buf_mem(b);
	b->tail = b->data + d->total_len;
	if (ts_buf_headroom(b) < d->hdr_len) {
		/* A long unfragmentable part: a buffer with room for it. */
		struct ts_buf *nb =
		    ts_buf_alloc(st, d->hdr_len + d->total_len, TS_BUF_HEADROOM + d->hdr_len);
		if (!nb) {
			ts_buf_free(st, b);
			ts_drop(st, NULL, DROP_LINK_NOMEM);
			r6_free(st, d);
			return NULL;
		}
		memcpy(ts_buf_put(nb, d->total_len), b->data, d->total_len);
		ts_buf_free(st, b);
		b = nb;
	}
	uint8_t *h = ts_buf_push(b, d->hdr_len);
	memcpy(h, d->hdr, d->hdr_len);
	/* §4.5: the Next Header of the unfragmentable part's last header is
	 * the first fragment's Fragment header's; the payload length is the
	 * unfragmentable headers' plus the fragmentable part's. */
	h[d->frag_nh_off] = d->first_nh;
	put_be16(h + IPV6_OFF_PLEN, (uint16_t)(d->hdr_len - IPV6_HDR_LEN + d->total_len));
	b->network = h;
	r6_free(st, d);
	ts_count(st, CTR_IPV6_REASSEMBLED);
	return b;
}

struct ts_buf *ipv6_reass_input(struct stack *st, struct ts_buf *b, const struct ipv6_ext *x)
{
	const uint8_t *ip = b->data, *fh = ip + x->frag_off, *p = fh + IPV6_FRAG_HDR_LEN;
	size_t hdr_len = x->frag_off, dlen = ts_buf_len(b) - hdr_len - IPV6_FRAG_HDR_LEN;
	uint16_t offm = get_be16(fh + IPV6_FRAG_OFF_OFFM);
	size_t off = offm & IPV6_FRAG_OFFSET_MASK, end = off + dlen;
	bool m = offm & IPV6_FRAG_M;
	uint32_t id = get_be32(fh + IPV6_FRAG_OFF_ID);
	enum ts_drop_reason why;

	ts_count(st, CTR_IPV6_FRAGS_RX);
	if (m && (dlen == 0 || dlen % 8)) {
		if (dlen)
			icmp6_send_param_problem(st, b, ICMP6_PARAM_HEADER, IPV6_OFF_PLEN);
		ts_drop(st, b, DROP_IPV6_FRAG_BAD_LEN);
		return NULL;
	}
	if (hdr_len - IPV6_HDR_LEN + end > IPV6_MAX_PAYLOAD) {
		icmp6_send_param_problem(st, b, ICMP6_PARAM_HEADER,
					 (uint32_t)(hdr_len + IPV6_FRAG_OFF_OFFM));
		ts_drop(st, b, DROP_IPV6_FRAG_TOO_BIG);
		return NULL;
	}
	if (off == 0 && !r6_chain_complete(fh[0], p, dlen)) {
		icmp6_send_param_problem(st, b, ICMP6_PARAM_CHAIN, 0);
		ts_drop(st, b, DROP_IPV6_FRAG_INCOMPLETE_CHAIN);
		return NULL;
	}
	struct r6_dgram *d = r6_find(st, ip, id);
	if (d && d->dead) {
		ts_drop(st, b, DROP_IPV6_FRAG_DISCARDED);
		return NULL;
	}
	if (!d && !(d = r6_new(st, ip, id, &why))) {
		ts_drop(st, b, why);
		return NULL;
	}
	/* The last fragment fixes the length: nothing lies beyond it, a
	 * fragment with M set ends before it, and two last fragments agree. */
	if ((!m && ((d->total_len && d->total_len != end) || d->max_end > end)) ||
	    (m && d->total_len && end >= d->total_len)) {
		r6_discard(st, d);
		ts_drop(st, b, DROP_IPV6_FRAG_BAD_END);
		return NULL;
	}
	enum r6_kind k = d->data ? r6_classify(d, p, off, end) : R6_NEW;
	if (k == R6_DUP && !m && !d->total_len)
		k = R6_OVERLAP; /* held with M set, now said to be the last: not the same fragment
				 */
	if (k == R6_OVERLAP) {
		r6_discard(st, d);
		ts_drop(st, b, DROP_IPV6_FRAG_OVERLAP);
		return NULL;
	}
	if (k == R6_DUP) {
		ts_drop(st, b, DROP_IPV6_FRAG_DUP);
		return NULL;
	}
	if (!m)
		d->total_len = (uint32_t)end;
	if ((why = r6_grow(st, d, end)) != DROP_NONE) {
		ts_drop(st, b, why);
		return NULL;
	}
	if (off == 0) {
		if (!r6_room(st, d, hdr_len) || !(d->hdr = malloc(hdr_len))) {
			ts_drop(st, b, DROP_IPV6_FRAG_NOMEM);
			return NULL;
		}
		memcpy(d->hdr, ip, hdr_len);
		d->hdr_len = (uint32_t)hdr_len;
		d->frag_nh_off = x->frag_nh_off;
		d->first_nh = fh[0];
		memcpy(d->fh, fh, IPV6_FRAG_HDR_LEN);
		d->first_len = (uint32_t)dlen;
		st->reass6->mem += hdr_len;
		d->mem += hdr_len;
	}
	memcpy(d->data->data + off, p, dlen);
	size_t last = (end + 7) / 8;
	for (size_t blk = off / 8; blk < last; blk++)
		r6_set(d->filled, blk);
	if (last > off / 8)
		r6_set(d->starts, off / 8);
	d->blocks_filled += (uint32_t)(last - off / 8);
	if (end > d->max_end)
		d->max_end = (uint32_t)end;
	ts_buf_consume(st, b); /* the fragment's frame ends here: its octets were copied */
	if (d->total_len && d->hdr && d->blocks_filled == (d->total_len + 7) / 8) {
		/* The first fragment's unfragmentable part may be longer than
		 * the one the length check above saw. */
		if (d->hdr_len - IPV6_HDR_LEN + d->total_len > IPV6_MAX_PAYLOAD) {
			ts_drop(st, NULL, DROP_IPV6_FRAG_TOO_BIG);
			r6_free(st, d);
			return NULL;
		}
		return r6_finish(st, d);
	}
	return NULL;
}

int ipv6_reass_init(struct stack *st)
{
	st->reass6 = calloc(1, sizeof(*st->reass6));
	return st->reass6 ? 0 : -ENOMEM;
}

void ipv6_reass_destroy(struct stack *st)
{
	if (!st->reass6)
		return;
	while (st->reass6->list)
		r6_free(st, st->reass6->list);
	free(st->reass6);
	st->reass6 = NULL;
}

void ipv6_reass_usage(const struct stack *st, uint32_t *datagrams, size_t *bytes)
{
	*datagrams = st->reass6->datagrams;
	*bytes = st->reass6->mem;
}
