/*
 * hello_http.h - the tiny HTTP/1.1 subset the benchmark servers share
 * (kernel_hello.c on the kernel's sockets, lwip_hello.c on lwIP's raw API),
 * so every contender parses the same requests and sends the same bytes as
 * tapstack's http/ server:
 *
 *   GET /hello     200, "Hello, world!\n", Content-Type text/plain; charset=utf-8,
 *                  Content-Length 14, Date
 *   GET /bytes/N   200, N bytes where byte i is i % 251 (N up to 2^31)
 *   other path     404;  other method 405;  unparsable 400 then close
 *
 * Keep-alive and pipelining for HTTP/1.1; close for HTTP/1.0 or
 * "Connection: close" (RFC 9112 §9.3).  Everything is static inline and
 * state-free apart from the caller's date cache, so both servers stay
 * single-file programs.
 */
#ifndef BENCH_HELLO_HTTP_H
#define BENCH_HELLO_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HH_MAX_HEAD   8192		/* a header block larger than this gets 400 + close */
#define HH_PERIOD     251		/* /bytes/N pattern period */
#define HH_PATTERN    (HH_PERIOD * 256) /* 64,256 bytes: a whole number of periods */
#define HH_MAX_BYTES  (1ull << 31)
#define HH_HELLO_BODY "Hello, world!\n"

enum hh_kind { HH_HELLO, HH_BYTES, HH_NOT_FOUND, HH_BAD_METHOD, HH_BAD };

struct hh_req {
	enum hh_kind kind;
	uint64_t n; /* body length for HH_BYTES */
	bool head;  /* HEAD: headers only */
	bool close; /* close after this response */
};

/* Fills the /bytes/N pattern: byte i is i % 251. */
static inline void hh_fill_pattern(unsigned char *p)
{
	for (unsigned i = 0; i < HH_PATTERN; i++)
		p[i] = (unsigned char)(i % HH_PERIOD);
}

/* Case-insensitive search for needle in [s, s+len). */
static inline const char *hh_find_ci(const char *s, size_t len, const char *needle)
{
	size_t nl = strlen(needle);
	for (size_t i = 0; i + nl <= len; i++)
		if (strncasecmp(s + i, needle, nl) == 0)
			return s + i;
	return NULL;
}

/*
 * Parses one request at buf.  Returns the length of its header block (the
 * request is complete; GET has no body), 0 when more bytes are needed, -1
 * when the header block is over HH_MAX_HEAD (the caller answers 400, close).
 */
static inline long hh_parse(const char *buf, size_t len, struct hh_req *r)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4);
	if (!end)
		return len > HH_MAX_HEAD ? -1 : 0;
	size_t hlen = (size_t)(end - buf) + 4;
	memset(r, 0, sizeof(*r));

	const char *eol = memchr(buf, '\r', hlen);
	const char *sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || (size_t)(eol - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0) {
		r->kind = HH_BAD;
		r->close = true;
		return (long)hlen;
	}
	bool http10 = sp2[8] == '0';
	const char *hdrs = eol + 2;
	size_t hdrs_len = (size_t)(end + 2 - hdrs);
	const char *conn = hh_find_ci(hdrs, hdrs_len, "\r\nconnection:");
	if (!conn && hdrs_len >= 11 && strncasecmp(hdrs, "connection:", 11) == 0)
		conn = hdrs - 2;
	bool has_close = false, has_ka = false;
	if (conn) {
		const char *v = conn + 13;
		const char *ve = memchr(v, '\r', (size_t)(end + 2 - v));
		has_close = hh_find_ci(v, (size_t)(ve - v), "close") != NULL;
		has_ka = hh_find_ci(v, (size_t)(ve - v), "keep-alive") != NULL;
	}
	r->close = has_close || (http10 && !has_ka);

	size_t mlen = (size_t)(sp1 - buf);
	const char *path = sp1 + 1;
	size_t plen = (size_t)(sp2 - path);
	if (mlen == 4 && memcmp(buf, "HEAD", 4) == 0)
		r->head = true;
	else if (!(mlen == 3 && memcmp(buf, "GET", 3) == 0)) {
		r->kind = HH_BAD_METHOD;
		return (long)hlen;
	}
	if (plen == 6 && memcmp(path, "/hello", 6) == 0) {
		r->kind = HH_HELLO;
	} else if (plen > 7 && plen < 7 + 12 && memcmp(path, "/bytes/", 7) == 0) {
		uint64_t n = 0;
		r->kind = HH_BYTES;
		for (size_t i = 7; i < plen; i++) {
			if (path[i] < '0' || path[i] > '9') {
				r->kind = HH_NOT_FOUND;
				break;
			}
			n = n * 10 + (uint64_t)(path[i] - '0');
		}
		if (r->kind == HH_BYTES && n > HH_MAX_BYTES)
			r->kind = HH_NOT_FOUND;
		r->n = n;
	} else {
		r->kind = HH_NOT_FOUND;
	}
	return (long)hlen;
}

/* "Sun, 22 Nov 2026 00:24:26 GMT" (RFC 9110 §5.6.7), recomputed once a second. */
struct hh_date {
	time_t sec;
	char s[40];
};

static inline const char *hh_date_now(struct hh_date *d)
{
	time_t now = time(NULL);
	if (now != d->sec) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(d->s, sizeof(d->s), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		d->sec = now;
	}
	return d->s;
}

/*
 * Writes the response head (and the whole body for everything but
 * /bytes/N) into out, which must hold 512 bytes.  Returns its length; the
 * caller then sends hh_body_len() pattern bytes for HH_BYTES.
 */
static inline size_t hh_response(char *out, const struct hh_req *r, struct hh_date *d)
{
	static const char *const status[] = {
	    [HH_HELLO] = "200 OK",
	    [HH_BYTES] = "200 OK",
	    [HH_NOT_FOUND] = "404 Not Found",
	    [HH_BAD_METHOD] = "405 Method Not Allowed",
	    [HH_BAD] = "400 Bad Request",
	};
	const char *body = r->kind == HH_HELLO	      ? HH_HELLO_BODY
			   : r->kind == HH_NOT_FOUND  ? "not found\n"
			   : r->kind == HH_BAD_METHOD ? "method not allowed\n"
			   : r->kind == HH_BAD	      ? "bad request\n"
						      : "";
	unsigned long long clen = r->kind == HH_BYTES ? r->n : strlen(body);
	int n = snprintf(
	    out, 512,
	    "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\nDate: "
	    "%s\r\n%s\r\n%s",
	    status[r->kind],
	    r->kind == HH_BYTES ? "application/octet-stream" : "text/plain; charset=utf-8", clen,
	    hh_date_now(d), r->close ? "Connection: close\r\n" : "", r->head ? "" : body);
	return (size_t)n;
}

static inline uint64_t hh_body_len(const struct hh_req *r)
{
	return r->kind == HH_BYTES && !r->head ? r->n : 0;
}

#endif
