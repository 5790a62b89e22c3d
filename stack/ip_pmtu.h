/*
 * ip_pmtu.h - the path MTU cache, for either family: per destination
 * (struct ip_addr), the largest datagram the path is known to carry, as
 * learned from ICMP "fragmentation needed" (RFC 1191) and "packet too big"
 * (RFC 8201).  Linux keeps the same in its route exceptions (fnhe,
 * __ip_rt_update_pmtu, ip_rt_mtu_expires).
 *
 * Used by TCP's MSS (tcp_err.c) and by the output's DF / fragment decision
 * (ipv4_output; ipv6.c's output should do the same with its family's
 * minimum).  Estimates only go down on an ICMP error; they come back up
 * when they expire (cfg.pmtu_expires_ms, Linux's 10 minutes, RFC 1191 §6.3:
 * the next too-big datagram draws a new error if the path has not changed).
 * A destination without an estimate has the link's MTU (cfg.mtu).
 *
 * Bounded: at most IP_PMTU_MAX_ENTRIES estimates; a new one evicts the one
 * closest to expiry.  Every change (lowered, expired, evicted) is passed to
 * tcp_pmtu_changed, which resizes the connections to that destination.
 * Lookups hash the address with SipHash under a key drawn when the first
 * estimate is stored, so nobody can pick addresses that share a chain.
 */
#ifndef TS_IP_PMTU_H
#define TS_IP_PMTU_H

#include <stdbool.h>
#include <stdint.h>

#include "ip.h"

struct stack;

/* Linux ip_rt_min_pmtu (512 + 20 + 20): IPv4 estimates never go lower. */
#define IP_PMTU_MIN_V4 552
/* RFC 8200 §5: every IPv6 link carries 1280 octets. */
#define IP_PMTU_MIN_V6 1280
/* Estimates held at once. */
#define IP_PMTU_MAX_ENTRIES 256

/* Allocates st->pmtu (empty).  0 or -ENOMEM. */
int ip_pmtu_init(struct stack *st);
void ip_pmtu_destroy(struct stack *st);

/* The smallest estimate for af's paths (IP_PMTU_MIN_V4 / _V6). */
uint32_t ip_pmtu_min(int af);

/*
 * The path MTU toward dst: its estimate, or the link's (cfg.mtu).  *locked
 * (locked may be NULL): the estimate sits at the family's floor because a
 * router asked for less, so datagrams of IP_PMTUDISC_WANT sockets go
 * without DF (Linux ip_mtu_locked) and may be fragmented on the way.
 */
uint32_t ip_pmtu_get(const struct stack *st, const struct ip_addr *dst, bool *locked);

/*
 * A router said the path toward dst carries mtu octets (RFC 1191 §6.1,
 * RFC 8201 §4): lowers the estimate to mtu, or to the family's floor
 * (locked) when mtu is below it, for cfg.pmtu_expires_ms.  Never raises
 * one.  Returns the estimate now in force when it changed (and then calls
 * tcp_pmtu_changed), 0 when nothing changed (mtu not below it).
 */
uint32_t ip_pmtu_update(struct stack *st, const struct ip_addr *dst, uint32_t mtu);

/*
 * RFC 1191 §7 table of plateaus: the largest one below total_len, for a
 * router that gave no next-hop MTU (§5: it predates RFC 1191); 68 at least.
 */
uint32_t ip_pmtu_plateau(uint32_t total_len);

/* Estimates held now. */
uint32_t ip_pmtu_count(const struct stack *st);

#endif
