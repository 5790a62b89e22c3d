/*
 * node.c - the entry points of a stack built as a shared object for the
 * exercise driver (see exnode.h).  Everything else in the .so is hidden
 * (-fvisibility=hidden), so the learner's and the reference's copies of
 * every layer never meet.
 */
#include "exnode.h"

#include <stdio.h>
#include <string.h>

#include "drop.h"
#include "sim_peer.h"
#include "stack.h"
#include "tcp_cc.h"

#define EXPORT __attribute__((visibility("default")))

EXPORT void *exnode_new(int role, struct netdev *dev, uint64_t seed, uint64_t now_us,
			const struct sim_task *task, const char *cc, char *err, size_t errlen);
EXPORT int exnode_poll(void *node, uint64_t now_us);
EXPORT uint64_t exnode_next_deadline(void *node);
EXPORT const struct sim_result *exnode_result(void *node);
EXPORT void exnode_report(void *node, char *out, size_t cap, uint64_t *retransmits,
			  uint64_t *drops);
EXPORT int64_t exnode_free(void *node);

void *exnode_new(int role, struct netdev *dev, uint64_t seed, uint64_t now_us,
		 const struct sim_task *task, const char *cc, char *err, size_t errlen)
{
	struct ts_config cfg;
	sim_peer_config(&cfg, (enum sim_role)role, seed);
	if (cc) {
		/* The stack falls back to its default on a name it does not know:
		 * here that would time the wrong module, so refuse it. */
		if (!tcp_cc_find(cc) || strlen(cc) >= sizeof(cfg.tcp_congestion)) {
			snprintf(err, errlen, "congestion control '%s': expected one of: %s", cc,
				 tcp_cc_available());
			return NULL;
		}
		snprintf(cfg.tcp_congestion, sizeof(cfg.tcp_congestion), "%s", cc);
	}
	return sim_peer_new((enum sim_role)role, &cfg, dev, now_us, task, err, errlen);
}

int exnode_poll(void *node, uint64_t now_us)
{
	return sim_peer_poll(node, now_us);
}

uint64_t exnode_next_deadline(void *node)
{
	return sim_peer_next_deadline(node);
}

const struct sim_result *exnode_result(void *node)
{
	return sim_peer_result(node);
}

void exnode_report(void *node, char *out, size_t cap, uint64_t *retransmits, uint64_t *drops)
{
	struct stack *st = sim_peer_stack(node);
	size_t len = 0;
	*retransmits = st->counters[CTR_TCP_RETRANS];
	*drops = 0;
	out[0] = 0;
	for (int i = DROP_NONE + 1; i < DROP_MAX; i++) {
		if (!st->drops[i])
			continue;
		*drops += st->drops[i];
		if (len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s%s %llu", len ? ", " : "",
						ts_drop_name((enum ts_drop_reason)i),
						(unsigned long long)st->drops[i]);
	}
}

int64_t exnode_free(void *node)
{
	return sim_peer_free(node);
}
