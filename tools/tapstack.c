/*
 * tapstack.c - the program: parse the command line (SPEC "The tapstack
 * program"), build the link (TAP, then the --faults, --pcap and --trace
 * wrappers), start the stack and run one of
 *
 *   serve   the services (HTTP 8080, TCP echo 7, discard 9, UDP echo 7) on
 *           one ts_epoll instance until SIGINT/SIGTERM; with --model tasks
 *           HTTP runs as tasks (one per connection, http/server_tasks.c)
 *           beside the services' event loop, on the same stack and thread;
 *   get     one HTTP GET over the userspace stack (active open), to an
 *           IPv4 address or an IPv6 literal (http://[fd00::1]:8000/);
 *   ping    ICMP or ICMPv6 echo from the userspace stack, printed like
 *           ping(8) from iputils prints either;
 *   sim     two stacks over the in-memory wire on a virtual clock
 *           (tools/sim/sim_cmd.c, which parses its own options).
 *
 * Exit status: 0 clean, 1 runtime failure (with the reason and the fix),
 * 2 bad command line (one line naming the bad option).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "faults.h"
#include "handler.h"
#include "icmp.h"
#include "icmp6.h"
#include "netdev.h"
#include "nl.h"
#include "pcap_tee.h"
#include "server.h"
#include "server_tasks.h"
#include "services.h"
#include "setup_cmd.h"
#include "sim_cmd.h"
#include "stack.h"
#include "tap.h"
#include "tapstack.h"
#include "tcp_cc.h"
#include "trace.h"

enum command { CMD_SERVE, CMD_GET, CMD_PING };

struct options {
	enum command cmd;
	struct ts_config cfg;
	const char *tap;	  /* --tap */
	bool host_ip_set;	  /* --host-ip given */
	uint32_t host_ip;	  /* kernel side address, host order */
	uint8_t host_prefix;	  /* its prefix length */
	const char *pcap;	  /* --pcap FILE, "-": standard output */
	const char *pcapng;	  /* --pcapng FILE, "-": standard output */
	enum tap_offload offload; /* --offload */
	enum tap_io io;		  /* --io */
	bool faults_set;	  /* --faults given */
	struct fault_spec faults; /* parsed --faults */
	bool stats;		  /* --stats */
	uint16_t http_port;	  /* --http-port */
	uint32_t http_idle_ms;	  /* --http-idle-timeout: keep-alive idle limit */
	uint32_t http_header_ms;  /* --http-header-timeout: whole header block limit */
	bool model_tasks;	  /* --model tasks: the HTTP server as tasks */
	const char *url;	  /* get URL */
	const char *out_file;	  /* get -o FILE */
	const char *ping_host;	  /* ping HOST */
	int ping_af;		  /* its family: AF_INET or AF_INET6 */
	uint32_t ping_dst;	  /* its address (AF_INET), host order */
	uint8_t ping_dst6[16];	  /* its address (AF_INET6) */
	long ping_count;	  /* ping -c N (0: until interrupted) */
	long ping_size;		  /* ping -s SIZE */
	double ping_interval_s;	  /* ping -i SECONDS */
	double ping_wait_s;	  /* ping -W SECONDS: wait for the last reply */
};

/* Signal flags: the only process-wide state, as signal handlers require. */
static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t usr1_flag;
static volatile int stop_int; /* mirror of stop_flag that struct stack watches */

static void on_stop(int sig)
{
	(void)sig;
	stop_flag = 1;
	stop_int = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_flag = 1;
}

