/*
 * main.c - a TCP echo client on the ts_ API, using only the installed
 * header: ts_connect to HOST:PORT, write MESSAGE, read it back, print it.
 *
 *   cc main.c $(pkg-config --cflags --libs tapstack) -o echo_client
 *   echo_client [--tap NAME] [--ip ADDR/LEN] HOST PORT MESSAGE
 *
 * The stack is 10.0.0.2/24 on tap0 by default; HOST is an IPv4 address on
 * the kernel side (or beyond it with a gateway), running an echo server
 * (RFC 862).  Blocking calls sleep in the kernel until the stack has
 * something; each waits at most 5 s (SO_RCVTIMEO is not in tapstack: the
 * deadline is ts_set_deadline, Go's SetDeadline).  Exit 0 when the echo
 * matched, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tapstack.h>

int main(int argc, char **argv)
{
	struct ts_stack_config cfg = {0};
	const char *tap = "tap0";
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--tap"))
			tap = argv[i + 1];
		else if (!strcmp(argv[i], "--ip"))
			cfg.ip = argv[i + 1];
		else
			break;
	}
	struct sockaddr_in peer = {.sin_family = AF_INET};
	if (argc - i != 3 || inet_pton(AF_INET, argv[i], &peer.sin_addr) != 1 ||
	    atoi(argv[i + 1]) < 1 || atoi(argv[i + 1]) > 65535) {
		fprintf(stderr,
			"usage: echo_client [--tap NAME] [--ip ADDR/LEN] HOST PORT MESSAGE\n");
		return 2;
	}
	peer.sin_port = htons((uint16_t)atoi(argv[i + 1]));
	const char *msg = argv[i + 2];
	size_t len = strlen(msg);

	char err[1024];
	struct stack *st = ts_open_tap(tap, &cfg, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "echo_client: %s\n", err);
		return 1;
	}
	int rc = 1;
	int fd = ts_socket(st, AF_INET, SOCK_STREAM, 0);
	ts_set_deadline(st, fd, TS_DEADLINE_RW, ts_now_us(st) + 5000000);
	if (ts_connect(st, fd, (struct sockaddr *)&peer, sizeof(peer)) < 0) {
		fprintf(stderr, "echo_client: connect %s:%s: %s\n", argv[i], argv[i + 1],
			strerror(errno));
	} else if (ts_write(st, fd, msg, len) != (ssize_t)len) {
		fprintf(stderr, "echo_client: write: %s\n", strerror(errno));
	} else {
		char back[4096];
		size_t got = 0;
		while (got < len && got < sizeof(back)) {
			ssize_t n = ts_read(st, fd, back + got, sizeof(back) - got);
			if (n <= 0) {
				fprintf(stderr, "echo_client: read: %s\n",
					n < 0 ? strerror(errno) : "connection closed");
				break;
			}
			got += (size_t)n;
		}
		if (got == len && memcmp(back, msg, len) == 0) {
			printf("%.*s\n", (int)got, back);
			rc = 0;
		} else if (got == len) {
			fprintf(stderr, "echo_client: the echo differs\n");
		}
	}
	ts_close(st, fd);
	ts_stack_close(st);
	return rc;
}
