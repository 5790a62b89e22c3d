#!/bin/bash
# bench.sh - `make bench`: tapstack (its event-loop server, and its tasks
# server: serve --model tasks) against lwIP (both on a TAP; lwIP at its
# best, ethernet_input under the core lock in the TAP thread, and lwIP with
# a mailbox hand-off to its tcpip thread), the Linux kernel stack (C epoll
# server) and Go's net/http (both over a veth pair), every figure measured
# twice: "split" (server on CPU 0, client on CPU 1) and "same" (both on CPU
# 0).  See docs/performance.md for what each figure means.
#
#   tools/bench/bench.sh [--quick] [--only "tapstack tasks lwip lwip-mbox kernel go"]
#                        [--pin "split same"] [--no-reflect]
#   tools/bench/bench.sh --profile "tapstack lwip"   (perf profiles only)
#   optional contenders (--only): tapstack-none (tapstack --offload none),
#   tapstack-plain (tapstack --io plain: no io_uring batches) and
#   tapstack-base (the binary TAPSTACK_BENCH_BASE names, e.g. a build of an
#   older commit: before/after figures in one run; added to the default list
#   when that variable is set)
#   tools/bench/bench.sh --report-only     (redo latest.md/png from build/bench/raw)
#
# Order of one run: build the helpers (-O2, no sanitizers) into build/bench,
# then for each pinning and contender: create its namespaces, start the
# server, wait for /hello, check /bytes/1000, then N idle keep-alive
# connections (memory, on the fresh server), wrk -c1, wrk -c50 (and CPU),
# one bulk GET, one upload to the discard port, ping, wrk -c200 (errors),
# wrk -c50 with "Connection: close" (last: it leaves TIME-WAIT state on the
# server); stop the server, delete the namespaces.  Then the TAP ceiling
# (tap_reflect, also with 64 KiB GSO frames), the context-switch cost
# (switch_bench: tapstack's tasks, ucontext, kernel threads), then the report:
# tools/bench/results/latest.md (Markdown, also printed) and latest.png.
#
# Every load is bounded by `timeout`; every namespace is named tsb-<pid>-*
# and deleted on exit, Ctrl-C included.  Traffic never leaves them: the
# TAP contenders (server and client) share one namespace holding tap0
# (kernel side 10.0.0.1/24, the stack 10.0.0.2); the kernel and Go
# contenders get a client namespace (10.0.0.1) and a server namespace
# (10.0.0.2) joined by a veth pair created inside them.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC=$ROOT/tools/bench
BIN=$ROOT/build/bench
RAW=$BIN/raw
RES=${BENCH_RESULTS:-}
TAPSTACK=${TAPSTACK_BENCH_BIN:-$ROOT/build/tapstack} # override to bench another build
TAPSTACK_BASE=${TAPSTACK_BENCH_BASE:-} # a second tapstack binary: the "before" rows

QUICK=0
ONLY="tapstack tasks lwip lwip-mbox kernel go"
[ -n "$TAPSTACK_BASE" ] && ONLY="tapstack tapstack-base tasks lwip lwip-mbox kernel go"
PINS="split same"
REFLECT=1
PROFILE=
REPORT_ONLY=0
REFLECT_SIZES="60 1514 9014 65535 gso" # gso: 64 KiB GSO frames through IFF_VNET_HDR
CONTENDERS="tapstack tapstack-none tapstack-plain tapstack-base tasks lwip lwip-mbox kernel go"
OPTIONAL="tapstack-none tapstack-plain tapstack-base" # rows only when measured
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--only) ONLY=$2; shift ;;
	--pin) PINS=$2; shift ;;
	--no-reflect) REFLECT=0 ;;
	--profile) PROFILE=$2; shift ;;
	--report-only) REPORT_ONLY=1 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

# A QUICK run only proves the harness works (tests/tap/t_bench_quick.sh): its
# table goes under build/ so it never replaces the committed full-run table.
if [ -z "$RES" ]; then
	if [ "$QUICK" = 1 ]; then RES=$BIN/quick; else RES=$SRC/results; fi
fi
mkdir -p "$RES"

for c in $ONLY; do
	case $c in tapstack | tapstack-none | tapstack-plain | tapstack-base | tasks | lwip | lwip-mbox | kernel | go) ;; *) echo "bench.sh: unknown contender $c" >&2; exit 2 ;; esac
done
for p in $PINS; do
	case $p in split | same) ;; *) echo "bench.sh: unknown pinning $p" >&2; exit 2 ;; esac
done

if [ "$QUICK" = 1 ]; then
	DUR=1 REPS=1 PINGS=50 HOLD=200 HOLD_MAX=20 BULK=67108864 BULK_MAX=30 RDUR=1
else
	DUR=10 REPS=2 PINGS=200 HOLD=10000 HOLD_MAX=60 BULK=1073741824 BULK_MAX=120 RDUR=5
fi
PORT=8080
URL=http://10.0.0.2:$PORT

[ "$(id -u)" = 0 ] || { echo "bench.sh: needs root (network namespaces, TAP)" >&2; exit 1; }
# The reference contenders and the chart need three packages `make deps`
# does not install for the rest of tapstack.
TAPSTACK_DEPS_EXTRA="liblwip-dev golang-go gnuplot-nox" "$ROOT/tools/deps.sh" ||
	echo "bench.sh: could not install liblwip-dev golang-go gnuplot-nox; those columns will fail" >&2
for t in ip wrk curl ping taskset timeout perl; do
	command -v $t >/dev/null || { echo "bench.sh: missing $t (make deps)" >&2; exit 1; }
done

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---------------------------------------------------------------- cleanup
# main() runs as a background job in its own process group (set -m), and
# this script's first process only waits for it.  On Ctrl-C, TERM or HUP
# that first process kills main's whole group (clients included), every
# server main started (each is a session leader: setsid; their pids are in
# PIDFILE), and deletes every tsb-<pid>-* namespace.  A waiting shell runs
# its trap at once; a shell running a foreground command would not.
NS_LIST=()
PIDS=()
PIDFILE=$BIN/raw/.pids.$$
cleanup() { # main's own exit path
	local p n
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		kill -KILL -- "-$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	: >"$PIDFILE"
	for n in "${NS_LIST[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	NS_LIST=()
}
outer_cleanup() { # the waiting process: whatever main left behind
	local p n
	if [ -n "${MAIN:-}" ]; then
		kill -KILL -- "-$MAIN" 2>/dev/null
		wait "$MAIN" 2>/dev/null
	fi
	if [ -f "$PIDFILE" ]; then
		while read -r p; do
			[ -n "$p" ] || continue
			kill -KILL "$p" 2>/dev/null
			kill -KILL -- "-$p" 2>/dev/null
		done <"$PIDFILE"
		rm -f "$PIDFILE"
	fi
	for n in $(ip netns list 2>/dev/null | awk -v p="tsb-$$-" 'index($1, p) == 1 { print $1 }'); do
		ip netns del "$n" 2>/dev/null
	done
}

