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
#include "strbuf.h"
#include "tapstack.h"

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
/* strace's default -s: strings in trace lines are cut after 32 bytes. */
#define TS_TRACE_STRSIZE 32

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

struct ts_sock *ts_sock_new(struct stack *st, int type, const struct ts_sock_ops *ops)
{
	struct ts_sock *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->st = st;
	s->ops = ops;
	s->fd = -1;
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

/* ---- --trace api: strace-style formatting ---- */

struct tline {
	char buf[1024];
	size_t len;
};

static void tl_add(struct tline *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tl_add(struct tline *l, const char *fmt, ...)
{
	struct ts_strbuf sb = {l->buf, sizeof(l->buf), l->len};
	va_list ap;
	va_start(ap, fmt);
	ts_strbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	l->len = sb.len;
}

/* A string as strace prints it: escaped, cut at 32 bytes, "..." after the quote when cut. */
static void tl_str(struct tline *l, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t shown = len < TS_TRACE_STRSIZE ? len : TS_TRACE_STRSIZE;

	tl_add(l, "\"");
	for (size_t i = 0; i < shown; i++) {
		uint8_t c = p[i];
		/* strace's escapes: quote, backslash and the C control characters. */
		static const char raw[] = "\"\\\n\r\t\f\v", shown_as[] = "\"\\nrtfv";
		const char *esc = c ? strchr(raw, c) : NULL;
		if (esc)
			tl_add(l, "\\%c", shown_as[esc - raw]);
		else if (c >= 0x20 && c < 0x7f)
			tl_add(l, "%c", c);
		else if (i + 1 < shown && p[i + 1] >= '0' && p[i + 1] <= '7')
			tl_add(l, "\\%03o", c); /* a digit follows: keep the escape unambiguous */
		else
			tl_add(l, "\\%o", c);
	}
	tl_add(l, "\"%s", len > shown ? "..." : "");
}

static void tl_sockaddr(struct tline *l, const struct sockaddr *sa, socklen_t len)
{
	if (!sa) {
		tl_add(l, "NULL");
		return;
	}
	if (len < (socklen_t)sizeof(sa_family_t)) {
		tl_add(l, "%p", (const void *)sa);
		return;
	}
	if (sa->sa_family != AF_INET || len < (socklen_t)sizeof(struct sockaddr_in)) {
		tl_add(l, "{sa_family=%s}",
		       sa->sa_family == AF_INET	    ? "AF_INET"
		       : sa->sa_family == AF_INET6  ? "AF_INET6"
		       : sa->sa_family == AF_UNSPEC ? "AF_UNSPEC"
						    : "AF_???");
		return;
	}
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
	tl_add(l, "{sa_family=AF_INET, sin_port=htons(%u), sin_addr=inet_addr(\"%s\")}",
	       ntohs(sin->sin_port), ip);
}

/* " = 3" or " = -1 EAGAIN (Resource temporarily unavailable)", then emits the line. */
static void tl_end(struct stack *st, struct tline *l, long ret)
{
	if (ret >= 0)
		tl_add(l, ") = %ld\n", ret);
	else {
		const char *name = strerrorname_np((int)-ret);
		const char *desc = strerrordesc_np((int)-ret);
		tl_add(l, ") = -1 %s (%s)\n", name ? name : "E???", desc ? desc : "?");
	}
	ts_trace(st, TS_TRACE_API, "%s", l->buf);
}

static const char *sockflag_names(int flags, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s", (flags & SOCK_CLOEXEC) ? "|SOCK_CLOEXEC" : "",
		 (flags & SOCK_NONBLOCK) ? "|SOCK_NONBLOCK" : "",
		 (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) ? "|0x?" : "");
	return out;
}

/* send/recv flags as strace spells them: 0, MSG_PEEK, MSG_DONTWAIT|MSG_NOSIGNAL, ... */
static void tl_msgflags(struct tline *l, int flags)
{
	static const struct {
		int bit;
		const char *name;
	} names[] = {{MSG_PEEK, "MSG_PEEK"},
		     {MSG_TRUNC, "MSG_TRUNC"},
		     {MSG_DONTWAIT, "MSG_DONTWAIT"},
		     {MSG_WAITALL, "MSG_WAITALL"},
		     {MSG_NOSIGNAL, "MSG_NOSIGNAL"}};
	bool first = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit) {
			tl_add(l, "%s%s", first ? "" : "|", names[i].name);
			first = false;
			flags &= ~names[i].bit;
		}
	if (flags || first)
		tl_add(l, "%s%#x", first ? "" : "|", (unsigned)flags);
}

