/*
 * pcapng_test.c - tap/pcapng.c and the pcapng mode of tap/pcap_tee.c: a
 * stack over the capture netdev, wrapped in the pcapng writer, is fed an
 * ARP request (answered) and an IPv4 datagram with a bad header checksum
 * (dropped).  The file reads back with libpcap (pcap_open_offline reads
 * pcapng) frame for frame in the order things happened, the reply behind
 * the request it answers; its blocks, walked here, carry the interface
 * description, a direction on every frame and the drop comment on exactly
 * the dropped one.  Also: the verdict that never comes, the encoders'
 * layout, and the error text for an unwritable path.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsunit.h"
#include "byteorder.h"
#include "pcap_tee.h"
#include "pcapng.h"
#include "tapstack.h"
#include "tcp_frames.h"
#include "trace.h"

static void tmp_path(char *out, size_t len, const char *what)
{
	snprintf(out, len, "/tmp/tapstack-%s-%d.pcapng", what, (int)getpid());
}

/* What the test reads back of one EPB. */
struct epb {
	uint32_t flags;	   /* epb_flags, or 0xffffffff when absent */
	char comment[256]; /* opt_comment, "" when absent */
	uint32_t caplen;
	uint8_t first[64]; /* the frame's first octets */
};

/* The file's blocks: SHB first, then IDBs (counted) and EPBs (up to max). */
static size_t walk(const char *path, struct epb *out, size_t max, int *idbs, char *if_name)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t off = 0, n = 0;
	*idbs = 0;
	while (off + 12 <= len) {
		uint32_t type, total;
		memcpy(&type, buf + off, 4);
		memcpy(&total, buf + off + 4, 4);
		ck_assert_uint_ge(total, 12);
		ck_assert_uint_eq(total % 4, 0);
		ck_assert_uint_le(off + total, len);
		uint32_t trail;
		memcpy(&trail, buf + off + total - 4, 4);
		ck_assert_uint_eq(trail, total);
		if (off == 0)
			ck_assert_uint_eq(type, 0x0A0D0D0A);
		const uint8_t *b = buf + off, *opt = NULL, *end = b + total - 4;
		if (type == 1) {
			(*idbs)++;
			uint16_t linktype;
			memcpy(&linktype, b + 8, 2);
			ck_assert_uint_eq(linktype, PCAPNG_LINKTYPE_ETHERNET);
			opt = b + 16;
		} else if (type == 6) {
			ck_assert_uint_lt(n, max);
			struct epb *e = &out[n++];
			memset(e, 0, sizeof(*e));
			e->flags = 0xffffffffu;
			memcpy(&e->caplen, b + 20, 4);
			memcpy(e->first, b + 28, e->caplen < 64 ? e->caplen : 64);
			opt = b + 28 + ((e->caplen + 3u) & ~3u);
			while (opt + 4 <= end) {
				uint16_t code, olen;
				memcpy(&code, opt, 2);
				memcpy(&olen, opt + 2, 2);
				if (code == 0)
					break;
				if (code == 2)
					memcpy(&e->flags, opt + 4, 4);
				if (code == 1)
					snprintf(e->comment, sizeof(e->comment), "%.*s", (int)olen,
						 (const char *)opt + 4);
				opt += 4 + ((olen + 3u) & ~3u);
			}
			opt = NULL;
		}
		if (opt && type == 1) { /* if_name */
			uint16_t code, olen;
			memcpy(&code, opt, 2);
			memcpy(&olen, opt + 2, 2);
			if (code == 2)
				snprintf(if_name, 64, "%.*s", (int)olen, (const char *)opt + 4);
		}
		off += total;
	}
	ck_assert_uint_eq(off, len);
	return n;
}

/* An IPv4 header (ICMP echo inside) to 10.0.0.2 whose header checksum is wrong. */
static size_t bad_ipv4_frame(uint8_t *f)
{
	static const uint8_t hdr[] = {0x45, 0,	  0,  0x24, 0xba, 0xd1, 0x40, 0, 64, 1,
				      0x12, 0x34, 10, 0,    0,	  1,	10,   0, 0,  2};
	memcpy(f, ts_our_mac, 6);
	memcpy(f + 6, ts_peer_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 14, hdr, sizeof(hdr));
	memset(f + 34, 0, 16);
	f[34] = 8; /* echo request */
	return 50;
}

