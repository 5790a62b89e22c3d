/*
 * neigh.c - the neighbour table as programs see it (tapstack.h
 * ts_neigh_*): what `ip neigh add/del/show` do, for either family.  Each
 * family keeps its own cache and protocol below (arp.c for IPv4); this
 * file only parses the address and dispatches.
 *
 * A harness or an exercise adds static entries to skip address
 * resolution; a learner's ARP can still be observed with ts_neigh_list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "arp.h"
#include "stack.h"
#include "tapstack.h"

/* The IPv4 address of addr, or -errno (EFAULT, EINVAL, EAFNOSUPPORT). */
static int neigh_addr(const struct sockaddr *addr, socklen_t len, uint32_t *ip)
{
	if (!addr)
		return -EFAULT;
	if ((int)len < (int)sizeof(struct sockaddr_in))
		return -EINVAL;
	if (addr->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	*ip = ntohl(((const struct sockaddr_in *)addr)->sin_addr.s_addr);
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
	uint32_t ip = 0;
	int r = neigh_addr(addr, len, &ip);
	if (r == 0)
		r = mac ? arp_static_add(st, ip, mac, replace != 0) : -EFAULT;
	return ret_errno(r);
}

int ts_neigh_del(struct stack *st, const struct sockaddr *addr, socklen_t len)
{
	uint32_t ip = 0;
	int r = neigh_addr(addr, len, &ip);
	if (r == 0)
		r = arp_static_del(st, ip);
	return ret_errno(r);
}

int ts_neigh_list(struct stack *st, struct ts_neigh *out, int max)
{
	if (max < 0 || (max > 0 && !out))
		return ret_errno(-EINVAL);
	/* One pass to count, one to fill what the caller has room for. */
	size_t total = arp_list(st, NULL, 0);
	size_t want = total < (size_t)max ? total : (size_t)max;
	struct arp_neighbour *all = want ? malloc(want * sizeof(*all)) : NULL;
	if (want && !all)
		return ret_errno(-ENOMEM);
	size_t n = arp_list(st, all, want);
	for (size_t i = 0; i < n && i < (size_t)max; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&out[i].addr;
		memset(&out[i], 0, sizeof(out[i]));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(all[i].ip);
		memcpy(out[i].mac, all[i].mac, 6);
		out[i].state = all[i].state == ARP_NEIGH_PERMANENT   ? TS_NUD_PERMANENT
			       : all[i].state == ARP_NEIGH_REACHABLE ? TS_NUD_REACHABLE
								     : TS_NUD_INCOMPLETE;
	}
	free(all);
	return (int)total;
}