static void install_signals(void)
{
	struct sigaction sa = {0};
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/*
 * --help: `tapstack --help` shows every command; `tapstack CMD --help` (named)
 * the options of CMD alone, as tapstack(1) lists them (sim and setup print
 * their own).
 */
static void usage(FILE *out, enum command cmd, bool named)
{
	const char *head =
	    "usage: tapstack [serve] [options]        run the stack and its services\n"
	    "       tapstack get URL [-o FILE] [opts] HTTP GET over the userspace stack;\n"
	    "                                         URL http://ADDR[:PORT]/PATH, an IPv6\n"
	    "                                         ADDR in brackets: http://[fd00::1]:8000/\n"
	    "       tapstack ping HOST [-c N] [opts]  ICMP echo from the userspace stack;\n"
	    "                                         HOST an IPv4 or IPv6 address\n"
	    "       tapstack sim [opts] [get PATH | bytes N | ping [-c N] | echo N]\n"
	    "                                         two stacks in one process over the "
	    "in-memory\n"
	    "                                         wire (client 10.0.0.1, server 10.0.0.2),\n"
	    "                                         virtual clock, no root (tapstack sim "
	    "--help)\n"
	    "       tapstack setup --user NAME [--tap NAME] [--host-ip ADDR/LEN]\n"
	    "                                         as root, once: a persistent TAP owned by\n"
	    "                                         NAME, so serve runs without root\n"
	    "                                         (tapstack setup --help)\n"
	    "       tapstack CMD --help               the options of one command\n"
	    "       tapstack --version\n";
	if (named && cmd == CMD_SERVE)
		head = "usage: tapstack [serve] [options]  run the stack and its services\n";
	else if (named && cmd == CMD_GET)
		head = "usage: tapstack get URL [-o FILE] [options]  HTTP GET over the userspace "
		       "stack\n"
		       "URL: http://ADDR[:PORT][/PATH], ADDR an IPv4 address or an IPv6 address\n"
		       "in brackets (http://[fd00::1]:8000/, http://[fe80::1%25tap0]/)\n"
		       "get options:\n"
		       "  -o FILE             write the body to FILE (default stdout)\n";
	else if (named && cmd == CMD_PING)
		head = "usage: tapstack ping HOST [-c N] [options]  ICMP echo from the userspace "
		       "stack\n"
		       "HOST: an IPv4 address (ICMP) or an IPv6 address (ICMPv6), fe80::1%tap0\n"
		       "for a link-local one\n";
	/* The options of serve, get and ping (tapstack(1), "Options of serve, get and ping"). */
	fprintf(out,
		"%s"
		"options:\n"
		"  --tap NAME          TAP interface (default tap0; created if absent)\n"
		"  --host-ip ADDR/LEN  configure the kernel side of the TAP (link up, address)\n"
		"  --ip ADDR/LEN       the stack's address (default 10.0.0.2/24)\n"
		"  --ip6 ADDR/LEN      the stack's IPv6 address (default fd00::2/64), beside\n"
		"                      the link-local one from the MAC\n"
		"  --gw ADDR           the stack's default gateway\n"
		"  --mac MAC           the stack's MAC (default 02:00:00:00:00:02)\n"
		"  --mtu N             link MTU (default 1500)\n"
		"  --pcap FILE         write every frame received and sent (pcap; - for stdout)\n"
		"  --pcapng FILE       the same in pcapng, with directions and drop reasons\n"
		"  --trace WHAT        layers,api,tcp,sched or all\n"
		"  --faults SPEC       loss=5%%,dup=1%%,reorder=10%%,delay=5ms,jitter=2ms,"
		"corrupt=0.5%%,seed=N\n"
		"  --stats             print counters on exit\n"
		"  --offload MODE      auto, none, csum or tso: TAP offloads (default auto)\n"
		"  --io MODE           auto, uring or plain: TAP writes batched through io_uring\n"
		"                      or one per frame (default auto)\n"
		"  --cc NAME           congestion control: cubic (default) or reno\n"
		"  --help              this text\n"
		"  --version           the version\n",
		head);
	if (!named || cmd == CMD_SERVE)
		fprintf(out,
			"serve options:\n"
			"  --http-port N       HTTP port of serve (default 8080)\n"
			"  --http-idle-timeout MS    close idle keep-alive connections (default "
			"60000)\n"
			"  --http-header-timeout MS  limit for a request's header block (default "
			"10000)\n"
			"  --model MODEL       serve's HTTP server: events (default) or tasks\n");
	if (!named || cmd == CMD_PING)
		fprintf(
		    out,
		    "ping options:\n"
		    "  -c COUNT            stop after COUNT replies (default: until interrupted)\n"
		    "  -s SIZE             payload bytes (default 56)\n"
		    "  -i INTERVAL         seconds between requests (default 1)\n"
		    "  -W TIMEOUT          seconds to wait for the last reply (default 2)\n");
}

/* --version: the one VERSION of the Makefile (also the library's and tapstack.pc's). */
static void print_version(void)
{
	printf("tapstack %s\n", TS_VERSION);
}

/* One line naming the bad input, exit 2 (SPEC "Exit status"). */
static void __attribute__((noreturn, format(printf, 1, 2))) bad_input(const char *fmt, ...)
{
	va_list ap;
	fputs("tapstack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tapstack --help)\n", stderr);
	exit(2);
}

static bool parse_ipv4(const char *s, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

/* "A.B.C.D/LEN"; LEN 1..32. */
static bool parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	char *end;
	errno = 0;
	long len = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || len < 1 || len > 32)
		return false;
	if (!parse_ipv4(buf, addr))
		return false;
	*prefix = (uint8_t)len;
	return true;
}

/* "ADDR/LEN" with an IPv6 address, LEN 1..128; a unicast address only. */
static bool parse_cidr6(const char *s, uint8_t addr[16], uint8_t *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	char *end;
	errno = 0;
	long len = strtol(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || len < 1 || len > 128)
		return false;
	if (inet_pton(AF_INET6, buf, addr) != 1 || addr[0] == 0xff)
		return false;
	*prefix = (uint8_t)len;
	return true;
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
		return false;
	for (int i = 0; i < 6; i++) {
		if (v[i] > 255)
			return false;
		mac[i] = (uint8_t)v[i];
	}
	/* A station address must be unicast: bit 0 of the first octet clear. */
	return (mac[0] & 1) == 0 && memcmp(mac, "\0\0\0\0\0\0", 6) != 0;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool parse_seconds(const char *s, double lo, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || end == s || !(v >= lo) || v > 86400)
		return false;
	*out = v;
	return true;
}

