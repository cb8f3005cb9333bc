"""ConcurrencyLimit: at most N runs at once per argument value, across workers (issue 12)."""

import asyncio
import time
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Annotated, Any

import pytest
from docket import ConcurrencyLimit, Docket, ExecutionState, Worker

from ..helpers import wait_until
from ._shards import keys_on_one_shard

Span = tuple[float, float]


def most_at_once(spans: list[Span]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak


async def run_fleet(docket: Docket, workers: int, concurrency: int, until: Any) -> None:
    async with AsyncExitStack() as stack:
        for n in range(workers):
            worker = Worker(docket, name=f"w{n}", concurrency=concurrency)
            await stack.enter_async_context(worker.running())
        await wait_until(until, within=30, what="every run")


async def test_at_most_two_per_customer_across_three_workers(docket: Docket) -> None:
    spans: dict[int, list[Span]] = {1: [], 2: []}

    async def sync(
        customer_id: int,
        limit: ConcurrencyLimit = ConcurrencyLimit("customer_id", max_concurrent=2),
    ) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.02)
        spans[customer_id].append((started, time.monotonic()))

    for n in range(24):
        await docket.add(sync)(1 + n % 2)
    await run_fleet(docket, 3, 10, lambda: sum(map(len, spans.values())) == 24)
    assert [len(spans[1]), len(spans[2])] == [12, 12]
    assert most_at_once(spans[1]) == 2
    assert most_at_once(spans[2]) == 2


async def test_annotated_argument_and_task_wide_limits(docket: Docket) -> None:
    per_value: list[Span] = []
    whole: list[Span] = []

    async def per_tenant(tenant: Annotated[str, ConcurrencyLimit(1)]) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        per_value.append((started, time.monotonic()))

    async def exclusive(limit: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=1)) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        whole.append((started, time.monotonic()))

    for _ in range(6):
        await docket.add(per_tenant)("acme")
        await docket.add(exclusive)()
    await run_fleet(docket, 2, 5, lambda: len(per_value) == 6 and len(whole) == 6)
    assert most_at_once(per_value) == 1
    assert most_at_once(whole) == 1


async def test_a_scope_shares_one_limit_across_tasks(docket: Docket) -> None:
    spans: list[Span] = []

    async def export(limit: ConcurrencyLimit = ConcurrencyLimit(scope="warehouse")) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        spans.append((started, time.monotonic()))

    async def import_(limit: ConcurrencyLimit = ConcurrencyLimit(scope="warehouse")) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        spans.append((started, time.monotonic()))

    for _ in range(4):
        await docket.add(export)()
        await docket.add(import_)()
    await run_fleet(docket, 2, 5, lambda: len(spans) == 8)
    assert most_at_once(spans) == 1


async def test_parked_runs_wait_in_order_and_show_as_scheduled(docket: Docket) -> None:
    release, order = asyncio.Event(), []

    async def job(n: int, limit: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=1)) -> None:
        order.append(n)
        if n == 0:
            await release.wait()

    keys = keys_on_one_shard(docket, "job", 5)
    for n in range(5):
        await docket.add(job, key=keys[n])(n)
    async with Worker(docket, concurrency=10).running():
        await wait_until(lambda: order == [0], what="the first run")

        async def parked() -> bool:
            waiting = await docket.get_execution(keys[3])
            return waiting is not None and waiting.state is ExecutionState.SCHEDULED

        await wait_until(parked, what="the others to be parked")
        assert await docket.add(job, key=keys[3])(99) is not None  # the key is still pending
        release.set()
        await wait_until(lambda: len(order) == 5, what="every run")
    assert order == [0, 1, 2, 3, 4]  # first come, first served


async def test_a_cancelled_parked_run_does_not_block_the_others(docket: Docket) -> None:
    release, ran = asyncio.Event(), []

    async def job(n: int, limit: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=1)) -> None:
        ran.append(n)
        if n == 0:
            await release.wait()

    keys = keys_on_one_shard(docket, "job", 3)
    for n in range(3):
        await docket.add(job, key=keys[n])(n)
    async with Worker(docket, concurrency=10).running():
        await wait_until(lambda: ran == [0], what="the first run")

        async def parked() -> bool:
            waiting = await docket.get_execution(keys[1])
            return waiting is not None and waiting.state is ExecutionState.SCHEDULED

        await wait_until(parked, what="job-1 to be parked")
        assert await docket.cancel(keys[1])
        release.set()
        await wait_until(lambda: ran == [0, 2], what="job-2 to run")


@pytest.mark.parametrize("bad", [0, -1])
def test_a_bad_limit_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrencyLimit("customer_id", max_concurrent=bad)


async def test_a_limit_on_an_argument_the_task_lacks_fails_the_run(
    docket: Docket, worker: Worker
) -> None:
    async def job(limit: ConcurrencyLimit = ConcurrencyLimit("nope")) -> None: ...

    await docket.add(job)()
    with pytest.raises(Exception, match="does not take"):
        await worker.run_until_finished()


async def test_slot_keys_expire(docket: Docket) -> None:
    async def job(customer_id: Annotated[int, ConcurrencyLimit(1)]) -> None: ...

    await docket.add(job)(7)
    async with Worker(docket, redelivery_timeout=timedelta(seconds=5)) as worker:
        await worker.run_until_finished()
    client: Any = docket.backend.client
    pattern = "\\{" + docket.name + "\\}:concurrency:*"
    async for key in client.scan_iter(match=pattern):
        assert await client.pttl(key) > 0
