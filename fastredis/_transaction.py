"""redis-py's ``transaction()`` helper, shared by ``Redis`` and ``RedisCluster``."""

from __future__ import annotations

from typing import Any, Callable


async def run_transaction(client: Any, func: Callable[..., Any], watches: tuple[Any, ...],
                          value_from_callable: bool, watch_delay: float | None) -> Any:
    """Run ``func(pipe)`` under WATCH of ``watches`` and EXEC, again from the start each time
    a watched key changed (WatchError); the EXEC results, or what ``func`` returned."""
    import asyncio

    from .exceptions import WatchError

    while True:
        async with client.pipeline(True) as pipe:
            try:
                if watches:
                    await pipe.watch(*watches)
                res = func(pipe)
                if asyncio.iscoroutine(res):
                    res = await res
                exec_value = await pipe.execute()
                return res if value_from_callable else exec_value
            except WatchError:
                if watch_delay:
                    await asyncio.sleep(watch_delay)