enum {
	OPT_TAP = 256,
	OPT_HOST_IP,
	OPT_IP,
	OPT_IP6,
	OPT_GW,
	OPT_MAC,
	OPT_MTU,
	OPT_PCAP,
	OPT_PCAPNG,
	OPT_TRACE,
	OPT_FAULTS,
	OPT_STATS,
	OPT_HTTP_PORT,
	OPT_HTTP_IDLE,
	OPT_HTTP_HEADER,
	OPT_OFFLOAD,
	OPT_IO,
	OPT_CC,
	OPT_MODEL,
	OPT_HELP,
	OPT_VERSION,
};

static const struct option long_opts[] = {
    {"tap", required_argument, NULL, OPT_TAP},
    {"host-ip", required_argument, NULL, OPT_HOST_IP},
    {"ip", required_argument, NULL, OPT_IP},
    {"ip6", required_argument, NULL, OPT_IP6},
    {"gw", required_argument, NULL, OPT_GW},
    {"mac", required_argument, NULL, OPT_MAC},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"pcapng", required_argument, NULL, OPT_PCAPNG},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"faults", required_argument, NULL, OPT_FAULTS},
    {"stats", no_argument, NULL, OPT_STATS},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"http-idle-timeout", required_argument, NULL, OPT_HTTP_IDLE},
    {"http-header-timeout", required_argument, NULL, OPT_HTTP_HEADER},
    {"offload", required_argument, NULL, OPT_OFFLOAD},
    {"io", required_argument, NULL, OPT_IO},
    {"cc", required_argument, NULL, OPT_CC},
    {"model", required_argument, NULL, OPT_MODEL},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {0},
};

/* Whether the capture goes to standard output (--pcap - or --pcapng -). */
static bool capture_on_stdout(const struct options *o)
{
	return (o->pcap && !strcmp(o->pcap, "-")) || (o->pcapng && !strcmp(o->pcapng, "-"));
}

/* --pcap/--pcapng: empty, both on stdout, stdout a terminal or taken by get. */
static void check_capture_opts(const struct options *o)
{
	if ((o->pcap && !*o->pcap) || (o->pcapng && !*o->pcapng))
		bad_input("--%s needs a file name, or - for standard output",
			  o->pcap && !*o->pcap ? "pcap" : "pcapng");
	if (o->pcap && o->pcapng && !strcmp(o->pcap, "-") && !strcmp(o->pcapng, "-"))
		bad_input("--pcap - and --pcapng - both write standard output: give one a file");
	if (!capture_on_stdout(o))
		return;
	const char *opt = o->pcap && !strcmp(o->pcap, "-") ? "--pcap" : "--pcapng";
	if (isatty(STDOUT_FILENO))
		bad_input("%s -: standard output is a terminal; pipe it, e.g. "
			  "| tshark -i - or | wireshark -k -i -",
			  opt);
	if (o->cmd == CMD_GET && !o->out_file)
		bad_input("%s - and get both write standard output: give get -o FILE", opt);
}

/*
 * ping's HOST: an IPv4 address, or an IPv6 one with an optional zone
 * (fe80::1%tap0, as ping(8) takes it); the stack has one link, so the zone
 * is not looked at.
 */
