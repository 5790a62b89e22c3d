/*
 * checksum.c - RFC 1071 Internet checksum.
 *
 * The one's-complement sum is byte-order independent (RFC 1071 §2(B)), so we
 * add 64-bit native words with end-around carry and swap once at the end on
 * little-endian machines.  memcpy loads keep it alignment- and aliasing-safe;
 * compilers turn them into plain loads.
 */
#include "checksum.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

static inline uint64_t add_carry64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < a);
}

static uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

uint32_t ts_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = 0;

	while (len >= 32) {
		uint64_t w[4];
		memcpy(w, p, 32);
		acc = add_carry64(acc, w[0]);
		acc = add_carry64(acc, w[1]);
		acc = add_carry64(acc, w[2]);
		acc = add_carry64(acc, w[3]);
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc = add_carry64(acc, w);
		p += 8;
		len -= 8;
	}
	if (len) {
		/* The tail, zero-padded: an odd last byte is the high byte of a
		 * big-endian 16-bit word, which in memory order is just padding. */
		uint64_t w = 0;
		memcpy(&w, p, len);
		acc = add_carry64(acc, w);
	}
	uint16_t folded = fold64(acc);
#if __BYTE_ORDER == __LITTLE_ENDIAN
	folded = (uint16_t)((folded >> 8) | (folded << 8));
#endif
	/* Keep the running sum in host arithmetic, big-endian word values. */
	uint64_t total = (uint64_t)sum + folded;
	return (uint32_t)((total & 0xffffffffu) + (total >> 32));
}

uint16_t ts_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t ts_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len)
{
	uint64_t s = (src >> 16) + (src & 0xffffu) + (dst >> 16) + (dst & 0xffffu) + proto + len;
	return (uint32_t)s;
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
