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
 * Every receive call (read, recv, recvfrom, readv, recvmsg) goes through
 * do_recvmsg and every send call through do_sendmsg, on a struct ts_iov
 * describing the caller's buffers; they differ only in their argument
 * checks and trace lines.
 *
 * Read before editing: socket(2), bind(2), connect(2), accept(2),
 * recv(2), send(2), readv(2), shutdown(2), fcntl(2), ioctl_list(2),
 * socket(7), ip(7), tcp(7), udp(7) (options and their errors), and strace's
 * output format for the trace lines.
 */
#include "socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "epoll.h"
#include "byteorder.h"
#include "ip_pmtu.h"
#include "ipv6.h"
#include "rd6.h"
#include "stack.h"
#include "socket_trace.h"
#include "tapstack.h"
#include "task.h"

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
/* UIO_MAXIOV: vectors one readv/writev/recvmsg/sendmsg may carry. */
#define TS_IOV_MAX 1024
/* MAX_RW_COUNT: one call moves at most this many bytes (longer ones are cut). */
#define TS_RW_MAX ((size_t)INT_MAX & ~(size_t)4095)

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
	t->v[fd] = (struct ts_fd_entry){.kind = kind, .obj = obj};
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
	t->v[fd] = (struct ts_fd_entry){.kind = TS_FD_FREE};
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
	s->opt.rcvlowat = 1;
	s->opt.ttl = -1;
	s->opt.hops = -1;
	s->opt.pmtudisc = IP_PMTUDISC_WANT;    /* Linux inet_create (ip_no_pmtu_disc 0) */
	s->opt.pmtudisc6 = IPV6_PMTUDISC_WANT; /* inet6_create */
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

/* ---- the data of a call ---- */

size_t ts_iov_put(const struct ts_iov *v, size_t off, const void *data, size_t n)
{
	const uint8_t *src = data;
	size_t done = 0, skip = v->skip + off;
	for (size_t i = 0; i < v->iovcnt && done < n; i++) {
		size_t have = v->iov[i].iov_len;
		if (skip >= have) {
			skip -= have;
			continue;
		}
		size_t k = have - skip < n - done ? have - skip : n - done;
		memcpy((uint8_t *)v->iov[i].iov_base + skip, src + done, k);
		done += k;
		skip = 0;
	}
	return done;
}

