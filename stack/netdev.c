/*
 * netdev.c - the parts of the link contract (netdev.h) that are more than a
 * call through the ops table: default capabilities, the metadata-free
 * receive that hands a caller real bytes, and what a device with checksum
 * offload checks before it completes a partial checksum.
 */
#include "netdev.h"

#include <errno.h>

#include "checksum.h"

void netdev_caps(struct netdev *d, struct netdev_caps *caps)
{
	*caps = (struct netdev_caps){0};
	if (d->ops->caps) {
		d->ops->caps(d, caps);
		return;
	}
	caps->max_tx_frame = caps->max_rx_frame = NETDEV_JUMBO_FRAME;
}

int netdev_meta_complete(uint8_t *frame, size_t len, struct netdev_meta *meta)
{
	if (meta->csum != NETDEV_CSUM_PARTIAL)
		return 0;
	int r = ts_csum_complete(frame, len, meta->csum_start, meta->csum_offset);
	if (r == 0)
		meta->csum = NETDEV_CSUM_NONE;
	return r;
}

ssize_t netdev_recv(struct netdev *d, uint8_t *buf, size_t cap, uint64_t now_us)
{
	struct netdev_meta m;
	ssize_t n = netdev_recv_meta(d, buf, cap, &m, now_us);
	if (n > 0 && netdev_meta_complete(buf, (size_t)n, &m) < 0)
		return -EINVAL;
	return n;
}

uint32_t netdev_partial_proto(const uint8_t *frame, size_t len, const struct netdev_meta *m)
{
	if (m->csum != NETDEV_CSUM_PARTIAL || len < 14 + 20)
		return 0;
	if (frame[12] == 0x86 && frame[13] == 0xdd) {
		/* IPv6 (RFC 8200 §3): the transport right after the 40-octet
		 * fixed header, named by its Next Header (octet 6). */
		const uint8_t *ip6 = frame + 14;
		if (len < 14 + 40 || ip6[0] >> 4 != 6 || m->csum_start != 14 + 40)
			return 0;
		if (ip6[6] == 6)
			return m->csum_offset == 16 ? NETDEV_OFFLOAD_TCP6 : 0;
		if (ip6[6] == 17)
			return m->csum_offset == 6 ? NETDEV_OFFLOAD_UDP6 : 0;
		return 0;
	}
	/* Ethernet II (14 octets) then IPv4, read at the RFC 791 offsets. */
	if (frame[12] != 0x08 || frame[13] != 0)
		return 0;
	const uint8_t *ip = frame + 14;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ip[0] >> 4 != 4 || ihl < 20 || 14 + ihl > len || m->csum_start != 14 + ihl)
		return 0;
	if (((ip[6] & 0x3f) | ip[7]) != 0)
		return 0; /* MF or an offset: a fragment carries no whole transport segment */
	switch (ip[9]) {
	case 6:
		return m->csum_offset == 16 ? NETDEV_OFFLOAD_TCP4 : 0;
	case 17:
		return m->csum_offset == 6 ? NETDEV_OFFLOAD_UDP4 : 0;
	case 1:
		return m->csum_offset == 2 ? NETDEV_OFFLOAD_ICMP4 : 0;
	default:
		return 0;
	}
}
