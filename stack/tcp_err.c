/*
 * tcp_err.c - ICMP errors about TCP segments (tcp_err_input, the TCP side
 * of ip_err_input in ip.h) and the MSS that follows the path MTU
 * (tcp_sync_mss, tcp_pmtu_changed), for either family.
 *
 * What an error does, as Linux's tcp_v4_err / tcp_v6_err:
 *   - it must quote a connection of ours (4-tuple) and a sequence number in
 *     SND.UNA..SND.NXT (RFC 5927 §4.1, Linux's between(seq, snd_una,
 *     snd_nxt): inclusive, so an error about a pure ACK at SND.NXT counts),
 *     else it is counted (ICMP_ERR_NO_SOCKET, ICMP_ERR_OUT_OF_WINDOW) and
 *     changes nothing;
 *   - SYN-SENT: any error ends the connect with its errno (RFC 1122
 *     §4.2.3.9 makes only hard errors fatal; Linux, and so applications,
 *     expect "connect: No route to host" at once: nothing is established
 *     that a soft error could spare);
 *   - a child in SYN-RECEIVED (its SYN,ACK quoted, sequence = ISS) is
 *     dropped silently on net or host unreachable, time exceeded and
 *     parameter problem (Linux tcp_req_err): accept() never reports
 *     network errors (POSIX);
 *   - otherwise the error is soft (Linux sk_err_soft): kept, forgotten by
 *     the next acceptable segment (tcp_in.c segment_acceptable), and
 *     reported instead of ETIMEDOUT if the connection times out
 *     (tcp_timer.c tcp_fail, Linux tcp_write_err); with IP_RECVERR it is
 *     reported at once (SO_ERROR, the next read or write) and the
 *     connection goes on.  RFC 1122 §4.2.3.9 would abort on a hard error;
 *     like Linux we do not ("even Linux sends invalid PORT_UNREACHs");
 *   - fragmentation needed (RFC 1191 §6.1, Linux tcp_v4_mtu_reduced) or
 *     packet too big (RFC 8201 §5.2, tcp_v6_mtu_reduced; icmp6.c raised an
 *     MTU below 1280 to 1280, and SMSS leaves 60 octets of headers): the
 *     path MTU estimate goes down (ip_pmtu.c), every connection to that
 *     peer takes the smaller MSS (tcp_pmtu_changed), and this one sends
 *     again at once, from SND.UNA, what the router dropped (Linux
 *     tcp_simple_retransmit: no congestion response, the loss was not
 *     congestion).
 * Source quench never gets here (icmp.c ignores it, RFC 6633).
 *
 * Read first: RFC 1122 §4.2.3.9, RFC 5927 §4-§5, RFC 1191 §6, RFC 8201 §5.
 */
#include <errno.h>

#include "byteorder.h"
#include "ip_pmtu.h"
#include "socket.h"
#include "stack.h"
#include "tcp_var.h"
#include "tcp_seq.h"

uint32_t tcp_path_mtu(const struct tcp_pcb *pcb)
{
	if (!ip_pmtudisc_uses_pmtu(pcb->ip_opts.pmtudisc))
		return pcb->st->cfg.mtu;
	return ip_pmtu_get(pcb->st, &pcb->remote_ip, NULL);
}

void tcp_sync_mss(struct tcp_pcb *pcb, uint32_t mtu)
{
	uint32_t mss = pcb->peer_mss < pcb->rmss ? pcb->peer_mss : pcb->rmss;
	uint32_t hdr = ip_hdr_len(pcb->remote_ip.af) + TCP_HDR_LEN;
	uint32_t path = mtu > hdr ? mtu - hdr : 0;
	if (mss > path)
		mss = path;
	if (mss < TCP_MIN_PEER_MSS)
		mss = TCP_MIN_PEER_MSS; /* RFC 6691: never below (a 552 path gives 512) */
	if (pcb->tf & TF_TS_OK)
		mss -= 12;
	pcb->smss = (uint16_t)mss;
	pcb->pmtu = mtu;
}

/* States whose SMSS is in use (the handshake set it) and that still send. */
static bool synchronized(const struct tcp_pcb *pcb)
{
	return pcb->state >= TCPS_ESTABLISHED && pcb->state != TCPS_TIME_WAIT;
}

void tcp_pmtu_changed(struct stack *st, const struct ip_addr *dst)
{
	if (!st->tcp)
		return;
	/* Rare (an estimate lowered, expired or evicted): a walk is fine. */
	for (struct tcp_pcb *p = st->tcp->all; p; p = p->all_next) {
		if (!synchronized(p) || !ip_addr_eq(&p->remote_ip, dst))
			continue;
		uint32_t mtu = tcp_path_mtu(p);
		if (mtu != p->pmtu)
			tcp_sync_mss(p, mtu);
	}
}

