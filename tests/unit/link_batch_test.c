/*
 * link_batch_test.c - the stack's side of the netdev ops flush and
 * recv_batch (stack/netdev.h, stack/stack.c stack_link_flush and
 * stack_read_link), over a fake device in front of a capdev: no kernel, no
 * root.  The device logs every call it gets (F flush, R recv, B
 * recv_batch, S send) so a test asserts their order, not only their count.
 *
 * What is checked: each frame a flush reports refused counts one
 * LINK_TX_FAIL drop; a poll flushes before it reads with recv (and not with
 * recv_batch, which sends the queue itself) and once more at its end, after
 * the last answer; recv_batch frames are handed up in order, the entries
 * after an empty one (len 0) of the same call included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "arp.h"
#include "byteorder.h"
#include "eth.h"
#include "faults.h"
#include "pcap_tee.h"
#include "tcp_frames.h"
#include "trace.h"

#define BD_LOG_MAX 256
#define BD_RX_MAX  64

/* A device that queues nothing itself: sends go to the capdev, reads come from a script. */
struct batchdev {
	struct netdev dev;
	struct capdev *cap;
	char log[BD_LOG_MAX]; /* one letter per call, in order */
	size_t log_n;
	int refuse; /* what the next flush reports refused */
	unsigned flushes;
	/* recv_batch: the entries it hands out in order, a len-0 one an empty read. */
	uint8_t rx[BD_RX_MAX][64];
	size_t rx_len[BD_RX_MAX];
	int rx_n, rx_at;
	int batch_n[BD_RX_MAX]; /* n of each recv_batch call */
	int fail;		/* what recv_batch returns instead of frames, when not 0 */
	int batches;
	unsigned destroyed; /* destroy calls: a wrapper destroys its lower device */
};

static void bd_log(struct batchdev *b, char c)
{
	ck_assert_uint_lt(b->log_n, BD_LOG_MAX - 1);
	b->log[b->log_n++] = c;
	b->log[b->log_n] = 0;
}

static ssize_t bd_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
		       uint64_t now_us)
{
	struct batchdev *b = (struct batchdev *)d;
	bd_log(b, 'R');
	return netdev_recv_meta(capdev_netdev(b->cap), buf, cap, meta, now_us);
}

static int bd_recv_batch(struct netdev *d, struct netdev_rx *rx, int n, uint64_t now_us)
{
	struct batchdev *b = (struct batchdev *)d;
	(void)now_us;
	bd_log(b, 'B');
	if (b->batches < BD_RX_MAX)
		b->batch_n[b->batches] = n;
	b->batches++;
	if (b->fail)
		return b->fail;
	int frames = 0;
	for (int i = 0; i < n && b->rx_at < b->rx_n; i++, b->rx_at++) {
		ck_assert_uint_eq(rx[i].len, 0); /* the caller's: zeroed */
		size_t len = b->rx_len[b->rx_at];
		if (!len)
			continue; /* a read that found the link empty */
		ck_assert_uint_ge(rx[i].cap, len);
		memcpy(rx[i].buf, b->rx[b->rx_at], len);
		rx[i].len = len;
		frames++;
	}
	return frames;
}

static int bd_send(struct netdev *d, const uint8_t *f, size_t len, const struct netdev_meta *m,
		   uint64_t now_us)
{
	struct batchdev *b = (struct batchdev *)d;
	bd_log(b, 'S');
	return netdev_send_meta(capdev_netdev(b->cap), f, len, m, now_us);
}

static void bd_caps(struct netdev *d, struct netdev_caps *caps)
{
	netdev_caps(capdev_netdev(((struct batchdev *)d)->cap), caps);
}

static int bd_flush(struct netdev *d, uint64_t now_us)
{
	struct batchdev *b = (struct batchdev *)d;
	(void)now_us;
	bd_log(b, 'F');
	b->flushes++;
	int r = b->refuse;
	b->refuse = 0;
	return r;
}

