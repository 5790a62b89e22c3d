/*
 * arp.c - ARP (RFC 826) and the neighbour cache.
 *
 * Receive: arp_parse (view) → sender checks → RFC 826 "Packet Reception"
 * (merge the sender into the cache, answer requests for our address, in
 * place in the received buffer).  A new entry is created only for an
 * on-link sender of a request for our address; a reply we did not ask for
 * creates nothing (Linux arp_accept=0), and an off-link sender is answered
 * but not cached.  Send: arp_resolve_and_send looks the next hop up; a miss
 * creates an INCOMPLETE entry, queues the packet and broadcasts a request,
 * repeated every cfg.arp_retry_ms up to cfg.arp_retries requests; then
 * every queued packet dies as ARP_UNRESOLVED.  A REACHABLE entry lives
 * cfg.arp_ttl_ms after its last update.
 *
 * Bounds (Linux neighbour tables, net/core/neighbour.c): at most
 * cfg.arp_gc_thresh3 entries.  Creating one above cfg.arp_gc_thresh2
 * first collects, at most every ARP_GC_INTERVAL_US, the unused entries
 * not confirmed for that long (neigh_forced_gc); at the hard limit one
 * entry is evicted: the least recently confirmed entry we never sent to
 * (a flood's), else the least recently used one.  Static entries are
 * never evicted.  Packets waiting for resolution are bounded per next hop
 * in count (cfg.arp_queue_max) and bytes of whole buffers
 * (cfg.arp_unres_qlen_bytes, Linux unres_qlen_bytes; the oldest goes
 * first, as in Linux and as RFC 1122 §2.3.2.2 asks: "save ... the
 * latest"), and across next hops (cfg.arp_unres_total_bytes).
 *
 * Each entry owns one ts_timer (retry while incomplete, expiry once
 * reachable), so nothing scans the cache per tick; the cost is one heap
 * slot per neighbour.
 *
 * Read first: RFC 826 (whole, short), RFC 1122 §2.3.2.1 (cache timeout,
 * flooding limits, "SHOULD save at least one" queued packet), RFC 5227 §3
 * (announcements).
 */
#include "arp.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "eth.h"
#include "ipv4.h"
#include "siphash.h"
#include "stack.h"
#include "timer.h"

/* ---- view ---- */

enum ts_drop_reason arp_parse(const uint8_t *p, size_t len, struct arp_view *v)
{
	if (len < ARP_PKT_LEN)
		return DROP_ARP_TRUNCATED;
	if (get_be16(p + ARP_OFF_HTYPE) != ARP_HTYPE_ETHER || p[ARP_OFF_HLEN] != ETH_ADDR_LEN)
		return DROP_ARP_BAD_HW;
	if (get_be16(p + ARP_OFF_PTYPE) != ETH_TYPE_IPV4 || p[ARP_OFF_PLEN] != 4)
		return DROP_ARP_BAD_PROTO;
	v->op = get_be16(p + ARP_OFF_OP);
	if (v->op != ARP_OP_REQUEST && v->op != ARP_OP_REPLY)
		return DROP_ARP_BAD_OP;
	memcpy(v->sha, p + ARP_OFF_SHA, 6);
	v->spa = get_be32(p + ARP_OFF_SPA);
	memcpy(v->tha, p + ARP_OFF_THA, 6);
	v->tpa = get_be32(p + ARP_OFF_TPA);
	return DROP_NONE;
}

void arp_build(uint8_t *p, const struct arp_view *v)
{
	put_be16(p + ARP_OFF_HTYPE, ARP_HTYPE_ETHER);
	put_be16(p + ARP_OFF_PTYPE, ETH_TYPE_IPV4);
	p[ARP_OFF_HLEN] = ETH_ADDR_LEN;
	p[ARP_OFF_PLEN] = 4;
	put_be16(p + ARP_OFF_OP, v->op);
	memcpy(p + ARP_OFF_SHA, v->sha, 6);
	put_be32(p + ARP_OFF_SPA, v->spa);
	memcpy(p + ARP_OFF_THA, v->tha, 6);
	put_be32(p + ARP_OFF_TPA, v->tpa);
}

