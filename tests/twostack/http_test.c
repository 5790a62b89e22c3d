/*
 * http_test.c - the HTTP/1.1 server (http/server.c) and client
 * (http/client.c) over two whole stacks: stack b (10.0.0.2) serves on 8080,
 * stack a (10.0.0.1) is the client, joined by the in-memory wire with a
 * virtual clock (tests/lib/twostack.h).
 *
 * The done callback of twostack_run_until is the main loop of both sides:
 * it dispatches stack b's ts_epoll events to the server's handlers (as
 * tools/tapstack.c does), runs http_server_expire at the virtual time, and
 * pumps the raw clients on stack a.  Responses are compared byte for byte;
 * only the Date value varies, and it is checked to be an IMF-fixdate
 * within seconds of the wall clock.
 *
 * Every server test runs against both models of the server (a loop test,
 * _i = enum model): the event loop (server.c) and one task per connection
 * (server_tasks.c), whose tasks run inside stack b's polls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "twostack.h"
#include "tcp_var.h"
#include "client.h"
#include "handler.h"
#include "parser.h"
#include "server.h"
#include "server_tasks.h"
#include "tapstack.h"

#define SERVER_IP 0x0a000002u

/* The server model under test: set from the loop index at each test's start. */
enum model { MODEL_EVENTS, MODEL_TASKS, MODEL_N };
static enum model model;
#define MODEL_FROM_LOOP() (model = (enum model)_i)
#define SEC		  1000000ull

/* A client on stack a that sends queued bytes and collects everything read. */
struct rawc {
	int fd;
	uint8_t *out; /* bytes to send: out[out_off..out_len) still pending */
	size_t out_len, out_off, out_cap;
	uint8_t *in; /* everything received */
	size_t in_len, in_cap;
	bool connected;
	bool eof; /* read returned 0 */
	int err;  /* errno of a failed read or write (ECONNRESET, ...) */
};

struct hfix {
	struct twostack t;
	int epfd;			/* server's epoll instance on stack b */
	struct http_server *srv;	/* MODEL_EVENTS: the event-loop server, */
	struct http_server_tasks *tsrv; /* MODEL_TASKS: the tasks one */
	struct rawc *clients[4];
	int nclients;
	struct http_client *hc; /* a step client in progress, or NULL */
	int hc_result;		/* its last http_client_step result */
	bool (*cond)(struct hfix *f, void *arg);
	void *arg;
	bool srv_paused; /* the server's main loop does not run (requests queue up) */
	/* A scripted server on stack b port 8081: accepts one connection and,
	 * once the request arrived, writes fake_reply in one write. */
	int fake_lfd, fake_fd;
	const char *fake_reply;
	char fake_req[2048]; /* the request it read (NUL-terminated) */
};

static void fake_pump(struct hfix *f)
{
	struct stack *b = &f->t.b;
	if (f->fake_fd < 0) {
		f->fake_fd = ts_accept4(b, f->fake_lfd, NULL, NULL, SOCK_NONBLOCK);
		if (f->fake_fd < 0)
			return;
	}
	ssize_t got;
	if (f->fake_reply &&
	    (got = ts_read(b, f->fake_fd, f->fake_req, sizeof(f->fake_req) - 1)) > 0) {
		f->fake_req[got] = 0;
		size_t n = strlen(f->fake_reply);
		ck_assert_int_eq(ts_write(b, f->fake_fd, f->fake_reply, n), (ssize_t)n);
		f->fake_reply = NULL; /* and the connection stays open */
	}
}

