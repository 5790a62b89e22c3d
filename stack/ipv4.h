/*
 * ipv4.h - IPv4 (RFC 791, RFC 1122 §3): the header view, input (validate,
 * filter, reassemble, dispatch by protocol) and output (route, fragment,
 * resolve).  We are a host: nothing is forwarded.
 */
#ifndef TS_IPV4_H
#define TS_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"
#include "ip.h"
#include "ipv4_reass.h"

struct stack;
struct ts_buf;

#define IPV4_PROTO_ICMP 1
#define IPV4_PROTO_TCP	6
#define IPV4_PROTO_UDP	17

#define IPV4_HDR_LEN	 20 /* without options */
#define IPV4_MAX_HDR_LEN 60
#define IPV4_BROADCAST	 0xffffffffu

/* Offsets in the header (RFC 791 §3.1 "Internet Header Format"). */
#define IPV4_OFF_VER_IHL 0
#define IPV4_OFF_TOS	 1
#define IPV4_OFF_TOTLEN	 2
#define IPV4_OFF_ID	 4
#define IPV4_OFF_FRAG	 6 /* flags (3 bits) and fragment offset (13 bits) */
#define IPV4_OFF_TTL	 8
#define IPV4_OFF_PROTO	 9
#define IPV4_OFF_CSUM	 10
#define IPV4_OFF_SRC	 12
#define IPV4_OFF_DST	 16
#define IPV4_FLAG_DF	 0x4000
#define IPV4_FLAG_MF	 0x2000
#define IPV4_FRAG_MASK	 0x1fff

/* Option kinds that are one octet long (RFC 791 §3.1 "Options"). */
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1

/* A parsed IPv4 header; addresses in host order. */
struct ipv4_view {
	uint8_t hdr_len; /* IHL * 4 */
	uint8_t tos;
	uint16_t total_len; /* header + payload */
	uint16_t id;
	bool df, mf;	   /* flags */
	uint16_t frag_off; /* in octets (field * 8) */
	uint8_t ttl;
	uint8_t proto;
	uint16_t csum; /* as received */
	uint32_t src, dst;
	const uint8_t *payload; /* total_len - hdr_len octets */
};

/*
 * Parses the header at p (len octets available, Ethernet padding
 * included).  Checks, in order: length ≥ 20, version, IHL ≥ 5, length ≥
 * IHL*4, IHL*4 ≤ total ≤ len, checksum, options well-formed.  Returns
 * DROP_NONE or the first failing IPV4_* reason; on IPV4_BAD_CSUM and
 * IPV4_BAD_OPTIONS the view is filled (the tracer still prints it).
 */
enum ts_drop_reason ipv4_parse(const uint8_t *p, size_t len, struct ipv4_view *v);
/* Writes a 20-byte header (no options) at p, checksum included. */
void ipv4_build(uint8_t *p, const struct ipv4_view *v);
/* Formats a host-order address as dotted quad into out (16 bytes). */
void ipv4_ntoa(uint32_t ip, char out[16]);

/* IPv4 state of one stack (struct ipv4_state, private to ipv4.c). */
struct ipv4_state;

/* Allocates st->ipv4.  0 or -ENOMEM. */
int ipv4_init(struct stack *st);
void ipv4_destroy(struct stack *st);
/* ip is in our connected subnet (a neighbour we send to directly). */
bool ipv4_on_link(const struct stack *st, uint32_t ip);
/* 255.255.255.255 or our subnet's directed broadcast. */
bool ipv4_is_broadcast(const struct stack *st, uint32_t ip);
/* Handles one datagram at b->data (Ethernet header pulled); consumes b. */
void ipv4_input(struct stack *st, struct ts_buf *b);
/*
 * b->data is the transport header; pushes the IPv4 header, fragments above the
 * MTU, routes and resolves.  src 0 means our address.  Consumes b.
 * Returns 0 or -errno (-ENETUNREACH, -EMSGSIZE, -ENOBUFS).
 */
int ipv4_output(struct stack *st, struct ts_buf *b, uint32_t src, uint32_t dst, uint8_t proto);
/*
 * ipv4_output with a socket's options (TOS, TTL, IP_MTU_DISCOVER: DF and
 * the size limit, ip.h); opts may be NULL (no DF, fragmented above the path
 * MTU).
 */
int ipv4_output_opts(struct stack *st, struct ts_buf *b, uint32_t src, uint32_t dst, uint8_t proto,
		     const struct ip_tx_opts *opts);

#endif
