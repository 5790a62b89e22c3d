/*
 * exnode.h - what a stack built as a shared object exports to the exercise
 * driver (tools/exercise/node.c inside the .so, exdrive.c outside).
 *
 * The driver is not linked with the stack: it dlopens two .so files (the
 * learner's variant and the reference, each a whole stack built with
 * -fPIC -Wl,-Bsymbolic and hidden visibility, loaded RTLD_LOCAL so that
 * each calls its own copy of every layer), joins them with the in-memory
 * wire and drives both on one virtual clock.  Only plain types cross the
 * boundary: the netdev (whose ops are the driver's own code) and the
 * sim_task/sim_result structs of tools/sim/sim_peer.h.
 */
#ifndef TS_EXNODE_H
#define TS_EXNODE_H

#include <stddef.h>
#include <stdint.h>

#include "netdev.h"
#include "sim_peer.h"

/* Symbol names the driver looks up with dlsym. */
#define EXNODE_SYMBOLS                                                                             \
	"exnode_new", "exnode_poll", "exnode_next_deadline", "exnode_result", "exnode_report",     \
	    "exnode_free"

struct exnode_api {
	/* role: SIM_SERVER or SIM_CLIENT; seed: both stacks' seeds derive from it;
	 * cc: TCP congestion control (cfg.tcp_congestion), NULL: the default. */
	void *(*new_node)(int role, struct netdev *dev, uint64_t seed, uint64_t now_us,
			  const struct sim_task *task, const char *cc, char *err, size_t errlen);
	int (*poll)(void *node, uint64_t now_us);
	uint64_t (*next_deadline)(void *node);
	const struct sim_result *(*result)(void *node);
	/* One line: retransmissions and the stack's non-zero drop reasons. */
	void (*report)(void *node, char *out, size_t cap, uint64_t *retransmits, uint64_t *drops);
	/* Returns the buffers the stack leaked (0). */
	int64_t (*free_node)(void *node);
};

#endif
