/*
 * socket.c - the ts_ socket API boundary: descriptors, argument checks,
 * errno, blocking, socket options and the --trace api lines.
 *
 * Call order of every ts_ call:
 *   look up the descriptor → check the arguments as Linux does →
 *   call the protocol op (tcp_sock_ops / udp_sock_ops, which return
 *   -errno and never block) → if -EAGAIN and the socket blocks, drive the
 *   stack (stack_wait) and retry → trace → set errno and return -1, or
 *   return the result.
 * This is the one place that sets errno (lwIP src/api/err.c does the same
 * job with a table; here the protocols already speak errno).
 *
 * Read before editing: socket(2), bind(2), connect(2), accept(2),
 * recv(2), send(2), shutdown(2), socket(7), tcp(7), udp(7) (options and
 * their errors), and strace's output format for the trace lines.
 */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "epoll.h"
#include "stack.h"
#include "socket_trace.h"
#include "tapstack.h"
#include "tcp_cc.h"

/* Descriptors 0-2 stay unused, like stdin/out/err of a fresh process. */
#define TS_FD_FIRST 3
/* Upper bound of the table (RLIMIT_NOFILE's role). */
#define TS_FD_MAX (1 << 20)
/*
 * SO_RCVBUF/SO_SNDBUF: Linux doubles the value (room for bookkeeping), and
 * has floors (SOCK_MIN_RCVBUF/SOCK_MIN_SNDBUF) and a ceiling
 * (net.core.rmem_max/wmem_max, 212992 by default).  Deviation from Linux:
 * our ceiling is 16 MiB before doubling, so bulk tests can ask for big
 * windows without a sysctl.
 */
#define TS_SOCK_MIN_RCVBUF 2304
#define TS_SOCK_MIN_SNDBUF 4608
#define TS_SOCK_BUF_MAX	   (16u << 20)

/* ---- descriptor table ---- */

int ts_fd_alloc(struct stack *st, enum ts_fd_kind kind, void *obj)
{
	struct ts_fdtable *t = &st->fds;
	int fd = t->next_free < TS_FD_FIRST ? TS_FD_FIRST : t->next_free;

	/* POSIX: the lowest free descriptor.  next_free skips the used prefix. */
	while (fd < t->cap && t->v[fd].kind != TS_FD_FREE)
		fd++;
	if (fd >= t->cap) {
		if (fd >= TS_FD_MAX)
			return -EMFILE;
		int cap = t->cap ? t->cap * 2 : 64;
		struct ts_fd_entry *v = realloc(t->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*v));
		t->v = v;
		t->cap = cap;
	}
	t->v[fd].kind = kind;
	t->v[fd].obj = obj;
	t->used++;
	t->next_free = fd + 1;
	return fd;
}

void *ts_fd_get(struct stack *st, int fd, enum ts_fd_kind kind)
{
	struct ts_fdtable *t = &st->fds;
	if (fd < 0 || fd >= t->cap || t->v[fd].kind != kind)
		return NULL;
	return t->v[fd].obj;
}

void ts_fd_release(struct stack *st, int fd)
{
	struct ts_fdtable *t = &st->fds;
	if (fd < 0 || fd >= t->cap || t->v[fd].kind == TS_FD_FREE)
		return;
	t->v[fd].kind = TS_FD_FREE;
	t->v[fd].obj = NULL;
	t->used--;
	if (fd < t->next_free)
		t->next_free = fd;
}

/* ---- sockets ---- */

struct ts_sock *ts_sock_new(struct stack *st, int domain, int type, const struct ts_sock_ops *ops)
{
	struct ts_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->st = st;
	s->ops = ops;
	s->fd = -1;
	s->domain = domain;
	s->type = type;
	if (type == SOCK_STREAM) {
		s->opt.rcvbuf = st->cfg.tcp_rcvbuf;
		s->opt.sndbuf = st->cfg.tcp_sndbuf;
	} else {
		s->opt.rcvbuf = st->cfg.udp_rcvbuf;
		s->opt.sndbuf = st->cfg.udp_rcvbuf;
	}
	s->opt.keepidle_s = st->cfg.tcp_keepidle_s;
	s->opt.keepintvl_s = st->cfg.tcp_keepintvl_s;
	s->opt.keepcnt = st->cfg.tcp_keepcnt;
	return s;
}

