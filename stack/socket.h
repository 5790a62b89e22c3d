/*
 * socket.h - the inside of the socket API: the descriptor table, struct
 * ts_sock, and the contract between socket.c (descriptors, errno, --trace
 * api, blocking), epoll.c (readiness) and the protocols (tcp*.c, udp.c).
 *
 * Protocol operations return 0 / a byte count, or a negative errno
 * (-EAGAIN, -ECONNRESET, ...), as the kernel's proto_ops do; socket.c is the
 * one place that turns that into -1 and errno, traces the call, and, for a
 * blocking socket, drives the stack until the operation can complete.
 *
 * Readiness: a protocol calls ts_sock_wakeup() whenever something that
 * ->poll() reports may have changed (data arrived, window opened, state
 * changed, error).  epoll.c then re-evaluates ->poll() for the watchers.
 */
#ifndef TS_SOCKET_H
#define TS_SOCKET_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "ip.h"

struct stack;
struct ts_sock;
struct ts_epitem;
struct ts_polldesc;

/*
 * The socket options, decoded once by socket.c (those a protocol decodes
 * itself, TCP_MAXSEG, TCP_INFO, TCP_CONGESTION, go through ->setsockopt /
 * ->getsockopt and keep their values here or in the control block).
 */
struct ts_sockopts {
	bool reuseaddr;	      /* SO_REUSEADDR */
	bool keepalive;	      /* SO_KEEPALIVE */
	bool broadcast;	      /* SO_BROADCAST: datagrams may go to a broadcast address */
	bool nodelay;	      /* TCP_NODELAY: Nagle off */
	bool linger_on;	      /* SO_LINGER l_onoff */
	int linger_s;	      /* SO_LINGER l_linger; 0 with linger_on: RST on close */
	uint32_t rcvbuf;      /* SO_RCVBUF, bytes of receive buffer */
	uint32_t sndbuf;      /* SO_SNDBUF, bytes of send buffer */
	bool rcvbuf_locked;   /* SO_RCVBUF was set: the buffer is fixed, and with it the
			       * window scale (Linux SOCK_RCVBUF_LOCK) */
	int rcvlowat;	      /* SO_RCVLOWAT: bytes a blocking read waits for and that
			       * make a stream readable (>= 1) */
	uint8_t tos;	      /* IP_TOS of every datagram / segment sent */
	int ttl;	      /* IP_TTL; -1: the stack's default (cfg.ttl) */
	uint8_t pmtudisc;     /* IP_MTU_DISCOVER (ip.h): IP_PMTUDISC_WANT by default */
	bool recverr;	      /* IP_RECVERR: ICMP errors reported at once, to any socket
			       * (without the error queue: see docs/api.md) */
	bool v6only;	      /* IPV6_V6ONLY: an AF_INET6 socket speaks IPv6 only */
	uint8_t tclass;	      /* IPV6_TCLASS of every IPv6 datagram / segment sent */
	int hops;	      /* IPV6_UNICAST_HOPS; -1: the stack's default (cfg.ttl) */
	uint8_t pmtudisc6;    /* IPV6_MTU_DISCOVER: IPV6_PMTUDISC_WANT by default */
	uint16_t user_mss;    /* TCP_MAXSEG set by the user; 0: none */
	uint32_t keepidle_s;  /* TCP_KEEPIDLE */
	uint32_t keepintvl_s; /* TCP_KEEPINTVL */
	uint32_t keepcnt;     /* TCP_KEEPCNT */
};

/*
 * The data of one call (read, readv, recvmsg, ...): what is left of the
 * caller's iovecs.  socket.c checked every length; protocols copy through
 * ts_iov_put / ts_iov_get and the socket layer moves on with ts_iov_advance.
 */
struct ts_iov {
	const struct iovec *iov; /* the first vector with bytes left */
	size_t iovcnt;		 /* vectors from iov on */
	size_t skip;		 /* bytes of iov[0] already used */
	size_t len;		 /* bytes left in all */
};
/* Copies n bytes of data into v from byte off on (not past v's end); returns the count. */
size_t ts_iov_put(const struct ts_iov *v, size_t off, const void *data, size_t n);
/* Copies n bytes out of v from byte off on into out (not past v's end); returns the count. */
size_t ts_iov_get(const struct ts_iov *v, size_t off, void *out, size_t n);
/* Drops the first n bytes of v (n <= v->len). */
void ts_iov_advance(struct ts_iov *v, size_t n);

