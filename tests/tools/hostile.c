/*
 * hostile.c - hand-made frames for the TAP suites that no ordinary client
 * sends, written on a packet socket inside the test's namespace:
 *
 *   hostile IFACE arpflood COUNT TARGET SUBNET/LEN SEED
 *       COUNT ARP requests for TARGET, each from a made-up MAC and a
 *       made-up sender address (half inside SUBNET/LEN, half anywhere)
 *   hostile IFACE bcastfrag DSTMAC SRC DST PORT
 *       one 3000-octet UDP datagram SRC:40000 → DST:PORT in three
 *       fragments, every one to the Ethernet destination DSTMAC
 *
 *   hostile IFACE flood MODE [ARGS] [--count N] [--seconds S] [--rate PPS]
 *           [--seed N] [--dst IP] [--dst-mac MAC] [--net ADDR/LEN]
 *       a flood paced at --rate frames per second, bounded by --count and
 *       --seconds, from random values of --seed (tests/tap/t_flood.sh);
 *       prints the frames sent.  MODE:
 *         syn PORT         SYNs to PORT from random on-link addresses and
 *                          ports (RFC 4987 §2: spoofed half-open connections)
 *         ping             ICMP echo requests from random on-link addresses
 *         arp              ARP requests for the target from random MACs and
 *                          random on-link senders
 *         frag             first fragments that never complete
 *         rst SPORT DPORT  RSTs with random sequence numbers from the first
 *                          host of --net into the connection SPORT → DPORT
 *         ack SPORT DPORT  ACKs with random sequence and acknowledgment
 *                          numbers, likewise (RFC 5961 §3-5: blind attacks)
 *
 *   hostile - upload ADDR PORT chunked|length SECONDS
 *       a kernel TCP client: GET /hello with an endless body (chunks of
 *       4 KiB, or Content-Length 10^12) written as fast as the server
 *       takes it, for SECONDS at most; prints the response status, the
 *       body bytes written, whether the server ended the connection (FIN
 *       or RST) and when: "status=200 sent=262144 closed=1 secs=0.01"
 *
 * The source MAC of bcastfrag is IFACE's own.  Exit 0 when every frame
 * was written (upload: when it connected).
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_fd;
static struct sockaddr_ll link_addr;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static int send_frame(const uint8_t *f, size_t n)
{
	if (sendto(sock_fd, f, n, 0, (struct sockaddr *)&link_addr, sizeof(link_addr)) !=
	    (ssize_t)n) {
		perror("sendto");
		return -1;
	}
	return 0;
}

static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static uint32_t parse_ip(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "hostile: bad address %s\n", s);
		exit(2);
	}
	return ntohl(a.s_addr);
}

/* A random unicast, locally administered MAC. */
static void random_mac(uint8_t mac[6])
{
	for (int k = 0; k < 6; k++)
		mac[k] = (uint8_t)rnd();
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

/* RFC 826: a broadcast request from mac/spa for target (42 bytes, padded to 60 by the caller). */
static void arp_request(uint8_t *f, const uint8_t mac[6], uint32_t spa, uint32_t target)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, ETHERTYPE_ARP);
	put16(f + 14, 1);
	put16(f + 16, ETHERTYPE_IP);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, mac, 6);
	put32(f + 28, spa);
	memset(f + 32, 0, 6);
	put32(f + 38, target);
}

/* Ethernet and a 20-byte IPv4 header (RFC 791 §3.1) for l4_len payload octets; returns the header.
 */
static uint8_t *ipv4_frame(uint8_t *f, const uint8_t dmac[6], const uint8_t smac[6], uint32_t src,
			   uint32_t dst, uint8_t proto, size_t l4_len, uint16_t id, uint16_t frag)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, ETHERTYPE_IP);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, id);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, csum(ip, 20));
	return ip;
}

