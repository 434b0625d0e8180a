"""A cluster node is a pool: each node's connections are a ``fastredis.ConnectionPool``
built from the client's options with the node's address, so what the pool does for one
server (per-loop connections, exclusive checkouts, closing) it does for every node."""

from __future__ import annotations

import asyncio

from fastredis import ConnectionPool
from fastredis.cluster import RedisCluster


async def test_each_node_owns_a_connection_pool_of_its_params(redis_cluster):
    from conftest import eventually

    async with RedisCluster(**redis_cluster.client_kwargs(client_name="np-test", socket_timeout=5)) as rc:
        await rc.mset({f"np{i}": i for i in range(30)})  # a connection to every primary
        for node in rc.get_primaries():
            pool = node.pool
            assert isinstance(pool, ConnectionPool)
            assert (pool.params.host, pool.params.port) == (node.host, node.port)
            assert pool.params.client_name == "np-test" and pool.params.socket_timeout == 5
            # the hot path's connection is the pool's shared one on this loop
            assert node.connection is pool.shared_now() is not None
        # an exclusive checkout (a blocking command) is the pool's, given back afterwards
        node = rc.get_node_from_key("{np}:list")
        waiter = asyncio.ensure_future(rc.blpop(["{np}:list"], timeout=5))

        async def named() -> int:  # this client's connections, as the node sees them
            clients = await rc.client_list(target_nodes=node)
            return sum(1 for c in clients if c.get("name") == "np-test")

        assert await eventually(named, 2) == 2  # the shared one and the BLPOP's
        assert len(node.pool.in_use()) == 1
        await rc.rpush("{np}:list", "x")
        assert await waiter == (b"{np}:list", b"x")
        assert not node.pool.in_use()
        # aclose() closes every node's connections through its pool; the client reconnects
    assert all(not n.pool.all_connections() for n in rc.get_nodes() if n.pool is not None)
    async with rc:
        assert await rc.get("np1") == b"1"
        await rc.delete(*(f"np{i}" for i in range(30)))
