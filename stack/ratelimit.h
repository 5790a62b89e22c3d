/*
 * ratelimit.h - the token bucket both ICMPs limit their errors with
 * (RFC 1812 §4.3.2.8, RFC 4443 §2.4 (f)): rate messages per second, at
 * most burst at once, kept in millionths of a message so the refill is
 * exact in integer microseconds.
 */
#ifndef TS_RATELIMIT_H
#define TS_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ts_bucket {
	uint64_t tokens;    /* millionths of a message */
	uint64_t refill_us; /* when it was last topped up */
};

/* A full bucket at now_us. */
static inline void ts_bucket_init(struct ts_bucket *b, uint32_t burst, uint64_t now_us)
{
	b->tokens = (uint64_t)burst * 1000000u;
	b->refill_us = now_us;
}

/* Tops b up for the time since the last call; true when a message may go
 * (and takes it). */
static inline bool ts_bucket_take(struct ts_bucket *b, uint32_t rate, uint32_t burst,
				  uint64_t now_us)
{
	uint64_t cap = (uint64_t)burst * 1000000u;
	uint64_t elapsed = now_us - b->refill_us;
	b->refill_us = now_us;
	if (elapsed > 1000000000u) /* long idle: full, and no overflow below */
		b->tokens = cap;
	else
		b->tokens += elapsed * rate;
	if (b->tokens > cap)
		b->tokens = cap;
	if (b->tokens < 1000000u)
		return false;
	b->tokens -= 1000000u;
	return true;
}

#endif
