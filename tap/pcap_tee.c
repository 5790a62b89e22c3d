/*
 * pcap_tee.c - writes every frame the stack receives and sends to a capture
 * file, then passes it on unchanged (smoltcp src/phy/pcap_writer.rs), in
 * one of two formats:
 *
 *   pcap    classic pcap through libpcap's pcap_dump, DLT_EN10MB, snaplen
 *           65535 (--pcap);
 *   pcapng  written here (pcapng.c encodes the blocks): a section header,
 *           one interface description block for the link, and one
 *           enhanced packet block per frame with its direction in
 *           epb_flags and, for a received frame the stack dropped, the
 *           comment "drop: REASON (layer, reference)" (drop.h), which
 *           Wireshark shows as frame.comment (--pcapng).
 *
 * Either goes to a file or, for path "-", to standard output.
 *
 * Call order: recv: lower recv, then record what it returned; send:
 * record, then lower send (the capture shows what the stack sent even if
 * the link refused it).  Each frame is flushed at once so Wireshark can
 * follow the file live, or read it from a pipe; that costs one write(2)
 * per frame, the price of a capture that is never behind.
 *
 * pcapng and the drop comment: whether a received frame dies is known only
 * once the stack has handled it, which the stack tells the link with
 * rx_verdict (netdev.h) before it reads the next frame.  So the writer
 * keeps a copy of the received frame until its verdict, and frames the
 * stack sends meanwhile (the ARP reply, the RST or challenge ACK that
 * answers it) are encoded and queued behind it, so the file keeps the
 * order in which things happened; the verdict writes the lot in one
 * writev.  A frame whose verdict never comes (a caller that drives the
 * device without a stack) is written without a comment at the next recv
 * or when the device closes.  A frame the stack holds and drops later (a
 * UDP datagram unread when its socket closes) carries no comment: it was
 * written when it arrived.
 *
 * No allocation per frame: pcap_dump writes from the frame's own bytes,
 * the pcapng writer encodes into buffers that grow to the largest frame
 * seen and stay.  A frame whose checksum is left partial for the device
 * (netdev.h) is copied and completed in the copy (ts_csum_complete), so
 * the capture shows the checksum the wire carries, and the frame itself
 * goes on untouched, still partial.  (tcpdump on a Linux host with offload
 * shows the partial sum instead, and Wireshark flags it "incorrect, maybe
 * caused by TCP checksum offload".)
 *
 * Timestamps from gettimeofday, or from the stack's clock for a simulation
 * (pcap_tee_wrap_stack_clock).
 */
#include "pcap_tee.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "drop.h"
#include "pcapng.h"

#define PCAP_TEE_SNAPLEN 65535
/* pcapng records frames whole, GSO and GRO super-frames included. */
#define PCAPNG_TEE_SNAPLEN 262144

/* A buffer that grows and stays (no allocation per frame once warm). */
struct growbuf {
	uint8_t *p;
	size_t len, cap;
};

struct pcap_tee {
	struct netdev dev;
	struct netdev *lower; /* the wrapped device (owned) */
	bool stack_clock;     /* stamp with now_us, not gettimeofday */
	bool ng;	      /* pcapng, written here; else classic pcap through libpcap */
	/* pcap */
	pcap_t *dead;	       /* pcap_open_dead handle: link type and snaplen */
	pcap_dumper_t *dumper; /* the open file */
	/* pcapng */
	struct pcapng_file *file; /* shared by the links written to it (a reference) */
	uint32_t if_id;		  /* this link's interface (its IDB) in the file */
	bool rx_pending;	  /* rx holds a received frame awaiting its verdict */
	uint64_t rx_ts;		  /* its timestamp */
	struct growbuf rx;	  /* its bytes (checksum completed) */
	struct growbuf q;	  /* EPBs of frames sent while it awaits, in order */
	struct growbuf blk;	  /* one EPB being encoded */
	uint8_t *scratch;	  /* a partial frame, completed for the file */
	size_t scratch_cap;	  /* its size */
};

/*
 * A pcapng file: the section header, then for each link written to it an
 * interface description block and the link's frames.  Shared (counted
 * references) by the writers of the links in it, so that one file holds
 * both ends of the in-memory wire (tapstack sim).
 */