static void tl_epoll_events(struct tline *l, uint32_t ev)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
	    {EPOLLIN, "EPOLLIN"},	    {EPOLLPRI, "EPOLLPRI"},
	    {EPOLLOUT, "EPOLLOUT"},	    {EPOLLERR, "EPOLLERR"},
	    {EPOLLHUP, "EPOLLHUP"},	    {EPOLLRDNORM, "EPOLLRDNORM"},
	    {EPOLLRDBAND, "EPOLLRDBAND"},   {EPOLLWRNORM, "EPOLLWRNORM"},
	    {EPOLLWRBAND, "EPOLLWRBAND"},   {EPOLLMSG, "EPOLLMSG"},
	    {EPOLLRDHUP, "EPOLLRDHUP"},	    {EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"},
	    {EPOLLWAKEUP, "EPOLLWAKEUP"},   {EPOLLONESHOT, "EPOLLONESHOT"},
	    {(uint32_t)EPOLLET, "EPOLLET"},
	};
	bool first = true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (ev & names[i].bit) {
			tl_add(l, "%s%s", first ? "" : "|", names[i].name);
			first = false;
			ev &= ~names[i].bit;
		}
	if (ev || first)
		tl_add(l, "%s%#x", first ? "" : "|", ev);
}

static void tl_epoll_event(struct tline *l, const struct epoll_event *e)
{
	tl_add(l, "{events=");
	tl_epoll_events(l, e->events);
	tl_add(l, ", data={u32=%u, u64=%llu}}", e->data.u32, (unsigned long long)e->data.u64);
}

static const char *level_name(int level)
{
	switch (level) {
	case SOL_SOCKET:
		return "SOL_SOCKET";
	case IPPROTO_TCP:
		return "SOL_TCP";
	case IPPROTO_IP:
		return "SOL_IP";
	case IPPROTO_UDP:
		return "SOL_UDP";
	default:
		return NULL;
	}
}

static const char *optname_name(int level, int name)
{
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			return "SO_REUSEADDR";
		case SO_RCVBUF:
			return "SO_RCVBUF";
		case SO_SNDBUF:
			return "SO_SNDBUF";
		case SO_KEEPALIVE:
			return "SO_KEEPALIVE";
		case SO_ERROR:
			return "SO_ERROR";
		case SO_LINGER:
			return "SO_LINGER";
		case SO_TYPE:
			return "SO_TYPE";
		case SO_REUSEPORT:
			return "SO_REUSEPORT";
		case SO_BROADCAST:
			return "SO_BROADCAST";
		}
	} else if (level == IPPROTO_TCP) {
		switch (name) {
		case TCP_NODELAY:
			return "TCP_NODELAY";
		case TCP_KEEPIDLE:
			return "TCP_KEEPIDLE";
		case TCP_KEEPINTVL:
			return "TCP_KEEPINTVL";
		case TCP_KEEPCNT:
			return "TCP_KEEPCNT";
		}
	}
	return NULL;
}

static void tl_optname(struct tline *l, int level, int name)
{
	const char *ln = level_name(level), *nn = optname_name(level, name);
	if (ln)
		tl_add(l, "%s, ", ln);
	else
		tl_add(l, "%#x /* SOL_??? */, ", level);
	if (nn)
		tl_add(l, "%s, ", nn);
	else
		tl_add(l, "%d, ", name);
}

