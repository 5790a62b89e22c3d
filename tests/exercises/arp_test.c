/*
 * arp_test.c - the checks of the ARP exercise (docs/exercises/arp/): the
 * view (arp_parse), RFC 826 "Packet Reception" (arp_input), resolution
 * with a bounded queue and retries (arp_resolve_and_send, the timer).
 *
 * The stack under test is 10.0.0.2, 02:00:00:00:00:02.  Its neighbours:
 * 10.0.0.1 at 02:00:00:00:00:01, 10.0.0.3 at 02:00:00:00:00:03.  Outgoing
 * IPv4 traffic comes from icmp_echo_request (the reference ICMP layer).
 * Expected frames are built here byte by byte, not with the learner's
 * arp_build.  Every check has a part that a do-nothing layer fails.
 */
#include <string.h>

#include "arp.h"
#include "icmp.h"
#include "lib/exunit.h"
#include "stack.h"

#define US    0x0a000002u
#define PEER  0x0a000001u
#define OTHER 0x0a000003u

static const uint8_t MAC_US[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t MAC_OTHER[6] = {2, 0, 0, 0, 0, 3};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t MAC_ZERO[6] = {0};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An Ethernet frame carrying an ARP packet; returns its length (42). */
static size_t arp_frame(uint8_t *f, const uint8_t eth_dst[6], const uint8_t eth_src[6], uint16_t op,
			const uint8_t sha[6], uint32_t spa, const uint8_t tha[6], uint32_t tpa)
{
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, eth_src, 6);
	put16(f + 12, 0x0806);
	uint8_t *a = f + 14;
	put16(a, 1);	      /* ar$hrd: Ethernet */
	put16(a + 2, 0x0800); /* ar$pro: IPv4 */
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	put32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	return 42;
}

/* A request from sender (mac, ip) asking for tpa, broadcast. */
static size_t request(uint8_t *f, const uint8_t mac[6], uint32_t ip, uint32_t tpa)
{
	return arp_frame(f, MAC_BCAST, mac, 1, mac, ip, MAC_ZERO, tpa);
}

static void ping(struct ex_stack *s, uint32_t dst, uint16_t seq)
{
	static const uint8_t data[8] = "tapstack";
	char ip[16];
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", dst >> 24, dst >> 16 & 255, dst >> 8 & 255,
		 dst & 255);
	ex_step("the stack sends an ICMP echo request to %s (seq %u)", ip, seq);
	int r = icmp_echo_request(&s->st, dst, 0x4242, seq, data, sizeof(data));
	(void)r;
	stack_poll(&s->st, s->now_us);
}

static bool is_ipv4(const uint8_t *f, size_t n)
{
	return n >= 34 && f[12] == 0x08 && f[13] == 0x00;
}

#define HINT_ONLY_FOR_US                                                                           \
	"reply only when ar$tpa is your own address: RFC 826 \"Packet Reception\" asks \"Am I "    \
	"the "                                                                                     \
	"target protocol address?\" and does nothing more when the answer is no; answering every " \
	"request claims every address on the link"
#define HINT_CREATE_IF_TARGET                                                                      \
	"RFC 826: when you are the target and merge_flag is false, add the triplet <protocol "     \
	"type, sender protocol address, sender hardware address> to the table; a requester is "    \
	"about to talk to you"
#define HINT_CREATE_ONLY_IF_TARGET                                                                 \
	"create a new entry only when you are the target (RFC 826 \"Packet Reception\"): "         \
	"caching every sender fills the table with hosts you never talk to (RFC 1122 §2.3.2.1)"
#define HINT_MERGE                                                                                 \
	"RFC 826: if the sender is already in the table, update its hardware address whoever "     \
	"the target is (merge_flag), before asking \"Am I the target?\""

#define HINT_UNSOLICITED                                                                           \
	"a reply from a sender you hold no entry for was not asked for: drop it "                  \
	"(DROP_ARP_UNSOLICITED) without creating an entry, as Linux does (arp_accept=0); "         \
	"otherwise anyone on the link can fill your cache, or point an address you will use at "   \
	"their MAC before you ask"

/* Takes the next frame or fails saying what was expected. */
static size_t take(struct ex_stack *s, uint8_t *out, const char *expected, const char *hint_id,
		   const char *hint)
{
	size_t n = ex_stack_tx(s, out, 1600);
	if (!n)
		ex_fail(hint_id, hint, "expected the stack to send %s; it sent nothing", expected);
	return n;
}

