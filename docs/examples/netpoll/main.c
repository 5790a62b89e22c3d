/*
 * main.c - the seed's Go server (shared/seeds/go-netpoll-epoll.md, section
 * I) in C on tapstack, line for line:
 *
 *   func main() {
 *       listener, _ := net.Listen("tcp", "127.0.0.1:9008")
 *       for {
 *           conn, err := listener.Accept()
 *           go process(conn)
 *       }
 *   }
 *   func process(conn net.Conn) {
 *       defer conn.Close()
 *       var buf [1024]byte
 *       len, err := conn.Read(buf[:])
 *       _, err = conn.Write([]byte("I am server!"))
 *   }
 *
 * Accept and Read look blocking; each parks its task until the stack's
 * readiness layer says the socket is ready (docs/netpoll.md).  Run it as
 * root in a namespace, like `tapstack serve`:
 *
 *   netpoll [--tap NAME] [--host-ip ADDR/LEN] [--trace WHAT]
 *
 * It listens on 10.0.0.2:9008 over TAP NAME (tap0), and with --host-ip
 * also configures the kernel side (link up, address).  --trace takes
 * tapstack's words (sched,api shows the seed's sections III-V happen).
 * SIGINT/SIGTERM end it (exit 0).  Built by make as build/examples/netpoll.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"
#include "nl.h"
#include "stack.h"
#include "tap.h"
#include "tapstack.h"

/* net.Listen("tcp", ":port"): socket, SO_REUSEADDR, bind, listen, as Go does. */
static int listen_tcp(struct stack *st, uint16_t port)
{
	int one = 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0 || ts_setsockopt(st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ts_bind(st, fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    ts_listen(st, fd, 4096) < 0)
		return -1;
	return fd;
}

/* func process(conn net.Conn) */
static void process(struct stack *st, void *arg)
{
	int conn = (int)(intptr_t)arg;
	char buf[1024];
	ssize_t len = ts_read(st, conn, buf, sizeof(buf)); /* len, err := conn.Read(buf[:]) */
	if (len >= 0)
		ts_write(st, conn, "I am server!", 12); /* conn.Write([]byte("I am server!")) */
	ts_close(st, conn);				/* defer conn.Close() */
}

/* func main(), as a task: Go's main is a goroutine too. */
static void serve(struct stack *st, void *arg)
{
	int listener = listen_tcp(st, 9008); /* listener, _ := net.Listen("tcp", ":9008") */
	(void)arg;
	if (listener < 0) {
		perror("netpoll: listen on 9008");
		return;
	}
	for (;;) {
		int conn = ts_accept(st, listener, NULL, NULL); /* conn, err := listener.Accept() */
		if (conn < 0) {
			if (errno == EINTR || errno == EBADF)
				return;
			continue;
		}
		ts_go(st, process, (void *)(intptr_t)conn); /* go process(conn) */
	}
}

static volatile int stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned parse_trace(const char *s)
{
	unsigned bits = 0;
	if (strstr(s, "layers") || strstr(s, "all"))
		bits |= TS_TRACE_LAYERS;
	if (strstr(s, "api") || strstr(s, "all"))
		bits |= TS_TRACE_API;
	if (strstr(s, "tcp") || strstr(s, "all"))
		bits |= TS_TRACE_TCP;
	if (strstr(s, "sched") || strstr(s, "all"))
		bits |= TS_TRACE_SCHED;
	return bits;
}

int main(int argc, char **argv)
{
	const char *tap = "tap0", *host_ip = NULL;
	struct ts_config cfg;
	char err[256];

	ts_config_default(&cfg);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--tap") && i + 1 < argc) {
			tap = argv[++i];
		} else if (!strcmp(argv[i], "--host-ip") && i + 1 < argc) {
			host_ip = argv[++i];
		} else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
			cfg.trace = parse_trace(argv[++i]);
		} else {
			fprintf(
			    stderr,
			    "usage: netpoll [--tap NAME] [--host-ip ADDR/LEN] [--trace WHAT]\n");
			return 2;
		}
	}
	struct netdev *dev = tap_open(tap, err, sizeof(err));
	if (!dev) {
		fprintf(stderr, "netpoll: %s\n", err);
		return 1;
	}
	if (host_ip) {
		char a[32];
		unsigned len;
		struct in_addr in;
		if (sscanf(host_ip, "%31[0-9.]/%u", a, &len) != 2 ||
		    inet_pton(AF_INET, a, &in) != 1 || len < 1 || len > 32 ||
		    nl_configure_link(tap, cfg.mtu, ntohl(in.s_addr), (uint8_t)len, err,
				      sizeof(err)) < 0) {
			fprintf(stderr, "netpoll: --host-ip %s: %s\n", host_ip, err);
			return 1;
		}
	}
	struct stack st;
	int r = stack_init(&st, &cfg, dev, ts_clock_us());
	if (r < 0) {
		fprintf(stderr, "netpoll: starting the stack: %s\n", strerror(-r));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	st.stop = &stop;
	setvbuf(stderr, NULL, _IOLBF, 0);
	fprintf(stderr, "netpoll: listening on 10.0.0.2:9008 (%s)\n", tap);

	ts_go(&st, serve, NULL);
	r = ts_run(&st); /* returns when a signal stops it (EINTR) */
	int rc = r == 0 || errno == EINTR ? 0 : 1;
	stack_destroy(&st);
	netdev_destroy(dev);
	return rc;
}
