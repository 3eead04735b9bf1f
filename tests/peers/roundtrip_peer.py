#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A roundtrip peer written from muduo's documented frame, for tests.

muduo's roundtrip_udp (and roundtrip over TCP): the client sends two
int64 in host byte order, its send time in microseconds since the epoch
and 0; the server puts its own time in the second and sends it back.
ttcp --ntp: four big-endian int64: T1, T2 (server received), T3 (server
sent), 0.

server: answers with a clock that is --offset-us ahead (negative:
behind), and can misbehave on purpose (duplicate or drop replies, send
junk first) so the tests can check how ttcp counts them. client: probes
a ttcp server and checks what comes back. Both print one JSON object.
"""
import argparse
import json
import socket
import struct
import sys
import time

MUDUO = struct.Struct("=qq")
NTP = struct.Struct(">qqqq")


def now_us():
    return time.time_ns() // 1000


def server(args):
    kind = socket.SOCK_STREAM if args.tcp else socket.SOCK_DGRAM
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind((args.host, args.port))
    if args.tcp:
        sock.listen(1)
    print("listening on %s:%d" % sock.getsockname(), file=sys.stderr,
          flush=True)
    sock.settimeout(20)
    conn = sock.accept()[0] if args.tcp else sock
    size = NTP.size if args.ntp else MUDUO.size
    report = {"answered": 0, "requests": 0, "bad": 0}
    pending = b""
    while report["requests"] < args.count:
        if args.tcp:
            data = conn.recv(4096)
            if not data:
                break
            pending += data
            frames = []
            while len(pending) >= size:
                frames.append(pending[:size])
                pending = pending[size:]
            peer = None
        else:
            data, peer = sock.recvfrom(4096)
            frames = [data]
        t2 = now_us() + args.offset_us
        for f in frames:
            if len(f) != size:
                report["bad"] += 1
                continue
            report["requests"] += 1
            n = report["requests"]
            if args.drop_every and n % args.drop_every == 0:
                continue
            if args.ntp:
                t1 = NTP.unpack(f)[0]
                reply = NTP.pack(t1, t2, now_us() + args.offset_us, 0)
            else:
                t1 = MUDUO.unpack(f)[0]
                reply = MUDUO.pack(t1, t2)
            out = []
            if args.junk_every and n % args.junk_every == 0:
                out.append(b"short")
                out.append(MUDUO.pack(12345, t2) if not args.ntp else
                           NTP.pack(12345, t2, t2, 0))
            out.append(reply)
            if args.dup_every and n % args.dup_every == 0:
                out.append(reply)
            for o in out:
                if args.tcp:
                    if len(o) == size:
                        conn.sendall(o)
                else:
                    sock.sendto(o, peer)
            report["answered"] += 1
    print(json.dumps(report, sort_keys=True), flush=True)


def client(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if args.tcp
                         else socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.connect((args.host, args.port))
    report = {"sent": 0, "echoed": 0, "in_window": 0, "sizes": []}
    for _ in range(args.count):
        t1 = now_us()
        sock.send(MUDUO.pack(t1, 0))
        report["sent"] += 1
        data = b""
        while len(data) < MUDUO.size:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            if not args.tcp:
                break
        t4 = now_us()
        report["sizes"].append(len(data))
        if len(data) != MUDUO.size:
            continue
        r1, their = MUDUO.unpack(data)
        report["echoed"] += r1 == t1
        # Same machine, same clock: the server's stamp lies in [T1, T4].
        report["in_window"] += t1 <= their <= t4
    report["sizes"] = sorted(set(report["sizes"]))
    print(json.dumps(report, sort_keys=True), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=["server", "client"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tcp", action="store_true")
    p.add_argument("--ntp", action="store_true")
    p.add_argument("--count", type=int, default=10,
                   help="requests to answer (server) or send (client)")
    p.add_argument("--offset-us", type=int, default=0)
    p.add_argument("--drop-every", type=int, default=0)
    p.add_argument("--dup-every", type=int, default=0)
    p.add_argument("--junk-every", type=int, default=0,
                   help="send a short datagram and a reply to no probe")
    args = p.parse_args()
    server(args) if args.mode == "server" else client(args)


if __name__ == "__main__":
    main()
