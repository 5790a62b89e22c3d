/*
 * checksum.h - the Internet checksum (RFC 1071), computed a 64-bit word at
 * a time with end-around carry, and the IPv4 pseudo-header sum used by UDP
 * and TCP (RFC 768, RFC 9293 §3.1).
 *
 * Usage: sum = ts_csum_partial(data, len, 0) (chain several), then
 * ts_csum_fold(sum) gives the 16-bit one's-complement value to store, in
 * network byte order as two bytes (put_be16).  Verifying a header that
 * includes its checksum field: ts_csum_fold(...) == 0.
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

#endif
