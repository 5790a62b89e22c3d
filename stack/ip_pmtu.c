/*
 * ip_pmtu.c - the path MTU cache (ip_pmtu.h): a fixed table of estimates,
 * chained in a keyed hash by destination, each with its own expiry timer.
 *
 * Read first: RFC 1191 §5-§7 (what a host does with fragmentation needed,
 * the plateau table), RFC 8201 §4-§5 for IPv6; Linux net/ipv4/route.c
 * __ip_rt_update_pmtu (the floor and the lock) and ip_rt_mtu_expires.
 */
#include "ip_pmtu.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"
#include "stack.h"
#include "tcp.h"
#include "timer.h"

#define PMTU_BUCKETS 64
#define PMTU_NONE    0xffff

struct pmtu_entry {
	struct ip_addr dst;
	uint32_t mtu;
	bool locked;	       /* clamped at the family's floor (Linux ip_mtu_locked) */
	bool used;	       /* holds an estimate */
	uint16_t next;	       /* next entry in the bucket, PMTU_NONE at the end */
	struct ts_timer timer; /* expiry (RFC 1191 §6.3) */
};

struct ip_pmtu_state {
	uint16_t bucket[PMTU_BUCKETS]; /* first entry of each chain, PMTU_NONE when empty */
	struct pmtu_entry e[IP_PMTU_MAX_ENTRIES];
	uint32_t n;	 /* entries used */
	bool keyed;	 /* key drawn (at the first estimate: the RNG stream of a run
			  * that never learns one does not move) */
	uint64_t key[2]; /* SipHash key of the buckets */
};

uint32_t ip_pmtu_min(int af)
{
	return af == AF_INET6 ? IP_PMTU_MIN_V6 : IP_PMTU_MIN_V4;
}

static uint32_t bucket_of(const struct ip_pmtu_state *p, const struct ip_addr *a)
{
	uint64_t m[3] = {a->af, 0, 0};
	if (a->af == AF_INET6)
		memcpy(m + 1, a->v6, 16);
	else
		m[1] = a->v4;
	return (uint32_t)siphash24_words(p->key, m, 3) % PMTU_BUCKETS;
}

static struct pmtu_entry *find(const struct ip_pmtu_state *p, const struct ip_addr *dst)
{
	if (!p->n)
		return NULL;
	for (uint16_t i = p->bucket[bucket_of(p, dst)]; i != PMTU_NONE; i = p->e[i].next)
		if (ip_addr_eq(&p->e[i].dst, dst))
			return (struct pmtu_entry *)&p->e[i];
	return NULL;
}

/* Takes entry i out of its chain and the table; TCP then sees the link's MTU again. */
static void remove_entry(struct stack *st, uint16_t i)
{
	struct ip_pmtu_state *p = st->pmtu;
	struct pmtu_entry *e = &p->e[i];
	uint16_t *pp = &p->bucket[bucket_of(p, &e->dst)];
	while (*pp != i)
		pp = &p->e[*pp].next;
	*pp = e->next;
	ts_timer_disarm(st, &e->timer);
	e->used = false;
	p->n--;
	ts_count(st, CTR_ICMP_PMTU_EXPIRED);
	struct ip_addr dst = e->dst;
	tcp_pmtu_changed(st, &dst);
}

static void expire_fired(struct stack *st, struct ts_timer *t)
{
	struct pmtu_entry *e =
	    (struct pmtu_entry *)((char *)t - offsetof(struct pmtu_entry, timer));
	remove_entry(st, (uint16_t)(e - st->pmtu->e));
}

uint32_t ip_pmtu_get(const struct stack *st, const struct ip_addr *dst, bool *locked)
{
	const struct pmtu_entry *e = st->pmtu ? find(st->pmtu, dst) : NULL;
	if (locked)
		*locked = e && e->locked;
	return e ? e->mtu : st->cfg.mtu;
}

uint32_t ip_pmtu_update(struct stack *st, const struct ip_addr *dst, uint32_t mtu)
{
	struct ip_pmtu_state *p = st->pmtu;
	uint32_t floor = ip_pmtu_min(dst->af);
	bool lock = false;
	if (mtu < floor) {
		/* __ip_rt_update_pmtu: the floor, and DF off from then on (the
		 * path fragments what it must) rather than a uselessly small
		 * MSS that a forged error could otherwise impose. */
		mtu = floor;
		lock = true;
	}
	uint32_t cur = ip_pmtu_get(st, dst, NULL);
	if (mtu >= cur)
		return 0; /* RFC 1191 §6.3: an estimate only goes down on an error */
	if (!p->keyed) {
		p->key[0] = ts_rand(st);
		p->key[1] = ts_rand(st);
		p->keyed = true;
	}
	struct pmtu_entry *e = find(p, dst);
	if (!e) {
		uint16_t slot = PMTU_NONE;
		for (uint16_t i = 0; i < IP_PMTU_MAX_ENTRIES && slot == PMTU_NONE; i++)
			if (!p->e[i].used)
				slot = i;
		if (slot == PMTU_NONE) {
			/* Full: the estimate closest to expiry goes (a flood of
			 * errors for made-up destinations can only churn the
			 * table, and an evicted destination just learns again). */
			slot = 0;
			for (uint16_t i = 1; i < IP_PMTU_MAX_ENTRIES; i++)
				if (p->e[i].timer.deadline_us < p->e[slot].timer.deadline_us)
					slot = i;
			remove_entry(st, slot);
		}
		e = &p->e[slot];
		memset(e, 0, sizeof(*e));
		ts_timer_init(&e->timer, expire_fired);
		e->dst = *dst;
		e->used = true;
		uint32_t b = bucket_of(p, dst);
		e->next = p->bucket[b];
		p->bucket[b] = slot;
		p->n++;
	}
	e->mtu = mtu;
	e->locked = lock;
	ts_timer_arm(st, &e->timer, st->now_us + (uint64_t)st->cfg.pmtu_expires_ms * 1000u);
	ts_count(st, CTR_ICMP_PMTU_LOWERED);
	tcp_pmtu_changed(st, dst);
	return mtu;
}

uint32_t ip_pmtu_plateau(uint32_t total_len)
{
	/* RFC 1191 §7, "Table 7-1: Common MTUs in the Internet" (plateaus). */
	static const uint32_t plateaus[] = {65535, 32000, 17914, 8166, 4352, 2002,
					    1492,  1006,  508,	 296,  68};
	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < total_len)
			return plateaus[i];
	return 68;
}

uint32_t ip_pmtu_count(const struct stack *st)
{
	return st->pmtu ? st->pmtu->n : 0;
}

int ip_pmtu_init(struct stack *st)
{
	st->pmtu = calloc(1, sizeof(*st->pmtu));
	if (!st->pmtu)
		return -ENOMEM;
	for (int i = 0; i < PMTU_BUCKETS; i++)
		st->pmtu->bucket[i] = PMTU_NONE;
	return 0;
}

void ip_pmtu_destroy(struct stack *st)
{
	if (!st->pmtu)
		return;
	for (int i = 0; i < IP_PMTU_MAX_ENTRIES; i++)
		if (st->pmtu->e[i].used)
			ts_timer_disarm(st, &st->pmtu->e[i].timer);
	free(st->pmtu);
	st->pmtu = NULL;
}
