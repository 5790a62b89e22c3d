/*
 * holdconns.c - opens N keep-alive connections to an HTTP server, makes one
 * GET /hello on each (so the server has accepted it and answered, as a real
 * idle keep-alive client would have), then holds them all open and idle
 * until SIGTERM or SIGINT.  Used by `make bench` to measure
 * the server's memory per idle established connection.
 *
 *   holdconns IP PORT N [TIMEOUT_S]
 *
 * Prints "held H failed F" on stdout once every connection has either
 * answered or failed (or TIMEOUT_S, default 60, passed); on exit prints
 * "still-open K" after checking that no held connection was closed by the
 * server meanwhile.  Connects are non-blocking, at most 128 in flight, so
 * the server's listen backlog is never the limit being measured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_FLIGHT 128

enum { C_CONNECTING, C_WAITING, C_HELD, C_FAILED };

struct hc {
	int fd;
	int state;
	char tail[14]; /* the last bytes received, to spot the end of the body */
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
	(void)sig;
	g_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char REQ[] = "GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n";

static int start(struct hc *c, const struct sockaddr_in *a, int ep, int idx)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->state = C_FAILED;
		return -1;
	}
	if (connect(c->fd, (const struct sockaddr *)a, sizeof(*a)) < 0 && errno != EINPROGRESS) {
		close(c->fd);
		c->state = C_FAILED;
		return -1;
	}
	c->state = C_CONNECTING;
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = (uint32_t)idx};
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	return 0;
}

static void fail(struct hc *c, int ep)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->state = C_FAILED;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: holdconns IP PORT N [TIMEOUT_S]\n");
		return 2;
	}
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "holdconns: bad address %s\n", argv[1]);
		return 2;
	}
	int n = atoi(argv[3]);
	double timeout = argc > 4 ? atof(argv[4]) : 60;
	if (n <= 0)
		return 2;

	struct rlimit rl = {.rlim_cur = (rlim_t)n + 64, .rlim_max = (rlim_t)n + 64};
	struct rlimit cur;
	getrlimit(RLIMIT_NOFILE, &cur);
	if (cur.rlim_max > rl.rlim_max)
		rl.rlim_max = cur.rlim_max;
	if (cur.rlim_cur < rl.rlim_cur && setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		perror("holdconns: setrlimit(RLIMIT_NOFILE)");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct hc *cs = calloc((size_t)n, sizeof(*cs));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int next = 0, inflight = 0, held = 0, failed = 0;
	double deadline = now_s() + timeout;
	struct epoll_event evs[256];

	while (held + failed < n && now_s() < deadline && !g_stop) {
		while (inflight < IN_FLIGHT && next < n) {
			if (start(&cs[next], &a, ep, next) == 0)
				inflight++;
			else
				failed++;
			next++;
		}
		int k = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < k; i++) {
			struct hc *c = &cs[evs[i].data.u32];
			if (c->state == C_CONNECTING && (evs[i].events & (EPOLLOUT | EPOLLERR))) {
				int err = 0;
				socklen_t el = sizeof(err);
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err || write(c->fd, REQ, sizeof(REQ) - 1) !=
					       (ssize_t)sizeof(REQ) - 1) {
					fail(c, ep);
					inflight--;
					failed++;
					continue;
				}
				c->state = C_WAITING;
				struct epoll_event ev = {.events = EPOLLIN,
							 .data.u32 = evs[i].data.u32};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				continue;
			}
			if (c->state == C_WAITING &&
			    (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
				char buf[4096];
				ssize_t r = read(c->fd, buf, sizeof(buf));
				if (r <= 0) {
					fail(c, ep);
					inflight--;
					failed++;
					continue;
				}
				/* The answer ends with the body "Hello, world!\n"; it may
				 * arrive in pieces, so keep the last 14 bytes seen. */
				if (r >= 14) {
					memcpy(c->tail, buf + r - 14, 14);
				} else {
					memmove(c->tail, c->tail + r, (size_t)(14 - r));
					memcpy(c->tail + 14 - r, buf, (size_t)r);
				}
				if (memcmp(c->tail, "Hello, world!\n", 14) == 0) {
					/* Held: leave it registered for nothing, idle. */
					epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
					c->state = C_HELD;
					inflight--;
					held++;
				}
			}
		}
	}
	/* Whatever did not finish in time counts as failed. */
	for (int i = 0; i < next; i++)
		if (cs[i].state == C_CONNECTING || cs[i].state == C_WAITING) {
			fail(&cs[i], ep);
			failed++;
		}
	failed += n - next;
	printf("held %d failed %d\n", held, failed);
	fflush(stdout);

	/* Hold until told to stop (the handler only sets g_stop). */
	while (!g_stop)
		poll(NULL, 0, 200);
	/* A held connection the server closed reads EOF (or an error) now. */
	int open = 0;
	for (int i = 0; i < n; i++) {
		if (cs[i].state != C_HELD)
			continue;
		char b[1];
		ssize_t r = recv(cs[i].fd, b, 1, MSG_DONTWAIT);
		if (r < 0 && errno == EAGAIN)
			open++;
		close(cs[i].fd);
	}
	printf("still-open %d\n", open);
	return 0;
}