static void rawc_pump(struct hfix *f, struct rawc *c)
{
	struct stack *a = &f->t.a;
	if (c->fd < 0)
		return;
	if (!c->connected) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		ck_assert_int_eq(ts_getsockopt(a, c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
		if (soerr) {
			c->err = soerr;
			return;
		}
		/* Connected once EPOLLOUT would be reported: poll through a write
		 * of nothing is not portable, so ask for the peer's name. */
		struct sockaddr_in peer;
		len = sizeof(peer);
		c->connected = ts_getpeername(a, c->fd, (struct sockaddr *)&peer, &len) == 0;
	}
	while (c->out_off < c->out_len && !c->err) {
		ssize_t n = ts_write(a, c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0) {
			if (errno != EAGAIN && errno != ENOTCONN)
				c->err = errno;
			break;
		}
		c->connected = true;
		c->out_off += (size_t)n;
	}
	while (!c->eof && !c->err && c->in_len < c->in_cap) {
		ssize_t n = ts_read(a, c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n < 0) {
			if (errno != EAGAIN && errno != ENOTCONN)
				c->err = errno;
			break;
		}
		if (n == 0)
			c->eof = true;
		c->in_len += (size_t)n;
	}
}

/* One iteration of both main loops. */
static bool fix_done(struct twostack *t, void *ctx)
{
	struct hfix *f = ctx;
	(void)t;
	if (f->srv && !f->srv_paused) {
		struct epoll_event evs[64];
		int n = ts_epoll_wait(&f->t.b, f->epfd, evs, 64, 0);
		for (int i = 0; i < n; i++) {
			struct ts_handler *h = evs[i].data.ptr;
			h->on_event(h, evs[i].events);
		}
		http_server_expire(f->srv, f->t.b.now_us);
	}
	for (int i = 0; i < f->nclients; i++)
		rawc_pump(f, f->clients[i]);
	if (f->fake_lfd > 0)
		fake_pump(f);
	if (f->hc && f->hc_result > 0)
		f->hc_result = http_client_step(f->hc);
	return f->cond ? f->cond(f, f->arg) : false;
}

static bool run_until(struct hfix *f, bool (*cond)(struct hfix *, void *), void *arg,
		      uint64_t max_us)
{
	f->cond = cond;
	f->arg = arg;
	bool r = twostack_run_until(&f->t, fix_done, f, max_us);
	f->cond = NULL;
	return r;
}

/* Runs both sides for us of virtual time. */
static void run_for(struct hfix *f, uint64_t us)
{
	run_until(f, NULL, NULL, us);
}

/* TS_HTTP_TRACE=1 in the environment prints --trace api,tcp of both stacks. */
static void trace_tweak(struct ts_config *cfg, char which)
{
	(void)which;
	if (getenv("TS_HTTP_TRACE")) {
		cfg->trace = TS_TRACE_API | TS_TRACE_TCP;
		cfg->trace_out = stderr;
	}
}

static void fix_init_faults(struct hfix *f, const struct http_server_config *cfg,
			    const struct fault_spec *faults)
{
	memset(f, 0, sizeof(*f));
	twostack_init(&f->t, faults, trace_tweak);
	f->epfd = ts_epoll_create1(&f->t.b, EPOLL_CLOEXEC);
	ck_assert_int_ge(f->epfd, 0);
	if (model == MODEL_EVENTS)
		ck_assert_int_eq(http_server_start(&f->srv, &f->t.b, f->epfd, cfg), 0);
	else
		ck_assert_int_eq(http_server_tasks_start(&f->tsrv, &f->t.b, cfg), 0);
}

/* The server's counters, whichever model runs. */
static void fix_stats(struct hfix *f, struct http_server_stats *st)
{
	if (f->srv)
		http_server_get_stats(f->srv, st);
	else
		http_server_tasks_get_stats(f->tsrv, st);
}

static void fix_stop(struct hfix *f)
{
	if (f->srv)
		http_server_stop(f->srv);
	if (f->tsrv)
		http_server_tasks_stop(f->tsrv);
	f->srv = NULL;
	f->tsrv = NULL;
}

static void fix_init_cfg(struct hfix *f, const struct http_server_config *cfg)
{
	fix_init_faults(f, cfg, NULL);
}

static void fix_init(struct hfix *f)
{
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	fix_init_cfg(f, &cfg);
}

static struct rawc *rawc_open(struct hfix *f, size_t in_cap)
{
	struct rawc *c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->in = malloc(in_cap);
	c->in_cap = in_cap;
	c->fd = ts_socket(&f->t.a, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	ck_assert_int_ge(c->fd, 0);
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_port = htons(8080), .sin_addr.s_addr = htonl(SERVER_IP)};
	int r = ts_connect(&f->t.a, c->fd, (struct sockaddr *)&sin, sizeof(sin));
	ck_assert(r == 0 || errno == EINPROGRESS);
	ck_assert_int_lt(f->nclients, 4);
	f->clients[f->nclients++] = c;
	return c;
}

static void rawc_send(struct rawc *c, const void *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		c->out_cap = (c->out_len + n) * 2;
		c->out = realloc(c->out, c->out_cap);
		ck_assert_ptr_nonnull(c->out);
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

static void rawc_send_str(struct rawc *c, const char *s)
{
	rawc_send(c, s, strlen(s));
}

static void fix_free(struct hfix *f)
{
	for (int i = 0; i < f->nclients; i++) {
		struct rawc *c = f->clients[i];
		if (c->fd >= 0)
			ts_close(&f->t.a, c->fd);
		free(c->in);
		free(c->out);
		free(c);
	}
	f->nclients = 0;
	fix_stop(f);
	ts_close(&f->t.b, f->epfd);
	run_for(f, 5 * SEC);
	twostack_free(&f->t);
}

/* ---- reading responses --------------------------------------------------- */

/* One parsed response inside a client's input. */
struct resp {
	int status;
	const uint8_t *head; /* start of the status line */
	size_t head_len;
	const uint8_t *body;
	uint64_t body_len;
};

/*
 * Splits c->in into complete responses (Content-Length framed; head_only[i]
 * for responses to HEAD).  Returns how many are complete.
 */
static int split_responses(const struct rawc *c, struct resp *out, int max, const bool *head_only)
{
	size_t off = 0;
	int n = 0;
	while (n < max && off < c->in_len) {
		struct http_parser p;
		struct http_response r;
		http_parser_init(&p, HTTP_MAX_HEAD);
		if (http_parse_response(&p, c->in + off, c->in_len - off, &r) != HTTP_PARSE_DONE)
			break;
		uint64_t body = (head_only && head_only[n]) ? 0 : r.info.content_length;
		if (off + r.info.head_len + body > c->in_len)
			break;
		out[n] = (struct resp){r.status, c->in + off, r.info.head_len,
				       c->in + off + r.info.head_len, body};
		off += r.info.head_len + body;
		n++;
	}
	return n;
}

struct want_responses {
	struct rawc *c;
	int n;
	const bool *head_only;
};

static bool got_responses(struct hfix *f, void *arg)
{
	struct want_responses *w = arg;
	struct resp r[16];
	(void)f;
	return split_responses(w->c, r, w->n, w->head_only) >= w->n || w->c->err;
}

static bool got_eof(struct hfix *f, void *arg)
{
	struct rawc *c = arg;
	(void)f;
	return c->eof || c->err;
}

static void wait_responses(struct hfix *f, struct rawc *c, int n, const bool *head_only,
			   struct resp *out)
{
	struct want_responses w = {c, n, head_only};
	twostack_assert(&f->t, run_until(f, got_responses, &w, 10 * SEC));
	ck_assert_int_eq(c->err, 0);
	ck_assert_int_eq(split_responses(c, out, n, head_only), n);
}

static void wait_eof(struct hfix *f, struct rawc *c)
{
	twostack_assert(&f->t, run_until(f, got_eof, c, 10 * SEC));
	ck_assert_msg(c->eof && c->err == 0, "want a clean FIN, got err %d", c->err);
}

/* The head's text up to its final CRLF CRLF, NUL-terminated, Date masked. */
static const char *head_text(const struct resp *r, char *buf, size_t cap)
{
	ck_assert_uint_lt(r->head_len, cap);
	memcpy(buf, r->head, r->head_len);
	buf[r->head_len] = 0;
	char *d = strstr(buf, "\r\nDate: ");
	if (d) {
		d += 8;
		/* IMF-fixdate (RFC 9110 §5.6.7), e.g. "Sun, 06 Nov 1994 08:49:37 GMT". */
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		char *end = strptime(d, "%a, %d %b %Y %H:%M:%S GMT", &tm);
		ck_assert_msg(end && end - d == 29 && end[0] == '\r', "bad Date: %.40s", d);
		time_t t = timegm(&tm);
		ck_assert_int_lt(labs((long)(t - time(NULL))), 5);
		memcpy(d, "<date>", 6);
		memmove(d + 6, d + 29, strlen(d + 29) + 1);
	}
	return buf;
}

static void assert_body(const struct resp *r, const char *want)
{
	ck_assert_uint_eq(r->body_len, strlen(want));
	ck_assert_mem_eq(r->body, want, r->body_len);
}

static const char HELLO_HEAD[] = "HTTP/1.1 200 OK\r\n"
				 "Date: <date>\r\n"
				 "Content-Length: 14\r\n"
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "\r\n";

static const char GET_HELLO[] = "GET /hello HTTP/1.1\r\n"
				"Host: 10.0.0.2:8080\r\n"
				"User-Agent: curl/7.88.1\r\n"
				"Accept: */*\r\n"
				"\r\n";

/* ---- tests ------------------------------------------------------------------------ */

/* The exact bytes of Go's answer to curl's GET /hello, on a connection kept open. */
START_TEST(hello_exact_bytes)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, GET_HELLO);
	struct resp r;
	char h[512];
	wait_responses(&f, c, 1, NULL, &r);
	ck_assert_str_eq(head_text(&r, h, sizeof(h)), HELLO_HEAD);
	assert_body(&r, "Hello, world!\n");
	ck_assert_uint_eq(c->in_len, r.head_len + 14);
	/* Date: 29 chars; the whole response is 131 bytes, like Go's. */
	ck_assert_uint_eq(c->in_len, 131);
	run_for(&f, 2 * SEC);
	ck_assert(!c->eof); /* HTTP/1.1 keeps the connection */
	fix_free(&f);
}
END_TEST

