/*
 * icmp.h - ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2): echo (both ways),
 * destination unreachable (sent, rate-limited), the message view.
 */
#ifndef TS_ICMP_H
#define TS_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct stack;
struct ts_buf;

#define ICMP_HDR_LEN 8

/* Types (RFC 792). */
#define ICMP_ECHO_REPLY	   0
#define ICMP_DEST_UNREACH  3
#define ICMP_SOURCE_QUENCH 4
#define ICMP_REDIRECT	   5
#define ICMP_ECHO_REQUEST  8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM_PROBLEM 12
/* Destination unreachable codes. */
#define ICMP_UNREACH_NET      0
#define ICMP_UNREACH_HOST     1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT     3
#define ICMP_UNREACH_NEEDFRAG 4

/* Offsets (RFC 792: type, code, checksum, then rest-of-header). */
#define ICMP_OFF_TYPE 0
#define ICMP_OFF_CODE 1
#define ICMP_OFF_CSUM 2
#define ICMP_OFF_ID   4 /* echo: identifier */
#define ICMP_OFF_SEQ  6 /* echo: sequence number */

/* Original datagram octets quoted in an error: RFC 1812 §4.3.2.3 keeps the
 * error within 576 octets (RFC 792 needs only header + 64 bits). */
#define ICMP_ERR_QUOTE_MAX (576 - 20 - ICMP_HDR_LEN)

/* A parsed ICMP message. */
struct icmp_view {
	uint8_t type, code;
	uint16_t csum;
	uint16_t id, seq;    /* echo request/reply; raw rest-of-header otherwise */
	const uint8_t *data; /* after the 8-octet header */
	size_t data_len;
};

/*
 * Parses len octets at p (length only: icmp_csum_ok checks the sum, which
 * a link may have validated already).  Returns DROP_NONE or ICMP_TRUNCATED.
 */
enum ts_drop_reason icmp_parse(const uint8_t *p, size_t len, struct icmp_view *v);
/* Whether the checksum over the whole message (len octets at p) verifies (RFC 792). */
bool icmp_csum_ok(const uint8_t *p, size_t len);
/* True for the types that are errors (never answered with an error, RFC 1122 §3.2.2). */
int icmp_is_error(uint8_t type);
/* Writes an echo header at p and the checksum over p..p+8+data_len (data already in place). */
void icmp_build_echo(uint8_t *p, uint8_t type, uint16_t id, uint16_t seq, size_t data_len);

typedef void (*icmp_echo_reply_fn)(void *ctx, uint32_t src, uint16_t id, uint16_t seq,
				   const uint8_t *data, size_t len, uint8_t ttl);

/* ICMP state of one stack (struct icmp_state, private to icmp.c). */
struct icmp_state;

/* Allocates st->icmp: no echo handler, a full error bucket.  0 or -ENOMEM. */
int icmp_init(struct stack *st);
void icmp_destroy(struct stack *st);
/* Handles one message at b->data (b->network, src_ip, dst_ip set); consumes b. */
void icmp_input(struct stack *st, struct ts_buf *b);
/*
 * ICMP destination unreachable (code: 2 protocol, 3 port) about the datagram in orig
 * (orig->network = its IPv4 header, orig->tail = its end); does not consume orig;
 * rate-limited; never about ICMP errors, broadcasts, or fragments other than the first.
 */
void icmp_send_dest_unreach(struct stack *st, const struct ts_buf *orig, uint8_t code);
/* ICMP time exceeded (code 1: reassembly time exceeded, RFC 792), same rules as above. */
#define ICMP_TIMXCEED_REASS 1
void icmp_send_time_exceeded(struct stack *st, const struct ts_buf *orig, uint8_t code);
/* Sends an echo request with len octets of data (up to 65507).  Returns 0 or -errno. */
int icmp_echo_request(struct stack *st, uint32_t dst, uint16_t id, uint16_t seq,
		      const uint8_t *data, size_t len);
/* Sets where echo replies go (NULL: they are counted as ICMP_UNHANDLED_TYPE). */
void icmp_set_echo_handler(struct stack *st, icmp_echo_reply_fn fn, void *ctx);

#endif
