# SPDX-License-Identifier: BSD-2-Clause
"""A server that answers each request line and never closes a connection:
the CLOSE_WAIT leak tcpfault check-server must show. Prints "port N"."""
import selectors
import socket
import sys

sel = selectors.DefaultSelector()
lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0))
lsock.listen(128)
sel.register(lsock, selectors.EVENT_READ)
print("port", lsock.getsockname()[1], file=sys.stderr, flush=True)
kept = []
while True:
    for key, _ in sel.select():
        if key.fileobj is lsock:
            conn, _ = lsock.accept()
            kept.append(conn)
            sel.register(conn, selectors.EVENT_READ)
            continue
        conn = key.fileobj
        try:
            data = conn.recv(65536)
        except OSError:
            data = b""
        if data:
            conn.sendall(b"got " + str(len(data)).encode() + b"\n")
        else:
            # EOF: forget to close it (the bug), stop watching it.
            sel.unregister(conn)
