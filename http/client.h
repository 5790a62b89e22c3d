/*
 * client.h - a small HTTP/1.1 client for `tapstack get URL -o FILE`: one GET
 * over the userspace stack (an active open), on the public ts_ API only.
 *
 * http_get() is the blocking form.  The step form (http_client_start /
 * http_client_step) never waits, for callers that drive the stack
 * themselves (the two-stack tests on a virtual clock).
 */
#ifndef TS_HTTP_CLIENT_H
#define TS_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parser.h"

struct stack;

struct http_get_result {
	int status;	     /* status code of the final response */
	uint64_t body_bytes; /* body bytes written to out_fd (after de-chunking) */
	bool chunked;	     /* the body came chunked */
	bool until_close;    /* the body was delimited by the connection close */
};

/*
 * A parsed http://A.B.C.D[:port]/path or http://[IPv6][:port]/path URL
 * (RFC 3986 §3.2.2; a zone, [fe80::1%25tap0] as RFC 6874 writes it, is
 * accepted and ignored: the stack has one link).
 */
struct http_url {
	int af;		 /* AF_INET or AF_INET6 */
	uint32_t ip;	 /* AF_INET: host order */
	uint8_t ip6[16]; /* AF_INET6: network order */
	uint16_t port;	 /* 80 when absent */
	char host[80];	 /* the authority for the Host field: brackets kept, zone left out */
	char path[2048]; /* "/" when absent */
};

/* Parses url; returns 0, or -1 with a one-line reason in err. */
int http_url_parse(const char *url, struct http_url *out, char *err, size_t errlen);

/* Client progress; see client.c for the transitions. */
enum http_client_state {
	HC_CONNECTING, /* SYN sent, waiting for EPOLLOUT and SO_ERROR */
	HC_SENDING,    /* writing the request */
	HC_HEAD,       /* reading the status line and fields */
	HC_BODY,       /* reading the body */
	HC_DONE,       /* finished: res filled */
	HC_FAILED,     /* finished: err set */
};

#define HTTP_CLIENT_BUF (16 * 1024)
/* Interim (1xx) responses accepted before the final one (Go: max1xxResponses). */
#define HTTP_CLIENT_MAX_1XX 5

struct http_client {
	struct stack *st;
	int fd;		   /* the ts_ socket, -1 when closed */
	int ep;		   /* private ts_epoll instance watching fd, -1 when closed */
	uint32_t interest; /* events registered for fd (level-triggered) */
	enum http_client_state state;
	int out_fd; /* kernel fd the body goes to */
	struct http_get_result *res;
	char *err; /* caller's error buffer */
	size_t errlen;
	char req[2300];		 /* the request, formatted at start */
	size_t req_len, req_off; /* bytes of it, bytes written */
	uint8_t in[HTTP_CLIENT_BUF];
	size_t in_len; /* bytes buffered (head, or body leftovers) */
	struct http_parser parser;
	struct http_response resp;
	unsigned interim;   /* 1xx responses skipped so far (HTTP_CLIENT_MAX_1XX) */
	uint64_t body_left; /* Content-Length bytes still to come */
	struct http_chunked chunked;
};

/*
 * Starts a GET of url: parses it, opens a non-blocking socket and connects.
 * Returns 0, or -1 with err set (bad URL, socket error).
 */
int http_client_start(struct http_client *c, struct stack *st, const char *url, int out_fd,
		      struct http_get_result *res, char *err, size_t errlen);
/*
 * Makes all the progress possible without waiting.  Returns 1 while the GET
 * is under way, 0 when done (res filled), -1 on failure (err set).  The
 * socket is closed once it returns 0 or -1.
 */
int http_client_step(struct http_client *c);
/*
 * A ts_epoll instance that becomes ready when http_client_step can make
 * progress (level-triggered), or -1 when finished; wait on it with
 * ts_epoll_wait to block.
 */
int http_client_epfd(const struct http_client *c);
/* Closes the socket and epoll instance if still open (an abandoned GET). */
void http_client_abort(struct http_client *c);

/*
 * GET url over the stack, body written to out_fd.  Sends Host and
 * Connection: close; accepts Content-Length, chunked, or close-delimited
 * bodies.  Waits with ts_epoll_wait, at most 30 s without progress.
 * Returns 0 with res filled (whatever the status), or -1 with err set.
 */
int http_get(struct stack *st, const char *url, int out_fd, struct http_get_result *res, char *err,
	     size_t errlen);

#endif
