"""What signing costs: adding 10,000 no-op tasks, and draining them at concurrency 100, with
signing_keys and without, in the same run (records off, to show signing's own cost)."""

import asyncio
import time
import uuid

import pytest
from docket import Docket

from ._support import Benchmark, median, report, run_rounds, timed_drain

TASKS = 10_000
ROUNDS = 3
ENQUEUE_BATCH = 250
KEYS = {"off": None, "on": [b"benchmark-signing-key-0123456789", b"an-older-key-9876543210"]}


class Added:
    def __init__(self, docket: Docket, seconds: float) -> None:
        self.docket, self.seconds, self.ran = docket, seconds, [0]


async def add_all(redis_url: str, signing: str) -> Added:
    """Open a docket and add the tasks, timing the adds alone."""
    docket = Docket(f"bench-{uuid.uuid4().hex}", redis_url, signing_keys=KEYS[signing])
    await docket.__aenter__()
    added = Added(docket, 0.0)

    async def noop() -> None:
        added.ran[0] += 1

    add = docket.add(noop)
    started = time.perf_counter()
    for start in range(0, TASKS, ENQUEUE_BATCH):
        await asyncio.gather(*(add() for _ in range(start, min(start + ENQUEUE_BATCH, TASKS))))
    added.seconds = time.perf_counter() - started
    return added


async def close(added: Added) -> None:
    await added.docket.__aexit__(None, None, None)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("signing", ["off", "on"])
def test_add_and_drain_with_and_without_signing(
    benchmark: Benchmark, redis_url: str, signing: str
) -> None:
    adds: list[float] = []

    async def drain(added: Added) -> float:
        adds.append(added.seconds)
        return await timed_drain(added.docket, added.ran, concurrency=100, expected=TASKS)

    seconds = run_rounds(
        benchmark,
        prepare=lambda: add_all(redis_url, signing),
        measure=drain,
        cleanup=close,
        rounds=ROUNDS,
    )
    report(benchmark, f"add 10k, signing {signing}", TASKS / median(adds), "tasks/s")
    report(
        benchmark,
        f"drain 10k at concurrency 100, signing {signing}",
        TASKS / median(seconds),
        "tasks/s",
    )
