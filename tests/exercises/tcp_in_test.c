/*
 * tcp_in_test.c - the checks of the tcp_in exercise (docs/exercises/tcp_in/):
 * the segment-arrival state machine of RFC 9293 §3.10.7 with RFC 5961's
 * blind-attack rules, each check a stack with the learner's tcp_in.c fed
 * hand-built segments one at a time, its answers compared field by field.
 *
 * The stack under test is 10.0.0.2 (02:00:00:00:00:02), the peer 10.0.0.1
 * (02:00:00:00:00:01).  The peer's segments carry only an MSS option: no
 * timestamps, SACK or window scaling, so every window is what the header
 * says.  The stack's ISS is its own (read from its SYN or SYN,ACK); the
 * peer's is chosen here, close to the 2^32 wrap where a check needs it.
 * Expected answers are computed here from the RFC, never with the
 * learner's functions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "ip.h"
#include "lib/exunit.h"
#include "stack.h"
#include "tapstack.h"
#include "tcp_var.h"
#include "tcp_wire.h"

#define US	  0x0a000002u
#define PEER	  0x0a000001u
#define OUR_PORT  8080
#define PEER_PORT 40000
#define PEER_ISS  0x12345678u
#define WRAP_ISS  0xffffff00u /* RCV.NXT + RCV.WND wraps past 2^32 */
#define MSL_MS	  1000u
#define FAR	  200000u /* beyond any window without scaling (65535) */

static const uint8_t MAC_US[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t MAC_PEER[6] = {2, 0, 0, 0, 0, 1};

/* ---- frames ------------------------------------------------------------------ */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t s)
{
	for (; len > 1; p += 2, len -= 2)
		s += (uint32_t)p[0] << 8 | p[1];
	if (len)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* A segment from the peer (ports sport > dport), with MSS 1460 when it is a SYN. */
static size_t segment(uint8_t *f, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		      uint8_t flags, const char *data)
{
	size_t n = data ? strlen(data) : 0;
	size_t optlen = (flags & TCP_SYN) ? 4 : 0;
	size_t tl = 20 + optlen + n;
	memcpy(f, MAC_US, 6);
	memcpy(f + 6, MAC_PEER, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tl));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, PEER);
	put32(ip + 16, US);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	uint8_t *t = ip + 20;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((20 + optlen) / 4 << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (optlen) {
		t[20] = 2;
		t[21] = 4;
		put16(t + 22, 1460);
	}
	if (n)
		memcpy(t + 20 + optlen, data, n);
	uint32_t ps =
	    (PEER >> 16) + (PEER & 0xffff) + (US >> 16) + (US & 0xffff) + 6 + (uint32_t)tl;
	put16(t + 16, fold(sum16(t, tl, ps)));
	return 14 + 20 + tl;
}

/* A segment the stack sent, decoded. */
struct seg {
	uint8_t frame[2048];
	size_t len;
	size_t tcp; /* offset of the TCP header */
	uint16_t sport, dport, wnd;
	uint32_t seq, ack;
	uint8_t flags;
	size_t data_len;
};

/* The next TCP segment the stack sent (ARP and others skipped); false when none. */
static bool take(struct ex_stack *s, struct seg *r)
{
	while ((r->len = ex_stack_tx(s, r->frame, sizeof(r->frame))) != 0) {
		if (r->len < 54 || get16(r->frame + 12) != 0x0800 || r->frame[23] != 6)
			continue;
		const uint8_t *ip = r->frame + 14;
		r->tcp = 14 + (size_t)(ip[0] & 15) * 4;
		const uint8_t *t = r->frame + r->tcp;
		r->sport = get16(t);
		r->dport = get16(t + 2);
		r->seq = get32(t + 4);
		r->ack = get32(t + 8);
		r->flags = t[13];
		r->wnd = get16(t + 14);
		size_t tl = get16(ip + 2) - (size_t)(ip[0] & 15) * 4;
		r->data_len = tl - (size_t)(t[12] >> 4) * 4;
		return true;
	}
	return false;
}

static const char *flag_str(uint8_t f)
{
	static char buf[8][32];
	static int k;
	char *b = buf[k++ % 8];
	b[0] = 0;
	static const char *names[] = {"FIN", "SYN", "RST", "PSH", "ACK"};
	for (int i = 0; i < 5; i++)
		if (f & (1u << i)) {
			if (*b)
				strcat(b, ",");
			strcat(b, names[i]);
		}
	return *b ? b : "none";
}

/*
 * The stack must send <SEQ=seq><ACK=ack><CTL=flags> (ack not compared when
 * flags has no ACK) now; on a difference, the frame it sent against the
 * same frame with the expected fields, decoded side by side.
 */
static void expect_seg(struct ex_stack *s, const char *what, uint8_t flags, uint32_t seq,
		       uint32_t ack, const char *hint_id, const char *hint)
{
	struct seg r;
	if (!take(s, &r))
		ex_fail(hint_id, hint,
			"the stack sent nothing; expected %s: <SEQ=%u><ACK=%u><CTL=%s>", what, seq,
			ack, flag_str(flags));
	uint8_t exp[2048], mask[2048];
	memcpy(exp, r.frame, r.len);
	uint8_t *t = exp + r.tcp;
	put32(t + 4, seq);
	if (flags & TCP_ACK)
		put32(t + 8, ack);
	t[13] = flags | (r.flags & TCP_PSH);
	memset(mask, 1, r.len);
	memset(mask + r.tcp + 16, 0, 2); /* the checksum follows the other fields */
	memset(mask + r.tcp + 14, 0, 2); /* the window is tcp_out's business */
	ex_expect_frame(what, exp, r.len, r.frame, r.len, mask, hint_id, hint);
}

