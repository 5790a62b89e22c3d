#!/bin/sh
# t_capture.sh - issue 15: the capture as Wireshark users take it.
#   live: `serve --pcap -` streams pcap on stdout (all else on stderr) and
#         tshark reading the pipe (`tshark -i -`) shows curl's GET /hello
#         and its 200 while the server still runs
#   live pcapng: the same with `--pcapng -`, each frame's direction shown
#   drops: `--pcapng FILE` marks each frame's direction (epb_flags) and
#         comments every received frame the stack dropped with its reason;
#         hand-made hostile frames (bad UDP checksum, bad IPv4 header
#         checksum, an out-of-window TCP segment) come out of
#         `frame.comment contains "drop"` with their reasons, and that
#         filter lists exactly as many frames as the stack counted dropped
#   bad path: `--pcapng` on an unwritable path says which and why (exit 1)
#   docs: docs/wireshark.md's tshark listing is still true of the
#         committed recording
. "$(dirname "$0")/lib.sh"

STACK_MAC=02:00:00:00:00:02

# Waits (up to 5 s) until FILE has a line matching the extended regex RE.
wait_line() {
	i=0
	while [ $i -lt 50 ]; do
		grep -qE "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

test_live_pipe() {
	ts_need_no_stack
	rm -f "$WORK/live.fifo"
	mkfifo "$WORK/live.fifo"
	# tshark reads the capture from its standard input as a live interface,
	# printing each frame as it comes (-l): the README's command.
	tshark -l -i - -T fields -e frame.number -e http.request.method -e http.response.code \
		<"$WORK/live.fifo" >"$WORK/live.txt" 2>"$WORK/live.tshark.err" &
	tshark_pid=$!
	# $! is tapstack itself (ip netns exec execs it), so SIGTERM reaches it.
	ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
		${TS_OFFLOAD:+--offload=$TS_OFFLOAD} ${TS_IO:+--io=$TS_IO} ${TS_MODEL:+--model=$TS_MODEL} --stats \
		--pcap - >"$WORK/live.fifo" 2>"$WORK/live.err" &
	live_pid=$!
	i=0
	until ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 50 ] && kill -0 "$live_pid" 2>/dev/null || break
		sleep 0.1
	done
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl GET /hello through the stack" "Hello, world!" "$body"
	check "tshark -i - shows the GET as it happens" wait_line "$WORK/live.txt" "	GET	"
	check "tshark -i - shows the 200 as it happens" wait_line "$WORK/live.txt" "	200\$"
	check "the server still runs meanwhile" kill -0 "$live_pid"
	kill -TERM "$live_pid"
	wait "$live_pid"
	eq "tapstack --pcap - exits 0 on SIGTERM" 0 "$?"
	wait "$tshark_pid"
	eq "tshark ends cleanly at the end of the pipe" 0 "$?"
	check "everything else went to stderr" grep -q "^tapstack: serving on tap0" "$WORK/live.err"
	check "no sanitizer report" sh -c "! grep -q Sanitizer '$WORK/live.err'"
	check "tshark found nothing but pcap on stdout" sh -c "! grep -qiE 'error|not a|unknown' '$WORK/live.tshark.err'"
}

# --pcapng - streams pcapng the same way: tshark -i - reads it as it comes,
# with the direction of each frame.
test_live_pcapng_pipe() {
	ts_need_no_stack
	rm -f "$WORK/ng.fifo"
	mkfifo "$WORK/ng.fifo"
	tshark -l -i - -T fields -e frame.packet_flags_direction -e http.request.method \
		-e http.response.code <"$WORK/ng.fifo" >"$WORK/ng.txt" 2>"$WORK/ng.tshark.err" &
	tshark_pid=$!
	ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
		${TS_OFFLOAD:+--offload=$TS_OFFLOAD} ${TS_IO:+--io=$TS_IO} ${TS_MODEL:+--model=$TS_MODEL} \
		--pcapng - >"$WORK/ng.fifo" 2>"$WORK/ng.err" &
	ng_pid=$!
	i=0
	until ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 50 ] && kill -0 "$ng_pid" 2>/dev/null || break
		sleep 0.1
	done
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl GET /hello through the stack" "Hello, world!" "$body"
	check "tshark -i - shows the GET, inbound, as it happens" \
		wait_line "$WORK/ng.txt" "^0x0*1	GET	"
	check "and the 200, outbound" wait_line "$WORK/ng.txt" "^0x0*2		200\$"
	check "the server still runs meanwhile" kill -0 "$ng_pid"
	kill -TERM "$ng_pid"
	wait "$ng_pid"
	eq "tapstack --pcapng - exits 0 on SIGTERM" 0 "$?"
	wait "$tshark_pid"
	eq "tshark ends cleanly at the end of the pipe" 0 "$?"
}

# One hand-made frame on tap0 (tests/tools/inject.py: what, the stack's MAC, args).
inject() {
	ns_exec python3 "$TOP/tests/tools/inject.py" "$@"
}

ng_count() {
	tshark -r "$WORK/drops.pcapng" -Y "$1" 2>/dev/null | wc -l
}

