/*
 * tap_reflect.c - the TAP path ceiling: how many frames per second one core
 * can read from and write back to a TAP device when the userspace side does
 * no protocol work at all.  Any stack on a TAP (tapstack, lwIP's tapif) pays
 * at least this per frame, so it bounds what tuning the stack can reach.
 *
 *   tap_reflect reflect TAP SECONDS
 *       attach to the existing TAP, read each frame, swap its MAC addresses
 *       and write it back, one read(2) and one write(2) per frame (what
 *       tapstack and lwIP's tapif do); print counts after SECONDS.
 *   tap_reflect gen IFNAME SIZE SECONDS
 *       the load: from the kernel side of the TAP, an AF_PACKET socket sends
 *       SIZE-byte frames (EtherType 0x88b5, IEEE 802 "local experimental",
 *       so the kernel drops the reflected copies at protocol demux without
 *       other work) in batches of 64 with sendmmsg(2) and
 *       PACKET_QDISC_BYPASS.  Prints frames offered.
 *
 *   tap_reflect reflect-gso TAP SECONDS
 *   tap_reflect gen-gso IFNAME SECONDS
 *       the same with 64 KiB GSO frames, as a stack with --offload tso
 *       reads and writes them: the reflector opens the TAP with
 *       IFF_VNET_HDR and TUNSETOFFLOAD (checksum, USO), reads each frame
 *       with its virtio_net_hdr and writes both back unchanged (readv,
 *       writev).  The load comes from the kernel's own UDP GSO
 *       (UDP_SEGMENT, 44 segments of 1472 octets: 64,810-octet frames) to
 *       a neighbour entry the kernel believes in; AF_PACKET cannot offer
 *       GSO to a TAP, since the kernel marks its GSO frames DODGY and
 *       segments them before a TAP, which lacks NETIF_F_GSO_ROBUST.  The
 *       frames written back are addressed to that neighbour's MAC, not
 *       the kernel's, so it drops them at once (PACKET_OTHERHOST): the
 *       cost of the TAP alone, with 64 KiB frames.
 *
 * Output lines are "key value" pairs for tools/bench/bench.sh to parse.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/udp.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE_EXP 0x88b5
#define BATCH	      64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static int reflect(const char *tap, double secs, bool gso)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("tap_reflect: /dev/net/tun");
		return 1;
	}
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (gso ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("tap_reflect: TUNSETIFF");
		return 1;
	}
	int hdr_sz = sizeof(struct virtio_net_hdr);
	if (gso && (ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0 ||
		    ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6) < 0)) {
		perror("tap_reflect: TUNSETOFFLOAD (USO needs Linux 6.2)");
		return 1;
	}
	printf("ready 1\n");
	fflush(stdout);

	static unsigned char f[65536 + 64];
	struct virtio_net_hdr vh;
	uint64_t gso_frames = 0;
	uint64_t frames = 0, bytes = 0, wfail = 0;
	double t0 = 0, end = 0, last = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 200) <= 0) {
			if (t0 && now_s() > end)
				break;
			continue;
		}
		ssize_t n;
		if (gso) {
			struct iovec iov[2] = {{&vh, sizeof(vh)}, {f, sizeof(f)}};
			n = readv(fd, iov, 2) - (ssize_t)sizeof(vh);
		} else {
			n = read(fd, f, sizeof(f));
		}
		if (n < 14)
			continue;
		/* Start the clock at the first frame so set-up time is not counted. */
		if (!t0) {
			t0 = now_s();
			end = t0 + secs;
		}
		if (gso) {
			/* Back as it came, header and all: still addressed to the
			 * neighbour, so the kernel drops it on arrival. */
			gso_frames += vh.gso_type != VIRTIO_NET_HDR_GSO_NONE;
			struct iovec iov[2] = {{&vh, sizeof(vh)}, {f, (size_t)n}};
			if (writev(fd, iov, 2) != n + (ssize_t)sizeof(vh))
				wfail++;
		} else {
			unsigned char mac[6];
			memcpy(mac, f, 6);
			memcpy(f, f + 6, 6);
			memcpy(f + 6, mac, 6);
			if (write(fd, f, (size_t)n) != n)
				wfail++;
		}
		frames++;
		bytes += (uint64_t)n;
		/* The clock is read once per 1024 frames: it is not free either. */
		if ((frames & 1023) == 0 && (last = now_s()) > end)
			break;
	}
	double el = (last > t0 ? last : now_s()) - t0;
	if (el <= 0)
		el = 1e-9;
	printf("frames %llu\nbytes %llu\nwrite_fail %llu\nseconds %.3f\nfps %.0f\nMBps %.1f\n",
	       (unsigned long long)frames, (unsigned long long)bytes, (unsigned long long)wfail, el,
	       (double)frames / el, (double)bytes / el / 1e6);
	if (gso)
		printf("gso_frames %llu\n", (unsigned long long)gso_frames);
	return 0;
}

