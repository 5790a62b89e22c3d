#!/bin/sh
# t_tools6.sh - issue 14: the command-line tools speak IPv6.  `tapstack
# ping` and `tapstack get` are stacks of their own on tap0, clients of the
# kernel side of the suite's namespace:
#
#   tapstack ping|get  fd00::2/64, fe80::ff:fe00:2 --tap0-- fd00::1/64, fe80::1 [kernel]
#
# tap0 is made persistent first and given its kernel addresses (nodad:
# usable at once), so they are there before the tool's first frame; each
# tool then attaches to it as to a TAP of `tapstack setup`.  ping's lines
# are compared with those of the kernel's own ping -6 (iputils), times
# masked; get fetches a known body from nc listening on the kernel side.
. "$(dirname "$0")/lib.sh"

# The namespace with no stack, and tap0 persistent with fd00::1/64 and
# fe80::1/64 on the kernel side, up.
need_tap6() {
	ts_need_no_stack
	if ! ns_exec ip link show tap0 >/dev/null 2>&1; then
		ns_exec ip tuntap add dev tap0 mode tap || ts_skip "cannot create a TAP (ip tuntap)"
	fi
	ns_host_ip6 fd00::1/64 || ts_skip "no IPv6 on the kernel side of tap0"
	ns_exec ip -6 addr replace fe80::1/64 dev tap0 nodad
	ns_exec ip link set tap0 up
}

# tool_ok NAME FILE: the tool's own checks, as ts_stop makes them for serve:
# no sanitizer report, every frame it received accounted for (--stats).
tool_ok() {
	check "$1: no sanitizer report" sh -c "! grep -q 'Sanitizer' '$2'"
	_acct=$(grep '^accounting:' "$2" | tail -n 1)
	check "$1: frames accounted for (${_acct#accounting: })" \
		sh -c "echo '$_acct' | grep -qE '^accounting: [0-9]+ received = .* held\$'"
}

# ping(8)'s output with the measured times masked, for comparing shapes.
mask_times() {
	sed -e 's/time=[0-9.]* ms/time=T ms/' -e 's/time [0-9]*ms$/time Tms/' \
		-e 's|^rtt min/avg/max/mdev = [0-9./]* ms$|rtt min/avg/max/mdev = R ms|' "$1"
}

# ICMPv6 echo from the stack to the kernel: three replies, printed as the
# kernel's own ping -6 prints them, from fd00::2 (the --ip6 default).
test_ping6_kernel() {
	need_tap6
	ns_exec timeout 60 "$BIN" ping fd00::1 -c 3 -i 0.2 --tap tap0 --stats \
		--pcap "$WORK/ping6.pcap" >"$WORK/ping6.out" 2>"$WORK/ping6.err"
	eq "tapstack ping fd00::1 exits 0" 0 $?
	cat "$WORK/ping6.out"
	check "3 transmitted, 3 received" \
		grep -q '^3 packets transmitted, 3 received, 0% packet loss, time [0-9]*ms$' "$WORK/ping6.out"
	n=$(grep -cE '^64 bytes from fd00::1: icmp_seq=[123] ttl=64 time=[0-9]+\.[0-9]{3} ms$' \
		"$WORK/ping6.out")
	eq "three ping(8)-shaped reply lines" 3 "$n"
	# The kernel pinging its own fd00::1 prints the reference lines.
	ns_exec ping -6 -c 3 -i 0.2 fd00::1 >"$WORK/kping6.out" 2>&1
	mask_times "$WORK/ping6.out" >"$WORK/ping6.masked"
	mask_times "$WORK/kping6.out" >"$WORK/kping6.masked"
	check "the same lines as iputils' ping -6, times masked" \
		cmp -s "$WORK/ping6.masked" "$WORK/kping6.masked"
	diff "$WORK/kping6.masked" "$WORK/ping6.masked"
	tool_ok "tapstack ping" "$WORK/ping6.err"
	req=$(tshark -r "$WORK/ping6.pcap" -Y 'icmpv6.type == 128 && ipv6.src == fd00::2 && ipv6.dst == fd00::1' \
		2>/dev/null | wc -l)
	eq "three echo requests from fd00::2 in the capture" 3 "$req"
	rep=$(tshark -r "$WORK/ping6.pcap" -Y 'icmpv6.type == 129 && ipv6.dst == fd00::2' 2>/dev/null | wc -l)
	eq "three echo replies in the capture" 3 "$rep"
	bad=$(tshark -r "$WORK/ping6.pcap" -Y '_ws.malformed || icmpv6.checksum.status == "Bad"' \
		2>/dev/null | wc -l)
	eq "no malformed frame, no bad ICMPv6 checksum" 0 "$bad"
}

