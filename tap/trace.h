/*
 * trace.h - `--trace layers`: a netdev wrapper printing one line per frame
 * received and sent, each header as the stack strips or adds it:
 *
 *   rx eth 02:00:00:00:00:01>02:00:00:00:00:02 type=ipv4 | ipv4 10.0.0.1>10.0.0.2 ttl=64
 *      id=1234 proto=icmp len=84 | icmp echo-request id=77 seq=1 len=56
 *
 * (one line; wrapped here).  Decoding uses the stack's own views
 * (eth_parse, arp_parse, ipv4_parse, icmp_parse) and udp_describe /
 * tcp_describe, so the trace shows what the stack will make of the frame.
 */
#ifndef TS_TRACE_H
#define TS_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "netdev.h"

/*
 * Wraps lower (takes ownership: destroy destroys lower too) and writes one
 * line per frame to out (not closed).  Returns NULL when out of memory.
 */
struct netdev *trace_wrap(struct netdev *lower, FILE *out);

/*
 * Describes the frame (without the "rx "/"tx " prefix and newline) into
 * out, snprintf semantics: returns the length the whole line needs.
 */
int trace_describe(const uint8_t *frame, size_t len, char *out, size_t cap);

#endif
