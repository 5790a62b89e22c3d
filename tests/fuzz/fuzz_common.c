/*
 * fuzz_common.c - the fuzzers' capture netdev with its send-side
 * invariants, stack set-up on a virtual clock, and checksum repair.
 * See fuzz_common.h.
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"

#define ETH_HLEN      14
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define PROTO_ICMP    1
#define PROTO_ICMPV6  58
#define PROTO_TCP     6
#define PROTO_UDP     17

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==fuzz invariant== %s:%d: %s: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * The IP header and transport bounds of an Ethernet frame, or false when it
 * is neither IPv4 nor IPv6 with a sane header.  *l4_len is clamped to the
 * frame.  For IPv6 only a transport right after the fixed header is found;
 * behind extension headers the frame counts as a fragment (not checked).
 */
struct ip_layout {
	size_t ip_off, ihl, total, l4_off, l4_len;
	uint8_t proto;
	bool fragment;
	bool v6;
};

static bool ip6_layout(const uint8_t *frame, size_t len, struct ip_layout *o)
{
	const uint8_t *ip = frame + ETH_HLEN;
	if (len < ETH_HLEN + 40 || (ip[0] >> 4) != 6)
		return false;
	o->v6 = true;
	o->ip_off = ETH_HLEN;
	o->ihl = 40;
	o->total = 40 + (size_t)get_be16(ip + 4);
	if (o->total > len - ETH_HLEN)
		o->total = len - ETH_HLEN;
	o->proto = ip[6];
	o->fragment = o->proto != PROTO_TCP && o->proto != PROTO_UDP && o->proto != PROTO_ICMPV6;
	o->l4_off = ETH_HLEN + 40;
	o->l4_len = o->total - 40;
	return true;
}

static bool ip_layout(const uint8_t *frame, size_t len, struct ip_layout *o)
{
	memset(o, 0, sizeof(*o));
	if (len >= ETH_HLEN && get_be16(frame + 12) == ETH_TYPE_IPV6)
		return ip6_layout(frame, len, o);
	if (len < ETH_HLEN + 20 || get_be16(frame + 12) != ETH_TYPE_IPV4)
		return false;
	const uint8_t *ip = frame + ETH_HLEN;
	o->ip_off = ETH_HLEN;
	o->ihl = (size_t)(ip[0] & 0x0f) * 4;
	if ((ip[0] >> 4) != 4 || o->ihl < 20 || ETH_HLEN + o->ihl > len)
		return false;
	o->total = get_be16(ip + 2);
	if (o->total < o->ihl)
		return false;
	if (o->total > len - ETH_HLEN)
		o->total = len - ETH_HLEN;
	o->proto = ip[9];
	o->fragment = (get_be16(ip + 6) & 0x3fff) != 0; /* MF or an offset */
	o->l4_off = ETH_HLEN + o->ihl;
	o->l4_len = o->total - o->ihl;
	return true;
}

/* Offset of the transport checksum field, or 0 when the protocol has none we handle. */
static size_t l4_csum_field(uint8_t proto, size_t l4_len)
{
	switch (proto) {
	case PROTO_TCP:
		return l4_len >= 20 ? 16 : 0;
	case PROTO_UDP:
		return l4_len >= 8 ? 6 : 0;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		return l4_len >= 4 ? 2 : 0;
	default:
		return 0;
	}
}

/* The transport checksum over frame's transport bytes, with the pseudo-header if needed. */
static uint16_t l4_csum(const uint8_t *frame, const struct ip_layout *o)
{
	const uint8_t *ip = frame + o->ip_off;
	uint32_t sum = 0;
	if (o->v6) {
		/* RFC 8200 §8.1: addresses, upper-layer length, next header
		 * (ICMPv6 included, RFC 4443 §2.3). */
		sum = ts_csum_partial(ip + 8, 32, 0);
		sum += (uint32_t)(o->l4_len >> 16) + (uint32_t)(o->l4_len & 0xffff) + o->proto;
	} else if (o->proto != PROTO_ICMP) {
		sum = ts_csum_pseudo(get_be32(ip + 12), get_be32(ip + 16), o->proto,
				     (uint16_t)o->l4_len);
	}
	return ts_csum_fold(ts_csum_partial(frame + o->l4_off, o->l4_len, sum));
}

