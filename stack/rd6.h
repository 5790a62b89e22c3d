/*
 * rd6.h - router discovery for a host (RFC 4861 §6.3): router
 * solicitations at start-up, router advertisements validated (§6.1.2) and
 * kept as a bounded default router list and on-link prefix list (§5.1),
 * the link MTU and hop limit they announce, and the next hop of a datagram
 * to an off-link destination (§5.2).  Addresses stay static: the Prefix
 * Information option's A flag (SLAAC, RFC 4862) is not acted on.
 *
 * Call order: icmp6_input → rd6_ra_input; ipv6_output → rd6_next_hop;
 * stack_init → rd6_start (cfg.router_solicit).
 */
#ifndef TS_RD6_H
#define TS_RD6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stack;
struct ts_buf;
struct icmp6_view;

/* Router advertisement (§4.2): ICMPv6 header, hop limit, flags, router
 * lifetime, reachable time, retrans timer; then options. */
#define RD6_RA_LEN	  16
#define RD6_OFF_HOP_LIMIT 4
#define RD6_OFF_LIFETIME  6
#define RD6_OFF_OPTIONS	  16
#define RD6_RS_LEN	  8 /* router solicitation: header and 4 reserved octets */
#define RD6_OPT_PREFIX	  3 /* Prefix Information (§4.6.2) */
#define RD6_OPT_MTU	  5 /* MTU (§4.6.4) */
#define RD6_PREFIX_ONLINK 0x80

/* Host constants (§10). */
#define RD6_MAX_RTR_SOLICITATIONS	  3
#define RD6_RTR_SOLICITATION_INTERVAL_US  4000000u
#define RD6_MAX_RTR_SOLICITATION_DELAY_US 1000000u

/* Bounds of the lists (an attacker on the link may advertise many). */
#define RD6_MAX_ROUTERS	 4
#define RD6_MAX_PREFIXES 8

int rd6_init(struct stack *st);
void rd6_destroy(struct stack *st);
/* Starts soliciting: RD6_MAX_RTR_SOLICITATIONS, the first after
 * RD6_MAX_RTR_SOLICITATION_DELAY_US, until an advertisement arrives. */
void rd6_start(struct stack *st);
/* A router advertisement at b->data (icmp6_input checked type and checksum). Consumes b. */
void rd6_ra_input(struct stack *st, struct ts_buf *b, const struct icmp6_view *v);
/* Whether a is in an advertised on-link prefix (§5.2: on-link determination). */
bool rd6_on_link(const struct stack *st, const uint8_t a[16]);
/* The default router for an off-link destination (§6.3.6: a reachable
 * one first, else round robin), or NULL when the list is empty. */
const uint8_t *rd6_default_router(struct stack *st);
/* The link MTU (an MTU option, §6.3.4, else the link's) and the hop limit
 * (Cur Hop Limit, else cfg.ttl) for what we originate over IPv6. */
uint32_t rd6_link_mtu(const struct stack *st);
uint8_t rd6_hop_limit(const struct stack *st);

#endif
