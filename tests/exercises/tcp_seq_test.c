/*
 * tcp_seq_test.c - the checks of the tcp_seq exercise
 * (docs/exercises/tcp_seq/): the seven comparisons of tcp_seq.h, near 0,
 * across the wrap at 2^32, at equality, and at random.
 *
 * This file is compiled with the learner's header ahead of stack/ on the
 * include path (tools/exercise/ex.mk), so "tcp_seq.h" below is theirs.
 * The model is plain 64-bit arithmetic on unwrapped numbers.
 */
#include <stdint.h>

#include "lib/exunit.h"
#include "tcp_seq.h"

#define HINT_PLAIN                                                                                 \
	"a plain < is wrong once the numbers wrap past 2^32 - 1: compare the signed 32-bit "       \
	"difference instead, (int32_t)(a - b) < 0 (RFC 9293 §3.4: \"arithmetic is modulo 2**32\")"
#define HINT_EQUAL                                                                                 \
	"seq_lt and seq_gt are strict (false when a == b); seq_leq and seq_geq include equality"
#define HINT_IN                                                                                    \
	"seq_in is half-open: lo <= s and s < hi, both modulo 2^32 (RFC 9293 §3.10.7.4: "         \
	"RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND)"

/* Whether the learner's answer is what a plain comparison of the raw values gives. */
static void expect(const char *expr, bool got, bool want, bool plain, const char *hint_id,
		   const char *hint)
{
	if (got == want)
		return;
	if (got == plain && plain != want)
		ex_fail("tcp_seq.plain-compare", HINT_PLAIN, "%s: expected %s, got %s", expr,
			want ? "true" : "false", got ? "true" : "false");
	ex_fail(hint_id, hint, "%s: expected %s, got %s", expr, want ? "true" : "false",
		got ? "true" : "false");
}

EX_CHECK(small_numbers, "1 is before 2, 2 is after 1")
{
	ex_step("seq_lt(1, 2), seq_gt(2, 1), seq_lt(2, 1), seq_gt(1, 2)");
	expect("seq_lt(1, 2)", seq_lt(1, 2), true, true, "tcp_seq.lt", HINT_PLAIN);
	expect("seq_gt(2, 1)", seq_gt(2, 1), true, true, "tcp_seq.gt", HINT_PLAIN);
	expect("seq_lt(2, 1)", seq_lt(2, 1), false, false, "tcp_seq.lt", HINT_PLAIN);
	expect("seq_gt(1, 2)", seq_gt(1, 2), false, false, "tcp_seq.gt", HINT_PLAIN);
	expect("seq_leq(1, 2)", seq_leq(1, 2), true, true, "tcp_seq.leq", HINT_EQUAL);
	expect("seq_geq(2, 1)", seq_geq(2, 1), true, true, "tcp_seq.geq", HINT_EQUAL);
}

EX_CHECK(across_the_wrap, "0xfffffff0 is before 0x10: the numbers wrap")
{
	uint32_t a = 0xfffffff0u, b = 0x10u;
	ex_step("a = 0xfffffff0, b = 0x10 (b is 32 numbers after a, past the wrap)");
	expect("seq_lt(0xfffffff0, 0x10)", seq_lt(a, b), true, a < b, "tcp_seq.lt", HINT_PLAIN);
	expect("seq_gt(0x10, 0xfffffff0)", seq_gt(b, a), true, b > a, "tcp_seq.gt", HINT_PLAIN);
	expect("seq_leq(0xfffffff0, 0x10)", seq_leq(a, b), true, a <= b, "tcp_seq.leq", HINT_PLAIN);
	expect("seq_geq(0x10, 0xfffffff0)", seq_geq(b, a), true, b >= a, "tcp_seq.geq", HINT_PLAIN);
	expect("seq_lt(0x10, 0xfffffff0)", seq_lt(b, a), false, b < a, "tcp_seq.lt", HINT_PLAIN);
	expect("seq_lt(0xffffffff, 0)", seq_lt(0xffffffffu, 0), true, false, "tcp_seq.lt",
	       HINT_PLAIN);
}

