"""Future tasks: never early, promptly on time, and moved or cancelled as the client says."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from docket import Docket, Worker

from ..helpers import wait_until

StartWorker = Callable[[Worker], "asyncio.Task[None]"]
WorkerFactory = Callable[..., Awaitable[Worker]]

GENEROUS_LATENESS = timedelta(seconds=1)


def later(milliseconds: float) -> datetime:
    """A time this far from now, in whole milliseconds (docket's resolution)."""
    when = datetime.now(UTC) + timedelta(milliseconds=milliseconds)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def has_run(started: dict[str, datetime], name: str) -> Callable[[], bool]:
    return lambda: name in started


async def test_future_task_starts_on_time_and_never_early(docket: Docket, worker: Worker) -> None:
    started: list[datetime] = []

    async def reminder() -> None:
        started.append(datetime.now(UTC))

    when = later(150)
    await docket.add(reminder, when=when)()
    await worker.run_until_finished()

    assert len(started) == 1
    assert when <= started[0] < when + GENEROUS_LATENESS


async def test_task_due_in_the_past_runs_at_once(docket: Docket, worker: Worker) -> None:
    started: list[datetime] = []

    async def overdue() -> None:
        started.append(datetime.now(UTC))

    added = datetime.now(UTC)
    await docket.add(overdue, when=added - timedelta(hours=1))()
    await worker.run_until_finished()

    assert len(started) == 1
    assert started[0] - added < GENEROUS_LATENESS


async def test_earlier_task_added_while_the_worker_waits_for_a_later_one_runs_on_time(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    started: dict[str, datetime] = {}

    async def record(name: str) -> None:
        started[name] = datetime.now(UTC)

    await docket.add(record, when=later(60_000), key="far-future")("far-future")
    start_worker(await make_worker())
    await docket.add(record)("ready")
    await wait_until(lambda: "ready" in started, what="the worker to be up")

    # The scheduler now sleeps towards the far-future task. Each earlier task must wake it:
    # waiting out its sleep would make some of them up to a second late, so the bound here is
    # tighter than elsewhere.
    for number in range(3):
        name = f"early-{number}"
        when = later(50)
        await docket.add(record, when=when)(name)
        await wait_until(has_run(started, name), what=f"{name} to run")
        assert when <= started[name] < when + timedelta(milliseconds=400), started[name] - when

    assert "far-future" not in started
    assert await docket.cancel("far-future")


async def test_many_future_tasks_all_run_none_early(docket: Docket, worker: Worker) -> None:
    started: dict[int, datetime] = {}
    due: dict[int, datetime] = {}

    async def tick(number: int) -> None:
        started[number] = datetime.now(UTC)

    for number in range(60):
        due[number] = later(50 + 2 * number)
        await docket.add(tick, when=due[number])(number)
    await worker.run_until_finished()

    assert sorted(started) == list(range(60))
    early = {n: due[n] - started[n] for n in started if started[n] < due[n]}
    assert early == {}
    assert all(started[n] - due[n] < GENEROUS_LATENESS for n in started)


async def test_adding_a_key_that_is_already_scheduled_does_nothing(
    docket: Docket, worker: Worker
) -> None:
    runs: list[tuple[str, datetime]] = []

    async def send_followup_email(version: str) -> None:
        runs.append((version, datetime.now(UTC)))

    when = later(150)
    await docket.add(send_followup_email, when=when, key="followup-12345")("first")
    await docket.add(send_followup_email, key="followup-12345")("second")
    await worker.run_until_finished()

    assert [version for version, _ in runs] == ["first"]
    assert runs[0][1] >= when


async def test_replace_moves_a_scheduled_task_earlier(docket: Docket, worker: Worker) -> None:
    runs: list[tuple[str, datetime]] = []

    async def send_followup_email(name: str) -> None:
        runs.append((name, datetime.now(UTC)))

    await docket.add(send_followup_email, when=later(60_000), key="followup")("Jane Smith")
    when = later(100)
    await docket.replace(send_followup_email, when=when, key="followup")("Jane Q. Smith")
    await worker.run_until_finished()

    assert [name for name, _ in runs] == ["Jane Q. Smith"]
    assert when <= runs[0][1] < when + GENEROUS_LATENESS


async def test_replace_moves_a_scheduled_task_later(docket: Docket, worker: Worker) -> None:
    runs: list[tuple[str, datetime]] = []

    async def send_followup_email(name: str) -> None:
        runs.append((name, datetime.now(UTC)))

    await docket.add(send_followup_email, when=later(50), key="followup")("Jane Smith")
    when = later(200)
    await docket.replace(send_followup_email, when=when, key="followup")("Jane Q. Smith")
    await worker.run_until_finished()

    assert [name for name, _ in runs] == ["Jane Q. Smith"]
    assert when <= runs[0][1] < when + GENEROUS_LATENESS


async def test_cancelled_scheduled_task_never_runs(docket: Docket, worker: Worker) -> None:
    ran: list[str] = []

    async def record(name: str) -> None:
        ran.append(name)

    await docket.add(record, when=later(50), key="cancelled")("cancelled")
    # Scheduled after the cancelled one was due, so the worker is still there to (not) run it.
    await docket.add(record, when=later(150), key="kept")("kept")
    assert await docket.cancel("cancelled")
    await worker.run_until_finished()

    assert ran == ["kept"]


async def test_run_until_finished_waits_for_future_tasks(docket: Docket, worker: Worker) -> None:
    ran: list[str] = []

    async def record(name: str) -> None:
        ran.append(name)

    await docket.add(record, when=later(200))("last")
    await docket.add(record, when=later(100))("second")
    await docket.add(record)("first")
    await worker.run_until_finished()

    assert ran == ["first", "second", "last"]
