/*
 * ipv4_reass_test.c - the checks of the ipv4_reass exercise
 * (docs/exercises/ipv4_reass/): fragments of an ICMP echo request fed to a
 * stack with the learner's reassembly; the reference ICMP answers a
 * datagram that comes out whole, so the reply (its data compared with what
 * was sent) is the proof.  Fragments are cut here from a datagram built
 * here, so every order, duplicate, overlap and bad length can be made.
 */
#include <stdlib.h>
#include <string.h>

#include "ipv4_reass.h"
#include "lib/exunit.h"
#include "stack.h"

#define DATA_LEN 3000 /* ICMP data octets: 3008 octets of ICMP, 3 fragments of a 1500 MTU */

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The ICMP message (echo request, data i*7+seed) of datagram id. */
static size_t icmp_msg(uint8_t *m, uint16_t id)
{
	m[0] = 8;
	m[1] = 0;
	m[2] = m[3] = 0;
	m[4] = 0x51;
	m[5] = 0x57;
	m[6] = (uint8_t)(id >> 8);
	m[7] = (uint8_t)id;
	for (size_t i = 0; i < DATA_LEN; i++)
		m[8 + i] = (uint8_t)(i * 7 + id);
	uint16_t c = csum(m, 8 + DATA_LEN);
	m[2] = (uint8_t)(c >> 8);
	m[3] = (uint8_t)c;
	return 8 + DATA_LEN;
}

/* A frame carrying payload octets [off, off+len) of message m as a fragment of datagram id. */
static size_t fragment(uint8_t *f, const uint8_t *m, size_t mlen, uint16_t id, size_t off,
		       size_t len, bool mf)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0};
	memcpy(f, eth, 14);
	uint8_t *ip = f + 14;
	size_t tot = 20 + len;
	ip[0] = 0x45;
	ip[1] = 0;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((off / 8) | (mf ? 0x2000 : 0));
	ip[6] = (uint8_t)(fo >> 8);
	ip[7] = (uint8_t)fo;
	ip[8] = 64;
	ip[9] = 1;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, (uint8_t[8]){10, 0, 0, 1, 10, 0, 0, 2}, 8);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	(void)mlen;
	memcpy(ip + 20, m + off, len);
	return 14 + tot;
}

static void learn_peer(struct ex_stack *s)
{
	uint8_t f[64], out[128];
	size_t n = ex_hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01"
			  "02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02",
			  f, sizeof(f));
	ex_stack_rx(s, f, n, "so that 10.0.0.1's MAC is known");
	while (ex_stack_tx(s, out, sizeof(out)))
		;
}

/* Sends pieces (off, len) of datagram id in the order given; the last piece ends the message. */
static void send_pieces(struct ex_stack *s, uint16_t id, const size_t (*pieces)[2], size_t n,
			const char *why)
{
	static uint8_t m[8 + DATA_LEN];
	size_t mlen = icmp_msg(m, id);
	uint8_t f[1600];
	for (size_t i = 0; i < n; i++) {
		size_t off = pieces[i][0], len = pieces[i][1];
		bool mf = off + len < mlen;
		char what[120];
		snprintf(what, sizeof(what), "ID %u: payload octets %zu..%zu%s%s", id, off,
			 off + len - 1, mf ? " (MF)" : " (last)", i == 0 && why ? why : "");
		ex_stack_rx(s, f, fragment(f, m, mlen, id, off, len, mf), what);
	}
}

#define HINT_COMPLETE                                                                              \
	"RFC 791 §3.2: the datagram is complete when the last fragment (MF clear) has fixed the " \
	"total length, fragment 0 has brought the header, and every 8-octet block up to the end "  \
	"has arrived; then rebuild the header (total length, MF and offset cleared, checksum) "    \
	"and return the buffer"
#define HINT_ORDER                                                                                 \
	"fragments arrive in any order: keep each one's octets at its offset (fragment offset x "  \
	"8) and remember which blocks you hold (RFC 791's \"fragment block bit table\")"

/*
 * Collects the stack's answer: the fragments of the echo reply, reassembled
 * here, whose ICMP data must equal what was sent.
 */
