/*
 * tcp_pcb.c - the control block's life cycle and the tables that find it:
 * the 4-tuple hash, the port hash and the listener table, RFC 6528 ISNs,
 * ephemeral ports, listener queues, tcp_set_state (the only writer of the
 * state, and the --trace tcp line), and the connection table that SIGUSR1
 * prints.
 *
 * Read first: RFC 9293 §3.3.2 (states), §3.4.1 (ISN); RFC 6528 §3 (ISN
 * function); RFC 6056 (ephemeral ports).
 */
#include "tcp_var.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "siphash.h"
#include "socket.h"
#include "stack.h"
#include "tcp_cc.h"
#include "tcp_seq.h"

/* ---- Keyed hashing (SipHash-2-4, stack/siphash.c) for ISNs and tables ---- */

/* Keyed hash of a 4-tuple: two words for IPv4 (12 bytes), five for IPv6. */
static uint64_t tuple_hash(const uint64_t key[2], const struct ip_addr *lip, uint16_t lport,
			   const struct ip_addr *rip, uint16_t rport)
{
	uint64_t ports = (uint64_t)lport << 16 | rport;
	if (lip->af != AF_INET6) {
		uint64_t m[2] = {(uint64_t)lip->v4 << 32 | rip->v4, ports};
		return siphash24_words(key, m, 2);
	}
	uint64_t m[5];
	memcpy(m, lip->v6, 16);
	memcpy(m + 2, rip->v6, 16);
	m[4] = ports;
	return siphash24_words(key, m, 5);
}

/*
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4-microsecond timer.  F is SipHash with a key drawn from
 * the stack's RNG at init, so ISNs are unpredictable off-path yet
 * reproducible under a fixed seed and virtual clock.
 */
uint32_t tcp_isn(struct stack *st, const struct ip_addr *lip, uint16_t lport,
		 const struct ip_addr *rip, uint16_t rport)
{
	uint32_t m = (uint32_t)(st->now_us / 4);
	return m + (uint32_t)tuple_hash(st->tcp->isn_key, lip, lport, rip, rport);
}

uint32_t tcp_cookie_ts_offset(struct stack *st, const struct ip_addr *lip, uint16_t lport,
			      const struct ip_addr *rip, uint16_t rport)
{
	return (uint32_t)tuple_hash(st->tcp->cookie_ts_key, lip, lport, rip, rport);
}

/* ---- Tables ---- */

static size_t conn_slot(struct stack *st, const struct ip_addr *lip, uint16_t lport,
			const struct ip_addr *rip, uint16_t rport)
{
	return tuple_hash(st->tcp->hash_key, lip, lport, rip, rport) &
	       ((1u << TCP_CONN_HASH_BITS) - 1);
}

static size_t bind_slot(uint16_t port)
{
	/* Ports are already well spread; fold the high bits in. */
	return (port ^ (port >> TCP_BIND_HASH_BITS)) & ((1u << TCP_BIND_HASH_BITS) - 1);
}

void tcp_conn_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (pcb->in_conn_hash)
		return;
	size_t i =
	    conn_slot(st, &pcb->local_ip, pcb->local_port, &pcb->remote_ip, pcb->remote_port);
	pcb->hnext = st->tcp->conn_hash[i];
	st->tcp->conn_hash[i] = pcb;
	pcb->in_conn_hash = true;
}

static void conn_hash_remove(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (!pcb->in_conn_hash)
		return;
	size_t i =
	    conn_slot(st, &pcb->local_ip, pcb->local_port, &pcb->remote_ip, pcb->remote_port);
	for (struct tcp_pcb **pp = &st->tcp->conn_hash[i]; *pp; pp = &(*pp)->hnext)
		if (*pp == pcb) {
			*pp = pcb->hnext;
			break;
		}
	pcb->in_conn_hash = false;
}

