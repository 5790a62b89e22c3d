/* ipv4.c - skeleton; the L2/L3 work replaces it. */
#include "ipv4.h"
#include "stack.h"
int ipv4_init(struct stack *st)
{
	(void)st;
	return 0;
}
void ipv4_destroy(struct stack *st)
{
	(void)st;
}