size_t ts_iov_get(const struct ts_iov *v, size_t off, void *out, size_t n)
{
	uint8_t *dst = out;
	size_t done = 0, skip = v->skip + off;
	for (size_t i = 0; i < v->iovcnt && done < n; i++) {
		size_t have = v->iov[i].iov_len;
		if (skip >= have) {
			skip -= have;
			continue;
		}
		size_t k = have - skip < n - done ? have - skip : n - done;
		memcpy(dst + done, (const uint8_t *)v->iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

void ts_iov_advance(struct ts_iov *v, size_t n)
{
	v->len -= n;
	n += v->skip;
	while (v->iovcnt && n >= v->iov[0].iov_len) {
		n -= v->iov[0].iov_len;
		v->iov++;
		v->iovcnt--;
	}
	v->skip = v->iovcnt ? n : 0;
}

/*
 * Checks iovcnt vectors as the kernel's import_iovec does and fills v:
 * -EINVAL for a negative total or one beyond ssize_t, -EFAULT for a
 * missing array or a NULL base with a length (Linux finds that when it
 * copies; here before, so nothing is half done).  The total is cut at
 * TS_RW_MAX, as Linux cuts it at MAX_RW_COUNT.
 */
static int iov_import(const struct iovec *iov, size_t iovcnt, bool null_ok, struct ts_iov *v)
{
	size_t total = 0;
	if (iovcnt && !iov)
		return -EFAULT;
	for (size_t i = 0; i < iovcnt; i++) {
		if ((ssize_t)iov[i].iov_len < 0)
			return -EINVAL;
		if (!iov[i].iov_base && iov[i].iov_len && !null_ok)
			return -EFAULT;
		total += iov[i].iov_len;
		if ((ssize_t)total < 0)
			return -EINVAL;
	}
	*v = (struct ts_iov){.iov = iov, .iovcnt = iovcnt, .len = total};
	if (v->len > TS_RW_MAX)
		v->len = TS_RW_MAX;
	return 0;
}

/*
 * Waits through a SO_LINGER close (socket(7)): until the protocol says the
 * FIN is acknowledged or linger_s seconds passed on stack_clock.  Linux's
 * inet_release lingers whatever O_NONBLOCK says (BSD returns EWOULDBLOCK
 * instead), and close returns 0 either way; so do we.
 */
static void sock_linger(struct stack *st, struct ts_sock *s)
{
	if (!s->opt.linger_on || s->opt.linger_s <= 0 || !s->ops->linger)
		return;
	uint64_t until = stack_clock(st) + (uint64_t)s->opt.linger_s * 1000000u;
	while (s->ops->linger(s))
		if (stack_block(st, until) < 0)
			break; /* the time passed, a signal, or nothing can change */
}

/*
 * Closes descriptor fd of either kind; linger: wait as SO_LINGER asks
 * (ts_close, not the teardown: Linux never lingers on exit either).
 * Returns 0 or -EBADF.
 */
static int fd_close(struct stack *st, int fd, bool linger)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	struct ts_epoll *ep = ts_fd_get(st, fd, TS_FD_EPOLL);

	if (s) {
		ts_fd_release(st, fd);
		ts_ep_forget_sock(s);
		task_sock_close(s); /* tasks parked on s: EBADF (Go's pollDesc.evict) */
		if (linger)
			sock_linger(st, s);
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
			fd_close(st, fd, false);
	for (int fd = 0; fd < t->cap; fd++)
		if (t->v[fd].kind == TS_FD_SOCK)
			fd_close(st, fd, false);
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

/* Where an address argument comes from: each call accepts a little more or less. */
enum sa_use {
	SA_BIND,    /* inet_bind: AF_UNSPEC only for the wildcard */
	SA_CONNECT, /* inet_stream_connect / ip4_datagram_connect */
	SA_SENDTO,  /* udp_sendmsg: AF_UNSPEC is taken as AF_INET */
};

/* A sockaddr_in's address and port. */
static int sockaddr_get_in(const struct sockaddr *addr, socklen_t len, enum sa_use use,
			   struct ip_endpoint *ep)
{
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

/* The first 24 octets of a sockaddr_in6, all a call needs (RFC 2133's size, Linux
 * SIN6_LEN_RFC2133). */
#define SIN6_LEN_RFC2133 24

/*
 * A sockaddr for an AF_INET6 socket (Linux inet6_bind, tcp_v6_connect,
 * ip6_datagram_connect, udpv6_sendmsg).  A v4-mapped address
 * (::ffff:a.b.c.d) names IPv4 and comes out as an AF_INET address; with
 * IPV6_V6ONLY it is refused (EINVAL for bind, ENETUNREACH otherwise).  A
 * datagram socket may also connect or send to a plain sockaddr_in.  The
 * scope id of a link-local address is not checked: the stack has one link.
 */
static int sockaddr_get_in6(const struct ts_sock *s, const struct sockaddr *addr, socklen_t len,
			    enum sa_use use, struct ip_endpoint *ep)
{
	if (s->type == SOCK_DGRAM && use != SA_BIND && (int)len >= (int)sizeof(sa_family_t) &&
	    addr->sa_family == AF_INET) {
		if (s->opt.v6only)
			return use == SA_SENDTO ? -ENETUNREACH : -EAFNOSUPPORT;
		return sockaddr_get_in(addr, len, use, ep);
	}
	if ((int)len < SIN6_LEN_RFC2133)
		return -EINVAL;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)addr;
	if (sin6->sin6_family != AF_INET6)
		return use == SA_SENDTO ? -EINVAL : -EAFNOSUPPORT;
	ep->port = ntohs(sin6->sin6_port);
	const uint8_t *a = sin6->sin6_addr.s6_addr;
	if (ip_v6_is_v4mapped(a)) {
		if (s->opt.v6only)
			return use == SA_BIND ? -EINVAL : -ENETUNREACH;
		ep->addr = ip_addr_v4(get_be32(a + 12));
		return 0;
	}
	ep->addr = ip_addr_v6(a);
	return 0;
}

/*
 * The one parser of address arguments: checks addr as the kernel checks
 * a sockaddr for a socket s, and fills ep.  Returns 0 or -errno (EFAULT,
 * EINVAL for a short length, EAFNOSUPPORT, ENETUNREACH).
 */
static int sockaddr_get(const struct ts_sock *s, const struct sockaddr *addr, socklen_t len,
			enum sa_use use, struct ip_endpoint *ep)
{
	if (!addr)
		return -EFAULT;
	if (s->domain == AF_INET6)
		return sockaddr_get_in6(s, addr, len, use, ep);
	return sockaddr_get_in(addr, len, use, ep);
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
	struct sockaddr_in6 sin6 = {0};
	const void *sa = &sin;
	socklen_t n = sizeof(sin);

	if (!addr)
		return 0;
	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (domain == AF_INET6) {
		/* An IPv4 peer of an AF_INET6 socket is v4-mapped (RFC 4291
		 * §2.5.5.2; Linux ipv6_addr_set_v4mapped); the dual-stack
		 * wildcard is `::`.  A link-local address is scoped to our one
		 * link, index TS_LINK_INDEX. */
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons(ep->port);
		if (ep->addr.af == AF_INET)
			ip_v4mapped(ep->addr.v4, sin6.sin6_addr.s6_addr);
		else if (ep->addr.af == AF_INET6)
			memcpy(sin6.sin6_addr.s6_addr, ep->addr.v6, 16);
		if (ep->addr.af == AF_INET6 && ipv6_is_link_local(ep->addr.v6))
			sin6.sin6_scope_id = TS_LINK_INDEX;
		sa = &sin6;
		n = sizeof(sin6);
	} else {
		sin.sin_family = AF_INET;
		sin.sin_port = htons(ep->port);
		sin.sin_addr.s_addr = htonl(ep->addr.v4);
	}
	memcpy(addr, sa, *len < n ? *len : n);
	*len = n;
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
	if (domain != AF_INET && domain != AF_INET6)
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
	st->fds.v[fd].cloexec = (type & SOCK_CLOEXEC) != 0;
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
	if ((err = sockaddr_get(s, addr, len, SA_BIND, &ep)) < 0)
		return err;
	if (!addr_is_local(st, &ep.addr, s->type))
		return -EADDRNOTAVAIL;
	/* `::`: both families unless IPV6_V6ONLY (ipv6(7)). */
	if (ep.addr.af == AF_INET6 && ip_addr_is_any(&ep.addr))
		ep.addr = ts_sock_wildcard(s);
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
	if ((r = task_deadline_check(s, TASK_WAIT_READ)) < 0)
		return r;
	for (;;) {
		r = s->ops->accept(s, &child, &peer);
		if (r != -EAGAIN || s->nonblock)
			break;
		if ((r = task_sock_wait(st, s, TASK_WAIT_READ, "accept")) < 0)
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
	st->fds.v[cfd].cloexec = (flags & SOCK_CLOEXEC) != 0;
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
	if (addr->sa_family == AF_UNSPEC) {
		/* connect(2): AF_UNSPEC dissolves a datagram socket's association,
		 * and disconnects a stream socket (Linux tcp_disconnect). */
		return s->ops->connect(s, NULL);
	}
	if ((r = sockaddr_get(s, addr, len, SA_CONNECT, &ep)) < 0)
		return r;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	if ((r = task_deadline_check(s, TASK_WAIT_WRITE)) < 0)
		return r;
	r = s->ops->connect(s, &ep);
	if (r != -EINPROGRESS || s->nonblock)
		return r;
	/* Blocking connect: wait for the handshake, then report SO_ERROR (read and clear). */
	for (;;) {
		uint32_t ev = s->ops->poll(s);
		if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			break;
		r = task_sock_wait(st, s, TASK_WAIT_WRITE, "connect");
		if (r == -EINTR || r == -EBADF)
			return r; /* Linux: the handshake goes on in the background */
		if (r < 0) {
			/*
			 * Nothing can complete the handshake (a virtual clock
			 * nobody moves), or the deadline passed: give it up,
			 * as a connect timeout does, so that the socket can
			 * try again.  Never EINPROGRESS from a blocking socket.
			 */
			s->ops->connect(s, NULL);
			s->so_error = 0; /* no reset to report: the attempt timed out */
			return -ETIMEDOUT;
		}
	}
	/* __inet_stream_connect after its wait: the protocol reports the
	 * outcome as to a second connect (0, or the error that ended it). */
	return s->ops->connect(s, &ep);
}

int ts_connect(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int r = do_connect(st, fd, addr, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sockaddr_call(st, "connect", fd, addr, len, r);
	return ret_errno(r);
}

/*
 * The receive side of every read call.  The protocol copies what it has
 * into v; a blocking socket waits (stack_block) for more until target
 * bytes arrived, as tcp_recvmsg does: on a stream, all of them with
 * MSG_WAITALL, else SO_RCVLOWAT (at most len); a datagram is one call.
 * End of stream, an error or a signal end the wait with what was read;
 * MSG_DONTWAIT or O_NONBLOCK never wait.  A zero-length read returns 0.
 * Returns bytes (MSG_TRUNC on UDP: the datagram's length) or -errno.
 */
static ssize_t do_recvmsg(struct stack *st, struct ts_sock *s, const struct ts_iov *v, int flags,
			  struct ip_endpoint *from, int *msg_flags)
{
	bool stream = s->type == SOCK_STREAM;
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	bool peek = flags & MSG_PEEK;
	size_t target = 1;
	if (stream) {
		size_t lowat = (size_t)s->opt.rcvlowat;
		target = (flags & MSG_WAITALL) ? v->len : lowat < v->len ? lowat : v->len;
	}
	int pflags = flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB);
	struct ts_iov w = *v;
	size_t done = 0;

	*msg_flags = 0;
	ssize_t e = task_deadline_check(s, TASK_WAIT_READ);
	if (e < 0)
		return e;
	for (;;) {
		/* tcp_recvmsg reports a pending error only before the first byte:
		 * after some, return them and leave the error for the next call. */
		if (done && stream && !peek && (s->ops->poll(s) & EPOLLERR))
			return (ssize_t)done;
		ssize_t r = s->ops->recvmsg(s, &w, pflags, from, msg_flags);
		if (r > 0) {
			if (!stream)
				return r;
			if (peek) {
				done = (size_t)r; /* a peek starts from the first byte again */
			} else {
				done += (size_t)r;
				ts_iov_advance(&w, (size_t)r < w.len ? (size_t)r : w.len);
			}
			if (done >= target || nonblock)
				return (ssize_t)done;
			/* A peek that cannot grow any more (end of stream) is complete. */
			if (peek && (s->ops->poll(s) & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
				return (ssize_t)done;
		} else if (r == 0) {
			return (ssize_t)done; /* end of stream, or len 0 */
		} else if (r != -EAGAIN || nonblock) {
			return done ? (ssize_t)done : r;
		} else if (v->len == 0) {
			return 0;
		}
		/* Closed meanwhile (by a task): s is gone, and what was read with it. */
		if ((e = task_sock_wait(st, s, TASK_WAIT_READ, "read")) == -EBADF)
			return e;
		if (e < 0)
			return done ? (ssize_t)done : e;
	}
}

/*
 * The send side of every write call: a blocking stream socket sends
 * everything (send(2)), waiting for room; a partial count is returned when
 * an error or a signal stops it after some bytes went.  A datagram is one
 * call.  MSG_NOSIGNAL is accepted and changes nothing: we never raise
 * SIGPIPE.  Returns bytes or -errno.
 */
static ssize_t do_sendmsg(struct stack *st, struct ts_sock *s, const struct ts_iov *v, int flags,
			  const struct ip_endpoint *to)
{
	bool nonblock = s->nonblock || (flags & MSG_DONTWAIT);
	struct ts_iov w = *v;
	size_t done = 0;

	/* Deviation from Linux: no urgent data (tcp(7) MSG_OOB); UDP refuses it too. */
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	flags &= ~(MSG_DONTWAIT | MSG_NOSIGNAL);
	ssize_t e = task_deadline_check(s, TASK_WAIT_WRITE);
	if (e < 0)
		return e;
	for (;;) {
		ssize_t r = s->ops->sendmsg(s, &w, flags, to);
		if (r > 0 || (r == 0 && w.len == 0)) {
			done += (size_t)r;
			ts_iov_advance(&w, (size_t)r < w.len ? (size_t)r : w.len);
			if (w.len == 0 || s->type != SOCK_STREAM || nonblock)
				return (ssize_t)done;
			continue;
		}
		if (r == 0)
			r = -EAGAIN; /* no room for a single byte: same as EAGAIN */
		if (r != -EAGAIN || nonblock)
			return done ? (ssize_t)done : r;
		if ((e = task_sock_wait(st, s, TASK_WAIT_WRITE, "write")) == -EBADF)
			return e;
		if (e < 0)
			return done ? (ssize_t)done : e;
	}
}

/* One buffer as the data of a call. */
static void iov_one(struct iovec *one, void *buf, size_t len, struct ts_iov *v)
{
	one->iov_base = buf;
	one->iov_len = len;
	*v = (struct ts_iov){.iov = one, .iovcnt = 1, .len = len > TS_RW_MAX ? TS_RW_MAX : len};
}

/*
 * read/recv/recvfrom: one buffer.  buf NULL with a length is EFAULT,
 * except for MSG_TRUNC on a stream, which discards without copying.
 */
static ssize_t recv_buf(struct stack *st, int fd, void *buf, size_t len, int flags,
			struct ip_endpoint *from, struct ts_sock **sp)
{
	int err = 0, msg_flags;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct iovec one;
	struct ts_iov v;

	*sp = s;
	if (!s)
		return err;
	if (!buf && len && !((flags & MSG_TRUNC) && s->type == SOCK_STREAM))
		return -EFAULT;
	iov_one(&one, buf, len, &v);
	return do_recvmsg(st, s, &v, flags, from, &msg_flags);
}

static ssize_t send_buf(struct stack *st, int fd, const void *buf, size_t len, int flags,
			const struct ip_endpoint *to)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct iovec one;
	struct ts_iov v;

	if (!s)
		return err;
	if (!buf && len)
		return -EFAULT;
	iov_one(&one, (void *)buf, len, &v);
	return do_sendmsg(st, s, &v, flags, to);
}

ssize_t ts_read(struct stack *st, int fd, void *buf, size_t len)
{
	struct ts_sock *s;
	int err = 0;
	/* sock_read_iter: nothing to read into is 0 at once, whatever the state. */
	ssize_t r =
	    len == 0 && sock_get(st, fd, &err) ? 0 : recv_buf(st, fd, buf, len, 0, NULL, &s);
	if (ts_tracing(st, TS_TRACE_API))
		trace_read(st, fd, buf, len, r);
	return ret_errno_ssize(r);
}

ssize_t ts_write(struct stack *st, int fd, const void *buf, size_t len)
{
	ssize_t r = send_buf(st, fd, buf, len, 0, NULL);
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
		r = recv_buf(st, fd, buf, len, flags, &ep, &s);
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

/* Parses a send's destination: udp_sendmsg checks it, tcp_sendmsg ignores it. */
static int send_dest(struct stack *st, int fd, const struct sockaddr *to, socklen_t tolen,
		     struct ip_endpoint *ep, const struct ip_endpoint **dest)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	int r = 0;
	*dest = NULL;
	/* udpv6_sendmsg: AF_UNSPEC is as if no address were given. */
	if (to && s && s->domain == AF_INET6 && tolen >= (socklen_t)sizeof(sa_family_t) &&
	    to->sa_family == AF_UNSPEC)
		to = NULL;
	if (to && s && s->type == SOCK_DGRAM) {
		r = sockaddr_get(s, to, tolen, SA_SENDTO, ep);
		if (r == 0 && ep->port == 0)
			r = -EINVAL;
		*dest = ep;
	}
	return r;
}

ssize_t ts_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	struct ip_endpoint ep;
	const struct ip_endpoint *dest;
	ssize_t r = send_dest(st, fd, to, tolen, &ep, &dest);
	if (r == 0)
		r = send_buf(st, fd, buf, len, flags, dest);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sendto(st, fd, buf, len, flags, to, tolen, r);
	return ret_errno_ssize(r);
}

ssize_t ts_recv(struct stack *st, int fd, void *buf, size_t len, int flags)
{
	struct ts_sock *s;
	ssize_t r = recv_buf(st, fd, buf, len, flags, NULL, &s);
	if (ts_tracing(st, TS_TRACE_API))
		trace_recvfrom(st, fd, buf, len, flags, NULL, NULL, 0, r); /* glibc: recvfrom */
	return ret_errno_ssize(r);
}

ssize_t ts_send(struct stack *st, int fd, const void *buf, size_t len, int flags)
{
	ssize_t r = send_buf(st, fd, buf, len, flags, NULL);
	if (ts_tracing(st, TS_TRACE_API))
		trace_sendto(st, fd, buf, len, flags, NULL, 0, r); /* glibc: sendto */
	return ret_errno_ssize(r);
}

/* readv/writev: the vector count must lie in 0..UIO_MAXIOV (EINVAL). */
static ssize_t rw_vec(struct stack *st, int fd, const struct iovec *iov, int iovcnt, bool write)
{
	int err = 0, msg_flags;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ts_iov v;

	if (!s)
		return err;
	if (iovcnt < 0 || iovcnt > TS_IOV_MAX)
		return -EINVAL;
	if ((err = iov_import(iov, (size_t)iovcnt, false, &v)) < 0)
		return err;
	if (write)
		return do_sendmsg(st, s, &v, 0, NULL);
	/* sock_read_iter: nothing to read into is 0 at once. */
	return v.len ? do_recvmsg(st, s, &v, 0, NULL, &msg_flags) : 0;
}

ssize_t ts_readv(struct stack *st, int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r = rw_vec(st, fd, iov, iovcnt, false);
	if (ts_tracing(st, TS_TRACE_API))
		trace_readv(st, "readv", fd, iov, iovcnt, r);
	return ret_errno_ssize(r);
}

ssize_t ts_writev(struct stack *st, int fd, const struct iovec *iov, int iovcnt)
{
	ssize_t r = rw_vec(st, fd, iov, iovcnt, true);
	if (ts_tracing(st, TS_TRACE_API))
		trace_readv(st, "writev", fd, iov, iovcnt, r);
	return ret_errno_ssize(r);
}

/* Checks a msghdr as ___sys_recvmsg/___sys_sendmsg do and imports its vectors. */
static int msg_import(const struct msghdr *msg, bool null_ok, struct ts_iov *v)
{
	if (!msg)
		return -EFAULT;
	if (msg->msg_iovlen > TS_IOV_MAX)
		return -EMSGSIZE; /* copy_msghdr_from_user */
	if ((int)msg->msg_namelen < 0)
		return -EINVAL;
	return iov_import(msg->msg_iov, msg->msg_iovlen, null_ok, v);
}

static ssize_t do_recvmsg_call(struct stack *st, int fd, struct msghdr *msg, int flags)
{
	int err = 0, msg_flags = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ip_endpoint ep = {0};
	struct ts_iov v;

	if (!s)
		return err;
	if ((err = msg_import(msg, (flags & MSG_TRUNC) && s->type == SOCK_STREAM, &v)) < 0)
		return err;
	ssize_t r = do_recvmsg(st, s, &v, flags, &ep, &msg_flags);
	if (r < 0)
		return r;
	/* A datagram names its sender; tcp_recvmsg names nobody (length 0).
	 * Without msg_name the length is left alone (___sys_recvmsg). */
	if (msg->msg_name && s->type == SOCK_DGRAM)
		sockaddr_put(s->domain, &ep, msg->msg_name, &msg->msg_namelen);
	else if (msg->msg_name)
		msg->msg_namelen = 0;
	msg->msg_controllen = 0; /* no control messages */
	msg->msg_flags = msg_flags;
	return r;
}

ssize_t ts_recvmsg(struct stack *st, int fd, struct msghdr *msg, int flags)
{
	socklen_t namelen_in = msg ? msg->msg_namelen : 0;
	ssize_t r = do_recvmsg_call(st, fd, msg, flags);
	if (ts_tracing(st, TS_TRACE_API))
		trace_msg(st, "recvmsg", fd, msg, namelen_in, flags, r);
	return ret_errno_ssize(r);
}

static ssize_t do_sendmsg_call(struct stack *st, int fd, const struct msghdr *msg, int flags)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ip_endpoint ep;
	const struct ip_endpoint *dest;
	struct ts_iov v;

	if (!s)
		return err;
	if ((err = msg_import(msg, false, &v)) < 0)
		return err;
	/* Deviation from Linux: no control messages (IP_TTL, IP_PKTINFO ... cmsgs). */
	if (msg->msg_controllen)
		return -EINVAL;
	if ((err = send_dest(st, fd, msg->msg_name, msg->msg_namelen, &ep, &dest)) < 0)
		return err;
	return do_sendmsg(st, s, &v, flags, dest);
}

ssize_t ts_sendmsg(struct stack *st, int fd, const struct msghdr *msg, int flags)
{
	ssize_t r = do_sendmsg_call(st, fd, msg, flags);
	if (ts_tracing(st, TS_TRACE_API))
		trace_msg(st, "sendmsg", fd, msg, msg ? msg->msg_namelen : 0, flags, r);
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
	int r = fd_close(st, fd, true);
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

/*
 * SO_RCVLOWAT (sock_setsockopt, tcp_set_rcvlowat): negative is INT_MAX, 0
 * is 1.  A stream caps it at half the buffer it may have (a lower mark
 * the buffer cannot reach would block reads for ever) and, unless
 * SO_RCVBUF fixed the buffer, grows the buffer to twice the mark.
 */
static void set_rcvlowat(struct stack *st, struct ts_sock *s, int v)
{
	struct ts_sockopts *o = &s->opt;
	if (v < 0)
		v = INT_MAX;
	if (v == 0)
		v = 1;
	if (s->type == SOCK_STREAM) {
		uint32_t max = o->rcvbuf;
		if (!o->rcvbuf_locked && st->cfg.tcp_rcvbuf_max > max)
			max = st->cfg.tcp_rcvbuf_max;
		if ((uint32_t)v > max / 2)
			v = (int)(max / 2);
		if (!o->rcvbuf_locked && 2u * (uint32_t)v > o->rcvbuf)
			o->rcvbuf = 2u * (uint32_t)v;
	}
	o->rcvlowat = v;
}

static int sol_socket_set(struct stack *st, struct ts_sock *s, int name, const void *val,
			  socklen_t len)
{
	struct ts_sockopts *o = &s->opt;
	int err, v = 0;

	if (name == SO_LINGER) {
		struct linger lg;
		if (!val)
			return -EFAULT;
		if (len < (socklen_t)sizeof(lg))
			return -EINVAL;
		memcpy(&lg, val, sizeof(lg));
		o->linger_on = lg.l_onoff != 0;
		o->linger_s = lg.l_linger < 0 ? 0 : lg.l_linger;
		return 0;
	}
	/* SO_ERROR and SO_TYPE are read-only: ENOPROTOOPT like any unknown name. */
	if (name != SO_REUSEADDR && name != SO_KEEPALIVE && name != SO_RCVBUF &&
	    name != SO_SNDBUF && name != SO_BROADCAST && name != SO_RCVLOWAT)
		return -ENOPROTOOPT;
	if ((err = optval_int(val, len, &v)) < 0)
		return err;
	switch (name) {
	case SO_REUSEADDR:
		o->reuseaddr = v != 0;
		break;
	case SO_KEEPALIVE:
		o->keepalive = v != 0;
		break;
	case SO_BROADCAST:
		o->broadcast = v != 0;
		break;
	case SO_RCVBUF:
		o->rcvbuf = bufsize_set(v, TS_SOCK_MIN_RCVBUF);
		o->rcvbuf_locked = true;
		break;
	case SO_SNDBUF:
		o->sndbuf = bufsize_set(v, TS_SOCK_MIN_SNDBUF);
		break;
	default:
		set_rcvlowat(st, s, v);
	}
	return 0;
}

/*
 * IP-level values (do_ip_setsockopt): an int, or a single byte when optlen
 * is shorter; nothing at all reads as 0.
 */
static int sol_ip_set(struct ts_sock *s, int name, const void *val, socklen_t len)
{
	int v = 0;
	if (name != IP_TOS && name != IP_TTL && name != IP_MTU_DISCOVER && name != IP_RECVERR)
		return -ENOPROTOOPT;
	if (len && !val)
		return -EFAULT;
	if (len >= (socklen_t)sizeof(int))
		memcpy(&v, val, sizeof(int));
	else if (len >= 1)
		v = *(const uint8_t *)val;
	if (name == IP_MTU_DISCOVER) {
		/* ip(7): IP_PMTUDISC_DONT..IP_PMTUDISC_OMIT. */
		if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
			return -EINVAL;
		s->opt.pmtudisc = (uint8_t)v;
		return 0;
	}
	if (name == IP_RECVERR) {
		s->opt.recverr = v != 0;
		return 0;
	}
	if (name == IP_TTL) {
		/* ip(7): 1..255, or -1 for the default. */
		if (len < 1 || (v != -1 && (v < 1 || v > 255)))
			return -EINVAL;
		s->opt.ttl = v;
		return 0;
	}
	/* __ip_sock_set_tos: a stream keeps the stack's own ECN bits (none here). */
	if (s->type == SOCK_STREAM)
		v = (v & ~0x3) | (s->opt.tos & 0x3);
	s->opt.tos = (uint8_t)v;
	return 0;
}

/* Whether s has a local port (bound, or connected): IPV6_V6ONLY is fixed then. */
static bool sock_has_port(struct ts_sock *s)
{
	struct ip_endpoint ep = {0};
	return s->ops->getname && s->ops->getname(s, false, &ep) == 0 && ep.port != 0;
}

/*
 * IPv6-level values (do_ipv6_setsockopt): an int, EINVAL when shorter.
 * Only an AF_INET6 socket has them (an AF_INET one: ENOPROTOOPT).
 */
static int sol_ipv6_set(struct ts_sock *s, int name, const void *val, socklen_t len)
{
	int v = 0;
	if (s->domain != AF_INET6)
		return -ENOPROTOOPT;
	if (name != IPV6_V6ONLY && name != IPV6_UNICAST_HOPS && name != IPV6_TCLASS &&
	    name != IPV6_MTU_DISCOVER && name != IPV6_RECVERR)
		return -ENOPROTOOPT;
	if (len && !val)
		return -EFAULT;
	if (len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(int));
	switch (name) {
	case IPV6_V6ONLY:
		if (sock_has_port(s))
			return -EINVAL; /* ipv6(7): before bind only */
		s->opt.v6only = v != 0;
		return 0;
	case IPV6_UNICAST_HOPS:
		if (v < -1 || v > 255)
			return -EINVAL;
		s->opt.hops = v;
		return 0;
	case IPV6_TCLASS:
		if (v < -1 || v > 255)
			return -EINVAL;
		if (v == -1)
			v = 0;
		/* A stream keeps the stack's own ECN bits, as with IP_TOS. */
		if (s->type == SOCK_STREAM)
			v = (v & ~0x3) | (s->opt.tclass & 0x3);
		s->opt.tclass = (uint8_t)v;
		return 0;
	case IPV6_MTU_DISCOVER:
		if (v < IPV6_PMTUDISC_DONT || v > IPV6_PMTUDISC_OMIT)
			return -EINVAL;
		s->opt.pmtudisc6 = (uint8_t)v;
		return 0;
	default:
		s->opt.recverr = v != 0; /* one flag for both families' errors */
		return 0;
	}
}

static int sol_tcp_set(struct ts_sock *s, int name, const void *val, socklen_t len)
{
	struct ts_sockopts *o = &s->opt;
	int err, v = 0;

	if (name != TCP_NODELAY && name != TCP_KEEPIDLE && name != TCP_KEEPINTVL &&
	    name != TCP_KEEPCNT)
		return s->ops->setsockopt ? s->ops->setsockopt(s, IPPROTO_TCP, name, val, len)
					  : -ENOPROTOOPT;
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
	return 0;
}

static int do_setsockopt(struct stack *st, int fd, int level, int name, const void *val,
			 socklen_t len)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);

	if (!s)
		return err;
	if (level == SOL_SOCKET)
		err = sol_socket_set(st, s, name, val, len);
	else if (level == IPPROTO_IP)
		err = sol_ip_set(s, name, val, len);
	else if (level == IPPROTO_IPV6)
		err = sol_ipv6_set(s, name, val, len);
	else if (level == IPPROTO_TCP && s->type == SOCK_STREAM)
		err = sol_tcp_set(s, name, val, len);
	else
		err = -ENOPROTOOPT; /* udp_setsockopt passes other levels to IP, which knows none */
	if (err == 0 && s->ops->opt_changed)
		s->ops->opt_changed(s, level, name);
	return err;
}

int ts_setsockopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len)
{
	int r = do_setsockopt(st, fd, level, name, val, len);
	if (ts_tracing(st, TS_TRACE_API))
		trace_setsockopt(st, fd, level, name, val, len, r);
	return ret_errno(r);
}

/* An int option out: sock_getsockopt copies min(len, sizeof(int)) and reports that length. */
static int optout_int(int v, void *val, socklen_t *len)
{
	socklen_t n = *len < sizeof(v) ? *len : sizeof(v);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static int sol_socket_get(struct ts_sock *s, int name, void *val, socklen_t *len)
{
	const struct ts_sockopts *o = &s->opt;
	int v;

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
	case SO_BROADCAST:
		v = o->broadcast;
		break;
	case SO_RCVBUF:
		v = (int)o->rcvbuf;
		break;
	case SO_SNDBUF:
		v = (int)o->sndbuf;
		break;
	case SO_RCVLOWAT:
		v = o->rcvlowat;
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
	return optout_int(v, val, len);
}

static int sol_ip_get(struct stack *st, struct ts_sock *s, int name, void *val, socklen_t *len)
{
	int v;
	struct ip_endpoint peer = {0};
	if (name == IP_TOS) {
		v = s->opt.tos;
	} else if (name == IP_TTL) {
		v = s->opt.ttl < 0 ? st->cfg.ttl : s->opt.ttl;
	} else if (name == IP_MTU_DISCOVER) {
		v = s->opt.pmtudisc;
	} else if (name == IP_RECVERR) {
		v = s->opt.recverr;
	} else if (name == IP_MTU) {
		/* do_ip_getsockopt: the path MTU of a connected socket's route. */
		if (!s->ops->getname || s->ops->getname(s, true, &peer) < 0)
			return -ENOTCONN;
		v = (int)ip_pmtu_get(st, &peer.addr, NULL);
	} else {
		return -ENOPROTOOPT;
	}
	/* do_ip_getsockopt: a buffer shorter than an int gets one byte. */
	if (*len > 0 && *len < (socklen_t)sizeof(int)) {
		*(uint8_t *)val = (uint8_t)v;
		*len = 1;
		return 0;
	}
	return optout_int(v, val, len);
}

static int sol_ipv6_get(struct stack *st, struct ts_sock *s, int name, void *val, socklen_t *len)
{
	int v;
	struct ip_endpoint peer = {0};
	if (s->domain != AF_INET6)
		return -ENOPROTOOPT;
	switch (name) {
	case IPV6_V6ONLY:
		v = s->opt.v6only;
		break;
	case IPV6_UNICAST_HOPS:
		v = s->opt.hops < 0 ? rd6_hop_limit(st)
				    : s->opt.hops; /* a router's Cur Hop Limit */
		break;
	case IPV6_TCLASS:
		v = s->opt.tclass;
		break;
	case IPV6_MTU_DISCOVER:
		v = s->opt.pmtudisc6;
		break;
	case IPV6_RECVERR:
		v = s->opt.recverr;
		break;
	case IPV6_MTU:
		/* do_ipv6_getsockopt: the path MTU toward a connected peer. */
		if (!s->ops->getname || s->ops->getname(s, true, &peer) < 0)
			return -ENOTCONN;
		v = (int)ip_pmtu_get(st, &peer.addr, NULL);
		break;
	default:
		return -ENOPROTOOPT;
	}
	/* do_ipv6_getsockopt: an int always; a shorter buffer is EINVAL. */
	if (*len < (socklen_t)sizeof(int))
		return -EINVAL;
	return optout_int(v, val, len);
}

static int sol_tcp_get(struct ts_sock *s, int name, void *val, socklen_t *len)
{
	const struct ts_sockopts *o = &s->opt;
	int v;

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
		return s->ops->getsockopt ? s->ops->getsockopt(s, IPPROTO_TCP, name, val, len)
					  : -ENOPROTOOPT;
	}
	return optout_int(v, val, len);
}

static int do_getsockopt(struct stack *st, int fd, int level, int name, void *val, socklen_t *len)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);

	if (!s)
		return err;
	if (!len || !val)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (level == SOL_SOCKET)
		return sol_socket_get(s, name, val, len);
	if (level == IPPROTO_IP)
		return sol_ip_get(st, s, name, val, len);
	if (level == IPPROTO_IPV6)
		return sol_ipv6_get(st, s, name, val, len);
	if (level == IPPROTO_TCP && s->type == SOCK_STREAM)
		return sol_tcp_get(s, name, val, len);
	return -ENOPROTOOPT;
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

/* The status flags fcntl(F_SETFL) changes (Linux SETFL_MASK; O_NDELAY is O_NONBLOCK). */
#define TS_SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

/*
 * fcntl(2) on either kind of descriptor.  O_NONBLOCK of a socket lives in
 * the socket (every call reads it); the other status flags and FD_CLOEXEC
 * in the descriptor, only to be reported back: no SIGIO is ever sent and
 * nothing here execs.
 */
static int do_fcntl(struct stack *st, int fd, int cmd, int arg)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	if (!s && !ts_fd_get(st, fd, TS_FD_EPOLL))
		return -EBADF;
	struct ts_fd_entry *e = &st->fds.v[fd];
	switch (cmd) {
	case F_GETFL:
		/* A socket is open O_RDWR. */
		return O_RDWR | e->status | (s && s->nonblock ? O_NONBLOCK : 0);
	case F_SETFL:
		/* setfl: O_DIRECT needs direct I/O, which neither kind has. */
		if (arg & O_DIRECT)
			return -EINVAL;
		e->status = arg & TS_SETFL_MASK & ~(s ? O_NONBLOCK : 0);
		if (s)
			s->nonblock = (arg & O_NONBLOCK) != 0;
		return 0;
	case F_GETFD:
		return e->cloexec ? FD_CLOEXEC : 0;
	case F_SETFD:
		e->cloexec = (arg & FD_CLOEXEC) != 0;
		return 0;
	default:
		/* Deviation from Linux: no F_DUPFD, locks or leases on these descriptors. */
		return -EINVAL;
	}
}

