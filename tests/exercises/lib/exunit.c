/*
 * exunit.c - the runner of the exercise checks (see exunit.h): one forked
 * child per check with a time limit, its report collected from a memfd,
 * the transcript kept in a second memfd so that it survives a crash.
 */
#include "exunit.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exframe.h"

/* Real seconds one check may take (they take milliseconds). */
#define EX_TIMEOUT_S  20
#define EX_MAX_CHECKS 128
#define EX_MAX_FRAME  9216
#define EX_QUEUE      64

struct ex_reg {
	const char *name, *what;
	ex_check_fn fn;
};
static struct ex_reg checks[EX_MAX_CHECKS];
static int nchecks;

/* State of the check running in this (child) process. */
static const char *cur_name;
static int transcript_fd = -1;
static int nsteps;
static FILE *pcap_f;
static char pcap_path[512];
static uint64_t rng_state;

void ex_register(const char *name, ex_check_fn fn, const char *what)
{
	if (nchecks < EX_MAX_CHECKS)
		checks[nchecks++] = (struct ex_reg){name, what, fn};
}

uint64_t ex_seed(void)
{
	const char *s = getenv("EX_SEED");
	return s && *s ? strtoull(s, NULL, 0) : 1;
}

uint64_t ex_rand(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void ex_step(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	int n = snprintf(line, sizeof(line), "      %2d. ", ++nsteps);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(transcript_fd, line, (size_t)n) < 0)
		_exit(3);
}

/* Prints the transcript so far (from the memfd). */
static void print_transcript(int fd, FILE *out)
{
	char buf[4096];
	off_t off = 0;
	ssize_t n;
	fprintf(out, "    steps:\n");
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		fwrite(buf, 1, (size_t)n, out);
		off += n;
	}
	if (off == 0)
		fprintf(out, "      (none recorded)\n");
}

static void print_hint(const char *hint_id, const char *hint)
{
	printf("    hint [%s]: %s\n", hint_id, hint);
}

void ex_fail(const char *hint_id, const char *hint, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	print_transcript(transcript_fd, stdout);
	printf("    what went wrong:\n      ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	print_hint(hint_id, hint);
	fflush(stdout);
	if (pcap_f)
		fclose(pcap_f);
	_exit(1);
}

void ex_expect_frame(const char *what, const uint8_t *exp, size_t elen, const uint8_t *act,
		     size_t alen, const uint8_t *mask, const char *hint_id, const char *hint)
{
	if (!ex_frames_differ(exp, elen, act, alen, mask))
		return;
	fflush(stdout);
	print_transcript(transcript_fd, stdout);
	printf("    what went wrong: %s differs from the expected frame\n", what);
	if (alen == 0)
		printf("      (the stack sent nothing)\n");
	ex_frame_diff(stdout, exp, elen, act, alen, mask);
	print_hint(hint_id, hint);
	fflush(stdout);
	if (pcap_f)
		fclose(pcap_f);
	_exit(1);
}

/* ---- pcap of the check ------------------------------------------------------ */

void ex_pcap(const uint8_t *frame, size_t len, bool tx)
{
	static uint32_t tick;
	(void)tx;
	if (!pcap_f) {
		pcap_f = fopen(pcap_path, "wb");
		if (!pcap_f)
			return;
		uint32_t gh[6] = {0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1};
		fwrite(gh, sizeof(gh), 1, pcap_f);
	}
	/* One millisecond apart, in order: the check's own time line. */
	tick++;
	uint32_t h[4] = {tick / 1000, (tick % 1000) * 1000, (uint32_t)len, (uint32_t)len};
	fwrite(h, sizeof(h), 1, pcap_f);
	fwrite(frame, 1, len, pcap_f);
	fflush(pcap_f);
}

/* ---- the stack under test on a capture device ---------------------------------- */

struct exq {
	size_t len;
	uint8_t *data;
};

struct exdev {
	struct netdev dev;
	struct exq rx[EX_QUEUE];
	unsigned rx_head, rx_n;
	struct exq tx[EX_QUEUE];
	unsigned tx_head, tx_n;
	uint64_t tx_overflow;
};

static ssize_t exdev_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			  uint64_t now_us)
{
	struct exdev *x = (struct exdev *)d;
	(void)meta; /* left zeroed: no checksum was verified for the stack */
	(void)now_us;
	if (!x->rx_n)
		return 0;
	struct exq *q = &x->rx[x->rx_head];
	size_t n = q->len < cap ? q->len : cap;
	memcpy(buf, q->data, n);
	free(q->data);
	x->rx_head = (x->rx_head + 1) % EX_QUEUE;
	x->rx_n--;
	return (ssize_t)n;
}

