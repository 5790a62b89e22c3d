/*
 * checksum_test.c - the checks of the checksum exercise
 * (docs/exercises/checksum/): ts_csum_partial, ts_csum_fold and
 * ts_csum_pseudo of stack/checksum.c against RFC 1071, then the stack
 * answering a ping with the learner's checksums.
 *
 * The expected values come from ref_sum() below: the RFC 1071 §4.1 loop,
 * 16 bits at a time into a 64-bit accumulator, written for clarity, not
 * speed.  Every check also has a part a do-nothing implementation fails.
 */
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "lib/exframe.h"
#include "lib/exunit.h"

/* RFC 1071 §4.1, folded to 16 bits, not complemented. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint64_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8; /* the odd byte is the high half of a word */
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* What the common mistakes give, to name the one a wrong answer points at. */
static uint16_t sum_without_odd_byte(const uint8_t *p, size_t len)
{
	return ref_sum(p, len & ~(size_t)1, 0);
}
static uint16_t sum_odd_byte_low(const uint8_t *p, size_t len)
{
	uint64_t s = ref_sum(p, len & ~(size_t)1, 0);
	if (len & 1)
		s += p[len - 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}
static uint16_t not16(uint64_t v)
{
	return (uint16_t)~v;
}
static uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v >> 8 | v << 8);
}

#define HINT_ODD                                                                                   \
	"with an odd length the last byte still counts: RFC 1071 §4.1 adds it as if one zero "    \
	"byte "                                                                                    \
	"followed it (\"Add left-over byte, if any\")"
#define HINT_ODD_LOW                                                                               \
	"the left-over byte is the HIGH byte of the last 16-bit word (the zero pad comes after "   \
	"it, RFC 1071 §4.1): in a little-endian load it must sit at the lower address"
#define HINT_FOLD                                                                                  \
	"fold until nothing is left above bit 15: one fold of a 32-bit sum can carry into bit 16 " \
	"again (RFC 1071 §4.1 loops \"while (sum>>16)\")"
#define HINT_CARRY                                                                                 \
	"one's complement addition needs the end-around carry: when your accumulator overflows, "  \
	"the carry out must be added back in at the bottom (RFC 1071 §2(A) and §2(C))"
#define HINT_ORDER                                                                                 \
	"the checksum has its bytes swapped: the sum is of big-endian 16-bit words; if you add "   \
	"native words on a little-endian machine, swap once at the end (RFC 1071 §2(B))"
#define HINT_COMPLEMENT                                                                            \
	"ts_csum_fold returns the one's complement of the folded sum (the value for the header "   \
	"field), not the sum itself"

/* Compares a learner's folded checksum with the expected one, naming the likely mistake. */
static void expect_csum(const char *what, uint16_t got, uint16_t want, const uint8_t *p, size_t len,
			uint32_t start)
{
	if (got == want)
		return;
	const char *id = "checksum.wrong", *hint = "compute it by hand for a 4-byte input, then "
						   "compare with your loop one step at a time";
	/* The odd-length mistakes first: for one byte, "low byte" looks like a swap. */
	if (p && (len & 1) && start == 0 && got == not16(sum_without_odd_byte(p, len))) {
		id = "checksum.odd-byte";
		hint = HINT_ODD;
	} else if (p && (len & 1) && start == 0 && got == not16(sum_odd_byte_low(p, len))) {
		id = "checksum.odd-byte-high";
		hint = HINT_ODD_LOW;
	} else if (got == not16(want)) {
		id = "checksum.complement";
		hint = HINT_COMPLEMENT;
	} else if (got == swap16(want)) {
		id = "checksum.byte-order";
		hint = HINT_ORDER;
	}
	ex_fail(id, hint, "%s: expected checksum 0x%04x, got 0x%04x", what, want, got);
}

