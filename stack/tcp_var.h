/*
 * tcp_var.h - the inside of TCP: the control block (RFC 9293 §3.3.1
 * variables first, the implementation's own after, OpenBSD tcp_var.h),
 * its states, flags and timer slots, the per-stack tables, and the API
 * between the tcp_*.c files.  The rest of the stack sees only tcp.h.
 *
 * Files (TCP split by role):
 *   tcp_wire.c     the view: header, options, checksum, describe
 *   tcp_ring.c     byte rings and their per-stack cache
 *   tcp_asm.c      the out-of-order assembler
 *   tcp_pcb.c      control block life cycle, tables, ISN, set_state, orphans
 *   tcp_syncookie.c SYN cookie encoding (a view: pure functions, RFC 4987)
 *   tcp_in.c       tcp_input: RFC 9293 §3.10.7 step by step; the ACK policy,
 *                  D-SACKs to send, receive-buffer auto-tuning
 *   tcp_recovery.c SACK scoreboard, RACK-TLP loss detection (RFC 8985), the
 *                  sent-segment records, recovery (RFC 6675, 6582, 6937),
 *                  D-SACK (RFC 2883), undo (RFC 3522, 5682), --trace tcp
 *   tcp_cc.c       congestion control shared parts, PRR; tcp_cc_<name>.c
 *                  modules (tcp_cc_newreno.c, tcp_cc_cubic.c)
 *   tcp_out.c      segment building, tcp_output (data, Nagle, SWS), RST/ACK
 *   tcp_timer.c    REXMT, PERSIST, KEEP, 2MSL, DELACK, RTO backoff
 *   tcp_rtt.c      RTO estimation (RFC 6298 §2), replaceable on its own
 *   tcp_sock.c     tcp_sock_ops, the socket contract of socket.h
 *   tcp_err.c      ICMP errors (tcp_err_input) and path MTU (tcp_sync_mss)
 *
 * Call order: ipv4_input → tcp_input → (state machine) → ring / wakeup →
 * tcp_output → ipv4_output.  Timers fire tcp_timer_* → tcp_output.
 */
#ifndef TS_TCP_VAR_H
#define TS_TCP_VAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ip.h"
#include "tcp.h"
#include "tcp_cc.h"
#include "tcp_asm.h"
#include "tcp_ring.h"
#include "tcp_wire.h"
#include "timer.h"

struct stack;
struct ts_buf;
struct ts_sock;
struct tcp_cc_algo;

/* ---- RTO estimation (RFC 6298), pure so it can be tested with vectors ---- */

struct tcp_rtt {
	uint32_t srtt_us;   /* smoothed RTT, 0 before the first sample */
	uint32_t rttvar_us; /* RTT variation */
	uint32_t rto_us;    /* current RTO (before backoff) */
};
/* RFC 6298 (2.2)/(2.3)/(2.4)/(2.5): folds in one RTT sample R (tcp_rtt.c). */
void tcp_rtt_sample(struct tcp_rtt *r, uint32_t rtt_us, uint32_t min_rto_us, uint32_t max_rto_us);

/* ---- Connections ---- */

/*
 * The smallest MSS option we believe (RFC 9293 §3.7.1, RFC 6691): a peer's
 * smaller value is raised to it before the option space is subtracted, so
 * SMSS never wraps and a segment always carries data.  Linux's TCP_MIN_MSS
 * (88 = (60 + 60 + 8) - (20 + 20): full IP and TCP option space and 8 data
 * bytes over the bare headers); its send floor since the SACK panic fix
 * (CVE-2019-11477, tcp_min_snd_mss = 48) leaves 8 bytes after 40 of options,
 * which this floor also guarantees after timestamps and 3 SACK blocks.
 */
#define TCP_MIN_PEER_MSS 88

/* The longest an ACK is delayed (Linux TCP_DELACK_MAX; RFC 9293 §3.8.6.3
 * "MUST be less than 0.5 seconds"); the shortest is cfg.tcp_delack_ms. */
#define TCP_DELACK_MAX_US 200000u

/* RFC 9293 §3.3.2 states; names printed as the RFC spells them. */
enum tcp_state_id {
	TCPS_CLOSED = 0,
	TCPS_LISTEN,
	TCPS_SYN_SENT,
	TCPS_SYN_RECEIVED,
	TCPS_ESTABLISHED,
	TCPS_FIN_WAIT_1,
	TCPS_FIN_WAIT_2,
	TCPS_CLOSE_WAIT,
	TCPS_CLOSING,
	TCPS_LAST_ACK,
	TCPS_TIME_WAIT,
};
const char *tcp_state_name(enum tcp_state_id s);

