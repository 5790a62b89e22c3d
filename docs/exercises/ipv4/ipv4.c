/*
 * ipv4.c - IPv4 for a host (RFC 791, RFC 1122 §3): YOUR VERSION (exercise
 * "ipv4", docs/exercises/ipv4/README.md).  `make exercise NAME=ipv4` builds
 * the stack with this file in place of stack/ipv4.c and checks it.
 *
 * Yours to write (TODO below): the view (ipv4_check_options, ipv4_parse),
 * ipv4_build, the input path (ipv4_src_ok, ipv4_input) and the output path
 * with fragmentation (ipv4_output_opts).  Given: the netmask, broadcast and
 * route helpers, the IP ID generator (ipv4_next_id), the protocol table,
 * ipv4_ntoa and the life cycle.  ipv4.h specifies every function.
 *
 * What the reference does, for orientation:
 *
 * Receive: ipv4_parse (view: lengths, version, IHL, checksum, options) →
 * source checks (RFC 1122 §3.2.1.3) → destination filter (our address,
 * 255.255.255.255, the subnet broadcast; nothing is forwarded) → trim the
 * Ethernet padding → reassembly when MF or an offset is set
 * (ipv4_reass.c) → protocol table (ICMP, UDP, TCP); an unknown protocol is
 * answered with ICMP protocol unreachable (RFC 1122 §3.2.2.1).
 *
 * Send: route (connected subnet, else cfg.gw, else ENETUNREACH) → DF and
 * the size limit from the socket's IP_MTU_DISCOVER and the path MTU
 * (ip_pmtu.c, RFC 1191) → IPv4 header pushed into the headroom →
 * fragments of (MTU - 20) & ~7 octets when the datagram exceeds the path
 * MTU (unless DF: EMSGSIZE) → arp_resolve_and_send.
 *
 * Options on received datagrams are walked for well-formedness and then
 * ignored (none of them matters to a host that neither routes nor records);
 * we send none.
 *
 * Read first: RFC 791 §3.1 (header) and §3.2 (fragmentation), RFC 1122
 * §3.2.1 (what a host checks), RFC 6864 (IP ID).
 */
#include "ipv4.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "ip_pmtu.h"
#include "siphash.h"
#include "stack.h"
#include "tcp.h"
#include "udp.h"

/*
 * IP IDs (RFC 6864 §4.1, RFC 7739 §5), as Linux's ip_idents: a table of
 * IPV4_ID_BUCKETS counters, the one a datagram uses chosen by a keyed hash
 * of (destination, source, protocol).  Datagrams to one destination get
 * successive IDs, unique within the MSL as RFC 6864 asks of fragmentable
 * datagrams; an observer of them sees nothing of the traffic to other
 * destinations (no idle scan) unless they share the counter (1 in
 * IPV4_ID_BUCKETS), and then only through a step blurred by the random
 * jump below.  Every counter starts random.
 *
 * A counter unused for d milliseconds first jumps by a pseudo-random
 * amount in [0, d) (Linux: ip_idents_reserve), so the step seen between two
 * datagrams says little about what else used the counter meanwhile.
 *
 * The jumps and the counters' starts are SipHash outputs under the same
 * key, itself drawn from the stack's seeded RNG.
 *
 * Atomic datagrams (DF, RFC 6864 §4.1: their ID may be any value) take
 * their ID from the same table: one rule for every datagram, and Linux
 * too sends per-flow counters rather than zero.
 */
#define IPV4_ID_BUCKETS 2048
_Static_assert((IPV4_ID_BUCKETS & (IPV4_ID_BUCKETS - 1)) == 0, "a power of two");

struct ipv4_id_bucket {
	uint16_t next;	   /* ID of the next datagram hashed here */
	uint32_t stamp_ms; /* st->now_us / 1000 when it last moved */
};

/* IPv4 state of one stack. */
struct ipv4_state {
	uint64_t id_key[2]; /* SipHash key of the ID table, from the stack's RNG */
	struct ipv4_id_bucket ids[IPV4_ID_BUCKETS];
};

/* ---- view ---- */

/* Walks the options in a bounded loop (OpenBSD ip_dooptions shape). */
__attribute__((unused)) static enum ts_drop_reason ipv4_check_options(const uint8_t *opt,
								      size_t len)
{
	/*
	 * TODO: walk the options in a bounded loop: EOL ends them, NOP is one
	 * octet, any other has a length octet that must be at least 2 and fit in
	 * what is left (else DROP_IPV4_BAD_OPTIONS).
	 */
	(void)opt;
	(void)len;
	return DROP_IPV4_BAD_OPTIONS;
}

