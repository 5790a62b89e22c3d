/*
 * tcp_ring_test.c - the checks of the tcp_ring exercise
 * (docs/exercises/tcp_ring/): tcp_ring_write, tcp_ring_write_at,
 * tcp_ring_peek and tcp_ring_consume on standalone rings
 * (tcp_ring_init), against a model that keeps every byte at its stream
 * offset in a flat array.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/exunit.h"
#include "tcp_ring.h"

#define HINT_WRAP                                                                                  \
	"a copy that reaches the end of the buffer continues at buf[0]: split it in two, "         \
	"cap - pos bytes then the rest, and advance the source by the first part"
#define HINT_FULL                                                                                  \
	"tcp_ring_write takes at most tcp_ring_free_space(r) bytes (cap - len) and returns how "   \
	"many it took: the rest stays with the caller (the socket's write returns less)"
#define HINT_WRITE_AT                                                                              \
	"tcp_ring_write_at writes off bytes past the END of the data: position head + len + off, " \
	"modulo cap; len does not change"
#define HINT_EMPTY_HEAD                                                                            \
	"do not move head back to 0 when the ring empties: out-of-order bytes may already sit "    \
	"behind the (empty) data, at head + offset, and would be lost"
#define HINT_PEEK                                                                                  \
	"tcp_ring_peek copies from position head + off (modulo cap): off counts from the first "   \
	"byte of data, and the copy may wrap"

static void ring_new(struct tcp_ring *r, uint32_t cap)
{
	if (tcp_ring_init(r, cap) < 0)
		ex_fail("harness", "out of memory", "tcp_ring_init(%u) failed", cap);
	memset(r->buf, 0xee, cap);
}

/* Fails unless the ring's first n bytes (peeked from off) are want. */
static void expect_data(const struct tcp_ring *r, uint32_t off, const char *want, uint32_t n,
			const char *hint_id, const char *hint)
{
	char got[256] = {0};
	tcp_ring_peek(r, off, got, n);
	if (memcmp(got, want, n) != 0) {
		char shown[256];
		for (uint32_t i = 0; i < n; i++)
			shown[i] = got[i] >= 32 && got[i] < 127 ? got[i] : '.';
		shown[n] = 0;
		ex_fail(hint_id, hint, "tcp_ring_peek(r, %u, %u) gave \"%s\", expected \"%.*s\"",
			off, n, shown, (int)n, want);
	}
}

static void expect_len(const struct tcp_ring *r, uint32_t len, const char *hint_id,
		       const char *hint)
{
	if (r->len != len)
		ex_fail(hint_id, hint, "r->len is %u, expected %u", r->len, len);
}

EX_CHECK(write_then_peek, "what is written can be peeked, from any offset")
{
	struct tcp_ring r;
	ring_new(&r, 16);
	ex_step("a 16-byte ring; tcp_ring_write(\"hello\", 5)");
	uint32_t n = tcp_ring_write(&r, "hello", 5);
	if (n != 5)
		ex_fail("tcp_ring.full", HINT_FULL,
			"tcp_ring_write returned %u for 5 bytes into an "
			"empty 16-byte ring, expected 5",
			n);
	expect_len(&r, 5, "tcp_ring.len", "tcp_ring_write adds what it wrote to len");
	expect_data(&r, 0, "hello", 5, "tcp_ring.peek", HINT_PEEK);
	ex_step("tcp_ring_peek(r, 1, 3)");
	expect_data(&r, 1, "ell", 3, "tcp_ring.peek-offset", HINT_PEEK);
	expect_len(&r, 5, "tcp_ring.peek", "peeking does not consume");
	tcp_ring_free(&r);
}

EX_CHECK(consume_front, "consume drops bytes from the front")
{
	struct tcp_ring r;
	ring_new(&r, 16);
	tcp_ring_write(&r, "hello", 5);
	ex_step("write \"hello\", then tcp_ring_consume(r, 2)");
	tcp_ring_consume(&r, 2);
	expect_len(&r, 3, "tcp_ring.consume", "tcp_ring_consume takes n off len and moves head");
	expect_data(&r, 0, "llo", 3, "tcp_ring.consume",
		    "after consuming n bytes, the data starts n bytes later: head += n (mod cap)");
	tcp_ring_free(&r);
}

EX_CHECK(stops_when_full, "a full ring takes no more and says so")
{
	struct tcp_ring r;
	ring_new(&r, 8);
	ex_step("an 8-byte ring; tcp_ring_write(\"0123456789\", 10)");
	uint32_t n = tcp_ring_write(&r, "0123456789", 10);
	if (n != 8)
		ex_fail("tcp_ring.full", HINT_FULL, "tcp_ring_write returned %u, expected 8", n);
	expect_len(&r, 8, "tcp_ring.full", HINT_FULL);
	ex_step("tcp_ring_write(\"x\", 1) into the full ring");
	n = tcp_ring_write(&r, "x", 1);
	if (n != 0)
		ex_fail("tcp_ring.full", HINT_FULL, "a full ring took %u more byte(s)", n);
	expect_data(&r, 0, "01234567", 8, "tcp_ring.full", HINT_FULL);
	tcp_ring_free(&r);
}

EX_CHECK(wraps_around, "data that reaches the end of the buffer continues at its start")
{
	struct tcp_ring r;
	ring_new(&r, 8);
	ex_step("an 8-byte ring: write \"abcdef\", consume 5, write \"ghijkl\" (wraps)");
	tcp_ring_write(&r, "abcdef", 6);
	tcp_ring_consume(&r, 5);
	uint32_t n = tcp_ring_write(&r, "ghijkl", 6);
	if (n != 6)
		ex_fail("tcp_ring.full", HINT_FULL,
			"tcp_ring_write returned %u with 7 bytes free, "
			"expected 6",
			n);
	expect_len(&r, 7, "tcp_ring.len", "len counts every byte held");
	expect_data(&r, 0, "fghijkl", 7, "tcp_ring.wrap", HINT_WRAP);
	ex_step("tcp_ring_peek(r, 2, 4): starts before the end of the buffer, ends after");
	expect_data(&r, 2, "hijk", 4, "tcp_ring.peek-offset", HINT_PEEK);
	tcp_ring_free(&r);
}

