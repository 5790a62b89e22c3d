/*
 * tcp_sock.c - tcp_sock_ops: the socket contract of socket.h for TCP.
 *
 * socket.c turns these -errno results into errno and handles blocking; this
 * file maps each call onto the connection: bind/listen/accept/connect set up
 * control blocks, read/write copy through the rings (one copy each way),
 * shutdown/close start the FIN sequence (RFC 9293 §3.10.4) or abort with a
 * RST (SO_LINGER 0, unread data: RFC 2525 §2.17), linger reports whether a
 * lingering close must still wait for its FIN to be acknowledged, poll
 * reports readiness the way Linux's tcp_poll does, ioctl the queue sizes
 * of tcp_ioctl, and the TCP-level options that need the connection
 * (TCP_MAXSEG, TCP_INFO, TCP_CONGESTION) are read and written here.
 *
 * Asynchronous errors wait in sock->so_error: ECONNREFUSED (RST in
 * SYN-SENT), ECONNRESET (RST later), ETIMEDOUT (retries, keep-alive).
 *
 * Read first: tcp(7) (options, ioctls), Linux's tcp_poll, tcp_ioctl,
 * tcp_get_info and do_tcp_setsockopt.
 */
#include <errno.h>
#include <string.h>
#include <linux/tcp.h>
#include <sys/epoll.h>

#include "socket.h"
#include "stack.h"
#include "tapstack.h"
#include "tcp_cc.h"
#include "tcp_var.h"
#include "tcp_seq.h"

/* tcp(7) TCP_MAXSEG bounds (Linux TCP_MIN_MSS, MAX_TCP_WINDOW). */
#define TCP_USER_MSS_MIN 88
#define TCP_USER_MSS_MAX 32767
/* TCP_CA_NAME_MAX: a congestion-control name with its NUL. */
#define TCP_CC_NAME_MAX 16

/* The socket's pcb, created on first use (a fresh socket has none). */
static struct tcp_pcb *sock_pcb(struct ts_sock *s, bool create)
{
	if (!s->pcb && create) {
		struct tcp_pcb *pcb = tcp_pcb_new(s->st);
		if (!pcb)
			return NULL;
		pcb->sock = s;
		s->pcb = pcb;
	}
	return s->pcb;
}

static int tcp_bind(struct ts_sock *s, const struct ip_endpoint *ep)
{
	struct tcp_pcb *pcb = sock_pcb(s, true);
	uint16_t port = ep->port;
	if (!pcb)
		return -ENOMEM;
	if (pcb->local_port || pcb->state != TCPS_CLOSED)
		return -EINVAL; /* already bound */
	if (!port) {
		port = tcp_ephemeral_port(s->st);
		if (!port)
			return -EADDRINUSE;
	} else if (tcp_port_in_use(s->st, &ep->addr, port, s->opt.reuseaddr, false, pcb)) {
		return -EADDRINUSE;
	}
	pcb->local_ip = ep->addr;
	pcb->local_port = port;
	pcb->user_bound_ip = !ip_addr_is_any(&ep->addr);
	pcb->reuseaddr = s->opt.reuseaddr;
	tcp_bind_hash_add(pcb);
	return 0;
}

static int tcp_listen(struct ts_sock *s, int backlog)
{
	struct tcp_pcb *pcb = sock_pcb(s, true);
	if (!pcb)
		return -ENOMEM;
	if (pcb->state == TCPS_LISTEN) {
		pcb->backlog = backlog < 0 ? 0 : backlog; /* Linux: listen() again adjusts it */
		return 0;
	}
	if (pcb->state != TCPS_CLOSED || (pcb->tf & TF_EVER_CONNECTED))
		return -EINVAL;
	if (!pcb->local_port) {
		struct ip_endpoint any = {.addr = ts_sock_wildcard(s)};
		int err = tcp_bind(s, &any);
		if (err)
			return err;
	}
	if (tcp_port_in_use(s->st, &pcb->local_ip, pcb->local_port, s->opt.reuseaddr, true, pcb))
		return -EADDRINUSE;
	/* Linux caps the backlog at net.core.somaxconn (4096). */
	pcb->backlog = backlog < 0 ? 0 : backlog > 4096 ? 4096 : backlog;
	pcb->reuseaddr = s->opt.reuseaddr;
	tcp_set_state(pcb, TCPS_LISTEN, NULL);
	return 0;
}

static int tcp_accept(struct ts_sock *s, struct ts_sock **child, struct ip_endpoint *peer)
{
	struct tcp_pcb *lis = s->pcb;
	if (!lis || lis->state != TCPS_LISTEN)
		return -EINVAL;
	if (!lis->acceptq.head)
		return -EAGAIN;
	struct ts_sock *ns = ts_sock_new(s->st, s->domain, SOCK_STREAM, &tcp_sock_ops);
	if (!ns)
		return -ENOMEM;
	struct tcp_pcb *pcb = tcp_queue_pop(&lis->acceptq);
	/* Like Linux, the child inherits the listener's options. */
	ns->opt = s->opt;
	ns->pcb = pcb;
	pcb->sock = ns;
	pcb->listener = NULL;
	tcp_keepalive_reset(pcb);
	*child = ns;
	if (peer) {
		peer->addr = pcb->remote_ip;
		peer->port = pcb->remote_port;
	}
	return 0;
}

