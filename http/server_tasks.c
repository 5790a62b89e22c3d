/*
 * server_tasks.c - the HTTP/1.1 server as Go writes it: an accept loop in
 * a task, `go c.serve()` for each connection, and straight-line blocking
 * reads and writes in that task, which park it on EAGAIN until the
 * readiness layer wakes it (shared/seeds/go-netpoll-epoll.md, sections
 * III-V; docs/netpoll.md).  Only the public API (tapstack.h) is used.
 *
 *   accept_loop:  for { fd = accept(); go serve_conn(fd) }      (Go's Serve)
 *   serve_conn:   for { wait for a byte (idle deadline); read the head
 *                 (header deadline); answer; discard the body (body
 *                 deadline); write (idle deadline per chunk) }  (conn.serve)
 *
 * Its answers, limits and counters are the event-loop model's (server.c),
 * from the same response.c: it must pass the same tests.  The timers of
 * server.c are deadlines here (ts_set_deadline, Go's SetReadDeadline):
 *   idle     between requests: the wait for the next request's first byte,
 *            and each write of a response (progress renews it)
 *   header   from the first byte of a head, not renewed (slowloris)
 *   body     from the end of a head with a body, not renewed
 *   linger   a closing connection waits this long for the peer's FIN
 * A read that passes its deadline fails with ETIMEDOUT and the connection
 * is closed without an answer, as Go and server.c do.
 *
 * Memory: a connection holds its input and output buffers only while it
 * is busy with a request, as in server.c.  Between requests the task waits
 * with a one-byte MSG_PEEK on its own stack (Go's conn.serve peeks the same
 * way, c.bufr.Peek(4), before it starts the read deadline of a request), so
 * an idle connection costs its struct, its socket and its task's stack (the
 * pages it touched: one, see docs/netpoll.md).
 *
 * Pipelining: complete requests already buffered are answered into the
 * output buffer before it is written, in order, as server.c does.
 */
#include "server_tasks.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "response.h"
#include "tapstack.h"

/* The buffers and limits of server.c (see there for the reasons). */
#define HTTP_IN_CAP	       (16 * 1024)
#define HTTP_OUT_CAP	       (8 * 1024)
#define HTTP_LINGER_MS	       2000
#define HTTP_BUFS_POOL_MAX     64
#define HTTP_DISCARD_CAP       4096
#define HTTP_REFUSED_LINGER_MS 500
#define HTTP_REFUSED_MAX       64
#define HTTP_REFUSED_DRAIN     (64 * 1024)
#define HTTP_LISTEN_BACKLOG    4096
/* Go's accept loop backs off this long after EMFILE and the like (5 ms, doubling). */
#define HTTP_ACCEPT_BACKOFF_MS 5
_Static_assert(HTTP_IN_CAP > HTTP_MAX_HEAD, "a full head fits with bytes to spare");
_Static_assert(HTTP_OUT_CAP >= 2 * HTTP_RESP_ROOM, "at least one response fits");

#define MS 1000ull

/* The buffers of a connection busy with a request or a response. */
struct tbufs {
	struct tbufs *pool_next; /* free-pool link */
	uint8_t in[HTTP_IN_CAP];
	uint8_t out[HTTP_OUT_CAP];
};

enum read_state {
	READ_HEAD,	   /* expecting (the rest of) a request head */
	READ_BODY_LENGTH,  /* discarding a Content-Length body, body_left to go */
	READ_BODY_CHUNKED, /* discarding a chunked body */
};

/* One accepted connection and its task (a refused one too). */
struct tconn {
	struct http_server_tasks *srv;
	int fd;
	bool refused;		   /* over max_conns: answered 503 by refuse_conn */
	bool closed;		   /* http_server_tasks_stop closed fd: not to be closed again */
	struct tconn *prev, *next; /* the server's connections */
	struct tbufs *b;	   /* NULL while idle */
	size_t in_off, in_len;	   /* unconsumed input: b->in[in_off..in_len) */
	size_t out_len;		   /* output to write: b->out[0..out_len) */
	struct http_parser parser; /* the current head, relative to in + in_off */
	enum read_state rstate;
	bool head_started;	     /* a byte of the current head arrived */
	bool close_after;	     /* close once the output is written */
	uint64_t head_deadline;	     /* header deadline (stack clock) */
	uint64_t body_deadline;	     /* body deadline */
	uint64_t body_left;	     /* READ_BODY_LENGTH: bytes to discard */
	uint64_t body_read;	     /* READ_BODY_CHUNKED: bytes discarded so far */
	struct http_chunked chunked; /* READ_BODY_CHUNKED decoder */
	uint64_t stream_pos;	     /* next /bytes body index */
	uint64_t stream_left;	     /* /bytes body bytes still to write */
};

