/*
 * sim_peer.c - a stack and its application on a virtual clock (see
 * sim_peer.h).
 *
 * The server is the main loop of `tapstack serve` turned inside out: each
 * round dispatches the ready events of its one ts_epoll instance to the
 * HTTP server and the services (tools/services/) and expires idle HTTP
 * connections.  The client is one task, each a small non-blocking state
 * machine over the ts_ API: GET through http/client.c's step form, the TCP
 * echo writer/reader, ping through the ICMP echo hook, UDP echo.
 *
 * Bodies are checked as they arrive (byte i of /bytes/N is i % 251), so a
 * 2 GiB transfer needs no 2 GiB buffer: http/client.c writes the body to a
 * kernel fd, here a memfd that is read back and rewound after each step.
 */
#include "sim_peer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client.h"
#include "handler.h"
#include "icmp.h"
#include "server.h"
#include "services.h"
#include "tapstack.h"

/* A fixed Date for the server (2026-01-01 00:00:00 UTC), plus the virtual clock. */
#define SIM_DATE_BASE_S 1767225600u
/* Ping: one request per second; the last reply may come up to 2 s late. */
#define SIM_PING_INTERVAL_US 1000000u
#define SIM_PING_WAIT_US     2000000u
/* Echo/UDP: how much the client keeps in flight. */
#define SIM_CHUNK 16384
/* Port of the UDP echo client. */
#define SIM_UDP_PORT 40007

struct sim_peer {
	enum sim_role role;
	struct stack st;
	bool started;
	/* server */
	int epfd;
	struct http_server *http;
	struct services *svc;
	/* client */
	struct sim_task task;
	struct sim_result res;
	struct http_client hc;
	int hc_state; /* last http_client_step result: 1 running, 0 done, -1 failed */
	int body_fd;  /* memfd the GET body lands in */
	char hc_err[256];
	struct http_get_result hres;
	int fd;		    /* echo / UDP socket */
	uint64_t tx, rx;    /* echo: bytes written, bytes read back and checked */
	bool tx_shut;	    /* echo: shutdown(SHUT_WR) done */
	uint64_t next_us;   /* ping/UDP: when the next request goes */
	uint64_t last_us;   /* ping/UDP: when the last request went */
	uint8_t buf[65536]; /* scratch */
	uint8_t pattern[SIM_CHUNK + 251];
};

void sim_peer_config(struct ts_config *cfg, enum sim_role role, uint64_t seed)
{
	ts_config_default(cfg);
	bool client = role == SIM_CLIENT;
	cfg->ip = client ? SIM_CLIENT_IP : SIM_SERVER_IP;
	cfg->prefix_len = 24;
	memcpy(cfg->mac, (uint8_t[6]){0x02, 0, 0, 0, 0, client ? 0x01 : 0x02}, 6);
	cfg->seed = seed * 2 + (client ? 1 : 2);
	cfg->gratuitous_arp = false;
}

