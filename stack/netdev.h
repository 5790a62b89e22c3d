/*
 * netdev.h - the link contract: what the stack asks of a link and what it
 * promises in return.  A link sends a frame, receives a frame, says once
 * what it can do (its capabilities), and each frame carries what was done
 * to it or what is left to do (its metadata), in the shape of the virtio
 * spec's virtio_net_hdr ("Packet Transmission", "Packet Reception") that
 * Linux's tun reads and writes with IFF_VNET_HDR
 * (Documentation/networking/tuntap.rst).
 *
 * Backends: TAP (tap.c), the in-memory wire joining two stacks (wire.c), a
 * pcap file replayed into the stack (pcap_replay.c).  Wrappers stack on any
 * netdev and pass every frame through: fault injection (faults.c), the pcap
 * writer (pcap_tee.c), the layer tracer (trace.c).  The stack itself has no
 * "if (pcap)" or "if (faults)" branch (smoltcp src/phy/), and it never asks
 * "is this a TAP?": it reads the capabilities.
 *
 * Every frame is a whole Ethernet II frame without FCS, no prefix; the
 * metadata travels beside it, never inside it.
 *
 * The fate of each received frame goes back down the chain (rx_verdict):
 * after the stack has handled the frame a recv returned, and before it
 * calls recv again, it says once whether the frame died and of which drop
 * reason (drop.h), so that a wrapper that records frames (the pcapng
 * writer) can say why in the capture.  The stack never learns who listens.
 *
 * Capabilities (smoltcp DeviceCapabilities, gVisor LinkEndpointCapabilities,
 * Linux netdev features):
 *   - mtu, max_tx_frame, max_rx_frame: sizes; the stack sends datagrams of
 *     at most min(cfg.mtu, mtu) octets and sizes its receive buffers from
 *     max_rx_frame;
 *   - rx_csum: transport checksums the link may have validated; a frame it
 *     validated arrives as NETDEV_CSUM_VERIFIED (virtio DATA_VALID) and the
 *     stack does not sum it again;
 *   - tx_csum: transport checksums the link completes; for those the stack
 *     sends NETDEV_CSUM_PARTIAL frames (virtio NEEDS_CSUM) with only the
 *     pseudo-header sum in the checksum field;
 *   - tso_types, tso_max_size: segmentation the link does (virtio
 *     gso_type): TCP sends one frame of up to tso_max_size octets with
 *     gso_type and gso_size (the MSS) set, PARTIAL checksum included, and
 *     the device cuts it into MSS-sized segments if it must (tcp_out.c).
 * A link with none of these ("no offloads") gets and gives whole frames
 * with every checksum computed, exactly as before the contract had them.
 *
 * Who completes a partial checksum: the device that declared it in
 * tx_csum, or, on the way there, any wrapper that needs the real bytes
 * (fault injection before corrupting a frame, the pcap writer and the
 * tracer for what they show) with ts_csum_complete() (checksum.h).  A
 * device that did not declare it refuses a PARTIAL frame (-EINVAL) rather
 * than send a wrong checksum.
 */
#ifndef TS_NETDEV_H
#define TS_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "drop.h"

struct netdev;

/* Transport checksums, as bits of netdev_caps.rx_csum and .tx_csum. */
enum {
	NETDEV_OFFLOAD_TCP4 = 1u << 0,	/* TCP over IPv4 (Linux NETIF_F_IP_CSUM) */
	NETDEV_OFFLOAD_UDP4 = 1u << 1,	/* UDP over IPv4 (NETIF_F_IP_CSUM) */
	NETDEV_OFFLOAD_ICMP4 = 1u << 2, /* ICMPv4 (only a generic NETIF_F_HW_CSUM device) */
	NETDEV_OFFLOAD_TCP6 = 1u << 3,	/* TCP over IPv6 (NETIF_F_IPV6_CSUM) */
	NETDEV_OFFLOAD_UDP6 = 1u << 4,	/* UDP over IPv6 (NETIF_F_IPV6_CSUM) */
};

