#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""An independent ttcp peer written from ttcp(1) WIRE FORMAT, for tests.

It plays either side of a session and can misbehave on purpose (corrupt
a byte, lie about lengths, hang up mid-message) so the tests can check
both that ttcp speaks the documented format and how it handles a broken
peer. It prints one JSON object describing what it saw on stdout.
"""
import argparse
import json
import socket
import struct
import sys

from peer_io import read_to_eof

MARKER = 0x80000000
FLAG_STREAM, FLAG_REVERSE, FLAG_VERIFY = 0x1, 0x2, 0x4
PATTERN = b"0123456789ABCDEF"


def payload(length):
    """Byte i is PATTERN[i % 16]."""
    return (PATTERN * (length // 16 + 1))[:length]


def recv_exact(sock, n):
    """n bytes, or fewer when the peer closed first."""
    data = bytearray()
    while len(data) < n:
        try:
            chunk = sock.recv(n - len(data))
        except ConnectionResetError:
            raise PeerGone("reset", bytes(data))
        if not chunk:
            raise PeerGone("eof", bytes(data))
        data += chunk
    return bytes(data)


class PeerGone(Exception):
    def __init__(self, how, partial):
        super().__init__(how)
        self.how = how
        self.partial = partial


def after_session(sock, report):
    """The peer must close gracefully: EOF, and nothing more, then we close."""
    sock.shutdown(socket.SHUT_WR)
    extra, exc = read_to_eof(sock)
    if exc is None:
        report["end"] = "eof"
    elif isinstance(exc, ConnectionResetError):
        report["end"] = "reset"
    else:
        raise exc
    report["extra"] = extra
    sock.close()


def reset(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def send_messages(sock, args, number, length, stream, report):
    """The message-sending side, with the requested misbehaviour."""
    body = bytearray(payload(length))
    sent = 0          # bytes of the message stream written so far
    rtts_ok = True
    report["acks"] = 0
    for i in range(1, number + 1):
        data = bytearray(body)
        if args.corrupt and args.corrupt[0] == i:
            data[args.corrupt[1]] = ord("X")
        if not stream:
            prefix = length if args.prefix_length is None else \
                args.prefix_length
            data = bytearray(struct.pack(">i", prefix)) + data
        if args.close_after is not None and \
                sent + len(data) > args.close_after:
            sock.sendall(data[:args.close_after - sent])
            if args.rst:
                reset(sock)
            else:
                sock.close()
            report["stopped_after"] = args.close_after
            return
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            report["end"] = "reset"
            return
        sent += len(data)
        if stream:
            continue
        try:
            ack = recv_exact(sock, 4)
        except PeerGone as gone:
            report["end"] = gone.how
            return
        (value,) = struct.unpack(">i", ack)
        if value != length:
            rtts_ok = False
        report["acks"] += 1
    report["acks_ok"] = rtts_ok
    if args.extra:
        sock.sendall(b"x" * args.extra)
    after_session(sock, report)


def receive_messages(sock, args, number, length, stream, report):
    """The message-receiving side: check prefixes and pattern, ack."""
    expect = payload(length)
    report.update(msgs=0, bytes=0, pattern_ok=True, prefixes_ok=True)
    try:
        if stream:
            for i in range(1, number + 1):
                data = recv_exact(sock, length)
                report["pattern_ok"] &= data == expect
                report["msgs"] += 1
                report["bytes"] += length
                if args.close_after_msgs == i:
                    reset(sock)
                    report["stopped_after_msgs"] = i
                    return
        else:
            for i in range(1, number + 1):
                (prefix,) = struct.unpack(">i", recv_exact(sock, 4))
                report["prefixes_ok"] &= prefix == length
                data = recv_exact(sock, length)
                report["pattern_ok"] &= data == expect
                report["msgs"] += 1
                report["bytes"] += length
                if args.close_after_msgs == i:
                    sock.close()
                    report["stopped_after_msgs"] = i
                    return
                ack = length if args.ack_value is None else args.ack_value
                sock.sendall(struct.pack(">i", ack))
    except PeerGone as gone:
        report["end"] = gone.how
        return
    except (BrokenPipeError, ConnectionResetError):
        report["end"] = "reset"
        return
    after_session(sock, report)


def header_bytes(args):
    if args.header is not None:
        return bytes.fromhex(args.header)
    flags = (FLAG_STREAM if args.stream else 0) | \
        (FLAG_REVERSE if args.reverse else 0) | \
        (FLAG_VERIFY if args.verify_flag else 0)
    hdr = b""
    if flags or args.ext or args.parallel != 1:
        hdr = struct.pack(">IIII", MARKER, flags, args.group, args.parallel)
    return hdr + struct.pack(">ii", args.number, args.length)


def transmit(args):
    report = {}
    sock = socket.create_connection((args.host, args.port), timeout=10)
    sock.sendall(header_bytes(args))
    if args.header is not None and args.close:
        sock.close()
        report["end"] = "closed"
    elif args.header is not None and args.wait:
        # Only the header (or part of it): see what the receiver does.
        try:
            rest = sock.recv(65536)
            report["end"] = "eof" if rest == b"" else "data"
        except ConnectionResetError:
            report["end"] = "reset"
        sock.close()
    elif args.reverse:
        receive_messages(sock, args, args.number, args.length, args.stream,
                         report)
    else:
        send_messages(sock, args, args.number, args.length, args.stream,
                      report)
    print(json.dumps(report, sort_keys=True))


def receive(args):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.host, args.port))
    lsock.listen(8)
    lsock.settimeout(10)
    print("listening on %s:%d" % lsock.getsockname(), file=sys.stderr,
          flush=True)
    sock, _ = lsock.accept()
    sock.settimeout(10)
    report = {}
    raw = recv_exact(sock, 8)
    (first,) = struct.unpack(">I", raw[:4])
    flags, group, parallel = 0, None, 1
    if first == MARKER:
        raw += recv_exact(sock, 16)
        _, flags, group, parallel = struct.unpack(">IIII", raw[:16])
    number, length = struct.unpack(">ii", raw[-8:])
    report.update(header=raw.hex(), number=number, length=length,
                  flags=flags, group=group, parallel=parallel)
    stream = bool(flags & FLAG_STREAM)
    if flags & FLAG_REVERSE:
        send_messages(sock, args, number, length, stream, report)
    else:
        receive_messages(sock, args, number, length, stream, report)
    print(json.dumps(report, sort_keys=True))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("mode", choices=["transmit", "receive"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("-n", "--number", type=int, default=10)
    p.add_argument("-l", "--length", type=int, default=1024)
    p.add_argument("--stream", action="store_true")
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--verify-flag", action="store_true")
    p.add_argument("--ext", action="store_true",
                   help="send the extended header even when not needed")
    p.add_argument("--group", type=lambda s: int(s, 0), default=0x1234)
    p.add_argument("--parallel", type=int, default=1)
    p.add_argument("--header", help="raw header bytes in hex instead")
    p.add_argument("--wait", action="store_true",
                   help="with --header: send it, then wait for the end")
    p.add_argument("--close", action="store_true",
                   help="with --header: send it, then close")
    p.add_argument("--corrupt", type=lambda s: tuple(map(int, s.split(","))),
                   help="MSG,OFFSET: replace that payload byte with 'X'")
    p.add_argument("--prefix-length", type=int,
                   help="ack mode: send this length prefix instead")
    p.add_argument("--close-after", type=int,
                   help="close after this many bytes of the messages")
    p.add_argument("--rst", action="store_true",
                   help="with --close-after: reset instead of FIN")
    p.add_argument("--extra", type=int, default=0,
                   help="bytes to send after the session's end")
    p.add_argument("--ack-value", type=int, help="acknowledge this instead")
    p.add_argument("--close-after-msgs", type=int,
                   help="receive this many messages, then close")
    args = p.parse_args()
    if args.mode == "transmit":
        transmit(args)
    else:
        receive(args)


if __name__ == "__main__":
    main()
