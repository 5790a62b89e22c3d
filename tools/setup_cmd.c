/*
 * setup_cmd.c - `tapstack setup`: the one step that needs root, so that
 * `tapstack serve` runs unprivileged afterwards.
 *
 *   tapstack setup --user NAME [--group GROUP] [--tap tap0]
 *                  [--host-ip ADDR/LEN] [--mtu N]
 *   tapstack setup --remove [--tap tap0]
 *
 * It makes the TAP persistent and owned by NAME through the TUN ioctls
 * (tap_persist: TUNSETIFF, TUNSETOWNER, TUNSETGROUP, TUNSETPERSIST) and
 * configures its kernel side through rtnetlink (nl_configure_link: link up,
 * MTU, address), the two things an unprivileged serve cannot do: the
 * kernel lets a TAP's owner attach to it without CAP_NET_ADMIN
 * (tun_not_capable), but changing the link needs CAP_NET_ADMIN.  --remove
 * clears persistence, and the kernel deletes the TAP.  Nothing is run
 * through a shell.
 */
#include "setup_cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"
#include "tap.h"

void setup_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tapstack setup --user NAME [--group GROUP] [--tap NAME] [--host-ip ADDR/LEN]\n"
	    "                      [--mtu N]\n"
	    "       tapstack setup --remove [--tap NAME]\n"
	    "  as root, once: make TAP NAME persistent and owned by user NAME, bring its\n"
	    "  kernel side up (and give it ADDR/LEN); `tapstack serve --tap NAME` then\n"
	    "  runs as that user without root\n"
	    "options:\n"
	    "  --user NAME         the user (name or uid) who may attach to the TAP\n"
	    "  --group GROUP       also require membership of GROUP (name or gid)\n"
	    "  --tap NAME          the TAP (default tap0)\n"
	    "  --host-ip ADDR/LEN  address of the kernel side, like 10.0.0.1/24\n"
	    "  --mtu N             MTU of the kernel side (576 to 9000)\n"
	    "  --remove            delete the persistent TAP\n"
	    "  --help              this text\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) setup_bad(const char *fmt, ...)
{
	va_list ap;
	fputs("tapstack setup: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tapstack setup --help)\n", stderr);
	exit(2);
}

/* A number made only of digits, at most max. */
static bool digits(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || v > max)
		return false;
	*out = v;
	return true;
}

enum { O_USER = 256, O_GROUP, O_TAP, O_HOST_IP, O_MTU, O_REMOVE, O_HELP };
static const struct option setup_long[] = {
    {"user", required_argument, NULL, O_USER}, {"group", required_argument, NULL, O_GROUP},
    {"tap", required_argument, NULL, O_TAP},   {"host-ip", required_argument, NULL, O_HOST_IP},
    {"mtu", required_argument, NULL, O_MTU},   {"remove", no_argument, NULL, O_REMOVE},
    {"help", no_argument, NULL, O_HELP},       {0},
};

int setup_main(int argc, char **argv)
{
	const char *user = NULL, *group = NULL, *tap = "tap0", *host_ip_arg = NULL;
	uid_t uid = 0;
	gid_t gid = (gid_t)-1;
	uint32_t host_ip = 0, mtu = 0;
	uint8_t prefix = 0;
	bool remove = false;
	unsigned long v;
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", setup_long, NULL)) != -1) {
		switch (c) {
		case O_USER: {
			user = optarg;
			const struct passwd *pw = getpwnam(optarg);
			if (pw)
				uid = pw->pw_uid;
			else if (digits(optarg, 0xfffffffeUL, &v))
				uid = (uid_t)v;
			else
				setup_bad("bad --user '%s': no such user", optarg);
			break;
		}
		case O_GROUP: {
			group = optarg;
			const struct group *gr = getgrnam(optarg);
			if (gr)
				gid = gr->gr_gid;
			else if (digits(optarg, 0xfffffffeUL, &v))
				gid = (gid_t)v;
			else
				setup_bad("bad --group '%s': no such group", optarg);
			break;
		}
		case O_TAP:
			if (!*optarg || strlen(optarg) >= 16)
				setup_bad("bad --tap '%s': an interface name of 1 to 15 characters",
					  optarg);
			tap = optarg;
			break;
		case O_HOST_IP: {
			char a[INET_ADDRSTRLEN];
			unsigned len;
			char tail;
			struct in_addr in;
			if (sscanf(optarg, "%15[0-9.]/%u%c", a, &len, &tail) != 2 ||
			    inet_pton(AF_INET, a, &in) != 1 || len < 1 || len > 32)
				setup_bad("bad --host-ip '%s': expected ADDR/LEN like 10.0.0.1/24",
					  optarg);
			host_ip = ntohl(in.s_addr);
			host_ip_arg = optarg;
			prefix = (uint8_t)len;
			break;
		}
		case O_MTU:
			if (!digits(optarg, 9000, &v) || v < 576)
				setup_bad("bad --mtu '%s': expected 576 to 9000", optarg);
			mtu = (uint32_t)v;
			break;
		case O_REMOVE:
			remove = true;
			break;
		case 'h':
		case O_HELP:
			setup_usage(stdout);
			return 0;
		case ':':
			setup_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				setup_bad("unknown option '-%c'", optopt);
			setup_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		setup_bad("unexpected argument '%s'", argv[optind]);
	if (remove && (user || group || host_ip || mtu))
		setup_bad("--remove takes only --tap");
	if (!remove && !user)
		setup_bad("setup needs --user NAME (who will run tapstack serve)");

	char err[512];
	if (remove) {
		int r = tap_unpersist(tap, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "tapstack setup: %s\n", err);
			return 1;
		}
		fprintf(stderr, "tapstack setup: %s removed\n", tap);
		return 0;
	}
	int r = tap_persist(tap, uid, gid, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "tapstack setup: %s\n", err);
		return 1;
	}
	/* The link changes an unprivileged serve could not make. */
	r = nl_configure_link(tap, mtu, host_ip, prefix, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "tapstack setup: configuring the kernel side of %s: %s\n", tap,
			err);
		char e2[256];
		tap_unpersist(tap, e2, sizeof(e2));
		return 1;
	}
	fprintf(stderr,
		"tapstack setup: %s is persistent, owned by %s (uid %lu)%s%s, link up%s%s; "
		"as that user run: tapstack serve --tap %s\n",
		tap, user, (unsigned long)uid, group ? " and group " : "", group ? group : "",
		host_ip ? ", kernel side " : "", host_ip ? host_ip_arg : "", tap);
	return 0;
}
