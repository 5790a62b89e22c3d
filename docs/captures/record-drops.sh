#!/bin/sh
# record-drops.sh - regenerates docs/captures/drops.pcapng and
# drops.tshark.txt, which docs/wireshark.md shows (and screenshot-drops.sh
# pictures): `tapstack serve --pcapng` while curl fetches /hello, a
# connection to discard (port 9) is open, and three hand-made frames
# arrive (tests/tools/inject.py, the frames of tests/tap/t_capture.sh): a
# UDP datagram with a bad checksum, an IPv4 header with a bad checksum and
# a TCP segment a quarter of the sequence space ahead of the connection's
# window.  Needs root (a network namespace and a TAP), make (build/tapstack),
# curl, nc, python3, tshark.
#
#   sh docs/captures/record-drops.sh    (from the top of the repository)
#
# IPv6 is off in the namespace before tap0 exists, as in record.sh, so that
# the kernel's MLD and router solicitations (ETH_NOT_FOR_US) stay out.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/docs/captures
BIN=$TOP/build/tapstack
NS=tsdoc-drops-$$
TMP=$(mktemp -d /tmp/tsdrops.XXXXXX)

cleanup() {
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
	--offload none --pcapng "$TMP/drops.pcapng" --pcap "$TMP/drops.pcap" --stats \
	2>"$TMP/err" &
TS=$!
i=0
until ip netns exec "$NS" ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || {
		echo "record-drops: tapstack did not come up" >&2
		cat "$TMP/err" >&2
		exit 1
	}
	sleep 0.1
done
ip netns exec "$NS" curl -s -m 5 http://10.0.0.2:8080/hello >/dev/null
ip netns exec "$NS" timeout 4 sh -c 'sleep 5 | nc -p 40001 10.0.0.2 9' >/dev/null 2>&1 &
sleep 0.5
set -- $(tshark -r "$TMP/drops.pcap" -Y 'tcp.srcport == 40001 && tcp.flags.ack == 1' \
	-T fields -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null | tail -n 1)
[ $# -eq 2 ] || {
	echo "record-drops: the connection to port 9 did not open" >&2
	exit 1
}
inject() {
	ip netns exec "$NS" python3 "$TOP/tests/tools/inject.py" "$@"
}
inject udp_bad_csum 02:00:00:00:00:02
inject ipv4_bad_csum 02:00:00:00:00:02
inject tcp_out_of_window 02:00:00:00:00:02 40001 9 $((($1 + 1073741824) % 4294967296)) "$2"
sleep 0.3
ip netns exec "$NS" curl -s -m 5 http://10.0.0.2:8080/hello >/dev/null
sleep 0.3
kill -TERM "$TS"
wait "$TS"
cp "$TMP/drops.pcapng" "$OUT/drops.pcapng"
tshark -r "$OUT/drops.pcapng" -Y 'frame.comment contains "drop"' \
	-T fields -e frame.number -e frame.packet_flags_direction -e frame.comment \
	>"$OUT/drops.tshark.txt" 2>/dev/null
grep '^accounting:' "$TMP/err"
echo "record-drops: wrote drops.pcapng ($(tshark -r "$OUT/drops.pcapng" 2>/dev/null | wc -l) frames) and drops.tshark.txt:"
cat "$OUT/drops.tshark.txt"
