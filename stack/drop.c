/*
 * drop.c - the drop reasons' names, layers, references and descriptions
 * (the table in drop.h).  A file of its own, depending on nothing else of
 * the stack, because code outside a stack reads it too: the pcapng writer
 * names the reason in a dropped frame's comment, and the exercise driver,
 * which links that writer but no stack, must link this table alone.
 */
#include "drop.h"

static const struct {
	const char *name;
	const char *layer;
	const char *ref;
	const char *doc;
} drop_info[DROP_MAX] = {[DROP_NONE] = {"NONE", "", "", "not dropped"},
#define X(name, layer, ref, doc) [DROP_##name] = {#name, layer, ref, doc},
			 TS_DROP_REASONS(X)
#undef X
};

const char *ts_drop_name(enum ts_drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_info[r].name : "UNKNOWN";
}

const char *ts_drop_doc(enum ts_drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_info[r].doc : "unknown reason";
}

const char *ts_drop_layer(enum ts_drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_info[r].layer : "";
}

const char *ts_drop_ref(enum ts_drop_reason r)
{
	return (unsigned)r < DROP_MAX ? drop_info[r].ref : "";
}
