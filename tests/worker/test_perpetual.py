"""Perpetual: a task that schedules itself again under its own key after every run."""

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, InvalidTaskError, Perpetual, Retry, TaskKey, Worker

from ..helpers import wait_until

WorkerFactory = Callable[..., Awaitable[Worker]]
EVERY_100MS = timedelta(milliseconds=100)


async def test_a_perpetual_task_runs_every_period_under_its_key(
    docket: Docket, worker: Worker
) -> None:
    runs: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()

    async def tick(
        key: str = TaskKey(), perpetual: Perpetual = Perpetual(every=EVERY_100MS)
    ) -> None:
        runs.append((key, loop.time()))
        if len(runs) == 6:
            perpetual.cancel()

    await docket.add(tick, key="ticker")()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert [key for key, _ in runs] == ["ticker"] * 6
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(runs)]
    assert all(0.09 <= gap < 0.3 for gap in gaps), gaps  # uvloop keeps whole milliseconds
    assert await docket.backend.backlog() == (0, 0)


async def test_perpetuate_changes_the_next_runs_arguments(docket: Docket, worker: Worker) -> None:
    seen: list[int] = []

    async def count(n: int, perpetual: Perpetual = Perpetual()) -> None:
        seen.append(n)
        if n == 3:
            perpetual.cancel()
        else:
            perpetual.perpetuate(n + 1)

    await docket.add(count, key="count")(0)
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert seen == [0, 1, 2, 3]


async def test_after_and_at_choose_the_next_time_once(docket: Docket, worker: Worker) -> None:
    times: list[float] = []
    loop = asyncio.get_running_loop()

    async def job(perpetual: Perpetual = Perpetual(every=timedelta(hours=1))) -> None:
        times.append(loop.time())
        if len(times) == 1:
            perpetual.after(timedelta(milliseconds=150))
        elif len(times) == 2:
            perpetual.at(datetime.now(UTC) + timedelta(milliseconds=100))
        else:
            perpetual.cancel()

    await docket.add(job, key="job")()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    first, second, third = times
    assert 0.145 <= second - first < 0.3
    assert 0.095 <= third - second < 0.25


async def test_a_failing_perpetual_task_keeps_its_schedule_after_its_retries(
    docket: Docket, worker: Worker
) -> None:
    attempts: list[int] = []

    async def flaky(
        retry: Retry = Retry(attempts=2),
        perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=10)),
    ) -> None:
        attempts.append(retry.attempt)
        if len(attempts) == 4:
            perpetual.cancel()
        raise ValueError("always")

    await docket.add(flaky, key="flaky")()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [1, 2, 1, 2]  # final failure, next run starts again at attempt 1
    assert worker.statistics().failed == 2


async def test_a_chain_replaced_while_running_is_not_revived_by_its_running_copy(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    runs: list[str] = []

    async def job(label: str, perpetual: Perpetual = Perpetual(every=timedelta(0))) -> None:
        runs.append(label)
        if label == "old":
            await release.wait()
        else:
            perpetual.cancel()

    await docket.add(job, key="k")("old")
    running = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: runs == ["old"], what="the old chain to run")
    await docket.replace(job, datetime.now(UTC) + timedelta(milliseconds=100), "k")("new")
    release.set()
    await asyncio.wait_for(running, timeout=10)

    assert runs == ["old", "new"]  # the old copy did not schedule another "old"


async def test_an_automatic_perpetual_runs_one_chain_however_many_workers_start(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    runs: list[float] = []
    loop = asyncio.get_running_loop()

    async def heartbeat(
        perpetual: Perpetual = Perpetual(every=EVERY_100MS, automatic=True),
    ) -> None:
        runs.append(loop.time())

    docket.register(heartbeat)
    workers = [await make_worker() for _ in range(4)]
    started = [asyncio.create_task(worker.run_forever()) for worker in workers]  # all at once
    try:
        await wait_until(lambda: len(runs) >= 11, within=5, what="eleven beats")
        first, last = runs[0], runs[10]
        assert sum(await docket.backend.backlog()) <= 1  # one chain: one pending run
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*started)
    rate = 10 / (last - first)
    assert 7 <= rate <= 11  # about ten a second: one chain, not four


async def test_an_automatic_task_must_take_no_required_arguments(docket: Docket) -> None:
    async def needs(n: int, perpetual: Perpetual = Perpetual(automatic=True)) -> None: ...

    docket.register(needs)
    worker = Worker(docket)
    async with worker:
        with pytest.raises(InvalidTaskError, match="automatic Perpetual task"):
            await worker.run_until_finished()


async def test_workers_can_leave_automatic_tasks_alone(docket: Docket) -> None:
    async def heartbeat(perpetual: Perpetual = Perpetual(automatic=True)) -> None: ...

    docket.register(heartbeat)
    async with Worker(docket, schedule_automatic_tasks=False) as worker:
        await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert worker.statistics().succeeded == 0
    assert await docket.backend.backlog() == (0, 0)
