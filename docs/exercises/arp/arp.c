/*
 * arp.c - ARP (RFC 826) and the neighbour cache: YOUR VERSION (exercise
 * "arp", docs/exercises/arp/README.md).  `make exercise NAME=arp` builds
 * the stack with this file in place of stack/arp.c and checks it.
 *
 * Yours to write (TODO below): arp_parse (the view), arp_input (RFC 826
 * "Packet Reception"), arp_resolve_and_send (queue while resolving) and
 * arp_timer_fired (retries).  Given: the cache (arp_find, arp_entry_new,
 * arp_entry_free, arp_entry_update, arp_flush_queue, and its bounds:
 * arp_make_room, arp_evict, arp_gc_touch, arp_queue_drop_oldest),
 * arp_build, arp_send_request, the static entries and the life cycle.
 * arp.h is the specification of every function.
 *
 * What the reference does, for orientation:
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
 * cfg.arp_ttl_ms after its last update.  Packets waiting for resolution are
 * bounded per next hop in count (cfg.arp_queue_max) and bytes
 * (cfg.arp_unres_qlen_bytes), and across next hops
 * (cfg.arp_unres_total_bytes); the oldest goes first.
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
	/*
	 * TODO (RFC 826 "Packet format"): check the length first (ARP_PKT_LEN;
	 * trailing padding is fine), then hardware type Ethernet with 6-byte
	 * addresses, protocol IPv4 with 4-byte addresses, an opcode that is a
	 * request or a reply; each failure has its reason in drop.h
	 * (DROP_ARP_*).  Then fill v from the ARP_OFF_* offsets with
	 * get_be16/get_be32 (byteorder.h).
	 */
	(void)p;
	(void)len;
	(void)v;
	return DROP_ARP_TRUNCATED;
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
__attribute__((unused)) static void arp_entry_update(struct stack *st, struct arp_entry *e,
						     const uint8_t mac[6])
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
	/*
	 * TODO: count CTR_ARP_RX; parse (drop with the reason on failure);
	 * refuse senders nobody may cache (a multicast ar$sha, ar$spa 0, ours,
	 * a broadcast or a multicast address: DROP_ARP_BAD_SENDER); then RFC
	 * 826 "Packet Reception": update the sender's entry if there is one
	 * (merge_flag, arp_entry_update), whoever the target is; if we are not
	 * the target, that is all (DROP_ARP_NOT_FOR_US).  If we are: a reply
	 * from a sender we hold no entry for was not asked for and creates
	 * nothing (DROP_ARP_UNSOLICITED, Linux arp_accept=0); a request from a
	 * sender we hold no entry for creates one (arp_entry_new with
	 * ARP_GC_UNUSED, then arp_entry_update) if the sender is on our link
	 * (ipv4_on_link; else count CTR_ARP_OFF_LINK_NOT_CACHED), or counts
	 * CTR_ARP_CACHE_REFUSED when there is no room.  A request gets a reply,
	 * built in place in b with the fields swapped (ts_buf_trim to
	 * ARP_PKT_LEN, ts_buf_meta_reset), counted (CTR_ARP_TX,
	 * CTR_ARP_REPLIES_SENT) and sent back to the requester's MAC (not
	 * broadcast).  Every path ends the received frame exactly once (stack.h,
	 * "Accounting of received frames"): ts_drop with its reason, or
	 * ts_buf_consume for a reply the cache took; a request is delivered
	 * (ts_rx_delivered) before b goes back out as the reply (eth_output).
	 */
	ts_drop(st, b, DROP_ARP_NOT_FOR_US);
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
	/*
	 * TODO: e is the entry that owns t.  A REACHABLE entry's time is up:
	 * free it (CTR_ARP_CACHE_EXPIRED).  An INCOMPLETE one retries: after
	 * cfg.arp_retries requests in all, free it and drop what waited
	 * (DROP_ARP_UNRESOLVED); otherwise send another request and re-arm.
	 */
	(void)st;
	struct arp_entry *e = (struct arp_entry *)((char *)t - offsetof(struct arp_entry, timer));
	(void)e;
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
	/*
	 * TODO: a broadcast next hop goes to the broadcast MAC.  A next hop we
	 * send to is in use: arp_gc_touch(st, e, ARP_GC_USED) if it is on a
	 * list (e->gc_list != ARP_GC_NONE).  A known one (reachable or
	 * static) goes out now.  An unknown one gets an INCOMPLETE entry
	 * (arp_entry_new with ARP_GC_USED; DROP_ARP_CACHE_FULL and -ENOBUFS
	 * when there is no room), a request, and the retry timer
	 * (cfg.arp_retry_ms).  b then waits at the tail of the entry's queue:
	 * first make room by dropping the oldest waiting packets
	 * (arp_queue_drop_oldest) while the queue holds cfg.arp_queue_max
	 * packets or b's size (arp_buf_size) would pass cfg.arp_unres_qlen_bytes
	 * (DROP_ARP_QUEUE_FULL), then while all the queues together would pass
	 * cfg.arp_unres_total_bytes (DROP_ARP_PENDING_FULL); if b still has no
	 * room, drop b with that reason and return -ENOBUFS.  b outlives this
	 * call: ts_buf_linearize it first (it may point into a send ring, buf.h).
	 * Keep queue_len, queue_bytes and st->arp->pending_bytes up to date.
	 */
	(void)nh;
	ts_drop(st, b, DROP_ARP_UNRESOLVED);
	return -EHOSTUNREACH;
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
