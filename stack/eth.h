/*
 * eth.h - Ethernet II (IEEE 802.3 framing with an EtherType, no FCS: the
 * link strips it).  The view (eth_parse) reads a header from bytes alone;
 * eth_input filters by destination and dispatches by EtherType through a
 * table; eth_output pushes our header and hands the frame to the link.
 */
#ifndef TS_ETH_H
#define TS_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "drop.h"

struct stack;
struct ts_buf;

#define ETH_HDR_LEN   14
#define ETH_ADDR_LEN  6
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IPV6 0x86dd

/* Offsets in the header (IEEE 802.3 §3.2). */
#define ETH_OFF_DST  0
#define ETH_OFF_SRC  6
#define ETH_OFF_TYPE 12

extern const uint8_t eth_broadcast[ETH_ADDR_LEN];

/* A parsed Ethernet II header; dst/src point into the frame. */
struct eth_view {
	const uint8_t *dst; /* destination MAC (6 bytes) */
	const uint8_t *src; /* source MAC (6 bytes) */
	uint16_t type;	    /* EtherType, host order */
	const uint8_t *payload;
	size_t payload_len; /* everything after the header, padding included */
};

/* Parses len bytes at p.  Returns DROP_NONE, or DROP_ETH_TRUNCATED. */
enum ts_drop_reason eth_parse(const uint8_t *p, size_t len, struct eth_view *v);
/* Writes a 14-byte header at p. */
void eth_build(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type);
/* Group bit (broadcast or multicast) of a MAC address. */
static inline int eth_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}
/* Formats mac as aa:bb:cc:dd:ee:ff into out (18 bytes). */
void eth_ntoa(const uint8_t *mac, char out[18]);

/* Handles one received frame at b->data; consumes b. */
void eth_input(struct stack *st, struct ts_buf *b);
/* Pushes an Ethernet header (our MAC as source) and sends; consumes b. Returns 0 or -errno. */
int eth_output(struct stack *st, struct ts_buf *b, const uint8_t dst[6], uint16_t type);

#endif
