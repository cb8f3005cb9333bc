"""Timing the adds and the drain of one docket in each round (bench_signing, bench_codecs)."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from docket import Docket

from ._support import Benchmark, median, report, run_rounds, timed_drain

TASKS = 10_000
ROUNDS = 3
ENQUEUE_BATCH = 250


class Added:
    """An open docket with TASKS queued, how long adding them took, and a count of runs."""

    def __init__(self, docket: Docket) -> None:
        self.docket, self.seconds, self.ran = docket, 0.0, [0]


async def add_timed(docket: Docket, add: Callable[[], Awaitable[Any]]) -> Added:
    """Open `docket` and call `add` TASKS times (ENQUEUE_BATCH at once), timing the adds."""
    await docket.__aenter__()
    added = Added(docket)
    started = time.perf_counter()
    for start in range(0, TASKS, ENQUEUE_BATCH):
        await asyncio.gather(*(add() for _ in range(start, min(start + ENQUEUE_BATCH, TASKS))))
    added.seconds = time.perf_counter() - started
    return added


async def _close(added: Added) -> None:
    await added.docket.__aexit__(None, None, None)


def report_add_and_drain(
    benchmark: Benchmark, prepare: Callable[[], Coroutine[Any, Any, Added]], label: str
) -> None:
    """Time ROUNDS rounds of adding and of draining at concurrency 100; report both."""
    adds: list[float] = []

    async def drain(added: Added) -> float:
        adds.append(added.seconds)
        return await timed_drain(added.docket, added.ran, concurrency=100, expected=TASKS)

    seconds = run_rounds(benchmark, prepare=prepare, measure=drain, cleanup=_close, rounds=ROUNDS)
    report(benchmark, f"add 10k, {label}", TASKS / median(adds), "tasks/s")
    report(benchmark, f"drain 10k at concurrency 100, {label}", TASKS / median(seconds), "tasks/s")