/*
 * Segmentation offload types, numbered as virtio_net_hdr's gso_type so that
 * a vnet_hdr backend copies them.  As bits of netdev_caps.tso_types:
 * 1u << NETDEV_GSO_TCPV4, ...
 */
enum netdev_gso_type {
	NETDEV_GSO_NONE = 0,   /* VIRTIO_NET_HDR_GSO_NONE: an ordinary frame */
	NETDEV_GSO_TCPV4 = 1,  /* VIRTIO_NET_HDR_GSO_TCPV4: TSO for IPv4 */
	NETDEV_GSO_UDP = 3,    /* VIRTIO_NET_HDR_GSO_UDP: UFO (IP fragmentation) */
	NETDEV_GSO_TCPV6 = 4,  /* VIRTIO_NET_HDR_GSO_TCPV6 */
	NETDEV_GSO_UDP_L4 = 5, /* VIRTIO_NET_HDR_GSO_UDP_L4: USO (UDP segments) */
};

/*
 * What a device can do, asked once by stack_init (netdev_caps()).  A size
 * left 0 is not stated: no limit on send, NETDEV_JUMBO_FRAME on receive.
 */
struct netdev_caps {
	uint32_t mtu;	       /* largest IP datagram per frame; 0: the device sets none */
	uint32_t max_tx_frame; /* largest frame send takes without GSO, Ethernet header included */
	uint32_t max_rx_frame; /* largest frame recv delivers (a GRO-coalesced one included) */
	uint32_t rx_csum;      /* NETDEV_OFFLOAD_*: checksums it may deliver VERIFIED */
	uint32_t tx_csum;      /* NETDEV_OFFLOAD_*: checksums it completes when PARTIAL */
	uint32_t tso_types;    /* 1u << NETDEV_GSO_*: what it segments; 0: no TSO */
	uint32_t tso_max_size; /* largest GSO frame send takes (Linux gso_max_size); 0: no TSO */
};

/*
 * The largest frame a backend without a caps op delivers and takes: a
 * jumbo frame (MTU 9000, the most --mtu allows) with the headers, as a
 * common NIC's 9216-octet limit.  Receive buffers of this size come from
 * the stack's free list (TS_BUF_STD_SIZE).
 */
#define NETDEV_JUMBO_FRAME 9216

/* What is known of one frame's transport checksum (Linux skb->ip_summed). */
enum netdev_csum {
	/*
	 * Nothing: the checksum field is complete and the receiver verifies
	 * it (CHECKSUM_NONE; virtio flags 0).
	 */
	NETDEV_CSUM_NONE = 0,
	/*
	 * The field at csum_start + csum_offset holds the pseudo-header sum
	 * (folded, not complemented); whoever completes it sums from
	 * csum_start to the end of the frame and stores the complement
	 * (CHECKSUM_PARTIAL; VIRTIO_NET_HDR_F_NEEDS_CSUM).  Received, it
	 * comes from a sender on this host, never from a wire.
	 */
	NETDEV_CSUM_PARTIAL = 1,
	/*
	 * Received only: the link validated the transport checksum
	 * (CHECKSUM_UNNECESSARY; VIRTIO_NET_HDR_F_DATA_VALID).  It says
	 * nothing of the IPv4 header checksum, which the stack always checks.
	 */
	NETDEV_CSUM_VERIFIED = 2,
};

/*
 * Per-frame metadata, beside the frame in both directions (virtio_net_hdr
 * without hdr_len, which only a GSO sender needs).  Offsets count from the
 * frame's first octet (the Ethernet destination), as virtio's do.
 */
