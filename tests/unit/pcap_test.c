/*
 * pcap_test.c - tap/pcap_replay.c and tap/pcap_tee.c: a capture the Linux
 * kernel produced replays frame for frame; what the tee writes, replay reads
 * back byte-identical; the file is valid and flushed after every frame;
 * error texts.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tsunit.h"
#include "byteorder.h"
#include "pcap_replay.h"
#include "pcap_tee.h"
#include "wire.h"

/* The frames of tests/frames/link/kernel_ping.{pcap,hex}: ARP, ARP, 4 x ICMP echo. */
static const size_t kping_len[] = {42, 42, 66, 66, 66, 66};
#define KPING_N 6

static void frames_dir_path(char *out, size_t len, const char *file)
{
	const char *dir = getenv("TS_FRAMES_DIR");
	snprintf(out, len, "%s/%s", dir ? dir : "tests/frames", file);
}

/* A temporary file name unique to this test process. */
static void tmp_path(char *out, size_t len, const char *what)
{
	snprintf(out, len, "/tmp/tapstack-%s-%d.pcap", what, (int)getpid());
}

/* Replay of a real kernel capture returns its frames in order, then 0 forever. */
START_TEST(replay_kernel_capture)
{
	uint8_t hex[512], got[2048];
	char path[512], err[256];
	size_t total = ts_load_hex("link/kernel_ping.hex", hex, sizeof(hex)), off = 0;

	ck_assert_uint_eq(total, 42 + 42 + 4 * 66);
	frames_dir_path(path, sizeof(path), "link/kernel_ping.pcap");
	struct netdev *d = pcap_replay_open(path, err, sizeof(err));
	ck_assert_msg(d != NULL, "%s", err);
	ck_assert_str_eq(d->name, "replay:kernel_ping.pcap");
	ck_assert_int_eq(netdev_pollfd(d), -1);
	for (int i = 0; i < KPING_N; i++) {
		ck_assert_int_eq(netdev_recv(d, got, sizeof(got), 0), (ssize_t)kping_len[i]);
		ck_assert_mem_eq(got, hex + off, kping_len[i]);
		off += kping_len[i];
	}
	/* Spot checks against the capture's meaning: ARP request, then echo request seq 1. */
	ck_assert_uint_eq(get_be16(hex + 12), 0x0806);
	ck_assert_uint_eq(get_be16(hex + 84 + 12), 0x0800);
	ck_assert_uint_eq(hex[84 + 14 + 20], 8); /* ICMP type 8: echo request */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(netdev_recv(d, got, sizeof(got), 0), 0);
	netdev_destroy(d);
}
END_TEST

/* A small buffer gets the frame cut to cap. */
START_TEST(replay_truncates_to_cap)
{
	uint8_t got[64];
	char path[512], err[256];

	frames_dir_path(path, sizeof(path), "link/kernel_ping.pcap");
	struct netdev *d = pcap_replay_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(netdev_recv(d, got, 20, 0), 20);
	ck_assert_uint_eq(get_be16(got + 12), 0x0806);
	netdev_destroy(d);
}
END_TEST

/* Frames the stack sends are kept in order and handed back by index. */
START_TEST(replay_records_sent_frames)
{
	uint8_t f[100], got[100];
	char path[512], err[256];

	frames_dir_path(path, sizeof(path), "link/kernel_ping.pcap");
	struct netdev *d = pcap_replay_open(path, err, sizeof(err));
	ck_assert_ptr_nonnull(d);
	for (int i = 0; i < 40; i++) {
		memset(f, i, sizeof(f));
		ck_assert_int_eq(netdev_send(d, f, 60 + (size_t)i, 0), 0);
	}
	ck_assert_uint_eq(pcap_replay_sent_count(d), 40);
	for (size_t i = 0; i < 40; i++) {
		ck_assert_uint_eq(pcap_replay_sent(d, i, got, sizeof(got)), 60 + i);
		ck_assert_uint_eq(got[0], i);
		ck_assert_uint_eq(got[59 + i], i);
	}
	ck_assert_uint_eq(pcap_replay_sent(d, 1, got, 10), 10);
	ck_assert_uint_eq(pcap_replay_sent(d, 40, got, sizeof(got)), 0);
	netdev_destroy(d);
}
END_TEST

/*
 * The tee over a wire end: frames sent and received through it land in the
 * file in the order they passed, and replay reads them back byte-identical.
 * The file is readable after every frame (flushed): its size grows by the
 * 16-byte record header plus the frame each time.
 */
