/*
 * server_tasks.h - the HTTP/1.1 server's second model (`tapstack serve
 * --model tasks`): Go's net/http shape, an accept loop in one task and one
 * task per connection, written with blocking calls that park the task
 * (stack/include/tapstack.h: ts_go, ts_set_deadline).  It answers exactly
 * as the event-loop model (server.h) does, with the same configuration,
 * limits, timeouts and counters; nothing to dispatch and no timeouts to
 * expire by hand: the tasks run whenever the stack is polled.
 */
#ifndef TS_HTTP_SERVER_TASKS_H
#define TS_HTTP_SERVER_TASKS_H

#include "server.h"

struct http_server_tasks;

/*
 * Opens the listener (socket, SO_REUSEADDR, bind 0.0.0.0:port, listen
 * 4096) and starts the accept task.  Returns 0 with *out set, or -errno.
 */
int http_server_tasks_start(struct http_server_tasks **out, struct stack *st,
			    const struct http_server_config *cfg);

/*
 * Closes the listener and every connection (FIN), which ends their tasks
 * (EBADF), runs them to their end and frees the server.  Call it outside
 * the server's tasks, with st->stop clear.
 */
void http_server_tasks_stop(struct http_server_tasks *s);

void http_server_tasks_get_stats(const struct http_server_tasks *s, struct http_server_stats *out);

#endif
