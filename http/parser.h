/*
 * parser.h - HTTP/1.1 message-head parser and chunked-body decoder: bytes
 * in, a parsed request (or response) or a named error out.  No struct stack,
 * no socket, no allocation: every string in the result points into the
 * caller's buffer.
 *
 * Incremental: the caller keeps the bytes received so far in one buffer and
 * calls http_parse_request() again after each read with the longer buffer;
 * the parser remembers how far it scanned, so a head split at any byte
 * boundary costs one pass over each byte to find its end plus one pass to
 * parse it once complete.  The chunked decoder is a byte-driven state
 * machine that needs no buffering at all.
 *
 * Read first: RFC 9112 §2.2 (message parsing, line endings), §3 (request
 * line), §4 (status line), §5 (field syntax, obs-fold), §6 (body length:
 * Content-Length, Transfer-Encoding), §7.1 (chunked), §9.3 (persistence);
 * RFC 9110 §5.5 (field values), §7.2 (Host).
 */
#ifndef TS_HTTP_PARSER_H
#define TS_HTTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits.  A head over HTTP_MAX_HEAD bytes or with more fields than
 * HTTP_MAX_FIELDS gets 431 (RFC 6585 §5); a request-line longer than
 * HTTP_MAX_REQUEST_LINE gets 414 (RFC 9112 §3 asks servers to accept at
 * least 8000 octets, so that is the bound). */
#define HTTP_MAX_HEAD	      8192
#define HTTP_MAX_FIELDS	      100
#define HTTP_MAX_REQUEST_LINE 8000
/* Bytes of chunk extensions per chunk and of trailer section per body. */
#define HTTP_MAX_CHUNK_EXT 1024
#define HTTP_MAX_TRAILERS  HTTP_MAX_HEAD
_Static_assert(HTTP_MAX_REQUEST_LINE <= HTTP_MAX_HEAD, "request-line fits in the head");

/*
 * Why a message is rejected: name, the status a server answers with, and a
 * one-line description with the RFC section that demands the rejection.
 */
#define HTTP_ERRORS(X)                                                                             \
	X(NONE, 0, "no error")                                                                     \
	X(HEAD_TOO_LARGE, 431, "header section over 8 KiB (RFC 6585 §5)")                          \
	X(TOO_MANY_FIELDS, 431, "more than 100 header fields (RFC 6585 §5)")                       \
	X(URI_TOO_LONG, 414, "request-line over 8000 octets (RFC 9112 §3)")                        \
	X(BAD_REQUEST_LINE, 400, "request-line is not method SP target SP version (RFC 9112 §3)")  \
	X(BAD_METHOD, 400, "method is not a token (RFC 9110 §9.1)")                                \
	X(BAD_TARGET, 400, "request-target has invalid characters or form (RFC 9112 §3.2)")        \
	X(BAD_VERSION, 400, "HTTP-version is not HTTP/DIGIT.DIGIT (RFC 9112 §2.3)")                \
	X(VERSION_UNSUPPORTED, 505, "major version other than 1 (RFC 9110 §15.6.6)")               \
	X(BARE_CR, 400, "CR not followed by LF (RFC 9112 §2.2)")                                   \
	X(LEADING_WHITESPACE, 400, "whitespace before the first field line (RFC 9112 §2.2)")       \
	X(OBS_FOLD, 400, "obsolete line folding (RFC 9112 §5.2)")                                  \
	X(SPACE_BEFORE_COLON, 400, "whitespace between field name and colon (RFC 9112 §5.1)")      \
	X(BAD_FIELD_NAME, 400, "field name is not a token (RFC 9110 §5.1)")                        \
	X(BAD_FIELD_VALUE, 400, "CTL character in a field value (RFC 9110 §5.5)")                  \
	X(NO_HOST, 400, "HTTP/1.1 request without Host (RFC 9112 §3.2)")                           \
	X(DUP_HOST, 400, "more than one Host field line (RFC 9112 §3.2)")                          \
	X(BAD_HOST, 400, "Host value is not uri-host [:port] (RFC 9112 §3.2)")                     \
	X(BAD_CONTENT_LENGTH, 400, "Content-Length is not 1*DIGIT (RFC 9112 §6.3)")                \
	X(DUP_CONTENT_LENGTH, 400, "Content-Length lines that differ (RFC 9112 §6.3)")             \
	X(TE_AND_CL, 400, "both Transfer-Encoding and Content-Length (RFC 9112 §6.1)")             \
	X(TE_HTTP10, 400, "Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1)")              \
	X(TE_NOT_CHUNKED, 400,                                                                     \
	  "chunked missing, repeated or not the final coding (RFC 9112 §6.3)")                     \
	X(TE_UNSUPPORTED, 501, "transfer coding other than chunked (RFC 9112 §6.1)")               \
	X(BAD_CHUNK, 400, "malformed chunked framing (RFC 9112 §7.1)")                             \
	X(CHUNK_TOO_LARGE, 400, "chunk size over 2^60 (RFC 9112 §7.1)")                            \
	X(BAD_STATUS_LINE, 0, "status-line is not version SP 3DIGIT SP reason (RFC 9112 §4)")

