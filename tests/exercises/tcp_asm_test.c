/*
 * tcp_asm_test.c - the checks of the tcp_asm exercise
 * (docs/exercises/tcp_asm/): tcp_asm_add and tcp_asm_advance, by hand on
 * the cases that matter (overlap, touching, bridging, bounds, the wrap at
 * 2^32), then at random against a bitmap model.
 */
#include <string.h>

#include "lib/exunit.h"
#include "tcp_asm.h"

#define HINT_SEQ                                                                                   \
	"compare sequence numbers with seq_lt/seq_leq/seq_gt/seq_geq (tcp_seq.h), never with a "   \
	"plain < : these ranges cross 2^32"
#define HINT_TOUCH                                                                                 \
	"[110,120) and [120,130) touch: together they are one range [110,130); merge when "        \
	"the new range's left is at or before a range's right (and the other way round)"
#define HINT_OVERLAP                                                                               \
	"a->bytes counts each byte once: when the new range overlaps ranges you hold, add only "   \
	"the bytes that are new"
#define HINT_SORTED                                                                                \
	"keep a->r sorted by left edge (in sequence order) and disjoint: the SACK option and "     \
	"tcp_asm_advance both walk it from the lowest range"
#define HINT_ADVANCE                                                                               \
	"tcp_asm_advance removes every range whose left edge is at or before rcv_nxt, moves "      \
	"rcv_nxt to the end of any that reaches past it, and subtracts the removed bytes from "    \
	"a->bytes"

static const char *ranges(const struct tcp_assembler *a)
{
	static char buf[600];
	size_t n = 0;
	buf[0] = 0;
	for (uint32_t i = 0; i < a->n && i < TCP_OFO_MAX_RANGES && n < sizeof(buf) - 40; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s[%u,%u)", i ? " " : "",
				      a->r[i].left, a->r[i].right);
	return a->n ? buf : "(none)";
}

static void add(struct tcp_assembler *a, uint32_t l, uint32_t r, uint32_t max, bool want)
{
	ex_step("tcp_asm_add([%u,%u), max_bytes %u)", l, r, max);
	bool got = tcp_asm_add(a, l, r, max);
	if (got != want)
		ex_fail(
		    want ? "tcp_asm.add" : "tcp_asm.bound-bytes",
		    want ? "a range that fits must be taken (return true)"
			 : "refuse (return false, change nothing) what would exceed max_bytes or "
			   "TCP_OFO_MAX_RANGES: an attacker must not fill memory with holes",
		    "tcp_asm_add returned %s, expected %s", got ? "true" : "false",
		    want ? "true" : "false");
}

/* The ranges must be exactly want (n pairs), bytes as given. */
static void expect(const struct tcp_assembler *a, const uint32_t *want, uint32_t n, uint32_t bytes,
		   const char *hint_id, const char *hint)
{
	bool same = a->n == n;
	for (uint32_t i = 0; same && i < n; i++)
		same = a->r[i].left == want[2 * i] && a->r[i].right == want[2 * i + 1];
	if (!same) {
		char w[300] = "";
		size_t k = 0;
		for (uint32_t i = 0; i < n; i++)
			k += (size_t)snprintf(w + k, sizeof(w) - k, "%s[%u,%u)", i ? " " : "",
					      want[2 * i], want[2 * i + 1]);
		ex_fail(hint_id, hint, "ranges held: %s; expected %s", ranges(a), n ? w : "(none)");
	}
	if (a->bytes != bytes)
		ex_fail(hint_id == NULL ? "tcp_asm.bytes" : "tcp_asm.overlap-bytes", HINT_OVERLAP,
			"a->bytes is %u, expected %u (ranges %s)", a->bytes, bytes, ranges(a));
}

EX_CHECK(one_range, "one range: held until RCV.NXT reaches it, then released")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 120, 1000, true);
	expect(&a, (uint32_t[]){110, 120}, 1, 10, "tcp_asm.add", "record the range in a->r");
	ex_step("tcp_asm_advance(100): the gap [100,110) is still open");
	uint32_t nxt = tcp_asm_advance(&a, 100);
	if (nxt != 100)
		ex_fail("tcp_asm.advance", HINT_ADVANCE, "returned %u, expected 100", nxt);
	expect(&a, (uint32_t[]){110, 120}, 1, 10, "tcp_asm.advance", HINT_ADVANCE);
	ex_step("tcp_asm_advance(110): the gap is filled");
	nxt = tcp_asm_advance(&a, 110);
	if (nxt != 120)
		ex_fail("tcp_asm.advance", HINT_ADVANCE, "returned %u, expected 120", nxt);
	if (a.n != 0 || a.bytes != 0)
		ex_fail("tcp_asm.advance-bytes", HINT_ADVANCE,
			"after the release: %u range(s) (%s), %u bytes; expected none and 0", a.n,
			ranges(&a), a.bytes);
}

