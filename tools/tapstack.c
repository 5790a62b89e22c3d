/* tapstack.c - skeleton of the program; replaced next. */
#include <stdio.h>
int main(void)
{
	puts("tapstack skeleton");
	return 0;
}
