/*
 * udp.c - UDP (RFC 768) for one stack: YOUR VERSION (exercise "udp",
 * docs/exercises/udp/README.md).  `make exercise NAME=udp` builds the stack
 * with this file in place of stack/udp.c and checks it.
 *
 * Yours to write (TODO below): the view (udp_parse), the checksum both
 * ways (udp_csum_ok, udp_build_header, udp_build), demultiplexing
 * (udp_lookup), input (udp_input) and output (udp_output).  Given: the
 * port table (bind, ephemeral ports), udp_output_header (which leaves the
 * checksum to a link that offers to complete it), the socket operations
 * (udp_sock_ops: recvfrom reads what udp_input queued, sendto calls
 * udp_output), the ICMP errors about our datagrams (udp_err_input, Linux
 * __udp4_lib_err: it finds the socket with your udp_lookup) and the life
 * cycle.  udp.h specifies the public functions.
 *
 * What the reference does, for orientation:
 *
 * Checksum verification (0 = none sent, RFC 768) and generation (always,
 * RFC 1122 §4.1.3.4), demultiplexing to the most specific socket
 * (connected 4-tuple, then bound address, then wildcard), ICMP port
 * unreachable for closed ports (RFC 1122 §4.1.3.1), a receive queue
 * bounded by SO_RCVBUF whose received frames the accounting counts as
 * held (stack.h), the socket's IP_TOS, IP_TTL and IP_MTU_DISCOVER on
 * every datagram sent.
 *
 * Call order: ipv4_input → udp_input → udp_parse → lookup → queue →
 * ts_sock_wakeup; ts_recvmsg (and the other reads) → udp_sock_recvmsg.
 * ts_sendmsg (and the other writes) → udp_sock_sendmsg → udp_output →
 * udp_build → ip_output.
 *
 * Read first: RFC 768 (all of it, three pages), RFC 1122 §4.1.3, udp(7).
 */
#include "udp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include "byteorder.h"
#include "checksum.h"
#include "icmp.h"
#include "ip_pmtu.h"
#include "ipv4.h"
#include "stack.h"

/*
 * Bytes charged per queued datagram on top of its payload, so that
 * SO_RCVBUF bounds memory and not only payload (Linux charges skb
 * truesize, which is about this much for a small datagram).  Without it a
 * flood of 1-byte datagrams would pin one frame buffer each, unbounded.
 */
#define UDP_DGRAM_OVERHEAD 768

/* One UDP socket's protocol state. */
struct udp_pcb {
	struct ts_sock *sock;	  /* the owning socket */
	struct udp_pcb *hnext;	  /* next in the port bucket */
	struct ip_addr local_ip;  /* bound address; the wildcard = any */
	uint16_t local_port;	  /* 0 until bound */
	struct ip_addr remote_ip; /* connected peer (valid while connected) */
	uint16_t remote_port;
	bool bound; /* in the port table */
	bool connected;
	bool shut_rd, shut_wr;	/* shutdown(2) */
	struct ts_buf *rq_head; /* receive queue: b->data = payload, b->transport = header */
	struct ts_buf *rq_tail;
	uint32_t rq_count;  /* datagrams queued */
	uint32_t rq_charge; /* bytes charged against SO_RCVBUF */
};

struct udp_state {
	struct udp_pcb *bucket[UDP_HASH_SIZE]; /* bound pcbs by local port */
	uint32_t npcbs;			       /* bound pcbs */
	uint64_t rx_held; /* queued buffers that are received frames (b->rx, stack.h) */
};

/* ---- view ---- */

enum ts_drop_reason udp_parse(const uint8_t *p, size_t len, struct udp_view *v)
{
	/*
	 * TODO (RFC 768, udp.h gives the order): at least UDP_HDR_LEN octets (else
	 * DROP_UDP_TRUNCATED); ports, length and checksum big-endian at the
	 * UDP_OFF_* offsets; 8 <= length field <= len (else DROP_UDP_BAD_LEN:
	 * the field is the sender's claim, len what arrived); the payload
	 * follows the header, payload_len from the length field.
	 */
	(void)p;
	(void)len;
	(void)v;
	return DROP_UDP_TRUNCATED;
}