struct http_server_tasks {
	struct stack *st;
	int lfd; /* the listener */
	struct http_server_config cfg;
	struct http_server_stats stats;
	struct http_date date;
	uint32_t tasks;	     /* this server's tasks not yet ended */
	uint32_t refusing;   /* refused connections lingering now */
	bool orphaned;	     /* the stop gave up waiting: the last task frees the server */
	struct tconn *conns; /* every connection with a task (served and refused) */
	struct tbufs *pool;  /* released buffer pairs */
	uint32_t pool_n;
	uint8_t pattern[PATTERN_LEN];	   /* byte i = i % 251, for /bytes/N */
	uint8_t discard[HTTP_DISCARD_CAP]; /* reads that only drain land here */
};

static uint64_t now_plus(struct http_server_tasks *s, uint64_t ms)
{
	return ts_now_us(s->st) + ms * MS;
}

/* ---- connections ------------------------------------------------------------- */

static struct tconn *tconn_new(struct http_server_tasks *s, int fd, bool refused)
{
	struct tconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->srv = s;
	c->fd = fd;
	c->refused = refused;
	c->rstate = READ_HEAD;
	http_parser_init(&c->parser, HTTP_MAX_HEAD);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	return c;
}

static bool take_bufs(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	if (c->b)
		return true;
	struct tbufs *b = s->pool;
	if (b) {
		s->pool = b->pool_next;
		s->pool_n--;
	} else if (!(b = malloc(sizeof(*b)))) {
		return false;
	}
	c->b = b;
	c->in_off = c->in_len = c->out_len = 0;
	s->stats.buffers++;
	return true;
}

static void give_bufs(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	struct tbufs *b = c->b;
	if (!b)
		return;
	c->b = NULL;
	c->in_off = c->in_len = c->out_len = 0;
	s->stats.buffers--;
	if (s->pool_n < HTTP_BUFS_POOL_MAX) {
		b->pool_next = s->pool;
		s->pool = b;
		s->pool_n++;
	} else {
		free(b);
	}
}

static void server_free(struct http_server_tasks *s)
{
	while (s->pool) {
		struct tbufs *b = s->pool;
		s->pool = b->pool_next;
		free(b);
	}
	free(s);
}

/* The end of a task of the server; the last one frees it if the stop could not wait. */
static void task_done(struct http_server_tasks *s)
{
	if (--s->tasks == 0 && s->orphaned)
		server_free(s);
}

/* Closes c's socket (unless the stop did) and frees c. */
static void tconn_end(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	give_bufs(c);
	if (!c->closed)
		ts_close(s->st, c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->refused)
		s->refusing--;
	else
		s->stats.live--;
	free(c);
}

/* ---- one connection (Go's conn.serve) ---------------------------------------- */

enum step {
	STEP_NEED_INPUT, /* every buffered byte is used: read more */
	STEP_BLOCKED,	 /* output must be written first (room, stream, or closing) */
};

static void respond(struct tconn *c, const struct http_request *req)
{
	struct http_server_tasks *s = c->srv;
	struct http_out o = {c->b->out, c->out_len, HTTP_OUT_CAP, &s->date, s->pattern};
	struct http_answer a;
	http_respond(&o, req, &a);
	c->out_len = o.len;
	c->close_after = a.close_after;
	c->stream_pos = a.stream_pos;
	c->stream_left = a.stream_left;
	if (a.too_big)
		s->stats.body_too_large++;
	s->stats.responses[a.status / 100]++;
}

static void respond_error(struct tconn *c, int status, const char *detail)
{
	struct http_server_tasks *s = c->srv;
	struct http_out o = {c->b->out, c->out_len, HTTP_OUT_CAP, &s->date, s->pattern};
	s->stats.responses[http_respond_error(&o, status, detail) / 100]++;
	c->out_len = o.len;
	c->close_after = true;
}

