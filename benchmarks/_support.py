"""What the benchmarks share: the pytest-benchmark surface they use, rounds on fresh event
loops, percentiles, and the figures each benchmark reports (printed, stored in extra_info, and
summarised at the end of the run)."""

import asyncio
import math
import os
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from docket import Docket, Worker

from tests.redis_server import RedisServer, running_redis


class Stats(Protocol):
    """Timings of a benchmark's rounds, in seconds."""

    @property
    def median(self) -> float: ...

    @property
    def min(self) -> float: ...


class Metadata(Protocol):
    @property
    def stats(self) -> Stats: ...


class Benchmark(Protocol):
    """The part of pytest-benchmark's `benchmark` fixture the benchmarks use (it is untyped)."""

    name: str
    extra_info: dict[str, Any]
    disabled: bool

    @property
    def stats(self) -> Metadata: ...

    def __call__[R](self, function: Callable[..., R], *args: Any, **kwargs: Any) -> R: ...

    def pedantic[R](
        self,
        target: Callable[..., R],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        setup: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]] | None = None,
        teardown: Callable[..., None] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> R: ...


@dataclass(frozen=True, slots=True)
class Figure:
    benchmark: str
    label: str
    value: float
    unit: str


FIGURES: list[Figure] = []
"""Every figure reported in this run, for the summary at its end."""


def report(benchmark: Benchmark, label: str, value: float, unit: str) -> None:
    """Record one figure of a benchmark (tasks/s, ms or ns/op)."""
    benchmark.extra_info[f"{label} ({unit})"] = round(value, 3)
    FIGURES.append(Figure(benchmark.name, label, value, unit))
    print(f"\n{benchmark.name}: {label} = {value:,.3f} {unit}")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of `samples` (fraction 0.5 is the median)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


async def timed_drain(docket: Docket, ran: list[int], *, concurrency: int, expected: int) -> float:
    """Seconds a fresh Worker at `concurrency` takes to run all that is queued on `docket`;
    `ran[0]`, counted by the tasks, must then be `expected`."""
    started = time.perf_counter()
    async with Worker(docket, concurrency=concurrency) as worker:
        await worker.run_until_finished()
        elapsed = time.perf_counter() - started
    assert ran[0] == expected, f"{ran[0]} of {expected} tasks ran"
    return elapsed


def median(samples: Sequence[float]) -> float:
    """The middle sample (the upper one of an even count), as the drain benchmarks report."""
    return sorted(samples)[len(samples) // 2]


def run_rounds[S, R](
    benchmark: Benchmark,
    *,
    prepare: Callable[[], Coroutine[Any, Any, S]],
    measure: Callable[[S], Coroutine[Any, Any, R]],
    cleanup: Callable[[S], Coroutine[Any, Any, None]],
    rounds: int,
) -> list[R]:
    """Time `measure` for `rounds` rounds, each on a fresh event loop; return what it returned.

    `prepare` and `cleanup` run on the round's loop too, outside the timing.
    """
    results: list[R] = []

    def setup() -> tuple[tuple[asyncio.Runner, S], dict[str, Any]]:
        runner = asyncio.Runner()
        try:
            state = runner.run(prepare())
        except BaseException:
            runner.close()
            raise
        return (runner, state), {}

    def target(runner: asyncio.Runner, state: S) -> None:
        results.append(runner.run(measure(state)))

    def teardown(runner: asyncio.Runner, state: S) -> None:
        try:
            runner.run(cleanup(state))
        finally:
            runner.close()

    if benchmark.disabled:
        # --benchmark-disable runs the target once but would skip the teardown: do all three
        def once() -> None:
            (runner, state), _ = setup()
            try:
                target(runner, state)
            finally:
                teardown(runner, state)

        benchmark.pedantic(once)
        return results
    benchmark.pedantic(target, setup=setup, teardown=teardown, rounds=rounds, iterations=1)
    return results


REDIS_SERVER_ENV = "DOCKET_BENCH_REDIS_SERVER"
"""Path of the redis-server binary for benchmarks that start a private server of their own
(bench_growth, bench_memory); by default the one tests.redis_server picks."""


@contextmanager
def private_redis_server() -> Iterator[RedisServer]:
    """A fresh redis-server that nothing else shares, stopped (and its data gone) on exit."""
    with running_redis(binary=os.environ.get(REDIS_SERVER_ENV) or None) as server:
        yield server
