#!/bin/sh
# Installs the Debian packages tapstack needs to build and test, when run
# as root; otherwise prints exactly which are missing and how to get them.
set -eu

PKGS="build-essential pkg-config libpcap-dev libnl-3-dev libnl-route-3-dev check \
iproute2 curl tshark wrk iputils-ping netcat-openbsd nmap procps python3 gnuplot-nox valgrind \
groff-base ndisc6 liburing-dev"
# groff-base: tests/unit/t_install.sh renders the man pages (groff -mdoc -ww).
# liburing-dev: tap/tap.c's --io uring (batched TAP writes).
# ndisc6: tests/tap/t_ipv6.sh solicits the stack's MAC with it (RFC 4861 §4.3).
# make fuzz (tests/fuzz) adds its own through TAPSTACK_DEPS_EXTRA: clang libclang-rt-14-dev xxd
[ -n "${TAPSTACK_DEPS_EXTRA:-}" ] && PKGS="$PKGS $TAPSTACK_DEPS_EXTRA"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: install them with: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no, quietly.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
