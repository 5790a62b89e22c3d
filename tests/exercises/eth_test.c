/*
 * eth_test.c - the checks of the eth exercise (docs/exercises/eth/):
 * eth_parse and eth_build on bytes, then a stack with the learner's
 * Ethernet layer: which frames it takes (our MAC, broadcast), which it
 * drops and why, that ARP and IPv4 get their packets without the header,
 * and the header eth_output puts on what the stack sends.  The layers
 * above are the reference; they answer when Ethernet hands them the
 * right bytes.
 */
#include <string.h>

#include "eth.h"
#include "icmp.h"
#include "lib/exunit.h"
#include "stack.h"

static const uint8_t MAC_US[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define HINT_FILTER                                                                                \
	"take a frame only when its destination is your MAC or the broadcast address "             \
	"ff:ff:ff:ff:ff:ff (this stack joins no multicast group); anything else is "               \
	"DROP_ETH_NOT_FOR_US"
#define HINT_PULL                                                                                  \
	"the next layer expects b->data at ITS header: pull the 14-byte Ethernet header "          \
	"(ts_buf_pull) before calling arp_input or ipv4_input"
#define HINT_TYPE                                                                                  \
	"the EtherType is big-endian on the wire (0x0806 is the bytes 08 06): read it with "       \
	"get_be16, write it with put_be16"
#define HINT_DISPATCH                                                                              \
	"dispatch by EtherType: 0x0806 to arp_input, 0x0800 to ipv4_input (a small table, "        \
	"microps net.c style), anything else DROP_ETH_UNKNOWN_TYPE"

/* An ARP request from the peer for us, to eth_dst. */
static size_t arp_request(uint8_t *f, const uint8_t eth_dst[6], const uint8_t eth_src[6])
{
	static const uint8_t arp[28] = {0,  1, 8, 0, 6, 4, 0, 1, 2, 0, 0,  0, 0, 1,
					10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, eth_src, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	memcpy(f + 14, arp, 28);
	return 42;
}

static uint64_t drops_below(const struct stack *st)
{
	uint64_t n = 0;
	for (int i = DROP_ARP_TRUNCATED; i < DROP_MAX; i++)
		n += st->drops[i];
	return n;
}

/* The request must get a reply; else name the likely cause from the drop counters. */
static void expect_answer(struct ex_stack *s, const char *what)
{
	uint8_t out[1600];
	size_t n = ex_stack_tx(s, out, sizeof(out));
	if (n)
		return;
	const struct stack *st = &s->st;
	if (st->drops[DROP_ETH_NOT_FOR_US])
		ex_fail("eth.filter", HINT_FILTER,
			"no answer to %s: your layer dropped it as ETH_NOT_FOR_US", what);
	if (st->drops[DROP_ETH_UNKNOWN_TYPE])
		ex_fail("eth.type-order", HINT_TYPE,
			"no answer to %s: your layer did not recognise its EtherType "
			"(ETH_UNKNOWN_TYPE)",
			what);
	if (drops_below(st))
		ex_fail("eth.pull", HINT_PULL,
			"no answer to %s: the layer above rejected what you handed it "
			"(%llu drops counted by ARP/IPv4)",
			what, (unsigned long long)drops_below(st));
	ex_fail("eth.dispatch", HINT_DISPATCH, "no answer to %s: nothing was sent", what);
}

EX_CHECK(parse_fields, "eth_parse finds both addresses, the type and the payload")
{
	uint8_t f[64];
	struct eth_view v;
	size_t n = arp_request(f, MAC_BCAST, MAC_PEER);
	ex_step("eth_parse(a 42-byte ARP request from 02:00:00:00:00:01 to broadcast)");
	enum ts_drop_reason r = eth_parse(f, n, &v);
	if (r != DROP_NONE)
		ex_fail("eth.parse", "a frame of 14 bytes or more parses", "eth_parse returned %s",
			ts_drop_name(r));
	if (v.type != 0x0806)
		ex_fail(v.type == 0x0608 ? "eth.type-order" : "eth.parse",
			v.type == 0x0608 ? HINT_TYPE : "the type is the two bytes at offset 12",
			"type is 0x%04x, expected 0x0806", v.type);
	if (v.dst != f || v.src != f + 6 || v.payload != f + 14 || v.payload_len != 28)
		ex_fail(
		    "eth.parse",
		    "dst points at byte 0, src at byte 6, the payload at byte 14 and runs to the "
		    "end of the frame",
		    "dst at +%td, src at +%td, payload at +%td length %zu; expected +0, +6, +14, "
		    "28",
		    v.dst - f, v.src - f, v.payload - f, v.payload_len);
	ex_step("eth_parse(the same frame cut to 13 bytes)");
	if ((r = eth_parse(f, 13, &v)) != DROP_ETH_TRUNCATED)
		ex_fail("eth.truncated", "check the length before reading: 14 bytes at least",
			"eth_parse of 13 bytes returned %s, expected ETH_TRUNCATED",
			ts_drop_name(r));
}

EX_CHECK(build_header, "eth_build writes destination, source and type, big-endian")
{
	uint8_t h[14];
	memset(h, 0xee, sizeof(h));
	ex_step("eth_build(h, 02:00:00:00:00:01, 02:00:00:00:00:02, 0x0800)");
	eth_build(h, MAC_PEER, MAC_US, 0x0800);
	static const uint8_t want[14] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00};
	if (h[12] == 0x00 && h[13] == 0x08)
		ex_fail("eth.type-order", HINT_TYPE, "the type was written as 00 08");
	ex_expect_frame("the header", want, 14, h, 14, NULL, "eth.build",
			"destination (6 bytes), source (6 bytes), type (2 bytes, big-endian)");
}

EX_CHECK(takes_broadcast, "a broadcast ARP request reaches ARP, which answers")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, MAC_BCAST, MAC_PEER), "broadcast");
	expect_answer(&s, "a broadcast ARP request for our address");
	ex_stack_free(&s);
}

