/*
 * checksum.h - the Internet checksum (RFC 1071), computed a 64-bit word at
 * a time with end-around carry, and the IPv4 pseudo-header sum used by UDP
 * and TCP (RFC 768, RFC 9293 §3.1).
 *
 * Usage: sum = ts_csum_partial(data, len, 0) (chain several), then
 * ts_csum_fold(sum) gives the 16-bit one's-complement value to store, in
 * network byte order as two bytes (put_be16).  Verifying a header that
 * includes its checksum field: ts_csum_fold(...) == 0.
 *
 * Checksum offload (netdev.h): a sender that leaves a transport checksum
 * partial stores ts_csum_pseudo_field(pseudo-header sum) in the field;
 * ts_csum_complete() finishes it as the device would.
 */
#ifndef TS_CHECKSUM_H
#define TS_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Adds len bytes at data to the running 32-bit sum.  Chained calls must pass
 * even lengths except the last (the usual RFC 1071 rule).
 */
uint32_t ts_csum_partial(const void *data, size_t len, uint32_t sum);
/* Folds to 16 bits and complements: the value for the header field (host order). */
uint16_t ts_csum_fold(uint32_t sum);
/* Pseudo-header sum: source, destination (host order), protocol, length. */
uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/*
 * The value a sender leaving the checksum partial puts in the field: the
 * pseudo-header sum folded to 16 bits, not complemented (Linux
 * tcp_v4_send_check: th->check = ~tcp_v4_check(len, saddr, daddr, 0)).
 */
static inline uint16_t ts_csum_pseudo_field(uint32_t pseudo)
{
	return (uint16_t)~ts_csum_fold(pseudo);
}
/*
 * The checksum a device completing a partial one stores (virtio
 * NEEDS_CSUM): the complement of the sum of frame[csum_start, len), which
 * already includes the pseudo-header sum in the field at csum_start +
 * csum_offset.  A result of 0 is stored as 0xffff, the other zero of one's
 * complement arithmetic (Linux skb_checksum_help, CSUM_MANGLED_0): UDP
 * needs it (RFC 768: 0 means "no checksum"), and for TCP either zero
 * verifies.  Writes it to *value and returns 0, or -EINVAL when the field
 * does not lie inside the frame (nothing is written).
 */
int ts_csum_complete_value(const uint8_t *frame, size_t len, size_t csum_start, size_t csum_offset,
			   uint16_t *value);
/* ts_csum_complete_value, stored into the field (big-endian). 0 or -EINVAL. */
int ts_csum_complete(uint8_t *frame, size_t len, size_t csum_start, size_t csum_offset);

#endif
