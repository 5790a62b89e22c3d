#!/bin/sh
# t_netpoll.sh - the seed's Go server written in C on tasks
# (docs/examples/netpoll/main.c) on a real TAP, with nc as the client: the
# answer, many clients at once, and the --trace sched lines that show the
# seed's sections III-V (accept = EAGAIN -> gopark, netpollready, execute,
# newproc, read = EAGAIN -> gopark, ...), then a clean exit on SIGTERM.
. "$(dirname "$0")/lib.sh"

NETPOLL=$(dirname "$BIN")/examples/netpoll
[ -x "$NETPOLL" ] || {
	echo "missing $NETPOLL: make V=asan tests"
	exit 1
}
NP_PID=""

# np_start [args]: the program in the namespace, up once the kernel side answers ping.
np_start() {
	ts_need_no_stack
	ip netns exec "$NS" "$NETPOLL" --tap tap0 --host-ip 10.0.0.1/24 "$@" \
		>"$WORK/netpoll.out" 2>"$WORK/netpoll.err" &
	NP_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1 && return 0
		kill -0 "$NP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	echo "netpoll did not come up:"
	cat "$WORK/netpoll.err"
	exit 1
}

np_stop() {
	kill -TERM "$NP_PID"
	wait "$NP_PID"
	rc=$?
	NP_PID=""
	eq "netpoll exits 0 on SIGTERM" 0 "$rc"
	check "no sanitizer report" sh -c "! grep -q 'Sanitizer' '$WORK/netpoll.err'"
}

# One client: "I am server!", as the seed's Go program answers.
test_answer() {
	np_start
	got=$(printf 'hello' | ns_exec timeout 5 nc -N 10.0.0.2 9008)
	eq "the answer" "I am server!" "$got"
	np_stop
}

# 200 clients at once, each with its own task; every one is answered.
test_many_clients() {
	np_start
	(
		i=0
		while [ $i -lt 200 ]; do
			(printf 'x' | ns_exec timeout 10 nc -N 10.0.0.2 9008 >"$WORK/c.$i" 2>&1) &
			i=$((i + 1))
		done
		wait
	)
	ok=$(cat "$WORK"/c.* | grep -o 'I am server!' | wc -l)
	eq "200 clients answered" 200 "$ok"
	np_stop
}

# The trace of one request: the seed's code paths in order.
test_trace_sched() {
	np_start --trace sched,api
	got=$(printf 'hello' | ns_exec timeout 5 nc -N 10.0.0.2 9008)
	eq "the answer under --trace" "I am server!" "$got"
	i=0
	while [ $i -lt 50 ] && ! grep -q '^sched exit task 2 ' "$WORK/netpoll.err"; do
		sleep 0.1
		i=$((i + 1))
	done
	np_stop
	T=$WORK/netpoll.err
	AT=0
	step() { # what ERE: the first line matching ERE after the previous step's
		CHECKS=$((CHECKS + 1))
		n=$(grep -nE -- "$2" "$T" | awk -F: -v after="$AT" '$1 > after { print $1; exit }')
		if [ -n "$n" ]; then
			echo "ok   in order: $1 (line $n)"
			AT=$n
		else
			FAILS=$((FAILS + 1))
			echo "FAIL in order: $1: no line after $AT matches: $2"
		fi
	}
	step "main task started (newproc)" '^sched go task 1 \(go: newproc\)$'
	step "it runs (execute)" '^sched run task 1 \(go: schedule -> execute\)$'
	step "Listen: socket" '^socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, IPPROTO_TCP\) = 3$'
	step "Listen: listen" '^listen\(3, 4096\) = 0$'
	step "Accept: EAGAIN, park (gopark)" '^sched park task 1: fd 3 accept = EAGAIN, waits for r \(go: pollDesc.waitRead -> gopark\)$'
	step "the SYN: ready (netpollready)" '^sched ready task 1: fd 3 r ready \(go: netpoll -> netpollready\)$'
	step "run again (execute)" '^sched run task 1 \(go: schedule -> execute\)$'
	step "accept returns the connection" '^accept\(3, NULL, NULL\) = 4$'
	step "go process(conn) (newproc)" '^sched go task 2 by task 1 \(go: newproc\)$'
	step "process runs" '^sched run task 2 \(go: schedule -> execute\)$'
	step "read = 5 bytes" '^read\(4, "hello", 1024\) = 5$'
	step "write the answer" '^write\(4, "I am server!", 12\) = 12$'
	step "close" '^close\(4\) = 0$'
	step "process ends (goexit0)" '^sched exit task 2 \(go: goexit0\)$'
	# Only one connection: the trace holds no other task.
	eq "two tasks in all" 2 "$(grep -c '^sched go task' "$T")"
}

run_tests
