/*
 * parser.c - HTTP/1.1 message heads and the chunked coding, as views: bytes
 * in, a struct of pointers into those bytes or an enum http_error out.
 *
 * Call order for one request: http_parser_init → http_parse_request (again
 * after each read until DONE or ERROR) → the body per info (Content-Length
 * bytes, or http_chunked_feed until DONE) → http_parser_init for the next.
 *
 * Two passes: scan_head() finds the end of the head incrementally (it keeps
 * its offset between calls and enforces the size limits while the head is
 * still arriving, so a slow or endless head is cut at 8 KiB without being
 * buffered whole), then the complete head is parsed line by line.  Parsing
 * only complete heads keeps every grammar rule in one straight-line place;
 * the cost is one extra pass over at most 8 KiB.
 *
 * Strictness follows the MUSTs of RFC 9112 and RFC 9110 where they ask a
 * server to reject (400) rather than repair: bare CR, obs-fold, whitespace
 * before the colon, several or invalid Host, differing Content-Length,
 * Transfer-Encoding with Content-Length or not ending in chunked.  Line
 * endings of a head may be CRLF or a bare LF (RFC 9112 §2.2 lets a
 * recipient accept LF alone, as Go and nginx do); the chunked framing
 * takes CRLF only (§7.1), extensions only after ';', sizes of at most 15
 * hex digits, trailers within HTTP_MAX_TRAILERS.
 */
#include "parser.h"

#include <string.h>

static const struct {
	const char *name;
	int status;
	const char *doc;
} http_errors[HTTP_ERR_MAX] = {
#define HTTP_ERR_ROW(n, s, d) [HTTP_ERR_##n] = {#n, s, d},
    HTTP_ERRORS(HTTP_ERR_ROW)
#undef HTTP_ERR_ROW
};

int http_error_status(enum http_error err)
{
	return err < HTTP_ERR_MAX ? http_errors[err].status : 400;
}

const char *http_error_name(enum http_error err)
{
	return err < HTTP_ERR_MAX ? http_errors[err].name : "?";
}

const char *http_error_doc(enum http_error err)
{
	return err < HTTP_ERR_MAX ? http_errors[err].doc : "?";
}

/* ---- character classes ------------------------------------------------ */

/* tchar (RFC 9110 §5.6.2): any VCHAR except delimiters. */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

