/*
 * tcp_wire.c - the TCP header view and option walker, the option builder,
 * the checksum check and tcp_describe for --trace layers.
 *
 * Read first: RFC 9293 §3.1 (header), RFC 7323 §2-3, RFC 2018 §2-3,
 * RFC 6691 (options).
 */
#include "tcp_wire.h"

#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "strbuf.h"

/* ---- View ---- */

/* Header offsets, RFC 9293 §3.1 figure 1. */
#define OFF_SRC	  0
#define OFF_DST	  2
#define OFF_SEQ	  4
#define OFF_ACK	  8
#define OFF_DOFF  12
#define OFF_FLAGS 13
#define OFF_WND	  14
#define OFF_CSUM  16
#define OFF_UP	  18

enum ts_drop_reason tcp_parse(const uint8_t *p, size_t len, struct tcp_view *v)
{
	if (len < TCP_HDR_LEN)
		return DROP_TCP_TRUNCATED;
	size_t off = (size_t)(p[OFF_DOFF] >> 4) * 4;
	/* RFC 9293 §3.1: the data offset counts 32-bit words, at least 5. */
	if (off < TCP_HDR_LEN || off > len)
		return DROP_TCP_BAD_OFF;
	v->src_port = get_be16(p + OFF_SRC);
	v->dst_port = get_be16(p + OFF_DST);
	v->seq = get_be32(p + OFF_SEQ);
	v->ack = get_be32(p + OFF_ACK);
	v->data_off = (uint8_t)off;
	v->flags = p[OFF_FLAGS];
	v->wnd = get_be16(p + OFF_WND);
	v->csum = get_be16(p + OFF_CSUM);
	v->up = get_be16(p + OFF_UP);
	v->opt = p + TCP_HDR_LEN;
	v->opt_len = (uint8_t)(off - TCP_HDR_LEN);
	v->payload = p + off;
	v->payload_len = (uint32_t)(len - off);
	return DROP_NONE;
}

/*
 * Bounded option walk (OpenBSD tcp_dooptions): EOL ends, NOP is one byte,
 * everything else has a length byte that must be >= 2 and fit.  Known
 * options with a wrong length are malformed; unknown kinds are skipped.
 */
enum ts_drop_reason tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_opts *o)
{
	memset(o, 0, sizeof(*o));
	size_t i = 0;
	while (i < len) {
		uint8_t kind = opt[i];
		if (kind == TCP_OPT_EOL)
			break;
		if (kind == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return DROP_TCP_BAD_OPTIONS;
		uint8_t olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return DROP_TCP_BAD_OPTIONS;
		const uint8_t *d = opt + i + 2;
		switch (kind) {
		case TCP_OPT_MSS:
			if (olen != 4)
				return DROP_TCP_BAD_OPTIONS;
			o->has_mss = true;
			o->mss = get_be16(d);
			break;
		case TCP_OPT_WS:
			if (olen != 3)
				return DROP_TCP_BAD_OPTIONS;
			o->has_ws = true;
			o->ws = d[0];
			break;
		case TCP_OPT_SACK_PERM:
			if (olen != 2)
				return DROP_TCP_BAD_OPTIONS;
			o->sack_perm = true;
			break;
		case TCP_OPT_TS:
			if (olen != 10)
				return DROP_TCP_BAD_OPTIONS;
			o->has_ts = true;
			o->tsval = get_be32(d);
			o->tsecr = get_be32(d + 4);
			break;
		case TCP_OPT_SACK:
			/* RFC 2018 §3: 2 + 8n bytes, n >= 1. */
			if (olen < 10 || (olen - 2) % 8 != 0)
				return DROP_TCP_BAD_OPTIONS;
			for (size_t k = 0;
			     k < (size_t)(olen - 2) / 8 && o->nsack < TCP_MAX_SACK_BLOCKS; k++) {
				o->sack[o->nsack].left = get_be32(d + 8 * k);
				o->sack[o->nsack].right = get_be32(d + 8 * k + 4);
				o->nsack++;
			}
			break;
		default:
			break; /* unknown kinds are skipped (RFC 9293 §3.1 MUST-6) */
		}
		i += olen;
	}
	return DROP_NONE;
}

bool tcp_csum_ok(const uint8_t *p, size_t len, const struct ip_addr *src, const struct ip_addr *dst)
{
	uint32_t sum = ip_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint32_t)len);
	return ts_csum_fold(ts_csum_partial(p, len, sum)) == 0;
}

