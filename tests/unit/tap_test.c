/*
 * tap_test.c - tap/tap.c and tap/nl.c against the real kernel, inside a
 * network namespace private to the test: each Check test runs in a forked
 * child, which unshare(CLONE_NEWNET)s itself, so the TAP, its address and
 * every frame vanish with the child and nothing touches the host's
 * namespace.  Without root (or with CK_FORK=no, where unsharing would move
 * the whole runner) the tests print why and skip, unless REQUIRE_TAP=1 (CI),
 * which makes a skip a failure as SPEC says; the integration scripts in
 * tests/tap/ cover the TAP end to end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <unistd.h>
/* RUNNING_ON_VALGRIND (tap_uring_stack_transfer, and auto being plain there): Debian's valgrind
 * package has the header; without it the test runs everywhere. */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "tsunit.h"
#include "byteorder.h"
#include "checksum.h"
#include "faults.h"
#include "nl.h"
#include "stack.h"
#include "tap.h"
#include "tapstack.h"
#include "wire.h"

#define KERNEL_IP 0x0a090001u /* 10.9.0.1: the kernel's side of the TAP */
#define STACK_IP  0x0a090002u /* 10.9.0.2: the side we play through the fd */
static const uint8_t stack_mac[6] = {0x02, 0, 0, 0, 0, 0x99};

/* Enters a private network namespace; false (with the reason printed) when we cannot. */
static bool enter_private_netns(const char *test)
{
	const char *fork_mode = getenv("CK_FORK");
	const char *why = NULL;
	if (fork_mode && strcmp(fork_mode, "no") == 0)
		why = "CK_FORK=no (unshare would move the whole runner)";
	else if (geteuid() != 0)
		why = "needs root for a network namespace and a TAP";
	else if (access("/dev/net/tun", F_OK) != 0)
		why = "no /dev/net/tun";
	else if (unshare(CLONE_NEWNET) != 0)
		why = strerror(errno);
	if (why) {
		/* SPEC: with REQUIRE_TAP=1 (CI) a skipped TAP suite is a failure. */
		const char *require = getenv("REQUIRE_TAP");
		ck_assert_msg(!require || strcmp(require, "1") != 0, "tap: %s cannot run: %s", test,
			      why);
		fprintf(stderr, "tap: %s skipped: %s\n", test, why);
		return false;
	}
	return true;
}

/* The interface's MTU, flags, IPv4 address or MAC through the classic ioctls. */
static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	int r = ioctl(s, req, ifr);
	close(s);
	return r;
}

/* Reads frames from the TAP (2 s at most) until match() accepts one; returns its length. */
static ssize_t read_until(struct netdev *tap, uint8_t *buf, size_t cap,
			  bool (*match)(const uint8_t *f, size_t len))
{
	for (int tries = 0; tries < 200; tries++) {
		ssize_t n = netdev_recv(tap, buf, cap, 0);
		ck_assert_int_ge(n, 0);
		if (n > 0 && match(buf, (size_t)n))
			return n;
		if (n == 0) {
			struct pollfd p = {.fd = netdev_pollfd(tap), .events = POLLIN};
			poll(&p, 1, 10);
		}
	}
	ck_abort_msg("no matching frame from the kernel within 2 s");
	return -1;
}

static bool is_arp_request_for_stack(const uint8_t *f, size_t len)
{
	return len >= 42 && get_be16(f + 12) == 0x0806 && get_be16(f + 20) == 1 &&
	       get_be32(f + 38) == STACK_IP;
}

static bool is_udp_to_stack_9999(const uint8_t *f, size_t len)
{
	return len >= 42 && get_be16(f + 12) == 0x0800 && f[23] == 17 &&
	       get_be32(f + 30) == STACK_IP && get_be16(f + 14 + 20 + 2) == 9999;
}

/*
 * The whole round trip through a real TAP: create it, configure the kernel
 * side over netlink, let the kernel ARP for us and answer through the fd,
 * receive the kernel's UDP datagram, and send one back that a kernel socket
 * reads.
 */
