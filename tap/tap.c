/*
 * tap.c - the TAP backend: the stack's end of a Linux TAP interface.
 *
 * /dev/net/tun with IFF_TAP | IFF_NO_PI gives whole Ethernet frames with no
 * packet-information prefix: one read(2) returns one frame, one write(2)
 * sends one (Documentation/networking/tuntap.rst).  The fd is non-blocking;
 * the stack sleeps in epoll on it (pollfd) and reads until EAGAIN.
 *
 * Offloads (--offload, tap_open_offload): with IFF_VNET_HDR every frame
 * read or written is preceded by a struct virtio_net_hdr
 * (TUNSETVNETHDRSZ: 10 octets, little-endian by TUNSETVNETLE), and
 * TUNSETOFFLOAD tells the kernel what we accept from it:
 *   - TUN_F_CSUM: the kernel hands up TCP and UDP, over IPv4 and IPv6,
 *     with the checksum left partial (NEEDS_CSUM) or validated
 *     (DATA_VALID), and completes the partial checksums we send of both
 *     families: the tun device is NETIF_F_HW_CSUM, csum_start/csum_offset
 *     and the pseudo-header sum in the field say all it needs
 *     (netdev_caps tx_csum, rx_csum: TCP4, UDP4, TCP6, UDP6);
 *   - TUN_F_TSO4 and TUN_F_TSO6: the kernel's TCP sends us segments of up
 *     to 64 KiB (gso_type TCPV4 or TCPV6, gso_size its MSS; an IPv6 one's
 *     payload length is the real one, never a jumbogram), and takes ours,
 *     cutting them only if they leave the machine (netdev_caps
 *     tso_types).  Not TUN_F_TSO_ECN (the stack negotiates no ECN, so it
 *     sends no CWR, and a segment the kernel marked ECN would be refused
 *     as LINK_BAD_META: the kernel cuts those itself).
 * Each frame costs one readv or writev: header and frame (or header,
 * headers and send-ring pieces: sendv) in one system call, nothing copied
 * in userspace.
 *
 * Sending in batches (--io uring, tap_set_io): a system call costs more
 * than the TAP's own work on a small frame on some machines (about 1 µs
 * against 0.5 on a paravirtualized guest: docs/performance.md), so frames
 * of up to TAP_TXQ_SLOT octets are copied into a queue, and the stack's
 * flush (netdev_ops.flush: before it reads the link, when a poll ends)
 * hands the whole queue to the kernel in one io_uring_enter of one write
 * per frame.  The fd is non-blocking, so io_uring runs each write inline
 * as writev would (a TAP write never waits) and the queue is free again
 * when the call returns.  Larger frames (TSO, jumbo) flush the queue and
 * go out by writev, in order: the copy would cost more than the call.
 *
 * The kernel's end (link up, MTU, address) is configured separately by
 * nl.c, since a TAP we attach to may already be configured by ip(8).
 */
#include "tap.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <liburing.h>
#include <unistd.h>

#include "buf.h"

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

_Static_assert(TAP_VNET_HDR_LEN == sizeof(struct virtio_net_hdr), "virtio_net_hdr is 10 octets");
_Static_assert(NETDEV_GSO_TCPV4 == VIRTIO_NET_HDR_GSO_TCPV4 &&
		   NETDEV_GSO_UDP == VIRTIO_NET_HDR_GSO_UDP &&
		   NETDEV_GSO_TCPV6 == VIRTIO_NET_HDR_GSO_TCPV6,
	       "netdev.h numbers GSO types as virtio does");

/* Transport checksums the kernel completes and validates with TUN_F_CSUM (NETIF_F_HW_CSUM). */
#define TAP_CSUM_PROTOS                                                                            \
	(NETDEV_OFFLOAD_TCP4 | NETDEV_OFFLOAD_UDP4 | NETDEV_OFFLOAD_TCP6 | NETDEV_OFFLOAD_UDP6)
/*
 * Largest GSO frame we send: the whole frame within 65535 octets, so it
 * also fits a classic pcap record (snaplen 65535) whole; that is 45
 * segments of 1448 octets.
 */
