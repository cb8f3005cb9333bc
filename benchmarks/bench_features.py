"""What Timeout and Perpetual cost per task, next to the plain no-op drain.

Drain 10,000 queued no-op tasks at concurrency 100, as `bench_worker_throughput.py` does, for
a plain task, a task with a TaskKey() marker (the dependency-injection path alone) and a task
with a Timeout (that path plus its deadline). And run one Perpetual chain of 2,000 runs
(`every=0`) against a task that adds itself again under its own key, the way to chain work
without Perpetual.
"""

import asyncio
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import pytest
from docket import Docket, Perpetual, TaskKey, Timeout, Worker

from ._support import Benchmark, median, report, run_rounds, timed_drain

TASKS = 10_000
CHAIN = 2_000
ROUNDS = 3
ENQUEUE_BATCH = 250
MINUTE = timedelta(minutes=1)


def noop_task(kind: str, ran: list[int]) -> Callable[..., Coroutine[Any, Any, None]]:
    async def plain() -> None:
        ran[0] += 1

    async def keyed(key: str = TaskKey()) -> None:
        ran[0] += 1

    async def bounded(timeout: Timeout = Timeout(MINUTE)) -> None:
        ran[0] += 1

    return {"plain": plain, "keyed": keyed, "timeout": bounded}[kind]


async def queued(redis_url: str, kind: str) -> tuple[Docket, list[int]]:
    docket = Docket(name=f"bench-{uuid.uuid4().hex}", url=redis_url)
    await docket.__aenter__()
    ran = [0]
    add = docket.add(noop_task(kind, ran))
    for start in range(0, TASKS, ENQUEUE_BATCH):
        await asyncio.gather(*(add() for _ in range(start, min(start + ENQUEUE_BATCH, TASKS))))
    return docket, ran


async def close(prepared: tuple[Docket, list[int]]) -> None:
    await prepared[0].__aexit__(None, None, None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["plain", "keyed", "timeout"])
def test_drain_with_and_without_a_timeout(benchmark: Benchmark, redis_url: str, kind: str) -> None:
    async def drain(prepared: tuple[Docket, list[int]]) -> float:
        return await timed_drain(*prepared, concurrency=100, expected=TASKS)

    seconds = run_rounds(
        benchmark,
        prepare=lambda: queued(redis_url, kind),
        measure=drain,
        cleanup=close,
        rounds=ROUNDS,
    )
    report(
        benchmark, f"drain 10k at concurrency 100, {kind} task", TASKS / median(seconds), "tasks/s"
    )


async def chain_docket(redis_url: str, kind: str) -> tuple[Docket, list[int], asyncio.Event]:
    docket = Docket(name=f"bench-{uuid.uuid4().hex}", url=redis_url)
    await docket.__aenter__()
    ran, done = [0], asyncio.Event()

    async def perpetual(perpetual: Perpetual = Perpetual()) -> None:
        ran[0] += 1
        if ran[0] == CHAIN:
            perpetual.cancel()
            done.set()

    async def readding(key: str = TaskKey()) -> None:
        ran[0] += 1
        if ran[0] < CHAIN:
            await docket.add(readding, key=key)()
        else:
            done.set()

    docket.tasks["chain"] = perpetual if kind == "perpetual" else readding
    return docket, ran, done


async def close_chain(prepared: tuple[Docket, list[int], asyncio.Event]) -> None:
    await prepared[0].__aexit__(None, None, None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["perpetual", "re-adding"])
def test_one_chain_of_runs(benchmark: Benchmark, redis_url: str, kind: str) -> None:
    async def run(prepared: tuple[Docket, list[int], asyncio.Event]) -> float:
        docket, ran, done = prepared
        async with Worker(docket).running():  # a worker that runs for good, as in production
            started = time.perf_counter()
            await docket.add("chain", key="chain")()
            await done.wait()
            elapsed = time.perf_counter() - started
        assert ran[0] == CHAIN
        return elapsed

    seconds = run_rounds(
        benchmark,
        prepare=lambda: chain_docket(redis_url, kind),
        measure=run,
        cleanup=close_chain,
        rounds=ROUNDS,
    )
    report(benchmark, f"a chain of 2,000 runs, {kind}", median(seconds) / CHAIN * 1e6, "µs per run")