size_t tcp_build_options(uint8_t *out, bool syn, const struct tcp_opts *o)
{
	size_t n = 0;
	if (syn) {
		if (o->has_mss) {
			out[n++] = TCP_OPT_MSS;
			out[n++] = 4;
			put_be16(out + n, o->mss);
			n += 2;
		}
		if (o->sack_perm && o->has_ts) {
			out[n++] = TCP_OPT_SACK_PERM;
			out[n++] = 2;
		} else if (o->sack_perm) {
			out[n++] = TCP_OPT_NOP;
			out[n++] = TCP_OPT_NOP;
			out[n++] = TCP_OPT_SACK_PERM;
			out[n++] = 2;
		} else if (o->has_ts) {
			out[n++] = TCP_OPT_NOP;
			out[n++] = TCP_OPT_NOP;
		}
		if (o->has_ts) {
			out[n++] = TCP_OPT_TS;
			out[n++] = 10;
			put_be32(out + n, o->tsval);
			put_be32(out + n + 4, o->tsecr);
			n += 8;
		}
		if (o->has_ws) {
			out[n++] = TCP_OPT_NOP;
			out[n++] = TCP_OPT_WS;
			out[n++] = 3;
			out[n++] = o->ws;
		}
		return n;
	}
	if (o->has_ts) {
		out[n++] = TCP_OPT_NOP;
		out[n++] = TCP_OPT_NOP;
		out[n++] = TCP_OPT_TS;
		out[n++] = 10;
		put_be32(out + n, o->tsval);
		put_be32(out + n + 4, o->tsecr);
		n += 8;
	}
	if (o->nsack) {
		size_t room = (TCP_MAX_OPT_LEN - n - 4) / 8;
		size_t k = o->nsack < room ? o->nsack : room;
		out[n++] = TCP_OPT_NOP;
		out[n++] = TCP_OPT_NOP;
		out[n++] = TCP_OPT_SACK;
		out[n++] = (uint8_t)(2 + 8 * k);
		for (size_t i = 0; i < k; i++) {
			put_be32(out + n, o->sack[i].left);
			put_be32(out + n + 4, o->sack[i].right);
			n += 8;
		}
	}
	return n;
}

/* tcpdump's flag letters: S F R P U E W, then '.' for ACK. */
void tcp_flags_str(uint8_t f, char *s)
{
	static const struct {
		uint8_t bit;
		char c;
	} letters[] = {{TCP_SYN, 'S'}, {TCP_FIN, 'F'}, {TCP_RST, 'R'}, {TCP_PSH, 'P'},
		       {TCP_URG, 'U'}, {TCP_ECE, 'E'}, {TCP_CWR, 'W'}, {TCP_ACK, '.'}};
	size_t n = 0;
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (f & letters[i].bit)
			s[n++] = letters[i].c;
	if (!n)
		memcpy(s + n, "none", 4), n += 4;
	s[n] = 0;
}

int tcp_describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
	struct ts_strbuf sb = {out, cap, 0};
	struct tcp_view v;
	if (cap)
		out[0] = 0;
	if (tcp_parse(p, len, &v) != DROP_NONE) {
		ts_strbuf_printf(&sb, "tcp (truncated, %zu bytes)", len);
		return (int)sb.len;
	}
	char fl[12];
	tcp_flags_str(v.flags, fl);
	ts_strbuf_printf(&sb, "tcp %u>%u [%s] seq=%u", v.src_port, v.dst_port, fl, v.seq);
	if (v.flags & TCP_ACK)
		ts_strbuf_printf(&sb, " ack=%u", v.ack);
	ts_strbuf_printf(&sb, " win=%u len=%u", v.wnd, v.payload_len);
	if (!v.opt_len)
		return (int)sb.len;
	struct tcp_opts o;
	if (tcp_parse_options(v.opt, v.opt_len, &o) != DROP_NONE) {
		ts_strbuf_printf(&sb, " opts=bad");
		return (int)sb.len;
	}
	char sep = '=';
	ts_strbuf_printf(&sb, " opts");
	if (o.has_mss) {
		ts_strbuf_printf(&sb, "%cmss:%u", sep, o.mss);
		sep = ',';
	}
	if (o.sack_perm) {
		ts_strbuf_printf(&sb, "%csack", sep);
		sep = ',';
	}
	if (o.has_ts) {
		ts_strbuf_printf(&sb, "%cts", sep);
		sep = ',';
	}
	if (o.has_ws) {
		ts_strbuf_printf(&sb, "%cws:%u", sep, o.ws);
		sep = ',';
	}
	for (unsigned i = 0; i < o.nsack; i++) {
		ts_strbuf_printf(&sb, "%csack:%u-%u", sep, o.sack[i].left, o.sack[i].right);
		sep = ',';
	}
	if (sep == '=')
		ts_strbuf_printf(&sb, "=none");
	return (int)sb.len;
}