EX_CHECK(equality, "strict and non-strict comparisons differ exactly at equality")
{
	static const uint32_t v[] = {0, 1, 0x7fffffffu, 0x80000000u, 0xffffffffu, 123456789u};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t a = v[i];
		ex_step("a = b = 0x%08x", a);
		expect("seq_leq(a, a)", seq_leq(a, a), true, true, "tcp_seq.equal", HINT_EQUAL);
		expect("seq_geq(a, a)", seq_geq(a, a), true, true, "tcp_seq.equal", HINT_EQUAL);
		expect("seq_lt(a, a)", seq_lt(a, a), false, false, "tcp_seq.equal", HINT_EQUAL);
		expect("seq_gt(a, a)", seq_gt(a, a), false, false, "tcp_seq.equal", HINT_EQUAL);
	}
}

EX_CHECK(max_and_min, "seq_max and seq_min pick by sequence order, not by value")
{
	struct {
		uint32_t a, b, max;
	} c[] = {{5, 9, 9}, {9, 5, 9}, {0xfffffff0u, 5, 5}, {5, 0xfffffff0u, 5}, {7, 7, 7}};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ex_step("seq_max(0x%08x, 0x%08x), seq_min of the same", c[i].a, c[i].b);
		uint32_t min = c[i].max == c[i].a ? c[i].b : c[i].a;
		uint32_t mx = seq_max(c[i].a, c[i].b), mn = seq_min(c[i].a, c[i].b);
		if (mx != c[i].max || mn != min) {
			bool plain = mx == (c[i].a > c[i].b ? c[i].a : c[i].b);
			ex_fail(plain ? "tcp_seq.plain-compare" : "tcp_seq.max-min",
				plain ? HINT_PLAIN : "seq_max(a, b) is seq_gt(a, b) ? a : b",
				"seq_max = 0x%08x, seq_min = 0x%08x; expected 0x%08x and 0x%08x",
				mx, mn, c[i].max, min);
		}
	}
}

EX_CHECK(window_membership, "seq_in is the half-open window lo <= s < hi, across the wrap")
{
	struct {
		uint32_t s, lo, hi;
		bool in;
		const char *what;
	} c[] = {
	    {100, 100, 200, true, "s == lo is inside"},
	    {199, 100, 200, true, "s == hi - 1 is inside"},
	    {200, 100, 200, false, "s == hi is outside"},
	    {99, 100, 200, false, "s == lo - 1 is outside"},
	    {5, 0xfffffff0u, 0x20, true, "a window across the wrap holds 5"},
	    {0xfffffff5u, 0xfffffff0u, 0x20, true, "... and 0xfffffff5"},
	    {0x20, 0xfffffff0u, 0x20, false, "... but not its end"},
	    {100, 100, 100, false, "an empty window holds nothing"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ex_step("seq_in(0x%08x, 0x%08x, 0x%08x): %s", c[i].s, c[i].lo, c[i].hi, c[i].what);
		bool got = seq_in(c[i].s, c[i].lo, c[i].hi);
		bool plain = c[i].lo <= c[i].s && c[i].s < c[i].hi;
		char expr[80];
		snprintf(expr, sizeof(expr), "seq_in(0x%08x, 0x%08x, 0x%08x)", c[i].s, c[i].lo,
			 c[i].hi);
		expect(expr, got, c[i].in, plain, "tcp_seq.seq-in", HINT_IN);
	}
}

EX_CHECK(random_pairs, "random pairs less than 2^31 apart agree with unwrapped arithmetic")
{
	for (int i = 0; i < 200000; i++) {
		uint32_t a = (uint32_t)ex_rand();
		int64_t d = (int64_t)(ex_rand() % 0xfffffffeu) - 0x7fffffff; /* |d| < 2^31 */
		uint32_t b = (uint32_t)((int64_t)a + d);
		bool lt = d > 0, gt = d < 0;
		if (seq_lt(a, b) != lt || seq_gt(a, b) != gt || seq_leq(a, b) != !gt ||
		    seq_geq(a, b) != !lt) {
			ex_step("a = 0x%08x, b = a %+lld = 0x%08x (seed %llu, pair %d)", a,
				(long long)d, b, (unsigned long long)ex_seed(), i);
			expect("seq_lt(a, b)", seq_lt(a, b), lt, a < b, "tcp_seq.lt", HINT_PLAIN);
			expect("seq_gt(a, b)", seq_gt(a, b), gt, a > b, "tcp_seq.gt", HINT_PLAIN);
			expect("seq_leq(a, b)", seq_leq(a, b), !gt, a <= b, "tcp_seq.leq",
			       HINT_EQUAL);
			expect("seq_geq(a, b)", seq_geq(a, b), !lt, a >= b, "tcp_seq.geq",
			       HINT_EQUAL);
		}
	}
	ex_step("200000 random pairs agree");
}
