/*
 * ip.h - the network layer as the transports see it, for either family:
 * one address type (lwIP ip_addr_t, smoltcp wire::IpAddress), an endpoint
 * (address and port), the pseudo-header checksum of RFC 768 / RFC 9293
 * §3.1 (IPv4) and RFC 8200 §8.1 (IPv6), source address selection, and
 * ip_output(), which hands a transport segment to the family's output.
 *
 * TCP, UDP and the socket layer use only these; what differs between the
 * families (headers, fragmentation, neighbour resolution) sits below
 * ip_output() in ipv4.c (and ipv6.c).  An IPv4 address is kept in host
 * order, as the rest of the IPv4 code does; an IPv6 address as the 16
 * bytes of the wire.
 */
#ifndef TS_IP_H
#define TS_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "drop.h"

struct stack;
struct ts_buf;

struct ip_addr {
	uint8_t af; /* AF_INET or AF_INET6; 0 only in a zeroed (unset) address */
	union {
		uint32_t v4;	/* AF_INET: host order */
		uint8_t v6[16]; /* AF_INET6: network order */
	};
};

/* An address and a port (host order): what a sockaddr_in/_in6 names. */
struct ip_endpoint {
	struct ip_addr addr;
	uint16_t port;
};

/* The stack's one link, as a sin6_scope_id names it for link-local addresses. */
#define TS_LINK_INDEX 1

/* Longest text of ip_addr_str: an IPv6 address (INET6_ADDRSTRLEN). */
#define IP_ADDR_STRLEN 46

static inline struct ip_addr ip_addr_v4(uint32_t host_order)
{
	struct ip_addr a;
	memset(&a, 0, sizeof(a));
	a.af = AF_INET;
	a.v4 = host_order;
	return a;
}

static inline bool ip_addr_is_v4(const struct ip_addr *a)
{
	return a->af == AF_INET;
}

/* Same family and same address. */
static inline bool ip_addr_eq(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == AF_INET6)
		return memcmp(a->v6, b->v6, 16) == 0;
	return a->v4 == b->v4;
}

/* The unspecified address of its family (0.0.0.0, ::), or an unset one. */
static inline bool ip_addr_is_any(const struct ip_addr *a)
{
	static const uint8_t zero[16];
	if (a->af == AF_INET6)
		return memcmp(a->v6, zero, 16) == 0;
	return a->v4 == 0;
}

/*
 * Whether a socket bound to bound may receive what is addressed to addr:
 * the same address, or bound is the wildcard of addr's family.
 */
static inline bool ip_addr_matches(const struct ip_addr *bound, const struct ip_addr *addr)
{
	if (ip_addr_is_any(bound))
		return bound->af == 0 || bound->af == addr->af;
	return ip_addr_eq(bound, addr);
}

/*
 * Whether two bound addresses overlap, so that sockets on one port would
 * clash (inet_bind_conflict / inet_rcv_saddr_equal): equal addresses, or
 * a wildcard that covers the other.  An unset-family wildcard (af 0) is a
 * dual-stack socket's `::` and covers both families; `0.0.0.0` and an
 * IPV6_V6ONLY `::` cover only their own.
 */
static inline bool ip_addr_overlap(const struct ip_addr *a, const struct ip_addr *b)
{
	bool a_any = ip_addr_is_any(a), b_any = ip_addr_is_any(b);
	if (!a_any && !b_any)
		return ip_addr_eq(a, b);
	if ((a_any && a->af == 0) || (b_any && b->af == 0))
		return true;
	return a->af == b->af;
}

/*
 * How specifically a bound address matches addr (ip_addr_matches true):
 * 2 the same address, 1 its family's wildcard, 0 the dual-stack wildcard.
 * Linux's compute_score prefers the higher (an AF_INET socket on
 * 0.0.0.0:80 beats a dual-stack one on [::]:80 for IPv4).
 */
static inline int ip_addr_match_score(const struct ip_addr *bound)
{
	if (!ip_addr_is_any(bound))
		return 2;
	return bound->af != 0;
}

static inline struct ip_addr ip_addr_v6(const uint8_t a[16])
{
	struct ip_addr r;
	memset(&r, 0, sizeof(r));
	r.af = AF_INET6;
	memcpy(r.v6, a, 16);
	return r;
}

/* RFC 4291 §2.5.5.2: ::ffff:a.b.c.d, an IPv4 address as an AF_INET6 socket names it. */
static inline bool ip_v6_is_v4mapped(const uint8_t a[16])
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};
	return memcmp(a, prefix, 12) == 0;
}