/* What a router dropped for its size goes again, sized anew (tcp_simple_retransmit). */
static void pmtu_resend(struct tcp_pcb *pcb)
{
	bool sends = pcb->state == TCPS_ESTABLISHED || pcb->state == TCPS_CLOSE_WAIT ||
		     pcb->state == TCPS_FIN_WAIT_1 || pcb->state == TCPS_CLOSING ||
		     pcb->state == TCPS_LAST_ACK;
	if (!sends || pcb->snd_una == pcb->snd_max)
		return;
	ts_count(pcb->st, CTR_TCP_PMTU_RESENDS);
	pcb->snd_nxt = pcb->snd_una;
	pcb->tf &= ~TF_TIMING; /* Karn: no RTT sample from a resent segment */
	tcp_output(pcb);
}

/* Fragmentation needed / packet too big about a segment of pcb (tcp_v4_mtu_reduced). */
static enum ts_drop_reason pmtu_reduced(struct tcp_pcb *pcb, const struct ip_err *e)
{
	struct stack *st = pcb->st;
	uint8_t mode = pcb->ip_opts.pmtudisc;
	/* Linux ip_sk_accept_pmtu: these sockets refuse them (spoofing). */
	if (mode == IP_PMTUDISC_INTERFACE || mode == IP_PMTUDISC_OMIT)
		return DROP_ICMP_ERR_IGNORED;
	uint32_t mtu = e->mtu ? e->mtu : ip_pmtu_plateau(e->quoted_len);
	uint32_t before = pcb->pmtu;
	if (!ip_pmtu_update(st, &pcb->remote_ip, mtu))
		return DROP_ICMP_PMTU_NOT_LOWER;
	/* Below the floor and DF kept regardless: what is sent may never
	 * arrive; say so if the connection then times out. */
	if (mtu < ip_pmtu_get(st, &pcb->remote_ip, NULL) && mode == IP_PMTUDISC_DO)
		pcb->soft_err = EMSGSIZE;
	if (!synchronized(pcb))
		return DROP_NONE; /* the handshake will size the segments */
	if (pcb->pmtu != tcp_path_mtu(pcb))
		tcp_sync_mss(pcb, tcp_path_mtu(pcb)); /* PROBE: the link's MTU, unchanged */
	if (mode != IP_PMTUDISC_DONT && pcb->pmtu < before)
		pmtu_resend(pcb);
	return DROP_NONE;
}

enum ts_drop_reason tcp_err_input(struct stack *st, const struct ip_err *e)
{
	if (e->quote_len < 8)
		return DROP_ICMP_ERR_BAD_QUOTE;
	uint16_t lport = get_be16(e->quote), rport = get_be16(e->quote + 2);
	uint32_t seq = get_be32(e->quote + 4);
	struct tcp_pcb *pcb = tcp_conn_lookup(st, &e->src, lport, &e->dst, rport);
	if (!pcb)
		return DROP_ICMP_ERR_NO_SOCKET;
	if (pcb->state == TCPS_CLOSED || pcb->state == TCPS_LISTEN || pcb->state == TCPS_TIME_WAIT)
		return DROP_ICMP_ERR_IGNORED;
	if (pcb->state == TCPS_SYN_RECEIVED && (pcb->tf & TF_PASSIVE)) {
		/* Linux tcp_req_err: the SYN,ACK it quotes carries the ISS. */
		if (seq != pcb->iss)
			return DROP_ICMP_ERR_OUT_OF_WINDOW;
		bool abort = e->kind == IP_ERR_TIME_EXCEEDED || e->kind == IP_ERR_PARAM_PROBLEM ||
			     (e->kind == IP_ERR_UNREACH &&
			      (e->err == ENETUNREACH || e->err == EHOSTUNREACH) && !e->hard);
		if (!abort)
			return DROP_ICMP_ERR_IGNORED;
		ts_count(st, CTR_TCP_ICMP_ABORTS);
		tcp_pcb_close(pcb, NULL);
		return DROP_NONE;
	}
	if (!(seq_geq(seq, pcb->snd_una) && seq_leq(seq, pcb->snd_max)))
		return DROP_ICMP_ERR_OUT_OF_WINDOW;
	if (e->kind == IP_ERR_PKT_TOO_BIG)
		return pmtu_reduced(pcb, e);
	if (pcb->state == TCPS_SYN_SENT || pcb->state == TCPS_SYN_RECEIVED) {
		ts_count(st, CTR_TCP_ICMP_ABORTS);
		pcb->tf |= TF_RESET;
		if (pcb->sock)
			pcb->sock->so_error = e->err;
		tcp_pcb_close(pcb, NULL); /* wakes the socket */
		return DROP_NONE;
	}
	if (pcb->sock && pcb->sock->opt.recverr) {
		pcb->sock->so_error = e->err;
		ts_sock_wakeup(pcb->sock);
		return DROP_NONE;
	}
	pcb->soft_err = e->err;
	ts_count(st, CTR_TCP_ICMP_SOFT_ERRORS);
	return DROP_NONE;
}
