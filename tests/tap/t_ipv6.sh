#!/bin/sh
# t_ipv6.sh - issue 14 end to end: the kernel of the suite's namespace
# talks IPv6 to the stack over tap0 (neighbour discovery, echo, to the
# static address and to the link-local one), learns the stack's MAC by NDP
# (ip -6 neigh, ndisc6), fetches /hello and /bytes with curl -6, echoes
# over TCP and UDP with nc -6 while IPv4 clients use the same listeners
# (dual stack), meets ICMPv6 port unreachable on a closed port, and every
# frame it sends, its MLD reports and router solicitations included, ends
# delivered or dropped under a named reason; tshark finds the capture clean.
#
#   stack fd00::2/64, fe80::(EUI-64 of 02:00:00:00:00:02) --tap0-- fd00::1/64
. "$(dirname "$0")/lib.sh"

MAC=02:00:00:00:00:02
PATTERN=${PATTERN_BIN:-$(dirname "$BIN")/tests/pattern}
URL6='http://[fd00::2]:8080'
LL=fe80::ff:fe00:2 # RFC 4291 §2.5.1: 02:00:00 → 00:00:00 (U/L bit inverted), ff:fe, 00:00:02

# The stack, and fd00::1/64 on the kernel side (tools/netns.sh).
need_v6() {
	ts_need --mac $MAC
	ns_host_ip6
}

test_ping6_static_address() {
	need_v6
	out=$(ns_exec ping -6 -c 3 -i 0.2 -W 2 fd00::2 2>&1)
	check "ping -6 fd00::2: 3 replies ($(echo "$out" | grep -o '[0-9]* received'))" \
		sh -c "echo '$out' | grep -q ' 3 received'"
}

test_ping6_link_local() {
	need_v6
	out=$(ns_exec ping -6 -c 3 -i 0.2 -W 2 "$LL%tap0" 2>&1)
	check "ping -6 $LL%tap0: 3 replies ($(echo "$out" | grep -o '[0-9]* received'))" \
		sh -c "echo '$out' | grep -q ' 3 received'"
}

# The kernel learnt the stack's MAC by NDP (our NA to its NS).
test_kernel_neighbour_entry() {
	need_v6
	ns_exec ping -6 -c 1 -W 2 fd00::2 >/dev/null 2>&1
	line=$(ns_exec ip -6 neigh show dev tap0 fd00::2)
	echo "  ip -6 neigh: $line"
	check "kernel neighbour fd00::2 → $MAC" sh -c "echo '$line' | grep -q 'lladdr $MAC'"
	check "in a usable state (REACHABLE, STALE, DELAY or PROBE)" \
		sh -c "echo '$line' | grep -qE 'REACHABLE|STALE|DELAY|PROBE'"
}

# Bad echo requests (wrong checksum) are counted, not answered; the capture
# holds valid NS/NA/echo and no malformed frame.
test_capture_clean() {
	need_v6
	ns_exec ping -6 -c 2 -i 0.2 -W 2 fd00::2 >/dev/null 2>&1
	ts_stop
	na=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 136 && eth.src == $MAC" 2>/dev/null | wc -l)
	check "the stack sent neighbour advertisements ($na)" test "$na" -ge 1
	rep=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 129 && eth.src == $MAC" 2>/dev/null | wc -l)
	check "the stack sent echo replies ($rep)" test "$rep" -ge 2
	# (tshark verifies ICMPv6 checksums by default; an unknown -o
	# preference would make it print nothing, and this check pass.)
	bad=$(tshark -r "$WORK/tapstack.pcap" \
		-Y '_ws.malformed || icmpv6.checksum.status == "Bad"' 2>/dev/null | wc -l)
	eq "no malformed frame or bad ICMPv6 checksum" 0 "$bad"
	good=$(tshark -r "$WORK/tapstack.pcap" -Y 'icmpv6.checksum.status == "Good"' 2>/dev/null | wc -l)
	check "tshark verified ICMPv6 checksums ($good good)" test "$good" -ge 4
	check "--stats: IPv6 datagrams received" \
		sh -c "grep -A1 '^ip6:' '$WORK/tapstack.err' | grep -qE '^ +[1-9][0-9]* datagrams received'"
	# RFC 3810 §6.1: serve announces its solicited-node group, twice.
	mld=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 143 && eth.src == $MAC && \
		icmpv6.mldr.mar.multicast_address == ff02::1:ff00:2 && ipv6.hlim == 1" 2>/dev/null | wc -l)
	eq "MLDv2 reports for ff02::1:ff00:2 from the stack" 2 "$mld"
	# RFC 4862 §5.4.2: one probe from :: for each address before using it.
	dad=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 135 && eth.src == $MAC && \
		ipv6.src == :: && !icmpv6.opt" 2>/dev/null | wc -l)
	eq "DAD probes from the stack (link-local and fd00::2)" 2 "$dad"
}

