/*
 * stack.h - struct stack: every piece of state of one userspace TCP/IP
 * stack, passed explicitly (no globals, so two stacks run in one process for
 * the two-stack tests), and the calls that drive it.
 *
 * Call order of one iteration (stack_poll):
 *   netdev recv → eth_input → arp_input | ipv4_input → icmp/udp/tcp_input
 *   → socket buffers → ts_sock_wakeup → epoll ready list
 * then expired timers (ARP, reassembly, TCP).  Output runs the other way:
 *   tcp/udp/icmp_output → ipv4_output → arp_resolve → eth_output → netdev send.
 *
 * Time and randomness are inputs: st->now_us is set by stack_poll from the
 * clock the caller passes, and ISS, IP ID and ephemeral ports come from the
 * stack's seeded RNG.
 */
#ifndef TS_STACK_H
#define TS_STACK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arp.h"
#include "buf.h"
#include "counters.h"
#include "drop.h"
#include "icmp.h"
#include "ipv4.h"
#include "ipv4_reass.h"
#include "socket.h"
#include "tcp.h"
#include "timer.h"
#include "udp.h"

struct netdev;
struct ts_sched;

/* --trace categories. */
enum {
	TS_TRACE_LAYERS = 1u << 0, /* one line per frame, every header (tap/trace.c) */
	TS_TRACE_API = 1u << 1,	   /* strace-style line per ts_ call (socket.c, epoll.c) */
	TS_TRACE_TCP = 1u << 2,	   /* TCP state transitions (tcp_set_state) */
	TS_TRACE_SCHED = 1u << 3,  /* task go / park / ready / run / exit (task.c) */
};

/*
 * The categories of a --trace list ("layers,api,tcp,sched" or "all", comma
 * separated) into *out; false for an unknown or too long one.  An empty
 * list gives 0.  The program's option and ts_open_tap's config share it.
 */
bool stack_trace_parse(const char *list, unsigned *out);

/*
 * Configuration: defaults in ts_config_default(), filled from the command
 * line by tools/, changed field by field by tests.
 */
