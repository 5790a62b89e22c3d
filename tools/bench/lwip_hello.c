/*
 * lwip_hello.c - the "lwIP on TAP" contender of `make bench`: the same
 * /hello and /bytes/N server (hello_http.h) on Debian's liblwip-dev 2.1.3,
 * attached to the TAP by a small netif driver of its own.
 *
 *   [LWIP_HELLO_INPUT=mbox] [LWIP_HELLO_TAP=tap0] lwip_hello [IP [GW [PORT]]]
 *                              (defaults 10.0.0.2/24, gw 10.0.0.1, port 8080)
 *
 * How Debian's build runs (read /usr/include/lwip/lwipopts.h): NO_SYS=0
 * with core locking (LWIP_TCPIP_CORE_LOCKING=1), so tcpip_init() starts
 * the "tcpip" thread (timers, callbacks posted to it).  A reader thread
 * here reads frames from the TAP until EAGAIN and then poll()s; each frame
 * goes up one of two ways, both lwIP's own:
 *   - default, lwIP at its best: ethernet_input() right there in the
 *     reader thread, under the core lock (LOCK_TCPIP_CORE, what core
 *     locking is for), taken once per batch of frames: a frame is handled
 *     where it was read, no thread switch;
 *   - LWIP_HELLO_INPUT=mbox: tcpip_input(), which posts every frame to the
 *     tcpip thread through a mailbox, two thread switches per frame (what
 *     lwIP's contrib tapif driver does; `make bench` keeps it as a second
 *     row).
 * Why not contrib's tapif driver, which the first version used: Debian's
 * build of it overruns the pbufs it reads a full-sized frame into
 * (valgrind: pbuf_take writes past a 616-octet pool pbuf), so lwIP died as
 * soon as a client sent it data (the upload figure); this driver takes
 * one PBUF_RAM pbuf per frame.  The MAC is tapif's 02:12:34:56:78:ab.
 * MEMP_MEM_MALLOC=1 there, so PCB and pbuf pools are malloc()ed without a
 * count limit: 10,000 connections fit.
 *
 * The server uses the raw TCP API (callbacks under the core lock), which is
 * how lwIP's own httpd is written and its fastest path: headers are copied
 * into lwIP's queue, bulk bytes are queued by reference (PBUF_ROM) from one
 * static 64 KiB pattern buffer and topped up from the sent callback.  Port
 * 9 is a discard service (RFC 863) for the upload figure.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include "hello_http.h"

struct conn {
	struct tcp_pcb *pcb;
	bool close_after;
	uint64_t bulk_left;
	uint64_t bulk_pos;
	char *in; /* unparsed request bytes */
	size_t in_len;
};

/* Everything the tcpip thread touches; written only from that thread. */
static struct {
	struct netif netif;
	struct hh_date date;
	unsigned char pattern[HH_PATTERN];
	ip4_addr_t ip, mask, gw;
	u16_t port;
} S;

static void conn_free(struct conn *c)
{
	free(c->in);
	free(c);
}

/* Closes gracefully (FIN after queued data); aborts if lwIP has no memory. */
static err_t conn_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	conn_free(c);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

/* Queues as much of the bulk body as the send buffer takes. */
static void pump(struct conn *c)
{
	while (c->bulk_left) {
		u16_t room = tcp_sndbuf(c->pcb);
		if (room < TCP_MSS && room < c->bulk_left)
			break;
		if (tcp_sndqueuelen(c->pcb) + 4 >= TCP_SND_QUEUELEN)
			break;
		size_t off = (size_t)(c->bulk_pos % HH_PERIOD);
		size_t n = HH_PATTERN - off;
		if (n > room)
			n = room;
		if (n > c->bulk_left)
			n = (size_t)c->bulk_left;
		u8_t more = n < c->bulk_left ? TCP_WRITE_FLAG_MORE : 0;
		if (tcp_write(c->pcb, S.pattern + off, (u16_t)n, more) != ERR_OK)
			break;
		c->bulk_left -= n;
		c->bulk_pos += n;
	}
}