/* Our FIN after the application closed: window updates before it are skipped. */
static void expect_our_fin(struct ex_stack *s, uint32_t seq, uint32_t ack)
{
	struct seg r;
	for (;;) {
		if (!take(s, &r))
			ex_fail("harness", "the FIN is sent by tcp_output (tcp_out.c, given)",
				"the stack sent no FIN after the application closed");
		if (r.flags & TCP_FIN)
			break;
	}
	if (r.flags != (TCP_FIN | TCP_ACK) || r.seq != seq || r.ack != ack)
		ex_fail(
		    "harness", "the FIN is sent by tcp_output (tcp_out.c, given)",
		    "our FIN is <SEQ=%u><ACK=%u><CTL=%s>; expected <SEQ=%u><ACK=%u><CTL=ACK,FIN>",
		    r.seq, r.ack, flag_str(r.flags), seq, ack);
}

/* The stack must send no segment. */
static void expect_nothing(struct ex_stack *s, const char *why, const char *hint_id,
			   const char *hint)
{
	struct seg r;
	if (take(s, &r))
		ex_fail(hint_id, hint, "%s; the stack sent <SEQ=%u><ACK=%u><CTL=%s>", why, r.seq,
			r.ack, flag_str(r.flags));
}

/* ---- the stack and its connection ---------------------------------------------- */

static void tweak(struct ts_config *cfg)
{
	cfg->arp_ttl_ms = 24u * 3600 * 1000; /* the peer's MAC stays known: only TCP talks */
	cfg->tcp_msl_ms = MSL_MS;	     /* TIME-WAIT lasts 2 s */
	cfg->tcp_invalid_ratelimit_ms = 0;   /* every invalid segment gets its ACK */
	cfg->tcp_syncookies = 0;
}

static void learn_peer(struct ex_stack *s)
{
	uint8_t f[64], out[128];
	size_t n = ex_hex("ff ff ff ff ff ff 02 00 00 00 00 01 08 06 00 01 08 00 06 04 00 01"
			  "02 00 00 00 00 01 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02",
			  f, sizeof(f));
	ex_stack_rx(s, f, n, "so that 10.0.0.1's MAC is known");
	while (ex_stack_tx(s, out, sizeof(out)))
		;
}

/* One connection as the peer sees it. */
struct conn {
	int lfd, fd;
	uint16_t lport, rport; /* the stack's port and the peer's */
	uint32_t iss;	       /* the stack's ISS */
	uint32_t snd;	       /* the peer's next sequence number (the stack's RCV.NXT) */
	uint32_t rcv;	       /* the stack's SND.NXT (what the peer acknowledges) */
};

static struct tcp_pcb *pcb_of(struct ex_stack *s, const struct conn *c)
{
	struct ip_addr lip = ip_addr_v4(US), rip = ip_addr_v4(PEER);
	return tcp_conn_lookup(&s->st, &lip, c->lport, &rip, c->rport);
}

static enum tcp_state_id state_of(struct ex_stack *s, const struct conn *c)
{
	struct tcp_pcb *pcb = pcb_of(s, c);
	return pcb ? pcb->state : TCPS_CLOSED;
}

static void expect_state(struct ex_stack *s, const struct conn *c, enum tcp_state_id want,
			 const char *hint_id, const char *hint)
{
	enum tcp_state_id st = state_of(s, c);
	ex_step("the connection is %s", tcp_state_name(st));
	if (st != want)
		ex_fail(hint_id, hint, "the connection is %s; expected %s", tcp_state_name(st),
			tcp_state_name(want));
}

/* The peer sends a segment on c. */
static void peer(struct ex_stack *s, const struct conn *c, uint32_t seq, uint32_t ack,
		 uint8_t flags, const char *data, const char *why)
{
	uint8_t f[2048];
	ex_stack_rx(s, f, segment(f, c->rport, c->lport, seq, ack, flags, data), why);
}

/* rx_drops[reason] grew by one since before. */
static void expect_drop(struct ex_stack *s, enum ts_drop_reason r, uint64_t before)
{
	if (s->st.rx_drops[r] != before + 1)
		ex_fail("tcp_in.drop-reason",
			"every segment a step drops leaves with its reason (drop(c, DROP_TCP_...)"
			", drop_after_ack, drop_with_reset): the reasons of stack/drop.h are how a "
			"user learns why a connection ignored a segment (`tapstack --stats`, the "
			"pcapng comments); the TODO of each step names the reason to use",
			"the segment was not counted as dropped for %s (%s): %llu drops of it, "
			"expected %llu",
			ts_drop_name(r), "stack/drop.h", (unsigned long long)s->st.rx_drops[r],
			(unsigned long long)(before + 1));
}

#define HINT_LISTEN                                                                                \
	"RFC 9293 §3.10.7.2 third: a SYN to a listener makes a connection in SYN-RECEIVED "       \
	"(child_new), IRS = SEG.SEQ, RCV.NXT = SEG.SEQ + 1, ISS from tcp_isn, and sends "          \
	"<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with tcp_send_syn"
#define HINT_SYNRCVD                                                                               \
	"RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED: an ACK with SND.UNA < SEG.ACK =< SND.NXT "       \
	"completes the handshake (handshake_acked: ESTABLISHED, the accept queue); the "           \
	"sequence check before it must accept the pure ACK at RCV.NXT"
