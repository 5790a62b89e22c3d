/*
 * nl.c - configures the kernel side of a link over rtnetlink with
 * libnl-route-3: RTM_NEWLINK/SETLINK for flags and MTU, RTM_NEWADDR for the
 * address (what `ip link set` and `ip addr add` send; rtnetlink(7)).
 *
 * Everything happens in the caller's network namespace; tapstack's scripts
 * run it inside a namespace they created, never in the host's.
 */
#include "nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>

/* libnl returns its own NLE_ codes; map the ones we can meet back to errno. */
static int nle_to_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_BUSY:
		return EBUSY;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return ENODEV;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	default:
		return EIO;
	}
}

/* Fills err and returns -errno for libnl error nle during `what`. */
static int nl_fail(int nle, const char *what, const char *ifname, char *err, size_t errlen)
{
	int e = nle_to_errno(nle);
	if (e == EPERM || e == EACCES)
		snprintf(err, errlen,
			 "%s %s: %s: needs root or CAP_NET_ADMIN (without root, leave it to "
			 "`tapstack setup --host-ip ADDR/LEN`, run once as root)",
			 what, ifname, nl_geterror(nle));
	else
		snprintf(err, errlen, "%s %s: %s", what, ifname, nl_geterror(nle));
	return -e;
}

int nl_configure_link(const char *ifname, uint32_t mtu, uint32_t addr, uint8_t prefix, char *err,
		      size_t errlen)
{
	struct nl_sock *sk = NULL;
	struct rtnl_link *link = NULL, *change = NULL;
	struct rtnl_addr *ra = NULL;
	struct nl_addr *local = NULL;
	int rc;

	if (prefix > 32) {
		snprintf(err, errlen, "prefix length %u is more than 32", prefix);
		return -EINVAL;
	}
	sk = nl_socket_alloc();
	if (!sk) {
		snprintf(err, errlen, "nl_socket_alloc: out of memory");
		return -ENOMEM;
	}
	if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		rc = nl_fail(rc, "connecting rtnetlink for", ifname, err, errlen);
		goto out;
	}
	if ((rc = rtnl_link_get_kernel(sk, 0, ifname, &link)) < 0) {
		if (nle_to_errno(rc) == ENODEV)
			snprintf(err, errlen, "no interface named %s", ifname);
		else
			nl_fail(rc, "looking up", ifname, err, errlen);
		rc = -nle_to_errno(rc);
		goto out;
	}
	change = rtnl_link_alloc();
	if (!change) {
		rc = nl_fail(-NLE_NOMEM, "configuring", ifname, err, errlen);
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	if ((rc = rtnl_link_change(sk, link, change, 0)) < 0) {
		rc = nl_fail(rc, mtu ? "bringing up / setting the MTU of" : "bringing up", ifname,
			     err, errlen);
		goto out;
	}
	if (addr) {
		uint32_t be = htonl(addr);
		ra = rtnl_addr_alloc();
		local = nl_addr_build(AF_INET, &be, sizeof(be));
		if (!ra || !local) {
			rc = nl_fail(-NLE_NOMEM, "adding an address to", ifname, err, errlen);
			goto out;
		}
		nl_addr_set_prefixlen(local, prefix);
		rtnl_addr_set_ifindex(ra, rtnl_link_get_ifindex(link));
		rtnl_addr_set_family(ra, AF_INET);
		if ((rc = rtnl_addr_set_local(ra, local)) < 0) {
			rc = nl_fail(rc, "adding an address to", ifname, err, errlen);
			goto out;
		}
		rc = rtnl_addr_add(sk, ra, 0);
		if (rc < 0 && nle_to_errno(rc) != EEXIST) { /* already there: what we wanted */
			rc = nl_fail(rc, "adding an address to", ifname, err, errlen);
			goto out;
		}
	}
	rc = 0;
out:
	if (local)
		nl_addr_put(local);
	if (ra)
		rtnl_addr_put(ra);
	if (change)
		rtnl_link_put(change);
	if (link)
		rtnl_link_put(link);
	nl_socket_free(sk);
	return rc;
}