static void expect_silence(struct ex_stack *s, const char *why, const char *hint_id,
			   const char *hint)
{
	uint8_t out[1600];
	size_t n = ex_stack_tx(s, out, sizeof(out));
	if (n)
		ex_fail(hint_id, hint, "expected no frame (%s), but the stack sent: %s", why,
			ex_summary(out, n));
}

/* The reply a request from the peer for us must get. */
static void expect_reply(struct ex_stack *s)
{
	uint8_t want[64], out[1600];
	size_t wn = arp_frame(want, MAC_PEER, MAC_US, 2, MAC_US, US, MAC_PEER, PEER);
	size_t n = take(s, out, "an ARP reply", "arp.no-reply",
			"a request whose ar$tpa is your address must be answered with a reply "
			"(RFC 826 \"Packet Reception\", the last step)");
	const char *id = "arp.reply-fields", *hint = "RFC 826: swap hardware and protocol fields, "
						     "putting the local hardware and protocol "
						     "addresses in the sender fields, set ar$op to "
						     "ares_op$REPLY, send it to the hardware "
						     "address the request came from";
	if (n >= 42 && (out[21] != 2 || out[20] != 0)) {
		id = "arp.op-reply";
		hint = "ar$op of a reply is 2 (ares_op$REPLY), in network byte order";
	} else if (n >= 42 &&
		   (memcmp(out + 22, MAC_US, 6) || memcmp(out + 28, "\x0a\0\0\x02", 4))) {
		id = "arp.swap";
		hint = "the reply's sender fields (ar$sha, ar$spa) are YOUR MAC and address, its "
		       "target fields (ar$tha, ar$tpa) the requester's: RFC 826 \"Swap hardware "
		       "and protocol fields\"";
	} else if (n >= 14 && !memcmp(out, MAC_BCAST, 6)) {
		id = "arp.reply-unicast";
		hint = "a reply goes to the requester's MAC (its ar$sha), not to the broadcast "
		       "address: only requests are broadcast";
	}
	ex_expect_frame("the ARP reply", want, wn, out, n, NULL, id, hint);
}

/* The request the stack must broadcast for tpa. */
static void expect_request(struct ex_stack *s, uint32_t tpa, const char *hint_id, const char *hint)
{
	uint8_t want[64], out[1600];
	size_t wn = arp_frame(want, MAC_BCAST, MAC_US, 1, MAC_US, US, MAC_ZERO, tpa);
	size_t n = take(s, out, "an ARP request", hint_id, hint);
	if (is_ipv4(out, n))
		ex_fail(hint_id, hint,
			"expected an ARP request first, but the IPv4 packet left at once (to "
			"%02x:%02x:%02x:%02x:%02x:%02x) although the MAC is unknown",
			out[0], out[1], out[2], out[3], out[4], out[5]);
	/* ar$tha of a request: RFC 826 leaves it to the sender; zero is what everyone sends. */
	ex_expect_frame("the ARP request", want, wn, out, n, NULL, "arp.request-fields",
			"a request is broadcast (ff:ff:ff:ff:ff:ff) with ar$op 1, your MAC and "
			"address as sender, ar$tha zero and ar$tpa the address wanted");
}

/* The echo request the stack sends to mac once resolved. */
static void expect_ip_to(struct ex_stack *s, const uint8_t mac[6], const char *expected,
			 const char *hint_id, const char *hint)
{
	uint8_t out[1600];
	size_t n = take(s, out, expected, hint_id, hint);
	if (!is_ipv4(out, n))
		ex_fail(hint_id, hint, "expected %s, got: %s", expected, ex_summary(out, n));
	if (memcmp(out, mac, 6))
		ex_fail(hint_id, hint,
			"expected %s to go to %02x:%02x:%02x:%02x:%02x:%02x, it went to "
			"%02x:%02x:%02x:%02x:%02x:%02x",
			expected, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], out[0], out[1],
			out[2], out[3], out[4], out[5]);
}