static bool parse_ping_host(const char *s, struct options *o)
{
	if (parse_ipv4(s, &o->ping_dst)) {
		o->ping_af = AF_INET;
		return true;
	}
	char buf[INET6_ADDRSTRLEN];
	size_t n = strcspn(s, "%");
	if (n >= sizeof(buf) || (s[n] == '%' && !s[n + 1]))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, o->ping_dst6) != 1)
		return false;
	o->ping_af = AF_INET6;
	return true;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof(*o));
	ts_config_default(&o->cfg);
	o->tap = "tap0";
	o->http_port = 8080;
	o->http_idle_ms = 60000;
	o->http_header_ms = 10000;
	o->offload = TAP_OFFLOAD_AUTO;
	o->io = TAP_IO_AUTO;
	o->ping_size = 56;
	o->ping_interval_s = 1.0;
	o->ping_wait_s = 2.0;

	int first = 1;
	if (argc > 1 && argv[1][0] != '-') {
		if (!strcmp(argv[1], "serve"))
			o->cmd = CMD_SERVE;
		else if (!strcmp(argv[1], "get"))
			o->cmd = CMD_GET;
		else if (!strcmp(argv[1], "ping"))
			o->cmd = CMD_PING;
		else
			bad_input("unknown command '%s'", argv[1]);
		first = 2;
	}
	/* getopt over the remaining words; positional words (URL, HOST) are
	 * collected after it permutes them to the end. */
	argv[first - 1] = argv[0];
	argc -= first - 1;
	argv += first - 1;
	opterr = 0;
	optind = 1;
	const char *shortopts =
	    o->cmd == CMD_PING ? ":c:s:i:W:h" : (o->cmd == CMD_GET ? ":o:h" : ":h");
	int c;
	long v;
	while ((c = getopt_long(argc, argv, shortopts, long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_TAP:
			if (!*optarg || strlen(optarg) >= 16)
				bad_input("bad --tap '%s': an interface name of 1 to 15 characters",
					  optarg);
			o->tap = optarg;
			break;
		case OPT_HOST_IP:
			if (!parse_cidr(optarg, &o->host_ip, &o->host_prefix))
				bad_input("bad --host-ip '%s': expected ADDR/LEN like 10.0.0.1/24",
					  optarg);
			o->host_ip_set = true;
			break;
		case OPT_IP:
			if (!parse_cidr(optarg, &o->cfg.ip, &o->cfg.prefix_len))
				bad_input("bad --ip '%s': expected ADDR/LEN like 10.0.0.2/24",
					  optarg);
			break;
		case OPT_IP6:
			if (!parse_cidr6(optarg, o->cfg.ip6, &o->cfg.ip6_prefix_len))
				bad_input("bad --ip6 '%s': expected ADDR/LEN like fd00::2/64",
					  optarg);
			break;
		case OPT_GW:
			if (!parse_ipv4(optarg, &o->cfg.gw))
				bad_input("bad --gw '%s': expected an IPv4 address", optarg);
			break;
		case OPT_MAC:
			if (!parse_mac(optarg, o->cfg.mac))
				bad_input("bad --mac '%s': expected a unicast MAC like "
					  "02:00:00:00:00:02",
					  optarg);
			break;
		case OPT_MTU:
			if (!parse_long(optarg, 576, 9000, &v))
				bad_input("bad --mtu '%s': expected 576 to 9000", optarg);
			o->cfg.mtu = (uint32_t)v;
			break;
		case OPT_PCAP:
			o->pcap = optarg;
			break;
		case OPT_PCAPNG:
			o->pcapng = optarg;
			break;
		case OPT_TRACE:
			if (!stack_trace_parse(optarg, &o->cfg.trace) || !o->cfg.trace)
				bad_input(
				    "bad --trace '%s': expected layers, api, tcp, sched or all, "
				    "comma-separated",
				    optarg);
			break;
		case OPT_FAULTS: {
			char err[160];
			if (fault_spec_parse(optarg, &o->faults, err, sizeof(err)) < 0)
				bad_input("bad --faults '%s': %s", optarg, err);
			o->faults_set = true;
			break;
		}
		case OPT_STATS:
			o->stats = true;
			break;
		case OPT_CC:
			/* Linux net.ipv4.tcp_congestion_control for this stack. */
			if (!tcp_cc_find(optarg))
				bad_input("bad --cc '%s': expected one of: %s", optarg,
					  tcp_cc_available());
			snprintf(o->cfg.tcp_congestion, sizeof(o->cfg.tcp_congestion), "%s",
				 optarg);
			break;
		case OPT_HTTP_PORT:
			if (!parse_long(optarg, 1, 65535, &v))
				bad_input("bad --http-port '%s': expected 1 to 65535", optarg);
			o->http_port = (uint16_t)v;
			break;
		case OPT_HTTP_IDLE:
			if (!parse_long(optarg, 1, 86400000, &v))
				bad_input("bad --http-idle-timeout '%s': expected milliseconds",
					  optarg);
			o->http_idle_ms = (uint32_t)v;
			break;
		case OPT_HTTP_HEADER:
			if (!parse_long(optarg, 1, 86400000, &v))
				bad_input("bad --http-header-timeout '%s': expected milliseconds",
					  optarg);
			o->http_header_ms = (uint32_t)v;
			break;
		case OPT_IO:
			if (!tap_io_parse(optarg, &o->io))
				bad_input("bad --io '%s': expected auto, uring or plain", optarg);
			break;
		case OPT_OFFLOAD:
			if (!tap_offload_parse(optarg, &o->offload))
				bad_input("bad --offload '%s': expected auto, none, csum or tso",
					  optarg);
			break;
		case OPT_MODEL:
			if (!strcmp(optarg, "tasks"))
				o->model_tasks = true;
			else if (strcmp(optarg, "events"))
				bad_input("bad --model '%s': expected events or tasks", optarg);
			break;
		case 'o':
			o->out_file = optarg;
			break;
		case 'c':
			if (!parse_long(optarg, 1, LONG_MAX, &o->ping_count))
				bad_input("bad -c '%s': expected a positive count", optarg);
			break;
		case 's':
			if (!parse_long(optarg, 0, 65507, &o->ping_size))
				bad_input("bad -s '%s': expected 0 to 65507", optarg);
			break;
		case 'i':
			if (!parse_seconds(optarg, 0.002, &o->ping_interval_s))
				bad_input("bad -i '%s': expected seconds, at least 0.002", optarg);
			break;
		case 'W':
			if (!parse_seconds(optarg, 0.001, &o->ping_wait_s))
				bad_input("bad -W '%s': expected seconds", optarg);
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout, o->cmd, first == 2);
			exit(0);
		case OPT_VERSION:
			print_version();
			exit(0);
		case ':':
			if (optopt)
				bad_input("option '-%c' needs a value", optopt);
			bad_input("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				bad_input("unknown option '-%c'", optopt);
			bad_input("unknown option '%s'", argv[optind - 1]);
		}
	}
	check_capture_opts(o);
	int rest = argc - optind;
	switch (o->cmd) {
	case CMD_SERVE:
		if (rest)
			bad_input("unexpected argument '%s'", argv[optind]);
		break;
	case CMD_GET:
		if (rest != 1)
			bad_input(rest ? "unexpected argument '%s'" : "get needs a URL%s",
				  rest ? argv[optind + 1] : "");
		o->url = argv[optind];
		/* A URL that cannot be fetched is a bad command line: said
		 * before the TAP is opened. */
		struct http_url u;
		char err[256];
		if (http_url_parse(o->url, &u, err, sizeof(err)) < 0)
			bad_input("bad URL: %s", err);
		break;
	case CMD_PING:
		if (rest != 1)
			bad_input(rest ? "unexpected argument '%s'" : "ping needs a HOST%s",
				  rest ? argv[optind + 1] : "");
		o->ping_host = argv[optind];
		if (!parse_ping_host(o->ping_host, o))
			bad_input("bad HOST '%s': expected an IPv4 or IPv6 address (no DNS in the "
				  "stack)",
				  o->ping_host);
		break;
	}
}