START_TEST(keepalive_two_requests)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	struct resp r[2];
	char h[512];
	rawc_send_str(c, GET_HELLO);
	wait_responses(&f, c, 1, NULL, r);
	rawc_send_str(c, "GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n");
	wait_responses(&f, c, 2, NULL, r);
	ck_assert_str_eq(head_text(&r[0], h, sizeof(h)), HELLO_HEAD);
	ck_assert_str_eq(head_text(&r[1], h, sizeof(h)),
			 "HTTP/1.1 200 OK\r\n"
			 "Date: <date>\r\n"
			 "Content-Length: 3\r\n"
			 "Content-Type: application/octet-stream\r\n"
			 "\r\n");
	ck_assert_mem_eq(r[1].body, "\x00\x01\x02", 3);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.accepted, 1);
	ck_assert_uint_eq(st.requests, 2);
	ck_assert_uint_eq(st.live, 1);
	fix_free(&f);
}
END_TEST

/* Four requests in one write: answers in order, HEAD without body. */
START_TEST(pipelined_in_order)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 65536);
	rawc_send_str(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\n"
			 "HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /bytes/20000 HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
	const bool head_only[6] = {false, false, true, false, false, false};
	struct resp r[6];
	char h[512];
	wait_responses(&f, c, 6, head_only, r);
	assert_body(&r[0], "Hello, world!\n");
	ck_assert_int_eq(r[1].status, 200);
	ck_assert_mem_eq(r[1].body, "\x00\x01\x02\x03\x04", 5);
	ck_assert_str_eq(head_text(&r[2], h, sizeof(h)), HELLO_HEAD);
	ck_assert_str_eq(head_text(&r[3], h, sizeof(h)),
			 "HTTP/1.1 404 Not Found\r\n"
			 "Content-Type: text/plain; charset=utf-8\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "Date: <date>\r\n"
			 "Content-Length: 19\r\n"
			 "\r\n");
	assert_body(&r[3], "404 page not found\n");
	ck_assert_uint_eq(r[4].body_len, 20000);
	for (uint64_t i = 0; i < 20000; i++)
		ck_assert_uint_eq(r[4].body[i], i % 251);
	assert_body(&r[5], "Hello, world!\n");
	ck_assert_uint_eq(c->in_len, (size_t)(r[5].body + 14 - c->in));
	fix_free(&f);
}
END_TEST

/* HTTP/1.0: answered as HTTP/1.0 without a Connection field (as Go), then closed. */
START_TEST(http10_closes)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "GET /hello HTTP/1.0\r\n\r\n");
	struct resp r;
	char h[512];
	wait_responses(&f, c, 1, NULL, &r);
	ck_assert_str_eq(head_text(&r, h, sizeof(h)), "HTTP/1.0 200 OK\r\n"
						      "Date: <date>\r\n"
						      "Content-Length: 14\r\n"
						      "Content-Type: text/plain; charset=utf-8\r\n"
						      "\r\n");
	wait_eof(&f, c);
	ck_assert_uint_eq(c->in_len, 131);
	fix_free(&f);
}
END_TEST

START_TEST(connection_close_honoured)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
			 "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
	struct resp r;
	char h[512];
	wait_responses(&f, c, 1, NULL, &r);
	wait_eof(&f, c);
	ck_assert_str_eq(head_text(&r, h, sizeof(h)), "HTTP/1.1 200 OK\r\n"
						      "Date: <date>\r\n"
						      "Content-Length: 14\r\n"
						      "Content-Type: text/plain; charset=utf-8\r\n"
						      "Connection: close\r\n"
						      "\r\n");
	/* The pipelined second request is not answered. */
	ck_assert_uint_eq(c->in_len, r.head_len + 14);
	fix_free(&f);
}
END_TEST

/* The exact error answer: Go's fields plus Content-Length, then a close. */
static void error_text(char *buf, size_t cap, const char *status, const char *body)
{
	snprintf(buf, cap,
		 "HTTP/1.1 %s\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\n"
		 "Content-Length: %zu\r\n"
		 "Connection: close\r\n"
		 "\r\n"
		 "%s",
		 status, strlen(body), body);
}

/* Sends req on a fresh connection; expects exactly that error then a FIN. */
static void expect_error_close(const char *req, const char *status, const char *body)
{
	struct hfix f;
	char want[512];
	error_text(want, sizeof(want), status, body);
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, req);
	wait_eof(&f, c);
	c->in[c->in_len < c->in_cap ? c->in_len : c->in_cap - 1] = 0;
	ck_assert_str_eq((char *)c->in, want);
	fix_free(&f);
}

START_TEST(bad_request_400_close)
{
	MODEL_FROM_LOOP();
	expect_error_close("GET /hello HTTP/1.1\r\nAccept: */*\r\n\r\n", "400 Bad Request",
			   "400 Bad Request: HTTP/1.1 request without Host (RFC 9112 §3.2)");
	expect_error_close("GET /hello HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n",
			   "400 Bad Request",
			   "400 Bad Request: obsolete line folding (RFC 9112 §5.2)");
	expect_error_close("GET /hello HTTP/1.1\r\nHost : x\r\n\r\n", "400 Bad Request",
			   "400 Bad Request: whitespace between field name and colon (RFC 9112 "
			   "§5.1)");
	expect_error_close("GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n",
			   "400 Bad Request",
			   "400 Bad Request: both Transfer-Encoding and Content-Length (RFC 9112 "
			   "§6.1)");
	expect_error_close("GET /bytes/2147483649 HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request",
			   "400 Bad Request: N in /bytes/N must be a decimal from 0 to "
			   "2147483648");
	expect_error_close("GET /bytes/12a HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request",
			   "400 Bad Request: N in /bytes/N must be a decimal from 0 to "
			   "2147483648");
	expect_error_close("GET hello HTTP/1.1\r\nHost: x\r\n\r\n", "400 Bad Request",
			   "400 Bad Request: request-target has invalid characters or form (RFC "
			   "9112 §3.2)");
}
END_TEST

START_TEST(version_505_close)
{
	MODEL_FROM_LOOP();
	expect_error_close("GET /hello HTTP/2.0\r\nHost: x\r\n\r\n",
			   "505 HTTP Version Not Supported",
			   "505 HTTP Version Not Supported: major version other than 1 (RFC 9110 "
			   "§15.6.6)");
}
END_TEST

/* A 9 KiB header: 431 then close, and the client sees the answer whole
 * although the server never parsed its last bytes (lingering close). */
