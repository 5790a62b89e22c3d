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
#include <sys/socket.h>

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

/* Per-datagram options: a socket's IP_TOS, IP_TTL and Don't Fragment. */
struct ip_tx_opts {
	uint8_t tos; /* IPv4 type of service / IPv6 traffic class */
	uint8_t ttl; /* IPv4 TTL / IPv6 hop limit; 0: the stack's default (cfg.ttl) */
	bool df;     /* IPv4 Don't Fragment: -EMSGSIZE above the MTU instead */
};

/*
 * Sends the transport segment at b->data..b->tail from src to dst with the
 * given protocol, through the family's output (ipv4_output).  src and dst
 * must be of one family; opts may be NULL (TOS 0, default TTL, may be
 * fragmented).  Consumes b.  Returns 0 or -errno.
 */
int ip_output(struct stack *st, struct ts_buf *b, const struct ip_addr *src,
	      const struct ip_addr *dst, uint8_t proto, const struct ip_tx_opts *opts);

#endif
