/*
 * setup_cmd.h - `tapstack setup` (setup_cmd.c), dispatched from tools/tapstack.c.
 */
#ifndef TS_SETUP_CMD_H
#define TS_SETUP_CMD_H

#include <stdio.h>

/* argv[0] is "setup"; returns the exit status (0 ok, 1 failed, 2 bad usage). */
int setup_main(int argc, char **argv);
/* Its --help text. */
void setup_usage(FILE *out);

#endif
