/*
 * services.c - TCP echo (RFC 862), TCP discard (RFC 863) and UDP echo on
 * the ts_ socket API, as an ordinary non-blocking epoll program would
 * write them: nothing here knows the stack's insides.
 *
 * Every descriptor is registered edge-triggered (EPOLLIN|EPOLLOUT|
 * EPOLLRDHUP|EPOLLET, as Go's netpoller does), so each handler works until
 * the call that would block returns EAGAIN, and then waits for the next
 * edge.
 *
 * Echo back-pressure: a connection holds at most one buffer of unechoed
 * bytes.  While that buffer cannot be written (EAGAIN) the connection stops
 * reading, so the peer's data waits in TCP's receive window and the window
 * closes: flow control reaches the sender, and no byte is dropped.  Writing
 * resumes on EPOLLOUT.
 *
 * Read first: RFC 862, RFC 863 (one page each), epoll(7) "edge-triggered".
 */
#include "services.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "tapstack.h"

/* Unechoed bytes one echo connection may hold. */
#define SVC_ECHO_BUF (16 * 1024)
/* Scratch for discarded bytes and UDP datagrams (the largest UDP payload fits). */
#define SVC_SCRATCH 65536
/* listen(2) backlog, as Go uses (net.core.somaxconn). */
#define SVC_BACKLOG 4096

enum svc_kind { SVC_ECHO, SVC_DISCARD };

struct svc_listener {
	struct ts_handler h; /* first: epoll data.ptr points here */
	struct services *svc;
	enum svc_kind kind; /* what its connections do */
	int fd;		    /* -1 when the service is off */
};

struct svc_conn {
	struct ts_handler h; /* first: epoll data.ptr points here */
	struct services *svc;
	enum svc_kind kind;
	int fd;
	struct svc_conn *prev, *next; /* all open connections */
	bool rd_eof;		      /* the peer finished sending */
	size_t off, len;	      /* unechoed bytes are buf[off, len) */
	uint8_t buf[];		      /* SVC_ECHO_BUF bytes for echo, none for discard */
};

struct svc_udp {
	struct ts_handler h; /* first: epoll data.ptr points here */
	struct services *svc;
	int fd; /* -1 when off */
};

struct services {
	struct stack *st;
	int epfd;
	struct svc_listener echo, discard;
	struct svc_udp udp;
	struct svc_conn *conns;
	unsigned nconns;
	uint8_t scratch[SVC_SCRATCH];
};

static const uint32_t SVC_EVENTS = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

static void conn_close(struct svc_conn *c)
{
	struct services *s = c->svc;
	ts_close(s->st, c->fd); /* also leaves the epoll set */
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c);
}

/*
 * RFC 862: send back every byte, in order.  Returns after EAGAIN on the
 * side that blocks, or after closing the connection (EOF fully echoed, or
 * an error such as ECONNRESET).
 */
static void echo_pump(struct svc_conn *c)
{
	struct stack *st = c->svc->st;

	for (;;) {
		if (c->off < c->len) {
			ssize_t n = ts_write(st, c->fd, c->buf + c->off, c->len - c->off);
			if (n < 0) {
				if (errno != EAGAIN)
					conn_close(c);
				return; /* EAGAIN: wait for EPOLLOUT, reading paused */
			}
			c->off += (size_t)n;
			continue;
		}
		if (c->rd_eof) {
			/* Everything the peer sent went back: finish as it did. */
			conn_close(c);
			return;
		}
		ssize_t n = ts_read(st, c->fd, c->buf, SVC_ECHO_BUF);
		if (n > 0) {
			c->off = 0;
			c->len = (size_t)n;
		} else if (n == 0) {
			c->rd_eof = true;
		} else {
			if (errno != EAGAIN)
				conn_close(c);
			return;
		}
	}
}

