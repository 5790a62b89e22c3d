/*
 * fuzz_http.c - libFuzzer harness for the HTTP/1.1 parser (http/parser.h):
 * arbitrary bytes, parsed once whole and once split at a point chosen by
 * the input, and the two parses must agree, exactly as they must when TCP
 * delivers a request in arbitrary pieces.
 *
 * Input: mode (1 byte), split (2 bytes, big-endian, taken modulo the data
 * length + 1), then the data.
 *   mode % 4 == 0   request head, split in two
 *   mode % 4 == 1   response head, split in two
 *   mode % 4 == 2   chunked body (RFC 9112 §7.1), split in two
 *   mode % 4 == 3   request head, fed one byte more per call
 *
 * Checked: same result, same error, same parsed fields (same pointers into
 * the one buffer), head_len within the data, every string inside the head;
 * for chunked, the same decoded bytes, consumption and end state, and the
 * decoder never stalls with input left.
 */
#include <stdlib.h>
#include <string.h>

#include "parser.h"
#include "byteorder.h"
#include "fuzz_common.h"

#define MAX_DATA (HTTP_MAX_HEAD * 2)

static void check_str_in(struct http_str s, const uint8_t *buf, size_t head_len, const char *what)
{
	if (!s.p)
		return;
	FZ_CHECK((const uint8_t *)s.p >= buf && (const uint8_t *)s.p + s.len <= buf + head_len,
		 "%s outside the head", what);
}

static void info_eq(const struct http_message_info *a, const struct http_message_info *b)
{
	FZ_CHECK(a->version_major == b->version_major && a->version_minor == b->version_minor,
		 "version differs");
	FZ_CHECK(a->has_content_length == b->has_content_length &&
		     a->content_length == b->content_length,
		 "Content-Length differs");
	FZ_CHECK(a->chunked == b->chunked, "chunked differs");
	FZ_CHECK(a->conn_close == b->conn_close && a->conn_keep_alive == b->conn_keep_alive,
		 "Connection differs");
	FZ_CHECK(a->field_count == b->field_count, "field_count %u vs %u", a->field_count,
		 b->field_count);
	FZ_CHECK(a->head_len == b->head_len, "head_len %zu vs %zu", a->head_len, b->head_len);
}

static void str_eq(struct http_str a, struct http_str b, const char *what)
{
	FZ_CHECK(a.p == b.p && a.len == b.len, "%s differs", what);
}

static void request_eq(const struct http_request *a, const struct http_request *b,
		       const uint8_t *buf, size_t len)
{
	info_eq(&a->info, &b->info);
	FZ_CHECK(a->method == b->method, "method differs");
	str_eq(a->method_str, b->method_str, "method_str");
	str_eq(a->target, b->target, "target");
	str_eq(a->host, b->host, "host");
	FZ_CHECK(a->expect_continue == b->expect_continue, "expect_continue differs");
	FZ_CHECK(a->info.head_len <= len, "head_len %zu beyond %zu bytes", a->info.head_len, len);
	check_str_in(a->method_str, buf, a->info.head_len, "method");
	check_str_in(a->target, buf, a->info.head_len, "target");
	check_str_in(a->host, buf, a->info.head_len, "host");
}

/* Request head: whole vs split at k (or vs one more byte per call when bytewise). */
static void fuzz_request(const uint8_t *buf, size_t len, size_t k, bool bytewise)
{
	struct http_parser p1, p2;
	struct http_request r1, r2;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));

	http_parser_init(&p1, HTTP_MAX_HEAD);
	enum http_parse_result a = http_parse_request(&p1, buf, len, &r1);

	http_parser_init(&p2, HTTP_MAX_HEAD);
	enum http_parse_result b = HTTP_PARSE_MORE;
	if (bytewise) {
		for (size_t n = 0; n <= len && b == HTTP_PARSE_MORE; n++)
			b = http_parse_request(&p2, buf, n, &r2);
	} else {
		b = http_parse_request(&p2, buf, k, &r2);
		if (b == HTTP_PARSE_MORE)
			b = http_parse_request(&p2, buf, len, &r2);
	}
	FZ_CHECK(a == b, "request: whole gives %d, split at %zu gives %d (err %s vs %s)", a, k, b,
		 http_error_name(p1.err), http_error_name(p2.err));
	if (a == HTTP_PARSE_ERROR)
		FZ_CHECK(p1.err == p2.err, "request: error %s whole, %s split at %zu",
			 http_error_name(p1.err), http_error_name(p2.err), k);
	if (a == HTTP_PARSE_DONE)
		request_eq(&r1, &r2, buf, len);
}

