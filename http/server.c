/*
 * server.c - the HTTP/1.1 server: an accept loop and one state machine per
 * connection, on the ts_ socket API and a shared ts_epoll instance.
 *
 * The system calls mirror Go's net/http under strace, so `--trace api` can
 * be read beside `strace -f` of the Go example: socket(AF_INET6,
 * SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC), setsockopt(IPV6_V6ONLY, 0) for
 * a dual-stack listener, setsockopt(SO_REUSEADDR), bind `[::]`, listen(4096), epoll_ctl(ADD,
 * EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET), accept4 until EAGAIN, and per connection epoll_ctl(ADD),
 * getsockname, setsockopt(TCP_NODELAY), then read, write, close.
 *
 * One connection, edge-triggered, so every handler runs until an operation
 * returns EAGAIN (conn_run):
 *   1. produce: answer the complete requests already buffered, formatting
 *      each response head straight into the output buffer (the one copy
 *      before the socket), while there is room and no /bytes stream pends;
 *   2. flush: write the output buffer, then the /bytes stream from a
 *      precomputed pattern (no copy at all), until EAGAIN (EPOLLOUT resumes);
 *   3. once the output is drained: read more (pipelined requests are thus
 *      answered in order, and a client that does not read stops being read),
 *      or, if the connection is to close, shut down the write side and
 *      discard input until the peer's FIN (a "lingering close", so unread
 *      request bytes do not turn our FIN into an RST that destroys the
 *      response in flight, RFC 9112 §9.6).
 *
 * Memory: a connection holds input and output buffers only while it is
 * reading a request or writing a response: conn_run takes a pair from a
 * server-wide pool when it starts and gives it back when it stops with
 * nothing buffered, so an idle keep-alive connection costs only its small
 * struct http_conn (nginx's keep-alive handler frees an empty request
 * buffer the same way).  The pool is bounded (HTTP_BUFS_POOL_MAX) and
 * reused under load, so the request path allocates nothing, whatever N in
 * /bytes/N.
 *
 * Request bodies are read and discarded (no handler reads them), within
 * Go's bounds: a Content-Length of HTTP_MAX_DISCARD_BODY (256 KiB,
 * maxPostHandlerReadBytes) or more is not read at all (the answer says
 * Connection: close), a chunked body is read up to that many bytes and
 * then the connection closes, and every body must arrive within
 * body_timeout_ms of its head (a deadline that progress does not push
 * back, like Go's ReadTimeout), so a body that trickles one byte a minute
 * holds nothing for long.  Over max_conns the 503 is written after the
 * queued input is read and the socket lingers half-closed before it is
 * closed, so no RST destroys it (refuse).
 *
 * Deadlines (idle, header, body, linger) live in four FIFO lists, one per
 * duration.  Because every deadline in a list is "now + the same duration"
 * and the clock never goes back, appending keeps each list sorted: arming
 * is O(1) and the earliest deadline is the head of one of four lists, with
 * no heap and no scan (the cost: only constant durations are possible).
 *
 * Read first: RFC 9112 §9.3 (persistence), §9.6 (tear-down), §9.8 (how a
 * server closes); RFC 9110 §15 (status codes), §6.6.1 (Date), §9.3.2 (HEAD).
 */
#include "server.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handler.h"
#include "parser.h"
#include "response.h"
#include "tapstack.h"

/* Per-connection buffers.  The input holds the largest head (8 KiB) plus
 * room for pipelined requests; the output holds many small responses. */
#define HTTP_IN_CAP  (16 * 1024)
#define HTTP_OUT_CAP (8 * 1024)
/* How long a closing connection waits for the peer's FIN. */
#define HTTP_LINGER_MS 2000
/* Released connections kept for reuse instead of freed. */
#define HTTP_POOL_MAX 256
/* Released buffer pairs kept for reuse instead of freed (24 KiB each). */
#define HTTP_BUFS_POOL_MAX 64
/* Bytes discarded per read in a lingering close. */
#define HTTP_DISCARD_CAP 4096
/* A refused (503) connection: FIN sent, closed this much later (Go's
 * rstAvoidanceDelay), at most this many at once. */