/* ---- cache ---- */

enum arp_entry_state {
	ARP_INCOMPLETE, /* request sent, packets may be waiting */
	ARP_REACHABLE,	/* MAC known until the expiry timer fires */
	ARP_PERMANENT,	/* static (ts_neigh_add): never expires, never learnt over */
};

/* Which eviction list an entry is on. */
enum arp_gc_list {
	ARP_GC_NONE,   /* static: never evicted */
	ARP_GC_UNUSED, /* never sent to: learnt from a request (what a flood creates) */
	ARP_GC_USED,   /* sent to at least once */
};

/* One neighbour. */
struct arp_entry {
	struct arp_entry *next;		     /* bucket chain */
	struct arp_entry *gc_prev, *gc_next; /* on st->arp->gc[gc_list], oldest first */
	uint32_t ip;			     /* protocol address, host order */
	uint8_t mac[6];			     /* valid in ARP_REACHABLE and ARP_PERMANENT */
	uint8_t state;			     /* enum arp_entry_state */
	uint8_t requests_sent;		     /* while incomplete */
	uint8_t gc_list;		     /* enum arp_gc_list */
	uint64_t confirmed_us;		     /* last created, updated or used */
	struct ts_timer timer;		     /* incomplete: retry; reachable: expiry */
	struct ts_buf *queue_head;	     /* packets waiting for resolution (b->data = IPv4) */
	struct ts_buf *queue_tail;
	uint32_t queue_len;   /* bounded by cfg.arp_queue_max */
	uint32_t queue_bytes; /* their buffers' sizes, bounded by cfg.arp_unres_qlen_bytes */
};

/* A doubly linked list of entries, oldest at head. */
struct arp_gc_queue {
	struct arp_entry *head, *tail;
};

struct arp_state {
	struct arp_entry *buckets[ARP_BUCKETS]; /* hash of ip */
	uint32_t entries;			/* at most cfg.arp_gc_thresh3 */
	struct arp_gc_queue gc[3];		/* by enum arp_gc_list (ARP_GC_NONE unused) */
	uint64_t last_gc_us;			/* last forced collection */
	uint64_t hash_key[2];			/* of arp_hash, from the stack's RNG */
	size_t pending_bytes;			/* queue_bytes of every entry */
};

/* Linux neigh_forced_gc: collect at most this often, entries unconfirmed this long. */
#define ARP_GC_INTERVAL_US 5000000u

/* Keyed (Linux: jhash with hash_rnd), so that senders cannot be chosen to share a chain. */
static inline uint32_t arp_hash(const struct stack *st, uint32_t ip)
{
	uint64_t m = ip;
	return (uint32_t)siphash24_words(st->arp->hash_key, &m, 1) & (ARP_BUCKETS - 1);
}

static struct arp_entry *arp_find(struct stack *st, uint32_t ip)
{
	for (struct arp_entry *e = st->arp->buckets[arp_hash(st, ip)]; e; e = e->next)
		if (e->ip == ip)
			return e;
	return NULL;
}

/* Memory a waiting packet holds: its whole buffer (Linux skb->truesize). */
static inline size_t arp_buf_size(const struct ts_buf *b)
{
	return sizeof(*b) + b->cap;
}

static void arp_gc_unlink(struct stack *st, struct arp_entry *e)
{
	if (e->gc_list == ARP_GC_NONE)
		return;
	struct arp_gc_queue *q = &st->arp->gc[e->gc_list];
	*(e->gc_prev ? &e->gc_prev->gc_next : &q->head) = e->gc_next;
	*(e->gc_next ? &e->gc_next->gc_prev : &q->tail) = e->gc_prev;
	e->gc_prev = e->gc_next = NULL;
	e->gc_list = ARP_GC_NONE;
}

/* Puts e at the young end of list (ARP_GC_NONE: on none), confirmed now. */
static void arp_gc_touch(struct stack *st, struct arp_entry *e, enum arp_gc_list list)
{
	arp_gc_unlink(st, e);
	e->confirmed_us = st->now_us;
	if (list == ARP_GC_NONE)
		return;
	struct arp_gc_queue *q = &st->arp->gc[list];
	e->gc_list = (uint8_t)list;
	e->gc_prev = q->tail;
	*(q->tail ? &q->tail->gc_next : &q->head) = e;
	q->tail = e;
}

