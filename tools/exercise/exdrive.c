/*
 * exdrive.c - stages 3 (simulator) and 5 (speed) of an exercise: the
 * learner's stack against the reference stack, both in this process, on
 * the virtual clock of tools/sim/sim_net.h.
 *
 * Two implementations of one layer cannot be linked into one program, so
 * each stack is a shared object (exnode.h) loaded with RTLD_LOCAL; this
 * program is linked only with the wire, the fault wrapper and the loop.
 *
 *   exdrive --mine MINE.so --ref REF.so --out DIR [--seed N] [--check ID]
 *           [--rerun "make exercise NAME=x"] [--cc NAME] SCENARIO...
 *   exdrive --speed --mine MINE.so --ref REF.so [--reps N] [--bar X] [--cc NAME] SCENARIO
 *
 * SCENARIO is ROLE:TASK[:FAULTS[:xN]]: ROLE is the learner's side (client: the
 * learner at 10.0.0.1 against the reference server, server: the learner at
 * 10.0.0.2 serving the reference client); TASK is get=/PATH, bytes=N,
 * ping=COUNT[/SIZE], echo=N or udp=COUNT[/SIZE]; FAULTS is a --faults spec
 * whose seed comes from --seed; xN asks the learner's run to finish within
 * N times the simulated time the reference takes on both ends (a layer that
 * works but only through timeouts fails it).  Its check id is
 * sim/ROLE/TASK[+faults].  --cc NAME runs TCP on both stacks with that
 * congestion control (cfg.tcp_congestion, "reno" or "cubic"; default the
 * stack's): an exercise that replaces one module must run that module, and
 * the reference it is timed against must run the same algorithm.
 *
 * Each scenario prints "pass" or "FAIL" and, for a failure, what happened,
 * both stacks' drop reasons, one hint, the pcap of the run (the frames on
 * the wire, learner's end) and the command that reruns it.  Speed: the
 * CPU time of the learner's stack on both ends against the reference on
 * both ends, best of --reps runs; passes when the ratio is at most --bar.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exframe.h"
#include "exnode.h"
#include "faults.h"
#include "pcap_tee.h"
#include "sim_net.h"
#include "wire.h"

/* Frames of the learner's end kept for the transcript of a failure. */
#define EXD_TAIL 12

/*
 * A netdev wrapper remembering the last EXD_TAIL frames that crossed the
 * learner's end, as one-line summaries (exframe.c, which knows no stack):
 * the "steps" of a simulator failure.
 */
struct tail_dev {
	struct netdev dev;
	struct netdev *lower;
	char lines[EXD_TAIL][240];
	unsigned n; /* frames seen */
};

static void tail_note(struct tail_dev *t, const char *dir, const uint8_t *f, size_t len,
		      uint64_t now)
{
	char sum[200];
	uint64_t us = now - SIM_START_US;
	snprintf(t->lines[t->n % EXD_TAIL], sizeof(t->lines[0]), "%4llu.%06llu %s %s",
		 (unsigned long long)(us / 1000000u), (unsigned long long)(us % 1000000u), dir,
		 ex_summary_into(f, len, sum, sizeof(sum)));
	t->n++;
}
static ssize_t tail_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			 uint64_t now)
{
	struct tail_dev *t = (struct tail_dev *)d;
	ssize_t n = netdev_recv_meta(t->lower, buf, cap, meta, now);
	if (n > 0)
		tail_note(t, "rx", buf, (size_t)n, now);
	return n;
}
static int tail_send(struct netdev *d, const uint8_t *f, size_t len, const struct netdev_meta *meta,
		     uint64_t now)
{
	struct tail_dev *t = (struct tail_dev *)d;
	tail_note(t, "tx", f, len, now);
	return netdev_send_meta(t->lower, f, len, meta, now);
}
static void tail_caps(struct netdev *d, struct netdev_caps *caps)
{
	netdev_caps(((struct tail_dev *)d)->lower, caps);
}
static int tail_flush(struct netdev *d, uint64_t now)
{
	return netdev_flush(((struct tail_dev *)d)->lower, now);
}
static uint64_t tail_deadline(struct netdev *d)
{
	return netdev_next_deadline(((struct tail_dev *)d)->lower);
}
static void tail_destroy(struct netdev *d)
{
	netdev_destroy(((struct tail_dev *)d)->lower);
	/* the record itself belongs to the run (struct run_out) */
}
static const struct netdev_ops tail_ops = {.recv = tail_recv,
					   .send = tail_send,
					   .caps = tail_caps,
					   .flush = tail_flush,
					   .next_deadline = tail_deadline,
					   .destroy = tail_destroy};