track() {
	PIDS+=("$1")
	printf '%s\n' "${PIDS[@]}" >"$PIDFILE"
}
untrack() {
	local p keep=()
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
	if [ ${#PIDS[@]} -gt 0 ]; then printf '%s\n' "${PIDS[@]}"; fi >"$PIDFILE"
}
stop_pid() { # pid: TERM, up to 3 s, then KILL; its process group too if it leads one
	local p=$1 i
	kill -TERM "$p" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null
	kill -KILL -- "-$p" 2>/dev/null
	wait "$p" 2>/dev/null
	untrack "$p"
}

# ---------------------------------------------------------------- build
build() {
	mkdir -p "$BIN" "$RAW" "$RES"
	local W="-std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE"
	local f
	for f in kernel_hello holdconns tap_reflect upload; do
		cc $W -o "$BIN/$f" "$SRC/$f.c" || return 1
	done
	# The context switch of tapstack's tasks, linked with the library, and
	# the ucontext fallback forced on this machine for comparison.
	cc $W -I"$ROOT/stack" -I"$ROOT/stack/include" -I"$ROOT/tap" -o "$BIN/switch_bench" \
		"$SRC/switch_bench.c" "$ROOT/build/libtaplink.a" "$ROOT/build/libtapstack.a" \
		$(pkg-config --libs libpcap libnl-3.0 libnl-route-3.0) -lpthread -lm || return 1
	cc $W -DTS_TASK_SWITCH_UCONTEXT -DSWITCH_BENCH_RAW_ONLY -I"$ROOT/stack" \
		-o "$BIN/switch_bench_ucontext" "$SRC/switch_bench.c" "$ROOT/stack/task_switch.c" || return 1
	if pkg-config --exists lwip; then
		cc $W $(pkg-config --cflags lwip) -o "$BIN/lwip_hello" "$SRC/lwip_hello.c" \
			$(pkg-config --libs lwip) -lpthread || return 1
	else
		log "liblwip-dev missing: lwIP column will fail"
		rm -f "$BIN/lwip_hello"
	fi
	if command -v go >/dev/null; then
		# Standard library only: GOPATH mode, no proxy, private cache.
		(cd "$ROOT/docs/examples/hello" && GO111MODULE=off GOPROXY=off GOFLAGS= \
			HOME=$BIN/go GOCACHE=$BIN/go/cache GOPATH=$BIN/go/path \
			go build -o "$BIN/go_hello" main.go) || return 1
	else
		log "golang-go missing: Go column will fail"
		rm -f "$BIN/go_hello"
	fi
}

# ---------------------------------------------------------------- namespaces
# Client-side tuning shared by every contender: a wide ephemeral range so
# new-connection and 10,000-connection runs do not run out of ports.
tune_client() {
	ip netns exec "$1" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip netns exec "$1" sysctl -qw net.ipv4.tcp_tw_reuse=1
}

# TAP contenders: one namespace with tap0 (10.0.0.1/24) for server and client.
setup_tap() {
	NS_SRV=tsb-$$-tap NS_CLI=$NS_SRV
	ip netns add "$NS_SRV" || return 1
	NS_LIST+=("$NS_SRV")
	ip -n "$NS_SRV" link set lo up &&
		ip -n "$NS_SRV" tuntap add dev tap0 mode tap &&
		ip -n "$NS_SRV" addr add 10.0.0.1/24 dev tap0 &&
		ip -n "$NS_SRV" link set tap0 up || return 1
	tune_client "$NS_CLI"
}

# Kernel contenders: client and server namespaces joined by a veth pair
# created inside them (never in the host namespace).
setup_veth() {
	NS_SRV=tsb-$$-srv NS_CLI=tsb-$$-cli
	ip netns add "$NS_SRV" && NS_LIST+=("$NS_SRV") || return 1
	ip netns add "$NS_CLI" && NS_LIST+=("$NS_CLI") || return 1
	ip -n "$NS_CLI" link add veth0 type veth peer name veth1 netns "$NS_SRV" &&
		ip -n "$NS_CLI" addr add 10.0.0.1/24 dev veth0 &&
		ip -n "$NS_SRV" addr add 10.0.0.2/24 dev veth1 &&
		ip -n "$NS_CLI" link set lo up && ip -n "$NS_SRV" link set lo up &&
		ip -n "$NS_CLI" link set veth0 up && ip -n "$NS_SRV" link set veth1 up || return 1
	ip netns exec "$NS_SRV" sysctl -qw net.core.somaxconn=65535
	ip netns exec "$NS_SRV" sysctl -qw net.ipv4.tcp_max_syn_backlog=65535
	tune_client "$NS_CLI"
}

teardown_ns() {
	local n
	for n in "${NS_LIST[@]}"; do ip netns del "$n" 2>/dev/null; done
	NS_LIST=()
}

# ---------------------------------------------------------------- servers
# start_server CONTENDER CPU LOG: sets SPID, or returns 1 with FAIL set.
start_server() {
	local c=$1 cpu=$2 lg=$3
	SPID=
	case $c in
	tapstack | tapstack-none | tapstack-plain | tapstack-base | tasks)
		local bin=$TAPSTACK extra=
		[ "$c" = tapstack-none ] && extra="--offload none"
		[ "$c" = tapstack-plain ] && extra="--io plain"
		[ "$c" = tapstack-base ] && bin=$TAPSTACK_BASE
		[ "$c" = tasks ] && extra="--model tasks"
		[ -x "$bin" ] || { FAIL="$bin not built"; return 1; }
		# shellcheck disable=SC2086
		setsid ip netns exec "$NS_SRV" taskset -c "$cpu" "$bin" serve --tap tap0 \
			--ip 10.0.0.2/24 $extra >"$lg" 2>&1 &
		;;
	lwip | lwip-mbox)
		# lwip: ethernet_input under the core lock in the TAP thread (lwIP at
		# its best); lwip-mbox: every frame through the tcpip thread's mailbox.
		[ -x "$BIN/lwip_hello" ] || { FAIL="lwip_hello not built (liblwip-dev?)"; return 1; }
		setsid ip netns exec "$NS_SRV" env LWIP_HELLO_TAP=tap0 \
			LWIP_HELLO_INPUT="$([ "$c" = lwip-mbox ] && echo mbox || echo locked)" \
			taskset -c "$cpu" "$BIN/lwip_hello" 10.0.0.2 10.0.0.1 $PORT >"$lg" 2>&1 &
		;;
	kernel)
		setsid ip netns exec "$NS_SRV" taskset -c "$cpu" "$BIN/kernel_hello" $PORT >"$lg" 2>&1 &
		;;
	go)
		[ -x "$BIN/go_hello" ] || { FAIL="go_hello not built (golang-go?)"; return 1; }
		setsid ip netns exec "$NS_SRV" taskset -c "$cpu" "$BIN/go_hello" >"$lg" 2>&1 &
		;;
	esac
	SPID=$!
	track "$SPID"
	# setsid, ip netns exec and taskset all exec(), so $! is the server
	# itself, leading its own process group (stop_pid ends the group).
	local deadline=$(($(date +%s) + 15))
	while [ "$(date +%s)" -lt $deadline ]; do
		if ! kill -0 "$SPID" 2>/dev/null; then
			FAIL="exited at start-up: $(tail -n 1 "$lg" | tr -d '|' | cut -c1-100)"
			return 1
		fi
		if [ "$(ip netns exec "$NS_CLI" curl -s --max-time 1 $URL/hello 2>/dev/null)" = "Hello, world!" ]; then
			return 0
		fi
		sleep 0.1
	done
	FAIL="no answer to GET /hello within 15 s"
	return 1
}

