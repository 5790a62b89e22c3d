/*
 * fuzz_regress_test.c - replays what the fuzzers (tests/fuzz/) found, and
 * every golden frame, through one stack and checks the invariants the
 * fuzzers check: nothing sent is larger than MTU + 14, every frame sent
 * carries our MAC and (IPv4) our address and a correct header checksum,
 * and no buffer is live after teardown.
 *
 * Fixtures: tests/frames/<layer>/fuzz-<name>.hex, one frame, or several
 * separated by lines starting with "# frame" (a sequence found by
 * fuzz_frames).  Each run starts like fuzz_frames: a fresh test stack that
 * has answered an ARP request from the peer 10.0.0.1, so replies leave at
 * once instead of waiting for ARP, with a non-blocking TCP listener on 8080
 * and a UDP socket on 7; then the frames, one poll each, accepting what
 * connects; then every socket is closed and the clock runs through every
 * pending deadline (ARP, reassembly, TCP timers).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "byteorder.h"
#include "checksum.h"
#include "tapstack.h"

#define MAX_FIXTURES 256
#define FRAME_CAP    16384
#define OUR_IP	     0x0a000002u /* 10.0.0.2, ts_test_stack's address */

/* Fixture paths relative to tests/frames/, filled when the suite is built. */
static char *fuzz_fixtures[MAX_FIXTURES];
static int n_fuzz_fixtures;
static char *golden_frames[MAX_FIXTURES];
static int n_golden_frames;

static const char *frames_dir(void)
{
	const char *d = getenv("TS_FRAMES_DIR");
	return d ? d : "tests/frames";
}

