#!/bin/sh
# record-netpoll.sh - regenerates docs/captures/netpoll.trace.txt, the
# --trace sched,api output of one request to the seed's Go server in C
# (docs/examples/netpoll/main.c) that docs/netpoll.md quotes.  Needs root
# (a network namespace, a TAP), make (build/examples/netpoll) and nc.
#
#   sh docs/captures/record-netpoll.sh     (from the top of the repository)
#
# The program runs in a namespace of its own holding tap0 (kernel side
# 10.0.0.1/24), removed at the end; one `printf hello | nc -N 10.0.0.2 9008`
# is the request; SIGTERM ends the program.  Its stderr is the recording.
# IPv6 is off in the namespace so that no kernel chatter reaches the stack.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/docs/captures/netpoll.trace.txt
BIN=$TOP/build/examples/netpoll
NS=tsdoc-np-$$
TMP=$(mktemp -d /tmp/tsdoc.XXXXXX)

cleanup() {
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$BIN" ] || make -C "$TOP" build/examples/netpoll
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$NS" "$BIN" --tap tap0 --host-ip 10.0.0.1/24 --trace sched,api 2>"$TMP/np.err" &
NP=$!
i=0
until ip netns exec "$NS" ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 50 ] || {
		echo "record-netpoll: the program did not come up" >&2
		exit 1
	}
	sleep 0.1
done
got=$(printf 'hello' | ip netns exec "$NS" timeout 5 nc -N 10.0.0.2 9008)
[ "$got" = "I am server!" ] || {
	echo "record-netpoll: unexpected answer '$got'" >&2
	exit 1
}
i=0
until grep -q '^sched exit task 2 ' "$TMP/np.err" || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$NP"
wait "$NP"
cp "$TMP/np.err" "$OUT"
echo "record-netpoll: wrote $OUT ($(wc -l <"$OUT") lines)"
