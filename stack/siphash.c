/*
 * siphash.c - SipHash-2-4 over whole 64-bit words, as the reference
 * implementation computes it on their little-endian bytes.
 */
#include "siphash.h"

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

/* One SipRound on the four state words. */
static inline void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

uint64_t siphash24_words(const uint64_t key[2], const uint64_t *m, size_t n)
{
	uint64_t v[4] = {key[0] ^ 0x736f6d6570736575ULL, key[1] ^ 0x646f72616e646f6dULL,
			 key[0] ^ 0x6c7967656e657261ULL, key[1] ^ 0x7465646279746573ULL};
	for (size_t i = 0; i <= n; i++) {
		/* The last block holds only the message length, in its top byte. */
		uint64_t w = i < n ? m[i] : (uint64_t)(8 * n) << 56;
		v[3] ^= w;
		sipround(v);
		sipround(v);
		v[0] ^= w;
	}
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
