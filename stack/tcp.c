/*
 * tcp.c - the TCP header view and option walker, the option builder,
 * tcp_describe for --trace layers, the byte rings and out-of-order
 * assembler, and the control block's life cycle: tables (4-tuple hash,
 * port hash), ISN (RFC 6528), tcp_set_state, tcp_print_table.
 *
 * Read first: RFC 9293 §3.1 (header), §3.3.2 (states), §3.4.1 (ISN);
 * RFC 6528 §3 (ISN function); RFC 7323 §2-3, RFC 2018 §2-3, RFC 6691
 * (options).  Segment processing lives in tcp_in.c, sending in tcp_out.c.
 */
#include "strbuf.h"
#include "tcp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "checksum.h"
#include "ipv4.h"
#include "socket.h"
#include "stack.h"
#include "tcp_seq.h"

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

int tcp_parse(const uint8_t *p, size_t len, struct tcp_view *v)
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
int tcp_parse_options(const uint8_t *opt, size_t len, struct tcp_opts *o)
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

bool tcp_csum_ok(const uint8_t *p, size_t len, uint32_t src, uint32_t dst)
{
	uint32_t sum = ts_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)len);
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
static void flags_str(uint8_t f, char *s)
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
	flags_str(v.flags, fl);
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

/* ---- Byte ring (smoltcp RingBuffer): one copy in, one copy out ---- */

int tcp_ring_init(struct tcp_ring *r, uint32_t cap)
{
	r->buf = malloc(cap ? cap : 1);
	r->cap = cap;
	r->head = r->len = 0;
	return r->buf ? 0 : -ENOMEM;
}

void tcp_ring_free(struct tcp_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->head = r->len = 0;
}

/* The cache slot for blocks of size bytes; with claim, an unused (or
 * emptied) slot is taken over for that size.  NULL when none. */
static struct tcp_ring_cache *ring_cache_slot(struct tcp_state *t, uint32_t size, bool claim)
{
	struct tcp_ring_cache *spare = NULL;
	for (unsigned i = 0; i < TCP_RING_CACHE_SIZES; i++) {
		struct tcp_ring_cache *c = &t->ring_cache[i];
		if (c->size == size)
			return c;
		if (!spare && c->n == 0)
			spare = c;
	}
	if (!claim || !spare)
		return NULL;
	spare->size = size;
	return spare;
}

int tcp_ring_attach(struct stack *st, struct tcp_ring *r)
{
	if (r->buf)
		return 0;
	if (!r->cap)
		return -ENOMEM;
	struct tcp_state *t = &st->tcp;
	struct tcp_ring_cache *c = ring_cache_slot(t, r->cap, false);
	if (c && c->n) {
		r->buf = c->free_list;
		memcpy(&c->free_list, r->buf, sizeof(void *));
		c->n--;
	} else {
		r->buf = malloc(r->cap);
		if (!r->buf)
			return -ENOMEM;
		t->ring_mallocs++;
	}
	r->head = r->len = 0;
	t->ring_blocks++;
	return 0;
}

void tcp_ring_release(struct stack *st, struct tcp_ring *r)
{
	if (r->buf) {
		struct tcp_state *t = &st->tcp;
		struct tcp_ring_cache *c =
		    r->cap >= sizeof(void *) ? ring_cache_slot(t, r->cap, true) : NULL;
		if (c && c->n < TCP_RING_CACHE_MAX) {
			memcpy(r->buf, &c->free_list, sizeof(void *));
			c->free_list = r->buf;
			c->n++;
		} else {
			free(r->buf);
		}
		t->ring_blocks--;
		r->buf = NULL;
	}
	r->head = r->len = 0;
}

static void ring_cache_destroy(struct tcp_state *t)
{
	for (unsigned i = 0; i < TCP_RING_CACHE_SIZES; i++) {
		struct tcp_ring_cache *c = &t->ring_cache[i];
		while (c->free_list) {
			void *b = c->free_list;
			memcpy(&c->free_list, b, sizeof(void *));
			free(b);
		}
		c->n = c->size = 0;
	}
}