struct ts_sock_ops {
	/*
	 * Optional (may be NULL): called once by ts_socket() right after the
	 * socket is allocated, so the protocol can attach its control block
	 * (s->pcb).  Not called for sockets a protocol creates in ->accept.
	 * Returns 0 or -errno (the socket is then freed, ->close not called).
	 */
	int (*create)(struct ts_sock *s);
	/* ep already validated (family, length, a local address). Port 0: an ephemeral port. */
	int (*bind)(struct ts_sock *s, const struct ip_endpoint *ep);
	int (*listen)(struct ts_sock *s, int backlog);
	/* On success *child is a new ts_sock (fd not yet assigned); *peer filled. */
	int (*accept)(struct ts_sock *s, struct ts_sock **child, struct ip_endpoint *peer);
	/*
	 * Non-blocking: returns -EINPROGRESS for TCP; socket.c waits if
	 * blocking.  ep NULL: AF_UNSPEC, dissolve a datagram association;
	 * for TCP, abandon a handshake in progress (a blocking connect that
	 * gave up).
	 */
	int (*connect)(struct ts_sock *s, const struct ip_endpoint *ep);
	/*
	 * Copies what is readable into to (flags: MSG_PEEK, MSG_TRUNC, MSG_OOB).
	 * from may be NULL; filled with the sender (TCP: the peer).  *msg_flags
	 * gets MSG_TRUNC when a datagram did not fit.  Never blocks: -EAGAIN
	 * when nothing is there, 0 at end of stream.
	 */
	ssize_t (*recvmsg)(struct ts_sock *s, const struct ts_iov *to, int flags,
			   struct ip_endpoint *from, int *msg_flags);
	/*
	 * Sends what fits of from (one datagram: all of it).  to NULL: the
	 * connected peer.  Never blocks: -EAGAIN when full.
	 */
	ssize_t (*sendmsg)(struct ts_sock *s, const struct ts_iov *from, int flags,
			   const struct ip_endpoint *to);
	int (*shutdown)(struct ts_sock *s, int how);
	/*
	 * Detaches the protocol from the socket.  The protocol may keep its
	 * control block alive (FIN_WAIT, TIME_WAIT) but must not touch s after
	 * this returns; socket.c frees s.
	 */
	void (*close)(struct ts_sock *s);
	/* Called after socket.c stored a changed option, so the protocol can act. */
	void (*opt_changed)(struct ts_sock *s, int level, int name);
	/* Current readiness: EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP | EPOLLERR. */
	uint32_t (*poll)(struct ts_sock *s);
	/* Appends one line for the connection table (ss -tan style); may be NULL. */
	void (*describe)(struct ts_sock *s, char *line, size_t len);
	/*
	 * getsockname (peer false) / getpeername (peer true): fills ep.
	 * Returns 0, or -ENOTCONN for a peer that is not known.  May be NULL:
	 * then the name is the wildcard and there is no peer.
	 */
	int (*getname)(struct ts_sock *s, bool peer, struct ip_endpoint *ep);
	/*
	 * Options the protocol decodes itself (TCP_MAXSEG, TCP_INFO,
	 * TCP_CONGESTION).  0 or -errno; -ENOPROTOOPT for a name it does not
	 * know.  May be NULL.  getsockopt: len checked (>= 0), val not NULL.
	 */
	int (*setsockopt)(struct ts_sock *s, int level, int name, const void *val, socklen_t len);
	int (*getsockopt)(struct ts_sock *s, int level, int name, void *val, socklen_t *len);
	/*
	 * FIONREAD (SIOCINQ), SIOCOUTQ and SIOCOUTQNSD into *val.  0 or
	 * -errno; -ENOTTY for another request.  May be NULL.
	 */
	int (*ioctl)(struct ts_sock *s, unsigned long request, int *val);
	/*
	 * A close with SO_LINGER and a time: begins the close as ->close
	 * would (the FIN after the data) but leaves the socket attached, so
	 * the caller can wait.  Returns whether the close must still wait
	 * (the FIN is not yet acknowledged); the caller calls it again after
	 * each wait, then ->close.  May be NULL: nothing to linger for.
	 */
	bool (*linger)(struct ts_sock *s);
};

struct ts_sock {
	struct stack *st;
	const struct ts_sock_ops *ops;
	void *pcb;		 /* the protocol's control block (struct tcp_pcb, udp_pcb) */
	int fd;			 /* descriptor, or -1 while not yet accepted */
	int domain;		 /* AF_INET or AF_INET6: the family of its sockaddrs */
	int type;		 /* SOCK_STREAM or SOCK_DGRAM */
	bool nonblock;		 /* O_NONBLOCK / SOCK_NONBLOCK */
	int so_error;		 /* pending asynchronous error (positive errno), SO_ERROR */
	struct ts_sockopts opt;	 /* options, set through ts_setsockopt */
	struct ts_epitem *watch; /* epoll items watching this socket (epoll.c's list) */
	struct ts_polldesc *pd;	 /* tasks parked on it and its deadlines (task.c), or NULL */
};