/* Timer slots per connection (OpenBSD tcp_timer.h). */
enum tcp_timer_id {
	TCP_T_REXMT = 0, /* retransmission (RFC 6298), also SYN / SYN-ACK */
	TCP_T_PERSIST,	 /* zero-window probes (RFC 9293 §3.8.6.1) */
	TCP_T_KEEP,	 /* keep-alive (RFC 1122 §4.2.3.6) */
	TCP_T_2MSL,	 /* TIME-WAIT, and orphaned FIN-WAIT-2 */
	TCP_T_DELACK,	 /* delayed ACK (RFC 1122 §4.2.3.2) */
	TCP_T_MAX,
};

/* pcb->tf flags. */
enum {
	TF_ACKNOW = 1u << 0,	      /* send an ACK at the next tcp_output */
	TF_DELACK = 1u << 1,	      /* an ACK is owed, DELACK timer running */
	TF_FIN_QUEUED = 1u << 2,      /* the user closed the send side: FIN after the data */
	TF_FIN_SENT = 1u << 3,	      /* FIN has been sent at least once (fin_seq valid) */
	TF_RCV_FIN = 1u << 4,	      /* FIN received (possibly out of order, at rcv_fin_seq) */
	TF_RCV_SHUT = 1u << 5,	      /* SHUT_RD: reads return 0 */
	TF_SACK_OK = 1u << 6,	      /* SACK permitted both ways (RFC 2018 §2) */
	TF_TS_OK = 1u << 7,	      /* timestamps negotiated (RFC 7323 §3.2) */
	TF_WS_OK = 1u << 8,	      /* window scaling negotiated (RFC 7323 §2.2) */
	TF_RESET = 1u << 9,	      /* connection died by RST or timeout */
	TF_ERR_READ = 1u << 10,	      /* -ECONNRESET already returned by a read */
	TF_IN_RECOVERY = 1u << 11,    /* NewReno fast recovery (RFC 6582) */
	TF_TIMING = 1u << 12,	      /* one segment is being timed (no timestamps) */
	TF_PASSIVE = 1u << 13,	      /* created by a listener (SYN-RECEIVED returns to LISTEN) */
	TF_EVER_CONNECTED = 1u << 14, /* reached ESTABLISHED once */
	TF_TLP_ARMED = 1u << 15,      /* REXMT currently holds a probe timeout (RFC 8985 §7) */
	TF_TLP_SENT = 1u << 16,	 /* a tail loss probe is out; no other until new data is acked */
	TF_REO_ARMED = 1u << 17, /* REXMT currently holds RACK's reordering timer (RFC 8985 §6.3) */
	TF_UNDO_OK = 1u << 18,	 /* the current reduction may still be undone */
	TF_SYN_REXMIT = 1u << 19,    /* our SYN or SYN,ACK was retransmitted (RFC 6298 (5.7)) */
	TF_DSACK_PENDING = 1u << 20, /* the next ACK reports dsack_left..right (RFC 2883) */
	TF_PINGPONG = 1u << 21,	     /* interactive: we answered data within the ATO (Linux) */
	TF_CONNECTING = 1u << 22,    /* connect() began and its outcome was not yet reported by a
				      * connect() (Linux SS_CONNECTING, __inet_stream_connect) */
};

/* Where the sender is with respect to losses (Linux tcp_ca_state; --trace tcp). */
enum tcp_ca_phase {
	TCP_CA_OPEN = 0, /* nothing lost */
	TCP_CA_DISORDER, /* SACKs or duplicate ACKs seen, nothing marked lost yet */
	TCP_CA_RECOVERY, /* fast recovery (RFC 6675/6582, PRR) */
	TCP_CA_LOSS,	 /* after a retransmission timeout */
};

/*
 * One sent segment, as RACK needs it (RFC 8985 §5.2: its sequence range,
 * when it was last (re)transmitted, whether it was retransmitted, SACKed or
 * marked lost).  16 bytes each; a connection's records are a ring that
 * exists only while data is in flight (tcp_seg_recs_*), so an idle
 * connection pays one pointer and three counters.
 */
struct tcp_seg_rec {
	uint32_t seq, end; /* [seq, end), a FIN counts as one */
	uint32_t xmit_us;  /* low 32 bits of the µs clock at the last transmission */
	uint8_t flags;	   /* TCP_SEG_* */
	uint8_t pad;
	uint16_t order; /* transmission order (ties of xmit_us) */
};
enum {
	TCP_SEG_RETRANS = 1u << 0, /* retransmitted at least once */
	TCP_SEG_SACKED = 1u << 1,  /* the peer SACKed all of it */
	TCP_SEG_LOST = 1u << 2,	   /* marked lost, not retransmitted since */
};
/* The most records a connection keeps; beyond, new data joins the last one. */
#define TCP_SEG_RECS_MAX 1024u

struct tcp_pcb;

/* An intrusive FIFO of pcbs (a listener's SYN and accept queues). */
struct tcp_queue {
	struct tcp_pcb *head, *tail;
	uint32_t n;
};

/* The SACK scoreboard of the sender: blocks the peer holds above SND.UNA. */
#define TCP_SCOREBOARD_MAX 8

