"""One RedisCluster used from several event loops (threads, asyncio.run() calls), as one
Redis can be: each loop gets node connections of its own, no loop aborts another's, and
every command answers right. Before, the second loop took over each node's one shared
connection and the first loop's commands in flight failed ("outcome unknown"), and the
slot map refresh could fail the same way."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from typing import Any

import pytest

from fastredis.cluster import RedisCluster


def _in_threads(jobs: list[tuple[Any, Any]]) -> None:
    """Each (runner, coroutine) on a thread and an event loop of its own, all at once."""
    threads = [threading.Thread(target=run, args=(coro,)) for run, coro in jobs]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)


@pytest.mark.parametrize("kind", ["asyncio", "uvloop"])
def test_one_cluster_client_two_threads_two_loops(redis_cluster, kind):
    import uvloop

    run = asyncio.run if kind == "asyncio" else uvloop.run
    rc = RedisCluster(**redis_cluster.client_kwargs())
    failures: list[BaseException] = []
    wrong: list[str] = []

    async def work(t: int) -> None:
        async def one(i: int) -> None:
            for j in range(20):
                key = f"cloops:{t}:{i}:{j}"
                try:
                    await rc.set(key, j)
                    if await rc.get(key) != str(j).encode():
                        wrong.append(key)
                    if j % 5 == 0:  # split across slots, and a pipeline across nodes
                        keys = [f"cloops:{t}:{i}:{k}" for k in range(j + 1)]
                        if await rc.mget(keys) != [str(k).encode() for k in range(j + 1)]:
                            wrong.append(f"mget {key}")
                        p = rc.pipeline()
                        for k in keys:
                            p.get(k)
                        if await p.execute() != [str(k).encode() for k in range(j + 1)]:
                            wrong.append(f"pipeline {key}")
                except Exception as exc:  # counted, not raised: the test reports them all
                    failures.append(exc)

        await asyncio.gather(*(one(i) for i in range(25)))

    _in_threads([(run, work(t)) for t in range(2)])
    assert not failures, failures[:3]
    assert not wrong, wrong[:3]
    run(rc.aclose())


async def test_main_loop_and_asyncio_run_in_a_thread_alternate(redis_cluster):
    loop = asyncio.get_running_loop()
    rc = RedisCluster(**redis_cluster.client_kwargs(client_name="calt"))
    node = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            main_ids = set()
            thread_ids = []
            for i in range(6):
                await rc.set("calt:k", i)
                node = rc.get_node_from_key("calt:k")
                main_ids.add(await rc.target(node).execute_command("CLIENT", "ID"))
                assert await loop.run_in_executor(None, asyncio.run, rc.get("calt:k")) == str(i).encode()
                thread_ids.append(await loop.run_in_executor(
                    None, asyncio.run, rc.target(node).execute_command("CLIENT", "ID")))
            gc.collect()
        assert len(main_ids) == 1  # the main loop kept its one connection to that node
        assert not main_ids & set(thread_ids)
        assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
        assert await rc.get("calt:k") == b"5"
    finally:
        await rc.aclose()


def test_cluster_client_after_a_loop_closed_by_hand(redis_cluster):
    rc = RedisCluster(**redis_cluster.client_kwargs())
    loop = asyncio.new_event_loop()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert loop.run_until_complete(rc.set("cclosed", 1)) is True
        loop.close()
        assert asyncio.run(rc.get("cclosed")) == b"1"
        asyncio.run(rc.aclose())
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_cached_cluster_client_from_two_loops_reads_its_writes(redis_cluster):
    """The client-side cache with one client on two live loops (asyncio and uvloop in two
    threads): each loop tracks on its own node connections, and a read after a write
    always sees that write, from the server or from the cache."""
    import uvloop

    from fastredis import CacheConfig

    rc = RedisCluster(**redis_cluster.client_kwargs(), protocol=3, cache=CacheConfig())
    failures: list[BaseException] = []
    wrong: list[tuple[str, object, object]] = []

    async def work(tag: str) -> None:
        for i in range(200):
            key = f"ccache:{tag}:{i % 10}"
            try:
                await rc.set(key, f"{tag}{i}")
                first = await rc.get(key)
                again = await rc.get(key)  # the second read may be a cache hit
                if first != f"{tag}{i}".encode() or again != first:
                    wrong.append((key, first, again))
            except Exception as exc:  # counted, not raised: the test reports them all
                failures.append(exc)

    _in_threads([(asyncio.run, work("a")), (uvloop.run, work("b"))])
    assert not failures, failures[:3]
    assert not wrong, wrong[:3]
    assert rc.cache.stats()["hits"] > 0  # the cache did serve reads

    async def close() -> None:
        await rc.aclose()

    asyncio.run(close())
