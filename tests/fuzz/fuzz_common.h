/*
 * fuzz_common.h - what the libFuzzer harnesses share: a capture netdev that
 * checks every frame the stack sends, a stack with the test defaults
 * (10.0.0.2/24, MAC 02:00:00:00:00:02, seed 1) on a virtual clock, and a
 * helper that repairs the checksums of a mutated frame so the fuzzer gets
 * past the checksum checks into the protocol code.
 *
 * tests/lib/tsunit.c has a capture netdev too, but it needs Check; the
 * fuzzers link only the stack sources and this file.
 *
 * Invariants checked here (a violation aborts, which libFuzzer reports as a
 * crash with the input that caused it):
 *   - every frame sent is at least an Ethernet header and at most MTU + 14;
 *   - it carries our MAC as the source, and no offload metadata (the
 *     device offers none, so every checksum is complete);
 *   - an IPv4 frame has a sane header, a correct header checksum, and (when
 *     it is not a fragment) a correct TCP, UDP or ICMP checksum;
 *   - after stack_destroy no buffer is live (st.bufs_live == 0).
 */
#ifndef TS_FUZZ_COMMON_H
#define TS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stack.h"
#include "netdev.h"

/* Our side and the peer used by the seed frames (tests/frames/). */
#define FZ_OUR_IP   0x0a000002u /* 10.0.0.2 */
#define FZ_PEER_IP  0x0a000001u /* 10.0.0.1 */
#define FZ_MAX_RX_Q 64		/* frames queued for one poll */

/* The peer's next expected ACK per TCP port of the peer (see fz_patch_ack). */
#define FZ_ACK_SLOTS 16

struct fz_rx {
	size_t len;
	uint8_t data[];
};

struct fzdev {
	struct netdev dev;
	struct fz_rx *rx[FZ_MAX_RX_Q]; /* injected frames, received in order */
	unsigned rx_head, rx_n;
	uint32_t mtu;	     /* the stack's MTU, for the size invariant */
	uint8_t mac[6];	     /* the stack's MAC, for the source invariant */
	bool ignore_known;   /* FUZZ_IGNORE_KNOWN: tolerate the reported bugs */
	bool dump;	     /* FUZZ_TRACE: print every frame sent */
	FILE *pcap;	     /* FUZZ_PCAP=FILE: every frame received and sent, for Wireshark */
	uint64_t sent;	     /* frames sent by the stack */
	uint64_t sent_bytes; /* their bytes */
	/* For fz_patch_ack: what the stack sent last on each connection. */
	struct {
		uint16_t peer_port; /* 0: free slot */
		uint16_t our_port;
		uint32_t next_seq; /* seq + SYN + payload + FIN of the newest segment */
	} ack[FZ_ACK_SLOTS];
	unsigned ack_next; /* round-robin replacement */
};

/*
 * A stack over a fresh fzdev, test defaults changed by cfg_edit (may be
 * NULL).  Aborts on failure (the harness cannot go on).
 */
struct fz_stack {
	struct stack st;
	struct fzdev *dev;
};
void fz_stack_init(struct fz_stack *f, void (*cfg_edit)(struct ts_config *cfg));
/* Destroys the stack and aborts if any buffer leaked. */
void fz_stack_free(struct fz_stack *f);
/* Queues a frame (copied) for the stack's next recv; drops it if the queue is full. */
void fz_inject(struct fz_stack *f, const uint8_t *frame, size_t len);
/*
 * Feeds an ARP request from the peer 10.0.0.1 (02:00:00:00:00:01) for our
 * address, so the stack caches the peer's MAC and its replies to 10.0.0.1
 * leave at once (and pass through the send checks) instead of waiting for
 * ARP.  Replies to other addresses still go through ARP resolution.
 */
void fz_learn_peer(struct fz_stack *f);
/* Advances the virtual clock by delta_us and runs one stack_poll. */
void fz_step(struct fz_stack *f, uint64_t delta_us);
/*
 * Runs the clock forward through the stack's pending deadlines (ARP
 * retries, reassembly timeout, TCP retransmission, TIME-WAIT), at most
 * max_steps timer batches, so timer code runs on every input.
 */
void fz_drain_timers(struct fz_stack *f, unsigned max_steps);

/*
 * Rewrites the IPv4 header checksum and, for an unfragmented TCP, UDP
 * (non-zero checksum) or ICMP datagram, the transport checksum, in place.
 * Returns true if any byte changed.  Lengths are clamped to the frame, so
 * any input is safe.
 */
bool fz_fix_checksums(uint8_t *frame, size_t len);

/*
 * For a TCP segment from the peer to us: sets its ACK number to the
 * sequence number following the last segment the stack sent on that
 * connection (so a fuzzer can complete handshakes without guessing the
 * ISS).  Does not fix checksums.  Returns true if it changed the frame.
 */
bool fz_patch_ack(struct fzdev *d, uint8_t *frame, size_t len);

/* Prints msg and the location to stderr and aborts (libFuzzer records the input). */
#define FZ_CHECK(cond, ...)                                                                        \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                           \
		}                                                                                  \
	} while (0)
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

#endif
