/*
 * stack.c - struct stack's life cycle and its main loop: read frames from
 * the link, hand them to Ethernet, fire timers, and sleep in the kernel
 * until the next frame or deadline.  Also the drop exit (ts_drop), the RNG
 * and the trace sink.
 */
#include "stack.h"

#include "icmp6.h"
#include "ipv6.h"
#include "ipv6_reass.h"
#include "mld6.h"
#include "rd6.h"
#include "nd6.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "eth.h"
#include "ip_pmtu.h"
#include "tapstack.h"
#include "netdev.h"
#include "task.h"

/*
 * Frames handled per stack_poll before timers get their turn.  The poll
 * drains the link until it has nothing (EAGAIN on a TAP) or this many:
 * a TAP queues at most 500 frames (tun's TUN_READQ_SIZE), so a wake-up
 * normally empties it, while a sender faster than us cannot keep the
 * timers waiting for more than one batch.
 */
#define STACK_RX_BATCH 512
/*
 * Frames asked for per recv_batch call, at most: as many large buffers as
 * the pool keeps (TS_BUF_BIG_POOL_MAX), so a batch costs no malloc.
 */
#define STACK_RX_VEC 16

static void stack_link_flush(struct stack *st);

void ts_config_default(struct ts_config *c)
{
	memset(c, 0, sizeof(*c));
	c->ip = 0x0a000002; /* 10.0.0.2 */
	c->prefix_len = 24;
	memcpy(c->mac, (uint8_t[6]){0x02, 0, 0, 0, 0, 0x02}, 6);
	c->mtu = 1500;
	c->trace_out = stderr;
	c->gratuitous_arp = true;
	c->arp_ttl_ms = 60000;
	c->arp_retry_ms = 1000;
	c->arp_retries = 3;
	c->arp_queue_max = 64;
	/* Linux: unres_qlen_bytes = SK_WMEM_MAX (212992), room for a
	 * 65535-octet datagram's 45 fragments at 2.3 KB of skb each; each of
	 * ours holds a 9.5 KB standard buffer, so the same room is 512 KiB.
	 * gc_thresh2/3 = 512/1024 in Linux, halved here with the table.  The
	 * total has no Linux counterpart: it bounds what an attacker who makes
	 * us resolve many addresses can pin (4 full queues). */
	c->arp_unres_qlen_bytes = 512u << 10;
	c->arp_unres_total_bytes = 2u << 20;
	c->arp_gc_thresh2 = 256;
	c->arp_gc_thresh3 = 512;
	c->ttl = 64;
	/* fd00::2/64 (SPEC.md --ip6): a unique local address (RFC 4193). */
	c->ip6[0] = 0xfd;
	c->ip6[15] = 2;
	c->ip6_prefix_len = 64;
	c->nd6_queue_max = 3; /* RFC 4861 §7.2.2: "SHOULD ... at least one"; Linux queues 3 */
	c->nd6_unres_total_bytes = 2u << 20; /* as arp_unres_total_bytes */
	c->nd6_max_entries = 256;
	c->ip6_reass_timeout_ms = 60000;   /* RFC 8200 §4.5; Linux ip6frag_time */
	c->ip6_reass_max_bytes = 4u << 20; /* as reass_max_bytes (Linux ip6frag_high_thresh) */
	c->ip6_reass_max_dgrams = 64;
	c->reass_timeout_ms = 30000;
	c->reass_max_bytes = 4u << 20;
	c->reass_max_datagrams = 64;
	c->pmtu_expires_ms = 600000;
	c->icmp_err_rate = 100;
	c->icmp_err_burst = 50;
	c->tcp_msl_ms = 30000;
	c->tcp_min_rto_ms = 200;
	c->tcp_max_rto_ms = 120000;
	c->tcp_init_rto_ms = 1000;
	c->tcp_delack_ms = 40;
	c->tcp_rcvbuf = 256 * 1024;
	/* Deviation from Linux (tcp_rmem[2] 6 MiB, a 64 KiB first window): the
	 * window covers the default buffer from the start, as the golden
	 * traces show; set both (e.g. 6 MiB and 64 KiB) for Linux's shape. */
	c->tcp_rcvbuf_max = 0;
	c->tcp_init_rcv_wnd = 0;
	c->tcp_sndbuf = 256 * 1024;
	c->tcp_syn_retries = 6;
	c->tcp_max_retries = 15;
	c->tcp_max_syn_backlog = 1024;
	c->tcp_synack_retries = 5;
	c->tcp_syncookies = 1;
	c->tcp_keepidle_s = 7200;
	c->tcp_keepintvl_s = 75;
	c->tcp_keepcnt = 9;
	c->tcp_max_ofo_bytes = 256 * 1024;
	c->tcp_invalid_ratelimit_ms = 500;
	c->tcp_challenge_ack_limit = 0;
	c->tcp_orphan_retries = 8;
	c->tcp_max_orphans = 4096;
	c->tcp_orphan_max_bytes = 64u << 20;
	snprintf(c->tcp_congestion, sizeof(c->tcp_congestion), "cubic");
	c->tcp_sack = true;
	c->tcp_timestamps = true;
	c->udp_rcvbuf = 208 * 1024;
}