/* RFC 863: read and throw away until EAGAIN; close at EOF or on error. */
static void discard_pump(struct svc_conn *c)
{
	struct services *s = c->svc;

	for (;;) {
		ssize_t n = ts_read(s->st, c->fd, s->scratch, sizeof(s->scratch));
		if (n > 0)
			continue;
		if (n == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
}

static void conn_event(struct ts_handler *h, uint32_t events)
{
	struct svc_conn *c = (struct svc_conn *)h;
	(void)events; /* the calls themselves report EOF, errors and EAGAIN */
	if (c->kind == SVC_ECHO)
		echo_pump(c);
	else
		discard_pump(c);
}

/* Accepts until EAGAIN, as an edge-triggered server must. */
static void listener_event(struct ts_handler *h, uint32_t events)
{
	struct svc_listener *l = (struct svc_listener *)h;
	struct services *s = l->svc;
	(void)events;

	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t len = sizeof(peer);
		int fd = ts_accept4(s->st, l->fd, (struct sockaddr *)&peer, &len,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a connection that died in the queue */
		size_t extra = l->kind == SVC_ECHO ? SVC_ECHO_BUF : 0;
		struct svc_conn *c = calloc(1, sizeof(*c) + extra);
		if (!c) {
			ts_close(s->st, fd);
			continue;
		}
		c->h.on_event = conn_event;
		c->svc = s;
		c->kind = l->kind;
		c->fd = fd;
		struct epoll_event ev = {.events = SVC_EVENTS, .data.ptr = c};
		if (ts_epoll_ctl(s->st, s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			ts_close(s->st, fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

/* UDP echo: every datagram goes back to its sender; one that cannot be sent is lost. */
static void udp_event(struct ts_handler *h, uint32_t events)
{
	struct svc_udp *u = (struct svc_udp *)h;
	struct services *s = u->svc;
	(void)events;

	for (;;) {
		struct sockaddr_in6 from;
		socklen_t len = sizeof(from);
		ssize_t n = ts_recvfrom(s->st, u->fd, s->scratch, sizeof(s->scratch), 0,
					(struct sockaddr *)&from, &len);
		if (n < 0)
			return;
		ts_sendto(s->st, u->fd, s->scratch, (size_t)n, 0, (struct sockaddr *)&from, len);
	}
}

/*
 * socket(AF_INET6), IPV6_V6ONLY off, SO_REUSEADDR, bind [::]:port, (listen),
 * epoll ADD: each service answers both families on one socket, as the
 * HTTP server does.  Returns the fd or -errno.
 */
static int open_socket(struct services *s, int type, uint16_t port, void *handler)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	int one = 1, zero = 0, err;
	int fd = ts_socket(s->st, AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ts_setsockopt(s->st, fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    ts_setsockopt(s->st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ts_bind(s->st, fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && ts_listen(s->st, fd, SVC_BACKLOG) < 0))
		goto fail;
	struct epoll_event ev = {.events = SVC_EVENTS, .data.ptr = handler};
	if (ts_epoll_ctl(s->st, s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		goto fail;
	return fd;
fail:
	err = -errno;
	ts_close(s->st, fd);
	return err;
}

int services_start_ports(struct services **out, struct stack *st, int epfd, uint16_t echo_port,
			 uint16_t discard_port, uint16_t udp_echo_port)
{
	struct services *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->st = st;
	s->epfd = epfd;
	s->echo = (struct svc_listener){{listener_event}, s, SVC_ECHO, -1};
	s->discard = (struct svc_listener){{listener_event}, s, SVC_DISCARD, -1};
	s->udp = (struct svc_udp){{udp_event}, s, -1};

	int r = 0;
	if (echo_port && (r = s->echo.fd = open_socket(s, SOCK_STREAM, echo_port, &s->echo)) < 0)
		goto fail;
	if (discard_port &&
	    (r = s->discard.fd = open_socket(s, SOCK_STREAM, discard_port, &s->discard)) < 0)
		goto fail;
	if (udp_echo_port &&
	    (r = s->udp.fd = open_socket(s, SOCK_DGRAM, udp_echo_port, &s->udp)) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	services_stop(s);
	return r;
}

int services_start(struct services **out, struct stack *st, int epfd)
{
	return services_start_ports(out, st, epfd, SERVICES_ECHO_PORT, SERVICES_DISCARD_PORT,
				    SERVICES_ECHO_PORT);
}

void services_stop(struct services *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	if (s->echo.fd >= 0)
		ts_close(s->st, s->echo.fd);
	if (s->discard.fd >= 0)
		ts_close(s->st, s->discard.fd);
	if (s->udp.fd >= 0)
		ts_close(s->st, s->udp.fd);
	free(s);
}

unsigned services_conn_count(const struct services *s)
{
	return s->nconns;
}