/* Sends RST to and frees every child a closing listener still holds. */
static void abort_children(struct tcp_queue *q)
{
	struct tcp_pcb *c;
	while ((c = tcp_queue_pop(q))) {
		tcp_send_rst_pcb(c);
		tcp_pcb_close(c, NULL);
	}
}

/*
 * Linux tcp_disconnect (connect(AF_UNSPEC), shutdown of a listener or of a
 * connect in progress): the connection goes, a synchronized one with a RST
 * (tcp_need_reset) and ECONNRESET as the socket's error, as does a
 * connect in progress (without a RST); a listener stops listening and
 * resets the children it held.  The socket is then as if new but bound:
 * it may connect or listen again, its port kept, its address the
 * wildcard unless bind gave one.
 */
static void tcp_disconnect(struct ts_sock *s, struct tcp_pcb *pcb)
{
	switch (pcb->state) {
	case TCPS_LISTEN:
		abort_children(&pcb->synq);
		abort_children(&pcb->acceptq);
		break;
	case TCPS_SYN_SENT:
		s->so_error = ECONNRESET;
		break;
	case TCPS_SYN_RECEIVED:
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
	case TCPS_FIN_WAIT_1:
	case TCPS_FIN_WAIT_2:
		tcp_send_rst_pcb(pcb);
		s->so_error = ECONNRESET;
		break;
	default:
		break;
	}
	if (pcb->state != TCPS_CLOSED)
		tcp_pcb_close(pcb, NULL);
	pcb->tf = 0;
	if (!pcb->user_bound_ip) {
		pcb->local_ip = ts_sock_wildcard(s);
	}
	tcp_wakeup(pcb);
}

static int tcp_connect(struct ts_sock *s, const struct ip_endpoint *ep)
{
	struct stack *st = s->st;
	struct tcp_pcb *pcb = sock_pcb(s, true);
	if (!pcb)
		return -ENOMEM;
	if (!ep) {
		/* connect(AF_UNSPEC), or a blocking connect that gave up (socket.c). */
		tcp_disconnect(s, pcb);
		return 0;
	}
	if (pcb->tf & TF_CONNECTING) {
		/*
		 * __inet_stream_connect on an SS_CONNECTING socket: still in
		 * the handshake, EALREADY; done, 0 (once: then EISCONN); failed,
		 * its error (ECONNABORTED when SO_ERROR already took it), and
		 * the socket may try again.
		 */
		switch (pcb->state) {
		case TCPS_SYN_SENT:
		case TCPS_SYN_RECEIVED:
			return -EALREADY;
		case TCPS_CLOSED: {
			int e = s->so_error;
			s->so_error = 0;
			pcb->tf &= ~(TF_CONNECTING | TF_EVER_CONNECTED);
			return e ? -e : -ECONNABORTED;
		}
		default:
			pcb->tf &= ~TF_CONNECTING;
			return 0;
		}
	}
	switch (pcb->state) {
	case TCPS_LISTEN:
		return -EINVAL;
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EALREADY;
	case TCPS_CLOSED:
		if (pcb->tf & TF_EVER_CONNECTED)
			return -EISCONN;
		break;
	default:
		return -EISCONN;
	}
	if (ip_addr_is_any(&ep->addr) || !ep->port)
		return -ECONNREFUSED;
	/* tcp_v4_connect: a broadcast or multicast route is unreachable for TCP. */
	if (!ip_addr_is_unicast(st, &ep->addr))
		return -ENETUNREACH;
	if (!pcb->local_port) {
		uint16_t p = tcp_ephemeral_port(st);
		if (!p)
			return -EADDRNOTAVAIL;
		pcb->local_port = p;
		pcb->reuseaddr = s->opt.reuseaddr;
		tcp_bind_hash_add(pcb);
	}
	struct ip_addr lip = pcb->local_ip;
	/* An address bound in the other family cannot reach ep (tcp_v6_connect). */
	if (!ip_addr_is_any(&lip) && lip.af != ep->addr.af)
		return -ENETUNREACH;
	if (ip_addr_is_any(&lip) && ip_select_source(st, &ep->addr, &lip) < 0)
		return -ENETUNREACH;
	if (tcp_conn_lookup(st, &lip, pcb->local_port, &ep->addr, ep->port))
		return -EADDRNOTAVAIL; /* that 4-tuple is still in use (TIME-WAIT) */
	/* A retry after a refused attempt starts from a clean slate. */
	tcp_ring_release(st, &pcb->snd_ring);
	tcp_ring_release(st, &pcb->rcv_ring);
	if (tcp_pcb_alloc_rings(pcb, &s->opt, ep->addr.af) < 0)
		return -ENOMEM;
	pcb->local_ip = lip;
	pcb->remote_ip = ep->addr;
	pcb->remote_port = ep->port;
	/* Options offered (the SYN,ACK decides); the outcome is for a later
	 * connect() to report (TF_CONNECTING). */
	pcb->tf = tcp_offered_options(pcb->st) | TF_CONNECTING;
	memset(&pcb->ofo, 0, sizeof(pcb->ofo));
	pcb->nsacked = 0;
	pcb->rexmt_count = pcb->backoff = 0;
	pcb->iss = tcp_isn(st, &lip, pcb->local_port, &ep->addr, ep->port);
	pcb->snd_una = pcb->snd_nxt = pcb->snd_max = pcb->iss;
	pcb->snd_buf_seq = pcb->iss + 1;
	pcb->recover = pcb->iss;
	pcb->rtt_start_us = st->now_us;
	s->so_error = 0;
	tcp_set_state(pcb, TCPS_SYN_SENT, NULL);
	tcp_conn_hash_add(pcb);
	ts_count(st, CTR_TCP_ACTIVE_OPENS);
	tcp_send_syn(pcb);
	tcp_timer_arm(pcb, TCP_T_REXMT, tcp_rto_us(pcb));
	return -EINPROGRESS;
}

