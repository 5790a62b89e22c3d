/*
 * http_parser_test.c - the HTTP/1.1 head parser and chunked decoder
 * (http/parser.c): exact fields, every-byte splits, limits, and each RFC
 * 9112 rejection by its named reason.
 *
 * Requests are the bytes real clients send: curl 7.88 (`curl
 * http://10.0.0.2:8080/hello`), wrk 4.2 and Go's net/http client, as seen in
 * tcpdump -A of those tools against Go's example server.
 */
#include <stdio.h>
#include <string.h>

#include "tsunit.h"
#include "parser.h"

static const char CURL_GET[] = "GET /hello HTTP/1.1\r\n"
			       "Host: 10.0.0.2:8080\r\n"
			       "User-Agent: curl/7.88.1\r\n"
			       "Accept: */*\r\n"
			       "\r\n";
static const char WRK_GET[] = "GET /bytes/1460 HTTP/1.1\r\n"
			      "Host: 10.0.0.2:8080\r\n"
			      "\r\n";
static const char GO_POST[] = "POST /upload?x=1 HTTP/1.1\r\n"
			      "Host: 10.0.0.2:8080\r\n"
			      "User-Agent: Go-http-client/1.1\r\n"
			      "Transfer-Encoding: chunked\r\n"
			      "Accept-Encoding: gzip\r\n"
			      "\r\n";
static const char HTTP10_GET[] = "GET /hello HTTP/1.0\r\n"
				 "Connection: keep-alive\r\n"
				 "Content-Length: 3\r\n"
				 "\r\n";

/* Parses s in one call with a fresh parser. */
static enum http_parse_result parse1(const char *s, struct http_request *req, enum http_error *err)
{
	struct http_parser p;
	http_parser_init(&p, HTTP_MAX_HEAD);
	enum http_parse_result r = http_parse_request(&p, (const uint8_t *)s, strlen(s), req);
	*err = p.err;
	return r;
}

/* Asserts that s is rejected for exactly the reason want. */
static void assert_rejects(const char *s, enum http_error want)
{
	struct http_request req;
	enum http_error err;
	enum http_parse_result r = parse1(s, &req, &err);
	ck_assert_msg(r == HTTP_PARSE_ERROR && err == want, "%s: got result %d err %s, want %s", s,
		      r, http_error_name(err), http_error_name(want));
}

static void assert_str(struct http_str s, const char *want)
{
	ck_assert_uint_eq(s.len, strlen(want));
	ck_assert_mem_eq(s.p, want, s.len);
}

