/* tcp.c - skeleton; the TCP work replaces it. */
#include "tcp.h"
#include "stack.h"
int tcp_init(struct stack *st)
{
	(void)st;
	return 0;
}
void tcp_destroy(struct stack *st)
{
	(void)st;
}
/* Used by tap/trace.c for --trace layers. */
int tcp_describe(const uint8_t *p, size_t len, char *out, size_t cap)
{
	(void)p;
	(void)len;
	return snprintf(out, cap, "tcp");
}