/* Whether the peer's FIN has been consumed in order (end of stream). */
static bool fin_consumed(const struct tcp_pcb *pcb)
{
	return (pcb->tf & TF_RCV_FIN) && pcb->rcv_nxt == pcb->rcv_fin_seq + 1;
}

/* Copies n bytes from the front of ring r into to (the ring wraps at most once). */
static void ring_to_iov(const struct tcp_ring *r, const struct ts_iov *to, uint32_t n)
{
	uint32_t pos = r->head % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	ts_iov_put(to, 0, r->buf + pos, first);
	ts_iov_put(to, first, r->buf, n - first);
}

static ssize_t tcp_recvmsg(struct ts_sock *s, const struct ts_iov *to, int flags,
			   struct ip_endpoint *from, int *msg_flags)
{
	struct tcp_pcb *pcb = s->pcb;
	(void)msg_flags; /* a stream is never cut short */
	if (pcb && pcb->state == TCPS_LISTEN)
		return -ENOTCONN;
	/* tcp_recv_urg: no urgent data is ever held for the reader. */
	if (flags & MSG_OOB)
		return -EINVAL;
	if (!pcb)
		return -ENOTCONN;
	if (from) {
		from->addr = pcb->remote_ip;
		from->port = pcb->remote_port;
	}
	uint32_t avail = pcb->rcv_ring.len;
	size_t len = to->len;
	if (avail && len) {
		uint32_t n = len < avail ? (uint32_t)len : avail;
		/* tcp(7) MSG_TRUNC: the bytes are dropped, not copied. */
		if (!(flags & MSG_TRUNC))
			ring_to_iov(&pcb->rcv_ring, to, n);
		if (!(flags & MSG_PEEK)) {
			tcp_ring_consume(&pcb->rcv_ring, n);
			tcp_rcv_space_adjust(pcb); /* auto-tuning (tcp_in.c) */
			/* Everything read: the storage goes back to the cache. */
			tcp_rcv_ring_idle(pcb);
			/* RFC 9293 §3.8.6.2.2: tell the peer once the window grew enough. */
			if (pcb->state != TCPS_CLOSED && tcp_window_update_due(pcb))
				tcp_send_ack(pcb);
		}
		return n;
	}
	if (pcb->tf & TF_RESET) {
		if (!(pcb->tf & TF_ERR_READ) && s->so_error) {
			/* The error is reported once, then reads see end of file. */
			int e = s->so_error;
			s->so_error = 0;
			pcb->tf |= TF_ERR_READ;
			return -e;
		}
		return 0;
	}
	if (fin_consumed(pcb))
		return 0;
	if (s->so_error) {
		/* An error IP_RECVERR reported on a live connection (tcp_recvmsg:
		 * sk_err before RCV_SHUTDOWN, after the FIN's SOCK_DONE). */
		int e = s->so_error;
		s->so_error = 0;
		return -e;
	}
	if (pcb->tf & TF_RCV_SHUT)
		return 0;
	if (pcb->state == TCPS_CLOSED)
		return -ENOTCONN;
	if (!len)
		return 0;
	return -EAGAIN;
}

/* SHUT_WR: queue a FIN after the data (RFC 9293 §3.10.4 CLOSE call). */
static void shut_wr(struct tcp_pcb *pcb)
{
	if (pcb->tf & TF_FIN_QUEUED)
		return;
	pcb->tf |= TF_FIN_QUEUED;
	pcb->fin_seq = pcb->snd_buf_seq + pcb->snd_ring.len;
	if (pcb->state == TCPS_ESTABLISHED)
		tcp_set_state(pcb, TCPS_FIN_WAIT_1, NULL);
	else if (pcb->state == TCPS_CLOSE_WAIT)
		tcp_set_state(pcb, TCPS_LAST_ACK, NULL);
	tcp_output(pcb);
}

