/*
 * tapstack.h - the public socket API: POSIX-shaped, prefixed ts_, using the
 * constants of <sys/socket.h>, <netinet/in.h>, <netinet/tcp.h> (the four
 * option names below) and <sys/epoll.h>.  Every call returns -1 and sets
 * errno like the Linux kernel does (EAGAIN, EINPROGRESS, ECONNREFUSED,
 * ECONNRESET, EPIPE, EADDRINUSE, EINVAL, EBADF, ENOTCONN, ...).
 *
 * Descriptors are small integers private to one struct stack; sockets and
 * epoll instances share the numbering, starting at 3 like a fresh process.
 *
 * ts_epoll_wait drives the stack: it reads frames from the link, runs the
 * timers, and returns when a registered descriptor is ready or the timeout
 * expires, sleeping in the kernel (epoll on the link fd and a timerfd) in
 * between.  Blocking sockets drive the stack the same way inside the call.
 */
#ifndef TAPSTACK_H
#define TAPSTACK_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

struct stack;

/*
 * The TCP-level option names of <netinet/tcp.h>, without that header: it
 * also declares an enum of TCP states (TCP_LISTEN, ...) that clashes with
 * the stack's own names, and files include this header beside stack.h.
 * Same values as Linux; identical redefinitions by <netinet/tcp.h> are fine.
 */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif
#ifndef TCP_KEEPIDLE
#define TCP_KEEPIDLE 4
#endif
#ifndef TCP_KEEPINTVL
#define TCP_KEEPINTVL 5
#endif
#ifndef TCP_KEEPCNT
#define TCP_KEEPCNT 6
#endif
#ifndef TCP_CONGESTION
#define TCP_CONGESTION 13 /* a name: "cubic" (default) or "reno" */
#endif

int ts_socket(struct stack *st, int domain, int type, int protocol);
int ts_bind(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int ts_listen(struct stack *st, int fd, int backlog);
int ts_accept(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len);
/* accept4 with SOCK_NONBLOCK; ts_accept is ts_accept4(.., 0). */
int ts_accept4(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags);
int ts_connect(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len);
ssize_t ts_read(struct stack *st, int fd, void *buf, size_t len);
ssize_t ts_write(struct stack *st, int fd, const void *buf, size_t len);
ssize_t ts_recvfrom(struct stack *st, int fd, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen);
ssize_t ts_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen);
int ts_shutdown(struct stack *st, int fd, int how);
int ts_close(struct stack *st, int fd);
int ts_setsockopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len);
int ts_getsockopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len);
int ts_getsockname(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int ts_getpeername(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len);
/* O_NONBLOCK through fcntl(F_SETFL) in POSIX; here one call. */
int ts_set_nonblock(struct stack *st, int fd, int on);

/*
 * The neighbour table (what `ip neigh` manages).  ts_neigh_add puts a
 * static entry (nud permanent): addr always resolves to mac without ARP,
 * and nothing learnt from the wire changes it; with replace 0 an existing
 * entry is EEXIST (ip neigh add), otherwise it is overwritten (ip neigh
 * replace).  ts_neigh_del removes an entry, static or learnt (ENOENT).
 * ts_neigh_list fills up to max entries and returns how many there are.
 * State values are Linux's NUD_* (<linux/neighbour.h>).
 */
#define TS_NUD_INCOMPLETE 0x01
#define TS_NUD_REACHABLE  0x02
#define TS_NUD_PERMANENT  0x80
struct ts_neigh {
	struct sockaddr_storage addr; /* AF_INET */
	unsigned char mac[6];	      /* link-layer address */
	int state;		      /* TS_NUD_* */
};
int ts_neigh_add(struct stack *st, const struct sockaddr *addr, socklen_t len,
		 const unsigned char mac[6], int replace);
int ts_neigh_del(struct stack *st, const struct sockaddr *addr, socklen_t len);
int ts_neigh_list(struct stack *st, struct ts_neigh *out, int max);

/*
 * The stack's clock in microseconds: CLOCK_MONOTONIC on a kernel link, the
 * virtual clock of a simulation.  Applications time their own deadlines
 * with it so that they run on simulated time too.
 */
uint64_t ts_now_us(const struct stack *st);

int ts_epoll_create(struct stack *st, int size);
int ts_epoll_create1(struct stack *st, int flags);
int ts_epoll_ctl(struct stack *st, int epfd, int op, int fd, struct epoll_event *ev);
int ts_epoll_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
		  int timeout_ms);

#endif
