/*
 * pcap_replay.c - a netdev whose received frames come from a pcap file
 * (libpcap offline) and whose sent frames are kept in memory, so a test can
 * feed a real capture to a stack and inspect every answer.
 *
 * Call order: recv returns the next record of the file (pcap_next_ex), then
 * 0 forever once the file is exhausted; the file's timestamps are ignored
 * (the stack's clock is the caller's business).  send appends a copy to a
 * growing array.
 */
#include "pcap_replay.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sent_frame {
	size_t len;    /* frame bytes */
	uint8_t *data; /* a copy of them */
};

struct pcap_replay {
	struct netdev dev;
	pcap_t *p;		 /* the offline capture; NULL once exhausted */
	struct sent_frame *sent; /* frames sent by the stack, in order */
	size_t n_sent, cap_sent; /* used and allocated entries */
};

static const struct netdev_ops pcap_replay_ops;

static ssize_t replay_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			   uint64_t now_us)
{
	struct pcap_replay *r = (struct pcap_replay *)dev;
	struct pcap_pkthdr *h;
	const u_char *data;

	(void)meta; /* a capture holds the bytes of the wire: nothing is partial */
	(void)now_us;
	if (!r->p)
		return 0;
	int rc = pcap_next_ex(r->p, &h, &data);
	if (rc != 1) {
		/* PCAP_ERROR_BREAK: end of file.  A damaged record ends the replay too:
		 * there is no way to resynchronise inside a pcap file. */
		pcap_close(r->p);
		r->p = NULL;
		return 0;
	}
	size_t n = h->caplen < cap ? h->caplen : cap;
	memcpy(buf, data, n);
	return (ssize_t)n;
}

static int replay_send(struct netdev *dev, const uint8_t *frame, size_t len,
		       const struct netdev_meta *meta, uint64_t now_us)
{
	struct pcap_replay *r = (struct pcap_replay *)dev;

	(void)now_us;
	if (!netdev_meta_is_plain(meta))
		return -EINVAL; /* we declared no offload */
	if (r->n_sent == r->cap_sent) {
		size_t cap = r->cap_sent ? r->cap_sent * 2 : 16;
		struct sent_frame *v = realloc(r->sent, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->sent = v;
		r->cap_sent = cap;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, frame, len);
	r->sent[r->n_sent].len = len;
	r->sent[r->n_sent].data = copy;
	r->n_sent++;
	return 0;
}

static void replay_destroy(struct netdev *dev)
{
	struct pcap_replay *r = (struct pcap_replay *)dev;
	if (r->p)
		pcap_close(r->p);
	for (size_t i = 0; i < r->n_sent; i++)
		free(r->sent[i].data);
	free(r->sent);
	free(r);
}

static const struct netdev_ops pcap_replay_ops = {
    .recv = replay_recv,
    .send = replay_send,
    .caps = NULL,   /* no offloads, jumbo frames */
    .pollfd = NULL, /* a file: every frame is ready at once */
    .next_deadline = NULL,
    .destroy = replay_destroy,
};

struct netdev *pcap_replay_open(const char *path, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, perr);
	if (!p) {
		snprintf(err, errlen, "%s", perr);
		return NULL;
	}
	if (pcap_datalink(p) != DLT_EN10MB) {
		snprintf(err, errlen, "%s: link type %s, expected Ethernet (EN10MB)", path,
			 pcap_datalink_val_to_name(pcap_datalink(p)) ?: "unknown");
		pcap_close(p);
		return NULL;
	}
	struct pcap_replay *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		pcap_close(p);
		return NULL;
	}
	r->dev.ops = &pcap_replay_ops;
	r->p = p;
	const char *base = strrchr(path, '/');
	snprintf(r->dev.name, sizeof(r->dev.name), "replay:%.24s", base ? base + 1 : path);
	return &r->dev;
}

size_t pcap_replay_sent(struct netdev *dev, size_t i, uint8_t *out, size_t cap)
{
	struct pcap_replay *r = (struct pcap_replay *)dev;
	if (dev->ops != &pcap_replay_ops || i >= r->n_sent)
		return 0;
	size_t n = r->sent[i].len < cap ? r->sent[i].len : cap;
	memcpy(out, r->sent[i].data, n);
	return n;
}

size_t pcap_replay_sent_count(struct netdev *dev)
{
	struct pcap_replay *r = (struct pcap_replay *)dev;
	return dev->ops == &pcap_replay_ops ? r->n_sent : 0;
}
