#!/bin/sh
# record.sh - regenerates every recorded output under docs/captures/ that
# docs/syscalls.md and docs/layers.md quote.  Needs root (network namespaces,
# a TAP, strace) and: make (build/tapstack), golang-go, strace, curl, tshark.
#
#   sh docs/captures/record.sh          (from the top of the repository)
#
# Two recordings, each in a network namespace of its own that is removed at
# the end; nothing touches the host namespace:
#   1. Go: docs/examples/hello under strace, one curl to 127.0.0.1:8080/hello
#      over the namespace's loopback          -> go-hello.strace.txt
#   2. tapstack: `tapstack serve` with the arguments `make run` passes plus
#      --trace layers,api,tcp, one curl to 10.0.0.2:8080/hello over tap0
#      -> hello.pcap, hello.trace.txt (its stderr), hello.curl.txt,
#         and the tshark views of the capture (hello.tshark*.txt).
# IPv6 is turned off inside the tapstack namespace before tap0 exists, so
# that the kernel's IPv6 chatter (MLD reports, router solicitations, which
# the stack drops as ETH_NOT_FOR_US) stays out of the capture: it holds the
# one exchange the docs explain and nothing else.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/docs/captures
BIN=$TOP/build/tapstack
GO_NS=tsdoc-go-$$
TS_NS=tsdoc-ts-$$
TMP=$(mktemp -d /tmp/tsdoc.XXXXXX)

cleanup() {
	for ns in "$GO_NS" "$TS_NS"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for FILE PATTERN: bounded wait (5 s) until PATTERN appears in FILE.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 50 ] || {
			echo "record: timed out waiting for '$2' in $1" >&2
			exit 1
		}
		sleep 0.1
	done
}

# ---- 1. Go's hello under strace ------------------------------------------
(cd "$TOP/docs/examples/hello" &&
	HOME=$TMP GOCACHE=$TMP/gocache go build -o "$TMP/hello" main.go)
ip netns add "$GO_NS"
ip -n "$GO_NS" link set lo up
ip netns exec "$GO_NS" strace -f -o "$TMP/go.strace" \
	-e trace=network,epoll_create1,epoll_ctl,epoll_wait,epoll_pwait,read,write,close,fcntl \
	"$TMP/hello" &
STRACE_PID=$!
wait_for "$TMP/go.strace" 'accept4(.*EAGAIN'
sleep 0.2
ip netns exec "$GO_NS" curl -s http://127.0.0.1:8080/hello >"$TMP/go.curl"
sleep 0.3
# The server runs until killed: end it (strace's only child) by its pid.
kill -TERM "$(ps -o pid= --ppid "$STRACE_PID")"
wait "$STRACE_PID" || true
grep -q '^Hello, world!$' "$TMP/go.curl"
cp "$TMP/go.strace" "$OUT/go-hello.strace.txt"

# ---- 2. tapstack, the same curl over tap0 --------------------------------
ip netns add "$TS_NS"
ip -n "$TS_NS" link set lo up
ip netns exec "$TS_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$TS_NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
rm -f "$OUT/hello.pcap"
ip netns exec "$TS_NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
	--pcap "$OUT/hello.pcap" --stats --trace layers,api,tcp 2>"$TMP/ts.err" &
TS_PID=$!
wait_for "$TMP/ts.err" 'serving on'
sleep 0.3
ip netns exec "$TS_NS" curl -sv http://10.0.0.2:8080/hello >"$TMP/ts.curl" 2>&1
sleep 0.5
kill -TERM "$TS_PID"
wait "$TS_PID"
cp "$TMP/ts.err" "$OUT/hello.trace.txt"
cp "$TMP/ts.curl" "$OUT/hello.curl.txt"

# ---- the capture as tshark shows it ---------------------------------------
cd "$OUT"
tshark -r hello.pcap >hello.tshark.txt 2>/dev/null
# The request is the one frame carrying "GET /hello"; -V with the
# checksums verified, -x the same frame as hex.
REQ=$(tshark -r hello.pcap -Y 'http.request' -T fields -e frame.number 2>/dev/null)
tshark -r hello.pcap -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
	-Y "frame.number == $REQ" -V >hello.tshark-request.txt 2>/dev/null
tshark -r hello.pcap -Y "frame.number == $REQ" -x >hello.tshark-request-hex.txt 2>/dev/null
echo "record: done; request is frame $REQ of $(wc -l <hello.tshark.txt)"
