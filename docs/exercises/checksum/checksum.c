/*
 * checksum.c - RFC 1071 Internet checksum: YOUR VERSION (exercise
 * "checksum", docs/exercises/checksum/README.md).
 *
 * `make exercise NAME=checksum` builds the whole stack with this file in
 * place of stack/checksum.c and runs the checks.  The three functions are
 * specified in stack/checksum.h; read it, then RFC 1071 §1, §2 and §4.1.
 */
#include "checksum.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

uint32_t ts_csum_partial(const void *data, size_t len, uint32_t sum)
{
	/*
	 * TODO: add len bytes at data to sum, as 16-bit big-endian words, in
	 * one's complement arithmetic (keep the carries: add them back in).
	 * An odd last byte is the high byte of a final word whose low byte
	 * is zero.  Return a sum that ts_csum_fold can finish.
	 */
	(void)data;
	(void)len;
	(void)sum;
	return 0;
}

uint16_t ts_csum_fold(uint32_t sum)
{
	/*
	 * TODO: fold the 32-bit sum to 16 bits (add the high half to the low
	 * half until nothing is left above bit 15) and return its one's
	 * complement: the value for the header field, in host order.
	 */
	(void)sum;
	return 0;
}

uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	/*
	 * TODO: the sum of the IPv4 pseudo-header (RFC 768, RFC 9293 §3.1):
	 * source and destination address (two words each, host order here),
	 * a zero byte and the protocol (one word), the length (one word).
	 */
	(void)src;
	(void)dst;
	(void)proto;
	(void)len;
	return 0;
}

int ts_csum_complete_value(const uint8_t *frame, size_t len, size_t csum_start, size_t csum_offset,
			   uint16_t *value)
{
	/* Linux skb_partial_csum_set: the field must lie inside the frame. */
	if (csum_start > len || csum_offset > len - csum_start ||
	    len - csum_start - csum_offset < 2)
		return -EINVAL;
	uint16_t c = ts_csum_fold(ts_csum_partial(frame + csum_start, len - csum_start, 0));
	*value = c ? c : 0xffff;
	return 0;
}

int ts_csum_complete(uint8_t *frame, size_t len, size_t csum_start, size_t csum_offset)
{
	uint16_t c;
	int r = ts_csum_complete_value(frame, len, csum_start, csum_offset, &c);
	if (r == 0) {
		frame[csum_start + csum_offset] = (uint8_t)(c >> 8);
		frame[csum_start + csum_offset + 1] = (uint8_t)c;
	}
	return r;
}
