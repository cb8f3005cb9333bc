"""Drain 10,000 queued no-op tasks with one Worker, at concurrency 10 and 100.

Each round queues the tasks first (not timed), then times from the worker's start (entering
`async with Worker(...)`) to the return of `run_until_finished`. `records` is the docket's
execution_ttl: "off" (0: fire and forget, nothing kept) or "on" (the default, 15 minutes:
each run's state, worker, times and result are recorded and announced).
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from docket import Docket

from ._support import Benchmark, median, report, run_rounds, timed_drain

TASKS = 10_000
ROUNDS = 3
ENQUEUE_BATCH = 250


@dataclass
class Backlog:
    docket: Docket
    ran: list[int] = field(default_factory=lambda: [0])


RECORDS = {"off": timedelta(0), "on": timedelta(minutes=15)}


async def queue_tasks(redis_url: str, records: str = "off") -> Backlog:
    docket = Docket(name=f"bench-{uuid.uuid4().hex}", url=redis_url, execution_ttl=RECORDS[records])
    await docket.__aenter__()
    backlog = Backlog(docket)

    async def noop() -> None:
        backlog.ran[0] += 1

    add = docket.add(noop)
    for start in range(0, TASKS, ENQUEUE_BATCH):
        await asyncio.gather(*(add() for _ in range(start, min(start + ENQUEUE_BATCH, TASKS))))
    return backlog


async def close(backlog: Backlog) -> None:
    await backlog.docket.__aexit__(None, None, None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("records", ["off", "on"])
@pytest.mark.parametrize("concurrency", [10, 100])
def test_drain_queued_noop_tasks(
    benchmark: Benchmark, redis_url: str, concurrency: int, records: str
) -> None:
    async def drain(backlog: Backlog) -> float:
        return await timed_drain(
            backlog.docket, backlog.ran, concurrency=concurrency, expected=TASKS
        )

    seconds = run_rounds(
        benchmark,
        prepare=lambda: queue_tasks(redis_url, records),
        measure=drain,
        cleanup=close,
        rounds=ROUNDS,
    )

    label = f"drain 10k no-ops, concurrency {concurrency}, records {records}"
    report(benchmark, label, TASKS / median(seconds), "tasks/s")
