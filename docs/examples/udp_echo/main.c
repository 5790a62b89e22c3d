/*
 * main.c - a UDP echo server on the ts_ API, using only the installed
 * header: every datagram received on PORT (default 7) goes back to its
 * sender, with an epoll-style loop (ts_epoll_wait drives the stack).
 *
 *   cc main.c $(pkg-config --cflags --libs tapstack) -o udp_echo
 *   udp_echo [--tap NAME] [--ip ADDR/LEN] [--port N] [--count N]
 *
 * From the kernel side: echo hi | nc -u -w 1 10.0.0.2 7.  It stops after
 * --count datagrams (0, the default: never) or on SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapstack.h>

static volatile int stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct ts_stack_config cfg = {.stop = &stop};
	const char *tap = "tap0";
	long port = 7, count = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap") && i + 1 < argc) {
			tap = argv[++i];
		} else if (!strcmp(argv[i], "--ip") && i + 1 < argc) {
			cfg.ip = argv[++i];
		} else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
			port = strtol(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
			count = strtol(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: udp_echo [--tap NAME] [--ip ADDR/LEN] [--port N] "
					"[--count N]\n");
			return 2;
		}
	}
	if (port < 1 || port > 65535 || count < 0) {
		fprintf(stderr, "udp_echo: bad --port or --count\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char err[1024];
	struct stack *st = ts_open_tap(tap, &cfg, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "udp_echo: %s\n", err);
		return 1;
	}
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = ts_socket(st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int ep = ts_epoll_create1(st, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	if (fd < 0 || ep < 0 || ts_bind(st, fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ts_epoll_ctl(st, ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		fprintf(stderr, "udp_echo: port %ld: %s\n", port, strerror(errno));
		ts_stack_close(st);
		return 1;
	}
	fprintf(stderr, "udp_echo: echoing UDP port %ld on %s\n", port, tap);
	long echoed = 0;
	while (!stop && (count == 0 || echoed < count)) {
		struct epoll_event out;
		if (ts_epoll_wait(st, ep, &out, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "udp_echo: epoll_wait: %s\n", strerror(errno));
			break;
		}
		char buf[65536];
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		while ((n = ts_recvfrom(st, fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					&flen)) >= 0) {
			ts_sendto(st, fd, buf, (size_t)n, 0, (struct sockaddr *)&from, flen);
			echoed++;
			flen = sizeof(from);
		}
	}
	fprintf(stderr, "udp_echo: %ld datagrams echoed\n", echoed);
	ts_close(st, ep);
	ts_close(st, fd);
	ts_stack_close(st);
	return 0;
}
