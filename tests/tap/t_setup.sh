#!/bin/sh
# t_setup.sh - no root after one set-up step (issue 15): `tapstack setup
# --user nobody` makes a persistent TAP owned by nobody and brings its kernel
# side up, `tapstack serve` then runs as nobody (setpriv: uid, gid and
# groups dropped, no capabilities) and answers curl; the permission error
# names the ways to run without root; `setup --remove` deletes the TAP; a
# program on the library (docs/examples/hello_c) runs as nobody the same way.
#
# /dev/net/tun is mode 0600 on some machines (a bare devtmpfs) where
# distributions ship 0666: the unprivileged commands run in a private mount
# namespace where a 0666 node of the same device is bound over it, so the
# host's node is never changed.
. "$(dirname "$0")/lib.sh"

command -v setpriv >/dev/null || ts_skip "setpriv (util-linux) is not installed"
command -v unshare >/dev/null || ts_skip "unshare (util-linux) is not installed"
TUN_NODE=$WORK/tun
mknod -m 0666 "$TUN_NODE" c 10 200 || ts_skip "cannot mknod a copy of /dev/net/tun"
chmod 0755 "$WORK"
UP_PID=""

# as_nobody CMD...: CMD in the namespace as nobody:nogroup, no groups, no capabilities.
as_nobody() {
	ip netns exec "$NS" unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' \
		"$TUN_NODE" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}

test_setup_then_serve_unprivileged() {
	ts_need_no_stack
	ns_exec "$BIN" setup --user nobody --tap tap0 --host-ip 10.0.0.1/24 >"$WORK/setup.out" 2>&1
	eq "setup --user nobody exits 0 ($(cat "$WORK/setup.out"))" 0 $?
	ns_exec ip -d link show tap0 >"$WORK/link" 2>&1
	check "tap0 is persistent and owned by nobody" grep -q 'persist on user nobody' "$WORK/link"
	check "tap0's kernel side is up" grep -q '<.*UP.*>' "$WORK/link"
	check "tap0 has 10.0.0.1/24" sh -c "ip -n '$NS' addr show tap0 | grep -q 'inet 10.0.0.1/24'"

	# Not through as_nobody: $! must be tapstack's own pid (each command execs the next).
	ip netns exec "$NS" unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' \
		"$TUN_NODE" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$BIN" serve --tap tap0 --ip 10.0.0.2/24 --stats \
		>"$WORK/up.out" 2>"$WORK/up.err" &
	UP_PID=$!
	i=0
	while [ $i -lt 100 ] && ! ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
		kill -0 "$UP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	uid=$(awk '/^Uid:/ {print $3}' "/proc/$UP_PID/status" 2>/dev/null)
	eq "serve runs as nobody (effective uid)" 65534 "$uid"
	capeff=$(awk '/^CapEff:/ {print $2}' "/proc/$UP_PID/status" 2>/dev/null)
	eq "serve has no capabilities" 0000000000000000 "$capeff"
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl /hello from the kernel side" "Hello, world!" "$body"
	kill -TERM "$UP_PID"
	wait "$UP_PID"
	eq "unprivileged serve exits 0 on SIGTERM" 0 $?
	UP_PID=""
	check "no sanitizer report" sh -c "! grep -q Sanitizer '$WORK/up.err'"
	ns_exec ip link show tap0 >/dev/null 2>&1
	eq "tap0 outlives serve (persistent)" 0 $?

	ns_exec "$BIN" setup --remove --tap tap0 >"$WORK/rm.out" 2>&1
	eq "setup --remove exits 0" 0 $?
	ns_exec ip link show tap0 >/dev/null 2>&1
	eq "tap0 is gone after setup --remove" 1 $?
}

# A program on the library (docs/examples/hello_c: ts_open_tap) runs as nobody the same way.
test_library_program_unprivileged() {
	hello=$(dirname "$BIN")/examples/hello_c
	[ -x "$hello" ] || {
		echo "missing $hello: make V=asan tests"
		FAILS=$((FAILS + 1))
		return
	}
	ts_need_no_stack
	ns_exec "$BIN" setup --user nobody --tap tap0 --host-ip 10.0.0.1/24 >/dev/null 2>&1
	eq "setup exits 0" 0 $?
	ip netns exec "$NS" unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec "$@"' \
		"$TUN_NODE" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all --bounding-set=-all "$hello" --tap tap0 \
		>"$WORK/hello.out" 2>"$WORK/hello.err" &
	UP_PID=$!
	i=0
	while [ $i -lt 100 ] && ! ns_exec ping -c 1 -W 1 -q 10.0.0.2 >/dev/null 2>&1; do
		kill -0 "$UP_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	uid=$(awk '/^Uid:/ {print $3}' "/proc/$UP_PID/status" 2>/dev/null)
	eq "hello_c runs as nobody" 65534 "$uid"
	body=$(ns_exec curl -s -m 5 http://10.0.0.2:8080/hello)
	eq "curl /hello answered by the library program" "Hello, world!" "$body"
	kill -TERM "$UP_PID"
	wait "$UP_PID"
	eq "hello_c exits 0 on SIGTERM" 0 $?
	UP_PID=""
	check "no sanitizer report" sh -c "! grep -q Sanitizer '$WORK/hello.err'"
	ns_exec "$BIN" setup --remove --tap tap0 >/dev/null 2>&1
	eq "setup --remove exits 0" 0 $?
}

# Without setup the error says how to run without root, and exits 1.
test_unprivileged_error_names_both_ways() {
	ts_need_no_stack
	as_nobody "$BIN" serve --tap tap3 >"$WORK/np.out" 2>"$WORK/np.err"
	eq "serve as nobody on a TAP it does not own exits 1" 1 $?
	check "it names tapstack setup --user nobody" grep -q 'tapstack setup --user nobody --tap tap3' "$WORK/np.err"
	check "it names ip tuntap add ... user nobody" grep -q 'ip tuntap add dev tap3 mode tap user nobody' "$WORK/np.err"
	check "it names setcap cap_net_admin+ep" grep -q 'setcap cap_net_admin+ep' "$WORK/np.err"
	ns_exec ip link show tap3 >/dev/null 2>&1
	eq "nothing was created" 1 $?
}

test_setup_errors() {
	ts_need_no_stack
	ns_exec "$BIN" setup --tap tap0 >/dev/null 2>"$WORK/e1"
	eq "setup without --user: exit 2" 2 $?
	check "it says --user is needed" grep -q 'needs --user' "$WORK/e1"
	ns_exec "$BIN" setup --user no-such-user-xyz >/dev/null 2>"$WORK/e2"
	eq "setup --user no-such-user: exit 2" 2 $?
	ns_exec "$BIN" setup --remove --tap tap5 >/dev/null 2>"$WORK/e3"
	eq "setup --remove of a missing TAP: exit 1" 1 $?
	check "it says there is no such interface" grep -q 'no such interface' "$WORK/e3"
	as_nobody "$BIN" setup --user nobody --tap tap5 >/dev/null 2>"$WORK/e4"
	eq "setup as nobody: exit 1" 1 $?
	check "it says setup needs root" grep -q 'setup needs root' "$WORK/e4"
	ns_exec ip link show tap5 >/dev/null 2>&1
	eq "nothing was created" 1 $?
}

run_tests
