/*
 * tso6_test.c - the offloads over IPv6 (issue #11's TUN_F_TSO6, #14): one
 * stack (fd00::2) over the capture netdev with a TCP connection to the
 * peer fd00::1 and a UDP socket:
 *
 *   - with TCP6 checksum offload and TSO6 (tso_types TCPV6) the initial
 *     window of new data leaves as one TCPv6 super-segment: gso_type
 *     TCPV6, gso_size the MSS, checksum partial at csum_start 54 (14 + 40)
 *     and csum_offset 16, the IPv6 payload length that of the whole; a
 *     retransmitted hole is one segment;
 *   - without TCPV6 in tso_types (a TSO4-only link) MSS-sized segments
 *     with partial checksums; without TCP6 in tx_csum, full checksums;
 *   - with UDP6 a datagram leaves with its checksum partial (csum_offset 6);
 *   - the virtio_net_hdr tap.c writes for those frames, octet by octet
 *     (virtio 1.x "Packet Transmission": flags NEEDS_CSUM, gso_type
 *     TCPV6 = 4, hdr_len every header, gso_size, csum_start, csum_offset,
 *     little-endian), and netdev_partial_proto names TCP6 and UDP6;
 *   - a TCPV6 GSO super-frame handed up VERIFIED (GRO) is taken whole.
 *
 * The frame helpers are icmp6_err_test.c's (static there), copied.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "byteorder.h"
#include "checksum.h"
#include "ipv6.h"
#include "tap.h"
#include "tapstack.h"
#include "tcp_frames.h"
#include "tcp_var.h"

#define PEER6	  "fd00::1"
#define US6	  "fd00::2"
#define PEER_PORT 80
#define PEER_ISS  5000u
#define MSS6	  1440 /* 1500 - 40 - 20 */

static const struct netdev_caps tso6_caps = {
    .max_tx_frame = NETDEV_JUMBO_FRAME,
    .max_rx_frame = TS_BUF_BIG_FRAME,
    .rx_csum =
	NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4 | NETDEV_OFFLOAD_TCP6 | NETDEV_OFFLOAD_UDP6,
    .tx_csum =
	NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4 | NETDEV_OFFLOAD_TCP6 | NETDEV_OFFLOAD_UDP6,
    .tso_types = 1u << NETDEV_GSO_TCPV4 | 1u << NETDEV_GSO_TCPV6,
    .tso_max_size = 65535,
};

static size_t frame6(uint8_t *f, const char *src, const char *dst, uint8_t nh, const uint8_t *pl,
		     size_t plen)
{
	uint8_t *ip = f + 14;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put_be16(ip + 4, (uint16_t)plen);
	ip[6] = nh;
	ip[7] = 64;
	ts_inet6(src, ip + 8);
	ts_inet6(dst, ip + 24);
	memmove(ip + 40, pl, plen);
	memcpy(f, ts_our_mac, 6);
	memcpy(f + 6, ts_peer_mac, 6);
	put_be16(f + 12, 0x86dd);
	return 14 + 40 + plen;
}

/* A TCP segment from the peer with options opt and len octets of data. */
static size_t tcp6_from_peer(uint8_t *f, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			     const uint8_t *opt, size_t olen, const uint8_t *data, size_t len)
{
	uint8_t *seg = malloc(60 + len);
	size_t hl = 20 + olen;
	memset(seg, 0, hl);
	put_be16(seg, PEER_PORT);
	put_be16(seg + 2, dport);
	put_be32(seg + 4, seq);
	put_be32(seg + 8, ack);
	seg[12] = (uint8_t)(hl / 4 << 4);
	seg[13] = flags;
	put_be16(seg + 14, 65535);
	if (olen)
		memcpy(seg + 20, opt, olen);
	if (len)
		memcpy(seg + hl, data, len);
	size_t n = frame6(f, PEER6, US6, IPV6_NH_TCP, seg, hl + len);
	put_be16(f + 54 + 16, ts_csum6(f + 22, f + 38, IPV6_NH_TCP, f + 54, hl + len));
	free(seg);
	return n;
}

