/*
 * ipv4_test.c - the checks of the ipv4 exercise (docs/exercises/ipv4/):
 * ipv4_parse on good and bad headers, then a stack with the learner's IPv4
 * layer: what it accepts and refuses on input (RFC 1122 §3.2.1), what its
 * headers look like on output, and fragmentation (RFC 791 §3.2).  ICMP
 * above is the reference: an echo reply is the proof that a datagram got
 * through whole.
 */
#include <errno.h>
#include <string.h>

#include "icmp.h"
#include "ip.h"
#include "ip_pmtu.h"
#include "ipv4.h"
#include "lib/exunit.h"
#include "stack.h"

#define US   0x0a000002u
#define PEER 0x0a000001u

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

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An echo request frame from src to dst with n data octets; returns its length. */
static size_t echo_frame(uint8_t *f, uint32_t src, uint32_t dst, size_t n, uint8_t proto)
{
	static const uint8_t eth[14] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0};
	memcpy(f, eth, 14);
	uint8_t *ip = f + 14, *icmp = ip + 20;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + n));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = proto;
	put16(ip + 12, (uint16_t)(src >> 16));
	put16(ip + 14, (uint16_t)src);
	put16(ip + 16, (uint16_t)(dst >> 16));
	put16(ip + 18, (uint16_t)dst);
	put16(ip + 10, csum(ip, 20));
	icmp[0] = 8;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	put16(icmp + 4, 0x4242);
	put16(icmp + 6, 1);
	for (size_t i = 0; i < n; i++)
		icmp[8 + i] = (uint8_t)i;
	put16(icmp + 2, csum(icmp, 8 + n));
	return 14 + 28 + n;
}

