#!/bin/sh
# screenshot.sh - the Wireshark pictures in docs/layers.md, taken from the
# real Wireshark (Qt) on a virtual X server, opened on hello.pcap at the
# request frame.  Needs the Debian packages wireshark-qt, xvfb, x11-apps
# (xwd), xdotool and imagemagick.  Needs no root and no network.
#
#   sh docs/captures/screenshot.sh      (from the top of the repository)
#
# Writes wireshark-ipv4.png (IPv4 header of the request expanded, its 20
# bytes highlighted) and wireshark-tcp.png (the TCP header instead).
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/tsshot.XXXXXX)
DISPLAY_NUM=${DISPLAY_NUM:-47}
export DISPLAY=":$DISPLAY_NUM" HOME="$TMP" XDG_RUNTIME_DIR="$TMP"
XPID="" WPID=""
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null
	sleep 1
	rm -rf "$TMP"
}
trap cleanup EXIT
chmod 700 "$TMP"

Xvfb ":$DISPLAY_NUM" -screen 0 1280x900x24 -nolisten tcp >"$TMP/xvfb.log" 2>&1 &
XPID=$!
sleep 1
REQ=$(tshark -r "$OUT/hello.pcap" -Y http.request -T fields -e frame.number 2>/dev/null)

# shot NAME ROW: open the capture at the request, expand detail row ROW
# (0 Frame, 1 Ethernet, 2 IPv4, 3 TCP, 4 HTTP), save the screen as NAME.
shot() {
	wireshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-r "$OUT/hello.pcap" -g "$REQ" >"$TMP/ws.log" 2>&1 &
	WPID=$!
	i=0
	until W=$(xdotool search --name 'hello\.pcap' 2>/dev/null | head -n 1) && [ -n "$W" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || {
			echo "screenshot: Wireshark did not open" >&2
			exit 1
		}
		sleep 0.2
	done
	sleep 2
	# No window manager: place and size the window ourselves.
	xdotool windowmove "$W" 0 0 windowsize "$W" 1280 900
	sleep 1
	# The packet details pane starts at y=494 at this size, 15 pixels a row.
	xdotool mousemove 100 $((494 + 15 * $2)) click 1
	sleep 0.5
	xdotool key Right
	sleep 0.5
	xwd -root -silent | convert xwd:- -strip -colors 256 "PNG8:$OUT/$1"
	kill "$WPID"
	wait "$WPID" 2>/dev/null || true
	WPID=""
}
shot wireshark-ipv4.png 2
shot wireshark-tcp.png 3
echo "screenshot: wrote wireshark-ipv4.png and wireshark-tcp.png (request is frame $REQ)"