START_TEST(header_too_large_431_close)
{
	MODEL_FROM_LOOP();
	static char req[9300];
	int n = sprintf(req, "GET /hello HTTP/1.1\r\nHost: x\r\nCookie: ");
	memset(req + n, 'c', 9216);
	strcpy(req + n + 9216, "\r\n\r\n");
	expect_error_close(req, "431 Request Header Fields Too Large",
			   "431 Request Header Fields Too Large: header section over 8 KiB (RFC "
			   "6585 §5)");
}
END_TEST

/* POST with a body: 405 with Allow, body discarded, connection kept. */
START_TEST(method_405_body_discarded)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world"
			 "DELETE /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n"
			 "GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
	struct resp r[3];
	char h[512];
	wait_responses(&f, c, 3, NULL, r);
	const char *want405 = "HTTP/1.1 405 Method Not Allowed\r\n"
			      "Allow: GET, HEAD\r\n"
			      "Content-Type: text/plain; charset=utf-8\r\n"
			      "X-Content-Type-Options: nosniff\r\n"
			      "Date: <date>\r\n"
			      "Content-Length: 19\r\n"
			      "\r\n";
	ck_assert_str_eq(head_text(&r[0], h, sizeof(h)), want405);
	assert_body(&r[0], "Method Not Allowed\n");
	ck_assert_str_eq(head_text(&r[1], h, sizeof(h)), want405);
	ck_assert_str_eq(head_text(&r[2], h, sizeof(h)), HELLO_HEAD);
	assert_body(&r[2], "Hello, world!\n");
	run_for(&f, SEC);
	ck_assert(!c->eof);
	fix_free(&f);
}
END_TEST

/* Expect: 100-continue with a body: the final answer, then a close, since
 * the client may never send the body (RFC 9110 §10.1.1). */
START_TEST(expect_continue_answered_and_closed)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "PUT /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
			 "Expect: 100-continue\r\n\r\n");
	struct resp r;
	char h[512];
	wait_responses(&f, c, 1, NULL, &r);
	ck_assert_str_eq(head_text(&r, h, sizeof(h)), "HTTP/1.1 405 Method Not Allowed\r\n"
						      "Allow: GET, HEAD\r\n"
						      "Content-Type: text/plain; charset=utf-8\r\n"
						      "X-Content-Type-Options: nosniff\r\n"
						      "Date: <date>\r\n"
						      "Content-Length: 19\r\n"
						      "Connection: close\r\n"
						      "\r\n");
	wait_eof(&f, c);
	fix_free(&f);
}
END_TEST

/* GET /bytes/N compared byte by byte, for the sizes of the brief. */
static void check_bytes(uint64_t n)
{
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, (size_t)n + 4096);
	char req[64];
	snprintf(req, sizeof(req), "GET /bytes/%llu HTTP/1.1\r\nHost: x\r\n\r\n",
		 (unsigned long long)n);
	rawc_send_str(c, req);
	struct resp r;
	struct want_responses w = {c, 1, NULL};
	twostack_assert(&f.t, run_until(&f, got_responses, &w, 60 * SEC));
	ck_assert_int_eq(split_responses(c, &r, 1, NULL), 1);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, n);
	for (uint64_t i = 0; i < n; i++)
		if (r.body[i] != i % 251)
			ck_abort_msg("/bytes/%llu: byte %llu is %u, want %u", (unsigned long long)n,
				     (unsigned long long)i, r.body[i], (unsigned)(i % 251));
	ck_assert_uint_eq(c->in_len, r.head_len + n);
	fix_free(&f);
}

START_TEST(bytes_sizes)
{
	MODEL_FROM_LOOP();
	check_bytes(0);
	check_bytes(1);
	check_bytes(1460);
	check_bytes(65536);
	check_bytes(1 << 20);
}
END_TEST

/* Pipelined requests and a 256 KiB body over a wire that loses, duplicates
 * and reorders frames: the same bytes arrive, in order. */
START_TEST(pipelined_over_faulty_wire)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	struct fault_spec spec = {.loss_ppm = 30000,
				  .dup_ppm = 10000,
				  .reorder_ppm = 50000,
				  .delay_us = 2000,
				  .jitter_us = 1000,
				  .seed = 7};
	fix_init_faults(&f, &cfg, &spec);
	struct rawc *c = rawc_open(&f, 300000);
	rawc_send_str(c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /bytes/262144 HTTP/1.1\r\nHost: x\r\n\r\n"
			 "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	struct resp r[3];
	struct want_responses w = {c, 3, NULL};
	twostack_assert(&f.t, run_until(&f, got_responses, &w, 300 * SEC));
	twostack_assert(&f.t, split_responses(c, r, 3, NULL) == 3);
	assert_body(&r[0], "Hello, world!\n");
	twostack_assert(&f.t, r[1].body_len == 262144);
	for (uint64_t i = 0; i < 262144; i++)
		if (r[1].body[i] != i % 251)
			twostack_assert(&f.t, r[1].body[i] == i % 251);
	assert_body(&r[2], "Hello, world!\n");
	twostack_assert(&f.t, run_until(&f, got_eof, c, 120 * SEC));
	twostack_assert(&f.t, c->eof && c->err == 0);
	fix_free(&f);
}
END_TEST

/* A 400 followed by more bytes the server never parses: the client still
 * gets the whole answer and a FIN, not a reset (the lingering close). */
START_TEST(lingering_close_after_error)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "GET /hello HTTP/1.1\r\n\r\n"); /* no Host: 400 */
	static char junk[50000];
	memset(junk, 'j', sizeof(junk));
	rawc_send(c, junk, sizeof(junk));
	wait_eof(&f, c);
	char want[512];
	error_text(want, sizeof(want), "400 Bad Request",
		   "400 Bad Request: HTTP/1.1 request without Host (RFC 9112 §3.2)");
	ck_assert_uint_eq(c->in_len, strlen(want));
	ck_assert_mem_eq(c->in, want, c->in_len);
	/* The junk keeps flowing into the server's discard loop; the connection
	 * is gone once the linger deadline passes. */
	run_for(&f, 3 * SEC);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.live, 0);
	fix_free(&f);
}
END_TEST

/* HEAD /bytes/2^31: the largest N, headers only. */
START_TEST(head_bytes_max)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "HEAD /bytes/2147483648 HTTP/1.1\r\nHost: x\r\n\r\n");
	const bool head_only[1] = {true};
	struct resp r;
	char h[512];
	wait_responses(&f, c, 1, head_only, &r);
	ck_assert_str_eq(head_text(&r, h, sizeof(h)), "HTTP/1.1 200 OK\r\n"
						      "Date: <date>\r\n"
						      "Content-Length: 2147483648\r\n"
						      "Content-Type: application/octet-stream\r\n"
						      "\r\n");
	run_for(&f, SEC);
	ck_assert_uint_eq(c->in_len, r.head_len);
	fix_free(&f);
}
END_TEST

