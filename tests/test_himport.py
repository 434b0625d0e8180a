"""HIMPORT (a Redis release after 8.2; no server here runs it): redis-py 8.2's
``himport_*`` API, compared at the wire with redis-py.

The fieldset a ``HIMPORT SET`` names is session state of the connection that carries it.
Against a loopback server that keeps that state per connection as the command's
documentation says (PREPARE stores a field list, SET needs it on the same connection,
DISCARD / DISCARDALL drop them, a new connection starts empty), fastredis must send the
same commands as redis-py for the same calls, with PREPARE in the same write as the SET
that needs it, on the one shared connection many tasks use at once, and again after a
reconnect. The wire mappings (``*_internal``) put redis-py's bytes on the wire and parse
recorded replies as redis-py does."""

from __future__ import annotations

import asyncio
from typing import Any

import hiredis
import pytest
import redis.asyncio
from _redis8 import _handshake_reply, same_reply, same_wire
from faults import _LoopbackService

import fastredis
from fastredis import DataError, ResponseError
from fastredis.exceptions import NoSuchFieldsetError

# redis-py 8.2 marks the HIMPORT methods experimental and warns on each call
pytestmark = pytest.mark.filterwarnings("ignore:Call to experimental method:UserWarning")


class _Conn:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.asking = False
        self.fieldsets: dict[bytes, list[bytes]] = {}
        self.reads: list[list[list[bytes]]] = []  # the HIMPORT commands of each read


