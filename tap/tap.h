/*
 * tap.h - the TAP backend: the stack's end of a Linux TAP interface
 * (/dev/net/tun, IFF_TAP | IFF_NO_PI), one read(2) or write(2) per frame,
 * with offloads through IFF_VNET_HDR when asked (struct virtio_net_hdr in
 * front of each frame: checksum offload and TSO both ways).  The kernel's
 * end of the same interface is configured by nl.h.
 */
#ifndef TS_TAP_H
#define TS_TAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netdev.h"

/* What the TAP offers the kernel and the stack (--offload). */
enum tap_offload {
	TAP_OFFLOAD_NONE = 0, /* no IFF_VNET_HDR: whole frames, every checksum computed */
	TAP_OFFLOAD_CSUM,     /* IFF_VNET_HDR, TUN_F_CSUM: TCP/UDP checksums partial both ways */
	TAP_OFFLOAD_TSO,      /* ... and TUN_F_TSO4: TCP segments up to 64 KiB both ways */
	TAP_OFFLOAD_AUTO,     /* the most the kernel accepts: tso, else csum, else none */
};
/* "none", "csum", "tso", "auto". */
const char *tap_offload_name(enum tap_offload m);
/* Parses one of those names; false for anything else. */
bool tap_offload_parse(const char *s, enum tap_offload *out);

/*
 * Attaches to TAP `name`, creating it if absent (it then lives as long as
 * the fd).  The fd is non-blocking; pollfd returns it.  On failure returns
 * NULL with a one-line reason and fix in err (EPERM/EACCES: needs root or
 * CAP_NET_ADMIN).  No offloads (TAP_OFFLOAD_NONE).
 */
struct netdev *tap_open(const char *name, char *err, size_t errlen);
/*
 * The same with offloads: want is negotiated with the kernel
 * (TUNSETOFFLOAD) and reported in the device's capabilities; *got (may be
 * NULL) receives what was set up, never AUTO.  AUTO falls back from tso to
 * csum to none when the kernel refuses; an explicit csum or tso the kernel
 * refuses fails with the reason in err.
 */
struct netdev *tap_open_offload(const char *name, enum tap_offload want, enum tap_offload *got,
				char *err, size_t errlen);

/* How frames are written (--io). */
enum tap_io {
	TAP_IO_PLAIN = 0, /* one write(2)/writev(2) per frame, as it is sent */
	TAP_IO_URING,	  /* small frames queued, one io_uring_enter per flush (tap.c) */
	TAP_IO_AUTO,	  /* uring when the kernel allows it, else plain */
};
/* "plain", "uring", "auto". */
const char *tap_io_name(enum tap_io m);
/* Parses one of those names; false for anything else. */
bool tap_io_parse(const char *s, enum tap_io *out);
/*
 * Sets how a device tap_open_offload returned writes frames.  *got (may be
 * NULL) receives what was set up, never AUTO.  AUTO falls back to plain
 * when io_uring cannot be set up (kernel.io_uring_disabled, a seccomp
 * filter, an old kernel) and under valgrind (memcheck cannot see what the
 * kernel writes through io_uring); an explicit uring then fails with the
 * reason in err and the device unchanged.  Returns 0 or -errno.
 */
int tap_set_io(struct netdev *dev, enum tap_io want, enum tap_io *got, char *err, size_t errlen);

/*
 * Makes TAP name persistent (it outlives the fd) and owned by uid owner and,
 * when group is not (gid_t)-1, by group: that user may then attach to it
 * without CAP_NET_ADMIN (tapstack setup).  Creates it when absent.  Needs
 * CAP_NET_ADMIN.  Returns 0, or -errno with a one-line reason in err.
 */
int tap_persist(const char *name, uid_t owner, gid_t group, char *err, size_t errlen);
/* Removes persistence from TAP name, which the kernel then deletes (-ENODEV: no such link). */
int tap_unpersist(const char *name, char *err, size_t errlen);

/*
 * The vnet header view (virtio spec "Packet Transmission" / "Packet
 * Reception"; Linux include/uapi/linux/virtio_net.h): TAP_VNET_HDR_LEN
 * little-endian octets before each frame: flags (NEEDS_CSUM 1,
 * DATA_VALID 2), gso_type, hdr_len, gso_size, csum_start, csum_offset.
 */
#define TAP_VNET_HDR_LEN 10
/*
 * The metadata of a received frame: NEEDS_CSUM → PARTIAL, DATA_VALID →
 * VERIFIED, gso_type and gso_size copied (the stack refuses a type it does
 * not know, ECN included, as LINK_BAD_META).
 */
void tap_vnet_hdr_parse(const uint8_t hdr[TAP_VNET_HDR_LEN], struct netdev_meta *meta);
/*
 * The header for a frame sent with meta: PARTIAL → NEEDS_CSUM with its
 * offsets; a GSO frame gets gso_type, gso_size and hdr_len = the length of
 * its Ethernet, IP and TCP headers (what Linux's virtio_net_hdr_from_skb
 * writes).  Returns 0, or -EINVAL for a GSO frame whose headers are not in
 * it.
 */
int tap_vnet_hdr_build(const struct netdev_meta *meta, const uint8_t *frame, size_t len,
		       uint8_t hdr[TAP_VNET_HDR_LEN]);

#endif