START_TEST(tap_and_netlink_roundtrip)
{
	char err[256];
	struct ifreq ifr;
	uint8_t f[2048];

	if (!enter_private_netns("tap_and_netlink_roundtrip"))
		return;
	struct netdev *tap = tap_open("tstap0", err, sizeof(err));
	ck_assert_msg(tap != NULL, "%s", err);
	ck_assert_str_eq(tap->name, "tstap0");
	ck_assert_int_ge(netdev_pollfd(tap), 0);
	ck_assert_int_eq(netdev_recv(tap, f, sizeof(f), 0), 0); /* link down: nothing, no error */

	ck_assert_msg(nl_configure_link("tstap0", 1400, KERNEL_IP, 24, err, sizeof(err)) == 0, "%s",
		      err);
	/* Again: the address is already there, which is what we asked for. */
	ck_assert_msg(nl_configure_link("tstap0", 1400, KERNEL_IP, 24, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(if_ioctl("tstap0", SIOCGIFMTU, &ifr), 0);
	ck_assert_int_eq(ifr.ifr_mtu, 1400);
	ck_assert_int_eq(if_ioctl("tstap0", SIOCGIFFLAGS, &ifr), 0);
	ck_assert(ifr.ifr_flags & IFF_UP);
	ck_assert_int_eq(if_ioctl("tstap0", SIOCGIFADDR, &ifr), 0);
	ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr), KERNEL_IP);
	ck_assert_int_eq(if_ioctl("tstap0", SIOCGIFHWADDR, &ifr), 0);
	uint8_t kernel_mac[6];
	memcpy(kernel_mac, ifr.ifr_hwaddr.sa_data, 6);

	/* Kernel → us: a UDP datagram to 10.9.0.2 makes the kernel ARP on the TAP. */
	int ks = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in kaddr = {
	    .sin_family = AF_INET, .sin_port = htons(7777), .sin_addr.s_addr = htonl(KERNEL_IP)};
	ck_assert_int_eq(bind(ks, (struct sockaddr *)&kaddr, sizeof(kaddr)), 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9999), .sin_addr.s_addr = htonl(STACK_IP)};
	ck_assert_int_eq(sendto(ks, "hello tap", 9, 0, (struct sockaddr *)&to, sizeof(to)), 9);
	ssize_t n = read_until(tap, f, sizeof(f), is_arp_request_for_stack);
	ck_assert_int_eq(n, 42); /* the kernel hands the TAP unpadded frames */
	ck_assert_mem_eq(f + 6, kernel_mac, 6);
	ck_assert_mem_eq(f + 22, kernel_mac, 6);
	ck_assert_uint_eq(get_be32(f + 28), KERNEL_IP);

	/* Us → kernel: the ARP reply, written to the fd. */
	uint8_t arp[42];
	memcpy(arp, kernel_mac, 6);
	memcpy(arp + 6, stack_mac, 6);
	put_be16(arp + 12, 0x0806);
	put_be16(arp + 14, 1);	    /* hardware: Ethernet */
	put_be16(arp + 16, 0x0800); /* protocol: IPv4 */
	arp[18] = 6;
	arp[19] = 4;
	put_be16(arp + 20, 2); /* reply */
	memcpy(arp + 22, stack_mac, 6);
	put_be32(arp + 28, STACK_IP);
	memcpy(arp + 32, kernel_mac, 6);
	put_be32(arp + 38, KERNEL_IP);
	ck_assert_int_eq(netdev_send(tap, arp, sizeof(arp), 0), 0);

	/* The datagram the kernel held for the ARP answer now comes out, to our MAC. */
	n = read_until(tap, f, sizeof(f), is_udp_to_stack_9999);
	ck_assert_int_eq(n, 14 + 20 + 8 + 9);
	ck_assert_mem_eq(f, stack_mac, 6);
	ck_assert_mem_eq(f + 42, "hello tap", 9);

	/* Us → kernel socket: a UDP datagram from 10.9.0.2:9999 to 10.9.0.1:7777. */
	uint8_t u[14 + 20 + 8 + 5];
	memcpy(u, kernel_mac, 6);
	memcpy(u + 6, stack_mac, 6);
	put_be16(u + 12, 0x0800);
	uint8_t *ip = u + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, 20 + 8 + 5);
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, STACK_IP);
	put_be32(ip + 16, KERNEL_IP);
	put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, 20, 0)));
	put_be16(ip + 20, 9999);
	put_be16(ip + 22, 7777);
	put_be16(ip + 24, 8 + 5);
	put_be16(ip + 26, 0); /* no UDP checksum: allowed over IPv4 (RFC 768) */
	memcpy(ip + 28, "reply", 5);
	ck_assert_int_eq(netdev_send(tap, u, sizeof(u), 0), 0);
	char got[16];
	struct pollfd p = {.fd = ks, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert_int_eq(recv(ks, got, sizeof(got), 0), 5);
	ck_assert_mem_eq(got, "reply", 5);
	close(ks);

	/* Wrappers keep the TAP's fd for the stack to sleep on. */
	struct fault_spec none = {.seed = 1};
	int fd = netdev_pollfd(tap);
	struct netdev *w = faults_wrap(tap, &none);
	ck_assert_int_eq(netdev_pollfd(w), fd);
	netdev_destroy(w);
}
END_TEST

START_TEST(tap_open_errors)
{
	char err[256];

	ck_assert_ptr_null(tap_open("a-name-much-too-long", err, sizeof(err)));
	ck_assert_str_eq(err, "bad TAP name 'a-name-much-too-long': 1 to 15 characters");
	if (!enter_private_netns("tap_open_errors"))
		return;
	/* An existing interface that is not a TAP. */
	ck_assert_ptr_null(tap_open("lo", err, sizeof(err)));
	ck_assert_str_eq(err, "TUNSETIFF lo: Invalid argument: lo exists but is not a TAP "
			      "interface");
	/* A TAP already attached (no multiqueue): the second attach is refused. */
	struct netdev *t1 = tap_open("tstap1", err, sizeof(err));
	ck_assert_msg(t1 != NULL, "%s", err);
	ck_assert_ptr_null(tap_open("tstap1", err, sizeof(err)));
	ck_assert_str_eq(err, "TUNSETIFF tstap1: Device or resource busy: another process is "
			      "attached to it (or it is not a TAP)");
	netdev_destroy(t1);
	/* netlink on an interface that does not exist. */
	ck_assert_int_eq(nl_configure_link("nosuch0", 1500, 0, 0, err, sizeof(err)), -ENODEV);
	ck_assert_str_eq(err, "no interface named nosuch0");
	ck_assert_int_eq(nl_configure_link("lo", 1500, 0, 33, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "prefix length 33 is more than 32");
}
END_TEST

/* Frames the kernel received on interface name (/proc/net/dev follows our namespace; /sys does
 * not). */
static uint64_t if_rx_packets(const char *name)
{
	FILE *f = fopen("/proc/net/dev", "r");
	char line[512];
	unsigned long long bytes, packets = 0;
	size_t n = strlen(name);
	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " ");
		if (!strncmp(p, name, n) && p[n] == ':' &&
		    sscanf(p + n + 1, "%llu %llu", &bytes, &packets) == 2)
			break;
	}
	if (f)
		fclose(f);
	return packets;
}

