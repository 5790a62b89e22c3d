/* eth.h - Ethernet II. (Skeleton: the L2/L3 work fills this in.) */
#ifndef TS_ETH_H
#define TS_ETH_H
#include <stdint.h>
struct stack;
struct ts_buf;
#define ETH_HDR_LEN 14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
/* Handles one received frame at b->data; consumes b. */
void eth_input(struct stack *st, struct ts_buf *b);
/* Pushes an Ethernet header (our MAC as source) and sends; consumes b. */
int eth_output(struct stack *st, struct ts_buf *b, const uint8_t dst[6], uint16_t type);
#endif
