/*
 * fuzz_frames.c - libFuzzer harness: the input is a sequence of frames, so
 * fragments that belong together and TCP segments of one connection reach
 * the stack in one run, with an application on the ts_ API between frames.
 *
 * Input format, repeated until the input ends (at most MAX_RECORDS):
 *
 *   op (1 byte)  len (2 bytes, big-endian)  frame (len bytes; fewer if the input ends)
 *
 *   op bit 0     repair the frame's IPv4 header and transport checksums
 *                (or, over IPv6, the transport's)
 *   op bit 1     set a TCP segment's ACK to what the stack sent last on that
 *                connection (fz_patch_ack), so handshakes complete without
 *                the fuzzer guessing the ISS; done before the checksum repair
 *   op bits 2-4  clock advance before the frame is polled:
 *                0, 1 ms, 10 ms, 200 ms, 1 s, 3 s, 30 s, 130 s
 *   op bits 5-7  what the application does after the frame (enum app_op)
 *
 * Per input: a fresh stack (seed 1, clock at 1 s, 8 KiB TCP buffers so
 * windows fill and close), an ARP request from the peer 10.0.0.1 so the
 * stack knows its MAC, a non-blocking TCP listener on 8080 and a UDP socket
 * on 7, both in one epoll set; then the records; then the application
 * closes every connection, the clock runs through the pending deadlines,
 * and the stack is torn down.  tests/fuzz/seed.sh writes seeds in this
 * format from tests/frames/.
 *
 * Invariants: those of fuzz_common.h, and every ts_ call either succeeds
 * or fails with an errno the API documents for it.
 */
#include <errno.h>
#include <string.h>

#include "byteorder.h"
#include "tapstack.h"
#include "fuzz_common.h"

#define MAX_RECORDS 64
#define MAX_CONNS   8
#define IO_CHUNK    4096

enum app_op {
	APP_NONE,     /* nothing */
	APP_ACCEPT,   /* accept every pending connection */
	APP_ECHO,     /* read every connection, write back what was read */
	APP_WRITE,    /* write 3000 bytes on the newest connection */
	APP_CLOSE,    /* close the oldest connection */
	APP_SHUTDOWN, /* shutdown(SHUT_WR) the newest connection */
	APP_UDP_ECHO, /* echo every waiting datagram */
	APP_EPOLL,    /* one epoll_wait(0) round, acting on each event */
};

static const uint64_t advance_us[8] = {
    0, 1000, 10000, 200000, 1000000, 3000000, 30000000, 130000000,
};

/* The application's state for one input. */
struct app {
	struct fz_stack f;
	int lfd, ufd, epfd;
	int conn[MAX_CONNS]; /* accepted descriptors, oldest first */
	int nconn;
};

/*
 * A failing ts_ call must leave an errno Linux gives for that situation
 * (a UDP reply to an off-link source without a gateway is ENETUNREACH, as
 * in the kernel); EBADF, EFAULT, ENOTSOCK and the like mean the stack lost
 * track of a descriptor the application still holds.
 */
static void check_errno(const char *call, int r)
{
	if (r >= 0)
		return;
	FZ_CHECK(errno == EAGAIN || errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN ||
		     errno == ETIMEDOUT || errno == ECONNREFUSED || errno == ECONNABORTED ||
		     errno == EINVAL || errno == ENOBUFS || errno == ENOMEM ||
		     errno == EHOSTUNREACH || errno == ENETUNREACH || errno == EMSGSIZE ||
		     errno == EACCES || errno == EADDRNOTAVAIL,
		 "%s failed with errno %d (%s)", call, errno, strerror(errno));
}

static void cfg_edit(struct ts_config *cfg)
{
	cfg->tcp_rcvbuf = 8192;
	cfg->tcp_sndbuf = 8192;
	cfg->tcp_max_syn_backlog = 8;
}