enum ts_drop_reason ipv4_parse(const uint8_t *p, size_t len, struct ipv4_view *v)
{
	/*
	 * TODO (RFC 791 §3.1, ipv4.h gives the order of the checks): at least 20
	 * octets, version 4, IHL >= 5, len >= IHL*4, IHL*4 <= Total Length <= len;
	 * fill v (frag_off in octets: the field times 8); the header checksum
	 * (RFC 1122 §3.2.1.2: verify, silently discard); the options.
	 */
	(void)p;
	(void)len;
	(void)v;
	return DROP_IPV4_TRUNCATED;
}

void ipv4_build(uint8_t *p, const struct ipv4_view *v)
{
	/*
	 * TODO: a 20-octet header from v (version 4, IHL 5, flags and offset in
	 * one 16-bit field, the offset in 8-octet units), checksum last.
	 */
	(void)p;
	(void)v;
}

void ipv4_ntoa(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* ---- helpers ---- */

static inline uint32_t ipv4_netmask(const struct stack *st)
{
	return st->cfg.prefix_len ? ~0u << (32 - st->cfg.prefix_len) : 0;
}

bool ipv4_on_link(const struct stack *st, uint32_t ip)
{
	uint32_t mask = ipv4_netmask(st);
	return (ip & mask) == (st->cfg.ip & mask);
}

bool ipv4_is_broadcast(const struct stack *st, uint32_t ip)
{
	uint32_t mask = ipv4_netmask(st);
	if (ip == IPV4_BROADCAST)
		return true;
	/* The directed broadcast of our subnet (a /31 or /32 has none, RFC 3021). */
	return st->cfg.prefix_len < 31 && (ip & mask) == (st->cfg.ip & mask) &&
	       (ip | mask) == IPV4_BROADCAST;
}

/* ---- input ---- */

/* IP protocol → handler.  Each consumes the buffer (b->data = transport header). */
__attribute__((unused)) static const struct {
	uint8_t proto;
	void (*input)(struct stack *st, struct ts_buf *b);
} ipv4_handlers[] = {
    {IPV4_PROTO_ICMP, icmp_input},
    {IPV4_PROTO_UDP, udp_input},
    {IPV4_PROTO_TCP, tcp_input},
};

/*
 * RFC 1122 §3.2.1.3: a host MUST silently discard a datagram whose source
 * is not a unicast address (broadcast, multicast, loopback from the wire).
 * 0.0.0.0 is allowed: a host that is still booting (DHCP) uses it.
 */
__attribute__((unused)) static bool ipv4_src_ok(const struct stack *st, uint32_t src)
{
	/*
	 * TODO: false for a broadcast (ipv4_is_broadcast), a multicast
	 * (224.0.0.0/4) or a loopback (127.0.0.0/8) source.
	 */
	(void)st;
	(void)src;
	return false;
}

/*
 * Handles one datagram at b->data.  Consumes b: hands it to a transport
 * with b->network, b->transport, b->src, b->dst, b->ip_proto set and
 * b->data at the transport header, trimmed to the total length; or holds it
 * for reassembly; or drops it with a reason.
 */
void ipv4_input(struct stack *st, struct ts_buf *b)
{
	/*
	 * TODO: count CTR_IPV4_RX; parse (drop with the reason); refuse bad
	 * sources (DROP_IPV4_BAD_SRC); keep only datagrams for our address or a
	 * broadcast (DROP_IPV4_NOT_FOR_US: a host does not forward); trim the
	 * buffer to Total Length (Ethernet pads short frames); set b->network; a
	 * fragment (MF or an offset) goes to ipv4_reass_input with b->data at its
	 * payload, and what comes back whole is parsed again; then set b->src,
	 * b->dst (ip_addr_v4), b->ip_proto, pull the header into b->transport and
	 * hand b to the protocol's handler (CTR_IPV4_DELIVERED); an unknown
	 * protocol gets ICMP protocol unreachable (icmp_send_dest_unreach,
	 * ICMP_UNREACH_PROTOCOL) and DROP_IPV4_UNKNOWN_PROTO.
	 */
	ts_drop(st, b, DROP_IPV4_TRUNCATED);
}

/* ---- output ---- */

/* The IP ID of the next datagram from src to dst of proto (see struct ipv4_id_bucket). */
__attribute__((unused)) static uint16_t ipv4_next_id(struct stack *st, uint32_t src, uint32_t dst,
						     uint8_t proto)
{
	struct ipv4_state *s = st->ipv4;
	uint64_t flow[2] = {(uint64_t)dst << 32 | src, proto};
	uint32_t i = (uint32_t)siphash24_words(s->id_key, flow, 2) & (IPV4_ID_BUCKETS - 1);
	struct ipv4_id_bucket *b = &s->ids[i];
	uint32_t now_ms = (uint32_t)(st->now_us / 1000u);
	if (now_ms != b->stamp_ms) {
		/* The jump is keyed by (bucket, time): as unpredictable as a draw
		 * from the stack's RNG without changing what the RNG gives the
		 * other layers (ports, ISN keys) under a fixed seed. */
		uint64_t when[2] = {i, now_ms};
		uint64_t r = siphash24_words(s->id_key, when, 2);
		b->next = (uint16_t)(b->next + r % (uint32_t)(now_ms - b->stamp_ms));
		b->stamp_ms = now_ms;
	}
	return b->next++;
}

/* Next hop for dst, or 0 when there is no route (we never send to 0.0.0.0). */
__attribute__((unused)) static uint32_t ipv4_route(const struct stack *st, uint32_t dst)
{
	uint32_t mask = ipv4_netmask(st);
	if (dst == IPV4_BROADCAST || (dst & mask) == (st->cfg.ip & mask))
		return dst; /* connected subnet: deliver directly */
	return st->cfg.gw;  /* default route, 0 if none */
}

/*
 * Sends the transport segment at b->data..b->tail as one datagram, or as
 * fragments when it exceeds the MTU it may use (RFC 791 §3.2
 * "Fragmentation"): the path MTU to dst (RFC 1191, ip_pmtu.c) when the
 * socket's IP_MTU_DISCOVER mode follows it, the link's cfg.mtu otherwise;
 * DF as that mode says.  Every fragment but the last carries a multiple of
 * 8 payload octets and MF.  All fragments but the last are copies; the last
 * reuses b in place (its header overwrites payload octets already copied).
 * Consumes b.
 */
int ipv4_output_opts(struct stack *st, struct ts_buf *b, uint32_t src, uint32_t dst, uint8_t proto,
		     const struct ip_tx_opts *opts)
{
	/*
	 * TODO: route (ipv4_route; 0 is DROP_IPV4_NO_ROUTE, -ENETUNREACH);
	 * refuse more than 65535 octets with the header (DROP_IPV4_TOO_BIG,
	 * -EMSGSIZE); src 0 means ours.  The MTU that counts and the DF bit
	 * come from opts->pmtudisc (IP_MTU_DISCOVER; opts NULL is
	 * IP_PMTUDISC_DONT), as the table at struct ip_tx_opts (ip.h) says:
	 * the path MTU toward dst (ip_pmtu_get, which also says whether the
	 * estimate is locked) when ip_pmtudisc_uses_pmtu(mode), else cfg.mtu;
	 * the datagram fits when the header and payload are within that MTU, or
	 * when it is a GSO datagram the link will cut into segments itself
	 * (b->gso_type != NETDEV_GSO_NONE, TSO); DF for DO and PROBE, and for
	 * WANT when it fits and the estimate is not locked.  A header from opts
	 * (TOS, TTL; cfg.ttl when opts gives none), an IP ID from ipv4_next_id
	 * (RFC 6864); count CTR_IPV4_TX.  If it fits: push the header
	 * (DROP_LINK_TX_FAIL and -ENOBUFS without the headroom for it and
	 * Ethernet's 14), build it, and arp_resolve_and_send to the next hop.
	 * Else, with DF or IP_PMTUDISC_INTERFACE: drop (DROP_IPV4_FRAG_NEEDED,
	 * -EMSGSIZE); otherwise: complete a checksum left
	 * to the link first (ts_buf_csum_complete: fragments cannot carry it),
	 * then fragments (RFC 791 §3.2) of (mtu - 20) & ~7 payload octets, each
	 * but the last with MF, each a new buffer (ts_buf_alloc with
	 * TS_BUF_HEADROOM) with its own header (same ID, its offset),
	 * CTR_IPV4_FRAGS_TX for each; the last may reuse b.
	 */
	(void)src;
	(void)dst;
	(void)proto;
	(void)opts;
	ts_drop(st, b, DROP_IPV4_NO_ROUTE);
	return -ENETUNREACH;
}

int ipv4_output(struct stack *st, struct ts_buf *b, uint32_t src, uint32_t dst, uint8_t proto)
{
	return ipv4_output_opts(st, b, src, dst, proto, NULL);
}

/* ---- life cycle ---- */

int ipv4_init(struct stack *st)
{
	st->ipv4 = calloc(1, sizeof(*st->ipv4));
	if (!st->ipv4)
		return -ENOMEM;
	/* One draw from the stack's RNG, as before the table existed, so the
	 * other layers' random values under a fixed seed do not move; the
	 * second key word and the counters' random starts derive from it. */
	struct ipv4_state *s = st->ipv4;
	s->id_key[0] = ts_rand(st);
	s->id_key[1] = s->id_key[0] * 0x9e3779b97f4a7c15ULL ^ 0xbf58476d1ce4e5b9ULL;
	uint32_t now_ms = (uint32_t)(st->now_us / 1000u);
	for (uint32_t i = 0; i < IPV4_ID_BUCKETS; i++) {
		uint64_t start[2] = {i, UINT64_MAX};
		s->ids[i].next = (uint16_t)siphash24_words(s->id_key, start, 2);
		s->ids[i].stamp_ms = now_ms;
	}
	return 0;
}

void ipv4_destroy(struct stack *st)
{
	free(st->ipv4);
	st->ipv4 = NULL;
}