EX_CHECK(parse_request, "arp_parse reads every field of a request")
{
	uint8_t f[64];
	struct arp_view v;
	request(f, MAC_PEER, PEER, US);
	memset(&v, 0xee, sizeof(v));
	ex_step("arp_parse(request who-has 10.0.0.2 tell 10.0.0.1 at 02:00:00:00:00:01)");
	enum ts_drop_reason r = arp_parse(f + 14, 28, &v);
	if (r != DROP_NONE)
		ex_fail("arp.parse-valid",
			"a well-formed Ethernet/IPv4 request must parse: ar$hrd 1, ar$pro 0x0800, "
			"ar$hln 6, ar$pln 4, ar$op 1",
			"arp_parse refused a valid request with %s", ts_drop_name(r));
	if (v.op != 1 || memcmp(v.sha, MAC_PEER, 6) || v.spa != PEER ||
	    memcmp(v.tha, MAC_ZERO, 6) || v.tpa != US)
		ex_fail(
		    "arp.parse-fields",
		    "read each field at its ARP_OFF_* offset with get_be16 / get_be32: "
		    "addresses in struct arp_view are in host order",
		    "arp_parse gave op %u, spa 0x%08x, tpa 0x%08x, sha %02x:..:%02x; expected op "
		    "1, spa 0x%08x, tpa 0x%08x, sha 02:..:01",
		    v.op, v.spa, v.tpa, v.sha[0], v.sha[5], PEER, US);
}

EX_CHECK(parse_rejects, "arp_parse refuses what is not Ethernet/IPv4 ARP, accepts padding")
{
	static const struct {
		const char *what;
		size_t off; /* byte of the ARP packet to change */
		uint8_t val;
		size_t len;
		enum ts_drop_reason want;
	} cases[] = {
	    {"a request padded to 46 bytes (as on a real Ethernet)", 0, 0, 46, DROP_NONE},
	    {"27 bytes (truncated)", 0, 0, 27, DROP_ARP_TRUNCATED},
	    {"ar$hrd 6 (IEEE 802)", 1, 6, 28, DROP_ARP_BAD_HW},
	    {"ar$hln 8", 4, 8, 28, DROP_ARP_BAD_HW},
	    {"ar$pro 0x86dd (IPv6)", 2, 0x86, 28, DROP_ARP_BAD_PROTO},
	    {"ar$pln 16", 5, 16, 28, DROP_ARP_BAD_PROTO},
	    {"ar$op 3 (RARP request)", 7, 3, 28, DROP_ARP_BAD_OP},
	    {"ar$op 0", 7, 0, 28, DROP_ARP_BAD_OP},
	    {"a reply", 7, 2, 28, DROP_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t f[64] = {0};
		struct arp_view v;
		request(f, MAC_PEER, PEER, US);
		uint8_t *a = f + 14;
		if (cases[i].off)
			a[cases[i].off] = cases[i].val;
		ex_step("arp_parse(%s)", cases[i].what);
		enum ts_drop_reason r = arp_parse(a, cases[i].len, &v);
		if (r != cases[i].want)
			ex_fail(
			    cases[i].want == DROP_NONE ? "arp.parse-valid" : "arp.parse-check",
			    cases[i].want == DROP_NONE
				? "accept what is well-formed: only the first 28 bytes are ARP, "
				  "anything after them is link padding"
				: "check the length before reading anything, then each of ar$hrd, "
				  "ar$hln, ar$pro, ar$pln and ar$op against what this stack speaks",
			    "%s: expected %s, got %s", cases[i].what, ts_drop_name(cases[i].want),
			    ts_drop_name(r));
	}
}

EX_CHECK(reply_to_request, "a request for our address gets a reply, field by field")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), NULL);
	expect_reply(&s);
	expect_silence(&s, "one request, one reply", "arp.one-reply",
		       "answer each request once, with one reply");
	ex_stack_free(&s);
}

EX_CHECK(no_reply_for_others, "a request for another address gets no reply")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, OTHER), "who-has 10.0.0.3: not us");
	expect_silence(&s, "the request is for 10.0.0.3, not for us", "arp.reply-only-for-us",
		       HINT_ONLY_FOR_US);
	if (s.st.drops[DROP_ARP_NOT_FOR_US] != 1)
		ex_fail("arp.drop-reason",
			"a request for someone else is counted as ARP_NOT_FOR_US (ts_drop)",
			"DROP_ARP_NOT_FOR_US is %llu, expected 1",
			(unsigned long long)s.st.drops[DROP_ARP_NOT_FOR_US]);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), "and now one for us");
	expect_reply(&s);
	ex_stack_free(&s);
}

EX_CHECK(learns_requester, "after a request for us, the requester's MAC is known")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), NULL);
	take(&s, out, "an ARP reply", "arp.no-reply", "answer a request for your address");
	ping(&s, PEER, 1);
	expect_ip_to(&s, MAC_PEER, "the echo request, straight to 02:00:00:00:00:01",
		     "arp.create-if-target", HINT_CREATE_IF_TARGET);
	ex_stack_free(&s);
}

