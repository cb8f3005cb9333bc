"""The bounded prefetch (docket_worker._prefetch): reads beyond the free slots while tasks are
quick, without hoarding slow work from other workers or losing what was read ahead."""

import asyncio
from datetime import timedelta

from docket import Docket, Worker

from ..helpers import wait_until


async def test_quick_tasks_are_read_ahead_and_every_one_runs_once(docket: Docket) -> None:
    runs: list[int] = []

    async def quick(number: int) -> None:
        runs.append(number)

    await docket.add_many(docket.call(quick)(number) for number in range(500))
    async with Worker(docket, concurrency=2) as worker:
        await worker.run_until_finished()
    assert sorted(runs) == list(range(500))


async def test_slow_tasks_are_shared_between_workers(docket: Docket) -> None:
    ran_by: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)

    docket.register(slow)
    await docket.add_many(docket.call(slow)() for _ in range(24))
    first, second = Worker(docket, concurrency=2), Worker(docket, concurrency=2)

    async def run(worker: Worker) -> None:
        async with worker:
            await worker.run_until_finished()
            ran_by.extend([worker.name] * worker.statistics().succeeded)

    await asyncio.gather(run(first), run(second))
    assert len(ran_by) == 24
    assert 6 <= ran_by.count(first.name) <= 18, ran_by.count(first.name)


async def test_messages_read_ahead_go_back_when_the_worker_stops(docket: Docket) -> None:
    runs: list[int] = []
    gate = asyncio.Event()

    async def gated(number: int) -> None:
        runs.append(number)
        if number == 10:  # the quick ones before it grew the prefetch: the rest is read ahead
            await gate.wait()

    docket.register(gated)
    await docket.add_many(docket.call(gated)(number) for number in range(50))
    stopping = Worker(docket, concurrency=1, shutdown_timeout=timedelta(milliseconds=50))
    async with stopping.running():
        await wait_until(lambda: 10 in runs, what="the stuck task started")
        assert len(stopping.dispatcher.held) > 1  # messages were read ahead of it
    # the one stuck task went back too: it runs again, and so does every message read ahead
    gate.set()
    async with Worker(docket, concurrency=10, redelivery_timeout=timedelta(seconds=1)) as worker:
        await worker.run_until_finished()
    assert sorted(set(runs)) == list(range(50))
    assert len(runs) == 51