static void app_open(struct app *a)
{
	struct stack *st = &a->f.st;
	/* [::] without IPV6_V6ONLY, as the servers: IPv4 and IPv6 frames both reach them. */
	struct sockaddr_in6 sin = {.sin6_family = AF_INET6};
	int one = 1;

	a->nconn = 0;
	a->lfd = ts_socket(st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	FZ_CHECK(a->lfd >= 0, "ts_socket TCP: %s", strerror(errno));
	FZ_CHECK(ts_setsockopt(st, a->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0,
		 "SO_REUSEADDR: %s", strerror(errno));
	sin.sin6_port = htons(8080);
	FZ_CHECK(ts_bind(st, a->lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0, "bind 8080: %s",
		 strerror(errno));
	FZ_CHECK(ts_listen(st, a->lfd, 4) == 0, "listen: %s", strerror(errno));

	a->ufd = ts_socket(st, AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	FZ_CHECK(a->ufd >= 0, "ts_socket UDP: %s", strerror(errno));
	sin.sin6_port = htons(7);
	FZ_CHECK(ts_bind(st, a->ufd, (struct sockaddr *)&sin, sizeof(sin)) == 0, "bind 7: %s",
		 strerror(errno));

	a->epfd = ts_epoll_create1(st, 0);
	FZ_CHECK(a->epfd >= 0, "epoll_create1: %s", strerror(errno));
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = a->lfd};
	FZ_CHECK(ts_epoll_ctl(st, a->epfd, EPOLL_CTL_ADD, a->lfd, &ev) == 0, "epoll_ctl: %s",
		 strerror(errno));
	ev.data.fd = a->ufd;
	FZ_CHECK(ts_epoll_ctl(st, a->epfd, EPOLL_CTL_ADD, a->ufd, &ev) == 0, "epoll_ctl: %s",
		 strerror(errno));
}

static void app_accept(struct app *a)
{
	struct stack *st = &a->f.st;
	while (a->nconn < MAX_CONNS) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);
		int fd = ts_accept4(st, a->lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK);
		if (fd < 0) {
			check_errno("accept4", fd);
			return;
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = fd};
		FZ_CHECK(ts_epoll_ctl(st, a->epfd, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl: %s",
			 strerror(errno));
		a->conn[a->nconn++] = fd;
	}
}

static void app_close_at(struct app *a, int i)
{
	FZ_CHECK(ts_close(&a->f.st, a->conn[i]) == 0, "close: %s", strerror(errno));
	memmove(&a->conn[i], &a->conn[i + 1], (size_t)(a->nconn - i - 1) * sizeof(a->conn[0]));
	a->nconn--;
}

/* Reads what connection i holds and writes it back (RFC 862 echo). */
static void app_echo_one(struct app *a, int i)
{
	static uint8_t buf[IO_CHUNK];
	struct stack *st = &a->f.st;
	for (int round = 0; round < 4; round++) {
		ssize_t n = ts_read(st, a->conn[i], buf, sizeof(buf));
		if (n <= 0) {
			check_errno("read", (int)n);
			return;
		}
		check_errno("write", (int)ts_write(st, a->conn[i], buf, (size_t)n));
	}
}

static void app_write(struct app *a)
{
	static uint8_t pattern[3000];
	if (!a->nconn)
		return;
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % 251);
	check_errno("write",
		    (int)ts_write(&a->f.st, a->conn[a->nconn - 1], pattern, sizeof(pattern)));
}

static void app_udp_echo(struct app *a)
{
	static uint8_t buf[2048];
	struct stack *st = &a->f.st;
	for (int round = 0; round < 4; round++) {
		struct sockaddr_in6 from;
		socklen_t flen = sizeof(from);
		ssize_t n =
		    ts_recvfrom(st, a->ufd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			check_errno("recvfrom", (int)n);
			return;
		}
		check_errno("sendto", (int)ts_sendto(st, a->ufd, buf, (size_t)n, 0,
						     (struct sockaddr *)&from, flen));
	}
}

static int conn_index(const struct app *a, int fd)
{
	for (int i = 0; i < a->nconn; i++)
		if (a->conn[i] == fd)
			return i;
	return -1;
}

static void app_epoll(struct app *a)
{
	struct epoll_event evs[MAX_CONNS + 2];
	int n = ts_epoll_wait(&a->f.st, a->epfd, evs, MAX_CONNS + 2, 0);
	FZ_CHECK(n >= 0, "epoll_wait: %s", strerror(errno));
	for (int e = 0; e < n; e++) {
		int fd = evs[e].data.fd;
		if (fd == a->lfd) {
			app_accept(a);
			continue;
		}
		if (fd == a->ufd) {
			app_udp_echo(a);
			continue;
		}
		int i = conn_index(a, fd);
		if (i < 0)
			continue; /* closed by an earlier event of this round */
		if (evs[e].events & EPOLLIN)
			app_echo_one(a, i);
		if (evs[e].events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			app_close_at(a, i);
	}
}

static void app_run(struct app *a, enum app_op op)
{
	switch (op) {
	case APP_NONE:
		break;
	case APP_ACCEPT:
		app_accept(a);
		break;
	case APP_ECHO:
		for (int i = 0; i < a->nconn; i++)
			app_echo_one(a, i);
		break;
	case APP_WRITE:
		app_write(a);
		break;
	case APP_CLOSE:
		if (a->nconn)
			app_close_at(a, 0);
		break;
	case APP_SHUTDOWN:
		if (a->nconn)
			check_errno("shutdown",
				    ts_shutdown(&a->f.st, a->conn[a->nconn - 1], SHUT_WR));
		break;
	case APP_UDP_ECHO:
		app_udp_echo(a);
		break;
	case APP_EPOLL:
		app_epoll(a);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct app a; /* one per process, re-initialised per input */
	static uint8_t frame[65536];
	size_t off = 0;

	fz_stack_init(&a.f, cfg_edit);
	fz_learn_peer(&a.f);
	app_open(&a);

	for (int rec = 0; rec < MAX_RECORDS && off + 3 <= size; rec++) {
		uint8_t op = data[off];
		size_t len = get_be16(data + off + 1);
		off += 3;
		if (len > size - off)
			len = size - off;
		memcpy(frame, data + off, len);
		off += len;
		if (op & 0x02)
			fz_patch_ack(a.f.dev, frame, len);
		if (op & 0x01)
			fz_fix_checksums(frame, len);
		fz_inject(&a.f, frame, len);
		fz_step(&a.f, advance_us[(op >> 2) & 7]);
		app_run(&a, (enum app_op)(op >> 5));
	}

	/* The application exits: close everything, let FIN/RST and timers run out. */
	while (a.nconn)
		app_close_at(&a, a.nconn - 1);
	FZ_CHECK(ts_close(&a.f.st, a.ufd) == 0, "close UDP: %s", strerror(errno));
	FZ_CHECK(ts_close(&a.f.st, a.lfd) == 0, "close listener: %s", strerror(errno));
	FZ_CHECK(ts_close(&a.f.st, a.epfd) == 0, "close epoll: %s", strerror(errno));
	fz_drain_timers(&a.f, 256);
	fz_stack_free(&a.f);
	return 0;
}