/* Copies n bytes into the ring at absolute offset pos (mod cap). */
static void ring_copy_in(struct tcp_ring *r, uint32_t pos, const uint8_t *d, uint32_t n)
{
	pos %= r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(r->buf + pos, d, first);
	memcpy(r->buf, d + first, n - first);
}

uint32_t tcp_ring_write(struct tcp_ring *r, const void *data, uint32_t n)
{
	uint32_t room = tcp_ring_free_space(r);
	if (n > room)
		n = room;
	if (n) {
		ring_copy_in(r, r->head + r->len, data, n);
		r->len += n;
	}
	return n;
}

void tcp_ring_write_at(struct tcp_ring *r, uint32_t off, const void *data, uint32_t n)
{
	if (n)
		ring_copy_in(r, r->head + r->len + off, data, n);
}

void tcp_ring_peek(const struct tcp_ring *r, uint32_t off, void *out, uint32_t n)
{
	if (!n)
		return;
	uint32_t pos = (r->head + off) % r->cap;
	uint32_t first = r->cap - pos < n ? r->cap - pos : n;
	memcpy(out, r->buf + pos, first);
	memcpy((uint8_t *)out + first, r->buf, n - first);
}

void tcp_ring_consume(struct tcp_ring *r, uint32_t n)
{
	if (!n)
		return;
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	/* head is not reset when the ring empties: out-of-order bytes may
	 * already sit behind the (empty) data, at head + offset. */
}

/* ---- Out-of-order assembler (smoltcp Assembler), ranges in sequence space ---- */

bool tcp_asm_add(struct tcp_assembler *a, uint32_t left, uint32_t right, uint32_t max_bytes)
{
	/* Merge with every range that overlaps or touches [left, right). */
	struct tcp_sack_block nr = {left, right};
	uint32_t i = 0, out = 0, added = right - left;
	struct tcp_sack_block keep[TCP_OFO_MAX_RANGES + 1];
	bool placed = false;
	for (i = 0; i < a->n; i++) {
		struct tcp_sack_block c = a->r[i];
		if (seq_lt(c.right, nr.left)) {
			keep[out++] = c;
		} else if (seq_lt(nr.right, c.left)) {
			if (!placed) {
				keep[out++] = nr;
				placed = true;
			}
			keep[out++] = c;
		} else {
			/* Overlap: the bytes already held do not count twice. */
			uint32_t ol = seq_max(c.left, nr.left), orr = seq_min(c.right, nr.right);
			if (seq_lt(ol, orr))
				added -= orr - ol;
			nr.left = seq_min(nr.left, c.left);
			nr.right = seq_max(nr.right, c.right);
		}
	}
	if (!placed)
		keep[out++] = nr;
	if (out > TCP_OFO_MAX_RANGES || a->bytes + added > max_bytes)
		return false;
	memcpy(a->r, keep, out * sizeof(keep[0]));
	a->n = out;
	a->bytes += added;
	return true;
}

uint32_t tcp_asm_advance(struct tcp_assembler *a, uint32_t rcv_nxt)
{
	uint32_t i = 0;
	while (i < a->n && seq_leq(a->r[i].left, rcv_nxt)) {
		if (seq_gt(a->r[i].right, rcv_nxt))
			rcv_nxt = a->r[i].right;
		a->bytes -= a->r[i].right - a->r[i].left;
		i++;
	}
	if (i) {
		memmove(a->r, a->r + i, (a->n - i) * sizeof(a->r[0]));
		a->n -= i;
	}
	return rcv_nxt;
}

