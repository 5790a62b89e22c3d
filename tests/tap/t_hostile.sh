#!/bin/sh
# t_hostile.sh - issue 9 end to end: hostile traffic from inside the test
# namespace (bounded in count and time) while real clients keep working.
#   ARP flood from made-up senders while curl fetches /hello
#   a fragmented datagram sent to the link broadcast draws no ICMP error
#   a request body over the bound is cut off (curl with a huge Content-Length)
. "$(dirname "$0")/lib.sh"
HOSTILE=${HOSTILE_BIN:-$(dirname "$BIN")/tests/hostile}

ts_ns
ts_start

# ---- IPv4: broadcast fragments (RFC 1122 §3.2.2) ----
# UDP to a closed port, 3000 octets in three fragments: sent unicast to port
# 4444 it draws a port unreachable; sent to ff:ff:ff:ff:ff:ff (port 4445)
# it must not.  Judged on the stack's own capture after it stops.
ns_exec "$HOSTILE" tap0 bcastfrag 02:00:00:00:00:02 10.0.0.1 10.0.0.2 4444
ns_exec "$HOSTILE" tap0 bcastfrag ff:ff:ff:ff:ff:ff 10.0.0.1 10.0.0.2 4445
sleep 0.5

ts_stop
unreach() {
	tshark -r "$WORK/tapstack.pcap" -Y "icmp.type == 3 && icmp.code == 3 && udp.dstport == $1" \
		2>/dev/null | wc -l
}
n=$(unreach 4444)
eq "fragmented UDP to a closed port, unicast: one port unreachable" 1 "$n"
n=$(unreach 4445)
eq "fragmented UDP to a closed port, link broadcast: no ICMP error" 0 "$n"
