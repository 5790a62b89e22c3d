/*
 * drop.h - every reason a frame, packet or segment can die, as one X-macro
 * list (Linux include/net/dropreason-core.h).  The list generates the enum
 * and the names printed by --stats and SIGUSR1.
 *
 * Naming: LAYER_WHAT.  Each entry is X(NAME, layer, reference, doc): the
 * layer that drops ("link", "eth", "arp", "ipv4", "icmp", "udp", "tcp"),
 * the RFC, with its section where it has numbered ones, that mandates or
 * describes the drop ("RFC 9293 3.10.7.4", "RFC 826"), and a one-line
 * description.  Where no RFC mandates the drop, the reference is the RFC
 * of the counter it is: RFC 2863 for the link's (ifInDiscards: no buffer;
 * ifInErrors: bad metadata; ifOutErrors: a send refused;
 * ifInUnknownProtos: an EtherType we do not handle), RFC 4113 for UDP's
 * (udpInErrors: a full receive queue), RFC 894 for the Ethernet framing.  The pcapng writer prints
 * the first three in each dropped frame's comment (tap/pcap_tee.c): "drop: TCP_OUT_OF_WINDOW (tcp,
 * RFC 9293 3.10.7.4)".  A drop that also answers (RST, ICMP unreachable, challenge ACK) is still
 * counted here.
 *
 * Each layer owns its block; add new reasons inside your layer's block.
 */
#ifndef TS_DROP_H
#define TS_DROP_H