/* Simulated seconds a scenario may take. */
#define EXD_LIMIT_US (300ull * 1000000u)
#define EXD_CLOSE_US 2000000u

static bool load(const char *path, struct exnode_api *api)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "exdrive: %s\n", dlerror());
		return false;
	}
	void **slots[] = {(void **)&api->new_node,	(void **)&api->poll,
			  (void **)&api->next_deadline, (void **)&api->result,
			  (void **)&api->report,	(void **)&api->free_node};
	const char *names[] = {EXNODE_SYMBOLS};
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		*slots[i] = dlsym(h, names[i]);
		if (!*slots[i]) {
			fprintf(stderr, "exdrive: %s has no %s\n", path, names[i]);
			return false;
		}
	}
	return true;
}

struct scenario {
	char id[512];
	bool learner_server;
	struct sim_task task;
	bool faulty;
	struct fault_spec faults;
	char faults_text[128];
	double bound;	/* > 0: finish within bound x the reference's simulated time */
	const char *cc; /* congestion control of both stacks (--cc), NULL: the default */
};

static bool parse_scenario(const char *text, struct scenario *s, char *err, size_t errlen)
{
	char buf[200];
	memset(s, 0, sizeof(*s));
	snprintf(buf, sizeof(buf), "%s", text);
	char *role = buf, *task = strchr(buf, ':');
	if (!task) {
		snprintf(err, errlen, "expected ROLE:TASK[:FAULTS]");
		return false;
	}
	*task++ = 0;
	char *faults = strchr(task, ':');
	if (faults)
		*faults++ = 0;
	char *bound = faults ? strchr(faults, ':') : NULL;
	if (bound) {
		*bound++ = 0;
		if (*bound != 'x' || (s->bound = strtod(bound + 1, NULL)) <= 0) {
			snprintf(err, errlen, "time bound '%s': expected xN", bound);
			return false;
		}
	}
	if (!strcmp(role, "server"))
		s->learner_server = true;
	else if (strcmp(role, "client")) {
		snprintf(err, errlen, "role '%s': client or server", role);
		return false;
	}
	char *eq = strchr(task, '=');
	const char *arg = eq ? eq + 1 : "";
	if (eq)
		*eq = 0;
	struct sim_task *t = &s->task;
	t->count = 3;
	t->size = 56;
	const char *slash = strchr(arg, '/');
	if (!strcmp(task, "get")) {
		t->kind = SIM_TASK_GET;
		snprintf(t->path, sizeof(t->path), "%s", *arg ? arg : "/hello");
	} else if (!strcmp(task, "bytes")) {
		t->kind = SIM_TASK_BYTES;
		t->n = strtoull(arg, NULL, 10);
	} else if (!strcmp(task, "echo")) {
		t->kind = SIM_TASK_ECHO;
		t->n = strtoull(arg, NULL, 10);
	} else if (!strcmp(task, "ping") || !strcmp(task, "udp")) {
		t->kind = !strcmp(task, "ping") ? SIM_TASK_PING : SIM_TASK_UDP;
		t->count = (uint32_t)strtoul(arg, NULL, 10);
		t->size = slash ? (uint32_t)strtoul(slash + 1, NULL, 10)
				: (t->kind == SIM_TASK_UDP ? 64 : 56);
	} else {
		snprintf(err, errlen, "task '%s': get, bytes, ping, echo or udp", task);
		return false;
	}
	if (faults && *faults && strcmp(faults, "-")) {
		if (fault_spec_parse(faults, &s->faults, err, errlen) < 0)
			return false;
		s->faulty = true;
		snprintf(s->faults_text, sizeof(s->faults_text), "%s", faults);
	}
	char tid[96];
	if (*arg == '/')
		arg++;
	snprintf(tid, sizeof(tid), "%s%s%s", task, *arg ? "_" : "", arg);
	for (char *p = tid; *p; p++)
		if (*p == '/' || *p == '=' || *p == ',' || *p == '%')
			*p = *p == '%' ? 'p' : '_';
	/* The faults are part of the id (two scenarios may differ only there):
	 * "loss=3%,reorder=5%" becomes "+loss3p_reorder5p". */
	char fid[128] = "";
	if (s->faulty) {
		size_t k = 0;
		fid[k++] = '+';
		for (const char *p = s->faults_text; *p && k < sizeof(fid) - 2; p++)
			if (*p == '%')
				fid[k++] = 'p';
			else if (*p == ',')
				fid[k++] = '_';
			else if (*p != '=')
				fid[k++] = *p;
		fid[k] = 0;
	}
	snprintf(s->id, sizeof(s->id), "sim/%s/%s%s", role, tid, fid);
	return true;
}