EX_CHECK(no_learn_for_others, "a request between two other hosts teaches nothing")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), "first, the peer asks for us");
	expect_reply(&s);
	ex_stack_rx(&s, f, request(f, MAC_OTHER, OTHER, 0x0a000004),
		    "10.0.0.3 asks for 10.0.0.4: not for us");
	expect_silence(&s, "the request is for 10.0.0.4", "arp.reply-only-for-us",
		       HINT_ONLY_FOR_US);
	ping(&s, OTHER, 1);
	expect_request(&s, OTHER, "arp.create-only-if-target", HINT_CREATE_ONLY_IF_TARGET);
	ex_stack_free(&s);
}

EX_CHECK(merge_updates_entry, "a known sender's new MAC is learnt whoever the target is")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	static const uint8_t moved[6] = {2, 0, 0, 0, 0, 0x11};
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), "the peer is learnt");
	take(&s, out, "an ARP reply", "arp.no-reply", "answer a request for your address");
	ex_stack_rx(&s, f, arp_frame(f, MAC_BCAST, moved, 1, moved, PEER, MAC_ZERO, PEER),
		    "the peer announces a new MAC 02:00:00:00:00:11 (target: itself)");
	expect_silence(&s, "an announcement is not for us", "arp.reply-only-for-us",
		       HINT_ONLY_FOR_US);
	ping(&s, PEER, 1);
	expect_ip_to(&s, moved, "the echo request, to the new MAC 02:00:00:00:00:11", "arp.merge",
		     HINT_MERGE);
	ex_stack_free(&s);
}

EX_CHECK(resolve_then_send, "an unknown next hop: request, wait, then send what waited")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ping(&s, PEER, 1);
	expect_request(&s, PEER, "arp.resolve",
		       "an unknown next hop needs a request (broadcast) while the packet waits");
	expect_silence(&s, "the packet waits until the MAC is known", "arp.queue",
		       "keep the packet in the entry's queue until the reply arrives");
	ex_stack_rx(&s, f, arp_frame(f, MAC_US, MAC_PEER, 2, MAC_PEER, PEER, MAC_US, US),
		    "the reply: 10.0.0.1 is at 02:00:00:00:00:01");
	expect_ip_to(&s, MAC_PEER, "the echo request that waited, now to 02:00:00:00:00:01",
		     "arp.queue",
		     "the packet that triggered the request must wait in the entry's queue "
		     "(not be dropped) and leave as soon as the reply fills the entry "
		     "(RFC 1122 §2.3.2.2: \"SHOULD save at least one\")");
	expect_silence(&s, "nothing else to send", "arp.one-send", "send each waiting packet once");
	ex_stack_free(&s);
}

EX_CHECK(retries_then_gives_up, "no answer: cfg.arp_retries requests, then the packet is dropped")
{
	struct ex_stack s;
	ex_stack_init(&s, NULL);
	uint32_t retries = s.st.cfg.arp_retries, every = s.st.cfg.arp_retry_ms;
	ping(&s, 0x0a000009, 1);
	for (uint32_t i = 0; i < retries; i++) {
		if (i)
			ex_stack_advance(&s, (uint64_t)every * 1000u);
		char what[80];
		snprintf(what, sizeof(what), "request %u of %u", i + 1, retries);
		expect_request(&s, 0x0a000009, "arp.retry",
			       "while unresolved, repeat the request every cfg.arp_retry_ms (the "
			       "entry's timer: arm it when you send the first request), "
			       "cfg.arp_retries requests in all");
		expect_silence(&s, what, "arp.retry",
			       "one request per retry interval (RFC 1122 §2.3.2.1: at most one per "
			       "second per destination)");
	}
	ex_stack_advance(&s, (uint64_t)every * 1000u);
	expect_silence(&s, "the retries are used up", "arp.retry",
		       "after cfg.arp_retries requests, give up: free the entry and drop what "
		       "waited as ARP_UNRESOLVED");
	if (s.st.drops[DROP_ARP_UNRESOLVED] != 1)
		ex_fail("arp.retry",
			"after the last retry interval, drop what waited with ts_drop(..., "
			"DROP_ARP_UNRESOLVED) and free the entry",
			"DROP_ARP_UNRESOLVED is %llu after the retries, expected 1",
			(unsigned long long)s.st.drops[DROP_ARP_UNRESOLVED]);
	ex_stack_free(&s);
}

static void small_queue(struct ts_config *cfg)
{
	cfg->arp_queue_max = 3;
}