/* A client that stops reading: the server stops at a full window, holds
 * constant memory, and finishes when the client reads again. */
START_TEST(bytes_backpressure)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 300000 + 4096);
	rawc_send_str(c, "GET /bytes/300000 HTTP/1.1\r\nHost: x\r\n\r\n");
	size_t cap = c->in_cap;
	c->in_cap = 1000; /* the client reads only 1000 bytes, then stalls */
	run_for(&f, 5 * SEC);
	ck_assert_uint_eq(c->in_len, 1000);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.live, 1);
	c->in_cap = cap;
	struct resp r;
	wait_responses(&f, c, 1, NULL, &r);
	ck_assert_uint_eq(r.body_len, 300000);
	for (uint64_t i = 0; i < 300000; i++)
		ck_assert_uint_eq(r.body[i], i % 251);
	fix_free(&f);
}
END_TEST

/* Slowloris: one byte a second; cut header_timeout_ms after the first byte. */
START_TEST(slowloris_cut_by_header_timeout)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	cfg.header_timeout_ms = 10000;
	fix_init_cfg(&f, &cfg);
	struct rawc *c = rawc_open(&f, 4096);
	run_for(&f, SEC);
	const char *req = "GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n";
	uint64_t first = f.t.now_us;
	for (size_t i = 0; i < strlen(req) && !c->eof && !c->err; i++) {
		rawc_send(c, req + i, 1);
		run_for(&f, SEC);
		if (f.t.now_us - first < 9 * SEC)
			ck_assert_msg(!c->eof, "closed after %llu us",
				      (unsigned long long)(f.t.now_us - first));
	}
	ck_assert(c->eof || c->err);
	ck_assert_uint_le(f.t.now_us - first, 12 * SEC);
	ck_assert_uint_eq(c->in_len, 0);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.header_timeouts, 1);
	ck_assert_uint_eq(st.live, 0);
	fix_free(&f);
}
END_TEST

/* An idle keep-alive connection is closed idle_timeout_ms after the response. */
START_TEST(idle_keepalive_timeout)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	cfg.idle_timeout_ms = 5000;
	fix_init_cfg(&f, &cfg);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, GET_HELLO);
	struct resp r;
	wait_responses(&f, c, 1, NULL, &r);
	if (model == MODEL_EVENTS)
		ck_assert_int_eq(http_server_next_timeout_ms(f.srv, f.t.b.now_us) > 4000, 1);
	run_for(&f, 4 * SEC);
	ck_assert(!c->eof);
	run_for(&f, 2 * SEC);
	wait_eof(&f, c);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.idle_timeouts, 1);
	if (model == MODEL_EVENTS)
		ck_assert_int_eq(http_server_next_timeout_ms(f.srv, f.t.b.now_us), -1);
	fix_free(&f);
}
END_TEST

/*
 * An idle keep-alive connection holds no input/output buffer and no TCP
 * ring storage; a partial head holds the buffer until the request is
 * complete and answered; closing gives everything back.
 */
START_TEST(idle_keepalive_holds_no_buffer)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c[2] = {rawc_open(&f, 4096), rawc_open(&f, 4096)};
	struct resp r[2];
	struct http_server_stats st;
	rawc_send_str(c[0], GET_HELLO);
	rawc_send_str(c[1], GET_HELLO);
	wait_responses(&f, c[0], 1, NULL, r);
	wait_responses(&f, c[1], 1, NULL, r);
	run_for(&f, SEC); /* the clients' delayed ACKs acknowledge the responses */
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.live, 2);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(f.t.b.tcp->ring_blocks, 0);
	/* Half a head: that connection keeps its buffer while it waits. */
	rawc_send_str(c[0], "GET /hello HTTP/1.1\r\n");
	run_for(&f, SEC);
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.buffers, 1);
	ck_assert_uint_eq(f.t.b.tcp->ring_blocks, 0); /* the bytes were read out of TCP */
	rawc_send_str(c[0], "Host: x\r\n\r\n");
	wait_responses(&f, c[0], 2, NULL, r);
	assert_body(&r[1], "Hello, world!\n");
	run_for(&f, SEC);
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.buffers, 0);
	ck_assert_uint_eq(st.requests, 3);
	ck_assert_uint_eq(f.t.b.tcp->ring_blocks, 0);
	fix_free(&f);
}
END_TEST

/* Over max_conns: 503 and close, the first connection unharmed. */
START_TEST(max_conns_refused_503)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	cfg.max_conns = 1;
	fix_init_cfg(&f, &cfg);
	struct rawc *c1 = rawc_open(&f, 4096);
	rawc_send_str(c1, GET_HELLO);
	struct resp r;
	wait_responses(&f, c1, 1, NULL, &r);
	struct rawc *c2 = rawc_open(&f, 4096);
	wait_eof(&f, c2);
	const char *want = "HTTP/1.1 503 Service Unavailable\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 23\r\n"
			   "Connection: close\r\n"
			   "\r\n"
			   "503 Service Unavailable";
	ck_assert_uint_eq(c2->in_len, strlen(want));
	ck_assert_mem_eq(c2->in, want, c2->in_len);
	rawc_send_str(c1, GET_HELLO);
	struct resp r2[2];
	wait_responses(&f, c1, 2, NULL, r2);
	ck_assert(!c1->eof);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.refused, 1);
	fix_free(&f);
}
END_TEST

/* http_server_stop: every client sees a FIN, not a reset. */
START_TEST(stop_closes_cleanly)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c1 = rawc_open(&f, 4096);
	struct rawc *c2 = rawc_open(&f, 4096);
	rawc_send_str(c1, GET_HELLO);
	rawc_send_str(c2, "GET /hel"); /* half a request */
	struct resp r;
	wait_responses(&f, c1, 1, NULL, &r);
	run_for(&f, SEC);
	fix_stop(&f);
	wait_eof(&f, c1);
	wait_eof(&f, c2);
	ck_assert_uint_eq(c2->in_len, 0);
	fix_free(&f);
}
END_TEST

/* ---- hostile clients (issue 9) ----------------------------------------------- */

static bool closed_or_reset(struct hfix *f, void *arg)
{
	struct rawc *c = arg;
	(void)f;
	return c->eof || c->err;
}

static uint32_t live_conns(struct hfix *f)
{
	struct http_server_stats st;
	fix_stats(f, &st);
	return st.live;
}

/*
 * Content-Length: 10^12, then one byte every 30 s: over Go's
 * maxPostHandlerReadBytes (256 KiB) the body is not read at all; the
 * answer says Connection: close and the connection is gone within the
 * lingering close, not held while the bytes trickle.
 */