struct node_ctx {
	const struct exnode_api *api;
	void *node;
};
static int n_poll(void *c, uint64_t now)
{
	struct node_ctx *n = c;
	return n->api->poll(n->node, now);
}
static uint64_t n_deadline(void *c)
{
	struct node_ctx *n = c;
	return n->api->next_deadline(n->node);
}
static bool n_done(void *c)
{
	struct node_ctx *n = c;
	return n->api->result(n->node)->finished;
}

struct run_out {
	bool ok;
	enum sim_end end;
	struct sim_result res;
	char mine_report[512], ref_report[512];
	uint64_t mine_rex, ref_rex, mine_drops, ref_drops;
	int64_t leaked;
	uint64_t now_us;
	bool slow;	      /* finished, but over the scenario's time bound */
	struct tail_dev tail; /* the last frames on the learner's end */
};

/* One run: client api/server api; which side is the learner's for the pcap. */
static bool run(const struct scenario *s, uint64_t seed, const struct exnode_api *client_api,
		const struct exnode_api *server_api, const char *pcap, struct run_out *o)
{
	char err[200];
	memset(o, 0, sizeof(*o));
	uint64_t now = SIM_START_US;
	struct netdev *dc, *ds;
	wire_pair(&dc, &ds);
	struct netdev **mine_end = s->learner_server ? &ds : &dc;
	if (pcap) {
		struct netdev *p = pcap_tee_wrap_stack_clock(*mine_end, pcap, err, sizeof(err));
		if (p)
			*mine_end = p;
	}
	/* Outside the fault wrapper: what the learner's stack really sent and got. */
	o->tail.dev.ops = &tail_ops;
	snprintf(o->tail.dev.name, sizeof(o->tail.dev.name), "tail");
	o->tail.lower = NULL;
	if (s->faulty) {
		struct fault_spec fc = s->faults, fs = s->faults;
		fc.seed = seed * 2;
		fs.seed = seed * 2 + 1;
		dc = faults_wrap_dirs(dc, &fc, FAULTS_TX);
		ds = faults_wrap_dirs(ds, &fs, FAULTS_TX);
	}
	o->tail.lower = *mine_end;
	*mine_end = &o->tail.dev;
	struct node_ctx server = {server_api, server_api->new_node(SIM_SERVER, ds, seed, now, NULL,
								   s->cc, err, sizeof(err))};
	struct node_ctx client = {client_api, NULL};
	if (server.node)
		client.node = client_api->new_node(SIM_CLIENT, dc, seed, now, &s->task, s->cc, err,
						   sizeof(err));
	if (!client.node) {
		snprintf(o->res.what, sizeof(o->res.what), "the stacks did not start: %s", err);
		if (server.node)
			o->leaked += server_api->free_node(server.node);
		netdev_destroy(dc);
		netdev_destroy(ds);
		return false;
	}
	struct sim_node nc = {&client, n_poll, n_deadline}, ns = {&server, n_poll, n_deadline};
	o->end = sim_run(&nc, &ns, &now, now + EXD_LIMIT_US, n_done, &client);
	if (o->end == SIM_DONE)
		sim_run(&nc, &ns, &now, now + EXD_CLOSE_US, NULL, NULL);
	o->res = *client_api->result(client.node);
	o->now_us = now;
	const struct exnode_api *mine_api = s->learner_server ? server_api : client_api;
	void *mine = s->learner_server ? server.node : client.node;
	void *ref = s->learner_server ? client.node : server.node;
	const struct exnode_api *ref_api = s->learner_server ? client_api : server_api;
	mine_api->report(mine, o->mine_report, sizeof(o->mine_report), &o->mine_rex,
			 &o->mine_drops);
	ref_api->report(ref, o->ref_report, sizeof(o->ref_report), &o->ref_rex, &o->ref_drops);
	o->leaked += client_api->free_node(client.node);
	o->leaked += server_api->free_node(server.node);
	netdev_destroy(dc);
	netdev_destroy(ds);
	o->ok = o->end == SIM_DONE && o->res.ok && o->leaked == 0;
	return o->ok;
}

/* The first drop reason named in a report ("IPV4_BAD_CSUM 12, ..."). */
static void first_reason(const char *report, char *out, size_t cap)
{
	size_t n = strcspn(report, " ,");
	snprintf(out, cap, "%.*s", (int)n, report);
}