/*
 * Answers what the buffered input allows (server.c's conn_produce, with
 * deadlines where it arms timers).  Stops when the output buffer is short
 * of room, a stream is pending, the connection is closing, or it needs
 * more input.
 */
static enum step produce(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	for (;;) {
		if (c->close_after || c->stream_left || HTTP_OUT_CAP - c->out_len < HTTP_RESP_ROOM)
			return STEP_BLOCKED;
		const uint8_t *in = c->b->in + c->in_off;
		size_t avail = c->in_len - c->in_off;
		if (c->rstate == READ_BODY_LENGTH) {
			uint64_t n = avail < c->body_left ? avail : c->body_left;
			c->in_off += (size_t)n;
			c->body_left -= n;
			if (c->body_left)
				return STEP_NEED_INPUT;
			c->rstate = READ_HEAD;
			continue;
		}
		if (c->rstate == READ_BODY_CHUNKED) {
			size_t used, data_len;
			const uint8_t *data;
			enum http_parse_result r =
			    http_chunked_feed(&c->chunked, in, avail, &used, &data, &data_len);
			c->in_off += used;
			c->body_read += used;
			if (r == HTTP_PARSE_ERROR) {
				c->close_after = true; /* the framing is lost */
				return STEP_BLOCKED;
			}
			if (r == HTTP_PARSE_DONE) {
				c->rstate = READ_HEAD;
			} else if (c->body_read > HTTP_MAX_DISCARD_BODY) {
				s->stats.body_too_large++; /* Go stops here too */
				c->close_after = true;
				return STEP_BLOCKED;
			} else if (c->in_off == c->in_len) {
				return STEP_NEED_INPUT;
			}
			continue;
		}
		if (avail == 0)
			return STEP_NEED_INPUT;
		if (!c->head_started) {
			/* Slowloris: the whole head within header_timeout_ms of its first byte. */
			c->head_started = true;
			c->head_deadline = now_plus(s, s->cfg.header_timeout_ms);
		}
		struct http_request req;
		enum http_parse_result r = http_parse_request(&c->parser, in, avail, &req);
		if (r == HTTP_PARSE_MORE)
			return STEP_NEED_INPUT;
		s->stats.requests++;
		if (r == HTTP_PARSE_ERROR) {
			respond_error(c, http_error_status(c->parser.err),
				      http_error_doc(c->parser.err));
			return STEP_BLOCKED;
		}
		c->in_off += req.info.head_len;
		http_parser_init(&c->parser, HTTP_MAX_HEAD);
		c->head_started = false;
		respond(c, &req);
		if (c->close_after) {
			/* The body, if any, is not read: the lingering close discards it. */
		} else if (req.info.chunked) {
			c->rstate = READ_BODY_CHUNKED;
			c->body_read = 0;
			http_chunked_init(&c->chunked);
			c->body_deadline = now_plus(s, s->cfg.body_timeout_ms);
		} else if (req.info.content_length) {
			c->rstate = READ_BODY_LENGTH;
			c->body_left = req.info.content_length;
			c->body_deadline = now_plus(s, s->cfg.body_timeout_ms);
		}
	}
}