/* ---- Keyed hashing: SipHash-2-4 (Aumasson, Bernstein) for ISN and tables ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = ROTL(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = ROTL(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = ROTL(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = ROTL(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = ROTL(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = ROTL(v2, 32);                                                                 \
	} while (0)

/* SipHash-2-4 of two 64-bit words (the 4-tuple packs into 12 bytes). */
static uint64_t siphash_2w(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
	uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL, v1 = key[1] ^ 0x646f72616e646f6dULL;
	uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL, v3 = key[1] ^ 0x7465646279746573ULL;
	uint64_t m[3] = {m0, m1, (uint64_t)16 << 56};
	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t tuple_hash(const uint64_t key[2], uint32_t lip, uint16_t lport, uint32_t rip,
			   uint16_t rport)
{
	return siphash_2w(key, (uint64_t)lip << 32 | rip, (uint64_t)lport << 16 | rport);
}

/*
 * RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey), M a 4-microsecond timer.  F is SipHash with a key drawn from
 * the stack's RNG at init, so ISNs are unpredictable off-path yet
 * reproducible under a fixed seed and virtual clock.
 */
uint32_t tcp_isn(struct stack *st, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	uint32_t m = (uint32_t)(st->now_us / 4);
	return m + (uint32_t)tuple_hash(st->tcp.isn_key, lip, lport, rip, rport);
}

/* ---- Tables ---- */

static size_t conn_slot(struct stack *st, uint32_t lip, uint16_t lport, uint32_t rip,
			uint16_t rport)
{
	return tuple_hash(st->tcp.hash_key, lip, lport, rip, rport) &
	       ((1u << TCP_CONN_HASH_BITS) - 1);
}

static size_t bind_slot(uint16_t port)
{
	/* Ports are already well spread; fold the high bits in. */
	return (port ^ (port >> TCP_BIND_HASH_BITS)) & ((1u << TCP_BIND_HASH_BITS) - 1);
}

void tcp_conn_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (pcb->in_conn_hash)
		return;
	size_t i = conn_slot(st, pcb->local_ip, pcb->local_port, pcb->remote_ip, pcb->remote_port);
	pcb->hnext = st->tcp.conn_hash[i];
	st->tcp.conn_hash[i] = pcb;
	pcb->in_conn_hash = true;
}

static void conn_hash_remove(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (!pcb->in_conn_hash)
		return;
	size_t i = conn_slot(st, pcb->local_ip, pcb->local_port, pcb->remote_ip, pcb->remote_port);
	for (struct tcp_pcb **pp = &st->tcp.conn_hash[i]; *pp; pp = &(*pp)->hnext)
		if (*pp == pcb) {
			*pp = pcb->hnext;
			break;
		}
	pcb->in_conn_hash = false;
}

struct tcp_pcb *tcp_conn_lookup(struct stack *st, uint32_t lip, uint16_t lport, uint32_t rip,
				uint16_t rport)
{
	size_t i = conn_slot(st, lip, lport, rip, rport);
	for (struct tcp_pcb *p = st->tcp.conn_hash[i]; p; p = p->hnext)
		if (p->local_port == lport && p->remote_port == rport && p->remote_ip == rip &&
		    p->local_ip == lip)
			return p;
	return NULL;
}

void tcp_bind_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	if (pcb->bprev)
		return;
	struct tcp_pcb **head = &st->tcp.bind_hash[bind_slot(pcb->local_port)];
	pcb->bnext = *head;
	if (*head)
		(*head)->bprev = &pcb->bnext;
	*head = pcb;
	pcb->bprev = head;
}

static void bind_hash_remove(struct tcp_pcb *pcb)
{
	if (!pcb->bprev)
		return;
	*pcb->bprev = pcb->bnext;
	if (pcb->bnext)
		pcb->bnext->bprev = pcb->bprev;
	pcb->bnext = NULL;
	pcb->bprev = NULL;
}

/* Listeners are few: a chain per port slot, kept apart from the bind hash. */
static void listen_hash_add(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	size_t i = bind_slot(pcb->local_port);
	pcb->lnext = st->tcp.listen_hash[i];
	st->tcp.listen_hash[i] = pcb;
	pcb->in_listen_hash = true;
}