# ---------------------------------------------------------------- measurements
cli() { ip netns exec "$NS_CLI" taskset -c "$CCPU" "$@"; }

cpu_ticks() { # utime+stime of every thread of the process, in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

to_us() { # wrk latency "123.45us|ms|s" to microseconds
	awk -v v="$1" 'BEGIN {
		n = v + 0
		if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /m$/) m = 60e6; else if (v ~ /s$/) m = 1e6; else m = 1
		printf "%.0f", n * m }'
}

# run_wrk CONNS SECONDS [extra wrk args]: prints "rps p50us p99us requests errors"
run_wrk() {
	local c=$1 d=$2
	shift 2
	local out
	out=$(cli timeout --foreground $((d + 20)) wrk -t1 -c"$c" -d"${d}s" --timeout 2s --latency "$@" "$URL/hello" 2>&1)
	echo "$out" >>"$WRKLOG"
	local rps p50 p99 req err non2xx
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
	p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
	p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
	req=$(echo "$out" | awk '/requests in/ { print $1 }')
	err=$(echo "$out" | awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }')
	non2xx=$(echo "$out" | awk '/Non-2xx/ { print $NF }')
	[ -n "$rps" ] || { echo "- - - 0 -"; return; }
	echo "$rps $(to_us "$p50") $(to_us "$p99") ${req:-0} $((${err:-0} + ${non2xx:-0}))"
}

median() { # numbers on stdin, one per line
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# wrk_series CONNS KEY: REPS runs, median of each figure, written as KEY_*.
wrk_series() {
	local c=$1 k=$2 r line
	local rps=() p50=() p99=() req=0 err=0
	for r in $(seq "$REPS"); do
		line=$(run_wrk "$c" "$DUR")
		set -- $line
		[ "$1" = - ] && { put "${k}_fail" "wrk produced no result"; continue; }
		rps+=("$1") p50+=("$2") p99+=("$3")
		req=$((req + $4)) err=$((err + $5))
	done
	put "${k}_rps" "$(printf '%s\n' "${rps[@]}" | grep -v '^$' | median)"
	put "${k}_p50" "$(printf '%s\n' "${p50[@]}" | grep -v '^$' | median)"
	put "${k}_p99" "$(printf '%s\n' "${p99[@]}" | grep -v '^$' | median)"
	put "${k}_req" "$req"
	put "${k}_err" "$err"
}

put() { echo "$1=$2" >>"$ENVF"; }

bench_one() { # contender pinning
	local c=$1 pin=$2
	SCPU=0
	CCPU=$([ "$pin" = split ] && echo 1 || echo 0)
	ENVF=$RAW/$c-$pin.env
	WRKLOG=$RAW/$c-$pin.wrk.log
	: >"$ENVF"
	: >"$WRKLOG"
	log "$c ($pin): set up"
	case $c in
	tapstack* | tasks | lwip*) setup_tap ;;
	*) setup_veth ;;
	esac || { put fail "namespace set-up failed"; teardown_ns; return; }

	FAIL=
	if ! start_server "$c" "$SCPU" "$RAW/$c-$pin.server.log"; then
		log "$c ($pin): failed: $FAIL"
		put fail "$FAIL"
		[ -n "$SPID" ] && stop_pid "$SPID"
		teardown_ns
		return
	fi
	# The same bytes as every other contender: /bytes/1000 is i % 251.
	if ! cli curl -s --max-time 5 $URL/bytes/1000 | cmp -s - <(perl -e 'print chr($_ % 251) for 0 .. 999'); then
		put bytes_check "MISMATCH"
		log "$c ($pin): /bytes/1000 differs from i % 251"
	else
		put bytes_check ok
	fi

	# Memory first, on a fresh server: the new-connection run leaves
	# TIME-WAIT state behind on the server, which must not be counted
	# (and lwIP answers a SYN that lands on one of its TIME-WAIT PCBs with
	# a bare ACK, as RFC 9293 §3.10.7.4 / RFC 5961 §4 allow, where Linux
	# reopens the port per RFC 6191: a reused client port would then stall).
	case $c in tapstack*)
		put offload "$(sed -n 's/^tapstack: offload \([a-z]*\) on.*/\1/p' "$RAW/$c-$pin.server.log" | head -n 1)"
		put io "$(sed -n 's/^tapstack: io \([a-z]*\) on.*/\1/p' "$RAW/$c-$pin.server.log" | head -n 1)"
		;;
	esac
	log "$c ($pin): $HOLD idle keep-alive connections"
	local before after hl
	before=$(rss_kib "$SPID")
	hl=$RAW/$c-$pin.hold.log
	ip netns exec "$NS_CLI" taskset -c "$CCPU" "$BIN/holdconns" 10.0.0.2 $PORT "$HOLD" $HOLD_MAX >"$hl" 2>&1 &
	local hp=$!
	track "$hp"
	local i
	for i in $(seq $((HOLD_MAX * 10 + 100))); do
		grep -q '^held' "$hl" && break
		kill -0 "$hp" 2>/dev/null || break
		sleep 0.1
	done
	sleep 1
	after=$(rss_kib "$SPID")
	local held
	held=$(awk '/^held/ { print $2 }' "$hl")
	put held "${held:-0}"
	put held_failed "$(awk '/^held/ { print $4 }' "$hl")"
	put rss_before_kib "$before"
	put rss_after_kib "$after"
	put per_conn_B "$(awk -v a="$after" -v b="$before" -v n="${held:-0}" \
		'BEGIN { if (n > 0) printf "%.0f", (a - b) * 1024 / n; else print "-" }')"
	if [ "$(cli curl -s --max-time 5 $URL/hello 2>/dev/null)" = "Hello, world!" ]; then
		put hello_held yes
	else
		put hello_held no
	fi
	stop_pid "$hp"
	put still_open "$(awk '/^still-open/ { print $2 }' "$hl")"

	sleep 1
	log "$c ($pin): wrk -c1 ${DUR}s x$REPS"
	wrk_series 1 c1
	log "$c ($pin): wrk -c50 ${DUR}s x$REPS"
	local t0 t1
	t0=$(cpu_ticks "$SPID")
	wrk_series 50 c50
	t1=$(cpu_ticks "$SPID")
	local req
	req=$(awk -F= '$1 == "c50_req" { print $2 }' "$ENVF")
	put cpu100k "$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="${req:-0}" \
		'BEGIN { if (r > 0) printf "%.3f", t / hz / r * 100000; else print "-" }')"

	log "$c ($pin): bulk GET /bytes/$BULK"
	local b
	b=$(cli timeout --foreground $((BULK_MAX + 5)) curl -s -o /dev/null --max-time $BULK_MAX \
		-w '%{speed_download} %{size_download} %{http_code}' $URL/bytes/$BULK 2>/dev/null)
	set -- $b
	if [ "${2:-0}" = "$BULK" ]; then
		put bulk_MBps "$(awk -v s="$1" 'BEGIN { printf "%.1f", s / 1e6 }')"
	else
		put bulk_MBps "-"
		put bulk_note "got ${2:-0} of $BULK bytes (HTTP ${3:-none}) in ${BULK_MAX}s"
	fi

	# Upload: as many bytes to the discard service (port 9), until its FIN.
	if [ "$c" = go ]; then
		put upload_MBps "-"
		put upload_note "n/a (the Go example has no discard service)"
	else
		log "$c ($pin): upload $BULK bytes to discard :9"
		local u
		u=$(cli timeout --foreground $((BULK_MAX + 5)) "$BIN/upload" 10.0.0.2 9 "$BULK" "$BULK_MAX" 2>&1)
		if echo "$u" | grep -q '^MBps'; then
			put upload_MBps "$(echo "$u" | awk '$1 == "MBps" { print $2 }')"
		else
			put upload_MBps "-"
			put upload_note "failed: $(echo "$u" | tail -n 1 | tr -d '|' | cut -c1-80)"
		fi
	fi

	log "$c ($pin): ping x$PINGS"
	local p
	p=$(cli timeout --foreground 60 ping -q -c "$PINGS" -i 0.002 -W 1 10.0.0.2 2>&1)
	put ping_avg "$(echo "$p" | awk -F'[/ ]' '/^rtt/ { print $8 }')"
	put ping_mdev "$(echo "$p" | awk -F'[/ ]' '/^rtt/ { print $10 }')"
	put ping_loss "$(echo "$p" | awk '/packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) print $i }')"

	log "$c ($pin): wrk -c200 ${DUR}s (errors)"
	set -- $(run_wrk 200 "$DUR")
	put c200_rps "$1"
	put c200_err "$5"
	put c200_req "$4"

	# New connections last: the server keeps TIME-WAIT state for each.
	log "$c ($pin): new connections (Connection: close) ${DUR}s"
	set -- $(run_wrk 50 "$DUR" -H "Connection: close")
	put close_rps "$1"
	put close_err "$5"

	if kill -0 "$SPID" 2>/dev/null; then
		put alive yes
	else
		put alive "no (server died during the run)"
	fi
	stop_pid "$SPID"
	teardown_ns
}

