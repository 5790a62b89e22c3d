/*
 * response.h - the answers of the HTTP server, formatted into a buffer:
 * routing (/hello, /bytes/N, 404, 405), the fields Go's net/http sends in
 * Go's order, the error answers, the Date cache and the /bytes pattern.
 * Shared by both server models (server.c: the event loop; server_tasks.c:
 * one task per connection), so they answer byte for byte alike.
 */
#ifndef TS_HTTP_RESPONSE_H
#define TS_HTTP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "parser.h"

struct stack;

/* Room a response head (and a small body) needs in the output buffer. */
#define HTTP_RESP_ROOM 512
/* /bytes/N limit (inclusive) and the pattern period. */
#define HTTP_BYTES_MAX (1ull << 31)
#define PATTERN_PERIOD 251
/* A whole number of periods, so a write may start at any phase < 251 and
 * still have PATTERN_LEN - 250 contiguous bytes. */
#define PATTERN_LEN (PATTERN_PERIOD * 64)
/*
 * Request body bytes the server reads and discards to keep a connection
 * (Go's maxPostHandlerReadBytes): a Content-Length at or over it is not
 * read at all, a chunked body that runs past it closes the connection.
 */
#define HTTP_MAX_DISCARD_BODY (256 * 1024)

/* The Date header value, formatted at most once per second. */
struct http_date {
	time_t sec;    /* second it was formatted for, -1: never */
	char text[32]; /* IMF-fixdate (RFC 9110 §5.6.7), 29 chars */
	/* Nonzero: the Date is base_s plus the stack clock (ts_now_us), not
	 * wall time, so that runs on a virtual clock repeat byte for byte. */
	uint64_t base_s;
	const struct stack *st;
};

/* Where a response goes: buf[len..cap) is free. */
struct http_out {
	uint8_t *buf;
	size_t len, cap;
	struct http_date *date; /* the server's Date cache */
	const uint8_t *pattern; /* PATTERN_LEN bytes, byte i = i % 251 */
};

/* What an answer commits the connection to. */
struct http_answer {
	int status;	      /* the status sent (for the per-class counters) */
	bool close_after;     /* close once written */
	bool too_big;	      /* a Content-Length at or over HTTP_MAX_DISCARD_BODY */
	uint64_t stream_pos;  /* /bytes: next body byte index to write from the pattern */
	uint64_t stream_left; /* /bytes: body bytes not in buf, to write from the pattern */
};

/* base_s 0: wall time; else base_s + ts_now_us(st) seconds. */
void http_date_init(struct http_date *d, uint64_t base_s, const struct stack *st);
/* Fills p with PATTERN_LEN bytes of the /bytes pattern. */
void http_pattern_fill(uint8_t *p);
/*
 * Routes one parsed request and formats its response into o (at least
 * HTTP_RESP_ROOM free); a /bytes body goes in as far as it fits, the rest
 * is a stream (a->stream_*).
 */
void http_respond(struct http_out *o, const struct http_request *req, struct http_answer *a);
/*
 * The answer to a request that is rejected (status, detail), always
 * followed by a close.  Returns status.
 */
int http_respond_error(struct http_out *o, int status, const char *detail);

/* The whole 503 of a connection over max_conns. */
extern const char http_refused_503[];
extern const size_t http_refused_503_len;

#endif
