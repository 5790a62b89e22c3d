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
 * ts_epoll_wait and ts_poll drive the stack: they read frames from the
 * link, run the timers, and return when a descriptor is ready or the
 * timeout expires, sleeping in the kernel (epoll on the link fd and a
 * timerfd) in between.  Blocking sockets drive the stack the same way inside
 * the call.  A stack whose link has no kernel fd (the in-memory wire, a
 * virtual clock) cannot sleep: without a wait hook (ts_set_wait_hook) a
 * blocking call there polls once and gives up; with one, it waits by
 * calling the hook.
 *
 * docs/api.md lists every call and option beside what Linux does.
 */
#ifndef TAPSTACK_H
#define TAPSTACK_H

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

struct stack;

/*
 * The TCP-level option names of <netinet/tcp.h>, without that header: it
 * also declares an enum of TCP states (TCP_LISTEN, ...) that clashes with
 * the stack's own names, and files include this header beside stack.h.
 * Same values as Linux; identical redefinitions by <netinet/tcp.h> or
 * <linux/tcp.h> are fine.  TCP_INFO fills Linux's struct tcp_info: take it
 * from <linux/tcp.h> (every field) or <netinet/tcp.h> (a prefix of it).
 */
#ifndef TCP_NODELAY
#define TCP_NODELAY 1
#endif
#ifndef TCP_MAXSEG
#define TCP_MAXSEG 2
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
#ifndef TCP_INFO
#define TCP_INFO 11
#endif
#ifndef TCP_CONGESTION
#define TCP_CONGESTION 13
#endif
/* ioctl requests of <linux/sockios.h> (SIOCINQ is FIONREAD, SIOCOUTQ TIOCOUTQ). */
#ifndef SIOCINQ
#define SIOCINQ FIONREAD
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif

/*
 * Options (ts_setsockopt / ts_getsockopt), with Linux's values and errors:
 *   SOL_SOCKET   SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST (UDP to a
 *                broadcast address, else EACCES), SO_LINGER (l_linger > 0:
 *                ts_close waits, driving the stack, until the FIN is
 *                acknowledged or the time passed, also for a non-blocking
 *                socket, as Linux; 0: reset), SO_RCVBUF / SO_SNDBUF (doubled
 *                as Linux; set before connect/listen they fix the buffer and
 *                the window scale; after connect the buffers change size and
 *                an advertised window never shrinks), SO_RCVLOWAT (readiness
 *                and blocking reads of a stream wait for that many bytes),
 *                SO_ERROR (read and clear), SO_TYPE.
 *   IPPROTO_IP   IP_TOS (ECN bits kept from the stack for TCP), IP_TTL
 *                (1..255, -1: the default): every datagram or segment the
 *                socket sends carries them.
 *   IPPROTO_TCP  TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
 *                TCP_MAXSEG (get: the current SMSS, 536 before connect, the
 *                value set before connect; set 88..32767 or 0 before
 *                connect: the MSS announced and used), TCP_INFO (struct
 *                tcp_info, a shorter len copies a prefix), TCP_CONGESTION
 *                (the module name, "reno"; unknown: ENOENT).
 */

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
/* O_NONBLOCK on or off: ts_fcntl F_GETFL then F_SETFL, in one call. */
int ts_set_nonblock(struct stack *st, int fd, int on);

/*
 * recv/send: recvfrom/sendto without an address (traced as such, as glibc
 * calls them).  Flags: MSG_PEEK, MSG_DONTWAIT, MSG_WAITALL (a stream read
 * waits for len bytes, end of stream, an error or a signal), MSG_TRUNC
 * (UDP: the datagram's real length; TCP: discard instead of copy),
 * MSG_NOSIGNAL (accepted: no signal is ever raised), MSG_OOB (TCP reads:
 * EINVAL, there is no urgent data; sends: EOPNOTSUPP).
 */
ssize_t ts_recv(struct stack *st, int fd, void *buf, size_t len, int flags);
ssize_t ts_send(struct stack *st, int fd, const void *buf, size_t len, int flags);
/* readv/writev: recvmsg/sendmsg with flags 0 (EINVAL for iovcnt < 0 or > 1024). */
ssize_t ts_readv(struct stack *st, int fd, const struct iovec *iov, int iovcnt);
ssize_t ts_writev(struct stack *st, int fd, const struct iovec *iov, int iovcnt);
/*
 * recvmsg/sendmsg: msg_iov scattered / gathered (EMSGSIZE beyond 1024
 * vectors); msg_name gets the sender of a datagram (msg_namelen its size;
 * 0 for TCP, as Linux) or names the destination of one; msg_flags gets
 * MSG_TRUNC when a datagram was cut.  No control messages: msg_controllen
 * comes back 0, and sendmsg with control data is EINVAL (see docs/api.md).
 */
ssize_t ts_recvmsg(struct stack *st, int fd, struct msghdr *msg, int flags);
ssize_t ts_sendmsg(struct stack *st, int fd, const struct msghdr *msg, int flags);