bool udp_csum_ok(const uint8_t *p, const struct udp_view *v, const struct ip_addr *src,
		 const struct ip_addr *dst)
{
	/*
	 * TODO: RFC 768: a field of 0 means the sender computed no checksum:
	 * accept it, over IPv4 only (src->af != AF_INET6; RFC 8200 §8.1
	 * forbids it over IPv6).  Else sum the pseudo-header (ip_csum_pseudo:
	 * addresses, protocol IPV4_PROTO_UDP, v->len) and the v->len octets
	 * of the datagram (ts_csum_partial); a correct sum folds to 0.
	 */
	(void)p;
	(void)v;
	(void)src;
	(void)dst;
	return false;
}

/* The header without its checksum: ports, length, a zero checksum field. */
static void udp_build_header(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	/*
	 * TODO: source port, destination port, length, and 0 in the checksum field
	 * (put_be16 at the UDP_OFF_* offsets).
	 */
	(void)p;
	(void)sport;
	(void)dport;
	(void)len;
}

void udp_build(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len,
	       const struct ip_addr *src, const struct ip_addr *dst)
{
	/*
	 * TODO: the header (udp_build_header), then the checksum over the
	 * pseudo-header (ip_csum_pseudo with the length) and the whole
	 * datagram; RFC 768: a computed 0 is sent as 0xffff (0 means "none").
	 */
	(void)p;
	(void)sport;
	(void)dport;
	(void)payload_len;
	(void)src;
	(void)dst;
}

int udp_describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
	if (len < UDP_HDR_LEN)
		return snprintf(out, cap, "udp truncated len=%zu", len);
	uint16_t ulen = get_be16(p + UDP_OFF_LEN);
	if (ulen < UDP_HDR_LEN || ulen > len)
		return snprintf(out, cap, "udp %u>%u badlen=%u", get_be16(p + UDP_OFF_SPORT),
				get_be16(p + UDP_OFF_DPORT), ulen);
	return snprintf(out, cap, "udp %u>%u len=%u", get_be16(p + UDP_OFF_SPORT),
			get_be16(p + UDP_OFF_DPORT), ulen - UDP_HDR_LEN);
}

/* ---- port table ---- */

static struct udp_pcb **bucket_of(struct stack *st, uint16_t port)
{
	return &st->udp->bucket[port & (UDP_HASH_SIZE - 1)];
}

/*
 * The socket a datagram to dst:dport from src:sport belongs to: a socket
 * connected to exactly that peer beats one bound to dst, which beats a
 * wildcard (Linux compute_score).  Broadcast destinations match only
 * sockets bound to the wildcard or to that broadcast address.
 */
static struct udp_pcb *udp_lookup(struct stack *st, const struct ip_addr *dst, uint16_t dport,
				  const struct ip_addr *src, uint16_t sport)
{
	/*
	 * TODO: the socket for a datagram to dst:dport from src:sport, among the
	 * pcbs in dport's bucket (bucket_of) with local_port == dport and a
	 * local_ip that matches dst (ip_addr_matches: the wildcard matches
	 * any; a broadcast dst matches only the wildcard or itself).  Score
	 * them as Linux's compute_score: ip_addr_match_score of the bound
	 * address (2 the address itself, 1 its family's wildcard, 0 an
	 * AF_INET6 socket's dual-stack `::`), +4 for a connected socket, which
	 * takes only its peer's datagrams (remote_ip and remote_port equal to
	 * src and sport; skip it otherwise).  The best score wins, whatever
	 * the order.
	 */
	(void)st;
	(void)dst;
	(void)dport;
	(void)src;
	(void)sport;
	return NULL;
}

