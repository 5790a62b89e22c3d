/*
 * kernel_hello.c - the "Linux kernel stack" contender of `make bench`: a
 * single-threaded epoll HTTP/1.1 server on ordinary kernel sockets serving
 * the same /hello and /bytes/N bytes as tapstack (hello_http.h).
 *
 *   kernel_hello [PORT]        (default 8080; runs until SIGINT/SIGTERM)
 *
 * Level-triggered epoll, non-blocking sockets, TCP_NODELAY, no per-request
 * allocation: requests are parsed from a stack buffer and only a partial
 * request or an unsent response tail is kept on the heap, so an idle
 * keep-alive connection costs one small struct (the socket buffers live in
 * the kernel and do not show in this process's RSS: see docs/performance.md).
 * Bulk bodies are written straight from one static 64 KiB pattern buffer.
 * Port 9 is a discard service (RFC 863) for the upload figure.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hello_http.h"

struct conn {
	int fd;
	bool discard;	    /* a discard-service connection: read and drop */
	bool close_after;   /* close once everything queued is written */
	uint64_t bulk_left; /* pattern bytes still to send */
	uint64_t bulk_pos;  /* index of the next pattern byte */
	char *in;	    /* unparsed request bytes carried between reads */
	size_t in_len;
	char *out; /* unsent response head/body bytes */
	size_t out_len, out_off;
};

struct server {
	int ep;
	struct hh_date date;
	unsigned char pattern[HH_PATTERN];
	volatile sig_atomic_t stop;
};

static struct server *g_srv; /* only for the signal handler */

static void on_signal(int sig)
{
	(void)sig;
	g_srv->stop = 1;
}