bool fz_fix_checksums(uint8_t *frame, size_t len)
{
	struct ip_layout o;
	if (!ip_layout(frame, len, &o))
		return false;
	uint8_t *ip = frame + o.ip_off;
	bool changed = false;
	if (!o.v6) { /* IPv6 has no header checksum (RFC 8200 §3) */
		uint16_t old_ip = get_be16(ip + 10);
		put_be16(ip + 10, 0);
		put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, o.ihl, 0)));
		changed = get_be16(ip + 10) != old_ip;
	}
	size_t field = l4_csum_field(o.proto, o.l4_len);
	if (o.fragment || !field)
		return changed;
	uint8_t *c = frame + o.l4_off + field;
	uint16_t old_l4 = get_be16(c);
	if (o.proto == PROTO_UDP && old_l4 == 0 && !o.v6)
		return changed; /* RFC 768: zero means "no checksum"; keep that case */
	put_be16(c, 0);
	uint16_t v = l4_csum(frame, &o);
	if (o.proto == PROTO_UDP && v == 0)
		v = 0xffff; /* RFC 768: a computed zero is sent as all ones */
	put_be16(c, v);
	return changed || v != old_l4;
}

/* Checks one frame the stack sent (see the invariants in fuzz_common.h). */
static void check_sent(const struct fzdev *d, const uint8_t *f, size_t len)
{
	FZ_CHECK(len >= ETH_HLEN, "sent a %zu-byte frame", len);
	FZ_CHECK(len <= d->mtu + ETH_HLEN, "sent %zu bytes, MTU %u + 14", len, d->mtu);
	FZ_CHECK(memcmp(f + 6, d->mac, 6) == 0, "sent a frame with a foreign source MAC");
	struct ip_layout o;
	if (get_be16(f + 12) == ETH_TYPE_IPV6) {
		FZ_CHECK(ip_layout(f, len, &o), "sent an IPv6 frame with a bad header");
		FZ_CHECK(40 + (size_t)get_be16(f + ETH_HLEN + 4) <= len - ETH_HLEN,
			 "IPv6 payload length %u beyond the frame (%zu)",
			 get_be16(f + ETH_HLEN + 4), len);
		/* RFC 4291 §2.7: never a multicast source. */
		FZ_CHECK(f[ETH_HLEN + 8] != 0xff, "sent IPv6 from a multicast source");
		size_t field6 = l4_csum_field(o.proto, o.l4_len);
		if (!o.fragment && field6)
			FZ_CHECK(l4_csum(f, &o) == 0,
				 "bad checksum sent over IPv6 (next header %u)", o.proto);
		return;
	}
	if (get_be16(f + 12) != ETH_TYPE_IPV4)
		return;
	FZ_CHECK(ip_layout(f, len, &o), "sent an IPv4 frame with a bad header");
	const uint8_t *ip = f + ETH_HLEN;
	FZ_CHECK(get_be16(ip + 2) <= len - ETH_HLEN, "IPv4 total length %u beyond the frame (%zu)",
		 get_be16(ip + 2), len);
	FZ_CHECK(ts_csum_fold(ts_csum_partial(ip, o.ihl, 0)) == 0, "bad IPv4 header checksum sent");
	/* FUZZ_IGNORE_KNOWN: bugs already reported (README.md, Findings), so a
	 * long run finds new ones instead of the same ones again. */
	if (d->ignore_known && o.proto == PROTO_TCP &&
	    (get_be32(ip + 12) == 0xffffffffu || (get_be32(ip + 12) & 0xff) == 0xff))
		return;
	FZ_CHECK(get_be32(ip + 12) == FZ_OUR_IP, "sent IPv4 with source %08x",
		 (unsigned)get_be32(ip + 12));
	size_t field = l4_csum_field(o.proto, o.l4_len);
	if (o.fragment || !field)
		return;
	if (o.proto == PROTO_UDP && get_be16(f + o.l4_off + 6) == 0)
		return;
	if (d->ignore_known && o.proto == PROTO_ICMP && get_be16(f + o.l4_off + 2) == 0)
		return;
	FZ_CHECK(l4_csum(f, &o) == 0, "bad checksum sent (IP protocol %u)", o.proto);
}

