/*
 * sim_net.c - the virtual-clock loop, the virtual-time pcap writer and the
 * prefixing trace stream (see sim_net.h).
 */
#include "sim_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Rounds in a row that handle something without the clock moving before the
 * loop calls it a livelock (two nodes answering each other forever at one
 * instant).  A 10 MiB transfer needs far fewer.
 */
#define SIM_MAX_SPINS 5000000u

enum sim_end sim_run(struct sim_node *a, struct sim_node *b, uint64_t *now_us, uint64_t limit_us,
		     bool (*done)(void *ctx), void *ctx)
{
	uint64_t spins = 0;
	unsigned stuck = 0;

	for (;;) {
		if (done && done(ctx))
			return SIM_DONE;
		int handled = a->poll(a->ctx, *now_us);
		handled += b->poll(b->ctx, *now_us);
		if (handled > 0) {
			stuck = 0;
			if (++spins >= SIM_MAX_SPINS)
				return SIM_LIVELOCK;
			continue;
		}
		uint64_t da = a->next_deadline(a->ctx), db = b->next_deadline(b->ctx);
		uint64_t next = da < db ? da : db;
		if (next <= *now_us) {
			/* Due already but nothing handled: a frame one node released during
			 * its poll waits for the other.  One more round takes it; a deadline
			 * that polling never consumes gets a nudge so the loop moves on. */
			if (++stuck < 4)
				continue;
			next = *now_us + 1;
		}
		stuck = 0;
		if (*now_us >= limit_us)
			return done && done(ctx) ? SIM_DONE : SIM_TIMEOUT;
		*now_us = next < limit_us ? next : limit_us;
		spins = 0;
	}
}

/* ---- pcap on the virtual clock ------------------------------------------ */

/* The classic pcap format (libpcap savefile.c): microsecond stamps, LINKTYPE_ETHERNET. */
#define PCAP_MAGIC    0xa1b2c3d4u
#define PCAP_SNAPLEN  65535u
#define PCAP_ETHERNET 1u

struct sim_pcap {
	struct netdev dev;
	struct netdev *lower;
	FILE *f;
};

static void pcap_record(struct sim_pcap *p, const uint8_t *frame, size_t len, uint64_t now_us)
{
	uint32_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : (uint32_t)len;
	uint32_t hdr[4] = {(uint32_t)(now_us / 1000000u), (uint32_t)(now_us % 1000000u), caplen,
			   (uint32_t)len};
	fwrite(hdr, sizeof(hdr), 1, p->f);
	fwrite(frame, 1, caplen, p->f);
}

static ssize_t pcap_recv(struct netdev *d, uint8_t *buf, size_t cap, uint64_t now_us)
{
	struct sim_pcap *p = (struct sim_pcap *)d;
	ssize_t n = netdev_recv(p->lower, buf, cap, now_us);
	if (n > 0)
		pcap_record(p, buf, (size_t)n, now_us);
	return n;
}

static int pcap_send(struct netdev *d, const uint8_t *frame, size_t len, uint64_t now_us)
{
	struct sim_pcap *p = (struct sim_pcap *)d;
	int r = netdev_send(p->lower, frame, len, now_us);
	if (r == 0)
		pcap_record(p, frame, len, now_us);
	return r;
}

static int pcap_pollfd(struct netdev *d)
{
	return netdev_pollfd(((struct sim_pcap *)d)->lower);
}

static uint64_t pcap_next_deadline(struct netdev *d)
{
	return netdev_next_deadline(((struct sim_pcap *)d)->lower);
}

static void pcap_destroy(struct netdev *d)
{
	struct sim_pcap *p = (struct sim_pcap *)d;
	fclose(p->f);
	netdev_destroy(p->lower);
	free(p);
}

static const struct netdev_ops sim_pcap_ops = {
    .recv = pcap_recv,
    .send = pcap_send,
    .pollfd = pcap_pollfd,
    .next_deadline = pcap_next_deadline,
    .destroy = pcap_destroy,
};

struct netdev *sim_pcap_wrap(struct netdev *lower, const char *path, char *err, size_t errlen)
{
	struct sim_pcap *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->f = fopen(path, "wb");
	if (!p->f) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(p);
		return NULL;
	}
	uint32_t magic = PCAP_MAGIC, snaplen = PCAP_SNAPLEN, link = PCAP_ETHERNET, zero = 0;
	uint16_t major = 2, minor = 4;
	fwrite(&magic, 4, 1, p->f);
	fwrite(&major, 2, 1, p->f);
	fwrite(&minor, 2, 1, p->f);
	fwrite(&zero, 4, 1, p->f); /* thiszone */
	fwrite(&zero, 4, 1, p->f); /* sigfigs */
	fwrite(&snaplen, 4, 1, p->f);
	fwrite(&link, 4, 1, p->f);
	p->dev.ops = &sim_pcap_ops;
	snprintf(p->dev.name, sizeof(p->dev.name), "pcap(%.24s)", lower->name);
	p->lower = lower;
	return &p->dev;
}

/* ---- trace lines with the virtual time ------------------------------------ */

struct sim_trace {
	FILE *out;
	char name[16];
	const uint64_t *clock_us;
	char line[1024]; /* the line being written */
	size_t len;
};

static void trace_flush_line(struct sim_trace *t)
{
	uint64_t now = *t->clock_us - SIM_START_US;
	fprintf(t->out, "%6llu.%06llu %-6s | %.*s\n", (unsigned long long)(now / 1000000u),
		(unsigned long long)(now % 1000000u), t->name, (int)t->len, t->line);
	t->len = 0;
}

static ssize_t trace_write(void *cookie, const char *buf, size_t n)
{
	struct sim_trace *t = cookie;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || t->len == sizeof(t->line)) {
			trace_flush_line(t);
			if (buf[i] == '\n')
				continue;
		}
		t->line[t->len++] = buf[i];
	}
	return (ssize_t)n;
}

static int trace_close(void *cookie)
{
	struct sim_trace *t = cookie;
	if (t->len)
		trace_flush_line(t);
	fflush(t->out);
	free(t);
	return 0;
}

FILE *sim_trace_stream(FILE *out, const char *name, const uint64_t *clock_us)
{
	struct sim_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->out = out;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->clock_us = clock_us;
	cookie_io_functions_t io = {.write = trace_write, .close = trace_close};
	FILE *f = fopencookie(t, "w", io);
	if (!f) {
		free(t);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
