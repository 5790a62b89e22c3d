/*
 * icmp_test.c - ICMP (RFC 792, RFC 1122 §3.2.2): the view and builder
 * against the Linux kernel's echo request (tests/frames/icmp), our echo
 * reply and port unreachable compared with the ones Linux sent, the echo
 * handler, bad messages counted, the error rate limit, and the datagrams
 * that never get an error.
 */
#include <string.h>

#include "tsunit.h"
#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "ipv4.h"

#define IP1 0x0a000001u
#define IP2 0x0a000002u
static const uint8_t mac1[6] = {2, 0, 0, 0, 0, 1};

/* Stack at 10.0.0.2 that knows 10.0.0.1 (the kernel's ARP request fed, reply taken). */
static void init_with_peer(struct ts_test_stack *t, const struct ts_config *cfg)
{
	uint8_t f[64];
	size_t n = ts_load_hex("arp/request.hex", f, sizeof(f));
	ts_test_stack_init(t, cfg);
	ts_test_stack_feed(t, f, n);
	ck_assert_uint_eq(capdev_take(t->cap, f, sizeof(f)), 42);
}

/*
 * Stack at 10.0.0.1 / 02:..:01 that knows 10.0.0.2: the kernel's ARP reply
 * turned into a request from 10.0.0.2 for us (a reply nobody asked for
 * creates no entry), its answer taken off the wire.
 */
static void init_as_host1(struct ts_test_stack *t)
{
	struct ts_config cfg;
	uint8_t f[64];
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.ip = IP1;
	memcpy(cfg.mac, mac1, 6);
	ts_test_stack_init(t, &cfg);
	size_t n = ts_load_hex("arp/reply.hex", f, sizeof(f));
	f[14 + 7] = 1; /* opcode: request */
	ts_test_stack_feed(t, f, n);
	ck_assert_uint_eq(capdev_take(t->cap, f, sizeof(f)), 42);
}

/* Compares got with want, except the listed frame offsets (random or policy fields). */
static void assert_frame_masked(const uint8_t *got, size_t gn, const uint8_t *want, size_t wn,
				const size_t *mask, size_t nmask)
{
	uint8_t tmp[2048];
	ck_assert_uint_eq(gn, wn);
	memcpy(tmp, got, gn);
	for (size_t i = 0; i < nmask; i++)
		tmp[mask[i]] = want[mask[i]];
	ck_assert_mem_eq(tmp, want, wn);
}

static const size_t mask_id_csum[] = {14 + 4, 14 + 5, 14 + 10, 14 + 11};

START_TEST(parse_kernel_echo_request)
{
	uint8_t f[128];
	struct icmp_view v;
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	ck_assert_int_eq(icmp_parse(f + 34, n - 34, &v), DROP_NONE);
	ck_assert_uint_eq(v.type, ICMP_ECHO_REQUEST);
	ck_assert_uint_eq(v.code, 0);
	ck_assert_uint_eq(v.csum, 0x9176);
	ck_assert_uint_eq(v.id, 0x2912);
	ck_assert_uint_eq(v.seq, 1);
	ck_assert_uint_eq(v.data_len, 56);
	ck_assert_ptr_eq(v.data, f + 42);
}
END_TEST

START_TEST(build_echo_matches_kernel)
{
	uint8_t f[128], p[64];
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	memcpy(p + 8, f + 42, 56);
	icmp_build_echo(p, ICMP_ECHO_REQUEST, 0x2912, 1, 56);
	ck_assert_mem_eq(p, f + 34, n - 34);
}
END_TEST