/* One IPv6 frame the stack sent, its metadata, the checksum completed and checked. */
struct out {
	uint8_t f[70000];
	size_t len;
	struct netdev_meta m;
	uint8_t nh;
	struct tcp_view v; /* TCP */
};

static bool take6(struct ts_test_stack *t, struct out *o, uint8_t nh)
{
	for (;;) {
		o->len = capdev_take_meta(t->cap, o->f, sizeof(o->f), &o->m);
		if (!o->len)
			return false;
		if (get_be16(o->f + 12) != 0x86dd || o->f[14 + IPV6_OFF_NEXT] != nh)
			continue; /* neighbour discovery, MLD */
		const uint8_t *ip = o->f + 14;
		ck_assert_uint_eq(IPV6_HDR_LEN + get_be16(ip + IPV6_OFF_PLEN), o->len - 14);
		struct netdev_meta m = o->m;
		ck_assert_int_eq(netdev_meta_complete(o->f, o->len, &m), 0);
		ck_assert_uint_eq(ts_csum6(ip + 8, ip + 24, nh, ip + 40, o->len - 54), 0);
		if (nh == IPV6_NH_TCP)
			ck_assert_int_eq(tcp_parse(ip + 40, o->len - 54, &o->v), DROP_NONE);
		return true;
	}
}

struct fx {
	struct ts_test_stack t;
	int fd;
	struct tcp_pcb *pcb;
	uint16_t port; /* ours */
	uint32_t iss;
};

