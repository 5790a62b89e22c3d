#!/bin/sh
# t_http.sh - issue 4 end to end with real clients: curl, nc, wrk, nmap and
# tshark against the HTTP server on the userspace stack.
. "$(dirname "$0")/lib.sh"
PATTERN=${PATTERN_BIN:-$(dirname "$BIN")/tests/pattern}
URL=http://10.0.0.2:8080
# The stack the tests under capture share (bulk and load run without one).
need_http() { ts_need --http-header-timeout 2000; }

# /hello: body and headers exactly as Go's net/http sends them.
test_hello_headers() {
	need_http
	ns_exec curl -sS -D "$WORK/h" -o "$WORK/b" $URL/hello
	eq "/hello body" "Hello, world!" "$(cat "$WORK/b")"
	eq "/hello body is 14 bytes" 14 "$(stat -c %s "$WORK/b")"
	check "status 200" grep -q '^HTTP/1.1 200 OK' "$WORK/h"
	check "Content-Type text/plain; charset=utf-8" grep -q '^Content-Type: text/plain; charset=utf-8' "$WORK/h"
	check "Content-Length: 14" grep -q '^Content-Length: 14' "$WORK/h"
	check "Date in IMF-fixdate" grep -qE '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT' "$WORK/h"
}

# Two URLs over one connection (keep-alive).
test_keepalive() {
	need_http
	ns_exec curl -sS -v $URL/hello $URL/hello -o /dev/null -o /dev/null 2>"$WORK/ka"
	check "keep-alive: curl reuses the connection" grep -qi 're-using existing connection' "$WORK/ka"
}

# Two pipelined requests in one write.
test_pipelining() {
	need_http
	printf 'GET /hello HTTP/1.1\r\nHost: a\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' |
		ns_exec timeout 5 nc -N 10.0.0.2 8080 >"$WORK/pipe"
	eq "pipelining: two responses" 2 "$(grep -c '^HTTP/1.1 200 OK' "$WORK/pipe")"
	eq "pipelining: two bodies" 2 "$(grep -c '^Hello, world!' "$WORK/pipe")"
}

# HTTP/1.0: answered, then closed.
test_http10() {
	need_http
	ns_exec curl -sS -0 -D "$WORK/h10" -o "$WORK/b10" $URL/hello
	eq "HTTP/1.0 body" "Hello, world!" "$(cat "$WORK/b10")"
}

# Error statuses.
code() { ns_exec curl -s -o /dev/null -w '%{http_code}' "$@"; }
test_error_statuses() {
	need_http
	eq "unknown path: 404" 404 "$(code $URL/nope)"
	eq "POST: 405" 405 "$(code -X POST -d x $URL/hello)"
	eq "HEAD: 200" 200 "$(code -I $URL/hello)"
	printf 'GARBAGE\r\n\r\n' | ns_exec timeout 5 nc -N 10.0.0.2 8080 >"$WORK/bad"
	check "garbage request: 400" grep -q '^HTTP/1.1 400' "$WORK/bad"
	big=$(head -c 9000 /dev/zero | tr '\0' a)
	eq "header block over 8 KiB: 431" 431 "$(code -H "X-Big: $big" $URL/hello)"
}

# /bytes/N byte-exact (small ones under capture, the rest in test_bytes_bulk).
test_bytes_small() {
	need_http
	for n in 0 1 1460 65536; do
		want=$("$PATTERN" $n | sha256sum | cut -d' ' -f1)
		got=$(ns_exec curl -sS $URL/bytes/$n | sha256sum | cut -d' ' -f1)
		eq "/bytes/$n sha256" "$want" "$got"
	done
}

# Slowloris: one header byte per 0.5 s is cut off after the header timeout
# (2 s here) while curl is still served.
test_slowloris() {
	need_http
	(printf 'GET /hello HTTP/1.1\r\n'; i=0; while [ $i -lt 20 ]; do printf 'X'; sleep 0.5; i=$((i + 1)); done) |
		ns_exec timeout 15 nc 10.0.0.2 8080 >"$WORK/slow" 2>&1 &
	slow=$!
	sleep 1
	eq "curl served during slowloris" "Hello, world!" "$(ns_exec curl -sS -m 3 $URL/hello)"
	start=$(date +%s)
	wait $slow
	secs=$(($(date +%s) - start))
	check "slowloris cut off by the header timeout (${secs}s after start+1)" test $secs -lt 9
}