EX_CHECK(takes_unicast, "a frame to our MAC reaches its layer")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, MAC_US, MAC_PEER), "to 02:00:00:00:00:02 (us)");
	expect_answer(&s, "an ARP request sent to our MAC");
	ex_stack_free(&s);
}

EX_CHECK(drops_other_unicast, "a frame to another MAC is dropped, one to us is taken")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	static const uint8_t other[6] = {2, 0, 0, 0, 0, 0x99};
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, other, MAC_PEER), "to 02:00:00:00:00:99: not us");
	if (ex_stack_tx(&s, out, sizeof(out)) || s.st.drops[DROP_ETH_NOT_FOR_US] != 1)
		ex_fail("eth.filter", HINT_FILTER,
			"a frame for 02:00:00:00:00:99 was taken (ETH_NOT_FOR_US is %llu)",
			(unsigned long long)s.st.drops[DROP_ETH_NOT_FOR_US]);
	ex_stack_rx(&s, f, arp_request(f, MAC_US, MAC_PEER), "to us");
	expect_answer(&s, "an ARP request sent to our MAC");
	ex_stack_free(&s);
}

EX_CHECK(drops_multicast, "a multicast frame (IPv6 MLD, 33:33:...) is dropped")
{
	struct ex_stack s;
	uint8_t f[64];
	static const uint8_t mcast[6] = {0x33, 0x33, 0, 0, 0, 0x16};
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, mcast, MAC_PEER),
		    "to 33:33:00:00:00:16, a group we did not join");
	if (s.st.drops[DROP_ETH_NOT_FOR_US] != 1)
		ex_fail("eth.multicast",
			"a group address (bit 0 of the first byte set) other than broadcast is for "
			"the members of that group: this stack joins none, so DROP_ETH_NOT_FOR_US",
			"ETH_NOT_FOR_US is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_ETH_NOT_FOR_US]);
	ex_stack_rx(&s, f, arp_request(f, MAC_BCAST, MAC_PEER), "broadcast");
	expect_answer(&s, "a broadcast ARP request");
	ex_stack_free(&s);
}

