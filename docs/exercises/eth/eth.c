/*
 * eth.c - Ethernet II: YOUR VERSION (exercise "eth",
 * docs/exercises/eth/README.md).  `make exercise NAME=eth` builds the stack
 * with this file in place of stack/eth.c and checks it.
 *
 * Yours to write (TODO below): eth_parse, eth_build, eth_input and
 * eth_output, specified in eth.h.  Given: the broadcast address,
 * eth_ntoa and the EtherType table.
 *
 * What the reference does, for orientation:
 *
 * Receive: eth_parse (view) → destination filter (our MAC, broadcast, or
 * the 33:33:* MAC of an IPv6 group we joined, RFC 2464 §7: all-nodes and
 * our solicited-node groups; the kernel's MLD reports to other groups are
 * ordinary ETH_NOT_FOR_US input, not errors) → EtherType table →
 * arp_input / ipv4_input / ipv6_input.  Send: eth_output pushes the header into
 * the buffer's headroom and calls stack_link_output.
 *
 * Frames are not padded to 60 bytes on send: TAP and the in-memory wire
 * carry short frames, and the padding would be one more copy for nothing.
 * Received padding is trimmed by IPv4 (total length) and ARP (fixed size).
 *
 * Read first: IEEE 802.3 §3.2 (frame format), RFC 894 (IPv4 over Ethernet).
 */
#include "eth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arp.h"
#include "byteorder.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack.h"

const uint8_t eth_broadcast[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* ---- view ---- */

enum ts_drop_reason eth_parse(const uint8_t *p, size_t len, struct eth_view *v)
{
	/*
	 * TODO: at least ETH_HDR_LEN bytes (else DROP_ETH_TRUNCATED); dst and src
	 * point into the frame, type read big-endian (get_be16), payload after
	 * the header, to the end of the frame.
	 */
	(void)p;
	(void)len;
	(void)v;
	return DROP_ETH_TRUNCATED;
}

void eth_build(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	/*
	 * TODO: destination, source, type (big-endian, put_be16) at the ETH_OFF_*
	 * offsets.
	 */
	(void)p;
	(void)dst;
	(void)src;
	(void)type;
}

void eth_ntoa(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- input ---- */

/* EtherType → handler (microps net.c).  Each handler consumes the buffer. */
__attribute__((unused)) static const struct {
	uint16_t type;
	void (*input)(struct stack *st, struct ts_buf *b);
} eth_handlers[] = {
    {ETH_TYPE_ARP, arp_input},
    {ETH_TYPE_IPV4, ipv4_input},
    {ETH_TYPE_IPV6, ipv6_input},
};

/*
 * Handles one frame at b->data..b->tail.  Consumes b: hands it, with the
 * header pulled, to the EtherType's handler, or drops it with a reason.
 */
void eth_input(struct stack *st, struct ts_buf *b)
{
	/*
	 * TODO: parse (drop with the reason on failure); keep only frames for our
	 * MAC (st->cfg.mac), broadcast (then set b->link_bcast = 1) or the
	 * multicast MAC of an IPv6 group we joined (ipv6_mcast_mac_wanted, in
	 * ipv6.h), else DROP_ETH_NOT_FOR_US; drop our own frames looped back
	 * (DROP_ETH_FROM_SELF); find the EtherType in eth_handlers, pull the
	 * header (ts_buf_pull) and hand b over; an unknown type is
	 * DROP_ETH_UNKNOWN_TYPE.
	 */
	ts_drop(st, b, DROP_ETH_TRUNCATED);
}

/* ---- output ---- */

/*
 * Pushes the Ethernet header in front of b->data (our MAC as source) and
 * sends the frame.  Consumes b.  Returns 0 or -errno.
 */
int eth_output(struct stack *st, struct ts_buf *b, const uint8_t dst[6], uint16_t type)
{
	/*
	 * TODO: push ETH_HDR_LEN bytes in front of b->data (ts_buf_push; check
	 * ts_buf_headroom first: DROP_LINK_TX_FAIL and -ENOBUFS if there is not
	 * enough), build the header with our MAC as source, and send the frame
	 * with stack_link_output (which consumes b).
	 */
	(void)dst;
	(void)type;
	ts_drop(st, b, DROP_LINK_TX_FAIL);
	return -ENOBUFS;
}
