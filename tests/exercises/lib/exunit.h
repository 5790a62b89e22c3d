/*
 * exunit.h - the checks of the protocol-layer exercises (docs/exercises/),
 * written for a learner to act on rather than for a maintainer to grep.
 *
 * Each check is a function registered with EX_CHECK.  The runner
 * (exunit.c) forks one child per check, with a time limit, so a learner's
 * crash or endless loop fails that check only.  While it runs, a check
 * narrates what it does (ex_step: the transcript), feeds frames to a stack
 * (ex_stack_*: every frame in and out also goes into the check's pcap) and
 * compares.  A failure prints, in this order:
 *
 *   - the transcript: the steps that led there;
 *   - what was expected and what happened; for frames, both decoded field
 *     by field with the RFC's field names, the differing fields marked,
 *     then both in hex with the differing bytes underlined (exframe.h);
 *   - ONE hint, chosen by the check for the mistake the evidence points at,
 *     with a stable id: "hint [arp.reply-only-for-us]: ...";
 *   - the pcap of the check, to open in Wireshark;
 *   - the command that reruns only that check with the same seed.
 *
 * Environment: EX_NAME (exercise, for the rerun line), EX_OUT (directory
 * for pcaps, default /tmp), EX_CHECK (run only this check), EX_SEED
 * (default 1), EX_VERBOSE=1 (print the transcript of passing checks too).
 */
#ifndef TS_EXUNIT_H
#define TS_EXUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netdev.h"
#include "stack.h"

typedef void (*ex_check_fn)(void);
void ex_register(const char *name, ex_check_fn fn, const char *what);

/* EX_CHECK(name, "one line: what it checks") { body } */
#define EX_CHECK(name, what)                                                                       \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void ex_reg_##name(void)                               \
	{                                                                                          \
		ex_register(#name, name, what);                                                    \
	}                                                                                          \
	static void name(void)

/* The seed of this run (EX_SEED, default 1), for checks that draw inputs. */
uint64_t ex_seed(void);
/* A deterministic random number from the seed (xorshift64*). */
uint64_t ex_rand(void);

/* Appends one line to the transcript. */
void ex_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Fails the check: what (one or more lines: expected vs actual), then the
 * hint with its id.  Never returns.
 */
void ex_fail(const char *hint_id, const char *hint, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/*
 * Compares a frame the stack sent (act) with the expected one (exp); on a
 * difference fails with both decoded and the hint.  mask (may be NULL, else
 * elen bytes) marks with 0 the bytes whose value does not matter.
 */
void ex_expect_frame(const char *what, const uint8_t *exp, size_t elen, const uint8_t *act,
		     size_t alen, const uint8_t *mask, const char *hint_id, const char *hint);

/* Records a frame in this check's pcap (tx: sent by the stack under test). */
void ex_pcap(const uint8_t *frame, size_t len, bool tx);

/*
 * A stack under test: 10.0.0.2/24, MAC 02:00:00:00:00:02, seed 1, no
 * gratuitous ARP, on a capture device.  tweak (may be NULL) edits the
 * configuration first.
 */
struct ex_stack {
	struct stack st;
	struct netdev *dev;
	uint64_t now_us;
};
void ex_stack_init(struct ex_stack *s, void (*tweak)(struct ts_config *cfg));
/* Hands the stack one frame and polls it once; the transcript gets "rx <summary>". */
void ex_stack_rx(struct ex_stack *s, const uint8_t *frame, size_t len, const char *why);
/* Takes the oldest frame the stack sent into out (cap bytes); 0 when none. */
size_t ex_stack_tx(struct ex_stack *s, uint8_t *out, size_t cap);
/* Frames sent and not yet taken. */
size_t ex_stack_tx_pending(const struct ex_stack *s);
/* Moves the clock on by us and polls (timers fire). */
void ex_stack_advance(struct ex_stack *s, uint64_t us);
/* Destroys the stack; fails the check if a received frame ended without an
 * exit (stack.h, "Accounting of received frames") or a buffer leaked. */
void ex_stack_free(struct ex_stack *s);

/* A one-line decode of a frame ("ARP request who-has 10.0.0.2 tell 10.0.0.1"). */
const char *ex_summary(const uint8_t *frame, size_t len);

/* Hex text to bytes ('#' comments, whitespace ignored); returns the count. */
size_t ex_hex(const char *text, uint8_t *out, size_t cap);

#endif