/* Our answer to the kernel's ping is the kernel's own answer (ID, checksum masked). */
START_TEST(echo_reply_like_linux)
{
	struct ts_test_stack t;
	uint8_t req[128], want[128], got[128];
	size_t n = ts_load_hex("icmp/echo_request.hex", req, sizeof(req));
	size_t wn = ts_load_hex("icmp/echo_reply.hex", want, sizeof(want));
	init_with_peer(&t, NULL);
	ts_test_stack_feed(&t, req, n);
	size_t gn = capdev_take(t.cap, got, sizeof(got));
	assert_frame_masked(got, gn, want, wn, mask_id_csum, 4);
	ck_assert_uint_eq(ts_csum_fold(ts_csum_partial(got + 14, 20, 0)), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP_ECHO_REPLIES_SENT], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* The echo request we build is the kernel's (ID, DF and checksum masked: policy). */
START_TEST(echo_request_like_linux)
{
	struct ts_test_stack t;
	uint8_t want[128], got[128];
	size_t wn = ts_load_hex("icmp/echo_request.hex", want, sizeof(want));
	init_as_host1(&t);
	ck_assert_int_eq(icmp_echo_request(&t.st, IP2, 0x2912, 1, want + 42, 56), 0);
	size_t gn = capdev_take(t.cap, got, sizeof(got));
	const size_t mask[] = {14 + 4, 14 + 5, 14 + 6, 14 + 10, 14 + 11};
	assert_frame_masked(got, gn, want, wn, mask, 5);
	ts_test_stack_free(&t);
}
END_TEST

struct echo_seen {
	uint32_t src;
	uint16_t id, seq;
	uint8_t ttl;
	uint8_t data[64];
	size_t len;
	int calls;
};

static void on_echo(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		    size_t len, uint8_t ttl)
{
	struct echo_seen *e = ctx;
	e->calls++;
	e->src = src;
	e->id = id;
	e->seq = seq;
	e->ttl = ttl;
	e->len = len;
	memcpy(e->data, data, len < sizeof(e->data) ? len : sizeof(e->data));
}

START_TEST(echo_reply_reaches_handler)
{
	struct ts_test_stack t;
	uint8_t f[128];
	struct echo_seen seen = {0};
	size_t n = ts_load_hex("icmp/echo_reply.hex", f, sizeof(f));
	init_as_host1(&t);
	ts_test_stack_feed(&t, f, n); /* no handler yet: counted */
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_UNHANDLED_TYPE], 1);
	icmp_set_echo_handler(&t.st, on_echo, &seen);
	ts_test_stack_feed(&t, f, n);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(seen.src, IP2);
	ck_assert_uint_eq(seen.id, 0x2912);
	ck_assert_uint_eq(seen.seq, 1);
	ck_assert_uint_eq(seen.ttl, 64);
	ck_assert_uint_eq(seen.len, 56);
	ck_assert_mem_eq(seen.data, f + 42, 56);
	ts_test_stack_free(&t);
}
END_TEST

START_TEST(bad_messages_counted)
{
	struct ts_test_stack t;
	uint8_t f[128], g[128];
	size_t n = ts_load_hex("icmp/echo_request.hex", f, sizeof(f));
	init_with_peer(&t, NULL);
	/* 7 octets of ICMP: IP total length cut, header checksum fixed. */
	memcpy(g, f, n);
	put_be16(g + 16, 27);
	put_be16(g + 24, 0);
	put_be16(g + 24, ts_csum_fold(ts_csum_partial(g + 14, 20, 0)));
	ts_test_stack_feed(&t, g, 14 + 27);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_TRUNCATED], 1);
	memcpy(g, f, n);
	g[n - 1] ^= 0xff;
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_BAD_CSUM], 1);
	memcpy(g, f, n);
	g[34] = 13; /* timestamp request */
	put_be16(g + 36, 0);
	put_be16(g + 36, ts_csum_fold(ts_csum_partial(g + 34, n - 34, 0)));
	ts_test_stack_feed(&t, g, n);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_UNHANDLED_TYPE], 1);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 0);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP_RX], 3);
	ts_test_stack_free(&t);
}
END_TEST

