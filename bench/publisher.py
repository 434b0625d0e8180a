"""Publish a Pub/Sub backlog from a process of its own, over a raw socket.

    python bench/publisher.py --port N --channel bench --count 100000 --size 64

No client library is involved (so no client under test pays for the publishing): the
PUBLISH commands are packed once and written in chunks of 1,000, and the script returns
only once every ``:<receivers>`` reply is back, i.e. once the server has queued every
message for the subscribers. Prints one JSON line: receivers of the last message, seconds.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time

CHUNK = 1000


def pack_publish(channel: bytes, payload: bytes) -> bytes:
    return b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(channel), channel, len(payload), payload,
    )


def unlimit_pubsub_buffers(sock: socket.socket) -> None:
    """CONFIG SET client-output-buffer-limit "pubsub 0 0 0": the default pubsub limit
    (32mb hard, 8mb for 60s) could disconnect a subscriber holding a large backlog. A server
    that refuses CONFIG (managed Redis) is warned about, not fatal."""
    sock.sendall(b"*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$26\r\nclient-output-buffer-limit\r\n"
                 b"$12\r\npubsub 0 0 0\r\n")
    reply = b""
    while not reply.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("server closed the connection")
        reply += chunk
    if not reply.startswith(b"+OK"):
        print(f"warning: CONFIG SET client-output-buffer-limit refused: {reply!r}", file=sys.stderr)


def publish(host: str, port: int, channel: str, count: int, size: int) -> dict:
    chan = channel.encode()
    payload = b"x" * size
    command = pack_publish(chan, payload)
    t0 = time.perf_counter()
    with socket.create_connection((host, port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        unlimit_pubsub_buffers(sock)
        sent = 0
        received = 0
        buf = b""
        last = b""
        while received < count:
            # keep at most two chunks in flight: the server never has to buffer our replies
            while sent < count and sent - received < 2 * CHUNK:
                n = min(CHUNK, count - sent)
                sock.sendall(command * n)
                sent += n
            data = sock.recv(1 << 16)
            if not data:
                raise ConnectionError("server closed the connection")
            buf += data
            lines = buf.split(b"\r\n")
            buf = lines.pop()
            for line in lines:
                if not line.startswith(b":"):
                    raise RuntimeError(f"unexpected reply {line!r}")
            received += len(lines)
            if lines:
                last = lines[-1]
    return {"receivers": int(last[1:]) if last else 0, "seconds": time.perf_counter() - t0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--channel", default="bench")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=64)
    a = ap.parse_args(argv)
    print(json.dumps(publish(a.host, a.port, a.channel, a.count, a.size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
