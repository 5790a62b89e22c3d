/* ipv4.h - IPv4 (RFC 791, RFC 1122). (Skeleton: the L2/L3 work fills this in.) */
#ifndef TS_IPV4_H
#define TS_IPV4_H
#include <stdint.h>
struct stack;
struct ts_buf;
#define IPV4_PROTO_ICMP 1
#define IPV4_PROTO_TCP 6
#define IPV4_PROTO_UDP 17
struct ipv4_state {
	uint16_t next_id; /* replaced by the full state */
};
int ipv4_init(struct stack *st);
void ipv4_destroy(struct stack *st);
void ipv4_input(struct stack *st, struct ts_buf *b);
/*
 * b->data is the transport header; pushes the IPv4 header, fragments above the
 * MTU, routes and resolves.  src 0 means our address.  Consumes b.
 * Returns 0 or -errno (-ENETUNREACH, -EMSGSIZE, -ENOBUFS).
 */
int ipv4_output(struct stack *st, struct ts_buf *b, uint32_t src, uint32_t dst, uint8_t proto);
#endif