/* Fills list with the paths under tests/frames/ matching pattern, sorted. */
static int find_fixtures(const char *pattern, char **list, int skip_fuzz)
{
	char full[512];
	glob_t g;
	int n = 0;
	size_t dir_len = strlen(frames_dir()) + 1;

	snprintf(full, sizeof(full), "%s/%s", frames_dir(), pattern);
	if (glob(full, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc && n < MAX_FIXTURES; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/');
		if (skip_fuzz && base && strncmp(base + 1, "fuzz-", 5) == 0)
			continue;
		list[n++] = strdup(g.gl_pathv[i] + dir_len);
	}
	globfree(&g);
	return n;
}

/* Checks one frame the stack sent against the fuzzers' send invariants. */
static void check_sent_frame(const struct ts_test_stack *t, const uint8_t *f, size_t len,
			     const char *fixture)
{
	ck_assert_msg(len >= 14, "%s: sent a %zu-byte frame", fixture, len);
	ck_assert_msg(len <= t->st.cfg.mtu + 14, "%s: sent %zu bytes, over MTU %u + 14", fixture,
		      len, t->st.cfg.mtu);
	ck_assert_msg(memcmp(f + 6, t->st.cfg.mac, 6) == 0, "%s: sent a foreign source MAC",
		      fixture);
	if (get_be16(f + 12) != 0x0800)
		return;
	ck_assert_msg(len >= 34, "%s: sent a truncated IPv4 frame", fixture);
	size_t ihl = (size_t)(f[14] & 0x0f) * 4;
	ck_assert_msg(f[14] >> 4 == 4 && ihl >= 20 && 14 + ihl <= len, "%s: sent a bad IPv4 header",
		      fixture);
	ck_assert_msg(get_be16(f + 16) <= len - 14, "%s: IPv4 total length beyond the frame",
		      fixture);
	ck_assert_msg(ts_csum_fold(ts_csum_partial(f + 14, ihl, 0)) == 0,
		      "%s: sent a bad IPv4 header checksum", fixture);
	ck_assert_msg(get_be32(f + 26) == OUR_IP, "%s: sent IPv4 from %08x, not 10.0.0.2", fixture,
		      (unsigned)get_be32(f + 26));

	/* The transport checksum of an unfragmented TCP, UDP or ICMP datagram. */
	size_t total = get_be16(f + 16), l4_len = total - ihl;
	uint8_t proto = f[23];
	const uint8_t *l4 = f + 14 + ihl;
	if ((get_be16(f + 20) & 0x3fff) != 0 || total < ihl)
		return;
	uint32_t sum = 0;
	if (proto == 6 || proto == 17) {
		if (proto == 17 && (l4_len < 8 || get_be16(l4 + 6) == 0))
			return; /* RFC 768: zero means no checksum */
		sum = ts_csum_pseudo(get_be32(f + 26), get_be32(f + 30), proto, (uint16_t)l4_len);
	} else if (proto != 1) {
		return;
	}
	ck_assert_msg(ts_csum_fold(ts_csum_partial(l4, l4_len, sum)) == 0,
		      "%s: sent a bad checksum (IP protocol %u)", fixture, proto);
}

static size_t drain_sent(struct ts_test_stack *t, const char *fixture)
{
	static uint8_t out[FRAME_CAP];
	size_t n = 0, len;
	while ((len = capdev_take(t->cap, out, sizeof(out))) > 0) {
		check_sent_frame(t, out, len, fixture);
		n++;
	}
	return n;
}

/* Opens what fuzz_frames opens: a TCP listener on 8080 and a UDP socket on 7. */
static void open_services(struct stack *st, int *lfd, int *ufd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
	*lfd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(*lfd, 0);
	ck_assert_int_eq(ts_bind(st, *lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(ts_listen(st, *lfd, 4), 0);
	*ufd = ts_socket(st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(*ufd, 0);
	sin.sin_port = htons(7);
	ck_assert_int_eq(ts_bind(st, *ufd, (struct sockaddr *)&sin, sizeof(sin)), 0);
}

/*
 * Replays fixture (relative to tests/frames/) into a fresh test stack and
 * checks the invariants.  Returns the number of frames replayed.
 */
static int replay(const char *fixture)
{
	static char text[1 << 20];
	static uint8_t frame[FRAME_CAP];
	struct ts_test_stack t;
	char full[512];
	int frames = 0;

	snprintf(full, sizeof(full), "%s/%s", frames_dir(), fixture);
	FILE *fp = fopen(full, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", full);
	size_t text_len = fread(text, 1, sizeof(text) - 1, fp);
	fclose(fp);
	text[text_len] = 0;

	ts_test_stack_init(&t, NULL);
	size_t len = ts_load_hex("arp/request.hex", frame, sizeof(frame));
	ts_test_stack_feed(&t, frame, len);
	ck_assert_uint_eq(drain_sent(&t, fixture), 1); /* the ARP reply */
	int lfd, ufd, conns[16], nconns = 0;
	open_services(&t.st, &lfd, &ufd);

	/* Frames are separated by lines starting with "# frame". */
	char *p = text;
	while (p && *p) {
		char *next = strstr(p, "\n# frame");
		if (next)
			*next++ = 0;
		len = ts_parse_hex(p, frame, sizeof(frame));
		if (len) {
			ts_test_stack_feed(&t, frame, len);
			frames++;
		}
		int fd;
		while (nconns < 16 && (fd = ts_accept4(&t.st, lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
			conns[nconns++] = fd;
		drain_sent(&t, fixture);
		p = next;
	}
	for (int i = 0; i < nconns; i++)
		ck_assert_int_eq(ts_close(&t.st, conns[i]), 0);
	ck_assert_int_eq(ts_close(&t.st, ufd), 0);
	ck_assert_int_eq(ts_close(&t.st, lfd), 0);
	drain_sent(&t, fixture);
	for (int i = 0; i < 64; i++) {
		uint64_t next = stack_next_deadline(&t.st);
		if (next == UINT64_MAX)
			break;
		stack_poll(&t.st, next > t.st.now_us ? next : t.st.now_us);
		drain_sent(&t, fixture);
	}
	ts_test_stack_free(&t); /* asserts bufs_live == 0 */
	return frames;
}

/* Every crash the fuzzers found, kept as tests/frames/<layer>/fuzz-<name>.hex. */
START_TEST(fuzz_fixture_replays_cleanly)
{
	ck_assert_int_ge(replay(fuzz_fixtures[_i]), 1);
}
END_TEST

/* The fuzzers' seeds: every golden frame keeps the invariants too. */
START_TEST(golden_frame_replays_cleanly)
{
	ck_assert_int_ge(replay(golden_frames[_i]), 1);
}
END_TEST

/* The fixture sets were found (a wrong TS_FRAMES_DIR would make the loops above empty). */
START_TEST(fixtures_found)
{
	ck_assert_int_ge(n_golden_frames, 10);
	ck_assert_int_ge(n_fuzz_fixtures, 1);
}
END_TEST

static Suite *fuzz_regress_suite(void)
{
	Suite *s = suite_create("fuzz_regress");
	TCase *tc = tcase_create("replay");

	n_fuzz_fixtures = find_fixtures("*/fuzz-*.hex", fuzz_fixtures, 0);
	n_golden_frames = find_fixtures("*/*.hex", golden_frames, 1);
	tcase_add_test(tc, fixtures_found);
	tcase_add_loop_test(tc, fuzz_fixture_replays_cleanly, 0, n_fuzz_fixtures);
	tcase_add_loop_test(tc, golden_frame_replays_cleanly, 0, n_golden_frames);
	suite_add_tcase(s, tc);
	return s;
}

TS_SUITE(fuzz_regress_suite)
