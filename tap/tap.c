/*
 * tap.c - the TAP backend: the stack's end of a Linux TAP interface.
 *
 * /dev/net/tun with IFF_TAP | IFF_NO_PI gives whole Ethernet frames with no
 * packet-information prefix: one read(2) returns one frame, one write(2)
 * sends one (Documentation/networking/tuntap.rst).  The fd is non-blocking;
 * the stack sleeps in epoll on it (pollfd) and reads until EAGAIN.  recv and
 * send are exactly one syscall each and copy nothing beyond what read and
 * write do.  No IFF_VNET_HDR yet, so no offloads: every frame is whole,
 * every checksum computed (netdev.h).
 *
 * The kernel's end (link up, MTU, address) is configured separately by
 * nl.c, since a TAP we attach to may already be configured by ip(8).
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct tap {
	struct netdev dev;
	int fd; /* /dev/net/tun, attached to the interface */
};

static ssize_t tap_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	(void)meta; /* without IFF_VNET_HDR the kernel completed every checksum */
	(void)now_us;
	/* A frame longer than cap is cut by the kernel (tun_put_user copies what fits). */
	ssize_t n = read(t->fd, buf, cap);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -errno;
}

static int tap_send(struct netdev *dev, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	(void)now_us;
	if (!netdev_meta_is_plain(meta))
		return -EINVAL; /* no vnet_hdr to carry it, and we declared no offload */
	ssize_t n = write(t->fd, frame, len);
	if (n < 0)
		return -errno; /* EIO: the kernel side is down; EINVAL: frame too short/long */
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * No offloads yet: without IFF_VNET_HDR a TAP carries whole frames with
 * every checksum computed, both ways.  Frames: the kernel side's MTU is
 * what nl.c set from --mtu (at most 9000), so a jumbo frame holds any.
 */
static void tap_caps(struct netdev *dev, struct netdev_caps *caps)
{
	(void)dev;
	caps->max_tx_frame = caps->max_rx_frame = NETDEV_JUMBO_FRAME;
}

static int tap_pollfd(struct netdev *dev)
{
	return ((struct tap *)dev)->fd;
}

static void tap_destroy(struct netdev *dev)
{
	struct tap *t = (struct tap *)dev;
	close(t->fd);
	free(t);
}

static const struct netdev_ops tap_ops = {
    .recv = tap_recv,
    .send = tap_send,
    .caps = tap_caps,
    .pollfd = tap_pollfd,
    .next_deadline = NULL, /* nothing held: frames wait in the kernel */
    .destroy = tap_destroy,
};

struct netdev *tap_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;

	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "bad TAP name '%s': 1 to %d characters", name ? name : "",
			 IFNAMSIZ - 1);
		return NULL;
	}
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen,
				 "open /dev/net/tun: %s: tapstack needs root or CAP_NET_ADMIN "
				 "(run it with sudo)",
				 strerror(e));
		else if (e == ENOENT || e == ENODEV || e == ENXIO)
			snprintf(err, errlen,
				 "open /dev/net/tun: %s: the tun driver is missing (modprobe tun)",
				 strerror(e));
		else
			snprintf(err, errlen, "open /dev/net/tun: %s", strerror(e));
		return NULL;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen,
				 "TUNSETIFF %s: %s: creating or attaching a TAP needs root or "
				 "CAP_NET_ADMIN (run it with sudo)",
				 name, strerror(e));
		else if (e == EBUSY)
			snprintf(err, errlen,
				 "TUNSETIFF %s: %s: another process is attached to it (or it is "
				 "not a TAP)",
				 name, strerror(e));
		else if (e == EINVAL)
			snprintf(err, errlen,
				 "TUNSETIFF %s: %s: %s exists but is not a TAP interface", name,
				 strerror(e), name);
		else
			snprintf(err, errlen, "TUNSETIFF %s: %s", name, strerror(e));
		return NULL;
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->dev.ops = &tap_ops;
	t->fd = fd;
	/* The kernel may have chosen the name (e.g. "tap%d"): report the real one. */
	snprintf(t->dev.name, sizeof(t->dev.name), "%.*s", IFNAMSIZ, ifr.ifr_name);
	return &t->dev;
}