static int exdev_send(struct netdev *d, const uint8_t *frame, size_t len,
		      const struct netdev_meta *meta, uint64_t now_us)
{
	struct exdev *x = (struct exdev *)d;
	(void)meta; /* the exercise device offers no offload: frames come whole */
	(void)now_us;
	ex_pcap(frame, len, true);
	if (x->tx_n == EX_QUEUE) {
		x->tx_overflow++;
		return 0;
	}
	struct exq *q = &x->tx[(x->tx_head + x->tx_n) % EX_QUEUE];
	q->data = malloc(len ? len : 1);
	if (!q->data)
		return -ENOMEM;
	memcpy(q->data, frame, len);
	q->len = len;
	x->tx_n++;
	return 0;
}

static void exdev_destroy(struct netdev *d)
{
	struct exdev *x = (struct exdev *)d;
	for (; x->rx_n; x->rx_n--, x->rx_head = (x->rx_head + 1) % EX_QUEUE)
		free(x->rx[x->rx_head].data);
	for (; x->tx_n; x->tx_n--, x->tx_head = (x->tx_head + 1) % EX_QUEUE)
		free(x->tx[x->tx_head].data);
	free(x);
}

static const struct netdev_ops exdev_ops = {
    .recv = exdev_recv,
    .send = exdev_send,
    .destroy = exdev_destroy,
};

void ex_stack_init(struct ex_stack *s, void (*tweak)(struct ts_config *cfg))
{
	struct ts_config cfg;
	ts_config_default(&cfg);
	cfg.seed = 1;
	cfg.gratuitous_arp = false;
	if (tweak)
		tweak(&cfg);
	struct exdev *x = calloc(1, sizeof(*x));
	if (!x)
		ex_fail("harness", "out of memory", "cannot allocate the capture device");
	x->dev.ops = &exdev_ops;
	snprintf(x->dev.name, sizeof(x->dev.name), "check");
	s->dev = &x->dev;
	s->now_us = 1000000;
	int r = stack_init(&s->st, &cfg, s->dev, s->now_us);
	if (r < 0)
		ex_fail("stack-init",
			"stack_init calls every layer's *_init: yours must allocate its state and "
			"return 0",
			"stack_init failed: %s", strerror(-r));
}

void ex_stack_rx(struct ex_stack *s, const uint8_t *frame, size_t len, const char *why)
{
	struct exdev *x = (struct exdev *)s->dev;
	char sum[200];
	ex_step("rx %s%s%s", ex_summary_into(frame, len, sum, sizeof(sum)), why ? " — " : "",
		why ? why : "");
	ex_pcap(frame, len, false);
	if (x->rx_n < EX_QUEUE) {
		struct exq *q = &x->rx[(x->rx_head + x->rx_n) % EX_QUEUE];
		q->data = malloc(len ? len : 1);
		if (!q->data)
			return;
		memcpy(q->data, frame, len);
		q->len = len;
		x->rx_n++;
	}
	stack_poll(&s->st, s->now_us);
}

size_t ex_stack_tx(struct ex_stack *s, uint8_t *out, size_t cap)
{
	struct exdev *x = (struct exdev *)s->dev;
	if (!x->tx_n)
		return 0;
	struct exq *q = &x->tx[x->tx_head];
	size_t n = q->len < cap ? q->len : cap;
	memcpy(out, q->data, n);
	free(q->data);
	x->tx_head = (x->tx_head + 1) % EX_QUEUE;
	x->tx_n--;
	char sum[200];
	ex_step("tx %s", ex_summary_into(out, n, sum, sizeof(sum)));
	return n;
}

size_t ex_stack_tx_pending(const struct ex_stack *s)
{
	return ((const struct exdev *)s->dev)->tx_n;
}

void ex_stack_advance(struct ex_stack *s, uint64_t us)
{
	uint64_t until = s->now_us + us;
	ex_step("the clock moves on %llu ms", (unsigned long long)(us / 1000));
	for (int i = 0; i < 100000; i++) {
		uint64_t next = stack_next_deadline(&s->st);
		if (next > until)
			break;
		s->now_us = next > s->now_us ? next : s->now_us;
		stack_poll(&s->st, s->now_us);
	}
	s->now_us = until;
	stack_poll(&s->st, s->now_us);
}

void ex_stack_free(struct ex_stack *s)
{
	struct stack *st = &s->st;
	/* Before stack_destroy, which ends what is still queued. */
	if (!stack_rx_balanced(st) || st->rx_unaccounted)
		ex_fail(
		    "rx-accounting",
		    "every received frame ends exactly once (stack.h, \"Accounting of received "
		    "frames\"): ts_drop(st, b, REASON) when it is dropped, ts_buf_consume(st, b) "
		    "when your layer took it (a reply the cache learned from, a fragment copied "
		    "out), ts_rx_delivered(st, b) before its buffer goes back out as a reply; a "
		    "bare ts_buf_free of a received frame is a frame without an exit",
		    "%llu frames received, %llu delivered + %llu dropped + %llu held; %llu freed "
		    "without an exit",
		    (unsigned long long)st->counters[CTR_ETH_RX],
		    (unsigned long long)st->counters[CTR_RX_DELIVERED],
		    (unsigned long long)stack_rx_dropped(st), (unsigned long long)stack_rx_held(st),
		    (unsigned long long)st->rx_unaccounted);
	stack_destroy(st);
	int64_t live = s->st.bufs_live;
	netdev_destroy(s->dev);
	if (live)
		ex_fail("buffer-leak",
			"every ts_buf your layer receives must be passed on (eth_output, the next "
			"layer) or released exactly once: ts_drop(st, b, REASON) for a drop, "
			"ts_buf_consume for a received frame you consumed, ts_buf_free for one "
			"you allocated",
			"%lld buffer(s) still allocated after stack_destroy (a leak)",
			(long long)live);
}