static void bd_destroy(struct netdev *d)
{
	((struct batchdev *)d)->destroyed++; /* the test frees the capdev */
}

static const struct netdev_ops bd_ops = {
    .recv = bd_recv,
    .send = bd_send,
    .caps = bd_caps,
    .flush = bd_flush,
    .destroy = bd_destroy,
};
static const struct netdev_ops bd_batch_ops = {
    .recv = bd_recv,
    .recv_batch = bd_recv_batch,
    .send = bd_send,
    .caps = bd_caps,
    .flush = bd_flush,
};

/* A stack (tsunit's defaults: 10.0.0.2, 02:00:00:00:00:02) over a new batchdev. */
static void bd_stack(struct stack *st, struct batchdev *b, bool batch)
{
	memset(b, 0, sizeof(*b));
	b->cap = capdev_new();
	b->dev.ops = batch ? &bd_batch_ops : &bd_ops;
	snprintf(b->dev.name, sizeof(b->dev.name), "batchdev");
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	ck_assert_int_eq(stack_init(st, &cfg, &b->dev, 1000000), 0);
	b->log_n = 0; /* what stack_init did is not what these tests look at */
	b->log[0] = 0;
	b->flushes = 0;
}

static void bd_free(struct stack *st, struct batchdev *b)
{
	ck_assert(stack_rx_balanced(st) && st->rx_unaccounted == 0);
	stack_destroy(st);
	ck_assert_int_eq(st->bufs_live, 0);
	capdev_free(b->cap);
}

/* An ARP request for the stack's address from ip, MAC 02:00:00:00:01:<ip's last octet>. */
static size_t arp_request_from(uint8_t *f, uint32_t ip)
{
	uint8_t mac[6] = {0x02, 0, 0, 0, 1, (uint8_t)ip};
	struct arp_view v = {.op = ARP_OP_REQUEST, .spa = ip, .tpa = TS_OUR_IP};
	memcpy(v.sha, mac, 6);
	eth_build(f, eth_broadcast, mac, ETH_TYPE_ARP);
	arp_build(f + 14, &v);
	return 42;
}

/* Takes the stack's next sent frame: an ARP reply to ip. */
static void expect_arp_reply_to(struct capdev *c, uint32_t ip)
{
	uint8_t f[128];
	ck_assert_uint_ge(capdev_take(c, f, sizeof(f)), 42);
	ck_assert_uint_eq(get_be16(f + 12), ETH_TYPE_ARP);
	ck_assert_uint_eq(get_be16(f + 20), ARP_OP_REPLY);
	ck_assert_uint_eq(get_be32(f + 28), TS_OUR_IP);
	ck_assert_uint_eq(get_be32(f + 38), ip);
}

/* Every frame a flush reports refused is one LINK_TX_FAIL drop. */
START_TEST(flush_refused_counts_link_tx_fail)
{
	struct stack st;
	struct batchdev b;
	bd_stack(&st, &b, false);
	uint64_t before = st.drops[DROP_LINK_TX_FAIL];
	b.refuse = 2;
	stack_poll(&st, st.now_us);
	ck_assert_uint_eq(st.drops[DROP_LINK_TX_FAIL] - before, 2);
	ck_assert_uint_ge(b.flushes, 1);
	/* Reported once: the next poll's flushes refuse nothing. */
	stack_poll(&st, st.now_us);
	ck_assert_uint_eq(st.drops[DROP_LINK_TX_FAIL] - before, 2);
	bd_free(&st, &b);
}
END_TEST

/*
 * With recv: a poll flushes what the application sent before it reads the
 * link (R), and again at its end, after the answer it sent (S).
 */
