#!/bin/sh
# t_flood.sh - issue 9: floods from the same link while an honest client
# keeps fetching /hello and an honest connection stays open.  Each flood is
# made by `tests/tools/hostile.c flood` (raw frames on the kernel side of tap0),
# bounded in count and time, inside the suite's namespace only.
#
# For each flood the suite prints one line of figures (frames sent, /hello
# fetched and failed, the honest connection's fate, the stack's peak RSS)
# and requires: no /hello failure, the honest connection alive, and a
# bounded memory growth.  docs/robustness.md quotes these lines.
. "$(dirname "$0")/lib.sh"
HOSTILE=${HOSTILE_BIN:-$(dirname "$BIN")/tests/hostile}
# Frames and time per flood: bounded, and enough to fill every queue the
# stack has (SYN queue 1024, ARP cache, reassembly) several times over.
COUNT=${FLOOD_COUNT:-20000}
RATE=${FLOOD_RATE:-5000}
SECS=${FLOOD_SECONDS:-6}
# Largest growth of the stack's peak RSS a flood may cause (KiB).
RSS_MAX_KIB=${FLOOD_RSS_MAX_KIB:-65536}

rss_kib() { awk '/^VmHWM/ {print $2}' "/proc/$TS_PID/status"; }

# An honest connection to the echo service, held open through the flood:
# fd 5 writes into it, $WORK/honest.out collects what comes back.
honest_open() {
	rm -f "$WORK/honest.in"
	mkfifo "$WORK/honest.in"
	ns_exec nc 10.0.0.2 7 <"$WORK/honest.in" >"$WORK/honest.out" 2>/dev/null &
	HONEST_PID=$!
	exec 5>"$WORK/honest.in"
	echo before >&5
	i=0
	while [ $i -lt 50 ] && ! grep -q before "$WORK/honest.out" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	# Its client port, for the blind RST/ACK floods aimed at it.
	HONEST_PORT=$(ns_exec ss -Htn state established dst 10.0.0.2:7 |
		awk '{split($3, a, ":"); print a[2]; exit}')
}

# Whether it still echoes after the flood.
honest_alive() {
	echo after >&5
	i=0
	while [ $i -lt 50 ] && ! grep -q after "$WORK/honest.out" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q after "$WORK/honest.out"
}

honest_close() {
	exec 5>&-
	kill "$HONEST_PID" 2>/dev/null
	wait "$HONEST_PID" 2>/dev/null
}

# The honest client: fetches /hello every 50 ms until $WORK/stop exists,
# one line per fetch in $WORK/fetch ("ok" or the curl exit status).
fetcher_start() {
	rm -f "$WORK/stop" "$WORK/fetch"
	ns_exec sh -c 'while [ ! -e "$1/stop" ]; do
		if [ "$(curl -s -m 2 http://10.0.0.2:8080/hello)" = "Hello, world!" ]; then
			echo ok
		else
			echo "fail $?"
		fi
		sleep 0.05
	done' fetcher "$WORK" >"$WORK/fetch" &
	FETCHER=$!
}

fetcher_stop() {
	touch "$WORK/stop"
	wait "$FETCHER"
}

# flood_case NAME MODE [ARGS]: one flood with every figure and check.
flood_case() {
	name=$1
	shift
	ts_need --no-pcap
	honest_open
	rss0=$(rss_kib)
	fetcher_start
	sleep 0.5
	case $1 in
	rst | ack) set -- "$@" "$HONEST_PORT" 7 ;;
	esac
	sent=$(ns_exec "$HOSTILE" tap0 flood "$@" --count "$COUNT" --rate "$RATE" --seconds "$SECS" --seed 9)
	sleep 1 # the last frames and the answers they draw
	fetcher_stop
	rss1=$(rss_kib)
	ok=$(grep -c '^ok' "$WORK/fetch")
	failed=$(grep -vc '^ok' "$WORK/fetch")
	if honest_alive; then alive=yes; else alive=no; fi
	honest_close
	echo "figures: flood=$name frames=$sent hello_ok=$ok hello_failed=$failed honest=$alive rss_kib=$rss0->$rss1"
	check "$name: the flood was sent ($sent frames)" test "${sent:-0}" -gt 0
	check "$name: /hello served during the flood ($ok fetched)" test "$ok" -gt 10
	eq "$name: no /hello failed" 0 "$failed"
	eq "$name: the honest connection survived" yes "$alive"
	check "$name: peak RSS grew by at most $RSS_MAX_KIB KiB ($rss0 -> $rss1)" \
		test $((rss1 - rss0)) -le "$RSS_MAX_KIB"
	kill -0 "$TS_PID" 2>/dev/null
	eq "$name: the stack is still running" 0 $?
	# Each flood meets a fresh stack, so the figures are its own.
	ts_stop
}

test_syn_flood() {
	flood_case "spoofed SYN" syn 8080
}

test_ping_flood() {
	flood_case "ping" ping
}

test_arp_flood() {
	flood_case "ARP from random MACs and addresses" arp
}

test_fragment_flood() {
	flood_case "never-completing fragments" frag
}

test_blind_rst_storm() {
	flood_case "blind RSTs into the honest connection" rst
}

test_blind_ack_storm() {
	flood_case "blind ACKs into the honest connection" ack
}

run_tests
