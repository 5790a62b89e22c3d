#!/bin/sh
# record.sh - regenerates every recorded output under docs/captures/ that
# docs/syscalls.md and docs/layers.md quote.  Needs root (network namespaces,
# a TAP, strace) and: make (build/tapstack), golang-go, strace, curl, tshark.
#
#   sh docs/captures/record.sh [go] [tapstack] [tapstack6]   (from the top of
#                                                              the repository)
#
# Three recordings (all of them without arguments, else the ones named),
# each in a network namespace of its own that is removed at the end;
# nothing touches the host namespace:
#   1. Go: docs/examples/hello under strace, one curl to 127.0.0.1:8080/hello
#      over the namespace's loopback          -> go-hello.strace.txt
#   2. tapstack: `tapstack serve` with the arguments `make run` passes plus
#      --trace layers,api,tcp, one curl to 10.0.0.2:8080/hello over tap0
#      -> hello.pcap, hello.trace.txt (its stderr), hello.curl.txt,
#         and the tshark views of the capture (hello.tshark*.txt).
#   3. tapstack over IPv6: the same serve with IPv6 on in the namespace and
#      fd00::1/64 on the kernel side, one curl to [fd00::2]:8080/hello
#      -> hello6.pcap, hello6.trace.txt (--trace layers), and the tshark
#         views of it (hello6.tshark*.txt); the kernel's neighbour
#         discovery, MLD reports and router solicitations are in it too:
#         docs/ipv6.md and docs/layers.md explain them.
# In 2, IPv6 is turned off inside the tapstack namespace before tap0 exists, so
# that the kernel's IPv6 chatter (MLD reports, router solicitations, which
# the stack drops as ETH_NOT_FOR_US) stays out of the capture: it holds the
# one exchange the docs explain and nothing else.
set -eu
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/docs/captures
BIN=$TOP/build/tapstack
GO_NS=tsdoc-go-$$
TS_NS=tsdoc-ts-$$
TS6_NS=tsdoc-ts6-$$
PARTS=${*:-go tapstack tapstack6}
want() { case " $PARTS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
TMP=$(mktemp -d /tmp/tsdoc.XXXXXX)

cleanup() {
	for ns in "$GO_NS" "$TS_NS" "$TS6_NS"; do
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

# tshark_views NAME: NAME.tshark.txt, and the request frame (the one frame
# carrying "GET /hello") with -V, its checksums verified, and with -x.
tshark_views() {
	(cd "$OUT" &&
		tshark -r "$1.pcap" >"$1.tshark.txt" 2>/dev/null &&
		REQ=$(tshark -r "$1.pcap" -Y 'http.request' -T fields -e frame.number 2>/dev/null) &&
		tshark -r "$1.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
			-Y "frame.number == $REQ" -V >"$1.tshark-request.txt" 2>/dev/null &&
		tshark -r "$1.pcap" -Y "frame.number == $REQ" -x >"$1.tshark-request-hex.txt" 2>/dev/null &&
		echo "record: $1: request is frame $REQ of $(wc -l <"$1.tshark.txt")")
}

# ---- 1. Go's hello under strace ------------------------------------------
go_hello() {
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
}

# ---- 2. tapstack, the same curl over tap0 --------------------------------
tapstack_hello() {
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

tshark_views hello
}

# ---- 3. tapstack over IPv6 -------------------------------------------------
tapstack_hello6() {
ip netns add "$TS6_NS"
ip -n "$TS6_NS" link set lo up
rm -f "$OUT/hello6.pcap"
ip netns exec "$TS6_NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
	--ip6 fd00::2/64 --pcap "$OUT/hello6.pcap" --stats --trace layers 2>"$TMP/ts6.err" &
TS6_PID=$!
wait_for "$TMP/ts6.err" 'serving on'
ip -n "$TS6_NS" -6 addr replace fd00::1/64 dev tap0 nodad
# The stack's duplicate address detection (RFC 4862 §5.4: one probe, then
# a second of silence) before fd00::2 answers.
sleep 1.5
ip netns exec "$TS6_NS" curl -sv -g 'http://[fd00::2]:8080/hello' >"$TMP/ts6.curl" 2>&1
sleep 0.5
kill -TERM "$TS6_PID"
wait "$TS6_PID"
grep -q '^Hello, world!$' "$TMP/ts6.curl"
cp "$TMP/ts6.err" "$OUT/hello6.trace.txt"
tshark_views hello6
}

if want go; then go_hello; fi
if want tapstack; then tapstack_hello; fi
if want tapstack6; then tapstack_hello6; fi
echo "record: done ($PARTS)"