static void listen_hash_remove(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	for (struct tcp_pcb **pp = &st->tcp.listen_hash[bind_slot(pcb->local_port)]; *pp;
	     pp = &(*pp)->lnext)
		if (*pp == pcb) {
			*pp = pcb->lnext;
			break;
		}
	pcb->in_listen_hash = false;
}

struct tcp_pcb *tcp_listener_lookup(struct stack *st, uint32_t lip, uint16_t lport)
{
	for (struct tcp_pcb *p = st->tcp.listen_hash[bind_slot(lport)]; p; p = p->lnext)
		if (p->local_port == lport && (p->local_ip == 0 || p->local_ip == lip))
			return p;
	return NULL;
}

/*
 * Linux semantics: a port is taken by any pcb bound to it unless both sides
 * set SO_REUSEADDR and the other is not listening; a listener always
 * conflicts with a second listener (never two listeners on one port).
 */
bool tcp_port_in_use(struct stack *st, uint32_t ip, uint16_t port, bool reuseaddr, bool for_listen,
		     const struct tcp_pcb *self)
{
	for (struct tcp_pcb *p = st->tcp.bind_hash[bind_slot(port)]; p; p = p->bnext) {
		if (p == self || p->local_port != port)
			continue;
		if (p->local_ip && ip && p->local_ip != ip)
			continue;
		if (p->state == TCPS_LISTEN)
			return true;
		if (for_listen && p->state == TCPS_CLOSED && !p->listener && p->sock &&
		    !p->in_conn_hash)
			continue; /* bound, not listening, not connected: Linux lets listen() win */
		if (!(reuseaddr && p->reuseaddr) && !(reuseaddr && p->state == TCPS_TIME_WAIT))
			return true;
	}
	return false;
}

uint16_t tcp_ephemeral_port(struct stack *st)
{
	/* Linux's default ip_local_port_range. */
	const uint32_t lo = 32768, n = 60999 - 32768 + 1;
	uint32_t start = (uint32_t)(ts_rand(st) % n);
	for (uint32_t k = 0; k < n; k++) {
		uint16_t port = (uint16_t)(lo + (start + k) % n);
		bool used = false;
		for (struct tcp_pcb *p = st->tcp.bind_hash[bind_slot(port)]; p; p = p->bnext)
			if (p->local_port == port) {
				used = true;
				break;
			}
		if (!used)
			return port;
	}
	return 0;
}

/* ---- Listener queues ---- */

void tcp_queue_push(struct tcp_queue *q, struct tcp_pcb *pcb)
{
	pcb->q_next = NULL;
	if (q->tail)
		q->tail->q_next = pcb;
	else
		q->head = pcb;
	q->tail = pcb;
	q->n++;
	pcb->q = q;
}

void tcp_queue_remove(struct tcp_pcb *pcb)
{
	struct tcp_queue *q = pcb->q;
	if (!q)
		return;
	struct tcp_pcb *prev = NULL;
	for (struct tcp_pcb *p = q->head; p; prev = p, p = p->q_next) {
		if (p != pcb)
			continue;
		if (prev)
			prev->q_next = p->q_next;
		else
			q->head = p->q_next;
		if (q->tail == p)
			q->tail = prev;
		q->n--;
		break;
	}
	pcb->q = NULL;
	pcb->q_next = NULL;
}

struct tcp_pcb *tcp_queue_pop(struct tcp_queue *q)
{
	struct tcp_pcb *p = q->head;
	if (p)
		tcp_queue_remove(p);
	return p;
}

/* ---- Control block life cycle ---- */

static const char *const state_names[] = {
    [TCPS_CLOSED] = "CLOSED",		[TCPS_LISTEN] = "LISTEN",
    [TCPS_SYN_SENT] = "SYN-SENT",	[TCPS_SYN_RECEIVED] = "SYN-RECEIVED",
    [TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_FIN_WAIT_1] = "FIN-WAIT-1",
    [TCPS_FIN_WAIT_2] = "FIN-WAIT-2",	[TCPS_CLOSE_WAIT] = "CLOSE-WAIT",
    [TCPS_CLOSING] = "CLOSING",		[TCPS_LAST_ACK] = "LAST-ACK",
    [TCPS_TIME_WAIT] = "TIME-WAIT",
};

