/*
 * eth.c - Ethernet II.
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
	if (len < ETH_HDR_LEN)
		return DROP_ETH_TRUNCATED;
	v->dst = p + ETH_OFF_DST;
	v->src = p + ETH_OFF_SRC;
	v->type = get_be16(p + ETH_OFF_TYPE);
	v->payload = p + ETH_HDR_LEN;
	v->payload_len = len - ETH_HDR_LEN;
	return DROP_NONE;
}

void eth_build(uint8_t *p, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(p + ETH_OFF_DST, dst, ETH_ADDR_LEN);
	memcpy(p + ETH_OFF_SRC, src, ETH_ADDR_LEN);
	put_be16(p + ETH_OFF_TYPE, type);
}

void eth_ntoa(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- input ---- */

/* EtherType → handler (microps net.c).  Each handler consumes the buffer. */
static const struct {
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
	struct eth_view v;
	enum ts_drop_reason r = eth_parse(b->data, ts_buf_len(b), &v);

	if (r != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	if (memcmp(v.dst, st->cfg.mac, ETH_ADDR_LEN) != 0) {
		/* Broadcast, or the multicast MAC of an IPv6 group we
		 * joined (a NIC's multicast filter). */
		if (memcmp(v.dst, eth_broadcast, ETH_ADDR_LEN) == 0) {
			b->link_bcast = 1;
		} else if (!ipv6_mcast_mac_wanted(st, v.dst)) {
			ts_drop(st, b, DROP_ETH_NOT_FOR_US);
			return;
		}
	}
	if (memcmp(v.src, st->cfg.mac, ETH_ADDR_LEN) == 0) {
		/* Our own broadcast looped back (a bridge, or a wire in a test). */
		ts_drop(st, b, DROP_ETH_FROM_SELF);
		return;
	}
	for (size_t i = 0; i < sizeof(eth_handlers) / sizeof(eth_handlers[0]); i++) {
		if (eth_handlers[i].type == v.type) {
			ts_buf_pull(b, ETH_HDR_LEN);
			eth_handlers[i].input(st, b);
			return;
		}
	}
	ts_drop(st, b, DROP_ETH_UNKNOWN_TYPE);
}

/* ---- output ---- */

/*
 * Pushes the Ethernet header in front of b->data (our MAC as source) and
 * sends the frame.  Consumes b.  Returns 0 or -errno.
 */
int eth_output(struct stack *st, struct ts_buf *b, const uint8_t dst[6], uint16_t type)
{
	if (ts_buf_headroom(b) < ETH_HDR_LEN) {
		/* A caller bug (buffer allocated without TS_BUF_HEADROOM). */
		ts_drop(st, b, DROP_LINK_TX_FAIL);
		return -ENOBUFS;
	}
	eth_build(ts_buf_push(b, ETH_HDR_LEN), dst, st->cfg.mac, type);
	return stack_link_output(st, b);
}
