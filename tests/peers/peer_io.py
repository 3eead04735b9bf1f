# SPDX-License-Identifier: BSD-2-Clause
"""Socket steps the test peers (tcpfault_peer.py, ttcp_peer.py) share."""


def read_to_eof(sock):
    """recv until EOF or an error: (bytes read, None or the OSError)."""
    got = 0
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return got, None
            got += len(data)
    except OSError as exc:
        return got, exc