/* One blocking write under the idle deadline (renewed by each call's progress). */
static int write_all(struct tconn *c, const void *p, size_t n)
{
	struct http_server_tasks *s = c->srv;
	ts_set_deadline(s->st, c->fd, TS_DEADLINE_WRITE, now_plus(s, s->cfg.idle_timeout_ms));
	ssize_t w = ts_write(s->st, c->fd, p, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -ETIMEDOUT; /* a short count: the deadline cut it */
}

/* Writes the output buffer, then the /bytes stream from the pattern.  0 or -errno. */
static int flush(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	int err;
	if (c->out_len && (err = write_all(c, c->b->out, c->out_len)) < 0)
		return err;
	c->out_len = 0;
	while (c->stream_left) {
		size_t phase = (size_t)(c->stream_pos % PATTERN_PERIOD);
		uint64_t chunk = PATTERN_LEN - phase;
		if (chunk > c->stream_left)
			chunk = c->stream_left;
		if ((err = write_all(c, s->pattern + phase, (size_t)chunk)) < 0)
			return err;
		c->stream_pos += chunk;
		c->stream_left -= chunk;
	}
	return 0;
}

/*
 * The lingering close (RFC 9112 §9.6): FIN our side, then discard what the
 * client still sends until its FIN, an error, or HTTP_LINGER_MS.
 */
static void linger_close(struct tconn *c)
{
	struct http_server_tasks *s = c->srv;
	give_bufs(c);
	ts_shutdown(s->st, c->fd, SHUT_WR);
	ts_set_deadline(s->st, c->fd, TS_DEADLINE_READ, now_plus(s, HTTP_LINGER_MS));
	while (ts_read(s->st, c->fd, s->discard, sizeof(s->discard)) > 0)
		continue;
}

/* Counts a read that passed its deadline by what it was waiting for. */
static void count_timeout(struct tconn *c)
{
	struct http_server_stats *st = &c->srv->stats;
	if (c->rstate != READ_HEAD)
		st->body_timeouts++;
	else if (c->head_started)
		st->header_timeouts++;
	else
		st->idle_timeouts++;
}

static void serve_conn(struct stack *st, void *arg)
{
	struct tconn *c = arg;
	struct http_server_tasks *s = c->srv;
	/* Go's first calls on a new connection: its local address, Nagle off. */
	struct sockaddr_in6 local;
	socklen_t llen = sizeof(local);
	ts_getsockname(st, c->fd, (struct sockaddr *)&local, &llen);
	int one = 1;
	ts_setsockopt(st, c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (bool fresh = false;; fresh = false) {
		if (!c->b) {
			/* Between requests: wait for a byte, holding no buffer. */
			char byte;
			ts_set_deadline(st, c->fd, TS_DEADLINE_READ,
					now_plus(s, s->cfg.idle_timeout_ms));
			ssize_t n = ts_recv(st, c->fd, &byte, 1, MSG_PEEK);
			if (n < 0 && errno == ETIMEDOUT)
				s->stats.idle_timeouts++;
			if (n <= 0 || !take_bufs(c))
				break;
			fresh = true; /* the byte is there: read it */
		}
		enum step step = produce(c);
		int err = flush(c);
		if (err < 0) {
			if (err == -ETIMEDOUT)
				s->stats.idle_timeouts++; /* a client that stopped reading */
			break;
		}
		if (c->close_after) {
			linger_close(c);
			break;
		}
		if (step == STEP_BLOCKED)
			continue;
		if (!fresh && c->rstate == READ_HEAD && !c->head_started) {
			give_bufs(c); /* every byte used: idle until the next request */
			continue;
		}
		/* Inside a request: the rest of its head, or its body. */
		if (c->in_off) {
			memmove(c->b->in, c->b->in + c->in_off, c->in_len - c->in_off);
			c->in_len -= c->in_off;
			c->in_off = 0;
		}
		/* The first read after the wait for a byte keeps the idle deadline: the byte is
		 * there. */
		if (!fresh)
			ts_set_deadline(st, c->fd, TS_DEADLINE_READ,
					c->rstate == READ_HEAD ? c->head_deadline
							       : c->body_deadline);
		ssize_t n = ts_read(st, c->fd, c->b->in + c->in_len, HTTP_IN_CAP - c->in_len);
		if (n > 0) {
			c->in_len += (size_t)n;
			continue;
		}
		if (n < 0 && errno == ETIMEDOUT)
			count_timeout(c);
		break; /* end of stream, an error, or the stop (EBADF) */
	}
	tconn_end(c);
	task_done(s);
}

/* ---- refused connections and the accept loop ---------------------------------------- */

/* Reads (without waiting) and drops what fd has queued, up to max bytes. */
static void drain_queued(struct http_server_tasks *s, int fd, size_t max)
{
	for (size_t got = 0; got < max;) {
		ssize_t n = ts_recv(s->st, fd, s->discard, sizeof(s->discard), MSG_DONTWAIT);
		if (n <= 0)
			return;
		got += (size_t)n;
	}
}

/*
 * Over max_conns: read what is queued, write the 503, FIN, and wait up to
 * HTTP_REFUSED_LINGER_MS for the client's FIN before closing, so that no
 * RST destroys the answer (Go's closeWriteAndWait; server.c's refuse).
 * Beyond HTTP_REFUSED_MAX lingering at once, the wait is skipped.
 */
static void refuse_conn(struct stack *st, void *arg)
{
	struct tconn *c = arg;
	struct http_server_tasks *s = c->srv;
	drain_queued(s, c->fd, HTTP_REFUSED_DRAIN);
	ts_set_deadline(st, c->fd, TS_DEADLINE_RW, now_plus(s, HTTP_REFUSED_LINGER_MS));
	if (ts_write(st, c->fd, http_refused_503, http_refused_503_len) >= 0 &&
	    ts_shutdown(st, c->fd, SHUT_WR) == 0 && s->refusing <= HTTP_REFUSED_MAX)
		while (ts_read(st, c->fd, s->discard, sizeof(s->discard)) > 0)
			continue;
	drain_queued(s, c->fd, HTTP_REFUSED_DRAIN);
	tconn_end(c);
	task_done(s);
}

/* Go's Server.Serve: accept, and a task for each connection. */
static void accept_loop(struct stack *st, void *arg)
{
	struct http_server_tasks *s = arg;
	int backoff_ms = HTTP_ACCEPT_BACKOFF_MS;
	for (;;) {
		struct sockaddr_in6 peer;
		socklen_t plen = sizeof(peer);
		int fd = ts_accept4(st, s->lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM) {
				/* Go: "Accept error: ...; retrying in 5ms", doubling to 1 s. */
				ts_poll(st, NULL, 0, backoff_ms);
				backoff_ms = backoff_ms < 500 ? backoff_ms * 2 : 1000;
				continue;
			}
			break; /* EBADF: the listener closed (the stop); EINTR: a signal */
		}
		backoff_ms = HTTP_ACCEPT_BACKOFF_MS;
		s->stats.accepted++;
		bool refused = s->stats.live >= s->cfg.max_conns;
		struct tconn *c = tconn_new(s, fd, refused);
		if (!c) {
			ts_close(st, fd);
			continue;
		}
		if (refused) {
			s->stats.refused++;
			s->stats.responses[5]++;
			s->refusing++;
		} else {
			s->stats.live++;
		}
		if (ts_go(st, refused ? refuse_conn : serve_conn, c) < 0) {
			tconn_end(c);
			continue;
		}
		s->tasks++;
	}
	task_done(s);
}

/* ---- the server ------------------------------------------------------------------- */

int http_server_tasks_start(struct http_server_tasks **out, struct stack *st,
			    const struct http_server_config *cfg)
{
	struct http_server_tasks *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->st = st;
	s->cfg = *cfg;
	http_date_init(&s->date, cfg->date_base_s, st);
	http_pattern_fill(s->pattern);

	int err, one = 1, zero = 0;
	/* Dual-stack `[::]:port` (server.c says why). */
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(cfg->port)};
	/* Blocking: the tasks park in its calls.  Go's Listen makes the same calls. */
	s->lfd = ts_socket(st, AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s->lfd < 0) {
		err = -errno;
		free(s);
		return err;
	}
	if (ts_setsockopt(st, s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    ts_setsockopt(st, s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    ts_bind(st, s->lfd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 ||
	    ts_listen(st, s->lfd, HTTP_LISTEN_BACKLOG) < 0 || ts_go(st, accept_loop, s) < 0) {
		err = -errno;
		ts_close(st, s->lfd);
		free(s);
		return err;
	}
	s->tasks = 1;
	*out = s;
	return 0;
}

void http_server_tasks_stop(struct http_server_tasks *s)
{
	if (!s)
		return;
	struct stack *st = s->st;
	/* Every socket of the server closes; each parked task wakes with EBADF. */
	ts_close(st, s->lfd);
	for (struct tconn *c = s->conns; c; c = c->next) {
		ts_close(st, c->fd);
		c->closed = true;
	}
	/* Run them to their end: woken tasks end in one pass; one in the
	 * accept back-off needs its timeout. */
	uint64_t until = ts_now_us(st) + 2000 * MS;
	for (int i = 0; s->tasks && i < 100000 && ts_now_us(st) < until; i++) {
		ts_yield(st);
		if (s->tasks)
			ts_poll(st, NULL, 0, 1);
	}
	if (s->tasks)
		s->orphaned = true; /* never polled again: freed by its last task, if ever */
	else
		server_free(s);
}

void http_server_tasks_get_stats(const struct http_server_tasks *s, struct http_server_stats *out)
{
	*out = s->stats;
}
