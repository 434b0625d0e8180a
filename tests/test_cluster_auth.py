"""A password-protected cluster: every node connection authenticates; the secret never
shows in a repr or an error."""

from __future__ import annotations

import pytest

from fastredis import AuthenticationError
from fastredis._testing_cluster import ClusterHarness
from fastredis.cluster import RedisCluster

SECRET = "s3cret-cluster-pw"


@pytest.fixture(scope="module")
def auth_cluster():
    from conftest import server_or_fail

    server_or_fail()
    with ClusterHarness(primaries=3, replicas=0, password=SECRET) as h:
        yield h


async def test_password_on_every_node(auth_cluster):
    async with RedisCluster(**auth_cluster.client_kwargs(), username="default") as rc:
        await rc.mset({f"k{i}": i for i in range(30)})  # every primary
        assert await rc.dbsize() == 30
        assert SECRET not in repr(rc)
        assert all(n.connection is not None for n in rc.get_primaries())
        await rc.flushall()


async def test_wrong_password_is_an_authentication_error_without_the_secret(auth_cluster):
    kw = auth_cluster.client_kwargs()
    kw["password"] = "wrong-" + SECRET
    rc = RedisCluster(**kw)
    try:
        with pytest.raises(AuthenticationError) as info:
            await rc.get("x")
        assert SECRET not in str(info.value)
    finally:
        await rc.aclose()


async def test_acl_user_on_every_node(auth_cluster):
    for s in auth_cluster.live():  # ACL users are per node: create it everywhere
        auth_cluster.call(s, "ACL", "SETUSER", "app", "on", ">app-pw", "~*", "+@all")
    kw = auth_cluster.client_kwargs(username="app", password="app-pw")
    async with RedisCluster(**kw, client_name="acl-client") as rc:
        await rc.mset({f"u{i}": i for i in range(30)})
        whoami = await rc.target(rc.PRIMARIES).execute_command("ACL", "WHOAMI")
        assert set(whoami.values()) == {b"app"}
        await rc.flushall()
