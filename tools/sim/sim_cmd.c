/*
 * sim_cmd.c - `tapstack sim`: two stacks in one process joined by the
 * in-memory wire (tap/wire.c), client 10.0.0.1 and server 10.0.0.2, on a
 * virtual clock (sim_net.h).  The server runs what `serve` runs; the client
 * runs one task and checks the answer:
 *
 *   tapstack sim [options] [get PATH | bytes N | ping [-c N] [-s SIZE] | echo N | udp N]
 *
 * The link, innermost first, per end: the wire, the pcap writer (on the
 * client's end only, so the capture shows what crossed the wire once), the
 * pcapng writer (--pcapng: on both ends, one interface each, so that each
 * stack's verdicts on what it received become drop comments), the
 * --faults wrapper (on what each end sends, so every frame crosses the
 * spec once), the --trace layers printer.
 *
 * Deterministic for a seed: the stacks' RNGs, the fault streams and the
 * server's Date all derive from --seed and the virtual clock, so the same
 * command writes the same pcap byte for byte.
 *
 * Exit status: 0 the task succeeded, 1 it failed (or the run timed out),
 * 2 bad command line.
 */
#include "sim_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "faults.h"
#include "pcap_tee.h"
#include "sim_net.h"
#include "sim_peer.h"
#include "stack.h"
#include "trace.h"
#include "wire.h"

/* Simulated time a run may take before it counts as failed. */
#define SIM_DEFAULT_LIMIT_S 600
/* After the task: time for the FIN exchange to finish (it shows in the pcap). */
#define SIM_CLOSE_US 2000000u

struct sim_opts {
	struct sim_task task;
	uint64_t seed;
	bool faults_set;
	bool faults_seeded; /* the spec has its own seed= */
	struct fault_spec faults;
	unsigned trace;
	const char *pcap;
	const char *pcapng; /* --pcapng FILE: both ends, with directions and drops */
	bool stats;
	uint32_t mtu;
	uint64_t limit_s;
};

static void sim_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tapstack sim [options] [get PATH | bytes N | ping [-c N] [-s SIZE] | echo N "
	    "| udp N]\n"
	    "  two stacks in one process over the in-memory wire: client 10.0.0.1, server\n"
	    "  10.0.0.2 (HTTP 8080, TCP echo 7, discard 9, UDP echo 7), virtual clock, no root\n"
	    "  get PATH     GET PATH from the server (default: get /hello)\n"
	    "  bytes N      GET /bytes/N and check every byte (i %% 251)\n"
	    "  ping         ICMP echo, one per simulated second (-c COUNT, default 4; -s SIZE)\n"
	    "  echo N       N bytes through the TCP echo service, checked as they return\n"
	    "  udp N        N datagrams through the UDP echo service (-s SIZE, default 64)\n"
	    "options:\n"
	    "  --seed N       seeds the stacks and the faults (default 1): same seed, same run\n"
	    "  --faults SPEC  loss=2%%,dup=1%%,reorder=5%%,delay=5ms,jitter=1ms,corrupt=0.5%%"
	    "[,seed=N]\n"
	    "  --pcap FILE    every frame on the wire, stamped with the simulated clock\n"
	    "  --pcapng FILE  both ends in pcapng: directions, and each stack's drop reasons\n"
	    "  --trace WHAT   layers,api,tcp or all (lines carry the simulated time and the side)\n"
	    "  --mtu N        link MTU of both stacks (default 1500)\n"
	    "  --time-limit S simulated seconds before the run counts as failed (default 600)\n"
	    "  --stats        print both stacks' counters and the wire's fault counts\n"
	    "  --help         this text\n"
	    "exit status: 0 success, 1 failure, 2 bad usage\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) sim_bad(const char *fmt, ...)
{
	va_list ap;
	fputs("tapstack sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see tapstack sim --help)\n", stderr);
	exit(2);
}

static bool num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static unsigned trace_bits(const char *s)
{
	char buf[128];
	unsigned bits = 0;
	if (strlen(s) >= sizeof(buf))
		return 0;
	strcpy(buf, s);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "layers"))
			bits |= TS_TRACE_LAYERS;
		else if (!strcmp(tok, "api"))
			bits |= TS_TRACE_API;
		else if (!strcmp(tok, "tcp"))
			bits |= TS_TRACE_TCP;
		else if (!strcmp(tok, "all"))
			bits |= TS_TRACE_LAYERS | TS_TRACE_API | TS_TRACE_TCP;
		else
			return 0;
	}
	return bits;
}

