"""Failovers of the local Sentinel set-up while tasks flow: producers and workers follow the new
master within seconds, and with durability="replicated" no acknowledged add is lost."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator

import pytest
from docket import Docket

from ..failover import Failure, flow_through_failover
from ..helpers import wait_until
from ..redis_sentinel import RedisSentinel

pytestmark = [pytest.mark.sentinel, pytest.mark.timeout(120)]


@pytest.fixture
def sentinel() -> Iterator[RedisSentinel]:
    """A set-up of its own: the tests fail its master over."""
    sentinel = RedisSentinel()
    sentinel.start()
    try:
        yield sentinel
    finally:
        sentinel.cleanup()


def promoted(sentinel: RedisSentinel, old: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return sentinel.master_port() != old
        except RuntimeError:
            return False

    return check


def ask_for_failover(sentinel: RedisSentinel) -> Failure:
    async def fail(docket: Docket) -> Callable[[], Awaitable[None]]:
        old = sentinel.master_port()
        await asyncio.to_thread(sentinel.failover)

        async def whole() -> None:
            await wait_until(promoted(sentinel, old), within=30, what="the failover")
            await asyncio.to_thread(sentinel.wait_healthy)

        return whole

    return fail


def kill_master(sentinel: RedisSentinel) -> Failure:
    """Kill the master; once the sentinels promoted the replica, restart the old master, which
    they turn into the new master's replica."""

    async def fail(docket: Docket) -> Callable[[], Awaitable[None]]:
        old = sentinel.master_port()
        sentinel.kill(old)

        async def rejoin() -> None:
            await wait_until(promoted(sentinel, old), within=30, what="the replica to take over")
            await asyncio.to_thread(sentinel.start_server, old)

        rejoining = asyncio.create_task(rejoin())

        async def whole() -> None:
            await rejoining
            await asyncio.to_thread(sentinel.wait_healthy)

        return whole

    return fail


@pytest.mark.parametrize("failure", ["SENTINEL FAILOVER", "killed master"])
async def test_with_replicated_durability_no_acknowledged_add_is_lost(
    sentinel: RedisSentinel, failure: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fail = ask_for_failover(sentinel) if failure == "SENTINEL FAILOVER" else kill_master(sentinel)
    flow = await flow_through_failover(sentinel.url, "replicated", fail)

    assert flow.acknowledged, "no add went through"
    assert flow.lost == set()
    assert flow.first_add_after is not None, "producers never came back"
    assert flow.first_run_after is not None, "workers never came back"
    with capsys.disabled():
        print("\n" + flow.summary(f"sentinel, {failure}, durability=replicated"))


async def test_without_replication_a_killed_master_loses_at_most_the_last_writes(
    sentinel: RedisSentinel, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = await flow_through_failover(sentinel.url, "local", kill_master(sentinel))

    assert flow.first_add_after is not None, "producers never came back"
    with capsys.disabled():
        print("\n" + flow.summary("sentinel, killed master, durability=local"))
