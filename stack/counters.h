/*
 * counters.h - per-layer traffic counters (netstat -s style), beside the
 * drop reasons of drop.h.  One X-macro list generates the enum and names;
 * each layer owns its block, add new counters inside yours.
 *
 * Invariant checked by the tests (stack.h, "Accounting"): frames received
 * (ETH_RX) = delivered (RX_DELIVERED) + named drops of received frames +
 * frames still held.
 */
#ifndef TS_COUNTERS_H
#define TS_COUNTERS_H

#include <stdio.h>

struct stack;

#define TS_COUNTERS(X)                                                                             \
	X(ETH_RX, "eth", "frames received")                                                        \
	X(ETH_TX, "eth", "frames sent")                                                            \
	X(RX_DELIVERED, "eth", "frames received and consumed by a protocol (accounting, stack.h)") \
	X(ARP_RX, "arp", "packets received")                                                       \
	X(ARP_TX, "arp", "packets sent")                                                           \
	X(ARP_REQUESTS_SENT, "arp", "requests sent")                                               \
	X(ARP_REPLIES_SENT, "arp", "replies sent")                                                 \
	X(ARP_CACHE_UPDATES, "arp", "cache entries created or refreshed")                          \
	X(ARP_CACHE_EXPIRED, "arp", "cache entries expired")                                       \
	X(ARP_CACHE_EVICTED, "arp", "cache entries evicted under pressure (gc_thresh2/3)")         \
	X(ARP_CACHE_EVICTED_IN_USE, "arp", "of those, entries we had sent to")                     \
	X(ARP_CACHE_REFUSED, "arp", "senders not cached: the table holds only static entries")     \
	X(ARP_OFF_LINK_NOT_CACHED, "arp", "requests from off-link senders answered, not cached")   \
	X(IPV4_RX, "ip", "datagrams received")                                                     \
	X(IPV4_DELIVERED, "ip", "datagrams delivered to a transport")                              \
	X(IPV4_TX, "ip", "datagrams sent")                                                         \
	X(IPV4_FRAGS_RX, "ip", "fragments received")                                               \
	X(IPV4_REASSEMBLED, "ip", "datagrams reassembled")                                         \
	X(IPV4_FRAGS_TX, "ip", "fragments created")                                                \
	X(ICMP_RX, "icmp", "messages received")                                                    \
	X(ICMP_TX, "icmp", "messages sent")                                                        \
	X(ICMP_ECHO_REPLIES_SENT, "icmp", "echo replies sent")                                     \
	X(ICMP_UNREACH_SENT, "icmp", "destination unreachable sent")                               \
	X(ICMP_TIME_EXCEEDED_SENT, "icmp", "time exceeded sent (reassembly timeout)")              \
	X(ICMP_ERRORS_RX, "icmp",                                                                  \
	  "errors received (unreachable, time exceeded, parameter problem)")                       \
	X(ICMP_ERRORS_DELIVERED, "icmp",                                                           \
	  "errors passed on to the connection or socket they concern")                             \
	X(ICMP_PMTU_LOWERED, "icmp",                                                               \
	  "path MTU estimates lowered by fragmentation needed (RFC 1191)")                         \
	X(ICMP_PMTU_EXPIRED, "icmp", "path MTU estimates expired or evicted (RFC 1191 §6.3)")      \
	X(UDP_RX, "udp", "datagrams received")                                                     \
	X(UDP_TX, "udp", "datagrams sent")                                                         \
	X(UDP_SNDBUF_ERRORS, "udp", "datagrams lost on send for lack of buffers (not reported)")   \
	X(UDP_ICMP_ERRORS, "udp", "ICMP errors reported to a socket (its next call fails)")        \
	X(TCP_RX, "tcp", "segments received")                                                      \
	X(TCP_TX, "tcp", "segments sent")                                                          \
	X(TCP_RETRANS, "tcp", "segments retransmitted")                                            \
	X(TCP_FAST_RETRANS, "tcp", "fast retransmits")                                             \
	X(TCP_RTO_EXPIRED, "tcp", "retransmission timeouts")                                       \
	X(TCP_ACTIVE_OPENS, "tcp", "active connection openings")                                   \
	X(TCP_PASSIVE_OPENS, "tcp", "passive connection openings")                                 \
	X(TCP_ESTABLISHED_RESETS, "tcp", "connection resets received in established states")       \
	X(TCP_RST_SENT, "tcp", "resets sent")                                                      \
	X(TCP_CHALLENGE_ACKS, "tcp", "challenge ACKs sent (RFC 5961)")                             \
	X(TCP_DELAYED_ACKS, "tcp", "delayed ACKs sent")                                            \
	X(TCP_ZERO_WINDOW_PROBES, "tcp", "zero-window probes sent")                                \
	X(TCP_KEEPALIVES, "tcp", "keepalive probes sent")                                          \
	X(TCP_OFO_QUEUED, "tcp", "segments queued out of order")                                   \
	X(TCP_TLP_PROBES, "tcp", "tail loss probes sent (RFC 8985 §7)")                            \
	X(TCP_LIMITED_TRANSMITS, "tcp", "segments sent by limited transmit (RFC 3042)")            \
	X(TCP_MSS_RAISED, "tcp", "peer MSS options below 88 raised to the floor (RFC 6691)")       \
	X(TCP_ACKS_RATE_LIMITED, "tcp", "ACKs to invalid segments withheld (RFC 5961 §7)")         \
	X(TCP_CHALLENGE_ACKS_BUDGET_LIMITED, "tcp", "challenge ACKs withheld: stack budget spent") \
	X(TCP_ABORT_ON_TIMEOUT, "tcp",                                                             \
	  "connections dropped by a timeout (retries, probes, keep-alive)")                        \
	X(TCP_PERSIST_TIMEOUTS, "tcp",                                                             \
	  "of which: window probes gave up (orphans: tcp_orphan_retries)")                         \
	X(TCP_ABORT_ON_MEMORY, "tcp",                                                              \
	  "orphans reset: tcp_max_orphans or tcp_orphan_max_bytes passed")                         \
	X(TCP_ABORT_ON_SHUTDOWN, "tcp",                                                            \
	  "connections reset as the stack shut down (still open after the drain)")                 \
	X(TCP_SYNCOOKIES_SENT, "tcp",                                                              \
	  "SYN,ACKs with a SYN cookie sent (SYN queue full, RFC 4987)")                            \
	X(TCP_SYNCOOKIES_RECV, "tcp", "connections opened by a valid SYN cookie")                  \
	X(TCP_RACK_LOST, "tcp", "segments marked lost by RACK (RFC 8985 §6.2)")                    \
	X(TCP_REO_TIMEOUTS, "tcp", "RACK reordering timer expiries (RFC 8985 §6.3)")               \
	X(TCP_LOST_RETRANSMITS, "tcp", "retransmissions detected lost by RACK")                    \
	X(TCP_REORDER_SEEN, "tcp", "reordering detected by RACK (RFC 8985 §6.2 step 2)")           \
	X(TCP_PRR_RECOVERIES, "tcp", "recoveries paced by PRR (RFC 6937)")                         \
	X(TCP_DSACK_SENT, "tcp", "D-SACKs sent for duplicate data (RFC 2883)")                     \
	X(TCP_DSACK_RECV, "tcp", "D-SACKs received (RFC 2883)")                                    \
	X(TCP_UNDO_DSACK, "tcp", "reductions undone: every retransmission D-SACKed")               \
	X(TCP_UNDO_TS, "tcp", "reductions undone by timestamps (Eifel, RFC 3522)")                 \
	X(TCP_SPURIOUS_RTO, "tcp", "spurious retransmission timeouts (F-RTO, RFC 5682)")           \
	X(TCP_QUICK_ACKS, "tcp", "ACKs sent at once in quick-ACK mode")                            \
	X(TCP_CWND_RESTART, "tcp", "restarts after idle (RFC 5681 §4.1)")                          \
	X(TCP_RCVBUF_GROWN, "tcp",                                                                 \
	  "receive buffers grown by auto-tuning (Linux tcp_rcv_space_adjust)")                     \
	X(TCP_ICMP_ABORTS, "tcp", "connection attempts ended by an ICMP error (tcp_v4_err)")       \
	X(TCP_ICMP_SOFT_ERRORS, "tcp", "ICMP errors kept as soft errors (reported on a timeout)")  \
	X(TCP_PMTU_RESENDS, "tcp", "resends of what a lowered path MTU no longer lets through")    \
	X(IPV6_RX, "ip6", "datagrams received")                                                    \
	X(IPV6_DELIVERED, "ip6", "datagrams delivered to an upper layer")                          \
	X(IPV6_TX, "ip6", "datagrams sent")                                                        \
	X(IPV6_FRAGS_RX, "ip6", "fragments received (atomic ones excluded)")                       \
	X(IPV6_REASSEMBLED, "ip6", "datagrams reassembled")                                        \
	X(IPV6_FRAGS_TX, "ip6", "fragments created")                                               \
	X(ICMP6_RX, "icmp6", "messages received")                                                  \
	X(ICMP6_TX, "icmp6", "messages sent")                                                      \
	X(ICMP6_ECHO_REPLIES_SENT, "icmp6", "echo requests answered")                              \
	X(ICMP6_PARAM_PROB_SENT, "icmp6", "parameter problems sent")                               \
	X(ICMP6_DEST_UNREACH_SENT, "icmp6", "destination unreachables sent")                       \
	X(ICMP6_ERRORS_RX, "icmp6",                                                                \
	  "errors received (unreachable, packet too big, time exceeded, parameter problem)")       \
	X(ICMP6_ERRORS_DELIVERED, "icmp6",                                                         \
	  "errors passed on to the connection or socket they concern")                             \
	X(ICMP6_TIME_EXCEEDED_SENT, "icmp6", "time exceeded sent (reassembly timeout)")            \
	X(ND6_NS_RX, "nd6", "neighbour solicitations received")                                    \
	X(ND6_NA_RX, "nd6", "neighbour advertisements received")                                   \
	X(ND6_NS_SENT, "nd6", "neighbour solicitations sent")                                      \
	X(ND6_NA_SENT, "nd6", "neighbour advertisements sent")                                     \
	X(ND6_CACHE_UPDATES, "nd6", "neighbour entries created or updated")                        \
	X(ND6_CACHE_EVICTED, "nd6", "neighbour entries evicted under pressure")                    \
	X(ND6_CACHE_FAILED, "nd6", "neighbour entries removed: no answer (§7.3.3)")                \
	X(IPV6_DAD_DUPLICATES, "nd6",                                                              \
	  "addresses found duplicate by DAD, not used (RFC 4862 §5.4.5)")                          \
	X(RD6_RS_SENT, "nd6", "router solicitations sent (RFC 4861 §6.3.7)")                       \
	X(RD6_RA_RX, "nd6", "router advertisements received")                                      \
	X(RD6_ROUTERS_LEARNT, "nd6", "default routers learnt")                                     \
	X(RD6_ROUTERS_REFUSED, "nd6", "routers not taken: the default router list was full")       \
	X(RD6_PREFIXES_REFUSED, "nd6", "on-link prefixes not taken: the prefix list was full")     \
	/* keep last */

enum ts_counter {
#define TS_COUNTER_ENUM(name, layer, doc) CTR_##name,
	TS_COUNTERS(TS_COUNTER_ENUM)
#undef TS_COUNTER_ENUM
	    CTR_MAX
};

/*
 * Prints every counter and every non-zero drop reason, netstat -s style,
 * then the accounting line: "accounting: R received = D delivered + X
 * dropped + H held" (with " UNBALANCED" appended when it does not add up),
 * and "in use: B buffers, D descriptors, P path MTU estimates".
 */
void ts_counters_print(const struct stack *st, FILE *out);

#endif