EX_CHECK(drops_unknown_type, "an EtherType we do not speak is dropped")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	size_t n = arp_request(f, MAC_US, MAC_PEER);
	f[12] = 0x88;
	f[13] = 0xcc;
	ex_stack_rx(&s, f, n, "EtherType 0x88cc (LLDP)");
	if (s.st.drops[DROP_ETH_UNKNOWN_TYPE] != 1)
		ex_fail("eth.dispatch", HINT_DISPATCH, "ETH_UNKNOWN_TYPE is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_ETH_UNKNOWN_TYPE]);
	ex_stack_rx(&s, f, arp_request(f, MAC_US, MAC_PEER), "a proper ARP request");
	expect_answer(&s, "an ARP request");
	ex_stack_free(&s);
}

EX_CHECK(drops_own_frames, "our own broadcast coming back is dropped")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, MAC_BCAST, MAC_US), "source 02:00:00:00:00:02: ours");
	if (ex_stack_tx(&s, out, sizeof(out)) || s.st.drops[DROP_ETH_FROM_SELF] != 1)
		ex_fail("eth.from-self",
			"a frame whose source is your own MAC is your own broadcast looped back (a "
			"bridge, a test wire): drop it as ETH_FROM_SELF before it is processed",
			"ETH_FROM_SELF is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_ETH_FROM_SELF]);
	ex_stack_rx(&s, f, arp_request(f, MAC_BCAST, MAC_PEER), "the peer's request");
	expect_answer(&s, "the peer's ARP request");
	ex_stack_free(&s);
}

EX_CHECK(ipv4_reaches_icmp, "an IPv4 frame reaches IPv4 without its Ethernet header")
{
	struct ex_stack s;
	uint8_t f[128], out[1600];
	static const char *echo = "02 00 00 00 00 02 02 00 00 00 00 01 08 00"
				  "45 00 00 54 78 5b 40 00 40 01 ae 4b 0a 00 00 01 0a 00 00 02"
				  "08 00 91 76 29 12 00 01"
				  "2a 37 02 6b 00 00 00 00 45 01 0d 00 00 00 00 00"
				  "10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
				  "20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f"
				  "30 31 32 33 34 35 36 37";
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, MAC_US, MAC_PEER), "so that 10.0.0.1's MAC is known");
	expect_answer(&s, "the ARP request");
	size_t n = ex_hex(echo, f, sizeof(f));
	ex_stack_rx(&s, f, n, "Linux's ping");
	expect_answer(&s, "an ICMP echo request");
	(void)out;
	ex_stack_free(&s);
}

EX_CHECK(output_header, "what the stack sends carries the right Ethernet header")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_request(f, MAC_US, MAC_PEER), "so that 10.0.0.1's MAC is known");
	size_t n = ex_stack_tx(&s, out, sizeof(out));
	if (!n)
		expect_answer(&s, "the ARP request");
	uint8_t want[64], mask[64];
	memset(mask, 0, sizeof(mask));
	memset(mask, 1, 14);
	memcpy(want, out, n < 64 ? n : 64);
	memcpy(want, MAC_PEER, 6);
	memcpy(want + 6, MAC_US, 6);
	want[12] = 0x08;
	want[13] = 0x06;
	ex_expect_frame("the ARP reply's Ethernet header", want, n, out, n, mask, "eth.output",
			"eth_output pushes 14 bytes in front of b->data (ts_buf_push) and writes "
			"the destination it was given, YOUR MAC as source, and the type");
	ex_step("the stack pings 10.0.0.1");
	static const uint8_t data[8] = "tapstack";
	icmp_echo_request(&s.st, 0x0a000001, 7, 1, data, sizeof(data));
	stack_poll(&s.st, s.now_us);
	n = ex_stack_tx(&s, out, sizeof(out));
	if (!n)
		ex_fail("eth.output", "eth_output must send the frame: stack_link_output(st, b)",
			"the echo request was not sent");
	memcpy(want, out, n < 64 ? n : 64);
	memcpy(want, MAC_PEER, 6);
	memcpy(want + 6, MAC_US, 6);
	want[12] = 0x08;
	want[13] = 0x00;
	ex_expect_frame("the echo request's Ethernet header", want, n < 64 ? n : 64, out,
			n < 64 ? n : 64, mask, "eth.output",
			"eth_output writes the destination it was given, your MAC, and the type");
	ex_stack_free(&s);
}
