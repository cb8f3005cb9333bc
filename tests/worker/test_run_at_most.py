"""worker.run_at_most: run until finished, running the given keys at most n times."""

import asyncio
from datetime import timedelta

import pytest
from docket import CurrentDocket, Docket, Perpetual, TaskKey, Worker


async def test_a_perpetual_chain_runs_its_count_and_then_the_worker_finishes(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def tick(
        key: str = TaskKey(), perpetual: Perpetual = Perpetual(every=timedelta(0))
    ) -> None:
        runs.append(key)

    async def once() -> None:
        runs.append("once")

    await docket.add(tick, key="ticker")()
    await docket.add(once)()
    await asyncio.wait_for(worker.run_at_most({"ticker": 3}), timeout=10)

    assert sorted(runs) == ["once", "ticker", "ticker", "ticker"]
    assert await docket.backend.backlog() == (0, 0)  # the chain ended: nothing left behind


async def test_a_chain_that_adds_itself_again_stops_at_its_count(
    docket: Docket, worker: Worker
) -> None:
    runs: list[int] = []

    async def poll(n: int, key: str = TaskKey(), docket: Docket = CurrentDocket()) -> None:
        runs.append(n)
        await docket.add(poll, key=key)(n + 1)

    await docket.add(poll, key="poll")(0)
    await asyncio.wait_for(worker.run_at_most({"poll": 4}), timeout=10)

    assert runs == [0, 1, 2, 3]


async def test_other_keys_run_without_limit_and_the_worker_can_run_again(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []

    async def job(label: str) -> None:
        runs.append(label)

    for label in "abc":
        await docket.add(job)(label)
    await worker.run_at_most({"elsewhere": 0})
    await docket.add(job, key="elsewhere")("d")
    await worker.run_until_finished()  # the limits applied to that run only

    assert sorted(runs) == ["a", "b", "c", "d"]


async def test_a_negative_count_is_refused(worker: Worker) -> None:
    with pytest.raises(ValueError, match="cannot be negative"):
        await worker.run_at_most({"k": -1})
