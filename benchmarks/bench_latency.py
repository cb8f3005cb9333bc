"""Latency of an idle worker: from `add` to the task's start, and lateness of scheduled tasks.

The client and the worker share one process and one event loop, on a private Redis server.
"""

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, Worker

from ._support import Benchmark, percentile, report, run_rounds

PROBES = 200
SPREAD = timedelta(seconds=2)
ROUNDS = 3


@dataclass
class Running:
    """A docket with a worker running forever in the background, and what its tasks saw."""

    docket: Docket
    worker: Worker
    runner: "asyncio.Task[None]"
    started: "asyncio.Queue[int]" = field(default_factory=asyncio.Queue)


async def start_worker(redis_url: str) -> Running:
    docket = Docket(name=f"bench-{uuid.uuid4().hex}", url=redis_url)
    await docket.__aenter__()
    worker = Worker(docket, concurrency=10)
    await worker.__aenter__()
    running = Running(docket, worker, asyncio.create_task(worker.run_forever()))
    docket.register(record_start_factory(running))
    await docket.add("record_start")(0)  # warm up: script loaded, worker reading
    async with asyncio.timeout(10):
        await running.started.get()
    return running


def record_start_factory(running: Running) -> Callable[[int], Awaitable[None]]:
    async def record_start(since_ns: int) -> None:
        """Report how long after `since_ns` (wall clock) this task started."""
        running.started.put_nowait(time.time_ns() - since_ns)

    return record_start


async def stop_worker(running: Running) -> None:
    running.runner.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running.runner
    await running.worker.__aexit__(None, None, None)
    await running.docket.__aexit__(None, None, None)


def milliseconds(samples_ns: list[int]) -> list[float]:
    return [sample / 1e6 for sample in samples_ns]


def test_enqueue_to_start_on_an_idle_worker(benchmark: Benchmark, redis_url: str) -> None:
    async def probe(running: Running) -> list[int]:
        latencies: list[int] = []
        for _ in range(PROBES):
            # one task at a time, so the worker is idle (waiting on Redis) when each is added
            await running.docket.add("record_start")(time.time_ns())
            async with asyncio.timeout(10):
                latencies.append(await running.started.get())
        return latencies

    rounds = run_rounds(
        benchmark,
        prepare=lambda: start_worker(redis_url),
        measure=probe,
        cleanup=stop_worker,
        rounds=ROUNDS,
    )

    latencies = milliseconds([sample for samples in rounds for sample in samples])
    report(benchmark, "enqueue-to-start p50", percentile(latencies, 0.50), "ms")
    report(benchmark, "enqueue-to-start p99", percentile(latencies, 0.99), "ms")


@pytest.mark.timeout(120)
def test_lateness_of_tasks_scheduled_within_two_seconds(
    benchmark: Benchmark, redis_url: str
) -> None:
    shuffle = random.Random(20251125).shuffle

    async def schedule_and_wait(running: Running) -> list[int]:
        # whole milliseconds, the resolution docket keeps due times in
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        whens = [now + SPREAD * n / PROBES for n in range(PROBES)]
        shuffle(whens)  # out of order, so earlier ones keep waking the scheduler up
        for when in whens:
            when_ns = int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000
            await running.docket.add("record_start", when=when)(when_ns)
        latenesses: list[int] = []
        async with asyncio.timeout(SPREAD.total_seconds() + 10):
            while len(latenesses) < PROBES:
                latenesses.append(await running.started.get())
        return latenesses

    rounds = run_rounds(
        benchmark,
        prepare=lambda: start_worker(redis_url),
        measure=schedule_and_wait,
        cleanup=stop_worker,
        rounds=ROUNDS,
    )

    lateness = milliseconds([sample for samples in rounds for sample in samples])
    assert min(lateness) >= 0, f"a task started {-min(lateness):.3f} ms before its `when`"
    report(benchmark, "lateness p50", percentile(lateness, 0.50), "ms")
    report(benchmark, "lateness p99", percentile(lateness, 0.99), "ms")
    report(benchmark, "lateness max", max(lateness), "ms")