/* The value of an option as strace shows it: [1] for ints, {l_onoff=..} for linger. */
static void tl_optval(struct tline *l, int level, int name, const void *val, socklen_t len)
{
	if (!val) {
		tl_add(l, "NULL");
	} else if (level == SOL_SOCKET && name == SO_LINGER &&
		   len >= (socklen_t)sizeof(struct linger)) {
		const struct linger *lg = val;
		tl_add(l, "{l_onoff=%d, l_linger=%d}", lg->l_onoff, lg->l_linger);
	} else if (len >= (socklen_t)sizeof(int)) {
		int v;
		memcpy(&v, val, sizeof(v));
		tl_add(l, "[%d]", v);
	} else {
		tl_add(l, "%p", val);
	}
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

/* Validates an AF_INET address argument. Returns 0 or -errno; fills ip/port (host order). */
static int sockaddr_in_get(const struct sockaddr *addr, socklen_t len, uint32_t *ip, uint16_t *port)
{
	if (!addr)
		return -EFAULT;
	if (len < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	if (sin->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = ntohl(sin->sin_addr.s_addr);
	*port = ntohs(sin->sin_port);
	return 0;
}

/* Copies an AF_INET address out, truncated to *len like the kernel; *len = 16. */
static int sockaddr_in_put(struct sockaddr *addr, socklen_t *len, uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin = {0};

	if (!addr)
		return 0;
	if (!len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(ip);
	memcpy(addr, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
	return 0;
}

/* Is ip an address a socket of this stack may bind to? */
static bool addr_is_local(const struct stack *st, uint32_t ip, int type)
{
	if (ip == INADDR_ANY || ip == st->cfg.ip)
		return true;
	if (type != SOCK_DGRAM)
		return false;
	/* udp(7): a datagram socket may bind a broadcast address to receive on it. */
	uint32_t mask = st->cfg.prefix_len ? ~0u << (32 - st->cfg.prefix_len) : 0;
	return ip == INADDR_BROADCAST || ip == ((st->cfg.ip & mask) | ~mask);
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
	struct ts_sock *s = ts_sock_new(st, base, ops);
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
		char fl[64];
		tl_add(&l, "socket(%s, ",
		       domain == AF_INET    ? "AF_INET"
		       : domain == AF_INET6 ? "AF_INET6"
		       : domain == AF_UNIX  ? "AF_UNIX"
					    : "AF_???");
		if (base == SOCK_STREAM)
			tl_add(&l, "SOCK_STREAM");
		else if (base == SOCK_DGRAM)
			tl_add(&l, "SOCK_DGRAM");
		else if (base == SOCK_RAW)
			tl_add(&l, "SOCK_RAW");
		else
			tl_add(&l, "%#x /* SOCK_??? */", base);
		tl_add(&l, "%s, %s", sockflag_names(type & ~base, fl, sizeof(fl)),
		       protocol == 0		 ? "IPPROTO_IP"
		       : protocol == IPPROTO_TCP ? "IPPROTO_TCP"
		       : protocol == IPPROTO_UDP ? "IPPROTO_UDP"
						 : "IPPROTO_???");
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

static int do_bind(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	uint32_t ip;
	uint16_t port;

	if (!s)
		return err;
	if (!addr)
		return -EFAULT;
	if (len < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;
	/* inet_bind: AF_UNSPEC is tolerated for INADDR_ANY only (compatibility). */
	if (sin->sin_family != AF_INET &&
	    !(sin->sin_family == AF_UNSPEC && sin->sin_addr.s_addr == htonl(INADDR_ANY)))
		return -EAFNOSUPPORT;
	ip = ntohl(sin->sin_addr.s_addr);
	port = ntohs(sin->sin_port);
	if (!addr_is_local(st, ip, s->type))
		return -EADDRNOTAVAIL;
	if (!s->ops->bind)
		return -EOPNOTSUPP;
	return s->ops->bind(s, ip, port);
}

int ts_bind(struct stack *st, int fd, const struct sockaddr *addr, socklen_t len)
{
	int r = do_bind(st, fd, addr, len);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "bind(%d, ", fd);
		tl_sockaddr(&l, addr, len);
		tl_add(&l, ", %u", (unsigned)len);
		tl_end(st, &l, r);
	}
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "listen(%d, %d", fd, backlog);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

static int do_accept(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	struct ts_sock *child = NULL;
	uint32_t ip = 0;
	uint16_t port = 0;
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
		r = s->ops->accept(s, &child, &ip, &port);
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
	sockaddr_in_put(addr, len, ip, port);
	return cfd;
}

/* The accept4 trace: [112 => 16] shows the length in and out, as strace does. */
static int accept_common(struct stack *st, const char *name, int fd, struct sockaddr *addr,
			 socklen_t *len, int flags)
{
	socklen_t len_in = len ? *len : 0;
	int r = do_accept(st, fd, addr, len, flags);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "%s(%d, ", name, fd);
		if (r >= 0 && addr)
			tl_sockaddr(&l, addr, *len);
		else if (addr)
			tl_add(&l, "%p", (void *)addr);
		else
			tl_add(&l, "NULL");
		if (!len)
			tl_add(&l, ", NULL");
		else if (r >= 0 && len_in != *len)
			tl_add(&l, ", [%u => %u]", (unsigned)len_in, (unsigned)*len);
		else
			tl_add(&l, ", [%u]", (unsigned)len_in);
		if (strcmp(name, "accept4") == 0) {
			char fl[64];
			sockflag_names(flags, fl, sizeof(fl));
			tl_add(&l, ", %s", fl[0] ? fl + 1 : "0");
		}
		tl_end(st, &l, r);
	}
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
	uint32_t ip = 0;
	uint16_t port = 0;
	int r;

	if (!s)
		return err;
	if (!addr)
		return -EFAULT;
	if (len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family == AF_UNSPEC && s->type == SOCK_DGRAM) {
		/* connect(2): AF_UNSPEC dissolves a datagram socket's association. */
		return s->ops->connect(s, 0, 0);
	}
	if ((r = sockaddr_in_get(addr, len, &ip, &port)) < 0)
		return r;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	r = s->ops->connect(s, ip, port);
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "connect(%d, ", fd);
		tl_sockaddr(&l, addr, len);
		tl_add(&l, ", %u", (unsigned)len);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

/*
 * Receive with blocking: retries the protocol until it stops saying
 * -EAGAIN (MSG_DONTWAIT or O_NONBLOCK: once).  A zero-length read returns
 * 0 instead of blocking.
 */
static ssize_t do_recv(struct stack *st, int fd, void *buf, size_t len, int flags, uint32_t *ip,
		       uint16_t *port, struct ts_sock **sp)
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
		r = s->ops->recvfrom(s, buf, len, flags, ip, port);
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
		       uint32_t ip, uint16_t port)
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
		ssize_t r =
		    s->ops->sendto(s, (const uint8_t *)buf + done, len - done, flags, ip, port);
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
	ssize_t r = do_recv(st, fd, buf, len, 0, NULL, NULL, &s);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "read(%d, ", fd);
		if (r >= 0)
			tl_str(&l, buf, (size_t)r);
		else
			tl_add(&l, "%p", buf);
		tl_add(&l, ", %zu", len);
		tl_end(st, &l, r);
	}
	return ret_errno_ssize(r);
}

