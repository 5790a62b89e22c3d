#!/bin/sh
# t_icmp.sh - issue 9 item 8 end to end: ICMP errors from a real router (the
# kernel of the suite's namespace, forwarding) reach the stack's TCP.
#
#   stack 10.0.0.2 --tap0-- 10.0.0.1 [router: this namespace, ip_forward]
#                                     10.9.0.1 --veth-- 10.9.0.2 [far namespace]
#
# The router's route to 10.9.0.0/24 carries at most 1280 octets (a route
# MTU: the forwarding path honours it), the far host's own link 1500, so
# the far host announces MSS 1460 and only path MTU discovery (RFC 1191)
# finds the bottleneck.  10.8.0.0/24 is "prohibit" on the router: a SYN
# there draws ICMP communication administratively prohibited.
. "$(dirname "$0")/lib.sh"

FAR=""
far_cleanup() {
	[ -n "$FAR" ] && ip netns del "$FAR" 2>/dev/null
	FAR=""
}

# The router and the far namespace, once.
need_router() {
	ts_ns
	[ -n "$FAR" ] && return 0
	FAR="tsfar-$$"
	ip netns add "$FAR" || ts_skip "cannot create a second namespace"
	ip -n "$FAR" link set lo up
	ip -n "$NS" link add rtr0 type veth peer name far0 || ts_skip "no veth in this kernel"
	ip -n "$NS" link set far0 netns "$FAR" || ts_skip "cannot move a veth end"
	ns_exec ip addr add 10.9.0.1/24 dev rtr0
	ns_exec ip link set rtr0 up
	ip -n "$FAR" addr add 10.9.0.2/24 dev far0
	ip -n "$FAR" link set far0 up
	ip -n "$FAR" route add default via 10.9.0.1
	ns_exec sysctl -qw net.ipv4.ip_forward=1
	ns_exec ip route change 10.9.0.0/24 dev rtr0 proto kernel scope link src 10.9.0.1 mtu 1280
	ns_exec ip route add prohibit 10.8.0.0/24
}

# 8 MB from the stack to the far host through the 1280-octet route: the
# stack's 1500-octet segments (DF) draw fragmentation needed from the
# router, the stack lowers its MSS and resends; before, the transfer
# stalled in the black hole until curl gave up.
test_pmtu_through_router() {
	need_router
	ts_need --gw 10.0.0.1
	start=$(date +%s)
	got=$(ip netns exec "$FAR" curl -s -m 60 -o /dev/null -w '%{size_download}' \
		http://10.0.0.2:8080/bytes/8000000)
	secs=$(($(date +%s) - start))
	eq "8 MB through the 1280-octet route (${secs}s)" 8000000 "${got:-0}"
	ts_stop
	frag=$(tshark -r "$WORK/tapstack.pcap" -Y 'icmp.type == 3 && icmp.code == 4 && ip.src == 10.0.0.1' \
		2>/dev/null | wc -l)
	check "the router sent fragmentation needed ($frag)" test "$frag" -ge 1
	mtu=$(tshark -r "$WORK/tapstack.pcap" -Y 'icmp.type == 3 && icmp.code == 4' -T fields \
		-e icmp.mtu 2>/dev/null | head -n 1)
	eq "next-hop MTU given" 1280 "$mtu"
	# Wire-sized frames only: with offloads (--offload auto) the capture
	# holds the stack's TSO frames of up to 64 KiB, which the kernel cuts
	# at the segment size the stack chose (after the error, the path's);
	# a TSO frame cut too large would never arrive, and the transfer above
	# would stall.
	big=$(tshark -r "$WORK/tapstack.pcap" \
		-Y 'ip.src == 10.0.0.2 && ip.dst == 10.9.0.2 && ip.len > 1280 && ip.len <= 1500' \
		2>/dev/null | wc -l)
	check "at most a window of segments above 1280 octets before the error ($big)" test "$big" -le 64
	df=$(tshark -r "$WORK/tapstack.pcap" -Y '!icmp && ip.src == 10.0.0.2 && tcp && ip.flags.df == 0' \
		2>/dev/null | wc -l)
	eq "every TCP segment carries DF (IP_PMTUDISC_WANT)" 0 "$df"
	check "--stats: a path MTU estimate lowered" \
		grep -qE '^ +[1-9][0-9]* path MTU estimates lowered' "$WORK/tapstack.err"
}

# A connect to a prohibited network fails at once with EHOSTUNREACH
# (tcp_v4_err in SYN-SENT), not after two minutes of SYNs.
test_connect_prohibited_fails_fast() {
	need_router
	ts_need_no_stack
	start=$(date +%s%N)
	ns_exec timeout 60 "$BIN" get http://10.8.0.9:80/ --tap tap0 --host-ip 10.0.0.1/24 \
		--gw 10.0.0.1 --pcap "$WORK/get.pcap" >"$WORK/get.out" 2>"$WORK/get.err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	check "tapstack get exits 1 (exit $rc)" test "$rc" -eq 1
	check "connect: No route to host ($(grep -o 'connect.*' "$WORK/get.err" | head -n 1))" \
		grep -q 'No route to host' "$WORK/get.err"
	check "within 10 s, not the SYN retries' two minutes (${ms} ms)" test "$ms" -lt 10000
	syns=$(tshark -r "$WORK/get.pcap" -Y '!icmp && tcp.flags.syn == 1 && ip.dst == 10.8.0.9' \
		2>/dev/null | wc -l)
	eq "one SYN, no retry" 1 "$syns"
	prohib=$(tshark -r "$WORK/get.pcap" -Y 'icmp.type == 3 && icmp.code == 13 && ip.src == 10.0.0.1' \
		2>/dev/null | wc -l)
	eq "the router answered: communication administratively prohibited" 1 "$prohib"
}

trap 'rc_=$?; far_cleanup; (exit $rc_); suite_exit' EXIT
run_tests