/* Remembers the sequence number the peer would acknowledge next. */
static void track_ack(struct fzdev *d, const uint8_t *f, size_t len)
{
	struct ip_layout o;
	if (!ip_layout(f, len, &o) || o.proto != PROTO_TCP || o.fragment || o.l4_len < 20)
		return;
	const uint8_t *t = f + o.l4_off;
	size_t doff = (size_t)(t[12] >> 4) * 4;
	if (doff < 20 || doff > o.l4_len)
		return;
	uint8_t flags = t[13];
	uint32_t next = get_be32(t + 4) + (uint32_t)(o.l4_len - doff) + ((flags & 0x02) ? 1 : 0) +
			((flags & 0x01) ? 1 : 0);
	uint16_t our_port = get_be16(t), peer_port = get_be16(t + 2);
	unsigned slot = FZ_ACK_SLOTS;
	for (unsigned i = 0; i < FZ_ACK_SLOTS; i++)
		if (d->ack[i].peer_port == peer_port && d->ack[i].our_port == our_port)
			slot = i;
	if (slot == FZ_ACK_SLOTS)
		slot = d->ack_next++ % FZ_ACK_SLOTS;
	d->ack[slot].peer_port = peer_port;
	d->ack[slot].our_port = our_port;
	d->ack[slot].next_seq = next;
}

bool fz_patch_ack(struct fzdev *d, uint8_t *frame, size_t len)
{
	struct ip_layout o;
	if (!ip_layout(frame, len, &o) || o.proto != PROTO_TCP || o.fragment || o.l4_len < 20)
		return false;
	uint8_t *t = frame + o.l4_off;
	uint16_t peer_port = get_be16(t), our_port = get_be16(t + 2);
	for (unsigned i = 0; i < FZ_ACK_SLOTS; i++)
		if (d->ack[i].peer_port == peer_port && d->ack[i].our_port == our_port) {
			if (get_be32(t + 8) == d->ack[i].next_seq)
				return false;
			put_be32(t + 8, d->ack[i].next_seq);
			return true;
		}
	return false;
}

/*
 * One pcap record (libpcap format, DLT_EN10MB), flushed at once so the file
 * is complete even when an invariant aborts right after.  The file header is
 * written by fz_stack_init.
 */
static void pcap_record(struct fzdev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
	uint32_t h[4] = {(uint32_t)(now_us / 1000000u), (uint32_t)(now_us % 1000000u),
			 (uint32_t)len, (uint32_t)len};
	if (!d->pcap)
		return;
	fwrite(h, sizeof(h), 1, d->pcap);
	fwrite(frame, 1, len, d->pcap);
	fflush(d->pcap);
}

static ssize_t fz_recv(struct netdev *nd, uint8_t *buf, size_t cap, struct netdev_meta *meta,
		       uint64_t now_us)
{
	struct fzdev *d = (struct fzdev *)nd;
	if (!d->rx_n)
		return 0;
	(void)meta; /* no offloads: every frame arrives NONE, its checksums to be verified */
	struct fz_rx *r = d->rx[d->rx_head];
	d->rx[d->rx_head] = NULL;
	d->rx_head = (d->rx_head + 1) % FZ_MAX_RX_Q;
	d->rx_n--;
	/* A link never hands over more than its buffer: truncate like a NIC would. */
	size_t n = r->len < cap ? r->len : cap;
	memcpy(buf, r->data, n);
	free(r);
	pcap_record(d, buf, n, now_us);
	return (ssize_t)n;
}

static int fz_send(struct netdev *nd, const uint8_t *frame, size_t len,
		   const struct netdev_meta *meta, uint64_t now_us)
{
	struct fzdev *d = (struct fzdev *)nd;
	FZ_CHECK(netdev_meta_is_plain(meta),
		 "sent a partial or GSO frame to a device without offloads");
	pcap_record(d, frame, len, now_us);
	if (d->dump) {
		fprintf(stderr, "fuzz: sent %zu bytes:", len);
		for (size_t i = 0; i < len; i++)
			fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", frame[i]);
		fputc('\n', stderr);
	}
	check_sent(d, frame, len);
	track_ack(d, frame, len);
	d->sent++;
	d->sent_bytes += len;
	return 0;
}