#define TAP_TSO_MAX_FRAME 65535

/*
 * The send queue of --io uring: room for a standard frame and its vnet
 * header; 64 of them, the most a batch of responses needs before the
 * saving of one more frame per call stops mattering (1/64 of a call).
 */
#define TAP_TXQ_SLOT  1536
#define TAP_TXQ_SLOTS 64
/* Reads per recv_batch call, at most (the stack asks for fewer). */
#define TAP_RXQ_MAX 32
/* user_data of a read's completion: TAP_RXQ_TAG | its index. */
#define TAP_RXQ_TAG (1ull << 32)

struct tap_txq {
	struct io_uring ring;			       /* TAP_TXQ_SLOTS + TAP_RXQ_MAX entries */
	unsigned n;				       /* frames queued */
	uint32_t len[TAP_TXQ_SLOTS];		       /* octets of each, vnet header included */
	uint8_t (*slot)[TAP_TXQ_SLOT];		       /* TAP_TXQ_SLOTS of them */
	uint8_t rx_hdr[TAP_RXQ_MAX][TAP_VNET_HDR_LEN]; /* each read's vnet header */
	struct iovec rx_iov[TAP_RXQ_MAX][2];	       /* and where it goes */
};

struct tap {
	struct netdev dev;
	int fd;		       /* /dev/net/tun, attached to the interface */
	enum tap_offload mode; /* what was set up (never AUTO) */
	struct tap_txq *txq;   /* --io uring, else NULL */
	unsigned tx_failed;    /* queued frames refused since the last flush op */
};

const char *tap_io_name(enum tap_io m)
{
	switch (m) {
	case TAP_IO_PLAIN:
		return "plain";
	case TAP_IO_URING:
		return "uring";
	case TAP_IO_AUTO:
		return "auto";
	}
	return "?";
}

bool tap_io_parse(const char *s, enum tap_io *out)
{
	for (enum tap_io m = TAP_IO_PLAIN; m <= TAP_IO_AUTO; m++)
		if (!strcmp(s, tap_io_name(m))) {
			*out = m;
			return true;
		}
	return false;
}

const char *tap_offload_name(enum tap_offload m)
{
	switch (m) {
	case TAP_OFFLOAD_NONE:
		return "none";
	case TAP_OFFLOAD_CSUM:
		return "csum";
	case TAP_OFFLOAD_TSO:
		return "tso";
	case TAP_OFFLOAD_AUTO:
		return "auto";
	}
	return "?";
}

bool tap_offload_parse(const char *s, enum tap_offload *out)
{
	for (enum tap_offload m = TAP_OFFLOAD_NONE; m <= TAP_OFFLOAD_AUTO; m++)
		if (!strcmp(s, tap_offload_name(m))) {
			*out = m;
			return true;
		}
	return false;
}

/* ---- view: struct virtio_net_hdr, little-endian ---- */

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void tap_vnet_hdr_parse(const uint8_t hdr[TAP_VNET_HDR_LEN], struct netdev_meta *meta)
{
	*meta = (struct netdev_meta){0};
	uint8_t flags = hdr[0];
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		meta->csum = NETDEV_CSUM_PARTIAL;
		meta->csum_start = get_le16(hdr + 6);
		meta->csum_offset = get_le16(hdr + 8);
	} else if (flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		meta->csum = NETDEV_CSUM_VERIFIED;
	}
	meta->gso_type = hdr[1];
	meta->gso_size = get_le16(hdr + 4);
}

int tap_vnet_hdr_build(const struct netdev_meta *meta, const uint8_t *frame, size_t len,
		       uint8_t hdr[TAP_VNET_HDR_LEN])
{
	memset(hdr, 0, TAP_VNET_HDR_LEN);
	uint16_t hdr_len = 0;
	if (meta->gso_type != NETDEV_GSO_NONE) {
		/* The TCP header's data offset, at csum_start + 12 (RFC 9293 §3.1). */
		size_t tcp = meta->csum_start;
		if (meta->csum != NETDEV_CSUM_PARTIAL || tcp + 20 > len)
			return -EINVAL;
		size_t all = tcp + (size_t)(frame[tcp + 12] >> 4) * 4;
		if (all > len)
			return -EINVAL;
		hdr_len = (uint16_t)all;
	}
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		put_le16(hdr + 6, meta->csum_start);
		put_le16(hdr + 8, meta->csum_offset);
	}
	hdr[1] = meta->gso_type;
	put_le16(hdr + 2, hdr_len);
	put_le16(hdr + 4, meta->gso_size);
	return 0;
}