struct tcp_pcb {
	struct stack *st;
	struct ts_sock *sock;	 /* NULL once closed by the user or before accept */
	enum tcp_state_id state; /* written only by tcp_set_state() */
	uint32_t tf;		 /* TF_* */
	/* Addressing: one family for both ends (the wire's, also for a v6 socket). */
	struct ip_addr local_ip, remote_ip;
	uint16_t local_port, remote_port;
	/* Tables. */
	struct tcp_pcb *hnext;		     /* connection hash chain (4-tuple) */
	struct tcp_pcb *bnext;		     /* bind hash chain (local port) */
	struct tcp_pcb **bprev;		     /* the link pointing at us in that chain, NULL
					      * when not in it: O(1) removal, as one busy
					      * port chains every connection accepted on it */
	struct tcp_pcb *lnext;		     /* listener hash chain (listeners only) */
	struct tcp_pcb *all_prev, *all_next; /* every pcb, for tables and teardown */
	bool in_conn_hash, in_listen_hash;
	bool user_bound_ip; /* bind() gave an address (kept by tcp_disconnect) */
	bool orphan;	    /* on the stack's orphan list */
	struct tcp_pcb *orphan_prev, *orphan_next; /* that list, oldest first */
	uint32_t orphan_bytes;			   /* ring storage counted there */
	struct tcp_pcb *listener; /* the listener that spawned us, until accepted */
	struct tcp_pcb *q_next;	  /* link in the listener's synq or acceptq */
	struct tcp_queue *q;	  /* which queue we are on, NULL if none */
	/* Listener only. */
	struct tcp_queue synq;	    /* children in SYN-RECEIVED */
	struct tcp_queue acceptq;   /* children established, waiting for accept */
	int backlog;		    /* listen(2) backlog */
	bool reuseaddr;		    /* SO_REUSEADDR at bind time */
	bool syncookie_sent;	    /* a SYN cookie went out, last at: */
	uint64_t syncookie_last_us; /* (ACKs are checked as cookies only for 2 ticks after) */

	/* RFC 9293 §3.3.1 send sequence variables. */
	uint32_t snd_una; /* oldest unacknowledged sequence number */
	uint32_t snd_nxt; /* next sequence number to send */
	uint32_t snd_wnd; /* send window, scaled to bytes */
	uint32_t snd_up;  /* send urgent pointer (never used: we send no urgent data) */
	uint32_t snd_wl1; /* segment sequence number used for the last window update */
	uint32_t snd_wl2; /* segment ACK number used for the last window update */
	uint32_t iss;	  /* initial send sequence number */
	/* RFC 9293 §3.3.1 receive sequence variables. */
	uint32_t rcv_nxt; /* next sequence number expected */
	uint32_t rcv_wnd; /* receive window (bytes of free ring space) */
	uint32_t rcv_up;  /* receive urgent pointer */
	uint32_t irs;	  /* initial receive sequence number */