/*
 * Answers complete requests from c->in until a bulk body is pending; the
 * remainder waits there (pipelining, RFC 9112 §9.3.2).  Returns false when
 * the connection is gone (c freed): closed, or aborted when *aborted is set.
 */
static bool serve(struct conn *c, bool *aborted)
{
	size_t used = 0;
	while (!c->bulk_left && !c->close_after && used < c->in_len) {
		struct hh_req r;
		long h = hh_parse(c->in + used, c->in_len - used, &r);
		if (h == 0)
			break;
		if (h < 0) {
			r = (struct hh_req){.kind = HH_BAD, .close = true};
			h = (long)(c->in_len - used);
		}
		used += (size_t)h;
		char out[512];
		size_t olen = hh_response(out, &r, &S.date);
		if (tcp_sndbuf(c->pcb) < olen ||
		    tcp_write(c->pcb, out, (u16_t)olen, TCP_WRITE_FLAG_COPY) != ERR_OK) {
			/* No room even for a head: the client is not reading. */
			tcp_abort(c->pcb);
			conn_free(c);
			*aborted = true;
			return false;
		}
		c->bulk_left = hh_body_len(&r);
		c->bulk_pos = 0;
		c->close_after = r.close;
	}
	if (used) {
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
	}
	pump(c);
	tcp_output(c->pcb);
	if (c->close_after && !c->bulk_left) {
		*aborted = conn_close(c) == ERR_ABRT;
		return false;
	}
	return true;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;
	(void)pcb;
	(void)len;
	if (!c)
		return ERR_OK;
	if (c->bulk_left) {
		pump(c);
		tcp_output(c->pcb);
		if (c->bulk_left)
			return ERR_OK;
	}
	bool aborted = false;
	serve(c, &aborted);
	return aborted ? ERR_ABRT : ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;
	if (!c) {
		if (p) {
			tcp_recved(pcb, p->tot_len);
			pbuf_free(p);
		}
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return conn_close(c);
	}
	if (c->in_len + p->tot_len > HH_MAX_HEAD * 2) {
		/* More unanswered bytes than two header blocks: 400 and close. */
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		c->in_len = 0;
		struct hh_req r = {.kind = HH_BAD, .close = true};
		char out[512];
		size_t olen = hh_response(out, &r, &S.date);
		tcp_write(pcb, out, (u16_t)olen, TCP_WRITE_FLAG_COPY);
		c->bulk_left = 0;
		return conn_close(c);
	}
	char *in = realloc(c->in, c->in_len + p->tot_len);
	if (!in)
		return ERR_MEM; /* lwIP keeps p as refused data and retries */
	c->in = in;
	pbuf_copy_partial(p, c->in + c->in_len, p->tot_len, 0);
	c->in_len += p->tot_len;
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	bool aborted = false;
	if (serve(c, &aborted) && c->in_len == 0) {
		/* Idle keep-alive connection: give the buffer back. */
		free(c->in);
		c->in = NULL;
	}
	return aborted ? ERR_ABRT : ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	(void)err;
	if (arg)
		conn_free(arg); /* the pcb is already gone */
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->pcb = pcb;
	tcp_nagle_disable(pcb);
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	return ERR_OK;
}

/* Discard (RFC 863): every byte received is acknowledged and dropped; EOF closes. */
static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		tcp_arg(pcb, NULL);
		tcp_recv(pcb, NULL);
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	tcp_recved(pcb, p->tot_len);
	pbuf_free(p);
	return ERR_OK;
}

static err_t discard_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	tcp_recv(pcb, discard_recv);
	return ERR_OK;
}

/* ---- the TAP netif driver ---- */

static struct {
	int fd;	   /* /dev/net/tun attached to the TAP, non-blocking */
	bool mbox; /* frames go through tcpip_input's mailbox */
} T;

/* Sends one frame (called under the core lock): a pbuf chain, copied out once. */
static err_t tap_linkoutput(struct netif *n, struct pbuf *p)
{
	(void)n;
	unsigned char f[1600];
	if (p->tot_len > sizeof(f))
		return ERR_BUF;
	u16_t len = pbuf_copy_partial(p, f, p->tot_len, 0);
	return write(T.fd, f, len) == len ? ERR_OK : ERR_IF;
}

