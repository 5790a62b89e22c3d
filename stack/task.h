/*
 * task.h - goroutine-like tasks on one stack (task.c): the other half of
 * Go's netpoll.  Public calls (tapstack.h): ts_go, ts_run, ts_yield,
 * ts_set_deadline, ts_task_id, ts_sched_stats.  docs/netpoll.md walks
 * through the seed's Go code paths beside these.
 *
 * The hooks the rest of the stack calls, each one line at its call site:
 *   socket.c   task_sock_wait (a blocking call found EAGAIN: park the task
 *              on the socket, Go's pollDesc.wait → gopark; or, outside a
 *              task, wait in the stack as before), task_deadline_check (an
 *              expired deadline fails the call, Go's pollDesc.prepare),
 *              task_sock_close (the socket is closing: wake its waiters
 *              with EBADF, Go's pollDesc.evict)
 *   epoll.c    task_sock_wakeup (readiness may have changed: the next run
 *              pass asks the socket and readies its parked tasks, Go's
 *              netpoll → netpollready)
 *   stack.c    task_run_ready (stack_poll, outside any task, runs the tasks
 *              that became runnable: Go's schedule → execute), task_block
 *              (stack_block inside a task parks it instead of sleeping in
 *              the kernel), task_sched_destroy
 */
#ifndef TS_TASK_H
#define TS_TASK_H

#include <stdbool.h>
#include <stdint.h>

struct stack;
struct ts_sock;

/* Which way a task waits on a socket (Go's mode 'r' / 'w'). */
enum task_wait_mode {
	TASK_WAIT_READ = 'r',  /* accept, read, recv*: readable, end of stream, error */
	TASK_WAIT_WRITE = 'w', /* connect, write, send*: room to write, error */
};

/* Whether the code running now is a task of st. */
bool task_running(const struct stack *st);

/*
 * One wait of a blocking call on s that found nothing to do (EAGAIN): in a
 * task, parks it until s is ready for mode, s's deadline for mode passes,
 * or s is closed; outside a task, waits in the stack (stack_block) until
 * that deadline.  call names the operation for --trace sched.  Returns 0
 * (something may have changed: try again), -ETIMEDOUT (the deadline
 * passed), -EBADF (s was closed meanwhile: s is freed, do not touch it),
 * -EINTR (*st->stop), -EAGAIN (nothing can ever change) or -ENOMEM.
 */
int task_sock_wait(struct stack *st, struct ts_sock *s, enum task_wait_mode mode, const char *call);
/* -ETIMEDOUT when s has a deadline for mode that has passed, else 0. */
int task_deadline_check(struct ts_sock *s, enum task_wait_mode mode);
/* Readiness of s may have changed (events: a hint, as ts_sock_wakeup_events). */
void task_sock_wakeup(struct ts_sock *s, uint32_t events);
/* s is being closed: its waiters fail with EBADF, its deadlines go. */
void task_sock_close(struct ts_sock *s);

/*
 * stack_block inside a task: parks it until something on the stack may
 * have changed (a socket's readiness, a descriptor closed) or until_us.
 * Returns 0, -ETIMEDOUT or -EINTR.
 */
int task_block(struct stack *st, uint64_t until_us);
/*
 * Outside any task: runs each task that is runnable now until it parks,
 * yields or exits.  Returns how many ran.
 */
int task_run_ready(struct stack *st);
/* Frees every task (running none of them) and the scheduler. */
void task_sched_destroy(struct stack *st);

#endif