/* ESTABLISHED to [fd00::1]:80, which announced MSS 1440 and no other option: 20-octet headers. */
static void fx_established(struct fx *x, const struct netdev_caps *caps)
{
	memset(x, 0, sizeof(*x));
	ts_test_stack_init_caps(&x->t, NULL, caps);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(PEER_PORT)};
	ts_inet6(PEER6, a.sin6_addr.s6_addr);
	struct sockaddr_in6 n = a;
	n.sin6_port = 0;
	ck_assert_int_eq(ts_neigh_add(&x->t.st, SA(n), sizeof(n), ts_peer_mac, 0), 0);
	x->fd = ts_socket(&x->t.st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_errno(ts_connect(&x->t.st, x->fd, SA(a), sizeof(a)), EINPROGRESS);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take6(&x->t, o, IPV6_NH_TCP));
	ck_assert(o->v.flags & TCP_SYN);
	x->port = o->v.src_port;
	x->iss = o->v.seq;
	uint8_t opt[4] = {TCP_OPT_MSS, 4, MSS6 >> 8, MSS6 & 0xff};
	uint8_t f[128];
	ts_test_stack_feed(
	    &x->t, f,
	    tcp6_from_peer(f, x->port, PEER_ISS, x->iss + 1, TCP_SYN | TCP_ACK, opt, 4, NULL, 0));
	ck_assert(take6(&x->t, o, IPV6_NH_TCP));
	ck_assert_uint_eq(o->v.flags, TCP_ACK);
	free(o);
	struct ip_addr us = {.af = AF_INET6}, peer = {.af = AF_INET6};
	ts_inet6(US6, us.v6);
	ts_inet6(PEER6, peer.v6);
	x->pcb = tcp_conn_lookup(&x->t.st, &us, x->port, &peer, PEER_PORT);
	ck_assert_ptr_nonnull(x->pcb);
	ck_assert_uint_eq(x->pcb->smss, MSS6);
	int one = 1;
	ck_assert_int_eq(
	    ts_setsockopt(&x->t.st, x->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
}

static uint8_t pat(size_t i)
{
	return (uint8_t)(i * 13 + (i >> 9));
}

static void write_pattern(struct fx *x, size_t n)
{
	uint8_t *b = malloc(n);
	for (size_t i = 0; i < n; i++)
		b[i] = pat(i);
	ck_assert_int_eq(ts_write(&x->t.st, x->fd, b, n), (ssize_t)n);
	free(b);
}

static void fx_free(struct fx *x)
{
	ts_close(&x->t.st, x->fd);
	ts_test_stack_free(&x->t);
}

/* tap.c's header for o, octet by octet against the expected ten. */
static void vnet_is(const struct out *o, const uint8_t want[TAP_VNET_HDR_LEN])
{
	uint8_t h[TAP_VNET_HDR_LEN];
	ck_assert_int_eq(tap_vnet_hdr_build(&o->m, o->f, o->len, h), 0);
	ck_assert_mem_eq(h, want, TAP_VNET_HDR_LEN);
}

/*
 * The initial window (10 segments) leaves as one TCPv6 super-segment of
 * 10 * 1440 octets, with the header virtio_net_hdr says for it.
 */
START_TEST(initial_window_is_one_tcpv6_super_segment)
{
	struct fx x;
	fx_established(&x, &tso6_caps);
	uint32_t iw = x.pcb->cwnd;
	ck_assert_uint_eq(iw, 10 * MSS6);
	write_pattern(&x, 64 * 1024);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take6(&x.t, o, IPV6_NH_TCP));
	ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_TCPV6);
	ck_assert_uint_eq(o->m.gso_size, MSS6);
	ck_assert_uint_eq(o->m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(o->m.csum_start, 54);
	ck_assert_uint_eq(o->m.csum_offset, 16);
	ck_assert_uint_eq(o->v.payload_len, iw);
	ck_assert_uint_eq(get_be16(o->f + 14 + IPV6_OFF_PLEN), 20 + iw);
	ck_assert_uint_eq(o->v.seq, x.iss + 1);
	ck_assert_uint_eq(o->v.flags & TCP_PSH, 0);
	for (size_t i = 0; i < o->v.payload_len; i++)
		ck_assert_msg(o->v.payload[i] == pat(i), "payload byte %zu", i);
	ck_assert_uint_eq(netdev_partial_proto(o->f, o->len, &o->m), NETDEV_OFFLOAD_TCP6);
	/* flags NEEDS_CSUM, gso_type TCPV6 (4), hdr_len 74 = 14 + 40 + 20,
	 * gso_size 1440, csum_start 54, csum_offset 16. */
	const uint8_t want[TAP_VNET_HDR_LEN] = {1, 4, 74, 0, 0xa0, 0x05, 54, 0, 16, 0};
	vnet_is(o, want);
	ck_assert_uint_eq(capdev_sent_count(x.t.cap), 0);
	ck_assert_uint_eq(x.t.st.counters[CTR_TCP_TX], 2 + 10); /* SYN, ACK, ten segments */

	/* The peer SACKs all but the first segment; its retransmission is one segment. */
	uint8_t sack[12] = {1, 1, TCP_OPT_SACK, 10};
	put_be32(sack + 4, x.iss + 1 + MSS6);
	put_be32(sack + 8, x.iss + 1 + iw);
	uint8_t *f = malloc(256);
	for (int i = 0; i < 3; i++)
		ts_test_stack_feed(&x.t, f,
				   tcp6_from_peer(f, x.port, PEER_ISS + 1, x.iss + 1, TCP_ACK, sack,
						  i ? 12 : 0, NULL, 0));
	bool seen = false;
	while (take6(&x.t, o, IPV6_NH_TCP))
		if (o->v.seq == x.iss + 1) {
			seen = true;
			ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
			ck_assert_uint_eq(o->v.payload_len, MSS6);
		}
	ck_assert_msg(seen, "the hole was not retransmitted");
	free(f);
	free(o);
	fx_free(&x);
}
END_TEST

/* A TSO4-only link sends TCPv6 segments of one MSS, checksums partial; without TCP6 full ones. */
START_TEST(no_tso6_without_the_capability_or_checksum_offload)
{
	struct netdev_caps only4 = tso6_caps;
	only4.tso_types = 1u << NETDEV_GSO_TCPV4;
	struct netdev_caps no_csum6 = tso6_caps;
	no_csum6.tx_csum &= ~(uint32_t)NETDEV_OFFLOAD_TCP6;
	const struct netdev_caps *cases[] = {&only4, &no_csum6};
	struct out *o = malloc(sizeof(*o));
	for (int c = 0; c < 2; c++) {
		struct fx x;
		fx_established(&x, cases[c]);
		write_pattern(&x, 64 * 1024);
		int n = 0;
		while (take6(&x.t, o, IPV6_NH_TCP)) {
			ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
			ck_assert_uint_eq(o->v.payload_len, MSS6);
			ck_assert_uint_eq(o->m.csum,
					  c == 0 ? NETDEV_CSUM_PARTIAL : NETDEV_CSUM_NONE);
			n++;
		}
		ck_assert_int_eq(n, 10);
		fx_free(&x);
	}
	free(o);
}
END_TEST

