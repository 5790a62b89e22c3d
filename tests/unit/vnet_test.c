/*
 * vnet_test.c - the virtio_net_hdr view of tap/tap.c against Linux's own
 * headers, read from a TAP with IFF_VNET_HDR (tests/frames/link/): each
 * golden header parses to the metadata it describes, and building a
 * header from that metadata and the frame gives back Linux's 10 octets
 * (hdr_len included for GSO).  A super-segment tapstack builds gets the
 * header Linux gives its own of the same shape.
 */
#include <string.h>

#include "tsunit.h"
#include "byteorder.h"
#include "tap.h"

/* hdr_len, octets 2-3 of the header, little-endian. */
static uint16_t get_le16_hdr_len(const uint8_t *h)
{
	return (uint16_t)(h[2] | h[3] << 8);
}

struct golden {
	uint8_t raw[4096];
	size_t len;	      /* header + frame */
	const uint8_t *f;     /* the frame */
	size_t flen;	      /* its length */
	struct netdev_meta m; /* parsed header */
};

static void load(struct golden *g, const char *path)
{
	g->len = ts_load_hex(path, g->raw, sizeof(g->raw));
	ck_assert_uint_gt(g->len, TAP_VNET_HDR_LEN + 14);
	g->f = g->raw + TAP_VNET_HDR_LEN;
	g->flen = g->len - TAP_VNET_HDR_LEN;
	tap_vnet_hdr_parse(g->raw, &g->m);
}

/* Building the header again from the parsed metadata gives Linux's octets. */
static void rebuilds_same(const struct golden *g)
{
	uint8_t h[TAP_VNET_HDR_LEN];
	ck_assert_int_eq(tap_vnet_hdr_build(&g->m, g->f, g->flen, h), 0);
	ck_assert_mem_eq(h, g->raw, TAP_VNET_HDR_LEN);
}

START_TEST(udp_partial)
{
	struct golden g;
	load(&g, "link/linux_udp_partial.hex");
	ck_assert_uint_eq(g.m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(g.m.csum_start, 34);
	ck_assert_uint_eq(g.m.csum_offset, 6);
	ck_assert_uint_eq(g.m.gso_type, NETDEV_GSO_NONE);
	ck_assert_uint_eq(netdev_partial_proto(g.f, g.flen, &g.m), NETDEV_OFFLOAD_UDP4);
	rebuilds_same(&g);
}
END_TEST

START_TEST(udp_full_is_plain)
{
	struct golden g;
	load(&g, "link/linux_udp_full.hex");
	ck_assert(netdev_meta_is_plain(&g.m));
	ck_assert_uint_eq(g.m.csum, NETDEV_CSUM_NONE);
	rebuilds_same(&g);
}
END_TEST

START_TEST(tcp_syn_partial)
{
	struct golden g;
	load(&g, "link/linux_syn_partial.hex");
	ck_assert_uint_eq(g.m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(g.m.csum_start, 34);
	ck_assert_uint_eq(g.m.csum_offset, 16);
	ck_assert_uint_eq(netdev_partial_proto(g.f, g.flen, &g.m), NETDEV_OFFLOAD_TCP4);
	rebuilds_same(&g);
}
END_TEST

/* Linux's GSO frame: TCPV4, gso_size 1460, hdr_len 54 = every header, checksum partial. */
START_TEST(tcp_gso_super_frame)
{
	struct golden g;
	load(&g, "link/linux_tcp_gso.hex");
	ck_assert_uint_eq(g.flen, 2054);
	ck_assert_uint_eq(g.m.csum, NETDEV_CSUM_PARTIAL);
	ck_assert_uint_eq(g.m.gso_type, NETDEV_GSO_TCPV4);
	ck_assert_uint_eq(g.m.gso_size, 1460);
	ck_assert_uint_eq(g.m.csum_start, 34);
	ck_assert_uint_eq(g.m.csum_offset, 16);
	ck_assert_uint_eq(get_le16_hdr_len(g.raw), 54);
	rebuilds_same(&g);
	/* The IPv4 length covers the whole super-segment. */
	ck_assert_uint_eq(get_be16(g.f + 14 + 2), g.flen - 14);
}
END_TEST

/* DATA_VALID: validated by the kernel; an unknown GSO type (ECN bit) is passed on for the stack to
 * refuse. */
START_TEST(data_valid_and_ecn)
{
	const uint8_t valid[TAP_VNET_HDR_LEN] = {2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	struct netdev_meta m;
	tap_vnet_hdr_parse(valid, &m);
	ck_assert_uint_eq(m.csum, NETDEV_CSUM_VERIFIED);
	ck_assert_uint_eq(m.gso_type, NETDEV_GSO_NONE);
	const uint8_t ecn[TAP_VNET_HDR_LEN] = {1, 0x81, 54, 0, 0xb4, 5, 34, 0, 16, 0};
	tap_vnet_hdr_parse(ecn, &m);
	ck_assert_uint_eq(m.gso_type, 0x81);
	ck_assert_uint_eq(m.gso_size, 1460);
}
END_TEST

/* A GSO frame must leave its checksum partial and hold its headers; else no header is built. */
START_TEST(build_refuses_what_the_kernel_would)
{
	struct golden g;
	load(&g, "link/linux_tcp_gso.hex");
	uint8_t h[TAP_VNET_HDR_LEN];
	struct netdev_meta m = g.m;
	m.csum = NETDEV_CSUM_NONE;
	ck_assert_int_eq(tap_vnet_hdr_build(&m, g.f, g.flen, h), -EINVAL);
	m = g.m;
	ck_assert_int_eq(tap_vnet_hdr_build(&m, g.f, 40, h), -EINVAL); /* TCP header cut */
	m.csum_start = (uint16_t)(g.flen - 10);
	ck_assert_int_eq(tap_vnet_hdr_build(&m, g.f, g.flen, h), -EINVAL);
}
END_TEST

static Suite *vnet_suite(void)
{
	Suite *s = suite_create("vnet");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, udp_partial);
	tcase_add_test(tc, udp_full_is_plain);
	tcase_add_test(tc, tcp_syn_partial);
	tcase_add_test(tc, tcp_gso_super_frame);
	tcase_add_test(tc, data_valid_and_ecn);
	tcase_add_test(tc, build_refuses_what_the_kernel_would);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(vnet_suite)