uint64_t ts_clock_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t ts_now_us(const struct stack *st)
{
	return st->now_us;
}

uint64_t ts_rand(struct stack *st)
{
	/* xorshift64* (Vigna): small, fast, good enough for IDs and ports. */
	uint64_t x = st->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static int kernel_wait_setup(struct stack *st)
{
	int lfd = netdev_pollfd(st->dev);

	st->kq = st->tfd = -1;
	st->tfd_armed_us = UINT64_MAX;
	if (lfd < 0)
		return 0; /* in-memory link: the caller drives the clock */
	st->kq = epoll_create1(EPOLL_CLOEXEC);
	st->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (st->kq < 0 || st->tfd < 0)
		return -errno;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
	if (epoll_ctl(st->kq, EPOLL_CTL_ADD, lfd, &ev) < 0)
		return -errno;
	ev.data.fd = st->tfd;
	if (epoll_ctl(st->kq, EPOLL_CTL_ADD, st->tfd, &ev) < 0)
		return -errno;
	return 0;
}

/*
 * Asks the link what it can do, once.  The datagram size is the smaller of
 * what the user configured and what the link carries (its MTU, and its
 * largest frame less the Ethernet header); a VERIFIED frame from a link
 * that declared no receive validation is not believed (stack_poll).
 */
static void link_caps_init(struct stack *st)
{
	netdev_caps(st->dev, &st->link);
	if (st->link.mtu && st->link.mtu < st->cfg.mtu)
		st->cfg.mtu = st->link.mtu;
	if (st->link.max_tx_frame > ETH_HDR_LEN &&
	    st->link.max_tx_frame - ETH_HDR_LEN < st->cfg.mtu)
		st->cfg.mtu = st->link.max_tx_frame - ETH_HDR_LEN;
	if (st->link.max_rx_frame == 0)
		st->link.max_rx_frame = NETDEV_JUMBO_FRAME; /* a caps op that left it unset */
}

int stack_init(struct stack *st, const struct ts_config *cfg, struct netdev *dev, uint64_t now_us)
{
	int err;

	memset(st, 0, sizeof(*st));
	st->cfg = *cfg;
	if (!st->cfg.trace_out)
		st->cfg.trace_out = stderr;
	st->dev = dev;
	link_caps_init(st);
	st->now_us = now_us;
	st->rng = cfg->seed;
	if (!st->rng && getrandom(&st->rng, sizeof(st->rng), 0) != sizeof(st->rng))
		st->rng = ts_clock_us();
	st->rng |= 1; /* xorshift must not start at 0 */
	st->kq = st->tfd = -1;

	if ((err = kernel_wait_setup(st)) < 0 || (err = arp_init(st)) < 0 ||
	    (err = ipv4_init(st)) < 0 || (err = ipv4_reass_init(st)) < 0 ||
	    (err = ip_pmtu_init(st)) < 0 || (err = icmp_init(st)) < 0 ||
	    (err = ipv6_init(st)) < 0 || (err = icmp6_init(st)) < 0 || (err = nd6_init(st)) < 0 ||
	    (err = ipv6_reass_init(st)) < 0 || (err = mld6_init(st)) < 0 ||
	    (err = rd6_init(st)) < 0 || (err = udp_init(st)) < 0 || (err = tcp_init(st)) < 0) {
		stack_destroy(st);
		return err;
	}
	if (st->cfg.gratuitous_arp)
		arp_announce(st);
	/* RFC 4862 §5.4.2: the addresses are tentative, their groups joined
	 * (the MLD report, from ::), then probed. */
	if (st->cfg.dad)
		ipv6_dad_begin(st);
	if (st->cfg.mld_reports)
		mld6_start(st);
	if (st->cfg.dad)
		ipv6_dad_probe(st);
	if (st->cfg.router_solicit)
		rd6_start(st);
	return 0;
}

bool stack_trace_parse(const char *list, unsigned *out)
{
	char buf[128];
	unsigned bits = 0;
	if (strlen(list) >= sizeof(buf))
		return false;
	strcpy(buf, list);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "layers"))
			bits |= TS_TRACE_LAYERS;
		else if (!strcmp(tok, "api"))
			bits |= TS_TRACE_API;
		else if (!strcmp(tok, "tcp"))
			bits |= TS_TRACE_TCP;
		else if (!strcmp(tok, "sched"))
			bits |= TS_TRACE_SCHED;
		else if (!strcmp(tok, "all"))
			bits |= TS_TRACE_LAYERS | TS_TRACE_API | TS_TRACE_TCP | TS_TRACE_SCHED;
		else
			return false;
	}
	*out = bits;
	return true;
}

