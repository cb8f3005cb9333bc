"""Latency of an idle worker: from `add` to the task's start, and lateness of scheduled tasks.

The client and the worker share one process and one event loop, on a private Redis server.
"""

import asyncio
import time
from datetime import timedelta

import pytest

from ._running import Running, lateness_ns, start_worker, stop_worker
from ._support import Benchmark, percentile, report, run_rounds

PROBES = 200
SPREAD = timedelta(seconds=2)
ROUNDS = 3


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
    rounds = run_rounds(
        benchmark,
        prepare=lambda: start_worker(redis_url),
        measure=lambda running: lateness_ns(running, PROBES, SPREAD),
        cleanup=stop_worker,
        rounds=ROUNDS,
    )

    lateness = milliseconds([sample for samples in rounds for sample in samples])
    assert min(lateness) >= 0, f"a task started {-min(lateness):.3f} ms before its `when`"
    report(benchmark, "lateness p50", percentile(lateness, 0.50), "ms")
    report(benchmark, "lateness p99", percentile(lateness, 0.99), "ms")
    report(benchmark, "lateness max", max(lateness), "ms")