/* Protocol → socket layer: readiness may have changed. */
void ts_sock_wakeup(struct ts_sock *s);
/*
 * The same, saying which kinds may have changed (EPOLLIN: data or FIN
 * arrived, EPOLLOUT: send space freed, EPOLLERR|EPOLLHUP: reset/closed), so
 * that watchers interested in none of them are not queued (Linux passes
 * this key to ep_poll_callback).  Linux wakes writers only after a write
 * found no space (SOCK_NOSPACE); a protocol that wants edge-triggered
 * watchers to see as few EPOLLOUT edges as on Linux passes EPOLLOUT only then.
 */
void ts_sock_wakeup_events(struct ts_sock *s, uint32_t events);
/*
 * Allocates a socket of family domain with default options for the given
 * type (used by accept too).  Returns NULL when out of memory.
 */
struct ts_sock *ts_sock_new(struct stack *st, int domain, int type, const struct ts_sock_ops *ops);
/*
 * Frees a socket that never got a descriptor (an accept-queue child dropped
 * when its listener closes).  Does not call ->close.  Sockets with an fd are
 * freed by ts_close().
 */
void ts_sock_free(struct ts_sock *s);

/*
 * The per-datagram options of a socket for traffic of family af: IP_TOS,
 * IP_TTL and IP_MTU_DISCOVER for IPv4 (an AF_INET6 socket's v4-mapped
 * traffic too, as on Linux), IPV6_TCLASS, IPV6_UNICAST_HOPS and
 * IPV6_MTU_DISCOVER for IPv6.
 */
static inline struct ip_tx_opts ts_sock_tx_opts(const struct ts_sockopts *so, int af)
{
	if (af == AF_INET6)
		return (struct ip_tx_opts){.tos = so->tclass,
					   .ttl = so->hops < 0 ? 0 : (uint8_t)so->hops,
					   .pmtudisc = so->pmtudisc6};
	return (struct ip_tx_opts){
	    .tos = so->tos, .ttl = so->ttl < 0 ? 0 : (uint8_t)so->ttl, .pmtudisc = so->pmtudisc};
}

/*
 * The wildcard address of s: 0.0.0.0 for AF_INET, `::` for an IPV6_V6ONLY
 * AF_INET6 socket, and for any other AF_INET6 socket the dual-stack
 * wildcard (af 0, ip.h's ip_addr_overlap), which IPv4 reaches too.
 */
static inline struct ip_addr ts_sock_wildcard(const struct ts_sock *s)
{
	struct ip_addr a;
	memset(&a, 0, sizeof(a));
	a.af = s->domain == AF_INET6 && !s->opt.v6only ? 0 : (uint8_t)s->domain;
	return a;
}

extern const struct ts_sock_ops tcp_sock_ops; /* tcp_sock.c */
extern const struct ts_sock_ops udp_sock_ops; /* udp.c */

/*
 * The descriptor table, shared by sockets and epoll instances.  Entry kind
 * tells which; fds start at 3 like a fresh process.
 */
enum ts_fd_kind { TS_FD_FREE = 0, TS_FD_SOCK, TS_FD_EPOLL };

struct ts_fd_entry {
	enum ts_fd_kind kind;
	void *obj;    /* struct ts_sock * or struct ts_epoll * */
	int status;   /* F_SETFL flags kept to report (O_APPEND, O_ASYNC, O_NOATIME; and
		       * O_NONBLOCK of an epoll fd: a socket's is ts_sock.nonblock) */
	bool cloexec; /* FD_CLOEXEC (F_GETFD; nothing here ever execs) */
};

struct ts_fdtable {
	struct ts_fd_entry *v; /* indexed by fd */
	int cap;	       /* allocated entries */
	int used;	       /* open descriptors */
	int next_free;	       /* no free entry below this index (Linux files->next_fd) */
};

/* Table helpers for socket.c and epoll.c. Returns the fd or -EMFILE. */
int ts_fd_alloc(struct stack *st, enum ts_fd_kind kind, void *obj);
void *ts_fd_get(struct stack *st, int fd, enum ts_fd_kind kind);
void ts_fd_release(struct stack *st, int fd);
void ts_fdtable_destroy(struct stack *st);

/* Prints every TCP connection (ss -tan style), then every UDP socket: SIGUSR1, --stats. */
void ts_sock_print_table(struct stack *st, FILE *out);

#endif