/*
 * poll(2) over ts_ descriptors (sockets and epoll instances): timeout_ms -1
 * waits for ever, 0 not at all.  Negative fds are skipped (revents 0), a
 * descriptor that is not open reports POLLNVAL, POLLERR and POLLHUP are
 * always reported; revents are what Linux's tcp_poll / datagram_poll give
 * (POLLIN|POLLRDNORM, POLLOUT|POLLWRNORM, POLLRDHUP, ...) filtered by
 * events.  Returns how many entries have revents, 0 on timeout.
 */
int ts_poll(struct stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms);
/*
 * fcntl(2): F_GETFL (O_RDWR plus O_NONBLOCK, O_APPEND, O_ASYNC, O_NOATIME
 * as set), F_SETFL (those four; O_DIRECT is EINVAL as on a socket; no
 * SIGIO is ever sent), F_GETFD / F_SETFD (FD_CLOEXEC, kept and reported).
 * Another command: EINVAL.  The third argument is an int.
 */
int ts_fcntl(struct stack *st, int fd, int cmd, ...);
/*
 * ioctl(2) with an int * argument: FIONREAD / SIOCINQ (bytes readable on a
 * stream, EINVAL on a listener; the next datagram's size on UDP), SIOCOUTQ
 * (bytes not yet acknowledged, FIN included, as Linux's write_seq -
 * snd_una; 0 for UDP), SIOCOUTQNSD (bytes not yet sent), FIONBIO (O_NONBLOCK
 * from *arg).  Another request: ENOTTY.
 */
int ts_ioctl(struct stack *st, int fd, unsigned long request, ...);

/*
 * How a blocking call waits on a stack whose clock or link someone else
 * drives (two stacks in one process, a virtual clock): fn(st, until_us,
 * ctx) is called each time a blocking call (accept, connect, read, recv*,
 * write, send*, poll, epoll_wait, a lingering close) found nothing to do
 * and polling st handled nothing.  fn makes progress: moves frames (runs
 * the other stacks), advances the clock, never past until_us (a deadline
 * on ts_now_us, UINT64_MAX for none).  It returns nonzero when it did, 0
 * when nothing can ever change.  Then the call ends: accept, read, recv*,
 * write and send* fail with EAGAIN, connect with ETIMEDOUT (the attempt is
 * abandoned), poll and epoll_wait return 0, a lingering close returns.
 * fn must not make blocking calls on st.  fn NULL removes the hook.
 * Returns 0.
 */