ssize_t ts_write(struct stack *st, int fd, const void *buf, size_t len)
{
	ssize_t r = do_send(st, fd, buf, len, 0, 0, 0);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "write(%d, ", fd);
		if (buf)
			tl_str(&l, buf, len);
		else
			tl_add(&l, "NULL");
		tl_add(&l, ", %zu", len);
		tl_end(st, &l, r);
	}
	return ret_errno_ssize(r);
}

ssize_t ts_recvfrom(struct stack *st, int fd, void *buf, size_t len, int flags,
		    struct sockaddr *from, socklen_t *fromlen)
{
	struct ts_sock *s;
	uint32_t ip = 0;
	uint16_t port = 0;
	socklen_t len_in = fromlen ? *fromlen : 0;
	ssize_t r;

	if (from && (!fromlen || (int)*fromlen < 0))
		r = fromlen ? -EINVAL : -EFAULT;
	else
		r = do_recv(st, fd, buf, len, flags, &ip, &port, &s);
	if (r >= 0 && from) {
		if (s->type == SOCK_DGRAM)
			sockaddr_in_put(from, fromlen, ip, port);
		else
			*fromlen = 0; /* tcp_recvmsg names no peer */
	}
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "recvfrom(%d, ", fd);
		if (r >= 0)
			tl_str(&l, buf, (size_t)r < len ? (size_t)r : len);
		else
			tl_add(&l, "%p", buf);
		tl_add(&l, ", %zu, ", len);
		tl_msgflags(&l, flags);
		tl_add(&l, ", ");
		if (r >= 0 && from && *fromlen)
			tl_sockaddr(&l, from, *fromlen);
		else if (from)
			tl_add(&l, "%p", (void *)from);
		else
			tl_add(&l, "NULL");
		if (!fromlen)
			tl_add(&l, ", NULL");
		else if (r >= 0 && len_in != *fromlen)
			tl_add(&l, ", [%u => %u]", (unsigned)len_in, (unsigned)*fromlen);
		else
			tl_add(&l, ", [%u]", (unsigned)len_in);
		tl_end(st, &l, r);
	}
	return ret_errno_ssize(r);
}

