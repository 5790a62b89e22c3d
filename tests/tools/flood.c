/*
 * flood.c - a bounded attacker on the link, for the hostile-network TAP
 * suite (tests/tap/t_flood.sh): writes hand-made Ethernet frames to an
 * interface through an AF_PACKET socket, so that they reach whatever reads
 * the other end (the stack behind a TAP), in one of these shapes:
 *
 *   syn PORT         SYNs to PORT from random on-link addresses and ports
 *                    (RFC 4987 §2: spoofed half-open connections)
 *   ping             ICMP echo requests, random ids
 *   arp              ARP requests for the target from random MACs and
 *                    random on-link sender addresses (cache flooding)
 *   frag             first fragments that never complete (random IDs)
 *   rst SPORT DPORT  RSTs with random sequence numbers into a connection
 *   ack SPORT DPORT  ACKs with random sequence and acknowledgment numbers
 *                    (RFC 5961 §3-5: blind in-window attacks)
 *
 * Every run is bounded: --count frames at most, --seconds at most, paced at
 * --rate frames per second.  Random values come from --seed, so a run can
 * be repeated.  Prints the number of frames sent.
 *
 * Nothing here reads the stack's code: it is written from the RFC diagrams,
 * as an attacker would.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *ifname;
	const char *mode;
	uint16_t sport, dport;
	uint32_t dst_ip;    /* the stack, host order */
	uint8_t dst_mac[6]; /* the stack's MAC */
	uint32_t net;	    /* on-link network for spoofed sources, host order */
	uint32_t mask;
	long count;
	double seconds;
	long rate;
	uint64_t seed;
};