void ts_sock_free(struct ts_sock *s)
{
	if (!s)
		return;
	ts_ep_forget_sock(s);
	free(s);
}

/* Closes descriptor fd of either kind. Returns 0 or -EBADF. */
static int fd_close(struct stack *st, int fd)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	struct ts_epoll *ep = ts_fd_get(st, fd, TS_FD_EPOLL);

	if (s) {
		ts_fd_release(st, fd);
		ts_ep_forget_sock(s);
		if (s->ops->close)
			s->ops->close(s);
		free(s);
		return 0;
	}
	if (ep) {
		ts_fd_release(st, fd);
		ts_ep_destroy(st, ep);
		return 0;
	}
	return -EBADF;
}

void ts_fdtable_destroy(struct stack *st)
{
	struct ts_fdtable *t = &st->fds;
	/* Sockets before epoll instances would also work; this order is cheaper. */
	for (int fd = 0; fd < t->cap; fd++)
		if (t->v[fd].kind == TS_FD_EPOLL)
			fd_close(st, fd);
	for (int fd = 0; fd < t->cap; fd++)
		if (t->v[fd].kind == TS_FD_SOCK)
			fd_close(st, fd);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void ts_sock_print_table(struct stack *st, FILE *out)
{
	tcp_print_table(st, out);
	udp_print_table(st, out);
}

/* ---- argument helpers ---- */

static struct ts_sock *sock_get(struct stack *st, int fd, int *err)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	if (s)
		return s;
	/* An epoll descriptor exists but is not a socket: ENOTSOCK, as for a file. */
	*err = ts_fd_get(st, fd, TS_FD_EPOLL) ? -ENOTSOCK : -EBADF;
	return NULL;
}

