/*
 * trace.c - `--trace layers` as a netdev wrapper (smoltcp src/phy/tracer.rs):
 * every frame the stack receives or sends is described on one line, then
 * passed on unchanged.  The stack has no "if (trace)" branch for this.
 *
 * Call order: recv: lower recv, then print "rx ..."; send: print "tx ...",
 * then lower send (the line shows what the stack sent even if the link
 * refuses it).  A frame with offload metadata (netdev.h) is described with
 * its checksum completed, and the line ends in "csum=partial" or
 * "csum=verified".  Drops are printed by ts_drop ("   drop REASON") right after
 * the rx line of the frame that died.
 *
 * Decoding is lenient where the stack is strict: a bad IPv4 or ICMP
 * checksum is printed as "bad-csum" after the fields, and any other
 * malformation as "malformed (REASON)" with the stack's drop reason.
 */
#include "trace.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arp.h"
#include "checksum.h"
#include "eth.h"
#include "icmp.h"
#include "ipv4.h"
#include "ipv6.h"
#include "icmp6.h"
#include "nd6.h"
#include "strbuf.h"
#include "tcp_wire.h"
#include "udp.h"

/* One line is cut at this size (a TCP line with options is ~200 chars). */
#define TRACE_LINE_MAX 512
/* Largest partial frame completed for its line; a larger (GSO) one is described as it is. */
#define TRACE_SCRATCH_MAX 65536

/* Lets udp_describe/tcp_describe write straight into the line. */
static void line_add_describe(struct ts_strbuf *l,
			      int (*fn)(const uint8_t *, size_t, char *, size_t), const uint8_t *p,
			      size_t len)
{
	size_t room = l->len < l->cap ? l->cap - l->len : 0;
	char scratch[1];
	int n = fn(p, len, room ? l->buf + l->len : scratch, room ? room : sizeof(scratch));
	if (n > 0)
		l->len += (size_t)n;
}

static const char *icmp_unreach_name(uint8_t code)
{
	switch (code) {
	case ICMP_UNREACH_NET:
		return "net";
	case ICMP_UNREACH_HOST:
		return "host";
	case ICMP_UNREACH_PROTOCOL:
		return "protocol";
	case ICMP_UNREACH_PORT:
		return "port";
	case ICMP_UNREACH_NEEDFRAG:
		return "need-frag";
	default:
		return NULL;
	}
}

/* The ICMP part; verify is false for a first fragment (checksum covers the whole message). */
static void describe_icmp(struct ts_strbuf *l, const uint8_t *p, size_t len, int verify)
{
	struct icmp_view v;
	enum ts_drop_reason r = icmp_parse(p, len, &v);
	if (r != DROP_NONE) {
		ts_strbuf_printf(l, "icmp malformed (%s)", ts_drop_name(r));
		return;
	}
	const char *name;
	switch (v.type) {
	case ICMP_ECHO_REQUEST:
	case ICMP_ECHO_REPLY:
		ts_strbuf_printf(l, "icmp %s id=%u seq=%u len=%zu",
				 v.type == ICMP_ECHO_REQUEST ? "echo-request" : "echo-reply", v.id,
				 v.seq, v.data_len);
		break;
	case ICMP_DEST_UNREACH:
		if ((name = icmp_unreach_name(v.code)))
			ts_strbuf_printf(l, "icmp unreachable %s", name);
		else
			ts_strbuf_printf(l, "icmp unreachable code=%u", v.code);
		break;
	case ICMP_TIME_EXCEEDED:
		ts_strbuf_printf(l, "icmp time-exceeded code=%u", v.code);
		break;
	default:
		ts_strbuf_printf(l, "icmp type=%u code=%u len=%zu", v.type, v.code, v.data_len);
		break;
	}
	if (verify && !icmp_csum_ok(p, len))
		ts_strbuf_printf(l, " bad-csum");
}