static err_t tap_netif_init(struct netif *n)
{
	static const u8_t mac[6] = {0x02, 0x12, 0x34, 0x56, 0x78, 0xab};
	n->name[0] = 't';
	n->name[1] = 'p';
	n->output = etharp_output;
	n->linkoutput = tap_linkoutput;
	n->mtu = 1500;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, mac, 6);
	n->flags =
	    NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
	return ERR_OK;
}

/* Reads frames until EAGAIN, hands each up, then sleeps in poll(). */
static void *tap_reader(void *arg)
{
	struct netif *n = arg;
	unsigned char f[1600];
	for (;;) {
		struct pollfd pfd = {.fd = T.fd, .events = POLLIN};
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return NULL;
		if (!T.mbox)
			LOCK_TCPIP_CORE();
		for (;;) {
			ssize_t len = read(T.fd, f, sizeof(f));
			if (len <= 0)
				break;
			struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
			if (!p)
				continue;
			pbuf_take(p, f, (u16_t)len);
			if ((T.mbox ? tcpip_input(p, n) : ethernet_input(p, n)) != ERR_OK)
				pbuf_free(p);
		}
		if (!T.mbox)
			UNLOCK_TCPIP_CORE();
	}
}

static int tap_open(const char *name)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("lwip_hello: TAP");
		exit(1);
	}
	return fd;
}

/* Runs in the tcpip thread once it is up. */
static void setup(void *arg)
{
	(void)arg;
	netif_add(&S.netif, &S.ip, &S.mask, &S.gw, NULL, tap_netif_init,
		  T.mbox ? tcpip_input : ethernet_input);
	netif_set_default(&S.netif);
	netif_set_up(&S.netif);
	pthread_t th;
	pthread_create(&th, NULL, tap_reader, &S.netif);

	struct tcp_pcb *l = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!l || tcp_bind(l, IP4_ADDR_ANY, S.port) != ERR_OK) {
		fprintf(stderr, "lwip_hello: cannot bind port %u\n", S.port);
		exit(1);
	}
	l = tcp_listen_with_backlog(l, 255);
	tcp_accept(l, on_accept);
	struct tcp_pcb *d = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!d || tcp_bind(d, IP4_ADDR_ANY, 9) != ERR_OK) {
		fprintf(stderr, "lwip_hello: cannot bind port 9\n");
		exit(1);
	}
	d = tcp_listen_with_backlog(d, 16);
	tcp_accept(d, discard_accept);
	fprintf(stderr, "lwip_hello: %s listening on :%u and discard :9 (lwIP %s, input %s)\n",
		ip4addr_ntoa(&S.ip), S.port, LWIP_VERSION_STRING,
		T.mbox ? "tcpip_input via mailbox" : "ethernet_input under the core lock");
}

int main(int argc, char **argv)
{
	const char *ip = argc > 1 ? argv[1] : "10.0.0.2";
	const char *gw = argc > 2 ? argv[2] : "10.0.0.1";
	S.port = (u16_t)(argc > 3 ? atoi(argv[3]) : 8080);
	if (!ip4addr_aton(ip, &S.ip) || !ip4addr_aton(gw, &S.gw)) {
		fprintf(stderr, "usage: lwip_hello [IP [GW [PORT]]]\n");
		return 2;
	}
	IP4_ADDR(&S.mask, 255, 255, 255, 0);
	hh_fill_pattern(S.pattern);
	const char *how = getenv("LWIP_HELLO_INPUT"), *tap = getenv("LWIP_HELLO_TAP");
	T.mbox = how && !strcmp(how, "mbox");
	T.fd = tap_open(tap ? tap : "tap0");
	signal(SIGPIPE, SIG_IGN);

	tcpip_init(setup, NULL);
	for (;;)
		pause(); /* SIGTERM's default action ends the process */
}
