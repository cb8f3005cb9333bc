"""At-least-once: work of a dead worker is run by another; a live worker keeps its long tasks."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from docket import (
    CurrentDocket,
    CurrentExecution,
    CurrentWorker,
    Docket,
    Execution,
    TaskKey,
    Worker,
)

from ..helpers import wait_until

StartWorker = Callable[[Worker], "asyncio.Task[None]"]
WorkerFactory = Callable[..., Awaitable[Worker]]

SHORT_TIMEOUT = timedelta(milliseconds=200)


async def nothing_left(docket: Docket) -> bool:
    """Whether every message was acknowledged and nothing is parked."""
    return await docket.backend.backlog() == (0, 0)


async def test_tasks_of_a_worker_that_died_run_on_another_worker_after_the_timeout(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    runs: list[tuple[int, str, float]] = []

    async def job(number: int, worker: Worker = CurrentWorker()) -> None:
        runs.append((number, worker.name, time.monotonic()))

    for number in range(5):
        await docket.add(job)(number)

    # A worker takes the messages and dies before running or acknowledging any of them.
    crashed = await make_worker(name="crashed", redelivery_timeout=SHORT_TIMEOUT)
    taken_at = time.monotonic()
    taken = await docket.backend.read(crashed.name, 10, None)
    assert len(taken) == 5
    del crashed

    rescuer = await make_worker(name="rescuer", redelivery_timeout=SHORT_TIMEOUT)
    start_worker(rescuer)
    await wait_until(lambda: len(runs) >= 5, within=5, what="the abandoned tasks to run")
    await wait_until(lambda: nothing_left(docket), what="the rescued tasks to be acknowledged")

    assert sorted(number for number, _, _ in runs) == [0, 1, 2, 3, 4]
    assert {name for _, name, _ in runs} == {"rescuer"}
    # Redis measures idle time in whole milliseconds: allow a few of them.
    assert all(at - taken_at >= 0.195 for _, _, at in runs), [at - taken_at for *_, at in runs]


async def test_a_redelivered_task_says_from_which_worker_and_which_delivery_it_is(
    docket: Docket,
    make_worker: WorkerFactory,
    start_worker: StartWorker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[tuple[int, str | None]] = []

    async def job(execution: Execution = CurrentExecution()) -> None:
        seen.append((execution.delivery, execution.redelivered_from))

    await docket.add(job, key="welcome-7")()
    await docket.add(job, key="fresh")()
    crashed = await make_worker(name="vm#1234", redelivery_timeout=SHORT_TIMEOUT)
    assert len(await docket.backend.read(crashed.name, 1, None)) == 1  # takes one, then dies
    del crashed

    rescuer = await make_worker(name="rescuer", redelivery_timeout=SHORT_TIMEOUT)
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        start_worker(rescuer)
        await wait_until(lambda: len(seen) == 2, within=5, what="both tasks to run")

    assert sorted(seen, key=str) == sorted([(1, None), (2, "vm#1234")], key=str)
    started = [r.getMessage() for r in caplog.records if r.getMessage().startswith("started")]
    assert "started job() key=welcome-7 attempt=1 (redelivered from vm#1234, delivery 2)" in started
    assert "started job() key=fresh attempt=1" in started


async def test_a_live_worker_keeps_a_task_that_runs_longer_than_the_redelivery_timeout(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    runs: list[str] = []

    async def long_job(worker: Worker = CurrentWorker()) -> None:
        runs.append(worker.name)
        await asyncio.sleep(3 * SHORT_TIMEOUT.total_seconds())

    first = await make_worker(name="first", redelivery_timeout=SHORT_TIMEOUT)
    second = await make_worker(name="second", redelivery_timeout=SHORT_TIMEOUT)
    await docket.add(long_job)()
    start_worker(first)
    start_worker(second)

    await wait_until(lambda: len(runs) >= 1, what="the long task to start")
    await wait_until(lambda: nothing_left(docket), what="the long task to be acknowledged")
    await wait_until(
        lambda: first.statistics().running == second.statistics().running == 0,
        what="both workers to be idle",
    )

    assert len(runs) == 1
    assert first.statistics().succeeded + second.statistics().succeeded == 1


async def test_a_running_task_can_add_its_own_key_again(docket: Docket, worker: Worker) -> None:
    runs: list[int] = []

    async def poll_for_changes(
        round: int, key: str = TaskKey(), current: Docket = CurrentDocket()
    ) -> None:
        runs.append(round)
        if round < 3:
            when = datetime.now(UTC) + timedelta(milliseconds=20)
            await current.add(poll_for_changes, when=when, key=key)(round + 1)

    await docket.add(poll_for_changes, key="poller")(1)
    await worker.run_until_finished()

    assert runs == [1, 2, 3]


async def test_a_running_task_replaced_meanwhile_finishes_and_its_replacement_still_runs(
    docket: Docket, worker: Worker
) -> None:
    runs: list[str] = []
    started = asyncio.Event()
    release = asyncio.Event()

    async def report(version: str) -> None:
        runs.append(version)
        if version == "first":
            started.set()
            await release.wait()

    await docket.add(report, key="report")("first")
    running = asyncio.create_task(worker.run_until_finished())
    await asyncio.wait_for(started.wait(), timeout=5)
    when = datetime.now(UTC) + timedelta(milliseconds=50)
    await docket.replace(report, when=when, key="report")("second")
    release.set()
    await asyncio.wait_for(running, timeout=5)

    assert runs == ["first", "second"]


async def test_dead_entries_behind_a_long_front_of_live_ones_are_still_rescued(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    runs: list[tuple[str, str]] = []
    release = asyncio.Event()

    async def long_job(label: str, worker: Worker = CurrentWorker()) -> None:
        runs.append((label, worker.name))
        await release.wait()

    async def short_job(label: str, worker: Worker = CurrentWorker()) -> None:
        runs.append((label, worker.name))

    for number in range(40):
        await docket.add(long_job)(f"live-{number}")
    busy = await make_worker(name="busy", concurrency=40, redelivery_timeout=SHORT_TIMEOUT)
    start_worker(busy)
    await wait_until(lambda: len(runs) == 40, what="the busy worker to hold 40 live tasks")

    for number in range(3):
        await docket.add(short_job)(f"dead-{number}")
    crashed = await make_worker(name="crashed", redelivery_timeout=SHORT_TIMEOUT)
    assert len(await docket.backend.read(crashed.name, 10, None)) == 3

    rescuer = await make_worker(name="rescuer", concurrency=3, redelivery_timeout=SHORT_TIMEOUT)
    start_worker(rescuer)
    await wait_until(lambda: len(runs) == 43, within=5, what="the three dead entries to run")
    release.set()
    await wait_until(lambda: nothing_left(docket), what="everything to be acknowledged")

    assert sorted(label for label, name in runs if name == "rescuer") == [
        "dead-0",
        "dead-1",
        "dead-2",
    ]
    assert len(runs) == 43  # no live task was taken from the busy worker


async def test_a_message_whose_workers_keep_dying_becomes_a_dead_letter(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    runs: list[str] = []

    async def poison() -> None:
        runs.append("ran")

    await docket.add(poison, key="poison-key")()
    await docket.backend.ensure_group()
    # Six workers in a row take the message and die without finishing it.
    assert len(await docket.backend.read("doomed-0", 10, None)) == 1
    for number in range(1, 6):
        _, claimed, _ = await docket.backend.claim_idle(f"doomed-{number}", 0, b"0-0", 10)
        assert len(claimed) == 1

    rescuer = await make_worker(max_deliveries=5, redelivery_timeout=SHORT_TIMEOUT)
    start_worker(rescuer)
    await wait_until(lambda: nothing_left(docket), within=5, what="the message to be settled")

    assert runs == []
    [letter] = await docket.dead_letters()
    assert letter.key == "poison-key"
    assert "delivered 7 times" in letter.reason
    assert "max_deliveries=5" in letter.reason

    again = await docket.add(poison, key="poison-key")()
    assert again.scheduled  # the dead letter released the key