EX_CHECK(write_at_behind_data, "out-of-order bytes land behind the data, counted in later")
{
	struct tcp_ring r;
	ring_new(&r, 16);
	ex_step("write \"ab\"; tcp_ring_write_at(r, 2, \"ef\") (a gap of 2 bytes after the data)");
	tcp_ring_write(&r, "ab", 2);
	tcp_ring_write_at(&r, 2, "ef", 2);
	expect_len(&r, 2, "tcp_ring.write-at", HINT_WRITE_AT);
	ex_step("write \"cd\" (fills the gap), then the caller counts the parked bytes: len += 2");
	tcp_ring_write(&r, "cd", 2);
	r.len += 2;
	expect_data(&r, 0, "abcdef", 6, "tcp_ring.write-at", HINT_WRITE_AT);
	tcp_ring_free(&r);
}

EX_CHECK(write_at_wraps, "out-of-order bytes that pass the end of the buffer wrap too")
{
	struct tcp_ring r;
	ring_new(&r, 8);
	ex_step("an 8-byte ring: write \"012345\", consume 5 (head is 5), "
		"tcp_ring_write_at(r, 2, \"XYZ\")");
	tcp_ring_write(&r, "012345", 6);
	tcp_ring_consume(&r, 5);
	tcp_ring_write_at(&r, 2, "XYZ", 3);
	tcp_ring_write(&r, "ab", 2);
	r.len += 3;
	ex_step("write \"ab\" into the gap, len += 3");
	expect_data(&r, 0, "5abXYZ", 6, "tcp_ring.write-at", HINT_WRITE_AT);
	tcp_ring_free(&r);
}

EX_CHECK(empty_keeps_parked_bytes, "emptying the ring keeps the bytes parked behind it")
{
	struct tcp_ring r;
	ring_new(&r, 16);
	ex_step("write \"abc\"; tcp_ring_write_at(r, 2, \"XY\"); consume 3 (the ring is empty)");
	tcp_ring_write(&r, "abc", 3);
	tcp_ring_write_at(&r, 2, "XY", 2);
	tcp_ring_consume(&r, 3);
	expect_len(&r, 0, "tcp_ring.consume", "consume takes n off len");
	ex_step("write \"de\" (fills the gap), then len += 2 for the parked bytes");
	tcp_ring_write(&r, "de", 2);
	r.len += 2;
	expect_data(&r, 0, "deXY", 4, "tcp_ring.empty-head", HINT_EMPTY_HEAD);
	tcp_ring_free(&r);
}

EX_CHECK(random_operations, "random writes, consumes and peeks agree with a flat model")
{
	for (int round = 0; round < 30; round++) {
		uint32_t cap = 1 + (uint32_t)(ex_rand() % 300);
		struct tcp_ring r;
		ring_new(&r, cap);
		/* The model: stream bytes [base, base + len) of pattern p(i). */
		uint64_t base = 0, len = 0, next = 0;
		for (int op = 0; op < 400; op++) {
			uint32_t n = (uint32_t)(ex_rand() % (cap + 3));
			uint8_t buf[512];
			if (ex_rand() % 2) {
				for (uint32_t i = 0; i < n; i++)
					buf[i] = (uint8_t)((next + i) * 7 + 3);
				uint32_t want = n < cap - len ? n : (uint32_t)(cap - len);
				uint32_t got = tcp_ring_write(&r, buf, n);
				if (got != want) {
					ex_step("ring of %u bytes holding %llu, write %u (seed "
						"%llu, round "
						"%d, op %d)",
						cap, (unsigned long long)len, n,
						(unsigned long long)ex_seed(), round, op);
					ex_fail("tcp_ring.full", HINT_FULL,
						"tcp_ring_write returned %u, expected %u", got,
						want);
				}
				next += want;
				len += want;
			} else {
				uint32_t k = len ? (uint32_t)(ex_rand() % (len + 1)) : 0;
				tcp_ring_consume(&r, k);
				base += k;
				len -= k;
			}
			if (r.len != len) {
				ex_step("ring of %u bytes (seed %llu, round %d, op %d)", cap,
					(unsigned long long)ex_seed(), round, op);
				ex_fail("tcp_ring.len", "len is the number of bytes held",
					"r->len is %u, expected %llu", r.len,
					(unsigned long long)len);
			}
			if (len) {
				uint32_t off = (uint32_t)(ex_rand() % len);
				uint32_t m = 1 + (uint32_t)(ex_rand() % (len - off));
				memset(buf, 0, sizeof(buf));
				tcp_ring_peek(&r, off, buf, m);
				for (uint32_t i = 0; i < m; i++)
					if (buf[i] != (uint8_t)((base + off + i) * 7 + 3)) {
						ex_step("ring of %u bytes, head %u, len %u: "
							"peek(%u, %u) "
							"(seed %llu, round %d, op %d)",
							cap, r.head, r.len, off, m,
							(unsigned long long)ex_seed(), round, op);
						ex_fail("tcp_ring.wrap", HINT_WRAP,
							"byte %u of the peek is 0x%02x, expected "
							"0x%02x",
							i, buf[i],
							(uint8_t)((base + off + i) * 7 + 3));
					}
			}
		}
		tcp_ring_free(&r);
	}
	ex_step("30 rings of random sizes, 400 random operations each: all agree");
}