static void fuzz_response(const uint8_t *buf, size_t len, size_t k)
{
	struct http_parser p1, p2;
	struct http_response r1, r2;
	memset(&r1, 0, sizeof(r1));
	memset(&r2, 0, sizeof(r2));

	http_parser_init(&p1, HTTP_MAX_HEAD);
	enum http_parse_result a = http_parse_response(&p1, buf, len, &r1);
	http_parser_init(&p2, HTTP_MAX_HEAD);
	enum http_parse_result b = http_parse_response(&p2, buf, k, &r2);
	if (b == HTTP_PARSE_MORE)
		b = http_parse_response(&p2, buf, len, &r2);
	FZ_CHECK(a == b, "response: whole gives %d, split at %zu gives %d", a, k, b);
	if (a == HTTP_PARSE_ERROR)
		FZ_CHECK(p1.err == p2.err, "response: error %s whole, %s split at %zu",
			 http_error_name(p1.err), http_error_name(p2.err), k);
	if (a == HTTP_PARSE_DONE) {
		info_eq(&r1.info, &r2.info);
		FZ_CHECK(r1.status == r2.status, "status differs");
		FZ_CHECK(r1.status >= 100 && r1.status <= 999, "status %d", r1.status);
		str_eq(r1.reason, r2.reason, "reason");
		FZ_CHECK(r1.info.head_len <= len, "head_len beyond the data");
		check_str_in(r1.reason, buf, r1.info.head_len, "reason");
	}
}

/* The outcome of decoding a chunked body delivered in pieces. */
struct chunked_run {
	struct http_chunked c;
	enum http_parse_result res;
	size_t consumed;       /* input bytes consumed when decoding stopped */
	size_t out_len;	       /* decoded bytes */
	uint8_t out[MAX_DATA]; /* the decoded bytes (never more than the input) */
};

/* Feeds buf[from, to) until it is consumed or decoding ends. */
static void chunked_feed(struct chunked_run *r, const uint8_t *buf, size_t from, size_t to)
{
	size_t pos = from;
	while (r->res == HTTP_PARSE_MORE && pos < to) {
		size_t used = 0, data_len = 0;
		const uint8_t *data = NULL;
		r->res = http_chunked_feed(&r->c, buf + pos, to - pos, &used, &data, &data_len);
		FZ_CHECK(used <= to - pos, "chunked: used %zu of %zu", used, to - pos);
		if (data_len) {
			FZ_CHECK(data >= buf + pos && data + data_len <= buf + pos + used,
				 "chunked: data outside the consumed input");
			FZ_CHECK(r->out_len + data_len <= sizeof(r->out), "chunked: too much data");
			memcpy(r->out + r->out_len, data, data_len);
			r->out_len += data_len;
		}
		pos += used;
		if (r->res == HTTP_PARSE_MORE)
			FZ_CHECK(used > 0 || pos == to, "chunked: stalled with %zu bytes left",
				 to - pos);
	}
	r->consumed = pos;
}

static void fuzz_chunked(const uint8_t *buf, size_t len, size_t k)
{
	static struct chunked_run w, s;
	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	http_chunked_init(&w.c);
	http_chunked_init(&s.c);
	w.res = s.res = HTTP_PARSE_MORE;

	chunked_feed(&w, buf, 0, len);
	chunked_feed(&s, buf, 0, k);
	if (s.res == HTTP_PARSE_MORE)
		chunked_feed(&s, buf, k, len);
	FZ_CHECK(w.res == s.res, "chunked: whole gives %d, split at %zu gives %d", w.res, k, s.res);
	if (w.res == HTTP_PARSE_ERROR)
		FZ_CHECK(w.c.err == s.c.err, "chunked: error %s whole, %s split",
			 http_error_name(w.c.err), http_error_name(s.c.err));
	else
		FZ_CHECK(w.consumed == s.consumed, "chunked: consumed %zu whole, %zu split",
			 w.consumed, s.consumed);
	FZ_CHECK(w.res == HTTP_PARSE_ERROR ||
		     (w.out_len == s.out_len && memcmp(w.out, s.out, w.out_len) == 0),
		 "chunked: decoded bytes differ");
	FZ_CHECK(w.res == HTTP_PARSE_ERROR || w.c.body_len == w.out_len,
		 "chunked: body_len %llu, %zu bytes decoded", (unsigned long long)w.c.body_len,
		 w.out_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size - 3 > MAX_DATA)
		return -1;
	uint8_t mode = data[0];
	size_t len = size - 3;
	size_t k = get_be16(data + 1) % (len + 1);
	/* A copy of exactly len bytes, so ASan sees any read past the end. */
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		abort();
	memcpy(buf, data + 3, len);
	switch (mode % 4) {
	case 0:
		fuzz_request(buf, len, k, false);
		break;
	case 1:
		fuzz_response(buf, len, k);
		break;
	case 2:
		fuzz_chunked(buf, len, k);
		break;
	case 3:
		fuzz_request(buf, len, k, true);
		break;
	}
	free(buf);
	return 0;
}