static int arpflood(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	unsigned long count = strtoul(argv[0], NULL, 10);
	uint32_t target = parse_ip(argv[1]);
	char *slash = strchr(argv[2], '/');
	if (!slash)
		return 2;
	*slash = 0;
	uint32_t net = parse_ip(argv[2]);
	unsigned len = (unsigned)atoi(slash + 1);
	uint32_t mask = len ? ~0u << (32 - len) : 0;
	rng = strtoull(argv[3], NULL, 10) | 1;
	for (unsigned long i = 0; i < count; i++) {
		uint8_t f[60] = {0}, mac[6];
		random_mac(mac);
		uint32_t spa = rnd();
		if (i & 1)
			spa = (net & mask) | (spa & ~mask);
		arp_request(f, mac, spa, target);
		if (send_frame(f, sizeof(f)) < 0)
			return 1;
	}
	return 0;
}

static int bcastfrag(int argc, char **argv, const uint8_t own_mac[6])
{
	if (argc != 4)
		return 2;
	uint8_t dmac[6];
	if (parse_mac(argv[0], dmac) < 0)
		return 2;
	uint32_t src = parse_ip(argv[1]), dst = parse_ip(argv[2]);
	uint16_t port = (uint16_t)atoi(argv[3]);
	static uint8_t udp[3000], f[1600];
	put16(udp, 40000);
	put16(udp + 2, port);
	put16(udp + 4, sizeof(udp));
	put16(udp + 6, 0); /* no checksum (RFC 768) */
	for (size_t i = 8; i < sizeof(udp); i++)
		udp[i] = (uint8_t)i;
	for (size_t off = 0; off < sizeof(udp); off += 1480) {
		size_t n = sizeof(udp) - off < 1480 ? sizeof(udp) - off : 1480;
		int more = off + n < sizeof(udp);
		uint8_t *ip = ipv4_frame(f, dmac, own_mac, src, dst, 17, n, 0x7e57,
					 (uint16_t)((more ? 0x2000 : 0) | off / 8));
		memcpy(ip + 20, udp + off, n);
		if (send_frame(f, 34 + n) < 0)
			return 1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int upload(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	struct sockaddr_in sin = {.sin_family = AF_INET,
				  .sin_port = htons((uint16_t)atoi(argv[1]))};
	sin.sin_addr.s_addr = htonl(parse_ip(argv[0]));
	int chunked = strcmp(argv[2], "chunked") == 0;
	double limit = atof(argv[3]);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("connect");
		return 1;
	}
	const char *head = chunked ? "GET /hello HTTP/1.1\r\nHost: x\r\n"
				     "Transfer-Encoding: chunked\r\n\r\n"
				   : "GET /hello HTTP/1.1\r\nHost: x\r\n"
				     "Content-Length: 1000000000000\r\n\r\n";
	if (write(fd, head, strlen(head)) != (ssize_t)strlen(head))
		return 1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	static char body[4096 + 8];
	size_t body_len = 4096;
	memset(body, 'y', sizeof(body));
	if (chunked) {
		memcpy(body, "1000\r\n", 6);
		memcpy(body + 6 + 4096, "\r\n", 2);
		body_len = sizeof(body);
	}
	char resp[4096] = {0};
	size_t resp_len = 0, off = 0;
	unsigned long long sent = 0;
	int closed = 0;
	double t0 = now_s();
	while (!closed && now_s() - t0 < limit) {
		struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
		if (poll(&p, 1, 100) < 0)
			break;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			char buf[4096];
			ssize_t n = read(fd, buf, sizeof(buf));
			if (n == 0 || (n < 0 && errno != EAGAIN))
				closed = 1;
			for (ssize_t i = 0; i < n && resp_len < sizeof(resp) - 1; i++)
				resp[resp_len++] = buf[i];
		}
		if (!closed && (p.revents & POLLOUT)) {
			ssize_t n = send(fd, body + off, body_len - off, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				closed = 1;
			if (n > 0) {
				sent += (unsigned long long)n;
				off = (off + (size_t)n) % body_len;
			}
		}
	}
	int status = 0;
	sscanf(resp, "HTTP/1.1 %d", &status);
	printf("status=%d sent=%llu closed=%d secs=%.2f\n", status, sent, closed, now_s() - t0);
	close(fd);
	return 0;
}

/* ---- flood ---- */

struct flood {
	const char *mode;
	uint16_t sport, dport;
	uint32_t dst;	 /* the stack, host order */
	uint8_t dmac[6]; /* its MAC */
	uint32_t net;	 /* on-link network of the spoofed sources */
	uint32_t mask;
	uint32_t peer; /* rst/ack: the honest peer, the first host of net */
};

/*
 * A random host of the on-link network: never .0, the broadcast, the
 * target or the honest peer (the first host).  A flood that also forged
 * the peer's own address would be ARP poisoning, a different attack that
 * RFC 826 cannot stop (docs/robustness.md).
 */
static uint32_t random_onlink(const struct flood *fl)
{
	for (;;) {
		uint32_t host = rnd() & ~fl->mask;
		uint32_t a = fl->net | host;
		if (host != 0 && host != ~fl->mask && a != fl->dst && a != fl->peer)
			return a;
	}
}

/* A TCP segment without options (RFC 9293 §3.1); returns the frame length. */
static size_t tcp_segment(uint8_t *f, const struct flood *fl, uint32_t src, uint16_t sport,
			  uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t mac[6], seg[12 + 20];
	random_mac(mac);
	uint8_t *ip = ipv4_frame(f, fl->dmac, mac, src, fl->dst, 6, 20, (uint16_t)rnd(), 0);
	uint8_t *t = ip + 20;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, fl->dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 64240);
	/* The pseudo header (RFC 9293 §3.1), then the header, summed as one. */
	memcpy(seg, ip + 12, 8);
	seg[8] = 0;
	seg[9] = 6;
	put16(seg + 10, 20);
	memcpy(seg + 12, t, 20);
	put16(t + 16, csum(seg, sizeof(seg)));
	return 14 + 20 + 20;
}

