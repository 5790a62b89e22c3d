/*
 * socket_trace.c - `--trace api` lines in strace's format (socket_trace.h).
 *
 * strace's conventions, kept here so that the two traces compare line by
 * line: strings escaped and cut after 32 bytes with "..." (its default -s),
 * sockaddrs spelled as in C, in/out lengths as "[16 => 16]", flags as
 * their symbolic names joined by '|', errors as "-1 EAGAIN (Resource
 * temporarily unavailable)".
 */
#include "socket_trace.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>

#include "stack.h"
#include "strbuf.h"
#include "tapstack.h"

/* strace's default -s: strings in trace lines are cut after 32 bytes. */
#define TS_TRACE_STRSIZE 32

struct tline {
	char buf[8192]; /* 32 iovecs or pollfds with their strings fit */
	size_t len;
};

/* strace's cap on array elements printed (its -s also bounds arrays). */
#define TS_TRACE_ARRAY_MAX 32

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
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		tl_add(l,
		       "{sa_family=AF_INET6, sin6_port=htons(%u), sin6_flowinfo=htonl(%u), "
		       "inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u}",
		       ntohs(sin6->sin6_port), ntohl(sin6->sin6_flowinfo), ip, sin6->sin6_scope_id);
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

/*
 * " = 3" or " = -1 EAGAIN (Resource temporarily unavailable)", then emits
 * the line.  hex: the value in hex (fcntl F_GETFL); suffix: what strace
 * appends to a success, e.g. " (Timeout)" or " (flags O_RDWR)".
 */
static void tl_end_ex(struct stack *st, struct tline *l, long ret, bool hex, const char *suffix)
{
	if (ret >= 0)
		tl_add(l, hex && ret ? ") = %#lx%s\n" : ") = %ld%s\n", ret, suffix ? suffix : "");
	else {
		const char *name = strerrorname_np((int)-ret);
		const char *desc = strerrordesc_np((int)-ret);
		tl_add(l, ") = -1 %s (%s)\n", name ? name : "E???", desc ? desc : "?");
	}
	if (l->len >= sizeof(l->buf))
		memcpy(l->buf + sizeof(l->buf) - 5, "...\n", 5); /* cut, but still one line */
	ts_trace(st, TS_TRACE_API, "%s", l->buf);
}

