"""Progress(): a running task reports how far it got; readers see it (issue 11)."""

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest
from docket import Docket, ExecutionProgress, Progress, Worker

from ..helpers import wait_until


async def test_a_reader_sees_progress_within_100_ms(docket: Docket, worker: Worker) -> None:
    counted, release = asyncio.Event(), asyncio.Event()

    async def import_rows(progress: ExecutionProgress = Progress()) -> None:
        await progress.set_total(10)
        await progress.set_message("importing")
        for _ in range(4):
            await progress.increment()
        counted.set()
        await release.wait()

    execution = await docket.add(import_rows, key="rows")()
    async with worker.running():
        await asyncio.wait_for(counted.wait(), timeout=10)
        counted_at = time.monotonic()

        async def seen() -> bool:
            await execution.sync()
            return execution.progress.current == 4

        await wait_until(seen, within=1, what="the progress to be written")
        assert time.monotonic() - counted_at < 0.1 + 0.05  # 100 ms, and the read itself
        assert (execution.progress.total, execution.progress.message) == (10, "importing")
        assert execution.progress.updated_at is not None
        release.set()
        await execution.get_result(timeout=timedelta(seconds=10))
    progress = execution.progress
    await progress.sync()  # pydocket's way: the same object, read again
    assert progress.current == 4  # kept in the record
    assert execution.progress is progress


async def test_increment_takes_pydocket_amount_too(docket: Docket, worker: Worker) -> None:
    async def count(progress: ExecutionProgress = Progress()) -> None:
        await progress.increment(3)
        await progress.increment(n=2)
        await progress.increment(amount=5)

    execution = await docket.add(count)()
    await worker.run_until_finished()
    await execution.sync()
    assert execution.progress.current == 10


async def test_progress_defaults_before_a_task_counts(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job, key="job")()
    await execution.sync()
    assert (execution.progress.current, execution.progress.total) == (None, 100)
    assert execution.progress.message is None


async def test_a_reader_cannot_write_progress(docket: Docket) -> None:
    async def job() -> None: ...

    execution = await docket.add(job)()
    with pytest.raises(RuntimeError, match="only the running task"):
        await execution.progress.increment()


async def test_a_million_increments_cost_well_under_a_second_of_redis_time(
    redis_url: str,
) -> None:
    async with Docket(f"million-{time.time_ns()}", redis_url) as docket:

        async def tight(progress: ExecutionProgress = Progress()) -> None:
            await progress.set_total(1_000_000)
            for _ in range(1_000_000):
                await progress.increment()

        client: Any = docket.backend.client
        before = await client.info("commandstats")
        execution = await docket.add(tight)()
        async with Worker(docket) as worker:
            await worker.run_until_finished()
        after = await client.info("commandstats")
        await execution.sync()
        assert execution.progress.current == 1_000_000

    def redis_usec(stats: dict[str, Any]) -> int:
        return sum(int(v["usec"]) for v in stats.values())

    def calls(stats: dict[str, Any]) -> int:
        return sum(int(v["calls"]) for v in stats.values())

    assert redis_usec(after) - redis_usec(before) < 100_000  # 0.1 s of Redis time
    assert calls(after) - calls(before) < 1_000  # batched: not a round trip per increment