/* Would binding ip:port clash with an existing socket (SO_REUSEADDR on both allows it)? */
static bool port_in_use(struct stack *st, const struct ip_addr *ip, uint16_t port, bool reuse)
{
	for (struct udp_pcb *pcb = *bucket_of(st, port); pcb; pcb = pcb->hnext) {
		if (pcb->local_port != port)
			continue;
		if (!ip_addr_overlap(&pcb->local_ip, ip))
			continue;
		if (reuse && pcb->sock->opt.reuseaddr)
			continue;
		return true;
	}
	return false;
}

static void pcb_hash(struct stack *st, struct udp_pcb *pcb, const struct ip_addr *ip, uint16_t port)
{
	struct udp_pcb **b = bucket_of(st, port);
	pcb->local_ip = *ip;
	pcb->local_port = port;
	pcb->hnext = *b;
	*b = pcb;
	pcb->bound = true;
	st->udp->npcbs++;
}

static void pcb_unhash(struct stack *st, struct udp_pcb *pcb)
{
	if (!pcb->bound)
		return;
	for (struct udp_pcb **pp = bucket_of(st, pcb->local_port); *pp; pp = &(*pp)->hnext)
		if (*pp == pcb) {
			*pp = pcb->hnext;
			break;
		}
	pcb->bound = false;
	st->udp->npcbs--;
}

/*
 * Binds pcb to ip:port; port 0 picks a free ephemeral port, starting at a
 * random point of the range (RFC 6056 §3.3.1 style) from the stack's RNG.
 */
static int pcb_bind(struct stack *st, struct udp_pcb *pcb, const struct ip_addr *ip, uint16_t port)
{
	bool reuse = pcb->sock->opt.reuseaddr;

	if (pcb->bound)
		return -EINVAL; /* inet_bind: already bound */
	if (port) {
		if (port_in_use(st, ip, port, reuse))
			return -EADDRINUSE;
		pcb_hash(st, pcb, ip, port);
		return 0;
	}
	uint32_t range = UDP_EPHEMERAL_HI - UDP_EPHEMERAL_LO + 1;
	uint32_t start = (uint32_t)(ts_rand(st) % range);
	for (uint32_t i = 0; i < range; i++) {
		uint16_t p = (uint16_t)(UDP_EPHEMERAL_LO + (start + i) % range);
		/* An ephemeral port is never shared, whatever SO_REUSEADDR says. */
		if (!port_in_use(st, ip, p, false)) {
			pcb_hash(st, pcb, ip, p);
			return 0;
		}
	}
	return -EADDRINUSE;
}

int udp_init(struct stack *st)
{
	st->udp = calloc(1, sizeof(*st->udp));
	return st->udp ? 0 : -ENOMEM;
}

uint32_t udp_bound_count(const struct stack *st)
{
	return st->udp->npcbs;
}

uint64_t udp_rx_held(const struct stack *st)
{
	return st->udp->rx_held;
}

void udp_destroy(struct stack *st)
{
	/* Sockets were closed by ts_fdtable_destroy; nothing may remain hashed. */
	free(st->udp);
	st->udp = NULL;
}

/* ---- input ---- */

/* Takes b off the accounting's "held" (it leaves a receive queue). */
static void unhold(struct stack *st, const struct ts_buf *b)
{
	if (b->rx)
		st->udp->rx_held--;
}

/* The socket closes: datagrams nobody read end here. */
static void queue_free(struct stack *st, struct udp_pcb *pcb)
{
	while (pcb->rq_head) {
		struct ts_buf *b = pcb->rq_head;
		pcb->rq_head = b->next;
		unhold(st, b);
		ts_drop(st, b, DROP_UDP_CLOSED_UNREAD);
	}
	pcb->rq_tail = NULL;
	pcb->rq_count = pcb->rq_charge = 0;
}

