/*
 * pcapng_writers.c - the measurement behind docs/wireshark.md "Why not
 * libwiretap": 100,000 frames (66 and 1514 octets in turn, inbound and
 * outbound in turn, a drop comment on one in twenty) written as pcapng
 * with epb_flags by tapstack's encoder (tap/pcapng.c) and by Wireshark's
 * libwiretap (wtap_dump), each one write per frame (as --pcapng does, so
 * a reader of a pipe sees every frame at once) and buffered.  Not built by
 * make, since libwiretap is no dependency of tapstack; by hand, with
 * libwiretap-dev libwireshark-dev libwsutil-dev libglib2.0-dev installed:
 *
 *   cc -O2 -DWITH_WIRETAP -Itap $(pkg-config --cflags wireshark) \
 *      tools/bench/pcapng_writers.c tap/pcapng.c -o /tmp/pcapng_writers \
 *      -lwiretap $(pkg-config --libs wireshark)
 *   /tmp/pcapng_writers /tmp/pcapng-bench
 *
 * It writes DIR.direct.pcapng and DIR.wiretap.pcapng (unbuffered runs) and
 * prints microseconds per frame; `tshark -r F -T fields -e frame.len -e
 * frame.comment -e frame.packet_flags_direction` prints the same for both.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pcapng.h"

#ifdef WITH_WIRETAP
#include <wiretap/wtap.h>
#include <wsutil/wslog.h>
#endif

#define N 100000

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static size_t frame_len(int i)
{
	return (i % 2) ? 1514 : 66;
}

static enum pcapng_dir frame_dir(int i)
{
	return (i % 2) ? PCAPNG_DIR_OUTBOUND : PCAPNG_DIR_INBOUND;
}

static const char *frame_comment(int i)
{
	return (i % 20 == 0) ? "drop: TCP_OUT_OF_WINDOW (tcp, RFC 9293 3.10.7.4)" : NULL;
}

static uint64_t frame_ts(int i)
{
	return (uint64_t)(1700000000 + i / 1000) * 1000000u + (uint64_t)(i % 1000);
}

static uint8_t frame[1514];

static int put(int fd, const void *p, size_t n)
{
	return write(fd, p, n) == (ssize_t)n ? 0 : -1;
}

/* tap/pcapng.c: one write per frame, or a 64 KiB buffer. */
static double direct(const char *path, int per_frame)
{
	static uint8_t blk[4096], big[1 << 16];
	size_t bl = 0;
	double t0 = now_s();
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	uint8_t hdr[2 * PCAPNG_HDR_BLOCK_MAX];
	size_t n = pcapng_shb(hdr, "tapstack");
	n += pcapng_idb(hdr + n, PCAPNG_LINKTYPE_ETHERNET, 262144, "tap0");
	if (fd < 0 || put(fd, hdr, n) < 0)
		return -1;
	for (int i = 0; i < N; i++) {
		size_t m = pcapng_epb(blk, 0, frame_ts(i), frame, frame_len(i), frame_len(i),
				      frame_dir(i), frame_comment(i));
		if (per_frame) {
			if (put(fd, blk, m) < 0)
				return -1;
			continue;
		}
		if (bl + m > sizeof(big)) {
			if (put(fd, big, bl) < 0)
				return -1;
			bl = 0;
		}
		memcpy(big + bl, blk, m);
		bl += m;
	}
	if (bl && put(fd, big, bl) < 0)
		return -1;
	close(fd);
	return (now_s() - t0) * 1e6 / N;
}

#ifdef WITH_WIRETAP
/* libwiretap: wtap_dump per frame, wtap_dump_flush after each or not. */
static double wiretap(const char *path, int per_frame)
{
	double t0 = now_s();
	wtap_dump_params params = WTAP_DUMP_PARAMS_INIT;
	params.encap = WTAP_ENCAP_ETHERNET;
	params.snaplen = 262144;
	params.tsprec = WTAP_TSPREC_USEC;
	int err = 0;
	gchar *err_info = NULL;
	wtap_dumper *d = wtap_dump_open(path, wtap_pcapng_file_type_subtype(), WTAP_UNCOMPRESSED,
					&params, &err, &err_info);
	if (!d)
		return -1;
	wtap_rec rec;
	wtap_rec_init(&rec);
	for (int i = 0; i < N; i++) {
		rec.rec_type = REC_TYPE_PACKET;
		rec.presence_flags = WTAP_HAS_TS | WTAP_HAS_CAP_LEN | WTAP_HAS_INTERFACE_ID;
		rec.ts.secs = (time_t)(frame_ts(i) / 1000000u);
		rec.ts.nsecs = (int)(frame_ts(i) % 1000000u) * 1000;
		rec.tsprec = WTAP_TSPREC_USEC;
		rec.rec_header.packet_header.caplen = (guint32)frame_len(i);
		rec.rec_header.packet_header.len = (guint32)frame_len(i);
		rec.rec_header.packet_header.pkt_encap = WTAP_ENCAP_ETHERNET;
		rec.rec_header.packet_header.interface_id = 0;
		rec.block = wtap_block_create(WTAP_BLOCK_PACKET);
		wtap_block_add_uint32_option(rec.block, OPT_PKT_FLAGS, (guint32)frame_dir(i));
		const char *c = frame_comment(i);
		if (c)
			wtap_block_add_string_option(rec.block, OPT_COMMENT, c, strlen(c));
		if (!wtap_dump(d, &rec, frame, &err, &err_info))
			return -1;
		if (per_frame)
			wtap_dump_flush(d, &err);
		wtap_block_unref(rec.block);
		rec.block = NULL;
	}
	gboolean reload;
	wtap_dump_close(d, &reload, &err, &err_info);
	wtap_rec_cleanup(&rec);
	return (now_s() - t0) * 1e6 / N;
}
#endif

int main(int argc, char **argv)
{
	char path[512];
	const char *base = argc > 1 ? argv[1] : "/tmp/pcapng-bench";
	memset(frame, 0x5a, sizeof(frame));
#ifdef WITH_WIRETAP
	/* Without it libwiretap 4.0 logs every wtap_dump at debug level on stderr. */
	ws_log_init("pcapng_writers", NULL);
	ws_log_set_level(LOG_LEVEL_WARNING);
	wtap_init(FALSE);
#endif
	for (int per_frame = 1; per_frame >= 0; per_frame--) {
		const char *how = per_frame ? "one write per frame" : "buffered";
		snprintf(path, sizeof(path), "%s.direct%s.pcapng", base, per_frame ? "" : "-buf");
		printf("tap/pcapng.c  %-20s %6.2f us/frame\n", how, direct(path, per_frame));
#ifdef WITH_WIRETAP
		snprintf(path, sizeof(path), "%s.wiretap%s.pcapng", base, per_frame ? "" : "-buf");
		printf("libwiretap    %-20s %6.2f us/frame\n", how, wiretap(path, per_frame));
#endif
	}
	return 0;
}
