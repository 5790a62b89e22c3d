/*
 * nd6.h - IPv6 neighbour discovery for hosts (RFC 4861): neighbour
 * solicitations and advertisements (received, answered, sent), and the
 * neighbour cache with its reachability states (§7.3) and a bounded queue
 * of packets waiting for resolution.  Router discovery is rd6.c, DAD
 * (RFC 4862) ipv6.c, MLD mld6.c; redirects are not followed (docs/ipv6.md).
 */
#ifndef TS_ND6_H
#define TS_ND6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct stack;
struct ts_buf;
struct icmp6_view;

/* Most entries, the ceiling of cfg.nd6_max_entries. */
#define ND6_MAX_ENTRIES 1024

/* NS and NA: 4-octet ICMPv6 header, 4 octets of flags/reserved, target (§4.3, §4.4). */
#define ND6_MSG_LEN	 24
#define ND6_OFF_FLAGS	 4 /* NA: R, S, O in the first octet */
#define ND6_OFF_TARGET	 8
#define ND6_OFF_OPTIONS	 24
#define ND6_NA_ROUTER	 0x80
#define ND6_NA_SOLICITED 0x40
#define ND6_NA_OVERRIDE	 0x20
/* Options (§4.6): type, length in units of 8 octets. */
#define ND6_OPT_SRC_LLADDR 1
#define ND6_OPT_TGT_LLADDR 2

/* Protocol constants (§10), in microseconds. */
#define ND6_MAX_MULTICAST_SOLICIT 3
#define ND6_MAX_UNICAST_SOLICIT	  3
#define ND6_RETRANS_TIMER_US	  1000000u
#define ND6_REACHABLE_TIME_US	  30000000u
#define ND6_DELAY_FIRST_PROBE_US  5000000u

/* Neighbour Unreachability Detection states (§7.3.2), plus static entries. */
enum nd6_nud {
	ND6_NONE,	/* free slot */
	ND6_INCOMPLETE, /* NS sent to the solicited-node group, packets may wait */
	ND6_REACHABLE,	/* confirmed within ReachableTime */
	ND6_STALE,	/* link-layer address known, not confirmed lately */
	ND6_DELAY,	/* sent to while STALE: waiting before probing */
	ND6_PROBE,	/* unicast NS sent, waiting for an NA */
	ND6_PERMANENT,	/* static (ts_neigh_add) */
};

/* One cache entry as listed (ip -6 neigh show). */
struct nd6_neighbour {
	uint8_t addr[16];
	uint8_t mac[6]; /* meaningless while INCOMPLETE */
	enum nd6_nud state;
};

struct nd6_state;
int nd6_init(struct stack *st);
/* Frees every entry and the packets still queued (not counted: shutdown). */
void nd6_destroy(struct stack *st);

/* NS / NA at b->data (ICMPv6 checksum checked by icmp6_input); consume b. */
void nd6_ns_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v);
void nd6_na_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v);

/*
 * Sends the IPv6 datagram b (b->data = IPv6 header) to the on-link
 * neighbour nh: now, or once resolved (§7.2.2).  nh may point into b.
 * Consumes b.  0 (sent or queued) or -errno.
 */
int nd6_resolve_and_send(struct stack *st, struct ts_buf *b, const uint8_t nh[16]);
/* Sends an NS for target: to its solicited-node group, or unicast to it (probe). */
void nd6_send_ns(struct stack *st, const uint8_t target[16], const uint8_t *src, bool unicast,
		 const uint8_t mac[6]);

/* A DAD probe for our tentative target (RFC 4862 §5.4.2). */
void nd6_send_dad_ns(struct stack *st, const uint8_t target[16]);

/* Static entries, as arp_static_add/del (arp.h).  0 or -errno. */
/* A neighbour's link-layer address, unsolicited (an NS's or an RA's source
 * option): a new or changed entry is STALE (§7.2.3, §6.3.4). */
void nd6_learn(struct stack *st, const uint8_t src[16], const uint8_t mac[6]);
/* Whether addr has a cache entry with a link-layer address (any state but INCOMPLETE). */
bool nd6_has_lladdr(struct stack *st, const uint8_t addr[16]);
int nd6_static_add(struct stack *st, const uint8_t addr[16], const uint8_t mac[6], bool replace);
int nd6_static_del(struct stack *st, const uint8_t addr[16]);
/* Fills up to max entries; returns how many there are. */
size_t nd6_list(struct stack *st, struct nd6_neighbour *out, size_t max);
/* Entries in use; bytes of packets waiting. */
uint32_t nd6_entry_count(const struct stack *st);
size_t nd6_pending_bytes(const struct stack *st);

#endif
