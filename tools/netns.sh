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