#define HINT_WRAP                                                                                  \
	"sequence numbers are modulo 2^32 (RFC 9293 §3.4): RCV.NXT + RCV.WND wrapped past 0 "     \
	"here, so a plain RCV.NXT <= SEG.SEQ < RCV.NXT + RCV.WND is false for every segment; "     \
	"use seq_in / seq_leq / seq_lt (tcp_seq.h)"

/*
 * The stack listens on 8080; the peer (port 40000, ISS peer_iss) opens a
 * connection: SYN, the stack's SYN,ACK (checked): SYN-RECEIVED (passive_syn),
 * then ACK and accept (passive_open).
 */
static void passive_syn(struct ex_stack *s, struct conn *c, uint32_t peer_iss)
{
	memset(c, 0, sizeof(*c));
	c->lport = OUR_PORT;
	c->rport = PEER_PORT;
	learn_peer(s);
	c->lfd = ts_socket(&s->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(OUR_PORT)};
	if (c->lfd < 0 || ts_bind(&s->st, c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    ts_listen(&s->st, c->lfd, 8) < 0)
		ex_fail("harness", "socket, bind and listen are given", "listen: %s",
			strerror(errno));
	ex_step("the stack listens on 10.0.0.2:%d", OUR_PORT);
	peer(s, c, peer_iss, 0, TCP_SYN, NULL, "the peer opens a connection");
	struct seg r;
	if (!take(s, &r))
		ex_fail("tcp_in.listen-synack", HINT_LISTEN,
			"the stack did not answer the SYN; expected a SYN,ACK with ACK %u",
			peer_iss + 1);
	c->iss = r.seq;
	uint8_t f[2048];
	memcpy(f, r.frame, r.len);
	put32(f + r.tcp + 8, peer_iss + 1);
	f[r.tcp + 13] = TCP_SYN | TCP_ACK;
	uint8_t mask[2048];
	memset(mask, 1, r.len);
	memset(mask + r.tcp + 16, 0, 2);
	ex_expect_frame("the SYN,ACK", f, r.len, r.frame, r.len, mask, "tcp_in.listen-synack",
			HINT_LISTEN);
	c->snd = peer_iss + 1;
	c->rcv = c->iss + 1;
	expect_state(s, c, TCPS_SYN_RECEIVED, "tcp_in.listen-synack", HINT_LISTEN);
}

static void passive_open(struct ex_stack *s, struct conn *c, uint32_t peer_iss, const char *hid,
			 const char *hint)
{
	passive_syn(s, c, peer_iss);
	peer(s, c, c->snd, c->rcv, TCP_ACK, NULL, "the peer acknowledges the SYN,ACK");
	expect_nothing(s, "the handshake's ACK needs no answer", hid, hint);
	expect_state(s, c, TCPS_ESTABLISHED, hid, hint);
	c->fd = ts_accept4(&s->st, c->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (c->fd < 0)
		ex_fail(hid, hint, "accept found no connection: %s", strerror(errno));
	ex_step("accept returns the connection");
}

#define HINT_SYNSENT                                                                               \
	"RFC 9293 §3.10.7.3: in SYN-SENT a SYN,ACK whose ACK acknowledges our SYN (SND.UNA < "    \
	"SEG.ACK =< SND.NXT) sets IRS = SEG.SEQ, RCV.NXT = SEG.SEQ + 1, SND.UNA = SEG.ACK, "       \
	"enters ESTABLISHED and sends <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (TF_ACKNOW)"

/* The stack connects to 10.0.0.1:80 (port 80 as the peer's): its SYN, checked. */
static void active_syn(struct ex_stack *s, struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->lfd = -1;
	c->rport = 80;
	learn_peer(s);
	c->fd = ts_socket(&s->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	a.sin_addr.s_addr = htonl(PEER);
	ex_step("the stack connects to 10.0.0.1:80");
	if (ts_connect(&s->st, c->fd, (struct sockaddr *)&a, sizeof(a)) == 0 ||
	    errno != EINPROGRESS)
		ex_fail("harness", "connect is given", "connect: %s", strerror(errno));
	stack_poll(&s->st, s->now_us);
	struct seg r;
	if (!take(s, &r) || r.flags != TCP_SYN)
		ex_fail("harness", "tcp_connect (given) sends the SYN",
			"no SYN from the stack after connect");
	c->lport = r.sport;
	c->iss = r.seq;
	c->rcv = r.seq + 1;
}

static void active_open(struct ex_stack *s, struct conn *c)
{
	active_syn(s, c);
	peer(s, c, PEER_ISS, c->rcv, TCP_SYN | TCP_ACK, NULL, "the peer accepts");
	c->snd = PEER_ISS + 1;
	expect_seg(s, "the handshake's last ACK", TCP_ACK, c->rcv, c->snd, "tcp_in.synsent",
		   HINT_SYNSENT);
	expect_state(s, c, TCPS_ESTABLISHED, "tcp_in.synsent", HINT_SYNSENT);
}

static void done(struct ex_stack *s, struct conn *c)
{
	if (c->fd >= 0)
		ts_close(&s->st, c->fd);
	if (c->lfd >= 0)
		ts_close(&s->st, c->lfd);
	ex_stack_free(s);
}

/* ---- CLOSED and LISTEN --------------------------------------------------------- */

#define HINT_CLOSED                                                                                \
	"RFC 9293 §3.10.7.1: a segment for no connection and no listener gets a RST "             \
	"(drop_with_reset), unless it is a RST itself (drop it: a RST never answers a RST)"

EX_CHECK(closed_port_reset, "a segment to a closed port gets a RST, a RST gets nothing")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c = {.lfd = -1, .fd = -1, .lport = 81, .rport = PEER_PORT};
	learn_peer(&s);
	uint64_t before = s.st.rx_drops[DROP_TCP_NO_SOCKET];
	peer(&s, &c, PEER_ISS, 0, TCP_SYN, NULL, "nobody listens on port 81");
	expect_seg(&s, "the RST", TCP_RST | TCP_ACK, 0, PEER_ISS + 1, "tcp_in.closed-rst",
		   HINT_CLOSED);
	expect_drop(&s, DROP_TCP_NO_SOCKET, before);
	peer(&s, &c, PEER_ISS, 0, TCP_RST, NULL, "a RST to the closed port");
	expect_nothing(&s, "a RST must not be answered", "tcp_in.closed-rst", HINT_CLOSED);
	expect_drop(&s, DROP_TCP_NO_SOCKET, before + 1);
	done(&s, &c);
}

EX_CHECK(passive_handshake, "LISTEN -> SYN-RECEIVED -> ESTABLISHED: SYN, SYN,ACK, ACK")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	done(&s, &c);
}

#define HINT_LISTEN_OTHER                                                                          \
	"RFC 9293 §3.10.7.2: to a listener, a RST is ignored (first), an ACK gets "               \
	"<SEQ=SEG.ACK><CTL=RST> (second: drop_with_reset), and only a SYN opens a connection"

EX_CHECK(listen_rst_and_ack, "a listener ignores a RST and answers a stray ACK with a RST")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	struct conn o = c;
	o.rport = PEER_PORT + 1;
	uint64_t before = s.st.rx_drops[DROP_TCP_LISTEN_RST];
	peer(&s, &o, 1000, 0, TCP_RST, NULL, "a RST from another port: only the listener");
	expect_nothing(&s, "a RST to a listener is ignored", "tcp_in.listen", HINT_LISTEN_OTHER);
	expect_drop(&s, DROP_TCP_LISTEN_RST, before);
	before = s.st.rx_drops[DROP_TCP_LISTEN_ACK];
	peer(&s, &o, 1000, 0xabcdef01u, TCP_ACK, NULL, "an ACK to the listener");
	expect_seg(&s, "the RST", TCP_RST, 0xabcdef01u, 0, "tcp_in.listen", HINT_LISTEN_OTHER);
	expect_drop(&s, DROP_TCP_LISTEN_ACK, before);
	if (state_of(&s, &o) != TCPS_CLOSED)
		ex_fail("tcp_in.listen", HINT_LISTEN_OTHER, "the ACK made a connection (%s)",
			tcp_state_name(state_of(&s, &o)));
	done(&s, &c);
}

