#!/usr/bin/env python3
# inject.py - one hand-made frame written on tap0 from inside a test's
# namespace (a packet socket), from 10.0.0.1 (tap0's own MAC) to 10.0.0.2
# at DST_MAC, for tests/tap/t_capture.sh and docs/captures/record-drops.sh:
#
#   inject.py udp_bad_csum DST_MAC       UDP 40007 -> 7, checksum off by 0x00ff
#   inject.py ipv4_bad_csum DST_MAC      ICMP echo, IP ID 0xbad1, header checksum wrong
#   inject.py tcp_out_of_window DST_MAC SPORT DPORT SEQ ACK
#                                        a bare ACK with sequence number SEQ
import socket, struct, sys

what, dst_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', ''))
src_mac = bytes.fromhex(open('/sys/class/net/tap0/address').read().strip().replace(':', ''))
src, dst = socket.inet_aton('10.0.0.1'), socket.inet_aton('10.0.0.2')

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ipv4(proto, payload, ident, bad_csum=False):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    src, dst)
    c = csum(h) ^ (0x5555 if bad_csum else 0)
    return h[:10] + struct.pack('!H', c) + h[12:] + payload

def pseudo(proto, n):
    return src + dst + struct.pack('!BBH', 0, proto, n)

if what == 'udp_bad_csum':
    data = b'bad checksum'
    u = struct.pack('!HHHH', 40007, 7, 8 + len(data), 0) + data
    c = csum(pseudo(17, len(u)) + u) ^ 0x00ff or 1
    frame = ipv4(17, u[:6] + struct.pack('!H', c) + u[8:], 0x1001)
elif what == 'ipv4_bad_csum':
    icmp = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 1) + b'bad header'
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    frame = ipv4(1, icmp, 0xbad1, bad_csum=True)
elif what == 'tcp_out_of_window':
    sport, dport, seq, ack = (int(a) for a in sys.argv[3:7])
    t = struct.pack('!HHIIBBHHH', sport, dport, seq, ack, 5 << 4, 0x10, 65535, 0, 0)
    t = t[:16] + struct.pack('!H', csum(pseudo(6, len(t)) + t)) + t[18:]
    frame = ipv4(6, t, 0x1002)
else:
    sys.exit('inject: unknown ' + what)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('tap0', 0))
s.send(dst_mac + src_mac + b'\x08\x00' + frame)
