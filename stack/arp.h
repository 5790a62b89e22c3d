/* arp.h - ARP (RFC 826). (Skeleton: the L2/L3 work fills this in.) */
#ifndef TS_ARP_H
#define TS_ARP_H
#include <stdint.h>
struct stack;
struct ts_buf;
struct arp_state {
	int unused; /* replaced by the cache */
};
int arp_init(struct stack *st);
void arp_destroy(struct stack *st);
void arp_input(struct stack *st, struct ts_buf *b);
/* Sends the IPv4 packet b to next hop nh (host order): now or after resolution. Consumes b. */
int arp_resolve_and_send(struct stack *st, struct ts_buf *b, uint32_t nh);
void arp_announce(struct stack *st);
#endif
