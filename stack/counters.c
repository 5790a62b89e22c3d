/*
 * counters.c - names of counters, and the --stats printer (netstat -s
 * style: grouped by layer, drops by reason; the reasons' names are in
 * drop.c).
 */
#include "counters.h"

#include <string.h>

#include "drop.h"
#include "ip_pmtu.h"
#include "stack.h"

static const struct {
	const char *layer;
	const char *doc;
} counter_info[CTR_MAX] = {
#define X(name, layer, doc) [CTR_##name] = {layer, doc},
    TS_COUNTERS(X)
#undef X
};

void ts_counters_print(const struct stack *st, FILE *out)
{
	const char *layer = NULL;
	uint64_t total = 0;

	for (int i = 0; i < CTR_MAX; i++) {
		if (!layer || strcmp(layer, counter_info[i].layer) != 0) {
			layer = counter_info[i].layer;
			fprintf(out, "%s:\n", layer);
		}
		fprintf(out, "    %llu %s\n", (unsigned long long)st->counters[i],
			counter_info[i].doc);
	}
	fprintf(out, "drops:\n");
	for (int r = 1; r < DROP_MAX; r++) {
		if (!st->drops[r])
			continue;
		total += st->drops[r];
		fprintf(out, "    %llu %s (%s)\n", (unsigned long long)st->drops[r],
			ts_drop_name(r), ts_drop_doc(r));
	}
	fprintf(out, "    %llu total\n", (unsigned long long)total);
	/* The accounting of received frames (stack.h); the drops above also
	 * count frames we sent, these only received ones. */
	uint64_t rx = st->counters[CTR_ETH_RX], delivered = st->counters[CTR_RX_DELIVERED];
	uint64_t dropped = stack_rx_dropped(st), held = stack_rx_held(st);
	fprintf(out, "accounting: %llu received = %llu delivered + %llu dropped + %llu held%s\n",
		(unsigned long long)rx, (unsigned long long)delivered, (unsigned long long)dropped,
		(unsigned long long)held, stack_rx_balanced(st) ? "" : " UNBALANCED");
	/* What is in use now, for leak checks at the end of a run (make soak). */
	fprintf(out, "in use: %lld buffers, %d descriptors, %u path MTU estimates\n",
		(long long)st->bufs_live, st->fds.used, ip_pmtu_count(st));
}
