/*
 * sockerr_probe.c - the Linux kernel's answers to the socket calls of
 * issue #9 item 11 (and item 8's UDP and option cases), printed one call
 * per line, for tests/twostack/sockerr_test.c and docs/robustness.md to
 * follow.  Kernel sockets only; run it as root in a fresh namespace:
 *
 *   ip netns add p; ip netns exec p sh -c 'ip link set lo up;
 *     ip link add v0 type veth peer name v1; ip addr add 10.0.0.1/24 dev v0;
 *     ip link set v0 up; ip link set v1 up; build/tests/sockerr_probe'
 *
 * 10.0.0.1:5000 listens, :5001 is closed (RST), 10.0.0.77 never answers
 * ARP (a connect stays in SYN-SENT), 10.0.0.1:5999/udp is closed (port
 * unreachable).  Sections: A shutdown of a listener, B of a connect in
 * progress, C of a fresh socket, D a refused connect, E a completed
 * non-blocking connect, F send after a reset, G connect(AF_UNSPEC),
 * H IP_MTU_DISCOVER / IP_RECVERR / IP_MTU, I connected UDP and ICMP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <signal.h>

static const char *en(int r)
{
	return r < 0 ? strerrorname_np(errno) : "ok";
}
static struct sockaddr_in sa(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}
static int soerr(int fd)
{
	int v = 0;
	socklen_t l = sizeof v;
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l);
	return v;
}
static int pev(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
	poll(&p, 1, 0);
	return p.revents;
}
#define R(expr)                                                                                    \
	do {                                                                                       \
		errno = 0;                                                                         \
		int r_ = (expr);                                                                   \
		printf("%-60s = %d %s\n", #expr, r_, en(r_));                                      \
	} while (0)

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sockaddr_in lis = sa("10.0.0.1", 5000), closed = sa("10.0.0.1", 5001),
			   dead = sa("10.0.0.77", 80);
	int L = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(L, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	R(bind(L, (void *)&lis, sizeof lis));
	R(listen(L, 8));
	puts("== A: shutdown on listener");
	for (int how = 0; how < 3; how++) {
		int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		struct sockaddr_in a = sa("10.0.0.1", 5100 + how);
		bind(l, (void *)&a, sizeof a);
		listen(l, 4);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		connect(c, (void *)&a, sizeof a);
		printf("how=%d\n", how);
		R(shutdown(l, how));
		printf("  soerr=%d pev=%#x\n", soerr(l), pev(l));
		R(accept(l, NULL, NULL));
		int c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c2, (void *)&a, sizeof a));
		usleep(100000);
		printf("  new client soerr=%d\n", soerr(c2));
		R(listen(l, 4));
		R(accept(l, NULL, NULL));
		char b[4];
		R((int)recv(c, b, 4, MSG_DONTWAIT));
		close(l);
		close(c);
		close(c2);
	}
	puts("== B: shutdown on connecting socket");
	for (int how = 0; how < 3; how++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&dead, sizeof dead));
		printf("how=%d\n", how);
		R(shutdown(c, how));
		printf("  soerr=%d pev=%#x\n", soerr(c), pev(c));
		R(shutdown(c, how));
		R(connect(c, (void *)&lis, sizeof lis));
		usleep(100000);
		printf("  pev=%#x soerr=%d\n", pev(c), soerr(c));
		R(connect(c, (void *)&lis, sizeof lis));
		close(c);
	}
	{
		puts("== B2: shutdown on connecting socket, no SO_ERROR read, then connect");
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&dead, sizeof dead));
		R(shutdown(c, SHUT_WR));
		R(connect(c, (void *)&lis, sizeof lis));
		R(connect(c, (void *)&lis, sizeof lis));
		usleep(100000);
		R(connect(c, (void *)&lis, sizeof lis));
		close(c);
	}
	puts("== C: shutdown on fresh socket");
	for (int how = 0; how < 3; how++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		printf("how=%d pev=%#x\n", how, pev(c));
		R(shutdown(c, how));
		printf("  pev=%#x\n", pev(c));
		R(listen(c, 1));
		close(c);
	}
	puts("== D: refused nonblocking connect");
	{
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&closed, sizeof closed));
		usleep(100000);
		printf("  pev=%#x\n", pev(c));
		R(connect(c, (void *)&closed, sizeof closed));
		R(connect(c, (void *)&closed, sizeof closed));
		usleep(100000);
		R(connect(c, (void *)&closed, sizeof closed));
		printf("  soerr=%d\n", soerr(c));
		R(connect(c, (void *)&closed, sizeof closed));
		close(c);
	}
	{
		puts("== D2: SO_ERROR read first");
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&closed, sizeof closed));
		usleep(100000);
		printf("  soerr=%d\n", soerr(c));
		R(connect(c, (void *)&closed, sizeof closed));
		R(connect(c, (void *)&closed, sizeof closed));
		close(c);
	}
	{
		puts("== D3: blocking refused connect then connect again");
		int c = socket(AF_INET, SOCK_STREAM, 0);
		R(connect(c, (void *)&closed, sizeof closed));
		R(connect(c, (void *)&closed, sizeof closed));
		R(connect(c, (void *)&lis, sizeof lis));
		R(connect(c, (void *)&lis, sizeof lis));
		close(accept(L, NULL, NULL));
		close(c);
	}
	{
		puts("== D4: refused, write/read");
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&closed, sizeof closed));
		usleep(100000);
		R((int)write(c, "x", 1));
		R((int)write(c, "x", 1));
		char b[4];
		R((int)read(c, b, 4));
		close(c);
	}
	puts("== E: completed nonblocking connect");
	{
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(c, (void *)&lis, sizeof lis));
		usleep(100000);
		R(connect(c, (void *)&lis, sizeof lis));
		R(connect(c, (void *)&lis, sizeof lis));
		R(connect(c, (void *)&closed, sizeof closed));
		int a = accept(L, NULL, NULL);
		close(a);
		close(c);
	}
	puts("== F: send after reset");
	int LF = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in lf = sa("10.0.0.1", 5300);
	bind(LF, (void *)&lf, sizeof lf);
	listen(LF, 8);
	for (int v = 0; v < 3; v++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		R(connect(c, (void *)&lf, sizeof lf));
		int a = accept(LF, NULL, NULL);
		struct linger lg = {1, 0};
		setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(a);
		usleep(100000);
		printf("variant %d pev=%#x\n", v, pev(c));
		char b[4];
		if (v == 0) {
			R((int)send(c, "x", 1, MSG_NOSIGNAL));
			R((int)send(c, "x", 1, MSG_NOSIGNAL));
			R((int)recv(c, b, 4, 0));
		}
		if (v == 1) {
			R((int)recv(c, b, 4, 0));
			R((int)send(c, "x", 1, MSG_NOSIGNAL));
			R((int)recv(c, b, 4, 0));
		}
		if (v == 2) {
			R(shutdown(c, SHUT_WR));
			R((int)send(c, "x", 1, MSG_NOSIGNAL));
			R((int)send(c, "x", 1, MSG_NOSIGNAL));
			R(connect(c, (void *)&lf, sizeof lf));
			R(shutdown(c, SHUT_RDWR));
		}
		close(c);
	}
	{
		puts("== F2: shut_wr then send (no reset)");
		int c = socket(AF_INET, SOCK_STREAM, 0);
		R(connect(c, (void *)&lf, sizeof lf));
		int a = accept(LF, NULL, NULL);
		R(shutdown(c, SHUT_WR));
		R((int)send(c, "x", 1, MSG_NOSIGNAL));
		close(a);
		close(c);
	}
	puts("== G: connect(AF_UNSPEC)");
	{
		struct sockaddr un = {.sa_family = AF_UNSPEC};
		int c = socket(AF_INET, SOCK_STREAM, 0);
		R(connect(c, &un, sizeof un));
		printf("  fresh soerr=%d\n", soerr(c));
		R(connect(c, (void *)&lf, sizeof lf));
		int a = accept(LF, NULL, NULL);
		struct sockaddr_in me;
		socklen_t ml = sizeof me;
		getsockname(c, (void *)&me, &ml);
		printf("  port before %d\n", ntohs(me.sin_port));
		R(connect(c, &un, sizeof un));
		printf("  soerr=%d pev=%#x\n", soerr(c), pev(c));
		ml = sizeof me;
		getsockname(c, (void *)&me, &ml);
		printf("  port after %d addr %s\n", ntohs(me.sin_port), inet_ntoa(me.sin_addr));
		usleep(100000);
		char b[4];
		R((int)recv(a, b, 4, MSG_DONTWAIT));
		R((int)send(c, "x", 1, MSG_NOSIGNAL));
		R((int)recv(c, b, 4, MSG_DONTWAIT));
		R(getpeername(c, (void *)&me, &ml));
		R(connect(c, (void *)&lf, sizeof lf));
		int a2 = accept(LF, NULL, NULL);
		printf("  reconnected accept=%d\n", a2 >= 0);
		close(a2);
		close(a);
		R(connect(c, &un, 4));
		R(connect(c, &un, 1));
		close(c);
		int l = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in x = sa("10.0.0.1", 5200);
		bind(l, (void *)&x, sizeof x);
		listen(l, 4);
		R(connect(l, &un, sizeof un));
		R(accept(l, NULL, NULL));
		R(listen(l, 4));
		close(l);
		int d = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		R(connect(d, (void *)&dead, sizeof dead));
		R(connect(d, &un, sizeof un));
		printf("  soerr=%d\n", soerr(d));
		R(connect(d, (void *)&dead, sizeof dead));
		close(d);
	}
	puts("== H: options");
	{
		int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
		int v;
		socklen_t l = sizeof v;
		R(getsockopt(t, IPPROTO_IP, IP_MTU_DISCOVER, &v, &l));
		printf("  tcp pmtudisc %d\n", v);
		l = sizeof v;
		R(getsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, &l));
		printf("  udp pmtudisc %d\n", v);
		l = sizeof v;
		R(getsockopt(u, IPPROTO_IP, IP_RECVERR, &v, &l));
		printf("  recverr %d\n", v);
		l = sizeof v;
		R(getsockopt(u, IPPROTO_IP, IP_MTU, &v, &l));
		R(getsockopt(t, IPPROTO_IP, IP_MTU, &v, &l));
		v = 6;
		R(setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v));
		v = -1;
		R(setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v));
		v = 5;
		R(setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof v));
		v = 3;
		R(setsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, 1));
		l = sizeof v;
		getsockopt(u, IPPROTO_IP, IP_MTU_DISCOVER, &v, &l);
		printf("  after 1-byte set %d\n", v);
		v = 2;
		R(setsockopt(u, IPPROTO_IP, IP_RECVERR, &v, sizeof v));
		l = sizeof v;
		getsockopt(u, IPPROTO_IP, IP_RECVERR, &v, &l);
		printf("  recverr after set 2: %d\n", v);
		connect(u, (void *)&closed, sizeof closed);
		l = sizeof v;
		R(getsockopt(u, IPPROTO_IP, IP_MTU, &v, &l));
		printf("  udp ip_mtu %d\n", v);
		close(t);
		close(u);
	}
	puts("== I: connected UDP to closed port");
	{
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in cp = sa("10.0.0.1", 5999);
		R(connect(u, (void *)&cp, sizeof cp));
		R((int)send(u, "x", 1, 0));
		usleep(100000);
		printf("  pev=%#x\n", pev(u));
		R((int)send(u, "x", 1, 0));
		R((int)send(u, "x", 1, 0));
		usleep(100000);
		char b[4];
		R((int)recv(u, b, 4, MSG_DONTWAIT));
		R((int)recv(u, b, 4, MSG_DONTWAIT));
		close(u);
		int w = socket(AF_INET, SOCK_DGRAM, 0);
		R((int)sendto(w, "x", 1, 0, (void *)&cp, sizeof cp));
		usleep(100000);
		printf("  unconnected pev=%#x soerr=%d\n", pev(w), soerr(w));
		close(w);
		int z = socket(AF_INET, SOCK_DGRAM, 0);
		int on = 1;
		setsockopt(z, IPPROTO_IP, IP_RECVERR, &on, sizeof on);
		R((int)sendto(z, "x", 1, 0, (void *)&cp, sizeof cp));
		usleep(100000);
		printf("  recverr unconnected pev=%#x\n", pev(z));
		R((int)recv(z, b, 4, MSG_DONTWAIT));
		R((int)recv(z, b, 4, MSG_DONTWAIT | MSG_ERRQUEUE));
		R((int)recv(z, b, 4, MSG_DONTWAIT));
		printf("  soerr=%d\n", soerr(z));
		close(z);
	}
	return 0;
}
