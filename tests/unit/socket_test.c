/*
 * socket_test.c - the ts_ boundary on one stack (capture netdev, no peer):
 * the errno table of socket/bind/listen/accept/connect/send/recv/shutdown/
 * close against Linux's answers, every socket option (SO_RCVBUF doubling,
 * SO_ERROR read-and-clear, SO_LINGER, ranges of TCP_KEEP*), names, and the
 * exact strace-style lines of --trace api.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsunit.h"
#include "tapstack.h"

static struct ts_test_stack T;

static void setup(void)
{
	ts_test_stack_init(&T, NULL);
}

static void teardown(void)
{
	ts_test_stack_free(&T);
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = inet_addr(ip);
	return a;
}

/* socket(2): family, type, protocol and flag checks. */
START_TEST(socket_errors)
{
	ck_errno(ts_socket(&T.st, AF_PACKET, SOCK_RAW, 0), EAFNOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_INET6, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_UNIX, SOCK_DGRAM, 0), EAFNOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	ck_errno(ts_socket(&T.st, AF_INET, 0, 0), EINVAL);
	ck_errno(ts_socket(&T.st, AF_INET, 99, 0), EINVAL);
	ck_errno(ts_socket(&T.st, AF_INET, SOCK_STREAM | 0x400, 0), EINVAL);
	int a = ts_socket(&T.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	int b = ts_socket(&T.st, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	ck_assert_int_eq(a, 3);
	ck_assert_int_eq(b, 4);
	ck_assert(((struct ts_sock *)ts_fd_get(&T.st, a, TS_FD_SOCK))->nonblock);
	ck_assert(!((struct ts_sock *)ts_fd_get(&T.st, b, TS_FD_SOCK))->nonblock);
	ck_assert_int_eq(ts_close(&T.st, a), 0);
	ck_errno(ts_close(&T.st, a), EBADF);
	ck_errno(ts_read(&T.st, a, NULL, 0), EBADF);
}
END_TEST

/* bind(2): length, family, address ownership, double bind, port clashes. */
START_TEST(bind_errors)
{
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	int v = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = sin_of("10.0.0.2", 5000);

	ck_errno(ts_bind(&T.st, u, SA(a), sizeof(a) - 1), EINVAL);
	ck_errno(ts_bind(&T.st, u, NULL, sizeof(a)), EFAULT);
	a.sin_family = AF_INET6;
	ck_errno(ts_bind(&T.st, u, SA(a), sizeof(a)), EAFNOSUPPORT);
	a = sin_of("10.0.0.9", 5000);
	ck_errno(ts_bind(&T.st, u, SA(a), sizeof(a)), EADDRNOTAVAIL);
	a = sin_of("127.0.0.1", 5000);
	ck_errno(ts_bind(&T.st, u, SA(a), sizeof(a)), EADDRNOTAVAIL);
	ck_errno(ts_bind(&T.st, 99, SA(a), sizeof(a)), EBADF);
	a = sin_of("10.0.0.2", 5000);
	ck_assert_int_eq(ts_bind(&T.st, u, SA(a), sizeof(a)), 0);
	ck_errno(ts_bind(&T.st, u, SA(a), sizeof(a)), EINVAL); /* already bound */
	struct sockaddr_in any = sin_of("0.0.0.0", 5000);
	ck_errno(ts_bind(&T.st, v, SA(any), sizeof(any)), EADDRINUSE);
	/* SO_REUSEADDR on both lets two datagram sockets share the port. */
	int one = 1;
	ck_assert_int_eq(ts_setsockopt(&T.st, u, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_setsockopt(&T.st, v, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_int_eq(ts_bind(&T.st, v, SA(any), sizeof(any)), 0);
	/* AF_UNSPEC with INADDR_ANY is accepted (inet_bind compatibility). */
	int w = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in un = sin_of("0.0.0.0", 5001);
	un.sin_family = AF_UNSPEC;
	ck_assert_int_eq(ts_bind(&T.st, w, SA(un), sizeof(un)), 0);
	/* A datagram socket may bind the subnet broadcast address. */
	int x = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in bc = sin_of("10.0.0.255", 5002);
	ck_assert_int_eq(ts_bind(&T.st, x, SA(bc), sizeof(bc)), 0);
	int t = ts_socket(&T.st, AF_INET, SOCK_STREAM, 0);
	ck_errno(ts_bind(&T.st, t, SA(bc), sizeof(bc)), EADDRNOTAVAIL);
}
END_TEST

/* Stream-only calls on a datagram socket, and datagram-only errors. */
START_TEST(op_not_supported_and_dgram_errors)
{
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char buf[8];

	ck_errno(ts_listen(&T.st, u, 5), EOPNOTSUPP);
	ck_errno(ts_accept(&T.st, u, SA(a), &len), EOPNOTSUPP);
	ck_errno(ts_accept4(&T.st, u, NULL, NULL, 0x1234), EINVAL);
	ck_errno(ts_write(&T.st, u, "x", 1), EDESTADDRREQ);
	ck_errno(ts_read(&T.st, u, buf, sizeof(buf)), EAGAIN);
	struct sockaddr_in to = sin_of("10.0.0.1", 0);
	ck_errno(ts_sendto(&T.st, u, "x", 1, 0, SA(to), sizeof(to)), EINVAL); /* port 0 */
	to = sin_of("10.0.0.1", 7);
	ck_errno(ts_sendto(&T.st, u, "x", 1, 0, SA(to), sizeof(to) - 2), EINVAL);
	to.sin_family = AF_INET6;
	ck_errno(ts_sendto(&T.st, u, "x", 1, 0, SA(to), sizeof(to)), EAFNOSUPPORT);
	to = sin_of("10.0.0.1", 7);
	static char big[65508];
	ck_errno(ts_sendto(&T.st, u, big, sizeof(big), 0, SA(to), sizeof(to)), EMSGSIZE);
	ck_errno(ts_shutdown(&T.st, u, 7), EINVAL);
	ck_errno(ts_shutdown(&T.st, u, SHUT_RD), ENOTCONN); /* unconnected datagram socket */
	ck_errno(ts_getpeername(&T.st, u, SA(a), &len), ENOTCONN);
	ck_errno(ts_connect(&T.st, u, SA(to), sizeof(to) - 1), EINVAL);
	to.sin_family = AF_INET6;
	ck_errno(ts_connect(&T.st, u, SA(to), sizeof(to)), EAFNOSUPPORT);
}
END_TEST

/* A blocking call on an in-memory link cannot wait for anybody: it gives up with EAGAIN. */
START_TEST(blocking_read_on_virtual_clock_gives_up)
{
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	char c;
	ck_errno(ts_read(&T.st, u, &c, 1), EAGAIN);
	ck_assert_int_eq(ts_read(&T.st, u, &c, 0), 0);
}
END_TEST

/* getsockname/getpeername: unbound, ephemeral, connected, truncated lengths. */
START_TEST(names)
{
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a;
	socklen_t len = sizeof(a);

	ck_assert_int_eq(ts_getsockname(&T.st, u, SA(a), &len), 0);
	ck_assert_int_eq(len, sizeof(a));
	ck_assert_int_eq(a.sin_family, AF_INET);
	ck_assert_uint_eq(a.sin_port, 0);
	ck_assert_uint_eq(a.sin_addr.s_addr, 0);
	struct sockaddr_in any = sin_of("0.0.0.0", 0);
	ck_assert_int_eq(ts_bind(&T.st, u, SA(any), sizeof(any)), 0);
	ck_assert_int_eq(ts_getsockname(&T.st, u, SA(a), &len), 0);
	ck_assert_uint_ge(ntohs(a.sin_port), 32768);
	ck_assert_uint_le(ntohs(a.sin_port), 60999);
	struct sockaddr_in peer = sin_of("10.0.0.1", 53);
	ck_assert_int_eq(ts_connect(&T.st, u, SA(peer), sizeof(peer)), 0);
	ck_assert_int_eq(ts_getpeername(&T.st, u, SA(a), &len), 0);
	ck_assert_uint_eq(a.sin_port, htons(53));
	ck_assert_uint_eq(a.sin_addr.s_addr, inet_addr("10.0.0.1"));
	ck_assert_int_eq(ts_getsockname(&T.st, u, SA(a), &len), 0);
	ck_assert_uint_eq(a.sin_addr.s_addr, inet_addr("10.0.0.2")); /* source chosen */
	/* A short buffer gets a truncated copy and the full length back. */
	uint8_t small[4] = {0xaa, 0xaa, 0xaa, 0xaa};
	len = 4;
	ck_assert_int_eq(ts_getpeername(&T.st, u, (struct sockaddr *)small, &len), 0);
	ck_assert_int_eq(len, sizeof(struct sockaddr_in));
	ck_assert_uint_eq(small[0] | small[1] << 8, AF_INET);
	ck_assert_uint_eq(small[2] << 8 | small[3], 53);
	/* AF_UNSPEC dissolves the association. */
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	ck_assert_int_eq(ts_connect(&T.st, u, &un, sizeof(un)), 0);
	len = sizeof(a);
	ck_errno(ts_getpeername(&T.st, u, SA(a), &len), ENOTCONN);
}
END_TEST

static int getint(int fd, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	ck_assert_int_eq(ts_getsockopt(&T.st, fd, level, name, &v, &len), 0);
	ck_assert_int_eq(len, sizeof(int));
	return v;
}

static int setint(int fd, int level, int name, int v)
{
	return ts_setsockopt(&T.st, fd, level, name, &v, sizeof(v));
}

/* socket(7)/tcp(7) options: storage, doubling, floors, ranges, read-only ones. */
START_TEST(options)
{
	int t = ts_socket(&T.st, AF_INET, SOCK_STREAM, 0);
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	ck_assert_int_eq(getint(u, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_REUSEADDR), 0);
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_REUSEADDR, 5), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_REUSEADDR), 1);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_RCVBUF), (int)T.st.cfg.tcp_rcvbuf);
	ck_assert_int_eq(getint(u, SOL_SOCKET, SO_RCVBUF), (int)T.st.cfg.udp_rcvbuf);
	/* Linux doubles on set; floors 2304 (rcv) and 4608 (snd). */
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_RCVBUF, 65536), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_RCVBUF), 131072);
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_SNDBUF, 10000), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_SNDBUF), 20000);
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_RCVBUF, 1), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_RCVBUF), 2304);
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_SNDBUF, -5), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_SNDBUF), 4608);
	ck_assert_int_eq(setint(t, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_KEEPALIVE), 1);
	/* SO_ERROR: read and clear. */
	((struct ts_sock *)ts_fd_get(&T.st, t, TS_FD_SOCK))->so_error = ECONNREFUSED;
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	ck_assert_int_eq(getint(t, SOL_SOCKET, SO_ERROR), 0);
	ck_errno(setint(t, SOL_SOCKET, SO_ERROR, 1), ENOPROTOOPT);
	ck_errno(setint(t, SOL_SOCKET, SO_TYPE, 1), ENOPROTOOPT);
	/* SO_LINGER. */
	struct linger lg = {.l_onoff = 1, .l_linger = 0}, got;
	socklen_t len = sizeof(got);
	ck_assert_int_eq(ts_setsockopt(&T.st, t, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ck_assert_int_eq(ts_getsockopt(&T.st, t, SOL_SOCKET, SO_LINGER, &got, &len), 0);
	ck_assert_int_eq(len, sizeof(got));
	ck_assert_int_eq(got.l_onoff, 1);
	ck_assert_int_eq(got.l_linger, 0);
	ck_errno(ts_setsockopt(&T.st, t, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg) - 1), EINVAL);
	/* TCP level. */
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_NODELAY), 0);
	ck_assert_int_eq(setint(t, IPPROTO_TCP, TCP_NODELAY, 1), 0);
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_NODELAY), 1);
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_KEEPIDLE), (int)T.st.cfg.tcp_keepidle_s);
	ck_assert_int_eq(setint(t, IPPROTO_TCP, TCP_KEEPIDLE, 30), 0);
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_KEEPIDLE), 30);
	ck_assert_int_eq(setint(t, IPPROTO_TCP, TCP_KEEPINTVL, 15), 0);
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_KEEPINTVL), 15);
	ck_assert_int_eq(setint(t, IPPROTO_TCP, TCP_KEEPCNT, 3), 0);
	ck_assert_int_eq(getint(t, IPPROTO_TCP, TCP_KEEPCNT), 3);
	ck_errno(setint(t, IPPROTO_TCP, TCP_KEEPIDLE, 0), EINVAL);
	ck_errno(setint(t, IPPROTO_TCP, TCP_KEEPINTVL, 32768), EINVAL);
	ck_errno(setint(t, IPPROTO_TCP, TCP_KEEPCNT, 128), EINVAL);
	ck_errno(setint(t, IPPROTO_TCP, 9999, 1), ENOPROTOOPT);
	ck_errno(setint(u, IPPROTO_TCP, TCP_NODELAY, 1), ENOPROTOOPT);
	ck_errno(setint(t, IPPROTO_IP, 12345, 1), ENOPROTOOPT);
	ck_errno(setint(t, SOL_SOCKET, SO_PRIORITY, 1), ENOPROTOOPT);
	/* Short option lengths. */
	int v = 1;
	ck_errno(ts_setsockopt(&T.st, t, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	ck_errno(ts_setsockopt(&T.st, t, SOL_SOCKET, SO_REUSEADDR, NULL, 4), EFAULT);
	len = 2;
	uint8_t two[2];
	ck_assert_int_eq(ts_getsockopt(&T.st, t, SOL_SOCKET, SO_TYPE, two, &len), 0);
	ck_assert_int_eq(len, 2);
	len = (socklen_t)-1;
	ck_errno(ts_getsockopt(&T.st, t, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
}
END_TEST

/* UDP shutdown: SHUT_WR makes sends fail with EPIPE, SHUT_RD makes reads see EOF. */
START_TEST(udp_shutdown)
{
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in peer = sin_of("10.0.0.1", 7);
	char c;

	ck_assert_int_eq(ts_connect(&T.st, u, SA(peer), sizeof(peer)), 0);
	ck_errno(ts_read(&T.st, u, &c, 1), EAGAIN);
	ck_assert_int_eq(ts_shutdown(&T.st, u, SHUT_RD), 0);
	ck_assert_int_eq(ts_read(&T.st, u, &c, 1), 0);
	ck_assert_int_eq(ts_shutdown(&T.st, u, SHUT_WR), 0);
	ck_errno(ts_write(&T.st, u, "x", 1), EPIPE);
}
END_TEST

/* Reads the trace stream written so far. */
static char *trace_text(FILE *f)
{
	static char text[4096];
	fflush(f);
	long n = ftell(f);
	rewind(f);
	size_t got = fread(text, 1, sizeof(text) - 1, f);
	text[got] = 0;
	fseek(f, n, SEEK_SET);
	return text;
}

/* --trace api: the lines match strace's format for the same calls. */
START_TEST(trace_api_lines)
{
	FILE *f = tmpfile();
	ck_assert_ptr_nonnull(f);
	T.st.cfg.trace = TS_TRACE_API;
	T.st.cfg.trace_out = f;

	int fd = ts_socket(&T.st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_IP);
	int one = 1;
	ts_setsockopt(&T.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = sin_of("0.0.0.0", 8080);
	ts_bind(&T.st, fd, SA(a), sizeof(a));
	ts_listen(&T.st, fd, 4096);
	int ep = ts_epoll_create1(&T.st, EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.u64 = 7};
	ts_epoll_ctl(&T.st, ep, EPOLL_CTL_ADD, fd, &ev);
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	ts_accept4(&T.st, fd, SA(peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct epoll_event evs[128];
	ts_epoll_wait(&T.st, ep, evs, 128, 0);
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of("10.0.0.1", 7);
	ts_sendto(&T.st, u, "GET /hello HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n\r\n", 44, 0, SA(to),
		  sizeof(to));
	ts_setsockopt(&T.st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ts_close(&T.st, 42);
	ts_close(&T.st, u);

	char expect[2048];
	snprintf(
	    expect, sizeof(expect),
	    "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3\n"
	    "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	    "bind(3, {sa_family=AF_INET, sin_port=htons(8080), "
	    "sin_addr=inet_addr(\"0.0.0.0\")}, 16) = 0\n"
	    "listen(3, 4096) = 0\n"
	    "epoll_create1(EPOLL_CLOEXEC) = 4\n"
	    "epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET, "
	    "data={u32=7, u64=7}}) = 0\n"
	    "accept4(3, %p, [16], SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource "
	    "temporarily unavailable)\n"
	    "epoll_wait(4, [], 128, 0) = 0\n"
	    "socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 5\n"
	    "sendto(5, \"GET /hello HTTP/1.1\\r\\nHost: 10.0.\"..., 44, 0, {sa_family=AF_INET, "
	    "sin_port=htons(7), sin_addr=inet_addr(\"10.0.0.1\")}, 16) = 44\n"
	    "setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0\n"
	    "close(42) = -1 EBADF (Bad file descriptor)\n"
	    "close(5) = 0\n",
	    (void *)&peer);
	ck_assert_str_eq(trace_text(f), expect);
	T.st.cfg.trace = 0;
	T.st.cfg.trace_out = stderr;
	fclose(f);
}
END_TEST

/* Non-printable bytes are octal escapes; a digit after one forces three digits. */
START_TEST(trace_string_escapes)
{
	FILE *f = tmpfile();
	T.st.cfg.trace = TS_TRACE_API;
	T.st.cfg.trace_out = f;
	int u = ts_socket(&T.st, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = sin_of("10.0.0.1", 9);
	ts_sendto(&T.st, u, "\0\0011\"\\\t\xff", 7, 0, SA(to), sizeof(to));
	const char *text = trace_text(f);
	ck_assert_ptr_nonnull(strstr(text, "sendto(3, \"\\0\\0011\\\"\\\\\\t\\377\", 7, 0, "));
	T.st.cfg.trace = 0;
	T.st.cfg.trace_out = stderr;
	fclose(f);
}
END_TEST

static Suite *socket_suite(void)
{
	Suite *s = suite_create("socket");
	TCase *tc = tcase_create("api");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, socket_errors);
	tcase_add_test(tc, bind_errors);
	tcase_add_test(tc, op_not_supported_and_dgram_errors);
	tcase_add_test(tc, blocking_read_on_virtual_clock_gives_up);
	tcase_add_test(tc, names);
	tcase_add_test(tc, options);
	tcase_add_test(tc, udp_shutdown);
	tcase_add_test(tc, trace_api_lines);
	tcase_add_test(tc, trace_string_escapes);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(socket_suite)