static void expect_reply(struct ex_stack *s, uint16_t id, const char *hint_id, const char *hint)
{
	static uint8_t m[8 + DATA_LEN], got[8 + DATA_LEN];
	size_t mlen = icmp_msg(m, id), have = 0;
	uint8_t out[1600];
	size_t n, frames = 0;
	while ((n = ex_stack_tx(s, out, sizeof(out))) > 0) {
		frames++;
		if (n < 34 || out[23] != 1)
			continue;
		size_t off = ((size_t)(out[20] & 0x1f) << 8 | out[21]) * 8;
		size_t len = ((size_t)out[16] << 8 | out[17]) - 20;
		if (off + len <= sizeof(got)) {
			memcpy(got + off, out + 34, len);
			have += len;
		}
	}
	if (!frames)
		ex_fail(hint_id, hint,
			"no echo reply: the request never came out of reassembly (drops: "
			"FRAG_BAD %llu, FRAG_DUP %llu, FRAG_OVERLAP %llu)",
			(unsigned long long)s->st.drops[DROP_IPV4_FRAG_BAD],
			(unsigned long long)s->st.drops[DROP_IPV4_FRAG_DUP],
			(unsigned long long)s->st.drops[DROP_IPV4_FRAG_OVERLAP]);
	if (have != mlen || got[0] != 0 || memcmp(got + 4, m + 4, mlen - 4) != 0) {
		size_t i = 8;
		while (i < mlen && got[i] == m[i])
			i++;
		ex_fail(
		    "reass.data",
		    "copy each fragment's payload to its offset in the datagram: the reply "
		    "echoes what you reassembled, and it differs from what was sent",
		    "the reply carries %zu of %zu octets; the first difference is at ICMP octet "
		    "%zu",
		    have, mlen, i);
	}
}

static const size_t THREE[3][2] = {{0, 1480}, {1480, 1480}, {2960, 48}};

EX_CHECK(in_order, "three fragments in order make one datagram")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	send_pieces(&s, 100, THREE, 3, NULL);
	expect_reply(&s, 100, "reass.complete", HINT_COMPLETE);
	ex_stack_free(&s);
}

EX_CHECK(any_order, "the same fragments last-first, and middle-first")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	static const size_t rev[3][2] = {{2960, 48}, {1480, 1480}, {0, 1480}};
	send_pieces(&s, 101, rev, 3, ", last first");
	expect_reply(&s, 101, "reass.order", HINT_ORDER);
	static const size_t mid[3][2] = {{1480, 1480}, {0, 1480}, {2960, 48}};
	send_pieces(&s, 102, mid, 3, ", middle first");
	expect_reply(&s, 102, "reass.order", HINT_ORDER);
	ex_stack_free(&s);
}

EX_CHECK(small_pieces, "many small fragments, some overlapping with the same octets")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	static const size_t pieces[][2] = {{800, 400}, {0, 496},   {1192, 1472},
					   {400, 400}, {496, 312}, {2656, 352}};
	send_pieces(&s, 103, pieces, sizeof(pieces) / sizeof(pieces[0]), NULL);
	expect_reply(&s, 103, "reass.order",
		     "pieces may overlap with identical octets (a retransmission cut "
		     "differently): count each 8-octet block once");
	ex_stack_free(&s);
}

EX_CHECK(duplicate_dropped, "a duplicate fragment is dropped, the datagram still completes")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	static const size_t dup[4][2] = {{0, 1480}, {0, 1480}, {1480, 1480}, {2960, 48}};
	send_pieces(&s, 104, dup, 4, NULL);
	if (s.st.drops[DROP_IPV4_FRAG_DUP] != 1)
		ex_fail("reass.duplicate",
			"a fragment that brings no new block is a duplicate: drop it as "
			"IPV4_FRAG_DUP (and do not count its blocks twice)",
			"IPV4_FRAG_DUP is %llu after one duplicate, expected 1",
			(unsigned long long)s.st.drops[DROP_IPV4_FRAG_DUP]);
	expect_reply(&s, 104, "reass.duplicate",
		     "count blocks received, not fragments: a duplicate must not make the "
		     "datagram look complete early or never");
	ex_stack_free(&s);
}