/* Drops the oldest packet waiting on e with reason. */
static void arp_queue_drop_oldest(struct stack *st, struct arp_entry *e, enum ts_drop_reason reason)
{
	struct ts_buf *b = e->queue_head;
	e->queue_head = b->next;
	if (!e->queue_head)
		e->queue_tail = NULL;
	b->next = NULL;
	e->queue_len--;
	e->queue_bytes -= arp_buf_size(b);
	st->arp->pending_bytes -= arp_buf_size(b);
	ts_drop(st, b, reason);
}

/* Unlinks and frees e; queued packets are dropped with reason (or freed if DROP_NONE). */
static void arp_entry_free(struct stack *st, struct arp_entry *e, enum ts_drop_reason reason)
{
	struct arp_entry **pp = &st->arp->buckets[arp_hash(st, e->ip)];
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	ts_timer_disarm(st, &e->timer);
	arp_gc_unlink(st, e);
	while (e->queue_head) {
		if (reason != DROP_NONE) {
			arp_queue_drop_oldest(st, e, reason);
			continue;
		}
		struct ts_buf *b = e->queue_head;
		e->queue_head = b->next;
		st->arp->pending_bytes -= arp_buf_size(b);
		ts_buf_free(st, b);
	}
	st->arp->entries--;
	free(e);
}

/* Evicts e to make room; what waited on it dies as ARP_EVICTED. */
static void arp_evict(struct stack *st, struct arp_entry *e)
{
	ts_count(st, CTR_ARP_CACHE_EVICTED);
	if (e->gc_list == ARP_GC_USED)
		ts_count(st, CTR_ARP_CACHE_EVICTED_IN_USE);
	arp_entry_free(st, e, DROP_ARP_EVICTED);
}

/*
 * Makes room for one more entry (Linux neigh_alloc): above
 * cfg.arp_gc_thresh2, at most every ARP_GC_INTERVAL_US, the unused entries
 * unconfirmed for as long go (neigh_forced_gc, which shrinks to
 * gc_thresh2); at cfg.arp_gc_thresh3 one entry goes whatever its age,
 * unused first, then the least recently used.  False when every entry is
 * static.
 */
static bool arp_make_room(struct stack *st)
{
	struct arp_state *as = st->arp;
	uint32_t hard =
	    st->cfg.arp_gc_thresh3 < ARP_MAX_ENTRIES ? st->cfg.arp_gc_thresh3 : ARP_MAX_ENTRIES;
	if (as->entries >= st->cfg.arp_gc_thresh2 &&
	    (as->entries >= hard || st->now_us - as->last_gc_us >= ARP_GC_INTERVAL_US)) {
		as->last_gc_us = st->now_us;
		struct arp_entry *e;
		while (as->entries > st->cfg.arp_gc_thresh2 && (e = as->gc[ARP_GC_UNUSED].head) &&
		       st->now_us - e->confirmed_us >= ARP_GC_INTERVAL_US)
			arp_evict(st, e);
	}
	if (as->entries < hard)
		return true;
	struct arp_entry *victim = as->gc[ARP_GC_UNUSED].head;
	if (!victim)
		victim = as->gc[ARP_GC_USED].head;
	if (!victim)
		return false;
	arp_evict(st, victim);
	return as->entries < hard;
}

static void arp_timer_fired(struct stack *st, struct ts_timer *t);

/*
 * Creates an INCOMPLETE entry for ip on eviction list list, making room if
 * needed; NULL when the table holds only static entries (or no memory).
 */
static struct arp_entry *arp_entry_new(struct stack *st, uint32_t ip, enum arp_gc_list list)
{
	if (!arp_make_room(st))
		return NULL;
	struct arp_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->ip = ip;
	e->state = ARP_INCOMPLETE;
	ts_timer_init(&e->timer, arp_timer_fired);
	uint32_t h = arp_hash(st, ip);
	e->next = st->arp->buckets[h];
	st->arp->buckets[h] = e;
	st->arp->entries++;
	arp_gc_touch(st, e, list);
	return e;
}