/* ---- the device ---- */

static ssize_t tap_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	(void)now_us;
	/* A frame longer than cap is cut by the kernel (tun_put_user copies what fits). */
	if (t->mode == TAP_OFFLOAD_NONE) {
		/* Without IFF_VNET_HDR the kernel completed every checksum. */
		ssize_t n = read(t->fd, buf, cap);
		if (n >= 0)
			return n;
	} else {
		uint8_t hdr[TAP_VNET_HDR_LEN];
		struct iovec iov[2] = {{hdr, sizeof(hdr)}, {buf, cap}};
		ssize_t n = readv(t->fd, iov, 2);
		if (n >= (ssize_t)sizeof(hdr)) {
			tap_vnet_hdr_parse(hdr, meta);
			return n - (ssize_t)sizeof(hdr);
		}
		if (n >= 0)
			return -EIO; /* the kernel always writes the whole header */
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return -errno;
}

/*
 * Whether this device can carry the frame's metadata: without IFF_VNET_HDR
 * only plain frames; with it, partial checksums of the protocols it
 * declared, and GSO only in tso mode.
 */
static bool tap_meta_ok(const struct tap *t, const uint8_t *l2, size_t l2_len,
			const struct netdev_meta *m)
{
	if (t->mode == TAP_OFFLOAD_NONE)
		return netdev_meta_is_plain(m);
	if (m->csum != NETDEV_CSUM_PARTIAL)
		return m->csum == NETDEV_CSUM_NONE && m->gso_type == NETDEV_GSO_NONE;
	/* netdev_partial_proto reads the IP header, which the first piece holds. */
	uint32_t proto = netdev_partial_proto(l2, l2_len, m) & TAP_CSUM_PROTOS;
	switch (m->gso_type) {
	case NETDEV_GSO_NONE:
		return proto != 0;
	case NETDEV_GSO_TCPV4: /* a TSO type must match the frame's family */
		return t->mode == TAP_OFFLOAD_TSO && m->gso_size && proto == NETDEV_OFFLOAD_TCP4;
	case NETDEV_GSO_TCPV6:
		return t->mode == TAP_OFFLOAD_TSO && m->gso_size && proto == NETDEV_OFFLOAD_TCP6;
	default:
		return false;
	}
}

static void tap_txq_free(struct tap *t)
{
	if (!t->txq)
		return;
	io_uring_queue_exit(&t->txq->ring);
	free(t->txq->slot);
	free(t->txq);
	t->txq = NULL;
}

/*
 * Puts the queued writes in the submission queue, to go with the next
 * io_uring_enter; the queue is free for new frames once that call reaped
 * them (tap_reap).
 */
static unsigned tap_txq_prep(struct tap *t)
{
	struct tap_txq *q = t->txq;
	unsigned queued = q->n;
	for (unsigned i = 0; i < queued; i++) {
		/* The ring has room for a full queue and a batch of reads. */
		struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
		/* Offset -1: the file position, which a TAP does not have. */
		io_uring_prep_write(sqe, t->fd, q->slot[i], q->len[i], (uint64_t)-1);
		io_uring_sqe_set_data64(sqe, i);
	}
	q->n = 0;
	return queued;
}

/* The reads' results; rx NULL when none were asked for. */
struct tap_rx_reap {
	struct netdev_rx *rx;
	int frames; /* read into rx */
	int err;    /* the first error other than EAGAIN, as -errno */
};

