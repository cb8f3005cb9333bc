"""RateLimit, Debounce and Cooldown, across workers (issue 12)."""

import asyncio
import itertools
import time
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Annotated

from docket import (
    ConcurrencyLimit,
    Cooldown,
    Debounce,
    Docket,
    ExecutionState,
    RateLimit,
    Worker,
)

from ..helpers import wait_until
from ._shards import keys_on_one_shard


async def test_ten_per_second_over_three_seconds_runs_thirty(docket: Docket) -> None:
    starts: list[float] = []

    async def call_api(limit: RateLimit = RateLimit(10, per=timedelta(seconds=1))) -> None:
        starts.append(time.monotonic())

    await docket.add_many(docket.call(call_api)() for _ in range(60))
    async with AsyncExitStack() as stack:
        for n in range(3):
            await stack.enter_async_context(Worker(docket, name=f"w{n}").running())
        await wait_until(lambda: len(starts) >= 40, within=20, what="four windows of runs")
    # Each window admits ten at once and puts the rest off to its end, so the starts come in
    # bursts of ten, a second (the window) apart: asserted on the bursts, not by counting the
    # starts within 3 s of the first, which the fourth burst, due at 3 s, races. A start
    # follows its admission after the rest of its read is admitted or put off, so on a busy
    # machine a burst can start a little late, and the next one seem a little early.
    bursts: list[list[float]] = []
    for start in sorted(starts):
        if bursts and start - bursts[-1][-1] < 0.5:
            bursts[-1].append(start)
        else:
            bursts.append([start])
    assert [len(burst) for burst in bursts[:4]] == [10, 10, 10, 10]
    gaps = [later[0] - earlier[0] for earlier, later in itertools.pairwise(bursts[:4])]
    assert all(gap > 0.75 for gap in gaps), gaps  # a second, less a loaded loop's jitter


async def test_a_rate_limit_per_argument_value(docket: Docket) -> None:
    starts: dict[str, list[float]] = {"a": [], "b": []}

    async def call(tenant: Annotated[str, RateLimit(2, per=timedelta(seconds=10))]) -> None:
        starts[tenant].append(time.monotonic())

    for _ in range(4):
        await docket.add(call)("a")
        await docket.add(call)("b")
    async with Worker(docket).running():
        await wait_until(lambda: len(starts["a"]) == 2 and len(starts["b"]) == 2, what="runs")
        await asyncio.sleep(0.2)  # the rest are put off ten seconds: none may run meanwhile
    assert (len(starts["a"]), len(starts["b"])) == (2, 2)


async def test_a_dropping_rate_limit_records_the_drop(docket: Docket, worker: Worker) -> None:
    ran: list[int] = []

    async def ping(
        n: int, limit: RateLimit = RateLimit(1, per=timedelta(hours=1), drop=True)
    ) -> None:
        ran.append(n)

    await docket.add(ping, key="first")(1)
    await docket.add(ping, key="second")(2)
    await worker.run_until_finished()
    assert ran == [1]
    dropped = await docket.get_execution("second")
    assert dropped is not None
    assert dropped.state is ExecutionState.CANCELLED
    assert dropped.error is not None
    assert "RateLimit" in dropped.error


async def test_debounce_runs_only_the_last_of_a_burst(docket: Docket) -> None:
    ran: list[int] = []

    async def rebuild(n: int, settle: Debounce = Debounce(timedelta(milliseconds=300))) -> None:
        ran.append(n)

    async with Worker(docket, concurrency=20).running():
        for n in range(50):  # 50 calls over about 200 ms, each well within the settle time
            await docket.add(rebuild)(n)
            await asyncio.sleep(0.004)
        await wait_until(lambda: bool(ran), what="the debounced run")
        await asyncio.sleep(0.5)  # nothing else may run after it
    assert ran == [49]


async def test_cooldown_runs_the_first_and_drops_repeats(docket: Docket, worker: Worker) -> None:
    ran: list[int] = []

    async def alert(n: int, cool: Cooldown = Cooldown(timedelta(hours=1))) -> None:
        ran.append(n)

    for n, key in enumerate(keys_on_one_shard(docket, "alert", 5)):
        await docket.add(alert, key=key)(n)
    await worker.run_until_finished()
    assert ran == [0]


async def test_a_concurrency_limit_and_a_rate_limit_together(docket: Docket) -> None:
    spans: list[tuple[float, float]] = []

    async def job(
        customer_id: Annotated[int, ConcurrencyLimit(1)],
        rate: RateLimit = RateLimit(5, per=timedelta(seconds=1)),
    ) -> None:
        started = time.monotonic()
        await asyncio.sleep(0.01)
        spans.append((started, time.monotonic()))

    for _ in range(8):
        await docket.add(job)(1)
    async with Worker(docket, concurrency=10).running():
        await wait_until(lambda: len(spans) == 8, within=15, what="every run")
    spans.sort()
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # one at a time
    assert spans[5][0] - spans[0][0] >= 0.9  # the sixth waited for the window