const char *tcp_state_name(enum tcp_state_id s)
{
	return (unsigned)s <= TCPS_TIME_WAIT ? state_names[s] : "?";
}

struct tcp_pcb *tcp_pcb_new(struct stack *st)
{
	struct tcp_pcb *pcb = calloc(1, sizeof(*pcb));
	if (!pcb)
		return NULL;
	pcb->st = st;
	pcb->state = TCPS_CLOSED;
	tcp_timer_init(pcb);
	pcb->rtt.rto_us = st->cfg.tcp_init_rto_ms * 1000u; /* RFC 6298 (2.1) */
	pcb->peer_mss = TCP_DEFAULT_MSS;
	pcb->smss = TCP_DEFAULT_MSS;
	pcb->rmss = (uint16_t)(st->cfg.mtu - 40);
	pcb->ts_offset = (uint32_t)ts_rand(st);
	pcb->all_next = st->tcp.all;
	if (st->tcp.all)
		st->tcp.all->all_prev = pcb;
	st->tcp.all = pcb;
	st->tcp.npcbs++;
	return pcb;
}

void tcp_pcb_free(struct tcp_pcb *pcb)
{
	struct stack *st = pcb->st;
	tcp_timer_disarm_all(pcb);
	conn_hash_remove(pcb);
	bind_hash_remove(pcb);
	if (pcb->in_listen_hash)
		listen_hash_remove(pcb);
	tcp_queue_remove(pcb);
	if (pcb->all_prev)
		pcb->all_prev->all_next = pcb->all_next;
	else
		st->tcp.all = pcb->all_next;
	if (pcb->all_next)
		pcb->all_next->all_prev = pcb->all_prev;
	st->tcp.npcbs--;
	tcp_ring_release(st, &pcb->snd_ring);
	tcp_ring_release(st, &pcb->rcv_ring);
	free(pcb);
}

int tcp_pcb_alloc_rings(struct tcp_pcb *pcb, uint32_t sndbuf, uint32_t rcvbuf)
{
	if (sndbuf < 2048)
		sndbuf = 2048;
	if (rcvbuf < 2048)
		rcvbuf = 2048;
	/* Capacity only: storage is attached by the first byte to store, so
	 * an idle connection costs its pcb and nothing more. */
	pcb->snd_ring = (struct tcp_ring){.cap = sndbuf};
	pcb->rcv_ring = (struct tcp_ring){.cap = rcvbuf};
	/* RFC 7323 §2.3: the smallest shift that lets the window cover the buffer. */
	uint8_t ws = 0;
	while (ws < TCP_MAX_WS && (rcvbuf >> ws) > 65535)
		ws++;
	pcb->rcv_wscale = ws;
	pcb->rcv_wnd = rcvbuf;
	return 0;
}

void tcp_rcv_ring_idle(struct tcp_pcb *pcb)
{
	/* Out-of-order bytes sit behind the (empty) in-order data: keep them. */
	if (pcb->rcv_ring.buf && !pcb->rcv_ring.len && !pcb->ofo.n)
		tcp_ring_release(pcb->st, &pcb->rcv_ring);
}

void tcp_snd_ring_idle(struct tcp_pcb *pcb)
{
	if (pcb->snd_ring.buf && !pcb->snd_ring.len)
		tcp_ring_release(pcb->st, &pcb->snd_ring);
}

/*
 * After the handshake: SMSS from the peer's MSS option (RFC 9293 §3.7.1,
 * default 536), capped by our MTU, minus the timestamp option we will carry
 * on every segment (RFC 6691 §2: the MSS excludes options).  The initial
 * window is RFC 6928's ten segments, capped at 14600 bytes.
 */