# RFC 8200 §4.5 both ways: ping -s 3000 makes 3008-octet echo requests,
# which the kernel sends in fragments (MTU 1500); the stack reassembles
# them, and fragments its 3008-octet replies, which the kernel reassembles.
test_frag_ping_3000() {
	need_v6
	out=$(ns_exec ping -6 -c 3 -i 0.2 -W 2 -s 3000 fd00::2 2>&1)
	check "ping -6 -s 3000 fd00::2: 3 replies ($(echo "$out" | grep -o '[0-9]* received'))" \
		sh -c "echo '$out' | grep -q ' 3 received'"
}

# The capture of those pings: tshark reassembles the stack's fragments into
# echo replies of the full length, finds no malformed frame, no bad
# checksum, no overlap or reassembly error; every fragment but the last
# carries a multiple of 8 octets and fits in the link; --stats counts both
# directions.
test_frag_capture() {
	need_v6
	ns_exec ping -6 -c 3 -i 0.2 -W 2 -s 3000 fd00::2 >/dev/null 2>&1
	ts_stop
	pcap=$WORK/tapstack.pcap
	# (tshark verifies ICMPv6 checksums by default; this one knows no
	# icmpv6.checksum_bad preference, and an unknown -o makes it print
	# nothing.)
	rep=$(tshark -r "$pcap" -Y "icmpv6.type == 129 && eth.src == $MAC && \
		ipv6.reassembled.length == 3008 && icmpv6.checksum.status == \"Good\"" \
		2>/dev/null | wc -l)
	check "tshark reassembles 3 echo replies of 3008 octets from the stack ($rep)" \
		test "$rep" -ge 3
	frags=$(tshark -r "$pcap" -Y "ipv6.fraghdr && eth.src == $MAC" 2>/dev/null | wc -l)
	check "the stack sent them in fragments ($frags, 3 each)" test "$frags" -ge 9
	odd=$(tshark -r "$pcap" -Y "ipv6.fraghdr && eth.src == $MAC" -T fields \
		-e ipv6.fraghdr.more -e ipv6.plen -e frame.len 2>/dev/null |
		awk '$3 > 1514 || ($1 == 1 || $1 == "True") && ($2 - 8) % 8 != 0' | wc -l)
	eq "every non-last fragment: a multiple of 8 octets, within the MTU" 0 "$odd"
	bad=$(tshark -r "$pcap" -Y '_ws.malformed || \
		icmpv6.checksum.status == "Bad" || ipv6.fragment.overlap || ipv6.fragment.error || \
		ipv6.fragment.multipletails || ipv6.fragment.toolongfragment' 2>/dev/null | wc -l)
	eq "no malformed frame, bad checksum or fragment error" 0 "$bad"
	ip6=$(sed -n '/^ip6:/,/^[a-z]/p' "$WORK/tapstack.err")
	check "--stats ip6: 3 datagrams reassembled at least" \
		sh -c "echo '$ip6' | grep -qE '^ +([3-9]|[1-9][0-9]+) datagrams reassembled'"
	check "--stats ip6: 9 fragments created at least" \
		sh -c "echo '$ip6' | grep -qE '^ +([9]|[1-9][0-9]+) fragments created'"
}
# /hello over IPv6 and over IPv4 from the one dual-stack listener.
test_curl6_hello() {
	need_v6
	body=$(ns_exec curl -6 -g -sS -m 10 "$URL6/hello" 2>&1)
	eq "curl -6 [fd00::2]:8080/hello" "Hello, world!" "$body"
	body=$(ns_exec curl -sS -m 10 http://10.0.0.2:8080/hello 2>&1)
	eq "curl 10.0.0.2:8080/hello, same listener" "Hello, world!" "$body"
	hdr=$(ns_exec curl -6 -g -sS -m 10 -D - -o /dev/null "$URL6/hello" 2>&1 | tr -d '\r')
	check "HTTP/1.1 200 with Content-Length: 14" \
		sh -c "echo '$hdr' | grep -q '^HTTP/1.1 200 OK' && echo '$hdr' | grep -q '^Content-Length: 14\$'"
}

# The start line names both URLs of the dual-stack listener; each answers.
test_start_line_urls() {
	need_v6
	line=$(grep -m1 '^tapstack: serving on' "$WORK/tapstack.err")
	echo "  $line"
	urls=$(echo "$line" | grep -oE 'http://[^ ,]+/hello')
	eq "two /hello URLs on the start line" 2 "$(echo "$urls" | wc -l)"
	check "one of them IPv6 ($URL6/hello)" sh -c "echo '$urls' | grep -qxF '$URL6/hello'"
	for u in $urls; do
		body=$(ns_exec curl -g -sS -m 10 "$u" 2>&1)
		eq "curl $u" "Hello, world!" "$body"
	done
}

# /bytes/N over IPv6, byte-exact (segments of MSS 1440: RFC 8200 §8.3).
test_curl6_bytes() {
	need_v6
	for n in 1 1440 1441 2000000; do
		want=$("$PATTERN" $n | sha256sum | cut -d' ' -f1)
		got=$(ns_exec curl -6 -g -sS -m 30 "$URL6/bytes/$n" | sha256sum | cut -d' ' -f1)
		eq "/bytes/$n over IPv6 sha256" "$want" "$got"
	done
}

# The echo (TCP 7) and UDP echo (UDP 7) services over IPv6.
test_nc6_echo() {
	need_v6
	got=$(printf 'hello over six\n' | ns_exec timeout 10 nc -6 -N -w 3 fd00::2 7 2>&1)
	eq "nc -6 fd00::2 7 (TCP echo)" "hello over six" "$got"
	got=$(printf 'datagram six' | ns_exec timeout 10 nc -6 -u -w 1 fd00::2 7 2>&1)
	eq "nc -6 -u fd00::2 7 (UDP echo)" "datagram six" "$got"
	got=$(printf 'datagram four' | ns_exec timeout 10 nc -u -w 1 10.0.0.2 7 2>&1)
	eq "nc -u 10.0.0.2 7, the same socket (v4-mapped)" "datagram four" "$got"
}

# RFC 4443 §3.1: a UDP datagram to a closed port gets destination
# unreachable code 4 (port unreachable), which the kernel turns into
# ECONNREFUSED for nc's connected socket.
test_udp6_closed_port() {
	need_v6
	printf 'x' | ns_exec timeout 5 nc -6 -u -w 1 fd00::2 9 >/dev/null 2>&1 # discard is TCP only
	ts_stop
	n=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 1 && icmpv6.code == 4 && \
		eth.src == $MAC && udp.dstport == 9" 2>/dev/null | wc -l)
	check "ICMPv6 port unreachable for UDP port 9 ($n)" test "$n" -ge 1
}

# ndisc6 (RFC 4861 §4.3): a neighbour solicitation of its own, answered.
test_ndisc6() {
	need_v6
	command -v ndisc6 >/dev/null || {
		check "ndisc6 installed (tools/deps.sh)" false
		return
	}
	out=$(ns_exec ndisc6 -1 -r 3 -w 1000 fd00::2 tap0 2>&1)
	echo "$out" | sed 's/^/  /'
	check "ndisc6 fd00::2: target link-layer address $MAC" \
		sh -c "echo '$out' | grep -qi 'Target link-layer address: *$MAC'"
}

# The TCP, UDP and ICMPv6 frames of the tests above, as tshark sees them.
test_capture6_clean() {
	need_v6
	ns_exec curl -6 -g -sS -m 10 -o /dev/null "$URL6/hello"
	printf 'x' | ns_exec timeout 5 nc -6 -u -w 1 fd00::2 7 >/dev/null 2>&1
	ts_stop
	tcp=$(tshark -r "$WORK/tapstack.pcap" -Y "ipv6 && tcp && eth.src == $MAC" 2>/dev/null | wc -l)
	check "the stack sent TCP over IPv6 ($tcp segments)" test "$tcp" -ge 4
	udp=$(tshark -r "$WORK/tapstack.pcap" -Y "ipv6 && udp && eth.src == $MAC" 2>/dev/null | wc -l)
	check "the stack sent UDP over IPv6 ($udp datagrams)" test "$udp" -ge 1
	check "tshark: no malformed frame, no bad TCP/UDP checksum" pcap_clean "$WORK/tapstack.pcap"
	mss=$(tshark -r "$WORK/tapstack.pcap" -Y "ipv6 && tcp.flags.syn == 1 && tcp.flags.ack == 1" \
		-T fields -e tcp.options.mss_val 2>/dev/null | head -n 1)
	eq "SYN,ACK over IPv6 announces MSS 1440 (1500 - 40 - 20)" 1440 "$mss"
}

# RFC 4861 §6.3.7: serve solicits routers; §6.3.4: an advertisement from
# the kernel side's link-local address makes it the default router, so the
# stack answers a ping from an address off its link (2001:db8:1::1, on the
# kernel's lo) through it.  Before the advertisement it cannot: no route.
test_router_discovery() {
	need_v6
	ns_exec ip -6 addr replace 2001:db8:1::1/128 dev lo
	out=$(ns_exec ping -6 -c 1 -W 1 -I 2001:db8:1::1 fd00::2 2>&1)
	check "no answer off-link before a router is known" \
		sh -c "echo '$out' | grep -q ' 0 received'"
	ns_exec python3 "$TOP/tests/tools/inject.py" ra $MAC 1800
	out=$(ns_exec ping -6 -c 2 -i 0.2 -W 2 -I 2001:db8:1::1 fd00::2 2>&1)
	check "ping -6 from 2001:db8:1::1 answered through the router ($(echo "$out" | grep -o '[0-9]* received'))" \
		sh -c "echo '$out' | grep -q ' 2 received'"
	ns_exec python3 "$TOP/tests/tools/inject.py" ra $MAC 0
	tapmac=$(ns_exec cat /sys/class/net/tap0/address)
	sleep 0.2
	ts_stop
	rs=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 133 && eth.src == $MAC && \
		ipv6.dst == ff02::2 && ipv6.hlim == 255" 2>/dev/null | wc -l)
	check "the stack sent router solicitations ($rs)" test "$rs" -ge 1
	via=$(tshark -r "$WORK/tapstack.pcap" -Y "icmpv6.type == 129 && eth.src == $MAC && \
		ipv6.dst == 2001:db8:1::1" -T fields -e eth.dst 2>/dev/null | sort -u)
	eq "echo replies off-link went to the router's MAC" "$tapmac" "$via"
	check "--stats: a default router learnt" \
		sh -c "grep -qE '^ +1 default routers learnt' '$WORK/tapstack.err'"
	ns_exec ip -6 addr del 2001:db8:1::1/128 dev lo 2>/dev/null || true
}

# A --stats counter: the number on the line of layer $1 ending in $2.
stat_of() {
	awk -v sec="$1:" -v doc="$2" '/^[a-z0-9_]+:$/ { cur = $0; next }
		cur == sec && substr($0, index($0, " ") + 1) ~ doc { sub(/^ +/, ""); print $1; exit }' \
		"$WORK/tapstack.err"
}

# Until fd00::2 answers (its DAD over, RFC 4862 §5.4: about a second).
wait_v6() {
	_w=0
	while [ $_w -lt 30 ] && ! ns_exec ping -6 -c 1 -W 1 fd00::2 >/dev/null 2>&1; do
		sleep 0.2
		_w=$((_w + 1))
	done
}

# Bulk TCP over IPv6 both ways (issue #11's TUN_F_TSO6): 20 MB down by curl
# -6, byte-exact against the pattern tool, and 20 MB up to discard.  With
# the default offloads (tso) the stack sends TCPv6 super-segments and the
# kernel sends it TCPV6 GSO frames: far fewer IPv6 datagrams than TCP
# segments each way; with --offload none (TS_OFFLOAD) every datagram is one
# segment.
test_tso6_bulk() {
	n=20000000
	# Down: one stack for it alone, so its counters are the download's.
	ts_need --no-pcap --mac $MAC
	ns_host_ip6
	wait_v6
	want=$("$PATTERN" $n | sha256sum | cut -d' ' -f1)
	got=$(ns_exec curl -6 -g -sS -m 120 "http://[fd00::2]:8080/bytes/$n" | sha256sum | cut -d' ' -f1)
	eq "curl -6 -g /bytes/$n sha256" "$want" "$got"
	ts_stop
	grep -E '^tapstack: offload' "$WORK/tapstack.err"
	tx6=$(stat_of ip6 'datagrams sent$')
	txs=$(stat_of tcp 'segments sent$')
	echo "  download: ip6 $tx6 datagrams sent, tcp $txs segments sent"
	check "download: at least $((n / 1440)) segments sent ($txs)" test "$txs" -ge $((n / 1440))
	if grep -q '^tapstack: offload tso' "$WORK/tapstack.err"; then
		check "TSO6: super-segments sent ($tx6 datagrams for $txs segments)" \
			test $((tx6 * 2)) -lt "$txs"
	else
		check "a datagram per segment sent ($tx6 >= $txs)" test "$tx6" -ge "$txs"
	fi
	# Up: a fresh stack, 20 MB to discard (port 9).
	ts_start --no-pcap --mac $MAC
	ns_host_ip6
	wait_v6
	ns_exec sh -c "head -c $n /dev/zero | timeout 120 nc -6 -N fd00::2 9"
	eq "nc -6 -N upload of $n octets to discard exits 0" 0 $?
	ts_stop
	rx6=$(stat_of ip6 'datagrams received$')
	rxs=$(stat_of tcp 'segments received$')
	echo "  upload: ip6 $rx6 datagrams received, tcp $rxs segments received"
	if grep -q '^tapstack: offload tso' "$WORK/tapstack.err"; then
		check "TSO6: the kernel's GSO frames received whole ($rx6 datagrams < $((n / 1440 / 2)))" \
			test "$rx6" -lt $((n / 1440 / 2))
	else
		check "every MSS of the upload its own datagram ($rx6 >= $((n / 1440)))" \
			test "$rx6" -ge $((n / 1440))
	fi
}

run_tests
suite_exit
