#!/bin/sh
# t_bench_quick.sh - proves the benchmark harness works end to end: runs
# `make bench QUICK=1` (1 s loads, tools/bench/bench.sh --quick) and checks
# that its table (build/bench/quick/latest.md: a QUICK run never replaces the
# committed full-run table) has one row per contender in both pinning
# tables (tapstack, its tasks server, lwIP at its best and with its mailbox, kernel C, Go),
# that all six were measured, and that the targets section is there.
# No timing is asserted anywhere.  Needs root (namespaces, TAP): exits 77
# (skipped) otherwise.  The bench makes its own namespaces (tsb-*): this
# suite starts no stack and makes no namespace of its own.
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
MD=build/bench/quick/latest.md

# The one bench run every test reads, made once, by whichever test runs first.
BENCH_RUN=""
bench_run() {
	[ -z "$BENCH_RUN" ] || return 0
	BENCH_RUN=1
	if [ "$(id -u)" -ne 0 ]; then
		ts_skip "needs root (network namespaces and /dev/net/tun)"
	fi
	start=$(date +%s)
	marker=$(mktemp /tmp/tsbench.XXXXXX)
	timeout 600 make --no-print-directory bench QUICK=1 >"$WORK/bench.out" 2>&1
	rc=$?
	cat "$WORK/bench.out"
	eq "make bench QUICK=1 exits 0" 0 $rc
	# The run names its namespaces; those of other runs (another bench in
	# progress) are not ours to judge.
	NS_PREFIX=$(sed -n 's/.*namespaces of this run: \(tsb-[0-9]*-\)\*.*/\1/p' "$WORK/bench.out" | head -n 1)
	echo "bench_quick: make bench QUICK=1 took $(($(date +%s) - start)) s"

	check "$MD exists" test -f "$MD"
	check "$MD was rewritten by this run" test "$MD" -nt "$marker"
	rm -f "$marker"
	check "$MD says it came from a QUICK run" grep -q 'mode: QUICK' "$MD"
}

test_bench_run() {
	bench_run
}

# has_row CONTENDER / measured CONTENDER: in $rows, the pinning table's rows.
has_row() { printf '%s\n' "$rows" | grep -q "^| $1"; }
measured() {
	if printf '%s\n' "$rows" | grep "^| $1" | grep -Eq '(failed|not run)'; then
		echo "     $(printf '%s\n' "$rows" | grep "^| $1")"
		return 1
	fi
}

CONTENDER_ROWS="tapstack (TAP|tapstack tasks (TAP)|lwIP [0-9.]* (TAP, core lock)|lwIP [0-9.]* (TAP, mailbox)|kernel C|Go net/http"

# Each pinning table: exactly the six contender rows.
test_pinning_tables() {
	bench_run
	for pin in split same; do
		rows=$(awk -v p="## $pin:" 'index($0, p) == 1 { on = 1; next } on && /^## / { on = 0 } on && /^\| / && !/^\| contender/ && !/^\|---/' "$MD")
		n=$(printf '%s\n' "$rows" | grep -c '^| ')
		check "$pin table has 6 contender rows ($n)" test "$n" -eq 6
		old_ifs=$IFS
		IFS='|'
		for c in $CONTENDER_ROWS; do
			IFS=$old_ifs
			check "$pin table has a $c row" has_row "$c"
			check "$pin: contender $c was measured" measured "$c"
		done
		IFS=$old_ifs
	done
}

# The context-switch figures of switch_bench: tapstack's switch, ucontext's, a thread's.
test_switch_section() {
	bench_run
	check "context switch section" grep -q '^## Context switch' "$MD"
	for r in "task_ctx_switch, .*assembly" "task_ctx_switch, ucontext" "ts_yield task to task" "two kernel threads"; do
		check "context switch row: $r, in ns" grep -Eq "^\| $r.* \| [0-9]+\.[0-9] \([0-9]+\.[0-9]\) \|\$" "$MD"
	done
}

test_targets() {
	bench_run
	check "targets section" grep -q '^## Targets (tapstack)' "$MD"
	n=$(grep -c '^| .*\(met\|not measured\)' "$MD")
	check "targets table complete ($n rows met or not measured, >= 11)" test "$n" -ge 11
	check "ceiling fractions section" grep -q '^## tapstack as a fraction of the TAP ceiling' "$MD"
	check "the GSO ceiling was measured" grep -q '^| [0-9]* B GSO (vnet_hdr) | [0-9]' "$MD"
}

test_namespaces_removed() {
	bench_run
	check "the run named its namespaces (${NS_PREFIX:-none}*)" test -n "$NS_PREFIX"
	left=$(ip netns list | awk -v p="${NS_PREFIX:-tsb-?-}" 'index($1, p) == 1 {printf " %s", $1}')
	check "no namespace of this run left behind:${left:- none}" test -z "$left"
}

run_tests
