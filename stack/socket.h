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

#include "ip.h"

struct stack;
struct ts_sock;
struct ts_epitem;

/* Every SPEC socket option, decoded once by socket.c. */
struct ts_sockopts {
	bool reuseaddr;	      /* SO_REUSEADDR */
	bool keepalive;	      /* SO_KEEPALIVE */
	bool nodelay;	      /* TCP_NODELAY: Nagle off */
	bool linger_on;	      /* SO_LINGER l_onoff */
	int linger_s;	      /* SO_LINGER l_linger; 0 with linger_on: RST on close */
	uint32_t rcvbuf;      /* SO_RCVBUF, bytes of receive buffer */
	uint32_t sndbuf;      /* SO_SNDBUF, bytes of send buffer */
	uint32_t keepidle_s;  /* TCP_KEEPIDLE */
	uint32_t keepintvl_s; /* TCP_KEEPINTVL */
	uint32_t keepcnt;     /* TCP_KEEPCNT */
	char congestion[16];  /* TCP_CONGESTION, "" for cfg.tcp_congestion */
};

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
	 * blocking.  ep NULL: AF_UNSPEC, dissolve a datagram association.
	 */
	int (*connect)(struct ts_sock *s, const struct ip_endpoint *ep);
	/* from may be NULL; filled with the sender (TCP: the peer). */
	ssize_t (*recvfrom)(struct ts_sock *s, void *buf, size_t len, int flags,
			    struct ip_endpoint *from);
	/* to NULL: the connected peer.  Never blocks: -EAGAIN when full. */
	ssize_t (*sendto)(struct ts_sock *s, const void *buf, size_t len, int flags,
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
};

struct ts_sock {
	struct stack *st;
	const struct ts_sock_ops *ops;
	void *pcb;		 /* the protocol's control block (struct tcp_pcb, udp_pcb) */
	int fd;			 /* descriptor, or -1 while not yet accepted */
	int domain;		 /* AF_INET (the family of its addresses) */
	int type;		 /* SOCK_STREAM or SOCK_DGRAM */
	bool nonblock;		 /* O_NONBLOCK / SOCK_NONBLOCK */
	int so_error;		 /* pending asynchronous error (positive errno), SO_ERROR */
	struct ts_sockopts opt;	 /* options, set through ts_setsockopt */
	struct ts_epitem *watch; /* epoll items watching this socket (epoll.c's list) */
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

extern const struct ts_sock_ops tcp_sock_ops; /* tcp_sock.c */
extern const struct ts_sock_ops udp_sock_ops; /* udp.c */

/*
 * The descriptor table, shared by sockets and epoll instances.  Entry kind
 * tells which; fds start at 3 like a fresh process.
 */
enum ts_fd_kind { TS_FD_FREE = 0, TS_FD_SOCK, TS_FD_EPOLL };

struct ts_fd_entry {
	enum ts_fd_kind kind;
	void *obj; /* struct ts_sock * or struct ts_epoll * */
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
