/*
 * tcp_wire_test.c - the stack-free parts of TCP: sequence arithmetic at the
 * wrap, the header view and option walker against real Linux frames
 * (tests/frames/tcp/), the option builder byte for byte, tcp_describe, the
 * byte ring, the out-of-order assembler, and the RFC 6298 estimator.
 */
#include <string.h>

#include "tsunit.h"
#include "byteorder.h"
#include "tcp_var.h"
#include "tcp_seq.h"

/* ---- sequence numbers (RFC 9293 §3.4) ---- */

START_TEST(seq_compare_across_wrap)
{
	ck_assert(seq_lt(0xfffffff0u, 0x10u));
	ck_assert(seq_gt(0x10u, 0xfffffff0u));
	ck_assert(seq_leq(0xffffffffu, 0u));
	ck_assert(seq_geq(0u, 0xffffffffu));
	ck_assert(!seq_lt(5u, 5u));
	ck_assert(seq_leq(5u, 5u) && seq_geq(5u, 5u));
	/* Half the space apart flips the answer: the limit the windows respect. */
	ck_assert(seq_lt(0u, 0x7fffffffu));
	ck_assert(seq_gt(0u, 0x80000001u));
	ck_assert_uint_eq(seq_max(0xfffffffeu, 3u), 3u);
	ck_assert_uint_eq(seq_min(0xfffffffeu, 3u), 0xfffffffeu);
	ck_assert(seq_in(0u, 0xfffffff0u, 0x10u));
	ck_assert(seq_in(0xfffffff0u, 0xfffffff0u, 0x10u));
	ck_assert(!seq_in(0x10u, 0xfffffff0u, 0x10u));
	/* A raw < would say the opposite here. */
	ck_assert(0xfffffff0u > 0x10u && seq_lt(0xfffffff0u, 0x10u));
}
END_TEST

/* ---- view and options, Linux frames ---- */

static size_t load_tcp(const char *name, uint8_t *frame, size_t cap, const uint8_t **tcp)
{
	size_t n = ts_load_hex(name, frame, cap);
	size_t ihl = (size_t)(frame[14] & 15) * 4;
	*tcp = frame + 14 + ihl;
	return n - 14 - ihl;
}

START_TEST(parse_linux_syn)
{
	uint8_t f[128];
	const uint8_t *p;
	size_t len = load_tcp("tcp/linux_syn.hex", f, sizeof(f), &p);
	struct tcp_view v;
	ck_assert_int_eq(tcp_parse(p, len, &v), DROP_NONE);
	ck_assert_uint_eq(v.src_port, 56106);
	ck_assert_uint_eq(v.dst_port, 8080);
	ck_assert_uint_eq(v.seq, 0x3cd026dfu);
	ck_assert_uint_eq(v.ack, 0);
	ck_assert_uint_eq(v.flags, TCP_SYN);
	ck_assert_uint_eq(v.wnd, 64240);
	ck_assert_uint_eq(v.data_off, 40);
	ck_assert_uint_eq(v.opt_len, 20);
	ck_assert_uint_eq(v.payload_len, 0);
	ck_assert(tcp_csum_ok(p, len, IP4(0x0a000001), IP4(0x0a000002)));
	ck_assert(!tcp_csum_ok(p, len, IP4(0x0a000001), IP4(0x0a000003)));
	struct tcp_opts o;
	ck_assert_int_eq(tcp_parse_options(v.opt, v.opt_len, &o), DROP_NONE);
	ck_assert(o.has_mss && o.sack_perm && o.has_ts && o.has_ws);
	ck_assert_uint_eq(o.mss, 1460);
	ck_assert_uint_eq(o.ws, 10);
	ck_assert_uint_eq(o.tsval, 0xdc2f7380u);
	ck_assert_uint_eq(o.tsecr, 0);
	ck_assert_uint_eq(o.nsack, 0);
	/* Building the same options gives Linux's bytes exactly. */
	uint8_t out[TCP_MAX_OPT_LEN];
	size_t n = tcp_build_options(out, true, &o);
	ck_assert_uint_eq(n, v.opt_len);
	ck_assert_mem_eq(out, v.opt, n);
}
END_TEST