# ---------------------------------------------------------------- TAP ceiling
reflect_run() { # frame size or "gso" -> appends reflect_<size>_* to reflect.env
	local size=$1 f=$RAW/reflect.env
	setup_tap || return
	local rl=$RAW/reflect-$size.log gl=$RAW/gen-$size.log
	if [ "$size" = gso ]; then
		# 64 KiB GSO frames: the kernel's UDP GSO to a neighbour entry, read and
		# written back with their virtio_net_hdr (tap_reflect.c).
		ip -n "$NS_SRV" neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev tap0 nud permanent
		ip netns exec "$NS_SRV" taskset -c 0 "$BIN/tap_reflect" reflect-gso tap0 "$RDUR" >"$rl" 2>&1 &
	else
		# Frames above 1514 bytes need the MTU raised (a TAP allows 65521 + 14).
		[ "$size" -gt 1514 ] && ip -n "$NS_SRV" link set tap0 mtu $((size - 14))
		ip netns exec "$NS_SRV" taskset -c 0 "$BIN/tap_reflect" reflect tap0 "$RDUR" >"$rl" 2>&1 &
	fi
	local rp=$!
	track "$rp"
	sleep 0.3
	# The carrier comes up when the reflector attaches.
	if [ "$size" = gso ]; then
		ip netns exec "$NS_SRV" taskset -c 1 timeout --foreground $((RDUR + 10)) "$BIN/tap_reflect" gen-gso tap0 \
			$((RDUR + 1)) >"$gl" 2>&1
	else
		ip netns exec "$NS_SRV" taskset -c 1 timeout --foreground $((RDUR + 10)) "$BIN/tap_reflect" gen tap0 "$size" \
			$((RDUR + 1)) >"$gl" 2>&1
	fi
	local i
	for i in $(seq 50); do kill -0 "$rp" 2>/dev/null || break; sleep 0.1; done
	stop_pid "$rp"
	{
		echo "reflect_${size}_fps=$(awk '$1 == "fps" { print $2 }' "$rl")"
		echo "reflect_${size}_MBps=$(awk '$1 == "MBps" { print $2 }' "$rl")"
		echo "reflect_${size}_offered=$(awk '$1 == "offered_fps" { print $2 }' "$gl")"
		echo "reflect_${size}_refused=$(awk '$1 == "send_fail" { print $2 }' "$gl")"
		echo "reflect_${size}_bytes_per_frame=$(awk '$1 == "frames" { f = $2 } $1 == "bytes" { b = $2 } END { if (f > 0) printf "%.0f", b / f }' "$rl")"
	} >>"$f"
	teardown_ns
}

# ---------------------------------------------------------------- report
sw() { awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$RAW/switch.env" 2>/dev/null; }
swu() { awk -F= -v k="$1" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$RAW/switch_ucontext.env" 2>/dev/null; }

val() { # contender pinning key
	local v
	v=$(awk -F= -v k="$3" '$1 == k { sub(/^[^=]*=/, ""); print; exit }' "$RAW/$1-$2.env" 2>/dev/null)
	echo "${v:--}"
}

name_of() {
	case $1 in
	tapstack | tapstack-none | tapstack-plain) echo "tapstack (TAP$(o=$(val "$1" "${PIN_FOR_NAME:-split}" offload); [ "$o" != - ] && [ -n "$o" ] && echo ", offload $o")$(o=$(val "$1" "${PIN_FOR_NAME:-split}" io); [ "$o" != - ] && [ -n "$o" ] && echo ", io $o"))" ;;
	tapstack-base) echo "tapstack before (TAP, TAPSTACK_BENCH_BASE)" ;;
	tasks) echo "tapstack tasks (TAP)" ;;
	lwip) echo "lwIP $(pkg-config --modversion lwip 2>/dev/null) (TAP, core lock)" ;;
	lwip-mbox) echo "lwIP $(pkg-config --modversion lwip 2>/dev/null) (TAP, mailbox)" ;;
	kernel) echo "kernel C (veth)" ;;
	go) echo "Go net/http (veth)" ;;
	esac
}

ratio() { # a b -> a/b with 2 decimals, or n/a
	awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f×", a / b; else print "n/a" }'
}

