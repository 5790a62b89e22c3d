/*
 * link_test.c - the link contract (stack/netdev.h): capabilities and
 * per-frame offload metadata, against golden frames Linux wrote into a TAP
 * with IFF_VNET_HDR (tests/frames/link/linux_*_partial.hex: the
 * virtio_net_hdr, then the frame).
 *
 * Send: with transmit checksum offload the stack leaves exactly the
 * pseudo-header sum in the field, with Linux's csum_start/csum_offset, and
 * completing it gives byte for byte the frame it sends without offload.
 * Receive: VERIFIED skips the transport checksum (never the IPv4 header's),
 * PARTIAL from a local sender is accepted as Linux accepts it, metadata
 * that cannot describe its frame is dropped, receive buffers follow the
 * link's largest frame.  Wrappers: the pcap writer and the tracer show a
 * completed checksum, fault injection never hands up a corrupted frame as
 * VERIFIED and completes a partial checksum before it flips a bit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunit.h"
#include "tapstack.h"
#include "byteorder.h"
#include "checksum.h"
#include "faults.h"
#include "icmp.h"
#include "pcap_replay.h"
#include "pcap_tee.h"
#include "tcp_frames.h"
#include "tcp_wire.h"
#include "trace.h"

#define IP1	 0x0a000001u /* 10.0.0.1 */
#define IP2	 0x0a000002u /* 10.0.0.2 */
#define ETH_IP	 34	     /* Ethernet + IPv4 without options: the transport header */
#define VNET_LEN 10	     /* struct virtio_net_hdr */
#define BOTH	 (NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4)

static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t mac2[6] = {2, 0, 0, 0, 0, 2};

static struct netdev_caps caps_of(uint32_t rx_csum, uint32_t tx_csum)
{
	struct netdev_caps c = {.max_tx_frame = NETDEV_JUMBO_FRAME,
				.max_rx_frame = NETDEV_JUMBO_FRAME,
				.rx_csum = rx_csum,
				.tx_csum = tx_csum};
	return c;
}

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

/* Host 1 (10.0.0.1, 02:..:01) or 2 (10.0.0.2, 02:..:02) over a capdev with caps; the
 * other host is a static neighbour, so frames leave at once. */
static void init_host(struct ts_test_stack *t, int host, const struct netdev_caps *caps)
{
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.ip = host == 1 ? IP1 : IP2;
	memcpy(cfg.mac, host == 1 ? mac1 : mac2, 6);
	ts_test_stack_init_caps(t, &cfg, caps);
	struct sockaddr_in peer = sin_of(host == 1 ? IP2 : IP1, 0);
	ck_assert_int_eq(ts_neigh_add(&t->st, SA(peer), sizeof(peer), host == 1 ? mac2 : mac1, 0),
			 0);
}

/* A golden frame with its virtio_net_hdr in front: the header as metadata, the frame. */
static size_t load_vnet(const char *name, struct netdev_meta *m, uint8_t *frame, size_t cap)
{
	uint8_t raw[256];
	size_t n = ts_load_hex(name, raw, sizeof(raw));
	ck_assert_uint_gt(n, VNET_LEN);
	ck_assert_uint_le(n - VNET_LEN, cap);
	/* virtio 1.x "Device Operation": flags, gso_type, then little-endian hdr_len,
	 * gso_size, csum_start, csum_offset. */
	*m = (struct netdev_meta){0};
	m->csum = (raw[0] & 1) ? NETDEV_CSUM_PARTIAL : (raw[0] & 2) ? NETDEV_CSUM_VERIFIED : 0;
	m->gso_type = raw[1];
	m->gso_size = (uint16_t)(raw[4] | raw[5] << 8);
	m->csum_start = (uint16_t)(raw[6] | raw[7] << 8);
	m->csum_offset = (uint16_t)(raw[8] | raw[9] << 8);
	memcpy(frame, raw + VNET_LEN, n - VNET_LEN);
	return n - VNET_LEN;
}

static uint64_t total_drops(const struct stack *st)
{
	uint64_t n = 0;
	for (int r = 1; r < DROP_MAX; r++)
		n += st->drops[r];
	return n;
}

/* ---- send: partial checksums ---------------------------------------------------------- */

