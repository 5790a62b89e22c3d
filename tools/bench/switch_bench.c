/*
 * switch_bench.c - what a task switch costs on this machine, beside what
 * the seed says a thread switch costs ("around 3 microseconds"):
 *
 *   raw     task_ctx_switch between two contexts (stack/task_switch.c),
 *           ns per switch (one way), for the implementation compiled in
 *   yield   ts_yield between two tasks of one stack: the scheduler's run
 *           queue and bookkeeping as well, ns per switch (task to task)
 *   thread  two kernel threads pinned to one CPU handing a byte back and
 *           forth over pipes: a futex-free, lmbench-style context switch
 *           with its system calls, ns per switch
 *
 * Each figure is the best of REPS runs (the machine is shared: the best is
 * the one least disturbed), with the median beside it.  Printed as
 * "key=value" lines for tools/bench/bench.sh and docs/netpoll.md.
 *
 *   switch_bench [iterations-scale]       (1 = the default counts)
 *
 * Built twice by bench.sh: switch_bench with the library (raw, yield,
 * thread), switch_bench_ucontext with -DTS_TASK_SWITCH_UCONTEXT and only
 * stack/task_switch.c (raw).
 */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "task_switch.h"
#ifndef SWITCH_BENCH_RAW_ONLY
#include "stack.h"
#include "tapstack.h"
#include "wire.h"
#endif

#define REPS 7

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Best and median of REPS samples. */
static void report(const char *key, double *v)
{
	qsort(v, REPS, sizeof(*v), cmp_double);
	printf("%s_ns=%.1f\n%s_median_ns=%.1f\n", key, v[0], key, v[REPS / 2]);
}

/* ---- raw: two contexts switching back and forth ---- */

static struct task_ctx main_ctx, other_ctx;
static long raw_rounds;

static void other_entry(void *arg)
{
	(void)arg;
	for (;;)
		task_ctx_switch(&other_ctx, &main_ctx);
}

static double raw_once(long rounds)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < rounds; i++)
		task_ctx_switch(&main_ctx, &other_ctx);
	return (double)(now_ns() - t0) / (double)(2 * rounds); /* two switches a round */
}

static void bench_raw(long rounds)
{
	size_t size = 64 * 1024;
	void *stk = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stk == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	task_ctx_make(&other_ctx, stk, size, other_entry, NULL);
	raw_rounds = rounds;
	raw_once(rounds / 10); /* warm up */
	double v[REPS];
	for (int r = 0; r < REPS; r++)
		v[r] = raw_once(rounds);
	report("raw", v);
}

#ifndef SWITCH_BENCH_RAW_ONLY
/* ---- yield: two tasks taking turns through the scheduler ---- */

static long yield_rounds;

static void yielder(struct stack *st, void *arg)
{
	(void)arg;
	for (long i = 0; i < yield_rounds; i++)
		ts_yield(st);
}

static void bench_yield(long rounds)
{
	struct netdev *a, *b;
	struct ts_config cfg;
	struct stack st;
	wire_pair(&a, &b);
	ts_config_default(&cfg);
	cfg.gratuitous_arp = false;
	cfg.seed = 1;
	if (stack_init(&st, &cfg, a, 1000000) < 0) {
		fprintf(stderr, "stack_init failed\n");
		exit(1);
	}
	double v[REPS];
	for (int r = -1; r < REPS; r++) {
		yield_rounds = r < 0 ? rounds / 10 : rounds;
		ts_go(&st, yielder, NULL);
		ts_go(&st, yielder, NULL);
		uint64_t t0 = now_ns();
		while (ts_run(&st) != 0)
			;
		/* Each yield is one switch out and one in: 2 tasks x rounds x 2. */
		double ns = (double)(now_ns() - t0) / (double)(4 * yield_rounds);
		if (r >= 0)
			v[r] = ns;
	}
	report("yield", v);
	stack_destroy(&st);
	netdev_destroy(a);
	netdev_destroy(b);
}

/* ---- thread: two kernel threads on one CPU, a byte over pipes ---- */

struct pingpong {
	int to_b[2], to_a[2];
	long rounds;
};

static void pin_cpu0(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *thread_b(void *arg)
{
	struct pingpong *p = arg;
	char c;
	pin_cpu0();
	for (long i = 0; i < p->rounds; i++) {
		if (read(p->to_b[0], &c, 1) != 1 || write(p->to_a[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void bench_thread(long rounds)
{
	double v[REPS];
	pin_cpu0();
	for (int r = 0; r < REPS; r++) {
		struct pingpong p = {.rounds = rounds};
		if (pipe(p.to_b) < 0 || pipe(p.to_a) < 0) {
			perror("pipe");
			exit(1);
		}
		pthread_t t;
		pthread_create(&t, NULL, thread_b, &p);
		char c = 'x';
		uint64_t t0 = now_ns();
		for (long i = 0; i < rounds; i++)
			if (write(p.to_b[1], &c, 1) != 1 || read(p.to_a[0], &c, 1) != 1)
				break;
		v[r] = (double)(now_ns() - t0) / (double)(2 * rounds);
		pthread_join(t, NULL);
		close(p.to_b[0]), close(p.to_b[1]), close(p.to_a[0]), close(p.to_a[1]);
	}
	report("thread", v);
}
#endif

int main(int argc, char **argv)
{
	double scale = argc > 1 ? atof(argv[1]) : 1.0;
	if (scale <= 0)
		scale = 1.0;
	printf("impl=%s\n", task_switch_impl);
	bench_raw((long)(5000000 * scale));
#ifndef SWITCH_BENCH_RAW_ONLY
	bench_yield((long)(1000000 * scale));
	bench_thread((long)(50000 * scale));
#endif
	double load[3] = {0};
	if (getloadavg(load, 3) == 3)
		printf("loadavg=%.2f %.2f %.2f\n", load[0], load[1], load[2]);
	printf("cpus=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	return 0;
}