START_TEST(parse_linux_synack_and_data)
{
	uint8_t f[128];
	const uint8_t *p;
	size_t len = load_tcp("tcp/linux_synack.hex", f, sizeof(f), &p);
	struct tcp_view v;
	struct tcp_opts o;
	ck_assert_int_eq(tcp_parse(p, len, &v), DROP_NONE);
	ck_assert_uint_eq(v.flags, TCP_SYN | TCP_ACK);
	ck_assert_uint_eq(v.ack, 0x3cd026dfu + 1); /* the SYN's ISN + 1 */
	ck_assert(tcp_csum_ok(p, len, IP4(0x0a000002), IP4(0x0a000001)));
	ck_assert_int_eq(tcp_parse_options(v.opt, v.opt_len, &o), DROP_NONE);
	ck_assert_uint_eq(o.tsecr, 0xdc2f7380u); /* echoes the SYN's TSval */
	ck_assert_uint_eq(o.ws, 10);
	uint8_t out[TCP_MAX_OPT_LEN];
	ck_assert_uint_eq(tcp_build_options(out, true, &o), 20);
	ck_assert_mem_eq(out, v.opt, 20);

	len = load_tcp("tcp/linux_data.hex", f, sizeof(f), &p);
	ck_assert_int_eq(tcp_parse(p, len, &v), DROP_NONE);
	ck_assert_uint_eq(v.flags, TCP_PSH | TCP_ACK);
	ck_assert_uint_eq(v.payload_len, 11);
	ck_assert_mem_eq(v.payload, "GET /hello\n", 11);
	ck_assert(tcp_csum_ok(p, len, IP4(0x0a000001), IP4(0x0a000002)));
	ck_assert_int_eq(tcp_parse_options(v.opt, v.opt_len, &o), DROP_NONE);
	ck_assert(o.has_ts && !o.has_mss && !o.sack_perm);
	/* A data segment's options: NOP NOP TS, as Linux sends them. */
	ck_assert_uint_eq(tcp_build_options(out, false, &o), 12);
	ck_assert_mem_eq(out, v.opt, 12);
}
END_TEST

START_TEST(describe_linux_frames)
{
	uint8_t f[128];
	const uint8_t *p;
	char line[200];
	size_t len = load_tcp("tcp/linux_syn.hex", f, sizeof(f), &p);
	int n = tcp_describe(p, len, line, sizeof(line));
	ck_assert_str_eq(line, "tcp 56106>8080 [S] seq=1020274399 win=64240 len=0 "
			       "opts=mss:1460,sack,ts,ws:10");
	ck_assert_int_eq(n, (int)strlen(line));
	len = load_tcp("tcp/linux_fin.hex", f, sizeof(f), &p);
	tcp_describe(p, len, line, sizeof(line));
	ck_assert_str_eq(line, "tcp 56106>8080 [F.] seq=1020274411 ack=1318146242 win=63 len=0 "
			       "opts=ts");
	/* Truncated output keeps snprintf's contract: full length returned. */
	char small[10];
	ck_assert_int_eq(tcp_describe(p, len, small, sizeof(small)), (int)strlen(line));
	ck_assert_str_eq(small, "tcp 56106");
}
END_TEST