void udp_input(struct stack *st, struct ts_buf *b)
{
	/*
	 * TODO: count CTR_UDP_RX; parse, and verify the checksum unless the link
	 * did (ts_buf_csum_trusted; else DROP_UDP_BAD_CSUM); drop with the
	 * reason.  Find the socket (udp_lookup on b->dst, b->src and the
	 * ports); none: ICMP port unreachable (ip_send_port_unreach(st, b):
	 * ICMP or ICMPv6 by b's family, RFC 1122 §4.1.3.1, RFC 4443 §3.1; it
	 * does not take b), then
	 * DROP_UDP_NO_PORT.  Charge the datagram payload_len +
	 * UDP_DGRAM_OVERHEAD against the socket's SO_RCVBUF
	 * (pcb->sock->opt.rcvbuf): refuse it (DROP_UDP_RCVBUF_FULL) if the
	 * queue is not empty and the charge would pass it.  Then set
	 * b->transport at the header, trim b to the length field
	 * (ts_buf_trim), pull the header (b->data at the payload, where
	 * recvfrom reads), append b to the pcb's queue (rq_head, rq_tail,
	 * rq_count, rq_charge), count a received frame (b->rx) as held
	 * (st->udp->rx_held++: stack.h, "Accounting of received frames"; the
	 * given unhold() takes it off when the datagram leaves the queue) and
	 * wake the socket (ts_sock_wakeup).
	 */
	ts_drop(st, b, DROP_UDP_TRUNCATED);
}

/* ---- output ---- */

/*
 * Writes the header of the datagram at b->data..b->tail (payload in place)
 * and its checksum: with udp_build, or, when the link completes UDP
 * checksums of this family (netdev.h: UDP4, UDP6), only the pseudo-header
 * sum, left partial (Linux udp4_hwcsum, udp6_hwcsum_outgoing).  A datagram
 * IPv4 must fragment gets the full sum from ipv4_output, since the link
 * sees it in pieces (an IPv6 one the same from ipv6_output, once it
 * fragments: a PARTIAL frame behind a Fragment header is refused by the
 * link, netdev_partial_proto).
 */
__attribute__((unused)) static void udp_output_header(struct stack *st, struct ts_buf *b,
						      uint16_t sport, uint16_t dport,
						      const struct ip_addr *src,
						      const struct ip_addr *dst)
{
	uint16_t len = (uint16_t)ts_buf_len(b);
	uint32_t mine = ip_addr_is_v4(src) ? NETDEV_OFFLOAD_UDP4 : NETDEV_OFFLOAD_UDP6;
	if (!(st->link.tx_csum & mine)) {
		udp_build(b->data, sport, dport, len - UDP_HDR_LEN, src, dst);
		return;
	}
	udp_build_header(b->data, sport, dport, len);
	ts_buf_csum_set_partial(b, UDP_OFF_CSUM, ip_csum_pseudo(src, dst, IPV4_PROTO_UDP, len));
}

/*
 * Sends the data of from as one datagram from pcb to dst:dport, with the
 * socket's IP_TOS and IP_TTL.  Returns its length or -errno.
 */
static ssize_t udp_output(struct stack *st, struct udp_pcb *pcb, const struct ts_iov *from,
			  const struct ip_addr *dst, uint16_t dport)
{
	/*
	 * TODO: pick the source address: the bound one (pcb->local_ip) when it is
	 * one of ours (ip_addr_is_ours; not the wildcard, not a broadcast
	 * address bound to receive), -ENETUNREACH when it is of another family
	 * than dst, else ip_select_source (its error is returned).  Allocate a
	 * buffer for header and data (ts_buf_alloc with TS_BUF_HEADROOM;
	 * -ENOBUFS), copy the data in after the header (ts_buf_put,
	 * ts_iov_get), write the header from pcb->local_port
	 * (udp_output_header), set b->transport, and ip_output with the
	 * socket's options for dst's family (ts_sock_tx_opts(&sock->opt,
	 * dst->af): IP_TOS, IP_TTL and IP_MTU_DISCOVER for IPv4, their IPV6_
	 * counterparts for IPv6; pmtudisc decides DF and the size that is
	 * fragmented, ip.h).  As Linux without IP_RECVERR, a
	 * datagram lost for lack of buffers (ip_output returns -ENOBUFS) is
	 * counted (CTR_UDP_SNDBUF_ERRORS) and reported as sent; another error
	 * is returned; count CTR_UDP_TX.  Return the data length.
	 */
	(void)st;
	(void)pcb;
	(void)from;
	(void)dst;
	(void)dport;
	return -ENOBUFS;
}