/*
 * Submits what tap_txq_prep and the caller prepared (`want` operations) in
 * one io_uring_enter and reaps every completion, since the slots and the
 * caller's buffers are reused after.  A write the kernel refused is added
 * to t->tx_failed, which the next flush reports.  Returns 0, or -errno
 * when the call itself failed: then io_uring is given up for plain calls.
 */
static int tap_reap(struct tap *t, unsigned want, const uint32_t *tx_len, unsigned tx_n,
		    struct tap_rx_reap *rr)
{
	struct tap_txq *q = t->txq;
	int r;
	do
		r = io_uring_submit_and_wait(&q->ring, want);
	while (r == -EINTR);
	if (r < 0) {
		/* The kernel refused the call (ENOMEM, EBUSY): the writes are lost
		 * as refused ones are, and plain calls say more next time. */
		t->tx_failed += tx_n;
		tap_txq_free(t);
		return r;
	}
	unsigned done = 0, tx_seen = 0;
	while (done < (unsigned)r) {
		struct io_uring_cqe *cqe;
		int w = io_uring_wait_cqe(&q->ring, &cqe);
		if (w == -EINTR)
			continue;
		if (w < 0)
			break;
		uint64_t id = io_uring_cqe_get_data64(cqe);
		int res = cqe->res;
		io_uring_cqe_seen(&q->ring, cqe);
		done++;
		if (!(id & TAP_RXQ_TAG)) {
			tx_seen++;
			if (id >= tx_n || res < 0 || (uint32_t)res != tx_len[id])
				t->tx_failed++; /* EIO: the kernel side is down; EINVAL: a bad frame
						 */
			continue;
		}
		struct netdev_rx *x = &rr->rx[id & 0xffffffffu];
		size_t hl = t->mode == TAP_OFFLOAD_NONE ? 0 : TAP_VNET_HDR_LEN;
		if (res < 0) {
			if (res != -EAGAIN && !rr->err)
				rr->err = res;
		} else if ((size_t)res < hl) {
			if (!rr->err)
				rr->err = -EIO; /* the kernel always writes the whole header */
		} else if ((size_t)res > hl) {
			if (hl)
				tap_vnet_hdr_parse(q->rx_hdr[id & 0xffffffffu], &x->meta);
			x->len = (size_t)res - hl;
			rr->frames++;
		}
	}
	t->tx_failed += tx_n - tx_seen;
	if (done < (unsigned)r) {
		/* The completion queue failed us: plain calls from now on. */
		tap_txq_free(t);
		return -EIO;
	}
	return 0;
}

/*
 * Hands the queue to the kernel: one io_uring_enter for all of it, or a
 * plain write for a lone frame (the answer to one request), which costs
 * less than an io_uring_enter of one write.
 */
static void tap_txq_flush(struct tap *t)
{
	struct tap_txq *q = t->txq;
	if (!q || !q->n)
		return;
	if (q->n == 1) {
		q->n = 0;
		ssize_t w = write(t->fd, q->slot[0], q->len[0]);
		if (w < 0 || (size_t)w != q->len[0])
			t->tx_failed++;
		return;
	}
	unsigned n = tap_txq_prep(t);
	tap_reap(t, n, t->txq->len, n, NULL);
}

/*
 * Queues the frame (vnet header, then the pieces) when it fits a slot;
 * false when it does not, after flushing what is queued so that it goes
 * out in order.
 */
