/*
 * netdev.h - the link layer as the stack sees it: send a frame, receive a
 * frame, a kernel fd to sleep on.
 *
 * Backends: TAP (tap.c), the in-memory wire joining two stacks (wire.c), a
 * pcap file replayed into the stack (pcap_replay.c).  Wrappers stack on any
 * netdev and pass every frame through: fault injection (faults.c), the pcap
 * writer (pcap_tee.c), the layer tracer (trace.c).  The stack itself has no
 * "if (pcap)" or "if (faults)" branch (smoltcp src/phy/).
 *
 * Every frame is a whole Ethernet II frame without FCS, no prefix.
 */
#ifndef TS_NETDEV_H
#define TS_NETDEV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct netdev;

struct netdev_ops {
	/*
	 * Reads one frame into buf (cap bytes).  Returns its length, 0 when no
	 * frame is waiting, -errno on a link failure.  now_us is the stack's clock.
	 */
	ssize_t (*recv)(struct netdev *dev, uint8_t *buf, size_t cap, uint64_t now_us);
	/* Sends one frame.  Returns 0 or -errno (the stack counts LINK_TX_FAIL). */
	int (*send)(struct netdev *dev, const uint8_t *frame, size_t len, uint64_t now_us);
	/* A kernel fd that becomes readable when a frame waits, or -1 (wire, replay). */
	int (*pollfd)(struct netdev *dev);
	/* Earliest clock time at which a held frame is due (delay), or UINT64_MAX. */
	uint64_t (*next_deadline)(struct netdev *dev);
	/* Closes the device and frees it, wrappers their lower device too. */
	void (*destroy)(struct netdev *dev);
};

struct netdev {
	const struct netdev_ops *ops;
	char name[32]; /* for messages: "tap0", "wire:a", "faults(tap0)" */
};

static inline ssize_t netdev_recv(struct netdev *d, uint8_t *buf, size_t cap, uint64_t now_us)
{
	return d->ops->recv(d, buf, cap, now_us);
}
static inline int netdev_send(struct netdev *d, const uint8_t *f, size_t len, uint64_t now_us)
{
	return d->ops->send(d, f, len, now_us);
}
static inline int netdev_pollfd(struct netdev *d)
{
	return d->ops->pollfd ? d->ops->pollfd(d) : -1;
}
static inline uint64_t netdev_next_deadline(struct netdev *d)
{
	return d->ops->next_deadline ? d->ops->next_deadline(d) : UINT64_MAX;
}
static inline void netdev_destroy(struct netdev *d)
{
	if (d)
		d->ops->destroy(d);
}

#endif
