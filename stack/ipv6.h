/*
 * ipv6.h - IPv6 for a host (RFC 8200, addressing RFC 4291): the header
 * view, the extension-header walk, our addresses and multicast groups,
 * input (validate, filter, walk, dispatch) and output (header, neighbour
 * discovery or the multicast MAC).  We are a host: nothing is forwarded.
 */
#ifndef TS_IPV6_H
#define TS_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "ip.h"

struct stack;
struct ts_buf;

#define IPV6_HDR_LEN  40
#define IPV6_MIN_MTU  1280 /* RFC 8200 §5 */
#define IPV6_ADDR_LEN 16

/* Next Header values (IANA "Assigned Internet Protocol Numbers"). */
#define IPV6_NH_HOPOPTS	 0
#define IPV6_NH_TCP	 6
#define IPV6_NH_UDP	 17
#define IPV6_NH_ROUTING	 43
#define IPV6_NH_FRAGMENT 44
#define IPV6_NH_ICMPV6	 58
#define IPV6_NH_NONE	 59
#define IPV6_NH_DSTOPTS	 60

/* Offsets in the fixed header (RFC 8200 §3). */
#define IPV6_OFF_VER_TC_FLOW 0 /* version (4 bits), traffic class (8), flow label (20) */
#define IPV6_OFF_PLEN	     4
#define IPV6_OFF_NEXT	     6
#define IPV6_OFF_HOPS	     7
#define IPV6_OFF_SRC	     8
#define IPV6_OFF_DST	     24

/* A parsed fixed header; addresses point into the packet. */
struct ipv6_view {
	uint8_t tclass;
	uint32_t flow;
	uint16_t payload_len; /* octets after the 40-octet header */
	uint8_t next;	      /* Next Header of the fixed header */
	uint8_t hop_limit;
	const uint8_t *src, *dst;
	const uint8_t *payload;
};

/*
 * Parses the fixed header at p (len octets available, Ethernet padding
 * included).  Checks length ≥ 40, version 6, 40 + payload length ≤ len.
 * Returns DROP_NONE or the first failing IPV6_* reason.
 */
enum ts_drop_reason ipv6_parse(const uint8_t *p, size_t len, struct ipv6_view *v);
/* Writes the 40-octet header described by v at p (src, dst copied). */
void ipv6_build(uint8_t *p, const struct ipv6_view *v);

/*
 * What the extension-header walk found.  On DROP_NONE: proto and off (the
 * upper-layer header, from the start of the IPv6 header) and nh_off (where
 * the Next Header field naming proto sits, for a parameter problem about
 * an unknown protocol).  A fragment that is not atomic (RFC 8200 §4.5)
 * ends the walk with DROP_NONE too: frag_off is then its Fragment header's
 * offset (never 0) and frag_nh_off that of the field naming it; proto,
 * off and nh_off are not set.  On a drop: icmp_code/icmp_ptr describe the
 * parameter problem to send (RFC 4443 §3.4) when send_icmp is set.
 */
struct ipv6_ext {
	uint8_t proto;
	uint32_t off;
	uint32_t nh_off;
	uint32_t frag_off;    /* 0: no fragment to reassemble */
	uint32_t frag_nh_off; /* the Next Header field that names the Fragment header */
	bool send_icmp;
	uint8_t icmp_code;
	uint32_t icmp_ptr;
};
/* Parameter problem codes (RFC 4443 §3.4). */
#define ICMP6_PARAM_HEADER 0 /* erroneous header field */
#define ICMP6_PARAM_NEXT   1 /* unrecognized Next Header type */
#define ICMP6_PARAM_OPTION 2 /* unrecognized IPv6 option */
#define ICMP6_PARAM_CHAIN  3 /* first fragment has an incomplete header chain (RFC 7112 §5) */

/* The Fragment header (RFC 8200 §4.5): Next Header, reserved, offset
 * (13 bits, 8-octet units) with M in bit 0, identification. */
#define IPV6_FRAG_HDR_LEN     8
#define IPV6_FRAG_OFF_OFFM    2 /* offset and M, from the Fragment header */
#define IPV6_FRAG_OFF_ID      4
#define IPV6_FRAG_OFFSET_MASK 0xfff8
#define IPV6_FRAG_M	      0x0001
/* The largest payload length (RFC 8200 §3: 16 bits; no jumbograms here). */
#define IPV6_MAX_PAYLOAD 65535

/*
 * Walks the extension headers of the datagram at p (len = 40 + payload
 * length), each bounded by len (RFC 8200 §4).  dst_mcast: the destination
 * is multicast (option types 11 send no error then, §4.2).
 */