static void describe_ipv4(struct ts_strbuf *l, const uint8_t *p, size_t len)
{
	struct ipv4_view v;
	char src[16], dst[16];
	enum ts_drop_reason r = ipv4_parse(p, len, &v);

	if (r != DROP_NONE && r != DROP_IPV4_BAD_CSUM && r != DROP_IPV4_BAD_OPTIONS) {
		ts_strbuf_printf(l, "ipv4 malformed (%s)", ts_drop_name(r));
		return;
	}
	ipv4_ntoa(v.src, src);
	ipv4_ntoa(v.dst, dst);
	ts_strbuf_printf(l, "ipv4 %s>%s ttl=%u id=%u", src, dst, v.ttl, v.id);
	switch (v.proto) {
	case IPV4_PROTO_ICMP:
		ts_strbuf_printf(l, " proto=icmp");
		break;
	case IPV4_PROTO_UDP:
		ts_strbuf_printf(l, " proto=udp");
		break;
	case IPV4_PROTO_TCP:
		ts_strbuf_printf(l, " proto=tcp");
		break;
	default:
		ts_strbuf_printf(l, " proto=%u", v.proto);
		break;
	}
	ts_strbuf_printf(l, " len=%u", v.total_len);
	if (v.df)
		ts_strbuf_printf(l, " df");
	if (v.mf || v.frag_off)
		ts_strbuf_printf(l, " frag off=%u%s", v.frag_off, v.mf ? " mf" : "");
	if (r != DROP_NONE) {
		ts_strbuf_printf(l, " %s", r == DROP_IPV4_BAD_CSUM ? "bad-csum" : "bad-options");
		return; /* the stack stops here too */
	}
	if (v.frag_off)
		return; /* no transport header in a later fragment */
	const uint8_t *t = v.payload;
	size_t tlen = (size_t)v.total_len - v.hdr_len;
	ts_strbuf_printf(l, " | ");
	switch (v.proto) {
	case IPV4_PROTO_ICMP:
		describe_icmp(l, t, tlen, !v.mf);
		break;
	case IPV4_PROTO_UDP:
		line_add_describe(l, udp_describe, t, tlen);
		break;
	case IPV4_PROTO_TCP:
		line_add_describe(l, tcp_describe, t, tlen);
		break;
	default:
		ts_strbuf_printf(l, "payload len=%zu", tlen);
		break;
	}
}

/* An ICMPv6 message (RFC 4443; NS/NA RFC 4861 §4.3, §4.4; MLDv2 RFC 3810 §5.2). */
static void describe_icmp6(struct ts_strbuf *l, const uint8_t *p, size_t len)
{
	char t[IP_ADDR_STRLEN];
	if (len < ICMP6_HDR_LEN) {
		ts_strbuf_printf(l, "icmp6 truncated len=%zu", len);
		return;
	}
	uint8_t type = p[ICMP6_OFF_TYPE];
	switch (type) {
	case ICMP6_ECHO_REQUEST:
	case ICMP6_ECHO_REPLY:
		if (len < 8)
			break;
		ts_strbuf_printf(l, "icmp6 echo %s id=%u seq=%u len=%zu",
				 type == ICMP6_ECHO_REQUEST ? "request" : "reply",
				 (unsigned)(p[4] << 8 | p[5]), (unsigned)(p[6] << 8 | p[7]),
				 len - 8);
		return;
	case ICMP6_NEIGHBOR_SOLICIT:
	case ICMP6_NEIGHBOR_ADVERT:
		if (len < ND6_MSG_LEN)
			break;
		if (!inet_ntop(AF_INET6, p + ND6_OFF_TARGET, t, sizeof(t)))
			t[0] = 0;
		if (type == ICMP6_NEIGHBOR_SOLICIT) {
			ts_strbuf_printf(l, "icmp6 ns who-has %s", t);
		} else {
			uint8_t f = p[ND6_OFF_FLAGS];
			ts_strbuf_printf(l, "icmp6 na %s%s%s%s", t,
					 f & ND6_NA_ROUTER ? " router" : "",
					 f & ND6_NA_SOLICITED ? " solicited" : "",
					 f & ND6_NA_OVERRIDE ? " override" : "");
		}
		return;
	case ICMP6_MLD2_REPORT:
		if (len < 8)
			break;
		ts_strbuf_printf(l, "icmp6 mld2-report records=%u", (unsigned)(p[6] << 8 | p[7]));
		return;
	default:
		break;
	}
	ts_strbuf_printf(l, "icmp6 type=%u code=%u len=%zu", type, p[ICMP6_OFF_CODE], len);
}

