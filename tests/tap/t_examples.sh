#!/bin/sh
# t_examples.sh - the TAP programs for library users in docs/examples/
# (issue 15), built against the public header alone, each on tap0 of the
# suite's namespace with a real client on the kernel side: hello_c answers
# curl, udp_echo answers nc -u, echo_client talks to a kernel echo server
# (python3).  The two-stack example runs in tests/unit/t_examples.sh.
. "$(dirname "$0")/lib.sh"

EX=$(dirname "$BIN")/examples
for e in hello_c echo_client udp_echo; do
	[ -x "$EX/$e" ] || {
		echo "missing $EX/$e: make V=asan tests"
		exit 1
	}
done
EX_PID=""

# ex_start NAME [args]: the example on tap0 in the namespace (the kernel
# side configured first), up once the stack answers ping.
ex_start() {
	ts_need_no_stack
	name=$1
	shift
	ns_exec ip tuntap add dev tap0 mode tap 2>/dev/null
	ns_exec ip addr replace 10.0.0.1/24 dev tap0
	ns_exec ip link set tap0 up
	ip netns exec "$NS" "$EX/$name" --tap tap0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	EX_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1 && return 0
		kill -0 "$EX_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "$name did not come up:"
	cat "$WORK/$name.err"
	return 1
}

# ex_stop: SIGTERM, exit 0, no sanitizer report.
ex_stop() {
	kill -TERM "$EX_PID" 2>/dev/null
	wait "$EX_PID"
	eq "$1 exits 0 on SIGTERM" 0 $?
	EX_PID=""
	check "$1: no sanitizer report" sh -c "! grep -q Sanitizer '$WORK/$1.err'"
}

test_hello_c() {
	ex_start hello_c || return
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl /hello" "Hello, world!" "$body"
	code=$(ns_exec curl -s -o /dev/null -w '%{http_code}' -m 5 http://10.0.0.2:8080/nope)
	eq "curl /nope is 404" 404 "$code"
	n=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello http://10.0.0.2:8080/hello | wc -l)
	eq "two requests on one keep-alive connection" 2 "$n"
	ex_stop hello_c
}

test_udp_echo() {
	ex_start udp_echo || return
	back=$(echo "datagram one" | ns_exec nc -u -w 1 10.0.0.2 7)
	eq "nc -u gets its datagram back" "datagram one" "$back"
	ex_stop udp_echo
	check "it counted the datagram" grep -q '1 datagrams echoed' "$WORK/udp_echo.err"
}

test_echo_client() {
	command -v python3 >/dev/null || {
		echo "skip: no python3 for the kernel-side echo server"
		return
	}
	ts_need_no_stack
	ns_exec ip tuntap add dev tap0 mode tap 2>/dev/null
	ns_exec ip addr replace 10.0.0.1/24 dev tap0
	ns_exec ip link set tap0 up
	# A one-connection echo server on the kernel side (RFC 862).
	ns_exec python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.0.0.1", 7007)); s.listen(1); s.settimeout(10)
c, _ = s.accept()
while True:
    d = c.recv(4096)
    if not d: break
    c.sendall(d)
' &
	py=$!
	i=0
	while [ $i -lt 50 ] && ! ns_exec ss -ltn 2>/dev/null | grep -q '10.0.0.1:7007'; do
		sleep 0.1
		i=$((i + 1))
	done
	out=$(ip netns exec "$NS" "$EX/echo_client" --tap tap0 10.0.0.1 7007 "hello kernel" 2>"$WORK/ec.err")
	eq "echo_client exits 0" 0 $?
	eq "echo_client prints the echo" "hello kernel" "$out"
	wait "$py"
	check "echo_client: no sanitizer report" sh -c "! grep -q Sanitizer '$WORK/ec.err'"
	ip netns exec "$NS" "$EX/echo_client" --tap tap0 10.0.0.1 7008 "x" >/dev/null 2>"$WORK/ec2.err"
	eq "echo_client to a closed port exits 1" 1 $?
	check "it says connection refused" grep -q 'Connection refused' "$WORK/ec2.err"
}

run_tests