START_TEST(stack_drop_is_commented_and_reads_back)
{
	char path[256], err[256], perr[PCAP_ERRBUF_SIZE];
	uint8_t arp[64], bad[64];
	tmp_path(path, sizeof(path), "drop");

	struct capdev *c = capdev_new();
	struct netdev *tee = pcapng_tee_wrap(capdev_netdev(c), path, err, sizeof(err));
	ck_assert_msg(tee != NULL, "%s", err);
	ck_assert_str_eq(tee->name, "pcapng(capdev)");
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.gratuitous_arp = false;
	struct stack st;
	ck_assert_int_eq(stack_init(&st, &cfg, tee, 1000000), 0);

	size_t arp_len = ts_arp_request_from_peer(arp);
	size_t bad_len = bad_ipv4_frame(bad);
	capdev_inject(c, arp, arp_len); /* answered: a reply goes out while it is handled */
	capdev_inject(c, bad, bad_len); /* dropped: IPV4_BAD_CSUM */
	stack_poll(&st, 1000100);
	ck_assert_uint_eq(st.rx_drops[DROP_IPV4_BAD_CSUM], 1);
	ck_assert_uint_eq(capdev_sent_count(c), 1);
	stack_destroy(&st);
	netdev_destroy(tee); /* closes the file and the capdev */

	/* libpcap reads it: three Ethernet frames, in the order they happened. */
	pcap_t *p = pcap_open_offline(path, perr);
	ck_assert_msg(p != NULL, "%s", perr);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	struct pcap_pkthdr *h;
	const u_char *data;
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
	ck_assert_uint_eq(h->caplen, arp_len);
	ck_assert_mem_eq(data, arp, arp_len);
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
	ck_assert_uint_eq(get_be16(data + 12), 0x0806);
	ck_assert_uint_eq(get_be16(data + 20), 2); /* the ARP reply, behind its request */
	ck_assert_mem_eq(data + 6, ts_our_mac, 6);
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
	ck_assert_uint_eq(h->caplen, bad_len);
	ck_assert_mem_eq(data, bad, bad_len);
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);

	/* The blocks: one IDB for the link, a direction on every frame, the
	 * comment on the dropped one only. */
	struct epb e[8];
	int idbs;
	char if_name[64] = "";
	size_t n = walk(path, e, 8, &idbs, if_name);
	ck_assert_int_eq(idbs, 1);
	ck_assert_str_eq(if_name, "capdev");
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(e[0].flags, PCAPNG_DIR_INBOUND);
	ck_assert_str_eq(e[0].comment, "");
	ck_assert_uint_eq(e[1].flags, PCAPNG_DIR_OUTBOUND);
	ck_assert_str_eq(e[1].comment, "");
	ck_assert_uint_eq(e[2].flags, PCAPNG_DIR_INBOUND);
	ck_assert_str_eq(e[2].comment, "drop: IPV4_BAD_CSUM (ipv4, RFC 1122 3.2.1.2)");
	unlink(path);
}
END_TEST

/* Under the layer tracer (--trace layers), which passes verdicts down, and
 * beside the classic pcap writer below it (--pcap and --pcapng together). */