START_TEST(malformed_headers_and_options)
{
	uint8_t f[128];
	const uint8_t *p;
	size_t len = load_tcp("tcp/linux_syn.hex", f, sizeof(f), &p);
	struct tcp_view v;
	ck_assert_int_eq(tcp_parse(p, 19, &v), DROP_TCP_TRUNCATED);
	ck_assert_int_eq(tcp_parse(p, 39, &v), DROP_TCP_BAD_OFF); /* offset 40 > 39 */
	uint8_t h[60];
	memcpy(h, p, len);
	h[12] = 0x40; /* data offset 4 words */
	ck_assert_int_eq(tcp_parse(h, len, &v), DROP_TCP_BAD_OFF);

	struct tcp_opts o;
	const uint8_t zero_len[] = {TCP_OPT_NOP, 0x1e, 0x00, 0x00}; /* unknown kind, length 0 */
	const uint8_t past_end[] = {TCP_OPT_MSS, 0x08, 0x05, 0xb4}; /* claims 8 of 4 bytes */
	const uint8_t bad_mss[] = {TCP_OPT_MSS, 0x03, 0x05, TCP_OPT_NOP};
	const uint8_t lone_kind[] = {TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_WS};
	const uint8_t bad_sack[] = {TCP_OPT_SACK, 0x06, 0, 0, 0, 1, 0, 0};
	ck_assert_int_eq(tcp_parse_options(zero_len, 4, &o), DROP_TCP_BAD_OPTIONS);
	ck_assert_int_eq(tcp_parse_options(past_end, 4, &o), DROP_TCP_BAD_OPTIONS);
	ck_assert_int_eq(tcp_parse_options(bad_mss, 4, &o), DROP_TCP_BAD_OPTIONS);
	ck_assert_int_eq(tcp_parse_options(lone_kind, 4, &o), DROP_TCP_BAD_OPTIONS);
	ck_assert_int_eq(tcp_parse_options(bad_sack, 8, &o), DROP_TCP_BAD_OPTIONS);
	/* Unknown kinds are skipped; EOL ends the walk even before garbage. */
	const uint8_t unknown[] = {0x1e, 0x04, 0xaa, 0xbb, TCP_OPT_MSS, 4, 0x02, 0x18};
	ck_assert_int_eq(tcp_parse_options(unknown, 8, &o), DROP_NONE);
	ck_assert(o.has_mss);
	ck_assert_uint_eq(o.mss, 536);
	const uint8_t eol[] = {TCP_OPT_EOL, 0x99, 0x00, 0x00};
	ck_assert_int_eq(tcp_parse_options(eol, 4, &o), DROP_NONE);
	ck_assert(!o.has_mss);
}
END_TEST

START_TEST(sack_blocks_round_trip)
{
	struct tcp_opts o = {0};
	o.has_ts = true;
	o.tsval = 0x01020304;
	o.tsecr = 0x05060708;
	o.nsack = 4; /* only 3 fit beside a timestamp */
	for (int i = 0; i < 4; i++) {
		o.sack[i].left = 0xfffff000u + 3000u * (uint32_t)i;
		o.sack[i].right = o.sack[i].left + 1000;
	}
	uint8_t out[TCP_MAX_OPT_LEN];
	size_t n = tcp_build_options(out, false, &o);
	ck_assert_uint_eq(n, 40);
	const uint8_t head[] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 5, 26};
	ck_assert_mem_eq(out, head, sizeof(head));
	struct tcp_opts back;
	ck_assert_int_eq(tcp_parse_options(out, n, &back), DROP_NONE);
	ck_assert_uint_eq(back.nsack, 3);
	ck_assert_uint_eq(back.sack[2].left, 0xfffff000u + 6000u);
	ck_assert_uint_eq(back.sack[2].right, 0xfffff000u + 7000u);
	ck_assert_uint_eq(back.tsecr, 0x05060708);
}
END_TEST

/* ---- ring and assembler ---- */

START_TEST(ring_wraps_and_writes_ahead)
{
	struct tcp_ring r;
	ck_assert_int_eq(tcp_ring_init(&r, 8), 0);
	ck_assert_uint_eq(tcp_ring_write(&r, "abcdef", 6), 6);
	tcp_ring_consume(&r, 5);
	ck_assert_uint_eq(tcp_ring_write(&r, "ghijklmnop", 10), 7); /* 1 + 7 = full */
	char out[8];
	tcp_ring_peek(&r, 0, out, 8);
	ck_assert_mem_eq(out, "fghijklm", 8);
	tcp_ring_consume(&r, 8);
	/* Out-of-order bytes written ahead survive the ring running empty. */
	tcp_ring_write_at(&r, 3, "XYZ", 3);
	ck_assert_uint_eq(tcp_ring_write(&r, "uvw", 3), 3);
	r.len += 3; /* the assembler says the gap is filled */
	tcp_ring_peek(&r, 0, out, 6);
	ck_assert_mem_eq(out, "uvwXYZ", 6);
	tcp_ring_free(&r);
}
END_TEST

