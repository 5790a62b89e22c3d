#!/bin/sh
# t_examples.sh - the programs for library users in docs/examples/ (issue
# 15): each is built by `make tests` against the public header alone; the
# two-stack one (pair) needs no root and runs here in full, twice, to show
# the run is the same (the --pcap files are identical).  The TAP ones
# (hello_c, echo_client, udp_echo) run in a namespace in tests/tap/t_examples.sh.
#
#   sh tests/unit/t_examples.sh [path/to/tapstack]      TEST=name runs one check
set -u
BIN=${1:-${TAPSTACK_BIN:-build/asan/tapstack}}
EX=$(dirname "$BIN")/examples
WORK=$(mktemp -d /tmp/tsex.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0 CHECKS=0

want() { [ -z "${TEST:-}" ] || [ "$TEST" = "$1" ]; }
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $1"; }
fail() {
	CHECKS=$((CHECKS + 1)) FAILS=$((FAILS + 1))
	echo "FAIL $1"
	[ -f "$WORK/out" ] && sed 's/^/     | /' "$WORK/out" | tail -n 15
}

if want built; then
	missing=""
	for e in hello_c echo_client udp_echo pair; do
		[ -x "$EX/$e" ] || missing="$missing $e"
	done
	if [ -z "$missing" ]; then pass built; else
		echo "missing in $EX:$missing (make V=asan tests)" >"$WORK/out"
		fail built
	fi
fi
if want pair_runs; then
	if "$EX/pair" --pcap "$WORK/1.pcap" >"$WORK/out" 2>&1 &&
		grep -q '^tcp: hello over the in-memory wire$' "$WORK/out" &&
		grep -q '^udp: ping from 10.0.0.1:[0-9]*, pong back$' "$WORK/out" &&
		grep -q '^ok$' "$WORK/out"; then pass pair_runs; else fail pair_runs; fi
fi
if want pair_is_deterministic; then
	"$EX/pair" --pcap "$WORK/1.pcap" >/dev/null 2>&1
	if "$EX/pair" --pcap "$WORK/2.pcap" >"$WORK/out" 2>&1 && [ -s "$WORK/1.pcap" ] &&
		cmp "$WORK/1.pcap" "$WORK/2.pcap" >>"$WORK/out" 2>&1; then
		pass pair_is_deterministic
	else fail pair_is_deterministic; fi
fi
if want pair_bad_usage; then
	"$EX/pair" --bogus >"$WORK/out" 2>&1
	if [ $? -eq 2 ] && grep -q '^usage: pair' "$WORK/out"; then pass pair_bad_usage; else
		fail pair_bad_usage; fi
fi

if [ -n "${TEST:-}" ] && [ "$CHECKS" -eq 0 ]; then
	echo "skipped: no test named '$TEST' in t_examples"
	exit 77
fi
echo "t_examples: $((CHECKS - FAILS)) of $CHECKS checks passed"
[ "$FAILS" -eq 0 ]
