/* arp.c - skeleton; the L2/L3 work replaces it. */
#include "arp.h"
#include "stack.h"
int arp_init(struct stack *st)
{
	(void)st;
	return 0;
}
void arp_destroy(struct stack *st)
{
	(void)st;
}
void arp_announce(struct stack *st)
{
	(void)st;
}