	/* Implementation variables (OpenBSD tcp_var.h grouping). */
	uint32_t snd_max;	/* highest sequence number sent + 1 */
	uint32_t snd_buf_seq;	/* sequence number of the first byte in snd_ring */
	uint32_t fin_seq;	/* sequence number of our FIN (TF_FIN_QUEUED) */
	uint32_t rcv_adv;	/* right edge of the window last advertised */
	uint32_t rcv_fin_seq;	/* sequence number of the peer's FIN (TF_RCV_FIN) */
	uint32_t rcv_ssthresh;	/* the most window to offer now (Linux rcv_ssthresh): starts
				 * at cfg.tcp_init_rcv_wnd, grows with the data that arrives,
				 * up to the receive ring (tcp_window_to_advertise) */
	uint32_t rcv_grow_mark; /* RCV.NXT - IRS when rcv_ssthresh last grew */
	uint32_t max_snd_wnd;	/* largest window the peer offered (RFC 5961 §5.2, SWS) */
	uint32_t last_ack_sent; /* RCV.NXT of our last ACK (RFC 7323 §4.3) */
	uint16_t smss;		/* sender MSS: payload bytes per segment (options excluded) */
	uint16_t rmss;		/* MSS we announced */
	uint16_t peer_mss;	/* MSS the peer announced */
	uint16_t rcv_mss;	/* largest segment received (TCP_INFO tcpi_rcv_mss) */
	uint8_t snd_wscale;	/* peer's shift: applied to windows we receive */
	uint8_t rcv_wscale;	/* our shift: applied to windows we send */
	uint32_t ts_recent;	/* RFC 7323 §4.3: TSval to echo */
	uint32_t ts_offset;	/* random per-connection TSval offset (RFC 7323 §5.4) */
	/* RFC 6298 */
	struct tcp_rtt rtt;
	uint32_t rtt_seq;	 /* timed segment (TF_TIMING) */
	uint64_t rtt_start_us;	 /* when it was sent */
	uint8_t backoff;	 /* RTO doublings since the last new ACK */
	uint8_t rexmt_count;	 /* consecutive retransmissions (limit: tcp_max_retries) */
	uint8_t persist_shift;	 /* persist backoff */
	uint8_t keep_probes;	 /* unanswered keep-alive probes */
	uint32_t probes_out;	 /* window probes since the last acceptable segment */
	uint32_t wnd_probes;	 /* window probes since the peer last opened its window */
	uint64_t rexmt_start_us; /* when the data now retransmitted was sent (timeout clock) */
	/* RFC 5681 / RFC 6582: written only by tcp_cc*.c */
	const struct tcp_cc_algo *cc; /* the congestion-control module */
	uint32_t cwnd;		      /* congestion window, bytes */
	uint32_t ssthresh;	      /* slow start threshold */
	uint32_t recover;	      /* NewReno: highest sequence sent when recovery began */
	uint32_t dupacks;	      /* consecutive duplicate ACKs */
	uint32_t bytes_acked;	      /* congestion avoidance byte counting (RFC 3465) */
	uint32_t rexmit_hi;	      /* SACK recovery: holes below this were resent */
	uint32_t rexmit_mark;	      /* SND.MAX when the hole at SND.UNA was last resent */
	uint64_t cc_priv[TCP_CC_PRIV_SIZE / 8]; /* the module's state (tcp_cc.h) */
	uint32_t prior_cwnd, prior_ssthresh;	/* before the last reduction (undo) */
	uint8_t ca_state;			/* enum tcp_ca_phase */
	/* RFC 6937 PRR, during a SACK recovery. */
	uint32_t prr_delivered; /* bytes delivered since the recovery began */
	uint32_t prr_out;	/* bytes sent since */
	uint32_t recover_fs;	/* RecoverFS: FlightSize when it began */
	/* Undo (RFC 3522 Eifel, RFC 5682 F-RTO, D-SACK; Linux tcp_try_undo_*). */
	uint32_t retrans_stamp; /* our TSval of the episode's first retransmission (0: none) */
	uint32_t undo_retrans;	/* retransmissions of the episode not yet D-SACKed */
	uint8_t frto; /* F-RTO step (RFC 5682 §2): 0 off, 1 after the RTO, 2 new data sent */
	uint32_t frto_highmark; /* SND.MAX when the RTO fired ("recover" of RFC 5682) */
	/* RFC 8985 RACK-TLP: per-segment records and the RACK variables. */
	struct tcp_seg_rec *segs; /* ring of seg_cap records, NULL while nothing is in flight */
	uint16_t seg_cap, seg_head, seg_n;
	uint32_t rack_xmit_us;	   /* RACK.xmit_ts (low 32 bits of µs) */
	uint32_t rack_end_seq;	   /* RACK.end_seq */
	uint16_t rack_order;	   /* transmission order of that segment */
	uint16_t seg_order;	   /* the next record's */
	uint32_t rack_rtt_us;	   /* RACK.rtt */
	uint32_t rack_min_rtt_us;  /* RACK.min_RTT (0: none yet) */
	uint32_t rack_dsack_round; /* RACK.dsack_round: SND.NXT when reo_wnd last grew */
	uint8_t rack_reo_wnd_mult; /* RACK.reo_wnd_mult (1 + D-SACK rounds) */
	uint8_t rack_reo_wnd_persist;
	bool rack_valid; /* RACK.xmit_ts is set */
	bool rack_reord; /* RACK.reord: reordering seen */
	bool rack_dsack_round_valid;
	bool seg_nomem;		    /* a record could not be kept: RFC 6675 until idle */
	uint32_t undo_marker;	    /* SND.UNA when the reduction began (TF_UNDO_OK) */
	uint64_t last_data_sent_us; /* Linux lsndtime: restart after idle, ping-pong */
	/* What `ss -ti` shows (SIGUSR1's table). */
	uint64_t delivered_bytes; /* bytes acknowledged */
	uint64_t established_us;  /* when the connection reached ESTABLISHED */
	/* SACK scoreboard (RFC 2018): what the peer holds above snd_una. */
	uint8_t nsacked;
	struct tcp_sack_block sacked[TCP_SCOREBOARD_MAX];
	/* Receive side. */
	uint32_t unacked_bytes; /* in-order bytes received since our last ACK */
	struct tcp_assembler ofo;
	uint32_t last_sack_left; /* most recent OFO block (reported first, RFC 2018 §4) */
	uint32_t last_sack_right;
	uint8_t nsack_sent;		    /* blocks of our last ACK, most recent first */
	struct tcp_sack_block sack_sent[4]; /* (RFC 2018 §4: repeat the most recent) */
	uint32_t dsack_left, dsack_right;   /* duplicate to report (TF_DSACK_PENDING) */
	/* ACK policy (Linux icsk_ack): quick ACKs left, the ACK timeout. */
	uint8_t quick;	     /* ACKs still sent at once (quick-ACK mode) */
	uint32_t ato_us;     /* delayed ACK timeout, 40..200 ms (0: no data yet) */
	uint64_t lrcv_us;    /* when data last arrived */
	uint32_t pushed_seq; /* PSH forced every half window (Linux forced_push) */
	/* Receive-buffer auto-tuning (Linux rcv_rtt_est, rcvq_space). */
	uint32_t rcv_rtt_us;   /* the receiver's RTT estimate (0: none yet) */
	uint32_t rcv_rtt_seq;  /* without timestamps: a window is done when RCV.NXT passes it */
	uint64_t rcv_rtt_time; /* ... and when that window was offered */
	uint32_t rcvq_space;   /* bytes the reader took in the last measured RTT */
	uint32_t rcvq_seq;     /* the read position when that measure began */
	uint64_t rcvq_time;    /* and when (0: not begun) */
	/* Storage. */
	struct tcp_ring snd_ring; /* bytes from snd_buf_seq on: unacked + unsent */
	struct tcp_ring rcv_ring; /* in-order bytes for the reader, then OFO space */
	/* Timers. */
	struct ts_timer timers[TCP_T_MAX];
	uint64_t last_rx_us;	  /* last acceptable segment received (keep-alive idle) */
	uint64_t oow_ack_next_us; /* no ACK to an invalid segment before (RFC 5961 §7) */
	/* What the socket's options give every segment; kept here because the
	 * connection outlives its socket (FIN-WAIT, TIME-WAIT). */
	struct ip_tx_opts ip_opts; /* IP_TOS, IP_TTL */
	/* Per-connection counters (TCP_INFO, RFC 4898 names). */
	uint32_t segs_in, segs_out;	      /* segments received / sent */
	uint32_t data_segs_in, data_segs_out; /* those that carried data */
	uint32_t total_retrans;		      /* segments sent again */
	/* Output waiting for the end of a receive batch (tcp_batch_end). */
	bool out_pending;	  /* on the stack's out_pending list */
	struct tcp_pcb *out_next; /* next on that list */
	/* ICMP errors and path MTU (tcp_err.c). */
	int soft_err;  /* last soft error (Linux sk_err_soft): a timeout reports it */
	uint32_t pmtu; /* the path MTU smss was sized for (Linux icsk_pmtu_cookie) */
};

