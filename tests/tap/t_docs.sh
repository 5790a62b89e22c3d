#!/bin/sh
# t_docs.sh - the documentation stays true.  docs/syscalls.md shows the
# --trace api lines of one `curl /hello`, in the order of Go's hello server
# under strace: socket (AF_INET6), setsockopt IPV6_V6ONLY 0, setsockopt
# SO_REUSEADDR, bind [::]:8080, listen 4096, epoll_create1, epoll_ctl ADD,
# accept4 = EAGAIN, epoll_wait, accept4 = fd (peer ::ffff:10.0.0.1), read,
# write, close.  This runs the stack with --trace api, does that curl, and
# checks that the same calls appear in the same order, both in this run and
# in the committed recording (docs/captures/hello.trace.txt) the page quotes.
# docs/layers.md annotates docs/captures/hello.pcap byte by byte, and in its
# last section ("The same request over IPv6") docs/captures/hello6.pcap; for
# each, this checks that the committed capture still parses in tshark (the
# request, a 200 response, no malformed frame, no bad checksum), that every
# byte the part quotes is its request frame's byte at that offset, and that
# every trace or tshark line the pages quote is a line of the committed
# recordings of that capture; and that a fresh capture of the IPv4 curl has
# the same layers.  docs/netpoll.md quotes the --trace sched,api of one
# request to docs/examples/netpoll: each quoted line is in its recording
# (docs/captures/netpoll.trace.txt), which has the seed's order.
. "$(dirname "$0")/lib.sh"

DOCS=$TOP/docs
REC=$DOCS/captures
CAP=$REC/hello.pcap

# The one run the tests on "this run" read: a fresh stack with --trace api,
# one curl /hello, then the stop (which flushes the capture).  Made once, by
# whichever of those tests runs first.
DOCS_RUN=""
docs_run() {
	[ -z "$DOCS_RUN" ] || return 0
	DOCS_RUN=1
	# Fresh: the trace must begin with the stack's first call.
	ts_stop
	ts_start --trace api

	ns_exec curl -s -m 5 -o "$WORK/body" -w '%{http_code}' http://10.0.0.2:8080/hello >"$WORK/code" 2>&1
	eq "curl /hello: 200" 200 "$(cat "$WORK/code")"
	check "curl /hello: body is 'Hello, world!'" grep -qx 'Hello, world!' "$WORK/body"
	# The server's close(C) follows the client's FIN: give it a bounded moment.
	i=0
	while [ $i -lt 50 ] && ! grep -qE '^read\([0-9]+, "", 16384\) = 0$' "$WORK/tapstack.err"; do
		sleep 0.1
		i=$((i + 1))
	done
	ts_stop
}

test_hello_run() {
	docs_run
}

# ---- docs/syscalls.md: the --trace api sequence ------------------------------
# step FILE "what" ERE: the first line of FILE matching ERE after the
# previous step's line (AT).
step() {
	CHECKS=$((CHECKS + 1))
	n=$(grep -nE -- "$3" "$1" | awk -F: -v after="$AT" '$1 > after { print $1; exit }')
	if [ -n "$n" ]; then
		echo "ok   $LABEL in order: $2 (line $n)"
		AT=$n
	else
		FAILS=$((FAILS + 1))
		echo "FAIL $LABEL in order: $2: no line after $AT matches: $3"
	fi
}

# lineno FILE ERE: number of the first line of FILE matching ERE (999999 if none).
lineno() {
	n=$(grep -nE -- "$2" "$1" | head -n 1 | cut -d: -f1)
	echo "${n:-999999}"
}