test_pcapng_drops() {
	ts_need "--pcapng=$WORK/drops.pcapng"
	# A connection to discard (port 9) from port 40001, held open a while.
	ns_exec timeout 6 sh -c 'sleep 7 | nc -p 40001 10.0.0.2 9' >/dev/null 2>&1 &
	nc_pid=$!
	i=0
	seq=""
	while [ $i -lt 50 ] && [ -z "$seq" ]; do
		# The kernel's last segment of it, from the stack's own pcap.
		set -- $(tshark -r "$WORK/tapstack.pcap" -Y 'tcp.srcport == 40001 && tcp.flags.ack == 1' \
			-T fields -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null | tail -n 1)
		seq=${1:-}
		ack=${2:-}
		[ -z "$seq" ] && sleep 0.1
		i=$((i + 1))
	done
	check "connection 40001 -> 9 established (seq $seq ack $ack)" [ -n "$seq" ]
	[ -n "$seq" ] || return 0
	# A quarter of the sequence space ahead: beyond any window, not an old
	# duplicate (RFC 9293 3.10.7.4).
	bad_seq=$(((seq + 1073741824) % 4294967296))
	inject udp_bad_csum $STACK_MAC
	inject ipv4_bad_csum $STACK_MAC
	inject tcp_out_of_window $STACK_MAC 40001 9 $bad_seq "$ack"
	sleep 0.3
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl GET /hello meanwhile" "Hello, world!" "$body"
	kill "$nc_pid" 2>/dev/null
	wait "$nc_pid" 2>/dev/null
	ts_stop

	ng=$WORK/drops.pcapng
	check "tshark reads the pcapng" sh -c "tshark -r '$ng' >/dev/null 2>&1"
	eq "one interface, named after the TAP (though --pcap wraps it too)" "tap0" \
		"$(tshark -r "$ng" -T fields -e frame.interface_name 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')"
	eq "bad UDP checksum: its reason" 1 \
		"$(ng_count 'udp.srcport == 40007 && frame.comment == "drop: UDP_BAD_CSUM (udp, RFC 1122 4.1.3.4)"')"
	eq "bad IPv4 header checksum: its reason" 1 \
		"$(ng_count 'ip.id == 0xbad1 && frame.comment == "drop: IPV4_BAD_CSUM (ipv4, RFC 1122 3.2.1.2)"')"
	eq "out-of-window segment: its reason" 1 \
		"$(ng_count "tcp.seq_raw == $bad_seq && frame.comment == \"drop: TCP_OUT_OF_WINDOW (tcp, RFC 9293 3.10.7.4)\"")"
	# Exactly what the stack refused: as many commented frames as it
	# counted received frames dropped (the accounting line of --stats).
	dropped=$(sed -n 's/^accounting: .* + \([0-9]*\) dropped + .*/\1/p' "$WORK/tapstack.err" | tail -n 1)
	eq "frame.comment contains \"drop\" lists every drop the stack counted" "$dropped" \
		"$(ng_count 'frame.comment contains "drop"')"
	eq "no comment on a frame the stack sent" 0 \
		"$(ng_count "frame.comment && eth.src == $STACK_MAC")"
	tshark -r "$ng" -Y 'frame.comment contains "drop"' -T fields -e frame.comment 2>/dev/null |
		sort | uniq -c | sed 's/^/      /'
	# Direction flags on every frame: outbound (2) what the stack sent,
	# inbound (1) the rest.
	total=$(ng_count "frame")
	eq "pcapng holds as many frames as the pcap ($total)" \
		"$(tshark -r "$WORK/tapstack.pcap" 2>/dev/null | wc -l)" "$total"
	check "and they are the run's ($total > 10)" [ "$total" -gt 10 ]
	eq "every frame the stack sent is outbound" "$(ng_count "eth.src == $STACK_MAC")" \
		"$(ng_count "eth.src == $STACK_MAC && frame.packet_flags_direction == 2")"
	eq "every frame it received is inbound" "$(ng_count "eth.src != $STACK_MAC")" \
		"$(ng_count "eth.src != $STACK_MAC && frame.packet_flags_direction == 1")"
	# The ACK that answered the out-of-window segment comes after it.
	n_bad=$(tshark -r "$ng" -Y "tcp.seq_raw == $bad_seq" -T fields -e frame.number 2>/dev/null)
	n_ans=$(tshark -r "$ng" -Y "eth.src == $STACK_MAC && tcp.dstport == 40001 && frame.number > ${n_bad:-0}" \
		-T fields -e frame.number 2>/dev/null | head -n 1)
	check "its answer follows it (frames $n_bad, $n_ans)" [ -n "$n_ans" ]
}

test_bad_path() {
	ts_need_no_stack
	ip netns exec "$NS" "$BIN" serve --tap tap0 --pcapng /nonexistent/dir/x.pcapng \
		>"$WORK/bad.out" 2>"$WORK/bad.err"
	eq "--pcapng to an unwritable path: exit 1" 1 "$?"
	check "the message names the option, the file and the reason ($(cat "$WORK/bad.err" | tail -n 1))" \
		grep -qx "tapstack: --pcapng: /nonexistent/dir/x.pcapng: No such file or directory" "$WORK/bad.err"
}

# docs/wireshark.md quotes tshark on the committed recording
# (docs/captures/record-drops.sh): it still says that, line for line.
test_docs_recording() {
	rec=$TOP/docs/captures
	got=$(tshark -r "$rec/drops.pcapng" -Y 'frame.comment contains "drop"' \
		-T fields -e frame.number -e frame.packet_flags_direction -e frame.comment 2>/dev/null)
	eq "docs/captures/drops.pcapng lists what drops.tshark.txt says" \
		"$(cat "$rec/drops.tshark.txt")" "$got"
	missing=0
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		grep -qxF -- "$line" "$TOP/docs/wireshark.md" || missing=$((missing + 1))
	done <"$rec/drops.tshark.txt"
	eq "docs/wireshark.md quotes every line of drops.tshark.txt" 0 "$missing"
}

run_tests