EX_CHECK(rfc1071_example, "the worked example of RFC 1071 §3")
{
	/* RFC 1071 §3 "Numerical Examples": bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2. */
	static const uint8_t b[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	ex_step("ts_csum_fold(ts_csum_partial(00 01 f2 03 f4 f5 f6 f7, 8, 0))");
	expect_csum("RFC 1071 §3 example", ts_csum_fold(ts_csum_partial(b, 8, 0)), not16(0xddf2), b,
		    8, 0);
}

EX_CHECK(odd_length, "an odd last byte counts as the high byte of a word")
{
	static const uint8_t b[7] = {0x45, 0x00, 0x12, 0x34, 0xab, 0xcd, 0xe1};
	for (size_t len = 1; len <= 7; len += 2) {
		ex_step("ts_csum_fold(ts_csum_partial(%zu bytes, 0))", len);
		expect_csum("odd length", ts_csum_fold(ts_csum_partial(b, len, 0)),
			    not16(ref_sum(b, len, 0)), b, len, 0);
	}
}

EX_CHECK(empty_and_running_sum, "zero bytes leave the running sum alone; the sum carries on")
{
	static const uint8_t b[4] = {0x12, 0x34, 0x56, 0x78};
	ex_step("ts_csum_partial(b, 0, 0x1234) must give a sum that folds like 0x1234");
	expect_csum("zero bytes with a running sum", ts_csum_fold(ts_csum_partial(b, 0, 0x1234)),
		    not16(0x1234), NULL, 0, 0x1234);
	ex_step("ts_csum_partial(12 34 56 78, 4, 0x0f0f)");
	expect_csum("running sum", ts_csum_fold(ts_csum_partial(b, 4, 0x0f0f)),
		    not16(ref_sum(b, 4, 0x0f0f)), NULL, 0, 0x0f0f);
}

EX_CHECK(fold, "ts_csum_fold folds every carry and complements")
{
	static const struct {
		uint32_t in;
		uint16_t out;
	} cases[] = {{0, 0xffff},	   {0xffff, 0},		 {0x1fffe, 0},	    {0xffffffff, 0},
		     {0x0001ffff, 0xfffe}, {0x12345678, 0x9753}, {0x00ddf2, 0x220d}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ex_step("ts_csum_fold(0x%08x)", cases[i].in);
		uint16_t got = ts_csum_fold(cases[i].in);
		if (got == cases[i].out)
			continue;
		/* One fold only: the carry out of the first fold is lost. */
		uint32_t once = (cases[i].in & 0xffff) + (cases[i].in >> 16);
		if (got == not16(once))
			ex_fail("checksum.fold-twice", HINT_FOLD,
				"ts_csum_fold(0x%08x): expected 0x%04x, got 0x%04x", cases[i].in,
				cases[i].out, got);
		expect_csum("ts_csum_fold", got, cases[i].out, NULL, 0, cases[i].in);
	}
}

EX_CHECK(carry_overflow, "sums that overflow any accumulator keep their carries")
{
	/* 64 KiB of 0xff, started from a running sum near 2^32: every word is 0xffff,
	 * so the sum is 0xffff and the checksum 0, but only if no carry is lost. */
	size_t len = 65536;
	uint8_t *b = malloc(len);
	memset(b, 0xff, len);
	ex_step("ts_csum_partial(65536 bytes of 0xff, 0xfffffff0)");
	uint16_t got = ts_csum_fold(ts_csum_partial(b, len, 0xfffffff0u));
	uint16_t want = not16(ref_sum(b, len, 0xfffffff0u));
	if (got != want)
		ex_fail("checksum.end-around-carry", HINT_CARRY,
			"expected checksum 0x%04x, got 0x%04x", want, got);
	ex_step("ts_csum_partial(65535 bytes of 0xff, 0)");
	got = ts_csum_fold(ts_csum_partial(b, len - 1, 0));
	want = not16(ref_sum(b, len - 1, 0));
	if (got != want)
		ex_fail("checksum.end-around-carry", HINT_CARRY,
			"expected checksum 0x%04x, got 0x%04x", want, got);
	free(b);
}

EX_CHECK(chained, "partial sums chain: split at even offsets, the result is the same")
{
	uint8_t b[1500];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)ex_rand();
	for (int round = 0; round < 50; round++) {
		size_t len = 2 + ex_rand() % (sizeof(b) - 2);
		size_t cut = (ex_rand() % len) & ~(size_t)1;
		uint32_t s = ts_csum_partial(b, cut, 0);
		s = ts_csum_partial(b + cut, len - cut, s);
		uint16_t want = not16(ref_sum(b, len, 0));
		if (ts_csum_fold(s) != want) {
			ex_step("random bytes (seed %llu), length %zu, split at %zu",
				(unsigned long long)ex_seed(), len, cut);
			expect_csum("two chained partial sums", ts_csum_fold(s), want, NULL, 0, 1);
		}
	}
	ex_step("50 random lengths, each split at a random even offset: all agree");
}