/* UDP6: the checksum left partial at csum_offset 6, completed right, the header tap.c writes. */
START_TEST(udp6_checksum_left_partial)
{
	struct ts_test_stack t;
	ts_test_stack_init_caps(&t, NULL, &tso6_caps);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
	ts_inet6(PEER6, a.sin6_addr.s6_addr);
	struct sockaddr_in6 n = a;
	n.sin6_port = 0;
	ck_assert_int_eq(ts_neigh_add(&t.st, SA(n), sizeof(n), ts_peer_mac, 0), 0);
	int u = ts_socket(&t.st, AF_INET6, SOCK_DGRAM, 0);
	ck_assert_int_eq(ts_connect(&t.st, u, SA(a), sizeof(a)), 0);
	ck_assert_int_eq(ts_send(&t.st, u, "hello\n", 6, 0), 6);
	struct out *o = malloc(sizeof(*o));
	ck_assert(take6(&t, o, IPV6_NH_UDP));
	ck_assert_uint_eq(o->m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(o->m.csum_start, 54);
	ck_assert_uint_eq(o->m.csum_offset, 6);
	ck_assert_uint_eq(o->m.gso_type, NETDEV_GSO_NONE);
	ck_assert_uint_eq(netdev_partial_proto(o->f, o->len, &o->m), NETDEV_OFFLOAD_UDP6);
	ck_assert_uint_eq(o->len, 54 + 14); /* take6 completed it and checked the sum */
	uint8_t copy[128];
	const uint8_t want[TAP_VNET_HDR_LEN] = {1, 0, 0, 0, 0, 0, 54, 0, 6, 0};
	vnet_is(o, want);
	/* Not a checksum a Fragment header in between lets the device complete. */
	memcpy(copy, o->f, o->len);
	copy[14 + IPV6_OFF_NEXT] = 44;
	ck_assert_uint_eq(netdev_partial_proto(copy, o->len, &o->m), 0);
	free(o);
	ts_close(&t.st, u);
	ts_test_stack_free(&t);
}
END_TEST

/* A TCPV6 super-frame handed up VERIFIED (GRO) is one segment of 4 * 1440, acknowledged whole. */
START_TEST(tcpv6_gso_super_frame_received_whole)
{
	struct fx x;
	fx_established(&x, &tso6_caps);
	size_t len = 4 * MSS6;
	uint8_t *data = malloc(len), *f = malloc(len + 200);
	for (size_t i = 0; i < len; i++)
		data[i] = pat(i);
	size_t n = tcp6_from_peer(f, x.port, PEER_ISS + 1, x.iss + 1, TCP_ACK | TCP_PSH, NULL, 0,
				  data, len);
	struct netdev_meta m = {
	    .csum = NETDEV_CSUM_VERIFIED, .gso_type = NETDEV_GSO_TCPV6, .gso_size = MSS6};
	put_be16(f + 54 + 16, 0xdead); /* VERIFIED: the stack does not sum it again */
	capdev_inject_meta(x.t.cap, f, n, &m);
	stack_poll(&x.t.st, x.t.st.now_us);
	uint8_t *got = malloc(len);
	ck_assert_int_eq(ts_read(&x.t.st, x.fd, got, len), (ssize_t)len);
	ck_assert_mem_eq(got, data, len);
	free(got);
	free(data);
	free(f);
	fx_free(&x);
}
END_TEST

static Suite *tso6_suite(void)
{
	Suite *s = suite_create("tso6");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, initial_window_is_one_tcpv6_super_segment);
	tcase_add_test(tc, no_tso6_without_the_capability_or_checksum_offload);
	tcase_add_test(tc, udp6_checksum_left_partial);
	tcase_add_test(tc, tcpv6_gso_super_frame_received_whole);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tso6_suite)
