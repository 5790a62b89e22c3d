/* socket.c - skeleton; the socket work replaces it. */
#include "socket.h"
#include "stack.h"
void ts_fdtable_destroy(struct stack *st)
{
	(void)st;
}
