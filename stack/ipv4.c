/*
 * ipv4.c - IPv4 for a host (RFC 791, RFC 1122 §3).
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
 * IP IDs come from per-destination counters chosen by a keyed hash
 * (struct ipv4_id_bucket), so they reveal nothing about traffic to others.
 *
 * Read first: RFC 791 §3.1 (header) and §3.2 (fragmentation), RFC 1122
 * §3.2.1 (what a host checks), RFC 6864 (IP ID), RFC 7739 §5.
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
static enum ts_drop_reason ipv4_check_options(const uint8_t *opt, size_t len)
{
	size_t i = 0;
	while (i < len) {
		uint8_t kind = opt[i];
		if (kind == IPV4_OPT_EOL)
			break;
		if (kind == IPV4_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return DROP_IPV4_BAD_OPTIONS;
		uint8_t olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return DROP_IPV4_BAD_OPTIONS;
		i += olen;
	}
	return DROP_NONE;
}

enum ts_drop_reason ipv4_parse(const uint8_t *p, size_t len, struct ipv4_view *v)
{
	if (len < IPV4_HDR_LEN)
		return DROP_IPV4_TRUNCATED;
	if (p[IPV4_OFF_VER_IHL] >> 4 != 4)
		return DROP_IPV4_BAD_VERSION;
	v->hdr_len = (uint8_t)((p[IPV4_OFF_VER_IHL] & 0xf) * 4);
	if (v->hdr_len < IPV4_HDR_LEN)
		return DROP_IPV4_BAD_IHL; /* RFC 791 §3.1: "minimum value ... is 5" */
	if (len < v->hdr_len)
		return DROP_IPV4_TRUNCATED;
	v->total_len = get_be16(p + IPV4_OFF_TOTLEN);
	if (v->total_len < v->hdr_len || v->total_len > len)
		return DROP_IPV4_BAD_LEN;
	uint16_t frag = get_be16(p + IPV4_OFF_FRAG);
	v->tos = p[IPV4_OFF_TOS];
	v->id = get_be16(p + IPV4_OFF_ID);
	v->df = (frag & IPV4_FLAG_DF) != 0;
	v->mf = (frag & IPV4_FLAG_MF) != 0;
	v->frag_off = (uint16_t)((frag & IPV4_FRAG_MASK) * 8);
	v->ttl = p[IPV4_OFF_TTL];
	v->proto = p[IPV4_OFF_PROTO];
	v->csum = get_be16(p + IPV4_OFF_CSUM);
	v->src = get_be32(p + IPV4_OFF_SRC);
	v->dst = get_be32(p + IPV4_OFF_DST);
	v->payload = p + v->hdr_len;
	/* RFC 1122 §3.2.1.2: a host MUST verify the checksum and silently
	 * discard on failure.  Checked before the options, whose bytes a
	 * corrupted header would make meaningless. */
	if (ts_csum_fold(ts_csum_partial(p, v->hdr_len, 0)) != 0)
		return DROP_IPV4_BAD_CSUM;
	return ipv4_check_options(p + IPV4_HDR_LEN, v->hdr_len - IPV4_HDR_LEN);
}