START_TEST(curl_get_fields)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(parse1(CURL_GET, &req, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(req.method, HTTP_METHOD_GET);
	assert_str(req.method_str, "GET");
	assert_str(req.target, "/hello");
	assert_str(req.host, "10.0.0.2:8080");
	ck_assert_uint_eq(req.info.version_major, 1);
	ck_assert_uint_eq(req.info.version_minor, 1);
	ck_assert(!req.info.has_content_length);
	ck_assert(!req.info.chunked);
	ck_assert(!req.info.conn_close);
	ck_assert_uint_eq(req.info.field_count, 3);
	ck_assert_uint_eq(req.info.head_len, strlen(CURL_GET));
}
END_TEST

START_TEST(go_post_chunked_fields)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(parse1(GO_POST, &req, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(req.method, HTTP_METHOD_OTHER);
	assert_str(req.method_str, "POST");
	assert_str(req.target, "/upload?x=1");
	ck_assert(req.info.chunked);
	ck_assert_uint_eq(req.info.field_count, 4);
}
END_TEST

START_TEST(http10_without_host)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(parse1(HTTP10_GET, &req, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.info.version_minor, 0);
	ck_assert_ptr_null(req.host.p);
	ck_assert(req.info.conn_keep_alive);
	ck_assert(req.info.has_content_length);
	ck_assert_uint_eq(req.info.content_length, 3);
}
END_TEST

/*
 * Every split: the first k bytes, then the whole request, for every k; and
 * a byte at a time.  Only the complete head may give DONE, with the same
 * result as the one-shot parse.
 */
static void check_every_split(const char *s)
{
	size_t len = strlen(s);
	struct http_request whole, req;
	enum http_error err;
	ck_assert_int_eq(parse1(s, &whole, &err), HTTP_PARSE_DONE);
	for (size_t k = 0; k < len; k++) {
		struct http_parser p;
		http_parser_init(&p, HTTP_MAX_HEAD);
		ck_assert_int_eq(http_parse_request(&p, (const uint8_t *)s, k, &req),
				 HTTP_PARSE_MORE);
		ck_assert_int_eq(http_parse_request(&p, (const uint8_t *)s, len, &req),
				 HTTP_PARSE_DONE);
		ck_assert_uint_eq(req.info.head_len, whole.info.head_len);
		ck_assert_uint_eq(req.target.len, whole.target.len);
		ck_assert_ptr_eq(req.target.p, whole.target.p);
		ck_assert_uint_eq(req.info.field_count, whole.info.field_count);
		ck_assert_int_eq(req.info.chunked, whole.info.chunked);
	}
	struct http_parser p;
	http_parser_init(&p, HTTP_MAX_HEAD);
	for (size_t k = 1; k <= len; k++) {
		enum http_parse_result r = http_parse_request(&p, (const uint8_t *)s, k, &req);
		ck_assert_int_eq(r, k == len ? HTTP_PARSE_DONE : HTTP_PARSE_MORE);
	}
	ck_assert_uint_eq(req.info.head_len, len);
}

START_TEST(every_byte_split)
{
	check_every_split(CURL_GET);
	check_every_split(WRK_GET);
	check_every_split(GO_POST);
	check_every_split(HTTP10_GET);
	/* LF-only line ends and leading empty lines (RFC 9112 §2.2). */
	check_every_split("\r\n\nGET / HTTP/1.1\nHost: a\n\n");
}
END_TEST

/*
 * Property: for mutated requests (random bytes replaced by the characters
 * the grammar cares about), feeding a byte at a time gives the same verdict,
 * reason and head length as one call.  Seeded, so a failure replays.
 */
START_TEST(incremental_matches_one_shot_on_mutations)
{
	static const char alphabet[] = "\r\n :\t/\x00\x7fHTTP1.0,;aZ9";
	uint32_t x = 2463534242u; /* xorshift32 seed */
	for (int iter = 0; iter < 3000; iter++) {
		char buf[256];
		size_t len = strlen(GO_POST);
		memcpy(buf, GO_POST, len);
		int flips = 1 + iter % 4;
		for (int k = 0; k < flips; k++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[x % len] = alphabet[(x >> 8) % (sizeof(alphabet) - 1)];
		}
		struct http_parser one, inc;
		struct http_request r1, r2;
		http_parser_init(&one, HTTP_MAX_HEAD);
		enum http_parse_result a = http_parse_request(&one, (uint8_t *)buf, len, &r1);
		http_parser_init(&inc, HTTP_MAX_HEAD);
		enum http_parse_result b = HTTP_PARSE_MORE;
		for (size_t k = 1; k <= len && b == HTTP_PARSE_MORE; k++)
			b = http_parse_request(&inc, (uint8_t *)buf, k, &r2);
		ck_assert_msg(a == b, "iteration %d: one-shot %d, incremental %d", iter, a, b);
		if (a == HTTP_PARSE_ERROR)
			ck_assert_int_eq(one.err, inc.err);
		if (a == HTTP_PARSE_DONE)
			ck_assert_uint_eq(r1.info.head_len, r2.info.head_len);
	}
}
END_TEST

/* Three requests back to back: each head_len lands on the next request. */
START_TEST(pipelined_requests)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s%s%sabc", CURL_GET, WRK_GET, HTTP10_GET);
	const uint8_t *b = (const uint8_t *)buf;
	size_t len = strlen(buf), off = 0;
	struct http_request req;
	struct http_parser p;
	const char *targets[] = {"/hello", "/bytes/1460", "/hello"};
	for (int i = 0; i < 3; i++) {
		http_parser_init(&p, HTTP_MAX_HEAD);
		ck_assert_int_eq(http_parse_request(&p, b + off, len - off, &req), HTTP_PARSE_DONE);
		assert_str(req.target, targets[i]);
		off += req.info.head_len + req.info.content_length;
	}
	ck_assert_uint_eq(off, len);
}
END_TEST

/* Builds "GET /... HTTP/1.1\r\nHost: h\r\n" + fields until the head is total bytes. */
static size_t build_head(char *buf, size_t total)
{
	size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
	/* One filler field of the exact size, then the empty line. */
	size_t filler = total - n - 2;
	memcpy(buf + n, "X-Pad: ", 7);
	memset(buf + n + 7, 'a', filler - 9);
	memcpy(buf + n + filler - 2, "\r\n\r\n", 5);
	return n + filler + 2;
}

START_TEST(head_size_limit_431)
{
	static char buf[HTTP_MAX_HEAD + 64];
	struct http_request req;
	enum http_error err;
	ck_assert_uint_eq(build_head(buf, HTTP_MAX_HEAD), HTTP_MAX_HEAD);
	ck_assert_int_eq(parse1(buf, &req, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.info.head_len, HTTP_MAX_HEAD);
	ck_assert_uint_eq(build_head(buf, HTTP_MAX_HEAD + 1), HTTP_MAX_HEAD + 1);
	assert_rejects(buf, HTTP_ERR_HEAD_TOO_LARGE);
	ck_assert_int_eq(http_error_status(HTTP_ERR_HEAD_TOO_LARGE), 431);

	/* A head that never ends is cut as soon as it passes the limit,
	 * before the caller has buffered more. */
	struct http_parser p;
	http_parser_init(&p, HTTP_MAX_HEAD);
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
	ck_assert_int_eq(http_parse_request(&p, (uint8_t *)buf, HTTP_MAX_HEAD, &req),
			 HTTP_PARSE_MORE);
	ck_assert_int_eq(http_parse_request(&p, (uint8_t *)buf, HTTP_MAX_HEAD + 1, &req),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.err, HTTP_ERR_HEAD_TOO_LARGE);
}
END_TEST

START_TEST(field_count_limit_431)
{
	static char buf[HTTP_MAX_HEAD];
	struct http_request req;
	enum http_error err;
	for (int fields = HTTP_MAX_FIELDS; fields <= HTTP_MAX_FIELDS + 1; fields++) {
		size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
		for (int i = 1; i < fields; i++)
			n += (size_t)sprintf(buf + n, "X%d: v\r\n", i);
		strcpy(buf + n, "\r\n");
		if (fields == HTTP_MAX_FIELDS) {
			ck_assert_int_eq(parse1(buf, &req, &err), HTTP_PARSE_DONE);
			ck_assert_uint_eq(req.info.field_count, HTTP_MAX_FIELDS);
		} else {
			assert_rejects(buf, HTTP_ERR_TOO_MANY_FIELDS);
		}
	}
}
END_TEST

START_TEST(request_line_limit_414)
{
	static char buf[HTTP_MAX_HEAD + 64];
	struct http_request req;
	enum http_error err;
	/* "GET " + target + " HTTP/1.1" = 8000 bytes exactly: accepted. */
	size_t target = HTTP_MAX_REQUEST_LINE - 13;
	memcpy(buf, "GET /", 5);
	memset(buf + 5, 'a', target - 1);
	strcpy(buf + 4 + target, " HTTP/1.1\r\nHost: h\r\n\r\n");
	ck_assert_int_eq(parse1(buf, &req, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.target.len, target);
	memset(buf + 5, 'a', target);
	strcpy(buf + 5 + target, " HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_rejects(buf, HTTP_ERR_URI_TOO_LONG);
	ck_assert_int_eq(http_error_status(HTTP_ERR_URI_TOO_LONG), 414);
}
END_TEST

START_TEST(methods)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(parse1("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", &req, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(req.method, HTTP_METHOD_HEAD);
	/* Methods are case-sensitive tokens: "get" is a valid, unknown method. */
	ck_assert_int_eq(parse1("get / HTTP/1.1\r\nHost: h\r\n\r\n", &req, &err), HTTP_PARSE_DONE);
	ck_assert_int_eq(req.method, HTTP_METHOD_OTHER);
	ck_assert_int_eq(parse1("DELETE / HTTP/1.1\r\nHost: h\r\n\r\n", &req, &err),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(req.method, HTTP_METHOD_OTHER);
	assert_rejects("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_METHOD);
	assert_rejects("GE\x01T / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_METHOD);
	assert_rejects(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_REQUEST_LINE);
	assert_rejects("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_REQUEST_LINE);
	assert_rejects("GET /\r\n\r\n", HTTP_ERR_BAD_REQUEST_LINE);
	assert_rejects("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_TARGET);
}
END_TEST

START_TEST(versions)
{
	struct http_request req;
	enum http_error err;
	/* A higher minor version is served as 1.1 (RFC 9110 §6.2). */
	ck_assert_int_eq(parse1("GET / HTTP/1.7\r\nHost: h\r\n\r\n", &req, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.info.version_minor, 7);
	assert_rejects("GET / HTTP/2.0\r\nHost: h\r\n\r\n", HTTP_ERR_VERSION_UNSUPPORTED);
	assert_rejects("GET / HTTP/3.0\r\nHost: h\r\n\r\n", HTTP_ERR_VERSION_UNSUPPORTED);
	assert_rejects("GET / HTTP/0.9\r\n\r\n", HTTP_ERR_VERSION_UNSUPPORTED);
	ck_assert_int_eq(http_error_status(HTTP_ERR_VERSION_UNSUPPORTED), 505);
	assert_rejects("GET / http/1.1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_VERSION);
	assert_rejects("GET / HTTP/1.10\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_VERSION);
	assert_rejects("GET / HTTP/1\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_VERSION);
	assert_rejects("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", HTTP_ERR_BAD_VERSION);
	assert_rejects("GET / HTTP/2\r\nHost: h\r\n\r\n", HTTP_ERR_BAD_VERSION);
}
END_TEST

START_TEST(host_rules)
{
	struct http_request req;
	enum http_error err;
	assert_rejects("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", HTTP_ERR_NO_HOST);
	assert_rejects("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", HTTP_ERR_DUP_HOST);
	assert_rejects("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", HTTP_ERR_BAD_HOST);
	assert_rejects("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", HTTP_ERR_BAD_HOST);
	/* An empty Host is valid (RFC 9112 §3.2), OWS is trimmed. */
	ck_assert_int_eq(parse1("GET / HTTP/1.1\r\nhOST:\r\n\r\n", &req, &err), HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.host.len, 0);
	ck_assert_int_eq(parse1("GET / HTTP/1.1\r\nHost: \t[::1]:80 \t\r\n\r\n", &req, &err),
			 HTTP_PARSE_DONE);
	assert_str(req.host, "[::1]:80");
}
END_TEST

START_TEST(field_syntax)
{
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  continued\r\n\r\n",
		       HTTP_ERR_OBS_FOLD);
	assert_rejects("GET / HTTP/1.1\r\n Host: h\r\n\r\n", HTTP_ERR_LEADING_WHITESPACE);
	assert_rejects("GET / HTTP/1.1\r\nHost : h\r\n\r\n", HTTP_ERR_SPACE_BEFORE_COLON);
	assert_rejects("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n", HTTP_ERR_SPACE_BEFORE_COLON);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", HTTP_ERR_BAD_FIELD_NAME);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", HTTP_ERR_BAD_FIELD_NAME);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n", HTTP_ERR_BAD_FIELD_NAME);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", HTTP_ERR_BARE_CR);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
		       "b\r\n\r\n",
		       HTTP_ERR_BAD_FIELD_VALUE);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", HTTP_ERR_BAD_FIELD_VALUE);
	/* NUL inside a value (the parser must not stop at it). */
	struct http_request req;
	struct http_parser p;
	static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";
	http_parser_init(&p, HTTP_MAX_HEAD);
	ck_assert_int_eq(http_parse_request(&p, (const uint8_t *)nul, sizeof(nul) - 1, &req),
			 HTTP_PARSE_ERROR);
	ck_assert_int_eq(p.err, HTTP_ERR_BAD_FIELD_VALUE);
}
END_TEST

START_TEST(body_framing)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(parse1("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0042\r\n"
				"content-length: 42\r\n\r\n",
				&req, &err),
			 HTTP_PARSE_DONE);
	ck_assert_uint_eq(req.info.content_length, 42);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 4a\r\n\r\n",
		       HTTP_ERR_BAD_CONTENT_LENGTH);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
		       HTTP_ERR_BAD_CONTENT_LENGTH);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
		       HTTP_ERR_BAD_CONTENT_LENGTH);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\n",
		       HTTP_ERR_BAD_CONTENT_LENGTH);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123456789\r\n\r\n",
		       HTTP_ERR_BAD_CONTENT_LENGTH);
	assert_rejects(
	    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    HTTP_ERR_DUP_CONTENT_LENGTH);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
		       "Transfer-Encoding: chunked\r\n\r\n",
		       HTTP_ERR_TE_AND_CL);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
		       HTTP_ERR_TE_NOT_CHUNKED);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
		       HTTP_ERR_TE_NOT_CHUNKED);
	assert_rejects("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		       HTTP_ERR_TE_UNSUPPORTED);
	ck_assert_int_eq(http_error_status(HTTP_ERR_TE_UNSUPPORTED), 501);
	assert_rejects("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_ERR_TE_HTTP10);
	/* Coding names are case-insensitive; two field lines form one list. */
	ck_assert_int_eq(parse1("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n"
				"Transfer-Encoding: CHUNKED\r\n\r\n",
				&req, &err),
			 HTTP_PARSE_DONE);
	ck_assert(req.info.chunked);
}
END_TEST

START_TEST(connection_options)
{
	struct http_request req;
	enum http_error err;
	ck_assert_int_eq(
	    parse1("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n", &req,
		   &err),
	    HTTP_PARSE_DONE);
	ck_assert(req.info.conn_close);
	ck_assert(req.info.conn_keep_alive);
	ck_assert_int_eq(
	    parse1("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, upgrade\r\n\r\n", &req, &err),
	    HTTP_PARSE_DONE);
	ck_assert(!req.info.conn_close);
	ck_assert(!req.info.conn_keep_alive);
	ck_assert(!req.expect_continue);
	ck_assert_int_eq(
	    parse1("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n", &req, &err),
	    HTTP_PARSE_DONE);
	ck_assert(req.expect_continue);
}
END_TEST

/* Decodes s fed in pieces of at most step bytes; returns the body length. */
static size_t dechunk(const char *s, size_t len, size_t step, char *out, size_t *consumed,
		      enum http_parse_result *last, enum http_error *err)
{
	struct http_chunked c;
	http_chunked_init(&c);
	size_t off = 0, n = 0;
	enum http_parse_result r = HTTP_PARSE_MORE;
	while (off < len && r == HTTP_PARSE_MORE) {
		size_t piece = len - off < step ? len - off : step;
		size_t used = 0;
		while (used < piece && r == HTTP_PARSE_MORE) {
			size_t u, dl;
			const uint8_t *d;
			r = http_chunked_feed(&c, (const uint8_t *)s + off + used, piece - used, &u,
					      &d, &dl);
			if (dl)
				memcpy(out + n, d, dl);
			n += dl;
			used += u;
		}
		off += used;
	}
	*consumed = off;
	*last = r;
	*err = c.err;
	ck_assert_uint_eq(c.body_len, n);
	return n;
}

/* RFC 9112 §7.1 framing with an extension, a trailer and a following request. */
static const char CHUNKED_BODY[] = "4\r\nWiki\r\n"
				   "6;name=\"v\"\r\npedia \r\n"
				   "E\r\nin \r\n\r\nchunks.\r\n"
				   "0\r\n"
				   "Expires: never\r\n"
				   "\r\n"
				   "GET /next";

START_TEST(chunked_every_split)
{
	const char *want = "Wikipedia in \r\n\r\nchunks.";
	size_t body_end = strlen(CHUNKED_BODY) - strlen("GET /next");
	char out[128];
	for (size_t step = 1; step <= strlen(CHUNKED_BODY); step++) {
		size_t used;
		enum http_parse_result r;
		enum http_error err;
		size_t n = dechunk(CHUNKED_BODY, strlen(CHUNKED_BODY), step, out, &used, &r, &err);
		ck_assert_int_eq(r, HTTP_PARSE_DONE);
		ck_assert_uint_eq(used, body_end);
		ck_assert_uint_eq(n, strlen(want));
		ck_assert_mem_eq(out, want, n);
	}
	/* Uppercase hex, extensions after ';' (BWS allowed before it), no trailer. */
	size_t used;
	enum http_parse_result r;
	enum http_error err;
	const char *ext = "A;name=\"v\"\r\nabcdefghij\r\n3 \t; x\r\nklm\r\n0\r\n\r\n";
	ck_assert_uint_eq(dechunk(ext, strlen(ext), 3, out, &used, &r, &err), 13);
	ck_assert_int_eq(r, HTTP_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(ext));
}
END_TEST

static void assert_bad_chunked(const char *s, enum http_error want)
{
	char out[256];
	size_t used;
	enum http_parse_result r;
	enum http_error err;
	dechunk(s, strlen(s), 1000, out, &used, &r, &err);
	ck_assert_msg(r == HTTP_PARSE_ERROR && err == want, "%s: got %d %s", s, r,
		      http_error_name(err));
}

START_TEST(chunked_errors)
{
	assert_bad_chunked("z\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3\r\nabcX\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3\rX", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3x\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("1000000000000000\r\n", HTTP_ERR_CHUNK_TOO_LARGE);
	assert_bad_chunked("0\r\nX: a\rb\r\n\r\n", HTTP_ERR_BAD_CHUNK);
	/* RFC 9112 §7.1: CRLF, not a bare LF, ends every line of the framing
	 * (a recipient that accepts LF where another does not can be fed two
	 * different bodies: request smuggling). */
	assert_bad_chunked("A\nabcdefghij\r\n0\r\n\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3\r\nabc\n0\r\n\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("0\r\nX: 1\n\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("0\r\n\n", HTTP_ERR_BAD_CHUNK);
	/* Only ';' starts an extension, and only BWS may come before it. */
	assert_bad_chunked("3 abc\r\nabc\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3 \r\nabc\r\n", HTTP_ERR_BAD_CHUNK);
	assert_bad_chunked("3,x\r\nabc\r\n", HTTP_ERR_BAD_CHUNK);
	/* 15 hex digits is the largest size accepted. */
	char out[8];
	size_t used;
	enum http_parse_result r;
	enum http_error err;
	dechunk("fffffffffffffff\r\n", 17, 100, out, &used, &r, &err);
	ck_assert_int_eq(r, HTTP_PARSE_MORE);
}
END_TEST

START_TEST(response_heads)
{
	struct http_parser p;
	struct http_response resp;
	static const char go[] = "HTTP/1.1 200 OK\r\n"
				 "Date: Sun, 22 Nov 2026 00:24:26 GMT\r\n"
				 "Content-Length: 14\r\n"
				 "Content-Type: text/plain; charset=utf-8\r\n"
				 "\r\n"
				 "Hello, world!\n";
	http_parser_init(&p, HTTP_MAX_HEAD);
	ck_assert_int_eq(http_parse_response(&p, (const uint8_t *)go, strlen(go), &resp),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(resp.status, 200);
	assert_str(resp.reason, "OK");
	ck_assert(resp.info.has_content_length);
	ck_assert_uint_eq(resp.info.content_length, 14);
	ck_assert_uint_eq(resp.info.head_len, strlen(go) - 14);

	static const char chunked[] = "HTTP/1.1 404\r\nTransfer-Encoding: chunked\r\n"
				      "Content-Length: 5\r\nConnection: close\r\n\r\n";
	http_parser_init(&p, HTTP_MAX_HEAD);
	ck_assert_int_eq(http_parse_response(&p, (const uint8_t *)chunked, strlen(chunked), &resp),
			 HTTP_PARSE_DONE);
	ck_assert_int_eq(resp.status, 404);
	ck_assert_uint_eq(resp.reason.len, 0);
	ck_assert(resp.info.chunked);
	ck_assert(!resp.info.has_content_length); /* TE overrides CL (RFC 9112 §6.3) */
	ck_assert(resp.info.conn_close);

	const char *bad[] = {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
			     "HTTP/1.1 200OK\r\n\r\n", "ICY 200 OK\r\n\r\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		http_parser_init(&p, HTTP_MAX_HEAD);
		ck_assert_int_eq(
		    http_parse_response(&p, (const uint8_t *)bad[i], strlen(bad[i]), &resp),
		    HTTP_PARSE_ERROR);
		ck_assert_int_eq(p.err, HTTP_ERR_BAD_STATUS_LINE);
	}
}
END_TEST

START_TEST(error_table)
{
	for (int e = 1; e < HTTP_ERR_MAX; e++) {
		ck_assert_ptr_nonnull(strstr(http_error_doc(e), "RFC"));
		ck_assert_uint_gt(strlen(http_error_name(e)), 0);
	}
	ck_assert_str_eq(http_error_name(HTTP_ERR_OBS_FOLD), "OBS_FOLD");
	ck_assert_int_eq(http_error_status(HTTP_ERR_OBS_FOLD), 400);
	ck_assert_int_eq(http_error_status(HTTP_ERR_TOO_MANY_FIELDS), 431);
}
END_TEST

static Suite *http_parser_suite(void)
{
	Suite *s = suite_create("http_parser");
	TCase *tc = tcase_create("requests");
	tcase_add_test(tc, curl_get_fields);
	tcase_add_test(tc, go_post_chunked_fields);
	tcase_add_test(tc, http10_without_host);
	tcase_add_test(tc, every_byte_split);
	tcase_add_test(tc, incremental_matches_one_shot_on_mutations);
	tcase_add_test(tc, pipelined_requests);
	tcase_add_test(tc, head_size_limit_431);
	tcase_add_test(tc, field_count_limit_431);
	tcase_add_test(tc, request_line_limit_414);
	tcase_add_test(tc, methods);
	tcase_add_test(tc, versions);
	tcase_add_test(tc, host_rules);
	tcase_add_test(tc, field_syntax);
	tcase_add_test(tc, body_framing);
	tcase_add_test(tc, connection_options);
	suite_add_tcase(s, tc);
	TCase *tb = tcase_create("bodies_and_responses");
	tcase_add_test(tb, chunked_every_split);
	tcase_add_test(tb, chunked_errors);
	tcase_add_test(tb, response_heads);
	tcase_add_test(tb, error_table);
	suite_add_tcase(s, tb);
	return s;
}
TS_SUITE(http_parser_suite)