/* ---- ICMP errors (Linux __udp4_lib_err) ---- */

enum ts_drop_reason udp_err_input(struct stack *st, const struct ip_err *e)
{
	if (e->quote_len < UDP_HDR_LEN)
		return DROP_ICMP_ERR_BAD_QUOTE;
	uint16_t lport = get_be16(e->quote + UDP_OFF_SPORT),
		 rport = get_be16(e->quote + UDP_OFF_DPORT);
	/* The socket that would receive the peer's answer: the quoted
	 * datagram's 4-tuple, reversed. */
	struct udp_pcb *pcb = udp_lookup(st, &e->src, lport, &e->dst, rport);
	if (!pcb)
		return DROP_ICMP_ERR_NO_SOCKET;
	struct ts_sock *s = pcb->sock;
	int err = e->err;
	bool hard = e->hard, updated = false;
	if (e->kind == IP_ERR_PKT_TOO_BIG) {
		/* RFC 1191 §6.1: the path MTU, for this socket's later datagrams
		 * and every other one to that peer (ipv4_sk_update_pmtu). */
		uint32_t mtu = e->mtu ? e->mtu : ip_pmtu_plateau(e->quoted_len);
		uint8_t mode = ts_sock_tx_opts(&s->opt, e->dst.af).pmtudisc;
		if (mode == IP_PMTUDISC_INTERFACE || mode == IP_PMTUDISC_OMIT)
			return DROP_ICMP_ERR_IGNORED; /* ip_sk_accept_pmtu */
		updated = ip_pmtu_update(st, &e->dst, mtu) != 0;
		if (mode == IP_PMTUDISC_DONT)
			return updated ? DROP_NONE : DROP_ICMP_PMTU_NOT_LOWER;
		err = EMSGSIZE;
		hard = true;
	}
	/* RFC 1122 §4.1.3.3 passes errors up; Linux only to a connected socket
	 * and only hard ones (soft errors and unconnected sockets would see
	 * errors about other peers' datagrams), unless IP_RECVERR. */
	if (!s->opt.recverr && (!hard || !pcb->connected))
		return updated ? DROP_NONE : DROP_ICMP_ERR_IGNORED;
	s->so_error = err;
	ts_count(st, CTR_UDP_ICMP_ERRORS);
	ts_sock_wakeup(s);
	return DROP_NONE;
}

/* ---- socket operations ---- */

static int udp_sock_create(struct ts_sock *s)
{
	struct udp_pcb *pcb = calloc(1, sizeof(*pcb));
	if (!pcb)
		return -ENOMEM;
	pcb->sock = s;
	s->pcb = pcb;
	return 0;
}

static int udp_sock_bind(struct ts_sock *s, const struct ip_endpoint *ep)
{
	return pcb_bind(s->st, s->pcb, &ep->addr, ep->port);
}

/* Binds an unbound socket to the wildcard and an ephemeral port (inet_autobind). */
static int autobind(struct ts_sock *s)
{
	struct udp_pcb *pcb = s->pcb;
	struct ip_addr any = ts_sock_wildcard(s);
	if (pcb->bound)
		return 0;
	return pcb_bind(s->st, pcb, &any, 0) < 0 ? -EAGAIN : 0;
}