#define HINT_SYNRCVD_RST                                                                           \
	"RFC 9293 §3.10.7.4 second, SYN-RECEIVED: an exact RST to a passive connection "          \
	"(TF_PASSIVE) \"returns this connection to the LISTEN state\": close the child only "      \
	"(tcp_pcb_close), the listener keeps listening, and a RST is never answered"

EX_CHECK(syn_received_rst, "SYN-RECEIVED, an exact RST: back to LISTEN, the listener stays")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_syn(&s, &c, PEER_ISS);
	c.fd = -1;
	peer(&s, &c, c.snd, 0, TCP_RST, NULL, "the peer resets the half-open connection");
	expect_nothing(&s, "a RST is never answered", "tcp_in.synrcvd-rst", HINT_SYNRCVD_RST);
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.synrcvd-rst", HINT_SYNRCVD_RST);
	peer(&s, &c, PEER_ISS + 5000, 0, TCP_SYN, NULL, "a new SYN to the listener");
	struct seg r;
	if (!take(&s, &r) || r.flags != (TCP_SYN | TCP_ACK) || r.ack != PEER_ISS + 5001)
		ex_fail("tcp_in.synrcvd-rst", HINT_SYNRCVD_RST,
			"the listener did not answer a new SYN with a SYN,ACK acknowledging %u",
			PEER_ISS + 5001);
	done(&s, &c);
}

#define HINT_SYNRCVD_BAD_ACK                                                                       \
	"RFC 9293 §3.10.7.4 fifth, SYN-RECEIVED: an ACK that does not acknowledge our SYN,ACK "   \
	"(SND.UNA < SEG.ACK =< SND.NXT false) gets <SEQ=SEG.ACK><CTL=RST> (drop_with_reset, "      \
	"DROP_TCP_SYNRCVD_BAD_ACK), and the connection stays in SYN-RECEIVED"
#define HINT_SYN_AGAIN                                                                             \
	"RFC 9293 §3.10.7.4 first: a retransmitted SYN in SYN-RECEIVED (no ACK, SEG.SEQ = IRS) "  \
	"means our SYN,ACK was lost: send it again (tcp_send_syn) and drop the SYN (DROP_TCP_DUP)"