#define TCP_CONN_HASH_BITS 16
#define TCP_BIND_HASH_BITS 10

struct tcp_state {
	struct tcp_pcb **conn_hash;   /* 4-tuple → pcb, chained (pcb->hnext) */
	struct tcp_pcb **bind_hash;   /* local port → pcbs, chained (pcb->bnext) */
	struct tcp_pcb **listen_hash; /* local port → listeners only (pcb->lnext): a SYN's
				       * lookup must not walk the connections on the port */
	struct tcp_pcb *all;	      /* every pcb (all_next) */
	uint32_t npcbs;
	uint64_t hash_key[2];	   /* keys of the 4-tuple hash (random at init) */
	uint64_t isn_key[2];	   /* RFC 6528 secret key (random at init) */
	uint64_t cookie_key[2][2]; /* SYN cookie keys H0, H1 (tcp_syncookie.h) */
	uint64_t cookie_ts_key[2]; /* TSval offset of a cookie connection */
	struct tcp_ring_cache ring_cache[TCP_RING_CACHE_SIZES];
	uint32_t ring_blocks;  /* blocks attached to rings now */
	uint64_t ring_mallocs; /* blocks ever taken from the heap (not the cache) */
	/* Orphans (connections closed by the user, not yet in TIME-WAIT),
	 * oldest first, and the ring storage they hold (Linux
	 * tcp_orphan_count; cfg.tcp_max_orphans, cfg.tcp_orphan_max_bytes). */
	struct tcp_pcb *orphan_head, *orphan_tail;
	uint32_t norphans;
	uint64_t orphan_bytes;
	/* The per-stack challenge-ACK budget (cfg.tcp_challenge_ack_limit). */
	uint64_t challenge_second; /* the second it was drawn for, plus 1 (0: none yet) */
	uint32_t challenge_left;   /* challenge ACKs still allowed in it */
	/* Output waiting for the end of a receive batch (tcp_batch_end). */
	bool batching;		     /* inside a receive batch: tcp_output may wait */
	struct tcp_pcb *out_pending; /* pcbs whose output waits (pcb->out_next) */
	struct tcp_pcb **out_tail;   /* where the next one is linked */
};

/* ---- Internal API between the tcp*.c files ---- */

struct tcp_pcb *tcp_pcb_new(struct stack *st);
/* Frees a pcb that is in no table and has no socket. */
void tcp_pcb_free(struct tcp_pcb *pcb);
/*
 * Moves pcb to CLOSED: leaves every table and queue, disarms timers, and
 * frees it when no socket holds it.  The caller must not touch pcb after
 * this unless it knows a socket still holds it.
 */
