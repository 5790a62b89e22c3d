/*
 * client.c - one HTTP/1.1 GET over the ts_ socket API (`tapstack get`).
 *
 * Call order: http_url_parse → socket(AF_INET, or AF_INET6 for an IPv6
 * literal; SOCK_NONBLOCK) → connect (EINPROGRESS)
 * → wait for EPOLLOUT → getsockopt(SO_ERROR), as Go's net.Dial does →
 * write the request → read the status line and fields
 * (http_parse_response) → read the body by Content-Length, chunked, or until
 * the close (RFC 9112 §6.3) → close.  Interim 1xx responses are skipped
 * (RFC 9110 §15.2).
 *
 * The request always carries Connection: close (RFC 9112 §9.6), so one
 * connection serves one GET and a close-delimited body is unambiguous.
 */
#include "client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tapstack.h"

/* How long http_get waits without any progress before giving up. */
#define HTTP_GET_STALL_MS 30000

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- URLs ------------------------------------------------------------------ */

/* A ZoneID (RFC 6874 §2): one or more unreserved characters (RFC 3986
 * §2.3) or pct-encoded octets. */
static bool zone_ok(const char *z, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)z[i];
		if (ch == '%') {
			if (i + 2 >= len || !isxdigit((unsigned char)z[i + 1]) ||
			    !isxdigit((unsigned char)z[i + 2]))
				return false;
			i += 2;
		} else if (!isalnum(ch) && !strchr("-._~", ch)) {
			return false;
		}
	}
	return true;
}

/*
 * The IP-literal at lit[0..len) with its brackets (RFC 3986 §3.2.2):
 * "[" IPv6address "]", or with a zone "[" IPv6address "%25" ZoneID "]"
 * (RFC 6874 §2).  The stack has one link, so a zone names it or nothing
 * and is checked for syntax only.  Fills out->ip6 and writes the bracketed
 * address without the zone to host (RFC 6874 §4: a zone has only local
 * meaning and is never sent).
 */
static int parse_ip_literal(const char *lit, size_t len, struct http_url *out, char *host,
			    size_t hostlen, char *err, size_t errlen)
{
	size_t inner = len - 2; /* lit[0] == '[' and lit[len-1] == ']' */
	const char *a = lit + 1;
	if (inner == 0) {
		set_err(err, errlen, "empty IPv6 address in URL: '[]'");
		return -1;
	}
	if (a[0] == 'v' || a[0] == 'V') {
		set_err(err, errlen, "IPvFuture addresses are not supported: '%.*s'", (int)len,
			lit);
		return -1;
	}
	const char *pct = memchr(a, '%', inner);
	size_t alen = pct ? (size_t)(pct - a) : inner;
	if (pct) {
		/* "%25" (a percent-encoded '%') then the ZoneID. */
		bool ok = inner - alen >= 3 && !strncmp(pct, "%25", 3) &&
			  zone_ok(pct + 3, inner - alen - 3);
		if (!ok) {
			set_err(err, errlen,
				"bad zone in IPv6 address: '%.*s': write it as %%25 and a name, "
				"e.g. [fe80::1%%25tap0] (RFC 6874)",
				(int)len, lit);
			return -1;
		}
	}
	char addr[INET6_ADDRSTRLEN];
	if (alen >= sizeof(addr) ||
	    (memcpy(addr, a, alen), addr[alen] = 0, inet_pton(AF_INET6, addr, out->ip6) != 1)) {
		set_err(err, errlen,
			"bad IPv6 address in URL: '%.*s' (brackets hold an IPv6 address, "
			"RFC 3986 §3.2.2; no DNS in tapstack)",
			(int)len, lit);
		return -1;
	}
	snprintf(host, hostlen, "[%s]", addr);
	return 0;
}