#define XFER_BYTES (1u << 20)

/* Byte i of each direction's stream. */
static uint8_t xfer_byte(uint64_t i, uint8_t seed)
{
	return (uint8_t)(i % 251 + seed);
}

/*
 * A whole stack on a TAP opened with want: the kernel's TCP sends it
 * XFER_BYTES and it sends as many back, on one connection, byte-exact.
 * Returns the mode set up; *stack_rx_segs and *kernel_rx_frames say how
 * many TCP segments the stack took in and how many frames the kernel
 * took from the TAP (super-segments make both far fewer than the MSS
 * count).
 */
static enum tap_offload stack_over_tap_io(const char *ifname, enum tap_offload want, enum tap_io io,
					  uint64_t *stack_rx_segs, uint64_t *kernel_rx_frames)
{
	char err[256];
	enum tap_offload got;
	struct netdev *tap = tap_open_offload(ifname, want, &got, err, sizeof(err));
	ck_assert_msg(tap != NULL, "%s", err);
	enum tap_io got_io;
	ck_assert_msg(tap_set_io(tap, io, &got_io, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(got_io, io);
	ck_assert_msg(nl_configure_link(ifname, 1500, KERNEL_IP, 24, err, sizeof(err)) == 0, "%s",
		      err);
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.ip = STACK_IP;
	memcpy(cfg.mac, stack_mac, 6);
	cfg.seed = 1;
	struct stack *st = calloc(1, sizeof(*st));
	ck_assert_int_eq(stack_init(st, &cfg, tap, ts_clock_us()), 0);
	int lfd = ts_socket(st, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9000)};
	ck_assert_int_eq(ts_bind(st, lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(ts_listen(st, lfd, 4), 0);

	int ks = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9000), .sin_addr.s_addr = htonl(STACK_IP)};
	ck_assert(connect(ks, (struct sockaddr *)&to, sizeof(to)) == 0 || errno == EINPROGRESS);
	static uint8_t buf[65536];
	uint64_t k_sent = 0, k_rcvd = 0, s_sent = 0, s_rcvd = 0;
	bool bad =
	    false; /* a byte out of place (one check at the end: ck_assert per byte is slow) */
	int fd = -1;
	uint64_t end = ts_clock_us() + 8000000;
	while ((k_rcvd < XFER_BYTES || s_rcvd < XFER_BYTES) && ts_clock_us() < end) {
		stack_wait(st, 1);
		if (fd < 0)
			fd = ts_accept4(st, lfd, NULL, NULL, SOCK_NONBLOCK);
		for (ssize_t w = 1; k_sent < XFER_BYTES && w > 0;
		     k_sent += (uint64_t)(w > 0 ? w : 0)) {
			size_t n =
			    XFER_BYTES - k_sent < sizeof(buf) ? XFER_BYTES - k_sent : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = xfer_byte(k_sent + i, 1);
			w = send(ks, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		for (ssize_t r = 1; r > 0;) {
			r = recv(ks, buf, sizeof(buf), MSG_DONTWAIT);
			for (ssize_t i = 0; i < r; i++)
				bad |= buf[i] != xfer_byte(k_rcvd + (uint64_t)i, 2);
			k_rcvd += (uint64_t)(r > 0 ? r : 0);
		}
		if (fd < 0)
			continue;
		for (ssize_t r = 1; r > 0;) {
			r = ts_read(st, fd, buf, sizeof(buf));
			for (ssize_t i = 0; i < r; i++)
				bad |= buf[i] != xfer_byte(s_rcvd + (uint64_t)i, 1);
			s_rcvd += (uint64_t)(r > 0 ? r : 0);
		}
		for (ssize_t w = 1; s_sent < XFER_BYTES && w > 0;
		     s_sent += (uint64_t)(w > 0 ? w : 0)) {
			size_t n =
			    XFER_BYTES - s_sent < sizeof(buf) ? XFER_BYTES - s_sent : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = xfer_byte(s_sent + i, 2);
			w = ts_write(st, fd, buf, n);
		}
	}
	ck_assert_uint_eq(s_rcvd, XFER_BYTES);
	ck_assert_uint_eq(k_rcvd, XFER_BYTES);
	ck_assert(!bad);
	ck_assert_uint_eq(st->drops[DROP_LINK_BAD_META] + st->drops[DROP_LINK_TX_FAIL], 0);
	ck_assert_uint_eq(st->drops[DROP_TCP_BAD_CSUM], 0);
	*stack_rx_segs = st->counters[CTR_TCP_RX];
	*kernel_rx_frames = if_rx_packets(ifname);
	close(ks);
	ts_close(st, fd);
	ts_close(st, lfd);
	stack_destroy(st);
	free(st);
	netdev_destroy(tap);
	return got;
}

static enum tap_offload stack_over_tap(const char *ifname, enum tap_offload want,
				       uint64_t *stack_rx_segs, uint64_t *kernel_rx_frames)
{
	return stack_over_tap_io(ifname, want, TAP_IO_PLAIN, stack_rx_segs, kernel_rx_frames);
}

/*
 * --offload tso against the real kernel: TUNSETOFFLOAD accepted, the
 * kernel's TCP sends the stack super-segments and takes the stack's own
 * (both sides see far fewer frames than 1 MiB / MSS), every byte exact.
 * --offload none on the same kernel moves the same bytes one frame per
 * segment.
 */
START_TEST(tap_offload_tso_both_ways)
{
	if (!enter_private_netns("tap_offload_tso_both_ways"))
		return;
	const uint64_t mss_segs = XFER_BYTES / 1460;
	uint64_t segs, frames;
	ck_assert_int_eq(stack_over_tap("tstap3", TAP_OFFLOAD_AUTO, &segs, &frames),
			 TAP_OFFLOAD_TSO);
	ck_assert_uint_lt(segs, mss_segs / 2);
	ck_assert_uint_lt(frames, mss_segs / 2);
	ck_assert_int_eq(stack_over_tap("tstap4", TAP_OFFLOAD_NONE, &segs, &frames),
			 TAP_OFFLOAD_NONE);
	ck_assert_uint_ge(segs, mss_segs);
	ck_assert_uint_ge(frames, mss_segs);
}
END_TEST

/* --offload csum: checksums partial both ways (the kernel completes ours), segments MSS-sized. */
START_TEST(tap_offload_csum_only)
{
	if (!enter_private_netns("tap_offload_csum_only"))
		return;
	const uint64_t mss_segs = XFER_BYTES / 1460;
	uint64_t segs, frames;
	ck_assert_int_eq(stack_over_tap("tstap5", TAP_OFFLOAD_CSUM, &segs, &frames),
			 TAP_OFFLOAD_CSUM);
	ck_assert_uint_ge(segs, mss_segs);
	ck_assert_uint_ge(frames, mss_segs);
}
END_TEST

/*
 * A whole stack over --io uring: its frames leave through the send queue
 * (flushed by stack_poll) and it reads the link through recv_batch; the
 * same 1 MiB each way byte-exact, no frame refused, with TSO and without
 * offloads.  Under valgrind (3.19 here) the stack's receive buffers, which
 * the kernel fills through io_uring and which are not zeroed, would read
 * as uninitialised (valgrind does not see those writes): this one test is
 * skipped there; the tests below zero their buffers and run.
 */
START_TEST(tap_uring_stack_transfer)
{
	if (RUNNING_ON_VALGRIND) {
		fprintf(stderr, "tap: tap_uring_stack_transfer skipped under valgrind (it does not "
				"see io_uring's writes into the stack's buffers)\n");
		return;
	}
	if (!enter_private_netns("tap_uring_stack_transfer"))
		return;
	const uint64_t mss_segs = XFER_BYTES / 1460;
	uint64_t segs, frames;
	ck_assert_int_eq(
	    stack_over_tap_io("tstap13", TAP_OFFLOAD_AUTO, TAP_IO_URING, &segs, &frames),
	    TAP_OFFLOAD_TSO);
	ck_assert_uint_lt(segs, mss_segs / 2);
	ck_assert_uint_lt(frames, mss_segs / 2);
	ck_assert_int_eq(
	    stack_over_tap_io("tstap14", TAP_OFFLOAD_NONE, TAP_IO_URING, &segs, &frames),
	    TAP_OFFLOAD_NONE);
	ck_assert_uint_ge(segs, mss_segs);
	ck_assert_uint_ge(frames, mss_segs);
}
END_TEST

/* A wrapper that counts the reads the stack makes of its lower device. */
struct count_dev {
	struct netdev dev;
	struct netdev *lower;
	unsigned recvs;
};

static ssize_t count_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *m,
			  uint64_t now_us)
{
	struct count_dev *c = (struct count_dev *)d;
	c->recvs++;
	return netdev_recv_meta(c->lower, buf, cap, m, now_us);
}
static int count_send(struct netdev *d, const uint8_t *f, size_t len, const struct netdev_meta *m,
		      uint64_t now_us)
{
	return netdev_send_meta(((struct count_dev *)d)->lower, f, len, m, now_us);
}
static int count_pollfd(struct netdev *d)
{
	return netdev_pollfd(((struct count_dev *)d)->lower);
}
static void count_destroy(struct netdev *d)
{
	netdev_destroy(((struct count_dev *)d)->lower);
}
static const struct netdev_ops count_ops = {
    .recv = count_recv,
    .send = count_send,
    .pollfd = count_pollfd,
    .destroy = count_destroy,
};

/*
 * stack_wait does not read a link its last read found empty until epoll
 * reports it (a read would only say EAGAIN), and still takes a frame that
 * arrives: the kernel's ARP request for the stack's address.
 */
START_TEST(stack_wait_reads_an_empty_link_once)
{
	char err[256];
	if (!enter_private_netns("stack_wait_reads_an_empty_link_once"))
		return;
	struct count_dev c = {.dev = {.ops = &count_ops, .name = "count"}};
	c.lower = tap_open("tstap6", err, sizeof(err));
	ck_assert_msg(c.lower != NULL, "%s", err);
	ck_assert_msg(nl_configure_link("tstap6", 1500, KERNEL_IP, 24, err, sizeof(err)) == 0, "%s",
		      err);
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.ip = STACK_IP;
	memcpy(cfg.mac, stack_mac, 6);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	struct stack *st = calloc(1, sizeof(*st));
	ck_assert_int_eq(stack_init(st, &cfg, &c.dev, ts_clock_us()), 0);
	/* The kernel's own chatter (IPv6 router solicitations...) may come: drain it. */
	while (stack_wait(st, 50) > 0)
		;
	unsigned before = c.recvs;
	ck_assert_int_eq(stack_wait(st, 0), 0);
	ck_assert_int_eq(stack_wait(st, 0), 0);
	ck_assert_uint_eq(c.recvs, before); /* known empty: not read again */
	/* A UDP datagram to the stack makes the kernel ARP for it: epoll sees it. */
	int ks = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9999), .sin_addr.s_addr = htonl(STACK_IP)};
	ck_assert_int_eq(sendto(ks, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	uint64_t end = ts_clock_us() + 2000000;
	while (st->counters[CTR_ARP_RX] == 0 && ts_clock_us() < end)
		stack_wait(st, 100);
	ck_assert_uint_ge(st->counters[CTR_ARP_RX], 1);
	ck_assert_uint_gt(c.recvs, before);
	close(ks);
	stack_destroy(st);
	free(st);
	netdev_destroy(c.lower);
}
END_TEST

/* Without privileges (root drops to nobody in this child) the message says what is needed. */
START_TEST(tap_open_unprivileged_says_why)
{
	char err[256];

	if (!enter_private_netns("tap_open_unprivileged_says_why"))
		return;
	ck_assert_int_eq(setresgid(65534, 65534, 65534), 0);
	ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	ck_assert_ptr_null(tap_open("tstap2", err, sizeof(err)));
	ck_assert_msg(strstr(err, "needs root or CAP_NET_ADMIN") != NULL, "message: %s", err);
	char err2[256];
	ck_assert_int_eq(nl_configure_link("lo", 1500, 0x7f000002, 8, err2, sizeof(err2)), -EPERM);
	ck_assert_msg(strstr(err2, "needs root or CAP_NET_ADMIN") != NULL, "message: %s", err2);
}
END_TEST

/*
 * --io uring (tap_set_io): the send queue, a refused frame, recv_batch.
 * Under valgrind the kernel's io_uring writes into our buffers are not
 * seen (valgrind 3.19 here), so the tests zero every buffer they hand to a
 * read first: what the kernel writes then reads as defined.
 */

/* A TAP in a private namespace with the kernel's side at 10.9.0.1/24 and a UDP socket there. */
struct uring_tap {
	struct netdev *tap;
	uint8_t kernel_mac[6];
	int ks; /* bound on 10.9.0.1:7777, non-blocking */
};

/* No IPv6 on interfaces made from now on: no router solicitation or MLD among our frames. */
static void no_ipv6_chatter(void)
{
	const char *paths[] = {"/proc/sys/net/ipv6/conf/all/disable_ipv6",
			       "/proc/sys/net/ipv6/conf/default/disable_ipv6"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		FILE *f = fopen(paths[i], "w");
		if (f) {
			fputs("1\n", f);
			fclose(f);
		}
	}
}

static void uring_tap_open(struct uring_tap *u, const char *ifname, enum tap_offload offload,
			   enum tap_io io, uint32_t mtu)
{
	char err[256];
	no_ipv6_chatter();
	enum tap_offload got_off;
	u->tap = tap_open_offload(ifname, offload, &got_off, err, sizeof(err));
	ck_assert_msg(u->tap != NULL, "%s", err);
	ck_assert_int_eq(got_off, offload);
	enum tap_io got = TAP_IO_AUTO;
	ck_assert_msg(tap_set_io(u->tap, io, &got, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(got, io);
	ck_assert_msg(nl_configure_link(ifname, mtu, KERNEL_IP, 24, err, sizeof(err)) == 0, "%s",
		      err);
	struct ifreq ifr;
	ck_assert_int_eq(if_ioctl(ifname, SIOCGIFHWADDR, &ifr), 0);
	memcpy(u->kernel_mac, ifr.ifr_hwaddr.sa_data, 6);
	u->ks = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(u->ks, 0);
	int rcvbuf = 4 << 20;
	setsockopt(u->ks, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = {
	    .sin_family = AF_INET, .sin_port = htons(7777), .sin_addr.s_addr = htonl(KERNEL_IP)};
	ck_assert_int_eq(bind(u->ks, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void uring_tap_close(struct uring_tap *u)
{
	close(u->ks);
	netdev_destroy(u->tap);
}

/*
 * Writes a UDP datagram from 10.9.0.2:9999 to the kernel's socket into f:
 * Ethernet + IPv4 + UDP with both checksums right, payload len octets (at
 * least 4) starting with seq (big endian).  Returns the frame's length.
 */
static size_t udp_to_kernel(uint8_t *f, const uint8_t kernel_mac[6], uint32_t seq, size_t len)
{
	memcpy(f, kernel_mac, 6);
	memcpy(f + 6, stack_mac, 6);
	put_be16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(20 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, STACK_IP);
	put_be32(ip + 16, KERNEL_IP);
	put_be16(ip + 10, ts_csum_fold(ts_csum_partial(ip, 20, 0)));
	uint8_t *udp = ip + 20;
	put_be16(udp, 9999);
	put_be16(udp + 2, 7777);
	put_be16(udp + 4, (uint16_t)(8 + len));
	put_be16(udp + 6, 0);
	put_be32(udp + 8, seq);
	for (size_t i = 4; i < len; i++)
		udp[8 + i] = (uint8_t)(seq + i);
	uint16_t c = ts_csum_fold(ts_csum_partial(
	    udp, 8 + len, ts_csum_pseudo(STACK_IP, KERNEL_IP, 17, (uint16_t)(8 + len))));
	put_be16(udp + 6, c ? c : 0xffff);
	return 14 + 20 + 8 + len;
}

/* Payload octets of datagram seq in the send tests: 3000 for one (a frame beyond a slot). */
#define URING_BIG_SEQ 30
static size_t uring_payload_len(uint32_t seq)
{
	return seq == URING_BIG_SEQ ? 3000 : 16 + seq % 7;
}

/* The kernel's socket has nothing for 50 ms. */
static void expect_nothing(int ks)
{
	struct pollfd p = {.fd = ks, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 50), 0);
	char b[8];
	ck_assert_int_eq(recv(ks, b, sizeof(b), MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
}

/* The kernel's socket receives the datagrams from..to-1 of the send tests, in that order. */
static void expect_seqs(int ks, uint32_t from, uint32_t to)
{
	static uint8_t b[4096];
	for (uint32_t seq = from; seq < to; seq++) {
		struct pollfd p = {.fd = ks, .events = POLLIN};
		ck_assert_msg(poll(&p, 1, 2000) == 1, "datagram %u did not arrive", seq);
		ssize_t n = recv(ks, b, sizeof(b), MSG_DONTWAIT);
		ck_assert_int_ge(n, 4);
		ck_assert_uint_eq(get_be32(b), seq);
		ck_assert_int_eq(n, (ssize_t)uring_payload_len(seq));
		for (ssize_t i = 4; i < n; i++)
			ck_assert_uint_eq(b[i], (uint8_t)(seq + (uint32_t)i));
	}
}

static void send_seq(struct uring_tap *u, uint32_t seq)
{
	static uint8_t f[4096];
	size_t len = udp_to_kernel(f, u->kernel_mac, seq, uring_payload_len(seq));
	struct netdev_meta m = {0};
	ck_assert_int_eq(
	    seq % 2 ? netdev_send(u->tap, f, len, 0) : netdev_send_meta(u->tap, f, len, &m, 0), 0);
}

/*
 * The send queue: small frames wait for a flush (nothing reaches the
 * kernel before); one larger than a slot flushes the queue and follows it;
 * a 65th queued frame flushes the 64 before it; after the last flush all
 * 100 arrived, each once, in the order they were sent.
 */
START_TEST(tap_uring_send_queue_in_order)
{
	if (!enter_private_netns("tap_uring_send_queue_in_order"))
		return;
	struct uring_tap u;
	uring_tap_open(&u, "tstap7", TAP_OFFLOAD_NONE, TAP_IO_URING, 9000);
	for (uint32_t seq = 0; seq < URING_BIG_SEQ; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks); /* queued, not written */
	send_seq(&u, URING_BIG_SEQ);
	expect_seqs(u.ks, 0, URING_BIG_SEQ + 1); /* the queue, then the large one */
	for (uint32_t seq = URING_BIG_SEQ + 1; seq < URING_BIG_SEQ + 1 + 64; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks); /* 64 queued: the queue is full */
	send_seq(&u, URING_BIG_SEQ + 1 + 64);
	expect_seqs(u.ks, URING_BIG_SEQ + 1, URING_BIG_SEQ + 1 + 64);
	for (uint32_t seq = URING_BIG_SEQ + 1 + 65; seq < 100; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks);
	ck_assert_int_eq(netdev_flush(u.tap, 0), 0);
	expect_seqs(u.ks, URING_BIG_SEQ + 1 + 64, 100);
	expect_nothing(u.ks);			     /* each once */
	ck_assert_int_eq(netdev_flush(u.tap, 0), 0); /* nothing left: nothing written */
	expect_nothing(u.ks);
	uring_tap_close(&u);
}
END_TEST

/*
 * A queued frame the kernel refuses (10 octets: tun says EINVAL) is
 * reported by the flush, once, and the frames around it still arrive in
 * order.
 */
START_TEST(tap_uring_refused_frame_counted)
{
	if (!enter_private_netns("tap_uring_refused_frame_counted"))
		return;
	struct uring_tap u;
	uring_tap_open(&u, "tstap8", TAP_OFFLOAD_NONE, TAP_IO_URING, 1500);
	uint8_t runt[10] = {0};
	memcpy(runt, u.kernel_mac, 6);
	for (uint32_t seq = 0; seq < 3; seq++)
		send_seq(&u, seq);
	ck_assert_int_eq(netdev_send(u.tap, runt, sizeof(runt), 0), 0); /* queued */
	for (uint32_t seq = 3; seq < 6; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks);
	ck_assert_int_eq(netdev_flush(u.tap, 0), 1);
	expect_seqs(u.ks, 0, 6);
	expect_nothing(u.ks);
	ck_assert_int_eq(netdev_flush(u.tap, 0), 0); /* reported once */
	/* Two refused among a full queue's internal flush and the last one: both counted. */
	ck_assert_int_eq(netdev_send(u.tap, runt, sizeof(runt), 0), 0);
	for (uint32_t seq = 6; seq < 6 + 64; seq++)
		send_seq(&u, seq); /* the 64th flushes the runt and 62 */
	ck_assert_int_eq(netdev_send(u.tap, runt, sizeof(runt), 0), 0);
	ck_assert_int_eq(netdev_flush(u.tap, 0), 2);
	expect_seqs(u.ks, 6, 6 + 64);
	uring_tap_close(&u);
}
END_TEST

/*
 * Nothing queued is lost when the queue goes: tap_set_io(PLAIN) sends it
 * first, and so does netdev_destroy (the stack's last RSTs).  Plain
 * frames then go out as they are sent.
 */
START_TEST(tap_uring_queue_sent_on_switch_and_destroy)
{
	if (!enter_private_netns("tap_uring_queue_sent_on_switch_and_destroy"))
		return;
	char err[256];
	struct uring_tap u;
	uring_tap_open(&u, "tstap15", TAP_OFFLOAD_NONE, TAP_IO_URING, 1500);
	for (uint32_t seq = 0; seq < 3; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks);
	enum tap_io got = TAP_IO_AUTO;
	ck_assert_msg(tap_set_io(u.tap, TAP_IO_PLAIN, &got, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(got, TAP_IO_PLAIN);
	expect_seqs(u.ks, 0, 3);
	send_seq(&u, 3); /* plain: written at once */
	expect_seqs(u.ks, 3, 4);
	/* auto: uring, as io_uring works on this kernel (the uring tests ran),
	 * except under valgrind, whose memcheck cannot see io_uring's writes
	 * into our buffers (tap_set_io). */
	ck_assert_msg(tap_set_io(u.tap, TAP_IO_AUTO, &got, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(got, RUNNING_ON_VALGRIND ? TAP_IO_PLAIN : TAP_IO_URING);
	ck_assert_msg(tap_set_io(u.tap, TAP_IO_URING, &got, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(got, TAP_IO_URING);
	for (uint32_t seq = 4; seq < 6; seq++)
		send_seq(&u, seq);
	expect_nothing(u.ks);
	netdev_destroy(u.tap);
	expect_seqs(u.ks, 4, 6);
	close(u.ks);
}
END_TEST

/*
 * Where io_uring cannot be set up (here: a seccomp filter in this forked
 * test makes io_uring_setup fail with EPERM, as Docker's default profile
 * does): --io uring fails, says why and leaves the device plain; auto
 * falls back to plain, and frames then go out as they are sent.
 */
START_TEST(tap_set_io_without_io_uring)
{
	if (!enter_private_netns("tap_set_io_without_io_uring"))
		return;
	struct sock_filter filter[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};
	ck_assert_int_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), 0);
	struct uring_tap u;
	uring_tap_open(&u, "tstap16", TAP_OFFLOAD_NONE, TAP_IO_PLAIN, 1500);
	char err[256] = "";
	enum tap_io got = TAP_IO_AUTO;
	ck_assert_int_eq(tap_set_io(u.tap, TAP_IO_URING, &got, err, sizeof(err)), -EPERM);
	ck_assert_msg(strstr(err, "io_uring is unavailable here") != NULL, "message: %s", err);
	ck_assert_int_eq(got, TAP_IO_AUTO); /* not set on failure */
	send_seq(&u, 0);
	expect_seqs(u.ks, 0, 1); /* still plain: written at once */
	ck_assert_int_eq(tap_set_io(u.tap, TAP_IO_AUTO, &got, err, sizeof(err)), 0);
	ck_assert_int_eq(got, TAP_IO_PLAIN);
	send_seq(&u, 1);
	expect_seqs(u.ks, 1, 2);
	uint8_t runt[10] = {0};
	ck_assert_int_eq(netdev_send(u.tap, runt, sizeof(runt), 0), -EINVAL); /* refused at once */
	ck_assert_int_eq(netdev_flush(u.tap, 0), 0);
	uring_tap_close(&u);
}
END_TEST

static bool is_udp_to_stack(const uint8_t *f, size_t len)
{
	return len >= 42 && get_be16(f + 12) == 0x0800 && f[23] == 17 &&
	       get_be32(f + 30) == STACK_IP;
}

/*
 * recv_batch against the kernel: five datagrams the kernel sent to
 * 10.9.0.2 (a permanent neighbour: no ARP first) come in one call, in
 * order, each with its metadata; the same call writes what was queued;
 * the next call finds the link empty.
 */
static void recv_batch_case(const char *ifname, enum tap_offload offload, enum tap_io io)
{
	struct uring_tap u;
	uring_tap_open(&u, ifname, offload, io, 1500);
	char cmd[160];
	snprintf(cmd, sizeof(cmd),
		 "ip neigh replace 10.9.0.2 lladdr 02:00:00:00:00:99 dev %s nud permanent", ifname);
	ck_assert_int_eq(system(cmd), 0);
	struct sockaddr_in to = {
	    .sin_family = AF_INET, .sin_port = htons(9999), .sin_addr.s_addr = htonl(STACK_IP)};
	enum { N = 5, CAP = 16 };
	for (int i = 0; i < N; i++) {
		char msg[16];
		snprintf(msg, sizeof(msg), "dg%d", i);
		ck_assert_int_eq(sendto(u.ks, msg, 3, 0, (struct sockaddr *)&to, sizeof(to)), 3);
	}
	struct pollfd p = {.fd = netdev_pollfd(u.tap), .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	/* Each sendto queued its frame on the TAP before it returned; a little time all the
	 * same, in case a qdisc run was deferred to a softirq. */
	poll(NULL, 0, 20);
	static uint8_t bufs[CAP][2048];
	struct netdev_rx rx[CAP];
	memset(bufs, 0, sizeof(bufs));
	memset(rx, 0, sizeof(rx));
	for (int i = 0; i < CAP; i++) {
		rx[i].buf = bufs[i];
		rx[i].cap = sizeof(bufs[i]);
	}
	/* Two datagrams to the kernel's socket and a runt: with uring they wait in the
	 * queue and the recv_batch call writes them (the stack does not flush before
	 * it); plain writes them at once and refuses the runt there. */
	uint8_t runt[10] = {0};
	memcpy(runt, u.kernel_mac, 6);
	send_seq(&u, 0);
	ck_assert_int_eq(netdev_send(u.tap, runt, sizeof(runt), 0),
			 io == TAP_IO_URING ? 0 : -EINVAL);
	send_seq(&u, 1);
	if (io == TAP_IO_URING)
		expect_nothing(u.ks);
	ck_assert_ptr_nonnull(u.tap->ops->recv_batch);
	ck_assert_int_eq(u.tap->ops->recv_batch(u.tap, rx, CAP, 0), N);
	expect_seqs(u.ks, 0, 2);
	/* The runt the batch's writes had refused: reported by the next flush, which has
	 * nothing left to write. */
	ck_assert_int_eq(netdev_flush(u.tap, 0), io == TAP_IO_URING ? 1 : 0);
	expect_nothing(u.ks);
	int seen = 0;
	for (int i = 0; i < CAP; i++) {
		if (!rx[i].len)
			continue;
		ck_assert_int_lt(seen, N);
		ck_assert_uint_eq(rx[i].len, 14 + 20 + 8 + 3);
		ck_assert_msg(is_udp_to_stack(rx[i].buf, rx[i].len), "entry %d: not our datagram",
			      i);
		ck_assert_mem_eq(rx[i].buf, stack_mac, 6);
		char msg[16];
		snprintf(msg, sizeof(msg), "dg%d", seen);
		ck_assert_mem_eq(rx[i].buf + 42, msg, 3);
		ck_assert_uint_eq(rx[i].meta.gso_type, NETDEV_GSO_NONE);
		if (offload == TAP_OFFLOAD_NONE) {
			ck_assert_uint_eq(rx[i].meta.csum, NETDEV_CSUM_NONE);
		} else {
			/* From the vnet header: the kernel left the UDP checksum to us
			 * (PARTIAL, at the UDP header's field) or vouched for it. */
			ck_assert_msg(rx[i].meta.csum == NETDEV_CSUM_PARTIAL ||
					  rx[i].meta.csum == NETDEV_CSUM_VERIFIED,
				      "entry %d: csum %u", i, rx[i].meta.csum);
			if (rx[i].meta.csum == NETDEV_CSUM_PARTIAL) {
				ck_assert_uint_eq(rx[i].meta.csum_start, 34);
				ck_assert_uint_eq(rx[i].meta.csum_offset, 6);
			}
		}
		seen++;
	}
	ck_assert_int_eq(seen, N);
	/* Empty now: nothing, no error. */
	memset(rx, 0, sizeof(rx));
	for (int i = 0; i < CAP; i++) {
		rx[i].buf = bufs[i];
		rx[i].cap = sizeof(bufs[i]);
	}
	ck_assert_int_eq(u.tap->ops->recv_batch(u.tap, rx, CAP, 0), 0);
	for (int i = 0; i < CAP; i++)
		ck_assert_uint_eq(rx[i].len, 0);
	uring_tap_close(&u);
}

START_TEST(tap_recv_batch_uring)
{
	if (!enter_private_netns("tap_recv_batch_uring"))
		return;
	recv_batch_case("tstap9", TAP_OFFLOAD_NONE, TAP_IO_URING);
}
END_TEST

START_TEST(tap_recv_batch_uring_csum)
{
	if (!enter_private_netns("tap_recv_batch_uring_csum"))
		return;
	recv_batch_case("tstap10", TAP_OFFLOAD_CSUM, TAP_IO_URING);
}
END_TEST

START_TEST(tap_recv_batch_plain)
{
	if (!enter_private_netns("tap_recv_batch_plain"))
		return;
	recv_batch_case("tstap11", TAP_OFFLOAD_NONE, TAP_IO_PLAIN);
	recv_batch_case("tstap12", TAP_OFFLOAD_CSUM, TAP_IO_PLAIN);
}
END_TEST

/* tap_set_io on a device that is not a TAP: -EINVAL and why (no root needed). */
START_TEST(tap_set_io_not_a_tap)
{
	char err[256] = "";
	struct netdev *a, *b;
	wire_pair(&a, &b);
	enum tap_io got = TAP_IO_AUTO;
	ck_assert_int_eq(tap_set_io(a, TAP_IO_URING, &got, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "--io applies to a TAP device") != NULL, "message: %s", err);
	ck_assert_int_eq(got, TAP_IO_AUTO); /* untouched */
	err[0] = 0;
	ck_assert_int_eq(tap_set_io(b, TAP_IO_PLAIN, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "--io applies to a TAP device") != NULL, "message: %s", err);
	netdev_destroy(a);
	netdev_destroy(b);
}
END_TEST

static Suite *tap_suite(void)
{
	Suite *s = suite_create("tap");
	TCase *tc = tcase_create("netns");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, tap_and_netlink_roundtrip);
	tcase_add_test(tc, tap_open_errors);
	tcase_add_test(tc, tap_open_unprivileged_says_why);
	tcase_add_test(tc, tap_offload_tso_both_ways);
	tcase_add_test(tc, tap_offload_csum_only);
	tcase_add_test(tc, stack_wait_reads_an_empty_link_once);
	tcase_add_test(tc, tap_uring_send_queue_in_order);
	tcase_add_test(tc, tap_uring_refused_frame_counted);
	tcase_add_test(tc, tap_recv_batch_uring);
	tcase_add_test(tc, tap_recv_batch_uring_csum);
	tcase_add_test(tc, tap_recv_batch_plain);
	tcase_add_test(tc, tap_set_io_not_a_tap);
	tcase_add_test(tc, tap_set_io_without_io_uring);
	tcase_add_test(tc, tap_uring_queue_sent_on_switch_and_destroy);
	tcase_add_test(tc, tap_uring_stack_transfer);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(tap_suite)