struct ts_config {
	uint32_t ip;	     /* our IPv4 address, host order */
	uint8_t prefix_len;  /* connected subnet length */
	uint32_t gw;	     /* default gateway, host order; 0 = none */
	uint8_t mac[6];	     /* our MAC */
	uint32_t mtu;	     /* link MTU (IPv4 datagram size limit) */
	unsigned trace;	     /* TS_TRACE_* bits */
	FILE *trace_out;     /* where traces go (stderr by default) */
	uint64_t seed;	     /* RNG seed; 0 = from the clock and getrandom */
	bool gratuitous_arp; /* announce our address at start-up */
	/* ARP */
	uint32_t arp_ttl_ms;		/* how long a resolved entry stays valid */
	uint32_t arp_retry_ms;		/* interval between requests for a pending entry */
	uint32_t arp_retries;		/* requests before giving up */
	uint32_t arp_queue_max;		/* packets waiting per unresolved next hop */
	uint32_t arp_unres_qlen_bytes;	/* their whole buffers' bytes (Linux unres_qlen_bytes) */
	uint32_t arp_unres_total_bytes; /* bytes waiting for resolution, all next hops */
	uint32_t arp_gc_thresh2;	/* entries above which stale unused ones are collected */
	uint32_t arp_gc_thresh3; /* most entries (Linux gc_thresh3); at most ARP_MAX_ENTRIES */
	/* IPv6 (ipv6.c): our static address (--ip6); the link-local one
	 * comes from mac (modified EUI-64, RFC 4291 §2.5.1).  Hop limit:
	 * ttl below. */
	uint8_t ip6[16];		/* network order; all zero: no static address */
	uint8_t ip6_prefix_len;		/* its on-link prefix */
	uint32_t nd6_queue_max;		/* packets waiting per unresolved IPv6 neighbour */
	uint32_t nd6_unres_total_bytes; /* bytes waiting for ND, all neighbours */
	uint32_t nd6_max_entries;	/* v6 neighbour cache entries (at most ND6_MAX_ENTRIES) */
	uint32_t ip6_reass_timeout_ms;	/* RFC 8200 §4.5 reassembly timer (60 s) */
	uint32_t ip6_reass_max_bytes;	/* memory for all v6 datagrams under reassembly */
	uint32_t ip6_reass_max_dgrams;	/* v6 datagrams under reassembly at once */
	bool dad;			/* duplicate address detection at start-up (RFC 4862
					 * §5.4); off by default, on in tapstack serve */
	bool mld_reports;		/* announce our groups by MLDv2 at start-up (mld6.c);
					 * off by default, on in tapstack serve */
	bool router_solicit;		/* router solicitations at start-up (rd6.c, RFC 4861
					 * §6.3.7); off by default, on in tapstack serve */
	/* IPv4 */
	uint8_t ttl;		      /* TTL of datagrams we originate */
	uint32_t reass_timeout_ms;    /* RFC 791 reassembly timer (Linux: 30 s) */
	uint32_t reass_max_bytes;     /* memory for all datagrams under reassembly */
	uint32_t reass_max_datagrams; /* datagrams under reassembly at once */
	uint32_t pmtu_expires_ms;     /* a learned path MTU is forgotten after this (RFC 1191
				       * §6.3; Linux ip_rt_mtu_expires, 10 min) */
	/* ICMP */
	uint32_t icmp_err_rate;	 /* ICMP errors per second (token bucket) */
	uint32_t icmp_err_burst; /* bucket size */
	/* TCP */
	uint32_t tcp_msl_ms;	      /* TIME-WAIT lasts 2*MSL */
	uint32_t tcp_min_rto_ms;      /* RFC 6298 (2.4) lower bound (Linux 200 ms) */
	uint32_t tcp_max_rto_ms;      /* upper bound */
	uint32_t tcp_init_rto_ms;     /* RFC 6298 (2.1): 1 s */
	uint32_t tcp_delack_ms;	      /* delayed ACK timeout */
	uint32_t tcp_rcvbuf;	      /* default SO_RCVBUF */
	uint32_t tcp_rcvbuf_max;      /* largest receive buffer a connection may grow to,
				       * which the window scale must cover (Linux
				       * tcp_rmem[2]); 0: tcp_rcvbuf */
	uint32_t tcp_init_rcv_wnd;    /* window offered at first, grown by the data that
				       * arrives up to the buffer (Linux: about 64 KiB,
				       * tcp_select_initial_window); 0: the whole buffer */
	uint32_t tcp_sndbuf;	      /* default SO_SNDBUF */
	uint32_t tcp_syn_retries;     /* SYN retransmissions before ETIMEDOUT */
	uint32_t tcp_max_retries;     /* retransmissions / unanswered window probes before
				       * ETIMEDOUT (Linux tcp_retries2: as a time, that of 15
				       * doublings from the minimum RTO, 924.6 s) */
	uint32_t tcp_synack_retries;  /* SYN,ACK retransmissions (Linux tcp_synack_retries 5) */
	uint32_t tcp_max_syn_backlog; /* embryonic connections per listener */
	uint32_t tcp_syncookies;      /* SYN cookies (RFC 4987 §3.6, Linux tcp_syncookies): 0 off,
				       * 1 when the SYN queue is full (default), 2 always */
	uint32_t tcp_keepidle_s;      /* SO_KEEPALIVE defaults (Linux: 7200/75/9) */
	uint32_t tcp_keepintvl_s;
	uint32_t tcp_keepcnt;
	uint32_t tcp_max_ofo_bytes; /* out-of-order bytes held per connection */
	/* ACKs answering invalid segments (RFC 5961 §7): at most one per connection
	 * per tcp_invalid_ratelimit_ms (Linux tcp_invalid_ratelimit, 500 ms; 0 = no
	 * limit), and challenge ACKs of the whole stack at most about
	 * tcp_challenge_ack_limit a second (Linux tcp_challenge_ack_limit; 0 = no
	 * budget, the default, as in Linux since 6.0: see docs/robustness.md). */
	uint32_t tcp_invalid_ratelimit_ms;
	uint32_t tcp_challenge_ack_limit;
	/* Connections the user closed that still hold data or wait for the
	 * peer (orphans, Linux SOCK_DEAD): they give up after
	 * tcp_orphan_retries retransmissions or window probes (Linux
	 * tcp_orphan_retries, whose default 0 means 8; 0 here too), even when
	 * the peer answers the probes with a zero window; beyond
	 * tcp_max_orphans of them, or tcp_orphan_max_bytes of buffers held,
	 * the oldest is reset (Linux tcp_max_orphans, tcp_mem). */
	uint32_t tcp_orphan_retries;
	uint32_t tcp_max_orphans;
	uint32_t tcp_orphan_max_bytes;
	/* Congestion control of new connections (Linux
	 * tcp_congestion_control; --cc): "cubic" (default) or "reno". */
	char tcp_congestion[16];
	/* Options offered in SYNs (Linux net.ipv4.tcp_sack, tcp_timestamps):
	 * SACK (RFC 2018; RACK-TLP needs it) and timestamps (RFC 7323). */
	bool tcp_sack;
	bool tcp_timestamps;
	/* UDP */
	uint32_t udp_rcvbuf; /* default SO_RCVBUF of UDP sockets */
	/* Tasks (task.c) */
	uint32_t task_stack_size; /* usable stack of each task, bytes; 0: 64 KiB */
};