static ssize_t tcp_sendmsg(struct ts_sock *s, const struct ts_iov *from, int flags,
			   const struct ip_endpoint *to)
{
	(void)flags;
	(void)to; /* tcp_sendmsg ignores a destination */
	struct tcp_pcb *pcb = s->pcb;
	/* tcp_sendmsg_locked → sk_stream_error: a pending error (a reset, a
	 * refused connect, one IP_RECVERR reported) is returned, once, before
	 * the EPIPE of a dead or shut connection. */
	if (s->so_error) {
		int e = s->so_error;
		s->so_error = 0;
		return -e;
	}
	/* Linux tcp_sendmsg: a socket that is not connected gets EPIPE (and
	 * SIGPIPE, which socket.c never raises), not ENOTCONN. */
	if (!pcb)
		return -EPIPE;
	if ((pcb->tf & (TF_RESET | TF_FIN_QUEUED)))
		return -EPIPE;
	switch (pcb->state) {
	case TCPS_SYN_SENT:
	case TCPS_SYN_RECEIVED:
		return -EAGAIN; /* not yet connected: a blocking caller waits */
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		break;
	case TCPS_CLOSED:
	case TCPS_LISTEN:
		return -EPIPE;
	default:
		return -EPIPE;
	}
	if (!from->len)
		return 0;
	if (!tcp_ring_free_space(&pcb->snd_ring))
		return -EAGAIN;
	if (tcp_ring_attach(s->st, &pcb->snd_ring) < 0)
		return -ENOMEM; /* Linux: a socket that cannot get memory */
	/* One copy, vector by vector, into the ring. */
	struct ts_iov w = *from;
	uint32_t n = 0;
	while (w.len && w.iovcnt && tcp_ring_free_space(&pcb->snd_ring)) {
		size_t piece = w.iov[0].iov_len - w.skip;
		uint32_t want = piece > w.len	     ? (uint32_t)w.len
				: piece > UINT32_MAX ? UINT32_MAX
						     : (uint32_t)piece;
		uint32_t k = tcp_ring_write(&pcb->snd_ring,
					    (const uint8_t *)w.iov[0].iov_base + w.skip, want);
		n += k;
		ts_iov_advance(&w, k);
		if (k < want)
			break;
	}
	tcp_output(pcb);
	return n;
}

static int tcp_shutdown(struct ts_sock *s, int how)
{
	struct tcp_pcb *pcb = s->pcb;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!pcb || pcb->state == TCPS_CLOSED)
		return -ENOTCONN;
	/* inet_shutdown: a listener stops listening on SHUT_RD (and RDWR) and
	 * ignores SHUT_WR; a connect in progress is abandoned (tcp_disconnect);
	 * both return 0. */
	if (pcb->state == TCPS_LISTEN || pcb->state == TCPS_SYN_SENT) {
		if (pcb->state == TCPS_SYN_SENT || how != SHUT_WR)
			tcp_disconnect(s, pcb);
		return 0;
	}
	if (how == SHUT_RD || how == SHUT_RDWR)
		pcb->tf |= TF_RCV_SHUT;
	if (how == SHUT_WR || how == SHUT_RDWR)
		shut_wr(pcb);
	tcp_wakeup(pcb);
	return 0;
}

static void tcp_close(struct ts_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	if (!pcb)
		return;
	s->pcb = NULL;
	pcb->sock = NULL;
	switch (pcb->state) {
	case TCPS_LISTEN:
		abort_children(&pcb->synq);
		abort_children(&pcb->acceptq);
		tcp_pcb_close(pcb, NULL);
		return;
	case TCPS_CLOSED:
	case TCPS_SYN_SENT:
		tcp_pcb_close(pcb, NULL);
		return;
	case TCPS_TIME_WAIT:
		tcp_pcb_trim(pcb);
		return; /* the 2MSL timer frees it */
	default:
		break;
	}
	bool abort = (s->opt.linger_on && s->opt.linger_s == 0) || pcb->rcv_ring.len;
	if (abort) {
		/* SO_LINGER 0, or unread data (RFC 2525 §2.17): reset, not FIN. */
		tcp_send_rst_pcb(pcb);
		tcp_pcb_close(pcb, NULL);
		return;
	}
	shut_wr(pcb);
	/* tcp_output may not have changed anything; an orphan in FIN-WAIT-2
	 * must not wait forever for a FIN (Linux tcp_fin_timeout). */
	if (pcb->state == TCPS_FIN_WAIT_2 && !tcp_timer_armed(pcb, TCP_T_2MSL))
		tcp_timer_arm(pcb, TCP_T_2MSL, 2ull * s->st->cfg.tcp_msl_ms * 1000u);
	tcp_timer_disarm(pcb, TCP_T_KEEP);
	tcp_pcb_orphan(pcb); /* last: it may reset pcb to bound the orphans */
}

