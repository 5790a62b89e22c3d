#!/bin/sh
# t_link.sh - issue 2 end to end: the kernel pings the stack over tap0 at
# several sizes (one fragmented), learns its MAC by ARP, the stack pings the
# kernel, the capture is clean in tshark, traces and counters appear, and bad
# command lines get exit 2.
. "$(dirname "$0")/lib.sh"

# An idle stack sleeps in the kernel (epoll on the TAP fd and a timerfd):
# over 2 s it may wake for the kernel's IPv6 chatter, but uses ~no CPU.
test_idle_cpu() {
	ts_need --trace layers
	ticks() { awk '{print $14 + $15}' "/proc/$TS_PID/stat"; }
	t0=$(ticks)
	sleep 2
	idle=$(($(ticks) - t0))
	check "idle stack: $idle clock ticks of CPU in 2 s (< 5)" test "$idle" -lt 5
}

# The kernel pings the stack; the neighbour entry, the --trace layers lines,
# the SIGUSR1 counters and the capture (flushed by the stop) all come from
# these pings.
test_ping() {
	ts_need --trace layers
	for size in 0 1 56 1472; do
		ns_exec ping -c 20 -i 0.01 -W 2 -s $size 10.0.0.2 >"$WORK/ping.$size" 2>&1
		check "ping -s $size: 20 sent, 20 received" \
			grep -q '20 packets transmitted, 20 received, 0% packet loss' "$WORK/ping.$size"
	done
	ns_exec ping -c 5 -i 0.05 -W 2 -s 4000 10.0.0.2 >"$WORK/ping.4000" 2>&1
	check "ping -s 4000 (fragmented both ways): 0% loss" \
		grep -q '5 packets transmitted, 5 received, 0% packet loss' "$WORK/ping.4000"
	check "the reply to a 4000-byte ping is 4008 bytes" grep -q '^4008 bytes from 10.0.0.2' "$WORK/ping.4000"

	ns_exec ip neigh show 10.0.0.2 dev tap0 >"$WORK/neigh"
	check "ip neigh shows the stack's MAC ($(cat "$WORK/neigh"))" grep -q '02:00:00:00:00:02' "$WORK/neigh"

	check "--trace layers shows rx eth | ipv4 | icmp echo-request" \
		grep -qE '^rx eth [0-9a-f:]+>02:00:00:00:00:02 type=ipv4 \| ipv4 10\.0\.0\.1>10\.0\.0\.2 .*\| icmp echo-request' "$WORK/tapstack.err"
	check "--trace layers shows tx eth | ipv4 | icmp echo-reply" \
		grep -qE '^tx eth 02:00:00:00:00:02>.* \| ipv4 10\.0\.0\.2>10\.0\.0\.1 .*\| icmp echo-reply' "$WORK/tapstack.err"
	check "--trace layers shows ARP" grep -qE '\| arp (who-has|reply)' "$WORK/tapstack.err"

	# SIGUSR1: the counters at any time, the stack keeps running.
	kill -USR1 "$TS_PID"
	sleep 0.3
	check "SIGUSR1 prints counters" grep -q 'echo replies sent' "$WORK/tapstack.err"
	check "stack still alive after SIGUSR1" kill -0 "$TS_PID"
	replies=$(grep 'echo replies sent' "$WORK/tapstack.err" | tail -n 1 | awk '{print $1}')
	check "echo replies counted ($replies >= 85)" test "${replies:-0}" -ge 85

	ts_stop
	check "capture: no malformed frame, no bad checksum" pcap_clean "$WORK/tapstack.pcap"
	icmp_n=$(tshark -r "$WORK/tapstack.pcap" -Y 'icmp.type == 0' 2>/dev/null | wc -l)
	check "capture holds the echo replies ($icmp_n >= 85)" test "$icmp_n" -ge 85
	frag_n=$(tshark -r "$WORK/tapstack.pcap" -Y 'ip.flags.mf == 1 && ip.src == 10.0.0.2' 2>/dev/null | wc -l)
	check "capture holds fragments sent by the stack ($frag_n)" test "$frag_n" -ge 5
}

