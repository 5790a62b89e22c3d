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

# ---- HTTP: endless bodies (Go's maxPostHandlerReadBytes) ----
# A kernel TCP client sends GET /hello with an endless body, as fast as the
# server takes it, for 15 s at most: chunked, then with a Content-Length of
# 10^12.  The server answers 200 and ends the connection after at most
# 256 KiB of chunked body, and without reading the 10^12 one (after its
# 2 s lingering close), instead of reading for as long as the client
# sends; /hello keeps working meanwhile.
endless_upload() {
	ns_exec "$HOSTILE" - upload 10.0.0.2 8080 "$1" 15 >"$WORK/up.$1" 2>&1
	cat "$WORK/up.$1"
}
res=$(endless_upload chunked)
check "endless chunked body: $res" sh -c "echo '$res' | grep -qE '^status=200 .* closed=1 secs=[0-4]\.'"
res=$(endless_upload length)
check "Content-Length 10^12 body: $res" sh -c "echo '$res' | grep -qE '^status=200 .* closed=1 secs=[0-4]\.'"
check "/hello still served" sh -c "ip netns exec $NS curl -s -m 5 http://10.0.0.2:8080/hello | grep -q 'Hello, world!'"

# ---- IPv4: broadcast fragments (RFC 1122 §3.2.2) ----
# UDP to a closed port, 3000 octets in three fragments: sent unicast to port
# 4444 it draws a port unreachable; sent to ff:ff:ff:ff:ff:ff (port 4445)
# it must not.  Judged on the stack's own capture after it stops.
ns_exec "$HOSTILE" tap0 bcastfrag 02:00:00:00:00:02 10.0.0.1 10.0.0.2 4444
ns_exec "$HOSTILE" tap0 bcastfrag ff:ff:ff:ff:ff:ff 10.0.0.1 10.0.0.2 4445
sleep 0.5

# ---- IPv4: IP IDs (RFC 7739 §5) ----
# The idle scan: an observer pings us from 10.0.0.1 before and after 3000
# pings from 10.0.0.3 (a second address of the test namespace).  With one
# global counter the observer's IDs step by 3001; per-destination counters
# step by 1 plus a random jump below the milliseconds elapsed.
ns_exec ip addr add 10.0.0.3/24 dev tap0
ns_exec ping -c 1 -W 2 -I 10.0.0.1 10.0.0.2 >/dev/null 2>&1
ns_exec ping -f -q -c 3000 -W 2 -I 10.0.0.3 10.0.0.2 >"$WORK/ping.flood" 2>&1
ns_exec ping -c 1 -W 2 -I 10.0.0.1 10.0.0.2 >/dev/null 2>&1
check "3000 pings from 10.0.0.3 answered" grep -q '3000 received' "$WORK/ping.flood"
sleep 0.3

ts_stop
unreach() {
	tshark -r "$WORK/tapstack.pcap" -Y "icmp.type == 3 && icmp.code == 3 && udp.dstport == $1" \
		2>/dev/null | wc -l
}
n=$(unreach 4444)
eq "fragmented UDP to a closed port, unicast: one port unreachable" 1 "$n"
n=$(unreach 4445)
eq "fragmented UDP to a closed port, link broadcast: no ICMP error" 0 "$n"

# The last two echo replies to 10.0.0.1: ID step and milliseconds between.
tshark -r "$WORK/tapstack.pcap" -Y 'icmp.type == 0 && ip.dst == 10.0.0.1' \
	-T fields -e ip.id -e frame.time_relative 2>/dev/null | tail -n 2 >"$WORK/ids"
step=$(awk 'NR == 1 {id = $1; t = $2} NR == 2 {printf "%d", ($1 - id + 65536) % 65536}' "$WORK/ids")
ms=$(awk 'NR == 1 {t = $2} NR == 2 {printf "%d", ($2 - t) * 1000 + 1}' "$WORK/ids")
check "IP ID seen by 10.0.0.1 stepped by ${step:-?} across 3000 replies to 10.0.0.3 in ${ms:-?} ms" \
	test -n "$step" -a "${step:-0}" -lt 3001 -a "${step:-0}" -le "$((${ms:-0} + 1))"

# ---- ARP: cache floods (RFC 826, Linux neighbour GC) ----
# The stack on a /16, so made-up on-link senders outnumber its table (512).
# Ten rounds of 2000 requests for it from random MACs and addresses (half
# on-link), each followed by /hello fetched from a source address the
# stack has never seen: it must learn and resolve that neighbour while its
# table churns (a table that never evicts refuses it and curl times out).
ts_start --ip 10.0.0.2/16
fetched=0
for r in 1 2 3 4 5 6 7 8 9 10; do
	ns_exec timeout 20 "$HOSTILE" tap0 arpflood 2000 10.0.0.2 10.0.0.0/16 $r
	ns_exec ip addr add 10.0.9.$r/16 dev tap0
	if ns_exec curl -s -m 5 --interface 10.0.9.$r http://10.0.0.2:8080/hello >"$WORK/hello.$r" &&
		grep -q 'Hello, world!' "$WORK/hello.$r"; then
		fetched=$((fetched + 1))
	fi
done
eq "/hello from 10 new neighbours during a 20000-request ARP flood" 10 "$fetched"
kill -USR1 "$TS_PID"
sleep 0.3
evicted=$(grep 'cache entries evicted under' "$WORK/tapstack.err" | tail -n 1 | awk '{print $1}')
check "ARP entries evicted under the flood (${evicted:-0})" test "${evicted:-0}" -gt 1000
ts_stop