#define TS_DROP_REASONS(X)                                                                         \
	/* link */                                                                                 \
	X(LINK_NOMEM, "link", "RFC 2863", "no buffer for a received frame")                        \
	X(LINK_TX_FAIL, "link", "RFC 2863", "the link refused a frame we sent")                    \
	X(LINK_BAD_META, "link", "RFC 2863",                                                       \
	  "offload metadata that cannot describe the frame (netdev.h)")                            \
	/* Ethernet */                                                                             \
	X(ETH_TRUNCATED, "eth", "RFC 894", "frame shorter than the 14-byte Ethernet header")       \
	X(ETH_NOT_FOR_US, "eth", "RFC 894",                                                        \
	  "destination is neither our MAC, broadcast nor a multicast we join")                     \
	X(ETH_UNKNOWN_TYPE, "eth", "RFC 2863", "EtherType we do not handle (LLDP, ...)")           \
	X(ETH_FROM_SELF, "eth", "RFC 894", "source MAC is our own (looped back frame)")            \
	/* ARP (RFC 826) */                                                                        \
	X(ARP_TRUNCATED, "arp", "RFC 826", "ARP packet shorter than its 28 bytes")                 \
	X(ARP_BAD_HW, "arp", "RFC 826", "hardware type/length is not Ethernet/6")                  \
	X(ARP_BAD_PROTO, "arp", "RFC 826", "protocol type/length is not IPv4/4")                   \
	X(ARP_BAD_OP, "arp", "RFC 826", "opcode neither request nor reply")                        \
	X(ARP_NOT_FOR_US, "arp", "RFC 826",                                                        \
	  "target protocol address is not ours (RFC 826: cache update only)")                      \
	X(ARP_BAD_SENDER, "arp", "RFC 1122 2.3.2.1",                                               \
	  "sender address is broadcast, multicast, zero or our own")                               \
	X(ARP_QUEUE_FULL, "arp", "RFC 1122 2.3.2.2",                                               \
	  "oldest packet waiting for this next hop dropped: count or bytes bound")                 \
	X(ARP_PENDING_FULL, "arp", "RFC 1122 2.3.2.2",                                             \
	  "packets waiting for resolution hit the total byte bound")                               \
	X(ARP_EVICTED, "arp", "RFC 1122 2.3.2.2",                                                  \
	  "packet waiting on a neighbour entry evicted under pressure")                            \
	X(ARP_UNSOLICITED, "arp", "RFC 826",                                                       \
	  "reply from a sender we hold no entry for (Linux arp_accept=0)")                         \
	X(ARP_UNRESOLVED, "arp", "RFC 1122 2.3.2.1",                                               \
	  "next hop did not answer ARP after every retry")                                         \
	X(ARP_CACHE_FULL, "arp", "RFC 1122 2.3.2.1",                                               \
	  "neighbour cache full of static entries: no entry for a new next hop")                   \
	/* IPv4 (RFC 791, RFC 1122) */                                                             \
	X(IPV4_TRUNCATED, "ipv4", "RFC 791 3.1", "shorter than 20 bytes or than its IHL")          \
	X(IPV4_BAD_VERSION, "ipv4", "RFC 1122 3.2.1.1", "version field is not 4")                  \
	X(IPV4_BAD_IHL, "ipv4", "RFC 791 3.1", "IHL below 5 (RFC 791 §3.1)")                       \
	X(IPV4_BAD_LEN, "ipv4", "RFC 791 3.1", "total length below IHL*4 or beyond the frame")     \
	X(IPV4_BAD_CSUM, "ipv4", "RFC 1122 3.2.1.2",                                               \
	  "header checksum does not verify (RFC 1122 §3.2.1.2)")                                   \
	X(IPV4_BAD_SRC, "ipv4", "RFC 1122 3.2.1.3",                                                \
	  "source is broadcast, multicast or loopback (RFC 1122 §3.2.1.3)")                        \
	X(IPV4_NOT_FOR_US, "ipv4", "RFC 1122 3.2.1.3",                                             \
	  "destination is not our address nor a broadcast (we do not forward)")                    \
	X(IPV4_UNKNOWN_PROTO, "ipv4", "RFC 1122 3.2.2.1",                                          \
	  "protocol with no handler (answered: protocol unreachable)")                             \
	X(IPV4_BAD_OPTIONS, "ipv4", "RFC 1122 3.2.1.8", "malformed IP options")                    \
	X(IPV4_NO_ROUTE, "ipv4", "RFC 1122 3.3.1", "no route to the destination on send")          \
	X(IPV4_FRAG_NEEDED, "ipv4", "RFC 791 3.1", "DF set but larger than the MTU on send")       \
	X(IPV4_FRAG_BAD, "ipv4", "RFC 791 3.2",                                                    \
	  "fragment with bad offset/length (beyond 65535, odd non-last size)")                     \
	X(IPV4_FRAG_OVERLAP, "ipv4", "RFC 5722 4",                                                 \
	  "fragment overlaps with different bytes (RFC 5722-style discard)")                       \
	X(IPV4_FRAG_DUP, "ipv4", "RFC 791 3.2", "duplicate fragment, already held")                \
	X(IPV4_FRAG_TIMEOUT, "ipv4", "RFC 791 3.2",                                                \
	  "reassembly timed out; held fragments discarded (RFC 791 §3.2)")                         \
	X(IPV4_FRAG_NOMEM, "ipv4", "RFC 1122 3.3.2", "reassembly memory limit reached")            \
	X(IPV4_FRAG_TOO_MANY, "ipv4", "RFC 1122 3.3.2",                                            \
	  "too many datagrams under reassembly at once")                                           \
	X(IPV4_TOO_BIG, "ipv4", "RFC 791 3.1",                                                     \
	  "datagram over 65535 octets on send (RFC 791 §3.1 Total Length)")                        \
	/* ICMP (RFC 792) */                                                                       \
	X(ICMP_TRUNCATED, "icmp", "RFC 792", "ICMP message shorter than its 8-byte header")        \
	X(ICMP_BAD_CSUM, "icmp", "RFC 792", "ICMP checksum does not verify")                       \
	X(ICMP_UNHANDLED_TYPE, "icmp", "RFC 1122 3.2.2",                                           \
	  "ICMP type we do not act on (counted, not answered)")                                    \
	X(ICMP_RATE_LIMITED, "icmp", "RFC 1812 4.3.2.8",                                           \
	  "ICMP error suppressed by the rate limit (RFC 1812 §4.3.2.8)")                           \
	X(ICMP_NO_ERROR_FOR_ERROR, "icmp", "RFC 1122 3.2.2",                                       \
	  "no ICMP error about an ICMP error or broadcast (RFC 1122 §3.2.2)")                      \
	X(ICMP_BCAST_ECHO, "icmp", "RFC 1122 3.2.2.6",                                             \
	  "echo request to a broadcast address ignored")                                           \
	X(ICMP_NO_ERROR_FOR_FRAGMENT, "icmp", "RFC 1122 3.2.2",                                    \
	  "no ICMP error about a non-initial fragment (RFC 1122 §3.2.2)")                          \
	X(ICMP_ERR_BCAST, "icmp", "RFC 1122 3.2.2",                                                \
	  "ICMP error to a broadcast address, ignored (Linux icmp_rcv)")                           \
	X(ICMP_ERR_BAD_QUOTE, "icmp", "RFC 792",                                                   \
	  "ICMP error quoting less than an IPv4 header and 64 bits (RFC 792)")                     \
	X(ICMP_ERR_NOT_OURS, "icmp", "RFC 5927 4",                                                 \
	  "ICMP error about a datagram whose source is not our address")                           \
	X(ICMP_ERR_NO_SOCKET, "icmp", "RFC 5927 4",                                                \
	  "ICMP error about a datagram no connection or socket of ours sent")                      \
	X(ICMP_ERR_OUT_OF_WINDOW, "icmp", "RFC 5927 4.1",                                          \
	  "ICMP error quoting a sequence number outside SND.UNA..SND.NXT (RFC 5927 §4.1)")         \
	X(ICMP_ERR_IGNORED, "icmp", "RFC 1122 3.2.2",                                              \
	  "ICMP error its socket does not take (TIME-WAIT, soft error to UDP, udp_err)")           \
	X(ICMP_SOURCE_QUENCH, "icmp", "RFC 6633 3", "source quench, ignored (RFC 6633)")           \
	X(ICMP_PMTU_NOT_LOWER, "icmp", "RFC 1191 6.3",                                             \
	  "fragmentation needed that lowers no path MTU (RFC 1191 §6.3)")                          \
	/* UDP (RFC 768) */                                                                        \
	X(UDP_TRUNCATED, "udp", "RFC 768", "shorter than the 8-byte header")                       \
	X(UDP_BAD_LEN, "udp", "RFC 768", "length field below 8 or beyond the IP payload")          \
	X(UDP_BAD_CSUM, "udp", "RFC 1122 4.1.3.4", "checksum does not verify")                     \
	X(UDP_NO_PORT, "udp", "RFC 1122 4.1.3.1",                                                  \
	  "no socket on the port (answered: port unreachable)")                                    \
	X(UDP_RCVBUF_FULL, "udp", "RFC 4113", "socket receive queue full")                         \
	X(UDP_CLOSED_UNREAD, "udp", "RFC 768",                                                     \
	  "datagram still queued, unread, when its socket closed")                                 \
	/* TCP (RFC 9293) */                                                                       \
	X(TCP_TRUNCATED, "tcp", "RFC 9293 3.1", "shorter than 20 bytes or than its data offset")   \
	X(TCP_BAD_OFF, "tcp", "RFC 9293 3.1", "data offset below 5 or beyond the segment")         \
	X(TCP_BAD_CSUM, "tcp", "RFC 9293 3.1", "checksum does not verify")                         \
	X(TCP_BAD_OPTIONS, "tcp", "RFC 9293 3.2",                                                  \
	  "malformed option (length < 2 or past the header)")                                      \
	X(TCP_BAD_FLAGS, "tcp", "RFC 9293 3.10.7",                                                 \
	  "flag combination that no state accepts (SYN+RST, SYN+FIN, none)")                       \
	X(TCP_NO_SOCKET, "tcp", "RFC 9293 3.10.7.1",                                               \
	  "no connection or listener (answered: RST, RFC 9293 §3.10.7.1)")                         \
	X(TCP_LISTEN_RST, "tcp", "RFC 9293 3.10.7.2", "RST to a listener (RFC 9293 §3.10.7.2)")    \
	X(TCP_LISTEN_ACK, "tcp", "RFC 9293 3.10.7.2",                                              \
	  "ACK to a listener (answered: RST, RFC 9293 §3.10.7.2)")                                 \
	X(TCP_LISTEN_NO_SYN, "tcp", "RFC 9293 3.10.7.2", "segment without SYN to a listener")      \
	X(TCP_LISTEN_OVERFLOW, "tcp", "RFC 4987 3", "SYN queue or accept backlog full")            \
	X(TCP_SYNSENT_BAD_ACK, "tcp", "RFC 9293 3.10.7.3",                                         \
	  "unacceptable ACK in SYN-SENT (answered: RST, §3.10.7.3)")                               \
	X(TCP_SYNSENT_NO_SYN, "tcp", "RFC 9293 3.10.7.3", "neither SYN nor RST in SYN-SENT")       \
	X(TCP_OUT_OF_WINDOW, "tcp", "RFC 9293 3.10.7.4",                                           \
	  "segment not acceptable (answered: ACK, RFC 9293 §3.10.7.4)")                            \
	X(TCP_RST_OUT_OF_WINDOW, "tcp", "RFC 5961 3.2", "RST outside the window (RFC 5961 §3.2)")  \
	X(TCP_RST_CHALLENGE, "tcp", "RFC 5961 3.2",                                                \
	  "in-window RST not at RCV.NXT (answered: challenge ACK, RFC 5961)")                      \
	X(TCP_SYN_CHALLENGE, "tcp", "RFC 5961 4.2",                                                \
	  "SYN in a synchronized state (answered: challenge ACK, RFC 5961 §4)")                    \
	X(TCP_ACK_CHALLENGE, "tcp", "RFC 5961 5.2",                                                \
	  "ACK outside the acceptable range (RFC 5961 §5)")                                        \
	X(TCP_NO_ACK, "tcp", "RFC 9293 3.10.7.4",                                                  \
	  "segment without ACK in a synchronized state (RFC 9293 §3.10.7.4)")                      \
	X(TCP_ACK_FUTURE, "tcp", "RFC 9293 3.10.7.4", "ACK for data not yet sent (answered: ACK)") \
	X(TCP_OFO_FULL, "tcp", "RFC 9293 3.10.7.4", "out-of-order queue full")                     \
	X(TCP_RCVBUF_FULL, "tcp", "RFC 9293 3.10.7.4", "data beyond the receive buffer")           \
	X(TCP_AFTER_CLOSE, "tcp", "RFC 2525 2.17",                                                 \
	  "data after the receiving side was shut (answered: RST)")                                \
	X(TCP_DUP, "tcp", "RFC 9293 3.10.7.4", "duplicate segment, nothing new in it")             \
	X(TCP_TIMEWAIT, "tcp", "RFC 9293 3.10.7.4",                                                \
	  "segment to a TIME-WAIT connection (answered as §3.10.7.4 says)")                        \
	X(TCP_PAWS, "tcp", "RFC 7323 5.3",                                                         \
	  "timestamp older than TS.Recent (answered: ACK, RFC 7323 §5.3)")                         \
	X(TCP_NOMEM, "tcp", "RFC 4987 3", "no memory for a new connection")                        \
	X(TCP_SYNRCVD_BAD_ACK, "tcp", "RFC 9293 3.10.7.4",                                         \
	  "unacceptable ACK in SYN-RECEIVED (answered: RST, §3.10.7.4)")                           \
	X(TCP_BCAST, "tcp", "RFC 1122 4.2.3.10",                                                   \
	  "segment sent to a link broadcast (RFC 1122 §4.2.3.10)")                                 \
	X(TCP_SYNCOOKIE_BAD, "tcp", "RFC 4987 3.6",                                                \
	  "ACK to a listener with a forged or stale SYN cookie (answered: RST)")                   \
	/* IPv6 (RFC 8200, RFC 4291, RFC 5095) */                                                  \
	X(IPV6_TRUNCATED, "ipv6", "RFC 8200", "shorter than the 40-byte IPv6 header")              \
	X(IPV6_BAD_VERSION, "ipv6", "RFC 8200 3", "version field is not 6 (RFC 8200 §3)")          \
	X(IPV6_BAD_LEN, "ipv6", "RFC 8200 3", "payload length beyond the frame (RFC 8200 §3)")     \
	X(IPV6_BAD_SRC, "ipv6", "RFC 4291 2.7", "source is a multicast address (RFC 4291 §2.7)")   \
	X(IPV6_NOT_FOR_US, "ipv6", "RFC 8200",                                                     \
	  "destination is none of our addresses or groups (we do not forward)")                    \
	X(IPV6_EXT_TRUNCATED, "ipv6", "RFC 8200 4",                                                \
	  "extension header runs past the payload (RFC 8200 §4)")                                  \
	X(IPV6_HBH_NOT_FIRST, "ipv6", "RFC 8200 4.1",                                              \
	  "hop-by-hop options not right after the header (RFC 8200 §4.1)")                         \
	X(IPV6_BAD_OPTION, "ipv6", "RFC 8200 4.2",                                                 \
	  "malformed option, or one whose type says discard (RFC 8200 §4.2)")                      \
	X(IPV6_RH0, "ipv6", "RFC 5095 3",                                                          \
	  "routing header type 0 or unknown, segments left (RFC 5095 §3, RFC 8200 §4.4)")          \
	X(IPV6_FRAG_BAD_LEN, "ipv6", "RFC 8200 4.5",                                               \
	  "fragment with M set: empty, or not a multiple of 8 (answered: parameter problem 0)")    \
	X(IPV6_FRAG_TOO_BIG, "ipv6", "RFC 8200 4.5",                                               \
	  "fragment would make a datagram over 65535 (answered: parameter problem 0)")             \
	X(IPV6_FRAG_INCOMPLETE_CHAIN, "ipv6", "RFC 7112 5",                                        \
	  "first fragment without the whole header chain (answered: parameter problem 3)")         \
	X(IPV6_FRAG_OVERLAP, "ipv6", "RFC 5722 4",                                                 \
	  "fragment overlaps another: whole datagram discarded")                                   \
	X(IPV6_FRAG_BAD_END, "ipv6", "RFC 8200 4.5",                                               \
	  "fragment past the last one's end, or two last ones disagree: datagram discarded")       \
	X(IPV6_FRAG_DISCARDED, "ipv6", "RFC 5722 4",                                               \
	  "fragment of a datagram already discarded (overlap), until its timeout")                 \
	X(IPV6_FRAG_DUP, "ipv6", "RFC 8200 4.5", "exact duplicate of a fragment already held")     \
	X(IPV6_FRAG_TIMEOUT, "ipv6", "RFC 8200 4.5",                                               \
	  "reassembly not done 60 s after the first fragment: datagram discarded")                 \
	X(IPV6_FRAG_EVICTED, "ipv6", "RFC 8200 4.5",                                               \
	  "datagram under reassembly evicted, oldest first: datagram or byte cap")                 \
	X(IPV6_FRAG_NOMEM, "ipv6", "RFC 8200 4.5",                                                 \
	  "reassembly byte cap reached with no older datagram left to evict")                      \
	X(IPV6_FRAG_NESTED, "ipv6", "RFC 8200 4.5",                                                \
	  "reassembled datagram holds another non-atomic fragment header")                         \
	X(IPV6_NO_NEXT_HEADER, "ipv6", "RFC 8200 4.7",                                             \
	  "next header 59: nothing follows (RFC 8200 §4.7)")                                       \
	X(IPV6_UNKNOWN_PROTO, "ipv6", "RFC 8200 4",                                                \
	  "next header with no handler (answered: parameter problem, §4)")                         \
	X(IPV6_NO_ROUTE, "ipv6", "RFC 8200",                                                       \
	  "destination neither link-local nor on our prefix (no router yet)")                      \
	X(IPV6_FRAG_REFUSED, "ipv6", "RFC 8201 4",                                                 \
	  "over the MTU on send, IPV6_MTU_DISCOVER DO, PROBE or INTERFACE: EMSGSIZE")              \
	X(IPV6_TOO_BIG, "ipv6", "RFC 8200",                                                        \
	  "datagram over 65535 octets with its fragment header on send")                           \
	/* ICMPv6 (RFC 4443) */                                                                    \
	X(ICMP6_TRUNCATED, "icmpv6", "RFC 4443", "ICMPv6 message shorter than its header")         \
	X(ICMP6_BAD_CSUM, "icmpv6", "RFC 4443 2.3",                                                \
	  "ICMPv6 checksum does not verify (RFC 4443 §2.3)")                                       \
	X(ICMP6_UNKNOWN_INFO, "icmpv6", "RFC 4443 2.4",                                            \
	  "unknown informational type, discarded (RFC 4443 §2.4 (b))")                             \
	X(ICMP6_ERR_MCAST, "icmpv6", "RFC 4443 2.4",                                               \
	  "ICMPv6 error to a multicast address: errors go to a unicast source (§2.2, §2.4 (e))")   \
	X(ICMP6_ERR_BAD_QUOTE, "icmpv6", "RFC 4443 2.4",                                           \
	  "ICMPv6 error quoting less than an IPv6 header, its extension headers and 8 octets "     \
	  "of the upper layer (RFC 4443 §2.4 (c))")                                                \
	X(ICMP6_ERR_NOT_OURS, "icmpv6", "RFC 5927 4",                                              \
	  "ICMPv6 error about a datagram whose source is not our address")                         \
	X(ICMP6_ERR_FRAGMENT, "icmpv6", "RFC 8200 4.5",                                            \
	  "ICMPv6 error quoting a non-first fragment: no upper-layer header to match")             \
	X(ICMP6_ERR_UNKNOWN_CODE, "icmpv6", "RFC 4443 3.1",                                        \
	  "destination unreachable with a code beyond RFC 4443's 0..6")                            \
	X(ICMP6_ECHO_REPLY_UNHANDLED, "icmpv6", "RFC 4443",                                        \
	  "echo reply with no pinger waiting for it")                                              \
	X(ICMP6_RATE_LIMITED, "icmpv6", "RFC 4443 2.4",                                            \
	  "ICMPv6 error suppressed by the rate limit (RFC 4443 §2.4 (f))")                         \
	X(ICMP6_NO_ERROR_FOR, "icmpv6", "RFC 4443 2.4",                                            \
	  "no ICMPv6 error about an error or to a multicast (§2.4 (e))")                           \
	X(ICMP6_MLD_IGNORED, "icmpv6", "RFC 3810",                                                 \
	  "MLD query or report: we answer no queries yet (RFC 3810)")                              \
	X(ICMP6_ROUTER_IGNORED, "icmpv6", "RFC 4861 6.2.6",                                        \
	  "router solicitation (for routers only, §6.2.6) or redirect (not followed)")             \
	/* NDP (RFC 4861) */                                                                       \
	X(ND6_BAD_HOP_LIMIT, "ndp", "RFC 4861 7.1.1",                                              \
	  "ND message with hop limit below 255 (RFC 4861 §7.1.1, §7.1.2)")                         \
	X(ND6_BAD_CODE, "ndp", "RFC 4861 7.1.1",                                                   \
	  "ND message with ICMP code not 0 (§7.1.1, §7.1.2)")                                      \
	X(ND6_TRUNCATED, "ndp", "RFC 4861 7.1.1",                                                  \
	  "NS or NA shorter than 24 octets (§7.1.1, §7.1.2)")                                      \
	X(ND6_BAD_OPTION, "ndp", "RFC 4861 7.1.1",                                                 \
	  "ND option of length 0 or past the message (§7.1.1, §7.1.2, §6.1.2)")                    \
	X(RD6_RA_NOT_LINK_LOCAL, "ndp", "RFC 4861 6.1.2",                                          \
	  "router advertisement from a source that is not link-local (§6.1.2)")                    \
	X(ND6_MCAST_TARGET, "ndp", "RFC 4861 7.1.1",                                               \
	  "NS or NA whose target is a multicast address (§7.1.1, §7.1.2)")                         \
	X(ND6_BAD_DAD, "ndp", "RFC 4861 7.1.1",                                                    \
	  "NS from :: not to a solicited-node group or with an SLLA (§7.1.1)")                     \
	X(ND6_SOLICITED_MCAST, "ndp", "RFC 4861 7.1.2",                                            \
	  "NA to a multicast address with the S flag (§7.1.2)")                                    \
	X(ND6_NOT_OUR_TARGET, "ndp", "RFC 4861 7.2.3",                                             \
	  "NS for an address that is not ours (§7.2.3)")                                           \
	X(ND6_NA_NO_ENTRY, "ndp", "RFC 4861 7.2.5",                                                \
	  "NA for a neighbour we hold no entry for (§7.2.5)")                                      \
	X(ND6_NA_NO_LLADDR, "ndp", "RFC 4861",                                                     \
	  "NA to an INCOMPLETE entry without a target link-layer address")                         \
	X(ND6_QUEUE_FULL, "ndp", "RFC 4861",                                                       \
	  "oldest packet waiting for this neighbour dropped: count bound")                         \
	X(ND6_PENDING_FULL, "ndp", "RFC 4861",                                                     \
	  "packets waiting for resolution hit the total byte bound")                               \
	X(ND6_EVICTED, "ndp", "RFC 4861",                                                          \
	  "packet waiting on a neighbour entry evicted under pressure")                            \
	X(ND6_UNRESOLVED, "ndp", "RFC 4861 7.3.3",                                                 \
	  "neighbour did not answer after MAX_MULTICAST_SOLICIT NS (§7.3.3)")                      \
	X(ND6_CACHE_FULL, "ndp", "RFC 4861",                                                       \
	  "v6 neighbour cache full of static entries: no entry for a new one")                     \
	X(ND6_DUP_ADDR, "ndp", "RFC 4862 5.4.4",                                                   \
	  "NA for one of our own addresses: another node claims it (RFC 4862)")                    \
	X(ND6_TENTATIVE, "ndp", "RFC 4862 5.4.3",                                                  \
	  "NS for an address still under DAD, from a unicast source (RFC 4862 §5.4.3)")            \
	/* keep last */

enum ts_drop_reason {
	DROP_NONE = 0, /* not a drop: the buffer was consumed */
#define TS_DROP_ENUM(name, layer, ref, doc) DROP_##name,
	TS_DROP_REASONS(TS_DROP_ENUM)
#undef TS_DROP_ENUM
	    DROP_MAX
};

/* The reason's name as printed, e.g. "IPV4_BAD_CSUM". */
const char *ts_drop_name(enum ts_drop_reason r);
/* The reason's one-line description. */
const char *ts_drop_doc(enum ts_drop_reason r);
/* The layer that drops, e.g. "tcp" ("" for DROP_NONE). */
const char *ts_drop_layer(enum ts_drop_reason r);
/* The standard's section behind the drop, e.g. "RFC 9293 3.10.7.4" ("" for DROP_NONE). */
const char *ts_drop_ref(enum ts_drop_reason r);

#endif