/*
 * A lingering close (SO_LINGER with a time, socket.c): the close begins
 * here, with the socket still attached, as tcp_close would begin it (FIN
 * after the data), and the caller waits while this says so: until the FIN
 * is acknowledged (Linux sk_stream_wait_close: out of FIN-WAIT-1, CLOSING,
 * LAST-ACK).  A close that will reset (unread data) or abort has nothing
 * to wait for.
 */
static bool tcp_linger(struct ts_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	if (!pcb)
		return false;
	switch (pcb->state) {
	case TCPS_ESTABLISHED:
	case TCPS_CLOSE_WAIT:
		if (pcb->rcv_ring.len)
			return false; /* tcp_close resets (RFC 2525 §2.17) */
		shut_wr(pcb);
		break;
	default:
		break;
	}
	return pcb->state == TCPS_FIN_WAIT_1 || pcb->state == TCPS_CLOSING ||
	       pcb->state == TCPS_LAST_ACK;
}

static void tcp_opt_changed(struct ts_sock *s, int level, int name)
{
	struct tcp_pcb *pcb = s->pcb;
	if (!pcb)
		return;
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		pcb->reuseaddr = s->opt.reuseaddr;
	if ((level == SOL_SOCKET && name == SO_KEEPALIVE) || level == IPPROTO_TCP)
		tcp_keepalive_reset(pcb);
	if (level == IPPROTO_TCP && name == TCP_NODELAY && s->opt.nodelay)
		tcp_output(pcb); /* Linux pushes what Nagle held back */
	if (level == IPPROTO_IP || level == IPPROTO_IPV6) {
		/* Every segment from now on, retransmissions included, with the
		 * options of the family it travels in (a v4-mapped connection
		 * of an AF_INET6 socket takes IP_TOS, as on Linux). */
		int af = pcb->remote_ip.af ? pcb->remote_ip.af : s->domain;
		pcb->ip_opts = ts_sock_tx_opts(&s->opt, af);
		/* PROBE and above ignore the learned path MTU, the others use it. */
		if ((name == IP_MTU_DISCOVER || name == IPV6_MTU_DISCOVER) && pcb->pmtu &&
		    pcb->pmtu != tcp_path_mtu(pcb))
			tcp_sync_mss(pcb, tcp_path_mtu(pcb));
	}
	bool has_rings = pcb->snd_ring.cap != 0;
	if (level == SOL_SOCKET &&
	    (name == SO_RCVBUF || name == SO_SNDBUF || name == SO_RCVLOWAT) && has_rings) {
		/* After connect the rings change size (SO_RCVLOWAT may have grown
		 * the buffer).  Out of memory: they stay as they are, as Linux's
		 * buffers do under pressure. */
		tcp_pcb_resize_rings(pcb, s->opt.sndbuf, s->opt.rcvbuf);
		if ((pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_FIN_WAIT_1 ||
		     pcb->state == TCPS_FIN_WAIT_2) &&
		    tcp_window_update_due(pcb))
			tcp_send_ack(pcb);
	}
	if (level == SOL_SOCKET && (name == SO_SNDBUF || name == SO_RCVLOWAT))
		tcp_wakeup(pcb); /* Linux tcp_set_rcvlowat: readiness may have changed */
}

/*
 * tcp_stream_is_readable: as many bytes as SO_RCVLOWAT asks, or a window
 * that no longer opens (a reader waiting for the mark would wait for ever).
 */
static bool readable(const struct ts_sock *s, const struct tcp_pcb *pcb)
{
	uint32_t avail = pcb->rcv_ring.len;
	if (!avail)
		return false;
	return avail >= (uint32_t)s->opt.rcvlowat ||
	       tcp_ring_free_space(&pcb->rcv_ring) <= pcb->rmss;
}

static uint32_t tcp_poll(struct ts_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t mask = 0;
	const uint32_t in = EPOLLIN | EPOLLRDNORM, out = EPOLLOUT | EPOLLWRNORM;
	if (s->so_error)
		mask |= EPOLLERR;
	if (!pcb)
		return mask | out | EPOLLHUP; /* Linux: a fresh socket is CLOSE */
	if (pcb->state == TCPS_LISTEN)
		return mask | (pcb->acceptq.n ? in : 0);
	bool dead = pcb->state == TCPS_CLOSED;
	bool was_conn = (pcb->tf & (TF_EVER_CONNECTED | TF_RESET)) != 0;
	bool rcv_shut = (pcb->tf & TF_RCV_SHUT) || fin_consumed(pcb) || (dead && was_conn);
	bool snd_shut = (pcb->tf & TF_FIN_QUEUED) || (dead && was_conn);
	if ((rcv_shut && snd_shut) || dead)
		mask |= EPOLLHUP;
	if (rcv_shut)
		mask |= in | EPOLLRDHUP;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED)
		return mask;
	if (readable(s, pcb))
		mask |= in;
	if (snd_shut || dead) {
		mask |= out; /* a write fails at once (EPIPE): not blocked */
	} else {
		/* Linux sk_stream_is_writeable: free space >= half of what is queued. */
		uint32_t free_space = tcp_ring_free_space(&pcb->snd_ring);
		if (free_space && free_space >= pcb->snd_ring.len / 2)
			mask |= out;
	}
	return mask;
}