# A link-local target with ping(8)'s zone: sent from the stack's link-local
# address, replies printed with the zone as iputils prints them.
test_ping6_link_local() {
	need_tap6
	ns_exec timeout 60 "$BIN" ping fe80::1%tap0 -c 2 -i 0.2 --tap tap0 --stats \
		--pcap "$WORK/ll.pcap" >"$WORK/ll.out" 2>"$WORK/ll.err"
	eq "tapstack ping fe80::1%tap0 exits 0" 0 $?
	cat "$WORK/ll.out"
	check "first line as iputils'" grep -qx 'PING fe80::1%tap0(fe80::1%tap0) 56 data bytes' "$WORK/ll.out"
	n=$(grep -cE '^64 bytes from fe80::1%tap0: icmp_seq=[12] ttl=64 time=[0-9.]+ ms$' "$WORK/ll.out")
	eq "two replies from fe80::1%tap0" 2 "$n"
	req=$(tshark -r "$WORK/ll.pcap" -Y 'icmpv6.type == 128 && ipv6.src == fe80::ff:fe00:2' \
		2>/dev/null | wc -l)
	eq "requests from the stack's link-local address (RFC 6724 scope)" 2 "$req"
	tool_ok "tapstack ping" "$WORK/ll.err"
}

# Nobody at fd00::9: every request lost, exit 1, the statistics still printed.
test_ping6_no_answer() {
	need_tap6
	ns_exec timeout 60 "$BIN" ping fd00::9 -c 2 -i 0.2 -W 1 --tap tap0 >"$WORK/lost.out" 2>&1
	eq "tapstack ping fd00::9 exits 1" 1 $?
	check "2 transmitted, 0 received" \
		grep -q '^2 packets transmitted, 0 received, 100% packet loss' "$WORK/lost.out"
}

# HTTP GET over IPv6 from nc on the kernel side: the body byte for byte,
# the request's Host in brackets (RFC 9110 §7.2), the zone never sent.
get6() { # URL PORT
	head -c 200000 /dev/urandom >"$WORK/page"
	(printf 'HTTP/1.1 200 OK\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n'
		cat "$WORK/page") >"$WORK/resp"
	rm -f "$WORK/got" "$WORK/req"
	ns_exec timeout 30 nc -6 -N -l "$2" <"$WORK/resp" >"$WORK/req" 2>&1 &
	srv=$!
	sleep 0.3
	ns_exec timeout 30 "$BIN" get "$1" -o "$WORK/got" --tap tap0 --stats 2>"$WORK/get.err"
	eq "tapstack get $1 exits 0" 0 $?
	wait $srv
	eq "body byte-exact" "$(sha256sum <"$WORK/page" | cut -d' ' -f1)" \
		"$(sha256sum <"$WORK/got" 2>/dev/null | cut -d' ' -f1)"
	tool_ok "tapstack get" "$WORK/get.err"
}

test_get6_kernel() {
	need_tap6
	get6 'http://[fd00::1]:8000/page' 8000
	check "GET /page with Host: [fd00::1]:8000" \
		sh -c "grep -q '^GET /page HTTP/1.1' '$WORK/req' && grep -q '^Host: \[fd00::1\]:8000' '$WORK/req'"
}

test_get6_zone() {
	need_tap6
	get6 'http://[fe80::1%25tap0]:8001/z' 8001
	check "Host: [fe80::1]:8001, without the zone (RFC 6874 §4)" \
		grep -q '^Host: \[fe80::1\]:8001' "$WORK/req"
}

# Bad URLs and HOSTs: one line saying what is wrong, exit 2 (a bad command
# line), before any TAP is opened.
bad() { # what expected-text command...
	_what=$1 _want=$2
	shift 2
	ns_exec "$BIN" "$@" --tap tap9 >"$WORK/bad.out" 2>&1
	eq "$_what: exit 2" 2 $?
	check "$_what: says '$_want'" grep -qF "$_want" "$WORK/bad.out"
	eq "$_what: one line" 1 "$(wc -l <"$WORK/bad.out")"
}

test_bad_urls_and_hosts() {
	ts_ns
	bad "missing ]" "missing ']' after the IPv6 address" get 'http://[fd00::1:8000/'
	bad "no brackets" "needs brackets (RFC 3986 §3.2.2): http://[fd00::1]/" get 'http://fd00::1/'
	bad "a name in brackets" "bad IPv6 address in URL: '[example.com]'" get 'http://[example.com]/'
	bad "text after ]" "unexpected 'x' after ']'" get 'http://[fd00::1]x/'
	bad "bare % zone" "bad zone in IPv6 address" get 'http://[fe80::1%tap0]/'
	bad "a host name" "host names are not supported" get 'http://example.com/'
	bad "ping a name" "bad HOST 'example.com': expected an IPv4 or IPv6 address" ping example.com
	bad "ping a bad address" "bad HOST 'fd00::1::2'" ping fd00::1::2
	check "no TAP was created" sh -c "! ip netns exec '$NS' ip link show tap9 >/dev/null 2>&1"
}

run_tests
