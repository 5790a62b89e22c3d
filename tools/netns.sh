# netns.sh - sourced by tools/run.sh and the TAP test suites: one private
# network namespace per run, removed on exit, so no address or traffic ever
# touches the host namespace.
#
#   ns_create NAME     create NAME with loopback up; registers cleanup
#   ns_exec CMD...     run CMD inside it
#   ns_cleanup         kill what runs inside and delete it (idempotent)

NS=""

ns_cleanup() {
	[ -n "$NS" ] || return 0
	# Everything still running in the namespace goes with it.
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	NS=""
}

ns_create() {
	# A namespace left by a killed run is removed first.
	NS=$1
	ns_cleanup
	NS=$1
	ip netns add "$NS" || return 1
	ip -n "$NS" link set lo up
}

ns_exec() {
	ip netns exec "$NS" "$@"
}

# ns_host_ip6 [ADDR/LEN]: the kernel side's IPv6 address on tap0 (SPEC.md
# --ip6: fd00::1/64 beside the stack's fd00::2/64), once tapstack has
# created tap0 (waits up to 5 s).  --host-ip sets IPv4 only.  nodad: usable
# at once, not after the second of duplicate address detection.
ns_host_ip6() {
	_i=0
	while [ $_i -lt 50 ] && ! ns_exec ip link show tap0 >/dev/null 2>&1; do
		sleep 0.1
		_i=$((_i + 1))
	done
	ns_exec sysctl -qw net.ipv6.conf.tap0.disable_ipv6=0 2>/dev/null || true
	ns_exec ip -6 addr replace "${1:-fd00::1/64}" dev tap0 nodad
}
