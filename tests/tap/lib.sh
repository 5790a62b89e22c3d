# lib.sh - sourced by every tests/tap/t_*.sh integration suite.
#
# Each suite gets its own network namespace (tools/netns.sh) holding tap0:
# the kernel side is 10.0.0.1/24, the stack 10.0.0.2/24.  Real clients
# (ping, curl, nc, tshark, wrk) run inside it against the stack.  Nothing
# touches the host namespace; the namespace is created when a test first
# needs it and removed on exit.
#
# The runner.  A suite is a list of tests: shell functions named test_NAME,
# defined at the start of a line as `test_NAME() {`, and the script ends with
# `run_tests`, which runs them in the order they are declared, each after a
# header line "== test_NAME".  TEST=NAME (or TEST=test_NAME) in the
# environment runs only that test; when the suite has no such test it prints
# "skipped: no test named 'NAME' in SUITE" as its last line and exits 77
# (tools/check.sh counts that as "not selected", not as a failure).
# Tests run in one shell, one after the other: a test may leave the stack
# running for the next, but must not depend on another test having run.
# A test states the stack it needs:
#
#   ts_need [tapstack args]    the stack running with exactly these args: kept
#                              when it already runs with them, else stopped
#                              (ts_stop, with its checks) and started anew
#   ts_need_no_stack           the namespace, and no stack running (tap0 free,
#                              for a test that runs its own tapstack command)
#   ts_start [tapstack args]   start `tapstack serve` in the namespace, wait until it answers
#                              (with --pcap unless the first arg is --no-pcap; with
#                              --offload $TS_OFFLOAD when that is set, --io
#                              $TS_IO when that is set, with
#                              --model $TS_MODEL when that is set: events or tasks)
#   ts_stop                    SIGTERM it, wait, check exit status 0, no
#                              sanitizer report, and the accounting line of
#                              --stats (every frame received delivered,
#                              dropped under a named reason, or held); a
#                              test that relies on the
#                              stop (exit status, counters printed at exit, a
#                              flushed capture) calls it itself, and
#                              run_tests stops a stack left running at the end
#   ts_skip "reason"           the suite is skipped (exit 77, "skipped: reason")
#   check "what" CMD... / eq "what" expected actual
#                              assertions; counted, reported at exit with the
#                              names of the tests that failed
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tools/netns.sh"
BIN=${TAPSTACK_BIN:-$TOP/build/asan/tapstack}
WORK=$(mktemp -d /tmp/tstest.XXXXXX)
SUITE=$(basename "$0" .sh)${TS_MODEL:+-$TS_MODEL}
# The script itself, by an absolute path (run_tests reads its test list).
SCRIPT=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
FAILS=0
CHECKS=0
TS_PID=""
TS_ARGS=""
SKIP=""
FAILED_TESTS=""
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

suite_exit() {
	rc=$?
	[ -n "$TS_PID" ] && kill -TERM "$TS_PID" 2>/dev/null
	ns_cleanup
	if [ -n "$SKIP" ] && [ $FAILS -eq 0 ]; then
		rm -rf "$WORK"
		# The last line of the log: tools/check.sh shows it.
		echo "skipped: $SKIP"
		exit 77
	fi
	if [ $FAILS -gt 0 ] || [ $rc -ne 0 ]; then
		echo "$SUITE: $FAILS of $CHECKS checks failed (exit $rc); work dir $WORK"
		[ -n "$FAILED_TESTS" ] && echo "$SUITE: failed tests:$FAILED_TESTS"
		[ -f "$WORK/tapstack.err" ] && tail -n 30 "$WORK/tapstack.err"
		exit 1
	fi
	echo "$SUITE: all $CHECKS checks passed"
	rm -rf "$WORK"
	exit 0
}
trap suite_exit EXIT
trap 'exit 1' INT TERM

# ts_skip "reason": skip the whole suite (exit 77); the reason is the log's
# last line.
ts_skip() {
	SKIP=$1
	exit 77
}

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

