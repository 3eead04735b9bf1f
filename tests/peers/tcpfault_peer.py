#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A plain socket program for tests of tcpfault's client, server and proxy
modes: the "user's own program" those modes misbehave against.

It serves or connects once, sends and reads as told, and prints one JSON
object on stdout: what it read, how its reads ended (eof, reset, timeout)
and what its sends returned. It never sleeps to synchronise: it waits on
the socket, on TCP_INFO state, or on a file another process writes.
"""
import argparse
import errno
import json
import os
import select
import socket
import struct
import sys
import time

from peer_io import read_to_eof

STATES = {1: "ESTABLISHED", 7: "CLOSE", 8: "CLOSE_WAIT"}


def outcome(exc):
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, BrokenPipeError):
        return "broken-pipe"
    if isinstance(exc, socket.timeout):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    return "error:" + errno.errorcode.get(getattr(exc, "errno", 0) or 0, "?")


def tcp_state(s):
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
    return STATES.get(info[0], str(info[0]))


def wait_state(s, want, deadline):
    while tcp_state(s) != want:
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for state " + want)
        time.sleep(0.002)


def read_all(s, report, timeout):
    s.settimeout(timeout)
    got, exc = read_to_eof(s)
    report["end"] = "eof" if exc is None else outcome(exc)
    report["read"] = got


def send(s, n, report):
    try:
        s.sendall(b"x" * n)
        report.setdefault("sends", []).append("ok")
    except OSError as exc:
        report.setdefault("sends", []).append(outcome(exc))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="store_true",
                    help="serve one connection on 127.0.0.1:0; prints "
                         "'port N' on stderr")
    ap.add_argument("--connect", metavar="PORT", type=int)
    ap.add_argument("--send", type=int, default=0,
                    help="bytes to send first")
    ap.add_argument("--then-send", type=int, default=0,
                    help="bytes to send after the first read ended")
    ap.add_argument("--wait-state", help="before reading, wait until the "
                    "socket is in this TCP state (CLOSE, CLOSE_WAIT)")
    ap.add_argument("--read", action="store_true", help="read to the end")
    ap.add_argument("--read-bytes", type=int, default=0,
                    help="read exactly this many bytes first")
    ap.add_argument("--close", choices=["close", "shutdown"],
                    default="close")
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()
    report = {}
    deadline = time.monotonic() + a.timeout
    if a.listen:
        lsn = socket.socket()
        lsn.bind(("127.0.0.1", 0))
        lsn.listen(1)
        print("port %d" % lsn.getsockname()[1], file=sys.stderr, flush=True)
        lsn.settimeout(a.timeout)
        s, _ = lsn.accept()
        lsn.close()
    else:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", a.connect))
        except OSError as exc:
            print(json.dumps({"connect": outcome(exc)}))
            return
    if a.read_bytes:
        s.settimeout(a.timeout)
        got = 0
        while got < a.read_bytes:
            data = s.recv(a.read_bytes - got)
            if not data:
                break
            got += len(data)
        report["first_read"] = got
    if a.send:
        send(s, a.send, report)
    if a.close == "shutdown":
        s.shutdown(socket.SHUT_WR)
    if a.wait_state:
        wait_state(s, a.wait_state, deadline)
    if a.read:
        read_all(s, report, max(0.1, deadline - time.monotonic()))
    if a.then_send:
        send(s, a.then_send, report)
    s.close()
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