fmt_int() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "") print "-"; else printf "%.0f", v }'; }

table() { # pinning
	local pin=$1 c
	PIN_FOR_NAME=$pin
	echo "| contender | rps c1 | p50/p99 c1 µs (1/rps) | rps c50 | p50/p99 c50 µs | new conn/s | bulk MB/s | upload MB/s | ping avg/mdev ms | CPU s/100k req | RSS idle→held KiB | B/conn | /hello while held | errors c200 |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	for c in $CONTENDERS; do
		local f
		case " $OPTIONAL " in *" $c "*) [ -f "$RAW/$c-$pin.env" ] || continue ;; esac
		f=$(val "$c" "$pin" fail)
		if [ ! -f "$RAW/$c-$pin.env" ]; then
			echo "| $(name_of "$c") | not run | | | | | | | | | | | | |"
			continue
		fi
		if [ "$f" != - ]; then
			echo "| $(name_of "$c") | failed: $f | | | | | | | | | | | | |"
			continue
		fi
		local bulk up
		bulk=$(val "$c" "$pin" bulk_MBps)
		[ "$bulk" = - ] && bulk="failed: $(val "$c" "$pin" bulk_note)"
		up=$(val "$c" "$pin" upload_MBps)
		[ "$up" = - ] && up="$(val "$c" "$pin" upload_note)"
		echo "| $(name_of "$c") | $(fmt_int "$(val "$c" "$pin" c1_rps)") |" \
			"$(fmt_int "$(val "$c" "$pin" c1_p50)")/$(fmt_int "$(val "$c" "$pin" c1_p99)")" \
			"($(awk -v r="$(val "$c" "$pin" c1_rps)" 'BEGIN { if (r + 0 > 0) printf "%.0f", 1e6 / r; else print "-" }')) |" \
			"$(fmt_int "$(val "$c" "$pin" c50_rps)") |" \
			"$(fmt_int "$(val "$c" "$pin" c50_p50)")/$(fmt_int "$(val "$c" "$pin" c50_p99)") |" \
			"$(fmt_int "$(val "$c" "$pin" close_rps)") | $bulk | $up |" \
			"$(val "$c" "$pin" ping_avg)/$(val "$c" "$pin" ping_mdev) |" \
			"$(val "$c" "$pin" cpu100k) |" \
			"$(val "$c" "$pin" rss_before_kib)→$(val "$c" "$pin" rss_after_kib) |" \
			"$(val "$c" "$pin" per_conn_B) ($(val "$c" "$pin" held) held) |" \
			"$(val "$c" "$pin" hello_held) |" \
			"$(val "$c" "$pin" c200_err) of $(val "$c" "$pin" c200_req) |"
	done
}

ratios() { # pinning
	local pin=$1 k o
	echo "| tapstack ÷ | rps c1 | rps c50 | new conn/s | bulk MB/s | upload MB/s | ping avg (lower is better) | CPU/100k (lower is better) | B/conn (lower is better) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for o in tapstack-none tapstack-plain tapstack-base tasks lwip lwip-mbox kernel go; do
		case " $OPTIONAL " in *" $o "*) [ -f "$RAW/$o-$pin.env" ] || continue ;; esac
		local row="| $(name_of "$o") |"
		for k in c1_rps c50_rps close_rps bulk_MBps upload_MBps ping_avg cpu100k per_conn_B; do
			row="$row $(ratio "$(val tapstack "$pin" "$k")" "$(val "$o" "$pin" "$k")") |"
		done
		echo "$row"
	done
}

met() { # condition-result: "1" met, "0" not met, "" not measured
	case $1 in 1) echo "met" ;; 0) echo "**not met**" ;; *) echo "not measured" ;; esac
}
cmp_ge() { # a b factor -> 1 if a >= factor*b
	awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) print (a >= f * b) ? 1 : 0 }'
}
cmp_le() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && a != "" && b != "" && b + 0 > 0) print (a + 0 <= b + 0) ? 1 : 0 }'
}

cmp_le_f() { # a b factor -> 1 if a <= factor*b (lower is better)
	awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { if (a != "-" && b != "-" && a != "" && b != "" && b + 0 > 0) print (a + 0 <= f * b) ? 1 : 0 }'
}

# target_row LABEL KEY OTHER FACTOR [split-factor]: tapstack's KEY >= FACTOR x OTHER's, per pinning
# ("-" as a factor: not a target in that pinning).
target_row() {
	local label=$1 k=$2 o=$3 fsame=$4 fsplit=${5:-$4} pin row f
	row="| $label |"
	for pin in split same; do
		f=$([ "$pin" = split ] && echo "$fsplit" || echo "$fsame")
		if [ "$f" = - ]; then
			row="$row — |"
			continue
		fi
		row="$row $(met "$(cmp_ge "$(val tapstack $pin "$k")" "$(val "$o" $pin "$k")" "$f")") ($(ratio "$(val tapstack $pin "$k")" "$(val "$o" $pin "$k")")) |"
	done
	echo "$row"
}

targets() {
	local pin
	echo "| target | split | same |"
	echo "|---|---|---|"
	# Issue #11: the offload targets.
	target_row "bulk /bytes/1GiB ≥ 1.0× kernel C (same), ≥ 0.5× (split)" bulk_MBps kernel 1.0 0.5
	target_row "upload 1 GiB to discard ≥ 1.0× kernel C (same), ≥ 0.5× (split)" upload_MBps kernel 1.0 0.5
	target_row "/hello rps at -c50 ≥ 1.3× lwIP at its best (core lock)" c50_rps lwip 1.3
	target_row "/hello rps at -c50 ≥ 1.3× kernel C's" c50_rps kernel 1.3
	target_row "/hello rps at -c1 ≥ 1.0× lwIP at its best (same)" c1_rps lwip 1.0 -
	local row
	for o in lwip kernel; do
		row="| server CPU per request ≤ 0.8× $(name_of "$o") |"
		for pin in split same; do row="$row $(met "$(cmp_le_f "$(val tapstack $pin cpu100k)" "$(val "$o" $pin cpu100k)" 0.8)") ($(ratio "$(val tapstack $pin cpu100k)" "$(val "$o" $pin cpu100k)")) |"; done
		echo "$row"
	done
	# Earlier targets that still stand.
	target_row "/hello rps at -c50 ≥ 2× Go's" c50_rps go 2.0
	row="| ping RTT ≤ lwIP's (core lock) |"
	for pin in split same; do row="$row $(met "$(cmp_le "$(val tapstack $pin ping_avg)" "$(val lwip $pin ping_avg)")") ($(val tapstack $pin ping_avg) vs $(val lwip $pin ping_avg) ms) |"; done
	echo "$row"
	row="| ≤ 4 KiB per idle established connection |"
	for pin in split same; do
		local pc
		pc=$(val tapstack $pin per_conn_B)
		row="$row $(met "$(cmp_le "$pc" 4096)") ($pc B) |"
	done
	echo "$row"
	row="| tasks model: /hello rps at -c50 ≥ 0.9× the event loop's |"
	for pin in split same; do row="$row $(met "$(cmp_ge "$(val tasks $pin c50_rps)" "$(val tapstack $pin c50_rps)" 0.9)") ($(ratio "$(val tasks $pin c50_rps)" "$(val tapstack $pin c50_rps)")) |"; done
	echo "$row"
	row="| tasks model: /hello rps at -c50 ≥ 2× Go's |"
	for pin in split same; do row="$row $(met "$(cmp_ge "$(val tasks $pin c50_rps)" "$(val go $pin c50_rps)" 2.0)") ($(ratio "$(val tasks $pin c50_rps)" "$(val go $pin c50_rps)")) |"; done
	echo "$row"
	row="| zero errors under -c200 |"
	for pin in split same; do
		local e
		e=$(val tapstack $pin c200_err)
		row="$row $(met "$(awk -v e="$e" -v r="$(val tapstack $pin c200_req)" 'BEGIN { if (e != "-" && r + 0 > 0) print (e + 0 == 0) ? 1 : 0 }')") ($e errors) |"
	done
	echo "$row"
}