enum { O_SEED = 256, O_FAULTS, O_PCAP, O_PCAPNG, O_TRACE, O_MTU, O_STATS, O_LIMIT, O_HELP };
static const struct option sim_long[] = {
    {"seed", required_argument, NULL, O_SEED},	 {"faults", required_argument, NULL, O_FAULTS},
    {"pcap", required_argument, NULL, O_PCAP},	 {"pcapng", required_argument, NULL, O_PCAPNG},
    {"trace", required_argument, NULL, O_TRACE}, {"mtu", required_argument, NULL, O_MTU},
    {"stats", no_argument, NULL, O_STATS},	 {"time-limit", required_argument, NULL, O_LIMIT},
    {"help", no_argument, NULL, O_HELP},	 {0},
};

static void sim_parse(int argc, char **argv, struct sim_opts *o)
{
	uint64_t v;
	bool count_set = false, size_set = false;
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->mtu = 1500;
	o->limit_s = SIM_DEFAULT_LIMIT_S;
	o->task.kind = SIM_TASK_GET;
	snprintf(o->task.path, sizeof(o->task.path), "/hello");
	o->task.count = 4;
	o->task.size = 56;

	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, ":c:s:h", sim_long, NULL)) != -1) {
		switch (c) {
		case O_SEED:
			if (!num(optarg, 0, UINT64_MAX / 4, &o->seed))
				sim_bad("bad --seed '%s': expected a number", optarg);
			break;
		case O_FAULTS: {
			char err[160];
			if (fault_spec_parse(optarg, &o->faults, err, sizeof(err)) < 0)
				sim_bad("bad --faults '%s': %s", optarg, err);
			o->faults_set = true;
			o->faults_seeded = strstr(optarg, "seed=") != NULL;
			break;
		}
		case O_PCAP:
			o->pcap = optarg;
			break;
		case O_PCAPNG:
			if (!*optarg || !strcmp(optarg, "-"))
				sim_bad("bad --pcapng '%s': sim prints its report on standard "
					"output; give a file",
					optarg);
			o->pcapng = optarg;
			break;
		case O_TRACE:
			if (!(o->trace = trace_bits(optarg)))
				sim_bad("bad --trace '%s': expected layers, api, tcp or all, "
					"comma-separated",
					optarg);
			break;
		case O_MTU:
			if (!num(optarg, 576, 9000, &v))
				sim_bad("bad --mtu '%s': expected 576 to 9000", optarg);
			o->mtu = (uint32_t)v;
			break;
		case O_LIMIT:
			if (!num(optarg, 1, 86400 * 365, &o->limit_s))
				sim_bad("bad --time-limit '%s': expected seconds", optarg);
			break;
		case O_STATS:
			o->stats = true;
			break;
		case 'c':
			if (!num(optarg, 1, 65535, &v))
				sim_bad("bad -c '%s': expected 1 to 65535", optarg);
			o->task.count = (uint32_t)v;
			count_set = true;
			break;
		case 's':
			if (!num(optarg, 0, 65507, &v))
				sim_bad("bad -s '%s': expected 0 to 65507", optarg);
			o->task.size = (uint32_t)v;
			size_set = true;
			break;
		case 'h':
		case O_HELP:
			sim_usage(stdout);
			exit(0);
		case ':':
			if (optopt)
				sim_bad("option '-%c' needs a value", optopt);
			sim_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				sim_bad("unknown option '-%c'", optopt);
			sim_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	int rest = argc - optind;
	char **w = argv + optind;
	if (rest > 0) {
		const char *cmd = w[0];
		if (!strcmp(cmd, "get")) {
			if (rest != 2)
				sim_bad("get needs one PATH, like: get /hello");
			if (w[1][0] != '/' || strlen(w[1]) >= sizeof(o->task.path) ||
			    strpbrk(w[1], " \t\r\n"))
				sim_bad("bad PATH '%s': expected an absolute path like /hello",
					w[1]);
			snprintf(o->task.path, sizeof(o->task.path), "%s", w[1]);
		} else if (!strcmp(cmd, "bytes")) {
			if (rest != 2 || !num(w[1], 0, 1ull << 31, &o->task.n))
				sim_bad("bytes needs N, 0 to 2147483648");
			o->task.kind = SIM_TASK_BYTES;
		} else if (!strcmp(cmd, "ping")) {
			if (rest != 1)
				sim_bad("unexpected argument '%s' after ping", w[1]);
			o->task.kind = SIM_TASK_PING;
		} else if (!strcmp(cmd, "echo")) {
			if (rest != 2 || !num(w[1], 1, 1ull << 40, &o->task.n))
				sim_bad("echo needs N, the number of bytes (at least 1)");
			o->task.kind = SIM_TASK_ECHO;
		} else if (!strcmp(cmd, "udp")) {
			uint64_t n;
			if (rest != 2 || !num(w[1], 1, 65535, &n))
				sim_bad("udp needs N, the number of datagrams (1 to 65535)");
			o->task.kind = SIM_TASK_UDP;
			o->task.count = (uint32_t)n;
			if (!size_set)
				o->task.size = 64;
		} else {
			sim_bad("unknown task '%s' (get PATH, bytes N, ping, echo N, udp N)", cmd);
		}
	}
	if (count_set && o->task.kind != SIM_TASK_PING)
		sim_bad("-c belongs to ping");
	if (size_set && o->task.kind != SIM_TASK_PING && o->task.kind != SIM_TASK_UDP)
		sim_bad("-s belongs to ping and udp");
	if (o->task.kind == SIM_TASK_UDP && o->task.size > o->mtu - 28 && o->task.size > 65507)
		sim_bad("-s too large");
}

/* Both peers behind the generic node interface of sim_net.h. */
static int node_poll(void *ctx, uint64_t now_us)
{
	return sim_peer_poll(ctx, now_us);
}
static uint64_t node_deadline(void *ctx)
{
	return sim_peer_next_deadline(ctx);
}
static bool client_done(void *ctx)
{
	return sim_peer_result(ctx)->finished;
}

static double real_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t drops_of(const struct stack *st)
{
	uint64_t n = 0;
	for (int i = 0; i < DROP_MAX; i++)
		n += st->drops[i];
	return n;
}

int sim_main(int argc, char **argv)
{
	struct sim_opts o;
	sim_parse(argc, argv, &o);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t now = SIM_START_US;
	char err[256];

	struct netdev *dc, *ds; /* client's and server's ends */
	wire_pair(&dc, &ds);
	if (o.pcap) {
		struct netdev *p = pcap_tee_wrap_stack_clock(dc, o.pcap, err, sizeof(err));
		if (!p) {
			fprintf(stderr, "tapstack sim: --pcap %s: %s\n", o.pcap, err);
			netdev_destroy(dc);
			netdev_destroy(ds);
			return 1;
		}
		dc = p;
	}
	/* One file, one interface per end: each frame as one end sent it and as
	 * the other received it, with that stack's drop reasons (pcap_tee.h). */
	if (o.pcapng) {
		struct pcapng_file *f = pcapng_file_open(o.pcapng, err, sizeof(err));
		struct netdev *pc =
		    f ? pcapng_tee_wrap_file(dc, f, "client 10.0.0.1", true, err, sizeof(err))
		      : NULL;
		struct netdev *ps =
		    pc ? pcapng_tee_wrap_file(ds, f, "server 10.0.0.2", true, err, sizeof(err))
		       : NULL;
		pcapng_file_close(f);
		if (!ps) {
			fprintf(stderr, "tapstack sim: --pcapng: %s\n", err);
			netdev_destroy(pc ? pc : dc);
			netdev_destroy(ds);
			return 1;
		}
		dc = pc;
		ds = ps;
	}
	struct netdev *fc = NULL, *fs = NULL; /* the fault wrappers, for their counts */
	if (o.faults_set) {
		struct fault_spec sc = o.faults, ss = o.faults;
		uint64_t seed = o.faults_seeded ? o.faults.seed : o.seed;
		sc.seed = seed * 2;
		ss.seed = seed * 2 + 1;
		dc = fc = faults_wrap_dirs(dc, &sc, FAULTS_TX);
		ds = fs = faults_wrap_dirs(ds, &ss, FAULTS_TX);
	}
	FILE *tc = NULL, *ts = NULL;
	if (o.trace) {
		tc = sim_trace_stream(stderr, "client", &now);
		ts = sim_trace_stream(stderr, "server", &now);
		if (o.trace & TS_TRACE_LAYERS) {
			dc = trace_wrap(dc, tc);
			ds = trace_wrap(ds, ts);
		}
	}
	struct ts_config cc, cs;
	sim_peer_config(&cc, SIM_CLIENT, o.seed);
	sim_peer_config(&cs, SIM_SERVER, o.seed);
	cc.mtu = cs.mtu = o.mtu;
	cc.trace = cs.trace = o.trace & ~TS_TRACE_LAYERS;
	cc.trace_out = tc ? tc : stderr;
	cs.trace_out = ts ? ts : stderr;

	struct sim_peer *server = sim_peer_new(SIM_SERVER, &cs, ds, now, NULL, err, sizeof(err));
	struct sim_peer *client =
	    server ? sim_peer_new(SIM_CLIENT, &cc, dc, now, &o.task, err, sizeof(err)) : NULL;
	if (!client) {
		fprintf(stderr, "tapstack sim: %s\n", err);
		sim_peer_free(server);
		netdev_destroy(dc);
		netdev_destroy(ds);
		return 1;
	}

	struct sim_node nc = {client, node_poll, node_deadline};
	struct sim_node ns = {server, node_poll, node_deadline};
	uint64_t limit = now + o.limit_s * 1000000u;
	enum sim_end end = sim_run(&nc, &ns, &now, limit, client_done, client);
	const struct sim_result *r = sim_peer_result(client);
	uint64_t sim_us = (r->finished ? r->done_us : now) - SIM_START_US;
	/* Let the closes finish so the capture ends with the FINs. */
	if (end == SIM_DONE)
		sim_run(&nc, &ns, &now, now + SIM_CLOSE_US, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	struct stack *sc = sim_peer_stack(client), *ss = sim_peer_stack(server);
	bool ok = end == SIM_DONE && r->ok;
	if (r->finished)
		printf("%s\n", r->what);
	else if (end == SIM_LIVELOCK)
		printf("the two stacks kept answering each other without the clock moving "
		       "(livelock) at %.6f s\n",
		       (double)(now - SIM_START_US) / 1e6);
	else
		printf("not finished after %llu simulated seconds\n",
		       (unsigned long long)o.limit_s);
	if (o.task.kind == SIM_TASK_GET && r->body_len)
		printf("body: %.*s%s", (int)r->body_len, r->body,
		       r->body[r->body_len - 1] == '\n' ? "" : "\n");
	struct fault_stats fcs = {0}, fss = {0};
	if (fc)
		faults_get_stats(fc, &fcs, NULL);
	if (fs)
		faults_get_stats(fs, &fss, NULL);
	uint64_t rex_c = sc->counters[CTR_TCP_RETRANS], rex_s = ss->counters[CTR_TCP_RETRANS];
	printf("result:          %s\n", ok ? "ok" : "FAILED");
	printf("bytes:           %llu\n", (unsigned long long)r->bytes);
	printf("simulated time:  %llu.%06llu s\n", (unsigned long long)(sim_us / 1000000u),
	       (unsigned long long)(sim_us % 1000000u));
	printf("real time:       %.3f s\n", real_s(&t0, &t1));
	printf("retransmissions: %llu (client %llu, server %llu)\n",
	       (unsigned long long)(rex_c + rex_s), (unsigned long long)rex_c,
	       (unsigned long long)rex_s);
	printf("drops:           %llu on the wire (--faults), %llu by the stacks (client %llu, "
	       "server %llu)\n",
	       (unsigned long long)(fcs.lost + fss.lost + fcs.overflow + fss.overflow),
	       (unsigned long long)(drops_of(sc) + drops_of(ss)), (unsigned long long)drops_of(sc),
	       (unsigned long long)drops_of(ss));
	printf("seed:            %llu%s\n", (unsigned long long)o.seed,
	       o.faults_set ? " (faults seeded from it unless the spec has seed=)" : "");
	if (o.stats) {
		fflush(stdout);
		fprintf(stderr, "--- client 10.0.0.1 ---\n");
		ts_counters_print(sc, stderr);
		fprintf(stderr, "--- server 10.0.0.2 ---\n");
		ts_counters_print(ss, stderr);
		if (fc) {
			fprintf(stderr, "--- wire, client to server ---\n");
			faults_stats(fc, stderr);
			fprintf(stderr, "--- wire, server to client ---\n");
			faults_stats(fs, stderr);
		}
	}
	fflush(stdout);
	int64_t leaked = sim_peer_free(client) + sim_peer_free(server);
	netdev_destroy(dc);
	netdev_destroy(ds);
	if (tc)
		fclose(tc);
	if (ts)
		fclose(ts);
	if (leaked) {
		fprintf(stderr, "tapstack sim: %lld buffers leaked\n", (long long)leaked);
		ok = false;
	}
	return ok ? 0 : 1;
}
