/*
 * arp.h - ARP for IPv4 over Ethernet (RFC 826), the neighbour cache, and
 * next-hop resolution with a bounded queue of packets waiting for it.
 */
#ifndef TS_ARP_H
#define TS_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct stack;
struct ts_buf;

#define ARP_PKT_LEN	28 /* Ethernet/IPv4 ARP packet */
#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
/* Neighbour cache buckets (power of two), and the ceiling of cfg.arp_gc_thresh3. */
#define ARP_BUCKETS	256
#define ARP_MAX_ENTRIES 4096
_Static_assert((ARP_BUCKETS & (ARP_BUCKETS - 1)) == 0, "ARP_BUCKETS must be a power of two");

/* Offsets in the packet (RFC 826 "Packet format"). */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN  4
#define ARP_OFF_PLEN  5
#define ARP_OFF_OP    6
#define ARP_OFF_SHA   8
#define ARP_OFF_SPA   14
#define ARP_OFF_THA   18
#define ARP_OFF_TPA   24

/* A parsed Ethernet/IPv4 ARP packet; addresses in host order. */
struct arp_view {
	uint16_t op;	/* ARP_OP_REQUEST or ARP_OP_REPLY */
	uint8_t sha[6]; /* sender hardware address */
	uint32_t spa;	/* sender protocol address */
	uint8_t tha[6]; /* target hardware address (zero in requests) */
	uint32_t tpa;	/* target protocol address */
};

/* Parses len bytes at p (trailing padding ignored). Returns DROP_NONE or an ARP_* reason. */
enum ts_drop_reason arp_parse(const uint8_t *p, size_t len, struct arp_view *v);
/* Writes the 28-byte packet described by v at p. */
void arp_build(uint8_t *p, const struct arp_view *v);

/* ARP state of one stack (struct arp_state, private to arp.c). */
struct arp_state;

/* Allocates st->arp.  0 or -ENOMEM. */
int arp_init(struct stack *st);
/* Frees every entry and the packets still queued (not counted as drops: shutdown). */
void arp_destroy(struct stack *st);
/* Handles one ARP packet at b->data; consumes b. */
void arp_input(struct stack *st, struct ts_buf *b);
/*
 * Sends the IPv4 packet b (b->data = IPv4 header) to next hop nh (host
 * order): now, or once resolved.  Consumes b.  Returns 0 (sent or queued,
 * perhaps pushing out this next hop's oldest waiting packet) or -errno
 * (-ENOBUFS: no entry could be made, or the waiting bytes are at their bound).
 */
int arp_resolve_and_send(struct stack *st, struct ts_buf *b, uint32_t nh);
/* Gratuitous ARP request for our own address (RFC 5227 §3 announcement). */
void arp_announce(struct stack *st);
/* Looks ip up; copies the MAC and returns 0 when reachable, -1 otherwise. */
int arp_lookup(struct stack *st, uint32_t ip, uint8_t mac[6]);
/* Entries in the neighbour cache, of any state. */
uint32_t arp_entry_count(const struct stack *st);
/* Bytes of buffers waiting for resolution, all next hops together. */
size_t arp_pending_bytes(const struct stack *st);

/*
 * Static entries (ip neigh add ... nud permanent): ip always resolves to
 * mac, without ARP, and ARP packets never change it nor evict it.  Returns
 * 0, -EEXIST (an entry exists and replace is false), -EINVAL (not a unicast
 * address of someone else) or -ENOBUFS (every entry is static already).
 */
int arp_static_add(struct stack *st, uint32_t ip, const uint8_t mac[6], bool replace);
/* Removes ip's entry, static or learnt.  0 or -ENOENT. */
int arp_static_del(struct stack *st, uint32_t ip);

/* One cache entry as listed (ip neigh show). */
enum arp_neigh_state { ARP_NEIGH_INCOMPLETE, ARP_NEIGH_REACHABLE, ARP_NEIGH_PERMANENT };
struct arp_neighbour {
	uint32_t ip;		    /* host order */
	uint8_t mac[6];		    /* meaningless while incomplete */
	enum arp_neigh_state state; /* of the entry */
};
/* Fills up to max entries; returns how many there are (may exceed max). */
size_t arp_list(struct stack *st, struct arp_neighbour *out, size_t max);

#endif
