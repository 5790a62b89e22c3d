/*
 * server.h - the HTTP/1.1 server of `tapstack serve`, written only against
 * the public ts_ socket API (stack/tapstack.h) and one shared ts_epoll
 * instance (http/handler.h).
 *
 *   GET /hello     200 "Hello, world!\n", the headers of Go's net/http
 *   GET /bytes/N   200 with N bytes, byte i = i % 251 (N <= 2^31), streamed
 *   HEAD           the same headers, no body
 *   other paths    404; other methods 405 (Allow: GET, HEAD)
 *
 * Main-loop contract: the server registers its listener and connections in
 * epfd with data.ptr pointing at a struct ts_handler; the loop calls
 * h->on_event(h, events) for each event, passes
 * min(http_server_next_timeout_ms(), ...) to ts_epoll_wait, and calls
 * http_server_expire() after each wait.  Deadlines use the stack's clock
 * (st->now_us), so a virtual clock drives them in tests.
 */
#ifndef TS_HTTP_SERVER_H
#define TS_HTTP_SERVER_H

#include <stdint.h>

struct stack;
struct http_server;

struct http_server_config {
	uint16_t port;		    /* listening port (8080) */
	uint32_t idle_timeout_ms;   /* keep-alive idle or stalled connection (60000) */
	uint32_t header_timeout_ms; /* whole request head, from its first byte (10000) */
	uint32_t body_timeout_ms;   /* whole request body, from the end of its head (30000) */
	uint32_t max_conns;	    /* concurrent connections; more get 503 and close */
};

/* Fills the defaults above (port 8080, max_conns 20000). */
void http_server_config_default(struct http_server_config *cfg);

/*
 * Opens the listener (socket, SO_REUSEADDR, bind 0.0.0.0:port, listen 4096),
 * registers it in epfd and tries accept4 once, in Go's order.  With epfd < 0
 * the server creates the epoll set itself after listen, as Go's netpoll
 * does (http_server_epfd returns it; http_server_stop closes it).
 * Returns 0 with *out set, or -errno.
 */
int http_server_start(struct http_server **out, struct stack *st, int epfd,
		      const struct http_server_config *cfg);

/* The epoll descriptor the server registers its sockets in. */
int http_server_epfd(const struct http_server *s);

/* ms until the earliest idle/header/body/linger deadline (rounded up), -1 if none. */
int http_server_next_timeout_ms(struct http_server *s, uint64_t now_us);

/* Closes every connection (refused ones included) whose deadline is at or before now_us. */
void http_server_expire(struct http_server *s, uint64_t now_us);

/* Closes the listener and every connection (FIN), frees the server. */
void http_server_stop(struct http_server *s);

/* What the server has done, for --stats and the tests. */
struct http_server_stats {
	uint64_t accepted;	  /* connections accepted */
	uint64_t refused;	  /* accepted over max_conns, answered 503 */
	uint64_t requests;	  /* request heads parsed (including rejected ones) */
	uint64_t responses[6];	  /* by class: [2] = 2xx, [4] = 4xx, ... */
	uint64_t idle_timeouts;	  /* closed by idle_timeout_ms */
	uint64_t header_timeouts; /* closed by header_timeout_ms (slowloris) */
	uint64_t body_timeouts;	  /* closed by body_timeout_ms (a body that trickles) */
	uint64_t body_too_large;  /* closed after the response: body over HTTP_MAX_DISCARD_BODY */
	uint32_t live;		  /* connections open now */
	uint32_t buffers;	  /* of those, holding an input/output buffer pair now */
};
void http_server_get_stats(const struct http_server *s, struct http_server_stats *out);

#endif