int arp_lookup(struct stack *st, uint32_t ip, uint8_t mac[6])
{
	struct arp_entry *e = arp_find(st, ip);
	if (!e || e->state == ARP_INCOMPLETE)
		return -1;
	memcpy(mac, e->mac, 6);
	return 0;
}

/* ---- input ---- */

static void arp_flush_queue(struct stack *st, struct arp_entry *e);

/* Marks e REACHABLE with mac, (re)arms its expiry, and sends what waited. */
static void arp_entry_update(struct stack *st, struct arp_entry *e, const uint8_t mac[6])
{
	if (e->state == ARP_PERMANENT)
		return; /* what the administrator set is not learnt over (Linux NUD_PERMANENT) */
	memcpy(e->mac, mac, 6);
	e->state = ARP_REACHABLE;
	arp_gc_touch(st, e, (enum arp_gc_list)e->gc_list); /* confirmed: youngest of its list */
	ts_count(st, CTR_ARP_CACHE_UPDATES);
	ts_timer_arm(st, &e->timer, st->now_us + (uint64_t)st->cfg.arp_ttl_ms * 1000u);
	arp_flush_queue(st, e);
}

/*
 * Handles one ARP packet at b->data (Ethernet header pulled).  Consumes b:
 * a request for our address is answered in the same buffer.
 */
