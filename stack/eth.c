/* eth.c - skeleton; the L2/L3 work replaces it. */
#include "eth.h"
#include "stack.h"
void eth_input(struct stack *st, struct ts_buf *b)
{
	ts_drop(st, b, DROP_ETH_UNKNOWN_TYPE);
}
