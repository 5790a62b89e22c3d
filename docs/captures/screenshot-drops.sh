#!/bin/sh
# screenshot-drops.sh - the picture in docs/wireshark.md ("Why a frame
# died"): the real Wireshark (Qt) on a virtual X server, opened on
# drops.pcapng (record-drops.sh) filtered with frame.comment contains
# "drop", a column for the packet comment, and the out-of-window segment
# selected, its "Packet comments" expanded.  The
# same packages as screenshot.sh: wireshark-qt, xvfb, x11-apps (xwd),
# xdotool, imagemagick.  Needs no root and no network.
#
#   sh docs/captures/screenshot-drops.sh    (from the top of the repository)
#
# Writes wireshark-drops.png.
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d /tmp/tsshot.XXXXXX)
DISPLAY_NUM=${DISPLAY_NUM:-48}
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
SEL=$(tshark -r "$OUT/drops.pcapng" -Y 'frame.comment contains "TCP_OUT_OF_WINDOW"' \
	-T fields -e frame.number 2>/dev/null | head -n 1)

# The comment column is as wide as its title.
wireshark -r "$OUT/drops.pcapng" -g "$SEL" -Y 'frame.comment contains "drop"' \
	-o 'gui.column.format:"No.","%m","Time","%t","Source","%s","Destination","%d","Protocol","%p","Packet comment (frame.comment): why tapstack dropped it","%Cus:frame.comment:0:R","Info","%i"' \
	>"$TMP/ws.log" 2>&1 &
WPID=$!
i=0
until W=$(xdotool search --name 'drops\.pcapng' 2>/dev/null | head -n 1) && [ -n "$W" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || {
		echo "screenshot-drops: Wireshark did not open" >&2
		exit 1
	}
	sleep 0.2
done
sleep 2
# No window manager: place and size the window ourselves.
xdotool windowmove "$W" 0 0 windowsize "$W" 1280 900
sleep 1
# The first row of the details pane (Packet comments) at this size: expand it.
xdotool mousemove 100 ${COMMENT_ROW_Y:-494} click 1
sleep 0.5
xdotool key Right
sleep 0.5
xwd -root -silent | convert xwd:- -strip -colors 256 "PNG8:$OUT/wireshark-drops.png"
echo "screenshot-drops: wrote wireshark-drops.png (frame $SEL selected)"