static bool tap_txq_put(struct tap *t, const uint8_t *hdr, size_t hdr_len, const struct iovec *iov,
			int iovcnt, size_t len)
{
	if (hdr_len + len > TAP_TXQ_SLOT || t->txq->n == TAP_TXQ_SLOTS)
		tap_txq_flush(t);
	struct tap_txq *q = t->txq;
	if (!q || hdr_len + len > TAP_TXQ_SLOT)
		return false;
	uint8_t *p = q->slot[q->n];
	memcpy(p, hdr, hdr_len);
	size_t off = hdr_len;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(p + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	q->len[q->n++] = (uint32_t)off;
	return true;
}

/*
 * Sends the frame given as iovcnt pieces (the first holding the headers),
 * behind a vnet header when the device has them: a place in the send
 * queue, or one writev.
 */
static int tap_writev(struct tap *t, const struct iovec *iov, int iovcnt, size_t len,
		      const struct netdev_meta *meta)
{
	const uint8_t *l2 = iov[0].iov_base;
	if (!tap_meta_ok(t, l2, iov[0].iov_len, meta))
		return -EINVAL; /* an offload we did not declare */
	struct iovec v[1 + NETDEV_SENDV_MAX_IOV];
	uint8_t hdr[TAP_VNET_HDR_LEN];
	int n = 0;
	size_t want = len;
	if (t->mode != TAP_OFFLOAD_NONE) {
		if (tap_vnet_hdr_build(meta, l2, iov[0].iov_len, hdr) < 0)
			return -EINVAL;
		v[n++] = (struct iovec){hdr, sizeof(hdr)};
		want += sizeof(hdr);
	}
	if (t->txq && tap_txq_put(t, hdr, want - len, iov, iovcnt, len))
		return 0;
	for (int i = 0; i < iovcnt; i++)
		v[n++] = iov[i];
	ssize_t w = writev(t->fd, v, n);
	if (w < 0)
		return -errno; /* EIO: the kernel side is down; EINVAL: frame too short/long */
	return (size_t)w == want ? 0 : -EIO;
}

static int tap_send(struct netdev *dev, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	(void)now_us;
	if (t->mode == TAP_OFFLOAD_NONE && !t->txq) {
		if (!netdev_meta_is_plain(meta))
			return -EINVAL; /* no vnet_hdr to carry it, and we declared no offload */
		ssize_t n = write(t->fd, frame, len);
		if (n < 0)
			return -errno; /* EIO: the kernel side is down; EINVAL: frame too short/long
					*/
		return (size_t)n == len ? 0 : -EIO;
	}
	struct iovec iov = {(void *)(uintptr_t)frame, len};
	return tap_writev(t, &iov, 1, len, meta);
}

static int tap_sendv(struct netdev *dev, const struct iovec *iov, int iovcnt, size_t len,
		     const struct netdev_meta *meta, uint64_t now_us)
{
	(void)now_us;
	if (iovcnt < 1 || iovcnt > NETDEV_SENDV_MAX_IOV)
		return -EINVAL;
	return tap_writev((struct tap *)dev, iov, iovcnt, len, meta);
}

/*
 * What was negotiated.  Frames: the kernel side's MTU is what nl.c set from
 * --mtu (at most 9000), so a jumbo frame holds any; with TSO the kernel
 * also hands up TCP segments of up to 64 KiB (an IPv4 datagram of 65535
 * octets and its Ethernet header; the kernel's TCPv6 ones stay below that
 * too, its gso_max_size of 65536 counting the IPv6 and TCP headers).
 */
static void tap_caps(struct netdev *dev, struct netdev_caps *caps)
{
	struct tap *t = (struct tap *)dev;
	caps->max_tx_frame = caps->max_rx_frame = NETDEV_JUMBO_FRAME;
	if (t->mode == TAP_OFFLOAD_CSUM || t->mode == TAP_OFFLOAD_TSO)
		caps->tx_csum = caps->rx_csum = TAP_CSUM_PROTOS;
	if (t->mode == TAP_OFFLOAD_TSO) {
		caps->tso_types = 1u << NETDEV_GSO_TCPV4 | 1u << NETDEV_GSO_TCPV6;
		caps->tso_max_size = TAP_TSO_MAX_FRAME;
		caps->max_rx_frame = TS_BUF_BIG_FRAME;
	}
}

/*
 * netdev_ops.recv_batch: with io_uring, the queued writes and n reads
 * (RWF_NOWAIT: a read finding the TAP empty completes with EAGAIN instead
 * of waiting for a frame) in one io_uring_enter; else recv until EAGAIN.
 */
static int tap_recv_batch(struct netdev *dev, struct netdev_rx *rx, int n, uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	if (n > TAP_RXQ_MAX)
		n = TAP_RXQ_MAX;
	if (!t->txq) {
		int got = 0;
		for (int i = 0; i < n; i++) {
			ssize_t r = tap_recv(dev, rx[i].buf, rx[i].cap, &rx[i].meta, now_us);
			if (r <= 0)
				return got ? got : (int)r;
			rx[i].len = (size_t)r;
			got++;
		}
		return got;
	}
	struct tap_txq *q = t->txq;
	unsigned tx_n = tap_txq_prep(t);
	for (int i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&q->ring);
		struct iovec *v = q->rx_iov[i];
		int nv = 0;
		if (t->mode != TAP_OFFLOAD_NONE)
			v[nv++] = (struct iovec){q->rx_hdr[i], TAP_VNET_HDR_LEN};
		v[nv++] = (struct iovec){rx[i].buf, rx[i].cap};
		io_uring_prep_readv(sqe, t->fd, v, (unsigned)nv, (uint64_t)-1);
		sqe->rw_flags = RWF_NOWAIT;
		io_uring_sqe_set_data64(sqe, TAP_RXQ_TAG | (uint64_t)i);
	}
	struct tap_rx_reap rr = {rx, 0, 0};
	int r = tap_reap(t, tx_n + (unsigned)n, q->len, tx_n, &rr);
	if (r < 0 && !rr.frames)
		return 0; /* io_uring given up: the next call reads plainly */
	if (!rr.frames && rr.err)
		return rr.err;
	return rr.frames;
}

