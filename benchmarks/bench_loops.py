"""Drain 10,000 queued no-op tasks with one Worker at concurrency 100, on asyncio's event loop
and on uvloop's (what `docket worker --loop` chooses between).

Each round queues the tasks first (not timed) on a fresh loop of the kind measured, then times
from the worker's start to the return of `run_until_finished`, as bench_worker_throughput does.
"""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
import uvloop
from docket import Worker

from ._support import Benchmark, report
from .bench_worker_throughput import TASKS, Backlog, close, queue_tasks

CONCURRENCY = 100
ROUNDS = 5
LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop] | None] = {
    "asyncio": None,  # asyncio.Runner's default: asyncio's own loop
    "uvloop": uvloop.new_event_loop,
}


async def drain(backlog: Backlog) -> float:
    started = time.perf_counter()
    async with Worker(backlog.docket, concurrency=CONCURRENCY) as worker:
        await worker.run_until_finished()
        elapsed = time.perf_counter() - started
    assert backlog.ran[0] == TASKS
    return elapsed


@pytest.mark.timeout(300)
@pytest.mark.parametrize("loop", list(LOOPS))
def test_drain_queued_noop_tasks_per_event_loop(
    benchmark: Benchmark, redis_url: str, loop: str
) -> None:
    seconds: list[float] = []

    def setup() -> tuple[tuple[asyncio.Runner, Backlog], dict[str, Any]]:
        runner = asyncio.Runner(loop_factory=LOOPS[loop])
        try:
            return (runner, runner.run(queue_tasks(redis_url))), {}
        except BaseException:
            runner.close()
            raise

    def target(runner: asyncio.Runner, backlog: Backlog) -> None:
        seconds.append(runner.run(drain(backlog)))

    def teardown(runner: asyncio.Runner, backlog: Backlog) -> None:
        try:
            runner.run(close(backlog))
        finally:
            runner.close()

    if benchmark.disabled:  # --benchmark-disable skips setup and teardown: run all three once

        def once() -> None:
            (runner, backlog), _ = setup()
            try:
                target(runner, backlog)
            finally:
                teardown(runner, backlog)

        benchmark.pedantic(once)
    else:
        benchmark.pedantic(target, setup=setup, teardown=teardown, rounds=ROUNDS, iterations=1)

    median = sorted(seconds)[len(seconds) // 2]
    label = f"drain 10k no-ops, concurrency {CONCURRENCY}, {loop}"
    report(benchmark, label, TASKS / median, "tasks/s")