bool http_str_eq(struct http_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower((uint8_t)s.p[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

static struct http_str trim_ows(struct http_str s)
{
	while (s.len && is_ows((uint8_t)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_ows((uint8_t)s.p[s.len - 1]))
		s.len--;
	return s;
}

/*
 * Calls fn for each element of a comma-separated list (RFC 9110 §5.6.1),
 * OWS trimmed, empty elements skipped.  Stops and returns false when fn does.
 */
static bool each_element(struct http_str v, bool (*fn)(struct http_str e, void *ctx), void *ctx)
{
	size_t i = 0;
	while (i <= v.len) {
		size_t j = i;
		while (j < v.len && v.p[j] != ',')
			j++;
		struct http_str e = trim_ows((struct http_str){v.p + i, j - i});
		if (e.len && !fn(e, ctx))
			return false;
		i = j + 1;
	}
	return true;
}

/* ---- finding the end of the head --------------------------------------- */

void http_parser_init(struct http_parser *p, size_t max_head)
{
	memset(p, 0, sizeof(*p));
	p->max_head = max_head;
}

/*
 * Scans buf from where the last call stopped for the empty line that ends
 * the head.  Returns DONE with *head_len set, MORE, or ERROR (p->err).
 * is_request applies the request-line limit (414).
 */
static enum http_parse_result scan_head(struct http_parser *p, const uint8_t *buf, size_t len,
					bool is_request, size_t *head_len)
{
	while (p->scanned < len) {
		const uint8_t *nl = memchr(buf + p->scanned, '\n', len - p->scanned);
		size_t end = nl ? (size_t)(nl - buf) : len;
		size_t line_len = end - p->line_start;
		if (nl && line_len && buf[end - 1] == '\r')
			line_len--;
		/* A partial line may still lose its CR, hence the +1 slack. */
		if (is_request && p->lines == 0 &&
		    line_len > HTTP_MAX_REQUEST_LINE + (nl ? 0 : 1)) {
			p->err = HTTP_ERR_URI_TOO_LONG;
			return HTTP_PARSE_ERROR;
		}
		if ((nl ? end + 1 : end) > p->max_head) {
			p->err = HTTP_ERR_HEAD_TOO_LARGE;
			return HTTP_PARSE_ERROR;
		}
		if (!nl) {
			p->scanned = len;
			return HTTP_PARSE_MORE;
		}
		p->scanned = end + 1;
		p->line_start = end + 1;
		if (line_len == 0) {
			if (p->lines == 0) {
				/* RFC 9112 §2.2: ignore empty lines before the start-line. */
				p->start = end + 1;
				continue;
			}
			*head_len = end + 1;
			return HTTP_PARSE_DONE;
		}
		if (++p->lines > HTTP_MAX_FIELDS + 1) {
			p->err = HTTP_ERR_TOO_MANY_FIELDS;
			return HTTP_PARSE_ERROR;
		}
	}
	return HTTP_PARSE_MORE;
}

/*
 * Splits the next line off [*off, end): returns its content without CR LF.
 * Fails with BARE_CR if a CR appears anywhere but right before the LF.
 */
static bool next_line(const uint8_t *buf, size_t *off, size_t end, struct http_str *line,
		      enum http_error *err)
{
	const uint8_t *s = buf + *off;
	const uint8_t *nl = memchr(s, '\n', end - *off);
	size_t n = nl ? (size_t)(nl - s) : end - *off;
	*off += n + 1;
	if (n && s[n - 1] == '\r')
		n--;
	if (memchr(s, '\r', n)) {
		*err = HTTP_ERR_BARE_CR;
		return false;
	}
	*line = (struct http_str){(const char *)s, n};
	return true;
}

/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3). */
static bool parse_version(struct http_str v, struct http_message_info *info)
{
	if (v.len != 8 || memcmp(v.p, "HTTP/", 5) != 0 || v.p[6] != '.' || v.p[5] < '0' ||
	    v.p[5] > '9' || v.p[7] < '0' || v.p[7] > '9')
		return false;
	info->version_major = (uint8_t)(v.p[5] - '0');
	info->version_minor = (uint8_t)(v.p[7] - '0');
	return true;
}

/* ---- header fields ------------------------------------------------------ */

/* What the field pass collects besides struct http_message_info. */
struct field_state {
	unsigned host_count;
	struct http_str host;
	bool te_present;       /* Transfer-Encoding seen */
	bool te_last_chunked;  /* the last coding listed is chunked */
	unsigned te_chunked_n; /* how many times chunked is listed */
	bool te_other;	       /* a coding other than chunked is listed */
	bool expect_continue;  /* Expect: 100-continue */
};

static bool te_element(struct http_str e, void *ctx)
{
	struct field_state *fs = ctx;
	/* transfer-coding = token *( OWS ";" OWS transfer-parameter ) */
	size_t n = 0;
	while (n < e.len && e.p[n] != ';' && !is_ows((uint8_t)e.p[n]))
		n++;
	bool chunked = http_str_eq((struct http_str){e.p, n}, "chunked");
	fs->te_last_chunked = chunked;
	if (chunked)
		fs->te_chunked_n++;
	else
		fs->te_other = true;
	return true;
}

static bool connection_option(struct http_str e, void *ctx)
{
	struct http_message_info *info = ctx;
	if (http_str_eq(e, "close"))
		info->conn_close = true;
	else if (http_str_eq(e, "keep-alive"))
		info->conn_keep_alive = true;
	return true;
}

/* Host = uri-host [ ":" port ]: the characters of reg-name, IP-literal and port. */
static bool valid_host(struct http_str h)
{
	for (size_t i = 0; i < h.len; i++) {
		uint8_t c = (uint8_t)h.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      strchr("-._~!$&'()*+,;=:%[]", c)))
			return false;
	}
	return true;
}

/* Content-Length = 1*DIGIT; more than 18 digits is refused rather than overflowed. */
static bool parse_content_length(struct http_str v, uint64_t *out)
{
	uint64_t n = 0;
	if (v.len == 0 || v.len > 18)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return false;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	*out = n;
	return true;
}

/*
 * Parses the field lines in buf[off..end) (the head after the start-line,
 * the final empty line included).  Fills info and fs; returns NONE or the
 * first rule broken.
 */
static enum http_error parse_fields(const uint8_t *buf, size_t off, size_t end,
				    struct http_message_info *info, struct field_state *fs)
{
	enum http_error err = HTTP_ERR_NONE;
	bool first = true;
	struct http_str line;
	while (off < end) {
		if (!next_line(buf, &off, end, &line, &err))
			return err;
		if (line.len == 0)
			break;
		if (is_ows((uint8_t)line.p[0]))
			return first ? HTTP_ERR_LEADING_WHITESPACE : HTTP_ERR_OBS_FOLD;
		first = false;
		info->field_count++;
		size_t colon = 0;
		while (colon < line.len && line.p[colon] != ':') {
			uint8_t c = (uint8_t)line.p[colon];
			if (is_ows(c))
				return HTTP_ERR_SPACE_BEFORE_COLON;
			if (!is_tchar(c))
				return HTTP_ERR_BAD_FIELD_NAME;
			colon++;
		}
		if (colon == 0 || colon == line.len)
			return HTTP_ERR_BAD_FIELD_NAME;
		struct http_str name = {line.p, colon};
		struct http_str value =
		    trim_ows((struct http_str){line.p + colon + 1, line.len - colon - 1});
		for (size_t i = 0; i < value.len; i++) {
			uint8_t c = (uint8_t)value.p[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return HTTP_ERR_BAD_FIELD_VALUE;
		}
		if (http_str_eq(name, "host")) {
			if (++fs->host_count > 1)
				return HTTP_ERR_DUP_HOST;
			if (!valid_host(value))
				return HTTP_ERR_BAD_HOST;
			fs->host = value;
		} else if (http_str_eq(name, "content-length")) {
			uint64_t n;
			if (!parse_content_length(value, &n))
				return HTTP_ERR_BAD_CONTENT_LENGTH;
			/* RFC 9112 §6.3: identical repeats may be accepted, differing ones not. */
			if (info->has_content_length && info->content_length != n)
				return HTTP_ERR_DUP_CONTENT_LENGTH;
			info->has_content_length = true;
			info->content_length = n;
		} else if (http_str_eq(name, "transfer-encoding")) {
			fs->te_present = true;
			each_element(value, te_element, fs);
		} else if (http_str_eq(name, "connection")) {
			each_element(value, connection_option, info);
		} else if (http_str_eq(name, "expect")) {
			fs->expect_continue = http_str_eq(value, "100-continue");
		}
	}
	return HTTP_ERR_NONE;
}

/*
 * RFC 9112 §6.1 and §6.3 on a request's framing: chunked must be the final
 * (and only) coding, cannot be combined with Content-Length, and is
 * meaningless in HTTP/1.0.
 */
static enum http_error check_transfer_encoding(struct http_message_info *info,
					       const struct field_state *fs)
{
	if (!fs->te_present)
		return HTTP_ERR_NONE;
	if (info->version_minor == 0)
		return HTTP_ERR_TE_HTTP10;
	if (info->has_content_length)
		return HTTP_ERR_TE_AND_CL;
	if (!fs->te_last_chunked || fs->te_chunked_n != 1)
		return HTTP_ERR_TE_NOT_CHUNKED;
	if (fs->te_other)
		return HTTP_ERR_TE_UNSUPPORTED;
	info->chunked = true;
	return HTTP_ERR_NONE;
}

/* ---- requests ------------------------------------------------------------ */

static enum http_error parse_request_line(struct http_str line, struct http_request *req)
{
	const char *sp1 = memchr(line.p, ' ', line.len);
	if (!sp1 || sp1 == line.p)
		return HTTP_ERR_BAD_REQUEST_LINE;
	req->method_str = (struct http_str){line.p, (size_t)(sp1 - line.p)};
	for (size_t i = 0; i < req->method_str.len; i++)
		if (!is_tchar((uint8_t)line.p[i]))
			return HTTP_ERR_BAD_METHOD;
	const char *t = sp1 + 1;
	size_t rest = line.len - (size_t)(t - line.p);
	const char *sp2 = memchr(t, ' ', rest);
	if (!sp2 || sp2 == t)
		return HTTP_ERR_BAD_REQUEST_LINE;
	req->target = (struct http_str){t, (size_t)(sp2 - t)};
	for (size_t i = 0; i < req->target.len; i++) {
		uint8_t c = (uint8_t)t[i];
		if (c <= 0x20 || c >= 0x7f)
			return HTTP_ERR_BAD_TARGET;
	}
	struct http_str v = {sp2 + 1, line.len - (size_t)(sp2 + 1 - line.p)};
	if (!parse_version(v, &req->info))
		return HTTP_ERR_BAD_VERSION;
	if (req->info.version_major != 1)
		return HTTP_ERR_VERSION_UNSUPPORTED;
	/* Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET. */
	if (req->method_str.len == 3 && memcmp(line.p, "GET", 3) == 0)
		req->method = HTTP_METHOD_GET;
	else if (req->method_str.len == 4 && memcmp(line.p, "HEAD", 4) == 0)
		req->method = HTTP_METHOD_HEAD;
	else
		req->method = HTTP_METHOD_OTHER;
	return HTTP_ERR_NONE;
}

enum http_parse_result http_parse_request(struct http_parser *p, const uint8_t *buf, size_t len,
					  struct http_request *req)
{
	size_t head_len;
	enum http_parse_result r = scan_head(p, buf, len, true, &head_len);
	if (r != HTTP_PARSE_DONE)
		return r;

	memset(req, 0, sizeof(*req));
	size_t off = p->start;
	struct http_str line;
	enum http_error err = HTTP_ERR_NONE;
	if (!next_line(buf, &off, head_len, &line, &err) ||
	    (err = parse_request_line(line, req)) != HTTP_ERR_NONE)
		goto fail;
	struct field_state fs = {0};
	err = parse_fields(buf, off, head_len, &req->info, &fs);
	if (err == HTTP_ERR_NONE)
		err = check_transfer_encoding(&req->info, &fs);
	/* RFC 9112 §3.2: "A server MUST respond with a 400 ... to any HTTP/1.1
	 * request message that lacks a Host header field". */
	if (err == HTTP_ERR_NONE && fs.host_count == 0 && req->info.version_minor >= 1)
		err = HTTP_ERR_NO_HOST;
	if (err != HTTP_ERR_NONE)
		goto fail;
	req->host = fs.host;
	req->expect_continue = fs.expect_continue;
	req->info.head_len = head_len;
	return HTTP_PARSE_DONE;
fail:
	p->err = err;
	return HTTP_PARSE_ERROR;
}

/* ---- responses ----------------------------------------------------------- */

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). */
static bool parse_status_line(struct http_str line, struct http_response *resp)
{
	if (line.len < 12 || !parse_version((struct http_str){line.p, 8}, &resp->info) ||
	    resp->info.version_major != 1 || line.p[8] != ' ')
		return false;
	int status = 0;
	for (int i = 9; i < 12; i++) {
		if (line.p[i] < '0' || line.p[i] > '9')
			return false;
		status = status * 10 + (line.p[i] - '0');
	}
	if (status < 100)
		return false;
	resp->status = status;
	/* Tolerate a missing SP when the reason is empty, as most clients do. */
	if (line.len > 12 && line.p[12] != ' ')
		return false;
	resp->reason = line.len > 13 ? (struct http_str){line.p + 13, line.len - 13}
				     : (struct http_str){line.p + line.len, 0};
	return true;
}

enum http_parse_result http_parse_response(struct http_parser *p, const uint8_t *buf, size_t len,
					   struct http_response *resp)
{
	size_t head_len;
	enum http_parse_result r = scan_head(p, buf, len, false, &head_len);
	if (r != HTTP_PARSE_DONE)
		return r;

	memset(resp, 0, sizeof(*resp));
	size_t off = p->start;
	struct http_str line;
	enum http_error err = HTTP_ERR_NONE;
	if (!next_line(buf, &off, head_len, &line, &err))
		goto fail;
	if (!parse_status_line(line, resp)) {
		err = HTTP_ERR_BAD_STATUS_LINE;
		goto fail;
	}
	struct field_state fs = {0};
	err = parse_fields(buf, off, head_len, &resp->info, &fs);
	if (err != HTTP_ERR_NONE)
		goto fail;
	if (fs.te_present) {
		/* RFC 9112 §6.3 (3): Transfer-Encoding overrides Content-Length;
		 * (4): if chunked is not final, the body runs until close. */
		resp->info.has_content_length = false;
		if (fs.te_last_chunked && fs.te_chunked_n == 1 && !fs.te_other) {
			resp->info.chunked = true;
		} else if (fs.te_last_chunked) {
			err = HTTP_ERR_TE_UNSUPPORTED;
			goto fail;
		} else {
			resp->info.conn_close = true;
		}
	}
	resp->info.head_len = head_len;
	return HTTP_PARSE_DONE;
fail:
	p->err = err;
	return HTTP_PARSE_ERROR;
}

/* ---- chunked transfer coding (RFC 9112 §7.1) ------------------------------ */

enum {
	CH_SIZE_START,	  /* expecting the first hex digit of chunk-size */
	CH_SIZE,	  /* in chunk-size */
	CH_SIZE_BWS,	  /* whitespace after chunk-size: only ';' or CR may follow */
	CH_EXT,		  /* in chunk-ext, up to the line end */
	CH_SIZE_LF,	  /* CR seen after the size line, expecting LF */
	CH_DATA,	  /* in chunk-data, `remaining` bytes left */
	CH_DATA_CR,	  /* expecting the CRLF after chunk-data */
	CH_DATA_LF,	  /* CR seen after the data, expecting LF */
	CH_TRAILER_START, /* at the start of a trailer line or the final CRLF */
	CH_TRAILER,	  /* in a trailer field line */
	CH_TRAILER_LF,	  /* CR seen in a trailer line, expecting LF */
	CH_END_LF,	  /* CR of the final CRLF seen, expecting LF */
	CH_DONE,	  /* the last chunk and trailers are consumed */
};

void http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE_START;
}