#define HTTP_REFUSED_LINGER_MS 500
#define HTTP_REFUSED_MAX       64
/* Queued input read (and discarded) before a refused connection's 503. */
#define HTTP_REFUSED_DRAIN (64 * 1024)
/* listen(2) backlog: Go passes somaxconn, 4096 on current Linux. */
#define HTTP_LISTEN_BACKLOG 4096
_Static_assert(HTTP_IN_CAP > HTTP_MAX_HEAD, "a full head fits with bytes to spare");
_Static_assert(HTTP_OUT_CAP >= 2 * HTTP_RESP_ROOM, "at least one response fits");

enum conn_timer {
	TIMER_IDLE,   /* idle_timeout_ms from the last progress */
	TIMER_HEADER, /* header_timeout_ms from the first byte of a request */
	TIMER_BODY,   /* body_timeout_ms from the end of a head with a body */
	TIMER_LINGER, /* HTTP_LINGER_MS from the start of a lingering close */
	TIMER_N,
};

enum conn_read_state {
	READ_HEAD,	   /* expecting (the rest of) a request head */
	READ_BODY_LENGTH,  /* discarding a Content-Length body, body_left to go */
	READ_BODY_CHUNKED, /* discarding a chunked body */
	READ_LINGER,	   /* write side shut down, discarding until FIN */
};

/* The buffers of a connection busy with a request or a response. */
struct http_bufs {
	struct http_bufs *pool_next; /* free-pool link */
	uint8_t in[HTTP_IN_CAP];
	uint8_t out[HTTP_OUT_CAP];
};

struct http_conn {
	struct ts_handler h; /* first: the epoll data.ptr */
	struct http_server *srv;
	int fd; /* the accepted ts_ socket */
	enum conn_read_state rstate;
	bool close_after;  /* close once the output is written */
	bool head_started; /* a byte of the current head arrived: header timer runs */
	/* Deadline list membership. */
	enum conn_timer timer; /* which list c is on */
	uint64_t deadline_us;  /* when it expires (st->now_us clock) */
	struct http_conn *tprev, *tnext;
	struct http_bufs *b; /* NULL while nothing is buffered (idle) */
	/* Input: unconsumed bytes are b->in[in_off..in_len). */
	size_t in_off, in_len;
	struct http_parser parser;   /* the current head, relative to in + in_off */
	uint64_t body_left;	     /* READ_BODY_LENGTH: bytes still to discard */
	uint64_t body_read;	     /* READ_BODY_CHUNKED: bytes of it discarded so far */
	struct http_chunked chunked; /* READ_BODY_CHUNKED decoder */
	/* Output: b->out[out_off..out_len) is pending, then the /bytes stream. */
	size_t out_off, out_len;
	uint64_t stream_pos;	     /* next byte index of the /bytes body */
	uint64_t stream_left;	     /* body bytes not yet written */
	struct http_conn *pool_next; /* free-pool link */
};

struct conn_list {
	struct http_conn *head, *tail; /* sorted by deadline, earliest first */
};

struct http_server {
	struct ts_handler h; /* first: the listener's epoll data.ptr */
	struct stack *st;
	int epfd;      /* where every socket of the server is registered */
	bool own_epfd; /* created by http_server_start (epfd < 0): closed at stop */
	int lfd;       /* listening socket */
	struct http_server_config cfg;
	uint64_t timer_us[TIMER_N];	 /* duration of each deadline list */
	struct conn_list lists[TIMER_N]; /* every live connection is on exactly one */
	struct http_conn *pool;		 /* released connections for reuse */
	uint32_t pool_n;
	struct http_bufs *bufs_pool; /* released buffer pairs for reuse */
	uint32_t bufs_pool_n;
	struct http_server_stats stats;
	struct http_date date;		   /* the cached Date field */
	uint8_t pattern[PATTERN_LEN];	   /* byte i = i % 251, for /bytes/N */
	uint8_t discard[HTTP_DISCARD_CAP]; /* lingering-close reads land here */
	/* Refused connections waiting to be closed, a FIFO ring by deadline. */
	int refused_fd[HTTP_REFUSED_MAX];
	uint64_t refused_deadline[HTTP_REFUSED_MAX];
	uint32_t refused_head, refused_n;
};

