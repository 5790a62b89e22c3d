#!/bin/sh
# check.sh - `make check` and its parts: run suites, one summary.
#
#   tools/check.sh OUT [all|unit|twostack|valgrind|tap]
#
#   unit      Check unit tests (golden frames, views, state fixtures), and the
#             script suites tests/unit/t_*.sh (t_sim: `tapstack sim`;
#             t_exercises: the exercise checks checked; t_examples: the
#             library examples, the two-stack one run; t_install: make
#             install/uninstall into a temporary DESTDIR, programs built
#             with pkg-config, --help against the man page), no root.
#   twostack  Two-stack tests over the in-memory wire, no root, seeded faults.
#   valgrind  The unit suites once more, under valgrind memcheck (the
#             optimised build, no ASan: OUT's sibling build/tests/unit_tests),
#             any error fails them; part of "all", where it runs beside the
#             TAP suites (they mostly wait: timers, the kernel's sender) and
#             reports last (run_suite_bg: so does the exercises' self-check,
#             beside the unit and two-stack binaries).  make soak does the same for the two-stack
#             suites, too slow for make check.
#   tap       TAP integration suites (tests/tap/t_*.sh), each in its own
#             network namespace with real clients; they need root.  Without
#             root they are reported as skipped with the reason;
#             REQUIRE_TAP=1 (CI) turns a skip into a failure.  They run
#             with the stack's default offloads (--offload auto: TSO and
#             checksum offload through IFF_VNET_HDR); the suites whose
#             traffic the offloads change (OFFLOAD_NONE_SUITES: bulk TCP,
#             HTTP, ICMP, the link, IPv6) run once more, named
#             "tap/<suite> (offload none, io plain)", with TS_OFFLOAD=none
#             (whole frames, every checksum computed) and TS_IO=plain (one
#             read or write per frame instead of io_uring batches:
#             tests/tap/lib.sh ts_start).
#             The others (docs, API, hostile frames, tasks, install, the
#             bench harness) send little or build their own frames: a
#             second pass would double make check's time to say the same.
#             TS_OFFLOAD=MODE in the environment runs one pass in that mode.
#
# SUITE=name runs one suite (a Check suite such as arp or tcp_conn, or a TAP
# suite such as t_http); TEST=name runs one test (a Check test function, or
# a test of a TAP suite: its function test_NAME, given as NAME or test_NAME,
# see tests/tap/lib.sh).  Suites that hold no such name are skipped, and a
# selection that matches nothing anywhere fails.
#
# Ends with the line "N passed, N failed, N skipped" (suites), exit 0 only
# when nothing failed.
set -u
OUT=${1:-build/asan}
WHAT=${2:-all}
export TAPSTACK_BIN="$PWD/$OUT/tapstack"
export TS_FRAMES_DIR="$PWD/tests/frames"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
SUITE=${SUITE:-}
TEST=${TEST:-}
export SUITE TEST
passed=0 failed=0 skipped=0 failures=""
log_dir="$OUT/test-logs"
mkdir -p "$log_dir"

case $WHAT in
all | unit | twostack | valgrind | tap) ;;
*)
	echo "check.sh: unknown family '$WHAT' (all, unit, twostack, valgrind, tap)" >&2
	exit 2
	;;
esac
want() { [ "$WHAT" = all ] || [ "$WHAT" = "$1" ]; }

# A skip that only says "not selected" is not a failure, even under REQUIRE_TAP.
selected_skip() { grep -q '^skipped: no \(suite\|test\) named' "$1"; }

suite_log() { echo "$log_dir/$(printf %s "$1" | tr -c "A-Za-z0-9_.-" _).log"; }

run_suite() { # name command...
	name=$1
	log=$(suite_log "$name")
	shift
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	report_suite "$name" "$rc" "$secs" "$log"
}

