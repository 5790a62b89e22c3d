/*
 * ip.c - the family-neutral face of the network layer (ip.h): address
 * formatting, the pseudo-header sum, source selection and ip_output's
 * dispatch to the family's output.
 *
 * Read first: RFC 768 and RFC 9293 §3.1 (the IPv4 pseudo header),
 * RFC 8200 §8.1 (the IPv6 one), RFC 1122 §3.3.4.3 (choosing a source).
 */
#include "ip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "buf.h"
#include "checksum.h"
#include "icmp.h"
#include "icmp6.h"
#include "ipv4.h"
#include "ipv6.h"
#include "stack.h"
#include "tcp.h"
#include "udp.h"

void ip_addr_str(const struct ip_addr *a, char *out, size_t cap)
{
	if (a->af == AF_INET6) {
		if (!inet_ntop(AF_INET6, a->v6, out, (socklen_t)cap) && cap)
			out[0] = 0;
		return;
	}
	snprintf(out, cap, "%u.%u.%u.%u", a->v4 >> 24, (a->v4 >> 16) & 255, (a->v4 >> 8) & 255,
		 a->v4 & 255);
}

void ip_endpoint_str(const struct ip_addr *a, uint16_t port, char *out, size_t cap)
{
	char s[IP_ADDR_STRLEN];
	ip_addr_str(a, s, sizeof(s));
	snprintf(out, cap, a->af == AF_INET6 ? "[%s]:%u" : "%s:%u", s, port);
}

uint32_t ip_csum_pseudo(const struct ip_addr *src, const struct ip_addr *dst, uint8_t proto,
			uint32_t len)
{
	if (src->af != AF_INET6)
		return ts_csum_pseudo(src->v4, dst->v4, proto, (uint16_t)len);
	/* RFC 8200 §8.1: source, destination, upper-layer length (32 bits),
	 * three zero octets and the next header. */
	uint32_t sum = ts_csum_partial(src->v6, 16, 0);
	sum = ts_csum_partial(dst->v6, 16, sum);
	uint64_t s = (uint64_t)sum + (len >> 16) + (len & 0xffffu) + proto;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

bool ip_addr_is_unicast(const struct stack *st, const struct ip_addr *a)
{
	if (a->af == AF_INET6)
		return a->v6[0] != 0xff; /* RFC 4291 §2.7: ff00::/8 is multicast */
	return !ipv4_is_broadcast(st, a->v4) && (a->v4 >> 28) != 0xe;
}

bool ip_addr_is_ours(const struct stack *st, const struct ip_addr *a)
{
	if (a->af == AF_INET6)
		return ipv6_is_ours(st, a->v6);
	return a->af == AF_INET && a->v4 == st->cfg.ip;
}

int ip_select_source(const struct stack *st, const struct ip_addr *dst, struct ip_addr *src)
{
	if (dst->af == AF_INET6) {
		src->af = AF_INET6;
		return ipv6_select_source(st, dst->v6, src->v6);
	}
	if (dst->af != AF_INET)
		return -EADDRNOTAVAIL;
	*src = ip_addr_v4(st->cfg.ip);
	return 0;
}

void ip_send_port_unreach(struct stack *st, const struct ts_buf *orig)
{
	if (orig->dst.af == AF_INET6)
		icmp6_send_dest_unreach(st, orig, ICMP6_UNREACH_PORT);
	else
		icmp_send_dest_unreach(st, orig, ICMP_UNREACH_PORT);
}

int ip_output(struct stack *st, struct ts_buf *b, const struct ip_addr *src,
	      const struct ip_addr *dst, uint8_t proto, const struct ip_tx_opts *opts)
{
	if (dst->af == AF_INET)
		return ipv4_output_opts(st, b, src->v4, dst->v4, proto, opts);
	if (dst->af == AF_INET6)
		return ipv6_output(st, b,
				   src->af == AF_INET6 && !ip_addr_is_any(src) ? src->v6 : NULL,
				   dst->v6, proto, opts);
	/* No other family: nothing can route there. */
	ts_drop(st, b, DROP_IPV4_NO_ROUTE);
	return -EAFNOSUPPORT;
}

enum ts_drop_reason ip_err_input(struct stack *st, const struct ip_err *e)
{
	switch (e->proto) {
	case IPV4_PROTO_TCP: /* the same number in IPv6's Next Header */
		return tcp_err_input(st, e);
	case IPV4_PROTO_UDP:
		return udp_err_input(st, e);
	default:
		/* Our echo requests (tapstack ping) and anything else we send
		 * have no socket that takes errors. */
		return DROP_ICMP_ERR_NO_SOCKET;
	}
}
