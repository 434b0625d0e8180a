"""Sentinel (issue 11): discovery, ROLE verification, following failovers.

One real set-up per module (a primary, a replica, three sentinels; fastredis._testing_sentinel);
tests that fail over leave it healthy again (``converge()``), the master possibly moved, so
no test assumes which node is the master. Failovers take seconds: there are two per loop.
"""

from __future__ import annotations

import asyncio
import logging

import pytest

import fastredis
from fastredis._testing_sentinel import sentinel_setup_fixture  # noqa: F401  (sentinel_setup)
from fastredis.sentinel import MasterNotFoundError, Sentinel, SentinelConnectionPool

SERVICE = "mymaster"
WRITERS = 20


def addr(a):
    return (a[0], int(a[1]))


async def in_thread(fn, *args):
    return await asyncio.to_thread(fn, *args)


# ----------------------------------------------------------------------------- discovery
async def test_discovery_shapes_match_redis_py(sentinel_setup):
    import redis.asyncio.sentinel as rs

    setup = sentinel_setup
    master = await in_thread(setup.wait_healthy)
    theirs = rs.Sentinel(setup.sentinel_addresses)
    async with Sentinel(setup.sentinel_addresses) as ours:
        try:
            their_master = await theirs.discover_master(SERVICE)
            their_slaves = await theirs.discover_slaves(SERVICE)
            our_master = await ours.discover_master(SERVICE)
            our_slaves = await ours.discover_slaves(SERVICE)
        finally:
            await theirs.aclose()
        assert our_master == their_master == master
        assert type(our_master) is tuple and type(our_master[1]) is int
        assert sorted(our_slaves) == sorted(their_slaves)
        assert len(our_slaves) == 1 and type(our_slaves[0]) is tuple
        with pytest.raises(MasterNotFoundError):
            await ours.discover_master("no-such-service")
        assert await ours.discover_slaves("no-such-service") == []
    # RESP3 maps and decoded strings parse the same
    kw = {"protocol": 3, "decode_responses": True}
    async with Sentinel(setup.sentinel_addresses, sentinel_kwargs=kw, **kw) as resp3:
        assert await resp3.discover_master(SERVICE) == master
        assert sorted(await resp3.discover_slaves(SERVICE)) == sorted(our_slaves)
        m = resp3.master_for(SERVICE)
        try:
            await m.set("resp3:k", "v")
            assert await m.get("resp3:k") == "v"
        finally:
            await m.aclose()


async def test_master_for_and_slave_for(sentinel_setup):
    setup = sentinel_setup
    master_addr = await in_thread(setup.wait_healthy)
    async with Sentinel(setup.sentinel_addresses) as s:
        m = s.master_for(SERVICE)
        sl = s.slave_for(SERVICE)
        try:
            assert isinstance(m, fastredis.Redis)
            assert isinstance(m.connection_pool, SentinelConnectionPool)
            await m.set("sf:k", "v")
            assert (await m.execute_command("ROLE"))[0] == b"master"
            assert m.connection_pool.master_address == master_addr
            assert (await sl.execute_command("ROLE"))[0] == b"slave"
            assert await setup_eventually(lambda: sl.get("sf:k"), b"v")
            assert "password" not in repr(s) and SERVICE in repr(m.connection_pool)
        finally:
            await m.aclose()
            await sl.aclose()