START_TEST(huge_content_length_closed)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c,
		      "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\nab");
	struct resp r;
	wait_responses(&f, c, 1, NULL, &r);
	ck_assert_int_eq(r.status, 405);
	char h[512];
	ck_assert_ptr_nonnull(strstr(head_text(&r, h, sizeof(h)), "\r\nConnection: close\r\n"));
	uint64_t t0 = f.t.now_us;
	for (int i = 0; i < 10 && !c->eof && !c->err; i++) {
		rawc_send_str(c, "x");
		run_for(&f, 30 * SEC);
	}
	ck_assert(c->eof || c->err);
	run_for(&f, 3 * SEC); /* the server's lingering close ends (HTTP_LINGER_MS) */
	ck_assert_uint_le(f.t.now_us - t0, 33 * SEC);
	ck_assert_uint_eq(live_conns(&f), 0);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.body_too_large, 1);
	fix_free(&f);
}
END_TEST

/* A chunked body that never ends: read up to 256 KiB, then the connection closes. */
START_TEST(endless_chunked_body_closed)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct rawc *c = rawc_open(&f, 4096);
	rawc_send_str(c, "GET /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
	static char chunk[4096 + 8];
	memcpy(chunk, "1000\r\n", 6);
	memset(chunk + 6, 'z', 4096);
	memcpy(chunk + 6 + 4096, "\r\n", 2);
	for (int i = 0; i < 512; i++) /* 2 MiB of body, no last chunk */
		rawc_send(c, chunk, sizeof(chunk));
	uint64_t t0 = f.t.now_us;
	twostack_assert(&f.t, run_until(&f, closed_or_reset, c, 20 * SEC));
	/* Past 256 KiB the server stops and closes (the lingering close may
	 * discard more, for 2 s at most). */
	ck_assert_uint_le(f.t.now_us - t0, 3 * SEC);
	run_for(&f, 3 * SEC); /* the server's lingering close ends (HTTP_LINGER_MS) */
	struct resp r;
	ck_assert_int_eq(split_responses(c, &r, 1, NULL), 1);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(live_conns(&f), 0);
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.body_too_large, 1);
	fix_free(&f);
}
END_TEST

/*
 * A small body sent one byte every 5 s (Content-Length), and a chunked one
 * a chunk every 5 s: each progress used to push the idle deadline back;
 * now the body must arrive within body_timeout_ms of the head.
 */
START_TEST(slow_body_cut_by_deadline)
{
	MODEL_FROM_LOOP();
	for (int chunked = 0; chunked <= 1; chunked++) {
		struct hfix f;
		struct http_server_config cfg;
		http_server_config_default(&cfg);
		cfg.body_timeout_ms = 10000;
		fix_init_cfg(&f, &cfg);
		struct rawc *c = rawc_open(&f, 4096);
		rawc_send_str(c, chunked ? "POST /hello HTTP/1.1\r\nHost: x\r\n"
					   "Transfer-Encoding: chunked\r\n\r\n"
					 : "POST /hello HTTP/1.1\r\nHost: x\r\n"
					   "Content-Length: 1000\r\n\r\n");
		struct resp r;
		wait_responses(&f, c, 1, NULL, &r);
		uint64_t t0 = f.t.now_us;
		for (int i = 0; i < 40 && !c->eof && !c->err; i++) {
			rawc_send_str(c, chunked ? "1\r\nx\r\n" : "x");
			run_for(&f, 5 * SEC);
		}
		ck_assert(c->eof || c->err);
		ck_assert_uint_le(f.t.now_us - t0, 15 * SEC);
		ck_assert_uint_eq(live_conns(&f), 0);
		struct http_server_stats st;
		fix_stats(&f, &st);
		ck_assert_uint_eq(st.body_timeouts, 1);
		fix_free(&f);
	}
}
END_TEST

/*
 * Over max_conns the 503 must arrive even when the refused client's
 * request (and more) is already queued: closing with unread input sends
 * an RST that destroys the response in flight (RFC 2525 §2.17).
 */
START_TEST(refused_503_delivered_with_queued_request)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	struct http_server_config cfg;
	http_server_config_default(&cfg);
	cfg.max_conns = 1;
	fix_init_cfg(&f, &cfg);
	struct rawc *c1 = rawc_open(&f, 4096);
	rawc_send_str(c1, GET_HELLO);
	struct resp r;
	wait_responses(&f, c1, 1, NULL, &r);
	/* The second client's request is queued before the server accepts it. */
	struct rawc *c2 = rawc_open(&f, 4096);
	rawc_send_str(c2, GET_HELLO);
	rawc_send_str(c2, GET_HELLO);
	f.srv_paused = true; /* the tasks model cannot pause: its tasks run in b's polls */
	run_for(&f, 200000); /* handshake done, requests in b's queue */
	f.srv_paused = false;
	twostack_assert(&f.t, run_until(&f, closed_or_reset, c2, 10 * SEC));
	const char *want = "HTTP/1.1 503 Service Unavailable\r\n"
			   "Content-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: 23\r\n"
			   "Connection: close\r\n"
			   "\r\n"
			   "503 Service Unavailable";
	ck_assert_uint_eq(c2->in_len, strlen(want));
	ck_assert_mem_eq(c2->in, want, c2->in_len);
	ck_assert_int_eq(c2->err, 0);
	fix_free(&f);
}
END_TEST

/* ---- the client ------------------------------------------------------------------ */

static bool hc_finished(struct hfix *f, void *arg)
{
	(void)arg;
	return f->hc_result <= 0;
}

/* Runs one GET with the step client; body lands in a memfd. */
static int client_get(struct hfix *f, const char *url, struct http_get_result *res, char *body,
		      size_t cap, size_t *body_len, char *err, size_t errlen)
{
	struct http_client *hc = malloc(sizeof(*hc));
	ck_assert_ptr_nonnull(hc);
	int fd = memfd_create("http_body", 0);
	ck_assert_int_ge(fd, 0);
	int r = http_client_start(hc, &f->t.a, url, fd, res, err, errlen);
	if (r == 0) {
		f->hc = hc;
		f->hc_result = 1;
		twostack_assert(&f->t, run_until(f, hc_finished, NULL, 60 * SEC));
		r = f->hc_result;
		f->hc = NULL;
	}
	ssize_t n = pread(fd, body, cap, 0);
	ck_assert_int_ge(n, 0);
	*body_len = (size_t)n;
	close(fd);
	free(hc);
	return r;
}