EX_CHECK(sorted_disjoint, "ranges arriving in any order are kept sorted")
{
	struct tcp_assembler a = {0};
	add(&a, 150, 160, 1000, true);
	add(&a, 110, 120, 1000, true);
	add(&a, 130, 140, 1000, true);
	expect(&a, (uint32_t[]){110, 120, 130, 140, 150, 160}, 3, 30, "tcp_asm.sorted",
	       HINT_SORTED);
}

EX_CHECK(overlap_merges, "an overlapping range merges, its bytes counted once")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 120, 1000, true);
	add(&a, 115, 130, 1000, true);
	expect(&a, (uint32_t[]){110, 130}, 1, 20, "tcp_asm.merge",
	       "overlapping ranges become one: [min(left), max(right))");
	add(&a, 112, 118, 1000, true);
	ex_step("a range inside one already held changes nothing");
	expect(&a, (uint32_t[]){110, 130}, 1, 20, "tcp_asm.merge",
	       "a range already covered leaves everything as it was");
}

EX_CHECK(touching_merges, "ranges that touch become one")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 120, 1000, true);
	add(&a, 120, 130, 1000, true);
	expect(&a, (uint32_t[]){110, 130}, 1, 20, "tcp_asm.touching", HINT_TOUCH);
	add(&a, 100, 110, 1000, true);
	expect(&a, (uint32_t[]){100, 130}, 1, 30, "tcp_asm.touching", HINT_TOUCH);
}

EX_CHECK(bridge, "a range that spans several merges them all")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 120, 1000, true);
	add(&a, 130, 140, 1000, true);
	add(&a, 150, 160, 1000, true);
	add(&a, 170, 180, 1000, true);
	add(&a, 118, 152, 1000, true);
	expect(&a, (uint32_t[]){110, 160, 170, 180}, 2, 60, "tcp_asm.merge",
	       "merge with EVERY range the new one overlaps or touches, not just the first");
}

EX_CHECK(bounded_bytes, "no more than max_bytes are held")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 160, 100, true);
	add(&a, 170, 231, 100, false);
	expect(&a, (uint32_t[]){110, 160}, 1, 50, "tcp_asm.bound-bytes",
	       "a refused range changes nothing");
	add(&a, 170, 220, 100, true);
	expect(&a, (uint32_t[]){110, 160, 170, 220}, 2, 100, "tcp_asm.add",
	       "exactly max_bytes is allowed");
}

EX_CHECK(bounded_ranges, "no more than TCP_OFO_MAX_RANGES ranges are held")
{
	struct tcp_assembler a = {0};
	ex_step("add %d disjoint one-byte ranges [1000+2i, 1001+2i)", TCP_OFO_MAX_RANGES);
	for (uint32_t i = 0; i < TCP_OFO_MAX_RANGES; i++)
		if (!tcp_asm_add(&a, 1000 + 2 * i, 1001 + 2 * i, 100000))
			ex_fail("tcp_asm.add", "up to TCP_OFO_MAX_RANGES ranges fit",
				"range %u of %d was refused", i + 1, TCP_OFO_MAX_RANGES);
	if (a.n != TCP_OFO_MAX_RANGES)
		ex_fail("tcp_asm.sorted", HINT_SORTED, "%u ranges held, expected %d", a.n,
			TCP_OFO_MAX_RANGES);
	ex_step("one more disjoint range: there is no room");
	if (tcp_asm_add(&a, 2000, 2001, 100000) || a.n != TCP_OFO_MAX_RANGES)
		ex_fail(
		    "tcp_asm.bound-ranges",
		    "a range that needs a slot beyond TCP_OFO_MAX_RANGES is refused (false) and "
		    "nothing changes",
		    "the 17th range was %s, %u ranges held", "accepted", a.n);
	ex_step("a range joining two held ones needs no new slot: it fits");
	if (!tcp_asm_add(&a, 1001, 1002, 100000) || a.n != TCP_OFO_MAX_RANGES - 1)
		ex_fail("tcp_asm.touching", HINT_TOUCH,
			"[1001,1002) touches [1000,1001) and [1002,1003): expected %d ranges after "
			"it, got %u (%s)",
			TCP_OFO_MAX_RANGES - 1, a.n, ranges(&a));
}

