#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Peers for tnc's integration tests: servers that reply late, reset,
echo many connections or read slowly, and clients that open many
connections at once. Each server prints "listening on 127.0.0.1:PORT" as
its first stderr line (as tnc -v does) and one JSON line on stdout with
what it saw. Every blocking call has a timeout, so a bug fails a test
instead of hanging it.
"""
import argparse
import hashlib
import json
import os
import selectors
import socket
import struct
import sys
import threading
import time

TIMEOUT = 60


def listen(backlog=128):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(backlog)
    return ls


def announce(ls):
    print("listening on 127.0.0.1:%d" % ls.getsockname()[1],
          file=sys.stderr, flush=True)


def accept_one(ls):
    ls.settimeout(TIMEOUT)
    c, _ = ls.accept()
    c.settimeout(TIMEOUT)
    return c


def connect_or_accept(a):
    """As client with --port, a connection to it; else as server, the one
    connection accepted, and the listener (None as client), kept open."""
    if a.port:
        return socket.create_connection(("127.0.0.1", a.port), TIMEOUT), None
    ls = listen()
    announce(ls)
    return accept_one(ls), ls


def read_to_end(c):
    """Everything until EOF or an error: (bytes, "eof"|"reset"|...)."""
    data = bytearray()
    while True:
        try:
            chunk = c.recv(65536)
        except ConnectionResetError:
            return bytes(data), "reset"
        except socket.timeout:
            return bytes(data), "timeout"
        if not chunk:
            return bytes(data), "eof"
        data += chunk


def pattern(n, seed):
    """n deterministic bytes for connection `seed` (differs per seed)."""
    out = bytearray()
    block = 0
    while len(out) < n:
        out += hashlib.sha256(b"%d:%d" % (seed, block)).digest()
        block += 1
    return bytes(out[:n])


def rst_close(c):
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()


def report(**kw):
    print(json.dumps(kw, sort_keys=True), flush=True)


def cmd_delayed(a):
    """Read the request to its EOF, wait, reply, FIN, read to EOF."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    req, how = read_to_end(c)
    time.sleep(a.delay)
    reply = pattern(a.reply_bytes, 7)
    c.sendall(reply)
    c.shutdown(socket.SHUT_WR)
    rest, end = read_to_end(c)
    c.close()
    report(request=req.decode("latin-1"), request_end=how,
           reply_sha256=hashlib.sha256(reply).hexdigest(),
           after_fin=len(rest), end=end)


def cmd_reset(a):
    """Read the request (to EOF, or a number of bytes), send a reply,
    then reset."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    if a.request_bytes >= 0:
        req = bytearray()
        while len(req) < a.request_bytes:
            chunk = c.recv(a.request_bytes - len(req))
            if not chunk:
                break
            req += chunk
        req, how = bytes(req), "counted"
    else:
        req, how = read_to_end(c)
    c.sendall(a.reply.encode())
    rst_close(c)
    report(request=req.decode("latin-1"), request_end=how)


def cmd_collect(a):
    """Read until EOF or reset; say which, and what came before."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    if a.reply:
        c.sendall(a.reply.encode())
    data, end = read_to_end(c)
    if end == "eof" and a.fin:
        c.shutdown(socket.SHUT_WR)
    c.close()
    report(data=data.decode("latin-1"), end=end)


def cmd_hold(a):
    """Accept, read, never reply or close, until killed."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    c.settimeout(None)
    while True:
        try:
            if not c.recv(65536):
                time.sleep(3600)
        except OSError:
            time.sleep(3600)


def cmd_blackhole(a):
    """A port whose accept queue is full: further SYNs go unanswered."""
    ls = listen(backlog=0)
    port = ls.getsockname()[1]
    fillers = []
    # Fill the queue with connections never accepted; a connect that
    # then stays pending proves the next SYN is dropped.
    for _ in range(8):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(s)
    time.sleep(0.2)
    announce(ls)
    time.sleep(3600)


def cmd_bound(a):
    """A port bound but not listening: connects to it are refused."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print("listening on 127.0.0.1:%d" % s.getsockname()[1],
          file=sys.stderr, flush=True)
    time.sleep(3600)