START_TEST(tee_then_replay_roundtrip)
{
	uint8_t hex[512], got[2048];
	char path[256], err[256];
	struct netdev *a, *b;
	struct stat sb;
	size_t off = 0;

	ts_load_hex("link/kernel_ping.hex", hex, sizeof(hex));
	tmp_path(path, sizeof(path), "tee");
	wire_pair(&a, &b);
	struct netdev *tee = pcap_tee_wrap(a, path, err, sizeof(err));
	ck_assert_msg(tee != NULL, "%s", err);
	ck_assert_str_eq(tee->name, "pcap(wire:a)");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 24); /* the file header is there from the start */
	off_t size = sb.st_size;
	/* Even frames: kernel's own sent through the tee; odd: arrive from the peer. */
	for (int i = 0; i < KPING_N; i++) {
		if (i % 2 == 0) {
			ck_assert_int_eq(netdev_send(tee, hex + off, kping_len[i], 0), 0);
			ck_assert_int_eq(netdev_recv(b, got, sizeof(got), 0),
					 (ssize_t)kping_len[i]);
		} else {
			ck_assert_int_eq(netdev_send(b, hex + off, kping_len[i], 0), 0);
			ck_assert_int_eq(netdev_recv(tee, got, sizeof(got), 0),
					 (ssize_t)kping_len[i]);
		}
		ck_assert_mem_eq(got, hex + off, kping_len[i]);
		off += kping_len[i];
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_eq(sb.st_size, size + 16 + (off_t)kping_len[i]);
		size = sb.st_size;
	}
	ck_assert_int_eq(netdev_recv(tee, got, sizeof(got), 0), 0); /* nothing: nothing dumped */
	netdev_destroy(tee);
	netdev_destroy(b);

	/* The header: pcap 2.4, snaplen 65535, DLT_EN10MB, in the writer's byte order. */
	FILE *f = fopen(path, "rb");
	uint8_t hdr[24];
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	uint32_t magic, snaplen, linktype;
	uint16_t vmaj, vmin;
	memcpy(&magic, hdr, 4);
	memcpy(&vmaj, hdr + 4, 2);
	memcpy(&vmin, hdr + 6, 2);
	memcpy(&snaplen, hdr + 16, 4);
	memcpy(&linktype, hdr + 20, 4);
	ck_assert_uint_eq(magic, 0xa1b2c3d4);
	ck_assert_uint_eq(vmaj, 2);
	ck_assert_uint_eq(vmin, 4);
	ck_assert_uint_eq(snaplen, 65535);
	ck_assert_uint_eq(linktype, 1);

	struct netdev *r = pcap_replay_open(path, err, sizeof(err));
	ck_assert_msg(r != NULL, "%s", err);
	off = 0;
	for (int i = 0; i < KPING_N; i++) {
		ck_assert_int_eq(netdev_recv(r, got, sizeof(got), 0), (ssize_t)kping_len[i]);
		ck_assert_mem_eq(got, hex + off, kping_len[i]);
		off += kping_len[i];
	}
	ck_assert_int_eq(netdev_recv(r, got, sizeof(got), 0), 0);
	netdev_destroy(r);
	unlink(path);
}
END_TEST

/* Timestamps are real (gettimeofday), so a capture lines up with the wall clock. */
START_TEST(tee_timestamps_are_wall_clock)
{
	char path[256], err[256], perr[PCAP_ERRBUF_SIZE];
	struct netdev *a, *b;
	uint8_t f[60] = {0};
	struct pcap_pkthdr *h;
	const u_char *data;

	tmp_path(path, sizeof(path), "ts");
	wire_pair(&a, &b);
	time_t before = time(NULL);
	struct netdev *tee = pcap_tee_wrap(a, path, err, sizeof(err));
	ck_assert_ptr_nonnull(tee);
	ck_assert_int_eq(netdev_send(tee, f, sizeof(f), 12345), 0);
	netdev_destroy(tee);
	netdev_destroy(b);
	pcap_t *p = pcap_open_offline(path, perr);
	ck_assert_msg(p != NULL, "%s", perr);
	ck_assert_int_eq(pcap_next_ex(p, &h, &data), 1);
	ck_assert_int_ge(h->ts.tv_sec, before);
	ck_assert_int_le(h->ts.tv_sec, time(NULL));
	ck_assert_uint_eq(h->caplen, 60);
	ck_assert_uint_eq(h->len, 60);
	pcap_close(p);
	unlink(path);
}
END_TEST

START_TEST(errors_name_the_file)
{
	char err[256], path[256];
	struct netdev *a, *b;

	ck_assert_ptr_null(pcap_replay_open("/nonexistent/x.pcap", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/x.pcap: No such file or directory");

	wire_pair(&a, &b);
	ck_assert_ptr_null(pcap_tee_wrap(a, "/nonexistent/dir/out.pcap", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/dir/out.pcap: No such file or directory");
	netdev_destroy(a); /* not taken over on failure */
	netdev_destroy(b);

	/* A capture of raw IP (no Ethernet header) is refused by name. */
	tmp_path(path, sizeof(path), "raw");
	pcap_t *dead = pcap_open_dead(DLT_RAW, 65535);
	pcap_dumper_t *dump = pcap_dump_open(dead, path);
	ck_assert_ptr_nonnull(dump);
	pcap_dump_close(dump);
	pcap_close(dead);
	ck_assert_ptr_null(pcap_replay_open(path, err, sizeof(err)));
	char want[512];
	snprintf(want, sizeof(want), "%s: link type RAW, expected Ethernet (EN10MB)", path);
	ck_assert_str_eq(err, want);
	unlink(path);
}
END_TEST

static Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = tcase_create("replay");
	tcase_add_test(tc, replay_kernel_capture);
	tcase_add_test(tc, replay_truncates_to_cap);
	tcase_add_test(tc, replay_records_sent_frames);
	suite_add_tcase(s, tc);
	tc = tcase_create("tee");
	tcase_add_test(tc, tee_then_replay_roundtrip);
	tcase_add_test(tc, tee_timestamps_are_wall_clock);
	tcase_add_test(tc, errors_name_the_file);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(pcap_suite)