/* Whether our FIN is queued and not yet acknowledged (it counts in SIOCOUTQ). */
static bool fin_unacked(const struct tcp_pcb *pcb)
{
	if (!(pcb->tf & TF_FIN_QUEUED))
		return false;
	return !(pcb->tf & TF_FIN_SENT) || !seq_gt(pcb->snd_una, pcb->fin_seq);
}

/*
 * tcp_ioctl: SIOCINQ the bytes a read would return, SIOCOUTQ Linux's
 * write_seq - snd_una (data not yet acknowledged, plus a FIN), SIOCOUTQNSD
 * write_seq - snd_nxt (not yet sent).  A listener has no queues (EINVAL);
 * a handshake in progress has empty ones.
 */
static int tcp_ioctl(struct ts_sock *s, unsigned long request, int *val)
{
	struct tcp_pcb *pcb = s->pcb;
	if (request != FIONREAD && request != TIOCOUTQ && request != SIOCOUTQNSD)
		return -ENOTTY;
	if (pcb && pcb->state == TCPS_LISTEN)
		return -EINVAL;
	*val = 0;
	if (!pcb || pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED)
		return 0;
	if (request == FIONREAD) {
		*val = (int)pcb->rcv_ring.len;
	} else if (request == TIOCOUTQ) {
		*val = (int)(pcb->snd_ring.len + (fin_unacked(pcb) ? 1 : 0));
	} else {
		/* SND.NXT moves back for a retransmission; SND.MAX is what went out. */
		uint32_t sent = pcb->snd_max - pcb->snd_buf_seq;
		if (sent > pcb->snd_ring.len)
			sent = pcb->snd_ring.len;
		bool fin_unsent = (pcb->tf & TF_FIN_QUEUED) && !(pcb->tf & TF_FIN_SENT);
		*val = (int)(pcb->snd_ring.len - sent + (fin_unsent ? 1 : 0));
	}
	return 0;
}

/* Linux's tcpi_state numbering (include/net/tcp_states.h). */
static uint8_t linux_state(enum tcp_state_id st)
{
	static const uint8_t map[] = {
	    [TCPS_CLOSED] = 7,	     [TCPS_LISTEN] = 10,     [TCPS_SYN_SENT] = 2,
	    [TCPS_SYN_RECEIVED] = 3, [TCPS_ESTABLISHED] = 1, [TCPS_FIN_WAIT_1] = 4,
	    [TCPS_FIN_WAIT_2] = 5,   [TCPS_CLOSE_WAIT] = 8,  [TCPS_CLOSING] = 11,
	    [TCPS_LAST_ACK] = 9,     [TCPS_TIME_WAIT] = 6,
	};
	return (unsigned)st < sizeof(map) ? map[st] : 7;
}

/* Bytes as Linux's segment counts: ceil(bytes / SMSS). */
static uint32_t segs_of(uint32_t bytes, uint32_t smss)
{
	return smss ? (bytes + smss - 1) / smss : 0;
}

/*
 * TCP_INFO (tcp_get_info), from the control block: Linux's struct
 * tcp_info, every field the stack has a variable for; counts of segments
 * the stack keeps in bytes (in flight, SACKed, lost, retransmitted) are
 * ceil(bytes / SMSS); cwnd and ssthresh are in segments as Linux's are.
 * See docs/api.md for the fields left 0.
 */