void ipv4_build(uint8_t *p, const struct ipv4_view *v)
{
	p[IPV4_OFF_VER_IHL] = 0x45;
	p[IPV4_OFF_TOS] = v->tos;
	put_be16(p + IPV4_OFF_TOTLEN, v->total_len);
	put_be16(p + IPV4_OFF_ID, v->id);
	put_be16(p + IPV4_OFF_FRAG, (uint16_t)((v->df ? IPV4_FLAG_DF : 0) |
					       (v->mf ? IPV4_FLAG_MF : 0) | (v->frag_off / 8)));
	p[IPV4_OFF_TTL] = v->ttl;
	p[IPV4_OFF_PROTO] = v->proto;
	put_be16(p + IPV4_OFF_CSUM, 0);
	put_be32(p + IPV4_OFF_SRC, v->src);
	put_be32(p + IPV4_OFF_DST, v->dst);
	put_be16(p + IPV4_OFF_CSUM, ts_csum_fold(ts_csum_partial(p, IPV4_HDR_LEN, 0)));
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
static const struct {
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
static bool ipv4_src_ok(const struct stack *st, uint32_t src)
{
	return !ipv4_is_broadcast(st, src) && (src >> 28) != 0xe && (src >> 24) != 127;
}

/*
 * Handles one datagram at b->data.  Consumes b: hands it to a transport
 * with b->network, b->transport, b->src, b->dst, b->ip_proto set and
 * b->data at the transport header, trimmed to the total length; or holds it
 * for reassembly; or drops it with a reason.
 */
void ipv4_input(struct stack *st, struct ts_buf *b)
{
	struct ipv4_view v;
	enum ts_drop_reason r;

	ts_count(st, CTR_IPV4_RX);
	if ((r = ipv4_parse(b->data, ts_buf_len(b), &v)) != DROP_NONE) {
		ts_drop(st, b, r);
		return;
	}
	if (!ipv4_src_ok(st, v.src)) {
		ts_drop(st, b, DROP_IPV4_BAD_SRC);
		return;
	}
	if (v.dst != st->cfg.ip && !ipv4_is_broadcast(st, v.dst)) {
		ts_drop(st, b, DROP_IPV4_NOT_FOR_US);
		return;
	}
	ts_buf_trim(b, v.total_len); /* Ethernet pads short frames to 60 octets */
	b->network = b->data;
	if (v.mf || v.frag_off) {
		ts_count(st, CTR_IPV4_FRAGS_RX);
		ts_buf_pull(b, v.hdr_len);
		b = ipv4_reass_input(st, b, &v);
		if (!b)
			return;
		/* The rebuilt header is ours and valid; read it back. */
		r = ipv4_parse(b->data, ts_buf_len(b), &v);
		if (r != DROP_NONE) {
			ts_drop(st, b, r);
			return;
		}
	}
	b->src = ip_addr_v4(v.src);
	b->dst = ip_addr_v4(v.dst);
	b->ip_proto = v.proto;
	b->transport = ts_buf_pull(b, v.hdr_len);
	for (size_t i = 0; i < sizeof(ipv4_handlers) / sizeof(ipv4_handlers[0]); i++) {
		if (ipv4_handlers[i].proto == v.proto) {
			ts_count(st, CTR_IPV4_DELIVERED);
			ipv4_handlers[i].input(st, b);
			return;
		}
	}
	/* RFC 1122 §3.2.2.1: a host SHOULD generate protocol unreachable. */
	icmp_send_dest_unreach(st, b, ICMP_UNREACH_PROTOCOL);
	ts_drop(st, b, DROP_IPV4_UNKNOWN_PROTO);
}

/* ---- output ---- */

/* The IP ID of the next datagram from src to dst of proto (see struct ipv4_id_bucket). */
static uint16_t ipv4_next_id(struct stack *st, uint32_t src, uint32_t dst, uint8_t proto)
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
static uint32_t ipv4_route(const struct stack *st, uint32_t dst)
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
	size_t len = ts_buf_len(b);
	uint32_t nh = ipv4_route(st, dst);

	if (!nh) {
		ts_drop(st, b, DROP_IPV4_NO_ROUTE);
		return -ENETUNREACH;
	}
	if (len + IPV4_HDR_LEN > IPV4_MAX_DATAGRAM) {
		ts_drop(st, b, DROP_IPV4_TOO_BIG);
		return -EMSGSIZE;
	}
	if (!src)
		src = st->cfg.ip;
	/*
	 * The DF bit and the size that needs fragments, from the socket's
	 * IP_MTU_DISCOVER (ip.h, struct ip_tx_opts) and the path MTU
	 * (ip_pmtu.c, RFC 1191): Linux __ip_make_skb, ip_dont_fragment and
	 * ip_sk_ignore_df.
	 */
	uint8_t mode = opts ? opts->pmtudisc : IP_PMTUDISC_DONT;
	bool locked = false;
	struct ip_addr to = ip_addr_v4(dst);
	uint32_t mtu = ip_pmtudisc_uses_pmtu(mode) ? ip_pmtu_get(st, &to, &locked) : st->cfg.mtu;
	/* A GSO datagram (TSO) is cut into segments of gso_size by the link,
	 * each of which fits (TCP sizes them from the path MTU): never
	 * fragmented here. */
	bool fits = len + IPV4_HDR_LEN <= mtu || b->gso_type != NETDEV_GSO_NONE;
	struct ipv4_view v = {
	    .id = ipv4_next_id(st, src, dst, proto),
	    .tos = opts ? opts->tos : 0,
	    .df = mode == IP_PMTUDISC_DO || mode == IP_PMTUDISC_PROBE ||
		  (mode == IP_PMTUDISC_WANT && fits && !locked),
	    .ttl = opts && opts->ttl ? opts->ttl : st->cfg.ttl,
	    .proto = proto,
	    .src = src,
	    .dst = dst,
	};
	ts_count(st, CTR_IPV4_TX);
	if (fits) {
		if (ts_buf_headroom(b) < IPV4_HDR_LEN + 14) {
			ts_drop(st, b, DROP_LINK_TX_FAIL); /* caller forgot TS_BUF_HEADROOM */
			return -ENOBUFS;
		}
		v.total_len = (uint16_t)(len + IPV4_HDR_LEN);
		b->network = ts_buf_push(b, IPV4_HDR_LEN);
		ipv4_build(b->network, &v);
		return arp_resolve_and_send(st, b, nh);
	}
	if (v.df || mode == IP_PMTUDISC_INTERFACE) {
		ts_drop(st, b, DROP_IPV4_FRAG_NEEDED);
		return -EMSGSIZE;
	}
	/* The link sees fragments, not the datagram whose checksum was left to
	 * it: complete it now (Linux ip_do_fragment's skb_checksum_help). */
	if (ts_buf_csum_complete(b) < 0) {
		ts_drop(st, b, DROP_LINK_TX_FAIL);
		return -EINVAL;
	}
	size_t chunk = mtu > IPV4_HDR_LEN ? (mtu - IPV4_HDR_LEN) & ~(size_t)7 : 0;
	if (chunk == 0) {
		/* RFC 791 §3.1: every link carries 68 octets; below that, refuse. */
		ts_drop(st, b, DROP_IPV4_FRAG_NEEDED);
		return -EMSGSIZE;
	}
	int err = 0;
	size_t off = 0;
	for (; off + chunk < len; off += chunk) {
		struct ts_buf *f = ts_buf_alloc(st, chunk, TS_BUF_HEADROOM);
		if (!f) {
			ts_drop(st, b, DROP_LINK_NOMEM);
			return -ENOBUFS;
		}
		memcpy(ts_buf_put(f, chunk), b->data + off, chunk);
		v.total_len = (uint16_t)(chunk + IPV4_HDR_LEN);
		v.frag_off = (uint16_t)off;
		v.mf = true;
		f->network = ts_buf_push(f, IPV4_HDR_LEN);
		ipv4_build(f->network, &v);
		ts_count(st, CTR_IPV4_FRAGS_TX);
		int e = arp_resolve_and_send(st, f, nh);
		if (e && !err)
			err = e;
	}
	ts_buf_pull(b, off);
	v.total_len = (uint16_t)(len - off + IPV4_HDR_LEN);
	v.frag_off = (uint16_t)off;
	v.mf = false;
	b->network = ts_buf_push(b, IPV4_HDR_LEN);
	ipv4_build(b->network, &v);
	ts_count(st, CTR_IPV4_FRAGS_TX);
	int e = arp_resolve_and_send(st, b, nh);
	return err ? err : e;
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