/* The v4-mapped form of an IPv4 address (host order). */
static inline void ip_v4mapped(uint32_t v4, uint8_t out[16])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	out[12] = (uint8_t)(v4 >> 24);
	out[13] = (uint8_t)(v4 >> 16);
	out[14] = (uint8_t)(v4 >> 8);
	out[15] = (uint8_t)v4;
}

/* Formats a as "10.0.0.2" or "fd00::2" into out (IP_ADDR_STRLEN bytes). */
void ip_addr_str(const struct ip_addr *a, char *out, size_t cap);
/* "10.0.0.2:8080" or "[fd00::2]:8080", as ss prints endpoints. */
void ip_endpoint_str(const struct ip_addr *a, uint16_t port, char *out, size_t cap);

/*
 * The pseudo-header sum for a transport checksum: source, destination,
 * protocol and length (RFC 768, RFC 9293 §3.1; RFC 8200 §8.1 for IPv6),
 * to be chained with ts_csum_partial.
 */
uint32_t ip_csum_pseudo(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
			uint32_t len);

/*
 * Whether a can be a unicast destination: not a broadcast (255.255.255.255
 * or our subnet's) nor a multicast address.  RFC 1122 §4.2.3.10: TCP never
 * talks to the others.
 */
bool ip_addr_is_unicast(const struct stack *st, const struct ip_addr *a);
/* Whether a is one of our own unicast addresses. */
bool ip_addr_is_ours(const struct stack *st, const struct ip_addr *a);
/*
 * The source address for a datagram to dst (RFC 1122 §3.3.4.3): ours, of
 * dst's family.  Fills *src; returns 0, or -EADDRNOTAVAIL when we have no
 * address of that family.
 */
int ip_select_source(const struct stack *st, const struct ip_addr *dst, struct ip_addr *src);

/* Octets of the fixed network header of af's datagrams: 20 (IPv4), 40 (IPv6). */
static inline uint32_t ip_hdr_len(int af)
{
	return af == AF_INET6 ? 40 : 20;
}

/*
 * Per-datagram options: a socket's IP_TOS, IP_TTL and IP_MTU_DISCOVER.
 * pmtudisc takes Linux's values (<netinet/in.h>, ip(7)); 0 is
 * IP_PMTUDISC_DONT, what a zeroed struct (or opts NULL) means.  With the
 * path MTU of ip_pmtu_get (the link's for PROBE, INTERFACE and OMIT):
 *   DONT       no DF; fragmented above the path MTU
 *   WANT       DF when it fits and the estimate is not locked at the
 *              family's floor; fragmented above it (sockets' default)
 *   DO, PROBE  DF; -EMSGSIZE above the MTU
 *   INTERFACE  no DF; -EMSGSIZE above the link MTU
 *   OMIT       no DF; fragmented above the link MTU
 * (Linux __ip_make_skb, ip_dont_fragment, ip_sk_ignore_df.)
 */
struct ip_tx_opts {
	uint8_t tos;	  /* IPv4 type of service / IPv6 traffic class */
	uint8_t ttl;	  /* IPv4 TTL / IPv6 hop limit; 0: the stack's default (cfg.ttl) */
	uint8_t pmtudisc; /* IP_PMTUDISC_DONT .. IP_PMTUDISC_OMIT */
};
/* Whether a socket in mode pmtudisc uses the learned path MTU (not the link's). */
static inline bool ip_pmtudisc_uses_pmtu(uint8_t pmtudisc)
{
	return pmtudisc < IP_PMTUDISC_PROBE; /* PROBE and above use the link MTU */
}

/*
 * Sends the transport segment at b->data..b->tail from src to dst with the
 * given protocol, through the family's output (ipv4_output).  src and dst
 * must be of one family; opts may be NULL (TOS 0, default TTL, no DF,
 * fragmented above the path MTU).  Consumes b.  Returns 0 or -errno.
 */
int ip_output(struct stack *st, struct ts_buf *b, const struct ip_addr *src,
	      const struct ip_addr *dst, uint8_t proto, const struct ip_tx_opts *opts);

/*
 * Tells the sender of the datagram orig (b->network set, b->src and b->dst
 * of its family) that no socket takes its port: ICMP destination
 * unreachable code 3 (RFC 1122 §4.1.3.1) or ICMPv6 code 4 (RFC 4443
 * §3.1), with each family's rules (no error about a broadcast or
 * multicast, rate-limited).  Does not consume orig.
 */
void ip_send_port_unreach(struct stack *st, const struct ts_buf *orig);

