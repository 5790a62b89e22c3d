/*
 * response.c - the server's answers (response.h), byte for byte those of
 * Go's net/http for the same handlers, except where a comment says why not.
 * Moved out of server.c so that both server models share them.
 *
 * Read first: RFC 9110 §15 (status codes), §6.6.1 (Date), §9.3.2 (HEAD);
 * RFC 9112 §9.3 (persistence), §6.3 (framing errors close the connection).
 */
#include "response.h"

#include <stdio.h>
#include <string.h>

#include "tapstack.h"

static const char *status_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

/* The Date header value, formatted once per second (RFC 9110 §6.6.1: a
 * server with a clock MUST send Date).  Wall time, not the stack clock,
 * unless the configuration pins it to the stack clock (date_base_s). */
static const char *server_date(struct http_date *s)
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (s->base_s)
		ts.tv_sec = (time_t)(s->base_s + ts_now_us(s->st) / 1000000u);
	if (ts.tv_sec != s->sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		snprintf(s->text, sizeof(s->text), "%s, %02d %s %04d %02d:%02d:%02d GMT",
			 days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
			 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
		s->sec = ts.tv_sec;
	}
	return s->text;
}

static void out_mem(struct http_out *o, const void *p, size_t n)
{
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void out_str(struct http_out *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_u64(struct http_out *o, uint64_t v)
{
	char tmp[24];
	size_t n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_mem(o, tmp + sizeof(tmp) - n, n);
}

/* version_10: answer an HTTP/1.0 request as HTTP/1.0, as Go does. */
static void out_status_line(struct http_out *o, int status, bool version_10)
{
	out_str(o, version_10 ? "HTTP/1.0 " : "HTTP/1.1 ");
	out_u64(o, (uint64_t)status);
	out_str(o, " ");
	out_str(o, status_reason(status));
	out_str(o, "\r\n");
}

/* Date, Content-Length, [Content-Type], [Connection: close]: the order of
 * Go's extraHeader, written after any handler-set fields. */
static void out_common_fields(struct http_out *o, uint64_t content_length, bool content_type,
			      bool conn_close)
{
	out_str(o, "Date: ");
	out_str(o, server_date(o->date));
	out_str(o, "\r\nContent-Length: ");
	out_u64(o, content_length);
	out_str(o, "\r\n");
	if (content_type)
		out_str(o, "Content-Type: text/plain; charset=utf-8\r\n");
	if (conn_close)
		out_str(o, "Connection: close\r\n");
	out_str(o, "\r\n");
}

/*
 * A response to a well-formed request.  with_body is false for HEAD, whose
 * fields are those GET would send (RFC 9110 §9.3.2).
 */
static int respond_text(struct http_out *o, int status, const char *body, bool with_body,
			bool conn_close, bool version_10)
{
	size_t len = strlen(body);
	out_status_line(o, status, version_10);
	if (status == 200) {
		out_common_fields(o, len, true, conn_close);
	} else {
		/* http.Error's fields (sorted, as Go writes handler fields), then Go's own. */
		if (status == 405)
			out_str(o, "Allow: GET, HEAD\r\n");
		out_str(o, "Content-Type: text/plain; charset=utf-8\r\n"
			   "X-Content-Type-Options: nosniff\r\n");
		out_common_fields(o, len, false, conn_close);
	}
	if (with_body)
		out_mem(o, body, len);
	return status;
}

/*
 * The answer to a request that is rejected, always followed by a close:
 * after a framing error the next request cannot be found reliably (RFC 9112
 * §6.3, §9.6).  The fields are Go's; the body is Go's "400 Bad Request: "
 * plus the rule broken (Go puts that detail in the reason phrase too; here
 * the reason phrase stays the standard one).  Unlike Go it carries
 * Content-Length, so a client need not wait for the close.
 */
int http_respond_error(struct http_out *o, int status, const char *detail)
{
	const char *reason = status_reason(status);
	out_status_line(o, status, false);
	out_str(o, "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ");
	out_u64(o, 4 + strlen(reason) + (detail ? 2 + strlen(detail) : 0));
	out_str(o, "\r\nConnection: close\r\n\r\n");
	out_u64(o, (uint64_t)status);
	out_str(o, " ");
	out_str(o, reason);
	if (detail) {
		out_str(o, ": ");
		out_str(o, detail);
	}
	return status;
}

/* GET /bytes/N: the head, then as much body as fits in the output buffer;
 * the rest is written straight from the pattern (a->stream_*). */
static int respond_bytes(struct http_out *o, uint64_t n, bool with_body, bool conn_close,
			 bool version_10, struct http_answer *a)
{
	out_status_line(o, 200, version_10);
	/* Go sniffs binary data as application/octet-stream. */
	out_str(o, "Date: ");
	out_str(o, server_date(o->date));
	out_str(o, "\r\nContent-Length: ");
	out_u64(o, n);
	out_str(o, "\r\nContent-Type: application/octet-stream\r\n");
	if (conn_close)
		out_str(o, "Connection: close\r\n");
	out_str(o, "\r\n");
	if (!with_body)
		return 200;
	uint64_t now = o->cap - o->len;
	if (now > n)
		now = n;
	out_mem(o, o->pattern, (size_t)now);
	a->stream_pos = now;
	a->stream_left = n - now;
	return 200;
}

/* N of /bytes/N: 1*DIGIT, at most 2^31; false for anything else. */
static bool parse_bytes_count(struct http_str s, uint64_t *n)
{
	uint64_t v = 0;
	if (s.len == 0 || s.len > 10)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > HTTP_BYTES_MAX)
		return false;
	*n = v;
	return true;
}

/*
 * The path of a request-target: origin-form "/p?q" gives "/p"; absolute-form
 * "http://host/p?q" (which a server MUST accept, RFC 9112 §3.2.2) gives "/p".
 * Returns false for the other forms.
 */
static bool target_path(struct http_str t, struct http_str *path)
{
	size_t i = 0;
	if (t.len >= 7 && http_str_eq((struct http_str){t.p, 7}, "http://")) {
		i = 7;
		while (i < t.len && t.p[i] != '/' && t.p[i] != '?')
			i++;
		if (i == t.len || t.p[i] == '?') {
			*path = (struct http_str){"/", 1};
			return true;
		}
	} else if (t.len == 0 || t.p[0] != '/') {
		return false;
	}
	size_t j = i;
	while (j < t.len && t.p[j] != '?')
		j++;
	*path = (struct http_str){t.p + i, j - i};
	return true;
}

void http_respond(struct http_out *o, const struct http_request *req, struct http_answer *a)
{
	/* RFC 9112 §9.3: HTTP/1.1 persists unless "close"; this server closes
	 * every HTTP/1.0 connection (a keep-alive 1.0 client still works). */
	bool version_10 = req->info.version_minor == 0;
	/* A client that sent "Expect: 100-continue" may or may not send the
	 * body after a final response (RFC 9110 §10.1.1); rather than wait
	 * to find out, answer and close, as Go does. */
	bool has_body = req->info.chunked || req->info.content_length;
	/* Go's maxPostHandlerReadBytes: a body this large is not worth reading
	 * to keep the connection; answer, close, and do not read it. */
	bool too_big = req->info.content_length >= HTTP_MAX_DISCARD_BODY;
	bool closing =
	    version_10 || req->info.conn_close || (req->expect_continue && has_body) || too_big;
	/* Go adds "Connection: close" only when answering HTTP/1.1. */
	bool close_field = closing && !version_10;
	*a = (struct http_answer){.close_after = closing, .too_big = too_big};
	bool body = req->method != HTTP_METHOD_HEAD;
	struct http_str path;
	uint64_t n;

	if (req->method == HTTP_METHOD_OTHER) {
		a->status =
		    respond_text(o, 405, "Method Not Allowed\n", true, close_field, version_10);
	} else if (!target_path(req->target, &path)) {
		a->status = http_respond_error(o, http_error_status(HTTP_ERR_BAD_TARGET),
					       http_error_doc(HTTP_ERR_BAD_TARGET));
		a->close_after = true;
	} else if (path.len == 6 && memcmp(path.p, "/hello", 6) == 0) {
		a->status = respond_text(o, 200, "Hello, world!\n", body, close_field, version_10);
	} else if (path.len >= 7 && memcmp(path.p, "/bytes/", 7) == 0) {
		if (parse_bytes_count((struct http_str){path.p + 7, path.len - 7}, &n)) {
			a->status = respond_bytes(o, n, body, close_field, version_10, a);
		} else {
			a->status = http_respond_error(
			    o, 400, "N in /bytes/N must be a decimal from 0 to 2147483648");
			a->close_after = true;
		}
	} else {
		a->status =
		    respond_text(o, 404, "404 page not found\n", body, close_field, version_10);
	}
}

void http_date_init(struct http_date *d, uint64_t base_s, const struct stack *st)
{
	d->sec = -1;
	d->text[0] = 0;
	d->base_s = base_s;
	d->st = st;
}

void http_pattern_fill(uint8_t *p)
{
	for (size_t i = 0; i < PATTERN_LEN; i++)
		p[i] = (uint8_t)(i % PATTERN_PERIOD);
}

const char http_refused_503[] = "HTTP/1.1 503 Service Unavailable\r\n"
				"Content-Type: text/plain; charset=utf-8\r\n"
				"Content-Length: 23\r\n"
				"Connection: close\r\n\r\n"
				"503 Service Unavailable";
const size_t http_refused_503_len = sizeof(http_refused_503) - 1;