static int hex_value(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The size line is over: a zero size is the last-chunk. */
static void end_size_line(struct http_chunked *c)
{
	c->state = c->remaining ? CH_DATA : CH_TRAILER_START;
}

enum http_parse_result http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len,
					 size_t *used, const uint8_t **data, size_t *data_len)
{
	size_t i = 0;
	*data = NULL;
	*data_len = 0;
	while (i < len && c->state != CH_DONE) {
		uint8_t b = in[i];
		switch (c->state) {
		case CH_SIZE_START:
		case CH_SIZE: {
			int v = hex_value(b);
			if (v >= 0) {
				/* 15 hex digits is 2^60 bytes: far beyond any real body,
				 * and the shift below cannot overflow. */
				if (++c->digits > 15) {
					c->err = HTTP_ERR_CHUNK_TOO_LARGE;
					goto fail;
				}
				c->remaining = c->remaining << 4 | (uint64_t)v;
				c->state = CH_SIZE;
			} else if (c->state == CH_SIZE_START) {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			} else if (b == ';') {
				c->state = CH_EXT;
				c->ext_len = 1;
			} else if (is_ows(b)) {
				c->state = CH_SIZE_BWS;
				c->ext_len = 1;
			} else if (b == '\r') {
				c->state = CH_SIZE_LF;
			} else {
				/* A bare LF too: RFC 9112 §7.1 frames chunks with CRLF,
				 * and a recipient that accepts LF where another does
				 * not reads a different body (request smuggling). */
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			i++;
			break;
		}
		case CH_SIZE_BWS:
			/* chunk-ext = *( BWS ";" ... ) (RFC 9112 §7.1.1): after the size
			 * only whitespace then ';' may come, never other text. */
			if (b == ';') {
				c->state = CH_EXT;
			} else if (!is_ows(b)) {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			if (++c->ext_len > HTTP_MAX_CHUNK_EXT) {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			i++;
			break;
		case CH_EXT:
			/* Extensions are ignored (RFC 9112 §7.1.1) but bounded and CTL-free. */
			if (b == '\r') {
				c->state = CH_SIZE_LF;
			} else if (++c->ext_len > HTTP_MAX_CHUNK_EXT || (b < 0x20 && b != '\t') ||
				   b == 0x7f) {
				c->err = HTTP_ERR_BAD_CHUNK; /* a bare LF included */
				goto fail;
			}
			i++;
			break;
		case CH_SIZE_LF:
			if (b != '\n') {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			end_size_line(c);
			i++;
			break;
		case CH_DATA: {
			size_t n = len - i;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			*data = in + i;
			*data_len = n;
			c->remaining -= n;
			c->body_len += n;
			i += n;
			if (c->remaining == 0) {
				c->state = CH_DATA_CR;
				c->digits = 0;
			}
			/* One data run per call, so the caller can consume it. */
			*used = i;
			return HTTP_PARSE_MORE;
		}
		case CH_DATA_CR:
			if (b == '\r') {
				c->state = CH_DATA_LF;
			} else {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			i++;
			break;
		case CH_DATA_LF:
			if (b != '\n') {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			c->state = CH_SIZE_START;
			i++;
			break;
		case CH_TRAILER_START:
			if (b == '\r') {
				c->state = CH_END_LF;
			} else if (b == '\n') {
				c->err = HTTP_ERR_BAD_CHUNK; /* bare LF */
				goto fail;
			} else {
				c->state = CH_TRAILER;
				continue; /* count this byte as trailer */
			}
			i++;
			break;
		case CH_TRAILER:
		case CH_TRAILER_LF:
			/* Trailer fields are read and discarded (RFC 9110 §6.5.1 lets a
			 * recipient ignore them), within the head size limit. */
			if (++c->trailer_len > HTTP_MAX_TRAILERS) {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			if (b == '\n' && c->state == CH_TRAILER_LF) {
				c->state = CH_TRAILER_START;
			} else if (c->state == CH_TRAILER_LF ||
				   (b < 0x20 && b != '\t' && b != '\r')) {
				c->err = HTTP_ERR_BAD_CHUNK; /* bare CR or LF, or a CTL */
				goto fail;
			} else if (b == '\r') {
				c->state = CH_TRAILER_LF;
			}
			i++;
			break;
		case CH_END_LF:
			if (b != '\n') {
				c->err = HTTP_ERR_BAD_CHUNK;
				goto fail;
			}
			c->state = CH_DONE;
			i++;
			break;
		}
	}
	*used = i;
	return c->state == CH_DONE ? HTTP_PARSE_DONE : HTTP_PARSE_MORE;
fail:
	*used = i;
	return HTTP_PARSE_ERROR;
}