/* Host 1 sends "hello\n" from port 40000 to 10.0.0.2:7, as the Linux capture did. */
static size_t send_hello(struct ts_test_stack *t, uint8_t *f, size_t cap, struct netdev_meta *m)
{
	int fd = ts_socket(&t->st, AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in me = sin_of(0, 40000), to = sin_of(IP2, 7);
	ck_assert_int_eq(ts_bind(&t->st, fd, SA(me), sizeof(me)), 0);
	ck_assert_int_eq(ts_sendto(&t->st, fd, "hello\n", 6, 0, SA(to), sizeof(to)), 6);
	ck_assert_int_eq(ts_close(&t->st, fd), 0);
	ck_assert_uint_eq(capdev_sent_count(t->cap), 1);
	return capdev_take_meta(t->cap, f, cap, m);
}

/* The UDP datagram Linux left partial in its virtio_net_hdr, and ours, are the same. */
START_TEST(udp_partial_matches_linux_vnet_hdr)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(0, BOTH);
	struct netdev_meta lm, m;
	uint8_t linux_f[128], f[128];
	size_t ln = load_vnet("link/linux_udp_partial.hex", &lm, linux_f, sizeof(linux_f));

	init_host(&t, 1, &caps);
	size_t n = send_hello(&t, f, sizeof(f), &m);
	ck_assert_uint_eq(n, ln);
	ck_assert_int_eq(lm.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(m.csum_start, lm.csum_start);
	ck_assert_uint_eq(m.csum_offset, lm.csum_offset);
	ck_assert_uint_eq(m.csum_start, 34); /* 14 Ethernet + 20 IPv4 */
	ck_assert_uint_eq(m.csum_offset, 6); /* UDP's checksum field */
	ck_assert_uint_eq(m.gso_type, NETDEV_GSO_NONE);
	/* The field holds the pseudo-header sum: 10.0.0.1, 10.0.0.2, zero+17, length 14,
	 * by hand: 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0011 + 0x000e = 0x1422. */
	ck_assert_uint_eq(get_be16(f + 34 + 6), 0x1422);
	ck_assert_uint_eq(get_be16(f + 34 + 6),
			  ts_csum_pseudo_field(ts_csum_pseudo(IP1, IP2, 17, 14)));
	/* Ethernet header and the whole UDP datagram byte for byte as Linux's (the IPv4
	 * headers differ in ID and DF, which the UDP checksum does not cover). */
	ck_assert_mem_eq(f, linux_f, 14);
	ck_assert_mem_eq(f + 34, linux_f + 34, n - 34);
	ts_test_stack_free(&t);
}
END_TEST

/* Completing it gives the frame sent without offload, and Linux's complete checksum. */
START_TEST(udp_completed_equals_offload_off)
{
	struct ts_test_stack on, off;
	struct netdev_caps caps = caps_of(0, BOTH);
	struct netdev_meta lm, m_on, m_off;
	uint8_t linux_full[128], f_on[128], f_off[128];
	size_t ln = load_vnet("link/linux_udp_full.hex", &lm, linux_full, sizeof(linux_full));

	init_host(&on, 1, &caps);
	init_host(&off, 1, NULL);
	size_t n_on = send_hello(&on, f_on, sizeof(f_on), &m_on);
	size_t n_off = send_hello(&off, f_off, sizeof(f_off), &m_off);
	ck_assert_int_eq(m_off.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(n_on, n_off);
	ck_assert_int_eq(ts_csum_complete(f_on, n_on, m_on.csum_start, m_on.csum_offset), 0);
	ck_assert_mem_eq(f_on, f_off, n_off);
	ck_assert_int_eq(lm.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(get_be16(f_on + 34 + 6), 0x0bac);
	ck_assert_mem_eq(f_on + 34, linux_full + 34, ln - 34);
	ts_test_stack_free(&on);
	ts_test_stack_free(&off);
}
END_TEST

/* Host 2 connects to 10.0.0.1:8080; returns the socket, the SYN in f. */
static int send_syn(struct ts_test_stack *t, uint8_t *f, size_t cap, size_t *n,
		    struct netdev_meta *m)
{
	int fd = ts_socket(&t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in to = sin_of(IP1, 8080);
	ck_errno(ts_connect(&t->st, fd, SA(to), sizeof(to)), EINPROGRESS);
	ck_assert_uint_eq(capdev_sent_count(t->cap), 1);
	*n = capdev_take_meta(t->cap, f, cap, m);
	return fd;
}

/* A SYN: csum_start 34 and csum_offset 16 as Linux's, the pseudo-header sum in the field. */
START_TEST(tcp_syn_partial_like_linux)
{
	struct ts_test_stack on, off;
	struct netdev_caps caps = caps_of(0, BOTH);
	struct netdev_meta lm, m_on, m_off;
	uint8_t linux_f[128], f_on[128], f_off[128];
	size_t n_on, n_off;
	size_t ln = load_vnet("link/linux_syn_partial.hex", &lm, linux_f, sizeof(linux_f));

	/* Linux's own frame obeys the rule: 0x0a00+0x0001+0x0a00+0x0002+0x0006+0x0028. */
	ck_assert_uint_eq(lm.csum_start, 34);
	ck_assert_uint_eq(lm.csum_offset, 16);
	ck_assert_uint_eq(get_be16(linux_f + 34 + 16), 0x1431);
	ck_assert_uint_eq(get_be16(linux_f + 34 + 16),
			  ts_csum_pseudo_field(ts_csum_pseudo(IP1, IP2, 6, (uint16_t)(ln - 34))));

	init_host(&on, 2, &caps);
	init_host(&off, 2, NULL);
	send_syn(&on, f_on, sizeof(f_on), &n_on, &m_on);
	send_syn(&off, f_off, sizeof(f_off), &n_off, &m_off);
	ck_assert_int_eq(m_on.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(m_on.csum_start, lm.csum_start);
	ck_assert_uint_eq(m_on.csum_offset, lm.csum_offset);
	ck_assert_uint_eq(get_be16(f_on + 34 + 16),
			  ts_csum_pseudo_field(ts_csum_pseudo(IP2, IP1, 6, (uint16_t)(n_on - 34))));
	ck_assert_int_eq(m_off.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(n_on, n_off);
	ck_assert_int_eq(ts_csum_complete(f_on, n_on, m_on.csum_start, m_on.csum_offset), 0);
	ck_assert_mem_eq(f_on, f_off, n_off);
	ts_test_stack_free(&on);
	ts_test_stack_free(&off);
}
END_TEST

/*
 * An established connection (the peer's SYN-ACK has no options: MSS 536)
 * sends 999 bytes: every segment after completion equals the one sent
 * without offload.  Returns the frames' count, each in frames[i].
 */
static size_t connection_frames(const struct netdev_caps *caps, uint8_t frames[][1600],
				size_t *lens, struct netdev_meta *metas, size_t max)
{
	struct ts_test_stack t;
	uint8_t syn[128], f[128], data[999];
	size_t n, count = 0;
	struct netdev_meta m;

	init_host(&t, 2, caps);
	int fd = send_syn(&t, syn, sizeof(syn), &n, &m);
	uint32_t iss = get_be32(syn + 34 + 4);
	uint16_t port = get_be16(syn + 34);
	n = ts_tcp_frame_from_peer(f, 8080, port, 5000, iss + 1, TCP_SYN | TCP_ACK, 65535, NULL, 0,
				   NULL, 0);
	ts_test_stack_feed(&t, f, n);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	int one = 1; /* both segments now, not the second one after an ACK (Nagle) */
	ck_assert_int_eq(ts_setsockopt(&t.st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_write(&t.st, fd, data, sizeof(data)), (ssize_t)sizeof(data));
	while (capdev_sent_count(t.cap) && count < max) {
		lens[count] = capdev_take_meta(t.cap, frames[count], 1600, &metas[count]);
		count++;
	}
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
	return count;
}

START_TEST(tcp_segments_completed_equal_offload_off)
{
	static uint8_t on[8][1600], off[8][1600];
	size_t lon[8], loff[8];
	struct netdev_meta mon[8], moff[8];
	struct netdev_caps caps = caps_of(0, NETDEV_OFFLOAD_TCP4);

	size_t n_on = connection_frames(&caps, on, lon, mon, 8);
	size_t n_off = connection_frames(NULL, off, loff, moff, 8);
	ck_assert_uint_eq(n_on, n_off);
	ck_assert_uint_ge(n_on, 3); /* the ACK of the handshake, then 536 + 463 bytes */
	size_t payload = 0;
	for (size_t i = 0; i < n_on; i++) {
		ck_assert_int_eq(mon[i].csum, NETDEV_CSUM_PARTIAL);
		ck_assert_uint_eq(mon[i].csum_start, 34);
		ck_assert_uint_eq(mon[i].csum_offset, 16);
		ck_assert_int_eq(moff[i].csum, NETDEV_CSUM_NONE);
		ck_assert_int_eq(ts_csum_complete(on[i], lon[i], 34, 16), 0);
		ck_assert_uint_eq(lon[i], loff[i]);
		ck_assert_mem_eq(on[i], off[i], loff[i]);
		payload += lon[i] - 34 - (size_t)(on[i][34 + 12] >> 4) * 4;
	}
	ck_assert_uint_eq(payload, 999);
}
END_TEST

/* Only the protocols the link declared are left partial; the others are summed in full. */
START_TEST(partial_only_for_declared_protocols)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(0, NETDEV_OFFLOAD_TCP4);
	struct netdev_meta m;
	uint8_t f[128];
	size_t n;

	init_host(&t, 1, &caps);
	n = send_hello(&t, f, sizeof(f), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(get_be16(f + 34 + 6), 0x0bac);
	ts_test_stack_free(&t);

	caps = caps_of(0, NETDEV_OFFLOAD_UDP4);
	init_host(&t, 2, &caps);
	int fd = send_syn(&t, f, sizeof(f), &n, &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(
			      f + 34, n - 34, ts_csum_pseudo(IP2, IP1, 6, (uint16_t)(n - 34)))),
			  0);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* A datagram IPv4 fragments leaves as whole fragments: the link never sees the datagram. */
START_TEST(udp_fragments_carry_full_checksum)
{
	struct ts_test_stack on, off;
	struct netdev_caps caps = caps_of(0, BOTH);
	static uint8_t data[4000], f_on[4][1600], f_off[4][1600];
	struct netdev_meta m;
	size_t n_on[4], n_off[4];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 251);
	init_host(&on, 1, &caps);
	init_host(&off, 1, NULL);
	struct ts_test_stack *ts[2] = {&on, &off};
	for (int k = 0; k < 2; k++) {
		int fd = ts_socket(&ts[k]->st, AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in to = sin_of(IP2, 7);
		ck_assert_int_eq(
		    ts_sendto(&ts[k]->st, fd, data, sizeof(data), 0, SA(to), sizeof(to)),
		    (ssize_t)sizeof(data));
		ck_assert_uint_eq(capdev_sent_count(ts[k]->cap), 3);
		for (int i = 0; i < 3; i++) {
			if (k == 0)
				n_on[i] = capdev_take_meta(on.cap, f_on[i], 1600, &m);
			else
				n_off[i] = capdev_take_meta(off.cap, f_off[i], 1600, &m);
			ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
		}
		ck_assert_int_eq(ts_close(&ts[k]->st, fd), 0);
	}
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(n_on[i], n_off[i]);
		ck_assert_mem_eq(f_on[i], f_off[i], n_off[i]);
	}
	ts_test_stack_free(&on);
	ts_test_stack_free(&off);
}
END_TEST

/* ---- the checksum helper ---------------------------------------------------------------- */

START_TEST(complete_helper_bounds_and_zero)
{
	/* A range summing to 0xffff: its complement 0 is stored as 0xffff (CSUM_MANGLED_0). */
	uint8_t f[8] = {0, 0, 0xff, 0xff, 0x00, 0x00, 0, 0};
	uint16_t v;
	ck_assert_int_eq(ts_csum_complete_value(f, 6, 2, 2, &v), 0);
	ck_assert_uint_eq(v, 0xffff);
	ck_assert_int_eq(ts_csum_complete(f, 6, 2, 2), 0);
	ck_assert_uint_eq(get_be16(f + 4), 0xffff);
	/* Fields that do not lie inside the frame are refused, nothing written. */
	uint8_t before[8];
	memcpy(before, f, sizeof(f));
	ck_assert_int_eq(ts_csum_complete(f, 6, 2, 3), -EINVAL);
	ck_assert_int_eq(ts_csum_complete(f, 6, 7, 0), -EINVAL);
	ck_assert_int_eq(ts_csum_complete(f, 6, 0, SIZE_MAX - 1), -EINVAL);
	ck_assert_mem_eq(f, before, sizeof(f));
}
END_TEST

/* ---- receive: checksum state ------------------------------------------------------------ */

static struct netdev_meta meta_of(uint8_t csum, uint16_t start, uint16_t offset)
{
	struct netdev_meta m = {.csum = csum, .csum_start = start, .csum_offset = offset};
	return m;
}

static int udp_bound(struct ts_test_stack *t, uint16_t port)
{
	int fd = ts_socket(&t->st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in me = sin_of(0, port);
	ck_assert_int_eq(ts_bind(&t->st, fd, SA(me), sizeof(me)), 0);
	return fd;
}

static int tcp_listening(struct ts_test_stack *t, uint16_t port)
{
	int fd = ts_socket(&t->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in me = sin_of(0, port);
	ck_assert_int_eq(ts_bind(&t->st, fd, SA(me), sizeof(me)), 0);
	ck_assert_int_eq(ts_listen(&t->st, fd, 8), 0);
	return fd;
}

static void feed_meta(struct ts_test_stack *t, const uint8_t *f, size_t n,
		      const struct netdev_meta *m)
{
	capdev_inject_meta(t->cap, f, n, m);
	stack_poll(&t->st, t->st.now_us);
}

START_TEST(rx_verified_tcp_skips_checksum)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(BOTH, 0);
	struct netdev_meta none = meta_of(NETDEV_CSUM_NONE, 0, 0),
			   valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	uint8_t f[128];

	init_host(&t, 2, &caps);
	int lfd = tcp_listening(&t, 8080);
	size_t n =
	    ts_tcp_frame_from_peer(f, 40001, 8080, 1000, 0, TCP_SYN, 65535, NULL, 0, NULL, 0);
	f[34 + 16] ^= 0x5a; /* a wrong TCP checksum */
	feed_meta(&t, f, n, &none);
	ck_assert_uint_eq(t.st.drops[DROP_TCP_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	feed_meta(&t, f, n, &valid);
	ck_assert_uint_eq(t.st.drops[DROP_TCP_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1); /* the SYN-ACK */
	ck_assert_uint_eq(total_drops(&t.st), 1);
	ck_assert_int_eq(ts_close(&t.st, lfd), 0);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(rx_verified_udp_skips_checksum)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(BOTH, 0);
	struct netdev_meta none = meta_of(NETDEV_CSUM_NONE, 0, 0),
			   valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	uint8_t f[128], buf[64];

	init_host(&t, 2, &caps);
	int fd = udp_bound(&t, 7);
	size_t n = ts_load_hex("udp/hello_to_port7.hex", f, sizeof(f));
	f[34 + 6] ^= 0x01; /* a wrong UDP checksum */
	feed_meta(&t, f, n, &none);
	ck_assert_uint_eq(t.st.drops[DROP_UDP_BAD_CSUM], 1);
	ck_errno(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	feed_meta(&t, f, n, &valid);
	ck_assert_uint_eq(t.st.drops[DROP_UDP_BAD_CSUM], 1);
	ck_assert_int_eq(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), 6);
	ck_assert_mem_eq(buf, "hello\n", 6);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* DATA_VALID covers the transport checksum only: the IPv4 header is always summed. */
START_TEST(rx_verified_ipv4_header_still_checked)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(BOTH, 0);
	struct netdev_meta valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	uint8_t f[128], buf[64];

	init_host(&t, 2, &caps);
	int fd = udp_bound(&t, 7);
	size_t n = ts_load_hex("udp/hello_to_port7.hex", f, sizeof(f));
	f[14 + 10] ^= 0x01; /* a wrong IPv4 header checksum */
	feed_meta(&t, f, n, &valid);
	ck_assert_uint_eq(t.st.drops[DROP_IPV4_BAD_CSUM], 1);
	ck_errno(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* A link that said it validates nothing is not believed when it marks a frame. */
START_TEST(rx_verified_ignored_without_rx_caps)
{
	struct ts_test_stack t;
	struct netdev_meta valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	uint8_t f[128], buf[64];

	init_host(&t, 2, NULL);
	int fd = udp_bound(&t, 7);
	size_t n = ts_load_hex("udp/hello_to_port7.hex", f, sizeof(f));
	f[34 + 6] ^= 0x01;
	feed_meta(&t, f, n, &valid);
	ck_assert_uint_eq(t.st.drops[DROP_UDP_BAD_CSUM], 1);
	ck_errno(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Linux's own partial frames, with their virtio_net_hdr as metadata, are accepted. */
START_TEST(rx_partial_accepted)
{
	struct ts_test_stack t;
	struct netdev_meta m, none = meta_of(NETDEV_CSUM_NONE, 0, 0);
	uint8_t f[128], buf[64];

	init_host(&t, 2, NULL);
	int ufd = udp_bound(&t, 7);
	int lfd = tcp_listening(&t, 8080);
	size_t n = load_vnet("link/linux_udp_partial.hex", &m, f, sizeof(f));
	feed_meta(&t, f, n, &none); /* the field is no checksum: summed, it fails */
	ck_assert_uint_eq(t.st.drops[DROP_UDP_BAD_CSUM], 1);
	feed_meta(&t, f, n, &m);
	ck_assert_int_eq(ts_recvfrom(&t.st, ufd, buf, sizeof(buf), 0, NULL, NULL), 6);
	ck_assert_mem_eq(buf, "hello\n", 6);

	n = load_vnet("link/linux_syn_partial.hex", &m, f, sizeof(f));
	feed_meta(&t, f, n, &none);
	ck_assert_uint_eq(t.st.drops[DROP_TCP_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	feed_meta(&t, f, n, &m);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1); /* SYN-ACK */
	ck_assert_uint_eq(total_drops(&t.st), 2);
	ck_assert_int_eq(ts_close(&t.st, ufd), 0);
	ck_assert_int_eq(ts_close(&t.st, lfd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/*
 * A partial range starting before the transport header is not the
 * transport's checksum (Linux skb_csum_unnecessary: checksum start offset
 * >= 0): the segment is summed, and fails.
 */
START_TEST(rx_partial_before_transport_is_verified)
{
	struct ts_test_stack t;
	struct netdev_meta m;
	uint8_t f[128], buf[64];

	init_host(&t, 2, NULL);
	int fd = udp_bound(&t, 7);
	size_t n = load_vnet("link/linux_udp_partial.hex", &m, f, sizeof(f));
	m = meta_of(NETDEV_CSUM_PARTIAL, 14, 20 + 6);
	feed_meta(&t, f, n, &m);
	ck_assert_uint_eq(t.st.drops[DROP_UDP_BAD_CSUM], 1);
	ck_errno(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* Metadata that cannot describe its frame: LINK_BAD_META, and nothing else happens. */
START_TEST(rx_bad_meta_dropped)
{
	struct ts_test_stack t;
	struct netdev_meta m;
	uint8_t f[128], buf[64];

	init_host(&t, 2, NULL);
	int fd = udp_bound(&t, 7);
	size_t n = load_vnet("link/linux_udp_partial.hex", &m, f, sizeof(f));
	struct netdev_meta bad[] = {
	    meta_of(NETDEV_CSUM_PARTIAL, 40, 7),	  /* field ends one past the frame */
	    meta_of(NETDEV_CSUM_PARTIAL, (uint16_t)n, 0), /* start at the end */
	    meta_of(3, 0, 0),				  /* no such state */
	    {.gso_type = 2},				  /* no such GSO type */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		feed_meta(&t, f, n, &bad[i]);
	ck_assert_uint_eq(t.st.drops[DROP_LINK_BAD_META], 4);
	ck_assert_uint_eq(total_drops(&t.st), 4);
	ck_assert_uint_eq(t.st.counters[CTR_ETH_RX], 4);
	ck_errno(ts_recvfrom(&t.st, fd, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	/* The field's last octet is the frame's last: accepted. */
	m = meta_of(NETDEV_CSUM_PARTIAL, 34, (uint16_t)(n - 34 - 2));
	feed_meta(&t, f, n, &m);
	ck_assert_uint_eq(t.st.drops[DROP_LINK_BAD_META], 4);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
}
END_TEST

/* ICMP: VERIFIED skips the sum; a PARTIAL request gets a reply with a real checksum. */
START_TEST(rx_icmp_verified_and_partial)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(NETDEV_OFFLOAD_ICMP4, 0);
	struct netdev_meta m, none = meta_of(NETDEV_CSUM_NONE, 0, 0),
			      valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	uint8_t f[256], bad[256], reply[256], want[256];

	init_host(&t, 2, &caps);
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	memcpy(bad, f, n);
	bad[34 + 2] ^= 0x10;
	feed_meta(&t, bad, n, &none);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	feed_meta(&t, bad, n, &valid);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	capdev_take(t.cap, reply, sizeof(reply));

	/* The reference reply, to a whole request. */
	feed_meta(&t, f, n, &none);
	size_t wn = capdev_take_meta(t.cap, want, sizeof(want), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
	ck_assert(icmp_csum_ok(want + 34, wn - 34));

	/* A sender on this host left the request's checksum partial: ICMP has no
	 * pseudo header, so the field holds 0. */
	memcpy(bad, f, n);
	put_be16(bad + 34 + 2, 0);
	m = meta_of(NETDEV_CSUM_PARTIAL, 34, 2);
	feed_meta(&t, bad, n, &m);
	size_t rn = capdev_take_meta(t.cap, reply, sizeof(reply), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(rn, wn);
	ck_assert(icmp_csum_ok(reply + 34, rn - 34));
	ck_assert_mem_eq(reply + 34, want + 34, rn - 34);
	ck_assert_uint_eq(total_drops(&t.st), 1);
	ts_test_stack_free(&t);
}
END_TEST

/* A reply built in a received buffer leaves without the request's metadata. */
START_TEST(arp_reply_to_marked_request_is_plain)
{
	struct ts_test_stack t;
	struct netdev_meta m = meta_of(NETDEV_CSUM_PARTIAL, 14, 2), got;
	uint8_t req[64], want[64], reply[64];

	ts_test_stack_init(&t, NULL);
	size_t n = ts_arp_request_from_peer(req);
	ts_test_stack_feed(&t, req, n);
	size_t wn = capdev_take(t.cap, want, sizeof(want));
	feed_meta(&t, req, n, &m);
	size_t rn = capdev_take_meta(t.cap, reply, sizeof(reply), &got);
	ck_assert_int_eq(got.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(rn, wn);
	ck_assert_mem_eq(reply, want, wn);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- receive buffers and sizes ---------------------------------------------------------- */

/* A UDP frame from 10.0.0.1:40000 to 10.0.0.2:7 with len bytes of payload. */
static size_t udp_frame_from_peer(uint8_t *f, size_t len)
{
	memcpy(f, mac2, 6);
	memcpy(f + 6, mac1, 6);
	put_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *u = f + 34;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, IP1);
	put_be32(ip + 16, IP2);
	put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, 20, 0)));
	put_be16(u, 40000);
	put_be16(u + 2, 7);
	put_be16(u + 4, (uint16_t)(8 + len));
	put_be16(u + 6, 0);
	for (size_t i = 0; i < len; i++)
		u[8 + i] = (uint8_t)(i % 251);
	uint16_t c = ts_csum_fold(
	    ts_csum_partial(u, 8 + len, ts_csum_pseudo(IP1, IP2, 17, (uint16_t)(8 + len))));
	put_be16(u + 6, c ? c : 0xffff);
	return 34 + 8 + len;
}

/* Receives one datagram of want bytes over a link delivering frames of max_rx bytes. */
static void rx_whole_frame(uint32_t mtu, uint32_t max_rx, size_t payload)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(0, 0);
	struct ts_config cfg;
	uint8_t *f = malloc(65600), *buf = malloc(65600);
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(buf);

	caps.max_rx_frame = max_rx;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.mtu = mtu;
	ts_test_stack_init_caps(&t, &cfg, &caps);
	ck_assert_uint_eq(t.st.link.max_rx_frame, max_rx);
	int fd = udp_bound(&t, 7);
	size_t n = udp_frame_from_peer(f, payload);
	ts_test_stack_feed(&t, f, n);
	ck_assert_uint_eq(total_drops(&t.st), 0);
	ck_assert_int_eq(ts_recvfrom(&t.st, fd, buf, 65600, 0, NULL, NULL), (ssize_t)payload);
	ck_assert_mem_eq(buf, f + 42, payload);
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);
	free(f);
	free(buf);
}

START_TEST(rx_buffer_holds_jumbo_frame)
{
	rx_whole_frame(9000, 9014, 9000 - 28); /* a 9000-byte datagram in a 9014-byte frame */
}
END_TEST

/* A link delivering coalesced (GRO-sized) frames gets them whole, not cut at 9 KiB. */
START_TEST(rx_buffer_holds_gro_sized_frame)
{
	rx_whole_frame(1500, 65535 + 14, 30000);
}
END_TEST

/* The stack never sends a datagram the link cannot carry. */
START_TEST(mtu_follows_link)
{
	struct ts_test_stack t;
	struct netdev_caps caps = caps_of(0, 0);
	static uint8_t data[2000], f[1600];

	caps.mtu = 1280;
	init_host(&t, 1, &caps);
	ck_assert_uint_eq(t.st.cfg.mtu, 1280);
	int fd = ts_socket(&t.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of(IP2, 7);
	ck_assert_int_eq(ts_sendto(&t.st, fd, data, sizeof(data), 0, SA(to), sizeof(to)),
			 (ssize_t)sizeof(data));
	ck_assert_uint_eq(capdev_sent_count(t.cap), 2);
	ck_assert_uint_eq(capdev_take(t.cap, f, sizeof(f)), 14 + 20 + 1256); /* (1280-20)&~7 */
	ck_assert_int_eq(ts_close(&t.st, fd), 0);
	ts_test_stack_free(&t);

	caps = caps_of(0, 0);
	caps.max_tx_frame = 1014;
	init_host(&t, 1, &caps);
	ck_assert_uint_eq(t.st.cfg.mtu, 1000);
	ts_test_stack_free(&t);
}
END_TEST

/* ---- wrappers ----------------------------------------------------------------------------- */

/* A stack (host 1) over dev, which owns a capdev c; torn down by netdev_destroy(dev). */
static void stack_over(struct stack *st, struct netdev *dev)
{
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.ip = IP1;
	memcpy(cfg.mac, mac1, 6);
	ck_assert_int_eq(stack_init(st, &cfg, dev, 1000000), 0);
	struct sockaddr_in peer = sin_of(IP2, 0);
	ck_assert_int_eq(ts_neigh_add(st, SA(peer), sizeof(peer), mac2, 0), 0);
}

/* The capture shows the checksum the wire carries; the link still gets it partial. */
START_TEST(pcap_tee_writes_completed_checksum)
{
	struct capdev *c = capdev_new();
	struct netdev_caps caps = caps_of(0, BOTH);
	struct netdev_meta m;
	struct stack st;
	char path[] = "/tmp/link_test_XXXXXX", err[256];
	uint8_t f[128], got[128];

	capdev_set_caps(c, &caps);
	int tmp = mkstemp(path);
	ck_assert_int_ge(tmp, 0);
	close(tmp);
	struct netdev *tee = pcap_tee_wrap(capdev_netdev(c), path, err, sizeof(err));
	ck_assert_ptr_nonnull(tee);
	stack_over(&st, tee);
	int fd = ts_socket(&st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = sin_of(0, 40000), to = sin_of(IP2, 7);
	ck_assert_int_eq(ts_bind(&st, fd, SA(me), sizeof(me)), 0);
	ck_assert_int_eq(ts_sendto(&st, fd, "hello\n", 6, 0, SA(to), sizeof(to)), 6);
	size_t n = capdev_take_meta(c, f, sizeof(f), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(get_be16(f + 34 + 6), 0x1422);
	stack_destroy(&st);
	netdev_destroy(tee); /* flushes and closes the file, frees the capdev */

	struct netdev *r = pcap_replay_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(netdev_recv(r, got, sizeof(got), 0), (ssize_t)n);
	ck_assert_int_eq(ts_csum_complete(f, n, 34, 6), 0);
	ck_assert_mem_eq(got, f, n);
	ck_assert_uint_eq(get_be16(got + 34 + 6), 0x0bac);
	netdev_destroy(r);
	unlink(path);
}
END_TEST

/* The tracer describes the completed frame and says the checksum was left partial. */
START_TEST(trace_line_of_partial_frame)
{
	struct capdev *c = capdev_new();
	struct netdev_caps caps = caps_of(0, BOTH);
	struct stack st;
	char *out = NULL, want[512];
	size_t outlen = 0;
	uint8_t f[128];
	struct netdev_meta m;

	capdev_set_caps(c, &caps);
	FILE *mem = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(mem);
	struct netdev *tr = trace_wrap(capdev_netdev(c), mem);
	stack_over(&st, tr);
	int fd = ts_socket(&st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in me = sin_of(0, 40000), to = sin_of(IP2, 7);
	ck_assert_int_eq(ts_bind(&st, fd, SA(me), sizeof(me)), 0);
	ck_assert_int_eq(ts_sendto(&st, fd, "hello\n", 6, 0, SA(to), sizeof(to)), 6);
	size_t n = capdev_take_meta(c, f, sizeof(f), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_PARTIAL);
	stack_destroy(&st);
	netdev_destroy(tr);
	fclose(mem);
	ck_assert_int_eq(ts_csum_complete(f, n, 34, 6), 0);
	char line[400];
	trace_describe(f, n, line, sizeof(line));
	snprintf(want, sizeof(want), "tx %s csum=partial\n", line);
	ck_assert_str_eq(out, want);
	free(out);

	/* An ICMP message its sender left partial (the field 0: no pseudo header) is
	 * described with its checksum completed: no "bad-csum". */
	c = capdev_new();
	caps = caps_of(0, NETDEV_OFFLOAD_ICMP4);
	capdev_set_caps(c, &caps);
	mem = open_memstream(&out, &outlen);
	tr = trace_wrap(capdev_netdev(c), mem);
	uint8_t ping[128];
	n = ts_load_hex("icmp/echo_request.hex", ping, sizeof(ping));
	trace_describe(ping, n, line, sizeof(line));
	snprintf(want, sizeof(want), "tx %s csum=partial\n", line);
	put_be16(ping + 34 + 2, 0);
	m = (struct netdev_meta){.csum = NETDEV_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 2};
	ck_assert_int_eq(netdev_send_meta(tr, ping, n, &m, 0), 0);
	netdev_destroy(tr);
	fclose(mem);
	ck_assert_ptr_null(strstr(out, "bad-csum"));
	ck_assert_str_eq(out, want);
	free(out);
}
END_TEST

/* A lower device marking every frame: VERIFIED hello datagrams, or Linux's partial one. */
static struct netdev *faults_over_marked_frames(struct capdev **cp, uint32_t corrupt_ppm,
						unsigned dirs, uint8_t *hello, size_t *hn,
						uint8_t *partial, size_t *pn,
						struct netdev_meta *pm)
{
	struct capdev *c = capdev_new();
	struct netdev_caps caps = caps_of(BOTH, BOTH);
	struct netdev_meta valid = meta_of(NETDEV_CSUM_VERIFIED, 0, 0);
	struct fault_spec spec = {.corrupt_ppm = corrupt_ppm, .seed = 3};

	capdev_set_caps(c, &caps);
	*hn = ts_load_hex("udp/hello_to_port7.hex", hello, 128);
	*pn = load_vnet("link/linux_udp_partial.hex", pm, partial, 128);
	for (int i = 0; i < 100; i++) {
		capdev_inject_meta(c, hello, *hn, &valid);
		capdev_inject_meta(c, partial, *pn, pm);
	}
	*cp = c;
	struct netdev *fd = faults_wrap_dirs(capdev_netdev(c), &spec, dirs);
	ck_assert_ptr_nonnull(fd);
	return fd;
}

/* Bits in which a and b differ. */
static unsigned bit_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned d = 0;
	for (size_t i = 0; i < n; i++)
		d += (unsigned)__builtin_popcount((unsigned)(a[i] ^ b[i]));
	return d;
}

/* Corruption on receive: no corrupted frame goes up VERIFIED, nor PARTIAL. */
START_TEST(faults_corrupt_rx_never_verified)
{
	struct capdev *c;
	uint8_t hello[128], partial[128], completed[128], got[128];
	size_t hn, pn;
	struct netdev_meta pm, m;

	struct netdev *fd =
	    faults_over_marked_frames(&c, 1000000, FAULTS_RX, hello, &hn, partial, &pn, &pm);
	memcpy(completed, partial, pn);
	ck_assert_int_eq(ts_csum_complete(completed, pn, pm.csum_start, pm.csum_offset), 0);
	for (int i = 0; i < 200; i++) {
		ssize_t n = netdev_recv_meta(fd, got, sizeof(got), &m, 0);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
		/* One bit flipped in what the wire would have carried. */
		const uint8_t *orig = i % 2 ? completed : hello;
		ck_assert_uint_eq(bit_diff(got, orig, (size_t)n), 1);
	}
	struct fault_stats rx;
	faults_get_stats(fd, NULL, &rx);
	ck_assert_uint_eq(rx.corrupted, 200);
	netdev_destroy(fd);

	/* Without corruption the marks pass unchanged. */
	fd = faults_over_marked_frames(&c, 0, FAULTS_RX, hello, &hn, partial, &pn, &pm);
	for (int i = 0; i < 200; i++) {
		ssize_t n = netdev_recv_meta(fd, got, sizeof(got), &m, 0);
		ck_assert_int_eq(m.csum, i % 2 ? NETDEV_CSUM_PARTIAL : NETDEV_CSUM_VERIFIED);
		ck_assert_mem_eq(got, i % 2 ? partial : hello, (size_t)n);
	}
	netdev_destroy(fd);
}
END_TEST

/* A stack behind corrupting faults drops every VERIFIED frame the lower device marked. */
START_TEST(faults_corrupted_verified_frames_dropped_by_stack)
{
	struct capdev *c;
	uint8_t hello[128], partial[128], buf[64];
	size_t hn, pn;
	struct netdev_meta pm;
	struct stack st;
	struct ts_config cfg;

	struct netdev *fd =
	    faults_over_marked_frames(&c, 1000000, FAULTS_RX, hello, &hn, partial, &pn, &pm);
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	ck_assert_int_eq(stack_init(&st, &cfg, fd, 1000000), 0);
	int s = ts_socket(&st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in me = sin_of(0, 7);
	ck_assert_int_eq(ts_bind(&st, s, SA(me), sizeof(me)), 0);
	for (int i = 0; i < 10; i++)
		stack_poll(&st, st.now_us);
	ck_errno(ts_recvfrom(&st, s, buf, sizeof(buf), 0, NULL, NULL), EAGAIN);
	ck_assert_uint_eq(st.counters[CTR_ETH_RX], 200);
	ck_assert_uint_eq(total_drops(&st), 200);
	stack_destroy(&st);
	ck_assert_int_eq(st.bufs_live, 0);
	netdev_destroy(fd);
}
END_TEST

/* Corruption on send: the partial checksum is completed before the bit flips. */
START_TEST(faults_corrupt_tx_completes_partial)
{
	struct capdev *c;
	uint8_t hello[128], partial[128], completed[128], got[128];
	size_t hn, pn;
	struct netdev_meta pm, m;
	struct netdev_caps caps;

	struct netdev *fd =
	    faults_over_marked_frames(&c, 1000000, FAULTS_TX, hello, &hn, partial, &pn, &pm);
	netdev_caps(fd, &caps);
	ck_assert_uint_eq(caps.tx_csum, BOTH);
	memcpy(completed, partial, pn);
	ck_assert_int_eq(ts_csum_complete(completed, pn, pm.csum_start, pm.csum_offset), 0);
	ck_assert_int_eq(netdev_send_meta(fd, partial, pn, &pm, 0), 0);
	size_t n = capdev_take_meta(c, got, sizeof(got), &m);
	ck_assert_uint_eq(n, pn);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_NONE);
	ck_assert_uint_eq(bit_diff(got, completed, n), 1);
	netdev_destroy(fd);

	/* Without corruption it reaches the device partial, for the device to complete. */
	fd = faults_over_marked_frames(&c, 0, FAULTS_TX, hello, &hn, partial, &pn, &pm);
	ck_assert_int_eq(netdev_send_meta(fd, partial, pn, &pm, 0), 0);
	n = capdev_take_meta(c, got, sizeof(got), &m);
	ck_assert_int_eq(m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_mem_eq(got, partial, n);
	netdev_destroy(fd);
}
END_TEST

/* Faults act on wire frames: no TSO through a wrapper that impairs what is sent. */
START_TEST(faults_caps_no_tso_on_tx)
{
	struct capdev *c = capdev_new();
	struct netdev_caps caps = caps_of(BOTH, BOTH), got;
	struct fault_spec spec = {.loss_ppm = 10000};

	caps.tso_types = 1u << NETDEV_GSO_TCPV4;
	caps.tso_max_size = 65536;
	capdev_set_caps(c, &caps);
	struct netdev *rx_only = faults_wrap_dirs(capdev_netdev(c), &spec, FAULTS_RX);
	netdev_caps(rx_only, &got);
	ck_assert_mem_eq(&got, &caps, sizeof(caps));
	struct netdev *both = faults_wrap(rx_only, &spec);
	netdev_caps(both, &got);
	ck_assert_uint_eq(got.tso_types, 0);
	ck_assert_uint_eq(got.tso_max_size, 0);
	ck_assert_uint_eq(got.tx_csum, BOTH);
	ck_assert_uint_eq(got.rx_csum, BOTH);
	struct netdev_meta gso = {.gso_type = NETDEV_GSO_TCPV4, .gso_size = 1448};
	uint8_t f[64] = {0};
	ck_assert_int_eq(netdev_send_meta(both, f, sizeof(f), &gso, 0), -EINVAL);
	netdev_destroy(both);
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("link");
	TCase *tx = tcase_create("send");
	tcase_add_test(tx, udp_partial_matches_linux_vnet_hdr);
	tcase_add_test(tx, udp_completed_equals_offload_off);
	tcase_add_test(tx, tcp_syn_partial_like_linux);
	tcase_add_test(tx, tcp_segments_completed_equal_offload_off);
	tcase_add_test(tx, partial_only_for_declared_protocols);
	tcase_add_test(tx, udp_fragments_carry_full_checksum);
	tcase_add_test(tx, complete_helper_bounds_and_zero);
	suite_add_tcase(s, tx);
	TCase *rx = tcase_create("receive");
	tcase_add_test(rx, rx_verified_tcp_skips_checksum);
	tcase_add_test(rx, rx_verified_udp_skips_checksum);
	tcase_add_test(rx, rx_verified_ipv4_header_still_checked);
	tcase_add_test(rx, rx_verified_ignored_without_rx_caps);
	tcase_add_test(rx, rx_partial_accepted);
	tcase_add_test(rx, rx_partial_before_transport_is_verified);
	tcase_add_test(rx, rx_bad_meta_dropped);
	tcase_add_test(rx, rx_icmp_verified_and_partial);
	tcase_add_test(rx, arp_reply_to_marked_request_is_plain);
	suite_add_tcase(s, rx);
	TCase *sz = tcase_create("sizes");
	tcase_add_test(sz, rx_buffer_holds_jumbo_frame);
	tcase_add_test(sz, rx_buffer_holds_gro_sized_frame);
	tcase_add_test(sz, mtu_follows_link);
	suite_add_tcase(s, sz);
	TCase *w = tcase_create("wrappers");
	tcase_add_test(w, pcap_tee_writes_completed_checksum);
	tcase_add_test(w, trace_line_of_partial_frame);
	tcase_add_test(w, faults_corrupt_rx_never_verified);
	tcase_add_test(w, faults_corrupted_verified_frames_dropped_by_stack);
	tcase_add_test(w, faults_corrupt_tx_completes_partial);
	tcase_add_test(w, faults_caps_no_tso_on_tx);
	suite_add_tcase(s, w);
	return s;
}
TS_SUITE(link_suite)