static int tap_flush(struct netdev *dev, uint64_t now_us)
{
	struct tap *t = (struct tap *)dev;
	(void)now_us;
	tap_txq_flush(t);
	int failed = (int)t->tx_failed;
	t->tx_failed = 0;
	return failed;
}

static int tap_pollfd(struct netdev *dev)
{
	return ((struct tap *)dev)->fd;
}

static void tap_destroy(struct netdev *dev)
{
	struct tap *t = (struct tap *)dev;
	tap_txq_flush(t); /* what the stack sent last (its RSTs at shutdown) */
	tap_txq_free(t);
	close(t->fd);
	free(t);
}

static const struct netdev_ops tap_ops = {
    .recv = tap_recv,
    .recv_batch = tap_recv_batch,
    .send = tap_send,
    .sendv = tap_sendv,
    .caps = tap_caps,
    .flush = tap_flush,
    .pollfd = tap_pollfd,
    .next_deadline = NULL, /* nothing held: frames wait in the kernel */
    .destroy = tap_destroy,
};

/*
 * Sets up the vnet header and asks the kernel for mode's offloads.  0, or
 * -errno with the failing call in err.
 */
static int tap_set_offload(int fd, enum tap_offload mode, char *err, size_t errlen)
{
	int sz = TAP_VNET_HDR_LEN;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0) {
		int e = errno;
		snprintf(err, errlen, "TUNSETVNETHDRSZ: %s", strerror(e));
		return -e;
	}
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	/* virtio 1.0 headers are little-endian; tun's legacy default is native. */
	int le = 1;
	if (ioctl(fd, TUNSETVNETLE, &le) < 0) {
		int e = errno;
		snprintf(err, errlen, "TUNSETVNETLE: %s", strerror(e));
		return -e;
	}
#endif
	unsigned long off = TUN_F_CSUM | (mode == TAP_OFFLOAD_TSO ? TUN_F_TSO4 | TUN_F_TSO6 : 0);
	if (ioctl(fd, TUNSETOFFLOAD, off) < 0) {
		int e = errno;
		snprintf(err, errlen, "TUNSETOFFLOAD %s: %s", tap_offload_name(mode), strerror(e));
		return -e;
	}
	return 0;
}

/*
 * The TUNSETIFF permission error: the two ways to run without root, with
 * the caller's user name filled in (tun_not_capable: the TAP's owner or
 * group may attach without CAP_NET_ADMIN).
 */