void tcp_pcb_close(struct tcp_pcb *pcb, const struct tcp_view *why);
/* Sets pcb->state, traces "--trace tcp"; the only writer of state. */
void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state_id to, const struct tcp_view *why);
void tcp_conn_hash_add(struct tcp_pcb *pcb);
struct tcp_pcb *tcp_conn_lookup(struct stack *st, const struct ip_addr *lip, uint16_t lport,
				const struct ip_addr *rip, uint16_t rport);
struct tcp_pcb *tcp_listener_lookup(struct stack *st, const struct ip_addr *lip, uint16_t lport);
void tcp_bind_hash_add(struct tcp_pcb *pcb);
/* Whether binding (ip, port) conflicts, given the new socket's SO_REUSEADDR. */
bool tcp_port_in_use(struct stack *st, const struct ip_addr *ip, uint16_t port, bool reuseaddr,
		     bool for_listen, const struct tcp_pcb *self);
/* A free ephemeral port (32768-60999, random start), 0 when none. */
uint16_t tcp_ephemeral_port(struct stack *st);
/* The TSval offset of a connection opened by a SYN cookie: keyed by its
 * 4-tuple, the same for the SYN,ACK and the connection (RFC 7323 §5.4). */
uint32_t tcp_cookie_ts_offset(struct stack *st, const struct ip_addr *lip, uint16_t lport,
			      const struct ip_addr *rip, uint16_t rport);
/* RFC 6528 ISN for the pcb's 4-tuple. */
uint32_t tcp_isn(struct stack *st, const struct ip_addr *lip, uint16_t lport,
		 const struct ip_addr *rip, uint16_t rport);
/*
 * Applies a socket's options (so NULL: the stack's defaults) to a
 * connection being opened: ring capacities from SO_SNDBUF/SO_RCVBUF, the
 * window scale from the largest buffer the connection may have (the one
 * SO_RCVBUF fixed, else cfg.tcp_rcvbuf_max), the first window
 * (cfg.tcp_init_rcv_wnd), the MSS to announce (TCP_MAXSEG), IP_TOS and
 * IP_TTL.  No storage is allocated: it comes with the first byte to store
 * (the rings must hold none when this is called).  Returns 0.
 */
struct ts_sockopts;
int tcp_pcb_alloc_rings(struct tcp_pcb *pcb, const struct ts_sockopts *so, int af);
/* What a connection with options so (NULL: the stack's defaults) receives with. */
struct tcp_rcv_params {
	uint32_t rcvbuf;   /* receive ring capacity */
	uint8_t wscale;	   /* our window scale (RFC 7323 §2.3) */
	uint32_t init_wnd; /* the first window offered */
	uint16_t mss;	   /* the MSS we announce */
};
/* The same numbers tcp_pcb_alloc_rings gives a pcb, for a SYN,ACK sent without one (cookies). */
void tcp_rcv_params(const struct stack *st, const struct ts_sockopts *so, int af,
		    struct tcp_rcv_params *p);
/*
 * SO_SNDBUF / SO_RCVBUF on a connection: new ring capacities, never below
 * what the rings hold nor, for the receive ring, below the window already
 * advertised (RFC 9293 §3.8.6.2.2: the right edge never moves back).
 * Returns 0 or -ENOMEM (the rings are then unchanged).
 */
int tcp_pcb_resize_rings(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf);
/* Releases the receive ring's storage once it holds nothing: every byte
 * read and no out-of-order data behind it. */
void tcp_rcv_ring_idle(struct tcp_pcb *pcb);
/* Releases the send ring's storage once every byte is acknowledged. */
void tcp_snd_ring_idle(struct tcp_pcb *pcb);
/*
 * The user closed pcb's socket and the connection lives on (FIN-WAIT-1,
 * FIN-WAIT-2, CLOSING, LAST-ACK): it joins the orphan list, and the
 * oldest orphans are reset while there are more than cfg.tcp_max_orphans
 * or they hold more than cfg.tcp_orphan_max_bytes (pcb itself may be the
 * one reset: the caller must not touch it after this).
 */
void tcp_pcb_orphan(struct tcp_pcb *pcb);
/* Leaves the orphan list (TIME-WAIT, closed); no-op for a non-orphan. */
void tcp_orphan_leave(struct tcp_pcb *pcb);
/* Whether nobody holds pcb: not a socket, not a child waiting for accept. */
static inline bool tcp_is_orphan(const struct tcp_pcb *pcb)
{
	return !pcb->sock && !pcb->listener;
}
/* The TF_* options a SYN offers: window scaling, and SACK and timestamps
 * as cfg.tcp_sack and cfg.tcp_timestamps say. */
uint32_t tcp_offered_options(const struct stack *st);
/* Initial congestion window etc. once SMSS is known (after the handshake). */
void tcp_pcb_setup_mss(struct tcp_pcb *pcb, const struct tcp_opts *peer);
/* tcp_err.c: the path MTU the connection sends with: the estimate toward the
 * peer (ip_pmtu.c), or the link's when IP_MTU_DISCOVER says to ignore it. */