static void explain(const struct scenario *s, const struct run_out *o)
{
	printf("    what went wrong: ");
	if (o->res.finished)
		printf("%s\n", o->res.what);
	else if (o->end == SIM_LIVELOCK)
		printf(
		    "the stacks kept answering each other without the clock moving (livelock)\n");
	else if (!o->res.what[0] || o->end == SIM_TIMEOUT)
		printf("not finished after %llu simulated seconds%s%s\n",
		       (unsigned long long)(EXD_LIMIT_US / 1000000u), o->res.what[0] ? ": " : "",
		       o->res.what);
	if (o->leaked)
		printf("      %lld buffer(s) leaked\n", (long long)o->leaked);
	printf("    steps: the last frames your stack sent (tx) and received (rx), %u in all:\n",
	       o->tail.n);
	for (unsigned i = o->tail.n > EXD_TAIL ? o->tail.n - EXD_TAIL : 0; i < o->tail.n; i++)
		printf("      %s\n", o->tail.lines[i % EXD_TAIL]);
	printf("    your stack (%s): %llu retransmissions; drops: %s\n",
	       s->learner_server ? "server 10.0.0.2, 02:00:00:00:00:02"
				 : "client 10.0.0.1, 02:00:00:00:00:01",
	       (unsigned long long)o->mine_rex, o->mine_report[0] ? o->mine_report : "none");
	printf("    reference stack: %llu retransmissions; drops: %s\n",
	       (unsigned long long)o->ref_rex, o->ref_report[0] ? o->ref_report : "none");
	char reason[64];
	if (o->slow) {
		printf(
		    "    hint [sim.slow]: the task completes only through the sender's timeouts: "
		    "compare the retransmissions above with the reference's, and look in the "
		    "pcap for the long pauses\n");
	} else if (o->ref_report[0]) {
		first_reason(o->ref_report, reason, sizeof(reason));
		printf(
		    "    hint [sim.reference-dropped.%s]: the reference stack threw away frames "
		    "you "
		    "sent as %s: open the pcap, filter on your frames and look at the field that "
		    "reason names (stack/drop.h documents each reason)\n",
		    reason, reason);
	} else if (o->mine_report[0]) {
		first_reason(o->mine_report, reason, sizeof(reason));
		printf("    hint [sim.you-dropped.%s]: your stack threw away frames the reference "
		       "sent, as %s (stack/drop.h): the reference's frames are right, so your "
		       "check for that reason is too strict or reads the wrong bytes\n",
		       reason, reason);
	} else if (o->leaked) {
		printf("    hint [sim.leak]: a buffer your layer received was neither passed on "
		       "nor freed (ts_drop / ts_buf_free) on some path\n");
	} else {
		printf("    hint [sim.stalled]: nothing was dropped, yet the task did not finish: "
		       "something that should have been sent was not (a reply, a queued packet "
		       "after ARP resolved, a retransmission): compare the pcap with "
		       "`tapstack sim` on the reference\n");
	}
}

