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

#include "drop.h"

struct stack;
struct ts_buf;
struct ip_addr;
struct ip_err;

int tcp_init(struct stack *st);
void tcp_destroy(struct stack *st);
/* Resets every connection still open: the stack is going away (stack_shutdown). */
void tcp_reset_all(struct stack *st);
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
/*
 * An ICMP error about a TCP segment we sent (ip.h, ip_err_input): the
 * connection of the quoted 4-tuple, if the quoted sequence number lies in
 * SND.UNA..SND.NXT (RFC 5927 §4.1), ends its connect, keeps a soft error,
 * or lowers its MSS and resends (tcp_err.c).  DROP_NONE, or why not.
 */
enum ts_drop_reason tcp_err_input(struct stack *st, const struct ip_err *e);
/*
 * The path MTU toward dst changed (ip_pmtu.c: lowered, expired, evicted):
 * every connection to dst takes the MSS the new one allows (Linux
 * tcp_sync_mss).
 */
void tcp_pmtu_changed(struct stack *st, const struct ip_addr *dst);
/* Connection table, like ss -tan (SIGUSR1, --stats). */
void tcp_print_table(struct stack *st, FILE *out);

#endif
