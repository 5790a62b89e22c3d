# lib.sh - sourced by every tests/tap/t_*.sh integration suite.
#
# Each suite gets its own network namespace (tools/netns.sh) holding tap0:
# the kernel side is 10.0.0.1/24, the stack 10.0.0.2/24.  Real clients
# (ping, curl, nc, tshark, wrk) run inside it against the stack.  Nothing
# touches the host namespace; the namespace is removed on exit.
#
#   ts_start [tapstack args]   start `tapstack serve` in the namespace, wait until it answers
#                              (with --pcap unless the first arg is --no-pcap)
#   ts_stop                    SIGTERM it, wait, check exit status 0
#   ok COND-CMD... / check "what" CMD...   assertions; counted, reported at exit
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tools/netns.sh"
BIN=${TAPSTACK_BIN:-$TOP/build/asan/tapstack}
WORK=$(mktemp -d /tmp/tstest.XXXXXX)
SUITE=$(basename "$0" .sh)
FAILS=0
CHECKS=0
TS_PID=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

suite_exit() {
	rc=$?
	[ -n "$TS_PID" ] && kill -TERM "$TS_PID" 2>/dev/null
	ns_cleanup
	if [ $FAILS -gt 0 ] || [ $rc -ne 0 ]; then
		echo "$SUITE: $FAILS of $CHECKS checks failed (exit $rc); work dir $WORK"
		[ -f "$WORK/tapstack.err" ] && tail -n 30 "$WORK/tapstack.err"
		exit 1
	fi
	echo "$SUITE: all $CHECKS checks passed"
	rm -rf "$WORK"
	exit 0
}
trap suite_exit EXIT
trap 'exit 1' INT TERM

# check "description" command...: passes when the command exits 0.
check() {
	what=$1
	shift
	CHECKS=$((CHECKS + 1))
	if "$@"; then
		echo "ok   $what"
	else
		FAILS=$((FAILS + 1))
		echo "FAIL $what"
	fi
}

# eq "description" expected actual
eq() {
	CHECKS=$((CHECKS + 1))
	if [ "$2" = "$3" ]; then
		echo "ok   $1"
	else
		FAILS=$((FAILS + 1))
		echo "FAIL $1: expected '$2', got '$3'"
	fi
}

ts_ns() {
	ns_create "ts-$SUITE-$$" || {
		echo "cannot create a network namespace"
		exit 1
	}
}

# Starts the stack; waits (bounded) until the kernel side answers ping.
ts_start() {
	[ -n "$NS" ] || ts_ns
	# Captures of bulk transfers are too large for tshark in a test: --no-pcap
	# (given first) runs with --stats instead.
	pcap_opt="--pcap=$WORK/tapstack.pcap"
	if [ "${1:-}" = --no-pcap ]; then
		pcap_opt="--stats"
		shift
	fi
	# Not through ns_exec: $! must be tapstack's own pid (ip netns exec
	# execs it), not a subshell's, so that signals reach the stack.
	ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
		"$pcap_opt" "$@" >"$WORK/tapstack.out" 2>"$WORK/tapstack.err" &
	TS_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$TS_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "tapstack did not come up:"
	cat "$WORK/tapstack.err"
	exit 1
}

# Stops the stack with SIGTERM; its exit status must be 0 (SPEC "Signals").
ts_stop() {
	[ -n "$TS_PID" ] || return 0
	kill -TERM "$TS_PID"
	wait "$TS_PID"
	rc=$?
	TS_PID=""
	eq "tapstack exits 0 on SIGTERM" 0 "$rc"
	check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$WORK/tapstack.err'"
}

# pcap_clean FILE: tshark finds no malformed frame and no bad checksum.
pcap_clean() {
	f=$1
	bad=$(tshark -r "$f" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -o icmp.check_checksum:TRUE \
		-Y '_ws.malformed || _ws.expert.severity >= error || ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad"' \
		2>/dev/null | wc -l)
	frames=$(tshark -r "$f" 2>/dev/null | wc -l)
	echo "pcap: $frames frames, $bad bad"
	[ "$frames" -gt 0 ] && [ "$bad" -eq 0 ]
}