# The stack pings the kernel: active ARP and ICMP from userspace.
test_stack_pings_kernel() {
	ts_need_no_stack
	ns_exec "$BIN" ping 10.0.0.1 -c 3 -i 0.2 --tap tap0 --host-ip 10.0.0.1/24 >"$WORK/tsping" 2>&1
	cat "$WORK/tsping"
	check "tapstack ping 10.0.0.1: 3 received" \
		grep -q '3 packets transmitted, 3 received, 0% packet loss' "$WORK/tsping"
	check "tapstack ping prints ping(8)-style reply lines" \
		grep -qE '^64 bytes from 10\.0\.0\.1: icmp_seq=1 ttl=64 time=[0-9.]+ ms' "$WORK/tsping"
	ns_exec "$BIN" ping 10.0.0.1 -c 3 -i 0.2 -s 3000 --tap tap0 --host-ip 10.0.0.1/24 >"$WORK/tsping3k" 2>&1
	check "tapstack ping -s 3000 (fragmented): 3 received" grep -q '3 received' "$WORK/tsping3k"
}

# Bad command lines: one line naming the option, exit 2.
test_bad_command_lines() {
	"$BIN" --bogus >"$WORK/bad.out" 2>&1
	eq "unknown option exits 2" 2 $?
	check "the message names the option" grep -q "unknown option '--bogus'" "$WORK/bad.out"
	eq "the message is one line" 1 "$(wc -l <"$WORK/bad.out")"
	"$BIN" --ip 10.0.0.300/24 >"$WORK/bad.out" 2>&1
	eq "bad --ip exits 2" 2 $?
	check "bad --ip is named" grep -q "bad --ip '10.0.0.300/24'" "$WORK/bad.out"
	"$BIN" --faults loss=200% >"$WORK/bad.out" 2>&1
	eq "bad --faults exits 2" 2 $?
}

# --io: the choice printed at start, a bad mode named, and where the kernel
# refuses io_uring (kernel.io_uring_disabled=2, set for this test only:
# the sysctl is the machine's, so it is put back at once) auto falls back
# to plain and still serves, while an explicit uring fails saying why.
test_io_modes() {
	"$BIN" serve --io bogus >"$WORK/bad.out" 2>&1
	eq "bad --io exits 2" 2 $?
	check "bad --io is named with the modes" \
		grep -q "bad --io 'bogus': expected auto, uring or plain" "$WORK/bad.out"
	for m in uring plain; do
		ts_need --io "$m"
		check "--io $m is printed at start" grep -q "^tapstack: io $m on tap0 (--io $m)" "$WORK/tapstack.err"
		ns_exec curl -s -m 5 http://10.0.0.2:8080/hello >"$WORK/io.out"
		check "--io $m serves /hello" grep -qx 'Hello, world!' "$WORK/io.out"
	done
	ts_need_no_stack
	f=/proc/sys/kernel/io_uring_disabled
	[ -w "$f" ] || { echo "skip: no $f on this kernel"; return 0; }
	old=$(cat "$f")
	echo 2 >"$f"
	ns_exec timeout 10 "$BIN" serve --tap tap0 --ip 10.0.0.2/24 --io uring >"$WORK/io.err" 2>&1
	rc=$?
	echo "$old" >"$f"
	eq "--io uring without io_uring exits 1" 1 "$rc"
	check "... saying io_uring is unavailable and what to use" \
		grep -q 'io_uring is unavailable here.*use --io plain' "$WORK/io.err"
	echo 2 >"$f"
	ts_start --io auto
	echo "$old" >"$f"
	check "--io auto without io_uring falls back to plain" \
		grep -q "^tapstack: io plain on tap0 (--io auto)" "$WORK/tapstack.err"
	ns_exec curl -s -m 5 http://10.0.0.2:8080/hello >"$WORK/io.out"
	check "... and serves /hello" grep -qx 'Hello, world!' "$WORK/io.out"
	ts_stop
}

# No permission for /dev/net/tun: one clear message, exit 1.
test_no_permission() {
	ts_need_no_stack
	if command -v setpriv >/dev/null; then
		ns_exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			"$BIN" --tap tsnoperm0 >"$WORK/perm.out" 2>&1
		eq "no CAP_NET_ADMIN exits 1" 1 $?
		check "the message says root or CAP_NET_ADMIN is needed" grep -qi 'CAP_NET_ADMIN' "$WORK/perm.out"
	fi
}

run_tests