const char *ex_summary(const uint8_t *frame, size_t len)
{
	static char buf[200];
	return ex_summary_into(frame, len, buf, sizeof(buf));
}

size_t ex_hex(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = text; *p; p++) {
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
			continue;
		}
		int v = *p >= '0' && *p <= '9'	 ? *p - '0'
			: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
			: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
						 : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n < cap)
				out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

/* ---- the runner ------------------------------------------------------------------- */

static void dump_fd(int fd, FILE *out, const char *indent, size_t max_lines)
{
	char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	/* The last max_lines lines (an ASan report ends with the useful part... and starts
	 * with it too: keep the head). */
	size_t lines = 0;
	for (char *line = buf, *nl; *line && lines < max_lines; line = nl + 1, lines++) {
		nl = strchr(line, '\n');
		if (!nl) {
			fprintf(out, "%s%s\n", indent, line);
			break;
		}
		fprintf(out, "%s%.*s\n", indent, (int)(nl - line), line);
	}
}

static int run_one(const struct ex_reg *c, const char *outdir, const char *rerun, uint64_t seed,
		   bool verbose)
{
	int rep = memfd_create("ex-report", MFD_CLOEXEC);
	int tr = memfd_create("ex-transcript", MFD_CLOEXEC);
	char pcap[512];
	snprintf(pcap, sizeof(pcap), "%s/%s.pcap", outdir, c->name);
	unlink(pcap);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(rep, 1);
		dup2(rep, 2);
		cur_name = c->name;
		transcript_fd = tr;
		rng_state = seed * 0x9E3779B97F4A7C15ull | 1;
		snprintf(pcap_path, sizeof(pcap_path), "%s", pcap);
		signal(SIGALRM, SIG_DFL);
		alarm(EX_TIMEOUT_S);
		c->fn();
		fflush(stdout);
		if (pcap_f)
			fclose(pcap_f);
		_exit(0);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	bool passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("  %s  %-34s %s\n", passed ? "pass" : "FAIL", c->name, c->what);
	if (passed && verbose)
		print_transcript(tr, stdout);
	if (!passed) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
			dump_fd(rep, stdout, "", 400);
		} else {
			int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			print_transcript(tr, stdout);
			if (sig == SIGALRM)
				printf("    what went wrong: the check did not finish in %d s\n",
				       EX_TIMEOUT_S);
			else if (sig)
				printf("    what went wrong: your code crashed (signal %d, %s)\n",
				       sig, strsignal(sig));
			else
				printf("    what went wrong: the check exited with status %d "
				       "(a sanitizer report?)\n",
				       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			dump_fd(rep, stdout, "      | ", 40);
			printf(
			    "    hint [%s]: %s\n", sig == SIGALRM ? "endless-loop" : "crash",
			    sig == SIGALRM
				? "a loop whose end condition never comes true: look at the loop "
				  "that runs over the input (a length that does not shrink, an "
				  "unsigned counter below zero)"
				: "read the sanitizer report above: the first line of 'your' file "
				  "in the stack trace is where it went wrong (a read past the "
				  "frame's end, a length not checked first?)");
		}
		if (access(pcap, F_OK) == 0)
			printf("    pcap:  %s\n", pcap);
		printf("    rerun: %s CHECK=%s SEED=%llu\n", rerun, c->name,
		       (unsigned long long)seed);
	}
	close(rep);
	close(tr);
	fflush(stdout);
	return passed;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	const char *outdir = getenv("EX_OUT");
	const char *only = getenv("EX_CHECK");
	const char *name = getenv("EX_NAME");
	const char *rerun = getenv("EX_RERUN");
	char rerun_buf[256];
	if (!outdir || !*outdir)
		outdir = "/tmp";
	if (!rerun || !*rerun) {
		snprintf(rerun_buf, sizeof(rerun_buf), "make exercise NAME=%s", name ? name : "?");
		rerun = rerun_buf;
	}
	bool verbose = getenv("EX_VERBOSE") && *getenv("EX_VERBOSE") == '1';
	uint64_t seed = ex_seed();
	int ran = 0, passed = 0;
	for (int i = 0; i < nchecks; i++) {
		if (only && *only && strcmp(only, checks[i].name) != 0)
			continue;
		ran++;
		passed += run_one(&checks[i], outdir, rerun, seed, verbose);
	}
	if (only && *only && !ran) {
		printf("no check named '%s'\n", only);
		return 2;
	}
	printf("unit: %d/%d passed\n", passed, ran);
	return passed == ran ? 0 : 1;
}