# api_order LABEL TRACE: the checks on one --trace api (or combined) output.
api_order() {
	LABEL=$1
	A=$WORK/api.$1
	# Only the strace-style lines: "name(args) = result".
	grep -E '^[a-z_0-9]+\(.*\) = ' "$2" >"$A"
	L=$(sed -n 's/^bind(\([0-9][0-9]*\), .*htons(8080).*) = 0$/\1/p' "$A" | head -n 1)
	E=$(sed -n 's/^epoll_create1([^)]*) = \([0-9][0-9]*\)$/\1/p' "$A" | head -n 1)
	C=""
	[ -n "$L" ] && C=$(sed -n "s/^accept4($L, {.*) = \\([0-9][0-9]*\\)\$/\\1/p" "$A" | head -n 1)
	# docs/syscalls.md quotes the descriptors: 3 for the listener (as Go's
	# socket), 4 for the epoll set; the connection's number follows the
	# services' 5, 6 and 7.
	eq "$LABEL: HTTP listener fd 3, epoll set fd 4" "3 4" "${L:-?} ${E:-?}"
	check "$LABEL: connection fd found (${C:-?})" test -n "$C"
	L=${L:-X} E=${E:-X} C=${C:-X}

	# The order docs/syscalls.md shows, one ERE per line it quotes.
	AT=0
	step "$A" "socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_TCP)" \
		"^socket\(AF_INET6, SOCK_STREAM\|SOCK_CLOEXEC\|SOCK_NONBLOCK, IPPROTO_TCP\) = $L\$"
	eq "$LABEL: the listener's socket is the first call" 1 "$AT"
	step "$A" "setsockopt IPV6_V6ONLY 0: dual stack" "^setsockopt\($L, SOL_IPV6, IPV6_V6ONLY, \[0\], 4\) = 0\$"
	step "$A" "setsockopt SO_REUSEADDR" "^setsockopt\($L, SOL_SOCKET, SO_REUSEADDR, \[1\], 4\) = 0\$"
	step "$A" "bind [::]:8080" \
		"^bind\($L, \{sa_family=AF_INET6, sin6_port=htons\(8080\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, \"::\", &sin6_addr\), sin6_scope_id=0\}, 28\) = 0\$"
	step "$A" "listen backlog 4096" "^listen\($L, 4096\) = 0\$"
	step "$A" "epoll_create1(EPOLL_CLOEXEC), after listen" "^epoll_create1\(EPOLL_CLOEXEC\) = $E\$"
	step "$A" "epoll_ctl ADD listener, edge-triggered" \
		"^epoll_ctl\($E, EPOLL_CTL_ADD, $L, \{events=EPOLLIN\|EPOLLOUT\|EPOLLRDHUP\|EPOLLET, .*\) = 0\$"
	step "$A" "accept4 at once: EAGAIN" \
		"^accept4\($L, 0x[0-9a-f]+, \[28\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) = -1 EAGAIN \(Resource temporarily unavailable\)\$"
	EAGAIN_AT=$AT
	step "$A" "epoll_wait" "^epoll_wait\($E, "
	step "$A" "epoll_wait reports the listener readable" "^epoll_wait\($E, \[\{events=EPOLLIN, .*\], 128, -1\) = 1\$"
	step "$A" "accept4 = connection fd, peer ::ffff:10.0.0.1 (v4-mapped)" \
		"^accept4\($L, \{sa_family=AF_INET6, sin6_port=htons\([0-9]+\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, \"::ffff:10\.0\.0\.1\", &sin6_addr\), sin6_scope_id=0\}, \[28\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) = $C\$"
	AFTER_ACCEPT=$AT
	step "$A" "epoll_ctl ADD connection" \
		"^epoll_ctl\($E, EPOLL_CTL_ADD, $C, \{events=EPOLLIN\|EPOLLOUT\|EPOLLRDHUP\|EPOLLET, "
	step "$A" "getsockname ::ffff:10.0.0.2" \
		"^getsockname\($C, \{sa_family=AF_INET6, sin6_port=htons\(8080\), sin6_flowinfo=htonl\(0\), inet_pton\(AF_INET6, \"::ffff:10\.0\.0\.2\", &sin6_addr\), sin6_scope_id=0\}, \[28\]\) = 0\$"
	step "$A" "setsockopt TCP_NODELAY" "^setsockopt\($C, SOL_TCP, TCP_NODELAY, \[1\], 4\) = 0\$"
	step "$A" "read the request" "^read\($C, \"GET /hello HTTP/1\.1\\\\r\\\\nHost: 10\.0\.\"\.\.\., 16384\) = 82\$"
	step "$A" "write the response, 131 bytes" "^write\($C, \"HTTP/1\.1 200 OK\\\\r\\\\nDate: .*, 131\) = 131\$"
	step "$A" "read after the response: EAGAIN" "^read\($C, 0x[0-9a-f]+, 16384\) = -1 EAGAIN "
	step "$A" "epoll_wait reports the FIN: EPOLLIN|EPOLLOUT|EPOLLRDHUP" \
		"^epoll_wait\($E, \[\{events=EPOLLIN\|EPOLLOUT\|EPOLLRDHUP, .*\], 128, [0-9]+\) = 1\$"
	step "$A" "read = 0 (end of file)" "^read\($C, \"\", 16384\) = 0\$"
	step "$A" "close the connection" "^close\($C\) = 0\$"
	# Where the accept loop's closing EAGAIN falls relative to the first
	# read depends on whether the request segment beat the accept: only
	# "after accept4 = C".
	AT=$AFTER_ACCEPT
	step "$A" "accept4 again: EAGAIN ends the accept loop" \
		"^accept4\($L, 0x[0-9a-f]+, \[28\], SOCK_CLOEXEC\|SOCK_NONBLOCK\) = -1 EAGAIN "

	# Go's Accept tries before it parks: the first accept4 is the EAGAIN
	# one, and no epoll_wait comes before it.
	eq "$LABEL: the first accept4 is the EAGAIN before any epoll_wait" \
		"$EAGAIN_AT" "$(lineno "$A" "^accept4\($L,")"
	check "$LABEL: no epoll_wait before that accept4" \
		test "$(lineno "$A" '^epoll_wait\(')" -gt "$EAGAIN_AT"
	# Then the services join the same epoll set, still before the first wait.
	sed -n "$((EAGAIN_AT + 1)),\$p" "$A" | sed '/^epoll_wait(/,$d' >"$A.svc"
	eq "$LABEL: echo, discard and UDP echo added to epoll set $E before the first epoll_wait" 3 \
		"$(grep -cE "^epoll_ctl\($E, EPOLL_CTL_ADD, [0-9]+, " "$A.svc")"
	check "$LABEL: those are TCP 7, TCP 9 and UDP 7, dual-stack AF_INET6 sockets" sh -c "
		grep -qE '^socket\(AF_INET6, SOCK_STREAM.* = 5\$' '$A.svc' &&
		grep -qE '^bind\(5, \{sa_family=AF_INET6, sin6_port=htons\(7\), .*\"::\".*, 28\) = 0\$' '$A.svc' &&
		grep -qE '^socket\(AF_INET6, SOCK_STREAM.* = 6\$' '$A.svc' &&
		grep -qE '^bind\(6, \{sa_family=AF_INET6, sin6_port=htons\(9\), .*\"::\".*, 28\) = 0\$' '$A.svc' &&
		grep -qE '^socket\(AF_INET6, SOCK_DGRAM.* = 7\$' '$A.svc' &&
		grep -qE '^bind\(7, \{sa_family=AF_INET6, sin6_port=htons\(7\), .*\"::\".*, 28\) = 0\$' '$A.svc' &&
		test \$(grep -cE '^setsockopt\([567], SOL_IPV6, IPV6_V6ONLY, \[0\], 4\) = 0\$' '$A.svc') -eq 3"
	check "$LABEL: the trace names the call and the errno, as strace does" \
		grep -qE '= -1 EAGAIN \(Resource temporarily unavailable\)$' "$A"
}

test_api_order_this_run() {
	docs_run
	api_order "this run" "$WORK/tapstack.err"
}

test_api_order_recording() {
	api_order "hello.trace.txt" "$REC/hello.trace.txt"
}

# The start-up (every call before the first epoll_wait) is deterministic:
# this run's must be docs/syscalls.md's tapstack block, pointers and epoll
# data (addresses that change every run) aside.
mask() {
	sed -E 's/data=\{u32=[0-9]+, u64=[0-9]+\}/data={…}/; s/0x[0-9a-f]+/0x…/g' | sed '/^epoll_wait(/,$d'
}
test_startup_calls() {
	docs_run
	awk '/^## tapstack: `--trace api`/ { s = 1 } s && /^```/ { if (inb) exit; inb = 1; next } inb' \
		"$DOCS/syscalls.md" | mask >"$WORK/doc.startup"
	grep -E '^[a-z_0-9]+\(.*\) = ' "$WORK/tapstack.err" | mask >"$WORK/run.startup"
	check "the start-up calls ($(wc -l <"$WORK/doc.startup") lines) are docs/syscalls.md's, call for call" \
		sh -c "test -s '$WORK/doc.startup' && cmp -s '$WORK/doc.startup' '$WORK/run.startup'"
}

# ---- the recordings the pages quote -------------------------------------------
# codelines FILE: the lines inside ``` blocks.
codelines() {
	awk '/^```/ { inb = !inb; next } inb' "$1"
}
# docs/layers.md walks through hello.pcap first and ends with the section
# "The same request over IPv6" on hello6.pcap: each part is checked against
# its own recordings.
V6HEAD='^## The same request over IPv6'
layers_v4() { sed "/$V6HEAD/,\$d" "$DOCS/layers.md"; }
layers_v6() { sed -n "/$V6HEAD/,\$p" "$DOCS/layers.md"; }

# quoted_in WHAT QUOTED RECORDING...: every trace or tshark line of QUOTED
# (ts_ calls, rx/tx frames, TCP state changes, Go's strace lines with the
# thread id first, tshark's frame list) is a line of one of the RECORDINGs.
quoted_in() {
	qwhat=$1 q=$2
	shift 2
	grep -E '^([a-z_0-9]+\(.*\) = |(rx|tx) eth |tcp [0-9]|[0-9]+ [a-z_0-9<-]| +[0-9]+ +[0-9]+\.[0-9]{6} )' \
		"$q" >"$q.trace"
	missing=0
	while IFS= read -r line; do
		grep -qxF -- "$line" "$@" || {
			missing=$((missing + 1))
			echo "#    not recorded: $line"
		}
	done <"$q.trace"
	check "$qwhat quotes trace lines ($(wc -l <"$q.trace"))" test -s "$q.trace"
	eq "every trace line $qwhat quotes is in$(for f; do printf ' %s' "${f##*/}"; done)" 0 "$missing"
}

# quotes_whole WHAT PAGEPART FILE: every non-empty line of FILE is a line of
# PAGEPART.
quotes_whole() {
	missing=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -qxF -- "$line" "$2" || missing=$((missing + 1))
	done <"$3"
	eq "$1 quotes every line of ${3##*/}" 0 "$missing"
}

test_quoted_lines() {
	{
		codelines "$DOCS/syscalls.md"
		layers_v4 >"$WORK/layers.v4" && codelines "$WORK/layers.v4"
	} >"$WORK/quoted.v4"
	quoted_in "docs/syscalls.md and docs/layers.md (IPv4)" "$WORK/quoted.v4" \
		"$REC/hello.trace.txt" "$REC/go-hello.strace.txt" "$REC/hello.tshark.txt"
	# tshark's views of the capture are quoted whole in docs/layers.md.
	for f in hello.tshark.txt hello.tshark-request.txt hello.tshark-request-hex.txt; do
		quotes_whole "docs/layers.md" "$WORK/layers.v4" "$REC/$f"
	done
}

test_quoted_lines_v6() {
	layers_v6 >"$WORK/layers.v6"
	check "docs/layers.md has the section 'The same request over IPv6'" test -s "$WORK/layers.v6"
	codelines "$WORK/layers.v6" >"$WORK/quoted.v6"
	quoted_in "docs/layers.md (IPv6)" "$WORK/quoted.v6" "$REC/hello6.trace.txt" "$REC/hello6.tshark.txt"
	for f in hello6.tshark.txt hello6.tshark-request-hex.txt; do
		quotes_whole "docs/layers.md (IPv6)" "$WORK/layers.v6" "$REC/$f"
	done
	# Of the -V view, the IPv6 header: every line of it.
	sed -n '/^Internet Protocol Version 6/,/^Transmission Control Protocol/p' \
		"$REC/hello6.tshark-request.txt" | sed '$d' >"$WORK/ipv6-header-of-hello6.tshark-request.txt"
	check "hello6.tshark-request.txt has an IPv6 header" test -s "$WORK/ipv6-header-of-hello6.tshark-request.txt"
	quotes_whole "docs/layers.md (IPv6)" "$WORK/layers.v6" "$WORK/ipv6-header-of-hello6.tshark-request.txt"
}

# ---- docs/layers.md: the committed captures ---------------------------------
# request_bytes LABEL PCAP FRAME PAGEPART HEXFILE: the request frame's hex
# dump (tshark -x) is quoted whole in PAGEPART and is HEXFILE; the per-layer
# dumps ("000e  45 00 …") and the tables' byte cells ("| 0x0e / 0 | `45` |")
# of PAGEPART are the frame's bytes at those offsets.
request_bytes() {
	tshark -r "$2" -Y "frame.number == $3" -x 2>/dev/null | sed 's/ *$//' | grep . >"$WORK/req.hex.$1"
	missing=0
	while IFS= read -r line; do
		grep -qF -- "$line" "$4" || missing=$((missing + 1))
	done <"$WORK/req.hex.$1"
	eq "docs/layers.md quotes the $1 request's hex dump ($(wc -l <"$WORK/req.hex.$1") lines)" 0 "$missing"
	check "docs/captures/${5##*/} is that dump" \
		sh -c "sed 's/ *\$//' '$5' | grep . | cmp -s - '$WORK/req.hex.$1'"
	awk '{ printf "%s", substr($0, 7, 47) }' "$WORK/req.hex.$1" | tr -d ' ' >"$WORK/req.bytes.$1"
	awk -v frame="$(cat "$WORK/req.bytes.$1")" '
		function hex(s, i, v) {
			v = 0
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v
		}
		function at(off, bytes, what) {
			gsub(/ /, "", bytes)
			n++
			if (substr(frame, off * 2 + 1, length(bytes)) != bytes) {
				bad++
				print "#    offset " what ": " bytes " is not the frame'"'"'s"
			}
		}
		/^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]  [0-9a-f][0-9a-f]( [0-9a-f][0-9a-f])*$/ {
			at(hex(substr($0, 1, 4)), substr($0, 7), substr($0, 1, 4))
		}
		/^\| 0x[0-9a-f]+[^|]*\| `[0-9a-f][0-9a-f]( [0-9a-f][0-9a-f])*` \|/ {
			split($0, f, "|")
			o = f[2]; sub(/^ *0x/, "", o); sub(/ .*$/, "", o)
			b = f[3]; sub(/^[ `]*/, "", b); sub(/[ `]*$/, "", b)
			at(hex(o), b, "0x" o)
		}
		END { print n + 0, bad + 0 }' "$4" >"$WORK/bytes.check.$1"
	grep '^#' "$WORK/bytes.check.$1" || true
	n=$(tail -n 1 "$WORK/bytes.check.$1" | cut -d' ' -f1)
	check "docs/layers.md quotes $1 bytes by offset ($n dumps and cells)" test "$n" -gt 0
	eq "every byte docs/layers.md's $1 part quotes by offset is the request frame's" \
		0 "$(tail -n 1 "$WORK/bytes.check.$1" | cut -d' ' -f2)"
}

# exchange LABEL PCAP FRAMES REQ PROTOS: the capture parses cleanly (ICMPv6
# checksums too, which tshark verifies without a preference), holds FRAMES frames, the
# request GET /hello is frame REQ with layers PROTOS, and there are one
# response (200, "Hello, world!\n") and 11 TCP segments.
exchange() {
	check "docs/captures/${2##*/}: no malformed frame, no bad checksum" pcap_clean "$2"
	n=$(tshark -r "$2" -Y icmpv6 2>/dev/null | wc -l)
	eq "${2##*/}: all $n ICMPv6 checksums good" "$n" \
		"$(tshark -r "$2" -Y 'icmpv6.checksum.status == "Good"' 2>/dev/null | wc -l)"
	eq "${2##*/} holds the $3 frames docs/layers.md lists" "$3" "$(tshark -r "$2" 2>/dev/null | wc -l)"
	req=$(tshark -r "$2" -Y 'http.request.method == "GET" && http.request.uri == "/hello"' \
		-T fields -e frame.number 2>/dev/null)
	eq "${2##*/}: the request GET /hello is frame $4" "$4" "$req"
	code=$(tshark -r "$2" -Y 'http.response' -T fields -e http.response.code 2>/dev/null)
	eq "${2##*/}: one response, 200" 200 "$code"
	body=$(tshark -r "$2" -Y 'http.response' -T fields -e http.file_data 2>/dev/null)
	# tshark prints the body's newline as the two characters backslash, n.
	eq "${2##*/}: the response body is Hello, world! and a newline" 'Hello, world!\n' "$body"
	protos=$(tshark -r "$2" -Y "frame.number == $4" -T fields -e frame.protocols 2>/dev/null)
	eq "${2##*/}: the request's layers" "$5" "$protos"
	flags=$(tshark -r "$2" -T fields -e tcp.flags.str 2>/dev/null | grep -c .)
	eq "${2##*/}: 11 TCP segments: handshake, request, response, ACKs, both FINs" 11 "$flags"
}

test_committed_capture() {
	exchange IPv4 "$CAP" 18 10 eth:ethertype:ip:tcp:http
	# Before the ARP exchange, the stack's own start: ARP announcement, MLDv2
	# report, two DAD probes; its second MLDv2 report comes last.
	eq "hello.pcap: frames 2-4 and 18 are the stack's ICMPv6 (MLDv2 report, NS, NS, MLDv2 report)" \
		"2 143 3 135 4 135 18 143" \
		"$(tshark -r "$CAP" -Y icmpv6 -T fields -e frame.number -e icmpv6.type 2>/dev/null | tr '\t\n' '  ' | sed 's/ $//')"
	layers_v4 >"$WORK/layers.v4"
	request_bytes IPv4 "$CAP" 10 "$WORK/layers.v4" "$REC/hello.tshark-request-hex.txt"
}

test_committed_capture_v6() {
	CAP6=$REC/hello6.pcap
	exchange IPv6 "$CAP6" 25 18 eth:ethertype:ipv6:tcp:http
	# Frames 13-14: the kernel's solicitation for fd00::2, the stack's
	# solicited answer.
	eq "hello6.pcap: frame 13 is an NS for fd00::2 from fd00::1, 14 the NA (solicited, override)" \
		"13 fd00::1 135 fd00::2 14 fd00::2 136 fd00::2 1 1" \
		"$(tshark -r "$CAP6" -Y 'frame.number == 13 || frame.number == 14' -T fields \
			-e frame.number -e ipv6.src -e icmpv6.type -e icmpv6.nd.ns.target_address \
			-e icmpv6.nd.na.target_address -e icmpv6.nd.na.flag.s -e icmpv6.nd.na.flag.o 2>/dev/null |
			tr '\t\n' '  ' | tr -s ' ' | sed 's/ $//')"
	layers_v6 >"$WORK/layers.v6"
	request_bytes IPv6 "$CAP6" 18 "$WORK/layers.v6" "$REC/hello6.tshark-request-hex.txt"
}

# ---- a fresh capture of the same curl has the same shape --------------------
test_fresh_capture() {
	docs_run
	check "this run's capture: no malformed frame, no bad checksum" pcap_clean "$WORK/tapstack.pcap"
	fresh=$(tshark -r "$WORK/tapstack.pcap" -Y 'http.request.uri == "/hello"' -T fields \
		-e frame.protocols -e frame.len 2>/dev/null)
	eq "this run's request: same layers, same 148 bytes" "$(printf 'eth:ethertype:ip:tcp:http\t148')" "$fresh"
}

# ---- docs/netpoll.md: the --trace sched,api of one request to the seed's program ----
# The page quotes docs/captures/netpoll.trace.txt (docs/captures/record-netpoll.sh);
# tests/tap/t_netpoll.sh checks a fresh run of the program has the same order.
NPREC=$REC/netpoll.trace.txt
test_netpoll_quoted_lines() {
	codelines "$DOCS/netpoll.md" | grep -E '^(sched |[a-z_0-9]+\(.*\) = )' >"$WORK/np.quoted"
	missing=0
	while IFS= read -r line; do
		grep -qxF -- "$line" "$NPREC" || {
			missing=$((missing + 1))
			echo "#    not recorded: $line"
		}
	done <"$WORK/np.quoted"
	check "docs/netpoll.md quotes trace lines ($(wc -l <"$WORK/np.quoted"))" test -s "$WORK/np.quoted"
	eq "every trace line docs/netpoll.md quotes is in netpoll.trace.txt" 0 "$missing"
}

test_netpoll_recording_order() {
	LABEL=netpoll.trace.txt
	AT=0
	step "$NPREC" "main task: newproc, execute" '^sched run task 1 \(go: schedule -> execute\)$'
	step "$NPREC" "Listen: socket = 3" '^socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, IPPROTO_TCP\) = 3$'
	step "$NPREC" "Listen: listen 4096" '^listen\(3, 4096\) = 0$'
	step "$NPREC" "Accept: EAGAIN -> gopark" '^sched park task 1: fd 3 accept = EAGAIN, waits for r \(go: pollDesc.waitRead -> gopark\)$'
	step "$NPREC" "netpollready" '^sched ready task 1: fd 3 r ready \(go: netpoll -> netpollready\)$'
	step "$NPREC" "execute" '^sched run task 1 \(go: schedule -> execute\)$'
	step "$NPREC" "accept = 4" '^accept\(3, NULL, NULL\) = 4$'
	step "$NPREC" "go process(conn)" '^sched go task 2 by task 1 \(go: newproc\)$'
	step "$NPREC" "Read: EAGAIN -> gopark" '^sched park task 2: fd 4 read = EAGAIN, waits for r \(go: pollDesc.waitRead -> gopark\)$'
	step "$NPREC" "netpollready" '^sched ready task 2: fd 4 r ready \(go: netpoll -> netpollready\)$'
	step "$NPREC" "read hello" '^read\(4, "hello", 1024\) = 5$'
	step "$NPREC" "write the answer" '^write\(4, "I am server!", 12\) = 12$'
	step "$NPREC" "close" '^close\(4\) = 0$'
	step "$NPREC" "goexit0" '^sched exit task 2 \(go: goexit0\)$'
}

run_tests