uint32_t tcp_path_mtu(const struct tcp_pcb *pcb);
/* tcp_err.c: SMSS for path MTU mtu (Linux tcp_sync_mss): the MTU less the
 * headers, at most the peer's MSS and ours, at least TCP_MIN_PEER_MSS, less
 * the timestamp option; remembers mtu in pcb->pmtu. */
void tcp_sync_mss(struct tcp_pcb *pcb, uint32_t mtu);
void tcp_queue_push(struct tcp_queue *q, struct tcp_pcb *pcb);
void tcp_queue_remove(struct tcp_pcb *pcb);
struct tcp_pcb *tcp_queue_pop(struct tcp_queue *q);
/* Bytes the SACK scoreboard says the peer holds above SND.UNA. */
uint32_t tcp_sacked_bytes(const struct tcp_pcb *pcb);
/* RFC 6675 pipe: outstanding bytes not SACKed and not taken as lost
 * (with RACK: from the segment records). */
uint32_t tcp_pipe(const struct tcp_pcb *pcb);
/* Calls ts_sock_wakeup on the pcb's socket (or its listener's). */
void tcp_wakeup(struct tcp_pcb *pcb);

/* tcp_out.c */
/* Sends what the state, windows, Nagle and SWS rules allow, plus owed ACKs. */
void tcp_output(struct tcp_pcb *pcb);
/*
 * Sends <SEQ=seq> with flags and len bytes from the send ring (retransmissions
 * too).  Returns what ipv4_output returns, or -ENOBUFS without a buffer.
 */
int tcp_send_segment(struct tcp_pcb *pcb, uint32_t seq, uint8_t flags, uint32_t len);
/* Payload bytes one segment may carry now (SMSS minus SACK option room). */
uint32_t tcp_seg_room(const struct tcp_pcb *pcb);
/*
 * Whether tcp_output sends a segment at SND.NXT now, with how many octets
 * (*len) and whether our FIN (*fin): the usable window, Nagle, sender SWS
 * avoidance (specified in tcp_out.c).
 */
bool tcp_send_decide(const struct tcp_pcb *pcb, uint32_t max_len, uint32_t cwnd_room, bool nodelay,
		     uint32_t *len, bool *fin);
/* Sends a bare ACK (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>) now. */
void tcp_send_ack(struct tcp_pcb *pcb);
/* Sends a tail loss probe: one new segment, or the last one again (RFC 8985 §7.3). */
void tcp_send_probe(struct tcp_pcb *pcb);
/* Sends RST for the connection (SO_LINGER 0, abort). */
void tcp_send_rst_pcb(struct tcp_pcb *pcb);
/* Sends the SYN or SYN-ACK of the handshake. */
void tcp_send_syn(struct tcp_pcb *pcb);
/*
 * A SYN,ACK that belongs to no connection (a SYN cookie's): from src:sport
 * to dst:dport with the options o (tcp_build_options' SYN layout), sent
 * with the listener's IP options ip (TOS, TTL, DF as IP_MTU_DISCOVER says).
 */
void tcp_send_synack_stateless(struct stack *st, const struct ip_addr *src,
			       const struct ip_addr *dst, uint16_t sport, uint16_t dport,
			       uint32_t seq, uint32_t ack, uint16_t wnd, const struct tcp_opts *o,
			       const struct ip_tx_opts *ip);
/* RST for a segment that has no connection (RFC 9293 §3.10.7.1), with DF. */
void tcp_send_reset_for(struct stack *st, const struct ip_addr *src, const struct ip_addr *dst,
			const struct tcp_view *seg);
/* The window field for the next segment; updates rcv_adv. */
uint16_t tcp_window_to_advertise(struct tcp_pcb *pcb, bool syn);
/* Whether a window update is worth an ACK after the reader freed space. */
bool tcp_window_update_due(struct tcp_pcb *pcb);

/* tcp_timer.c */
void tcp_timer_init(struct tcp_pcb *pcb);
void tcp_timer_arm(struct tcp_pcb *pcb, enum tcp_timer_id id, uint64_t delay_us);
void tcp_timer_disarm(struct tcp_pcb *pcb, enum tcp_timer_id id);
bool tcp_timer_armed(const struct tcp_pcb *pcb, enum tcp_timer_id id);
void tcp_timer_disarm_all(struct tcp_pcb *pcb);
/* Linux tcp_model_timeout: the time boundary retransmissions take, the RTO
 * doubling from base_us up to max_us. */
uint64_t tcp_model_timeout_us(uint32_t boundary, uint64_t base_us, uint64_t max_us);
/* The current RTO with backoff applied, microseconds. */
uint64_t tcp_rto_us(const struct tcp_pcb *pcb);
/* Restarts REXMT after new data was acked or sent (RFC 6298 (5.1)-(5.3)). */
void tcp_rexmt_restart(struct tcp_pcb *pcb);
/* Arms REXMT with a tail loss probe timeout when one is allowed, else the RTO. */
void tcp_rexmt_arm(struct tcp_pcb *pcb);
/* tcp_in.c: the reader took bytes; once per receiver RTT, grow the receive
 * ring with the rate it reads at (Linux tcp_rcv_space_adjust). */
