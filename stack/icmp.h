/* icmp.h - ICMP (RFC 792). (Skeleton: the L2/L3 work fills this in.) */
#ifndef TS_ICMP_H
#define TS_ICMP_H
#include <stdint.h>
struct stack;
struct ts_buf;
struct icmp_state {
	int unused;
};
void icmp_input(struct stack *st, struct ts_buf *b);
#endif