START_TEST(poll_flushes_before_recv_and_at_end)
{
	struct stack st;
	struct batchdev b;
	uint8_t f[64];
	bd_stack(&st, &b, false);
	capdev_inject(b.cap, f, arp_request_from(f, TS_PEER_IP));
	stack_poll(&st, st.now_us);
	ck_assert_str_eq(b.log, "FRSRF");
	expect_arp_reply_to(b.cap, TS_PEER_IP);
	/* An empty poll still ends with a flush (a timer's frame would go then). */
	b.log_n = 0;
	stack_poll(&st, st.now_us);
	ck_assert_str_eq(b.log, "FRF");
	/* stack_destroy sends what closing the sockets queued: its last act on the link. */
	b.log_n = 0;
	bd_free(&st, &b);
	ck_assert_uint_ge(b.log_n, 1);
	ck_assert_int_eq(b.log[b.log_n - 1], 'F');
}
END_TEST

/*
 * With recv_batch: three frames, the third after an empty entry of the same
 * call, are all handed up in arrival order; no flush before the reads
 * (recv_batch sends the queue), one at the end after the answers.
 */
START_TEST(recv_batch_in_order_past_an_empty_entry)
{
	struct stack st;
	struct batchdev b;
	bd_stack(&st, &b, true);
	const uint32_t from[3] = {TS_PEER_IP, 0x0a000003u, 0x0a000004u};
	/* The first call asks for 2 (stack.c: last poll's frames + 1, at least 2): it takes
	 * the first two and, having filled them all, asks for 4: the empty one, then the
	 * third. */
	b.rx_len[0] = arp_request_from(b.rx[0], from[0]);
	b.rx_len[1] = arp_request_from(b.rx[1], from[1]);
	b.rx_len[2] = 0;
	b.rx_len[3] = arp_request_from(b.rx[3], from[2]);
	b.rx_n = 4;
	stack_poll(&st, st.now_us);
	ck_assert_int_eq(b.rx_at, 4);
	ck_assert_int_eq(b.batches, 2);
	ck_assert_int_eq(b.batch_n[0], 2);
	ck_assert_int_eq(b.batch_n[1], 4);
	ck_assert_str_eq(b.log, "BSSBSF");
	ck_assert_uint_eq(capdev_sent_count(b.cap), 3);
	for (int i = 0; i < 3; i++)
		expect_arp_reply_to(b.cap, from[i]);
	ck_assert_uint_eq(st.counters[CTR_ARP_RX], 3);
	/* The next poll asks for one more than this one brought, and finds nothing. */
	b.log_n = 0;
	stack_poll(&st, st.now_us);
	ck_assert_int_eq(b.batch_n[2], 4);
	ck_assert_str_eq(b.log, "BF");
	bd_free(&st, &b);
}
END_TEST

/*
 * The wrappers (fault injection, pcap and pcapng writers, tracer) pass
 * flush down and its count of refused frames up, and do not offer
 * recv_batch (netdev.h: rx_verdict is told one frame at a time); a stack
 * over all of them still counts the lower device's refusals.
 */
