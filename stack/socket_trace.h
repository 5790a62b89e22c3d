/*
 * socket_trace.h - `--trace api`: one line per ts_ call in strace's format
 * (strace -f -e trace=network,read,write,epoll,...), so that tapstack's
 * trace can be read beside a Go server's strace (docs/syscalls.md).
 *
 * socket.c calls the trace_* function of a call after the call has run,
 * when TS_TRACE_API is on, with its arguments as the caller passed them
 * (len_in: what *len held before the call) and the result r (>= 0, or
 * -errno).  Nothing here changes the stack.
 */
#ifndef TS_SOCKET_TRACE_H
#define TS_SOCKET_TRACE_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

struct stack;

void trace_socket(struct stack *st, int domain, int type, int protocol, long r);
/* bind and connect: "call(fd, {sockaddr}, len)". */
void trace_sockaddr_call(struct stack *st, const char *call, int fd, const struct sockaddr *addr,
			 socklen_t len, long r);
void trace_listen(struct stack *st, int fd, int backlog, long r);
/* accept (flags < 0: no flags argument) and accept4. */
void trace_accept(struct stack *st, int fd, const struct sockaddr *addr, const socklen_t *len,
		  socklen_t len_in, int flags, long r);
void trace_read(struct stack *st, int fd, const void *buf, size_t len, long r);
void trace_write(struct stack *st, int fd, const void *buf, size_t len, long r);
void trace_recvfrom(struct stack *st, int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *from, const socklen_t *fromlen, socklen_t len_in,
		    long r);
void trace_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen, long r);
void trace_shutdown(struct stack *st, int fd, int how, long r);
void trace_close(struct stack *st, int fd, long r);
void trace_setsockopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len,
		      long r);
void trace_getsockopt(struct stack *st, int fd, int level, int name, const void *val,
		      const socklen_t *len, socklen_t len_in, long r);
/* getsockname and getpeername. */
void trace_getname(struct stack *st, const char *call, int fd, const struct sockaddr *addr,
		   const socklen_t *len, socklen_t len_in, long r);
/* readv and writev (call names which): the data that came in, or went out. */
void trace_readv(struct stack *st, const char *call, int fd, const struct iovec *iov, int iovcnt,
		 long r);
/* recvmsg and sendmsg; namelen_in: msg_namelen before the call. */
void trace_msg(struct stack *st, const char *call, int fd, const struct msghdr *msg,
	       socklen_t namelen_in, int flags, long r);
/* poll, with the entries that reported after " = n". */
void trace_poll(struct stack *st, const struct pollfd *fds, nfds_t nfds, int timeout_ms, long r);
/* fcntl; has_arg: cmd took an int argument (arg). */
void trace_fcntl(struct stack *st, int fd, int cmd, bool has_arg, int arg, long r);
/* ioctl with an int * argument; arg_in: *arg before the call (FIONBIO). */
void trace_ioctl(struct stack *st, int fd, unsigned long request, const int *arg, int arg_in,
		 long r);
void trace_epoll_create1(struct stack *st, int flags, long r);
void trace_epoll_create(struct stack *st, int size, long r);
void trace_epoll_ctl(struct stack *st, int epfd, int op, int fd, const struct epoll_event *ev,
		     long r);
void trace_epoll_wait(struct stack *st, int epfd, const struct epoll_event *events, int maxevents,
		      int timeout_ms, long r);

#endif
