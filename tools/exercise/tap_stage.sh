#!/bin/sh
# tap_stage.sh - stage 6 of an exercise: the learner's stack (`tapstack
# serve` linked with the learner's layer) on a real TAP in a private network
# namespace, against Linux and real clients; then tshark reads the capture
# and no frame the learner's stack sent may be malformed or carry a bad
# checksum.  Needs root; run.sh checks that first.
#
#   tools/exercise/tap_stage.sh TAPSTACK DIR "CLIENTS"
#
# CLIENTS: any of arping (Linux resolves the stack's MAC: ip neigh, and
# arping when installed), ping (also a 3000-byte, fragmented one), curl
# (/hello and 1 MB of /bytes), nc (TCP echo), udp (nc -u to the UDP echo
# service), nmap (SYN scan: open and closed ports).  The namespace is removed on exit.
# EX_CC in the environment: the stack's congestion control (serve --cc).
set -u
BIN=$1
DIR=$2
CLIENTS=$3
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tools/netns.sh"
W="$DIR/tap"
rm -rf "$W"
mkdir -p "$W"
FAILS=0
PID=""
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null
	ns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ -t 1 ]; then G=$(printf '\033[32m') R=$(printf '\033[31m') N=$(printf '\033[0m'); else G='' R='' N=''; fi
ok() { echo "  ${G}pass${N}  tap/$1"; }
bad() { # name what hint-id hint
	FAILS=$((FAILS + 1))
	echo "  ${R}FAIL${N}  tap/$1"
	echo "    what went wrong: $2"
	echo "    hint [$3]: $4"
	echo "    pcap:  $W/tapstack.pcap   (Wireshark display filter for your frames: eth.src == 02:00:00:00:00:02)"
}

ns_create "tsex-$$" || { echo "  ${R}FAIL${N}  tap: cannot create a network namespace"; exit 1; }
ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
	${EX_CC:+--cc "$EX_CC"} --pcap "$W/tapstack.pcap" --stats >"$W/tapstack.out" 2>"$W/tapstack.err" &
PID=$!
up=0
for _ in $(seq 100); do
	if ip netns exec "$NS" ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; then up=1; break; fi
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 0 ]; then
	bad start "your stack did not answer a ping within 10 s of starting" tap.start \
		"start it by hand to see why: sudo ip netns add t; sudo ip netns exec t $BIN serve --tap tap0 --host-ip 10.0.0.1/24 --trace layers"
	tail -n 20 "$W/tapstack.err" | sed 's/^/    | /'
	exit 1
fi
echo "  ${G}pass${N}  tap/start: your stack answers at 10.0.0.2 on tap0 (namespace $NS)"

