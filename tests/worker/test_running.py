"""`async with worker.running():` runs a worker in the background of the caller's process."""

import asyncio
from datetime import timedelta

from docket import Docket, Worker

from ..helpers import wait_until


async def test_tasks_added_inside_the_block_run_in_the_background(docket: Docket) -> None:
    ran: list[int] = []

    async def record(n: int) -> None:
        ran.append(n)

    docket.register(record)
    async with Worker(docket).running() as worker:
        for n in range(3):
            await docket.add(record)(n)
        await wait_until(lambda: len(ran) == 3, what="the three tasks to run")

    assert sorted(ran) == [0, 1, 2]
    assert worker.statistics().succeeded == 3


async def test_an_open_worker_can_run_in_the_background_and_stays_open(docket: Docket) -> None:
    ran = asyncio.Event()

    async def record() -> None:
        ran.set()

    docket.register(record)
    async with Worker(docket) as worker:
        async with worker.running():
            await docket.add(record)()
            await asyncio.wait_for(ran.wait(), timeout=10)
        ran.clear()
        await docket.add(record)()
        await worker.run_until_finished()  # still open after the block
        assert ran.is_set()


async def test_leaving_the_block_lets_a_running_task_finish(docket: Docket) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    docket.register(slow)
    async with Worker(docket, shutdown_timeout=timedelta(seconds=10)).running() as worker:
        await docket.add(slow)()
        await asyncio.wait_for(started.wait(), timeout=10)

    assert finished.is_set()
    assert worker.statistics().succeeded == 1


async def test_a_task_outlasting_the_shutdown_timeout_goes_back_to_the_docket(
    docket: Docket,
) -> None:
    started = asyncio.Event()
    runs: list[str] = []

    async def stuck(label: str) -> None:
        runs.append(label)
        started.set()
        await asyncio.Event().wait()

    docket.register(stuck)
    async with Worker(docket, shutdown_timeout=timedelta(milliseconds=50)).running():
        await docket.add(stuck, key="stuck")("first")
        await asyncio.wait_for(started.wait(), timeout=10)

    async def quick(label: str) -> None:
        runs.append(label)

    docket.tasks["stuck"] = quick  # a newer deployment, whose task now finishes
    async with Worker(docket) as successor:
        await asyncio.wait_for(successor.run_until_finished(), timeout=10)
    assert runs == ["first", "first"]