static void conn_free(struct server *s, struct conn *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void want_out(struct server *s, struct conn *c, bool on)
{
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Appends bytes that could not be written now to c->out. */
static int out_keep(struct conn *c, const char *p, size_t n)
{
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	char *o = realloc(c->out, c->out_len + n);
	if (!o)
		return -1;
	memcpy(o + c->out_len, p, n);
	c->out = o;
	c->out_len += n;
	return 0;
}

/*
 * Writes queued head bytes, then bulk pattern bytes.  Returns 1 when all is
 * written, 0 when the socket is full (EPOLLOUT armed), -1 on error.
 */
static int flush(struct server *s, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (w < 0) {
			if (errno == EAGAIN)
				goto full;
			return -1;
		}
		c->out_off += (size_t)w;
	}
	while (c->bulk_left) {
		size_t off = (size_t)(c->bulk_pos % HH_PERIOD);
		size_t n = HH_PATTERN - off;
		if (n > c->bulk_left)
			n = (size_t)c->bulk_left;
		ssize_t w = write(c->fd, s->pattern + off, n);
		if (w < 0) {
			if (errno == EAGAIN)
				goto full;
			return -1;
		}
		c->bulk_left -= (uint64_t)w;
		c->bulk_pos += (uint64_t)w;
	}
	return 1;
full:
	want_out(s, c, true);
	return 0;
}

/*
 * Answers every complete request in [buf, buf+len) until a bulk body is
 * pending (pipelined requests behind it wait, RFC 9112 §9.3.2); keeps the
 * rest in c->in.  Returns -1 when the connection must go.
 */
static int serve(struct server *s, struct conn *c, const char *buf, size_t len)
{
	char out[16384];
	size_t olen = 0;
	size_t used = 0;
	while (!c->bulk_left && !c->close_after && used < len) {
		struct hh_req r;
		long h = hh_parse(buf + used, len - used, &r);
		if (h == 0)
			break;
		if (h < 0) {
			r = (struct hh_req){.kind = HH_BAD, .close = true};
			h = (long)(len - used);
		}
		used += (size_t)h;
		if (olen + 512 > sizeof(out)) {
			if (out_keep(c, out, olen))
				return -1;
			olen = 0;
		}
		olen += hh_response(out + olen, &r, &s->date);
		c->bulk_left = hh_body_len(&r);
		c->bulk_pos = 0;
		c->close_after = r.close;
	}
	/* Keep the unparsed tail for the next read. */
	size_t rest = len - used;
	if (rest) {
		char *in = malloc(rest);
		if (!in)
			return -1;
		memmove(in, buf + used, rest);
		free(c->in);
		c->in = in;
		c->in_len = rest;
	} else {
		free(c->in);
		c->in = NULL;
		c->in_len = 0;
	}
	if (olen) {
		if (c->out_off == c->out_len) {
			/* Fast path: nothing queued, write straight from the stack. */
			ssize_t w = write(c->fd, out, olen);
			if (w < 0 && errno != EAGAIN)
				return -1;
			size_t done = w > 0 ? (size_t)w : 0;
			if (done < olen && out_keep(c, out + done, olen - done))
				return -1;
		} else if (out_keep(c, out, olen)) {
			return -1;
		}
	}
	int f = flush(s, c);
	if (f < 0)
		return -1;
	if (f == 1 && c->close_after)
		return -1;
	return 0;
}

/* Discard: read until EAGAIN and drop it all; -1 at EOF or an error. */
static int discard_readable(struct conn *c)
{
	static char sink[1 << 16];
	for (;;) {
		ssize_t n = read(c->fd, sink, sizeof(sink));
		if (n > 0)
			continue;
		return n < 0 && errno == EAGAIN ? 0 : -1;
	}
}

static int on_readable(struct server *s, struct conn *c)
{
	if (c->discard)
		return discard_readable(c);
	char buf[HH_MAX_HEAD * 2 + 16];
	size_t have = c->in_len;
	if (have)
		memcpy(buf, c->in, have);
	ssize_t n = read(c->fd, buf + have, sizeof(buf) - have);
	if (n == 0)
		return -1;
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (c->bulk_left || c->close_after) {
		/* Busy with a bulk body: just keep the bytes (bounded). */
		if (have + (size_t)n > HH_MAX_HEAD * 2)
			return -1;
		char *in = realloc(c->in, have + (size_t)n);
		if (!in)
			return -1;
		memcpy(in + have, buf + have, (size_t)n);
		c->in = in;
		c->in_len = have + (size_t)n;
		return 0;
	}
	return serve(s, c, buf, have + (size_t)n);
}

static int on_writable(struct server *s, struct conn *c)
{
	int f = flush(s, c);
	if (f <= 0)
		return f;
	want_out(s, c, false);
	if (c->close_after)
		return -1;
	if (c->in_len) {
		/* Requests that waited behind the bulk body. */
		char *in = c->in;
		size_t len = c->in_len;
		c->in = NULL;
		c->in_len = 0;
		int r = serve(s, c, in, len);
		free(in);
		return r;
	}
	return 0;
}

static void accept_all(struct server *s, int lfd, bool discard)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->discard = discard;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
		}
	}
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 8080;
	static struct server srv;
	struct server *s = &srv;
	g_srv = s;
	hh_fill_pattern(s->pattern);

	/* 10,000 held connections need more than the default 1,024 fds. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 4096) < 0) {
		perror("kernel_hello: listen");
		return 1;
	}
	static struct conn discard_listener; /* its address tags the discard listener's events */
	int dfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(dfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in d = {.sin_family = AF_INET, .sin_port = htons(9)};
	if (dfd < 0 || bind(dfd, (struct sockaddr *)&d, sizeof(d)) < 0 || listen(dfd, 64) < 0) {
		perror("kernel_hello: listen on the discard port 9");
		return 1;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(s->ep, EPOLL_CTL_ADD, lfd, &lev);
	lev.data.ptr = &discard_listener;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, dfd, &lev);
	fprintf(stderr, "kernel_hello: listening on :%d and discard :9\n", port);

	struct epoll_event evs[256];
	while (!s->stop) {
		int n = epoll_wait(s->ep, evs, 256, 1000);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (!c || c == &discard_listener) {
				accept_all(s, c ? dfd : lfd, c != NULL);
				continue;
			}
			int r = 0;
			if (evs[i].events & (EPOLLERR | EPOLLHUP))
				r = -1;
			if (r == 0 && (evs[i].events & EPOLLOUT))
				r = on_writable(s, c);
			if (r == 0 && (evs[i].events & EPOLLIN))
				r = on_readable(s, c);
			if (r < 0)
				conn_free(s, c);
		}
	}
	close(lfd);
	close(dfd);
	return 0;
}
