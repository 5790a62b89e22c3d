/*
 * ipv4_reass.h - IPv4 reassembly (RFC 791 §3.2, RFC 815), bounded in memory
 * (cfg.reass_max_bytes, cfg.reass_max_datagrams) and time
 * (cfg.reass_timeout_ms).
 */
#ifndef TS_IPV4_REASS_H
#define TS_IPV4_REASS_H

#include <stddef.h>
#include <stdint.h>

struct stack;
struct ts_buf;
struct ipv4_view;

/* Largest datagram, header included (RFC 791 §3.1 "Total Length"). */
#define IPV4_MAX_DATAGRAM 65535
/* Reassembly works in 8-octet blocks: one bit per block of the payload. */
#define REASS_BLOCKS	   (IPV4_MAX_DATAGRAM / 8 + 1)
#define REASS_BITMAP_WORDS ((REASS_BLOCKS + 63) / 64)

/* Reassembly state of one stack (struct reass_state, private to ipv4_reass.c). */
struct reass_state;

/* Allocates st->reass.  0 or -ENOMEM. */
int ipv4_reass_init(struct stack *st);
/* Frees every datagram under reassembly (shutdown: not counted). */
void ipv4_reass_destroy(struct stack *st);
/*
 * Takes one fragment: b->network = its IPv4 header (described by v),
 * b->data = its payload, trimmed.  Consumes b.  Returns the reassembled
 * datagram (b->data = b->network = its IPv4 header, MF and offset cleared,
 * total length and checksum rewritten) when this fragment completed it,
 * else NULL.
 */
struct ts_buf *ipv4_reass_input(struct stack *st, struct ts_buf *b, const struct ipv4_view *v);
/* Datagrams under reassembly and the bytes they hold. */
void ipv4_reass_usage(const struct stack *st, uint32_t *datagrams, size_t *bytes);

#endif