# Suites that need a core but no wall-clock precision run beside others on
# the second core: the exercises' self-check beside the unit and two-stack
# binaries, valgrind's unit pass beside the TAP suites (which mostly wait on
# timers and on the kernel's sender).  run_suite_bg starts one; wait_suites_bg
# waits for all started and reports each, so their lines come after the
# suites they ran beside.  Names must hold no space or colon.
bg_jobs=""
run_suite_bg() { # name command...
	_name=$1
	shift
	_log=$(suite_log "$_name")
	rm -f "$_log.rc"
	("$@" >"$_log" 2>&1; echo $? >"$_log.rc") &
	bg_jobs="$bg_jobs $_name:$!:$(date +%s)"
}
wait_suites_bg() {
	for _job in $bg_jobs; do
		_name=${_job%%:*}
		_rest=${_job#*:}
		wait "${_rest%%:*}"
		_log=$(suite_log "$_name")
		report_suite "$_name" "$(cat "$_log.rc" 2>/dev/null || echo 1)" \
			$(($(date +%s) - ${_rest#*:})) "$_log"
		grep -E '^[0-9]+%: Checks' "$_log" | sed 's/^/      /'
		rm -f "$_log.rc"
	done
	bg_jobs=""
}

report_suite() { # name rc secs log
	name=$1 rc=$2 secs=$3 log=$4
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-28s %4ss\n' "$name" "$secs"
		;;
	77)
		if [ "${REQUIRE_TAP:-0}" = 1 ] && ! selected_skip "$log"; then
			failed=$((failed + 1))
			failures="$failures $name"
			printf 'FAIL  %-28s skipped, but REQUIRE_TAP=1: %s\n' "$name" \
				"$(tail -n 1 "$log")"
		else
			skipped=$((skipped + 1))
			printf 'SKIP  %-28s %s\n' "$name" "$(tail -n 1 "$log")"
		fi
		;;
	*)
		failed=$((failed + 1))
		failures="$failures $name"
		printf 'FAIL  %-28s %4ss (exit %s)\n' "$name" "$secs" "$rc"
		tail -n 40 "$log" | sed 's/^/      | /'
		;;
	esac
}

if want unit; then
	run_suite unit "$OUT/tests/unit_tests"
	grep -E '^[0-9]+%: Checks' "$log_dir/unit.log" | sed 's/^/      /'
	# Script suites of the unit family (no root): tests/unit/t_*.sh, each
	# given the binary under test; SUITE=t_name selects one.
	for t in tests/unit/t_*.sh; do
		[ -e "$t" ] || continue
		base=$(basename "$t" .sh)
		if [ -n "$SUITE" ] && [ "$SUITE" != "$base" ]; then
			run_suite "unit/$base" sh -c "echo \"skipped: no suite named '$SUITE' in $base\"; exit 77"
		elif [ "$base" = t_exercises ] && [ "$WHAT" = all ]; then
			run_suite_bg "unit/$base" sh "$t" "$TAPSTACK_BIN"
		else
			run_suite "unit/$base" sh "$t" "$TAPSTACK_BIN"
		fi
	done
fi
if want twostack; then
	run_suite twostack "$OUT/tests/twostack_tests"
	grep -E '^[0-9]+%: Checks' "$log_dir/twostack.log" | sed 's/^/      /'
fi

# The exercises' self-check builds with make (build/ex): done before the TAP
# suites, one of which runs make itself (t_bench_quick).
wait_suites_bg

if want valgrind; then
	VG_UNIT=${VG_UNIT:-build/tests/unit_tests}
	if ! command -v valgrind >/dev/null; then
		run_suite valgrind/unit sh -c "echo 'skipped: valgrind is not installed'; exit 77"
	elif [ ! -x "$VG_UNIT" ]; then
		run_suite valgrind/unit sh -c "echo 'skipped: no $VG_UNIT (make build/tests/unit_tests)'; exit 77"
	else
		# Every error memcheck finds fails the suite (exit 99), and so does
		# a definite leak; Check forks each test, and valgrind follows.
		# Ten to fifty times slower under valgrind: Check's per-test
		# timeouts stretch with it.
		# In "all" it runs beside the TAP family (see run_suite_bg).
		run=run_suite
		[ "$WHAT" = all ] && run=run_suite_bg
		$run valgrind/unit env CK_TIMEOUT_MULTIPLIER=20 \
			valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite --show-leak-kinds=definite "$VG_UNIT"
		[ "$run" = run_suite ] &&
			grep -E '^[0-9]+%: Checks' "$log_dir/valgrind_unit.log" | sed 's/^/      /'
	fi
fi

if want tap; then
	tap_reason=""
	if [ "$(id -u)" -ne 0 ]; then
		tap_reason="needs root (network namespaces and /dev/net/tun): run sudo make check"
	elif [ ! -c /dev/net/tun ]; then
		tap_reason="/dev/net/tun is missing on this machine"
	elif ! ip netns add tscheck-probe 2>/dev/null; then
		tap_reason="cannot create network namespaces here"
	else
		ip netns del tscheck-probe
	fi
	# Pass 1: as the user runs it (or TS_OFFLOAD as given); pass 2: offload
	# none and plain I/O, for the suites whose traffic the offloads and the
	# io_uring batches change.
	OFFLOAD_NONE_SUITES="t_tcp t_tcpalgo t_http t_icmp t_link t_ipv6"
	passes="${TS_OFFLOAD:-default}"
	[ -z "${TS_OFFLOAD:-}" ] && passes="default none"
	for pass in $passes; do
		for t in tests/tap/t_*.sh; do
			[ -e "$t" ] || continue
			base=$(basename "$t" .sh)
			name=tap/$base
			if [ "$pass" = none ] && [ -z "${TS_OFFLOAD:-}" ]; then
				case " $OFFLOAD_NONE_SUITES " in *" $base "*) ;; *) continue ;; esac
				name="$name (offload none, io plain)"
			fi
			if [ -n "$SUITE" ] && [ "$SUITE" != "$base" ]; then
				run_suite "$name" sh -c "echo \"skipped: no suite named '$SUITE' in $base\"; exit 77"
			elif [ -n "$tap_reason" ]; then
				run_suite "$name" sh -c "echo 'skipped: $tap_reason'; exit 77"
			elif [ "$pass" = default ]; then
				run_suite "$name" timeout 900 sh "$t"
			else
				run_suite "$name" env TS_OFFLOAD="$pass" TS_IO=plain timeout 900 sh "$t"
			fi
		done
	done
fi

wait_suites_bg

echo
[ -n "$failures" ] && echo "failed suites:$failures (logs in $log_dir/)"
echo "$passed passed, $failed failed, $skipped skipped"
if { [ -n "$SUITE" ] || [ -n "$TEST" ]; } && [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "nothing matched SUITE='$SUITE' TEST='$TEST'"
	exit 1
fi
[ "$failed" -eq 0 ]
