/*
 * sim_net.h - the pieces of a simulated network that do not know what a
 * stack is: the virtual-clock loop over two nodes, and trace sinks that
 * prefix every line with the virtual time and the node's name.  (The
 * capture is tap/pcap_tee.c's, stamped with the virtual clock:
 * pcap_tee_wrap_stack_clock.)
 *
 * Used by `tapstack sim` (tools/sim/sim_cmd.c), where both nodes are
 * stacks in this process, and by the exercise driver
 * (tools/exercise/exdrive.c), where each node is a whole stack inside its
 * own shared object: that is why a node is only three callbacks and why
 * nothing here may call into stack/ (the driver is not linked with it).
 *
 * The loop (smoltcp tests/netsim.rs): poll both nodes at one instant; when
 * neither handled anything, jump the clock to the earliest deadline of
 * either.  Nothing reads the real clock, so a run is a function of the
 * nodes' seeds and the fault spec.
 */
#ifndef TS_SIM_NET_H
#define TS_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netdev.h"

/* Virtual clock at start: 1 s, so that "time 0" never looks like an unset deadline. */
#define SIM_START_US 1000000u

struct sim_node {
	void *ctx;
	/* Runs the node at now_us (frames, timers, application); returns the work done. */
	int (*poll)(void *ctx, uint64_t now_us);
	/* The earliest instant at which the node has something to do, or UINT64_MAX. */
	uint64_t (*next_deadline)(void *ctx);
};

enum sim_end {
	SIM_DONE,     /* done() became true */
	SIM_TIMEOUT,  /* the clock reached the limit first */
	SIM_LIVELOCK, /* the nodes kept handling work without the clock moving */
};

/*
 * Polls a and b until done(ctx) is true (checked between rounds; may be
 * NULL: run to the limit) or *now_us reaches limit_us.  *now_us is the
 * clock, advanced in place.
 */
enum sim_end sim_run(struct sim_node *a, struct sim_node *b, uint64_t *now_us, uint64_t limit_us,
		     bool (*done)(void *ctx), void *ctx);

/*
 * A stdio stream that writes each line to out as "%12.6f name | line", with
 * the time read from *clock_us (virtual microseconds) when the line ends.
 * For --trace of two stacks in one process.  Close it with fclose.
 */
FILE *sim_trace_stream(FILE *out, const char *name, const uint64_t *clock_us);

#endif
