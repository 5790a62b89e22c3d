/*
 * main.c - the seed's Go server (docs/examples/hello/main.go) in C on the
 * ts_ API, using only the installed header:
 *
 *   http.HandleFunc("/hello", func(w, r) { io.WriteString(w, "Hello, world!\n") })
 *   log.Fatal(http.ListenAndServe(":8080", nil))
 *
 * As net/http does, one goroutine-like task (ts_go) per connection, whose
 * blocking ts_accept and ts_read park it until the socket is ready.  Each
 * request on a connection gets an answer (keep-alive) until the client
 * closes it; GET /hello is 200 "Hello, world!\n", anything else 404.
 *
 *   cc main.c $(pkg-config --cflags --libs tapstack) -o hello
 *   hello [--tap NAME] [--ip ADDR/LEN]        (default tap0, 10.0.0.2/24)
 *
 * Run it as root, or as the owner of a TAP made by `tapstack setup`; from
 * the kernel side: curl http://10.0.0.2:8080/hello.  SIGINT/SIGTERM end it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem */
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <tapstack.h>

static volatile int stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* Writes all of s (a blocking write parks the task until it is queued). */
static int write_all(struct stack *st, int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = ts_write(st, fd, s, len);
		if (n < 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One connection: read a request head, answer it, until the peer closes. */
static void serve_conn(struct stack *st, void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[8192];
	size_t have = 0;
	for (;;) {
		char *end = memmem(req, have, "\r\n\r\n", 4);
		if (!end) {
			if (have == sizeof(req))
				break; /* a head this large: give up on the client */
			ssize_t n = ts_read(st, fd, req + have, sizeof(req) - have);
			if (n <= 0)
				break;
			have += (size_t)n;
			continue;
		}
		const char *body = "Hello, world!\n";
		const char *status = "200 OK";
		if (strncmp(req, "GET /hello ", 11) != 0) {
			body = "404 page not found\n";
			status = "404 Not Found";
		}
		char resp[256];
		int len = snprintf(resp, sizeof(resp),
				   "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
				   "Content-Length: %zu\r\n\r\n%s",
				   status, strlen(body), body);
		if (write_all(st, fd, resp, (size_t)len) < 0)
			break;
		size_t used = (size_t)(end + 4 - req);
		memmove(req, req + used, have - used);
		have -= used;
	}
	ts_close(st, fd);
}

/* http.ListenAndServe(":8080", nil): listen, then a task per connection. */
static void listen_and_serve(struct stack *st, void *arg)
{
	(void)arg;
	int one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8080)};
	int lfd = ts_socket(st, AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || ts_setsockopt(st, lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ts_bind(st, lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ts_listen(st, lfd, 128) < 0) {
		perror("hello: listen on 8080");
		return;
	}
	for (;;) {
		int fd = ts_accept(st, lfd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR)
				break;
			continue;
		}
		ts_go(st, serve_conn, (void *)(intptr_t)fd);
	}
	ts_close(st, lfd);
}

int main(int argc, char **argv)
{
	struct ts_stack_config cfg = {.stop = &stop};
	const char *tap = "tap0";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap") && i + 1 < argc) {
			tap = argv[++i];
		} else if (!strcmp(argv[i], "--ip") && i + 1 < argc) {
			cfg.ip = argv[++i];
		} else {
			fprintf(stderr, "usage: hello [--tap NAME] [--ip ADDR/LEN]\n");
			return 2;
		}
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	char err[1024];
	struct stack *st = ts_open_tap(tap, &cfg, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "hello: %s\n", err);
		return 1;
	}
	fprintf(stderr, "hello: serving http://%s:8080/hello on %s\n", cfg.ip ? cfg.ip : "10.0.0.2",
		tap);
	ts_go(st, listen_and_serve, NULL);
	int r = ts_run(st); /* until a signal sets stop: -1, EINTR */
	int rc = r == 0 || errno == EINTR ? 0 : 1;
	ts_stack_close(st);
	return rc;
}
