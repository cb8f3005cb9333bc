"""docket.cancel stops a running task on whichever worker runs it; replace may do so too."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, Perpetual, Retry, Worker

from ..helpers import wait_until

WorkerFactory = Callable[..., Awaitable[Worker]]


async def test_cancel_stops_a_running_task_within_100_ms(docket: Docket, worker: Worker) -> None:
    started = asyncio.Event()
    stopped_at: list[float] = []

    async def long_job() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped_at.append(time.monotonic())
            raise

    await docket.add(long_job, key="long")()
    running = asyncio.create_task(worker.run_until_finished())
    await asyncio.wait_for(started.wait(), timeout=10)

    asked = time.monotonic()
    assert await docket.cancel("long") is True
    await wait_until(lambda: bool(stopped_at), within=2, what="the task to be cancelled")
    await asyncio.wait_for(running, timeout=10)

    assert stopped_at[0] - asked < 0.1
    statistics = worker.statistics()
    assert (statistics.cancelled, statistics.failed, statistics.succeeded) == (1, 0, 0)
    assert await docket.backend.backlog() == (0, 0)  # acknowledged, nothing left
    assert await docket.cancel("long") is False


async def test_a_cancelled_running_task_is_not_retried(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []

    async def flaky(retry: Retry = Retry(attempts=5)) -> None:
        attempts.append(retry.attempt)
        await asyncio.sleep(60)

    await docket.add(flaky, key="flaky")()
    running = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: attempts == [1], what="the first attempt")
    await docket.cancel("flaky")
    await asyncio.wait_for(running, timeout=10)

    assert attempts == [1]
    assert worker.statistics().retried == 0


async def test_cancel_reaches_the_worker_that_runs_the_task(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    where: list[str] = []

    async def long_job(name: str) -> None:
        where.append(name)
        await asyncio.sleep(60)

    docket.register(long_job)
    idle, busy = await make_worker(name="idle"), await make_worker(name="busy")
    async with busy.running():
        await docket.add(long_job, key="long")("x")
        await wait_until(lambda: busy.statistics().running == 1, what="busy to take it")
        async with idle.running():
            await docket.cancel("long")
            await wait_until(lambda: busy.statistics().cancelled == 1, what="the cancel")

    assert idle.statistics().cancelled == 0


async def test_cancel_of_a_perpetual_task_ends_its_chain(docket: Docket, worker: Worker) -> None:
    runs: list[int] = []

    async def tick(perpetual: Perpetual = Perpetual(every=timedelta(milliseconds=10))) -> None:
        runs.append(1)
        await asyncio.sleep(60)

    await docket.add(tick, key="tick")()
    running = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: len(runs) == 1, what="the first run")
    await docket.cancel("tick")
    await asyncio.wait_for(running, timeout=10)

    assert len(runs) == 1
    assert await docket.backend.backlog() == (0, 0)


async def test_replace_with_running_cancel_stops_the_running_copy(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []
    stopped: list[str] = []

    async def job(label: str) -> None:
        runs.append(label)
        try:
            await asyncio.sleep(60 if label == "old" else 0)
        except asyncio.CancelledError:
            stopped.append(label)
            raise

    await docket.add(job, key="k")("old")
    running = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: runs == ["old"], what="the old copy to start")

    await docket.replace(job, datetime.now(UTC), "k", running="cancel")("new")
    await asyncio.wait_for(running, timeout=10)

    assert stopped == ["old"]
    assert runs == ["old", "new"]


async def test_replace_lets_a_running_copy_finish_by_default(
    docket: Docket, worker: Worker
) -> None:
    release = asyncio.Event()
    finished: list[str] = []

    async def job(label: str) -> None:
        if label == "old":
            await release.wait()
        finished.append(label)

    await docket.add(job, key="k")("old")
    running = asyncio.create_task(worker.run_until_finished())
    await wait_until(lambda: worker.statistics().running == 1, what="the old copy to start")
    await docket.replace(job, datetime.now(UTC), "k")("new")
    await wait_until(lambda: finished == ["new"], what="the replacement to run")
    release.set()
    await asyncio.wait_for(running, timeout=10)

    assert sorted(finished) == ["new", "old"]


async def test_cancel_and_replace_refuse_an_unknown_running_mode(docket: Docket) -> None:
    async def job() -> None: ...

    with pytest.raises(ValueError, match="running='stop'"):
        await docket.cancel("k", running="stop")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cancel, finish"):
        docket.replace(job, datetime.now(UTC), "k", running="later")  # type: ignore[call-overload]