struct pcapng_file {
	int fd;	       /* the file, or STDOUT_FILENO */
	bool failed;   /* a write failed: the capture stopped (said once) */
	uint32_t n_if; /* interfaces described so far */
	unsigned refs; /* the opener's and each writer's */
};

static const struct netdev_ops pcap_tee_ops;

static int grow(struct growbuf *g, size_t need)
{
	if (need <= g->cap)
		return 0;
	size_t cap = g->cap ? g->cap : 2048;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(g->p, cap);
	if (!p)
		return -1;
	g->p = p;
	g->cap = cap;
	return 0;
}

static uint64_t tee_now(const struct pcap_tee *t, uint64_t now_us)
{
	if (t->stack_clock)
		return now_us;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/*
 * The bytes to record: frame itself, or for a PARTIAL frame a completed
 * copy in buf (grown to len); the frame as it is when the offsets lie
 * outside it or the copy cannot be had.
 */
static const uint8_t *tee_bytes(uint8_t **buf, size_t *cap, const uint8_t *frame, size_t len,
				const struct netdev_meta *meta)
{
	if (meta->csum != NETDEV_CSUM_PARTIAL)
		return frame;
	if (len > *cap) {
		uint8_t *p = realloc(*buf, len);
		if (!p)
			return frame;
		*buf = p;
		*cap = len;
	}
	struct netdev_meta m = *meta;
	memcpy(*buf, frame, len);
	return netdev_meta_complete(*buf, len, &m) == 0 ? *buf : frame;
}

static void pcap_record(struct pcap_tee *t, const uint8_t *frame, size_t len,
			const struct netdev_meta *meta, uint64_t now_us)
{
	struct pcap_pkthdr h;
	if (len <= PCAP_TEE_SNAPLEN)
		frame = tee_bytes(&t->scratch, &t->scratch_cap, frame, len, meta);
	uint64_t ts = tee_now(t, now_us);
	h.ts.tv_sec = (time_t)(ts / 1000000u);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000u);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < PCAP_TEE_SNAPLEN ? len : PCAP_TEE_SNAPLEN);
	pcap_dump((u_char *)t->dumper, &h, frame);
	pcap_dump_flush(t->dumper);
}

/* Writes iov whole (a pipe may take it in pieces); on failure stops the capture. */
static void file_write(struct pcapng_file *f, struct iovec *iov, int iovcnt)
{
	while (!f->failed && iovcnt > 0) {
		ssize_t n = writev(f->fd, iov, iovcnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EPIPE: the reader (tshark -i -, wireshark -k -i -) went away. */
			fprintf(stderr, "tapstack: capture: pcapng: %s; capture stopped\n",
				strerror(errno));
			f->failed = true;
			return;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
}

static void ng_write(struct pcap_tee *t, struct iovec *iov, int iovcnt)
{
	file_write(t->file, iov, iovcnt);
}

/* Encodes one EPB into t->blk; false when no memory (the frame goes unrecorded). */
static bool ng_encode(struct pcap_tee *t, uint64_t ts, const uint8_t *frame, size_t len,
		      enum pcapng_dir dir, const char *comment)
{
	size_t caplen = len < PCAPNG_TEE_SNAPLEN ? len : PCAPNG_TEE_SNAPLEN;
	if (grow(&t->blk, pcapng_epb_size(caplen, comment)) < 0)
		return false;
	t->blk.len = pcapng_epb(t->blk.p, t->if_id, ts, frame, caplen, len, dir, comment);
	return true;
}

/*
 * Writes the received frame held for its verdict, with the drop comment
 * when reason names one, then the frames sent meanwhile.
 */
static void ng_flush_rx(struct pcap_tee *t, enum ts_drop_reason reason)
{
	if (!t->rx_pending)
		return;
	t->rx_pending = false;
	char comment[PCAPNG_COMMENT_MAX];
	comment[0] = 0;
	if (reason != DROP_NONE)
		snprintf(comment, sizeof(comment), "drop: %s (%s, %s)", ts_drop_name(reason),
			 ts_drop_layer(reason), ts_drop_ref(reason));
	struct iovec iov[2];
	int n = 0;
	if (ng_encode(t, t->rx_ts, t->rx.p, t->rx.len, PCAPNG_DIR_INBOUND, comment))
		iov[n++] = (struct iovec){t->blk.p, t->blk.len};
	if (t->q.len)
		iov[n++] = (struct iovec){t->q.p, t->q.len};
	ng_write(t, iov, n);
	t->q.len = 0;
}

static void ng_record_rx(struct pcap_tee *t, const uint8_t *frame, size_t len,
			 const struct netdev_meta *meta, uint64_t now_us)
{
	if (t->file->failed || grow(&t->rx, len) < 0)
		return;
	memcpy(t->rx.p, frame, len);
	t->rx.len = len;
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		struct netdev_meta m = *meta;
		netdev_meta_complete(t->rx.p, len, &m); /* offsets outside: shown as they are */
	}
	t->rx_ts = tee_now(t, now_us);
	t->rx_pending = true;
}

static void ng_record_tx(struct pcap_tee *t, const uint8_t *frame, size_t len,
			 const struct netdev_meta *meta, uint64_t now_us)
{
	if (t->file->failed)
		return;
	frame = tee_bytes(&t->scratch, &t->scratch_cap, frame, len, meta);
	if (!ng_encode(t, tee_now(t, now_us), frame, len, PCAPNG_DIR_OUTBOUND, NULL))
		return;
	if (!t->rx_pending) {
		struct iovec iov = {t->blk.p, t->blk.len};
		ng_write(t, &iov, 1);
		return;
	}
	/* Behind the received frame that awaits its verdict. */
	if (grow(&t->q, t->q.len + t->blk.len) < 0)
		return;
	memcpy(t->q.p + t->q.len, t->blk.p, t->blk.len);
	t->q.len += t->blk.len;
}

static ssize_t tee_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	if (t->ng)
		ng_flush_rx(t, DROP_NONE); /* no verdict came for the last one */
	ssize_t n = netdev_recv_meta(t->lower, buf, cap, meta, now_us);
	if (n > 0) {
		if (t->ng)
			ng_record_rx(t, buf, (size_t)n, meta, now_us);
		else
			pcap_record(t, buf, (size_t)n, meta, now_us);
	}
	return n;
}