ssize_t ts_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen)
{
	uint32_t ip = 0;
	uint16_t port = 0;
	ssize_t r = 0;
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);

	/* udp_sendmsg checks the address; tcp_sendmsg ignores it. */
	if (to && s && s->type == SOCK_DGRAM) {
		if (tolen < (socklen_t)sizeof(struct sockaddr_in))
			r = -EINVAL;
		else if (to->sa_family != AF_INET && to->sa_family != AF_UNSPEC)
			r = -EAFNOSUPPORT;
		else {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)to;
			ip = ntohl(sin->sin_addr.s_addr);
			port = ntohs(sin->sin_port);
			if (port == 0)
				r = -EINVAL;
		}
	}
	if (r == 0)
		r = do_send(st, fd, buf, len, flags, ip, port);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "sendto(%d, ", fd);
		if (buf)
			tl_str(&l, buf, len);
		else
			tl_add(&l, "NULL");
		tl_add(&l, ", %zu, ", len);
		tl_msgflags(&l, flags);
		tl_add(&l, ", ");
		tl_sockaddr(&l, to, tolen);
		tl_add(&l, ", %u", (unsigned)tolen);
		tl_end(st, &l, r);
	}
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "shutdown(%d, ", fd);
		if (how == SHUT_RD)
			tl_add(&l, "SHUT_RD");
		else if (how == SHUT_WR)
			tl_add(&l, "SHUT_WR");
		else if (how == SHUT_RDWR)
			tl_add(&l, "SHUT_RDWR");
		else
			tl_add(&l, "%d /* SHUT_??? */", how);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

int ts_close(struct stack *st, int fd)
{
	int r = fd_close(st, fd);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "close(%d", fd);
		tl_end(st, &l, r);
	}
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "setsockopt(%d, ", fd);
		tl_optname(&l, level, name);
		tl_optval(&l, level, name, val, len);
		tl_add(&l, ", %u", (unsigned)len);
		tl_end(st, &l, r);
	}
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "getsockopt(%d, ", fd);
		tl_optname(&l, level, name);
		if (r >= 0)
			tl_optval(&l, level, name, val, *len);
		else
			tl_add(&l, "%p", val);
		if (!len)
			tl_add(&l, ", NULL");
		else if (r >= 0 && *len != len_in)
			tl_add(&l, ", [%u => %u]", (unsigned)len_in, (unsigned)*len);
		else
			tl_add(&l, ", [%u]", (unsigned)len_in);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

