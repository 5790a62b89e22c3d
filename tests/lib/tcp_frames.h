/*
 * tcp_frames.h - hand-built TCP segments for state fixtures: a frame from
 * the peer (10.0.0.1, MAC 02:00:00:00:00:01) to the test stack (10.0.0.2,
 * MAC 02:00:00:00:00:02, ts_test_stack's defaults), with valid IPv4 and TCP
 * checksums, so a test controls every sequence number and flag.
 */
#ifndef TS_TCP_FRAMES_H
#define TS_TCP_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define TS_PEER_IP 0x0a000001u /* 10.0.0.1 */
#define TS_OUR_IP  0x0a000002u /* 10.0.0.2 */

extern const uint8_t ts_peer_mac[6]; /* 02:00:00:00:00:01 */
extern const uint8_t ts_our_mac[6];  /* 02:00:00:00:00:02 */

/* Writes the peer's broadcast ARP request for our address into f (42
 * bytes, returned): fed first, it teaches the stack the peer's MAC. */
size_t ts_arp_request_from_peer(uint8_t *f);

/*
 * Writes Ethernet + IPv4 (DF, TTL 64) + TCP (options opt[0..optlen), which
 * must be a multiple of 4, then len bytes of data) into f; returns the
 * frame's length.  f must hold 54 + optlen + len bytes.
 */
size_t ts_tcp_frame_from_peer(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq,
			      uint32_t ack, uint8_t flags, uint16_t wnd, const uint8_t *opt,
			      size_t optlen, const void *data, size_t len);

/*
 * The same from anyone to anyone: Ethernet src_mac -> dst_mac, IPv4
 * src_ip -> dst_ip (host order), for spoofed segments (a SYN flood).
 */
size_t ts_tcp_frame(uint8_t *f, const uint8_t src_mac[6], const uint8_t dst_mac[6], uint32_t src_ip,
		    uint32_t dst_ip, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		    uint8_t flags, uint16_t wnd, const uint8_t *opt, size_t optlen,
		    const void *data, size_t len);

#endif