static uint64_t rng;
static uint64_t rnd(void)
{
	/* xorshift64*: enough to scatter addresses, ports and sequence numbers. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

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

/* RFC 1071 over len bytes, starting from sum. */
static uint32_t csum_add(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A random unicast MAC (locally administered). */
static void random_mac(uint8_t mac[6])
{
	uint64_t r = rnd();
	memcpy(mac, &r, 6);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

/* A random host address of the on-link network, never .0, the broadcast or the target. */
static uint32_t random_onlink(const struct opts *o)
{
	for (;;) {
		uint32_t host = (uint32_t)rnd() & ~o->mask;
		uint32_t a = o->net | host;
		if (host != 0 && host != ~o->mask && a != o->dst_ip)
			return a;
	}
}

/* Ethernet + IPv4 header (RFC 791 §3.1), returns the IPv4 header pointer. */
static uint8_t *ipv4_frame(uint8_t *f, const struct opts *o, const uint8_t src_mac[6], uint32_t src,
			   uint8_t proto, size_t l4_len, uint16_t frag)
{
	memcpy(f, o->dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, (uint16_t)rnd());
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	put32(ip + 12, src);
	put32(ip + 16, o->dst_ip);
	put16(ip + 10, csum_fold(csum_add(ip, 20, 0)));
	return ip;
}

/* A TCP segment (RFC 9293 §3.1) without options; returns the frame length. */
static size_t tcp_frame(uint8_t *f, const struct opts *o, uint32_t src, uint16_t sport,
			uint16_t dport, uint8_t flags, uint32_t seq, uint32_t ack)
{
	uint8_t mac[6];
	random_mac(mac);
	uint8_t *ip = ipv4_frame(f, o, mac, src, 6, 20, 0);
	uint8_t *t = ip + 20;
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 64240);
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, 20);
	put16(t + 16, csum_fold(csum_add(t, 20, csum_add(pseudo, 12, 0))));
	return 14 + 20 + 20;
}

static size_t build(uint8_t *f, const struct opts *o)
{
	uint8_t mac[6];
	if (!strcmp(o->mode, "syn"))
		return tcp_frame(f, o, random_onlink(o), (uint16_t)(1024 + rnd() % 60000), o->dport,
				 0x02, (uint32_t)rnd(), 0);
	if (!strcmp(o->mode, "rst"))
		return tcp_frame(f, o, o->net, o->sport, o->dport, 0x04, (uint32_t)rnd(), 0);
	if (!strcmp(o->mode, "ack"))
		return tcp_frame(f, o, o->net, o->sport, o->dport, 0x10, (uint32_t)rnd(),
				 (uint32_t)rnd());
	if (!strcmp(o->mode, "ping")) {
		random_mac(mac);
		uint8_t *ip = ipv4_frame(f, o, mac, random_onlink(o), 1, 8 + 56, 0);
		uint8_t *icmp = ip + 20;
		memset(icmp, 0, 8 + 56);
		icmp[0] = 8;
		put16(icmp + 4, (uint16_t)rnd());
		put16(icmp + 6, 1);
		put16(icmp + 2, csum_fold(csum_add(icmp, 8 + 56, 0)));
		return 14 + 20 + 8 + 56;
	}
	if (!strcmp(o->mode, "frag")) {
		/* First fragment of a datagram whose rest never comes (RFC 791 §3.2). */
		random_mac(mac);
		uint8_t *ip = ipv4_frame(f, o, mac, random_onlink(o), 17, 1000, 0x2000);
		memset(ip + 20, 0xab, 1000);
		return 14 + 20 + 1000;
	}
	if (!strcmp(o->mode, "arp")) {
		/* RFC 826: who has the target? tell a made-up sender. */
		random_mac(mac);
		memset(f, 0xff, 6);
		memcpy(f + 6, mac, 6);
		put16(f + 12, 0x0806);
		uint8_t *a = f + 14;
		put16(a, 1);
		put16(a + 2, 0x0800);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1);
		memcpy(a + 8, mac, 6);
		put32(a + 14, random_onlink(o));
		memset(a + 18, 0, 6);
		put32(a + 24, o->dst_ip);
		return 14 + 28;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: flood IFACE syn PORT | ping | arp | frag | rst SPORT DPORT | ack SPORT DPORT\n"
	    "       [--dst IP] [--dst-mac MAC] [--net ADDR/LEN] [--count N] [--seconds S]\n"
	    "       [--rate PPS] [--seed N]\n"
	    "rst/ack: the connection's peer address is the first host of --net\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.count = 10000, .seconds = 10, .rate = 20000, .seed = 1};
	const char *dst = "10.0.0.2", *dmac = "02:00:00:00:00:02", *net = "10.0.0.0/24";
	static const struct option lo[] = {{"dst", 1, 0, 'd'},	   {"dst-mac", 1, 0, 'm'},
					   {"net", 1, 0, 'n'},	   {"count", 1, 0, 'c'},
					   {"seconds", 1, 0, 's'}, {"rate", 1, 0, 'r'},
					   {"seed", 1, 0, 'S'},	   {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'd':
			dst = optarg;
			break;
		case 'm':
			dmac = optarg;
			break;
		case 'n':
			net = optarg;
			break;
		case 'c':
			o.count = atol(optarg);
			break;
		case 's':
			o.seconds = atof(optarg);
			break;
		case 'r':
			o.rate = atol(optarg);
			break;
		case 'S':
			o.seed = strtoull(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2)
		usage();
	o.ifname = argv[optind];
	o.mode = argv[optind + 1];
	int rest = argc - optind - 2;
	char **arg = argv + optind + 2;
	if (!strcmp(o.mode, "syn") && rest == 1)
		o.dport = (uint16_t)atoi(arg[0]);
	else if ((!strcmp(o.mode, "rst") || !strcmp(o.mode, "ack")) && rest == 2) {
		o.sport = (uint16_t)atoi(arg[0]);
		o.dport = (uint16_t)atoi(arg[1]);
	} else if (strcmp(o.mode, "ping") && strcmp(o.mode, "arp") && strcmp(o.mode, "frag"))
		usage();
	else if (rest != 0)
		usage();
	struct in_addr a;
	char netbuf[64];
	snprintf(netbuf, sizeof(netbuf), "%s", net);
	char *slash = strchr(netbuf, '/');
	if (inet_pton(AF_INET, dst, &a) != 1 || parse_mac(dmac, o.dst_mac) || !slash)
		usage();
	o.dst_ip = ntohl(a.s_addr);
	*slash = 0;
	int len = atoi(slash + 1);
	if (inet_pton(AF_INET, netbuf, &a) != 1 || len < 8 || len > 30)
		usage();
	o.mask = ~0u << (32 - len);
	o.net = ntohl(a.s_addr) & o.mask;
	if (!strcmp(o.mode, "rst") || !strcmp(o.mode, "ack"))
		o.net |= 1; /* the honest peer: the first host */
	if (o.count < 0 || o.rate <= 0 || o.seconds <= 0)
		usage();
	rng = o.seed * 0x9E3779B97F4A7C15ULL + 1;

	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		fprintf(stderr, "flood: socket(AF_PACKET): %s (needs root)\n", strerror(errno));
		return 1;
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};
	sll.sll_ifindex = (int)if_nametoindex(o.ifname);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "flood: no interface %s\n", o.ifname);
		return 1;
	}
	memcpy(sll.sll_addr, o.dst_mac, 6);

	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long sent = 0;
	uint8_t frame[1600];
	while (sent < o.count) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - t0.tv_sec) + (now.tv_nsec - t0.tv_nsec) / 1e9;
		if (el >= o.seconds)
			break;
		/* Pace: never ahead of rate * elapsed. */
		if ((double)sent > el * (double)o.rate) {
			struct timespec nap = {0, 200000};
			nanosleep(&nap, NULL);
			continue;
		}
		size_t n = build(frame, &o);
		if (sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue; /* the interface queue is full: try again later */
			fprintf(stderr, "flood: sendto: %s\n", strerror(errno));
			return 1;
		}
		sent++;
	}
	printf("%ld\n", sent);
	return 0;
}