for c in $CLIENTS; do
	case $c in
	arping)
		ip -n "$NS" neigh flush dev tap0
		ip netns exec "$NS" ping -c 1 -W 2 -q 10.0.0.2 >/dev/null 2>&1
		n=$(ip -n "$NS" neigh show 10.0.0.2 dev tap0)
		if echo "$n" | grep -q 'lladdr 02:00:00:00:00:02'; then
			ok "arp: Linux resolved 10.0.0.2 to 02:00:00:00:00:02 ($n)"
		else
			bad arp "Linux could not resolve 10.0.0.2 ($n)" arp.linux \
				"Linux's request is a broadcast with ar\$tpa 10.0.0.2: your reply must carry your MAC in ar\$sha and go back to the requester's MAC"
		fi
		if command -v arping >/dev/null 2>&1; then
			if ip netns exec "$NS" arping -c 2 -w 4 -I tap0 10.0.0.2 >"$W/arping.out" 2>&1; then
				ok "arping: $(grep -c -i 'reply\|bytes from' "$W/arping.out") replies"
			else
				bad arping "arping got no reply" arp.arping "see tap/arp above"
			fi
		fi
		;;
	ping)
		if ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 10.0.0.2 >"$W/ping.out" 2>&1; then
			ok "ping: $(grep -o '[0-9]* received' "$W/ping.out")"
		else
			bad ping "$(grep 'packets transmitted' "$W/ping.out")" tap.ping \
				"Linux's echo request must come back with the same identifier, sequence number and data, and correct checksums"
		fi
		if ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 -s 3000 10.0.0.2 >"$W/ping-frag.out" 2>&1; then
			ok "ping -s 3000: $(grep -o '[0-9]* received' "$W/ping-frag.out") (request and reply in fragments)"
		else
			bad ping-frag "$(grep 'packets transmitted' "$W/ping-frag.out")" tap.fragments \
				"a 3028-byte datagram crosses a 1500-byte link in three fragments each way: reassembly on the way in, fragmentation on the way out"
		fi
		;;
	curl)
		body=$(ip netns exec "$NS" curl -sS --max-time 10 http://10.0.0.2:8080/hello 2>"$W/curl.err")
		if [ "$body" = "Hello, world!" ]; then
			ok "curl /hello: Hello, world!"
		else
			bad curl "curl /hello gave '$body' $(cat "$W/curl.err")" tap.curl \
				"the HTTP server is the reference: if /hello fails, a layer below it dropped or mangled a segment; the pcap shows which"
		fi
		n=$(ip netns exec "$NS" curl -sS --max-time 30 http://10.0.0.2:8080/bytes/1000000 2>>"$W/curl.err" | wc -c)
		if [ "$n" -eq 1000000 ]; then
			ok "curl /bytes/1000000: 1000000 bytes"
		else
			bad curl-bytes "got $n of 1000000 bytes" tap.bulk \
				"a bulk transfer needs the whole window machinery: segmentation, ACK processing, retransmission"
		fi
		;;
	nc)
		out=$(printf 'hello tapstack\n' | ip netns exec "$NS" timeout 10 nc -N -w 5 10.0.0.2 7 2>"$W/nc.err")
		if [ "$out" = "hello tapstack" ]; then
			ok "nc to the echo service: the line came back"
		else
			bad nc "nc got '$out' $(cat "$W/nc.err")" tap.echo \
				"the echo service sends back what it reads; if nothing came back, the connection or its close went wrong"
		fi
		;;
	udp)
		out=$(printf 'hello udp\n' | ip netns exec "$NS" timeout 10 nc -u -w 2 10.0.0.2 7 2>"$W/nc-udp.err")
		if [ "$out" = "hello udp" ]; then
			ok "nc -u to the UDP echo service: the datagram came back"
		else
			bad udp "nc -u got '$out' $(cat "$W/nc-udp.err")" tap.udp \
				"the UDP echo service (port 7) sends each datagram back to its source: Linux's datagram must reach the socket, and the answer leave with the ports swapped and a correct checksum"
		fi
		;;
	nmap)
		if command -v nmap >/dev/null 2>&1; then
			ip netns exec "$NS" nmap -n -Pn -sS -p 7,8080,9,1,2 10.0.0.2 >"$W/nmap.out" 2>&1
			if grep -q '^7/tcp *open' "$W/nmap.out" && grep -q '^8080/tcp *open' "$W/nmap.out" &&
				grep -q '^1/tcp *closed' "$W/nmap.out"; then
				ok "nmap -sS: 7 and 8080 open, 1 closed (answered with RST)"
			else
				bad nmap "$(grep '/tcp' "$W/nmap.out" | tr '\n' ' ')" tap.scan \
					"an open port answers a SYN with SYN-ACK, a closed one with RST (RFC 9293 §3.10.7.1)"
			fi
		fi
		;;
	esac
done

kill -TERM "$PID"
wait "$PID"
rc=$?
PID=""
if [ $rc -ne 0 ] || grep -q 'Sanitizer' "$W/tapstack.err"; then
	bad exit "the stack exited $rc on SIGTERM" tap.exit "see $W/tapstack.err"
	grep -A 12 'ERROR: ' "$W/tapstack.err" | head -n 14 | sed 's/^/    | /'
fi
mine='eth.src == 02:00:00:00:00:02'
badf=$(tshark -r "$W/tapstack.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-o udp.check_checksum:TRUE -o icmp.check_checksum:TRUE \
	-Y "$mine && (_ws.malformed || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\")" \
	2>/dev/null)
frames=$(tshark -r "$W/tapstack.pcap" -Y "$mine" 2>/dev/null | wc -l)
if [ "$frames" -gt 0 ] && [ -z "$badf" ]; then
	ok "tshark: none of your $frames frames is malformed or has a bad checksum"
else
	bad tshark "tshark flags $(echo "$badf" | grep -c .) of your $frames frames" tap.malformed \
		"open the pcap with the filter below and expand the red fields"
	echo "$badf" | head -n 5 | sed 's/^/    | /'
fi
[ $FAILS -eq 0 ]
