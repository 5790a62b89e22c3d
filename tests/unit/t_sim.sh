#!/bin/sh
# t_sim.sh - `tapstack sim` (tools/sim/): two stacks in one process over the
# in-memory wire on a virtual clock.  No root, no TAP: run in the unit family
# of tools/check.sh.  Each check runs the real binary and reads what it
# prints; exit status 0 success, 1 failure, 2 bad usage (SPEC "The tapstack
# program").
#
#   sh tests/unit/t_sim.sh [path/to/tapstack]      TEST=name runs one check
set -u
BIN=${1:-${TAPSTACK_BIN:-build/asan/tapstack}}
WORK=$(mktemp -d /tmp/tssim.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
FAILS=0 CHECKS=0

want() { [ -z "${TEST:-}" ] || [ "$TEST" = "$1" ]; }
pass() { CHECKS=$((CHECKS + 1)); echo "ok   $1"; }
fail() {
	CHECKS=$((CHECKS + 1)) FAILS=$((FAILS + 1))
	echo "FAIL $1"
	[ -f "$WORK/out" ] && sed 's/^/     | /' "$WORK/out" | tail -n 15
}
# run NAME EXPECTED_RC ARGS...: runs tapstack sim, output in $WORK/out.
run() {
	name=$1 want_rc=$2
	shift 2
	"$BIN" sim "$@" >"$WORK/out" 2>&1
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		echo "     exit $rc, wanted $want_rc: tapstack sim $*" >>"$WORK/out"
		return 1
	fi
	return 0
}
has() { grep -q -- "$1" "$WORK/out"; }

if want get_hello; then
	if run get_hello 0 && has '^GET /hello: HTTP 200, 14 bytes' && has '^body: Hello, world!' &&
		has '^result: *ok'; then pass get_hello; else fail get_hello; fi
fi
if want get_404; then
	# A 404 is a failed task: exit 1, and the status is printed.
	if run get_404 1 get /nope && has 'HTTP 404' && has '^result: *FAILED'; then
		pass get_404
	else fail get_404; fi
fi
if want bytes_loss; then
	# 10 MiB under 2 % loss both ways: every byte checked, retransmissions
	# counted, and it must take real seconds at most (simulated time).
	start=$(date +%s)
	if run bytes_loss 0 --faults loss=2% bytes 10485760 &&
		has 'every byte i = i % 251' && has '^bytes: *10485760$' &&
		! has '^retransmissions: 0 ' && ! has '^drops: *0 on the wire' &&
		[ $(($(date +%s) - start)) -lt 120 ]; then
		pass bytes_loss
	else fail bytes_loss; fi
fi
if want ping; then
	if run ping 0 ping -c 3 && has '^ping: 3 sent, 3 received, 0% lost' &&
		has '^simulated time: *2\.'; then pass ping; else fail ping; fi
fi
if want ping_fragmented; then
	# 3000 bytes of data: the request and the reply travel as fragments.
	if run ping_fragmented 0 ping -c 2 -s 3000 && has '2 sent, 2 received'; then
		pass ping_fragmented
	else fail ping_fragmented; fi
fi
if want echo_faults; then
	if run echo_faults 0 --seed 3 --faults loss=1%,reorder=5%,dup=1%,delay=1ms echo 500000 &&
		has '^echo 500000 bytes: 500000 came back, every byte'; then
		pass echo_faults
	else fail echo_faults; fi
fi
if want udp; then
	if run udp 0 udp 3 && has '^udp echo: 3 sent, 3 received'; then pass udp; else fail udp; fi
fi
if want deterministic; then
	# Same seed: the same pcap byte for byte (virtual timestamps, seeded
	# stacks and faults, Date from the virtual clock); another seed differs.
	f="--faults loss=3%,reorder=3%,delay=2ms,jitter=1ms"
	if run det1 0 --seed 5 $f --pcap "$WORK/a.pcap" bytes 200000 &&
		sleep 1 && run det2 0 --seed 5 $f --pcap "$WORK/b.pcap" bytes 200000 &&
		run det3 0 --seed 6 $f --pcap "$WORK/c.pcap" bytes 200000 &&
		cmp -s "$WORK/a.pcap" "$WORK/b.pcap" && ! cmp -s "$WORK/a.pcap" "$WORK/c.pcap" &&
		[ "$(od -An -tx1 -N4 "$WORK/a.pcap" | tr -d ' ')" = d4c3b2a1 ] &&
		[ "$(wc -c <"$WORK/a.pcap")" -gt 200000 ]; then
		pass deterministic
	else fail deterministic; fi
fi
if want pcapng_drops; then
	# --pcapng: one interface per end, each frame as sent and as received,
	# every stack's drop of a received frame commented with its reason
	# (corrupt= spoils checksums the receiving stack then refuses): as many
	# comments as the stacks' drops of received frames, and the same file
	# for the same seed.
	f="--faults corrupt=3%"
	if run ng1 0 --seed 5 $f --stats --pcapng "$WORK/a.pcapng" bytes 200000 &&
		cp "$WORK/out" "$WORK/ng1.out" && run ng2 0 --seed 5 $f --pcapng "$WORK/b.pcapng" bytes 200000 &&
		cmp -s "$WORK/a.pcapng" "$WORK/b.pcapng"; then
		# The accounting lines of both stacks (--stats): their dropped frames.
		want_n=$(sed -n 's/^accounting: .* + \([0-9]*\) dropped + .*/\1/p' "$WORK/ng1.out" |
			awk '{n += $1} END {print n + 0}')
		got_n=$(tshark -r "$WORK/a.pcapng" -Y 'frame.comment contains "drop: TCP_BAD_CSUM (tcp, RFC 9293 3.1)" && frame.packet_flags_direction == 1' 2>/dev/null | wc -l)
		all_n=$(tshark -r "$WORK/a.pcapng" -Y 'frame.comment contains "drop"' 2>/dev/null | wc -l)
		ifs=$(tshark -r "$WORK/a.pcapng" -T fields -e frame.interface_id 2>/dev/null | sort -u | tr '\n' ' ')
		echo "pcapng_drops: stacks dropped $want_n received frames; comments $all_n ($got_n TCP_BAD_CSUM, inbound); interfaces $ifs"
		if [ "$want_n" -gt 0 ] && [ "$all_n" -eq "$want_n" ] && [ "$got_n" -gt 0 ] && [ "$ifs" = "0 1 " ]; then
			pass pcapng_drops
		else fail pcapng_drops; fi
	else fail pcapng_drops; fi
fi
if want trace; then
	# --trace lines carry the simulated time and the side.
	if run trace 0 --trace layers,tcp && grep -q '^ *0\.[0-9]\{6\} client | tx eth' "$WORK/out" &&
		grep -q 'server | .*SYN-RECEIVED' "$WORK/out"; then
		pass trace
	else fail trace; fi
fi
if want bad_usage; then
	ok=1
	for args in "bogus" "bytes" "bytes -1" "get" "get nopath" "--seed x" "--faults loss=200%" \
		"echo 0" "--mtu 10" "get /hello -c 3" "--nosuch" "ping extra" "--pcapng -"; do
		# shellcheck disable=SC2086
		"$BIN" sim $args >"$WORK/out" 2>&1
		rc=$?
		if [ $rc -ne 2 ] || [ "$(wc -l <"$WORK/out")" -ne 1 ]; then
			echo "     tapstack sim $args: exit $rc, $(wc -l <"$WORK/out") lines" >>"$WORK/err"
			ok=0
		fi
	done
	if [ $ok = 1 ]; then pass bad_usage; else
		cp "$WORK/err" "$WORK/out"
		fail bad_usage
	fi
fi
if want help; then
	if "$BIN" sim --help >"$WORK/out" 2>&1 && has 'usage: tapstack sim' &&
		"$BIN" --help >"$WORK/out" 2>&1 && has 'tapstack sim'; then
		pass help
	else fail help; fi
fi

if [ "$CHECKS" -eq 0 ]; then
	echo "skipped: no test named '${TEST:-}' in t_sim"
	exit 77
fi
echo "t_sim: $((CHECKS - FAILS)) of $CHECKS checks passed"
[ "$FAILS" -eq 0 ]
