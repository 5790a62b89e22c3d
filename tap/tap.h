/*
 * tap.h - the TAP backend: the stack's end of a Linux TAP interface
 * (/dev/net/tun, IFF_TAP | IFF_NO_PI), one read(2) or write(2) per frame.
 * The kernel's end of the same interface is configured by nl.h.
 */
#ifndef TS_TAP_H
#define TS_TAP_H

#include <stddef.h>

#include "netdev.h"

/*
 * Attaches to TAP `name`, creating it if absent (it then lives as long as
 * the fd).  The fd is non-blocking; pollfd returns it.  On failure returns
 * NULL with a one-line reason and fix in err (EPERM/EACCES: needs root or
 * CAP_NET_ADMIN).
 */
struct netdev *tap_open(const char *name, char *err, size_t errlen);

#endif
