/*
 * tcp_wire.h - the TCP header as bytes (RFC 9293 §3.1): constants, options
 * (RFC 7323, RFC 2018, RFC 6691), the view (tcp_parse), the option walker
 * and builder, the checksum check and the --trace layers summary.  Nothing
 * here sees a connection or a struct stack: a golden frame is enough to
 * test it (smoltcp src/wire/tcp.rs).
 */
#ifndef TS_TCP_WIRE_H
#define TS_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "ip.h"

#define TCP_HDR_LEN	20 /* without options */
#define TCP_MAX_OPT_LEN 40 /* data offset 15 words minus the fixed header */
#define TCP_OFF_CSUM	16 /* the checksum field (a partial checksum's csum_offset) */

/* Control bits, in the order of the header's flags byte. */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

/* Option kinds (IANA "TCP Option Kind Numbers"). */
#define TCP_OPT_EOL	  0
#define TCP_OPT_NOP	  1
#define TCP_OPT_MSS	  2 /* RFC 9293 §3.7.1, RFC 6691 */
#define TCP_OPT_WS	  3 /* RFC 7323 §2 */
#define TCP_OPT_SACK_PERM 4 /* RFC 2018 §2 */
#define TCP_OPT_SACK	  5 /* RFC 2018 §3 */
#define TCP_OPT_TS	  8 /* RFC 7323 §3 */

#define TCP_MAX_WS	    14	/* RFC 7323 §2.3: shift counts above 14 are treated as 14 */
#define TCP_DEFAULT_MSS	    536 /* RFC 9293 §3.7.1: when the peer sends no MSS option */
#define TCP_MAX_SACK_BLOCKS 4	/* 4 fit in 40 option bytes without timestamps */

struct tcp_sack_block {
	uint32_t left;	/* first sequence number of the block */
	uint32_t right; /* sequence number after the last byte */
};

/* Options found in one segment.  has_* say which were present. */
struct tcp_opts {
	bool has_mss, has_ws, sack_perm, has_ts;
	uint16_t mss;					 /* MSS value */
	uint8_t ws;					 /* shift count as sent */
	uint32_t tsval, tsecr;				 /* RFC 7323 §3.2 */
	uint8_t nsack;					 /* SACK blocks present */
	struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS]; /* as received */
};

/* A parsed, length-checked TCP header (the view). */
struct tcp_view {
	uint16_t src_port, dst_port;
	uint32_t seq, ack;
	uint8_t data_off;   /* header length in bytes (data offset * 4) */
	uint8_t flags;	    /* TCP_FIN..TCP_CWR */
	uint16_t wnd;	    /* raw window field (unscaled) */
	uint16_t csum;	    /* checksum field as sent */
	uint16_t up;	    /* urgent pointer */
	const uint8_t *opt; /* options: opt_len bytes */
	uint8_t opt_len;
	const uint8_t *payload; /* segment text */
	uint32_t payload_len;
};

/*
 * Parses the TCP header at p (len bytes, the whole segment).  Returns
 * DROP_NONE and fills v, or DROP_TCP_TRUNCATED / DROP_TCP_BAD_OFF.  No
 * checksum check (the caller has the pseudo header).
 */
enum ts_drop_reason tcp_parse(const uint8_t *p, size_t len, struct tcp_view *v);
/* Walks the options of v (bounded, STYLE.md §2).  DROP_NONE or DROP_TCP_BAD_OPTIONS. */
enum ts_drop_reason tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_opts *o);
/* Verifies the checksum of the len-byte segment at p over the pseudo header of src, dst. */
bool tcp_csum_ok(const uint8_t *p, size_t len, const struct ip_addr *src,
		 const struct ip_addr *dst);
/*
 * Writes options into out (at most TCP_MAX_OPT_LEN bytes), NOP-padded to a
 * multiple of 4, in the order Linux uses so captures compare byte for byte:
 * SYN: MSS, SACK-permitted+TS (or NOP NOP TS / NOP NOP SACK-permitted), NOP WS.
 * Others: NOP NOP TS, NOP NOP SACK blocks.  Returns the length written.
 */
size_t tcp_build_options(uint8_t *out, bool syn, const struct tcp_opts *o);
/* One-line summary for --trace layers (snprintf semantics). */
int tcp_describe(const uint8_t *p, size_t len, char *out, size_t cap);
/* tcpdump's flag letters (S F R P U E W, '.' for ACK) into s (12 bytes). */
void tcp_flags_str(uint8_t flags, char *s);

#endif