/* Runtime failure: the failing step, the reason, exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;
	fputs("tapstack: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * The link, innermost first: TAP, then faults (what the wire does), then
 * the pcap writer (so the capture holds what the stack really received and
 * sent), then the layer tracer.
 */
static struct netdev *open_link(const struct options *o, struct netdev **faults_dev)
{
	char err[1024]; /* the permission error names the ways to run without root */
	enum tap_offload got;
	/* --faults acts on wire frames (faults.h): auto then stops at csum, so the
	 * kernel sends MSS-sized segments too, each lost or kept on its own. */
	enum tap_offload want = o->offload;
	if (o->faults_set && want == TAP_OFFLOAD_AUTO)
		want = TAP_OFFLOAD_CSUM;
	struct netdev *dev = tap_open_offload(o->tap, want, &got, err, sizeof(err));
	if (!dev && want != o->offload) /* still auto: fall back to none */
		dev = tap_open_offload(o->tap, TAP_OFFLOAD_NONE, &got, err, sizeof(err));
	if (!dev)
		fail("%s", err);
	fprintf(stderr, "tapstack: offload %s on %s (--offload %s%s)\n", tap_offload_name(got),
		dev->name, tap_offload_name(o->offload),
		want != o->offload ? ", no TSO with --faults" : "");
	enum tap_io io;
	if (tap_set_io(dev, o->io, &io, err, sizeof(err)) < 0) {
		netdev_destroy(dev);
		fail("%s", err);
	}
	fprintf(stderr, "tapstack: io %s on %s (--io %s)\n", tap_io_name(io), dev->name,
		tap_io_name(o->io));
	if (o->host_ip_set && nl_configure_link(o->tap, o->cfg.mtu, o->host_ip, o->host_prefix, err,
						sizeof(err)) < 0) {
		netdev_destroy(dev);
		fail("configuring the kernel side of %s: %s", o->tap, err);
	}
	*faults_dev = NULL;
	if (o->faults_set)
		dev = *faults_dev = faults_wrap(dev, &o->faults);
	if (o->pcap) {
		struct netdev *tee = pcap_tee_wrap(dev, o->pcap, err, sizeof(err));
		if (!tee) {
			netdev_destroy(dev);
			fail("--pcap %s: %s", o->pcap, err);
		}
		dev = tee;
	}
	/* Above the faults and below the tracer, which pass the stack's
	 * verdicts on each received frame down to it (netdev.h rx_verdict). */
	if (o->pcapng) {
		/* The interface is named after the TAP, whatever wraps it. */
		struct pcapng_file *f = pcapng_file_open(o->pcapng, err, sizeof(err));
		struct netdev *tee =
		    f ? pcapng_tee_wrap_file(dev, f, o->tap, false, err, sizeof(err)) : NULL;
		pcapng_file_close(f);
		if (!tee) {
			netdev_destroy(dev);
			fail("--pcapng: %s", err); /* err names the file */
		}
		dev = tee;
	}
	if (o->cfg.trace & TS_TRACE_LAYERS)
		dev = trace_wrap(dev, o->cfg.trace_out);
	return dev;
}