# Each tapstack figure as a fraction of the TAP ceiling of the same run.
ceiling() {
	local r=$RAW/reflect.env pin
	[ -f "$r" ] || return 0
	rv() { awk -F= -v k="$1" '$1 == k { print $2 }' "$r"; }
	local f60 m1514 mgso
	f60=$(rv reflect_60_fps) m1514=$(rv reflect_1514_MBps) mgso=$(rv reflect_gso_MBps)
	echo "| tapstack figure | ceiling it is held to | split | same |"
	echo "|---|---|---|---|"
	frac() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }
	local row
	row="| /hello rps at -c50 (one small frame each way per request) | ${f60:--} frames/s at 60 B |"
	for pin in split same; do row="$row $(frac "$(val tapstack $pin c50_rps)" "$f60") |"; done
	echo "$row"
	row="| bulk MB/s | ${mgso:--} MB/s of 64 KiB GSO frames (${m1514:--} at 1514 B) |"
	for pin in split same; do row="$row $(frac "$(val tapstack $pin bulk_MBps)" "$mgso") |"; done
	echo "$row"
	row="| upload MB/s | the same |"
	for pin in split same; do row="$row $(frac "$(val tapstack $pin upload_MBps)" "$mgso") |"; done
	echo "$row"
}

machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	echo "- Run started: ${RUN_DATE:-$(date -u '+%Y-%m-%d %H:%M UTC')}; mode: $([ "$QUICK" = 1 ] && echo "QUICK (${DUR} s runs, $REPS repetition, $PINGS pings, $HOLD held connections, bulk $BULK B): proves the harness only" || echo "full (${DUR} s runs, median of $REPS, $PINGS pings, $HOLD held connections, bulk $BULK B)")"
	echo "- Load average at the end of the run: ${LOADAVG:-$(cut -d' ' -f1-3 /proc/loadavg)} (other work on the same CPUs shifts every figure)"
	echo "- Machine: $(uname -n), kernel $(uname -r) $(uname -m), CPU: $cpu × $(nproc) online, RAM $mem$(grep -q hypervisor /proc/cpuinfo && echo ', virtual machine')"
	echo "- Tools: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), $(curl --version | head -1 | cut -d' ' -f1-2), $(go version 2>/dev/null | cut -d' ' -f3), lwIP $(pkg-config --modversion lwip 2>/dev/null), cc $(cc -dumpfullversion 2>/dev/null); tapstack at git ${GITREV:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)}"
}

chart() {
	local d=$RAW/chart.dat c
	: >"$d"
	for c in $CONTENDERS; do
		case " $OPTIONAL " in *" $c "*) [ -f "$RAW/$c-split.env" ] || continue ;; esac
		printf '"%s" %s %s %s %s %s %s %s\n' "$(name_of "$c" | sed 's/ (TAP, /(/; s/ (.*//')" \
			"$(val "$c" split c1_rps | sed 's/^-$/0/')" "$(val "$c" split c50_rps | sed 's/^-$/0/')" \
			"$(val "$c" split close_rps | sed 's/^-$/0/')" "$(val "$c" same c50_rps | sed 's/^-$/0/')" \
			"$(val "$c" split c50_p50 | sed 's/^-$/0/')" "$(val "$c" split c50_p99 | sed 's/^-$/0/')" \
			"$(val "$c" split c1_p50 | sed 's/^-$/0/')" >>"$d"
	done
	gnuplot <<EOF 2>"$RAW/gnuplot.log"
set terminal pngcairo size 1200,500 font ",10"
set output "$RES/latest.png"
set multiplot layout 1,2 title "tapstack bench $(date -u +%F) ($([ "$QUICK" = 1 ] && echo QUICK || echo full)); failed contenders plot as 0"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right font ",9"
set ylabel "requests/s"
set title "GET /hello throughput"
plot "$d" using 2:xtic(1) title "keep-alive -c1 (split)", "" using 3 title "keep-alive -c50 (split)", "" using 5 title "keep-alive -c50 (same)", "" using 4 title "new conn/s -c50 (split)"
set ylabel "latency, µs"
set title "GET /hello latency (split)"
set logscale y
plot "$d" using 8:xtic(1) title "p50 -c1", "" using 6 title "p50 -c50", "" using 7 title "p99 -c50"
unset multiplot
EOF
}

