#!/bin/sh
# t_ipv6.sh - issue 14, first slice, end to end: the kernel of the suite's
# namespace talks IPv6 to the stack over tap0 (neighbour discovery, echo,
# to the static address and to the link-local one), learns the stack's MAC
# by NDP, and every frame it sends, its MLD reports and router solicitations
# included, ends delivered or dropped under a named reason.
#
#   stack fd00::2/64, fe80::(EUI-64 of 02:00:00:00:00:02) --tap0-- fd00::1/64
. "$(dirname "$0")/lib.sh"

MAC=02:00:00:00:00:02
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
	bad=$(tshark -r "$WORK/tapstack.pcap" -o icmpv6.checksum_bad:TRUE \
		-Y '_ws.malformed || icmpv6.checksum.status == "Bad"' 2>/dev/null | wc -l)
	eq "no malformed frame or bad ICMPv6 checksum" 0 "$bad"
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

run_tests
suite_exit