void stack_shutdown(struct stack *st)
{
	tcp_reset_all(st);
}

void stack_destroy(struct stack *st)
{
	ts_fdtable_destroy(st); /* closes sockets first: they may still send */
	stack_shutdown(st);
	task_sched_destroy(st);
	stack_link_flush(st); /* the RSTs and FINs those sent */
	tcp_destroy(st);
	udp_destroy(st);
	rd6_destroy(st);
	mld6_destroy(st);
	nd6_destroy(st);
	ipv6_reass_destroy(st);
	icmp6_destroy(st);
	ipv6_destroy(st);
	icmp_destroy(st);
	ip_pmtu_destroy(st);
	ipv4_reass_destroy(st);
	ipv4_destroy(st);
	arp_destroy(st);
	ts_timer_heap_destroy(&st->timers);
	ts_buf_pool_destroy(st);
	if (st->kq >= 0)
		close(st->kq);
	if (st->tfd >= 0)
		close(st->tfd);
	st->kq = st->tfd = -1;
}

void stack_input(struct stack *st, struct ts_buf *b)
{
	ts_count(st, CTR_ETH_RX);
	b->rx = 1;
	eth_input(st, b);
}

/*
 * A buffer whose payload lives in a send ring (ts_buf ext pieces) goes out
 * in pieces when the device takes them (netdev sendv: one writev on a
 * TAP), else it is linearized, the one copy the zero-copy path saves.
 */
int stack_link_output(struct stack *st, struct ts_buf *b)
{
	struct netdev_meta m;
	ts_buf_meta_to_link(b, &m);
	int err;
	if (b->n_ext && netdev_has_sendv(st->dev)) {
		struct iovec iov[1 + TS_BUF_EXT_MAX];
		size_t len = ts_buf_len(b);
		iov[0].iov_base = b->data;
		iov[0].iov_len = len - ts_buf_ext_len(b);
		for (unsigned i = 0; i < b->n_ext; i++) {
			iov[1 + i].iov_base = (void *)(uintptr_t)b->ext[i].base;
			iov[1 + i].iov_len = b->ext[i].len;
		}
		err = netdev_sendv(st->dev, iov, 1 + b->n_ext, len, &m, st->now_us);
	} else {
		ts_buf_linearize(b);
		err = netdev_send_meta(st->dev, b->data, ts_buf_len(b), &m, st->now_us);
	}
	if (err < 0) {
		ts_drop(st, b, DROP_LINK_TX_FAIL);
		return err;
	}
	ts_count(st, CTR_ETH_TX);
	ts_buf_free(st, b);
	return 0;
}

/*
 * A frame that arrived in a large receive buffer but fits a standard one
 * moves there (one copy of a small frame), and the large buffer stays
 * with the receive loop for the next frame: only frames that need 64 KiB
 * hold 64 KiB, so a queue of small datagrams (UDP, ARP, reassembly) pins
 * what it would without GSO.  Returns the buffer to hand up.
 */
