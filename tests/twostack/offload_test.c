/*
 * offload_test.c - offloads between two whole stacks (stack/netdev.h).
 *
 * Checksums: stack a's wire end completes TCP and UDP checksums, as a NIC
 * (or the kernel behind a TAP) would, so a leaves them partial; stack b
 * has no offload and computes every checksum itself.  Both verify what
 * they receive in full.  Transfers are byte-exact both ways, on a perfect
 * wire and under seeded loss and corruption (a corrupted frame whose
 * checksum a left partial is completed before the bit flips, so b's
 * checksum check catches it, as it would on a real wire).
 *
 * TSO: a's end also cuts super-segments (wire_set_offload), so a sends
 * runs of full-sized segments as one frame of up to 64 KiB; b receives
 * them cut into MSS-sized segments, or whole when its end declares GRO.
 * Byte-exact both ways, with loss and reordering applied to the segments
 * (faults on the receiving side, after the cut), and the same transfer
 * with TSO off moves the same bytes in more frames.
 */
#include <errno.h>
#include <string.h>

#include "twostack.h"
#include "tapstack.h"
#include "wire.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SEC  1000000ull
#define BOTH (NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4)

static struct sockaddr_in sin_of(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(ip);
	return sa;
}

/* Byte i of the stream a side sends: period 65521 (prime), so shifted segments show. */
static uint8_t stream_byte(uint8_t seed, uint64_t i)
{
	uint64_t k = i % 65521u;
	return (uint8_t)(k * 31u + (k >> 7) + seed);
}

struct side {
	struct stack *st;
	int fd;
	uint8_t seed, peer_seed; /* what it sends, what it expects */
	uint64_t total, sent, rcvd;
	bool shut, eof, bad;
};

static void pump(struct side *s)
{
	uint8_t buf[16384];
	while (s->sent < s->total) {
		size_t n = s->total - s->sent < sizeof(buf) ? s->total - s->sent : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = stream_byte(s->seed, s->sent + i);
		ssize_t w = ts_write(s->st, s->fd, buf, n);
		if (w < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		s->sent += (uint64_t)w;
	}
	if (s->sent == s->total && !s->shut) {
		ck_assert_int_eq(ts_shutdown(s->st, s->fd, SHUT_WR), 0);
		s->shut = true;
	}
	while (!s->eof) {
		ssize_t r = ts_read(s->st, s->fd, buf, sizeof(buf));
		if (r < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			break;
		}
		if (r == 0)
			s->eof = true;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != stream_byte(s->peer_seed, s->rcvd + (uint64_t)i))
				s->bad = true;
		s->rcvd += (uint64_t)r;
	}
}

struct xfer {
	int lfd;
	struct side s[2];
	bool connected;
};

static bool xfer_step(struct twostack *t, void *p)
{
	struct xfer *x = p;
	if (!x->connected) {
		int fd = ts_accept4(&t->b, x->lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0) {
			ck_assert_int_eq(errno, EAGAIN);
			return false;
		}
		x->s[1].fd = fd;
		x->connected = true;
	}
	pump(&x->s[0]);
	pump(&x->s[1]);
	return x->s[0].eof && x->s[1].eof;
}

/* [fd00::last]:port, or [::]:port for last 0 (twostack: a is fd00::1, b fd00::2). */
static struct sockaddr_in6 sin6_of(uint8_t last, uint16_t port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	if (last) {
		a.sin6_addr.s6_addr[0] = 0xfd;
		a.sin6_addr.s6_addr[15] = last;
	}
	return a;
}

/*
 * bytes each way between a and b over af (AF_INET or AF_INET6) on a
 * twostack already set up; leaves it open.
 */
