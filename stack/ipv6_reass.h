/*
 * ipv6_reass.h - IPv6 reassembly (RFC 8200 §4.5, RFC 5722, RFC 7112),
 * bounded in memory (cfg.ip6_reass_max_bytes, cfg.ip6_reass_max_dgrams:
 * the oldest datagram is evicted first) and time (cfg.ip6_reass_timeout_ms,
 * 60 s).
 */
#ifndef TS_IPV6_REASS_H
#define TS_IPV6_REASS_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ts_buf;
struct ipv6_ext;

/* Reassembly state of one stack (struct ip6_reass, private to ipv6_reass.c). */
struct ip6_reass;

/* Allocates st->reass6.  0 or -ENOMEM. */
int ipv6_reass_init(struct stack *st);
/* Frees every datagram under reassembly (shutdown: not counted). */
void ipv6_reass_destroy(struct stack *st);
/*
 * Takes one fragment that is not atomic: b->data = b->network = its IPv6
 * header, trimmed to 40 + payload length; x from ipv6_walk_ext (frag_off,
 * frag_nh_off).  Consumes b.  Returns the reassembled datagram (b->data =
 * b->network = its IPv6 header; the first fragment's unfragmentable part,
 * the Fragment header gone, the Next Header that named it now naming what
 * followed it, the payload length rewritten) when this fragment completed
 * it, else NULL.
 */
struct ts_buf *ipv6_reass_input(struct stack *st, struct ts_buf *b, const struct ipv6_ext *x);
/* Datagrams under reassembly (discarded ones waiting for their timer included) and the bytes
 * they hold. */
void ipv6_reass_usage(const struct stack *st, uint32_t *datagrams, size_t *bytes);

#endif