static void tap_perm_error(const char *name, const char *reason, char *err, size_t errlen)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *user = pw ? pw->pw_name : "NAME";
	snprintf(err, errlen,
		 "TUNSETIFF %s: %s: creating or attaching a TAP needs root or CAP_NET_ADMIN, "
		 "unless the TAP is persistent and yours: as root, once, run "
		 "`tapstack setup --user %s --tap %s --host-ip 10.0.0.1/24`, or "
		 "`ip tuntap add dev %s mode tap user %s` (then `ip link set %s up`); "
		 "or give the program the capability: `setcap cap_net_admin+ep tapstack` "
		 "(or run it with sudo)",
		 name, reason, user, name, name, user, name);
}

/* Opens /dev/net/tun and attaches to name with flags; fd, or -1 with err and errno filled. */
static int tap_attach(const char *name, short flags, char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen,
				 "open /dev/net/tun: %s: tapstack needs root or CAP_NET_ADMIN "
				 "(run it with sudo), or, to run without root, read-write access "
				 "to /dev/net/tun (most distributions make it mode 0666) and a "
				 "persistent TAP of yours (as root, once: `tapstack setup --user "
				 "NAME`)",
				 strerror(e));
		else if (e == ENOENT || e == ENODEV || e == ENXIO)
			snprintf(err, errlen,
				 "open /dev/net/tun: %s: the tun driver is missing (modprobe tun)",
				 strerror(e));
		else
			snprintf(err, errlen, "open /dev/net/tun: %s", strerror(e));
		errno = e;
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		if (e == EPERM || e == EACCES)
			tap_perm_error(name, strerror(e), err, errlen);
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
		errno = e;
		return -1;
	}
	/* The kernel may have chosen the name (e.g. "tap%d"): report the real one. */
	snprintf(ifname, IFNAMSIZ + 1, "%.*s", IFNAMSIZ, ifr.ifr_name);
	return fd;
}

struct netdev *tap_open_offload(const char *name, enum tap_offload want, enum tap_offload *got,
				char *err, size_t errlen)
{
	char ifname[IFNAMSIZ + 1];
	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "bad TAP name '%s': 1 to %d characters", name ? name : "",
			 IFNAMSIZ - 1);
		return NULL;
	}
	/*
	 * AUTO tries tso, then csum, on one fd (TUNSETOFFLOAD may be retried);
	 * when the kernel takes neither, the fd is reopened without
	 * IFF_VNET_HDR, so "none" costs nothing per frame.
	 */
	enum tap_offload mode = want == TAP_OFFLOAD_AUTO ? TAP_OFFLOAD_TSO : want;
	int fd =
	    tap_attach(name, IFF_TAP | IFF_NO_PI | (mode ? IFF_VNET_HDR : 0), ifname, err, errlen);
	if (fd < 0)
		return NULL;
	while (mode != TAP_OFFLOAD_NONE && tap_set_offload(fd, mode, err, errlen) < 0) {
		if (want != TAP_OFFLOAD_AUTO) {
			close(fd);
			size_t l = strlen(err);
			snprintf(err + l, errlen - l,
				 ": the kernel refuses --offload %s (try auto or none)",
				 tap_offload_name(want));
			return NULL;
		}
		mode = mode == TAP_OFFLOAD_TSO ? TAP_OFFLOAD_CSUM : TAP_OFFLOAD_NONE;
		if (mode == TAP_OFFLOAD_NONE) {
			close(fd);
			fd = tap_attach(name, IFF_TAP | IFF_NO_PI, ifname, err, errlen);
			if (fd < 0)
				return NULL;
		}
	}
	struct tap *t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->dev.ops = &tap_ops;
	t->fd = fd;
	t->mode = mode;
	snprintf(t->dev.name, sizeof(t->dev.name), "%s", ifname);
	if (got)
		*got = mode;
	return &t->dev;
}

