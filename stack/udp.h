/*
 * udp.h - UDP (RFC 768, RFC 1122 §4.1): the header view, input (verify,
 * demultiplex to a socket, queue) and output, and udp_sock_ops (socket.h).
 */
#ifndef TS_UDP_H
#define TS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "drop.h"
#include "ip.h"

struct stack;
struct ts_buf;
struct ts_sock;

#define UDP_HDR_LEN 8
/* Largest payload: 65535 minus the IPv4 and UDP headers (udp(7) EMSGSIZE). */
#define UDP_MAX_PAYLOAD (65535 - 20 - UDP_HDR_LEN)

/* Offsets (RFC 768 "Format"). */
#define UDP_OFF_SPORT 0
#define UDP_OFF_DPORT 2
#define UDP_OFF_LEN   4
#define UDP_OFF_CSUM  6

/* Ephemeral port range: Linux's net.ipv4.ip_local_port_range default. */
#define UDP_EPHEMERAL_LO 32768
#define UDP_EPHEMERAL_HI 60999

/* Buckets of the port table (a power of two). */
#define UDP_HASH_SIZE 256

/* A parsed UDP header. */
struct udp_view {
	uint16_t sport, dport;
	uint16_t len;  /* the length field: header + payload */
	uint16_t csum; /* as received; 0 = the sender computed none */
	const uint8_t *payload;
	size_t payload_len; /* len - 8 */
};

/*
 * Parses the datagram at p (len octets of IP payload).  Checks, in order:
 * len ≥ 8, 8 ≤ length field ≤ len.  Returns DROP_NONE or a UDP_* reason.
 */
enum ts_drop_reason udp_parse(const uint8_t *p, size_t len, struct udp_view *v);
/*
 * Verifies the checksum of the datagram v describes (p: its first octet)
 * over the pseudo header of src and dst.  A field of 0 means "none sent"
 * (RFC 768), accepted over IPv4 only.
 */
bool udp_csum_ok(const uint8_t *p, const struct udp_view *v, const struct ip_addr *src,
		 const struct ip_addr *dst);
/*
 * Writes the 8-byte header at p in front of payload_len bytes already at
 * p + 8, checksum last (RFC 768: a computed 0 is sent as 0xffff).
 */
void udp_build(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len,
	       const struct ip_addr *src, const struct ip_addr *dst);

/* UDP state of one stack (struct udp_state, private to udp.c). */
struct udp_state;

/* Allocates st->udp.  0 or -ENOMEM. */
int udp_init(struct stack *st);
void udp_destroy(struct stack *st);
/*
 * An ICMP error about a datagram a UDP socket sent (ip.h, ip_err_input):
 * Linux __udp4_lib_err.  The socket of the quoted ports gets a hard error
 * on its next call when it is connected (or has IP_RECVERR); fragmentation
 * needed lowers the path MTU.  DROP_NONE, or why not.
 */
enum ts_drop_reason udp_err_input(struct stack *st, const struct ip_err *e);
/* Handles one datagram at b->data (b->network, src_ip, dst_ip set); consumes b. */
void udp_input(struct stack *st, struct ts_buf *b);
/* One-line summary of the UDP header at p for --trace layers (snprintf semantics). */
int udp_describe(const uint8_t *p, size_t len, char *out, size_t cap);
/* Lists UDP sockets (ss -uan style) after the TCP table. */
void udp_print_table(struct stack *st, FILE *out);
/* Sockets bound to a port. */
uint32_t udp_bound_count(const struct stack *st);
/* Received frames waiting in receive queues (the accounting's "held", stack.h). */
uint64_t udp_rx_held(const struct stack *st);

#endif