struct tcp_pcb *tcp_conn_lookup(struct stack *st, const struct ip_addr *lip, uint16_t lport,
				const struct ip_addr *rip, uint16_t rport)
{
	size_t i = conn_slot(st, lip, lport, rip, rport);
	for (struct tcp_pcb *p = st->tcp->conn_hash[i]; p; p = p->hnext)
		if (p->local_port == lport && p->remote_port == rport &&
		    ip_addr_eq(&p->remote_ip, rip) && ip_addr_eq(&p->local_ip, lip))
			return p;
	return NULL;
}

void tcp_bind_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (pcb->bprev)
		return;
	struct tcp_pcb **head = &st->tcp->bind_hash[bind_slot(pcb->local_port)];
	pcb->bnext = *head;
	if (*head)
		(*head)->bprev = &pcb->bnext;
	*head = pcb;
	pcb->bprev = head;
}

static void bind_hash_remove(struct tcp_pcb *pcb)
{
	if (!pcb->bprev)
		return;
	*pcb->bprev = pcb->bnext;
	if (pcb->bnext)
		pcb->bnext->bprev = pcb->bprev;
	pcb->bnext = NULL;
	pcb->bprev = NULL;
}

/* Listeners are few: a chain per port slot, kept apart from the bind hash. */
static void listen_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	size_t i = bind_slot(pcb->local_port);
	pcb->lnext = st->tcp->listen_hash[i];
	st->tcp->listen_hash[i] = pcb;
	pcb->in_listen_hash = true;
}

static void listen_hash_remove(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	for (struct tcp_pcb **pp = &st->tcp->listen_hash[bind_slot(pcb->local_port)]; *pp;
	     pp = &(*pp)->lnext)
		if (*pp == pcb) {
			*pp = pcb->lnext;
			break;
		}
	pcb->in_listen_hash = false;
}

struct tcp_pcb *tcp_listener_lookup(struct stack *st, const struct ip_addr *lip, uint16_t lport)
{
	/* The most specific listener: its address, then its family's
	 * wildcard, then the dual-stack one (Linux compute_score). */
	struct tcp_pcb *best = NULL;
	int best_score = -1;
	for (struct tcp_pcb *p = st->tcp->listen_hash[bind_slot(lport)]; p; p = p->lnext) {
		if (p->local_port != lport || !ip_addr_matches(&p->local_ip, lip))
			continue;
		int score = ip_addr_match_score(&p->local_ip);
		if (score > best_score) {
			best = p;
			best_score = score;
		}
	}
	return best;
}

/*
 * Linux semantics: a port is taken by any pcb bound to it unless both sides
 * set SO_REUSEADDR and the other is not listening; a listener always
 * conflicts with a second listener (never two listeners on one port).
 */
bool tcp_port_in_use(struct stack *st, const struct ip_addr *ip, uint16_t port, bool reuseaddr,
		     bool for_listen, const struct tcp_pcb *self)
{
	for (struct tcp_pcb *p = st->tcp->bind_hash[bind_slot(port)]; p; p = p->bnext) {
		if (p == self || p->local_port != port)
			continue;
		if (!ip_addr_overlap(&p->local_ip, ip))
			continue;
		if (p->state == TCPS_LISTEN)
			return true;
		if (for_listen && p->state == TCPS_CLOSED && !p->listener && p->sock &&
		    !p->in_conn_hash)
			continue; /* bound, not listening, not connected: Linux lets listen() win */
		if (!(reuseaddr && p->reuseaddr) && !(reuseaddr && p->state == TCPS_TIME_WAIT))
			return true;
	}
	return false;
}

uint16_t tcp_ephemeral_port(struct stack *st)
{
	/* Linux's default ip_local_port_range. */
	const uint32_t lo = 32768, n = 60999 - 32768 + 1;
	uint32_t start = (uint32_t)(ts_rand(st) % n);
	for (uint32_t k = 0; k < n; k++) {
		uint16_t port = (uint16_t)(lo + (start + k) % n);
		bool used = false;
		for (struct tcp_pcb *p = st->tcp->bind_hash[bind_slot(port)]; p; p = p->bnext)
			if (p->local_port == port) {
				used = true;
				break;
			}
		if (!used)
			return port;
	}
	return 0;
}

