/*
 * tcp_syncookie_test.c - the SYN cookie encoding (stack/tcp_syncookie.c)
 * against values computed by hand, outside this code: SipHash-2-4 from its
 * paper's description, checked with the paper's test vector, then Linux's
 * cookie formula (tcp_syncookie.h) over the documented words:
 *
 *   keys  K0 = 00 01 .. 0f, K1 = 10 11 .. 1f (the SipHash key bytes)
 *   tuple 10.0.0.2:8080 <- 10.0.0.1:40000, SSEQ 0x12345678, COUNT 0x2a
 *   H0 = SipHash(K0, [0x0a0000020a000001, 0x1f909c4000000000]) mod 2^32
 *      = 0x7c537644
 *   H1 = SipHash(K1, [0x0a0000020a000001, 0x1f909c400000002a]) mod 2^32
 *      = 0x4ee94784
 *   cookie(MSSIND 2) = 0x7c537644 + 0x12345678 + 0x2a000000
 *                      + ((0x4ee94784 + 2) mod 2^24 = 0xe94786) = 0xb9711442
 */
#include "tsunit.h"
#include "tcp_syncookie.h"
#include "siphash.h"
#include "tcp_var.h"

static const uint64_t keys[2][2] = {
    {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull},
    {0x1716151413121110ull, 0x1f1e1d1c1b1a1918ull},
};

#define LIP IP4(0x0a000002u)
#define RIP IP4(0x0a000001u)

START_TEST(siphash_reference_vectors)
{
	/* The SipHash paper's vectors for key 00..0f and the messages 00..07
	 * and 00..0f (little-endian words). */
	const uint64_t m[2] = {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
	ck_assert_uint_eq(siphash24_words(keys[0], m, 1), 0x93f5f5799a932462ull);
	ck_assert_uint_eq(siphash24_words(keys[0], m, 2), 0x3f2acc7f57c29bdbull);
}
END_TEST

START_TEST(cookie_golden_and_check)
{
	uint32_t c = tcp_syncookie_make(keys, LIP, 8080, RIP, 40000, 0x12345678u, 0x2a, 2);
	ck_assert_uint_eq(c, 0xb9711442u);
	/* The same tick and the next one give the MSS index back... */
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345678u, c, 0x2a), 2);
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345678u, c, 0x2b), 2);
	/* ...two ticks (128 s) later it is too old, and from the future never. */
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345678u, c, 0x2c),
			 -1);
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345678u, c, 0x29),
			 -1);
	/* Another port, address, peer ISN, key, or one bit of the cookie: forged. */
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40001, 0x12345678u, c, 0x2a),
			 -1);
	ck_assert_int_eq(
	    tcp_syncookie_check(keys, LIP, 8080, IP4(0x0a000003u), 40000, 0x12345678u, c, 0x2a),
	    -1);
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345778u, c, 0x2a),
			 -1);
	/* As in Linux, SSEQ is added, not hashed: one more shifts MSSIND down
	 * one (a peer must still return the cookie to get anything). */
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345679u, c, 0x2a), 1);
	ck_assert_int_eq(
	    tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0x12345678u, c ^ 0x100, 0x2a), -1);
	const uint64_t other[2][2] = {{keys[0][0], keys[0][1]}, {keys[1][0] ^ 1, keys[1][1]}};
	ck_assert_int_eq(tcp_syncookie_check(other, LIP, 8080, RIP, 40000, 0x12345678u, c, 0x2a),
			 -1);
	/* COUNT wraps in its 8 bits: made at 0xff, checked at 0x100. */
	uint32_t w = tcp_syncookie_make(keys, LIP, 8080, RIP, 40000, 0xfffffff0u, 0xff, 3);
	ck_assert_uint_eq(w, 0x7b8fdd59u);
	ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 8080, RIP, 40000, 0xfffffff0u, w, 0x100),
			 3);
	/* Every MSS index survives the trip. */
	for (uint32_t i = 0; i < TCP_SYNCOOKIE_NMSS; i++) {
		uint32_t k = tcp_syncookie_make(keys, LIP, 80, RIP, 1234, 99, 7, i);
		ck_assert_int_eq(tcp_syncookie_check(keys, LIP, 80, RIP, 1234, 99, k, 7), (int)i);
	}
}
END_TEST

START_TEST(cookie_ipv6_tuples)
{
	struct ip_addr l = {.af = AF_INET6}, r = {.af = AF_INET6};
	l.v6[15] = 1;
	r.v6[0] = 0xfe;
	r.v6[1] = 0x80;
	r.v6[15] = 2;
	uint32_t c = tcp_syncookie_make(keys, &l, 443, &r, 50000, 1, 3, 1);
	ck_assert_int_eq(tcp_syncookie_check(keys, &l, 443, &r, 50000, 1, c, 4), 1);
	r.v6[14] = 1;
	ck_assert_int_eq(tcp_syncookie_check(keys, &l, 443, &r, 50000, 1, c, 4), -1);
}
END_TEST

START_TEST(mss_table)
{
	const uint32_t mss[] = {0, 88, 535, 536, 1299, 1300, 1439, 1440, 1459, 1460, 9000};
	const uint32_t want[] = {0, 0, 0, 0, 0, 1, 1, 2, 2, 3, 3};
	for (size_t i = 0; i < sizeof(mss) / sizeof(mss[0]); i++)
		ck_assert_uint_eq(tcp_syncookie_mss_index(mss[i]), want[i]);
	ck_assert_uint_eq(tcp_syncookie_msstab[2], 1440);
	ck_assert_uint_eq(tcp_syncookie_count(64000000u * 42 + 999), 42);
}
END_TEST

START_TEST(timestamp_carries_options)
{
	struct tcp_syncookie_opts o = {.ws_ok = true, .ws = 7, .sack_ok = true};
	/* 1000003 = 0xf4243: (0xf4240 | 0x17) is ahead of it, so one step back. */
	ck_assert_uint_eq(tcp_syncookie_tsval(0xf4243u, &o), 0xf4217u);
	ck_assert_uint_eq(tcp_syncookie_tsval(0xf427fu, &o), 0xf4257u);
	ck_assert_uint_eq(tcp_syncookie_tsval(5, &o), 0xffffffd7u); /* across the wrap */
	struct tcp_syncookie_opts none = {0};
	ck_assert_uint_eq(tcp_syncookie_tsval(0xf4243u, &none), 0xf420fu);
	struct tcp_syncookie_opts big = {.ws_ok = true, .ws = 20};
	ck_assert_uint_eq(tcp_syncookie_tsval(0xf427fu, &big) & 0x3f, 14); /* RFC 7323 §2.3 */

	struct tcp_syncookie_opts d;
	tcp_syncookie_ts_decode(0xf4257u, &d);
	ck_assert(d.ws_ok && d.ws == 7 && d.sack_ok && !d.ecn_ok);
	tcp_syncookie_ts_decode(0xf420fu, &d);
	ck_assert(!d.ws_ok && !d.sack_ok && !d.ecn_ok);
	tcp_syncookie_ts_decode(0x20u | 0x10u | 0u, &d);
	ck_assert(d.ws_ok && d.ws == 0 && d.sack_ok && d.ecn_ok);
}
END_TEST

static Suite *tcp_syncookie_suite(void)
{
	Suite *s = suite_create("tcp_syncookie");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, cookie_golden_and_check);
	tcase_add_test(tc, cookie_ipv6_tuples);
	tcase_add_test(tc, mss_table);
	tcase_add_test(tc, timestamp_carries_options);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_syncookie_suite)
