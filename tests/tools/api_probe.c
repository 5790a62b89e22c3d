/*
 * api_probe.c - drives the ts_ API from outside, as a program linking the
 * library would, on a real TAP against the kernel as the peer (the
 * t_api.sh TAP suite runs it in a network namespace).  Only the public
 * tapstack.h for the calls; tap.h, nl.h and pcap_tee.h to get a link.
 *
 *   api_probe [--pcap FILE] client IP PORT   active open to an echo server
 *   api_probe [--pcap FILE] server PORT      passive open, echo one client
 *   api_probe [--pcap FILE] udp IP PORT      datagrams to a UDP echo server
 *
 * Each run creates tap0 (kernel side 10.0.0.1/24, the stack 10.0.0.2/24),
 * makes blocking calls that drive the stack, prints "ok WHAT" or
 * "FAIL WHAT: detail" per check, and exits 0 only when every check passed.
 * The suite checks on the wire (tshark) what the options put there.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nl.h"
#include "pcap_tee.h"
#include "stack.h"
#include "tap.h"
#include "tapstack.h"

/* What the probe's sockets ask for; t_api.sh looks for these on the wire. */
#define PROBE_TOS  0xb8
#define PROBE_TTL  33
#define PROBE_MSS  1000
#define UDP_TOS	   0x2d
#define STREAM_LEN 200000

static int failures;

static void check(int ok, const char *what, const char *fmt, ...)
{
	if (ok) {
		printf("ok   %s\n", what);
	} else {
		va_list ap;
		printf("FAIL %s: ", what);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf(" (errno %s)\n", strerrorname_np(errno) ? strerrorname_np(errno) : "0");
		failures++;
	}
	fflush(stdout);
}

static void pattern(uint8_t *p, size_t n, size_t from)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((from + i) % 251);
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = inet_addr(ip);
	return a;
}