def cmd_flood(a):
    """Send --bytes to the first client, however it ends; report how."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    data = pattern(a.bytes, 3)
    end = "ok"
    try:
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        rest, end = read_to_end(c)
    except (ConnectionResetError, BrokenPipeError) as e:
        end = "reset" if isinstance(e, ConnectionResetError) else \
            "broken-pipe"
    c.close()
    report(end=end)


def fill_then_reset(c, marker):
    """Send the pattern until the socket takes no more (twice, 0.2 s
    apart, so every buffer on the way is full), then reset. Returns how
    many bytes the other side's kernel acknowledged: sent minus what was
    still queued here, which the RST throws away."""
    import fcntl
    import termios
    data = pattern(1 << 20, 9)
    sent = 0
    c.setblocking(False)
    for _ in range(2):
        while True:
            try:
                n = c.send(data[sent % len(data):])
            except BlockingIOError:
                break
            sent += n
        time.sleep(0.2)
    outq = struct.unpack("i", fcntl.ioctl(c, termios.TIOCOUTQ,
                                          b"\0" * 4))[0]
    rst_close(c)
    if marker:
        open(marker, "w").close()
    return sent - outq


def cmd_floodrst(a):
    """Fill the path to a peer that does not read, then reset: as client
    with --port, else as server."""
    c, _ls = connect_or_accept(a)
    delivered = fill_then_reset(c, a.marker)
    report(delivered=delivered)


def cmd_lateread(a):
    """Read nothing until the marker file exists, then everything to EOF
    or reset, checked against the pattern: as client with --port, else
    as server."""
    c, _ls = connect_or_accept(a)
    deadline = time.time() + TIMEOUT
    while not os.path.exists(a.marker) and time.time() < deadline:
        time.sleep(0.01)
    data, end = read_to_end(c)
    want = pattern(1 << 20, 9)
    ok = all(data[i:i + len(want)] == want[:len(data[i:i + len(want)])]
             for i in range(0, len(data), len(want)))
    report(bytes=len(data), end=end, pattern_ok=ok)

def cmd_echo(a):
    """Echo each connection (many at once) once it half-closed: all its
    bytes back, then FIN. Ends after --conns connections (0: never)."""
    ls = listen(backlog=1024)
    ls.setblocking(False)
    announce(ls)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    state = {}
    served = 0
    while a.conns <= 0 or served < a.conns or state:
        for key, ev in sel.select(TIMEOUT):
            if key.data is None:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    continue
                c.setblocking(False)
                state[c] = bytearray()
                sel.register(c, selectors.EVENT_READ, "c")
                continue
            c = key.fileobj
            out = state[c]
            if ev & selectors.EVENT_READ:
                try:
                    chunk = c.recv(65536)
                except ConnectionResetError:
                    chunk = None
                if chunk:
                    out += chunk
                else:
                    sel.unregister(c)
                    if chunk is None:
                        c.close()
                        del state[c]
                        served += 1
                        continue
                    c.setblocking(True)
                    c.settimeout(TIMEOUT)
                    c.sendall(out)
                    c.shutdown(socket.SHUT_WR)
                    c.close()
                    del state[c]
                    served += 1
    report(served=served)


def cmd_many(a):
    """N connections at once, each sending its own bytes and reading the
    echo; every one is checked byte for byte."""
    results = [None] * a.conns
    socks = []
    for i in range(a.conns):
        s = socket.create_connection(("127.0.0.1", a.port), TIMEOUT)
        socks.append(s)

    def one(i):
        s = socks[i]
        data = pattern(a.bytes + i, i)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            got, end = read_to_end(s)
        except OSError as e:
            results[i] = "error %s" % e
            return
        s.close()
        results[i] = "ok" if got == data and end == "eof" else \
            "bad: %d bytes, %s" % (len(got), end)

    threads = [threading.Thread(target=one, args=(i,))
               for i in range(a.conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    bad = {i: r for i, r in enumerate(results) if r != "ok"}
    report(ok=a.conns - len(bad), bad=bad)


def cmd_slowread(a):
    """Accept one connection and read it slowly in small pieces, hashing,
    so the relay in front of us has to hold back its sender."""
    ls = listen()
    announce(ls)
    c = accept_one(ls)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    # --go FILE: read nothing until FILE exists (at most 60 s), so the
    # test can first see the relay hold its sender back.
    deadline = time.time() + 60
    while a.go and not os.path.exists(a.go) and time.time() < deadline:
        time.sleep(0.01)
    h = hashlib.sha256()
    n = reads = 0
    while True:
        chunk = c.recv(a.chunk)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
        reads += 1
        if reads % a.every == 0:
            time.sleep(a.pause)
    c.close()
    report(bytes=n, sha256=h.hexdigest())


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("delayed")
    p.add_argument("--delay", type=float, default=2.0)
    p.add_argument("--reply-bytes", type=int, default=100000)
    p = sub.add_parser("reset")
    p.add_argument("--reply", default="")
    p.add_argument("--request-bytes", type=int, default=-1)
    p = sub.add_parser("collect")
    p.add_argument("--reply", default="")
    p.add_argument("--fin", action="store_true")
    sub.add_parser("hold")
    sub.add_parser("blackhole")
    sub.add_parser("bound")
    p = sub.add_parser("floodrst")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--marker", default="")
    p = sub.add_parser("lateread")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--marker", required=True)
    p = sub.add_parser("flood")
    p.add_argument("--bytes", type=int, default=10000000)
    p = sub.add_parser("echo")
    p.add_argument("--conns", type=int, default=0)
    p = sub.add_parser("many")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--conns", type=int, default=200)
    p.add_argument("--bytes", type=int, default=100000)
    p = sub.add_parser("slowread")
    p.add_argument("--chunk", type=int, default=4096)
    p.add_argument("--every", type=int, default=256)
    p.add_argument("--pause", type=float, default=0.001)
    p.add_argument("--rcvbuf", type=int, default=65536)
    p.add_argument("--go", default="")
    a = ap.parse_args()
    globals()["cmd_" + a.cmd](a)


if __name__ == "__main__":
    main()