EX_CHECK(syn_received_bad_ack, "SYN-RECEIVED: a wrong ACK gets a RST, a SYN again the SYN,ACK")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_syn(&s, &c, PEER_ISS);
	c.fd = -1;
	uint64_t before = s.st.rx_drops[DROP_TCP_SYNRCVD_BAD_ACK];
	peer(&s, &c, c.snd, c.iss + 1000, TCP_ACK, NULL, "an ACK of ISS + 1000, never sent");
	expect_seg(&s, "the RST", TCP_RST, c.iss + 1000, 0, "tcp_in.synrcvd-bad-ack",
		   HINT_SYNRCVD_BAD_ACK);
	expect_state(&s, &c, TCPS_SYN_RECEIVED, "tcp_in.synrcvd-bad-ack", HINT_SYNRCVD_BAD_ACK);
	expect_drop(&s, DROP_TCP_SYNRCVD_BAD_ACK, before);
	before = s.st.rx_drops[DROP_TCP_DUP];
	peer(&s, &c, PEER_ISS, 0, TCP_SYN, NULL, "the peer's SYN again (our SYN,ACK was lost)");
	expect_seg(&s, "the SYN,ACK again", TCP_SYN | TCP_ACK, c.iss, c.snd, "tcp_in.synrcvd-syn",
		   HINT_SYN_AGAIN);
	expect_drop(&s, DROP_TCP_DUP, before);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK, NULL, "the peer acknowledges the SYN,ACK");
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	done(&s, &c);
}

/* ---- SYN-SENT --------------------------------------------------------------------- */

EX_CHECK(active_handshake, "SYN-SENT -> ESTABLISHED: our SYN, the peer's SYN,ACK, our ACK")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	active_open(&s, &c);
	int err = -1;
	socklen_t el = sizeof(err);
	ts_getsockopt(&s.st, c.fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err != 0)
		ex_fail("tcp_in.synsent", HINT_SYNSENT, "SO_ERROR is %s after the handshake",
			strerror(err));
	done(&s, &c);
}

#define HINT_SYNSENT_ACK                                                                           \
	"RFC 9293 §3.10.7.3 first: in SYN-SENT an ACK with SEG.ACK =< ISS or SEG.ACK > SND.NXT "  \
	"acknowledges nothing we sent: answer <SEQ=SEG.ACK><CTL=RST> (drop_with_reset) unless it " \
	"is a RST, and stay in SYN-SENT; a RST counts only when its ACK acknowledges our SYN "     \
	"(RFC 5961 §3.2), and then the connection is refused (ECONNREFUSED)"

EX_CHECK(syn_sent_bad_ack, "SYN-SENT: a wrong ACK gets a RST, an acceptable RST refuses")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	active_syn(&s, &c);
	uint64_t before = s.st.rx_drops[DROP_TCP_SYNSENT_BAD_ACK];
	peer(&s, &c, PEER_ISS, c.iss, TCP_SYN | TCP_ACK, NULL,
	     "a SYN,ACK acknowledging ISS, not ISS+1");
	expect_seg(&s, "the RST", TCP_RST, c.iss, 0, "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	expect_state(&s, &c, TCPS_SYN_SENT, "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	expect_drop(&s, DROP_TCP_SYNSENT_BAD_ACK, before);
	peer(&s, &c, PEER_ISS, c.iss + 5, TCP_RST | TCP_ACK, NULL, "a RST whose ACK is wrong");
	expect_nothing(&s, "a RST is never answered", "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	expect_state(&s, &c, TCPS_SYN_SENT, "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	peer(&s, &c, PEER_ISS, 0, TCP_RST, NULL, "a RST without ACK (anyone could send it)");
	expect_nothing(&s, "a RST is never answered", "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	expect_state(&s, &c, TCPS_SYN_SENT, "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	peer(&s, &c, 0, c.rcv, TCP_RST | TCP_ACK, NULL, "connection refused: RST,ACK of our SYN");
	expect_nothing(&s, "a RST is never answered", "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.synsent-ack", HINT_SYNSENT_ACK);
	char b[8];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n >= 0 || errno != ECONNREFUSED)
		ex_fail("tcp_in.synsent-ack", HINT_SYNSENT_ACK,
			"read returned %zd (%s); expected -1 with ECONNREFUSED", n,
			n < 0 ? strerror(errno) : "data");
	done(&s, &c);
}

#define HINT_SIMOPEN                                                                               \
	"RFC 9293 §3.10.7.3 fourth, §3.5 figure 8: a SYN without ACK in SYN-SENT is a "          \
	"simultaneous open: IRS = SEG.SEQ, RCV.NXT = SEG.SEQ + 1, SYN-RECEIVED, and send "         \
	"<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (tcp_send_syn)"
#define HINT_SIMOPEN_SYNACK                                                                        \
	"§3.5 figure 8, line 6: in SYN-RECEIVED (not passive) the peer's SYN,ACK with SEG.SEQ = " \
	"IRS and SEG.ACK = SND.NXT acknowledges our SYN: check_sequence clears its SYN and moves " \
	"c->seq past it, and the ACK step completes the open (no old-duplicate ACK, no waiting "   \
	"for the peer's next ACK)"

EX_CHECK(simultaneous_open, "SYN-SENT, a SYN crosses ours: SYN-RECEIVED, SYN,ACK, ESTABLISHED")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	active_syn(&s, &c);
	peer(&s, &c, PEER_ISS, 0, TCP_SYN, NULL, "the peer's own SYN (it connects too)");
	c.snd = PEER_ISS + 1;
	expect_seg(&s, "the SYN,ACK", TCP_SYN | TCP_ACK, c.iss, c.snd, "tcp_in.simultaneous-open",
		   HINT_SIMOPEN);
	expect_state(&s, &c, TCPS_SYN_RECEIVED, "tcp_in.simultaneous-open", HINT_SIMOPEN);
	peer(&s, &c, PEER_ISS, c.rcv, TCP_SYN | TCP_ACK, NULL,
	     "the peer's SYN,ACK (its SYN again, with the ACK of ours)");
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.simultaneous-synack", HINT_SIMOPEN_SYNACK);
	expect_nothing(&s, "the SYN,ACK completes the open: nothing to answer",
		       "tcp_in.simultaneous-synack", HINT_SIMOPEN_SYNACK);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK, NULL, "the peer's ACK of our SYN,ACK");
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.simultaneous-open", HINT_SIMOPEN);
	expect_nothing(&s, "a duplicate ACK needs no answer", "tcp_in.simultaneous-open",
		       HINT_SIMOPEN);
	done(&s, &c);
}