async def setup_eventually(fetch, expected, timeout=5.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await fetch()
        if value == expected or loop.time() >= deadline:
            return value == expected
        await asyncio.sleep(0.01)


async def until(predicate, timeout=5.0):
    """Poll client-side state (the test observes, it does not synchronise) until true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def test_all_sentinels_asked_concurrently_and_dead_ones_tolerated(sentinel_setup):
    """A dead sentinel first in the list costs nothing (redis-py asks one after another)."""
    from fastredis.testing import free_port

    setup = sentinel_setup
    master = await in_thread(setup.wait_healthy)
    dead = ("127.0.0.1", free_port())
    async with Sentinel([dead, *setup.sentinel_addresses]) as s:
        assert await s.discover_master(SERVICE) == master
        sent = []
        for c in s.sentinels:
            orig = c.execute_command

            async def spy(*args, _orig=orig, _c=c, **kw):
                sent.append(_c)
                await asyncio.sleep(0)  # every sentinel was asked before any answered
                assert len(sent) == len(s.sentinels)
                return await _orig(*args, **kw)

            c.execute_command = spy
        assert await s.discover_master(SERVICE) == master
        assert len(sent) == 4
        # 20 connections re-discovering at once (a failover) share one round of questions
        sent.clear()
        assert await asyncio.gather(*(s.discover_master(SERVICE) for _ in range(20))) == [master] * 20
        assert len(sent) == 4


async def test_role_verified_on_new_master_connection(sentinel_setup, caplog):
    """A sentinel pointing at a replica (stale, or an old master that came back) is not
    trusted: ROLE says replica, nothing is written. The replica is made writable here so
    that only the ROLE check can stop the write."""
    setup = sentinel_setup
    master = await in_thread(setup.wait_healthy)
    replica = next(n for n in setup.nodes if n.port != master[1])
    replica_addr = (replica.host, replica.port)
    setup._cmd(replica.port, "CONFIG", "SET", "replica-read-only", "no")
    try:
        async with Sentinel(setup.sentinel_addresses) as s:

            async def stale(service, seq):
                return replica_addr, seq

            s._discover_master = stale
            m = s.master_for(SERVICE)
            try:
                with caplog.at_level(logging.WARNING, logger="fastredis.sentinel"):
                    with pytest.raises(fastredis.ConnectionError, match="slave, not the master"):
                        await m.set("role:k", "written")
                    p = m.pubsub()
                    with pytest.raises(fastredis.ConnectionError, match="not the master"):
                        await p.subscribe("x")
                    await p.aclose()
                assert "ROLE" in caplog.text
            finally:
                await m.aclose()
        assert setup._cmd(replica.port, "EXISTS", "role:k") == 0
    finally:
        setup._cmd(replica.port, "CONFIG", "SET", "replica-read-only", "yes")


async def test_readonly_is_the_backstop(sentinel_setup):
    """A switch that was not seen (no subscription): READONLY closes the connections and
    the next command re-discovers."""
    setup = sentinel_setup
    master = await in_thread(setup.wait_healthy)
    replica = next(n for n in setup.nodes if n.port != master[1])
    async with Sentinel(setup.sentinel_addresses, follow_switch=False) as s:
        m = s.master_for(SERVICE)
        try:
            await m.set("ro:k", "1")
            answers = iter([(replica.host, replica.port)])
            real = s._discover_master

            async def once_stale(service, seq):
                a = next(answers, None)
                return (a, seq) if a is not None else await real(service, seq)

            # simulate a pool that was connected to a node since demoted: point the
            # existing connection's pool at the replica by hand
            pool = m.connection_pool
            pool.disconnect()
            s._discover_master = once_stale
            pool._role = _always_master  # the ROLE check is bypassed to reach READONLY
            with pytest.raises(fastredis.ConnectionError, match="READONLY"):
                await m.set("ro:k", "2")
            del pool._role
            assert pool.master_address is None
            await m.set("ro:k", "3")  # re-discovered: the real master
            assert pool.master_address == master
            assert await m.get("ro:k") == b"3"
        finally:
            await m.aclose()


async def test_an_answer_gathered_before_a_switch_never_wins(sentinel_setup):
    """A discovery in flight when +switch-master arrives answers the old master: that
    older news changes nothing (without ordering, the pool would go back to the old
    master, which may still accept writes)."""
    setup = sentinel_setup
    master = await in_thread(setup.wait_healthy)
    replica = next(n for n in setup.nodes if n.port != master[1])
    async with Sentinel(setup.sentinel_addresses, follow_switch=False) as s:
        m = s.master_for(SERVICE)
        try:
            await m.set("order:k", "1")
            pool = m.connection_pool
            gate = asyncio.Event()

            async def slow(service, seq):  # asked before the switch, answers after it
                await gate.wait()
                return master, seq

            s._discover_master = slow
            pool.disconnect()  # the next command re-discovers
            pending = asyncio.ensure_future(m.set("order:k", "2"))
            assert await until(lambda: SERVICE in s._discovering)
            # a (here: made-up) switch to the replica arrives meanwhile
            s._switch_message(f"{SERVICE} {master[0]} {master[1]} {replica.host} {replica.port}")
            assert pool.master_address == (replica.host, replica.port)
            gate.set()
            # the stale answer did not win: the connection went to the switched-to node,
            # whose ROLE check then refused it
            with pytest.raises(fastredis.ConnectionError, match="not the master"):
                await pending
            assert pool.master_address == (replica.host, replica.port)
            assert setup._cmd(master[1], "GET", "order:k") == "1"
        finally:
            await m.aclose()


async def _always_master(conn, params):
    return "master"


# ----------------------------------------------------------------------------- failovers
# SET, answering with the port of the node that ran it: which node took each write is
# known even after a demoted node has re-synced its keyspace from the new master
TAGGED_SET = ("redis.call('SET', KEYS[1], ARGV[1]) "
              "return tonumber(string.match(redis.call('INFO', 'server'), 'tcp_port:(%d+)'))")


class Writers:
    """20 tasks writing unique keys, each write stamped with when it was sent and the port
    of the node that acknowledged it."""

    def __init__(self, client):
        self.client = client
        self.acked: list[tuple[str, float]] = []
        self.port_of: dict[str, int] = {}
        self.failed: list[str] = []
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task] = []

    def start(self):
        self.tasks = [asyncio.ensure_future(self._run(i)) for i in range(WRITERS)]

    async def _run(self, i):
        loop = asyncio.get_running_loop()
        seq = 0
        while not self.stop.is_set():
            key = f"w:{i}:{seq}"
            seq += 1
            sent = loop.time()
            try:
                self.port_of[key] = await self.client.eval(TAGGED_SET, 1, key, "x")
                self.acked.append((key, sent))
            except (fastredis.ConnectionError, fastredis.TimeoutError) as exc:
                self.failed.append(repr(exc))
                await asyncio.sleep(0.05)  # back off while the master is unknown
            await asyncio.sleep(0.01)  # pacing, a steady workload; not synchronisation

    def after(self, t):
        return [k for k, sent in self.acked if sent > t]

    def landed_on(self, port, keys):
        return [k for k in keys if self.port_of[k] == port]

    async def wait_resumed(self, t, per_writer=5, timeout=30.0):
        """Until every writer has ``per_writer`` writes sent after ``t`` acknowledged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            counts = {}
            for k in self.after(t):
                w = k.split(":")[1]
                counts[w] = counts.get(w, 0) + 1
            if len(counts) == WRITERS and min(counts.values()) >= per_writer:
                return
            assert loop.time() < deadline, f"writes did not resume: {counts} {self.failed[-3:]}"
            await asyncio.sleep(0.02)

    async def finish(self):
        self.stop.set()
        await asyncio.gather(*self.tasks)


def exists_count(setup, port, keys):
    total = 0
    for i in range(0, len(keys), 500):
        total += setup._cmd(port, "EXISTS", *keys[i:i + 500])
    return total


async def next_message(p, timeout=10.0):
    async def loop():
        while True:
            m = await p.get_message(timeout=timeout)
            if m is not None and m["type"] == "message":
                return m

    return await asyncio.wait_for(loop(), timeout)


async def published_and_received(m, p):
    """Publish on the (new) master until the subscriber gets one: it resubscribed there."""
    for i in range(200):
        await m.publish("news", f"after-{i}")
        try:
            got = await next_message(p, 0.05)
        except asyncio.TimeoutError:
            continue
        assert got["data"].startswith(b"after-")
        return
    raise AssertionError("the subscriber did not follow the master")


async def test_sentinel_failover_while_20_tasks_write(sentinel_setup, caplog):
    """SENTINEL FAILOVER: the demoted node stays a writable master for up to ~10 s (until
    the sentinels reconfigure it), so a client that kept its connections would keep writing
    there. Every write sent after the client saw the switch lands on the new master and none
    on the demoted node; a command in flight on the old master fails with ConnectionError;
    a subscriber from master_for follows, with a gap signal. The sentinel whose
    +switch-master feed the client follows is killed first: the feed moves to another."""
    setup = sentinel_setup
    old = await in_thread(setup.converge)
    caplog.set_level(logging.INFO, logger="fastredis.sentinel")
    watched = setup.sentinels[0]
    async with Sentinel(setup.sentinel_addresses) as s:
        m = s.master_for(SERVICE)
        sl = s.slave_for(SERVICE)
        gaps = []
        p = m.pubsub(on_reconnect=gaps.append)
        w = Writers(m)
        in_flight = None
        try:
            assert (await sl.execute_command("ROLE"))[0] == b"slave"
            to_promoted = sl.connection_pool.current
            await p.subscribe("news")
            await m.publish("news", "before")
            assert (await next_message(p))["data"] == b"before"
            assert await until(lambda: s._watching)
            await in_thread(watched.kill9)
            assert await until(lambda: "+switch-master on sentinel" in caplog.text and s._watching)
            w.start()
            await w.wait_resumed(0.0, per_writer=2)
            # in flight on the old master across the switch (an exclusive connection,
            # which redis-py would leave talking to the old master)
            in_flight = asyncio.ensure_future(m.execute_command("WAIT", 5, 20000))
            assert await until(lambda: "blocked_clients:1" in setup._cmd(old[1], "INFO", "clients"))
            pool = m.connection_pool
            await in_thread(setup.failover)
            new = await in_thread(setup.wait_for_new_master, old)
            # the client learns of the switch from +switch-master (nothing else happened
            # to its connections: the old master is alive and still a master)
            assert await until(lambda: pool.master_address == new, 15.0)
            t_switch = pool.switched_at
            assert t_switch is not None and pool.switches == 1
            assert "+switch-master" in caplog.text
            with pytest.raises(fastredis.ConnectionError, match="outcome of commands in flight is unknown"):
                await asyncio.wait_for(in_flight, 5.0)
            # a replica client lets go of the node that was promoted (the sentinel also
            # CLIENT KILLs normal clients of a node it reconfigures: whichever comes first)
            assert await until(lambda: to_promoted.closed)
            await sl.get("x")  # and still serves reads
            await w.wait_resumed(t_switch)
            demoted_role = setup.role(old)  # typically still "master" here
            after = w.after(t_switch)
            assert w.landed_on(old[1], after) == []
            assert len(w.landed_on(new[1], after)) == len(after)
            assert exists_count(setup, new[1], after) == len(after)
            # the subscriber follows the master, and knew it may have missed messages
            await published_and_received(m, p)
            assert len(gaps) >= 1 and p.stats()["reconnects"] >= 1
            assert gaps[0]["downtime"] >= 0 and "moved" in (gaps[0]["error"] or "")
            assert (await m.execute_command("ROLE"))[0] == b"master"
        finally:
            if in_flight is not None and not in_flight.done():
                in_flight.cancel()
                await asyncio.gather(in_flight, return_exceptions=True)
            await w.finish()
            await p.aclose()
            await m.aclose()
            await sl.aclose()
            if not watched.running:
                await in_thread(watched.start)
    print(f"failover: demoted node was still {demoted_role!r}; {len(after)} writes after the "
          f"switch, {len(w.failed)} failed during it")
    await in_thread(setup.converge)


async def test_kill9_of_primary_while_20_tasks_write(sentinel_setup):
    """kill -9 of the primary: writes resume on the promoted replica; the old primary,
    restarted as an empty master (as after a crash), is never written to while the
    sentinels have not yet turned it into a replica."""
    setup = sentinel_setup
    old = await in_thread(setup.converge)
    async with Sentinel(setup.sentinel_addresses) as s:
        m = s.master_for(SERVICE, socket_timeout=2.0)
        gaps = []
        p = m.pubsub(on_reconnect=gaps.append)
        w = Writers(m)
        try:
            await p.subscribe("news")
            w.start()
            await w.wait_resumed(0.0, per_writer=2)
            pool = m.connection_pool
            node = await in_thread(setup.kill_master)
            new = await in_thread(setup.wait_for_new_master, old)
            assert await until(lambda: pool.master_address == new, 15.0)
            t_switch = pool.switched_at
            assert t_switch is not None
            await w.wait_resumed(t_switch)
            # the old primary comes back with its old config: an empty *master*
            node.config.pop("replicaof", None)
            await in_thread(node.start)
            restarted = setup.role(old)
            mark = asyncio.get_running_loop().time()
            await w.wait_resumed(mark)
            after = w.after(t_switch)
            assert w.landed_on(old[1], after) == []  # nothing landed on it
            assert len(w.landed_on(new[1], after)) == len(after)
            assert exists_count(setup, new[1], after) == len(after)
            await published_and_received(m, p)
            assert len(gaps) >= 1 and p.stats()["reconnects"] >= 1
        finally:
            await w.finish()
            await p.aclose()
            await m.aclose()
    print(f"kill -9: restarted node answered ROLE {restarted!r}; {len(after)} writes after the "
          f"switch, {len(w.failed)} failed during it")
    await in_thread(setup.converge)


# ----------------------------------------------------------------------------- no servers
def _entry(ip, port, flags, epoch=0, others=2):
    return [b"name", b"mymaster", b"ip", ip.encode(), b"port", str(port).encode(),
            b"flags", flags.encode(), b"config-epoch", str(epoch).encode(),
            b"num-other-sentinels", str(others).encode()]


def _scripted(s, answers):
    """Replace the sentinels' answers (an exception stands for an unreachable sentinel)."""
    async def ask_all(args):
        return list(answers.pop(0))

    s._ask_all = ask_all


async def test_discovery_takes_the_newest_epoch_and_never_goes_back():
    s = Sentinel([("127.0.0.1", 1), ("127.0.0.1", 2), ("127.0.0.1", 3)], min_other_sentinels=1)
    down = fastredis.ConnectionError("Error connecting to 127.0.0.1:1")
    _scripted(s, [
        # a sentinel that has not heard of the failover yet answers the old master
        [_entry("10.0.0.1", 6379, "master", 1), _entry("10.0.0.2", 6379, "master", 2), down],
        # only the outdated one answers now: not trusted
        [_entry("10.0.0.1", 6379, "master", 1), down, down],
        # not master / s_down / o_down / too few peers: never accepted
        [_entry("10.0.0.3", 1, "slave", 9), _entry("10.0.0.3", 2, "master,s_down", 9),
         _entry("10.0.0.3", 3, "master,o_down", 9)],
        [_entry("10.0.0.3", 4, "master", 9, others=0), down, down],
        # the service was re-monitored (epochs restart at 0): a majority agrees
        [_entry("10.0.0.4", 6379, "master", 0), _entry("10.0.0.4", 6379, "master", 0), down],
    ])
    assert await s.discover_master(SERVICE) == ("10.0.0.2", 6379)
    with pytest.raises(MasterNotFoundError, match="outdated"):
        await s.discover_master(SERVICE)
    with pytest.raises(MasterNotFoundError):
        await s.discover_master(SERVICE)
    with pytest.raises(MasterNotFoundError, match="127.0.0.1:2"):
        await s.discover_master(SERVICE)
    assert await s.discover_master(SERVICE) == ("10.0.0.4", 6379)
    await s.aclose()


def test_replicas_filtered_like_go_redis():
    from fastredis.sentinel import parse_state

    s = Sentinel([("127.0.0.1", 1)])
    states = [parse_state(_entry("10.0.0.1", p, f)) for p, f in (
        (1, "slave"), (2, "slave,s_down"), (3, "slave,o_down"), (4, "slave,disconnected"),
        (5, "slave"))]
    assert s.filter_slaves(states) == [("10.0.0.1", 1), ("10.0.0.1", 5)]
    assert states[0]["port"] == 1 and states[0]["is_slave"] and not states[0]["is_sdown"]


async def test_slave_for_falls_back_to_the_master_when_no_replica_is_healthy(sentinel_setup):
    setup = sentinel_setup
    master = await in_thread(setup.converge)
    replica = next(n for n in setup.nodes if n.port != master[1])
    async with Sentinel(setup.sentinel_addresses) as s:
        sl = s.slave_for(SERVICE)
        try:
            assert (await sl.execute_command("ROLE"))[0] == b"slave"
            replica.kill9()
            assert await in_thread(setup._poll, lambda: s_down_everywhere(setup, replica.port),
                                   "the replica to be s_down")
            assert await s.discover_slaves(SERVICE) == []
            assert (await sl.execute_command("ROLE"))[0] == b"master"  # reconnected: master
        finally:
            await sl.aclose()
            if not replica.running:
                await in_thread(replica.start)
    await in_thread(setup.converge)


def s_down_everywhere(setup, port):
    from fastredis._testing_sentinel import _pairs

    for sp in setup.sentinels:
        reps = [_pairs(r) for r in setup._cmd(sp.port, "SENTINEL", "REPLICAS", SERVICE) or []]
        if not any(r["port"] == str(port) and "s_down" in r["flags"] for r in reps):
            return False
    return True


async def test_a_user_without_role_permission_still_works_and_is_told(sentinel_setup, caplog):
    """ROLE is in @admin: an ACL user without it cannot have the check; the client works
    (trusting the sentinels, like redis-py) and says so once."""
    setup = sentinel_setup
    master = await in_thread(setup.converge)
    for n in setup.nodes:
        setup._cmd(n.port, "ACL", "SETUSER", "app", "on", ">app-pw", "~*", "&*", "+@all", "-role")
    try:
        async with Sentinel(setup.sentinel_addresses, username="app", password="app-pw") as s:
            m = s.master_for(SERVICE)
            try:
                with caplog.at_level(logging.WARNING, logger="fastredis.sentinel"):
                    await m.set("acl:k", "1")
                    assert m.connection_pool.master_address == master
                assert caplog.text.count("NOPERM") == 1
                assert "app-pw" not in caplog.text
            finally:
                await m.aclose()
    finally:
        for n in setup.nodes:
            setup._cmd(n.port, "ACL", "DELUSER", "app")


async def test_the_switch_feed_stops_when_every_client_is_closed(sentinel_setup):
    setup = sentinel_setup
    await in_thread(setup.wait_healthy)
    s = Sentinel(setup.sentinel_addresses)
    m = s.master_for(SERVICE)
    await m.set("feed:k", "1")
    task = s._watch_task
    assert task is not None and await until(lambda: s._watching)
    await m.aclose()
    await asyncio.wait_for(asyncio.shield(task), 5.0)  # ended by itself: nothing to follow
    m = s.master_for(SERVICE)  # a new client (aclose() is final): following again
    await m.set("feed:k", "2")
    assert s._watch_task is not task and await until(lambda: s._watching)
    await m.aclose()
    await s.aclose()
    assert s._watch_task is None


async def test_a_switch_the_followed_sentinel_never_announces_is_found(sentinel_setup, make_server,
                                                                       caplog):
    """The followed 'sentinel' never publishes +switch-master (here a plain redis-server,
    as a sentinel cut off from the others would be): the periodic re-discovery finds the
    new master long before the demoted one drops its clients."""
    setup = sentinel_setup
    old = await in_thread(setup.converge)
    deaf = make_server()
    caplog.set_level(logging.INFO, logger="fastredis.sentinel")
    addrs = [(deaf.host, deaf.port), *setup.sentinel_addresses]
    async with Sentinel(addrs, sentinel_kwargs={"health_check_interval": 0.5}) as s:
        m = s.master_for(SERVICE)
        try:
            await m.set("deaf:k", "1")
            assert await until(lambda: s._watching)
            pool = m.connection_pool
            await in_thread(setup.failover)
            new = await in_thread(setup.wait_for_new_master, old)
            assert await until(lambda: pool.master_address == new, 10.0)
            assert "(re-discovered)" in caplog.text
            assert f"{SERVICE}: +switch-master" not in caplog.text
            assert await m.eval(TAGGED_SET, 1, "deaf:k2", "x") == new[1]
        finally:
            await m.aclose()
    await in_thread(setup.converge)