static struct ts_buf *rx_right_size(struct stack *st, struct ts_buf *b, struct ts_buf **spare)
{
	size_t len = ts_buf_len(b);
	if (b->cap <= TS_BUF_STD_SIZE || len + TS_BUF_HEADROOM > TS_BUF_STD_SIZE)
		return b;
	struct ts_buf *small = ts_buf_alloc(st, len, TS_BUF_HEADROOM);
	if (!small)
		return b; /* the large one will do */
	memcpy(ts_buf_put(small, len), b->data, len);
	b->tail = b->data;
	*spare = b;
	return small;
}

/*
 * Sends what the device queued (netdev_ops.flush: the TAP's io_uring
 * batch); the frames it refused count as LINK_TX_FAIL, as a refused send
 * does.
 */
static void stack_link_flush(struct stack *st)
{
	for (int n = netdev_flush(st->dev, st->now_us); n > 0; n--)
		ts_drop(st, NULL, DROP_LINK_TX_FAIL);
}

/*
 * Hands one frame read from the link to the stack, and tells the link
 * what became of it (netdev.h: before the next recv).
 */
static void stack_rx_frame(struct stack *st, struct ts_buf *b, const struct netdev_meta *m,
			   struct ts_buf **spare)
{
	b = rx_right_size(st, b, spare);
	st->rx_cur = b;
	st->rx_cur_drop = DROP_NONE;
	if (ts_buf_meta_from_link(b, m) < 0) {
		ts_count(st, CTR_ETH_RX);
		b->rx = 1;
		ts_drop(st, b, DROP_LINK_BAD_META);
	} else {
		if (b->csum == NETDEV_CSUM_VERIFIED && !st->link.rx_csum)
			b->csum = NETDEV_CSUM_NONE; /* the link said it validates nothing */
		stack_input(st, b);
	}
	st->rx_cur = NULL;
	netdev_rx_verdict(st->dev, st->rx_cur_drop, st->now_us);
}

/*
 * Reads the link until it is empty or STACK_RX_BATCH frames were handled,
 * through recv_batch when the device has it: then the frames of one call
 * are read (and what the device queued is sent) in one system call.  The
 * first call asks for one frame more than the last poll brought, a call
 * after one that filled every buffer for twice as many, up to
 * STACK_RX_VEC: a read that finds nothing costs little inside the call,
 * but each needs a buffer as large as the largest frame.  Returns the
 * frames handled.
 */
static int stack_read_link(struct stack *st)
{
	int handled = 0;
	struct ts_buf *spare = NULL;
	if (!st->dev->ops->recv_batch) {
		for (int i = 0; i < STACK_RX_BATCH; i++) {
			/* As large as the largest frame the link delivers (a GRO one
			 * included), so no frame is cut. */
			struct ts_buf *b =
			    spare ? spare
				  : ts_buf_alloc(st, st->link.max_rx_frame, TS_BUF_HEADROOM);
			spare = NULL;
			if (!b) {
				ts_drop(st, NULL, DROP_LINK_NOMEM);
				break;
			}
			struct netdev_meta m;
			ssize_t n =
			    netdev_recv_meta(st->dev, b->data, ts_buf_tailroom(b), &m, st->now_us);
			if (n <= 0) {
				st->link_empty = n == 0;
				spare = b;
				break;
			}
			ts_buf_put(b, (size_t)n);
			handled++;
			stack_rx_frame(st, b, &m, &spare);
		}
		ts_buf_free(st, spare);
		return handled;
	}
	int want = st->rx_vec_want < 2 ? 2 : st->rx_vec_want;
	while (handled < STACK_RX_BATCH) {
		struct ts_buf *bufs[STACK_RX_VEC];
		struct netdev_rx rx[STACK_RX_VEC];
		int k = 0;
		for (; k < want; k++) {
			bufs[k] = ts_buf_alloc(st, st->link.max_rx_frame, TS_BUF_HEADROOM);
			if (!bufs[k])
				break;
			rx[k] = (struct netdev_rx){.buf = bufs[k]->data,
						   .cap = ts_buf_tailroom(bufs[k])};
		}
		if (!k) {
			ts_drop(st, NULL, DROP_LINK_NOMEM);
			break;
		}
		int n = st->dev->ops->recv_batch(st->dev, rx, k, st->now_us);
		int frames = 0;
		for (int i = 0; i < k; i++) {
			if (n <= 0 || !rx[i].len) {
				ts_buf_free(st, bufs[i]);
				continue;
			}
			ts_buf_put(bufs[i], rx[i].len);
			frames++;
			stack_rx_frame(st, bufs[i], &rx[i].meta, &spare);
			ts_buf_free(st, spare);
			spare = NULL;
		}
		handled += frames;
		want = 2 * k < STACK_RX_VEC ? 2 * k : STACK_RX_VEC; /* more may wait */
		if (frames < k) {
			/* A read found the link empty (or it failed: then epoll says
			 * when to try again). */
			st->link_empty = n >= 0;
			break;
		}
	}
	st->rx_vec_want = handled + 1 < STACK_RX_VEC ? handled + 1 : STACK_RX_VEC;
	return handled;
}