/* ---- acceptability ------------------------------------------------------------------ */

#define HINT_OOW                                                                                   \
	"RFC 9293 §3.10.7.4 first: a segment with no octet inside [RCV.NXT, RCV.NXT+RCV.WND) is " \
	"not acceptable: send <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (drop_after_ack) and drop it, "  \
	"its text unread (DROP_TCP_OUT_OF_WINDOW beyond the window, DROP_TCP_DUP below RCV.NXT)"

EX_CHECK(out_of_window_acked, "a segment beyond the window, or an old one: ACK and drop")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_OUT_OF_WINDOW];
	peer(&s, &c, c.snd + FAR, c.rcv, TCP_ACK | TCP_PSH, "beyond", "data far beyond the window");
	expect_seg(&s, "the ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.out-of-window", HINT_OOW);
	expect_drop(&s, DROP_TCP_OUT_OF_WINDOW, before);
	before = s.st.rx_drops[DROP_TCP_DUP];
	peer(&s, &c, c.snd - 100, c.rcv, TCP_ACK | TCP_PSH, "old", "data below RCV.NXT (old)");
	expect_seg(&s, "the ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.out-of-window", HINT_OOW);
	expect_drop(&s, DROP_TCP_DUP, before);
	char b[16];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n >= 0)
		ex_fail("tcp_in.out-of-window", HINT_OOW,
			"the socket has %zd bytes to read: an unacceptable segment's text was kept",
			n);
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.out-of-window", HINT_OOW);
	done(&s, &c);
}

EX_CHECK(acceptable_across_wrap, "RCV.NXT + RCV.WND wraps past 2^32: in-window data is taken")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, WRAP_ISS, "tcp_in.seq-wrap", HINT_WRAP);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK | TCP_PSH, "hello", "5 bytes at RCV.NXT (0xffffff01)");
	c.snd += 5;
	char b[16];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n != 5 || memcmp(b, "hello", 5))
		ex_fail("tcp_in.seq-wrap", HINT_WRAP,
			"read returned %zd: the in-window data was not delivered", n);
	peer(&s, &c, c.snd + 250, c.rcv, TCP_ACK | TCP_PSH, "later",
	     "5 bytes at RCV.NXT + 250, past 2^32: in the window, out of order");
	expect_seg(&s, "the duplicate ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.seq-wrap", HINT_WRAP);
	done(&s, &c);
}

/* ---- RST, RFC 5961 §3 ------------------------------------------------------------------ */

#define HINT_RST_EXACT                                                                             \
	"RFC 9293 §3.10.7.4 second with RFC 5961 §3.2: a RST whose SEG.SEQ is exactly RCV.NXT "  \
	"resets the connection (conn_reset(c, ECONNRESET) in ESTABLISHED: the socket's next call " \
	"fails with ECONNRESET) and is never answered"
#define HINT_RST_CHALLENGE                                                                         \
	"RFC 5961 §3.2: a RST inside the window but not exactly at RCV.NXT may be a blind "       \
	"attacker's guess: do NOT reset; send a challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>" \
	" (send_challenge_ack) and drop it (DROP_TCP_RST_CHALLENGE). The real peer answers with "  \
	"an exact RST"
#define HINT_RST_OOW                                                                               \
	"RFC 9293 §3.10.7.4 first, RFC 5961 §3.2: a RST outside the window is dropped silently " \
	"(DROP_TCP_RST_OUT_OF_WINDOW): never answer a RST, not even with an ACK"

EX_CHECK(rst_exact_resets, "a RST at exactly RCV.NXT resets: ECONNRESET, nothing sent")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	peer(&s, &c, c.snd, 0, TCP_RST, NULL, "RST with SEG.SEQ = RCV.NXT");
	expect_nothing(&s, "a RST is never answered", "tcp_in.rst-exact", HINT_RST_EXACT);
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.rst-exact", HINT_RST_EXACT);
	char b[8];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n >= 0 || errno != ECONNRESET)
		ex_fail("tcp_in.rst-exact", HINT_RST_EXACT,
			"read returned %zd (%s); expected -1 with ECONNRESET", n,
			n < 0 ? strerror(errno) : "no error");
	done(&s, &c);
}

EX_CHECK(rst_in_window_challenged, "a RST in the window but not exact: challenge ACK, no reset")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_RST_CHALLENGE];
	peer(&s, &c, c.snd + 1000, 0, TCP_RST, NULL, "RST with SEG.SEQ = RCV.NXT + 1000");
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.rst-challenge", HINT_RST_CHALLENGE);
	expect_seg(&s, "the challenge ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.rst-challenge",
		   HINT_RST_CHALLENGE);
	expect_drop(&s, DROP_TCP_RST_CHALLENGE, before);
	peer(&s, &c, c.snd, 0, TCP_RST, NULL, "the peer answers with an exact RST");
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.rst-exact", HINT_RST_EXACT);
	done(&s, &c);
}

EX_CHECK(rst_out_of_window_ignored, "a RST outside the window: dropped, not answered")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_RST_OUT_OF_WINDOW];
	peer(&s, &c, c.snd + FAR, 0, TCP_RST, NULL, "RST far beyond the window");
	expect_nothing(&s, "a RST outside the window is dropped silently", "tcp_in.rst-oow",
		       HINT_RST_OOW);
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.rst-oow", HINT_RST_OOW);
	expect_drop(&s, DROP_TCP_RST_OUT_OF_WINDOW, before);
	done(&s, &c);
}