static void finish(struct sim_peer *p, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void finish(struct sim_peer *p, bool ok, const char *fmt, ...)
{
	va_list ap;
	if (p->res.finished)
		return;
	p->res.finished = true;
	p->res.ok = ok;
	p->res.done_us = p->st.now_us;
	va_start(ap, fmt);
	vsnprintf(p->res.what, sizeof(p->res.what), fmt, ap);
	va_end(ap);
}

/* ---- GET ------------------------------------------------------------------- */

/* Checks and forgets the body bytes the client wrote since the last call. */
static bool body_take(struct sim_peer *p)
{
	off_t end = lseek(p->body_fd, 0, SEEK_CUR);
	off_t off = 0;
	while (off < end) {
		size_t want =
		    (size_t)(end - off) < sizeof(p->buf) ? (size_t)(end - off) : sizeof(p->buf);
		ssize_t n = pread(p->body_fd, p->buf, want, off);
		if (n <= 0)
			return false;
		for (ssize_t i = 0; i < n; i++) {
			if (p->task.kind == SIM_TASK_BYTES &&
			    p->buf[i] != (uint8_t)((p->res.bytes + (uint64_t)i) % 251)) {
				finish(p, false, "body byte %llu is %u, expected %u (i %% 251)",
				       (unsigned long long)(p->res.bytes + (uint64_t)i), p->buf[i],
				       (unsigned)((p->res.bytes + (uint64_t)i) % 251));
				return false;
			}
			if (p->task.kind == SIM_TASK_GET &&
			    p->res.body_len < sizeof(p->res.body) - 1)
				p->res.body[p->res.body_len++] = (char)p->buf[i];
		}
		p->res.bytes += (uint64_t)n;
		off += n;
	}
	lseek(p->body_fd, 0, SEEK_SET); /* rewind: the next step overwrites from the start */
	return true;
}

static int get_start(struct sim_peer *p)
{
	char url[300];
	p->body_fd = memfd_create("sim-body", MFD_CLOEXEC);
	if (p->body_fd < 0)
		return -errno;
	const char *path = p->task.path;
	char bytes_path[64];
	if (p->task.kind == SIM_TASK_BYTES) {
		snprintf(bytes_path, sizeof(bytes_path), "/bytes/%llu",
			 (unsigned long long)p->task.n);
		path = bytes_path;
	}
	snprintf(url, sizeof(url), "http://10.0.0.2:8080%s", path);
	p->hc_state = http_client_start(&p->hc, &p->st, url, p->body_fd, &p->hres, p->hc_err,
					sizeof(p->hc_err));
	if (p->hc_state < 0)
		finish(p, false, "GET %s: %s", path, p->hc_err);
	else
		p->hc_state = 1;
	return 0;
}

static int get_step(struct sim_peer *p)
{
	if (p->hc_state <= 0)
		return 0;
	uint64_t before = p->res.bytes;
	int state = p->hc_state;
	p->hc_state = http_client_step(&p->hc);
	if (!body_take(p)) {
		http_client_abort(&p->hc);
		p->hc_state = -1;
		return 1;
	}
	const char *path = p->task.path;
	if (p->hc_state == 0) {
		p->res.http_status = p->hres.status;
		bool ok = p->hres.status == 200 &&
			  (p->task.kind != SIM_TASK_BYTES || p->res.bytes == p->task.n);
		if (p->task.kind == SIM_TASK_BYTES)
			finish(p, ok, "GET /bytes/%llu: HTTP %d, %llu bytes%s",
			       (unsigned long long)p->task.n, p->hres.status,
			       (unsigned long long)p->res.bytes,
			       ok ? ", every byte i = i % 251" : ", wrong length");
		else
			finish(p, ok, "GET %s: HTTP %d, %llu bytes", path, p->hres.status,
			       (unsigned long long)p->res.bytes);
	} else if (p->hc_state < 0) {
		finish(p, false, "GET failed after %llu body bytes: %s",
		       (unsigned long long)p->res.bytes, p->hc_err);
	}
	return p->hc_state != state || p->res.bytes != before;
}

/* ---- TCP echo -------------------------------------------------------------- */

static int echo_start(struct sim_peer *p)
{
	p->fd = ts_socket(&p->st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	if (p->fd < 0)
		return -errno;
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons(SERVICES_ECHO_PORT),
				  .sin_addr.s_addr = htonl(SIM_SERVER_IP)};
	if (ts_connect(&p->st, p->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS)
		return -errno;
	for (size_t i = 0; i < sizeof(p->pattern); i++)
		p->pattern[i] = (uint8_t)(i % 251);
	return 0;
}

static int echo_step(struct sim_peer *p)
{
	int work = 0;
	struct stack *st = &p->st;
	while (p->tx < p->task.n) {
		uint64_t left = p->task.n - p->tx;
		size_t n = left < SIM_CHUNK ? (size_t)left : SIM_CHUNK;
		ssize_t w = ts_write(st, p->fd, p->pattern + p->tx % 251, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == ENOTCONN)
				break;
			finish(p, false, "echo: write after %llu bytes: %s",
			       (unsigned long long)p->tx, strerror(errno));
			return 1;
		}
		p->tx += (uint64_t)w;
		work = 1;
	}
	if (p->tx == p->task.n && !p->tx_shut) {
		p->tx_shut = ts_shutdown(st, p->fd, SHUT_WR) == 0;
		work |= p->tx_shut;
	}
	for (;;) {
		ssize_t n = ts_read(st, p->fd, p->buf, sizeof(p->buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == ENOTCONN)
				break;
			finish(p, false, "echo: read after %llu bytes: %s",
			       (unsigned long long)p->rx, strerror(errno));
			return 1;
		}
		if (n == 0) {
			bool ok = p->rx == p->task.n;
			finish(p, ok, "echo %llu bytes: %llu came back%s",
			       (unsigned long long)p->task.n, (unsigned long long)p->rx,
			       ok ? ", every byte i = i % 251" : " before the close");
			return 1;
		}
		for (ssize_t i = 0; i < n; i++)
			if (p->buf[i] != (uint8_t)((p->rx + (uint64_t)i) % 251)) {
				finish(p, false, "echo: byte %llu came back as %u, sent %u",
				       (unsigned long long)(p->rx + (uint64_t)i), p->buf[i],
				       (unsigned)((p->rx + (uint64_t)i) % 251));
				return 1;
			}
		p->rx += (uint64_t)n;
		p->res.bytes = p->rx;
		work = 1;
	}
	return work;
}

/* ---- ping and UDP echo ------------------------------------------------------- */

static void ping_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		       size_t len, uint8_t ttl)
{
	struct sim_peer *p = ctx;
	(void)ttl;
	if (src != SIM_SERVER_IP || id != 0x5157 || seq == 0 || seq > p->res.sent)
		return;
	if (len != p->task.size) {
		finish(p, false, "ping: reply %u has %zu bytes of data, sent %u", seq, len,
		       p->task.size);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (data[i] != (uint8_t)((i + seq) % 251)) {
			finish(p, false, "ping: reply %u differs from the request at data byte %zu",
			       seq, i);
			return;
		}
	p->res.received++;
}

static int udp_start(struct sim_peer *p)
{
	p->fd = ts_socket(&p->st, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
	if (p->fd < 0)
		return -errno;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(SIM_UDP_PORT)};
	if (ts_bind(&p->st, p->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	return 0;
}

/* Ping and UDP echo: one request per interval, done when all came back or the wait ran out. */
static int request_step(struct sim_peer *p)
{
	int work = 0;
	struct stack *st = &p->st;
	bool udp = p->task.kind == SIM_TASK_UDP;
	if (udp) {
		for (;;) {
			ssize_t n = ts_recvfrom(st, p->fd, p->buf, sizeof(p->buf), 0, NULL, NULL);
			if (n < 0)
				break;
			work = 1;
			bool same = (size_t)n == p->task.size;
			uint32_t seq = p->task.size >= 4 ? p->buf[0] | (uint32_t)p->buf[1] << 8 : 0;
			for (ssize_t i = 4; same && i < n; i++)
				same = p->buf[i] == (uint8_t)((i + seq) % 251);
			if (!same) {
				finish(p, false, "udp: a datagram came back changed (%zd bytes)",
				       n);
				return 1;
			}
			p->res.received++;
		}
	}
	if (p->res.sent < p->task.count && st->now_us >= p->next_us) {
		uint32_t seq = ++p->res.sent;
		for (uint32_t i = 0; i < p->task.size; i++)
			p->buf[i] = (uint8_t)((i + seq) % 251);
		int r;
		if (udp) {
			if (p->task.size >= 4) {
				p->buf[0] = (uint8_t)seq;
				p->buf[1] = (uint8_t)(seq >> 8);
				p->buf[2] = p->buf[3] = 0;
			}
			struct sockaddr_in to = {.sin_family = AF_INET,
						 .sin_port = htons(SERVICES_ECHO_PORT),
						 .sin_addr.s_addr = htonl(SIM_SERVER_IP)};
			r = ts_sendto(st, p->fd, p->buf, p->task.size, 0, (struct sockaddr *)&to,
				      sizeof(to)) < 0
				? -errno
				: 0;
		} else {
			r = icmp_echo_request(st, SIM_SERVER_IP, 0x5157, (uint16_t)seq, p->buf,
					      p->task.size);
		}
		if (r < 0 && r != -EAGAIN && r != -ENOBUFS) {
			finish(p, false, "%s: sending request %u: %s", udp ? "udp" : "ping", seq,
			       strerror(-r));
			return 1;
		}
		p->last_us = st->now_us;
		p->next_us = st->now_us + SIM_PING_INTERVAL_US;
		work = 1;
	}
	bool all_sent = p->res.sent == p->task.count;
	if (all_sent &&
	    (p->res.received == p->res.sent || st->now_us >= p->last_us + SIM_PING_WAIT_US)) {
		bool ok = p->res.received > 0 && !p->res.finished;
		finish(p, ok, "%s: %u sent, %u received, %u%% lost", udp ? "udp echo" : "ping",
		       p->res.sent, p->res.received,
		       (p->res.sent - p->res.received) * 100 / p->res.sent);
		work = 1;
	}
	return work;
}

/* ---- the peer ----------------------------------------------------------------- */

static int server_step(struct sim_peer *p)
{
	struct epoll_event evs[64];
	int n = ts_epoll_wait(&p->st, p->epfd, evs, 64, 0);
	for (int i = 0; i < n; i++) {
		struct ts_handler *h = evs[i].data.ptr;
		h->on_event(h, evs[i].events);
	}
	http_server_expire(p->http, p->st.now_us);
	return n > 0;
}

static int client_step(struct sim_peer *p)
{
	if (p->res.finished)
		return 0;
	switch (p->task.kind) {
	case SIM_TASK_GET:
	case SIM_TASK_BYTES:
		return get_step(p);
	case SIM_TASK_ECHO:
		return echo_step(p);
	case SIM_TASK_PING:
	case SIM_TASK_UDP:
		return request_step(p);
	}
	return 0;
}

static int client_start(struct sim_peer *p)
{
	switch (p->task.kind) {
	case SIM_TASK_GET:
	case SIM_TASK_BYTES:
		return get_start(p);
	case SIM_TASK_ECHO:
		return echo_start(p);
	case SIM_TASK_PING:
		icmp_set_echo_handler(&p->st, ping_reply, p);
		p->next_us = p->st.now_us;
		return 0;
	case SIM_TASK_UDP:
		p->next_us = p->st.now_us;
		return udp_start(p);
	}
	return -EINVAL;
}

struct sim_peer *sim_peer_new(enum sim_role role, const struct ts_config *cfg, struct netdev *dev,
			      uint64_t now_us, const struct sim_task *task, char *err,
			      size_t errlen)
{
	struct sim_peer *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->role = role;
	p->epfd = p->fd = p->body_fd = -1;
	int r = stack_init(&p->st, cfg, dev, now_us);
	if (r < 0) {
		snprintf(err, errlen, "starting the %s stack: %s",
			 role == SIM_SERVER ? "server" : "client", strerror(-r));
		free(p);
		return NULL;
	}
	p->started = true;
	if (role == SIM_SERVER) {
		struct http_server_config hcfg;
		http_server_config_default(&hcfg);
		hcfg.date_base_s = SIM_DATE_BASE_S;
		p->epfd = ts_epoll_create1(&p->st, 0);
		if (p->epfd < 0 || (r = http_server_start(&p->http, &p->st, p->epfd, &hcfg)) < 0 ||
		    (r = services_start(&p->svc, &p->st, p->epfd)) < 0) {
			snprintf(err, errlen, "starting the server's services: %s",
				 strerror(p->epfd < 0 ? errno : -r));
			sim_peer_free(p);
			return NULL;
		}
		return p;
	}
	p->task = *task;
	if ((r = client_start(p)) < 0) {
		snprintf(err, errlen, "starting the client: %s", strerror(-r));
		sim_peer_free(p);
		return NULL;
	}
	return p;
}

int sim_peer_poll(struct sim_peer *p, uint64_t now_us)
{
	int n = stack_poll(&p->st, now_us);
	return n + (p->role == SIM_SERVER ? server_step(p) : client_step(p));
}

uint64_t sim_peer_next_deadline(struct sim_peer *p)
{
	uint64_t d = stack_next_deadline(&p->st);
	if (p->role == SIM_CLIENT && !p->res.finished &&
	    (p->task.kind == SIM_TASK_PING || p->task.kind == SIM_TASK_UDP)) {
		uint64_t app =
		    p->res.sent < p->task.count ? p->next_us : p->last_us + SIM_PING_WAIT_US;
		if (app < d)
			d = app;
	}
	return d;
}

const struct sim_result *sim_peer_result(const struct sim_peer *p)
{
	return &p->res;
}

struct stack *sim_peer_stack(struct sim_peer *p)
{
	return &p->st;
}

int64_t sim_peer_free(struct sim_peer *p)
{
	if (!p)
		return 0;
	int64_t leaked = 0;
	if (p->started) {
		if (p->role == SIM_CLIENT) {
			if (p->hc_state > 0)
				http_client_abort(&p->hc);
			icmp_set_echo_handler(&p->st, NULL, NULL);
		}
		if (p->fd >= 0)
			ts_close(&p->st, p->fd);
		services_stop(p->svc);
		if (p->http)
			http_server_stop(p->http);
		if (p->epfd >= 0)
			ts_close(&p->st, p->epfd);
		stack_destroy(&p->st);
		leaked = p->st.bufs_live;
	}
	if (p->body_fd >= 0)
		close(p->body_fd);
	free(p);
	return leaked;
}