void arp_input(struct stack *st, struct ts_buf *b)
{
	struct arp_view v;
	enum ts_drop_reason r;

	ts_count(st, CTR_ARP_RX);
	if ((r = arp_parse(b->data, ts_buf_len(b), &v)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	/* A sender we must never cache: a group MAC, or an IP that cannot be a
	 * neighbour's (ours means an address conflict, RFC 5227 §2.4). */
	if (eth_is_multicast(v.sha) || v.spa == 0 || v.spa == st->cfg.ip ||
	    ipv4_is_broadcast(st, v.spa) || (v.spa >> 28) == 0xe) {
		ts_drop(st, b, DROP_ARP_BAD_SENDER);
		return;
	}
	/* RFC 826 "Packet Reception": update an existing entry whoever the
	 * target is (merge_flag), create one only when we are the target. */
	struct arp_entry *e = arp_find(st, v.spa);
	if (e)
		arp_entry_update(st, e, v.sha);
	if (v.tpa != st->cfg.ip) {
		ts_drop(st, b, DROP_ARP_NOT_FOR_US);
		return;
	}
	if (!e && v.op != ARP_OP_REQUEST) {
		/* Nobody asked: a reply creates no entry (Linux arp_accept=0), or
		 * anyone could fill the cache with replies. */
		ts_drop(st, b, DROP_ARP_UNSOLICITED);
		return;
	}
	if (!e) {
		/* RFC 826 creates an entry for whoever asks for us; only a
		 * neighbour we could send to directly needs one.  An off-link
		 * sender is answered but not cached. */
		if (!ipv4_on_link(st, v.spa))
			ts_count(st, CTR_ARP_OFF_LINK_NOT_CACHED);
		else if ((e = arp_entry_new(st, v.spa, ARP_GC_UNUSED)) != NULL)
			arp_entry_update(st, e, v.sha);
		else
			ts_count(st, CTR_ARP_CACHE_REFUSED);
	}
	if (v.op != ARP_OP_REQUEST) {
		ts_buf_free(st, b); /* a reply to us: consumed by the cache update */
		return;
	}
	/* "Swap hardware and protocol fields, putting the local hardware and
	 * protocol addresses in the sender fields" (RFC 826), in place. */
	struct arp_view reply = {.op = ARP_OP_REPLY, .spa = st->cfg.ip, .tpa = v.spa};
	memcpy(reply.sha, st->cfg.mac, 6);
	memcpy(reply.tha, v.sha, 6);
	ts_buf_trim(b, ARP_PKT_LEN);
	arp_build(b->data, &reply);
	ts_buf_meta_reset(b); /* the request's offload metadata is not the reply's */
	ts_count(st, CTR_ARP_TX);
	ts_count(st, CTR_ARP_REPLIES_SENT);
	eth_output(st, b, v.sha, ETH_TYPE_ARP);
}

/* ---- output ---- */

/* Broadcasts a request: who has tpa?  spa is ours (or tpa itself when announcing). */
static void arp_send_request(struct stack *st, uint32_t spa, uint32_t tpa)
{
	struct ts_buf *b = ts_buf_alloc(st, ARP_PKT_LEN, TS_BUF_HEADROOM);
	if (!b) {
		ts_drop(st, NULL, DROP_LINK_NOMEM);
		return;
	}
	struct arp_view v = {.op = ARP_OP_REQUEST, .spa = spa, .tpa = tpa};
	memcpy(v.sha, st->cfg.mac, 6);
	arp_build(ts_buf_put(b, ARP_PKT_LEN), &v);
	ts_count(st, CTR_ARP_TX);
	ts_count(st, CTR_ARP_REQUESTS_SENT);
	eth_output(st, b, eth_broadcast, ETH_TYPE_ARP);
}

void arp_announce(struct stack *st)
{
	/* RFC 5227 §3: sender and target protocol address both ours. */
	arp_send_request(st, st->cfg.ip, st->cfg.ip);
}

/*
 * Retry timer of an INCOMPLETE entry, or expiry timer of a REACHABLE one.
 * RFC 1122 §2.3.2.1 asks to limit requests to one per second per
 * destination: cfg.arp_retry_ms is that interval.
 */
static void arp_timer_fired(struct stack *st, struct ts_timer *t)
{
	struct arp_entry *e = (struct arp_entry *)((char *)t - offsetof(struct arp_entry, timer));

	if (e->state == ARP_REACHABLE) {
		ts_count(st, CTR_ARP_CACHE_EXPIRED);
		arp_entry_free(st, e, DROP_NONE);
		return;
	}
	if (e->requests_sent >= st->cfg.arp_retries) {
		arp_entry_free(st, e, DROP_ARP_UNRESOLVED);
		return;
	}
	e->requests_sent++;
	arp_send_request(st, st->cfg.ip, e->ip);
	ts_timer_arm(st, t, st->now_us + (uint64_t)st->cfg.arp_retry_ms * 1000u);
}

/* Sends every packet queued on e (now REACHABLE), in arrival order. */
static void arp_flush_queue(struct stack *st, struct arp_entry *e)
{
	struct ts_buf *b = e->queue_head;
	e->queue_head = e->queue_tail = NULL;
	e->queue_len = 0;
	st->arp->pending_bytes -= e->queue_bytes;
	e->queue_bytes = 0;
	while (b) {
		struct ts_buf *next = b->next;
		b->next = NULL;
		eth_output(st, b, e->mac, ETH_TYPE_IPV4);
		b = next;
	}
}

int arp_resolve_and_send(struct stack *st, struct ts_buf *b, uint32_t nh)
{
	if (ipv4_is_broadcast(st, nh))
		return eth_output(st, b, eth_broadcast, ETH_TYPE_IPV4);

	struct arp_entry *e = arp_find(st, nh);
	if (e && e->gc_list != ARP_GC_NONE)
		arp_gc_touch(st, e, ARP_GC_USED); /* in use: the last to be evicted */
	if (e && e->state != ARP_INCOMPLETE)
		return eth_output(st, b, e->mac, ETH_TYPE_IPV4);
	if (!e) {
		e = arp_entry_new(st, nh, ARP_GC_USED);
		if (!e) {
			ts_drop(st, b, DROP_ARP_CACHE_FULL);
			return -ENOBUFS;
		}
		e->requests_sent = 1;
		arp_send_request(st, st->cfg.ip, nh);
		ts_timer_arm(st, &e->timer, st->now_us + (uint64_t)st->cfg.arp_retry_ms * 1000u);
	}
	/* Room for b: the oldest waiting packets of this next hop go first
	 * (Linux __neigh_event_send), per next hop and then in total. */
	size_t size = arp_buf_size(b);
	while (e->queue_head && (e->queue_len >= st->cfg.arp_queue_max ||
				 e->queue_bytes + size > st->cfg.arp_unres_qlen_bytes))
		arp_queue_drop_oldest(st, e, DROP_ARP_QUEUE_FULL);
	while (e->queue_head && st->arp->pending_bytes + size > st->cfg.arp_unres_total_bytes)
		arp_queue_drop_oldest(st, e, DROP_ARP_PENDING_FULL);
	if (st->cfg.arp_queue_max == 0 || size > st->cfg.arp_unres_qlen_bytes) {
		ts_drop(st, b, DROP_ARP_QUEUE_FULL);
		return -ENOBUFS;
	}
	if (st->arp->pending_bytes + size > st->cfg.arp_unres_total_bytes) {
		ts_drop(st, b, DROP_ARP_PENDING_FULL);
		return -ENOBUFS;
	}
	ts_buf_linearize(b); /* it outlives this call: no pointer into a send ring */
	b->next = NULL;
	if (e->queue_tail)
		e->queue_tail->next = b;
	else
		e->queue_head = b;
	e->queue_tail = b;
	e->queue_len++;
	e->queue_bytes += (uint32_t)size;
	st->arp->pending_bytes += size;
	return 0;
}

/* ---- life cycle ---- */

int arp_init(struct stack *st)
{
	st->arp = calloc(1, sizeof(*st->arp));
	if (!st->arp)
		return -ENOMEM;
	st->arp->hash_key[0] = ts_rand(st);
	st->arp->hash_key[1] = st->arp->hash_key[0] * 0x9e3779b97f4a7c15ULL ^ 0xbf58476d1ce4e5b9ULL;
	return 0;
}

uint32_t arp_entry_count(const struct stack *st)
{
	return st->arp->entries;
}

size_t arp_pending_bytes(const struct stack *st)
{
	return st->arp->pending_bytes;
}

/* ---- static entries (ip neigh add/del/show) ---- */

int arp_static_add(struct stack *st, uint32_t ip, const uint8_t mac[6], bool replace)
{
	if (ip == 0 || ip == st->cfg.ip || ipv4_is_broadcast(st, ip) || (ip >> 28) == 0xe)
		return -EINVAL;
	struct arp_entry *e = arp_find(st, ip);
	if (e && !replace)
		return -EEXIST; /* ip neigh add: NLM_F_EXCL */
	if (!e && !(e = arp_entry_new(st, ip, ARP_GC_NONE)))
		return -ENOBUFS;
	ts_timer_disarm(st, &e->timer);
	arp_gc_touch(st, e, ARP_GC_NONE); /* never evicted */
	memcpy(e->mac, mac, 6);
	e->state = ARP_PERMANENT;
	arp_flush_queue(st, e); /* packets that waited for it go now */
	return 0;
}

int arp_static_del(struct stack *st, uint32_t ip)
{
	struct arp_entry *e = arp_find(st, ip);
	if (!e)
		return -ENOENT;
	arp_entry_free(st, e, DROP_ARP_UNRESOLVED);
	return 0;
}

size_t arp_list(struct stack *st, struct arp_neighbour *out, size_t max)
{
	size_t n = 0;
	for (uint32_t i = 0; i < ARP_BUCKETS; i++)
		for (struct arp_entry *e = st->arp->buckets[i]; e; e = e->next, n++) {
			if (n >= max)
				continue;
			out[n].ip = e->ip;
			memcpy(out[n].mac, e->mac, 6);
			out[n].state = e->state == ARP_PERMANENT   ? ARP_NEIGH_PERMANENT
				       : e->state == ARP_REACHABLE ? ARP_NEIGH_REACHABLE
								   : ARP_NEIGH_INCOMPLETE;
		}
	return n;
}

void arp_destroy(struct stack *st)
{
	if (!st->arp)
		return;
	for (uint32_t i = 0; i < ARP_BUCKETS; i++)
		while (st->arp->buckets[i])
			arp_entry_free(st, st->arp->buckets[i], DROP_NONE);
	free(st->arp);
	st->arp = NULL;
}
