/* udp.c - skeleton; the socket work replaces it. */
#include "udp.h"
#include "stack.h"
int udp_init(struct stack *st)
{
	(void)st;
	return 0;
}
void udp_destroy(struct stack *st)
{
	(void)st;
}
/* Used by tap/trace.c for --trace layers. */
int udp_describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
	(void)p;
	(void)len;
	return snprintf(out, cap, "udp");
}