/*
 * stack_poll, with the link read or not: stack_wait skips the read when the
 * last one found the link empty and the kernel has not said otherwise
 * since (st->link_empty), since it is about to ask epoll anyway.
 */
static int stack_poll_link(struct stack *st, uint64_t now_us, bool read_link)
{
	int handled = 0;

	if (now_us > st->now_us)
		st->now_us = now_us;
	/* Input first, for the whole batch; the TCP output it makes due (ACKs,
	 * data the peer's window opened) goes out once per connection at the
	 * end of it (tcp_batch_end). */
	tcp_batch_begin(st);
	/* What the application sent since the last poll leaves before we read
	 * what may answer it (recv_batch sends it in the same call). */
	if (!read_link || !st->dev->ops->recv_batch)
		stack_link_flush(st);
	st->link_empty = false;
	if (read_link)
		handled += stack_read_link(st);
	tcp_batch_end(st);
	handled += ts_timer_run(st, st->now_us);
	/* The tasks those frames and timers woke (task.c), unless a task polls. */
	if (st->sched)
		handled += task_run_ready(st);
	stack_link_flush(st);
	return handled;
}

int stack_poll(struct stack *st, uint64_t now_us)
{
	return stack_poll_link(st, now_us, true);
}

uint64_t stack_next_deadline(struct stack *st)
{
	uint64_t t = ts_timer_next(st), d = netdev_next_deadline(st->dev);
	return t < d ? t : d;
}

/*
 * Arms the timerfd to an absolute CLOCK_MONOTONIC deadline, unless it is
 * already armed to fire no later: a deadline that moved later (the
 * retransmission timer, restarted by every request) then costs one early
 * wake-up when the old one passes, instead of a timerfd_settime(2) per
 * sleep (one system call of a -c1 request's five).
 */