void tcp_pcb_setup_mss(struct tcp_pcb *pcb, const struct tcp_opts *peer)
{
	uint32_t mss = peer && peer->has_mss ? peer->mss : TCP_DEFAULT_MSS;
	pcb->peer_mss = (uint16_t)mss;
	if (mss > pcb->rmss)
		mss = pcb->rmss;
	if (pcb->tf & TF_TS_OK)
		mss -= 12;
	if (mss < 64)
		mss = 64; /* a tiny MSS option must not make segments absurd */
	pcb->smss = (uint16_t)mss;
	uint32_t iw = 10 * mss;
	if (iw > 14600 && 14600 > 2 * mss)
		iw = 14600;
	pcb->cwnd = iw;
	pcb->ssthresh = UINT32_MAX; /* RFC 5681 §3.1: arbitrarily high */
}

uint32_t tcp_sacked_bytes(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		n += pcb->sacked[k].right - pcb->sacked[k].left;
	return n;
}

/* SACKed bytes below seq. */
static uint32_t sacked_below(const struct tcp_pcb *pcb, uint32_t seq)
{
	uint32_t n = 0;
	for (uint8_t k = 0; k < pcb->nsacked; k++) {
		const struct tcp_sack_block *b = &pcb->sacked[k];
		if (seq_leq(b->right, seq))
			n += b->right - b->left;
		else if (seq_lt(b->left, seq))
			n += seq - b->left;
	}
	return n;
}

/*
 * RFC 6675 §4 "pipe": bytes in the network.  Outstanding bytes, minus what
 * the peer SACKed, minus the holes below the highest SACK that we take as
 * lost (RFC 6675 IsLost, simplified: anything below a SACKed byte) and
 * have not resent yet in this recovery (those below rexmit_hi were).
 */
uint32_t tcp_pipe(const struct tcp_pcb *pcb)
{
	uint32_t flight = pcb->snd_max - pcb->snd_una;
	if (!pcb->nsacked)
		return flight;
	uint32_t high = pcb->snd_una;
	for (uint8_t k = 0; k < pcb->nsacked; k++)
		high = seq_max(high, pcb->sacked[k].right);
	uint32_t sacked = tcp_sacked_bytes(pcb);
	uint32_t holes = (high - pcb->snd_una) - sacked;
	uint32_t resent_to = seq_min(seq_max(pcb->rexmit_hi, pcb->snd_una), high);
	uint32_t resent = (resent_to - pcb->snd_una) - sacked_below(pcb, resent_to);
	uint32_t lost = holes > resent ? holes - resent : 0;
	uint32_t out = sacked + lost;
	return flight > out ? flight - out : 0;
}

void tcp_wakeup(struct tcp_pcb *pcb)
{
	if (pcb->sock)
		ts_sock_wakeup(pcb->sock);
}

void tcp_set_state(struct tcp_pcb *pcb, enum tcp_state_id to, const struct tcp_view *why)
{
	struct stack *st = pcb->st;
	enum tcp_state_id from = pcb->state;
	if (from == to)
		return;
	pcb->state = to;
	if (to == TCPS_ESTABLISHED)
		pcb->tf |= TF_EVER_CONNECTED;
	/* The listener table holds exactly the pcbs in LISTEN.  (A child is
	 * born with its listener's state, for the trace, but never joins.) */
	if (to == TCPS_LISTEN)
		listen_hash_add(pcb);
	else if (pcb->in_listen_hash)
		listen_hash_remove(pcb);
	if (ts_tracing(st, TS_TRACE_TCP)) {
		char seg[96] = "";
		if (why) {
			char fl[12];
			flags_str(why->flags, fl);
			snprintf(seg, sizeof(seg), " on [%s] seq=%u ack=%u len=%u", fl, why->seq,
				 why->ack, why->payload_len);
		}
		uint32_t l = pcb->local_ip, r = pcb->remote_ip;
		ts_trace(st, TS_TRACE_TCP, "tcp %u.%u.%u.%u:%u<%u.%u.%u.%u:%u %s -> %s%s\n",
			 l >> 24, (l >> 16) & 255, (l >> 8) & 255, l & 255, pcb->local_port,
			 r >> 24, (r >> 16) & 255, (r >> 8) & 255, r & 255, pcb->remote_port,
			 tcp_state_name(from), tcp_state_name(to), seg);
	}
}