int tap_set_io(struct netdev *dev, enum tap_io want, enum tap_io *got, char *err, size_t errlen)
{
	struct tap *t = (struct tap *)dev;
	if (dev->ops != &tap_ops) {
		snprintf(err, errlen, "--io applies to a TAP device, not %s", dev->name);
		return -EINVAL;
	}
	if (want == TAP_IO_PLAIN) {
		tap_txq_flush(t);
		tap_txq_free(t);
	} else if (want == TAP_IO_AUTO && RUNNING_ON_VALGRIND) {
		/* Memcheck does not see the kernel fill our buffers through
		 * io_uring, and would call every frame read uninitialised. */
	} else if (!t->txq) {
		struct tap_txq *q = calloc(1, sizeof(*q));
		int r = q ? 0 : -ENOMEM;
		if (q && !(q->slot = malloc(TAP_TXQ_SLOTS * sizeof(*q->slot))))
			r = -ENOMEM;
		if (!r)
			r = io_uring_queue_init(TAP_TXQ_SLOTS + TAP_RXQ_MAX, &q->ring, 0);
		if (r < 0) {
			if (q)
				free(q->slot);
			free(q);
			if (want == TAP_IO_URING) {
				snprintf(err, errlen,
					 "io_uring_queue_init: %s: io_uring is unavailable here "
					 "(sysctl kernel.io_uring_disabled, a seccomp filter, or a "
					 "kernel before 5.1): use --io plain",
					 strerror(-r));
				return r;
			}
		} else {
			t->txq = q;
		}
	}
	if (got)
		*got = t->txq ? TAP_IO_URING : TAP_IO_PLAIN;
	return 0;
}

struct netdev *tap_open(const char *name, char *err, size_t errlen)
{
	return tap_open_offload(name, TAP_OFFLOAD_NONE, NULL, err, errlen);
}

/*
 * tapstack setup: TUNSETIFF creates (or attaches to) the TAP, TUNSETOWNER
 * and TUNSETGROUP give it to uid / gid, TUNSETPERSIST keeps it when the fd
 * closes (what `ip tuntap add dev NAME mode tap user U` does through the
 * same ioctls).  An existing TAP gets the new owner.
 */
int tap_persist(const char *name, uid_t owner, gid_t group, char *err, size_t errlen)
{
	char ifname[IFNAMSIZ + 1];
	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "bad TAP name '%s': 1 to %d characters", name ? name : "",
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	int fd = tap_attach(name, IFF_TAP | IFF_NO_PI, ifname, err, errlen);
	if (fd < 0) {
		int e = errno;
		if (e == EPERM || e == EACCES)
			snprintf(err, errlen,
				 "creating %s: %s: setup needs root or CAP_NET_ADMIN (run it as "
				 "root, once)",
				 name, strerror(e));
		return -e;
	}
	const char *what = "TUNSETOWNER";
	int r = ioctl(fd, TUNSETOWNER, (unsigned long)owner);
	if (r == 0 && group != (gid_t)-1) {
		what = "TUNSETGROUP";
		r = ioctl(fd, TUNSETGROUP, (unsigned long)group);
	}
	if (r == 0) {
		what = "TUNSETPERSIST";
		r = ioctl(fd, TUNSETPERSIST, 1UL);
	}
	int e = errno;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "%s %s: %s", what, name, strerror(e));
		return -e;
	}
	return 0;
}

/* tapstack setup --remove: attach, TUNSETPERSIST 0, close: the kernel deletes it. */
int tap_unpersist(const char *name, char *err, size_t errlen)
{
	char ifname[IFNAMSIZ + 1];
	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "bad TAP name '%s': 1 to %d characters", name ? name : "",
			 IFNAMSIZ - 1);
		return -EINVAL;
	}
	/* TUNSETIFF would create a missing one: ask for its index first. */
	struct ifreq ifr = {0};
	memcpy(ifr.ifr_name, name, strlen(name));
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int found = s >= 0 && ioctl(s, SIOCGIFINDEX, &ifr) == 0;
	if (s >= 0)
		close(s);
	if (!found) {
		snprintf(err, errlen, "%s: no such interface in this network namespace", name);
		return -ENODEV;
	}
	int fd = tap_attach(name, IFF_TAP | IFF_NO_PI, ifname, err, errlen);
	if (fd < 0)
		return -errno;
	int r = ioctl(fd, TUNSETPERSIST, 0UL);
	int e = errno;
	close(fd);
	if (r < 0) {
		snprintf(err, errlen, "TUNSETPERSIST 0 %s: %s", name, strerror(e));
		return -e;
	}
	return 0;
}