void ts_config_default(struct ts_config *cfg);

struct stack {
	struct ts_config cfg;
	struct netdev *dev; /* the link; owned by the caller */
	/*
	 * What the link can do, asked once by stack_init (netdev.h): receive
	 * buffers hold link.max_rx_frame, TCP and UDP leave the checksums in
	 * link.tx_csum to it, cfg.mtu is at most link.mtu.
	 */
	struct netdev_caps link;
	uint64_t now_us; /* the clock, advanced by stack_poll */
	uint64_t rng;	 /* xorshift64* state */
	uint64_t counters[CTR_MAX];
	uint64_t drops[DROP_MAX];    /* every drop, of frames received or sent, or of no frame */
	uint64_t rx_drops[DROP_MAX]; /* of those, drops of received frames (accounting below) */
	uint64_t rx_unaccounted;     /* received frames freed without an exit: a bug, 0 */
	/*
	 * The frame stack_poll is handing up now, and the reason it was
	 * dropped for (DROP_NONE: not dropped, so far): ts_drop notes it,
	 * stack_poll tells the link (netdev_rx_verdict).  Only compared,
	 * never dereferenced: the buffer may be freed by then.
	 */
	const struct ts_buf *rx_cur;
	enum ts_drop_reason rx_cur_drop;
	struct ts_timer_heap timers;
	struct ts_buf *buf_free; /* free list of standard-size buffers */
	uint32_t buf_free_n;	 /* buffers on it */
	int64_t bufs_live;	 /* allocated minus freed: 0 at teardown or it leaked */
	/* Large buffers (TS_BUF_BIG_SIZE), for GSO frames sent and received. */
	struct ts_buf *buf_big_free; /* their free list */
	uint32_t buf_big_free_n;     /* buffers on it */
	/*
	 * Each layer's state, allocated by its *_init and private to its
	 * files, so that one layer's implementation can be replaced (an
	 * exercise) without touching struct stack.
	 */
	struct arp_state *arp;	    /* neighbour cache (arp.c) */
	struct ipv4_state *ipv4;    /* IP ID (ipv4.c) */
	struct reass_state *reass;  /* datagrams under reassembly (ipv4_reass.c) */
	struct ip_pmtu_state *pmtu; /* path MTU estimates (ip_pmtu.c) */
	struct icmp_state *icmp;    /* error rate limit, ping replies (icmp.c) */
	struct ipv6_state *ipv6;    /* our IPv6 addresses and groups (ipv6.c) */
	struct icmp6_state *icmp6;  /* ICMPv6 error rate limit (icmp6.c) */
	struct nd6_state *nd6;	    /* IPv6 neighbour cache (nd6.c) */
	struct ip6_reass *reass6;   /* v6 datagrams under reassembly (ipv6_reass.c) */
	struct mld6_state *mld6;    /* unsolicited MLDv2 reports (mld6.c) */
	struct rd6_state *rd6;	    /* default routers and on-link prefixes (rd6.c) */
	struct udp_state *udp;	    /* port table (udp.c) */
	struct tcp_state *tcp;	    /* connection tables, ring cache (tcp_var.h) */
	struct ts_fdtable fds;
	int kq;		    /* kernel epoll fd that stack_wait sleeps in, or -1 */
	int tfd;	    /* timerfd armed to the next deadline, or -1 */
	volatile int *stop; /* set by a signal handler: blocking calls give up (EINTR) */
	/*
	 * ts_set_wait_hook: how a blocking call waits when it must.  NULL: in
	 * the kernel (stack_wait) on a link with an fd, not at all on one
	 * without (the call gives up).  See stack_block.
	 */
	int (*wait_hook)(struct stack *st, uint64_t until_us, void *ctx);
	void *wait_ctx;
	/* What stack_wait knows of the kernel fds, to save system calls. */
	int rx_vec_want;	/* frames the next recv_batch asks for (stack_read_link) */
	bool link_empty;	/* the last read of the link said EAGAIN and epoll has not
				 * said otherwise since: no need to read it again */
	uint64_t tfd_armed_us;	/* when tfd fires; UINT64_MAX: not armed (or it fired) */
	struct ts_sched *sched; /* tasks (task.c), allocated by the first ts_go */
};

/*
 * Sets up st with cfg over dev (which the caller keeps and destroys after
 * stack_destroy).  Returns 0, or -errno.  Sends a gratuitous ARP if asked.
 */
int stack_init(struct stack *st, const struct ts_config *cfg, struct netdev *dev, uint64_t now_us);
/*
 * The stack is going away: resets every connection still open
 * (tcp_reset_all), counted.  A program calls it after its drain and before
 * printing its counters; stack_destroy calls it too.
 */
void stack_shutdown(struct stack *st);
/* Closes every socket, resets live connections (stack_shutdown), frees all state. */
void stack_destroy(struct stack *st);

