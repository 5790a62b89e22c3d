/*
 * neigh.c - the neighbour table as programs see it (tapstack.h
 * ts_neigh_*): what `ip neigh add/del/show` do, for either family.  Each
 * family keeps its own cache and protocol below (arp.c for IPv4, nd6.c for
 * IPv6); this file only parses the address and dispatches.
 *
 * A harness or an exercise adds static entries to skip address
 * resolution; a learner's ARP can still be observed with ts_neigh_list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "arp.h"
#include "nd6.h"
#include "stack.h"
#include "tapstack.h"

/* The address of addr, or -errno (EFAULT, EINVAL, EAFNOSUPPORT). */
static int neigh_addr(const struct sockaddr *addr, socklen_t len, struct ip_addr *ip)
{
	if (!addr)
		return -EFAULT;
	if ((int)len < (int)sizeof(sa_family_t))
		return -EINVAL;
	if (addr->sa_family == AF_INET6) {
		if ((int)len < (int)sizeof(struct sockaddr_in6))
			return -EINVAL;
		ip->af = AF_INET6;
		memcpy(ip->v6, &((const struct sockaddr_in6 *)addr)->sin6_addr, 16);
		return 0;
	}
	if (addr->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	if ((int)len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	*ip = ip_addr_v4(ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr));
	return 0;
}

static int ret_errno(int r)
{
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}

int ts_neigh_add(struct stack *st, const struct sockaddr *addr, socklen_t len,
		 const unsigned char mac[6], int replace)
{
	struct ip_addr ip = {0};
	int r = neigh_addr(addr, len, &ip);
	if (r == 0 && !mac)
		r = -EFAULT;
	if (r == 0)
		r = ip.af == AF_INET6 ? nd6_static_add(st, ip.v6, mac, replace != 0)
				      : arp_static_add(st, ip.v4, mac, replace != 0);
	return ret_errno(r);
}

int ts_neigh_del(struct stack *st, const struct sockaddr *addr, socklen_t len)
{
	struct ip_addr ip = {0};
	int r = neigh_addr(addr, len, &ip);
	if (r == 0)
		r = ip.af == AF_INET6 ? nd6_static_del(st, ip.v6) : arp_static_del(st, ip.v4);
	return ret_errno(r);
}

/* Linux's NUD_* value of an IPv6 entry's state. */
static int nd6_nud(enum nd6_nud s)
{
	switch (s) {
	case ND6_INCOMPLETE:
		return TS_NUD_INCOMPLETE;
	case ND6_REACHABLE:
		return TS_NUD_REACHABLE;
	case ND6_STALE:
		return TS_NUD_STALE;
	case ND6_DELAY:
		return TS_NUD_DELAY;
	case ND6_PROBE:
		return TS_NUD_PROBE;
	default:
		return TS_NUD_PERMANENT;
	}
}

int ts_neigh_list(struct stack *st, struct ts_neigh *out, int max)
{
	if (max < 0 || (max > 0 && !out))
		return ret_errno(-EINVAL);
	/* One pass to count, one to fill what the caller has room for:
	 * IPv4 entries first, then IPv6 ones. */
	size_t total4 = arp_list(st, NULL, 0), total6 = nd6_list(st, NULL, 0);
	size_t want4 = total4 < (size_t)max ? total4 : (size_t)max;
	size_t room6 = (size_t)max - want4;
	size_t want6 = total6 < room6 ? total6 : room6;
	struct arp_neighbour *all = want4 ? malloc(want4 * sizeof(*all)) : NULL;
	struct nd6_neighbour *all6 = want6 ? malloc(want6 * sizeof(*all6)) : NULL;
	if ((want4 && !all) || (want6 && !all6)) {
		free(all);
		free(all6);
		return ret_errno(-ENOMEM);
	}
	size_t n = arp_list(st, all, want4);
	for (size_t i = 0; i < n && i < want4; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out[i].addr;
		memset(&out[i], 0, sizeof(out[i]));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(all[i].ip);
		memcpy(out[i].mac, all[i].mac, 6);
		out[i].state = all[i].state == ARP_NEIGH_PERMANENT   ? TS_NUD_PERMANENT
			       : all[i].state == ARP_NEIGH_REACHABLE ? TS_NUD_REACHABLE
								     : TS_NUD_INCOMPLETE;
	}
	size_t n6 = nd6_list(st, all6, want6);
	for (size_t i = 0; i < n6 && i < want6; i++) {
		struct ts_neigh *o = &out[want4 + i];
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&o->addr;
		memset(o, 0, sizeof(*o));
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, all6[i].addr, 16);
		memcpy(o->mac, all6[i].mac, 6);
		o->state = nd6_nud(all6[i].state);
	}
	free(all);
	free(all6);
	return (int)(total4 + total6);
}
