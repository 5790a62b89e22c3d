/*
 * task.c - goroutine-like tasks: small mmap'd stacks, a run queue, parking
 * on a socket's readiness, deadlines, and --trace sched.  The seed
 * (shared/seeds/go-netpoll-epoll.md) in C: code in a task calls ts_accept
 * or ts_read on a blocking socket as if it blocked; on EAGAIN the task is
 * recorded as the socket's waiter and switched out (Go: pollDesc.wait →
 * netpollblock → gopark).  When the readiness layer says the socket may
 * have changed (ts_sock_wakeup), the socket is noted; the next run pass
 * asks it what it reports and puts the tasks of the ready modes back on the
 * run queue (Go: netpoll → netpollready), and they run in that pass (Go:
 * schedule → execute).
 *
 * One thread, one stack, no preemption.  The context that calls into the
 * stack (main, or whoever drives stack_poll: an event loop, ts_run, a test)
 * is the scheduler, g0 in Go's terms: stack_poll, after the frames and the
 * timers, runs every task that is runnable, each until it parks, yields or
 * exits (task_run_ready).  A task's blocking calls never sleep in the
 * kernel; the scheduler's do, in ts_epoll_wait, a blocking call of its own,
 * or ts_run, and every task woken meanwhile runs in the next stack_poll.
 *
 * Per socket, a struct ts_polldesc (Go's pollDesc) holds the tasks parked
 * reading (rg) and writing (wg), the read and write deadlines (rd, wd) and
 * a stack timer for each, armed only while someone waits.  Go keeps one
 * waiter per mode (fdMutex serialises readers); here every task parked on a
 * mode is woken and each retries.
 *
 * Deadlines (ts_set_deadline, Go's SetDeadline family) are absolute times
 * on the stack clock.  Go fails the call with os.ErrDeadlineExceeded ("i/o
 * timeout", Timeout() true); the C call fails with ETIMEDOUT.  Not EAGAIN,
 * which is what Linux's SO_RCVTIMEO gives: a task's socket is a blocking
 * one, where EAGAIN would read as "not ready, try again" (and Go never lets
 * EAGAIN out of its net package either).  Like Go, an expired deadline
 * fails the call before it starts, even when data is waiting
 * (pollDesc.prepare), and the connection stays usable: a later deadline
 * lets calls through again.  TCP's own give-up is ETIMEDOUT as well, but it
 * closes the connection (SO_ERROR, and every later call fails).
 *
 * Stacks: mmap'd with MAP_NORESERVE and a PROT_NONE guard page below, so an
 * overflow faults instead of corrupting a neighbour, and only the pages a
 * task touches cost memory.  Each stack is two mappings (vm.max_map_count,
 * 65530 by default, bounds the tasks of a process near 32,000).  Stacks of
 * exited tasks are kept for reuse, at most TASK_CACHE_MAX.  Under ASan each
 * switch is announced with __sanitizer_start_switch_fiber /
 * __sanitizer_finish_switch_fiber, and under valgrind each stack is
 * registered (VALGRIND_STACK_REGISTER), so neither reports the switches.
 *
 * Read before editing: the seed (sections 3.2 and V); Go's
 * runtime/netpoll.go (pollDesc, netpollblock, netpollready,
 * netpolldeadlineimpl), runtime/proc.go (newproc, gopark, goready,
 * execute, goexit0); docs/netpoll.md.
 */
#include "task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "socket.h"
#include "stack.h"
#include "tapstack.h"
#include "task_switch.h"
#include "timer.h"

/* The sanitizers and valgrind learn of every switch and every stack. */
#if defined(__SANITIZE_ADDRESS__)
#define TASK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASK_ASAN 1
#endif
#endif
#ifndef TASK_ASAN
#define TASK_ASAN 0
#endif
#if TASK_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TASK_VALGRIND 1
#endif
#endif
#ifndef TASK_VALGRIND
#define TASK_VALGRIND 0
#endif

/* Default usable stack of a task (cfg.task_stack_size 0), and the least. */
#define TASK_STACK_DEFAULT (64u * 1024)
#define TASK_STACK_MIN	   (8u * 1024)
/* Exited tasks kept with their stacks for the next ts_go. */
#define TASK_CACHE_MAX 64