/*
 * ---- Errors from the network, for either family ----
 *
 * An ICMP error (ICMPv4 or ICMPv6) is translated by its family's
 * ICMP input into one struct ip_err and handed to ip_err_input, which
 * passes it to the transport that sent the quoted datagram.  The
 * transports do the rest the same way for both families: find the
 * connection or socket from the quoted ports, check the quoted TCP
 * sequence number (RFC 5927 §4.1), then act as Linux does (tcp_v4_err /
 * tcp_v6_err, __udp4_lib_err / __udp6_lib_err): end a connect, keep a soft
 * error, report a hard one to a connected UDP socket, lower the path MTU.
 *
 * Contract for an ICMP input (icmp.c for IPv4, icmp6.c for IPv6):
 *   - it checked the message (checksum, not to a broadcast or multicast
 *     address) and that the quote holds the whole network header of a
 *     datagram from one of our addresses plus 8 octets of its transport
 *     header (RFC 792; RFC 4443 §2.4 (c) for ICMPv6), else a named drop;
 *   - it fills kind, err and hard from its table (ICMPv4: Linux
 *     icmp_err_convert; ICMPv6: icmpv6_err_convert), mtu for
 *     IP_ERR_PKT_TOO_BIG (0 when an old IPv4 router gave none; ICMPv6
 *     raises one below 1280 to 1280, RFC 8201 §4), and the quoted
 *     datagram's addresses, protocol, length and transport octets;
 *   - it calls ip_err_input and ends the ICMP message's frame with the
 *     drop reason it returns, or as delivered when it returns DROP_NONE.
 * Path MTU (ip_pmtu.h, either family): the transports call
 * ip_pmtu_update(st, &peer, mtu) for a validated IP_ERR_PKT_TOO_BIG (the
 * family's floor, IP_PMTU_MIN_V6 = 1280, applies itself); a family's output
 * asks ip_pmtu_get(st, &dst, &locked) for its DF / fragment decision with
 * the socket's pmtudisc (struct ip_tx_opts above); changes reach TCP
 * through tcp_pmtu_changed (tcp.h), which sizes SMSS with ip_hdr_len(af).
 */
enum ip_err_kind {
	IP_ERR_UNREACH = 1,   /* destination unreachable (ICMPv4 3 but code 4; ICMPv6 1) */
	IP_ERR_PKT_TOO_BIG,   /* fragmentation needed and DF set (ICMPv4 3/4, RFC 1191);
			       * packet too big (ICMPv6 2, RFC 8201) */
	IP_ERR_TIME_EXCEEDED, /* ICMPv4 11, ICMPv6 3 */
	IP_ERR_PARAM_PROBLEM, /* ICMPv4 12, ICMPv6 4 */
	IP_ERR_OTHER,	      /* an ICMPv6 error type we do not know (5..127): RFC 4443
			       * §2.4 (a) passes it up all the same */
};

struct ip_err {
	enum ip_err_kind kind;
	uint8_t type, code;   /* as received (for traces) */
	int err;	      /* the errno it means: ECONNREFUSED, EHOSTUNREACH, EMSGSIZE, ... */
	bool hard;	      /* a hard error (RFC 1122 §4.2.3.9, §4.1.3.3; Linux's "fatal") */
	uint32_t mtu;	      /* IP_ERR_PKT_TOO_BIG: the next-hop MTU given, 0 for none */
	uint32_t quoted_len;  /* the quoted datagram's length from its own header */
	struct ip_addr src;   /* the quoted datagram's source: one of our addresses */
	struct ip_addr dst;   /* its destination: the peer */
	uint8_t proto;	      /* its transport protocol */
	const uint8_t *quote; /* its transport header, as quoted */
	size_t quote_len;     /* octets at quote: 8 or more */
	struct ip_addr from;  /* who sent the ICMP message (a router, or the peer) */
};

/*
 * Hands e to the transport of e->proto: tcp_err_input (tcp.h) or
 * udp_err_input (udp.h), which take the same struct and return the same
 * way.  Returns DROP_NONE when the error was acted on (a connect ended, a
 * soft or hard error kept, the path MTU lowered), else the named reason it
 * changed nothing (ICMP_ERR_NO_SOCKET, ICMP_ERR_OUT_OF_WINDOW,
 * ICMP_ERR_IGNORED, ICMP_PMTU_NOT_LOWER).  Never consumes a buffer.
 */
enum ts_drop_reason ip_err_input(struct stack *st, const struct ip_err *e);

#endif