EX_CHECK(random_lengths, "every length from 0 to 1600, every alignment")
{
	static uint8_t b[1608];
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)ex_rand();
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len <= 1600; len++) {
			uint16_t got = ts_csum_fold(ts_csum_partial(b + align, len, 0));
			uint16_t want = not16(ref_sum(b + align, len, 0));
			if (got != want) {
				ex_step("random bytes (seed %llu) at offset %zu, length %zu",
					(unsigned long long)ex_seed(), align, len);
				expect_csum("random input", got, want, b + align, len, 0);
			}
		}
	ex_step("lengths 0..1600 at 8 alignments: all agree with RFC 1071");
}

EX_CHECK(pseudo_header, "the IPv4 pseudo-header sum (RFC 768, RFC 9293 §3.1)")
{
	/* 10.0.0.1 > 10.0.0.2, UDP, length 20: words 0a00 0001 0a00 0002 0011 0014. */
	static const uint8_t ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, 17, 0, 20};
	ex_step("ts_csum_pseudo(10.0.0.1, 10.0.0.2, 17, 20)");
	uint16_t got = ts_csum_fold(ts_csum_pseudo(0x0a000001, 0x0a000002, 17, 20));
	uint16_t want = not16(ref_sum(ph, 12, 0));
	if (got != want)
		ex_fail("checksum.pseudo",
			"the pseudo-header is source (2 words), destination (2 words), zero and "
			"protocol (1 word), length (1 word): add the six 16-bit words",
			"expected the pseudo-header to fold to 0x%04x, got 0x%04x", want, got);
	static const uint8_t ph2[12] = {192, 168, 255, 254, 172, 16, 254, 255, 0, 6, 0xff, 0xff};
	ex_step("ts_csum_pseudo(192.168.255.254, 172.16.254.255, 6, 65535)");
	got = ts_csum_fold(ts_csum_pseudo(0xc0a8fffe, 0xac10feff, 6, 0xffff));
	want = not16(ref_sum(ph2, 12, 0));
	if (got != want)
		ex_fail("checksum.pseudo",
			"large words carry: keep the sum in 32 bits or more and let ts_csum_fold "
			"fold it",
			"expected the pseudo-header to fold to 0x%04x, got 0x%04x", want, got);
}