/* An IPv6 datagram: the fixed header, then the upper layer past the extension headers. */
static void describe_ipv6(struct ts_strbuf *l, const uint8_t *p, size_t len)
{
	struct ipv6_view v;
	struct ipv6_ext x;
	char src[IP_ADDR_STRLEN], dst[IP_ADDR_STRLEN];
	enum ts_drop_reason r = ipv6_parse(p, len, &v);

	if (r != DROP_NONE) {
		ts_strbuf_printf(l, "ipv6 malformed (%s)", ts_drop_name(r));
		return;
	}
	if (!inet_ntop(AF_INET6, v.src, src, sizeof(src)))
		src[0] = 0;
	if (!inet_ntop(AF_INET6, v.dst, dst, sizeof(dst)))
		dst[0] = 0;
	ts_strbuf_printf(l, "ipv6 %s>%s hlim=%u len=%u", src, dst, v.hop_limit, v.payload_len);
	size_t dlen = IPV6_HDR_LEN + (size_t)v.payload_len;
	r = ipv6_walk_ext(p, dlen, ipv6_is_multicast(v.dst), &x);
	if (r != DROP_NONE) {
		ts_strbuf_printf(l, " (%s)", ts_drop_name(r));
		return;
	}
	if (x.frag_off) {
		/* A fragment to reassemble (RFC 8200 §4.5): what follows its
		 * header is part of the datagram, read once whole. */
		const uint8_t *fh = p + x.frag_off;
		unsigned om = (unsigned)(fh[IPV6_FRAG_OFF_OFFM] << 8 | fh[IPV6_FRAG_OFF_OFFM + 1]);
		const uint8_t *id = fh + IPV6_FRAG_OFF_ID;
		ts_strbuf_printf(l, " frag off=%u%s id=%lu next=%u len=%zu",
				 om & IPV6_FRAG_OFFSET_MASK, om & IPV6_FRAG_M ? " mf" : "",
				 (unsigned long)id[0] << 24 | (unsigned long)id[1] << 16 |
				     (unsigned long)id[2] << 8 | id[3],
				 fh[0], dlen - x.frag_off - IPV6_FRAG_HDR_LEN);
		return;
	}
	if (x.off > IPV6_HDR_LEN)
		ts_strbuf_printf(l, " ext=%u", (unsigned)(x.off - IPV6_HDR_LEN));
	ts_strbuf_printf(l, " | ");
	switch (x.proto) {
	case IPV6_NH_ICMPV6:
		describe_icmp6(l, p + x.off, dlen - x.off);
		break;
	case IPV6_NH_UDP:
		line_add_describe(l, udp_describe, p + x.off, dlen - x.off);
		break;
	case IPV6_NH_TCP:
		line_add_describe(l, tcp_describe, p + x.off, dlen - x.off);
		break;
	default:
		ts_strbuf_printf(l, "next=%u len=%zu", x.proto, dlen - x.off);
		break;
	}
}

static void describe_arp(struct ts_strbuf *l, const uint8_t *p, size_t len)
{
	struct arp_view v;
	char spa[16], tpa[16], sha[18];
	enum ts_drop_reason r = arp_parse(p, len, &v);

	if (r != DROP_NONE) {
		ts_strbuf_printf(l, "arp malformed (%s)", ts_drop_name(r));
		return;
	}
	ipv4_ntoa(v.spa, spa);
	ipv4_ntoa(v.tpa, tpa);
	eth_ntoa(v.sha, sha);
	if (v.op == ARP_OP_REQUEST && v.spa == v.tpa)
		ts_strbuf_printf(l, "arp announce %s is-at %s", spa,
				 sha); /* gratuitous, RFC 5227 §3 */
	else if (v.op == ARP_OP_REQUEST)
		ts_strbuf_printf(l, "arp who-has %s tell %s", tpa, spa);
	else
		ts_strbuf_printf(l, "arp reply %s is-at %s", spa, sha);
}

int trace_describe(const uint8_t *frame, size_t len, char *out, size_t cap)
{
	struct ts_strbuf l = {.buf = out, .cap = cap, .len = 0};
	struct eth_view e;
	char src[18], dst[18];

	if (cap)
		out[0] = 0;
	if (eth_parse(frame, len, &e) != DROP_NONE) {
		ts_strbuf_printf(&l, "eth truncated len=%zu", len);
		return (int)l.len;
	}
	eth_ntoa(e.src, src);
	eth_ntoa(e.dst, dst);
	ts_strbuf_printf(&l, "eth %s>%s", src, dst);
	switch (e.type) {
	case ETH_TYPE_IPV4:
		ts_strbuf_printf(&l, " type=ipv4 | ");
		describe_ipv4(&l, e.payload, e.payload_len);
		break;
	case ETH_TYPE_IPV6:
		ts_strbuf_printf(&l, " type=ipv6 | ");
		describe_ipv6(&l, e.payload, e.payload_len);
		break;
	case ETH_TYPE_ARP:
		ts_strbuf_printf(&l, " type=arp | ");
		describe_arp(&l, e.payload, e.payload_len);
		break;
	default:
		ts_strbuf_printf(&l, " type=0x%04x len=%zu", e.type, e.payload_len);
		break;
	}
	return (int)l.len;
}