# The suite's namespace, created once (on first need).
ts_ns() {
	[ -z "$NS" ] || return 0
	ns_create "ts-$SUITE-$$" || {
		echo "cannot create a network namespace"
		exit 1
	}
}

# Starts the stack; waits (bounded) until the kernel side answers ping.
ts_start() {
	ts_ns
	TS_ARGS=$*
	# Captures of bulk transfers are too large for tshark in a test: --no-pcap
	# (given first) runs with --stats instead.
	pcap_opt="--pcap=$WORK/tapstack.pcap"
	if [ "${1:-}" = --no-pcap ]; then
		pcap_opt="--stats"
		shift
	fi
	# Not through ns_exec: $! must be tapstack's own pid (ip netns exec
	# execs it), not a subshell's, so that signals reach the stack.
	# --stats always: ts_stop checks the accounting line it prints at exit.
	# TS_OFFLOAD=MODE and TS_IO=MODE (tools/check.sh's second TAP pass) add
	# --offload MODE and --io MODE; unset, the stack runs with its defaults
	# (auto).  TS_MODEL picks the
	# HTTP server's model for every stack the suite starts.
	set -- ${TS_MODEL:+--model "$TS_MODEL"} ${TS_OFFLOAD:+"--offload=$TS_OFFLOAD"} \
		${TS_IO:+"--io=$TS_IO"} "$@"
	ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
		"$pcap_opt" --stats "$@" >"$WORK/tapstack.out" 2>"$WORK/tapstack.err" &
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
	TS_ARGS=""
	eq "tapstack exits 0 on SIGTERM" 0 "$rc"
	check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$WORK/tapstack.err'"
	# stack.h "Accounting": every frame received was delivered, dropped under
	# a named reason, or is still held.
	_acct=$(grep '^accounting:' "$WORK/tapstack.err" | tail -n 1)
	check "frames accounted for (${_acct#accounting: })" \
		sh -c "echo '$_acct' | grep -qE '^accounting: [0-9]+ received = .* held\$'"
}

# ts_need [args]: the stack running with exactly these args (compared as
# one string, so no arg may hold a space).  Stopping one that runs with
# other args goes through ts_stop and its checks.
ts_need() {
	[ -n "$TS_PID" ] && [ "$TS_ARGS" = "$*" ] && return 0
	ts_stop
	ts_start "$@"
}

# ts_need_no_stack: the namespace, and no stack running.
ts_need_no_stack() {
	ts_stop
	ts_ns
}

# run_tests: runs the script's test_* functions in declaration order, or
# only the one TEST names.
# (Its variables start with _rt_: the tests share the shell's globals.)
run_tests() {
	_rt_all=$(sed -n 's/^\(test_[A-Za-z0-9_]*\) *() *{.*$/\1/p' "$SCRIPT" | tr '\n' ' ')
	_rt_run=$_rt_all
	if [ -n "${TEST:-}" ]; then
		_rt_run=test_${TEST#test_}
		case $_rt_run in
		*[!A-Za-z0-9_]*) ts_skip "no test named '$TEST' in $SUITE" ;;
		esac
		case " $_rt_all " in
		*" $_rt_run "*) ;;
		*) ts_skip "no test named '$TEST' in $SUITE" ;;
		esac
	fi
	[ -n "$_rt_run" ] || {
		echo "$SUITE: no test_* function found in $SCRIPT"
		exit 1
	}
	for _rt_t in $_rt_run; do
		echo "== $_rt_t"
		_rt_fails=$FAILS
		"$_rt_t"
		[ "$FAILS" -eq "$_rt_fails" ] || FAILED_TESTS="$FAILED_TESTS $_rt_t"
	done
	# A stack still running is stopped with the usual checks.
	if [ -n "$TS_PID" ]; then
		echo "== end of $SUITE: ts_stop"
		_rt_fails=$FAILS
		ts_stop
		[ "$FAILS" -eq "$_rt_fails" ] || FAILED_TESTS="$FAILED_TESTS (final-ts_stop)"
	fi
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
