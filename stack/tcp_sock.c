/*
 * tcp_sock.c - tcp_sock_ops: the socket contract of socket.h for TCP.
 *
 * socket.c turns these -errno results into errno and handles blocking; this
 * file maps each call onto the connection: bind/listen/accept/connect set up
 * control blocks, read/write copy through the rings (one copy each way),
 * shutdown/close start the FIN sequence (RFC 9293 §3.10.4) or abort with a
 * RST (SO_LINGER 0, unread data: RFC 2525 §2.17), and poll reports
 * readiness the way Linux's tcp_poll does.
 *
 * Asynchronous errors wait in sock->so_error: ECONNREFUSED (RST in
 * SYN-SENT), ECONNRESET (RST later), ETIMEDOUT (retries, keep-alive).
 */
#include <errno.h>
#include <string.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>

#include "socket.h"
#include "stack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

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
		struct ip_endpoint any = {.addr = {.af = (uint8_t)s->domain}};
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

static int tcp_connect(struct ts_sock *s, const struct ip_endpoint *ep)
{
	struct stack *st = s->st;
	struct tcp_pcb *pcb = sock_pcb(s, true);
	if (!pcb)
		return -ENOMEM;
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
	if (!ep || ip_addr_is_any(&ep->addr) || !ep->port)
		return -ECONNREFUSED;
	if (!pcb->local_port) {
		uint16_t p = tcp_ephemeral_port(st);
		if (!p)
			return -EADDRNOTAVAIL;
		pcb->local_port = p;
		pcb->reuseaddr = s->opt.reuseaddr;
		tcp_bind_hash_add(pcb);
	}
	struct ip_addr lip = pcb->local_ip;
	if (ip_addr_is_any(&lip) && ip_select_source(st, &ep->addr, &lip) < 0)
		return -ENETUNREACH;
	if (tcp_conn_lookup(st, &lip, pcb->local_port, &ep->addr, ep->port))
		return -EADDRNOTAVAIL; /* that 4-tuple is still in use (TIME-WAIT) */
	/* A retry after a refused attempt starts from a clean slate. */
	tcp_ring_release(st, &pcb->snd_ring);
	tcp_ring_release(st, &pcb->rcv_ring);
	if (tcp_pcb_alloc_rings(pcb, s->opt.sndbuf ? s->opt.sndbuf : st->cfg.tcp_sndbuf,
				s->opt.rcvbuf ? s->opt.rcvbuf : st->cfg.tcp_rcvbuf) < 0)
		return -ENOMEM;
	pcb->local_ip = lip;
	pcb->remote_ip = ep->addr;
	pcb->remote_port = ep->port;
	pcb->tf = tcp_offered_options(pcb->st); /* offered; the SYN,ACK decides */
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

static ssize_t tcp_recvfrom(struct ts_sock *s, void *buf, size_t len, int flags,
			    struct ip_endpoint *from)
{
	struct tcp_pcb *pcb = s->pcb;
	if (!pcb || pcb->state == TCPS_LISTEN)
		return -ENOTCONN;
	if (from) {
		from->addr = pcb->remote_ip;
		from->port = pcb->remote_port;
	}
	uint32_t avail = pcb->rcv_ring.len;
	if (avail && len) {
		uint32_t n = len < avail ? (uint32_t)len : avail;
		tcp_ring_peek(&pcb->rcv_ring, 0, buf, n);
		if (!(flags & MSG_PEEK)) {
			tcp_ring_consume(&pcb->rcv_ring, n);
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
	if ((pcb->tf & TF_RCV_SHUT) || fin_consumed(pcb))
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

static ssize_t tcp_sendto(struct ts_sock *s, const void *buf, size_t len, int flags,
			  const struct ip_endpoint *to)
{
	(void)flags;
	(void)to; /* tcp_sendmsg ignores a destination */
	struct tcp_pcb *pcb = s->pcb;
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
	if (!len)
		return 0;
	uint32_t want = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (!tcp_ring_free_space(&pcb->snd_ring))
		return -EAGAIN;
	if (tcp_ring_attach(s->st, &pcb->snd_ring) < 0)
		return -ENOMEM; /* Linux: a socket that cannot get memory */
	uint32_t n = tcp_ring_write(&pcb->snd_ring, buf, want);
	tcp_output(pcb);
	return n;
}

static int tcp_shutdown(struct ts_sock *s, int how)
{
	struct tcp_pcb *pcb = s->pcb;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!pcb || pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN ||
	    pcb->state == TCPS_SYN_SENT)
		return -ENOTCONN;
	if (how == SHUT_RD || how == SHUT_RDWR)
		pcb->tf |= TF_RCV_SHUT;
	if (how == SHUT_WR || how == SHUT_RDWR)
		shut_wr(pcb);
	tcp_wakeup(pcb);
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
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		const struct tcp_cc_algo *a = tcp_cc_find(s->opt.congestion);
		if (a)
			tcp_cc_set(pcb, a);
	}
}

static uint32_t tcp_poll(struct ts_sock *s)
{
	struct tcp_pcb *pcb = s->pcb;
	uint32_t mask = 0;
	if (s->so_error)
		mask |= EPOLLERR;
	if (!pcb)
		return mask | EPOLLOUT | EPOLLHUP; /* Linux: a fresh socket is CLOSE */
	if (pcb->state == TCPS_LISTEN)
		return mask | (pcb->acceptq.n ? EPOLLIN : 0);
	bool dead = pcb->state == TCPS_CLOSED;
	bool was_conn = (pcb->tf & (TF_EVER_CONNECTED | TF_RESET)) != 0;
	bool rcv_shut = (pcb->tf & TF_RCV_SHUT) || fin_consumed(pcb) || (dead && was_conn);
	bool snd_shut = (pcb->tf & TF_FIN_QUEUED) || (dead && was_conn);
	if ((rcv_shut && snd_shut) || dead)
		mask |= EPOLLHUP;
	if (rcv_shut)
		mask |= EPOLLIN | EPOLLRDHUP;
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED)
		return mask;
	if (pcb->rcv_ring.len)
		mask |= EPOLLIN;
	if (snd_shut || dead) {
		mask |= EPOLLOUT; /* a write fails at once (EPIPE): not blocked */
	} else {
		/* Linux sk_stream_is_writeable: free space >= half of what is queued. */
		uint32_t free_space = tcp_ring_free_space(&pcb->snd_ring);
		if (free_space && free_space >= pcb->snd_ring.len / 2)
			mask |= EPOLLOUT;
	}
	return mask;
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
    .recvfrom = tcp_recvfrom,
    .sendto = tcp_sendto,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .opt_changed = tcp_opt_changed,
    .poll = tcp_poll,
    .describe = tcp_sock_describe,
    .getname = tcp_getname,
};