EX_CHECK(across_the_wrap, "ranges across 2^32 sort and release in sequence order")
{
	struct tcp_assembler a = {0};
	ex_step("RCV.NXT is 0xfffffff0 = 4294967280");
	add(&a, 0x10, 0x18, 1000, true);
	add(&a, 0xfffffff8u, 0x8, 1000, true);
	expect(&a, (uint32_t[]){0xfffffff8u, 0x8, 0x10, 0x18}, 2, 24, "tcp_asm.seq-compare",
	       HINT_SEQ);
	add(&a, 0x8, 0x10, 1000, true);
	expect(&a, (uint32_t[]){0xfffffff8u, 0x18}, 1, 32, "tcp_asm.seq-compare", HINT_SEQ);
	ex_step("tcp_asm_advance(0xfffffff8)");
	uint32_t nxt = tcp_asm_advance(&a, 0xfffffff8u);
	if (nxt != 0x18)
		ex_fail("tcp_asm.seq-compare", HINT_SEQ, "returned %u, expected 24 (0x18)", nxt);
}

EX_CHECK(advance_partway, "RCV.NXT inside a range, or past one, releases correctly")
{
	struct tcp_assembler a = {0};
	add(&a, 110, 130, 1000, true);
	add(&a, 140, 150, 1000, true);
	ex_step("tcp_asm_advance(120): inside [110,130)");
	uint32_t nxt = tcp_asm_advance(&a, 120);
	if (nxt != 130)
		ex_fail("tcp_asm.advance", HINT_ADVANCE, "returned %u, expected 130", nxt);
	expect(&a, (uint32_t[]){140, 150}, 1, 10, "tcp_asm.advance", HINT_ADVANCE);
	ex_step("tcp_asm_advance(145): inside [140,150)");
	nxt = tcp_asm_advance(&a, 145);
	if (nxt != 150 || a.n || a.bytes)
		ex_fail("tcp_asm.advance", HINT_ADVANCE,
			"returned %u with %u range(s), %u bytes; expected 150, none, 0", nxt, a.n,
			a.bytes);
}

EX_CHECK(random_against_model, "random segments agree with a bitmap of received bytes")
{
	enum { W = 2048 };
	for (int round = 0; round < 200; round++) {
		static uint8_t have[W];
		memset(have, 0, sizeof(have));
		struct tcp_assembler a = {0};
		uint32_t base = (uint32_t)ex_rand(); /* RCV.NXT, anywhere, the wrap included */
		if (round % 4 == 0)
			base = 0xffffffffu - (uint32_t)(ex_rand() % 1000);
		for (int k = 0; k < 12; k++) {
			uint32_t off = 1 + (uint32_t)(ex_rand() % (W - 100));
			uint32_t len = 1 + (uint32_t)(ex_rand() % 90);
			if (!tcp_asm_add(&a, base + off, base + off + len, 1u << 30))
				break; /* out of slots: the model stops with it */
			memset(have + off, 1, len);
			/* The model's ranges. */
			uint32_t want[2 * (TCP_OFO_MAX_RANGES + 1)], n = 0, bytes = 0;
			for (uint32_t i = 0; i < W; i++) {
				if (!have[i])
					continue;
				uint32_t j = i;
				while (j < W && have[j])
					j++;
				if (n < TCP_OFO_MAX_RANGES + 1) {
					want[2 * n] = base + i;
					want[2 * n + 1] = base + j;
				}
				n++;
				bytes += j - i;
				i = j;
			}
			if (n > TCP_OFO_MAX_RANGES)
				ex_fail(
				    "tcp_asm.bound-ranges",
				    "refuse a range that would need more than TCP_OFO_MAX_RANGES",
				    "%u ranges held after an add that should have been refused", n);
			bool same = a.n == n && a.bytes == bytes;
			for (uint32_t i = 0; same && i < n; i++)
				same =
				    a.r[i].left == want[2 * i] && a.r[i].right == want[2 * i + 1];
			if (!same) {
				ex_step("RCV.NXT %u (seed %llu, round %d): added [%u,%u)", base,
					(unsigned long long)ex_seed(), round, base + off,
					base + off + len);
				expect(&a, want, n, bytes, "tcp_asm.merge",
				       "after each add the ranges are exactly the runs of received "
				       "bytes: sorted, disjoint, merged when they touch");
			}
		}
	}
	ex_step("200 rounds of 12 random segments: all agree");
}