enum task_state {
	TASK_RUNNABLE, /* on the run queue */
	TASK_RUNNING,  /* the current task */
	TASK_PARKED,   /* on a wait list (a socket's or the generic one) */
	TASK_DEAD,     /* returned from its function; its stack is freed by the scheduler */
};

struct ts_sched;

struct ts_task {
	struct task_ctx ctx; /* where it resumes */
	struct ts_sched *sc;
	int id; /* 1, 2, ...: what --trace sched and ts_task_id show */
	enum task_state state;
	void (*fn)(struct stack *st, void *arg);
	void *arg;
	void *map;	      /* the stack mapping, guard page first */
	size_t map_len;	      /* its length */
	void *stack_lo;	      /* the usable stack: [stack_lo, stack_lo + stack_size) */
	size_t stack_size;    /* usable bytes */
	unsigned vg_id;	      /* valgrind's stack id */
	void *asan_fake;      /* ASan's fake stack while switched out */
	struct ts_task *next; /* run queue, or the cache */
	struct ts_task *all_prev, *all_next; /* every live task */
	/* While parked: */
	struct ts_task **wait_list; /* the list it is on (a pd's rg/wg, or the pollers) */
	struct ts_task *wait_prev, *wait_next; /* links on it */
	struct ts_polldesc *pd;		       /* the socket's, or NULL for a generic wait */
	enum task_wait_mode mode;	       /* 'r' or 'w' on pd */
	struct ts_timer timer;		       /* a generic wait's timeout */
	int wake; /* why it runs again: 0 (maybe ready), -ETIMEDOUT, -EBADF */
};

/* Go's pollDesc: the waiters and deadlines of one socket (socket.h: s->pd). */
struct ts_polldesc {
	struct stack *st;
	struct ts_sock *sock;	 /* NULL once closed */
	struct ts_task *rg, *wg; /* tasks parked reading / writing */
	uint64_t rd, wd;	 /* read / write deadline on the stack clock, 0: none */
	struct ts_timer rt, wt;	 /* fire at rd / wd, armed while a task waits */
	int main_waiters;	 /* blocking calls outside tasks waiting on this socket */
	bool closing;		 /* the socket closed under a waiting call */
	bool pending;		 /* on the scheduler's list of sockets to look at */
	struct ts_polldesc *pend_prev, *pend_next; /* links on it */
};

struct ts_sched {
	struct stack *st;
	struct task_ctx main_ctx;	       /* the scheduler: whoever polls the stack */
	struct ts_task *current;	       /* the running task, NULL in the scheduler */
	struct ts_task *runq_head, *runq_tail; /* runnable, FIFO */
	struct ts_task *all;		       /* live tasks */
	struct ts_task *pollers;	       /* generic waits (task_block) */
	struct ts_polldesc *pending;	       /* sockets woken since the last run pass */
	uint64_t gen;			       /* socket wakeups and closes so far */
	uint64_t pollers_gen;		       /* gen when the pollers were last woken */
	struct ts_task *cache;		       /* exited tasks, stacks still mapped */
	uint32_t cache_n;		       /* on it */
	int next_id;			       /* last id given */
	size_t stack_size;		       /* usable stack of each task */
	struct ts_sched_stats stats;	       /* what ts_sched_stats reports */
	const void *main_bottom;	       /* ASan: the scheduler's stack, */
	size_t main_size;		       /* learnt at each switch into a task */
	void *main_fake;		       /* ASan: its fake stack while a task runs */
};

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

/* ---- the sanitizers' view of the switches ---- */

static void fiber_start(void **fake, const void *bottom, size_t size)
{
#if TASK_ASAN
	__sanitizer_start_switch_fiber(fake, bottom, size);
#else
	(void)fake, (void)bottom, (void)size;
#endif
}

static void fiber_finish(void *fake, const void **bottom_old, size_t *size_old)
{
#if TASK_ASAN
	__sanitizer_finish_switch_fiber(fake, bottom_old, size_old);
#else
	(void)fake, (void)bottom_old, (void)size_old;
#endif
}

/* A stack given back: frames that never returned left their redzones poisoned. */
static void stack_unpoison(void *lo, size_t size)
{
#if TASK_ASAN
	__asan_unpoison_memory_region(lo, size);
#else
	(void)lo, (void)size;
#endif
}