/* ---- the wrapper ---- */

struct trace_dev {
	struct netdev dev;
	struct netdev *lower;		    /* the wrapped device (owned) */
	FILE *out;			    /* where lines go (not owned) */
	uint8_t scratch[TRACE_SCRATCH_MAX]; /* a partial frame, completed to be described */
};

/*
 * Describes the frame as the wire carries it: a partial checksum is
 * completed in a copy first (the frame goes on untouched).  Offload
 * metadata shows at the end of the line: "csum=partial" (the device
 * completes the checksum), "csum=verified" (the device validated it).
 */
static void trace_line(struct trace_dev *t, const char *dir, const uint8_t *frame, size_t len,
		       const struct netdev_meta *meta)
{
	char line[TRACE_LINE_MAX];
	const char *note = "";
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		note = " csum=partial";
		if (len <= sizeof(t->scratch)) {
			struct netdev_meta m = *meta;
			memcpy(t->scratch, frame, len);
			if (netdev_meta_complete(t->scratch, len, &m) == 0)
				frame = t->scratch;
		}
	} else if (meta->csum == NETDEV_CSUM_VERIFIED) {
		note = " csum=verified";
	}
	trace_describe(frame, len, line, sizeof(line));
	fprintf(t->out, "%s %s%s\n", dir, line, note);
	fflush(t->out); /* lines interleave with ts_drop's, which flush too */
}

static ssize_t trace_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			  uint64_t now_us)
{
	struct trace_dev *t = (struct trace_dev *)dev;
	ssize_t n = netdev_recv_meta(t->lower, buf, cap, meta, now_us);
	if (n > 0)
		trace_line(t, "rx", buf, (size_t)n, meta);
	return n;
}

static int trace_send(struct netdev *dev, const uint8_t *frame, size_t len,
		      const struct netdev_meta *meta, uint64_t now_us)
{
	struct trace_dev *t = (struct trace_dev *)dev;
	trace_line(t, "tx", frame, len, meta);
	return netdev_send_meta(t->lower, frame, len, meta, now_us);
}

/* The lower device's: the tracer completes a copy when it needs the bytes. */
static void trace_caps(struct netdev *dev, struct netdev_caps *caps)
{
	netdev_caps(((struct trace_dev *)dev)->lower, caps);
}

static int trace_flush(struct netdev *dev, uint64_t now_us)
{
	return netdev_flush(((struct trace_dev *)dev)->lower, now_us);
}

static int trace_pollfd(struct netdev *dev)
{
	return netdev_pollfd(((struct trace_dev *)dev)->lower);
}

static uint64_t trace_next_deadline(struct netdev *dev)
{
	return netdev_next_deadline(((struct trace_dev *)dev)->lower);
}

static void trace_destroy(struct netdev *dev)
{
	struct trace_dev *t = (struct trace_dev *)dev;
	netdev_destroy(t->lower);
	free(t);
}

/* netdev.h: the frame trace_recv returned last is the lower device's last one. */
static void trace_rx_verdict(struct netdev *dev, enum ts_drop_reason reason, uint64_t now_us)
{
	netdev_rx_verdict(((struct trace_dev *)dev)->lower, reason, now_us);
}

static const struct netdev_ops trace_ops = {
    .recv = trace_recv,
    .rx_verdict = trace_rx_verdict,
    .send = trace_send,
    .caps = trace_caps,
    .flush = trace_flush,
    .pollfd = trace_pollfd,
    .next_deadline = trace_next_deadline,
    .destroy = trace_destroy,
};

struct netdev *trace_wrap(struct netdev *lower, FILE *out)
{
	struct trace_dev *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->dev.ops = &trace_ops;
	snprintf(t->dev.name, sizeof(t->dev.name), "trace(%.24s)", lower->name);
	t->lower = lower;
	t->out = out;
	return &t->dev;
}
