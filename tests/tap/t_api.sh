#!/bin/sh
# t_api.sh - issue 8's socket calls and options from a program that links
# the library (tests/tools/api_probe.c), on a real TAP with the kernel as
# the peer: blocking connect/accept/read/write, poll, readv/writev,
# sendmsg/recvmsg, MSG_WAITALL, MSG_PEEK, SO_RCVLOWAT, FIONREAD, TCP_INFO,
# SO_LINGER and SO_BROADCAST, with python3 sockets on the kernel side, and
# tshark looking at what IP_TOS, IP_TTL and TCP_MAXSEG put on the wire.
. "$(dirname "$0")/lib.sh"

PROBE=$(dirname "$BIN")/tests/api_probe
PY=$(command -v /usr/bin/python3 || command -v python3)
[ -x "$PROBE" ] || {
	echo "missing $PROBE: make V=asan tests"
	exit 1
}

# The kernel's side: a TCP echo (one client, everything back until EOF), a
# UDP echo (n datagrams back to their sender), a client for the probe's
# server (100000 bytes in chunks, then the same bytes back, then EOF).
cat >"$WORK/peer.py" <<'EOF'
import socket, sys, time
kind, port = sys.argv[1], int(sys.argv[2])
if kind == "tcp-echo":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(1)
    c, _ = s.accept()
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.close()
elif kind == "udp-echo":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", port))
    for _ in range(int(sys.argv[3])):
        d, a = s.recvfrom(65536)
        s.sendto(d, a)
else:
    s = socket.create_connection(("10.0.0.2", port), timeout=30)
    data = bytes((i + 7) % 251 for i in range(100000))
    for i in range(0, len(data), 10000):
        s.sendall(data[i:i + 10000])
        time.sleep(0.02)
    got = b""
    while len(got) < len(data):
        d = s.recv(65536)
        if not d:
            break
        got += d
    s.shutdown(socket.SHUT_WR)
    rest = s.recv(1)
    sys.exit(0 if got == data and rest == b"" else 1)
EOF

# wait_for CMD...: up to 10 s for CMD to succeed.
wait_for() {
	i=0
	while [ $i -lt 100 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# count FILE FILTER: frames of the capture that match the display filter.
count() {
	tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}

ts_ns

# 1. Active open from the probe to a kernel echo server.
ns_exec "$PY" "$WORK/peer.py" tcp-echo 9000 &
echo_pid=$!
wait_for ns_exec sh -c "ss -Hltn 'sport = :9000' | grep -q 9000"
ns_exec timeout 60 "$PROBE" --pcap "$WORK/client.pcap" client 10.0.0.1 9000 >"$WORK/client.out" 2>&1
rc=$?
sed 's/^/  probe: /' "$WORK/client.out"
eq "probe client: every check passed" 0 $rc
wait $echo_pid
eq "kernel echo server saw a clean close" 0 $?
f=$WORK/client.pcap
eq "SYN announces TCP_MAXSEG 1000" 1000 \
	"$(tshark -r "$f" -Y 'ip.src==10.0.0.2 && tcp.flags.syn==1 && tcp.flags.ack==0' -T fields -e tcp.options.mss_val 2>/dev/null)"
ours=$(count "$f" 'ip.src==10.0.0.2 && tcp')
check "the probe sent TCP ($ours segments)" test "$ours" -gt 100
eq "every segment carries IP_TOS 0xb8 and IP_TTL 33" 0 \
	"$(count "$f" 'ip.src==10.0.0.2 && tcp && !(ip.dsfield==0xb8 && ip.ttl==33)')"
eq "no segment above the MSS (988 with timestamps)" 0 "$(count "$f" 'ip.src==10.0.0.2 && tcp.len > 988')"
check "full segments are 988 bytes" test "$(count "$f" 'ip.src==10.0.0.2 && tcp.len == 988')" -gt 100
check "the kernel sent no segment above 988 either" test "$(count "$f" 'ip.src==10.0.0.1 && tcp.len > 988')" -eq 0
check "client capture: clean" pcap_clean "$f"

# 2. Passive open: the kernel connects to the probe.
ns_exec timeout 60 "$PROBE" --pcap "$WORK/server.pcap" server 9001 >"$WORK/server.out" 2>&1 &
probe_pid=$!
wait_for grep -q listening "$WORK/server.out"
ns_exec timeout 60 "$PY" "$WORK/peer.py" client 9001
eq "kernel client: 100000 bytes echoed byte-exact, then end of stream" 0 $?
wait $probe_pid
rc=$?
sed 's/^/  probe: /' "$WORK/server.out"
eq "probe server: every check passed" 0 $rc
check "server capture: clean" pcap_clean "$WORK/server.pcap"

# 3. Datagrams.
ns_exec "$PY" "$WORK/peer.py" udp-echo 9002 2 &
udp_pid=$!
wait_for ns_exec sh -c "ss -Hlun 'sport = :9002' | grep -q 9002"
ns_exec timeout 60 "$PROBE" --pcap "$WORK/udp.pcap" udp 10.0.0.1 9002 >"$WORK/udp.out" 2>&1
rc=$?
sed 's/^/  probe: /' "$WORK/udp.out"
eq "probe udp: every check passed" 0 $rc
wait $udp_pid
f=$WORK/udp.pcap
eq "datagrams carry IP_TOS 0x2d (ECN bits too) and IP_TTL 33" 3 \
	"$(count "$f" 'ip.src==10.0.0.2 && udp && ip.dsfield==0x2d && ip.ttl==33')"
eq "one broadcast, sent only with SO_BROADCAST" 1 "$(count "$f" 'ip.src==10.0.0.2 && ip.dst==10.0.0.255')"
check "udp capture: clean" pcap_clean "$f"
