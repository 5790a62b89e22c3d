#!/bin/sh
# soak.sh - `make soak` (not in CI): one stack in a private network namespace
# under mixed load for SOAK_SECS (600) seconds, then the checks:
#
#   load (all bounded, all at once):
#     wrk on /hello (2 threads, 20 connections, keep-alive)
#     bulk: curl /bytes/20000000 in a loop, byte counts checked
#     churn: a new connection per /hello (curl, nc to the echo service)
#     floods: every 30 s one of tests/tools/hostile.c's floods (SYN, ping,
#       ARP, fragments), 5000 frames at 2500/s
#   checks:
#     RSS (VmRSS, sampled every SOAK_SAMPLE 5 s and printed) flat: the
#       largest sample of the last third at most SOAK_RSS_GROWTH_KIB (16 MiB)
#       above the largest of the second third (the first third is warm-up)
#     zero errors: wrk reports no socket error nor non-2xx answer, every
#       bulk and churn fetch byte-exact
#     no leak: after the load (and SOAK_SETTLE 70 s for the floods'
#       half-open connections and ARP queues to end), the SIGUSR1 table
#       holds the listeners and
#       nothing in ESTABLISHED or CLOSE-WAIT, --stats at exit shows every
#       received frame accounted for and at most a handful of buffers and
#       the listeners' descriptors in use, the stack exits 0 with no
#       sanitizer report
#   and then the two-stack suites under valgrind (memcheck, non-ASan
#   build), which make check leaves out for time (tools/check.sh runs the
#   unit suites under valgrind).
#
# SOAK_SECS, SOAK_SAMPLE, SOAK_RSS_GROWTH_KIB change the figures above;
# SOAK_VALGRIND=0 skips the valgrind step.
# Needs root (namespaces, /dev/net/tun).  Figures are printed as lines
# "soak: ..." for docs/robustness.md.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tools/netns.sh"
# The optimised build: ASan's quarantine alone grows the RSS for hundreds of
# MiB, which would hide (or fake) a leak; leaks are checked by the counts
# at exit and valgrind instead.
BIN=${TAPSTACK_BIN:-$TOP/build/tapstack}
HOSTILE=${HOSTILE_BIN:-$(dirname "$BIN")/tests/hostile}
SECS=${SOAK_SECS:-600}
SAMPLE=${SOAK_SAMPLE:-5}
RSS_GROWTH_KIB=${SOAK_RSS_GROWTH_KIB:-16384}
WORK=$(mktemp -d /tmp/tssoak.XXXXXX)
FAILS=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}

fail() {
	echo "soak: FAIL $*"
	FAILS=$((FAILS + 1))
}
cleanup() {
	[ -n "${TS_PID:-}" ] && kill -TERM "$TS_PID" 2>/dev/null
	ns_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || {
	echo "soak: needs root (network namespaces, /dev/net/tun)"
	exit 77
}
ns_create "tssoak-$$" || exit 1

ip netns exec "$NS" "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 --stats \
	>"$WORK/tapstack.out" 2>"$WORK/tapstack.err" &
TS_PID=$!
i=0
until ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] && kill -0 "$TS_PID" 2>/dev/null || {
		echo "soak: tapstack did not come up"
		cat "$WORK/tapstack.err"
		exit 1
	}
	sleep 0.1
done
echo "soak: $SECS s of mixed load against pid $TS_PID (namespace $NS)"
END=$(($(date +%s) + SECS))

# wrk on /hello for the whole time.
ns_exec wrk -t 2 -c 20 -d "${SECS}s" --timeout 5s http://10.0.0.2:8080/hello >"$WORK/wrk" 2>&1 &
WRK=$!

# Bulk: 20 MB at a time, the length checked.
(n=0 bad=0
while [ "$(date +%s)" -lt "$END" ]; do
	got=$(ns_exec curl -s -m 60 -o /dev/null -w '%{size_download}' http://10.0.0.2:8080/bytes/20000000)
	n=$((n + 1))
	[ "$got" = 20000000 ] || bad=$((bad + 1))
done
echo "$n $bad" >"$WORK/bulk") &
BULK=$!

# Churn: one connection per request, HTTP and echo.
(n=0 bad=0
while [ "$(date +%s)" -lt "$END" ]; do
	r=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	[ "$r" = "Hello, world!" ] || bad=$((bad + 1))
	r=$(echo "churn $n" | ns_exec timeout 5 nc -N 10.0.0.2 7)
	[ "$r" = "churn $n" ] || bad=$((bad + 1))
	n=$((n + 1))
done
echo "$n $bad" >"$WORK/churn") &
CHURN=$!

# Floods, bounded, one every 30 s, and the RSS samples.
: >"$WORK/rss"
next_flood=$(($(date +%s) + 15))
k=0
while [ "$(date +%s)" -lt "$END" ]; do
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$TS_PID/status" 2>/dev/null)
	[ -n "$rss" ] || {
		fail "the stack died"
		break
	}
	echo "$(($(date +%s) - END + SECS)) $rss" >>"$WORK/rss"
	if [ "$(date +%s)" -ge "$next_flood" ]; then
		case $((k % 4)) in
		0) mode="syn 8080" ;;
		1) mode="ping" ;;
		2) mode="arp" ;;
		*) mode="frag" ;;
		esac
		# shellcheck disable=SC2086
		ns_exec "$HOSTILE" tap0 flood $mode --count 5000 --rate 2500 --seconds 4 --seed $k \
			>/dev/null 2>&1 &
		k=$((k + 1))
		next_flood=$((next_flood + 30))
	fi
	sleep "$SAMPLE"