/*
 * The GSO load: UDP datagrams of 44 x 1472 octets with UDP_SEGMENT, to
 * 10.0.0.2:9, which the caller made a permanent neighbour; the kernel
 * hands each to the TAP as one GSO frame when the TAP took USO.
 */
static int gen_gso(double secs)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int gso = 1472;
	if (s < 0 || setsockopt(s, IPPROTO_UDP, UDP_SEGMENT, &gso, sizeof(gso)) < 0) {
		perror("tap_reflect: UDP_SEGMENT");
		return 1;
	}
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "10.0.0.2", &to.sin_addr);
	static char buf[44 * 1472];
	uint64_t sent = 0, fails = 0;
	double t0 = now_s(), end = t0 + secs;
	while (now_s() < end) {
		if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fails++;
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("tap_reflect: sendto");
			return 1;
		}
		sent++;
	}
	double el = now_s() - t0;
	printf("offered %llu\noffered_fps %.0f\nsend_fail %llu\n", (unsigned long long)sent,
	       (double)sent / el, (unsigned long long)fails);
	return 0;
}

static int gen(const char *ifname, int size, double secs)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0) {
		perror("tap_reflect: AF_PACKET");
		return 1;
	}
	int one = 1;
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	struct sockaddr_ll ll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_EXP), .sll_halen = 6};
	if (ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		ll.sll_ifindex = ifr.ifr_ifindex;
	if (!ll.sll_ifindex) {
		fprintf(stderr, "tap_reflect: no interface %s\n", ifname);
		return 1;
	}
	if (size < 60)
		size = 60;
	if (size > 65535)
		size = 65535;
	unsigned char *f = calloc(1, (size_t)size);
	memset(f, 0x02, 6); /* dst: a locally administered unicast MAC */
	memset(f + 6, 0x04, 6);
	f[12] = ETHERTYPE_EXP >> 8;
	f[13] = ETHERTYPE_EXP & 0xff;
	struct iovec iov = {.iov_base = f, .iov_len = (size_t)size};
	struct mmsghdr m[BATCH];
	memset(m, 0, sizeof(m));
	for (int i = 0; i < BATCH; i++) {
		m[i].msg_hdr.msg_name = &ll;
		m[i].msg_hdr.msg_namelen = sizeof(ll);
		m[i].msg_hdr.msg_iov = &iov;
		m[i].msg_hdr.msg_iovlen = 1;
	}
	uint64_t sent = 0, fails = 0;
	double t0 = now_s(), end = t0 + secs;
	while (now_s() < end) {
		int r = sendmmsg(s, m, BATCH, 0);
		if (r < 0) {
			fails++;
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("tap_reflect: sendmmsg");
			return 1;
		}
		sent += (uint64_t)r;
	}
	double el = now_s() - t0;
	printf("offered %llu\noffered_fps %.0f\nsend_fail %llu\n", (unsigned long long)sent,
	       (double)sent / el, (unsigned long long)fails);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "reflect") == 0)
		return reflect(argv[2], atof(argv[3]), false);
	if (argc == 4 && strcmp(argv[1], "reflect-gso") == 0)
		return reflect(argv[2], atof(argv[3]), true);
	if (argc == 5 && strcmp(argv[1], "gen") == 0)
		return gen(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 4 && strcmp(argv[1], "gen-gso") == 0)
		return gen_gso(atof(argv[3]));
	fprintf(stderr, "usage: tap_reflect reflect[-gso] TAP SECONDS | gen IFNAME SIZE SECONDS | "
			"gen-gso IFNAME SECONDS\n");
	return 2;
}