START_TEST(wrappers_forward_flush)
{
	struct batchdev b;
	char err[256];
	memset(&b, 0, sizeof(b));
	b.cap = capdev_new();
	b.dev.ops = &bd_ops;
	snprintf(b.dev.name, sizeof(b.dev.name), "batchdev");
	FILE *devnull = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(devnull);
	struct fault_spec none = {.seed = 1};
	struct netdev *w[4];
	w[0] = faults_wrap(&b.dev, &none);
	w[1] = pcap_tee_wrap(&b.dev, "/dev/null", err, sizeof(err));
	w[2] = pcapng_tee_wrap(&b.dev, "/dev/null", err, sizeof(err));
	w[3] = trace_wrap(&b.dev, devnull);
	for (int i = 0; i < 4; i++) {
		ck_assert_msg(w[i] != NULL, "wrapper %d: %s", i, err);
		ck_assert_ptr_null(w[i]->ops->recv_batch);
		b.refuse = 3;
		unsigned before = b.flushes;
		ck_assert_int_eq(netdev_flush(w[i], 0), 3);
		ck_assert_uint_eq(b.flushes, before + 1);
		ck_assert_int_eq(netdev_flush(w[i], 0), 0);
		netdev_destroy(w[i]);
	}
	ck_assert_uint_eq(b.destroyed, 4);
	/* Stacked as tapstack stacks them, under a stack. */
	struct netdev *top = trace_wrap(
	    pcapng_tee_wrap(faults_wrap(&b.dev, &none), "/dev/null", err, sizeof(err)), devnull);
	ck_assert_ptr_nonnull(top);
	struct stack st;
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	ck_assert_int_eq(stack_init(&st, &cfg, top, 1000000), 0);
	uint64_t drops = st.drops[DROP_LINK_TX_FAIL];
	b.refuse = 2;
	stack_poll(&st, st.now_us);
	ck_assert_uint_eq(st.drops[DROP_LINK_TX_FAIL] - drops, 2);
	stack_destroy(&st);
	netdev_destroy(top);
	ck_assert_uint_eq(b.destroyed, 5);
	fclose(devnull);
	capdev_free(b.cap);
}
END_TEST

/*
 * How many frames the stack asks for: twice as many after a call that
 * filled every buffer, at most 16; the next poll one more than the last
 * brought (at most 16).  Forty frames, all in order.
 */
START_TEST(recv_batch_sizes_double_up_to_16)
{
	struct stack st;
	struct batchdev b;
	bd_stack(&st, &b, true);
	enum { FRAMES = 40 };
	for (int i = 0; i < FRAMES; i++)
		b.rx_len[i] = arp_request_from(b.rx[i], 0x0a000010u + (uint32_t)i);
	b.rx_n = FRAMES;
	stack_poll(&st, st.now_us);
	/* 2+4+8+16 = 30 filled their buffers; 16 more asked, 10 came. */
	const int want[] = {2, 4, 8, 16, 16};
	ck_assert_int_eq(b.batches, 5);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(b.batch_n[i], want[i]);
	ck_assert_uint_eq(capdev_sent_count(b.cap), FRAMES);
	for (int i = 0; i < FRAMES; i++)
		expect_arp_reply_to(b.cap, 0x0a000010u + (uint32_t)i);
	ck_assert(st.link_empty);
	stack_poll(&st, st.now_us);
	ck_assert_int_eq(b.batch_n[5], 16);
	stack_poll(&st, st.now_us);
	ck_assert_int_eq(b.batch_n[6], 2); /* the last poll brought none */
	bd_free(&st, &b);
}
END_TEST

/* A recv_batch that fails: nothing handed up, no buffer kept, the link not taken for empty. */
START_TEST(recv_batch_error_frees_buffers)
{
	struct stack st;
	struct batchdev b;
	bd_stack(&st, &b, true);
	b.fail = -EIO;
	stack_poll(&st, st.now_us);
	ck_assert_int_eq(b.batches, 1);
	ck_assert(!st.link_empty); /* epoll, not the last read, says when to read again */
	ck_assert_str_eq(b.log, "BF");
	ck_assert_uint_eq(st.counters[CTR_ETH_RX], 0);
	b.fail = 0;
	stack_poll(&st, st.now_us);
	ck_assert(st.link_empty);
	bd_free(&st, &b);
}
END_TEST

static Suite *link_batch_suite(void)
{
	Suite *s = suite_create("link_batch");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, flush_refused_counts_link_tx_fail);
	tcase_add_test(tc, poll_flushes_before_recv_and_at_end);
	tcase_add_test(tc, recv_batch_in_order_past_an_empty_entry);
	tcase_add_test(tc, wrappers_forward_flush);
	tcase_add_test(tc, recv_batch_sizes_double_up_to_16);
	tcase_add_test(tc, recv_batch_error_frees_buffers);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(link_batch_suite)
