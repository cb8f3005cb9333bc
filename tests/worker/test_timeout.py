"""Timeout: a run past its deadline is cancelled and fails with TimeoutError."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from docket import Docket, Retry, Timeout, Worker

WorkerFactory = Callable[..., Awaitable[Worker]]


async def test_a_task_past_its_timeout_is_cancelled_at_the_deadline(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    times: list[float] = []

    async def slow(timeout: Timeout = Timeout(timedelta(milliseconds=200))) -> None:
        times.append(time.monotonic())
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            times.append(time.monotonic())
            raise

    await docket.add(slow)()
    with caplog.at_level(logging.ERROR, logger="docket.worker"):
        await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    started, cancelled = times
    assert 0.195 <= cancelled - started < 0.25  # uvloop keeps time in whole milliseconds
    assert worker.statistics().failed == 1
    [failure] = [r for r in caplog.records if r.getMessage().startswith("failed slow")]
    assert failure.exc_info is not None
    assert failure.exc_info[0] is TimeoutError


async def test_a_timed_out_run_is_retried_by_its_retry(docket: Docket, worker: Worker) -> None:
    attempts: list[int] = []

    async def slow_then_quick(
        retry: Retry = Retry(attempts=3),
        timeout: Timeout = Timeout(timedelta(milliseconds=50)),
    ) -> None:
        attempts.append(retry.attempt)
        if retry.attempt == 1:
            await asyncio.sleep(10)

    await docket.add(slow_then_quick)()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [1, 2]
    assert (worker.statistics().retried, worker.statistics().succeeded) == (1, 1)


async def test_a_task_can_extend_its_deadline_and_see_what_remains(
    docket: Docket, worker: Worker
) -> None:
    seen: list[float] = []

    async def patient(timeout: Timeout = Timeout(timedelta(milliseconds=150))) -> None:
        await asyncio.sleep(0.1)
        seen.append(timeout.remaining().total_seconds())
        timeout.extend()  # by the base again
        seen.append(timeout.remaining().total_seconds())
        timeout.extend(timedelta(milliseconds=100))
        await asyncio.sleep(0.25)  # past the first deadline, within the extended one

    await docket.add(patient)()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert worker.statistics().succeeded == 1
    before, after = seen
    assert 0 < before <= 0.06
    assert 0.14 < after - before <= 0.151


async def test_a_fast_task_with_a_timeout_succeeds(docket: Docket, worker: Worker) -> None:
    async def quick(timeout: Timeout = Timeout(timedelta(seconds=5))) -> None:
        await asyncio.sleep(0)

    for _ in range(20):
        await docket.add(quick)()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert worker.statistics().succeeded == 20


async def test_a_timeout_longer_than_the_redelivery_timeout_keeps_its_lease(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    runs: list[str] = []

    async def long_job(timeout: Timeout = Timeout(timedelta(seconds=5))) -> None:
        runs.append("ran")
        await asyncio.sleep(0.8)

    docket.register(long_job)
    first = await make_worker(redelivery_timeout=timedelta(milliseconds=200))
    second = await make_worker(redelivery_timeout=timedelta(milliseconds=200))
    await docket.add(long_job)()
    await asyncio.wait_for(
        asyncio.gather(first.run_until_finished(), second.run_until_finished()), timeout=10
    )

    assert runs == ["ran"]  # renewed all along: never taken over by the other worker


def test_a_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        Timeout(timedelta(0))