START_TEST(verdicts_pass_through_the_tracer)
{
	char path[256], ppath[256], err[256];
	uint8_t bad[64];
	tmp_path(path, sizeof(path), "traced");
	snprintf(ppath, sizeof(ppath), "/tmp/tapstack-traced-%d.pcap", (int)getpid());
	struct capdev *c = capdev_new();
	struct netdev *p = pcap_tee_wrap(capdev_netdev(c), ppath, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	struct netdev *ng = pcapng_tee_wrap(p, path, err, sizeof(err));
	ck_assert_msg(ng != NULL, "%s", err);
	FILE *devnull = fopen("/dev/null", "w");
	struct netdev *dev = trace_wrap(ng, devnull);
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.gratuitous_arp = false;
	struct stack st;
	ck_assert_int_eq(stack_init(&st, &cfg, dev, 1000000), 0);
	capdev_inject(c, bad, bad_ipv4_frame(bad));
	stack_poll(&st, 1000100);
	stack_destroy(&st);
	netdev_destroy(dev);
	fclose(devnull);
	struct epb e[4];
	int idbs;
	char if_name[64];
	ck_assert_uint_eq(walk(path, e, 4, &idbs, if_name), 1);
	ck_assert_str_eq(if_name, "pcap(capdev)");
	ck_assert_str_eq(e[0].comment, "drop: IPV4_BAD_CSUM (ipv4, RFC 1122 3.2.1.2)");
	unlink(path);
	unlink(ppath);
}
END_TEST

/* Without a stack no verdict comes: each frame is written at the next recv,
 * or when the device closes, with no comment. */
START_TEST(no_verdict_writes_without_comment)
{
	char path[256], err[256];
	uint8_t f[60], got[128];
	tmp_path(path, sizeof(path), "noverdict");
	struct capdev *c = capdev_new();
	struct netdev *tee = pcapng_tee_wrap(capdev_netdev(c), path, err, sizeof(err));
	ck_assert_ptr_nonnull(tee);
	for (int i = 0; i < 3; i++) {
		memset(f, 0x10 + i, sizeof(f));
		capdev_inject(c, f, sizeof(f));
	}
	ck_assert_int_eq(netdev_recv(tee, got, sizeof(got), 0), 60);
	ck_assert_int_eq(netdev_send(tee, f, 42, 0), 0); /* queued behind the first */
	ck_assert_int_eq(netdev_recv(tee, got, sizeof(got), 0), 60);
	netdev_rx_verdict(tee, DROP_TCP_OUT_OF_WINDOW, 0);
	ck_assert_int_eq(netdev_recv(tee, got, sizeof(got), 0), 60);
	netdev_destroy(tee);

	struct epb e[8];
	int idbs;
	char if_name[64];
	ck_assert_uint_eq(walk(path, e, 8, &idbs, if_name), 4);
	ck_assert_uint_eq(e[0].first[0], 0x10);
	ck_assert_uint_eq(e[1].caplen, 42);
	ck_assert_uint_eq(e[1].flags, PCAPNG_DIR_OUTBOUND);
	ck_assert_uint_eq(e[2].first[0], 0x11);
	ck_assert_str_eq(e[2].comment, "drop: TCP_OUT_OF_WINDOW (tcp, RFC 9293 3.10.7.4)");
	ck_assert_uint_eq(e[3].first[0], 0x12);
	ck_assert_str_eq(e[3].comment, "");
	ck_assert_str_eq(e[0].comment, "");
	ck_assert_str_eq(e[1].comment, "");
	unlink(path);
}
END_TEST

/* The encoders' sizes and padding: a 61-octet frame pads to 64, a comment
 * of 5 to 8. */
START_TEST(epb_layout)
{
	uint8_t frame[61], out[256];
	memset(frame, 0xab, sizeof(frame));
	ck_assert_uint_eq(pcapng_epb_size(61, NULL), 28 + 64 + 8 + 4 + 4);
	ck_assert_uint_eq(pcapng_epb_size(61, "hello"), 28 + 64 + 8 + 12 + 4 + 4);
	size_t n = pcapng_epb(out, 0, 0x0000000100000002ull, frame, 61, 1500, PCAPNG_DIR_OUTBOUND,
			      "hello");
	ck_assert_uint_eq(n, pcapng_epb_size(61, "hello"));
	uint32_t v;
	memcpy(&v, out + 12, 4);
	ck_assert_uint_eq(v, 1); /* timestamp high */
	memcpy(&v, out + 16, 4);
	ck_assert_uint_eq(v, 2);
	memcpy(&v, out + 24, 4);
	ck_assert_uint_eq(v, 1500); /* original length */
	ck_assert_uint_eq(out[28 + 61], 0);
	ck_assert_uint_eq(out[28 + 63], 0);
	ck_assert_uint_eq(out[28 + 64], 2); /* epb_flags, code 2 */
	ck_assert_uint_eq(out[28 + 64 + 4], 2);
	ck_assert_mem_eq(out + 28 + 64 + 12, "hello\0\0\0", 8);
	uint8_t hdr[2 * PCAPNG_HDR_BLOCK_MAX];
	ck_assert_uint_eq(pcapng_shb(hdr, "tapstack"), 28 + 12 + 4);
	ck_assert_uint_eq(pcapng_idb(hdr, 1, 65535, "tap0"), 20 + 8 + 4);
}
END_TEST

START_TEST(unwritable_path_says_why)
{
	char err[256];
	struct capdev *c = capdev_new();
	ck_assert_ptr_null(
	    pcapng_tee_wrap(capdev_netdev(c), "/nonexistent/dir/x.pcapng", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/dir/x.pcapng: No such file or directory");
	capdev_free(c);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("pcapng");
	tcase_add_test(tc, stack_drop_is_commented_and_reads_back);
	tcase_add_test(tc, verdicts_pass_through_the_tracer);
	tcase_add_test(tc, no_verdict_writes_without_comment);
	tcase_add_test(tc, epb_layout);
	tcase_add_test(tc, unwritable_path_says_why);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(pcapng_suite)
