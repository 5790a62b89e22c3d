/*
 * icmp6.h - ICMPv6 (RFC 4443): the message view, echo (answered, and sent
 * for tapstack ping with the replies handed to a handler), the
 * parameter problem error (sent, rate-limited), and the dispatch of
 * neighbour discovery messages to nd6.c.
 */
#ifndef TS_ICMP6_H
#define TS_ICMP6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct stack;
struct ts_buf;

#define ICMP6_HDR_LEN 4 /* type, code, checksum (RFC 4443 §2.1) */

/* Types (RFC 4443 §2.1, RFC 4861 §4, RFC 3810 §5). */
#define ICMP6_DEST_UNREACH     1
#define ICMP6_PACKET_TOO_BIG   2
#define ICMP6_TIME_EXCEEDED    3
#define ICMP6_PARAM_PROBLEM    4
#define ICMP6_ECHO_REQUEST     128
#define ICMP6_ECHO_REPLY       129
#define ICMP6_MLD_QUERY	       130
#define ICMP6_MLD_REPORT       131
#define ICMP6_MLD_DONE	       132
#define ICMP6_ROUTER_SOLICIT   133
#define ICMP6_ROUTER_ADVERT    134
#define ICMP6_NEIGHBOR_SOLICIT 135
#define ICMP6_NEIGHBOR_ADVERT  136
#define ICMP6_REDIRECT	       137
#define ICMP6_MLD2_REPORT      143

#define ICMP6_OFF_TYPE 0
#define ICMP6_OFF_CODE 1
#define ICMP6_OFF_CSUM 2
#define ICMP6_OFF_ID   4 /* echo: identifier */
#define ICMP6_OFF_SEQ  6 /* echo: sequence number */

/* Echo header: type, code, checksum, identifier, sequence (RFC 4443 §4.1). */
#define ICMP6_ECHO_HDR_LEN 8
/* The most data an echo carries: the payload length is 16 bits (RFC 8200
 * §3) and no jumbogram is sent. */
#define ICMP6_ECHO_DATA_MAX (65535 - ICMP6_ECHO_HDR_LEN)

/* RFC 4443 §2.4 (c): an error quotes as much of the offending packet as
 * fits in the minimum MTU: 1280 - 40 (IPv6) - 8 (ICMPv6 error header). */
#define ICMP6_ERR_QUOTE_MAX (1280 - 40 - 8)

/* A parsed ICMPv6 message. */
struct icmp6_view {
	uint8_t type, code;
	uint16_t csum;
	const uint8_t *body; /* after the 4-octet header */
	size_t body_len;
};

/* Parses len octets at p (length only).  DROP_NONE or ICMP6_TRUNCATED. */
enum ts_drop_reason icmp6_parse(const uint8_t *p, size_t len, struct icmp6_view *v);
/* The checksum over the pseudo-header (RFC 8200 §8.1) and the message. */
uint16_t icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *p, size_t len);

/* ICMPv6 state of one stack (struct icmp6_state, private to icmp6.c). */
struct icmp6_state;
int icmp6_init(struct stack *st);
void icmp6_destroy(struct stack *st);

/* Handles one message at b->data (b->network, src, dst set); consumes b. */
void icmp6_input(struct stack *st, struct ts_buf *b);
/*
 * Parameter problem (code, pointer: an octet offset into the offending
 * packet, RFC 4443 §3.4) about the datagram at orig->network..orig->tail,
 * after the RFC 4443 §2.4 (e) checks and the rate limit (§2.4 (f)).  Does
 * not consume orig.
 */
/* Destination unreachable (RFC 4443 §3.1: code 4, port unreachable, for a
 * UDP datagram no socket takes), with the same checks and limit. */
#define ICMP6_UNREACH_PORT 4
void icmp6_send_dest_unreach(struct stack *st, const struct ts_buf *orig, uint8_t code);
void icmp6_send_param_problem(struct stack *st, const struct ts_buf *orig, uint8_t code,
			      uint32_t pointer);
/* Whether an ICMPv6 error may go now (token bucket, takes a token). */
bool icmp6_err_allowed(struct stack *st);

/* An echo reply for tapstack ping: its source, identifier, sequence, the
 * data after them, and the hop limit it arrived with. */
typedef void (*icmp6_echo_reply_fn)(void *ctx, const uint8_t src[16], uint16_t id, uint16_t seq,
				    const uint8_t *data, size_t len, uint8_t hop_limit);
/*
 * Sends an echo request (RFC 4443 §4.1) to dst with len octets of data (up
 * to ICMP6_ECHO_DATA_MAX), from the source selected for dst.  Returns 0 or
 * -errno (-EMSGSIZE, -EADDRNOTAVAIL, -ENOBUFS, ipv6_output's).
 */
int icmp6_echo_request(struct stack *st, const uint8_t dst[16], uint16_t id, uint16_t seq,
		       const uint8_t *data, size_t len);
/* Sets where echo replies go (NULL: they are dropped as
 * ICMP6_ECHO_REPLY_UNHANDLED). */
void icmp6_set_echo_handler(struct stack *st, icmp6_echo_reply_fn fn, void *ctx);

#endif
