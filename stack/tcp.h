/* tcp.h - TCP (RFC 9293). (Skeleton: the TCP work fills this in.) */
#ifndef TS_TCP_H
#define TS_TCP_H
#include <stddef.h>
#include <stdint.h>
struct stack;
struct ts_buf;
struct tcp_state {
	int unused;
};
int tcp_init(struct stack *st);
void tcp_destroy(struct stack *st);
void tcp_input(struct stack *st, struct ts_buf *b);
/* One-line summary of the TCP header at p for --trace layers (snprintf semantics). */
int tcp_describe(const uint8_t *p, size_t len, char *out, size_t cap);
#endif