static void transfer_on_af(struct twostack *t, int af, uint64_t bytes, uint64_t max_us)
{
	struct xfer x = {.lfd = ts_socket(&t->b, af, SOCK_STREAM | SOCK_NONBLOCK, 0)};
	struct sockaddr_in any = sin_of(0, 9000), to = sin_of(IP_B, 9000);
	struct sockaddr_in6 any6 = sin6_of(0, 9000), to6 = sin6_of(2, 9000);
	bool v6 = af == AF_INET6;
	const struct sockaddr *la = v6 ? (struct sockaddr *)&any6 : (struct sockaddr *)&any;
	const struct sockaddr *ra = v6 ? (struct sockaddr *)&to6 : (struct sockaddr *)&to;
	socklen_t alen = v6 ? sizeof(any6) : sizeof(any);
	ck_assert_int_eq(ts_bind(&t->b, x.lfd, la, alen), 0);
	ck_assert_int_eq(ts_listen(&t->b, x.lfd, 4), 0);
	int afd = ts_socket(&t->a, af, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_eq(ts_connect(&t->a, afd, ra, alen), -1);
	ck_assert_int_eq(errno, EINPROGRESS);
	x.s[0] = (struct side){.st = &t->a, .fd = afd, .seed = 1, .peer_seed = 2, .total = bytes};
	x.s[1] = (struct side){.st = &t->b, .fd = -1, .seed = 2, .peer_seed = 1, .total = bytes};
	twostack_assert(t, twostack_run_until(t, xfer_step, &x, max_us));
	twostack_assert(t, !x.s[0].bad && !x.s[1].bad);
	twostack_assert(t, x.s[0].rcvd == bytes && x.s[1].rcvd == bytes);
	ck_assert_int_eq(ts_close(&t->a, afd), 0);
	ck_assert_int_eq(ts_close(&t->b, x.s[1].fd), 0);
	ck_assert_int_eq(ts_close(&t->b, x.lfd), 0);
}

static void transfer_on(struct twostack *t, uint64_t bytes, uint64_t max_us)
{
	transfer_on_af(t, AF_INET, bytes, max_us);
}

/* bytes each way between a (checksum offload) and b (none); returns the run's twostack, still open.
 */
static void transfer(struct twostack *t, const struct fault_spec *spec, uint64_t bytes,
		     uint64_t max_us)
{
	twostack_init_offload(t, spec, NULL, BOTH, 0);
	ck_assert_uint_eq(t->a.link.tx_csum, BOTH);
	ck_assert_uint_eq(t->b.link.tx_csum, 0);
	transfer_on(t, bytes, max_us);
}

START_TEST(tcp_byte_exact_offload_on_one_side)
{
	struct twostack t;
	transfer(&t, NULL, 2u << 20, 60 * SEC);
	/* Every TCP segment a sent was left partial and completed by its wire end
	 * (at least the 2 MiB of data in MSS-sized segments); b computed its own. */
	ck_assert_uint_ge(wire_csum_completed(t.wire_a), (2u << 20) / 1448);
	ck_assert_uint_eq(wire_csum_completed(t.wire_b), 0);
	ck_assert_uint_eq(t.a.drops[DROP_TCP_BAD_CSUM], 0);
	ck_assert_uint_eq(t.b.drops[DROP_TCP_BAD_CSUM], 0);
	twostack_free(&t);
}
END_TEST

/* Corruption after a left the checksum partial is still caught by b's checksum check. */
START_TEST(tcp_byte_exact_offload_with_loss_and_corruption)
{
	struct twostack t;
	struct fault_spec f = {
	    .loss_ppm = 20000, .corrupt_ppm = 20000, .dup_ppm = 10000, .seed = 8};
	transfer(&t, &f, 1u << 20, 600 * SEC);
	ck_assert_uint_gt(wire_csum_completed(t.wire_a), 0);
	struct fault_stats tx;
	faults_get_stats(t.da, &tx, NULL);
	ck_assert_uint_gt(tx.corrupted, 0);
	/* Every frame a's wrapper corrupted died at b under a checksum (or, for a bit in
	 * a length or version field, another IPv4/TCP reason): none got through, the
	 * transfer is byte-exact above. */
	uint64_t caught = t.b.drops[DROP_TCP_BAD_CSUM] + t.b.drops[DROP_IPV4_BAD_CSUM];
	ck_assert_uint_gt(caught, 0);
	twostack_free(&t);
}
END_TEST

/* UDP: datagrams a leaves partial (and one IPv4 must fragment) arrive whole at b. */
START_TEST(udp_datagrams_offload_on_one_side)
{
	struct twostack t;
	static uint8_t out[4000], in[4000];
	twostack_init_offload(&t, NULL, NULL, BOTH, 0);
	int bfd = ts_socket(&t.b, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int afd = ts_socket(&t.a, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in any = sin_of(0, 5000), to = sin_of(IP_B, 5000);
	ck_assert_int_eq(ts_bind(&t.b, bfd, (struct sockaddr *)&any, sizeof(any)), 0);
	static const size_t sizes[] = {1, 6, 999, 1472, 4000};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (size_t i = 0; i < sizes[k]; i++)
			out[i] = stream_byte((uint8_t)k, i);
		ck_assert_int_eq(
		    ts_sendto(&t.a, afd, out, sizes[k], 0, (struct sockaddr *)&to, sizeof(to)),
		    (ssize_t)sizes[k]);
		twostack_advance(&t, SEC / 10);
		ck_assert_int_eq(ts_recvfrom(&t.b, bfd, in, sizeof(in), 0, NULL, NULL),
				 (ssize_t)sizes[k]);
		ck_assert_mem_eq(in, out, sizes[k]);
	}
	/* Four datagrams fit one frame and were completed by the wire end (the first
	 * also waited for ARP); the 4000-byte one left as three whole fragments. */
	ck_assert_uint_eq(wire_csum_completed(t.wire_a), 4);
	ck_assert_uint_eq(t.b.drops[DROP_UDP_BAD_CSUM], 0);
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	twostack_free(&t);
}
END_TEST

/* a: checksum offload and TSO; b: per gro, nothing else.  faults act where they arrive. */
static void tso_setup(struct twostack *t, const struct fault_spec *spec, bool b_gro)
{
	struct twostack_wire w = {
	    .a = {.tx_csum = BOTH, .tso = true}, .b = {.gro = b_gro}, .fault_dirs = FAULTS_RX};
	twostack_init_wire(t, spec, NULL, &w);
	ck_assert_uint_eq(t->a.link.tso_types, 1u << NETDEV_GSO_TCPV4);
	ck_assert_uint_eq(t->b.link.tso_types, 0);
}

/*
 * TSO, cut by the wire: a's data leaves in super-segments (several MSS
 * each on average, since a receive batch of ACKs opens the window for a
 * run), b gets only MSS-sized segments and reads every byte in order; b's
 * data, sent without TSO, one segment a frame.
 */
START_TEST(tso_super_segments_cut_by_the_wire)
{
	struct twostack t;
	const uint64_t bytes = 4u << 20;
	tso_setup(&t, NULL, false);
	transfer_on(&t, bytes, 60 * SEC);
	uint64_t frames, segs, b_frames;
	wire_gso_stats(t.wire_a, &frames, &segs);
	wire_gso_stats(t.wire_b, &b_frames, NULL);
	ck_assert_uint_gt(frames, 0);
	ck_assert_uint_ge(segs, 4 * frames);	   /* more than a token batch */
	ck_assert_uint_ge(segs, bytes / 1448 / 2); /* most of a's data went by TSO */
	ck_assert_uint_eq(b_frames, 0);
	/* Segments count as sent one by one (netstat's OutSegs counts them so too). */
	ck_assert_uint_ge(t.a.counters[CTR_TCP_TX], bytes / 1448);
	/* b took each of them as a segment of its own. */
	ck_assert_uint_ge(t.b.counters[CTR_TCP_RX], bytes / 1448);
	ck_assert_uint_eq(t.b.drops[DROP_TCP_BAD_CSUM] + t.b.drops[DROP_IPV4_BAD_CSUM], 0);
	twostack_free(&t);
}
END_TEST

/* TSO to a GRO receiver: the super-segments arrive whole, one segment each for b's TCP. */
START_TEST(tso_super_segments_whole_to_gro)
{
	struct twostack t;
	const uint64_t bytes = 4u << 20;
	tso_setup(&t, NULL, true);
	ck_assert_uint_eq(t.b.link.max_rx_frame, TS_BUF_BIG_FRAME);
	transfer_on(&t, bytes, 60 * SEC);
	uint64_t frames, segs;
	wire_gso_stats(t.wire_a, &frames, &segs);
	ck_assert_uint_gt(frames, 0);
	/* b received clearly fewer segments than the MSS-sized ones a's data
	 * makes (its ACK for every second segment, RFC 1122 §4.2.3.2, clocks
	 * a's runs at about two segments once the window is open). */
	ck_assert_uint_lt(t.b.counters[CTR_TCP_RX], bytes / 1448 * 3 / 4);
	twostack_free(&t);
}
END_TEST

/*
 * Loss, duplication and reordering of the cut segments: recovery resends
 * holes one segment at a time (tcp_out.c), and the stream stays exact.
 */
START_TEST(tso_byte_exact_with_loss_and_reordering)
{
	struct twostack t;
	struct fault_spec f = {
	    .loss_ppm = 20000, .dup_ppm = 10000, .reorder_ppm = 20000, .seed = 5};
	tso_setup(&t, &f, false);
	transfer_on(&t, 2u << 20, 600 * SEC);
	uint64_t frames;
	wire_gso_stats(t.wire_a, &frames, NULL);
	ck_assert_uint_gt(frames, 0);
	ck_assert_uint_gt(t.a.counters[CTR_TCP_RETRANS], 0);
	twostack_free(&t);
}
END_TEST

/* The same transfer with TSO off: the same bytes, and no super-segment. */
START_TEST(tso_off_same_bytes_more_frames)
{
	struct twostack t;
	struct twostack_wire w = {.a = {.tx_csum = BOTH}};
	twostack_init_wire(&t, NULL, NULL, &w);
	ck_assert_uint_eq(t.a.link.tso_types, 0);
	transfer_on(&t, 1u << 20, 60 * SEC);
	uint64_t frames;
	wire_gso_stats(t.wire_a, &frames, NULL);
	ck_assert_uint_eq(frames, 0);
	twostack_free(&t);
}
END_TEST

/* ---- IPv6 (issue #11's TUN_F_TSO6): the same offloads, both ways ---- */

#define ALL6 (BOTH | NETDEV_OFFLOAD_TCP6 | NETDEV_OFFLOAD_UDP6)
#define TSO46 (1u << NETDEV_GSO_TCPV4 | 1u << NETDEV_GSO_TCPV6)

/* Both ends: checksum offload of both families and TSO, GRO per gro; faults where frames arrive. */
static void tso6_setup(struct twostack *t, const struct fault_spec *spec, bool gro)
{
	struct twostack_wire w = {.a = {.tx_csum = ALL6, .tso = true, .gro = gro},
				  .b = {.tx_csum = ALL6, .tso = true, .gro = gro},
				  .fault_dirs = FAULTS_RX};
	twostack_init_wire(t, spec, NULL, &w);
	ck_assert_uint_eq(t->a.link.tso_types, TSO46);
	ck_assert_uint_eq(t->b.link.tso_types, TSO46);
	ck_assert_uint_eq(t->a.link.tx_csum, ALL6);
}

/* No IPv6 TCP frame died under a checksum on either side. */
static void no_bad_csum(const struct twostack *t)
{
	ck_assert_uint_eq(t->a.drops[DROP_TCP_BAD_CSUM], 0);
	ck_assert_uint_eq(t->b.drops[DROP_TCP_BAD_CSUM], 0);
}

/*
 * TCP over IPv6 with TSO both ways, cut by the wire: both sides send
 * super-segments (TCPV6), both receive MSS-sized segments with every
 * checksum right, the streams byte-exact.
 */
START_TEST(tso6_both_ways_cut_by_the_wire)
{
	struct twostack t;
	const uint64_t bytes = 4u << 20;
	tso6_setup(&t, NULL, false);
	transfer_on_af(&t, AF_INET6, bytes, 60 * SEC);
	uint64_t fa, sa, fb, sb;
	wire_gso_stats(t.wire_a, &fa, &sa);
	wire_gso_stats(t.wire_b, &fb, &sb);
	ck_assert_uint_gt(fa, 0);
	ck_assert_uint_gt(fb, 0);
	ck_assert_uint_ge(sa, bytes / 1428 / 2); /* most of each side's data went by TSO6 */
	ck_assert_uint_ge(sb, bytes / 1428 / 2);
	ck_assert_uint_ge(t.b.counters[CTR_TCP_RX], bytes / 1440);
	ck_assert_uint_gt(wire_csum_completed(t.wire_a), 0);
	ck_assert_uint_gt(t.a.counters[CTR_IPV6_TX], 0);
	ck_assert_uint_eq(t.a.counters[CTR_IPV4_TX], 0); /* none of it went over IPv4 */
	no_bad_csum(&t);
	twostack_free(&t);
}
END_TEST

/* TSO6 to GRO receivers: super-segments arrive whole, fewer segments than the MSS-sized ones. */
START_TEST(tso6_both_ways_whole_to_gro)
{
	struct twostack t;
	const uint64_t bytes = 4u << 20;
	tso6_setup(&t, NULL, true);
	transfer_on_af(&t, AF_INET6, bytes, 60 * SEC);
	uint64_t fa, fb;
	wire_gso_stats(t.wire_a, &fa, NULL);
	wire_gso_stats(t.wire_b, &fb, NULL);
	ck_assert_uint_gt(fa, 0);
	ck_assert_uint_gt(fb, 0);
	ck_assert_uint_lt(t.b.counters[CTR_TCP_RX], bytes / 1440 * 3 / 4);
	ck_assert_uint_lt(t.a.counters[CTR_TCP_RX], bytes / 1440 * 3 / 4);
	no_bad_csum(&t);
	twostack_free(&t);
}
END_TEST

/* Seeded loss, duplication and reordering of the cut segments: exact, with retransmissions. */
START_TEST(tso6_byte_exact_with_loss_and_reordering)
{
	struct twostack t;
	struct fault_spec f = {
	    .loss_ppm = 20000, .dup_ppm = 10000, .reorder_ppm = 20000, .seed = 6};
	tso6_setup(&t, &f, false);
	transfer_on_af(&t, AF_INET6, 2u << 20, 600 * SEC);
	uint64_t fa, fb;
	wire_gso_stats(t.wire_a, &fa, NULL);
	wire_gso_stats(t.wire_b, &fb, NULL);
	ck_assert_uint_gt(fa, 0);
	ck_assert_uint_gt(fb, 0);
	ck_assert_uint_gt(t.a.counters[CTR_TCP_RETRANS] + t.b.counters[CTR_TCP_RETRANS], 0);
	twostack_free(&t);
}
END_TEST

/* Offloads off: the same IPv6 transfer, every checksum computed, no super-segment. */
START_TEST(tso6_off_same_bytes)
{
	struct twostack t;
	struct twostack_wire w = {0};
	twostack_init_wire(&t, NULL, NULL, &w);
	ck_assert_uint_eq(t.a.link.tso_types, 0);
	ck_assert_uint_eq(t.a.link.tx_csum, 0);
	transfer_on_af(&t, AF_INET6, 1u << 20, 60 * SEC);
	uint64_t fa, fb;
	wire_gso_stats(t.wire_a, &fa, NULL);
	wire_gso_stats(t.wire_b, &fb, NULL);
	ck_assert_uint_eq(fa + fb, 0);
	ck_assert_uint_eq(wire_csum_completed(t.wire_a) + wire_csum_completed(t.wire_b), 0);
	no_bad_csum(&t);
	twostack_free(&t);
}
END_TEST

/* UDP over IPv6: datagrams a leaves partial arrive whole and right at b. */
START_TEST(udp6_datagrams_offload_on_one_side)
{
	struct twostack t;
	static uint8_t out[1400], in[1400];
	twostack_init_offload(&t, NULL, NULL, ALL6, 0);
	int bfd = ts_socket(&t.b, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int afd = ts_socket(&t.a, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 any = sin6_of(0, 5000), to = sin6_of(2, 5000);
	ck_assert_int_eq(ts_bind(&t.b, bfd, (struct sockaddr *)&any, sizeof(any)), 0);
	static const size_t sizes[] = {1, 6, 999, 1400};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (size_t i = 0; i < sizes[k]; i++)
			out[i] = stream_byte((uint8_t)k, i);
		ck_assert_int_eq(
		    ts_sendto(&t.a, afd, out, sizes[k], 0, (struct sockaddr *)&to, sizeof(to)),
		    (ssize_t)sizes[k]);
		twostack_advance(&t, SEC / 10);
		ck_assert_int_eq(ts_recvfrom(&t.b, bfd, in, sizeof(in), 0, NULL, NULL),
				 (ssize_t)sizes[k]);
		ck_assert_mem_eq(in, out, sizes[k]);
	}
	ck_assert_uint_eq(wire_csum_completed(t.wire_a), 4);
	ck_assert_uint_eq(t.b.drops[DROP_UDP_BAD_CSUM], 0);
	ck_assert_int_eq(ts_close(&t.a, afd), 0);
	ck_assert_int_eq(ts_close(&t.b, bfd), 0);
	twostack_free(&t);
}
END_TEST

static Suite *offload_suite(void)
{
	Suite *s = suite_create("offload");
	TCase *tc = tcase_create("csum");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tcp_byte_exact_offload_on_one_side);
	tcase_add_test(tc, tcp_byte_exact_offload_with_loss_and_corruption);
	tcase_add_test(tc, udp_datagrams_offload_on_one_side);
	suite_add_tcase(s, tc);
	tc = tcase_create("tso");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tso_super_segments_cut_by_the_wire);
	tcase_add_test(tc, tso_super_segments_whole_to_gro);
	tcase_add_test(tc, tso_byte_exact_with_loss_and_reordering);
	tcase_add_test(tc, tso_off_same_bytes_more_frames);
	suite_add_tcase(s, tc);
	tc = tcase_create("ipv6");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tso6_both_ways_cut_by_the_wire);
	tcase_add_test(tc, tso6_both_ways_whole_to_gro);
	tcase_add_test(tc, tso6_byte_exact_with_loss_and_reordering);
	tcase_add_test(tc, tso6_off_same_bytes);
	tcase_add_test(tc, udp6_datagrams_offload_on_one_side);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(offload_suite)