/* ep NULL: AF_UNSPEC, dissolve the association (connect(2)). */
static int udp_sock_connect(struct ts_sock *s, const struct ip_endpoint *ep)
{
	struct udp_pcb *pcb = s->pcb;

	if (!ep) {
		pcb->connected = false;
		memset(&pcb->remote_ip, 0, sizeof(pcb->remote_ip));
		pcb->remote_port = 0;
		return 0;
	}
	/* ip4_datagram_connect: a broadcast peer needs SO_BROADCAST. */
	if (ip_addr_is_v4(&ep->addr) && ipv4_is_broadcast(s->st, ep->addr.v4) && !s->opt.broadcast)
		return -EACCES;
	if (autobind(s) < 0)
		return -EAGAIN; /* inet_autobind: no ephemeral port left */
	pcb->remote_ip = ep->addr;
	pcb->remote_port = ep->port;
	pcb->connected = true;
	return 0;
}

static ssize_t udp_sock_recvmsg(struct ts_sock *s, const struct ts_iov *to, int flags,
				struct ip_endpoint *from, int *msg_flags)
{
	struct udp_pcb *pcb = s->pcb;
	struct ts_buf *b = pcb->rq_head;

	/* __skb_recv_udp: a pending error (an ICMP error udp_err_input
	 * reported) comes first, once. */
	if (s->so_error) {
		int e = s->so_error;
		s->so_error = 0;
		return -e;
	}
	if (!b)
		return pcb->shut_rd ? 0 : -EAGAIN;
	size_t dlen = ts_buf_len(b);
	size_t n = dlen < to->len ? dlen : to->len;
	ts_iov_put(to, 0, b->data, n);
	if (from) {
		from->addr = b->src;
		from->port = get_be16(b->transport + UDP_OFF_SPORT);
	}
	/* udp(7): the rest of a datagram longer than the buffer is lost; the
	 * message says so (MSG_TRUNC in msg_flags), and MSG_TRUNC in flags
	 * returns the datagram's real length. */
	if (dlen > to->len)
		*msg_flags |= MSG_TRUNC;
	if (!(flags & MSG_PEEK)) {
		pcb->rq_head = b->next;
		if (!pcb->rq_head)
			pcb->rq_tail = NULL;
		pcb->rq_count--;
		pcb->rq_charge -= (uint32_t)dlen + UDP_DGRAM_OVERHEAD;
		unhold(s->st, b);
		ts_buf_consume(s->st, b); /* the application read it */
	}
	return (ssize_t)((flags & MSG_TRUNC) ? dlen : n);
}