static void fzdev_free(struct fzdev *d)
{
	while (d->rx_n) {
		free(d->rx[d->rx_head]);
		d->rx_head = (d->rx_head + 1) % FZ_MAX_RX_Q;
		d->rx_n--;
	}
	if (d->pcap)
		fclose(d->pcap);
	free(d);
}

static void fz_destroy(struct netdev *nd)
{
	fzdev_free((struct fzdev *)nd);
}

static const struct netdev_ops fzdev_ops = {
    .recv = fz_recv,
    .send = fz_send,
    .caps = NULL, /* no offloads: the send checks above need complete checksums */
    .destroy = fz_destroy,
};

void fz_inject(struct fz_stack *f, const uint8_t *frame, size_t len)
{
	struct fzdev *d = f->dev;
	if (d->rx_n == FZ_MAX_RX_Q)
		return;
	struct fz_rx *r = malloc(sizeof(*r) + len);
	if (!r)
		abort();
	r->len = len;
	memcpy(r->data, frame, len);
	d->rx[(d->rx_head + d->rx_n) % FZ_MAX_RX_Q] = r;
	d->rx_n++;
}

void fz_stack_init(struct fz_stack *f, void (*cfg_edit)(struct ts_config *cfg))
{
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.ip = FZ_OUR_IP;
	cfg.prefix_len = 24;
	memcpy(cfg.mac, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x02}, 6);
	if (cfg_edit)
		cfg_edit(&cfg);
	/* FUZZ_TRACE=1 when replaying one input: every trace category and every
	 * frame sent, in hex, to stderr. */
	bool trace = getenv("FUZZ_TRACE") != NULL;
	if (trace)
		cfg.trace = TS_TRACE_LAYERS | TS_TRACE_API | TS_TRACE_TCP;
	f->dev = calloc(1, sizeof(*f->dev));
	if (!f->dev)
		abort();
	f->dev->dev.ops = &fzdev_ops;
	snprintf(f->dev->dev.name, sizeof(f->dev->dev.name), "fuzz");
	f->dev->mtu = cfg.mtu;
	f->dev->dump = trace;
	f->dev->ignore_known = getenv("FUZZ_IGNORE_KNOWN") != NULL;
	const char *pcap = getenv("FUZZ_PCAP");
	if (pcap && (f->dev->pcap = fopen(pcap, "wb"))) {
		/* magic, version 2.4, GMT offset, accuracy, snaplen, DLT_EN10MB */
		const uint32_t hdr[6] = {0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, 1};
		fwrite(hdr, sizeof(hdr), 1, f->dev->pcap);
	}
	memcpy(f->dev->mac, cfg.mac, 6);
	/* A fixed start: every input sees the same clock, RNG and ISS. */
	FZ_CHECK(stack_init(&f->st, &cfg, &f->dev->dev, 1000000) == 0, "stack_init failed");
}

void fz_stack_free(struct fz_stack *f)
{
	stack_destroy(&f->st);
	FZ_CHECK(f->st.bufs_live == 0, "%lld buffers leaked", (long long)f->st.bufs_live);
	fzdev_free(f->dev);
	f->dev = NULL;
}

/* tests/frames/arp/request.hex: who-has 10.0.0.2 tell 10.0.0.1. */
static const uint8_t arp_from_peer[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};

void fz_learn_peer(struct fz_stack *f)
{
	fz_inject(f, arp_from_peer, sizeof(arp_from_peer));
	fz_step(f, 0);
}

void fz_step(struct fz_stack *f, uint64_t delta_us)
{
	stack_poll(&f->st, f->st.now_us + delta_us);
}

void fz_drain_timers(struct fz_stack *f, unsigned max_steps)
{
	for (unsigned i = 0; i < max_steps; i++) {
		uint64_t next = stack_next_deadline(&f->st);
		if (next == UINT64_MAX)
			return;
		stack_poll(&f->st, next > f->st.now_us ? next : f->st.now_us);
	}
}
