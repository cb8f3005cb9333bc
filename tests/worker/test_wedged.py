"""Tasks that raise what asyncio treats specially are still settled; the worker's own
cancellation and a task's request to stop hand messages back."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from docket import CurrentWorker, Docket, Retry, Worker

WorkerFactory = Callable[..., Awaitable[Worker]]

# Raised by the task itself, not by anything cancelling it.
ESCAPES = [asyncio.CancelledError, GeneratorExit]


async def nothing_left(docket: Docket) -> bool:
    return await docket.backend.backlog() == (0, 0)


@pytest.mark.parametrize("escape", ESCAPES, ids=lambda e: e.__name__)
async def test_a_task_raising_an_escape_exception_fails_is_logged_and_acknowledged(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture, escape: type[BaseException]
) -> None:
    async def wedged() -> None:
        raise escape("the task's own doing")

    await docket.add(wedged, key="wedged-key")()
    with caplog.at_level(logging.INFO, logger="docket.worker"):
        await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert worker.statistics().failed == 1
    assert await nothing_left(docket)
    [failure] = [r for r in caplog.records if r.exc_info and "wedged-key" in r.getMessage()]
    assert failure.getMessage().startswith("failed wedged")
    assert failure.exc_info is not None
    assert failure.exc_info[0] is escape


@pytest.mark.parametrize("escape", ESCAPES, ids=lambda e: e.__name__)
async def test_a_task_raising_an_escape_exception_is_retried_per_its_retry(
    docket: Docket, worker: Worker, escape: type[BaseException]
) -> None:
    attempts: list[int] = []

    async def flaky(retry: Retry = Retry(attempts=3)) -> None:
        attempts.append(retry.attempt)
        if retry.attempt < 3:
            raise escape()

    await docket.add(flaky)()
    await asyncio.wait_for(worker.run_until_finished(), timeout=10)

    assert attempts == [1, 2, 3]
    assert worker.statistics().retried == 2
    assert worker.statistics().succeeded == 1


async def test_tasks_cut_short_by_the_shutdown_deadline_are_handed_back_not_failed(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    runs: list[str] = []
    started = asyncio.Event()

    async def long_job(worker: Worker = CurrentWorker()) -> None:
        runs.append(worker.name)
        if worker.name == "first":
            started.set()
            await asyncio.Event().wait()

    await docket.add(long_job, key="long")()
    first = await make_worker(name="first", shutdown_timeout=timedelta(milliseconds=20))
    running = asyncio.create_task(first.run_forever())
    await asyncio.wait_for(started.wait(), timeout=10)
    first.stop()
    await asyncio.wait_for(running, timeout=10)

    assert first.statistics().failed == 0
    second = await make_worker(name="second")
    await asyncio.wait_for(second.run_until_finished(), timeout=10)
    assert runs == ["first", "second"]


async def test_tasks_of_a_cancelled_worker_are_handed_back_not_failed(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    runs: list[str] = []
    started = asyncio.Event()

    async def long_job(worker: Worker = CurrentWorker()) -> None:
        runs.append(worker.name)
        if worker.name == "first":
            started.set()
            await asyncio.Event().wait()

    await docket.add(long_job, key="long")()
    first = await make_worker(name="first")
    running = asyncio.create_task(first.run_forever())
    await asyncio.wait_for(started.wait(), timeout=10)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    await first.__aexit__(None, None, None)

    assert first.statistics().failed == 0
    second = await make_worker(name="second")
    await asyncio.wait_for(second.run_until_finished(), timeout=10)
    assert runs == ["first", "second"]


# -- a task asking the process to stop ---------------------------------------------------------


def run_first_worker(docket: Docket, **options: Any) -> str:
    """Run a worker named "first" until finished, on an event loop of its own; say how it
    ended. Its own loop: a request to stop that escaped to the event loop (rather than out of
    run_until_finished) is seen here instead of taking the test session's loop down."""

    async def session() -> str:
        async with Docket(docket.name, docket.url) as own:
            own.tasks.update(docket.tasks)
            async with Worker(own, name="first", **options) as worker:
                try:
                    async with asyncio.timeout(10):
                        await worker.run_until_finished()
                except (KeyboardInterrupt, SystemExit) as error:
                    return f"run_until_finished raised {type(error).__name__}"
                return "run_until_finished returned"

    try:
        return asyncio.run(session())
    except BaseException as error:
        return f"the event loop raised {type(error).__name__}"


@pytest.mark.parametrize("request_to_stop", [KeyboardInterrupt, SystemExit])
async def test_a_task_raising_a_request_to_stop_stops_its_worker_after_handing_back(
    docket: Docket, make_worker: WorkerFactory, request_to_stop: type[BaseException]
) -> None:
    runs: list[str] = []

    async def interrupting(worker: Worker = CurrentWorker()) -> None:
        runs.append(worker.name)
        if worker.name == "first":
            raise request_to_stop()

    await docket.add(interrupting, key="interrupting")()

    outcome = await asyncio.to_thread(run_first_worker, docket)

    assert outcome == f"run_until_finished raised {request_to_stop.__name__}"
    assert runs == ["first"]
    assert await docket.backend.backlog() == (1, 0)  # handed back, not acknowledged
    assert await docket.dead_letters() == []
    second = await make_worker(name="second")
    await asyncio.wait_for(second.run_until_finished(), timeout=10)
    assert runs == ["first", "second"]
    assert second.statistics().succeeded == 1


@pytest.mark.parametrize("concurrency", [1, 10])
async def test_a_worker_a_task_stopped_starts_nothing_more_and_hands_everything_back(
    docket: Docket, make_worker: WorkerFactory, concurrency: int
) -> None:
    runs: list[int] = []

    async def numbered(n: int, worker: Worker = CurrentWorker()) -> None:
        runs.append(n)
        if n == 0 and worker.name == "first":
            raise KeyboardInterrupt

    for n in range(3):
        await docket.add(numbered, key=f"n{n}")(n)

    outcome = await asyncio.to_thread(run_first_worker, docket, concurrency=concurrency)

    assert outcome == "run_until_finished raised KeyboardInterrupt"
    assert runs == [0]
    assert await docket.backend.backlog() == (3, 0)
    second = await make_worker(name="second")
    await asyncio.wait_for(second.run_until_finished(), timeout=10)
    assert sorted(runs) == [0, 0, 1, 2]