enum ts_drop_reason ipv6_walk_ext(const uint8_t *p, size_t len, bool dst_mcast, struct ipv6_ext *x);

/* ---- addresses (RFC 4291) ---- */

static inline bool ipv6_is_multicast(const uint8_t a[16])
{
	return a[0] == 0xff; /* §2.7 */
}
static inline bool ipv6_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; /* fe80::/10, §2.5.6 */
}
bool ipv6_is_unspecified(const uint8_t a[16]);
/* fe80::/64 with the modified EUI-64 interface identifier of mac (§2.5.1, App. A). */
void ipv6_link_local_from_mac(const uint8_t mac[6], uint8_t out[16]);
/* The solicited-node group of a: ff02::1:ff00:0/104 + its low 24 bits (§2.7.1). */
void ipv6_solicited_node(const uint8_t a[16], uint8_t out[16]);
/* The Ethernet MAC of a multicast group: 33:33 + its low 32 bits (RFC 2464 §7). */
void ipv6_mcast_mac(const uint8_t group[16], uint8_t mac[6]);
extern const uint8_t ipv6_all_nodes[16]; /* ff02::1 */

/* IPv6 state of one stack (struct ipv6_state, private to ipv6.c). */
struct ipv6_state;
/* Allocates st->ipv6 and derives the link-local address.  0 or -ENOMEM. */
int ipv6_init(struct stack *st);
void ipv6_destroy(struct stack *st);

/* Our link-local address; our static one (NULL when none is configured,
 * or while it is tentative or found duplicate). */
const uint8_t *ipv6_link_local(const struct stack *st);
const uint8_t *ipv6_global(const struct stack *st);
/* Our static address whatever its DAD state (NULL when none): its group is joined. */
const uint8_t *ipv6_static_addr(const struct stack *st);
/*
 * Duplicate address detection (RFC 4862 §5.4), when cfg.dad is set:
 * ipv6_dad_begin makes both addresses tentative, ipv6_dad_probe (after the
 * MLD report that joins their groups, §5.4.2) sends the probes;
 * RetransTimer later those nobody objected to are ours.  nd6.c reports an
 * objection (an NA for the address, or another node's probe for it) with
 * ipv6_dad_duplicate.
 */
void ipv6_dad_begin(struct stack *st);
void ipv6_dad_probe(struct stack *st);
bool ipv6_is_tentative(const struct stack *st, const uint8_t a[16]);
void ipv6_dad_duplicate(struct stack *st, const uint8_t a[16]);
/* Whether a is one of our unicast addresses (not tentative, not duplicate). */
bool ipv6_is_ours(const struct stack *st, const uint8_t a[16]);
/* Whether a is a group we joined: all-nodes, a solicited-node group of ours. */
bool ipv6_is_our_group(const struct stack *st, const uint8_t a[16]);
/* Whether the Ethernet multicast mac is that of a group we joined. */
bool ipv6_mcast_mac_wanted(const struct stack *st, const uint8_t mac[6]);
/* Whether a is on link: link-local, or on our static address's prefix. */
bool ipv6_on_link(const struct stack *st, const uint8_t a[16]);
/*
 * Source for a datagram to dst (RFC 6724 §5 rule 2, scope): the link-local
 * address for link-local and multicast link-scope destinations, else the
 * static one.  0 or -EADDRNOTAVAIL.
 */
int ipv6_select_source(const struct stack *st, const uint8_t dst[16], uint8_t src[16]);

/* Handles one datagram at b->data (Ethernet header pulled); consumes b. */
void ipv6_input(struct stack *st, struct ts_buf *b);
/*
 * b->data is the upper-layer header; pushes the IPv6 header (hop limit
 * from opts, else cfg.ttl; 255 for ND is the caller's opts) and sends it:
 * to the group's MAC for multicast, through neighbour discovery otherwise.
 * Above the path MTU (ip_pmtu_get; the link's for a group) it sends
 * fragments instead (RFC 8200 §4.5), a GSO buffer excepted.
 * src NULL means the source selected for dst (ipv6_select_source).
 * Consumes b.  0 or -errno (-ENETUNREACH, -EMSGSIZE, -EADDRNOTAVAIL,
 * -ENOBUFS).
 */
int ipv6_output(struct stack *st, struct ts_buf *b, const uint8_t *src, const uint8_t dst[16],
		uint8_t proto, const struct ip_tx_opts *opts);

#endif
