#!/bin/sh
# run.sh - `make run`: the demo.  Creates the private namespace "tapstack",
# starts the stack there on tap0 (kernel side 10.0.0.1/24, configured by the
# stack itself through libnl), writes every frame to tapstack.pcap, and
# removes the namespace when the stack stops (Ctrl-C).
set -eu
BIN=${1:-build/tapstack}
PCAP=${PCAP:-tapstack.pcap}
. "$(dirname "$0")/netns.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "run: creating a network namespace and a TAP needs root: sudo make run" >&2
	exit 1
fi
trap ns_cleanup EXIT
trap 'exit 0' INT TERM
ns_create tapstack

cat <<MSG
tapstack: namespace "tapstack", tap0 kernel side 10.0.0.1/24 fd00::1/64, stack 10.0.0.2/24 fd00::2/64
Try, from another terminal:
  sudo ip netns exec tapstack curl http://10.0.0.2:8080/hello
  sudo ip netns exec tapstack ping -c 3 10.0.0.2
  sudo ip netns exec tapstack ping -6 -c 3 fd00::2   # IPv6 (kernel side fd00::1/64)
  sudo ip netns exec tapstack nc 10.0.0.2 7          # TCP echo
  sudo ip netns exec tapstack curl -g 'http://[fd00::2]:8080/hello'
  sudo ip netns exec tapstack nc -6 fd00::2 7        # TCP echo over IPv6
  sudo ip netns exec tapstack ip neigh               # the stack's MAC, learnt by ARP
  sudo kill -USR1 \$(pgrep -x tapstack)               # connection table and counters
  wireshark $PCAP                                    # every frame, every layer
Ctrl-C stops the stack and removes the namespace.
MSG
# The kernel side's IPv6 address, once the stack has created tap0.
ns_host_ip6 >/dev/null 2>&1 &
# The stack runs in the foreground; its exit (Ctrl-C) ends the demo.
ns_exec "$BIN" serve --tap tap0 --host-ip 10.0.0.1/24 --ip 10.0.0.2/24 \
	--pcap "$PCAP" --stats ${TAPSTACK_ARGS:-} || true