static int tee_send(struct netdev *dev, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	if (t->ng)
		ng_record_tx(t, frame, len, meta, now_us);
	else
		pcap_record(t, frame, len, meta, now_us);
	return netdev_send_meta(t->lower, frame, len, meta, now_us);
}

static void tee_rx_verdict(struct netdev *dev, enum ts_drop_reason reason, uint64_t now_us)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	if (t->ng)
		ng_flush_rx(t, reason);
	netdev_rx_verdict(t->lower, reason, now_us);
}

/* The lower device's: the tee needs no whole frame, it completes a copy. */
static void tee_caps(struct netdev *dev, struct netdev_caps *caps)
{
	netdev_caps(((struct pcap_tee *)dev)->lower, caps);
}

static int tee_flush(struct netdev *dev, uint64_t now_us)
{
	return netdev_flush(((struct pcap_tee *)dev)->lower, now_us);
}

static int tee_pollfd(struct netdev *dev)
{
	return netdev_pollfd(((struct pcap_tee *)dev)->lower);
}

static uint64_t tee_next_deadline(struct netdev *dev)
{
	return netdev_next_deadline(((struct pcap_tee *)dev)->lower);
}

static void tee_free(struct pcap_tee *t)
{
	if (t->dumper)
		pcap_dump_close(t->dumper);
	if (t->dead)
		pcap_close(t->dead);
	if (t->file)
		pcapng_file_close(t->file);
	free(t->rx.p);
	free(t->q.p);
	free(t->blk.p);
	free(t->scratch);
	free(t);
}

static void tee_destroy(struct netdev *dev)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	if (t->ng)
		ng_flush_rx(t, DROP_NONE);
	netdev_destroy(t->lower);
	tee_free(t);
}

static const struct netdev_ops pcap_tee_ops = {
    .recv = tee_recv,
    .send = tee_send,
    .rx_verdict = tee_rx_verdict,
    .caps = tee_caps,
    .flush = tee_flush,
    .pollfd = tee_pollfd,
    .next_deadline = tee_next_deadline,
    .destroy = tee_destroy,
};

