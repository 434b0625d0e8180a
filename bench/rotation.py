"""Credential rotation under load: fastredis against redis-py 8.2, same server, same run.

    .venv/bin/python bench/rotation.py [--seconds 3] [--rotations 6] [--tasks 50]

An ACL user's password is rotated while ``--tasks`` tasks run SET then GET on one client.
Each rotation does what a managed service's token refresh does: the new password is
added on the server, the provider pushes it (a redis-entraid-shaped token: ``oid`` is the
user, ``get_value()`` the password; the callback is awaited, as redis-entraid's token
manager does), then the old password is removed (``ACL SETUSER ... resetpass >new``).
Both clients get their own StreamingCredentialProvider-shaped provider (redis-py's
``redis.credentials.StreamingCredentialProvider`` subclass for redis-py). Reported per
client and loop: commands completed during the rotation window, commands failed, and
connections opened during the window (``INFO stats`` total_connections_received: reconnects).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import hiredis  # noqa: E402

import fastredis  # noqa: E402
from fastredis.testing import RedisServer  # noqa: E402


class Token:
    def __init__(self, oid: str, value: str) -> None:
        self._oid, self._value = oid, value

    def try_get(self, key: str) -> Any:
        return self._oid if key == "oid" else None

    def get_value(self) -> str:
        return self._value


def provider_class(base: type) -> type:
    class Provider(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            self.token = Token("app", "pw0")
            self._next: Any = None
            self._error: Any = None

        def on_next(self, cb: Any) -> None:
            self._next = cb

        def on_error(self, cb: Any) -> None:
            self._error = cb

        def is_streaming(self) -> bool:
            return True

        def get_credentials(self) -> tuple[str, str]:
            return self.token.try_get("oid"), self.token.get_value()

        async def get_credentials_async(self) -> tuple[str, str]:
            return self.get_credentials()

        async def push(self, token: Token) -> None:
            self.token = token
            res = self._next(token)
            if asyncio.iscoroutine(res) or hasattr(res, "__await__"):
                await res

    return Provider


class Load:
    """``tasks`` tasks running SET then GET on their own key of ``r`` until stopped; what
    completes or fails counts only inside the measuring window (failures by kind)."""

    def __init__(self, r: Any, tasks: int) -> None:
        self.r, self.ok, self.failed = r, 0, 0
        self.errors: dict[str, int] = {}
        self.window = False
        self._stop = asyncio.Event()
        self._workers = [asyncio.ensure_future(self._work(i)) for i in range(tasks)]

    async def _work(self, i: int) -> None:
        key = f"rot:{i}"  # 50 keys: every node of a cluster
        while not self._stop.is_set():
            try:
                await self.r.set(key, i)
                await self.r.get(key)
                self.ok += 2
            except Exception as exc:  # noqa: BLE001 - counted, by kind
                self.failed += 1
                if self.window:
                    name = type(exc).__name__
                    self.errors[name] = self.errors.get(name, 0) + 1

    async def rotate(self, seconds: float, rotations: int,
                     rotation: Callable[[int], Awaitable[None]]) -> tuple[int, int]:
        """Open the window, run ``rotation(n)`` for n = 1..rotations evenly over ``seconds``,
        close it: (commands completed, commands failed) inside the window."""
        ok0, failed0 = self.ok, self.failed
        self.window = True
        gap = seconds / rotations
        for n in range(1, rotations + 1):
            await asyncio.sleep(gap / 2)
            await rotation(n)
            await asyncio.sleep(gap / 2)
        self.window = False
        return self.ok - ok0, self.failed - failed0

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._workers, return_exceptions=True)


async def scenario(client_name: str, port: int, seconds: float, rotations: int, tasks: int) -> dict[str, Any]:
    admin = fastredis.Redis(port=port, decode_responses=True)
    await admin.execute_command("ACL", "SETUSER", "app", "reset", "on", ">pw0", "~*", "&*", "+@all")
    if client_name == "fastredis":
        p = provider_class(fastredis.StreamingCredentialProvider)()
        r: Any = fastredis.Redis(port=port, credential_provider=p)
    else:
        import redis.asyncio as ra
        from redis.credentials import StreamingCredentialProvider

        p = provider_class(StreamingCredentialProvider)()
        r = ra.Redis(port=port, credential_provider=p)

    async def rotation(n: int) -> None:
        new = f"pw{n}"
        await admin.execute_command("ACL", "SETUSER", "app", "on", f">{new}")
        await p.push(Token("app", new))
        await admin.execute_command("ACL", "SETUSER", "app", "resetpass", f">{new}")

    await r.ping()
    load = Load(r, tasks)
    await asyncio.sleep(0.3)  # warm: every task is running, redis-py's pool has grown
    conns_before = int((await admin.info("stats"))["total_connections_received"])
    ok, failed = await load.rotate(seconds, rotations, rotation)
    conns_after = int((await admin.info("stats"))["total_connections_received"])
    await load.stop()
    await r.aclose()
    await admin.execute_command("ACL", "DELUSER", "app")
    await admin.aclose()
    return {"ok": ok, "failed": failed, "errors": load.errors, "reconnects": conns_after - conns_before}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rotations", type=int, default=6)
    ap.add_argument("--tasks", type=int, default=50)
    args = ap.parse_args()
    import redis
    import uvloop

    server = RedisServer().start()
    rows = []
    try:
        for loop_name, factory in (("asyncio", asyncio.new_event_loop), ("uvloop", uvloop.new_event_loop)):
            for client in ("fastredis", "redis-py"):
                loop = factory()
                try:
                    res = loop.run_until_complete(
                        scenario(client, server.port, args.seconds, args.rotations, args.tasks))
                finally:
                    loop.close()
                rows.append((client, loop_name, res))
    finally:
        server.stop()
    print(f"Python {platform.python_version()}, redis-server {'.'.join(map(str, server.version))}, "
          f"hiredis {hiredis.__version__}, redis-py {redis.__version__}, {args.tasks} tasks, "
          f"{args.rotations} rotations in {args.seconds}s, CPUs {__import__('os').cpu_count()}")
    print("| client | loop | commands during rotation | failed | connections opened | errors |")
    print("|---|---|---:|---:|---:|---|")
    for client, loop_name, res in rows:
        print(f"| {client} | {loop_name} | {res['ok']} | {res['failed']} | {res['reconnects']} | "
              f"{res['errors'] or '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