report() {
	local md=$RES/latest.md
	{
		echo "# tapstack benchmark: latest run"
		echo
		echo "Written by \`make bench$([ "$QUICK" = 1 ] && echo " QUICK=1")\` (tools/bench/bench.sh); what each column means and how the"
		echo "pinning works: docs/performance.md.  Server at 10.0.0.2:8080, client (wrk, curl, ping,"
		echo "holdconns) at 10.0.0.1 in its own namespace.  Latency in µs as wrk 4.1 --latency reports"
		echo "it; at -c1 the true mean time per request is 1/rps (in brackets): wrk's own latency"
		echo "samples run high and its tail is not trustworthy (wg/wrk#114, #438), so read p99 as a"
		echo "hint only.  Ping in ms."
		echo
		machine
		echo
		local pin
		for pin in split same; do
			if [ "$pin" = split ]; then
				echo "## split: server on CPU 0, client on CPU 1"
			else
				echo "## same: server and client both on CPU 0"
			fi
			echo
			table "$pin"
			echo
		done
		for pin in split same; do
			echo "## tapstack ÷ the others ($pin)"
			echo
			ratios "$pin"
			echo
		done
		echo "## Targets (tapstack)"
		echo
		targets
		echo
		if [ -f "$RAW/reflect.env" ]; then
			echo "## tapstack as a fraction of the TAP ceiling (same run)"
			echo
			ceiling
			echo
		fi
		if [ -f "$RAW/reflect.env" ]; then
			echo "## TAP path ceiling (tools/bench/tap_reflect.c, reflector on CPU 0, AF_PACKET load on CPU 1)"
			echo
			echo "One read(2) + one write(2) per frame, no protocol work: the most frames any"
			echo "stack doing one syscall per frame on a TAP can move per core.  The load is offered"
			echo "faster than the reflector drains it (the kernel refuses sends when the TAP queue is"
			echo "full), so the reflector is the bottleneck being measured."
			echo
			echo "The gso row: 64 KiB GSO frames (44 UDP segments of 1,472 octets from the kernel's"
			echo "UDP_SEGMENT) read and written back with their virtio_net_hdr, as tapstack does"
			echo "with --offload tso (tools/bench/tap_reflect.c explains why UDP, not AF_PACKET)."
			echo
			echo "| frame size | frames/s read + written back | MB/s (frame bytes, one way) | sends accepted by the kernel /s | sends refused (queue full) |"
			echo "|---|---|---|---|---|"
			local s
			for s in $REFLECT_SIZES; do
				local fps mb off ref label
				fps=$(awk -F= -v k="reflect_${s}_fps" '$1 == k { print $2 }' "$RAW/reflect.env")
				mb=$(awk -F= -v k="reflect_${s}_MBps" '$1 == k { print $2 }' "$RAW/reflect.env")
				off=$(awk -F= -v k="reflect_${s}_offered" '$1 == k { print $2 }' "$RAW/reflect.env")
				ref=$(awk -F= -v k="reflect_${s}_refused" '$1 == k { print $2 }' "$RAW/reflect.env")
				label="$s B"
				[ "$s" = gso ] && label="$(awk -F= -v k="reflect_gso_bytes_per_frame" '$1 == k { print $2 }' "$RAW/reflect.env") B GSO (vnet_hdr)"
				echo "| $label | ${fps:--} | ${mb:--} | ${off:--} | ${ref:--} |"
			done
			echo
		fi
		if [ -f "$RAW/switch.env" ]; then
			echo "## Context switch (tools/bench/switch_bench.c; best of 7, median in brackets)"
			echo
			echo "What parking a task and running another costs, beside the thread switch the"
			echo "seed puts at about 3 µs.  Load average while it ran: $(sw loadavg)."
			echo
			echo "| switch | ns per switch |"
			echo "|---|---|"
			echo "| task_ctx_switch, $(sw impl) | $(sw raw_ns) ($(sw raw_median_ns)) |"
			echo "| task_ctx_switch, ucontext (swapcontext) | $(swu raw_ns) ($(swu raw_median_ns)) |"
			echo "| ts_yield task to task (scheduler included) | $(sw yield_ns) ($(sw yield_median_ns)) |"
			echo "| two kernel threads on one CPU, pipe ping-pong | $(sw thread_ns) ($(sw thread_median_ns)) |"
			echo
		fi
		local notes=""
		local c
		for c in $CONTENDERS; do
			for pin in split same; do
				[ -f "$RAW/$c-$pin.env" ] || continue
				[ "$(val "$c" "$pin" bytes_check)" = MISMATCH ] && notes="$notes\n- $c ($pin): /bytes/1000 did not match i % 251."
				[ "$(val "$c" "$pin" alive)" != yes ] && [ "$(val "$c" "$pin" fail)" = - ] && notes="$notes\n- $c ($pin): server $(val "$c" "$pin" alive)."
				[ "$(val "$c" "$pin" still_open)" != - ] && [ "$(val "$c" "$pin" still_open)" != "$(val "$c" "$pin" held)" ] &&
					notes="$notes\n- $c ($pin): $(val "$c" "$pin" still_open) of $(val "$c" "$pin" held) held connections were still open at the end."
				[ "$(val "$c" "$pin" close_err)" != - ] && [ "$(val "$c" "$pin" close_err)" != 0 ] &&
					notes="$notes\n- $c ($pin): $(val "$c" "$pin" close_err) wrk errors in the new-connection run."
			done
		done
		if [ -n "$notes" ]; then
			echo "## Notes"
			printf '%b\n' "$notes"
			echo
		fi
		echo "Raw wrk output and server logs: build/bench/raw/.  Chart: $RES/latest.png."
	} >"$md"
	chart || log "gnuplot failed (see $RAW/gnuplot.log)"
	cat "$md"
}