void http_server_config_default(struct http_server_config *cfg)
{
	cfg->port = 8080;
	cfg->idle_timeout_ms = 60000;
	cfg->header_timeout_ms = 10000;
	cfg->body_timeout_ms = 30000;
	cfg->max_conns = 20000;
	cfg->date_base_s = 0; /* wall time */
}

/* ---- deadlines --------------------------------------------------------- */

static void timer_unlink(struct http_conn *c)
{
	struct conn_list *l = &c->srv->lists[c->timer];
	if (c->tprev)
		c->tprev->tnext = c->tnext;
	else
		l->head = c->tnext;
	if (c->tnext)
		c->tnext->tprev = c->tprev;
	else
		l->tail = c->tprev;
	c->tprev = c->tnext = NULL;
}

/* Moves c to the tail of list which, due one duration from now. */
static void timer_arm(struct http_conn *c, enum conn_timer which)
{
	struct http_server *s = c->srv;
	timer_unlink(c);
	c->timer = which;
	c->deadline_us = ts_now_us(s->st) + s->timer_us[which];
	struct conn_list *l = &s->lists[which];
	c->tprev = l->tail;
	if (l->tail)
		l->tail->tnext = c;
	else
		l->head = c;
	l->tail = c;
}

/* Progress on an idle-timed connection pushes its deadline back. */
static void timer_touch(struct http_conn *c)
{
	if (c->timer == TIMER_IDLE)
		timer_arm(c, TIMER_IDLE);
}

/* ---- connections ------------------------------------------------------- */

static void conn_event(struct ts_handler *h, uint32_t events);

