#!/bin/sh
# t_tcpalgo.sh - issue 12 on the wire, with the kernel's TCP as the peer,
# judged by Wireshark's own TCP analysis (tshark's tcp.analysis.* flags):
# Linux sends and tapstack receives, tapstack sends and Linux receives, on
# a clean link (no retransmission at all) and under loss (no retransmission
# Wireshark calls spurious); plus tapstack's ACK policy as a capture shows
# it (quick ACKs at the start, then about one ACK per two segments) and the
# --cc choice in SIGUSR1's ss -ti lines.
. "$(dirname "$0")/lib.sh"

# analysis FILTER: frames of the capture matching a tshark display filter.
analysis() {
	tshark -r "$WORK/tapstack.pcap" -Y "$1" 2>/dev/null | wc -l
}

# Linux sends 4 MB to the discard service (port 9), tapstack receives.
test_linux_sends_clean_link() {
	ts_need_no_stack
	ts_start
	head -c 4000000 /dev/zero >"$WORK/zero"
	ns_exec timeout 60 nc -N 10.0.0.2 9 <"$WORK/zero" >/dev/null
	eq "nc to discard exits 0" 0 $?
	ts_stop
	# With offloads (--offload auto) the kernel hands the stack GSO frames
	# of up to 64 KiB: count the data in full-sized segments (the MSS of
	# the connection, 1448 with timestamps), as they cross a wire.
	bytes=$(tshark -r "$WORK/tapstack.pcap" -Y 'ip.src==10.0.0.1 && tcp.dstport==9 && tcp.len>0' \
		-T fields -e tcp.len 2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
	mss=$(tshark -r "$WORK/tapstack.pcap" -Y 'ip.src==10.0.0.2 && tcp.srcport==9 && tcp.flags.syn==1' \
		-T fields -e tcp.options.mss_val 2>/dev/null | head -n 1)
	[ -n "$mss" ] && [ "$(analysis 'ip.src==10.0.0.1 && tcp.dstport==9 && tcp.options.timestamp.tsval')" -gt 0 ] &&
		mss=$((mss - 12))
	data=$(((bytes + ${mss:-1448} - 1) / ${mss:-1448}))
	acks=$(analysis 'ip.src==10.0.0.2 && tcp.srcport==9 && tcp.len==0 && tcp.flags.ack==1')
	eq "Linux sent the data once (bytes)" 4000000 "$bytes"
	eq "clean link: no retransmission" 0 "$(analysis 'tcp.analysis.retransmission')"
	eq "clean link: no spurious retransmission" 0 "$(analysis 'tcp.analysis.spurious_retransmission')"
	eq "clean link: no duplicate ACK from tapstack" 0 \
		"$(analysis 'ip.src==10.0.0.2 && tcp.analysis.duplicate_ack')"
	# Delayed ACKs: at most one ACK per full segment, and after the quick
	# ACKs of the start about one per two (RFC 1122 §4.2.3.2); Linux's
	# segments are larger than the MSS when it uses TSO on the veth side,
	# so only the bound is checked.
	check "tapstack ACKs at most once per segment ($acks ACKs, $data full-sized segments)" \
		test "$acks" -le "$data"
	first=$(tshark -r "$WORK/tapstack.pcap" -Y 'tcp.port==9 && (tcp.len>0 || ip.src==10.0.0.2)' \
		-T fields -e ip.src -e tcp.len 2>/dev/null | sed -n '2,9p' | tr '\t\n' ' ')
	check "quick ACKs: the first data segments are ACKed one by one ($first)" \
		sh -c "echo '$first' | grep -Eq '^10\.0\.0\.1 [0-9]+ 10\.0\.0\.2 0 10\.0\.0\.1 [0-9]+ 10\.0\.0\.2 0'"
}

# tapstack sends 4 MB (HTTP /bytes/N), Linux receives.
test_tapstack_sends_clean_link() {
	ts_need_no_stack
	ts_start
	ns_exec timeout 60 curl -s -o "$WORK/bytes" http://10.0.0.2:8080/bytes/4000000
	eq "curl exits 0" 0 $?
	eq "4000000 bytes received" 4000000 "$(stat -c %s "$WORK/bytes")"
	ts_stop
	eq "clean link: no retransmission from tapstack" 0 \
		"$(analysis 'ip.src==10.0.0.2 && tcp.analysis.retransmission')"
	eq "clean link: no spurious retransmission" 0 "$(analysis 'tcp.analysis.spurious_retransmission')"
	push=$(analysis 'ip.src==10.0.0.2 && tcp.srcport==8080 && tcp.flags.push==1')
	check "PSH on the response's segments that empty the buffer ($push)" test "$push" -ge 1
}

# Under 2% loss each way both directions finish, and Wireshark finds no
# retransmission it can prove spurious (tapstack's RACK waits for RACK.rtt
# plus the reordering window; the kernel's own sender is judged too).
test_lossy_link_no_spurious() {
	ts_need_no_stack
	ts_start --faults loss=2%,seed=12
	ns_exec timeout 120 curl -s -o "$WORK/bytes" http://10.0.0.2:8080/bytes/2000000
	eq "curl exits 0 under loss" 0 $?
	eq "2000000 bytes received under loss" 2000000 "$(stat -c %s "$WORK/bytes")"
	head -c 2000000 /dev/zero >"$WORK/zero"
	ns_exec timeout 120 nc -N 10.0.0.2 9 <"$WORK/zero" >/dev/null
	eq "nc to discard exits 0 under loss" 0 $?
	kill -USR1 "$TS_PID"
	sleep 0.3
	ts_stop
	rtx=$(analysis 'ip.src==10.0.0.2 && tcp.analysis.retransmission')
	check "tapstack retransmitted what was lost ($rtx)" test "$rtx" -gt 0
	eq "no spurious retransmission from tapstack" 0 \
		"$(analysis 'ip.src==10.0.0.2 && tcp.analysis.spurious_retransmission')"
	check "RACK marked the losses (counters at exit)" \
		grep -Eq '^ *[1-9][0-9]* segments marked lost by RACK' "$WORK/tapstack.err"
}

# --cc reno: the ss -ti line of SIGUSR1 names it.
test_cc_option() {
	ts_need_no_stack
	ts_start --cc reno
	ns_exec timeout 10 curl -s -o /dev/null -o /dev/null \
		http://10.0.0.2:8080/hello http://10.0.0.2:8080/hello
	ns_exec sh -c 'sleep 2 | timeout 5 nc -N 10.0.0.2 9' &
	held=$!
	sleep 0.5
	kill -USR1 "$TS_PID"
	sleep 0.5
	wait "$held"
	ts_stop
	check "SIGUSR1: the connection runs reno" grep -q '^	 reno rto:' "$WORK/tapstack.err"
	ip netns exec "$NS" "$BIN" serve --cc vegas >/dev/null 2>"$WORK/cc.err"
	eq "--cc vegas: exit 2" 2 $?
	check "--cc vegas: names the choices" grep -q 'expected one of: cubic reno' "$WORK/cc.err"
}

run_tests