int ts_set_wait_hook(struct stack *st, int (*fn)(struct stack *st, uint64_t until_us, void *ctx),
		     void *ctx);

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
#define TS_NUD_STALE	  0x04
#define TS_NUD_DELAY	  0x08
#define TS_NUD_PROBE	  0x10
#define TS_NUD_PERMANENT  0x80
struct ts_neigh {
	struct sockaddr_storage addr; /* AF_INET or AF_INET6 */
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

/*
 * Tasks: goroutine-like functions on small stacks of their own, scheduled
 * cooperatively on the one thread that drives st (docs/netpoll.md).
 *
 * ts_go(st, fn, arg) starts fn(st, arg) as a task (Go's `go fn(arg)`) and
 * returns its id (1, 2, ...), or -1 with ENOMEM.  It runs the next time st
 * is polled: inside ts_run, ts_epoll_wait, ts_poll, a blocking call made
 * outside any task, or ts_yield.  A task ends when fn returns; descriptors
 * it opened stay open, as in Go.
 *
 * Inside a task, a blocking socket's accept, connect, read, recv*, write
 * and send* that would block park the task instead (Go: pollDesc.wait →
 * gopark) until the socket may be ready (netpollready), its deadline
 * passes (ETIMEDOUT) or another task closes it (EBADF, Go's "use of closed
 * network connection"); poll, epoll_wait and a lingering close park it
 * until some socket changed or their timeout.  Non-blocking sockets
 * behave as ever.  Tasks are never preempted: a task that loops without a
 * blocking call holds the thread.
 *
 * ts_run(st) drives st until every task has ended: 0; -1 with EINTR when
 * *st->stop was set, EDEADLK when every task waits on something that can
 * never happen (Go: "all goroutines are asleep") or when called from a task.
 * ts_yield(st): in a task, lets the other runnable tasks run first (Go's
 * runtime.Gosched); outside, runs the runnable tasks once.  Returns 0.
 * ts_task_id(st): the running task's id, 0 outside tasks.
 */
int ts_go(struct stack *st, void (*fn)(struct stack *st, void *arg), void *arg);
int ts_run(struct stack *st);
int ts_yield(struct stack *st);
int ts_task_id(const struct stack *st);

/*
 * Go's SetReadDeadline / SetWriteDeadline / SetDeadline: which is
 * TS_DEADLINE_READ (accept, read, recv*), TS_DEADLINE_WRITE (connect,
 * write, send*) or TS_DEADLINE_RW; abs_us an absolute time on ts_now_us's
 * clock, 0 for none.  Past it, those calls fail with ETIMEDOUT (Go's
 * os.ErrDeadlineExceeded, "i/o timeout"), at once, even with data waiting,
 * and a call already waiting fails when it passes; the connection stays
 * usable (a read or write may have moved some bytes first, and returns
 * that count).  Setting a new deadline reaches calls already waiting.
 * Works outside tasks too.  0, or -1 with EBADF, ENOTSOCK, EINVAL.
 */
#define TS_DEADLINE_READ  1
#define TS_DEADLINE_WRITE 2
#define TS_DEADLINE_RW	  3
int ts_set_deadline(struct stack *st, int fd, int which, uint64_t abs_us);

/* The scheduler's figures (ts_sched_stats; all 0 before the first ts_go). */
struct ts_sched_stats {
	uint64_t spawned;	       /* tasks ts_go started */
	uint64_t exited;	       /* of those, ended */
	uint32_t live;		       /* not ended: running, runnable or parked */
	uint32_t peak;		       /* most live at once */
	uint32_t parked;	       /* live and waiting */
	uint64_t switches;	       /* context switches into and out of tasks */
	uint32_t stack_size;	       /* usable bytes of each task's stack */
	uint32_t stacks_mapped;	       /* stacks mapped now: live tasks' and cached ones */
	uint64_t stack_bytes_mapped;   /* their address space, guard pages included */
	uint64_t stack_bytes_resident; /* of that, pages in memory now (mincore) */
};
int ts_sched_stats(struct stack *st, struct ts_sched_stats *out);

/*
 * Making stacks, for programs that include only this header (implemented
 * in tap/stack_open.c; link with `pkg-config --libs tapstack`).
 *
 * struct ts_stack_config: every field may be left 0 / NULL for its default.
 *   ip     "ADDR/LEN" of the stack (ts_open_tap: 10.0.0.2/24; ts_open_pair:
 *          10.0.0.1/24 for a, 10.0.0.2/24 for b)
 *   gw     default gateway "ADDR" (none)
 *   mac    "02:00:00:00:00:02" (a pair: ...:01 for a, ...:02 for b)
 *   mtu    link MTU, 576 to 9000 (1500)
 *   trace  tapstack's --trace words on stderr: "layers,api,tcp,sched", "all"
 *   pcap   write every frame received and sent to this pcap file
 *   stop   a flag a signal handler sets: blocking calls then fail with EINTR
 *          and ts_run returns (see ts_run)
 *
 * ts_open_tap(ifname, cfg, err, errlen) attaches a stack to TAP ifname
 * (NULL: "tap0"), as `tapstack serve` does: created if absent (root or
 * CAP_NET_ADMIN), or a persistent TAP the caller owns (`tapstack setup`),
 * with the offloads the kernel accepts and, where the kernel allows
 * io_uring, the frames of a poll sent in one system call: a frame a call
 * sends leaves when the stack is next driven (ts_epoll_wait, ts_poll, a
 * blocking call, ts_stack_close).  It does not configure the kernel
 * side (`ip addr`, `ip link set up`, or `tapstack setup --host-ip`).  On a
 * TAP the clock is CLOCK_MONOTONIC and blocking calls sleep in the kernel.
 * Returns the stack, or NULL with errno and a one-line reason in err.
 *
 * ts_open_pair(ca, cb, &a, &b, err, errlen) makes two stacks joined by an
 * in-memory wire (no root, no TAP, no kernel), on a virtual clock starting
 * at 1 s, with fixed seeds: the same program gives the same run.  Blocking
 * calls on either stack drive both and jump the clock to the next timer,
 * so one thread can write a client on a and a server on b straight line
 * (the server listening before the client's blocking connect, which the
 * listener's backlog completes); a blocking call that can never finish
 * fails as tapstack.h says for a wait hook giving up (EAGAIN, ETIMEDOUT
 * for connect, 0 for poll and epoll_wait).  A call that waits on the other
 * stack's application (a write into a window its reader never drains)
 * waits for ever, as on Linux: use non-blocking calls or ts_set_deadline,
 * which the virtual clock reaches at once.  Returns 0, or -1 with errno
 * and the reason in err.
 *
 * ts_stack_close(st) closes every socket (RST for live connections), frees
 * the stack and its link; for a pair, each stack is closed on its own.
 * Only for stacks these calls made.
 */
struct ts_stack_config {
	const char *ip;
	const char *gw;
	const char *mac;
	unsigned mtu;
	const char *trace;
	const char *pcap;
	volatile int *stop;
};
struct stack *ts_open_tap(const char *ifname, const struct ts_stack_config *cfg, char *err,
			  size_t errlen);
int ts_open_pair(const struct ts_stack_config *ca, const struct ts_stack_config *cb,
		 struct stack **a, struct stack **b, char *err, size_t errlen);
void ts_stack_close(struct stack *st);

int ts_epoll_create(struct stack *st, int size);
int ts_epoll_create1(struct stack *st, int flags);
int ts_epoll_ctl(struct stack *st, int epfd, int op, int fd, struct epoll_event *ev);
int ts_epoll_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
		  int timeout_ms);

#endif