static void arm_timerfd(struct stack *st, uint64_t deadline_us)
{
	if (st->tfd_armed_us <= deadline_us)
		return;
	st->tfd_armed_us = deadline_us;
	struct itimerspec its = {0};
	if (deadline_us != UINT64_MAX) {
		if (deadline_us == 0)
			deadline_us = 1; /* 0 would disarm: fire at once instead */
		its.it_value.tv_sec = (time_t)(deadline_us / 1000000u);
		its.it_value.tv_nsec = (long)(deadline_us % 1000000u) * 1000;
	}
	timerfd_settime(st->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int stack_wait(struct stack *st, int timeout_ms)
{
	uint64_t start = ts_clock_us();
	uint64_t until = timeout_ms < 0 ? UINT64_MAX : start + (uint64_t)timeout_ms * 1000u;

	for (;;) {
		if (st->stop && *st->stop)
			return -EINTR;
		/*
		 * A link that was empty at the last read and that epoll has not
		 * reported since is not read again: a read would only say EAGAIN
		 * (at -c1 that was two of a request's five system calls), and if a
		 * frame came in meanwhile the epoll_wait below returns at once.
		 * Unless a wrapper holds a frame now due (--faults delay): only a
		 * read releases it.
		 */
		uint64_t t = ts_clock_us();
		bool skip = st->kq >= 0 && st->link_empty && netdev_next_deadline(st->dev) > t;
		int n = stack_poll_link(st, t, !skip);
		if (skip)
			st->link_empty = true;
		if (n > 0)
			return n;
		uint64_t now = ts_clock_us();
		if (now >= until || st->kq < 0)
			return 0;
		uint64_t next = stack_next_deadline(st);
		if (next > until)
			next = until;
		int ms = -1;
		if (next != UINT64_MAX) {
			/* Sub-millisecond deadlines go through the timerfd; epoll's
			 * own timeout only caps the sleep. */
			arm_timerfd(st, next);
			uint64_t left = next > now ? next - now : 0;
			ms = (int)((left + 999) / 1000) + 1;
		}
		struct epoll_event evs[2];
		int r = epoll_wait(st->kq, evs, 2, ms);
		if (r < 0 && errno == EINTR)
			return -EINTR;
		for (int i = 0; i < r; i++)
			if (evs[i].data.fd == st->tfd) {
				uint64_t expirations;
				if (read(st->tfd, &expirations, sizeof(expirations)) < 0)
					(void)0;	       /* EAGAIN: already consumed */
				st->tfd_armed_us = UINT64_MAX; /* it fired: armed to nothing */
			} else {
				st->link_empty = false; /* the link fd: frames wait */
			}
	}
}

int ts_set_wait_hook(struct stack *st, int (*fn)(struct stack *st, uint64_t until_us, void *ctx),
		     void *ctx)
{
	st->wait_hook = fn;
	st->wait_ctx = fn ? ctx : NULL;
	return 0;
}

uint64_t stack_clock(const struct stack *st)
{
	return st->wait_hook || st->kq < 0 ? st->now_us : ts_clock_us();
}

int stack_block(struct stack *st, uint64_t until_us)
{
	if (st->stop && *st->stop)
		return -EINTR;
	if (task_running(st))
		return task_block(st, until_us); /* a task parks; the scheduler sleeps */
	if (st->wait_hook) {
		if (stack_poll(st, st->now_us) > 0)
			return 0;
		if (st->now_us >= until_us)
			return -ETIMEDOUT;
		return st->wait_hook(st, until_us, st->wait_ctx) ? 0 : -EAGAIN;
	}
	if (st->kq < 0) {
		/* Nobody else moves this clock: poll once, then give up. */
		if (stack_poll(st, st->now_us) > 0)
			return 0;
		return st->now_us >= until_us ? -ETIMEDOUT : -EAGAIN;
	}
	uint64_t now = ts_clock_us();
	if (now >= until_us)
		return -ETIMEDOUT;
	uint64_t ms = until_us == UINT64_MAX ? UINT64_MAX : (until_us - now + 999) / 1000;
	return stack_wait(st, ms > INT_MAX ? -1 : (int)ms) == -EINTR ? -EINTR : 0;
}

void ts_drop(struct stack *st, struct ts_buf *b, enum ts_drop_reason reason)
{
	if (reason > DROP_NONE && reason < DROP_MAX) {
		st->drops[reason]++;
		if (b && b->rx) {
			st->rx_drops[reason]++;
			if (b == st->rx_cur)
				st->rx_cur_drop = reason; /* for netdev_rx_verdict */
		}
	}
	if (b)
		b->rx = 0; /* its exit is this drop (a reason out of range is a bug) */
	if (ts_tracing(st, TS_TRACE_LAYERS))
		ts_trace(st, TS_TRACE_LAYERS, "   drop %s\n", ts_drop_name(reason));
	ts_buf_free(st, b);
}

void ts_rx_delivered(struct stack *st, struct ts_buf *b)
{
	if (!b || !b->rx)
		return;
	b->rx = 0;
	ts_count(st, CTR_RX_DELIVERED);
}

void ts_buf_consume(struct stack *st, struct ts_buf *b)
{
	ts_rx_delivered(st, b);
	ts_buf_free(st, b);
}

uint64_t stack_rx_held(const struct stack *st)
{
	return st->udp ? udp_rx_held(st) : 0;
}

uint64_t stack_rx_dropped(const struct stack *st)
{
	uint64_t n = 0;
	for (int r = 0; r < DROP_MAX; r++)
		n += st->rx_drops[r];
	return n;
}

bool stack_rx_balanced(const struct stack *st)
{
	return st->counters[CTR_ETH_RX] ==
	       st->counters[CTR_RX_DELIVERED] + stack_rx_dropped(st) + stack_rx_held(st);
}

void ts_trace(struct stack *st, unsigned category, const char *fmt, ...)
{
	va_list ap;
	if (!(st->cfg.trace & category))
		return;
	va_start(ap, fmt);
	vfprintf(st->cfg.trace_out, fmt, ap);
	va_end(ap);
	fflush(st->cfg.trace_out);
}
