"""A cluster on IPv6 loopback: addresses such as ``::1:7000`` split at the last colon
everywhere (discovery, MOVED, node names)."""

from __future__ import annotations

import asyncio
import socket

import pytest

from fastredis._testing_cluster import ClusterHarness
from fastredis.cluster import RedisCluster


def _has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def v6_cluster():
    from conftest import server_or_fail

    server_or_fail()
    if not _has_ipv6():
        pytest.skip("no IPv6 loopback on this machine")
    with ClusterHarness(primaries=3, replicas=0, host="::1") as h:
        yield h


async def test_ipv6_cluster(v6_cluster):
    async with RedisCluster(**v6_cluster.client_kwargs()) as rc:
        assert all(n.host == "::1" for n in rc.get_nodes())
        await rc.mset({f"k{i}": i for i in range(30)})
        assert await rc.mget([f"k{i}" for i in range(30)]) == [str(i).encode() for i in range(30)]
        slot = rc.keyslot("k1")
        source = v6_cluster.owner(slot)
        target = next(p for p in v6_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(v6_cluster.migrate, slot, slot, target)
        assert await rc.get("k1") == b"1"  # MOVED 1234 ::1:port
        assert rc.get_node_from_key("k1").port == target.port
        await rc.flushall()
