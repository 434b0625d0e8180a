"""Credential rotation under load on a Redis Cluster: fastredis against redis-py 8.2's
``RedisCluster``, same cluster, same run.

    .venv/bin/python bench/rotation_cluster.py [--seconds 3] [--rotations 6] [--tasks 50]

bench/rotation.py's scenario on a 3-primary cluster (fastredis._testing_cluster): an ACL
user, created on every node, has its password rotated while ``--tasks`` tasks run SET then
GET on keys of every node. Each rotation adds the new password on every node, the provider
pushes it (awaited, as redis-entraid's token manager does), then the old one is removed on
every node (``ACL SETUSER ... resetpass >new``). Reported per client and loop: commands
completed during the rotation window, commands failed, connections opened during the window
(``total_connections_received``, summed over the nodes) and ``AUTH`` commands run
(``cmdstat_auth``: the in-place re-authentications; a new connection authenticates in its
``HELLO`` with redis-py, so its handshakes are not counted there).

``--switch-user``: each push names a new ACL user (``app1``, ``app2`` ...) and the previous
user is then deleted on every node (``ACL DELUSER``, which disconnects the clients still
authenticated as it): what an identity-based token whose old identity expires does to
connections that were not re-authenticated.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import hiredis  # noqa: E402
from rotation import Load, Token, provider_class  # noqa: E402

import fastredis  # noqa: E402
from fastredis._testing_cluster import ClusterHarness  # noqa: E402


async def totals(admins: list[Any]) -> tuple[int, int]:
    conns = auths = 0
    for a in admins:
        conns += int((await a.info("stats"))["total_connections_received"])
        auths += int((await a.info("commandstats")).get("cmdstat_auth", {}).get("calls", 0))
    return conns, auths


async def scenario(client_name: str, ports: list[int], seconds: float, rotations: int,
                   tasks: int, switch_user: bool) -> dict[str, Any]:
    admins = [fastredis.Redis(port=p, decode_responses=True) for p in ports]

    async def on_all(*args: Any) -> None:
        await asyncio.gather(*(a.execute_command(*args) for a in admins))

    user = "app0" if switch_user else "app"
    await on_all("ACL", "SETUSER", user, "reset", "on", ">pw0", "~*", "&*", "+@all")
    if client_name == "fastredis":
        from fastredis.cluster import RedisCluster

        p = provider_class(fastredis.StreamingCredentialProvider)()
        p.token = Token(user, "pw0")
        r: Any = RedisCluster(host="127.0.0.1", port=ports[0], credential_provider=p)
    else:
        from redis.asyncio.cluster import RedisCluster as PyCluster
        from redis.credentials import StreamingCredentialProvider

        p = provider_class(StreamingCredentialProvider)()
        p.token = Token(user, "pw0")
        r = PyCluster(host="127.0.0.1", port=ports[0], credential_provider=p)

    async def rotation(n: int) -> None:
        nonlocal user
        new = f"pw{n}"
        if switch_user:
            old, user = user, f"app{n}"
            await on_all("ACL", "SETUSER", user, "reset", "on", f">{new}", "~*", "&*", "+@all")
            await p.push(Token(user, new))
            await on_all("ACL", "DELUSER", old)
        else:
            await on_all("ACL", "SETUSER", user, "on", f">{new}")
            await p.push(Token(user, new))
            await on_all("ACL", "SETUSER", user, "resetpass", f">{new}")

    await r.ping()
    load = Load(r, tasks)
    await asyncio.sleep(0.3)  # warm: every task is running, redis-py's pools have grown
    conns0, auths0 = await totals(admins)
    ok, failed = await load.rotate(seconds, rotations, rotation)
    conns1, auths1 = await totals(admins)
    await load.stop()
    await r.aclose()
    await on_all("ACL", "DELUSER", user)
    for a in admins:
        await a.aclose()
    return {"ok": ok, "failed": failed, "errors": load.errors, "reconnects": conns1 - conns0,
            "auths": auths1 - auths0}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rotations", type=int, default=6)
    ap.add_argument("--tasks", type=int, default=50)
    ap.add_argument("--switch-user", action="store_true")
    args = ap.parse_args()
    import redis
    import uvloop

    rows = []
    with ClusterHarness(primaries=3, replicas=0) as h:
        ports = [s.port for s in h.live()]
        version = h.live()[0].version
        for loop_name, factory in (("asyncio", asyncio.new_event_loop), ("uvloop", uvloop.new_event_loop)):
            for client in ("fastredis", "redis-py"):
                loop = factory()
                try:
                    res = loop.run_until_complete(
                        scenario(client, ports, args.seconds, args.rotations, args.tasks, args.switch_user))
                finally:
                    loop.close()
                rows.append((client, loop_name, res))
    print(f"Python {platform.python_version()}, redis-server {'.'.join(map(str, version))} cluster of 3 "
          f"primaries, hiredis {hiredis.__version__}, redis-py {redis.__version__}, {args.tasks} tasks, "
          f"{args.rotations} rotations ({'new user each' if args.switch_user else 'password'}) "
          f"in {args.seconds}s, CPUs {os.cpu_count()}")
    print("| client | loop | commands during rotation | failed | connections opened | AUTH commands | errors |")
    print("|---|---|---:|---:|---:|---:|---|")
    for client, loop_name, res in rows:
        print(f"| {client} | {loop_name} | {res['ok']} | {res['failed']} | {res['reconnects']} | "
              f"{res['auths']} | {res['errors'] or '-'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