/* ---- Listener queues ---- */

void tcp_queue_push(struct tcp_queue *q, struct tcp_pcb *pcb)
{
	pcb->q_next = NULL;
	if (q->tail)
		q->tail->q_next = pcb;
	else
		q->head = pcb;
	q->tail = pcb;
	q->n++;
	pcb->q = q;
}

void tcp_queue_remove(struct tcp_pcb *pcb)
{
	struct tcp_queue *q = pcb->q;
	if (!q)
		return;
	struct tcp_pcb *prev = NULL;
	for (struct tcp_pcb *p = q->head; p; prev = p, p = p->q_next) {
		if (p != pcb)
			continue;
		if (prev)
			prev->q_next = p->q_next;
		else
			q->head = p->q_next;
		if (q->tail == p)
			q->tail = prev;
		q->n--;
		break;
	}
	pcb->q = NULL;
	pcb->q_next = NULL;
}

struct tcp_pcb *tcp_queue_pop(struct tcp_queue *q)
{
	struct tcp_pcb *p = q->head;
	if (p)
		tcp_queue_remove(p);
	return p;
}

/* ---- Control block life cycle ---- */

static const char *const state_names[] = {
    [TCPS_CLOSED] = "CLOSED",		[TCPS_LISTEN] = "LISTEN",
    [TCPS_SYN_SENT] = "SYN-SENT",	[TCPS_SYN_RECEIVED] = "SYN-RECEIVED",
    [TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_FIN_WAIT_1] = "FIN-WAIT-1",
    [TCPS_FIN_WAIT_2] = "FIN-WAIT-2",	[TCPS_CLOSE_WAIT] = "CLOSE-WAIT",
    [TCPS_CLOSING] = "CLOSING",		[TCPS_LAST_ACK] = "LAST-ACK",
    [TCPS_TIME_WAIT] = "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state_id s)
{
	return (unsigned)s <= TCPS_TIME_WAIT ? state_names[s] : "?";
}

struct tcp_pcb *tcp_pcb_new(struct stack *st)
{
	struct tcp_pcb *pcb = calloc(1, sizeof(*pcb));
	if (!pcb)
		return NULL;
	pcb->st = st;
	pcb->state = TCPS_CLOSED;
	tcp_timer_init(pcb);
	pcb->rtt.rto_us = st->cfg.tcp_init_rto_ms * 1000u; /* RFC 6298 (2.1) */
	pcb->peer_mss = TCP_DEFAULT_MSS;
	pcb->smss = TCP_DEFAULT_MSS;
	pcb->rmss = (uint16_t)(st->cfg.mtu - 40);
	pcb->ts_offset = (uint32_t)ts_rand(st);
	/* cfg.tcp_congestion (--cc), CUBIC by default as on Linux;
	 * TCP_CONGESTION chooses another per socket. */
	pcb->cc = tcp_cc_find(st->cfg.tcp_congestion);
	if (!pcb->cc)
		pcb->cc = &tcp_cc_cubic;
	pcb->rack_reo_wnd_mult = 1;
	pcb->all_next = st->tcp->all;
	if (st->tcp->all)
		st->tcp->all->all_prev = pcb;
	st->tcp->all = pcb;
	st->tcp->npcbs++;
	return pcb;
}

void tcp_pcb_free(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	tcp_timer_disarm_all(pcb);
	tcp_orphan_leave(pcb);
	conn_hash_remove(pcb);
	bind_hash_remove(pcb);
	if (pcb->in_listen_hash)
		listen_hash_remove(pcb);
	tcp_queue_remove(pcb);
	if (pcb->all_prev)
		pcb->all_prev->all_next = pcb->all_next;
	else
		st->tcp->all = pcb->all_next;
	if (pcb->all_next)
		pcb->all_next->all_prev = pcb->all_prev;
	st->tcp->npcbs--;
	tcp_ring_release(st, &pcb->snd_ring);
	tcp_ring_release(st, &pcb->rcv_ring);
	tcp_seg_recs_free(pcb);
	free(pcb);
}

void tcp_rcv_params(const struct stack *st, const struct ts_sockopts *so, int af,
		    struct tcp_rcv_params *p)
{
	const struct ts_config *cfg = &st->cfg;
	uint32_t rcvbuf = so ? so->rcvbuf : cfg->tcp_rcvbuf;
	if (rcvbuf < 2048)
		rcvbuf = 2048;
	/*
	 * RFC 7323 §2.3: the smallest shift that lets the window cover the
	 * largest buffer the connection may have.  Linux
	 * (tcp_select_initial_window) takes that from tcp_rmem[2] unless
	 * SO_RCVBUF fixed the buffer, so a buffer grown later (SO_RCVBUF after
	 * connect) can still be offered whole.
	 */
	uint32_t max = rcvbuf;
	if (!(so && so->rcvbuf_locked) && cfg->tcp_rcvbuf_max > max)
		max = cfg->tcp_rcvbuf_max;
	uint8_t ws = 0;
	while (ws < TCP_MAX_WS && (max >> ws) > 65535)
		ws++;
	p->rcvbuf = rcvbuf;
	p->wscale = ws;
	/* The first window, which the data that arrives then opens up to the ring. */
	p->init_wnd = cfg->tcp_init_rcv_wnd && cfg->tcp_init_rcv_wnd < rcvbuf
			  ? cfg->tcp_init_rcv_wnd
			  : rcvbuf;
	/* The MTU less the network and TCP headers (RFC 9293 §3.7.1; RFC 8200
	 * §8.3: 60 octets over IPv6).  TCP_MAXSEG clamps the MSS we announce,
	 * and so the one we use (tcp(7)). */
	p->mss = (uint16_t)(cfg->mtu - ip_hdr_len(af) - TCP_HDR_LEN);
	if (so && so->user_mss && so->user_mss < p->mss)
		p->mss = so->user_mss;
}

int tcp_pcb_alloc_rings(struct tcp_pcb *pcb, const struct ts_sockopts *so, int af)
{
	const struct ts_config *cfg = &pcb->st->cfg;
	struct tcp_rcv_params rp;
	tcp_rcv_params(pcb->st, so, af, &rp);
	uint32_t sndbuf = so ? so->sndbuf : cfg->tcp_sndbuf;
	if (sndbuf < 2048)
		sndbuf = 2048;
	/* Capacity only: storage is attached by the first byte to store, so
	 * an idle connection costs its pcb and nothing more. */
	pcb->snd_ring = (struct tcp_ring){.cap = sndbuf};
	pcb->rcv_ring = (struct tcp_ring){.cap = rp.rcvbuf};
	pcb->rcv_wscale = rp.wscale;
	pcb->rcv_wnd = rp.rcvbuf;
	pcb->rcv_ssthresh = rp.init_wnd;
	pcb->rcv_grow_mark = 0;
	pcb->rmss = rp.mss;
	/* IP_PMTUDISC_WANT without a socket, as Linux's default: DF on every
	 * segment (they are sized to fit the path MTU). */
	pcb->ip_opts = (struct ip_tx_opts){.pmtudisc = IP_PMTUDISC_WANT};
	if (so) {
		pcb->ip_opts = ts_sock_tx_opts(so, af);
	}
	return 0;
}

/*
 * Gives r cap bytes of capacity, keeping the first keep bytes from its
 * head (its data and whatever sits behind it).  Storage, if r has any,
 * is replaced by a block of the new size, so the ring cache sees only
 * whole blocks.
 */
static int ring_resize(struct stack *st, struct tcp_ring *r, uint32_t cap, uint32_t keep)
{
	if (cap < keep)
		cap = keep;
	if (cap == r->cap)
		return 0;
	if (!r->buf) {
		r->cap = cap;
		return 0;
	}
	struct tcp_ring nr = {.cap = cap};
	if (tcp_ring_attach(st, &nr) < 0)
		return -ENOMEM;
	tcp_ring_peek(r, 0, nr.buf, keep);
	nr.len = r->len;
	tcp_ring_release(st, r);
	*r = nr;
	return 0;
}

int tcp_pcb_resize_rings(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf)
{
	struct stack *st = pcb->st;
	if (sndbuf < 2048)
		sndbuf = 2048;
	if (rcvbuf < 2048)
		rcvbuf = 2048;
	/* Receive ring: the unread bytes, the out-of-order ones behind them,
	 * and room for all of the window the peer was offered. */
	uint32_t keep = pcb->rcv_ring.len, behind = 0;
	if (seq_gt(pcb->rcv_adv, pcb->rcv_nxt))
		behind = pcb->rcv_adv - pcb->rcv_nxt;
	for (uint32_t i = 0; i < pcb->ofo.n; i++)
		if (pcb->ofo.r[i].right - pcb->rcv_nxt > behind)
			behind = pcb->ofo.r[i].right - pcb->rcv_nxt;
	uint32_t rcv_keep = pcb->rcv_ring.len + (pcb->ofo.n ? behind : 0);
	uint32_t rcv_cap = rcvbuf > keep + behind ? rcvbuf : keep + behind;
	if (ring_resize(st, &pcb->rcv_ring, rcv_cap, rcv_keep) < 0)
		return -ENOMEM;
	/* Without a first-window limit the whole ring is offered; with one,
	 * the window keeps growing with the data that arrives, as Linux's
	 * rcv_ssthresh does after a buffer change. */
	if (!st->cfg.tcp_init_rcv_wnd || pcb->rcv_ssthresh > pcb->rcv_ring.cap)
		pcb->rcv_ssthresh = pcb->rcv_ring.cap;
	/* Send ring: everything not yet acknowledged stays. */
	if (ring_resize(st, &pcb->snd_ring, sndbuf, pcb->snd_ring.len) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- Orphans (Linux tcp_orphan_count, tcp_too_many_orphans) ---- */

static uint32_t ring_storage(const struct tcp_pcb *pcb)
{
	return (pcb->snd_ring.buf ? pcb->snd_ring.cap : 0) +
	       (pcb->rcv_ring.buf ? pcb->rcv_ring.cap : 0);
}

/* An orphan's storage only shrinks (it sends what it holds, and data that
 * arrives for it is answered with a RST): recount it when a ring goes. */
static void orphan_storage_changed(struct tcp_pcb *pcb)
{
	if (!pcb->orphan)
		return;
	struct tcp_state *t = pcb->st->tcp;
	t->orphan_bytes -= pcb->orphan_bytes;
	pcb->orphan_bytes = ring_storage(pcb);
	t->orphan_bytes += pcb->orphan_bytes;
}

void tcp_orphan_leave(struct tcp_pcb *pcb)
{
	struct tcp_state *t = pcb->st->tcp;
	if (!pcb->orphan)
		return;
	if (pcb->orphan_prev)
		pcb->orphan_prev->orphan_next = pcb->orphan_next;
	else
		t->orphan_head = pcb->orphan_next;
	if (pcb->orphan_next)
		pcb->orphan_next->orphan_prev = pcb->orphan_prev;
	else
		t->orphan_tail = pcb->orphan_prev;
	pcb->orphan_prev = pcb->orphan_next = NULL;
	t->norphans--;
	t->orphan_bytes -= pcb->orphan_bytes;
	pcb->orphan_bytes = 0;
	pcb->orphan = false;
}

/*
 * Every orphan holds its pcb and possibly a full send ring that a peer
 * with a shut window never drains, and nobody will ever read or close it:
 * without a bound, a client could make a server hold memory at will.  Like
 * Linux (tcp_too_many_orphans, tcp_out_of_resources: RST and done), the
 * oldest orphans are reset while there are too many or they hold too much;
 * the timers of tcp_timer.c bound how long each lives.
 */
void tcp_pcb_orphan(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	struct tcp_state *t = st->tcp;
	if (pcb->orphan || !tcp_is_orphan(pcb) || pcb->state == TCPS_CLOSED ||
	    pcb->state == TCPS_LISTEN || pcb->state == TCPS_TIME_WAIT)
		return;
	pcb->orphan = true;
	pcb->orphan_next = NULL;
	pcb->orphan_prev = t->orphan_tail;
	if (t->orphan_tail)
		t->orphan_tail->orphan_next = pcb;
	else
		t->orphan_head = pcb;
	t->orphan_tail = pcb;
	t->norphans++;
	pcb->orphan_bytes = ring_storage(pcb);
	t->orphan_bytes += pcb->orphan_bytes;
	while (t->orphan_head && (t->norphans > st->cfg.tcp_max_orphans ||
				  t->orphan_bytes > st->cfg.tcp_orphan_max_bytes)) {
		struct tcp_pcb *old = t->orphan_head;
		ts_count(st, CTR_TCP_ABORT_ON_MEMORY);
		tcp_send_rst_pcb(old);
		old->tf |= TF_RESET;
		tcp_pcb_close(old, NULL);
	}
}

void tcp_rcv_ring_idle(struct tcp_pcb *pcb)
{
	/* Out-of-order bytes sit behind the (empty) in-order data: keep them. */
	if (pcb->rcv_ring.buf && !pcb->rcv_ring.len && !pcb->ofo.n) {
		tcp_ring_release(pcb->st, &pcb->rcv_ring);
		orphan_storage_changed(pcb);
	}
}

void tcp_snd_ring_idle(struct tcp_pcb *pcb)
{
	if (pcb->snd_ring.buf && !pcb->snd_ring.len) {
		tcp_ring_release(pcb->st, &pcb->snd_ring);
		orphan_storage_changed(pcb);
	}
}

/*
 * After the handshake: SMSS from the peer's MSS option (RFC 9293 §3.7.1,
 * default 536), capped by our MTU and raised to TCP_MIN_PEER_MSS, minus
 * the timestamp option we will carry on every segment (RFC 6691 §2: the MSS
 * excludes options).  The floor comes first: MSS 0-11 with timestamps
 * would otherwise wrap to segments of ~65 KB.  The window starts from it
 * (tcp_cc_on_established).
 */
void tcp_pcb_setup_mss(struct tcp_pcb *pcb, const struct tcp_opts *peer)
{
	uint32_t mss = peer && peer->has_mss ? peer->mss : TCP_DEFAULT_MSS;
	pcb->peer_mss = (uint16_t)mss;
	if (mss > pcb->rmss)
		mss = pcb->rmss;
	if (mss < TCP_MIN_PEER_MSS)
		ts_count(pcb->st, CTR_TCP_MSS_RAISED);
	/* The same rule, and the path MTU learned toward the peer (RFC 1191,
	 * tcp_err.c), whenever that changes later. */
	tcp_sync_mss(pcb, tcp_path_mtu(pcb));
	/* tcp_initialize_rcv_mss: the peer's segments are taken as small until seen. */
	if (pcb->rcv_mss < TCP_DEFAULT_MSS)
		pcb->rcv_mss = pcb->smss < TCP_DEFAULT_MSS ? pcb->smss : TCP_DEFAULT_MSS;
	tcp_cc_on_established(pcb);
}

uint32_t tcp_offered_options(const struct stack *st)
{
	return TF_WS_OK | (st->cfg.tcp_sack ? TF_SACK_OK : 0u) |
	       (st->cfg.tcp_timestamps ? TF_TS_OK : 0u);
}

void tcp_wakeup(struct tcp_pcb *pcb)
{
	if (pcb->sock)
		ts_sock_wakeup(pcb->sock);
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state_id to, const struct tcp_view *why)
{
	struct stack *st = pcb->st;
	enum tcp_state_id from = pcb->state;
	if (from == to)
		return;
	pcb->state = to;
	if (to == TCPS_ESTABLISHED) {
		pcb->tf |= TF_EVER_CONNECTED;
		pcb->established_us = st->now_us;
		pcb->pushed_seq = pcb->snd_nxt; /* forced PSH counts from here */
	}
	/* The listener table holds exactly the pcbs in LISTEN.  (A child is
	 * born with its listener's state, for the trace, but never joins.) */
	if (to == TCPS_LISTEN)
		listen_hash_add(pcb);
	else if (pcb->in_listen_hash)
		listen_hash_remove(pcb);
	if (ts_tracing(st, TS_TRACE_TCP)) {
		char seg[96] = "";
		if (why) {
			char fl[12];
			tcp_flags_str(why->flags, fl);
			snprintf(seg, sizeof(seg), " on [%s] seq=%u ack=%u len=%u", fl, why->seq,
				 why->ack, why->payload_len);
		}
		char l[IP_ADDR_STRLEN + 8], r[IP_ADDR_STRLEN + 8];
		ip_endpoint_str(&pcb->local_ip, pcb->local_port, l, sizeof(l));
		ip_endpoint_str(&pcb->remote_ip, pcb->remote_port, r, sizeof(r));
		ts_trace(st, TS_TRACE_TCP, "tcp %s<%s %s -> %s%s\n", l, r, tcp_state_name(from),
			 tcp_state_name(to), seg);
	}
}

void tcp_pcb_close(struct tcp_pcb *pcb, const struct tcp_view *why)
{
	tcp_set_state(pcb, TCPS_CLOSED, why);
	tcp_timer_disarm_all(pcb);
	tcp_orphan_leave(pcb);
	conn_hash_remove(pcb);
	if (pcb->q) {
		/* A child that dies before accept leaves its listener's queue. */
		tcp_queue_remove(pcb);
	}
	pcb->listener = NULL;
	if (!pcb->sock) {
		tcp_pcb_free(pcb);
		return;
	}
	/* The socket keeps the pcb (and its port, as Linux does) until close. */
	tcp_wakeup(pcb);
}

/* ---- Stack hooks ---- */

int tcp_init(struct stack *st)
{
	struct tcp_state *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	st->tcp = t;
	t->conn_hash = calloc((size_t)1 << TCP_CONN_HASH_BITS, sizeof(*t->conn_hash));
	t->bind_hash = calloc((size_t)1 << TCP_BIND_HASH_BITS, sizeof(*t->bind_hash));
	t->listen_hash = calloc((size_t)1 << TCP_BIND_HASH_BITS, sizeof(*t->listen_hash));
	if (!t->conn_hash || !t->bind_hash || !t->listen_hash) {
		tcp_destroy(st);
		return -ENOMEM;
	}
	t->hash_key[0] = ts_rand(st);
	t->hash_key[1] = ts_rand(st);
	t->isn_key[0] = ts_rand(st);
	t->isn_key[1] = ts_rand(st);
	for (int i = 0; i < 2; i++) {
		t->cookie_key[i][0] = ts_rand(st);
		t->cookie_key[i][1] = ts_rand(st);
	}
	t->cookie_ts_key[0] = ts_rand(st);
	t->cookie_ts_key[1] = ts_rand(st);
	return 0;
}

/*
 * The stack is going away for good (stack_shutdown): whatever is still open
 * after the program's drain is reset, so the peer learns it now.  A FIN
 * queued behind data the peer's zero window holds back would never go, and
 * a peer that only receives would then wait forever.  The states are
 * Linux's tcp_disconnect() choice (tcp_need_reset), and CLOSING / LAST-ACK
 * while our FIN is unacknowledged, which is always in those states (Linux
 * resets those only with data unsent); RFC 9293 §3.10.4 ABORT.
 */
void tcp_reset_all(struct stack *st)
{
	if (!st->tcp)
		return;
	struct tcp_pcb *next;
	for (struct tcp_pcb *p = st->tcp->all; p; p = next) {
		next = p->all_next;
		switch (p->state) {
		case TCPS_SYN_RECEIVED:
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
		case TCPS_CLOSE_WAIT:
			break;
		case TCPS_CLOSING:
		case TCPS_LAST_ACK:
			if (p->snd_una != p->snd_nxt)
				break;
			continue;
		default:
			continue;
		}
		ts_count(st, CTR_TCP_ABORT_ON_SHUTDOWN);
		tcp_send_rst_pcb(p);
		p->tf |= TF_RESET;
		tcp_pcb_close(p, NULL);
	}
}

void tcp_destroy(struct stack *st)
{
	if (!st->tcp)
		return;
	while (st->tcp->all) {
		struct tcp_pcb *p = st->tcp->all;
		if (p->sock) {
			p->sock->pcb = NULL;
			p->sock = NULL;
		}
		tcp_pcb_free(p);
	}
	tcp_ring_cache_destroy(st->tcp->ring_cache);
	free(st->tcp->conn_hash);
	free(st->tcp->bind_hash);
	free(st->tcp->listen_hash);
	free(st->tcp);
	st->tcp = NULL;
}

/*
 * The line `ss -ti` prints under a connection: cc name, rto, rtt/rttvar,
 * mss, cwnd, ssthresh, retrans, delivery rate (bytes acknowledged over the
 * connection's life, as a rate: Linux shows the last sample).
 */
static void print_info(const struct tcp_pcb *p, FILE *out)
{
	struct stack *st = p->st;
	char ss[24] = "";
	if (p->ssthresh != UINT32_MAX)
		snprintf(ss, sizeof(ss), " ssthresh:%u", p->ssthresh / (p->smss ? p->smss : 1));
	double rate = 0;
	if (p->delivered_bytes && st->now_us > p->established_us)
		rate = p->delivered_bytes * 8.0 / ((st->now_us - p->established_us) / 1e6);
	fprintf(out,
		"\t %s rto:%.0f rtt:%.3f/%.3f mss:%u cwnd:%u%s bytes_acked:%llu "
		"retrans:%u/%u delivery_rate:%.0fbps ca_state:%s\n",
		p->cc->name, tcp_rto_us(p) / 1000.0, p->rtt.srtt_us / 1000.0,
		p->rtt.rttvar_us / 1000.0, p->smss, p->cwnd / (p->smss ? p->smss : 1), ss,
		(unsigned long long)p->delivered_bytes, tcp_retrans_out(p), p->total_retrans, rate,
		tcp_ca_state_name(p->ca_state));
}

void tcp_print_table(struct stack *st, FILE *out)
{
	fprintf(out, "%-12s %8s %8s %-21s %-21s %8s %8s %8s\n", "State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port", "cwnd", "srtt_ms", "rto_ms");
	for (struct tcp_pcb *p = st->tcp->all; p; p = p->all_next) {
		char l[IP_ADDR_STRLEN + 8], r[IP_ADDR_STRLEN + 8];
		ip_endpoint_str(&p->local_ip, p->local_port, l, sizeof(l));
		if (p->state == TCPS_LISTEN || p->state == TCPS_CLOSED)
			snprintf(r, sizeof(r), "*:*");
		else
			ip_endpoint_str(&p->remote_ip, p->remote_port, r, sizeof(r));
		/* ss shows the accept queue and backlog for listeners. */
		uint32_t rq = p->state == TCPS_LISTEN ? p->acceptq.n : p->rcv_ring.len;
		uint32_t sq = p->state == TCPS_LISTEN ? (uint32_t)p->backlog : p->snd_ring.len;
		fprintf(out, "%-12s %8u %8u %-21s %-21s %8u %8.1f %8.1f\n",
			tcp_state_name(p->state), rq, sq, l, r, p->cwnd, p->rtt.srtt_us / 1000.0,
			tcp_rto_us(p) / 1000.0);
		if (p->state >= TCPS_ESTABLISHED)
			print_info(p, out);
	}
}