done
wait "$WRK" "$BULK" "$CHURN"
# Let what the floods left end before counting: half-open connections of a
# SYN flood resend their SYN,ACK for 63 s (tcp_synack_retries 5), and
# replies to made-up senders wait for ARP (3 tries a second apart).
sleep "${SOAK_SETTLE:-70}"

echo "soak: RSS samples (seconds KiB):"
awk '{printf "%s%s:%s", (NR > 1 ? " " : "  "), $1, $2} END {print ""}' "$WORK/rss"
third=$(($(wc -l <"$WORK/rss") / 3))
mid=$(awk -v a="$third" -v b="$((2 * third))" 'NR > a && NR <= b && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
last=$(awk -v b="$((2 * third))" 'NR > b && $2 > m {m = $2} END {print m + 0}' "$WORK/rss")
echo "soak: RSS max of the middle third $mid KiB, of the last third $last KiB"
[ "$last" -le $((mid + RSS_GROWTH_KIB)) ] || fail "RSS grew from $mid to $last KiB"

reqs=$(awk '/requests in/ {print $1}' "$WORK/wrk")
errs=$(grep -E 'Socket errors|Non-2xx' "$WORK/wrk" | tr '\n' ' ')
echo "soak: wrk ${reqs:-?} requests; $(grep 'Requests/sec' "$WORK/wrk"); errors: ${errs:-none}"
[ -n "$reqs" ] || fail "wrk printed no result"
[ -z "$errs" ] || fail "wrk: $errs"
read -r bn bbad <"$WORK/bulk"
read -r cn cbad <"$WORK/churn"
echo "soak: bulk $bn fetches of 20 MB, $bbad bad; churn $cn rounds (HTTP + echo), $cbad bad; $k floods"
[ "$bbad" -eq 0 ] || fail "$bbad bulk fetches came back short"
[ "$cbad" -eq 0 ] || fail "$cbad churn exchanges failed"

# Connections left after the load: listeners only (TIME-WAIT may remain).
kill -USR1 "$TS_PID"
sleep 1
live=$(grep -cE '^(ESTABLISHED|CLOSE-WAIT|SYN-RECEIVED|FIN-WAIT|LAST-ACK|CLOSING)' "$WORK/tapstack.err")
echo "soak: connections left after the load (SIGUSR1): $live live"
[ "$live" -eq 0 ] || fail "$live connections still live"

kill -TERM "$TS_PID"
wait "$TS_PID"
rc=$?
TS_PID=""
[ "$rc" -eq 0 ] || fail "tapstack exit status $rc"
! grep -q Sanitizer "$WORK/tapstack.err" || fail "sanitizer report"
acct=$(grep '^accounting:' "$WORK/tapstack.err" | tail -n 1)
inuse=$(grep '^in use:' "$WORK/tapstack.err" | tail -n 1)
echo "soak: $acct"
echo "soak: $inuse"
case $acct in
*UNBALANCED* | "") fail "accounting: $acct" ;;
esac
bufs=$(echo "$inuse" | awk '{print $3}')
[ "${bufs:-999}" -le 8 ] || fail "$bufs buffers still in use at exit"

# The two-stack suites under valgrind (make check runs the unit ones).
VG_BIN=${VG_TWOSTACK:-$TOP/build/tests/twostack_tests}
if [ "${SOAK_VALGRIND:-1}" = 0 ]; then
	echo "soak: SOAK_VALGRIND=0: the two-stack suites under valgrind skipped"
elif [ -x "$VG_BIN" ] && command -v valgrind >/dev/null; then
	start=$(date +%s)
	if CK_TIMEOUT_MULTIPLIER=20 valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite \
		"$VG_BIN" >"$WORK/valgrind" 2>&1; then
		echo "soak: two-stack suites under valgrind: no error ($(($(date +%s) - start)) s)"
	else
		fail "two-stack suites under valgrind: $(grep -E 'ERROR SUMMARY|Checks' "$WORK/valgrind" | tail -n 2)"
	fi
else
	fail "no $VG_BIN or no valgrind"
fi

if [ "$FAILS" -eq 0 ]; then
	echo "soak: passed"
	rm -rf "$WORK"
	exit 0
fi
echo "soak: $FAILS failures; logs in $WORK"
exit 1