EX_CHECK(overlap_discards, "an overlap with different octets discards the datagram")
{
	struct ex_stack s;
	uint8_t m[8 + DATA_LEN], f[1600], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mlen = icmp_msg(m, 105);
	ex_stack_rx(&s, f, fragment(f, m, mlen, 105, 0, 1480, true), "ID 105: octets 0..1479");
	ex_stack_rx(&s, f, fragment(f, m, mlen, 105, 1472, 1488, true),
		    "ID 105: octets 1472..2959 (1472..1479 again, same values: fine)");
	m[1475] ^= 0xff;
	ex_stack_rx(&s, f, fragment(f, m, mlen, 105, 1472, 8, true),
		    "ID 105: octets 1472..1479 again, with different values");
	if (s.st.drops[DROP_IPV4_FRAG_OVERLAP] != 1)
		ex_fail("reass.overlap",
			"octets that arrive twice must arrive with the same values; if not, the "
			"datagram cannot be trusted: discard all of it as IPV4_FRAG_OVERLAP (RFC "
			"5722 does this for IPv6; it defeats overlap attacks on firewalls)",
			"IPV4_FRAG_OVERLAP is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_IPV4_FRAG_OVERLAP]);
	m[1475] ^= 0xff;
	ex_stack_rx(&s, f, fragment(f, m, mlen, 105, 2960, 48, false), "ID 105: the last fragment");
	if (ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("reass.overlap",
			"after a conflicting overlap, forget the datagram: nothing of it may be "
			"delivered",
			"the stack answered a datagram that had conflicting overlaps");
	uint32_t dgrams;
	size_t bytes;
	ipv4_reass_usage(&s.st, &dgrams, &bytes);
	(void)bytes;
	ex_step("a fresh datagram, ID 106, complete and clean");
	send_pieces(&s, 106, THREE, 3, NULL);
	expect_reply(&s, 106, "reass.complete", HINT_COMPLETE);
	ex_stack_free(&s);
}

EX_CHECK(bad_lengths, "a non-last fragment not a multiple of 8, or past 65535, is refused")
{
	struct ex_stack s;
	uint8_t m[8 + DATA_LEN], f[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mlen = icmp_msg(m, 107);
	ex_stack_rx(&s, f, fragment(f, m, mlen, 107, 0, 1001, true),
		    "ID 107: 1001 octets with MF set");
	if (s.st.drops[DROP_IPV4_FRAG_BAD] != 1)
		ex_fail("reass.bad-length",
			"RFC 791 §3.2: every fragment but the last carries a multiple of 8 octets: "
			"anything else is IPV4_FRAG_BAD",
			"IPV4_FRAG_BAD is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_IPV4_FRAG_BAD]);
	size_t n = fragment(f, m, mlen, 108, 0, 1480, false);
	f[14 + 6] = 0x1f; /* offset 8184 blocks = 65472 octets */
	f[14 + 7] = 0xf8;
	f[14 + 10] = f[14 + 11] = 0;
	uint16_t c = csum(f + 14, 20);
	f[14 + 10] = (uint8_t)(c >> 8);
	f[14 + 11] = (uint8_t)c;
	ex_stack_rx(&s, f, n, "ID 108: offset 65472 + 1480 octets (a \"ping of death\")");
	if (s.st.drops[DROP_IPV4_FRAG_BAD] != 2)
		ex_fail(
		    "reass.too-big",
		    "a datagram, header included, is at most 65535 octets (RFC 791 \"Total "
		    "Length\"): a fragment ending beyond that is IPV4_FRAG_BAD, before anything "
		    "is allocated",
		    "IPV4_FRAG_BAD is %llu, expected 2",
		    (unsigned long long)s.st.drops[DROP_IPV4_FRAG_BAD]);
	send_pieces(&s, 109, THREE, 3, NULL);
	expect_reply(&s, 109, "reass.complete", HINT_COMPLETE);
	ex_stack_free(&s);
}

EX_CHECK(interleaved, "fragments of two datagrams interleaved are kept apart")
{
	struct ex_stack s;
	uint8_t a[8 + DATA_LEN], b[8 + DATA_LEN], f[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t la = icmp_msg(a, 110), lb = icmp_msg(b, 111);
	for (int i = 0; i < 3; i++) {
		ex_stack_rx(&s, f, fragment(f, a, la, 110, THREE[i][0], THREE[i][1], i < 2),
			    "ID 110");
		ex_stack_rx(&s, f, fragment(f, b, lb, 111, THREE[2 - i][0], THREE[2 - i][1], i > 0),
			    "ID 111");
	}
	uint8_t out[1600];
	size_t replies = 0, n;
	while ((n = ex_stack_tx(&s, out, sizeof(out))) > 0)
		replies++;
	if (replies != 6)
		ex_fail("reass.key",
			"a datagram is identified by (source, destination, protocol, "
			"identification), RFC 791 §3.2: fragments of different IDs never mix",
			"%zu reply fragments, expected 6 (two replies of three)", replies);
	ex_stack_free(&s);
}

EX_CHECK(timeout_frees, "an incomplete datagram times out: time exceeded, memory freed")
{
	struct ex_stack s;
	uint8_t m[8 + DATA_LEN], f[1600], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t mlen = icmp_msg(m, 112);
	ex_stack_rx(&s, f, fragment(f, m, mlen, 112, 0, 1480, true), "ID 112: fragment 0 only");
	ex_stack_rx(&s, f, fragment(f, m, mlen, 112, 2960, 48, false), "ID 112: the last");
	uint32_t dgrams;
	size_t bytes;
	ipv4_reass_usage(&s.st, &dgrams, &bytes);
	if (dgrams != 1)
		ex_fail("reass.complete", HINT_COMPLETE,
			"%u datagrams under reassembly with a hole in the middle, expected 1",
			dgrams);
	ex_stack_advance(&s, (uint64_t)s.st.cfg.reass_timeout_ms * 1000u + 1000u);
	size_t n = ex_stack_tx(&s, out, sizeof(out));
	if (!n || out[23] != 1 || out[34] != 11 || out[35] != 1)
		ex_fail(
		    "reass.timeout",
		    "RFC 791 §3.2 / RFC 1122 §3.3.2: when the reassembly timer runs out, "
		    "release the fragments (IPV4_FRAG_TIMEOUT) and, since fragment 0 came, send "
		    "ICMP time exceeded, code 1 (the given reass_timer_fired does both once your "
		    "datagram has its timer armed and fragment 0's header kept)",
		    "expected ICMP time exceeded (type 11 code 1), got %s",
		    n ? ex_summary(out, n) : "nothing");
	ipv4_reass_usage(&s.st, &dgrams, &bytes);
	if (dgrams || bytes)
		ex_fail("reass.timeout", "the timer frees the datagram and all it held",
			"%u datagrams, %zu bytes still held after the timeout", dgrams, bytes);
	ex_stack_free(&s);
}

static void few_datagrams(struct ts_config *cfg)
{
	cfg->reass_max_datagrams = 4;
}

EX_CHECK(bounded, "at most cfg.reass_max_datagrams datagrams are held at once")
{
	struct ex_stack s;
	uint8_t m[8 + DATA_LEN], f[1600];
	ex_stack_init(&s, few_datagrams);
	learn_peer(&s);
	ex_step("cfg.reass_max_datagrams is 4; fragment 0 of 6 different datagrams");
	for (uint16_t id = 120; id < 126; id++) {
		size_t mlen = icmp_msg(m, id);
		ex_stack_rx(&s, f, fragment(f, m, mlen, id, 0, 1480, true), NULL);
	}
	uint32_t dgrams;
	size_t bytes;
	ipv4_reass_usage(&s.st, &dgrams, &bytes);
	if (dgrams != 4 || s.st.drops[DROP_IPV4_FRAG_TOO_MANY] != 2)
		ex_fail("reass.bound",
			"every queue an attacker can fill is bounded: beyond "
			"cfg.reass_max_datagrams, a fragment of a new datagram is dropped as "
			"IPV4_FRAG_TOO_MANY (reass_new does the counting: use it)",
			"%u datagrams held, IPV4_FRAG_TOO_MANY %llu; expected 4 and 2", dgrams,
			(unsigned long long)s.st.drops[DROP_IPV4_FRAG_TOO_MANY]);
	ex_stack_free(&s);
}