/* Recomputes the header checksum after a test changed the header. */
static void fix_ip(uint8_t *f)
{
	f[24] = f[25] = 0;
	put16(f + 24, csum(f + 14, (size_t)(f[14] & 0xf) * 4));
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

#define HINT_PARSE_ORDER                                                                           \
	"check in the order ipv4.h gives: length >= 20, version 4, IHL >= 5, length >= IHL*4, "    \
	"IHL*4 <= Total Length <= length, checksum, options; each failure has its IPV4_* reason"

EX_CHECK(parse_fields, "ipv4_parse reads every field of Linux's echo request")
{
	uint8_t f[128];
	static const char *req = "45 00 00 54 78 5b 40 00 40 01 ae 4b 0a 00 00 01 0a 00 00 02"
				 "08 00 91 76 29 12 00 01";
	size_t n = ex_hex(req, f, sizeof(f));
	memset(f + n, 0, 56);
	struct ipv4_view v;
	memset(&v, 0xee, sizeof(v));
	ex_step("ipv4_parse(the IPv4 header of tests/frames/icmp/echo_request.hex, 84 octets)");
	enum ts_drop_reason r = ipv4_parse(f, 84, &v);
	if (r != DROP_NONE)
		ex_fail("ipv4.parse-valid", HINT_PARSE_ORDER,
			"ipv4_parse refused Linux's valid header with %s", ts_drop_name(r));
	if (v.hdr_len != 20 || v.total_len != 84 || v.id != 0x785b || !v.df || v.mf ||
	    v.frag_off != 0 || v.ttl != 64 || v.proto != 1 || v.src != PEER || v.dst != US ||
	    v.payload != f + 20)
		ex_fail(
		    "ipv4.parse-fields",
		    "read each field at its IPV4_OFF_* offset, big-endian; hdr_len is IHL*4, "
		    "frag_off the offset field times 8, addresses in host order",
		    "got hdr_len %u total_len %u id 0x%04x df %d mf %d frag_off %u ttl %u proto "
		    "%u src 0x%08x dst 0x%08x; expected 20 84 0x785b 1 0 0 64 1 0x0a000001 "
		    "0x0a000002",
		    v.hdr_len, v.total_len, v.id, v.df, v.mf, v.frag_off, v.ttl, v.proto, v.src,
		    v.dst);
}

EX_CHECK(parse_rejects, "ipv4_parse refuses each malformed header with its reason")
{
	static const struct {
		const char *what;
		size_t off;
		uint8_t val;
		size_t len;
		bool refix; /* recompute the checksum after the change */
		enum ts_drop_reason want;
	} cases[] = {
	    {"a valid header with 8 octets of Ethernet padding after it", 0, 0x45, 36, false,
	     DROP_NONE},
	    {"19 octets", 0, 0x45, 19, false, DROP_IPV4_TRUNCATED},
	    {"version 6", 0, 0x65, 28, true, DROP_IPV4_BAD_VERSION},
	    {"IHL 4", 0, 0x44, 28, true, DROP_IPV4_BAD_IHL},
	    {"IHL 6 in 22 octets", 0, 0x46, 22, false, DROP_IPV4_TRUNCATED},
	    {"Total Length 19", 3, 19, 28, true, DROP_IPV4_BAD_LEN},
	    {"Total Length 40 in a 28-octet buffer", 3, 40, 28, true, DROP_IPV4_BAD_LEN},
	    {"one bit of the TTL flipped (checksum now wrong)", 8, 65, 28, false,
	     DROP_IPV4_BAD_CSUM},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[128];
		echo_frame(f, PEER, US, 0, 1);
		uint8_t *ip = f + 14;
		ip[cases[i].off] = cases[i].val;
		if (cases[i].refix)
			fix_ip(f);
		struct ipv4_view v;
		ex_step("ipv4_parse(%s)", cases[i].what);
		enum ts_drop_reason r = ipv4_parse(ip, cases[i].len, &v);
		if (r != cases[i].want) {
			const char *id = "ipv4.parse-order", *hint = HINT_PARSE_ORDER;
			if (cases[i].want == DROP_IPV4_BAD_CSUM) {
				id = "ipv4.checksum";
				hint = "RFC 1122 §3.2.1.2: a host MUST verify the header checksum: "
				       "ts_csum_fold(ts_csum_partial(header, IHL*4, 0)) != 0 is "
				       "IPV4_BAD_CSUM";
			} else if (cases[i].want == DROP_IPV4_BAD_LEN) {
				id = "ipv4.total-length";
				hint =
				    "Total Length may be no less than the header and no more than "
				    "the octets really there (IPV4_BAD_LEN): a datagram that "
				    "claims "
				    "more than it brings would make every layer above read past it";
			}
			ex_fail(id, hint, "%s: expected %s, got %s", cases[i].what,
				ts_drop_name(cases[i].want), ts_drop_name(r));
		}
	}
	uint8_t f[128];
	echo_frame(f, PEER, US, 0, 1);
	uint8_t *ip = f + 14;
	ip[0] = 0x46;
	put16(ip + 2, 32);
	memmove(ip + 24, ip + 20, 8);
	ip[20] = 0x44; /* an option: kind 0x44, length 1: malformed */
	ip[21] = 1;
	ip[22] = ip[23] = 0;
	fix_ip(f);
	ex_step("ipv4_parse(IHL 6 with an option whose length octet is 1)");
	enum ts_drop_reason r = ipv4_parse(ip, 32, &(struct ipv4_view){0});
	if (r != DROP_IPV4_BAD_OPTIONS)
		ex_fail("ipv4.options",
			"walk the options in a bounded loop: a length below 2 or beyond the header "
			"is IPV4_BAD_OPTIONS (never loop on it)",
			"expected IPV4_BAD_OPTIONS, got %s", ts_drop_name(r));
}

EX_CHECK(echo_answered, "an echo request for us comes back, trimmed of its padding")
{
	struct ex_stack s;
	uint8_t f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	size_t n = echo_frame(f, PEER, US, 4, 1);
	memset(f + n, 0, 60 - n);
	ex_stack_rx(&s, f, 60, "a 32-octet datagram padded to a 60-octet Ethernet frame");
	size_t m = ex_stack_tx(&s, out, sizeof(out));
	if (!m) {
		if (s.st.drops[DROP_ICMP_BAD_CSUM])
			ex_fail(
			    "ipv4.trim",
			    "Ethernet pads short frames to 60 octets: trim the buffer to Total "
			    "Length (ts_buf_trim) before handing it up, or the padding becomes "
			    "part of the ICMP message",
			    "no reply: ICMP found the message's checksum wrong (it got the padding "
			    "too)");
		ex_fail("ipv4.deliver",
			"a datagram for us goes to its protocol's handler with b->data at the "
			"transport header (b->transport), b->src, b->dst and b->ip_proto set",
			"no reply to an echo request for us");
	}
	if (m != 14 + 32)
		ex_fail("ipv4.trim",
			"trim to Total Length: the padding is not part of the datagram",
			"the reply is %zu octets, expected %d", m, 14 + 32);
	ex_stack_free(&s);
}

EX_CHECK(output_header, "the header of what the stack sends, field by field")
{
	struct ex_stack s;
	uint8_t f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	ex_stack_rx(&s, f, echo_frame(f, PEER, US, 8, 1), NULL);
	size_t m = ex_stack_tx(&s, out, sizeof(out));
	if (!m)
		ex_fail("ipv4.deliver", "an echo request for us must be answered",
			"no reply to an echo request");
	uint8_t want[128], mask[128];
	memcpy(want, out, m);
	memset(mask, 0, sizeof(mask));
	memset(mask + 14, 1, 20);
	mask[14 + 4] = mask[14 + 5] = 0;   /* Identification: yours to choose */
	mask[14 + 10] = mask[14 + 11] = 0; /* Header Checksum: checked below */
	static const uint8_t hdr[20] = {0x45, 0, 0,  36, 0, 0, 0,  0, 64, 1,
					0,    0, 10, 0,	 0, 2, 10, 0, 0,  1};
	memcpy(want + 14, hdr, 20);
	ex_expect_frame("the reply's IPv4 header", want, m, out, m, mask, "ipv4.build",
			"version 4 and IHL 5 in the first octet, Total Length, flags and offset "
			"zero, TTL cfg.ttl (64), Protocol, our address as source");
	if (csum(out + 14, 20) != 0)
		ex_fail("ipv4.build-checksum",
			"compute the header checksum last, over the 20 octets with the checksum "
			"field zero",
			"the reply's header checksum 0x%02x%02x does not verify", out[24], out[25]);
	ex_stack_free(&s);
}

EX_CHECK(not_for_us, "a datagram for another address or from a bad source is dropped")
{
	struct ex_stack s;
	uint8_t f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	ex_stack_rx(&s, f, echo_frame(f, PEER, 0x0a000003, 0, 1), "to 10.0.0.3: not us");
	if (ex_stack_tx(&s, out, sizeof(out)) || s.st.drops[DROP_IPV4_NOT_FOR_US] != 1)
		ex_fail("ipv4.not-for-us",
			"a host does not forward: a datagram for another address is "
			"IPV4_NOT_FOR_US (RFC 1122 §3.3.1: hosts are not routers)",
			"IPV4_NOT_FOR_US is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_IPV4_NOT_FOR_US]);
	static const uint32_t bad[3] = {0x0a0000ffu, 0xe0000001u, 0x7f000001u};
	static const char *names[3] = {"10.0.0.255 (subnet broadcast)", "224.0.0.1 (multicast)",
				       "127.0.0.1 (loopback)"};
	for (int i = 0; i < 3; i++) {
		char why[64];
		snprintf(why, sizeof(why), "from %s", names[i]);
		ex_stack_rx(&s, f, echo_frame(f, bad[i], US, 0, 1), why);
		if (ex_stack_tx(&s, out, sizeof(out)) ||
		    s.st.drops[DROP_IPV4_BAD_SRC] != (uint64_t)i + 1)
			ex_fail("ipv4.bad-source",
				"RFC 1122 §3.2.1.3: a host MUST silently discard a datagram whose "
				"source is a broadcast, multicast or loopback address "
				"(IPV4_BAD_SRC)",
				"a datagram from %s was not dropped as IPV4_BAD_SRC", names[i]);
	}
	ex_stack_rx(&s, f, echo_frame(f, PEER, US, 0, 1), "a proper one");
	if (!ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("ipv4.deliver", "a datagram for us goes up to its protocol",
			"no reply to an echo request for us");
	ex_stack_free(&s);
}

EX_CHECK(unknown_protocol, "an unknown protocol gets ICMP protocol unreachable")
{
	struct ex_stack s;
	uint8_t f[128], out[1600];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	ex_stack_rx(&s, f, echo_frame(f, PEER, US, 8, 99), "protocol 99");
	size_t m = ex_stack_tx(&s, out, sizeof(out));
	if (!m || out[23] != 1 || out[34] != 3 || out[35] != 2 ||
	    s.st.drops[DROP_IPV4_UNKNOWN_PROTO] != 1)
		ex_fail("ipv4.unknown-proto",
			"RFC 1122 §3.2.2.1: a protocol with no handler SHOULD get ICMP destination "
			"unreachable, code 2 (icmp_send_dest_unreach with ICMP_UNREACH_PROTOCOL, "
			"while b->network still points at the header), then IPV4_UNKNOWN_PROTO",
			"expected ICMP type 3 code 2 and one IPV4_UNKNOWN_PROTO; got %s",
			m ? ex_summary(out, m) : "nothing");
	ex_stack_free(&s);
}

static void mtu_1000(struct ts_config *cfg)
{
	cfg->mtu = 1000;
}

EX_CHECK(fragments_on_output, "a datagram over the MTU leaves in fragments of 8-octet multiples")
{
	struct ex_stack s;
	uint8_t out[1600];
	static uint8_t data[2500], whole[2600];
	ex_stack_init(&s, mtu_1000);
	learn_peer(&s);
	ex_step("cfg.mtu is 1000: the stack pings 10.0.0.1 with 2500 octets of data");
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 3);
	icmp_echo_request(&s.st, PEER, 9, 1, data, sizeof(data));
	stack_poll(&s.st, s.now_us);
	size_t got = 0, frags = 0, n, no_mf = 0;
	static uint8_t frame[16][1600];
	static size_t flen[16];
	while ((n = ex_stack_tx(&s, out, sizeof(out))) > 0) {
		if (frags < 16) {
			memcpy(frame[frags], out, n);
			flen[frags] = n;
		}
		frags++;
		no_mf += !(out[14 + 6] & 0x20);
	}
	if (frags < 3 || frags > 16 || no_mf != 1)
		ex_fail(
		    "ipv4.fragment-mf",
		    "RFC 791 §3.2: cut the payload into fragments, MF on every one but the last",
		    "%zu fragments, %zu of them without MF (expected at least 3, exactly one "
		    "without MF)",
		    frags, no_mf);
	int id = -1;
	for (size_t k = 0; k < frags; k++) {
		uint8_t *ip = frame[k] + 14;
		n = flen[k];
		size_t tot = (size_t)ip[2] << 8 | ip[3];
		size_t off = ((size_t)(ip[6] & 0x1f) << 8 | ip[7]) * 8;
		bool mf = ip[6] & 0x20;
		size_t len = tot - 20;
		if (n - 14 > s.st.cfg.mtu)
			ex_fail("ipv4.fragment-size",
				"each fragment, header included, fits in cfg.mtu",
				"fragment %zu is %zu octets of IPv4, the MTU is %u", k + 1, n - 14,
				s.st.cfg.mtu);
		if (mf && len % 8)
			ex_fail("ipv4.fragment-8",
				"every fragment but the last carries a multiple of 8 octets (the "
				"offset field counts 8-octet units): (mtu - 20) & ~7",
				"fragment %zu carries %zu octets with MF set", k + 1, len);
		if (csum(ip, 20) != 0)
			ex_fail("ipv4.build-checksum", "each fragment has its own header checksum",
				"fragment %zu's header checksum does not verify", k + 1);
		if (id >= 0 && id != (ip[4] << 8 | ip[5]))
			ex_fail(
			    "ipv4.fragment-id",
			    "all fragments of one datagram carry the same Identification: it is "
			    "how the receiver groups them (RFC 791 §3.2)",
			    "fragment %zu has ID 0x%02x%02x, the first had 0x%04x", k + 1, ip[4],
			    ip[5], id);
		id = ip[4] << 8 | ip[5];
		if (off + len <= sizeof(whole)) {
			memcpy(whole + off, ip + 20, len);
			got += len;
		}
	}
	if (got != 8 + sizeof(data) || memcmp(whole + 8, data, sizeof(data)) != 0)
		ex_fail("ipv4.fragment-offsets",
			"each fragment's Fragment Offset (in 8-octet units) says where its payload "
			"goes: put together, they must give the ICMP message back",
			"the fragments put together give %zu octets, expected %zu, or different "
			"octets",
			got, 8 + sizeof(data));
	ex_stack_free(&s);
}

EX_CHECK(refusals_on_output, "no route, DF over the MTU, and over 65535 are refused")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	struct ts_buf *b = ts_buf_alloc(&s.st, 16, TS_BUF_HEADROOM);
	memset(ts_buf_put(b, 16), 0, 16);
	ex_step("ipv4_output to 192.168.1.1 (no gateway configured)");
	int r = ipv4_output(&s.st, b, 0, 0xc0a80101u, 17);
	if (r != -ENETUNREACH || s.st.drops[DROP_IPV4_NO_ROUTE] != 1)
		ex_fail("ipv4.route",
			"off the connected subnet and without cfg.gw there is no route: "
			"IPV4_NO_ROUTE and -ENETUNREACH",
			"returned %d, IPV4_NO_ROUTE %llu; expected %d and 1", r,
			(unsigned long long)s.st.drops[DROP_IPV4_NO_ROUTE], -ENETUNREACH);
	b = ts_buf_alloc(&s.st, 3000, TS_BUF_HEADROOM);
	memset(ts_buf_put(b, 3000), 0, 3000);
	ex_step("ipv4_output_opts of 3000 octets with IP_PMTUDISC_DO (DF) to 10.0.0.1 (MTU 1500)");
	r = ipv4_output_opts(&s.st, b, 0, PEER, 17,
			     &(struct ip_tx_opts){.pmtudisc = IP_PMTUDISC_DO});
	if (r != -EMSGSIZE || s.st.drops[DROP_IPV4_FRAG_NEEDED] != 1)
		ex_fail("ipv4.df",
			"Don't Fragment means what it says: over the MTU, refuse "
			"(IPV4_FRAG_NEEDED, -EMSGSIZE) instead of fragmenting",
			"returned %d, IPV4_FRAG_NEEDED %llu; expected %d and 1", r,
			(unsigned long long)s.st.drops[DROP_IPV4_FRAG_NEEDED], -EMSGSIZE);
	uint8_t out[1600];
	if (ex_stack_tx(&s, out, sizeof(out)))
		ex_fail("ipv4.df", "a refused datagram sends nothing", "something was sent: %s",
			ex_summary(out, 60));
	ex_stack_free(&s);
}

/* Sends len octets of UDP to the peer with IP_MTU_DISCOVER mode; returns what
 * ipv4_output_opts returned, the frames sent in *frames, DF on the first in *df
 * and the largest IPv4 datagram sent in *largest. */
static int send_pmtu(struct ex_stack *s, size_t len, uint8_t mode, size_t *frames, bool *df,
		     size_t *largest)
{
	uint8_t out[1600];
	struct ts_buf *b = ts_buf_alloc(&s->st, len, TS_BUF_HEADROOM);
	if (!b)
		ex_fail("harness", "out of memory", "ts_buf_alloc failed");
	memset(ts_buf_put(b, len), 0x33, len);
	int r = ipv4_output_opts(&s->st, b, 0, PEER, 17, &(struct ip_tx_opts){.pmtudisc = mode});
	size_t n;
	*frames = *largest = 0;
	*df = false;
	while ((n = ex_stack_tx(s, out, sizeof(out))) > 0) {
		if (*frames == 0)
			*df = out[14 + 6] & 0x40;
		if (n - 14 > *largest)
			*largest = n - 14;
		++*frames;
	}
	return r;
}

#define HINT_PMTU                                                                                  \
	"the size that needs fragments is the path MTU toward the destination, not the link's: "   \
	"ip_pmtu_get(st, &dst, &locked) when ip_pmtudisc_uses_pmtu(opts->pmtudisc) (RFC 1191: a "  \
	"router said the path carries less), cfg.mtu for PROBE, INTERFACE and OMIT"
#define HINT_PMTU_DF                                                                               \
	"DF follows the socket's IP_MTU_DISCOVER (opts->pmtudisc, the table at struct "            \
	"ip_tx_opts in ip.h): DO and PROBE always, WANT when the datagram fits the path MTU (and " \
	"the estimate is not locked), DONT never; a datagram that needs fragments with DO goes "   \
	"nowhere (IPV4_FRAG_NEEDED, -EMSGSIZE)"

EX_CHECK(path_mtu_on_output, "the path MTU and IP_MTU_DISCOVER decide DF and the fragments")
{
	struct ex_stack s;
	size_t frames, largest;
	bool df;
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	struct ip_addr peer = ip_addr_v4(PEER);
	ex_step("a router said the path to 10.0.0.1 carries 1000 octets: ip_pmtu_update(st, "
		"10.0.0.1, 1000); cfg.mtu is %u",
		s.st.cfg.mtu);
	if (ip_pmtu_update(&s.st, &peer, 1000) != 1000)
		ex_fail("harness", "the reference path MTU cache", "the estimate was not stored");

	ex_step("ipv4_output_opts of 900 octets with IP_PMTUDISC_WANT");
	int r = send_pmtu(&s, 900, IP_PMTUDISC_WANT, &frames, &df, &largest);
	if (r != 0 || frames != 1 || largest != 920)
		ex_fail("ipv4.pmtu", HINT_PMTU,
			"returned %d, %zu frame(s), the largest %zu octets; expected 0 and one "
			"datagram of 920",
			r, frames, largest);
	if (!df)
		ex_fail("ipv4.pmtu-df", HINT_PMTU_DF,
			"the datagram fits the path MTU and went without DF; IP_PMTUDISC_WANT sets "
			"it then");

	ex_step("ipv4_output_opts of 1400 octets with IP_PMTUDISC_WANT");
	r = send_pmtu(&s, 1400, IP_PMTUDISC_WANT, &frames, &df, &largest);
	if (r != 0 || frames != 2 || largest != 996)
		ex_fail("ipv4.pmtu", HINT_PMTU,
			"returned %d, %zu frame(s), the largest %zu octets of IPv4; expected 0 and "
			"two fragments, the first of 20 + (1000 - 20) & ~7 = 996",
			r, frames, largest);
	if (df)
		ex_fail("ipv4.pmtu-df", HINT_PMTU_DF,
			"fragments of an IP_PMTUDISC_WANT datagram went with DF");

	ex_step("ipv4_output_opts of 1400 octets with IP_PMTUDISC_DO");
	r = send_pmtu(&s, 1400, IP_PMTUDISC_DO, &frames, &df, &largest);
	if (r != -EMSGSIZE || frames != 0 || s.st.drops[DROP_IPV4_FRAG_NEEDED] != 1)
		ex_fail("ipv4.pmtu-df", HINT_PMTU_DF,
			"returned %d, %zu frame(s) sent, IPV4_FRAG_NEEDED %llu; expected %d, none, "
			"1",
			r, frames, (unsigned long long)s.st.drops[DROP_IPV4_FRAG_NEEDED],
			-EMSGSIZE);

	ex_step("ipv4_output_opts of 1400 octets with IP_PMTUDISC_PROBE (the link's MTU)");
	r = send_pmtu(&s, 1400, IP_PMTUDISC_PROBE, &frames, &df, &largest);
	if (r != 0 || frames != 1 || largest != 1420)
		ex_fail("ipv4.pmtu", HINT_PMTU,
			"returned %d, %zu frame(s), the largest %zu octets; expected 0 and one "
			"datagram of 1420 (PROBE sizes by cfg.mtu)",
			r, frames, largest);
	if (!df)
		ex_fail("ipv4.pmtu-df", HINT_PMTU_DF, "IP_PMTUDISC_PROBE sent without DF");
	ex_stack_free(&s);
}

EX_CHECK(gso_datagram_whole, "a GSO datagram (TSO) goes to the link whole, not in fragments")
{
	struct ex_stack s;
	uint8_t out[4096];
	ex_stack_init(&s, NULL);
	learn_peer(&s);
	struct ts_buf *b = ts_buf_alloc(&s.st, 2920, TS_BUF_HEADROOM);
	if (!b)
		ex_fail("harness", "out of memory", "ts_buf_alloc failed");
	memset(ts_buf_put(b, 2920), 0x5a, 2920);
	b->gso_type = NETDEV_GSO_TCPV4;
	b->gso_size = 1460;
	ex_step("ipv4_output of 2920 octets of TCP to 10.0.0.1 marked for segmentation offload "
		"(b->gso_type NETDEV_GSO_TCPV4, gso_size 1460); cfg.mtu is %u",
		s.st.cfg.mtu);
	int r = ipv4_output(&s.st, b, 0, PEER, IPV4_PROTO_TCP);
	size_t n = ex_stack_tx(&s, out, sizeof(out));
	const char *hint =
	    "a buffer with b->gso_type set is one TCP datagram that the link cuts into "
	    "MTU-sized segments itself (TSO, netdev.h): give it its header and send it whole, "
	    "over cfg.mtu; IP fragments of it would reach the peer as fragments of a 2940-octet "
	    "datagram instead of two segments";
	if (r != 0 || n != 14 + 20 + 2920)
		ex_fail("ipv4.gso", hint, "ipv4_output returned %d and the link got %s", r,
			n ? ex_summary(out, n) : "nothing");
	if (((out[20] << 8 | out[21]) & 0x3fff) != 0 || (out[16] << 8 | out[17]) != 2940)
		ex_fail("ipv4.gso", hint,
			"the datagram went out with Total Length %u, flags and offset 0x%04x; "
			"expected 2940 and no MF, offset 0",
			out[16] << 8 | out[17], out[20] << 8 | out[21]);
	if ((n = ex_stack_tx(&s, out, sizeof(out))) != 0)
		ex_fail("ipv4.gso", hint, "a second frame followed: %s", ex_summary(out, n));
	ex_stack_free(&s);
}
