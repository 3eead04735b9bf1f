#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Clients and an upstream for tests of tcpfault proxy's own toxics.

  serve              echo every connection (threads) on 127.0.0.1:0;
                     prints "port N" on stderr, runs until killed
  vanish PORT        connect, send a byte at a time until one stays
                     unacknowledged, wait (5 s at most) until TCP_INFO
                     counts a retransmission, then read: how it ended
  many PORT N        N connections one after the other, each sends one
                     byte and reads to the end: how many got the byte
                     back and how many were reset
  connect PORT       one connection: "connected" or the errno name
  concurrent PORT N BYTES
                     N connections open at once, each sends BYTES (its
                     own pattern) and half-closes: how many got exactly
                     their bytes back (scripts/bench-tcpfault)
  churn PORT N       N connections opened and closed, 4 at a time, each
                     echoing one byte: how many did

Each prints one line of facts on stdout. Nothing sleeps to synchronise:
it waits on the socket or polls TCP_INFO.
"""
import errno
import socket
import struct
import sys
import threading
import time

from peer_io import read_to_eof


def end_name(exc):
    if exc is None:
        return "eof"
    return errno.errorcode.get(exc.errno, str(exc))


def tcp_info(sock):
    """(unacked, total_retrans) from struct tcp_info."""
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    fields = struct.unpack("8B24I", raw[:104])
    return fields[8 + 4], fields[8 + 23]


def serve():
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(512)
    print("port", lsock.getsockname()[1], file=sys.stderr, flush=True)

    def echo(c):
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = lsock.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def vanish(port):
    """The proxy vanishes soon after accepting: send a byte at a time
    until one stays unacknowledged, then wait for its retransmissions."""
    s = socket.create_connection(("127.0.0.1", port))
    deadline = time.monotonic() + 5
    sent = 0
    unacked, retrans = tcp_info(s)
    while retrans < 1 and time.monotonic() < deadline:
        if unacked == 0:
            s.sendall(b"v")
            sent += 1
        time.sleep(0.02)
        unacked, retrans = tcp_info(s)
    got, exc = read_to_eof(s)
    print("retransmitted", retrans >= 1, "unacked", unacked > 0,
          "read", got, "end", end_name(exc))


def many(port, n):
    echoed = reset = other = 0
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        first = None
        try:
            s.sendall(b"x")
        except OSError as send_exc:
            first = send_exc    # the RST came first; the send took it
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass                # ENOTCONN once reset: the read says
        got, exc = read_to_eof(s)
        if exc is None and first is not None:
            exc = first
        s.close()
        if exc is not None and exc.errno not in (errno.ECONNRESET,):
            print("other end:", end_name(exc), file=sys.stderr)
        if got == 1 and exc is None:
            echoed += 1
        elif exc is not None and exc.errno == errno.ECONNRESET:
            reset += 1
        else:
            other += 1
    print("echoed", echoed, "reset", reset, "other", other)


def echo_exact(port, n, out):
    """One connection: send n bytes of a pattern, read them back."""
    data = bytes((i * 7 + n) & 0xFF for i in range(256)) * (n // 256 + 1)
    data = data[:n]
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=60)
        sender = threading.Thread(target=lambda: (s.sendall(data),
                                                  s.shutdown(socket.SHUT_WR)))
        sender.start()
        got = bytearray()
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        sender.join()
        s.close()
        out.append(bytes(got) == data)
    except OSError:
        out.append(False)


def concurrent(port, n, size):
    results = []
    threads = [threading.Thread(target=echo_exact, args=(port, size, results))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("exact", sum(results), "of", n)


def churn(port, n):
    counts = [0, 0]
    lock = threading.Lock()

    def worker(k):
        for _ in range(k):
            ok = 0
            try:
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(b"c")
                ok = s.recv(1) == b"c"
                s.close()
            except OSError:
                pass
            with lock:
                counts[0 if ok else 1] += 1

    threads = [threading.Thread(target=worker, args=(n // 4,))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("echoed", counts[0], "failed", counts[1])


def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        print("connected")
    except OSError as exc:
        print(end_name(exc))


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        serve()
    elif cmd == "vanish":
        vanish(int(sys.argv[2]))
    elif cmd == "many":
        many(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "concurrent":
        concurrent(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "churn":
        churn(int(sys.argv[2]), int(sys.argv[3]))
    else:
        connect(int(sys.argv[2]))


if __name__ == "__main__":
    main()