/* ---- SYN and ACK, RFC 5961 §4 and §5 -------------------------------------------------------- */

#define HINT_SYN_CHALLENGE                                                                         \
	"RFC 5961 §4.2: a SYN in a synchronized state never resets the connection (RFC 793 "      \
	"did: a blind attacker's SYN could kill it): send a challenge ACK "                        \
	"<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (send_challenge_ack) and drop the SYN "               \
	"(DROP_TCP_SYN_CHALLENGE)"

EX_CHECK(syn_in_established_challenged, "a SYN in ESTABLISHED: challenge ACK, no reset")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_SYN_CHALLENGE];
	peer(&s, &c, c.snd + 10, 0, TCP_SYN, NULL, "a SYN inside the window");
	expect_seg(&s, "the challenge ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.syn-challenge",
		   HINT_SYN_CHALLENGE);
	expect_nothing(&s, "one challenge ACK only", "tcp_in.syn-challenge", HINT_SYN_CHALLENGE);
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.syn-challenge", HINT_SYN_CHALLENGE);
	expect_drop(&s, DROP_TCP_SYN_CHALLENGE, before);
	done(&s, &c);
}

#define HINT_ACK_FUTURE                                                                            \
	"RFC 9293 §3.10.7.4 fifth, RFC 5961 §5.2: an ACK beyond SND.NXT (snd_max) acknowledges " \
	"data never sent: answer with an ACK (send_challenge_ack) and drop the whole segment, "    \
	"its text too (DROP_TCP_ACK_FUTURE); SND.UNA must not move"

EX_CHECK(ack_of_unsent_data, "an ACK of data never sent: ACK and drop, text and all")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_ACK_FUTURE];
	peer(&s, &c, c.snd, c.rcv + 1000, TCP_ACK | TCP_PSH, "bogus",
	     "data whose ACK is SND.NXT + 1000");
	expect_seg(&s, "the ACK", TCP_ACK, c.rcv, c.snd, "tcp_in.ack-future", HINT_ACK_FUTURE);
	expect_drop(&s, DROP_TCP_ACK_FUTURE, before);
	struct tcp_pcb *pcb = pcb_of(&s, &c);
	if (pcb && pcb->snd_una != c.rcv)
		ex_fail("tcp_in.ack-future", HINT_ACK_FUTURE, "SND.UNA moved to %u; expected %u",
			pcb->snd_una, c.rcv);
	char b[16];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n >= 0)
		ex_fail("tcp_in.ack-future", HINT_ACK_FUTURE,
			"the socket has %zd bytes to read: the segment's text was kept", n);
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.ack-future", HINT_ACK_FUTURE);
	done(&s, &c);
}

#define HINT_NO_ACK                                                                                \
	"RFC 9293 §3.10.7.4 fifth: \"if the ACK bit is off, drop the segment and return\" "       \
	"(DROP_TCP_NO_ACK): in a synchronized state every segment carries an ACK"

EX_CHECK(segment_without_ack_dropped, "ESTABLISHED: data without the ACK bit is dropped")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	uint64_t before = s.st.rx_drops[DROP_TCP_NO_ACK];
	peer(&s, &c, c.snd, 0, TCP_PSH | TCP_FIN, "noack", "data and FIN at RCV.NXT, ACK bit off");
	expect_drop(&s, DROP_TCP_NO_ACK, before);
	expect_state(&s, &c, TCPS_ESTABLISHED, "tcp_in.no-ack", HINT_NO_ACK);
	char b[16];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	if (n >= 0)
		ex_fail("tcp_in.no-ack", HINT_NO_ACK, "the socket has %zd bytes to read", n);
	done(&s, &c);
}

/* ---- FIN and the close states ------------------------------------------------------------ */

#define HINT_CLOSE_WAIT                                                                            \
	"RFC 9293 §3.10.7.4 eighth: a FIN in order (RCV.NXT at it) advances RCV.NXT over it, is " \
	"acknowledged at once (TF_ACKNOW) and moves ESTABLISHED to CLOSE-WAIT; the reader then "   \
	"sees end of file (tcp_wakeup)"
#define HINT_LAST_ACK                                                                              \
	"RFC 9293 §3.10.7.4 fifth, LAST-ACK: once the ACK acknowledges our FIN (fin_acked) the "  \
	"connection is over: tcp_pcb_close, c->pcb = NULL, return DONE"

EX_CHECK(passive_close, "peer closes first: CLOSE-WAIT, then LAST-ACK, then CLOSED")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK | TCP_FIN, "bye", "3 bytes and FIN");
	c.snd += 4;
	expect_seg(&s, "the ACK of the FIN", TCP_ACK, c.rcv, c.snd, "tcp_in.close-wait",
		   HINT_CLOSE_WAIT);
	expect_state(&s, &c, TCPS_CLOSE_WAIT, "tcp_in.close-wait", HINT_CLOSE_WAIT);
	char b[16];
	ssize_t n = ts_read(&s.st, c.fd, b, sizeof(b));
	ssize_t eof = ts_read(&s.st, c.fd, b + 3, sizeof(b) - 3);
	ex_step("read: %zd bytes, then %zd", n, eof);
	if (n != 3 || eof != 0)
		ex_fail("tcp_in.close-wait", HINT_CLOSE_WAIT,
			"read returned %zd then %zd; expected 3 (\"bye\") then 0 (end of file)", n,
			eof);
	ex_step("the application closes");
	ts_close(&s.st, c.fd);
	c.fd = -1;
	stack_poll(&s.st, s.now_us);
	expect_our_fin(&s, c.rcv, c.snd);
	expect_state(&s, &c, TCPS_LAST_ACK, "harness", "ts_close in CLOSE-WAIT enters LAST-ACK");
	peer(&s, &c, c.snd, c.rcv + 1, TCP_ACK, NULL, "the peer acknowledges our FIN");
	expect_nothing(&s, "the last ACK needs no answer", "tcp_in.last-ack", HINT_LAST_ACK);
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.last-ack", HINT_LAST_ACK);
	done(&s, &c);
}