enum http_error {
#define HTTP_ERR_ENUM(name, status, doc) HTTP_ERR_##name,
	HTTP_ERRORS(HTTP_ERR_ENUM)
#undef HTTP_ERR_ENUM
	    HTTP_ERR_MAX
};

/* Status code a server answers err with (0 for response-only errors). */
int http_error_status(enum http_error err);
/* "HEAD_TOO_LARGE" and its description. */
const char *http_error_name(enum http_error err);
const char *http_error_doc(enum http_error err);

enum http_parse_result {
	HTTP_PARSE_DONE,  /* the head (or body) is complete */
	HTTP_PARSE_MORE,  /* need more bytes */
	HTTP_PARSE_ERROR, /* rejected; the reason is in the parser's err */
};

enum http_method {
	HTTP_METHOD_OTHER, /* a valid token that this server does not implement */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
};

/* A string inside the caller's buffer. */
struct http_str {
	const char *p;
	size_t len;
};

/* Framing and connection facts common to requests and responses. */
struct http_message_info {
	uint8_t version_major;	 /* 1 */
	uint8_t version_minor;	 /* 0 or 1 (a higher 1.x is reported as read) */
	bool has_content_length; /* a valid Content-Length was present */
	uint64_t content_length; /* its value */
	bool chunked;		 /* Transfer-Encoding: chunked (the only coding accepted) */
	bool conn_close;	 /* Connection has the "close" option (RFC 9112 §9.6) */
	bool conn_keep_alive;	 /* Connection has "keep-alive" (HTTP/1.0 persistence) */
	unsigned field_count;	 /* header field lines */
	size_t head_len;	 /* bytes of the head, request-line to the empty line inclusive */
};

struct http_request {
	enum http_method method;
	struct http_str method_str; /* as sent, e.g. "POST" */
	struct http_str target;	    /* request-target as sent */
	struct http_str host;	    /* Host value, OWS trimmed; p NULL when absent */
	bool expect_continue;	    /* Expect: 100-continue (RFC 9110 §10.1.1) */
	struct http_message_info info;
};

struct http_response {
	int status;		/* 100..999 */
	struct http_str reason; /* reason-phrase, may be empty */
	struct http_message_info info;
};

/*
 * The head scanner's memory between calls.  Initialise with
 * http_parser_init(); reset it (init again) before the next message.
 */
struct http_parser {
	size_t max_head;     /* head size limit (HTTP_MAX_HEAD for requests) */
	size_t scanned;	     /* bytes of the buffer already examined */
	size_t start;	     /* offset of the start-line (after skipped empty lines) */
	size_t line_start;   /* offset of the line being scanned */
	unsigned lines;	     /* complete non-empty lines so far (start-line included) */
	enum http_error err; /* why the last call returned HTTP_PARSE_ERROR */
};

void http_parser_init(struct http_parser *p, size_t max_head);

/*
 * Parses a request head at the start of buf[0..len).  buf must hold every
 * byte of this request received so far (the same prefix as on earlier
 * calls, possibly longer).  Returns HTTP_PARSE_DONE with *req filled (the
 * body, if any, starts at buf + req->info.head_len), HTTP_PARSE_MORE, or
 * HTTP_PARSE_ERROR with p->err set.  Empty lines before the request-line are
 * skipped (RFC 9112 §2.2) and counted in head_len.
 */
enum http_parse_result http_parse_request(struct http_parser *p, const uint8_t *buf, size_t len,
					  struct http_request *req);

/* The same for a response head (the client side). */
enum http_parse_result http_parse_response(struct http_parser *p, const uint8_t *buf, size_t len,
					   struct http_response *resp);

/* The chunked transfer coding decoder (RFC 9112 §7.1). */
struct http_chunked {
	uint8_t state;	     /* where in the chunk grammar we are (parser.c) */
	uint8_t digits;	     /* hex digits of the current chunk-size */
	uint64_t remaining;  /* chunk-size, then data bytes left in the chunk */
	size_t ext_len;	     /* bytes of chunk-ext in the current size line */
	size_t trailer_len;  /* bytes of trailer section so far */
	uint64_t body_len;   /* decoded data bytes so far */
	enum http_error err; /* why HTTP_PARSE_ERROR was returned */
};

void http_chunked_init(struct http_chunked *c);

/*
 * Feeds in[0..len) to the decoder.  Consumes framing bytes and at most one
 * run of data bytes, which it reports in *data / *data_len (0 when none);
 * *used is how many bytes of in were consumed.  Call again with the rest.
 * Returns HTTP_PARSE_DONE once the last chunk, trailers and final CRLF are
 * consumed (bytes after them belong to the next message), HTTP_PARSE_MORE,
 * or HTTP_PARSE_ERROR with c->err set.
 */
enum http_parse_result http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len,
					 size_t *used, const uint8_t **data, size_t *data_len);

/* Case-insensitive comparison of s with the NUL-terminated lit. */
bool http_str_eq(struct http_str s, const char *lit);

#endif
