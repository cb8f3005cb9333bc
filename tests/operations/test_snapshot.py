"""docket.snapshot(): counts of all of a docket's work and a bounded sample of it; running
executions say which worker runs them and since when."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, DocketSnapshot, ExecutionState, RunningExecution, Worker

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import HEARTBEAT, MISSED, Blocker

LATER = timedelta(hours=1)


async def running_count(docket: Docket, count: int) -> bool:
    return (await docket.snapshot()).running_count == count


async def test_an_empty_docket_no_worker_ever_served(docket: Docket) -> None:
    taken = await docket.snapshot()

    assert isinstance(taken, DocketSnapshot)
    assert (taken.total_tasks, taken.future, taken.running, taken.workers) == (0, [], [], [])
    assert (taken.queued_count, taken.scheduled_count, taken.running_count) == (0, 0, 0)
    assert (taken.next_due, taken.dead_letters, taken.complete) == (None, 0, True)
    assert abs(taken.taken - datetime.now(UTC)) < timedelta(seconds=5)


async def test_running_queued_and_scheduled_work_with_its_worker(
    docket: Docket, make_worker: WorkerFactory, blocker: Blocker
) -> None:
    worker = await make_worker(name="runner", concurrency=1)
    before = datetime.now(UTC)
    running = await docket.add(blocker.blocked, key="running")(1)
    later = datetime.now(UTC) + LATER
    await docket.add(blocker.blocked, when=later, key="later")(3)
    async with worker.running():
        await wait_until(lambda: blocker.started == 1, what="the first task to start")
        await docket.add(blocker.blocked, key="waiting")(2)
        taken = await docket.snapshot()
        blocker.release.set()

    assert taken.total_tasks == 3
    assert (taken.running_count, taken.queued_count, taken.scheduled_count) == (1, 1, 1)
    assert (taken.due_count, taken.held_count, taken.complete) == (0, 0, True)
    assert taken.next_due is not None
    assert abs(taken.next_due - later) < timedelta(seconds=1)
    [run] = taken.running
    assert isinstance(run, RunningExecution)
    assert (run.key, run.function_name, run.args, run.worker) == (
        "running",
        "blocked",
        (1,),
        "runner",
    )
    assert run.state is ExecutionState.RUNNING
    assert run.when == running.when
    assert before - timedelta(milliseconds=5) <= run.started <= taken.taken
    assert [(e.key, e.state, e.args) for e in taken.future] == [
        ("waiting", ExecutionState.QUEUED, (2,)),
        ("later", ExecutionState.SCHEDULED, (3,)),
    ]
    assert [info.name for info in taken.workers] == ["runner"]


async def test_without_records_the_start_comes_from_the_delivery(docket_url: str) -> None:
    blocker = Blocker()
    async with Docket(
        f"test-{uuid.uuid4().hex}",
        docket_url,
        execution_ttl=timedelta(0),
        heartbeat_interval=HEARTBEAT,
        missed_heartbeats=MISSED,
    ) as docket:
        docket.register(blocker.blocked)
        before = datetime.now(UTC)
        await docket.add(blocker.blocked, key="plain-run")()
        async with Worker(docket, name="plain") as worker, worker.running():
            await wait_until(lambda: blocker.started == 1, what="the task to start")
            [run] = (await docket.snapshot()).running
            blocker.release.set()

    assert (run.key, run.worker) == ("plain-run", "plain")
    assert before - timedelta(seconds=1) <= run.started <= datetime.now(UTC)


async def test_the_sample_is_bounded_and_the_counts_are_whole(docket: Docket) -> None:
    async def noted(n: int) -> None: ...

    docket.register(noted)
    later = datetime.now(UTC) + LATER
    await docket.add_many(docket.call(noted)(n) for n in range(30))
    await docket.add_many(
        docket.call(noted, when=later + timedelta(seconds=n))(n) for n in range(30)
    )

    taken = await docket.snapshot(limit=10)

    assert (taken.queued_count, taken.scheduled_count, taken.total_tasks) == (30, 30, 60)
    assert len(taken.future) == 10
    assert not taken.complete
    assert [e.args for e in taken.future] == [(n,) for n in range(10)]  # the first queued
    everything = await docket.snapshot()
    assert len(everything.future) == 60
    assert everything.complete
    assert [e.args for e in everything.future[30:]] == [(n,) for n in range(30)]  # soonest first


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
async def test_the_limit_must_be_a_positive_int(docket: Docket, limit: object) -> None:
    with pytest.raises(ValueError, match="limit"):
        await docket.snapshot(limit)  # type: ignore[arg-type]


async def test_due_parked_work_and_dead_letters_are_counted(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    await docket.add("no_worker_knows_this", key="orphan")()
    worker = await make_worker(unknown_task_grace=timedelta(0))
    await worker.run_until_finished()
    soon = datetime.now(UTC) + timedelta(milliseconds=100)
    parked = await docket.add("trace", when=soon)("overdue")  # no scheduler runs to move it
    await wait_until(lambda: docket.now_ms() >= parked.when_ms, what="its time to come")

    taken = await docket.snapshot()

    assert taken.dead_letters == 1
    assert (taken.due_count, taken.scheduled_count, taken.queued_count) == (1, 1, 0)


async def test_a_long_run_shows_its_true_start_though_its_lease_was_renewed(
    docket: Docket, make_worker: WorkerFactory, blocker: Blocker
) -> None:
    # Renewing the lease (every 100 ms here) resets the message's idle time; the record's
    # note of the start does not move.
    worker = await make_worker(name="renewing", redelivery_timeout=timedelta(milliseconds=400))
    await docket.add(blocker.blocked, key="long")()
    async with worker.running():
        await wait_until(lambda: blocker.started == 1, what="the task to start")
        began = datetime.now(UTC)
        await wait_until(
            lambda: datetime.now(UTC) - began > timedelta(milliseconds=600), what="renewals"
        )
        [run] = (await docket.snapshot()).running
        blocker.release.set()

    assert run.started <= began