static void tl_end(struct stack *st, struct tline *l, long ret)
{
	tl_end_ex(st, l, ret, false, NULL);
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
	} names[] = {
	    {MSG_OOB, "MSG_OOB"},
	    {MSG_PEEK, "MSG_PEEK"},
	    {MSG_DONTROUTE, "MSG_DONTROUTE"},
	    {MSG_CTRUNC, "MSG_CTRUNC"},
	    {MSG_PROXY, "MSG_PROXY"},
	    {MSG_TRUNC, "MSG_TRUNC"},
	    {MSG_DONTWAIT, "MSG_DONTWAIT"},
	    {MSG_EOR, "MSG_EOR"},
	    {MSG_WAITALL, "MSG_WAITALL"},
	    {MSG_FIN, "MSG_FIN"},
	    {MSG_SYN, "MSG_SYN"},
	    {MSG_CONFIRM, "MSG_CONFIRM"},
	    {MSG_RST, "MSG_RST"},
	    {MSG_ERRQUEUE, "MSG_ERRQUEUE"},
	    {MSG_NOSIGNAL, "MSG_NOSIGNAL"},
	    {MSG_MORE, "MSG_MORE"},
	    {MSG_WAITFORONE, "MSG_WAITFORONE"},
	    {MSG_FASTOPEN, "MSG_FASTOPEN"},
	    {MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
	};
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

/* A bit set as strace prints it: names in table order joined by '|', the rest in hex, 0 as "0". */
struct flag_name {
	uint32_t bit;
	const char *name;
};
static void tl_flags(struct tline *l, uint32_t v, const struct flag_name *names, size_t n)
{
	bool first = true;
	for (size_t i = 0; i < n; i++)
		if (v & names[i].bit) {
			tl_add(l, "%s%s", first ? "" : "|", names[i].name);
			first = false;
			v &= ~names[i].bit;
		}
	if (v || first)
		tl_add(l, "%s%#x", first ? "" : "|", v);
}

static void tl_poll_events(struct tline *l, uint32_t ev)
{
	static const struct flag_name names[] = {
	    {POLLIN, "POLLIN"},		{POLLPRI, "POLLPRI"},	    {POLLOUT, "POLLOUT"},
	    {POLLERR, "POLLERR"},	{POLLHUP, "POLLHUP"},	    {POLLNVAL, "POLLNVAL"},
	    {POLLRDNORM, "POLLRDNORM"}, {POLLRDBAND, "POLLRDBAND"}, {POLLWRNORM, "POLLWRNORM"},
	    {POLLWRBAND, "POLLWRBAND"}, {POLLMSG, "POLLMSG"},	    {POLLREMOVE, "POLLREMOVE"},
	    {POLLRDHUP, "POLLRDHUP"},
	};
	tl_flags(l, ev, names, sizeof(names) / sizeof(names[0]));
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
	case IPPROTO_IPV6:
		return "SOL_IPV6";
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
		case SO_RCVLOWAT:
			return "SO_RCVLOWAT";
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
		case TCP_MAXSEG:
			return "TCP_MAXSEG";
		case TCP_INFO:
			return "TCP_INFO";
		case TCP_CONGESTION:
			return "TCP_CONGESTION";
		}
	} else if (level == IPPROTO_IP) {
		switch (name) {
		case IP_TOS:
			return "IP_TOS";
		case IP_TTL:
			return "IP_TTL";
		case IP_MTU_DISCOVER:
			return "IP_MTU_DISCOVER";
		case IP_RECVERR:
			return "IP_RECVERR";
		case IP_MTU:
			return "IP_MTU";
		}
	} else if (level == IPPROTO_IPV6) {
		switch (name) {
		case IPV6_V6ONLY:
			return "IPV6_V6ONLY";
		case IPV6_UNICAST_HOPS:
			return "IPV6_UNICAST_HOPS";
		case IPV6_TCLASS:
			return "IPV6_TCLASS";
		case IPV6_MTU_DISCOVER:
			return "IPV6_MTU_DISCOVER";
		case IPV6_RECVERR:
			return "IPV6_RECVERR";
		case IPV6_MTU:
			return "IPV6_MTU";
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
		tl_add(l, "%#x /* %s_??? */, ", (unsigned)name,
		       level == SOL_SOCKET     ? "SO"
		       : level == IPPROTO_TCP  ? "TCP"
		       : level == IPPROTO_IP   ? "IP"
		       : level == IPPROTO_IPV6 ? "IPV6"
					       : "UDP");
}

/*
 * The value of an option as strace shows it (print_setsockopt /
 * print_getsockopt): SO_LINGER as its struct, SO_ERROR as an errno name,
 * any other value of an int's size as [n], other lengths as a string of
 * that many bytes; on get, nothing returned is the pointer.
 */
static void tl_optval(struct tline *l, int level, int name, const void *val, socklen_t len,
		      bool get)
{
	if (!val) {
		tl_add(l, "NULL");
	} else if (get && (int)len <= 0) {
		tl_add(l, "%p", val);
	} else if (level == SOL_SOCKET && name == SO_LINGER &&
		   len >= (socklen_t)sizeof(struct linger)) {
		const struct linger *lg = val;
		tl_add(l, "{l_onoff=%d, l_linger=%d}", lg->l_onoff, lg->l_linger);
	} else if (level == SOL_SOCKET && name == SO_LINGER) {
		int on;
		if (get && len >= (socklen_t)sizeof(int)) {
			memcpy(&on, val, sizeof(on));
			tl_add(l, "{l_onoff=%d}", on);
		} else {
			tl_add(l, "%p", val);
		}
	} else if (len == (socklen_t)sizeof(int)) {
		int v;
		memcpy(&v, val, sizeof(v));
		const char *e =
		    level == SOL_SOCKET && name == SO_ERROR && v ? strerrorname_np(v) : NULL;
		if (e)
			tl_add(l, "[%s]", e);
		else
			tl_add(l, "[%d]", v);
	} else {
		tl_str(l, val, len);
	}
}

/* An in/out length argument: NULL, [in], or [in => out] when it changed. */
static void tl_lenptr(struct tline *l, const socklen_t *len, socklen_t len_in, long r)
{
	if (!len)
		tl_add(l, ", NULL");
	else if (r >= 0 && len_in != *len)
		tl_add(l, ", [%u => %u]", (unsigned)len_in, (unsigned)*len);
	else
		tl_add(l, ", [%u]", (unsigned)len_in);
}

/* ---- one function per call ---- */

void trace_socket(struct stack *st, int domain, int type, int protocol, long r)
{
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

void trace_sockaddr_call(struct stack *st, const char *call, int fd, const struct sockaddr *addr,
			 socklen_t len, long r)
{
	struct tline l = {0};
	tl_add(&l, "%s(%d, ", call, fd);
	tl_sockaddr(&l, addr, len);
	tl_add(&l, ", %u", (unsigned)len);
	tl_end(st, &l, r);
}

void trace_listen(struct stack *st, int fd, int backlog, long r)
{
	struct tline l = {0};
	tl_add(&l, "listen(%d, %d", fd, backlog);
	tl_end(st, &l, r);
}

void trace_accept(struct stack *st, int fd, const struct sockaddr *addr, const socklen_t *len,
		  socklen_t len_in, int flags, long r)
{
	struct tline l = {0};
	tl_add(&l, "%s(%d, ", flags < 0 ? "accept" : "accept4", fd);
	if (r >= 0 && addr)
		tl_sockaddr(&l, addr, *len);
	else if (addr)
		tl_add(&l, "%p", (const void *)addr);
	else
		tl_add(&l, "NULL");
	tl_lenptr(&l, len, len_in, r);
	if (flags >= 0) {
		char fl[64];
		sockflag_names(flags, fl, sizeof(fl));
		tl_add(&l, ", %s", fl[0] ? fl + 1 : "0");
	}
	tl_end(st, &l, r);
}

void trace_read(struct stack *st, int fd, const void *buf, size_t len, long r)
{
	struct tline l = {0};
	tl_add(&l, "read(%d, ", fd);
	if (r >= 0)
		tl_str(&l, buf, (size_t)r);
	else
		tl_add(&l, "%p", buf);
	tl_add(&l, ", %zu", len);
	tl_end(st, &l, r);
}

void trace_write(struct stack *st, int fd, const void *buf, size_t len, long r)
{
	struct tline l = {0};
	tl_add(&l, "write(%d, ", fd);
	if (buf)
		tl_str(&l, buf, len);
	else
		tl_add(&l, "NULL");
	tl_add(&l, ", %zu", len);
	tl_end(st, &l, r);
}

void trace_recvfrom(struct stack *st, int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *from, const socklen_t *fromlen, socklen_t len_in, long r)
{
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
		tl_add(&l, "%p", (const void *)from);
	else
		tl_add(&l, "NULL");
	tl_lenptr(&l, fromlen, len_in, r);
	tl_end(st, &l, r);
}

void trace_sendto(struct stack *st, int fd, const void *buf, size_t len, int flags,
		  const struct sockaddr *to, socklen_t tolen, long r)
{
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

void trace_shutdown(struct stack *st, int fd, int how, long r)
{
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

void trace_close(struct stack *st, int fd, long r)
{
	struct tline l = {0};
	tl_add(&l, "close(%d", fd);
	tl_end(st, &l, r);
}

void trace_setsockopt(struct stack *st, int fd, int level, int name, const void *val, socklen_t len,
		      long r)
{
	struct tline l = {0};
	tl_add(&l, "setsockopt(%d, ", fd);
	tl_optname(&l, level, name);
	tl_optval(&l, level, name, val, len, false);
	tl_add(&l, ", %u", (unsigned)len);
	tl_end(st, &l, r);
}

void trace_getsockopt(struct stack *st, int fd, int level, int name, const void *val,
		      const socklen_t *len, socklen_t len_in, long r)
{
	struct tline l = {0};
	tl_add(&l, "getsockopt(%d, ", fd);
	tl_optname(&l, level, name);
	if (r >= 0)
		tl_optval(&l, level, name, val, *len, true);
	else if (val)
		tl_add(&l, "%p", val);
	else
		tl_add(&l, "NULL");
	tl_lenptr(&l, len, len_in, r);
	tl_end(st, &l, r);
}

void trace_getname(struct stack *st, const char *call, int fd, const struct sockaddr *addr,
		   const socklen_t *len, socklen_t len_in, long r)
{
	struct tline l = {0};
	tl_add(&l, "%s(%d, ", call, fd);
	if (r >= 0)
		tl_sockaddr(&l, addr, *len);
	else
		tl_add(&l, "%p", (const void *)addr);
	tl_lenptr(&l, len, len_in, r);
	tl_end(st, &l, r);
}

void trace_epoll_create1(struct stack *st, int flags, long r)
{
	struct tline l = {0};
	if (flags == EPOLL_CLOEXEC)
		tl_add(&l, "epoll_create1(EPOLL_CLOEXEC");
	else
		tl_add(&l, "epoll_create1(%#x", (unsigned)flags);
	tl_end(st, &l, r);
}

void trace_epoll_create(struct stack *st, int size, long r)
{
	struct tline l = {0};
	tl_add(&l, "epoll_create(%d", size);
	tl_end(st, &l, r);
}

void trace_epoll_ctl(struct stack *st, int epfd, int op, int fd, const struct epoll_event *ev,
		     long r)
{
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

void trace_epoll_wait(struct stack *st, int epfd, const struct epoll_event *events, int maxevents,
		      int timeout_ms, long r)
{
	struct tline l = {0};
	tl_add(&l, "epoll_wait(%d, ", epfd);
	if (r >= 0) {
		tl_add(&l, "[");
		for (long i = 0; i < r; i++) {
			if (i)
				tl_add(&l, ", ");
			tl_epoll_event(&l, &events[i]);
		}
		tl_add(&l, "]");
	} else {
		tl_add(&l, "%p", (const void *)events);
	}
	tl_add(&l, ", %d, %d", maxevents, timeout_ms);
	tl_end(st, &l, r);
}

/*
 * An iovec array (tprint_iov_upto): with data, each base shows what it
 * holds of the first data_len bytes ("" once they are used up); without,
 * its address.  At most TS_TRACE_ARRAY_MAX elements, then "...".
 */
static void tl_iov(struct tline *l, const struct iovec *iov, long iovcnt, bool data,
		   size_t data_len)
{
	if (iovcnt <= 0 && iovcnt != 0) {
		tl_add(l, "%p", (const void *)iov);
		return;
	}
	if (!iov && iovcnt) {
		tl_add(l, "NULL");
		return;
	}
	tl_add(l, "[");
	for (long i = 0; i < iovcnt; i++) {
		if (i == TS_TRACE_ARRAY_MAX) {
			tl_add(l, ", ...");
			break;
		}
		tl_add(l, "%s{iov_base=", i ? ", " : "");
		if (data && iov[i].iov_base) {
			size_t n = iov[i].iov_len < data_len ? iov[i].iov_len : data_len;
			tl_str(l, iov[i].iov_base, n);
			data_len -= n;
		} else if (iov[i].iov_base) {
			tl_add(l, "%p", iov[i].iov_base);
		} else {
			tl_add(l, "NULL");
		}
		tl_add(l, ", iov_len=%zu}", iov[i].iov_len);
	}
	tl_add(l, "]");
}

void trace_readv(struct stack *st, const char *call, int fd, const struct iovec *iov, int iovcnt,
		 long r)
{
	struct tline l = {0};
	bool write = strcmp(call, "writev") == 0;
	tl_add(&l, "%s(%d, ", call, fd);
	/* writev is shown as it was asked (strace decodes it on entry), readv as it came out. */
	tl_iov(&l, iov, iovcnt, write || r >= 0, write ? SIZE_MAX : r > 0 ? (size_t)r : 0);
	tl_add(&l, ", %d", iovcnt);
	tl_end(st, &l, r);
}

void trace_msg(struct stack *st, const char *call, int fd, const struct msghdr *msg,
	       socklen_t namelen_in, int flags, long r)
{
	struct tline l = {0};
	bool send = strcmp(call, "sendmsg") == 0;
	tl_add(&l, "%s(%d, ", call, fd);
	if (!msg) {
		tl_add(&l, "NULL");
	} else if (!send && r < 0) {
		/* strace shows a failed recvmsg's header by its name length only. */
		tl_add(&l, "{msg_namelen=%u}", (unsigned)namelen_in);
	} else {
		tl_add(&l, "{msg_name=");
		if (msg->msg_name && msg->msg_namelen)
			tl_sockaddr(&l, msg->msg_name, msg->msg_namelen);
		else if (msg->msg_name)
			tl_add(&l, "%p", msg->msg_name);
		else
			tl_add(&l, "NULL");
		if (!send && namelen_in != msg->msg_namelen)
			tl_add(&l, ", msg_namelen=%u => %u", (unsigned)namelen_in,
			       (unsigned)msg->msg_namelen);
		else
			tl_add(&l, ", msg_namelen=%u", (unsigned)msg->msg_namelen);
		tl_add(&l, ", msg_iov=");
		tl_iov(&l, msg->msg_iov, (long)msg->msg_iovlen, true,
		       send    ? SIZE_MAX
		       : r > 0 ? (size_t)r
			       : 0);
		tl_add(&l, ", msg_iovlen=%zu", (size_t)msg->msg_iovlen);
		if (msg->msg_control && msg->msg_controllen)
			tl_add(&l, ", msg_control=%p", msg->msg_control);
		tl_add(&l, ", msg_controllen=%zu, msg_flags=", (size_t)msg->msg_controllen);
		tl_msgflags(&l, msg->msg_flags);
		tl_add(&l, "}");
	}
	tl_add(&l, ", ");
	tl_msgflags(&l, flags);
	tl_end(st, &l, r);
}

void trace_poll(struct stack *st, const struct pollfd *fds, nfds_t nfds, int timeout_ms, long r)
{
	struct tline l = {0};
	struct tline res = {0};
	tl_add(&l, "poll(");
	if (!fds) {
		tl_add(&l, "NULL");
	} else {
		tl_add(&l, "[");
		for (nfds_t i = 0; i < nfds; i++) {
			if (i == TS_TRACE_ARRAY_MAX) {
				tl_add(&l, ", ...");
				break;
			}
			/* strace leaves out the events of an entry it skips. */
			if (fds[i].fd < 0) {
				tl_add(&l, "%s{fd=%d}", i ? ", " : "", fds[i].fd);
				continue;
			}
			tl_add(&l, "%s{fd=%d, events=", i ? ", " : "", fds[i].fd);
			tl_poll_events(&l, (uint16_t)fds[i].events);
			tl_add(&l, "}");
		}
		tl_add(&l, "]");
	}
	tl_add(&l, ", %lu, %d", (unsigned long)nfds, timeout_ms);
	if (r == 0) {
		tl_end_ex(st, &l, r, false, " (Timeout)");
		return;
	}
	if (r > 0) {
		/* " ([{fd=4, revents=POLLIN}])": the entries that reported. */
		bool first = true;
		tl_add(&res, " ([");
		for (nfds_t i = 0; i < nfds; i++) {
			if (!fds[i].revents || fds[i].fd < 0)
				continue;
			tl_add(&res, "%s{fd=%d, revents=", first ? "" : ", ", fds[i].fd);
			tl_poll_events(&res, (uint16_t)fds[i].revents);
			tl_add(&res, "}");
			first = false;
		}
		tl_add(&res, "])");
	}
	tl_end_ex(st, &l, r, false, res.buf);
}

/* fcntl's O_* status flags as strace orders them (open_mode_flags). */
static void tl_open_flags(struct tline *l, int v)
{
	static const struct flag_name names[] = {
	    {O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},	      {O_NOCTTY, "O_NOCTTY"},
	    {O_TRUNC, "O_TRUNC"},	  {O_APPEND, "O_APPEND"},     {O_NONBLOCK, "O_NONBLOCK"},
	    {O_DSYNC, "O_DSYNC"},	  {O_ASYNC, "FASYNC"},	      {O_DIRECT, "O_DIRECT"},
	    {O_DIRECTORY, "O_DIRECTORY"}, {O_NOFOLLOW, "O_NOFOLLOW"}, {O_NOATIME, "O_NOATIME"},
	    {O_CLOEXEC, "O_CLOEXEC"},
	};
	int acc = v & O_ACCMODE;
	tl_add(l, "%s", acc == O_RDONLY ? "O_RDONLY" : acc == O_WRONLY ? "O_WRONLY" : "O_RDWR");
	if (acc == O_ACCMODE)
		tl_add(l, "|O_ACCMODE");
	if (v & ~O_ACCMODE) {
		tl_add(l, "|");
		tl_flags(l, (uint32_t)(v & ~O_ACCMODE), names, sizeof(names) / sizeof(names[0]));
	}
}

void trace_fcntl(struct stack *st, int fd, int cmd, bool has_arg, int arg, long r)
{
	struct tline l = {0};
	struct tline res = {0};
	static const char *const cmds[] = {"F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL"};
	tl_add(&l, "fcntl(%d, ", fd);
	if (cmd >= 0 && cmd < (int)(sizeof(cmds) / sizeof(cmds[0])))
		tl_add(&l, "%s", cmds[cmd]);
	else if (cmd == F_DUPFD_CLOEXEC)
		tl_add(&l, "F_DUPFD_CLOEXEC");
	else
		tl_add(&l, "%#x /* F_??? */", (unsigned)cmd);
	if (cmd == F_SETFL) {
		tl_add(&l, ", ");
		tl_open_flags(&l, arg);
	} else if (cmd == F_SETFD) {
		tl_add(&l, ", %s", arg & FD_CLOEXEC ? "FD_CLOEXEC" : "0");
		if (arg & ~FD_CLOEXEC)
			tl_add(&l, "|%#x", (unsigned)(arg & ~FD_CLOEXEC));
	} else if (has_arg) {
		tl_add(&l, ", %d", arg);
	}
	/* strace decodes the flags F_GETFL and F_GETFD return: "0x802 (flags O_RDWR|O_NONBLOCK)".
	 */
	if (r > 0 && cmd == F_GETFL) {
		tl_add(&res, " (flags ");
		tl_open_flags(&res, (int)r);
		tl_add(&res, ")");
	} else if (r > 0 && cmd == F_GETFD) {
		tl_add(&res, " (flags FD_CLOEXEC)");
	}
	tl_end_ex(st, &l, r, cmd == F_GETFL || cmd == F_GETFD, res.buf);
}

void trace_ioctl(struct stack *st, int fd, unsigned long request, const int *arg, int arg_in,
		 long r)
{
	struct tline l = {0};
	bool known = true;
	tl_add(&l, "ioctl(%d, ", fd);
	/* SIOCINQ is FIONREAD and SIOCOUTQ TIOCOUTQ: strace names them so. */
	if (request == FIONREAD)
		tl_add(&l, "FIONREAD");
	else if (request == TIOCOUTQ)
		tl_add(&l, "TIOCOUTQ");
	else if (request == SIOCOUTQNSD)
		tl_add(&l, "SIOCOUTQNSD");
	else if (request == FIONBIO)
		tl_add(&l, "FIONBIO");
	else {
		static const char *const dirs[] = {"_IOC_NONE", "_IOC_WRITE", "_IOC_READ",
						   "_IOC_READ|_IOC_WRITE"};
		unsigned size = (unsigned)(request >> 16) & 0x3fff;
		tl_add(&l, "_IOC(%s, %#lx, %#lx, %#x)", dirs[(request >> 30) & 3],
		       (request >> 8) & 0xff, request & 0xff, size);
		known = false;
	}
	if (!arg)
		tl_add(&l, ", NULL");
	else if (request == FIONBIO)
		tl_add(&l, ", [%d]", arg_in);
	else if (known && r >= 0)
		tl_add(&l, ", [%d]", *arg);
	else
		tl_add(&l, ", %p", (const void *)arg);
	tl_end(st, &l, r);
}