static int do_getname(struct stack *st, int fd, struct sockaddr *addr, socklen_t *len, bool peer)
{
	int err = 0;
	struct ts_sock *s = sock_get(st, fd, &err);
	uint32_t ip = 0;
	uint16_t port = 0;

	if (!s)
		return err;
	if (!addr || !len)
		return -EFAULT;
	if ((int)*len < 0)
		return -EINVAL;
	if (s->ops->getname) {
		if ((err = s->ops->getname(s, peer, &ip, &port)) < 0)
			return err;
	} else if (peer) {
		return -ENOTCONN;
	}
	return sockaddr_in_put(addr, len, ip, port);
}

static int getname_common(struct stack *st, const char *call, int fd, struct sockaddr *addr,
			  socklen_t *len, bool peer)
{
	socklen_t len_in = len ? *len : 0;
	int r = do_getname(st, fd, addr, len, peer);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "%s(%d, ", call, fd);
		if (r >= 0)
			tl_sockaddr(&l, addr, *len);
		else
			tl_add(&l, "%p", (void *)addr);
		if (!len)
			tl_add(&l, ", NULL");
		else if (r >= 0 && *len != len_in)
			tl_add(&l, ", [%u => %u]", (unsigned)len_in, (unsigned)*len);
		else
			tl_add(&l, ", [%u]", (unsigned)len_in);
		tl_end(st, &l, r);
	}
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
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "fcntl(%d, F_SETFL, %s", fd, on ? "O_RDWR|O_NONBLOCK" : "O_RDWR");
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

/* ---- epoll: the checks and semantics live in epoll.c ---- */

int ts_epoll_create1(struct stack *st, int flags)
{
	int r = (flags & ~EPOLL_CLOEXEC) ? -EINVAL : ts_ep_create(st);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		if (flags == EPOLL_CLOEXEC)
			tl_add(&l, "epoll_create1(EPOLL_CLOEXEC");
		else
			tl_add(&l, "epoll_create1(%#x", (unsigned)flags);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

int ts_epoll_create(struct stack *st, int size)
{
	int r = size <= 0 ? -EINVAL : ts_ep_create(st); /* epoll_create(2): size is a hint > 0 */
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "epoll_create(%d", size);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

int ts_epoll_ctl(struct stack *st, int epfd, int op, int fd, struct epoll_event *ev)
{
	int r = ts_ep_ctl(st, epfd, op, fd, ev);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "epoll_ctl(%d, %s, %d, ", epfd,
		       op == EPOLL_CTL_ADD   ? "EPOLL_CTL_ADD"
		       : op == EPOLL_CTL_MOD ? "EPOLL_CTL_MOD"
		       : op == EPOLL_CTL_DEL ? "EPOLL_CTL_DEL"
					     : "EPOLL_CTL_???",
		       fd);
		if (ev)
			tl_epoll_event(&l, ev);
		else
			tl_add(&l, "NULL");
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}

int ts_epoll_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
		  int timeout_ms)
{
	int r = ts_ep_wait(st, epfd, events, maxevents, timeout_ms);
	if (ts_tracing(st, TS_TRACE_API)) {
		struct tline l = {0};
		tl_add(&l, "epoll_wait(%d, ", epfd);
		if (r >= 0) {
			tl_add(&l, "[");
			for (int i = 0; i < r; i++) {
				if (i)
					tl_add(&l, ", ");
				tl_epoll_event(&l, &events[i]);
			}
			tl_add(&l, "]");
		} else {
			tl_add(&l, "%p", (void *)events);
		}
		tl_add(&l, ", %d, %d", maxevents, timeout_ms);
		tl_end(st, &l, r);
	}
	return ret_errno(r);
}
