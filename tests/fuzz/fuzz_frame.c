/*
 * fuzz_frame.c - libFuzzer harness: the input is one Ethernet frame (no
 * FCS) received by a fresh stack at 10.0.0.2/24, MAC 02:00:00:00:00:02.
 * Reaches eth, ARP, IPv4 (with reassembly), ICMP, UDP and TCP input and
 * whatever they answer.
 *
 * Per input: a new stack with seed 1 and the clock at 1 s (so every run of
 * an input is identical) that has answered an ARP request from 10.0.0.1
 * (so replies to the seed frames' sender leave at once and pass the send
 * checks; replies to other hosts wait for ARP), the frame as given, then, if its checksums were
 * wrong, the same frame with repaired checksums (a mutated seed frame would
 * otherwise die at the first checksum check and never reach the protocol
 * code), then the clock runs through every pending deadline so the ARP,
 * reassembly and TCP timers fire, then teardown.
 *
 * Invariants (fuzz_common.h): nothing sent is larger than MTU + 14 or has a
 * bad checksum, and no buffer is live after stack_destroy.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* Above what any link hands the stack (MTU 1500 + 64 in stack_poll). */
#define MAX_FRAME 9216

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_stack f; /* one per process, re-initialised per input */
	static uint8_t fixed[MAX_FRAME];

	if (size > MAX_FRAME)
		return -1; /* libFuzzer: do not add to the corpus */
	fz_stack_init(&f, NULL);
	fz_learn_peer(&f);
	fz_inject(&f, data, size);
	fz_step(&f, 0);
	memcpy(fixed, data, size);
	if (fz_fix_checksums(fixed, size)) {
		fz_inject(&f, fixed, size);
		fz_step(&f, 1000);
	}
	fz_drain_timers(&f, 64);
	fz_stack_free(&f);
	return 0;
}