/* Whether cmd takes an int third argument (the others take none here). */
static bool fcntl_has_arg(int cmd)
{
	return cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC;
}

int ts_fcntl(struct stack *st, int fd, int cmd, ...)
{
	int arg = 0;
	if (fcntl_has_arg(cmd)) {
		va_list ap;
		va_start(ap, cmd);
		arg = va_arg(ap, int);
		va_end(ap);
	}
	int r = do_fcntl(st, fd, cmd, arg);
	if (ts_tracing(st, TS_TRACE_API))
		trace_fcntl(st, fd, cmd, fcntl_has_arg(cmd), arg, r);
	return ret_errno(r);
}

int ts_set_nonblock(struct stack *st, int fd, int on)
{
	int fl = do_fcntl(st, fd, F_GETFL, 0);
	if (fl < 0) {
		/* Report the failure as the F_GETFL a program would have made. */
		if (ts_tracing(st, TS_TRACE_API))
			trace_fcntl(st, fd, F_GETFL, false, 0, fl);
		return ret_errno(fl);
	}
	return ts_fcntl(st, fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/*
 * ioctl(2): FIONBIO for either kind; the queue sizes through the
 * protocol.  The answer is computed before the pointer is used, so a
 * listener is EINVAL even with a NULL argument, as in tcp_ioctl.
 */
static int do_ioctl(struct stack *st, int fd, unsigned long request, int *arg)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	if (!s && !ts_fd_get(st, fd, TS_FD_EPOLL))
		return -EBADF;
	if (request == FIONBIO) {
		/* ioctl_fionbio: any descriptor. */
		if (!arg)
			return -EFAULT;
		if (s)
			s->nonblock = *arg != 0;
		else if (*arg)
			st->fds.v[fd].status |= O_NONBLOCK;
		else
			st->fds.v[fd].status &= ~O_NONBLOCK;
		return 0;
	}
	if (!s)
		return -EINVAL; /* ep_eventpoll_ioctl (Linux 6.9 on): any other request */
	if (!s->ops->ioctl)
		return -ENOTTY;
	int v = 0, r = s->ops->ioctl(s, request, &v);
	if (r < 0)
		return r;
	if (!arg)
		return -EFAULT;
	*arg = v;
	return 0;
}

int ts_ioctl(struct stack *st, int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	int *arg = va_arg(ap, int *);
	va_end(ap);
	int arg_in = arg && request == FIONBIO ? *arg : 0;
	int r = do_ioctl(st, fd, request, arg);
	if (ts_tracing(st, TS_TRACE_API))
		trace_ioctl(st, fd, request, arg, arg_in, r);
	return ret_errno(r);
}

/* ---- poll and epoll: the checks and semantics live in epoll.c ---- */

int ts_poll(struct stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	int r = ts_ep_poll_fds(st, fds, nfds, timeout_ms);
	if (ts_tracing(st, TS_TRACE_API))
		trace_poll(st, fds, nfds, timeout_ms, r);
	return ret_errno(r);
}

int ts_epoll_create1(struct stack *st, int flags)
{
	int r = (flags & ~EPOLL_CLOEXEC) ? -EINVAL : ts_ep_create(st);
	if (r >= 0)
		st->fds.v[r].cloexec = (flags & EPOLL_CLOEXEC) != 0;
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
