"""Redis at maxmemory (noeviction): workers keep draining, producers get a clear error."""

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio
from docket import Docket, DocketError, DocketOutOfMemoryError, Worker

from ..helpers import wait_until
from ..redis_server import RedisServer, running_redis

PADDING = "x" * 20_000


@pytest.fixture
def server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
async def admin(server: RedisServer) -> AsyncIterator["redis.asyncio.Redis"]:
    client: redis.asyncio.Redis = redis.asyncio.Redis(port=server.port)
    yield client
    await client.aclose()


async def fill_until_full(docket: Docket, admin: "redis.asyncio.Redis") -> int:
    """Give Redis a little room above what it uses, then add tasks until it refuses one."""
    used = (await admin.info("memory"))["used_memory"]
    await admin.config_set("maxmemory-policy", "noeviction")
    await admin.config_set("maxmemory", used + 2_000_000)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    added = 0
    while True:
        # Half immediate, half due in a second: the scheduler must move those under OOM.
        when = None if added % 2 else soon
        try:
            await docket.add("work", when=when)(added, PADDING)
        except DocketOutOfMemoryError:
            break
        added += 1
    with pytest.raises(DocketError, match=r"out of memory \(maxmemory\)"):
        await docket.add("work")(added, PADDING)
    return added


@pytest.mark.parametrize("records", [False, True], ids=["no-records", "records"])
async def test_workers_start_and_drain_a_full_redis_and_producers_are_told_why(
    server: RedisServer,
    admin: "redis.asyncio.Redis",
    caplog: pytest.LogCaptureFixture,
    records: bool,
) -> None:
    ran: set[int] = set()

    async def work(n: int, padding: str) -> None:
        ran.add(n)

    name = f"oom-{uuid.uuid4().hex}"
    # With records kept, the drained tasks' records hold their memory until they expire, so
    # producers only get through again once they do; without, at once.
    ttl = timedelta(minutes=15) if records else timedelta(0)
    async with Docket(name, server.url, execution_ttl=ttl) as docket:
        docket.register(work)
        async with Worker(docket):  # the docket's consumer group exists before Redis fills
            pass
        added = await fill_until_full(docket, admin)
        assert added > 10

        with caplog.at_level(logging.WARNING, logger="docket.worker"):
            async with Worker(docket, concurrency=20) as worker:  # starts although Redis is full
                running = asyncio.create_task(worker.run_forever())
                await wait_until(lambda: len(ran) == added, within=30, what="every task to run")
                if not records:
                    # With the memory the drained tasks freed, producers get through again.
                    await docket.add(work)(added, "")
                    await wait_until(lambda: added in ran, what="the task added after the drain")
                worker.stop()
                await running

    assert ran == set(range(added + (0 if records else 1)))
    assert sum("out of memory" in r.getMessage() for r in caplog.records) <= 1  # once at most


async def test_a_worker_cannot_start_on_a_full_redis_without_its_group_and_says_why(
    server: RedisServer, admin: "redis.asyncio.Redis"
) -> None:
    async def work(n: int, padding: str) -> None: ...

    async with Docket(f"oom-{uuid.uuid4().hex}", server.url) as docket:
        await fill_until_full(docket, admin)
        with pytest.raises(DocketOutOfMemoryError, match="out of memory"):
            async with Worker(docket):
                pass


async def test_an_atomic_batch_on_a_full_redis_schedules_none_of_its_calls(
    server: RedisServer, admin: "redis.asyncio.Redis"
) -> None:
    async with Docket(f"oom-{uuid.uuid4().hex}", server.url) as docket:
        await fill_until_full(docket, admin)
        parked, queued = await docket.backend.backlog()
        calls = [docket.call("work", key=f"signup-{n}")(n, PADDING) for n in range(2)]
        with pytest.raises(DocketOutOfMemoryError, match="atomic batch"):
            await docket.add_many(calls, atomic=True)

        assert await docket.backend.backlog() == (parked, queued)
        assert not await admin.exists(*(docket.keys.task(f"signup-{n}") for n in range(2)))


async def test_a_keyed_add_on_a_full_redis_is_refused_too(
    server: RedisServer, admin: "redis.asyncio.Redis"
) -> None:
    async with Docket(f"oom-{uuid.uuid4().hex}", server.url) as docket:
        added = await fill_until_full(docket, admin)
        with pytest.raises(DocketOutOfMemoryError, match="out of memory"):
            await docket.add("work", key="signup-1")(added, PADDING)
        assert not await admin.exists(docket.keys.task("signup-1"))