EX_CHECK(queue_is_bounded, "at most cfg.arp_queue_max packets wait for one next hop")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, small_queue);
	ex_step("cfg.arp_queue_max is 3");
	for (uint16_t i = 1; i <= 5; i++)
		ping(&s, PEER, i);
	expect_request(&s, PEER, "arp.resolve", "one request for the unknown next hop");
	expect_silence(&s, "five packets wait for one resolution: one request", "arp.one-request",
		       "a second packet for an INCOMPLETE entry joins the queue; it does not send "
		       "another request");
	if (s.st.drops[DROP_ARP_QUEUE_FULL] != 2)
		ex_fail("arp.queue-bound",
			"the queue holds at most cfg.arp_queue_max packets: drop the rest as "
			"ARP_QUEUE_FULL (every queue an attacker can fill is bounded)",
			"DROP_ARP_QUEUE_FULL is %llu after 5 packets with room for 3, expected 2",
			(unsigned long long)s.st.drops[DROP_ARP_QUEUE_FULL]);
	ex_stack_rx(&s, f, arp_frame(f, MAC_US, MAC_PEER, 2, MAC_PEER, PEER, MAC_US, US),
		    "the reply");
	for (int i = 0; i < 3; i++)
		expect_ip_to(&s, MAC_PEER, "a waiting echo request", "arp.queue",
			     "every packet in the queue leaves once the reply arrives, in order");
	expect_silence(&s, "three waited, three went", "arp.queue-bound",
		       "the queue holds at most cfg.arp_queue_max packets");
	ex_stack_free(&s);
}

EX_CHECK(bad_senders_ignored, "a multicast ar$sha or our own ar$spa is never cached or answered")
{
	struct ex_stack s;
	uint8_t f[64];
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, mcast, PEER, US), "ar$sha is a multicast MAC");
	expect_silence(&s, "a multicast sender address", "arp.bad-sender",
		       "refuse a sender no one may cache: a group MAC (bit 0 of the first "
		       "octet), ar$spa 0, your own address (a conflict, RFC 5227 §2.4), a "
		       "broadcast or multicast address: DROP_ARP_BAD_SENDER");
	ex_stack_rx(&s, f, request(f, MAC_PEER, US, US), "ar$spa is our own address");
	expect_silence(&s, "someone else claims our address", "arp.bad-sender",
		       "a packet whose ar$spa is your own address is a conflict, not a neighbour: "
		       "drop it as ARP_BAD_SENDER");
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), "a proper request");
	expect_reply(&s);
	ex_stack_free(&s);
}

EX_CHECK(unsolicited_reply_not_learnt,
	 "a reply to us that nobody asked for creates no entry and gets no answer")
{
	struct ex_stack s;
	uint8_t f[64];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, arp_frame(f, MAC_US, MAC_PEER, 2, MAC_PEER, PEER, MAC_US, US),
		    "a reply from 10.0.0.1 addressed to us, which we never asked for");
	expect_silence(&s, "a reply is never answered", "arp.no-reply-to-reply",
		       "only requests get replies (RFC 826: \"Is the opcode ares_op$REQUEST?\")");
	if (s.st.drops[DROP_ARP_UNSOLICITED] != 1)
		ex_fail("arp.unsolicited", HINT_UNSOLICITED,
			"DROP_ARP_UNSOLICITED is %llu after an unsolicited reply, expected 1",
			(unsigned long long)s.st.drops[DROP_ARP_UNSOLICITED]);
	ping(&s, PEER, 1);
	expect_request(&s, PEER, "arp.unsolicited", HINT_UNSOLICITED);
	ex_stack_free(&s);
}

EX_CHECK(entries_expire, "a learnt entry expires after cfg.arp_ttl_ms")
{
	struct ex_stack s;
	uint8_t f[64], out[1600];
	ex_stack_init(&s, NULL);
	ex_stack_rx(&s, f, request(f, MAC_PEER, PEER, US), NULL);
	take(&s, out, "an ARP reply", "arp.no-reply", "answer a request for your address");
	ping(&s, PEER, 1);
	expect_ip_to(&s, MAC_PEER, "the echo request", "arp.create-if-target",
		     HINT_CREATE_IF_TARGET);
	ex_stack_advance(&s, (uint64_t)s.st.cfg.arp_ttl_ms * 1000u + 1000u);
	ping(&s, PEER, 2);
	expect_request(&s, PEER, "arp.expiry",
		       "a REACHABLE entry lives cfg.arp_ttl_ms after its last update (RFC 1122 "
		       "§2.3.2.1: a cache must time out), then its timer frees it");
	ex_stack_free(&s);
}
