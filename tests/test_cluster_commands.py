"""The single-node command tests, run again against RedisCluster.

The tests imported below run with ``r`` bound to a cluster client (a command is written
once, for Redis and RedisCluster alike). An explicit list: a test added to a single-node
module later is not run here blindly. Not repeated here: the server-command module
(node-local by nature), tests that talk to the single-node ``redis_server`` on a second
client, and the tests listed in ``NOT_ON_A_CLUSTER`` with the reason (keys of one command
in several slots: the client refuses those before sending, as Redis would)."""

# ruff: noqa: F401  (the imported tests are collected by pytest from this module)
from __future__ import annotations

import pytest
from test_commands_hashes import (
    test_data_errors_keep_connection_usable as test_hashes_data_errors_keep_connection_usable,
)
from test_commands_hashes import (
    test_hrandfield,
    test_hscan,
    test_hset_forms,
    test_increments,
    test_mapping_type_errors,
    test_read_commands,
)
from test_commands_hll import (
    test_data_errors_keep_connection_usable as test_hll_data_errors_keep_connection_usable,
)
from test_commands_keys import (
    test_data_errors_keep_connection_usable as test_keys_data_errors_keep_connection_usable,
)
from test_commands_keys import (
    test_delete_exists_unlink_touch,
    test_expire_family_returns_bool,
    test_scan_iter_is_an_async_generator,
)
from test_commands_lists import (
    test_blpop_does_not_delay_other_commands,
    test_cancelled_blpop_does_not_swallow_a_later_push,
    test_modify,
    test_push_pop_range,
)
from test_commands_lists import (
    test_data_errors_keep_connection_usable as test_lists_data_errors_keep_connection_usable,
)
from test_commands_scripting import (
    test_data_errors_keep_connection_usable as test_scripting_data_errors_keep_connection_usable,
)
from test_commands_scripting import (
    test_eval_and_evalsha,
    test_registered_script_loads_on_noscript,
)
from test_commands_sets import (
    test_data_errors_keep_connection_usable as test_sets_data_errors_keep_connection_usable,
)
from test_commands_sets import (
    test_pop_and_random,
    test_sscan,
)
from test_commands_streams import (
    test_consumer_groups,
    test_trimming,
    test_xadd_xrange_xlen,
    test_xinfo,
    test_xread_block_waits_on_its_own_connection,
)
from test_commands_streams import (
    test_data_errors_keep_connection_usable as test_streams_data_errors_keep_connection_usable,
)
from test_commands_strings import (
    test_binary_values_round_trip,
    test_counters,
    test_get_family,
    test_mget_refuses_a_dict,
    test_set_options,
)
from test_commands_strings import (
    test_data_errors_keep_connection_usable as test_strings_data_errors_keep_connection_usable,
)
from test_commands_zsets import (
    test_bzpopmin_waits_on_its_own_connection,
    test_remrange,
    test_scores_and_ranks,
    test_zadd_options,
    test_zscan_and_random,
)
from test_commands_zsets import (
    test_data_errors_keep_connection_usable as test_zsets_data_errors_keep_connection_usable,
)

from fastredis.cluster import RedisCluster

NOT_ON_A_CLUSTER = {
    "test_aggregates": "ZUNIONSTORE over keys of several slots",
    "test_algebra": "SINTER ... over keys of several slots",
    "test_basic": "SMOVE between keys of different slots",
    "test_multi_key": "MSETNX over keys of several slots",
    "test_pfadd_pfcount_pfmerge": "PFCOUNT over keys of several slots",
    "test_pops": "LMOVE between keys of different slots",
    "test_ranges": "ZRANGESTORE between keys of different slots",
    "test_ranges_and_bits": "BITOP over keys of several slots",
    "test_script_keys_and_args_forms": "a script given keys of several slots",
    "test_sort": "SORT ... STORE into another slot",
    "test_type_rename_randomkey_keys": "RENAME into another slot",
    "test_dump_restore_object_copy": "COPY into another slot",
    "test_xread_shapes": "XREAD over streams of several slots",
    "test_blocking_pops_return_shapes": "BRPOP over keys of several slots",
    "test_scan_and_scan_iter": "a raw SCAN cursor belongs to one node (scan_iter: test_cluster.py)",
    "test_many_concurrent_blpops": "counts blocked clients with INFO on one node",
    "test_move": "MOVE to another database: a cluster has database 0 only",
}


@pytest.fixture
async def r(redis_cluster):  # overrides conftest's `r` for every test imported above
    client = RedisCluster(**redis_cluster.client_kwargs())
    try:
        yield client
    finally:
        await client.aclose()
