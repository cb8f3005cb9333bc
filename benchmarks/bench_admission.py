"""What admission markers cost: drain 10,000 queued tasks at concurrency 100 with a
ConcurrencyLimit on a high-cardinality argument (10,000 values, max 1 each: never parks), on a
hot one (1 value, max 10: most runs park and are woken), with Fair on 2 values, and without any
marker, in the same run. Records are off (execution_ttl=0) to show the markers' own cost.
"""

import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Annotated, Any

import pytest
from docket import ConcurrencyLimit, Docket, Fair

from ._support import Benchmark, median, report, run_rounds, timed_drain

TASKS = 10_000
ROUNDS = 3
BATCH = 1000


def task(kind: str, ran: list[int]) -> Callable[..., Coroutine[Any, Any, None]]:
    async def plain(n: int) -> None:
        ran[0] += 1

    async def spread(n: Annotated[int, ConcurrencyLimit(1)]) -> None:
        ran[0] += 1

    async def hot(n: int, limit: ConcurrencyLimit = ConcurrencyLimit(max_concurrent=10)) -> None:
        ran[0] += 1

    async def fair(n: int, tenant: Annotated[int, Fair(in_flight=100)]) -> None:
        ran[0] += 1

    tasks: dict[str, Callable[..., Coroutine[Any, Any, None]]] = {
        "plain": plain,
        "spread": spread,
        "hot": hot,
        "fair": fair,
    }
    return tasks[kind]


async def queued(redis_url: str, kind: str) -> tuple[Docket, list[int]]:
    docket = Docket(f"bench-{uuid.uuid4().hex}", redis_url, execution_ttl=timedelta(0))
    await docket.__aenter__()
    ran = [0]
    function = task(kind, ran)
    for start in range(0, TASKS, BATCH):
        calls = range(start, start + BATCH)
        if kind == "fair":
            await docket.add_many(docket.call(function)(n, n % 2) for n in calls)
        else:
            await docket.add_many(docket.call(function)(n) for n in calls)
    return docket, ran


async def close(prepared: tuple[Docket, list[int]]) -> None:
    await prepared[0].__aexit__(None, None, None)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("kind", ["plain", "spread", "hot", "fair"])
def test_drain_with_admission_markers(benchmark: Benchmark, redis_url: str, kind: str) -> None:
    async def drain(prepared: tuple[Docket, list[int]]) -> float:
        return await timed_drain(*prepared, concurrency=100, expected=TASKS)

    seconds = run_rounds(
        benchmark,
        prepare=lambda: queued(redis_url, kind),
        measure=drain,
        cleanup=close,
        rounds=ROUNDS,
    )
    labels = {
        "plain": "no marker",
        "spread": "ConcurrencyLimit on 10,000 values",
        "hot": "ConcurrencyLimit(max 10) on one value",
        "fair": "Fair on 2 values",
    }
    report(
        benchmark,
        f"drain 10k at concurrency 100, {labels[kind]}",
        TASKS / median(seconds),
        "tasks/s",
    )