# nmap sees the three TCP services.
test_nmap() {
	need_http
	ns_exec nmap -sS -p 7,9,8080 10.0.0.2 >"$WORK/nmap" 2>&1
	cat "$WORK/nmap"
	eq "nmap: 7, 9 and 8080 open" 3 "$(grep -cE '^(7|9|8080)/tcp +open' "$WORK/nmap")"
}

# SIGTERM during a transfer: exit 0, connection closed, pcap readable.
test_sigterm_mid_transfer() {
	need_http
	ns_exec curl -sS -o /dev/null --max-time 60 --limit-rate 2M $URL/bytes/1073741824 2>"$WORK/cut" &
	cut=$!
	sleep 1
	ts_stop
	wait $cut
	check "the interrupted transfer ended (curl reports it)" test -s "$WORK/cut"
	check "capture: no malformed frame, no bad checksum" pcap_clean "$WORK/tapstack.pcap"
	check "capture: the stack's FIN or RST for the cut transfer" \
		sh -c "tshark -r '$WORK/tapstack.pcap' -Y 'ip.src==10.0.0.2 && (tcp.flags.fin==1 || tcp.flags.reset==1)' 2>/dev/null | grep -q ."
}

# SIGTERM while the client reads nothing: its window is zero, so no FIN
# can follow the data queued behind it within the stack's drain time.  The
# stack is going away for good; a peer left without a FIN or a RST would
# wait forever (a receiving client sends nothing, so it never times out).
# What remains open after the drain is reset (Linux tcp_disconnect's
# choice), and counted.
test_sigterm_zero_window() {
	need_http
	ns_exec curl -sS -o /dev/null --max-time 30 --limit-rate 1K $URL/bytes/1073741824 2>/dev/null &
	zw=$!
	sleep 2
	check "the kernel's connection is open, its window full" \
		sh -c "ip netns exec $NS ss -tnH state established dst 10.0.0.2:8080 | grep -q ."
	ts_stop
	# curl, rate-limited, reads what it holds before it would see the
	# error: the kernel's socket tells at once.
	check "the kernel's connection was reset, not left waiting" \
		sh -c "! ip netns exec $NS ss -tnH state established dst 10.0.0.2:8080 | grep -q ."
	kill $zw 2>/dev/null
	wait $zw
	check "capture: the stack's RST after the zero window" \
		sh -c "tshark -r '$WORK/tapstack.pcap' -Y 'ip.src==10.0.0.2 && tcp.flags.reset==1 && tcp.srcport==8080' 2>/dev/null | grep -q ."
	check "--stats counts the reset" grep -qE '^ +[1-9][0-9]* connections reset as the stack shut down' "$WORK/tapstack.err"
}

# Bulk and load without a capture.
test_bytes_bulk() {
	ts_need --no-pcap
	for n in 10485760 1073741824; do
		want=$("$PATTERN" $n | sha256sum | cut -d' ' -f1)
		got=$(ns_exec curl -sS $URL/bytes/$n | sha256sum | cut -d' ' -f1)
		eq "/bytes/$n sha256" "$want" "$got"
	done
}

# Load: wrk -c 100 for 5 s, no socket errors, no non-2xx.
test_wrk() {
	ts_need --no-pcap
	ns_exec wrk -t 2 -c 100 -d 5s $URL/hello >"$WORK/wrk" 2>&1
	cat "$WORK/wrk"
	check "wrk: no socket errors" sh -c "! grep -q 'Socket errors' '$WORK/wrk'"
	check "wrk: no non-2xx responses" sh -c "! grep -q 'Non-2xx' '$WORK/wrk'"
	check "wrk: requests served" grep -qE '^Requests/sec: +[0-9]' "$WORK/wrk"
	ts_stop
}

run_tests
