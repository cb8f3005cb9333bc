"""docket.workers() and task_workers(): each worker advertises itself by heartbeats, and one
that stops beating (killed, hung, cut off) is no longer listed once its heartbeat expires."""

import asyncio
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from docket import Docket, Worker, WorkerInfo

from ..conftest import WorkerFactory
from ..helpers import BUILT_IN_TASKS, wait_until
from .conftest import HEARTBEAT, MISSED, TTL, Blocker


async def test_an_opened_worker_is_listed_at_once_with_what_it_is(
    docket: Docket, make_worker: WorkerFactory, blocker: Blocker
) -> None:
    before = datetime.now(UTC)
    worker = await make_worker(name="alpha", concurrency=7)

    [info] = await docket.workers()

    assert isinstance(info, WorkerInfo)
    assert (info.name, info.host, info.pid) == ("alpha", socket.gethostname(), os.getpid())
    assert (info.concurrency, info.running) == (7, 0)
    assert info.tasks == {"blocked", *BUILT_IN_TASKS}
    assert info.started is not None
    assert before - timedelta(seconds=1) <= info.started <= info.last_seen
    assert info.last_seen <= datetime.now(UTC) + timedelta(seconds=1)
    assert worker.name == info.name


async def test_a_running_worker_keeps_beating_and_says_how_many_it_runs(
    docket: Docket, make_worker: WorkerFactory, blocker: Blocker
) -> None:
    worker = await make_worker(name="busy", concurrency=3)
    await docket.add(blocker.blocked)(1)
    await docket.add(blocker.blocked)(2)
    async with worker.running():
        [first] = await docket.workers()

        async def beat_on_with_two_running() -> bool:
            [info] = await docket.workers()
            return info.running == 2 and info.last_seen - first.last_seen > TTL

        # Listed for longer than one heartbeat lasts: the beats keep it alive.
        await wait_until(beat_on_with_two_running, what="beats past the TTL, 2 running")
        blocker.release.set()


async def test_a_worker_that_stops_beating_vanishes_after_its_ttl(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    worker = await make_worker(name="doomed")
    run = asyncio.create_task(worker.run_forever())
    await wait_until(lambda: _listed(docket, "doomed"), what="the worker listed")

    run.cancel()  # as if killed: no clean shutdown, its heartbeat just stops
    with pytest.raises(asyncio.CancelledError):
        await run
    stopped = asyncio.get_running_loop().time()

    await wait_until(
        lambda: _not_listed(docket, "doomed"), within=5, what="the dead worker to vanish"
    )
    assert asyncio.get_running_loop().time() - stopped >= TTL.total_seconds() * 0.5


async def test_a_worker_that_stops_cleanly_is_gone_at_once(docket: Docket) -> None:
    async with Worker(docket, name="tidy") as worker, worker.running():
        assert [info.name for info in await docket.workers()] == ["tidy"]

    assert list(await docket.workers()) == []


async def test_task_workers_lists_those_that_can_run_the_task(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    async def only_here() -> None: ...

    async def only_there() -> None: ...

    docket.register(only_here)
    async with Docket(
        docket.name, docket.url, heartbeat_interval=HEARTBEAT, missed_heartbeats=MISSED
    ) as other:
        other.register(only_there)
        await make_worker(name="here")
        async with Worker(other, name="there"):
            assert [w.name for w in await docket.workers()] == ["here", "there"]
            assert [w.name for w in await docket.task_workers("only_here")] == ["here"]
            assert [w.name for w in await other.task_workers("only_there")] == ["there"]
            assert [w.name for w in await docket.task_workers("trace")] == ["here", "there"]
            assert list(await docket.task_workers("nobody_runs_this")) == []


async def test_workers_of_other_dockets_are_not_listed(
    docket: Docket, make_worker: WorkerFactory
) -> None:
    async with Docket(f"other-{uuid.uuid4().hex}", docket.url) as other:
        await make_worker(name="mine")
        async with Worker(other, name="elsewhere"):
            assert [w.name for w in await docket.workers()] == ["mine"]
            assert [w.name for w in await other.workers()] == ["elsewhere"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"heartbeat_interval": timedelta(0)}, "heartbeat_interval"),
        ({"heartbeat_interval": timedelta(seconds=-1)}, "heartbeat_interval"),
        ({"heartbeat_interval": 2}, "heartbeat_interval"),
        ({"missed_heartbeats": 0}, "missed_heartbeats"),
        ({"missed_heartbeats": 1.5}, "missed_heartbeats"),
    ],
)
def test_heartbeat_options_are_checked(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Docket("checked", "memory://checked", **options)  # type: ignore[arg-type]


def test_heartbeat_defaults_are_pydockets() -> None:
    opened = Docket("defaults", "memory://defaults")
    assert (opened.heartbeat_interval, opened.missed_heartbeats) == (timedelta(seconds=2), 5)


async def _listed(docket: Docket, name: str) -> bool:
    return name in {info.name for info in await docket.workers()}


async def _not_listed(docket: Docket, name: str) -> bool:
    return not await _listed(docket, name)
