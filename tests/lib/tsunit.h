/*
 * tsunit.h - shared test support: suite registration for the one Check
 * runner per binary, golden-frame loading, and a capture netdev that lets a
 * unit test feed frames into one stack and inspect what it sends.
 *
 * A test file registers its suite with TS_SUITE(fn), where fn returns a
 * Check Suite *; tests/lib/runner.c runs every registered suite (so no
 * shared list is edited when a suite is added).
 */
#ifndef TS_TSUNIT_H
#define TS_TSUNIT_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>

#include "netdev.h"
#include "stack.h"

/* Asserts that expr returns -1 with errno e (the ts_ API's failure form). */
#define ck_errno(expr, e)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		ck_assert_msg(r_ == -1 && errno == (e), "%s: returned %ld errno %s, wanted %s",    \
			      #expr, r_, strerrorname_np(errno) ? strerrorname_np(errno) : "0",    \
			      strerrorname_np(e));                                                 \
	} while (0)

/* A host-order IPv4 address as the const struct ip_addr * the views take. */
#define IP4(x) (&(struct ip_addr){.af = AF_INET, .v4 = (x)})

/* A struct sockaddr_in as the struct sockaddr * the socket calls take. */
#define SA(a) ((struct sockaddr *)&(a))

typedef Suite *(*ts_suite_fn)(void);
void ts_register_suite(ts_suite_fn fn);
#define TS_SUITE(fn)                                                                               \
	__attribute__((constructor)) static void ts_register_##fn(void)                            \
	{                                                                                          \
		ts_register_suite(fn);                                                             \
	}

/*
 * Loads a golden frame: text hex, '#' starts a comment to the end of the
 * line, whitespace ignored.  path is relative to tests/frames/.  Returns the
 * byte count, aborts the test on a missing or malformed file.
 */
size_t ts_load_hex(const char *path, uint8_t *out, size_t cap);
/* Parses hex text the same way (for inline fixtures). */
size_t ts_parse_hex(const char *text, uint8_t *out, size_t cap);

/* An IPv6 address from its text form into out (the test fails on bad text). */
void ts_inet6(const char *text, uint8_t out[16]);
/*
 * The checksum of an ICMPv6, TCP or UDP message of len octets at p over
 * IPv6: RFC 1071 with RFC 8200 §8.1's pseudo-header (src, dst, the length,
 * next header nh), computed here independently of the stack's code.
 */
uint16_t ts_csum6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, const uint8_t *p,
		  size_t len);

/*
 * A netdev that records what the stack sends and returns frames queued by
 * the test, each with its offload metadata (netdev.h).  New, it offers no
 * offloads (jumbo frames both ways); capdev_set_caps, before stack_init,
 * makes it offer any.  It fails the test when the stack sends a partial
 * checksum or a GSO frame its capabilities did not offer.
 */
struct capdev;
struct capdev *capdev_new(void);
struct netdev *capdev_netdev(struct capdev *c);
/* What the device reports to stack_init (netdev_caps). */
void capdev_set_caps(struct capdev *c, const struct netdev_caps *caps);
/*
 * Offers (on) or withdraws the sendv op, before stack_init: with it the
 * stack may send a frame in pieces (headers, then a TCP send ring's bytes);
 * the frame is recorded whole all the same.
 */
void capdev_set_sendv(struct capdev *c, bool on);
/* Frames sent in more than one piece so far. */
size_t capdev_sendv_pieces(const struct capdev *c);
/* Queues a frame for the stack's next recv (metadata NONE). */
void capdev_inject(struct capdev *c, const uint8_t *frame, size_t len);
/* Queues a frame with the metadata the device hands up with it. */
void capdev_inject_meta(struct capdev *c, const uint8_t *frame, size_t len,
			const struct netdev_meta *meta);
/* Number of frames the stack sent and not yet taken. */
size_t capdev_sent_count(const struct capdev *c);
/* Takes the oldest sent frame into out; returns its length, 0 when none. */
size_t capdev_take(struct capdev *c, uint8_t *out, size_t cap);
/* The same, with the metadata the stack sent it with (meta may be NULL). */
size_t capdev_take_meta(struct capdev *c, uint8_t *out, size_t cap, struct netdev_meta *meta);
void capdev_free(struct capdev *c);

/*
 * A stack with test defaults (seed 1, 10.0.0.2/24, MAC 02:00:00:00:00:02,
 * no gratuitous ARP) over a fresh capdev.  ts_test_stack_free asserts that
 * no buffer leaked.
 */
struct ts_test_stack {
	struct stack st;
	struct capdev *cap;
};
void ts_test_stack_init(struct ts_test_stack *t, const struct ts_config *cfg_or_null);
/* The same over a capdev that reports caps (NULL: no offloads). */
void ts_test_stack_init_caps(struct ts_test_stack *t, const struct ts_config *cfg_or_null,
			     const struct netdev_caps *caps_or_null);
/* Injects frame, runs one stack_poll at the stack's current time. */
void ts_test_stack_feed(struct ts_test_stack *t, const uint8_t *frame, size_t len);
void ts_test_stack_free(struct ts_test_stack *t);

#endif