static void tcp_fill_info(struct ts_sock *s, struct tcp_info *ti)
{
	struct tcp_pcb *pcb = s->pcb;
	struct stack *st = s->st;
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_reordering = 3; /* net.ipv4.tcp_reordering */
	if (!pcb || pcb->state == TCPS_LISTEN) {
		ti->tcpi_state = pcb ? 10 : 7;
		ti->tcpi_snd_cwnd = 10; /* TCP_INIT_CWND */
		if (pcb) {
			/* A listener: its accept queue and backlog. */
			ti->tcpi_unacked = pcb->acceptq.n;
			ti->tcpi_sacked = (uint32_t)pcb->backlog;
			return;
		}
		/* A fresh socket: the initial RTO and RTT variation (RFC 6298 (2.1)). */
		ti->tcpi_rto = st->cfg.tcp_init_rto_ms * 1000u;
		ti->tcpi_rttvar = st->cfg.tcp_init_rto_ms * 250u;
		ti->tcpi_snd_mss = TCP_DEFAULT_MSS;
		ti->tcpi_snd_ssthresh = 0x7fffffff; /* TCP_INFINITE_SSTHRESH */
		return;
	}
	uint32_t smss = pcb->smss;
	bool synced = pcb->state != TCPS_CLOSED && pcb->state != TCPS_SYN_SENT;
	ti->tcpi_state = linux_state(pcb->state);
	ti->tcpi_ca_state = (pcb->tf & TF_IN_RECOVERY) ? 3 /* TCP_CA_Recovery */
			    : pcb->backoff	       ? 4 /* TCP_CA_Loss */
			    : pcb->dupacks	       ? 1 /* TCP_CA_Disorder */
						       : 0;
	ti->tcpi_retransmits = pcb->rexmt_count;
	ti->tcpi_probes = pcb->keep_probes;
	ti->tcpi_backoff = pcb->backoff;
	if (pcb->tf & TF_TS_OK)
		ti->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (pcb->tf & TF_SACK_OK)
		ti->tcpi_options |= TCPI_OPT_SACK;
	if ((pcb->tf & TF_WS_OK) && synced) {
		ti->tcpi_options |= TCPI_OPT_WSCALE;
		ti->tcpi_snd_wscale = pcb->snd_wscale & 0xf;
		ti->tcpi_rcv_wscale = pcb->rcv_wscale & 0xf;
	}
	if (!synced)
		ti->tcpi_options = 0; /* nothing negotiated yet */
	ti->tcpi_rto = (uint32_t)tcp_rto_us(pcb);
	ti->tcpi_ato = pcb->data_segs_in ? st->cfg.tcp_delack_ms * 1000u : 0;
	ti->tcpi_snd_mss = smss;
	ti->tcpi_rcv_mss = pcb->rcv_mss;
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	uint32_t sacked = tcp_sacked_bytes(pcb);
	uint32_t lost = 0;
	if (pcb->nsacked) {
		uint32_t pipe = tcp_pipe(pcb);
		lost = flight > sacked + pipe ? flight - sacked - pipe : 0;
	}
	uint32_t rtx = 0;
	if (seq_lt(pcb->snd_nxt, pcb->snd_max))
		rtx = pcb->snd_nxt - pcb->snd_una; /* go-back-N after a timeout */
	else if ((pcb->tf & TF_IN_RECOVERY) && seq_gt(pcb->rexmit_hi, pcb->snd_una))
		rtx = pcb->rexmit_hi - pcb->snd_una;
	ti->tcpi_unacked = segs_of(flight, smss);
	ti->tcpi_sacked = segs_of(sacked, smss);
	ti->tcpi_lost = segs_of(lost, smss);
	ti->tcpi_retrans = segs_of(rtx, smss);
	if (pcb->last_rx_us)
		ti->tcpi_last_data_recv = (uint32_t)((st->now_us - pcb->last_rx_us) / 1000u);
	ti->tcpi_last_ack_recv = ti->tcpi_last_data_recv;
	ti->tcpi_pmtu = pcb->pmtu ? pcb->pmtu : tcp_path_mtu(pcb);
	ti->tcpi_rcv_ssthresh = pcb->rcv_ssthresh;
	ti->tcpi_rtt = pcb->rtt.srtt_us;
	ti->tcpi_rttvar = pcb->rtt.srtt_us ? pcb->rtt.rttvar_us : st->cfg.tcp_init_rto_ms * 250u;
	ti->tcpi_snd_ssthresh =
	    pcb->ssthresh == UINT32_MAX || !smss ? 0x7fffffff : pcb->ssthresh / smss;
	ti->tcpi_snd_cwnd = pcb->cwnd && smss ? pcb->cwnd / smss : 10;
	ti->tcpi_advmss = pcb->rmss;
	ti->tcpi_rcv_space =
	    pcb->rcv_ssthresh < pcb->rcv_ring.cap ? pcb->rcv_ssthresh : pcb->rcv_ring.cap;
	ti->tcpi_total_retrans = pcb->total_retrans;
	if (synced) {
		/* RFC 4898 HCThruOctetsAcked/Received, as Linux counts them: the
		 * FINs count, the SYN of an active open is acked by tcp_ack
		 * (counted) and that of a passive one by the handshake (not). */
		ti->tcpi_bytes_acked = pcb->snd_una - pcb->iss - ((pcb->tf & TF_PASSIVE) ? 1 : 0);
		ti->tcpi_bytes_received = pcb->rcv_nxt - pcb->irs - 1;
	}
	ti->tcpi_segs_out = pcb->segs_out;
	ti->tcpi_segs_in = pcb->segs_in;
	ti->tcpi_data_segs_in = pcb->data_segs_in;
	ti->tcpi_data_segs_out = pcb->data_segs_out;
	uint32_t sent = pcb->snd_max - pcb->snd_buf_seq;
	ti->tcpi_notsent_bytes = pcb->snd_ring.len > sent ? pcb->snd_ring.len - sent : 0;
	ti->tcpi_min_rtt = pcb->rack_min_rtt_us; /* RACK.min_RTT */
	ti->tcpi_snd_wnd = pcb->snd_wnd;
}

/* Copies a value of size n out, cut to *len as getsockopt does (a prefix). */
static int opt_out(const void *v, size_t n, void *val, socklen_t *len)
{
	socklen_t k = *len < n ? *len : (socklen_t)n;
	memcpy(val, v, k);
	*len = k;
	return 0;
}

