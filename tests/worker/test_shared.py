"""Shared(factory): one value per worker, made on first use, torn down when the worker exits."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
from docket import (
    CurrentDocket,
    CurrentWorker,
    Depends,
    Docket,
    InvalidTaskError,
    Shared,
    TaskKey,
    Worker,
)

from ..conftest import WorkerFactory
from ..helpers import wait_until
from .conftest import StartWorker


class Pool:
    """Stands in for something costly to make, such as a connection pool."""

    def __init__(self, label: str = "pool") -> None:
        self.label = label


async def test_every_task_of_a_worker_gets_the_same_object(docket: Docket, worker: Worker) -> None:
    made: list[Pool] = []
    seen: list[Pool] = []

    async def make_pool() -> Pool:
        made.append(Pool())
        return made[-1]

    async def first(pool: Pool = Shared(make_pool)) -> None:
        seen.append(pool)

    async def second(n: int, pool: Pool = Shared(make_pool)) -> None:
        seen.append(pool)

    await docket.add(first)()
    for n in range(5):
        await docket.add(second)(n)
    await worker.run_until_finished()

    assert len(made) == 1
    assert len(seen) == 6
    assert all(pool is made[0] for pool in seen)


async def test_many_tasks_asking_at_once_call_the_factory_once(
    docket: Docket, make_worker: WorkerFactory, start_worker: StartWorker
) -> None:
    worker = await make_worker(concurrency=10)
    calls = 0
    release = asyncio.Event()
    seen: list[Pool] = []

    async def make_pool() -> Pool:
        nonlocal calls
        calls += 1
        await release.wait()
        return Pool()

    async def task(n: int, pool: Pool = Shared(make_pool)) -> None:
        seen.append(pool)

    for n in range(10):
        await docket.add(task)(n)
    start_worker(worker)
    await wait_until(lambda: worker.statistics().running == 10, what="all ten tasks to start")
    release.set()
    await wait_until(lambda: len(seen) == 10, what="all ten tasks to finish")

    assert calls == 1
    assert len({id(pool) for pool in seen}) == 1


async def test_each_worker_has_its_own_value(docket: Docket, make_worker: WorkerFactory) -> None:
    seen: dict[str, list[Pool]] = {}

    def make_pool(worker: Worker = CurrentWorker()) -> Pool:
        return Pool(worker.name)

    async def task(pool: Pool = Shared(make_pool), worker: Worker = CurrentWorker()) -> None:
        seen.setdefault(worker.name, []).append(pool)

    one, two = await make_worker(name="one"), await make_worker(name="two")
    for worker in (one, two):
        await docket.add(task)()
        await docket.add(task)()
        await worker.run_until_finished()

    assert {name: [pool.label for pool in pools] for name, pools in seen.items()} == {
        "one": ["one", "one"],
        "two": ["two", "two"],
    }
    assert seen["one"][0] is seen["one"][1]
    assert seen["one"][0] is not seen["two"][0]


async def test_context_managers_stay_open_until_the_worker_exits_then_close_in_reverse(
    docket: Docket,
) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def connection() -> AsyncIterator[str]:
        events.append("connect")
        yield "connection"
        events.append("disconnect")

    def pool(conn: str = Shared(connection)) -> Iterator[str]:  # a generator, with `yield`
        events.append(f"open pool on {conn}")
        yield "pool"
        events.append("close pool")

    async def task(n: int, value: str = Shared(pool)) -> None:
        events.append(f"task {n} with {value}")

    async with Worker(docket) as worker:
        await docket.add(task)(1)
        await docket.add(task)(2)
        await worker.run_until_finished()
        assert events == [
            "connect",
            "open pool on connection",
            "task 1 with pool",
            "task 2 with pool",
        ]

    assert events[-2:] == ["close pool", "disconnect"]


async def test_a_sync_context_manager_factory_is_entered_once_and_exited_at_exit(
    docket: Docket,
) -> None:
    events: list[str] = []

    @contextmanager
    def client() -> Iterator[dict[str, int]]:
        events.append("enter")
        yield {"calls": 0}
        events.append("exit")

    async def task(api: dict[str, int] = Shared(client)) -> None:
        api["calls"] += 1

    async with Worker(docket) as worker:
        for _ in range(3):
            await docket.add(task)()
        await worker.run_until_finished()
        assert events == ["enter"]

    assert events == ["enter", "exit"]


async def test_a_worker_opened_again_makes_the_value_again(docket: Docket) -> None:
    made: list[int] = []

    @asynccontextmanager
    async def resource() -> AsyncIterator[int]:
        made.append(len(made) + 1)
        yield made[-1]

    seen: list[int] = []

    async def task(value: int = Shared(resource)) -> None:
        seen.append(value)

    worker = Worker(docket)
    for _ in range(2):
        async with worker:
            await docket.add(task)()
            await worker.run_until_finished()

    assert seen == [1, 2]


async def test_a_factory_may_ask_for_the_docket_depends_and_other_shared_values(
    docket: Docket, worker: Worker
) -> None:
    calls: list[str] = []

    def settings() -> dict[str, str]:
        calls.append("settings")
        return {"dsn": "postgres://example"}

    async def base(docket: Docket = CurrentDocket()) -> str:
        calls.append("base")
        return docket.name

    async def pool(
        name: str = Shared(base), config: dict[str, str] = Depends(settings)
    ) -> tuple[str, str]:
        calls.append("pool")
        return name, config["dsn"]

    seen: list[tuple[str, str]] = []

    async def task(n: int, value: tuple[str, str] = Shared(pool)) -> None:
        seen.append(value)

    for n in range(3):
        await docket.add(task)(n)
    await worker.run_until_finished()

    assert seen == [(docket.name, "postgres://example")] * 3
    assert sorted(calls) == ["base", "pool", "settings"]


async def test_a_depends_of_a_task_may_use_a_shared_value(docket: Docket, worker: Worker) -> None:
    made: list[Pool] = []

    def make_pool() -> Pool:
        made.append(Pool())
        return made[-1]

    def connection(pool: Pool = Shared(make_pool), key: str = TaskKey()) -> str:
        return f"{pool.label}:{key}"

    seen: list[str] = []

    async def task(conn: str = Depends(connection)) -> None:
        seen.append(conn)

    await docket.add(task, key="a")()
    await docket.add(task, key="b")()
    await worker.run_until_finished()

    assert sorted(seen) == ["pool:a", "pool:b"]
    assert len(made) == 1


async def test_a_factory_asking_for_one_task_run_fails_the_task_saying_why(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    def per_key(key: str = TaskKey()) -> str:
        return key

    def helper(key: str = Depends(per_key)) -> str:
        return key

    async def task(value: str = Shared(helper)) -> None:
        raise AssertionError("never runs")

    await docket.add(task)()
    with caplog.at_level(logging.ERROR, logger="docket.worker"):
        await worker.run_until_finished()

    assert worker.statistics().failed == 1
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failure.exc_info is not None
    error = failure.exc_info[1]
    assert isinstance(error, InvalidTaskError)
    assert re.search(r"Shared\(\S*helper\): \S*per_key's parameter 'key'", str(error))
    assert "asks for TaskKey(), which belongs to one task run" in str(error)
    assert "once per worker" in str(error)


async def test_shared_factories_that_need_each_other_are_refused(
    docket: Docket, worker: Worker, caplog: pytest.LogCaptureFixture
) -> None:
    def chicken(egg: object = Shared(lambda: None)) -> object:
        return egg

    def egg(hen: object = Shared(chicken)) -> object:
        return hen

    chicken.__defaults__ = (Shared(egg),)  # chicken needs egg, egg needs chicken

    async def task(value: object = Shared(egg)) -> None:
        raise AssertionError("never runs")

    await docket.add(task)()
    with caplog.at_level(logging.ERROR, logger="docket.worker"):
        await worker.run_until_finished()

    assert re.search(r"depends on itself \(\S*egg -> \S*chicken -> \S*egg\)", caplog.text)


async def test_a_factory_that_fails_is_tried_again_by_the_next_task(
    docket: Docket, worker: Worker
) -> None:
    attempts = 0
    exited: list[int] = []

    @asynccontextmanager
    async def flaky_inner() -> AsyncIterator[int]:
        try:
            yield attempts
        finally:
            exited.append(attempts)

    async def flaky(inner: int = Depends(flaky_inner)) -> str:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("the database is not up yet")
        return "ready"

    seen: list[str] = []

    async def task(value: str = Shared(flaky)) -> None:
        seen.append(value)

    await docket.add(task)()
    await worker.run_until_finished()
    assert exited == [1]  # what the failed attempt opened is closed at once
    await docket.add(task)()
    await worker.run_until_finished()

    assert seen == ["ready"]
    assert attempts == 2