static ssize_t udp_sock_sendmsg(struct ts_sock *s, const struct ts_iov *from, int flags,
				const struct ip_endpoint *to)
{
	struct udp_pcb *pcb = s->pcb;
	struct ip_endpoint peer;
	(void)flags;

	if (pcb->shut_wr)
		return -EPIPE;
	if (!to) {
		if (!pcb->connected)
			return -EDESTADDRREQ;
		peer.addr = pcb->remote_ip;
		peer.port = pcb->remote_port;
		to = &peer;
	}
	if (from->len > UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	/* udp_sendmsg: a broadcast route without SO_BROADCAST is EACCES. */
	if (ip_addr_is_v4(&to->addr) && ipv4_is_broadcast(s->st, to->addr.v4) && !s->opt.broadcast)
		return -EACCES;
	/* sock_alloc_send_pskb (from udp_sendmsg, after its argument checks):
	 * a pending error is returned once, and the datagram not sent. */
	if (s->so_error) {
		int e = s->so_error;
		s->so_error = 0;
		return -e;
	}
	if (autobind(s) < 0)
		return -EAGAIN;
	return udp_output(s->st, pcb, from, &to->addr, to->port);
}

/*
 * inet_shutdown: the flags are set even on an unconnected socket (so
 * pollers see EPOLLHUP), which then still gets ENOTCONN.
 */
static int udp_sock_shutdown(struct ts_sock *s, int how)
{
	struct udp_pcb *pcb = s->pcb;

	if (how == SHUT_RD || how == SHUT_RDWR)
		pcb->shut_rd = true;
	if (how == SHUT_WR || how == SHUT_RDWR)
		pcb->shut_wr = true;
	ts_sock_wakeup(s);
	return pcb->connected ? 0 : -ENOTCONN;
}

static void udp_sock_close(struct ts_sock *s)
{
	struct udp_pcb *pcb = s->pcb;

	if (!pcb)
		return;
	pcb_unhash(s->st, pcb);
	queue_free(s->st, pcb);
	free(pcb);
	s->pcb = NULL;
}

/*
 * datagram_poll: readable with a datagram or after SHUT_RD; writable
 * always, even after SHUT_WR (sock_writeable looks only at the memory a
 * send would take, and datagrams leave at once here).
 */
static uint32_t udp_sock_poll(struct ts_sock *s)
{
	struct udp_pcb *pcb = s->pcb;
	uint32_t ev = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

	if (s->so_error)
		ev |= EPOLLERR;
	if (pcb->rq_head)
		ev |= EPOLLIN | EPOLLRDNORM;
	if (pcb->shut_rd)
		ev |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (pcb->shut_rd && pcb->shut_wr)
		ev |= EPOLLHUP;
	return ev;
}

/* udp_ioctl: SIOCINQ the size of the next datagram (0: none), SIOCOUTQ nothing queued. */
static int udp_sock_ioctl(struct ts_sock *s, unsigned long request, int *val)
{
	struct udp_pcb *pcb = s->pcb;
	if (request == FIONREAD)
		*val = pcb->rq_head ? (int)ts_buf_len(pcb->rq_head) : 0;
	else if (request == TIOCOUTQ)
		*val = 0;
	else
		return -ENOTTY;
	return 0;
}

static int udp_sock_getname(struct ts_sock *s, bool peer, struct ip_endpoint *ep)
{
	struct udp_pcb *pcb = s->pcb;

	if (peer) {
		if (!pcb->connected)
			return -ENOTCONN;
		ep->addr = pcb->remote_ip;
		ep->port = pcb->remote_port;
		return 0;
	}
	ep->port = pcb->local_port;
	if (!ip_addr_is_any(&pcb->local_ip))
		ep->addr = pcb->local_ip;
	else if (pcb->connected) /* a connected wildcard socket has a source: ours */
		ip_select_source(s->st, &pcb->remote_ip, &ep->addr);
	return 0;
}

/*
 * One row of the socket table, in tcp_print_table's columns (ss -uan):
 * Recv-Q is what the queue charges against SO_RCVBUF, Send-Q always 0
 * (datagrams leave at once).
 */
static void udp_sock_describe(struct ts_sock *s, char *line, size_t len)
{
	struct udp_pcb *pcb = s->pcb;
	char la[IP_ADDR_STRLEN + 8], ra[IP_ADDR_STRLEN + 8];

	ip_endpoint_str(&pcb->local_ip, pcb->local_port, la, sizeof(la));
	if (pcb->connected)
		ip_endpoint_str(&pcb->remote_ip, pcb->remote_port, ra, sizeof(ra));
	else
		snprintf(ra, sizeof(ra), "*:*");
	snprintf(line, len, "%-12s %8u %8u %-21s %-21s", pcb->connected ? "ESTAB" : "UNCONN",
		 pcb->rq_charge, 0u, la, ra);
}

const struct ts_sock_ops udp_sock_ops = {
    .create = udp_sock_create,
    .bind = udp_sock_bind,
    .connect = udp_sock_connect,
    .recvmsg = udp_sock_recvmsg,
    .sendmsg = udp_sock_sendmsg,
    .shutdown = udp_sock_shutdown,
    .close = udp_sock_close,
    .poll = udp_sock_poll,
    .describe = udp_sock_describe,
    .getname = udp_sock_getname,
    .ioctl = udp_sock_ioctl,
};

void udp_print_table(struct stack *st, FILE *out)
{
	char line[160];

	fprintf(out, "%-12s %8s %8s %-21s %-21s\n", "UDP State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port");
	for (int i = 0; i < UDP_HASH_SIZE; i++)
		for (struct udp_pcb *pcb = st->udp->bucket[i]; pcb; pcb = pcb->hnext) {
			udp_sock_describe(pcb->sock, line, sizeof(line));
			fprintf(out, "%s\n", line);
		}
}
