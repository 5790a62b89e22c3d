/*
 * task_switch.h - the one machine-dependent piece of the tasks (task.c): a
 * context switch between two stacks of the same thread.
 *
 * The implementation is chosen here, once, by the architecture the build
 * targets (the project allows no feature #ifdefs in protocol code; this is
 * not protocol code, and the choice stays in this header and task_switch.c):
 *   x86-64, aarch64   a few lines of assembly that save the callee-saved
 *                     registers on the old stack, swap stack pointers, and
 *                     restore them from the new one (what Go's gogo/mcall
 *                     and Boost.Context's jump_fcontext do);
 *   anything else     ucontext's makecontext/swapcontext (POSIX.1-2001,
 *                     removed in 2008 but kept by glibc), which also saves
 *                     and restores the signal mask: a sigprocmask system
 *                     call per switch.
 * Building with EXTRA_CFLAGS=-DTS_TASK_SWITCH_UCONTEXT forces the fallback
 * on any machine, so both can be measured on one (tools/bench/switch_bench.c,
 * docs/netpoll.md has the numbers).
 */
#ifndef TS_TASK_SWITCH_H
#define TS_TASK_SWITCH_H

#include <stddef.h>

#if (defined(__x86_64__) || defined(__aarch64__)) && !defined(TS_TASK_SWITCH_UCONTEXT)
#define TS_TASK_SWITCH_ASM 1
#else
#define TS_TASK_SWITCH_ASM 0
#include <ucontext.h>
#endif

/* A suspended context: where task_ctx_switch resumes it. */
struct task_ctx {
#if TS_TASK_SWITCH_ASM
	void *sp; /* the saved stack pointer; the registers are on that stack (first member:
		   * the assembly stores it at offset 0) */
#else
	ucontext_t uc;	       /* registers, stack and signal mask */
	void (*entry)(void *); /* what a new context runs (makecontext passes only ints) */
	void *arg;
#endif
};

/*
 * Prepares c to run entry(arg) on the stack [stack_lo, stack_lo + size)
 * the first time something switches to it.  entry must never return: it
 * ends by switching away for good.
 */
void task_ctx_make(struct task_ctx *c, void *stack_lo, size_t size, void (*entry)(void *),
		   void *arg);

/*
 * Saves the running context in from and resumes to.  Returns when some
 * later switch resumes from.
 */
void task_ctx_switch(struct task_ctx *from, struct task_ctx *to);

/* "x86-64 assembly", "aarch64 assembly" or "ucontext": for traces and benchmarks. */
extern const char task_switch_impl[];

#endif