static unsigned stack_register(void *lo, size_t size)
{
#if TASK_VALGRIND
	return VALGRIND_STACK_REGISTER(lo, (char *)lo + size);
#else
	(void)lo, (void)size;
	return 0;
#endif
}

static void stack_deregister(unsigned id)
{
#if TASK_VALGRIND
	VALGRIND_STACK_DEREGISTER(id);
#else
	(void)id;
#endif
}

/* ---- tracing ---- */

static const char *go_wait_fn(enum task_wait_mode mode)
{
	return mode == TASK_WAIT_READ ? "pollDesc.waitRead" : "pollDesc.waitWrite";
}

static int task_id_of(const struct ts_sched *sc)
{
	return sc && sc->current ? sc->current->id : 0;
}

/* ---- lists ---- */

static void runq_push(struct ts_sched *sc, struct ts_task *t)
{
	t->next = NULL;
	t->state = TASK_RUNNABLE;
	if (sc->runq_tail)
		sc->runq_tail->next = t;
	else
		sc->runq_head = t;
	sc->runq_tail = t;
}

static struct ts_task *runq_pop(struct ts_sched *sc)
{
	struct ts_task *t = sc->runq_head;
	if (t) {
		sc->runq_head = t->next;
		if (!sc->runq_head)
			sc->runq_tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void wait_add(struct ts_task **list, struct ts_task *t)
{
	t->wait_list = list;
	t->wait_prev = NULL;
	t->wait_next = *list;
	if (*list)
		(*list)->wait_prev = t;
	*list = t;
}

static void wait_del(struct ts_task *t)
{
	if (!t->wait_list)
		return;
	if (t->wait_prev)
		t->wait_prev->wait_next = t->wait_next;
	else
		*t->wait_list = t->wait_next;
	if (t->wait_next)
		t->wait_next->wait_prev = t->wait_prev;
	t->wait_list = NULL;
	t->wait_prev = t->wait_next = NULL;
}

/*
 * Goes from parked to runnable (Go's goready): off its wait list, its
 * timeout disarmed, wake remembered for the call it parked in.
 */
static void task_ready(struct ts_sched *sc, struct ts_task *t, int wake)
{
	wait_del(t);
	ts_timer_disarm(sc->st, &t->timer);
	t->pd = NULL;
	t->wake = wake;
	runq_push(sc, t);
}

/* ---- poll descriptors ---- */

static void pd_rtimer_fire(struct stack *st, struct ts_timer *tm);
static void pd_wtimer_fire(struct stack *st, struct ts_timer *tm);

static struct ts_polldesc *pd_get(struct ts_sock *s)
{
	if (s->pd)
		return s->pd;
	struct ts_polldesc *pd = calloc(1, sizeof(*pd));
	if (!pd)
		return NULL;
	pd->st = s->st;
	pd->sock = s;
	ts_timer_init(&pd->rt, pd_rtimer_fire);
	ts_timer_init(&pd->wt, pd_wtimer_fire);
	s->pd = pd;
	return pd;
}

static uint64_t pd_deadline(const struct ts_polldesc *pd, enum task_wait_mode mode)
{
	uint64_t d = !pd ? 0 : mode == TASK_WAIT_READ ? pd->rd : pd->wd;
	return d ? d : UINT64_MAX;
}

/*
 * Makes every task parked on pd for mode runnable with wake (0: ready,
 * -ETIMEDOUT: the deadline, -EBADF: closed); why and go_fn name it for
 * --trace sched.
 */
static void pd_wake(struct ts_polldesc *pd, enum task_wait_mode mode, int wake, const char *why,
		    const char *go_fn)
{
	struct stack *st = pd->st;
	struct ts_task **list = mode == TASK_WAIT_READ ? &pd->rg : &pd->wg;
	ts_timer_disarm(st, mode == TASK_WAIT_READ ? &pd->rt : &pd->wt);
	while (*list) {
		struct ts_task *t = *list;
		if (ts_tracing(st, TS_TRACE_SCHED))
			ts_trace(st, TS_TRACE_SCHED, "sched ready task %d: fd %d %c %s (go: %s)\n",
				 t->id, pd->sock ? pd->sock->fd : -1, (char)mode, why, go_fn);
		task_ready(t->sc, t, wake);
	}
}

static void pd_rtimer_fire(struct stack *st, struct ts_timer *tm)
{
	(void)st;
	pd_wake((struct ts_polldesc *)((char *)tm - offsetof(struct ts_polldesc, rt)),
		TASK_WAIT_READ, -ETIMEDOUT, "deadline", "netpolldeadlineimpl");
}

static void pd_wtimer_fire(struct stack *st, struct ts_timer *tm)
{
	(void)st;
	pd_wake((struct ts_polldesc *)((char *)tm - offsetof(struct ts_polldesc, wt)),
		TASK_WAIT_WRITE, -ETIMEDOUT, "deadline", "netpolldeadlineimpl");
}

/* Arms mode's timer to its deadline while tasks wait on it.  0 or -ENOMEM. */
static int pd_arm(struct ts_polldesc *pd, enum task_wait_mode mode)
{
	struct ts_timer *tm = mode == TASK_WAIT_READ ? &pd->rt : &pd->wt;
	uint64_t d = pd_deadline(pd, mode);
	if (d == UINT64_MAX) {
		ts_timer_disarm(pd->st, tm);
		return 0;
	}
	if (ts_timer_armed(tm) && tm->deadline_us == d)
		return 0;
	return ts_timer_arm(pd->st, tm, d) < 0 ? -ENOMEM : 0;
}

/*
 * The readiness Go's netpoll maps to each mode: what wakes a reader
 * (EPOLLIN|EPOLLRDHUP|EPOLLHUP|EPOLLERR) and a writer (EPOLLOUT|EPOLLHUP|EPOLLERR).
 */
#define TASK_READ_EVENTS  ((uint32_t)(EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
#define TASK_WRITE_EVENTS ((uint32_t)(EPOLLOUT | EPOLLHUP | EPOLLERR))

static void pd_unpend(struct ts_sched *sc, struct ts_polldesc *pd)
{
	if (!pd->pending)
		return;
	if (pd->pend_prev)
		pd->pend_prev->pend_next = pd->pend_next;
	else
		sc->pending = pd->pend_next;
	if (pd->pend_next)
		pd->pend_next->pend_prev = pd->pend_prev;
	pd->pending = false;
	pd->pend_prev = pd->pend_next = NULL;
}

/*
 * Go's netpoll → netpollready, once per run pass: each socket woken since
 * the last pass is asked what it reports now, and only the modes that are
 * ready wake their tasks.  Asking at wakeup time instead would be earlier
 * than a protocol may allow (it may wake before its state is final, see
 * epoll.c); waking on every wakeup would run a reader for each ACK of what
 * it wrote, only to park it again.
 */
static void netpoll(struct ts_sched *sc)
{
	struct ts_polldesc *pd;
	while ((pd = sc->pending)) {
		pd_unpend(sc, pd);
		uint32_t ev = pd->sock->ops->poll(pd->sock);
		if (pd->rg && (ev & TASK_READ_EVENTS))
			pd_wake(pd, TASK_WAIT_READ, 0, "ready", "netpoll -> netpollready");
		if (pd->wg && (ev & TASK_WRITE_EVENTS))
			pd_wake(pd, TASK_WAIT_WRITE, 0, "ready", "netpoll -> netpollready");
	}
}

/* ---- the scheduler ---- */

static struct ts_sched *sched_get(struct stack *st)
{
	if (st->sched)
		return st->sched;
	struct ts_sched *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	size_t pg = page_size();
	size_t size = st->cfg.task_stack_size ? st->cfg.task_stack_size : TASK_STACK_DEFAULT;
	if (size < TASK_STACK_MIN)
		size = TASK_STACK_MIN;
	sc->st = st;
	sc->stack_size = (size + pg - 1) / pg * pg;
	sc->stats.stack_size = (uint32_t)sc->stack_size;
	st->sched = sc;
	return sc;
}

bool task_running(const struct stack *st)
{
	return st->sched && st->sched->current;
}

static void task_timer_fire(struct stack *st, struct ts_timer *tm)
{
	struct ts_task *t = (struct ts_task *)((char *)tm - offsetof(struct ts_task, timer));
	if (ts_tracing(st, TS_TRACE_SCHED))
		ts_trace(st, TS_TRACE_SCHED,
			 "sched ready task %d: timeout (go: timer -> goready)\n", t->id);
	task_ready(t->sc, t, -ETIMEDOUT);
}

static void task_stack_unmap(struct ts_task *t)
{
	stack_unpoison(t->stack_lo, t->stack_size);
	stack_deregister(t->vg_id);
	munmap(t->map, t->map_len);
}

/* A task with a stack: from the cache, or mapped anew.  NULL with errno set. */
static struct ts_task *task_alloc(struct ts_sched *sc)
{
	struct ts_task *t = sc->cache;
	if (t) {
		sc->cache = t->next;
		sc->cache_n--;
		void *map = t->map, *lo = t->stack_lo;
		size_t len = t->map_len, size = t->stack_size;
		unsigned vg = t->vg_id;
		memset(t, 0, sizeof(*t));
		t->map = map, t->stack_lo = lo, t->map_len = len, t->stack_size = size;
		t->vg_id = vg;
	} else {
		size_t guard = page_size();
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->map_len = guard + sc->stack_size;
		t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (t->map == MAP_FAILED) {
			free(t);
			return NULL;
		}
		/* The guard page: an overflow faults here instead of corrupting memory. */
		if (mprotect(t->map, guard, PROT_NONE) < 0) {
			int e = errno;
			munmap(t->map, t->map_len);
			free(t);
			errno = e;
			return NULL;
		}
		t->stack_lo = (char *)t->map + guard;
		t->stack_size = sc->stack_size;
		t->vg_id = stack_register(t->stack_lo, t->stack_size);
		sc->stats.stacks_mapped++;
		sc->stats.stack_bytes_mapped += t->map_len;
	}
	t->sc = sc;
	ts_timer_init(&t->timer, task_timer_fire);
	return t;
}

/* An exited task: off the live list, its stack cached or unmapped. */
static void task_release(struct ts_sched *sc, struct ts_task *t)
{
	if (t->all_prev)
		t->all_prev->all_next = t->all_next;
	else
		sc->all = t->all_next;
	if (t->all_next)
		t->all_next->all_prev = t->all_prev;
	sc->stats.live--;
	sc->stats.exited++;
	stack_unpoison(t->stack_lo, t->stack_size);
	if (sc->cache_n < TASK_CACHE_MAX) {
		t->next = sc->cache;
		sc->cache = t;
		sc->cache_n++;
		return;
	}
	task_stack_unmap(t);
	sc->stats.stacks_mapped--;
	sc->stats.stack_bytes_mapped -= t->map_len;
	free(t);
}

/* From a task to the scheduler; returns when the task runs again, with its wake. */
static int task_switch_out(struct ts_sched *sc, struct ts_task *t)
{
	sc->stats.switches++;
	fiber_start(&t->asan_fake, sc->main_bottom, sc->main_size);
	task_ctx_switch(&t->ctx, &sc->main_ctx);
	fiber_finish(t->asan_fake, &sc->main_bottom, &sc->main_size);
	int wake = t->wake;
	t->wake = 0;
	return wake;
}

/* Every task starts here (task_ctx_make), and leaves for good at the end (Go's goexit0). */
static void task_main(void *arg)
{
	struct ts_task *t = arg;
	struct ts_sched *sc = t->sc;
	fiber_finish(NULL, &sc->main_bottom, &sc->main_size);
	t->fn(sc->st, t->arg);
	if (ts_tracing(sc->st, TS_TRACE_SCHED))
		ts_trace(sc->st, TS_TRACE_SCHED, "sched exit task %d (go: goexit0)\n", t->id);
	t->state = TASK_DEAD;
	sc->stats.switches++;
	/* NULL: this fiber's fake stack can go, it never runs again. */
	fiber_start(NULL, sc->main_bottom, sc->main_size);
	task_ctx_switch(&t->ctx, &sc->main_ctx);
	abort(); /* the scheduler never resumes a dead task */
}

/* Runs t until it parks, yields or exits (Go's execute). */
static void task_execute(struct ts_sched *sc, struct ts_task *t)
{
	if (ts_tracing(sc->st, TS_TRACE_SCHED))
		ts_trace(sc->st, TS_TRACE_SCHED, "sched run task %d (go: schedule -> execute)\n",
			 t->id);
	sc->current = t;
	t->state = TASK_RUNNING;
	sc->stats.switches++;
	fiber_start(&sc->main_fake, t->stack_lo, t->stack_size);
	task_ctx_switch(&sc->main_ctx, &t->ctx);
	fiber_finish(sc->main_fake, NULL, NULL);
	sc->current = NULL;
	if (t->state == TASK_DEAD)
		task_release(sc, t);
}

int task_run_ready(struct stack *st)
{
	struct ts_sched *sc = st->sched;
	if (!sc || sc->current)
		return 0;
	netpoll(sc);
	if (sc->pollers && sc->gen != sc->pollers_gen) {
		sc->pollers_gen = sc->gen;
		while (sc->pollers) {
			struct ts_task *t = sc->pollers;
			if (ts_tracing(st, TS_TRACE_SCHED))
				ts_trace(st, TS_TRACE_SCHED,
					 "sched ready task %d: a socket changed (go: goready)\n",
					 t->id);
			task_ready(sc, t, 0);
		}
	}
	/* Only those runnable now: a task that yields or is woken while
	 * this pass runs goes in the next one, so a pass always ends. */
	struct ts_task *last = sc->runq_tail, *t;
	int ran = 0;
	while (last && (t = runq_pop(sc))) {
		bool was_last = t == last;
		task_execute(sc, t);
		ran++;
		if (was_last)
			break;
	}
	return ran;
}

/* Parks the current task on s for mode (Go's netpollblock → gopark). */
static int park_on_sock(struct ts_sched *sc, struct ts_sock *s, enum task_wait_mode mode,
			uint64_t until, const char *call)
{
	struct stack *st = sc->st;
	struct ts_task *t = sc->current;
	struct ts_polldesc *pd;

	if (st->stop && *st->stop)
		return -EINTR;
	if (until != UINT64_MAX && stack_clock(st) >= until)
		return -ETIMEDOUT;
	if (!(pd = pd_get(s)))
		return -ENOMEM;
	wait_add(mode == TASK_WAIT_READ ? &pd->rg : &pd->wg, t);
	if (pd_arm(pd, mode) < 0) {
		wait_del(t);
		return -ENOMEM;
	}
	t->pd = pd;
	t->mode = mode;
	t->state = TASK_PARKED;
	if (ts_tracing(st, TS_TRACE_SCHED))
		ts_trace(st, TS_TRACE_SCHED,
			 "sched park task %d: fd %d %s = EAGAIN, waits for %c (go: %s -> gopark)\n",
			 t->id, s->fd, call, (char)mode, go_wait_fn(mode));
	return task_switch_out(sc, t);
}

int task_sock_wait(struct stack *st, struct ts_sock *s, enum task_wait_mode mode, const char *call)
{
	struct ts_sched *sc = st->sched;
	uint64_t until = pd_deadline(s->pd, mode);
	if (sc && sc->current)
		return park_on_sock(sc, s, mode, until, call);
	if (!sc)
		return stack_block(st, until);
	/*
	 * Outside a task, with tasks about: they run inside stack_block, and
	 * one of them may close s.  The descriptor outlives the socket then,
	 * so the call learns of it (EBADF) instead of touching freed memory.
	 */
	struct ts_polldesc *pd = pd_get(s);
	if (!pd)
		return -ENOMEM;
	pd->main_waiters++;
	int r = stack_block(st, until);
	pd->main_waiters--;
	if (pd->closing) {
		if (!pd->main_waiters)
			free(pd);
		return -EBADF;
	}
	return r;
}

int task_deadline_check(struct ts_sock *s, enum task_wait_mode mode)
{
	uint64_t d = pd_deadline(s->pd, mode);
	return d != UINT64_MAX && stack_clock(s->st) >= d ? -ETIMEDOUT : 0;
}

void task_sock_wakeup(struct ts_sock *s, uint32_t events)
{
	struct ts_sched *sc = s->st->sched;
	struct ts_polldesc *pd = s->pd;
	if (!sc)
		return;
	sc->gen++;
	if (!pd || pd->pending)
		return;
	/* Looked at in the next run pass (netpoll above), if it may concern a waiter. */
	if ((pd->rg && (events & TASK_READ_EVENTS)) || (pd->wg && (events & TASK_WRITE_EVENTS))) {
		pd->pending = true;
		pd->pend_prev = NULL;
		pd->pend_next = sc->pending;
		if (sc->pending)
			sc->pending->pend_prev = pd;
		sc->pending = pd;
	}
}

void task_sock_close(struct ts_sock *s)
{
	struct ts_polldesc *pd = s->pd;
	if (s->st->sched)
		s->st->sched->gen++;
	if (!pd)
		return;
	if (s->st->sched)
		pd_unpend(s->st->sched, pd);
	/* Go's pollDesc.evict: "use of closed network connection" for the waiters. */
	pd_wake(pd, TASK_WAIT_READ, -EBADF, "closed", "pollDesc.evict -> netpollunblock");
	pd_wake(pd, TASK_WAIT_WRITE, -EBADF, "closed", "pollDesc.evict -> netpollunblock");
	s->pd = NULL;
	pd->sock = NULL;
	if (pd->main_waiters)
		pd->closing = true; /* task_sock_wait frees it */
	else
		free(pd);
}

int task_block(struct stack *st, uint64_t until_us)
{
	struct ts_sched *sc = st->sched;
	struct ts_task *t = sc->current;

	if (st->stop && *st->stop)
		return -EINTR;
	if (until_us != UINT64_MAX && stack_clock(st) >= until_us)
		return -ETIMEDOUT;
	wait_add(&sc->pollers, t);
	if (until_us != UINT64_MAX && ts_timer_arm(st, &t->timer, until_us) < 0) {
		wait_del(t);
		return -EAGAIN;
	}
	t->state = TASK_PARKED;
	if (ts_tracing(st, TS_TRACE_SCHED))
		ts_trace(st, TS_TRACE_SCHED, "sched park task %d: wait%s (go: gopark)\n", t->id,
			 until_us == UINT64_MAX ? "" : " with a timeout");
	return task_switch_out(sc, t);
}

void task_sched_destroy(struct stack *st)
{
	struct ts_sched *sc = st->sched;
	if (!sc)
		return;
	/* Like a Go program's exit: tasks still parked never run again. */
	while (sc->all) {
		struct ts_task *t = sc->all;
		sc->all = t->all_next;
		wait_del(t);
		ts_timer_disarm(st, &t->timer);
		task_stack_unmap(t);
		free(t);
	}
	while (sc->cache) {
		struct ts_task *t = sc->cache;
		sc->cache = t->next;
		task_stack_unmap(t);
		free(t);
	}
	free(sc);
	st->sched = NULL;
}

/* ---- the public calls ---- */

int ts_go(struct stack *st, void (*fn)(struct stack *st, void *arg), void *arg)
{
	struct ts_sched *sc;
	struct ts_task *t;

	if (!fn) {
		errno = EINVAL;
		return -1;
	}
	if (!(sc = sched_get(st)) || !(t = task_alloc(sc))) {
		errno = ENOMEM;
		return -1;
	}
	t->fn = fn;
	t->arg = arg;
	sc->next_id = sc->next_id == INT32_MAX ? 1 : sc->next_id + 1;
	t->id = sc->next_id;
	task_ctx_make(&t->ctx, t->stack_lo, t->stack_size, task_main, t);
	t->all_next = sc->all;
	if (sc->all)
		sc->all->all_prev = t;
	sc->all = t;
	sc->stats.spawned++;
	if (++sc->stats.live > sc->stats.peak)
		sc->stats.peak = sc->stats.live;
	runq_push(sc, t);
	if (ts_tracing(st, TS_TRACE_SCHED)) {
		if (sc->current)
			ts_trace(st, TS_TRACE_SCHED, "sched go task %d by task %d (go: newproc)\n",
				 t->id, sc->current->id);
		else
			ts_trace(st, TS_TRACE_SCHED, "sched go task %d (go: newproc)\n", t->id);
	}
	return t->id;
}

int ts_yield(struct stack *st)
{
	struct ts_sched *sc = st->sched;
	if (!sc)
		return 0;
	if (!sc->current) {
		task_run_ready(st);
		return 0;
	}
	struct ts_task *t = sc->current;
	if (ts_tracing(st, TS_TRACE_SCHED))
		ts_trace(st, TS_TRACE_SCHED, "sched yield task %d (go: Gosched)\n", t->id);
	runq_push(sc, t);
	task_switch_out(sc, t);
	return 0;
}

int ts_run(struct stack *st)
{
	if (task_running(st)) {
		errno = EDEADLK; /* a task waiting for every task, itself included */
		return -1;
	}
	while (st->sched && st->sched->stats.live > 0) {
		int r = stack_block(st, UINT64_MAX);
		if (r == -EINTR) {
			errno = EINTR;
			return -1;
		}
		if (r < 0) {
			/* Go: "all goroutines are asleep - deadlock!" */
			errno = EDEADLK;
			return -1;
		}
	}
	return 0;
}

int ts_set_deadline(struct stack *st, int fd, int which, uint64_t abs_us)
{
	struct ts_sock *s = ts_fd_get(st, fd, TS_FD_SOCK);
	struct ts_polldesc *pd;

	if (!s) {
		errno = ts_fd_get(st, fd, TS_FD_EPOLL) ? ENOTSOCK : EBADF;
		return -1;
	}
	if (which != TS_DEADLINE_READ && which != TS_DEADLINE_WRITE && which != TS_DEADLINE_RW) {
		errno = EINVAL;
		return -1;
	}
	if (!(pd = pd_get(s))) {
		errno = ENOMEM;
		return -1;
	}
	if (ts_tracing(st, TS_TRACE_SCHED)) {
		const char *dir = which == TS_DEADLINE_READ    ? "r"
				  : which == TS_DEADLINE_WRITE ? "w"
							       : "rw";
		const char *go = which == TS_DEADLINE_READ    ? "Read"
				 : which == TS_DEADLINE_WRITE ? "Write"
							      : "";
		if (abs_us)
			ts_trace(st, TS_TRACE_SCHED,
				 "sched deadline fd %d %s at %llu us (go: Set%sDeadline)\n", fd,
				 dir, (unsigned long long)abs_us, go);
		else
			ts_trace(st, TS_TRACE_SCHED,
				 "sched deadline fd %d %s none (go: Set%sDeadline)\n", fd, dir, go);
	}
	for (int i = 0; i < 2; i++) {
		enum task_wait_mode mode = i == 0 ? TASK_WAIT_READ : TASK_WAIT_WRITE;
		if (!(which & (i == 0 ? TS_DEADLINE_READ : TS_DEADLINE_WRITE)))
			continue;
		*(mode == TASK_WAIT_READ ? &pd->rd : &pd->wd) = abs_us;
		if (!(mode == TASK_WAIT_READ ? pd->rg : pd->wg))
			continue;
		/* Go's poll_runtime_pollSetDeadline: a waiter sees the new deadline at once. */
		if (abs_us && stack_clock(st) >= abs_us)
			pd_wake(pd, mode, -ETIMEDOUT, "deadline",
				"pollSetDeadline -> netpollunblock");
		else if (pd_arm(pd, mode) < 0) {
			errno = ENOMEM;
			return -1;
		}
	}
	return 0;
}

int ts_task_id(const struct stack *st)
{
	return task_id_of(st->sched);
}

int ts_sched_stats(struct stack *st, struct ts_sched_stats *out)
{
	struct ts_sched *sc = st->sched;
	memset(out, 0, sizeof(*out));
	if (!sc) {
		size_t size =
		    st->cfg.task_stack_size ? st->cfg.task_stack_size : TASK_STACK_DEFAULT;
		out->stack_size = (uint32_t)(size < TASK_STACK_MIN ? TASK_STACK_MIN : size);
		return 0;
	}
	*out = sc->stats;
	out->parked = 0;
	/* Resident stack pages, live tasks' and cached ones' (mincore, a page at a time). */
	size_t pg = page_size();
	uint64_t resident = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (struct ts_task *t = pass == 0 ? sc->all : sc->cache; t;
		     t = pass == 0 ? t->all_next : t->next) {
			if (pass == 0 && t->state == TASK_PARKED)
				out->parked++;
			unsigned char vec[64];
			for (size_t off = 0; off < t->stack_size; off += sizeof(vec) * pg) {
				size_t len = t->stack_size - off;
				if (len > sizeof(vec) * pg)
					len = sizeof(vec) * pg;
				if (mincore((char *)t->stack_lo + off, len, vec) < 0)
					continue;
				for (size_t i = 0; i < (len + pg - 1) / pg; i++)
					resident += vec[i] & 1;
			}
		}
	}
	out->stack_bytes_resident = resident * pg;
	return 0;
}