static int ret_errno(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

static ssize_t ret_errno_ssize(ssize_t r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/*
 * Waits for progress on behalf of a blocking call: drives the stack until
 * at least one frame or timer was handled.  Returns 0 (retry the op),
 * -EINTR when *st->stop was set.  On an in-memory link nobody else moves
 * the virtual clock, so a blocking call there polls once and, if nothing
 * happened, gives up with -EAGAIN instead of spinning forever.
 */
static int sock_block(struct stack *st)
{
	if (st->stop && *st->stop)
		return -EINTR;
	if (st->kq < 0)
		return stack_poll(st, st->now_us) > 0 ? 0 : -EAGAIN;
	int r = stack_wait(st, -1);
	return r == -EINTR ? -EINTR : 0;
}

/* Where an address argument comes from: each call accepts a little more or less. */
enum sa_use {
	SA_BIND,    /* inet_bind: AF_UNSPEC only for the wildcard */
	SA_CONNECT, /* inet_stream_connect / ip4_datagram_connect */
	SA_SENDTO,  /* udp_sendmsg: AF_UNSPEC is taken as AF_INET */
};

/*
 * The one parser of address arguments: checks addr as the kernel checks
 * a sockaddr for a socket of family domain, and fills ep.  Returns 0 or
 * -errno (EFAULT, EINVAL for a short length, EAFNOSUPPORT).
 */
static int sockaddr_get(const struct sockaddr *addr, socklen_t len, int domain, enum sa_use use,
			struct ip_endpoint *ep)
{
	(void)domain; /* AF_INET is the only family so far */
	if (!addr)
		return -EFAULT;
	if ((int)len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (sin->sin_family != AF_INET) {
		bool unspec_ok = use == SA_SENDTO ||
				 (use == SA_BIND && sin->sin_addr.s_addr == htonl(INADDR_ANY));
		if (sin->sin_family != AF_UNSPEC || !unspec_ok)
			return -EAFNOSUPPORT;
	}
	ep->addr = ip_addr_v4(ntohl(sin->sin_addr.s_addr));
	ep->port = ntohs(sin->sin_port);
	return 0;
}

/*
 * Copies ep out as a sockaddr of the socket's family, truncated to *len
 * like the kernel (move_addr_to_user); *len becomes the full size.
 * addr NULL: nothing to do.
 */
static int sockaddr_put(int domain, const struct ip_endpoint *ep, struct sockaddr *addr,
			socklen_t *len)
{
	struct sockaddr_in sin = {0};

	(void)domain;
	if (!addr)
		return 0;
	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	sin.sin_family = AF_INET;
	sin.sin_port = htons(ep->port);
	sin.sin_addr.s_addr = htonl(ep->addr.v4);
	memcpy(addr, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
	return 0;
}

/* Is a an address a socket of this stack may bind to? */
static bool addr_is_local(const struct stack *st, const struct ip_addr *a, int type)
{
	if (ip_addr_is_any(a) || ip_addr_is_ours(st, a))
		return true;
	/* udp(7): a datagram socket may bind a broadcast address to receive on it. */
	return type == SOCK_DGRAM && ip_addr_is_v4(a) && ipv4_is_broadcast(st, a->v4);
}

/* ---- the API ---- */

static int do_socket(struct stack *st, int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	const struct ts_sock_ops *ops;

	/* socket(2) order: flags, type range, family, then type/protocol match. */
	if (base <= 0 || base >= SOCK_PACKET + 1 || (type & ~(base | SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return -EINVAL;
	if (domain != AF_INET)
		return -EAFNOSUPPORT;
	if (base == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		ops = &tcp_sock_ops;
	} else if (base == SOCK_DGRAM) {
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		ops = &udp_sock_ops;
	} else {
		return -ESOCKTNOSUPPORT; /* inet_create finds no such type (raw sockets too) */
	}
	struct ts_sock *s = ts_sock_new(st, domain, base, ops);
	if (!s)
		return -ENOMEM;
	s->nonblock = (type & SOCK_NONBLOCK) != 0;
	if (ops->create) {
		int err = ops->create(s);
		if (err < 0) {
			free(s);
			return err;
		}
	}
	int fd = ts_fd_alloc(st, TS_FD_SOCK, s);
	if (fd < 0) {
		if (ops->close)
			ops->close(s);
		free(s);
		return fd;
	}
	s->fd = fd;
	return fd;
}

int ts_socket(struct stack *st, int domain, int type, int protocol)
{
	int r = do_socket(st, domain, type, protocol);
	if (ts_tracing(st, TS_TRACE_API))
		trace_socket(st, domain, type, protocol, r);
	return ret_errno(r);
}

static int do_bind(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ip_endpoint ep;

	if (!s)
		return err;
	if ((err = sockaddr_get(addr, len, s->domain, SA_BIND, &ep)) < 0)
		return err;
	if (!addr_is_local(st, &ep.addr, s->type))
		return -EADDRNOTAVAIL;
	if (!s->ops->bind)
		return -EOPNOTSUPP;
	return s->ops->bind(s, &ep);
}

int ts_bind(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int r = do_bind(st, fd, addr, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sockaddr_call(st, "bind", fd, addr, len, r);
	return ret_errno(r);
}

static int do_listen(struct stack *st, int fd, int backlog)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	if (!s)
		return err;
	if (!s->ops->listen)
		return -EOPNOTSUPP;
	/* listen(2): a negative or huge backlog is clamped (net.core.somaxconn 4096). */
	if (backlog < 0 || backlog > 4096)
		backlog = 4096;
	return s->ops->listen(s, backlog);
}

int ts_listen(struct stack *st, int fd, int backlog)
{
	int r = do_listen(st, fd, backlog);
	if (ts_tracing(st, TS_TRACE_API))
		trace_listen(st, fd, backlog, r);
	return ret_errno(r);
}

static int do_accept(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ts_sock *child = NULL;
	struct ip_endpoint peer = {0};
	int r;

	/* __sys_accept4 checks the flags before the descriptor. */
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (!s)
		return err;
	if (addr && (!len || (int)*len < 0))
		return len ? -EINVAL : -EFAULT;
	if (!s->ops->accept || s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	for (;;) {
		r = s->ops->accept(s, &child, &peer);
		if (r != -EAGAIN || s->nonblock)
			break;
		if ((r = sock_block(st)) < 0)
			return r;
	}
	if (r < 0)
		return r;
	child->nonblock = (flags & SOCK_NONBLOCK) != 0;
	int cfd = ts_fd_alloc(st, TS_FD_SOCK, child);
	if (cfd < 0) {
		/* Linux checks the descriptor first; we can only give the connection back. */
		if (child->ops->close)
			child->ops->close(child);
		ts_sock_free(child);
		return cfd;
	}
	child->fd = cfd;
	sockaddr_put(s->domain, &peer, addr, len);
	return cfd;
}

/* The accept4 trace: [112 => 16] shows the length in and out, as strace does. */
static int accept_common(struct stack *st, const char *name, int fd, struct sockaddr *addr,
			 socklen_t *len, int flags)
{
	socklen_t len_in = len ? *len : 0;
	int r = do_accept(st, fd, addr, len, flags);
	if (ts_tracing(st, TS_TRACE_API))
		trace_accept(st, fd, addr, len, len_in, strcmp(name, "accept4") == 0 ? flags : -1,
			     r);
	return ret_errno(r);
}

int ts_accept4(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accept_common(st, "accept4", fd, addr, len, flags);
}

int ts_accept(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept_common(st, "accept", fd, addr, len, 0);
}

static int do_connect(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ip_endpoint ep;
	int r;

	if (!s)
		return err;
	if (!addr)
		return -EFAULT;
	if (len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family == AF_UNSPEC && s->type == SOCK_DGRAM) {
		/* connect(2): AF_UNSPEC dissolves a datagram socket's association. */
		return s->ops->connect(s, NULL);
	}
	if ((r = sockaddr_get(addr, len, s->domain, SA_CONNECT, &ep)) < 0)
		return r;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	r = s->ops->connect(s, &ep);
	if (r != -EINPROGRESS || s->nonblock)
		return r;
	/* Blocking connect: wait for the handshake, then report SO_ERROR (read and clear). */
	for (;;) {
		uint32_t ev = s->ops->poll(s);
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			break;
		/* A virtual-clock stack cannot wait: the handshake stays in progress. */
		if ((r = sock_block(st)) < 0)
			return r == -EAGAIN ? -EINPROGRESS : r;
	}
	r = s->so_error;
	s->so_error = 0;
	if (r)
		return -r;
	/* __inet_stream_connect: closed without an error code is ECONNABORTED. */
	return (s->ops->poll(s) & EPOLLOUT) ? 0 : -ECONNABORTED;
}

int ts_connect(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int r = do_connect(st, fd, addr, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sockaddr_call(st, "connect", fd, addr, len, r);
	return ret_errno(r);
}

/*
 * Receive with blocking: retries the protocol until it stops saying
 * -EAGAIN (MSG_DONTWAIT or O_NONBLOCK: once).  A zero-length read returns
 * 0 instead of blocking.
 */
static ssize_t do_recv(struct stack *st, int fd, void *buf, size_t len, int flags,
		       struct ip_endpoint *from, struct ts_sock **sp)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	ssize_t r;

	*sp = s;
	if (!s)
		return err;
	if (!buf && len)
		return -EFAULT;
	for (;;) {
		r = s->ops->recvfrom(s, buf, len, flags, from);
		if (r != -EAGAIN || s->nonblock || (flags & MSG_DONTWAIT))
			return r;
		if (len == 0)
			return 0;
		int w = sock_block(st);
		if (w < 0)
			return w;
	}
}

/*
 * Send with blocking: a blocking stream socket sends everything (send(2)),
 * waiting for window; a partial send is returned when an error or a signal
 * stops it after some bytes went out.
 */
static ssize_t do_send(struct stack *st, int fd, const void *buf, size_t len, int flags,
		       const struct ip_endpoint *to)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	size_t done = 0;

	if (!s)
		return err;
	if (!buf && len)
		return -EFAULT;
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	flags &= ~(MSG_DONTWAIT | MSG_NOSIGNAL); /* we never raise SIGPIPE */
	for (;;) {
		ssize_t r = s->ops->sendto(s, (const uint8_t *)buf + done, len - done, flags, to);
		if (r > 0 || (r == 0 && done == len)) {
			done += (size_t)r;
			if (done == len || s->type != SOCK_STREAM || nonblock)
				return (ssize_t)done;
			continue;
		}
		if (r == 0)
			r = -EAGAIN; /* no room for a single byte: same as EAGAIN */
		if (r != -EAGAIN || nonblock)
			return done ? (ssize_t)done : r;
		int w = sock_block(st);
		if (w < 0)
			return done ? (ssize_t)done : w;
	}
}

ssize_t ts_read(struct stack *st, int fd, void *buf, size_t len)
{
	struct ts_sock *s;
	ssize_t r = do_recv(st, fd, buf, len, 0, NULL, &s);
	if (ts_tracing(st, TS_TRACE_API))
		trace_read(st, fd, buf, len, r);
	return ret_errno_ssize(r);
}

ssize_t ts_write(struct stack *st, int fd, const void *buf, size_t len)
{
	ssize_t r = do_send(st, fd, buf, len, 0, NULL);
	if (ts_tracing(st, TS_TRACE_API))
		trace_write(st, fd, buf, len, r);
	return ret_errno_ssize(r);
}

ssize_t ts_recvfrom(struct stack *st, int fd, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen)
{
	struct ts_sock *s;
	struct ip_endpoint ep = {0};
	socklen_t len_in = fromlen ? *fromlen : 0;
	ssize_t r;

	if (from && (!fromlen || (int)*fromlen < 0))
		r = fromlen ? -EINVAL : -EFAULT;
	else
		r = do_recv(st, fd, buf, len, flags, &ep, &s);
	if (r >= 0 && from) {
		if (s->type == SOCK_DGRAM)
			sockaddr_put(s->domain, &ep, from, fromlen);
		else
			*fromlen = 0; /* tcp_recvmsg names no peer */
	}
	if (ts_tracing(st, TS_TRACE_API))
		trace_recvfrom(st, fd, buf, len, flags, from, fromlen, len_in, r);
	return ret_errno_ssize(r);
}

ssize_t ts_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	struct ip_endpoint ep;
	const struct ip_endpoint *dest = NULL;
	ssize_t r = 0;
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);

	/* udp_sendmsg checks the address; tcp_sendmsg ignores it. */
	if (to && s && s->type == SOCK_DGRAM) {
		r = sockaddr_get(to, tolen, s->domain, SA_SENDTO, &ep);
		if (r == 0 && ep.port == 0)
			r = -EINVAL;
		dest = &ep;
	}
	if (r == 0)
		r = do_send(st, fd, buf, len, flags, dest);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sendto(st, fd, buf, len, flags, to, tolen, r);
	return ret_errno_ssize(r);
}

static int do_shutdown(struct stack *st, int fd, int how)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	if (!s)
		return err;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return -EINVAL;
	if (!s->ops->shutdown)
		return -EOPNOTSUPP;
	return s->ops->shutdown(s, how);
}

int ts_shutdown(struct stack *st, int fd, int how)
{
	int r = do_shutdown(st, fd, how);
	if (ts_tracing(st, TS_TRACE_API))
		trace_shutdown(st, fd, how, r);
	return ret_errno(r);
}

int ts_close(struct stack *st, int fd)
{
	int r = fd_close(st, fd);
	if (ts_tracing(st, TS_TRACE_API))
		trace_close(st, fd, r);
	return ret_errno(r);
}

/* Reads an int option value (socket(7): at least sizeof(int), shorter is EINVAL). */
static int optval_int(const void *val, socklen_t len, int *out)
{
	if (!val)
		return -EFAULT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

/* SO_RCVBUF/SO_SNDBUF on set: clamp, then double (sock_setsockopt). */
static uint32_t bufsize_set(int v, uint32_t floor)
{
	uint32_t u = v < 0 ? 0 : (uint32_t)v;
	if (u > TS_SOCK_BUF_MAX)
		u = TS_SOCK_BUF_MAX;
	u *= 2;
	return u < floor ? floor : u;
}

static int do_setsockopt(struct stack *st, int fd, int level, int name, const void *val,
			 socklen_t len)
{
	int err = 0, v = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ts_sockopts *o;

	if (!s)
		return err;
	o = &s->opt;
	if (level == SOL_SOCKET) {
		if (name == SO_LINGER) {
			struct linger lg;
			if (!val)
				return -EFAULT;
			if (len < (socklen_t)sizeof(lg))
				return -EINVAL;
			memcpy(&lg, val, sizeof(lg));
			o->linger_on = lg.l_onoff != 0;
			o->linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
		} else {
			/* SO_ERROR and SO_TYPE are read-only: ENOPROTOOPT like any unknown name. */
			if (name != SO_REUSEADDR && name != SO_KEEPALIVE && name != SO_RCVBUF &&
			    name != SO_SNDBUF)
				return -ENOPROTOOPT;
			if ((err = optval_int(val, len, &v)) < 0)
				return err;
			if (name == SO_REUSEADDR)
				o->reuseaddr = v != 0;
			else if (name == SO_KEEPALIVE)
				o->keepalive = v != 0;
			else if (name == SO_RCVBUF)
				o->rcvbuf = bufsize_set(v, TS_SOCK_MIN_RCVBUF);
			else
				o->sndbuf = bufsize_set(v, TS_SOCK_MIN_SNDBUF);
		}
	} else if (level == IPPROTO_TCP && name == TCP_CONGESTION && s->type == SOCK_STREAM) {
		/* tcp(7): a name of up to TCP_CA_NAME_MAX (16) bytes, ENOENT when
		 * no such algorithm (do_tcp_setsockopt). */
		char cc[sizeof(o->congestion)];
		if (!val)
			return -EFAULT;
		if (len < 1)
			return -EINVAL;
		size_t n = len < (socklen_t)sizeof(cc) - 1 ? (size_t)len : sizeof(cc) - 1;
		memcpy(cc, val, n);
		cc[n] = '\0';
		if (!tcp_cc_find(cc))
			return -ENOENT;
		memcpy(o->congestion, cc, sizeof(cc));
	} else if (level == IPPROTO_TCP) {
		if (s->type != SOCK_STREAM)
			return -ENOPROTOOPT; /* udp_setsockopt passes it to IP, which knows none */
		if (name != TCP_NODELAY && name != TCP_KEEPIDLE && name != TCP_KEEPINTVL &&
		    name != TCP_KEEPCNT)
			return -ENOPROTOOPT;
		if ((err = optval_int(val, len, &v)) < 0)
			return err;
		/* tcp(7) ranges: MAX_TCP_KEEPIDLE/INTVL 32767 s, MAX_TCP_KEEPCNT 127. */
		switch (name) {
		case TCP_NODELAY:
			o->nodelay = v != 0;
			break;
		case TCP_KEEPIDLE:
			if (v < 1 || v > 32767)
				return -EINVAL;
			o->keepidle_s = (uint32_t)v;
			break;
		case TCP_KEEPINTVL:
			if (v < 1 || v > 32767)
				return -EINVAL;
			o->keepintvl_s = (uint32_t)v;
			break;
		default:
			if (v < 1 || v > 127)
				return -EINVAL;
			o->keepcnt = (uint32_t)v;
		}
	} else {
		return -ENOPROTOOPT;
	}
	if (s->ops->opt_changed)
		s->ops->opt_changed(s, level, name);
	return 0;
}

int ts_setsockopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
	int r = do_setsockopt(st, fd, level, name, val, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_setsockopt(st, fd, level, name, val, len, r);
	return ret_errno(r);
}

static int do_getsockopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	int err = 0, v;
	struct ts_sock *s = sock_get(st, fd, &err);
	const struct ts_sockopts *o;

	if (!s)
		return err;
	if (!len || !val)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	o = &s->opt;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_LINGER: {
			struct linger lg = {.l_onoff = o->linger_on, .l_linger = o->linger_s};
			socklen_t n = *len < sizeof(lg) ? *len : sizeof(lg);
			memcpy(val, &lg, n);
			*len = n;
			return 0;
		}
		case SO_REUSEADDR:
			v = o->reuseaddr;
			break;
		case SO_KEEPALIVE:
			v = o->keepalive;
			break;
		case SO_RCVBUF:
			v = (int)o->rcvbuf;
			break;
		case SO_SNDBUF:
			v = (int)o->sndbuf;
			break;
		case SO_ERROR:
			/* sock_error(): read and clear. */
			v = s->so_error;
			s->so_error = 0;
			break;
		case SO_TYPE:
			v = s->type;
			break;
		default:
			return -ENOPROTOOPT;
		}
	} else if (level == IPPROTO_TCP && s->type == SOCK_STREAM && name == TCP_CONGESTION) {
		/* The name, up to the caller's length (do_tcp_getsockopt). */
		const char *cc = o->congestion[0] ? o->congestion : st->cfg.tcp_congestion;
		char buf[16] = {0};
		snprintf(buf, sizeof(buf), "%s", cc);
		socklen_t n = *len < sizeof(buf) ? *len : sizeof(buf);
		memcpy(val, buf, n);
		*len = n;
		return 0;
	} else if (level == IPPROTO_TCP && s->type == SOCK_STREAM) {
		switch (name) {
		case TCP_NODELAY:
			v = o->nodelay;
			break;
		case TCP_KEEPIDLE:
			v = (int)o->keepidle_s;
			break;
		case TCP_KEEPINTVL:
			v = (int)o->keepintvl_s;
			break;
		case TCP_KEEPCNT:
			v = (int)o->keepcnt;
			break;
		default:
			return -ENOPROTOOPT;
		}
	} else {
		return -ENOPROTOOPT;
	}
	/* sock_getsockopt copies min(len, sizeof(int)) and reports that length. */
	socklen_t n = *len < sizeof(v) ? *len : sizeof(v);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

int ts_getsockopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	socklen_t len_in = len ? *len : 0;
	int r = do_getsockopt(st, fd, level, name, val, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_getsockopt(st, fd, level, name, val, len, len_in, r);
	return ret_errno(r);
}

static int do_getname(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ip_endpoint ep = {.addr = {.af = (uint8_t)(s ? s->domain : 0)}};

	if (!s)
		return err;
	if (!addr || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (s->ops->getname) {
		if ((err = s->ops->getname(s, peer, &ep)) < 0)
			return err;
	} else if (peer) {
		return -ENOTCONN;
	}
	return sockaddr_put(s->domain, &ep, addr, len);
}

static int getname_common(struct stack *st, const char *call, int fd, struct sockaddr *addr,
			  socklen_t *len, bool peer)
{
	socklen_t len_in = len ? *len : 0;
	int r = do_getname(st, fd, addr, len, peer);
	if (ts_tracing(st, TS_TRACE_API))
		trace_getname(st, call, fd, addr, len, len_in, r);
	return ret_errno(r);
}

int ts_getsockname(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname_common(st, "getsockname", fd, addr, len, false);
}

int ts_getpeername(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len)
{
	return getname_common(st, "getpeername", fd, addr, len, true);
}

int ts_set_nonblock(struct stack *st, int fd, int on)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	int r = err;
	if (s) {
		s->nonblock = on != 0;
		r = 0;
	}
	if (ts_tracing(st, TS_TRACE_API))
		trace_fcntl_setfl(st, fd, on, r);
	return ret_errno(r);
}

/* ---- epoll: the checks and semantics live in epoll.c ---- */

int ts_epoll_create1(struct stack *st, int flags)
{
	int r = (flags & ~EPOLL_CLOEXEC) ? -EINVAL : ts_ep_create(st);
	if (ts_tracing(st, TS_TRACE_API))
		trace_epoll_create1(st, flags, r);
	return ret_errno(r);
}

int ts_epoll_create(struct stack *st, int size)
{
	int r = size <= 0 ? -EINVAL : ts_ep_create(st); /* epoll_create(2): size is a hint > 0 */
	if (ts_tracing(st, TS_TRACE_API))
		trace_epoll_create(st, size, r);
	return ret_errno(r);
}

int ts_epoll_ctl(struct stack *st, int epfd, int op, int fd, struct epoll_event *ev)
{
	int r = ts_ep_ctl(st, epfd, op, fd, ev);
	if (ts_tracing(st, TS_TRACE_API))
		trace_epoll_ctl(st, epfd, op, fd, ev, r);
	return ret_errno(r);
}

int ts_epoll_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
		  int timeout_ms)
{
	int r = ts_ep_wait(st, epfd, events, maxevents, timeout_ms);
	if (ts_tracing(st, TS_TRACE_API))
		trace_epoll_wait(st, epfd, events, maxevents, timeout_ms, r);
	return ret_errno(r);
}