struct netdev_meta {
	uint8_t csum;	      /* enum netdev_csum */
	uint8_t gso_type;     /* enum netdev_gso_type */
	uint16_t gso_size;    /* GSO: payload octets per segment (the MSS) */
	uint16_t csum_start;  /* PARTIAL: first octet the checksum covers */
	uint16_t csum_offset; /* PARTIAL: the checksum field, from csum_start */
};

/* One frame of a recv_batch: the caller's buffer, and what was read into it. */
struct netdev_rx {
	uint8_t *buf;
	size_t cap;
	size_t len;		 /* 0: no frame in this one */
	struct netdev_meta meta; /* zeroed by the caller, as for recv */
};

struct netdev_ops {
	/*
	 * Reads one frame into buf (cap bytes) and its metadata into *meta,
	 * which the caller zeroed (a frame a backend says nothing about is
	 * NETDEV_CSUM_NONE, not GSO).  Returns its length, 0 when no frame is
	 * waiting, -errno on a link failure.  now_us is the stack's clock.
	 */
	ssize_t (*recv)(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us);
	/*
	 * Optional: what recv does for up to n frames at once, in the order
	 * they arrived, after sending what send and sendv queued (flush): the
	 * TAP with --io uring reads and writes a batch in one io_uring_enter.
	 * An entry may stay empty (len 0) while a later one holds a frame (it
	 * arrived between two reads).  Returns how many frames it read, 0 when
	 * none was waiting, -errno on a link failure before any.  Wrappers do
	 * not offer it: rx_verdict is told one frame at a time, so through a
	 * wrapper frames come one recv each.
	 */
	int (*recv_batch)(struct netdev *dev, struct netdev_rx *rx, int n, uint64_t now_us);
	/*
	 * Sends one frame with its metadata (never NULL; csum is NONE or
	 * PARTIAL).  Returns 0 or -errno (the stack counts LINK_TX_FAIL);
	 * -EINVAL for a PARTIAL or GSO frame the device did not declare.
	 */
	int (*send)(struct netdev *dev, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us);
	/*
	 * Optional: sends one frame given as iovcnt pieces (at most
	 * NETDEV_SENDV_MAX_IOV, len octets in all, the first holding at least
	 * the Ethernet header), with the same metadata and results as send.
	 * The stack uses it to send headers from a frame buffer and payload
	 * straight from a TCP send ring (writev), saving the copy into the
	 * buffer; without it every frame reaches send whole.  A wrapper that
	 * needs the frame's bytes in one piece simply does not offer it.
	 */
	int (*sendv)(struct netdev *dev, const struct iovec *iov, int iovcnt, size_t len,
		     const struct netdev_meta *meta, uint64_t now_us);
	/*
	 * Fills *caps (zeroed by the caller).  NULL: no offloads, frames up to
	 * NETDEV_JUMBO_FRAME.  A wrapper reports its lower device's, minus
	 * what it cannot pass on.
	 */
	void (*caps)(struct netdev *dev, struct netdev_caps *caps);
	/*
	 * Optional: what became of the frame the last recv returned, told
	 * once per frame after the stack handled it (stack_input returned)
	 * and before the next recv: DROP_NONE when a protocol took it or
	 * holds it, else the reason it was dropped then.  Frames sent while
	 * the stack handled it (an ARP reply, an RST, a challenge ACK) reach
	 * send before the verdict.  A frame held and dropped later (a UDP
	 * datagram unread at close) was already told DROP_NONE.  A wrapper
	 * passes the verdict on to its lower device after using it (it is
	 * about the frame the wrapper itself returned last); a backend that
	 * does not care leaves it NULL.
	 */
	void (*rx_verdict)(struct netdev *dev, enum ts_drop_reason reason, uint64_t now_us);
	/*
	 * Optional: sends the frames send and sendv queued.  A device may queue
	 * what it is given and return 0 before the frame left (the TAP with
	 * --io uring: one io_uring_enter for a batch instead of a writev per
	 * frame); the stack then calls flush before it reads the link and when
	 * a poll ends, so nothing stays queued while the stack sleeps or the
	 * application runs after ts_epoll_wait returned.  Returns how many
	 * queued frames the kernel refused (the stack counts each
	 * LINK_TX_FAIL).  A wrapper forwards it to its lower device after
	 * sending what it holds that is due; NULL: the device queues nothing.
	 */
	int (*flush)(struct netdev *dev, uint64_t now_us);
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

/* The device's capabilities (the defaults above when it has no caps op). */
void netdev_caps(struct netdev *d, struct netdev_caps *caps);

/* One frame and its metadata (see netdev_ops.recv); *meta is zeroed first. */
static inline ssize_t netdev_recv_meta(struct netdev *d, uint8_t *buf, size_t cap,
				       struct netdev_meta *meta, uint64_t now_us)
{
	*meta = (struct netdev_meta){0};
	return d->ops->recv(d, buf, cap, meta, now_us);
}
static inline int netdev_send_meta(struct netdev *d, const uint8_t *f, size_t len,
				   const struct netdev_meta *meta, uint64_t now_us)
{
	return d->ops->send(d, f, len, meta, now_us);
}

/*
 * The same for a caller that wants the frame's real bytes and no metadata
 * (tools, tests of a backend): a PARTIAL frame received is completed in buf
 * (-EINVAL when its offsets lie outside it); a frame sent is NONE.
 */
ssize_t netdev_recv(struct netdev *d, uint8_t *buf, size_t cap, uint64_t now_us);
static inline int netdev_send(struct netdev *d, const uint8_t *f, size_t len, uint64_t now_us)
{
	static const struct netdev_meta none;
	return d->ops->send(d, f, len, &none, now_us);
}

/* Whether a device without offloads can send the frame as it is: not PARTIAL, not GSO. */
static inline bool netdev_meta_is_plain(const struct netdev_meta *m)
{
	return m->csum != NETDEV_CSUM_PARTIAL && m->gso_type == NETDEV_GSO_NONE;
}
/*
 * For a PARTIAL frame: the NETDEV_OFFLOAD_* bit of the checksum it leaves to
 * the device, when csum_start is the transport header of an unfragmented
 * IPv4 datagram, or of an IPv6 datagram whose fixed header names TCP or UDP
 * directly (no extension header: a Fragment header in between says 0), and
 * csum_offset that protocol's checksum field (what a NETIF_F_IP_CSUM or
 * NETIF_F_IPV6_CSUM NIC can complete); 0 for anything else.  A device
 * checks it against its tx_csum before completing.
 */
uint32_t netdev_partial_proto(const uint8_t *frame, size_t len, const struct netdev_meta *m);
/*
 * Completes a PARTIAL frame in place (ts_csum_complete) and marks it NONE;
 * other frames are left alone.  0, or -EINVAL when the offsets lie outside
 * the frame.
 */
int netdev_meta_complete(uint8_t *frame, size_t len, struct netdev_meta *meta);

/* Pieces of one frame for sendv: headers, and a send ring's bytes in up to three. */
#define NETDEV_SENDV_MAX_IOV 4

/* Whether the device takes a frame in pieces (netdev_ops.sendv). */
static inline bool netdev_has_sendv(const struct netdev *d)
{
	return d->ops->sendv != NULL;
}
static inline int netdev_sendv(struct netdev *d, const struct iovec *iov, int iovcnt, size_t len,
			       const struct netdev_meta *meta, uint64_t now_us)
{
	return d->ops->sendv(d, iov, iovcnt, len, meta, now_us);
}

static inline void netdev_rx_verdict(struct netdev *d, enum ts_drop_reason reason, uint64_t now_us)
{
	if (d->ops->rx_verdict)
		d->ops->rx_verdict(d, reason, now_us);
}

static inline int netdev_flush(struct netdev *d, uint64_t now_us)
{
	return d->ops->flush ? d->ops->flush(d, now_us) : 0;
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