static void print_report(struct stack *st)
{
	ts_sock_print_table(st, stderr);
	ts_counters_print(st, stderr);
	fflush(stderr);
}

/* Drives the stack so FINs and their ACKs can cross, bounded in time. */
static void drain(struct stack *st, int ms)
{
	uint64_t until = ts_clock_us() + (uint64_t)ms * 1000u;
	st->stop = NULL;
	while (ts_clock_us() < until)
		stack_wait(st, 20);
}

/*
 * The start line: where to point a client.  The listeners are dual-stack
 * (one AF_INET6 socket, IPV6_V6ONLY 0), so the IPv6 URL is given too when
 * the stack has a static IPv6 address.
 */
static void print_serving(const struct stack *st, const struct options *o, const char *model)
{
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {htonl(st->cfg.ip)};
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	char v6[INET6_ADDRSTRLEN + 32] = "";
	static const uint8_t unset[16];
	if (memcmp(st->cfg.ip6, unset, sizeof(unset)) != 0) {
		char ip6[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, st->cfg.ip6, ip6, sizeof(ip6));
		snprintf(v6, sizeof(v6), " and http://[%s]:%u/hello", ip6, o->http_port);
	}
	fprintf(stderr,
		"tapstack: serving on %s (%s/%u): http://%s:%u/hello%s%s, echo 7, discard 9\n",
		o->tap, ip, st->cfg.prefix_len, ip, o->http_port, v6, model);
}

/*
 * serve --model tasks: the HTTP server as tasks (the accept loop and one
 * task per connection), the other services on their own epoll set in the
 * main loop; ts_epoll_wait runs the tasks whenever it polls the stack.
 */
static int run_serve_tasks(struct stack *st, const struct options *o,
			   const struct http_server_config *hcfg)
{
	struct http_server_tasks *http = NULL;
	int err = http_server_tasks_start(&http, st, hcfg);
	if (err < 0)
		fail("starting the HTTP server on port %u: %s", o->http_port, strerror(-err));
	int epfd = ts_epoll_create1(st, EPOLL_CLOEXEC);
	if (epfd < 0)
		fail("epoll_create1: %s", strerror(errno));
	struct services *svc = NULL;
	err = services_start(&svc, st, epfd);
	if (err < 0)
		fail("starting echo/discard services: %s", strerror(-err));

	print_serving(st, o, " (tasks)");

	struct epoll_event evs[128];
	while (!stop_flag) {
		if (usr1_flag) {
			usr1_flag = 0;
			print_report(st);
		}
		int n = ts_epoll_wait(st, epfd, evs, 128, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			struct ts_handler *h = evs[i].data.ptr;
			h->on_event(h, evs[i].events);
		}
	}
	/* SPEC "Signals": close every connection cleanly, then exit 0.  The
	 * tasks must run to their end, so blocking calls may wait again. */
	st->stop = NULL;
	services_stop(svc);
	ts_close(st, epfd);
	http_server_tasks_stop(http);
	drain(st, 300);
	return 0;
}