/* Loads the kernel's UDP datagram to a closed port as a received buffer. */
static struct ts_buf *udp_orig(struct ts_test_stack *t)
{
	uint8_t f[128];
	size_t n = ts_load_hex("ipv4/udp_to_closed_port.hex", f, sizeof(f));
	struct ts_buf *b = ts_buf_alloc(&t->st, n, TS_BUF_HEADROOM);
	memcpy(ts_buf_put(b, n), f, n);
	b->network = ts_buf_pull(b, 14);
	b->transport = b->network + 20;
	b->src = ip_addr_v4(IP1);
	b->dst = ip_addr_v4(IP2);
	b->ip_proto = IPV4_PROTO_UDP;
	return b;
}

/* Port unreachable as Linux sent it (TOS: Linux uses 0xc0; ID and checksum masked). */
START_TEST(port_unreach_like_linux)
{
	struct ts_test_stack t;
	uint8_t want[128], got[128];
	size_t wn = ts_load_hex("icmp/port_unreach.hex", want, sizeof(want));
	init_with_peer(&t, NULL);
	struct ts_buf *orig = udp_orig(&t);
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ts_buf_free(&t.st, orig);
	size_t gn = capdev_take(t.cap, got, sizeof(got));
	const size_t mask[] = {14 + 1, 14 + 4, 14 + 5, 14 + 10, 14 + 11};
	assert_frame_masked(got, gn, want, wn, mask, 5);
	ck_assert_uint_eq(t.st.counters[CTR_ICMP_UNREACH_SENT], 1);
	ts_test_stack_free(&t);
}
END_TEST

/* Token bucket: a burst of 5, then one per second. */
START_TEST(errors_rate_limited)
{
	struct ts_test_stack t;
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	cfg.icmp_err_burst = 5;
	cfg.icmp_err_rate = 1;
	init_with_peer(&t, &cfg);
	struct ts_buf *orig = udp_orig(&t);
	for (int i = 0; i < 10; i++)
		icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 5);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_RATE_LIMITED], 5);
	stack_poll(&t.st, t.st.now_us + 999999);
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 5);
	stack_poll(&t.st, t.st.now_us + 1);
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 6);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_RATE_LIMITED], 7);
	ts_buf_free(&t.st, orig);
	ts_test_stack_free(&t);
}
END_TEST

/* RFC 1122 §3.2.2: no error about later fragments, broadcasts, or ICMP errors. */
START_TEST(no_error_about_errors_broadcasts_fragments)
{
	struct ts_test_stack t;
	init_with_peer(&t, NULL);
	struct ts_buf *orig = udp_orig(&t);
	uint8_t *ip = orig->network;

	put_be16(ip + 6, 0x00b9); /* offset 1480 */
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_NO_ERROR_FOR_FRAGMENT], 1);
	put_be16(ip + 6, 0x2000); /* the first fragment does get one */
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	put_be16(ip + 6, 0x4000);

	orig->link_bcast = 1;
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	orig->link_bcast = 0;
	put_be32(ip + 16, 0x0a0000ff);
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PORT);
	put_be32(ip + 16, IP2);
	ip[9] = IPV4_PROTO_ICMP;
	ip[20] = ICMP_DEST_UNREACH;
	icmp_send_dest_unreach(&t.st, orig, ICMP_UNREACH_PROTOCOL);
	ck_assert_uint_eq(t.st.drops[DROP_ICMP_NO_ERROR_FOR_ERROR], 3);
	ck_assert_uint_eq(capdev_sent_count(t.cap), 1);
	ts_buf_free(&t.st, orig);
	ts_test_stack_free(&t);
}
END_TEST

static Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("icmp");
	tcase_add_test(tc, parse_kernel_echo_request);
	tcase_add_test(tc, build_echo_matches_kernel);
	tcase_add_test(tc, echo_reply_like_linux);
	tcase_add_test(tc, echo_request_like_linux);
	tcase_add_test(tc, echo_reply_reaches_handler);
	tcase_add_test(tc, bad_messages_counted);
	tcase_add_test(tc, port_unreach_like_linux);
	tcase_add_test(tc, errors_rate_limited);
	tcase_add_test(tc, no_error_about_errors_broadcasts_fragments);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(icmp_suite)
