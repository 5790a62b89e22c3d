/*
 * sim_peer.h - one stack and its application in a simulation: the server
 * runs what `tapstack serve` runs (HTTP on 8080, TCP echo 7, discard 9, UDP
 * echo 7); the client runs one task against it and checks the answer.
 *
 * Everything is non-blocking and timed by the stack's clock, so two peers
 * joined by the in-memory wire run on a virtual clock (sim_net.h).  Used by
 * `tapstack sim` and, compiled into a shared object with the stack, by the
 * exercise driver (tools/exercise/).
 */
#ifndef TS_SIM_PEER_H
#define TS_SIM_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"

#define SIM_CLIENT_IP 0x0a000001u /* 10.0.0.1 */
#define SIM_SERVER_IP 0x0a000002u /* 10.0.0.2 */

enum sim_role { SIM_SERVER, SIM_CLIENT };

enum sim_task_kind {
	SIM_TASK_GET,	/* GET path (default /hello); the body is kept for printing */
	SIM_TASK_BYTES, /* GET /bytes/N, every byte checked against i % 251 */
	SIM_TASK_PING,	/* count ICMP echo requests of size bytes, one per second */
	SIM_TASK_ECHO,	/* n bytes through the TCP echo service, checked as they return */
	SIM_TASK_UDP,	/* count datagrams of size bytes through the UDP echo service */
};

struct sim_task {
	enum sim_task_kind kind;
	char path[256]; /* GET */
	uint64_t n;	/* BYTES, ECHO: bytes */
	uint32_t count; /* PING, UDP: messages */
	uint32_t size;	/* PING, UDP: payload bytes */
};

/* What the client saw. */
struct sim_result {
	bool finished;	   /* the task ended (well or not) */
	bool ok;	   /* ... and everything checked out */
	int http_status;   /* GET, BYTES */
	uint64_t bytes;	   /* body / echoed bytes received and checked */
	uint32_t sent;	   /* PING, UDP: requests sent */
	uint32_t received; /* PING, UDP: replies */
	uint64_t done_us;  /* clock when the task ended */
	char what[256];	   /* one line: what happened, or why it failed */
	char body[256];	   /* GET: the start of the body, printable */
	size_t body_len;
};

struct sim_peer;

/*
 * Starts a stack with cfg over dev (the caller keeps dev and destroys it
 * after sim_peer_free) at now_us, with the server's services or the
 * client's task (task may be NULL for a server).  NULL with err set on
 * failure.
 */
struct sim_peer *sim_peer_new(enum sim_role role, const struct ts_config *cfg, struct netdev *dev,
			      uint64_t now_us, const struct sim_task *task, char *err,
			      size_t errlen);
/* One round at now_us: frames, timers, then the application.  Returns the work done. */
int sim_peer_poll(struct sim_peer *p, uint64_t now_us);
/* The stack's next deadline, or the client's next send. */
uint64_t sim_peer_next_deadline(struct sim_peer *p);
/* The client's result so far (the server's is empty). */
const struct sim_result *sim_peer_result(const struct sim_peer *p);
/* The stack itself (counters, trace settings). */
struct stack *sim_peer_stack(struct sim_peer *p);
/* Closes everything, destroys the stack; returns the buffers it leaked (0). */
int64_t sim_peer_free(struct sim_peer *p);

/* Default configurations of the two ends: addresses, MACs, seeds from seed. */
void sim_peer_config(struct ts_config *cfg, enum sim_role role, uint64_t seed);

#endif