static size_t flood_frame(uint8_t *f, const struct flood *fl)
{
	uint8_t mac[6];
	const char *m = fl->mode;
	if (!strcmp(m, "syn"))
		return tcp_segment(f, fl, random_onlink(fl), (uint16_t)(1024 + rnd() % 60000), 0x02,
				   rnd(), 0);
	if (!strcmp(m, "rst"))
		return tcp_segment(f, fl, fl->peer, fl->sport, 0x04, rnd(), 0);
	if (!strcmp(m, "ack"))
		return tcp_segment(f, fl, fl->peer, fl->sport, 0x10, rnd(), rnd());
	random_mac(mac);
	if (!strcmp(m, "ping")) {
		uint8_t *ip = ipv4_frame(f, fl->dmac, mac, random_onlink(fl), fl->dst, 1, 8 + 56,
					 (uint16_t)rnd(), 0);
		uint8_t *icmp = ip + 20;
		memset(icmp, 0, 8 + 56);
		icmp[0] = 8; /* RFC 792 echo request */
		put16(icmp + 4, (uint16_t)rnd());
		put16(icmp + 6, 1);
		put16(icmp + 2, csum(icmp, 8 + 56));
		return 14 + 20 + 8 + 56;
	}
	if (!strcmp(m, "frag")) {
		/* A first fragment (MF, offset 0) whose rest never comes (RFC 791 §3.2). */
		uint8_t *ip = ipv4_frame(f, fl->dmac, mac, random_onlink(fl), fl->dst, 17, 1000,
					 (uint16_t)rnd(), 0x2000);
		memset(ip + 20, 0xab, 1000);
		return 14 + 20 + 1000;
	}
	if (!strcmp(m, "arp")) {
		memset(f, 0, 60);
		arp_request(f, mac, random_onlink(fl), fl->dst);
		return 60;
	}
	return 0;
}