static int tcp_getsockopt(struct ts_sock *s, int level, int name, void *val, socklen_t *len)
{
	struct tcp_pcb *pcb = s->pcb;
	(void)level;
	switch (name) {
	case TCP_MAXSEG: {
		/* do_tcp_getsockopt: mss_cache, or what the user set while CLOSE or LISTEN. */
		int v = TCP_DEFAULT_MSS;
		bool unconnected = !pcb || pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN;
		if (unconnected && s->opt.user_mss)
			v = s->opt.user_mss;
		else if (pcb && (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED))
			v = pcb->rmss - ((pcb->tf & TF_TS_OK) ? 12 : 0); /* tcp_connect_init */
		else if (pcb)
			v = pcb->smss;
		return opt_out(&v, sizeof(v), val, len);
	}
	case TCP_INFO: {
		struct tcp_info ti;
		tcp_fill_info(s, &ti);
		return opt_out(&ti, sizeof(ti), val, len);
	}
	case TCP_CONGESTION: {
		char name_buf[TCP_CC_NAME_MAX] = {0};
		const struct tcp_cc_algo *cc =
		    pcb ? pcb->cc : tcp_cc_find(s->st->cfg.tcp_congestion);
		if (!cc)
			cc = &tcp_cc_cubic;
		strncpy(name_buf, cc->name, sizeof(name_buf) - 1);
		return opt_out(name_buf, sizeof(name_buf), val, len);
	}
	default:
		return -ENOPROTOOPT;
	}
}

static int tcp_setsockopt(struct ts_sock *s, int level, int name, const void *val, socklen_t len)
{
	(void)level;
	if (name == TCP_CONGESTION) {
		/* do_tcp_setsockopt: up to TCP_CA_NAME_MAX - 1 bytes, up to a NUL. */
		char name_buf[TCP_CC_NAME_MAX] = {0};
		if ((int)len < 1)
			return -EINVAL;
		if (!val)
			return -EFAULT;
		size_t n = len < sizeof(name_buf) - 1 ? len : sizeof(name_buf) - 1;
		memcpy(name_buf, val, n);
		const struct tcp_cc_algo *cc = tcp_cc_find(name_buf);
		if (!cc)
			return -ENOENT;
		struct tcp_pcb *pcb = sock_pcb(s, true);
		if (!pcb)
			return -ENOMEM;
		/* tcp_reinit_congestion_control: a live connection starts the
		 * module afresh (its state in cc_priv cleared). */
		tcp_cc_set(pcb, cc);
		return 0;
	}
	if (name != TCP_MAXSEG)
		return -ENOPROTOOPT;
	int v;
	if (!val)
		return -EFAULT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	/* tcp(7): 0 clears it; otherwise 88..32767.  It applies to the next
	 * connection (Linux keeps it in user_mss for the next tcp_sync_mss). */
	if (v && (v < TCP_USER_MSS_MIN || v > TCP_USER_MSS_MAX))
		return -EINVAL;
	s->opt.user_mss = (uint16_t)v;
	return 0;
}

static void tcp_sock_describe(struct ts_sock *s, char *line, size_t len)
{
	struct tcp_pcb *pcb = s->pcb;
	if (!pcb) {
		snprintf(line, len, "tcp CLOSED");
		return;
	}
	char l[IP_ADDR_STRLEN + 8], r[IP_ADDR_STRLEN + 8];
	ip_endpoint_str(&pcb->local_ip, pcb->local_port, l, sizeof(l));
	ip_endpoint_str(&pcb->remote_ip, pcb->remote_port, r, sizeof(r));
	snprintf(line, len, "tcp %-12s %s %s rq=%u sq=%u", tcp_state_name(pcb->state), l, r,
		 pcb->rcv_ring.len, pcb->snd_ring.len);
}

static int tcp_getname(struct ts_sock *s, bool peer, struct ip_endpoint *ep)
{
	struct tcp_pcb *pcb = s->pcb;
	if (peer) {
		/* Linux: a peer exists from the handshake's end until the close. */
		if (!pcb || pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN ||
		    pcb->state == TCPS_SYN_SENT)
			return -ENOTCONN;
		ep->addr = pcb->remote_ip;
		ep->port = pcb->remote_port;
		return 0;
	}
	if (pcb && pcb->local_ip.af)
		ep->addr = pcb->local_ip;
	ep->port = pcb ? pcb->local_port : 0;
	return 0;
}

const struct ts_sock_ops tcp_sock_ops = {
    .bind = tcp_bind,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .connect = tcp_connect,
    .recvmsg = tcp_recvmsg,
    .sendmsg = tcp_sendmsg,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .opt_changed = tcp_opt_changed,
    .poll = tcp_poll,
    .describe = tcp_sock_describe,
    .getname = tcp_getname,
    .setsockopt = tcp_setsockopt,
    .getsockopt = tcp_getsockopt,
    .ioctl = tcp_ioctl,
    .linger = tcp_linger,
};
