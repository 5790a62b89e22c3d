/*
 * upload.c - the upload figure of `make bench`: one TCP connection to a
 * discard service (RFC 863, port 9), N bytes written as fast as the kernel
 * takes them, then the write side shut; the clock stops when the server's
 * FIN arrives, i.e. after it received (and dropped) every byte.
 *
 *   upload IP PORT BYTES [TIMEOUT_S]
 *
 * Prints "bytes N", "seconds S", "MBps X" (10^6 bytes per MB) for
 * tools/bench/bench.sh; exit 1 with a one-line reason when the connection
 * fails, ends early or the timeout passes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: upload IP PORT BYTES [TIMEOUT_S]\n");
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "upload: bad address %s\n", argv[1]);
		return 2;
	}
	unsigned long long total = strtoull(argv[3], NULL, 10);
	double timeout = argc > 4 ? atof(argv[4]) : 120;
	static char buf[1 << 20];
	/* Byte i is i % 251, as /bytes/N: nothing a compressor would notice. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i % 251);

	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	double t0 = now_s(), end = t0 + timeout;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "upload: connect %s:%s: %s\n", argv[1], argv[2], strerror(errno));
		return 1;
	}
	unsigned long long sent = 0;
	while (sent < total) {
		size_t n = total - sent < sizeof(buf) ? (size_t)(total - sent) : sizeof(buf);
		/* Keep the pattern's phase: start at sent % 251 within the buffer. */
		size_t off = (size_t)(sent % 251);
		if (n > sizeof(buf) - off)
			n = sizeof(buf) - off;
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, 1000) < 0 || now_s() > end) {
			fprintf(stderr, "upload: timeout after %llu of %llu bytes\n", sent, total);
			return 1;
		}
		ssize_t w = send(fd, buf + off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fprintf(stderr, "upload: send after %llu bytes: %s\n", sent,
				strerror(errno));
			return 1;
		}
		sent += (unsigned long long)w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (now_s() > end) {
			fprintf(stderr, "upload: no FIN from the server within %.0f s\n", timeout);
			return 1;
		}
		if (poll(&p, 1, 1000) <= 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r == 0)
			break;
		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "upload: read: %s\n", strerror(errno));
			return 1;
		}
	}
	double el = now_s() - t0;
	printf("bytes %llu\nseconds %.3f\nMBps %.1f\n", total, el, (double)total / el / 1e6);
	close(fd);
	return 0;
}