# ---------------------------------------------------------------- profile
# --profile CONTENDER: perf record the server (split pinning) under wrk -c50
# keep-alive for DUR seconds; writes results/profile-CONTENDER.txt with the
# hottest symbols and the CPU time per request split into groups.
profile() {
	local c=$1 out=$RES/profile-$1.txt data=$RAW/perf-$1.data
	command -v perf >/dev/null || { log "perf missing (linux-perf)"; return 1; }
	SCPU=0 CCPU=1
	WRKLOG=$RAW/profile-$c.wrk.log
	: >"$WRKLOG"
	case $c in tapstack* | lwip*) setup_tap ;; *) setup_veth ;; esac || return 1
	FAIL=
	start_server "$c" 0 "$RAW/profile-$c.server.log" || { log "profile: $c failed: $FAIL"; teardown_ns; return 1; }
	local t0 t1
	t0=$(cpu_ticks "$SPID")
	perf record -q -F 999 --call-graph dwarf,16384 -p "$SPID" -o "$data" -- sleep $((DUR + 1)) 2>"$RAW/perf-$c.log" &
	local pp=$!
	sleep 0.5
	set -- $(run_wrk 50 "$DUR")
	wait "$pp"
	t1=$(cpu_ticks "$SPID")
	local rps=$1 req=$4
	stop_pid "$SPID"
	teardown_ns
	local us_per_req
	us_per_req=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v r="$req" 'BEGIN { if (r > 0) printf "%.2f", t / hz / r * 1e6; else print 0 }')
	{
		echo "# perf profile of $c under wrk -t1 -c50 -d${DUR}s keep-alive GET /hello (split pinning)"
		echo "# $rps requests/s, $req requests; server CPU $us_per_req µs per request (utime+stime, /proc/PID/stat)"
		echo "# perf record -F 999 --call-graph dwarf; self time per symbol"
		echo
		echo "## by group (share of samples → µs of CPU per request)"
		perf report -i "$data" --no-children --sort dso,sym -g none --stdio --percent-limit 0 2>/dev/null |
			awk -v us="$us_per_req" '
			/^ *[0-9.]+%/ {
				p = $1; sub(/%/, "", p); dso = $2; sym = $NF
				g = "other userspace"
				if (dso ~ /kernel/) {
					if (sym ~ /tun_|tap_/) g = "kernel: TAP driver (tun.c)"
					else if (sym ~ /^_*io_/) g = "kernel: io_uring"
					else if (sym ~ /^(entry_|syscall|do_syscall|__x64_sys|__sys|x64_sys|ksys_)/) g = "kernel: syscall entry/exit"
					else if (sym ~ /epoll|ep_|poll/) g = "kernel: epoll/poll"
					else if (sym ~ /tcp|ip_|inet|sk_|sock|skb|netif|napi|dev_|veth|eth|__dev|net_/) g = "kernel: network stack / skb"
					else g = "kernel: other (scheduler, copies, ...)"
				} else if (dso ~ /libc/) g = "libc (memcpy, malloc, ...)"
				else if (dso ~ /liblwip/) g = "lwIP library"
				else if (sym ~ /^(tcp|tcp_)/) g = "user: TCP"
				else if (sym ~ /^(ipv4|ip_|icmp|udp)/) g = "user: IPv4/ICMP/UDP"
				else if (sym ~ /^(eth|arp)/) g = "user: Ethernet/ARP"
				else if (sym ~ /^(http|hh_)/) g = "user: HTTP"
				else if (sym ~ /^(ts_|sock|epoll)/) g = "user: socket API / epoll"
				else if (sym ~ /^(tap|netdev|pcap|trace|fault)/) g = "user: link (tap/)"
				else if (sym ~ /csum|checksum/) g = "user: checksum"
				else if (sym ~ /^(stack|timer|buf)/) g = "user: stack core (poll, timers, buffers)"
				share[g] += p
			}
			END { for (g in share) printf "%6.1f%%  %7.2f µs  %s\n", share[g], share[g] / 100 * us, g }' | sort -rn
		echo
		echo "## where a request's CPU goes (inclusive: a function and everything it calls)"
		perf report -i "$data" --children --sort sym -g none --stdio --percent-limit 0 2>/dev/null |
			awk -v us="$us_per_req" '
			BEGIN {
				d["ksys_write"] = "write(2), all of it (ksys_write)"
				d["do_writev"] = "writev(2), all of it (do_writev: tapstack with vnet_hdr or sendv)"
				d["do_readv"] = "readv(2), all of it (do_readv: tapstack with vnet_hdr)"
				d["__do_sys_io_uring_enter"] = "io_uring_enter(2), all of it (tapstack --io uring: batched reads and writes)"
				d["tcp_sendmsg"] = "  the server socket send path (tcp_sendmsg)"
				d["tun_chr_write_iter"] = "  the TAP write (tun_chr_write_iter), of which:"
				d["ksys_read"] = "read(2), all of it (ksys_read)"
				d["tcp_recvmsg"] = "  the server socket receive path (tcp_recvmsg)"
				d["netif_receive_skb"] = "    the kernel receiving that frame inline (netif_receive_skb)"
				d["tcp_v4_rcv"] = "TCP receive in softirq/inline, either side (tcp_v4_rcv)"
				d["tun_chr_read_iter"] = "  the TAP read (tun_chr_read_iter)"
				d["do_epoll_wait"] = "epoll_wait(2) (do_epoll_wait)"
				d["do_sys_poll"] = "poll(2) (do_sys_poll)"
				d["core_sys_select"] = "select(2) (core_sys_select, lwIP tapif thread)"
				d["__x64_sys_futex"] = "futex(2): thread hand-offs (lwIP mbox)"
				d["schedule"] = "schedule(): context switches"
				n = split("__do_sys_io_uring_enter ksys_write do_writev tcp_sendmsg tun_chr_write_iter netif_receive_skb ksys_read do_readv tcp_recvmsg tun_chr_read_iter tcp_v4_rcv do_epoll_wait do_sys_poll core_sys_select __x64_sys_futex schedule", order, " ")
			}
			/^ *[0-9.]+%/ { p = $1; sub(/%/, "", p); if ($NF in d && !($NF in got)) got[$NF] = p }
			END { for (i = 1; i <= n; i++) if (order[i] in got) printf "%6.1f%%  %7.2f µs  %s\n", got[order[i]], got[order[i]] / 100 * us, d[order[i]] }'
		echo
		echo "## hottest symbols (self)"
		perf report -i "$data" --no-children --sort dso,sym -g none --stdio --percent-limit 0.7 2>/dev/null | grep -E '^ *[0-9.]+%'
	} >"$out"
	log "profile written to $out"
	cat "$out"
}

# ---------------------------------------------------------------- main
# Everything runs inside main(), parsed whole before it starts, so editing
# this file during a run cannot derail the run.
main() {
	# Who runs several benches at once can tell this run's namespaces apart.
	log "namespaces of this run: tsb-$$-*"
	trap cleanup EXIT
	trap - INT TERM HUP
	START=$(date +%s)
	if [ "$REPORT_ONLY" = 1 ]; then
		# Rebuild latest.md/png from build/bench/raw of the last run.
		[ -f "$RAW/meta.env" ] && . "$RAW/meta.env"
		report
		return
	fi
	log "building helpers (-O2, no sanitizers) into build/bench"
	build || { log "build failed"; return 1; }
	ulimit -Hn 1048576 2>/dev/null
	ulimit -n 65536 2>/dev/null
	if [ -n "$PROFILE" ]; then
		for c in $PROFILE; do profile "$c"; done
		return 0
	fi
	# Forget earlier results only for what this run measures again.
	local pin c s
	for pin in $PINS; do
		for c in $ONLY; do rm -f "$RAW/$c-$pin".*; done
		# Optional rows are this run's or none.
		for c in $OPTIONAL; do
			case " $ONLY " in *" $c "*) ;; *) rm -f "$RAW/$c-$pin".* ;; esac
		done
	done
	[ "$REFLECT" = 1 ] && rm -f "$RAW"/reflect* "$RAW"/gen-*
	RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
	GITREV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo '+uncommitted')
	echo "QUICK=$QUICK DUR=$DUR REPS=$REPS PINGS=$PINGS HOLD=$HOLD BULK=$BULK RUN_DATE='$RUN_DATE' GITREV='$GITREV'" >"$RAW/meta.env"
	for pin in $PINS; do
		for c in $ONLY; do
			bench_one "$c" "$pin"
		done
	done
	if [ "$REFLECT" = 1 ]; then
		log "TAP ceiling: tap_reflect ${RDUR}s at $REFLECT_SIZES-byte frames"
		for s in $REFLECT_SIZES; do reflect_run "$s"; done
	fi
	log "context switch: switch_bench"
	local scale=1
	[ "$QUICK" = 1 ] && scale=0.1
	"$BIN/switch_bench" $scale >"$RAW/switch.env" 2>&1
	# A tenth of the rounds: each ucontext switch is a system call.
	"$BIN/switch_bench_ucontext" "$(awk -v s="$scale" 'BEGIN { print s / 10 }')" \
		>"$RAW/switch_ucontext.env" 2>&1
	echo "LOADAVG='$(cut -d' ' -f1-3 /proc/loadavg)'" >>"$RAW/meta.env"
	LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
	report
	log "done in $(($(date +%s) - START)) s"
}
mkdir -p "$BIN/raw"
: >"$PIDFILE"
MAIN=
trap outer_cleanup EXIT
trap 'log interrupted; exit 130' INT TERM HUP
set -m
main "$@" &
MAIN=$!
set +m
wait "$MAIN"; RC=$?; MAIN=; exit $RC
