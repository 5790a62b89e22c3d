/*
 * main.c - two stacks in one process, no root, no TAP: ts_open_pair joins
 * a client stack (10.0.0.1) and a server stack (10.0.0.2) by an in-memory
 * wire on a virtual clock.  Written straight line with blocking calls:
 * each call that must wait drives both stacks, so the server's listener
 * completes the client's handshake while the client waits in ts_connect.
 *
 *   cc main.c $(pkg-config --cflags --libs tapstack) -o pair
 *   pair [--trace WHAT] [--pcap FILE]
 *
 * It sends a TCP message and a UDP datagram each way, checks them, and
 * exits 0 (1 on a failure, with the reason).  The same run every time:
 * --pcap writes the same file byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <tapstack.h>

#define FAIL(what)                                                                                 \
	do {                                                                                       \
		fprintf(stderr, "pair: %s: %s\n", what, strerror(errno));                          \
		return 1;                                                                          \
	} while (0)

static int run(struct stack *client, struct stack *server)
{
	struct sockaddr_in srv = {.sin_family = AF_INET, .sin_port = htons(7)};
	inet_pton(AF_INET, "10.0.0.2", &srv.sin_addr);

	/* TCP: the server listens, the client connects, then one round trip. */
	int lfd = ts_socket(server, AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || ts_bind(server, lfd, (struct sockaddr *)&srv, sizeof(srv)) < 0 ||
	    ts_listen(server, lfd, 16) < 0)
		FAIL("server listen");
	int cfd = ts_socket(client, AF_INET, SOCK_STREAM, 0);
	if (cfd < 0 || ts_connect(client, cfd, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		FAIL("client connect");
	int afd = ts_accept(server, lfd, NULL, NULL);
	if (afd < 0)
		FAIL("server accept");
	const char hello[] = "hello over the in-memory wire";
	if (ts_write(client, cfd, hello, sizeof(hello)) != (ssize_t)sizeof(hello))
		FAIL("client write");
	char buf[256];
	ssize_t n = ts_recv(server, afd, buf, sizeof(hello), MSG_WAITALL);
	if (n != (ssize_t)sizeof(hello) || memcmp(buf, hello, sizeof(hello)) != 0)
		FAIL("server read");
	if (ts_write(server, afd, buf, (size_t)n) != n)
		FAIL("server write");
	n = ts_recv(client, cfd, buf, sizeof(hello), MSG_WAITALL);
	if (n != (ssize_t)sizeof(hello) || memcmp(buf, hello, sizeof(hello)) != 0)
		FAIL("client read");
	printf("tcp: %s\n", buf);
	/* Orderly close: the client's FIN reads as end of stream on the server. */
	ts_close(client, cfd);
	if (ts_read(server, afd, buf, sizeof(buf)) != 0)
		FAIL("server end of stream");
	ts_close(server, afd);
	ts_close(server, lfd);

	/* UDP: one datagram each way. */
	int us = ts_socket(server, AF_INET, SOCK_DGRAM, 0);
	int uc = ts_socket(client, AF_INET, SOCK_DGRAM, 0);
	if (us < 0 || uc < 0 || ts_bind(server, us, (struct sockaddr *)&srv, sizeof(srv)) < 0)
		FAIL("udp sockets");
	if (ts_sendto(client, uc, "ping", 4, 0, (struct sockaddr *)&srv, sizeof(srv)) != 4)
		FAIL("udp sendto");
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	n = ts_recvfrom(server, us, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
	if (n != 4 || memcmp(buf, "ping", 4) != 0)
		FAIL("udp recvfrom on the server");
	if (ts_sendto(server, us, "pong", 4, 0, (struct sockaddr *)&from, flen) != 4)
		FAIL("udp reply");
	n = ts_recv(client, uc, buf, sizeof(buf), 0);
	if (n != 4 || memcmp(buf, "pong", 4) != 0)
		FAIL("udp recv on the client");
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &from.sin_addr, ip, sizeof(ip));
	printf("udp: ping from %s:%u, pong back\n", ip, ntohs(from.sin_port));
	ts_close(client, uc);
	ts_close(server, us);
	return 0;
}

int main(int argc, char **argv)
{
	struct ts_stack_config ca = {0}, cb = {0};
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
			ca.trace = cb.trace = argv[++i];
		} else if (!strcmp(argv[i], "--pcap") && i + 1 < argc) {
			cb.pcap = argv[++i]; /* the server's end sees every frame */
		} else {
			fprintf(stderr, "usage: pair [--trace WHAT] [--pcap FILE]\n");
			return 2;
		}
	}
	struct stack *client, *server;
	char err[256];
	if (ts_open_pair(&ca, &cb, &client, &server, err, sizeof(err)) < 0) {
		fprintf(stderr, "pair: %s\n", err);
		return 1;
	}
	int rc = run(client, server);
	ts_stack_close(client);
	ts_stack_close(server);
	if (rc == 0)
		printf("ok\n");
	return rc;
}