static int classic_open(struct pcap_tee *t, const char *path, char *err, size_t errlen)
{
	t->dead = pcap_open_dead(DLT_EN10MB, PCAP_TEE_SNAPLEN);
	if (!t->dead) {
		snprintf(err, errlen, "pcap_open_dead failed (out of memory?)");
		return -1;
	}
	t->dumper = pcap_dump_open(t->dead, path); /* "-": standard output */
	if (!t->dumper) {
		/* libpcap's message already names the file and the errno text. */
		snprintf(err, errlen, "%s", pcap_geterr(t->dead));
		return -1;
	}
	pcap_dump_flush(t->dumper); /* the file header, so the file is valid from the start */
	return 0;
}

struct pcapng_file *pcapng_file_open(const char *path, char *err, size_t errlen)
{
	struct pcapng_file *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->refs = 1;
	if (!strcmp(path, "-")) {
		f->fd = STDOUT_FILENO;
	} else {
		f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (f->fd < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(f);
			return NULL;
		}
	}
	uint8_t shb[PCAPNG_HDR_BLOCK_MAX];
	struct iovec iov = {shb, pcapng_shb(shb, "tapstack")};
	file_write(f, &iov, 1);
	if (f->failed) {
		snprintf(err, errlen, "%s: cannot write", path);
		pcapng_file_close(f);
		return NULL;
	}
	return f;
}

void pcapng_file_close(struct pcapng_file *f)
{
	if (!f || --f->refs)
		return;
	if (f->fd != STDOUT_FILENO)
		close(f->fd);
	free(f);
}

static struct pcap_tee *tee_new(struct netdev *lower, bool ng, bool stack_clock, char *err,
				size_t errlen)
{
	struct pcap_tee *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->ng = ng;
	t->stack_clock = stack_clock;
	t->dev.ops = &pcap_tee_ops;
	snprintf(t->dev.name, sizeof(t->dev.name), "%s(%.22s)", ng ? "pcapng" : "pcap",
		 lower->name);
	return t;
}

static struct netdev *pcap_wrap(struct netdev *lower, const char *path, bool stack_clock, char *err,
				size_t errlen)
{
	struct pcap_tee *t = tee_new(lower, false, stack_clock, err, errlen);
	if (!t)
		return NULL;
	if (classic_open(t, path, err, errlen) < 0) {
		tee_free(t);
		return NULL;
	}
	t->lower = lower;
	return &t->dev;
}

struct netdev *pcapng_tee_wrap_file(struct netdev *lower, struct pcapng_file *f,
				    const char *if_name, bool stack_clock, char *err, size_t errlen)
{
	struct pcap_tee *t = tee_new(lower, true, stack_clock, err, errlen);
	if (!t)
		return NULL;
	/* This link's interface description, before any of its frames. */
	uint8_t idb[PCAPNG_HDR_BLOCK_MAX];
	struct iovec iov = {idb, pcapng_idb(idb, PCAPNG_LINKTYPE_ETHERNET, PCAPNG_TEE_SNAPLEN,
					    if_name ? if_name : lower->name)};
	file_write(f, &iov, 1);
	if (f->failed) {
		snprintf(err, errlen, "cannot write the interface description");
		tee_free(t);
		return NULL;
	}
	t->if_id = f->n_if++;
	t->file = f;
	f->refs++;
	t->lower = lower;
	return &t->dev;
}

static struct netdev *pcapng_wrap(struct netdev *lower, const char *path, bool stack_clock,
				  char *err, size_t errlen)
{
	struct pcapng_file *f = pcapng_file_open(path, err, errlen);
	if (!f)
		return NULL;
	struct netdev *d = pcapng_tee_wrap_file(lower, f, NULL, stack_clock, err, errlen);
	pcapng_file_close(f); /* the writer holds its own reference */
	return d;
}

struct netdev *pcap_tee_wrap(struct netdev *lower, const char *path, char *err, size_t errlen)
{
	return pcap_wrap(lower, path, false, err, errlen);
}

struct netdev *pcap_tee_wrap_stack_clock(struct netdev *lower, const char *path, char *err,
					 size_t errlen)
{
	return pcap_wrap(lower, path, true, err, errlen);
}

struct netdev *pcapng_tee_wrap(struct netdev *lower, const char *path, char *err, size_t errlen)
{
	return pcapng_wrap(lower, path, false, err, errlen);
}

struct netdev *pcapng_tee_wrap_stack_clock(struct netdev *lower, const char *path, char *err,
					   size_t errlen)
{
	return pcapng_wrap(lower, path, true, err, errlen);
}