void tcp_rcv_space_adjust(struct tcp_pcb *pcb);
/* RFC 6298 (5.7): RTO 3 s after a retransmitted SYN without an RTT sample. */
void tcp_rto_after_handshake(struct tcp_pcb *pcb);
/* Whether a probe timeout may replace the RTO now (RFC 8985 §7.2). */
bool tcp_tlp_allowed(const struct tcp_pcb *pcb);
/* tcp_recovery.c: the probe of a stalled recovery: resend the first hole. */
void tcp_recovery_probe(struct tcp_pcb *pcb);
/* Arms KEEP to the idle time when SO_KEEPALIVE is on, disarms it otherwise. */
void tcp_keepalive_reset(struct tcp_pcb *pcb);
/* Enters TIME-WAIT (2*MSL); an orphan gives its buffers back. */
void tcp_enter_time_wait(struct tcp_pcb *pcb, const struct tcp_view *why);
/* Frees the rings of a pcb that will never move data again (orphan in TIME-WAIT). */
void tcp_pcb_trim(struct tcp_pcb *pcb);

/* tcp_recovery.c */
/* Adds the peer's SACK blocks above SND.UNA to the scoreboard (RFC 2018 §5). */
void tcp_sack_update(struct tcp_pcb *pcb, const struct tcp_opts *o);
/* New data acknowledged up to ack: free the ring, sample the RTT, move the window. */
void tcp_ack_new_data(struct tcp_pcb *pcb, uint32_t ack, const struct tcp_opts *opt);
/* A duplicate ACK (RFC 5681 §2): fast retransmit, or progress of a recovery. */
void tcp_ack_duplicate(struct tcp_pcb *pcb, uint32_t ack, bool new_sack);
/*
 * Everything an ACK means to the sender's loss detection, once per ACK
 * after the scoreboard and SND.UNA moved: RACK (RFC 8985 §6.2), D-SACK
 * (RFC 2883 §5), undo, entering and pacing a recovery (PRR, RFC 6937);
 * then the --trace tcp line.  prior_una: SND.UNA before the ACK;
 * delivered: bytes newly acked or SACKed.
 */
void tcp_ack_done(struct tcp_pcb *pcb, uint32_t prior_una, uint32_t delivered,
		  const struct tcp_opts *opt, bool dup);
/* RFC 2883 §4: a D-SACK in o (SEG.ACK ack)?  Counts it, grows RACK's
 * reo_wnd (RFC 8985 §6.2 step 4) and the D-SACK undo count. */
bool tcp_dsack_check(struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t ack);
/* The same test, no side effects (prior_una: SND.UNA before the ACK). */
bool tcp_dsack_seen(const struct tcp_pcb *pcb, const struct tcp_opts *o, uint32_t prior_una);
/* The highest SACKed sequence (RACK.fack), or SND.UNA. */
uint32_t tcp_sack_fack(const struct tcp_pcb *pcb);
/* The records after SND.UNA and the scoreboard moved: pops acknowledged
 * ones, marks SACKed ones, RACK-updates each; returns bytes newly SACKed. */
uint32_t tcp_recs_update(struct tcp_pcb *pcb, const struct tcp_opts *opt, uint32_t fack);
/* Segments retransmitted and still in flight (ss's retrans:N/...). */
uint32_t tcp_retrans_out(const struct tcp_pcb *pcb);
/* Whether RACK is the loss detector (SACK on, records kept). */
bool tcp_rack_on(const struct tcp_pcb *pcb);
/* The segment [seq, seq+len) (FIN included in len) goes out now. */
void tcp_seg_sent(struct tcp_pcb *pcb, uint32_t seq, uint32_t len);
/* Frees the segment records (connection over). */
void tcp_seg_recs_free(struct tcp_pcb *pcb);
/* RACK's reordering timer fired (RFC 8985 §6.3). */
void tcp_rack_reo_timeout(struct tcp_pcb *pcb);
/* The RTO fired: every record is lost (RFC 8985 §6.3 after an RTO), F-RTO starts. */
void tcp_recovery_on_rto(struct tcp_pcb *pcb);
/* Sends what the recovery allows: lost segments first (RFC 8985 §6.2 / RFC 6675 (C)). */
void tcp_recovery_send(struct tcp_pcb *pcb);
/* One "--trace tcp" line for an event ("ack", "dupack", "rto", ...). */
void tcp_trace_event(struct tcp_pcb *pcb, const char *event);
/* One "--trace tcp" line for a data segment sent (the time-sequence graph). */
void tcp_trace_tx(struct tcp_pcb *pcb, uint32_t seq, uint32_t len, bool retrans);
/* The name of pcb's recovery state for traces and the table. */
const char *tcp_ca_state_name(uint8_t s);

#endif
