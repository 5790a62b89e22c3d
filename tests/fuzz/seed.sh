#!/bin/sh
# seed.sh OUTDIR - writes the seed corpora of the three fuzzers:
#   OUTDIR/fuzz_frame/   every tests/frames/**/*.hex as one binary frame
#   OUTDIR/fuzz_frames/  the same frames one per record, plus whole exchanges
#                        (TCP handshake/data/FIN with the application acting,
#                        the fragments of a 4000-byte ping in and out of order,
#                        UDP echo, the same over IPv6) in fuzz_frames.c's record
#                        format
#   OUTDIR/fuzz_http/    hand-made requests, responses and chunked bodies with
#                        fuzz_http.c's 3-byte prefix (mode, split)
# Run from the repository root or anywhere: paths are relative to this script.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
frames="$here/../frames"
out=${1:?usage: seed.sh OUTDIR}
mkdir -p "$out/fuzz_frame" "$out/fuzz_frames" "$out/fuzz_http"

# Commented text hex (tsunit.c's format: '#' to end of line is a comment) to bytes.
hex2bin() {
	sed 's/#.*//' "$1" | xxd -r -p
}

# One byte with value $1 (0..255).
byte() {
	printf "\\$(printf %03o "$1")"
}

# A fuzz_frames record: op byte, big-endian 16-bit length, the frame of hex file $2.
rec() {
	tmp=$(mktemp)
	hex2bin "$2" >"$tmp"
	n=$(wc -c <"$tmp")
	byte "$1"
	byte $((n / 256))
	byte $((n % 256))
	cat "$tmp"
	rm -f "$tmp"
}

# Single frames, for both frame fuzzers.
for f in "$frames"/*/*.hex; do
	name=$(basename "$(dirname "$f")")-$(basename "$f" .hex)
	hex2bin "$f" >"$out/fuzz_frame/$name"
	rec 0 "$f" >"$out/fuzz_frames/$name"
done

# fuzz_frames op bits (fuzz_frames.c): 1 repair checksums, 2 patch ACK,
# 4*k clock advance k, 32*a application action a:
# 1 accept, 2 echo, 3 write 3000, 4 close oldest, 5 shutdown, 6 UDP echo, 7 epoll.
ACCEPT=32 ECHO=64 WRITE=96 CLOSE=128 SHUT=160 UDPECHO=192 EPOLL=224
FIX=3 # repair checksums after patching the ACK
T=$frames/tcp
{
	rec 0 "$T/linux_syn.hex"
	rec $((FIX + ACCEPT)) "$T/linux_ack.hex"
	rec $((FIX + ECHO)) "$T/linux_data.hex"
	rec $((FIX + CLOSE)) "$T/linux_fin.hex"
	rec $((FIX + 12)) "$T/linux_ack.hex"
} >"$out/fuzz_frames/tcp-exchange"
{
	rec $EPOLL "$T/linux_syn.hex"
	rec $((FIX + EPOLL)) "$T/linux_ack.hex"
	rec $((FIX + EPOLL)) "$T/linux_data.hex"
	rec $((FIX + EPOLL)) "$T/linux_fin.hex"
	rec $((FIX + 16 + EPOLL)) "$T/linux_ack.hex"
} >"$out/fuzz_frames/tcp-epoll"
{
	rec 0 "$T/linux_syn.hex"
	rec $((FIX + ACCEPT)) "$T/linux_ack.hex"
	rec $((FIX + WRITE)) "$T/linux_ack.hex"
	rec $((FIX + 12 + SHUT)) "$T/linux_ack.hex"
	rec $((FIX + 20)) "$T/linux_ack.hex"
	rec $((FIX + 24)) "$T/linux_fin.hex"
} >"$out/fuzz_frames/tcp-write-shutdown"
{
	rec 0 "$T/linux_syn.hex"
	rec 12 "$T/linux_syn.hex"
	rec 20 "$T/linux_syn.hex"
} >"$out/fuzz_frames/tcp-syn-retransmit"
I=$frames/ipv4
{
	rec 0 "$I/frag4000_1.hex"
	rec 0 "$I/frag4000_2.hex"
	rec 0 "$I/frag4000_3.hex"
} >"$out/fuzz_frames/frag-in-order"
{
	rec 0 "$I/frag4000_3.hex"
	rec 4 "$I/frag4000_1.hex"
	rec 4 "$I/frag4000_1.hex"
	rec 8 "$I/frag4000_2.hex"
} >"$out/fuzz_frames/frag-reverse-dup"
{
	rec 0 "$I/frag4000_1.hex"
	rec 24 "$I/frag4000_2.hex"
	rec 0 "$I/frag4000_3.hex"
} >"$out/fuzz_frames/frag-timeout"
V=$frames/ipv6
{
	rec 0 "$V/ns.hex"
	rec 0 "$V/syn.hex"
	rec $((FIX + ACCEPT)) "$V/ack.hex"
	rec $((FIX + ECHO)) "$V/data.hex"
	rec $((FIX + CLOSE)) "$V/fin.hex"
	rec $UDPECHO "$V/udp_echo.hex"
	rec 0 "$V/echo_request.hex"
} >"$out/fuzz_frames/ipv6-exchange"
{
	rec 0 "$V/frag3000_3.hex"
	rec 0 "$V/frag3000_1.hex"
	rec 4 "$V/frag3000_2.hex"
	rec 0 "$V/frag3000_2.hex"
} >"$out/fuzz_frames/ipv6-frags"
U=$frames/udp
{
	rec $UDPECHO "$U/hello_to_port7.hex"
	rec $UDPECHO "$U/odd_to_port7.hex"
	rec $EPOLL "$U/zero_csum.hex"
	rec 0 "$U/to_closed_port9.hex"
} >"$out/fuzz_frames/udp-echo"

# fuzz_http: mode (0 request, 1 response, 2 chunked, 3 request bytewise), split.
http() {
	mode=$1 split=$2
	shift 2
	byte "$mode"
	byte $((split / 256))
	byte $((split % 256))
	printf "$@"
}
H=$out/fuzz_http
http 0 10 'GET /hello HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n' >"$H/get-hello"
http 3 0 'GET /hello HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n' >"$H/get-hello-bytewise"
http 0 20 'GET /bytes/1000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' >"$H/get-bytes-http10"
http 0 33 'HEAD /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n' >"$H/head-pipelined"
http 0 5 'POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello' >"$H/post-cl"
http 0 40 'POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n' >"$H/post-te"
http 0 3 '\r\n\r\nGET / HTTP/1.1\r\nHost: [::1]:80\r\nX-Folded: a\r\n b\r\n\r\n' >"$H/leading-crlf-obsfold"
http 0 12 'GET http://a/b?c=d HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n' >"$H/absolute-dup-cl"
http 0 7 'GET / HTTP/2.0\r\nHost : a\r\n\r\n' >"$H/bad-version-space-colon"
http 1 15 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\nDate: Sun, 22 Nov 2026 01:00:00 GMT\r\n\r\nHello, world!\n' >"$H/resp-hello"
http 1 9 'HTTP/1.1 404 \r\nTransfer-Encoding: chunked\r\n\r\n' >"$H/resp-404-chunked"
http 2 4 '5\r\nhello\r\n1;ext=1\r\n \r\n0\r\nTrailer: x\r\n\r\n' >"$H/chunked-ext-trailer"
http 2 1 'A\r\n0123456789\r\n0\r\n\r\nGET' >"$H/chunked-then-next"