/* The checksums a frame should carry (IPv4 header, and ICMP), recomputed with ref_sum. */
static void fix_checksums(uint8_t *f, size_t len)
{
	if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
		return;
	uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	ip[10] = ip[11] = 0;
	uint16_t c = not16(ref_sum(ip, ihl, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	size_t total = (size_t)ip[2] << 8 | ip[3];
	if (ip[9] == 1 && 14 + total <= len) {
		uint8_t *icmp = ip + ihl;
		icmp[2] = icmp[3] = 0;
		c = not16(ref_sum(icmp, total - ihl, 0));
		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
	}
}

/* The ICMP echo request of tests/frames/icmp/echo_request.hex (Linux's ping). */
static const char *ECHO_REQUEST = "02 00 00 00 00 02 02 00 00 00 00 01 08 00"
				  "45 00 00 54 78 5b 40 00 40 01 ae 4b 0a 00 00 01 0a 00 00 02"
				  "08 00 91 76 29 12 00 01"
				  "2a 37 02 6b 00 00 00 00 45 01 0d 00 00 00 00 00"
				  "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
				  "20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f"
				  "30 31 32 33 34 35 36 37";

static void learn_peer(struct ex_stack *s)
{
	static const char *arp_req = "ff ff ff ff ff ff 02 00 00 00 00 01 08 06"
				     "00 01 08 00 06 04 00 01 02 00 00 00 00 01 0a 00 00 01"
				     "00 00 00 00 00 00 0a 00 00 02";
	uint8_t f[64], out[64];
	size_t n = ex_hex(arp_req, f, sizeof(f));
	ex_stack_rx(s, f, n, "so that the stack knows 10.0.0.1's MAC");
	while (ex_stack_tx(s, out, sizeof(out)))
		;
}

EX_CHECK(ping_reply, "the stack accepts Linux's ping and answers with correct checksums")
{
	struct ex_stack s;
	uint8_t req[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t n = ex_hex(ECHO_REQUEST, req, sizeof(req));
	ex_stack_rx(&s, req, n, "captured from Linux: both checksums are right");
	size_t m = ex_stack_tx(&s, out, sizeof(out));
	if (!m)
		ex_fail("checksum.verify",
			"a header that carries its checksum sums to 0xffff, so "
			"ts_csum_fold(ts_csum_partial(header, len, 0)) == 0 for a correct one: if "
			"the stack drops Linux's frame (counters: IPV4_BAD_CSUM or ICMP_BAD_CSUM), "
			"your sum of a correct header is not 0xffff",
			"no echo reply: the stack dropped a request whose checksums are correct "
			"(IPV4_BAD_CSUM %llu, ICMP_BAD_CSUM %llu)",
			(unsigned long long)s.st.drops[DROP_IPV4_BAD_CSUM],
			(unsigned long long)s.st.drops[DROP_ICMP_BAD_CSUM]);
	uint8_t want[1600];
	memcpy(want, out, m);
	fix_checksums(want, m);
	ex_expect_frame("the echo reply", want, m, out, m, NULL, "checksum.header",
			"the reply's checksum fields must make each header sum to 0xffff: compute "
			"over the header with the checksum field zero, then store "
			"ts_csum_fold(sum) big-endian");
	ex_stack_free(&s);
}

EX_CHECK(bad_checksum_dropped, "a request with one flipped bit is dropped, a good one answered")
{
	struct ex_stack s;
	uint8_t req[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t n = ex_hex(ECHO_REQUEST, req, sizeof(req));
	req[14 + 20 + 9] ^= 0x01; /* sequence number low bit: the ICMP checksum no longer fits */
	ex_stack_rx(&s, req, n, "one bit of the ICMP sequence number flipped");
	if (ex_stack_tx(&s, out, sizeof(out)))
		ex_fail(
		    "checksum.verify",
		    "verifying is summing the header with its checksum field: the result must "
		    "fold to 0, anything else is a corrupted packet (RFC 792: \"checksum is the "
		    "16-bit ones's complement of the one's complement sum\")",
		    "the stack answered a request whose ICMP checksum is wrong");
	req[14 + 20 + 9] ^= 0x01;
	ex_stack_rx(&s, req, n, "the same request, intact");
	if (!ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("checksum.verify",
			"a correct header sums (with its checksum) to 0xffff, so "
			"ts_csum_fold(...) == 0",
			"no reply to a request with correct checksums");
	ex_stack_free(&s);
}
