/* tcp_frames.c - hand-built TCP segments from the peer (tcp_frames.h). */
#include "tcp_frames.h"

#include <string.h>

#include "arp.h"
#include "byteorder.h"
#include "checksum.h"

const uint8_t ts_peer_mac[6] = {2, 0, 0, 0, 0, 1};
const uint8_t ts_our_mac[6] = {2, 0, 0, 0, 0, 2};

size_t ts_arp_request_from_peer(uint8_t *f)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, ts_peer_mac, 6);
	put_be16(f + 12, 0x0806);
	struct arp_view av = {.op = ARP_OP_REQUEST, .spa = TS_PEER_IP, .tpa = TS_OUR_IP};
	memcpy(av.sha, ts_peer_mac, 6);
	arp_build(f + 14, &av);
	return 42;
}

size_t ts_tcp_frame(uint8_t *f, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t src_ip,
		    uint32_t dst_ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t wnd, const uint8_t *opt, size_t optlen,
		    const void *data, size_t len)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	size_t tcplen = 20 + optlen + len;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + tcplen));
	put_be16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put_be32(ip + 12, src_ip);
	put_be32(ip + 16, dst_ip);
	put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, 20, 0)));
	uint8_t *h = ip + 20;
	memset(h, 0, 20);
	put_be16(h, sport);
	put_be16(h + 2, dport);
	put_be32(h + 4, seq);
	put_be32(h + 8, ack);
	h[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	h[13] = flags;
	put_be16(h + 14, wnd);
	if (optlen)
		memcpy(h + 20, opt, optlen);
	if (len)
		memcpy(h + 20 + optlen, data, len);
	uint32_t sum = ts_csum_pseudo(src_ip, dst_ip, 6, (uint16_t)tcplen);
	put_be16(h + 16, ts_csum_fold(ts_csum_partial(h, tcplen, sum)));
	return 14 + 20 + tcplen;
}

size_t ts_tcp_frame_from_peer(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq,
			      uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt,
			      size_t optlen, const void *data, size_t len)
{
	return ts_tcp_frame(f, ts_peer_mac, ts_our_mac, TS_PEER_IP, TS_OUR_IP, sport, dport, seq,
			    ack, flags, wnd, opt, optlen, data, len);
}