#define HINT_FIN_WAIT_2                                                                            \
	"RFC 9293 §3.10.7.4 fifth, FIN-WAIT-1: \"if the FIN segment is now acknowledged, then "   \
	"enter FIN-WAIT-2\" (fin_acked: TF_FIN_SENT and SND.UNA beyond fin_seq)"
#define HINT_TIME_WAIT                                                                              \
	"RFC 9293 §3.10.7.4 eighth, FIN-WAIT-2: the peer's FIN enters TIME-WAIT "                  \
	"(tcp_enter_time_wait arms 2 MSL); the connection must stay there 2 MSL (§3.6.1) so that " \
	"a retransmitted FIN (our ACK was lost) is acknowledged again, which restarts the 2 MSL "   \
	"timeout; only then is it closed"

EX_CHECK(active_close_time_wait,
	 "we close first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT for 2 MSL, a retransmitted FIN")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	active_open(&s, &c);
	ex_step("the application shuts its sending side (shutdown SHUT_WR)");
	ts_shutdown(&s.st, c.fd, SHUT_WR);
	stack_poll(&s.st, s.now_us);
	expect_our_fin(&s, c.rcv, c.snd);
	expect_state(&s, &c, TCPS_FIN_WAIT_1, "harness", "shutdown enters FIN-WAIT-1");
	peer(&s, &c, c.snd, c.rcv + 1, TCP_ACK, NULL, "the peer acknowledges our FIN");
	c.rcv++;
	expect_nothing(&s, "an ACK needs no answer", "tcp_in.fin-wait-2", HINT_FIN_WAIT_2);
	expect_state(&s, &c, TCPS_FIN_WAIT_2, "tcp_in.fin-wait-2", HINT_FIN_WAIT_2);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK | TCP_FIN, NULL, "the peer's FIN");
	c.snd++;
	expect_seg(&s, "the ACK of the FIN", TCP_ACK, c.rcv, c.snd, "tcp_in.time-wait",
		   HINT_TIME_WAIT);
	expect_state(&s, &c, TCPS_TIME_WAIT, "tcp_in.time-wait", HINT_TIME_WAIT);
	ex_stack_advance(&s, 2 * MSL_MS * 1000ull - 200000);
	expect_state(&s, &c, TCPS_TIME_WAIT, "tcp_in.time-wait", HINT_TIME_WAIT);
	peer(&s, &c, c.snd - 1, c.rcv, TCP_ACK | TCP_FIN, NULL,
	     "the peer's FIN again (our ACK was lost)");
	expect_seg(&s, "the ACK of the FIN, again", TCP_ACK, c.rcv, c.snd, "tcp_in.time-wait",
		   HINT_TIME_WAIT);
	ex_stack_advance(&s, 2 * MSL_MS * 1000ull - 200000);
	expect_state(&s, &c, TCPS_TIME_WAIT, "tcp_in.time-wait", HINT_TIME_WAIT);
	ex_stack_advance(&s, 400000);
	expect_state(&s, &c, TCPS_CLOSED, "tcp_in.time-wait", HINT_TIME_WAIT);
	done(&s, &c);
}

#define HINT_CLOSING                                                                               \
	"RFC 9293 §3.10.7.4 eighth, FIN-WAIT-1: a FIN while ours is not yet acknowledged is a "   \
	"simultaneous close (§3.6 figure 13): CLOSING; the ACK of our FIN then enters TIME-WAIT " \
	"(fifth, CLOSING: tcp_enter_time_wait)"

EX_CHECK(simultaneous_close, "both close at once: FIN-WAIT-1, CLOSING, TIME-WAIT")
{
	struct ex_stack s;
	ex_stack_init(&s, tweak);
	struct conn c;
	passive_open(&s, &c, PEER_ISS, "tcp_in.synrcvd-ack", HINT_SYNRCVD);
	ex_step("the application shuts its sending side (shutdown SHUT_WR)");
	ts_shutdown(&s.st, c.fd, SHUT_WR);
	stack_poll(&s.st, s.now_us);
	expect_our_fin(&s, c.rcv, c.snd);
	peer(&s, &c, c.snd, c.rcv, TCP_ACK | TCP_FIN, NULL,
	     "the peer's FIN, not acknowledging ours (they crossed)");
	c.snd++;
	expect_seg(&s, "the ACK of the FIN", TCP_ACK, c.rcv + 1, c.snd, "tcp_in.closing",
		   HINT_CLOSING);
	expect_state(&s, &c, TCPS_CLOSING, "tcp_in.closing", HINT_CLOSING);
	peer(&s, &c, c.snd, c.rcv + 1, TCP_ACK, NULL, "the peer's ACK of our FIN");
	expect_state(&s, &c, TCPS_TIME_WAIT, "tcp_in.closing", HINT_CLOSING);
	done(&s, &c);
}
