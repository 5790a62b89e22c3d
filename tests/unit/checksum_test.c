/*
 * checksum_test.c - RFC 1071 checksum against known vectors.
 */
#include <string.h>

#include "tsunit.h"
#include "checksum.h"
#include "byteorder.h"

/* RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
START_TEST(rfc1071_example)
{
	const uint8_t d[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(d, sizeof(d), 0)), (uint16_t)~0xddf2);
}
END_TEST

/* A real IPv4 header (Wikipedia's example): checksum field b861. */
START_TEST(ipv4_header_vector)
{
	uint8_t h[20];
	ts_parse_hex("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7", h, sizeof(h));
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(h, 20, 0)), 0xb861);
	put_be16(h + 10, 0xb861);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(h, 20, 0)), 0);
}
END_TEST

/* Reference: a byte-at-a-time RFC 1071 sum. */
static uint16_t slow_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Every length 0..300 and every alignment 0..7, pseudo-random bytes. */
START_TEST(matches_reference_all_lengths_alignments)
{
	uint8_t buf[320];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++)
			ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(buf + off, len, 0)),
					  slow_csum(buf + off, len));
}
END_TEST

/* All-ones data: the sum must not collapse to 0 through a carry bug. */
START_TEST(all_ones_carry)
{
	uint8_t buf[64];
	memset(buf, 0xff, sizeof(buf));
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(buf, sizeof(buf), 0)), slow_csum(buf, 64));
}
END_TEST

/* Chaining an even-length prefix and a pseudo-header gives the one-shot result. */
START_TEST(chained_with_pseudo)
{
	uint8_t all[12 + 9];
	uint8_t seg[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	put_be32(all, 0x0a000001);
	put_be32(all + 4, 0x0a000002);
	all[8] = 0;
	all[9] = 17;
	put_be16(all + 10, 9);
	memcpy(all + 12, seg, 9);
	uint32_t s = ts_csum_pseudo(0x0a000001, 0x0a000002, 17, 9);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(seg, 9, s)), slow_csum(all, sizeof(all)));
}
END_TEST

static Suite *checksum_suite(void)
{
	Suite *s = suite_create("checksum");
	TCase *tc = tcase_create("vectors");
	tcase_add_test(tc, rfc1071_example);
	tcase_add_test(tc, ipv4_header_vector);
	tcase_add_test(tc, matches_reference_all_lengths_alignments);
	tcase_add_test(tc, all_ones_carry);
	tcase_add_test(tc, chained_with_pseudo);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(checksum_suite)
