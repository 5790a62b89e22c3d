/*
 * tcp.h - TCP as the rest of the stack sees it: set-up, teardown, segment
 * input from IPv4, and the connection table.  TCP itself (RFC 9293 with
 * options, RFC 6298 timing, RFC 5681/6582/6675 recovery, RFC 6528 ISNs,
 * RFC 5961 mitigations) lives in the tcp_*.c files, whose shared
 * definitions are in tcp_var.h.
 */
#ifndef TS_TCP_H
#define TS_TCP_H

#include <stdio.h>

struct stack;
struct ts_buf;

int tcp_init(struct stack *st);
void tcp_destroy(struct stack *st);
/* b->data = TCP header, b->src_ip/dst_ip set, b->tail = end of segment. Consumes b. */
void tcp_input(struct stack *st, struct ts_buf *b);
/*
 * A receive batch (stack_poll): from tcp_batch_begin to tcp_batch_end the
 * output that input makes due on a connection (its ACK, data its peer's
 * window opened) waits, so the segments of one batch get one ACK and one
 * run of data per connection; tcp_batch_end sends it (tcp_out.c).
 */
void tcp_batch_begin(struct stack *st);
void tcp_batch_end(struct stack *st);
/* Connection table, like ss -tan (SIGUSR1, --stats). */
void tcp_print_table(struct stack *st, FILE *out);

#endif
