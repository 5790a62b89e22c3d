/*
 * sim_net.c - the virtual-clock loop and the prefixing trace stream (see
 * sim_net.h).
 */
#include "sim_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Rounds in a row that handle something without the clock moving before the
 * loop calls it a livelock (two nodes answering each other forever at one
 * instant).  A 10 MiB transfer needs far fewer.
 */
#define SIM_MAX_SPINS 5000000u

enum sim_end sim_run(struct sim_node *a, struct sim_node *b, uint64_t *now_us, uint64_t limit_us,
		     bool (*done)(void *ctx), void *ctx)
{
	uint64_t spins = 0;
	unsigned stuck = 0;

	for (;;) {
		if (done && done(ctx))
			return SIM_DONE;
		int handled = a->poll(a->ctx, *now_us);
		handled += b->poll(b->ctx, *now_us);
		if (handled > 0) {
			stuck = 0;
			if (++spins >= SIM_MAX_SPINS)
				return SIM_LIVELOCK;
			continue;
		}
		uint64_t da = a->next_deadline(a->ctx), db = b->next_deadline(b->ctx);
		uint64_t next = da < db ? da : db;
		if (next <= *now_us) {
			/* Due already but nothing handled: a frame one node released during
			 * its poll waits for the other.  One more round takes it; a deadline
			 * that polling never consumes gets a nudge so the loop moves on. */
			if (++stuck < 4)
				continue;
			next = *now_us + 1;
		}
		stuck = 0;
		if (*now_us >= limit_us)
			return done && done(ctx) ? SIM_DONE : SIM_TIMEOUT;
		*now_us = next < limit_us ? next : limit_us;
		spins = 0;
	}
}

/* ---- trace lines with the virtual time ------------------------------------ */

struct sim_trace {
	FILE *out;
	char name[16];
	const uint64_t *clock_us;
	char line[1024]; /* the line being written */
	size_t len;
};

static void trace_flush_line(struct sim_trace *t)
{
	uint64_t now = *t->clock_us - SIM_START_US;
	fprintf(t->out, "%6llu.%06llu %-6s | %.*s\n", (unsigned long long)(now / 1000000u),
		(unsigned long long)(now % 1000000u), t->name, (int)t->len, t->line);
	t->len = 0;
}

static ssize_t trace_write(void *cookie, const char *buf, size_t n)
{
	struct sim_trace *t = cookie;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' || t->len == sizeof(t->line)) {
			trace_flush_line(t);
			if (buf[i] == '\n')
				continue;
		}
		t->line[t->len++] = buf[i];
	}
	return (ssize_t)n;
}

static int trace_close(void *cookie)
{
	struct sim_trace *t = cookie;
	if (t->len)
		trace_flush_line(t);
	fflush(t->out);
	free(t);
	return 0;
}

FILE *sim_trace_stream(FILE *out, const char *name, const uint64_t *clock_us)
{
	struct sim_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->out = out;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->clock_us = clock_us;
	cookie_io_functions_t io = {.write = trace_write, .close = trace_close};
	FILE *f = fopencookie(t, "w", io);
	if (!f) {
		free(t);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}
