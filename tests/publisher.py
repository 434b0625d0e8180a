"""A publisher in a separate process: pipelined PUBLISH over a raw socket, replies read
as it goes (bounded memory). ``python tests/publisher.py PORT CHANNEL COUNT SIZE``;
payload i is ``b"%08d" % i`` padded to SIZE bytes, so the receiver can check order."""

from __future__ import annotations

import socket
import subprocess
import sys

import hiredis


def run(port: int, channel: str, count: int, size: int, host: str = "127.0.0.1") -> None:
    sock = socket.create_connection((host, port))
    reader = hiredis.Reader()
    pad = b"x" * max(0, size - 8)
    batch = 500
    sent = 0
    while sent < count:
        n = min(batch, count - sent)
        sock.sendall(b"".join(
            hiredis.pack_command(("PUBLISH", channel, b"%08d" % i + pad))
            for i in range(sent, sent + n)
        ))
        got = 0
        while got < n:
            reader.feed(sock.recv(65536))
            while reader.gets() is not False:
                got += 1
        sent += n
    sock.close()


def publish_in_subprocess(port: int, channel: str, count: int, size: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, str(port), channel, str(count), str(size)])


if __name__ == "__main__":
    run(int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