/*
 * One iteration: advance the clock to now_us, read up to a batch of frames
 * from the link and process them, fire expired timers, then (unless a task
 * is the caller) run each task that is runnable until it parks, yields or
 * ends (task.c).  Returns how many frames, timers and tasks were handled
 * (0: nothing happened).
 */
int stack_poll(struct stack *st, uint64_t now_us);
/* Earliest deadline of any timer or held frame, UINT64_MAX when none. */
uint64_t stack_next_deadline(struct stack *st);
/*
 * Drives the stack for up to timeout_ms (-1: forever, 0: once): polls, and
 * when nothing is pending sleeps in the kernel on the link fd and a timerfd
 * set to the next deadline.  Returns after at least one frame or timer was
 * handled, the timeout passed, or *st->stop was set (-EINTR).
 */
int stack_wait(struct stack *st, int timeout_ms);
/*
 * The clock blocking calls time their deadlines with: the stack's own
 * (st->now_us) when a wait hook owns time, CLOCK_MONOTONIC on a kernel link.
 */
uint64_t stack_clock(const struct stack *st);
/*
 * One wait of a blocking call that found nothing to do, until until_us on
 * stack_clock (UINT64_MAX: no limit).  Inside a task: parks the task until
 * something on the stack changed (task_block).  With a wait hook: polls st,
 * and when nothing was handled hands over to the hook.  Without one: sleeps
 * in the kernel (stack_wait) on a link with an fd, polls once otherwise.
 * Returns 0 (something may have changed: check again), -EINTR (*st->stop),
 * -ETIMEDOUT (until_us passed) or -EAGAIN (nothing can ever change: no
 * hook on a link without an fd, or the hook said so).
 */
int stack_block(struct stack *st, uint64_t until_us);
/* CLOCK_MONOTONIC in microseconds. */
uint64_t ts_clock_us(void);

/* Handles one received frame; consumes b. */
void stack_input(struct stack *st, struct ts_buf *b);
/* Sends a whole frame (data..tail) on the link and frees b. Returns 0 or -errno. */
int stack_link_output(struct stack *st, struct ts_buf *b);

/*
 * Accounting of received frames (docs/robustness.md, "Accounting").  A
 * frame is received when stack_input counts it in CTR_ETH_RX and marks its
 * buffer (b->rx).  Its life then ends in exactly one of three ways:
 *   - a named drop: ts_drop() of that buffer, counted in st->rx_drops[reason]
 *     as well as st->drops[reason];
 *   - delivered: ts_rx_delivered(), the one place that counts
 *     CTR_RX_DELIVERED, called where a protocol consumed the frame (TCP
 *     processed the segment, ICMP answered the echo or passed the error on,
 *     ARP took the reply or answered the request, reassembly copied the
 *     fragment, the application read the datagram);
 *   - held: still queued for a reader (stack_rx_held: UDP receive queues;
 *     reassembly copies fragments out, so it holds no frame).
 * Hence, at any moment, ETH_RX = RX_DELIVERED + Σ rx_drops + held
 * (stack_rx_balanced).  Drops of what we send, and drops of no frame at all
 * (an ICMP error withheld by the rate limit), count in drops[] only.  A
 * buffer built from received frames (a reassembled datagram) is no received
 * frame itself.
 */
/* Counts reason (and, for a received frame, its exit), traces the drop if
 * asked, frees b (b may be NULL). */
void ts_drop(struct stack *st, struct ts_buf *b, enum ts_drop_reason reason);
/* The received frame in b was consumed: counts CTR_RX_DELIVERED once and
 * clears b->rx; b stays the caller's (to free, or to reuse for a reply).
 * Does nothing for a buffer that is not a received frame. */
void ts_rx_delivered(struct stack *st, struct ts_buf *b);
/* ts_rx_delivered, then ts_buf_free. */
void ts_buf_consume(struct stack *st, struct ts_buf *b);
/* Received frames still held (UDP receive queues). */
uint64_t stack_rx_held(const struct stack *st);
/* Σ rx_drops: received frames that ended in a named drop. */
uint64_t stack_rx_dropped(const struct stack *st);
/* Whether ETH_RX = RX_DELIVERED + Σ rx_drops + held now. */
bool stack_rx_balanced(const struct stack *st);
static inline void ts_count(struct stack *st, enum ts_counter c)
{
	st->counters[c]++;
}

/* Next value of the stack's seeded RNG. */
uint64_t ts_rand(struct stack *st);

/* Trace output helper: printf to cfg.trace_out when category bit is on. */
void ts_trace(struct stack *st, unsigned category, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline bool ts_tracing(const struct stack *st, unsigned category)
{
	return (st->cfg.trace & category) != 0;
}

#endif
