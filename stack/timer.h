/*
 * timer.h - one binary min-heap of deadlines for the whole stack.
 *
 * Owners embed a struct ts_timer (ARP entries, reassembly slots, each TCP
 * connection's REXMT/PERSIST/KEEP/2MSL/DELACK slots) and arm it with an
 * absolute deadline.  Arm, disarm and re-arm are O(log n); finding the next
 * deadline is O(1), so ts_epoll_wait can sleep exactly until it (Redis
 * aeProcessEvents).  Nothing ever scans every connection per tick.
 */
#ifndef TS_TIMER_H
#define TS_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stack;
struct ts_timer;

typedef void (*ts_timer_fn)(struct stack *st, struct ts_timer *t);

struct ts_timer {
	uint64_t deadline_us; /* absolute, in the stack's clock */
	uint32_t heap_idx;    /* 1-based position in the heap; 0 when not armed */
	ts_timer_fn fn;       /* called once when the deadline passes; may re-arm */
};

struct ts_timer_heap {
	struct ts_timer **v; /* v[0] is the earliest deadline */
	size_t n;            /* armed timers */
	size_t cap;          /* allocated slots */
};

void ts_timer_init(struct ts_timer *t, ts_timer_fn fn);
/* Arms (or moves) t to fire at deadline_us. Returns 0, or -1 when out of memory. */
int ts_timer_arm(struct stack *st, struct ts_timer *t, uint64_t deadline_us);
/* Disarms t; harmless when not armed. Must be called before freeing an owner. */
void ts_timer_disarm(struct stack *st, struct ts_timer *t);
static inline bool ts_timer_armed(const struct ts_timer *t)
{
	return t->heap_idx != 0;
}
/* Earliest armed deadline, or UINT64_MAX when none is armed. */
uint64_t ts_timer_next(const struct stack *st);
/* Fires every timer whose deadline is <= now_us, earliest first. Returns how many. */
int ts_timer_run(struct stack *st, uint64_t now_us);
void ts_timer_heap_destroy(struct ts_timer_heap *h);

#endif
