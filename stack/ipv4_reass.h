/*
 * ipv4_reass.h - IPv4 reassembly (RFC 791 §3.2, RFC 815), bounded in memory
 * (cfg.reass_max_bytes, cfg.reass_max_datagrams) and time
 * (cfg.reass_timeout_ms).
 */
#ifndef TS_IPV4_REASS_H
#define TS_IPV4_REASS_H

#include <stddef.h>
#include <stdint.h>

#include "timer.h"

struct stack;
struct ts_buf;
struct ipv4_view;

/* Largest datagram, header included (RFC 791 §3.1 "Total Length"). */
#define IPV4_MAX_DATAGRAM 65535
/* Reassembly works in 8-octet blocks: one bit per block of the payload. */
#define REASS_BLOCKS	   (IPV4_MAX_DATAGRAM / 8 + 1)
#define REASS_BITMAP_WORDS ((REASS_BLOCKS + 63) / 64)

/* One datagram under reassembly, keyed by (src, dst, proto, id) (RFC 791 §3.2). */
struct reass_dgram {
	struct reass_dgram *next; /* list of datagrams under reassembly */
	uint32_t src, dst;	  /* key, host order */
	uint16_t id;		  /* key */
	uint8_t proto;		  /* key */
	uint8_t hdr_len;	  /* header length of fragment 0, 0 until it came */
	uint8_t hdr[60];	  /* fragment 0's header, reused for the datagram */
	uint32_t total_len;	  /* payload length once the last fragment came, else 0 */
	uint32_t max_end;	  /* highest payload end seen */
	uint32_t blocks_filled;	  /* 8-octet blocks received */
	struct ts_buf *data;	  /* payload assembled at data->data, may grow */
	size_t mem;		  /* bytes charged to cfg.reass_max_bytes */
	struct ts_timer timer;	  /* RFC 791 reassembly timer */
	uint64_t filled[REASS_BITMAP_WORDS]; /* which blocks arrived */
};

struct reass_state {
	struct reass_dgram *list; /* newest first */
	uint32_t datagrams;	  /* at most cfg.reass_max_datagrams */
	size_t mem;		  /* sum of datagrams' mem, at most cfg.reass_max_bytes */
};

void ipv4_reass_init(struct stack *st);
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

#endif