int http_url_parse(const char *url, struct http_url *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strncasecmp(url, "https://", 8) == 0) {
		set_err(err, errlen, "https is not supported (no TLS in tapstack): use http://");
		return -1;
	}
	if (strncasecmp(url, "http://", 7) != 0) {
		set_err(err, errlen, "URL must start with http:// (got '%s')", url);
		return -1;
	}
	const char *auth = url + 7;
	size_t alen = strcspn(auth, "/?#");
	if (alen == 0) {
		set_err(err, errlen, "URL has no host: '%s'", url);
		return -1;
	}
	if (alen >= sizeof(out->host)) {
		set_err(err, errlen, "URL host too long: '%.*s'", (int)alen, auth);
		return -1;
	}
	if (memchr(auth, '@', alen)) {
		set_err(err, errlen, "user info in URLs is not supported: '%.*s'", (int)alen, auth);
		return -1;
	}
	/* host: the reg-name or IPv4address as written, or an IP-literal with
	 * its brackets (RFC 3986 §3.2.2); the port follows the last ':'
	 * outside brackets. */
	char host[sizeof(out->host)];
	size_t hlen;
	const char *close = memchr(auth, ']', alen);
	const char *open = memchr(auth, '[', alen);
	if (auth[0] == '[') {
		if (!close) {
			set_err(err, errlen, "missing ']' after the IPv6 address in URL: '%.*s'",
				(int)alen, auth);
			return -1;
		}
		hlen = (size_t)(close - auth) + 1;
		if (hlen < alen && auth[hlen] != ':') {
			set_err(err, errlen,
				"unexpected '%c' after ']' in URL: '%.*s' (expected ':PORT' or the "
				"path)",
				auth[hlen], (int)alen, auth);
			return -1;
		}
		if (memchr(auth + 1, '[', hlen - 1) || memchr(auth + hlen, ']', alen - hlen)) {
			set_err(err, errlen, "bad brackets in URL host: '%.*s'", (int)alen, auth);
			return -1;
		}
		if (parse_ip_literal(auth, hlen, out, host, sizeof(host), err, errlen) < 0)
			return -1;
		out->af = AF_INET6;
	} else if (open || close) {
		set_err(err, errlen,
			"bad brackets in URL host: '%.*s' (an IPv6 address is written "
			"http://[ADDR]:PORT/)",
			(int)alen, auth);
		return -1;
	} else {
		const char *colon = memchr(auth, ':', alen);
		hlen = colon ? (size_t)(colon - auth) : alen;
		if (colon && memchr(colon + 1, ':', alen - hlen - 1)) {
			set_err(err, errlen,
				"an IPv6 address in a URL needs brackets (RFC 3986 §3.2.2): "
				"http://[%.*s]/",
				(int)alen, auth);
			return -1;
		}
		memcpy(host, auth, hlen);
		host[hlen] = 0;
		struct in_addr a;
		if (inet_pton(AF_INET, host, &a) != 1) {
			if (strpbrk(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-"))
				set_err(err, errlen,
					"host names are not supported (no DNS in tapstack): use an "
					"IPv4 or IPv6 address, e.g. http://10.0.0.2:8080/hello or "
					"http://[fd00::2]:8080/hello (got '%s')",
					host);
			else
				set_err(err, errlen, "bad IPv4 address in URL: '%s'", host);
			return -1;
		}
		out->af = AF_INET;
		out->ip = ntohl(a.s_addr);
	}
	out->port = 80;
	if (hlen < alen) {
		const char *p = auth + hlen + 1;
		size_t plen = alen - hlen - 1;
		unsigned long port = 0;
		if (plen == 0 || plen > 5 || strspn(p, "0123456789") < plen ||
		    (port = strtoul(p, NULL, 10)) == 0 || port > 65535) {
			set_err(err, errlen, "bad port in URL: '%.*s'", (int)alen, auth);
			return -1;
		}
		out->port = (uint16_t)port;
	}
	/* The Host field (RFC 9110 §7.2): the host as written (an IPv6
	 * address in its brackets, without a zone) and the port if given;
	 * never longer than the authority, which fits. */
	size_t n = strlen(host);
	memcpy(out->host, host, n);
	memcpy(out->host + n, auth + hlen, alen - hlen);
	out->host[n + alen - hlen] = 0;

	const char *path = auth + alen;
	size_t plen = strcspn(path, "#"); /* the fragment is never sent (RFC 9110 §4.2.4) */
	size_t off = 0;
	if (plen == 0 || path[0] == '?')
		out->path[off++] = '/';
	if (off + plen >= sizeof(out->path)) {
		set_err(err, errlen, "URL path too long (%zu bytes)", plen);
		return -1;
	}
	for (size_t i = 0; i < plen; i++) {
		unsigned char ch = (unsigned char)path[i];
		if (ch <= 0x20 || ch >= 0x7f) {
			set_err(
			    err, errlen,
			    "URL path has a character that must be percent-encoded (byte 0x%02x)",
			    ch);
			return -1;
		}
	}
	memcpy(out->path + off, path, plen);
	return 0;
}

/* ---- the step machine ------------------------------------------------------------ */

static int fail(struct http_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes the socket and the epoll instance (idempotent). */
static void client_close(struct http_client *c)
{
	if (c->fd >= 0)
		ts_close(c->st, c->fd);
	if (c->ep >= 0)
		ts_close(c->st, c->ep);
	c->fd = c->ep = -1;
}

static int fail(struct http_client *c, const char *fmt, ...)
{
	va_list ap;
	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	client_close(c);
	c->state = HC_FAILED;
	return -1;
}

static int finish(struct http_client *c)
{
	client_close(c);
	c->state = HC_DONE;
	return 0;
}

/*
 * Level-triggered interest that matches the state: EPOLLOUT while
 * connecting and sending, EPOLLIN afterwards, so a waiter never spins on a
 * socket that is always writable.
 */
static int watch(struct http_client *c, uint32_t events)
{
	if (c->interest == events)
		return 0;
	struct epoll_event ev = {.events = events};
	int op = c->interest ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (ts_epoll_ctl(c->st, c->ep, op, c->fd, &ev) < 0)
		return fail(c, "epoll_ctl: %s", strerror(errno));
	c->interest = events;
	return 0;
}

int http_client_start(struct http_client *c, struct stack *st, const char *url, int out_fd,
		      struct http_get_result *res, char *err, size_t errlen)
{
	struct http_url u;
	memset(res, 0, sizeof(*res));
	c->st = st;
	c->fd = c->ep = -1;
	c->interest = 0;
	c->state = HC_FAILED;
	c->out_fd = out_fd;
	c->res = res;
	c->err = err;
	c->errlen = errlen;
	c->in_len = 0;
	c->interim = 0;
	if (http_url_parse(url, &u, err, errlen) < 0)
		return -1;
	int n = snprintf(c->req, sizeof(c->req),
			 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tapstack\r\nAccept: */*\r\n"
			 "Connection: close\r\n\r\n",
			 u.path, u.host);
	if (n < 0 || (size_t)n >= sizeof(c->req))
		return fail(c, "request too long");
	c->req_len = (size_t)n;
	c->req_off = 0;
	http_parser_init(&c->parser, sizeof(c->in) - 1);

	c->fd = ts_socket(st, u.af, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (c->fd < 0)
		return fail(c, "socket: %s", strerror(errno));
	/* The socket of the address's family: AF_INET6 for an IP-literal. */
	struct sockaddr_storage ss = {0};
	socklen_t sslen;
	if (u.af == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(u.port);
		memcpy(sin6->sin6_addr.s6_addr, u.ip6, 16);
		sslen = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(u.port);
		sin->sin_addr.s_addr = htonl(u.ip);
		sslen = sizeof(*sin);
	}
	c->state = HC_CONNECTING;
	if (ts_connect(st, c->fd, (struct sockaddr *)&ss, sslen) < 0 && errno != EINPROGRESS)
		return fail(c, "connect to %s: %s", u.host, strerror(errno));
	c->ep = ts_epoll_create1(st, EPOLL_CLOEXEC);
	if (c->ep < 0)
		return fail(c, "epoll_create1: %s", strerror(errno));
	return watch(c, EPOLLOUT);
}

/* Writes all of p to the output file. */
static int write_out(struct http_client *c, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(c->out_fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return fail(c, "write to output: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
		c->res->body_bytes += (uint64_t)w;
	}
	return 0;
}

/*
 * Consumes body bytes in[0..len).  Returns 1 when the body is complete, 0
 * when more is needed, -1 on failure.
 */
static int body_input(struct http_client *c, const uint8_t *in, size_t len)
{
	if (c->res->until_close)
		return write_out(c, in, len) < 0 ? -1 : 0;
	if (!c->res->chunked) {
		size_t n = len < c->body_left ? len : (size_t)c->body_left;
		if (write_out(c, in, n) < 0)
			return -1;
		c->body_left -= n;
		return c->body_left == 0;
	}
	while (len) {
		size_t used, data_len;
		const uint8_t *data;
		enum http_parse_result r =
		    http_chunked_feed(&c->chunked, in, len, &used, &data, &data_len);
		if (r == HTTP_PARSE_ERROR)
			return fail(c, "bad chunked body: %s", http_error_doc(c->chunked.err));
		if (data_len && write_out(c, data, data_len) < 0)
			return -1;
		if (r == HTTP_PARSE_DONE)
			return 1;
		in += used;
		len -= used;
	}
	return 0;
}

/* The head is complete: decide how the body is delimited (RFC 9112 §6.3). */
static int head_done(struct http_client *c)
{
	struct http_response *r = &c->resp;
	size_t rest = c->in_len - r->info.head_len;
	if (r->status >= 100 && r->status < 200 && r->status != 101) {
		/* Interim response (RFC 9110 §15.2): drop it and parse the next
		 * head, bounded in number as Go bounds them. */
		if (++c->interim > HTTP_CLIENT_MAX_1XX)
			return fail(c, "too many 1xx informational responses");
		memmove(c->in, c->in + r->info.head_len, rest);
		c->in_len = rest;
		http_parser_init(&c->parser, sizeof(c->in) - 1);
		return 0;
	}
	c->res->status = r->status;
	c->state = HC_BODY;
	if (r->status == 204 || r->status == 304 || r->status == 101)
		return 1;
	if (r->info.chunked) {
		c->res->chunked = true;
		http_chunked_init(&c->chunked);
	} else if (r->info.has_content_length) {
		c->body_left = r->info.content_length;
		if (c->body_left == 0)
			return 1;
	} else {
		c->res->until_close = true;
	}
	int b = body_input(c, c->in + r->info.head_len, rest);
	c->in_len = 0;
	return b;
}

int http_client_step(struct http_client *c)
{
	for (;;) {
		switch (c->state) {
		case HC_CONNECTING: {
			/* As Go's net.Dial: wait for EPOLLOUT, then SO_ERROR says how
			 * the handshake ended (RST: ECONNREFUSED, timeout: ETIMEDOUT). */
			struct epoll_event ev;
			int n = ts_epoll_wait(c->st, c->ep, &ev, 1, 0);
			if (n < 0)
				return fail(c, "epoll_wait: %s", strerror(errno));
			if (n == 0)
				return 1;
			int soerr = 0;
			socklen_t len = sizeof(soerr);
			if (ts_getsockopt(c->st, c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				return fail(c, "getsockopt(SO_ERROR): %s", strerror(errno));
			if (soerr)
				return fail(c, "connect: %s", strerror(soerr));
			/* Nagle off, as Go's net.Dial does; the request is one write. */
			int one = 1;
			ts_setsockopt(c->st, c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->state = HC_SENDING;
			break;
		}
		case HC_SENDING: {
			ssize_t n =
			    ts_write(c->st, c->fd, c->req + c->req_off, c->req_len - c->req_off);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN)
					return 1;
				return fail(c, "write request: %s", strerror(errno));
			}
			c->req_off += (size_t)n;
			if (c->req_off == c->req_len) {
				c->state = HC_HEAD;
				if (watch(c, EPOLLIN | EPOLLRDHUP) < 0)
					return -1;
			}
			break;
		}
		case HC_HEAD:
		case HC_BODY: {
			size_t room = sizeof(c->in) - c->in_len;
			ssize_t n = ts_read(c->st, c->fd, c->in + c->in_len, room);
			if (n < 0) {
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					return 1;
				return fail(c, "read: %s", strerror(errno));
			}
			if (n == 0) {
				if (c->state == HC_BODY && c->res->until_close)
					return finish(c);
				return fail(c, "connection closed before the %s ended",
					    c->state == HC_HEAD ? "response head" : "body");
			}
			int r = 0;
			if (c->state == HC_HEAD) {
				c->in_len += (size_t)n;
				/* One read may hold interim responses and the final one:
				 * parse every head already buffered before reading again. */
				while (c->state == HC_HEAD && c->in_len && r == 0) {
					enum http_parse_result pr = http_parse_response(
					    &c->parser, c->in, c->in_len, &c->resp);
					if (pr == HTTP_PARSE_MORE)
						break;
					if (pr == HTTP_PARSE_ERROR)
						return fail(c, "bad response: %s",
							    http_error_doc(c->parser.err));
					r = head_done(c);
				}
			} else {
				r = body_input(c, c->in, (size_t)n);
			}
			if (r < 0)
				return -1;
			if (r > 0)
				return finish(c);
			break;
		}
		case HC_DONE:
			return 0;
		case HC_FAILED:
			return -1;
		}
	}
}

int http_client_epfd(const struct http_client *c)
{
	return c->ep;
}

void http_client_abort(struct http_client *c)
{
	client_close(c);
}

/* A cheap fingerprint of progress, to notice a stalled transfer. */
static uint64_t progress_mark(const struct http_client *c)
{
	return (uint64_t)c->state << 56 ^ c->req_off ^ (uint64_t)c->in_len << 20 ^
	       c->res->body_bytes;
}

int http_get(struct stack *st, const char *url, int out_fd, struct http_get_result *res, char *err,
	     size_t errlen)
{
	struct http_client c;
	if (http_client_start(&c, st, url, out_fd, res, err, errlen) < 0)
		return -1;
	int r;
	uint64_t mark = progress_mark(&c);
	int stalled_ms = 0;
	while ((r = http_client_step(&c)) > 0) {
		struct epoll_event ev;
		int n = ts_epoll_wait(st, c.ep, &ev, 1, 1000);
		if (n < 0 && errno == EINTR) {
			r = fail(&c, "interrupted");
			break;
		}
		uint64_t m = progress_mark(&c);
		stalled_ms = (n == 0 && m == mark) ? stalled_ms + 1000 : 0;
		mark = m;
		if (stalled_ms >= HTTP_GET_STALL_MS) {
			r = fail(&c, "no progress for %d s, giving up", HTTP_GET_STALL_MS / 1000);
			break;
		}
	}
	return r < 0 ? -1 : 0;
}