START_TEST(client_get_against_server)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	struct http_get_result res;
	char err[256];
	static char body[70000];
	size_t len;
	ck_assert_int_eq(client_get(&f, "http://10.0.0.2:8080/hello", &res, body, sizeof(body),
				    &len, err, sizeof(err)),
			 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_uint_eq(res.body_bytes, 14);
	ck_assert_uint_eq(len, 14);
	ck_assert_mem_eq(body, "Hello, world!\n", 14);

	ck_assert_int_eq(client_get(&f, "http://10.0.0.2:8080/bytes/65536", &res, body,
				    sizeof(body), &len, err, sizeof(err)),
			 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_uint_eq(len, 65536);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq((uint8_t)body[i], i % 251);

	ck_assert_int_eq(client_get(&f, "http://10.0.0.2:8080/missing?q=1#frag", &res, body,
				    sizeof(body), &len, err, sizeof(err)),
			 0);
	ck_assert_int_eq(res.status, 404);
	ck_assert_uint_eq(len, 19);

	/* Nobody listens on port 81: the RST becomes ECONNREFUSED. */
	ck_assert_int_eq(
	    client_get(&f, "http://10.0.0.2:81/", &res, body, sizeof(body), &len, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "connect: Connection refused");
	struct http_server_stats st;
	fix_stats(&f, &st);
	ck_assert_uint_eq(st.accepted, 3);
	fix_free(&f);
}
END_TEST

/*
 * Interim responses and the final one in the same read: the client must
 * parse the final head from what is already buffered (it used to wait for
 * more bytes that never came), and gives up after five 1xx like Go.
 */
START_TEST(client_final_response_after_1xx_in_one_read)
{
	MODEL_FROM_LOOP();
	struct hfix f;
	fix_init(&f);
	f.fake_fd = -1;
	f.fake_lfd = ts_socket(&f.t.b, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(8081)};
	ck_assert_int_eq(ts_bind(&f.t.b, f.fake_lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(ts_listen(&f.t.b, f.fake_lfd, 4), 0);
	f.fake_reply = "HTTP/1.1 100 Continue\r\n\r\n"
		       "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
		       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
	struct http_get_result res;
	char err[256], body[64];
	size_t len;
	ck_assert_int_eq(client_get(&f, "http://10.0.0.2:8081/", &res, body, sizeof(body), &len,
				    err, sizeof(err)),
			 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(body, "hi", 2);

	ts_close(&f.t.b, f.fake_fd);
	f.fake_fd = -1;
	f.fake_reply = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
		       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
		       "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
		       "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
	ck_assert_int_eq(client_get(&f, "http://10.0.0.2:8081/", &res, body, sizeof(body), &len,
				    err, sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "too many 1xx informational responses");
	ts_close(&f.t.b, f.fake_fd);
	ts_close(&f.t.b, f.fake_lfd);
	f.fake_lfd = 0;
	fix_free(&f);
}
END_TEST

START_TEST(client_url_errors)
{
	struct http_url u;
	char err[256];
	ck_assert_int_eq(http_url_parse("http://10.0.0.2:8080/hello?x=1", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.af, AF_INET);
	ck_assert_uint_eq(u.ip, 0x0a000002);
	ck_assert_uint_eq(u.port, 8080);
	ck_assert_str_eq(u.host, "10.0.0.2:8080");
	ck_assert_str_eq(u.path, "/hello?x=1");
	ck_assert_int_eq(http_url_parse("HTTP://1.2.3.4", &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.port, 80);
	ck_assert_str_eq(u.path, "/");
	ck_assert_int_eq(http_url_parse("http://example.com/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "host names are not supported (no DNS in tapstack): use an IPv4 "
			      "or IPv6 address, e.g. http://10.0.0.2:8080/hello or "
			      "http://[fd00::2]:8080/hello (got 'example.com')");
	ck_assert_int_eq(http_url_parse("https://10.0.0.2/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "https is not supported (no TLS in tapstack): use http://");
	ck_assert_int_eq(http_url_parse("10.0.0.2/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "URL must start with http:// (got '10.0.0.2/')");
	ck_assert_int_eq(http_url_parse("http://10.0.0.2:0/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad port in URL: '10.0.0.2:0'");
	ck_assert_int_eq(http_url_parse("http://10.0.0.2:65536/", &u, err, sizeof(err)), -1);
	ck_assert_int_eq(http_url_parse("http://10.0.0.256/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad IPv4 address in URL: '10.0.0.256'");
	ck_assert_int_eq(http_url_parse("http://10.0.0.2/a b", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "URL path has a character that must be percent-encoded (byte 0x20)");
}
END_TEST

/* RFC 3986 §3.2.2 IP-literals, with the RFC 6874 zone, and their errors. */
START_TEST(client_url_ipv6)
{
	struct http_url u;
	char err[256];
	uint8_t want[16];
	ck_assert_int_eq(http_url_parse("http://[fd00::2]:8080/hello", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.af, AF_INET6);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00::2", want), 1);
	ck_assert_mem_eq(u.ip6, want, 16);
	ck_assert_uint_eq(u.port, 8080);
	ck_assert_str_eq(u.host, "[fd00::2]:8080"); /* RFC 9110 §7.2: brackets kept */
	ck_assert_str_eq(u.path, "/hello");
	/* No port, no path. */
	ck_assert_int_eq(http_url_parse("http://[::1]", &u, err, sizeof(err)), 0);
	ck_assert_uint_eq(u.port, 80);
	ck_assert_str_eq(u.host, "[::1]");
	ck_assert_str_eq(u.path, "/");
	ck_assert_int_eq(http_url_parse("http://[fd00::2]?q", &u, err, sizeof(err)), 0);
	ck_assert_str_eq(u.path, "/?q");
	/* A zone (RFC 6874: "%25" then the name) is accepted, never sent. */
	ck_assert_int_eq(
	    http_url_parse("http://[fe80::ff:fe00:2%25tap0]:8080/", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(inet_pton(AF_INET6, "fe80::ff:fe00:2", want), 1);
	ck_assert_mem_eq(u.ip6, want, 16);
	ck_assert_str_eq(u.host, "[fe80::ff:fe00:2]:8080");
	ck_assert_int_eq(http_url_parse("http://[fe80::1%25en%2D1]/", &u, err, sizeof(err)), 0);
	/* A v4-mapped address is an IPv6 literal (the dual-stack socket maps it). */
	ck_assert_int_eq(http_url_parse("http://[::ffff:10.0.0.2]/", &u, err, sizeof(err)), 0);
	ck_assert_int_eq(u.af, AF_INET6);

	ck_assert_int_eq(http_url_parse("http://[fd00::2:8080/hello", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing ']' after the IPv6 address in URL: '[fd00::2:8080'");
	ck_assert_int_eq(http_url_parse("http://fd00::2]:8080/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad brackets in URL host: 'fd00::2]:8080' (an IPv6 address is "
			      "written http://[ADDR]:PORT/)");
	ck_assert_int_eq(http_url_parse("http://[fd00::2]8080/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unexpected '8' after ']' in URL: '[fd00::2]8080' (expected ':PORT' "
			      "or the path)");
	ck_assert_int_eq(http_url_parse("http://[[fd00::2]]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unexpected ']' after ']' in URL: '[[fd00::2]]' (expected ':PORT' "
			      "or the path)");
	ck_assert_int_eq(http_url_parse("http://[fd00::2]:80]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad brackets in URL host: '[fd00::2]:80]'");
	ck_assert_int_eq(http_url_parse("http://[]:80/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "empty IPv6 address in URL: '[]'");
	ck_assert_int_eq(http_url_parse("http://[example.com]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad IPv6 address in URL: '[example.com]' (brackets hold an IPv6 "
			      "address, RFC 3986 §3.2.2; no DNS in tapstack)");
	ck_assert_int_eq(http_url_parse("http://[10.0.0.2]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad IPv6 address in URL: '[10.0.0.2]' (brackets hold an IPv6 "
			      "address, RFC 3986 §3.2.2; no DNS in tapstack)");
	ck_assert_int_eq(http_url_parse("http://[fd00::2::1]/", &u, err, sizeof(err)), -1);
	ck_assert_int_eq(http_url_parse("http://[v1.fe]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "IPvFuture addresses are not supported: '[v1.fe]'");
	ck_assert_int_eq(http_url_parse("http://fd00::2/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "an IPv6 address in a URL needs brackets (RFC 3986 §3.2.2): "
			      "http://[fd00::2]/");
	ck_assert_int_eq(http_url_parse("http://[fe80::1%tap0]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad zone in IPv6 address: '[fe80::1%tap0]': write it as %25 and a "
			      "name, e.g. [fe80::1%25tap0] (RFC 6874)");
	ck_assert_int_eq(http_url_parse("http://[fe80::1%25]/", &u, err, sizeof(err)), -1);
	ck_assert_int_eq(http_url_parse("http://[fe80::1%25a/b]/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "missing ']' after the IPv6 address in URL: '[fe80::1%25a'");
	ck_assert_int_eq(http_url_parse("http://[fe80::1%25a%2]/", &u, err, sizeof(err)), -1);
	ck_assert_int_eq(http_url_parse("http://[fd00::2]:/", &u, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "bad port in URL: '[fd00::2]:'");
	ck_assert_int_eq(http_url_parse("http://[fd00::2]:65536/", &u, err, sizeof(err)), -1);
}
END_TEST

/* The client over IPv6 (an AF_INET6 socket) against a listener on b's
 * fd00::2; the request's Host field carries the brackets (RFC 9110 §7.2). */
START_TEST(client_get_over_ipv6)
{
	struct hfix f;
	fix_init(&f);
	f.fake_fd = -1;
	f.fake_lfd = ts_socket(&f.t.b, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(8081)};
	ck_assert_int_eq(ts_bind(&f.t.b, f.fake_lfd, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	ck_assert_int_eq(ts_listen(&f.t.b, f.fake_lfd, 4), 0);
	f.fake_reply = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nv6\n";
	struct http_get_result res;
	char err[256], body[64];
	size_t len;
	ck_assert_int_eq(client_get(&f, "http://[fd00::2]:8081/six", &res, body, sizeof(body), &len,
				    err, sizeof(err)),
			 0);
	ck_assert_int_eq(res.status, 200);
	ck_assert_uint_eq(len, 3);
	ck_assert_mem_eq(body, "v6\n", 3);
	ck_assert_msg(strstr(f.fake_req, "GET /six HTTP/1.1\r\nHost: [fd00::2]:8081\r\n") ==
			  f.fake_req,
		      "request: %s", f.fake_req);
	struct sockaddr_in6 peer;
	socklen_t plen = sizeof(peer);
	ck_assert_int_eq(ts_getpeername(&f.t.b, f.fake_fd, (struct sockaddr *)&peer, &plen), 0);
	ck_assert_int_eq(peer.sin6_family, AF_INET6);
	ck_assert_uint_eq(peer.sin6_addr.s6_addr[15], 1); /* fd00::1, a's address */
	ts_close(&f.t.b, f.fake_fd);
	ts_close(&f.t.b, f.fake_lfd);
	f.fake_lfd = 0;
	fix_free(&f);
}
END_TEST

static Suite *http_twostack_suite(void)
{
	Suite *s = suite_create("http_twostack");
	TCase *tc = tcase_create("server");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, hello_exact_bytes, 0, MODEL_N);
	tcase_add_loop_test(tc, keepalive_two_requests, 0, MODEL_N);
	tcase_add_loop_test(tc, pipelined_in_order, 0, MODEL_N);
	tcase_add_loop_test(tc, http10_closes, 0, MODEL_N);
	tcase_add_loop_test(tc, connection_close_honoured, 0, MODEL_N);
	tcase_add_loop_test(tc, bad_request_400_close, 0, MODEL_N);
	tcase_add_loop_test(tc, version_505_close, 0, MODEL_N);
	tcase_add_loop_test(tc, header_too_large_431_close, 0, MODEL_N);
	tcase_add_loop_test(tc, method_405_body_discarded, 0, MODEL_N);
	tcase_add_loop_test(tc, expect_continue_answered_and_closed, 0, MODEL_N);
	tcase_add_loop_test(tc, bytes_sizes, 0, MODEL_N);
	tcase_add_loop_test(tc, head_bytes_max, 0, MODEL_N);
	tcase_add_loop_test(tc, bytes_backpressure, 0, MODEL_N);
	tcase_add_loop_test(tc, pipelined_over_faulty_wire, 0, MODEL_N);
	tcase_add_loop_test(tc, lingering_close_after_error, 0, MODEL_N);
	tcase_add_loop_test(tc, slowloris_cut_by_header_timeout, 0, MODEL_N);
	tcase_add_loop_test(tc, huge_content_length_closed, 0, MODEL_N);
	tcase_add_loop_test(tc, endless_chunked_body_closed, 0, MODEL_N);
	tcase_add_loop_test(tc, slow_body_cut_by_deadline, 0, MODEL_N);
	tcase_add_loop_test(tc, refused_503_delivered_with_queued_request, 0, MODEL_N);
	tcase_add_loop_test(tc, idle_keepalive_timeout, 0, MODEL_N);
	tcase_add_loop_test(tc, idle_keepalive_holds_no_buffer, 0, MODEL_N);
	tcase_add_loop_test(tc, max_conns_refused_503, 0, MODEL_N);
	tcase_add_loop_test(tc, stop_closes_cleanly, 0, MODEL_N);
	suite_add_tcase(s, tc);
	TCase *tcl = tcase_create("client");
	tcase_set_timeout(tcl, 120);
	tcase_add_loop_test(tcl, client_get_against_server, 0, MODEL_N);
	tcase_add_loop_test(tcl, client_final_response_after_1xx_in_one_read, 0, MODEL_N);
	tcase_add_test(tcl, client_url_errors);
	tcase_add_test(tcl, client_url_ipv6);
	tcase_add_test(tcl, client_get_over_ipv6);
	suite_add_tcase(s, tcl);
	return s;
}
TS_SUITE(http_twostack_suite)