static int run_serve(struct stack *st, const struct options *o)
{
	/* HTTP first, so that --trace api reads like strace of the seed's Go
	 * server: socket, setsockopt, bind, listen, epoll_create1, epoll_ctl,
	 * accept4 = EAGAIN, epoll_wait.  The services share its epoll set. */
	struct http_server *http = NULL;
	struct http_server_config hcfg;
	http_server_config_default(&hcfg); /* body timeout, max_conns */
	hcfg.port = o->http_port;
	hcfg.idle_timeout_ms = o->http_idle_ms;
	hcfg.header_timeout_ms = o->http_header_ms;
	if (o->model_tasks)
		return run_serve_tasks(st, o, &hcfg);
	int err = http_server_start(&http, st, -1, &hcfg);
	if (err < 0)
		fail("starting the HTTP server on port %u: %s", o->http_port, strerror(-err));
	int epfd = http_server_epfd(http);
	struct services *svc = NULL;
	err = services_start(&svc, st, epfd);
	if (err < 0)
		fail("starting echo/discard services: %s", strerror(-err));

	print_serving(st, o, "");

	struct epoll_event evs[128];
	while (!stop_flag) {
		if (usr1_flag) {
			usr1_flag = 0;
			print_report(st);
		}
		int timeout = http_server_next_timeout_ms(http, st->now_us);
		int n = ts_epoll_wait(st, epfd, evs, 128, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("epoll_wait: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			struct ts_handler *h = evs[i].data.ptr;
			h->on_event(h, evs[i].events);
		}
		http_server_expire(http, st->now_us);
	}
	/* SPEC "Signals": close every connection cleanly, then exit 0. */
	services_stop(svc);
	http_server_stop(http); /* closes the epoll set too */
	drain(st, 300);
	return 0;
}

static int run_get(struct stack *st, const struct options *o)
{
	int fd = STDOUT_FILENO;
	if (o->out_file) {
		fd = open(o->out_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			fail("-o %s: %s", o->out_file, strerror(errno));
	}
	struct http_get_result res;
	char err[256];
	int r = http_get(st, o->url, fd, &res, err, sizeof(err));
	if (fd != STDOUT_FILENO)
		close(fd);
	drain(st, 100);
	if (r < 0)
		fail("get %s: %s", o->url, err);
	fprintf(stderr, "tapstack: HTTP %d, %llu bytes\n", res.status,
		(unsigned long long)res.body_bytes);
	return res.status >= 200 && res.status < 300 ? 0 : 1;
}

/* ping(8)-style state for the echo-reply callbacks. */
struct ping_state {
	struct stack *st;
	const char *tap;	/* the link, for a link-local source's zone */
	uint16_t id;		/* ICMP identifier of this run */
	int af;			/* AF_INET or AF_INET6 */
	uint32_t dst;		/* target (AF_INET), host order */
	uint8_t dst6[16];	/* target (AF_INET6) */
	long sent, received;	/* counts */
	double min_ms, max_ms;	/* RTT extremes */
	double sum_ms, sum2_ms; /* for avg and mdev */
	long size;		/* payload bytes */
	FILE *out;		/* stdout, or stderr when the capture is there */
};

/*
 * One reply of ours (identifier and source matched by the caller): the
 * round trip from the timestamp in its first 8 data octets, and the line
 * iputils prints: the ICMP message's size (8-octet header and data), the
 * source, the sequence number and the TTL, or for IPv6 the hop limit
 * (iputils calls both ttl=).
 */
static void ping_print_reply(struct ping_state *p, const char *from, uint16_t seq,
			     const uint8_t *data, size_t len, uint8_t ttl)
{
	double rtt_ms = -1;
	if (len >= 8) {
		uint64_t sent_us;
		memcpy(&sent_us, data, 8);
		rtt_ms = (double)(p->st->now_us - sent_us) / 1000.0;
	}
	p->received++;
	if (rtt_ms >= 0) {
		if (p->received == 1 || rtt_ms < p->min_ms)
			p->min_ms = rtt_ms;
		if (rtt_ms > p->max_ms)
			p->max_ms = rtt_ms;
		p->sum_ms += rtt_ms;
		p->sum2_ms += rtt_ms * rtt_ms;
	}
	if (rtt_ms >= 0)
		fprintf(p->out, "%zu bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms\n", len + 8,
			from, seq, ttl, rtt_ms);
	else
		fprintf(p->out, "%zu bytes from %s: icmp_seq=%u ttl=%u\n", len + 8, from, seq, ttl);
	fflush(p->out);
}

/* Whether seq is one we sent (1..sent, the 16-bit counter wrapping). */
static bool ping_seq_ours(const struct ping_state *p, uint16_t seq)
{
	return p->sent >= 65536 || (long)(uint16_t)(seq - 1) < p->sent;
}

static void ping_reply(void *ctx, uint32_t src, uint16_t id, uint16_t seq, const uint8_t *data,
		       size_t len, uint8_t ttl)
{
	struct ping_state *p = ctx;
	if (id != p->id || src != p->dst)
		return;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a = {htonl(src)};
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	ping_print_reply(p, ip, seq, data, len, ttl);
}

/* ICMPv6 (RFC 4443 §4.2): a reply is ours when its identifier, its
 * source and its sequence number are those of a request we sent. */
static void ping6_reply(void *ctx, const uint8_t src[16], uint16_t id, uint16_t seq,
			const uint8_t *data, size_t len, uint8_t hop_limit)
{
	struct ping_state *p = ctx;
	if (id != p->id || memcmp(src, p->dst6, 16) || !ping_seq_ours(p, seq))
		return;
	/* As iputils prints a link-local source: with its zone, the link. */
	char ip[INET6_ADDRSTRLEN + 17];
	inet_ntop(AF_INET6, src, ip, INET6_ADDRSTRLEN);
	if (src[0] == 0xfe && (src[1] & 0xc0) == 0x80)
		snprintf(ip + strlen(ip), sizeof(ip) - strlen(ip), "%%%s", p->tap);
	ping_print_reply(p, ip, seq, data, len, hop_limit);
}

static int run_ping(struct stack *st, const struct options *o)
{
	struct ping_state p = {
	    .st = st, .tap = o->tap, .af = o->ping_af, .dst = o->ping_dst, .size = o->ping_size};
	memcpy(p.dst6, o->ping_dst6, 16);
	p.out = capture_on_stdout(o) ? stderr : stdout; /* SPEC: the capture alone on stdout */
	p.id = (uint16_t)(getpid() & 0xffff);
	if (p.af == AF_INET6)
		icmp6_set_echo_handler(st, ping6_reply, &p);
	else
		icmp_set_echo_handler(st, ping_reply, &p);

	uint8_t payload[65507];
	for (long i = 0; i < o->ping_size; i++)
		payload[i] = (uint8_t)(i + 8); /* ping(8)'s fill after the timestamp */
	/* iputils' first line: data and IPv4 datagram sizes for ICMP, the data
	 * size alone for ICMPv6. */
	if (p.af == AF_INET6)
		fprintf(p.out, "PING %s(%s) %ld data bytes\n", o->ping_host, o->ping_host,
			o->ping_size);
	else
		fprintf(p.out, "PING %s (%s) %ld(%ld) bytes of data.\n", o->ping_host, o->ping_host,
			o->ping_size, o->ping_size + 28);
	fflush(p.out);

	uint64_t start = ts_clock_us();
	uint64_t interval_us = (uint64_t)(o->ping_interval_s * 1e6);
	uint64_t next_send = start;
	uint64_t last_deadline = 0;
	uint16_t seq = 1;
	for (;;) {
		if (stop_flag)
			break;
		uint64_t now = ts_clock_us();
		bool more = o->ping_count == 0 || p.sent < o->ping_count;
		if (more && now >= next_send) {
			st->now_us = now > st->now_us ? now : st->now_us;
			if (o->ping_size >= 8)
				memcpy(payload, &st->now_us, 8);
			int r = p.af == AF_INET6 ? icmp6_echo_request(st, p.dst6, p.id, seq,
								      payload, (size_t)o->ping_size)
						 : icmp_echo_request(st, p.dst, p.id, seq, payload,
								     (size_t)o->ping_size);
			if (r < 0)
				fprintf(stderr, "tapstack: ping: sendmsg: %s\n", strerror(-r));
			p.sent++;
			seq++;
			next_send += interval_us;
			last_deadline = now + (uint64_t)(o->ping_wait_s * 1e6);
		}
		if (!more && (p.received >= p.sent || now >= last_deadline))
			break;
		uint64_t until = more ? next_send : last_deadline;
		int ms = until > now ? (int)((until - now + 999) / 1000) : 0;
		stack_wait(st, ms);
	}
	double elapsed_ms = (double)(ts_clock_us() - start) / 1000.0;
	fprintf(p.out, "\n--- %s ping statistics ---\n", o->ping_host);
	fprintf(p.out, "%ld packets transmitted, %ld received, %ld%% packet loss, time %.0fms\n",
		p.sent, p.received, p.sent ? (p.sent - p.received) * 100 / p.sent : 0, elapsed_ms);
	if (p.received && o->ping_size >= 8) {
		double avg = p.sum_ms / (double)p.received;
		double var = p.sum2_ms / (double)p.received - avg * avg;
		fprintf(p.out, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", p.min_ms, avg,
			p.max_ms, sqrt(var > 0 ? var : 0));
	}
	fflush(p.out);
	if (p.af == AF_INET6)
		icmp6_set_echo_handler(st, NULL, NULL);
	else
		icmp_set_echo_handler(st, NULL, NULL);
	return p.received ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct options o;
	if (argc > 1 && !strcmp(argv[1], "sim"))
		return sim_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "setup"))
		return setup_main(argc - 1, argv + 1);
	parse_args(argc, argv, &o);
	install_signals();
	setvbuf(stderr, NULL, _IOLBF, 0);

	struct netdev *faults_dev;
	struct netdev *dev = open_link(&o, &faults_dev);
	struct stack st;
	/* serve announces its IPv6 groups (mld6.c), checks its addresses and
	 * asks for routers (rd6.c) as a host joining a link does; get and
	 * ping only borrow the TAP for one exchange. */
	o.cfg.mld_reports = o.cmd == CMD_SERVE;
	o.cfg.dad = o.cmd == CMD_SERVE;
	o.cfg.router_solicit = o.cmd == CMD_SERVE;
	int err = stack_init(&st, &o.cfg, dev, ts_clock_us());
	if (err < 0) {
		netdev_destroy(dev);
		fail("starting the stack: %s", strerror(-err));
	}
	st.stop = &stop_int;

	int rc = 0;
	switch (o.cmd) {
	case CMD_SERVE:
		rc = run_serve(&st, &o);
		break;
	case CMD_GET:
		rc = run_get(&st, &o);
		break;
	case CMD_PING:
		rc = run_ping(&st, &o);
		break;
	}
	/* After the drain: what is still open is reset (SPEC "Signals": the
	 * peer must not wait for a FIN that will never come). */
	stack_shutdown(&st);
	if (o.stats)
		ts_counters_print(&st, stderr);
	if (o.stats && faults_dev)
		faults_stats(faults_dev, stderr);
	stack_destroy(&st);
	netdev_destroy(dev);
	return rc;
}
