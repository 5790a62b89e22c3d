/*
 * timer.c - binary min-heap of struct ts_timer, keyed by deadline.  Each
 * timer remembers its heap slot so disarm and re-arm are O(log n).
 */
#include "timer.h"

#include <stdlib.h>

#include "stack.h"

void ts_timer_init(struct ts_timer *t, ts_timer_fn fn)
{
	t->deadline_us = 0;
	t->heap_idx = 0;
	t->fn = fn;
}

static void heap_set(struct ts_timer_heap *h, size_t i, struct ts_timer *t)
{
	h->v[i] = t;
	t->heap_idx = (uint32_t)(i + 1);
}

static void sift_up(struct ts_timer_heap *h, size_t i)
{
	struct ts_timer *t = h->v[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (h->v[parent]->deadline_us <= t->deadline_us)
			break;
		heap_set(h, i, h->v[parent]);
		i = parent;
	}
	heap_set(h, i, t);
}

static void sift_down(struct ts_timer_heap *h, size_t i)
{
	struct ts_timer *t = h->v[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint64_t best = t->deadline_us;
		if (l < h->n && h->v[l]->deadline_us < best) {
			m = l;
			best = h->v[l]->deadline_us;
		}
		if (r < h->n && h->v[r]->deadline_us < best)
			m = r;
		if (m == i)
			break;
		heap_set(h, i, h->v[m]);
		i = m;
	}
	heap_set(h, i, t);
}

static void heap_remove_at(struct ts_timer_heap *h, size_t i)
{
	struct ts_timer *t = h->v[i];
	h->n--;
	t->heap_idx = 0;
	if (i == h->n)
		return;
	struct ts_timer *moved = h->v[h->n];
	heap_set(h, i, moved);
	sift_down(h, i);
	sift_up(h, moved->heap_idx - 1);
}

int ts_timer_arm(struct stack *st, struct ts_timer *t, uint64_t deadline_us)
{
	struct ts_timer_heap *h = &st->timers;

	if (t->heap_idx) {
		size_t i = t->heap_idx - 1;
		uint64_t old = t->deadline_us;
		t->deadline_us = deadline_us;
		if (deadline_us < old)
			sift_up(h, i);
		else
			sift_down(h, i);
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 64;
		struct ts_timer **v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	t->deadline_us = deadline_us;
	heap_set(h, h->n, t);
	h->n++;
	sift_up(h, h->n - 1);
	return 0;
}

void ts_timer_disarm(struct stack *st, struct ts_timer *t)
{
	if (t->heap_idx)
		heap_remove_at(&st->timers, t->heap_idx - 1);
}

uint64_t ts_timer_next(const struct stack *st)
{
	return st->timers.n ? st->timers.v[0]->deadline_us : UINT64_MAX;
}

int ts_timer_run(struct stack *st, uint64_t now_us)
{
	int fired = 0;
	while (st->timers.n && st->timers.v[0]->deadline_us <= now_us) {
		struct ts_timer *t = st->timers.v[0];
		heap_remove_at(&st->timers, 0);
		t->fn(st, t);
		fired++;
	}
	return fired;
}

void ts_timer_heap_destroy(struct ts_timer_heap *h)
{
	for (size_t i = 0; i < h->n; i++)
		h->v[i]->heap_idx = 0;
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}