/* Active open with IP_TOS, IP_TTL, TCP_MAXSEG and SO_LINGER, vectors out, MSG_WAITALL in. */
static void run_client(struct stack *st, const char *ip, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_STREAM, 0);
	int tos = PROBE_TOS, ttl = PROBE_TTL, mss = PROBE_MSS;
	struct linger lg = {1, 5};
	check(ts_setsockopt(st, fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) == 0, "IP_TOS", "");
	check(ts_setsockopt(st, fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == 0, "IP_TTL", "");
	check(ts_setsockopt(st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) == 0, "TCP_MAXSEG",
	      "");
	check(ts_setsockopt(st, fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER", "");
	struct sockaddr_in to = sin_of(ip, port);
	int r = ts_connect(st, fd, (struct sockaddr *)&to, sizeof(to));
	check(r == 0, "blocking connect", "returned %d", r);
	if (r < 0)
		return;
	socklen_t len = sizeof(mss);
	ts_getsockopt(st, fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len);
	check(mss == PROBE_MSS - 12, "TCP_MAXSEG after connect is 988", "got %d", mss);
	struct tcp_info ti;
	len = sizeof(ti);
	r = ts_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	check(r == 0 && ti.tcpi_state == 1 && ti.tcpi_snd_mss == PROBE_MSS - 12 &&
		  (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) && (ti.tcpi_options & TCPI_OPT_SACK),
	      "TCP_INFO: ESTABLISHED, snd_mss 988, timestamps and SACK with Linux",
	      "state %u snd_mss %u options %#x", ti.tcpi_state, ti.tcpi_snd_mss, ti.tcpi_options);

	static uint8_t out[STREAM_LEN + 1000], in[STREAM_LEN + 1000];
	pattern(out, sizeof(out), 0);
	struct iovec wv[3] = {{out, 1}, {out + 1, 99999}, {out + 100000, STREAM_LEN - 100000}};
	ssize_t n = ts_writev(st, fd, wv, 3);
	check(n == STREAM_LEN, "blocking writev of 200000 bytes in 3 vectors", "returned %zd", n);
	struct iovec sv[2] = {{out + STREAM_LEN, 400}, {out + STREAM_LEN + 400, 600}};
	struct msghdr m = {.msg_iov = sv, .msg_iovlen = 2};
	n = ts_sendmsg(st, fd, &m, MSG_NOSIGNAL);
	check(n == 1000, "sendmsg of 1000 bytes in 2 vectors", "returned %zd", n);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	r = ts_poll(st, &p, 1, 5000);
	check(r == 1 && (p.revents & POLLIN), "poll: the echo is readable", "r %d revents %#x", r,
	      p.revents);
	n = ts_recv(st, fd, in, sizeof(in), MSG_WAITALL);
	check(n == (ssize_t)sizeof(in) && memcmp(in, out, sizeof(in)) == 0,
	      "recv MSG_WAITALL: 201000 bytes echoed byte-exact", "returned %zd", n);
	int q = -1;
	ts_ioctl(st, fd, FIONREAD, &q);
	check(q == 0, "FIONREAD 0 after reading everything", "got %d", q);
	len = sizeof(ti);
	ts_getsockopt(st, fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	check(ti.tcpi_bytes_acked == STREAM_LEN + 1000 + 1 &&
		  ti.tcpi_bytes_received == sizeof(in) && ti.tcpi_rtt > 0,
	      "TCP_INFO: bytes acked and received, an RTT sample",
	      "acked %llu received %llu rtt %u", (unsigned long long)ti.tcpi_bytes_acked,
	      (unsigned long long)ti.tcpi_bytes_received, ti.tcpi_rtt);
	/* SO_LINGER: close returns once the kernel acknowledged the FIN, well within 5 s. */
	uint64_t start = ts_now_us(st);
	r = ts_close(st, fd);
	ts_poll(st, NULL, 0, 0); /* the clock moves with the stack */
	uint64_t took = ts_now_us(st) - start;
	check(r == 0 && took < 2000000, "SO_LINGER close returns when the FIN is acknowledged",
	      "r %d took %llu us", r, (unsigned long long)took);
	printf("linger close took %llu us\n", (unsigned long long)took);
}

/* Passive open: SO_RCVLOWAT, poll, FIONREAD, MSG_PEEK, readv, MSG_WAITALL; echo back. */
static void run_server(struct stack *st, uint16_t port)
{
	int l = ts_socket(st, AF_INET, SOCK_STREAM, 0);
	int one = 1;
	ts_setsockopt(st, l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in any = sin_of("0.0.0.0", port);
	check(ts_bind(st, l, (struct sockaddr *)&any, sizeof(any)) == 0 && ts_listen(st, l, 4) == 0,
	      "listen", "");
	printf("listening\n");
	fflush(stdout);
	int fd = ts_accept(st, l, NULL, NULL);
	check(fd >= 0, "blocking accept", "returned %d", fd);
	if (fd < 0)
		return;
	int lowat = 1000;
	ts_setsockopt(st, fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = ts_poll(st, &p, 1, 10000);
	int q = -1;
	ts_ioctl(st, fd, FIONREAD, &q);
	check(r == 1 && q >= lowat, "poll with SO_RCVLOWAT 1000: readable with >= 1000 bytes",
	      "r %d FIONREAD %d", r, q);
	enum { TOTAL = 100000 };
	static uint8_t in[TOTAL], want[TOTAL];
	pattern(want, TOTAL, 7);
	ssize_t n = ts_recv(st, fd, in, 10, MSG_PEEK);
	check(n == 10 && memcmp(in, want, 10) == 0, "MSG_PEEK", "returned %zd", n);
	struct iovec rv[3] = {{in, 3}, {in + 3, 500}, {in + 503, 497}};
	n = ts_readv(st, fd, rv, 3);
	check(n == 1000 && memcmp(in, want, 1000) == 0, "readv: 1000 bytes in 3 vectors",
	      "returned %zd", n);
	struct iovec rest = {in + 1000, TOTAL - 1000};
	struct msghdr m = {.msg_iov = &rest, .msg_iovlen = 1};
	n = ts_recvmsg(st, fd, &m, MSG_WAITALL);
	check(n == TOTAL - 1000 && memcmp(in, want, TOTAL) == 0 && m.msg_flags == 0,
	      "recvmsg MSG_WAITALL: the other 99000 bytes", "returned %zd", n);
	struct iovec wv[2] = {{in, TOTAL / 2}, {in + TOTAL / 2, TOTAL / 2}};
	n = ts_writev(st, fd, wv, 2);
	check(n == TOTAL, "blocking writev back", "returned %zd", n);
	char x;
	n = ts_read(st, fd, &x, 1);
	check(n == 0, "end of stream after the client's FIN", "returned %zd", n);
	ts_close(st, fd);
	ts_close(st, l);
}

/* Datagrams: sendmsg/recvmsg with names, MSG_TRUNC, IP_TOS, SO_BROADCAST. */
static void run_udp(struct stack *st, const char *ip, uint16_t port)
{
	int fd = ts_socket(st, AF_INET, SOCK_DGRAM, 0);
	int tos = UDP_TOS, ttl = PROBE_TTL;
	ts_setsockopt(st, fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	ts_setsockopt(st, fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	struct sockaddr_in to = sin_of(ip, port);
	struct iovec wv[3] = {{"tap", 3}, {"stack ", 6}, {"datagram", 8}};
	struct msghdr sm = {
	    .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = wv, .msg_iovlen = 3};
	ssize_t n = ts_sendmsg(st, fd, &sm, 0);
	check(n == 17, "sendmsg: one datagram from 3 vectors", "returned %zd", n);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = ts_poll(st, &p, 1, 5000);
	int q = -1;
	ts_ioctl(st, fd, FIONREAD, &q);
	check(r == 1 && q == 17, "poll, then FIONREAD: the echo's size", "r %d FIONREAD %d", r, q);
	char a[5], b[32];
	struct iovec rv[2] = {{a, 5}, {b, sizeof(b)}};
	struct sockaddr_in from = {0};
	struct msghdr rm = {
	    .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = rv, .msg_iovlen = 2};
	n = ts_recvmsg(st, fd, &rm, 0);
	check(n == 17 && memcmp(a, "tapst", 5) == 0 && memcmp(b, "ack datagram", 12) == 0 &&
		  from.sin_addr.s_addr == to.sin_addr.s_addr && from.sin_port == to.sin_port &&
		  rm.msg_namelen == sizeof(from),
	      "recvmsg: the echo, scattered, with its sender", "returned %zd", n);
	static char big[100];
	memset(big, 'z', sizeof(big));
	ts_sendto(st, fd, big, sizeof(big), 0, (struct sockaddr *)&to, sizeof(to));
	r = ts_poll(st, &p, 1, 5000);
	rv[0] = (struct iovec){b, 10};
	rm.msg_iovlen = 1;
	n = ts_recvmsg(st, fd, &rm, MSG_TRUNC);
	check(n == 100 && rm.msg_flags == MSG_TRUNC,
	      "MSG_TRUNC: the real length, msg_flags says cut", "returned %zd flags %#x", n,
	      rm.msg_flags);
	struct sockaddr_in bc = sin_of("10.0.0.255", port);
	n = ts_sendto(st, fd, "b", 1, 0, (struct sockaddr *)&bc, sizeof(bc));
	check(n == -1 && errno == EACCES, "broadcast without SO_BROADCAST: EACCES", "returned %zd",
	      n);
	int one = 1;
	ts_setsockopt(st, fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	n = ts_sendto(st, fd, "b", 1, 0, (struct sockaddr *)&bc, sizeof(bc));
	check(n == 1, "broadcast with SO_BROADCAST", "returned %zd", n);
	ts_close(st, fd);
}

int main(int argc, char **argv)
{
	const char *pcap = NULL;
	int i = 1;
	if (argc > 2 && strcmp(argv[1], "--pcap") == 0) {
		pcap = argv[2];
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: api_probe [--pcap FILE] client IP PORT | server PORT | "
				"udp IP PORT\n");
		return 2;
	}
	char err[256];
	struct netdev *dev = tap_open("tap0", err, sizeof(err));
	if (!dev) {
		fprintf(stderr, "api_probe: %s\n", err);
		return 1;
	}
	if (nl_configure_link("tap0", 1500, 0x0a000001, 24, err, sizeof(err)) < 0) {
		fprintf(stderr, "api_probe: configuring tap0: %s\n", err);
		netdev_destroy(dev);
		return 1;
	}
	if (pcap) {
		struct netdev *tee = pcap_tee_wrap(dev, pcap, err, sizeof(err));
		if (!tee) {
			fprintf(stderr, "api_probe: --pcap %s: %s\n", pcap, err);
			netdev_destroy(dev);
			return 1;
		}
		dev = tee;
	}
	struct ts_config cfg;
	ts_config_default(&cfg);
	struct stack st;
	int r = stack_init(&st, &cfg, dev, ts_clock_us());
	if (r < 0) {
		fprintf(stderr, "api_probe: starting the stack: %s\n", strerror(-r));
		netdev_destroy(dev);
		return 1;
	}
	const char *cmd = argv[i];
	if (strcmp(cmd, "client") == 0 && argc - i == 3)
		run_client(&st, argv[i + 1], (uint16_t)atoi(argv[i + 2]));
	else if (strcmp(cmd, "server") == 0)
		run_server(&st, (uint16_t)atoi(argv[i + 1]));
	else if (strcmp(cmd, "udp") == 0 && argc - i == 3)
		run_udp(&st, argv[i + 1], (uint16_t)atoi(argv[i + 2]));
	else
		check(0, "command", "unknown '%s'", cmd);
	/* Let the last FINs and ACKs cross before the TAP goes away. */
	struct pollfd none;
	ts_poll(&st, &none, 0, 300);
	stack_destroy(&st);
	netdev_destroy(dev);
	return failures ? 1 : 0;
}
