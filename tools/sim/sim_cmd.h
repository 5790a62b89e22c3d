/*
 * sim_cmd.h - `tapstack sim` (sim_cmd.c), dispatched from tools/tapstack.c.
 */
#ifndef TS_SIM_CMD_H
#define TS_SIM_CMD_H

/* argv[0] is "sim"; returns the exit status (0 ok, 1 failed, 2 bad usage). */
int sim_main(int argc, char **argv);

#endif
