/*
 * pcap_tee.c - writes every frame the stack receives and sends to a pcap
 * file (libpcap pcap_dump), then passes it on unchanged (smoltcp
 * src/phy/pcap_writer.rs).
 *
 * Call order: recv: lower recv, then dump what it returned; send: dump,
 * then lower send (the capture shows what the stack sent even if the link
 * refused it).  Each frame is flushed at once so Wireshark can follow the
 * file live; that costs one write(2) per frame, the price of a capture that
 * is never behind.  No allocation per frame: pcap_dump writes from the
 * frame's own bytes, except for a frame whose checksum is left partial for
 * the device (netdev.h): that one is copied into a scratch buffer and
 * completed there (ts_csum_complete), so the capture shows the checksum
 * the wire carries, and the frame itself goes on untouched, still partial.
 * (tcpdump on a Linux host with offload shows the partial sum instead, and
 * Wireshark flags it "incorrect, maybe caused by TCP checksum offload".)
 *
 * Format: classic pcap, DLT_EN10MB (Ethernet II without FCS, exactly the
 * frames of netdev.h), snaplen 65535, timestamps from gettimeofday, or from
 * the stack's clock for a simulation (pcap_tee_wrap_stack_clock).
 */
#include "pcap_tee.h"

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define PCAP_TEE_SNAPLEN 65535

struct pcap_tee {
	struct netdev dev;
	struct netdev *lower;		   /* the wrapped device (owned) */
	pcap_t *dead;			   /* pcap_open_dead handle: link type and snaplen */
	pcap_dumper_t *dumper;		   /* the open file */
	bool stack_clock;		   /* stamp with now_us, not gettimeofday */
	uint8_t scratch[PCAP_TEE_SNAPLEN]; /* a partial frame, completed for the file */
};

static const struct netdev_ops pcap_tee_ops;

static void tee_dump(struct pcap_tee *t, const uint8_t *frame, size_t len,
		     const struct netdev_meta *meta, uint64_t now_us)
{
	struct pcap_pkthdr h;
	if (meta->csum == NETDEV_CSUM_PARTIAL && len <= sizeof(t->scratch)) {
		struct netdev_meta m = *meta;
		memcpy(t->scratch, frame, len);
		if (netdev_meta_complete(t->scratch, len, &m) == 0)
			frame = t->scratch; /* else: offsets outside the frame, shown as they are */
	}
	if (t->stack_clock) {
		h.ts.tv_sec = (time_t)(now_us / 1000000u);
		h.ts.tv_usec = (suseconds_t)(now_us % 1000000u);
	} else {
		gettimeofday(&h.ts, NULL);
	}
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < PCAP_TEE_SNAPLEN ? len : PCAP_TEE_SNAPLEN);
	pcap_dump((u_char *)t->dumper, &h, frame);
	pcap_dump_flush(t->dumper);
}

static ssize_t tee_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	ssize_t n = netdev_recv_meta(t->lower, buf, cap, meta, now_us);
	if (n > 0)
		tee_dump(t, buf, (size_t)n, meta, now_us);
	return n;
}

static int tee_send(struct netdev *dev, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	tee_dump(t, frame, len, meta, now_us);
	return netdev_send_meta(t->lower, frame, len, meta, now_us);
}

/* The lower device's: the tee needs no whole frame, it completes a copy. */
static void tee_caps(struct netdev *dev, struct netdev_caps *caps)
{
	netdev_caps(((struct pcap_tee *)dev)->lower, caps);
}

static int tee_pollfd(struct netdev *dev)
{
	return netdev_pollfd(((struct pcap_tee *)dev)->lower);
}

static uint64_t tee_next_deadline(struct netdev *dev)
{
	return netdev_next_deadline(((struct pcap_tee *)dev)->lower);
}

static void tee_destroy(struct netdev *dev)
{
	struct pcap_tee *t = (struct pcap_tee *)dev;
	pcap_dump_close(t->dumper);
	pcap_close(t->dead);
	netdev_destroy(t->lower);
	free(t);
}

static const struct netdev_ops pcap_tee_ops = {
    .recv = tee_recv,
    .send = tee_send,
    .caps = tee_caps,
    .pollfd = tee_pollfd,
    .next_deadline = tee_next_deadline,
    .destroy = tee_destroy,
};

static struct netdev *tee_wrap(struct netdev *lower, const char *path, bool stack_clock, char *err,
			       size_t errlen)
{
	struct pcap_tee *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->dead = pcap_open_dead(DLT_EN10MB, PCAP_TEE_SNAPLEN);
	if (!t->dead) {
		snprintf(err, errlen, "pcap_open_dead failed (out of memory?)");
		free(t);
		return NULL;
	}
	t->dumper = pcap_dump_open(t->dead, path);
	if (!t->dumper) {
		/* libpcap's message already names the file and the errno text. */
		snprintf(err, errlen, "%s", pcap_geterr(t->dead));
		pcap_close(t->dead);
		free(t);
		return NULL;
	}
	pcap_dump_flush(t->dumper); /* the file header, so the file is valid from the start */
	t->stack_clock = stack_clock;
	t->dev.ops = &pcap_tee_ops;
	snprintf(t->dev.name, sizeof(t->dev.name), "pcap(%.24s)", lower->name);
	t->lower = lower;
	return &t->dev;
}

struct netdev *pcap_tee_wrap(struct netdev *lower, const char *path, char *err, size_t errlen)
{
	return tee_wrap(lower, path, false, err, errlen);
}

struct netdev *pcap_tee_wrap_stack_clock(struct netdev *lower, const char *path, char *err,
					 size_t errlen)
{
	return tee_wrap(lower, path, true, err, errlen);
}
