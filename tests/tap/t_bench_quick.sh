#!/bin/sh
# t_bench_quick.sh - proves the benchmark harness works end to end: runs
# `make bench QUICK=1` (2 s loads, tools/bench/bench.sh --quick) and checks
# that its table (build/bench/quick/latest.md: a QUICK run never replaces the
# committed full-run table) has one row per contender in both pinning
# tables, that all four contenders were measured, and that the targets
# section is there.
# No timing is asserted anywhere.  Needs root (namespaces, TAP): exits 77
# (skipped) otherwise.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "skipped: needs root (network namespaces and /dev/net/tun)"
	exit 77
fi
MD=build/bench/quick/latest.md
FAILS=0
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# Namespaces of other runs (another bench in progress) are not ours to judge.
ns_before=$(ip netns list | awk '/^tsb-/ {print $1}' | sort)
start=$(date +%s)
marker=$(mktemp /tmp/tsbench.XXXXXX)
timeout 600 make --no-print-directory bench QUICK=1 || fail "make bench QUICK=1 exited $?"
echo "bench_quick: make bench QUICK=1 took $(($(date +%s) - start)) s"

[ -f "$MD" ] || fail "$MD missing"
[ "$MD" -nt "$marker" ] || fail "$MD was not rewritten by this run"
rm -f "$marker"
grep -q 'mode: QUICK' "$MD" || fail "$MD does not say it came from a QUICK run"

# Each pinning table: exactly the four contender rows, in order.
for pin in split same; do
	rows=$(awk -v p="## $pin:" 'index($0, p) == 1 { on = 1; next } on && /^## / { on = 0 } on && /^\| / && !/^\| contender/ && !/^\|---/' "$MD")
	n=$(printf '%s\n' "$rows" | grep -c '^| ')
	[ "$n" -eq 4 ] || fail "$pin table has $n contender rows, not 4"
	for c in "tapstack" "lwIP" "kernel C" "Go net/http"; do
		printf '%s\n' "$rows" | grep -q "^| $c" || fail "$pin table has no $c row"
	done
	for c in "tapstack" "lwIP" "kernel C" "Go net/http"; do
		printf '%s\n' "$rows" | grep "^| $c" | grep -Eq '(failed|not run)' &&
			fail "$pin: contender $c was not measured: $(printf '%s\n' "$rows" | grep "^| $c")"
	done
done
grep -q '^## Targets (tapstack)' "$MD" || fail "no targets section"
[ "$(grep -c '^| .*\(met\|not measured\)' "$MD")" -ge 7 ] || fail "targets table incomplete"
left=""
for ns in $(ip netns list | awk '/^tsb-/ {print $1}'); do
	case " $(echo $ns_before) " in
	*" $ns "*) ;;
	*) left="$left $ns" ;;
	esac
done
[ -z "$left" ] || fail "tsb-* namespaces left behind by this run:$left"

if [ "$FAILS" -gt 0 ]; then
	echo "bench_quick: $FAILS checks failed"
	exit 1
fi
echo "bench_quick: all checks passed"