START_TEST(assembler_merges_and_bounds)
{
	struct tcp_assembler a = {0};
	uint32_t base = 0xfffffff0u; /* across the wrap */
	ck_assert(tcp_asm_add(&a, base + 10, base + 20, 1000));
	ck_assert(tcp_asm_add(&a, base + 30, base + 40, 1000));
	ck_assert(tcp_asm_add(&a, base + 15, base + 32, 1000)); /* bridges both */
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.bytes, 30);
	ck_assert_uint_eq(a.r[0].left, base + 10);
	ck_assert_uint_eq(a.r[0].right, base + 40);
	ck_assert(!tcp_asm_add(&a, base + 50, base + 1100, 1000)); /* over the byte bound */
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(tcp_asm_advance(&a, base + 5), base + 5); /* gap remains */
	ck_assert_uint_eq(tcp_asm_advance(&a, base + 10), base + 40);
	ck_assert_uint_eq(a.n, 0);
	ck_assert_uint_eq(a.bytes, 0);
	/* The range count is bounded too. */
	for (uint32_t i = 0; i < TCP_OFO_MAX_RANGES; i++)
		ck_assert(tcp_asm_add(&a, 100 + 10 * i, 105 + 10 * i, 1u << 20));
	ck_assert(!tcp_asm_add(&a, 1000, 1005, 1u << 20));
	ck_assert(tcp_asm_add(&a, 100, 110, 1u << 20)); /* a merge still fits */
}
END_TEST

/* ---- RFC 6298 ---- */

START_TEST(rto_rfc6298_vectors)
{
	struct tcp_rtt r = {0, 0, 1000000};
	const uint32_t min = 200000, max = 120000000;
	/* (2.2) first R = 100 ms: SRTT 100, RTTVAR 50, RTO = 100 + 4*50 = 300 ms. */
	tcp_rtt_sample(&r, 100000, min, max);
	ck_assert_uint_eq(r.srtt_us, 100000);
	ck_assert_uint_eq(r.rttvar_us, 50000);
	ck_assert_uint_eq(r.rto_us, 300000);
	/* (2.3) R' = 200 ms: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5, SRTT = 112.5,
	 * RTO = 112.5 + 250 = 362.5 ms. */
	tcp_rtt_sample(&r, 200000, min, max);
	ck_assert_uint_eq(r.rttvar_us, 62500);
	ck_assert_uint_eq(r.srtt_us, 112500);
	ck_assert_uint_eq(r.rto_us, 362500);
	/* (2.4) tiny RTTs are floored at the minimum RTO. */
	struct tcp_rtt z = {0, 0, 1000000};
	tcp_rtt_sample(&z, 1000, min, max);
	ck_assert_uint_eq(z.rto_us, min);
	/* G: with zero variance the RTO is SRTT + G (1 ms), above the minimum. */
	struct tcp_rtt g = {0, 0, 0};
	for (int i = 0; i < 60; i++)
		tcp_rtt_sample(&g, 400000, 1, max);
	ck_assert_uint_eq(g.srtt_us, 400000);
	ck_assert_uint_eq(g.rttvar_us, 0);
	ck_assert_uint_eq(g.rto_us, 401000);
	/* (2.5) an upper bound applies. */
	struct tcp_rtt h = {0, 0, 0};
	tcp_rtt_sample(&h, 100000000, min, 60000000);
	ck_assert_uint_eq(h.rto_us, 60000000);
}
END_TEST

static Suite *tcp_wire_suite(void)
{
	Suite *s = suite_create("tcp_wire");
	TCase *tc = tcase_create("view");
	tcase_add_test(tc, seq_compare_across_wrap);
	tcase_add_test(tc, parse_linux_syn);
	tcase_add_test(tc, parse_linux_synack_and_data);
	tcase_add_test(tc, describe_linux_frames);
	tcase_add_test(tc, malformed_headers_and_options);
	tcase_add_test(tc, sack_blocks_round_trip);
	tcase_add_test(tc, ring_wraps_and_writes_ahead);
	tcase_add_test(tc, assembler_merges_and_bounds);
	tcase_add_test(tc, rto_rfc6298_vectors);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tcp_wire_suite)
