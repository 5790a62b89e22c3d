/* udp.h - UDP (RFC 768). (Skeleton: the socket work fills this in.) */
#ifndef TS_UDP_H
#define TS_UDP_H
#include <stddef.h>
#include <stdint.h>
struct stack;
struct ts_buf;
struct udp_state {
	int unused;
};
int udp_init(struct stack *st);
void udp_destroy(struct stack *st);
void udp_input(struct stack *st, struct ts_buf *b);
/* One-line summary of the UDP header at p for --trace layers (snprintf semantics). */
int udp_describe(const uint8_t *p, size_t len, char *out, size_t cap);
#endif
