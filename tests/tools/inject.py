#!/usr/bin/env python3
# inject.py - one hand-made frame written on tap0 from inside a test's
# namespace (a packet socket), from 10.0.0.1 (tap0's own MAC) to 10.0.0.2
# at DST_MAC, for tests/tap/t_capture.sh and docs/captures/record-drops.sh:
#
#   inject.py udp_bad_csum DST_MAC       UDP 40007 -> 7, checksum off by 0x00ff
#   inject.py ipv4_bad_csum DST_MAC      ICMP echo, IP ID 0xbad1, header checksum wrong
#   inject.py tcp_out_of_window DST_MAC SPORT DPORT SEQ ACK
#                                        a bare ACK with sequence number SEQ
#   inject.py ra DST_MAC LIFETIME        an IPv6 router advertisement (RFC 4861 §4.2)
#                                        from tap0's link-local address to ff02::1,
#                                        tap0's MAC as source link-layer option
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
elif what == 'ra':
    lifetime = int(sys.argv[3])
    ll = None
    for line in open('/proc/net/if_inet6'):
        f = line.split()
        if f[5] == 'tap0' and f[0].startswith('fe80'):
            ll = bytes.fromhex(f[0])
    if ll is None:
        sys.exit('inject: tap0 has no link-local address')
    all_nodes = bytes.fromhex('ff020000000000000000000000000001')
    ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, lifetime, 0, 0) + \
        struct.pack('!BB', 1, 1) + src_mac
    c = csum(ll + all_nodes + struct.pack('!IxxxB', len(ra), 58) + ra)
    ra = ra[:2] + struct.pack('!H', c) + ra[4:]
    ip6 = struct.pack('!IHBB', 6 << 28, len(ra), 58, 255) + ll + all_nodes
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(('tap0', 0))
    s.send(bytes.fromhex('333300000001') + src_mac + b'\x86\xdd' + ip6 + ra)
    sys.exit(0)
else:
    sys.exit('inject: unknown ' + what)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(('tap0', 0))
s.send(dst_mac + src_mac + b'\x08\x00' + frame)