static double cpu_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int speed(const struct exnode_api *mine, const struct exnode_api *ref,
		 const struct scenario *s, int reps, double bar)
{
	double best_mine = 1e9, best_ref = 1e9;
	struct run_out o;
	for (int i = 0; i < reps; i++) {
		double t0 = cpu_s();
		bool ok_ref = run(s, 1, ref, ref, NULL, &o);
		double t1 = cpu_s();
		bool ok_mine = run(s, 1, mine, mine, NULL, &o);
		double t2 = cpu_s();
		if (!ok_ref || !ok_mine) {
			printf(
			    "  FAIL  speed                              the transfer itself failed "
			    "(%s): fix the simulator stage first\n",
			    o.res.what);
			return 1;
		}
		if (t1 - t0 < best_ref)
			best_ref = t1 - t0;
		if (t2 - t1 < best_mine)
			best_mine = t2 - t1;
	}
	double ratio = best_ref > 0 ? best_mine / best_ref : 1;
	bool ok = ratio <= bar;
	printf("  %s  speed                              %.2f x the reference's CPU time "
	       "(yours %.3f s, reference %.3f s, best of %d; bar %.1f x)\n",
	       ok ? "pass" : "FAIL", ratio, best_mine, best_ref, reps, bar);
	printf("speed-ratio: %.2f\n", ratio);
	if (!ok)
		printf(
		    "    hint [speed.slow]: your stack on both ends of %s needs %.1f times the "
		    "reference's CPU: profile it (perf record build/ex/.../exdrive ...), the hot "
		    "spot is usually a byte-at-a-time loop or a copy per call\n",
		    s->id, ratio);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mine_path = NULL, *ref_path = NULL, *out = "/tmp", *only = NULL;
	const char *rerun = "make exercise";
	const char *cc = NULL;
	uint64_t seed = 1;
	bool speed_mode = false;
	int reps = 3;
	double bar = 3.0;
	int first = argc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--mine") && v)
			mine_path = argv[++i];
		else if (!strcmp(a, "--ref") && v)
			ref_path = argv[++i];
		else if (!strcmp(a, "--out") && v)
			out = argv[++i];
		else if (!strcmp(a, "--check") && v)
			only = argv[++i];
		else if (!strcmp(a, "--rerun") && v)
			rerun = argv[++i];
		else if (!strcmp(a, "--cc") && v)
			cc = *argv[++i] ? argv[i] : NULL;
		else if (!strcmp(a, "--seed") && v)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(a, "--reps") && v)
			reps = atoi(argv[++i]);
		else if (!strcmp(a, "--bar") && v)
			bar = atof(argv[++i]);
		else if (!strcmp(a, "--speed"))
			speed_mode = true;
		else if (a[0] == '-') {
			fprintf(stderr, "exdrive: unknown option %s\n", a);
			return 2;
		} else {
			first = i;
			break;
		}
	}
	struct exnode_api mine, ref;
	if (!mine_path || !ref_path || first == argc) {
		fprintf(stderr,
			"usage: exdrive [--speed] --mine SO --ref SO [--out DIR] [--seed N] "
			"SCENARIO...\n");
		return 2;
	}
	if (!load(mine_path, &mine) || !load(ref_path, &ref))
		return 2;
	char err[256];
	if (speed_mode) {
		struct scenario s;
		if (!parse_scenario(argv[first], &s, err, sizeof(err))) {
			fprintf(stderr, "exdrive: %s: %s\n", argv[first], err);
			return 2;
		}
		s.cc = cc;
		return speed(&mine, &ref, &s, reps < 1 ? 1 : reps, bar);
	}
	int ran = 0, passed = 0;
	for (int i = first; i < argc; i++) {
		struct scenario s;
		if (!parse_scenario(argv[i], &s, err, sizeof(err))) {
			fprintf(stderr, "exdrive: %s: %s\n", argv[i], err);
			return 2;
		}
		s.cc = cc;
		if (only && *only && strcmp(only, s.id))
			continue;
		char pcap[1200], pcap_id[512];
		snprintf(pcap_id, sizeof(pcap_id), "%s", s.id);
		for (char *p = pcap_id; *p; p++)
			if (*p == '/')
				*p = '-';
		snprintf(pcap, sizeof(pcap), "%s/%s.pcap", out, pcap_id);
		struct run_out o;
		bool ok = s.learner_server ? run(&s, seed, &ref, &mine, pcap, &o)
					   : run(&s, seed, &mine, &ref, pcap, &o);
		double took = (double)(o.res.done_us - SIM_START_US) / 1e6, ref_took = 0;
		if (ok && s.bound > 0) {
			struct run_out r;
			run(&s, seed, &ref, &ref, NULL, &r);
			ref_took = (double)(r.res.done_us - SIM_START_US) / 1e6;
			if (took > s.bound * ref_took + 0.1) {
				ok = false;
				snprintf(
				    o.res.what, sizeof(o.res.what),
				    "it finished, but in %.3f s of simulated time: the reference "
				    "takes %.3f s, and the bound is %.1f x that",
				    took, ref_took, s.bound);
				o.slow = true;
			}
		}
		ran++;
		passed += ok;
		char what[300];
		snprintf(what, sizeof(what), "you as %s vs the reference %s%s%s",
			 s.learner_server ? "server" : "client",
			 s.learner_server ? "client" : "server", s.faulty ? ", --faults " : "",
			 s.faults_text);
		if (s.bound > 0 && ok) {
			size_t l = strlen(what);
			snprintf(what + l, sizeof(what) - l,
				 " (%.3f s simulated, reference %.3f s)", took, ref_took);
		}
		printf("  %s  %-34s  %s\n", ok ? "pass" : "FAIL", s.id, what);
		if (!ok) {
			explain(&s, &o);
			printf(
			    "    pcap:  %s   (Wireshark display filter for your frames: eth.src == "
			    "02:00:00:00:00:0%d)\n",
			    pcap, s.learner_server ? 2 : 1);
			printf("    rerun: %s CHECK=%s SEED=%llu\n", rerun, s.id,
			       (unsigned long long)seed);
		}
		fflush(stdout);
	}
	if (only && *only && !ran) {
		printf("no check named '%s'\n", only);
		return 2;
	}
	printf("sim: %d/%d passed\n", passed, ran);
	return passed == ran ? 0 : 1;
}