/* flood MODE [PORT | SPORT DPORT] [--name value]...: see the header comment. */
static int flood(int argc, char **argv)
{
	struct flood fl = {.mode = argc > 0 ? argv[0] : ""};
	long count = 10000, rate = 20000;
	double seconds = 10;
	const char *dst = "10.0.0.2", *dmac = "02:00:00:00:00:02", *net = "10.0.0.0/24";
	int npos = !strcmp(fl.mode, "syn")				? 1
		   : !strcmp(fl.mode, "rst") || !strcmp(fl.mode, "ack") ? 2
									: 0;
	if (argc < 1 + npos || (npos == 0 && strcmp(fl.mode, "ping") && strcmp(fl.mode, "arp") &&
				strcmp(fl.mode, "frag")))
		return 2;
	if (npos == 1)
		fl.dport = (uint16_t)atoi(argv[1]);
	if (npos == 2) {
		fl.sport = (uint16_t)atoi(argv[1]);
		fl.dport = (uint16_t)atoi(argv[2]);
	}
	rng = 1;
	for (int i = 1 + npos; i < argc; i += 2) {
		if (i + 1 >= argc)
			return 2;
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--dst"))
			dst = v;
		else if (!strcmp(k, "--dst-mac"))
			dmac = v;
		else if (!strcmp(k, "--net"))
			net = v;
		else if (!strcmp(k, "--count"))
			count = atol(v);
		else if (!strcmp(k, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(k, "--rate"))
			rate = atol(v);
		else if (!strcmp(k, "--seed"))
			rng = strtoull(v, NULL, 0) * 0x9E3779B97F4A7C15ULL | 1;
		else
			return 2;
	}
	char nb[64];
	snprintf(nb, sizeof(nb), "%s", net);
	char *slash = strchr(nb, '/');
	if (!slash || parse_mac(dmac, fl.dmac) < 0 || count < 0 || rate <= 0 || seconds <= 0)
		return 2;
	*slash = 0;
	int len = atoi(slash + 1);
	if (len < 8 || len > 30)
		return 2;
	fl.dst = parse_ip(dst);
	fl.mask = ~0u << (32 - len);
	fl.net = parse_ip(nb) & fl.mask;
	fl.peer = fl.net | 1;

	double t0 = now_s();
	long sent = 0;
	uint8_t f[1600];
	while (sent < count) {
		double el = now_s() - t0;
		if (el >= seconds)
			break;
		if ((double)sent > el * (double)rate) { /* paced: never ahead of rate x elapsed */
			struct timespec nap = {0, 200000};
			nanosleep(&nap, NULL);
			continue;
		}
		size_t n = flood_frame(f, &fl);
		if (sendto(sock_fd, f, n, 0, (struct sockaddr *)&link_addr, sizeof(link_addr)) <
		    0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue; /* the interface queue is full: later */
			perror("sendto");
			return 1;
		}
		sent++;
	}
	printf("%ld\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[2], "upload") == 0) {
		int rc = upload(argc - 3, argv + 3);
		if (rc == 2)
			fprintf(stderr, "hostile: bad arguments\n");
		return rc;
	}
	if (argc < 3) {
		fprintf(
		    stderr,
		    "usage: hostile IFACE arpflood COUNT TARGET SUBNET/LEN SEED\n"
		    "       hostile IFACE bcastfrag DSTMAC SRC DST PORT\n"
		    "       hostile IFACE flood syn PORT | ping | arp | frag |\n"
		    "                           rst SPORT DPORT | ack SPORT DPORT [--count N]\n"
		    "                           [--seconds S] [--rate PPS] [--seed N] [--dst IP]\n"
		    "                           [--dst-mac MAC] [--net ADDR/LEN]\n"
		    "       hostile - upload ADDR PORT chunked|length SECONDS\n");
		return 2;
	}
	sock_fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (sock_fd < 0) {
		perror("socket");
		return 1;
	}
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(sock_fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror(argv[1]);
		return 1;
	}
	uint8_t own_mac[6];
	memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);
	link_addr.sll_family = AF_PACKET;
	link_addr.sll_ifindex = (int)if_nametoindex(argv[1]);
	link_addr.sll_halen = 6;
	int rc = 2;
	if (strcmp(argv[2], "arpflood") == 0)
		rc = arpflood(argc - 3, argv + 3);
	else if (strcmp(argv[2], "flood") == 0)
		rc = flood(argc - 3, argv + 3);
	else if (strcmp(argv[2], "bcastfrag") == 0)
		rc = bcastfrag(argc - 3, argv + 3, own_mac);
	if (rc == 2)
		fprintf(stderr, "hostile: bad arguments\n");
	close(sock_fd);
	return rc;
}
