#!/bin/sh
# tcpplot.sh - pictures of one TCP connection from tapstack's `--trace tcp`:
#
#   PREFIX-cwnd.png/.svg   cwnd and ssthresh over time, recovery episodes
#                          (state=recovery or loss) shaded
#   PREFIX-tseq.png/.svg   the Stevens time-sequence graph: every data
#                          segment sent (new data, retransmissions in red)
#                          and the cumulative ACK (SND.UNA), over the
#                          window FROM:TO seconds (default: 150 ms around
#                          the first recovery after the first second)
#
# usage: tools/tcpplot.sh TRACE PREFIX [TITLE [FROM:TO]]
#
# TRACE holds `--trace tcp` lines (tapstack serve/get --trace tcp 2>trace,
# or tests/twostack/tcp_cc_matrix_test.c with TS_TCP_TRACE_DIR).  The first
# connection with per-ACK lines is drawn.  Needs gnuplot (tools/deps.sh).
set -eu

[ $# -ge 2 ] || { echo "usage: $0 TRACE PREFIX [TITLE]" >&2; exit 2; }
trace=$1
prefix=$2
title=${3:-$(basename "$prefix")}
zoom=${4:-}
command -v gnuplot >/dev/null || { echo "tcpplot: gnuplot is not installed (tools/deps.sh)" >&2; exit 1; }
[ -r "$trace" ] || { echo "tcpplot: cannot read $trace" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One pass: the connection (first "ack" line), then its ack and tx lines
# as columns, and the recovery intervals.
awk -v out="$tmp" '
function val(k,   i, kv) {
	for (i = 1; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2);
	return "";
}
$1 == "tcp" && ($3 == "ack" || $3 == "tx") {
	if (conn == "" && $3 == "ack")
		conn = $2;
	if ($2 != conn && conn != "")
		next;
	t = val("t") + 0;
	if (t0 == "")
		t0 = t;
	t -= t0;
	if ($3 == "tx") {
		seq = val("seq") + 0;
		if (base == "")
			base = seq;
		rel = seq - base;
		if (rel < 0)
			rel += 4294967296;
		f = val("retrans") == "1" ? "rtx" : "new";
		printf "%.6f %.6f %.6f\n", t, rel / 1048576, (rel + val("len")) / 1048576 > (out "/" f);
		next;
	}
	cw = val("cwnd") / 1024;
	ss = val("ssthresh");
	ss = ss == "inf" ? "NaN" : ss / 1024;
	if (cw > ymax)
		ymax = cw;
	if (ss != "NaN" && ss > ymax)
		ymax = ss;
	printf "%.6f %s %s\n", t, cw, ss > (out "/cwnd");
	if (base != "") {
		una = val("una") + 0 - base;
		if (una < 0)
			una += 4294967296;
		printf "%.6f %.6f\n", t, una / 1048576 > (out "/una");
	}
	st = val("state");
	inrec = st == "recovery" || st == "loss";
	if (inrec && !open) {
		start = t;
		open = 1;
		if (zs == "" && t >= 1)
			zs = t;
	} else if (!inrec && open) {
		printf "%.6f %.6f\n", start, t > (out "/rec");
		open = 0;
	}
	last = t;
}
END {
	if (open)
		printf "%.6f %.6f\n", start, last > (out "/rec");
	printf "%g\n", ymax * 1.1 > (out "/ymax");
	if (zs == "")
		zs = 0.03;
	printf "%.6f:%.6f\n", zs - 0.03, zs + 0.12 > (out "/zoom");
}' "$trace"

[ -s "$tmp/cwnd" ] || { echo "tcpplot: no per-ACK lines in $trace (--trace tcp)" >&2; exit 1; }
for f in rec new rtx una; do [ -e "$tmp/$f" ] || echo "NaN NaN NaN" >"$tmp/$f"; done
ymax=$(cat "$tmp/ymax")
[ -n "$zoom" ] || zoom=$(cat "$tmp/zoom")
zfrom=${zoom%%:*}
zto=${zoom#*:}

for fmt in png svg; do
	if [ $fmt = png ]; then
		term="pngcairo size 1000,500 font 'sans,10'"
	else
		term="svg size 1000,500 font 'sans,10' background rgb 'white'"
	fi
	gnuplot <<GP
set terminal $term
set output '$prefix-cwnd.$fmt'
set title "$title: congestion window (recovery shaded)"
set xlabel 'time (s)'
set ylabel 'KiB'
set yrange [0:$ymax]
set key top left
set grid
plot '$tmp/rec' using ((\$1+\$2)/2):($ymax/2):((\$2-\$1)/2):($ymax/2) with boxxyerror fs transparent solid 0.25 noborder lc rgb '#e08080' title 'recovery / loss', \
     '$tmp/cwnd' using 1:2 with steps lw 1.5 lc rgb '#1f60c0' title 'cwnd', \
     '$tmp/cwnd' using 1:3 with steps lw 1.5 dt 2 lc rgb '#208020' title 'ssthresh'
set output '$prefix-tseq.$fmt'
set title "$title: time-sequence graph, $zfrom s to $zto s"
set ylabel 'sequence (MiB from the first byte)'
set xrange [$zfrom:$zto]
set autoscale y
set autoscale yfix
plot '$tmp/new' using 1:2:(0):(\$3-\$2) with vectors nohead lc rgb '#1f60c0' title 'data sent', \
     '$tmp/rtx' using 1:2 with points pt 7 ps 0.5 lc rgb '#d02020' title 'retransmission', \
     '$tmp/una' using 1:2 with steps lc rgb '#208020' title 'ACK (SND.UNA)'
GP
done
echo "tcpplot: $prefix-cwnd.png $prefix-cwnd.svg $prefix-tseq.png $prefix-tseq.svg"
