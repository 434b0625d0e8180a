"""SENTINEL commands against a real Sentinel (redis-server started as redis-sentinel)
monitoring a throw-away master, shapes compared with redis-py's client."""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import redis.asyncio
from _cmds_helpers import same

import fastredis
from fastredis import DataError, ResponseError


class _Sentinel:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def client_kwargs(self) -> dict:
        return {"host": self.host, "port": self.port}


@pytest.fixture
def sentinel(make_server, tmp_path):
    """A Sentinel process of its own: the harness's RedisServer waits for "Ready to accept
    connections", which a Sentinel never logs, so it is started here and is ready when
    its port answers PING."""
    from fastredis.testing import find_redis_server, free_port

    master = make_server()
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\nlogfile \"\"\n"
                    f"sentinel monitor mymaster {master.host} {master.port} 1\n")
    # redis-server runs as a Sentinel when its argv[0] names redis-sentinel
    link = tmp_path / "redis-sentinel"
    os.symlink(find_redis_server(), link)
    proc = subprocess.Popen([str(link), str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sentinel did not start") from None
                time.sleep(0.02)  # polling the process's port, not synchronising a test
        yield master, _Sentinel("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def test_sentinel_commands_match_redis_py(sentinel):
    master, server = sentinel
    r = fastredis.Redis(**server.client_kwargs())
    rp = redis.asyncio.Redis(**server.client_kwargs(), protocol=2)
    try:
        addr = await same(r, rp, "sentinel_get_master_addr_by_name", "mymaster")
        assert addr == (master.host.encode(), master.port)
        assert await same(r, rp, "sentinel_get_master_addr_by_name", "nope") is None
        state = await r.sentinel_master("mymaster")
        assert state["name"] == "mymaster" and state["port"] == master.port
        assert state["is_master"] is True and state["quorum"] == 1
        theirs = await rp.sentinel_master("mymaster")
        assert state.keys() == theirs.keys()
        assert all(type(state[k]) is type(theirs[k]) for k in state)
        masters = await r.sentinel_masters()
        assert list(masters) == ["mymaster"] and masters["mymaster"]["ip"] == master.host
        assert await same(r, rp, "sentinel_slaves", "mymaster") == []
        assert await same(r, rp, "sentinel_sentinels", "mymaster") == []
        assert await r.sentinel_set("mymaster", "quorum", 2) is True
        assert (await r.sentinel_master("mymaster"))["quorum"] == 2
        with pytest.raises(ResponseError):
            await r.sentinel_ckquorum("mymaster")  # 1 sentinel cannot reach a quorum of 2
        await r.sentinel_set("mymaster", "quorum", 1)
        assert await r.sentinel_ckquorum("mymaster") is True
        assert await rp.sentinel_ckquorum("mymaster") is False  # redis-py's bug: docs/commands.md
        assert await r.sentinel_flushconfig() is True
        assert await r.sentinel_reset("nomatch*") == 0
        assert await rp.sentinel_reset("nomatch*") is False  # an int reply through bool_ok
        assert await r.sentinel_monitor("second", master.host, master.port, 1) is True
        assert set(await r.sentinel_masters()) == {"mymaster", "second"}
        assert await r.sentinel_remove("second") is True
        with pytest.raises(ResponseError):
            await r.sentinel_failover("nope")
        assert (await r.sentinel("MASTERS"))[0][b"name"] == b"mymaster"  # as sent: a RESP3 map
        with pytest.raises(DataError):
            await r.sentinel()
    finally:
        await r.aclose()
        await rp.aclose()