static struct http_conn *conn_new(struct http_server *s, int fd)
{
	struct http_conn *c = s->pool;
	if (c) {
		s->pool = c->pool_next;
		s->pool_n--;
	} else {
		c = malloc(sizeof(*c));
		if (!c)
			return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->h.on_event = conn_event;
	c->srv = s;
	c->fd = fd;
	c->rstate = READ_HEAD;
	http_parser_init(&c->parser, HTTP_MAX_HEAD);
	/* Put it on the idle list (timer_arm unlinks first: make that a no-op). */
	c->timer = TIMER_IDLE;
	struct conn_list *l = &s->lists[TIMER_IDLE];
	c->tprev = l->tail;
	if (l->tail)
		l->tail->tnext = c;
	else
		l->head = c;
	l->tail = c;
	c->deadline_us = ts_now_us(s->st) + s->timer_us[TIMER_IDLE];
	s->stats.live++;
	return c;
}

/* Gives c a buffer pair if it has none.  False when memory is short. */
static bool conn_take_bufs(struct http_conn *c)
{
	struct http_server *s = c->srv;
	if (c->b)
		return true;
	struct http_bufs *b = s->bufs_pool;
	if (b) {
		s->bufs_pool = b->pool_next;
		s->bufs_pool_n--;
	} else {
		b = malloc(sizeof(*b));
		if (!b)
			return false;
	}
	c->b = b;
	c->in_off = c->in_len = c->out_off = c->out_len = 0;
	s->stats.buffers++;
	return true;
}

/* Returns c's buffer pair to the pool (or the heap); its contents are dropped. */
static void conn_give_bufs(struct http_conn *c)
{
	struct http_server *s = c->srv;
	struct http_bufs *b = c->b;
	if (!b)
		return;
	c->b = NULL;
	c->in_off = c->in_len = c->out_off = c->out_len = 0;
	s->stats.buffers--;
	if (s->bufs_pool_n < HTTP_BUFS_POOL_MAX) {
		b->pool_next = s->bufs_pool;
		s->bufs_pool = b;
		s->bufs_pool_n++;
	} else {
		free(b);
	}
}

/*
 * Between requests, with every input byte used and the output written, the
 * buffers hold nothing worth keeping.  A partial head (in_off < in_len) or
 * pending output keeps them.  The parser state of a partial head is
 * relative to the buffered bytes, so it never outlives them; body and
 * stream progress are counters, not buffer contents.
 */
static void conn_idle_bufs(struct http_conn *c)
{
	if (c->b && c->in_off == c->in_len && c->out_off == c->out_len)
		conn_give_bufs(c);
}

/* Closes the socket (which also removes it from the epoll set) and recycles c. */
static void conn_close(struct http_conn *c)
{
	struct http_server *s = c->srv;
	timer_unlink(c);
	conn_give_bufs(c);
	ts_close(s->st, c->fd);
	s->stats.live--;
	if (s->pool_n < HTTP_POOL_MAX) {
		c->pool_next = s->pool;
		s->pool = c;
		s->pool_n++;
	} else {
		free(c);
	}
}

/* ---- responses (response.c) ------------------------------------------------- */

/* The buffer view of c's output, for response.c. */
static struct http_out conn_out(struct http_conn *c)
{
	return (struct http_out){c->b->out, c->out_len, HTTP_OUT_CAP, &c->srv->date,
				 c->srv->pattern};
}

/* Routes one parsed request and formats its response. */
static void respond(struct http_conn *c, const struct http_request *req)
{
	struct http_out o = conn_out(c);
	struct http_answer a;
	http_respond(&o, req, &a);
	c->out_len = o.len;
	c->close_after = a.close_after;
	c->stream_pos = a.stream_pos;
	c->stream_left = a.stream_left;
	if (a.too_big)
		c->srv->stats.body_too_large++;
	c->srv->stats.responses[a.status / 100]++;
}

static void respond_error(struct http_conn *c, int status, const char *detail)
{
	struct http_out o = conn_out(c);
	c->srv->stats.responses[http_respond_error(&o, status, detail) / 100]++;
	c->out_len = o.len;
}

/* ---- the connection state machine ----------------------------------------- */

enum step {
	STEP_NEED_INPUT, /* every buffered byte is used: read more */
	STEP_BLOCKED,	 /* output must drain first (room, stream, or closing) */
};

/*
 * Answers what the buffered input allows.  Preconditions: none; it stops on
 * its own when the output buffer is short of room, a stream is pending, or
 * the connection is closing.
 */
static enum step conn_produce(struct http_conn *c)
{
	struct http_server *s = c->srv;
	for (;;) {
		if (c->close_after || c->stream_left || HTTP_OUT_CAP - c->out_len < HTTP_RESP_ROOM)
			return STEP_BLOCKED;
		const uint8_t *in = c->b->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		switch (c->rstate) {
		case READ_BODY_LENGTH: {
			/* RFC 9112 §6.3: the body is read (and here discarded) so the
			 * next request starts at the right byte. */
			uint64_t n = avail < c->body_left ? avail : c->body_left;
			c->in_off += (size_t)n;
			c->body_left -= n;
			if (c->body_left)
				return STEP_NEED_INPUT;
			c->rstate = READ_HEAD;
			timer_arm(c, TIMER_IDLE);
			break;
		}
		case READ_BODY_CHUNKED: {
			size_t used;
			const uint8_t *data;
			size_t data_len;
			enum http_parse_result r =
			    http_chunked_feed(&c->chunked, in, avail, &used, &data, &data_len);
			c->in_off += used;
			c->body_read += used;
			if (r == HTTP_PARSE_ERROR) {
				/* The response is already queued; the framing is lost, so close. */
				c->close_after = true;
				return STEP_BLOCKED;
			}
			if (r == HTTP_PARSE_DONE) {
				c->rstate = READ_HEAD;
				timer_arm(c, TIMER_IDLE);
			} else if (c->body_read > HTTP_MAX_DISCARD_BODY) {
				/* Go stops after maxPostHandlerReadBytes too.  The response
				 * (already queued) did not say Connection: close: it was
				 * formatted before the body's size was known. */
				s->stats.body_too_large++;
				c->close_after = true;
				return STEP_BLOCKED;
			} else if (c->in_off == c->in_len) {
				return STEP_NEED_INPUT;
			}
			break;
		}
		case READ_HEAD: {
			if (avail == 0)
				return STEP_NEED_INPUT;
			if (!c->head_started) {
				/* Slowloris defence: the whole head must arrive within
				 * header_timeout_ms of its first byte. */
				c->head_started = true;
				timer_arm(c, TIMER_HEADER);
			}
			struct http_request req;
			enum http_parse_result r = http_parse_request(&c->parser, in, avail, &req);
			if (r == HTTP_PARSE_MORE)
				return STEP_NEED_INPUT;
			s->stats.requests++;
			if (r == HTTP_PARSE_ERROR) {
				respond_error(c, http_error_status(c->parser.err),
					      http_error_doc(c->parser.err));
				c->close_after = true;
				return STEP_BLOCKED;
			}
			c->in_off += req.info.head_len;
			http_parser_init(&c->parser, HTTP_MAX_HEAD);
			c->head_started = false;
			timer_arm(c, TIMER_IDLE);
			respond(c, &req);
			if (c->close_after) {
				/* The body, if any, is not read: the lingering close
				 * discards what comes, for HTTP_LINGER_MS at most. */
			} else if (req.info.chunked) {
				c->rstate = READ_BODY_CHUNKED;
				c->body_read = 0;
				http_chunked_init(&c->chunked);
				timer_arm(c, TIMER_BODY);
			} else if (req.info.content_length) {
				c->rstate = READ_BODY_LENGTH;
				c->body_left = req.info.content_length;
				timer_arm(c, TIMER_BODY);
			}
			break;
		}
		case READ_LINGER:
			return STEP_BLOCKED;
		}
	}
}

/*
 * Writes the pending output, then the stream.  Returns 0 when all is
 * written, -EAGAIN when the socket is full (EPOLLOUT resumes), or another
 * -errno (EPIPE, ECONNRESET) when the connection is dead.
 */
static int conn_flush(struct http_conn *c)
{
	struct http_server *s = c->srv;
	bool progress = false;
	int err = 0;
	while (c->out_off < c->out_len) {
		ssize_t n = ts_write(s->st, c->fd, c->b->out + c->out_off, c->out_len - c->out_off);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		c->out_off += (size_t)n;
		progress = true;
	}
	c->out_off = c->out_len = 0;
	while (c->stream_left) {
		size_t phase = (size_t)(c->stream_pos % PATTERN_PERIOD);
		uint64_t chunk = PATTERN_LEN - phase;
		if (chunk > c->stream_left)
			chunk = c->stream_left;
		ssize_t n = ts_write(s->st, c->fd, s->pattern + phase, (size_t)chunk);
		if (n < 0) {
			err = -errno;
			goto out;
		}
		c->stream_pos += (uint64_t)n;
		c->stream_left -= (uint64_t)n;
		progress = true;
	}
out:
	if (progress)
		timer_touch(c);
	return err == -EWOULDBLOCK ? -EAGAIN : err;
}

/*
 * Reads into the input buffer after moving the unconsumed bytes to its
 * front (the parser's offsets are relative to them, so they stay valid).
 * Returns the byte count, 0 at EOF, or -errno.
 */
static ssize_t conn_read(struct http_conn *c)
{
	if (c->in_off) {
		memmove(c->b->in, c->b->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	ssize_t n = ts_read(c->srv->st, c->fd, c->b->in + c->in_len, HTTP_IN_CAP - c->in_len);
	if (n < 0)
		return -errno;
	c->in_len += (size_t)n;
	if (n > 0)
		timer_touch(c);
	return n;
}

/*
 * The lingering close (RFC 9112 §9.6): FIN our side once, then discard
 * whatever the client still sends until its FIN, an error, or the linger
 * deadline.  Returns false when c was closed.
 */
static bool conn_linger(struct http_conn *c)
{
	if (c->rstate != READ_LINGER) {
		c->rstate = READ_LINGER;
		ts_shutdown(c->srv->st, c->fd, SHUT_WR);
		timer_arm(c, TIMER_LINGER);
	}
	/* Unread input is abandoned: the buffers are not needed any more. */
	c->in_off = c->in_len = 0;
	conn_idle_bufs(c);
	for (;;) {
		ssize_t n = ts_read(c->srv->st, c->fd, c->srv->discard, HTTP_DISCARD_CAP);
		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		conn_close(c);
		return false;
	}
}

/*
 * Runs the connection until it waits on EAGAIN (edge-triggered) or closes,
 * with a buffer pair taken for the run and given back if it ends with
 * nothing buffered.
 */
static void conn_run(struct http_conn *c)
{
	if (!conn_take_bufs(c)) {
		conn_close(c);
		return;
	}
	for (;;) {
		enum step st = conn_produce(c);
		int w = conn_flush(c);
		if (w == -EAGAIN) {
			conn_idle_bufs(c);
			return;
		}
		if (w < 0) {
			conn_close(c);
			return;
		}
		if (c->close_after) {
			conn_linger(c);
			return;
		}
		if (st == STEP_BLOCKED)
			continue;
		ssize_t n = conn_read(c);
		if (n > 0)
			continue;
		if (n == -EAGAIN || n == -EWOULDBLOCK) {
			conn_idle_bufs(c);
			return;
		}
		/* EOF or error: between requests that is the normal end of a
		 * keep-alive connection; inside one, the request is abandoned. */
		conn_close(c);
		return;
	}
}

static void conn_event(struct ts_handler *h, uint32_t events)
{
	struct http_conn *c = (struct http_conn *)h;
	/* With nothing to write, the connection waits on input: an EPOLLOUT
	 * edge alone (the peer ACKed data) is no news, so skip the read that
	 * would only return EAGAIN.  Any other event means "try again";
	 * errors surface in read and write. */
	if (events == EPOLLOUT && c->out_off == c->out_len && !c->stream_left)
		return;
	conn_run(c);
}

/* ---- the listener -------------------------------------------------------- */

/* Reads and discards what fd has queued, up to max bytes. */
static void drain_input(struct http_server *s, int fd, size_t max)
{
	for (size_t got = 0; got < max;) {
		ssize_t n = ts_read(s->st, fd, s->discard, HTTP_DISCARD_CAP);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
}

/* Closes the oldest refused connection, reading what it sent first so the
 * close is a FIN, not an RST (RFC 2525 §2.17). */
static void refused_close_oldest(struct http_server *s)
{
	int fd = s->refused_fd[s->refused_head];
	s->refused_head = (s->refused_head + 1) % HTTP_REFUSED_MAX;
	s->refused_n--;
	drain_input(s, fd, HTTP_REFUSED_DRAIN);
	ts_close(s->st, fd);
}

/*
 * Over max_conns: a 503, then close, with nothing kept but the descriptor.
 * Closing a socket with unread input sends an RST, which can destroy the
 * 503 before the client reads it: read what is queued first, write, shut
 * the write side down (FIN), and close only HTTP_REFUSED_LINGER_MS later
 * (Go: closeWriteAndWait).  At most HTTP_REFUSED_MAX wait; beyond, the
 * oldest is closed early.
 */
static void refuse(struct http_server *s, int fd)
{
	drain_input(s, fd, HTTP_REFUSED_DRAIN);
	ts_write(s->st, fd, http_refused_503, http_refused_503_len);
	ts_shutdown(s->st, fd, SHUT_WR);
	if (s->refused_n == HTTP_REFUSED_MAX)
		refused_close_oldest(s);
	uint32_t i = (s->refused_head + s->refused_n) % HTTP_REFUSED_MAX;
	s->refused_fd[i] = fd;
	s->refused_deadline[i] = ts_now_us(s->st) + (uint64_t)HTTP_REFUSED_LINGER_MS * 1000;
	s->refused_n++;
	s->stats.refused++;
	s->stats.responses[5]++;
}

/* Accepts until EAGAIN, like Go's accept loop, and starts each connection. */
static void listener_event(struct ts_handler *h, uint32_t events)
{
	struct http_server *s = (struct http_server *)h;
	(void)events;
	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);
		int fd = ts_accept4(s->st, s->lfd, (struct sockaddr *)&peer, &plen,
				    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			return; /* EAGAIN, or EMFILE: wait for the next event */
		}
		s->stats.accepted++;
		if (s->stats.live >= s->cfg.max_conns) {
			refuse(s, fd);
			continue;
		}
		struct http_conn *c = conn_new(s, fd);
		if (!c) {
			refuse(s, fd);
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					 .data.ptr = &c->h};
		if (ts_epoll_ctl(s->st, s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(c);
			continue;
		}
		/* Go's next two calls: the local address, and Nagle off.  Without
		 * TCP_NODELAY the tail segment of a pipelined batch of responses
		 * waits for the client's delayed ACK (RFC 896 meets RFC 1122
		 * §4.2.3.2), 40 ms per batch on Linux. */
		struct sockaddr_in6 local;
		socklen_t llen = sizeof(local);
		ts_getsockname(s->st, fd, (struct sockaddr *)&local, &llen);
		int one = 1;
		ts_setsockopt(s->st, fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* Go reads at once; the request is often there already. */
		conn_run(c);
	}
}

int http_server_start(struct http_server **out, struct stack *st, int epfd,
		      const struct http_server_config *cfg)
{
	struct http_server *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->h.on_event = listener_event;
	s->st = st;
	s->epfd = epfd;
	s->cfg = *cfg;
	s->timer_us[TIMER_IDLE] = (uint64_t)cfg->idle_timeout_ms * 1000;
	s->timer_us[TIMER_HEADER] = (uint64_t)cfg->header_timeout_ms * 1000;
	s->timer_us[TIMER_BODY] = (uint64_t)cfg->body_timeout_ms * 1000;
	s->timer_us[TIMER_LINGER] = (uint64_t)HTTP_LINGER_MS * 1000;
	http_date_init(&s->date, cfg->date_base_s, st);
	http_pattern_fill(s->pattern);

	int err;
	int one = 1, zero = 0;
	/* `[::]:port` with IPV6_V6ONLY off, as Go's ":8080": one listener for
	 * IPv6 clients and, v4-mapped, IPv4 ones (ipv6(7)). */
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(cfg->port)};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.ptr = &s->h};
	s->lfd = ts_socket(st, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s->lfd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	if (ts_setsockopt(st, s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    ts_setsockopt(st, s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ts_bind(st, s->lfd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ||
	    ts_listen(st, s->lfd, HTTP_LISTEN_BACKLOG) < 0)
		goto fail;
	/* Go's netpoll creates its epoll set when the first descriptor is
	 * registered, after listen; with epfd < 0 we do the same. */
	if (epfd < 0 && (s->epfd = ts_epoll_create1(st, EPOLL_CLOEXEC)) < 0)
		goto fail;
	s->own_epfd = epfd < 0;
	if (ts_epoll_ctl(st, s->epfd, EPOLL_CTL_ADD, s->lfd, &ev) < 0)
		goto fail;
	/* Like Go's Accept: try at once, and only on EAGAIN park in epoll_wait. */
	listener_event(&s->h, EPOLLIN);
	*out = s;
	return 0;
fail:
	err = -errno;
	if (s->own_epfd)
		ts_close(st, s->epfd);
	ts_close(st, s->lfd);
	free(s);
	return err;
}

int http_server_epfd(const struct http_server *s)
{
	return s->epfd;
}

int http_server_next_timeout_ms(struct http_server *s, uint64_t now_us)
{
	uint64_t earliest = UINT64_MAX;
	for (int i = 0; i < TIMER_N; i++)
		if (s->lists[i].head && s->lists[i].head->deadline_us < earliest)
			earliest = s->lists[i].head->deadline_us;
	if (s->refused_n && s->refused_deadline[s->refused_head] < earliest)
		earliest = s->refused_deadline[s->refused_head];
	if (earliest == UINT64_MAX)
		return -1;
	if (earliest <= now_us)
		return 0;
	uint64_t ms = (earliest - now_us + 999) / 1000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

void http_server_expire(struct http_server *s, uint64_t now_us)
{
	for (int i = 0; i < TIMER_N; i++) {
		struct http_conn *c;
		while ((c = s->lists[i].head) && c->deadline_us <= now_us) {
			if (i == TIMER_IDLE)
				s->stats.idle_timeouts++;
			else if (i == TIMER_HEADER)
				s->stats.header_timeouts++;
			else if (i == TIMER_BODY)
				s->stats.body_timeouts++;
			/* Like Go, a timed-out connection is closed without a response. */
			conn_close(c);
		}
	}
	while (s->refused_n && s->refused_deadline[s->refused_head] <= now_us)
		refused_close_oldest(s);
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < TIMER_N; i++)
		while (s->lists[i].head)
			conn_close(s->lists[i].head);
	while (s->refused_n)
		refused_close_oldest(s);
	ts_close(s->st, s->lfd);
	if (s->own_epfd)
		ts_close(s->st, s->epfd);
	while (s->pool) {
		struct http_conn *c = s->pool;
		s->pool = c->pool_next;
		free(c);
	}
	while (s->bufs_pool) {
		struct http_bufs *b = s->bufs_pool;
		s->bufs_pool = b->pool_next;
		free(b);
	}
	free(s);
}

void http_server_get_stats(const struct http_server *s, struct http_server_stats *out)
{
	*out = s->stats;
}