void tcp_pcb_close(struct tcp_pcb *pcb, const struct tcp_view *why)
{
	tcp_set_state(pcb, TCPS_CLOSED, why);
	tcp_timer_disarm_all(pcb);
	conn_hash_remove(pcb);
	if (pcb->q) {
		/* A child that dies before accept leaves its listener's queue. */
		tcp_queue_remove(pcb);
	}
	pcb->listener = NULL;
	if (!pcb->sock) {
		tcp_pcb_free(pcb);
		return;
	}
	/* The socket keeps the pcb (and its port, as Linux does) until close. */
	tcp_wakeup(pcb);
}

/* ---- Stack hooks ---- */

int tcp_init(struct stack *st)
{
	struct tcp_state *t = &st->tcp;
	memset(t, 0, sizeof(*t));
	t->conn_hash = calloc((size_t)1 << TCP_CONN_HASH_BITS, sizeof(*t->conn_hash));
	t->bind_hash = calloc((size_t)1 << TCP_BIND_HASH_BITS, sizeof(*t->bind_hash));
	t->listen_hash = calloc((size_t)1 << TCP_BIND_HASH_BITS, sizeof(*t->listen_hash));
	if (!t->conn_hash || !t->bind_hash || !t->listen_hash) {
		tcp_destroy(st);
		return -ENOMEM;
	}
	t->hash_key[0] = ts_rand(st);
	t->hash_key[1] = ts_rand(st);
	t->isn_key[0] = ts_rand(st);
	t->isn_key[1] = ts_rand(st);
	return 0;
}

void tcp_destroy(struct stack *st)
{
	while (st->tcp.all) {
		struct tcp_pcb *p = st->tcp.all;
		if (p->sock) {
			p->sock->pcb = NULL;
			p->sock = NULL;
		}
		tcp_pcb_free(p);
	}
	ring_cache_destroy(&st->tcp);
	free(st->tcp.conn_hash);
	free(st->tcp.bind_hash);
	free(st->tcp.listen_hash);
	st->tcp.conn_hash = st->tcp.bind_hash = st->tcp.listen_hash = NULL;
}

static void addr_str(char *out, size_t cap, uint32_t ip, uint16_t port)
{
	snprintf(out, cap, "%u.%u.%u.%u:%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255,
		 port);
}

void tcp_print_table(struct stack *st, FILE *out)
{
	fprintf(out, "%-12s %8s %8s %-21s %-21s %8s %8s %8s\n", "State", "Recv-Q", "Send-Q",
		"Local Address:Port", "Peer Address:Port", "cwnd", "srtt_ms", "rto_ms");
	for (struct tcp_pcb *p = st->tcp.all; p; p = p->all_next) {
		char l[32], r[32];
		addr_str(l, sizeof(l), p->local_ip, p->local_port);
		if (p->state == TCPS_LISTEN || p->state == TCPS_CLOSED)
			snprintf(r, sizeof(r), "*:*");
		else
			addr_str(r, sizeof(r), p->remote_ip, p->remote_port);
		/* ss shows the accept queue and backlog for listeners. */
		uint32_t rq = p->state == TCPS_LISTEN ? p->acceptq.n : p->rcv_ring.len;
		uint32_t sq = p->state == TCPS_LISTEN ? (uint32_t)p->backlog : p->snd_ring.len;
		fprintf(out, "%-12s %8u %8u %-21s %-21s %8u %8.1f %8.1f\n",
			tcp_state_name(p->state), rq, sq, l, r, p->cwnd, p->rtt.srtt_us / 1000.0,
			tcp_rto_us(p) / 1000.0);
	}
}
