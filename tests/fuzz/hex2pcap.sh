#!/bin/sh
# hex2pcap.sh FIXTURE.hex [OUT.pcap] - replays a fuzz fixture through the
# fuzz_frames harness (build it first: make -C tests/fuzz build) and writes
# every frame the stack received and sent as a pcap for Wireshark
# (DLT_EN10MB): the ARP exchange every replay starts with, the fixture's
# frames (a line starting with "# frame" separates frames; each is followed
# by an accept, as in tests/unit/fuzz_regress_test.c), the stack's replies,
# then what its timers send until they run out.  Default output: the
# fixture's name with .pcap.  The bugs in README.md's Findings are tolerated
# (FUZZ_IGNORE_KNOWN) so the pcap shows the bad reply; an unknown one stops
# the replay at the bad frame, which is the pcap's last.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin=${FUZZ_BIN:-$here/../../build/fuzz/fuzz_frames}
in=${1:?usage: hex2pcap.sh FIXTURE.hex [OUT.pcap]}
out=${2:-${in%.hex}.pcap}
[ -x "$bin" ] || {
	echo "hex2pcap: $bin missing; run: make -C tests/fuzz build" >&2
	exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

byte() {
	printf "\\$(printf %03o "$1")"
}

# The fixture as fuzz_frames records: op 32 (accept after the frame), length, bytes.
mkdir "$tmp/frames"
awk -v dir="$tmp/frames" '/^# frame/ { n++ } { print > (dir "/" n+0) }' "$in"
for f in $(ls "$tmp/frames" | sort -n); do
	sed 's/#.*//' "$tmp/frames/$f" | xxd -r -p >"$tmp/bin"
	n=$(wc -c <"$tmp/bin")
	[ "$n" -gt 0 ] || continue
	byte 32
	byte $((n / 256))
	byte $((n % 256))
	cat "$tmp/bin"
done >"$tmp/input"

FUZZ_IGNORE_KNOWN=1 FUZZ_PCAP=$out "$bin" "$tmp/input" >"$tmp/log" 2>&1 ||
	echo "hex2pcap: the replay stopped at an invariant (see below); the pcap ends there" >&2
grep -m1 '==fuzz invariant==\|ERROR:' "$tmp/log" >&2 || true
echo "wrote $out"
