/*
 * nl.h - configures the KERNEL side of a link through rtnetlink (libnl-route
 * 3), in the current network namespace: link up, MTU, one IPv4 address.
 * What `ip link set dev X up mtu N; ip addr add A/P dev X` does, without
 * running ip(8).
 */
#ifndef TS_NL_H
#define TS_NL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Brings link `ifname` up with MTU mtu (0: leave it), and when addr is not 0
 * adds addr/prefix (host order) to it; an address already present is not an
 * error.  Returns 0, or -errno with a one-line reason in err.
 */
int nl_configure_link(const char *ifname, uint32_t mtu, uint32_t addr, uint8_t prefix, char *err,
		      size_t errlen);

#endif
