"""A master of the local cluster killed while tasks flow: its replica takes over, producers and
workers follow it, and with durability="replicated" no acknowledged add is lost."""

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from docket import Docket
from docket._backends._locate import ClusterLocator

from ..failover import Failure, flow_through_failover
from ..helpers import wait_until
from ..redis_cluster import RedisCluster

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120)]


def kill_master(cluster: RedisCluster) -> Failure:
    """Kill the master serving the docket; once a replica took over, bring the killed node
    back (as an orchestrator would), so it rejoins as the new master's replica."""

    async def fail(docket: Docket) -> Callable[[], Awaitable[None]]:
        old = cluster.master_of(docket.keys.stream)
        cluster.kill(old)

        def promoted() -> bool:
            try:
                return cluster.master_of(docket.keys.stream) != old
            except RuntimeError:
                return False

        async def rejoin() -> None:
            await wait_until(promoted, within=30, what="a replica to take over")
            await asyncio.to_thread(cluster.start_node, old)

        rejoining = asyncio.create_task(rejoin())

        async def whole() -> None:
            await rejoining

        return whole

    return fail


async def test_with_replicated_durability_no_acknowledged_add_is_lost(
    cluster: RedisCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = await flow_through_failover(cluster.url, "replicated", kill_master(cluster))

    assert flow.acknowledged, "no add went through"
    assert flow.lost == set()
    assert flow.first_add_after is not None, "producers never came back"
    assert flow.first_run_after is not None, "workers never came back"
    with capsys.disabled():
        print("\n" + flow.summary("cluster master killed, durability=replicated"))


async def test_without_replication_the_loss_window_is_measured(
    cluster: RedisCluster, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = await flow_through_failover(cluster.url, "local", kill_master(cluster))

    assert flow.first_add_after is not None, "producers never came back"
    with capsys.disabled():
        print("\n" + flow.summary("cluster master killed, durability=local"))


async def test_the_locator_finds_the_new_master_after_a_failover(cluster: RedisCluster) -> None:
    key = "{located}:stream"
    locator = ClusterLocator([("127.0.0.1", port) for port in cluster.ports], key, {})
    old = await locator.locate()
    cluster.kill(old[1])

    async def moved() -> bool:
        locator.invalidate()
        try:
            return await locator.locate() != old
        except Exception:
            return False

    await wait_until(moved, within=20, what="the replica to be promoted")
    assert (await locator.locate())[1] == cluster.master_of(key)