class HImportServer(_LoopbackService):
    """A loopback server that answers the connection handshake and HIMPORT, with the
    fieldsets kept per connection (and HGETALL of what HIMPORT SET made, to check it)."""

    def __init__(self, protocol: int = 2) -> None:
        self.host = "127.0.0.1"
        self.protocol = protocol
        self.conns: list[_Conn] = []
        self.hashes: dict[bytes, dict[bytes, bytes]] = {}
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        #: while set and not released, replies to HIMPORT are held back
        self.gate: asyncio.Event | None = None
        self.received = asyncio.Event()  # set at each HIMPORT command received
        # as a cluster node: CLUSTER SLOTS's reply, the error HIMPORT SET of these keys
        # answers (MOVED / ASK), and keys being imported here (HIMPORT SET right after
        # ASKING only)
        self.cluster_slots: bytes | None = None
        self.redirect: dict[bytes, bytes] = {}
        self.importing: set[bytes] = set()

    async def start(self) -> HImportServer:
        self._server = await asyncio.start_server(self._serve, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
        for c in self.conns:
            c.writer.transport.abort()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def himport(self) -> list[list[bytes]]:
        """Every HIMPORT command received, in order, over all connections."""
        return [cmd for c in self.conns for read in c.reads for cmd in read if cmd[0] != b"ASKING"]

    def prepares(self) -> list[tuple[int, int]]:
        """(connection index, read index) of each PREPARE."""
        return [(i, j) for i, c in enumerate(self.conns) for j, read in enumerate(c.reads)
                for cmd in read if cmd[1:2] == [b"PREPARE"]]

    def answer(self, conn: _Conn, cmd: list[bytes]) -> bytes:
        hs = _handshake_reply(cmd, self.protocol)
        if hs is not None:
            return hs
        name = cmd[0].upper()
        asking, conn.asking = conn.asking, False  # for the next command only
        if name == b"ASKING":
            conn.asking = True
            return b"+OK\r\n"
        if name == b"CLUSTER" and self.cluster_slots is not None and cmd[1].upper() == b"SLOTS":
            return self.cluster_slots
        if name == b"HGETALL":
            h = self.hashes.get(cmd[1], {})
            head = b"%%%d\r\n" % len(h) if self.protocol == 3 else b"*%d\r\n" % (2 * len(h))
            return head + b"".join(
                b"$%d\r\n%s\r\n" % (len(x), x) for kv in h.items() for x in kv)
        if name != b"HIMPORT":
            return b"-ERR unknown command\r\n"
        sub = cmd[1].upper()
        if sub == b"PREPARE":
            if len(cmd) < 4 or len(set(cmd[3:])) != len(cmd[3:]):
                return b"-ERR duplicate field or no fields\r\n"
            conn.fieldsets[cmd[2]] = cmd[3:]
            return b"+OK\r\n"
        if sub == b"SET":
            if cmd[2] in self.redirect:
                return self.redirect[cmd[2]]
            if cmd[2] in self.importing and not asking:
                return b"-MOVED 0 127.0.0.1:1\r\n"  # (the test fails if this is ever sent)
            fields = conn.fieldsets.get(cmd[3])
            if fields is None:
                return b"-ERR no such fieldset\r\n"
            if len(fields) != len(cmd[4:]):
                return b"-ERR wrong number of values\r\n"
            self.hashes[cmd[2]] = dict(zip(fields, cmd[4:]))
            return b"+OK\r\n"
        if sub == b"DISCARD":
            return b":%d\r\n" % (conn.fieldsets.pop(cmd[2], None) is not None)
        if sub == b"DISCARDALL":
            n = len(conn.fieldsets)
            conn.fieldsets.clear()
            return b":%d\r\n" % n
        return b"-ERR syntax error\r\n"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = _Conn(writer)
        self.conns.append(conn)
        parser = hiredis.Reader()
        try:
            while data := await reader.read(65536):
                parser.feed(data)
                read: list[list[bytes]] = []
                out = []
                while (cmd := parser.gets()) is not False:
                    if cmd[0].upper() in (b"HIMPORT", b"ASKING"):
                        read.append(cmd)
                    out.append(self.answer(conn, cmd))
                if read:
                    conn.reads.append(read)
                    self.received.set()
                    if self.gate is not None:
                        await self.gate.wait()
                writer.write(b"".join(out))
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    def cut(self) -> None:
        """Close every connection from the server side."""
        for c in self.conns:
            c.writer.transport.abort()


async def scenario(client: Any) -> list[Any]:
    """One sequence of HIMPORT calls, the same for both clients."""
    return [
        await client.himport_prepare("user", ["name", "email", "age"]),
        await client.himport_set("u:1", "user", ["ann", "ann@x", 31]),
        await client.himport_set("u:2", "user", ("bob", b"bob@x", 2.5)),
        await client.himport_prepare("pt", ["x", "y"]),
        await client.himport_set("p:1", "pt", [1, 2]),
        await client.himport_prepare("user", ["name", "age"]),  # re-declared: prepared again
        await client.himport_set("u:3", "user", ["cy", 40]),
        await client.himport_discard("pt"),
        await client.himport_discard("nope"),
        await client.himport_set("u:4", "user", ["di", 50]),  # carries the DISCARD of pt
        await client.himport_discard_all(),
        await client.hgetall("u:1"),
        await client.hgetall("u:3"),
    ]


@pytest.mark.parametrize("protocol", [2, 3])
async def test_same_commands_as_redis_py(protocol: int):
    results, sent = [], []
    for make in (fastredis.Redis, redis.asyncio.Redis):
        async with HImportServer(protocol) as server:
            client = make(**server.client_kwargs(), protocol=protocol)
            try:
                results.append(await scenario(client))
            finally:
                await client.aclose()
            assert len(server.conns) == 1
            sent.append(server.conns[0].reads)
            assert server.hashes[b"u:3"] == {b"name": b"cy", b"age": b"40"}
    assert results[0] == results[1]
    assert results[0][:11] == [True, True, True, True, True, True, True, 1, 0, True, 1]
    # the same commands, in the same order; PREPARE in the same write as the SET that
    # needs it. The DISCARD of pt goes with the next SET too (redis-py writes it on its
    # own and waits for its answer first: one round trip more, same effect)
    assert [c for read in sent[0] for c in read] == [c for read in sent[1] for c in read]
    assert sent[0][:4] == sent[1][:4]
    assert sent[0][0] == [[b"HIMPORT", b"PREPARE", b"user", b"name", b"email", b"age"],
                          [b"HIMPORT", b"SET", b"u:1", b"user", b"ann", b"ann@x", b"31"]]
    assert sent[0][-1] == [[b"HIMPORT", b"DISCARD", b"pt"],
                           [b"HIMPORT", b"SET", b"u:4", b"user", b"di", b"50"]]


async def test_many_tasks_on_the_shared_connection_prepare_once():
    """Concurrent SETs on one multiplexed connection: the first write carries the PREPARE,
    every other SET is behind it on the same connection and goes bare."""
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        await r.himport_prepare("fs", ["a", "b"])
        replies = await asyncio.gather(*(r.himport_set(f"k{i}", "fs", [i, -i]) for i in range(200)))
        assert replies == [True] * 200
        assert len(server.conns) == 1 and server.prepares() == [(0, 0)]
        first = server.conns[0].reads[0]
        assert first[0][:3] == [b"HIMPORT", b"PREPARE", b"fs"] and first[1][:3] == [b"HIMPORT", b"SET", b"k0"]
        assert len([c for c in server.himport() if c[1] == b"SET"]) == 200
        assert server.hashes[b"k199"] == {b"a": b"199", b"b": b"-199"}


async def test_a_reconnect_prepares_again():
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        await r.himport_prepare("fs", ["a"])
        assert await r.himport_set("k1", "fs", [1])
        old = r.connection_pool.current or r.connection_pool.pick()
        server.cut()
        await old.closed_future
        assert old not in r.himport_registry._sessions  # its fieldsets died with it
        assert await r.himport_set("k2", "fs", [2])
        assert len(server.conns) == 2 and server.prepares() == [(0, 0), (1, 0)]


async def test_a_fieldset_the_server_lost_is_prepared_again_once():
    async with HImportServer() as server:
        results = []
        for make in (fastredis.Redis, redis.asyncio.Redis):
            client = make(**server.client_kwargs(), protocol=2)
            try:
                await client.himport_prepare("fs", ["a"])
                await client.himport_set("k", "fs", [1])
                server.conns[-1].fieldsets.clear()  # lost without a disconnect
                results.append(await client.himport_set("k", "fs", [2]))
                cmds = [c[1] for read in server.conns[-1].reads for c in read]
                results.append(cmds)
            finally:
                await client.aclose()
        assert results[:2] == results[2:] == [True, [b"PREPARE", b"SET", b"SET", b"PREPARE", b"SET"]]


async def test_errors_reach_the_caller_as_redis_py_s():
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        # a fieldset never declared: the bare SET, and the server's answer
        with pytest.raises(NoSuchFieldsetError):
            await r.himport_set("k", "undeclared", [1])
        assert issubclass(NoSuchFieldsetError, ResponseError)
        # PREPARE refused (duplicate fields): its error is the cause, raised; not
        # believed prepared, so the next use prepares again
        await r.himport_prepare("dup", ["a", "a"])
        for _ in range(2):
            with pytest.raises(ResponseError, match="duplicate field") as info:
                await r.himport_set("k", "dup", [1, 2])
            assert not isinstance(info.value, NoSuchFieldsetError)
        assert len(server.prepares()) == 2
        # the SET refused, the PREPARE accepted: prepared it stays
        await r.himport_prepare("ok", ["a"])
        with pytest.raises(ResponseError, match="wrong number of values"):
            await r.himport_set("k", "ok", [1, 2])
        assert await r.himport_set("k", "ok", ["v"])  # the connection is still in step
        assert len(server.prepares()) == 3


async def test_bad_input_is_refused_before_sending():
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        for call in (lambda: r.himport_prepare("fs", "ab"), lambda: r.himport_prepare("fs", []),
                     lambda: r.himport_prepare("fs", b"ab"), lambda: r.himport_set("k", "fs", "ab"),
                     lambda: r.himport_prepare_internal("fs", "ab")):
            with pytest.raises(DataError):
                call()
        await r.himport_prepare("fs", ["a"])
        with pytest.raises(DataError):
            await r.himport_set("k", "fs", [None])
        assert server.himport() == []  # nothing sent, nothing believed prepared
        assert await r.himport_set("k", "fs", [1])
        assert server.prepares() == [(0, 0)]


async def test_the_registry_is_the_pool_s_as_in_redis_py():
    pool = fastredis.ConnectionPool()
    a, b = fastredis.Redis(connection_pool=pool), fastredis.Redis(connection_pool=pool)
    await a.himport_prepare("fs", ["a", "b"])
    assert "fs" in b.himport_registry and b.himport_registry.get("fs").fields == ("a", "b")
    assert len(a.himport_registry) == 1 and a.himport_registry.names() == ["fs"]
    assert repr(a.himport_registry) == "HImportRegistry(fs=['a', 'b'])"
    assert "fs" not in fastredis.Redis().himport_registry
    await pool.aclose()


async def test_pipelines_refuse_before_sending():
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        pipe = r.pipeline(transaction=False)
        for call in (lambda: pipe.himport_set("k", "fs", [1]), lambda: pipe.himport_prepare("fs", ["a"]),
                     lambda: pipe.himport_discard("fs"), lambda: pipe.himport_registry):
            with pytest.raises(DataError, match="per-connection"):
                call()
        # managing the fieldset yourself in one pipeline: one write, one connection
        pipe.himport_prepare_internal("fs", ["a"])
        pipe.execute_command("HIMPORT", "SET", "k", "fs", 1)
        pipe.himport_discard_internal("fs")
        pipe.himport_discard_all_internal()
        assert await pipe.execute() == [True, b"OK", 1, 0]
        assert server.conns[0].reads[0][0][1] == b"PREPARE"


async def test_wire_mappings_put_redis_py_s_bytes():
    await same_wire(lambda c: c.himport_prepare_internal("fs", ["a", b"b", 3]))
    await same_wire(lambda c: c.himport_prepare_internal("fs", ("a",)))
    await same_wire(lambda c: c.himport_discard_internal("fs"))
    await same_wire(lambda c: c.himport_discard_all_internal())


async def test_wire_mapping_replies_parse_as_redis_py():
    assert await same_reply(lambda c: c.himport_prepare_internal("fs", ["a"]),
                            b"+OK\r\n", b"+OK\r\n") is True
    assert await same_reply(lambda c: c.himport_discard_internal("fs"), b":1\r\n", b":1\r\n") == 1
    assert await same_reply(lambda c: c.himport_discard_all_internal(), b":3\r\n", b":3\r\n") == 3


async def test_execute_command_himport_set_is_prepared_too():
    """redis-py routes a raw HIMPORT SET (``"HIMPORT", "SET"`` or ``"HIMPORT SET"``, any
    case) through the same preparation; so does fastredis (its execute_command replies
    stay raw)."""
    sent, results = [], []
    for make in (fastredis.Redis, redis.asyncio.Redis):
        async with HImportServer() as server:
            client = make(**server.client_kwargs(), protocol=2)
            try:
                await client.himport_prepare("fs", ["a"])
                results.append([await client.execute_command("HIMPORT", "SET", "k1", "fs", 1),
                                await client.execute_command("himport set", "k2", "fs", 2),
                                await client.execute_command(b"HIMPORT", b"set", "k3", "fs", 3)])
            finally:
                await client.aclose()
            sent.append(server.himport())
    assert sent[0] == sent[1] and [c[1] for c in sent[0]] == [b"PREPARE", b"SET", b"SET", b"SET"]
    assert results == [[b"OK"] * 3, [True] * 3]


async def test_a_cancelled_himport_set_leaves_the_connection_in_step():
    """Cancelled after its write: the PREPARE it carried still counts (it was written
    ahead of everything after it), its replies are dropped on arrival, nothing reaches the
    loop's exception handler, and the next SET goes bare on the same connection."""
    async with HImportServer() as server, fastredis.Redis(**server.client_kwargs()) as r:
        await r.himport_prepare("fs", ["a"])
        server.gate = asyncio.Event()
        task = asyncio.create_task(r.himport_set("k1", "fs", [1]))
        await asyncio.wait_for(server.received.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        server.gate.set()
        assert await r.himport_set("k2", "fs", [2])
        assert server.prepares() == [(0, 0)] and len(server.conns) == 1
        assert server.hashes == {b"k1": {b"a": b"1"}, b"k2": {b"a": b"2"}}


def _slots_reply(*ranges: tuple[int, int, int]) -> bytes:
    """CLUSTER SLOTS: (first, last, port) per range, every node on 127.0.0.1."""
    out = b"*%d\r\n" % len(ranges)
    for first, last, port in ranges:
        node_id = b"%040d" % port
        out += (b"*3\r\n:%d\r\n:%d\r\n*3\r\n$9\r\n127.0.0.1\r\n:%d\r\n$40\r\n%s\r\n"
                % (first, last, port, node_id))
    return out


def _key_in(first: int, last: int, prefix: str) -> str:
    from fastredis.cluster.slots import key_slot

    return next(k for k in (f"{prefix}{i}" for i in range(10_000))
                if first <= key_slot(k, "utf-8") <= last)


async def test_cluster_prepares_on_each_node_connection_and_follows_redirections():
    """RedisCluster: the SET goes to its key's slot owner with the PREPARE in its write,
    once per node connection; a MOVED sends PREPARE + SET to the new owner in one write;
    an ASK sends PREPARE, ASKING, SET there (ASKING right before the SET it allows); a
    raw execute_command HIMPORT SET is routed by its key the same way."""
    from fastredis.cluster import RedisCluster

    async with HImportServer() as a, HImportServer() as b, HImportServer() as c:
        for node in (a, b, c):
            node.cluster_slots = _slots_reply((0, 8191, a.port), (8192, 16383, b.port))
        ka, kb = _key_in(0, 8191, "a"), _key_in(8192, 16383, "b")
        moved, asked = _key_in(0, 8191, "m"), _key_in(0, 8191, "q")
        from fastredis.cluster.slots import key_slot

        a.redirect[moved.encode()] = b"-MOVED %d 127.0.0.1:%d\r\n" % (key_slot(moved, "utf-8"), c.port)
        a.redirect[asked.encode()] = b"-ASK %d 127.0.0.1:%d\r\n" % (key_slot(asked, "utf-8"), c.port)
        c.importing.add(asked.encode())
        rc = RedisCluster(host=a.host, port=a.port)
        try:
            await rc.himport_prepare("fs", ["f1", "f2"])
            replies = await asyncio.gather(*(rc.himport_set(k, "fs", [1, 2])
                                             for k in [ka, kb] * 20))
            assert replies == [True] * 40
            for node in (a, b):
                assert len(node.conns) == 1 and node.prepares() == [(0, 0)]
                assert [c[1] for c in node.conns[0].reads[0]][:2] == [b"PREPARE", b"SET"]
            assert await rc.execute_command("himport set", kb, "fs", 3, 4) == b"OK"
            assert b.hashes[kb.encode()] == {b"f1": b"3", b"f2": b"4"}
            assert await rc.himport_set(moved, "fs", ["x", "y"])
            assert c.conns[0].reads[0] == [[b"HIMPORT", b"PREPARE", b"fs", b"f1", b"f2"],
                                           [b"HIMPORT", b"SET", moved.encode(), b"fs", b"x", b"y"]]
            assert await rc.himport_prepare("fs2", ["g"])
            assert await rc.himport_set(asked, "fs2", ["p"])
            assert c.conns[0].reads[1] == [[b"HIMPORT", b"PREPARE", b"fs2", b"g"], [b"ASKING"],
                                           [b"HIMPORT", b"SET", asked.encode(), b"fs2", b"p"]]
            assert await rc.himport_set(asked, "fs", ["p", "q"])  # fs: held since the MOVED
            assert c.conns[0].reads[2] == [[b"ASKING"],
                                           [b"HIMPORT", b"SET", asked.encode(), b"fs", b"p", b"q"]]
            assert c.hashes[asked.encode()] == {b"f1": b"p", b"f2": b"q"}
            assert len(c.conns) == 1 and len(c.prepares()) == 2
            with pytest.raises(DataError, match="per-connection"):
                rc.pipeline().himport_set(ka, "fs", [1, 2])
        finally:
            await rc.aclose()


async def test_one_span_per_himport_set_when_traced():
    """fastredis.telemetry: a himport_set is one command span (its PREPARE rides in it),
    on Redis and on RedisCluster."""
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from fastredis import telemetry
    from fastredis.cluster import RedisCluster

    exporter = InMemorySpanExporter()
    tp = TracerProvider()
    tp.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.instrument(tracer_provider=tp)
    try:
        async with HImportServer() as server:
            server.cluster_slots = _slots_reply((0, 16383, server.port))
            async with fastredis.Redis(**server.client_kwargs()) as r:
                await r.himport_prepare("fs", ["a"])
                assert await r.himport_set("k", "fs", [1])
            rc = RedisCluster(host=server.host, port=server.port)
            try:
                await rc.himport_prepare("fs", ["a"])
                assert await rc.himport_set("k", "fs", [2])
            finally:
                await rc.aclose()
            assert len(server.prepares()) == 2  # (two clients: two connections)
        names = [s.name for s in exporter.get_finished_spans()]
        assert names.count("HIMPORT") == 2, names
    finally:
        telemetry.uninstrument()
        tp.shutdown()
